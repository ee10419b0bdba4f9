package testfuncs

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/ksqlgo/ksql/exec/functions"
	"github.com/ksqlgo/ksql/planner"
	"github.com/ksqlgo/ksql/sql/types"
)

func registry() *functions.Registry {
	r := functions.New()
	Register(r)
	return r
}

// col is a column argument of type t; lit a literal.
func col(t *types.Type) planner.ArgInfo { return planner.ArgInfo{Type: t} }
func lit(t *types.Type, v types.Value) planner.ArgInfo {
	return planner.ArgInfo{Type: t, IsConst: true, Const: v}
}

var nullArg = planner.ArgInfo{Type: types.NullType, IsConst: true}

func dec(s string) types.Dec {
	d, err := types.ParseDec(s)
	if err != nil {
		panic(err)
	}
	return d
}

func structA(v types.Value) *types.StructValue {
	return &types.StructValue{Type: structAType, Vals: []types.Value{v}}
}

// call resolves a scalar function and evaluates it over vals.
func call(t *testing.T, r *functions.Registry, name string, args []planner.ArgInfo, vals ...types.Value) (types.Value, *types.Type, error) {
	t.Helper()
	res, err := r.ResolveScalar(name, args)
	if err != nil {
		t.Fatalf("%s%s: %v", name, describeArgs(args), err)
	}
	v, err := res.Fn.(*functions.ScalarImpl).Eval(vals)
	return v, res.Return, err
}

func wantErr(t *testing.T, err error, sub string) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), sub) {
		t.Fatalf("error %v, want one containing %q", err, sub)
	}
}

func TestTestUdfOverloads(t *testing.T) {
	r := registry()
	str := col(types.StringType)
	for _, c := range []struct {
		args []planner.ArgInfo
		vals []types.Value
		want string
	}{
		{[]planner.ArgInfo{col(types.IntegerType), str}, []types.Value{int32(1), "x"}, "doStuffIntString"},
		{[]planner.ArgInfo{col(types.BigintType), str}, []types.Value{int64(1), "x"}, "doStuffLongString"},
		{[]planner.ArgInfo{col(types.BigintType), col(types.BigintType), str}, []types.Value{int64(1), int64(2), nil}, "doStuffLongLongString"},
		// (INT, INT, STRING) needs casts: both (BIGINT, BIGINT, STRING)
		// and nothing else fits.
		{[]planner.ArgInfo{col(types.IntegerType), col(types.IntegerType), str}, []types.Value{int64(1), int64(2), "x"}, "doStuffLongLongString"},
		{[]planner.ArgInfo{col(types.BigintType), col(types.BigintType), col(types.BigintType), col(types.BigintType), col(types.BigintType)},
			[]types.Value{int64(0), int64(0), int64(0), int64(0), int64(0)}, "doStuffLongVarargs"},
		{[]planner.ArgInfo{col(types.BigintType)}, []types.Value{int64(0)}, "doStuffLongVarargs"},
		// An array is passed as the varargs ("var args given as list").
		{[]planner.ArgInfo{col(types.ArrayOf(types.BigintType))}, []types.Value{[]types.Value{int64(1)}}, "doStuffLongVarargs"},
		{[]planner.ArgInfo{col(structAType)}, []types.Value{structA("expect-result")}, "expect-result"},
	} {
		v, ret, err := call(t, r, "TEST_UDF", c.args, c.vals...)
		if err != nil || v != c.want || !ret.Equal(types.StringType) {
			t.Errorf("TEST_UDF%s = %v %v (%v), want %q", describeArgs(c.args), v, ret, err, c.want)
		}
	}
	// (INT, INT, INT) casts every argument to BIGINT for the varargs.
	res, err := r.ResolveScalar("TEST_UDF", []planner.ArgInfo{col(types.IntegerType), col(types.IntegerType), col(types.IntegerType)})
	if err != nil || len(res.ParamTypes) != 3 || !res.ParamTypes[2].Equal(types.BigintType) {
		t.Fatalf("TEST_UDF(INTEGER x3): %+v %v", res, err)
	}
	// No arguments: returnStructStuff beats the empty varargs.
	v, ret, err := call(t, r, "TEST_UDF", nil)
	if err != nil || !ret.Equal(structAType) || types.String(v) != "Struct{A=foo}" {
		t.Fatalf("TEST_UDF() = %v %v %v", v, ret, err)
	}
	// A NULL for a primitive parameter fails as Method.invoke does; a
	// NULL for an object parameter is passed.
	_, _, err = call(t, r, "TEST_UDF", []planner.ArgInfo{col(types.IntegerType), str}, nil, "x")
	wantErr(t, err, "Failed to invoke function public java.lang.String io.confluent.ksql.function.udf.TestUdf.doStuffIntString(int,java.lang.String)")
	if v, _, err := call(t, r, "TEST_UDF", []planner.ArgInfo{col(types.IntegerType), str}, int32(1), nil); v != "doStuffIntString" || err != nil {
		t.Fatalf("NULL string: %v %v", v, err)
	}
	_, _, err = call(t, r, "TEST_UDF", []planner.ArgInfo{col(types.BigintType), col(types.BigintType)}, int64(1), nil)
	wantErr(t, err, "doStuffLongVarargs(long[])")
	_, _, err = call(t, r, "TEST_UDF", []planner.ArgInfo{col(structAType)}, nil)
	wantErr(t, err, "NullPointerException")
	if v, _, err := call(t, r, "TEST_UDF", []planner.ArgInfo{col(structAType)}, structA(nil)); v != nil || err != nil {
		t.Fatalf("NULL field: %v %v", v, err)
	}
	_, err = r.ResolveScalar("TEST_UDF", []planner.ArgInfo{str})
	wantErr(t, err, "Function 'test_udf' does not accept parameters (STRING).\nValid alternatives are:\ntest_udf(INT, VARCHAR)\n")
	wantErr(t, err, "test_udf(BIGINT...)\ntest_udf(STRUCT<A VARCHAR>)\ntest_udf()\n")
	// A struct of other fields does not match STRUCT<A VARCHAR>.
	_, err = r.ResolveScalar("TEST_UDF", []planner.ArgInfo{col(types.StructOf(types.Field{Name: "B", Type: types.StringType}))})
	wantErr(t, err, "does not accept parameters (STRUCT<B STRING>)")
}

