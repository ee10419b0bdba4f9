package serde

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"math/rand"
	"reflect"
	"strings"
	"testing"

	"github.com/ksqlgo/ksql/sql/types"
)

func decodeGo(t *testing.T, s string) any {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("json %q: %v", s, err)
	}
	return v
}

func TestValueFromJSON(t *testing.T) {
	st := types.StructOf(types.Field{Name: "A", Type: intT}, types.Field{Name: "b", Type: strT})
	cases := []struct {
		json    string
		t       *types.Type
		want    types.Value
		wantErr string
	}{
		{`null`, intT, nil, ""},
		{`1`, intT, int32(1), ""},
		{`"12"`, intT, int32(12), ""},
		{`1.9`, intT, int32(1), ""},
		{`3000000000`, intT, int32(-1294967296), ""},
		{`true`, intT, nil, "Can't convert type. sourceType: BooleanNode, requiredType: INTEGER, path: $"},
		{`"x"`, bigT, nil, "Can't coerce string to type. targetType: BIGINT, path: $"},
		{`9223372036854775807`, bigT, int64(math.MaxInt64), ""},
		{`1`, dblT, 1.0, ""},
		{`"NaN"`, dblT, math.NaN(), ""},
		{`10.1`, types.DecimalOf(4, 2), dec("10.10"), ""},
		{`"10.1"`, types.DecimalOf(4, 2), dec("10.10"), ""},
		{`100`, types.DecimalOf(4, 2), nil, "Numeric field overflow"},
		{`1.50`, strT, "1.50", ""},
		{`1e3`, strT, "1E+3", ""},
		{`false`, strT, "false", ""},
		{`[1, "a", null]`, strT, "[1, a, null]", ""},
		{`{"b": 1, "a": [true]}`, strT, `{"a":[true],"b":1}`, ""},
		{`true`, boolT, true, ""},
		{`"YQ=="`, bytesT, []byte("a"), ""},
		{`10`, tsT, types.Timestamp(10), ""},
		{`"-10"`, dateT, types.Date(-10), ""},
		{`5000`, timeT, types.TimeOfDay(5000), ""},
		{`-1`, timeT, nil, "Time values must use"},
		{`[1, null, "3"]`, types.ArrayOf(intT), []types.Value{int32(1), nil, int32(3)}, ""},
		{`[1, "x"]`, types.ArrayOf(intT), nil, "Can't coerce string to type. targetType: INTEGER, path: $[1]"},
		{`{"b": 2, "a": 1}`, types.MapOf(strT, intT), mapOf("a", int32(1), "b", int32(2)), ""},
		{`{"1": "x"}`, types.MapOf(intT, strT), mapOf(int32(1), "x"), ""},
		{`{"a": 1, "b": "x", "c": 3}`, st, structOf(st, int32(1), "x"), ""},
		{`{"A": 1, "a": 2, "B": "y"}`, st, structOf(st, int32(1), nil), ""},
		{`{"s": {"a": "q"}}`, types.StructOf(types.Field{Name: "S", Type: st}), nil,
			"Can't coerce string to type. targetType: INTEGER, path: $.S.A"},
		{`{"a": 1}`, intT, nil, "Can't convert type. sourceType: ObjectNode, requiredType: INTEGER"},
		{`[1]`, st, nil, "Can't convert type. sourceType: ArrayNode, requiredType: STRUCT<A INT, b VARCHAR>"},
	}
	for _, tc := range cases {
		got, err := ValueFromJSON(decodeGo(t, tc.json), tc.t)
		if tc.wantErr != "" {
			if err == nil || !errors.Is(err, ErrDecode) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ValueFromJSON(%s, %s) = %s, %v; want error %q", tc.json, tc.t, show(got), err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("ValueFromJSON(%s, %s): %v", tc.json, tc.t, err)
			continue
		}
		if !sameValue(got, tc.want) {
			t.Errorf("ValueFromJSON(%s, %s) = %s, want %s", tc.json, tc.t, show(got), show(tc.want))
		}
	}
	// Plain Go values (without UseNumber) work too.
	if v, err := ValueFromJSON(float64(3), bigT); err != nil || v != int64(3) {
		t.Errorf("float64 3 -> %v, %v", v, err)
	}
	if v, err := ValueFromJSON(2.5, dblT); err != nil || v != 2.5 {
		t.Errorf("float64 2.5 -> %v, %v", v, err)
	}
	if v, err := ValueFromJSON(7, intT); err != nil || v != int32(7) {
		t.Errorf("int 7 -> %v, %v", v, err)
	}
}

