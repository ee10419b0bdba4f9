package serde

import (
	"bytes"
	"encoding/hex"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/ksqlgo/ksql/sql/types"
)

func hexBytes(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

func pbOpts(rep string) Options { return Options{NullableRepresentation: rep} }

var pbStruct = types.StructOf(types.Field{Name: "A", Type: intT}, types.Field{Name: "B", Type: strT})

// Golden bytes, worked out by hand from the protobuf encoding spec: tag =
// field number << 3 | wire type; varints little-endian base 128, negative
// int32/int64 sign-extended to 10 bytes; doubles little-endian fixed64.
func TestProtobufGoldenBytes(t *testing.T) {
	cases := []struct {
		name string
		cols []Column
		opts Options
		vals []types.Value
		hex  string
	}{
		{"primitives", cols(col("I", intT), col("L", bigT), col("D", dblT), col("B", boolT), col("S", strT)), Options{},
			[]types.Value{int32(150), int64(-1), 1.0, true, "hi"},
			"08 96 01  10 ff ff ff ff ff ff ff ff ff 01  19 00 00 00 00 00 00 f0 3f  20 01  2a 02 68 69"},
		{"negative int32 is 10 bytes", cols(col("I", intT)), Options{}, []types.Value{int32(-2)},
			"08 fe ff ff ff ff ff ff ff ff 01"},
		{"defaults and nulls are left out", cols(col("I", intT), col("L", bigT), col("D", dblT), col("B", boolT), col("S", strT), col("BY", bytesT)), Options{},
			[]types.Value{nil, int64(0), nil, false, "", []byte{}}, ""},
		{"negative zero is written", cols(col("D", dblT)), Options{}, []types.Value{math.Copysign(0, -1)},
			"09 00 00 00 00 00 00 00 80"},
		{"optional writes defaults", cols(col("I", intT), col("L", bigT), col("D", dblT), col("B", boolT), col("S", strT)), pbOpts("optional"),
			[]types.Value{nil, int64(0), nil, false, ""}, "10 00  20 00  2a 00"},
		{"wrapper", cols(col("I", intT), col("L", bigT), col("D", dblT), col("B", boolT), col("S", strT)), pbOpts("wrapper"),
			[]types.Value{int32(7), int64(0), nil, false, "a"}, "0a 02 08 07  12 00  22 00  2a 03 0a 01 61"},
		{"decimal", cols(col("DEC", types.DecimalOf(4, 2))), Options{}, []types.Value{dec("12.34")},
			"0a 08  0a 02 04 d2  10 04  18 02"},
		{"negative decimal", cols(col("DEC", types.DecimalOf(4, 2))), Options{}, []types.Value{dec("-1.00")},
			"0a 07  0a 01 9c  10 03  18 02"},
		{"decimal 128 needs a sign byte", cols(col("DEC", types.DecimalOf(4, 0))), Options{}, []types.Value{dec("128")},
			"0a 06  0a 02 00 80  10 03"},
		{"zero decimal", cols(col("DEC", types.DecimalOf(4, 0))), Options{}, []types.Value{dec("0")},
			"0a 05  0a 01 00  10 01"},
		{"timestamp", cols(col("TS", tsT)), Options{}, []types.Value{types.Timestamp(1500)},
			"0a 08  08 01  10 80 ca b5 ee 01"},
		{"timestamp before the epoch", cols(col("TS", tsT)), Options{}, []types.Value{types.Timestamp(-1)},
			"0a 11  08 ff ff ff ff ff ff ff ff ff 01  10 c0 8f ae dc 03"},
		{"epoch timestamp is an empty message", cols(col("TS", tsT)), Options{}, []types.Value{types.Timestamp(0)}, "0a 00"},
		{"date", cols(col("DT", dateT)), Options{}, []types.Value{types.Date(1)}, "0a 07  08 b2 0f  10 01  18 02"},
		{"first Gregorian day", cols(col("DT", dateT)), Options{}, []types.Value{types.Date(-141427)}, "0a 07  08 ae 0c  10 0a  18 0f"},
		{"last Julian day", cols(col("DT", dateT)), Options{}, []types.Value{types.Date(-141428)}, "0a 07  08 ae 0c  10 0a  18 04"},
		{"time", cols(col("TM", timeT)), Options{}, []types.Value{types.TimeOfDay(3723004)},
			"0a 0b  08 01  10 02  18 03  20 80 92 f4 01"},
		{"struct", cols(col("ST", pbStruct)), Options{},
			[]types.Value{&types.StructValue{Type: pbStruct, Vals: []types.Value{int32(1), "x"}}}, "0a 05  08 01  12 01 78"},
		{"packed ints", cols(col("A", types.ArrayOf(intT))), Options{}, []types.Value{[]types.Value{int32(1), int32(-1), int32(0)}},
			"0a 0c  01  ff ff ff ff ff ff ff ff ff 01  00"},
		{"packed doubles", cols(col("A", types.ArrayOf(dblT))), pbOpts("optional"), []types.Value{[]types.Value{1.0}},
			"0a 08  00 00 00 00 00 00 f0 3f"},
		{"strings are not packed", cols(col("A", types.ArrayOf(strT))), Options{}, []types.Value{[]types.Value{"a", ""}},
			"0a 01 61  0a 00"},
		{"wrapped elements", cols(col("A", types.ArrayOf(intT))), pbOpts("wrapper"), []types.Value{[]types.Value{int32(0), int32(3)}},
			"0a 00  0a 02 08 03"},
		{"array of structs", cols(col("A", types.ArrayOf(pbStruct))), Options{}, []types.Value{[]types.Value{
			&types.StructValue{Type: pbStruct, Vals: []types.Value{int32(1), ""}},
			&types.StructValue{Type: pbStruct, Vals: []types.Value{int32(0), "y"}}}},
			"0a 02 08 01  0a 03 12 01 79"},
		{"empty array is left out", cols(col("A", types.ArrayOf(intT)), col("I", intT)), Options{}, []types.Value{[]types.Value{}, int32(1)},
			"10 01"},
		{"map", cols(col("M", types.MapOf(strT, intT))), Options{}, []types.Value{&types.MapValue{Keys: []types.Value{"a", "b"}, Vals: []types.Value{int32(1), int32(0)}}},
			"0a 05 0a 01 61 10 01  0a 03 0a 01 62"},
		{"map with a null value", cols(col("M", types.MapOf(strT, intT))), pbOpts("optional"), []types.Value{&types.MapValue{Keys: []types.Value{"a"}, Vals: []types.Value{nil}}},
			"0a 03 0a 01 61"},
		{"second field", cols(col("A", intT), col("B", strT)), Options{}, []types.Value{nil, "z"}, "12 01 7a"},
		{"unwrapped value", cols(col("V", strT)), unwrap, []types.Value{"ok"}, "0a 02 6f 6b"},
		{"unwrapped default", cols(col("V", intT)), unwrap, []types.Value{int32(0)}, ""},
		{"unwrapped struct", cols(col("V", pbStruct)), unwrap, []types.Value{&types.StructValue{Type: pbStruct, Vals: []types.Value{int32(2), nil}}}, "08 02"},
		{"unwrapped decimal", cols(col("V", types.DecimalOf(2, 1))), unwrap, []types.Value{dec("1.5")}, "0a 01 0f  10 02  18 01"},
		{"single value wrapped by default", cols(col("V", intT)), Options{}, []types.Value{int32(3)}, "08 03"},
		{"long length prefix", cols(col("S", strT)), Options{}, []types.Value{strings.Repeat("x", 200)},
			"0a c8 01 " + strings.Repeat("78", 200)},
	}
	for _, c := range cases {
		codec := mustNew(t, "PROTOBUF_NOSR", c.cols, c.opts)
		got, err := codec.Encode(nil, c.vals)
		if err != nil {
			t.Errorf("%s: Encode: %v", c.name, err)
			continue
		}
		if want := hexBytes(c.hex); !bytes.Equal(got, want) {
			t.Errorf("%s: Encode = % x, want % x", c.name, got, want)
		}
	}
}

func TestProtobufKeyIsUnwrapped(t *testing.T) {
	c := mustNew(t, "PROTOBUF_NOSR", cols(col("K", intT)), Options{IsKey: true})
	b, err := c.Encode(nil, []types.Value{int32(5)})
	if err != nil || !bytes.Equal(b, hexBytes("08 05")) {
		t.Fatalf("% x %v", b, err)
	}
	if _, err := c.Encode(nil, []types.Value{nil}); !errors.Is(err, ErrNullRecord) {
		t.Fatalf("a NULL unwrapped key is a null record: %v", err)
	}
	dst := make([]types.Value, 1)
	if err := c.Decode(nil, dst); !errors.Is(err, ErrNullRecord) {
		t.Fatal(err)
	}
	if err := c.Decode([]byte{}, dst); err != nil || dst[0] != int32(0) {
		t.Fatalf("an empty wrapper is 0: %v %v", dst[0], err)
	}
	multi := mustNew(t, "PROTOBUF_NOSR", cols(col("K1", intT), col("K2", strT)), Options{IsKey: true})
	b, err = multi.Encode(nil, []types.Value{int32(1), "a"})
	if err != nil || !bytes.Equal(b, hexBytes("08 01 12 01 61")) {
		t.Fatalf("% x %v", b, err)
	}
}

// Every type round-trips, in every nullable representation, wrapped and
// unwrapped.
func TestProtobufRoundTrip(t *testing.T) {
	nested := types.StructOf(
		types.Field{Name: "N", Type: pbStruct},
		types.Field{Name: "L", Type: types.ArrayOf(pbStruct)},
		types.Field{Name: "M", Type: types.MapOf(strT, pbStruct)},
	)
	all := cols(
		col("I", intT), col("L", bigT), col("D", dblT), col("S", strT), col("B", boolT),
		col("DEC", types.DecimalOf(30, 3)), col("BY", bytesT), col("TS", tsT), col("DT", dateT), col("TM", timeT),
		col("A", types.ArrayOf(strT)), col("AI", types.ArrayOf(bigT)), col("AD", types.ArrayOf(types.DecimalOf(5, 2))),
		col("M", types.MapOf(strT, types.ArrayOf(intT))), col("MB", types.MapOf(strT, boolT)), col("ST", nested),
	)
	st := func(a int32, b string) *types.StructValue {
		return &types.StructValue{Type: pbStruct, Vals: []types.Value{a, b}}
	}
	row := []types.Value{
		int32(math.MinInt32), int64(math.MaxInt64), -2.5e-300, "héllo 😀", true,
		dec("-123456789012345678901234567.891"), []byte{0, 1, 0xff}, types.Timestamp(-62135596800000), types.Date(-719162), types.TimeOfDay(86399999),
		[]types.Value{"x", "", "z"}, []types.Value{int64(-1), int64(0), int64(1 << 62)}, []types.Value{dec("1.25"), dec("-0.01")},
		&types.MapValue{Keys: []types.Value{"k1", "k2"}, Vals: []types.Value{[]types.Value{int32(1), int32(2)}, []types.Value{}}},
		&types.MapValue{Keys: []types.Value{"t", "f"}, Vals: []types.Value{true, false}},
		&types.StructValue{Type: nested, Vals: []types.Value{
			st(1, "a"),
			[]types.Value{st(2, "b"), st(0, "")},
			&types.MapValue{Keys: []types.Value{"x"}, Vals: []types.Value{st(3, "c")}},
		}},
	}
	for _, rep := range []string{"", "optional", "wrapper"} {
		c := mustNew(t, "PROTOBUF_NOSR", all, pbOpts(rep))
		b, err := c.Encode(nil, row)
		if err != nil {
			t.Fatalf("%q: %v", rep, err)
		}
		got := make([]types.Value, len(all))
		if err := c.Decode(b, got); err != nil {
			t.Fatalf("%q: %v", rep, err)
		}
		if !sameRow(got, row) {
			t.Errorf("%q: round trip\n got %v\nwant %v", rep, got, row)
		}
		if len(b) > 0 && &b[0] == &b[:1][0] {
			for i := range b {
				b[i] = 0xee
			}
			if !sameRow(got, row) {
				t.Errorf("%q: decoded values alias the input", rep)
			}
		}
		for i, cl := range all {
			if cl.Type.Kind == types.KindArray || cl.Type.Kind == types.KindMap {
				continue
			}
			u := mustNew(t, "PROTOBUF_NOSR", cols(cl), Options{WrapSingleValue: boolp(false), NullableRepresentation: rep})
			b, err := u.Encode(nil, row[i:i+1])
			if err != nil {
				t.Fatalf("%q unwrapped %s: %v", rep, cl.Name, err)
			}
			got := make([]types.Value, 1)
			if err := u.Decode(b, got); err != nil || !sameValue(got[0], row[i]) {
				t.Errorf("%q unwrapped %s: %v %v, want %v", rep, cl.Name, got[0], err, row[i])
			}
		}
	}
}

// NULLs: how each nullable representation reads a row of NULLs back.
func TestProtobufNulls(t *testing.T) {
	all := cols(col("I", intT), col("L", bigT), col("D", dblT), col("S", strT), col("B", boolT), col("BY", bytesT),
		col("DEC", types.DecimalOf(4, 2)), col("TS", tsT), col("ST", pbStruct), col("A", types.ArrayOf(intT)), col("M", types.MapOf(strT, intT)))
	nulls := make([]types.Value, len(all))
	empties := []types.Value{nil, nil, nil, nil, nil, nil, nil, nil, nil, []types.Value{}, &types.MapValue{}}
	defaults := []types.Value{int32(0), int64(0), 0.0, "", false, []byte{}, nil, nil, nil, []types.Value{}, &types.MapValue{}}
	for _, c := range []struct {
		rep  string
		want []types.Value
	}{{"", defaults}, {"optional", empties}, {"wrapper", empties}} {
		codec := mustNew(t, "PROTOBUF_NOSR", all, pbOpts(c.rep))
		b, err := codec.Encode(nil, nulls)
		if err != nil || len(b) != 0 || b == nil {
			t.Fatalf("%q: a row of NULLs is an empty message: % x %v", c.rep, b, err)
		}
		got := make([]types.Value, len(all))
		if err := codec.Decode(b, got); err != nil || !sameRow(got, c.want) {
			t.Errorf("%q: got %v %v, want %v", c.rep, got, err, c.want)
		}
	}
	// A nested struct's NULL fields, and a map entry without its value.
	st := mustNew(t, "PROTOBUF_NOSR", cols(col("ST", pbStruct), col("M", types.MapOf(strT, pbStruct))), Options{})
	got := make([]types.Value, 2)
	if err := st.Decode(hexBytes("0a 00  12 03 0a 01 61"), got); err != nil {
		t.Fatal(err)
	}
	want := []types.Value{
		&types.StructValue{Type: pbStruct, Vals: []types.Value{int32(0), ""}},
		&types.MapValue{Keys: []types.Value{"a"}, Vals: []types.Value{&types.StructValue{Type: pbStruct, Vals: []types.Value{int32(0), ""}}}},
	}
	if !sameRow(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	// A NULL array element cannot be written.
	arr := mustNew(t, "PROTOBUF_NOSR", cols(col("A", types.ArrayOf(intT))), Options{})
	if _, err := arr.Encode(nil, []types.Value{[]types.Value{int32(1), nil}}); !errors.Is(err, ErrEncode) {
		t.Errorf("NULL element: %v", err)
	}
}

// What protobuf-java's parser accepts beyond what the encoder writes.
func TestProtobufDecodeLeniency(t *testing.T) {
	cs := cols(col("I", intT), col("A", types.ArrayOf(intT)), col("ST", pbStruct), col("S", strT))
	c := mustNew(t, "PROTOBUF_NOSR", cs, Options{})
	cases := []struct {
		name string
		hex  string
		want []types.Value
	}{
		{"unknown fields are skipped", "48 05  51 01 02 03 04 05 06 07 08  5a 01 00  65 01 02 03 04  6b 08 01 6c  08 07",
			[]types.Value{int32(7), []types.Value{}, nil, ""}},
		{"a wrong wire type is an unknown field", "0a 01 00  22 01 78",
			[]types.Value{int32(0), []types.Value{}, nil, "x"}},
		{"last scalar wins", "08 01 08 02", []types.Value{int32(2), []types.Value{}, nil, ""}},
		{"packed and unpacked mix", "10 01  12 02 02 03  10 04", []types.Value{int32(0), []types.Value{int32(1), int32(2), int32(3), int32(4)}, nil, ""}},
		{"messages merge", "1a 02 08 01  1a 03 12 01 78",
			[]types.Value{int32(0), []types.Value{}, &types.StructValue{Type: pbStruct, Vals: []types.Value{int32(1), "x"}}, ""}},
		{"int32 truncates a 64-bit varint", "08 ff ff ff ff 1f", []types.Value{int32(-1), []types.Value{}, nil, ""}},
	}
	for _, tc := range cases {
		got := make([]types.Value, len(cs))
		if err := c.Decode(hexBytes(tc.hex), got); err != nil || !sameRow(got, tc.want) {
			t.Errorf("%s: got %v %v, want %v", tc.name, got, err, tc.want)
		}
	}
	// Decimal precision rounds half up; negative scales are normalized.
	d := mustNew(t, "PROTOBUF_NOSR", cols(col("D", types.DecimalOf(10, 2))), Options{})
	for _, tc := range []struct{ hex, want string }{
		{"0a 08 0a 02 30 39 10 03 18 02", "123"},                   // 123.45 at precision 3
		{"0a 08 0a 02 30 39 10 04 18 02", "123.5"},                 // 123.45 at precision 4
		{"0a 04 0a 02 30 39", "12345"},                             // no precision, scale 0
		{"0a 0e 0a 01 05 18 fe ff ff ff ff ff ff ff ff 01", "500"}, // scale -2
		{"0a 08 0a 02 fc 18 10 04 18 01", "-100.0"},                // -1000 at scale 1
	} {
		got := make([]types.Value, 1)
		if err := d.Decode(hexBytes(tc.hex), got); err != nil {
			t.Errorf("%s: %v", tc.hex, err)
			continue
		}
		if s := got[0].(types.Dec).String(); s != tc.want {
			t.Errorf("%s: %s, want %s", tc.hex, s, tc.want)
		}
	}
}

func TestProtobufMalformed(t *testing.T) {
	cs := cols(col("I", intT), col("S", strT), col("ST", pbStruct), col("DEC", types.DecimalOf(4, 2)),
		col("TS", tsT), col("DT", dateT), col("TM", timeT), col("A", types.ArrayOf(intT)))
	c := mustNew(t, "PROTOBUF_NOSR", cs, Options{})
	cases := []struct{ name, hex, msg string }{
		{"truncated varint", "08", pbErrTruncated},
		{"truncated varint in a packed array", "42 01 80", "input ended unexpectedly"},
		{"varint over 10 bytes", "08 ff ff ff ff ff ff ff ff ff ff 01", pbErrVarint},
		{"length past the end", "12 05 61", pbErrTruncated},
		{"negative length", "12 ff ff ff ff 0f", pbErrNegSize},
		{"zero tag", "00", pbErrZeroTag},
		{"wire type 7", "0f", pbErrWireType},
		{"wire type 6 on an unknown field", "4e", pbErrWireType},
		{"end group without a start", "0c", pbErrEndGroup},
		{"unterminated group", "4b 08 01", pbErrTruncated},
		{"mismatched end group", "4b 54", pbErrEndGroup},
		{"fixed64 truncated", "49 01 02", pbErrTruncated},
		{"fixed32 truncated", "4d 01", pbErrTruncated},
		{"invalid UTF-8", "12 02 c3 28", pbErrUTF8},
		{"malformed nested message", "1a 02 08 ff", pbErrTruncated},
		{"zero-length decimal", "22 00", "Zero length BigInteger"},
		{"invalid timestamp nanos", "2a 06 10 ff ff ff ff 0f", "Timestamp is not valid"},
		{"invalid date", "32 06 08 01 10 0d 18 01", "invalid date"},
		{"date in the Gregorian gap", "32 07 08 ae 0c 10 0a 18 0a", "invalid date"},
		{"empty date", "32 00", "invalid date"},
		{"invalid time", "3a 02 08 18", "invalid time"},
		{"deep groups", strings.Repeat("4b ", 200) + strings.Repeat("4c ", 200), pbErrRecursion},
	}
	for _, tc := range cases {
		got := make([]types.Value, len(cs))
		err := c.Decode(hexBytes(tc.hex), got)
		var de *DecodeError
		if !errors.As(err, &de) || !errors.Is(err, ErrDecode) {
			t.Errorf("%s: want a DecodeError, got %v", tc.name, err)
			continue
		}
		if !strings.Contains(err.Error(), tc.msg) || !strings.HasPrefix(err.Error(), "Failed to deserialize value") {
			t.Errorf("%s: %q does not say %q", tc.name, err, tc.msg)
		}
	}
}

func TestProtobufSchemas(t *testing.T) {
	bad := []struct {
		cols []Column
		opts Options
		msg  string
	}{
		{cols(col("M", types.MapOf(intT, intT))), Options{}, "PROTOBUF format only supports MAP types with STRING keys. See https://github.com/confluentinc/ksql/issues/6177."},
		{cols(col("A", types.ArrayOf(types.ArrayOf(intT)))), Options{}, "Array cannot be nested"},
		{cols(col("A", types.ArrayOf(types.MapOf(strT, intT)))), Options{}, "arrays of maps"},
		{cols(col("A", types.ArrayOf(intT))), unwrap, "Unsupported root schema of type ARRAY"},
		{cols(col("A", intT)), pbOpts("sometimes"), "Unexpected nullable representation sometimes"},
		{cols(col("A", intT), col("B", intT)), Options{WrapSingleValue: boolp(false)}, "'WRAP_SINGLE_VALUE' is only valid for single-field value schemas"},
	}
	for _, b := range bad {
		_, err := New("PROTOBUF_NOSR", b.cols, b.opts)
		if err == nil || err.Error() != b.msg && !strings.Contains(err.Error(), b.msg) {
			t.Errorf("%v: %v, want %q", b.cols, err, b.msg)
		}
	}
	if _, err := New("JSON", cols(col("A", intT)), pbOpts("optional")); err == nil {
		t.Error("JSON takes no nullableRepresentation")
	}
	if _, err := New("protobuf_nosr", cols(col("A", types.MapOf(strT, types.ArrayOf(intT)))), unwrap); err == nil {
		t.Error("an unwrapped MAP cannot be the root message")
	}
	if !SupportsWrapping("PROTOBUF_NOSR") {
		t.Error("PROTOBUF_NOSR wraps single values")
	}
	c := mustNew(t, "PROTOBUF_NOSR", nil, Options{IsKey: true})
	if b, err := c.Encode(nil, nil); b != nil || err != nil {
		t.Errorf("no columns: %v %v", b, err)
	}
}

func TestProtobufCalendar(t *testing.T) {
	for z := int64(-800000); z < 800000; z += 97 {
		y, m, d := calendarFromDays(z)
		if y < 1 {
			continue
		}
		if back, ok := daysFromCalendar(y, m, d); !ok || back != z {
			t.Fatalf("day %d -> %d-%d-%d -> %d %v", z, y, m, d, back, ok)
		}
	}
	// 1000-02-29 exists in the Julian calendar, not in the Gregorian.
	if _, ok := daysFromCalendar(1000, 2, 29); !ok {
		t.Error("1000-02-29 (Julian leap year)")
	}
	if z, _ := daysFromCalendar(1970, 1, 1); z != 0 {
		t.Error(z)
	}
}

func FuzzProtobufDecode(f *testing.F) {
	nested := types.StructOf(
		types.Field{Name: "N", Type: pbStruct},
		types.Field{Name: "L", Type: types.ArrayOf(pbStruct)},
		types.Field{Name: "M", Type: types.MapOf(strT, types.DecimalOf(5, 2))},
	)
	all := cols(
		col("I", intT), col("L", bigT), col("D", dblT), col("S", strT), col("B", boolT),
		col("DEC", types.DecimalOf(8, 3)), col("BY", bytesT), col("TS", tsT), col("DT", dateT), col("TM", timeT),
		col("A", types.ArrayOf(intT)), col("AS", types.ArrayOf(strT)), col("M", types.MapOf(strT, types.ArrayOf(dblT))), col("ST", nested),
	)
	var codecs []Codec
	for _, rep := range []string{"", "optional", "wrapper"} {
		codecs = append(codecs, mustNew(f, "PROTOBUF_NOSR", all, pbOpts(rep)))
	}
	for _, c := range all {
		if c.Type.Kind != types.KindArray && c.Type.Kind != types.KindMap {
			codecs = append(codecs, mustNew(f, "PROTOBUF_NOSR", cols(c), Options{IsKey: true}))
		}
	}
	for _, s := range []string{
		"", "08 96 01 10 ff ff ff ff ff ff ff ff ff 01 19 00 00 00 00 00 00 f0 3f 20 01 2a 02 68 69",
		"32 08 0a 02 04 d2 10 04 18 02", "42 07 08 01 10 80 ca b5 ee 01", "4a 07 08 b2 0f 10 01 18 02",
		"52 0b 08 01 10 02 18 03 20 80 92 f4 01", "5a 03 01 02 03 5a 01 04", "62 01 61 62 00",
		"6a 0d 0a 01 61 12 08 00 00 00 00 00 00 f0 3f", "72 05 0a 03 08 01 12 00", "0a 02 08 07 12 00",
		"72 0c 12 02 08 01 1a 06 0a 01 6b 12 01 00", "4b 08 01 4c", "0f", "08",
	} {
		f.Add(hexBytes(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, c := range codecs {
			checkRoundTrip(t, c, data)
		}
	})
}
