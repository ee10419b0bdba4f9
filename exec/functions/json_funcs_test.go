package functions

import (
	"math"
	"testing"

	"github.com/ksqlgo/ksql/sql/types"
)

func TestJSONExtract(t *testing.T) {
	ss := xtTs(xtStr, xtStr)
	doc := `{"name": "cdc", "version": "1", "@type": "UDF", "n": {"a": [1, {"b": true}], "x y": null}}`
	xtRun(t, []xtCase{
		// extract-json-field.json
		{fn: "EXTRACTJSONFIELD", types: ss, args: xtA(doc, "$.name"), want: "cdc"},
		{fn: "EXTRACTJSONFIELD", types: ss, args: xtA(doc, "$.version"), want: "1"},
		{fn: "EXTRACTJSONFIELD", types: ss, args: xtA(doc, "$.@type"), want: "UDF"},
		{name: "trailing garbage ignored", fn: "EXTRACTJSONFIELD", types: ss, args: xtA(`{"name": "cdd", "version": "2", "@type": "VAL"}}`, "$.name"), want: "cdd"},
		{name: "array -1", fn: "EXTRACTJSONFIELD", types: ss, args: xtA(`{"array": [1, 2, 3]}`, "$.array[-1]"), want: nil},
		{name: "array 0", fn: "EXTRACTJSONFIELD", types: ss, args: xtA(`{"array": [1, 2, 3]}`, "$.array[0]"), want: "1"},
		{name: "array 1", fn: "EXTRACTJSONFIELD", types: ss, args: xtA(`{"array": [1, 2, 3]}`, "$.array[1]"), want: "2"},
		{name: "exact decimal", fn: "EXTRACTJSONFIELD", types: ss, args: xtA(`{"array": [1.23450]}`, "$.array[0]"), want: "1.23450"},
		{name: "out of range", fn: "EXTRACTJSONFIELD", types: ss, args: xtA(`{"array": [1.23450]}`, "$.array[1]"), want: nil},
		{name: "nested", fn: "EXTRACTJSONFIELD", types: ss, args: xtA(doc, "$.n.a[1].b"), want: "true"},
		{name: "object as json", fn: "EXTRACTJSONFIELD", types: ss, args: xtA(doc, "$.n.a"), want: `[1,{"b":true}]`},
		{name: "quoted key", fn: "EXTRACTJSONFIELD", types: ss, args: xtA(doc, `$.n["x y"]`), want: "null"},
		{name: "missing", fn: "EXTRACTJSONFIELD", types: ss, args: xtA(doc, "$.nope"), want: nil},
		{name: "through scalar", fn: "EXTRACTJSONFIELD", types: ss, args: xtA(doc, "$.name.x"), want: nil},
		{name: "non-index on array", fn: "EXTRACTJSONFIELD", types: ss, args: xtA(doc, "$.n.a.b"), want: nil},
		{name: "root", fn: "EXTRACTJSONFIELD", types: ss, args: xtA(`{"a" : "x\ny"}`, "$"), want: `{"a":"x\ny"}`},
		{name: "string escapes", fn: "EXTRACTJSONFIELD", types: ss, args: xtA(`{"a": "q\"\u00e9\ud83d\ude00"}`, "$.a"), want: "q\"é😀"},
		{name: "exponent", fn: "EXTRACTJSONFIELD", types: ss, args: xtA(`{"a": 1.5e3}`, "$.a"), want: "1.5E+3"},
		{name: "big int", fn: "EXTRACTJSONFIELD", types: ss, args: xtA(`{"a": 123456789012345678901234567890}`, "$.a"), want: "123456789012345678901234567890"},
		{name: "invalid json", fn: "EXTRACTJSONFIELD", types: ss, args: xtA(`{"a": `, "$.a"), wantErr: "Invalid JSON format"},
		{name: "invalid path", fn: "EXTRACTJSONFIELD", types: ss, args: xtA(doc, "name"), wantErr: "Invalid JSON path"},
		{name: "null", fn: "EXTRACTJSONFIELD", types: ss, args: xtA(nil, "$.a"), want: nil},
	})
	xtRunTypes(t, []xtTypeCase{
		{fn: "EXTRACTJSONFIELD", types: ss, want: xtStr},
		{fn: "EXTRACTJSONFIELD", types: xtTs(xtInt, xtStr), wantErr: "does not accept parameters"},
	})
}

