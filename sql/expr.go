package sql

import (
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/ksqlgo/ksql/sql/ast"
	"github.com/ksqlgo/ksql/sql/types"
)

// This file finds the expressions of a statement and writes them as MySQL
// text for the TiDB parser (tidb.go), which parses them and whose tree is
// converted into the project's ast.
//
// The statement parser calls exprInto where an expression starts. One pass
// over the tokens then finds where the expression ends: it keeps the stack
// of open brackets and CASEs and whether an operand or an operator comes
// next, and stops at the first token that cannot continue the expression
// (the clause keyword, alias, ',' or ')' that follows it). On the way it
// checks the few rules of KSQL's grammar that MySQL's grammar does not
// share, so that an invalid expression fails at the user's token with
// ksqlDB's words, and TiDB only ever sees text whose meaning is the same in
// both languages:
//
//   - an operand cannot start with a reserved word, a clause keyword or an
//     operator ("mismatched input X expecting an expression");
//   - a predicated expression holds at most one predicate (comparison,
//     [NOT] BETWEEN, [NOT] IN, [NOT] LIKE, IS [NOT] NULL, IS [NOT]
//     DISTINCT FROM), where MySQL chains them ("a = b = c");
//   - NOT, AND, OR and predicates are not allowed where KSQL wants a value
//     expression (GROUP BY, PARTITION BY, VALUES, subscripts, a simple
//     CASE's operand, the operands of predicates);
//   - brackets and CASE ... END are closed.
//
// What the two languages write alike is copied: literals, + - * / %,
// comparisons, AND, OR, NOT, unary minus and plus, parentheses, function
// calls, CASE, [NOT] BETWEEN, [NOT] IN (...), [NOT] LIKE ... [ESCAPE ...],
// IS [NOT] NULL and CAST. Everything else is lowered here, in one place:
//
//   - identifiers become back-quoted names already normalised by KSQL's
//     rules (unquoted ones upper-cased), so that TiDB's keywords (KEY, DIV,
//     ORDER, ...), case rules and quoting cannot change them; function names
//     are upper-cased and back-quoted too, which also keeps TiDB's special
//     syntax for built-ins (TIMESTAMPADD, COUNT(*), TRIM, ...) out of play;
//   - || becomes MySQL's |, which has the precedence of KSQL's || relative
//     to the other operators (below + and -, above comparisons);
//   - IS [NOT] DISTINCT FROM becomes MySQL's <=>, whose precedence is that
//     of a comparison; the side table says which one was written;
//   - a LIKE pattern is parenthesised (MySQL's pattern is a simple
//     expression, KSQL's a value expression);
//   - the type of a CAST becomes CHAR, and the KSQL type (STRING, INT,
//     BIGINT, STRUCT<...>, ...) is kept in the side table;
//   - the KSQL-only constructs become calls of a generated function `#`:
//     base->FIELD, base[i], ARRAY[...], MAP(k := v), STRUCT(F := v) and
//     lambdas; a postfix construct wraps the primary expression before it;
//   - f(*), bare time units as function arguments, DECIMAL 'x' and the one
//     negative literal whose magnitude is not a BIGINT are written as
//     leaves (a name or 0) that the side table resolves.
//
// Every piece of text written for TiDB is a mark: its offset in the MySQL
// text, the user's position it stands for and, for lowered text, the side
// table entry. TiDB gives each node the offset of its first token, and the
// marks map that offset back to the user's text (tidb.go).

// exprLevel is the grammar rule at which an expression is parsed.
type exprLevel int

const (
	levelExpr  exprLevel = iota // expression: with AND, OR, NOT and predicates
	levelValue                  // valueExpression: arithmetic and concatenation only
)

// entryKind says what lowered text stands for.
type entryKind uint8

