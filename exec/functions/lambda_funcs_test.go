package functions

import (
	"math"
	"strings"
	"testing"

	"github.com/ksqlgo/ksql/planner"
	"github.com/ksqlgo/ksql/sql/types"
)

// xtCall evaluates a call and fails the test on errors.
func xtCall(t *testing.T, name string, argTypes []any, args ...types.Value) types.Value {
	t.Helper()
	v, _, err := xtEval(t, name, argTypes, args...)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v
}

func xtLamOf(arity int, body *types.Type, fn func(a ...types.Value) (types.Value, error)) *xtLam {
	return &xtLam{arity: arity, body: body, fn: Lambda(fn)}
}

// SQL-like helpers for lambda bodies: NULL in, NULL out.
func xtGt(a types.Value, n int32) types.Value {
	if a == nil {
		return nil
	}
	return a.(int32) > n
}

func TestLambdaFilter(t *testing.T) {
	ai := xtArr(xtInt)
	gt5 := xtLamOf(1, xtBool, func(a ...types.Value) (types.Value, error) { return xtGt(a[0], 5), nil })
	// filter(map, (x,y) => len(x) * 5 > 15 AND y % 5 = 0)
	mapPred := xtLamOf(2, xtBool, func(a ...types.Value) (types.Value, error) {
		if a[1] == nil {
			return nil, nil
		}
		return len(a[0].(string))*5 > 15 && a[1].(int32)%5 == 0, nil
	})
	msi := xtMap(xtStr, xtInt)
	xtRun(t, []xtCase{
		// filter.json
		{fn: "FILTER", types: []any{ai, gt5}, args: xtA(xtI(3, 6, 2, 10), nil), want: xtI(6, 10)},
		{fn: "FILTER", types: []any{ai, gt5}, args: xtA(xtA(int32(5), nil), nil), want: xtI()},
		{fn: "FILTER", types: []any{ai, gt5}, args: xtA(nil, nil), want: nil},
		{fn: "FILTER", types: []any{msi, mapPred}, args: xtA(xtM("a", int32(15), "abc", int32(7)), nil), want: xtM()},
		{fn: "FILTER", types: []any{msi, mapPred}, args: xtA(xtM("ab", int32(6), "abcd", int32(15)), nil), want: xtM("abcd", int32(15))},
		{fn: "FILTER", types: []any{msi, mapPred}, args: xtA(xtM("null", int32(15), "abcde", int32(25)), nil), want: xtM("null", int32(15), "abcde", int32(25))},
		{fn: "FILTER", types: []any{msi, mapPred}, args: xtA(nil, nil), want: nil},
		{name: "kept null value fails as in ksqlDB", fn: "FILTER", types: []any{msi, xtLamOf(2, xtBool, func(a ...types.Value) (types.Value, error) { return true, nil })},
			args: xtA(xtM("a", nil), nil), wantErr: "NULL value"},
		{name: "lambda error propagates", fn: "FILTER", types: []any{ai, xtLamOf(1, xtBool, func(a ...types.Value) (types.Value, error) { return nil, xtErrBoom })},
			args: xtA(xtI(1), nil), wantErr: "boom"},
	})
	xtRunTypes(t, []xtTypeCase{
		{fn: "FILTER", types: []any{ai, gt5}, want: ai},
		{fn: "FILTER", types: []any{msi, mapPred}, want: msi},
		{fn: "FILTER", types: []any{ai, xtLamOf(1, xtInt, nil)}, wantErr: "BOOLEAN"},
		{fn: "FILTER", types: []any{ai, xtLamOf(2, xtBool, nil)}, wantErr: "does not accept parameters"},
		{fn: "FILTER", types: xtTs(ai, xtBool), wantErr: "does not accept parameters"},
	})
}

var xtErrBoom = &xtTestError{"boom"}

type xtTestError struct{ s string }

func (e *xtTestError) Error() string { return e.s }

