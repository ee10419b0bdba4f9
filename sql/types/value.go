package types

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Value is a runtime SQL value. Each SQL type has exactly one Go
// representation, and NULL is always nil:
//
//	BOOLEAN   bool
//	INTEGER   int32
//	BIGINT    int64
//	DOUBLE    float64
//	DECIMAL   Dec
//	STRING    string
//	BYTES     []byte
//	TIMESTAMP Timestamp (ms since epoch)
//	DATE      Date (days since epoch)
//	TIME      TimeOfDay (ms since midnight)
//	ARRAY     []Value
//	MAP       *MapValue
//	STRUCT    *StructValue
//
// Values are treated as immutable once produced: an operator that needs a
// changed array or struct builds a new one.
type Value = any

// Row is a positional tuple of values, laid out by a schema.
type Row []Value

// Timestamp is a TIMESTAMP value: milliseconds since the Unix epoch, UTC.
type Timestamp int64

// Date is a DATE value: days since the Unix epoch.
type Date int32

// TimeOfDay is a TIME value: milliseconds since midnight.
type TimeOfDay int32

// MapValue is a MAP value. Entries keep insertion order (which is how
// ksqlDB's JSON serializer writes them); keys are unique.
type MapValue struct {
	Keys []Value
	Vals []Value
}

// Get returns the value stored under k.
func (m *MapValue) Get(k Value) (Value, bool) {
	for i, mk := range m.Keys {
		if Compare(mk, k) == 0 {
			return m.Vals[i], true
		}
	}
	return nil, false
}

// Put sets k to v, replacing an existing entry in place.
func (m *MapValue) Put(k, v Value) {
	for i, mk := range m.Keys {
		if Compare(mk, k) == 0 {
			m.Vals[i] = v
			return
		}
	}
	m.Keys = append(m.Keys, k)
	m.Vals = append(m.Vals, v)
}

// Len is the number of entries.
func (m *MapValue) Len() int { return len(m.Keys) }

// StructValue is a STRUCT value: one value per field of its type, in order.
type StructValue struct {
	Type *Type
	Vals []Value
}

// Get returns the value of the named field (exact name).
func (s *StructValue) Get(name string) (Value, bool) {
	_, i, ok := s.Type.Field(name)
	if !ok {
		return nil, false
	}
	return s.Vals[i], true
}

// KindOf returns the SQL kind of a runtime value (Null for nil).
func KindOf(v Value) Kind {
	switch v.(type) {
	case nil:
		return KindNull
	case bool:
		return KindBoolean
	case int32:
		return KindInteger
	case int64:
		return KindBigint
	case float64:
		return KindDouble
	case Dec:
		return KindDecimal
	case string:
		return KindString
	case []byte:
		return KindBytes
	case Timestamp:
		return KindTimestamp
	case Date:
		return KindDate
	case TimeOfDay:
		return KindTime
	case []Value:
		return KindArray
	case *MapValue:
		return KindMap
	case *StructValue:
		return KindStruct
	}
	panic(fmt.Sprintf("types: unexpected runtime value %T", v))
}

// Compare orders two non-null values of comparable types: numbers by value
// (across numeric kinds), strings and bytes lexicographically, booleans
// false < true, temporal values by instant. Arrays, maps and structs compare
// element-wise. A nil sorts before everything.
func Compare(a, b Value) int {
	if a == nil || b == nil {
		switch {
		case a == nil && b == nil:
			return 0
		case a == nil:
			return -1
		default:
			return 1
		}
	}
	switch x := a.(type) {
	case string:
		if y, ok := b.(string); ok {
			return strings.Compare(x, y)
		}
	case bool:
		if y, ok := b.(bool); ok {
			switch {
			case x == y:
				return 0
			case !x:
				return -1
			default:
				return 1
			}
		}
	case []byte:
		if y, ok := b.([]byte); ok {
			return bytes.Compare(x, y)
		}
	case Timestamp:
		if y, ok := b.(Timestamp); ok {
			return cmpInt(int64(x), int64(y))
		}
	case Date:
		if y, ok := b.(Date); ok {
			return cmpInt(int64(x), int64(y))
		}
	case TimeOfDay:
		if y, ok := b.(TimeOfDay); ok {
			return cmpInt(int64(x), int64(y))
		}
	case []Value:
		if y, ok := b.([]Value); ok {
			for i := 0; i < len(x) && i < len(y); i++ {
				if c := Compare(x[i], y[i]); c != 0 {
					return c
				}
			}
			return cmpInt(int64(len(x)), int64(len(y)))
		}
	case *StructValue:
		if y, ok := b.(*StructValue); ok {
			for i := 0; i < len(x.Vals) && i < len(y.Vals); i++ {
				if c := Compare(x.Vals[i], y.Vals[i]); c != 0 {
					return c
				}
			}
			return cmpInt(int64(len(x.Vals)), int64(len(y.Vals)))
		}
	case *MapValue:
		if y, ok := b.(*MapValue); ok {
			if x.Len() != y.Len() {
				return cmpInt(int64(x.Len()), int64(y.Len()))
			}
			for i, k := range x.Keys {
				yv, ok := y.Get(k)
				if !ok {
					return 1
				}
				if c := Compare(x.Vals[i], yv); c != 0 {
					return c
				}
			}
			return 0
		}
	}
	return compareNumeric(a, b)
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func compareNumeric(a, b Value) int {
	ka, kb := KindOf(a), KindOf(b)
	switch {
	case (ka == KindInteger || ka == KindBigint) && (kb == KindInteger || kb == KindBigint):
		return cmpInt(AsInt64(a), AsInt64(b))
	case ka == KindDecimal || kb == KindDecimal:
		if ka == KindDouble || kb == KindDouble {
			return cmpFloat(AsFloat64(a), AsFloat64(b))
		}
		return AsDec(a).Cmp(AsDec(b))
	case ka == KindDouble || kb == KindDouble:
		return cmpFloat(AsFloat64(a), AsFloat64(b))
	}
	// Incomparable kinds: order by kind so that sorting is still total.
	return cmpInt(int64(ka), int64(kb))
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	case a == b:
		return 0
	case math.IsNaN(a) && math.IsNaN(b):
		return 0
	case math.IsNaN(a):
		return 1 // NaN sorts last, as Java's Double.compare does
	}
	return -1
}

