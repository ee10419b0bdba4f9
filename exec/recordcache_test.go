package exec

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/broker/brokertest"
	"github.com/ksqlgo/ksql/catalog"
	"github.com/ksqlgo/ksql/sql/types"
)

// The record cache (recordcache.go): updates of a key within a commit
// interval are forwarded once, at commit, with the latest value; over the
// budget every dirty entry of the operator is forwarded, least recently
// updated first; 0 forwards every update. The harness of commit_test.go
// drives the queries (Step processes what it reads, Commit forwards).

// cacheHarness is a harness over any DDL and one CREATE ... AS SELECT.
// runRounds sends each round of records to topic and drains q after it;
// it returns, per round, what output (all the committed output, as
// fields) gained in that round.
func (h *harness) runRounds(q *Query, topic string, rounds [][][3]any, output func() string) []string {
	var out []string
	seen := 0
	for _, r := range rounds {
		h.send(topic, r...)
		if err := h.drain(q); err != nil {
			h.t.Fatal(err)
		}
		all := strings.Fields(output())
		out = append(out, strings.Join(all[seen:], " "))
		seen = len(all)
	}
	return out
}

func (h *harness) cachedQuery(bytes int64) *Query {
	q, err := NewQuery(context.Background(), h.rt, h.plan, QueryOptions{RecordCacheBytes: bytes})
	if err != nil {
		h.t.Fatal(err)
	}
	return q
}

// send appends records (key, JSON value or "" for a tombstone, time) to
// topic.
func (h *harness) send(topic string, recs ...[3]any) {
	var out []broker.Record
	for _, r := range recs {
		rec := broker.Record{Key: []byte(r[0].(string)), Timestamp: int64(r[2].(int))}
		if v := r[1].(string); v != "" {
			rec.Value = []byte(v)
		}
		out = append(out, rec)
	}
	if _, err := h.lg.Append(context.Background(), topic, 0, out); err != nil {
		h.t.Fatal(err)
	}
}

// committed prints the committed records of topic: key[@window]=value,
// window suffixes decoded as w (none, tumbling/hopping, session).
func (h *harness) committed(topic string, w catalog.WindowType) string {
	recs, err := broker.ReadAll(context.Background(), h.lg, topic, 0, 0, broker.ReadCommitted, 0)
	if err != nil {
		h.t.Fatal(err)
	}
	var out []string
	for _, r := range recs {
		k := r.Key
		win := ""
		switch w {
		case catalog.SessionWindow:
			n := len(k) - 16
			win = fmt.Sprintf("@%d-%d", binary.BigEndian.Uint64(k[n+8:]), binary.BigEndian.Uint64(k[n:]))
			k = k[:n]
		case catalog.NoWindow:
		default:
			n := len(k) - 8
			win = fmt.Sprintf("@%d", binary.BigEndian.Uint64(k[n:]))
			k = k[:n]
		}
		v := string(r.Value)
		if r.Value == nil {
			v = "null"
		}
		out = append(out, string(k)+win+"="+v)
	}
	return strings.Join(out, " ")
}

func countOf(s string) string {
	// {"N":3} -> 3
	s = strings.TrimPrefix(s, `{"N":`)
	return strings.TrimSuffix(s, "}")
}

func (h *harness) counts(topic string) string {
	parts := strings.Fields(h.committed(topic, catalog.NoWindow))
	for i, p := range parts {
		k, v, _ := strings.Cut(p, "=")
		parts[i] = k + "=" + countOf(v)
	}
	return strings.Join(parts, " ")
}

func TestRecordCacheCoalescesWithinInterval(t *testing.T) {
	for _, tc := range []struct {
		name  string
		bytes int64
		want  string
	}{
		// One commit: each key once, with its latest count, in the order
		// of their last update.
		{"cached", DefaultRecordCacheBytes, "b=2 a=4"},
		// 0: every update, as ksqlDB with caching disabled.
		{"off", 0, "a=1 b=1 a=2 a=3 b=2 a=4"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.produce("a", "b", "a", "a", "b", "a")
			// the last update of a is the 6th record, of b the 5th: b was
			// updated least recently.
			q := h.cachedQuery(tc.bytes)
			if err := h.drain(q); err != nil {
				t.Fatal(err)
			}
			if got := h.output(); got != tc.want {
				t.Fatalf("output %q, want %q", got, tc.want)
			}
			// The next interval forwards from the stored state.
			h.produce("b")
			if err := h.drain(q); err != nil {
				t.Fatal(err)
			}
			if got := h.output(); got != tc.want+" b=3" {
				t.Fatalf("output %q, want %q", got, tc.want+" b=3")
			}
		})
	}
}

