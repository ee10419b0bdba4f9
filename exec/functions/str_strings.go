package functions

// String functions: CHR CONCAT CONCAT_WS INITCAP INSTR LPAD RPAD MASK
// MASK_KEEP_LEFT MASK_KEEP_RIGHT MASK_LEFT MASK_RIGHT MD5 REPLACE SPLIT
// SPLIT_TO_MAP SUBSTRING TRIM UUID, with ksqlDB's semantics.
//
// Character positions and lengths count Unicode code points (Java counts
// UTF-16 code units; the two differ only for characters outside the BMP),
// consistently with LEN.

import (
	"bytes"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/ksqlgo/ksql/sql/types"
)

func init() { builtins = append(builtins, registerStrStrings) }

// strMaxLen bounds the strings and byte arrays LPAD/RPAD build, so that a
// huge target length fails the row instead of exhausting memory.
const strMaxLen = 1 << 28

func registerStrStrings(r *Registry) {
	str, integer, byt := types.StringType, types.IntegerType, types.BytesType

	r.AddScalar(&ScalarDef{Name: "CHR", Description: "Returns a single-character string for a decimal code point or a '\\uXXXX' UTF-16 escape.", Sigs: []Sig{
		{Params: []Param{P(integer)}, Ret: str, Eval: func(a []types.Value) (types.Value, error) {
			cp := a[0].(int32)
			if cp < 0 || cp > unicode.MaxRune {
				return nil, nil
			}
			return string(rune(cp)), nil
		}},
		{Params: []Param{P(str)}, Ret: str, Eval: func(a []types.Value) (types.Value, error) {
			s := a[0].(string)
			if len(s) < 6 || !strings.HasPrefix(s, `\u`) {
				return nil, nil
			}
			return strUnescapeJava(s)
		}},
	}})

	r.AddScalar(&ScalarDef{Name: "CONCAT", Description: "Concatenates strings or bytes; NULL arguments are skipped.", Sigs: []Sig{
		{Params: []Param{P(str)}, Variadic: true, Ret: str, NullSafe: true, Eval: func(a []types.Value) (types.Value, error) {
			var b strings.Builder
			for _, v := range a {
				if v != nil {
					b.WriteString(v.(string))
				}
			}
			return b.String(), nil
		}},
		{Params: []Param{P(byt)}, Variadic: true, Ret: byt, NullSafe: true, Eval: func(a []types.Value) (types.Value, error) {
			out := []byte{}
			for _, v := range a {
				if v != nil {
					out = append(out, v.([]byte)...)
				}
			}
			return out, nil
		}},
	}})

	r.AddScalar(&ScalarDef{Name: "CONCAT_WS", Description: "Concatenates strings or bytes with the separator given as the first argument; NULL values are skipped.", Sigs: []Sig{
		{Params: []Param{P(str)}, Variadic: true, Ret: str, NullSafe: true, Eval: func(a []types.Value) (types.Value, error) {
			if len(a) < 2 {
				return nil, fmt.Errorf("Function Concat_WS expects at least two input arguments.")
			}
			if a[0] == nil {
				return nil, nil
			}
			parts := make([]string, 0, len(a)-1)
			for _, v := range a[1:] {
				if v != nil {
					parts = append(parts, v.(string))
				}
			}
			return strings.Join(parts, a[0].(string)), nil
		}},
		{Params: []Param{P(byt)}, Variadic: true, Ret: byt, NullSafe: true, Eval: func(a []types.Value) (types.Value, error) {
			if len(a) < 2 {
				return nil, fmt.Errorf("Function Concat_WS expects at least two input arguments.")
			}
			if a[0] == nil {
				return nil, nil
			}
			parts := make([][]byte, 0, len(a)-1)
			for _, v := range a[1:] {
				if v != nil {
					parts = append(parts, v.([]byte))
				}
			}
			out := bytes.Join(parts, a[0].([]byte))
			if out == nil {
				out = []byte{}
			}
			return out, nil
		}},
	}})

	r.AddScalar(&ScalarDef{Name: "INITCAP", Description: "Capitalizes the first letter of each word and lower-cases the rest; words are delimited by whitespace.", Sigs: []Sig{
		{Params: []Param{P(str)}, Ret: str, Eval: func(a []types.Value) (types.Value, error) {
			return strInitCap(a[0].(string)), nil
		}},
	}})

	instr := func(a []types.Value) (types.Value, error) {
		if a[0] == nil || a[1] == nil {
			return int32(0), nil
		}
		pos, occ := int64(1), int64(1)
		if len(a) > 2 {
			if a[2] == nil {
				return nil, nil
			}
			pos = int64(a[2].(int32))
		}
		if len(a) > 3 {
			if a[3] == nil {
				return nil, nil
			}
			occ = int64(a[3].(int32))
		}
		return int32(strInstr([]rune(a[0].(string)), []rune(a[1].(string)), pos, occ)), nil
	}
	r.AddScalar(&ScalarDef{Name: "INSTR", Description: "The 1-based position of the n-th occurrence of a substring, searching from a position (negative: from the end); 0 if not found.", Sigs: []Sig{
		{Params: []Param{P(str), P(str)}, Ret: integer, NullSafe: true, Eval: instr},
		{Params: []Param{P(str), P(str), P(integer)}, Ret: integer, NullSafe: true, Eval: instr},
		{Params: []Param{P(str), P(str), P(integer), P(integer)}, Ret: integer, NullSafe: true, Eval: instr},
	}})

	r.AddScalar(&ScalarDef{Name: "LPAD", Description: "Pads the input on the left with the padding up to the target length (truncating longer input); NULL for empty padding or a negative length.", Sigs: []Sig{
		{Params: []Param{P(str), P(integer), P(str)}, Ret: str, Eval: func(a []types.Value) (types.Value, error) {
			return strPad(a[0].(string), a[1].(int32), a[2].(string), true)
		}},
		{Params: []Param{P(byt), P(integer), P(byt)}, Ret: byt, Eval: func(a []types.Value) (types.Value, error) {
			return bytesPad(a[0].([]byte), a[1].(int32), a[2].([]byte), true)
		}},
	}})
	r.AddScalar(&ScalarDef{Name: "RPAD", Description: "Pads the input on the right with the padding up to the target length (truncating longer input); NULL for empty padding or a negative length.", Sigs: []Sig{
		{Params: []Param{P(str), P(integer), P(str)}, Ret: str, Eval: func(a []types.Value) (types.Value, error) {
			return strPad(a[0].(string), a[1].(int32), a[2].(string), false)
		}},
		{Params: []Param{P(byt), P(integer), P(byt)}, Ret: byt, Eval: func(a []types.Value) (types.Value, error) {
			return bytesPad(a[0].([]byte), a[1].(int32), a[2].([]byte), false)
		}},
	}})

	registerStrMasks(r)

	r.AddScalar(&ScalarDef{Name: "MD5", Description: "The hex-encoded MD5 hash of the UTF-8 bytes of a string.", Sigs: []Sig{
		{Params: []Param{P(str)}, Ret: str, Eval: func(a []types.Value) (types.Value, error) {
			sum := md5.Sum([]byte(a[0].(string)))
			return hex.EncodeToString(sum[:]), nil
		}},
	}})

	r.AddScalar(&ScalarDef{Name: "REPLACE", Description: "Replaces every occurrence of a substring with another string.", Sigs: []Sig{
		{Params: []Param{P(str), P(str), P(str)}, Ret: str, Eval: func(a []types.Value) (types.Value, error) {
			return strings.ReplaceAll(a[0].(string), a[1].(string), a[2].(string)), nil
		}},
	}})

	r.AddScalar(&ScalarDef{Name: "SPLIT", Description: "Splits a string or bytes on a literal delimiter; an empty delimiter splits into characters (bytes).", Sigs: []Sig{
		{Params: []Param{P(str), P(str)}, Ret: types.ArrayOf(str), Eval: func(a []types.Value) (types.Value, error) {
			s, d := a[0].(string), a[1].(string)
			var parts []string
			if d == "" {
				parts = strSplitChars(s)
			} else {
				parts = strings.Split(s, d)
			}
			out := make([]types.Value, len(parts))
			for i, p := range parts {
				out[i] = p
			}
			return out, nil
		}},
		{Params: []Param{P(byt), P(byt)}, Ret: types.ArrayOf(byt), Eval: func(a []types.Value) (types.Value, error) {
			b, d := a[0].([]byte), a[1].([]byte)
			var out []types.Value
			switch {
			case len(b) == 0:
				out = []types.Value{[]byte{}}
			case len(d) == 0:
				out = make([]types.Value, len(b))
				for i := range b {
					out[i] = []byte{b[i]}
				}
			default:
				for _, p := range bytes.Split(b, d) {
					out = append(out, append([]byte{}, p...))
				}
			}
			return out, nil
		}},
	}})

	r.AddScalar(&ScalarDef{Name: "SPLIT_TO_MAP", Description: "Splits a string into key-value pairs with an entry delimiter and a key-value delimiter; later duplicate keys win.", Sigs: []Sig{
		{Params: []Param{P(str), P(str), P(str)}, Ret: types.MapOf(str, str), Eval: func(a []types.Value) (types.Value, error) {
			s, ed, kd := a[0].(string), a[1].(string), a[2].(string)
			if ed == "" || kd == "" || ed == kd {
				return nil, nil
			}
			m := &types.MapValue{}
			for _, e := range strings.Split(s, ed) {
				if e == "" || !strings.Contains(e, kd) {
					continue
				}
				kv := strings.Split(e, kd)
				m.Put(kv[0], kv[1])
			}
			return m, nil
		}},
	}})

	substr := func(a []types.Value) (types.Value, error) {
		pos := int64(a[1].(int32))
		hasLen := len(a) > 2
		var length int64
		if hasLen {
			length = int64(a[2].(int32))
		}
		if b, ok := a[0].([]byte); ok {
			start, end := strSubstrBounds(int64(len(b)), pos, length, hasLen)
			return append([]byte{}, b[start:end]...), nil
		}
		s := a[0].(string)
		if strIsASCII(s) {
			start, end := strSubstrBounds(int64(len(s)), pos, length, hasLen)
			return s[start:end], nil
		}
		rs := []rune(s)
		start, end := strSubstrBounds(int64(len(rs)), pos, length, hasLen)
		return string(rs[start:end]), nil
	}
	r.AddScalar(&ScalarDef{Name: "SUBSTRING", Description: "The portion of a string or bytes from a 1-based position (negative: from the end), optionally of a given length.", Sigs: []Sig{
		{Params: []Param{P(str), P(integer)}, Ret: str, Eval: substr},
		{Params: []Param{P(str), P(integer), P(integer)}, Ret: str, Eval: substr},
		{Params: []Param{P(byt), P(integer)}, Ret: byt, Eval: substr},
		{Params: []Param{P(byt), P(integer), P(integer)}, Ret: byt, Eval: substr},
	}})

	r.AddScalar(&ScalarDef{Name: "TRIM", Description: "Removes leading and trailing whitespace (characters up to U+0020).", Sigs: []Sig{
		{Params: []Param{P(str)}, Ret: str, Eval: func(a []types.Value) (types.Value, error) {
			return strings.TrimFunc(a[0].(string), func(r rune) bool { return r <= ' ' }), nil
		}},
	}})

	r.AddScalar(&ScalarDef{Name: "UUID", Description: "A random (version 4) UUID, or the UUID encoded by 16 bytes.", Sigs: []Sig{
		{Params: nil, Ret: str, Eval: func([]types.Value) (types.Value, error) {
			var b [16]byte
			if _, err := rand.Read(b[:]); err != nil {
				return nil, err
			}
			b[6] = b[6]&0x0f | 0x40
			b[8] = b[8]&0x3f | 0x80
			return strFormatUUID(b[:]), nil
		}},
		{Params: []Param{P(byt)}, Ret: str, Eval: func(a []types.Value) (types.Value, error) {
			b := a[0].([]byte)
			if len(b) != 16 {
				return nil, nil
			}
			return strFormatUUID(b), nil
		}},
	}})
}

