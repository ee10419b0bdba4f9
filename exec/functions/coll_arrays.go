package functions

// Collection functions: ARRAY_CONCAT ARRAY_CONTAINS ARRAY_DISTINCT
// ARRAY_EXCEPT ARRAY_INTERSECT ARRAY_JOIN ARRAY_LENGTH ARRAY_MAX ARRAY_MIN
// ARRAY_REMOVE ARRAY_SORT ARRAY_UNION SLICE GENERATE_SERIES ELT FIELD.
// (Map functions are in coll_maps.go.)
//
// Generic functions (ksqlDB's <T>) unify their argument types with
// implicit numeric widening and ask the planner to cast the arguments.

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ksqlgo/ksql/planner"
	"github.com/ksqlgo/ksql/sql/types"
)

func init() { builtins = append(builtins, registerCollArrays) }

// collMaxSeries bounds GENERATE_SERIES so that a huge range fails the row
// instead of exhausting memory.
const collMaxSeries = 10_000_000

// collArrayElem returns the element type of an ARRAY argument: ok is
// false for a non-array; elem is nil when unknown (a NULL argument).
func collArrayElem(t *types.Type) (elem *types.Type, ok bool) {
	if collIsNull(t) {
		return nil, true
	}
	if t.Kind != types.KindArray {
		return nil, false
	}
	if collIsNull(t.Elem) {
		return nil, true
	}
	return t.Elem, true
}

// collArrayFn builds a Resolve for a function of n leading ARRAY<T>
// arguments (all unified to one T), followed by extra fixed-type
// parameters, of which the first minExtra are required. ret computes the
// return type from T.
func collArrayFn(name string, nArrays int, extra []*types.Type, minExtra int, nullSafe bool, sig string,
	ret func(elem *types.Type) (*types.Type, error), eval ScalarFn) collResolveFn {
	return func(args []planner.ArgInfo) (*ScalarImpl, *types.Type, []*types.Type, error) {
		fail := func() (*ScalarImpl, *types.Type, []*types.Type, error) {
			return nil, nil, nil, collNoMatch(name, args, sig)
		}
		if collHasLambda(args) || len(args) < nArrays+minExtra || len(args) > nArrays+len(extra) {
			return fail()
		}
		var elem *types.Type
		for i := 0; i < nArrays; i++ {
			e, ok := collArrayElem(args[i].Type)
			if !ok {
				return fail()
			}
			if elem, ok = collUnify(elem, e); !ok {
				return fail()
			}
		}
		if collIsNull(elem) {
			return nil, nil, nil, fmt.Errorf("Function '%s' cannot infer the element type of its array arguments %s.", strings.ToLower(name), describeArgs(args))
		}
		want := make([]*types.Type, len(args))
		for i := 0; i < nArrays; i++ {
			want[i] = types.ArrayOf(elem)
		}
		for i := nArrays; i < len(args); i++ {
			t, p := args[i].Type, extra[i-nArrays]
			if !collIsNull(t) && !t.Equal(p) && !widens(t, p) {
				return fail()
			}
			want[i] = p
		}
		rt, err := ret(elem)
		if err != nil {
			return nil, nil, nil, err
		}
		return &ScalarImpl{Name: name, Eval: eval, NullSafe: nullSafe}, rt, collParams(args, want), nil
	}
}

// collArrayAndElem builds a Resolve for f(ARRAY<T>, T).
func collArrayAndElem(name string, nullSafe bool, ret func(elem *types.Type) *types.Type, eval ScalarFn) collResolveFn {
	return func(args []planner.ArgInfo) (*ScalarImpl, *types.Type, []*types.Type, error) {
		if len(args) != 2 || collHasLambda(args) {
			return nil, nil, nil, collNoMatch(name, args, name+"(ARRAY<T>, T)")
		}
		e, ok := collArrayElem(args[0].Type)
		if !ok {
			return nil, nil, nil, collNoMatch(name, args, name+"(ARRAY<T>, T)")
		}
		elem, ok := collUnify(e, collArgType(args, 1))
		if !ok {
			return nil, nil, nil, collNoMatch(name, args, name+"(ARRAY<T>, T)")
		}
		if collIsNull(elem) {
			return nil, nil, nil, fmt.Errorf("Function '%s' cannot infer the element type of its arguments %s.", strings.ToLower(name), describeArgs(args))
		}
		return &ScalarImpl{Name: name, Eval: eval, NullSafe: nullSafe}, ret(elem),
			collParams(args, []*types.Type{types.ArrayOf(elem), elem}), nil
	}
}

