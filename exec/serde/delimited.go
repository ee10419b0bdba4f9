package serde

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ksqlgo/ksql/sql/types"
)

// delimitedCodec is the DELIMITED format: one CSV record as Apache Commons
// CSV 1.4 reads and writes it for ksqlDB (CSVFormat.DEFAULT with the
// configured delimiter: '"' quotes, doubled quotes inside quoted fields, no
// escape character, empty lines ignored, no trimming).
//
// Reading: only the first record counts (later lines are still checked for
// CSV syntax); its field count must equal the column count; an empty field
// (quoted or not) is NULL; values parse as Java does (Boolean.parseBoolean,
// Integer.parseInt, Double.parseDouble, new BigDecimal, base64 for BYTES,
// epoch numbers for TIMESTAMP/DATE/TIME).
//
// Writing: NULL is an empty field; DOUBLE is written as Double.toString,
// DECIMAL in plain notation at its scale, BYTES in base64; fields are
// quoted as Commons CSV's MINIMAL mode decides (see needsQuote).
type delimitedCodec struct {
	cols   []Column
	delim  []byte
	target string
}

func newDelimitedCodec(cols []Column, opts Options) (Codec, error) {
	for _, c := range cols {
		switch c.Type.Kind {
		case types.KindArray, types.KindMap, types.KindStruct:
			return nil, newConfigError(ErrUnsupportedSchema,
				"The 'DELIMITED' format does not support type '%s', column: `%s`", c.Type.Kind, c.Name)
		}
	}
	delim, err := parseDelimiter(opts.Delimiter)
	if err != nil {
		which := "VALUE_DELIMITER"
		if opts.IsKey {
			which = "KEY_DELIMITER"
		}
		return nil, newConfigError(ErrInvalidOptions, "Configuration %s is invalid: %s", which, err)
	}
	return &delimitedCodec{cols: cols, delim: delim, target: target(opts.IsKey)}, nil
}

// parseDelimiter accepts what ksqlDB's Delimiter.parse accepts: a single
// character, or TAB or SPACE. Empty means the default ','.
func parseDelimiter(s string) ([]byte, error) {
	if s == "" {
		return []byte{','}, nil
	}
	if strings.TrimFunc(s, func(r rune) bool { return r <= ' ' }) == "" {
		return nil, errors.New("Delimiter cannot be empty, if you meant to have a tab or space for delimiter, " +
			"please use the special values 'TAB' or 'SPACE'\nExample valid value: ';'")
	}
	var r rune
	switch {
	case utf8.RuneCountInString(s) == 1:
		r, _ = utf8.DecodeRuneInString(s)
		if r == utf8.RuneError {
			return nil, errors.New("Invalid delimiter value: '" + s + "'. Delimiter must be a single character or TAB,SPACE\nExample valid value: ';'")
		}
	case s == "TAB":
		r = '\t'
	case s == "SPACE":
		r = ' '
	default:
		return nil, errors.New("Invalid delimiter value: '" + s + "'. Delimiter must be a single character or TAB,SPACE\nExample valid value: ';'")
	}
	switch r {
	case '"':
		return nil, errors.New("The quoteChar character and the delimiter cannot be the same ('\"')")
	case '\n', '\r':
		return nil, errors.New("The delimiter cannot be a line break")
	}
	return utf8.AppendRune(nil, r), nil
}

func (c *delimitedCodec) fail(msg string) error {
	return &DecodeError{Target: c.target, Msg: "Error deserializing delimited: " + msg}
}

func (c *delimitedCodec) Decode(data []byte, dst []types.Value) error {
	if len(dst) != len(c.cols) {
		return errDstLen(len(dst), len(c.cols))
	}
	if data == nil {
		return ErrNullRecord
	}
	var fbuf [16]csvField
	fields, count, err := scanCSV(data, c.delim, fbuf[:0], len(c.cols))
	if err != nil {
		return c.fail(err.Error())
	}
	if count == 0 {
		return c.fail("No fields in record")
	}
	if count != len(c.cols) {
		return c.fail("Unexpected field count, csvFields:" + strconv.Itoa(count) +
			" schemaFields:" + strconv.Itoa(len(c.cols)))
	}
	d := &jdec{data: data} // string arena
	for i, f := range fields {
		raw := data[f.start:f.end]
		if len(raw) == 0 {
			dst[i] = nil
			continue
		}
		if f.dq {
			raw = bytes.ReplaceAll(raw, []byte(`""`), []byte(`"`))
		}
		d.pos = f.end // sizes the string arena by the input left
		v, err := parseDelimitedValue(raw, c.cols[i].Type, d)
		if err != nil {
			return &DecodeError{Target: c.target, Input: snippet(raw), Msg: "Error deserializing delimited: Invalid value for column `" +
				c.cols[i].Name + "` (" + c.cols[i].Type.String() + "): " + err.Error()}
		}
		dst[i] = v
	}
	return nil
}

