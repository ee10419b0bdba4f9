package qtt

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// The values ksqlDB's test executor compares, modelled on the Java
// objects and Jackson nodes it uses, so that the comparison follows the
// same rules (ExpectedRecordComparator):
//
//   - an expected record's key and value are Jackson JsonNodes read with
//     exact decimals: a number without fraction or exponent is an IntNode,
//     LongNode or BigIntegerNode by size, any other number a DecimalNode
//     that keeps its scale (jnode);
//   - an actual key or value is what the test serde of the topic's format
//     deserializes (the Java objects below: jvalue).

// jkind is a JSON node type.
type jkind int

const (
	jNull jkind = iota
	jBool
	jNumber
	jString
	jArray
	jObject
)

// jnode is a parsed JSON node with its number text kept as written and
// object fields in order (a repeated name keeps its first place and its
// last value, as Jackson's ObjectNode and LinkedHashMap do).
type jnode struct {
	kind   jkind
	b      bool
	s      string // string value, or number text
	arr    []*jnode
	keys   []string
	fields map[string]*jnode
}

func (n *jnode) String() string {
	switch n.kind {
	case jNull:
		return "null"
	case jBool:
		return strconv.FormatBool(n.b)
	case jNumber:
		return n.s
	case jString:
		return strconv.Quote(n.s)
	case jArray:
		parts := make([]string, len(n.arr))
		for i, e := range n.arr {
			parts[i] = e.String()
		}
		return "[" + strings.Join(parts, ",") + "]"
	default:
		parts := make([]string, len(n.keys))
		for i, k := range n.keys {
			parts[i] = strconv.Quote(k) + ":" + n.fields[k].String()
		}
		return "{" + strings.Join(parts, ",") + "}"
	}
}

// parseJSON parses one JSON document (surrounding white space allowed).
func parseJSON(data []byte) (*jnode, error) {
	p := &jparser{d: data}
	p.ws()
	n, err := p.value(0)
	if err != nil {
		return nil, err
	}
	p.ws()
	if p.i != len(p.d) {
		return nil, fmt.Errorf("unexpected %q after the JSON value at offset %d", p.d[p.i], p.i)
	}
	return n, nil
}

type jparser struct {
	d []byte
	i int
}

func (p *jparser) ws() {
	for p.i < len(p.d) && (p.d[p.i] == ' ' || p.d[p.i] == '\t' || p.d[p.i] == '\n' || p.d[p.i] == '\r') {
		p.i++
	}
}

func (p *jparser) errf(format string, args ...any) error {
	return fmt.Errorf("invalid JSON at offset %d: %s", p.i, fmt.Sprintf(format, args...))
}

func (p *jparser) value(depth int) (*jnode, error) {
	if depth > 1000 {
		return nil, p.errf("nested too deeply")
	}
	if p.i >= len(p.d) {
		return nil, p.errf("no content")
	}
	switch c := p.d[p.i]; {
	case c == '{':
		p.i++
		n := &jnode{kind: jObject, fields: map[string]*jnode{}}
		p.ws()
		if p.i < len(p.d) && p.d[p.i] == '}' {
			p.i++
			return n, nil
		}
		for {
			p.ws()
			if p.i >= len(p.d) || p.d[p.i] != '"' {
				return nil, p.errf("expected a field name")
			}
			k, err := p.str()
			if err != nil {
				return nil, err
			}
			p.ws()
			if p.i >= len(p.d) || p.d[p.i] != ':' {
				return nil, p.errf("expected ':'")
			}
			p.i++
			p.ws()
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			if _, dup := n.fields[k]; !dup {
				n.keys = append(n.keys, k)
			}
			n.fields[k] = v
			p.ws()
			if p.i < len(p.d) && p.d[p.i] == ',' {
				p.i++
				continue
			}
			if p.i < len(p.d) && p.d[p.i] == '}' {
				p.i++
				return n, nil
			}
			return nil, p.errf("expected ',' or '}'")
		}
	case c == '[':
		p.i++
		n := &jnode{kind: jArray}
		p.ws()
		if p.i < len(p.d) && p.d[p.i] == ']' {
			p.i++
			return n, nil
		}
		for {
			p.ws()
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			n.arr = append(n.arr, v)
			p.ws()
			if p.i < len(p.d) && p.d[p.i] == ',' {
				p.i++
				continue
			}
			if p.i < len(p.d) && p.d[p.i] == ']' {
				p.i++
				return n, nil
			}
			return nil, p.errf("expected ',' or ']'")
		}
	case c == '"':
		s, err := p.str()
		if err != nil {
			return nil, err
		}
		return &jnode{kind: jString, s: s}, nil
	case c == 't' || c == 'f' || c == 'n':
		for _, lit := range []string{"true", "false", "null"} {
			if strings.HasPrefix(string(p.d[p.i:min(len(p.d), p.i+5)]), lit) {
				p.i += len(lit)
				switch lit {
				case "null":
					return &jnode{kind: jNull}, nil
				default:
					return &jnode{kind: jBool, b: lit == "true"}, nil
				}
			}
		}
		return nil, p.errf("unexpected %q", c)
	case c == '-' || (c >= '0' && c <= '9'):
		start := p.i
		if p.d[p.i] == '-' {
			p.i++
		}
		digits := func() int {
			s := p.i
			for p.i < len(p.d) && p.d[p.i] >= '0' && p.d[p.i] <= '9' {
				p.i++
			}
			return p.i - s
		}
		if digits() == 0 {
			return nil, p.errf("bad number")
		}
		if p.i < len(p.d) && p.d[p.i] == '.' {
			p.i++
			if digits() == 0 {
				return nil, p.errf("bad number")
			}
		}
		if p.i < len(p.d) && (p.d[p.i] == 'e' || p.d[p.i] == 'E') {
			p.i++
			if p.i < len(p.d) && (p.d[p.i] == '+' || p.d[p.i] == '-') {
				p.i++
			}
			if digits() == 0 {
				return nil, p.errf("bad number")
			}
		}
		return &jnode{kind: jNumber, s: string(p.d[start:p.i])}, nil
	default:
		return nil, p.errf("unexpected %q", c)
	}
}

