package sql

import (
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/ksqlgo/ksql/sql/ast"
	"github.com/ksqlgo/ksql/sql/types"
)

// This file recognises KSQL expressions and rewrites them into MySQL text
// for the TiDB parser (see tidb.go), which then supplies operator precedence
// and the tree shape.
//
// The recogniser follows the expression rules of ksqlDB's grammar exactly,
// so it finds where an expression ends inside a statement and reports KSQL
// syntax errors itself, at the user's tokens. What it writes for TiDB holds
// no user text at all:
//
//   - every leaf (literal, column reference, interval unit) becomes a call of
//     a generated function, `#N`(), where N indexes a side table that holds
//     the node already built, with its exact position;
//   - every KSQL-only construct becomes such a call with arguments: function
//     calls `#N`(args), dereference a->F, subscript a[i], ARRAY[...],
//     MAP(k := v), STRUCT(F := v), CAST(e AS type), lambdas, IS [NOT]
//     DISTINCT FROM and [NOT] LIKE ... [ESCAPE ...]; a construct written
//     after its first operand is wrapped by inserting `#N`( before that
//     operand;
//   - what MySQL parses as KSQL does is written as MySQL: + - * / %,
//     comparisons, AND, OR, NOT, unary minus and plus, parentheses,
//     [NOT] BETWEEN, [NOT] IN (...), IS [NOT] NULL and CASE; KSQL's || is
//     written as MySQL's |, which has the same precedence relative to the
//     other operators as || has in KSQL (below + and -, above comparisons).
//
// Names, strings and numbers never reach TiDB, so TiDB's keywords, case
// rules, escapes and charsets cannot change their meaning. Positions of the
// nodes TiDB builds itself are recovered in order: for each kind of prefix
// node (NOT, unary minus, unary plus, CASE, parentheses) the positions of its
// tokens are queued in text order, and a pre-order walk of TiDB's tree meets
// those nodes in the same order.

// exprLevel is the grammar rule at which an expression is parsed.
type exprLevel int

const (
	levelExpr  exprLevel = iota // expression: with AND, OR, NOT and predicates
	levelValue                  // valueExpression: arithmetic and concatenation only
)

// itemKind is the kind of a generated function call.
type itemKind uint8

const (
	itLit      itemKind = iota // `#N`(): a literal
	itCol                      // `#N`(): a column reference
	itUnit                     // `#N`(): a bare time unit argument
	itFunc                     // `#N`(args): a function call
	itDeref                    // `#N`(base): base->FIELD
	itSub                      // `#N`(base, index)
	itArray                    // `#N`(elems)
	itMap                      // `#N`(k1, v1, k2, v2, ...)
	itStruct                   // `#N`(v1, v2, ...), names in the item
	itLambda                   // `#N`(body), parameters in the item
	itCast                     // `#N`(x), type in the item
	itDistinct                 // `#N`(l, r): l IS [NOT] DISTINCT FROM r
	itLike                     // `#N`(x, pattern [, escape]): x [NOT] LIKE pattern
)

// item is one generated function: what TiDB's FuncCallExpr named `#N`
// stands for.
type item struct {
	kind   itemKind
	pos    ast.Pos
	lit    *ast.Literal // itLit
	source string       // itCol
	name   string       // itCol, itFunc: name; itDeref: field
	star   bool         // itFunc: f(*)
	names  []string     // itStruct: field names; itLambda: parameters
	typ    *types.Type  // itCast
	unit   ast.TimeUnit // itUnit
	not    bool         // itDistinct: IS NOT DISTINCT FROM; itLike: NOT LIKE
}

// prefixKind is a kind of node that TiDB builds from a prefix token.
type prefixKind int

const (
	pNot prefixKind = iota
	pNeg
	pPlus
	pCase
	pParen
	numPrefix
)

// mark maps an offset in the MySQL text to the user's token written there.
type mark struct {
	off  int
	pos  ast.Pos
	text string
}

