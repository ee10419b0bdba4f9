package exec

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/catalog"
	"github.com/ksqlgo/ksql/exec/serde"
	"github.com/ksqlgo/ksql/planner"
	"github.com/ksqlgo/ksql/sql/types"
)

// sinkOp serializes rows to the query's output topic.
type sinkOp struct {
	sink   *planner.Sink
	codecs *topicCodecs
	k      int
	tsCol  int
	// view is the table sink's materialized view (nil for streams).
	view *viewOp
}

func newSinkOp(s *planner.Sink) (*sinkOp, error) {
	tc, err := newTopicCodecs(s.Topic)
	if err != nil {
		return nil, err
	}
	op := &sinkOp{sink: s, codecs: tc, k: len(s.Key), tsCol: s.TimestampColumn}
	if s.Table {
		op.view = &viewOp{k: op.k, windows: viewWindowed(s), changes: map[string][]byte{}}
	}
	return op, nil
}

func (s *sinkOp) process(t *Task, ev *event) error {
	var key []byte
	var err error
	// A single NULL key column is a null key in every format; several
	// key columns serialize as a record of NULLs (JSON: {"A":null,...}).
	if (s.k > 1 && !(ev.nullKey && s.sink.KeyFromSource)) || (s.k == 1 && ev.row[0] != nil) {
		if key, err = s.codecs.key.Encode(t.encodeBuf(), ev.row[:s.k]); err != nil && !errors.Is(err, serde.ErrNullRecord) {
			t.serializationError("key", s.sink.Name, err, ev.row)
			return nil
		}
		if err != nil {
			key = nil // ErrNullRecord: a null key
		} else {
			key = t.keepEncoded(key)
		}
	}
	partition := ev.partition % s.sink.Partitions
	if key != nil {
		partition = broker.PartitionForKey(key, s.sink.Partitions)
	}
	if ev.windowed && s.sink.Window.Type != catalog.NoWindow {
		key = appendWindow(key, s.sink.Window.Type, ev.wstart, ev.wend)
	}
	var value []byte
	if !ev.tomb {
		value, err = s.codecs.value.Encode(t.encodeBuf(), ev.row[s.k:])
		switch {
		case errors.Is(err, serde.ErrNullRecord):
			value = nil
		case err != nil:
			t.serializationError("value", s.sink.Name, err, ev.row)
			return nil
		case len(value) == 0:
			value = []byte{}
		default:
			value = t.keepEncoded(value)
		}
	}
	ts := ev.ts
	if s.tsCol >= 0 && !ev.tomb {
		switch v := ev.row[s.tsCol].(type) {
		case int64:
			ts = v
		case types.Timestamp:
			ts = int64(v)
		case string:
			parsed, err := parseTimestampWithFormat(v, s.sink.TimestampFormat)
			if err != nil {
				t.recordError("TIMESTAMP", err, ev.row)
				return nil
			}
			ts = parsed
		case nil:
			t.recordError("TIMESTAMP", fmt.Errorf("%w: the TIMESTAMP column is NULL", errBadTimestamp), ev.row)
			return nil
		}
		if ts < 0 {
			t.recordError("TIMESTAMP", fmt.Errorf("%w: negative timestamp %d", errBadTimestamp, ts), ev.row)
			return nil
		}
	}
	rec := broker.Record{Key: key, Value: value, Timestamp: ts}
	if !s.sink.Table {
		// A stream's record carries its input record's headers (Kafka
		// Streams forwards them through stateless processing).
		rec.Headers = ev.headers
	}
	t.emit(s.sink.Name, s.sink.Topic.Name, partition, rec)
	if s.view != nil {
		s.view.record(ev, value == nil)
	}
	return nil
}

// repartitionOp writes change envelopes to an internal topic keyed by the
// first KeyCount slots of the row.
type repartitionOp struct {
	r      *planner.Repartition
	codecs *topicCodecs
}

func newRepartitionOp(r *planner.Repartition) (*repartitionOp, error) {
	tc, err := newTopicCodecs(r.Topic)
	if err != nil {
		return nil, err
	}
	return &repartitionOp{r: r, codecs: tc}, nil
}

func (r *repartitionOp) keyOf(t *Task, row types.Row) ([]byte, bool) {
	if row == nil || hasNull(row[:r.r.KeyCount]) {
		return nil, false
	}
	key, err := r.codecs.key.Encode(t.encodeBuf(), row[:r.r.KeyCount])
	if err != nil {
		t.serializationError("key", r.r.Topic.Name, err, row)
		return nil, false
	}
	return t.keepEncoded(key), true
}

func (r *repartitionOp) write(t *Task, key []byte, newRow, oldRow types.Row, ts int64, headers []broker.Header) {
	k := r.r.KeyCount
	var nv, ov types.Row
	if newRow != nil {
		nv = newRow[k:]
	}
	if oldRow != nil {
		ov = oldRow[k:]
	}
	value := t.keepEncoded(appendEnvelope(t.encodeBuf(), nv, ov))
	p := broker.PartitionForKey(key, r.r.Topic.Partitions)
	t.emit("", r.r.Topic.Name, p, broker.Record{Key: key, Value: value, Timestamp: ts, Headers: headers})
}

func (r *repartitionOp) process(t *Task, ev *event) error {
	row := ev.row
	if ev.tomb {
		// A null stream row goes nowhere; a table delete that carries the
		// row it removes (a table-table join's) retracts that row.
		if ev.old == nil {
			return nil
		}
		row = nil
	}
	newKey, newOK := r.keyOf(t, row)
	oldKey, oldOK := r.keyOf(t, ev.old)
	switch {
	case newOK && oldOK && bytes.Equal(newKey, oldKey):
		r.write(t, newKey, row, ev.old, ev.ts, ev.headers)
	default:
		if oldOK {
			r.write(t, oldKey, nil, ev.old, ev.ts, ev.headers)
		}
		if newOK {
			r.write(t, newKey, row, nil, ev.ts, ev.headers)
		}
	}
	return nil
}
