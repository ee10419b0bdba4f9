package functions

import (
	"testing"

	"github.com/ksqlgo/ksql/planner"
	"github.com/ksqlgo/ksql/sql/types"
)

// ntAggFn is a resolved aggregate; add/undo pass only the non-constant
// arguments, cast to the resolved parameter types, as exec does.
type ntAggFn struct {
	impl   AggImpl
	ret    *types.Type
	args   []planner.ArgInfo
	params []*types.Type
}

func ntResolveAgg(t *testing.T, name string, args ...planner.ArgInfo) ntAggFn {
	t.Helper()
	res, err := ntRegistry().ResolveAggregate(name, args)
	if err != nil {
		t.Fatalf("%s%s: %v", name, describeArgs(args), err)
	}
	return ntAggFn{impl: res.Fn.(AggImpl), ret: res.Return, args: args, params: res.ParamTypes}
}

// vals converts the values of the non-constant arguments.
func (a ntAggFn) vals(t *testing.T, in []types.Value) []types.Value {
	t.Helper()
	out := make([]types.Value, 0, len(in))
	j := 0
	for i, arg := range a.args {
		if arg.IsConst {
			continue
		}
		v := in[j]
		j++
		if i < len(a.params) && a.params[i] != nil && v != nil {
			c, err := types.Cast(v, arg.Type, a.params[i])
			if err != nil {
				t.Fatalf("cast: %v", err)
			}
			v = c
		}
		out = append(out, v)
	}
	return out
}

func (a ntAggFn) add(t *testing.T, acc types.Value, in ...types.Value) types.Value {
	t.Helper()
	out, err := a.impl.Add(acc, a.vals(t, in))
	if err != nil {
		t.Fatalf("add %v: %v", in, err)
	}
	return out
}

func (a ntAggFn) undo(t *testing.T, acc types.Value, in ...types.Value) types.Value {
	t.Helper()
	u, ok := a.impl.(Undoer)
	if !ok {
		t.Fatalf("%T cannot undo", a.impl)
	}
	out, err := u.Undo(acc, a.vals(t, in))
	if err != nil {
		t.Fatalf("undo %v: %v", in, err)
	}
	return out
}

func (a ntAggFn) merge(t *testing.T, x, y types.Value) types.Value {
	t.Helper()
	m, ok := a.impl.(Merger)
	if !ok {
		t.Fatalf("%T cannot merge", a.impl)
	}
	out, err := m.Merge(x, y)
	if err != nil {
		t.Fatalf("merge: %v", err)
	}
	return out
}

func (a ntAggFn) result(t *testing.T, acc types.Value) types.Value {
	t.Helper()
	v, err := a.impl.Result(acc)
	if err != nil {
		t.Fatalf("result: %v", err)
	}
	return v
}

// ntStep is one input row of an aggregation test: added, or retracted
// when undo is set, followed by the expected result.
type ntStep struct {
	in   []types.Value
	undo bool
	want types.Value
}

// ntRunAgg feeds one group's steps through the aggregate.
func ntRunAgg(t *testing.T, a ntAggFn, steps []ntStep) types.Value {
	t.Helper()
	acc := a.impl.Init()
	for i, s := range steps {
		if s.undo {
			acc = a.undo(t, acc, s.in...)
		} else {
			acc = a.add(t, acc, s.in...)
		}
		if got := a.result(t, acc); !ntDeepEqual(got, s.want) {
			t.Errorf("step %d (%v, undo=%v): result %s, want %s", i, s.in, s.undo, types.String(got), types.String(s.want))
		}
	}
	return acc
}

// ntDeepEqual compares values structurally (types and all).
func ntDeepEqual(a, b types.Value) bool {
	switch x := a.(type) {
	case []types.Value:
		y, ok := b.([]types.Value)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !ntDeepEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	case *types.MapValue:
		y, ok := b.(*types.MapValue)
		if !ok || x.Len() != y.Len() {
			return false
		}
		for i, k := range x.Keys {
			v, ok := y.Get(k)
			if !ok || !ntDeepEqual(x.Vals[i], v) {
				return false
			}
		}
		return true
	case *types.StructValue:
		y, ok := b.(*types.StructValue)
		if !ok || !x.Type.Equal(y.Type) {
			return false
		}
		return ntDeepEqual(x.Vals, y.Vals)
	}
	return ntEqual(a, b)
}
