package sql

import (
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ksqlgo/ksql/sql/ast"
	"github.com/ksqlgo/ksql/sql/types"
)

// formatterGap reports why ast.FormatExpr cannot round-trip e, or "" when
// it can. These are limits of the formatter (sql/ast, sql/types), not of
// the parser:
//   - a DOUBLE literal printed without an exponent ("1500.0") reads back as
//     a DECIMAL;
//   - a DECIMAL literal of scale 0 ("1.") is printed as an integer;
//   - a unary minus applied to a unary minus is printed "--", a comment;
//   - a unary minus or plus is not parenthesised as the base of -> or [...],
//     so "(-a)[1]" reads back as "-(a[1])";
//   - function names, struct field names in a CAST's type and lambda
//     parameters are printed without quotes, so names that need quoting
//     change or no longer parse.
func formatterGap(e ast.Expr) string {
	gap := ""
	walkExpr(e, func(n ast.Expr) {
		switch x := n.(type) {
		case *ast.Literal:
			if f, ok := x.Value.(float64); ok && !strings.ContainsAny(types.FormatDouble(f), "EN") {
				gap = "DOUBLE literal without exponent"
			}
			if d, ok := x.Value.(types.Dec); ok && d.Scale() == 0 {
				gap = "DECIMAL literal of scale 0"
			}
		case *ast.Unary:
			if in, ok := x.X.(*ast.Unary); ok && x.Op == ast.OpNeg && in.Op == ast.OpNeg {
				gap = "double unary minus"
			}
		case *ast.FunctionCall:
			if ast.QuoteIdent(x.Name) != x.Name {
				gap = "function name that needs quoting"
			}
		case *ast.Dereference:
			if _, ok := x.Base.(*ast.Unary); ok {
				gap = "unary expression as the base of ->"
			}
		case *ast.Subscript:
			if _, ok := x.Base.(*ast.Unary); ok {
				gap = "unary expression as the base of [...]"
			}
		case *ast.Cast:
			if typeNeedsQuotes(x.To) {
				gap = "CAST type with quoted field names"
			}
		case *ast.Lambda:
			for _, p := range x.Params {
				if ast.QuoteIdent(p) != p {
					gap = "quoted lambda parameter"
				}
			}
		}
	})
	return gap
}

func typeNeedsQuotes(t *types.Type) bool {
	switch t.Kind {
	case types.KindArray:
		return typeNeedsQuotes(t.Elem)
	case types.KindMap:
		return typeNeedsQuotes(t.Key) || typeNeedsQuotes(t.Value)
	case types.KindStruct:
		for _, f := range t.Fields {
			if ast.QuoteIdent(f.Name) != f.Name || typeNeedsQuotes(f.Type) {
				return true
			}
		}
	}
	return false
}

// checkRoundTrip checks that FormatExpr's text parses back to the same tree
// and formats to the same text again.
func checkRoundTrip(t testing.TB, src string, e ast.Expr) {
	t.Helper()
	text := ast.FormatExpr(e)
	back, err := ParseExpr(text)
	if err != nil {
		t.Errorf("%q formats as %q, which does not parse: %v", src, text, err)
		return
	}
	if want, got := dumpExpr(e, false), dumpExpr(back, false); want != got {
		t.Errorf("%q formats as %q, which parses to a different tree:\n%s\nwant:\n%s", src, text, got, want)
		return
	}
	if again := ast.FormatExpr(back); again != text {
		t.Errorf("%q: formatting is not idempotent: %q then %q", src, text, again)
	}
}

// exprGen generates random KSQL expressions from the grammar.
type exprGen struct {
	r *rand.Rand
}

var genNames = []string{"A", "b", "Col_1", "KEY", "VALUE", "TIMESTAMP", "`lower`", "`SIZE`", "`WINDOW`",
	"\"Mixed Case\"", "`with``tick`", "MAP", "`SELECT`", "EMIT", "x@y", "`1abc`"}

var genFuncs = []string{"ABS", "concat", "`myUdf`", "SUBSTRING", "IFNULL", "DATE", "REPLACE"}

func (g *exprGen) pick(xs []string) string { return xs[g.r.Intn(len(xs))] }

func (g *exprGen) name() string { return g.pick(genNames) }

// expr generates an expression (booleanExpression).
func (g *exprGen) expr(depth int) string {
	if depth <= 0 {
		return g.value(0)
	}
	switch g.r.Intn(10) {
	case 0:
		return g.expr(depth-1) + " AND " + g.expr(depth-1)
	case 1:
		return g.expr(depth-1) + " OR " + g.expr(depth-1)
	case 2:
		return "NOT " + g.expr(depth-1)
	default:
		return g.predicated(depth - 1)
	}
}