func forInput(raw []byte) error {
	return errors.New("For input string: " + strconv.Quote(javaUTF8String(raw)))
}

func parseDelimitedValue(raw []byte, t *types.Type, d *jdec) (types.Value, error) {
	switch t.Kind {
	case types.KindString:
		if utf8.Valid(raw) {
			return d.str(raw), nil
		}
		return string(toValidUTF8(nil, raw)), nil
	case types.KindBoolean:
		return len(raw) == 4 && strings.EqualFold(bstr(raw), "true"), nil
	case types.KindInteger:
		v, ok := parseJavaInt(raw, 32)
		if !ok {
			return nil, forInput(raw)
		}
		return int32(v), nil
	case types.KindBigint:
		v, ok := parseJavaInt(raw, 64)
		if !ok {
			return nil, forInput(raw)
		}
		return v, nil
	case types.KindDouble:
		f, ok := parseJavaDouble(raw)
		if !ok {
			return nil, forInput(raw)
		}
		return f, nil
	case types.KindDecimal:
		n, ok := splitNumber(raw)
		if !ok {
			return nil, errors.New("Invalid decimal value: " + strconv.Quote(javaUTF8String(raw)))
		}
		return fitDecimal(n, t.Precision, t.Scale)
	case types.KindTimestamp:
		v, ok := parseJavaInt(raw, 64)
		if !ok {
			return nil, forInput(raw)
		}
		return types.Timestamp(v), nil
	case types.KindDate:
		v, ok := parseJavaInt(raw, 64)
		if !ok {
			return nil, forInput(raw)
		}
		return types.Date(int32(v)), nil
	case types.KindTime:
		v, ok := parseJavaInt(raw, 64)
		if !ok {
			return nil, forInput(raw)
		}
		if v < 0 || v > maxTimeMillis {
			return nil, errors.New("Time values must use number of milliseconds greater than 0 and less than 86400000.")
		}
		return types.TimeOfDay(int32(v)), nil
	case types.KindBytes:
		b, ok := decodeBase64(raw)
		if !ok {
			return nil, errors.New("Value is not a valid Base64 encoded string: " + javaUTF8String(raw))
		}
		return b, nil
	}
	return nil, errors.New("unsupported type " + t.String())
}

func (c *delimitedCodec) Encode(buf []byte, vals []types.Value) ([]byte, error) {
	if len(vals) != len(c.cols) {
		return buf, encodeErrorf("got %d values for %d columns", len(vals), len(c.cols))
	}
	orig := len(buf)
	if buf == nil {
		buf = make([]byte, 0, 64)
	}
	var err error
	for i, col := range c.cols {
		if i > 0 {
			buf = append(buf, c.delim...)
		}
		v := vals[i]
		if v == nil {
			continue
		}
		start := len(buf)
		if buf, err = appendDelimitedText(buf, v, col.Type); err != nil {
			return buf[:orig], err
		}
		if needsQuote(buf[start:], i == 0, c.delim) {
			buf = quoteField(buf, start)
		}
	}
	return buf, nil
}

// appendDelimitedText appends a value's text (before quoting).
func appendDelimitedText(b []byte, v types.Value, t *types.Type) ([]byte, error) {
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
			return appendJavaDouble(b, x), nil
		}
	case types.KindDecimal:
		if x, ok := v.(types.Dec); ok {
			d, err := fitDec(x, t)
			if err != nil {
				return b, encodeErrorf("%v", err)
			}
			return append(b, d.String()...), nil
		}
	case types.KindString:
		if x, ok := v.(string); ok {
			return append(b, x...), nil
		}
	case types.KindBytes:
		if x, ok := v.([]byte); ok {
			return base64.StdEncoding.AppendEncode(b, x), nil
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
	}
	return b, mismatchError(v, t.String())
}