func TestBadUdf(t *testing.T) {
	r := registry()
	_, ret, err := call(t, r, "BAD_UDF", []planner.ArgInfo{col(types.IntegerType)}, int32(1))
	wantErr(t, err, "boom!")
	if !ret.Equal(types.StringType) {
		t.Fatalf("return %v", ret)
	}
	_, _, err = call(t, r, "BAD_UDF", []planner.ArgInfo{col(types.IntegerType)}, nil)
	wantErr(t, err, "blowUp(int): java.lang.IllegalArgumentException")
	_, _, err = call(t, r, "BAD_UDF", []planner.ArgInfo{col(types.BooleanType)}, true)
	wantErr(t, err, "You asked me to throw...")
	if v, ret, err := call(t, r, "BAD_UDF", []planner.ArgInfo{col(types.BooleanType)}, false); v != int32(0) || err != nil || !ret.Equal(types.IntegerType) {
		t.Fatalf("mightThrow(false) = %v %v %v", v, ret, err)
	}
	// returnNull answers NULL on every other call, counting per instance.
	res, err := r.ResolveScalar("BAD_UDF", []planner.ArgInfo{col(types.StringType)})
	if err != nil {
		t.Fatal(err)
	}
	eval := res.Fn.(*functions.ScalarImpl).Eval
	var got []types.Value
	for _, s := range []string{"a", "b", "c", "d"} {
		v, err := eval([]types.Value{s})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, v)
	}
	if got[0] != nil || got[1] != "b" || got[2] != nil || got[3] != "d" {
		t.Fatalf("returnNull: %v", got)
	}
	// DOUBLE casts to none of INT, BOOLEAN, STRING.
	_, err = r.ResolveScalar("BAD_UDF", []planner.ArgInfo{col(types.DoubleType)})
	wantErr(t, err, "Function 'bad_udf' does not accept parameters (DOUBLE).")
}

