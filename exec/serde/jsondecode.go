package serde

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/ksqlgo/ksql/sql/types"
)

// The JSON decoder is a schema-directed single-pass scanner. It walks the
// document once, matching field names against the expected columns and
// struct fields (case-insensitively, as ksqlDB does, without allocating for
// ASCII names), parsing each value straight into its column type, and
// skipping unknown fields without building them. It accepts exactly what
// Jackson's default ObjectMapper accepts (RFC 8259 JSON, valid UTF-8, no
// comments; content after the root value is ignored, as readTree does).

// maxJSONDepth bounds nesting, as Jackson's StreamReadConstraints do.
const maxJSONDepth = 1000

type jdec struct {
	data  []byte
	pos   int
	depth int
	// ar allocates the record's strings and boxed values from one chunk
	// instead of one allocation each (nil: plain Go allocation).
	ar *types.Arena
	// nonASCII: the last string scanned had bytes >= 0x80.
	nonASCII bool
	// need, when set, marks the top-level columns whose values are kept;
	// the others are checked exactly as if decoded, and left NULL.
	need []bool
	// slow turns the fast paths off (guessKey, readInt): the differential
	// tests compare both ways.
	slow bool
}

// jsonSyntaxError is malformed JSON, described as Jackson would.
type jsonSyntaxError struct{ msg string }

func (e *jsonSyntaxError) Error() string { return e.msg }

func (c *jsonCodec) Decode(data []byte, dst []types.Value) error {
	var ar types.Arena
	ar.Reset(len(data) + 24*len(dst))
	return c.DecodeArena(data, dst, &ar)
}

// DecodeArena is Decode with the record's values allocated from ar.
func (c *jsonCodec) DecodeArena(data []byte, dst []types.Value, ar *types.Arena) error {
	return c.DecodeColumns(data, dst, ar, nil)
}

// DecodeColumns is DecodeArena keeping only the columns marked in need
// (nil: all). The others are checked as Decode checks them (a value that
// Decode would refuse fails the record the same way) and left NULL.
func (c *jsonCodec) DecodeColumns(data []byte, dst []types.Value, ar *types.Arena, need []bool) error {
	if len(dst) != len(c.cols) {
		return errDstLen(len(dst), len(c.cols))
	}
	if data == nil {
		return ErrNullRecord
	}
	d := jdec{data: data, pos: bomLen(data), ar: ar, need: need, slow: c.slow}
	err := c.decode(&d, dst)
	input := ""
	switch e := err.(type) {
	case nil:
		return nil
	case *coerceError:
		// Jackson reads the whole document before ksqlDB coerces it, so a
		// syntax error anywhere wins over a coercion error.
		if serr := validateJSON(data); serr != nil {
			err = serr
		} else {
			err = prefixPath(err, "$")
			input = e.input
		}
	case *jsonSyntaxError:
	default:
		return err // ErrNullRecord
	}
	return &DecodeError{Target: c.target, Msg: err.Error(), Input: input}
}

// bomLen is the length of a leading UTF-8 byte order mark, which Jackson
// skips.
func bomLen(data []byte) int {
	if len(data) >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF {
		return 3
	}
	return 0
}

// annotate records the offending token data[start:d.pos] (or the start of
// a container that was not read) in a coercion error raised at this level.
func (d *jdec) annotate(err error, start int) error {
	if ce, ok := err.(*coerceError); ok && ce.input == "" {
		end := d.pos
		if end <= start {
			end = min(start+maxInputSnippet, len(d.data))
		}
		ce.input = snippet(d.data[start:end])
	}
	return err
}

func (c *jsonCodec) decode(d *jdec, dst []types.Value) error {
	d.skipWS()
	if d.pos == len(d.data) {
		// An empty document reads as Jackson's MissingNode.
		if !c.wrapped && c.single.kind == types.KindString {
			dst[0] = ""
			return nil
		}
		req := c.rowReq
		if !c.wrapped {
			req = c.single.req
		}
		return &coerceError{msg: "Can't convert type. sourceType: MissingNode, requiredType: " + req}
	}
	first := d.data[d.pos]
	if !c.wrapped {
		v, err := d.readValue(c.single)
		if err != nil {
			return err
		}
		if err := d.checkRootEnd(first); err != nil {
			return err
		}
		dst[0] = v
		return nil
	}
	switch first {
	case '{':
		for i := range dst {
			dst[i] = nil
		}
		need := d.need
		d.need = nil // nested structs keep every field
		return d.readFields(c.row, dst, need)
	case 'n':
		if err := d.literal("null"); err != nil {
			return err
		}
		return ErrNullRecord
	}
	start := d.pos
	src, err := d.nodeName()
	if err != nil {
		return err
	}
	return d.annotate(&coerceError{msg: "Can't convert type. sourceType: " + src + ", requiredType: " + c.rowReq}, start)
}

