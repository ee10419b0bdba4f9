package functions

// A small JSON tree model that behaves like the Jackson setup ksqlDB's JSON
// functions use: numbers keep their exact text (floats are BigDecimals),
// objects keep key order, only the first value of the input is read, and
// nodes print compactly as JsonNode.toString() does.

import (
	"fmt"
	"math/big"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

type jsonKind uint8

const (
	jsonNull jsonKind = iota
	jsonBool
	jsonNumber
	jsonString
	jsonArray
	jsonObject
)

// jsonNode is a parsed JSON value.
type jsonNode struct {
	kind jsonKind
	b    bool
	// num is the number's literal text; isFloat is set when it has a
	// fraction or exponent.
	num     string
	isFloat bool
	s       string
	elems   []*jsonNode
	keys    []string
	vals    []*jsonNode
}

// get returns an object member (the last one for duplicate keys).
func (n *jsonNode) get(key string) *jsonNode {
	if n.kind != jsonObject {
		return nil
	}
	for i, k := range n.keys {
		if k == key {
			return n.vals[i]
		}
	}
	return nil
}

// set adds or replaces an object member, keeping the first position.
func (n *jsonNode) set(key string, v *jsonNode) {
	for i, k := range n.keys {
		if k == key {
			n.vals[i] = v
			return
		}
	}
	n.keys = append(n.keys, key)
	n.vals = append(n.vals, v)
}

// jsonParse reads the first JSON value of s. It returns nil (Jackson's
// MissingNode) when s holds only whitespace, and an error for invalid JSON.
func jsonParse(s string) (*jsonNode, error) {
	p := &jsonParser{s: s}
	p.skipWS()
	if p.i >= len(p.s) {
		return nil, nil
	}
	n, err := p.value(0)
	if err != nil {
		return nil, fmt.Errorf("Invalid JSON format:%s", s)
	}
	return n, nil
}

// jsonParseArrayPrefix parses a JSON array element by element, calling
// visit for each complete element; parsing stops when visit returns true.
// It reports whether the input starts with an array (and any parse error
// met before visit stopped it).
func jsonParseArrayPrefix(s string, visit func(*jsonNode) bool) (bool, error) {
	p := &jsonParser{s: s}
	p.skipWS()
	if p.i >= len(p.s) || p.s[p.i] != '[' {
		return false, nil
	}
	p.i++
	p.skipWS()
	if p.peek() == ']' {
		return true, nil
	}
	for {
		p.skipWS()
		el, err := p.value(1)
		if err != nil {
			return true, err
		}
		if visit(el) {
			return true, nil
		}
		p.skipWS()
		switch p.peek() {
		case ',':
			p.i++
		case ']':
			return true, nil
		default:
			return true, fmt.Errorf("unexpected character in array")
		}
	}
}

type jsonParser struct {
	s string
	i int
}

const jsonMaxDepth = 1000

var errJSONSyntax = fmt.Errorf("invalid JSON")

func (p *jsonParser) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *jsonParser) skipWS() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *jsonParser) value(depth int) (*jsonNode, error) {
	if depth > jsonMaxDepth {
		return nil, errJSONSyntax
	}
	p.skipWS()
	if p.i >= len(p.s) {
		return nil, errJSONSyntax
	}
	switch c := p.s[p.i]; {
	case c == '{':
		p.i++
		n := &jsonNode{kind: jsonObject}
		p.skipWS()
		if p.peek() == '}' {
			p.i++
			return n, nil
		}
		for {
			p.skipWS()
			if p.peek() != '"' {
				return nil, errJSONSyntax
			}
			k, err := p.str()
			if err != nil {
				return nil, err
			}
			p.skipWS()
			if p.peek() != ':' {
				return nil, errJSONSyntax
			}
			p.i++
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			n.set(k, v)
			p.skipWS()
			switch p.peek() {
			case ',':
				p.i++
			case '}':
				p.i++
				return n, nil
			default:
				return nil, errJSONSyntax
			}
		}
	case c == '[':
		p.i++
		n := &jsonNode{kind: jsonArray, elems: []*jsonNode{}}
		p.skipWS()
		if p.peek() == ']' {
			p.i++
			return n, nil
		}
		for {
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			n.elems = append(n.elems, v)
			p.skipWS()
			switch p.peek() {
			case ',':
				p.i++
			case ']':
				p.i++
				return n, nil
			default:
				return nil, errJSONSyntax
			}
		}
	case c == '"':
		s, err := p.str()
		if err != nil {
			return nil, err
		}
		return &jsonNode{kind: jsonString, s: s}, nil
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number(depth)
	default:
		for _, lit := range []struct {
			text string
			node jsonNode
		}{{"true", jsonNode{kind: jsonBool, b: true}}, {"false", jsonNode{kind: jsonBool}}, {"null", jsonNode{kind: jsonNull}}} {
			if strings.HasPrefix(p.s[p.i:], lit.text) {
				end := p.i + len(lit.text)
				if end < len(p.s) {
					if r, _ := utf8.DecodeRuneInString(p.s[end:]); r == '_' || r == '$' || jsonIdentPart(r) {
						return nil, errJSONSyntax
					}
				}
				p.i = end
				n := lit.node
				return &n, nil
			}
		}
		return nil, errJSONSyntax
	}
}

