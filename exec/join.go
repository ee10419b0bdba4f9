package exec

import (
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/ksqlgo/ksql/planner"
	"github.com/ksqlgo/ksql/sql/types"
)

// Join operators (planner.Join): what every join operator shares (the
// joinOperator contract, the right port a side's chain ends in, keys,
// output rows, materialized stores), and the stream-table and table-table
// joins. Stream-stream joins are built by newStreamStreamJoin
// (joinstream.go). Semantics are Kafka Streams' (docs/design-joins.md,
// sections 6 and 7).
//
// Keys are compared by their serialized form: appendRow of the first
// KeyCount slots, followed by the window bounds (8 bytes big-endian each)
// when the join is windowed. A key with a NULL slot matches nothing.
//
// Materialized sides are stores of the task (names Join.StoreName + "-L"
// and "-R"), key -> varint timestamp + appendRow(row), read through an
// in-memory cache that also holds the writes since the last commit (a
// state.Batch cannot be read): flush writes those through
// Task.stateSet/stateDelete (so the changelog protocol covers them), reset
// drops them.

// joinOperator is what buildChain wires: process takes an event of the
// left input (the row so far in the stage's main chain), processRight an
// event of the right input (the chain of the join's side ends in a
// rightPort). flush and reset are the flusher contract of task.go;
// setNext sets the downstream operator.
type joinOperator interface {
	operator
	processRight(t *Task, ev *event) error
	flush(t *Task) error
	reset()
	setNext(next operator)
}

// rightPort feeds a side input's rows into the right input of its join.
type rightPort struct{ j joinOperator }

func (r rightPort) process(t *Task, ev *event) error { return r.j.processRight(t, ev) }

// newJoinOperator builds the operator of a join by its kind.
func newJoinOperator(o *planner.Join) (joinOperator, error) {
	if o.Kind == planner.ForeignKey {
		j, err := newForeignKeyJoin(o)
		if err != nil {
			return nil, err
		}
		return j, nil
	}
	if o.KeyCount < 0 || o.KeyCount > o.LeftWidth || o.KeyCount > o.RightWidth {
		return nil, fmt.Errorf("join %s: %d key slots for rows of %d and %d slots", o.StoreName, o.KeyCount, o.LeftWidth, o.RightWidth)
	}
	shape := joinShape{o: o, width: o.OutputWidth()}
	switch o.Kind {
	case planner.StreamStream:
		j, err := newStreamStreamJoin(o)
		if err != nil {
			return nil, err
		}
		if len(o.LeftTypes) == o.LeftWidth && len(o.RightTypes) == o.RightWidth {
			j.setTypes(o.LeftTypes, o.RightTypes)
		}
		return j, nil
	case planner.StreamTable:
		if o.Type != planner.InnerJoin && o.Type != planner.LeftJoin {
			return nil, fmt.Errorf("join %s: a stream-table join is INNER or LEFT", o.StoreName)
		}
		return &streamTableJoin{joinShape: shape, right: newJoinStore(o.StoreName+"-R", o.RightTypes)}, nil
	case planner.TableTable:
		j := &tableTableJoin{joinShape: shape, left: newJoinStore(o.StoreName+"-L", o.LeftTypes), right: newJoinStore(o.StoreName+"-R", o.RightTypes)}
		j.leftOuter = o.Type == planner.LeftJoin || o.Type == planner.FullJoin
		j.rightOuter = o.Type == planner.RightJoin || o.Type == planner.FullJoin
		j.lookupLeft = j.left
		return j, nil
	}
	return nil, fmt.Errorf("join %s: unknown kind %d", o.StoreName, o.Kind)
}

// linkJoins connects a table-table join whose left input is the output of
// an earlier join of the same chain (n-way joins) to that join: lookups
// of its left side's current rows are computed by the upstream join from
// its own sides (recursively, through the projections and filters in
// between), instead of materializing intermediate results.
func linkJoins(ops []planner.Op, joins map[int]joinOperator, head operator) error {
	prev := -1
	for i, op := range ops {
		o, ok := op.(*planner.Join)
		if !ok {
			continue
		}
		if tt, ok := joins[i].(*tableTableJoin); ok && prev >= 0 {
			up, ok := joins[prev].(upstreamTable)
			if !ok {
				return fmt.Errorf("join %s: the left input of a table-table join is a stream (join %s)", o.StoreName, ops[prev].(*planner.Join).StoreName)
			}
			var between []operator
			for next := up.nextOp(); next != operator(tt); {
				switch x := next.(type) {
				case *projectOp:
					between = append(between, x)
					next = x.next
				case *filterOp:
					between = append(between, x)
					next = x.next
				default:
					return fmt.Errorf("join %s: cannot look up the rows of join %s through %T", o.StoreName, ops[prev].(*planner.Join).StoreName, next)
				}
			}
			tt.left = nil
			tt.lookupLeft = &chainLookup{up: up, ops: between}
		}
		prev = i
	}
	return nil
}

