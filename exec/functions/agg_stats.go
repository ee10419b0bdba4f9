package functions

import (
	"math"

	"github.com/ksqlgo/ksql/planner"
	"github.com/ksqlgo/ksql/sql/types"
)

// STDDEV_SAMP, STDDEV_SAMPLE and CORRELATION, with ksqlDB's arithmetic.
//
// Both standard deviations use the Youngs-Cramer update of (SUM, COUNT,
// M2). Faithful to ksqlDB, STDDEV_SAMP returns the sample *variance*
// M2/(n-1) (its map step omits the square root) and does its INTEGER
// arithmetic in 32 bits, while STDDEV_SAMPLE returns sqrt(M2/(n-1)) with a
// 64-bit count. Groups of fewer than two values give 0.0.

func init() { builtins = append(builtins, registerStatsAggregates) }

func registerStatsAggregates(r *Registry) {
	for _, variance := range []bool{true, false} {
		name := "STDDEV_SAMPLE"
		desc := "The sample standard deviation of a numeric column."
		if variance {
			name = "STDDEV_SAMP"
			desc = "The sample standard deviation of a numeric column (as in ksqlDB, the value returned is the sample variance)."
		}
		r.AddAggregate(&AggregateDef{ComplexIntermediate: true, Name: name, Description: desc,
			Resolve: func(args []planner.ArgInfo) (AggImpl, *types.Type, []*types.Type, error) {
				if len(args) != 1 || aggIsNull(args[0]) {
					return nil, nil, nil, noAggMatch(name, args)
				}
				var params []*types.Type
				kind := args[0].Type.Kind
				switch kind {
				case types.KindInteger, types.KindBigint, types.KindDouble:
				case types.KindDecimal:
					kind, params = types.KindDouble, []*types.Type{types.DoubleType}
				default:
					return nil, nil, nil, noAggMatch(name, args)
				}
				b, err := newAggBinder(args, params)
				if err != nil {
					return nil, nil, nil, err
				}
				return stddevAgg{kind: kind, samp: variance, b: b}, types.DoubleType, params, nil
			}})
	}
	r.AddAggregate(&AggregateDef{ComplexIntermediate: true, Name: "CORRELATION",
		Description: "The Pearson correlation coefficient of two numeric columns.",
		Resolve: func(args []planner.ArgInfo) (AggImpl, *types.Type, []*types.Type, error) {
			if len(args) != 2 {
				return nil, nil, nil, noAggMatch("CORRELATION", args)
			}
			params := make([]*types.Type, 2)
			for i, a := range args {
				switch {
				case aggIsNull(a):
					params[i] = types.DoubleType
				case a.Type.Kind == types.KindDouble:
				case a.Type.IsNumeric():
					params[i] = types.DoubleType
				default:
					return nil, nil, nil, noAggMatch("CORRELATION", args)
				}
			}
			if params[0] == nil && params[1] == nil {
				params = nil
			}
			b, err := newAggBinder(args, params)
			if err != nil {
				return nil, nil, nil, err
			}
			return correlationAgg{b: b}, types.DoubleType, params, nil
		}})
}

// stddevAgg's accumulator is []types.Value{SUM, COUNT int64, M2 float64},
// SUM having the column's type.
type stddevAgg struct {
	kind types.Kind
	samp bool // STDDEV_SAMP: 32-bit count arithmetic and variance result
	b    aggBinder
}

func (a stddevAgg) Init() types.Value {
	var zero types.Value
	switch a.kind {
	case types.KindInteger:
		zero = int32(0)
	case types.KindBigint:
		zero = int64(0)
	default:
		zero = float64(0)
	}
	return []types.Value{zero, int64(0), float64(0)}
}

// delta is v*(count+1) - (sum+v), evaluated with Java's operand types.
func (a stddevAgg) delta(sum types.Value, count int64, v types.Value) float64 {
	switch s := sum.(type) {
	case int32:
		x := v.(int32)
		if a.samp { // all int
			return float64(x*(int32(count)+1) - (s + x))
		}
		return float64(int64(x)*(count+1) - int64(s+x))
	case int64:
		x := v.(int64)
		return float64(x*(count+1) - (s + x))
	}
	x := v.(float64)
	return x*float64(count+1) - (sum.(float64) + x)
}

// pairs is n*(n-1) (or n*(n+1)) in the count's width.
func (a stddevAgg) product(n, m int64) float64 {
	if a.samp {
		return float64(int32(n) * int32(m))
	}
	return float64(n * m)
}

func stddevAddSum(sum, v types.Value, sign int) types.Value {
	switch s := sum.(type) {
	case int32:
		return s + int32(sign)*v.(int32)
	case int64:
		return s + int64(sign)*v.(int64)
	}
	return sum.(float64) + float64(sign)*v.(float64)
}

