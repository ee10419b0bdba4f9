package exec

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/catalog"
	"github.com/ksqlgo/ksql/exec/functions"
	"github.com/ksqlgo/ksql/planner"
	"github.com/ksqlgo/ksql/sql/types"
)

// Join stages, run over the real embedded log and Pebble: plans are built
// by hand (a stage with a main input and side inputs, a projection of
// each input into the join's layout, the joins, a projection to the sink
// row, a sink), records are produced into the input topics and the sink
// topic is compared exactly. Every input has a STRING key ID and one
// STRING value column V (JSON).

// jIn is an input topic with key ID and value V.
func jIn(name string, table bool) planner.Input {
	return planner.Input{Topic: planner.Topic{
		Name: name, Partitions: 1,
		KeyFormat: catalog.Format{Name: "KAFKA"}, ValueFormat: catalog.Format{Name: "JSON"},
		Key:   []catalog.Column{{Name: "ID", Type: types.StringType, Kind: catalog.KeyColumn}},
		Value: []catalog.Column{{Name: "V", Type: types.StringType, Kind: catalog.ValueColumn}},
	}, Table: table, TimestampColumn: -1, SourceName: name}
}

// jProj projects the first n slots; all but the key are NULL for a null row.
func jProj(n int) *planner.Project {
	p := &planner.Project{}
	for i := 0; i < n; i++ {
		p.Exprs = append(p.Exprs, &planner.Column{Index: i, T: types.StringType})
		p.Names = append(p.Names, fmt.Sprintf("C%d", i))
		p.NullOnNullRow = append(p.NullOnNullRow, i > 0)
	}
	return p
}

// jSink writes [ID, values...] to OUT.
func jSink(table bool, values ...string) *planner.Sink {
	s := &planner.Sink{Topic: planner.Topic{Name: "OUT", Partitions: 1,
		KeyFormat: catalog.Format{Name: "KAFKA"}, ValueFormat: catalog.Format{Name: "JSON"},
		Key: []catalog.Column{{Name: "ID", Type: types.StringType, Kind: catalog.KeyColumn}}},
		Name: "OUT", Table: table, TimestampColumn: -1}
	for _, v := range values {
		s.Value = append(s.Value, catalog.Column{Name: v, Type: types.StringType, Kind: catalog.ValueColumn})
	}
	return s
}

// twoWayPlan joins L (left) with R (right) into OUT [ID, L, R]; filter,
// when set, runs on the join's output.
func twoWayPlan(kind planner.JoinKind, typ planner.JoinType, filter planner.Expr) *planner.QueryPlan {
	table := kind == planner.TableTable
	ops := []planner.Op{jProj(2), &planner.Join{Kind: kind, Type: typ, Right: 0, KeyCount: 1, LeftWidth: 2, RightWidth: 2, StoreName: "Join"}}
	if filter != nil {
		ops = append(ops, &planner.Filter{Pred: filter, Clause: "WHERE"})
	}
	ops = append(ops, jProj(3))
	st := &planner.Stage{Input: jIn("L", table), Ops: ops,
		Sides: []planner.Side{{Input: jIn("R", kind != planner.StreamStream), Ops: []planner.Op{jProj(2)}, Join: 1}},
		Sink:  jSink(table, "L", "R")}
	return &planner.QueryPlan{ID: "Q_JOIN_0", Stages: []*planner.Stage{st}, Sink: st.Sink}
}

// threeWayPlan joins A with B (join1), then the result with C (join2),
// into OUT [ID, A, B, C].
func threeWayPlan(kind planner.JoinKind, t1, t2 planner.JoinType) *planner.QueryPlan {
	table := kind == planner.TableTable
	st := &planner.Stage{Input: jIn("A", table),
		Ops: []planner.Op{
			jProj(2),
			&planner.Join{Kind: kind, Type: t1, Right: 0, KeyCount: 1, LeftWidth: 2, RightWidth: 2, StoreName: "Join1"},
			jProj(3),
			&planner.Join{Kind: kind, Type: t2, Right: 1, KeyCount: 1, LeftWidth: 3, RightWidth: 2, StoreName: "Join2"},
			jProj(4),
		},
		Sides: []planner.Side{
			{Input: jIn("B", true), Ops: []planner.Op{jProj(2)}, Join: 1},
			{Input: jIn("C", true), Ops: []planner.Op{jProj(2)}, Join: 3},
		},
		Sink: jSink(table, "A", "B", "C")}
	return &planner.QueryPlan{ID: "Q_JOIN3_0", Stages: []*planner.Stage{st}, Sink: st.Sink}
}

