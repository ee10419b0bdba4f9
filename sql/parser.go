package sql

import (
	"fmt"
	"maps"
	"strconv"
	"strings"

	"github.com/ksqlgo/ksql/sql/ast"
	"github.com/ksqlgo/ksql/sql/types"
)

// Parse parses a text of zero or more statements, each terminated by ';'.
// A ${name} variable reference is an error unless an earlier DEFINE in the
// same text defines it. On failure it returns an ErrorList, which holds the
// errors of up to 10 statements: after an error the parser resumes at the
// next ';'.
//
// Each statement's Text() is its source from its first token through its
// ';', with ${name} references replaced by their values (so that it can be
// run again without the variables).
func Parse(text string) ([]ast.Statement, error) {
	return ParseWithTypes(text, nil, nil)
}

// ParseWithVariables substitutes ${name} variables before parsing: vars
// holds the session's DEFINE'd variables, and DEFINE/UNDEFINE statements in
// the text change them for the statements that follow. An undefined
// variable is an error.
func ParseWithVariables(text string, vars map[string]string) ([]ast.Statement, error) {
	return ParseWithTypes(text, vars, nil)
}

// ParseWithTypes is ParseWithVariables with custom types: lookupType
// resolves a type name (normalised: upper-cased unless quoted) registered
// with CREATE TYPE. A nil lookupType knows no custom types, so that a type
// name other than the built-in ones is the error "Unknown type: NAME".
// CREATE TYPE and DROP TYPE statements in the text take effect for the
// statements that follow them.
func ParseWithTypes(text string, vars map[string]string,
	lookupType func(name string) (*types.Type, bool)) ([]ast.Statement, error) {
	p := newParser(text)
	p.lex.vars = vars
	p.lookupType = lookupType
	return p.statements()
}

// ParseExpr parses one expression, with no terminating ';'.
func ParseExpr(text string) (ast.Expr, error) {
	p := newParser(text)
	var e ast.Expr
	p.exprInto(levelExpr, func(x ast.Expr) { e = x })
	p.expectEOF()
	p.convertExprs()
	if p.err != nil {
		return nil, ErrorList{p.err}
	}
	return e, nil
}

// ParseType parses a type such as "STRUCT<A INT, B ARRAY<MAP<STRING, DECIMAL(4,2)>>>".
// Only the built-in types are known.
func ParseType(text string) (*types.Type, error) {
	p := newParser(text)
	t := p.typ()
	p.expectEOF()
	if p.err != nil {
		return nil, ErrorList{p.err}
	}
	return t, nil
}

// maxErrors bounds the errors reported for one text.
const maxErrors = 10

// maxDepth bounds the nesting of expressions and types.
const maxDepth = 1000

// parser is a recursive-descent parser of KSQL statements. The first error
// is sticky: once err is set, every token looks like the end of the text,
// so that the parse unwinds without further errors.
type parser struct {
	src   string
	lex   *lexer
	buf   []token // tokens of the current statement lexed so far
	i     int     // index of the current token in buf
	err   *Error
	depth int

	lookupType func(string) (*types.Type, bool)
	localTypes map[string]*types.Type // CREATE/DROP TYPE earlier in the text; nil value: dropped

	x *exprState // the current statement's expressions, converted at its end
}

func newParser(src string) *parser {
	return &parser{src: src, lex: newLexer(src), x: &exprState{}}
}

// statements parses the whole text. After an error it skips to the next
// ';' and goes on, so that one call reports the errors of several
// statements.
func (p *parser) statements() ([]ast.Statement, error) {
	var stmts []ast.Statement
	var errs ErrorList
	for {
		p.x.reset()
		for p.isOp(";") { // empty statements
			p.advance()
		}
		first := p.peek(0)
		if first.kind == tEOF && p.err == nil {
			break
		}
		st := p.statement()
		semiOK := false
		var semi token
		if p.err == nil {
			semi = p.expectOp(";")
			semiOK = p.err == nil
		}
		if p.err == nil {
			p.convertExprs()
		}
		if p.err == nil {
			p.setSource(st, first, semi)
			stmts = append(stmts, st)
			p.effects(st)
			p.restartAfter(semi)
			continue
		}
		errs = append(errs, p.err)
		if len(errs) >= maxErrors || !p.skipStatement(semiOK, semi) {
			break
		}
	}
	if len(errs) > 0 {
		errs.RemoveMultiples()
		return nil, errs
	}
	return stmts, nil
}