func TestJSONFunctions(t *testing.T) {
	s := xtTs(xtStr)
	xtRun(t, []xtCase{
		{fn: "IS_JSON_STRING", types: s, args: xtA(`[1, 2]`), want: true},
		{fn: "IS_JSON_STRING", types: s, args: xtA(`"abc"`), want: true},
		{fn: "IS_JSON_STRING", types: s, args: xtA(`abc`), want: false},
		{fn: "IS_JSON_STRING", types: s, args: xtA(``), want: false},
		{fn: "IS_JSON_STRING", types: s, args: xtA(`1 x`), want: true},
		{fn: "IS_JSON_STRING", types: s, args: xtA(`1x`), want: false},
		{fn: "IS_JSON_STRING", types: s, args: xtA(`01`), want: false},
		{fn: "IS_JSON_STRING", types: s, args: xtA(`nullx`), want: false},
		{fn: "IS_JSON_STRING", types: s, args: xtA(nil), want: false},
		{fn: "JSON_ARRAY_LENGTH", types: s, args: xtA(`[1, [2, 3], {}]`), want: int32(3)},
		{fn: "JSON_ARRAY_LENGTH", types: s, args: xtA(`{}`), want: nil},
		{fn: "JSON_ARRAY_LENGTH", types: s, args: xtA(``), want: nil},
		{fn: "JSON_ARRAY_LENGTH", types: s, args: xtA(`[1,`), wantErr: "Invalid JSON format"},
		{fn: "JSON_KEYS", types: s, args: xtA(`{"a": 1, "b": {"c": 2}}`), want: xtS("a", "b")},
		{fn: "JSON_KEYS", types: s, args: xtA(`[1]`), want: nil},
		// json_records.json
		{fn: "JSON_RECORDS", types: s, args: xtA(`{"Red": 3, "Green": 5}`), want: xtM("Red", "3", "Green", "5")},
		{fn: "JSON_RECORDS", types: s, args: xtA(`{"White": "Seven"}`), want: xtM("White", "Seven")},
		{fn: "JSON_RECORDS", types: s, args: xtA(`{"a": [1, "x"], "b": null}`), want: xtM("a", `[1,"x"]`, "b", "null")},
		{fn: "JSON_RECORDS", types: s, args: xtA(`{}`), want: xtM()},
		{fn: "JSON_RECORDS", types: s, args: xtA(``), want: nil},
		{fn: "JSON_RECORDS", types: s, args: xtA(nil), want: nil},
		// json_items.json
		{fn: "JSON_ITEMS", types: s, args: xtA(`[{"type": "A", "timestamp": "2022-01-27"}, {"type": "B", "timestamp": "2022-05-18"}]`),
			want: xtS(`{"type":"A","timestamp":"2022-01-27"}`, `{"type":"B","timestamp":"2022-05-18"}`)},
		{fn: "JSON_ITEMS", types: s, args: xtA(`[]`), want: xtS()},
		{fn: "JSON_ITEMS", types: s, args: xtA(`[{}, 1]`), want: nil},
		{fn: "JSON_ITEMS", types: s, args: xtA(`{}`), wantErr: "Invalid JSON format"},
		// json_concat.json
		{fn: "JSON_CONCAT", types: xtTs(xtStr, xtStr), args: xtA(`{"a": 1}`, `{"b": 2}`), want: `{"a":1,"b":2}`},
		{fn: "JSON_CONCAT", types: xtTs(xtStr, xtStr), args: xtA(`{}`, `{}`), want: `{}`},
		{fn: "JSON_CONCAT", types: xtTs(xtStr, xtStr), args: xtA(`{"a": {"5": 6}}`, `{"a": {"3": 4}}`), want: `{"a":{"3":4}}`},
		{fn: "JSON_CONCAT", types: xtTs(xtStr, xtStr), args: xtA(`[1, 2]`, `[3, 4]`), want: `[1,2,3,4]`},
		{fn: "JSON_CONCAT", types: xtTs(xtStr, xtStr), args: xtA(`null`, `null`), want: `[null,null]`},
		{fn: "JSON_CONCAT", types: xtTs(xtStr, xtStr), args: xtA(`[1, 2]`, `{"a": 1}`), want: `[1,2,{"a":1}]`},
		{fn: "JSON_CONCAT", types: xtTs(xtStr, xtStr), args: xtA(`[]`, `[]`), want: `[]`},
		{fn: "JSON_CONCAT", types: xtTs(xtStr, xtStr), args: xtA(`[1, [2]]`, `[[[3]], [[[4]]]]`), want: `[1,[2],[[3]],[[[4]]]]`},
		{fn: "JSON_CONCAT", types: xtTs(xtStr, xtStr), args: xtA(`1`, ``), want: nil},
		{fn: "JSON_CONCAT", types: xtTs(xtStr, xtStr), args: xtA(``, `1`), want: nil},
		{fn: "JSON_CONCAT", types: xtTs(xtStr, xtStr), args: xtA(nil, nil), want: nil},
		{fn: "JSON_CONCAT", types: xtTs(xtStr, xtStr), args: xtA(nil, ``), want: nil},
		{fn: "JSON_CONCAT", types: xtTs(xtStr, xtStr, xtStr), args: xtA(`{"a": 1}`, `{"b": 2}`, `{"c": 3}`), want: `{"a":1,"b":2,"c":3}`},
		{fn: "JSON_CONCAT", types: xtTs(xtStr, xtStr, xtStr), args: xtA(`{"a": {"5": 6}}`, `{"a": {"3": 4}}`, `{"a": {"7": 8}}`), want: `{"a":{"7":8}}`},
		{fn: "JSON_CONCAT", types: xtTs(xtStr, xtStr, xtStr), args: xtA(`[1, 2]`, `{"a": 1}`, `4`), want: `[1,2,{"a":1},4]`},
		{fn: "JSON_CONCAT", types: xtTs(xtStr, xtStr, xtStr), args: xtA(`1`, ``, `2`), want: nil},
		{name: "plain decimals", fn: "JSON_CONCAT", types: xtTs(xtStr, xtStr), args: xtA(`[1.5e3]`, `[1e-7]`), want: `[1500,0.0000001]`},
		{name: "invalid", fn: "JSON_CONCAT", types: xtTs(xtStr, xtStr), args: xtA(`[`, `[]`), wantErr: "Invalid JSON format"},
	})
	xtRunTypes(t, []xtTypeCase{
		{fn: "IS_JSON_STRING", types: s, want: xtBool},
		{fn: "JSON_ARRAY_LENGTH", types: s, want: xtInt},
		{fn: "JSON_KEYS", types: s, want: xtArr(xtStr)},
		{fn: "JSON_RECORDS", types: s, want: xtMap(xtStr, xtStr)},
		{fn: "JSON_ITEMS", types: s, want: xtArr(xtStr)},
		{fn: "JSON_CONCAT", types: xtTs(xtStr, xtStr, xtStr), want: xtStr},
	})
}

