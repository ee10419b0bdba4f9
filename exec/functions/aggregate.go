package functions

import (
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ksqlgo/ksql/planner"
	"github.com/ksqlgo/ksql/sql/types"
)

// AggImpl is a resolved aggregate function. Accumulators are runtime
// values (types.Value; composite state as []types.Value) so that the
// engine stores them with its generic value encoding. Implementations are
// stateless and safe for concurrent use; the accumulator carries all state.
type AggImpl interface {
	// Init returns the accumulator of an empty group.
	Init() types.Value
	// Add folds one row's arguments (non-constant arguments only) into acc
	// and returns the new accumulator (acc may be modified in place).
	Add(acc types.Value, args []types.Value) (types.Value, error)
	// Result is the aggregate's value for acc.
	Result(acc types.Value) (types.Value, error)
}

// ArgsNotRetained is implemented by aggregates whose accumulators never
// hold an argument value itself, only values computed from them (COUNT,
// SUM, AVG, ...). The engine passes arguments that share memory with
// their record (types.Arena); an aggregate that keeps an argument (MAX,
// COLLECT_LIST, LATEST_BY_OFFSET, ...) is given a detached copy instead.
type ArgsNotRetained interface {
	ArgsNotRetained()
}

// Undoer is implemented by aggregates that can retract a row, which
// aggregations over tables need.
type Undoer interface {
	Undo(acc types.Value, args []types.Value) (types.Value, error)
}

// Merger is implemented by aggregates that can combine two accumulators,
// which session windows need when they merge.
type Merger interface {
	Merge(a, b types.Value) (types.Value, error)
}

// ErrNoUndo is returned when a table aggregation uses an aggregate that
// cannot retract rows.
var ErrNoUndo = errors.New("aggregate function does not support retraction")

// AggregateDef is an aggregate function.
type AggregateDef struct {
	Name        string
	Description string
	// ComplexIntermediate: ksqlDB's UDAF keeps a STRUCT, ARRAY or MAP
	// between rows (planner.Resolved.ComplexIntermediate): AVG, the
	// standard deviations, CORRELATION, TOPK, TOPKDISTINCT, COLLECT_LIST,
	// COLLECT_SET, HISTOGRAM, COUNT_DISTINCT, ATTR, EARLIEST_BY_OFFSET and
	// LATEST_BY_OFFSET.
	ComplexIntermediate bool
	// Resolve picks the implementation for the argument types. args
	// includes constant arguments (IsConst set).
	Resolve func(args []planner.ArgInfo) (AggImpl, *types.Type, []*types.Type, error)
}

// ResolveAggregate implements planner.FunctionResolver.
func (r *Registry) ResolveAggregate(name string, args []planner.ArgInfo) (planner.Resolved, error) {
	d, ok := r.aggregates[name]
	if !ok {
		return planner.Resolved{}, fmt.Errorf("Can't find any functions with the name '%s'", name)
	}
	impl, ret, params, err := d.Resolve(args)
	if err != nil {
		return planner.Resolved{}, err
	}
	return planner.Resolved{Fn: impl, Return: ret, ParamTypes: params, ComplexIntermediate: d.ComplexIntermediate}, nil
}

func noAggMatch(name string, args []planner.ArgInfo) error {
	return fmt.Errorf("Function '%s' does not accept parameters %s.", strings.ToLower(name), describeArgs(args))
}

func init() { builtins = append(builtins, registerCoreAggregates) }

