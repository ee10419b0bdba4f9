// Package testfuncs holds the functions that exist only in ksqlDB's test
// suite, which ksqlDB's query-validation test harness has on its classpath
// (ksqldb-engine/src/test/java/io/confluent/ksql/function/...): the scalar
// functions TEST_UDF, BAD_UDF, WHENCONDITION and WHENRESULT, the aggregates
// TEST_UDAF, VAR_ARG, MID_VAR_ARG, MULTI_ARG, FOUR_ARG, GENERIC_VAR_ARG and
// OBJ_COL_ARG, and the table functions TEST_UDTF and THROWING_UDTF.
//
// Register adds them to a registry; the conformance runner (engine/qtt)
// passes it as engine.Config.Functions. No server registers them.
//
// Each function behaves as its Java class does: the same overloads,
// resolved as ksqlDB's UdfIndex resolves them (exact matches first, then
// implicit casts, for scalar and table functions only; varargs anywhere
// in the signature; generic type variables bound consistently; the
// tie-breaks of UdfIndex.Node), the same results, and an error wherever
// the Java would throw (a NULL passed to a primitive parameter, a
// NullPointerException, an explicit throw).
package testfuncs

import (
	"fmt"
	"strings"
	"unicode/utf16"

	"github.com/ksqlgo/ksql/exec/functions"
	"github.com/ksqlgo/ksql/planner"
	"github.com/ksqlgo/ksql/sql/types"
)

// Register adds ksqlDB's test-suite functions to r.
func Register(r *functions.Registry) {
	registerUDFs(r)
	registerUDAFs(r)
	registerUDTFs(r)
}

// ptype is a declared parameter type, as ksqlDB's ParamType: a SQL base
// type (DECIMAL of any precision and scale), ANY (java.lang.Object), a
// generic type variable, or an ARRAY, MAP or STRUCT of those.
type ptype struct {
	kind     types.Kind
	any      bool
	generic  string
	elem     *ptype // ARRAY
	key, val *ptype // MAP
	fields   []pfield
}

type pfield struct {
	name string
	t    *ptype
}

func prim(k types.Kind) *ptype           { return &ptype{kind: k} }
func generic(name string) *ptype         { return &ptype{generic: name} }
func arrayOf(e *ptype) *ptype            { return &ptype{kind: types.KindArray, elem: e} }
func mapOf(k, v *ptype) *ptype           { return &ptype{kind: types.KindMap, key: k, val: v} }
func structOf(fields ...pfield) *ptype   { return &ptype{kind: types.KindStruct, fields: fields} }
func field(name string, t *ptype) pfield { return pfield{name, t} }

var (
	pInt     = prim(types.KindInteger)
	pBigint  = prim(types.KindBigint)
	pDouble  = prim(types.KindDouble)
	pBoolean = prim(types.KindBoolean)
	pString  = prim(types.KindString)
	pDecimal = prim(types.KindDecimal)
	pAny     = &ptype{any: true}
	// pStructA is STRUCT<A VARCHAR>.
	pStructA = structOf(field("A", pString))
)

// String is ParamType.toString (INT, VARCHAR, ARRAY<INT>, ...).
func (p *ptype) String() string {
	switch {
	case p.any:
		return "ANY"
	case p.generic != "":
		return p.generic
	}
	switch p.kind {
	case types.KindInteger:
		return "INT"
	case types.KindString:
		return "VARCHAR"
	case types.KindArray:
		return "ARRAY<" + p.elem.String() + ">"
	case types.KindMap:
		return "MAP<" + p.key.String() + ", " + p.val.String() + ">"
	case types.KindStruct:
		parts := make([]string, len(p.fields))
		for i, f := range p.fields {
			parts[i] = f.name + " " + f.t.String()
		}
		return "STRUCT<" + strings.Join(parts, ", ") + ">"
	}
	return p.kind.String()
}

func (p *ptype) hasGenerics() bool {
	switch {
	case p.generic != "":
		return true
	case p.elem != nil:
		return p.elem.hasGenerics()
	case p.key != nil:
		return p.key.hasGenerics() || p.val.hasGenerics()
	}
	for _, f := range p.fields {
		if f.t.hasGenerics() {
			return true
		}
	}
	return false
}

