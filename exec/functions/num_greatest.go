package functions

import (
	"fmt"
	"strings"

	"github.com/ksqlgo/ksql/planner"
	"github.com/ksqlgo/ksql/sql/types"
)

// GREATEST and LEAST: variadic over one comparable type. ksqlDB declares
// one overload per type (INTEGER, BIGINT, DOUBLE, DECIMAL, STRING, BYTES,
// DATE, TIME, TIMESTAMP); an exact overload wins, otherwise numeric
// arguments may widen, and more than one widened candidate is an
// "ambiguous method parameters" error (so GREATEST(INT, BIGINT) fails while
// GREATEST(INT, BIGINT, DOUBLE) is a DOUBLE). String literals compared with
// temporal arguments are coerced to the temporal type.

func init() { builtins = append(builtins, registerGreatestLeast) }

func registerGreatestLeast(r *Registry) {
	r.AddScalar(numExtremeDef("GREATEST", true))
	r.AddScalar(numExtremeDef("LEAST", false))
}

var numExtremeKinds = []string{"INTEGER", "BIGINT", "DOUBLE", "STRING", "DECIMAL", "BYTES", "DATE", "TIME", "TIMESTAMP"}

func numExtremeAlternatives(name string) string {
	lines := make([]string, len(numExtremeKinds))
	for i, k := range numExtremeKinds {
		lines[i] = fmt.Sprintf("%s(%s val, %s... vals)", strings.ToLower(name), k, k)
	}
	return strings.Join(lines, "\n")
}

func numExtremeDef(name string, greatest bool) *ScalarDef {
	lower := strings.ToLower(name)
	desc := "The lowest non-null value among a variable number of comparable columns."
	if greatest {
		desc = "The highest non-null value among a variable number of comparable columns."
	}
	noMatch := func(args []planner.ArgInfo) error {
		return fmt.Errorf("Function '%s' does not accept parameters %s.\nValid alternatives are:\n%s",
			lower, describeArgs(args), numExtremeAlternatives(name))
	}
	ambiguous := func(args []planner.ArgInfo) error {
		return fmt.Errorf("Function '%s' cannot be resolved due to ambiguous method parameters %s.\n"+
			"Use CAST() to explicitly cast your parameters to one of the supported function calls.\n"+
			"Valid function calls are:\n%s\nFor detailed information on a function run: DESCRIBE FUNCTION <Function-Name>;",
			lower, describeArgs(args), numExtremeAlternatives(name))
	}
	eval := func(a []types.Value) (types.Value, error) {
		var best types.Value
		for _, v := range a {
			if v == nil {
				continue
			}
			if best == nil {
				best = v
				continue
			}
			c := types.Compare(v, best)
			if (greatest && c > 0) || (!greatest && c < 0) {
				best = v
			}
		}
		return best, nil
	}
	resolve := func(args []planner.ArgInfo) (*ScalarImpl, *types.Type, []*types.Type, error) {
		if len(args) == 0 {
			return nil, nil, nil, noMatch(args)
		}
		var nonNull []*types.Type
		temporal := (*types.Type)(nil)
		for _, a := range args {
			if a.LambdaArity > 0 || a.TimeUnit {
				return nil, nil, nil, noMatch(args)
			}
			if a.Type == nil || a.Type.Kind == types.KindNull {
				continue
			}
			nonNull = append(nonNull, a.Type)
			switch a.Type.Kind {
			case types.KindDate, types.KindTime, types.KindTimestamp:
				if temporal != nil && temporal.Kind != a.Type.Kind {
					return nil, nil, nil, noMatch(args)
				}
				temporal = a.Type
			}
		}
		if len(nonNull) == 0 {
			// Every overload accepts only NULLs.
			return nil, nil, nil, ambiguous(args)
		}
		var target *types.Type
		switch {
		case temporal != nil:
			for _, a := range args {
				if a.Type == nil || a.Type.Kind == types.KindNull || a.Type.Kind == temporal.Kind {
					continue
				}
				if a.Type.Kind == types.KindString && a.IsConst {
					continue // string literal coerced to the temporal type
				}
				return nil, nil, nil, noMatch(args)
			}
			target = temporal
		default:
			kinds := map[types.Kind]bool{}
			for _, t := range nonNull {
				kinds[t.Kind] = true
			}
			if len(kinds) == 1 {
				t := nonNull[0]
				switch t.Kind {
				case types.KindInteger, types.KindBigint, types.KindDouble, types.KindString, types.KindBytes:
					target = types.Primitive(t.Kind)
				case types.KindDecimal:
					target = numWidenDecimals(nonNull)
				default:
					return nil, nil, nil, noMatch(args)
				}
				break
			}
			for k := range kinds {
				if k != types.KindDecimal && !types.Primitive(k).IsNumeric() {
					return nil, nil, nil, noMatch(args)
				}
			}
			if !kinds[types.KindDouble] {
				// Both the DECIMAL and the DOUBLE overload (and BIGINT when
				// there is no DECIMAL) accept the widened arguments.
				return nil, nil, nil, ambiguous(args)
			}
			target = types.DoubleType
		}
		params := make([]*types.Type, len(args))
		changed := false
		for i, a := range args {
			if a.Type == nil || !a.Type.Equal(target) {
				params[i] = target
				changed = true
			}
		}
		if !changed {
			params = nil
		}
		return &ScalarImpl{Name: name, Eval: eval, NullSafe: true}, target, params, nil
	}
	return &ScalarDef{Name: name, Description: desc, Resolve: resolve}
}

// numWidenDecimals is the DECIMAL that holds every one of the given
// DECIMAL types (ksqlDB's DecimalUtil.widen).
func numWidenDecimals(ts []*types.Type) *types.Type {
	intDigits, scale := 0, 0
	for _, t := range ts {
		d := DecimalFor(t)
		if d.Precision-d.Scale > intDigits {
			intDigits = d.Precision - d.Scale
		}
		if d.Scale > scale {
			scale = d.Scale
		}
	}
	p := intDigits + scale
	if p > types.MaxDecimalPrecision {
		p = types.MaxDecimalPrecision
	}
	if p < 1 {
		p = 1
	}
	return types.DecimalOf(p, scale)
}
