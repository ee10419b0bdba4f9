package functions

import (
	"github.com/ksqlgo/ksql/planner"
	"github.com/ksqlgo/ksql/sql/types"
)

// HISTOGRAM, ATTR and SUM_LIST: table-capable aggregates (they retract
// rows) that also merge.

func init() { builtins = append(builtins, registerMiscAggregates) }

// aggHistogramLimit is the number of distinct values HISTOGRAM tracks;
// further new values are ignored (ksqlDB's fixed limit).
const aggHistogramLimit = 1000

func registerMiscAggregates(r *Registry) {
	r.AddAggregate(&AggregateDef{ComplexIntermediate: true, Name: "HISTOGRAM",
		Description: "A map from each distinct STRING value of a group to the number of times it occurs (at most 1000 distinct values).",
		Resolve: func(args []planner.ArgInfo) (AggImpl, *types.Type, []*types.Type, error) {
			if len(args) != 1 || aggIsNull(args[0]) || args[0].Type.Kind != types.KindString {
				return nil, nil, nil, noAggMatch("HISTOGRAM", args)
			}
			b, err := newAggBinder(args, nil)
			if err != nil {
				return nil, nil, nil, err
			}
			return histogramAgg{b: b}, types.MapOf(types.StringType, types.BigintType), nil, nil
		}})
	r.AddAggregate(&AggregateDef{ComplexIntermediate: true, Name: "ATTR",
		Description: "The value of a column when it is the same for every row of the group, otherwise NULL.",
		Resolve: func(args []planner.ArgInfo) (AggImpl, *types.Type, []*types.Type, error) {
			if len(args) != 1 || aggIsNull(args[0]) || args[0].LambdaArity > 0 {
				return nil, nil, nil, noAggMatch("ATTR", args)
			}
			b, err := newAggBinder(args, nil)
			if err != nil {
				return nil, nil, nil, err
			}
			return attrAgg{b: b}, args[0].Type, nil, nil
		}})
	r.AddAggregate(&AggregateDef{Name: "SUM_LIST",
		Description: "The sum of the elements of the arrays of a group (NULL elements ignored).",
		Resolve: func(args []planner.ArgInfo) (AggImpl, *types.Type, []*types.Type, error) {
			if len(args) != 1 || aggIsNull(args[0]) || args[0].Type.Kind != types.KindArray || args[0].Type.Elem == nil {
				return nil, nil, nil, noAggMatch("SUM_LIST", args)
			}
			elem := args[0].Type.Elem
			switch elem.Kind {
			case types.KindInteger, types.KindBigint, types.KindDouble:
			default:
				return nil, nil, nil, noAggMatch("SUM_LIST", args)
			}
			b, err := newAggBinder(args, nil)
			if err != nil {
				return nil, nil, nil, err
			}
			return sumListAgg{elem: elem.Kind, b: b}, types.Primitive(elem.Kind), nil, nil
		}})
}

// histogramAgg's accumulator is a flat list of (value, count int64)
// pairs in order of first appearance. NULL values are not counted.
type histogramAgg struct{ b aggBinder }

func (histogramAgg) Init() types.Value { return []types.Value{} }

func (a histogramAgg) step(acc types.Value, args []types.Value, delta int64) types.Value {
	v := a.b.bind(args)[0]
	list := acc.([]types.Value)
	if v == nil {
		return list
	}
	for i := 0; i < len(list); i += 2 {
		if types.Equal(list[i], v) {
			n := list[i+1].(int64) + delta
			if n < 1 {
				return append(list[:i:i], list[i+2:]...)
			}
			list[i+1] = n
			return list
		}
	}
	if delta > 0 && len(list)/2 < aggHistogramLimit {
		list = append(list, v, delta)
	}
	return list
}

func (a histogramAgg) Add(acc types.Value, args []types.Value) (types.Value, error) {
	return a.step(acc, args, 1), nil
}

func (a histogramAgg) Undo(acc types.Value, args []types.Value) (types.Value, error) {
	return a.step(acc, args, -1), nil
}

