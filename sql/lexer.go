package sql

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/ksqlgo/ksql/sql/ast"
)

// tokKind classifies a token.
type tokKind uint8

const (
	tEOF       tokKind = iota
	tWord              // unquoted identifier or keyword; text is upper-cased
	tQuoted            // "double-quoted" or `back-quoted` identifier; text keeps case
	tDigitWord         // identifier starting with a digit (DIGIT_IDENTIFIER); upper-cased
	tString            // 'string literal'; text is the decoded value
	tInt               // 123
	tDecimal           // 1.5, .5, 1.
	tFloat             // 1.5E3
	tOp                // operator or punctuation; text is the operator
	tIllegal           // a lexical error; text is the message
)

// token is one lexical token. Positions point into the text the user typed;
// a token produced by ${var} substitution spans the variable reference.
type token struct {
	kind    tokKind
	text    string
	pos     ast.Pos
	orig    string // tWord, tDigitWord: the word as written, before upper-casing
	end     int    // byte offset just past the token
	fromVar bool   // produced by variable substitution: never a keyword
}

// substitution records one ${var} reference and what replaced it, so that a
// statement's Source can be given with its variables substituted.
type substitution struct {
	start, end int
	repl       string
}

// lexer turns KSQL text into tokens on demand. It is lazy so that a DEFINE
// takes effect for the statements after it in the same text.
type lexer struct {
	src       string
	off       int
	line, col int
	vars      map[string]string // nil: no variables defined
	subs      []substitution
	pending   []token // tokens of a multi-token variable value
}

func newLexer(src string) *lexer {
	return &lexer{src: src, line: 1, col: 1}
}

func (l *lexer) pos() ast.Pos { return ast.Pos{Offset: l.off, Line: l.line, Col: l.col} }

// reset moves the lexer to p, dropping any substitutions recorded after it.
func (l *lexer) reset(p ast.Pos) {
	l.off, l.line, l.col = p.Offset, p.Line, p.Col
	l.pending = nil
	n := 0
	for _, s := range l.subs {
		if s.start < p.Offset {
			l.subs[n] = s
			n++
		}
	}
	l.subs = l.subs[:n]
}

// advance moves over n bytes, tracking lines and columns.
func (l *lexer) advance(n int) {
	for i := 0; i < n && l.off < len(l.src); i++ {
		if l.src[l.off] == '\n' {
			l.line++
			l.col = 1
		} else {
			l.col++
		}
		l.off++
	}
}

func (l *lexer) peekByte(k int) byte {
	if l.off+k < len(l.src) {
		return l.src[l.off+k]
	}
	return 0
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isIdentPart(c byte) bool {
	return isLetter(c) || isDigit(c) || c == '_' || c == '@'
}

// illegal returns an error token at p.
func (l *lexer) illegal(p ast.Pos, format string, args ...any) token {
	return token{kind: tIllegal, text: fmt.Sprintf(format, args...), pos: p, end: l.off}
}

// skipSpace skips white space and comments. An unterminated block comment
// is returned as an error token.
func (l *lexer) skipSpace() (token, bool) {
	for l.off < len(l.src) {
		c := l.src[l.off]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			l.advance(1)
		case c == '-' && l.peekByte(1) == '-':
			// "--" and "--@" directive comments run to the end of the line.
			end := strings.IndexByte(l.src[l.off:], '\n')
			if end < 0 {
				end = len(l.src) - l.off
			}
			l.advance(end)
		case c == '/' && l.peekByte(1) == '*':
			p := l.pos()
			end := strings.Index(l.src[l.off+2:], "*/")
			if end < 0 {
				l.advance(len(l.src) - l.off)
				return l.illegal(p, "unterminated comment"), false
			}
			l.advance(end + 4)
		default:
			return token{}, true
		}
	}
	return token{}, true
}

// next returns the next token; at the end of the text it returns tEOF
// forever.
func (l *lexer) next() token {
	if len(l.pending) > 0 {
		t := l.pending[0]
		l.pending = l.pending[1:]
		return t
	}
	if t, ok := l.skipSpace(); !ok {
		return t
	}
	p := l.pos()
	if l.off >= len(l.src) {
		return token{kind: tEOF, pos: p, end: l.off}
	}
	c := l.src[l.off]
	switch {
	case isLetter(c) || c == '_':
		n := 1
		for l.off+n < len(l.src) && isIdentPart(l.src[l.off+n]) {
			n++
		}
		orig := l.src[l.off : l.off+n]
		l.advance(n)
		return token{kind: tWord, text: strings.ToUpper(orig), orig: orig, pos: p, end: l.off}
	case isDigit(c) || c == '.' && isDigit(l.peekByte(1)):
		return l.number(p)
	case c == '\'':
		return l.stringLit(p)
	case c == '"' || c == '`':
		return l.quotedIdent(p, c)
	case c == '$' && l.peekByte(1) == '{':
		return l.variable(p)
	}
	for _, op := range operators {
		if strings.HasPrefix(l.src[l.off:], op) {
			l.advance(len(op))
			return token{kind: tOp, text: op, pos: p, end: l.off}
		}
	}
	r, size := utf8.DecodeRuneInString(l.src[l.off:])
	l.advance(size)
	if r == utf8.RuneError && size <= 1 {
		return l.illegal(p, "invalid UTF-8 byte 0x%02x", c)
	}
	return l.illegal(p, "unexpected character %s", quoteTok(string(r)))
}

