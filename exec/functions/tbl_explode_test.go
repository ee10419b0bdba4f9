package functions

import (
	"strings"
	"testing"

	"github.com/ksqlgo/ksql/planner"
	"github.com/ksqlgo/ksql/sql/types"
)

func ntResolveTable(t *testing.T, name string, args ...planner.ArgInfo) (*TableImpl, *types.Type) {
	t.Helper()
	res, err := ntRegistry().ResolveTable(name, args)
	if err != nil {
		t.Fatalf("%s%s: %v", name, describeArgs(args), err)
	}
	return res.Fn.(*TableImpl), res.Return
}

// From qtt/explode.json and qtt/table-functions.json.
func TestTblExplode(t *testing.T) {
	for _, c := range []struct {
		arg *types.Type
		ret string
	}{
		{types.ArrayOf(ntI64), "BIGINT"},
		{types.ArrayOf(types.DecimalOf(20, 10)), "DECIMAL(20, 10)"},
		{types.ArrayOf(types.StructOf(types.Field{Name: "F1", Type: ntI64})), "STRUCT<F1 BIGINT>"},
		{types.ArrayOf(types.ArrayOf(ntStr)), "ARRAY<STRING>"},
	} {
		if _, ret := ntResolveTable(t, "EXPLODE", ntArg(c.arg)); ret.String() != c.ret {
			t.Errorf("EXPLODE(%s) returns %s, want %s", c.arg, ret, c.ret)
		}
	}
	f, _ := ntResolveTable(t, "EXPLODE", ntArg(types.ArrayOf(ntI64)))
	for _, c := range []struct {
		in   types.Value
		want []types.Value
	}{
		{ntList(int64(1), int64(2)), ntList(int64(1), int64(2))},
		{ntList(int64(5)), ntList(int64(5))},
		{ntList(), nil},
		{nil, nil},
		{ntList(nil, int64(7)), ntList(nil, int64(7))},
	} {
		got, err := f.Eval([]types.Value{c.in})
		if err != nil || len(got) != len(c.want) || (len(got) > 0 && !ntDeepEqual(got, c.want)) {
			t.Errorf("EXPLODE(%v) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	_, err := ntRegistry().ResolveTable("EXPLODE", ntArgs(types.MapOf(ntStr, ntI32)))
	want := "Function 'explode' does not accept parameters (MAP<STRING, INTEGER>).\nValid alternatives are:\nexplode(ARRAY<DECIMAL> input)\nexplode(ARRAY<T> list)"
	if err == nil || err.Error() != want {
		t.Errorf("EXPLODE(MAP): %v", err)
	}
	if _, err := ntRegistry().ResolveTable("EXPLODE", ntArgs(types.ArrayOf(ntI32), types.ArrayOf(ntI32))); err == nil {
		t.Errorf("EXPLODE takes one argument")
	}
}

// From qtt/cube.json.
func TestTblCubeExplode(t *testing.T) {
	f, ret := ntResolveTable(t, "CUBE_EXPLODE", ntArg(types.ArrayOf(ntI32)))
	if ret.String() != "ARRAY<INTEGER>" {
		t.Errorf("return %s", ret)
	}
	for _, c := range []struct {
		in   []types.Value
		want []types.Value
	}{
		{ntList(int32(1), int32(2)), ntList(ntList(nil, nil), ntList(nil, int32(2)), ntList(int32(1), nil), ntList(int32(1), int32(2)))},
		{ntList(int32(1), nil), ntList(ntList(nil, nil), ntList(int32(1), nil))},
		{ntList("one", "two", "three"), ntList(
			ntList(nil, nil, nil), ntList(nil, nil, "three"), ntList(nil, "two", nil), ntList(nil, "two", "three"),
			ntList("one", nil, nil), ntList("one", nil, "three"), ntList("one", "two", nil), ntList("one", "two", "three"))},
		{ntList(), ntList(ntList())},
	} {
		got, err := f.Eval([]types.Value{c.in})
		if err != nil || !ntDeepEqual(got, c.want) {
			t.Errorf("CUBE_EXPLODE(%v) = %s, %v; want %s", c.in, types.String(got), err, types.String(c.want))
		}
	}
	if got, err := f.Eval([]types.Value{nil}); err != nil || len(got) != 0 {
		t.Errorf("CUBE_EXPLODE(NULL) = %v, %v", got, err)
	}
	big := make([]types.Value, 21)
	if _, err := f.Eval([]types.Value{big}); err == nil || !strings.Contains(err.Error(), "exceeds the maximum of 20") {
		t.Errorf("CUBE_EXPLODE of 21 columns: %v", err)
	}
	if _, err := ntRegistry().ResolveTable("CUBE_EXPLODE", ntArgs(ntStr)); err == nil {
		t.Errorf("CUBE_EXPLODE(STRING) should not resolve")
	}
}
