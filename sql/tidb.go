package sql

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	tidb "github.com/pingcap/tidb/pkg/parser"
	tast "github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/mysql"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	_ "github.com/pingcap/tidb/pkg/parser/test_driver" // TiDB's parser needs a value driver

	"github.com/ksqlgo/ksql/sql/ast"
)

// This file is the bridge to the TiDB parser: it parses the MySQL text that
// expr.go writes for a statement's expressions and converts TiDB's tree
// into the project's ast. It is the only code that uses TiDB; no TiDB type
// leaves it.

// tidbPrefix makes the expressions the fields of a SELECT statement, one
// field per top-level expression.
const tidbPrefix = "SELECT "

// tidbParsers recycles TiDB parsers, which are costly to build and not safe
// for concurrent use.
var tidbParsers = sync.Pool{New: func() any {
	tp := tidb.New()
	tp.SetSQLMode(mysql.ModeANSIQuotes | mysql.ModePipesAsConcat)
	return tp
}}

// convertExprs parses the statement's expressions with TiDB and hands each
// converted tree to its setter.
func (p *parser) convertExprs() {
	x := p.x
	if p.err != nil || len(x.exprs) == 0 {
		return
	}
	fields, err := x.parseTiDB(p.src)
	if err != nil {
		p.err = err
		return
	}
	c := converter{x: x}
	for i, f := range fields {
		e, _, cerr := c.convert(f)
		if cerr != nil {
			p.fail(x.exprPos(i), "internal error converting the expression: %v", cerr)
			return
		}
		x.exprs[i].set(e)
	}
}

// exprPos is the position of the first token of expression i.
func (x *exprState) exprPos(i int) ast.Pos {
	pos, _ := x.origin(x.exprs[i].start)
	return pos
}

// parseTiDB runs TiDB's parser over the statement's expressions. It returns
// one expression per pending expression.
func (x *exprState) parseTiDB(src string) ([]tast.ExprNode, *Error) {
	sql := tidbPrefix + string(x.out)
	tp := tidbParsers.Get().(*tidb.Parser)
	stmt, err := tp.ParseOneStmt(sql, "", "")
	tidbParsers.Put(tp)
	if err != nil {
		return nil, x.rebase(src, sql, err.Error())
	}
	sel, ok := stmt.(*tast.SelectStmt)
	if !ok || sel.Fields == nil || len(sel.Fields.Fields) != len(x.exprs) || sel.From != nil {
		return nil, newError(src, x.exprPos(0), "internal error: unexpected result from the expression parser")
	}
	out := make([]tast.ExprNode, len(sel.Fields.Fields))
	for i, f := range sel.Fields.Fields {
		if f.Expr == nil || f.WildCard != nil || f.AsName.O != "" {
			return nil, newError(src, x.exprPos(i), "internal error: unexpected result from the expression parser")
		}
		out[i] = f.Expr
	}
	return out, nil
}

// rebase turns a syntax error reported by TiDB into an Error at the user's
// token. This is the one place where TiDB's offsets are mapped back.
//
// TiDB reports `line L column C near "REST"...`, where REST is the text
// from the offending token to the end of its input, cut to 2048 bytes and
// then followed by "(total length N)". The text written for TiDB holds no
// double quote, so REST ends at the first one. The offending token's offset
// in sql is therefore len(sql)-len(REST), or len(sql)-N when cut; the marks
// map that offset back to the user's token.
func (x *exprState) rebase(src, sql, msg string) *Error {
	off := len(sql)
	if i := strings.Index(msg, `near "`); i >= 0 {
		rest := msg[i+len(`near "`):]
		if j := strings.IndexByte(rest, '"'); j >= 0 {
			off = len(sql) - j
			const total = "(total length "
			if k := strings.Index(rest[j:], total); k >= 0 {
				num := rest[j+k+len(total):]
				if e := strings.IndexByte(num, ')'); e >= 0 {
					if n, err := strconv.Atoi(num[:e]); err == nil && n <= len(sql) {
						off = len(sql) - n
					}
				}
			}
		}
	}
	pos, text := x.origin(off - len(tidbPrefix))
	return newError(src, pos, fmt.Sprintf("syntax error at or near %s", quoteTok(text)))
}

// origin maps an offset in the MySQL text to the user's token written there:
// the last token written at or before it. Offsets past the end map to the
// end of the last expression.
func (x *exprState) origin(off int) (ast.Pos, string) {
	j := sort.Search(len(x.marks), func(i int) bool { return x.marks[i].off > off }) - 1
	if off >= len(x.out) || j < 0 {
		if len(x.exprs) == 0 {
			return ast.Pos{Line: 1, Col: 1}, "<EOF>"
		}
		return x.exprs[len(x.exprs)-1].end, "<EOF>"
	}
	return x.marks[j].pos, x.marks[j].text
}

