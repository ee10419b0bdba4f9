package testfuncs

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ksqlgo/ksql/exec/functions"
	"github.com/ksqlgo/ksql/planner"
	"github.com/ksqlgo/ksql/sql/types"
)

// factory is one @UdafFactory method. Its declared parameters (the
// overload's) are the Udaf's column parameters (its input type: one
// value, a Pair, Triple or Quadruple, whose last member may be
// VariadicArgs) followed by the factory method's own parameters, which
// take literal arguments (the initial arguments).
type factory struct {
	cols int
	// create is the factory method followed by initializeTypeArguments
	// (argTypes are the types of all the call's arguments).
	create func(init []types.Value, argTypes []*types.Type) (*udaf, error)
}

// udaf is a Udaf (a TableUdaf when undo is set).
type udaf struct {
	ret  *types.Type
	init func() types.Value
	// add and undo receive the column arguments in call order, variadic
	// ones spread out.
	add   func(acc types.Value, in []types.Value) (types.Value, error)
	undo  func(acc types.Value, in []types.Value) (types.Value, error)
	merge func(a, b types.Value) (types.Value, error)
	mapf  func(acc types.Value) (types.Value, error)
	// retains: the accumulator holds argument values themselves.
	retains bool
	// configure, when set, is Configurable.configure: it answers the Udaf
	// configured by the query's properties.
	configure func(props map[string]any) *udaf
}

// aggregate registers a UDAF class: name as its @UdafDescription spells
// it. UDAF overloads resolve without implicit casts. complex: every
// factory's Udaf keeps a STRUCT, ARRAY or MAP between rows
// (functions.AggregateDef.ComplexIntermediate).
func aggregate(r *functions.Registry, name, desc string, complex bool, ovs ...*overload) {
	x := &index{name: name, ovs: ovs}
	up := strings.ToUpper(name)
	r.AddAggregate(&functions.AggregateDef{
		Name:                up,
		Description:         desc,
		ComplexIntermediate: complex,
		Resolve: func(args []planner.ArgInfo) (functions.AggImpl, *types.Type, []*types.Type, error) {
			b, err := x.resolve(args)
			if err != nil {
				return nil, nil, nil, err
			}
			f := b.o.impl.(*factory)
			// UdafAggregateFunctionFactory.getFunction: the literal
			// parameters are the last ones; when one of them is variadic,
			// all arguments past the column parameters are literals.
			lits := len(b.o.params) - f.cols
			numInit := lits
			if v := b.o.variadicAt(); v >= f.cols {
				numInit = len(args) - f.cols
			}
			ncol := len(args) - numInit
			init := make([]types.Value, 0, numInit)
			for i := ncol; i < len(args); i++ {
				if !args[i].IsConst {
					return nil, nil, nil, fmt.Errorf("Failed to create aggregate function: Parameter %d passed to function %s must be a literal constant", i+1, up)
				}
				init = append(init, args[i].Const)
			}
			argTypes := make([]*types.Type, len(args))
			for i, a := range args {
				argTypes[i] = a.Type
			}
			u, err := f.create(init, argTypes)
			if err != nil {
				return nil, nil, nil, fmt.Errorf("Failed to create aggregate function: Failed to invoke UDAF factory method: %w", err)
			}
			core := &aggCore{u: u, ncol: ncol}
			for i := 1; i < ncol; i++ {
				// The planner passes no constant argument but the first;
				// ksqlDB passes constant column arguments as columns.
				if args[i].IsConst {
					if core.consts == nil {
						core.consts = map[int]types.Value{}
					}
					core.consts[i] = args[i].Const
				}
			}
			return core.wrap(), u.ret, nil, nil
		},
	})
}

// aggCore adapts a udaf to functions.AggImpl.
type aggCore struct {
	u    *udaf
	ncol int
	// consts holds the constant column arguments by position.
	consts map[int]types.Value
}

// in rebuilds the column arguments from the non-constant ones.
func (a *aggCore) in(args []types.Value) []types.Value {
	if a.consts == nil {
		return args[:a.ncol]
	}
	in := make([]types.Value, a.ncol)
	j := 0
	for i := range in {
		if v, ok := a.consts[i]; ok {
			in[i] = v
			continue
		}
		in[i] = args[j]
		j++
	}
	return in
}

func (a *aggCore) Init() types.Value { return a.u.init() }
func (a *aggCore) Add(acc types.Value, args []types.Value) (types.Value, error) {
	return a.u.add(acc, a.in(args))
}
func (a *aggCore) Merge(x, y types.Value) (types.Value, error) { return a.u.merge(x, y) }
func (a *aggCore) Result(acc types.Value) (types.Value, error) { return a.u.mapf(acc) }

