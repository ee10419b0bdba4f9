package sql

import (
	"strings"
	"testing"

	"github.com/ksqlgo/ksql/sql/ast"
)

// recognise runs the lowering pass over src without converting, so that a
// test can tamper with the MySQL text before TiDB sees it.
func recognise(t *testing.T, src string) *parser {
	t.Helper()
	p := newParser(src)
	p.exprInto(levelExpr, func(ast.Expr) {})
	p.expectEOF()
	if p.err != nil {
		t.Fatalf("recognising %q: %v", src, p.err)
	}
	return p
}

// replaceMark overwrites the text written for the user's token text with
// bytes of the same length, so that the marks stay valid.
func replaceMark(t *testing.T, p *parser, text, with string) {
	t.Helper()
	for _, m := range p.x.marks {
		if m.text == text {
			copy(p.x.out[m.off:], with)
			return
		}
	}
	t.Fatalf("no mark for %q in %q", text, p.x.out)
}

// TestTiDBErrorsAreRebased checks that a syntax error found by TiDB in the
// MySQL text is reported at the user's token. The lowering pass rejects
// everything TiDB would, so the MySQL text is tampered with to make TiDB
// fail.
func TestTiDBErrorsAreRebased(t *testing.T) {
	cases := []struct {
		src, token, with string
		want             string // line:col
		wantText         string
	}{
		// TiDB fails at the ')' written in place of '+': the user's '+'.
		{src: "a + b", token: "+", with: ")", want: "1:3", wantText: "'+'"},
		{src: "x AND\n  (y OR\n     z * w)", token: "*", with: "!", want: "3:8", wantText: "'*'"},
		// TiDB fails at the end of its input: the end of the expression.
		{src: "a + b", token: "b", with: "      ", want: "1:6", wantText: "'<EOF>'"},
	}
	for _, c := range cases {
		p := recognise(t, c.src)
		replaceMark(t, p, c.token, c.with)
		_, err := p.x.parseTiDB(p.src)
		if err == nil {
			t.Fatalf("%q: TiDB accepted %q", c.src, p.x.out)
		}
		if err.Pos.String() != c.want || !strings.Contains(err.Msg, c.wantText) {
			t.Errorf("%q: got %s %q, want %s and a message naming %s", c.src, err.Pos, err.Msg, c.want, c.wantText)
		}
		if !strings.HasPrefix(err.Error(), "line "+c.want+": ") {
			t.Errorf("%q: error text %q", c.src, err.Error())
		}
	}
}

// TestTiDBLongErrorsAreRebased covers TiDB's cut of long input: it quotes
// 2048 bytes and then gives the total length.
func TestTiDBLongErrorsAreRebased(t *testing.T) {
	src := "first + " + strings.Repeat("x + ", 1000) + "last"
	p := recognise(t, src)
	if len(p.x.out) < 4096 {
		t.Fatalf("MySQL text too short to be cut: %d bytes", len(p.x.out))
	}
	replaceMark(t, p, "+", ")") // the first '+'
	_, err := p.x.parseTiDB(p.src)
	if err == nil {
		t.Fatal("TiDB accepted the tampered text")
	}
	if err.Pos.String() != "1:7" {
		t.Errorf("got %s %q, want 1:7", err.Pos, err.Msg)
	}
}