// needsQuote applies Commons CSV 1.4's MINIMAL quoting to a non-null
// field: an empty field is quoted only when it starts the record; the first
// field of a record is quoted unless it starts with an ASCII letter or
// digit; any field starting with a character up to '#', containing a line
// break, a quote or the delimiter, or ending with a character up to ' ' is
// quoted.
func needsQuote(b []byte, first bool, delim []byte) bool {
	if len(b) == 0 {
		return first
	}
	c := b[0]
	if first && !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
		return true
	}
	if c <= '#' {
		return true
	}
	if len(delim) == 1 {
		d := delim[0]
		for _, x := range b {
			if x == '\n' || x == '\r' || x == '"' || x == d {
				return true
			}
		}
	} else {
		for _, x := range b {
			if x == '\n' || x == '\r' || x == '"' {
				return true
			}
		}
		if bytes.Contains(b, delim) {
			return true
		}
	}
	return b[len(b)-1] <= ' '
}

// quoteField wraps buf[start:] in quotes, doubling the quotes inside.
func quoteField(buf []byte, start int) []byte {
	field := append([]byte(nil), buf[start:]...)
	buf = append(buf[:start], '"')
	for _, x := range field {
		if x == '"' {
			buf = append(buf, '"')
		}
		buf = append(buf, x)
	}
	return append(buf, '"')
}

// csvField is one field of the first record: data[start:end], with dq set
// when it was quoted and contains doubled quotes.
type csvField struct {
	start, end int
	dq         bool
}

var (
	errCSVEOF     = errors.New("EOF reached before encapsulated token finished")
	errCSVBadChar = errors.New("invalid char between encapsulated token and delimiter")
)

// scanCSV lexes data as Commons CSV 1.4 does and returns the fields of its
// first record (appended to out, at most max of them) and their count.
// Later records are only checked for syntax errors, which
// CSVParser.getRecords would raise.
func scanCSV(data, delim []byte, out []csvField, max int) ([]csvField, int, error) {
	n := len(data)
	d0 := delim[0]
	isDelim := func(i int) bool {
		return data[i] == d0 && (len(delim) == 1 || bytes.HasPrefix(data[i:], delim))
	}
	i := 0
	count := 0
	for record := 0; ; record++ {
		// Empty lines between records are ignored.
		for i < n && (data[i] == '\n' || data[i] == '\r') {
			i++
		}
		if i >= n {
			return out, count, nil
		}
	fields:
		for {
			var f csvField
			if i < n && data[i] == '"' {
				j := i + 1
				f.start = j
				for {
					k := bytes.IndexByte(data[j:], '"')
					if k < 0 {
						return nil, 0, errCSVEOF
					}
					j += k
					if j+1 < n && data[j+1] == '"' {
						f.dq = true
						j += 2
						continue
					}
					break
				}
				f.end = j
				i = j + 1
				// Only white space may follow the closing quote.
				for {
					if i >= n || isDelim(i) || data[i] == '\n' || data[i] == '\r' {
						break
					}
					r, size := utf8.DecodeRune(data[i:])
					if !javaIsWhitespace(r) {
						return nil, 0, errCSVBadChar
					}
					i += size
				}
			} else {
				f.start = i
				for i < n && data[i] != '\n' && data[i] != '\r' && !isDelim(i) {
					i++
				}
				f.end = i
			}
			if record == 0 {
				if count < max {
					out = append(out, f)
				}
				count++
			}
			switch {
			case i >= n:
				return out, count, nil
			case isDelim(i):
				i += len(delim)
			default: // end of line: CR, LF or CRLF
				if data[i] == '\r' && i+1 < n && data[i+1] == '\n' {
					i++
				}
				i++
				break fields
			}
		}
	}
}

// javaIsWhitespace is Java's Character.isWhitespace.
func javaIsWhitespace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', 0x1C, 0x1D, 0x1E, 0x1F, ' ':
		return true
	case 0x00A0, 0x2007, 0x202F:
		return false
	}
	if r < utf8.RuneSelf {
		return false
	}
	return unicode.Is(unicode.Zs, r) || r == 0x2028 || r == 0x2029
}
