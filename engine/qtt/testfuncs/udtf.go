package testfuncs

import (
	"strings"

	"github.com/ksqlgo/ksql/exec/functions"
	"github.com/ksqlgo/ksql/planner"
	"github.com/ksqlgo/ksql/sql/types"
)

// tableMethod is one @Udtf method: eval answers the list it returns.
type tableMethod struct {
	method
	list func(args []types.Value) ([]types.Value, error)
}

// table registers a UDTF class: name as its @UdtfDescription spells it.
func table(r *functions.Registry, name, desc string, ovs ...*overload) {
	x := &index{name: name, ovs: ovs, casts: true}
	up := strings.ToUpper(name)
	r.AddTable(&functions.TableDef{
		Name:        up,
		Description: desc,
		Resolve: func(args []planner.ArgInfo) (*functions.TableImpl, *types.Type, []*types.Type, error) {
			b, err := x.resolve(args)
			if err != nil {
				return nil, nil, nil, err
			}
			m := b.o.impl.(*tableMethod)
			eval := func(vals []types.Value) ([]types.Value, error) {
				if err := m.check(vals, b); err != nil {
					return nil, err
				}
				return m.list(vals)
			}
			return &functions.TableImpl{Name: up, Eval: eval}, m.ret, castsOrNil(b.casts), nil
		},
	})
}

// immutableList is ImmutableList.of: NULL elements are a
// NullPointerException.
func (m *tableMethod) immutableList(vs ...types.Value) ([]types.Value, error) {
	for _, v := range vs {
		if v == nil {
			return nil, invokeErr(m.sig, npe)
		}
	}
	return vs, nil
}

func tov(params []param, sig string, prim []bool, ret *types.Type, list func(m *tableMethod, args []types.Value) ([]types.Value, error)) *overload {
	m := &tableMethod{method: method{sig: sig, prim: prim, ret: ret}}
	m.list = func(args []types.Value) ([]types.Value, error) { return list(m, args) }
	return &overload{params: params, impl: m}
}

// valueOf is String.valueOf; toString is Object.toString (NULL: a
// NullPointerException).
func valueOf(v types.Value) types.Value { return javaString(v) }

func (m *tableMethod) toString(v types.Value) (types.Value, error) {
	if v == nil {
		return nil, invokeErr(m.sig, npe)
	}
	return javaString(v), nil
}

// first is List.get(0) (an empty list: IndexOutOfBoundsException) or
// Map.values().iterator().next() (an empty map: NoSuchElementException)
// of a list or map argument (NULL: a NullPointerException).
func (m *tableMethod) first(v types.Value) (types.Value, error) {
	switch x := v.(type) {
	case []types.Value:
		if len(x) == 0 {
			return nil, invokeErr(m.sig, "java.lang.IndexOutOfBoundsException: Index 0 out of bounds for length 0")
		}
		return x[0], nil
	case *types.MapValue:
		if x.Len() == 0 {
			return nil, invokeErr(m.sig, "java.util.NoSuchElementException")
		}
		return x.Vals[0], nil
	}
	return nil, invokeErr(m.sig, npe)
}

// sevenStrings is the result of TestUdtf's seven-parameter methods over
// the seven values they read: String.valueOf of the first four, the
// string, and toString of the decimal and the struct.
func (m *tableMethod) sevenStrings(v []types.Value) ([]types.Value, error) {
	bd, err := m.toString(v[5])
	if err != nil {
		return nil, err
	}
	st, err := m.toString(v[6])
	if err != nil {
		return nil, err
	}
	return m.immutableList(valueOf(v[0]), valueOf(v[1]), valueOf(v[2]), valueOf(v[3]), v[4], bd, st)
}

