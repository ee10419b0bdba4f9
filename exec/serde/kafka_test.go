package serde

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/ksqlgo/ksql/sql/types"
)

// Cases from kafka.json, formats.json, key-schemas.json and bytes.json:
// Kafka's IntegerSerializer, LongSerializer, DoubleSerializer,
// StringSerializer and ByteBufferSerializer.
func TestKafkaRoundTrip(t *testing.T) {
	cases := []struct {
		name  string
		t     *types.Type
		val   types.Value
		bytes string
	}{
		{"INT", intT, int32(2), "\x00\x00\x00\x02"},
		{"INT negative", intT, int32(-1), "\xff\xff\xff\xff"},
		{"INT min", intT, int32(math.MinInt32), "\x80\x00\x00\x00"},
		{"BIGINT", bigT, int64(10000000000), "\x00\x00\x00\x02\x54\x0b\xe4\x00"},
		{"BIGINT negative", bigT, int64(-2), "\xff\xff\xff\xff\xff\xff\xff\xfe"},
		{"DOUBLE", dblT, 2.2, "\x40\x01\x99\x99\x99\x99\x99\x9a"},
		{"DOUBLE 1.1", dblT, 1.1, "\x3f\xf1\x99\x99\x99\x99\x99\x9a"},
		{"DOUBLE NaN", dblT, math.NaN(), "\x7f\xf8\x00\x00\x00\x00\x00\x01"},
		{"STRING", strT, "bar", "bar"},
		{"STRING empty", strT, "", ""},
		{"STRING unicode", strT, "héllo 😀", "héllo 😀"},
		{"BYTES", bytesT, []byte("variations"), "variations"},
		{"BYTES empty", bytesT, []byte{}, ""},
	}
	for _, tc := range cases {
		for _, opts := range []Options{{}, keyOpts, unwrap} {
			c := mustNew(t, "KAFKA", cols(col("V", tc.t)), opts)
			if tc.name != "DOUBLE NaN" {
				out, err := c.Encode(nil, row(tc.val))
				if err != nil {
					t.Fatalf("%s: Encode: %v", tc.name, err)
				}
				if string(out) != tc.bytes || out == nil {
					t.Errorf("%s: Encode = %x, want %x", tc.name, out, tc.bytes)
				}
			}
			dst := make([]types.Value, 1)
			if err := c.Decode([]byte(tc.bytes), dst); err != nil {
				t.Fatalf("%s: Decode: %v", tc.name, err)
			}
			if !sameValue(dst[0], tc.val) {
				t.Errorf("%s: Decode = %s, want %s", tc.name, show(dst[0]), show(tc.val))
			}
		}
	}
}

func TestKafkaDecodeErrors(t *testing.T) {
	cases := []struct {
		t    *types.Type
		in   string
		want string
	}{
		{intT, "\x00\x01", "Failed to deserialize value. Error deserializing KAFKA message: Size of data received by IntegerDeserializer is not 4"},
		{intT, "", "Size of data received by IntegerDeserializer is not 4"},
		{bigT, "\x00\x00\x00\x01", "Size of data received by LongDeserializer is not 8"},
		{dblT, "123456789", "Size of data received by DoubleDeserializer is not 8"},
	}
	for _, tc := range cases {
		c := mustNew(t, "KAFKA", cols(col("V", tc.t)), Options{})
		err := c.Decode([]byte(tc.in), make([]types.Value, 1))
		if err == nil || !errors.Is(err, ErrDecode) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %q: got %v, want %q", tc.t, tc.in, err, tc.want)
		}
	}
	// Strings decode as Java does: invalid UTF-8 becomes U+FFFD.
	c := mustNew(t, "KAFKA", cols(col("V", strT)), Options{})
	dst := make([]types.Value, 1)
	if err := c.Decode([]byte("a\xffb"), dst); err != nil || dst[0] != "a\uFFFDb" {
		t.Errorf("invalid UTF-8: %v, %v", dst[0], err)
	}
}

func TestKafkaNulls(t *testing.T) {
	c := mustNew(t, "KAFKA", cols(col("V", intT)), keyOpts)
	dst := []types.Value{"untouched"}
	if err := c.Decode(nil, dst); !errors.Is(err, ErrNullRecord) || dst[0] != "untouched" {
		t.Errorf("Decode(nil) = %v, %v", err, dst[0])
	}
	out, err := c.Encode([]byte("k"), row(nil))
	if !errors.Is(err, ErrNullRecord) || string(out) != "k" {
		t.Errorf("Encode(NULL) = %q, %v", out, err)
	}
	if _, err := c.Encode(nil, row(int64(1))); !errors.Is(err, ErrEncode) {
		t.Errorf("Encode(int64 into INT) = %v", err)
	}
}

func TestKafkaNoColumns(t *testing.T) {
	c := mustNew(t, "KAFKA", nil, keyOpts)
	if err := c.Decode([]byte("ignored"), nil); err != nil {
		t.Errorf("Decode = %v", err)
	}
	out, err := c.Encode([]byte("x"), nil)
	if err != nil || string(out) != "x" {
		t.Errorf("Encode = %q, %v", out, err)
	}
}

