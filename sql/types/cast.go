package types

import (
	"encoding/base64"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Cast converts a non-null value v of SQL type from into SQL type to, as
// ksqlDB's CAST does. A nil v yields nil.
func Cast(v Value, from, to *Type) (Value, error) {
	if v == nil {
		return nil, nil
	}
	if from != nil && from.Equal(to) {
		return v, nil
	}
	switch to.Kind {
	case KindString:
		return String(v), nil
	case KindBoolean:
		switch x := v.(type) {
		case bool:
			return x, nil
		case string:
			return ParseBoolean(x)
		}
	case KindInteger:
		switch x := v.(type) {
		case int32:
			return x, nil
		case int64:
			return int32(x), nil
		case float64:
			return int32(javaDoubleToLong(x)), nil
		case Dec:
			return int32(x.Int64()), nil
		case string:
			n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 32)
			if err != nil {
				return nil, fmt.Errorf("Cannot cast '%s' to INTEGER", x)
			}
			return int32(n), nil
		}
	case KindBigint:
		switch x := v.(type) {
		case int32:
			return int64(x), nil
		case int64:
			return x, nil
		case float64:
			return javaDoubleToLong(x), nil
		case Dec:
			return x.Int64(), nil
		case string:
			n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
			if err != nil {
				return nil, fmt.Errorf("Cannot cast '%s' to BIGINT", x)
			}
			return n, nil
		}
	case KindDouble:
		switch x := v.(type) {
		case int32, int64, float64, Dec:
			return AsFloat64(x), nil
		case string:
			f, err := ParseDouble(x)
			if err != nil {
				return nil, fmt.Errorf("Cannot cast '%s' to DOUBLE", x)
			}
			return f, nil
		}
	case KindDecimal:
		var d Dec
		switch x := v.(type) {
		case int32, int64:
			d = AsDec(x)
		case Dec:
			d = x
		case float64:
			var err error
			if d, err = DecFromFloat64(x); err != nil {
				return nil, err
			}
		case string:
			var err error
			if d, err = ParseDec(x); err != nil {
				return nil, fmt.Errorf("Cannot cast '%s' to %s", x, to)
			}
		default:
			return nil, castErr(v, to)
		}
		return FitDecimal(d, to)
	case KindTimestamp:
		switch x := v.(type) {
		case Timestamp:
			return x, nil
		case Date:
			return Timestamp(int64(x) * 86400000), nil
		case string:
			return ParseTimestamp(x)
		}
	case KindDate:
		switch x := v.(type) {
		case Date:
			return x, nil
		case Timestamp:
			return Date(floorDiv(int64(x), 86400000)), nil
		case string:
			return ParseDate(x)
		}
	case KindTime:
		switch x := v.(type) {
		case TimeOfDay:
			return x, nil
		case Timestamp:
			return TimeOfDay(floorMod(int64(x), 86400000)), nil
		case string:
			return ParseTime(x)
		}
	case KindBytes:
		switch x := v.(type) {
		case []byte:
			return x, nil
		case string:
			b, err := base64.StdEncoding.DecodeString(x)
			if err != nil {
				return nil, fmt.Errorf("Cannot cast '%s' to BYTES: not base64", x)
			}
			return b, nil
		}
	case KindArray:
		if arr, ok := v.([]Value); ok {
			var ef *Type
			if from != nil && from.Kind == KindArray {
				ef = from.Elem
			}
			out := make([]Value, len(arr))
			for i, e := range arr {
				c, err := Cast(e, ef, to.Elem)
				if err != nil {
					return nil, err
				}
				out[i] = c
			}
			return out, nil
		}
	case KindMap:
		if m, ok := v.(*MapValue); ok {
			var kf, vf *Type
			if from != nil && from.Kind == KindMap {
				kf, vf = from.Key, from.Value
			}
			out := &MapValue{Keys: make([]Value, len(m.Keys)), Vals: make([]Value, len(m.Vals))}
			for i := range m.Keys {
				k, err := Cast(m.Keys[i], kf, to.Key)
				if err != nil {
					return nil, err
				}
				val, err := Cast(m.Vals[i], vf, to.Value)
				if err != nil {
					return nil, err
				}
				out.Keys[i], out.Vals[i] = k, val
			}
			return out, nil
		}
	case KindStruct:
		if s, ok := v.(*StructValue); ok {
			out := &StructValue{Type: to, Vals: make([]Value, len(to.Fields))}
			for i, f := range to.Fields {
				fv, ok := s.Get(f.Name)
				if !ok {
					continue
				}
				sf, _, _ := s.Type.Field(f.Name)
				c, err := Cast(fv, sf.Type, f.Type)
				if err != nil {
					return nil, err
				}
				out.Vals[i] = c
			}
			return out, nil
		}
	}
	return nil, castErr(v, to)
}