// pendingExpr is one top-level expression of a statement.
type pendingExpr struct {
	set   func(ast.Expr)
	start int     // offset of its text in exprState.out
	end   ast.Pos // position just after it in the user's text
}

// exprState collects the expressions of one statement: their MySQL text,
// one select field each, and the side tables that map it back to KSQL.
type exprState struct {
	out    []byte
	marks  []mark
	items  []item
	prefix [numPrefix][]ast.Pos
	exprs  []pendingExpr
}

// emit appends text written for the user's token at pos.
func (x *exprState) emit(pos ast.Pos, text string) {
	x.marks = append(x.marks, mark{off: len(x.out), pos: pos, text: text})
	x.out = append(x.out, text...)
	x.out = append(x.out, ' ')
}

// emitTok appends text written for token t.
func (p *parser) emitTok(t token, text string) {
	if p.err != nil {
		return // the statement is abandoned
	}
	p.x.marks = append(p.x.marks, mark{off: len(p.x.out), pos: t.pos, text: p.src[t.pos.Offset:t.end]})
	p.x.out = append(p.x.out, text...)
	p.x.out = append(p.x.out, ' ')
}

// addItem registers a generated function and returns its call prefix.
func (x *exprState) addItem(it item) (int, string) {
	x.items = append(x.items, it)
	n := len(x.items) - 1
	return n, "`#" + strconv.Itoa(n) + "`("
}

// leaf appends a generated call with no arguments for the token t.
func (p *parser) leaf(t token, it item) {
	_, call := p.x.addItem(it)
	p.emitTok(t, call+")")
}

// open appends the start of a generated call with arguments for token t.
func (p *parser) open(t token, it item) int {
	n, call := p.x.addItem(it)
	p.emitTok(t, call)
	return n
}

// wrap inserts the start of a generated call before the text written since
// offset start, which is the first operand of the construct.
func (x *exprState) wrap(start int, it item) int {
	n, call := x.addItem(it)
	call += " "
	j := sort.Search(len(x.marks), func(i int) bool { return x.marks[i].off >= start })
	m := mark{off: start, pos: it.pos}
	if j < len(x.marks) {
		m.text = x.marks[j].text
	}
	for k := j; k < len(x.marks); k++ {
		x.marks[k].off += len(call)
	}
	x.marks = append(x.marks, mark{})
	copy(x.marks[j+1:], x.marks[j:])
	x.marks[j] = m
	x.out = append(x.out[:start], append([]byte(call), x.out[start:]...)...)
	return n
}

func (x *exprState) pushPrefix(k prefixKind, pos ast.Pos) {
	x.prefix[k] = append(x.prefix[k], pos)
}

// exprInto parses an expression at the given level and registers it for
// conversion at the end of the statement, when set receives the tree. It
// reports whether the expression is a single primary expression (the base
// that "->*" may follow).
func (p *parser) exprInto(level exprLevel, set func(ast.Expr)) bool {
	x := p.x
	if len(x.exprs) > 0 {
		x.out = append(x.out, ", "...)
	}
	pe := pendingExpr{set: set, start: len(x.out)}
	var primary bool
	if level == levelExpr {
		primary = p.boolExpr()
	} else {
		primary = p.valueExpr()
	}
	pe.end = p.peek(0).pos
	x.exprs = append(x.exprs, pe)
	return primary
}

// boolExpr parses KSQL's expression (booleanExpression) rule.
func (p *parser) boolExpr() bool {
	primary := p.boolTerm()
	for p.isKw("AND") || p.isKw("OR") {
		t := p.advance()
		p.emitTok(t, t.text)
		p.boolTerm()
		primary = false
	}
	return primary
}