// The adapters declare what the engine looks for: ArgsNotRetained,
// functions.Undoer (TableUdaf) and functions.ConfigurableAgg.
type (
	aggKeeps  struct{ *aggCore }
	aggNR     struct{ *aggCore }
	aggNRUndo struct{ aggNR }
	aggNRConf struct{ aggNRUndo }
)

func (aggNR) ArgsNotRetained() {}
func (a aggNRUndo) Undo(acc types.Value, args []types.Value) (types.Value, error) {
	return a.u.undo(acc, a.in(args))
}
func (a aggNRConf) Configure(props map[string]any) functions.AggImpl {
	c := *a.aggCore
	c.u = a.u.configure(props)
	return c.wrap()
}

func (a *aggCore) wrap() functions.AggImpl {
	switch {
	case a.u.retains:
		if a.u.undo != nil || a.u.configure != nil {
			panic("testfuncs: no adapter for a retaining TableUdaf")
		}
		return aggKeeps{a}
	case a.u.configure != nil:
		if a.u.undo == nil {
			panic("testfuncs: no adapter for a Configurable Udaf without undo")
		}
		return aggNRConf{aggNRUndo{aggNR{a}}}
	case a.u.undo != nil:
		return aggNRUndo{aggNR{a}}
	}
	return aggNR{a}
}

// fac declares a factory of cols column parameters.
func fac(params []param, cols int, create func(init []types.Value, argTypes []*types.Type) (*udaf, error)) *overload {
	return &overload{params: params, impl: &factory{cols: cols, create: create}}
}

// Long arithmetic helpers: ksqlDB's Longs and Integers; an unboxed NULL
// is a NullPointerException.
func sumLongs(a, b types.Value) (types.Value, error) {
	if a == nil || b == nil {
		return nil, fmt.Errorf(npe)
	}
	return a.(int64) + b.(int64), nil
}

func identity(acc types.Value) (types.Value, error) { return acc, nil }

// lengths is the sum (an int) of the lengths of the non-NULL strings.
func lengths(vs []types.Value) int32 {
	var n int32
	for _, v := range vs {
		if v != nil {
			n += int32(javaLen(v.(string)))
		}
	}
	return n
}

func longOr0(v types.Value) int64 {
	if v == nil {
		return 0
	}
	return v.(int64)
}

func lenOr0(v types.Value) int32 {
	if v == nil {
		return 0
	}
	return int32(javaLen(v.(string)))
}

// initSum is MultiArgUdaf's and FourArgUdaf's initial value: initArg1
// plus the lengths of initArg2 (int arithmetic).
func initSum(init []types.Value) (int64, error) {
	n := init[0].(int32)
	for _, s := range init[1:] {
		if s == nil {
			return 0, fmt.Errorf(npe)
		}
		n += int32(javaLen(s.(string)))
	}
	return int64(n), nil
}

// longUdaf is a Udaf<_, Long, Long> with a constant initial value, merge
// by addition and the identity (or map) as result.
func longUdaf(init int64, add func(acc int64, in []types.Value) int64) *udaf {
	return &udaf{
		ret:  types.BigintType,
		init: func() types.Value { return init },
		add: func(acc types.Value, in []types.Value) (types.Value, error) {
			return add(acc.(int64), in), nil
		},
		merge: sumLongs,
		mapf:  identity,
	}
}

// listUdaf is GenericVarArgUdaf and ObjVarColArgUdaf: the list of the
// first arguments of the rows whose arguments are all non-NULL, typed
// ARRAY of the first argument's type.
func listUdaf(argTypes []*types.Type) (*udaf, error) {
	first := argTypes[0]
	if first == nil || first.Kind == types.KindNull {
		return nil, fmt.Errorf("java.lang.IllegalStateException: Schema not present")
	}
	return &udaf{
		ret:  types.ArrayOf(first),
		init: func() types.Value { return []types.Value{} },
		add: func(acc types.Value, in []types.Value) (types.Value, error) {
			for _, v := range in {
				if v == nil {
					return acc, nil
				}
			}
			l := acc.([]types.Value)
			return append(l[:len(l):len(l)], in[0]), nil
		},
		merge: func(a, b types.Value) (types.Value, error) {
			x, y := a.([]types.Value), b.([]types.Value)
			return append(x[:len(x):len(x)], y...), nil
		},
		mapf:    identity,
		retains: true,
	}, nil
}