func (p *jparser) str() (string, error) {
	p.i++ // opening quote
	var b strings.Builder
	for p.i < len(p.d) {
		c := p.d[p.i]
		switch {
		case c == '"':
			p.i++
			return b.String(), nil
		case c == '\\':
			if p.i+1 >= len(p.d) {
				return "", p.errf("unterminated escape")
			}
			e := p.d[p.i+1]
			p.i += 2
			switch e {
			case '"', '\\', '/':
				b.WriteByte(e)
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'u':
				r, err := p.hex4()
				if err != nil {
					return "", err
				}
				if utf16.IsSurrogate(r) && p.i+1 < len(p.d) && p.d[p.i] == '\\' && p.d[p.i+1] == 'u' {
					p.i += 2
					r2, err := p.hex4()
					if err != nil {
						return "", err
					}
					r = utf16.DecodeRune(r, r2)
				}
				b.WriteRune(r)
			default:
				return "", p.errf("bad escape \\%c", e)
			}
		default:
			r, size := utf8.DecodeRune(p.d[p.i:])
			b.WriteRune(r)
			p.i += size
		}
	}
	return "", p.errf("unterminated string")
}

func (p *jparser) hex4() (rune, error) {
	if p.i+4 > len(p.d) {
		return 0, p.errf("short \\u escape")
	}
	v, err := strconv.ParseUint(string(p.d[p.i:p.i+4]), 16, 32)
	if err != nil {
		return 0, p.errf("bad \\u escape")
	}
	p.i += 4
	return rune(v), nil
}

// isIntegralText reports whether a JSON number has neither fraction nor
// exponent (Jackson reads it as an integer).
func isIntegralText(s string) bool { return !strings.ContainsAny(s, ".eE") }

// Java objects, as the test serdes deserialize them.
type (
	jInteger int32 // java.lang.Integer
	jLong    int64 // java.lang.Long
	jDouble  float64
	jBigInt  struct{ v *big.Int } // java.math.BigInteger
	// jDecimal is a java.math.BigDecimal: unscaled value and scale; two
	// are equal (equals) only with the same scale.
	jDecimal struct {
		unscaled *big.Int
		scale    int32
	}
	jBytes []byte // java.nio.ByteBuffer
	// jMap is a java.util.Map (JSON objects), fields in order.
	jMap struct {
		keys []string
		m    map[string]any
	}
	// jWindowed is a Kafka Streams Windowed key.
	jWindowed struct {
		key        any
		start, end int64
		session    bool
	}
)

