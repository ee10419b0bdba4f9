package exec

import (
	"fmt"
	"github.com/ksqlgo/ksql/broker"

	"github.com/ksqlgo/ksql/exec/functions"
	"github.com/ksqlgo/ksql/planner"
	"github.com/ksqlgo/ksql/sql/types"
)

// event is one row flowing through a stage's operators.
type event struct {
	// row is laid out by the operator's input schema. For a table delete
	// (tomb) it holds the key columns and NULL values.
	row  types.Row
	tomb bool
	// nullKey marks a record that had no key (as opposed to key columns
	// that are NULL): a sink that keeps the source key writes a null key.
	nullKey bool
	// old is the row an update replaces, for flows that retract (table
	// aggregations); nil when there is none.
	old types.Row
	// ts is the event time; partition/offset locate the input record.
	ts        int64
	partition int32
	offset    int64
	// window bounds, for rows that belong to a window.
	windowed     bool
	wstart, wend int64
	// headers are the input record's, which a stream's output record
	// carries as Kafka Streams forwards them (never modified: they may
	// share memory with the log reader's buffers).
	headers []broker.Header
}

// operator processes events and passes results to the next operator.
type operator interface {
	process(t *Task, ev *event) error
}

// flusher is implemented by stateful operators: at commit they write
// their dirty state into the task's batch.
type flusher interface {
	flush(t *Task) error
}

// filterOp drops rows whose predicate is not TRUE. On table flows a
// failing row becomes a delete of its key, as Kafka Streams' table filter
// does; on retracting flows the old row is filtered too.
//
// After a table-table join the filter is Kafka Streams' KTable filter
// with old values (oldValues): a row that passes goes on (with its old
// row when that passed too); a row that fails becomes a tombstone of its
// key (the first keyCount slots) only when the old row passed, and
// nothing otherwise; a tombstone goes on unless its old row is known to
// have failed.
type filterOp struct {
	pred      evalFn
	clause    string
	table     bool
	oldValues bool
	keyCount  int
	next      operator
	ctx       evalCtx // reused: a context passed to a closure escapes
}

func (f *filterOp) test(t *Task, row types.Row) bool {
	f.ctx.row = row
	v, err := f.pred(&f.ctx)
	if err != nil {
		t.recordError(f.clause, err, row)
		return false
	}
	return v == true
}

func (f *filterOp) process(t *Task, ev *event) error {
	if f.oldValues {
		return f.processOldValues(t, ev)
	}
	if ev.old != nil && !f.test(t, ev.old) {
		ev.old = nil
	}
	if ev.tomb {
		if !f.table {
			return nil // a null stream row never passes a predicate
		}
		return f.next.process(t, ev)
	}
	if ev.row != nil && !f.test(t, ev.row) {
		switch {
		case ev.old != nil:
			ev.row = nil
		case f.table:
			ev.tomb = true
		default:
			return nil
		}
	}
	if ev.row == nil && ev.old == nil {
		return nil
	}
	return f.next.process(t, ev)
}

// processOldValues is process after a table-table join.
func (f *filterOp) processOldValues(t *Task, ev *event) error {
	oldPass := ev.old != nil && f.test(t, ev.old)
	hadOld := ev.old != nil
	if !oldPass {
		ev.old = nil
	}
	if ev.tomb || ev.row == nil {
		if hadOld && !oldPass {
			return nil // neither the old nor the new row passes
		}
		return f.next.process(t, ev)
	}
	if f.test(t, ev.row) {
		return f.next.process(t, ev)
	}
	if !oldPass {
		return nil
	}
	tomb := make(types.Row, len(ev.row))
	copy(tomb, ev.row[:f.keyCount])
	ev.row, ev.tomb = tomb, true
	return f.next.process(t, ev)
}

// projectOp computes a new row. An expression that fails to evaluate
// yields NULL (and a processing-log entry), as in ksqlDB.
type projectOp struct {
	exprs      []evalFn
	names      []string
	nullOnNull []bool
	next       operator
	// reuse: the next operators only encode the row (markRowReuse), so
	// one buffer serves every row.
	reuse bool
	buf   types.Row
	ctx   evalCtx // reused: a context passed to a closure escapes
}