func castErr(v Value, to *Type) error {
	return fmt.Errorf("Cast of %s to %s is not supported", KindOf(v), to)
}

// FitDecimal rescales d to the scale of DECIMAL t, failing when the
// result needs more digits than t's precision.
func FitDecimal(d Dec, t *Type) (Dec, error) {
	r := d.Rescale(t.Scale)
	if r.Sign() != 0 && r.Precision() > t.Precision {
		return Dec{}, fmt.Errorf("Numeric field overflow: A field with precision %d and scale %d must round to an absolute value less than 10^%d. Got %s",
			t.Precision, t.Scale, t.Precision-t.Scale, d.String())
	}
	return r, nil
}

// javaDoubleToLong converts like Java's (long) cast: truncation toward
// zero, NaN to 0, saturation at the bounds.
func javaDoubleToLong(f float64) int64 {
	switch {
	case math.IsNaN(f):
		return 0
	case f >= math.MaxInt64:
		return math.MaxInt64
	case f <= math.MinInt64:
		return math.MinInt64
	}
	return int64(f)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func floorMod(a, b int64) int64 { return a - floorDiv(a, b)*b }

// ParseBoolean accepts ksqlDB's boolean spellings, case-insensitively:
// true/t/yes/y and false/f/no/n.
func ParseBoolean(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "t", "yes", "y":
		return true, nil
	case "false", "f", "no", "n":
		return false, nil
	}
	return false, fmt.Errorf("invalid input syntax for type BOOLEAN: \"%s\"", s)
}

// ParseDouble parses a double as Java's Double.parseDouble does (also
// "NaN", "Infinity", "-Infinity").
func ParseDouble(s string) (float64, error) {
	t := strings.TrimSpace(s)
	switch t {
	case "NaN":
		return math.NaN(), nil
	case "Infinity", "+Infinity":
		return math.Inf(1), nil
	case "-Infinity":
		return math.Inf(-1), nil
	}
	t = strings.TrimRight(t, "dDfF")
	return strconv.ParseFloat(t, 64)
}

// ParseTimestamp parses ISO-8601 text as ksqlDB's TIMESTAMP literal
// parser does: a date, optionally 'T' and a time with optional
// fraction, optionally a zone ("Z" or "+hh:mm"); no zone means UTC.
func ParseTimestamp(s string) (Timestamp, error) {
	t := strings.TrimSpace(s)
	layouts := []string{
		"2006-01-02T15:04:05.999999999Z07:00",
		"2006-01-02T15:04:05.999999999Z0700",
		"2006-01-02T15:04:05.999999999",
		"2006-01-02T15:04Z07:00",
		"2006-01-02T15:04",
		"2006-01-02T15",
		"2006-01-02",
		"2006-01",
		"2006",
	}
	for _, l := range layouts {
		if tm, err := time.Parse(l, t); err == nil {
			return Timestamp(tm.UnixMilli()), nil
		}
	}
	return 0, fmt.Errorf("Cannot parse timestamp '%s'. Timestamp format must be yyyy-mm-ddThh:mm:ss[.S]", s)
}

// ParseDate parses "yyyy-mm-dd".
func ParseDate(s string) (Date, error) {
	tm, err := time.Parse("2006-01-02", strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("Cannot parse date '%s'. Date format must be yyyy-mm-dd", s)
	}
	return Date(floorDiv(tm.Unix(), 86400)), nil
}

// ParseTime parses "hh:mm[:ss[.fff]]".
func ParseTime(s string) (TimeOfDay, error) {
	t := strings.TrimSpace(s)
	for _, l := range []string{"15:04:05.999999999", "15:04:05", "15:04"} {
		if tm, err := time.Parse(l, t); err == nil {
			ms := int64(tm.Hour())*3600000 + int64(tm.Minute())*60000 + int64(tm.Second())*1000 +
				int64(tm.Nanosecond())/1e6
			return TimeOfDay(ms), nil
		}
	}
	return 0, fmt.Errorf("Cannot parse time '%s'. Time format must be hh:mm:ss[.S]", s)
}
