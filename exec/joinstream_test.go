package exec

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ksqlgo/ksql/planner"
	"github.com/ksqlgo/ksql/sql/types"
	"github.com/ksqlgo/ksql/state"
)

// ssJoinOperator is the contract of the join operators with the
// multi-input task runtime (defined there as joinOperator).
type ssJoinOperator interface {
	operator
	processRight(t *Task, ev *event) error
	flush(t *Task) error
	reset()
	setNext(next operator)
}

var _ ssJoinOperator = (*streamStreamJoin)(nil)

// ssCollect is a next operator that keeps what it is given.
type ssCollect struct{ evs []event }

func (c *ssCollect) process(_ *Task, ev *event) error {
	c.evs = append(c.evs, *ev)
	return nil
}

// ssHarness drives a stream-stream join over a real Pebble store.
type ssHarness struct {
	t    *testing.T
	db   *state.DB
	task *Task
	plan *planner.Join
	j    *streamStreamJoin
	out  *ssCollect
	// offsets of the next left and right input records.
	offs [2]int64
}

func newSSHarness(t *testing.T, plan *planner.Join) *ssHarness {
	db, err := state.Open(filepath.Join(t.TempDir(), "state"), state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	h := &ssHarness{t: t, db: db, plan: plan, out: &ssCollect{}}
	h.task = &Task{rt: &Runtime{State: db}, prefix: statePrefix("q", 0, 0)}
	h.restart()
	return h
}

// restart replaces the operator by a new one over the same store (what
// a task does after a restart: its state is what was committed).
func (h *ssHarness) restart() {
	j, err := newStreamStreamJoin(h.plan)
	if err != nil {
		h.t.Fatal(err)
	}
	j.setNext(h.out)
	h.j = j
}

// commit flushes the operator's state into the task's batch and commits it.
func (h *ssHarness) commit() {
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

// abort flushes into the batch, then discards it and resets the
// operator, as a failed commit does.
func (h *ssHarness) abort() {
	if err := h.j.flush(h.task); err != nil {
		h.t.Fatal(err)
	}
	if h.task.batch != nil {
		h.task.batch.Close()
		h.task.batch = nil
	}
	h.j.reset()
}

// ssIn is one input record: side 'L' or 'R', timestamp, key, non-key
// values (and window bounds for windowed joins).
type ssIn struct {
	side         byte
	ts           int64
	key          any
	vals         []any
	wstart, wend int64
}

func (h *ssHarness) send(in ssIn) {
	s := 0
	if in.side == 'R' {
		s = 1
	}
	row := types.Row{in.key}
	for _, v := range in.vals {
		row = append(row, v)
	}
	ev := &event{row: row, ts: in.ts, partition: int32(s), offset: h.offs[s]}
	if h.plan.Windowed {
		ev.windowed, ev.wstart, ev.wend = true, in.wstart, in.wend
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

// results formats the collected results as "key:values@ts" (values of
// both sides, NULL as null), checking the pseudo columns on the way.
func (h *ssHarness) results() []string {
	var got []string
	p := h.plan
	base := p.LeftWidth + p.RightWidth - p.KeyCount
	for _, ev := range h.out.evs {
		row := ev.row
		if len(row) != p.OutputWidth() {
			h.t.Fatalf("output row of %d slots, want %d: %v", len(row), p.OutputWidth(), row)
		}
		if row[base] != ev.ts || row[base+1] != ev.partition || row[base+2] != ev.offset {
			h.t.Fatalf("pseudo columns %v, event ts %d partition %d offset %d", row[base:], ev.ts, ev.partition, ev.offset)
		}
		var vals []string
		for _, v := range row[p.KeyCount:base] {
			if v == nil {
				vals = append(vals, "null")
			} else {
				vals = append(vals, fmt.Sprint(v))
			}
		}
		s := fmt.Sprintf("%v:%s@%d", row[0], strings.Join(vals, ","), ev.ts)
		if p.Windowed {
			if !ev.windowed || row[base+3] != ev.wstart || row[base+4] != ev.wend {
				h.t.Fatalf("window of %v: event %v [%d,%d]", row, ev.windowed, ev.wstart, ev.wend)
			}
			s += fmt.Sprintf("[%d,%d]", ev.wstart, ev.wend)
		}
		got = append(got, s)
	}
	return got
}

// stateKeys counts the keys of the task's state.
func (h *ssHarness) stateKeys() int {
	lo := []byte(h.task.prefix)
	hi := append(bytes.Clone(lo[:len(lo)-1]), '/'+1)
	it, err := h.db.NewIter(lo, hi)
	if err != nil {
		h.t.Fatal(err)
	}
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		n++
	}
	if err := it.Close(); err != nil {
		h.t.Fatal(err)
	}
	return n
}

// ssModes are the ways of feeding a case: straight (one commit at the
// end), committing and restarting the operator after every record, and
// with every record first processed, flushed and aborted (its output
// discarded, as the task does) before it is processed again.
var ssModes = []string{"straight", "restart", "abort"}

func runSS(t *testing.T, plan *planner.Join, mode string, ins []ssIn) *ssHarness {
	h := newSSHarness(t, plan)
	for _, in := range ins {
		switch mode {
		case "restart":
			h.send(in)
			h.commit()
			h.restart()
		case "abort":
			n, offs := len(h.out.evs), h.offs
			h.send(in)
			h.abort()
			h.out.evs, h.offs = h.out.evs[:n], offs
			h.send(in)
			h.commit()
		default:
			h.send(in)
		}
	}
	h.commit()
	return h
}

func checkSS(t *testing.T, name string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\ngot\n\t%s\nwant\n\t%s", name, strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
}

func ssPlan(typ planner.JoinType, lw, rw int, before, after int64) *planner.Join {
	return &planner.Join{Kind: planner.StreamStream, Type: typ, KeyCount: 1, LeftWidth: lw, RightWidth: rw,
		BeforeMs: before, AfterMs: after, StoreName: "KSTREAM-JOIN"}
}

func ssGrace(p *planner.Join, grace int64) *planner.Join {
	p.Grace, p.GraceMs = true, grace
	return p
}

// The inputs of joins.json :: stream stream left join (and inner join
// with stars and duplicates, which has the same ones): left (ID, NAME,
// VALUE), right (ID, F1, F2).
var ssLeftJoinInputs = []ssIn{
	{'L', 0, int64(0), []any{"zero", int64(0)}, 0, 0},
	{'R', 10000, int64(0), []any{"blah", int64(50)}, 0, 0},
	{'L', 11000, int64(10), []any{"100", int64(5)}, 0, 0},
	{'L', 13000, int64(0), []any{"foo", int64(100)}, 0, 0},
	{'R', 15000, int64(0), []any{"a", int64(10)}, 0, 0},
	{'R', 16000, int64(100), []any{"newblah", int64(150)}, 0, 0},
	{'L', 17000, int64(90), []any{"ninety", int64(90)}, 0, 0},
	{'L', 30000, int64(0), []any{"bar", int64(99)}, 0, 0},
}

// The QTT cases of joins.json, translated into events.
func TestStreamStreamJoinQTT(t *testing.T) {
	grace := func(typ planner.JoinType) *planner.Join {
		return ssGrace(ssPlan(typ, 2, 2, 60000, 60000), 60000)
	}
	l1 := func(ts int64, key int64, v string) ssIn { return ssIn{'L', ts, key, []any{v}, 0, 0} }
	r1 := func(ts int64, key int64, v string) ssIn { return ssIn{'R', ts, key, []any{v}, 0, 0} }
	cases := []struct {
		name string
		plan *planner.Join
		ins  []ssIn
		want []string
	}{
		{"stream stream left join", ssPlan(planner.LeftJoin, 3, 3, 11000, 11000), ssLeftJoinInputs, []string{
			"0:zero,0,null,null@0",
			"0:zero,0,blah,50@10000",
			"10:100,5,null,null@11000",
			"0:foo,100,blah,50@13000",
			"0:foo,100,a,10@15000",
			"90:ninety,90,null,null@17000",
			"0:bar,99,null,null@30000",
		}},
		{"stream stream inner join with stars and duplicates", ssPlan(planner.InnerJoin, 3, 3, 11000, 11000), ssLeftJoinInputs, []string{
			"0:zero,0,blah,50@10000",
			"0:foo,100,blah,50@13000",
			"0:foo,100,a,10@15000",
		}},
		{"stream stream right join", ssPlan(planner.RightJoin, 3, 3, 11000, 11000), ssLeftJoinInputs, []string{
			"0:zero,0,blah,50@10000",
			"0:foo,100,blah,50@13000",
			"0:foo,100,a,10@15000",
			"100:null,null,newblah,150@16000",
		}},
		{"stream stream outer join", ssPlan(planner.FullJoin, 3, 3, 11000, 11000), []ssIn{
			{'L', 0, int64(0), []any{"zero", int64(0)}, 0, 0},
			{'R', 10000, int64(0), []any{"blah", int64(50)}, 0, 0},
			{'L', 11000, int64(10), []any{"100", int64(5)}, 0, 0},
			{'L', 13000, int64(0), []any{"foo", int64(100)}, 0, 0},
			{'R', 15000, int64(0), []any{"a", int64(10)}, 0, 0},
			{'L', 30000, int64(0), []any{"bar", int64(99)}, 0, 0},
			{'L', 17000, int64(90), []any{"ninety", int64(90)}, 0, 0},
			{'R', 20000, int64(100), []any{"newblah", int64(150)}, 0, 0},
		}, []string{
			"0:zero,0,null,null@0",
			"0:zero,0,blah,50@10000",
			"10:100,5,null,null@11000",
			"0:foo,100,blah,50@13000",
			"0:foo,100,a,10@15000",
			"0:bar,99,null,null@30000",
			"90:ninety,90,null,null@17000",
			"100:null,null,newblah,150@20000",
		}},
		{"stream stream inner join with different before and after windows", ssPlan(planner.InnerJoin, 3, 3, 11000, 10000), []ssIn{
			{'L', 0, int64(0), []any{"zero", int64(0)}, 0, 0},
			{'R', 11000, int64(0), []any{"blah", int64(50)}, 0, 0},
			{'L', 12000, int64(10), []any{"100", int64(5)}, 0, 0},
			{'L', 13000, int64(0), []any{"foo", int64(100)}, 0, 0},
			{'R', 15000, int64(0), []any{"a", int64(10)}, 0, 0},
			{'R', 16000, int64(100), []any{"newblah", int64(150)}, 0, 0},
			{'L', 17000, int64(90), []any{"ninety", int64(90)}, 0, 0},
			{'L', 30000, int64(0), []any{"bar", int64(99)}, 0, 0},
		}, []string{
			"0:foo,100,blah,50@13000",
			"0:foo,100,a,10@15000",
		}},
		{"stream stream inner join with out of order and custom grace period", grace(planner.InnerJoin), []ssIn{
			l1(0, 0, "A"), r1(60000, 0, "a"), l1(330000, 1, "B"), l1(90000, 2, "C"),
			r1(90000, 2, "c"), l1(60000, 3, "D"), r1(60000, 3, "d"),
		}, []string{"0:A,a@60000"}},
		{"stream stream right join with out of order and custom grace period", grace(planner.RightJoin), []ssIn{
			l1(0, 0, "A"), r1(60000, 0, "a"), l1(330000, 1, "B"), l1(90000, 2, "C"),
			r1(90000, 2, "c"), r1(60000, 3, "d"), l1(90000, 3, "D"),
		}, []string{"0:A,a@60000", "2:null,c@90000", "3:null,d@60000", "3:D,d@90000"}},
		{"stream stream full outer join with out of order and custom grace period", grace(planner.FullJoin), []ssIn{
			l1(0, 0, "A"), r1(60000, 0, "a"), r1(330000, 1, "b"), r1(90000, 2, "c"),
			l1(90000, 2, "C"), r1(60000, 3, "d"), l1(60000, 3, "D"),
		}, []string{"0:A,a@60000", "2:null,c@90000", "2:C,null@90000", "3:null,d@60000", "3:D,null@60000"}},
	}
	for _, c := range cases {
		for _, mode := range ssModes {
			h := runSS(t, c.plan, mode, c.ins)
			checkSS(t, c.name+" ("+mode+")", h.results(), c.want)
		}
	}
}

// With GRACE PERIOD, parked records come out (null-padded, with their own
// timestamps, and the triggering record's partition and offset) once
// stream time passes their window's end plus the grace, in (timestamp,
// side, key) order; matched ones never do. The parked state survives
// restarts and aborts.
func TestStreamStreamJoinGraceEmitsExpired(t *testing.T) {
	l1 := func(ts int64, key int64, v string) ssIn { return ssIn{'L', ts, key, []any{v}, 0, 0} }
	r1 := func(ts int64, key int64, v string) ssIn { return ssIn{'R', ts, key, []any{v}, 0, 0} }
	ins := []ssIn{
		l1(0, 0, "A"), r1(60000, 0, "a"), r1(330000, 1, "b"), r1(90000, 2, "c"),
		l1(90000, 2, "C"), r1(60000, 3, "d"), l1(60000, 3, "D"),
		// parked: b@330000 (right, key 1)
		l1(340000, 5, "E"), r1(340000, 4, "e"), l1(340000, 4, "F"), // E parked; e parked, then matched by F
		l1(340000, 4, "G"), // matches e: e stays deleted
		r1(345000, 6, "h"), // parked
		l1(449999, 7, "X"), // 330000+120000 = 450000: b not yet expired
		l1(455000, 8, "Y"), // b expires (450000 < 455000); E (460000) and h (465000) not
		r1(465001, 9, "Z"), // E and h expire, in (ts, side, key) order
	}
	want := []string{
		"0:A,a@60000", "2:null,c@90000", "2:C,null@90000", "3:null,d@60000", "3:D,null@60000",
		"4:F,e@340000", "4:G,e@340000",
		"1:null,b@330000",
		"5:E,null@340000", "6:null,h@345000",
	}
	for _, mode := range ssModes {
		h := runSS(t, ssGrace(ssPlan(planner.FullJoin, 2, 2, 60000, 60000), 60000), mode, ins)
		checkSS(t, "full outer with expiry ("+mode+")", h.results(), want)
		// The expired b came out while Y (left offset 7) was processed.
		for _, ev := range h.out.evs {
			if ev.ts == 330000 && (ev.partition != 0 || ev.offset != 7) {
				t.Errorf("%s: expired record emitted with partition %d offset %d, want 0 and 7", mode, ev.partition, ev.offset)
			}
		}
	}
	// LEFT: only left records park; RIGHT mirrors.
	left := runSS(t, ssGrace(ssPlan(planner.LeftJoin, 2, 2, 100, 50), 10), "restart", []ssIn{
		l1(1000, 1, "A"), r1(1000, 2, "x"), l1(1060, 1, "B"), l1(1061, 2, "C"),
	})
	// A closes when 1000+50+10 < stream time: at 1061, not at 1060.
	checkSS(t, "left with grace", left.results(), []string{"1:A,null@1000", "2:C,x@1061"})
	right := runSS(t, ssGrace(ssPlan(planner.RightJoin, 2, 2, 100, 50), 10), "restart", []ssIn{
		r1(1000, 1, "a"), l1(1000, 2, "X"), r1(1060, 1, "b"), r1(1061, 2, "c"),
	})
	// RIGHT runs as right LEFT JOIN left: a right record at tR joins left
	// records in [tR-100, tR+50], and its window closes at tR+50.
	checkSS(t, "right with grace", right.results(), []string{"1:null,a@1000", "2:X,c@1061"})
}

// RIGHT mirrors the window: with WITHIN (10 before, 0 after) a left
// record at tL joins right records in [tL-10, tL] for INNER, while RIGHT
// (run as right LEFT JOIN left) joins a right record at tR with left
// records in [tR-10, tR].
func TestStreamStreamJoinRightMirrorsWindow(t *testing.T) {
	ins := []ssIn{
		{'L', 100, "k", []any{"l100"}, 0, 0},
		{'R', 105, "k", []any{"r105"}, 0, 0},
		{'R', 95, "k", []any{"r95"}, 0, 0},
	}
	inner := runSS(t, ssPlan(planner.InnerJoin, 2, 2, 10, 0), "straight", ins)
	checkSS(t, "inner", inner.results(), []string{"k:l100,r95@100"})
	right := runSS(t, ssPlan(planner.RightJoin, 2, 2, 10, 0), "straight", ins)
	checkSS(t, "right", right.results(), []string{"k:l100,r105@105", "k:null,r95@95"})
}

// Windowed keys match only when the window bounds are equal too
// (joins.json :: matching session-windowed).
func TestStreamStreamJoinWindowedKeys(t *testing.T) {
	p := ssPlan(planner.InnerJoin, 2, 2, 60000, 60000)
	p.Windowed = true
	ins := []ssIn{
		{'L', 765, int32(1), []any{int64(1)}, 234, 765},
		{'R', 567, int32(1), []any{int64(2)}, 234, 567},
		{'R', 765, int32(1), []any{int64(3)}, 234, 765},
	}
	for _, mode := range ssModes {
		h := runSS(t, p, mode, ins)
		checkSS(t, "session ("+mode+")", h.results(), []string{"1:1,3@765[234,765]"})
	}
	// Outer results of windowed joins keep the window, parked ones too.
	pf := ssGrace(ssPlan(planner.FullJoin, 2, 2, 10, 10), 0)
	pf.Windowed = true
	h := runSS(t, pf, "restart", []ssIn{
		{'L', 100, int32(1), []any{int64(1)}, 50, 100},
		{'R', 200, int32(2), []any{int64(2)}, 150, 200},
	})
	checkSS(t, "windowed outer", h.results(), []string{"1:1,null@100[50,100]"})
}

// NULL keys match nothing: INNER drops them, an outer side emits them
// null-padded at once (even with GRACE PERIOD); null values are dropped.
func TestStreamStreamJoinNulls(t *testing.T) {
	ins := []ssIn{
		{'L', 10, nil, []any{"l1"}, 0, 0},
		{'R', 10, nil, []any{"r1"}, 0, 0},
		{'L', 20, "k", []any{"l2"}, 0, 0},
	}
	for _, typ := range []planner.JoinType{planner.InnerJoin, planner.LeftJoin, planner.RightJoin, planner.FullJoin} {
		for _, g := range []bool{false, true} {
			p := ssPlan(typ, 2, 2, 5, 5)
			if g {
				ssGrace(p, 0)
			}
			h := runSS(t, p, "straight", ins)
			h.j.process(h.task, &event{row: types.Row{"k", "tomb"}, tomb: true, ts: 20})
			h.j.processRight(h.task, &event{row: types.Row{"k", "tomb"}, tomb: true, ts: 20})
			var want []string
			if typ == planner.LeftJoin || typ == planner.FullJoin {
				want = append(want, "<nil>:l1,null@10")
			}
			if typ == planner.RightJoin || typ == planner.FullJoin {
				want = append(want, "<nil>:null,r1@10")
			}
			if (typ == planner.LeftJoin || typ == planner.FullJoin) && !g {
				want = append(want, "k:l2,null@20")
			}
			checkSS(t, fmt.Sprintf("type %d grace %v", typ, g), h.results(), want)
		}
	}
}

// Duplicates (same key and timestamp) are all kept and matched in
// arrival order, across commits.
func TestStreamStreamJoinDuplicates(t *testing.T) {
	for _, mode := range ssModes {
		h := runSS(t, ssPlan(planner.InnerJoin, 2, 2, 10, 10), mode, []ssIn{
			{'R', 100, "k", []any{"r1"}, 0, 0},
			{'R', 90, "k", []any{"r0"}, 0, 0},
			{'R', 100, "k", []any{"r2"}, 0, 0},
			{'R', 100, "k", []any{"r3"}, 0, 0},
			{'L', 100, "k", []any{"l"}, 0, 0},
		})
		checkSS(t, "duplicates ("+mode+")", h.results(), []string{"k:l,r0@100", "k:l,r1@100", "k:l,r2@100", "k:l,r3@100"})
	}
}

// A store hides records at or below its own stream time minus the
// retention (before+after+grace), and expiry bounds the state: after
// many records the stored keys are those of the last retention plus a
// segment.
func TestStreamStreamJoinExpiry(t *testing.T) {
	// Retention 10+10+0 = 20 ms; segments of a minute.
	p := ssGrace(ssPlan(planner.InnerJoin, 2, 2, 10, 10), 0)
	h := newSSHarness(t, p)
	h.send(ssIn{'R', 1000, "k", []any{"old"}, 0, 0})
	h.send(ssIn{'R', 1020, "j", []any{"new"}, 0, 0})  // right stream time 1020: 1000 is hidden
	h.send(ssIn{'L', 1001, "k", []any{"l"}, 0, 0})    // old@1000 is in its window, but hidden
	h.send(ssIn{'R', 1000, "j", []any{"late"}, 0, 0}) // hidden at once (not stored)
	h.send(ssIn{'L', 1010, "j", []any{"l"}, 0, 0})
	h.commit()
	h.restart()
	h.send(ssIn{'L', 1010, "j", []any{"l2"}, 0, 0})
	checkSS(t, "hidden", h.results(), []string{"j:l,new@1020", "j:l2,new@1020"})

	// Retention 5+5 = 10 s, segments of a minute.
	h = newSSHarness(t, ssGrace(ssPlan(planner.InnerJoin, 2, 2, 5000, 5000), 0))
	n := 0
	for i := int64(0); i < 4000; i++ {
		side := byte('L')
		if i%2 == 1 {
			side = 'R'
		}
		h.send(ssIn{side, i * 1000, fmt.Sprint(i % 7), []any{"v"}, 0, 0})
		if i%50 == 49 {
			h.commit()
			if i%500 == 499 {
				h.restart()
			}
		}
		n = max(n, h.stateKeys())
	}
	h.commit()
	// Per store: one record every 2 s, stored for at most the retention
	// plus a segment (70 s); and the time record. Without expiry: 2000
	// per store.
	if n > 2*40+1 {
		t.Fatalf("%d state keys at most after 4000 records", n)
	}
	if got := len(h.out.evs); got != 0 {
		t.Fatalf("%d results: a key's records are 7 s apart, the window 5 s", got)
	}
}

// reset forgets everything uncommitted, stream times included: a right
// record that advanced the right store's stream time and was then
// aborted hides nothing afterwards.
func TestStreamStreamJoinResetReloads(t *testing.T) {
	h := newSSHarness(t, ssGrace(ssPlan(planner.InnerJoin, 2, 2, 10, 10), 0))
	h.send(ssIn{'R', 1000, "k", []any{"r"}, 0, 0})
	h.commit()
	h.send(ssIn{'R', 5000, "j", []any{"far"}, 0, 0})
	h.send(ssIn{'L', 5000, "j", []any{"far"}, 0, 0})
	h.abort()
	h.out.evs = nil
	h.send(ssIn{'L', 1005, "k", []any{"l"}, 0, 0})
	h.send(ssIn{'L', 5000, "j", []any{"l"}, 0, 0})
	h.commit()
	checkSS(t, "after reset", h.results(), []string{"k:l,r@1005"})
}

// TestStreamStreamJoinMemoryMatchesStore: lookups answered from the
// records kept in memory (ssSide.recent) give exactly what lookups in the
// store give, over random input with out-of-order records, commits,
// aborts and restarts, for every join type with and without GRACE, and
// with a memory bound small enough to overflow.
func TestStreamStreamJoinMemoryMatchesStore(t *testing.T) {
	for _, c := range []struct {
		name      string
		plan      func() *planner.Join
		maxRecent int
	}{
		{"inner", func() *planner.Join { return ssPlan(planner.InnerJoin, 2, 2, 5000, 3000) }, maxRecent},
		{"left", func() *planner.Join { return ssPlan(planner.LeftJoin, 2, 2, 2000, 4000) }, maxRecent},
		{"full-grace", func() *planner.Join { return ssGrace(ssPlan(planner.FullJoin, 2, 2, 3000, 3000), 2000) }, maxRecent},
		{"right-grace", func() *planner.Join { return ssGrace(ssPlan(planner.RightJoin, 2, 2, 1000, 6000), 500) }, maxRecent},
		{"inner-overflow", func() *planner.Join { return ssPlan(planner.InnerJoin, 2, 2, 5000, 5000) }, 7},
	} {
		t.Run(c.name, func(t *testing.T) {
			mem, store := newSSHarness(t, c.plan()), newSSHarness(t, c.plan())
			store.j.storeOnly = true
			mem.j.maxRecent = c.maxRecent
			rng := rand.New(rand.NewPCG(7, uint64(len(c.name))))
			ts := int64(100_000)
			for i := 0; i < 3000; i++ {
				ts += rng.Int64N(400)
				rts := ts
				if rng.IntN(10) == 0 {
					rts -= rng.Int64N(20_000) // out of order, sometimes past the window
				}
				side := byte('L')
				if rng.IntN(2) == 0 {
					side = 'R'
				}
				in := ssIn{side: side, ts: rts, key: int64(rng.IntN(12)), vals: []any{int64(i)}}
				mem.send(in)
				store.send(in)
				switch r := rng.IntN(40); {
				case r < 4:
					mem.commit()
					store.commit()
				case r == 4:
					mem.abort()
					store.abort()
				case r == 5:
					mem.commit()
					store.commit()
					mem.restart()
					store.restart()
					store.j.storeOnly = true
					mem.j.maxRecent = c.maxRecent
				}
			}
			got, want := mem.results(), store.results()
			if len(want) == 0 {
				t.Fatal("no results: the input does not exercise the join")
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Fatalf("memory path differs from the store path: %d vs %d results", len(got), len(want))
			}
		})
	}
}
