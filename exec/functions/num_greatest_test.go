package functions

import (
	"strings"
	"testing"

	"github.com/ksqlgo/ksql/planner"
	"github.com/ksqlgo/ksql/sql/types"
)

// From qtt/greatest.json and qtt/least.json.
func TestNumGreatestLeast(t *testing.T) {
	null := ntConst(types.NullType, nil)
	cases := []struct {
		fn   string
		args []planner.ArgInfo
		vals []types.Value
		ret  string
		want types.Value
	}{
		{"GREATEST", []planner.ArgInfo{ntArg(ntI64), ntArg(ntI64), ntArg(ntI64), null},
			[]types.Value{int64(9223372036854775807), int64(-9223372036854775808), nil, nil}, "BIGINT", int64(9223372036854775807)},
		{"GREATEST", []planner.ArgInfo{ntArg(ntF64), ntArg(ntF64), ntArg(ntF64), null},
			[]types.Value{50000.555, -99999.555, nil, nil}, "DOUBLE", 50000.555},
		{"GREATEST", []planner.ArgInfo{ntArg(ntI32), ntArg(ntI64), ntArg(types.DecimalOf(30, 18)), ntArg(ntF64), null},
			[]types.Value{int32(-1), int64(1000000000000), ntDec("99999.99999"), 0.0, nil}, "DOUBLE", 1000000000000.0},
		{"GREATEST", []planner.ArgInfo{ntArg(ntI32), ntArg(ntI64), ntArg(types.DecimalOf(30, 18)), ntArg(ntF64), null},
			[]types.Value{int32(500000), int64(1), ntDec("99999.99999"), 0.0, nil}, "DOUBLE", 500000.0},
		{"GREATEST", []planner.ArgInfo{ntArg(ntStr), ntArg(ntStr), ntArg(ntStr), ntArg(ntStr), null, null, ntConst(ntStr, "hello")},
			[]types.Value{"apple", "banana", "aardvark", nil, nil, nil, "hello"}, "STRING", "hello"},
		{"GREATEST", []planner.ArgInfo{ntArg(ntStr), ntArg(ntStr), ntArg(ntStr), ntArg(ntStr), null, null, ntConst(ntStr, "hello")},
			[]types.Value{"!", "zebra", "aardvark", nil, nil, nil, "hello"}, "STRING", "zebra"},
		{"GREATEST", []planner.ArgInfo{ntArg(types.DateType), ntArg(types.DateType), null, ntConst(ntStr, "2022-06-14")},
			[]types.Value{types.Date(19071), types.Date(18824), nil, "2022-06-14"}, "DATE", types.Date(19157)},
		{"GREATEST", []planner.ArgInfo{ntArg(types.TimeType), ntArg(types.TimeType), ntConst(ntStr, "09:16:00")},
			[]types.Value{types.TimeOfDay(32560000), types.TimeOfDay(33370000), "09:16:00"}, "TIME", types.TimeOfDay(33370000)},
		{"GREATEST", []planner.ArgInfo{ntArg(types.TimestampType), ntArg(types.TimestampType), ntConst(ntStr, "2022-06-14")},
			[]types.Value{types.Timestamp(1647734400000), types.Timestamp(-508291200000), "2022-06-14"}, "TIMESTAMP", types.Timestamp(1655164800000)},
		{"LEAST", []planner.ArgInfo{ntArg(ntI32), ntArg(ntI32), ntArg(ntI32), null, ntConst(ntI32, int32(5))},
			[]types.Value{int32(2147483647), int32(-2147483648), nil, nil, int32(5)}, "INTEGER", int32(-2147483648)},
		{"LEAST", []planner.ArgInfo{ntArg(types.DecimalOf(9, 3)), ntArg(types.DecimalOf(9, 3)), null},
			[]types.Value{ntDec("123456.789"), ntDec("-987654.321"), nil}, "DECIMAL(9, 3)", ntDec("-987654.321")},
		{"LEAST", []planner.ArgInfo{ntArg(types.DecimalOf(4, 1)), ntArg(types.DecimalOf(5, 3))},
			[]types.Value{ntDec("123.4"), ntDec("12.345")}, "DECIMAL(6, 3)", ntDec("12.345")},
		{"LEAST", []planner.ArgInfo{ntArg(ntStr), ntArg(ntStr), ntArg(ntStr), null, ntConst(ntStr, "hello")},
			[]types.Value{nil, nil, nil, nil, "hello"}, "STRING", "hello"},
		{"LEAST", []planner.ArgInfo{ntArg(ntStr), ntArg(ntStr), ntArg(ntStr)},
			[]types.Value{"!", "Zebra", "aardvark"}, "STRING", "!"},
		{"LEAST", []planner.ArgInfo{ntArg(types.BytesType), ntArg(types.BytesType), ntArg(types.BytesType)},
			[]types.Value{[]byte("apple"), []byte("banana"), []byte("aardvark")}, "BYTES", []byte("aardvark")},
		{"LEAST", []planner.ArgInfo{ntArg(types.TimestampType), ntArg(types.TimestampType), ntConst(ntStr, "2022-06-14")},
			[]types.Value{nil, nil, "2022-06-14"}, "TIMESTAMP", types.Timestamp(1655164800000)},
		{"LEAST", []planner.ArgInfo{ntArg(ntI32), ntArg(ntI32)}, []types.Value{nil, nil}, "INTEGER", nil},
	}
	for _, c := range cases {
		f := ntResolveScalar(t, c.fn, c.args...)
		if f.ret.String() != c.ret {
			t.Errorf("%s%s: return %s, want %s", c.fn, describeArgs(c.args), f.ret, c.ret)
		}
		if got := f.must(t, c.vals...); !ntEqual(got, c.want) {
			t.Errorf("%s%v = %v, want %v", c.fn, c.vals, got, c.want)
		}
	}

	errs := []struct {
		fn   string
		args []planner.ArgInfo
		msg  string
	}{
		{"GREATEST", nil, "Function 'greatest' does not accept parameters ()."},
		{"LEAST", nil, "Function 'least' does not accept parameters ()."},
		{"GREATEST", ntArgs(ntStr, ntI32), "Function 'greatest' does not accept parameters (STRING, INTEGER)."},
		{"LEAST", ntArgs(ntStr, ntI32), "Function 'least' does not accept parameters (STRING, INTEGER)."},
		{"GREATEST", ntArgs(ntI32, ntI64, types.DecimalOf(50, 30)),
			"Function 'greatest' cannot be resolved due to ambiguous method parameters (INTEGER, BIGINT, DECIMAL(50, 30))."},
		{"GREATEST", ntArgs(types.DateType, types.TimeType), "Function 'greatest' does not accept parameters (DATE, TIME)."},
		{"GREATEST", []planner.ArgInfo{ntArg(types.DateType), ntArg(ntStr)}, "Function 'greatest' does not accept parameters (DATE, STRING)."},
	}
	for _, e := range errs {
		_, err := ntRegistry().ResolveScalar(e.fn, e.args)
		if err == nil || !strings.HasPrefix(err.Error(), e.msg) {
			t.Errorf("%s%s: error %v, want %q", e.fn, describeArgs(e.args), err, e.msg)
		}
	}
}