// restartAfter drops the lookahead and lexes again from just after semi,
// so that a DEFINE or CREATE TYPE applies to the next statement.
func (p *parser) restartAfter(semi token) {
	next := semi.pos
	next.Offset++
	next.Col++
	p.buf, p.i = p.buf[:0], 0
	p.lex.reset(next)
}

// skipStatement clears the error and skips past the next ';'. It reports
// false when nothing is left to parse.
func (p *parser) skipStatement(semiDone bool, semi token) bool {
	p.err = nil
	if semiDone {
		p.restartAfter(semi)
		return true
	}
	if len(p.buf) == 0 {
		return false
	}
	at := p.buf[min(p.i, len(p.buf)-1)].pos
	p.buf, p.i = p.buf[:0], 0
	p.lex.reset(at)
	for {
		t := p.lex.next()
		switch {
		case t.kind == tEOF:
			return false
		case t.kind == tOp && t.text == ";":
			p.restartAfter(t)
			return true
		}
	}
}

// setSource records the text of the statement, and of an EXPLAIN's inner
// statement, with variables substituted.
func (p *parser) setSource(st ast.Statement, first, semi token) {
	base := stmtBase(st)
	base.Source = p.lex.substitute(first.pos.Offset, semi.end)
	if ex, ok := st.(*ast.Explain); ok && ex.Statement != nil {
		inner := ex.Statement
		p.setSource(inner, token{pos: inner.Position()}, semi)
	}
}

// effects applies what a statement changes for the statements after it.
func (p *parser) effects(st ast.Statement) {
	switch s := st.(type) {
	case *ast.Define:
		vars := maps.Clone(p.lex.vars)
		if vars == nil {
			vars = map[string]string{}
		}
		vars[s.Name] = s.Value
		p.lex.vars = vars
	case *ast.Undefine:
		vars := maps.Clone(p.lex.vars)
		for k := range vars {
			if strings.EqualFold(k, s.Name) {
				delete(vars, k)
			}
		}
		p.lex.vars = vars
	case *ast.CreateType:
		if p.localTypes == nil {
			p.localTypes = map[string]*types.Type{}
		}
		p.localTypes[s.Name.Name] = s.Type
	case *ast.DropType:
		if p.localTypes == nil {
			p.localTypes = map[string]*types.Type{}
		}
		p.localTypes[s.Name.Name] = nil
	}
}

func stmtBase(st ast.Statement) *ast.StmtBase {
	switch s := st.(type) {
	case *ast.CreateSource:
		return &s.StmtBase
	case *ast.CreateAsSelect:
		return &s.StmtBase
	case *ast.InsertInto:
		return &s.StmtBase
	case *ast.InsertValues:
		return &s.StmtBase
	case *ast.Query:
		return &s.StmtBase
	case *ast.Show:
		return &s.StmtBase
	case *ast.Describe:
		return &s.StmtBase
	case *ast.Drop:
		return &s.StmtBase
	case *ast.Terminate:
		return &s.StmtBase
	case *ast.SetProperty:
		return &s.StmtBase
	case *ast.UnsetProperty:
		return &s.StmtBase
	case *ast.Define:
		return &s.StmtBase
	case *ast.Undefine:
		return &s.StmtBase
	case *ast.Explain:
		return &s.StmtBase
	case *ast.Print:
		return &s.StmtBase
	case *ast.CreateType:
		return &s.StmtBase
	case *ast.DropType:
		return &s.StmtBase
	}
	panic(fmt.Sprintf("sql: statement type %T has no StmtBase", st))
}

// ---- tokens ----

// peek returns the token k places ahead of the current one, lexing as
// needed. After an error it returns an end-of-text token.
func (p *parser) peek(k int) token {
	if p.err != nil {
		return token{kind: tEOF, pos: p.err.Pos}
	}
	for len(p.buf) <= p.i+k {
		if n := len(p.buf); n > 0 && (p.buf[n-1].kind == tEOF || p.buf[n-1].kind == tIllegal) {
			return p.buf[n-1]
		}
		p.buf = append(p.buf, p.lex.next())
	}
	t := p.buf[p.i+k]
	if k == 0 && t.kind == tIllegal {
		p.fail(t.pos, "%s", t.text)
		return token{kind: tEOF, pos: t.pos}
	}
	return t
}