const (
	eLeaf     entryKind = iota // a literal, column or time unit built from the user's tokens
	eCall                      // a function call `NAME`(args)
	eSub                       // `#`(base, index): base[index]
	eDeref                     // `#`(base): base->name
	eArray                     // `#`(elems): ARRAY[elems]
	eMap                       // `#`(k1, v1, ...): MAP(k1 := v1, ...)
	eStruct                    // `#`(v1, ...): STRUCT(names[0] := v1, ...)
	eLambda                    // `#`(body): names => body
	eCast                      // CAST(x AS CHAR): CAST(x AS typ)
	eDistinct                  // <=>: IS [NOT] DISTINCT FROM
	eLike                      // the parenthesis opening a LIKE pattern
)

// entry is one row of the side table.
type entry struct {
	kind   entryKind
	node   ast.Expr     // eLeaf
	star   bool         // eCall: f(*)
	not    bool         // eDistinct: IS NOT DISTINCT FROM
	name   string       // eCall: the function; eDeref: the field
	names  []string     // eStruct: field names; eLambda: parameters
	typ    *types.Type  // eCast
	escape *ast.Literal // eLike
}

// mark maps text written for TiDB back to the user's text.
type mark struct {
	off  int     // offset in exprState.out
	pos  ast.Pos // the position of the user's text it stands for
	key  int     // index of its side table entry, or -1
	text string  // the user's token there, for messages
}

// pendingExpr is one top-level expression of a statement.
type pendingExpr struct {
	set   func(ast.Expr)
	start int     // offset of its text in exprState.out
	end   ast.Pos // position just after it in the user's text
}

// exprState collects the expressions of one statement: their MySQL text,
// one select field each, and the marks and side table that map it back.
type exprState struct {
	out     []byte
	marks   []mark
	entries []entry
	exprs   []pendingExpr
	frames  []frame // the lowering pass's stack, kept for the next expression
}

// reset empties the state for the next statement, keeping its buffers.
func (x *exprState) reset() {
	clear(x.entries)
	clear(x.exprs)
	x.out, x.marks, x.entries, x.exprs = x.out[:0], x.marks[:0], x.entries[:0], x.exprs[:0]
}

// emit appends text written for the user's text at pos.
func (x *exprState) emit(pos ast.Pos, key int, text, user string) {
	x.marks = append(x.marks, mark{off: len(x.out), pos: pos, key: key, text: user})
	x.out = append(x.out, text...)
	x.out = append(x.out, ' ')
}

// emitName appends a name, source.name when source is set, then suffix.
func (x *exprState) emitName(t token, key int, user, source, name, suffix string) {
	x.marks = append(x.marks, mark{off: len(x.out), pos: t.pos, key: key, text: user})
	if source != "" {
		x.out = append(appendName(x.out, source), '.')
	}
	x.out = append(appendName(x.out, name), suffix...)
	x.out = append(x.out, ' ')
}

// addEntry adds a side table entry and returns its index.
func (x *exprState) addEntry(e entry) int {
	x.entries = append(x.entries, e)
	return len(x.entries) - 1
}

// appendName appends a back-quoted MySQL identifier.
func appendName(b []byte, name string) []byte {
	b = append(b, '`')
	for i := 0; i < len(name); i++ {
		if name[i] == '`' {
			b = append(b, '`')
		}
		b = append(b, name[i])
	}
	return append(b, '`')
}

// wrap inserts "`#`(" before the text written since offset start, the
// primary expression that a postfix construct applies to. The new mark
// stands for pos, the primary's first token.
func (x *exprState) wrap(start int, pos ast.Pos, key int) {
	const call = "`#`( "
	j := sort.Search(len(x.marks), func(i int) bool { return x.marks[i].off >= start })
	m := mark{off: start, pos: pos, key: key}
	if j < len(x.marks) {
		m.text = x.marks[j].text
	}
	for k := j; k < len(x.marks); k++ {
		x.marks[k].off += len(call)
	}
	x.marks = append(x.marks, mark{})
	copy(x.marks[j+1:], x.marks[j:])
	x.marks[j] = m
	x.out = append(x.out, call...)
	copy(x.out[start+len(call):], x.out[start:len(x.out)-len(call)])
	copy(x.out[start:], call)
}

// frameKind is a kind of open bracket (or CASE) in an expression.
type frameKind uint8

