package testfuncs

import (
	"strings"
	"sync/atomic"

	"github.com/ksqlgo/ksql/exec/functions"
	"github.com/ksqlgo/ksql/planner"
	"github.com/ksqlgo/ksql/sql/types"
)

// method is one Java method of a UDF or UDTF class.
type method struct {
	// sig is the method as Method.toString prints it, for error messages.
	sig string
	// prim[i]: declared parameter i is a Java primitive (int, long,
	// double, boolean, or a primitive varargs array), which cannot take
	// NULL: Method.invoke throws IllegalArgumentException.
	prim []bool
	ret  *types.Type
	// eval runs the method over the arguments (varargs spread out, as
	// the call passed them).
	eval func(args []types.Value) (types.Value, error)
}

// check reports the error Method.invoke raises for a NULL passed to a
// primitive parameter; b maps arguments to declared parameters (an array
// passed for primitive varargs may itself be NULL).
func (m *method) check(args []types.Value, b *binding) error {
	v := b.o.variadicAt()
	for i, a := range args {
		if a == nil && m.prim[b.slot[i]] && !(b.asArray && b.slot[i] == v) {
			return invokeErr(m.sig, nullToPrimitive)
		}
	}
	return nil
}

// threw is the error of the method throwing msg.
func (m *method) threw(msg string) error { return invokeErr(m.sig, msg) }

// scalar registers a UDF class: name as its @UdfDescription spells it.
func scalar(r *functions.Registry, name, desc string, ovs ...*overload) {
	x := &index{name: name, ovs: ovs, casts: true}
	up := strings.ToUpper(name)
	r.AddScalar(&functions.ScalarDef{
		Name:        up,
		Description: desc,
		Resolve: func(args []planner.ArgInfo) (*functions.ScalarImpl, *types.Type, []*types.Type, error) {
			b, err := x.resolve(args)
			if err != nil {
				return nil, nil, nil, err
			}
			m := b.o.impl.(*method)
			eval := func(vals []types.Value) (types.Value, error) {
				if err := m.check(vals, b); err != nil {
					return nil, err
				}
				return m.eval(vals)
			}
			return &functions.ScalarImpl{Name: up, Eval: eval, NullSafe: true}, m.ret, castsOrNil(b.casts), nil
		},
	})
}

func castsOrNil(c []*types.Type) []*types.Type {
	for _, t := range c {
		if t != nil {
			return c
		}
	}
	return nil
}

func ov(params []param, m *method) *overload { return &overload{params: params, impl: m} }

// structAType is STRUCT<A STRING>.
var structAType = types.StructOf(types.Field{Name: "A", Type: types.StringType})

func constant(s string) func([]types.Value) (types.Value, error) {
	return func([]types.Value) (types.Value, error) { return s, nil }
}

func registerUDFs(r *functions.Registry) {
	const testUdf = "public java.lang.String io.confluent.ksql.function.udf.TestUdf."
	scalar(r, "test_udf", "test",
		ov(ps(pInt, pString), &method{sig: testUdf + "doStuffIntString(int,java.lang.String)",
			prim: []bool{true, false}, ret: types.StringType, eval: constant("doStuffIntString")}),
		ov(ps(pBigint, pString), &method{sig: testUdf + "doStuffLongString(long,java.lang.String)",
			prim: []bool{true, false}, ret: types.StringType, eval: constant("doStuffLongString")}),
		ov(ps(pBigint, pBigint, pString), &method{sig: testUdf + "doStuffLongLongString(long,long,java.lang.String)",
			prim: []bool{true, true, false}, ret: types.StringType, eval: constant("doStuffLongLongString")}),
		ov(variadic(ps(pBigint), 0), &method{sig: testUdf + "doStuffLongVarargs(long[])",
			prim: []bool{true}, ret: types.StringType, eval: constant("doStuffLongVarargs")}),
		ov(ps(pStructA), &method{sig: testUdf + "doStuffStruct(org.apache.kafka.connect.data.Struct)",
			prim: []bool{false}, ret: types.StringType,
			eval: func(a []types.Value) (types.Value, error) {
				s, _ := a[0].(*types.StructValue)
				if s == nil {
					return nil, invokeErr(testUdf+"doStuffStruct(org.apache.kafka.connect.data.Struct)", npe)
				}
				v, _ := s.Get("A")
				return v, nil
			}}),
		// returnStructStuff, whose schema provider answers STRUCT<A VARCHAR>.
		ov(nil, &method{sig: "public org.apache.kafka.connect.data.Struct io.confluent.ksql.function.udf.TestUdf.returnStructStuff()",
			ret: structAType,
			eval: func([]types.Value) (types.Value, error) {
				return &types.StructValue{Type: structAType, Vals: []types.Value{"foo"}}, nil
			}}),
	)

	// BadUdf keeps a counter per instance: returnNull answers NULL on
	// every other call.
	var calls atomic.Int64
	const badUdf = "io.confluent.ksql.function.udf.BadUdf."
	blowUp := &method{sig: "public java.lang.String " + badUdf + "blowUp(int)", prim: []bool{true}, ret: types.StringType}
	blowUp.eval = func([]types.Value) (types.Value, error) { return nil, blowUp.threw("boom!") }
	mightThrow := &method{sig: "public int " + badUdf + "mightThrow(boolean)", prim: []bool{true}, ret: types.IntegerType}
	mightThrow.eval = func(a []types.Value) (types.Value, error) {
		if a[0].(bool) {
			return nil, mightThrow.threw("You asked me to throw...")
		}
		return int32(0), nil
	}
	returnNull := &method{sig: "public java.lang.String " + badUdf + "returnNull(java.lang.String)", prim: []bool{false}, ret: types.StringType,
		eval: func(a []types.Value) (types.Value, error) {
			if (calls.Add(1)-1)%2 == 0 {
				return nil, nil
			}
			return a[0], nil
		}}
	scalar(r, "bad_udf", "throws exceptions when called",
		ov(ps(pInt), blowUp), ov(ps(pBoolean), mightThrow), ov(ps(pString), returnNull))

	when := &method{sig: "public boolean io.confluent.ksql.function.udf.WhenCondition.evaluate(boolean,boolean)",
		prim: []bool{true, true}, ret: types.BooleanType}
	when.eval = func(a []types.Value) (types.Value, error) {
		if !a[1].(bool) {
			return nil, when.threw("When condition in case is not running lazily!")
		}
		return a[0], nil
	}
	scalar(r, "WhenCondition", "UDF used in case-expression.json", ov(ps(pBoolean, pBoolean), when))

	then := &method{sig: "public int io.confluent.ksql.function.udf.WhenResult.evaluate(int,boolean)",
		prim: []bool{true, true}, ret: types.IntegerType}
	then.eval = func(a []types.Value) (types.Value, error) {
		if !a[1].(bool) {
			return nil, then.threw("Then expression in case is not running lazily!")
		}
		return a[0], nil
	}
	scalar(r, "WhenResult", "UDF used in case-expression.json", ov(ps(pInt, pBoolean), then))
}
