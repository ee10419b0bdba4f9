package serde

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"unicode/utf8"
	"unsafe"

	"github.com/ksqlgo/ksql/sql/types"
)

// This file holds the value rules shared by the JSON codec and the
// ValueFromJSON/ValueToJSON helpers: ksqlDB's JSON coercions
// (KsqlJsonDeserializer and JsonSerdeUtils), java.math.BigDecimal text
// handling, DECIMAL fitting (DecimalUtil.ensureFit), Java number parsing and
// base64.
//
// JSON coercions into a column of type T, by JSON token (Jackson node):
//
//	T          number                      string                        true/false   array   object
//	BOOLEAN    error                       error                         value        error   error
//	INTEGER    intValue(): truncate, low   Integer.parseInt              error        error   error
//	           32 bits (wraps)
//	BIGINT     asLong(): truncate, low 64  Long.parseLong                error        error   error
//	DOUBLE     doubleValue()               Double.parseDouble            error        error   error
//	DECIMAL    ensureFit (exact rescale)   new BigDecimal + ensureFit    error        error   error
//	STRING     number text (BigDecimal     value                         "true"/      "[a,    compact
//	           toString for non-integers)                                "false"      b]"     JSON
//	TIMESTAMP  asLong()                    Long.parseLong                error        error   error
//	DATE       asLong() days               Long.parseLong days           error        error   error
//	TIME       asLong(), 0..86400000       Long.parseLong, 0..86400000   error        error   error
//	BYTES      error                       base64                        error        error   error
//	ARRAY      error                       error                         error        elems   error
//	MAP        error                       error                         error        error   entries
//	STRUCT     error                       error                         error        error   fields
//
// JSON null is NULL for every type.

// jplan is a type prepared for JSON decoding.
type jplan struct {
	t    *types.Type
	kind types.Kind
	elem *jplan      // ARRAY element, MAP value
	st   *structPlan // STRUCT
	req  string      // requiredType in "Can't convert type" errors
}

// structPlan describes the fields of a STRUCT (or of a wrapped row).
type structPlan struct {
	names  []string
	fields []*jplan
	segs   []string // error path segments: ".NAME"
	// collide is set when a JSON key could match two fields (a field name
	// is the upper-case form of another); matching then takes the slow path.
	collide bool
	// keys[i] recognises field i's name in the document's bytes without
	// scanning the key as a string (guessKey); set when no names collide and
	// the name is printable ASCII without '"' or '\\'.
	keys []keyPattern
	// next[0] is the field the first key of the last object named, and
	// next[i+1] the one after field i: the order in which a topic's
	// records list their fields, learned as they are read (atomically: a
	// codec is shared), to guess each key before scanning it. At first,
	// the declared order.
	next []atomic.Int32
}

// keyPattern is a field name followed by the closing quote of its key, in
// little-endian 8-byte words, zero-padded: a key spells the name exactly
// when the words match, and upper-cases to it when they match with bit
// 0x20 set in the bytes of the name's upper-case letters (fold), which
// the key may have in lower case. The first word is held apart: most
// names fit in it.
type keyPattern struct {
	ok     bool
	n      int    // bytes in the pattern: the name and the quote
	w0, f0 uint64 // the first word and its fold bits
	m0     uint64 // the bytes of the first word that belong to the pattern
	words  []uint64
	fold   []uint64
	mask   []uint64 // the bytes of each further word that belong to the pattern
}

func newKeyPattern(name string) keyPattern {
	if !isPlainName(name) {
		return keyPattern{}
	}
	lit := name + `"`
	nw := (len(lit) + 7) / 8
	words, fold, mask := make([]uint64, nw), make([]uint64, nw), make([]uint64, nw)
	for i := 0; i < len(lit); i++ {
		c := lit[i]
		words[i/8] |= uint64(c) << (8 * (i % 8))
		mask[i/8] |= 0xFF << (8 * (i % 8))
		if c >= 'A' && c <= 'Z' {
			fold[i/8] |= 0x20 << (8 * (i % 8))
		}
	}
	k := keyPattern{ok: true, n: len(lit), w0: words[0], f0: fold[0], m0: mask[0]}
	if nw > 1 {
		k.words, k.fold, k.mask = words[1:], fold[1:], mask[1:]
	}
	return k
}

func buildPlan(t *types.Type) *jplan {
	p := &jplan{t: t, kind: t.Kind, req: requiredTypeName(t)}
	switch t.Kind {
	case types.KindArray:
		p.elem = buildPlan(t.Elem)
	case types.KindMap:
		p.elem = buildPlan(t.Value)
	case types.KindStruct:
		names := make([]string, len(t.Fields))
		fts := make([]*types.Type, len(t.Fields))
		for i, f := range t.Fields {
			names[i] = f.Name
			fts[i] = f.Type
		}
		p.st = buildStructPlan(names, fts)
	}
	return p
}