const (
	fTop    frameKind = iota // the expression itself
	fParen                   // ( expression )
	fCall                    // f( arguments )
	fCast                    // CAST( expression AS type )
	fIn                      // x IN ( expressions )
	fArray                   // ARRAY[ expressions ]
	fMap                     // MAP( k := v, ... )
	fStruct                  // STRUCT( F := v, ... )
	fSub                     // base[ valueExpression ]
	fCase                    // CASE ... END
	fLike                    // x LIKE valueExpression: closed by the first token that cannot continue it
	fLambda                  // x => expression, up to the ',' or ')' of its call
)

// predState tracks the predicate of the current predicated expression.
type predState uint8

const (
	predNone    predState = iota // none yet: one may follow
	predDone                     // one was written: no other may follow
	predBetween                  // BETWEEN x: AND must follow
)

// caseState is the part of a CASE being read.
type caseState uint8

const (
	csStart   caseState = iota // after CASE: an operand or WHEN
	csOperand                  // the operand of a simple CASE
	csWhen                     // a WHEN condition
	csThen                     // a THEN result
	csElse                     // the ELSE result
)

// frame is one open bracket (or CASE) and the state of the expression
// inside it.
type frame struct {
	kind      frameKind
	value     bool // valueExpression: no predicate, AND, OR or NOT at this level
	pred      predState
	cs        caseState
	primStart int     // offset in out where the current primary expression starts
	primPos   ast.Pos // and the position of its first token
	entry     int     // fCast, fStruct, fLike, fLambda: its side table entry
	args      int     // fCall: arguments other than lambdas
	lambdas   int     // fCall: lambdas
	name      string  // fCall: the function's name
	mapKey    bool    // fMap: a key was read, ':=' must follow
	likeEntry int     // after a LIKE pattern (parent frame): its eLike entry, or -1
}

// lowering is the state of the pass over one expression.
type lowering struct {
	p       *parser
	stack   []frame
	operand bool // an operand must come next
	boolPos bool // the operand may be NOT (a boolean expression starts here)
	argPos  bool // the operand is a function argument: it may be a lambda or a time unit
	primary bool // the operand just read was a primary expression
	predEnd bool // the operand just read ended with a predicate (IN (...), IS NULL, LIKE): no arithmetic may follow
	prefix  int  // unary operators in a row
	topOps  int  // operators and prefixes written at the top level
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
	l := lowering{p: p, operand: true, boolPos: level == levelExpr}
	l.stack = append(x.frames[:0], frame{kind: fTop, value: level == levelValue, likeEntry: -1})
	l.run()
	x.frames = l.stack[:0]
	pe.end = p.peek(0).pos
	x.exprs = append(x.exprs, pe)
	return p.err == nil && l.topOps == 0
}

func (l *lowering) top() *frame { return &l.stack[len(l.stack)-1] }

// run lowers tokens until the expression ends or an error is found.
func (l *lowering) run() {
	p := l.p
	for p.err == nil {
		t := p.peek(0)
		if l.operand {
			l.predEnd = false
			l.operandTok(t)
		} else if !l.operatorTok(t) {
			return
		}
	}
}

// emitTok writes text for token t.
func (l *lowering) emitTok(t token, key int, text string) {
	l.p.x.emit(t.pos, key, text, l.p.tokText(t))
}

// tokText is the text of t as the user wrote it.
func (p *parser) tokText(t token) string {
	if t.kind == tEOF || t.end < t.pos.Offset || t.end > len(p.src) {
		return "<EOF>"
	}
	return p.src[t.pos.Offset:t.end]
}

// push opens a frame; the operand that follows starts an expression.
func (l *lowering) push(f frame) {
	if len(l.stack) >= maxDepth {
		l.p.fail(l.p.peek(0).pos, "expression or type is nested too deeply (more than %d levels)", maxDepth)
		return
	}
	f.likeEntry = -1
	l.stack = append(l.stack, f)
	l.operand, l.boolPos, l.prefix = true, !f.value, 0
}

