package serde

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/ksqlgo/ksql/sql/types"
)

var (
	intT    = types.IntegerType
	bigT    = types.BigintType
	dblT    = types.DoubleType
	strT    = types.StringType
	boolT   = types.BooleanType
	bytesT  = types.BytesType
	tsT     = types.TimestampType
	dateT   = types.DateType
	timeT   = types.TimeType
	unwrap  = Options{WrapSingleValue: boolp(false)}
	keyOpts = Options{IsKey: true}
)

// Cases derived from ksqlDB's QTT files json.json, elements.json,
// decimal.json, timestamp.json, date.json, time.json, bytes.json, map.json,
// serdes.json, key-schemas.json and from KsqlJsonDeserializer /
// JsonSerdeUtils.
func TestJSONDecode(t *testing.T) {
	structA := types.StructOf(types.Field{Name: "A", Type: dblT})
	structF := types.StructOf(types.Field{Name: "F0", Type: strT}, types.Field{Name: "F1", Type: intT})
	runDecodeCases(t, "JSON", []decodeCase{
		// --- shapes
		{name: "wrapped", cols: cols(col("V", intT)), in: `{"V": 0}`, want: row(int32(0))},
		{name: "key BOOLEAN unwrapped", cols: cols(col("K", boolT)), opts: keyOpts, in: `true`, want: row(true)},
		{name: "key STRING unwrapped", cols: cols(col("K", strT)), opts: keyOpts, in: `"Hey"`, want: row("Hey")},
		{name: "key BIGINT", cols: cols(col("K", bigT)), opts: keyOpts, in: `998877665544332211`, want: row(int64(998877665544332211))},
		{name: "key DOUBLE", cols: cols(col("K", dblT)), opts: keyOpts, in: `654.321`, want: row(654.321)},
		{name: "key DECIMAL(6,4)", cols: cols(col("K", types.DecimalOf(6, 4))), opts: keyOpts, in: `12.365`, want: row(dec("12.3650"))},
		{name: "key STRUCT", cols: cols(col("K", types.StructOf(types.Field{Name: "F", Type: dblT}))), opts: keyOpts,
			in: `{"f": 45.67}`, want: row(structOf(types.StructOf(types.Field{Name: "F", Type: dblT}), 45.67))},
		{name: "multi-column key is wrapped", cols: cols(col("K1", strT), col("K2", strT)), opts: keyOpts,
			in: `{"K1":"foo","K2":"bar"}`, want: row("foo", "bar")},
		{name: "unwrapped INT", cols: cols(col("V", intT)), opts: unwrap, in: `10`, want: row(int32(10))},
		{name: "unwrapped null document is a null column", cols: cols(col("V", intT)), opts: unwrap, in: `null`, want: row(nil)},
		{name: "unwrapped DECIMAL(4,2)", cols: cols(col("V", types.DecimalOf(4, 2))), opts: unwrap, in: `10.1`, want: row(dec("10.10"))},
		{name: "unwrapped ARRAY<DOUBLE>", cols: cols(col("V", types.ArrayOf(dblT))), opts: unwrap, in: `[10.1]`, want: row([]types.Value{10.1})},
		{name: "unwrapped ARRAY<STRING> with null", cols: cols(col("FOO", types.ArrayOf(strT))), opts: unwrap,
			in: `["a","b",null]`, want: row([]types.Value{"a", "b", nil})},
		{name: "unwrapped ARRAY<STRING> coerces numbers", cols: cols(col("FOO", types.ArrayOf(strT))), opts: unwrap,
			in: `[1, 2, 3]`, want: row([]types.Value{"1", "2", "3"})},
		{name: "unwrapped MAP", cols: cols(col("V", types.MapOf(strT, dblT))), opts: unwrap, in: `{"a": 45.67}`,
			want: row(mapOf("a", 45.67))},
		{name: "unwrapped MAP with null value", cols: cols(col("FOO", types.MapOf(strT, intT))), opts: unwrap,
			in: `{"a": 1, "b": 2, "c": null}`, want: row(mapOf("a", int32(1), "b", int32(2), "c", nil))},
		{name: "unwrapped STRUCT matches case-insensitively", cols: cols(col("V", structA)), opts: unwrap,
			in: `{"a": 45.67}`, want: row(structOf(structA, 45.67))},
		{name: "unwrapped STRUCT (serdes.json)", cols: cols(col("FOO", types.StructOf(types.Field{Name: "F1", Type: strT}))), opts: unwrap,
			in: `{"F1": "bar"}`, want: row(structOf(types.StructOf(types.Field{Name: "F1", Type: strT}), "bar"))},
		{name: "unwrapped STRING from config (serdes.json)", cols: cols(col("FOO", strT)), opts: unwrap, in: `"bar"`, want: row("bar")},
		{name: "nested null array", cols: cols(col("FOO", types.ArrayOf(strT))), in: `{"FOO": null}`, want: row(nil)},
		{name: "empty object gives nulls", cols: cols(col("A", intT), col("B", strT)), in: `{}`, want: row(nil, nil)},
		{name: "zero columns", cols: nil, in: `{"a": [1, {"b": 2}]}`, want: row()},

		// --- field matching
		{name: "reserved and odd names (elements.json)", cols: cols(col("@TIMESTAMP", bigT), col("FROM", bigT)),
			in: `{"@timestamp": 4, "from": 5}`, want: row(int64(4), int64(5))},
		{name: "missing fields are null, extra ignored", cols: cols(col("A", intT), col("B", strT)),
			in: `{"x": {"deep": [1, {"y": null}], "z": "s"}, "b": "v", "q": 1.5e3}`, want: row(nil, "v")},
		{name: "exact key wins when first", cols: cols(col("FOO", intT)), in: `{"FOO": 1, "foo": 2}`, want: row(int32(1))},
		{name: "exact key wins when last", cols: cols(col("FOO", intT)), in: `{"foo": 2, "FOO": 1}`, want: row(int32(1))},
		{name: "last case-insensitive key wins", cols: cols(col("FOO", intT)), in: `{"foo": 2, "Foo": 3}`, want: row(int32(3))},
		{name: "duplicate exact key: last wins", cols: cols(col("FOO", intT)), in: `{"FOO": 2, "FOO": 3}`, want: row(int32(3))},
		{name: "quoted lower-case column matches exactly only", cols: cols(col("foo", intT)), in: `{"FOO": 1}`, want: row(nil)},
		{name: "quoted lower-case column exact", cols: cols(col("foo", intT)), in: `{"foo": 1}`, want: row(int32(1))},
		{name: "one key fills colliding columns", cols: cols(col("foo", intT), col("FOO", strT)),
			in: `{"foo": 1}`, want: row(int32(1), "1")},
		{name: "colliding columns, both keys", cols: cols(col("foo", intT), col("FOO", strT)),
			in: `{"FOO": "x", "foo": 1}`, want: row(int32(1), "x")},
		{name: "escaped key", cols: cols(col("V", intT)), in: `{"\u0056": 7}`, want: row(int32(7))},
		{name: "escaped lower-case key", cols: cols(col("VAL", intT)), in: `{"v\u0061l": 7}`, want: row(int32(7))},
		{name: "non-ASCII key upper-cased", cols: cols(col("ÉTÉ", intT)), in: `{"été": 7}`, want: row(int32(7))},
		{name: "nested struct fields case-insensitive", cols: cols(col("V0", structF)),
			in: `{"V0": {"f0": "bob", "f1": 1}}`, want: row(structOf(structF, "bob", int32(1)))},
		{name: "nested struct missing field", cols: cols(col("V0", structF)),
			in: `{"v0": {"F1": 1, "other": true}}`, want: row(structOf(structF, nil, int32(1)))},

		// --- BOOLEAN
		{name: "BOOLEAN", cols: cols(col("B", boolT)), in: `{"B": false}`, want: row(false)},
		{name: "BOOLEAN from string fails", cols: cols(col("B", boolT)), in: `{"B": "true"}`,
			wantErr: "Can't convert type. sourceType: TextNode, requiredType: BOOLEAN, path: $.B"},
		{name: "BOOLEAN from number fails", cols: cols(col("B", boolT)), in: `{"B": 1}`,
			wantErr: "Can't convert type. sourceType: IntNode, requiredType: BOOLEAN, path: $.B"},

		// --- INTEGER
		{name: "INTEGER", cols: cols(col("V", intT)), in: `{"V": -2147483648}`, want: row(int32(math.MinInt32))},
		{name: "INTEGER from string", cols: cols(col("V", intT)), in: `{"V": "12"}`, want: row(int32(12))},
		{name: "INTEGER from signed string", cols: cols(col("V", intT)), in: `{"V": "+12"}`, want: row(int32(12))},
		{name: "INTEGER from decimal truncates", cols: cols(col("V", intT)), in: `{"V": 1.9}`, want: row(int32(1))},
		{name: "INTEGER from negative decimal truncates", cols: cols(col("V", intT)), in: `{"V": -1.9}`, want: row(int32(-1))},
		{name: "INTEGER from exponent", cols: cols(col("V", intT)), in: `{"V": 1.5e1}`, want: row(int32(15))},
		{name: "INTEGER overflow wraps like Java", cols: cols(col("V", intT)), in: `{"V": 3000000000}`, want: row(int32(-1294967296))},
		{name: "INTEGER huge wraps to low bits", cols: cols(col("V", intT)), in: `{"V": 1e100}`, want: row(int32(0))},
		{name: "INTEGER from bad string", cols: cols(col("V", intT)), in: `{"V": "1.5"}`,
			wantErr: "Can't coerce string to type. targetType: INTEGER, path: $.V"},
		{name: "INTEGER from overflowing string", cols: cols(col("V", intT)), in: `{"V": "3000000000"}`,
			wantErr: "Can't coerce string to type. targetType: INTEGER, path: $.V"},
		{name: "INTEGER from string with spaces", cols: cols(col("V", intT)), in: `{"V": " 1"}`,
			wantErr: "Can't coerce string to type. targetType: INTEGER"},
		{name: "INTEGER from boolean", cols: cols(col("V", intT)), in: `{"V": true}`,
			wantErr: "Can't convert type. sourceType: BooleanNode, requiredType: INTEGER, path: $.V"},
		{name: "INTEGER from array", cols: cols(col("V", intT)), in: `{"V": [1]}`,
			wantErr: "Can't convert type. sourceType: ArrayNode, requiredType: INTEGER, path: $.V"},
		{name: "INTEGER from object", cols: cols(col("V", intT)), in: `{"V": {}}`,
			wantErr: "Can't convert type. sourceType: ObjectNode, requiredType: INTEGER, path: $.V"},

		// --- BIGINT
		{name: "BIGINT", cols: cols(col("V0", bigT)), in: `{"V0": 10000000000}`, want: row(int64(10000000000))},
		{name: "BIGINT min", cols: cols(col("V", bigT)), in: `{"V": -9223372036854775808}`, want: row(int64(math.MinInt64))},
		{name: "BIGINT overflow wraps like Java", cols: cols(col("V", bigT)), in: `{"V": 9223372036854775808}`, want: row(int64(math.MinInt64))},
		{name: "BIGINT from string", cols: cols(col("V", bigT)), in: `{"V": "-123"}`, want: row(int64(-123))},
		{name: "BIGINT from decimal", cols: cols(col("V", bigT)), in: `{"V": 12.99}`, want: row(int64(12))},
		{name: "BIGINT from exponent", cols: cols(col("V", bigT)), in: `{"V": 1E3}`, want: row(int64(1000))},
		{name: "BIGINT from bad string", cols: cols(col("V", bigT)), in: `{"V": "x"}`,
			wantErr: "Can't coerce string to type. targetType: BIGINT, path: $.V"},

		// --- DOUBLE
		{name: "DOUBLE", cols: cols(col("V0", dblT)), in: `{"V0": 10.1}`, want: row(10.1)},
		{name: "DOUBLE from integer", cols: cols(col("V", dblT)), in: `{"V": 1}`, want: row(1.0)},
		{name: "DOUBLE from -0.0 is unsigned (BigDecimal)", cols: cols(col("V", dblT)), in: `{"V": -0.0}`, want: row(0.0)},
		{name: "DOUBLE from -0 is unsigned", cols: cols(col("V", dblT)), in: `{"V": -0}`, want: row(0.0)},
		{name: "DOUBLE from \"-0.0\" keeps its sign", cols: cols(col("V", dblT)), in: `{"V": "-0.0"}`, want: row(math.Copysign(0, -1))},
		{name: "DOUBLE underflow keeps its sign", cols: cols(col("V", dblT)), in: `{"V": -1e-400}`, want: row(math.Copysign(0, -1))},
		{name: "DOUBLE from big integer", cols: cols(col("V", dblT)), in: `{"V": 123456789012345678901234567890}`, want: row(1.2345678901234568e29)},
		{name: "DOUBLE overflow is infinite", cols: cols(col("V", dblT)), in: `{"V": 1e400}`, want: row(math.Inf(1))},
		{name: "DOUBLE from string", cols: cols(col("V", dblT)), in: `{"V": "1.5"}`, want: row(1.5)},
		{name: "DOUBLE from padded string", cols: cols(col("V", dblT)), in: `{"V": " 2.5 "}`, want: row(2.5)},
		{name: "DOUBLE from NaN string", cols: cols(col("V", dblT)), in: `{"V": "NaN"}`, want: row(math.NaN())},
		{name: "DOUBLE from -Infinity string", cols: cols(col("V", dblT)), in: `{"V": "-Infinity"}`, want: row(math.Inf(-1))},
		{name: "DOUBLE from Java suffix", cols: cols(col("V", dblT)), in: `{"V": "1.5d"}`, want: row(1.5)},
		{name: "DOUBLE from bad string", cols: cols(col("V", dblT)), in: `{"V": "inf"}`,
			wantErr: "Can't coerce string to type. targetType: DOUBLE, path: $.V"},
		{name: "DOUBLE from boolean", cols: cols(col("V", dblT)), in: `{"V": false}`,
			wantErr: "Can't convert type. sourceType: BooleanNode, requiredType: DOUBLE"},

		// --- DECIMAL
		{name: "DECIMAL(21,19)", cols: cols(col("DEC", types.DecimalOf(21, 19))), in: `{"DEC": 10.123451234512345}`,
			want: row(bigDec("101234512345123450000", 19))},
		{name: "DECIMAL keeps trailing zeros", cols: cols(col("DEC", types.DecimalOf(6, 4))), in: `{"DEC": 10.0}`, want: row(dec("10.0000"))},
		{name: "DECIMAL from integer", cols: cols(col("DEC", types.DecimalOf(6, 4))), in: `{"DEC": 1}`, want: row(dec("1.0000"))},
		{name: "DECIMAL from exponent", cols: cols(col("DEC", types.DecimalOf(6, 2))), in: `{"DEC": 1.5E2}`, want: row(dec("150.00"))},
		{name: "DECIMAL from string", cols: cols(col("DEC", types.DecimalOf(4, 2))), in: `{"DEC": "-12.5"}`, want: row(dec("-12.50"))},
		{name: "DECIMAL from Java-style string", cols: cols(col("DEC", types.DecimalOf(4, 2))), in: `{"DEC": ".5"}`, want: row(dec("0.50"))},
		{name: "DECIMAL exact with extra zeros", cols: cols(col("DEC", types.DecimalOf(4, 2))), in: `{"DEC": 1.2000}`, want: row(dec("1.20"))},
		{name: "DECIMAL zero", cols: cols(col("DEC", types.DecimalOf(4, 2))), in: `{"DEC": -0.0000}`, want: row(dec("0.00"))},
		{name: "DECIMAL overflow", cols: cols(col("DEC", types.DecimalOf(4, 2))), in: `{"DEC": 100}`,
			wantErr: "Numeric field overflow: A field with precision 4 and scale 2 must round to an absolute value less than 10^2. Got 100, path: $.DEC"},
		{name: "DECIMAL needs rounding", cols: cols(col("DEC", types.DecimalOf(4, 2))), in: `{"DEC": 1.234}`,
			wantErr: "Cannot fit decimal '1.234' into DECIMAL(4, 2) without rounding. (Requires 4,3), path: $.DEC"},
		{name: "DECIMAL bad string", cols: cols(col("DEC", types.DecimalOf(4, 2))), in: `{"DEC": "1,5"}`,
			wantErr: "Invalid decimal value"},
		{name: "DECIMAL from boolean", cols: cols(col("DEC", types.DecimalOf(4, 2))), in: `{"DEC": true}`,
			wantErr: "Can't convert type. sourceType: BooleanNode, requiredType: DECIMAL(4, 2), path: $.DEC"},

		// --- STRING coercions
		{name: "STRING", cols: cols(col("S", strT)), in: `{"S": "world"}`, want: row("world")},
		{name: "STRING from integer", cols: cols(col("S", strT)), in: `{"S": 1}`, want: row("1")},
		{name: "STRING from minus zero", cols: cols(col("S", strT)), in: `{"S": -0}`, want: row("0")},
		{name: "STRING from decimal keeps zeros", cols: cols(col("S", strT)), in: `{"S": 1.50}`, want: row("1.50")},
		{name: "STRING from exponent (BigDecimal.toString)", cols: cols(col("S", strT)), in: `{"S": 1e3}`, want: row("1E+3")},
		{name: "STRING from small decimal", cols: cols(col("S", strT)), in: `{"S": 0.0000001}`, want: row("1E-7")},
		{name: "STRING from boolean", cols: cols(col("S", strT)), in: `{"S": true}`, want: row("true")},
		{name: "STRING from object (compact JSON)", cols: cols(col("S", strT)), in: `{"S": {"a": 1, "b": [1.0e1, 1.0e2, 0.10, "x\u00e9\n"], "c": null}}`,
			want: row(`{"a":1,"b":[10,1.0E+2,0.10,"xé\n"],"c":null}`)},
		{name: "STRING from array", cols: cols(col("S", strT)), in: `{"S": [1, "a", null, true, [2, "b"], {"k": "v"}]}`,
			want: row(`[1, a, null, true, [2, b], {"k":"v"}]`)},
		{name: "STRING from empty array", cols: cols(col("S", strT)), in: `{"S": []}`, want: row(`[]`)},
		{name: "STRING empty", cols: cols(col("S", strT)), in: `{"S": ""}`, want: row("")},

		// --- temporal
		{name: "TIMESTAMP", cols: cols(col("TIME", tsT)), in: `{"time": 10}`, want: row(types.Timestamp(10))},
		{name: "TIMESTAMP from string", cols: cols(col("TIME", tsT)), in: `{"time": "1700000000000"}`, want: row(types.Timestamp(1700000000000))},
		{name: "TIMESTAMP from ISO string fails", cols: cols(col("TIME", tsT)), in: `{"time": "2021-01-01T00:00:00"}`,
			wantErr: "Can't coerce string to type. targetType: TIMESTAMP, path: $.TIME"},
		{name: "DATE", cols: cols(col("DATE", dateT)), in: `{"date": -10}`, want: row(types.Date(-10))},
		{name: "DATE from string", cols: cols(col("DATE", dateT)), in: `{"date": "19000"}`, want: row(types.Date(19000))},
		{name: "TIME", cols: cols(col("TIME", timeT)), in: `{"time": 10}`, want: row(types.TimeOfDay(10))},
		{name: "TIME upper bound", cols: cols(col("T", timeT)), in: `{"T": 86400000}`, want: row(types.TimeOfDay(86400000))},
		{name: "TIME out of range", cols: cols(col("T", timeT)), in: `{"T": 86400001}`,
			wantErr: "Time values must use number of milliseconds greater than 0 and less than 86400000., path: $.T"},
		{name: "TIME negative", cols: cols(col("T", timeT)), in: `{"T": "-1"}`, wantErr: "Time values must use"},

		// --- BYTES
		{name: "BYTES", cols: cols(col("B", bytesT)), in: `{"B": "dmFyaWF0aW9ucw=="}`, want: row([]byte("variations"))},
		{name: "BYTES unpadded", cols: cols(col("B", bytesT)), in: `{"B": "YQ"}`, want: row([]byte("a"))},
		{name: "BYTES empty", cols: cols(col("B", bytesT)), in: `{"B": ""}`, want: row([]byte{})},
		{name: "BYTES invalid base64", cols: cols(col("B", bytesT)), in: `{"B": "%%%"}`,
			wantErr: "Value is not a valid Base64 encoded string: %%%, path: $.B"},
		{name: "BYTES from number", cols: cols(col("B", bytesT)), in: `{"B": 12}`,
			wantErr: "Can't convert type. sourceType: IntNode, requiredType: BYTES, path: $.B"},

		// --- complex types
		{name: "ARRAY<BIGINT> with null", cols: cols(col("FOO", types.ArrayOf(bigT))), in: `{"FOO": [12, 34, null]}`,
			want: row([]types.Value{int64(12), int64(34), nil})},
		{name: "empty ARRAY", cols: cols(col("FOO", types.ArrayOf(bigT))), in: `{"FOO": []}`, want: row([]types.Value{})},
		{name: "ARRAY from object fails", cols: cols(col("FOO", types.ArrayOf(bigT))), in: `{"FOO": {}}`,
			wantErr: "Can't convert type. sourceType: ObjectNode, requiredType: ARRAY<BIGINT>, path: $.FOO"},
		{name: "ARRAY element error path", cols: cols(col("S", types.StructOf(types.Field{Name: "A", Type: types.ArrayOf(intT)}))),
			in: `{"S": {"A": [1, "x"]}}`, wantErr: "Can't coerce string to type. targetType: INTEGER, path: $.S.A[1]"},
		{name: "MAP keeps document order", cols: cols(col("M", types.MapOf(strT, intT))), in: `{"M": {"foo": 10, "bar": 20, "baz": 30}}`,
			want: row(mapOf("foo", int32(10), "bar", int32(20), "baz", int32(30)))},
		{name: "MAP duplicate key: last wins", cols: cols(col("M", types.MapOf(strT, intT))), in: `{"M": {"a": 1, "b": 2, "a": 3}}`,
			want: row(mapOf("a", int32(3), "b", int32(2)))},
		{name: "MAP empty", cols: cols(col("M", types.MapOf(strT, intT))), in: `{"M": {}}`, want: row(mapOf())},
		{name: "MAP keys are case-sensitive", cols: cols(col("M", types.MapOf(strT, intT))), in: `{"m": {"Key": 1}}`,
			want: row(mapOf("Key", int32(1)))},
		{name: "MAP value error path", cols: cols(col("M", types.MapOf(strT, intT))), in: `{"M": {"k": "x"}}`,
			wantErr: "Can't coerce string to type. targetType: INTEGER, path: $.M.k.value"},
		{name: "MAP from array fails", cols: cols(col("M", types.MapOf(strT, intT))), in: `{"M": [1]}`,
			wantErr: "Can't convert type. sourceType: ArrayNode, requiredType: MAP<VARCHAR, INT>, path: $.M"},
		{name: "STRUCT from string fails", cols: cols(col("S", structF)), in: `{"S": "x"}`,
			wantErr: "Can't convert type. sourceType: TextNode, requiredType: STRUCT<F0 VARCHAR, F1 INT>, path: $.S"},
		{name: "deep nesting", cols: cols(col("A", types.ArrayOf(types.ArrayOf(types.MapOf(strT, types.ArrayOf(structA)))))),
			in:   `{"A": [[{"k": [{"A": 1.5}, null]}], []]}`,
			want: row([]types.Value{[]types.Value{mapOf("k", []types.Value{structOf(structA, 1.5), nil})}, []types.Value{}})},

		// --- unicode and escapes
		{name: "escapes", cols: cols(col("S", strT)), in: `{"S": "a\"b\\c\/d\b\f\n\r\t\u0041\u00e9\u20ac\ud83d\ude00"}`,
			want: row("a\"b\\c/d\b\f\n\r\tAé€😀")},
		{name: "raw UTF-8", cols: cols(col("S", strT)), in: `{"S": "日本語 ünïcödé"}`, want: row("日本語 ünïcödé")},
		{name: "lone surrogate becomes U+FFFD", cols: cols(col("S", strT)), in: `{"S": "x\ud800y"}`, want: row("x\uFFFDy")},
		{name: "reversed surrogates", cols: cols(col("S", strT)), in: `{"S": "\ude00\ud83d"}`, want: row("\uFFFD\uFFFD")},

		// --- document level
		{name: "whitespace everywhere", cols: cols(col("A", intT), col("B", types.ArrayOf(intT))),
			in: " \r\n\t{ \"A\" : 1 , \"B\" : [ 1 , 2 ] } \n", want: row(int32(1), []types.Value{int32(1), int32(2)})},
		{name: "UTF-8 byte order mark is skipped", cols: cols(col("V", intT)), in: "\xEF\xBB\xBF{\"V\": 1}", want: row(int32(1))},
		{name: "content after the root value is ignored", cols: cols(col("V", intT)), in: `{"V": 1} {"V": 2}`, want: row(int32(1))},
		{name: "wrapped non-object", cols: cols(col("V", intT)), in: `5`,
			wantErr: "Failed to deserialize value. Can't convert type. sourceType: IntNode, requiredType: STRUCT<V INT>, path: $"},
		{name: "wrapped string", cols: cols(col("FOO", strT)), in: `"bar"`,
			wantErr: "Can't convert type. sourceType: TextNode, requiredType: STRUCT<FOO VARCHAR>, path: $"},
		{name: "key error says key", cols: cols(col("K", intT)), opts: keyOpts, in: `"x"`,
			wantErr: "Failed to deserialize key. Can't coerce string to type. targetType: INTEGER, path: $"},
		{name: "empty document", cols: cols(col("V", intT)), in: ``,
			wantErr: "Can't convert type. sourceType: MissingNode, requiredType: STRUCT<V INT>, path: $"},
		{name: "blank unwrapped STRING document", cols: cols(col("V", strT)), opts: unwrap, in: `  `, want: row("")},
		{name: "zero columns rejects arrays", cols: nil, in: `[]`,
			wantErr: "Can't convert type. sourceType: ArrayNode, requiredType: STRUCT< >, path: $"},

		// --- malformed JSON
		{name: "missing value", cols: cols(col("V", intT)), in: `{"V": }`, wantErr: "Unexpected character ('}' (code 125)): expected a valid value"},
		{name: "truncated", cols: cols(col("V", intT)), in: `{"V": 1`, wantErr: "Unexpected end-of-input"},
		{name: "truncated string", cols: cols(col("V", strT)), in: `{"V": "abc`, wantErr: "Unexpected end-of-input"},
		{name: "missing comma", cols: cols(col("V", intT)), in: `{"V": 1 "W": 2}`, wantErr: "was expecting comma to separate Object entries"},
		{name: "missing colon", cols: cols(col("V", intT)), in: `{"V" 1}`, wantErr: "was expecting a colon"},
		{name: "unquoted key", cols: cols(col("V", intT)), in: `{V: 1}`, wantErr: "was expecting double-quote to start field name"},
		{name: "single quotes", cols: cols(col("V", strT)), in: `{"V": 'a'}`, wantErr: "Unexpected character (''' (code 39))"},
		{name: "trailing comma", cols: cols(col("V", intT)), in: `{"V": 1,}`, wantErr: "was expecting double-quote to start field name"},
		{name: "leading zero", cols: cols(col("V", intT)), in: `{"V": 01}`, wantErr: "Invalid numeric value: Leading zeroes not allowed"},
		{name: "bare decimal point", cols: cols(col("V", dblT)), in: `{"V": 1.}`, wantErr: "Decimal point not followed by a digit"},
		{name: "bad exponent", cols: cols(col("V", dblT)), in: `{"V": 1e}`, wantErr: "Exponent indicator not followed by a digit"},
		{name: "plus sign", cols: cols(col("V", intT)), in: `{"V": +1}`, wantErr: "Unexpected character ('+' (code 43))"},
		{name: "NaN token", cols: cols(col("V", dblT)), in: `{"V": NaN}`, wantErr: "Unexpected character ('N' (code 78))"},
		{name: "bad literal", cols: cols(col("V", boolT)), in: `{"V": tru}`, wantErr: "Unrecognized token 'tru'"},
		{name: "literal run-on", cols: cols(col("V", boolT)), in: `{"V": truex}`, wantErr: "Unrecognized token 'truex'"},
		{name: "control character in string", cols: cols(col("V", strT)), in: "{\"V\": \"a\nb\"}",
			wantErr: "Illegal unquoted character ((CTRL-CHAR, code 10))"},
		{name: "bad escape", cols: cols(col("V", strT)), in: `{"V": "\x"}`, wantErr: "Unrecognized character escape 'x' (code 120)"},
		{name: "bad unicode escape", cols: cols(col("V", strT)), in: `{"V": "\u12G4"}`, wantErr: "expected a hex-digit"},
		{name: "invalid UTF-8", cols: cols(col("V", strT)), in: "{\"V\": \"\xff\"}", wantErr: "Invalid UTF-8 start byte 0xff"},
		{name: "invalid UTF-8 in skipped field", cols: cols(col("V", strT)), in: "{\"X\": \"\xc3\x28\", \"V\": \"a\"}", wantErr: "Invalid UTF-8"},
		{name: "root number followed by garbage", cols: cols(col("V", intT)), opts: unwrap, in: `12x`,
			wantErr: "Expected space separating root-level values"},
		{name: "syntax error beats coercion error", cols: cols(col("V", intT), col("W", intT)), in: `{"V": "x", "W": }`,
			wantErr: "Unexpected character ('}' (code 125))"},
		{name: "syntax error in skipped value", cols: cols(col("V", intT)), in: `{"X": [1, 2,, 3], "V": 1}`,
			wantErr: "Unexpected character (',' (code 44))"},
		{name: "nesting too deep", cols: cols(col("V", intT)), in: `{"X": ` + strings.Repeat("[", 1001) + strings.Repeat("]", 1001) + `}`,
			wantErr: "nesting depth exceeds the maximum allowed (1000)"},
	})
}