// ValueFromJSON and the JSON codec agree.
func TestValueFromJSONMatchesCodec(t *testing.T) {
	typ := types.StructOf(
		types.Field{Name: "I", Type: intT}, types.Field{Name: "D", Type: types.DecimalOf(10, 3)},
		types.Field{Name: "S", Type: strT}, types.Field{Name: "A", Type: types.ArrayOf(dblT)},
		types.Field{Name: "M", Type: types.MapOf(strT, bigT)}, types.Field{Name: "B", Type: bytesT},
	)
	docs := []string{
		`{"i": "42", "d": 1.5, "s": 12.50, "a": [1, "2.5", null], "m": {"k": "7"}, "b": "aGk="}`,
		`{"I": 1.7, "D": "-0.001", "S": {"x": [1e2]}, "A": [], "M": {}, "B": null}`,
	}
	c := mustNew(t, "JSON", cols(col("V", typ)), unwrap)
	for _, doc := range docs {
		dst := make([]types.Value, 1)
		if err := c.Decode([]byte(doc), dst); err != nil {
			t.Fatal(err)
		}
		v, err := ValueFromJSON(decodeGo(t, doc), typ)
		if err != nil {
			t.Fatal(err)
		}
		if !sameValue(dst[0], v) {
			t.Errorf("%s:\n codec %s\n helper %s", doc, show(dst[0]), show(v))
		}
	}
}

func TestValueToJSON(t *testing.T) {
	st := types.StructOf(types.Field{Name: "F0", Type: intT}, types.Field{Name: "f1", Type: types.ArrayOf(dblT)})
	cases := []struct {
		v    types.Value
		t    *types.Type
		want any
	}{
		{nil, intT, nil},
		{true, boolT, true},
		{int32(-5), intT, json.Number("-5")},
		{int64(1700000000000), bigT, json.Number("1700000000000")},
		{1.0, dblT, json.Number("1.0")},
		{1e21, dblT, json.Number("1.0E21")},
		{math.NaN(), dblT, "NaN"},
		{math.Inf(1), dblT, "Infinity"},
		{dec("10.5"), types.DecimalOf(4, 2), json.Number("10.50")},
		{dec("10.5"), &types.Type{Kind: types.KindDecimal}, json.Number("10.5")},
		{"s", strT, "s"},
		{[]byte("hi"), bytesT, "aGk="},
		{types.Timestamp(10), tsT, json.Number("10")},
		{types.Date(-1), dateT, json.Number("-1")},
		{types.TimeOfDay(5000), timeT, json.Number("5000")},
		{[]types.Value{int32(1), nil}, types.ArrayOf(intT), []any{json.Number("1"), nil}},
		{mapOf("a", 1.5, "b", nil), types.MapOf(strT, dblT), map[string]any{"a": json.Number("1.5"), "b": nil}},
		{structOf(st, int32(1), []types.Value{2.0}), st, map[string]any{"F0": json.Number("1"), "f1": []any{json.Number("2.0")}}},
		// a value that does not match the type is converted by its runtime type
		{int64(3), strT, json.Number("3")},
	}
	for _, tc := range cases {
		got := ValueToJSON(tc.v, tc.t)
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ValueToJSON(%s, %s) = %#v, want %#v", show(tc.v), tc.t, got, tc.want)
		}
	}
	// The result marshals to what the JSON format writes (for ordered
	// types).
	b, err := json.Marshal(ValueToJSON([]types.Value{1.0, math.NaN(), 1e-7}, types.ArrayOf(dblT)))
	if err != nil || string(b) != `[1.0,"NaN",1.0E-7]` {
		t.Errorf("Marshal = %s, %v", b, err)
	}
}

func TestAppendValueJSON(t *testing.T) {
	st := types.StructOf(types.Field{Name: "Z", Type: intT}, types.Field{Name: "A", Type: types.MapOf(strT, types.DecimalOf(3, 1))})
	v := structOf(st, int32(1), mapOf("y", dec("1.5"), "x", nil))
	out, err := AppendValueJSON([]byte("pre "), v, st)
	if err != nil || string(out) != `pre {"Z":1,"A":{"y":1.5,"x":null}}` {
		t.Errorf("AppendValueJSON = %s, %v", out, err)
	}
	if _, err := AppendValueJSON(nil, "x", intT); !errors.Is(err, ErrEncode) {
		t.Errorf("mismatch = %v", err)
	}
}

func TestAppendJavaDoubleMatchesFormatDouble(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	vals := []float64{0, math.Copysign(0, -1), 1, -1, 0.1, 1e-3, 9.999e-4, 1e7, 9999999.999, 1e-300, 5e-324,
		math.MaxFloat64, math.SmallestNonzeroFloat64, 123456789, 1.0e21, 100, 1e22, 2.5e-5, math.NaN(), math.Inf(1), math.Inf(-1)}
	for i := 0; i < 20000; i++ {
		switch i % 3 {
		case 0:
			vals = append(vals, math.Float64frombits(r.Uint64()))
		case 1:
			vals = append(vals, r.NormFloat64()*math.Pow(10, float64(r.Intn(40)-20)))
		default:
			vals = append(vals, float64(r.Int63n(1e12))/math.Pow(10, float64(r.Intn(12))))
		}
	}
	for _, f := range vals {
		if got, want := string(appendJavaDouble(nil, f)), types.FormatDouble(f); got != want {
			t.Fatalf("appendJavaDouble(%v) = %s, FormatDouble = %s", f, got, want)
		}
	}
}