// operators lists the operator tokens, longest first where one is a prefix
// of another.
var operators = []string{
	"||", "<>", "!=", "<=", ">=", "->", "=>", ":=",
	"+", "-", "*", "/", "%", "=", "<", ">", "(", ")", "[", "]", ",", ".", ";", ":",
}

// number scans INTEGER_VALUE, DECIMAL_VALUE, FLOATING_POINT_VALUE or
// DIGIT_IDENTIFIER, taking the longest match and preferring a number on a
// tie, as ANTLR does with ksqlDB's lexer rules.
func (l *lexer) number(p ast.Pos) token {
	s := l.src[l.off:]
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	kind := tInt
	if i < len(s) && s[i] == '.' {
		kind = tDecimal
		i++
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if j < len(s) && isDigit(s[j]) {
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			kind, i = tFloat, j
		}
	}
	// DIGIT_IDENTIFIER: DIGIT (LETTER | DIGIT | '_' | '@')+
	if isDigit(s[0]) {
		k := 1
		for k < len(s) && isIdentPart(s[k]) {
			k++
		}
		if k > i {
			l.advance(k)
			return token{kind: tDigitWord, text: strings.ToUpper(s[:k]), orig: s[:k], pos: p, end: l.off}
		}
	}
	l.advance(i)
	return token{kind: kind, text: s[:i], pos: p, end: l.off}
}

// stringLit scans '...' with ” as an escaped quote. Inside a string,
// ${name} is replaced by the variable's value and $${ stands for ${.
func (l *lexer) stringLit(p ast.Pos) token {
	var b strings.Builder
	l.advance(1)
	for {
		if l.off >= len(l.src) {
			return l.illegal(p, "unterminated string literal")
		}
		c := l.src[l.off]
		switch {
		case c == '\'':
			if l.peekByte(1) == '\'' {
				b.WriteByte('\'')
				l.advance(2)
				continue
			}
			l.advance(1)
			return token{kind: tString, text: b.String(), pos: p, end: l.off}
		case c == '$' && l.peekByte(1) == '$' && l.peekByte(2) == '{':
			l.subs = append(l.subs, substitution{start: l.off, end: l.off + 3, repl: "${"})
			b.WriteString("${")
			l.advance(3)
		case c == '$' && l.peekByte(1) == '{':
			vp := l.pos()
			name, n, ok := l.varRef()
			if !ok {
				return l.illegal(vp, "malformed variable reference: expected ${name}")
			}
			val, ok := l.lookup(name)
			if !ok {
				l.advance(n)
				return l.illegal(vp, "undefined variable: %s", name)
			}
			l.subs = append(l.subs, substitution{start: l.off, end: l.off + n,
				repl: strings.ReplaceAll(val, "'", "''")})
			b.WriteString(val)
			l.advance(n)
		default:
			b.WriteByte(c)
			l.advance(1)
		}
	}
}

// quotedIdent scans "..." or `...`, where a doubled quote stands for itself.
func (l *lexer) quotedIdent(p ast.Pos, q byte) token {
	var b strings.Builder
	l.advance(1)
	for {
		if l.off >= len(l.src) {
			return l.illegal(p, "unterminated quoted identifier")
		}
		c := l.src[l.off]
		if c == q {
			if l.peekByte(1) == q {
				b.WriteByte(q)
				l.advance(2)
				continue
			}
			l.advance(1)
			if b.Len() == 0 {
				return l.illegal(p, "zero-length quoted identifier")
			}
			return token{kind: tQuoted, text: b.String(), pos: p, end: l.off}
		}
		b.WriteByte(c)
		l.advance(1)
	}
}

// varRef reads "${name}" at the current offset without consuming it. It
// returns the name and the length of the reference.
func (l *lexer) varRef() (string, int, bool) {
	s := l.src[l.off:]
	if !strings.HasPrefix(s, "${") || len(s) < 3 || !(isLetter(s[2]) || s[2] == '_') {
		return "", 0, false
	}
	i := 3
	for i < len(s) && isIdentPart(s[i]) {
		i++
	}
	if i >= len(s) || s[i] != '}' {
		return "", 0, false
	}
	return s[2:i], i + 1, true
}

