package functions

import (
	"testing"

	"github.com/ksqlgo/ksql/planner"
	"github.com/ksqlgo/ksql/sql/types"
)

func ntList(vs ...types.Value) []types.Value {
	if vs == nil {
		return []types.Value{}
	}
	return vs
}

// From qtt/collect-list.json.
func TestAggCollectList(t *testing.T) {
	a := ntResolveAgg(t, "COLLECT_LIST", ntArg(ntStr))
	if a.ret.String() != "ARRAY<STRING>" {
		t.Fatalf("return %s", a.ret)
	}
	ntRunAgg(t, a, []ntStep{
		{in: ntList("baz"), want: ntList("baz")},
		{in: ntList("baz"), want: ntList("baz", "baz")},
		{in: ntList("foo"), want: ntList("baz", "baz", "foo")},
		{in: ntList(nil), want: ntList("baz", "baz", "foo", nil)},
	})
	// Table aggregation: an update is an undo of the old value then an add.
	l := ntResolveAgg(t, "COLLECT_LIST", ntArg(ntI64))
	ntRunAgg(t, l, []ntStep{
		{in: ntList(int64(2147483648)), want: ntList(int64(2147483648))},
		{in: ntList(int64(2147483648)), undo: true, want: ntList()},
		{in: ntList(int64(100)), want: ntList(int64(100))},
		{in: ntList(int64(7)), want: ntList(int64(100), int64(7))},
		{in: ntList(int64(100)), want: ntList(int64(100), int64(7), int64(100))},
		{in: ntList(int64(100)), undo: true, want: ntList(int64(100), int64(7))},
		{in: ntList(int64(5)), undo: true, want: ntList(int64(100), int64(7))},
	})
	// Complex elements.
	st := types.StructOf(types.Field{Name: "A", Type: ntStr})
	s := ntResolveAgg(t, "COLLECT_LIST", ntArg(types.ArrayOf(st)))
	if s.ret.String() != "ARRAY<ARRAY<STRUCT<A STRING>>>" {
		t.Errorf("return %s", s.ret)
	}
	e1 := ntList(&types.StructValue{Type: st, Vals: ntList("Early0")})
	ntRunAgg(t, s, []ntStep{
		{in: ntList(e1), want: ntList(e1)},
		{in: ntList(ntList(nil)), want: ntList(e1, ntList(nil))},
		{in: ntList(nil), want: ntList(e1, ntList(nil), nil)},
	})
	// Merge (session windows) and the limit.
	x := ntRunAgg(t, l, []ntStep{{in: ntList(int64(1)), want: ntList(int64(1))}})
	y := ntRunAgg(t, l, []ntStep{{in: ntList(int64(2)), want: ntList(int64(2))}, {in: ntList(int64(3)), want: ntList(int64(2), int64(3))}})
	if got := l.result(t, l.merge(t, x, y)); !ntDeepEqual(got, ntList(int64(1), int64(2), int64(3))) {
		t.Errorf("merge = %v", got)
	}
	lim := ntAggFn{impl: l.impl.(ConfigurableAgg).Configure(map[string]any{"ksql.functions.collect_list.limit": "2"}), args: l.args}
	ntRunAgg(t, lim, []ntStep{
		{in: ntList(int64(1)), want: ntList(int64(1))},
		{in: ntList(int64(2)), want: ntList(int64(1), int64(2))},
		{in: ntList(int64(3)), want: ntList(int64(1), int64(2))},
		{in: ntList(int64(3)), undo: true, want: ntList(int64(1), int64(2))},
	})
	if got := lim.result(t, lim.merge(t, x, y)); !ntDeepEqual(got, ntList(int64(1), int64(2))) {
		t.Errorf("limited merge = %v", got)
	}
	// A constant argument is not passed to Add.
	c := ntResolveAgg(t, "COLLECT_LIST", ntConst(ntStr, "k"))
	ntRunAgg(t, c, []ntStep{{in: nil, want: ntList("k")}, {in: nil, want: ntList("k", "k")}})
	if _, err := ntRegistry().ResolveAggregate("COLLECT_LIST", ntArgs(ntStr, ntStr)); err == nil {
		t.Errorf("COLLECT_LIST takes one argument")
	}
}