func buildStructPlan(names []string, fts []*types.Type) *structPlan {
	sp := &structPlan{names: names}
	sp.fields = make([]*jplan, len(names))
	sp.segs = make([]string, len(names))
	for i := range names {
		sp.fields[i] = buildPlan(fts[i])
		sp.segs[i] = "." + names[i]
	}
	for i := range names {
		up := strings.ToUpper(names[i])
		for j := range names {
			if i != j && names[j] == up {
				sp.collide = true
			}
		}
		if !isASCII(names[i]) {
			// Non-ASCII names: keep the general path, which upper-cases
			// keys with Unicode rules.
			sp.collide = true
		}
	}
	sp.next = make([]atomic.Int32, len(names)+1)
	for i := 1; i < len(names); i++ {
		sp.next[i].Store(int32(i))
	}
	sp.keys = make([]keyPattern, len(names))
	if !sp.collide {
		for i, name := range names {
			sp.keys[i] = newKeyPattern(name)
		}
	}
	return sp
}

// isPlainName reports whether a JSON key spelled exactly as name (or with
// some of its letters in lower case) is a valid string without escapes.
func isPlainName(name string) bool {
	for i := 0; i < len(name); i++ {
		if c := name[i]; c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// requiredTypeName renders a type as ksqlDB names it in JSON coercion
// errors: primitives by their SQL base type (JsonSerdeUtils), complex types
// through the Connect schema formatter (INT, VARCHAR, ...).
func requiredTypeName(t *types.Type) string {
	switch t.Kind {
	case types.KindArray, types.KindMap, types.KindStruct, types.KindDecimal, types.KindBytes:
		return connectTypeName(t)
	}
	return t.Kind.String()
}

func connectTypeName(t *types.Type) string {
	switch t.Kind {
	case types.KindBoolean:
		return "BOOLEAN"
	case types.KindInteger, types.KindDate, types.KindTime:
		return "INT"
	case types.KindBigint, types.KindTimestamp:
		return "BIGINT"
	case types.KindDouble:
		return "DOUBLE"
	case types.KindString:
		return "VARCHAR"
	case types.KindBytes:
		return "BYTES"
	case types.KindDecimal:
		return fmt.Sprintf("DECIMAL(%d, %d)", t.Precision, t.Scale)
	case types.KindArray:
		return "ARRAY<" + connectTypeName(t.Elem) + ">"
	case types.KindMap:
		return "MAP<" + connectTypeName(t.Key) + ", " + connectTypeName(t.Value) + ">"
	case types.KindStruct:
		if len(t.Fields) == 0 {
			return "STRUCT< >"
		}
		var b strings.Builder
		b.WriteString("STRUCT<")
		for i, f := range t.Fields {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(f.Name)
			b.WriteByte(' ')
			b.WriteString(connectTypeName(f.Type))
		}
		b.WriteByte('>')
		return b.String()
	}
	return t.Kind.String()
}

// coerceError is a JSON value that does not fit its column. The path is
// built while the error unwinds ("$.A[0]"), as ksqlDB reports it.
type coerceError struct {
	msg   string
	path  string
	input string // the offending token, for DecodeError.Input
}

func (e *coerceError) Error() string { return e.msg + ", path: " + e.path }

// Unwrap makes errors.Is(err, ErrDecode) hold.
func (e *coerceError) Unwrap() error { return ErrDecode }

func prefixPath(err error, seg string) error {
	if ce, ok := err.(*coerceError); ok {
		ce.path = seg + ce.path
	}
	return err
}

func invalidConversion(source string, p *jplan) error {
	return &coerceError{msg: "Can't convert type. sourceType: " + source + ", requiredType: " + p.req}
}

func failedStringCoercion(p *jplan) error {
	return &coerceError{msg: "Can't coerce string to type. targetType: " + p.kind.String()}
}

const maxTimeMillis = 86400000

func errTimeRange() error {
	return &coerceError{msg: "Time values must use number of milliseconds greater than 0 and less than 86400000."}
}

// --- numbers -----------------------------------------------------------------

// numParts is a decimal number literal split into its parts; the value is
// (intPart frac) × 10^(exp - len(frac)).
type numParts struct {
	neg     bool
	intPart []byte
	frac    []byte
	exp     int64
}

// maxExponent bounds exponents, as java.math.BigDecimal bounds scales to
// the int range.
const maxExponent = 999999999

// splitNumber parses java.math.BigDecimal's grammar, a superset of JSON's:
// [+-]? digits? (. digits?)? ([eE] [+-]? digits)?, with at least one digit
// before the exponent.
func splitNumber(b []byte) (numParts, bool) {
	var n numParts
	i := 0
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		n.neg = b[i] == '-'
		i++
	}
	s := i
	for i < len(b) && isDigit(b[i]) {
		i++
	}
	n.intPart = b[s:i]
	if i < len(b) && b[i] == '.' {
		i++
		s = i
		for i < len(b) && isDigit(b[i]) {
			i++
		}
		n.frac = b[s:i]
	}
	if len(n.intPart)+len(n.frac) == 0 {
		return n, false
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		eneg := false
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			eneg = b[i] == '-'
			i++
		}
		if i == len(b) {
			return n, false
		}
		var e int64
		for ; i < len(b); i++ {
			if !isDigit(b[i]) {
				return n, false
			}
			e = e*10 + int64(b[i]-'0')
			if e > maxExponent {
				return n, false
			}
		}
		if eneg {
			e = -e
		}
		n.exp = e
	}
	if i != len(b) {
		return n, false
	}
	return n, true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// digitAt returns the i-th digit of intPart followed by frac.
func (n *numParts) digitAt(i int) byte {
	if i < len(n.intPart) {
		return n.intPart[i]
	}
	return n.frac[i-len(n.intPart)]
}

func (n *numParts) ndigits() int { return len(n.intPart) + len(n.frac) }

// significant returns the index of the first non-zero digit and the number
// of digits from there (0 for a zero value).
func (n *numParts) significant() (first, count int) {
	total := n.ndigits()
	first = 0
	for first < total && n.digitAt(first) == '0' {
		first++
	}
	return first, total - first
}

// scale is BigDecimal's scale of the literal: digits after the point minus
// the exponent.
func (n *numParts) scale() int64 { return int64(len(n.frac)) - n.exp }

// lowBits returns the low 64 bits (two's complement) of the value truncated
// toward zero: Java's BigDecimal.longValue(), and with a further int32
// conversion BigDecimal.intValue(), which is what Jackson's intValue() and
// asLong() give for JSON numbers.
func (n *numParts) lowBits() uint64 {
	s := n.scale()
	total := n.ndigits()
	keep := total
	if s > 0 {
		if s >= int64(total) {
			return 0
		}
		keep = total - int(s)
	}
	var v uint64
	for i := 0; i < keep; i++ {
		v = v*10 + uint64(n.digitAt(i)-'0')
	}
	if s < 0 {
		if s <= -64 {
			return 0 // a multiple of 2^64
		}
		for k := int64(0); k < -s; k++ {
			v *= 10
		}
	}
	if n.neg {
		v = -v
	}
	return v
}

// intTextLowBits is lowBits for a plain JSON integer literal.
func intTextLowBits(b []byte) uint64 {
	neg := false
	if len(b) > 0 && b[0] == '-' {
		neg = true
		b = b[1:]
	}
	var v uint64
	for _, c := range b {
		v = v*10 + uint64(c-'0')
	}
	if neg {
		v = -v
	}
	return v
}

func numberLowBits(text []byte, isInt bool) (uint64, bool) {
	if isInt {
		return intTextLowBits(text), true
	}
	n, ok := splitNumber(text)
	if !ok {
		return 0, false
	}
	return n.lowBits(), true
}

// numberNodeName is the Jackson node class a JSON number is read into.
func numberNodeName(text []byte, isInt bool) string {
	if !isInt {
		return "DecimalNode"
	}
	v, err := strconv.ParseInt(string(text), 10, 64)
	switch {
	case err != nil:
		return "BigIntegerNode"
	case v >= math.MinInt32 && v <= math.MaxInt32:
		return "IntNode"
	}
	return "LongNode"
}

// integerText is the text of a JSON integer as Jackson's asText gives it.
func integerText(text []byte) string {
	if len(text) == 2 && text[0] == '-' && text[1] == '0' {
		return "0"
	}
	return string(text)
}

// javaDecimalString renders a number as java.math.BigDecimal.toString does
// (scientific notation when the exponent is large or very negative).
func javaDecimalString(n numParts) string {
	first, count := n.significant()
	var coeff []byte
	if count == 0 {
		coeff = []byte{'0'}
	} else {
		coeff = make([]byte, 0, count)
		for i := first; i < first+count; i++ {
			coeff = append(coeff, n.digitAt(i))
		}
	}
	scale := n.scale()
	var b []byte
	if n.neg && count > 0 {
		b = append(b, '-')
	}
	if scale == 0 {
		return string(append(b, coeff...))
	}
	adjusted := -scale + int64(len(coeff)-1)
	if scale > 0 && adjusted >= -6 {
		if int64(len(coeff)) > scale {
			p := len(coeff) - int(scale)
			b = append(b, coeff[:p]...)
			b = append(b, '.')
			b = append(b, coeff[p:]...)
		} else {
			b = append(b, '0', '.')
			for k := int64(0); k < scale-int64(len(coeff)); k++ {
				b = append(b, '0')
			}
			b = append(b, coeff...)
		}
		return string(b)
	}
	b = append(b, coeff[0])
	if len(coeff) > 1 {
		b = append(b, '.')
		b = append(b, coeff[1:]...)
	}
	if adjusted != 0 {
		b = append(b, 'E')
		if adjusted > 0 {
			b = append(b, '+')
		}
		b = strconv.AppendInt(b, adjusted, 10)
	}
	return string(b)
}

// plainString renders a number as BigDecimal.toPlainString would (for
// error messages; absurdly long expansions fall back to toString).
func plainString(n numParts) string {
	first, count := n.significant()
	scale := n.scale()
	if scale > 200 || scale < -200 {
		return javaDecimalString(n)
	}
	var b []byte
	if n.neg && count > 0 {
		b = append(b, '-')
	}
	var digits []byte
	for i := first; i < first+count; i++ {
		digits = append(digits, n.digitAt(i))
	}
	if count == 0 {
		digits = []byte{'0'}
	}
	switch {
	case scale <= 0:
		b = append(b, digits...)
		if count > 0 {
			for k := int64(0); k < -scale; k++ {
				b = append(b, '0')
			}
		}
	case int64(len(digits)) > scale:
		p := len(digits) - int(scale)
		b = append(b, digits[:p]...)
		b = append(b, '.')
		b = append(b, digits[p:]...)
	default:
		b = append(b, '0', '.')
		for k := int64(0); k < scale-int64(len(digits)); k++ {
			b = append(b, '0')
		}
		b = append(b, digits...)
	}
	return string(b)
}

// fitDecimal converts a number to DECIMAL(precision, scale) exactly, as
// ksqlDB's DecimalUtil.ensureFit does: values whose integer part needs more
// than precision-scale digits overflow, and values that would need
// rounding are rejected.
func fitDecimal(n numParts, precision, scale int) (types.Dec, error) {
	first, count := n.significant()
	if count == 0 {
		return types.NewDec(new(big.Int), scale), nil
	}
	s := n.scale()
	intDigits := int64(count) - s
	if intDigits > int64(precision-scale) {
		return types.Dec{}, fmt.Errorf("Numeric field overflow: A field with precision %d and scale %d "+
			"must round to an absolute value less than 10^%d. Got %s",
			precision, scale, precision-scale, plainString(n))
	}
	keep := count
	zeros := int64(0)
	if drop := s - int64(scale); drop > 0 {
		if drop >= int64(count) {
			return types.Dec{}, errRounding(n, precision, scale, count, s)
		}
		keep = count - int(drop)
		for i := first + keep; i < first+count; i++ {
			if n.digitAt(i) != '0' {
				return types.Dec{}, errRounding(n, precision, scale, count, s)
			}
		}
	} else {
		zeros = -drop
	}
	var buf [types.MaxDecimalPrecision + 1]byte
	d := buf[:0]
	if n.neg {
		d = append(d, '-')
	}
	for i := first; i < first+keep; i++ {
		d = append(d, n.digitAt(i))
	}
	for k := int64(0); k < zeros; k++ {
		d = append(d, '0')
	}
	return decFromDigits(d, scale), nil
}

func errRounding(n numParts, precision, scale, count int, s int64) error {
	return fmt.Errorf("Cannot fit decimal '%s' into DECIMAL(%d, %d) without rounding. (Requires %d,%d)",
		plainString(n), precision, scale, count, s)
}

// decFromDigits builds a Dec from an optionally signed digit string.
func decFromDigits(d []byte, scale int) types.Dec {
	if len(d) <= 18 {
		v, _ := strconv.ParseInt(bstr(d), 10, 64)
		return types.NewDec(big.NewInt(v), scale)
	}
	u, _ := new(big.Int).SetString(string(d), 10)
	return types.NewDec(u, scale)
}

// fitDec checks a runtime DECIMAL against its column type, rescaling it
// without rounding (for serialization).
func fitDec(d types.Dec, t *types.Type) (types.Dec, error) {
	if d.Scale() != t.Scale {
		r := d.Rescale(t.Scale)
		if d.Scale() > t.Scale && r.Cmp(d) != 0 {
			return types.Dec{}, fmt.Errorf("Cannot fit decimal '%s' into DECIMAL(%d, %d) without rounding. (Requires %d,%d)",
				d.String(), t.Precision, t.Scale, d.Precision(), d.Scale())
		}
		d = r
	}
	if d.Sign() != 0 && d.Precision() > t.Precision {
		return types.Dec{}, fmt.Errorf("Numeric field overflow: A field with precision %d and scale %d "+
			"must round to an absolute value less than 10^%d. Got %s",
			t.Precision, t.Scale, t.Precision-t.Scale, d.String())
	}
	return d, nil
}

// parseJavaInt parses Integer.parseInt / Long.parseLong text (bits 32 or
// 64): an optional sign and ASCII digits, no spaces.
func parseJavaInt(b []byte, bits int) (int64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	i := 0
	if b[0] == '+' || b[0] == '-' {
		i = 1
		if len(b) == 1 {
			return 0, false
		}
	}
	for _, c := range b[i:] {
		if !isDigit(c) {
			return 0, false
		}
	}
	v, err := strconv.ParseInt(bstr(b), 10, bits)
	return v, err == nil
}

// parseJavaDouble parses Double.parseDouble text: surrounding characters
// up to ' ' are trimmed; "NaN", "Infinity" (signed), decimal and hex
// floating literals with an optional f/F/d/D suffix are accepted.
func parseJavaDouble(b []byte) (float64, bool) {
	for len(b) > 0 && b[0] <= ' ' {
		b = b[1:]
	}
	for len(b) > 0 && b[len(b)-1] <= ' ' {
		b = b[:len(b)-1]
	}
	if len(b) == 0 {
		return 0, false
	}
	body := b
	neg := false
	if body[0] == '+' || body[0] == '-' {
		neg = body[0] == '-'
		body = body[1:]
	}
	switch string(body) {
	case "NaN":
		return math.NaN(), true
	case "Infinity":
		if neg {
			return math.Inf(-1), true
		}
		return math.Inf(1), true
	}
	if n := len(body); n > 0 {
		switch body[n-1] {
		case 'f', 'F', 'd', 'D':
			body = body[:n-1]
			b = b[:len(b)-1]
		}
	}
	if len(body) > 1 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X') {
		for _, c := range body[2:] {
			if !(isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == '.' || c == 'p' || c == 'P' || c == '+' || c == '-') {
				return 0, false
			}
		}
		f, err := strconv.ParseFloat(bstr(b), 64)
		return f, err == nil || isRangeErr(err)
	}
	if len(body) > 0 && (body[0] == '+' || body[0] == '-') {
		return 0, false
	}
	if _, ok := splitNumber(body); !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(bstr(b), 64)
	return f, err == nil || isRangeErr(err)
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// parseFloatText converts a validated JSON number to the nearest double
// (huge values become infinities, as BigDecimal.doubleValue does).
func parseFloatText(b []byte) float64 {
	f, _ := strconv.ParseFloat(bstr(b), 64)
	return f
}

// bstr views b as a string for the duration of a call that does not
// retain it (strconv parsing, comparisons).
func bstr(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// decodeBase64 decodes standard base64 with optional padding (as Java's
// Base64.getDecoder and Jackson's default variant accept), rejecting line
// breaks and other characters outside the alphabet.
func decodeBase64(b []byte) ([]byte, bool) {
	for _, c := range b {
		if c == '\r' || c == '\n' {
			return nil, false
		}
	}
	enc := base64.StdEncoding
	if len(b)%4 != 0 {
		if n := len(b); n > 0 && b[n-1] == '=' {
			return nil, false
		}
		enc = base64.RawStdEncoding
	}
	out := make([]byte, enc.DecodedLen(len(b)))
	n, err := enc.Decode(out, b)
	if err != nil {
		return nil, false
	}
	return out[:n], true
}

// javaUTF8String decodes bytes as Java's new String(bytes, UTF_8) does:
// malformed sequences become U+FFFD.
func javaUTF8String(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return string(toValidUTF8(nil, b))
}

func toValidUTF8(dst, b []byte) []byte {
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			dst = append(dst, c)
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, "\uFFFD"...)
		} else {
			dst = append(dst, b[i:i+size]...)
		}
		i += size
	}
	return dst
}

