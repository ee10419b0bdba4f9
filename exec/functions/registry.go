// Package functions is the engine's function library: scalar functions,
// aggregate functions and table functions, with their overload
// resolution. Registry implements planner.FunctionResolver, so the planner
// type-checks calls against the same definitions exec evaluates.
//
// It imports planner (for the resolver contract) and sql/types.
package functions

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ksqlgo/ksql/planner"
	"github.com/ksqlgo/ksql/sql/types"
)

// Lambda is the runtime value of a lambda argument.
type Lambda func(args ...types.Value) (types.Value, error)

// ScalarFn evaluates a scalar function over evaluated arguments.
type ScalarFn func(args []types.Value) (types.Value, error)

// ScalarImpl is a resolved scalar function, the planner.Function handle
// exec receives in planner.Call.
type ScalarImpl struct {
	Name string
	Eval ScalarFn
	// NullSafe functions see NULL arguments; other functions return NULL
	// as soon as any argument is NULL, without being called.
	NullSafe bool
}

// Param describes one parameter of a signature.
type Param struct {
	// Type is the declared parameter type; nil with Kind set accepts any
	// type of that kind; nil and Kind==0 (Null) accepts anything.
	Type *types.Type
	Kind types.Kind
	// Any accepts every type.
	Any bool
}

// P is a parameter of exactly type t (implicit widening applies).
func P(t *types.Type) Param { return Param{Type: t} }

// PK is a parameter of any type of kind k (e.g. any ARRAY).
func PK(k types.Kind) Param { return Param{Kind: k} }

// PAny is a parameter of any type.
var PAny = Param{Any: true}

// Sig is one overload of a scalar function.
type Sig struct {
	Params []Param
	// Variadic makes the last parameter repeat zero or more times.
	Variadic bool
	// Return computes the return type from the argument types (after
	// implicit casts); Ret is used when Return is nil.
	Ret    *types.Type
	Return func(args []*types.Type) (*types.Type, error)
	Eval   ScalarFn
	// NullSafe: see ScalarImpl.
	NullSafe bool
}

// ScalarDef is a scalar function with its overloads.
type ScalarDef struct {
	Name        string
	Description string
	Sigs        []Sig
	// Resolve, when set, replaces signature matching (for functions whose
	// typing cannot be expressed by Sigs, such as lambdas).
	Resolve func(args []planner.ArgInfo) (*ScalarImpl, *types.Type, []*types.Type, error)
	// LambdaParams gives lambda parameter types for higher-order functions.
	LambdaParams func(lambdaArg int, args []planner.ArgInfo) ([]*types.Type, error)
}

// Registry holds every function. It is immutable after construction and
// safe for concurrent use.
type Registry struct {
	scalars    map[string]*ScalarDef
	aggregates map[string]*AggregateDef
	tables     map[string]*TableDef
}

// New returns the registry with all built-in functions.
func New() *Registry {
	r := &Registry{
		scalars:    map[string]*ScalarDef{},
		aggregates: map[string]*AggregateDef{},
		tables:     map[string]*TableDef{},
	}
	for _, reg := range builtins {
		reg(r)
	}
	return r
}

// builtins are the registration functions of the files of this package.
var builtins []func(*Registry)

// AddScalar registers a scalar function (panics on duplicates: a
// programming error).
func (r *Registry) AddScalar(d *ScalarDef) {
	if _, dup := r.scalars[d.Name]; dup {
		panic("functions: duplicate scalar " + d.Name)
	}
	r.scalars[d.Name] = d
}

// AddAggregate registers an aggregate function.
func (r *Registry) AddAggregate(d *AggregateDef) {
	if _, dup := r.aggregates[d.Name]; dup {
		panic("functions: duplicate aggregate " + d.Name)
	}
	r.aggregates[d.Name] = d
}

// AddTable registers a table function.
func (r *Registry) AddTable(d *TableDef) {
	if _, dup := r.tables[d.Name]; dup {
		panic("functions: duplicate table function " + d.Name)
	}
	r.tables[d.Name] = d
}

