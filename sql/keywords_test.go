package sql

import (
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