// upstreamTable is a join whose results a table-table join after it can
// look up (table-table and foreign-key joins).
type upstreamTable interface {
	rowLookup
	nextOp() operator
}

func (j *tableTableJoin) nextOp() operator { return j.next }

// rowLookup gives the current row of one side of a join for a key (nil
// when there is none), with its timestamp. ev is the triggering event
// (computed rows take their ROWPARTITION, ROWOFFSET and window from it).
type rowLookup interface {
	lookup(t *Task, key []byte, ev *event) (types.Row, int64, error)
}

// chainLookup looks a row up in an upstream join and applies the
// operators between that join and the one looking.
type chainLookup struct {
	up  rowLookup
	ops []operator
}

func (c *chainLookup) lookup(t *Task, key []byte, ev *event) (types.Row, int64, error) {
	row, ts, err := c.up.lookup(t, key, ev)
	if err != nil || row == nil {
		return nil, 0, err
	}
	for _, op := range c.ops {
		switch o := op.(type) {
		case *projectOp:
			row = o.apply(t, row, false)
		case *filterOp:
			if !o.test(t, row) {
				return nil, 0, nil
			}
		}
	}
	return row, ts, nil
}

// joinShape is a join's layout: keys and output rows.
type joinShape struct {
	o     *planner.Join
	width int
}

// key serializes the join key of row (and ev's window); ok is false when
// a key slot is NULL.
func (j *joinShape) key(row types.Row, ev *event) ([]byte, bool) {
	kc := j.o.KeyCount
	if len(row) < kc || hasNull(row[:kc]) {
		return nil, false
	}
	k := appendRow(nil, row[:kc])
	if j.o.Windowed {
		k = binary.BigEndian.AppendUint64(k, uint64(ev.wstart))
		k = binary.BigEndian.AppendUint64(k, uint64(ev.wend))
	}
	return k, true
}

// output builds a result row: the key slots of keyRow, the left and right
// values (NULL for a missing side), ROWTIME ts, the triggering record's
// ROWPARTITION and ROWOFFSET, and the window bounds when windowed.
func (j *joinShape) output(keyRow, left, right types.Row, ts int64, ev *event) types.Row {
	o := j.o
	kc := o.KeyCount
	out := make(types.Row, j.width)
	copy(out[:kc], keyRow[:kc])
	if left != nil {
		copy(out[kc:o.LeftWidth], left[kc:min(len(left), o.LeftWidth)])
	}
	off := o.LeftWidth
	if right != nil {
		copy(out[off:off+o.RightWidth-kc], right[kc:min(len(right), o.RightWidth)])
	}
	off += o.RightWidth - kc
	out[off] = ts
	out[off+1] = ev.partition
	out[off+2] = ev.offset
	if o.Windowed {
		out[off+3] = ev.wstart
		out[off+4] = ev.wend
	}
	return out
}

// tombstone builds the row of a delete: the key slots (and window bounds)
// of keyRow, everything else NULL.
func (j *joinShape) tombstone(keyRow types.Row, ev *event) types.Row {
	out := make(types.Row, j.width)
	copy(out[:j.o.KeyCount], keyRow[:j.o.KeyCount])
	if j.o.Windowed {
		out[j.width-2] = ev.wstart
		out[j.width-1] = ev.wend
	}
	return out
}

// event builds an output event triggered by ev.
func (j *joinShape) event(ev *event, row types.Row, ts int64) event {
	out := event{row: row, ts: ts, partition: ev.partition, offset: ev.offset, headers: ev.headers, nullKey: ev.nullKey}
	if j.o.Windowed {
		out.windowed, out.wstart, out.wend = ev.windowed, ev.wstart, ev.wend
	}
	return out
}

