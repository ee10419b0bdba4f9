package functions

import (
	"fmt"

	"github.com/ksqlgo/ksql/planner"
	"github.com/ksqlgo/ksql/sql/types"
)

// TOPK(col, k) keeps the k largest non-NULL values of col, largest first
// (duplicates kept). TOPK(col, other1, ..., k) keeps the rows with the k
// largest col and returns ARRAY<STRUCT<sort_col, col0, col1, ...>>; equal
// sort values keep arrival order. TOPKDISTINCT(col, k) keeps the k largest
// distinct values. k is an INTEGER literal. Neither can retract rows (as in
// ksqlDB); both merge (session windows).

func init() { builtins = append(builtins, registerTopK) }

// aggTopKSortable reports whether a column type can be TOPK's sort column.
func aggTopKSortable(t *types.Type) bool {
	switch t.Kind {
	case types.KindInteger, types.KindBigint, types.KindDouble, types.KindDecimal, types.KindString,
		types.KindBytes, types.KindDate, types.KindTime, types.KindTimestamp:
		return true
	}
	return false
}

// aggTopKSize validates the trailing k argument.
func aggTopKSize(name string, args []planner.ArgInfo) (int, error) {
	last := args[len(args)-1]
	k, ok := last.Const.(int32)
	if !last.IsConst || !ok || last.Type == nil || last.Type.Kind != types.KindInteger {
		return 0, fmt.Errorf("%s: the number of values (the last argument) must be an INTEGER literal", name)
	}
	if k <= 0 {
		return 0, fmt.Errorf("%s: the number of values must be positive, got %d", name, k)
	}
	return int(k), nil
}

func registerTopK(r *Registry) {
	r.AddAggregate(&AggregateDef{ComplexIntermediate: true, Name: "TOPK",
		Description: "The k largest values of a column, largest first; with extra columns, the rows holding them as structs.",
		Resolve: func(args []planner.ArgInfo) (AggImpl, *types.Type, []*types.Type, error) {
			if len(args) < 2 || aggIsNull(args[0]) || !aggTopKSortable(args[0].Type) {
				return nil, nil, nil, noAggMatch("TOPK", args)
			}
			k, err := aggTopKSize("TOPK", args)
			if err != nil {
				return nil, nil, nil, err
			}
			cols := args[:len(args)-1]
			b, err := newAggBinder(cols, nil)
			if err != nil {
				return nil, nil, nil, err
			}
			if len(cols) == 1 {
				return topKAgg{k: k, b: b}, types.ArrayOf(args[0].Type), nil, nil
			}
			fields := []types.Field{{Name: "sort_col", Type: args[0].Type}}
			for i, c := range cols[1:] {
				if c.LambdaArity > 0 || c.Type == nil {
					return nil, nil, nil, noAggMatch("TOPK", args)
				}
				fields = append(fields, types.Field{Name: fmt.Sprintf("col%d", i), Type: c.Type})
			}
			st := types.StructOf(fields...)
			return topKAgg{k: k, b: b, row: st}, types.ArrayOf(st), nil, nil
		}})
	r.AddAggregate(&AggregateDef{ComplexIntermediate: true, Name: "TOPKDISTINCT",
		Description: "The k largest distinct values of a column, largest first.",
		Resolve: func(args []planner.ArgInfo) (AggImpl, *types.Type, []*types.Type, error) {
			if len(args) != 2 || aggIsNull(args[0]) || !aggTopKSortable(args[0].Type) {
				return nil, nil, nil, noAggMatch("TOPKDISTINCT", args)
			}
			k, err := aggTopKSize("TOPKDISTINCT", args)
			if err != nil {
				return nil, nil, nil, err
			}
			b, err := newAggBinder(args[:1], nil)
			if err != nil {
				return nil, nil, nil, err
			}
			return topKAgg{k: k, b: b, distinct: true}, types.ArrayOf(args[0].Type), nil, nil
		}})
}

// topKAgg's accumulator is a list sorted by descending sort value: of
// values, or (with extra columns) of rows []types.Value{sort, col0, ...}.
type topKAgg struct {
	k        int
	b        aggBinder
	row      *types.Type // struct type of the result rows, nil for plain values
	distinct bool
}

func (a topKAgg) key(e types.Value) types.Value {
	if a.row != nil {
		return e.([]types.Value)[0]
	}
	return e
}

func (topKAgg) Init() types.Value { return []types.Value{} }

func (a topKAgg) Add(acc types.Value, args []types.Value) (types.Value, error) {
	vals := a.b.bind(args)
	if vals[0] == nil {
		return acc, nil
	}
	list := acc.([]types.Value)
	var entry types.Value = vals[0]
	if a.row != nil {
		entry = append([]types.Value(nil), vals...)
	}
	if len(list) == a.k && types.Compare(vals[0], a.key(list[len(list)-1])) <= 0 {
		return list, nil
	}
	if a.distinct && aggIndexOf(list, vals[0]) >= 0 {
		return list, nil
	}
	// Insert after the values that are greater or equal.
	pos := len(list)
	for i, e := range list {
		if types.Compare(a.key(e), vals[0]) < 0 {
			pos = i
			break
		}
	}
	out := make([]types.Value, 0, len(list)+1)
	out = append(out, list[:pos]...)
	out = append(out, entry)
	out = append(out, list[pos:]...)
	if len(out) > a.k {
		out = out[:a.k]
	}
	return out, nil
}

func (a topKAgg) Merge(x, y types.Value) (types.Value, error) {
	one, two := x.([]types.Value), y.([]types.Value)
	out := make([]types.Value, 0, a.k)
	i, j := 0, 0
	for len(out) < a.k && (i < len(one) || j < len(two)) {
		switch {
		case j >= len(two):
			out = append(out, one[i])
			i++
		case i >= len(one):
			out = append(out, two[j])
			j++
		default:
			c := types.Compare(a.key(one[i]), a.key(two[j]))
			switch {
			case c > 0 || (c == 0 && !a.distinct):
				out = append(out, one[i])
				i++
			case c < 0:
				out = append(out, two[j])
				j++
			default: // distinct and equal: keep one
				out = append(out, one[i])
				i++
				j++
			}
		}
	}
	return out, nil
}

func (a topKAgg) Result(acc types.Value) (types.Value, error) {
	list := acc.([]types.Value)
	if a.row == nil {
		return aggCopy(list), nil
	}
	out := make([]types.Value, len(list))
	for i, e := range list {
		out[i] = &types.StructValue{Type: a.row, Vals: append([]types.Value(nil), e.([]types.Value)...)}
	}
	return out, nil
}
