package exec

import (
	"errors"
	"fmt"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/exec/functions"
	"github.com/ksqlgo/ksql/exec/serde"
	"github.com/ksqlgo/ksql/planner"
	"github.com/ksqlgo/ksql/sql/types"
)

// inputDecoder turns records of a stage's input topic into events.
type inputDecoder struct {
	in      planner.Input
	codecs  *topicCodecs
	nKey    int
	nValue  int
	width   int
	scratch []types.Value // serialized value columns, when headers interleave
	// internal topics carry change envelopes (see repartitionOp).
	internal bool
	keyTypes []*types.Type
	valTypes []*types.Type
}

func newInputDecoder(in planner.Input) (*inputDecoder, error) {
	tc, err := newTopicCodecs(in.Topic)
	if err != nil {
		return nil, err
	}
	d := &inputDecoder{in: in, codecs: tc, nKey: len(in.Key), nValue: len(in.Value), width: in.RowWidth(), internal: in.Internal}
	if len(tc.headerCols) > 0 {
		d.scratch = make([]types.Value, len(tc.valueSlots))
	}
	for _, c := range in.Value {
		d.valTypes = append(d.valTypes, c.Type)
	}
	return d, nil
}

// decodeError is a record that cannot be deserialized.
type decodeError struct {
	target string // "key" or "value"
	err    error
}

func (e *decodeError) Error() string { return e.err.Error() }

// decode fills ev from rec. It returns ok=false (and no error) for records
// that are skipped silently: null values on streams.
func (d *inputDecoder) decode(rec *broker.Record, ev *event) (bool, error) {
	*ev = event{ts: rec.Timestamp, partition: rec.Partition, offset: rec.Offset}
	key := rec.Key
	w := d.in.Window
	if d.in.Windowed && key != nil {
		k, s, e, err := splitWindow(key, w)
		if err != nil {
			return false, &decodeError{target: "key", err: err}
		}
		key, ev.wstart, ev.wend, ev.windowed = k, s, e, true
	}
	if d.internal {
		return d.decodeInternal(rec, key, ev)
	}
	row := make(types.Row, d.width)
	if d.nKey > 0 {
		ev.nullKey = key == nil
		if key == nil {
			if d.in.Table {
				return false, &decodeError{target: "key", err: errors.New("table record with a null key")}
			}
		} else if err := d.codecs.key.Decode(key, row[:d.nKey]); err != nil {
			if !errors.Is(err, serde.ErrNullRecord) {
				return false, &decodeError{target: "key", err: err}
			}
		}
	}
	vals := row[d.nKey : d.nKey+d.nValue]
	if rec.Value == nil {
		// A null value: a delete for tables; for streams a null row, which
		// projections pass on as null and filters and aggregations drop.
		ev.tomb = true
	} else {
		dst := vals
		if d.scratch != nil {
			dst = d.scratch
		}
		if err := d.codecs.value.Decode(rec.Value, dst); err != nil {
			if !errors.Is(err, serde.ErrNullRecord) {
				return false, &decodeError{target: "value", err: err}
			}
			ev.tomb = true
			for i := range dst {
				dst[i] = nil
			}
		}
		if d.scratch != nil {
			for i, slot := range d.codecs.valueSlots {
				vals[slot] = d.scratch[i]
			}
			d.fillHeaders(rec, vals)
		}
	}
	if !ev.tomb {
		// A null row has no pseudo columns either: ksqlDB reads them
		// from the value.
		d.fillPseudo(rec, row, ev)
	} else if d.in.Table && d.in.Windowed {
		// A windowed table's delete keeps its window: the bounds are part
		// of the key (ksqlDB's push queries show them on tombstones).
		base := d.nKey + d.nValue
		row[base+planner.PseudoWindowstart] = ev.wstart
		row[base+planner.PseudoWindowend] = ev.wend
	}
	if err := d.extractTimestamp(row, ev); err != nil {
		return false, err
	}
	ev.row = row
	return true, nil
}

func (d *inputDecoder) fillHeaders(rec *broker.Record, vals types.Row) {
	for _, hc := range d.codecs.headerCols {
		if hc.key == "" {
			t := d.in.Value[hc.slot].Type.Elem
			arr := make([]types.Value, len(rec.Headers))
			for i, h := range rec.Headers {
				var v types.Value
				if h.Value != nil {
					v = append([]byte(nil), h.Value...)
				}
				arr[i] = &types.StructValue{Type: t, Vals: []types.Value{h.Key, v}}
			}
			vals[hc.slot] = arr
			continue
		}
		var v types.Value
		for _, h := range rec.Headers {
			if h.Key == hc.key {
				if h.Value == nil {
					v = nil
				} else {
					v = append([]byte(nil), h.Value...)
				}
			}
		}
		vals[hc.slot] = v
	}
}

