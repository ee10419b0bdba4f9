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
// leaves it. TiDB gives every expression node the offset of its first token
// in the MySQL text; the marks of exprState map it back to the user's text
// (origin), which is the one place where offsets are rebased.

// tidbPrefix makes the expressions the fields of a SELECT statement, one
// field per top-level expression.
const tidbPrefix = "SELECT "

// tidbParsers recycles TiDB parsers, which are costly to build and not safe
// for concurrent use. Strings are written with a quote doubled and nothing
// else escaped, hence NO_BACKSLASH_ESCAPES; names are back-quoted.
var tidbParsers = sync.Pool{New: func() any {
	tp := tidb.New()
	tp.SetSQLMode(mysql.ModeNoBackslashEscapes)
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
		e, cerr := c.convert(f)
		if cerr != nil {
			p.fail(x.exprPos(i), "internal error converting the expression: %v", cerr)
			return
		}
		x.exprs[i].set(e)
	}
}

// exprPos is the position of the first token of expression i.
func (x *exprState) exprPos(i int) ast.Pos {
	return x.origin(x.exprs[i].start).pos
}

// parseTiDB runs TiDB's parser over the statement's expressions. It returns
// one expression per pending expression.
func (x *exprState) parseTiDB(src string) ([]tast.ExprNode, *Error) {
	sql := tidbPrefix + string(x.out)
	stmt, err := parseOne(sql)
	if perr, ok := err.(tidbPanic); ok {
		return nil, newError(src, x.exprPos(0), "internal error: the expression parser failed: "+perr.msg)
	}
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

// tidbPanic is a panic inside TiDB's parser, turned into an error so that
// no text can bring the server down.
type tidbPanic struct{ msg string }

func (e tidbPanic) Error() string { return e.msg }

// parseOne parses sql with a pooled TiDB parser. A parser that panicked is
// not put back.
func parseOne(sql string) (stmt tast.StmtNode, err error) {
	tp := tidbParsers.Get().(*tidb.Parser)
	defer func() {
		if r := recover(); r != nil {
			stmt, err = nil, tidbPanic{msg: fmt.Sprint(r)}
		}
	}()
	stmt, err = tp.ParseOneStmt(sql, "", "")
	tidbParsers.Put(tp)
	return stmt, err
}

// rebase turns a syntax error reported by TiDB into an Error at the user's
// token. (Any text TiDB rejects is a fault of the lowering pass, which
// rejects what TiDB would; this keeps such a fault at the right place.)
//
// TiDB reports `line L column C near "REST" `, where REST is the text from
// the offending token to the end of its input, sql[off:]; when that is
// longer than 2048 bytes, REST is cut there and "(total length N)" ends
// the message, N being len(sql[off:]). As strings and names may hold a
// double quote, REST ends at the last double quote after which REST is
// still a suffix of sql. The marks map the offset back to the user's token.
func (x *exprState) rebase(src, sql, msg string) *Error {
	off := len(sql)
	const total = "(total length "
	if k := strings.LastIndex(msg, total); k >= 0 && strings.HasSuffix(msg, ")") {
		if n, err := strconv.Atoi(msg[k+len(total) : len(msg)-1]); err == nil && n <= len(sql) {
			off = len(sql) - n
		}
	} else if i := strings.Index(msg, `near "`); i >= 0 {
		rest := msg[i+len(`near "`):]
		for j := len(rest) - 1; j >= 0; j-- {
			if rest[j] == '"' && strings.HasSuffix(sql, rest[:j]) {
				off = len(sql) - j
				break
			}
		}
	}
	m := x.origin(off - len(tidbPrefix))
	return newError(src, m.pos, fmt.Sprintf("syntax error at or near %s", quoteTok(m.text)))
}

// origin maps an offset in the MySQL text to the mark written there: the
// last one at or before it. Offsets past the end map to the end of the last
// expression.
func (x *exprState) origin(off int) mark {
	j := sort.Search(len(x.marks), func(i int) bool { return x.marks[i].off > off }) - 1
	if off >= len(x.out) || j < 0 {
		if len(x.exprs) == 0 {
			return mark{pos: ast.Pos{Line: 1, Col: 1}, key: -1, text: "<EOF>"}
		}
		return mark{pos: x.exprs[len(x.exprs)-1].end, key: -1, text: "<EOF>"}
	}
	return x.marks[j]
}

// converter turns TiDB's tree into the project's ast.
type converter struct {
	x *exprState
}

// at returns the mark where node n starts.
func (c *converter) at(n tast.Node) mark {
	return c.x.origin(n.OriginTextPosition() - len(tidbPrefix))
}

// entry returns the side table entry of m, which must be of kind k.
func (c *converter) entry(m mark, k entryKind) (*entry, error) {
	if m.key < 0 || m.key >= len(c.x.entries) || c.x.entries[m.key].kind != k {
		return nil, fmt.Errorf("no entry of kind %d at %s", k, m.pos)
	}
	return &c.x.entries[m.key], nil
}

var binaryOps = map[opcode.Op]ast.BinaryOp{
	opcode.Plus: ast.OpAdd, opcode.Minus: ast.OpSub, opcode.Mul: ast.OpMul,
	opcode.Div: ast.OpDiv, opcode.Mod: ast.OpMod, opcode.Or: ast.OpConcat,
	opcode.EQ: ast.OpEq, opcode.NE: ast.OpNe, opcode.LT: ast.OpLt, opcode.LE: ast.OpLe,
	opcode.GT: ast.OpGt, opcode.GE: ast.OpGe, opcode.LogicAnd: ast.OpAnd, opcode.LogicOr: ast.OpOr,
}

// convert converts n.
func (c *converter) convert(n tast.ExprNode) (ast.Expr, error) {
	m := c.at(n)
	base := ast.ExprBase{At: m.pos}
	switch n := n.(type) {
	case tast.ValueExpr:
		// Literals, column references and time units are built from the
		// user's tokens, so that their types and names follow KSQL's rules
		// exactly (TiDB would, for one, replace bytes that are not UTF-8).
		e, err := c.entry(m, eLeaf)
		if err != nil {
			return nil, err
		}
		return e.node, nil
	case *tast.ColumnNameExpr:
		e, err := c.entry(m, eLeaf)
		if err != nil {
			return nil, err
		}
		return e.node, nil
	case *tast.FuncCallExpr:
		return c.call(n, m)
	case *tast.FuncCastExpr:
		e, err := c.entry(m, eCast)
		if err != nil {
			return nil, err
		}
		x, err := c.convert(n.Expr)
		if err != nil {
			return nil, err
		}
		return &ast.Cast{ExprBase: base, X: x, To: e.typ}, nil
	case *tast.BinaryOperationExpr:
		l, err := c.convert(n.L)
		if err != nil {
			return nil, err
		}
		r, err := c.convert(n.R)
		if err != nil {
			return nil, err
		}
		if n.Op == opcode.NullEQ {
			// The <=> written for IS [NOT] DISTINCT FROM is the mark just
			// before the right operand.
			op := c.x.origin(n.R.OriginTextPosition() - len(tidbPrefix) - 1)
			e, err := c.entry(op, eDistinct)
			if err != nil {
				return nil, err
			}
			bop := ast.OpIsDistinctFrom
			if e.not {
				bop = ast.OpIsNotDistinctFrom
			}
			return &ast.Binary{ExprBase: base, Op: bop, L: l, R: r}, nil
		}
		op, ok := binaryOps[n.Op]
		if !ok {
			return nil, fmt.Errorf("unexpected operator %s", n.Op)
		}
		return &ast.Binary{ExprBase: base, Op: op, L: l, R: r}, nil
	case *tast.UnaryOperationExpr:
		var op ast.UnaryOp
		switch n.Op {
		case opcode.Not:
			op = ast.OpNot
		case opcode.Minus:
			op = ast.OpNeg
		case opcode.Plus:
			op = ast.OpPlus
		default:
			return nil, fmt.Errorf("unexpected unary operator %s", n.Op)
		}
		v, err := c.convert(n.V)
		if err != nil {
			return nil, err
		}
		return &ast.Unary{ExprBase: base, Op: op, X: v}, nil
	case *tast.ParenthesesExpr:
		return c.convert(n.Expr)
	case *tast.CaseExpr:
		ce := &ast.Case{ExprBase: base}
		var err error
		if n.Value != nil {
			if ce.Operand, err = c.convert(n.Value); err != nil {
				return nil, err
			}
		}
		for _, w := range n.WhenClauses {
			var when ast.When
			if when.Cond, err = c.convert(w.Expr); err != nil {
				return nil, err
			}
			if when.Result, err = c.convert(w.Result); err != nil {
				return nil, err
			}
			ce.Whens = append(ce.Whens, when)
		}
		if n.ElseClause != nil {
			if ce.Else, err = c.convert(n.ElseClause); err != nil {
				return nil, err
			}
		}
		return ce, nil
	case *tast.BetweenExpr:
		args, err := c.list([]tast.ExprNode{n.Expr, n.Left, n.Right})
		if err != nil {
			return nil, err
		}
		return &ast.Between{ExprBase: base, X: args[0], Lo: args[1], Hi: args[2], Not: n.Not}, nil
	case *tast.PatternInExpr:
		if n.Sel != nil {
			return nil, fmt.Errorf("unexpected subquery")
		}
		x, err := c.convert(n.Expr)
		if err != nil {
			return nil, err
		}
		list, err := c.list(n.List)
		if err != nil {
			return nil, err
		}
		return &ast.InList{ExprBase: base, X: x, List: list, Not: n.Not}, nil
	case *tast.PatternLikeOrIlikeExpr:
		if !n.IsLike {
			return nil, fmt.Errorf("unexpected ILIKE")
		}
		e, err := c.entry(c.at(n.Pattern), eLike)
		if err != nil {
			return nil, err
		}
		args, err := c.list([]tast.ExprNode{n.Expr, n.Pattern})
		if err != nil {
			return nil, err
		}
		like := &ast.Like{ExprBase: base, X: args[0], Pattern: args[1], Not: n.Not}
		if e.escape != nil {
			like.Escape = e.escape
		}
		return like, nil
	case *tast.IsNullExpr:
		x, err := c.convert(n.Expr)
		if err != nil {
			return nil, err
		}
		return &ast.IsNull{ExprBase: base, X: x, Not: n.Not}, nil
	}
	return nil, fmt.Errorf("unexpected expression node %T", n)
}

func (c *converter) list(ns []tast.ExprNode) ([]ast.Expr, error) {
	if len(ns) == 0 {
		return nil, nil
	}
	out := make([]ast.Expr, len(ns))
	for i, n := range ns {
		e, err := c.convert(n)
		if err != nil {
			return nil, err
		}
		out[i] = e
	}
	return out, nil
}

// call converts a function call: the user's, or one generated for a
// construct that MySQL lacks.
func (c *converter) call(n *tast.FuncCallExpr, m mark) (ast.Expr, error) {
	if m.key < 0 || m.key >= len(c.x.entries) || n.Schema.O != "" {
		return nil, fmt.Errorf("unexpected function %s at %s", n.FnName.O, m.pos)
	}
	it := &c.x.entries[m.key]
	base := ast.ExprBase{At: m.pos}
	args, err := c.list(n.Args)
	if err != nil {
		return nil, err
	}
	want := -1 // the number of arguments the kind takes; -1: any
	var e ast.Expr
	switch it.kind {
	case eCall:
		e = &ast.FunctionCall{ExprBase: base, Name: it.name, Args: args, Star: it.star}
	case eDeref:
		want = 1
		if len(args) == want {
			e = &ast.Dereference{ExprBase: base, Base: args[0], Field: it.name}
		}
	case eSub:
		want = 2
		if len(args) == want {
			e = &ast.Subscript{ExprBase: base, Base: args[0], Index: args[1]}
		}
	case eArray:
		e = &ast.ArrayCtor{ExprBase: base, Elems: args}
	case eMap:
		if len(args)%2 != 0 {
			return nil, fmt.Errorf("odd number of MAP arguments")
		}
		mc := &ast.MapCtor{ExprBase: base}
		for i := 0; i < len(args); i += 2 {
			mc.Keys = append(mc.Keys, args[i])
			mc.Vals = append(mc.Vals, args[i+1])
		}
		e = mc
	case eStruct:
		want = len(it.names)
		if len(args) == want {
			e = &ast.StructCtor{ExprBase: base, Names: it.names, Vals: args}
		}
	case eLambda:
		want = 1
		if len(args) == want {
			e = &ast.Lambda{ExprBase: base, Params: it.names, Body: args[0]}
		}
	}
	if want >= 0 && len(args) != want || e == nil {
		return nil, fmt.Errorf("generated call of kind %d at %s has %d arguments", it.kind, m.pos, len(args))
	}
	return e, nil
}