func TestJavaDecimalString(t *testing.T) {
	cases := map[string]string{
		"1": "1", "-0": "0", "1.50": "1.50", "1e3": "1E+3", "1.0e1": "10", "1.0e2": "1.0E+2",
		"0.0000001": "1E-7", "0.000001": "0.000001", "0.00000123": "0.00000123", "123.456e-10": "1.23456E-8",
		"-0.0": "0.0", "0e3": "0E+3", "0.000": "0.000", "12345678901234567890.5": "12345678901234567890.5",
		"-1.5E-3": "-0.0015", "1E-10": "1E-10", "10E-10": "1.0E-9", ".5": "0.5", "5.": "5",
	}
	for in, want := range cases {
		n, ok := splitNumber([]byte(in))
		if !ok {
			t.Errorf("splitNumber(%q) failed", in)
			continue
		}
		if got := javaDecimalString(n); got != want {
			t.Errorf("javaDecimalString(%s) = %s, want %s", in, got, want)
		}
	}
	for _, bad := range []string{"", ".", "-", "e5", "1e", "1e+", "1.2.3", "1x", "--1", "1e1234567890"} {
		if _, ok := splitNumber([]byte(bad)); ok {
			t.Errorf("splitNumber(%q) accepted", bad)
		}
	}
}

func TestLowBits(t *testing.T) {
	cases := map[string]int64{
		"0": 0, "12.99": 12, "-12.99": -12, "1e3": 1000, "1.5e1": 15, "9223372036854775808": math.MinInt64,
		"18446744073709551617": 1, "-9223372036854775809": math.MaxInt64, "1e64": 0, "1e19": -8446744073709551616,
		"0.5": 0, "123e-5": 0, "2e-1000": 0,
	}
	for in, want := range cases {
		n, ok := splitNumber([]byte(in))
		if !ok {
			t.Fatalf("splitNumber(%q)", in)
		}
		if got := int64(n.lowBits()); got != want {
			t.Errorf("lowBits(%s) = %d, want %d", in, got, want)
		}
	}
}

func TestParseJavaDouble(t *testing.T) {
	good := map[string]float64{
		"1": 1, "-1.5": -1.5, "+2": 2, ".5": 0.5, "5.": 5, "1e3": 1000, "1E-2": 0.01, " 3 ": 3, "\t4\n": 4,
		"1.5f": 1.5, "2d": 2, "Infinity": math.Inf(1), "-Infinity": math.Inf(-1), "0x1.8p1": 3, "1e400": math.Inf(1),
	}
	for in, want := range good {
		got, ok := parseJavaDouble([]byte(in))
		if !ok || got != want {
			t.Errorf("parseJavaDouble(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	if f, ok := parseJavaDouble([]byte("NaN")); !ok || !math.IsNaN(f) {
		t.Errorf("NaN: %v %v", f, ok)
	}
	for _, bad := range []string{"", " ", "inf", "nan", "1_000", "1,5", "--1", "1e", "0x", "1.5ff", "+-1", "infinity", "NAN"} {
		if f, ok := parseJavaDouble([]byte(bad)); ok {
			t.Errorf("parseJavaDouble(%q) = %v, want failure", bad, f)
		}
	}
}

func TestParseJavaInt(t *testing.T) {
	for in, want := range map[string]int64{"0": 0, "-1": -1, "+7": 7, "2147483647": math.MaxInt32, "-2147483648": math.MinInt32} {
		if got, ok := parseJavaInt([]byte(in), 32); !ok || got != want {
			t.Errorf("parseJavaInt(%q) = %d, %v", in, got, ok)
		}
	}
	for _, bad := range []string{"", "+", "-", "2147483648", " 1", "1 ", "1.0", "0x10", "1_0"} {
		if _, ok := parseJavaInt([]byte(bad), 32); ok {
			t.Errorf("parseJavaInt(%q) accepted", bad)
		}
	}
}

func TestDecodeBase64(t *testing.T) {
	for in, want := range map[string]string{"": "", "YQ==": "a", "YQ": "a", "YWI=": "ab", "YWI": "ab", "YWJj": "abc"} {
		got, ok := decodeBase64([]byte(in))
		if !ok || !bytes.Equal(got, []byte(want)) {
			t.Errorf("decodeBase64(%q) = %q, %v", in, got, ok)
		}
	}
	for _, bad := range []string{"Y", "YQ=", "Y Q==", "YQ==\n", "!!!!", "YQ==YQ=="} {
		if got, ok := decodeBase64([]byte(bad)); ok {
			t.Errorf("decodeBase64(%q) = %q, want failure", bad, got)
		}
	}
}