func (d *inputDecoder) fillPseudo(rec *broker.Record, row types.Row, ev *event) {
	base := d.nKey + d.nValue
	row[base+planner.PseudoRowtime] = rec.Timestamp
	row[base+planner.PseudoRowpartition] = rec.Partition
	row[base+planner.PseudoRowoffset] = rec.Offset
	if d.in.Windowed {
		row[base+planner.PseudoWindowstart] = ev.wstart
		row[base+planner.PseudoWindowend] = ev.wend
	}
}

// errBadTimestamp marks records whose event time cannot be determined.
var errBadTimestamp = errors.New("invalid timestamp")

func (d *inputDecoder) extractTimestamp(row types.Row, ev *event) error {
	if d.in.TimestampColumn >= 0 && !ev.tomb {
		v := row[d.in.TimestampColumn]
		var ts int64
		switch x := v.(type) {
		case nil:
			return fmt.Errorf("%w: the TIMESTAMP column is NULL", errBadTimestamp)
		case int64:
			ts = x
		case types.Timestamp:
			ts = int64(x)
		case string:
			parsed, err := parseTimestampWithFormat(x, d.in.TimestampFormat)
			if err != nil {
				return fmt.Errorf("%w: %v", errBadTimestamp, err)
			}
			ts = parsed
		default:
			return fmt.Errorf("%w: unsupported TIMESTAMP column value %T", errBadTimestamp, v)
		}
		ev.ts = ts
		row[d.nKey+d.nValue+planner.PseudoRowtime] = ts
	}
	if ev.ts < 0 {
		return fmt.Errorf("%w: negative timestamp %d", errBadTimestamp, ev.ts)
	}
	return nil
}

// parseTimestampWithFormat parses event time text with a Java-style
// TIMESTAMP_FORMAT pattern.
func parseTimestampWithFormat(s, pattern string) (int64, error) {
	return functions.ParseTimestamp(s, pattern)
}

// decodeInternal decodes a record of a repartition topic: the key columns
// from the key, and a change envelope from the value.
func (d *inputDecoder) decodeInternal(rec *broker.Record, key []byte, ev *event) (bool, error) {
	keyVals := make([]types.Value, d.nKey)
	if key != nil && d.nKey > 0 {
		if err := d.codecs.key.Decode(key, keyVals); err != nil && !errors.Is(err, serde.ErrNullRecord) {
			return false, &decodeError{target: "key", err: err}
		}
	}
	newVals, oldVals, err := decodeEnvelope(rec.Value, d.valTypes)
	if err != nil {
		return false, &decodeError{target: "value", err: err}
	}
	build := func(vals []types.Value) types.Row {
		if vals == nil {
			return nil
		}
		row := make(types.Row, d.width)
		copy(row, keyVals)
		copy(row[d.nKey:], vals)
		base := d.nKey + d.nValue
		row[base+planner.PseudoRowtime] = rec.Timestamp
		row[base+planner.PseudoRowpartition] = rec.Partition
		row[base+planner.PseudoRowoffset] = rec.Offset
		return row
	}
	ev.row, ev.old = build(newVals), build(oldVals)
	if ev.row == nil && ev.old == nil {
		return false, nil
	}
	return true, nil
}

// A change envelope is a flags byte (bit 0: new row present, bit 1: old
// row present) followed by the present rows.
func appendEnvelope(b []byte, newRow, oldRow types.Row) []byte {
	var flags byte
	if newRow != nil {
		flags |= 1
	}
	if oldRow != nil {
		flags |= 2
	}
	b = append(b, flags)
	if newRow != nil {
		b = appendRow(b, newRow)
	}
	if oldRow != nil {
		b = appendRow(b, oldRow)
	}
	return b
}

func decodeEnvelope(b []byte, ts []*types.Type) (newRow, oldRow types.Row, err error) {
	if len(b) < 1 {
		return nil, nil, errCorrupt
	}
	flags, rest := b[0], b[1:]
	if flags&1 != 0 {
		if newRow, rest, err = decodeRow(rest, ts); err != nil {
			return nil, nil, err
		}
	}
	if flags&2 != 0 {
		if oldRow, _, err = decodeRow(rest, ts); err != nil {
			return nil, nil, err
		}
	}
	return newRow, oldRow, nil
}
