package sql

import (
	"strings"

	"github.com/ksqlgo/ksql/sql/ast"
)

// SplitStatements splits text into the texts of its statements without
// parsing them, for tools that execute statements one at a time. Each text
// runs from the statement's first token through its terminating ';'; white
// space and comments between statements are dropped, while comments inside
// a statement are kept. Semicolons inside string literals, quoted
// identifiers and comments do not end a statement. Variables are not
// substituted.
//
// Text after the last ';' that holds more than white space and comments is
// an unterminated statement: SplitStatements returns the complete statements
// and an ErrorList pointing at its start. An unterminated string, quoted
// identifier or comment is also an error.
func SplitStatements(text string) ([]string, error) {
	var out []string
	l := newLexer(text)
	start := -1 // offset of the current statement's first token
	var startPos ast.Pos
	for {
		if t, ok := l.skipSpace(); !ok {
			return out, ErrorList{newError(text, t.pos, t.text)}
		}
		if l.off >= len(text) {
			break
		}
		p := l.pos()
		if start < 0 {
			start, startPos = p.Offset, p
		}
		switch c := text[l.off]; c {
		case ';':
			l.advance(1)
			out = append(out, text[start:l.off])
			start = -1
		case '\'', '"', '`':
			if !skipQuoted(l, c) {
				return out, ErrorList{newError(text, p, unterminatedMsg(c))}
			}
		default:
			l.advance(1)
		}
	}
	if start >= 0 {
		return out, ErrorList{newError(text, startPos, "statement is not terminated by ';'")}
	}
	return out, nil
}

// skipQuoted moves over a quoted run whose doubled quote stands for itself.
func skipQuoted(l *lexer, q byte) bool {
	l.advance(1)
	for l.off < len(l.src) {
		i := strings.IndexByte(l.src[l.off:], q)
		if i < 0 {
			break
		}
		l.advance(i + 1)
		if l.peekByte(0) != q {
			return true
		}
		l.advance(1)
	}
	l.advance(len(l.src) - l.off)
	return false
}

func unterminatedMsg(q byte) string {
	if q == '\'' {
		return "unterminated string literal"
	}
	return "unterminated quoted identifier"
}