func TestJSONDecodeNullRecord(t *testing.T) {
	c := mustNew(t, "JSON", cols(col("V", intT)), Options{})
	dst := []types.Value{"untouched"}
	for _, in := range [][]byte{nil, []byte("null"), []byte(" null ")} {
		if err := c.Decode(in, dst); !errors.Is(err, ErrNullRecord) {
			t.Errorf("Decode(%q) = %v, want ErrNullRecord", in, err)
		}
		if dst[0] != "untouched" {
			t.Errorf("Decode(%q) touched dst: %v", in, dst[0])
		}
	}
	// Unwrapped: only nil data is a null record.
	u := mustNew(t, "JSON", cols(col("V", intT)), unwrap)
	if err := u.Decode(nil, dst); !errors.Is(err, ErrNullRecord) {
		t.Errorf("unwrapped Decode(nil) = %v", err)
	}
}

func TestJSONDecodeDoesNotAliasInput(t *testing.T) {
	c := mustNew(t, "JSON", cols(col("S", strT), col("B", bytesT), col("M", types.MapOf(strT, strT))), Options{})
	in := []byte(`{"S": "hello", "B": "aGk=", "M": {"key": "val"}}`)
	dst := make([]types.Value, 3)
	if err := c.Decode(in, dst); err != nil {
		t.Fatal(err)
	}
	for i := range in {
		in[i] = 'X'
	}
	want := row("hello", []byte("hi"), mapOf("key", "val"))
	if !sameRow(dst, want) {
		t.Errorf("decoded values changed with the input: %s", showRow(dst))
	}
}

