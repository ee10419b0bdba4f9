package rqtt

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"sort"
	"strings"
)

// The JSON model of the comparison. ksqlDB's executor compares Java
// objects that Jackson built from JSON (TestJsonMapper and ApiJsonMapper:
// USE_BIG_DECIMAL_FOR_FLOATS, LinkedHashMap objects), with Object.equals.
// This file reproduces that value model:
//
//   - objects keep their key order (the order of the checks, and so of
//     the first difference, is the file's order);
//   - an integer literal is an Integer/Long/BigInteger and equals another
//     integer of the same value;
//   - a literal with a fraction or an exponent is a BigDecimal, which
//     equals only a BigDecimal with the same unscaled value and the same
//     scale (1.5 != 1.50), and never an integer (1 != 1.0).

// object is a JSON object with its key order.
type object struct {
	keys []string
	vals map[string]any
}

func (o *object) get(k string) (any, bool) {
	v, ok := o.vals[k]
	return v, ok
}

// integer is a JSON integer literal.
type integer struct{ v *big.Int }

// decimal is a JSON number with a fraction or an exponent, as Java's
// BigDecimal: unscaled value and scale.
type decimal struct {
	unscaled *big.Int
	scale    int
}

// parseJSON decodes one JSON value into the model.
func parseJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeValue(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("trailing data after the JSON value")
	}
	return v, nil
}

func decodeValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			o := &object{vals: map[string]any{}}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k := kt.(string)
				v, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				if _, dup := o.vals[k]; !dup {
					o.keys = append(o.keys, k)
				}
				o.vals[k] = v
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return o, nil
		case '[':
			arr := []any{}
			for dec.More() {
				v, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				arr = append(arr, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return arr, nil
		}
		return nil, fmt.Errorf("unexpected %v", t)
	case json.Number:
		return parseNumber(string(t))
	default:
		return t, nil // string, bool, nil
	}
}

// parseNumber reads a JSON number literal as Jackson does.
func parseNumber(s string) (any, error) {
	if !strings.ContainsAny(s, ".eE") {
		v, ok := new(big.Int).SetString(s, 10)
		if !ok {
			return nil, fmt.Errorf("bad number %q", s)
		}
		return integer{v}, nil
	}
	mant, exp := s, 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mant = s[:i]
		if _, err := fmt.Sscan(s[i+1:], &exp); err != nil {
			return nil, fmt.Errorf("bad number %q", s)
		}
	}
	scale := 0
	if i := strings.IndexByte(mant, '.'); i >= 0 {
		scale = len(mant) - i - 1
		mant = mant[:i] + mant[i+1:]
	}
	u, ok := new(big.Int).SetString(mant, 10)
	if !ok {
		return nil, fmt.Errorf("bad number %q", s)
	}
	return decimal{unscaled: u, scale: scale - exp}, nil
}

// throughServer is what a value read from a server response becomes after
// ksqlDB's client read it and the executor wrote it out again with
// WRITE_BIGDECIMAL_AS_PLAIN and read it back: a BigDecimal with a negative
// scale ("1.5E3") is written "1500" and comes back an integer.
func throughServer(v any) any {
	switch t := v.(type) {
	case decimal:
		if t.scale < 0 {
			p := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(-t.scale)), nil)
			return integer{new(big.Int).Mul(t.unscaled, p)}
		}
		return t
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = throughServer(e)
		}
		return out
	case *object:
		o := &object{keys: t.keys, vals: map[string]any{}}
		for k, e := range t.vals {
			o.vals[k] = throughServer(e)
		}
		return o
	}
	return v
}

// dropEmpty removes the fields that the executor's mapper (Include.NON_EMPTY)
// does not write when it turns a response into the map it compares: null,
// "", [] and {}. Row columns are values, not fields, and are kept as sent.
func dropEmpty(v any, inColumns bool) any {
	switch t := v.(type) {
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = dropEmpty(e, inColumns)
		}
		return out
	case *object:
		o := &object{vals: map[string]any{}}
		for _, k := range t.keys {
			e := t.vals[k]
			if !inColumns && isEmpty(e) {
				continue
			}
			o.keys = append(o.keys, k)
			o.vals[k] = dropEmpty(e, inColumns || k == "columns")
		}
		return o
	}
	return v
}

func isEmpty(v any) bool {
	switch t := v.(type) {
	case nil:
		return true
	case string:
		return t == ""
	case []any:
		return len(t) == 0
	case *object:
		return len(t.keys) == 0
	}
	return false
}

// equal is Java's Object.equals over the model (maps ignore key order).
func equal(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case string:
		y, ok := b.(string)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case integer:
		y, ok := b.(integer)
		return ok && x.v.Cmp(y.v) == 0
	case decimal:
		y, ok := b.(decimal)
		return ok && x.scale == y.scale && x.unscaled.Cmp(y.unscaled) == 0
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equal(x[i], y[i]) {
				return false
			}
		}
		return true
	case *object:
		y, ok := b.(*object)
		if !ok || len(x.vals) != len(y.vals) {
			return false
		}
		for k, xv := range x.vals {
			yv, ok := y.vals[k]
			if !ok || !equal(xv, yv) {
				return false
			}
		}
		return true
	}
	return false
}

// canonical is a text key such that canonical(a) == canonical(b) exactly
// when equal(a, b): the multiset of unordered rows is counted by it.
func canonical(v any) string {
	var b strings.Builder
	writeCanonical(&b, v)
	return b.String()
}

func writeCanonical(b *strings.Builder, v any) {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case string:
		s, _ := json.Marshal(x)
		b.Write(s)
	case bool:
		fmt.Fprint(b, x)
	case integer:
		b.WriteString("i" + x.v.String())
	case decimal:
		fmt.Fprintf(b, "d%s/%d", x.unscaled, x.scale)
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			writeCanonical(b, e)
		}
		b.WriteByte(']')
	case *object:
		keys := make([]string, 0, len(x.vals))
		for k := range x.vals {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			s, _ := json.Marshal(k)
			b.Write(s)
			b.WriteByte(':')
			writeCanonical(b, x.vals[k])
		}
		b.WriteByte('}')
	}
}

// render prints a value as JSON text (numbers as written in the model),
// for failure messages.
func render(v any) string {
	var b strings.Builder
	writeJSON(&b, v)
	return b.String()
}

func writeJSON(b *strings.Builder, v any) {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case string:
		s, _ := json.Marshal(x)
		b.Write(s)
	case bool:
		fmt.Fprint(b, x)
	case integer:
		b.WriteString(x.v.String())
	case decimal:
		b.WriteString(decimalText(x))
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSON(b, e)
		}
		b.WriteByte(']')
	case *object:
		b.WriteByte('{')
		for i, k := range x.keys {
			if i > 0 {
				b.WriteByte(',')
			}
			s, _ := json.Marshal(k)
			b.Write(s)
			b.WriteByte(':')
			writeJSON(b, x.vals[k])
		}
		b.WriteByte('}')
	}
}

func decimalText(d decimal) string {
	if d.scale <= 0 {
		return fmt.Sprintf("%sE%d", d.unscaled, -d.scale)
	}
	s := new(big.Int).Abs(d.unscaled).String()
	for len(s) <= d.scale {
		s = "0" + s
	}
	s = s[:len(s)-d.scale] + "." + s[len(s)-d.scale:]
	if d.unscaled.Sign() < 0 {
		s = "-" + s
	}
	return s
}