func (a stddevAgg) Add(acc types.Value, args []types.Value) (types.Value, error) {
	v := a.b.bind(args)[0]
	if v == nil {
		return acc, nil
	}
	st := acc.([]types.Value)
	count := st[1].(int64)
	newCount := count + 1
	m2 := 0.0
	if count > 0 {
		d := a.delta(st[0], count, v)
		m2 = d * d / a.product(newCount, newCount-1)
	}
	return []types.Value{stddevAddSum(st[0], v, 1), newCount, m2 + st[2].(float64)}, nil
}

func (a stddevAgg) Undo(acc types.Value, args []types.Value) (types.Value, error) {
	v := a.b.bind(args)[0]
	if v == nil {
		return acc, nil
	}
	st := acc.([]types.Value)
	count := st[1].(int64)
	newCount := count - 1
	m2 := 0.0
	if newCount > 0 {
		d := a.delta(st[0], count, v)
		m2 = d * d / a.product(newCount, newCount+1)
	}
	return []types.Value{stddevAddSum(st[0], v, -1), newCount, st[2].(float64) - m2}, nil
}

func (a stddevAgg) Merge(x, y types.Value) (types.Value, error) {
	one, two := x.([]types.Value), y.([]types.Value)
	c1, c2 := one[1].(int64), two[1].(int64)
	m2 := one[2].(float64) + two[2].(float64)
	if c1 != 0 && c2 != 0 {
		var inner float64
		switch s1 := one[0].(type) {
		case int32:
			s2 := two[0].(int32)
			if a.samp { // integer division, as ksqlDB does
				inner = float64(s1/int32(c1) - s2/int32(c2))
			} else {
				inner = float64(s1)/float64(c1) - float64(s2)/float64(c2)
			}
		case int64:
			s2 := two[0].(int64)
			if a.samp {
				inner = float64(s1/c1 - s2/c2)
			} else {
				inner = float64(s1)/float64(c1) - float64(s2)/float64(c2)
			}
		default:
			inner = one[0].(float64)/float64(c1) - two[0].(float64)/float64(c2)
		}
		m2 += a.product(c1, c2) * inner * inner / float64(c1+c2)
	}
	return []types.Value{stddevAddSum(one[0], two[0], 1), c1 + c2, m2}, nil
}

func (a stddevAgg) Result(acc types.Value) (types.Value, error) {
	st := acc.([]types.Value)
	count := st[1].(int64)
	if count < 2 {
		return 0.0, nil
	}
	v := st[2].(float64) / float64(count-1)
	if a.samp {
		return v, nil
	}
	return math.Sqrt(v), nil
}

// correlationAgg's accumulator is []types.Value{X_SUM, Y_SUM,
// X_SQUARED_SUM, Y_SQUARED_SUM, XY_SUM (float64), COUNT int64}.
type correlationAgg struct{ b aggBinder }

func (correlationAgg) Init() types.Value {
	return []types.Value{0.0, 0.0, 0.0, 0.0, 0.0, int64(0)}
}

func (a correlationAgg) step(acc types.Value, args []types.Value, sign float64) types.Value {
	vals := a.b.bind(args)
	if vals[0] == nil || vals[1] == nil {
		return acc
	}
	x, y := vals[0].(float64), vals[1].(float64)
	st := acc.([]types.Value)
	if sign > 0 {
		return []types.Value{st[0].(float64) + x, st[1].(float64) + y, st[2].(float64) + x*x,
			st[3].(float64) + y*y, st[4].(float64) + x*y, st[5].(int64) + 1}
	}
	return []types.Value{st[0].(float64) - x, st[1].(float64) - y, st[2].(float64) - x*x,
		st[3].(float64) - y*y, st[4].(float64) - x*y, st[5].(int64) - 1}
}

func (a correlationAgg) Add(acc types.Value, args []types.Value) (types.Value, error) {
	return a.step(acc, args, 1), nil
}

func (a correlationAgg) Undo(acc types.Value, args []types.Value) (types.Value, error) {
	return a.step(acc, args, -1), nil
}

func (correlationAgg) Merge(x, y types.Value) (types.Value, error) {
	one, two := x.([]types.Value), y.([]types.Value)
	out := make([]types.Value, 6)
	for i := 0; i < 5; i++ {
		out[i] = one[i].(float64) + two[i].(float64)
	}
	out[5] = one[5].(int64) + two[5].(int64)
	return out, nil
}

func (correlationAgg) Result(acc types.Value) (types.Value, error) {
	st := acc.([]types.Value)
	sumX, sumY := st[0].(float64), st[1].(float64)
	sqX, sqY, sumXY := st[2].(float64), st[3].(float64), st[4].(float64)
	n := float64(st[5].(int64))
	num := n*sumXY - sumX*sumY
	den := math.Sqrt((n*sqX - sumX*sumX) * (n*sqY - sumY*sumY))
	return num / den, nil
}