func TestJSONDecodeErrorType(t *testing.T) {
	c := mustNew(t, "JSON", cols(col("V", intT)), Options{})
	err := c.Decode([]byte(`{"V": "x"}`), make([]types.Value, 1))
	var de *DecodeError
	if !errors.As(err, &de) {
		t.Fatalf("error %T is not a *DecodeError", err)
	}
	de.Topic = "bids"
	want := "Failed to deserialize value from topic: bids. Can't coerce string to type. targetType: INTEGER, path: $.V"
	if de.Error() != want {
		t.Errorf("got  %q\nwant %q", de.Error(), want)
	}
	if de.Input != `"x"` {
		t.Errorf("Input = %q, want the offending token", de.Input)
	}
	inputs := map[string]string{
		`{"V": true}`:                   `true`,
		`{"V": [1, 2]}`:                 `[1, 2]}`,
		`{"W": {"V": 1}, "V": {"a":1}}`: `{"a":1}}`,
	}
	for in, want := range inputs {
		err := c.Decode([]byte(in), make([]types.Value, 1))
		if !errors.As(err, &de) {
			t.Fatalf("%s: %v", in, err)
		}
		if want != "" && de.Input != want {
			t.Errorf("%s: Input = %q, want %q", in, de.Input, want)
		}
	}
	if err := c.Decode([]byte(`{}`), make([]types.Value, 2)); err == nil || errors.Is(err, ErrDecode) {
		t.Errorf("wrong dst length: got %v, want a non-ErrDecode error", err)
	}
}