// advance consumes the current token and returns it.
func (p *parser) advance() token {
	t := p.peek(0)
	if t.kind != tEOF {
		p.i++
	}
	return t
}

// fail records the first error.
func (p *parser) fail(pos ast.Pos, format string, args ...any) {
	if p.err == nil {
		p.err = newError(p.src, pos, fmt.Sprintf(format, args...))
	}
}

// failLocated records a semantic error ksqlDB reports with its location
// (Error.Located).
func (p *parser) failLocated(pos ast.Pos, format string, args ...any) {
	if p.err == nil {
		e := newError(p.src, pos, fmt.Sprintf(format, args...))
		e.Located = true
		p.err = e
	}
}

// desc renders a token for a message: its text as written, quoted, or <EOF>.
func (p *parser) desc(t token) string {
	if t.kind == tEOF || t.end < t.pos.Offset || t.end > len(p.src) {
		return "'<EOF>'"
	}
	return quoteTok(p.src[t.pos.Offset:t.end])
}

func isKwTok(t token, kw string) bool { return t.kind == tWord && !t.fromVar && t.text == kw }

func (p *parser) isKw(kw string) bool          { return isKwTok(p.peek(0), kw) }
func (p *parser) isKwAt(k int, kw string) bool { return isKwTok(p.peek(k), kw) }

func isOpTok(t token, op string) bool { return t.kind == tOp && t.text == op }

func (p *parser) isOp(op string) bool          { return isOpTok(p.peek(0), op) }
func (p *parser) isOpAt(k int, op string) bool { return isOpTok(p.peek(k), op) }

func (p *parser) acceptKw(kw string) bool {
	if p.isKw(kw) {
		p.advance()
		return true
	}
	return false
}

func (p *parser) acceptOp(op string) bool {
	if p.isOp(op) {
		p.advance()
		return true
	}
	return false
}

// expectKw consumes the keyword kw or fails.
func (p *parser) expectKw(kw string) token {
	if p.isKw(kw) {
		return p.advance()
	}
	p.mismatch("'" + kw + "'")
	return p.peek(0)
}

// expectOp consumes the operator op or fails, with ANTLR's wording: an
// unexpected token just before op is "extraneous"; a missing closing
// bracket is "missing".
func (p *parser) expectOp(op string) token {
	if p.isOp(op) {
		return p.advance()
	}
	t := p.peek(0)
	switch {
	case t.kind != tEOF && p.isOpAt(1, op):
		p.fail(t.pos, "extraneous input %s expecting '%s'", p.desc(t), op)
	case op == ")" || op == "]" || op == ">":
		p.fail(t.pos, "missing '%s' at %s", op, p.desc(t))
	default:
		p.mismatch("'" + op + "'")
	}
	return t
}

// expectEOF fails unless the whole text has been consumed.
func (p *parser) expectEOF() {
	if t := p.peek(0); t.kind != tEOF {
		p.fail(t.pos, "extraneous input %s expecting <EOF>", p.desc(t))
	}
}

// mismatch fails at the current token, which is not what was wanted.
func (p *parser) mismatch(want string) {
	t := p.peek(0)
	p.fail(t.pos, "mismatched input %s expecting %s", p.desc(t), want)
}

// identOK reports whether t can be an identifier: an unquoted word that is
// not reserved, a quoted identifier, or an identifier starting with a digit.
func identOK(t token) bool {
	switch t.kind {
	case tWord:
		return t.fromVar || !isReserved(t.text)
	case tQuoted, tDigitWord:
		return true
	}
	return false
}

// ident consumes an identifier and returns its normalised name.
func (p *parser) ident() ast.Ident {
	t := p.peek(0)
	if identOK(t) {
		p.advance()
		return ast.Ident{Name: t.text, At: t.pos}
	}
	p.expectIdent(t)
	return ast.Ident{At: t.pos}
}

// expectIdent fails at t, which is not an identifier.
func (p *parser) expectIdent(t token) {
	p.fail(t.pos, "mismatched input %s expecting an identifier%s", p.desc(t), reservedHint(t))
}