// TestRebaseMessageFormats checks the parsing of TiDB's message text
// without TiDB.
func TestRebaseMessageFormats(t *testing.T) {
	p := recognise(t, "alpha = beta")
	sql := tidbPrefix + string(p.x.out)
	betaOff := -1
	for _, m := range p.x.marks {
		if m.text == "beta" {
			betaOff = m.off
		}
	}
	near := sql[len(tidbPrefix)+betaOff:]
	for _, msg := range []string{
		`line 1 column 30 near "` + near + `" `,
		`line 1 column 30 near "` + near[:3] + `"(total length ` + itoa(len(near)) + `)`,
	} {
		err := p.x.rebase(p.src, sql, msg)
		if err.Pos.String() != "1:9" || !strings.Contains(err.Msg, "'beta'") {
			t.Errorf("%q: got %s %q, want 1:9 at 'beta'", msg, err.Pos, err.Msg)
		}
	}
	// A message without a "near" part points at the end of the expression.
	if err := p.x.rebase(p.src, sql, "syntax error"); err.Pos.String() != "1:13" {
		t.Errorf("no near: got %s, want 1:13", err.Pos)
	}

	// Strings and names written for TiDB may hold double quotes.
	p = recognise(t, `'say "hi"' = "q""uote" || 'x"'`)
	sql = tidbPrefix + string(p.x.out)
	for _, m := range p.x.marks {
		if m.text == `"q""uote"` {
			near := sql[len(tidbPrefix)+m.off:]
			err := p.x.rebase(p.src, sql, `line 1 column 20 near "`+near+`" `)
			if err.Pos.String() != "1:14" {
				t.Errorf("double quotes: got %s %q, want 1:14", err.Pos, err.Msg)
			}
			return
		}
	}
	t.Fatalf("no mark for the quoted name in %q", sql)
}

func itoa(n int) string {
	var b []byte
	for {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
		if n == 0 {
			return string(b)
		}
	}
}

// TestPositionsOfConvertedNodes checks positions of nodes that TiDB builds
// itself (operators, NOT, CASE, parentheses) and of the leaves matched back
// to the user's tokens, on multi-line input.
func TestPositionsOfConvertedNodes(t *testing.T) {
	src := "  NOT (a\n   + -f(b)) = CASE WHEN c THEN 1 END\n  OR x.y IN (2, 'z')"
	e, err := ParseExpr(src)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	walkExpr(e, func(n ast.Expr) {
		key := strings.SplitN(strings.TrimSpace(dumpExpr(n, false)), "\n", 2)[0]
		got[key] = n.Position().String()
	})
	want := map[string]string{
		"Binary OR":          "1:3",
		"Unary NOT":          "1:3",
		"Binary =":           "1:7", // the '(' that starts its left operand
		"Binary +":           "1:8",
		`Column "A"`:         "1:8",
		"Unary -":            "2:6",
		"Call F":             "2:7",
		`Column "B"`:         "2:9",
		"Case":               "2:15",
		`Column "C"`:         "2:25",
		"Literal INTEGER 1":  "2:32",
		"In":                 "3:6",
		`Column "X"."Y"`:     "3:6",
		"Literal INTEGER 2":  "3:14",
		"Literal STRING 'z'": "3:17",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: position %s, want %s", k, got[k], v)
		}
	}
	if e.Position().Offset != 2 {
		t.Errorf("top-level offset %d, want 2", e.Position().Offset)
	}
}

// walkExpr calls f for e and every expression inside it, parents first.
func walkExpr(e ast.Expr, f func(ast.Expr)) {
	if e == nil {
		return
	}
	f(e)
	w := func(es ...ast.Expr) {
		for _, x := range es {
			walkExpr(x, f)
		}
	}
	switch x := e.(type) {
	case *ast.Dereference:
		w(x.Base)
	case *ast.Subscript:
		w(x.Base, x.Index)
	case *ast.FunctionCall:
		w(x.Args...)
	case *ast.Binary:
		w(x.L, x.R)
	case *ast.Unary:
		w(x.X)
	case *ast.Case:
		w(x.Operand)
		for _, wh := range x.Whens {
			w(wh.Cond, wh.Result)
		}
		w(x.Else)
	case *ast.Cast:
		w(x.X)
	case *ast.Between:
		w(x.X, x.Lo, x.Hi)
	case *ast.InList:
		w(x.X)
		w(x.List...)
	case *ast.Like:
		w(x.X, x.Pattern, x.Escape)
	case *ast.IsNull:
		w(x.X)
	case *ast.ArrayCtor:
		w(x.Elems...)
	case *ast.MapCtor:
		for i := range x.Keys {
			w(x.Keys[i], x.Vals[i])
		}
	case *ast.StructCtor:
		w(x.Vals...)
	case *ast.Lambda:
		w(x.Body)
	}
}