// lookup finds a variable: an exact match first, then ignoring case.
func (l *lexer) lookup(name string) (string, bool) {
	if v, ok := l.vars[name]; ok {
		return v, true
	}
	for k, v := range l.vars {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return "", false
}

// variable substitutes ${name} outside a string. The value must be a single
// identifier or literal (a number may carry a minus sign), as in ksqlDB,
// which rejects values that would inject syntax. The tokens it produces
// span the reference and, but for TRUE, FALSE and NULL, never act as
// keywords, so a value is always a name or a literal.
func (l *lexer) variable(p ast.Pos) token {
	name, n, ok := l.varRef()
	if !ok {
		l.advance(2)
		return l.illegal(p, "malformed variable reference: expected ${name}")
	}
	val, ok := l.lookup(name)
	l.advance(n)
	if !ok {
		return l.illegal(p, "undefined variable: %s", name)
	}
	l.subs = append(l.subs, substitution{start: p.Offset, end: l.off, repl: val})
	sub := newLexer(val)
	var toks []token
	for {
		t := sub.next()
		if t.kind == tEOF {
			break
		}
		if t.kind == tIllegal || len(toks) == 2 {
			return l.illegal(p, "illegal value for variable %s: %s", name, quoteTok(val))
		}
		// A substituted word is a name, never a keyword, except for the
		// literals TRUE, FALSE and NULL.
		t.pos, t.end = p, l.off
		t.fromVar = t.kind != tWord || !(t.text == "TRUE" || t.text == "FALSE" || t.text == "NULL")
		toks = append(toks, t)
	}
	switch {
	case len(toks) == 1 && toks[0].kind != tOp:
	case len(toks) == 2 && toks[0].kind == tOp && toks[0].text == "-" && isNumberKind(toks[1].kind):
	default:
		return l.illegal(p, "illegal value for variable %s: %s", name, quoteTok(val))
	}
	l.pending = toks[1:]
	return toks[0]
}

func isNumberKind(k tokKind) bool { return k == tInt || k == tDecimal || k == tFloat }

// substitute returns src[start:end] with the variable references in that
// range replaced by their values.
func (l *lexer) substitute(start, end int) string {
	var b strings.Builder
	at := start
	for _, s := range l.subs {
		if s.start < start || s.end > end {
			continue
		}
		b.WriteString(l.src[at:s.start])
		b.WriteString(s.repl)
		at = s.end
	}
	b.WriteString(l.src[at:end])
	return b.String()
}

// The KSQL keywords: the word tokens of ksqlDB's lexer (SqlBase.g4).
var keywords = wordSet(`
	EMIT CHANGES FINAL SELECT FROM AS ALL DISTINCT WHERE WITHIN WINDOW GROUP BY
	HAVING LIMIT AT OR AND IN NOT EXISTS BETWEEN LIKE ESCAPE IS NULL TRUE FALSE
	INTEGER DATE TIME TIMESTAMP INTERVAL YEAR MONTH DAY HOUR MINUTE SECOND
	MILLISECOND YEARS MONTHS DAYS HOURS MINUTES SECONDS MILLISECONDS ZONE
	TUMBLING HOPPING SIZE ADVANCE RETENTION GRACE PERIOD CASE WHEN THEN ELSE END
	JOIN FULL OUTER INNER LEFT RIGHT ON PARTITION STRUCT WITH VALUES CREATE TABLE
	TOPIC STREAM STREAMS INSERT DELETE INTO DESCRIBE EXTENDED PRINT EXPLAIN
	ANALYZE TYPE TYPES CAST SHOW LIST TABLES TOPICS QUERY QUERIES TERMINATE LOAD
	COLUMNS COLUMN PARTITIONS FUNCTIONS FUNCTION DROP TO RENAME ARRAY MAP SET
	DEFINE UNDEFINE RESET SESSION SAMPLE EXPORT CATALOG PROPERTIES BEGINNING
	UNSET RUN SCRIPT DECIMAL KEY CONNECTOR CONNECTORS SINK SOURCE NAMESPACE
	MATERIALIZED VIEW PRIMARY REPLACE ASSERT ADD ALTER VARIABLES PLUGINS HEADERS
	HEADER SYSTEM TIMEOUT SCHEMA SUBJECT ID IF STRING`)

// nonReserved are the keywords that may still be used as identifiers
// (SqlBase.g4's nonReserved rule).
var nonReserved = wordSet(`
	SHOW TABLES COLUMNS COLUMN PARTITIONS FUNCTIONS FUNCTION SESSION STRUCT MAP
	ARRAY PARTITION INTEGER DATE TIME TIMESTAMP INTERVAL ZONE STRING YEAR MONTH
	DAY HOUR MINUTE SECOND EXPLAIN ANALYZE TYPE TYPES SET RESET IF SOURCE SINK
	PRIMARY KEY EMIT CHANGES FINAL ESCAPE REPLACE ASSERT ALTER ADD HEADER HEADERS
	GRACE PERIOD DEFINE UNDEFINE VARIABLES PLUGINS SYSTEM TIMEOUT SCHEMA SUBJECT ID`)

func wordSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

// isReserved reports whether an upper-case word cannot be an unquoted
// identifier.
func isReserved(word string) bool { return keywords[word] && !nonReserved[word] }

// timeUnits maps the window unit keywords to units.
var timeUnits = map[string]ast.TimeUnit{
	"MILLISECOND": ast.Milliseconds, "MILLISECONDS": ast.Milliseconds,
	"SECOND": ast.Seconds, "SECONDS": ast.Seconds,
	"MINUTE": ast.Minutes, "MINUTES": ast.Minutes,
	"HOUR": ast.Hours, "HOURS": ast.Hours,
	"DAY": ast.Days, "DAYS": ast.Days,
}
