package exec

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/catalog"
	"github.com/ksqlgo/ksql/planner"
	"github.com/ksqlgo/ksql/sql/types"
	"github.com/ksqlgo/ksql/state"
)

// fkJoinOp is the contract of the join operators with the multi-input
// task runtime (defined there as joinOperator).
type fkJoinOp interface {
	operator
	processRight(t *Task, ev *event) error
	flush(t *Task) error
	reset()
	setNext(next operator)
}

var (
	_ fkJoinOp = (*foreignKeyJoin)(nil)
	_ fkJoinOp = (*fkRightJoin)(nil)
)

// fkCollect is a next operator that keeps what it is given.
type fkCollect struct{ evs []event }

func (c *fkCollect) process(_ *Task, ev *event) error {
	c.evs = append(c.evs, *ev)
	return nil
}

// fkHarness drives both halves of a foreign-key join over a real Pebble
// store, each in a task of its own, as one record at a time: after each
// input, the subscription records the left half wrote are decoded and
// given to the right half, its responses to the left half, until none
// are left (the synchronous run that Kafka Streams' test driver, and the
// conformance runner, give).
type fkHarness struct {
	t           *testing.T
	db          *state.DB
	task, rtask *Task
	plan        *planner.Join
	j           *foreignKeyJoin
	r           *fkRightJoin
	out         *fkCollect
	subs, resps *inputDecoder
	sel         []int
	offs        [2]int64
}

// fkPlanTopics gives a join plan its internal topics (one partition each;
// KAFKA keys, JSON for a left key of several columns).
func fkPlanTopics(p *planner.Join) *planner.Join {
	kf := catalog.Format{Name: "KAFKA"}
	var lk []catalog.Column
	for i := 0; i < p.KeyCount; i++ {
		lk = append(lk, catalog.Column{Name: fmt.Sprintf("K%d", i), Type: p.LeftTypes[i], Kind: catalog.KeyColumn})
	}
	lf := kf
	if p.KeyCount > 1 {
		lf = catalog.Format{Name: "JSON"}
	}
	p.Subscription, p.Response = planner.FKTopics(p,
		planner.Topic{Name: "SUB", Partitions: 1, KeyFormat: kf, Key: []catalog.Column{{Name: "FK", Type: p.RightTypes[0], Kind: catalog.KeyColumn}}},
		planner.Topic{Name: "RESP", Partitions: 1, KeyFormat: lf, Key: lk})
	return p
}