func registerCoreAggregates(r *Registry) {
	r.AddAggregate(&AggregateDef{
		Name:        "COUNT",
		Description: "Counts the rows of a group; COUNT(col) counts non-null values.",
		Resolve: func(args []planner.ArgInfo) (AggImpl, *types.Type, []*types.Type, error) {
			if len(args) > 1 {
				return nil, nil, nil, noAggMatch("COUNT", args)
			}
			return countAgg{}, types.BigintType, nil, nil
		},
	})
	r.AddAggregate(&AggregateDef{
		Name:        "SUM",
		Description: "Sums the values of a column; NULLs are ignored.",
		Resolve: func(args []planner.ArgInfo) (AggImpl, *types.Type, []*types.Type, error) {
			if len(args) != 1 {
				return nil, nil, nil, noAggMatch("SUM", args)
			}
			t := args[0].Type
			switch t.Kind {
			case types.KindInteger, types.KindBigint, types.KindDouble:
				return sumAgg{t: t}, t, nil, nil
			case types.KindDecimal:
				return sumAgg{t: t}, t, nil, nil
			}
			return nil, nil, nil, noAggMatch("SUM", args)
		},
	})
	r.AddAggregate(&AggregateDef{
		ComplexIntermediate: true, // Struct<SUM, COUNT>
		Name:                "AVG",
		Description:         "Averages the values of a column; NULLs are ignored.",
		Resolve: func(args []planner.ArgInfo) (AggImpl, *types.Type, []*types.Type, error) {
			if len(args) != 1 {
				return nil, nil, nil, noAggMatch("AVG", args)
			}
			t := args[0].Type
			switch t.Kind {
			case types.KindInteger, types.KindBigint, types.KindDouble, types.KindDecimal:
				return avgAgg{t: t}, types.DoubleType, nil, nil
			}
			return nil, nil, nil, noAggMatch("AVG", args)
		},
	})
	for _, isMax := range []bool{false, true} {
		name := "MIN"
		if isMax {
			name = "MAX"
		}
		isMax := isMax
		r.AddAggregate(&AggregateDef{
			Name:        name,
			Description: "The " + strings.ToLower(name) + "imum non-null value of a column.",
			Resolve: func(args []planner.ArgInfo) (AggImpl, *types.Type, []*types.Type, error) {
				if len(args) != 1 {
					return nil, nil, nil, noAggMatch(name, args)
				}
				switch args[0].Type.Kind {
				case types.KindInteger, types.KindBigint, types.KindDouble, types.KindDecimal,
					types.KindString, types.KindTimestamp, types.KindDate, types.KindTime, types.KindBytes, types.KindBoolean:
					return minMaxAgg{max: isMax}, args[0].Type, nil, nil
				}
				return nil, nil, nil, noAggMatch(name, args)
			},
		})
	}
	for _, latest := range []bool{true, false} {
		name := "EARLIEST_BY_OFFSET"
		if latest {
			name = "LATEST_BY_OFFSET"
		}
		latest := latest
		r.AddAggregate(&AggregateDef{
			Name:                name,
			ComplexIntermediate: true, // Struct, List<Struct>
			Description:         "The value of the " + map[bool]string{true: "latest", false: "earliest"}[latest] + " row of a group by offset; optionally the N " + map[bool]string{true: "latest", false: "earliest"}[latest] + " as an array, and whether to ignore NULLs (default true).",
			Resolve: func(args []planner.ArgInfo) (AggImpl, *types.Type, []*types.Type, error) {
				if len(args) < 1 || len(args) > 3 {
					return nil, nil, nil, noAggMatch(name, args)
				}
				a := byOffsetAgg{latest: latest, ignoreNulls: true, n: 0}
				switch len(args) {
				case 2:
					if !args[1].IsConst {
						return nil, nil, nil, noAggMatch(name, args)
					}
					switch v := args[1].Const.(type) {
					case bool:
						a.ignoreNulls = v
					case int32:
						a.n = int(v)
					default:
						return nil, nil, nil, noAggMatch(name, args)
					}
				case 3:
					n, ok1 := args[1].Const.(int32)
					ig, ok2 := args[2].Const.(bool)
					if !ok1 || !ok2 {
						return nil, nil, nil, noAggMatch(name, args)
					}
					a.n, a.ignoreNulls = int(n), ig
				}
				if len(args) > 1 && a.n == 0 && args[1].Type.Kind == types.KindInteger {
					return nil, nil, nil, fmt.Errorf("For %s, the number of values must be positive", name)
				}
				if a.n > 0 {
					return a, types.ArrayOf(args[0].Type), nil, nil
				}
				return a, args[0].Type, nil, nil
			},
		})
	}
}