func jsonIdentPart(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r >= utf8.RuneSelf
}

func (p *jsonParser) number(depth int) (*jsonNode, error) {
	start := p.i
	digits := func() int {
		n := 0
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	if p.peek() == '-' {
		p.i++
	}
	intStart := p.i
	if digits() == 0 {
		return nil, errJSONSyntax
	}
	if p.s[intStart] == '0' && p.i-intStart > 1 {
		return nil, errJSONSyntax // leading zeros
	}
	isFloat := false
	if p.peek() == '.' {
		p.i++
		if digits() == 0 {
			return nil, errJSONSyntax
		}
		isFloat = true
	}
	if c := p.peek(); c == 'e' || c == 'E' {
		p.i++
		if c := p.peek(); c == '+' || c == '-' {
			p.i++
		}
		if digits() == 0 {
			return nil, errJSONSyntax
		}
		isFloat = true
	}
	if depth == 0 && p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
		default:
			return nil, errJSONSyntax // Jackson wants a space after a root number
		}
	}
	return &jsonNode{kind: jsonNumber, num: p.s[start:p.i], isFloat: isFloat}, nil
}

func (p *jsonParser) str() (string, error) {
	p.i++ // opening quote
	var units []uint16
	var sb strings.Builder
	flush := func() {
		if len(units) > 0 {
			sb.WriteString(string(utf16.Decode(units)))
			units = units[:0]
		}
	}
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			flush()
			return sb.String(), nil
		case c < 0x20:
			return "", errJSONSyntax
		case c == '\\':
			p.i++
			if p.i >= len(p.s) {
				return "", errJSONSyntax
			}
			e := p.s[p.i]
			p.i++
			if e == 'u' {
				if p.i+4 > len(p.s) {
					return "", errJSONSyntax
				}
				var v uint16
				for _, h := range p.s[p.i : p.i+4] {
					d, ok := strHexDigit(h)
					if !ok {
						return "", errJSONSyntax
					}
					v = v<<4 | uint16(d)
				}
				p.i += 4
				units = append(units, v)
				continue
			}
			flush()
			switch e {
			case '"', '\\', '/':
				sb.WriteByte(e)
			case 'b':
				sb.WriteByte('\b')
			case 'f':
				sb.WriteByte('\f')
			case 'n':
				sb.WriteByte('\n')
			case 'r':
				sb.WriteByte('\r')
			case 't':
				sb.WriteByte('\t')
			default:
				return "", errJSONSyntax
			}
		default:
			flush()
			r, n := utf8.DecodeRuneInString(p.s[p.i:])
			sb.WriteRune(r)
			p.i += n
		}
	}
	return "", errJSONSyntax
}

