package functions

import (
	"math"
	"strings"
	"testing"

	"github.com/ksqlgo/ksql/planner"
	"github.com/ksqlgo/ksql/sql/types"
)

var (
	ntI32 = types.IntegerType
	ntI64 = types.BigintType
	ntF64 = types.DoubleType
	ntStr = types.StringType
)

func TestNumReturnTypes(t *testing.T) {
	cases := []struct {
		name string
		args []*types.Type
		ret  string
	}{
		{"ABS", []*types.Type{ntI32}, "INTEGER"},
		{"ABS", []*types.Type{ntI64}, "BIGINT"},
		{"ABS", []*types.Type{ntF64}, "DOUBLE"},
		{"ABS", []*types.Type{types.DecimalOf(2, 1)}, "DECIMAL(2, 1)"},
		{"CEIL", []*types.Type{ntI32}, "INTEGER"},
		{"CEIL", []*types.Type{types.DecimalOf(2, 1)}, "DECIMAL(2, 1)"},
		{"FLOOR", []*types.Type{ntI64}, "BIGINT"},
		{"FLOOR", []*types.Type{ntF64}, "DOUBLE"},
		{"ROUND", []*types.Type{ntI32}, "BIGINT"},
		{"ROUND", []*types.Type{ntF64}, "BIGINT"},
		{"ROUND", []*types.Type{ntF64, ntI32}, "DOUBLE"},
		{"ROUND", []*types.Type{types.DecimalOf(33, 16)}, "DECIMAL(17, 0)"},
		{"ROUND", []*types.Type{types.DecimalOf(33, 16), ntI32}, "DECIMAL(33, 16)"},
		{"TRUNC", []*types.Type{ntF64}, "BIGINT"},
		{"TRUNC", []*types.Type{types.DecimalOf(5, 2)}, "DECIMAL(3, 0)"},
		{"SIGN", []*types.Type{ntF64}, "INTEGER"},
		{"SIGN", []*types.Type{types.DecimalOf(5, 2)}, "INTEGER"},
		{"SQRT", []*types.Type{ntI32}, "DOUBLE"},
		{"SQRT", []*types.Type{types.DecimalOf(5, 2)}, "DOUBLE"},
		{"POWER", []*types.Type{ntI32, ntI32}, "DOUBLE"},
		{"ATAN2", []*types.Type{ntI32, ntF64}, "DOUBLE"},
		{"LOG", []*types.Type{ntI64}, "DOUBLE"},
		{"LOG", []*types.Type{ntI64, ntI64}, "DOUBLE"},
		{"PI", nil, "DOUBLE"},
		{"RANDOM", nil, "DOUBLE"},
		{"GEO_DISTANCE", []*types.Type{ntF64, ntF64, ntF64, ntF64}, "DOUBLE"},
		{"GEO_DISTANCE", []*types.Type{ntI32, ntF64, ntF64, ntF64, ntStr}, "DOUBLE"},
	}
	for _, c := range cases {
		f := ntResolveScalar(t, c.name, ntArgs(c.args...)...)
		if got := f.ret.String(); got != c.ret {
			t.Errorf("%s%v: return %s, want %s", c.name, c.args, got, c.ret)
		}
	}
	if _, err := ntRegistry().ResolveScalar("ABS", ntArgs(ntStr)); err == nil ||
		!strings.HasPrefix(err.Error(), "Function 'abs' does not accept parameters (STRING).") {
		t.Errorf("ABS(STRING): %v", err)
	}
}