// validateJSON checks the syntax of a whole document.
func validateJSON(data []byte) error {
	d := jdec{data: data, pos: bomLen(data)}
	d.skipWS()
	if d.pos == len(data) {
		return nil
	}
	first := data[d.pos]
	if err := d.skipValue(); err != nil {
		return err
	}
	return d.checkRootEnd(first)
}

// checkRootEnd applies Jackson's rule that a root-level number must be
// followed by white space or the end of input.
func (d *jdec) checkRootEnd(first byte) error {
	if first != '-' && !isDigit(first) {
		return nil
	}
	if d.pos < len(d.data) && !isJSONSpace(d.data[d.pos]) {
		return d.syntaxf("Unexpected character (%s): Expected space separating root-level values", charDesc(d.data[d.pos]))
	}
	return nil
}

// --- values ------------------------------------------------------------------

func (d *jdec) readValue(p *jplan) (types.Value, error) {
	d.skipWS()
	if d.pos >= len(d.data) {
		return nil, d.eof("expected a value")
	}
	start := d.pos
	switch c := d.data[d.pos]; c {
	case '"':
		raw, esc, err := d.scanString()
		if err != nil {
			return nil, err
		}
		if p.kind == types.KindString {
			if esc {
				return d.ar.AppendStringValue(len(raw), raw, appendUnescaped), nil
			}
			return d.ar.StringValue(raw), nil
		}
		s := raw
		if esc {
			s = appendUnescaped(make([]byte, 0, len(raw)), raw)
		}
		v, err := coerceText(s, p, d)
		if err != nil {
			return nil, d.annotate(err, start)
		}
		return v, nil
	case '{':
		switch p.kind {
		case types.KindStruct:
			vals := make([]types.Value, len(p.st.names))
			if err := d.readFields(p.st, vals, nil); err != nil {
				return nil, err
			}
			return &types.StructValue{Type: p.t, Vals: vals}, nil
		case types.KindMap:
			return d.readMap(p)
		case types.KindString:
			b, err := d.appendCompact(nil)
			if err != nil {
				return nil, err
			}
			return string(b), nil
		}
		return nil, d.annotate(invalidConversion("ObjectNode", p), start)
	case '[':
		switch p.kind {
		case types.KindArray:
			return d.readArray(p)
		case types.KindString:
			b, err := d.appendArrayString(nil)
			if err != nil {
				return nil, err
			}
			return string(b), nil
		}
		return nil, d.annotate(invalidConversion("ArrayNode", p), start)
	case 't':
		if err := d.literal("true"); err != nil {
			return nil, err
		}
		v, err := coerceBool(true, p)
		if err != nil {
			return nil, d.annotate(err, start)
		}
		return v, nil
	case 'f':
		if err := d.literal("false"); err != nil {
			return nil, err
		}
		v, err := coerceBool(false, p)
		if err != nil {
			return nil, d.annotate(err, start)
		}
		return v, nil
	case 'n':
		if err := d.literal("null"); err != nil {
			return nil, err
		}
		return nil, nil
	default:
		if c == '-' || isDigit(c) {
			if !d.slow && (p.kind == types.KindBigint || p.kind == types.KindInteger || p.kind == types.KindTimestamp) {
				// The low bits of the value, as coerceNumber takes them.
				if v, ok := d.readInt(); ok {
					switch p.kind {
					case types.KindBigint:
						return d.ar.Int64(v), nil
					case types.KindInteger:
						return d.ar.Int32(int32(v)), nil
					}
					return d.ar.Timestamp(types.Timestamp(v)), nil
				}
			}
			isInt, err := d.scanNumber()
			if err != nil {
				return nil, err
			}
			text := d.data[start:d.pos]
			if isInt && p.kind == types.KindBigint && len(text) <= 18 {
				// Fast path: no need for the general truncation rules.
				return d.ar.Int64(int64(intTextLowBits(text))), nil
			}
			v, err := coerceNumber(text, isInt, p, d)
			if err != nil {
				return nil, d.annotate(err, start)
			}
			return v, nil
		}
		return nil, d.unexpected(c)
	}
}

// checkValue consumes the value at pos as readValue would, with the same
// errors, without keeping it: strings and numbers that readValue takes
// without converting are only scanned; anything else is decoded and
// dropped.
func (d *jdec) checkValue(p *jplan) error {
	d.skipWS()
	if d.pos < len(d.data) {
		start := d.pos
		switch c := d.data[d.pos]; {
		case c == '"' && p.kind == types.KindString:
			_, _, err := d.scanString()
			return err
		case (c == '-' || isDigit(c)) && !d.slow && (p.kind == types.KindInteger || p.kind == types.KindTimestamp):
			if _, ok := d.readInt(); ok {
				return nil // readValue would take it without boxing it
			}
		case (c == '-' || isDigit(c)) && (p.kind == types.KindBigint || p.kind == types.KindDouble):
			isInt, err := d.scanNumber()
			if err != nil {
				return err
			}
			if p.kind == types.KindDouble || (isInt && d.pos-start <= 18) {
				return nil
			}
			d.pos = start
		}
	}
	ar := d.ar
	d.ar = nil
	_, err := d.readValue(p)
	d.ar = ar
	return err
}

