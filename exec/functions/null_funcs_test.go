package functions

import (
	"testing"

	"github.com/ksqlgo/ksql/sql/types"
)

func TestNullFunctions(t *testing.T) {
	ai := xtArr(xtInt)
	xtRun(t, []xtCase{
		// null.json: IFNULL(COL0, 10), IFNULL(COL1, 'x'), IFNULL(COL2, ARRAY[10, 20])
		{fn: "IFNULL", types: xtTs(xtInt, xtInt), args: xtA(int32(1), int32(10)), want: int32(1)},
		{fn: "IFNULL", types: xtTs(xtInt, xtInt), args: xtA(nil, int32(10)), want: int32(10)},
		{fn: "IFNULL", types: xtTs(xtStr, xtStr), args: xtA(nil, "x"), want: "x"},
		{fn: "IFNULL", types: xtTs(ai, ai), args: xtA(nil, xtI(10, 20)), want: xtI(10, 20)},
		{fn: "IFNULL", types: xtTs(ai, ai), args: xtA(xtI(1, 2, 3), xtI(10, 20)), want: xtI(1, 2, 3)},
		{name: "ifnull widened", fn: "IFNULL", types: xtTs(xtBig, xtInt), args: xtA(nil, int32(-1)), want: int64(-1)},
		{fn: "COALESCE", types: xtTs(xtStr, xtStr), args: xtA(nil, "default"), want: "default"},
		{fn: "COALESCE", types: xtTs(xtStr, xtStr), args: xtA("name", "default"), want: "name"},
		{fn: "COALESCE", types: xtTs(xtInt, xtNull, xtInt), args: xtA(nil, nil, int32(3)), want: int32(3)},
		{fn: "COALESCE", types: xtTs(xtInt, xtInt), args: xtA(nil, nil), want: nil},
		{fn: "COALESCE", types: xtTs(xtInt), args: xtA(int32(7)), want: int32(7)},
		{name: "coalesce decimal", fn: "COALESCE", types: xtTs(types.DecimalOf(4, 2), xtInt), args: xtA(nil, int32(5)), want: xtDec("5.00")},
		{fn: "NULLIF", types: xtTs(xtInt, xtInt), args: xtA(int32(1), int32(1)), want: nil},
		{fn: "NULLIF", types: xtTs(xtInt, xtInt), args: xtA(int32(1), int32(2)), want: int32(1)},
		{fn: "NULLIF", types: xtTs(xtInt, xtInt), args: xtA(int32(1), nil), want: int32(1)},
		{fn: "NULLIF", types: xtTs(xtInt, xtInt), args: xtA(nil, int32(1)), want: nil},
		{fn: "NULLIF", types: xtTs(xtStr, xtStr), args: xtA("a", "a"), want: nil},
		// as_value.json
		{fn: "AS_VALUE", types: xtTs(xtInt), args: xtA(int32(1)), want: int32(1)},
		{fn: "AS_VALUE", types: xtTs(xtBool), args: xtA(true), want: true},
		{fn: "AS_VALUE", types: xtTs(xtArr(xtStr)), args: xtA(xtS("foo")), want: xtS("foo")},
		{fn: "AS_VALUE", types: xtTs(xtInt), args: xtA(nil), want: nil},
	})
	xtRunTypes(t, []xtTypeCase{
		{fn: "IFNULL", types: xtTs(xtInt, xtInt), want: xtInt},
		{fn: "IFNULL", types: xtTs(xtInt, xtBig), want: xtBig},
		{fn: "IFNULL", types: xtTs(ai, ai), want: ai},
		{fn: "IFNULL", types: xtTs(xtInt, xtStr), wantErr: "does not accept parameters"},
		{fn: "IFNULL", types: xtTs(xtInt), wantErr: "does not accept parameters"},
		{fn: "COALESCE", types: xtTs(xtNull, xtStr), want: xtStr},
		{fn: "COALESCE", types: xtTs(xtInt, xtDbl, xtBig), want: xtDbl},
		{fn: "COALESCE", types: xtTs(xtNull, xtNull), wantErr: "cannot infer"},
		{fn: "COALESCE", types: nil, wantErr: "does not accept parameters"},
		{fn: "NULLIF", types: xtTs(xtStr, xtStr), want: xtStr},
		{fn: "AS_VALUE", types: xtTs(xtMap(xtStr, xtInt)), want: xtMap(xtStr, xtInt)},
		{fn: "AS_VALUE", types: xtTs(xtInt, xtInt), wantErr: "does not accept parameters"},
	})
}
