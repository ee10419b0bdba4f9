package planner

import (
	"fmt"
	"strings"

	"github.com/ksqlgo/ksql/sql/ast"
	"github.com/ksqlgo/ksql/sql/types"
)

// Expr is a bound, typed expression over the columns of an operator's
// input row. Bound expressions are pure data: exec compiles them once into
// closures.
type Expr interface {
	Type() *types.Type
	String() string
}

// Column reads slot Index of the input row.
type Column struct {
	Index int
	Name  string
	T     *types.Type
}

// Const is a constant value.
type Const struct {
	Value types.Value
	T     *types.Type
}

// LambdaVar reads a lambda parameter: slot Index of the lambda environment.
type LambdaVar struct {
	Index int
	Name  string
	T     *types.Type
}

// Lambda is a lambda argument of a higher-order function.
type Lambda struct {
	Params []string
	Types  []*types.Type // parameter types
	Body   Expr
	// EnvBase is the index of the first parameter in the lambda
	// environment (lambdas nest: inner parameters follow outer ones).
	EnvBase int
}

// Call is a scalar function call.
type Call struct {
	Name string
	Fn   Function
	Args []Expr
	T    *types.Type
}

// Arith is + - * / % on numbers (and + on nothing else).
type Arith struct {
	Op   ast.BinaryOp
	L, R Expr
	T    *types.Type
}

// Concat is string concatenation (||).
type Concat struct{ L, R Expr }

// Compare is a comparison; Operand is the common type the operands are
// compared in.
type Compare struct {
	Op      ast.BinaryOp
	L, R    Expr
	Operand *types.Type
}

// Logic is AND / OR over two boolean operands (three-valued).
type Logic struct {
	And  bool
	L, R Expr
}

// Not negates a boolean (NULL stays NULL).
type Not struct{ X Expr }

// Neg is unary minus.
type Neg struct{ X Expr }

// IsNull tests for NULL.
type IsNull struct {
	X   Expr
	Not bool
}

// CaseWhen is one arm of a Case.
type CaseWhen struct{ Cond, Result Expr }

// Case is a searched CASE (simple CASE is rewritten to searched).
type Case struct {
	Whens []CaseWhen
	Else  Expr // may be nil: NULL
	T     *types.Type
}

// Cast converts X to T.
type Cast struct {
	X Expr
	T *types.Type
}

// In tests membership of X in List.
type In struct {
	X    Expr
	List []Expr
	Not  bool
}

// Between tests Lo <= X <= Hi.
type Between struct {
	X, Lo, Hi Expr
	Not       bool
}

// Like matches X against a SQL LIKE pattern.
type Like struct {
	X, Pattern Expr
	Escape     Expr // nil when absent
	Not        bool
}

// Deref reads field Index of a struct.
type Deref struct {
	X     Expr
	Field string
	Index int
	T     *types.Type
}

// Subscript indexes an array (1-based, negative from the end) or looks up a map key.
type Subscript struct {
	X, Index Expr
	T        *types.Type
}

// MakeArray builds an array.
type MakeArray struct {
	Elems []Expr
	T     *types.Type
}

// MakeMap builds a map.
type MakeMap struct {
	Keys, Vals []Expr
	T          *types.Type
}

// MakeStruct builds a struct.
type MakeStruct struct {
	Vals []Expr
	T    *types.Type
}

// TimeUnitArg is a bare time unit passed to a function (TIMESTAMPADD(SECONDS, ...)).
type TimeUnitArg struct{ Unit ast.TimeUnit }

// Type implementations.

