package exec

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/catalog"
	"github.com/ksqlgo/ksql/exec/functions"
	"github.com/ksqlgo/ksql/planner"
	"github.com/ksqlgo/ksql/sql"
	"github.com/ksqlgo/ksql/sql/ast"
)

// Foreign-key joins across partitions: LT (3 partitions) joined with RT
// (2 partitions) on LT.FK = RT.R_ID, planned by the planner (two stages:
// the left half with the join, the right half reading RT) and run over
// the embedded log and Pebble. The input comes in phases; a phase only
// updates left keys (each at most once) or only right keys (each at most
// once), and the query is drained between phases, so the results of each
// left key are one well-defined sequence, compared exactly with a model
// of docs/design-joins.md section 8 (order across keys is not defined).

const fkPartsDDL = `CREATE TABLE lt (l_id BIGINT PRIMARY KEY, name STRING, fk BIGINT) WITH (kafka_topic='lt', value_format='JSON', partitions=3);
CREATE TABLE rt (r_id BIGINT PRIMARY KEY, f1 STRING) WITH (kafka_topic='rt', value_format='JSON', partitions=2);
`

// fkPartsHarness plans "CREATE TABLE out AS SELECT l_id, r_id, name, f1
// FROM lt <join> rt ON fk = r_id" over topics with their partitions.
func fkPartsHarness(t *testing.T, join string) *harness {
	h := &harness{t: t, dir: t.TempDir()}
	h.open()
	ctx := context.Background()
	cat := catalog.New()
	stmts, err := sql.Parse(fkPartsDDL + "CREATE TABLE out AS SELECT l_id, r_id, name, f1 FROM lt " + join + " rt ON fk = r_id;")
	if err != nil {
		t.Fatal(err)
	}
	parts := map[string]int32{"lt": 3, "rt": 2}
	for _, st := range stmts[:2] {
		src, err := planner.PlanCreateSource(st.(*ast.CreateSource), cat, planner.Config{}, func(topic string) (planner.SourceDefaults, error) {
			return planner.SourceDefaults{TopicExists: true, TopicPartitions: parts[topic]}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		cat.PutSource(src)
		if err := h.lg.CreateTopic(ctx, src.Topic, broker.TopicConfig{Partitions: parts[src.Topic]}); err != nil {
			t.Fatal(err)
		}
	}
	cas := stmts[2].(*ast.CreateAsSelect)
	plan, sink, err := planner.PlanQuery(planner.QueryRequest{ID: "CTAS_OUT_0", Select: cas.Query, SinkName: cas.Name.Name,
		SinkKind: cas.Kind, Props: cas.Props, Text: cas.Text(), ServiceID: "t_"}, cat, functions.New(), planner.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Stages) != 2 || sink.Partitions != 3 {
		t.Fatalf("%d stages, sink of %d partitions; want 2 and 3", len(plan.Stages), sink.Partitions)
	}
	h.plan = plan
	if err := h.lg.CreateTopic(ctx, sink.Topic, broker.TopicConfig{Partitions: sink.Partitions}); err != nil {
		t.Fatal(err)
	}
	return h
}

// fkRec is an input record: a left row (name, fk; fk < 0: NULL), a right
// row (f1), or a delete (del).
type fkRec struct {
	left bool
	key  int64
	name string
	fk   int64
	del  bool
	ts   int64
}

func fkKey(k int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(k)) }

func (h *harness) sendFK(r fkRec) {
	topic, n := "rt", int32(2)
	var value []byte
	if r.left {
		topic, n = "lt", 3
		fk := "null"
		if r.fk >= 0 {
			fk = fmt.Sprint(r.fk)
		}
		value = []byte(fmt.Sprintf(`{"NAME":%q,"FK":%s}`, r.name, fk))
	} else {
		value = []byte(fmt.Sprintf(`{"F1":%q}`, r.name))
	}
	if r.del {
		value = nil
	}
	key := fkKey(r.key)
	if _, err := h.lg.Append(context.Background(), topic, broker.PartitionForKey(key, n), []broker.Record{{Key: key, Value: value, Timestamp: r.ts}}); err != nil {
		h.t.Fatal(err)
	}
}

// fkPhases: left keys 1..6 move between foreign keys 10, 11, 12 (and NULL),
// right rows come, change and go, left rows are deleted and come back.
func fkPhases() [][]fkRec {
	L := func(k int64, name string, fk, ts int64) fkRec {
		return fkRec{left: true, key: k, name: name, fk: fk, ts: ts}
	}
	LDel := func(k, ts int64) fkRec { return fkRec{left: true, key: k, del: true, ts: ts} }
	R := func(k int64, f1 string, ts int64) fkRec { return fkRec{key: k, name: f1, ts: ts} }
	RDel := func(k, ts int64) fkRec { return fkRec{key: k, del: true, ts: ts} }
	return [][]fkRec{
		{R(10, "r10", 5), R(11, "r11", 50)},
		{L(1, "a", 10, 10), L(2, "b", 11, 11), L(3, "c", 12, 12), L(4, "d", 10, 13), L(5, "e", -1, 14), L(6, "f", 11, 60)},
		{L(1, "a2", 11, 20), L(2, "b2", 10, 21), L(3, "c2", 10, 22), L(5, "e2", 12, 23)},
		{R(12, "r12", 30), R(10, "r10b", 31), RDel(11, 32)},
		{L(1, "a3", 10, 40), L(2, "b3", 11, 41), L(4, "d2", -1, 42), L(6, "f2", 12, 43)},
		{R(11, "r11b", 45), RDel(12, 46), RDel(13, 47)},
		{LDel(1, 50), LDel(4, 51), L(3, "c3", 11, 52), LDel(7, 53)},
		{R(10, "r10c", 55), R(11, "r11c", 56), R(12, "r12b", 57)},
		{L(1, "a4", 12, 60), L(4, "d3", 10, 61), L(2, "b4", 12, 62), L(5, "e3", 11, 63)},
		{RDel(10, 70), R(12, "r12c", 71)},
	}
}

// fkModel computes the expected results per left key ("R_ID,NAME,F1@ts"
// or "null@ts") by docs/design-joins.md section 8, one record at a time.
func fkModel(phases [][]fkRec, left bool) map[int64][]string {
	type lrow struct {
		name string
		fk   int64
		ver  int
	}
	type rrow struct {
		f1 string
		ts int64
	}
	type sub struct {
		fk  int64
		ver int
	}
	L, R, subs := map[int64]lrow{}, map[int64]rrow{}, map[int64]sub{}
	out := map[int64][]string{}
	ver := 0
	emit := func(k int64, l *lrow, r *rrow, fk, ts int64) {
		if l == nil {
			out[k] = append(out[k], fmt.Sprintf("null@%d", ts))
			return
		}
		rid, f1 := "null", "null"
		if r != nil {
			rid, f1 = fmt.Sprint(fk), r.f1
		}
		out[k] = append(out[k], fmt.Sprintf("%s,%s,%s@%d", rid, l.name, f1, ts))
	}
	at := func(ts, fk int64) (*rrow, int64) {
		if r, ok := R[fk]; ok && fk >= 0 {
			return &r, max(ts, r.ts)
		}
		return nil, ts
	}
	for _, phase := range phases {
		for _, in := range phase {
			if !in.left {
				if in.del {
					delete(R, in.key)
				} else {
					R[in.key] = rrow{in.name, in.ts}
				}
				keys := make([]int64, 0, len(subs))
				for k := range subs {
					keys = append(keys, k)
				}
				slices.Sort(keys)
				for _, k := range keys {
					s := subs[k]
					l, ok := L[k]
					if s.fk != in.key || !ok || l.ver != s.ver {
						continue // not subscribed, or a stale subscription
					}
					if in.del {
						if left {
							emit(k, &l, nil, 0, in.ts)
						} else {
							emit(k, nil, nil, 0, in.ts)
						}
						continue
					}
					r := R[in.key]
					emit(k, &l, &r, in.key, in.ts)
				}
				continue
			}
			k := in.key
			old, found := L[k]
			if in.del {
				if !found {
					continue
				}
				delete(L, k)
				if old.fk < 0 {
					if left {
						emit(k, nil, nil, 0, in.ts)
					}
					continue
				}
				delete(subs, k)
				_, ts := at(in.ts, old.fk)
				emit(k, nil, nil, 0, ts)
				continue
			}
			ver++
			nl := lrow{in.name, in.fk, ver}
			L[k] = nl
			if !left {
				if in.fk < 0 || found && old.fk < 0 {
					continue
				}
				subs[k] = sub{in.fk, ver}
				r, ts := at(in.ts, in.fk)
				if r != nil {
					emit(k, &nl, r, in.fk, ts)
				} else if found {
					emit(k, nil, nil, 0, ts)
				}
				continue
			}
			if found && old.fk >= 0 && old.fk != in.fk {
				delete(subs, k)
				emit(k, &nl, nil, 0, in.ts)
			}
			if in.fk < 0 {
				emit(k, &nl, nil, 0, in.ts)
				continue
			}
			subs[k] = sub{in.fk, ver}
			r, ts := at(in.ts, in.fk)
			emit(k, &nl, r, in.fk, ts)
		}
	}
	return out
}

// fkResults reads the committed output per left key.
func (h *harness) fkResults() map[int64][]string {
	out := map[int64][]string{}
	for p := int32(0); p < 3; p++ {
		recs, err := broker.ReadAll(context.Background(), h.lg, "OUT", p, 0, broker.ReadCommitted, 0)
		if err != nil {
			h.t.Fatal(err)
		}
		for _, r := range recs {
			if len(r.Key) != 8 {
				h.t.Fatalf("output key %q", r.Key)
			}
			k := int64(binary.BigEndian.Uint64(r.Key))
			if want := broker.PartitionForKey(r.Key, 3); want != p {
				h.t.Fatalf("key %d in partition %d, want %d", k, p, want)
			}
			s := "null"
			if r.Value != nil {
				var m map[string]any
				if err := json.Unmarshal(r.Value, &m); err != nil {
					h.t.Fatal(err)
				}
				var vs []string
				for _, c := range []string{"R_ID", "NAME", "F1"} {
					if v := m[c]; v != nil {
						vs = append(vs, fmt.Sprint(v))
					} else {
						vs = append(vs, "null")
					}
				}
				s = strings.Join(vs, ",")
			}
			out[k] = append(out[k], fmt.Sprintf("%s@%d", s, r.Timestamp))
		}
	}
	return out
}

func fkShowResults(m map[int64][]string) string {
	keys := make([]int64, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "\n  %d: %s", k, strings.Join(m[k], " "))
	}
	return b.String()
}