func (g *exprGen) predicated(depth int) string {
	v := g.value(depth)
	switch g.r.Intn(12) {
	case 0:
		return v + " " + g.pick([]string{"=", "<>", "!=", "<", "<=", ">", ">="}) + " " + g.value(depth)
	case 1:
		return v + g.pick([]string{" ", " NOT "}) + "BETWEEN " + g.value(depth) + " AND " + g.value(depth)
	case 2:
		items := []string{g.expr(depth)}
		for g.r.Intn(2) == 0 {
			items = append(items, g.expr(depth))
		}
		return v + g.pick([]string{" ", " NOT "}) + "IN (" + strings.Join(items, ", ") + ")"
	case 3:
		esc := ""
		if g.r.Intn(2) == 0 {
			esc = " ESCAPE '!'"
		}
		return v + g.pick([]string{" ", " NOT "}) + "LIKE " + g.value(depth) + esc
	case 4:
		return v + g.pick([]string{" IS NULL", " IS NOT NULL"})
	case 5:
		return v + g.pick([]string{" IS DISTINCT FROM ", " IS NOT DISTINCT FROM "}) + g.value(depth)
	}
	return v
}

// value generates a valueExpression.
func (g *exprGen) value(depth int) string {
	if depth <= 0 {
		return g.primary(0)
	}
	switch g.r.Intn(8) {
	case 0, 1:
		return g.value(depth-1) + " " + g.pick([]string{"+", "-", "*", "/", "%", "||"}) + " " + g.value(depth-1)
	case 2:
		// A unary minus never applies directly to another one (see formatterGap).
		op := g.pick([]string{"-", "+"})
		operand := g.primary(depth - 1)
		if op == "-" && strings.HasPrefix(operand, "-") {
			op = "+"
		}
		return op + operand
	}
	return g.primary(depth - 1)
}

func (g *exprGen) literal() string {
	switch g.r.Intn(9) {
	case 0:
		return strconv.Itoa(g.r.Intn(1000))
	case 1:
		return strconv.FormatInt(g.r.Int63(), 10)
	case 2:
		return g.pick([]string{"1.5", "0.05", "123.4560", ".5", "0.0"})
	case 3:
		return g.pick([]string{"1.5E10", "2E-5", "4.9E-300", "1e100"})
	case 4:
		return g.pick([]string{"'x'", "''", "'it''s'", "'%a_'"})
	case 5:
		return g.pick([]string{"TRUE", "false", "NULL"})
	case 6:
		return "DECIMAL '" + g.pick([]string{"1.23", "10", "0.001"}) + "'"
	}
	return strconv.Itoa(g.r.Intn(10))
}

func (g *exprGen) args(depth int) string {
	n := g.r.Intn(4)
	var as []string
	for i := 0; i < n; i++ {
		as = append(as, g.expr(depth))
	}
	return strings.Join(as, ", ")
}

func (g *exprGen) primary(depth int) string {
	var base string
	choice := g.r.Intn(16)
	if depth <= 0 {
		choice = g.r.Intn(3)
	}
	switch choice {
	case 0:
		base = g.literal()
	case 1:
		base = g.name()
	case 2:
		base = g.name() + "." + g.name()
	case 3:
		base = "(" + g.expr(depth) + ")"
	case 4:
		base = g.pick(genFuncs) + "(" + g.args(depth) + ")"
	case 5:
		base = "COUNT(*)"
	case 6:
		base = "TIMESTAMPADD(" + g.pick([]string{"SECONDS", "MILLISECOND", "DAYS", "HOURS"}) + ", " + g.value(depth) + ", " + g.name() + ")"
	case 7:
		base = "TRANSFORM(" + g.value(depth) + ", X => " + g.expr(depth) + ")"
	case 8:
		base = "REDUCE(" + g.value(depth) + ", 0, (ACC, X) => " + g.expr(depth) + ")"
	case 9:
		base = "CASE WHEN " + g.expr(depth) + " THEN " + g.expr(depth) + " ELSE " + g.expr(depth) + " END"
	case 10:
		base = "CASE " + g.value(depth) + " WHEN " + g.value(depth) + " THEN " + g.expr(depth) + " END"
	case 11:
		base = "CAST(" + g.expr(depth) + " AS " + g.pick([]string{"INT", "BIGINT", "DECIMAL(10, 2)", "STRING",
			"ARRAY<MAP<STRING, DOUBLE>>", "STRUCT<A INT, B ARRAY<BOOLEAN>>", "BYTES", "TIMESTAMP"}) + ")"
	case 12:
		base = "ARRAY[" + g.args(depth) + "]"
	case 13:
		base = "MAP(" + g.value(depth) + " := " + g.expr(depth) + ")"
	case 14:
		base = "STRUCT(" + g.name() + " := " + g.expr(depth) + ", F2 := " + g.value(depth) + ")"
	case 15:
		base = "MAP()"
	}
	for g.r.Intn(4) == 0 {
		if g.r.Intn(2) == 0 {
			base += "[" + g.value(depth) + "]"
		} else {
			base += "->" + g.name()
		}
	}
	return base
}

