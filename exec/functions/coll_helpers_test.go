package functions

import (
	"math"
	"math/big"
	"strings"
	"sync"
	"testing"

	"github.com/ksqlgo/ksql/planner"
	"github.com/ksqlgo/ksql/sql/types"
)

// Test helpers shared by the str_, coll_, json_, url_, bytes_, null_ and
// lambda_ tests: resolve a call through the registry as the planner does,
// apply the implicit casts it asks for, and evaluate as the engine does
// (a non-NullSafe function yields NULL for any NULL argument).

var (
	xtRegOnce sync.Once
	xtRegVal  *Registry
)

// xtReg is the registry under test (built lazily: init functions register
// the built-ins after package variables are initialized).
func xtReg() *Registry {
	xtRegOnce.Do(func() { xtRegVal = New() })
	return xtRegVal
}

// Shorthand types.
var (
	xtInt  = types.IntegerType
	xtBig  = types.BigintType
	xtDbl  = types.DoubleType
	xtStr  = types.StringType
	xtBool = types.BooleanType
	xtByt  = types.BytesType
	xtNull = types.NullType
)

func xtArr(e *types.Type) *types.Type    { return types.ArrayOf(e) }
func xtMap(k, v *types.Type) *types.Type { return types.MapOf(k, v) }

// xtLam is a lambda argument of the given arity whose body has type body.
type xtLam struct {
	arity int
	body  *types.Type
	fn    Lambda
}

// xtArgInfos builds the ArgInfo of a call; a *xtLam entry is a lambda.
func xtArgInfos(argTypes []any) []planner.ArgInfo {
	infos := make([]planner.ArgInfo, len(argTypes))
	for i, t := range argTypes {
		switch x := t.(type) {
		case *types.Type:
			infos[i] = planner.ArgInfo{Type: x}
		case *xtLam:
			infos[i] = planner.ArgInfo{Type: x.body, LambdaArity: x.arity}
		}
	}
	return infos
}

// xtResolve resolves a call and returns the implementation and type.
func xtResolve(name string, argTypes ...any) (*ScalarImpl, *types.Type, []*types.Type, error) {
	res, err := xtReg().ResolveScalar(name, xtArgInfos(argTypes))
	if err != nil {
		return nil, nil, nil, err
	}
	return res.Fn.(*ScalarImpl), res.Return, res.ParamTypes, nil
}

// xtEval resolves and evaluates a call on the given arguments.
func xtEval(t *testing.T, name string, argTypes []any, args ...types.Value) (types.Value, *types.Type, error) {
	t.Helper()
	impl, ret, params, err := xtResolve(name, argTypes...)
	if err != nil {
		t.Fatalf("%s%v: resolve: %v", name, argTypes, err)
	}
	vals := make([]types.Value, len(args))
	for i, a := range args {
		if l, ok := argTypes[i].(*xtLam); ok {
			vals[i] = l.fn
			continue
		}
		vals[i] = a
		if i < len(params) && params[i] != nil && a != nil {
			from, _ := argTypes[i].(*types.Type)
			c, err := types.Cast(a, from, params[i])
			if err != nil {
				t.Fatalf("%s: implicit cast of argument %d: %v", name, i, err)
			}
			vals[i] = c
		}
		if vals[i] == nil && !impl.NullSafe {
			return nil, ret, nil
		}
	}
	v, err := impl.Eval(vals)
	return v, ret, err
}

// xtCase is one evaluation case.
type xtCase struct {
	name    string
	fn      string
	types   []any
	args    []types.Value
	want    types.Value
	wantErr string // non-empty: Eval must fail with an error containing it
}

func xtRun(t *testing.T, cases []xtCase) {
	t.Helper()
	for _, c := range cases {
		name := c.name
		if name == "" {
			name = c.fn
		}
		t.Run(name, func(t *testing.T) {
			got, _, err := xtEval(t, c.fn, c.types, c.args...)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("want error containing %q, got %v (value %v)", c.wantErr, err, types.String(got))
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if !xtEqual(got, c.want) {
				t.Fatalf("got %#v (%s), want %#v (%s)", got, types.String(got), c.want, types.String(c.want))
			}
		})
	}
}

// xtTypeCase checks the return type of a resolved call, or that
// resolution fails.
type xtTypeCase struct {
	fn      string
	types   []any
	want    *types.Type
	wantErr string
}

func xtRunTypes(t *testing.T, cases []xtTypeCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.fn, func(t *testing.T) {
			_, ret, _, err := xtResolve(c.fn, c.types...)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("%s%v: want resolution error containing %q, got %v (type %v)", c.fn, c.types, c.wantErr, err, ret)
				}
				return
			}
			if err != nil {
				t.Fatalf("%s%v: unexpected resolution error: %v", c.fn, c.types, err)
			}
			if !ret.Equal(c.want) {
				t.Fatalf("%s%v: return type %v, want %v", c.fn, c.types, ret, c.want)
			}
		})
	}
}

// xtEqual compares runtime values exactly (kinds, NULLs, element order;
// map entries by key).
func xtEqual(a, b types.Value) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	if types.KindOf(a) != types.KindOf(b) {
		return false
	}
	switch x := a.(type) {
	case []types.Value:
		y := b.([]types.Value)
		if len(x) != len(y) {
			return false
		}
		for i := range x {
			if !xtEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	case *types.MapValue:
		y := b.(*types.MapValue)
		if x.Len() != y.Len() {
			return false
		}
		for i, k := range x.Keys {
			v, ok := y.Get(k)
			if !ok || !xtEqual(x.Vals[i], v) {
				return false
			}
		}
		return true
	case *types.StructValue:
		y := b.(*types.StructValue)
		if len(x.Vals) != len(y.Vals) || !x.Type.Equal(y.Type) {
			return false
		}
		for i := range x.Vals {
			if !xtEqual(x.Vals[i], y.Vals[i]) {
				return false
			}
		}
		return true
	case float64:
		y := b.(float64)
		return x == y || (math.IsNaN(x) && math.IsNaN(y))
	case types.Dec:
		y := b.(types.Dec)
		return x.Scale() == y.Scale() && x.Cmp(y) == 0
	}
	return types.Compare(a, b) == 0
}

// Value constructors.
func xtA(vs ...types.Value) []types.Value { return append([]types.Value{}, vs...) }

func xtM(kvs ...types.Value) *types.MapValue {
	m := &types.MapValue{}
	for i := 0; i+1 < len(kvs); i += 2 {
		m.Put(kvs[i], kvs[i+1])
	}
	return m
}

func xtDec(s string) types.Dec {
	d, err := types.ParseDec(s)
	if err != nil {
		panic(err)
	}
	return d
}

func xtDecOf(unscaled int64, scale int) types.Dec {
	return types.NewDec(big.NewInt(unscaled), scale)
}

func xtI(vs ...int32) []types.Value {
	out := make([]types.Value, len(vs))
	for i, v := range vs {
		out[i] = v
	}
	return out
}

func xtS(vs ...string) []types.Value {
	out := make([]types.Value, len(vs))
	for i, v := range vs {
		out[i] = v
	}
	return out
}

func xtTs(ts ...*types.Type) []any {
	out := make([]any, len(ts))
	for i, t := range ts {
		out[i] = t
	}
	return out
}
