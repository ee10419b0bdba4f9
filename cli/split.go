package cli

import "strings"

// Splitter gathers input lines into complete statements: text up to a
// ';' that is outside single-quoted strings, back-quoted and
// double-quoted identifiers, '--' line comments and '/* */' block
// comments. A statement may span lines; a line may hold several.
type Splitter struct {
	buf strings.Builder
	// state carried across lines
	quote        byte // ', ` or " when inside one
	blockComment bool
}

// Feed adds one line (without its newline) and returns the statements
// it completed, each trimmed and ending with ';'.
func (s *Splitter) Feed(line string) []string {
	var out []string
	if s.buf.Len() > 0 {
		s.buf.WriteByte('\n')
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case s.blockComment:
			s.buf.WriteByte(c)
			if c == '*' && i+1 < len(line) && line[i+1] == '/' {
				s.buf.WriteByte('/')
				i++
				s.blockComment = false
			}
		case s.quote != 0:
			s.buf.WriteByte(c)
			if c == s.quote {
				if i+1 < len(line) && line[i+1] == s.quote { // doubled: escaped
					s.buf.WriteByte(c)
					i++
				} else {
					s.quote = 0
				}
			}
		case c == '\'' || c == '`' || c == '"':
			s.quote = c
			s.buf.WriteByte(c)
		case c == '-' && i+1 < len(line) && line[i+1] == '-':
			// The rest of the line is a comment; one before any statement
			// text is dropped (it belongs to no statement).
			if strings.TrimSpace(s.buf.String()) != "" {
				s.buf.WriteString(line[i:])
			}
			i = len(line)
		case c == '/' && i+1 < len(line) && line[i+1] == '*':
			s.buf.WriteString("/*")
			i++
			s.blockComment = true
		case c == ';':
			s.buf.WriteByte(';')
			if stmt := strings.TrimSpace(s.buf.String()); strings.TrimSpace(StripComments(stmt)) != ";" {
				out = append(out, stmt)
			}
			s.buf.Reset()
		default:
			s.buf.WriteByte(c)
		}
	}
	return out
}

// Pending reports whether an unfinished statement is buffered (more than
// whitespace and comments).
func (s *Splitter) Pending() bool {
	return s.quote != 0 || strings.TrimSpace(StripComments(s.buf.String())) != ""
}

// Rest returns the unfinished text and forgets it.
func (s *Splitter) Rest() string {
	r := strings.TrimSpace(s.buf.String())
	s.Reset()
	return r
}

// Reset forgets any unfinished statement.
func (s *Splitter) Reset() {
	s.buf.Reset()
	s.quote = 0
	s.blockComment = false
}

// SplitStatements splits a whole script into statements; text after the
// last ';' is returned as rest.
func SplitStatements(text string) (stmts []string, rest string) {
	var s Splitter
	for _, line := range strings.Split(text, "\n") {
		stmts = append(stmts, s.Feed(strings.TrimSuffix(line, "\r"))...)
	}
	if s.Pending() {
		rest = s.Rest()
	}
	return stmts, rest
}

// StripComments removes comments outside quotes.
func StripComments(text string) string {
	var b strings.Builder
	var quote byte
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case quote != 0:
			b.WriteByte(c)
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '`' || c == '"':
			quote = c
			b.WriteByte(c)
		case c == '-' && i+1 < len(text) && text[i+1] == '-':
			for i < len(text) && text[i] != '\n' {
				i++
			}
			if i < len(text) {
				b.WriteByte('\n')
			}
		case c == '/' && i+1 < len(text) && text[i+1] == '*':
			end := strings.Index(text[i+2:], "*/")
			if end < 0 {
				i = len(text)
			} else {
				i += 2 + end + 1
			}
			b.WriteByte(' ')
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// token is a word, a quoted string (unquoted, kind '\”) or punctuation.
type token struct {
	text string
	kind byte // 'w' word, '\'' string, '`' or '"' quoted identifier, 'p' punctuation
}

// tokens lexes the start of a statement well enough to recognize the
// shell's own commands (SET, UNSET, DEFINE, UNDEFINE, RUN SCRIPT,
// SELECT, PRINT, SHOW VARIABLES).
func tokens(stmt string) []token {
	text := StripComments(stmt)
	var out []token
	for i := 0; i < len(text); {
		c := text[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '\'' || c == '`' || c == '"':
			var b strings.Builder
			j := i + 1
			for j < len(text) {
				if text[j] == c {
					if j+1 < len(text) && text[j+1] == c {
						b.WriteByte(c)
						j += 2
						continue
					}
					break
				}
				b.WriteByte(text[j])
				j++
			}
			out = append(out, token{b.String(), c})
			i = j + 1
		case isWordByte(c):
			j := i
			for j < len(text) && isWordByte(text[j]) {
				j++
			}
			out = append(out, token{text[i:j], 'w'})
			i = j
		default:
			out = append(out, token{string(c), 'p'})
			i++
		}
	}
	return out
}

func isWordByte(c byte) bool {
	return c == '_' || c == '.' || c == '$' || c == '{' || c == '}' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

func (t token) is(word string) bool { return t.kind == 'w' && strings.EqualFold(t.text, word) }
