package rqtt

import (
	"regexp"
	"strings"
)

// maskStatement is ksqlDB's QueryMask.getMaskedStatement for the
// statements the suites use: INSERT ... VALUES has its values replaced by
// '[value]' (ksqlDB keeps row values out of error messages and logs), and
// is rebuilt with upper-cased unquoted names; any other statement is its
// text as written.
func maskStatement(stmt string) string {
	s := strings.TrimSpace(stmt)
	m := insertValues.FindStringSubmatch(s)
	if m == nil {
		return s
	}
	var b strings.Builder
	b.WriteString("INSERT INTO " + identifierText(m[1]))
	if m[2] != "" {
		cols := splitTopLevel(m[3])
		for i := range cols {
			cols[i] = identifierText(strings.TrimSpace(cols[i]))
		}
		b.WriteString(" (" + strings.Join(cols, ", ") + ")")
	}
	n := len(splitTopLevel(m[4]))
	if strings.TrimSpace(m[4]) == "" {
		n = 0
	}
	vals := make([]string, n)
	for i := range vals {
		vals[i] = "'[value]'"
	}
	b.WriteString(" VALUES (" + strings.Join(vals, ", ") + ");")
	return b.String()
}

var insertValues = regexp.MustCompile("(?is)^INSERT\\s+INTO\\s+(`[^`]+`|\"[^\"]+\"|[A-Za-z0-9_-]+)\\s*(\\(([^)]*)\\))?\\s*VALUES\\s*\\((.*)\\)\\s*;?$")

// identifierText is ParserUtil.getIdentifierText: quoted names as written,
// unquoted ones upper-cased.
func identifierText(id string) string {
	if len(id) >= 2 && (id[0] == '`' && id[len(id)-1] == '`' || id[0] == '"' && id[len(id)-1] == '"') {
		return id[1 : len(id)-1]
	}
	return strings.ToUpper(id)
}

// splitTopLevel splits a list on commas outside parentheses, brackets and
// quotes.
func splitTopLevel(s string) []string {
	var out []string
	depth, start := 0, 0
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"' || c == '`':
			quote = c
		case c == '(' || c == '[' || c == '{':
			depth++
		case c == ')' || c == ']' || c == '}':
			depth--
		case c == ',' && depth == 0:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}
