package serde

import (
	"encoding/base64"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/ksqlgo/ksql/sql/types"
)

// jsonCodec is the JSON format. A wrapped codec reads and writes an object
// whose fields are the columns; an unwrapped one (a single key column by
// default, or WRAP_SINGLE_VALUE=false) reads and writes the column's value
// as the whole document.
type jsonCodec struct {
	cols    []Column
	wrapped bool
	target  string
	row     *structPlan // the columns, for wrapped documents
	rowReq  string      // requiredType of the whole row ("STRUCT<...>")
	single  *jplan      // the column, for unwrapped documents
	// prefixes[i] is `"NAME":` preceded by '{' (i == 0) or ','.
	prefixes [][]byte
	// slow: decode without the fast paths (for the differential tests).
	slow bool
}

func newJSONCodec(cols []Column, opts Options) (Codec, error) {
	for _, c := range cols {
		if hasNonStringMapKey(c.Type) {
			return nil, newConfigError(ErrUnsupportedSchema, "JSON only supports MAP types with STRING keys")
		}
	}
	wrapped := !opts.IsKey || len(cols) != 1
	if opts.WrapSingleValue != nil && len(cols) == 1 {
		wrapped = *opts.WrapSingleValue
	}
	c := &jsonCodec{cols: cols, wrapped: wrapped, target: target(opts.IsKey)}
	if wrapped {
		names := make([]string, len(cols))
		fts := make([]*types.Type, len(cols))
		fields := make([]types.Field, len(cols))
		for i, col := range cols {
			names[i] = col.Name
			fts[i] = col.Type
			fields[i] = types.Field{Name: col.Name, Type: col.Type}
		}
		c.row = buildStructPlan(names, fts)
		c.rowReq = connectTypeName(types.StructOf(fields...))
		c.prefixes = make([][]byte, len(cols))
		for i, col := range cols {
			var p []byte
			if i == 0 {
				p = append(p, '{')
			} else {
				p = append(p, ',')
			}
			p = appendJSONString(p, col.Name)
			c.prefixes[i] = append(p, ':')
		}
	} else {
		c.single = buildPlan(cols[0].Type)
	}
	return c, nil
}

func hasNonStringMapKey(t *types.Type) bool {
	switch t.Kind {
	case types.KindArray:
		return hasNonStringMapKey(t.Elem)
	case types.KindMap:
		return t.Key.Kind != types.KindString || hasNonStringMapKey(t.Value)
	case types.KindStruct:
		for _, f := range t.Fields {
			if hasNonStringMapKey(f.Type) {
				return true
			}
		}
	}
	return false
}

func (c *jsonCodec) Encode(buf []byte, vals []types.Value) ([]byte, error) {
	if len(vals) != len(c.cols) {
		return buf, encodeErrorf("got %d values for %d columns", len(vals), len(c.cols))
	}
	if !c.wrapped {
		if vals[0] == nil {
			return buf, ErrNullRecord
		}
		start := len(buf)
		out, err := appendJSONValue(buf, vals[0], c.cols[0].Type)
		if err != nil {
			return buf[:start], err
		}
		return out, nil
	}
	start := len(buf)
	if len(c.cols) == 0 {
		return append(buf, '{', '}'), nil
	}
	var err error
	for i, col := range c.cols {
		buf = append(buf, c.prefixes[i]...)
		if buf, err = appendJSONValue(buf, vals[i], col.Type); err != nil {
			return buf[:start], err
		}
	}
	return append(buf, '}'), nil
}