func TestJSONEncode(t *testing.T) {
	structF := types.StructOf(types.Field{Name: "F0", Type: intT}, types.Field{Name: "f1", Type: strT})
	runEncodeCases(t, "JSON", []encodeCase{
		{name: "wrapped", cols: cols(col("V", intT)), vals: row(int32(0)), want: `{"V":0}`},
		{name: "column names as given", cols: cols(col("foo", intT), col("BAR", strT), col("a\"b", boolT)),
			vals: row(int32(1), "x", true), want: `{"foo":1,"BAR":"x","a\"b":true}`},
		{name: "nulls", cols: cols(col("A", intT), col("B", strT)), vals: row(nil, nil), want: `{"A":null,"B":null}`},
		{name: "zero columns", cols: nil, vals: row(), want: `{}`},
		{name: "unwrapped BOOLEAN", cols: cols(col("V", boolT)), opts: unwrap, vals: row(true), want: `true`},
		{name: "unwrapped INT", cols: cols(col("V", intT)), opts: unwrap, vals: row(int32(123)), want: `123`},
		{name: "unwrapped BIGINT", cols: cols(col("V", bigT)), opts: unwrap, vals: row(int64(1234567890)), want: `1234567890`},
		{name: "unwrapped DOUBLE", cols: cols(col("V", dblT)), opts: unwrap, vals: row(9876.54321), want: `9876.54321`},
		{name: "unwrapped STRING", cols: cols(col("V", strT)), opts: unwrap, vals: row("world"), want: `"world"`},
		{name: "key unwrapped by default", cols: cols(col("K", bigT)), opts: keyOpts, vals: row(int64(998877665544332211)), want: `998877665544332211`},
		{name: "multi-column key wrapped", cols: cols(col("K1", strT), col("K2", strT)), opts: keyOpts, vals: row("foo", "bar"),
			want: `{"K1":"foo","K2":"bar"}`},
		{name: "wrapped single key", cols: cols(col("K", strT)), opts: Options{IsKey: true, WrapSingleValue: boolp(true)},
			vals: row("a"), want: `{"K":"a"}`},

		// doubles as Jackson writes them (Double.toString)
		{name: "DOUBLE whole", cols: cols(col("V", dblT)), vals: row(1.0), want: `{"V":1.0}`},
		{name: "DOUBLE zero", cols: cols(col("V", dblT)), vals: row(0.0), want: `{"V":0.0}`},
		{name: "DOUBLE negative zero", cols: cols(col("V", dblT)), vals: row(math.Copysign(0, -1)), want: `{"V":-0.0}`, back: row(0.0)},
		{name: "DOUBLE large", cols: cols(col("V", dblT)), vals: row(1e10), want: `{"V":1.0E10}`},
		{name: "DOUBLE 1e7", cols: cols(col("V", dblT)), vals: row(12345678.9), want: `{"V":1.23456789E7}`},
		{name: "DOUBLE small", cols: cols(col("V", dblT)), vals: row(0.00001), want: `{"V":1.0E-5}`},
		{name: "DOUBLE 0.001", cols: cols(col("V", dblT)), vals: row(0.001), want: `{"V":0.001}`},
		{name: "DOUBLE max", cols: cols(col("V", dblT)), vals: row(math.MaxFloat64), want: `{"V":1.7976931348623157E308}`},
		{name: "DOUBLE NaN quoted", cols: cols(col("V", dblT)), vals: row(math.NaN()), want: `{"V":"NaN"}`},
		{name: "DOUBLE infinity quoted", cols: cols(col("V", dblT)), vals: row(math.Inf(-1)), want: `{"V":"-Infinity"}`},

		// decimals keep their scale
		{name: "DECIMAL scale", cols: cols(col("DEC", types.DecimalOf(6, 4))), vals: row(dec("10.0000")), want: `{"DEC":10.0000}`},
		{name: "DECIMAL rescaled up", cols: cols(col("DEC", types.DecimalOf(4, 2))), vals: row(dec("10.5")), want: `{"DEC":10.50}`},
		{name: "DECIMAL exact rescale down", cols: cols(col("DEC", types.DecimalOf(4, 2))), vals: row(dec("10.500")), want: `{"DEC":10.50}`},
		{name: "DECIMAL negative small", cols: cols(col("DEC", types.DecimalOf(4, 3))), vals: row(dec("-0.005")), want: `{"DEC":-0.005}`},
		{name: "DECIMAL plain, not scientific", cols: cols(col("DEC", types.DecimalOf(10, 9))), vals: row(dec("0.000000001")), want: `{"DEC":0.000000001}`},
		{name: "DECIMAL overflow", cols: cols(col("DEC", types.DecimalOf(4, 2))), vals: row(dec("123.45")),
			wantErr: "Numeric field overflow: A field with precision 4 and scale 2 must round to an absolute value less than 10^2. Got 123.45"},
		{name: "DECIMAL needs rounding", cols: cols(col("DEC", types.DecimalOf(4, 2))), vals: row(dec("1.234")),
			wantErr: "Cannot fit decimal '1.234' into DECIMAL(4, 2) without rounding"},

		// strings escaped as Jackson does
		{name: "STRING escapes", cols: cols(col("S", strT)), vals: row("a\"b\\c/\n\t\r\b\f\x01\x1f\x7fé€😀"),
			want: `{"S":"a\"b\\c/\n\t\r\b\f\u0001\u001F` + "\x7fé€😀" + `"}`},

		// other types
		{name: "BYTES base64", cols: cols(col("B", bytesT)), vals: row([]byte("variations")), want: `{"B":"dmFyaWF0aW9ucw=="}`},
		{name: "BYTES empty", cols: cols(col("B", bytesT)), vals: row([]byte{}), want: `{"B":""}`},
		{name: "temporal as numbers", cols: cols(col("TS", tsT), col("D", dateT), col("T", timeT)),
			vals: row(types.Timestamp(1700000000000), types.Date(-10), types.TimeOfDay(5000)), want: `{"TS":1700000000000,"D":-10,"T":5000}`},
		{name: "ARRAY", cols: cols(col("FOO", types.ArrayOf(bigT))), vals: row([]types.Value{int64(12), int64(34), nil}),
			want: `{"FOO":[12,34,null]}`},
		{name: "ARRAY empty", cols: cols(col("FOO", types.ArrayOf(bigT))), vals: row([]types.Value{}), want: `{"FOO":[]}`},
		{name: "unwrapped ARRAY", cols: cols(col("FOO", types.ArrayOf(bigT))), opts: unwrap,
			vals: row([]types.Value{int64(12), int64(34), int64(999)}), want: `[12,34,999]`},
		{name: "MAP in order", cols: cols(col("FOO", types.MapOf(strT, dblT))), vals: row(mapOf("a", 1.1, "b", 2.2, "c", nil)),
			want: `{"FOO":{"a":1.1,"b":2.2,"c":null}}`},
		{name: "unwrapped MAP", cols: cols(col("FOO", types.MapOf(strT, dblT))), opts: unwrap, vals: row(mapOf("b", 76.54)),
			want: `{"b":76.54}`},
		{name: "STRUCT field names as declared", cols: cols(col("FOO", structF)), vals: row(structOf(structF, int32(1), "x")),
			want: `{"FOO":{"F0":1,"f1":"x"}}`},
		{name: "unwrapped STRUCT", cols: cols(col("FOO", structF)), opts: unwrap, vals: row(structOf(structF, nil, nil)),
			want: `{"F0":null,"f1":null}`},

		{name: "typed nil pointers are null", cols: cols(col("M", types.MapOf(strT, intT)), col("S", structF)),
			vals: row((*types.MapValue)(nil), (*types.StructValue)(nil)), want: `{"M":null,"S":null}`, back: row(nil, nil)},

		// mismatches
		{name: "wrong Go type", cols: cols(col("V", bigT)), vals: row(int32(1)),
			wantErr: "value does not match expected type. expected: BIGINT, but got: int32"},
		{name: "wrong nested Go type", cols: cols(col("V", types.ArrayOf(intT))), vals: row([]types.Value{"x"}),
			wantErr: "value does not match expected type. expected: INTEGER, but got: string"},
		{name: "struct arity", cols: cols(col("FOO", structF)), vals: row(structOf(structF, int32(1))),
			wantErr: "struct value has 1 fields"},
	})
}