// Over its budget, an operator forwards all its dirty entries, least
// recently updated first (Kafka Streams evicts the least recently used
// entry of the store written to, which flushes the store's dirty entries,
// the evicted one first); each key's results stay in order.
func TestRecordCacheEvictsOverBudget(t *testing.T) {
	h := newHarness(t)
	// About two entries fit (an entry: overhead, the key "a" and a count).
	one := int64(entryOverhead) + valueSize("a") + valueSize(int64(1))
	h.produce("a", "b", "a", "c", "d", "a")
	q := h.cachedQuery(2*one + one/2)
	if err := h.drain(q); err != nil {
		t.Fatal(err)
	}
	// a, b, a (b is now the least recently updated), c: over the budget,
	// b, a, c are forwarded; then d, a at commit.
	if got, want := h.output(), "b=1 a=2 c=1 d=1 a=3"; got != want {
		t.Fatalf("output %q, want %q", got, want)
	}
	for _, tk := range q.tasks {
		if tk.rcache != nil && tk.rcache.used != 0 {
			t.Fatalf("task %s holds %d bytes after its commit", tk, tk.rcache.used)
		}
	}
}

// A crash loses what the cache held; the records evicted from it before
// the crash were in the aborted transaction, and the restarted query
// counts each input once.
func TestRecordCacheCrashIsExactlyOnce(t *testing.T) {
	for _, tc := range []struct {
		name  string
		bytes int64
	}{{"commit only", DefaultRecordCacheBytes}, {"with evictions", 150}} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.produce("a", "b")
			q := h.cachedQuery(tc.bytes)
			if err := h.drain(q); err != nil {
				t.Fatal(err)
			}
			before := h.output()
			h.produce("a", "c", "b", "a", "d", "e")
			// Output prepared, state commit fails, the process dies.
			h.store.failCommit, h.log.failEnd = true, true
			if err := h.drain(q); !errors.Is(err, errInjected) {
				t.Fatalf("drain: %v", err)
			}
			h.crash()
			if got := brokertest.InDoubt(t, h.rt.Log); len(got) != 0 {
				t.Fatalf("in doubt after resolution: %v", got)
			}
			if got := h.output(); got != before {
				t.Fatalf("after the crash %q, want %q", got, before)
			}
			q = h.cachedQuery(tc.bytes)
			if err := h.drain(q); err != nil {
				t.Fatal(err)
			}
			final := map[string]string{}
			for _, kv := range strings.Fields(h.output()) {
				k, v, _ := strings.Cut(kv, "=")
				final[k] = v
			}
			if got := fmt.Sprint(final); got != "map[a:3 b:2 c:1 d:1 e:1]" {
				t.Fatalf("final counts %s (output %q)", got, h.output())
			}
		})
	}
}

// Hopping windows: each (key, window) is an entry; an interval's updates
// of a window are one record.
func TestRecordCacheHoppingWindows(t *testing.T) {
	ddl := `CREATE STREAM clicks (user STRING KEY, page STRING) WITH (kafka_topic='clicks', value_format='JSON', partitions=1);`
	query := `CREATE TABLE out AS SELECT page, COUNT(*) AS n FROM clicks WINDOW HOPPING (SIZE 10 SECONDS, ADVANCE BY 5 SECONDS) GROUP BY page;`
	run := func(bytes int64) string {
		h := newQueryHarness(t, ddl, query)
		h.send("clicks", [3]any{"u", `{"PAGE":"a"}`, 1000}, [3]any{"u", `{"PAGE":"a"}`, 6000}, [3]any{"u", `{"PAGE":"a"}`, 7000})
		q := h.cachedQuery(bytes)
		if err := h.drain(q); err != nil {
			t.Fatal(err)
		}
		return h.committed("OUT", catalog.HoppingWindow)
	}
	if got, want := run(0), `a@0={"N":1} a@0={"N":2} a@5000={"N":1} a@0={"N":3} a@5000={"N":2}`; got != want {
		t.Fatalf("uncached %q, want %q", got, want)
	}
	if got, want := run(DefaultRecordCacheBytes), `a@0={"N":3} a@5000={"N":2}`; got != want {
		t.Fatalf("cached %q, want %q", got, want)
	}
}

