package functions

import (
	"fmt"
	"strconv"

	"github.com/ksqlgo/ksql/planner"
	"github.com/ksqlgo/ksql/sql/types"
)

// ConfigurableAgg is implemented by aggregates whose behaviour depends on
// the query's properties (COLLECT_LIST and COLLECT_SET read
// ksql.functions.collect_list.limit / ksql.functions.collect_set.limit).
// After resolving an aggregate, the engine should call Configure with the
// statement's effective properties and use the returned implementation.
// Values may be numbers or strings, as in ksqlDB's Configurable UDAFs.
type ConfigurableAgg interface {
	AggImpl
	Configure(props map[string]any) AggImpl
}

// aggIntProp reads an integer property (a number or a numeric string).
func aggIntProp(props map[string]any, key string) (int, bool) {
	v, ok := props[key]
	if !ok || v == nil {
		return 0, false
	}
	switch x := v.(type) {
	case int:
		return x, true
	case int32:
		return int(x), true
	case int64:
		return int(x), true
	case float64:
		return int(x), true
	case string:
		n, err := strconv.Atoi(x)
		return n, err == nil
	case fmt.Stringer:
		n, err := strconv.Atoi(x.String())
		return n, err == nil
	}
	return 0, false
}

// aggBinder restores an aggregate's full argument list: Add receives only
// the non-constant arguments, and constant ones are filled in from the
// values seen at resolution (cast to their parameter types).
type aggBinder struct {
	n      int
	consts map[int]types.Value
}

func newAggBinder(args []planner.ArgInfo, params []*types.Type) (aggBinder, error) {
	b := aggBinder{n: len(args)}
	for i, a := range args {
		if !a.IsConst {
			continue
		}
		v := a.Const
		if i < len(params) && params[i] != nil && v != nil {
			c, err := types.Cast(v, a.Type, params[i])
			if err != nil {
				return b, err
			}
			v = c
		}
		if b.consts == nil {
			b.consts = map[int]types.Value{}
		}
		b.consts[i] = v
	}
	return b, nil
}

// bind returns the full argument list for the non-constant values vals.
func (b aggBinder) bind(vals []types.Value) []types.Value {
	if len(b.consts) == 0 {
		return vals
	}
	out := make([]types.Value, b.n)
	j := 0
	for i := range out {
		if c, ok := b.consts[i]; ok {
			out[i] = c
			continue
		}
		if j < len(vals) {
			out[i] = vals[j]
		}
		j++
	}
	return out
}

// aggIsNull reports whether an argument's type is the NULL type.
func aggIsNull(a planner.ArgInfo) bool { return a.Type == nil || a.Type.Kind == types.KindNull }

// aggCopy returns a copy of a list accumulator, so that results handed
// out never share storage with an accumulator that is later changed in
// place.
func aggCopy(list []types.Value) []types.Value {
	return append(make([]types.Value, 0, len(list)), list...)
}

// aggIndexOf finds v in list (NULL matches NULL).
func aggIndexOf(list []types.Value, v types.Value) int {
	for i, e := range list {
		if types.Equal(e, v) {
			return i
		}
	}
	return -1
}
