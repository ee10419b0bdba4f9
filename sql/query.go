package sql

import (
	"github.com/ksqlgo/ksql/sql/ast"
)

// query parses
//
//	SELECT items FROM relation [WINDOW window] [WHERE e] [GROUP BY ...]
//	  [PARTITION BY ...] [HAVING e] [EMIT CHANGES|FINAL] [LIMIT n]
func (p *parser) query() *ast.Select {
	sel := &ast.Select{At: p.expectKw("SELECT").pos}
	for {
		p.selectItem(sel)
		if p.err != nil || !p.acceptOp(",") {
			break
		}
	}
	if !p.acceptKw("FROM") {
		p.expectSet("{',', 'FROM'}", "FROM")
		return sel
	}
	sel.From = p.relation()
	if p.acceptKw("WINDOW") {
		sel.Window = p.window()
	}
	if p.acceptKw("WHERE") {
		p.exprInto(levelExpr, func(e ast.Expr) { sel.Where = e })
	}
	if p.acceptKw("GROUP") {
		p.expectKw("BY")
		sel.GroupBy = p.grouping(func(i int, e ast.Expr) { sel.GroupBy[i] = e })
	}
	if p.isKw("PARTITION") && p.isKwAt(1, "BY") {
		p.advance()
		p.advance()
		sel.PartitionBy = p.grouping(func(i int, e ast.Expr) { sel.PartitionBy[i] = e })
	}
	if p.acceptKw("HAVING") {
		p.exprInto(levelExpr, func(e ast.Expr) { sel.Having = e })
	}
	if p.acceptKw("EMIT") {
		switch {
		case p.acceptKw("CHANGES"):
			sel.Emit = ast.EmitChanges
		case p.acceptKw("FINAL"):
			sel.Emit = ast.EmitFinal
		default:
			p.mismatch("{'CHANGES', 'FINAL'}")
		}
	}
	if p.acceptKw("LIMIT") {
		n, _ := p.integer("LIMIT")
		sel.Limit = &n
	}
	return sel
}

// expectSet fails at the current token, which should have been one of a
// set; one is the keyword or operator that alone would be "extraneous".
func (p *parser) expectSet(set, one string) {
	t := p.peek(0)
	if n := p.peek(1); t.kind != tEOF && (isKwTok(n, one) || isOpTok(n, one)) {
		p.fail(t.pos, "extraneous input %s expecting %s", p.desc(t), set)
		return
	}
	p.mismatch(set)
}

// selectItem parses "*", "src.*", "expr->*" or "expr [[AS] alias]".
func (p *parser) selectItem(sel *ast.Select) {
	t := p.peek(0)
	sel.Items = append(sel.Items, ast.SelectItem{At: t.pos})
	i := len(sel.Items) - 1
	item := &sel.Items[i]
	switch {
	case p.acceptOp("*"):
		item.Star = true
		return
	case identOK(t) && p.isOpAt(1, ".") && p.isOpAt(2, "*"):
		p.advance()
		p.advance()
		p.advance()
		item.Star, item.StarSource = true, t.text
		return
	}
	primary := p.exprInto(levelExpr, func(e ast.Expr) { sel.Items[i].Expr = e })
	item = &sel.Items[i]
	if p.isOp("->") && p.isOpAt(1, "*") {
		arrow := p.peek(0)
		if !primary {
			p.fail(arrow.pos, "'->*' must follow a column or a primary expression; "+
				"wrap the expression in parentheses")
			return
		}
		p.advance()
		p.advance()
		item.StructStar = true
		return
	}
	if p.acceptKw("AS") || identOK(p.peek(0)) {
		item.Alias = p.ident()
	}
}

// relation parses a source and its joins into a left-deep tree.
func (p *parser) relation() ast.Relation {
	var rel ast.Relation = p.aliasedRelation()
	for p.err == nil {
		typ, ok := p.joinType()
		if !ok {
			break
		}
		j := &ast.Join{Type: typ, Left: rel, At: p.expectKw("JOIN").pos}
		j.Right = p.aliasedRelation()
		if p.acceptKw("WITHIN") {
			j.Within = p.within()
		}
		p.expectKw("ON")
		p.exprInto(levelExpr, func(e ast.Expr) { j.On = e })
		rel = j
	}
	return rel
}

// joinType consumes the words before JOIN, if a join follows.
func (p *parser) joinType() (ast.JoinType, bool) {
	var typ ast.JoinType
	switch {
	case p.isKw("JOIN"):
		return ast.InnerJoin, true
	case p.acceptKw("INNER"):
		return ast.InnerJoin, true
	case p.acceptKw("LEFT"):
		typ = ast.LeftJoin
	case p.acceptKw("RIGHT"):
		typ = ast.RightJoin
	case p.acceptKw("FULL"):
		typ = ast.FullJoin
	default:
		return 0, false
	}
	p.acceptKw("OUTER")
	return typ, true
}