// structural are reserved words that are plainly part of the syntax around
// them; naming one where a name is expected is rarely an attempt to use it
// as a name.
var structural = wordSet(`SELECT FROM WHERE GROUP BY HAVING LIMIT AS ON JOIN INNER LEFT RIGHT
	FULL OUTER WITH AND OR NOT IS IN LIKE BETWEEN CASE WHEN THEN ELSE END CAST CREATE INSERT
	INTO VALUES DROP NULL TRUE FALSE WITHIN WINDOW EXISTS DISTINCT ALL AT`)

// reservedHint explains that a reserved word can be quoted to be a name.
func reservedHint(t token) string {
	if t.kind != tWord || t.fromVar || !isReserved(t.text) || structural[t.text] {
		return ""
	}
	return fmt.Sprintf(" (%s is a reserved keyword: quote it, as in `%s`, to use it as a name)", t.text, t.text)
}

// integer parses KSQL's number rule where an integer is required:
// an optional minus sign and digits.
func (p *parser) integer(what string) (int64, ast.Pos) {
	start := p.peek(0)
	neg := false
	if p.isOp("-") && isNumberKind(p.peek(1).kind) {
		p.advance()
		neg = true
	}
	t := p.peek(0)
	switch t.kind {
	case tInt:
		p.advance()
		text := t.text
		if neg {
			text = "-" + text
		}
		v, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			p.fail(t.pos, "invalid %s: %s is out of range", what, text)
		}
		return v, start.pos
	case tDecimal, tFloat:
		p.fail(t.pos, "invalid %s: %s is not an integer", what, p.src[t.pos.Offset:t.end])
	default:
		p.mismatch("an integer")
	}
	return 0, start.pos
}

// ---- statements ----

// statementStarts are the keywords that begin a statement.
var statementStarts = wordSet(`SELECT CREATE INSERT SHOW LIST DESCRIBE DROP TERMINATE SET UNSET
	DEFINE UNDEFINE EXPLAIN PRINT PAUSE RESUME ALTER ASSERT RUN`)

// statement parses one statement, without its ';'.
func (p *parser) statement() ast.Statement {
	t := p.peek(0)
	base := ast.StmtBase{At: t.pos}
	if t.kind != tWord || t.fromVar || !statementStarts[t.text] {
		if t.kind != tEOF {
			p.fail(t.pos, "mismatched input %s expecting a statement (SELECT, CREATE, INSERT, "+
				"DROP, SHOW, LIST, DESCRIBE, EXPLAIN, PRINT, TERMINATE, SET, UNSET, DEFINE or UNDEFINE)", p.desc(t))
		}
		return &ast.Query{StmtBase: base}
	}
	switch t.text {
	case "SELECT":
		return &ast.Query{StmtBase: base, Select: p.query()}
	case "CREATE":
		return p.create(base)
	case "INSERT":
		return p.insert(base)
	case "SHOW", "LIST":
		return p.show(base)
	case "DESCRIBE":
		return p.describe(base)
	case "DROP":
		return p.drop(base)
	case "TERMINATE":
		p.advance()
		if p.acceptKw("ALL") {
			return &ast.Terminate{StmtBase: base, All: true}
		}
		return &ast.Terminate{StmtBase: base, QueryID: p.ident()}
	case "SET":
		p.advance()
		name := p.stringLit()
		p.expectOp("=")
		return &ast.SetProperty{StmtBase: base, Name: name, Value: p.stringLit()}
	case "UNSET":
		p.advance()
		return &ast.UnsetProperty{StmtBase: base, Name: p.stringLit()}
	case "DEFINE":
		p.advance()
		name := p.variableName()
		p.expectOp("=")
		return &ast.Define{StmtBase: base, Name: name, Value: p.stringLit()}
	case "UNDEFINE":
		p.advance()
		return &ast.Undefine{StmtBase: base, Name: p.variableName()}
	case "EXPLAIN":
		p.advance()
		n := p.peek(0)
		if n.kind == tWord && !n.fromVar && statementStarts[n.text] && !p.isOpAt(1, ";") {
			return &ast.Explain{StmtBase: base, Statement: p.statement()}
		}
		return &ast.Explain{StmtBase: base, QueryID: p.ident()}
	case "PRINT":
		return p.print(base)
	case "PAUSE", "RESUME":
		p.fail(t.pos, "%s is not supported", t.text)
	case "ALTER":
		if n := p.peek(1); n.kind == tWord && (n.text == "STREAM" || n.text == "TABLE" || n.text == "SYSTEM") {
			p.fail(t.pos, "ALTER %s is not supported", n.text)
		} else {
			p.fail(t.pos, "ALTER is not supported")
		}
	case "ASSERT":
		p.fail(t.pos, "ASSERT statements are not supported")
	case "RUN":
		p.fail(t.pos, "RUN SCRIPT is not supported: it is a CLI command, not a statement")
	}
	return &ast.Query{StmtBase: base}
}

