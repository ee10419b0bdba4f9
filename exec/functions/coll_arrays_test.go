package functions

import (
	"testing"

	"github.com/ksqlgo/ksql/sql/types"
)

func TestCollArraySetFunctions(t *testing.T) {
	ai := xtArr(xtInt)
	aiai := xtTs(ai, ai)
	xtRun(t, []xtCase{
		// array-set-functions.json
		{fn: "ARRAY_DISTINCT", types: xtTs(xtArr(xtStr)), args: xtA(xtS("foo", "bar", "foo")), want: xtS("foo", "bar")},
		{name: "distinct nulls", fn: "ARRAY_DISTINCT", types: xtTs(ai), args: xtA(xtA(int32(1), nil, int32(1), nil)), want: xtA(int32(1), nil)},
		{name: "distinct decimals", fn: "ARRAY_DISTINCT", types: xtTs(xtArr(types.DecimalOf(2, 1))), args: xtA(xtA(xtDec("1.0"), xtDec("1.0"), xtDec("2.5"))), want: xtA(xtDec("1.0"), xtDec("2.5"))},
		{name: "distinct arrays", fn: "ARRAY_DISTINCT", types: xtTs(xtArr(ai)), args: xtA(xtA(xtI(1), xtI(1), xtI(1, 2))), want: xtA(xtI(1), xtI(1, 2))},
		{fn: "ARRAY_INTERSECT", types: xtTs(xtArr(xtStr), xtArr(xtStr)), args: xtA(xtS("foo", "bar", "foo"), xtS("foo", "baz")), want: xtS("foo")},
		{fn: "ARRAY_INTERSECT", types: aiai, args: xtA(xtI(0, 0, 1, 0, -1), xtI(1, -2, 0)), want: xtI(0, 1)},
		{fn: "ARRAY_INTERSECT", types: aiai, args: xtA(xtI(0, 0, 1, 0, -1), xtI(3, 4)), want: xtI()},
		{fn: "ARRAY_INTERSECT", types: aiai, args: xtA(xtI(), xtI(1, -2)), want: xtI()},
		{fn: "ARRAY_INTERSECT", types: aiai, args: xtA(nil, xtI(1, -2)), want: nil},
		{fn: "ARRAY_INTERSECT", types: aiai, args: xtA(xtI(1), nil), want: nil},
		{fn: "ARRAY_UNION", types: xtTs(xtArr(xtStr), xtArr(xtStr)), args: xtA(xtS("foo", "bar", "foo"), xtS("foo", "baz")), want: xtS("foo", "bar", "baz")},
		{fn: "ARRAY_UNION", types: aiai, args: xtA(xtI(1), nil), want: nil},
		{fn: "ARRAY_EXCEPT", types: aiai, args: xtA(xtI(1, 2, 3, 2, 4), xtI(3)), want: xtI(1, 2, 4)},
		{fn: "ARRAY_EXCEPT", types: aiai, args: xtA(xtA(int32(1), nil, nil), xtI()), want: xtA(int32(1), nil)},
		{fn: "ARRAY_EXCEPT", types: aiai, args: xtA(nil, xtI()), want: nil},
		{fn: "ARRAY_CONCAT", types: aiai, args: xtA(xtI(0, 0, 1, 0, -1), xtI(1, -2, 0)), want: xtI(0, 0, 1, 0, -1, 1, -2, 0)},
		{fn: "ARRAY_CONCAT", types: aiai, args: xtA(xtI(), xtI(1, -2)), want: xtI(1, -2)},
		{fn: "ARRAY_CONCAT", types: aiai, args: xtA(nil, xtI(1, -2)), want: xtI(1, -2)},
		{fn: "ARRAY_CONCAT", types: aiai, args: xtA(xtI(0, -1), nil), want: xtI(0, -1)},
		{fn: "ARRAY_CONCAT", types: aiai, args: xtA(nil, nil), want: nil},
		{name: "concat widened", fn: "ARRAY_CONCAT", types: xtTs(ai, xtArr(xtBig)), args: xtA(xtI(1), xtA(int64(2))), want: xtA(int64(1), int64(2))},
	})
	xtRunTypes(t, []xtTypeCase{
		{fn: "ARRAY_DISTINCT", types: xtTs(ai), want: ai},
		{fn: "ARRAY_CONCAT", types: xtTs(ai, xtArr(xtBig)), want: xtArr(xtBig)},
		{fn: "ARRAY_CONCAT", types: xtTs(xtNull, xtArr(xtStr)), want: xtArr(xtStr)},
		{fn: "ARRAY_UNION", types: xtTs(xtArr(types.DecimalOf(2, 1)), xtArr(types.DecimalOf(4, 3))), want: xtArr(types.DecimalOf(4, 3))},
		{fn: "ARRAY_UNION", types: xtTs(ai, xtArr(xtStr)), wantErr: "does not accept parameters"},
		{fn: "ARRAY_EXCEPT", types: xtTs(ai, xtInt), wantErr: "does not accept parameters"},
		{fn: "ARRAY_DISTINCT", types: xtTs(xtNull), wantErr: "cannot infer"},
		{fn: "ARRAY_DISTINCT", types: xtTs(xtStr), wantErr: "does not accept parameters"},
	})
}