// nodeName scans the value at pos and names its Jackson node class.
func (d *jdec) nodeName() (string, error) {
	switch c := d.data[d.pos]; {
	case c == '"':
		return "TextNode", nil
	case c == '[':
		return "ArrayNode", nil
	case c == '{':
		return "ObjectNode", nil
	case c == 't' || c == 'f':
		return "BooleanNode", nil
	case c == 'n':
		return "NullNode", nil
	case c == '-' || isDigit(c):
		start := d.pos
		isInt, err := d.scanNumber()
		if err != nil {
			return "", err
		}
		return numberNodeName(d.data[start:d.pos], isInt), nil
	default:
		return "", d.unexpected(c)
	}
}

// fieldSet records which struct fields were set from an exactly matching
// JSON key (those win over case-insensitive matches).
type fieldSet struct {
	small uint64
	big   []bool
}

func (s *fieldSet) has(i int) bool {
	if s.big != nil {
		return s.big[i]
	}
	return s.small&(1<<uint(i)) != 0
}

func (s *fieldSet) set(i int) {
	if s.big != nil {
		s.big[i] = true
		return
	}
	s.small |= 1 << uint(i)
}

// readFields reads an object into the fields of sp. vals must be nil.
//
// ksqlDB looks each field up by its exact name first and then among the
// upper-cased JSON keys: an exact key wins regardless of order, and among
// case-insensitive matches the last one wins. Unknown keys are skipped.
func (d *jdec) readFields(sp *structPlan, vals []types.Value, need []bool) error {
	d.pos++ // '{'
	if err := d.enter(); err != nil {
		return err
	}
	var exact fieldSet
	if len(sp.names) > 64 {
		exact.big = make([]bool, len(sp.names))
	}
	d.skipWS()
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		d.depth--
		return nil
	}
	// slot: which next entry guesses the coming key (0: the first key,
	// i+1: the key after field i).
	slot := 0
	for {
		d.skipWS()
		if d.pos >= len(d.data) {
			return d.eof("expected a field name")
		}
		if d.data[d.pos] != '"' {
			return d.syntaxf("Unexpected character (%s): was expecting double-quote to start field name", charDesc(d.data[d.pos]))
		}
		// Records of a topic almost always list their fields in one
		// order: try the field that came next last time first, straight
		// from the bytes.
		hint := sp.nextField(slot)
		idx, isExact := -1, false
		if !d.slow {
			idx, isExact = d.guessKey(sp, hint)
		}
		var key []byte
		nonASCII := false
		if idx < 0 {
			raw, esc, err := d.scanString()
			if err != nil {
				return err
			}
			key, nonASCII = raw, d.nonASCII
			if esc {
				key = appendUnescaped(make([]byte, 0, len(raw)), raw)
				nonASCII = !isASCII(bstr(key)) // \u escapes
			}
		}
		if d.pos < len(d.data) && d.data[d.pos] == ':' {
			d.pos++
		} else if err := d.colon(); err != nil {
			return err
		}
		if !sp.collide {
			if idx < 0 {
				idx, isExact = sp.match(key, hint, nonASCII)
			}
			if idx < 0 || (!isExact && exact.has(idx)) {
				if err := d.skipValue(); err != nil {
					return err
				}
			} else {
				var v types.Value
				var err error
				if need != nil && !need[idx] {
					err = d.checkValue(sp.fields[idx])
				} else {
					v, err = d.readValue(sp.fields[idx])
				}
				if err != nil {
					return prefixPath(err, sp.segs[idx])
				}
				vals[idx] = v
				if isExact {
					exact.set(idx)
				}
				if idx != hint {
					sp.next[slot].Store(int32(idx))
				}
				slot = idx + 1
			}
		} else if err := d.readFieldSlow(sp, key, vals, &exact); err != nil {
			return err
		}
		d.skipWS()
		if d.pos >= len(d.data) {
			return d.eof("expected close marker for Object")
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
		case '}':
			d.pos++
			d.depth--
			return nil
		default:
			return d.syntaxf("Unexpected character (%s): was expecting comma to separate Object entries", charDesc(d.data[d.pos]))
		}
	}
}

// nextField is the field expected at slot (see readFields).
func (sp *structPlan) nextField(slot int) int {
	if slot < len(sp.next) {
		return int(sp.next[slot].Load())
	}
	return 0
}