func TestJSONEncodeInvalidUTF8(t *testing.T) {
	c := mustNew(t, "JSON", cols(col("S", strT)), Options{})
	out, err := c.Encode(nil, row("a\xffb\xc3"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "{\"S\":\"a\uFFFDb\uFFFD\"}"; string(out) != want {
		t.Errorf("got %q, want %q", out, want)
	}
}

func TestJSONEncodeNullRecord(t *testing.T) {
	for _, opts := range []Options{unwrap, keyOpts} {
		c := mustNew(t, "JSON", cols(col("V", intT)), opts)
		buf := []byte("keep")
		out, err := c.Encode(buf, row(nil))
		if !errors.Is(err, ErrNullRecord) || string(out) != "keep" {
			t.Errorf("Encode(null) with %+v = %q, %v; want buf unchanged and ErrNullRecord", opts, out, err)
		}
	}
	c := mustNew(t, "JSON", cols(col("V", intT)), Options{})
	if _, err := c.Encode(nil, row(int32(1), int32(2))); !errors.Is(err, ErrEncode) {
		t.Errorf("Encode with too many values = %v", err)
	}
}

// Full rows through a JSON source and sink, as the QTT cases run them.
func TestJSONConformanceRoundTrips(t *testing.T) {
	cases := []struct {
		name      string
		in, out   []Column
		inOpts    Options
		outOpts   Options
		input     string
		wantOut   string
		wantNullO bool
	}{
		{name: "BOOLEAN - value - anonymous - serialize", in: cols(col("V", boolT)), out: cols(col("V", boolT)), outOpts: unwrap,
			input: `{"V": true}`, wantOut: `true`},
		{name: "INT - value - anonymous - deserialize", in: cols(col("V", intT)), out: cols(col("V", intT)), inOpts: unwrap,
			input: `10`, wantOut: `{"V":10}`},
		{name: "DECIMAL - value - anonymous - deserialize", in: cols(col("V", types.DecimalOf(4, 2))), out: cols(col("V", types.DecimalOf(4, 2))),
			inOpts: unwrap, input: `10.1`, wantOut: `{"V":10.10}`},
		{name: "STRUCT - value - anonymous - deserialize", in: cols(col("V", types.StructOf(types.Field{Name: "A", Type: dblT}))),
			out: cols(col("V", types.StructOf(types.Field{Name: "A", Type: dblT}))), inOpts: unwrap, input: `{"a": 45.67}`, wantOut: `{"V":{"A":45.67}}`},
		{name: "STRUCT - value - anonymous - serialize", in: cols(col("V", types.StructOf(types.Field{Name: "A", Type: dblT}))),
			out: cols(col("V", types.StructOf(types.Field{Name: "A", Type: dblT}))), outOpts: unwrap, input: `{"V": {"a": 76.54}}`, wantOut: `{"A":76.54}`},
		{name: "serialize anonymous array - null column is a null record", in: cols(col("FOO", types.ArrayOf(bigT))),
			out: cols(col("FOO", types.ArrayOf(bigT))), outOpts: unwrap, input: `{"FOO": null}`, wantNullO: true},
		{name: "JSON in/out DECIMAL(21,19)", in: cols(col("DEC", types.DecimalOf(21, 19))), out: cols(col("DEC", types.DecimalOf(21, 19))),
			input: `{"DEC": 10.123451234512345}`, wantOut: `{"DEC":10.1234512345123450000}`},
		{name: "with invalid or reserved words in schema", in: cols(col("@TIMESTAMP", bigT), col("FROM", bigT)),
			out: cols(col("@TIMESTAMP", bigT), col("FROM", bigT)), input: `{"@timestamp": 4, "from": 5}`, wantOut: `{"@TIMESTAMP":4,"FROM":5}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src := mustNew(t, "JSON", tc.in, tc.inOpts)
			sink := mustNew(t, "JSON", tc.out, tc.outOpts)
			r := make([]types.Value, len(tc.in))
			if err := src.Decode([]byte(tc.input), r); err != nil {
				t.Fatal(err)
			}
			out, err := sink.Encode(nil, r)
			if tc.wantNullO {
				if !errors.Is(err, ErrNullRecord) {
					t.Fatalf("Encode = %q, %v; want ErrNullRecord", out, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != tc.wantOut {
				t.Errorf("got %s, want %s", out, tc.wantOut)
			}
		})
	}
}

func TestJSONConcurrentUse(t *testing.T) {
	c := mustNew(t, "JSON", bidCols, Options{})
	done := make(chan bool)
	for g := 0; g < 4; g++ {
		go func() {
			dst := make([]types.Value, len(bidCols))
			var buf []byte
			for i := 0; i < 500; i++ {
				if err := c.Decode(bidJSON, dst); err != nil {
					t.Error(err)
					break
				}
				var err error
				if buf, err = c.Encode(buf[:0], dst); err != nil {
					t.Error(err)
					break
				}
			}
			done <- true
		}()
	}
	for g := 0; g < 4; g++ {
		<-done
	}
}

func TestJSONBidRow(t *testing.T) {
	c := mustNew(t, "JSON", bidCols, Options{})
	dst := make([]types.Value, len(bidCols))
	if err := c.Decode(bidJSON, dst); err != nil {
		t.Fatal(err)
	}
	want := row(int64(1000), int64(2001), int64(12345), "Google", "https://www.nexmark.com/abc/item.htm?query=1",
		int64(1700000000000), "xxxxxxxxxx")
	if !sameRow(dst, want) {
		t.Fatalf("got %s", showRow(dst))
	}
	out, err := c.Encode(nil, dst)
	if err != nil {
		t.Fatal(err)
	}
	wantJSON := `{"AUCTION":1000,"BIDDER":2001,"PRICE":12345,"CHANNEL":"Google",` +
		`"URL":"https://www.nexmark.com/abc/item.htm?query=1","DATETIME":1700000000000,"EXTRA":"xxxxxxxxxx"}`
	if string(out) != wantJSON {
		t.Errorf("got  %s\nwant %s", out, wantJSON)
	}
}