func (e *Column) Type() *types.Type     { return e.T }
func (e *Const) Type() *types.Type      { return e.T }
func (e *LambdaVar) Type() *types.Type  { return e.T }
func (e *Lambda) Type() *types.Type     { return e.Body.Type() }
func (e *Call) Type() *types.Type       { return e.T }
func (e *Arith) Type() *types.Type      { return e.T }
func (e *Concat) Type() *types.Type     { return types.StringType }
func (e *Compare) Type() *types.Type    { return types.BooleanType }
func (e *Logic) Type() *types.Type      { return types.BooleanType }
func (e *Not) Type() *types.Type        { return types.BooleanType }
func (e *Neg) Type() *types.Type        { return e.X.Type() }
func (e *IsNull) Type() *types.Type     { return types.BooleanType }
func (e *Case) Type() *types.Type       { return e.T }
func (e *Cast) Type() *types.Type       { return e.T }
func (e *In) Type() *types.Type         { return types.BooleanType }
func (e *Between) Type() *types.Type    { return types.BooleanType }
func (e *Like) Type() *types.Type       { return types.BooleanType }
func (e *Deref) Type() *types.Type      { return e.T }
func (e *Subscript) Type() *types.Type  { return e.T }
func (e *MakeArray) Type() *types.Type  { return e.T }
func (e *MakeMap) Type() *types.Type    { return e.T }
func (e *MakeStruct) Type() *types.Type { return e.T }
func (e *TimeUnitArg) Type() *types.Type {
	return types.StringType
}

// String implementations render the expression for EXPLAIN.

func (e *Column) String() string    { return ast.QuoteIdent(e.Name) }
func (e *Const) String() string     { return ast.FormatLiteral(e.Value, e.T) }
func (e *LambdaVar) String() string { return e.Name }
func (e *Lambda) String() string {
	return "(" + strings.Join(e.Params, ", ") + ") => " + e.Body.String()
}
func (e *Call) String() string {
	return e.Name + "(" + joinExprs(e.Args) + ")"
}
func (e *Arith) String() string {
	return "(" + e.L.String() + " " + e.Op.String() + " " + e.R.String() + ")"
}
func (e *Concat) String() string { return "(" + e.L.String() + " || " + e.R.String() + ")" }
func (e *Compare) String() string {
	return "(" + e.L.String() + " " + e.Op.String() + " " + e.R.String() + ")"
}
func (e *Logic) String() string {
	op := "OR"
	if e.And {
		op = "AND"
	}
	return "(" + e.L.String() + " " + op + " " + e.R.String() + ")"
}
func (e *Not) String() string { return "(NOT " + e.X.String() + ")" }
func (e *Neg) String() string { return "-" + e.X.String() }
func (e *IsNull) String() string {
	if e.Not {
		return "(" + e.X.String() + " IS NOT NULL)"
	}
	return "(" + e.X.String() + " IS NULL)"
}
func (e *Case) String() string {
	var b strings.Builder
	b.WriteString("(CASE")
	for _, w := range e.Whens {
		fmt.Fprintf(&b, " WHEN %s THEN %s", w.Cond, w.Result)
	}
	if e.Else != nil {
		fmt.Fprintf(&b, " ELSE %s", e.Else)
	}
	b.WriteString(" END)")
	return b.String()
}
func (e *Cast) String() string { return "CAST(" + e.X.String() + " AS " + e.T.String() + ")" }
func (e *In) String() string {
	not := ""
	if e.Not {
		not = " NOT"
	}
	return "(" + e.X.String() + not + " IN (" + joinExprs(e.List) + "))"
}
func (e *Between) String() string {
	not := ""
	if e.Not {
		not = " NOT"
	}
	return "(" + e.X.String() + not + " BETWEEN " + e.Lo.String() + " AND " + e.Hi.String() + ")"
}
func (e *Like) String() string {
	not := ""
	if e.Not {
		not = " NOT"
	}
	s := "(" + e.X.String() + not + " LIKE " + e.Pattern.String()
	if e.Escape != nil {
		s += " ESCAPE " + e.Escape.String()
	}
	return s + ")"
}
func (e *Deref) String() string     { return e.X.String() + "->" + ast.QuoteIdent(e.Field) }
func (e *Subscript) String() string { return e.X.String() + "[" + e.Index.String() + "]" }
func (e *MakeArray) String() string { return "ARRAY[" + joinExprs(e.Elems) + "]" }
func (e *MakeMap) String() string {
	parts := make([]string, len(e.Keys))
	for i := range e.Keys {
		parts[i] = e.Keys[i].String() + ":=" + e.Vals[i].String()
	}
	return "MAP(" + strings.Join(parts, ", ") + ")"
}
func (e *MakeStruct) String() string {
	parts := make([]string, len(e.Vals))
	for i := range e.Vals {
		parts[i] = ast.QuoteIdent(e.T.Fields[i].Name) + ":=" + e.Vals[i].String()
	}
	return "STRUCT(" + strings.Join(parts, ", ") + ")"
}
func (e *TimeUnitArg) String() string { return e.Unit.String() }