func TestJSONArrayContains(t *testing.T) {
	xtRun(t, []xtCase{
		// json_array_contains.json
		{fn: "JSON_ARRAY_CONTAINS", types: xtTs(xtStr, xtStr), args: xtA(`["Red", "Green"]`, "Pink"), want: false},
		{fn: "JSON_ARRAY_CONTAINS", types: xtTs(xtStr, xtStr), args: xtA(`["Pink", "Yellow", "Pink"]`, "Pink"), want: true},
		{fn: "JSON_ARRAY_CONTAINS", types: xtTs(xtStr, xtStr), args: xtA(`["White", "Pink"]`, "Pink"), want: true},
		{fn: "JSON_ARRAY_CONTAINS", types: xtTs(xtStr, xtStr), args: xtA(`["Pink", null]`, "Pink"), want: true},
		{fn: "JSON_ARRAY_CONTAINS", types: xtTs(xtStr, xtStr), args: xtA(nil, "Pink"), want: nil},
		{name: "int", fn: "JSON_ARRAY_CONTAINS", types: xtTs(xtStr, xtInt), args: xtA(`[1, 2, 3]`, int32(2)), want: true},
		{name: "int vs float", fn: "JSON_ARRAY_CONTAINS", types: xtTs(xtStr, xtInt), args: xtA(`[1.0, 2.0]`, int32(2)), want: false},
		{name: "bigint", fn: "JSON_ARRAY_CONTAINS", types: xtTs(xtStr, xtBig), args: xtA(`[5000000000]`, int64(5000000000)), want: true},
		{name: "int overflow stops", fn: "JSON_ARRAY_CONTAINS", types: xtTs(xtStr, xtInt), args: xtA(`[5000000000, 1]`, int32(1)), want: false},
		{name: "double", fn: "JSON_ARRAY_CONTAINS", types: xtTs(xtStr, xtDbl), args: xtA(`[1, 2.5]`, 2.5), want: true},
		{name: "bool", fn: "JSON_ARRAY_CONTAINS", types: xtTs(xtStr, xtBool), args: xtA(`[true]`, false), want: false},
		{name: "null value", fn: "JSON_ARRAY_CONTAINS", types: xtTs(xtStr, xtStr), args: xtA(`[1, null]`, nil), want: true},
		{name: "nested not searched", fn: "JSON_ARRAY_CONTAINS", types: xtTs(xtStr, xtInt), args: xtA(`[[1], {"a": 1}]`, int32(1)), want: false},
		{name: "found before error", fn: "JSON_ARRAY_CONTAINS", types: xtTs(xtStr, xtInt), args: xtA(`[1, }`, int32(1)), want: true},
		{name: "error", fn: "JSON_ARRAY_CONTAINS", types: xtTs(xtStr, xtInt), args: xtA(`[2, }`, int32(1)), want: false},
		{name: "not array", fn: "JSON_ARRAY_CONTAINS", types: xtTs(xtStr, xtInt), args: xtA(`{"a": 1}`, int32(1)), want: false},
	})
	xtRunTypes(t, []xtTypeCase{
		{fn: "JSON_ARRAY_CONTAINS", types: xtTs(xtStr, xtArr(xtInt)), want: xtBool},
		{fn: "JSON_ARRAY_CONTAINS", types: xtTs(xtInt, xtInt), wantErr: "does not accept parameters"},
	})
}

