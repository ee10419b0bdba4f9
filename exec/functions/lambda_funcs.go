package functions

// Higher-order functions: TRANSFORM FILTER REDUCE over arrays and maps.

import (
	"fmt"
	"strings"

	"github.com/ksqlgo/ksql/planner"
	"github.com/ksqlgo/ksql/sql/types"
)

func init() { builtins = append(builtins, registerLambdas) }

// lambdaCollection returns the element types a lambda over args[0]
// receives: [T] for ARRAY<T>, [K, V] for MAP<K, V>.
func lambdaCollection(name string, args []planner.ArgInfo) ([]*types.Type, bool, error) {
	if len(args) == 0 || args[0].LambdaArity > 0 {
		return nil, false, fmt.Errorf("Function '%s' requires an ARRAY or MAP as its first argument", strings.ToLower(name))
	}
	t := args[0].Type
	switch {
	case collIsNull(t):
		return nil, false, fmt.Errorf("Function '%s' cannot infer the lambda parameter types from a NULL collection", strings.ToLower(name))
	case t.Kind == types.KindArray && !collIsNull(t.Elem):
		return []*types.Type{t.Elem}, false, nil
	case t.Kind == types.KindMap:
		return []*types.Type{t.Key, t.Value}, true, nil
	}
	return nil, false, fmt.Errorf("Function '%s' requires an ARRAY or MAP as its first argument, got %s", strings.ToLower(name), t)
}

func registerLambdas(r *Registry) {
	r.AddScalar(&ScalarDef{
		Name:        "TRANSFORM",
		Description: "Applies a lambda to each element of an array (x => ...), or lambdas to the keys and values of a map ((k, v) => key, (k, v) => value).",
		LambdaParams: func(i int, args []planner.ArgInfo) ([]*types.Type, error) {
			ps, isMap, err := lambdaCollection("TRANSFORM", args)
			if err != nil {
				return nil, err
			}
			if i != 1 && !(isMap && i == 2) {
				return nil, fmt.Errorf("Function 'transform' takes a lambda only after the collection")
			}
			return ps, nil
		},
		Resolve: lambdaTransform,
	})
	r.AddScalar(&ScalarDef{
		Name:        "FILTER",
		Description: "Keeps the elements of an array (x => condition) or the entries of a map ((k, v) => condition) for which the lambda is true.",
		LambdaParams: func(i int, args []planner.ArgInfo) ([]*types.Type, error) {
			ps, _, err := lambdaCollection("FILTER", args)
			if err != nil {
				return nil, err
			}
			if i != 1 {
				return nil, fmt.Errorf("Function 'filter' takes a lambda only after the collection")
			}
			return ps, nil
		},
		Resolve: lambdaFilter,
	})
	r.AddScalar(&ScalarDef{
		Name:        "REDUCE",
		Description: "Folds an array ((s, x) => ...) or a map ((s, k, v) => ...) into a state, starting from an initial state; NULL if the initial state is NULL.",
		LambdaParams: func(i int, args []planner.ArgInfo) ([]*types.Type, error) {
			ps, _, err := lambdaCollection("REDUCE", args)
			if err != nil {
				return nil, err
			}
			if i != 2 || len(args) < 2 || args[1].LambdaArity > 0 {
				return nil, fmt.Errorf("Function 'reduce' takes a lambda only after the collection and the initial state")
			}
			s := args[1].Type
			if collIsNull(s) {
				return nil, fmt.Errorf("Function 'reduce' cannot infer the state type from a NULL initial state; cast it to a type")
			}
			return append([]*types.Type{s}, ps...), nil
		},
		Resolve: lambdaReduce,
	})
}

func lambdaTransform(args []planner.ArgInfo) (*ScalarImpl, *types.Type, []*types.Type, error) {
	alts := []string{"TRANSFORM(ARRAY<T>, T => R)", "TRANSFORM(MAP<K, V>, (K, V) => K2, (K, V) => V2)"}
	_, isMap, err := lambdaCollection("TRANSFORM", args)
	if err != nil {
		return nil, nil, nil, collNoMatch("TRANSFORM", args, alts...)
	}
	if !isMap {
		if len(args) != 2 || args[1].LambdaArity != 1 {
			return nil, nil, nil, collNoMatch("TRANSFORM", args, alts...)
		}
		rt := args[1].Type
		if collIsNull(rt) {
			return nil, nil, nil, fmt.Errorf("Function 'transform' cannot infer the type of a lambda that returns NULL")
		}
		return &ScalarImpl{Name: "TRANSFORM", Eval: func(a []types.Value) (types.Value, error) {
			f, err := collLambda(a[1])
			if err != nil {
				return nil, err
			}
			in := a[0].([]types.Value)
			out := make([]types.Value, len(in))
			for i, e := range in {
				if out[i], err = f(e); err != nil {
					return nil, err
				}
			}
			return out, nil
		}}, types.ArrayOf(rt), nil, nil
	}
	if len(args) != 3 || args[1].LambdaArity != 2 || args[2].LambdaArity != 2 {
		return nil, nil, nil, collNoMatch("TRANSFORM", args, alts...)
	}
	kt, vt := args[1].Type, args[2].Type
	if collIsNull(kt) || collIsNull(vt) {
		return nil, nil, nil, fmt.Errorf("Function 'transform' cannot infer the type of a lambda that returns NULL")
	}
	return &ScalarImpl{Name: "TRANSFORM", Eval: func(a []types.Value) (types.Value, error) {
		fk, err := collLambda(a[1])
		if err != nil {
			return nil, err
		}
		fv, err := collLambda(a[2])
		if err != nil {
			return nil, err
		}
		m := a[0].(*types.MapValue)
		out := &types.MapValue{Keys: make([]types.Value, 0, m.Len()), Vals: make([]types.Value, 0, m.Len())}
		for i, k := range m.Keys {
			nk, err := fk(k, m.Vals[i])
			if err != nil {
				return nil, err
			}
			nv, err := fv(k, m.Vals[i])
			if err != nil {
				return nil, err
			}
			if nv == nil {
				// Java's Collectors.toMap rejects NULL values.
				return nil, fmt.Errorf("TRANSFORM produced a NULL value for key %s", types.String(nk))
			}
			if old, dup := out.Get(nk); dup {
				return nil, fmt.Errorf("Duplicate key %s (attempted merging values %s and %s)", types.String(nk), types.String(old), types.String(nv))
			}
			out.Keys = append(out.Keys, nk)
			out.Vals = append(out.Vals, nv)
		}
		return out, nil
	}}, types.MapOf(kt, vt), nil, nil
}