func mismatchError(v types.Value, want string) error {
	return encodeErrorf("value does not match expected type. expected: %s, but got: %T", want, v)
}

// --- coercions from JSON scalars ----------------------------------------------

// coerceNumber converts a JSON number (validated literal text; isInt when
// it has no fraction or exponent) to the plan's type.
func coerceNumber(text []byte, isInt bool, p *jplan, d *jdec) (types.Value, error) {
	switch p.kind {
	case types.KindInteger:
		v, ok := numberLowBits(text, isInt)
		if !ok {
			return nil, badNumber(text)
		}
		return d.arena().Int32(int32(v)), nil
	case types.KindBigint:
		v, ok := numberLowBits(text, isInt)
		if !ok {
			return nil, badNumber(text)
		}
		return d.arena().Int64(int64(v)), nil
	case types.KindTimestamp:
		v, ok := numberLowBits(text, isInt)
		if !ok {
			return nil, badNumber(text)
		}
		return d.arena().Timestamp(types.Timestamp(int64(v))), nil
	case types.KindDate:
		v, ok := numberLowBits(text, isInt)
		if !ok {
			return nil, badNumber(text)
		}
		return types.Date(int32(v)), nil
	case types.KindTime:
		v, ok := numberLowBits(text, isInt)
		if !ok {
			return nil, badNumber(text)
		}
		if t := int64(v); t < 0 || t > maxTimeMillis {
			return nil, errTimeRange()
		}
		return types.TimeOfDay(int32(v)), nil
	case types.KindDouble:
		f := parseFloatText(text)
		if f == 0 && isZeroText(text) {
			f = 0 // Jackson reads -0 and -0.0 as an unsigned zero
		}
		return d.arena().Float64(f), nil
	case types.KindDecimal:
		n, ok := splitNumber(text)
		if !ok {
			return nil, badNumber(text)
		}
		dec, err := fitDecimal(n, p.t.Precision, p.t.Scale)
		if err != nil {
			return nil, &coerceError{msg: err.Error()}
		}
		return d.arena().Dec(dec), nil
	case types.KindString:
		if isInt {
			if len(text) == 2 && text[0] == '-' && text[1] == '0' {
				return "0", nil
			}
			return d.str(text), nil
		}
		n, ok := splitNumber(text)
		if !ok {
			return nil, badNumber(text)
		}
		s := javaDecimalString(n)
		if s == bstr(text) {
			return d.str(text), nil
		}
		return s, nil
	}
	return nil, invalidConversion(numberNodeName(text, isInt), p)
}

