package serde

import (
	"encoding/binary"
	"math"
	"math/bits"
	"math/rand"
	"strconv"
	"testing"
	"unicode/utf8"
)

func specialByte(c byte) bool { return c == '"' || c == '\\' || c < 0x20 || c >= 0x80 }

// specialInString must mark exactly the first byte that needs a closer look:
// every byte value at every position among plain bytes, then random words.
func TestSpecialInString(t *testing.T) {
	for pos := 0; pos < 8; pos++ {
		for c := 0; c < 256; c++ {
			var b [8]byte
			for i := range b {
				b[i] = 'a'
			}
			b[pos] = byte(c)
			m := specialInString(binary.LittleEndian.Uint64(b[:]))
			if got := m != 0; got != specialByte(byte(c)) {
				t.Fatalf("byte 0x%02x at %d: got %v", c, pos, got)
			}
			if m != 0 && bits.TrailingZeros64(m)>>3 != pos {
				t.Fatalf("byte 0x%02x at %d: lowest mark at byte %d", c, pos, bits.TrailingZeros64(m)>>3)
			}
		}
	}
	rng := rand.New(rand.NewSource(1))
	for n := 0; n < 1_000_000; n++ {
		var b [8]byte
		first := -1
		for i := range b {
			b[i] = byte(rng.Intn(256))
			if rng.Intn(4) != 0 {
				b[i] = byte(0x20 + rng.Intn(0x60)) // mostly plain ASCII
			}
			if first < 0 && specialByte(b[i]) {
				first = i
			}
		}
		m := specialInString(binary.LittleEndian.Uint64(b[:]))
		if (m != 0) != (first >= 0) || (m != 0 && bits.TrailingZeros64(m)>>3 != first) {
			t.Fatalf("%q: mask %x, first special byte %d", b[:], m, first)
		}
	}
}

// scanStringByBytes is scanString one byte at a time, as it was before it
// skipped 8 bytes at a time: the reference for TestScanStringMatchesBytes.
func scanStringByBytes(data []byte) (end int, esc bool, ok bool) {
	for i := 1; i < len(data); {
		c := data[i]
		switch {
		case c == '"':
			return i + 1, esc, true
		case c == '\\':
			esc = true
			if i+1 >= len(data) {
				return 0, false, false
			}
			switch data[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(data) {
					return 0, false, false
				}
				for k := i + 2; k < i+6; k++ {
					if !isHex(data[k]) {
						return 0, false, false
					}
				}
				i += 6
			default:
				return 0, false, false
			}
		case c < 0x20:
			return 0, false, false
		case c < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && size == 1 {
				return 0, false, false
			}
			i += size
		}
	}
	return 0, false, false
}

func TestScanStringMatchesBytes(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	alphabet := []string{"a", "b", "Z", " ", "\"", "\\", "\\n", "\\u00e9", "\\u12", "\\x", "é", "😀", "\xff", "\x01", "\t", "/", "0123456789abcdef"}
	for n := 0; n < 200_000; n++ {
		var b []byte
		b = append(b, '"')
		for k := rng.Intn(40); k > 0; k-- {
			b = append(b, alphabet[rng.Intn(len(alphabet))]...)
		}
		if rng.Intn(4) != 0 {
			b = append(b, '"')
		}
		for k := rng.Intn(12); k > 0; k-- { // what follows the string
			b = append(b, alphabet[rng.Intn(len(alphabet))]...)
		}
		d := jdec{data: b}
		raw, esc, err := d.scanString()
		end, wantEsc, ok := scanStringByBytes(b)
		if (err == nil) != ok {
			t.Fatalf("%q: error %v, reference ok=%v", b, err, ok)
		}
		if ok && (d.pos != end || esc != wantEsc || len(raw) != end-2) {
			t.Fatalf("%q: end %d esc %v, reference %d %v", b, d.pos, esc, end, wantEsc)
		}
	}
}