// pop closes the current frame; what it held is an operand of its parent.
func (l *lowering) pop(primary bool) {
	k := l.top().kind
	l.stack = l.stack[:len(l.stack)-1]
	l.operand, l.primary = false, primary
	l.predEnd = k == fIn || k == fLike
}

// startPrimary records where a primary expression starts, for a postfix
// construct that may follow it.
func (l *lowering) startPrimary(t token) {
	f := l.top()
	f.primStart, f.primPos = len(l.p.x.out), t.pos
	l.prefix = 0
}

// leaf writes a complete operand: text for token t standing for node.
func (l *lowering) leaf(t token, node ast.Expr, text string) {
	l.startPrimary(t)
	key := l.p.x.addEntry(entry{kind: eLeaf, node: node})
	l.emitTok(t, key, text)
	l.operand, l.primary, l.predEnd = false, true, false
}

// operandTok reads the token where an operand must start.
func (l *lowering) operandTok(t token) {
	p := l.p
	f := l.top()
	if f.kind == fCase && f.cs == csStart {
		if isKwTok(t, "WHEN") {
			p.advance()
			l.emitTok(t, -1, "WHEN")
			f.cs, f.value, l.boolPos = csWhen, false, true
			return
		}
		f.cs, f.value, l.boolPos = csOperand, true, false
	}
	if l.argPos {
		l.argPos = false
		if l.argument(t) {
			return
		}
	}
	switch t.kind {
	case tInt, tDecimal, tFloat:
		p.advance()
		l.leaf(t, p.literal(t, false), numberText(t.text))
		return
	case tString:
		p.advance()
		l.startPrimary(t)
		x := p.x
		key := x.addEntry(entry{kind: eLeaf, node: p.literal(t, false)})
		x.marks = append(x.marks, mark{off: len(x.out), pos: t.pos, key: key, text: p.tokText(t)})
		x.out = append(appendQuoted(x.out, t.text), ' ')
		l.operand, l.primary = false, true
		return
	case tOp:
		switch t.text {
		case "(":
			if p.isKwAt(1, "SELECT") {
				p.fail(p.peek(1).pos, "subqueries are not supported")
				return
			}
			p.advance()
			l.startPrimary(t)
			l.emitTok(t, -1, "(")
			l.push(frame{kind: fParen})
			return
		case "-", "+":
			if t.text == "-" && l.negativeLiteral() {
				return
			}
			p.advance()
			l.emitTok(t, -1, t.text)
			l.unary()
			l.boolPos = false
			return
		}
	case tWord:
		if t.fromVar {
			break
		}
		switch t.text {
		case "TRUE", "FALSE", "NULL":
			p.advance()
			l.leaf(t, p.literal(t, false), t.text)
			return
		case "NOT":
			if !l.boolPos {
				break
			}
			p.advance()
			l.emitTok(t, -1, "NOT")
			l.unary()
			return
		case "CASE":
			p.advance()
			l.startPrimary(t)
			l.emitTok(t, -1, "CASE")
			l.push(frame{kind: fCase})
			return
		case "CAST":
			p.advance()
			p.expectOp("(")
			l.startPrimary(t)
			key := p.x.addEntry(entry{kind: eCast})
			l.emitTok(t, key, "CAST(")
			l.push(frame{kind: fCast, entry: key})
			return
		case "ARRAY":
			if p.isOpAt(1, "[") {
				l.construct(t, eArray, fArray)
				return
			}
		case "MAP":
			if p.isOpAt(1, "(") {
				l.construct(t, eMap, fMap)
				return
			}
		case "STRUCT":
			if p.isOpAt(1, "(") {
				l.construct(t, eStruct, fStruct)
				l.structField()
				return
			}
		case "DECIMAL":
			if p.peek(1).kind == tString {
				l.typedLiteral()
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
		l.call()
	case isOpTok(n, "."):
		p.advance()
		p.advance()
		col := p.ident()
		l.column(t, t.text, col.Name)
	case n.kind == tString:
		l.typedLiteral()
	default:
		p.advance()
		l.column(t, "", t.text)
	}
}

// column writes a column reference, source.name or name.
func (l *lowering) column(t token, source, name string) {
	l.startPrimary(t)
	x := l.p.x
	key := x.addEntry(entry{kind: eLeaf, node: &ast.ColumnRef{ExprBase: ast.ExprBase{At: t.pos}, Source: source, Name: name}})
	x.emitName(t, key, l.p.tokText(t), source, name, "")
	l.operand, l.primary, l.predEnd = false, true, false
}

// unary counts a prefix operator (NOT, unary minus or plus).
func (l *lowering) unary() {
	l.prefix++
	if len(l.stack) == 1 {
		l.topOps++
	}
	if len(l.stack)+l.prefix > maxDepth {
		l.p.fail(l.p.peek(0).pos, "expression or type is nested too deeply (more than %d levels)", maxDepth)
	}
}

// maxNumberText is the longest number written as TiDB reads it: the value
// comes from the side table anyway, and TiDB's decimal driver panics on
// some long numbers (more than nine words of nine digits, counting the
// integer and fraction parts apart).
const maxNumberText = 30

// numberText writes a number as MySQL text: a point with no digit after it
// gets a 0 ("1." is "1.0"), which TiDB's lexer would otherwise read
// together with the word that follows; a longer number than maxNumberText
// is written as 0.
func numberText(s string) string {
	if len(s) > maxNumberText {
		return "0"
	}
	if i := strings.IndexByte(s, '.'); i >= 0 && (i+1 == len(s) || !isDigit(s[i+1])) {
		return s[:i+1] + "0" + s[i+1:]
	}
	return s
}

// appendQuoted appends a string literal as MySQL text, where only a quote
// is escaped, by doubling it (NO_BACKSLASH_ESCAPES).
func appendQuoted(b []byte, s string) []byte {
	b = append(b, '\'')
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' {
			b = append(b, '\'')
		}
		b = append(b, s[i])
	}
	return append(b, '\'')
}

