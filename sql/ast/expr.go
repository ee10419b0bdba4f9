package ast

import (
	"github.com/ksqlgo/ksql/sql/types"
)

// Expr is a scalar expression.
type Expr interface {
	Node
	expr()
}

// ExprBase is embedded in every expression node.
type ExprBase struct{ At Pos }

// Position returns where the expression starts.
func (e *ExprBase) Position() Pos { return e.At }
func (*ExprBase) expr()           {}

// Literal is a constant. Value uses the runtime representation of
// sql/types (nil for NULL). Type is the literal's SQL type: INTEGER for
// small integers, BIGINT for larger ones, DECIMAL for "1.5", DOUBLE for
// "1.5E3", STRING, BOOLEAN, or types.NullType.
type Literal struct {
	ExprBase
	Value types.Value
	Type  *types.Type
}

// ColumnRef is a column reference, optionally qualified by a source name or
// alias: "COL" or "SRC.COL".
type ColumnRef struct {
	ExprBase
	Source string // "" when unqualified
	Name   string
}

// Dereference is struct field access: "base->FIELD".
type Dereference struct {
	ExprBase
	Base  Expr
	Field string
}

// Subscript is "base[index]": 1-based array indexing or map lookup.
type Subscript struct {
	ExprBase
	Base  Expr
	Index Expr
}

// FunctionCall is "NAME(args)". Name is upper-cased. Star marks "f(*)".
type FunctionCall struct {
	ExprBase
	Name     string
	Args     []Expr
	Star     bool
	Distinct bool
}

// BinaryOp is an operator with two operands.
type BinaryOp int

// Binary operators.
const (
	OpAdd BinaryOp = iota
	OpSub
	OpMul
	OpDiv
	OpMod
	OpConcat // ||
	OpEq
	OpNe
	OpLt
	OpLe
	OpGt
	OpGe
	OpAnd
	OpOr
	OpIsDistinctFrom
	OpIsNotDistinctFrom
)

var binaryOpText = [...]string{
	OpAdd: "+", OpSub: "-", OpMul: "*", OpDiv: "/", OpMod: "%", OpConcat: "||",
	OpEq: "=", OpNe: "<>", OpLt: "<", OpLe: "<=", OpGt: ">", OpGe: ">=",
	OpAnd: "AND", OpOr: "OR", OpIsDistinctFrom: "IS DISTINCT FROM",
	OpIsNotDistinctFrom: "IS NOT DISTINCT FROM",
}

func (o BinaryOp) String() string { return binaryOpText[o] }

// IsComparison reports whether the operator compares its operands.
func (o BinaryOp) IsComparison() bool {
	switch o {
	case OpEq, OpNe, OpLt, OpLe, OpGt, OpGe, OpIsDistinctFrom, OpIsNotDistinctFrom:
		return true
	}
	return false
}

// IsArithmetic reports whether the operator is + - * / %.
func (o BinaryOp) IsArithmetic() bool { return o <= OpMod }

// Binary is "L op R".
type Binary struct {
	ExprBase
	Op   BinaryOp
	L, R Expr
}

// UnaryOp is NOT, unary minus or unary plus.
type UnaryOp int

// Unary operators.
const (
	OpNot UnaryOp = iota
	OpNeg
	OpPlus
)

// Unary is "op X".
type Unary struct {
	ExprBase
	Op UnaryOp
	X  Expr
}

// When is one WHEN ... THEN ... arm.
type When struct {
	Cond   Expr
	Result Expr
}

// Case is searched CASE (Operand nil) or simple CASE.
type Case struct {
	ExprBase
	Operand Expr
	Whens   []When
	Else    Expr // nil when absent
}

// Cast is CAST(X AS To).
type Cast struct {
	ExprBase
	X  Expr
	To *types.Type
}

// Between is "X [NOT] BETWEEN Lo AND Hi".
type Between struct {
	ExprBase
	X, Lo, Hi Expr
	Not       bool
}

// InList is "X [NOT] IN (List...)".
type InList struct {
	ExprBase
	X    Expr
	List []Expr
	Not  bool
}

// Like is "X [NOT] LIKE Pattern [ESCAPE Escape]".
type Like struct {
	ExprBase
	X, Pattern Expr
	Escape     Expr // nil when absent
	Not        bool
}

// IsNull is "X IS [NOT] NULL".
type IsNull struct {
	ExprBase
	X   Expr
	Not bool
}

// ArrayCtor is "ARRAY[e, ...]".
type ArrayCtor struct {
	ExprBase
	Elems []Expr
}

// MapCtor is "MAP(k := v, ...)".
type MapCtor struct {
	ExprBase
	Keys []Expr
	Vals []Expr
}

// StructCtor is "STRUCT(NAME := v, ...)".
type StructCtor struct {
	ExprBase
	Names []string
	Vals  []Expr
}

// Lambda is "x => body" or "(x, y) => body", only as a function argument.
type Lambda struct {
	ExprBase
	Params []string
	Body   Expr
}

// IntervalUnit is a bare time unit used as a function argument, as in
// TIMESTAMPADD(SECONDS, 5, ts).
type IntervalUnit struct {
	ExprBase
	Unit TimeUnit
}