func newFKHarness(t *testing.T, plan *planner.Join, sel []int) *fkHarness {
	db, err := state.Open(filepath.Join(t.TempDir(), "state"), state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if plan.Subscription.Name == "" {
		fkPlanTopics(plan)
	}
	h := &fkHarness{t: t, db: db, plan: plan, out: &fkCollect{}, sel: sel}
	newTask := func(stage int) *Task {
		return &Task{rt: &Runtime{State: db}, prefix: statePrefix("q", stage, 0), pending: map[broker.TopicPartition][]broker.Record{}}
	}
	h.task, h.rtask = newTask(0), newTask(1)
	if h.subs, err = newInputDecoder(planner.Input{Topic: plan.Subscription, TimestampColumn: -1}); err != nil {
		t.Fatal(err)
	}
	if h.resps, err = newInputDecoder(planner.Input{Topic: plan.Response, TimestampColumn: -1}); err != nil {
		t.Fatal(err)
	}
	h.restart()
	return h
}

// restart replaces the operators by new ones over the same store.
func (h *fkHarness) restart() {
	lp, rp := *h.plan, *h.plan
	rp.FKRole = planner.FKRightHalf
	j, err := newForeignKeyJoin(&lp)
	if err != nil {
		h.t.Fatal(err)
	}
	r, err := newForeignKeyJoin(&rp)
	if err != nil {
		h.t.Fatal(err)
	}
	j.setNext(h.out)
	h.j, h.r = j.(*foreignKeyJoin), r.(*fkRightJoin)
}

func (h *fkHarness) commit() {
	for _, x := range []struct {
		t *Task
		j fkJoinOp
	}{{h.task, h.j}, {h.rtask, h.r}} {
		if err := x.j.flush(x.t); err != nil {
			h.t.Fatal(err)
		}
		if x.t.batch != nil {
			if err := x.t.batch.Commit(false); err != nil {
				h.t.Fatal(err)
			}
			x.t.batch = nil
		}
	}
}

// abort flushes into the batches, discards them and resets the operators,
// as a failed commit does.
func (h *fkHarness) abort() {
	for _, x := range []struct {
		t *Task
		j fkJoinOp
	}{{h.task, h.j}, {h.rtask, h.r}} {
		if err := x.j.flush(x.t); err != nil {
			h.t.Fatal(err)
		}
		if x.t.batch != nil {
			x.t.batch.Close()
			x.t.batch = nil
		}
	}
	h.reset()
}

func (h *fkHarness) reset() {
	h.j.reset()
	h.r.reset()
}

// take removes and returns the records t buffered for topic.
func (h *fkHarness) take(t *Task, topic string) []broker.Record {
	var out []broker.Record
	for _, tp := range t.order {
		if tp.Topic == topic {
			out = append(out, t.pending[tp]...)
			delete(t.pending, tp)
		}
	}
	return out
}

// pump delivers subscriptions and responses until none are left.
func (h *fkHarness) pump() {
	for range 100 {
		subs := h.take(h.task, h.plan.Subscription.Name)
		for _, rec := range subs {
			h.deliver(h.subs, rec, h.r, h.rtask)
		}
		resps := h.take(h.rtask, h.plan.Response.Name)
		for _, rec := range resps {
			h.deliver(h.resps, rec, h.j, h.task)
		}
		if len(subs) == 0 && len(resps) == 0 {
			return
		}
	}
	h.t.Fatal("the halves did not settle")
}

func (h *fkHarness) deliver(d *inputDecoder, rec broker.Record, j fkJoinOp, t *Task) {
	var ev event
	ok, err := d.decode(&rec, &ev)
	if err != nil || !ok {
		h.t.Fatalf("decoding %q: ok %v, %v", rec.Value, ok, err)
	}
	if err := j.processRight(t, &ev); err != nil {
		h.t.Fatal(err)
	}
}

// fkIn is one input record: side 'L' or 'R', timestamp, the full row
// (a delete: only the key slots, del set).
type fkIn struct {
	side byte
	ts   int64
	row  []any
	del  bool
	// flow sends a delete as a table flow does: no row, the old one.
	flow bool
}

func fkL(ts int64, row ...any) fkIn { return fkIn{side: 'L', ts: ts, row: row} }
func fkLDel(ts int64, key ...any) fkIn {
	return fkIn{side: 'L', ts: ts, row: key, del: true}
}

// fkR is a right row of the test tables: [R_ID, R_ID (as a value), F1, F2].
func fkR(ts int64, id, f1, f2 any) fkIn {
	return fkIn{side: 'R', ts: ts, row: []any{id, id, f1, f2}}
}
func fkRDel(ts int64, id any) fkIn { return fkIn{side: 'R', ts: ts, row: []any{id}, del: true} }

func (h *fkHarness) send(ins ...fkIn) {
	for _, in := range ins {
		s, width := 0, h.plan.LeftWidth
		if in.side == 'R' {
			s, width = 1, h.plan.RightWidth
		}
		row := make(types.Row, width)
		copy(row, in.row)
		ev := &event{row: row, tomb: in.del, ts: in.ts, partition: int32(s), offset: h.offs[s]}
		if in.flow {
			ev.row, ev.old, ev.tomb = nil, row, false
		}
		h.offs[s]++
		var err error
		if s == 0 {
			err = h.j.process(h.task, ev)
		} else {
			err = h.r.process(h.rtask, ev)
		}
		if err != nil {
			h.t.Fatal(err)
		}
		h.pump()
	}
}

func fkFmt(v any) string {
	if v == nil {
		return "null"
	}
	return fmt.Sprint(v)
}

func (h *fkHarness) show(row types.Row) string {
	var vs []string
	for _, i := range h.sel {
		vs = append(vs, fkFmt(row[i]))
	}
	return strings.Join(vs, ",")
}

// results formats and clears the collected outputs as
// "key: values @ts" (values: the sel slots, or null for a tombstone),
// with " old(values)" when the event carries an old row; it checks the
// pseudo columns and the key slots of tombstones on the way.
func (h *fkHarness) results() []string {
	p := h.plan
	base := p.LeftWidth + p.RightWidth - p.RightKeyCount
	var got []string
	for _, ev := range h.out.evs {
		row := ev.row
		if len(row) != p.OutputWidth() {
			h.t.Fatalf("output row of %d slots, want %d: %v", len(row), p.OutputWidth(), row)
		}
		if row[base+planner.PseudoRowtime] != ev.ts || row[base+planner.PseudoRowpartition] != ev.partition ||
			row[base+planner.PseudoRowoffset] != ev.offset {
			h.t.Fatalf("pseudo columns %v for ts %d partition %d offset %d", row[base:], ev.ts, ev.partition, ev.offset)
		}
		var ks []string
		for _, v := range row[:p.KeyCount] {
			ks = append(ks, fkFmt(v))
		}
		s := strings.Join(ks, ",") + ": "
		if ev.tomb {
			for i, v := range row[p.KeyCount:base] {
				if v != nil {
					h.t.Fatalf("tombstone with slot %d = %v", p.KeyCount+i, v)
				}
			}
			s += "null"
		} else {
			s += h.show(row)
		}
		s += fmt.Sprintf(" @%d", ev.ts)
		if ev.old != nil {
			s += " old(" + h.show(ev.old) + ")"
		}
		got = append(got, s)
	}
	h.out.evs = h.out.evs[:0]
	return got
}

func (h *fkHarness) expect(want ...string) {
	h.t.Helper()
	got := h.results()
	if !slices.Equal(got, want) {
		h.t.Errorf("outputs:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

var (
	fkBig = types.BigintType
	fkStr = types.StringType
)

// fkValuePlan: LEFT_TABLE (L_ID BIGINT KEY, NAME, FOREIGN_KEY) joined on
// FOREIGN_KEY = R_ID; with expr the left row has a computed fourth slot
// (FOREIGN_KEY + 1) holding the foreign key.
func fkValuePlan(typ planner.JoinType, expr bool) *planner.Join {
	p := &planner.Join{Kind: planner.ForeignKey, Type: typ, KeyCount: 1, LeftWidth: 3, FKSlot: 2,
		RightKeyCount: 1, RightWidth: 4, StoreName: "Join-1",
		LeftTypes:  []*types.Type{fkBig, fkStr, fkBig},
		RightTypes: []*types.Type{fkBig, fkBig, fkStr, fkBig}}
	if expr {
		p.LeftWidth, p.FKSlot = 4, 3
		p.LeftTypes = append(p.LeftTypes, fkBig)
	}
	return p
}

// fkSel selects R_ID, NAME, F1 of the output row.
func fkSel(p *planner.Join) []int { return []int{p.LeftWidth, 1, p.LeftWidth + 1} }

// The inputs and outputs of fk-join.json :: Should support inner join
// with left value-column expression.
var fkInnerInputs = []fkIn{
	fkR(0, int64(0), "blah", int64(4)),
	fkL(10000, int64(1), "zero", int64(0)),
	fkL(13000, int64(0), "foo", int64(100)),
	fkR(15000, int64(0), "a", int64(10)),
	fkL(16000, int64(10), "bar", int64(0)),
	fkRDel(17000, int64(0)),
	fkLDel(18000, int64(1)),
}

var fkInnerWant = []string{
	"1: 0,zero,blah @10000",
	"1: 0,zero,a @15000 old(0,zero,blah)",
	"10: 0,bar,a @16000",
	"1: null @17000 old(0,zero,a)",
	"10: null @17000 old(0,bar,a)",
	"1: null @18000",
}

func TestFKInnerValueColumn(t *testing.T) {
	p := fkValuePlan(planner.InnerJoin, false)
	h := newFKHarness(t, p, fkSel(p))
	h.send(fkInnerInputs...)
	h.expect(fkInnerWant...)
}

func TestFKLeftValueColumn(t *testing.T) {
	p := fkValuePlan(planner.LeftJoin, false)
	h := newFKHarness(t, p, fkSel(p))
	h.send(
		fkL(0, int64(1), "zero", int64(0)),
		fkR(10000, int64(0), "blah", int64(4)),
		fkL(11000, int64(1), "zero", int64(0)),
		fkL(13000, int64(0), "foo", int64(100)),
		fkR(15000, int64(0), "a", int64(10)),
		fkL(16000, int64(10), "bar", int64(0)),
		fkRDel(17000, int64(0)),
		fkLDel(18000, int64(1)),
		fkLDel(19000, int64(0)),
	)
	h.expect(
		"1: null,zero,null @0",
		"1: 0,zero,blah @10000 old(null,zero,null)",
		"1: 0,zero,blah @11000 old(0,zero,blah)",
		"0: null,foo,null @13000",
		"1: 0,zero,a @15000 old(0,zero,blah)",
		"10: 0,bar,a @16000",
		"1: null,zero,null @17000 old(0,zero,a)",
		"10: null,bar,null @17000 old(0,bar,a)",
		"1: null @18000 old(null,zero,null)",
		"0: null @19000 old(null,foo,null)",
	)
}

// fk-join.json :: Should support inner join with left key-column
// expression: LEFT_TABLE (L_ID BIGINT KEY, L_ID_2_FOREIGN_KEY BIGINT KEY,
// NAME, VALUE) joined on L_ID_2_FOREIGN_KEY = R_ID.
func TestFKInnerKeyColumn(t *testing.T) {
	p := &planner.Join{Kind: planner.ForeignKey, Type: planner.InnerJoin, KeyCount: 2, LeftWidth: 4, FKSlot: 1,
		RightKeyCount: 1, RightWidth: 4, StoreName: "Join-1",
		LeftTypes:  []*types.Type{fkBig, fkBig, fkStr, fkBig},
		RightTypes: []*types.Type{fkBig, fkBig, fkStr, fkBig}}
	h := newFKHarness(t, p, []int{4, 2, 5})
	h.send(
		fkR(0, int64(0), "blah", int64(4)),
		fkL(10000, int64(1), int64(0), "zero", int64(0)),
		fkL(13000, int64(0), int64(100), "foo", int64(100)),
		fkR(15000, int64(0), "a", int64(10)),
		fkL(16000, int64(10), int64(0), "bar", int64(0)),
		fkRDel(17000, int64(0)),
		fkLDel(18000, int64(1), int64(0)),
	)
	h.expect(
		"1,0: 0,zero,blah @10000",
		"1,0: 0,zero,a @15000 old(0,zero,blah)",
		"10,0: 0,bar,a @16000",
		"1,0: null @17000 old(0,zero,a)",
		"10,0: null @17000 old(0,bar,a)",
		"1,0: null @18000",
	)
}

// fk-join.json :: Should support non-column reference in left join
// expression: ON foreign_key + 1 = r_id; the planner's projection puts
// FOREIGN_KEY + 1 into the left row's fourth slot.
func TestFKNonColumnExpression(t *testing.T) {
	p := fkValuePlan(planner.InnerJoin, true)
	h := newFKHarness(t, p, fkSel(p))
	h.send(
		fkR(0, int64(0), "blah", int64(4)),
		fkL(10000, int64(1), "zero", int64(-1), int64(0)),
		fkL(13000, int64(0), "foo", int64(99), int64(100)),
		fkR(15000, int64(0), "a", int64(10)),
		fkL(16000, int64(10), "bar", int64(-1), int64(0)),
		fkRDel(17000, int64(0)),
		fkLDel(18000, int64(1)),
	)
	h.expect(fkInnerWant...)
}

// Restarting after a commit, at every point of the inner case, continues
// identically.
func TestFKRestart(t *testing.T) {
	for cut := range len(fkInnerInputs) + 1 {
		p := fkValuePlan(planner.InnerJoin, false)
		h := newFKHarness(t, p, fkSel(p))
		h.send(fkInnerInputs[:cut]...)
		h.commit()
		h.restart()
		h.send(fkInnerInputs[cut:]...)
		h.expect(fkInnerWant...)
	}
	// A restart (and commit) after every record.
	p := fkValuePlan(planner.LeftJoin, false)
	h := newFKHarness(t, p, fkSel(p))
	for _, in := range fkInnerInputs {
		h.send(in)
		h.commit()
		h.restart()
	}
	h.expect(
		"1: 0,zero,blah @10000",
		"0: null,foo,null @13000",
		"1: 0,zero,a @15000 old(0,zero,blah)",
		"10: 0,bar,a @16000",
		"1: null,zero,null @17000 old(0,zero,a)",
		"10: null,bar,null @17000 old(0,bar,a)",
		"1: null @18000 old(null,zero,null)",
	)
}

// reset drops what was not committed: after an aborted commit (and after
// a plain reset) the records are processed again with the same results.
func TestFKResetDiscardsUncommitted(t *testing.T) {
	for _, flushFirst := range []bool{true, false} {
		for cut := range len(fkInnerInputs) {
			p := fkValuePlan(planner.InnerJoin, false)
			h := newFKHarness(t, p, fkSel(p))
			h.send(fkInnerInputs[:cut]...)
			h.commit()
			h.results()
			// Uncommitted work that is thrown away, including inputs
			// that do not belong to the case at all.
			h.send(fkInnerInputs[cut:]...)
			h.send(fkL(20000, int64(7), "x", int64(0)), fkR(20000, int64(0), "y", int64(1)),
				fkL(21000, int64(1), "z", nil))
			if flushFirst {
				h.abort()
			} else {
				h.reset()
			}
			h.out.evs = h.out.evs[:0]
			h.send(fkInnerInputs[cut:]...)
			got := h.results()
			if want := fkInnerWantFrom(t, cut); !slices.Equal(got, want) {
				t.Errorf("flush %v cut %d: outputs\n  %s\nwant\n  %s", flushFirst, cut, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
			}
		}
	}
}

// fkInnerWantFrom is the part of fkInnerWant produced by the inputs from
// index cut on (computed by a straight run).
func fkInnerWantFrom(t *testing.T, cut int) []string {
	p := fkValuePlan(planner.InnerJoin, false)
	h := newFKHarness(t, p, fkSel(p))
	h.send(fkInnerInputs[:cut]...)
	h.results()
	h.send(fkInnerInputs[cut:]...)
	return h.results()
}

// Right-triggered results come in the order of the left keys' KAFKA key
// bytes (big endian: non-negative keys ascending, then negative ones),
// also when committed subscriptions and uncommitted ones (new, moved and
// deleted) are merged.
func TestFKRightOrder(t *testing.T) {
	p := fkValuePlan(planner.InnerJoin, false)
	h := newFKHarness(t, p, fkSel(p))
	h.send(
		fkL(1, int64(200), "a", int64(0)),
		fkL(2, int64(2), "b", int64(0)),
		fkL(3, int64(300), "c", int64(0)),
		fkL(3, int64(1000), "k", int64(0)),
	)
	h.commit()
	h.send(
		fkL(4, int64(100), "d", int64(0)),
		fkL(5, int64(-1), "e", int64(0)),
		fkL(6, int64(10), "f", int64(0)),
		fkLDel(7, int64(2)),
		fkL(8, int64(300), "c", int64(5)),
		fkL(8, int64(1000), "kk", int64(0)),
	)
	h.expect("2: null @7", "300: null @8", "1000: null @8")
	h.send(fkR(9, int64(0), "x", int64(1)))
	want := []string{
		"10: 0,f,x @9",
		"100: 0,d,x @9",
		"200: 0,a,x @9",
		"1000: 0,kk,x @9",
		"-1: 0,e,x @9",
	}
	h.expect(want...)
	h.commit()
	h.restart()
	h.send(fkR(10, int64(0), "y", int64(1)))
	h.expect(
		"10: 0,f,y @10 old(0,f,x)",
		"100: 0,d,y @10 old(0,d,x)",
		"200: 0,a,y @10 old(0,a,x)",
		"1000: 0,kk,y @10 old(0,kk,x)",
		"-1: 0,e,y @10 old(0,e,x)",
	)
}

// Kafka Streams' INNER quirks: an update whose old or new foreign key is
// NULL is dropped (its subscriptions stay, and answer nothing once the
// left row changed), and so is a delete of a row whose foreign key is
// NULL. Left-triggered results are stamped max(left, right).
func TestFKInnerQuirks(t *testing.T) {
	p := fkValuePlan(planner.InnerJoin, false)
	h := newFKHarness(t, p, fkSel(p))
	h.send(
		fkR(0, int64(0), "r0", int64(0)),
		fkR(0, int64(5), "r5", int64(0)),
		fkL(1, int64(1), "a", int64(0)),
		fkL(2, int64(1), "b", nil),
		fkR(3, int64(0), "r0b", int64(0)),
		fkL(4, int64(1), "c", int64(5)),
		fkR(5, int64(5), "r5b", int64(0)),
		fkL(6, int64(1), "d", int64(5)),
		fkL(7, int64(1), "e", nil),
		fkLDel(8, int64(1)),
		fkL(9, int64(2), "f", nil),
		fkL(10, int64(3), "g", int64(0)),
		fkL(11, int64(3), "g", int64(7)),
		fkR(12, int64(7), "r7", int64(0)),
		fkR(13, int64(0), "r0c", int64(0)),
		fkL(5, int64(4), "h", int64(7)),
	)
	h.expect(
		"1: 0,a,r0 @1",
		"1: 5,d,r5b @6 old(0,a,r0)",
		"3: 0,g,r0b @10",
		"3: null @11 old(0,g,r0b)",
		"3: 7,g,r7 @12",
		"4: 7,h,r7 @12",
	)
}

// LEFT: a NULL foreign key gives L + NULLs; a changed foreign key first
// gives L + NULLs (the unsubscription's answer, stamped with the left
// record's time), then the new one's answer; deletes give one tombstone, none for a key
// without a row; a right delete of a key nobody references gives nothing.
func TestFKLeftQuirks(t *testing.T) {
	p := fkValuePlan(planner.LeftJoin, false)
	h := newFKHarness(t, p, fkSel(p))
	h.send(
		fkL(1, int64(1), "a", nil),
		fkR(2, int64(0), "r0", int64(0)),
		fkL(3, int64(1), "b", int64(0)),
		fkL(4, int64(1), "c", int64(5)),
		fkL(5, int64(1), "d", nil),
		fkR(6, int64(0), "r0b", int64(0)),
		fkL(7, int64(1), "e", int64(0)),
		fkL(1, int64(1), "f", int64(9)),
		fkLDel(8, int64(1)),
		fkLDel(9, int64(1)),
		fkL(10, int64(2), "g", nil),
		fkIn{side: 'L', ts: 11, row: []any{int64(2), "g", nil}, del: true, flow: true},
		fkRDel(12, int64(3)),
	)
	h.expect(
		"1: null,a,null @1",
		"1: 0,b,r0 @3 old(null,a,null)",
		"1: null,c,null @4 old(0,b,r0)",
		"1: null,c,null @4 old(null,c,null)",
		"1: null,d,null @5 old(null,c,null)",
		"1: null,d,null @5 old(null,d,null)",
		"1: 0,e,r0b @7 old(null,d,null)",
		"1: null,f,null @1 old(0,e,r0b)",
		"1: null,f,null @1 old(null,f,null)",
		"1: null @8 old(null,f,null)",
		"2: null,g,null @10",
		"2: null @11 old(null,g,null)",
	)
}

// Struct values read back from state keep their field names.
func TestFKStructTypes(t *testing.T) {
	st := types.StructOf(types.Field{Name: "A", Type: fkBig}, types.Field{Name: "B", Type: fkStr})
	p := fkValuePlan(planner.InnerJoin, false)
	p.LeftTypes = []*types.Type{fkBig, st, fkBig}
	p.RightTypes = []*types.Type{fkBig, fkBig, st, fkBig}
	h := newFKHarness(t, p, fkSel(p))
	sv := func(a int64, b string) *types.StructValue {
		return &types.StructValue{Type: st, Vals: []types.Value{a, b}}
	}
	h.send(fkL(1, int64(1), sv(1, "l"), int64(0)))
	h.commit()
	h.restart()
	h.send(fkR(2, int64(0), sv(2, "r"), int64(0)))
	h.commit()
	h.restart()
	h.send(fkL(3, int64(2), sv(3, "l2"), int64(0)))
	if len(h.out.evs) != 2 {
		t.Fatalf("%d outputs, want 2", len(h.out.evs))
	}
	for _, ev := range h.out.evs {
		for _, i := range []int{1, p.LeftWidth + 1} {
			s, ok := ev.row[i].(*types.StructValue)
			if !ok || len(s.Type.Fields) != 2 || s.Type.Fields[0].Name != "A" || s.Type.Fields[1].Name != "B" {
				t.Errorf("slot %d: %#v", i, ev.row[i])
			}
		}
	}
}

// TestFKLookupIsTheCurrentResult: what a table-table join after a
// foreign-key join reads as its left side (lookup) is the last result
// emitted for the left key, committed or not, and nothing once it was
// tombstoned.
func TestFKLookupIsTheCurrentResult(t *testing.T) {
	p := fkValuePlan(planner.InnerJoin, false)
	h := newFKHarness(t, p, fkSel(p))
	fk := h.j
	key := appendRow(nil, types.Row{int64(1)})
	check := func(want string, wantTs int64) {
		t.Helper()
		row, ts, err := fk.lookup(h.task, key, &event{})
		if err != nil {
			t.Fatal(err)
		}
		got := "none"
		if row != nil {
			got = h.show(row)
		}
		if got != want || (row != nil && ts != wantTs) {
			t.Fatalf("lookup: got %s @%d, want %s @%d", got, ts, want, wantTs)
		}
	}
	check("none", 0)
	h.send(fkInnerInputs[:2]...) // blah, then zero joins it at 10000
	check("0,zero,blah", 10000)
	h.commit()
	h.restart()
	fk = h.j
	check("0,zero,blah", 10000)
	h.send(fkInnerInputs[2:4]...) // the right row changes at 15000
	check("0,zero,a", 15000)
	h.send(fkInnerInputs[4:6]...) // the right row is deleted: tombstone
	check("none", 0)
}