// boolTerm parses NOT booleanExpression or a predicated expression.
func (p *parser) boolTerm() bool {
	ok := p.enter()
	defer p.leave()
	if !ok {
		return false
	}
	if p.isKw("NOT") {
		t := p.advance()
		p.x.pushPrefix(pNot, t.pos)
		p.emitTok(t, "NOT")
		p.boolTerm()
		return false
	}
	return p.predicated()
}

// comparisons maps KSQL's comparison operators to MySQL's.
var comparisons = map[string]string{
	"=": "=", "<>": "<>", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">=",
}

// predicated parses a value expression and at most one predicate.
func (p *parser) predicated() bool {
	start := len(p.x.out)
	first := p.peek(0)
	primary := p.valueExpr()
	t := p.peek(0)
	if t.kind == tOp {
		op, ok := comparisons[t.text]
		if !ok {
			return primary
		}
		p.advance()
		p.emitTok(t, op)
		p.valueExpr()
		return false
	}
	if t.kind != tWord || t.fromVar {
		return primary
	}
	not := t.text == "NOT"
	kw := t.text
	if not {
		n := p.peek(1)
		if !isKwTok(n, "BETWEEN") && !isKwTok(n, "IN") && !isKwTok(n, "LIKE") {
			return primary
		}
		kw = n.text
		p.advance()
	}
	switch kw {
	case "BETWEEN":
		b := p.advance()
		if not {
			p.emitTok(t, "NOT")
		}
		p.emitTok(b, "BETWEEN")
		p.valueExpr()
		p.emitTok(p.expectKw("AND"), "AND")
		p.valueExpr()
	case "IN":
		in := p.advance()
		if not {
			p.emitTok(t, "NOT")
		}
		p.emitTok(in, "IN")
		p.emitTok(p.expectOp("("), "(")
		for {
			p.boolExpr()
			c := p.peek(0)
			if p.err != nil || !p.acceptOp(",") {
				break
			}
			p.emitTok(c, ",")
		}
		p.emitTok(p.expectOp(")"), ")")
	case "LIKE":
		like := p.advance()
		p.x.wrap(start, item{kind: itLike, pos: first.pos, not: not})
		p.emitTok(like, ",")
		p.valueExpr()
		if esc := p.peek(0); p.acceptKw("ESCAPE") {
			s := p.peek(0)
			if s.kind != tString {
				p.mismatch("a string")
				return false
			}
			p.advance()
			if len([]rune(s.text)) != 1 {
				p.fail(s.pos, "Expected single character escape but got: %s", s.text)
			}
			p.emitTok(esc, ",")
			p.leaf(s, item{kind: itLit, pos: s.pos, lit: p.literal(s, false)})
		}
		p.x.emit(p.peek(0).pos, ")")
	case "IS":
		p.advance()
		isNot := p.acceptKw("NOT")
		switch {
		case p.isKw("NULL"):
			n := p.advance()
			is := "IS"
			if isNot {
				is = "IS NOT"
			}
			p.emitTok(t, is)
			p.emitTok(n, "NULL")
		case p.isKw("DISTINCT"):
			d := p.advance()
			p.expectKw("FROM")
			p.x.wrap(start, item{kind: itDistinct, pos: first.pos, not: isNot})
			p.emitTok(d, ",")
			p.valueExpr()
			p.x.emit(p.peek(0).pos, ")")
		default:
			p.mismatch("{'NULL', 'DISTINCT'}")
		}
	default:
		return primary
	}
	return false
}

// arithmetic maps KSQL's arithmetic and concatenation operators to MySQL's.
var arithmetic = map[string]string{
	"+": "+", "-": "-", "*": "*", "/": "/", "%": "%", "||": "|",
}

// valueExpr parses KSQL's valueExpression rule.
func (p *parser) valueExpr() bool {
	primary := p.valueTerm()
	for {
		t := p.peek(0)
		op, ok := arithmetic[t.text]
		if t.kind != tOp || !ok {
			return primary
		}
		p.advance()
		p.emitTok(t, op)
		p.valueTerm()
		primary = false
	}
}