func TestWhenConditionAndResult(t *testing.T) {
	r := registry()
	bb := []planner.ArgInfo{col(types.BooleanType), col(types.BooleanType)}
	if v, _, err := call(t, r, "WHENCONDITION", bb, true, true); v != true || err != nil {
		t.Fatalf("WhenCondition(true, true) = %v %v", v, err)
	}
	_, _, err := call(t, r, "WHENCONDITION", bb, true, false)
	wantErr(t, err, "When condition in case is not running lazily!")
	ib := []planner.ArgInfo{col(types.IntegerType), col(types.BooleanType)}
	if v, ret, err := call(t, r, "WHENRESULT", ib, int32(100), true); v != int32(100) || err != nil || !ret.Equal(types.IntegerType) {
		t.Fatalf("WhenResult(100, true) = %v %v %v", v, ret, err)
	}
	_, _, err = call(t, r, "WHENRESULT", ib, int32(200), false)
	wantErr(t, err, "Then expression in case is not running lazily!")
	_, _, err = call(t, r, "WHENRESULT", ib, nil, true)
	wantErr(t, err, "IllegalArgumentException")
	_, err = r.ResolveScalar("WHENRESULT", []planner.ArgInfo{col(types.StringType), col(types.BooleanType)})
	wantErr(t, err, "Function 'WhenResult' does not accept parameters (STRING, BOOLEAN).")
}

// agg resolves an aggregate; args are all the call's arguments.
func agg(t *testing.T, r *functions.Registry, name string, args ...planner.ArgInfo) (functions.AggImpl, *types.Type) {
	t.Helper()
	res, err := r.ResolveAggregate(name, args)
	if err != nil {
		t.Fatalf("%s%s: %v", name, describeArgs(args), err)
	}
	if res.ParamTypes != nil {
		t.Fatalf("%s: UDAFs take no implicit casts, got %v", name, res.ParamTypes)
	}
	return res.Fn.(functions.AggImpl), res.Return
}