func joinExprs(es []Expr) string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.String()
	}
	return strings.Join(parts, ", ")
}

// Walk calls fn for e and every sub-expression, depth first, parents first.
func Walk(e Expr, fn func(Expr)) {
	if e == nil {
		return
	}
	fn(e)
	for _, c := range Children(e) {
		Walk(c, fn)
	}
}

// Children returns the direct sub-expressions of e.
func Children(e Expr) []Expr {
	switch x := e.(type) {
	case *Call:
		return x.Args
	case *Lambda:
		return []Expr{x.Body}
	case *Arith:
		return []Expr{x.L, x.R}
	case *Concat:
		return []Expr{x.L, x.R}
	case *Compare:
		return []Expr{x.L, x.R}
	case *Logic:
		return []Expr{x.L, x.R}
	case *Not:
		return []Expr{x.X}
	case *Neg:
		return []Expr{x.X}
	case *IsNull:
		return []Expr{x.X}
	case *Case:
		var out []Expr
		for _, w := range x.Whens {
			out = append(out, w.Cond, w.Result)
		}
		if x.Else != nil {
			out = append(out, x.Else)
		}
		return out
	case *Cast:
		return []Expr{x.X}
	case *In:
		return append([]Expr{x.X}, x.List...)
	case *Between:
		return []Expr{x.X, x.Lo, x.Hi}
	case *Like:
		if x.Escape != nil {
			return []Expr{x.X, x.Pattern, x.Escape}
		}
		return []Expr{x.X, x.Pattern}
	case *Deref:
		return []Expr{x.X}
	case *Subscript:
		return []Expr{x.X, x.Index}
	case *MakeArray:
		return x.Elems
	case *MakeMap:
		return append(append([]Expr{}, x.Keys...), x.Vals...)
	case *MakeStruct:
		return x.Vals
	}
	return nil
}

// ColumnsUsed returns the input slots an expression reads, in first-use order.
func ColumnsUsed(e Expr) []int {
	var out []int
	seen := map[int]bool{}
	Walk(e, func(x Expr) {
		if c, ok := x.(*Column); ok && !seen[c.Index] {
			seen[c.Index] = true
			out = append(out, c.Index)
		}
	})
	return out
}

// Operators of bound expressions. They are the AST's values under the
// planner's names, so that exec reads plans without importing the AST.
type BinaryOp = ast.BinaryOp

// The binary operators of bound expressions.
const (
	OpAdd               = ast.OpAdd
	OpSub               = ast.OpSub
	OpMul               = ast.OpMul
	OpDiv               = ast.OpDiv
	OpMod               = ast.OpMod
	OpEq                = ast.OpEq
	OpNe                = ast.OpNe
	OpLt                = ast.OpLt
	OpLe                = ast.OpLe
	OpGt                = ast.OpGt
	OpGe                = ast.OpGe
	OpIsDistinctFrom    = ast.OpIsDistinctFrom
	OpIsNotDistinctFrom = ast.OpIsNotDistinctFrom
)