// converter turns TiDB's tree into the project's ast.
type converter struct {
	x    *exprState
	next [numPrefix]int // how many positions of each prefix queue were used
}

// prefix takes the position of the next prefix node of kind k. Nodes are
// met in pre-order, which is the text order of their prefix tokens.
func (c *converter) prefix(k prefixKind) (ast.Pos, error) {
	q := c.x.prefix[k]
	if c.next[k] >= len(q) {
		return ast.Pos{}, fmt.Errorf("no position for prefix node %d", k)
	}
	c.next[k]++
	return q[c.next[k]-1], nil
}

var binaryOps = map[opcode.Op]ast.BinaryOp{
	opcode.Plus: ast.OpAdd, opcode.Minus: ast.OpSub, opcode.Mul: ast.OpMul,
	opcode.Div: ast.OpDiv, opcode.Mod: ast.OpMod, opcode.Or: ast.OpConcat,
	opcode.EQ: ast.OpEq, opcode.NE: ast.OpNe, opcode.LT: ast.OpLt, opcode.LE: ast.OpLe,
	opcode.GT: ast.OpGt, opcode.GE: ast.OpGe, opcode.LogicAnd: ast.OpAnd, opcode.LogicOr: ast.OpOr,
}

// convert converts n and returns it with the position where its text
// starts, which for a parenthesised expression is its '('.
func (c *converter) convert(n tast.ExprNode) (ast.Expr, ast.Pos, error) {
	switch n := n.(type) {
	case *tast.FuncCallExpr:
		return c.item(n)
	case *tast.BinaryOperationExpr:
		op, ok := binaryOps[n.Op]
		if !ok {
			return nil, ast.Pos{}, fmt.Errorf("unexpected operator %s", n.Op)
		}
		l, at, err := c.convert(n.L)
		if err != nil {
			return nil, at, err
		}
		r, _, err := c.convert(n.R)
		if err != nil {
			return nil, at, err
		}
		return &ast.Binary{ExprBase: ast.ExprBase{At: at}, Op: op, L: l, R: r}, at, nil
	case *tast.UnaryOperationExpr:
		var k prefixKind
		var op ast.UnaryOp
		switch n.Op {
		case opcode.Not:
			k, op = pNot, ast.OpNot
		case opcode.Minus:
			k, op = pNeg, ast.OpNeg
		case opcode.Plus:
			k, op = pPlus, ast.OpPlus
		default:
			return nil, ast.Pos{}, fmt.Errorf("unexpected unary operator %s", n.Op)
		}
		at, err := c.prefix(k)
		if err != nil {
			return nil, at, err
		}
		v, _, err := c.convert(n.V)
		if err != nil {
			return nil, at, err
		}
		return &ast.Unary{ExprBase: ast.ExprBase{At: at}, Op: op, X: v}, at, nil
	case *tast.ParenthesesExpr:
		at, err := c.prefix(pParen)
		if err != nil {
			return nil, at, err
		}
		e, _, err := c.convert(n.Expr)
		return e, at, err
	case *tast.CaseExpr:
		at, err := c.prefix(pCase)
		if err != nil {
			return nil, at, err
		}
		ce := &ast.Case{ExprBase: ast.ExprBase{At: at}}
		if n.Value != nil {
			if ce.Operand, _, err = c.convert(n.Value); err != nil {
				return nil, at, err
			}
		}
		for _, w := range n.WhenClauses {
			var when ast.When
			if when.Cond, _, err = c.convert(w.Expr); err != nil {
				return nil, at, err
			}
			if when.Result, _, err = c.convert(w.Result); err != nil {
				return nil, at, err
			}
			ce.Whens = append(ce.Whens, when)
		}
		if n.ElseClause != nil {
			if ce.Else, _, err = c.convert(n.ElseClause); err != nil {
				return nil, at, err
			}
		}
		return ce, at, nil
	case *tast.BetweenExpr:
		x, at, err := c.convert(n.Expr)
		if err != nil {
			return nil, at, err
		}
		lo, _, err := c.convert(n.Left)
		if err != nil {
			return nil, at, err
		}
		hi, _, err := c.convert(n.Right)
		if err != nil {
			return nil, at, err
		}
		return &ast.Between{ExprBase: ast.ExprBase{At: at}, X: x, Lo: lo, Hi: hi, Not: n.Not}, at, nil
	case *tast.PatternInExpr:
		if n.Sel != nil {
			return nil, ast.Pos{}, fmt.Errorf("unexpected subquery")
		}
		x, at, err := c.convert(n.Expr)
		if err != nil {
			return nil, at, err
		}
		list, err := c.list(n.List)
		if err != nil {
			return nil, at, err
		}
		return &ast.InList{ExprBase: ast.ExprBase{At: at}, X: x, List: list, Not: n.Not}, at, nil
	case *tast.IsNullExpr:
		x, at, err := c.convert(n.Expr)
		if err != nil {
			return nil, at, err
		}
		return &ast.IsNull{ExprBase: ast.ExprBase{At: at}, X: x, Not: n.Not}, at, nil
	}
	return nil, ast.Pos{}, fmt.Errorf("unexpected expression node %T", n)
}

