package ast

import (
	"strconv"
	"strings"

	"github.com/ksqlgo/ksql/sql/types"
)

// FormatExpr renders an expression as ksqlDB's expression formatter does:
// identifiers quoted only when they need it, binary operations wrapped in
// parentheses, literals in SQL syntax. The result parses back to the same tree.
func FormatExpr(e Expr) string {
	var b strings.Builder
	formatExpr(&b, e)
	return b.String()
}

// QuoteIdent back-quotes an identifier unless it is an upper-case word that
// reads back unchanged.
func QuoteIdent(name string) string {
	if needsQuote(name) {
		return "`" + strings.ReplaceAll(name, "`", "``") + "`"
	}
	return name
}

func needsQuote(name string) bool {
	if name == "" {
		return true
	}
	for i, c := range name {
		switch {
		case c >= 'A' && c <= 'Z', c == '_':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return true
		}
	}
	return IsReserved(name)
}

// reserved are the words that cannot be bare identifiers in KSQL.
var reserved = map[string]bool{
	"SELECT": true, "FROM": true, "WHERE": true, "AND": true, "OR": true, "NOT": true,
	"AS": true, "BY": true, "GROUP": true, "HAVING": true, "WINDOW": true, "EMIT": true,
	"LIMIT": true, "CREATE": true, "STREAM": true, "TABLE": true, "INSERT": true,
	"INTO": true, "VALUES": true, "NULL": true, "TRUE": true, "FALSE": true, "CASE": true,
	"WHEN": true, "THEN": true, "ELSE": true, "END": true, "CAST": true, "IN": true,
	"IS": true, "LIKE": true, "BETWEEN": true, "JOIN": true, "ON": true, "WITH": true,
	"PARTITION": true, "DROP": true, "DESCRIBE": true, "SHOW": true, "LIST": true,
	"EXPLAIN": true, "TERMINATE": true, "PRINT": true, "SET": true, "UNSET": true,
	"INNER": true, "LEFT": true, "RIGHT": true, "FULL": true, "OUTER": true, "WITHIN": true,
	"ESCAPE": true, "EXISTS": true, "IF": true, "DISTINCT": true, "ARRAY": true, "MAP": true,
	"STRUCT": true,
}

// IsReserved reports whether an upper-case word is reserved in KSQL.
func IsReserved(word string) bool { return reserved[word] }

func formatExpr(b *strings.Builder, e Expr) {
	switch x := e.(type) {
	case *Literal:
		b.WriteString(FormatLiteral(x.Value, x.Type))
	case *ColumnRef:
		if x.Source != "" {
			b.WriteString(QuoteIdent(x.Source))
			b.WriteByte('.')
		}
		b.WriteString(QuoteIdent(x.Name))
	case *Dereference:
		formatExpr(b, x.Base)
		b.WriteString("->")
		b.WriteString(QuoteIdent(x.Field))
	case *Subscript:
		formatExpr(b, x.Base)
		b.WriteByte('[')
		formatExpr(b, x.Index)
		b.WriteByte(']')
	case *FunctionCall:
		b.WriteString(x.Name)
		b.WriteByte('(')
		if x.Distinct {
			b.WriteString("DISTINCT ")
		}
		if x.Star {
			b.WriteByte('*')
		}
		formatList(b, x.Args)
		b.WriteByte(')')
	case *Binary:
		b.WriteByte('(')
		formatExpr(b, x.L)
		b.WriteByte(' ')
		b.WriteString(x.Op.String())
		b.WriteByte(' ')
		formatExpr(b, x.R)
		b.WriteByte(')')
	case *Unary:
		switch x.Op {
		case OpNot:
			b.WriteString("(NOT ")
			formatExpr(b, x.X)
			b.WriteByte(')')
		case OpNeg:
			b.WriteByte('-')
			formatExpr(b, x.X)
		default:
			b.WriteByte('+')
			formatExpr(b, x.X)
		}
	case *Case:
		b.WriteString("(CASE")
		if x.Operand != nil {
			b.WriteByte(' ')
			formatExpr(b, x.Operand)
		}
		for _, w := range x.Whens {
			b.WriteString(" WHEN ")
			formatExpr(b, w.Cond)
			b.WriteString(" THEN ")
			formatExpr(b, w.Result)
		}
		if x.Else != nil {
			b.WriteString(" ELSE ")
			formatExpr(b, x.Else)
		}
		b.WriteString(" END)")
	case *Cast:
		b.WriteString("CAST(")
		formatExpr(b, x.X)
		b.WriteString(" AS ")
		b.WriteString(x.To.String())
		b.WriteByte(')')
	case *Between:
		b.WriteByte('(')
		formatExpr(b, x.X)
		if x.Not {
			b.WriteString(" NOT")
		}
		b.WriteString(" BETWEEN ")
		formatExpr(b, x.Lo)
		b.WriteString(" AND ")
		formatExpr(b, x.Hi)
		b.WriteByte(')')
	case *InList:
		b.WriteByte('(')
		formatExpr(b, x.X)
		if x.Not {
			b.WriteString(" NOT")
		}
		b.WriteString(" IN (")
		formatList(b, x.List)
		b.WriteString("))")
	case *Like:
		b.WriteByte('(')
		formatExpr(b, x.X)
		if x.Not {
			b.WriteString(" NOT")
		}
		b.WriteString(" LIKE ")
		formatExpr(b, x.Pattern)
		if x.Escape != nil {
			b.WriteString(" ESCAPE ")
			formatExpr(b, x.Escape)
		}
		b.WriteByte(')')
	case *IsNull:
		b.WriteByte('(')
		formatExpr(b, x.X)
		if x.Not {
			b.WriteString(" IS NOT NULL)")
		} else {
			b.WriteString(" IS NULL)")
		}
	case *ArrayCtor:
		b.WriteString("ARRAY[")
		formatList(b, x.Elems)
		b.WriteByte(']')
	case *MapCtor:
		b.WriteString("MAP(")
		for i := range x.Keys {
			if i > 0 {
				b.WriteString(", ")
			}
			formatExpr(b, x.Keys[i])
			b.WriteString(":=")
			formatExpr(b, x.Vals[i])
		}
		b.WriteByte(')')
	case *StructCtor:
		b.WriteString("STRUCT(")
		for i := range x.Names {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(QuoteIdent(x.Names[i]))
			b.WriteString(":=")
			formatExpr(b, x.Vals[i])
		}
		b.WriteByte(')')
	case *Lambda:
		if len(x.Params) == 1 {
			b.WriteString(x.Params[0])
		} else {
			b.WriteByte('(')
			b.WriteString(strings.Join(x.Params, ", "))
			b.WriteByte(')')
		}
		b.WriteString(" => ")
		formatExpr(b, x.Body)
	case *IntervalUnit:
		b.WriteString(x.Unit.String())
	default:
		b.WriteString("<?>")
	}
}

func formatList(b *strings.Builder, es []Expr) {
	for i, a := range es {
		if i > 0 {
			b.WriteString(", ")
		}
		formatExpr(b, a)
	}
}

// FormatLiteral renders a literal value in SQL syntax.
func FormatLiteral(v types.Value, t *types.Type) string {
	switch x := v.(type) {
	case nil:
		return "null" // as ksqlDB's ExpressionFormatter
	case string:
		return "'" + strings.ReplaceAll(x, "'", "''") + "'"
	case bool:
		if x {
			return "true"
		}
		return "false"
	case int32:
		return strconv.FormatInt(int64(x), 10)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return types.FormatDouble(x)
	case types.Dec:
		return x.String()
	}
	return types.String(v)
}
