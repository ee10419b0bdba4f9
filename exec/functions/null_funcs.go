package functions

// NULL handling functions: COALESCE IFNULL NULLIF, and AS_VALUE.

import (
	"fmt"
	"strings"

	"github.com/ksqlgo/ksql/planner"
	"github.com/ksqlgo/ksql/sql/types"
)

func init() { builtins = append(builtins, registerNulls) }

// nullSameType builds a Resolve for a function whose arguments all share
// one type T (unified with implicit widening) and which returns T.
func nullSameType(name, sig string, minArgs, maxArgs int, nullSafe bool, eval ScalarFn) collResolveFn {
	return func(args []planner.ArgInfo) (*ScalarImpl, *types.Type, []*types.Type, error) {
		if len(args) < minArgs || (maxArgs >= 0 && len(args) > maxArgs) || collHasLambda(args) {
			return nil, nil, nil, collNoMatch(name, args, sig)
		}
		ts := make([]*types.Type, len(args))
		for i, a := range args {
			ts[i] = a.Type
		}
		t, ok := collUnifyAll(ts)
		if !ok {
			return nil, nil, nil, collNoMatch(name, args, sig)
		}
		if t == nil {
			return nil, nil, nil, fmt.Errorf("Function '%s' cannot infer its return type from NULL arguments %s; cast them to a type.", strings.ToLower(name), describeArgs(args))
		}
		want := make([]*types.Type, len(args))
		for i := range want {
			want[i] = t
		}
		return &ScalarImpl{Name: name, Eval: eval, NullSafe: nullSafe}, t, collParams(args, want), nil
	}
}

func registerNulls(r *Registry) {
	r.AddScalar(&ScalarDef{Name: "COALESCE", Description: "The first non-NULL argument.",
		Resolve: nullSameType("COALESCE", "COALESCE(T, T...)", 1, -1, true, func(a []types.Value) (types.Value, error) {
			for _, v := range a {
				if v != nil {
					return v, nil
				}
			}
			return nil, nil
		})})
	r.AddScalar(&ScalarDef{Name: "IFNULL", Description: "The first argument if it is not NULL, otherwise the second.",
		Resolve: nullSameType("IFNULL", "IFNULL(T, T)", 2, 2, true, func(a []types.Value) (types.Value, error) {
			if a[0] != nil {
				return a[0], nil
			}
			return a[1], nil
		})})
	r.AddScalar(&ScalarDef{Name: "NULLIF", Description: "NULL if both arguments are equal, otherwise the first.",
		Resolve: nullSameType("NULLIF", "NULLIF(T, T)", 2, 2, true, func(a []types.Value) (types.Value, error) {
			if a[0] == nil || collEqual(a[0], a[1]) {
				return nil, nil
			}
			return a[0], nil
		})})
	r.AddScalar(&ScalarDef{Name: "AS_VALUE", Description: "Returns its argument; used in a projection to copy a key column into the value.",
		Resolve: nullSameType("AS_VALUE", "AS_VALUE(T)", 1, 1, false, func(a []types.Value) (types.Value, error) {
			return a[0], nil
		})})
}