func TestJSONToJSONString(t *testing.T) {
	st := types.StructOf(types.Field{Name: "NAME", Type: xtStr}, types.Field{Name: "ID", Type: xtInt})
	xtRun(t, []xtCase{
		// to_json_string.json
		{fn: "TO_JSON_STRING", types: xtTs(xtInt), args: xtA(int32(1)), want: "1"},
		{fn: "TO_JSON_STRING", types: xtTs(xtInt), args: xtA(nil), want: "null"},
		{fn: "TO_JSON_STRING", types: xtTs(xtBool), args: xtA(true), want: "true"},
		{fn: "TO_JSON_STRING", types: xtTs(xtBig), args: xtA(int64(123)), want: "123"},
		{fn: "TO_JSON_STRING", types: xtTs(xtDbl), args: xtA(123.456), want: "123.456"},
		{fn: "TO_JSON_STRING", types: xtTs(xtDbl), args: xtA(1e10), want: "1.0E10"},
		{fn: "TO_JSON_STRING", types: xtTs(xtDbl), args: xtA(math.NaN()), want: `"NaN"`},
		{fn: "TO_JSON_STRING", types: xtTs(types.DecimalOf(6, 3)), args: xtA(xtDecOf(123456, 3)), want: "123.456"},
		{fn: "TO_JSON_STRING", types: xtTs(xtByt), args: xtA([]byte("!")), want: `"IQ=="`},
		{fn: "TO_JSON_STRING", types: xtTs(types.TimeType), args: xtA(types.TimeOfDay(60220000)), want: `"16:43:40"`},
		{fn: "TO_JSON_STRING", types: xtTs(types.TimeType), args: xtA(types.TimeOfDay(60180500)), want: `"16:43"`},
		{fn: "TO_JSON_STRING", types: xtTs(types.DateType), args: xtA(types.Date(19000)), want: `"2022-01-08"`},
		{fn: "TO_JSON_STRING", types: xtTs(types.TimestampType), args: xtA(types.Timestamp(1)), want: `"1970-01-01T00:00:00.001"`},
		{fn: "TO_JSON_STRING", types: xtTs(xtStr), args: xtA("a\"b\\c\n\x01é/"), want: `"a\"b\\c\n\u0001é/"`},
		{fn: "TO_JSON_STRING", types: xtTs(xtArr(xtInt)), args: xtA(xtI(1, 2, 3)), want: "[1,2,3]"},
		{fn: "TO_JSON_STRING", types: xtTs(st), args: xtA(&types.StructValue{Type: st, Vals: xtA("Alice", int32(1))}), want: `{"ID":1,"NAME":"Alice"}`},
		{name: "struct null field", fn: "TO_JSON_STRING", types: xtTs(st), args: xtA(&types.StructValue{Type: st, Vals: xtA(nil, int32(1))}), want: `{"ID":1,"NAME":null}`},
		{fn: "TO_JSON_STRING", types: xtTs(xtMap(xtStr, xtInt)), args: xtA(xtM("id", int32(1))), want: `{"id":1}`},
		{name: "sorted map", fn: "TO_JSON_STRING", types: xtTs(xtMap(xtStr, xtArr(xtInt))), args: xtA(xtM("b", xtI(1), "a", xtI(2, 3))), want: `{"a":[2,3],"b":[1]}`},
	})
	xtRunTypes(t, []xtTypeCase{
		{fn: "TO_JSON_STRING", types: xtTs(xtMap(xtStr, xtInt)), want: xtStr},
		{fn: "TO_JSON_STRING", types: xtTs(xtInt, xtInt), wantErr: "does not accept parameters"},
	})
}