// From qtt/math.json.
func TestNumMathConformance(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	type row struct{ i, l, d, want types.Value }
	cases := []struct {
		fn   string
		rows []struct{ in, want []types.Value }
	}{}
	_ = cases
	unary := []struct {
		fn   string
		in   []types.Value // INT, BIGINT, DOUBLE inputs
		want []types.Value // expected per input
	}{
		{"EXP", []types.Value{int32(-1), int64(-2), -3.0}, []types.Value{0.36787944117144233, 0.1353352832366127, 0.049787068367863944}},
		{"EXP", []types.Value{int32(0), int64(0), 0.0}, []types.Value{1.0, 1.0, 1.0}},
		{"EXP", []types.Value{int32(1), int64(2), 3.0}, []types.Value{2.718281828459045, 7.38905609893065, 20.085536923187668}},
		{"LN", []types.Value{int32(-1), int64(-2), -3.0}, []types.Value{nan, nan, nan}},
		{"LN", []types.Value{int32(0), int64(0), 0.0}, []types.Value{-inf, -inf, -inf}},
		{"LN", []types.Value{int32(1), int64(2), 3.0}, []types.Value{0.0, 0.6931471805599453, 1.0986122886681098}},
		{"LOG", []types.Value{int32(-13), int64(-13), -13.0}, []types.Value{nan, nan, nan}},
		{"LOG", []types.Value{int32(13), int64(13), 13.0}, []types.Value{2.5649493574615367, 2.5649493574615367, 2.5649493574615367}},
		{"SIGN", []types.Value{int32(-1), int64(-2), -3.0}, []types.Value{int32(-1), int32(-1), int32(-1)}},
		{"SIGN", []types.Value{int32(0), int64(0), 0.0}, []types.Value{int32(0), int32(0), int32(0)}},
		{"SIGN", []types.Value{int32(1), int64(2), 3.0}, []types.Value{int32(1), int32(1), int32(1)}},
		{"ABS", []types.Value{int32(-1), int64(-2), -3.1}, []types.Value{int32(1), int64(2), 3.1}},
		{"ACOS", []types.Value{int32(-2), int64(-6), -1.1}, []types.Value{nan, nan, nan}},
		{"ASIN", []types.Value{int32(2), int64(6), 1.1}, []types.Value{nan, nan, nan}},
		{"COT", []types.Value{int32(0), int64(0), 0.0}, []types.Value{inf, inf, inf}},
		{"CEIL", []types.Value{int32(1), int64(1), 1.1}, []types.Value{int32(1), int64(1), 2.0}},
		{"CEIL", []types.Value{int32(-1), int64(-1), -1.7}, []types.Value{int32(-1), int64(-1), -1.0}},
		{"FLOOR", []types.Value{int32(1), int64(1), 1.7}, []types.Value{int32(1), int64(1), 1.0}},
		{"FLOOR", []types.Value{int32(-1), int64(-1), -1.1}, []types.Value{int32(-1), int64(-1), -2.0}},
		{"TRUNC", []types.Value{int32(-1), int64(2147483648), -1.7}, []types.Value{int64(-1), int64(2147483648), int64(-1)}},
	}
	argTypes := []*types.Type{ntI32, ntI64, ntF64}
	for _, c := range unary {
		for i, in := range c.in {
			f := ntResolveScalar(t, c.fn, ntArg(argTypes[i]))
			got := f.must(t, in)
			if !ntEqual(got, c.want[i]) {
				t.Errorf("%s(%v %T) = %v (%T), want %v", c.fn, in, in, got, got, c.want[i])
			}
			if null := f.must(t, nil); null != nil {
				t.Errorf("%s(NULL) = %v", c.fn, null)
			}
		}
	}
	_ = row{}

	// round(fn(x), 13) cases.
	rounded := []struct {
		fn   string
		in   types.Value
		want float64
	}{
		{"ACOS", -0.43, 2.0152891037307}, {"ACOS", int32(-1), 3.1415926535898}, {"ACOS", int64(1), 0.0},
		{"ASIN", -0.43, -0.4444927769358}, {"ATAN", int64(-6), -1.4056476493803}, {"ATAN", 1.1, 0.8329812666744},
		{"SIN", int32(-7), -0.6569865987188}, {"SIN", -9.1, -0.3190983623494}, {"SIN", 0.43, 0.4168708024292},
		{"TAN", int32(-7), -0.8714479827243}, {"TAN", -9.1, 0.3367005264329}, {"TAN", 0.43, 0.4586210234856},
		{"COT", int32(-7), -1.1475154224051}, {"COT", -9.1, 2.9699983263892}, {"COT", int64(6), -3.4363530041801},
		{"COSH", int32(-7), 548.317035155212}, {"COSH", -9.1, 4477.646407574158}, {"COSH", 0.43, 1.0938833091358},
		{"SINH", int32(-7), -548.3161232732465}, {"SINH", -9.1, -4477.64629590835}, {"SINH", 0.43, 0.4433742144125},
		{"TANH", int32(-7), -0.9999983369439}, {"TANH", -9.1, -0.9999999750615}, {"TANH", -0.43, -0.4053213086895},
		{"RADIANS", int32(-114), -1.9896753472735}, {"RADIANS", 70.73163980890013, 1.2345},
	}
	round := ntResolveScalar(t, "ROUND", ntArg(ntF64), ntArg(ntI32))
	for _, c := range rounded {
		f := ntResolveScalar(t, c.fn, ntArg(types.Primitive(types.KindOf(c.in))))
		got := round.must(t, f.must(t, c.in), int32(13))
		if got != c.want {
			t.Errorf("round(%s(%v), 13) = %v, want %v", c.fn, c.in, got, c.want)
		}
	}

	binary := []struct {
		fn   string
		a, b types.Value
		want types.Value
	}{
		{"POWER", int32(15), int32(-1), 0.06666666666666667},
		{"POWER", int64(15), int64(0), 1.0},
		{"POWER", 0.0, 0.0, 1.0},
		{"POWER", int32(15), int32(13), 1946195068359375.0},
		{"POWER", -15.0, 2.0, 225.0},
		{"LOG", int32(15), int32(13), 0.9471572411831843},
		{"LOG", int64(15), int64(1), 0.0},
		{"LOG", 15.0, 0.0, -inf},
		{"LOG", int32(15), int32(-13), nan},
		{"LOG", int32(-15), int32(13), nan},
		{"LOG", 0.0, 13.0, nan},
		{"LOG", int64(1), int64(13), nan},
		{"ATAN2", int32(1), int32(1), math.Pi / 4},
	}
	for _, c := range binary {
		ta, tb := types.Primitive(types.KindOf(c.a)), types.Primitive(types.KindOf(c.b))
		f := ntResolveScalar(t, c.fn, ntArg(ta), ntArg(tb))
		if got := f.must(t, c.a, c.b); !ntEqual(got, c.want) {
			t.Errorf("%s(%v, %v) = %v, want %v", c.fn, c.a, c.b, got, c.want)
		}
		if got := f.must(t, nil, c.b); got != nil {
			t.Errorf("%s(NULL, %v) = %v", c.fn, c.b, got)
		}
	}
}