// guessKey reports whether the key starting at pos (a '"') is field i's
// name, exactly or upper-cased (as match would find it), without scanning
// the key as a string, and then consumes it; -1 when it is not (or cannot
// tell). A
// plain name's bytes and their lower-case forms need no escaping, so a
// key that spells the name this way is a complete, valid string.
func (d *jdec) guessKey(sp *structPlan, i int) (int, bool) {
	if uint(i) >= uint(len(sp.keys)) {
		return -1, false
	}
	k := &sp.keys[i]
	data := d.data
	p := d.pos + 1
	if !k.ok || p+8+8*len(k.words) > len(data) {
		return -1, false
	}
	x := binary.LittleEndian.Uint64(data[p:]) & k.m0
	diff := x ^ k.w0
	fdiff := (x | k.f0) ^ (k.w0 | k.f0)
	for j, w := range k.words {
		x := binary.LittleEndian.Uint64(data[p+8+8*j:]) & k.mask[j]
		f := k.fold[j]
		diff |= x ^ w
		fdiff |= (x | f) ^ (w | f)
	}
	if diff == 0 {
		d.pos = p + k.n
		return i, true
	}
	if fdiff == 0 {
		d.pos = p + k.n
		return i, false
	}
	return -1, false
}

// match finds the field for a JSON key when no two fields can claim the
// same key: the exact name, or the name equal to the upper-cased key.
func (sp *structPlan) match(key []byte, hint int, nonASCII bool) (int, bool) {
	n := len(sp.names)
	if nonASCII {
		// Upper-casing is Unicode's: not the ASCII comparison below.
		up := strings.ToUpper(string(key))
		for j, name := range sp.names {
			if name == string(key) {
				return j, true
			}
			if name == up {
				return j, false
			}
		}
		return -1, false
	}
	for k := 0; k < n; k++ {
		i := hint + k
		if i >= n {
			i -= n
		}
		name := sp.names[i]
		if len(name) != len(key) {
			continue
		}
		if name == bstr(key) {
			return i, true
		}
		if upperEquals(key, name) {
			return i, false
		}
	}
	return -1, false
}

// upperEquals reports whether the ASCII upper-case form of key is name.
func upperEquals(key []byte, name string) bool {
	for i := 0; i < len(key); i++ {
		c := key[i]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		if c != name[i] {
			return false
		}
	}
	return true
}

// readFieldSlow handles a key when field names may collide under
// upper-casing: one key can then fill several fields (exactly one and
// case-insensitively others), each read with its own type.
func (d *jdec) readFieldSlow(sp *structPlan, key []byte, vals []types.Value, exact *fieldSet) error {
	up := strings.ToUpper(string(key))
	start := d.pos
	matched := false
	for i, name := range sp.names {
		isExact := name == string(key)
		if !isExact && (name != up || exact.has(i)) {
			continue
		}
		d.pos = start
		v, err := d.readValue(sp.fields[i])
		if err != nil {
			return prefixPath(err, sp.segs[i])
		}
		vals[i] = v
		if isExact {
			exact.set(i)
		}
		matched = true
	}
	if !matched {
		return d.skipValue()
	}
	return nil
}

func (d *jdec) readMap(p *jplan) (types.Value, error) {
	d.pos++ // '{'
	if err := d.enter(); err != nil {
		return nil, err
	}
	m := &types.MapValue{}
	var index map[string]int
	d.skipWS()
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		d.depth--
		return m, nil
	}
	for {
		d.skipWS()
		if d.pos >= len(d.data) {
			return nil, d.eof("expected a field name")
		}
		if d.data[d.pos] != '"' {
			return nil, d.syntaxf("Unexpected character (%s): was expecting double-quote to start field name", charDesc(d.data[d.pos]))
		}
		raw, esc, err := d.scanString()
		if err != nil {
			return nil, err
		}
		var key string
		if esc {
			key = d.strUnescaped(raw)
		} else {
			key = d.str(raw)
		}
		if err := d.colon(); err != nil {
			return nil, err
		}
		v, err := d.readValue(p.elem)
		if err != nil {
			return nil, prefixPath(err, "."+key+".value")
		}
		// Duplicate keys: the last value wins (Jackson's ObjectNode).
		found := -1
		if index != nil {
			if i, ok := index[key]; ok {
				found = i
			}
		} else {
			for i, k := range m.Keys {
				if k.(string) == key {
					found = i
					break
				}
			}
		}
		if found >= 0 {
			m.Vals[found] = v
		} else {
			m.Keys = append(m.Keys, key)
			m.Vals = append(m.Vals, v)
			if index != nil {
				index[key] = len(m.Keys) - 1
			} else if len(m.Keys) > 8 {
				index = make(map[string]int, 16)
				for i, k := range m.Keys {
					index[k.(string)] = i
				}
			}
		}
		d.skipWS()
		if d.pos >= len(d.data) {
			return nil, d.eof("expected close marker for Object")
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
		case '}':
			d.pos++
			d.depth--
			return m, nil
		default:
			return nil, d.syntaxf("Unexpected character (%s): was expecting comma to separate Object entries", charDesc(d.data[d.pos]))
		}
	}
}

