package exec

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/catalog"
	"github.com/ksqlgo/ksql/planner"
	"github.com/ksqlgo/ksql/sql/types"
	"github.com/ksqlgo/ksql/state"
)

// Client queries: the rows of a push query's last stage go to a delivery
// callback instead of a topic (planner.Sink.Transient), pull queries run a
// stage's operators over rows they feed themselves (Pipeline), and the
// sink of every persistent query that writes a table keeps a
// materialized view of it in its task's state (viewStore), which pull
// queries read (ScanView).

// Delivery is one result row of a client query.
type Delivery struct {
	// Row holds the result columns in SELECT order, as runtime values.
	Row types.Row
	// Tombstone marks a delete of a table row (only the columns computed
	// from the key are set).
	Tombstone bool
	// Timestamp is the row's event time.
	Timestamp int64
}

// DeliverFunc receives a client query's rows, on the goroutine of the
// task that produced them. It may block (that task then waits: only this
// query slows down); an error fails the task's current batch.
type DeliverFunc func(Delivery) error

// clientSinkOp hands rows to the query's delivery callback.
type clientSinkOp struct{}

func (clientSinkOp) process(t *Task, ev *event) error {
	if t.deliver == nil {
		return nil
	}
	if ev.row == nil {
		return nil
	}
	return t.deliver(Delivery{Row: ev.row, Tombstone: ev.tomb, Timestamp: ev.ts})
}

// viewStore is the state store holding a table sink's materialized view:
//
//	s/<query id>/<stage>/<partition>/view/<key>
//
// where key is the key columns in exec's value encoding, followed for
// windowed tables by the window start and end (8 bytes each, big-endian),
// and the value is the row's timestamp and window bounds (varints) and the
// whole sink row (key and value columns). A delete removes the key. The
// changes of a commit interval are written into the commit's batch, so the
// view is exactly as of the task's last commit.
const viewStore = "view"

// viewSinceStore marks a task whose view was kept from the task's first
// commit: its one key is written with the task's initial commit record.
// Tables of queries started by a version that kept no views lack it, and
// pull queries refuse them rather than answer from an incomplete view.
const viewSinceStore = "viewsince"

