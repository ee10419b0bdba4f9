package serde

import (
	"encoding/base64"
	"encoding/binary"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"unicode/utf8"
	"unsafe"

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
		// The common columns inline; appendJSONValue writes them the
		// same way.
		switch v := vals[i]; col.Type.Kind {
		case types.KindBigint:
			if x, ok := v.(int64); ok {
				buf = appendInt(buf, x)
				continue
			}
		case types.KindString:
			if x, ok := v.(string); ok {
				buf = appendJSONString(buf, x)
				continue
			}
		case types.KindTimestamp:
			if x, ok := v.(types.Timestamp); ok {
				buf = appendInt(buf, int64(x))
				continue
			}
		}
		if buf, err = appendJSONValue(buf, vals[i], col.Type); err != nil {
			return buf[:start], err
		}
	}
	return append(buf, '}'), nil
}

// digitPairs holds "00" to "99".
const digitPairs = "00010203040506070809" + "10111213141516171819" + "20212223242526272829" + "30313233343536373839" +
	"40414243444546474849" + "50515253545556575859" + "60616263646566676869" + "70717273747576777879" +
	"80818283848586878889" + "90919293949596979899"

// appendInt is strconv.AppendInt(b, v, 10), writing the digits in place.
func appendInt(b []byte, v int64) []byte {
	u := uint64(v)
	if v < 0 {
		b = append(b, '-')
		u = -u
	}
	if u < 10 {
		return append(b, byte('0'+u))
	}
	n := decimalLen(u)
	b = slices.Grow(b, n)
	out := b[len(b) : len(b)+n]
	i := n
	// Eight digits at a time as two independent halves, then pairs.
	for u >= 1e8 {
		q := u / 1e8
		r := u - q*1e8
		hi, lo := r/10000, r%10000
		hh, hl, lh, ll := hi/100, hi%100, lo/100, lo%100
		i -= 8
		d := out[i : i+8]
		d[0], d[1] = digitPairs[2*hh], digitPairs[2*hh+1]
		d[2], d[3] = digitPairs[2*hl], digitPairs[2*hl+1]
		d[4], d[5] = digitPairs[2*lh], digitPairs[2*lh+1]
		d[6], d[7] = digitPairs[2*ll], digitPairs[2*ll+1]
		u = q
	}
	for u >= 100 {
		q := u / 100
		r := u - q*100
		i -= 2
		out[i], out[i+1] = digitPairs[2*r], digitPairs[2*r+1]
		u = q
	}
	if u >= 10 {
		out[0], out[1] = digitPairs[2*u], digitPairs[2*u+1]
	} else {
		out[0] = byte('0' + u)
	}
	return b[:len(b)+n]
}

// decimalLen is the number of decimal digits of u.
func decimalLen(u uint64) int {
	// log10(2) ~ 1233/4096; one too many at most, corrected by the table.
	n := (bits.Len64(u) * 1233) >> 12
	if u >= pow10Table[n] {
		n++
	}
	return max(n, 1)
}

var pow10Table = [20]uint64{
	1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
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
			return appendInt(b, int64(x)), nil
		}
	case types.KindBigint:
		if x, ok := v.(int64); ok {
			return appendInt(b, x), nil
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
			return appendInt(b, int64(x)), nil
		}
	case types.KindDate:
		if x, ok := v.(types.Date); ok {
			return appendInt(b, int64(x)), nil
		}
	case types.KindTime:
		if x, ok := v.(types.TimeOfDay); ok {
			return appendInt(b, int64(x)), nil
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

// appendJSONString appends s as a JSON string the way Jackson escapes it:
// '"' and '\\' escaped, control characters as \n \t \r \b \f or \u00XX,
// everything else (including non-ASCII) written raw. Invalid UTF-8 bytes
// become U+FFFD, since a Java string cannot hold them.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	var data []byte
	if len(s) > 0 {
		data = unsafe.Slice(unsafe.StringData(s), len(s)) // read only
	}
	start := 0
	for i := 0; ; {
		// Eight bytes at a time, straight to the first one that is not
		// written as it is or starts a multi-byte sequence (as in
		// scanString).
		for i+8 <= len(data) {
			if m := specialInString(binary.LittleEndian.Uint64(data[i:])); m != 0 {
				i += bits.TrailingZeros64(m) >> 3
				goto special
			}
			i += 8
		}
		for i < len(data) && data[i] >= 0x20 && data[i] < utf8.RuneSelf && data[i] != '"' && data[i] != '\\' {
			i++
		}
		if i >= len(data) {
			break
		}
	special:
		c := data[i]
		if c < utf8.RuneSelf {
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