// structABType is STRUCT<A INTEGER, B INTEGER>.
var structABType = types.StructOf(types.Field{Name: "A", Type: types.IntegerType}, types.Field{Name: "B", Type: types.IntegerType})

func registerUDAFs(r *functions.Registry) {
	aggregate(r, "VAR_ARG", "Returns the sum of the provided longs and lengths of strings.", false,
		fac(variadic(ps(pBigint, pString), 1), 2, func([]types.Value, []*types.Type) (*udaf, error) {
			return longUdaf(0, func(acc int64, in []types.Value) int64 {
				return acc + longOr0(in[0]) + int64(lengths(in[1:]))
			}), nil
		}))

	aggregate(r, "MID_VAR_ARG", "Returns the sum of the provided longs, lengths of strings, and initial arguments.", false,
		fac(variadic(ps(pBigint, pString, pInt, pInt), 1), 2, func(init []types.Value, _ []*types.Type) (*udaf, error) {
			if init[0] == nil || init[1] == nil {
				return nil, fmt.Errorf("java.lang.IllegalArgumentException")
			}
			constant := init[0].(int32) + init[1].(int32)
			u := longUdaf(0, func(acc int64, in []types.Value) int64 {
				return acc + longOr0(in[0]) + int64(lengths(in[1:]))
			})
			u.mapf = func(acc types.Value) (types.Value, error) { return acc.(int64) + int64(constant), nil }
			return u, nil
		}))

	aggregate(r, "MULTI_ARG", "Returns the sum of the provided longs and lengths of strings.", false,
		fac(variadic(ps(pBigint, pString, pInt, pString), 3), 2, func(init []types.Value, _ []*types.Type) (*udaf, error) {
			if init[0] == nil {
				return nil, fmt.Errorf("java.lang.IllegalArgumentException")
			}
			start, err := initSum(init)
			if err != nil {
				return nil, err
			}
			return longUdaf(start, func(acc int64, in []types.Value) int64 {
				return acc + longOr0(in[0]) + int64(lenOr0(in[1]))
			}), nil
		}))

	aggregate(r, "FOUR_ARG", "Returns the sum of the provided longs and lengths of strings.", false,
		fac(variadic(ps(pBigint, pString, pString, pString, pInt, pString), 5), 4, func(init []types.Value, _ []*types.Type) (*udaf, error) {
			if init[0] == nil {
				return nil, fmt.Errorf("java.lang.IllegalArgumentException")
			}
			start, err := initSum(init)
			if err != nil {
				return nil, err
			}
			return longUdaf(start, func(acc int64, in []types.Value) int64 {
				return acc + longOr0(in[0]) + int64(lenOr0(in[1])+lenOr0(in[2])+lenOr0(in[3]))
			}), nil
		}))

	aggregate(r, "GENERIC_VAR_ARG", "Returns an array of rows where all the given columns are non-null.", true,
		fac(variadic(ps(generic("A"), generic("B"), generic("C")), 2), 3, func(_ []types.Value, argTypes []*types.Type) (*udaf, error) {
			return listUdaf(argTypes)
		}))

	aggregate(r, "OBJ_COL_ARG", "Returns an array of rows where all the given columns are non-null.", true,
		fac(variadic(ps(pInt, pAny), 1), 2, func(_ []types.Value, argTypes []*types.Type) (*udaf, error) {
			return listUdaf(argTypes)
		}))

	registerTestUdaf(r)
}