func (histogramAgg) Merge(x, y types.Value) (types.Value, error) {
	out := aggCopy(x.([]types.Value))
	two := y.([]types.Value)
next:
	for j := 0; j < len(two); j += 2 {
		for i := 0; i < len(out); i += 2 {
			if types.Equal(out[i], two[j]) {
				out[i+1] = out[i+1].(int64) + two[j+1].(int64)
				continue next
			}
		}
		if len(out)/2 < aggHistogramLimit {
			out = append(out, two[j], two[j+1])
		}
	}
	return out, nil
}

func (histogramAgg) Result(acc types.Value) (types.Value, error) {
	list := acc.([]types.Value)
	m := &types.MapValue{Keys: make([]types.Value, 0, len(list)/2), Vals: make([]types.Value, 0, len(list)/2)}
	for i := 0; i < len(list); i += 2 {
		m.Keys = append(m.Keys, list[i])
		m.Vals = append(m.Vals, list[i+1])
	}
	return m, nil
}

// attrAgg's accumulator is a flat list of (value, count int32) pairs;
// NULL is a value like any other.
type attrAgg struct{ b aggBinder }

func (attrAgg) Init() types.Value { return []types.Value{} }

func attrUpdate(list []types.Value, v types.Value, delta int32) []types.Value {
	for i := 0; i < len(list); i += 2 {
		if types.Equal(list[i], v) {
			n := list[i+1].(int32) + delta
			if n < 0 {
				n = 0
			}
			list[i+1] = n
			return list
		}
	}
	if delta > 0 {
		list = append(list, v, delta)
	}
	return list
}

func (a attrAgg) Add(acc types.Value, args []types.Value) (types.Value, error) {
	return attrUpdate(acc.([]types.Value), a.b.bind(args)[0], 1), nil
}

func (a attrAgg) Undo(acc types.Value, args []types.Value) (types.Value, error) {
	return attrUpdate(acc.([]types.Value), a.b.bind(args)[0], -1), nil
}

func (attrAgg) Merge(x, y types.Value) (types.Value, error) {
	out := aggCopy(x.([]types.Value))
	two := y.([]types.Value)
	for j := 0; j < len(two); j += 2 {
		out = attrUpdate(out, two[j], two[j+1].(int32))
	}
	return out, nil
}

func (attrAgg) Result(acc types.Value) (types.Value, error) {
	list := acc.([]types.Value)
	var only types.Value
	n := 0
	for i := 0; i < len(list); i += 2 {
		if list[i+1].(int32) > 0 {
			only = list[i]
			n++
		}
	}
	if n != 1 {
		return nil, nil
	}
	return only, nil
}

// sumListAgg's accumulator is the sum, of the element type (INTEGER sums
// wrap around as Java's int arithmetic does).
type sumListAgg struct {
	elem types.Kind
	b    aggBinder
}

func (a sumListAgg) Init() types.Value {
	switch a.elem {
	case types.KindInteger:
		return int32(0)
	case types.KindBigint:
		return int64(0)
	}
	return float64(0)
}

func (a sumListAgg) combine(acc types.Value, list []types.Value, sign int) types.Value {
	switch s := acc.(type) {
	case int32:
		for _, v := range list {
			if v != nil {
				s += int32(sign) * v.(int32)
			}
		}
		return s
	case int64:
		for _, v := range list {
			if v != nil {
				s += int64(sign) * v.(int64)
			}
		}
		return s
	case float64:
		var sum float64
		for _, v := range list {
			if v != nil {
				sum += v.(float64)
			}
		}
		return s + float64(sign)*sum
	}
	return acc
}

func (a sumListAgg) Add(acc types.Value, args []types.Value) (types.Value, error) {
	list, _ := a.b.bind(args)[0].([]types.Value)
	return a.combine(acc, list, 1), nil
}

func (a sumListAgg) Undo(acc types.Value, args []types.Value) (types.Value, error) {
	list, _ := a.b.bind(args)[0].([]types.Value)
	return a.combine(acc, list, -1), nil
}

func (a sumListAgg) Merge(x, y types.Value) (types.Value, error) {
	return a.combine(x, []types.Value{y}, 1), nil
}

func (sumListAgg) Result(acc types.Value) (types.Value, error) { return acc, nil }