func TestCollArrayFunctions(t *testing.T) {
	ab := xtArr(xtBool)
	ai := xtArr(xtInt)
	ad := xtArr(xtDbl)
	as := xtArr(xtStr)
	adec := xtArr(types.DecimalOf(2, 1))
	xtRun(t, []xtCase{
		// array.json
		{fn: "ARRAY_LENGTH", types: xtTs(ab), args: xtA(xtA(true)), want: int32(1)},
		{fn: "ARRAY_LENGTH", types: xtTs(xtArr(ai)), args: xtA(xtA(xtI())), want: int32(1)},
		{fn: "ARRAY_LENGTH", types: xtTs(as), args: xtA(nil), want: nil},
		// array-min-max-sort.json
		{fn: "ARRAY_MAX", types: xtTs(ab), args: xtA(xtA(false, true, false)), want: true},
		{fn: "ARRAY_MAX", types: xtTs(ai), args: xtA(xtI(0, 0, 1, 0, -1)), want: int32(1)},
		{fn: "ARRAY_MAX", types: xtTs(ad), args: xtA(xtA(0.0, 0.1, -12345.678, nil, 0.3)), want: 0.3},
		{fn: "ARRAY_MAX", types: xtTs(as), args: xtA(xtA("foo", "fo", "Food", nil, "F", "food")), want: "food"},
		{fn: "ARRAY_MAX", types: xtTs(adec), args: xtA(xtA(xtDec("1.0"), xtDec("-0.2"), nil, xtDec("9.0"))), want: xtDec("9.0")},
		{fn: "ARRAY_MAX", types: xtTs(ai), args: xtA(xtI()), want: nil},
		{fn: "ARRAY_MAX", types: xtTs(ai), args: xtA(xtA(nil, nil)), want: nil},
		{fn: "ARRAY_MIN", types: xtTs(ai), args: xtA(xtA(int32(0), nil, int32(1), int32(-1))), want: int32(-1)},
		{fn: "ARRAY_MIN", types: xtTs(as), args: xtA(xtA("foo", "fo", "Food", nil, "F", "food")), want: "F"},
		{fn: "ARRAY_SORT", types: xtTs(ab), args: xtA(xtA(nil, false, true)), want: xtA(false, true, nil)},
		{fn: "ARRAY_SORT", types: xtTs(ai), args: xtA(xtA(int32(0), nil, int32(1), int32(0), int32(-1))), want: xtA(int32(-1), int32(0), int32(0), int32(1), nil)},
		{fn: "ARRAY_SORT", types: xtTs(as), args: xtA(xtA("foo", "fo", "Food", nil, "F", "food")), want: xtA("F", "Food", "fo", "foo", "food", nil)},
		{fn: "ARRAY_SORT", types: xtTs(adec), args: xtA(xtA(xtDec("1.0"), xtDec("1.1"), xtDec("-0.2"), xtDec("1.9"), xtDec("9.0"), xtDec("-9.9"))),
			want: xtA(xtDec("-9.9"), xtDec("-0.2"), xtDec("1.0"), xtDec("1.1"), xtDec("1.9"), xtDec("9.0"))},
		{fn: "ARRAY_SORT", types: xtTs(ai), args: xtA(xtI()), want: xtI()},
		{fn: "ARRAY_SORT", types: xtTs(ai), args: xtA(nil), want: nil},
		{name: "desc", fn: "ARRAY_SORT", types: xtTs(ai, xtStr), args: xtA(xtA(int32(0), nil, int32(1), int32(0), int32(-1)), "desc"), want: xtA(int32(1), int32(0), int32(0), int32(-1), nil)},
		{name: "desc strings", fn: "ARRAY_SORT", types: xtTs(as, xtStr), args: xtA(xtA("foo", "fo", "Food", nil, "F", "food"), "DESCENDING"), want: xtA("food", "foo", "fo", "Food", "F", nil)},
		{name: "asc", fn: "ARRAY_SORT", types: xtTs(ad, xtStr), args: xtA(xtA(0.3, -1.5), "ascending"), want: xtA(-1.5, 0.3)},
		{name: "bad direction", fn: "ARRAY_SORT", types: xtTs(ai, xtStr), args: xtA(xtI(2, 1), "up"), want: nil},
		// array-remove.json
		{fn: "ARRAY_REMOVE", types: xtTs(ab, xtBool), args: xtA(xtA(false, true, false), true), want: xtA(false, false)},
		{fn: "ARRAY_REMOVE", types: xtTs(ai, xtInt), args: xtA(xtI(0, 0, 1, 0, -1), int32(-1)), want: xtI(0, 0, 1, 0)},
		{fn: "ARRAY_REMOVE", types: xtTs(xtArr(xtBig), xtBig), args: xtA(xtA(int64(345), int64(-123), int64(345)), int64(345)), want: xtA(int64(-123))},
		{fn: "ARRAY_REMOVE", types: xtTs(ad, xtDbl), args: xtA(xtA(0.3, -12345.678, nil, 0.3), 0.3), want: xtA(-12345.678, nil)},
		{fn: "ARRAY_REMOVE", types: xtTs(as, xtStr), args: xtA(xtA("foo", "Food", nil, "food"), "foo"), want: xtA("Food", nil, "food")},
		{fn: "ARRAY_REMOVE", types: xtTs(adec, types.DecimalOf(2, 1)), args: xtA(xtA(xtDec("1.0"), xtDec("-0.2"), nil), xtDec("-0.2")), want: xtA(xtDec("1.0"), nil)},
		{name: "remove null", fn: "ARRAY_REMOVE", types: xtTs(ai, xtInt), args: xtA(xtA(int32(0), nil, int32(1)), nil), want: xtI(0, 1)},
		{name: "remove from null", fn: "ARRAY_REMOVE", types: xtTs(ai, xtInt), args: xtA(nil, int32(1)), want: nil},
		{name: "remove widened", fn: "ARRAY_REMOVE", types: xtTs(xtArr(xtBig), xtInt), args: xtA(xtA(int64(1), int64(2)), int32(1)), want: xtA(int64(2))},
		{fn: "ARRAY_CONTAINS", types: xtTs(ai, xtInt), args: xtA(xtI(1, 2), int32(2)), want: true},
		{fn: "ARRAY_CONTAINS", types: xtTs(ai, xtInt), args: xtA(xtI(1, 2), int32(3)), want: false},
		{fn: "ARRAY_CONTAINS", types: xtTs(ai, xtInt), args: xtA(nil, int32(3)), want: false},
		{fn: "ARRAY_CONTAINS", types: xtTs(ai, xtInt), args: xtA(xtA(int32(1), nil), nil), want: true},
		{fn: "ARRAY_CONTAINS", types: xtTs(ai, xtInt), args: xtA(xtI(1), nil), want: false},
		{name: "contains widened", fn: "ARRAY_CONTAINS", types: xtTs(ai, xtBig), args: xtA(xtI(1, 2), int64(2)), want: true},
		{fn: "ARRAY_JOIN", types: xtTs(ai), args: xtA(xtI(1, 2, 3)), want: "1,2,3"},
		{fn: "ARRAY_JOIN", types: xtTs(as, xtStr), args: xtA(xtA("a", nil, "b"), "|"), want: "a|null|b"},
		{fn: "ARRAY_JOIN", types: xtTs(ad, xtStr), args: xtA(xtA(1.0, 0.5, 1e10), nil), want: "1.00.51.0E10"},
		{fn: "ARRAY_JOIN", types: xtTs(adec), args: xtA(xtA(xtDec("1.0"), xtDec("-0.2"))), want: "1.0,-0.2"},
		{fn: "ARRAY_JOIN", types: xtTs(ab, xtStr), args: xtA(xtA(true, false), " "), want: "true false"},
		{fn: "ARRAY_JOIN", types: xtTs(ai), args: xtA(nil), want: nil},
		{fn: "ARRAY_JOIN", types: xtTs(ai), args: xtA(xtI()), want: ""},
		{name: "join unsupported", fn: "ARRAY_JOIN", types: xtTs(xtArr(ai)), args: xtA(xtA(xtI(1))), wantErr: "not supported"},
		{fn: "SLICE", types: xtTs(as, xtInt, xtInt), args: xtA(xtS("a", "b", "c", "d"), int32(2), int32(3)), want: xtS("b", "c")},
		{fn: "SLICE", types: xtTs(as, xtInt, xtInt), args: xtA(xtS("a", "b", "c", "d"), nil, int32(2)), want: xtS("a", "b")},
		{fn: "SLICE", types: xtTs(as, xtInt, xtInt), args: xtA(xtS("a", "b", "c", "d"), int32(3), nil), want: xtS("c", "d")},
		{fn: "SLICE", types: xtTs(as, xtInt, xtInt), args: xtA(xtS("a", "b"), int32(0), int32(1)), want: nil},
		{fn: "SLICE", types: xtTs(as, xtInt, xtInt), args: xtA(xtS("a", "b"), int32(1), int32(3)), want: nil},
		{fn: "SLICE", types: xtTs(as, xtInt, xtInt), args: xtA(xtS("a", "b"), int32(2), int32(1)), want: xtS()},
		{fn: "SLICE", types: xtTs(as, xtInt, xtInt), args: xtA(xtS("a", "b"), int32(3), int32(1)), want: nil},
		{fn: "SLICE", types: xtTs(as, xtInt, xtInt), args: xtA(nil, int32(1), int32(1)), want: nil},
	})
	xtRunTypes(t, []xtTypeCase{
		{fn: "ARRAY_LENGTH", types: xtTs(ai), want: xtInt},
		{fn: "ARRAY_LENGTH", types: xtTs(xtStr), wantErr: "does not accept parameters"},
		{fn: "ARRAY_MAX", types: xtTs(adec), want: types.DecimalOf(2, 1)},
		{fn: "ARRAY_MIN", types: xtTs(xtArr(ai)), wantErr: "primitive"},
		{fn: "ARRAY_SORT", types: xtTs(xtArr(xtMap(xtStr, xtInt))), wantErr: "primitive"},
		{fn: "ARRAY_SORT", types: xtTs(as, xtStr), want: as},
		{fn: "ARRAY_SORT", types: xtTs(as, xtInt), wantErr: "does not accept parameters"},
		{fn: "ARRAY_CONTAINS", types: xtTs(ai, xtInt), want: xtBool},
		{fn: "ARRAY_CONTAINS", types: xtTs(ai, xtStr), wantErr: "does not accept parameters"},
		{fn: "ARRAY_REMOVE", types: xtTs(ai, xtBig), want: xtArr(xtBig)},
		{fn: "ARRAY_JOIN", types: xtTs(ai, xtStr), want: xtStr},
		{fn: "SLICE", types: xtTs(as, xtInt, xtInt), want: as},
		{fn: "SLICE", types: xtTs(as, xtInt), wantErr: "does not accept parameters"},
		{fn: "SLICE", types: xtTs(as, xtBig, xtInt), wantErr: "does not accept parameters"},
	})
}

