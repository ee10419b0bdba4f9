package sql

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/ksqlgo/ksql/sql/ast"
)

// Error is a syntax error at a position in the text the user typed.
//
// Error() renders it as
//
//	line 2:17: mismatched input 'FROMM' expecting ';'
//	  SELECT * FROMM foo;
//	                 ^
//
// that is the position, the message, the source line and a caret under the
// column. Errors found by the TiDB expression parser are reported the same
// way, at the position in the user's text.
type Error struct {
	Pos  ast.Pos
	Msg  string
	Line string // the source line holding Pos, without its line terminator
	// Located errors are ksqlDB's semantic errors found while building
	// the AST (AstBuilder's KsqlException with its location): rendered
	// "Line: L, Col: C: message", as ksqlDB words them.
	Located bool
}

// maxShownLine bounds how much of a long source line an error prints.
const maxShownLine = 160

func (e *Error) Error() string {
	if e.Located && e.Pos.IsValid() {
		return fmt.Sprintf("Line: %d, Col: %d: %s", e.Pos.Line, e.Pos.Col, e.Msg)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "line %d:%d: %s", e.Pos.Line, e.Pos.Col, e.Msg)
	if !e.Pos.IsValid() {
		return b.String()
	}
	line, col := e.Line, e.Pos.Col-1 // col: byte index of the caret in line
	if col > len(line) {
		col = len(line)
	}
	if col < 0 {
		col = 0
	}
	prefix, suffix := "", ""
	if len(line) > maxShownLine {
		start := col - maxShownLine/2
		if start < 0 {
			start = 0
		}
		end := start + maxShownLine
		if end > len(line) {
			end = len(line)
			start = max(0, end-maxShownLine)
		}
		for start > 0 && start < len(line) && !utf8.RuneStart(line[start]) {
			start--
		}
		for end < len(line) && !utf8.RuneStart(line[end]) {
			end++
		}
		if start > 0 {
			prefix = "..."
		}
		if end < len(line) {
			suffix = "..."
		}
		line, col = line[start:end], col-start
	}
	b.WriteString("\n  ")
	b.WriteString(prefix)
	b.WriteString(line)
	b.WriteString(suffix)
	b.WriteString("\n  ")
	b.WriteString(strings.Repeat(" ", len(prefix)))
	// One blank per character before the caret; tabs are kept so that the
	// caret lines up with the line above in a terminal.
	for _, r := range line[:col] {
		if r == '\t' {
			b.WriteByte('\t')
		} else {
			b.WriteByte(' ')
		}
	}
	b.WriteByte('^')
	return b.String()
}

// ErrorList is a list of errors, sorted by position, in the style of
// go/scanner.ErrorList. The parser returns its errors as an ErrorList.
type ErrorList []*Error

func (l ErrorList) Len() int      { return len(l) }
func (l ErrorList) Swap(i, j int) { l[i], l[j] = l[j], l[i] }
func (l ErrorList) Less(i, j int) bool {
	if l[i].Pos.Offset != l[j].Pos.Offset {
		return l[i].Pos.Offset < l[j].Pos.Offset
	}
	return l[i].Msg < l[j].Msg
}

// Sort sorts the list by position, then message.
func (l ErrorList) Sort() { sort.Sort(l) }

// RemoveMultiples sorts the list and removes repeated errors: same position
// and same message.
func (l *ErrorList) RemoveMultiples() {
	l.Sort()
	out := (*l)[:0]
	for i, e := range *l {
		if i > 0 {
			prev := out[len(out)-1]
			if prev.Pos.Offset == e.Pos.Offset && prev.Msg == e.Msg {
				continue
			}
		}
		out = append(out, e)
	}
	*l = out
}

// Error joins the errors, one per paragraph.
func (l ErrorList) Error() string {
	switch len(l) {
	case 0:
		return "no errors"
	case 1:
		return l[0].Error()
	}
	parts := make([]string, len(l))
	for i, e := range l {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "\n")
}

// Err returns nil for an empty list and the list otherwise.
func (l ErrorList) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}

// Unwrap exposes the errors to errors.Is and errors.As.
func (l ErrorList) Unwrap() []error {
	errs := make([]error, len(l))
	for i, e := range l {
		errs[i] = e
	}
	return errs
}

// newError builds an error at pos in src, capturing the source line.
func newError(src string, pos ast.Pos, msg string) *Error {
	return &Error{Pos: pos, Msg: msg, Line: lineAt(src, pos.Offset)}
}

// lineAt returns the line of src that holds the byte at offset (or ends at
// it), without its terminator.
func lineAt(src string, offset int) string {
	if offset > len(src) {
		offset = len(src)
	}
	if offset < 0 {
		offset = 0
	}
	start := strings.LastIndexByte(src[:offset], '\n') + 1
	end := strings.IndexByte(src[offset:], '\n')
	if end < 0 {
		end = len(src)
	} else {
		end += offset
	}
	return strings.TrimSuffix(src[start:end], "\r")
}

// quoteTok renders token text for a message the way ANTLR does: 'text',
// with line breaks and tabs escaped.
func quoteTok(s string) string {
	s = strings.NewReplacer("\n", `\n`, "\r", `\r`, "\t", `\t`).Replace(s)
	if len(s) > 40 {
		cut := 40
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "..."
	}
	return "'" + s + "'"
}