// valueTerm parses a unary minus or plus, or a primary expression.
func (p *parser) valueTerm() bool {
	ok := p.enter()
	defer p.leave()
	if !ok {
		return false
	}
	t := p.peek(0)
	if t.kind == tOp && t.text == "-" && p.negativeLiteral() {
		return true
	}
	if t.kind == tOp && (t.text == "-" || t.text == "+") {
		p.advance()
		if t.text == "-" {
			p.x.pushPrefix(pNeg, t.pos)
		} else {
			p.x.pushPrefix(pPlus, t.pos)
		}
		p.emitTok(t, t.text)
		p.valueTerm()
		return false
	}
	p.primary()
	if at := p.peek(0); p.isKw("AT") {
		p.fail(at.pos, "AT TIME ZONE is not supported")
	}
	return true
}

// negativeLiteral handles a minus sign before a number where the sign
// matters to the number itself: a negative number out of range is an error
// that names the signed number, at the sign; and -9223372036854775808, the
// one negative BIGINT whose magnitude is not a BIGINT, becomes a literal
// (every other negative number is a unary minus applied to a literal). It
// reports whether it consumed the tokens.
func (p *parser) negativeLiteral() bool {
	minus, n := p.peek(0), p.peek(1)
	switch n.kind {
	case tInt:
		if _, err := strconv.ParseInt("-"+n.text, 10, 64); err != nil {
			p.fail(minus.pos, "Invalid numeric literal: -%s (too large for BIGINT)", n.text)
			return true
		}
		if _, err := strconv.ParseInt(n.text, 10, 64); err == nil {
			return false
		}
		p.advance()
		p.advance()
		lit := p.literal(n, true)
		lit.At = minus.pos
		p.leaf(minus, item{kind: itLit, pos: minus.pos, lit: lit})
		return true
	case tFloat:
		if f, err := strconv.ParseFloat(n.text, 64); err != nil && math.IsInf(f, 0) {
			p.fail(minus.pos, "Number overflows DOUBLE: -%s", n.text)
			return true
		}
	}
	return false
}

// primary parses a primary expression and its subscripts and dereferences.
// It stops before "->*", which only a select item may use.
func (p *parser) primary() {
	ok := p.enter()
	defer p.leave()
	if !ok {
		return
	}
	start := len(p.x.out)
	first := p.peek(0)
	p.primaryBase()
	for p.err == nil {
		switch t := p.peek(0); {
		case isOpTok(t, "["):
			p.advance()
			p.x.wrap(start, item{kind: itSub, pos: first.pos})
			p.emitTok(t, ",")
			p.valueExpr()
			p.emitTok(p.expectOp("]"), ")")
		case isOpTok(t, "->") && !p.isOpAt(1, "*"):
			p.advance()
			field := p.ident()
			p.x.wrap(start, item{kind: itDeref, pos: first.pos, name: field.Name})
			p.emitTok(t, ")")
		default:
			return
		}
	}
}