// newJoinHarness opens a log and a store with the topics of plan.
func newJoinHarness(t *testing.T, plan *planner.QueryPlan) *harness {
	h := &harness{t: t, dir: t.TempDir(), plan: plan}
	h.open()
	for _, name := range []string{"L", "R", "A", "B", "C", "OUT"} {
		if err := h.lg.CreateTopic(context.Background(), name, broker.TopicConfig{Partitions: 1}); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

// jrec is an input record: "topic key=value@ts", value "-" for null,
// key "-" for none.
type jrec struct {
	topic, key, value string
	ts                int64
}

func parseJrecs(t *testing.T, spec string) []jrec {
	var out []jrec
	for _, f := range strings.Fields(spec) {
		var r jrec
		topic, rest, _ := strings.Cut(f, ":")
		kv, ts, _ := strings.Cut(rest, "@")
		k, v, _ := strings.Cut(kv, "=")
		if _, err := fmt.Sscan(ts, &r.ts); err != nil {
			t.Fatalf("bad record %q", f)
		}
		r.topic, r.key, r.value = topic, k, v
		out = append(out, r)
	}
	return out
}

func (h *harness) sendJoin(r jrec) {
	rec := broker.Record{Timestamp: r.ts}
	if r.key != "-" {
		rec.Key = []byte(r.key)
	}
	if r.value != "-" {
		rec.Value = []byte(`{"V":"` + r.value + `"}`)
	}
	if _, err := h.lg.Append(context.Background(), r.topic, 0, []broker.Record{rec}); err != nil {
		h.t.Fatal(err)
	}
}

// sinkOutput is the committed output as "key:v1,v2@ts" ("-" for a null
// key, "<tomb>" for a null value), values in the sink's column order.
func (h *harness) sinkOutput() string {
	recs, err := broker.ReadAll(context.Background(), h.lg, "OUT", 0, 0, broker.ReadCommitted, 0)
	if err != nil {
		h.t.Fatal(err)
	}
	var out []string
	for _, r := range recs {
		key := "-"
		if r.Key != nil {
			key = string(r.Key)
		}
		val := "<tomb>"
		if r.Value != nil {
			var m map[string]any
			if err := json.Unmarshal(r.Value, &m); err != nil {
				h.t.Fatalf("output value %q: %v", r.Value, err)
			}
			var vs []string
			for _, c := range h.plan.Sink.Value {
				if v, ok := m[c.Name]; ok && v != nil {
					vs = append(vs, fmt.Sprint(v))
				} else {
					vs = append(vs, "null")
				}
			}
			val = strings.Join(vs, ",")
		}
		out = append(out, fmt.Sprintf("%s:%s@%d", key, val, r.Timestamp))
	}
	return strings.Join(out, " ")
}

// runOneByOne produces each record and drains the query before the next,
// as the conformance runner does.
func runOneByOne(t *testing.T, h *harness, q *Query, spec string) {
	t.Helper()
	for _, r := range parseJrecs(t, spec) {
		h.sendJoin(r)
		if err := h.drain(q); err != nil {
			t.Fatal(err)
		}
	}
}

func checkOutput(t *testing.T, h *harness, want string) {
	t.Helper()
	if got := h.sinkOutput(); got != strings.Join(strings.Fields(want), " ") {
		t.Fatalf("output\n got: %s\nwant: %s", got, strings.Join(strings.Fields(want), " "))
	}
}

// design-joins.md section 6: table updates and deletes emit nothing; the
// next stream record sees them; a delete makes LEFT pad with nulls; a
// stream record without a value is dropped; one without a key is dropped
// by INNER and padded by LEFT. The output has the stream record's time.
const streamTableInput = `
	R:k1=r1@100 L:k1=a@10 L:k2=b@11 R:k1=r2@15 L:k1=c@16 R:k1=-@17 L:k1=d@18 L:k1=-@19 L:-=e@20`

func TestStreamTableInnerJoin(t *testing.T) {
	h := newJoinHarness(t, twoWayPlan(planner.StreamTable, planner.InnerJoin, nil))
	runOneByOne(t, h, h.query(), streamTableInput)
	checkOutput(t, h, `k1:a,r1@10 k1:c,r2@16`)
}

func TestStreamTableLeftJoin(t *testing.T) {
	h := newJoinHarness(t, twoWayPlan(planner.StreamTable, planner.LeftJoin, nil))
	runOneByOne(t, h, h.query(), streamTableInput)
	checkOutput(t, h, `k1:a,r1@10 k2:b,null@11 k1:c,r2@16 k1:d,null@18 -:e,null@20`)
}

// Records available on both inputs at once are processed in timestamp
// order across the inputs: the stream record at 10 does not see the table
// update at 15, the one at 20 does.
func TestJoinInputsMergedByTimestamp(t *testing.T) {
	h := newJoinHarness(t, twoWayPlan(planner.StreamTable, planner.LeftJoin, nil))
	for _, r := range parseJrecs(t, `L:k1=a@10 L:k1=b@20 L:k1=c@30 R:k1=x@15 R:k1=y@25 R:k1=z@30`) {
		h.sendJoin(r)
	}
	if err := h.drain(h.query()); err != nil {
		t.Fatal(err)
	}
	// The tie at 30 goes to the main input: c does not see z.
	checkOutput(t, h, `k1:a,null@10 k1:b,x@20 k1:c,y@30`)
}

// A new query with auto.offset.reset=latest reads the stream from its end
// and the table side of the join from the beginning.
func TestJoinTableSideStartsAtEarliest(t *testing.T) {
	h := newJoinHarness(t, twoWayPlan(planner.StreamTable, planner.InnerJoin, nil))
	for _, r := range parseJrecs(t, `R:k1=x@1 L:k1=old@2`) {
		h.sendJoin(r)
	}
	q, err := NewQuery(context.Background(), h.rt, h.plan, QueryOptions{StartAtEnd: true})
	if err != nil {
		t.Fatal(err)
	}
	runOneByOne(t, h, q, `L:k1=new@3`)
	checkOutput(t, h, `k1:new,x@3`)
}

// design-joins.md section 7, every join type on one sequence of updates.
const tableTableInput = `
	L:k1=a@1 R:k1=x@2 L:k1=b@3 R:k2=y@4 R:k1=-@5 L:k1=-@6 L:k3=c@7 L:k2=d@8 R:k2=-@9 R:k2=-@10`

func TestTableTableJoins(t *testing.T) {
	for _, c := range []struct {
		name string
		typ  planner.JoinType
		want string
	}{
		{"inner", planner.InnerJoin, `k1:a,x@2 k1:b,x@3 k1:<tomb>@5 k2:d,y@8 k2:<tomb>@9 k2:<tomb>@10`},
		{"left", planner.LeftJoin, `k1:a,null@1 k1:a,x@2 k1:b,x@3 k1:b,null@5 k1:<tomb>@6 k3:c,null@7 k2:d,y@8 k2:d,null@9 k2:d,null@10`},
		{"right", planner.RightJoin, `k1:a,x@2 k1:b,x@3 k2:null,y@4 k1:<tomb>@5 k2:d,y@8 k2:<tomb>@9 k2:<tomb>@10`},
		{"full", planner.FullJoin, `k1:a,null@1 k1:a,x@2 k1:b,x@3 k2:null,y@4 k1:b,null@5 k1:<tomb>@6 k3:c,null@7 k2:d,y@8 k2:d,null@9 k2:d,null@10`},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := newJoinHarness(t, twoWayPlan(planner.TableTable, c.typ, nil))
			runOneByOne(t, h, h.query(), tableTableInput)
			checkOutput(t, h, c.want)
		})
	}
}