// parseDecimal parses Java's BigDecimal(String) syntax.
func parseDecimal(s string) (jDecimal, error) {
	mant, exp := s, int64(0)
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e, err := strconv.ParseInt(strings.TrimPrefix(s[i+1:], "+"), 10, 32)
		if err != nil {
			return jDecimal{}, fmt.Errorf("not a decimal: %q", s)
		}
		mant, exp = s[:i], e
	}
	frac := 0
	if i := strings.IndexByte(mant, '.'); i >= 0 {
		frac = len(mant) - i - 1
		mant = mant[:i] + mant[i+1:]
	}
	if mant == "" || mant == "-" || mant == "+" {
		return jDecimal{}, fmt.Errorf("not a decimal: %q", s)
	}
	u, ok := new(big.Int).SetString(strings.TrimPrefix(mant, "+"), 10)
	if !ok {
		return jDecimal{}, fmt.Errorf("not a decimal: %q", s)
	}
	scale := int64(frac) - exp
	if scale > math.MaxInt32 || scale < math.MinInt32 {
		return jDecimal{}, fmt.Errorf("decimal scale out of range: %q", s)
	}
	return jDecimal{unscaled: u, scale: int32(scale)}, nil
}

func (d jDecimal) equal(o jDecimal) bool {
	return d.scale == o.scale && d.unscaled.Cmp(o.unscaled) == 0
}

// integer is the decimal truncated toward zero (BigDecimal.toBigInteger).
func (d jDecimal) integer() *big.Int {
	if d.scale <= 0 {
		return new(big.Int).Mul(d.unscaled, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(-d.scale)), nil))
	}
	return new(big.Int).Quo(d.unscaled, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(d.scale)), nil))
}

func (d jDecimal) String() string {
	s := d.unscaled.String()
	if d.scale == 0 {
		return s
	}
	return s + "E" + strconv.Itoa(int(-d.scale))
}

// low64 is the low 64 bits of v in two's complement (BigInteger.longValue).
func low64(v *big.Int) int64 {
	mask := new(big.Int).SetUint64(math.MaxUint64)
	return int64(new(big.Int).And(v, mask).Uint64())
}

// javaDoubleString formats d as Java's Double.toString does.
func javaDoubleString(d float64) string {
	switch {
	case math.IsNaN(d):
		return "NaN"
	case math.IsInf(d, 1):
		return "Infinity"
	case math.IsInf(d, -1):
		return "-Infinity"
	case d == 0:
		if math.Signbit(d) {
			return "-0.0"
		}
		return "0.0"
	}
	e := strconv.FormatFloat(d, 'e', -1, 64) // [-]d[.ddd]e±XX, shortest
	neg := strings.HasPrefix(e, "-")
	e = strings.TrimPrefix(e, "-")
	i := strings.IndexByte(e, 'e')
	digits := strings.Replace(e[:i], ".", "", 1)
	exp, _ := strconv.Atoi(e[i+1:])
	sign := ""
	if neg {
		sign = "-"
	}
	abs := math.Abs(d)
	if abs >= 1e-3 && abs < 1e7 {
		var intPart, fracPart string
		if exp >= 0 {
			if len(digits) <= exp+1 {
				intPart = digits + strings.Repeat("0", exp+1-len(digits))
			} else {
				intPart, fracPart = digits[:exp+1], digits[exp+1:]
			}
		} else {
			intPart, fracPart = "0", strings.Repeat("0", -exp-1)+digits
		}
		if fracPart == "" {
			fracPart = "0"
		}
		return sign + intPart + "." + fracPart
	}
	frac := digits[1:]
	if frac == "" {
		frac = "0"
	}
	return sign + digits[:1] + "." + frac + "E" + strconv.Itoa(exp)
}

// describe renders an actual value for failure messages.
func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case jInteger, jLong:
		return fmt.Sprint(x)
	case jDouble:
		return javaDoubleString(float64(x))
	case jBigInt:
		return x.v.String()
	case jDecimal:
		return x.String()
	case string:
		return strconv.Quote(x)
	case jBytes:
		return fmt.Sprintf("bytes%v", []byte(x))
	case bool:
		return strconv.FormatBool(x)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = describe(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case *jMap:
		parts := make([]string, len(x.keys))
		for i, k := range x.keys {
			parts[i] = k + "=" + describe(x.m[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case *jWindowed:
		kind := "TimeWindow"
		if x.session {
			kind = "SessionWindow"
		}
		return fmt.Sprintf("[%s@%d/%d (%s)]", describe(x.key), x.start, x.end, kind)
	}
	return fmt.Sprint(v)
}