// registerTestUdaf registers TestUdaf's factories.
func registerTestUdaf(r *functions.Registry) {
	sumLong := func() *udaf {
		return &udaf{
			ret:  types.BigintType,
			init: func() types.Value { return int64(0) },
			add: func(acc types.Value, in []types.Value) (types.Value, error) {
				return sumLongs(acc, in[0])
			},
			undo: func(acc types.Value, in []types.Value) (types.Value, error) {
				if in[0] == nil {
					return nil, fmt.Errorf(npe)
				}
				return acc.(int64) - in[0].(int64), nil
			},
			merge: sumLongs,
			mapf:  identity,
		}
	}
	// sumInt is SumIntUdaf, whose initial value the property
	// ksql.functions.test_udaf.init sets.
	var sumInt func(init int64) *udaf
	sumInt = func(init int64) *udaf {
		return &udaf{
			ret:  types.BigintType,
			init: func() types.Value { return init },
			add: func(acc types.Value, in []types.Value) (types.Value, error) {
				if in[0] == nil {
					return nil, fmt.Errorf(npe)
				}
				return int64(in[0].(int32)) + acc.(int64), nil
			},
			undo: func(acc types.Value, in []types.Value) (types.Value, error) {
				if in[0] == nil {
					return nil, fmt.Errorf(npe)
				}
				return acc.(int64) - int64(in[0].(int32)), nil
			},
			merge: sumLongs,
			mapf:  identity,
			configure: func(props map[string]any) *udaf {
				if v, ok := props["ksql.functions.test_udaf.init"]; ok && v != nil {
					switch x := v.(type) {
					case int64:
						return sumInt(x)
					case string:
						if n, err := strconv.ParseInt(x, 10, 64); err == nil {
							return sumInt(n)
						}
					}
				}
				return sumInt(init)
			},
		}
	}
	sumDouble := func() *udaf {
		return &udaf{
			ret:  types.DoubleType,
			init: func() types.Value { return float64(0) },
			add: func(acc types.Value, in []types.Value) (types.Value, error) {
				if in[0] == nil {
					return nil, fmt.Errorf(npe)
				}
				return acc.(float64) + in[0].(float64), nil
			},
			merge: func(a, b types.Value) (types.Value, error) { return a.(float64) + b.(float64), nil },
			mapf:  identity,
		}
	}
	// Only createStructUdaf keeps a STRUCT between rows; the flag is per
	// function, and the Long sums must run over DELIMITED tables.
	aggregate(r, "test_udaf", "test_udaf", false,
		fac(ps(pBigint), 1, func([]types.Value, []*types.Type) (*udaf, error) { return sumLong(), nil }),
		fac(ps(pInt), 1, func([]types.Value, []*types.Type) (*udaf, error) { return sumInt(0), nil }),
		fac(ps(pDouble), 1, func([]types.Value, []*types.Type) (*udaf, error) { return sumDouble(), nil }),
		// createSumT: a generic number, delegating by the argument's type.
		fac(ps(generic("T")), 1, func(_ []types.Value, argTypes []*types.Type) (*udaf, error) {
			switch t := argTypes[0]; {
			case t == nil || t.Kind == types.KindNull:
				return nil, fmt.Errorf("java.lang.IllegalStateException: Schema not present")
			case t.Kind == types.KindDouble:
				return sumDouble(), nil
			case t.Kind == types.KindInteger:
				u := sumInt(0)
				u.ret = types.IntegerType
				return u, nil
			case t.Kind == types.KindBigint:
				return sumLong(), nil
			default:
				return nil, fmt.Errorf("java.lang.IllegalArgumentException: Type %s is not handled.", t)
			}
		}),
		// createSumLengthString(initialString).
		fac(ps(pString, pString), 1, func(init []types.Value, _ []*types.Type) (*udaf, error) {
			if init[0] == nil {
				return nil, fmt.Errorf(npe)
			}
			start := javaLen(init[0].(string))
			return &udaf{
				ret:  types.BigintType,
				init: func() types.Value { return start },
				add: func(acc types.Value, in []types.Value) (types.Value, error) {
					if in[0] == nil {
						return nil, fmt.Errorf(npe)
					}
					return acc.(int64) + javaLen(in[0].(string)), nil
				},
				merge: sumLongs,
				mapf:  identity,
			}, nil
		}),
		// createStructUdaf: {SUM(in->A), SUM(in->B)}.
		fac(ps(structOf(field("A", pInt), field("B", pInt))), 1, func([]types.Value, []*types.Type) (*udaf, error) {
			add := func(cur, acc types.Value) (types.Value, error) {
				c, ok1 := cur.(*types.StructValue)
				a, ok2 := acc.(*types.StructValue)
				if !ok1 || !ok2 {
					return nil, fmt.Errorf(npe)
				}
				out := &types.StructValue{Type: structABType, Vals: make([]types.Value, 2)}
				for i, f := range []string{"A", "B"} {
					x, _ := c.Get(f)
					y, _ := a.Get(f)
					if x == nil || y == nil {
						return nil, fmt.Errorf(npe)
					}
					out.Vals[i] = x.(int32) + y.(int32)
				}
				return out, nil
			}
			return &udaf{
				ret: structABType,
				init: func() types.Value {
					return &types.StructValue{Type: structABType, Vals: []types.Value{int32(0), int32(0)}}
				},
				add: func(acc types.Value, in []types.Value) (types.Value, error) { return add(in[0], acc) },
				// merge(aggOne, aggTwo) is aggregate(aggOne, aggTwo).
				merge: func(a, b types.Value) (types.Value, error) { return add(a, b) },
				mapf:  identity,
			}, nil
		}),
	)
}