func strFormatUUID(b []byte) string {
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// strIsASCII reports whether s has only ASCII characters (so byte
// offsets are character offsets).
func strIsASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// strSubstrBounds computes ksqlDB's SUBSTRING bounds over n characters:
// a negative position counts from the end, positions are clamped.
func strSubstrBounds(n, pos, length int64, hasLen bool) (int64, int64) {
	var start int64
	if pos < 0 {
		start = max(n+pos, 0)
	} else {
		start = max(min(pos-1, n), 0)
	}
	if !hasLen {
		return start, n
	}
	return start, max(min(start+length, n), start)
}

// strSplitChars splits s into its characters, as Java's split on an empty
// pattern does ("" gives [""]).
func strSplitChars(s string) []string {
	if s == "" {
		return []string{""}
	}
	out := make([]string, 0, len(s))
	for _, r := range s {
		out = append(out, string(r))
	}
	return out
}

// strJavaSpace is Java's regex \s: [ \t\n\x0B\f\r].
func strJavaSpace(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\x0b', '\f', '\r':
		return true
	}
	return false
}

// strInitCap lower-cases s and upper-cases the first character of each
// word (a run of non-whitespace); like ksqlDB, text before the first word
// is dropped.
func strInitCap(s string) string {
	rs := []rune(strings.ToLower(s))
	var b strings.Builder
	i := 0
	for i < len(rs) && strJavaSpace(rs[i]) {
		i++
	}
	start := true
	for ; i < len(rs); i++ {
		r := rs[i]
		if strJavaSpace(r) {
			start = true
			b.WriteRune(r)
			continue
		}
		if start {
			b.WriteString(strings.ToUpper(string(r)))
			start = false
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// strIndexRunes is the index of sub in s at or after from, or -1.
func strIndexRunes(s, sub []rune, from int) int {
	if from < 0 {
		from = 0
	}
	for i := from; i+len(sub) <= len(s); i++ {
		match := true
		for j := range sub {
			if s[i+j] != sub[j] {
				match = false
				break
			}
		}
		if match {
			return i
		}
	}
	return -1
}

// strOrdinalIndexOf is commons-lang's StringUtils.ordinalIndexOf.
func strOrdinalIndexOf(s, sub []rune, ordinal int64) int {
	if ordinal <= 0 {
		return -1
	}
	if len(sub) == 0 {
		return 0
	}
	idx, found := -1, int64(0)
	for {
		idx = strIndexRunes(s, sub, idx+1)
		if idx < 0 {
			return -1
		}
		found++
		if found >= ordinal {
			return idx
		}
	}
}

// strJavaSubstring is commons-lang's StringUtils.substring(str, start).
func strJavaSubstring(s []rune, start int64) []rune {
	n := int64(len(s))
	if start < 0 {
		start += n
	}
	if start < 0 {
		start = 0
	}
	if start > n {
		return nil
	}
	return s[start:]
}

func strReverse(s []rune) []rune {
	out := make([]rune, len(s))
	for i, r := range s {
		out[len(s)-1-i] = r
	}
	return out
}

// strInstr is ksqlDB's INSTR.
func strInstr(s, sub []rune, pos, occ int64) int64 {
	n := int64(len(s))
	if pos > n || -pos > n {
		return 0
	}
	find := func(s, sub []rune, pos int64, reversed bool) int64 {
		i := int64(strOrdinalIndexOf(strJavaSubstring(s, pos-1), sub, occ))
		if i == -1 {
			return 0
		}
		if reversed {
			return int64(len(s)) - pos - i - int64(len(sub)) + 2
		}
		return i + pos
	}
	if pos < 0 {
		return find(strReverse(s), strReverse(sub), -pos, true)
	}
	return find(s, sub, pos, false)
}

// strPad is ksqlDB's LPAD/RPAD on strings.
func strPad(input string, target int32, padding string, left bool) (types.Value, error) {
	if padding == "" || target < 0 {
		return nil, nil
	}
	if target > strMaxLen {
		return nil, fmt.Errorf("target length %d is too large", target)
	}
	in, pad := []rune(input), []rune(padding)
	t := int(target)
	out := make([]rune, 0, t+len(pad))
	if left {
		padUpTo := max(t-len(in), 0)
		for len(out) < padUpTo {
			out = append(out, pad...)
		}
		out = append(out[:padUpTo], in...)
	} else {
		out = append(out, in...)
		for len(out) < t {
			out = append(out, pad...)
		}
	}
	return string(out[:t]), nil
}

// bytesPad is ksqlDB's LPAD/RPAD on bytes.
func bytesPad(input []byte, target int32, padding []byte, left bool) (types.Value, error) {
	if len(padding) == 0 || target < 0 {
		return nil, nil
	}
	if target > strMaxLen {
		return nil, fmt.Errorf("target length %d is too large", target)
	}
	t := int(target)
	if len(input) > t {
		return append([]byte{}, input[:t]...), nil
	}
	out := make([]byte, t)
	fill := t - len(input)
	if left {
		for i := 0; i < fill; i++ {
			out[i] = padding[i%len(padding)]
		}
		copy(out[fill:], input)
	} else {
		copy(out, input)
		for i := 0; i < fill; i++ {
			out[len(input)+i] = padding[i%len(padding)]
		}
	}
	return out, nil
}

// strUnescapeJava is commons-text's StringEscapeUtils.unescapeJava: Java
// escapes (\uXXXX with surrogate pairs, octal, \n, \t, ...) are decoded;
// unknown escapes are kept as they are.
func strUnescapeJava(s string) (types.Value, error) {
	var units []uint16
	put := func(r rune) { units = utf16.AppendRune(units, r) }
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		c := rs[i]
		if c != '\\' || i+1 >= len(rs) {
			put(c)
			continue
		}
		n := rs[i+1]
		switch n {
		case 'u':
			j := i + 1
			for j < len(rs) && rs[j] == 'u' {
				j++
			}
			if j < len(rs) && rs[j] == '+' {
				j++
			}
			if j+4 > len(rs) {
				return nil, fmt.Errorf("Less than 4 hex digits in unicode value: '%s' due to end of CharSequence", string(rs[i:]))
			}
			var v uint16
			for _, h := range rs[j : j+4] {
				d, ok := strHexDigit(h)
				if !ok {
					return nil, fmt.Errorf("Unable to parse unicode value: %s", string(rs[j:j+4]))
				}
				v = v<<4 | uint16(d)
			}
			units = append(units, v)
			i = j + 3
		case '0', '1', '2', '3', '4', '5', '6', '7':
			j, v := i+1, 0
			limit := 2
			if n <= '3' {
				limit = 3
			}
			for k := 0; k < limit && j < len(rs) && rs[j] >= '0' && rs[j] <= '7'; k++ {
				v = v*8 + int(rs[j]-'0')
				j++
			}
			put(rune(v))
			i = j - 1
		case 'b':
			put('\b')
			i++
		case 'n':
			put('\n')
			i++
		case 't':
			put('\t')
			i++
		case 'f':
			put('\f')
			i++
		case 'r':
			put('\r')
			i++
		case '\\', '"', '\'':
			put(n)
			i++
		default:
			put(c)
		}
	}
	return string(utf16.Decode(units)), nil
}

func strHexDigit(r rune) (int, bool) {
	switch {
	case r >= '0' && r <= '9':
		return int(r - '0'), true
	case r >= 'a' && r <= 'f':
		return int(r-'a') + 10, true
	case r >= 'A' && r <= 'F':
		return int(r-'A') + 10, true
	}
	return 0, false
}

// strNoMask marks a character class that MASK leaves unchanged.
const strNoMask rune = -1

// strMasker replaces characters by class, as ksqlDB's Masker does.
type strMasker struct{ upper, lower, digit, other rune }

var strDefaultMasker = strMasker{upper: 'X', lower: 'x', digit: 'n', other: '-'}

func (m strMasker) mask(rs []rune) string {
	var b strings.Builder
	for _, r := range rs {
		var mk rune
		switch {
		case unicode.Is(unicode.Lu, r):
			mk = m.upper
		case unicode.Is(unicode.Ll, r):
			mk = m.lower
		case unicode.Is(unicode.Nd, r):
			mk = m.digit
		default:
			mk = m.other
		}
		if mk == strNoMask {
			b.WriteRune(r)
			continue
		}
		b.WriteRune(mk)
		if r > 0xFFFF {
			b.WriteRune(mk) // Java masks both UTF-16 units of the pair
		}
	}
	return b.String()
}

// strMaskChar is Masker.getMaskCharacter: NULL leaves the class unmasked.
func strMaskChar(v types.Value) (rune, error) {
	if v == nil {
		return strNoMask, nil
	}
	s := v.(string)
	rs := []rune(s)
	if len(rs) != 1 || rs[0] > 0xFFFF {
		return 0, fmt.Errorf("Invalid mask character. Must be only single character, but was '%s'", s)
	}
	return rs[0], nil
}

func strMaskerFrom(a []types.Value) (strMasker, error) {
	var m strMasker
	var err error
	for i, p := range []*rune{&m.upper, &m.lower, &m.digit, &m.other} {
		if *p, err = strMaskChar(a[i]); err != nil {
			return m, err
		}
	}
	return m, nil
}

func registerStrMasks(r *Registry) {
	str, integer := types.StringType, types.IntegerType
	r.AddScalar(&ScalarDef{Name: "MASK", Description: "Masks every character: upper-case to 'X', lower-case to 'x', digits to 'n', others to '-', or to the given mask characters (NULL: keep).", Sigs: []Sig{
		{Params: []Param{P(str)}, Ret: str, Eval: func(a []types.Value) (types.Value, error) {
			return strDefaultMasker.mask([]rune(a[0].(string))), nil
		}},
		{Params: []Param{P(str), P(str), P(str), P(str), P(str)}, Ret: str, NullSafe: true, Eval: func(a []types.Value) (types.Value, error) {
			m, err := strMaskerFrom(a[1:])
			if err != nil || a[0] == nil {
				return nil, err
			}
			return m.mask([]rune(a[0].(string))), nil
		}},
	}})
	// splitFn gives the range [maskFrom, maskTo) of the n characters to
	// mask for an argument k.
	type splitFn func(n, k int) (maskFrom, maskTo int)
	variants := []struct {
		name, desc string
		split      splitFn
	}{
		{"MASK_KEEP_LEFT", "Masks all but the first n characters.", func(n, k int) (int, int) { return min(k, n), n }},
		{"MASK_KEEP_RIGHT", "Masks all but the last n characters.", func(n, k int) (int, int) { return 0, max(0, n-k) }},
		{"MASK_LEFT", "Masks the first n characters.", func(n, k int) (int, int) { return 0, min(k, n) }},
		{"MASK_RIGHT", "Masks the last n characters.", func(n, k int) (int, int) { return max(0, n-k), n }},
	}
	for _, v := range variants {
		name, split := v.name, v.split
		apply := func(m strMasker, in types.Value, k types.Value) (types.Value, error) {
			if k == nil {
				return nil, nil
			}
			kn := int(k.(int32))
			if kn < 0 {
				return nil, fmt.Errorf("function %s requires a non-negative number of characters to mask or skip", strings.ToLower(name))
			}
			if in == nil {
				return nil, nil
			}
			rs := []rune(in.(string))
			from, to := split(len(rs), kn)
			return string(rs[:from]) + m.mask(rs[from:to]) + string(rs[to:]), nil
		}
		r.AddScalar(&ScalarDef{Name: name, Description: v.desc + " Default masking rules replace upper-case characters with 'X', lower-case with 'x', digits with 'n' and others with '-'.", Sigs: []Sig{
			{Params: []Param{P(str), P(integer)}, Ret: str, Eval: func(a []types.Value) (types.Value, error) {
				return apply(strDefaultMasker, a[0], a[1])
			}},
			{Params: []Param{P(str), P(integer), P(str), P(str), P(str), P(str)}, Ret: str, NullSafe: true, Eval: func(a []types.Value) (types.Value, error) {
				m, err := strMaskerFrom(a[2:])
				if err != nil {
					return nil, err
				}
				return apply(m, a[0], a[1])
			}},
		}})
	}
}