func (d *jdec) readArray(p *jplan) (types.Value, error) {
	d.pos++ // '['
	if err := d.enter(); err != nil {
		return nil, err
	}
	d.skipWS()
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
		d.depth--
		return []types.Value{}, nil
	}
	var out []types.Value
	for {
		v, err := d.readValue(p.elem)
		if err != nil {
			return nil, prefixPath(err, "["+strconv.Itoa(len(out))+"]")
		}
		out = append(out, v)
		d.skipWS()
		if d.pos >= len(d.data) {
			return nil, d.eof("expected close marker for Array")
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
		case ']':
			d.pos++
			d.depth--
			return out, nil
		default:
			return nil, d.syntaxf("Unexpected character (%s): was expecting comma to separate Array entries", charDesc(d.data[d.pos]))
		}
	}
}

var stringPlan = &jplan{kind: types.KindString, req: "VARCHAR"}

// appendArrayString renders an array coerced to STRING as ksqlDB does:
// each element coerced to STRING (null as "null"), joined by ", " in
// brackets.
func (d *jdec) appendArrayString(b []byte) ([]byte, error) {
	d.pos++ // '['
	if err := d.enter(); err != nil {
		return nil, err
	}
	b = append(b, '[')
	d.skipWS()
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
		d.depth--
		return append(b, ']'), nil
	}
	for i := 0; ; i++ {
		if i > 0 {
			b = append(b, ", "...)
		}
		d.skipWS()
		if d.pos >= len(d.data) {
			return nil, d.eof("expected a value")
		}
		var err error
		switch d.data[d.pos] {
		case '[':
			b, err = d.appendArrayString(b)
		case '{':
			b, err = d.appendCompact(b)
		default:
			var v types.Value
			v, err = d.readValue(stringPlan)
			if err == nil {
				if v == nil {
					b = append(b, "null"...)
				} else {
					b = append(b, v.(string)...)
				}
			}
		}
		if err != nil {
			return nil, prefixPath(err, "["+strconv.Itoa(i)+"]")
		}
		d.skipWS()
		if d.pos >= len(d.data) {
			return nil, d.eof("expected close marker for Array")
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
		case ']':
			d.pos++
			d.depth--
			return append(b, ']'), nil
		default:
			return nil, d.syntaxf("Unexpected character (%s): was expecting comma to separate Array entries", charDesc(d.data[d.pos]))
		}
	}
}

// appendCompact re-serializes the value at pos compactly, as Jackson
// writes a tree read with exact BigDecimals: strings re-escaped, numbers
// normalized (BigDecimal.toString for non-integers).
func (d *jdec) appendCompact(b []byte) ([]byte, error) {
	d.skipWS()
	if d.pos >= len(d.data) {
		return nil, d.eof("expected a value")
	}
	switch c := d.data[d.pos]; c {
	case '"':
		raw, esc, err := d.scanString()
		if err != nil {
			return nil, err
		}
		if esc {
			raw = appendUnescaped(make([]byte, 0, len(raw)), raw)
		}
		return appendJSONString(b, bstr(raw)), nil
	case '{', '[':
		closer := byte('}')
		if c == '[' {
			closer = ']'
		}
		d.pos++
		if err := d.enter(); err != nil {
			return nil, err
		}
		b = append(b, c)
		d.skipWS()
		if d.pos < len(d.data) && d.data[d.pos] == closer {
			d.pos++
			d.depth--
			return append(b, closer), nil
		}
		for i := 0; ; i++ {
			if i > 0 {
				b = append(b, ',')
			}
			if c == '{' {
				d.skipWS()
				if d.pos >= len(d.data) || d.data[d.pos] != '"' {
					if d.pos >= len(d.data) {
						return nil, d.eof("expected a field name")
					}
					return nil, d.syntaxf("Unexpected character (%s): was expecting double-quote to start field name", charDesc(d.data[d.pos]))
				}
				var err error
				if b, err = d.appendCompact(b); err != nil {
					return nil, err
				}
				if err := d.colon(); err != nil {
					return nil, err
				}
				b = append(b, ':')
			}
			var err error
			if b, err = d.appendCompact(b); err != nil {
				return nil, err
			}
			d.skipWS()
			if d.pos >= len(d.data) {
				return nil, d.eof("expected close marker")
			}
			switch d.data[d.pos] {
			case ',':
				d.pos++
			case closer:
				d.pos++
				d.depth--
				return append(b, closer), nil
			default:
				return nil, d.syntaxf("Unexpected character (%s): was expecting comma to separate entries", charDesc(d.data[d.pos]))
			}
		}
	case 't':
		return append(b, "true"...), d.literal("true")
	case 'f':
		return append(b, "false"...), d.literal("false")
	case 'n':
		return append(b, "null"...), d.literal("null")
	default:
		if c == '-' || isDigit(c) {
			start := d.pos
			isInt, err := d.scanNumber()
			if err != nil {
				return nil, err
			}
			return appendJacksonNumber(b, d.data[start:d.pos], isInt), nil
		}
		return nil, d.unexpected(c)
	}
}