// A WHERE after a table-table join is a KTable filter with old values: a
// result that fails it is a tombstone only when the previous result
// passed; when neither passes nothing is emitted.
func TestTableTableJoinThenWhere(t *testing.T) {
	where := &planner.IsNull{X: &planner.Column{Index: 2, T: types.StringType}, Not: true} // R IS NOT NULL
	h := newJoinHarness(t, twoWayPlan(planner.TableTable, planner.LeftJoin, where))
	runOneByOne(t, h, h.query(), `L:k1=a@1 R:k1=x@2 R:k1=-@3 L:k1=b@4 L:k1=-@5 L:k2=c@6 R:k2=y@7 L:k2=-@8`)
	checkOutput(t, h, `k1:a,x@2 k1:<tomb>@3 k2:c,y@7 k2:<tomb>@8`)
}

// A stream joined with two tables in one stage: the second join's left
// input is the first join's output.
func TestStreamTableTableJoin(t *testing.T) {
	h := newJoinHarness(t, threeWayPlan(planner.StreamTable, planner.LeftJoin, planner.InnerJoin))
	runOneByOne(t, h, h.query(), `B:k1=b1@1 C:k1=c1@2 A:k1=s1@3 A:k2=s2@4 C:k2=c2@5 A:k2=s3@6`)
	checkOutput(t, h, `k1:s1,b1,c1@3 k2:s3,null,c2@6`)
}