// stringLit consumes a string literal and returns its value.
func (p *parser) stringLit() string {
	t := p.peek(0)
	if t.kind != tString {
		p.mismatch("a string")
		return ""
	}
	p.advance()
	return t.text
}

// variableName consumes a DEFINE/UNDEFINE name: a plain identifier,
// returned as written.
func (p *parser) variableName() string {
	t := p.peek(0)
	if t.kind != tWord || t.fromVar || keywords[t.text] {
		hint := ""
		if t.kind == tWord && keywords[t.text] {
			hint = fmt.Sprintf(" (%s is a keyword)", t.text)
		}
		p.fail(t.pos, "mismatched input %s expecting a variable name%s", p.desc(t), hint)
		return ""
	}
	p.advance()
	return t.orig
}

func (p *parser) sourceKind() ast.SourceKind {
	switch {
	case p.acceptKw("STREAM"):
		return ast.Stream
	case p.acceptKw("TABLE"):
		return ast.Table
	}
	p.mismatch("{'STREAM', 'TABLE'}")
	return ast.Stream
}

// ifNotExists consumes IF NOT EXISTS. IF is not reserved: followed by
// anything but NOT it is a name.
func (p *parser) ifNotExists() bool {
	if p.isKw("IF") && p.isKwAt(1, "NOT") {
		p.advance()
		p.advance()
		p.expectKw("EXISTS")
		return true
	}
	return false
}

// ifExists consumes IF EXISTS; followed by anything else, IF is a name.
func (p *parser) ifExists() bool {
	if p.isKw("IF") && p.isKwAt(1, "EXISTS") {
		p.advance()
		p.advance()
		return true
	}
	return false
}

// create parses the CREATE statements.
func (p *parser) create(base ast.StmtBase) ast.Statement {
	p.advance()
	orReplace := false
	if p.acceptKw("OR") {
		p.expectKw("REPLACE")
		orReplace = true
	}
	if !orReplace && p.isKw("TYPE") {
		p.advance()
		st := &ast.CreateType{StmtBase: base, IfNotExists: p.ifNotExists()}
		st.Name = p.ident()
		p.expectKw("AS")
		st.Type = p.typ()
		return st
	}
	if (p.isKw("SOURCE") || p.isKw("SINK")) && p.isKwAt(1, "CONNECTOR") {
		p.fail(base.At, "CREATE %s CONNECTOR is not supported", p.peek(0).text)
		return &ast.Query{StmtBase: base}
	}
	isSource := p.acceptKw("SOURCE")
	kind := p.sourceKind()
	ifNotExists := p.ifNotExists()
	name := p.ident()
	var elems []ast.TableElement
	if p.isOp("(") {
		elems = p.tableElements()
	}
	var props ast.Properties
	if p.acceptKw("WITH") {
		props = p.properties()
	}
	if as := p.peek(0); p.acceptKw("AS") {
		switch {
		case isSource:
			p.fail(as.pos, "CREATE SOURCE %s cannot have AS SELECT", kind)
		case elems != nil:
			p.fail(as.pos, "CREATE %s ... AS SELECT cannot declare columns", kind)
		}
		return &ast.CreateAsSelect{StmtBase: base, Kind: kind, OrReplace: orReplace,
			IfNotExists: ifNotExists, Name: name, Props: props, Query: p.query()}
	}
	for _, el := range elems {
		switch {
		case kind == ast.Table && el.Constraint == ast.KeyConstraint:
			p.failLocated(el.Name.At, "Column %s is a 'KEY' column: please use 'PRIMARY KEY' for tables.",
				backquote(el.Name.Name))
		case kind == ast.Stream && el.Constraint == ast.PrimaryKeyConstraint:
			p.failLocated(el.Name.At, "Column %s is a 'PRIMARY KEY' column: please use 'KEY' for streams.",
				backquote(el.Name.Name))
		}
	}
	return &ast.CreateSource{StmtBase: base, Kind: kind, OrReplace: orReplace, IsSource: isSource,
		IfNotExists: ifNotExists, Name: name, Elements: elems, Props: props}
}

