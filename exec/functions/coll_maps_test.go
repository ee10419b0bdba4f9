package functions

import (
	"testing"

	"github.com/ksqlgo/ksql/sql/types"
)

func TestCollJavaOrder(t *testing.T) {
	// java.util.HashMap(3) filled with these keys iterates them as
	// "yes, thanks", "sure, yeah", "nope" (reduce-map.json relies on it).
	m := xtM("yes, thanks", 3.5, "nope", 7.3, "sure, yeah", 2.1)
	got := collJavaOrder(m)
	if want := []int{0, 2, 1}; len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("order %v, want %v", got, want)
	}
	for _, c := range []struct {
		k    types.Value
		want uint32
	}{{"foo", 101574}, {"", 0}, {int32(-5), 0xfffffffb}, {int64(1) << 32, 1}, {true, 1231}, {1.0, 1072693248}} {
		if h, ok := collJavaHash(c.k); !ok || h != c.want {
			t.Fatalf("hash(%v) = %d, want %d", c.k, h, c.want)
		}
	}
	if _, ok := collJavaHash(xtI(1)); ok {
		t.Fatal("arrays have no known Java hash here")
	}
}

func TestCollMaps(t *testing.T) {
	msi := xtMap(xtStr, xtInt)
	entry := func(v *types.Type) *types.Type {
		return types.StructOf(types.Field{Name: "K", Type: xtStr}, types.Field{Name: "V", Type: v})
	}
	e := func(vt *types.Type, k string, v types.Value) *types.StructValue {
		return &types.StructValue{Type: entry(vt), Vals: xtA(k, v)}
	}
	xtRun(t, []xtCase{
		// create_map.json
		{fn: "AS_MAP", types: xtTs(xtArr(xtStr), xtArr(xtInt)), args: xtA(xtS("a", "b"), xtI(1, 2)), want: xtM("a", int32(1), "b", int32(2))},
		{fn: "AS_MAP", types: xtTs(xtArr(xtStr), xtArr(xtInt)), args: xtA(xtS("a", "b"), xtI(1, 2, 3)), want: xtM("a", int32(1), "b", int32(2))},
		{fn: "AS_MAP", types: xtTs(xtArr(xtStr), xtArr(xtInt)), args: xtA(xtS("a", "b", "c"), xtA(int32(1), int32(2), nil)), want: xtM("a", int32(1), "b", int32(2), "c", nil)},
		{fn: "AS_MAP", types: xtTs(xtArr(xtStr), xtArr(xtInt)), args: xtA(xtS("a", "b", "c"), xtI(1)), want: xtM("a", int32(1), "b", nil, "c", nil)},
		{name: "dup keys", fn: "AS_MAP", types: xtTs(xtArr(xtStr), xtArr(xtInt)), args: xtA(xtS("a", "a"), xtI(1, 2)), want: xtM("a", int32(2))},
		{fn: "AS_MAP", types: xtTs(xtArr(xtStr), xtArr(xtInt)), args: xtA(nil, xtI(1)), want: nil},
		// map.json
		// Order is java.util.HashMap's, as in ksqlDB (the conformance
		// cases sort the keys).
		{fn: "MAP_KEYS", types: xtTs(msi), args: xtA(xtM("foo", int32(10), "bar", int32(20), "baz", int32(30))), want: xtS("bar", "baz", "foo")},
		{fn: "MAP_KEYS", types: xtTs(msi), args: xtA(xtM("a", int32(1), "b", int32(2))), want: xtS("a", "b")},
		{fn: "MAP_KEYS", types: xtTs(msi), args: xtA(xtM()), want: xtS()},
		{fn: "MAP_KEYS", types: xtTs(msi), args: xtA(nil), want: nil},
		{fn: "MAP_VALUES", types: xtTs(msi), args: xtA(xtM("foo", int32(10), "bar", nil)), want: xtA(nil, int32(10))},
		{fn: "MAP_UNION", types: xtTs(msi, msi), args: xtA(xtM("foo", int32(10), "bar", int32(20), "baz", int32(30)), xtM("foo", int32(99), "apple", int32(-1))),
			want: xtM("foo", int32(99), "bar", int32(20), "baz", int32(30), "apple", int32(-1))},
		{fn: "MAP_UNION", types: xtTs(msi, msi), args: xtA(xtM("foo", int32(10), "bar", int32(20)), xtM("foo", nil)), want: xtM("foo", nil, "bar", int32(20))},
		{fn: "MAP_UNION", types: xtTs(msi, msi), args: xtA(xtM(), xtM()), want: xtM()},
		{fn: "MAP_UNION", types: xtTs(msi, msi), args: xtA(nil, xtM("foo", nil)), want: xtM("foo", nil)},
		{fn: "MAP_UNION", types: xtTs(msi, msi), args: xtA(nil, nil), want: nil},
		// array.json: ENTRIES(m, TRUE)
		{fn: "ENTRIES", types: xtTs(msi, xtBool), args: xtA(xtM("K2", int32(2), "K1", int32(1), "K3", int32(3)), true),
			want: xtA(e(xtInt, "K1", int32(1)), e(xtInt, "K2", int32(2)), e(xtInt, "K3", int32(3)))},
		{fn: "ENTRIES", types: xtTs(xtMap(xtStr, xtDbl), xtBool), args: xtA(xtM("K2", 2.0, "K1", 1.0), false),
			want: xtA(e(xtDbl, "K1", 1.0), e(xtDbl, "K2", 2.0))},
		{fn: "ENTRIES", types: xtTs(xtMap(xtStr, xtDbl), xtBool), args: xtA(xtM("b", 2.0, "a", 1.0, "c", 3.0), false),
			want: xtA(e(xtDbl, "a", 1.0), e(xtDbl, "b", 2.0), e(xtDbl, "c", 3.0))},
		{fn: "ENTRIES", types: xtTs(xtMap(xtStr, xtStr), xtBool), args: xtA(nil, true), want: nil},
		{fn: "ENTRIES", types: xtTs(msi, xtBool), args: xtA(xtM("a", int32(1)), nil), want: nil},
	})
	xtRunTypes(t, []xtTypeCase{
		{fn: "AS_MAP", types: xtTs(xtArr(xtStr), xtArr(xtInt)), want: msi},
		{fn: "AS_MAP", types: xtTs(xtStr, xtArr(xtInt)), wantErr: "does not accept parameters"},
		{fn: "MAP_KEYS", types: xtTs(xtMap(xtStr, xtArr(xtInt))), want: xtArr(xtStr)},
		{fn: "MAP_KEYS", types: xtTs(xtMap(xtInt, xtStr)), want: xtArr(xtInt)},
		{fn: "MAP_VALUES", types: xtTs(xtMap(xtStr, xtArr(xtInt))), want: xtArr(xtArr(xtInt))},
		{fn: "MAP_KEYS", types: xtTs(xtArr(xtInt)), wantErr: "does not accept parameters"},
		{fn: "MAP_UNION", types: xtTs(msi, xtMap(xtStr, xtBig)), want: xtMap(xtStr, xtBig)},
		{fn: "MAP_UNION", types: xtTs(msi, xtMap(xtStr, xtStr)), wantErr: "does not accept parameters"},
		{fn: "ENTRIES", types: xtTs(msi, xtBool), want: xtArr(entry(xtInt))},
		{fn: "ENTRIES", types: xtTs(xtMap(xtStr, xtBool), xtBool), want: xtArr(entry(xtBool))},
		{fn: "ENTRIES", types: xtTs(xtMap(xtStr, types.DecimalOf(2, 1)), xtBool), wantErr: "does not accept parameters"},
		{fn: "ENTRIES", types: xtTs(xtMap(xtInt, xtInt), xtBool), wantErr: "does not accept parameters"},
		{fn: "ENTRIES", types: xtTs(msi, xtStr), wantErr: "does not accept parameters"},
	})
}