// construct opens ARRAY[, MAP( or STRUCT( as a generated call.
func (l *lowering) construct(t token, kind entryKind, fk frameKind) {
	p := l.p
	p.advance()
	p.advance() // [ or (
	l.startPrimary(t)
	key := p.x.addEntry(entry{kind: kind})
	l.emitTok(t, key, "`#`(")
	l.push(frame{kind: fk, entry: key, mapKey: fk == fMap})
	closer := ")"
	if fk == fArray {
		closer = "]"
	}
	if c := p.peek(0); isOpTok(c, closer) {
		p.advance()
		l.emitTok(c, -1, ")")
		l.pop(true)
	}
}

// structField reads "NAME :=" before a STRUCT field's value.
func (l *lowering) structField() {
	p := l.p
	f := l.top()
	if f.kind != fStruct || !l.operand {
		return // STRUCT() is already closed
	}
	name := p.ident()
	p.x.entries[f.entry].names = append(p.x.entries[f.entry].names, name.Name)
	p.expectOp(":=")
}

// typedLiteral reads "type 'text'". As in ksqlDB, only DECIMAL is a valid
// type here; unlike ksqlDB, the DECIMAL keyword itself may be written
// unquoted.
func (l *lowering) typedLiteral() {
	p := l.p
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
	l.leaf(t, lit, "0")
}

// negativeLiteral handles a minus sign before a number where the sign
// matters to the number itself: a negative number out of range is an error
// that names the signed number, at the sign; and -9223372036854775808, the
// one negative BIGINT whose magnitude is not a BIGINT, becomes a literal
// (every other negative number is a unary minus applied to a literal). It
// reports whether it consumed the tokens.
func (l *lowering) negativeLiteral() bool {
	p := l.p
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
		l.leaf(minus, lit, "0")
		return true
	case tFloat:
		if f, err := strconv.ParseFloat(n.text, 64); err != nil && math.IsInf(f, 0) {
			p.fail(minus.pos, "Number overflows DOUBLE: -%s", n.text)
			return true
		}
	}
	return false
}