// tableElements parses '(' name type [constraint] (',' ...)* ')'.
func (p *parser) tableElements() []ast.TableElement {
	p.expectOp("(")
	var elems []ast.TableElement
	for {
		el := ast.TableElement{Name: p.ident()}
		el.Type = p.typ()
		switch {
		case p.acceptKw("PRIMARY"):
			p.expectKw("KEY")
			el.Constraint = ast.PrimaryKeyConstraint
		case p.acceptKw("KEY"):
			el.Constraint = ast.KeyConstraint
		case p.acceptKw("HEADERS"):
			el.Constraint = ast.HeadersConstraint
		case p.acceptKw("HEADER"):
			p.expectOp("(")
			el.Constraint = ast.HeaderConstraint
			el.HeaderKey = p.stringLit()
			p.expectOp(")")
		}
		elems = append(elems, el)
		if p.err != nil || !p.acceptOp(",") {
			break
		}
	}
	p.expectOp(")")
	return elems
}

// properties parses '(' name '=' literal (',' ...)* ')'. Names are
// upper-cased: property names are case-insensitive.
func (p *parser) properties() ast.Properties {
	p.expectOp("(")
	var props ast.Properties
	for {
		t := p.peek(0)
		var name string
		if t.kind == tString {
			p.advance()
			name = t.text
		} else {
			name = p.ident().Name
		}
		name = strings.ToUpper(name)
		if _, dup := props.Get(name); dup {
			p.fail(t.pos, "duplicate property: %s", name)
		}
		p.expectOp("=")
		props = append(props, ast.Property{Name: name, At: t.pos, Value: p.propertyValue()})
		if p.err != nil || !p.acceptOp(",") {
			break
		}
	}
	p.expectOp(")")
	return props
}

// propertyValue parses KSQL's literal rule: NULL, a number with an optional
// minus sign, TRUE/FALSE or a string.
func (p *parser) propertyValue() *ast.Literal {
	start := p.peek(0)
	neg := false
	if p.isOp("-") && isNumberKind(p.peek(1).kind) {
		p.advance()
		neg = true
	}
	t := p.peek(0)
	if t.kind == tString || isNumberKind(t.kind) ||
		isKwTok(t, "TRUE") || isKwTok(t, "FALSE") || isKwTok(t, "NULL") {
		p.advance()
		lit := p.literal(t, neg)
		lit.At = start.pos
		return lit
	}
	p.mismatch("a literal")
	return &ast.Literal{ExprBase: ast.ExprBase{At: t.pos}, Type: types.NullType}
}

// insert parses INSERT INTO ... SELECT and INSERT INTO ... VALUES.
func (p *parser) insert(base ast.StmtBase) ast.Statement {
	p.advance()
	p.expectKw("INTO")
	target := p.ident()
	switch {
	case p.acceptKw("WITH"):
		props := p.properties()
		return &ast.InsertInto{StmtBase: base, Target: target, Props: props, Query: p.query()}
	case p.isKw("SELECT"):
		return &ast.InsertInto{StmtBase: base, Target: target, Query: p.query()}
	}
	st := &ast.InsertValues{StmtBase: base, Target: target}
	if p.acceptOp("(") {
		for {
			st.Columns = append(st.Columns, p.ident())
			if p.err != nil || !p.acceptOp(",") {
				break
			}
		}
		p.expectOp(")")
	} else if !p.isKw("VALUES") {
		p.mismatch("{'(', 'VALUES', 'WITH', 'SELECT'}")
		return st
	}
	p.expectKw("VALUES")
	p.expectOp("(")
	if !p.isOp(")") {
		for {
			st.Values = append(st.Values, nil)
			i := len(st.Values) - 1
			p.exprInto(levelValue, func(e ast.Expr) { st.Values[i] = e })
			if p.err != nil || !p.acceptOp(",") {
				break
			}
		}
	}
	p.expectOp(")")
	return st
}