// skipValue validates and skips the value at pos without building it.
func (d *jdec) skipValue() error {
	d.skipWS()
	if d.pos >= len(d.data) {
		return d.eof("expected a value")
	}
	switch c := d.data[d.pos]; c {
	case '"':
		_, _, err := d.scanString()
		return err
	case '{', '[':
		closer := byte('}')
		if c == '[' {
			closer = ']'
		}
		d.pos++
		if err := d.enter(); err != nil {
			return err
		}
		d.skipWS()
		if d.pos < len(d.data) && d.data[d.pos] == closer {
			d.pos++
			d.depth--
			return nil
		}
		for {
			if c == '{' {
				d.skipWS()
				if d.pos >= len(d.data) {
					return d.eof("expected a field name")
				}
				if d.data[d.pos] != '"' {
					return d.syntaxf("Unexpected character (%s): was expecting double-quote to start field name", charDesc(d.data[d.pos]))
				}
				if _, _, err := d.scanString(); err != nil {
					return err
				}
				if err := d.colon(); err != nil {
					return err
				}
			}
			if err := d.skipValue(); err != nil {
				return err
			}
			d.skipWS()
			if d.pos >= len(d.data) {
				return d.eof("expected close marker")
			}
			switch d.data[d.pos] {
			case ',':
				d.pos++
			case closer:
				d.pos++
				d.depth--
				return nil
			default:
				return d.syntaxf("Unexpected character (%s): was expecting comma to separate entries", charDesc(d.data[d.pos]))
			}
		}
	case 't':
		return d.literal("true")
	case 'f':
		return d.literal("false")
	case 'n':
		return d.literal("null")
	default:
		if c == '-' || isDigit(c) {
			_, err := d.scanNumber()
			return err
		}
		return d.unexpected(c)
	}
}

// --- tokens ------------------------------------------------------------------

func isJSONSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (d *jdec) skipWS() {
	// White space is at most ' ': one comparison for anything else.
	for d.pos < len(d.data) && d.data[d.pos] <= ' ' && isJSONSpace(d.data[d.pos]) {
		d.pos++
	}
}

func (d *jdec) enter() error {
	d.depth++
	if d.depth > maxJSONDepth {
		return d.syntaxf("Document nesting depth exceeds the maximum allowed (%d)", maxJSONDepth)
	}
	return nil
}

func (d *jdec) colon() error {
	d.skipWS()
	if d.pos >= len(d.data) {
		return d.eof("expected a colon")
	}
	if d.data[d.pos] != ':' {
		return d.syntaxf("Unexpected character (%s): was expecting a colon to separate field name and value", charDesc(d.data[d.pos]))
	}
	d.pos++
	return nil
}

// literal consumes true, false or null; like Jackson it rejects a literal
// run together with further identifier characters ("truex").
func (d *jdec) literal(lit string) error {
	end := d.pos
	for end < len(d.data) && isIdentByte(d.data[end]) && end-d.pos < 64 {
		end++
	}
	if string(d.data[d.pos:end]) != lit {
		if end == d.pos {
			end = d.pos + 1
		}
		return d.syntaxf("Unrecognized token '%s': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')",
			toValidUTF8(nil, d.data[d.pos:end]))
	}
	d.pos = end
	return nil
}

func isIdentByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || isDigit(c) || c == '_' || c == '$' || c >= utf8.RuneSelf
}

// readInt consumes an integer literal of at most 18 digits (the common
// case: its value fits an int64 with room to spare, so it needs none of
// the truncation rules) and returns its value; ok is false, and pos
// unchanged, for anything else (a longer integer, a fraction or an
// exponent, a leading zero, a malformed number), which scanNumber reads.
func (d *jdec) readInt() (v int64, ok bool) {
	data := d.data
	i := d.pos
	neg := data[i] == '-'
	if neg {
		i++
	}
	start := i
	var u uint64
	words := true
	// Eight bytes at a time: the digits up to the first other byte.
	for i+8 <= len(data) {
		x := binary.LittleEndian.Uint64(data[i:])
		n := 8
		if m := nonDigits(x); m != 0 {
			n = bits.TrailingZeros64(m) >> 3
		}
		u = u*pow10u64[n] + digitsValue(x, n)
		i += n
		if n < 8 || i-start > 18 {
			words = false
			break
		}
	}
	if words {
		for i < len(data) && i-start <= 18 {
			c := data[i] - '0'
			if c > 9 {
				break
			}
			u = u*10 + uint64(c)
			i++
		}
	}
	n := i - start
	if n == 0 || n > 18 || (n > 1 && data[start] == '0') {
		return 0, false
	}
	// n <= 18: data[i] is not a digit.
	if i < len(data) {
		if c := data[i]; c == '.' || c == 'e' || c == 'E' {
			return 0, false
		}
	}
	d.pos = i
	if neg {
		return -int64(u), true
	}
	return int64(u), true
}

