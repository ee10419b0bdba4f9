package functions

import (
	"strings"
	"testing"

	"github.com/ksqlgo/ksql/planner"
	"github.com/ksqlgo/ksql/sql/types"
)

// From qtt/topk-group-by.json and qtt/topk-distinct.json.
func TestAggTopK(t *testing.T) {
	k3 := ntConst(ntI32, int32(3))
	i := ntResolveAgg(t, "TOPK", ntArg(ntI32), k3)
	if i.ret.String() != "ARRAY<INTEGER>" {
		t.Errorf("return %s", i.ret)
	}
	ntRunAgg(t, i, []ntStep{
		{in: ntList(int32(0)), want: ntList(int32(0))},
		{in: ntList(int32(100)), want: ntList(int32(100), int32(0))},
		{in: ntList(int32(99)), want: ntList(int32(100), int32(99), int32(0))},
		{in: ntList(int32(7)), want: ntList(int32(100), int32(99), int32(7))},
		{in: ntList(int32(100)), want: ntList(int32(100), int32(100), int32(99))},
		{in: ntList(nil), want: ntList(int32(100), int32(100), int32(99))},
	})
	s := ntResolveAgg(t, "TOPK", ntArg(ntStr), k3)
	ntRunAgg(t, s, []ntStep{
		{in: ntList("a"), want: ntList("a")},
		{in: ntList("b"), want: ntList("b", "a")},
		{in: ntList("c"), want: ntList("c", "b", "a")},
		{in: ntList("b"), want: ntList("c", "b", "b")},
		{in: ntList("d"), want: ntList("d", "c", "b")},
	})
	d := ntResolveAgg(t, "TOPK", ntArg(ntF64), k3)
	ntRunAgg(t, d, []ntStep{
		{in: ntList(2147483648.9), want: ntList(2147483648.9)},
		{in: ntList(100.5), want: ntList(2147483648.9, 100.5)},
		{in: ntList(99.9), want: ntList(2147483648.9, 100.5, 99.9)},
		{in: ntList(7.3), want: ntList(2147483648.9, 100.5, 99.9)},
		{in: ntList(100.5), want: ntList(2147483648.9, 100.5, 100.5)},
	})

	// TOPK(value, name, 3) returns structs.
	row := ntResolveAgg(t, "TOPK", ntArg(ntI32), ntArg(ntStr), k3)
	if row.ret.String() != "ARRAY<STRUCT<sort_col INTEGER, col0 STRING>>" {
		t.Fatalf("return %s", row.ret)
	}
	st := row.ret.Elem
	r := func(v types.Value, name types.Value) types.Value {
		return &types.StructValue{Type: st, Vals: ntList(v, name)}
	}
	ntRunAgg(t, row, []ntStep{
		{in: ntList(int32(0), "zero"), want: ntList(r(int32(0), "zero"))},
		{in: ntList(int32(100), "one"), want: ntList(r(int32(100), "one"), r(int32(0), "zero"))},
		{in: ntList(int32(99), "two"), want: ntList(r(int32(100), "one"), r(int32(99), "two"), r(int32(0), "zero"))},
		{in: ntList(nil, "three"), want: ntList(r(int32(100), "one"), r(int32(99), "two"), r(int32(0), "zero"))},
		{in: ntList(int32(100), nil), want: ntList(r(int32(100), "one"), r(int32(100), nil), r(int32(99), "two"))},
	})
	srow := ntResolveAgg(t, "TOPK", ntArg(ntStr), ntArg(ntStr), k3)
	st = srow.ret.Elem
	ntRunAgg(t, srow, []ntStep{
		{in: ntList("a", "zero"), want: ntList(r("a", "zero"))},
		{in: ntList(nil, "one"), want: ntList(r("a", "zero"))},
		{in: ntList("c", "two"), want: ntList(r("c", "two"), r("a", "zero"))},
		{in: ntList("b", "three"), want: ntList(r("c", "two"), r("b", "three"), r("a", "zero"))},
		{in: ntList("d", nil), want: ntList(r("d", nil), r("c", "two"), r("b", "three"))},
	})
	// Several extra columns, one of them constant.
	multi := ntResolveAgg(t, "TOPK", ntArg(ntI64), ntConst(ntStr, "x"), ntArg(ntF64), ntConst(ntI32, int32(1)))
	if multi.ret.String() != "ARRAY<STRUCT<sort_col BIGINT, col0 STRING, col1 DOUBLE>>" {
		t.Fatalf("return %s", multi.ret)
	}
	st = multi.ret.Elem
	ntRunAgg(t, multi, []ntStep{
		{in: ntList(int64(5), 1.5), want: ntList(&types.StructValue{Type: st, Vals: ntList(int64(5), "x", 1.5)})},
		{in: ntList(int64(4), 2.5), want: ntList(&types.StructValue{Type: st, Vals: ntList(int64(5), "x", 1.5)})},
	})

	// Merge keeps the k largest of both, first argument first on ties.
	x := ntRunAgg(t, i, []ntStep{{in: ntList(int32(5)), want: ntList(int32(5))}, {in: ntList(int32(1)), want: ntList(int32(5), int32(1))}})
	y := ntRunAgg(t, i, []ntStep{{in: ntList(int32(5)), want: ntList(int32(5))}, {in: ntList(int32(3)), want: ntList(int32(5), int32(3))}})
	if got := i.result(t, i.merge(t, x, y)); !ntDeepEqual(got, ntList(int32(5), int32(5), int32(3))) {
		t.Errorf("merge = %v", got)
	}
	if _, ok := i.impl.(Undoer); ok {
		t.Errorf("TOPK cannot retract (as in ksqlDB)")
	}

	for _, bad := range [][]planner.ArgInfo{
		ntArgs(ntI32),
		{ntArg(ntI32), ntArg(ntI32)},
		{ntArg(ntI32), ntConst(ntI32, int32(0))},
		{ntArg(types.BooleanType), k3},
		{ntArg(types.ArrayOf(ntI32)), k3},
	} {
		if _, err := ntRegistry().ResolveAggregate("TOPK", bad); err == nil {
			t.Errorf("TOPK%s should not resolve", describeArgs(bad))
		}
	}
}