// show parses SHOW|LIST ....
func (p *parser) show(base ast.StmtBase) ast.Statement {
	p.advance()
	st := &ast.Show{StmtBase: base}
	extended := false
	t := p.peek(0)
	switch {
	case p.acceptKw("PROPERTIES"):
		st.What = ast.ShowProperties
	case p.acceptKw("ALL"):
		p.expectKw("TOPICS")
		st.What, extended = ast.ShowAllTopics, true
	case p.acceptKw("TOPICS"):
		st.What, extended = ast.ShowTopics, true
	case p.acceptKw("STREAMS"):
		st.What, extended = ast.ShowStreams, true
	case p.acceptKw("TABLES"):
		st.What, extended = ast.ShowTables, true
	case p.acceptKw("QUERIES"):
		st.What, extended = ast.ShowQueries, true
	case p.acceptKw("FUNCTIONS"):
		st.What = ast.ShowFunctions
	case p.acceptKw("TYPES"):
		st.What = ast.ShowTypes
	case p.acceptKw("VARIABLES"):
		st.What = ast.ShowVariables
	case p.isKw("CONNECTOR") && p.isKwAt(1, "PLUGINS"):
		p.fail(t.pos, "SHOW CONNECTOR PLUGINS is not supported")
	case p.acceptKw("CONNECTORS"):
		st.What = ast.ShowConnectors
	case (p.isKw("SOURCE") || p.isKw("SINK")) && p.isKwAt(1, "CONNECTORS"):
		p.advance()
		p.advance()
		st.What = ast.ShowConnectors
	default:
		p.mismatch("{'STREAMS', 'TABLES', 'QUERIES', 'TOPICS', 'ALL', 'PROPERTIES', " +
			"'FUNCTIONS', 'TYPES', 'VARIABLES', 'CONNECTORS'}")
	}
	if extended && p.acceptKw("EXTENDED") {
		st.Extended = true
	}
	return st
}

// describe parses the DESCRIBE statements.
func (p *parser) describe(base ast.StmtBase) ast.Statement {
	p.advance()
	st := &ast.Describe{StmtBase: base}
	t := p.peek(0)
	switch {
	case p.acceptKw("STREAMS"):
		st.AllStreams = true
	case isKwTok(t, "FUNCTION") && identOK(p.peek(1)):
		p.advance()
		st.Function = true
		st.Name = p.ident()
		return st
	case p.isKw("CONNECTOR"):
		p.fail(t.pos, "DESCRIBE CONNECTOR is not supported")
		return st
	case isKwTok(t, "TABLES"):
		// As in ksqlDB, an unquoted TABLES means all tables, while a quoted
		// "TABLES" is a source name.
		p.advance()
		st.AllTables = true
	default:
		st.Name = p.ident()
	}
	st.Extended = p.acceptKw("EXTENDED")
	return st
}

// drop parses DROP STREAM|TABLE|TYPE.
func (p *parser) drop(base ast.StmtBase) ast.Statement {
	p.advance()
	if p.acceptKw("TYPE") {
		st := &ast.DropType{StmtBase: base, IfExists: p.ifExists()}
		st.Name = p.ident()
		return st
	}
	if p.isKw("CONNECTOR") {
		p.fail(base.At, "DROP CONNECTOR is not supported")
		return &ast.Query{StmtBase: base}
	}
	st := &ast.Drop{StmtBase: base, Kind: p.sourceKind()}
	st.IfExists = p.ifExists()
	st.Name = p.ident()
	if p.acceptKw("DELETE") {
		p.expectKw("TOPIC")
		st.DeleteTopic = true
	}
	return st
}

// print parses PRINT topic [FROM BEGINNING] [INTERVAL|SAMPLE n] [LIMIT n].
// As in ksqlDB, an unquoted topic name keeps its case.
func (p *parser) print(base ast.StmtBase) ast.Statement {
	p.advance()
	st := &ast.Print{StmtBase: base}
	t := p.peek(0)
	switch {
	case t.kind == tString:
		p.advance()
		st.Topic = t.text
	case (t.kind == tWord || t.kind == tDigitWord) && identOK(t):
		p.advance()
		st.Topic = t.orig
	default:
		st.Topic = p.ident().Name
	}
	if p.acceptKw("FROM") {
		p.expectKw("BEGINNING")
		st.FromBeginning = true
	}
	if p.acceptKw("INTERVAL") || p.acceptKw("SAMPLE") {
		st.Interval, _ = p.integer("INTERVAL")
	}
	if p.acceptKw("LIMIT") {
		st.Limit, _ = p.integer("LIMIT")
	}
	return st
}

// backquote quotes a name as ksqlDB does in messages: `NAME`.
func backquote(name string) string {
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}