// primaryBase parses a primary expression without its postfix operators.
func (p *parser) primaryBase() {
	t := p.peek(0)
	switch t.kind {
	case tInt, tDecimal, tFloat, tString:
		p.advance()
		p.leaf(t, item{kind: itLit, pos: t.pos, lit: p.literal(t, false)})
		return
	case tOp:
		if t.text == "(" {
			if p.isKwAt(1, "SELECT") {
				p.fail(p.peek(1).pos, "subqueries are not supported")
				return
			}
			p.advance()
			p.x.pushPrefix(pParen, t.pos)
			p.emitTok(t, "(")
			p.boolExpr()
			p.emitTok(p.expectOp(")"), ")")
			return
		}
	case tWord:
		if t.fromVar {
			break
		}
		switch t.text {
		case "TRUE", "FALSE", "NULL":
			p.advance()
			p.leaf(t, item{kind: itLit, pos: t.pos, lit: p.literal(t, false)})
			return
		case "CASE":
			p.caseExpr()
			return
		case "CAST":
			p.castExpr()
			return
		case "ARRAY":
			if p.isOpAt(1, "[") {
				p.arrayCtor()
				return
			}
		case "MAP":
			if p.isOpAt(1, "(") {
				p.mapCtor()
				return
			}
		case "STRUCT":
			if p.isOpAt(1, "(") {
				p.structCtor()
				return
			}
		case "DECIMAL":
			if p.peek(1).kind == tString {
				p.typedLiteral()
				return
			}
		}
	}
	if !identOK(t) {
		p.expectExpr(t)
		return
	}
	switch n := p.peek(1); {
	case isOpTok(n, "("):
		p.funcCall()
	case isOpTok(n, "."):
		p.advance()
		p.advance()
		col := p.ident()
		p.leaf(t, item{kind: itCol, pos: t.pos, source: t.text, name: col.Name})
	case n.kind == tString:
		p.typedLiteral()
	default:
		p.advance()
		p.leaf(t, item{kind: itCol, pos: t.pos, name: t.text})
	}
}

// expectExpr fails at t, which cannot start an expression.
func (p *parser) expectExpr(t token) {
	if isKwTok(t, "SELECT") {
		p.fail(t.pos, "subqueries are not supported")
		return
	}
	p.fail(t.pos, "mismatched input %s expecting an expression%s", p.desc(t), reservedHint(t))
}

// typedLiteral parses "type 'text'". As in ksqlDB, only DECIMAL is a valid
// type here; unlike ksqlDB, the DECIMAL keyword itself may be written
// unquoted.
func (p *parser) typedLiteral() {
	t := p.advance()
	s := p.advance()
	if t.text != "DECIMAL" {
		p.fail(t.pos, "Unknown type: %s", t.text)
		return
	}
	d, err := types.ParseDec(strings.TrimSpace(s.text))
	if err != nil {
		p.fail(s.pos, "invalid DECIMAL literal: %s", quoteTok(s.text))
		return
	}
	lit := &ast.Literal{ExprBase: ast.ExprBase{At: t.pos}, Value: d, Type: decimalLiteralType(d)}
	p.leaf(t, item{kind: itLit, pos: t.pos, lit: lit})
}

// caseExpr parses simple and searched CASE.
func (p *parser) caseExpr() {
	c := p.advance()
	p.x.pushPrefix(pCase, c.pos)
	p.emitTok(c, "CASE")
	if !p.isKw("WHEN") {
		p.valueExpr()
		if !p.isKw("WHEN") {
			p.mismatch("'WHEN'")
			return
		}
	}
	for p.isKw("WHEN") {
		p.emitTok(p.advance(), "WHEN")
		p.boolExpr()
		p.emitTok(p.expectKw("THEN"), "THEN")
		p.boolExpr()
	}
	if p.isKw("ELSE") {
		p.emitTok(p.advance(), "ELSE")
		p.boolExpr()
	}
	p.emitTok(p.expectKw("END"), "END")
}

// castExpr parses CAST(e AS type).
func (p *parser) castExpr() {
	c := p.advance()
	p.expectOp("(")
	n := p.open(c, item{kind: itCast, pos: c.pos})
	p.boolExpr()
	p.expectKw("AS")
	p.x.items[n].typ = p.typ()
	p.emitTok(p.expectOp(")"), ")")
}

// arrayCtor parses ARRAY[e, ...].
func (p *parser) arrayCtor() {
	a := p.advance()
	p.advance() // [
	p.open(a, item{kind: itArray, pos: a.pos})
	if !p.isOp("]") {
		p.list(p.boolExprFn)
	}
	p.emitTok(p.expectOp("]"), ")")
}

