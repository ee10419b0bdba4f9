package exec

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

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

var _ fkJoinOp = (*foreignKeyJoin)(nil)

// fkCollect is a next operator that keeps what it is given.
type fkCollect struct{ evs []event }

func (c *fkCollect) process(_ *Task, ev *event) error {
	c.evs = append(c.evs, *ev)
	return nil
}

// fkHarness drives a foreign-key join over a real Pebble store.
type fkHarness struct {
	t    *testing.T
	db   *state.DB
	task *Task
	plan *planner.Join
	j    fkJoinOp
	out  *fkCollect
	// sel lists the output slots shown by results.
	sel  []int
	offs [2]int64
}

func newFKHarness(t *testing.T, plan *planner.Join, sel []int) *fkHarness {
	db, err := state.Open(filepath.Join(t.TempDir(), "state"), state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	h := &fkHarness{t: t, db: db, plan: plan, out: &fkCollect{}, sel: sel}
	h.task = &Task{rt: &Runtime{State: db}, prefix: statePrefix("q", 0, 0)}
	h.restart()
	return h
}

// restart replaces the operator by a new one over the same store.
func (h *fkHarness) restart() {
	j, err := newForeignKeyJoin(h.plan)
	if err != nil {
		h.t.Fatal(err)
	}
	j.setNext(h.out)
	h.j = j
}

func (h *fkHarness) commit() {
	if err := h.j.flush(h.task); err != nil {
		h.t.Fatal(err)
	}
	if h.task.batch != nil {
		if err := h.task.batch.Commit(false); err != nil {
			h.t.Fatal(err)
		}
		h.task.batch = nil
	}
}

// abort flushes into the batch, discards it and resets the operator, as
// a failed commit does.
func (h *fkHarness) abort() {
	if err := h.j.flush(h.task); err != nil {
		h.t.Fatal(err)
	}
	if h.task.batch != nil {
		h.task.batch.Close()
		h.task.batch = nil
	}
	h.j.reset()
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
			err = h.j.processRight(h.task, ev)
		}
		if err != nil {
			h.t.Fatal(err)
		}
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
				h.j.reset()
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
// answers the unsubscription (L + NULLs, stamped with the old right row's
// time), then the new one; deletes give one tombstone, none for a key
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
		"1: null,f,null @6 old(0,e,r0b)",
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
	fk := h.j.(*foreignKeyJoin)
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
	fk = h.j.(*foreignKeyJoin)
	check("0,zero,blah", 10000)
	h.send(fkInnerInputs[2:4]...) // the right row changes at 15000
	check("0,zero,a", 15000)
	h.send(fkInnerInputs[4:6]...) // the right row is deleted: tombstone
	check("none", 0)
}