// Session windows: sessions created and merged within one interval never
// appear (Kafka Streams' CachingSessionStore: a removed session that is
// not in the underlying store forwards nothing); a forwarded session that
// is merged away later is deleted; a merge that keeps a session's bounds
// is one update of it.
func TestRecordCacheSessionWindows(t *testing.T) {
	ddl := `CREATE STREAM clicks (user STRING KEY, page STRING) WITH (kafka_topic='clicks', value_format='JSON', partitions=1);`
	query := `CREATE TABLE out AS SELECT page, COUNT(*) AS n FROM clicks WINDOW SESSION (10 SECONDS) GROUP BY page;`
	rounds := [][][3]any{
		{{"u", `{"PAGE":"a"}`, 0}, {"u", `{"PAGE":"a"}`, 5000}, {"u", `{"PAGE":"b"}`, 1000}},
		{{"u", `{"PAGE":"a"}`, 8000}, {"u", `{"PAGE":"a"}`, 9000}},
		{{"u", `{"PAGE":"a"}`, 3000}},
	}
	run := func(bytes int64) []string {
		h := newQueryHarness(t, ddl, query)
		return h.runRounds(h.cachedQuery(bytes), "clicks", rounds, func() string { return h.committed("OUT", catalog.SessionWindow) })
	}
	uncached := []string{
		`a@0-0={"N":1} a@0-0=null a@0-5000={"N":2} b@1000-1000={"N":1}`,
		`a@0-5000=null a@0-8000={"N":3} a@0-8000=null a@0-9000={"N":4}`,
		`a@0-9000=null a@0-9000={"N":5}`,
	}
	cached := []string{
		`a@0-5000={"N":2} b@1000-1000={"N":1}`,
		`a@0-5000=null a@0-9000={"N":4}`,
		`a@0-9000={"N":5}`,
	}
	if got := run(0); fmt.Sprint(got) != fmt.Sprint(uncached) {
		t.Fatalf("uncached:\n%q\nwant\n%q", got, uncached)
	}
	if got := run(DefaultRecordCacheBytes); fmt.Sprint(got) != fmt.Sprint(cached) {
		t.Fatalf("cached:\n%q\nwant\n%q", got, cached)
	}
}

// A table aggregation over a table: the table source's cache forwards a
// key's latest row with the row it last forwarded as the old one, so the
// aggregation retracts what it counted, not an intermediate row.
func TestRecordCacheTableRetraction(t *testing.T) {
	ddl := `CREATE TABLE users (id STRING PRIMARY KEY, region STRING) WITH (kafka_topic='users', value_format='JSON', partitions=1);`
	query := `CREATE TABLE out AS SELECT region, COUNT(*) AS n FROM users GROUP BY region;`
	rounds := [][][3]any{
		{{"u1", `{"REGION":"eu"}`, 1}, {"u1", `{"REGION":"us"}`, 2}, {"u2", `{"REGION":"us"}`, 3}, {"u1", `{"REGION":"eu"}`, 4}},
		{{"u1", `{"REGION":"us"}`, 5}, {"u1", `{"REGION":"asia"}`, 6}, {"u2", "", 7}},
		// created and deleted within one interval: nothing to forward
		{{"u3", `{"REGION":"eu"}`, 8}, {"u3", "", 9}},
	}
	run := func(bytes int64) []string {
		h := newQueryHarness(t, ddl, query)
		return h.runRounds(h.cachedQuery(bytes), "users", rounds, func() string { return h.counts("OUT") })
	}
	uncached := []string{
		`eu=1 eu=0 us=1 us=2 us=1 eu=1`,
		`eu=0 us=2 us=1 asia=1 us=0`,
		`eu=1 eu=0`,
	}
	// Round 1: u2 (us) then u1 (eu), by their last update. Round 2: u1
	// goes from eu (last forwarded; us was never seen downstream) to
	// asia; u2 is deleted.
	cached := []string{
		`us=1 eu=1`,
		`eu=0 asia=1 us=0`,
		``,
	}
	if got := run(0); fmt.Sprint(got) != fmt.Sprint(uncached) {
		t.Fatalf("uncached:\n%q\nwant\n%q", got, uncached)
	}
	if got := run(DefaultRecordCacheBytes); fmt.Sprint(got) != fmt.Sprint(cached) {
		t.Fatalf("cached:\n%q\nwant\n%q", got, cached)
	}
}

// Updating a cached entry (its place in the dirty list and its size)
// allocates nothing.
func TestRecordCacheUpdateAllocatesNothing(t *testing.T) {
	if raceEnabled || testing.CoverMode() != "" {
		t.Skip("allocation counts are not meaningful under the race detector or coverage")
	}
	a := &aggregateOp{rc: &recordCache{max: 1 << 30}}
	es := []*aggEntry{
		{key: types.Row{"k1"}, accs: []types.Value{int64(1), 2.5}},
		{key: types.Row{"k2"}, accs: []types.Value{int64(1), 2.5}},
	}
	i := 0
	allocs := testing.AllocsPerRun(1000, func() {
		i++
		if err := a.cacheEntry(nil, es[i%2]); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per cached update, want 0", allocs)
	}
	if a.fwd.head == nil || a.fwd.head.next == nil || a.fwd.head.next.next != nil {
		t.Fatal("the dirty list should hold both entries once")
	}
}