func registerCollArrays(r *Registry) {
	arrayOfElem := func(e *types.Type) (*types.Type, error) { return types.ArrayOf(e), nil }

	r.AddScalar(&ScalarDef{Name: "ARRAY_CONCAT", Description: "Concatenates two arrays; a NULL array counts as empty, NULL if both are NULL.",
		Resolve: collArrayFn("ARRAY_CONCAT", 2, nil, 0, true, "ARRAY_CONCAT(ARRAY<T>, ARRAY<T>)", arrayOfElem,
			func(a []types.Value) (types.Value, error) {
				if a[0] == nil && a[1] == nil {
					return nil, nil
				}
				l, _ := a[0].([]types.Value)
				rr, _ := a[1].([]types.Value)
				out := make([]types.Value, 0, len(l)+len(rr))
				return append(append(out, l...), rr...), nil
			})})

	r.AddScalar(&ScalarDef{Name: "ARRAY_CONTAINS", Description: "True if the array is not NULL and contains the value.",
		Resolve: collArrayAndElem("ARRAY_CONTAINS", true, func(*types.Type) *types.Type { return types.BooleanType },
			func(a []types.Value) (types.Value, error) {
				arr, _ := a[0].([]types.Value)
				for _, e := range arr {
					if collEqual(e, a[1]) {
						return true, nil
					}
				}
				return false, nil
			})})

	r.AddScalar(&ScalarDef{Name: "ARRAY_DISTINCT", Description: "The distinct values of an array (including NULL), in order of first occurrence.",
		Resolve: collArrayFn("ARRAY_DISTINCT", 1, nil, 0, false, "ARRAY_DISTINCT(ARRAY<T>)", arrayOfElem,
			func(a []types.Value) (types.Value, error) {
				arr := a[0].([]types.Value)
				set := newCollValueSet(len(arr))
				out := []types.Value{}
				for _, e := range arr {
					if set.Add(e) {
						out = append(out, e)
					}
				}
				return out, nil
			})})

	r.AddScalar(&ScalarDef{Name: "ARRAY_EXCEPT", Description: "The distinct values of the first array that are not in the second.",
		Resolve: collArrayFn("ARRAY_EXCEPT", 2, nil, 0, false, "ARRAY_EXCEPT(ARRAY<T>, ARRAY<T>)", arrayOfElem,
			func(a []types.Value) (types.Value, error) {
				l, rr := a[0].([]types.Value), a[1].([]types.Value)
				right := newCollValueSet(len(rr))
				for _, e := range rr {
					right.Add(e)
				}
				seen := newCollValueSet(len(l))
				out := []types.Value{}
				for _, e := range l {
					if seen.Add(e) && !right.Contains(e) {
						out = append(out, e)
					}
				}
				return out, nil
			})})

	r.AddScalar(&ScalarDef{Name: "ARRAY_INTERSECT", Description: "The distinct values present in both arrays, in the order of the first.",
		Resolve: collArrayFn("ARRAY_INTERSECT", 2, nil, 0, false, "ARRAY_INTERSECT(ARRAY<T>, ARRAY<T>)", arrayOfElem,
			func(a []types.Value) (types.Value, error) {
				l, rr := a[0].([]types.Value), a[1].([]types.Value)
				right := newCollValueSet(len(rr))
				for _, e := range rr {
					right.Add(e)
				}
				seen := newCollValueSet(len(l))
				out := []types.Value{}
				for _, e := range l {
					if seen.Add(e) && right.Contains(e) {
						out = append(out, e)
					}
				}
				return out, nil
			})})

	r.AddScalar(&ScalarDef{Name: "ARRAY_UNION", Description: "The distinct values of both arrays.",
		Resolve: collArrayFn("ARRAY_UNION", 2, nil, 0, false, "ARRAY_UNION(ARRAY<T>, ARRAY<T>)", arrayOfElem,
			func(a []types.Value) (types.Value, error) {
				l, rr := a[0].([]types.Value), a[1].([]types.Value)
				seen := newCollValueSet(len(l) + len(rr))
				out := []types.Value{}
				for _, arr := range [][]types.Value{l, rr} {
					for _, e := range arr {
						if seen.Add(e) {
							out = append(out, e)
						}
					}
				}
				return out, nil
			})})

	r.AddScalar(&ScalarDef{Name: "ARRAY_JOIN", Description: "Joins the elements of an array of primitives into a string with a delimiter (default ',').",
		Resolve: collArrayFn("ARRAY_JOIN", 1, []*types.Type{types.StringType}, 0, true, "ARRAY_JOIN(ARRAY<T>)\nARRAY_JOIN(ARRAY<T>, STRING)",
			func(*types.Type) (*types.Type, error) { return types.StringType, nil },
			func(a []types.Value) (types.Value, error) {
				if a[0] == nil {
					return nil, nil
				}
				delim := ","
				if len(a) > 1 {
					delim = ""
					if a[1] != nil {
						delim = a[1].(string)
					}
				}
				var b strings.Builder
				for i, e := range a[0].([]types.Value) {
					if i > 0 {
						b.WriteString(delim)
					}
					switch x := e.(type) {
					case nil:
						b.WriteString("null")
					case bool, int32, int64, float64, string:
						b.WriteString(types.String(x))
					case types.Dec:
						b.WriteString(jsonFormatBigDecimal(x.Unscaled(), x.Scale(), false))
					default:
						return nil, fmt.Errorf("error: hit element of type %s which is currently not supported", types.KindOf(e))
					}
				}
				return b.String(), nil
			})})

	r.AddScalar(&ScalarDef{Name: "ARRAY_LENGTH", Description: "The number of elements of an array.", Sigs: []Sig{
		{Params: []Param{PK(types.KindArray)}, Ret: types.IntegerType, Eval: func(a []types.Value) (types.Value, error) {
			return int32(len(a[0].([]types.Value))), nil
		}},
	}})

	for _, isMax := range []bool{true, false} {
		name := "ARRAY_MIN"
		if isMax {
			name = "ARRAY_MAX"
		}
		isMax := isMax
		r.AddScalar(&ScalarDef{Name: name, Description: "The " + strings.ToLower(name[6:]) + "imum non-NULL value of an array of primitives; NULL if there is none.",
			Resolve: collArrayFn(name, 1, nil, 0, false, name+"(ARRAY<T>)",
				func(e *types.Type) (*types.Type, error) {
					if !collComparable(e) {
						return nil, fmt.Errorf("Function '%s' does not accept parameters (ARRAY<%s>): its elements must be of a primitive type.", strings.ToLower(name), e)
					}
					return e, nil
				},
				func(a []types.Value) (types.Value, error) {
					var best types.Value
					for _, e := range a[0].([]types.Value) {
						if e == nil {
							continue
						}
						if best == nil {
							best = e
							continue
						}
						c := types.Compare(e, best)
						if (isMax && c > 0) || (!isMax && c < 0) {
							best = e
						}
					}
					return best, nil
				})})
	}

	r.AddScalar(&ScalarDef{Name: "ARRAY_REMOVE", Description: "The array without the elements equal to the value (NULL removes NULLs).",
		Resolve: collArrayAndElem("ARRAY_REMOVE", true, func(e *types.Type) *types.Type { return types.ArrayOf(e) },
			func(a []types.Value) (types.Value, error) {
				if a[0] == nil {
					return nil, nil
				}
				out := []types.Value{}
				for _, e := range a[0].([]types.Value) {
					if !collEqual(e, a[1]) {
						out = append(out, e)
					}
				}
				return out, nil
			})})

	r.AddScalar(&ScalarDef{Name: "ARRAY_SORT", Description: "Sorts an array of primitives, ascending by default or in the given direction ('ASC', 'DESC'); NULLs last.",
		Resolve: collArrayFn("ARRAY_SORT", 1, []*types.Type{types.StringType}, 0, false, "ARRAY_SORT(ARRAY<T>)\nARRAY_SORT(ARRAY<T>, STRING)",
			func(e *types.Type) (*types.Type, error) {
				if !collComparable(e) {
					return nil, fmt.Errorf("Function 'array_sort' does not accept parameters (ARRAY<%s>): its elements must be of a primitive type.", e)
				}
				return types.ArrayOf(e), nil
			},
			func(a []types.Value) (types.Value, error) {
				desc := false
				if len(a) > 1 {
					switch strings.ToUpper(a[1].(string)) {
					case "ASC", "ASCENDING":
					case "DESC", "DESCENDING":
						desc = true
					default:
						return nil, nil
					}
				}
				out := append([]types.Value{}, a[0].([]types.Value)...)
				sort.SliceStable(out, func(i, j int) bool {
					x, y := out[i], out[j]
					if x == nil || y == nil {
						return x != nil && y == nil
					}
					c := types.Compare(x, y)
					if desc {
						return c > 0
					}
					return c < 0
				})
				return out, nil
			})})

	integer := types.IntegerType
	r.AddScalar(&ScalarDef{Name: "SLICE", Description: "The elements of an array from a 1-based start to an end position (inclusive); NULL positions mean the array's bounds; NULL if out of range.",
		Resolve: collArrayFn("SLICE", 1, []*types.Type{integer, integer}, 2, true, "SLICE(ARRAY<T>, INTEGER, INTEGER)", arrayOfElem,
			func(a []types.Value) (types.Value, error) {
				if a[0] == nil {
					return nil, nil
				}
				arr := a[0].([]types.Value)
				start, end := int64(0), int64(len(arr))
				if a[1] != nil {
					start = int64(a[1].(int32)) - 1
				}
				if a[2] != nil {
					end = int64(a[2].(int32))
				}
				if start < 0 || end > int64(len(arr)) || start > end {
					return nil, nil
				}
				return append([]types.Value{}, arr[start:end]...), nil
			})})

	bigint := types.BigintType
	seriesInt := func(a []types.Value) (types.Value, error) {
		start, end := a[0].(int32), a[1].(int32)
		var step int32
		if len(a) > 2 {
			step = a[2].(int32)
		} else if end-start > 0 {
			step = 1
		} else {
			step = -1
		}
		if step == 0 {
			return nil, fmt.Errorf("GENERATE_SERIES step cannot be zero")
		}
		diff := end - start
		if diff > 0 && step < 0 || diff < 0 && step > 0 {
			return nil, fmt.Errorf("GENERATE_SERIES step has wrong sign")
		}
		size := int64(1 + diff/step)
		if size > collMaxSeries {
			return nil, fmt.Errorf("GENERATE_SERIES would return %d values, more than the limit of %d", size, collMaxSeries)
		}
		if size < 0 {
			return nil, fmt.Errorf("Illegal Capacity: %d", size)
		}
		out := make([]types.Value, 0, size)
		for v, i := start, int64(0); i < size; i, v = i+1, v+step {
			out = append(out, v)
		}
		return out, nil
	}
	seriesLong := func(a []types.Value) (types.Value, error) {
		start, end := a[0].(int64), a[1].(int64)
		var step int64
		if len(a) > 2 {
			step = int64(a[2].(int32))
		} else if end-start > 0 {
			step = 1
		} else {
			step = -1
		}
		if step == 0 {
			return nil, fmt.Errorf("GENERATE_SERIES step cannot be zero")
		}
		diff := end - start
		if diff > 0 && step < 0 || diff < 0 && step > 0 {
			return nil, fmt.Errorf("GENERATE_SERIES step has wrong sign")
		}
		size := int64(1 + int32(diff/step))
		if size > collMaxSeries {
			return nil, fmt.Errorf("GENERATE_SERIES would return %d values, more than the limit of %d", size, collMaxSeries)
		}
		if size < 0 {
			return nil, fmt.Errorf("Illegal Capacity: %d", size)
		}
		out := make([]types.Value, 0, size)
		for v, i := start, int64(0); i < size; i, v = i+1, v+step {
			out = append(out, v)
		}
		return out, nil
	}
	r.AddScalar(&ScalarDef{Name: "GENERATE_SERIES", Description: "An array of the integers from start to end (inclusive), with an optional step.", Sigs: []Sig{
		{Params: []Param{P(integer), P(integer)}, Ret: types.ArrayOf(integer), Eval: seriesInt},
		{Params: []Param{P(integer), P(integer), P(integer)}, Ret: types.ArrayOf(integer), Eval: seriesInt},
		{Params: []Param{P(bigint), P(bigint)}, Ret: types.ArrayOf(bigint), Eval: seriesLong},
		{Params: []Param{P(bigint), P(bigint), P(integer)}, Ret: types.ArrayOf(bigint), Eval: seriesLong},
	}})

	str := types.StringType
	r.AddScalar(&ScalarDef{Name: "ELT", Description: "The n-th (1-based) of the string arguments; NULL if n is out of range.", Sigs: []Sig{
		{Params: []Param{P(integer), P(str)}, Variadic: true, Ret: str, NullSafe: true, Eval: func(a []types.Value) (types.Value, error) {
			if a[0] == nil {
				return nil, nil
			}
			n := int(a[0].(int32))
			if n < 1 || n > len(a)-1 {
				return nil, nil
			}
			return a[n], nil
		}},
	}})
	r.AddScalar(&ScalarDef{Name: "FIELD", Description: "The 1-based position of a string among the following arguments; 0 if absent or NULL.", Sigs: []Sig{
		{Params: []Param{P(str), P(str)}, Variadic: true, Ret: integer, NullSafe: true, Eval: func(a []types.Value) (types.Value, error) {
			if a[0] == nil {
				return int32(0), nil
			}
			for i, v := range a[1:] {
				if v != nil && v.(string) == a[0].(string) {
					return int32(i + 1), nil
				}
			}
			return int32(0), nil
		}},
	}})
}