// isZeroText reports whether a number literal's digits are all zero.
func isZeroText(text []byte) bool {
	for _, c := range text {
		if c == 'e' || c == 'E' {
			break
		}
		if c >= '1' && c <= '9' {
			return false
		}
	}
	return true
}

func badNumber(text []byte) error {
	return &coerceError{msg: "Invalid numeric value: " + strconv.Quote(string(text))}
}

// coerceText converts a JSON string (already unescaped) to the plan's type.
func coerceText(s []byte, p *jplan, d *jdec) (types.Value, error) {
	switch p.kind {
	case types.KindString:
		return d.str(s), nil
	case types.KindInteger:
		v, ok := parseJavaInt(s, 32)
		if !ok {
			return nil, failedStringCoercion(p)
		}
		return int32(v), nil
	case types.KindBigint:
		v, ok := parseJavaInt(s, 64)
		if !ok {
			return nil, failedStringCoercion(p)
		}
		return v, nil
	case types.KindTimestamp:
		v, ok := parseJavaInt(s, 64)
		if !ok {
			return nil, failedStringCoercion(p)
		}
		return types.Timestamp(v), nil
	case types.KindDate:
		v, ok := parseJavaInt(s, 64)
		if !ok {
			return nil, failedStringCoercion(p)
		}
		return types.Date(int32(v)), nil
	case types.KindTime:
		v, ok := parseJavaInt(s, 64)
		if !ok {
			return nil, failedStringCoercion(p)
		}
		if v < 0 || v > maxTimeMillis {
			return nil, errTimeRange()
		}
		return types.TimeOfDay(int32(v)), nil
	case types.KindDouble:
		f, ok := parseJavaDouble(s)
		if !ok {
			return nil, failedStringCoercion(p)
		}
		return f, nil
	case types.KindDecimal:
		n, ok := splitNumber(s)
		if !ok {
			return nil, &coerceError{msg: "Invalid decimal value: " + strconv.Quote(string(s))}
		}
		d, err := fitDecimal(n, p.t.Precision, p.t.Scale)
		if err != nil {
			return nil, &coerceError{msg: err.Error()}
		}
		return d, nil
	case types.KindBytes:
		b, ok := decodeBase64(s)
		if !ok {
			return nil, &coerceError{msg: "Value is not a valid Base64 encoded string: " + string(s)}
		}
		return b, nil
	}
	return nil, invalidConversion("TextNode", p)
}