func TestCollGenerateSeriesEltField(t *testing.T) {
	xtRun(t, []xtCase{
		// array.json
		{fn: "GENERATE_SERIES", types: xtTs(xtInt, xtInt), args: xtA(int32(0), int32(3)), want: xtI(0, 1, 2, 3)},
		{fn: "GENERATE_SERIES", types: xtTs(xtInt, xtInt), args: xtA(int32(-2), int32(1)), want: xtI(-2, -1, 0, 1)},
		{fn: "GENERATE_SERIES", types: xtTs(xtInt, xtInt), args: xtA(int32(4), int32(3)), want: xtI(4, 3)},
		{fn: "GENERATE_SERIES", types: xtTs(xtInt, xtInt), args: xtA(int32(4), int32(0)), want: xtI(4, 3, 2, 1, 0)},
		{fn: "GENERATE_SERIES", types: xtTs(xtInt, xtInt), args: xtA(int32(4), int32(4)), want: xtI(4)},
		{fn: "GENERATE_SERIES", types: xtTs(xtInt, xtInt, xtInt), args: xtA(int32(-2), int32(1), int32(2)), want: xtI(-2, 0)},
		{fn: "GENERATE_SERIES", types: xtTs(xtInt, xtInt, xtInt), args: xtA(int32(0), int32(9), int32(3)), want: xtI(0, 3, 6, 9)},
		{fn: "GENERATE_SERIES", types: xtTs(xtInt, xtInt, xtInt), args: xtA(int32(1), int32(-2), int32(-2)), want: xtI(1, -1)},
		{fn: "GENERATE_SERIES", types: xtTs(xtInt, xtInt, xtInt), args: xtA(int32(9), int32(0), int32(-3)), want: xtI(9, 6, 3, 0)},
		{fn: "GENERATE_SERIES", types: xtTs(xtInt, xtInt, xtInt), args: xtA(int32(0), int32(3), int32(0)), wantErr: "step cannot be zero"},
		{fn: "GENERATE_SERIES", types: xtTs(xtInt, xtInt, xtInt), args: xtA(int32(0), int32(3), int32(-1)), wantErr: "step has wrong sign"},
		{fn: "GENERATE_SERIES", types: xtTs(xtBig, xtBig), args: xtA(int64(5000000000), int64(5000000002)), want: xtA(int64(5000000000), int64(5000000001), int64(5000000002))},
		{fn: "GENERATE_SERIES", types: xtTs(xtBig, xtBig, xtInt), args: xtA(int64(10), int64(0), int32(-5)), want: xtA(int64(10), int64(5), int64(0))},
		{name: "mixed widens", fn: "GENERATE_SERIES", types: xtTs(xtInt, xtBig), args: xtA(int32(1), int64(2)), want: xtA(int64(1), int64(2))},
		{fn: "GENERATE_SERIES", types: xtTs(xtInt, xtInt), args: xtA(int32(0), int32(100000000)), wantErr: "limit"},
		{name: "java int overflow", fn: "GENERATE_SERIES", types: xtTs(xtInt, xtInt), args: xtA(int32(0), int32(2147483647)), wantErr: "Illegal Capacity"},
		// elt-field.json
		{fn: "ELT", types: xtTs(xtInt, xtStr, xtStr), args: xtA(int32(2), "ignored", "something"), want: "something"},
		{fn: "ELT", types: xtTs(xtInt, xtStr, xtStr), args: xtA(int32(2), "ignored", nil), want: nil},
		{fn: "ELT", types: xtTs(xtInt, xtStr, xtStr), args: xtA(int32(0), "a", "b"), want: nil},
		{fn: "ELT", types: xtTs(xtInt, xtStr, xtStr), args: xtA(int32(3), "a", "b"), want: nil},
		{fn: "ELT", types: xtTs(xtInt, xtStr, xtStr), args: xtA(nil, "a", "b"), want: nil},
		{fn: "FIELD", types: xtTs(xtStr, xtStr, xtStr), args: xtA("hello", "hello", "world"), want: int32(1)},
		{fn: "FIELD", types: xtTs(xtStr, xtStr, xtStr), args: xtA("hello", nil, "world"), want: int32(0)},
		{fn: "FIELD", types: xtTs(xtStr, xtStr, xtStr), args: xtA("hello", "world", "hello"), want: int32(2)},
		{fn: "FIELD", types: xtTs(xtStr, xtStr, xtStr), args: xtA(nil, nil, nil), want: int32(0)},
	})
	xtRunTypes(t, []xtTypeCase{
		{fn: "GENERATE_SERIES", types: xtTs(xtInt, xtInt), want: xtArr(xtInt)},
		{fn: "GENERATE_SERIES", types: xtTs(xtBig, xtInt), want: xtArr(xtBig)},
		{fn: "GENERATE_SERIES", types: xtTs(xtDbl, xtInt), wantErr: "does not accept parameters"},
		{fn: "ELT", types: xtTs(xtInt, xtStr), want: xtStr},
		{fn: "FIELD", types: xtTs(xtStr, xtStr), want: xtInt},
		{fn: "ELT", types: xtTs(xtStr, xtStr), wantErr: "does not accept parameters"},
	})
}