// aliasedRelation parses "name [[AS] alias]". A bare non-reserved word is
// an alias unless it starts the next clause (EMIT CHANGES, PARTITION BY).
func (p *parser) aliasedRelation() *ast.SourceRef {
	ref := &ast.SourceRef{Name: p.ident()}
	switch {
	case p.acceptKw("AS"):
		ref.Alias = p.ident()
	case identOK(p.peek(0)) && !p.clauseAhead():
		ref.Alias = p.ident()
	}
	return ref
}

func (p *parser) clauseAhead() bool {
	return p.isKw("EMIT") && (p.isKwAt(1, "CHANGES") || p.isKwAt(1, "FINAL")) ||
		p.isKw("PARTITION") && p.isKwAt(1, "BY")
}

// within parses "(n unit, n unit) [GRACE PERIOD n unit]" or
// "n unit [GRACE PERIOD n unit]".
func (p *parser) within() *ast.Within {
	w := &ast.Within{}
	if p.acceptOp("(") {
		w.Before = p.duration()
		p.expectOp(",")
		w.After = p.duration()
		p.expectOp(")")
	} else {
		w.Before = p.duration()
		w.After = w.Before
	}
	if p.acceptKw("GRACE") {
		p.expectKw("PERIOD")
		d := p.duration()
		w.Grace = &d
	}
	return w
}

// duration parses "n UNIT".
func (p *parser) duration() ast.Duration {
	v, at := p.integer("duration")
	t := p.peek(0)
	unit, ok := timeUnits[t.text]
	if t.kind != tWord || t.fromVar || !ok {
		p.mismatch("a time unit (MILLISECONDS, SECONDS, MINUTES, HOURS or DAYS)")
		return ast.Duration{At: at}
	}
	p.advance()
	return ast.Duration{Value: v, Unit: unit, At: at}
}

// window parses the WINDOW clause, after the WINDOW keyword. A window name
// before the window type is accepted and ignored, as in ksqlDB.
func (p *parser) window() *ast.Window {
	if t := p.peek(0); t.kind == tWord && !t.fromVar && !keywords[t.text] &&
		(p.isKwAt(1, "TUMBLING") || p.isKwAt(1, "HOPPING") || p.isKwAt(1, "SESSION")) {
		p.advance()
	}
	t := p.peek(0)
	w := &ast.Window{At: t.pos}
	switch {
	case p.acceptKw("TUMBLING"):
		w.Kind = ast.Tumbling
		p.expectOp("(")
		p.expectKw("SIZE")
		w.Size = p.duration()
	case p.acceptKw("HOPPING"):
		w.Kind = ast.Hopping
		p.expectOp("(")
		p.expectKw("SIZE")
		w.Size = p.duration()
		p.expectOp(",")
		p.expectKw("ADVANCE")
		p.expectKw("BY")
		w.Advance = p.duration()
	case p.acceptKw("SESSION"):
		w.Kind = ast.Session
		p.expectOp("(")
		w.Size = p.duration()
	default:
		p.mismatch("{'TUMBLING', 'HOPPING', 'SESSION'}")
		return w
	}
	for p.err == nil && p.acceptOp(",") {
		switch {
		case w.Retention == nil && w.Grace == nil && p.acceptKw("RETENTION"):
			d := p.duration()
			w.Retention = &d
		case w.Grace == nil && p.acceptKw("GRACE"):
			p.expectKw("PERIOD")
			d := p.duration()
			w.Grace = &d
		case w.Grace == nil:
			p.mismatch("{'RETENTION', 'GRACE'}")
		default:
			p.mismatch("')'")
		}
	}
	p.expectOp(")")
	return w
}

// grouping parses the list of GROUP BY or PARTITION BY: value expressions,
// or a parenthesised, possibly empty, list of them. set stores the i-th
// expression once it is converted.
func (p *parser) grouping(set func(int, ast.Expr)) []ast.Expr {
	list := []ast.Expr{}
	parenthesised := p.isOp("(") && p.parenListAhead()
	if parenthesised {
		p.advance()
		if p.acceptOp(")") {
			return list
		}
	}
	for {
		list = append(list, nil)
		i := len(list) - 1
		p.exprInto(levelValue, func(e ast.Expr) { set(i, e) })
		if p.err != nil || !p.acceptOp(",") {
			break
		}
	}
	if parenthesised {
		p.expectOp(")")
	}
	return list
}

// parenListAhead reports whether the '(' at the current token opens a
// parenthesised list rather than a parenthesised expression: it does when
// the parentheses are empty or hold a top-level comma, and nothing after the
// ')' continues an expression.
func (p *parser) parenListAhead() bool {
	depth, comma := 0, false
	for k := 0; ; k++ {
		t := p.peek(k)
		switch {
		case t.kind == tEOF || t.kind == tIllegal:
			return false
		case t.kind != tOp:
		case t.text == "," && depth == 1:
			comma = true
		case t.text == "(" || t.text == "[":
			depth++
		case t.text == ")" || t.text == "]":
			depth--
			if depth > 0 {
				continue
			}
			if k > 1 && !comma {
				return false
			}
			if n := p.peek(k + 1); n.kind == tOp {
				switch n.text {
				case ",", "+", "-", "*", "/", "%", "||", "->", "[":
					return false
				}
			}
			return true
		}
	}
}