// appendJSONValue appends v as the JSON format writes a value of type t
// (Kafka Connect's JsonConverter with numeric decimals, serialized by
// Jackson).
func appendJSONValue(b []byte, v types.Value, t *types.Type) ([]byte, error) {
	if v == nil {
		return append(b, "null"...), nil
	}
	switch t.Kind {
	case types.KindBoolean:
		if x, ok := v.(bool); ok {
			return strconv.AppendBool(b, x), nil
		}
	case types.KindInteger:
		if x, ok := v.(int32); ok {
			return strconv.AppendInt(b, int64(x), 10), nil
		}
	case types.KindBigint:
		if x, ok := v.(int64); ok {
			return strconv.AppendInt(b, x, 10), nil
		}
	case types.KindDouble:
		if x, ok := v.(float64); ok {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				// Jackson quotes non-numeric numbers by default.
				b = append(b, '"')
				b = appendJavaDouble(b, x)
				return append(b, '"'), nil
			}
			return appendJavaDouble(b, x), nil
		}
	case types.KindDecimal:
		if x, ok := v.(types.Dec); ok {
			d, err := fitDec(x, t)
			if err != nil {
				return b, encodeErrorf("%v", err)
			}
			return d.Append(b), nil
		}
	case types.KindString:
		if x, ok := v.(string); ok {
			return appendJSONString(b, x), nil
		}
	case types.KindBytes:
		if x, ok := v.([]byte); ok {
			b = append(b, '"')
			b = base64.StdEncoding.AppendEncode(b, x)
			return append(b, '"'), nil
		}
	case types.KindTimestamp:
		if x, ok := v.(types.Timestamp); ok {
			return strconv.AppendInt(b, int64(x), 10), nil
		}
	case types.KindDate:
		if x, ok := v.(types.Date); ok {
			return strconv.AppendInt(b, int64(x), 10), nil
		}
	case types.KindTime:
		if x, ok := v.(types.TimeOfDay); ok {
			return strconv.AppendInt(b, int64(x), 10), nil
		}
	case types.KindArray:
		if x, ok := v.([]types.Value); ok {
			b = append(b, '[')
			var err error
			for i, e := range x {
				if i > 0 {
					b = append(b, ',')
				}
				if b, err = appendJSONValue(b, e, t.Elem); err != nil {
					return b, err
				}
			}
			return append(b, ']'), nil
		}
	case types.KindMap:
		if x, ok := v.(*types.MapValue); ok {
			if x == nil {
				return append(b, "null"...), nil
			}
			if len(x.Keys) != len(x.Vals) {
				return b, encodeErrorf("malformed map: %d keys, %d values", len(x.Keys), len(x.Vals))
			}
			b = append(b, '{')
			var err error
			for i, k := range x.Keys {
				ks, ok := k.(string)
				if !ok {
					if k == nil {
						return b, encodeErrorf("map keys cannot be null")
					}
					return b, mismatchError(k, "STRING map key")
				}
				if i > 0 {
					b = append(b, ',')
				}
				b = appendJSONString(b, ks)
				b = append(b, ':')
				if b, err = appendJSONValue(b, x.Vals[i], t.Value); err != nil {
					return b, err
				}
			}
			return append(b, '}'), nil
		}
	case types.KindStruct:
		if x, ok := v.(*types.StructValue); ok {
			if x == nil {
				return append(b, "null"...), nil
			}
			if len(x.Vals) != len(t.Fields) {
				return b, encodeErrorf("struct value has %d fields, type %s has %d", len(x.Vals), t, len(t.Fields))
			}
			b = append(b, '{')
			var err error
			for i, f := range t.Fields {
				if i > 0 {
					b = append(b, ',')
				}
				b = appendJSONString(b, f.Name)
				b = append(b, ':')
				if b, err = appendJSONValue(b, x.Vals[i], f.Type); err != nil {
					return b, err
				}
			}
			return append(b, '}'), nil
		}
	}
	return b, mismatchError(v, t.String())
}

const hexDigits = "0123456789ABCDEF"

// jsonSafe[c] is true for ASCII bytes that Jackson writes unescaped.
var jsonSafe = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// appendJSONString appends s as a JSON string the way Jackson escapes it:
// '"' and '\\' escaped, control characters as \n \t \r \b \f or \u00XX,
// everything else (including non-ASCII) written raw. Invalid UTF-8 bytes
// become U+FFFD, since a Java string cannot hold them.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if jsonSafe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\t':
				b = append(b, '\\', 't')
			case '\r':
				b = append(b, '\\', 'r')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, "\uFFFD"...)
			i++
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendJavaDouble appends f as Java's Double.toString writes it ("1.0",
// "1.0E10", "1.0E-5", "NaN", "Infinity"), the same text as
// types.FormatDouble, without allocating.
func appendJavaDouble(b []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, "NaN"...)
	case math.IsInf(f, 1):
		return append(b, "Infinity"...)
	case math.IsInf(f, -1):
		return append(b, "-Infinity"...)
	case f == 0:
		if math.Signbit(f) {
			return append(b, "-0.0"...)
		}
		return append(b, "0.0"...)
	}
	abs := math.Abs(f)
	if abs >= 1e-3 && abs < 1e7 {
		start := len(b)
		b = strconv.AppendFloat(b, f, 'f', -1, 64)
		for _, c := range b[start:] {
			if c == '.' {
				return b
			}
		}
		return append(b, '.', '0')
	}
	var tmp [32]byte
	s := strconv.AppendFloat(tmp[:0], f, 'e', -1, 64) // -1.2345e+10, 1e-05
	e := 0
	for e < len(s) && s[e] != 'e' {
		e++
	}
	mant, exp := s[:e], s[e+1:]
	b = append(b, mant...)
	hasDot := false
	for _, c := range mant {
		if c == '.' {
			hasDot = true
			break
		}
	}
	if !hasDot {
		b = append(b, '.', '0')
	}
	b = append(b, 'E')
	if exp[0] == '-' {
		b = append(b, '-')
	}
	exp = exp[1:]
	for len(exp) > 1 && exp[0] == '0' {
		exp = exp[1:]
	}
	return append(b, exp...)
}