// call reads "name(" and what needs no frame: f() and f(*).
func (l *lowering) call() {
	p := l.p
	name := p.advance()
	p.advance() // (
	l.startPrimary(name)
	upper := strings.ToUpper(name.text)
	key := p.x.addEntry(entry{kind: eCall, name: upper})
	p.x.emitName(name, key, p.tokText(name), "", upper, "(")
	switch {
	case p.isOp("*") && p.isOpAt(1, ")"):
		p.advance()
		p.x.entries[key].star = true
		fallthrough
	case p.isOp(")"):
		l.emitTok(p.advance(), -1, ")")
		l.operand, l.primary = false, true
	default:
		l.push(frame{kind: fCall, name: upper})
		l.argPos = true
	}
}

// unitArgs are the time units that can be a bare function argument: the
// reserved unit keywords. DAY, HOUR, MINUTE and SECOND are not reserved, so
// there, as in ksqlDB, they are column names.
var unitArgs = wordSet("MILLISECOND MILLISECONDS SECONDS MINUTES HOURS DAYS")

// argument reads what only a function argument can be: a lambda or a bare
// time unit. It reports whether it consumed t.
func (l *lowering) argument(t token) bool {
	p := l.p
	f := l.top()
	switch {
	case p.lambdaAhead():
		if f.args == 0 {
			p.fail(t.pos, "a lambda function must follow the other arguments of %s", f.name)
			return true
		}
		f.lambdas++
		l.lambda()
		return true
	case f.lambdas > 0:
		p.fail(t.pos, "mismatched input %s expecting a lambda function: lambdas must be the last arguments", p.desc(t))
		return true
	}
	f.args++
	if t.kind == tWord && !t.fromVar && unitArgs[t.text] && (p.isOpAt(1, ",") || p.isOpAt(1, ")")) {
		p.advance()
		l.leaf(t, &ast.IntervalUnit{ExprBase: ast.ExprBase{At: t.pos}, Unit: timeUnits[t.text]}, "`"+t.text+"`")
		return true
	}
	return false
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

// lambda reads "x =>" or "(x, y) =>" and opens the body.
func (l *lowering) lambda() {
	p := l.p
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
	key := p.x.addEntry(entry{kind: eLambda, names: params})
	l.emitTok(first, key, "`#`(")
	l.push(frame{kind: fLambda, entry: key})
}

// arithmetic maps KSQL's arithmetic and concatenation operators to MySQL's.
var arithmetic = map[string]string{
	"+": "+", "-": "-", "*": "*", "/": "/", "%": "%", "||": "|",
}

// comparisons maps KSQL's comparison operators to MySQL's.
var comparisons = map[string]string{
	"=": "=", "<>": "<>", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">=",
}

// operatorTok reads the token after a complete operand. It reports false
// when the expression ends before t.
func (l *lowering) operatorTok(t token) bool {
	p := l.p
	f := l.top()
	if f.kind == fCall && f.lambdas > 0 {
		// A lambda was the last argument read: only ',' or ')' may follow.
		return l.closer(t)
	}
	like := f.likeEntry
	f.likeEntry = -1
	switch {
	case isKwTok(t, "AT") && l.primary:
		p.fail(t.pos, "AT TIME ZONE is not supported")
		return false
	case isOpTok(t, "[") && l.primary:
		p.advance()
		p.x.wrap(f.primStart, f.primPos, p.x.addEntry(entry{kind: eSub}))
		l.emitTok(t, -1, ",")
		l.push(frame{kind: fSub, value: true})
		return true
	case isOpTok(t, "->") && !p.isOpAt(1, "*") && l.primary:
		p.advance()
		field := p.ident()
		p.x.wrap(f.primStart, f.primPos, p.x.addEntry(entry{kind: eDeref, name: field.Name}))
		l.emitTok(t, -1, ")")
		l.primary = true
		return true
	}
	if t.kind == tOp && !l.predEnd {
		if op, ok := arithmetic[t.text]; ok {
			p.advance()
			l.emitTok(t, -1, op)
			l.operand, l.boolPos = true, false
			if len(l.stack) == 1 {
				l.topOps++
			}
			return true
		}
	}
	if f.kind == fLike {
		// The pattern ends here: close its parenthesis and read t again.
		p.x.emit(t.pos, -1, ")", p.tokText(t))
		l.pop(false)
		l.top().likeEntry = f.entry
		return true
	}
	if like >= 0 && isKwTok(t, "ESCAPE") {
		return l.escape(like)
	}
	if !f.value {
		if done, ok := l.predicate(t); done {
			return ok
		}
	}
	l.primary = false
	return l.closer(t)
}

// predicate reads what follows an operand in a boolean expression:
// AND, OR and predicates. It reports whether it handled t, and if so
// whether the expression goes on.
func (l *lowering) predicate(t token) (handled, goOn bool) {
	p := l.p
	f := l.top()
	top := len(l.stack) == 1
	if f.pred == predBetween {
		if !isKwTok(t, "AND") {
			p.mismatch("'AND'")
			return true, false
		}
		p.advance()
		l.emitTok(t, -1, "AND")
		f.pred = predDone
		l.operand, l.boolPos = true, false
		return true, true
	}
	if isKwTok(t, "AND") || isKwTok(t, "OR") {
		p.advance()
		l.emitTok(t, -1, t.text)
		f.pred = predNone
		l.operand, l.boolPos = true, true
		if top {
			l.topOps++
		}
		return true, true
	}
	if f.pred != predNone {
		return false, false
	}
	if t.kind == tOp {
		op, ok := comparisons[t.text]
		if !ok {
			return false, false
		}
		p.advance()
		l.emitTok(t, -1, op)
		f.pred = predDone
		l.operand, l.boolPos = true, false
		if top {
			l.topOps++
		}
		return true, true
	}
	if t.kind != tWord || t.fromVar {
		return false, false
	}
	kw, not := t.text, ""
	if kw == "NOT" {
		n := p.peek(1)
		if !isKwTok(n, "BETWEEN") && !isKwTok(n, "IN") && !isKwTok(n, "LIKE") {
			return false, false
		}
		kw, not = n.text, "NOT "
	}
	switch kw {
	case "BETWEEN":
		p.advance()
		if not != "" {
			p.advance()
		}
		l.emitTok(t, -1, not+"BETWEEN")
		f.pred = predBetween
		l.operand, l.boolPos = true, false
	case "IN":
		p.advance()
		if not != "" {
			p.advance()
		}
		open := p.expectOp("(")
		if p.err != nil {
			return true, false
		}
		l.emitTok(t, -1, not+"IN")
		l.emitTok(open, -1, "(")
		f.pred = predDone
		l.push(frame{kind: fIn})
	case "LIKE":
		p.advance()
		if not != "" {
			p.advance()
		}
		l.emitTok(t, -1, not+"LIKE")
		f.pred = predDone
		key := p.x.addEntry(entry{kind: eLike})
		next := p.peek(0)
		p.x.emit(next.pos, key, "(", p.tokText(next))
		l.push(frame{kind: fLike, value: true, entry: key})
	case "IS":
		p.advance()
		isNot := p.acceptKw("NOT")
		switch {
		case p.isKw("NULL"):
			p.advance()
			text := "IS NULL"
			if isNot {
				text = "IS NOT NULL"
			}
			l.emitTok(t, -1, text)
			f.pred = predDone
			l.primary, l.predEnd = false, true
		case p.isKw("DISTINCT"):
			p.advance()
			p.expectKw("FROM")
			l.emitTok(t, p.x.addEntry(entry{kind: eDistinct, not: isNot}), "<=>")
			f.pred = predDone
			l.operand, l.boolPos = true, false
		default:
			p.mismatch("{'NULL', 'DISTINCT'}")
			return true, false
		}
	default:
		return false, false
	}
	if top {
		l.topOps++
	}
	return true, p.err == nil
}

// escape reads "ESCAPE 'c'" after a LIKE pattern. TiDB takes a one-byte
// escape only: a longer character is written as '\' for TiDB, and the
// side table holds the literal either way.
func (l *lowering) escape(like int) bool {
	p := l.p
	esc := p.advance()
	s := p.peek(0)
	if s.kind != tString {
		p.mismatch("a string")
		return false
	}
	p.advance()
	if len([]rune(s.text)) != 1 {
		p.fail(s.pos, "Expected single character escape but got: %s", s.text)
		return false
	}
	p.x.entries[like].escape = p.literal(s, false)
	text := s.text
	if len(text) != 1 {
		text = `\`
	}
	l.emitTok(esc, -1, "ESCAPE")
	l.emitTok(s, -1, string(appendQuoted(nil, text)))
	l.primary, l.predEnd = false, true
	return true
}

// closer reads t in the current frame after a complete operand, where it
// can only be a separator or the frame's end. At the top level the
// expression ends before t; elsewhere anything else is an error worded as
// ksqlDB words it.
func (l *lowering) closer(t token) bool {
	p := l.p
	f := l.top()
	switch f.kind {
	case fTop:
		return false
	case fLambda:
		// The body ends here: close it and read t again in the call.
		p.x.emit(t.pos, -1, ")", p.tokText(t))
		l.pop(false)
		return true
	case fParen, fCall, fIn, fArray, fSub, fMap, fStruct:
		end := ")"
		if f.kind == fArray || f.kind == fSub {
			end = "]"
		}
		switch {
		case f.kind == fMap && f.mapKey:
			if !isOpTok(t, ":=") {
				p.expectOp(":=")
				return false
			}
			f.mapKey = false
		case isOpTok(t, ",") && f.kind != fParen && f.kind != fSub:
			f.mapKey = f.kind == fMap
			l.argPos = f.kind == fCall
		case isOpTok(t, end):
			l.emitTok(p.advance(), -1, ")")
			l.pop(f.kind != fIn)
			return true
		default:
			p.expectOp(end)
			return false
		}
		// A separator: ',' between elements, or MAP's ':='.
		l.emitTok(p.advance(), -1, ",")
		l.operand, l.boolPos = true, true
		f.pred = predNone
		if f.kind == fStruct {
			l.structField()
		}
		return true
	case fCast:
		if !isKwTok(t, "AS") {
			p.expectKw("AS")
			return false
		}
		p.advance()
		typ := p.typ()
		p.x.entries[f.entry].typ = typ
		c := p.expectOp(")")
		if p.err != nil {
			return false
		}
		l.emitTok(t, -1, "AS CHAR")
		l.emitTok(c, -1, ")")
		l.pop(true)
		return true
	case fCase:
		return l.caseWord(t)
	}
	return false
}

// caseWord reads WHEN, THEN, ELSE or END after an operand inside CASE.
func (l *lowering) caseWord(t token) bool {
	p := l.p
	f := l.top()
	next := func(cs caseState) bool {
		l.emitTok(p.advance(), -1, t.text)
		f.cs, f.value, f.pred = cs, false, predNone
		l.operand, l.boolPos = true, true
		return true
	}
	switch f.cs {
	case csOperand:
		if isKwTok(t, "WHEN") {
			return next(csWhen)
		}
		p.mismatch("'WHEN'")
	case csWhen:
		if isKwTok(t, "THEN") {
			return next(csThen)
		}
		p.expectKw("THEN")
	case csThen, csElse:
		switch {
		case f.cs == csThen && isKwTok(t, "WHEN"):
			return next(csWhen)
		case f.cs == csThen && isKwTok(t, "ELSE"):
			return next(csElse)
		case isKwTok(t, "END"):
			l.emitTok(p.advance(), -1, "END")
			l.pop(true)
			return true
		}
		p.expectKw("END")
	}
	return false
}

// expectExpr fails at t, which cannot start an expression.
func (p *parser) expectExpr(t token) {
	if isKwTok(t, "SELECT") {
		p.fail(t.pos, "subqueries are not supported")
		return
	}
	p.fail(t.pos, "mismatched input %s expecting an expression%s", p.desc(t), reservedHint(t))
}