// joinStore is a materialized side of a join: key -> (row, timestamp).
// Its cache holds recently read entries (absent keys too) and every write
// since the last commit (dirty), which flush writes to the store; only
// then may the cache evict (clockCache.trim), so a write is never lost
// before its commit. reset drops the cache, which may hold uncommitted
// writes.
type joinStore struct {
	name string
	// types are the row's slot types (nil: unknown), so that values read
	// back from state keep their types (STRUCT field names).
	types []*types.Type
	cache *clockCache[joinEntry]
	dirty map[string]bool
}

// joinEntry is a row and its timestamp; a nil row is no row (deleted).
type joinEntry struct {
	row types.Row
	ts  int64
}

func newJoinStore(name string, ts []*types.Type) *joinStore {
	c := newClockCache[joinEntry]()
	c.size = func(e joinEntry) int { return 24 + 24*len(e.row) + int(rowSize(e.row)) }
	return &joinStore{name: name, types: ts, cache: c, dirty: map[string]bool{}}
}

// get returns the current row for key (nil: none) and its timestamp.
func (s *joinStore) get(t *Task, key []byte) (types.Row, int64, error) {
	if _, e, ok := s.cache.getBytes(key); ok {
		return e.row, e.ts, nil
	}
	raw, found, err := t.stateGet(s.name, key)
	if err != nil {
		return nil, 0, err
	}
	var e joinEntry
	if found {
		ts, n := binary.Varint(raw)
		if n <= 0 {
			return nil, 0, fmt.Errorf("corrupt join state in %s: %w", s.name, errCorrupt)
		}
		if e.row, _, err = decodeRow(raw[n:], s.types); err != nil {
			return nil, 0, fmt.Errorf("corrupt join state in %s: %w", s.name, err)
		}
		e.ts = ts
	}
	s.cache.put(string(key), e)
	return e.row, e.ts, nil
}

func (s *joinStore) put(key []byte, row types.Row, ts int64) {
	k := string(key)
	s.cache.put(k, joinEntry{row: row, ts: ts})
	s.dirty[k] = true
}

func (s *joinStore) del(key []byte) { s.put(key, nil, 0) }

// flush writes the dirty entries into the commit, in key order.
func (s *joinStore) flush(t *Task) {
	keys := make([]string, 0, len(s.dirty))
	for k := range s.dirty {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		e, _ := s.cache.get(k) // dirty entries are not evicted before a flush
		if e.row == nil {
			t.stateDelete(s.name, []byte(k))
			continue
		}
		t.stateSet(s.name, []byte(k), appendRow(binary.AppendVarint(nil, e.ts), e.row))
	}
	clear(s.dirty)
	s.cache.trim(nil)
}

func (s *joinStore) reset() {
	s.cache.reset()
	clear(s.dirty)
}

// streamTableJoin joins each stream record (left) with the table's (right)
// current row for its key: table updates and deletes change the table
// only; a stream record emits on a match (INNER) or always, null-padded
// on a miss (LEFT), with its own timestamp. Stream records without a
// value are dropped; with a NULL key, INNER drops them and LEFT emits them
// null-padded.
type streamTableJoin struct {
	joinShape
	right *joinStore
	next  operator
}

func (j *streamTableJoin) setNext(next operator) { j.next = next }

func (j *streamTableJoin) process(t *Task, ev *event) error {
	if ev.tomb || ev.row == nil {
		return nil
	}
	var right types.Row
	if key, ok := j.key(ev.row, ev); ok {
		var err error
		if right, _, err = j.right.get(t, key); err != nil {
			return err
		}
	}
	if right == nil && j.o.Type == planner.InnerJoin {
		return nil
	}
	out := j.event(ev, j.output(ev.row, ev.row, right, ev.ts, ev), ev.ts)
	return j.next.process(t, &out)
}

func (j *streamTableJoin) processRight(t *Task, ev *event) error {
	keyRow := ev.row
	if keyRow == nil {
		keyRow = ev.old // a delete read from a repartition topic
	}
	if keyRow == nil {
		return nil
	}
	key, ok := j.key(keyRow, ev)
	if !ok {
		return nil
	}
	if ev.tomb || ev.row == nil {
		j.right.del(key)
	} else {
		j.right.put(key, ev.row, ev.ts)
	}
	return nil
}

func (j *streamTableJoin) flush(t *Task) error {
	j.right.flush(t)
	return nil
}

func (j *streamTableJoin) reset() { j.right.reset() }