// coerceBool converts a JSON boolean to the plan's type.
func coerceBool(b bool, p *jplan) (types.Value, error) {
	switch p.kind {
	case types.KindBoolean:
		return b, nil
	case types.KindString:
		if b {
			return "true", nil
		}
		return "false", nil
	}
	return nil, invalidConversion("BooleanNode", p)
}

// --- ValueFromJSON ------------------------------------------------------------

// ValueFromJSON converts a value decoded by encoding/json (preferably with
// UseNumber: json.Number, string, bool, nil, []any, map[string]any) into
// the runtime value of type t, with the same coercions as the JSON format.
// float64 and Go integer types are accepted too. Errors wrap ErrDecode and
// read like ksqlDB's ("Can't convert type. sourceType: TextNode,
// requiredType: INTEGER, path: $").
//
// Go maps have no order: MAP entries are produced in sorted key order, and
// an object coerced to STRING is written with sorted keys.
func ValueFromJSON(v any, t *types.Type) (types.Value, error) {
	if err := checkType(t); err != nil {
		return nil, err
	}
	val, err := fromGo(v, buildPlan(t))
	if err != nil {
		return nil, prefixPath(err, "$")
	}
	return val, nil
}

func goNumberText(v any) (string, bool) {
	switch x := v.(type) {
	case json.Number:
		return string(x), true
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return "", false
		}
		if x == math.Trunc(x) && math.Abs(x) < 1e18 {
			return strconv.FormatInt(int64(x), 10), true
		}
		return strconv.FormatFloat(x, 'g', -1, 64), true
	case float32:
		return goNumberText(float64(x))
	case int:
		return strconv.FormatInt(int64(x), 10), true
	case int8:
		return strconv.FormatInt(int64(x), 10), true
	case int16:
		return strconv.FormatInt(int64(x), 10), true
	case int32:
		return strconv.FormatInt(int64(x), 10), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case uint:
		return strconv.FormatUint(uint64(x), 10), true
	case uint8:
		return strconv.FormatUint(uint64(x), 10), true
	case uint16:
		return strconv.FormatUint(uint64(x), 10), true
	case uint32:
		return strconv.FormatUint(uint64(x), 10), true
	case uint64:
		return strconv.FormatUint(x, 10), true
	}
	return "", false
}