// mapCtor parses MAP(k := v, ...).
func (p *parser) mapCtor() {
	m := p.advance()
	p.advance() // (
	p.open(m, item{kind: itMap, pos: m.pos})
	if !p.isOp(")") {
		p.list(func() {
			p.boolExpr()
			p.emitTok(p.expectOp(":="), ",")
			p.boolExpr()
		})
	}
	p.emitTok(p.expectOp(")"), ")")
}

// structCtor parses STRUCT(NAME := v, ...).
func (p *parser) structCtor() {
	s := p.advance()
	p.advance() // (
	n := p.open(s, item{kind: itStruct, pos: s.pos})
	if !p.isOp(")") {
		p.list(func() {
			name := p.ident()
			p.x.items[n].names = append(p.x.items[n].names, name.Name)
			p.expectOp(":=")
			p.boolExpr()
		})
	}
	p.emitTok(p.expectOp(")"), ")")
}

func (p *parser) boolExprFn() { p.boolExpr() }

// list parses elem (',' elem)*, writing the commas.
func (p *parser) list(elem func()) {
	for {
		elem()
		c := p.peek(0)
		if p.err != nil || !p.acceptOp(",") {
			return
		}
		p.emitTok(c, ",")
	}
}

// unitArgs are the time units that can be a bare function argument: the
// reserved unit keywords. DAY, HOUR, MINUTE and SECOND are not reserved, so
// there, as in ksqlDB, they are column names.
var unitArgs = wordSet("MILLISECOND MILLISECONDS SECONDS MINUTES HOURS DAYS")

// funcCall parses name '(' ['*' | args] ')'. Arguments are expressions or
// bare time units, optionally followed by lambdas.
func (p *parser) funcCall() {
	name := p.advance()
	p.advance() // (
	n := p.open(name, item{kind: itFunc, pos: name.pos, name: strings.ToUpper(name.text)})
	switch {
	case p.isOp("*") && p.isOpAt(1, ")"):
		p.advance()
		p.x.items[n].star = true
	case !p.isOp(")"):
		args, lambdas := 0, 0
		p.list(func() {
			t := p.peek(0)
			switch {
			case p.lambdaAhead():
				if args == 0 {
					p.fail(t.pos, "a lambda function must follow the other arguments of %s", p.x.items[n].name)
				}
				p.lambda()
				lambdas++
			case lambdas > 0:
				p.fail(t.pos, "mismatched input %s expecting a lambda function: lambdas must be the last arguments", p.desc(t))
			case t.kind == tWord && !t.fromVar && unitArgs[t.text] &&
				(p.isOpAt(1, ",") || p.isOpAt(1, ")")):
				p.advance()
				p.leaf(t, item{kind: itUnit, pos: t.pos, unit: timeUnits[t.text]})
				args++
			default:
				p.boolExpr()
				args++
			}
		})
	}
	p.emitTok(p.expectOp(")"), ")")
}

// lambdaAhead reports whether a lambda starts at the current token:
// "x =>" or "(x, y) =>".
func (p *parser) lambdaAhead() bool {
	if identOK(p.peek(0)) {
		return p.isOpAt(1, "=>")
	}
	if !p.isOp("(") {
		return false
	}
	for k := 1; ; k += 2 {
		if !identOK(p.peek(k)) {
			return false
		}
		if p.isOpAt(k+1, ")") {
			return p.isOpAt(k+2, "=>")
		}
		if !p.isOpAt(k+1, ",") {
			return false
		}
	}
}

// lambda parses "x => body" or "(x, y) => body".
func (p *parser) lambda() {
	first := p.peek(0)
	var params []string
	if p.acceptOp("(") {
		for {
			params = append(params, p.ident().Name)
			if p.err != nil || !p.acceptOp(",") {
				break
			}
		}
		p.expectOp(")")
	} else {
		params = append(params, p.ident().Name)
	}
	p.expectOp("=>")
	p.open(first, item{kind: itLambda, pos: first.pos, names: params})
	p.boolExpr()
	p.x.emit(p.peek(0).pos, ")")
}