// fkPartsRun runs the phases; in phase crashPhase, after polls polls
// (each committed), crash interrupts the query and the phase goes on in a
// new query over the same log and store.
func fkPartsRun(t *testing.T, join string, decided bool, crashPhase, polls int, crash func(h *harness, q *Query)) map[int64][]string {
	h := fkPartsHarness(t, join)
	setup := func() {
		h.rt.MaxBatch, h.rt.CommitInterval = 1, time.Hour
		if decided {
			h.rt.Log = &decidedLog{Log: h.log}
		}
	}
	setup()
	q := h.query()
	for pi, phase := range fkPhases() {
		for _, r := range phase {
			h.sendFK(r)
		}
		if pi == crashPhase && crash != nil {
			q = h.crashAfter(q, polls, decided, crash, setup)
		}
		if err := h.drain(q); err != nil {
			t.Fatal(err)
		}
	}
	return h.fkResults()
}

func TestFKJoinAcrossPartitions(t *testing.T) {
	for _, c := range []struct {
		join string
		left bool
	}{{"JOIN", false}, {"LEFT JOIN", true}} {
		want := fkModel(fkPhases(), c.left)
		if got := fkPartsRun(t, c.join, false, -1, 0, nil); !maps2Equal(got, want) {
			t.Fatalf("%s: results per key:%s\nwant:%s", c.join, fkShowResults(got), fkShowResults(want))
		}
		if got := fkPartsRun(t, c.join, true, -1, 0, nil); !maps2Equal(got, want) {
			t.Fatalf("%s over a decided log: results per key:%s\nwant:%s", c.join, fkShowResults(got), fkShowResults(want))
		}
	}
}

