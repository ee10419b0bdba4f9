package functions

import (
	"math"

	"github.com/ksqlgo/ksql/planner"
	"github.com/ksqlgo/ksql/sql/types"
)

// COLLECT_LIST and COLLECT_SET gather a group's values (NULLs included)
// into an array of any element type. The size is unlimited unless the
// ksql.functions.collect_list.limit / collect_set.limit property sets a
// cap (ksqlDB's default is no cap; Confluent Cloud fixes it at 1000); values
// beyond the cap are ignored. COLLECT_LIST can retract rows (table
// aggregation); COLLECT_SET, as in ksqlDB, cannot.

const (
	aggCollectListLimit = "ksql.functions.collect_list.limit"
	aggCollectSetLimit  = "ksql.functions.collect_set.limit"
)

func init() { builtins = append(builtins, registerCollect) }

func registerCollect(r *Registry) {
	for _, set := range []bool{false, true} {
		name := "COLLECT_LIST"
		desc := "Gathers all the values of a group (NULLs included) into an array."
		if set {
			name = "COLLECT_SET"
			desc = "Gathers the distinct values of a group (NULL included) into an array, in order of first appearance."
		}
		r.AddAggregate(&AggregateDef{ComplexIntermediate: true, Name: name, Description: desc,
			Resolve: func(args []planner.ArgInfo) (AggImpl, *types.Type, []*types.Type, error) {
				if len(args) != 1 || args[0].LambdaArity > 0 || aggIsNull(args[0]) {
					return nil, nil, nil, noAggMatch(name, args)
				}
				b, err := newAggBinder(args, nil)
				if err != nil {
					return nil, nil, nil, err
				}
				ret := types.ArrayOf(args[0].Type)
				if set {
					return collectSetAgg{limit: math.MaxInt, b: b}, ret, nil, nil
				}
				return collectListAgg{limit: math.MaxInt, b: b}, ret, nil, nil
			}})
	}
}

func aggCollectLimit(props map[string]any, key string) int {
	n, ok := aggIntProp(props, key)
	if !ok || n < 0 {
		return math.MaxInt
	}
	return n
}

// collectListAgg: the accumulator is the list ([]types.Value).
type collectListAgg struct {
	limit int
	b     aggBinder
}

func (a collectListAgg) Configure(props map[string]any) AggImpl {
	a.limit = aggCollectLimit(props, aggCollectListLimit)
	return a
}

func (collectListAgg) Init() types.Value { return []types.Value{} }

func (a collectListAgg) Add(acc types.Value, args []types.Value) (types.Value, error) {
	list := acc.([]types.Value)
	if len(list) < a.limit {
		list = append(list, a.b.bind(args)[0])
	}
	return list, nil
}

// Undo removes the last occurrence of the value (a value that is not
// found was dropped by the limit).
func (a collectListAgg) Undo(acc types.Value, args []types.Value) (types.Value, error) {
	list := acc.([]types.Value)
	v := a.b.bind(args)[0]
	for i := len(list) - 1; i >= 0; i-- {
		if types.Equal(list[i], v) {
			return append(list[:i:i], list[i+1:]...), nil
		}
	}
	return list, nil
}

func (a collectListAgg) Merge(x, y types.Value) (types.Value, error) {
	one, two := x.([]types.Value), y.([]types.Value)
	room := a.limit - len(one)
	if room > len(two) {
		room = len(two)
	}
	if room <= 0 {
		return one, nil
	}
	return append(aggCopy(one), two[:room]...), nil
}

func (collectListAgg) Result(acc types.Value) (types.Value, error) {
	return aggCopy(acc.([]types.Value)), nil
}

// collectSetAgg: the accumulator is the list of distinct values.
type collectSetAgg struct {
	limit int
	b     aggBinder
}

func (a collectSetAgg) Configure(props map[string]any) AggImpl {
	a.limit = aggCollectLimit(props, aggCollectSetLimit)
	return a
}

func (collectSetAgg) Init() types.Value { return []types.Value{} }

func (a collectSetAgg) Add(acc types.Value, args []types.Value) (types.Value, error) {
	list := acc.([]types.Value)
	v := a.b.bind(args)[0]
	if len(list) < a.limit && aggIndexOf(list, v) < 0 {
		list = append(list, v)
	}
	return list, nil
}

func (a collectSetAgg) Merge(x, y types.Value) (types.Value, error) {
	out := aggCopy(x.([]types.Value))
	for _, v := range y.([]types.Value) {
		if len(out) >= a.limit {
			break
		}
		if aggIndexOf(out, v) < 0 {
			out = append(out, v)
		}
	}
	return out, nil
}

func (collectSetAgg) Result(acc types.Value) (types.Value, error) {
	return aggCopy(acc.([]types.Value)), nil
}