// TestFormatRoundTrip is a property test: for many generated expressions,
// FormatExpr's text parses back to an identical tree.
func TestFormatRoundTrip(t *testing.T) {
	g := &exprGen{r: rand.New(rand.NewSource(1))}
	n := 3000
	if testing.Short() {
		n = 300
	}
	checked := 0
	for i := 0; i < n; i++ {
		src := g.expr(1 + i%5)
		e, err := ParseExpr(src)
		if err != nil {
			t.Errorf("generated expression does not parse: %q: %v", src, err)
			continue
		}
		if formatterGap(e) != "" {
			continue
		}
		checked++
		checkRoundTrip(t, src, e)
	}
	if checked < n/2 {
		t.Errorf("only %d of %d generated expressions were checked", checked, n)
	}
	t.Logf("round-tripped %d of %d generated expressions", checked, n)
}

// TestFormatRoundTripCorpus round-trips every expression of the datadriven
// files and of the conformance statements.
func TestFormatRoundTripCorpus(t *testing.T) {
	var exprs []ast.Expr
	var srcs []string
	add := func(src string, stmts []ast.Statement) {
		for _, st := range stmts {
			for _, e := range statementExprs(st) {
				exprs = append(exprs, e)
				srcs = append(srcs, src)
			}
		}
	}
	files, _ := filepath.Glob(filepath.Join(conformanceDir, "*.json"))
	for _, st := range conformanceStatements(t, files) {
		if stmts, err := Parse(st); err == nil {
			add(st, stmts)
		}
	}
	tds, _ := filepath.Glob("testdata/parser/*")
	for _, f := range tds {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range datadrivenInputs(string(data), "expr") {
			if e, err := ParseExpr(in); err == nil {
				exprs = append(exprs, e)
				srcs = append(srcs, in)
			}
		}
		for _, in := range datadrivenInputs(string(data), "parse") {
			if stmts, err := Parse(in); err == nil {
				add(in, stmts)
			}
		}
	}
	checked, gaps := 0, map[string]int{}
	for i, e := range exprs {
		if gap := formatterGap(e); gap != "" {
			gaps[gap]++
			continue
		}
		checked++
		checkRoundTrip(t, srcs[i], e)
	}
	t.Logf("round-tripped %d expressions; skipped for formatter limits: %v", checked, gaps)
}

// statementExprs returns the top-level expressions of a statement.
func statementExprs(st ast.Statement) []ast.Expr {
	var out []ast.Expr
	var sel func(s *ast.Select)
	var rel func(r ast.Relation)
	rel = func(r ast.Relation) {
		if j, ok := r.(*ast.Join); ok {
			rel(j.Left)
			rel(j.Right)
			out = append(out, j.On)
		}
	}
	sel = func(s *ast.Select) {
		if s == nil {
			return
		}
		for _, it := range s.Items {
			if it.Expr != nil {
				out = append(out, it.Expr)
			}
		}
		rel(s.From)
		for _, e := range []ast.Expr{s.Where, s.Having} {
			if e != nil {
				out = append(out, e)
			}
		}
		out = append(out, s.GroupBy...)
		out = append(out, s.PartitionBy...)
	}
	switch s := st.(type) {
	case *ast.Query:
		sel(s.Select)
	case *ast.CreateAsSelect:
		sel(s.Query)
	case *ast.InsertInto:
		sel(s.Query)
	case *ast.InsertValues:
		out = append(out, s.Values...)
	case *ast.Explain:
		if s.Statement != nil {
			out = append(out, statementExprs(s.Statement)...)
		}
	}
	return out
}

// datadrivenInputs extracts the inputs of a directive from a datadriven file.
func datadrivenInputs(file, directive string) []string {
	var out []string
	lines := strings.Split(file, "\n")
	for i := 0; i < len(lines); i++ {
		f := strings.Fields(lines[i])
		if len(f) == 0 || f[0] != directive {
			continue
		}
		var in []string
		for i++; i < len(lines) && lines[i] != "----"; i++ {
			in = append(in, lines[i])
		}
		out = append(out, strings.Join(in, "\n"))
	}
	return out
}