// countAgg counts rows (COUNT(*)/COUNT()) or non-null values (COUNT(x)).
// Accumulator: int64.
type countAgg struct{}

func (countAgg) Init() types.Value { return int64(0) }
func (countAgg) ArgsNotRetained()  {}
func (countAgg) Add(acc types.Value, args []types.Value) (types.Value, error) {
	if len(args) > 0 && args[0] == nil {
		return acc, nil
	}
	return acc.(int64) + 1, nil
}
func (countAgg) Undo(acc types.Value, args []types.Value) (types.Value, error) {
	if len(args) > 0 && args[0] == nil {
		return acc, nil
	}
	return acc.(int64) - 1, nil
}
func (countAgg) Merge(a, b types.Value) (types.Value, error) { return a.(int64) + b.(int64), nil }
func (countAgg) Result(acc types.Value) (types.Value, error) { return acc, nil }

// sumAgg sums; the accumulator has the result type and starts at zero.
type sumAgg struct{ t *types.Type }

func (sumAgg) ArgsNotRetained() {}

func (s sumAgg) Init() types.Value {
	switch s.t.Kind {
	case types.KindInteger:
		return int32(0)
	case types.KindBigint:
		return int64(0)
	case types.KindDouble:
		return float64(0)
	}
	return types.DecFromInt64(0).Rescale(s.t.Scale)
}

func (s sumAgg) combine(acc, v types.Value, sign int) (types.Value, error) {
	if v == nil {
		return acc, nil
	}
	switch a := acc.(type) {
	case int32:
		return a + int32(sign)*v.(int32), nil
	case int64:
		return a + int64(sign)*v.(int64), nil
	case float64:
		return a + float64(sign)*v.(float64), nil
	case types.Dec:
		d := types.AsDec(v)
		if sign < 0 {
			d = d.Neg()
		}
		r := a.Add(d)
		return types.FitDecimal(r, s.t)
	}
	return nil, fmt.Errorf("SUM: unexpected accumulator %T", acc)
}

func (s sumAgg) Add(acc types.Value, args []types.Value) (types.Value, error) {
	return s.combine(acc, args[0], 1)
}
func (s sumAgg) Undo(acc types.Value, args []types.Value) (types.Value, error) {
	return s.combine(acc, args[0], -1)
}
func (s sumAgg) Merge(a, b types.Value) (types.Value, error) { return s.combine(a, b, 1) }
func (s sumAgg) Result(acc types.Value) (types.Value, error) { return acc, nil }

// avgAgg keeps [sum, count]; sum is a double for INTEGER/BIGINT/DOUBLE.
type avgAgg struct{ t *types.Type }

func (avgAgg) ArgsNotRetained() {}

func (avgAgg) Init() types.Value { return []types.Value{float64(0), int64(0)} }
func (a avgAgg) step(acc types.Value, v types.Value, sign int) (types.Value, error) {
	if v == nil {
		return acc, nil
	}
	st := acc.([]types.Value)
	sum := st[0].(float64) + float64(sign)*types.AsFloat64(v)
	return []types.Value{sum, st[1].(int64) + int64(sign)}, nil
}
func (a avgAgg) Add(acc types.Value, args []types.Value) (types.Value, error) {
	return a.step(acc, args[0], 1)
}
func (a avgAgg) Undo(acc types.Value, args []types.Value) (types.Value, error) {
	return a.step(acc, args[0], -1)
}
func (avgAgg) Merge(x, y types.Value) (types.Value, error) {
	a, b := x.([]types.Value), y.([]types.Value)
	return []types.Value{a[0].(float64) + b[0].(float64), a[1].(int64) + b[1].(int64)}, nil
}
func (avgAgg) Result(acc types.Value) (types.Value, error) {
	st := acc.([]types.Value)
	n := st[1].(int64)
	if n == 0 {
		return float64(0), nil
	}
	return st[0].(float64) / float64(n), nil
}