var pow10u64 = [9]uint64{1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000}

// nonDigits marks the bytes of x (8 bytes of text, first in the lowest)
// that are not ASCII digits, each by its high bit. As in specialInString,
// only the lowest mark is exact (a borrow or carry moves upwards).
func nonDigits(x uint64) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	// Below '0': x - '0' borrows into the high bit; above '9': x + 0x46
	// reaches it; 0x80 and above: the high bit is set already.
	return ((x - ones*'0') | (x + ones*0x46) | x) & highs
}

// digitsValue is the value of the n decimal digits in the lowest bytes of
// x (the first digit in the lowest byte); the other bytes are ignored.
func digitsValue(x uint64, n int) uint64 {
	const ones = 0x0101010101010101
	// The digits moved to the top, as the last n of 8 digits whose first
	// 8-n are zero; then pairs, quadruples and the two halves combined.
	x = (x - ones*'0') << (8 * (8 - uint(n)))
	x = (x*10 + x>>8) & 0x00FF00FF00FF00FF
	x = (x*100 + x>>16) & 0x0000FFFF0000FFFF
	return (x*10000 + x>>32) & 0xFFFFFFFF
}

// scanNumber consumes a JSON number and reports whether it is an integer
// literal (no fraction, no exponent).
func (d *jdec) scanNumber() (isInt bool, err error) {
	data := d.data
	i := d.pos
	if data[i] == '-' {
		i++
		if i >= len(data) || !isDigit(data[i]) {
			if i >= len(data) {
				return false, d.eof("expected digit (0-9) to follow minus sign, for valid numeric value")
			}
			return false, d.syntaxf("Unexpected character (%s) in numeric value: expected digit (0-9) to follow minus sign, for valid numeric value", charDesc(data[i]))
		}
	}
	if data[i] == '0' {
		i++
		if i < len(data) && isDigit(data[i]) {
			return false, d.syntaxf("Invalid numeric value: Leading zeroes not allowed")
		}
	} else {
		for i < len(data) && isDigit(data[i]) {
			i++
		}
	}
	isInt = true
	if i < len(data) && data[i] == '.' {
		isInt = false
		i++
		if i >= len(data) || !isDigit(data[i]) {
			d.pos = i
			if i >= len(data) {
				return false, d.eof("Decimal point not followed by a digit")
			}
			return false, d.syntaxf("Unexpected character (%s) in numeric value: Decimal point not followed by a digit", charDesc(data[i]))
		}
		for i < len(data) && isDigit(data[i]) {
			i++
		}
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		isInt = false
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		if i >= len(data) || !isDigit(data[i]) {
			d.pos = i
			if i >= len(data) {
				return false, d.eof("Exponent indicator not followed by a digit")
			}
			return false, d.syntaxf("Unexpected character (%s) in numeric value: Exponent indicator not followed by a digit", charDesc(data[i]))
		}
		es := i
		for i < len(data) && isDigit(data[i]) {
			i++
		}
		// BigDecimal scales are ints: absurd exponents do not parse.
		j := es
		for j < i-1 && data[j] == '0' {
			j++
		}
		if i-j > 9 {
			return false, d.syntaxf("Invalid numeric value: exponent out of range")
		}
	}
	d.pos = i
	return isInt, nil
}

// scanString consumes a string at pos (which holds '"') and returns its raw
// content and whether it contains escapes. It validates UTF-8, escapes and
// control characters.
func (d *jdec) scanString() (raw []byte, esc bool, err error) {
	data := d.data
	start := d.pos + 1
	i := start
	d.nonASCII = false
	for i < len(data) {
		// Eight bytes at a time, straight to the first that matters.
		for i+8 <= len(data) {
			if m := specialInString(binary.LittleEndian.Uint64(data[i:])); m != 0 {
				i += bits.TrailingZeros64(m) >> 3
				break
			}
			i += 8
		}
		if i >= len(data) {
			break
		}
		c := data[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"':
				d.pos = i + 1
				return data[start:i], esc, nil
			case c == '\\':
				esc = true
				if i+1 >= len(data) {
					return nil, false, d.eof("in a String value")
				}
				switch e := data[i+1]; e {
				case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
					i += 2
				case 'u':
					if i+6 > len(data) {
						return nil, false, d.eof("in a String value")
					}
					for k := i + 2; k < i+6; k++ {
						if !isHex(data[k]) {
							return nil, false, d.syntaxf("Unexpected character (%s): expected a hex-digit for character escape sequence", charDesc(data[k]))
						}
					}
					i += 6
				default:
					return nil, false, d.syntaxf("Unrecognized character escape %s", charDesc(e))
				}
			case c < 0x20:
				return nil, false, d.syntaxf("Illegal unquoted character ((CTRL-CHAR, code %d)): has to be escaped using backslash to be included in string value", c)
			default:
				i++
			}
			continue
		}
		d.nonASCII = true
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size == 1 {
			return nil, false, d.syntaxf("Invalid UTF-8 start byte 0x%x", c)
		}
		i += size
	}
	return nil, false, d.eof("in a String value")
}