// From qtt/collect-set.json.
func TestAggCollectSet(t *testing.T) {
	a := ntResolveAgg(t, "COLLECT_SET", ntArg(ntStr))
	ntRunAgg(t, a, []ntStep{
		{in: ntList("baz"), want: ntList("baz")},
		{in: ntList("baz"), want: ntList("baz")},
		{in: ntList("foo"), want: ntList("baz", "foo")},
		{in: ntList(nil), want: ntList("baz", "foo", nil)},
		{in: ntList(nil), want: ntList("baz", "foo", nil)},
	})
	m := ntResolveAgg(t, "COLLECT_SET", ntArg(types.MapOf(ntStr, ntI64)))
	m1 := &types.MapValue{Keys: ntList("Record0", "Record2"), Vals: ntList(int64(100), int64(2))}
	m2 := &types.MapValue{Keys: ntList("Record2", "Record0"), Vals: ntList(int64(2), int64(100))}
	ntRunAgg(t, m, []ntStep{{in: ntList(m1), want: ntList(m1)}, {in: ntList(m2), want: ntList(m1)}})
	arr := ntResolveAgg(t, "COLLECT_SET", ntArg(types.ArrayOf(ntI32)))
	v1 := ntList(int32(0), int32(0), int32(1), int32(0), int32(-1))
	v2 := ntList(int32(1), int32(2), int32(3), int32(4), int32(-1))
	ntRunAgg(t, arr, []ntStep{{in: ntList(v1), want: ntList(v1)}, {in: ntList(v2), want: ntList(v1, v2)}, {in: ntList(v1), want: ntList(v1, v2)}})
	d := ntResolveAgg(t, "COLLECT_SET", ntArg(types.DecimalOf(4, 1)))
	ntRunAgg(t, d, []ntStep{
		{in: ntList(ntDec("500.9")), want: ntList(ntDec("500.9"))},
		{in: ntList(ntDec("300.8")), want: ntList(ntDec("500.9"), ntDec("300.8"))},
		{in: ntList(nil), want: ntList(ntDec("500.9"), ntDec("300.8"), nil)},
		{in: ntList(ntDec("300.8")), want: ntList(ntDec("500.9"), ntDec("300.8"), nil)},
	})
	// "collect_set with limit of 1"
	i := ntResolveAgg(t, "COLLECT_SET", ntArg(ntI32))
	lim := ntAggFn{impl: i.impl.(ConfigurableAgg).Configure(map[string]any{"ksql.functions.collect_set.limit": 1}), args: i.args}
	ntRunAgg(t, lim, []ntStep{{in: ntList(int32(0)), want: ntList(int32(0))}, {in: ntList(int32(100)), want: ntList(int32(0))}})
	// The list limit does not apply to sets.
	other := ntAggFn{impl: i.impl.(ConfigurableAgg).Configure(map[string]any{"ksql.functions.collect_list.limit": 1}), args: i.args}
	ntRunAgg(t, other, []ntStep{{in: ntList(int32(0)), want: ntList(int32(0))}, {in: ntList(int32(100)), want: ntList(int32(0), int32(100))}})
	x := ntRunAgg(t, i, []ntStep{{in: ntList(int32(1)), want: ntList(int32(1))}, {in: ntList(int32(2)), want: ntList(int32(1), int32(2))}})
	y := ntRunAgg(t, i, []ntStep{{in: ntList(int32(2)), want: ntList(int32(2))}, {in: ntList(int32(3)), want: ntList(int32(2), int32(3))}})
	if got := i.result(t, i.merge(t, x, y)); !ntDeepEqual(got, ntList(int32(1), int32(2), int32(3))) {
		t.Errorf("merge = %v", got)
	}
	if _, ok := i.impl.(Undoer); ok {
		t.Errorf("COLLECT_SET cannot retract (as in ksqlDB)")
	}
	if _, err := ntRegistry().ResolveAggregate("COLLECT_SET", []planner.ArgInfo{ntConst(types.NullType, nil)}); err == nil {
		t.Errorf("COLLECT_SET(NULL) should not resolve")
	}
}