func registerUDTFs(r *functions.Registry) {
	const cls = " io.confluent.ksql.function.udf.TestUdtf."
	const list = "public java.util.List"
	seven := func(m *tableMethod, args []types.Value) ([]types.Value, error) { return m.sevenStrings(args) }
	firsts := func(m *tableMethod, args []types.Value) ([]types.Value, error) {
		v := make([]types.Value, len(args))
		for i, a := range args {
			f, err := m.first(a)
			if err != nil {
				return nil, err
			}
			v[i] = f
		}
		return m.sevenStrings(v)
	}
	single := func(m *tableMethod, args []types.Value) ([]types.Value, error) { return m.immutableList(args[0]) }
	s, mp := pString, func(v *ptype) *ptype { return mapOf(pString, v) }
	table(r, "test_udtf", "test",
		tov(ps(pInt, pBigint, pDouble, pBoolean, pString, pDecimal, pStructA),
			list+cls+"standardParams(int,long,double,boolean,java.lang.String,java.math.BigDecimal,org.apache.kafka.connect.data.Struct)",
			[]bool{true, true, true, true, false, false, false}, types.StringType, seven),
		tov(ps(arrayOf(pInt), arrayOf(pBigint), arrayOf(pDouble), arrayOf(pBoolean), arrayOf(s), arrayOf(pDecimal), arrayOf(pStructA)),
			list+cls+"parameterizedListParams(java.util.List,java.util.List,java.util.List,java.util.List,java.util.List,java.util.List,java.util.List)",
			make([]bool, 7), types.StringType, firsts),
		tov(ps(mp(pInt), mp(pBigint), mp(pDouble), mp(pBoolean), mp(s), mp(pDecimal), mp(pStructA)),
			list+cls+"parameterizedMapParams(java.util.Map,java.util.Map,java.util.Map,java.util.Map,java.util.Map,java.util.Map,java.util.Map)",
			make([]bool, 7), types.StringType, firsts),
		tov(ps(mapOf(pBigint, pInt), mp(pBigint), mp(pDouble), mp(pBoolean), mp(s), mp(pDecimal), mp(pStructA)),
			list+cls+"parameterizedMapParams2(java.util.Map,java.util.Map,java.util.Map,java.util.Map,java.util.Map,java.util.Map,java.util.Map)",
			make([]bool, 7), types.StringType, firsts),
		tov(ps(pInt), list+cls+"listIntegerReturn(int)", []bool{true}, types.IntegerType, single),
		tov(ps(pBigint), list+cls+"listLongReturn(long)", []bool{true}, types.BigintType, single),
		tov(ps(pDouble), list+cls+"listDoubleReturn(double)", []bool{true}, types.DoubleType, single),
		tov(ps(pBoolean), list+cls+"listBooleanReturn(boolean)", []bool{true}, types.BooleanType, single),
		tov(ps(pString), list+cls+"listStringReturn(java.lang.String)", []bool{false}, types.StringType, single),
		// The schema provider answers DECIMAL(30, 10) whatever the
		// argument; the value is carried at that scale.
		tov(ps(pDecimal), list+cls+"listBigDecimalReturnWithSchemaProvider(java.math.BigDecimal)", []bool{false}, types.DecimalOf(30, 10),
			func(m *tableMethod, args []types.Value) ([]types.Value, error) {
				if args[0] == nil {
					return nil, invokeErr(m.sig, npe)
				}
				d, err := types.FitDecimal(args[0].(types.Dec), types.DecimalOf(30, 10))
				if err != nil {
					return nil, err
				}
				return []types.Value{d}, nil
			}),
		tov(ps(pStructA), list+cls+"listStructReturn(org.apache.kafka.connect.data.Struct)", []bool{false}, structAType, single),
	)

	table(r, "throwing_udtf", "test UDTF that throws if param is true",
		tov(ps(pBoolean), list+" io.confluent.ksql.function.udf.ThrowingUdtf.throwIfTrue(boolean)", []bool{true}, types.BooleanType,
			func(m *tableMethod, args []types.Value) ([]types.Value, error) {
				if args[0].(bool) {
					return nil, m.threw("You asked me to throw...")
				}
				return []types.Value{args[0]}, nil
			}),
	)
}