// markRowReuse lets rows that no operator keeps share one buffer: the
// input row when only filters come before the first projection (which
// copies what it needs) or aggregation (which keeps detached copies of a
// new group's key and of retained arguments), and the projection's row
// when only filters come between it and a sink or repartition that
// encodes it at once. Other operators (table sources, table functions,
// client sinks) keep rows or parts of them.
func markRowReuse(head operator, dec *inputDecoder) {
	switch op := skipFilters(head).(type) {
	case *aggregateOp, *sessionOp:
		dec.reuse = true
	case *projectOp:
		dec.reuse = true
		switch skipFilters(op.next).(type) {
		case *sinkOp, *repartitionOp:
			op.reuse = true
		}
	}
}

// skipFilters returns the first operator from op on that is not a filter.
func skipFilters(op operator) operator {
	for {
		f, ok := op.(*filterOp)
		if !ok {
			return op
		}
		op = f.next
	}
}

func (p *projectOp) apply(t *Task, row types.Row, nullRow bool) types.Row {
	return p.applyInto(t, make(types.Row, len(p.exprs)), row, nullRow)
}

// applyInto computes the projection of row into out (len(p.exprs), all NULL).
func (p *projectOp) applyInto(t *Task, out, row types.Row, nullRow bool) types.Row {
	c := &p.ctx
	c.row = row
	for i, f := range p.exprs {
		if nullRow && p.nullOnNull != nil && p.nullOnNull[i] {
			continue
		}
		v, err := f(c)
		if err != nil {
			t.recordError("SELECT "+p.names[i], err, row)
			v = nil
		}
		out[i] = v
	}
	return out
}

func (p *projectOp) process(t *Task, ev *event) error {
	if ev.row != nil && p.reuse && ev.old == nil {
		if p.buf == nil {
			p.buf = make(types.Row, len(p.exprs))
		} else {
			clear(p.buf)
		}
		ev.row = p.applyInto(t, p.buf, ev.row, ev.tomb)
	} else if ev.row != nil {
		ev.row = p.apply(t, ev.row, ev.tomb)
	}
	if ev.old != nil {
		ev.old = p.apply(t, ev.old, false)
	}
	return p.next.process(t, ev)
}

func newProject(op *planner.Project) (*projectOp, error) {
	fs, err := compileAll(op.Exprs)
	if err != nil {
		return nil, err
	}
	return &projectOp{exprs: fs, names: op.Names, nullOnNull: op.NullOnNullRow}, nil
}

// flatMapOp runs table functions and emits one row per produced value,
// zipping several functions (NULL past the end of a shorter result).
type flatMapOp struct {
	calls []*functions.TableImpl
	names []string
	args  [][]evalFn
	next  operator
}

func newFlatMap(op *planner.FlatMap) (*flatMapOp, error) {
	f := &flatMapOp{}
	for _, c := range op.Calls {
		impl, ok := c.Fn.(*functions.TableImpl)
		if !ok {
			return nil, fmt.Errorf("table function %s has no implementation", c.Name)
		}
		args, err := compileAll(c.Args)
		if err != nil {
			return nil, err
		}
		f.calls = append(f.calls, impl)
		f.names = append(f.names, c.Name)
		f.args = append(f.args, args)
	}
	return f, nil
}

func (f *flatMapOp) process(t *Task, ev *event) error {
	if ev.tomb || ev.row == nil {
		return nil // a null row produces nothing
	}
	results := make([][]types.Value, len(f.calls))
	n := 0
	c := evalCtx{row: ev.row}
	for i, impl := range f.calls {
		args := make([]types.Value, len(f.args[i]))
		for j, a := range f.args[i] {
			v, err := a(&c)
			if err != nil {
				t.recordError(f.names[i], err, ev.row)
				return nil
			}
			args[j] = v
		}
		vals, err := impl.Eval(args)
		if err != nil {
			t.recordError(f.names[i], err, ev.row)
			return nil
		}
		results[i] = vals
		n = max(n, len(vals))
	}
	for k := 0; k < n; k++ {
		row := make(types.Row, len(ev.row), len(ev.row)+len(results))
		copy(row, ev.row)
		for _, vals := range results {
			var v types.Value
			if k < len(vals) {
				v = vals[k]
			}
			row = append(row, v)
		}
		out := *ev
		out.row = row
		if err := f.next.process(t, &out); err != nil {
			return err
		}
	}
	return nil
}
