package functions

// Shared helpers of the collection, string, JSON, URL, bytes, null and
// lambda functions: generic type unification for functions with type
// parameters (ksqlDB's <T>), resolution errors, and value-set helpers.

import (
	"errors"
	"fmt"
	"strings"

	"github.com/ksqlgo/ksql/planner"
	"github.com/ksqlgo/ksql/sql/types"
)

// collResolveFn is the signature of ScalarDef.Resolve.
type collResolveFn = func(args []planner.ArgInfo) (*ScalarImpl, *types.Type, []*types.Type, error)

// collNoMatch is the resolution error for arguments no overload accepts,
// worded as ksqlDB words it.
func collNoMatch(name string, args []planner.ArgInfo, alternatives ...string) error {
	msg := fmt.Sprintf("Function '%s' does not accept parameters %s.", strings.ToLower(name), describeArgs(args))
	if len(alternatives) > 0 {
		msg += "\nValid alternatives are:\n" + strings.Join(alternatives, "\n")
	}
	return errors.New(msg)
}

// collIsNull reports whether t is the type of a bare NULL (or unknown).
func collIsNull(t *types.Type) bool { return t == nil || t.Kind == types.KindNull }

// collArgType is the type of argument i, nil for NULL or lambdas.
func collArgType(args []planner.ArgInfo, i int) *types.Type {
	if i >= len(args) || args[i].LambdaArity > 0 || collIsNull(args[i].Type) {
		return nil
	}
	return args[i].Type
}

// collHasLambda reports whether any argument is a lambda.
func collHasLambda(args []planner.ArgInfo) bool {
	for _, a := range args {
		if a.LambdaArity > 0 {
			return true
		}
	}
	return false
}

// collUnify returns the type both a and b implicitly convert to: equal
// types, numeric widening (INTEGER < BIGINT < DECIMAL < DOUBLE) and the
// same applied to the elements of arrays, maps and structs. A nil or NULL
// type unifies with anything. ok is false when the types are incompatible.
func collUnify(a, b *types.Type) (*types.Type, bool) {
	switch {
	case collIsNull(a) && collIsNull(b):
		if a == nil {
			return b, true
		}
		return a, true
	case collIsNull(a):
		return b, true
	case collIsNull(b):
		return a, true
	case a.Equal(b):
		return a, true
	}
	ra, rb := types.NumericRank(a.Kind), types.NumericRank(b.Kind)
	if ra > 0 && rb > 0 {
		switch {
		case a.Kind == types.KindDouble || b.Kind == types.KindDouble:
			return types.DoubleType, true
		case a.Kind == types.KindDecimal || b.Kind == types.KindDecimal:
			da, db := DecimalFor(a), DecimalFor(b)
			scale := max(da.Scale, db.Scale)
			intDigits := max(da.Precision-da.Scale, db.Precision-db.Scale)
			return types.DecimalOf(min(intDigits+scale, types.MaxDecimalPrecision), scale), true
		case ra > rb:
			return a, true
		default:
			return b, true
		}
	}
	if a.Kind != b.Kind {
		return nil, false
	}
	switch a.Kind {
	case types.KindArray:
		e, ok := collUnify(a.Elem, b.Elem)
		if !ok {
			return nil, false
		}
		return types.ArrayOf(e), true
	case types.KindMap:
		k, ok := collUnify(a.Key, b.Key)
		if !ok {
			return nil, false
		}
		v, ok := collUnify(a.Value, b.Value)
		if !ok {
			return nil, false
		}
		return types.MapOf(k, v), true
	case types.KindStruct:
		if len(a.Fields) != len(b.Fields) {
			return nil, false
		}
		fields := make([]types.Field, len(a.Fields))
		for i := range a.Fields {
			if a.Fields[i].Name != b.Fields[i].Name {
				return nil, false
			}
			t, ok := collUnify(a.Fields[i].Type, b.Fields[i].Type)
			if !ok {
				return nil, false
			}
			fields[i] = types.Field{Name: a.Fields[i].Name, Type: t}
		}
		return types.StructOf(fields...), true
	}
	return nil, false
}

// collUnifyAll unifies the types of the given arguments (nil for all-NULL).
func collUnifyAll(ts []*types.Type) (*types.Type, bool) {
	var out *types.Type
	for _, t := range ts {
		u, ok := collUnify(out, t)
		if !ok {
			return nil, false
		}
		out = u
	}
	if collIsNull(out) {
		return nil, true
	}
	return out, true
}

// collParams builds ParamTypes: argument i is cast to want[i] when its
// type differs (nil entries and lambda arguments are left as they are).
func collParams(args []planner.ArgInfo, want []*types.Type) []*types.Type {
	params := make([]*types.Type, len(args))
	changed := false
	for i := range args {
		if i >= len(want) || want[i] == nil || args[i].LambdaArity > 0 {
			continue
		}
		if args[i].Type != nil && args[i].Type.Equal(want[i]) {
			continue
		}
		params[i] = want[i]
		changed = true
	}
	if !changed {
		return nil
	}
	return params
}

// collComparable reports whether values of t have a natural order usable by
// ARRAY_MAX, ARRAY_MIN and ARRAY_SORT (Java's Comparable types).
func collComparable(t *types.Type) bool {
	if t == nil {
		return true
	}
	switch t.Kind {
	case types.KindArray, types.KindMap, types.KindStruct:
		return false
	}
	return true
}

// collValueSet is a set of runtime values with SQL equality (as Java's
// equals on the boxed values, which ksqlDB's collection functions use).
type collValueSet struct {
	hashed map[any]struct{}
	other  []types.Value
	hasNil bool
}

func newCollValueSet(n int) *collValueSet {
	return &collValueSet{hashed: make(map[any]struct{}, n)}
}

// collHashable reports whether v can be a Go map key with the same
// equality as types.Compare.
func collHashable(v types.Value) bool {
	switch x := v.(type) {
	case bool, int32, int64, string, types.Timestamp, types.Date, types.TimeOfDay:
		return true
	case float64:
		return x == x && x != 0 // NaN and ±0 need Compare's semantics
	}
	return false
}

// Add inserts v and reports whether it was new.
func (s *collValueSet) Add(v types.Value) bool {
	if s.Contains(v) {
		return false
	}
	switch {
	case v == nil:
		s.hasNil = true
	case collHashable(v):
		s.hashed[v] = struct{}{}
	default:
		s.other = append(s.other, v)
	}
	return true
}

// Contains reports whether v is in the set.
func (s *collValueSet) Contains(v types.Value) bool {
	if v == nil {
		return s.hasNil
	}
	if collHashable(v) {
		_, ok := s.hashed[v]
		return ok
	}
	for _, o := range s.other {
		if collEqual(o, v) {
			return true
		}
	}
	return false
}

// collEqual is Java's Objects.equals on two runtime values of one SQL type.
func collEqual(a, b types.Value) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	if types.KindOf(a) != types.KindOf(b) {
		return false
	}
	return types.Compare(a, b) == 0
}

// collLambda extracts a lambda argument.
func collLambda(v types.Value) (Lambda, error) {
	f, ok := v.(Lambda)
	if !ok {
		return nil, fmt.Errorf("expected a lambda argument, got %T", v)
	}
	return f, nil
}
