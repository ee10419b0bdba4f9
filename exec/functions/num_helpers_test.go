package functions

import (
	"math"
	"sync"
	"testing"

	"github.com/ksqlgo/ksql/planner"
	"github.com/ksqlgo/ksql/sql/types"
)

// Test helpers shared by the num_, time_, agg_ and tbl_ tests. They emulate
// what the planner and exec do around a resolved function: implicit casts
// of arguments to the resolved parameter types, and NULL propagation for
// functions that are not NullSafe.

var (
	ntRegistryOnce sync.Once
	ntRegistryVal  *Registry
)

// ntRegistry is the registry under test (built lazily: package variables
// are initialised before the init functions that fill builtins run).
func ntRegistry() *Registry {
	ntRegistryOnce.Do(func() { ntRegistryVal = New() })
	return ntRegistryVal
}

// ntArg is a column argument of type t.
func ntArg(t *types.Type) planner.ArgInfo { return planner.ArgInfo{Type: t} }

// ntConst is a literal argument.
func ntConst(t *types.Type, v types.Value) planner.ArgInfo {
	return planner.ArgInfo{Type: t, IsConst: true, Const: v}
}

// ntUnit is a bare time-unit argument.
func ntUnit() planner.ArgInfo { return planner.ArgInfo{Type: types.StringType, TimeUnit: true} }

// ntArgs turns types into column arguments.
func ntArgs(ts ...*types.Type) []planner.ArgInfo {
	out := make([]planner.ArgInfo, len(ts))
	for i, t := range ts {
		out[i] = ntArg(t)
	}
	return out
}

// ntScalarFn is a resolved scalar call ready to evaluate.
type ntScalarFn struct {
	impl   *ScalarImpl
	ret    *types.Type
	args   []planner.ArgInfo
	params []*types.Type
}

func ntResolveScalar(t *testing.T, name string, args ...planner.ArgInfo) ntScalarFn {
	t.Helper()
	res, err := ntRegistry().ResolveScalar(name, args)
	if err != nil {
		t.Fatalf("%s%s: %v", name, describeArgs(args), err)
	}
	return ntScalarFn{impl: res.Fn.(*ScalarImpl), ret: res.Return, args: args, params: res.ParamTypes}
}

// call evaluates the function, casting arguments as the planner would.
func (f ntScalarFn) call(t *testing.T, vals ...types.Value) (types.Value, error) {
	t.Helper()
	args := make([]types.Value, len(vals))
	for i, v := range vals {
		args[i] = v
		if i < len(f.params) && f.params[i] != nil && v != nil {
			c, err := types.Cast(v, f.args[i].Type, f.params[i])
			if err != nil {
				t.Fatalf("cast of argument %d: %v", i, err)
			}
			args[i] = c
		}
		if v == nil && !f.impl.NullSafe {
			return nil, nil
		}
	}
	return f.impl.Eval(args)
}

// must evaluates and fails the test on error.
func (f ntScalarFn) must(t *testing.T, vals ...types.Value) types.Value {
	t.Helper()
	v, err := f.call(t, vals...)
	if err != nil {
		t.Fatalf("%s(%v): %v", f.impl.Name, vals, err)
	}
	return v
}

// ntDec parses a decimal literal.
func ntDec(s string) types.Dec {
	d, err := types.ParseDec(s)
	if err != nil {
		panic(err)
	}
	return d
}

// ntEqual compares values; doubles compare exactly except NaN == NaN,
// decimals compare by value and scale.
func ntEqual(a, b types.Value) bool {
	if fa, ok := a.(float64); ok {
		fb, ok := b.(float64)
		if !ok {
			return false
		}
		if math.IsNaN(fa) && math.IsNaN(fb) {
			return true
		}
		return fa == fb
	}
	if da, ok := a.(types.Dec); ok {
		db, ok := b.(types.Dec)
		return ok && da.String() == db.String()
	}
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	if types.KindOf(a) != types.KindOf(b) {
		return false
	}
	return types.Compare(a, b) == 0
}

// ntClose compares doubles with a relative tolerance.
func ntClose(a, b float64) bool {
	if a == b {
		return true
	}
	return math.Abs(a-b) <= 1e-12*math.Max(math.Abs(a), math.Abs(b))
}
