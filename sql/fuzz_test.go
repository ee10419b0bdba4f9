package sql

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ksqlgo/ksql/sql/ast"
)

// FuzzParse checks that no input makes the parser panic, that every error
// points into the input, and that an expression that parses survives a
// format and parse round trip.
//
//	go test ./sql -run '^$' -fuzz FuzzParse -fuzztime 60s
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/parser/*")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		for _, d := range []string{"parse", "expr", "type", "split"} {
			for _, in := range datadrivenInputs(string(data), d) {
				f.Add(in)
			}
		}
	}
	f.Add("SELECT ${v} FROM s WHERE x = '${v}';")
	f.Fuzz(func(t *testing.T, src string) {
		_, err := ParseWithVariables(src, map[string]string{"v": "1"})
		checkErrorPositions(t, src, err)
		_, err = ParseWithTypes(src, nil, testTypes)
		checkErrorPositions(t, src, err)
		_, err = ParseType(src)
		checkErrorPositions(t, src, err)
		_, err = SplitStatements(src)
		checkErrorPositions(t, src, err)
		e, err := ParseExpr(src)
		checkErrorPositions(t, src, err)
		if err == nil && formatterGap(e) == "" {
			checkRoundTrip(t, src, e)
		}
	})
}

// checkErrorPositions checks that every error lies within src and names
// its line.
func checkErrorPositions(t *testing.T, src string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var list ErrorList
	if !errors.As(err, &list) || len(list) == 0 {
		t.Fatalf("error is not an ErrorList: %v", err)
	}
	for _, e := range list {
		p := e.Pos
		if p.Offset < 0 || p.Offset > len(src) || p.Line < 1 || p.Col < 1 {
			t.Fatalf("error position %+v outside the input: %v", p, e)
		}
		if want := lineAt(src, p.Offset); e.Line != want {
			t.Fatalf("error line %q, want %q", e.Line, want)
		}
		if line := strings.Count(src[:p.Offset], "\n") + 1; line != p.Line {
			t.Fatalf("error line number %d, want %d", p.Line, line)
		}
		if col := p.Offset - strings.LastIndexByte(src[:p.Offset], '\n'); col != p.Col {
			t.Fatalf("error column %d, want %d", p.Col, col)
		}
		if utf8.ValidString(src) && !utf8.ValidString(e.Error()) {
			t.Fatalf("error text is not valid UTF-8: %q", e.Error())
		}
	}
}

// TestErrorsAsSingleError checks that errors.As finds an *Error in the
// ErrorList a parse returns.
func TestErrorsAsSingleError(t *testing.T) {
	_, err := Parse("SELECT * FROMM x;")
	var e *Error
	if !errors.As(err, &e) || e.Pos != (ast.Pos{Offset: 9, Line: 1, Col: 10}) {
		t.Fatalf("errors.As: %v %+v", err, e)
	}
}