func TestNumDecimalCeilFloorAbs(t *testing.T) {
	dt := types.DecimalOf(2, 1)
	ceil := ntResolveScalar(t, "CEIL", ntArg(dt))
	floor := ntResolveScalar(t, "FLOOR", ntArg(dt))
	abs := ntResolveScalar(t, "ABS", ntArg(dt))
	cases := []struct{ in, ceil, floor, abs string }{
		{"0.0", "0.0", "0.0", "0.0"},
		{"1.1", "2.0", "1.0", "1.1"},
		{"1.5", "2.0", "1.0", "1.5"},
		{"-1.1", "-1.0", "-2.0", "1.1"},
		{"-1.7", "-1.0", "-2.0", "1.7"},
		{"-2.0", "-2.0", "-2.0", "2.0"},
		{"-3.2", "-3.0", "-4.0", "3.2"},
	}
	for _, c := range cases {
		in := ntDec(c.in)
		if got := ceil.must(t, in).(types.Dec).String(); got != c.ceil {
			t.Errorf("CEIL(%s) = %s, want %s", c.in, got, c.ceil)
		}
		if got := floor.must(t, in).(types.Dec).String(); got != c.floor {
			t.Errorf("FLOOR(%s) = %s, want %s", c.in, got, c.floor)
		}
		if got := abs.must(t, in).(types.Dec).String(); got != c.abs {
			t.Errorf("ABS(%s) = %s, want %s", c.in, got, c.abs)
		}
	}
}