// isJSONNumber validates a JSON number literal and reports whether it is an
// integer literal.
func isJSONNumber(s string) (isInt, ok bool) {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	default:
		return false, false
	}
	isInt = true
	if i < len(s) && s[i] == '.' {
		isInt = false
		i++
		if i == len(s) || !isDigit(s[i]) {
			return false, false
		}
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		isInt = false
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i == len(s) || !isDigit(s[i]) {
			return false, false
		}
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	return isInt, i == len(s)
}

func fromGo(v any, p *jplan) (types.Value, error) {
	if v == nil {
		return nil, nil
	}
	if text, ok := goNumberText(v); ok {
		isInt, valid := isJSONNumber(text)
		if !valid {
			return nil, badNumber([]byte(text))
		}
		return coerceNumber([]byte(text), isInt, p, nil)
	}
	switch x := v.(type) {
	case string:
		return coerceText([]byte(x), p, nil)
	case bool:
		return coerceBool(x, p)
	case []any:
		switch p.kind {
		case types.KindArray:
			out := make([]types.Value, len(x))
			for i, e := range x {
				ev, err := fromGo(e, p.elem)
				if err != nil {
					return nil, prefixPath(err, "["+strconv.Itoa(i)+"]")
				}
				out[i] = ev
			}
			return out, nil
		case types.KindString:
			return goArrayString(x)
		}
		return nil, invalidConversion("ArrayNode", p)
	case map[string]any:
		switch p.kind {
		case types.KindStruct:
			return goStruct(x, p)
		case types.KindMap:
			keys := sortedKeys(x)
			m := &types.MapValue{Keys: make([]types.Value, 0, len(keys)), Vals: make([]types.Value, 0, len(keys))}
			var kp *jplan
			if p.t.Key.Kind != types.KindString {
				kp = buildPlan(p.t.Key)
			}
			for _, k := range keys {
				var key types.Value = k
				if kp != nil {
					kv, err := coerceText([]byte(k), kp, nil)
					if err != nil {
						return nil, prefixPath(err, "."+k+".key")
					}
					key = kv
				}
				ev, err := fromGo(x[k], p.elem)
				if err != nil {
					return nil, prefixPath(err, "."+k+".value")
				}
				m.Keys = append(m.Keys, key)
				m.Vals = append(m.Vals, ev)
			}
			return m, nil
		case types.KindString:
			b, err := appendGoJSON(nil, x)
			if err != nil {
				return nil, err
			}
			return string(b), nil
		}
		return nil, invalidConversion("ObjectNode", p)
	}
	return nil, &coerceError{msg: fmt.Sprintf("Unsupported JSON value of Go type %T", v)}
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func goStruct(m map[string]any, p *jplan) (types.Value, error) {
	sp := p.st
	vals := make([]types.Value, len(sp.names))
	var keys []string
	for i, name := range sp.names {
		raw, ok := m[name]
		if !ok {
			// ksqlDB falls back to the upper-cased JSON keys; with several
			// candidates the last one wins (here: the greatest key).
			if keys == nil {
				keys = sortedKeys(m)
			}
			for _, k := range keys {
				if strings.ToUpper(k) == name {
					raw, ok = m[k], true
				}
			}
		}
		if !ok {
			continue
		}
		v, err := fromGo(raw, sp.fields[i])
		if err != nil {
			return nil, prefixPath(err, sp.segs[i])
		}
		vals[i] = v
	}
	return &types.StructValue{Type: p.t, Vals: vals}, nil
}

// goArrayString renders an array coerced to STRING as ksqlDB does: every
// element coerced to STRING, joined by ", " inside brackets.
func goArrayString(x []any) (types.Value, error) {
	sp := &jplan{kind: types.KindString, req: "VARCHAR"}
	var b strings.Builder
	b.WriteByte('[')
	for i, e := range x {
		if i > 0 {
			b.WriteString(", ")
		}
		ev, err := fromGo(e, sp)
		if err != nil {
			return nil, prefixPath(err, "["+strconv.Itoa(i)+"]")
		}
		if ev == nil {
			b.WriteString("null")
		} else {
			b.WriteString(ev.(string))
		}
	}
	b.WriteByte(']')
	return b.String(), nil
}

// appendGoJSON writes a decoded JSON value compactly as Jackson's
// writeValueAsString would (maps with sorted keys).
func appendGoJSON(b []byte, v any) ([]byte, error) {
	if v == nil {
		return append(b, "null"...), nil
	}
	if text, ok := goNumberText(v); ok {
		isInt, valid := isJSONNumber(text)
		if !valid {
			return nil, badNumber([]byte(text))
		}
		return appendJacksonNumber(b, []byte(text), isInt), nil
	}
	switch x := v.(type) {
	case string:
		return appendJSONString(b, x), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case []any:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendGoJSON(b, e); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	case map[string]any:
		b = append(b, '{')
		for i, k := range sortedKeys(x) {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, k)
			b = append(b, ':')
			var err error
			if b, err = appendGoJSON(b, x[k]); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	}
	return nil, &coerceError{msg: fmt.Sprintf("Unsupported JSON value of Go type %T", v)}
}

// appendJacksonNumber writes a JSON number as Jackson re-serializes it from
// a tree read with exact BigDecimals.
func appendJacksonNumber(b, text []byte, isInt bool) []byte {
	if isInt {
		return append(b, integerText(text)...)
	}
	n, ok := splitNumber(text)
	if !ok {
		return append(b, text...)
	}
	return append(b, javaDecimalString(n)...)
}

// --- ValueToJSON --------------------------------------------------------------

// ValueToJSON converts a runtime value of type t into the encoding/json
// form the JSON format writes: json.Number for numbers with their exact
// text ("1.0" for doubles, "10.50" for DECIMAL(4,2), epoch numbers for
// TIMESTAMP/DATE/TIME), strings, base64 strings for BYTES, []any for arrays
// and map[string]any for maps and structs (which loses their order: use
// AppendValueJSON for byte-exact output). Non-finite doubles become the
// strings "NaN", "Infinity" and "-Infinity", as Jackson writes them. A value
// whose Go type does not match t is converted by its own runtime type.
func ValueToJSON(v types.Value, t *types.Type) any {
	if v == nil {
		return nil
	}
	if t == nil || !matchesKind(v, t.Kind) {
		t = runtimeType(v)
	}
	switch t.Kind {
	case types.KindBoolean:
		return v.(bool)
	case types.KindInteger:
		return json.Number(strconv.FormatInt(int64(v.(int32)), 10))
	case types.KindBigint:
		return json.Number(strconv.FormatInt(v.(int64), 10))
	case types.KindTimestamp:
		return json.Number(strconv.FormatInt(int64(v.(types.Timestamp)), 10))
	case types.KindDate:
		return json.Number(strconv.FormatInt(int64(v.(types.Date)), 10))
	case types.KindTime:
		return json.Number(strconv.FormatInt(int64(v.(types.TimeOfDay)), 10))
	case types.KindDouble:
		f := v.(float64)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return string(appendJavaDouble(nil, f))
		}
		return json.Number(appendJavaDouble(nil, f))
	case types.KindDecimal:
		d := v.(types.Dec)
		if t.Precision > 0 {
			if fd, err := fitDec(d, t); err == nil {
				d = fd
			}
		}
		return json.Number(d.String())
	case types.KindString:
		return v.(string)
	case types.KindBytes:
		return base64.StdEncoding.EncodeToString(v.([]byte))
	case types.KindArray:
		arr := v.([]types.Value)
		out := make([]any, len(arr))
		for i, e := range arr {
			out[i] = ValueToJSON(e, t.Elem)
		}
		return out
	case types.KindMap:
		m := v.(*types.MapValue)
		if m == nil {
			return nil
		}
		out := make(map[string]any, m.Len())
		for i, k := range m.Keys {
			out[types.String(k)] = ValueToJSON(m.Vals[i], t.Value)
		}
		return out
	case types.KindStruct:
		sv := v.(*types.StructValue)
		if sv == nil {
			return nil
		}
		out := make(map[string]any, len(t.Fields))
		for i, f := range t.Fields {
			var fv types.Value
			if i < len(sv.Vals) {
				fv = sv.Vals[i]
			}
			out[f.Name] = ValueToJSON(fv, f.Type)
		}
		return out
	}
	return types.String(v)
}