// specialInString marks the bytes of x (8 bytes of a string, first in
// the lowest) that end the string or need a closer look: '"', '\\', a
// control character (< 0x20) or a byte of a multi-byte UTF-8 sequence
// (>= 0x80), each by its high bit. Bytes after the first marked one may be
// marked wrongly (a borrow carries upwards); the lowest mark is exact.
func specialInString(x uint64) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	q := x ^ (ones * '"')
	bs := x ^ (ones * '\\')
	// Up to the first marked byte, no borrow comes in from below: a byte
	// of q (or bs) minus 1 sets its high bit when the byte is zero, and a
	// byte of x minus 0x20 when it is below 0x20, or else when the byte
	// had its high bit set already, which x marks anyway.
	return ((q - ones) | (bs - ones) | (x - ones*0x20) | x) & highs
}

func isHex(c byte) bool {
	return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func hexVal(c byte) rune {
	switch {
	case c >= '0' && c <= '9':
		return rune(c - '0')
	case c >= 'a' && c <= 'f':
		return rune(c-'a') + 10
	}
	return rune(c-'A') + 10
}

// appendUnescaped appends the decoded content of a validated JSON string.
// Unpaired surrogate escapes become U+FFFD. The result is never longer
// than raw.
func appendUnescaped(b, raw []byte) []byte {
	for i := 0; i < len(raw); {
		c := raw[i]
		if c != '\\' {
			j := i + 1
			for j < len(raw) && raw[j] != '\\' {
				j++
			}
			b = append(b, raw[i:j]...)
			i = j
			continue
		}
		e := raw[i+1]
		switch e {
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r := hexVal(raw[i+2])<<12 | hexVal(raw[i+3])<<8 | hexVal(raw[i+4])<<4 | hexVal(raw[i+5])
			i += 6
			if utf16.IsSurrogate(r) {
				if r < 0xDC00 && i+6 <= len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
					r2 := hexVal(raw[i+2])<<12 | hexVal(raw[i+3])<<8 | hexVal(raw[i+4])<<4 | hexVal(raw[i+5])
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						i += 6
						b = utf8.AppendRune(b, dec)
						continue
					}
				}
				r = utf8.RuneError
			}
			b = utf8.AppendRune(b, r)
			continue
		default: // '"', '\\', '/'
			b = append(b, e)
		}
		i += 2
	}
	return b
}

// --- strings -----------------------------------------------------------------

// str returns b as a string carved from the record's arena (or a plain
// copy when d is nil).
func (d *jdec) str(b []byte) string {
	if d == nil {
		return string(b)
	}
	return d.ar.String(b)
}

// arena is the record's arena, nil when d is (plain Go allocation).
func (d *jdec) arena() *types.Arena {
	if d == nil {
		return nil
	}
	return d.ar
}

// strUnescaped decodes a string with escapes into the arena.
func (d *jdec) strUnescaped(raw []byte) string {
	v := d.ar.AppendStringValue(len(raw), raw, appendUnescaped)
	return v.(string)
}

// --- errors ------------------------------------------------------------------

func (d *jdec) syntaxf(format string, args ...any) error {
	return &jsonSyntaxError{msg: fmt.Sprintf(format, args...)}
}

func (d *jdec) eof(context string) error {
	return &jsonSyntaxError{msg: "Unexpected end-of-input: " + context}
}

func (d *jdec) unexpected(c byte) error {
	return d.syntaxf("Unexpected character (%s): expected a valid value (JSON String, Number, Array, Object or token 'null', 'true' or 'false')", charDesc(c))
}

// charDesc describes a byte as Jackson does: ('x' (code 120)).
func charDesc(c byte) string {
	if c < 0x20 {
		return "(CTRL-CHAR, code " + strconv.Itoa(int(c)) + ")"
	}
	if c >= utf8.RuneSelf {
		return "(code 0x" + strconv.FormatInt(int64(c), 16) + ")"
	}
	return "'" + string(rune(c)) + "' (code " + strconv.Itoa(int(c)) + ")"
}