// minMaxAgg keeps the smallest or largest non-null value (nil when none).
type minMaxAgg struct{ max bool }

func (minMaxAgg) Init() types.Value { return nil }
func (m minMaxAgg) Add(acc types.Value, args []types.Value) (types.Value, error) {
	v := args[0]
	if v == nil {
		return acc, nil
	}
	if acc == nil {
		return v, nil
	}
	c := types.Compare(v, acc)
	if (m.max && c > 0) || (!m.max && c < 0) {
		return v, nil
	}
	return acc, nil
}
func (m minMaxAgg) Merge(a, b types.Value) (types.Value, error) {
	return m.Add(a, []types.Value{b})
}
func (minMaxAgg) Result(acc types.Value) (types.Value, error) { return acc, nil }

// byOffsetAgg implements LATEST_BY_OFFSET and EARLIEST_BY_OFFSET. The
// accumulator is [values, sequence numbers]: up to max(n, 1) values in
// arrival order, each with the sequence number it arrived under, so that
// session windows can merge two accumulators in arrival order. With n == 0
// the result is the single value; otherwise the array of values.
type byOffsetAgg struct {
	latest      bool
	ignoreNulls bool
	n           int
}

// arrival numbers the values aggregated by *_BY_OFFSET in arrival order.
// It starts at the wall clock in nanoseconds, so numbers keep increasing
// across restarts (ksqlDB's counter restarts at zero).
var arrival atomic.Int64

func init() { arrival.Store(time.Now().UnixNano()) }

func (a byOffsetAgg) limit() int { return max(a.n, 1) }

func (a byOffsetAgg) Init() types.Value {
	return []types.Value{[]types.Value{}, []types.Value{}}
}

func (a byOffsetAgg) parts(acc types.Value) ([]types.Value, []types.Value) {
	st := acc.([]types.Value)
	return st[0].([]types.Value), st[1].([]types.Value)
}

// keep trims merged, arrival-ordered values to the limit.
func (a byOffsetAgg) keep(vals, seqs []types.Value) types.Value {
	if k := a.limit(); len(vals) > k {
		if a.latest {
			vals, seqs = vals[len(vals)-k:], seqs[len(seqs)-k:]
		} else {
			vals, seqs = vals[:k], seqs[:k]
		}
	}
	return []types.Value{vals, seqs}
}

func (a byOffsetAgg) Add(acc types.Value, args []types.Value) (types.Value, error) {
	v := args[0]
	if v == nil && a.ignoreNulls {
		return acc, nil
	}
	vals, seqs := a.parts(acc)
	if !a.latest && len(vals) >= a.limit() {
		return acc, nil
	}
	vals = append(append([]types.Value{}, vals...), v)
	seqs = append(append([]types.Value{}, seqs...), arrival.Add(1))
	return a.keep(vals, seqs), nil
}

func (a byOffsetAgg) Merge(x, y types.Value) (types.Value, error) {
	xv, xs := a.parts(x)
	yv, ys := a.parts(y)
	vals := make([]types.Value, 0, len(xv)+len(yv))
	seqs := make([]types.Value, 0, len(xs)+len(ys))
	i, j := 0, 0
	for i < len(xv) || j < len(yv) {
		if j >= len(yv) || (i < len(xv) && xs[i].(int64) <= ys[j].(int64)) {
			vals, seqs = append(vals, xv[i]), append(seqs, xs[i])
			i++
		} else {
			vals, seqs = append(vals, yv[j]), append(seqs, ys[j])
			j++
		}
	}
	return a.keep(vals, seqs), nil
}

func (a byOffsetAgg) Result(acc types.Value) (types.Value, error) {
	vals, _ := a.parts(acc)
	if a.n == 0 {
		if len(vals) == 0 {
			return nil, nil
		}
		return vals[len(vals)-1], nil
	}
	return vals, nil
}