// AppendValueJSON appends the JSON text of one value of type t, exactly as
// the JSON format writes it (struct fields and map entries in order).
// Errors wrap ErrEncode.
func AppendValueJSON(buf []byte, v types.Value, t *types.Type) ([]byte, error) {
	if err := checkType(t); err != nil {
		return buf, err
	}
	return appendJSONValue(buf, v, t)
}

// matchesKind reports whether v has the Go representation of kind k.
func matchesKind(v types.Value, k types.Kind) bool {
	switch v.(type) {
	case bool:
		return k == types.KindBoolean
	case int32:
		return k == types.KindInteger
	case int64:
		return k == types.KindBigint
	case float64:
		return k == types.KindDouble
	case types.Dec:
		return k == types.KindDecimal
	case string:
		return k == types.KindString
	case []byte:
		return k == types.KindBytes
	case types.Timestamp:
		return k == types.KindTimestamp
	case types.Date:
		return k == types.KindDate
	case types.TimeOfDay:
		return k == types.KindTime
	case []types.Value:
		return k == types.KindArray
	case *types.MapValue:
		return k == types.KindMap
	case *types.StructValue:
		return k == types.KindStruct
	}
	return false
}

// runtimeType guesses a type from a value (for ValueToJSON on mismatches).
func runtimeType(v types.Value) *types.Type {
	switch x := v.(type) {
	case types.Dec:
		return &types.Type{Kind: types.KindDecimal}
	case []types.Value:
		return types.ArrayOf(nil)
	case *types.MapValue:
		return types.MapOf(types.StringType, nil)
	case *types.StructValue:
		if x.Type != nil {
			return x.Type
		}
		return types.StructOf()
	case bool, int32, int64, float64, string, []byte, types.Timestamp, types.Date, types.TimeOfDay:
		return types.Primitive(types.KindOf(v))
	}
	return types.StringType
}