// jsonWrite renders a node compactly. plain selects how floats print:
// true for ObjectMapper.writeValueAsString with WRITE_BIGDECIMAL_AS_PLAIN
// (JSON_CONCAT), false for JsonNode.toString() (EXTRACTJSONFIELD, ...).
func jsonWrite(b *strings.Builder, n *jsonNode, plain bool) {
	if n == nil {
		return // MissingNode prints as nothing
	}
	switch n.kind {
	case jsonNull:
		b.WriteString("null")
	case jsonBool:
		if n.b {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case jsonNumber:
		b.WriteString(jsonNumberText(n, plain))
	case jsonString:
		jsonQuote(b, n.s)
	case jsonArray:
		b.WriteByte('[')
		for i, e := range n.elems {
			if i > 0 {
				b.WriteByte(',')
			}
			jsonWrite(b, e, plain)
		}
		b.WriteByte(']')
	case jsonObject:
		b.WriteByte('{')
		for i, k := range n.keys {
			if i > 0 {
				b.WriteByte(',')
			}
			jsonQuote(b, k)
			b.WriteByte(':')
			jsonWrite(b, n.vals[i], plain)
		}
		b.WriteByte('}')
	}
}

// jsonToString renders a node compactly as JsonNode.toString() does.
func jsonToString(n *jsonNode) string {
	var b strings.Builder
	jsonWrite(&b, n, false)
	return b.String()
}

// jsonNumberText renders a number as Jackson prints its numeric node:
// integers in plain decimal, floats as java.math.BigDecimal.
func jsonNumberText(n *jsonNode, plain bool) string {
	if !n.isFloat {
		v, ok := new(big.Int).SetString(n.num, 10)
		if !ok {
			return n.num
		}
		return v.String()
	}
	unscaled, scale := jsonBigDecimal(n.num)
	return jsonFormatBigDecimal(unscaled, scale, plain)
}

// jsonBigDecimal parses a JSON float into BigDecimal's unscaled value and
// scale (new BigDecimal("1.50e3") is 150 with scale -1).
func jsonBigDecimal(text string) (*big.Int, int) {
	mant, exp := text, 0
	if i := strings.IndexAny(text, "eE"); i >= 0 {
		mant = text[:i]
		fmt.Sscanf(text[i+1:], "%d", &exp)
	}
	intPart, frac, _ := strings.Cut(mant, ".")
	u, _ := new(big.Int).SetString(intPart+frac, 10)
	if u == nil {
		u = new(big.Int)
	}
	return u, len(frac) - exp
}

// jsonFormatBigDecimal is BigDecimal.toString() (plain=false) or
// BigDecimal.toPlainString() (plain=true).
func jsonFormatBigDecimal(unscaled *big.Int, scale int, plain bool) string {
	neg := unscaled.Sign() < 0
	coeff := new(big.Int).Abs(unscaled).String()
	sign := ""
	if neg {
		sign = "-"
	}
	if plain {
		switch {
		case scale == 0:
			return sign + coeff
		case scale < 0:
			if unscaled.Sign() == 0 {
				return "0"
			}
			return sign + coeff + strings.Repeat("0", -scale)
		case len(coeff) > scale:
			return sign + coeff[:len(coeff)-scale] + "." + coeff[len(coeff)-scale:]
		default:
			return sign + "0." + strings.Repeat("0", scale-len(coeff)) + coeff
		}
	}
	adjusted := -scale + len(coeff) - 1
	if scale == 0 {
		return sign + coeff
	}
	if scale > 0 && adjusted >= -6 {
		if len(coeff) > scale {
			return sign + coeff[:len(coeff)-scale] + "." + coeff[len(coeff)-scale:]
		}
		return sign + "0." + strings.Repeat("0", scale-len(coeff)) + coeff
	}
	var b strings.Builder
	b.WriteString(sign)
	b.WriteString(coeff[:1])
	if len(coeff) > 1 {
		b.WriteByte('.')
		b.WriteString(coeff[1:])
	}
	if adjusted != 0 {
		b.WriteByte('E')
		if adjusted > 0 {
			b.WriteByte('+')
		}
		fmt.Fprintf(&b, "%d", adjusted)
	}
	return b.String()
}

// jsonQuote writes s as a JSON string the way Jackson escapes it: quote,
// backslash and control characters only.
func jsonQuote(b *strings.Builder, s string) {
	const hexDigits = "0123456789ABCDEF"
	b.WriteByte('"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b.WriteString(s[start:i])
		switch c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			b.WriteString(`\u00`)
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&0xF])
		}
		start = i + 1
	}
	b.WriteString(s[start:])
	b.WriteByte('"')
}