// tableTableJoin joins two tables: an update (or delete) of either side
// looks up the other side's current row for the key and emits as
// design-joins.md section 7 says. With this the updated side's new row,
// other the other side's row and R(x) the join result of x with other
// (x joined with other when both exist; x or other padded with nulls when
// only it exists and its side is outer; else none):
//
//   - R(this) exists: emit it;
//   - this is a delete and other exists, or this is a delete on an outer
//     side that had a row: emit a tombstone;
//   - otherwise nothing.
//
// Every emitted event carries old = R(this side's previous row), the
// previous result for the key as Kafka Streams recomputes it, so that
// downstream filters and aggregations can retract. The timestamp is the
// max of this record's and other's when other exists, else this record's.
// RIGHT is LEFT with the sides swapped (only the outer flags differ; the
// output keeps the left columns first).
type tableTableJoin struct {
	joinShape
	// left is the materialized left side, nil when the left input is
	// another join's output (linkJoins); lookupLeft reads the left side's
	// current rows either way.
	left, right           *joinStore
	lookupLeft            rowLookup
	leftOuter, rightOuter bool
	next                  operator
}

func (j *tableTableJoin) setNext(next operator) { j.next = next }

func (j *tableTableJoin) process(t *Task, ev *event) error { return j.update(t, ev, true) }

func (j *tableTableJoin) processRight(t *Task, ev *event) error { return j.update(t, ev, false) }

func (j *tableTableJoin) update(t *Task, ev *event, isLeft bool) error {
	var this types.Row
	if !ev.tomb {
		this = ev.row
	}
	keyRow := ev.row
	if keyRow == nil {
		keyRow = ev.old // a delete read from a repartition topic
	}
	if keyRow == nil {
		return nil
	}
	key, ok := j.key(keyRow, ev)
	if !ok {
		return nil
	}
	store := j.right
	if isLeft {
		store = j.left
	}
	var old types.Row
	if store != nil {
		var err error
		if old, _, err = store.get(t, key); err != nil {
			return err
		}
		if this == nil {
			store.del(key)
		} else {
			store.put(key, this, ev.ts)
		}
	} else {
		old = ev.old // the upstream join's previous result
	}
	var other types.Row
	var otherTs int64
	var err error
	if isLeft {
		other, otherTs, err = j.right.get(t, key)
	} else {
		other, otherTs, err = j.lookupLeft.lookup(t, key, ev)
	}
	if err != nil {
		return err
	}
	ts := ev.ts
	if other != nil {
		ts = max(ts, otherTs)
	}
	thisOuter, otherOuter := j.leftOuter, j.rightOuter
	if !isLeft {
		thisOuter, otherOuter = otherOuter, thisOuter
	}
	result := func(x types.Row) types.Row {
		if x == nil && other == nil || x == nil && !otherOuter || other == nil && !thisOuter {
			return nil
		}
		if isLeft {
			return j.output(keyRow, x, other, ts, ev)
		}
		return j.output(keyRow, other, x, ts, ev)
	}
	var out event
	switch newRow := result(this); {
	case newRow != nil:
		out = j.event(ev, newRow, ts)
	case this == nil && (other != nil || thisOuter && old != nil):
		out = j.event(ev, j.tombstone(keyRow, ev), ts)
		out.tomb = true
	default:
		return nil
	}
	out.old = result(old)
	return j.next.process(t, &out)
}

// lookup computes the join's current result for key from its sides'
// current rows (for a join downstream of this one).
func (j *tableTableJoin) lookup(t *Task, key []byte, ev *event) (types.Row, int64, error) {
	l, lts, err := j.lookupLeft.lookup(t, key, ev)
	if err != nil {
		return nil, 0, err
	}
	r, rts, err := j.right.get(t, key)
	if err != nil {
		return nil, 0, err
	}
	var ts int64
	keyRow := l
	switch {
	case l != nil && r != nil:
		ts = max(lts, rts)
	case l != nil && j.leftOuter:
		ts = lts
	case r != nil && j.rightOuter:
		ts, keyRow = rts, r
	default:
		return nil, 0, nil
	}
	return j.output(keyRow, l, r, ts, ev), ts, nil
}

func (j *tableTableJoin) flush(t *Task) error {
	if j.left != nil {
		j.left.flush(t)
	}
	j.right.flush(t)
	return nil
}

func (j *tableTableJoin) reset() {
	if j.left != nil {
		j.left.reset()
	}
	j.right.reset()
}

// lookup reads a materialized side (rowLookup).
func (s *joinStore) lookup(t *Task, key []byte, _ *event) (types.Row, int64, error) {
	return s.get(t, key)
}
