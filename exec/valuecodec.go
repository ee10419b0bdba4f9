package exec

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"

	"github.com/ksqlgo/ksql/sql/types"
)

// The engine's own binary encoding of runtime values, used for state
// (aggregate accumulators, materialized rows) and for the values of
// internal repartition topics. Each value is a tag byte followed by its
// payload; containers nest. It is not order-preserving: the state keys
// that need an order put it first themselves (a window start as 8 bytes
// big-endian, ahead of the group key, so that expiring windows is one
// range delete); group keys need none, only equality and prefixes (every
// encoding is self-delimiting, so a group key's encoding is a prefix of
// only its own keys: session sets, view rows).

const (
	tagNull byte = iota
	tagFalse
	tagTrue
	tagInt32
	tagInt64
	tagFloat64
	tagDec
	tagString
	tagBytes
	tagTimestamp
	tagDate
	tagTime
	tagArray
	tagMap
	tagStruct
)

var errCorrupt = errors.New("corrupt encoded value")

// appendValue appends the encoding of v.
func appendValue(b []byte, v types.Value) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, tagNull)
	case bool:
		if x {
			return append(b, tagTrue)
		}
		return append(b, tagFalse)
	case int32:
		return binary.AppendVarint(append(b, tagInt32), int64(x))
	case int64:
		return binary.AppendVarint(append(b, tagInt64), x)
	case float64:
		return binary.BigEndian.AppendUint64(append(b, tagFloat64), math.Float64bits(x))
	case types.Dec:
		b = binary.AppendVarint(append(b, tagDec), int64(x.Scale()))
		u := x.Unscaled()
		sign := byte(0)
		if u.Sign() < 0 {
			sign = 1
		}
		mag := new(big.Int).Abs(u).Bytes()
		b = append(b, sign)
		b = binary.AppendUvarint(b, uint64(len(mag)))
		return append(b, mag...)
	case string:
		b = binary.AppendUvarint(append(b, tagString), uint64(len(x)))
		return append(b, x...)
	case []byte:
		b = binary.AppendUvarint(append(b, tagBytes), uint64(len(x)))
		return append(b, x...)
	case types.Timestamp:
		return binary.AppendVarint(append(b, tagTimestamp), int64(x))
	case types.Date:
		return binary.AppendVarint(append(b, tagDate), int64(x))
	case types.TimeOfDay:
		return binary.AppendVarint(append(b, tagTime), int64(x))
	case []types.Value:
		b = binary.AppendUvarint(append(b, tagArray), uint64(len(x)))
		for _, e := range x {
			b = appendValue(b, e)
		}
		return b
	case *types.MapValue:
		b = binary.AppendUvarint(append(b, tagMap), uint64(len(x.Keys)))
		for i := range x.Keys {
			b = appendValue(b, x.Keys[i])
			b = appendValue(b, x.Vals[i])
		}
		return b
	case *types.StructValue:
		b = binary.AppendUvarint(append(b, tagStruct), uint64(len(x.Vals)))
		for _, e := range x.Vals {
			b = appendValue(b, e)
		}
		return b
	}
	panic(fmt.Sprintf("exec: cannot encode %T", v))
}

// decodeValue decodes one value; t (may be nil) supplies struct types,
// which the encoding does not carry.
func decodeValue(b []byte, t *types.Type) (types.Value, []byte, error) {
	return decodeValueIn(b, t, nil)
}