func maps2Equal(a, b map[int64][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

// A crash in the middle of a phase, in any window of either commit
// protocol, gives every result exactly once: what one half wrote for the
// other is processed once.
func TestFKJoinAcrossPartitionsCrashRestart(t *testing.T) {
	step := func(t *testing.T, q *Query) bool {
		p, err := q.Step(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	failing := func(t *testing.T, q *Query, p bool) {
		if _, err := q.Commit(context.Background()); err == nil && p {
			t.Fatal("commit did not fail")
		}
	}
	embeddedModes := map[string]func(h *harness, q *Query){
		"uncommitted work lost": func(h *harness, q *Query) { step(t, q) },
		"after prepare, before the state commit": func(h *harness, q *Query) {
			p := step(t, q)
			h.store.failCommit, h.log.failEnd = true, true
			failing(t, q, p)
		},
		"after the state commit, before the log commit": func(h *harness, q *Query) {
			p := step(t, q)
			h.log.failEnd = true
			failing(t, q, p)
		},
	}
	decidedModes := map[string]func(h *harness, q *Query){
		"uncommitted work lost": func(h *harness, q *Query) { step(t, q) },
		"log committed, state commit failed": func(h *harness, q *Query) {
			p := step(t, q)
			h.store.failNext = 1
			failing(t, q, p)
		},
		"log commit failed": func(h *harness, q *Query) {
			p := step(t, q)
			h.log.failEnd = true
			failing(t, q, p)
		},
		"state lost": func(h *harness, q *Query) {
			step(t, q)
			if _, err := q.Commit(context.Background()); err != nil {
				t.Fatal(err)
			}
			b := h.db.NewBatch()
			b.DeleteRange([]byte("m/"), []byte("m0"))
			b.DeleteRange([]byte("s/"), []byte("s0"))
			if err := b.Commit(true); err != nil {
				t.Fatal(err)
			}
		},
	}
	for _, c := range []struct {
		join string
		left bool
	}{{"JOIN", false}, {"LEFT JOIN", true}} {
		want := fkModel(fkPhases(), c.left)
		for _, decided := range []bool{false, true} {
			modes := embeddedModes
			if decided {
				modes = decidedModes
			}
			for name, crash := range modes {
				// Phase 2 moves foreign keys (left-triggered), phase 3
				// changes right rows (right-triggered).
				for _, at := range [][2]int{{2, 1}, {2, 3}, {3, 2}} {
					got := fkPartsRun(t, c.join, decided, at[0], at[1], crash)
					if !maps2Equal(got, want) {
						t.Fatalf("%s, decided %v, %s in phase %d after %d polls: results per key:%s\nwant:%s",
							c.join, decided, name, at[0], at[1], fkShowResults(got), fkShowResults(want))
					}
				}
			}
		}
	}
}

// With every phase produced at once and the stages racing (subscriptions
// and right updates cross, answers go stale), the last result of every
// left key is its current left row joined with the current right row: the
// hash check drops the stale answers. (LEFT: INNER's quirks for NULL
// foreign keys depend on the order the halves see the updates in.)
func TestFKJoinAcrossPartitionsRacing(t *testing.T) {
	last := func(m map[int64][]string) map[int64]string {
		out := map[int64]string{}
		for k, v := range m {
			s, _, _ := strings.Cut(v[len(v)-1], "@")
			out[k] = s
		}
		return out
	}
	want := last(fkModel(fkPhases(), true))
	for _, batch := range []int{1, 2, 5} {
		h := fkPartsHarness(t, "LEFT JOIN")
		h.rt.MaxBatch = batch
		for _, phase := range fkPhases() {
			for _, r := range phase {
				h.sendFK(r)
			}
		}
		if err := h.drain(h.query()); err != nil {
			t.Fatal(err)
		}
		if got := last(h.fkResults()); !maps.Equal(got, want) {
			t.Fatalf("batch %d: last results %v, want %v", batch, got, want)
		}
	}
}

// The subscription and response topics are the query's own: created with
// the partitions of the table each is co-partitioned with, listed for
// deletion with the query, and purged behind the half that reads them.
func TestFKJoinInternalTopics(t *testing.T) {
	h := fkPartsHarness(t, "LEFT JOIN")
	h.purgeEveryCommit(512)
	q := h.query()
	for _, phase := range fkPhases() {
		for _, r := range phase {
			h.sendFK(r)
		}
		if err := h.drain(q); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	want := map[string]int32{
		"_confluent-ksql-t_query_CTAS_OUT_0-Join-subscription-registration-topic": 2,
		"_confluent-ksql-t_query_CTAS_OUT_0-Join-subscription-response-topic":     3,
	}
	listed := h.rt.InternalTopics(h.plan)
	for name, n := range want {
		if !slices.Contains(listed, name) {
			t.Errorf("%s not among the query's internal topics %v", name, listed)
		}
		info, err := h.lg.Topic(ctx, name)
		if err != nil || info.Config.Partitions != n {
			t.Fatalf("%s: %+v, %v; want %d partitions", name, info, err, n)
		}
		purged := false
		for p := range n {
			off, err := h.lg.Offsets(ctx, name, p)
			if err != nil {
				t.Fatal(err)
			}
			purged = purged || off.Start > 0
		}
		if !purged {
			t.Errorf("%s not purged", name)
		}
	}
}