func TestLambdaTransform(t *testing.T) {
	ai := xtArr(xtInt)
	plus5 := xtLamOf(1, xtInt, func(a ...types.Value) (types.Value, error) {
		if a[0] == nil {
			return nil, nil
		}
		return a[0].(int32) + 5, nil
	})
	ucase := xtLamOf(1, xtStr, func(a ...types.Value) (types.Value, error) {
		if a[0] == nil {
			return nil, nil
		}
		return strings.ToUpper(a[0].(string)), nil
	})
	keyUp := xtLamOf(2, xtStr, func(a ...types.Value) (types.Value, error) { return strings.ToUpper(a[0].(string)), nil })
	valLen := xtLamOf(2, xtInt, func(a ...types.Value) (types.Value, error) { return int32(len(a[0].(string))) + a[1].(int32), nil })
	constKey := xtLamOf(2, xtStr, func(a ...types.Value) (types.Value, error) { return "k", nil })
	nullVal := xtLamOf(2, xtInt, func(a ...types.Value) (types.Value, error) { return nil, nil })
	msi := xtMap(xtStr, xtInt)
	xtRun(t, []xtCase{
		// transform-array.json
		{fn: "TRANSFORM", types: []any{ai, plus5}, args: xtA(xtI(3, 6), nil), want: xtI(8, 11)},
		{fn: "TRANSFORM", types: []any{ai, plus5}, args: xtA(nil, nil), want: nil},
		{fn: "TRANSFORM", types: []any{xtArr(xtStr), ucase}, args: xtA(xtA("check", nil, "null"), nil), want: xtA("CHECK", nil, "NULL")},
		// transform-map.json (shape)
		{fn: "TRANSFORM", types: []any{msi, keyUp, valLen}, args: xtA(xtM("test", int32(3), "hello", int32(4)), nil, nil), want: xtM("TEST", int32(7), "HELLO", int32(9))},
		{fn: "TRANSFORM", types: []any{msi, keyUp, valLen}, args: xtA(nil, nil, nil), want: nil},
		{name: "duplicate keys", fn: "TRANSFORM", types: []any{msi, constKey, valLen}, args: xtA(xtM("a", int32(1), "b", int32(2)), nil, nil), wantErr: "Duplicate key k"},
		{name: "null value", fn: "TRANSFORM", types: []any{msi, keyUp, nullVal}, args: xtA(xtM("a", int32(1)), nil, nil), wantErr: "NULL value"},
	})
	xtRunTypes(t, []xtTypeCase{
		{fn: "TRANSFORM", types: []any{ai, ucase}, want: xtArr(xtStr)},
		{fn: "TRANSFORM", types: []any{msi, keyUp, valLen}, want: xtMap(xtStr, xtInt)},
		{fn: "TRANSFORM", types: []any{msi, keyUp}, wantErr: "does not accept parameters"},
		{fn: "TRANSFORM", types: []any{ai, xtLamOf(1, xtNull, nil)}, wantErr: "NULL"},
		{fn: "TRANSFORM", types: xtTs(xtStr, xtStr), wantErr: "does not accept parameters"},
	})
}