// nonDigits must mark exactly the first byte that is not a digit, and
// digitsValue must read the digits before it: every byte value at every
// position among digits, then random words.
func TestNonDigitsAndDigitsValue(t *testing.T) {
	check := func(b [8]byte) {
		t.Helper()
		first, want := 8, uint64(0)
		for i, c := range b {
			if c < '0' || c > '9' {
				first = i
				break
			}
			want = want*10 + uint64(c-'0')
		}
		x := binary.LittleEndian.Uint64(b[:])
		m := nonDigits(x)
		n := 8
		if m != 0 {
			n = bits.TrailingZeros64(m) >> 3
		}
		if n != first {
			t.Fatalf("%q: %d digits, want %d", b[:], n, first)
		}
		if got := digitsValue(x, n); got != want {
			t.Fatalf("%q: value %d, want %d", b[:], got, want)
		}
	}
	for pos := 0; pos < 8; pos++ {
		for c := 0; c < 256; c++ {
			b := [8]byte{'9', '8', '7', '6', '5', '4', '3', '2'}
			b[pos] = byte(c)
			check(b)
		}
	}
	rng := rand.New(rand.NewSource(3))
	for n := 0; n < 1_000_000; n++ {
		var b [8]byte
		for i := range b {
			b[i] = byte('0' + rng.Intn(10))
			if rng.Intn(8) == 0 {
				b[i] = byte(rng.Intn(256))
			}
		}
		check(b)
	}
}

// appendJSONStringByBytes is appendJSONString one byte at a time, as it
// was before it skipped 8 bytes at a time: the reference for
// TestAppendJSONStringMatchesBytes.
func appendJSONStringByBytes(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\t':
				b = append(b, '\\', 't')
			case '\r':
				b = append(b, '\\', 'r')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, "\uFFFD"...)
			i++
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func TestAppendJSONStringMatchesBytes(t *testing.T) {
	rng := rand.New(rand.NewSource(4))
	alphabet := []string{"a", "b", "Z", " ", "\"", "\\", "\n", "\t", "\r", "\b", "\f", "\x00", "\x1f", "\x7f", "/", "é", "😀",
		"\xff", "\xc3", "\xe2\x82", "\xed\xa0\x80", "\xf4\x90\x80\x80", "0123456789abcdef", "<>&'"}
	for n := 0; n < 200_000; n++ {
		var s []byte
		for k := rng.Intn(40); k > 0; k-- {
			s = append(s, alphabet[rng.Intn(len(alphabet))]...)
		}
		prefix := []byte("x")
		got := appendJSONString(prefix[:1:1], string(s))
		want := appendJSONStringByBytes([]byte("x"), string(s))
		if string(got) != string(want) {
			t.Fatalf("%q: %q, reference %q", s, got, want)
		}
	}
	for c := 0; c < 256; c++ {
		for pos := 0; pos < 17; pos++ {
			s := []byte("abcdefghijklmnopq")
			s[pos] = byte(c)
			for l := pos + 1; l <= len(s); l++ {
				if got, want := appendJSONString(nil, string(s[:l])), appendJSONStringByBytes(nil, string(s[:l])); string(got) != string(want) {
					t.Fatalf("%q: %q, reference %q", s[:l], got, want)
				}
			}
		}
	}
}

func TestAppendIntMatchesStrconv(t *testing.T) {
	check := func(v int64) {
		t.Helper()
		if got, want := appendInt([]byte("x"), v), strconv.AppendInt([]byte("x"), v, 10); string(got) != string(want) {
			t.Fatalf("%d: %q, want %q", v, got, want)
		}
	}
	for _, v := range []int64{0, 1, -1, 9, 10, -10, 99, 100, 255, 256, 1700000000000, math.MaxInt64, math.MinInt64, math.MaxInt64 - 1, math.MinInt64 + 1} {
		check(v)
	}
	for p := int64(1); p > 0 && p <= math.MaxInt64/10; p *= 10 {
		for _, v := range []int64{p - 1, p, p + 1, 10*p - 1} {
			check(v)
			check(-v)
		}
	}
	rng := rand.New(rand.NewSource(5))
	for n := 0; n < 1_000_000; n++ {
		v := rng.Int63() >> rng.Intn(63)
		if rng.Intn(2) == 0 {
			v = -v
		}
		check(v)
	}
}