func TestNone(t *testing.T) {
	c := mustNew(t, "NONE", nil, keyOpts)
	for _, in := range [][]byte{nil, []byte("data that should be ignored")} {
		if err := c.Decode(in, []types.Value{}); err != nil {
			t.Errorf("Decode(%q) = %v", in, err)
		}
	}
	out, err := c.Encode(nil, nil)
	if err != nil || out != nil {
		t.Errorf("Encode = %q, %v", out, err)
	}
	if _, err := c.Encode(nil, row(int32(1))); !errors.Is(err, ErrEncode) {
		t.Errorf("Encode with a value = %v", err)
	}
}

func TestNewValidation(t *testing.T) {
	v0v1 := cols(col("V0", intT), col("V1", strT))
	cases := []struct {
		name   string
		format string
		cols   []Column
		opts   Options
		want   string
		kind   error
	}{
		{"unknown format", "FOO", nil, Options{}, "Unknown format: FOO", ErrUnknownFormat},
		{"AVRO", "AvRo", cols(col("V", intT)), Options{}, "The 'AVRO' format is not available: it requires a schema registry", ErrUnsupportedFormat},
		{"PROTOBUF", "protobuf", nil, Options{}, "requires a schema registry", ErrUnsupportedFormat},
		{"PROTOBUF_NOSR INT map keys", "PROTOBUF_NOSR", cols(col("M", types.MapOf(intT, intT))), Options{},
			"PROTOBUF format only supports MAP types with STRING keys.", ErrUnsupportedSchema},
		{"JSON_SR", "json_sr", nil, Options{}, "requires a schema registry", ErrUnsupportedFormat},

		{"JSON map with INT keys", "JSON", cols(col("FOO", types.MapOf(intT, dblT))), Options{},
			"JSON only supports MAP types with STRING keys", ErrUnsupportedSchema},
		{"JSON nested map with INT keys", "JSON", cols(col("S", types.StructOf(types.Field{Name: "F", Type: types.ArrayOf(types.MapOf(bigT, strT))}))), Options{},
			"JSON only supports MAP types with STRING keys", ErrUnsupportedSchema},
		{"JSON delimiter", "JSON", cols(col("V", intT)), Options{Delimiter: "|"},
			"JSON does not support the following configs: [delimiter]", ErrInvalidOptions},

		{"KAFKA multiple columns", "KafkA", v0v1, Options{},
			"The 'KAFKA' format only supports a single field. Got: [`V0` INTEGER, `V1` STRING]", ErrUnsupportedSchema},
		{"KAFKA multiple key columns", "KAFKA", v0v1, keyOpts,
			"The 'KAFKA' format only supports a single field. Got: [`V0` INTEGER KEY, `V1` STRING KEY]", ErrUnsupportedSchema},
		{"KAFKA BOOLEAN", "KAFKA", cols(col("V0", boolT)), Options{}, "The 'KAFKA' format does not support type 'BOOLEAN'", ErrUnsupportedSchema},
		{"KAFKA DECIMAL", "KAFKA", cols(col("V0", types.DecimalOf(4, 2))), Options{}, "The 'KAFKA' format does not support type 'DECIMAL'", ErrUnsupportedSchema},
		{"KAFKA TIMESTAMP", "KAFKA", cols(col("V0", tsT)), Options{}, "The 'KAFKA' format does not support type 'TIMESTAMP'", ErrUnsupportedSchema},
		{"KAFKA ARRAY", "KAFKA", cols(col("V", types.ArrayOf(intT))), Options{}, "The 'KAFKA' format does not support type 'ARRAY'", ErrUnsupportedSchema},
		{"KAFKA MAP", "KAFKA", cols(col("FOO", types.MapOf(intT, dblT))), Options{}, "The 'KAFKA' format does not support type 'MAP'", ErrUnsupportedSchema},
		{"KAFKA STRUCT", "KAFKA", cols(col("FOO", types.StructOf(types.Field{Name: "F1", Type: dblT}))), keyOpts,
			"The 'KAFKA' format does not support type 'STRUCT'", ErrUnsupportedSchema},
		{"KAFKA wrap", "KAFKA", cols(col("V", intT)), Options{WrapSingleValue: boolp(true)},
			"Format 'KAFKA' does not support 'WRAP_SINGLE_VALUE' set to 'true'.", ErrInvalidOptions},
		{"KAFKA delimiter", "KAFKA", cols(col("V", intT)), Options{Delimiter: ","},
			"KAFKA does not support the following configs: [delimiter]", ErrInvalidOptions},

		{"DELIMITED ARRAY", "DELIMITED", cols(col("K", types.ArrayOf(dblT))), keyOpts,
			"The 'DELIMITED' format does not support type 'ARRAY', column: `K`", ErrUnsupportedSchema},
		{"DELIMITED MAP", "DELIMITED", cols(col("KSQL_COL_0", types.MapOf(intT, dblT))), Options{},
			"The 'DELIMITED' format does not support type 'MAP'", ErrUnsupportedSchema},
		{"DELIMITED STRUCT", "DELIMITED", cols(col("FOO", types.StructOf(types.Field{Name: "F1", Type: dblT}))), Options{},
			"The 'DELIMITED' format does not support type 'STRUCT'", ErrUnsupportedSchema},
		{"DELIMITED wrap", "DELIMITED", cols(col("FOO", intT)), Options{WrapSingleValue: boolp(true)},
			"Format 'DELIMITED' does not support 'WRAP_SINGLE_VALUE' set to 'true'.", ErrInvalidOptions},

		{"NONE with columns", "NONE", cols(col("FOO", intT)), Options{},
			"The 'NONE' format can only be used when no columns are defined. Got: [`FOO` INTEGER]", ErrUnsupportedSchema},
		{"NONE with key columns", "NONE", cols(col("BAR", intT)), keyOpts,
			"The 'NONE' format can only be used when no columns are defined. Got: [`BAR` INTEGER KEY]", ErrUnsupportedSchema},

		{"wrap with two columns", "JSON", v0v1, Options{WrapSingleValue: boolp(true)},
			"'WRAP_SINGLE_VALUE' is only valid for single-field value schemas", ErrInvalidOptions},
		{"unwrap with two columns", "JSON", v0v1, Options{WrapSingleValue: boolp(false)},
			"'WRAP_SINGLE_VALUE' is only valid for single-field value schemas", ErrInvalidOptions},
		{"bad decimal type", "JSON", cols(col("D", &types.Type{Kind: types.KindDecimal, Precision: 2, Scale: 3})), Options{},
			"invalid type DECIMAL(2, 3)", ErrUnsupportedSchema},
		{"missing type", "JSON", cols(col("D", nil)), Options{}, "has no type", ErrUnsupportedSchema},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := New(tc.format, tc.cols, tc.opts)
			if err == nil {
				t.Fatalf("New = %T, want error %q", c, tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error:\n got  %q\n want %q", err.Error(), tc.want)
			}
			if !errors.Is(err, tc.kind) {
				t.Errorf("error %v does not wrap %v", err, tc.kind)
			}
		})
	}

	// Accepted combinations.
	ok := []struct {
		format string
		cols   []Column
		opts   Options
	}{
		{"json", cols(col("V", intT)), Options{}},
		{" Json ", cols(col("V", intT)), Options{WrapSingleValue: boolp(false)}},
		{"KAFKA", cols(col("FOO", intT)), Options{WrapSingleValue: boolp(false)}},
		{"DELIMITED", cols(col("FOO", intT)), Options{WrapSingleValue: boolp(false)}},
		{"delimited", v0v1, Options{Delimiter: "TAB"}},
		{"none", nil, keyOpts},
		{"KAFKA", nil, keyOpts},
	}
	for _, tc := range ok {
		if _, err := New(tc.format, tc.cols, tc.opts); err != nil {
			t.Errorf("New(%q, %v, %+v) = %v", tc.format, tc.cols, tc.opts, err)
		}
	}
}