func TestLambdaReduce(t *testing.T) {
	ai := xtArr(xtInt)
	sum := xtLamOf(2, xtInt, func(a ...types.Value) (types.Value, error) {
		if a[0] == nil || a[1] == nil {
			return nil, nil
		}
		return a[0].(int32) + a[1].(int32), nil
	})
	sumBig := xtLamOf(2, xtBig, func(a ...types.Value) (types.Value, error) {
		if a[0] == nil || a[1] == nil {
			return nil, nil
		}
		return a[0].(int64) + int64(a[1].(int32)), nil
	})
	concat := xtLamOf(2, xtStr, func(a ...types.Value) (types.Value, error) {
		return xtCall(t, "CONCAT", xtTs(xtStr, xtStr), a[0], a[1]), nil
	})
	// (s, k, v) => CASE WHEN LEN(k) > 3 THEN s + v ELSE s - v END
	mapFold := xtLamOf(3, xtInt, func(a ...types.Value) (types.Value, error) {
		if a[0] == nil || a[2] == nil {
			return nil, nil
		}
		if len(a[1].(string)) > 3 {
			return a[0].(int32) + a[2].(int32), nil
		}
		return a[0].(int32) - a[2].(int32), nil
	})
	msi := xtMap(xtStr, xtInt)
	dec := types.DecimalOf(4, 2)
	decSum := xtLamOf(2, types.DecimalOf(5, 2), func(a ...types.Value) (types.Value, error) {
		return a[0].(types.Dec).Add(a[1].(types.Dec)), nil
	})
	xtRun(t, []xtCase{
		// reduce-array.json
		{fn: "REDUCE", types: []any{ai, xtInt, sum}, args: xtA(xtI(3, 6), int32(2), nil), want: int32(11)},
		{fn: "REDUCE", types: []any{ai, xtInt, sum}, args: xtA(xtA(int32(5), nil), int32(2), nil), want: nil},
		{fn: "REDUCE", types: []any{ai, xtInt, sum}, args: xtA(nil, int32(2), nil), want: int32(2)},
		{fn: "REDUCE", types: []any{ai, xtBig, sumBig}, args: xtA(xtI(1, 2), nil, nil), want: nil},
		{fn: "REDUCE", types: []any{ai, xtBig, sumBig}, args: xtA(nil, nil, nil), want: nil},
		{fn: "REDUCE", types: []any{xtArr(xtStr), xtStr, concat}, args: xtA(xtS("blah", "blah", "blaaah"), "", nil), want: "blahblahblaaah"},
		{fn: "REDUCE", types: []any{xtArr(xtStr), xtStr, concat}, args: xtA(xtA("to be or", nil), "", nil), want: "to be or"},
		{fn: "REDUCE", types: []any{xtArr(xtStr), xtStr, concat}, args: xtA(nil, "", nil), want: ""},
		// reduce-map.json
		{fn: "REDUCE", types: []any{msi, xtInt, mapFold}, args: xtA(xtM("123", int32(3), "12", int32(7), "1234", int32(2)), int32(0), nil), want: int32(-8)},
		{fn: "REDUCE", types: []any{msi, xtInt, mapFold}, args: xtA(xtM("1", int32(1), "ttttt", nil, "", int32(3)), int32(0), nil), want: nil},
		{fn: "REDUCE", types: []any{msi, xtInt, mapFold}, args: xtA(nil, int32(0), nil), want: int32(0)},
		// reduce-map.json "reduce map with double": the order of a Java
		// HashMap makes the result 189.0 (document order would give 183.0).
		{name: "java map order", fn: "REDUCE", types: []any{xtMap(xtStr, xtDbl), xtDbl, xtLamOf(3, xtDbl, func(a ...types.Value) (types.Value, error) {
			s, k, y := a[0].(float64), a[1].(string), a[2].(float64)
			if strings.Contains(k, "ye") {
				return math.Ceil(y * s), nil
			}
			return math.Floor(s * y), nil
		})}, args: xtA(xtM("yes, thanks", 3.5, "nope", 7.3, "sure, yeah", 2.1), 3.2, nil), want: 189.0},
		{name: "decimal state rescaled", fn: "REDUCE", types: []any{xtArr(dec), dec, decSum}, args: xtA(xtA(xtDec("1.25"), xtDec("2.50")), xtDec("0.00"), nil), want: xtDec("3.75")},
	})
	xtRunTypes(t, []xtTypeCase{
		{fn: "REDUCE", types: []any{ai, xtInt, sum}, want: xtInt},
		{fn: "REDUCE", types: []any{ai, xtBig, xtLamOf(2, xtInt, nil)}, want: xtBig},
		{fn: "REDUCE", types: []any{ai, xtInt, sumBig}, wantErr: "cast the initial state to BIGINT"},
		{fn: "REDUCE", types: []any{ai, xtNull, sum}, wantErr: "NULL initial state"},
		{fn: "REDUCE", types: []any{msi, xtInt, sum}, wantErr: "does not accept parameters"},
	})

	// Lambda parameter types.
	params := func(name string, i int, argTypes ...*types.Type) ([]*types.Type, error) {
		infos := make([]planner.ArgInfo, len(argTypes))
		for j, at := range argTypes {
			infos[j] = planner.ArgInfo{Type: at}
		}
		return xtReg().LambdaParams(name, i, infos)
	}
	check := func(got []*types.Type, err error, want ...*types.Type) {
		t.Helper()
		if err != nil || len(got) != len(want) {
			t.Fatalf("lambda params %v, %v; want %v", got, err, want)
		}
		for i := range want {
			if !got[i].Equal(want[i]) {
				t.Fatalf("lambda params %v; want %v", got, want)
			}
		}
	}
	got, err := params("REDUCE", 2, msi, xtBig)
	check(got, err, xtBig, xtStr, xtInt)
	got, err = params("REDUCE", 2, ai, xtStr)
	check(got, err, xtStr, xtInt)
	got, err = params("TRANSFORM", 1, ai)
	check(got, err, xtInt)
	got, err = params("TRANSFORM", 2, msi)
	check(got, err, xtStr, xtInt)
	got, err = params("FILTER", 1, msi)
	check(got, err, xtStr, xtInt)
	if _, err := params("TRANSFORM", 2, ai); err == nil {
		t.Fatal("TRANSFORM(array, x, y): want error for a second lambda")
	}
	if _, err := params("REDUCE", 2, ai, xtNull); err == nil {
		t.Fatal("REDUCE(array, NULL, ...): want error")
	}
	if _, err := params("FILTER", 1, xtNull); err == nil {
		t.Fatal("FILTER(NULL, ...): want error")
	}
	if _, err := params("ARRAY_LENGTH", 1, ai); err == nil {
		t.Fatal("ARRAY_LENGTH takes no lambda")
	}
}