// Three tables: updates of C look up the current rows of A LEFT JOIN B,
// computed by the first join from its sides.
func TestTableTableTableJoin(t *testing.T) {
	h := newJoinHarness(t, threeWayPlan(planner.TableTable, planner.LeftJoin, planner.InnerJoin))
	runOneByOne(t, h, h.query(), `A:k1=a1@1 C:k1=c1@2 B:k1=b1@3 A:k1=-@4 C:k1=c2@5 A:k1=a2@6`)
	checkOutput(t, h, `k1:a1,null,c1@2 k1:a1,b1,c1@3 k1:<tomb>@4 k1:a2,b1,c2@6`)
}

// The positions of every input are committed, survive a restart, and are
// reported by Lag.
func TestJoinPositionsSurviveRestart(t *testing.T) {
	h := newJoinHarness(t, twoWayPlan(planner.StreamTable, planner.LeftJoin, nil))
	for _, r := range parseJrecs(t, `L:k1=a@1 L:k1=b@2 L:k1=c@3 R:k1=x@1 R:k1=y@2`) {
		h.sendJoin(r)
	}
	if err := h.drain(h.query()); err != nil {
		t.Fatal(err)
	}
	h.crash()
	q := h.query()
	task := q.tasks[0]
	if task.pos != 3 || len(task.sides) != 1 || task.sides[0].pos != 2 {
		t.Fatalf("positions after restart: main %d, sides %d", task.pos, len(task.sides))
	}
	lag := q.Lag(context.Background())
	if len(lag) != 2 || lag[0].Topic != "L" || lag[0].Committed != 3 || lag[0].End != 3 ||
		lag[1].Topic != "R" || lag[1].Committed != 2 || lag[1].End != 2 {
		t.Fatalf("lag %+v", lag)
	}
	if err := q.checkInputs(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// A task whose side input has data while its main input has none makes
// progress.
func TestJoinSideInputAloneMakesProgress(t *testing.T) {
	h := newJoinHarness(t, twoWayPlan(planner.StreamTable, planner.InnerJoin, nil))
	q := h.query()
	h.sendJoin(jrec{topic: "R", key: "k1", value: "x", ts: 1})
	p, err := q.Step(context.Background())
	if err != nil || !p {
		t.Fatalf("step with only side data: progress %v, %v", p, err)
	}
	if p, err := q.Step(context.Background()); err != nil || p {
		t.Fatalf("idle step: progress %v, %v", p, err)
	}
	if q.tasks[0].sides[0].pos != 1 {
		t.Fatalf("side position %d", q.tasks[0].sides[0].pos)
	}
}

// waitLog blocks waits on the main input until cancelled and reports data
// on the side at once.
type waitLog struct {
	broker.Log
	mainCancelled chan struct{}
}

func (w *waitLog) Wait(ctx context.Context, topic string, partition int32, offset int64, iso broker.Isolation) error {
	if topic == "R" {
		return nil
	}
	<-ctx.Done()
	close(w.mainCancelled)
	return ctx.Err()
}

// The idle wait of a join task ends as soon as any input has data: here
// the side answers at once, so waitInputs returns without waiting out its
// (hour-long) interval, having cancelled the wait on the main input.
func TestJoinIdleWaitWakesOnSide(t *testing.T) {
	h := newJoinHarness(t, twoWayPlan(planner.StreamTable, planner.InnerJoin, nil))
	q := h.query()
	w := &waitLog{Log: h.rt.Log, mainCancelled: make(chan struct{})}
	q.rt.Log = w
	q.waitInputs(context.Background(), q.tasks[0], time.Hour)
	<-w.mainCancelled
}

// crashInput has more records on one side than the other, so that polls
// (one record per input with MaxBatch 1) see both inputs, then one.
const crashInput = `
	L:k1=a@1 R:k1=x@2 L:k1=b@3 R:k2=y@4 R:k1=-@5 L:k1=-@6 L:k3=c@7 L:k2=d@8 L:k3=e@9 L:k1=f@10`

// joinRun drives a FULL table-table join over crashInput, all produced up
// front and read one record per input per poll: crash(q) interrupts it
// after the given number of committed polls, and the run continues in a
// new query over the same log and store.
func joinRun(t *testing.T, decided bool, polls int, crash func(h *harness, q *Query)) string {
	h := newJoinHarness(t, twoWayPlan(planner.TableTable, planner.FullJoin, nil))
	setup := func() {
		h.rt.MaxBatch, h.rt.CommitInterval = 1, time.Hour
		if decided {
			h.rt.Log = &decidedLog{Log: h.log}
		}
	}
	setup()
	for _, r := range parseJrecs(t, crashInput) {
		h.sendJoin(r)
	}
	q := h.query()
	if crash != nil {
		q = h.crashAfter(q, polls, decided, crash, setup)
	}
	if err := h.drain(q); err != nil {
		t.Fatal(err)
	}
	return h.sinkOutput()
}

// crashAfter steps and commits q polls times, runs crash (which fails a
// step of the commit protocol), crashes the process (or, on a log that
// decides its transactions, reopens it), runs setup on the new runtime
// and returns the query built again.
func (h *harness) crashAfter(q *Query, polls int, decided bool, crash func(*harness, *Query), setup func()) *Query {
	h.t.Helper()
	ctx := context.Background()
	for i := 0; i < polls; i++ {
		if _, err := q.Step(ctx); err != nil {
			h.t.Fatal(err)
		}
		if _, err := q.Commit(ctx); err != nil {
			h.t.Fatal(err)
		}
	}
	crash(h, q)
	if decided {
		h.reopen()
	} else {
		h.crash()
	}
	setup()
	return h.query()
}

// A crash at any poll, in any window of the commit protocol, gives the
// output of an uninterrupted run, each result exactly once.
func TestJoinCrashRestartExactlyOnce(t *testing.T) {
	want := joinRun(t, false, 0, nil)
	if n := len(strings.Fields(want)); n < 8 {
		t.Fatalf("reference output too short: %s", want)
	}
	step := func(h *harness, q *Query) bool {
		p, err := q.Step(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	modes := map[string]func(h *harness, q *Query){
		"uncommitted work lost": func(h *harness, q *Query) { step(h, q) },
		"after prepare, before the state commit": func(h *harness, q *Query) {
			p := step(h, q)
			h.store.failCommit, h.log.failEnd = true, true
			if _, err := q.Commit(context.Background()); err == nil && p {
				t.Fatal("commit did not fail")
			}
		},
		"after the state commit, before the log commit": func(h *harness, q *Query) {
			p := step(h, q)
			h.log.failEnd = true
			if _, err := q.Commit(context.Background()); err == nil && p {
				t.Fatal("commit did not fail")
			}
		},
	}
	// A join store that keeps (almost) nothing cached after a commit
	// reads its rows back from the state store.
	old := cacheLimit
	cacheLimit = 1
	defer func() { cacheLimit = old }()
	for name, crash := range modes {
		for polls := 0; polls <= 10; polls++ {
			if got := joinRun(t, false, polls, crash); got != want {
				t.Fatalf("%s after %d polls:\n got: %s\nwant: %s", name, polls, got, want)
			}
		}
	}
}

// The same over a log that decides its transactions (changelog.go): the
// join stores are restored from the changelog and every input's position
// from its meta record.
func TestJoinCrashRestartExactlyOnceLogDecided(t *testing.T) {
	want := joinRun(t, false, 0, nil)
	if got := joinRun(t, true, 0, nil); got != want {
		t.Fatalf("uninterrupted over the decided log:\n got: %s\nwant: %s", got, want)
	}
	step := func(h *harness, q *Query) bool {
		p, err := q.Step(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	modes := map[string]func(h *harness, q *Query){
		"uncommitted work lost": func(h *harness, q *Query) { step(h, q) },
		"log committed, state commit failed": func(h *harness, q *Query) {
			p := step(h, q)
			h.store.failNext = 1
			if _, err := q.Commit(context.Background()); err == nil && p {
				t.Fatal("commit did not fail")
			}
		},
		"log commit failed": func(h *harness, q *Query) {
			p := step(h, q)
			h.log.failEnd = true
			if _, err := q.Commit(context.Background()); err == nil && p {
				t.Fatal("commit did not fail")
			}
		},
		"state lost": func(h *harness, q *Query) {
			step(h, q)
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
	for name, crash := range modes {
		for polls := 0; polls <= 10; polls++ {
			if got := joinRun(t, true, polls, crash); got != want {
				t.Fatalf("%s after %d polls:\n got: %s\nwant: %s", name, polls, got, want)
			}
		}
	}
}

// Over a decided log the consumer group's offsets cover every input.
func TestJoinLogDecidedCommitsEveryInputOffset(t *testing.T) {
	h := newJoinHarness(t, twoWayPlan(planner.StreamTable, planner.LeftJoin, nil))
	h.rt.Log = &decidedLog{Log: h.log}
	for _, r := range parseJrecs(t, `L:k1=a@1 L:k1=b@2 R:k1=x@1`) {
		h.sendJoin(r)
	}
	if err := h.drain(h.query()); err != nil {
		t.Fatal(err)
	}
	offs, err := h.lg.FetchOffsets(context.Background(), h.rt.appID(h.plan.ID))
	if err != nil || offs[broker.TopicPartition{Topic: "L"}] != 2 || offs[broker.TopicPartition{Topic: "R"}] != 1 {
		t.Fatalf("group offsets %v (%v), want L-0 at 2 and R-0 at 1", offs, err)
	}
}

// A side input that is one of the query's repartition topics (a table
// rekeyed by an earlier stage) is purged behind the join stage, and its
// deletes (envelopes with only the old row) delete from the join's table.
func TestJoinSideRepartitionTopicIsPurged(t *testing.T) {
	repart := planner.Topic{Name: "Q_JOIN_0-R-repartition", Partitions: 1,
		KeyFormat: catalog.Format{Name: "KAFKA"}, ValueFormat: catalog.Format{Name: "JSON"},
		Key:   []catalog.Column{{Name: "ID", Type: types.StringType, Kind: catalog.KeyColumn}},
		Value: []catalog.Column{{Name: "V", Type: types.StringType, Kind: catalog.ValueColumn}}, Internal: true}
	st0 := &planner.Stage{Input: jIn("R", true),
		Ops:         []planner.Op{&planner.TableSource{StoreName: "R-source"}, jProj(2)},
		Repartition: &planner.Repartition{Topic: repart, KeyCount: 1}}
	st1 := &planner.Stage{Input: jIn("L", false),
		Ops:   []planner.Op{jProj(2), &planner.Join{Kind: planner.StreamTable, Type: planner.LeftJoin, KeyCount: 1, LeftWidth: 2, RightWidth: 2, StoreName: "Join"}, jProj(3)},
		Sides: []planner.Side{{Input: planner.Input{Topic: repart, Table: true, TimestampColumn: -1}, Ops: []planner.Op{jProj(2)}, Join: 1}},
		Sink:  jSink(false, "L", "R")}
	plan := &planner.QueryPlan{ID: "Q_JOIN_0", Stages: []*planner.Stage{st0, st1}, Sink: st1.Sink}
	h := newJoinHarness(t, plan)
	h.purgeEveryCommit(1024)
	q := h.query()
	var spec []string
	for i := 0; i < 40; i++ {
		spec = append(spec, fmt.Sprintf("R:k1=x%d@%d", i, i))
	}
	runOneByOne(t, h, q, strings.Join(spec, " ")+" L:k1=a@100 R:k1=-@101 L:k1=b@102")
	checkOutput(t, h, `k1:a,x39@100 k1:b,null@102`)
	off, err := h.lg.Offsets(context.Background(), repart.Name, 0)
	if err != nil {
		t.Fatal(err)
	}
	if off.Start == 0 {
		t.Fatalf("side repartition topic %s not purged: %+v", repart.Name, off)
	}
}

// Validate compiles join stages; stream-stream joins are refused until
// their operator exists; inputs of a join with different partition
// counts are refused.
func TestJoinValidateAndCoPartitioning(t *testing.T) {
	if err := Validate(twoWayPlan(planner.TableTable, planner.FullJoin, nil), nil); err != nil {
		t.Fatal(err)
	}
	if err := Validate(threeWayPlan(planner.TableTable, planner.LeftJoin, planner.InnerJoin), nil); err != nil {
		t.Fatal(err)
	}
	if err := Validate(twoWayPlan(planner.StreamTable, planner.FullJoin, nil), nil); err == nil {
		t.Fatal("a FULL stream-table join was accepted")
	}
	if err := Validate(twoWayPlan(planner.StreamStream, planner.InnerJoin, nil), nil); err != nil {
		t.Fatalf("stream-stream join: %v", err)
	}
	plan := twoWayPlan(planner.StreamTable, planner.InnerJoin, nil)
	plan.Stages[0].Sides[0].Name = "R2"
	h := newJoinHarness(t, plan)
	if err := h.lg.CreateTopic(context.Background(), "R2", broker.TopicConfig{Partitions: 2}); err != nil {
		t.Fatal(err)
	}
	if _, err := NewQuery(context.Background(), h.rt, plan, QueryOptions{}); err == nil || !strings.Contains(err.Error(), "same number of partitions") {
		t.Fatalf("co-partitioning: %v", err)
	}
}

// An aggregation over a table-table join's results (through a
// repartition) retracts the previous result of a key: updates carry it as
// their old row, and a delete's tombstone retracts it.
func TestTableTableJoinThenAggregateRetracts(t *testing.T) {
	repart := planner.Topic{Name: "Q_JOIN_0-Agg-repartition", Partitions: 1,
		KeyFormat: catalog.Format{Name: "KAFKA"}, ValueFormat: catalog.Format{Name: "JSON"},
		Key:   []catalog.Column{{Name: "RV", Type: types.StringType, Kind: catalog.KeyColumn}},
		Value: []catalog.Column{{Name: "ID", Type: types.StringType, Kind: catalog.ValueColumn}}, Internal: true}
	groupBy := &planner.Project{ // [R, ID]: grouped by the right value
		Exprs: []planner.Expr{&planner.Column{Index: 2, T: types.StringType}, &planner.Column{Index: 0, T: types.StringType}},
		Names: []string{"RV", "ID"}, NullOnNullRow: []bool{true, false}}
	st0 := &planner.Stage{Input: jIn("L", true),
		Ops:         []planner.Op{jProj(2), &planner.Join{Kind: planner.TableTable, Type: planner.FullJoin, KeyCount: 1, LeftWidth: 2, RightWidth: 2, StoreName: "Join"}, groupBy},
		Sides:       []planner.Side{{Input: jIn("R", true), Ops: []planner.Op{jProj(2)}, Join: 1}},
		Repartition: &planner.Repartition{Topic: repart, KeyCount: 1}}
	count, err := functions.New().ResolveAggregate("COUNT", []planner.ArgInfo{{Type: types.StringType}})
	if err != nil {
		t.Fatal(err)
	}
	sink := jSink(true)
	sink.Value = []catalog.Column{{Name: "N", Type: types.BigintType, Kind: catalog.ValueColumn}}
	st1 := &planner.Stage{Input: planner.Input{Topic: repart, Table: true, TimestampColumn: -1},
		Ops: []planner.Op{&planner.Aggregate{KeyCount: 1, KeyTypes: []*types.Type{types.StringType},
			Calls:     []planner.AggregateCall{{Name: "COUNT", Fn: count.Fn, Args: []planner.Expr{&planner.Column{Index: 0, T: types.StringType}}, T: types.BigintType}},
			Project:   []planner.Expr{&planner.Column{Index: 0, T: types.StringType}, &planner.Column{Index: 1, T: types.BigintType}},
			StoreName: "Agg"}},
		Sink: sink}
	h := newJoinHarness(t, &planner.QueryPlan{ID: "Q_JOIN_0", Stages: []*planner.Stage{st0, st1}, Sink: sink})
	runOneByOne(t, h, h.query(), `L:k1=a@1 R:k1=x@2 L:k2=b@3 R:k2=x@4 R:k1=-@5 L:k2=-@6 R:k2=-@7`)
	checkOutput(t, h, `x:1@2 x:2@4 x:1@5 x:1@6 x:0@7`)
}

// A side record that cannot be deserialized is a processing-log entry
// naming the side's topic, and the join goes on.
func TestJoinSideDeserializationErrorIsLogged(t *testing.T) {
	h := newJoinHarness(t, twoWayPlan(planner.StreamTable, planner.LeftJoin, nil))
	if err := h.lg.CreateTopic(context.Background(), "PLOG", broker.TopicConfig{Partitions: 1}); err != nil {
		t.Fatal(err)
	}
	h.rt.ProcessingLogTopic = "PLOG"
	q := h.query()
	if _, err := h.lg.Append(context.Background(), "R", 0, []broker.Record{{Key: []byte("k1"), Value: []byte("{not json"), Timestamp: 1}}); err != nil {
		t.Fatal(err)
	}
	runOneByOne(t, h, q, `R:k1=x@2 L:k1=a@3`)
	checkOutput(t, h, `k1:a,x@3`)
	recs, err := broker.ReadAll(context.Background(), h.lg, "PLOG", 0, 0, broker.ReadCommitted, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || !strings.Contains(string(recs[0].Value), `"topic":"R"`) {
		t.Fatalf("processing log: %d records: %v", len(recs), recs)
	}
}

// Records read from each input are counted against their own topic.
func TestJoinMetricsCountEveryInput(t *testing.T) {
	h := newJoinHarness(t, twoWayPlan(planner.StreamTable, planner.LeftJoin, nil))
	q := h.query()
	runOneByOne(t, h, q, `R:k1=x@1 R:k2=y@2 L:k1=a@3`)
	m := q.Metrics()
	got := map[string]int64{}
	for _, in := range m.Inputs {
		got[in.Topic] = in.Records
	}
	if m.RecordsIn != 3 || got["L"] != 1 || got["R"] != 2 || h.rt.Metrics.recordsIn.Load() != 3 {
		t.Fatalf("records in %d, per input %v, engine-wide %d", m.RecordsIn, got, h.rt.Metrics.recordsIn.Load())
	}
}

// A backlog on one input does not overtake another's: with reads of two
// records, the first poll fetches the stream's records at 10 and 20 and
// the table's at 5 and 35; the stream's read was full, so once those are
// processed the poll stops and the table row at 35 waits. The stream
// record at 30 then sees the row of 5, not the one of 35 (as Kafka
// Streams' PartitionGroup orders them).
func TestJoinBacklogDoesNotOvertake(t *testing.T) {
	h := newJoinHarness(t, twoWayPlan(planner.StreamTable, planner.LeftJoin, nil))
	h.rt.MaxBatch = 2
	for _, r := range parseJrecs(t, `L:k1=a@10 L:k1=b@20 L:k1=c@30 L:k1=d@40 R:k1=x@5 R:k1=y@35`) {
		h.sendJoin(r)
	}
	if err := h.drain(h.query()); err != nil {
		t.Fatal(err)
	}
	checkOutput(t, h, `k1:a,x@10 k1:b,x@20 k1:c,x@30 k1:d,y@40`)
}