func TestSupportsWrapping(t *testing.T) {
	for f, want := range map[string]bool{
		"JSON": true, "json": true, "AVRO": true, "PROTOBUF": true, "JSON_SR": true,
		"DELIMITED": false, "KAFKA": false, "NONE": false, "FOO": false,
	} {
		if got := SupportsWrapping(f); got != want {
			t.Errorf("SupportsWrapping(%q) = %v", f, got)
		}
	}
}

// DecodeArena gives what Decode gives, for every kind, valid and invalid
// input, with one allocation at most (the arena's chunk).
func TestKafkaDecodeArenaMatchesDecode(t *testing.T) {
	inputs := [][]byte{nil, {}, {1}, {0, 0, 1, 0}, {0x80, 0, 0, 0}, {0, 0, 0, 0, 0, 0, 1, 0}, {0x7f, 0xf0, 0, 0, 0, 0, 0, 0},
		[]byte("hello"), []byte("héllo"), {0xff, 0xfe}, {0xed, 0xa0, 0x80}, []byte("a longer string of more than sixteen bytes")}
	for _, kind := range []*types.Type{types.IntegerType, types.BigintType, types.DoubleType, types.StringType, types.BytesType} {
		c := mustNew(t, "KAFKA", cols(col("V", kind)), Options{})
		ad := c.(interface {
			DecodeArena([]byte, []types.Value, *types.Arena) error
		})
		for _, in := range inputs {
			want := make([]types.Value, 1)
			werr := c.Decode(in, want)
			var ar types.Arena
			ar.Reset(64)
			got := make([]types.Value, 1)
			gerr := ad.DecodeArena(in, got, &ar)
			if (werr == nil) != (gerr == nil) || (werr != nil && werr.Error() != gerr.Error()) {
				t.Errorf("%s %x: error %v, Decode %v", kind, in, gerr, werr)
				continue
			}
			if werr == nil && types.Compare(types.Detach(got[0]), want[0]) != 0 {
				t.Errorf("%s %x: %#v, Decode %#v", kind, in, got[0], want[0])
			}
		}
	}
}