// TestLambdaComplex is complex-lambda.json's first case, built from the
// registry's own functions:
// TRANSFORM(FILTER(MAPPING, (a, b) => LEN(a) > 2 AND REDUCE(b, 0, (c, d) => c+d) < 20),
//
//	(X,Y) => LPAD(x, REDUCE(Y, 2, (s, k) => ABS(ABS(k)-s)), 'a'),
//	(X,Y) => REDUCE(ARRAY_UNION(Y, TRANSFORM(Y, z => z*3)), 0, (e, f) => e+f))
func TestLambdaComplex(t *testing.T) {
	ai := xtArr(xtInt)
	m := xtMap(xtStr, ai)
	abs := func(v int32) int32 {
		if v < 0 {
			return -v
		}
		return v
	}
	sum := xtLamOf(2, xtInt, func(a ...types.Value) (types.Value, error) { return a[0].(int32) + a[1].(int32), nil })
	pred := xtLamOf(2, xtBool, func(a ...types.Value) (types.Value, error) {
		s := xtCall(t, "REDUCE", []any{ai, xtInt, sum}, a[1], int32(0), nil)
		return len(a[0].(string)) > 2 && s.(int32) < 20, nil
	})
	keyFn := xtLamOf(2, xtStr, func(a ...types.Value) (types.Value, error) {
		absDiff := xtLamOf(2, xtInt, func(p ...types.Value) (types.Value, error) { return abs(abs(p[1].(int32)) - p[0].(int32)), nil })
		n := xtCall(t, "REDUCE", []any{ai, xtInt, absDiff}, a[1], int32(2), nil)
		return xtCall(t, "LPAD", xtTs(xtStr, xtInt, xtStr), a[0], n, "a"), nil
	})
	valFn := xtLamOf(2, xtInt, func(a ...types.Value) (types.Value, error) {
		times3 := xtLamOf(1, xtInt, func(p ...types.Value) (types.Value, error) { return p[0].(int32) * 3, nil })
		tr := xtCall(t, "TRANSFORM", []any{ai, times3}, a[1], nil)
		u := xtCall(t, "ARRAY_UNION", xtTs(ai, ai), a[1], tr)
		return xtCall(t, "REDUCE", []any{ai, xtInt, sum}, u, int32(0), nil), nil
	})
	run := func(in types.Value) types.Value {
		f := xtCall(t, "FILTER", []any{m, pred}, in, nil)
		return xtCall(t, "TRANSFORM", []any{m, keyFn, valFn}, f, nil, nil)
	}
	if got, want := run(xtM("a", xtI(2, 4, 5), "bcd", xtI(-5, 7))), xtM("abcd", int32(8)); !xtEqual(got, want) {
		t.Fatalf("got %s, want %s", types.String(got), types.String(want))
	}
	if got, want := run(xtM("hello", xtI(200, 4, 5), "hey", xtI(14, -3, -15, 3), "wow", xtI(2, 3, 4))), xtM("hey", int32(-4), "w", int32(36)); !xtEqual(got, want) {
		t.Fatalf("got %s, want %s", types.String(got), types.String(want))
	}
	if got := run(nil); got != nil {
		t.Fatalf("got %s, want NULL", types.String(got))
	}
}