func TestAggTopKDistinct(t *testing.T) {
	k3 := ntConst(ntI32, int32(3))
	i := ntResolveAgg(t, "TOPKDISTINCT", ntArg(ntI32), k3)
	ntRunAgg(t, i, []ntStep{
		{in: ntList(int32(0)), want: ntList(int32(0))},
		{in: ntList(int32(100)), want: ntList(int32(100), int32(0))},
		{in: ntList(int32(99)), want: ntList(int32(100), int32(99), int32(0))},
		{in: ntList(int32(7)), want: ntList(int32(100), int32(99), int32(7))},
		{in: ntList(int32(100)), want: ntList(int32(100), int32(99), int32(7))},
	})
	l := ntResolveAgg(t, "TOPKDISTINCT", ntArg(ntI64), k3)
	ntRunAgg(t, l, []ntStep{
		{in: ntList(int64(2147483648)), want: ntList(int64(2147483648))},
		{in: ntList(int64(100)), want: ntList(int64(2147483648), int64(100))},
		{in: ntList(int64(99)), want: ntList(int64(2147483648), int64(100), int64(99))},
		{in: ntList(int64(7)), want: ntList(int64(2147483648), int64(100), int64(99))},
		{in: ntList(int64(100)), want: ntList(int64(2147483648), int64(100), int64(99))},
	})
	s := ntResolveAgg(t, "TOPKDISTINCT", ntArg(ntStr), k3)
	ntRunAgg(t, s, []ntStep{
		{in: ntList("a"), want: ntList("a")}, {in: ntList("b"), want: ntList("b", "a")},
		{in: ntList("c"), want: ntList("c", "b", "a")}, {in: ntList("b"), want: ntList("c", "b", "a")},
		{in: ntList("d"), want: ntList("d", "c", "b")},
	})
	d := ntResolveAgg(t, "TOPKDISTINCT", ntArg(types.DecimalOf(2, 1)), k3)
	if d.ret.String() != "ARRAY<DECIMAL(2, 1)>" {
		t.Errorf("return %s", d.ret)
	}
	ntRunAgg(t, d, []ntStep{
		{in: ntList(ntDec("9.8")), want: ntList(ntDec("9.8"))},
		{in: ntList(ntDec("8.9")), want: ntList(ntDec("9.8"), ntDec("8.9"))},
		{in: ntList(nil), want: ntList(ntDec("9.8"), ntDec("8.9"))},
		{in: ntList(ntDec("7.8")), want: ntList(ntDec("9.8"), ntDec("8.9"), ntDec("7.8"))},
		{in: ntList(ntDec("6.5")), want: ntList(ntDec("9.8"), ntDec("8.9"), ntDec("7.8"))},
		{in: ntList(ntDec("9.9")), want: ntList(ntDec("9.9"), ntDec("9.8"), ntDec("8.9"))},
	})
	b := ntResolveAgg(t, "TOPKDISTINCT", ntArg(types.BytesType), k3)
	ntRunAgg(t, b, []ntStep{
		{in: ntList([]byte("B")), want: ntList([]byte("B"))},
		{in: ntList([]byte("F")), want: ntList([]byte("F"), []byte("B"))},
		{in: ntList([]byte("G")), want: ntList([]byte("G"), []byte("F"), []byte("B"))},
		{in: ntList(nil), want: ntList([]byte("G"), []byte("F"), []byte("B"))},
		{in: ntList([]byte("A")), want: ntList([]byte("G"), []byte("F"), []byte("B"))},
		{in: ntList([]byte("F")), want: ntList([]byte("G"), []byte("F"), []byte("B"))},
	})
	x := ntRunAgg(t, i, []ntStep{{in: ntList(int32(5)), want: ntList(int32(5))}, {in: ntList(int32(1)), want: ntList(int32(5), int32(1))}})
	y := ntRunAgg(t, i, []ntStep{{in: ntList(int32(5)), want: ntList(int32(5))}, {in: ntList(int32(3)), want: ntList(int32(5), int32(3))}})
	if got := i.result(t, i.merge(t, x, y)); !ntDeepEqual(got, ntList(int32(5), int32(3), int32(1))) {
		t.Errorf("merge = %v", got)
	}
	_, err := ntRegistry().ResolveAggregate("TOPKDISTINCT", []planner.ArgInfo{ntArg(ntI32), ntArg(ntI32), k3})
	if err == nil || !strings.Contains(err.Error(), "topkdistinct") {
		t.Errorf("TOPKDISTINCT with 3 arguments: %v", err)
	}
}