// accepts is UdfIndex.Parameter.accepts: a NULL argument fits anything; a
// generic binds (consistently with reserved); otherwise
// ParamTypes.areCompatible, with implicit casts when casts is set.
func (p *ptype) accepts(t *types.Type, reserved map[string]*types.Type, casts bool) bool {
	if t == nil || t.Kind == types.KindNull {
		return true
	}
	if p.hasGenerics() {
		return reserve(p, t, reserved)
	}
	return compatible(t, p, casts)
}

// reserve is GenericsUtil.reserveGenerics: t must have p's structure, and
// each type variable maps to one type.
func reserve(p *ptype, t *types.Type, reserved map[string]*types.Type) bool {
	switch {
	case p.generic != "":
		if old, ok := reserved[p.generic]; ok {
			return old.Equal(t)
		}
		reserved[p.generic] = t
		return true
	case p.kind == types.KindArray:
		return t.Kind == types.KindArray && reserve(p.elem, t.Elem, reserved)
	case p.kind == types.KindMap:
		return t.Kind == types.KindMap && reserve(p.key, t.Key, reserved) && reserve(p.val, t.Value, reserved)
	}
	return compatible(t, p, false)
}

// compatible is ParamTypes.areCompatible.
func compatible(t *types.Type, p *ptype, casts bool) bool {
	if p.any {
		return true
	}
	switch {
	case t.Kind == types.KindArray && p.kind == types.KindArray:
		return compatible(t.Elem, p.elem, casts)
	case t.Kind == types.KindMap && p.kind == types.KindMap:
		return compatible(t.Key, p.key, casts) && compatible(t.Value, p.val, casts)
	case t.Kind == types.KindStruct && p.kind == types.KindStruct:
		// An empty struct matches every struct; no casts within structs.
		if len(t.Fields) == 0 || len(p.fields) == 0 {
			return true
		}
		for _, f := range p.fields {
			af, _, ok := t.Field(f.name)
			if !ok || !compatible(af.Type, f.t, false) {
				return false
			}
		}
		return len(t.Fields) == len(p.fields)
	}
	if p.kind == types.KindArray || p.kind == types.KindMap || p.kind == types.KindStruct {
		return false
	}
	return t.Kind == p.kind || casts && implicitlyCasts(t.Kind, p.kind)
}

// implicitlyCasts is SqlBaseType.canImplicitlyCast: numbers widen
// (INTEGER, BIGINT, DECIMAL, DOUBLE); a STRING becomes a TIME, DATE,
// TIMESTAMP or BYTES.
func implicitlyCasts(from, to types.Kind) bool {
	rank := types.NumericRank
	if rank(from) > 0 && rank(to) > 0 {
		return rank(from) <= rank(to)
	}
	if from == types.KindString {
		switch to {
		case types.KindTime, types.KindDate, types.KindTimestamp, types.KindBytes:
			return true
		}
	}
	return from == to
}

// castTarget is the type an argument of type t is cast to for a parameter
// of type p (nil: no cast). Only primitive parameters cast.
func castTarget(t *types.Type, p *ptype, reserved map[string]*types.Type) *types.Type {
	if t == nil || t.Kind == types.KindNull || p.any || p.hasGenerics() {
		return nil
	}
	switch p.kind {
	case types.KindArray, types.KindMap, types.KindStruct:
		return nil
	case t.Kind:
		return nil
	case types.KindDecimal:
		return functions.DecimalFor(t)
	}
	return types.Primitive(p.kind)
}

// param is one declared parameter; a variadic one holds its element type.
type param struct {
	t        *ptype
	variadic bool
}

func ps(ts ...*ptype) []param {
	out := make([]param, len(ts))
	for i, t := range ts {
		out[i] = param{t: t}
	}
	return out
}

// variadic marks parameter i of params as variadic.
func variadic(params []param, i int) []param {
	params[i].variadic = true
	return params
}

// overload is one implementation of a function (a Java method or UDAF
// factory) with its declared parameters.
type overload struct {
	params []param
	impl   any
}

