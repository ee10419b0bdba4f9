package exec

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ksqlgo/ksql/catalog"
)

const finalDDL = `CREATE STREAM clicks (ID STRING KEY, V INT) WITH (kafka_topic='clicks', value_format='JSON');`

func (h *harness) finalQuery(props map[string]string) *Query {
	q, err := NewQuery(context.Background(), h.rt, h.plan, QueryOptions{Properties: props})
	if err != nil {
		h.t.Fatal(err)
	}
	return q
}

var noInterval = map[string]string{"ksql.streams." + emitIntervalProp: "0"}

// EMIT FINAL over tumbling windows: nothing while a window is open; once
// stream time minus grace passes its end, one record per group with its
// final count, by key; late records dropped; and across a crash (state,
// stream time and the last close time committed with the output) nothing
// is emitted twice or lost.
func TestEmitFinalTumbling(t *testing.T) {
	for _, crash := range []bool{false, true} {
		h := newQueryHarness(t, finalDDL, `CREATE TABLE OUT AS SELECT ID, COUNT(*) AS N FROM clicks
			WINDOW TUMBLING (SIZE 10 MILLISECONDS, GRACE PERIOD 2 MILLISECONDS) GROUP BY ID EMIT FINAL;`)
		v := `{"V":1}`
		rounds := [][][3]any{
			{{"b", v, 0}, {"a", v, 1}, {"a", v, 5}, {"b", v, 11}}, // close 9: [0,10) open
			{{"a", v, 9}, {"c", v, 12}},                           // a@0 in time; close 10 closes [0,10)
			{{"a", v, 3}, {"zz", v, 13}, {"c", v, 25}},            // a@0 late; close 23 closes [10,20)
			{{"c", v, 26}}, // close 24: nothing new
		}
		want := []string{
			"",
			`a@0={"N":3} b@0={"N":1}`,
			`b@10={"N":1} c@10={"N":1} zz@10={"N":1}`,
			"",
		}
		out := func() string { return h.committed("OUT", catalog.TumblingWindow) }
		var got []string
		if crash {
			got = append(got, h.runRounds(h.finalQuery(noInterval), "clicks", rounds[:2], out)...)
			h.crash()
			q := h.finalQuery(noInterval)
			all := h.runRounds(q, "clicks", rounds[2:], out)
			// runRounds counts from the start of the output again.
			prev := len(strings.Fields(strings.Join(got, " ")))
			for i, r := range all {
				f := strings.Fields(r)
				if i == 0 {
					f = f[prev:]
				}
				got = append(got, strings.Join(f, " "))
			}
		} else {
			got = h.runRounds(h.finalQuery(noInterval), "clicks", rounds, out)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("crash=%v round %d: got %q, want %q", crash, i, got[i], want[i])
			}
		}
	}
}

// Hopping windows with HAVING: a window closes when stream time minus
// grace passes its end; a group failing HAVING emits nothing (it was
// never emitted, so there is nothing to retract); windows older than
// the newest window start minus the store's retention (size plus grace)
// are not emitted, as Kafka Streams' time-ordered store no longer
// returns them.
func TestEmitFinalHoppingHaving(t *testing.T) {
	h := newQueryHarness(t, finalDDL, `CREATE TABLE OUT AS SELECT ID, COUNT(*) AS N FROM clicks
		WINDOW HOPPING (SIZE 5 MILLISECONDS, ADVANCE BY 2 MILLISECONDS, GRACE PERIOD 1 MILLISECONDS)
		GROUP BY ID HAVING COUNT(*) > 1 EMIT FINAL;`)
	v := `{"V":1}`
	rounds := [][][3]any{
		{{"k", v, 0}, {"k", v, 1}, {"k", v, 2}, {"k", v, 1}, {"j", v, 2}},
		{{"k", v, 6}},  // close 5: [0,5) closes (k 4; j 1 fails HAVING)
		{{"k", v, 5}},  // close unchanged
		{{"k", v, 10}}, // close 9: [2,7) and [4,9) closed, but the store keeps starts >= 10-6
	}
	want := []string{"", `k@0={"N":4}`, "", `k@4={"N":2}`}
	got := h.runRounds(h.finalQuery(noInterval), "clicks", rounds, func() string { return h.committed("OUT", catalog.HoppingWindow) })
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("round %d: got %q, want %q", i, got[i], want[i])
		}
	}
}

// Session windows: a session is emitted once stream time minus grace
// minus the gap passes its end, with its merged count; a record whose
// merged session would end before the close time is dropped.
func TestEmitFinalSessions(t *testing.T) {
	h := newQueryHarness(t, finalDDL, `CREATE TABLE OUT AS SELECT ID, COUNT(*) AS N FROM clicks
		WINDOW SESSION (5 MILLISECONDS, GRACE PERIOD 6 MILLISECONDS) GROUP BY ID EMIT FINAL;`)
	v := `{"V":1}`
	rounds := [][][3]any{
		{{"k", v, 0}, {"k", v, 4}, {"k", v, 8}, {"k", v, 12}, {"k", v, 14}},
		{{"k", v, 30}},               // close 19: [0,14] closes
		{{"k", v, 29}, {"k", v, 17}}, // 17 would extend [0,14] to 17 < 19: dropped
		{{"k", v, 42}},               // close 31: [29,30]
	}
	want := []string{"", `k@0-14={"N":5}`, "", `k@29-30={"N":2}`}
	got := h.runRounds(h.finalQuery(noInterval), "clicks", rounds, func() string { return h.committed("OUT", catalog.SessionWindow) })
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("round %d: got %q, want %q", i, got[i], want[i])
		}
	}
}

// The emit interval (default 1000 ms of wall clock, as Kafka Streams')
// throttles emissions: windows that close within it are emitted by the
// first record after it.
func TestEmitFinalInterval(t *testing.T) {
	h := newQueryHarness(t, finalDDL, `CREATE TABLE OUT AS SELECT ID, COUNT(*) AS N FROM clicks
		WINDOW TUMBLING (SIZE 10 MILLISECONDS, GRACE PERIOD 0 MILLISECONDS) GROUP BY ID EMIT FINAL;`)
	now := time.Unix(1000, 0)
	h.rt.Now = func() time.Time { return now }
	q := h.finalQuery(nil)
	v := `{"V":1}`
	out := func() string { return h.committed("OUT", catalog.TumblingWindow) }
	got := h.runRounds(q, "clicks", [][][3]any{
		{{"a", v, 1}},  // first emission check at t=1000s: nothing closed
		{{"a", v, 15}}, // [0,10) closed, but within the interval
	}, out)
	now = now.Add(time.Second)
	got = append(got, h.runRounds(q, "clicks", [][][3]any{{{"a", v, 16}}}, out)...)
	want := []string{"", "", `a@0={"N":1}`}
	for i := range want {
		if i < len(got) && got[i] != want[i] {
			t.Errorf("round %d: got %q, want %q", i, got[i], want[i])
		}
	}
	if _, err := NewQuery(context.Background(), h.rt, h.plan, QueryOptions{Properties: map[string]string{emitIntervalProp: "-5"}}); err == nil {
		t.Error("a negative emit interval was accepted")
	}
}
