package sql

import (
	"fmt"
	"strings"

	"github.com/ksqlgo/ksql/sql/ast"
)

// dumper renders statements and expressions as an indented tree, one node
// per line, for the datadriven tests. With pos unset it leaves positions
// out, so that two trees can be compared for shape and content only.
type dumper struct {
	b   strings.Builder
	pos bool
}

func (d *dumper) line(depth int, at ast.Pos, format string, args ...any) {
	d.b.WriteString(strings.Repeat("  ", depth))
	fmt.Fprintf(&d.b, format, args...)
	if d.pos && at.IsValid() {
		fmt.Fprintf(&d.b, " @%s", at)
	}
	d.b.WriteByte('\n')
}

func dumpStatement(st ast.Statement) string {
	d := &dumper{pos: true}
	d.stmt(0, st)
	return d.b.String()
}

func dumpExpr(e ast.Expr, pos bool) string {
	d := &dumper{pos: pos}
	d.expr(0, e)
	return d.b.String()
}

func flags(pairs ...any) string {
	var parts []string
	for i := 0; i < len(pairs); i += 2 {
		if pairs[i+1].(bool) {
			parts = append(parts, pairs[i].(string))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return " " + strings.Join(parts, " ")
}

func ident(i ast.Ident) string { return fmt.Sprintf("%q", i.Name) }

func (d *dumper) stmt(n int, st ast.Statement) {
	switch s := st.(type) {
	case *ast.CreateSource:
		d.line(n, s.At, "CreateSource %s %s%s", s.Kind, ident(s.Name),
			flags("OR_REPLACE", s.OrReplace, "SOURCE", s.IsSource, "IF_NOT_EXISTS", s.IfNotExists))
		for _, el := range s.Elements {
			c := ""
			switch el.Constraint {
			case ast.KeyConstraint:
				c = " KEY"
			case ast.PrimaryKeyConstraint:
				c = " PRIMARY KEY"
			case ast.HeadersConstraint:
				c = " HEADERS"
			case ast.HeaderConstraint:
				c = fmt.Sprintf(" HEADER(%q)", el.HeaderKey)
			}
			d.line(n+1, el.Name.At, "Column %s %s%s", ident(el.Name), el.Type.SQLString(), c)
		}
		d.props(n+1, s.Props)
	case *ast.CreateAsSelect:
		d.line(n, s.At, "CreateAsSelect %s %s%s", s.Kind, ident(s.Name),
			flags("OR_REPLACE", s.OrReplace, "IF_NOT_EXISTS", s.IfNotExists))
		d.props(n+1, s.Props)
		d.sel(n+1, s.Query)
	case *ast.InsertInto:
		d.line(n, s.At, "InsertInto %s", ident(s.Target))
		d.props(n+1, s.Props)
		d.sel(n+1, s.Query)
	case *ast.InsertValues:
		d.line(n, s.At, "InsertValues %s", ident(s.Target))
		for _, c := range s.Columns {
			d.line(n+1, c.At, "Column %s", ident(c))
		}
		for _, v := range s.Values {
			d.line(n+1, ast.Pos{}, "Value")
			d.expr(n+2, v)
		}
	case *ast.Query:
		d.line(n, s.At, "Query")
		d.sel(n+1, s.Select)
	case *ast.Show:
		what := [...]string{"STREAMS", "TABLES", "QUERIES", "TOPICS", "ALL TOPICS", "PROPERTIES",
			"FUNCTIONS", "TYPES", "VARIABLES", "CONNECTORS"}[s.What]
		d.line(n, s.At, "Show %s%s", what, flags("EXTENDED", s.Extended))
	case *ast.Describe:
		switch {
		case s.AllStreams:
			d.line(n, s.At, "Describe STREAMS%s", flags("EXTENDED", s.Extended))
		case s.AllTables:
			d.line(n, s.At, "Describe TABLES%s", flags("EXTENDED", s.Extended))
		case s.Function:
			d.line(n, s.At, "Describe FUNCTION %s", ident(s.Name))
		default:
			d.line(n, s.At, "Describe %s%s", ident(s.Name), flags("EXTENDED", s.Extended))
		}
	case *ast.Drop:
		d.line(n, s.At, "Drop %s %s%s", s.Kind, ident(s.Name),
			flags("IF_EXISTS", s.IfExists, "DELETE_TOPIC", s.DeleteTopic))
	case *ast.Terminate:
		if s.All {
			d.line(n, s.At, "Terminate ALL")
		} else {
			d.line(n, s.At, "Terminate %s", ident(s.QueryID))
		}
	case *ast.SetProperty:
		d.line(n, s.At, "Set %q = %q", s.Name, s.Value)
	case *ast.UnsetProperty:
		d.line(n, s.At, "Unset %q", s.Name)
	case *ast.Define:
		d.line(n, s.At, "Define %q = %q", s.Name, s.Value)
	case *ast.Undefine:
		d.line(n, s.At, "Undefine %q", s.Name)
	case *ast.Explain:
		if s.Statement == nil {
			d.line(n, s.At, "Explain %s", ident(s.QueryID))
			return
		}
		d.line(n, s.At, "Explain")
		d.line(n+1, ast.Pos{}, "Source %q", s.Statement.Text())
		d.stmt(n+1, s.Statement)
	case *ast.Print:
		d.line(n, s.At, "Print %q interval=%d limit=%d%s", s.Topic, s.Interval, s.Limit,
			flags("FROM_BEGINNING", s.FromBeginning))
	case *ast.CreateType:
		d.line(n, s.At, "CreateType %s %s%s", ident(s.Name), s.Type.SQLString(),
			flags("IF_NOT_EXISTS", s.IfNotExists))
	case *ast.DropType:
		d.line(n, s.At, "DropType %s%s", ident(s.Name), flags("IF_EXISTS", s.IfExists))
	default:
		d.line(n, st.Position(), "?%T", st)
	}
}

func (d *dumper) props(n int, ps ast.Properties) {
	for _, p := range ps {
		d.line(n, p.At, "Property %s = %s %s", p.Name, ast.FormatLiteral(p.Value.Value, p.Value.Type), p.Value.Type)
	}
}

func (d *dumper) sel(n int, s *ast.Select) {
	if s == nil {
		d.line(n, ast.Pos{}, "<nil select>")
		return
	}
	emit := [...]string{"", " EMIT CHANGES", " EMIT FINAL"}[s.Emit]
	limit := ""
	if s.Limit != nil {
		limit = fmt.Sprintf(" LIMIT %d", *s.Limit)
	}
	d.line(n, s.At, "Select%s%s", emit, limit)
	for _, it := range s.Items {
		switch {
		case it.Star && it.StarSource != "":
			d.line(n+1, it.At, "Item %q.*", it.StarSource)
		case it.Star:
			d.line(n+1, it.At, "Item *")
		case it.StructStar:
			d.line(n+1, it.At, "Item ->*")
			d.expr(n+2, it.Expr)
		default:
			alias := ""
			if it.Alias.Name != "" {
				alias = " AS " + ident(it.Alias)
			}
			d.line(n+1, it.At, "Item%s", alias)
			d.expr(n+2, it.Expr)
		}
	}
	d.line(n+1, ast.Pos{}, "From")
	d.relation(n+2, s.From)
	if w := s.Window; w != nil {
		extra := ""
		if w.Kind == ast.Hopping {
			extra += " ADVANCE BY " + d.duration(w.Advance)
		}
		if w.Retention != nil {
			extra += " RETENTION " + d.duration(*w.Retention)
		}
		if w.Grace != nil {
			extra += " GRACE PERIOD " + d.duration(*w.Grace)
		}
		d.line(n+1, w.At, "Window %s SIZE %s%s", w.Kind, d.duration(w.Size), extra)
	}
	if s.Where != nil {
		d.line(n+1, ast.Pos{}, "Where")
		d.expr(n+2, s.Where)
	}
	if s.GroupBy != nil {
		d.line(n+1, ast.Pos{}, "GroupBy (%d)", len(s.GroupBy))
		for _, e := range s.GroupBy {
			d.expr(n+2, e)
		}
	}
	if s.PartitionBy != nil {
		d.line(n+1, ast.Pos{}, "PartitionBy (%d)", len(s.PartitionBy))
		for _, e := range s.PartitionBy {
			d.expr(n+2, e)
		}
	}
	if s.Having != nil {
		d.line(n+1, ast.Pos{}, "Having")
		d.expr(n+2, s.Having)
	}
}

func (d *dumper) duration(x ast.Duration) string {
	if d.pos {
		return fmt.Sprintf("%s@%s", x, x.At)
	}
	return x.String()
}

func (d *dumper) relation(n int, r ast.Relation) {
	switch r := r.(type) {
	case *ast.SourceRef:
		alias := ""
		if r.Alias.Name != "" {
			alias = " AS " + ident(r.Alias)
		}
		d.line(n, r.Position(), "Source %s%s", ident(r.Name), alias)
	case *ast.Join:
		within := ""
		if w := r.Within; w != nil {
			within = fmt.Sprintf(" WITHIN (%s, %s)", d.duration(w.Before), d.duration(w.After))
			if w.Grace != nil {
				within += " GRACE PERIOD " + d.duration(*w.Grace)
			}
		}
		d.line(n, r.At, "Join %s%s", r.Type, within)
		d.relation(n+1, r.Left)
		d.relation(n+1, r.Right)
		d.line(n+1, ast.Pos{}, "On")
		d.expr(n+2, r.On)
	case nil:
		d.line(n, ast.Pos{}, "<nil relation>")
	default:
		d.line(n, ast.Pos{}, "?%T", r)
	}
}

func (d *dumper) expr(n int, e ast.Expr) {
	switch x := e.(type) {
	case nil:
		d.line(n, ast.Pos{}, "<nil>")
	case *ast.Literal:
		d.line(n, x.At, "Literal %s %s", x.Type, ast.FormatLiteral(x.Value, x.Type))
	case *ast.ColumnRef:
		if x.Source != "" {
			d.line(n, x.At, "Column %q.%q", x.Source, x.Name)
		} else {
			d.line(n, x.At, "Column %q", x.Name)
		}
	case *ast.Dereference:
		d.line(n, x.At, "Dereference ->%q", x.Field)
		d.expr(n+1, x.Base)
	case *ast.Subscript:
		d.line(n, x.At, "Subscript")
		d.expr(n+1, x.Base)
		d.expr(n+1, x.Index)
	case *ast.FunctionCall:
		d.line(n, x.At, "Call %s%s", x.Name, flags("(*)", x.Star, "DISTINCT", x.Distinct))
		for _, a := range x.Args {
			d.expr(n+1, a)
		}
	case *ast.Binary:
		d.line(n, x.At, "Binary %s", x.Op)
		d.expr(n+1, x.L)
		d.expr(n+1, x.R)
	case *ast.Unary:
		d.line(n, x.At, "Unary %s", [...]string{"NOT", "-", "+"}[x.Op])
		d.expr(n+1, x.X)
	case *ast.Case:
		d.line(n, x.At, "Case")
		if x.Operand != nil {
			d.line(n+1, ast.Pos{}, "Operand")
			d.expr(n+2, x.Operand)
		}
		for _, w := range x.Whens {
			d.line(n+1, ast.Pos{}, "When")
			d.expr(n+2, w.Cond)
			d.line(n+1, ast.Pos{}, "Then")
			d.expr(n+2, w.Result)
		}
		if x.Else != nil {
			d.line(n+1, ast.Pos{}, "Else")
			d.expr(n+2, x.Else)
		}
	case *ast.Cast:
		d.line(n, x.At, "Cast AS %s", x.To.SQLString())
		d.expr(n+1, x.X)
	case *ast.Between:
		d.line(n, x.At, "Between%s", flags("NOT", x.Not))
		d.expr(n+1, x.X)
		d.expr(n+1, x.Lo)
		d.expr(n+1, x.Hi)
	case *ast.InList:
		d.line(n, x.At, "In%s", flags("NOT", x.Not))
		d.expr(n+1, x.X)
		for _, a := range x.List {
			d.expr(n+1, a)
		}
	case *ast.Like:
		d.line(n, x.At, "Like%s", flags("NOT", x.Not))
		d.expr(n+1, x.X)
		d.expr(n+1, x.Pattern)
		if x.Escape != nil {
			d.line(n+1, ast.Pos{}, "Escape")
			d.expr(n+2, x.Escape)
		}
	case *ast.IsNull:
		d.line(n, x.At, "IsNull%s", flags("NOT", x.Not))
		d.expr(n+1, x.X)
	case *ast.ArrayCtor:
		d.line(n, x.At, "Array")
		for _, a := range x.Elems {
			d.expr(n+1, a)
		}
	case *ast.MapCtor:
		d.line(n, x.At, "Map")
		for i := range x.Keys {
			d.line(n+1, ast.Pos{}, "Entry")
			d.expr(n+2, x.Keys[i])
			d.expr(n+2, x.Vals[i])
		}
	case *ast.StructCtor:
		d.line(n, x.At, "Struct")
		for i := range x.Names {
			d.line(n+1, ast.Pos{}, "Field %q", x.Names[i])
			d.expr(n+2, x.Vals[i])
		}
	case *ast.Lambda:
		d.line(n, x.At, "Lambda %q", x.Params)
		d.expr(n+1, x.Body)
	case *ast.IntervalUnit:
		d.line(n, x.At, "Unit %s", x.Unit)
	default:
		d.line(n, e.Position(), "?%T", e)
	}
}