// From qtt/math.json "round" and "trunc - double".
func TestNumRoundTruncDouble(t *testing.T) {
	type exp struct {
		r0                           int64
		r00, r1, r2, r10, m1r, m2r   float64
		t0                           int64
		t00, t1, t2, t10, tm1r, tm2r float64
	}
	cases := []struct {
		v float64
		e exp
	}{
		{1.2, exp{1, 1.0, 1.2, 1.2, 1.2, 0, 0, 1, 1.0, 1.2, 1.2, 1.2, 0, 0}},
		{1.7, exp{2, 2.0, 1.7, 1.7, 1.7, 0, 0, 1, 1.0, 1.7, 1.7, 1.7, 0, 0}},
		{1.5, exp{2, 2.0, 1.5, 1.5, 1.5, 0, 0, 1, 1.0, 1.5, 1.5, 1.5, 0, 0}},
		{3, exp{3, 3.0, 3.0, 3.0, 3.0, 0, 0, 3, 3.0, 3.0, 3.0, 3.0, 0, 0}},
		{1.234567, exp{1, 1.0, 1.2, 1.23, 1.234567, 0, 0, 1, 1.0, 1.2, 1.23, 1.234567, 0, 0}},
		{0, exp{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
		{111, exp{111, 111, 111, 111, 111, 110, 100, 111, 111, 111, 111, 111, 110, 100}},
		{-1.1, exp{-1, -1.0, -1.1, -1.1, -1.1, 0, 0, -1, -1.0, -1.1, -1.1, -1.1, 0, 0}},
		{-1.5, exp{-1, -1.0, -1.5, -1.5, -1.5, 0, 0, -1, -1.0, -1.5, -1.5, -1.5, 0, 0}},
		{-1.7, exp{-2, -2.0, -1.7, -1.7, -1.7, 0, 0, -1, -1.0, -1.7, -1.7, -1.7, 0, 0}},
		{12345.678, exp{12346, 12346, 12345.7, 12345.68, 12345.678, 12350, 12300, 12345, 12345, 12345.6, 12345.67, 12345.678, 12340, 12300}},
		{-12345.678, exp{-12346, -12346, -12345.7, -12345.68, -12345.678, -12350, -12300, -12345, -12345, -12345.6, -12345.67, -12345.678, -12340, -12300}},
	}
	r1 := ntResolveScalar(t, "ROUND", ntArg(ntF64))
	r2 := ntResolveScalar(t, "ROUND", ntArg(ntF64), ntArg(ntI32))
	t1 := ntResolveScalar(t, "TRUNC", ntArg(ntF64))
	t2 := ntResolveScalar(t, "TRUNC", ntArg(ntF64), ntArg(ntI32))
	for _, c := range cases {
		e := c.e
		if got := r1.must(t, c.v); got != e.r0 {
			t.Errorf("ROUND(%v) = %v, want %v", c.v, got, e.r0)
		}
		if got := t1.must(t, c.v); got != e.t0 {
			t.Errorf("TRUNC(%v) = %v, want %v", c.v, got, e.t0)
		}
		for _, p := range []struct {
			places int32
			r, tr  float64
		}{{0, e.r00, e.t00}, {1, e.r1, e.t1}, {2, e.r2, e.t2}, {10, e.r10, e.t10}, {-1, e.m1r, e.tm1r}, {-2, e.m2r, e.tm2r}} {
			if got := r2.must(t, c.v, p.places); got != p.r {
				t.Errorf("ROUND(%v, %d) = %v, want %v", c.v, p.places, got, p.r)
			}
			if got := t2.must(t, c.v, p.places); got != p.tr {
				t.Errorf("TRUNC(%v, %d) = %v, want %v", c.v, p.places, got, p.tr)
			}
		}
	}
	// Math.round edge cases.
	for _, c := range []struct {
		v    float64
		want int64
	}{{0.49999999999999994, 0}, {-0.5, 0}, {2.5, 3}, {-2.5, -2}, {math.NaN(), 0}, {math.Inf(1), math.MaxInt64}, {1e300, math.MaxInt64}} {
		if got := r1.must(t, c.v); got != c.want {
			t.Errorf("ROUND(%v) = %v, want %v", c.v, got, c.want)
		}
	}
	if _, err := r2.call(t, math.NaN(), int32(1)); err == nil {
		t.Errorf("ROUND(NaN, 1) should fail")
	}
	ri := ntResolveScalar(t, "ROUND", ntArg(ntI32))
	if got := ri.must(t, int32(7)); got != int64(7) {
		t.Errorf("ROUND(INT 7) = %v", got)
	}
}

// From qtt/math.json "round with large DECIMAL values".
func TestNumRoundDecimal(t *testing.T) {
	dt := types.DecimalOf(33, 16)
	v := ntDec("12345678987654321.2345678987654321")
	r0 := ntResolveScalar(t, "ROUND", ntArg(dt))
	rn := ntResolveScalar(t, "ROUND", ntArg(dt), ntArg(ntI32))
	if got := r0.must(t, v).(types.Dec).String(); got != "12345678987654321" {
		t.Errorf("ROUND(dec) = %s", got)
	}
	want := map[int32]string{
		0:  "12345678987654321.0000000000000000",
		1:  "12345678987654321.2000000000000000",
		2:  "12345678987654321.2300000000000000",
		10: "12345678987654321.2345678988000000",
		-1: "12345678987654320.0000000000000000",
		-2: "12345678987654300.0000000000000000",
	}
	for places, w := range want {
		if got := rn.must(t, v, places).(types.Dec).String(); got != w {
			t.Errorf("ROUND(dec, %d) = %s, want %s", places, got, w)
		}
	}
	// Ties: away from zero for positives, towards zero for negatives.
	d21 := types.DecimalOf(2, 1)
	r := ntResolveScalar(t, "ROUND", ntArg(d21))
	tr := ntResolveScalar(t, "TRUNC", ntArg(d21))
	for in, w := range map[string][2]string{"1.5": {"2", "1"}, "-1.5": {"-1", "-1"}, "-1.6": {"-2", "-1"}, "0.4": {"0", "0"}} {
		if got := r.must(t, ntDec(in)).(types.Dec).String(); got != w[0] {
			t.Errorf("ROUND(%s) = %s, want %s", in, got, w[0])
		}
		if got := tr.must(t, ntDec(in)).(types.Dec).String(); got != w[1] {
			t.Errorf("TRUNC(%s) = %s, want %s", in, got, w[1])
		}
	}
	tn := ntResolveScalar(t, "TRUNC", ntArg(dt), ntArg(ntI32))
	if got := tn.must(t, v, int32(2)).(types.Dec).String(); got != "12345678987654321.2300000000000000" {
		t.Errorf("TRUNC(dec, 2) = %s", got)
	}
}

// From qtt/geodistance.json.
func TestNumGeoDistance(t *testing.T) {
	f := ntResolveScalar(t, "GEO_DISTANCE", ntArgs(ntF64, ntF64, ntF64, ntF64)...)
	cases := []struct{ lat1, lon1, lat2, lon2, want float64 }{
		{37.4439, -122.1663, 51.5257, -0.1122, 8634.659796579544},
		{51.5257, -0.1122, -33.9323, 18.4197, 9673.40421197142},
		{-33.9323, 18.4197, -33.8666, 151.1, 11005.23304055582},
		{39.18660374, -76.73262144, 39.18660374, -76.73222145, 0.03447366811448324},
	}
	for _, c := range cases {
		got := f.must(t, c.lat1, c.lon1, c.lat2, c.lon2).(float64)
		if !ntClose(got, c.want) {
			t.Errorf("GEO_DISTANCE(%v, %v, %v, %v) = %v, want %v", c.lat1, c.lon1, c.lat2, c.lon2, got, c.want)
		}
	}
	mi := ntResolveScalar(t, "GEO_DISTANCE", ntArgs(ntF64, ntF64, ntF64, ntF64, ntStr)...)
	got := mi.must(t, 37.4439, -122.1663, 51.5257, -0.1122, "MI").(float64)
	if !ntClose(got, 8634.659796579544*3959/6371) {
		t.Errorf("GEO_DISTANCE miles = %v", got)
	}
	if got := mi.must(t, 37.4439, -122.1663, 51.5257, -0.1122, nil).(float64); !ntClose(got, 8634.659796579544) {
		t.Errorf("GEO_DISTANCE with NULL units = %v", got)
	}
	if got := mi.must(t, nil, -122.1663, 51.5257, -0.1122, "km"); got != nil {
		t.Errorf("GEO_DISTANCE with NULL latitude = %v", got)
	}
	if _, err := mi.call(t, 37.0, 1.0, 2.0, 3.0, "parsecs"); err == nil {
		t.Errorf("bad units should fail")
	}
	if _, err := f.call(t, 91.0, 1.0, 2.0, 3.0); err == nil {
		t.Errorf("bad latitude should fail")
	}
}

func TestNumPiRandom(t *testing.T) {
	if got := ntResolveScalar(t, "PI").must(t); got != math.Pi {
		t.Errorf("PI() = %v", got)
	}
	r := ntResolveScalar(t, "RANDOM")
	for i := 0; i < 100; i++ {
		v := r.must(t).(float64)
		if v < 0 || v >= 1 {
			t.Fatalf("RANDOM() = %v", v)
		}
	}
	_ = planner.ArgInfo{}
}

func TestNumRoundExtremePlaces(t *testing.T) {
	r2 := ntResolveScalar(t, "ROUND", ntArg(ntF64), ntArg(ntI32))
	t2 := ntResolveScalar(t, "TRUNC", ntArg(ntF64), ntArg(ntI32))
	rd := ntResolveScalar(t, "ROUND", ntArg(types.DecimalOf(5, 2)), ntArg(ntI32))
	for _, places := range []int32{math.MaxInt32, math.MinInt32, 400, -400} {
		want := 123.45
		if places < 0 {
			want = 0
		}
		if got := r2.must(t, 123.45, places); got != want {
			t.Errorf("ROUND(123.45, %d) = %v", places, got)
		}
		if got := t2.must(t, 123.45, places); got != want {
			t.Errorf("TRUNC(123.45, %d) = %v", places, got)
		}
		wantDec := "123.45"
		if places < 0 {
			wantDec = "0.00"
		}
		if got := rd.must(t, ntDec("123.45"), places).(types.Dec).String(); got != wantDec {
			t.Errorf("ROUND(DEC 123.45, %d) = %v", places, got)
		}
	}
	// Rounding up into a new digit to the left of the point.
	if got := r2.must(t, 96.0, int32(-2)); got != 100.0 {
		t.Errorf("ROUND(96, -2) = %v", got)
	}
	if got := r2.must(t, 5.0, int32(-1)); got != 10.0 {
		t.Errorf("ROUND(5, -1) = %v", got)
	}
	if got := r2.must(t, -5.0, int32(-1)); got != 0.0 {
		t.Errorf("ROUND(-5, -1) = %v", got)
	}
}
