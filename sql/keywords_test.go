package sql

import (
	"strings"
	"testing"

	"github.com/ksqlgo/ksql/sql/ast"
)

// TestReservedWordsAgreeWithAST checks that ast.QuoteIdent quotes every
// word the parser reserves, which FormatExpr needs for its text to parse
// back.
func TestReservedWordsAgreeWithAST(t *testing.T) {
	for w := range keywords {
		if isReserved(w) && !ast.IsReserved(w) {
			t.Errorf("%s is reserved by the parser but not by ast.IsReserved", w)
		}
	}
}

// TestNonReservedKeywordsAreNames checks every non-reserved keyword as a
// column name, a source name and an alias.
func TestNonReservedKeywordsAreNames(t *testing.T) {
	for w := range nonReserved {
		src := "SELECT " + w + " AS " + w + ", x." + w + " FROM " + w + " x WHERE " + w + " = 1;"
		if _, err := Parse(src); err != nil {
			t.Errorf("%s: %v", w, err)
		}
		if _, err := Parse("CREATE STREAM " + w + " (" + w + " INT) WITH (kafka_topic='t');"); err != nil {
			t.Errorf("%s: %v", w, err)
		}
	}
	for w := range keywords {
		if !isReserved(w) {
			continue
		}
		if _, err := Parse("CREATE STREAM s (" + w + " INT);"); err == nil {
			t.Errorf("reserved %s accepted as a column name", w)
		}
		if _, err := Parse("CREATE STREAM s (`" + w + "` INT);"); err != nil {
			t.Errorf("quoted %s: %v", w, err)
		}
	}
}

// TestDeepNesting checks that deep input is parsed up to a bound and then
// rejected with an error rather than exhausting the stack.
func TestDeepNesting(t *testing.T) {
	nested := func(n int) string {
		return strings.Repeat("(", n) + "a" + strings.Repeat(")", n)
	}
	if _, err := ParseExpr(nested(300)); err != nil {
		t.Fatalf("300 levels: %v", err)
	}
	_, err := ParseExpr(nested(100000))
	if err == nil || !strings.Contains(err.Error(), "nested too deeply") {
		t.Fatalf("100000 levels: %v", err)
	}
	if _, err := ParseType(strings.Repeat("ARRAY<", 100000) + "INT" + strings.Repeat(">", 100000)); err == nil {
		t.Fatal("deep type accepted")
	}
	long := "a" + strings.Repeat(" + a", 20000)
	if _, err := ParseExpr(long); err != nil {
		t.Fatalf("long chain: %v", err)
	}
}