// Names lists all function names with their kind, sorted.
func (r *Registry) Names() []string {
	var out []string
	for n := range r.scalars {
		out = append(out, n)
	}
	for n := range r.aggregates {
		out = append(out, n)
	}
	for n := range r.tables {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Scalar returns a scalar function definition.
func (r *Registry) Scalar(name string) (*ScalarDef, bool) {
	d, ok := r.scalars[name]
	return d, ok
}

// Kind implements planner.FunctionResolver.
func (r *Registry) Kind(name string) planner.FuncKind {
	switch {
	case r.scalars[name] != nil:
		return planner.ScalarFunc
	case r.aggregates[name] != nil:
		return planner.AggregateFunc
	case r.tables[name] != nil:
		return planner.TableFunc
	}
	return planner.UnknownFunc
}

// ResolveScalar implements planner.FunctionResolver.
func (r *Registry) ResolveScalar(name string, args []planner.ArgInfo) (planner.Resolved, error) {
	d, ok := r.scalars[name]
	if !ok {
		return planner.Resolved{}, fmt.Errorf("Can't find any functions with the name '%s'", name)
	}
	if d.Resolve != nil {
		impl, ret, params, err := d.Resolve(args)
		if err != nil {
			return planner.Resolved{}, err
		}
		return planner.Resolved{Fn: impl, Return: ret, ParamTypes: params}, nil
	}
	sig, params, err := matchSigs(name, d.Sigs, args)
	if err != nil {
		return planner.Resolved{}, err
	}
	argTypes := make([]*types.Type, len(args))
	for i := range args {
		argTypes[i] = args[i].Type
		if params[i] != nil {
			argTypes[i] = params[i]
		}
	}
	ret := sig.Ret
	if sig.Return != nil {
		if ret, err = sig.Return(argTypes); err != nil {
			return planner.Resolved{}, err
		}
	}
	return planner.Resolved{
		Fn:         &ScalarImpl{Name: name, Eval: sig.Eval, NullSafe: sig.NullSafe},
		Return:     ret,
		ParamTypes: params,
	}, nil
}

// LambdaParams implements planner.FunctionResolver.
func (r *Registry) LambdaParams(name string, lambdaArg int, args []planner.ArgInfo) ([]*types.Type, error) {
	d, ok := r.scalars[name]
	if !ok || d.LambdaParams == nil {
		return nil, fmt.Errorf("Function '%s' does not accept lambda arguments", name)
	}
	return d.LambdaParams(lambdaArg, args)
}

// describeArgs renders argument types as ksqlDB does in resolution errors:
// "(INTEGER, STRING)".
func describeArgs(args []planner.ArgInfo) string {
	parts := make([]string, len(args))
	for i, a := range args {
		switch {
		case a.LambdaArity > 0:
			parts[i] = "LAMBDA"
		case a.Type == nil:
			parts[i] = "null"
		case a.Type.Kind == types.KindNull:
			parts[i] = "null"
		default:
			parts[i] = a.Type.String()
		}
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// matchSigs picks the best overload: exact matches beat widened ones.
// It returns the parameter types arguments must be cast to.
func matchSigs(name string, sigs []Sig, args []planner.ArgInfo) (*Sig, []*types.Type, error) {
	best := -1
	bestCost := 1 << 30
	var bestParams []*types.Type
	for i := range sigs {
		params, cost, ok := matchSig(&sigs[i], args)
		if ok && cost < bestCost {
			best, bestCost, bestParams = i, cost, params
		}
	}
	if best < 0 {
		return nil, nil, fmt.Errorf("Function '%s' does not accept parameters %s.\nValid alternatives are:\n%s",
			strings.ToLower(name), describeArgs(args), describeSigs(name, sigs))
	}
	return &sigs[best], bestParams, nil
}

func describeSigs(name string, sigs []Sig) string {
	var lines []string
	for _, s := range sigs {
		parts := make([]string, len(s.Params))
		for i, p := range s.Params {
			switch {
			case p.Any:
				parts[i] = "ANY"
			case p.Type != nil:
				parts[i] = p.Type.String()
			default:
				parts[i] = p.Kind.String() + "<...>"
			}
			if s.Variadic && i == len(s.Params)-1 {
				parts[i] += "..."
			}
		}
		lines = append(lines, name+"("+strings.Join(parts, ", ")+")")
	}
	return strings.Join(lines, "\n")
}

// matchSig checks one overload; cost counts implicit widenings.
func matchSig(s *Sig, args []planner.ArgInfo) ([]*types.Type, int, bool) {
	n := len(s.Params)
	if s.Variadic {
		if len(args) < n-1 {
			return nil, 0, false
		}
	} else if len(args) != n {
		return nil, 0, false
	}
	params := make([]*types.Type, len(args))
	cost := 0
	for i, a := range args {
		pi := i
		if pi >= n {
			pi = n - 1
		}
		p := s.Params[pi]
		if a.LambdaArity > 0 {
			if p.Kind != kindLambda {
				return nil, 0, false
			}
			continue
		}
		at := a.Type
		switch {
		case p.Any:
			if p.Kind == kindLambda {
				return nil, 0, false
			}
		case p.Type != nil:
			if at.Kind == types.KindNull {
				params[i] = p.Type
				continue
			}
			if at.Equal(p.Type) {
				continue
			}
			if p.Type.Kind == types.KindDecimal && at.Kind == types.KindDecimal && p.Type.Precision == 0 {
				continue // any decimal
			}
			if !widens(at, p.Type) {
				return nil, 0, false
			}
			params[i] = p.Type
			if p.Type == AnyDecimal {
				params[i] = DecimalFor(at)
			}
			cost++
		case p.Kind == kindLambda:
			return nil, 0, false
		default:
			if at.Kind != p.Kind && at.Kind != types.KindNull {
				return nil, 0, false
			}
		}
	}
	return params, cost, true
}

// kindLambda marks a lambda parameter in a signature.
const kindLambda types.Kind = 255

// PLambda is a lambda parameter.
var PLambda = Param{Kind: kindLambda}

// widens reports whether a value of type from may be passed where to is
// expected: numeric widening INTEGER -> BIGINT -> DECIMAL -> DOUBLE.
func widens(from, to *types.Type) bool {
	rank := types.NumericRank
	rf, rt := rank(from.Kind), rank(to.Kind)
	return rf > 0 && rt > 0 && rf < rt
}

// AnyDecimal is a parameter type that accepts every DECIMAL(p, s).
var AnyDecimal = &types.Type{Kind: types.KindDecimal}

// DecimalFor is the DECIMAL that holds every value of an integral type
// exactly (INTEGER as DECIMAL(10, 0), BIGINT as DECIMAL(19, 0)).
func DecimalFor(t *types.Type) *types.Type {
	switch t.Kind {
	case types.KindInteger:
		return types.DecimalOf(10, 0)
	case types.KindBigint:
		return types.DecimalOf(19, 0)
	}
	return t
}
