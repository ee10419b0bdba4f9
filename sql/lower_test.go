package sql

import (
	"strings"
	"testing"

	"github.com/ksqlgo/ksql/sql/ast"
)

// TestLoweredText checks the MySQL text written for TiDB: what both
// languages write alike is copied, and only what MySQL lacks is lowered.
func TestLoweredText(t *testing.T) {
	cases := []struct{ ksql, mysql string }{
		{"a + 1.5 * b", "`A` + 1.5 * `B`"},
		{"`lower` = \"Mixed\"", "`lower` = `Mixed`"},
		{"key = div AND `order` <> interval", "`KEY` = `DIV` AND `order` <> `INTERVAL`"},
		{"'it''s' || s", "'it''s' | `S`"},
		{"1. + .5", "1.0 + .5"},
		{"NOT a IS NULL OR b NOT IN (1, 2)", "NOT `A` IS NULL OR `B` NOT IN ( 1 , 2 )"},
		{"a NOT BETWEEN 1 AND 2", "`A` NOT BETWEEN 1 AND 2"},
		{"a LIKE 'x%' || b ESCAPE '!'", "`A` LIKE ( 'x%' | `B` ) ESCAPE '!'"},
		{"a IS NOT DISTINCT FROM b", "`A` <=> `B`"},
		{"CASE WHEN a THEN 1 ELSE 2 END", "CASE WHEN `A` THEN 1 ELSE 2 END"},
		{"CAST(a AS STRING)", "CAST( `A` AS CHAR )"},
		{"ucase(s.name)", "`UCASE`( `S`.`NAME` )"},
		{"COUNT(*)", "`COUNT`( )"},
		{"TIMESTAMPADD(SECONDS, 5, ts)", "`TIMESTAMPADD`( `SECONDS` , 5 , `TS` )"},
		{"-a->f[1]", "- `#`( `#`( `A` ) , 1 )"},
		{"ARRAY[1, 2]", "`#`( 1 , 2 )"},
		{"MAP('k' := 1)", "`#`( 'k' , 1 )"},
		{"STRUCT(F := 1, G := 2)", "`#`( 1 , 2 )"},
		{"TRANSFORM(xs, (x, y) => x + y)", "`TRANSFORM`( `XS` , `#`( `X` + `Y` ) )"},
		{"DECIMAL '1.50'", "0"},
		{"-9223372036854775808", "0"},
	}
	for _, c := range cases {
		p := recognise(t, c.ksql)
		if got := strings.TrimSpace(string(p.x.out)); got != c.mysql {
			t.Errorf("%s: wrote %q, want %q", c.ksql, got, c.mysql)
		}
	}
}

// TestLoweredMeaning checks trees where MySQL's grammar alone would read
// the text otherwise than KSQL's.
func TestLoweredMeaning(t *testing.T) {
	cases := []struct{ ksql, want string }{
		// KSQL's LIKE pattern is a value expression, MySQL's a simple one.
		{"a LIKE 'x' || b", "(A LIKE ('x' || B))"},
		// || is below + and above comparisons in both.
		{"a || b + c = d", "((A || (B + C)) = D)"},
		{"a IS DISTINCT FROM b || c", "(A IS DISTINCT FROM (B || C))"},
		// Names that are keywords in MySQL are names in KSQL.
		{"key + `date` - order", "((KEY + `date`) - ORDER)"},
		{"CAST(x AS STRUCT<a INT>)", "CAST(X AS STRUCT<A INTEGER>)"},
	}
	for _, c := range cases {
		e, err := ParseExpr(c.ksql)
		if err != nil {
			t.Errorf("%s: %v", c.ksql, err)
			continue
		}
		if got := ast.FormatExpr(e); got != c.want {
			t.Errorf("%s: got %s, want %s", c.ksql, got, c.want)
		}
	}
}

// TestKSQLGrammarChecks checks expressions that MySQL accepts and KSQL does
// not: the lowering pass rejects them with ksqlDB's words, at the user's
// token.
func TestKSQLGrammarChecks(t *testing.T) {
	cases := []struct{ ksql, want string }{
		{"a = b = c", "1:7: extraneous input '=' expecting <EOF>"},
		{"a = b LIKE c", "1:7: extraneous input 'LIKE' expecting <EOF>"},
		{"a BETWEEN 1 AND b IN (1)", "1:19: extraneous input 'IN' expecting <EOF>"},
		{"a IN (1) + 1", "1:10: extraneous input '+' expecting <EOF>"},
		{"(a IS NULL IS NULL)", "1:12: missing ')' at 'IS'"},
		{"a[b AND c]", "1:5: missing ']' at 'AND'"},
		{"CASE a = b WHEN 1 THEN 2 END", "1:8: mismatched input '=' expecting 'WHEN'"},
		{"f(x, y => y > 1 > 2)", "1:17: missing ')' at '>'"},
		{"a DIV b", "1:3: extraneous input 'DIV' expecting <EOF>"},
		{"a = NOT b", "1:5: mismatched input 'NOT' expecting an expression"},
	}
	for _, c := range cases {
		_, err := ParseExpr(c.ksql)
		if err == nil || !strings.HasPrefix(err.Error(), "line "+c.want) {
			t.Errorf("%s: got %v, want line %s", c.ksql, err, c.want)
		}
	}
	if _, err := Parse("SELECT x FROM s GROUP BY NOT a;"); err == nil ||
		!strings.Contains(err.Error(), "1:26: mismatched input 'NOT' expecting an expression") {
		t.Errorf("GROUP BY NOT a: %v", err)
	}
}

// TestLongNumbers checks numbers that TiDB's decimal driver cannot read:
// they are written as 0, and their values come from the user's tokens.
func TestLongNumbers(t *testing.T) {
	src := "0000000000.0000000000000000000000000000000000000000000000000000000000000001"
	e, err := ParseExpr(src + " + 1")
	if err != nil {
		t.Fatal(err)
	}
	if got := ast.FormatExpr(e); !strings.Contains(got, "1E-64") && !strings.Contains(got, "0.0000000000000000000000000000000000000000000000000000000000000001") {
		t.Errorf("got %s", got)
	}
	if _, err := parseOne("SELECT " + src); err == nil {
		t.Log("TiDB reads the long number now; maxNumberText may be raised")
	} else if _, ok := err.(tidbPanic); !ok {
		t.Errorf("TiDB on a long number: %v", err)
	}
}
