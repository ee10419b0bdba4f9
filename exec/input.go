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
	// arena allocates each record's values together (one chunk per record).
	arena types.Arena
	// need marks the value columns the stage reads (nil: all); the others
	// are checked but not kept (columnDecoder). cur and curRec are the
	// row being processed and its record, to show the whole record in the
	// processing log (fullRow).
	need   []bool
	cur    types.Row
	curRec *broker.Record
	// reuse: no operator keeps the input row (markRowReuse), so every
	// record is decoded into rowBuf.
	reuse  bool
	rowBuf types.Row
	// oldBuf is the old row of a change envelope when reused.
	oldBuf types.Row
}

// columnDecoder is implemented by codecs that can decode only some columns
// while checking the others exactly as a full decode does (serde's JSON).
type columnDecoder interface {
	DecodeColumns(data []byte, dst []types.Value, ar *types.Arena, need []bool) error
}

// arenaDecoder is implemented by codecs that can allocate a record's
// values from an arena (serde's JSON codec).
type arenaDecoder interface {
	DecodeArena(data []byte, dst []types.Value, ar *types.Arena) error
}

// decodeInto decodes data with c, from the record's arena when c can.
func (d *inputDecoder) decodeInto(c serde.Codec, data []byte, dst []types.Value) error {
	if cd, ok := c.(columnDecoder); ok && d.need != nil && c == d.codecs.value {
		return cd.DecodeColumns(data, dst, &d.arena, d.need)
	}
	if ad, ok := c.(arenaDecoder); ok {
		return ad.DecodeArena(data, dst, &d.arena)
	}
	return c.Decode(data, dst)
}

// neededValues marks the value columns a stage reads before its first
// projection or aggregation replaces the row; nil when it reads them all
// or passes the row on (a sink, a repartition, a table's materialization).
func neededValues(st *planner.Stage) []bool {
	in := &st.Input
	nKey, nValue := len(in.Key), len(in.Value)
	used := make([]bool, in.RowWidth())
	mark := func(e planner.Expr) {
		planner.Walk(e, func(x planner.Expr) {
			if c, ok := x.(*planner.Column); ok && c.Index >= 0 && c.Index < len(used) {
				used[c.Index] = true
			}
		})
	}
	if in.TimestampColumn >= 0 {
		if in.TimestampColumn >= len(used) {
			return nil
		}
		used[in.TimestampColumn] = true
	}
	replaced := false
ops:
	for _, op := range st.Ops {
		switch o := op.(type) {
		case *planner.Filter:
			mark(o.Pred)
		case *planner.FlatMap:
			for _, c := range o.Calls {
				for _, a := range c.Args {
					mark(a)
				}
			}
		case *planner.Project:
			for _, e := range o.Exprs {
				mark(e)
			}
			replaced = true
			break ops
		case *planner.Aggregate:
			for i := 0; i < o.KeyCount && i < len(used); i++ {
				used[i] = true
			}
			for _, c := range o.Calls {
				for _, a := range c.Args {
					mark(a)
				}
			}
			replaced = true
			break ops
		default:
			return nil
		}
	}
	if !replaced || nValue == 0 {
		return nil
	}
	need := used[nKey : nKey+nValue]
	for _, n := range need {
		if !n {
			return need
		}
	}
	return nil
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
	*ev = event{ts: rec.Timestamp, partition: rec.Partition, offset: rec.Offset, headers: rec.Headers}
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
	var row types.Row
	switch {
	case !d.reuse:
		row = make(types.Row, d.width)
	case d.rowBuf == nil:
		d.rowBuf = make(types.Row, d.width)
		row = d.rowBuf
	default:
		row = d.rowBuf
		clear(row)
	}
	d.arena.Reset(len(key) + len(rec.Value) + 16*d.width)
	if d.nKey > 0 {
		ev.nullKey = key == nil
		if key == nil {
			if d.in.Table {
				return false, &decodeError{target: "key", err: errors.New("table record with a null key")}
			}
		} else if err := d.decodeInto(d.codecs.key, key, row[:d.nKey]); err != nil {
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
		if err := d.decodeInto(d.codecs.value, rec.Value, dst); err != nil {
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
	d.cur, d.curRec = row, rec
	return true, nil
}

// fullRow decodes the current record again with every column, for the
// processing log, when the stage decoded only the columns it reads; row
// is returned unchanged when it is not the current input row.
func (d *inputDecoder) fullRow(row types.Row) types.Row {
	if d == nil || d.need == nil || len(row) == 0 || len(d.cur) != len(row) || &row[0] != &d.cur[0] || d.curRec == nil {
		return row
	}
	need, cur, rec, reuse := d.need, d.cur, d.curRec, d.reuse
	d.need, d.reuse = nil, false // a row of its own: the caller still uses cur
	var ev event
	ok, err := d.decode(rec, &ev)
	d.need, d.cur, d.curRec, d.reuse = need, cur, rec, reuse
	if !ok || err != nil {
		return row
	}
	return ev.row
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
	row[base+planner.PseudoRowtime] = d.arena.Int64(rec.Timestamp)
	row[base+planner.PseudoRowpartition] = d.arena.Int32(rec.Partition)
	row[base+planner.PseudoRowoffset] = d.arena.Int64(rec.Offset)
	if d.in.Windowed {
		row[base+planner.PseudoWindowstart] = d.arena.Int64(ev.wstart)
		row[base+planner.PseudoWindowend] = d.arena.Int64(ev.wend)
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
		row[d.nKey+d.nValue+planner.PseudoRowtime] = d.arena.Int64(ts)
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
	b := rec.Value
	if len(b) < 1 {
		return false, &decodeError{target: "value", err: errCorrupt}
	}
	flags, rest := b[0], b[1:]
	if flags&3 == 0 {
		return false, nil
	}
	d.arena.Reset(len(key) + len(b) + 16*d.width)
	base := d.nKey + d.nValue
	var rows [2]types.Row // the new row, the old row
	first := -1
	for i := range rows {
		if flags&(1<<i) == 0 {
			continue
		}
		var row types.Row
		if d.reuse {
			buf := &d.rowBuf
			if i == 1 {
				buf = &d.oldBuf
			}
			if len(*buf) != d.width {
				*buf = make(types.Row, d.width)
			} else {
				clear(*buf)
			}
			row = *buf
		} else {
			row = make(types.Row, d.width)
		}
		if first < 0 {
			first = i
			if key != nil && d.nKey > 0 {
				if err := d.decodeInto(d.codecs.key, key, row[:d.nKey]); err != nil && !errors.Is(err, serde.ErrNullRecord) {
					return false, &decodeError{target: "key", err: err}
				}
			}
			row[base+planner.PseudoRowtime] = d.arena.Int64(rec.Timestamp)
			row[base+planner.PseudoRowpartition] = d.arena.Int32(rec.Partition)
			row[base+planner.PseudoRowoffset] = d.arena.Int64(rec.Offset)
		} else {
			copy(row[:d.nKey], rows[first][:d.nKey])
			copy(row[base:base+3], rows[first][base:base+3])
		}
		var err error
		if rest, err = decodeRowInto(rest, row[d.nKey:base], d.valTypes, &d.arena); err != nil {
			return false, &decodeError{target: "value", err: err}
		}
		rows[i] = row
	}
	ev.row, ev.old = rows[0], rows[1]
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
