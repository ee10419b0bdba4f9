package planner

import "github.com/ksqlgo/ksql/sql/types"

// Function is an opaque handle to a function implementation, chosen by a
// FunctionResolver. The planner never looks inside it; exec does.
type Function any

// FuncKind classifies a function name.
type FuncKind int

// Function kinds.
const (
	UnknownFunc FuncKind = iota
	ScalarFunc
	AggregateFunc
	TableFunc
)

// ArgInfo describes one argument at a call site.
type ArgInfo struct {
	// Type is the argument's type (nil for a lambda argument).
	Type *types.Type
	// IsConst is set when the argument is a literal; Const holds its value.
	IsConst bool
	Const   types.Value
	// LambdaArity is the number of parameters of a lambda argument (0 for
	// non-lambda arguments).
	LambdaArity int
	// TimeUnit is set for a bare time-unit argument.
	TimeUnit bool
}

// Resolved is the result of resolving a call.
type Resolved struct {
	Fn     Function
	Return *types.Type
	// ParamTypes, when non-nil, are the types the arguments must be
	// implicitly cast to before the call (same length as the arguments;
	// a nil entry means "as is").
	ParamTypes []*types.Type
	// ComplexIntermediate (aggregates): ksqlDB's implementation keeps a
	// STRUCT, ARRAY or MAP between rows (the A of its Udaf<I, A, O>),
	// which ksqlDB serializes with the aggregation's value format, so a
	// format without those types cannot carry it.
	ComplexIntermediate bool
}

// FunctionResolver is the function library as the planner sees it. The
// engine passes exec's registry, so the planner stays free of
// implementations.
type FunctionResolver interface {
	// Kind reports what kind of function name is (names are upper-case).
	Kind(name string) FuncKind
	// ResolveScalar picks the overload of a scalar function for the
	// arguments; an error says why none fits.
	ResolveScalar(name string, args []ArgInfo) (Resolved, error)
	// ResolveAggregate picks an aggregate function.
	ResolveAggregate(name string, args []ArgInfo) (Resolved, error)
	// ResolveTable picks a table function (EXPLODE, ...).
	ResolveTable(name string, args []ArgInfo) (Resolved, error)
	// LambdaParams returns the parameter types of the lambda at argument
	// position lambdaArg, given the types of the arguments before it.
	LambdaParams(name string, lambdaArg int, args []ArgInfo) ([]*types.Type, error)
}