// decodeValueIn is decodeValue boxing scalars into ar (nil: plain Go
// allocation); nested values are allocated plainly.
func decodeValueIn(b []byte, t *types.Type, ar *types.Arena) (types.Value, []byte, error) {
	if len(b) == 0 {
		return nil, nil, errCorrupt
	}
	tag, b := b[0], b[1:]
	varint := func() (int64, error) {
		v, n := binary.Varint(b)
		if n <= 0 {
			return 0, errCorrupt
		}
		b = b[n:]
		return v, nil
	}
	uvarint := func() (uint64, error) {
		v, n := binary.Uvarint(b)
		if n <= 0 || v > uint64(len(b))*8+64 {
			return 0, errCorrupt
		}
		b = b[n:]
		return v, nil
	}
	switch tag {
	case tagNull:
		return nil, b, nil
	case tagFalse:
		return false, b, nil
	case tagTrue:
		return true, b, nil
	case tagInt32:
		v, err := varint()
		return ar.Int32(int32(v)), b, err
	case tagInt64:
		v, err := varint()
		return ar.Int64(v), b, err
	case tagTimestamp:
		v, err := varint()
		return ar.Timestamp(types.Timestamp(v)), b, err
	case tagDate:
		v, err := varint()
		return types.Date(v), b, err
	case tagTime:
		v, err := varint()
		return types.TimeOfDay(v), b, err
	case tagFloat64:
		if len(b) < 8 {
			return nil, nil, errCorrupt
		}
		return ar.Float64(math.Float64frombits(binary.BigEndian.Uint64(b))), b[8:], nil
	case tagDec:
		scale, err := varint()
		if err != nil || len(b) < 1 {
			return nil, nil, errCorrupt
		}
		sign := b[0]
		b = b[1:]
		n, err := uvarint()
		if err != nil || uint64(len(b)) < n {
			return nil, nil, errCorrupt
		}
		if n < 8 { // fits in 63 bits: no big.Int
			var u int64
			for _, c := range b[:n] {
				u = u<<8 | int64(c)
			}
			if sign == 1 {
				u = -u
			}
			return ar.Dec(types.DecFromUnscaled(u, int(scale))), b[n:], nil
		}
		u := new(big.Int).SetBytes(b[:n])
		if sign == 1 {
			u.Neg(u)
		}
		return types.NewDec(u, int(scale)), b[n:], nil
	case tagString, tagBytes:
		n, err := uvarint()
		if err != nil || uint64(len(b)) < n {
			return nil, nil, errCorrupt
		}
		if tag == tagString {
			return ar.StringValue(b[:n]), b[n:], nil
		}
		out := make([]byte, n)
		copy(out, b[:n])
		return out, b[n:], nil
	case tagArray:
		n, err := uvarint()
		if err != nil {
			return nil, nil, err
		}
		var et *types.Type
		if t != nil && t.Kind == types.KindArray {
			et = t.Elem
		}
		out := make([]types.Value, n)
		for i := range out {
			if out[i], b, err = decodeValue(b, et); err != nil {
				return nil, nil, err
			}
		}
		return out, b, nil
	case tagMap:
		n, err := uvarint()
		if err != nil {
			return nil, nil, err
		}
		var kt, vt *types.Type
		if t != nil && t.Kind == types.KindMap {
			kt, vt = t.Key, t.Value
		}
		m := &types.MapValue{Keys: make([]types.Value, n), Vals: make([]types.Value, n)}
		for i := 0; i < int(n); i++ {
			if m.Keys[i], b, err = decodeValue(b, kt); err != nil {
				return nil, nil, err
			}
			if m.Vals[i], b, err = decodeValue(b, vt); err != nil {
				return nil, nil, err
			}
		}
		return m, b, nil
	case tagStruct:
		n, err := uvarint()
		if err != nil {
			return nil, nil, err
		}
		s := &types.StructValue{Type: t, Vals: make([]types.Value, n)}
		for i := 0; i < int(n); i++ {
			var ft *types.Type
			if t != nil && t.Kind == types.KindStruct && i < len(t.Fields) {
				ft = t.Fields[i].Type
			}
			if s.Vals[i], b, err = decodeValue(b, ft); err != nil {
				return nil, nil, err
			}
		}
		if t == nil || t.Kind != types.KindStruct || len(t.Fields) != int(n) {
			fields := make([]types.Field, n)
			for i := range fields {
				fields[i] = types.Field{Name: fmt.Sprintf("F%d", i), Type: types.StringType}
			}
			s.Type = types.StructOf(fields...)
		}
		return s, b, nil
	}
	return nil, nil, errCorrupt
}

// appendRow encodes a row (count then values).
func appendRow(b []byte, row types.Row) []byte {
	b = binary.AppendUvarint(b, uint64(len(row)))
	for _, v := range row {
		b = appendValue(b, v)
	}
	return b
}

// appendAggState appends the stored state of an aggregate group: the
// encoding of the row accs..., ts, emitted (as appendRow writes it),
// without building the row or boxing ts.
func appendAggState(b []byte, accs []types.Value, ts int64, emitted bool) []byte {
	b = binary.AppendUvarint(b, uint64(len(accs)+2))
	for _, v := range accs {
		b = appendValue(b, v)
	}
	b = binary.AppendVarint(append(b, tagInt64), ts)
	if emitted {
		return append(b, tagTrue)
	}
	return append(b, tagFalse)
}

// decodeRowInto decodes a row encoded by appendRow into dst (a row of
// more values than dst is corrupt; fewer leave the rest as they are),
// boxing scalars into ar.
func decodeRowInto(b []byte, dst []types.Value, ts []*types.Type, ar *types.Arena) ([]byte, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(dst)) {
		return nil, errCorrupt
	}
	b = b[k:]
	var err error
	for i := range dst[:n] {
		var t *types.Type
		if i < len(ts) {
			t = ts[i]
		}
		if dst[i], b, err = decodeValueIn(b, t, ar); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// decodeRow decodes a row encoded by appendRow, using ts for struct types.
func decodeRow(b []byte, ts []*types.Type) (types.Row, []byte, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)) {
		return nil, nil, errCorrupt
	}
	b = b[k:]
	row := make(types.Row, n)
	var err error
	for i := range row {
		var t *types.Type
		if i < len(ts) {
			t = ts[i]
		}
		if row[i], b, err = decodeValue(b, t); err != nil {
			return nil, nil, err
		}
	}
	return row, b, nil
}
