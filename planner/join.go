package planner

import (
	"fmt"
	"strings"

	"github.com/ksqlgo/ksql/catalog"
	"github.com/ksqlgo/ksql/sql/ast"
)

// Joins are not executed yet (docs/design-joins.md is the plan). What is
// here already refuses the joins ksqlDB refuses for their shape alone, with
// ksqlDB's messages, before the common "not supported yet": a source that
// does not exist, a source used twice, KAFKA value formats, windowed with
// non-windowed or session with time-windowed sources, table-stream order,
// FULL OUTER stream-table joins, and WITHIN where it is required or
// forbidden.

// joinSide is a source of a join tree, in FROM order.
type joinSide struct {
	src  *catalog.Source
	name string // the source's name
}

// checkJoin validates the join tree rel (left-deep: each JOIN adds one
// source on the right) and reports that joins are not supported yet.
func (qp *queryPlanner) checkJoin(j *ast.Join) error {
	var sides []joinSide
	var joins []*ast.Join
	var walk func(r ast.Relation) error
	walk = func(r ast.Relation) error {
		switch x := r.(type) {
		case *ast.SourceRef:
			src, ok := qp.cat.Source(x.Name.Name)
			if !ok {
				return errorf(x.Name.At, "%s does not exist.", x.Name.Name)
			}
			sides = append(sides, joinSide{src: src, name: src.Name})
		case *ast.Join:
			if err := walk(x.Left); err != nil {
				return err
			}
			if err := walk(x.Right); err != nil {
				return err
			}
			joins = append(joins, x)
		}
		return nil
	}
	if err := walk(j); err != nil {
		return err
	}
	// Self joins.
	for i := range sides {
		for k := i + 1; k < len(sides); k++ {
			if sides[i].name == sides[k].name {
				if len(sides) == 2 {
					return errorf(j.At, "Can not join '%s' to '%s': self joins are not yet supported.", sides[i].name, sides[k].name)
				}
				return errorf(j.At, "N-way joins do not support multiple occurrences of the same source. Source: '%s'.", sides[i].name)
			}
		}
	}
	// KAFKA value formats.
	var kafka []string
	for _, s := range sides {
		if strings.EqualFold(s.src.ValueFormat.Name, "KAFKA") {
			kafka = append(kafka, s.name)
		}
	}
	if len(kafka) > 0 {
		return errorf(j.At, "Source(s) %s are using the 'KAFKA' value format. This format does not yet support JOIN.\n"+
			"See https://github.com/confluentinc/ksql/issues/4385.", strings.Join(kafka, ", "))
	}
	// Windowing: both sides windowed or neither, sessions only with
	// sessions.
	for i, jn := range joins {
		left, right := sides[0], sides[i+1]
		lw, rw := left.src.Window.Type, right.src.Window.Type
		if (lw == catalog.NoWindow) != (rw == catalog.NoWindow) {
			desc := func(s joinSide) string {
				if s.src.Window.Type == catalog.NoWindow {
					return fmt.Sprintf("`%s` is not windowed", s.name)
				}
				return fmt.Sprintf("`%s` is %s windowed", s.name, s.src.Window.Type)
			}
			return errorf(jn.At, "Can not join windowed source to non-windowed source.\n%s\n%s", desc(left), desc(right))
		}
		if lw != catalog.NoWindow && (lw == catalog.SessionWindow) != (rw == catalog.SessionWindow) {
			return errorf(jn.At, "Incompatible windowed sources.\nLeft source: %s\nRight source: %s\n"+
				"Session windowed sources can only be joined to other session windowed sources, and may still not result in expected behaviour as session bounds must be an exact match for the join to work\n"+
				"Hopping and tumbling windowed sources can only be joined to other hopping and tumbling windowed sources", lw, rw)
		}
	}
	// Join order and types: the result of a node is a table only if both
	// its inputs are.
	leftTable := sides[0].src.Kind == ast.Table
	leftName := sides[0].name
	for i, jn := range joins {
		right := sides[i+1]
		rightTable := right.src.Kind == ast.Table
		switch {
		case leftTable && !rightTable:
			return errorf(jn.At, "Invalid join order: table-stream joins are not supported; only stream-table joins. Got %s %s %s.", leftName, joinTypeText(jn.Type), right.name)
		case !leftTable && rightTable && jn.Type == ast.FullJoin:
			return errorf(jn.At, "Invalid join type: full-outer join not supported for stream-table join. Got %s %s %s.", leftName, joinTypeText(jn.Type), right.name)
		case !leftTable && !rightTable && jn.Within == nil:
			return errorf(jn.At, "Stream-Stream joins must have a WITHIN clause specified. None was provided. "+
				"To learn about how to specify a WITHIN clause with a stream-stream join, please visit: "+
				"https://docs.confluent.io/current/ksql/docs/syntax-reference.html#create-stream-as-select")
		case !leftTable && rightTable && jn.Within != nil:
			return errorf(jn.At, "A window definition was provided for a Stream-Table join. These joins are not windowed. "+
				"Please drop the window definition (ie. the WITHIN clause) and try to execute your join again.")
		case leftTable && rightTable && jn.Within != nil:
			return errorf(jn.At, "A window definition was provided for a Table-Table join. These joins are not windowed. "+
				"Please drop the window definition (i.e. the WITHIN clause) and try to execute your Table-Table join again.")
		}
		leftTable = leftTable && rightTable
		leftName = right.name
	}
	return errorf(j.At, "JOIN is not supported yet.")
}

// joinTypeText is a join type as ksqlDB prints it in messages.
func joinTypeText(t ast.JoinType) string {
	return [...]string{"[INNER] JOIN", "LEFT [OUTER] JOIN", "RIGHT [OUTER] JOIN", "[FULL] OUTER JOIN"}[t]
}
