package qtt

import (
	"strings"
	"testing"

	"github.com/ksqlgo/ksql/sql"
)

// A syntax error is worded as ksqlDB's SyntaxErrorValidator words it, at
// its line in the statements joined into one script.
func TestSyntaxErrorAsKsqlDB(t *testing.T) {
	for _, c := range []struct{ msg, want string }{
		{"mismatched input 'KEY' expecting {'STRING', INTEGER_VALUE}", "Syntax Error\nExpecting {'STRING', INTEGER_VALUE}"},
		{"missing ')' at ','", "Syntax Error\nmissing ')' at ','"},
		{"mismatched input 'BY' expecting {';', 'WHERE', 'GROUP', 'EMIT'}", "Syntax Error\n"},
		{"extraneous input 'FOO' expecting {<EOF>, 'SELECT', 'CREATE', 'INSERT', 'DESCRIBE', 'PRINT', 'EXPLAIN', 'SHOW', 'LIST', 'TERMINATE', 'PAUSE', 'RESUME', 'DROP', 'SET', 'DEFINE', 'UNDEFINE', 'UNSET', 'ASSERT', 'ALTER'}",
			"Syntax Error\nUnknown statement 'FOO'\nDid you mean 'SHOW'?"},
		{"no viable alternative at input 'cast(f0 as NULL'", "Syntax Error\nSyntax error at or near 'NULL' at line 2:47"},
	} {
		got, ok := syntaxErrorDetail(c.msg, 2, 47)
		if !ok || got != c.want {
			t.Errorf("%q: got %q (%v), want %q", c.msg, got, ok, c.want)
		}
	}
	if _, ok := syntaxErrorDetail("Invalid numeric literal: 9223372036854775808", 1, 1); ok {
		t.Error("an error AstBuilder raises is not a syntax error")
	}

	_, err := sql.Parse("\nCREATE STREAM INPUT (K INT (KEY)) WITH (kafka_topic='input',value_format='JSON');")
	if err == nil {
		t.Fatal("no error")
	}
	re := statementError(err, "CREATE STREAM INPUT (K INT (KEY)) WITH (kafka_topic='input',value_format='JSON');")
	want := "line 2:29: Syntax Error\nExpecting {'STRING', INTEGER_VALUE}\nStatement: CREATE STREAM INPUT (K INT (KEY)) WITH (kafka_topic='input',value_format='JSON');"
	if re.javaType != "ParseFailedException" || !strings.Contains(re.unlogged(), want) || re.msg != "line 2:29: Syntax error at line 2:29" {
		t.Errorf("got %s %q / %q", re.javaType, re.msg, re.unlogged())
	}
}
