package functions

// Encoding string functions: ENCODE FROM_BYTES TO_BYTES.

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/ksqlgo/ksql/sql/types"
)

func init() { builtins = append(builtins, registerStrEncode) }

func registerStrEncode(r *Registry) {
	str, byt := types.StringType, types.BytesType

	r.AddScalar(&ScalarDef{Name: "ENCODE", Description: "Re-encodes a string from an input encoding to an output encoding (hex, utf8, ascii, base64).", Sigs: []Sig{
		{Params: []Param{P(str), P(str), P(str)}, Ret: str, Eval: func(a []types.Value) (types.Value, error) {
			return strEncode(a[0].(string), strings.ToLower(a[1].(string)), strings.ToLower(a[2].(string)))
		}},
	}})

	r.AddScalar(&ScalarDef{Name: "FROM_BYTES", Description: "Converts BYTES to a STRING in the given encoding ('hex', 'utf8', 'ascii' or 'base64').", Sigs: []Sig{
		{Params: []Param{P(byt), P(str)}, Ret: str, Eval: func(a []types.Value) (types.Value, error) {
			b := a[0].([]byte)
			switch strings.ToLower(a[1].(string)) {
			case "hex":
				return strings.ToUpper(hex.EncodeToString(b)), nil
			case "utf8":
				return strDecodeUTF8(b), nil
			case "ascii":
				return strDecodeASCII(b), nil
			case "base64":
				return base64.StdEncoding.EncodeToString(b), nil
			}
			return nil, strUnknownEncoding(a[1].(string))
		}},
	}})

	r.AddScalar(&ScalarDef{Name: "TO_BYTES", Description: "Converts a STRING in the given encoding ('hex', 'utf8', 'ascii' or 'base64') to BYTES.", Sigs: []Sig{
		{Params: []Param{P(str), P(str)}, Ret: byt, Eval: func(a []types.Value) (types.Value, error) {
			s := a[0].(string)
			switch strings.ToLower(a[1].(string)) {
			case "hex":
				if len(s)%2 != 0 {
					return nil, fmt.Errorf("hexBinary needs to be even-length: %s", s)
				}
				b, err := hex.DecodeString(s)
				if err != nil {
					return nil, fmt.Errorf("contains illegal character for hexBinary: %s", s)
				}
				return b, nil
			case "utf8":
				return []byte(s), nil
			case "ascii":
				return strEncodeASCII(s), nil
			case "base64":
				enc := base64.RawStdEncoding
				if strings.Contains(s, "=") {
					enc = base64.StdEncoding
				}
				if strings.ContainsAny(s, "\r\n") {
					return nil, fmt.Errorf("Illegal base64 character in '%s'", s)
				}
				b, err := enc.DecodeString(s)
				if err != nil {
					return nil, fmt.Errorf("Illegal base64 input '%s': %v", s, err)
				}
				return b, nil
			}
			return nil, strUnknownEncoding(a[1].(string))
		}},
	}})
}

func strUnknownEncoding(enc string) error {
	return fmt.Errorf("Unknown encoding type '%s'. Supported formats are 'hex', 'utf8', 'ascii', and 'base64'.", enc)
}

// strEncode is ksqlDB's ENCODE(str, inputEncoding, outputEncoding).
func strEncode(s, in, out string) (types.Value, error) {
	valid := map[string]bool{"hex": true, "utf8": true, "ascii": true, "base64": true}
	if !valid[in] || !valid[out] || in == out {
		return nil, fmt.Errorf("Supported input and output encodings are: hex, utf8, ascii and base64")
	}
	var b []byte
	switch in {
	case "hex":
		var err error
		if b, err = strDecodeHexCommons(strHexStrip(s)); err != nil {
			return nil, err
		}
	case "utf8":
		b = []byte(s)
	case "ascii":
		b = strEncodeASCII(s)
	case "base64":
		b = strDecodeBase64Lenient(s)
	}
	switch out {
	case "hex":
		return hex.EncodeToString(b), nil
	case "utf8":
		return strDecodeUTF8(b), nil
	case "ascii":
		return strDecodeASCII(b), nil
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

// strHexStrip removes a "0x" prefix (left-padding an odd number of digits
// with 0) or an X'...' wrapper from hex text.
func strHexStrip(s string) string {
	switch {
	case strings.HasPrefix(s, "0x") && !strings.ContainsAny(s, "\n\r"):
		if len(s)%2 != 0 {
			return "0" + s[2:]
		}
		return s[2:]
	case len(s) >= 3 && (s[0] == 'x' || s[0] == 'X') && s[1] == '\'' && s[len(s)-1] == '\'' && !strings.ContainsAny(s, "\n\r"):
		return s[2 : len(s)-1]
	}
	return s
}

// strDecodeHexCommons is commons-codec's Hex.decodeHex.
func strDecodeHexCommons(s string) ([]byte, error) {
	if len(s)%2 != 0 {
		return nil, fmt.Errorf("Odd number of characters.")
	}
	out := make([]byte, len(s)/2)
	for i := 0; i < len(s); i += 2 {
		hi, ok1 := strHexDigit(rune(s[i]))
		if !ok1 {
			return nil, fmt.Errorf("Illegal hexadecimal character %c at index %d", s[i], i)
		}
		lo, ok2 := strHexDigit(rune(s[i+1]))
		if !ok2 {
			return nil, fmt.Errorf("Illegal hexadecimal character %c at index %d", s[i+1], i+1)
		}
		out[i/2] = byte(hi<<4 | lo)
	}
	return out, nil
}

// strDecodeBase64Lenient is commons-codec's Base64.decodeBase64: both the
// standard and URL-safe alphabets, other characters ignored, decoding
// stops at the first '='.
func strDecodeBase64Lenient(s string) []byte {
	var out []byte
	var acc uint32
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		var v byte
		switch {
		case c >= 'A' && c <= 'Z':
			v = c - 'A'
		case c >= 'a' && c <= 'z':
			v = c - 'a' + 26
		case c >= '0' && c <= '9':
			v = c - '0' + 52
		case c == '+' || c == '-':
			v = 62
		case c == '/' || c == '_':
			v = 63
		case c == '=':
			i = len(s)
			continue
		default:
			continue
		}
		acc = acc<<6 | uint32(v)
		n++
		if n == 4 {
			out = append(out, byte(acc>>16), byte(acc>>8), byte(acc))
			acc, n = 0, 0
		}
	}
	switch n {
	case 2:
		out = append(out, byte(acc>>4))
	case 3:
		out = append(out, byte(acc>>10), byte(acc>>2))
	}
	if out == nil {
		out = []byte{}
	}
	return out
}

// strDecodeUTF8 decodes UTF-8, replacing malformed bytes with U+FFFD as
// Java's String constructor does.
func strDecodeUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var sb strings.Builder
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		sb.WriteRune(r)
		b = b[n:]
	}
	return sb.String()
}

// strDecodeASCII decodes US-ASCII: bytes above 0x7F become U+FFFD.
func strDecodeASCII(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b))
	for _, c := range b {
		if c < 0x80 {
			sb.WriteByte(c)
		} else {
			sb.WriteRune(utf8.RuneError)
		}
	}
	return sb.String()
}

// strEncodeASCII encodes US-ASCII: other characters become '?'.
func strEncodeASCII(s string) []byte {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		if r < 0x80 {
			out = append(out, byte(r))
		} else {
			out = append(out, '?')
		}
	}
	return out
}