// fold adds rows (the non-constant arguments, as the engine passes them)
// and answers the result after each.
func fold(t *testing.T, a functions.AggImpl, rows ...[]types.Value) []types.Value {
	t.Helper()
	acc := a.Init()
	var out []types.Value
	for _, row := range rows {
		var err error
		if acc, err = a.Add(acc, row); err != nil {
			t.Fatal(err)
		}
		v, err := a.Result(acc)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

func row(vs ...types.Value) []types.Value { return vs }

func eqVals(a, b []types.Value) bool { return types.Compare(a, b) == 0 }

func TestVarArg(t *testing.T) {
	r := registry()
	bi, s := types.BigintType, types.StringType
	// VAR_ARG(FIRST, 'hello', '10', '20', SECOND, '3'): the literals are
	// column arguments, passed with every row.
	a, ret := agg(t, r, "VAR_ARG", col(bi), lit(s, "hello"), lit(s, "10"), lit(s, "20"), col(s), lit(s, "3"))
	if !ret.Equal(bi) {
		t.Fatalf("return %v", ret)
	}
	got := fold(t, a, row(int64(6), "hi"), row(nil, "hello"), row(int64(5), nil))
	if !eqVals(got, []types.Value{int64(18), int64(33), int64(48)}) {
		t.Fatalf("VAR_ARG: %v", got)
	}
	if _, ok := a.(functions.ArgsNotRetained); !ok {
		t.Error("VAR_ARG retains no argument")
	}
	if _, ok := a.(functions.Undoer); ok {
		t.Error("VAR_ARG is not a TableUdaf")
	}
	if m, err := a.(functions.Merger).Merge(int64(3), int64(4)); m != int64(7) || err != nil {
		t.Errorf("merge: %v %v", m, err)
	}
	// No variadic arguments at all.
	a, _ = agg(t, r, "VAR_ARG", col(bi))
	if got := fold(t, a, row(int64(6)), row(nil), row(int64(2))); !eqVals(got, []types.Value{int64(6), int64(6), int64(8)}) {
		t.Fatalf("VAR_ARG(FIRST): %v", got)
	}
	// Java's String.length counts UTF-16 units.
	a, _ = agg(t, r, "VAR_ARG", col(bi), col(s))
	if got := fold(t, a, row(nil, "é😀")); got[0] != int64(3) {
		t.Fatalf("UTF-16 length: %v", got)
	}
	_, err := r.ResolveAggregate("VAR_ARG", []planner.ArgInfo{col(s), col(s)})
	wantErr(t, err, "Function 'VAR_ARG' does not accept parameters (STRING, STRING).\nValid alternatives are:\nVAR_ARG(BIGINT, VARCHAR...)")
	// UDAFs take no implicit casts.
	_, err = r.ResolveAggregate("VAR_ARG", []planner.ArgInfo{col(types.IntegerType)})
	wantErr(t, err, "does not accept parameters (INTEGER)")
	// A NULL may be the variadic list or one element of it: UdfIndex
	// finds the function twice and calls that ambiguous.
	_, err = r.ResolveAggregate("VAR_ARG", []planner.ArgInfo{col(bi), nullArg})
	wantErr(t, err, "Function 'VAR_ARG' cannot be resolved due to ambiguous method parameters (BIGINT, null).")
}

func TestMidVarArg(t *testing.T) {
	r := registry()
	bi, s, i := types.BigintType, types.StringType, types.IntegerType
	a, _ := agg(t, r, "MID_VAR_ARG", col(bi), col(s), col(s), col(s), lit(i, int32(7)), lit(i, int32(3)))
	got := fold(t, a, row(int64(6), "hi", "hello", "world"), row(nil, "hello", "hello", "world"), row(int64(5), nil, "hello", "world"))
	if !eqVals(got, []types.Value{int64(28), int64(43), int64(58)}) {
		t.Fatalf("MID_VAR_ARG: %v", got)
	}
	for _, c := range []struct {
		args []planner.ArgInfo
		want string
	}{
		{[]planner.ArgInfo{col(s), col(s), lit(i, int32(2)), lit(i, int32(3))}, "(STRING, STRING, INTEGER, INTEGER)"},
		{[]planner.ArgInfo{col(bi), col(s), col(s), lit(i, int32(3))}, "(BIGINT, STRING, STRING, INTEGER)"},
		{[]planner.ArgInfo{col(bi), col(i), lit(i, int32(3)), lit(i, int32(2))}, "(BIGINT, INTEGER, INTEGER, INTEGER)"},
	} {
		_, err := r.ResolveAggregate("MID_VAR_ARG", c.args)
		wantErr(t, err, "Function 'MID_VAR_ARG' does not accept parameters "+c.want+".")
	}
	// The initial arguments must be literals.
	_, err := r.ResolveAggregate("MID_VAR_ARG", []planner.ArgInfo{col(bi), col(s), col(i), lit(i, int32(3))})
	wantErr(t, err, "Parameter 3 passed to function MID_VAR_ARG must be a literal constant")
}

func TestMultiAndFourArg(t *testing.T) {
	r := registry()
	bi, s, i := types.BigintType, types.StringType, types.IntegerType
	a, _ := agg(t, r, "MULTI_ARG", col(bi), lit(s, "hello"), lit(i, int32(5)), lit(s, "10"), lit(s, "20"), lit(s, "3"))
	if got := fold(t, a, row(int64(6)), row(nil), row(int64(5))); !eqVals(got, []types.Value{int64(21), int64(26), int64(36)}) {
		t.Fatalf("MULTI_ARG: %v", got)
	}
	// Without variadic initial arguments.
	a, _ = agg(t, r, "MULTI_ARG", col(bi), col(s), lit(i, int32(5)))
	if got := fold(t, a, row(int64(1), "ab"), row(nil, nil)); !eqVals(got, []types.Value{int64(8), int64(8)}) {
		t.Fatalf("MULTI_ARG(FIRST, SECOND, 5): %v", got)
	}
	_, err := r.ResolveAggregate("MULTI_ARG", []planner.ArgInfo{col(s), lit(i, int32(5)), lit(s, "10"), lit(s, "20"), lit(s, "3")})
	wantErr(t, err, "Function 'MULTI_ARG' does not accept parameters (STRING, INTEGER, STRING, STRING, STRING).")

	a, _ = agg(t, r, "FOUR_ARG", col(bi), col(s), col(s), col(s), lit(i, int32(5)), lit(s, "10"), lit(s, "20"), lit(s, "3"))
	got := fold(t, a, row(int64(6), "hi", "apples", nil), row(nil, "hello", "bananas", "Venus"))
	if !eqVals(got, []types.Value{int64(24), int64(41)}) {
		t.Fatalf("FOUR_ARG: %v", got)
	}
}

func TestGenericVarArg(t *testing.T) {
	r := registry()
	d51, i, d := types.DecimalOf(5, 1), types.IntegerType, types.DoubleType
	a, ret := agg(t, r, "GENERIC_VAR_ARG", col(d51), col(i), col(d), col(d), col(d))
	if !ret.Equal(types.ArrayOf(d51)) {
		t.Fatalf("return %v", ret)
	}
	got := fold(t, a,
		row(dec("6.1"), int32(5), 1.0, 2.0, 3.0),
		row(nil, int32(5), 1.0, 2.0, 3.0),
		row(dec("5.1"), nil, 1.0, 2.0, 3.0),
		row(dec("2.2"), int32(2), 1.0, 2.0, nil),
		row(dec("3.2"), int32(2), 1.0, 2.0, 3.0))
	if !eqVals(got[4].([]types.Value), []types.Value{dec("6.1"), dec("3.2")}) {
		t.Fatalf("GENERIC_VAR_ARG: %v", got)
	}
	if _, ok := a.(functions.ArgsNotRetained); ok {
		t.Error("GENERIC_VAR_ARG keeps its first argument")
	}
	// Earlier results are not changed by later rows.
	if len(got[0].([]types.Value)) != 1 {
		t.Fatalf("results share their backing array: %v", got)
	}
	m, _ := a.(functions.Merger).Merge([]types.Value{int32(1)}, []types.Value{int32(2)})
	if !eqVals(m.([]types.Value), []types.Value{int32(1), int32(2)}) {
		t.Fatalf("merge: %v", m)
	}
	// The variadic generic C binds to one type: DOUBLE and DECIMAL clash.
	_, err := r.ResolveAggregate("GENERIC_VAR_ARG", []planner.ArgInfo{col(d51), col(i), col(d), col(d51)})
	wantErr(t, err, "Function 'GENERIC_VAR_ARG' does not accept parameters (DECIMAL(5, 1), INTEGER, DOUBLE, DECIMAL(5, 1)).")
	// A map first argument, and constant column arguments.
	mt := types.MapOf(types.StringType, d)
	_, ret = agg(t, r, "GENERIC_VAR_ARG", col(mt), col(i), lit(d, 100.4), col(d), lit(d, 7.0))
	if !ret.Equal(types.ArrayOf(mt)) {
		t.Fatalf("return %v", ret)
	}
	a, _ = agg(t, r, "GENERIC_VAR_ARG", col(d), col(i), lit(d, 100.4), col(d), lit(d, 7.0))
	if got := fold(t, a, row(2.5, int32(1), 3.0), row(1.5, int32(1), nil)); !eqVals(got[1].([]types.Value), []types.Value{2.5}) {
		t.Fatalf("constant column arguments: %v", got)
	}
}

func TestObjColArg(t *testing.T) {
	r := registry()
	i, bi := types.IntegerType, types.BigintType
	st := types.StructOf(types.Field{Name: "A", Type: i})
	a, ret := agg(t, r, "OBJ_COL_ARG", col(i), col(bi), col(types.BooleanType), col(types.DecimalOf(5, 1)), col(types.ArrayOf(i)), col(st))
	if !ret.Equal(types.ArrayOf(i)) {
		t.Fatalf("return %v", ret)
	}
	got := fold(t, a,
		row(int32(6), int64(5), true, dec("3.2"), []types.Value{int32(1)}, &types.StructValue{Type: st, Vals: []types.Value{nil}}),
		row(int32(2), int64(5), nil, dec("3.2"), []types.Value{}, nil),
		row(int32(3), int64(5), false, dec("3.2"), []types.Value{nil}, &types.StructValue{Type: st, Vals: []types.Value{int32(1)}}))
	if !eqVals(got[2].([]types.Value), []types.Value{int32(6), int32(3)}) {
		t.Fatalf("OBJ_COL_ARG: %v", got)
	}
	a, _ = agg(t, r, "OBJ_COL_ARG", col(i))
	if got := fold(t, a, row(int32(6)), row(nil), row(int32(5))); !eqVals(got[2].([]types.Value), []types.Value{int32(6), int32(5)}) {
		t.Fatalf("OBJ_COL_ARG(FIRST): %v", got)
	}
	_, err := r.ResolveAggregate("OBJ_COL_ARG", []planner.ArgInfo{col(bi)})
	wantErr(t, err, "Function 'OBJ_COL_ARG' does not accept parameters (BIGINT).\nValid alternatives are:\nOBJ_COL_ARG(INT, ANY...)")
}

func TestTestUdaf(t *testing.T) {
	r := registry()
	bi := types.BigintType
	// createSumLong: a TableUdaf.
	a, ret := agg(t, r, "TEST_UDAF", col(bi))
	if !ret.Equal(bi) {
		t.Fatalf("return %v", ret)
	}
	acc, _ := a.Add(a.Init(), row(int64(2)))
	acc, _ = a.Add(acc, row(int64(3)))
	acc, err := a.(functions.Undoer).Undo(acc, row(int64(2)))
	if acc != int64(3) || err != nil {
		t.Fatalf("undo: %v %v", acc, err)
	}
	if _, err := a.Add(acc, row(nil)); err == nil {
		t.Fatal("adding NULL to a long sum: want a NullPointerException")
	}
	// createSumInt: a Configurable TableUdaf answering BIGINT.
	a, ret = agg(t, r, "TEST_UDAF", col(types.IntegerType))
	if !ret.Equal(bi) {
		t.Fatalf("return %v", ret)
	}
	if got := fold(t, a, row(int32(2)), row(int32(5))); !eqVals(got, []types.Value{int64(2), int64(7)}) {
		t.Fatalf("sum int: %v", got)
	}
	cfg := a.(functions.ConfigurableAgg).Configure(map[string]any{"ksql.functions.test_udaf.init": "10"})
	if cfg.Init() != int64(10) {
		t.Fatalf("configured init: %v", cfg.Init())
	}
	if _, ok := cfg.(functions.Undoer); !ok {
		t.Fatal("configured SumIntUdaf lost undo")
	}
	// createSumDouble: no undo.
	a, ret = agg(t, r, "TEST_UDAF", col(types.DoubleType))
	if _, ok := a.(functions.Undoer); ok || !ret.Equal(types.DoubleType) {
		t.Fatalf("sum double: undo or return %v", ret)
	}
	// createSumLengthString(initialString).
	a, _ = agg(t, r, "TEST_UDAF", col(types.StringType), lit(types.StringType, "abc"))
	if got := fold(t, a, row("hello")); got[0] != int64(8) {
		t.Fatalf("sum length: %v", got)
	}
	// createStructUdaf.
	a, ret = agg(t, r, "TEST_UDAF", col(structABType))
	if !ret.Equal(structABType) {
		t.Fatalf("return %v", ret)
	}
	ab := func(x, y int32) *types.StructValue {
		return &types.StructValue{Type: structABType, Vals: []types.Value{x, y}}
	}
	got := fold(t, a, row(ab(1, 2)), row(ab(2, 3)))
	if types.String(got[0]) != "Struct{A=1,B=2}" || types.String(got[1]) != "Struct{A=3,B=5}" {
		t.Fatalf("struct: %v", got)
	}
	// createSumT takes the other types, then refuses them.
	_, err = r.ResolveAggregate("TEST_UDAF", []planner.ArgInfo{col(types.DecimalOf(5, 1))})
	wantErr(t, err, "Type DECIMAL(5, 1) is not handled.")
	_, err = r.ResolveAggregate("TEST_UDAF", []planner.ArgInfo{col(types.StringType)})
	wantErr(t, err, "Type STRING is not handled.")
	// NULL fits every single-parameter factory equally well.
	_, err = r.ResolveAggregate("TEST_UDAF", []planner.ArgInfo{col(types.NullType)})
	wantErr(t, err, "ambiguous method parameters (null)")
}

// udtf resolves a table function and runs it over vals.
func udtf(t *testing.T, r *functions.Registry, name string, args []planner.ArgInfo, vals ...types.Value) ([]types.Value, *types.Type, error) {
	t.Helper()
	res, err := r.ResolveTable(name, args)
	if err != nil {
		t.Fatalf("%s%s: %v", name, describeArgs(args), err)
	}
	out, err := res.Fn.(*functions.TableImpl).Eval(vals)
	return out, res.Return, err
}

func TestTestUdtf(t *testing.T) {
	r := registry()
	d2010 := types.DecimalOf(20, 10)
	bar := structA("bar")
	want := []types.Value{"1", "2", "3.1", "true", "foo", "123.4560000000", "Struct{A=bar}"}
	arr := func(t *types.Type) planner.ArgInfo { return col(types.ArrayOf(t)) }
	one := func(v types.Value) types.Value { return []types.Value{v} }
	d := dec("123.4560000000")
	got, ret, err := udtf(t, r, "TEST_UDTF",
		[]planner.ArgInfo{arr(types.IntegerType), arr(types.BigintType), arr(types.DoubleType), arr(types.BooleanType), arr(types.StringType), arr(d2010), arr(structAType)},
		one(int32(1)), one(int64(2)), one(3.1), one(true), one("foo"), one(d), one(bar))
	if err != nil || !eqVals(got, want) || !ret.Equal(types.StringType) {
		t.Fatalf("array params: %v %v %v", got, ret, err)
	}
	mp := func(t *types.Type) planner.ArgInfo { return col(types.MapOf(types.StringType, t)) }
	kv := func(v types.Value) types.Value {
		return &types.MapValue{Keys: []types.Value{"k"}, Vals: []types.Value{v}}
	}
	mapArgs := []planner.ArgInfo{mp(types.IntegerType), mp(types.BigintType), mp(types.DoubleType), mp(types.BooleanType), mp(types.StringType), mp(d2010), mp(structAType)}
	got, _, err = udtf(t, r, "TEST_UDTF", mapArgs, kv(int32(1)), kv(int64(2)), kv(3.1), kv(true), kv("foo"), kv(d), kv(bar))
	if err != nil || !eqVals(got, want) {
		t.Fatalf("map params: %v %v", got, err)
	}
	// An empty map, a NULL string value: Java exceptions.
	_, _, err = udtf(t, r, "TEST_UDTF", mapArgs, &types.MapValue{}, kv(int64(2)), kv(3.1), kv(true), kv("foo"), kv(d), kv(bar))
	wantErr(t, err, "NoSuchElementException")
	_, _, err = udtf(t, r, "TEST_UDTF", mapArgs, kv(int32(1)), kv(int64(2)), kv(3.1), kv(true), kv(nil), kv(d), kv(bar))
	wantErr(t, err, "NullPointerException")
	// A NULL element of a list is String.valueOf'd.
	got, _, err = udtf(t, r, "TEST_UDTF", mapArgs, kv(nil), kv(int64(2)), kv(3.1), kv(true), kv("foo"), kv(d), kv(bar))
	if err != nil || got[0] != "null" {
		t.Fatalf("NULL element: %v %v", got, err)
	}
	// The standard parameters, with INT widened to BIGINT by a cast.
	std := []planner.ArgInfo{col(types.IntegerType), col(types.IntegerType), col(types.DoubleType), col(types.BooleanType), col(types.StringType), col(d2010), col(structAType)}
	res, err := r.ResolveTable("TEST_UDTF", std)
	if err != nil || res.ParamTypes == nil || !res.ParamTypes[1].Equal(types.BigintType) {
		t.Fatalf("standardParams: %+v %v", res, err)
	}
	got, _, _ = udtf(t, r, "TEST_UDTF", std, int32(1), int64(2), 1e10, false, "s", dec("0.0000001"), bar)
	if !eqVals(got, []types.Value{"1", "2", "1.0E10", "false", "s", "1E-7", "Struct{A=bar}"}) {
		t.Fatalf("standardParams: %v", got)
	}
	_, _, err = udtf(t, r, "TEST_UDTF", std, nil, int64(2), 1e10, false, "s", d, bar)
	wantErr(t, err, "IllegalArgumentException")
	// Single-parameter methods return their argument in a list.
	for _, c := range []struct {
		t   *types.Type
		v   types.Value
		ret *types.Type
	}{
		{types.IntegerType, int32(1), types.IntegerType},
		{types.BigintType, int64(1), types.BigintType},
		{types.DoubleType, 1.5, types.DoubleType},
		{types.BooleanType, true, types.BooleanType},
		{types.StringType, "x", types.StringType},
		{structAType, bar, structAType},
	} {
		got, ret, err := udtf(t, r, "TEST_UDTF", []planner.ArgInfo{col(c.t)}, c.v)
		if err != nil || !eqVals(got, []types.Value{c.v}) || !ret.Equal(c.ret) {
			t.Errorf("TEST_UDTF(%v) = %v %v %v", c.t, got, ret, err)
		}
	}
	got, ret, err = udtf(t, r, "TEST_UDTF", []planner.ArgInfo{col(types.DecimalOf(5, 2))}, dec("1.23"))
	if err != nil || !ret.Equal(types.DecimalOf(30, 10)) || types.String(got[0]) != "1.2300000000" {
		t.Fatalf("decimal: %v %v %v", got, ret, err)
	}
	_, _, err = udtf(t, r, "TEST_UDTF", []planner.ArgInfo{col(types.StringType)}, nil)
	wantErr(t, err, "NullPointerException")
	_, err = r.ResolveTable("TEST_UDTF", []planner.ArgInfo{col(types.BytesType)})
	wantErr(t, err, "Function 'test_udtf' does not accept parameters (BYTES).")
}

func TestThrowingUdtf(t *testing.T) {
	r := registry()
	args := []planner.ArgInfo{col(types.BooleanType)}
	got, ret, err := udtf(t, r, "THROWING_UDTF", args, false)
	if err != nil || !eqVals(got, []types.Value{false}) || !ret.Equal(types.BooleanType) {
		t.Fatalf("false: %v %v %v", got, ret, err)
	}
	_, _, err = udtf(t, r, "THROWING_UDTF", args, true)
	wantErr(t, err, "You asked me to throw...")
	_, _, err = udtf(t, r, "THROWING_UDTF", args, nil)
	wantErr(t, err, "IllegalArgumentException")
}

// The built-in registry has none of these functions.
func TestNotBuiltIn(t *testing.T) {
	r := functions.New()
	for _, n := range []string{"TEST_UDF", "BAD_UDF", "WHENCONDITION", "WHENRESULT", "TEST_UDAF", "VAR_ARG", "MID_VAR_ARG",
		"MULTI_ARG", "FOUR_ARG", "GENERIC_VAR_ARG", "OBJ_COL_ARG", "TEST_UDTF", "THROWING_UDTF"} {
		if r.Kind(n) != planner.UnknownFunc {
			t.Errorf("%s is built in", n)
		}
	}
}

// Only the conformance runner registers these functions: no other
// package of the module imports this one.
func TestOnlyTheRunnerImports(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}: {{join .Imports " "}}`, "github.com/ksqlgo/ksql/...").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	const self = "github.com/ksqlgo/ksql/engine/qtt/testfuncs"
	for _, line := range strings.Split(string(out), "\n") {
		pkg, imports, _ := strings.Cut(line, ": ")
		for _, imp := range strings.Fields(imports) {
			if imp == self && pkg != "github.com/ksqlgo/ksql/engine/qtt" {
				t.Errorf("%s imports %s; only engine/qtt may", pkg, self)
			}
		}
	}
}

func TestComplexIntermediate(t *testing.T) {
	r := registry()
	i := col(types.IntegerType)
	for name, want := range map[string]bool{"GENERIC_VAR_ARG": true, "OBJ_COL_ARG": true, "VAR_ARG": false, "TEST_UDAF": false} {
		args := []planner.ArgInfo{i, i, i}
		switch name {
		case "VAR_ARG", "TEST_UDAF":
			args = []planner.ArgInfo{col(types.BigintType)}
		}
		res, err := r.ResolveAggregate(name, args)
		if err != nil || res.ComplexIntermediate != want {
			t.Errorf("%s: complex intermediate %v (%v), want %v", name, res.ComplexIntermediate, err, want)
		}
	}
}