func (o *overload) variadicAt() int {
	for i, p := range o.params {
		if p.variadic {
			return i
		}
	}
	return -1
}

// objVarArg reports a variadic Object parameter (UdfIndex.OBJ_VAR_ARG).
func (p param) objVarArg() bool { return p.variadic && p.t.any }

func (o *overload) generics() int {
	n := 0
	for _, p := range o.params {
		if p.t.hasGenerics() || p.objVarArg() {
			n++
		}
	}
	return n
}

func (o *overload) hasObjVarArg() bool {
	for _, p := range o.params {
		if p.objVarArg() {
			return true
		}
	}
	return false
}

// compare orders overloads as UdfIndex.Node.compareFunctions: fixed
// arity beats varargs, then more parameters, fewer generic parameters, no
// variadic Object, and a later variadic parameter.
func compare(a, b *overload) int {
	key := func(o *overload) [5]int {
		va := 1
		if o.variadicAt() >= 0 {
			va = 0
		}
		obj := 1
		if o.hasObjVarArg() {
			obj = 0
		}
		return [5]int{va, len(o.params), -o.generics(), obj, o.variadicAt()}
	}
	ka, kb := key(a), key(b)
	for i := range ka {
		if ka[i] != kb[i] {
			if ka[i] < kb[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

// binding is how the arguments of a call map onto an overload.
type binding struct {
	o *overload
	// slot[i] is the declared parameter argument i binds to.
	slot []int
	// asArray: the variadic parameter receives one ARRAY argument (the
	// "var args given as list" branch of UdfIndex).
	asArray  bool
	reserved map[string]*types.Type
	// casts[i] is the type argument i is implicitly cast to (nil: none).
	casts []*types.Type
}

// bind matches args against o, either spreading the variadic parameter
// over any number of arguments or (asArray) passing it one array.
func bind(o *overload, args []planner.ArgInfo, asArray, casts bool) (*binding, bool) {
	n, p, v := len(args), len(o.params), o.variadicAt()
	b := &binding{o: o, slot: make([]int, n), asArray: asArray, reserved: map[string]*types.Type{}, casts: make([]*types.Type, n)}
	switch {
	case v < 0 || asArray:
		if n != p || (asArray && v < 0) {
			return nil, false
		}
		for i := range args {
			b.slot[i] = i
		}
	default:
		if n < p-1 {
			return nil, false
		}
		tail := p - 1 - v // fixed parameters after the variadic one
		for i := range args {
			switch {
			case i < v:
				b.slot[i] = i
			case i >= n-tail:
				b.slot[i] = p - (n - i)
			default:
				b.slot[i] = v
			}
		}
	}
	for i, a := range args {
		if a.LambdaArity > 0 || a.TimeUnit {
			return nil, false
		}
		pt := o.params[b.slot[i]].t
		if asArray && b.slot[i] == v {
			pt = arrayOf(pt)
		}
		if !pt.accepts(a.Type, b.reserved, casts) {
			return nil, false
		}
		if casts {
			b.casts[i] = castTarget(a.Type, pt, b.reserved)
		}
	}
	return b, true
}

// index is a function's overloads, as ksqlDB's UdfIndex.
type index struct {
	name  string // as the Java annotation spells it
	ovs   []*overload
	casts bool // implicit casts (scalar and table functions, not UDAFs)
}

// resolve is UdfIndex.getFunction: the best match without implicit casts,
// else (when allowed) with them.
func (x *index) resolve(args []planner.ArgInfo) (*binding, error) {
	b, err := x.find(args, false)
	if b != nil || err != nil || !x.casts {
		if b == nil && err == nil {
			err = x.noMatch(args)
		}
		return b, err
	}
	if b, err = x.find(args, true); b == nil && err == nil {
		err = x.noMatch(args)
	}
	return b, err
}

func (x *index) find(args []planner.ArgInfo, casts bool) (*binding, error) {
	var cands []*binding
	for _, o := range x.ovs {
		for _, asArray := range []bool{false, true} {
			if b, ok := bind(o, args, asArray, casts); ok {
				cands = append(cands, b)
			}
		}
	}
	if len(cands) == 0 {
		return nil, nil
	}
	best, tie := cands[0], false
	for _, c := range cands[1:] {
		switch cmp := compare(c.o, best.o); {
		case cmp > 0:
			best, tie = c, false
		case cmp == 0:
			tie = true
		}
	}
	if tie {
		return nil, fmt.Errorf("Function '%s' cannot be resolved due to ambiguous method parameters %s.\n"+
			"Use CAST() to explicitly cast your parameters to one of the supported function calls.\n"+
			"Valid function calls are:\n%s\n"+
			"For detailed information on a function run: DESCRIBE FUNCTION <Function-Name>;",
			x.name, describeArgs(args), x.alternatives())
	}
	return best, nil
}

func (x *index) noMatch(args []planner.ArgInfo) error {
	return fmt.Errorf("Function '%s' does not accept parameters %s.\nValid alternatives are:\n%s\n"+
		"For detailed information on a function run: DESCRIBE FUNCTION <Function-Name>;",
		x.name, describeArgs(args), x.alternatives())
}

func (x *index) alternatives() string {
	lines := make([]string, len(x.ovs))
	for i, o := range x.ovs {
		parts := make([]string, len(o.params))
		for j, p := range o.params {
			parts[j] = p.t.String()
			if p.variadic {
				parts[j] += "..."
			}
		}
		lines[i] = x.name + "(" + strings.Join(parts, ", ") + ")"
	}
	return strings.Join(lines, "\n")
}

// describeArgs renders argument types as SqlArgument does: "(INTEGER,
// STRING)", a NULL literal as "null".
func describeArgs(args []planner.ArgInfo) string {
	parts := make([]string, len(args))
	for i, a := range args {
		if a.Type == nil || a.Type.Kind == types.KindNull {
			parts[i] = "null"
		} else {
			parts[i] = a.Type.String()
		}
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// javaLen is String.length(): UTF-16 code units.
func javaLen(s string) int64 {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return int64(n)
}

// invokeErr is the error of a Java method that threw (DynamicFunctionInvoker
// wraps every exception of Method.invoke so).
func invokeErr(method string, cause string) error {
	return fmt.Errorf("Failed to invoke function %s: %s", method, cause)
}

// npe is a NullPointerException's text.
const npe = "java.lang.NullPointerException"

// nullToPrimitive is what Method.invoke throws for a NULL passed to a
// primitive parameter.
const nullToPrimitive = "java.lang.IllegalArgumentException"

// decString is BigDecimal.toString: plain unless the exponent is small.
func decString(d types.Dec) string {
	u := d.Unscaled()
	neg := u.Sign() < 0
	digits := u.Abs(u).String()
	scale := d.Scale()
	adjusted := -scale + len(digits) - 1
	var s string
	switch {
	case scale == 0:
		s = digits
	case scale > 0 && adjusted >= -6:
		if pad := scale - len(digits) + 1; pad > 0 {
			digits = strings.Repeat("0", pad) + digits
		}
		p := len(digits) - scale
		s = digits[:p] + "." + digits[p:]
	default:
		s = digits[:1]
		if len(digits) > 1 {
			s += "." + digits[1:]
		}
		if adjusted != 0 {
			s += fmt.Sprintf("E%+d", adjusted)
		}
	}
	if neg {
		return "-" + s
	}
	return s
}

// javaString is String.valueOf of the Java value ksqlDB passes a UDF for
// v: Double.toString, BigDecimal.toString, List as [a, b], Map as {k=v},
// Connect's Struct as Struct{A=1,B=x} (NULL fields left out).
func javaString(v types.Value) string {
	switch x := v.(type) {
	case types.Dec:
		return decString(x)
	case []types.Value:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = javaString(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case *types.MapValue:
		parts := make([]string, len(x.Keys))
		for i, k := range x.Keys {
			parts[i] = javaString(k) + "=" + javaString(x.Vals[i])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case *types.StructValue:
		var parts []string
		for i, f := range x.Type.Fields {
			if x.Vals[i] != nil {
				parts = append(parts, f.Name+"="+javaString(x.Vals[i]))
			}
		}
		return "Struct{" + strings.Join(parts, ",") + "}"
	}
	return types.String(v)
}