func (c *converter) list(ns []tast.ExprNode) ([]ast.Expr, error) {
	if len(ns) == 0 {
		return nil, nil
	}
	out := make([]ast.Expr, len(ns))
	for i, n := range ns {
		e, _, err := c.convert(n)
		if err != nil {
			return nil, err
		}
		out[i] = e
	}
	return out, nil
}

// item converts a call of a generated function `#N` back into the node it
// stands for.
func (c *converter) item(n *tast.FuncCallExpr) (ast.Expr, ast.Pos, error) {
	name := n.FnName.O
	idx, err := strconv.Atoi(strings.TrimPrefix(name, "#"))
	if !strings.HasPrefix(name, "#") || err != nil || idx < 0 || idx >= len(c.x.items) {
		return nil, ast.Pos{}, fmt.Errorf("unexpected function %q", name)
	}
	it := &c.x.items[idx]
	at := it.pos
	base := ast.ExprBase{At: at}
	args, err := c.list(n.Args)
	if err != nil {
		return nil, at, err
	}
	want := -1 // the number of arguments the kind takes; -1: any
	var e ast.Expr
	switch it.kind {
	case itLit:
		want, e = 0, it.lit
	case itCol:
		want, e = 0, &ast.ColumnRef{ExprBase: base, Source: it.source, Name: it.name}
	case itUnit:
		want, e = 0, &ast.IntervalUnit{ExprBase: base, Unit: it.unit}
	case itFunc:
		e = &ast.FunctionCall{ExprBase: base, Name: it.name, Args: args, Star: it.star}
	case itDeref:
		want = 1
		if len(args) == want {
			e = &ast.Dereference{ExprBase: base, Base: args[0], Field: it.name}
		}
	case itSub:
		want = 2
		if len(args) == want {
			e = &ast.Subscript{ExprBase: base, Base: args[0], Index: args[1]}
		}
	case itArray:
		e = &ast.ArrayCtor{ExprBase: base, Elems: args}
	case itMap:
		if len(args)%2 != 0 {
			return nil, at, fmt.Errorf("odd number of MAP arguments")
		}
		m := &ast.MapCtor{ExprBase: base}
		for i := 0; i < len(args); i += 2 {
			m.Keys = append(m.Keys, args[i])
			m.Vals = append(m.Vals, args[i+1])
		}
		e = m
	case itStruct:
		want = len(it.names)
		if len(args) == want {
			e = &ast.StructCtor{ExprBase: base, Names: it.names, Vals: args}
		}
	case itLambda:
		want = 1
		if len(args) == want {
			e = &ast.Lambda{ExprBase: base, Params: it.names, Body: args[0]}
		}
	case itCast:
		want = 1
		if len(args) == want {
			e = &ast.Cast{ExprBase: base, X: args[0], To: it.typ}
		}
	case itDistinct:
		want = 2
		if len(args) == want {
			op := ast.OpIsDistinctFrom
			if it.not {
				op = ast.OpIsNotDistinctFrom
			}
			e = &ast.Binary{ExprBase: base, Op: op, L: args[0], R: args[1]}
		}
	case itLike:
		switch len(args) {
		case 2:
			e = &ast.Like{ExprBase: base, X: args[0], Pattern: args[1], Not: it.not}
		case 3:
			e = &ast.Like{ExprBase: base, X: args[0], Pattern: args[1], Escape: args[2], Not: it.not}
		default:
			return nil, at, fmt.Errorf("LIKE with %d arguments", len(args))
		}
	}
	if want >= 0 && len(args) != want || e == nil {
		return nil, at, fmt.Errorf("generated function %q of kind %d has %d arguments", name, it.kind, len(args))
	}
	return e, at, nil
}
