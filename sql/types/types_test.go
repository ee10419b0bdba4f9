package types

import (
	"math"
	"testing"
)

func TestFormatDoubleLikeJava(t *testing.T) {
	cases := []struct {
		f    float64
		want string
	}{
		{0, "0.0"}, {math.Copysign(0, -1), "-0.0"}, {1, "1.0"}, {-1.5, "-1.5"}, {0.1, "0.1"},
		{100, "100.0"}, {1234567, "1234567.0"}, {1e7, "1.0E7"}, {12345678.9, "1.23456789E7"},
		{0.001, "0.001"}, {0.0001, "1.0E-4"}, {1.0e-10, "1.0E-10"}, {math.NaN(), "NaN"},
		{math.Inf(1), "Infinity"}, {math.Inf(-1), "-Infinity"}, {1.6666666666666667, "1.6666666666666667"},
	}
	for _, c := range cases {
		if got := FormatDouble(c.f); got != c.want {
			t.Errorf("FormatDouble(%v) = %q, want %q", c.f, got, c.want)
		}
	}
}

func mustDec(t *testing.T, s string) Dec {
	t.Helper()
	d, err := ParseDec(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDecimalArithmetic(t *testing.T) {
	a, b := mustDec(t, "10.50"), mustDec(t, "-3.1")
	if got := a.Add(b).String(); got != "7.40" {
		t.Errorf("add = %s", got)
	}
	if got := a.Sub(b).String(); got != "13.60" {
		t.Errorf("sub = %s", got)
	}
	if got := a.Mul(b).String(); got != "-32.550" {
		t.Errorf("mul = %s", got)
	}
	q, err := a.Div(b, 6)
	if err != nil || q.String() != "-3.387097" {
		t.Errorf("div = %s, %v", q, err)
	}
	if _, err := a.Div(mustDec(t, "0"), 2); err == nil {
		t.Error("division by zero accepted")
	}
	r, _ := a.Rem(mustDec(t, "3"))
	if r.String() != "1.50" {
		t.Errorf("rem = %s", r)
	}
	if c := mustDec(t, "1.50").Cmp(mustDec(t, "1.5")); c != 0 {
		t.Errorf("1.50 vs 1.5 = %d", c)
	}
	// HALF_UP rounding, both signs.
	for in, want := range map[string]string{"2.345": "2.35", "-2.345": "-2.35", "2.344": "2.34", "0.005": "0.01"} {
		if got := mustDec(t, in).Rescale(2).String(); got != want {
			t.Errorf("Rescale(%s) = %s, want %s", in, got, want)
		}
	}
	if _, err := FitDecimal(mustDec(t, "123.45"), DecimalOf(4, 2)); err == nil {
		t.Error("123.45 fits DECIMAL(4,2)")
	}
	if got, err := FitDecimal(mustDec(t, "12.3"), DecimalOf(4, 2)); err != nil || got.String() != "12.30" {
		t.Errorf("FitDecimal = %v, %v", got, err)
	}
	if d := mustDec(t, "1e3"); d.String() != "1000" || d.Scale() != 0 {
		t.Errorf("1e3 = %s scale %d", d, d.Scale())
	}
	if d := mustDec(t, "-.5"); d.String() != "-0.5" {
		t.Errorf("-.5 = %s", d)
	}
	for _, bad := range []string{"", "abc", "1.2.3", "--1", "1e"} {
		if _, err := ParseDec(bad); err == nil {
			t.Errorf("ParseDec(%q) accepted", bad)
		}
	}
}

func TestCast(t *testing.T) {
	cases := []struct {
		v    Value
		from *Type
		to   *Type
		want Value
		err  bool
	}{
		{int32(7), IntegerType, BigintType, int64(7), false},
		{float64(2.9), DoubleType, IntegerType, int32(2), false},
		{float64(-2.9), DoubleType, BigintType, int64(-2), false},
		{"42", StringType, IntegerType, int32(42), false},
		{"4x", StringType, IntegerType, nil, true},
		{int64(5), BigintType, StringType, "5", false},
		{float64(1), DoubleType, StringType, "1.0", false},
		{"yes", StringType, BooleanType, true, false},
		{"maybe", StringType, BooleanType, nil, true},
		{"1.005", StringType, DecimalOf(3, 2), mustDecT("1.01"), false},
		{"12.3", StringType, DecimalOf(3, 2), nil, true},
		{"1.5", StringType, DecimalOf(3, 2), mustDecT("1.50"), false},
		{"2021-01-02T03:04:05.678", StringType, TimestampType, Timestamp(1609556645678), false},
		{"2021-01-02", StringType, DateType, Date(18629), false},
		{"12:00:01", StringType, TimeType, TimeOfDay(43201000), false},
		{Timestamp(86400000*2 + 5), TimestampType, DateType, Date(2), false},
		{true, BooleanType, IntegerType, nil, true},
	}
	for _, c := range cases {
		got, err := Cast(c.v, c.from, c.to)
		if (err != nil) != c.err {
			t.Errorf("Cast(%v %s -> %s) error = %v", c.v, c.from, c.to, err)
			continue
		}
		if !c.err && Compare(got, c.want) != 0 {
			t.Errorf("Cast(%v %s -> %s) = %v (%T), want %v", c.v, c.from, c.to, got, got, c.want)
		}
	}
}

func mustDecT(s string) Dec {
	d, err := ParseDec(s)
	if err != nil {
		panic(err)
	}
	return d
}

func TestCompareAcrossKinds(t *testing.T) {
	if Compare(int32(3), int64(3)) != 0 || Compare(int32(3), float64(3.5)) >= 0 || Compare(mustDecT("2.5"), int64(2)) <= 0 {
		t.Error("numeric comparison across kinds")
	}
	if Compare(nil, int32(0)) >= 0 || Compare(math.NaN(), 1.0) <= 0 {
		t.Error("nil sorts first, NaN sorts last")
	}
	a := []Value{int32(1), "x"}
	if Compare(a, []Value{int32(1), "y"}) >= 0 || Compare(a, []Value{int32(1)}) <= 0 {
		t.Error("array comparison")
	}
	m := &MapValue{}
	m.Put("k", int32(1))
	m.Put("k", int32(2))
	if m.Len() != 1 {
		t.Error("Put replaces")
	}
}

func TestTypeStrings(t *testing.T) {
	st := StructOf(Field{Name: "A", Type: IntegerType}, Field{Name: "b c", Type: ArrayOf(MapOf(StringType, DecimalOf(4, 2)))})
	if got := st.String(); got != "STRUCT<A INTEGER, b c ARRAY<MAP<STRING, DECIMAL(4, 2)>>>" {
		t.Errorf("String = %s", got)
	}
	if got := st.SQLString(); got != "STRUCT<`A` INTEGER, `b c` ARRAY<MAP<STRING, DECIMAL(4, 2)>>>" {
		t.Errorf("SQLString = %s", got)
	}
	if !st.Equal(StructOf(Field{Name: "A", Type: IntegerType}, Field{Name: "b c", Type: ArrayOf(MapOf(StringType, DecimalOf(4, 2)))})) {
		t.Error("Equal")
	}
	if DecimalOf(4, 2).Equal(DecimalOf(4, 3)) {
		t.Error("decimal scale ignored by Equal")
	}
}
