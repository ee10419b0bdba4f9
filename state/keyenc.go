package state

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// ErrBadEncoding is wrapped by the errors of the key decoders for truncated
// or malformed input.
var ErrBadEncoding = errors.New("state: malformed key encoding")

const (
	// nullMarker encodes SQL NULL; it sorts before notNullMarker so NULLs
	// sort first.
	nullMarker byte = 0x00
	// notNullMarker precedes the encoding of a non-NULL value.
	notNullMarker byte = 0x01

	// escape introduces an escape sequence in the bytes encoding.
	escape byte = 0x00
	// escapedZero follows escape for a 0x00 data byte.
	escapedZero byte = 0xFF
	// terminator follows escape at the end of a bytes encoding. It is
	// smaller than escapedZero and every data byte other than 0x00, so a
	// byte string sorts before its extensions.
	terminator byte = 0x01

	signBit = uint64(1) << 63
)

// canonicalNaN is the bit pattern every NaN is encoded as (math.NaN()'s).
var canonicalNaN = math.Float64bits(math.NaN())

func badEncoding(what string, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrBadEncoding, what, fmt.Sprintf(format, args...))
}

// AppendUint64 appends the order-preserving encoding of v (8 bytes,
// big-endian) to b.
func AppendUint64(b []byte, v uint64) []byte {
	return binary.BigEndian.AppendUint64(b, v)
}

// DecodeUint64 decodes a value written by AppendUint64 from the start of b.
func DecodeUint64(b []byte) (rest []byte, v uint64, err error) {
	if len(b) < 8 {
		return nil, 0, badEncoding("uint64", "need 8 bytes, have %d", len(b))
	}
	return b[8:], binary.BigEndian.Uint64(b), nil
}

// AppendInt64 appends the order-preserving encoding of v to b: 8 bytes,
// big-endian, with the sign bit flipped so negative values sort first.
func AppendInt64(b []byte, v int64) []byte {
	return binary.BigEndian.AppendUint64(b, uint64(v)^signBit)
}

// DecodeInt64 decodes a value written by AppendInt64 from the start of b.
func DecodeInt64(b []byte) (rest []byte, v int64, err error) {
	if len(b) < 8 {
		return nil, 0, badEncoding("int64", "need 8 bytes, have %d", len(b))
	}
	return b[8:], int64(binary.BigEndian.Uint64(b) ^ signBit), nil
}

// AppendFloat64 appends the order-preserving encoding of f to b.
//
// The order is the total order of Java's Double.compare, which ksqlDB
// uses: -Inf < negative numbers < -0.0 < +0.0 < positive numbers < +Inf <
// NaN. -0.0 and +0.0 therefore encode differently (normalize -0.0 first if
// they must compare equal), and all NaNs encode identically (as the NaN
// returned by math.NaN).
func AppendFloat64(b []byte, f float64) []byte {
	u := math.Float64bits(f)
	if f != f {
		u = canonicalNaN
	}
	if u&signBit == 0 {
		u ^= signBit
	} else {
		u = ^u
	}
	return binary.BigEndian.AppendUint64(b, u)
}

// DecodeFloat64 decodes a value written by AppendFloat64 from the start of b.
func DecodeFloat64(b []byte) (rest []byte, f float64, err error) {
	if len(b) < 8 {
		return nil, 0, badEncoding("float64", "need 8 bytes, have %d", len(b))
	}
	u := binary.BigEndian.Uint64(b)
	if u&signBit != 0 {
		u ^= signBit
	} else {
		u = ^u
	}
	return b[8:], math.Float64frombits(u), nil
}

// AppendBytes appends the order-preserving, self-delimiting encoding of v to
// b: v with every 0x00 byte escaped as 0x00 0xFF, followed by 0x00 0x01.
func AppendBytes(b, v []byte) []byte {
	for {
		i := bytes.IndexByte(v, 0)
		if i < 0 {
			break
		}
		b = append(b, v[:i]...)
		b = append(b, escape, escapedZero)
		v = v[i+1:]
	}
	b = append(b, v...)
	return append(b, escape, terminator)
}

// AppendString appends s with the same encoding as AppendBytes.
func AppendString(b []byte, s string) []byte {
	for {
		i := indexZero(s)
		if i < 0 {
			break
		}
		b = append(b, s[:i]...)
		b = append(b, escape, escapedZero)
		s = s[i+1:]
	}
	b = append(b, s...)
	return append(b, escape, terminator)
}

func indexZero(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return i
		}
	}
	return -1
}

// DecodeBytes decodes a value written by AppendBytes (or AppendString) from
// the start of b. The returned value is newly allocated and does not alias
// b, so it stays valid when b is an iterator key that is about to change.
// It is non-nil even when empty.
func DecodeBytes(b []byte) (rest, v []byte, err error) {
	return decodeBytes(b, make([]byte, 0, 16))
}

// DecodeString decodes a value written by AppendString (or AppendBytes) from
// the start of b.
func DecodeString(b []byte) (rest []byte, s string, err error) {
	rest, v, err := decodeBytes(b, nil)
	if err != nil {
		return nil, "", err
	}
	return rest, string(v), nil
}

func decodeBytes(b, out []byte) (rest, v []byte, err error) {
	for {
		i := bytes.IndexByte(b, escape)
		if i < 0 || i+1 >= len(b) {
			return nil, nil, badEncoding("bytes", "missing terminator")
		}
		out = append(out, b[:i]...)
		switch b[i+1] {
		case terminator:
			return b[i+2:], out, nil
		case escapedZero:
			out = append(out, 0)
			b = b[i+2:]
		default:
			return nil, nil, badEncoding("bytes", "invalid escape 0x00 0x%02x", b[i+1])
		}
	}
}

// AppendNull appends the NULL marker, which sorts before every non-NULL
// value. Nothing else is written for a NULL field.
func AppendNull(b []byte) []byte {
	return append(b, nullMarker)
}

// AppendNotNull appends the marker that precedes the encoding of a non-NULL
// value of a nullable field:
//
//	key = AppendInt64(AppendNotNull(key), v)
func AppendNotNull(b []byte) []byte {
	return append(b, notNullMarker)
}

// PeekNull reports whether b starts with the NULL marker, without consuming
// it. It is false for an empty b.
func PeekNull(b []byte) bool {
	return len(b) > 0 && b[0] == nullMarker
}

// DecodeNullMarker consumes the marker written by AppendNull or
// AppendNotNull. When isNull is false the value's encoding follows in rest:
//
//	rest, isNull, err := DecodeNullMarker(key)
//	if err == nil && !isNull {
//		rest, v, err = DecodeInt64(rest)
//	}
func DecodeNullMarker(b []byte) (rest []byte, isNull bool, err error) {
	if len(b) == 0 {
		return nil, false, badEncoding("null marker", "empty input")
	}
	switch b[0] {
	case nullMarker:
		return b[1:], true, nil
	case notNullMarker:
		return b[1:], false, nil
	default:
		return nil, false, badEncoding("null marker", "invalid marker 0x%02x", b[0])
	}
}

// PrefixEnd returns the smallest key that is greater than every key having
// b as a prefix, or nil if there is none (b is empty or all 0xFF bytes). It
// is the exclusive upper bound for scanning the keys that start with b:
//
//	it, err := s.NewIter(prefix, PrefixEnd(prefix)) // nil: unbounded
//
// The result is newly allocated.
func PrefixEnd(b []byte) []byte {
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] != 0xFF {
			out := make([]byte, i+1)
			copy(out, b)
			out[i]++
			return out
		}
	}
	return nil
}