// Equal reports whether two values are equal (nil equals only nil).
func Equal(a, b Value) bool { return Compare(a, b) == 0 }

// AsInt64 converts an INTEGER or BIGINT (or temporal) value to int64.
func AsInt64(v Value) int64 {
	switch x := v.(type) {
	case int32:
		return int64(x)
	case int64:
		return x
	case float64:
		return int64(x)
	case Dec:
		return x.Int64()
	case Timestamp:
		return int64(x)
	case Date:
		return int64(x)
	case TimeOfDay:
		return int64(x)
	}
	panic(fmt.Sprintf("types: %T is not integral", v))
}

// AsFloat64 converts any numeric value to float64.
func AsFloat64(v Value) float64 {
	switch x := v.(type) {
	case int32:
		return float64(x)
	case int64:
		return float64(x)
	case float64:
		return x
	case Dec:
		return x.Float64()
	}
	panic(fmt.Sprintf("types: %T is not numeric", v))
}

// AsDec converts an integral or decimal value to a Dec.
func AsDec(v Value) Dec {
	switch x := v.(type) {
	case int32:
		return DecFromInt64(int64(x))
	case int64:
		return DecFromInt64(x)
	case Dec:
		return x
	case float64:
		d, err := ParseDec(strconv.FormatFloat(x, 'f', -1, 64))
		if err != nil {
			panic(err)
		}
		return d
	}
	panic(fmt.Sprintf("types: %T is not numeric", v))
}

// FormatDouble formats a DOUBLE the way Java's Double.toString does, which
// is how ksqlDB renders doubles as text (e.g. in DELIMITED values and
// string casts): "1.0", "0.1", "1.0E10", "NaN", "Infinity".
func FormatDouble(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	abs := math.Abs(f)
	if abs >= 1e-3 && abs < 1e7 {
		s := strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.ContainsRune(s, '.') {
			s += ".0"
		}
		return s
	}
	s := strconv.FormatFloat(f, 'E', -1, 64) // e.g. 1.2345E+10
	mant, exp, _ := strings.Cut(s, "E")
	if !strings.ContainsRune(mant, '.') {
		mant += ".0"
	}
	exp = strings.TrimPrefix(exp, "+")
	neg := strings.HasPrefix(exp, "-")
	exp = strings.TrimLeft(strings.TrimPrefix(exp, "-"), "0")
	if neg {
		exp = "-" + exp
	}
	return mant + "E" + exp
}

// FormatTimestamp renders a TIMESTAMP as ksqlDB does in text form:
// ISO-8601 in UTC with milliseconds, "2021-01-01T00:00:00.000".
func FormatTimestamp(ts Timestamp) string {
	return time.UnixMilli(int64(ts)).UTC().Format("2006-01-02T15:04:05.000")
}

// FormatDate renders a DATE as "2021-01-31".
func FormatDate(d Date) string {
	return time.Unix(int64(d)*86400, 0).UTC().Format("2006-01-02")
}

// FormatTime renders a TIME as "12:34:56" (with ".SSS" when there are millis).
func FormatTime(t TimeOfDay) string {
	ms := int64(t)
	s := time.UnixMilli(ms).UTC().Format("15:04:05")
	if ms%1000 != 0 {
		s += fmt.Sprintf(".%03d", ms%1000)
	}
	return s
}

// String renders a value as ksqlDB renders it as text (CAST(x AS STRING),
// CONCAT, DELIMITED columns): doubles as Java does, decimals plainly,
// arrays as [a, b], maps as {k=v}, structs as Struct{A=1,B=x}.
func String(v Value) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return x
	case bool:
		if x {
			return "true"
		}
		return "false"
	case int32:
		return strconv.FormatInt(int64(x), 10)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return FormatDouble(x)
	case Dec:
		return x.String()
	case []byte:
		return string(x)
	case Timestamp:
		return FormatTimestamp(x)
	case Date:
		return FormatDate(x)
	case TimeOfDay:
		return FormatTime(x)
	case []Value:
		var b strings.Builder
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(String(e))
		}
		b.WriteByte(']')
		return b.String()
	case *MapValue:
		var b strings.Builder
		b.WriteByte('{')
		for i, k := range x.Keys {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(String(k))
			b.WriteByte('=')
			b.WriteString(String(x.Vals[i]))
		}
		b.WriteByte('}')
		return b.String()
	case *StructValue:
		var b strings.Builder
		b.WriteString("Struct{")
		n := 0
		for i, f := range x.Type.Fields {
			if x.Vals[i] == nil {
				continue
			}
			if n > 0 {
				b.WriteByte(',')
			}
			n++
			b.WriteString(f.Name)
			b.WriteByte('=')
			b.WriteString(String(x.Vals[i]))
		}
		b.WriteByte('}')
		return b.String()
	}
	return fmt.Sprint(v)
}