// lambdaTrue reports whether a lambda result keeps an element: NULL, like
// false, drops it.
func lambdaTrue(v types.Value) bool {
	b, ok := v.(bool)
	return ok && b
}

func lambdaFilter(args []planner.ArgInfo) (*ScalarImpl, *types.Type, []*types.Type, error) {
	alts := []string{"FILTER(ARRAY<T>, T => BOOLEAN)", "FILTER(MAP<K, V>, (K, V) => BOOLEAN)"}
	_, isMap, err := lambdaCollection("FILTER", args)
	arity := 1
	if isMap {
		arity = 2
	}
	if err != nil || len(args) != 2 || args[1].LambdaArity != arity {
		return nil, nil, nil, collNoMatch("FILTER", args, alts...)
	}
	if bt := args[1].Type; !collIsNull(bt) && bt.Kind != types.KindBoolean {
		return nil, nil, nil, fmt.Errorf("Function 'filter' requires a lambda returning BOOLEAN, got %s", bt)
	}
	rt := args[0].Type
	if !isMap {
		return &ScalarImpl{Name: "FILTER", Eval: func(a []types.Value) (types.Value, error) {
			f, err := collLambda(a[1])
			if err != nil {
				return nil, err
			}
			out := []types.Value{}
			for _, e := range a[0].([]types.Value) {
				keep, err := f(e)
				if err != nil {
					return nil, err
				}
				if lambdaTrue(keep) {
					out = append(out, e)
				}
			}
			return out, nil
		}}, rt, nil, nil
	}
	return &ScalarImpl{Name: "FILTER", Eval: func(a []types.Value) (types.Value, error) {
		f, err := collLambda(a[1])
		if err != nil {
			return nil, err
		}
		m := a[0].(*types.MapValue)
		out := &types.MapValue{Keys: []types.Value{}, Vals: []types.Value{}}
		for i, k := range m.Keys {
			keep, err := f(k, m.Vals[i])
			if err != nil {
				return nil, err
			}
			if !lambdaTrue(keep) {
				continue
			}
			if m.Vals[i] == nil {
				// Java's Collectors.toMap rejects NULL values.
				return nil, fmt.Errorf("FILTER kept a NULL value for key %s", types.String(k))
			}
			out.Keys = append(out.Keys, k)
			out.Vals = append(out.Vals, m.Vals[i])
		}
		return out, nil
	}}, rt, nil, nil
}

func lambdaReduce(args []planner.ArgInfo) (*ScalarImpl, *types.Type, []*types.Type, error) {
	alts := []string{"REDUCE(ARRAY<T>, S, (S, T) => S)", "REDUCE(MAP<K, V>, S, (S, K, V) => S)"}
	_, isMap, err := lambdaCollection("REDUCE", args)
	arity := 2
	if isMap {
		arity = 3
	}
	if err != nil || len(args) != 3 || args[1].LambdaArity > 0 || args[2].LambdaArity != arity {
		return nil, nil, nil, collNoMatch("REDUCE", args, alts...)
	}
	st, bt := args[1].Type, args[2].Type
	if collIsNull(st) {
		return nil, nil, nil, fmt.Errorf("Function 'reduce' cannot infer the state type from a NULL initial state; cast it to a type")
	}
	convert := false
	switch {
	case collIsNull(bt) || bt.Equal(st):
	case widens(bt, st) || (bt.Kind == types.KindDecimal && st.Kind == types.KindDecimal):
		convert = true
	default:
		return nil, nil, nil, fmt.Errorf("Function 'reduce' does not accept parameters %s: the lambda returns %s but the initial state is %s; cast the initial state to %s",
			describeArgs(args), bt, st, bt)
	}
	return &ScalarImpl{Name: "REDUCE", NullSafe: true, Eval: func(a []types.Value) (types.Value, error) {
		state := a[1]
		if state == nil {
			return nil, nil
		}
		if a[0] == nil {
			return state, nil
		}
		f, err := collLambda(a[2])
		if err != nil {
			return nil, err
		}
		step := func(params ...types.Value) error {
			v, err := f(params...)
			if err != nil {
				return err
			}
			if convert && v != nil {
				if v, err = types.Cast(v, bt, st); err != nil {
					return err
				}
			}
			state = v
			return nil
		}
		switch c := a[0].(type) {
		case []types.Value:
			for _, e := range c {
				if err := step(state, e); err != nil {
					return nil, err
				}
			}
		case *types.MapValue:
			for _, i := range collJavaOrder(c) {
				if err := step(state, c.Keys[i], c.Vals[i]); err != nil {
					return nil, err
				}
			}
		}
		return state, nil
	}}, st, nil, nil
}