// ViewComplete reports whether every partition of stage of query queryID
// has kept its materialized view since its first commit.
func ViewComplete(st state.Store, queryID string, stage int, partitions int32) (bool, error) {
	for p := int32(0); p < partitions; p++ {
		_, ok, err := st.Get([]byte(statePrefix(queryID, stage, p) + viewSinceStore + "/"))
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

// viewOp buffers the sink's changes to its view until the next commit.
type viewOp struct {
	k       int
	windows bool
	changes map[string][]byte // nil value: delete
	// flushBuf and flushWrites are flush's scratch.
	flushBuf    []byte
	flushWrites []stateWrite
}

func (v *viewOp) record(ev *event, deleted bool) {
	key := appendRow(nil, ev.row[:v.k])
	if v.windows && ev.windowed {
		key = binary.BigEndian.AppendUint64(key, uint64(ev.wstart))
		key = binary.BigEndian.AppendUint64(key, uint64(ev.wend))
	}
	if deleted {
		v.changes[string(key)] = nil
		return
	}
	val := binary.AppendVarint(nil, ev.ts)
	if ev.windowed {
		val = append(val, 1)
		val = binary.AppendVarint(val, ev.wstart)
		val = binary.AppendVarint(val, ev.wend)
	} else {
		val = append(val, 0)
	}
	v.changes[string(key)] = appendRow(val, ev.row)
}

func (v *viewOp) flush(t *Task) error {
	// In key order, as aggregateOp.flush writes (sortStateWrites); a
	// deletion is a write without a value (v1 == k1 and no value).
	buf, ws := v.flushBuf[:0], v.flushWrites[:0]
	for k, val := range v.changes {
		k0 := len(buf)
		buf = append(buf, k...)
		k1 := len(buf)
		buf = append(buf, val...)
		w := newStateWrite(k, k0, k1, len(buf))
		if val == nil {
			w.v1 = -1
		}
		ws = append(ws, w)
	}
	sortStateWrites(ws, buf)
	for _, w := range ws {
		if w.v1 < 0 {
			t.stateDelete(viewStore, buf[w.k0:w.k1])
		} else {
			t.stateSet(viewStore, buf[w.k0:w.k1], buf[w.k1:w.v1])
		}
	}
	if cap(buf) > 16<<20 {
		buf = nil // a burst's buffer is not kept
	}
	v.flushBuf, v.flushWrites = buf[:0], ws[:0]
	clear(v.changes)
	return nil
}

func (v *viewOp) reset() { clear(v.changes) }

// ViewRow is one row of a materialized view.
type ViewRow struct {
	// Row is the table's key columns then its value columns.
	Row         types.Row
	Timestamp   int64
	Partition   int32
	Windowed    bool
	WindowStart int64
	WindowEnd   int64
}

// ScanView calls fn for every row of the materialized view kept by stage
// of query queryID, over all of its partitions, as of one point in time
// (one store iterator: the view as of the last commit of each task that
// finished before the scan began). types gives the row's column types
// (for STRUCT values). fn returning false stops the scan.
func ScanView(st state.Store, queryID string, stage int, partitions int32, colTypes []*types.Type, fn func(ViewRow) bool) error {
	lo := fmt.Sprintf("s/%s/%d/", queryID, stage)
	hi := fmt.Sprintf("s/%s/%d0", queryID, stage) // '0' follows '/'
	it, err := st.NewIter([]byte(lo), []byte(hi))
	if err != nil {
		return err
	}
	for p := int32(0); p < partitions; p++ {
		prefix := []byte(statePrefix(queryID, stage, p) + viewStore + "/")
		for ok := it.SeekGE(prefix); ok && hasPrefix(it.Key(), prefix); ok = it.Next() {
			vr, err := decodeViewValue(it.Value(), colTypes)
			if err != nil {
				it.Close()
				return fmt.Errorf("materialized view of %s: %w", queryID, err)
			}
			vr.Partition = p
			if !fn(vr) {
				return it.Close()
			}
		}
	}
	return it.Close()
}

// LookupView calls fn for the rows of the materialized view kept by stage
// of query queryID whose key columns equal one of keys, over all of its
// partitions, through one store iterator (one point in time, as
// ScanView). Each key is the table's key columns as runtime values of the
// columns' own types (an INTEGER column's value is an int32): the view's
// keys are their exec value encoding, so a key given with another Go type
// finds nothing. For a windowed table every window of the key is read.
// Rows come in ScanView's order (partition, then view key), each once,
// whatever the order or repetitions of keys. fn returning false stops.
func LookupView(st state.Store, queryID string, stage int, partitions int32, keys []types.Row, colTypes []*types.Type, fn func(ViewRow) bool) error {
	// Encoded keys are self-delimiting (a column count, then tagged,
	// length-prefixed values), so no encoded key is a prefix of another:
	// the rows of a key are exactly the view keys it prefixes (one for a
	// table without windows), and sorting the encodings sorts the rows.
	enc := make([]string, 0, len(keys))
	for _, k := range keys {
		enc = append(enc, string(appendRow(nil, k)))
	}
	slices.Sort(enc)
	enc = slices.Compact(enc)
	lo := fmt.Sprintf("s/%s/%d/", queryID, stage)
	hi := fmt.Sprintf("s/%s/%d0", queryID, stage) // '0' follows '/'
	it, err := st.NewIter([]byte(lo), []byte(hi))
	if err != nil {
		return err
	}
	var seek []byte
	for p := int32(0); p < partitions; p++ {
		prefix := statePrefix(queryID, stage, p) + viewStore + "/"
		for _, k := range enc {
			seek = append(append(seek[:0], prefix...), k...)
			for ok := it.SeekGE(seek); ok && hasPrefix(it.Key(), seek); ok = it.Next() {
				vr, err := decodeViewValue(it.Value(), colTypes)
				if err != nil {
					it.Close()
					return fmt.Errorf("materialized view of %s: %w", queryID, err)
				}
				vr.Partition = p
				if !fn(vr) {
					return it.Close()
				}
			}
		}
	}
	return it.Close()
}

func hasPrefix(b, prefix []byte) bool {
	return len(b) >= len(prefix) && string(b[:len(prefix)]) == string(prefix)
}

func decodeViewValue(b []byte, colTypes []*types.Type) (ViewRow, error) {
	var vr ViewRow
	var n int
	if vr.Timestamp, n = binary.Varint(b); n <= 0 || len(b) <= n {
		return vr, errCorrupt
	}
	b = b[n:]
	vr.Windowed = b[0] == 1
	b = b[1:]
	if vr.Windowed {
		if vr.WindowStart, n = binary.Varint(b); n <= 0 {
			return vr, errCorrupt
		}
		b = b[n:]
		if vr.WindowEnd, n = binary.Varint(b); n <= 0 {
			return vr, errCorrupt
		}
		b = b[n:]
	}
	row, _, err := decodeRow(b, colTypes)
	vr.Row = row
	return vr, err
}

// Pipeline runs one stage's operators (filters, projections, table
// functions) synchronously over rows or records the caller feeds it; the
// stage's sink must be transient, and its rows go to deliver. Pull
// queries use it. A Pipeline keeps no state and is used by one goroutine.
type Pipeline struct {
	task  *Task
	stage *planner.Stage
}

// NewPipeline compiles st. A pipeline never commits, so rows that fail to
// process are skipped without a processing-log entry.
func NewPipeline(rt *Runtime, st *planner.Stage, props map[string]string, deliver DeliverFunc) (*Pipeline, error) {
	if st.Sink == nil || !st.Sink.Transient {
		return nil, errors.New("exec: a pipeline needs a transient sink")
	}
	for _, op := range st.Ops {
		switch op.(type) {
		case *planner.Filter, *planner.Project, *planner.FlatMap:
		default:
			return nil, fmt.Errorf("exec: a pipeline cannot run %T", op)
		}
	}
	prt := &Runtime{Log: rt.Log, State: rt.State, Now: rt.Now, Logf: rt.Logf}
	t := &Task{rt: prt, queryID: "pull", producer: "pull", input: st.Input, deliver: deliver,
		pending: map[broker.TopicPartition][]broker.Record{}}
	if err := buildChain(t, st, 0, props); err != nil {
		return nil, err
	}
	return &Pipeline{task: t, stage: st}, nil
}

// ProcessRecord decodes a record of the stage's input topic and runs it
// through the operators.
func (p *Pipeline) ProcessRecord(rec *broker.Record) error {
	var ev event
	ok, err := p.task.dec.decode(rec, &ev)
	if err != nil || !ok {
		return nil // undecodable records are skipped, as by a query
	}
	return p.task.head.process(p.task, &ev)
}

// ProcessViewRow runs a materialized view's row through the operators:
// the row is laid out as the stage's input (key and value columns, then
// ROWTIME, ROWPARTITION, ROWOFFSET (NULL) and the window bounds).
func (p *Pipeline) ProcessViewRow(vr ViewRow) error {
	in := &p.stage.Input
	row := make(types.Row, in.RowWidth())
	base := len(in.Key) + len(in.Value)
	copy(row[:base], vr.Row)
	row[base+planner.PseudoRowtime] = vr.Timestamp
	row[base+planner.PseudoRowpartition] = vr.Partition
	if in.Windowed {
		row[base+planner.PseudoWindowstart] = vr.WindowStart
		row[base+planner.PseudoWindowend] = vr.WindowEnd
	}
	ev := event{row: row, ts: vr.Timestamp, partition: vr.Partition, offset: -1,
		windowed: vr.Windowed, wstart: vr.WindowStart, wend: vr.WindowEnd}
	return p.task.head.process(p.task, &ev)
}

// DropTransientState deletes everything a transient query left in the
// state store: its operators' state, its commit records and its spent
// sequence numbers. Transient query ids are never reused, so the spent
// numbers are not needed (unlike DropState); call it after Stop, once the
// log has made the query's transaction markers durable.
func DropTransientState(rt *Runtime, queryID string) error {
	b := rt.State.NewBatch()
	for _, p := range []string{"s/", "m/", "p/"} {
		b.DeleteRange([]byte(p+queryID+"/"), []byte(p+queryID+"0"))
	}
	return b.Commit(false)
}

// viewWindowed reports whether a sink's view keys carry window bounds.
func viewWindowed(s *planner.Sink) bool { return s.Window.Type != catalog.NoWindow }
