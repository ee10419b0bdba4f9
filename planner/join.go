package planner

import (
	"fmt"
	"strings"

	"github.com/ksqlgo/ksql/catalog"
	"github.com/ksqlgo/ksql/sql/ast"
	"github.com/ksqlgo/ksql/sql/types"
)

// Joins (docs/design-joins.md is the specification). planJoin analyses
// the FROM clause's join tree as ksqlDB's Analyzer, JoinTree and
// LogicalPlanner do, with their messages, and plans the stages up to and
// including the joins. It then leaves the planner looking at the joined
// row as if it were one source (qp.src, qp.in, qp.scope), so that the
// projection and aggregation planners run on it unchanged:
//
//   - every column C of a source with alias A is the value column A_C of
//     the joined row (key columns too, and A's ROWTIME, ROWPARTITION,
//     ROWOFFSET and window bounds); SELECT and WHERE reach it as A.C, or
//     as C when no other source has a column C;
//   - the joined row's one key column is the join key, named after a
//     viable key column (a join side that is a plain column reference,
//     A_C) or, when there is none, the synthetic ROWKEY (ROWKEY_n when a
//     source has a column ROWKEY);
//   - the joined row's ROWTIME is the result's timestamp.
//
// The join tree is left-deep: the FROM source is the first leaf and each
// JOIN adds one source on the right. A side whose join expression is not
// its key column is rekeyed through a repartition topic first (a stage of
// its own), and so is a join result when the next join's expression is
// not its key; joins over one key run in one stage, one task per
// partition reading every source. A foreign-key join (a table joined on an
// expression other than its key to another table's key) is always the
// first join; its right half runs in a stage of its own (fkRightHalf).

// joinLeaf is a source of a join tree.
type joinLeaf struct {
	src   *catalog.Source
	alias string
	in    Input
	scope *Scope // over the source's own input row
	// cols are the source's key then value columns, then its pseudo
	// columns, as they appear in the joined row (A_C).
	cols []ScopeColumn
	// slot is where cols[0] sits in the joined row (set by the planner).
	slot int
}

// joinStep is one JOIN: the tree so far (left) joined with leaf right.
type joinStep struct {
	j          *ast.Join
	kind       JoinKind
	typ        JoinType
	right      int      // leaf index
	leftExpr   ast.Expr // the criteria, flipped so that rightExpr is over the new source
	rightExpr  ast.Expr
	leftLeaves []int // leaves the left expression references (one)
	// viable are the key columns this join's key may be named after, in
	// ksqlDB's order (JoinTree.viableKeyColumns); equiv are the
	// expressions (qualified text) the key is known to equal.
	viable []viableCol
	equiv  map[string]bool
}

// viableCol is a join side that is a plain column reference.
type viableCol struct {
	leaf int
	name string
}

func (v viableCol) qualified(leaves []*joinLeaf) string { return leaves[v.leaf].alias + "." + v.name }
func (v viableCol) internal(leaves []*joinLeaf) string  { return leaves[v.leaf].alias + "_" + v.name }

// joinPlan is what planJoin leaves for the projection and aggregation
// planners.
type joinPlan struct {
	leaves []*joinLeaf
	steps  []*joinStep
	// pre are the stages before the join stage (rekeying sides); head is
	// the join stage, its Ops ending with the last Join.
	pre  []*Stage
	head *Stage
	// key is the key of the joined row; keyItem the SELECT item that
	// carries it (-1: none yet).
	key       viableCol
	synthetic bool
	keyName   string // internal name of the key column
	keyType   *types.Type
	viable    []viableCol
	// fk is set for a foreign-key join (the first join; the result is
	// keyed by the left table's key columns, fkKeys).
	fk     bool
	fkKeys []viableCol
	// clash holds the column names that several sources have: a SELECT
	// item that is such a column is named A_C instead of C.
	clash map[string]bool
}

// planJoin analyses and plans the join tree j.
func (qp *queryPlanner) planJoin(j *ast.Join) error {
	leaves, steps, err := qp.joinTree(j)
	if err != nil {
		return err
	}
	jp := &joinPlan{leaves: leaves, steps: steps, clash: map[string]bool{}}
	qp.join = jp
	if err := qp.checkJoinShape(j, jp); err != nil {
		return err
	}
	if err := qp.joinCriteria(jp); err != nil {
		return err
	}
	if err := qp.checkJoinTypes(jp); err != nil {
		return err
	}
	if err := qp.chooseJoinKey(jp); err != nil {
		return err
	}
	return qp.planJoinStages(jp)
}

// joinTree collects the leaves and joins of a left-deep join tree and
// resolves each source.
func (qp *queryPlanner) joinTree(j *ast.Join) ([]*joinLeaf, []*joinStep, error) {
	var leaves []*joinLeaf
	var steps []*joinStep
	var walk func(r ast.Relation) error
	walk = func(r ast.Relation) error {
		switch x := r.(type) {
		case *ast.SourceRef:
			src, ok := qp.cat.Source(x.Name.Name)
			if !ok {
				return errorf(x.Name.At, "%s does not exist.", x.Name.Name)
			}
			alias := src.Name
			if x.Alias.Name != "" {
				alias = x.Alias.Name
			}
			in, scope := sourceInput(src, alias)
			leaf := &joinLeaf{src: src, alias: alias, in: in, scope: scope}
			for _, c := range scope.Cols {
				c.Internal = alias + "_" + c.Name
				c.QualOnly = c.Pseudo
				leaf.cols = append(leaf.cols, c)
			}
			leaves = append(leaves, leaf)
		case *ast.Join:
			if err := walk(x.Left); err != nil {
				return err
			}
			if _, ok := x.Right.(*ast.SourceRef); !ok {
				return errorf(x.At, "JOIN of a join is not supported: join one source at a time.")
			}
			if err := walk(x.Right); err != nil {
				return err
			}
			steps = append(steps, &joinStep{j: x, typ: JoinType(x.Type), right: len(leaves) - 1})
		}
		return nil
	}
	return leaves, steps, walk(j)
}

// sourceInput describes a catalog source as a stage input, and the scope
// of its input row ([key..., value..., ROWTIME, ROWPARTITION, ROWOFFSET,
// (WINDOWSTART, WINDOWEND)]) with columns qualified by alias.
func sourceInput(src *catalog.Source, alias string) (Input, *Scope) {
	in := Input{
		Topic: Topic{
			Name:        src.Topic,
			Partitions:  src.Partitions,
			KeyFormat:   src.KeyFormat,
			ValueFormat: src.ValueFormat,
			Key:         src.Schema.Key(),
			Value:       src.Schema.Value(),
			Window:      src.Window,
		},
		Table:           src.Kind == ast.Table,
		TimestampColumn: -1,
		TimestampFormat: src.TimestampFormat,
		Windowed:        src.IsWindowed(),
		SourceName:      src.Name,
	}
	scope := &Scope{}
	for _, c := range append(src.Schema.Key(), src.Schema.Value()...) {
		idx := len(scope.Cols)
		scope.Cols = append(scope.Cols, ScopeColumn{Source: alias, Name: c.Name, Type: c.Type, Index: idx})
		if src.TimestampColumn != "" && c.Name == src.TimestampColumn {
			in.TimestampColumn = idx
		}
	}
	base := len(scope.Cols)
	pseudo := []ScopeColumn{
		{Name: "ROWTIME", Type: types.BigintType},
		{Name: "ROWPARTITION", Type: types.IntegerType},
		{Name: "ROWOFFSET", Type: types.BigintType},
	}
	if src.IsWindowed() {
		pseudo = append(pseudo, ScopeColumn{Name: "WINDOWSTART", Type: types.BigintType}, ScopeColumn{Name: "WINDOWEND", Type: types.BigintType})
	}
	for i, p := range pseudo {
		p.Source, p.Index, p.Pseudo = alias, base+i, true
		scope.Cols = append(scope.Cols, p)
	}
	return in, scope
}

// checkJoinShape refuses the joins ksqlDB refuses for their sources alone:
// a source used twice, KAFKA value formats, windowed with non-windowed
// or session with time-windowed sources.
func (qp *queryPlanner) checkJoinShape(j *ast.Join, jp *joinPlan) error {
	leaves := jp.leaves
	for i := range leaves {
		for k := i + 1; k < len(leaves); k++ {
			if leaves[i].src.Name == leaves[k].src.Name {
				if len(leaves) == 2 {
					return errorf(j.At, "Can not join '%s' to '%s': self joins are not yet supported.", leaves[i].src.Name, leaves[k].src.Name)
				}
				return errorf(j.At, "N-way joins do not support multiple occurrences of the same source. Source: '%s'.", leaves[i].src.Name)
			}
		}
	}
	return nil
}

// checkJoinFormats is the part of the shape checks ksqlDB makes once the
// criteria are analysed.
func (qp *queryPlanner) checkJoinFormats(jp *joinPlan) error {
	leaves := jp.leaves
	var kafka []string
	for _, l := range leaves {
		if strings.EqualFold(l.src.ValueFormat.Name, "KAFKA") {
			kafka = append(kafka, l.src.Name)
		}
	}
	if len(kafka) > 0 {
		return errorf(jp.steps[0].j.At, "Source(s) %s are using the 'KAFKA' value format. This format does not yet support JOIN.\n"+
			"See https://github.com/confluentinc/ksql/issues/4385.", strings.Join(kafka, ", "))
	}
	for _, st := range jp.steps {
		left, right := leaves[0], leaves[st.right]
		lw, rw := left.src.Window.Type, right.src.Window.Type
		if (lw == catalog.NoWindow) != (rw == catalog.NoWindow) {
			desc := func(l *joinLeaf) string {
				if l.src.Window.Type == catalog.NoWindow {
					return fmt.Sprintf("`%s` is not windowed", l.src.Name)
				}
				return fmt.Sprintf("`%s` is %s windowed", l.src.Name, l.src.Window.Type)
			}
			return errorf(st.j.At, "Can not join windowed source to non-windowed source.\n%s\n%s", desc(left), desc(right))
		}
		if lw != catalog.NoWindow && (lw == catalog.SessionWindow) != (rw == catalog.SessionWindow) {
			return errorf(st.j.At, "Incompatible windowed sources.\nLeft source: %s\nRight source: %s\n"+
				"Session windowed sources can only be joined to other session windowed sources, and may still not result in expected behaviour as session bounds must be an exact match for the join to work\n"+
				"Hopping and tumbling windowed sources can only be joined to other hopping and tumbling windowed sources", lw, rw)
		}
	}
	return nil
}

// joinCriteria analyses each ON clause: one equality whose sides each
// reference exactly one source, the new source on one side (flipped to
// the right when written on the left).
func (qp *queryPlanner) joinCriteria(jp *joinPlan) error {
	for _, st := range jp.steps {
		on := st.j.On
		b, ok := on.(*ast.Binary)
		switch {
		case ok && b.Op == ast.OpAnd:
			return errorf(on.Position(), "Invalid join condition: joins on multiple conditions are not yet supported. Got %s.", ast.FormatExpr(on))
		case !ok || !b.Op.IsComparison():
			return errorf(on.Position(), "Unsupported join expression: %s", ast.FormatExpr(on))
		case b.Op != ast.OpEq:
			return errorf(on.Position(), "Only equality join criteria is supported.")
		}
		// The sources each side references, among those joined so far.
		visible := jp.leaves[:st.right+1]
		refs := func(e ast.Expr) ([]int, error) {
			var out []int
			var err error
			ast.WalkExpr(e, func(x ast.Expr) bool {
				c, ok := x.(*ast.ColumnRef)
				if !ok || err != nil {
					return err == nil
				}
				var leaf int
				if leaf, err = resolveJoinColumn(visible, c); err == nil && indexOfInt(out, leaf) < 0 {
					out = append(out, leaf)
				}
				return err == nil
			})
			return out, err
		}
		l, err := refs(b.L)
		if err != nil {
			return err
		}
		r, err := refs(b.R)
		if err != nil {
			return err
		}
		for _, side := range []struct {
			e    ast.Expr
			refs []int
		}{{b.L, l}, {b.R, r}} {
			if len(side.refs) != 1 {
				return errorf(on.Position(), "Invalid comparison expression '%s' in join '%s'. Each side of the join comparision must contain references from exactly one source.",
					ast.FormatExpr(side.e), ast.FormatExpr(on))
			}
		}
		if l[0] == r[0] {
			return errorf(on.Position(), "Each side of the join must reference exactly one source and not the same source. Left side references `%s` and right references `%s`",
				jp.leaves[l[0]].alias, jp.leaves[r[0]].alias)
		}
		st.leftExpr, st.rightExpr, st.leftLeaves = b.L, b.R, l
		if l[0] == st.right {
			st.leftExpr, st.rightExpr, st.leftLeaves = b.R, b.L, r
		} else if r[0] != st.right {
			return errorf(on.Position(), "A join criteria is expected to reference the source (%s) in the FROM clause, instead the right source references %s and the left source references %s",
				jp.leaves[st.right].alias, jp.leaves[r[0]].alias, jp.leaves[l[0]].alias)
		}
	}
	return nil
}

// resolveJoinColumn finds the source of a column reference in a join's
// ON clause.
func resolveJoinColumn(leaves []*joinLeaf, c *ast.ColumnRef) (int, error) {
	found := -1
	for i, l := range leaves {
		if c.Source != "" && c.Source != l.alias {
			continue
		}
		for _, sc := range l.cols {
			if sc.Name == c.Name && (c.Source != "" || !sc.Pseudo) {
				if found >= 0 {
					return -1, locatedf(c.At, "Column '%s' is ambiguous. Could be %s.%s or %s.%s.", c.Name, leaves[found].alias, c.Name, l.alias, c.Name)
				}
				found = i
				break
			}
		}
	}
	if found < 0 {
		name := c.Name
		if c.Source != "" {
			name = c.Source + "." + c.Name
		}
		return -1, locatedf(c.At, "JOIN ON column '%s' cannot be resolved.", name)
	}
	return found, nil
}

func indexOfInt(xs []int, x int) int {
	for i, v := range xs {
		if v == x {
			return i
		}
	}
	return -1
}

// checkJoinTypes checks each join's kind and type, WITHIN, and that
// tables are joined on their primary key.
func (qp *queryPlanner) checkJoinTypes(jp *joinPlan) error {
	if err := qp.checkJoinFormats(jp); err != nil {
		return err
	}
	leaves := jp.leaves
	leftTable := leaves[0].src.Kind == ast.Table
	leftName := leaves[0].src.Name
	for _, st := range jp.steps {
		j := st.j
		right := leaves[st.right]
		rightTable := right.src.Kind == ast.Table
		switch {
		case leftTable && !rightTable:
			return errorf(j.At, "Invalid join order: table-stream joins are not supported; only stream-table joins. Got %s %s %s.", leftName, joinTypeText(j.Type), right.src.Name)
		case !leftTable && rightTable && j.Type == ast.FullJoin:
			return errorf(j.At, "Invalid join type: full-outer join not supported for stream-table join. Got %s %s %s.", leftName, joinTypeText(j.Type), right.src.Name)
		case !leftTable && !rightTable && j.Within == nil:
			return errorf(j.At, "Stream-Stream joins must have a WITHIN clause specified. None was provided. "+
				"To learn about how to specify a WITHIN clause with a stream-stream join, please visit: "+
				"https://docs.confluent.io/current/ksql/docs/syntax-reference.html#create-stream-as-select")
		case !leftTable && rightTable && j.Within != nil:
			return errorf(j.At, "A window definition was provided for a Stream-Table join. These joins are not windowed. "+
				"Please drop the window definition (ie. the WITHIN clause) and try to execute your join again.")
		case leftTable && rightTable && j.Within != nil:
			return errorf(j.At, "A window definition was provided for a Table-Table join. These joins are not windowed. "+
				"Please drop the window definition (i.e. the WITHIN clause) and try to execute your Table-Table join again.")
		case !leftTable && rightTable && j.Type == ast.RightJoin:
			return errorf(j.At, "Invalid join type encountered: %s", joinTypeText(j.Type))
		}
		switch {
		case !leftTable && !rightTable:
			st.kind = StreamStream
		case !leftTable:
			st.kind = StreamTable
		default:
			st.kind = TableTable
		}
		// A table side must be joined on its primary key.
		rk, isKey := qp.isKeyRef(right, st.rightExpr)
		got := fmt.Sprintf("%s = %s", formatJoinSide(leaves, st.j.On.(*ast.Binary).L), formatJoinSide(leaves, st.j.On.(*ast.Binary).R))
		if rightTable && !isKey {
			if st.kind == StreamTable {
				return errorf(st.j.On.Position(), "Invalid join condition: stream-table joins require to join on the table's primary key. Got %s.", got)
			}
			return errorf(st.j.On.Position(), "Invalid join condition: table-table joins require to join on the primary key of the right input table. Got %s.", got)
		}
		if st.kind == TableTable {
			if len(st.leftLeaves) != 1 || st.leftLeaves[0] >= st.right {
				return fmt.Errorf("internal: join criteria")
			}
			lk, leftKey := qp.isKeyRef(leaves[st.leftLeaves[0]], st.leftExpr)
			if !leftKey {
				lt, err := qp.joinExprType(jp, st.leftExpr)
				if err != nil {
					return err
				}
				if !lt.Equal(rk.Type) {
					return errorf(st.j.On.Position(), "Invalid join condition: types don't match. Got %s{%s} = %s{%s}.",
						formatJoinSide(leaves, st.leftExpr), typeName(lt), formatJoinSide(leaves, st.rightExpr), typeName(rk.Type))
				}
			}
			if !leftKey || (len(jp.steps) > 1 && st.leftLeaves[0] != 0 && !jp.stepEquiv(st)) {
				if st != jp.steps[0] {
					return errorf(st.j.On.Position(), "Invalid join condition: foreign-key table-table joins are not supported as part of n-way joins. Got %s.", got)
				}
				switch st.typ {
				case FullJoin:
					return errorf(j.At, "Invalid join type: full-outer join not supported for foreign-key table-table join. Got %s %s %s.", leftName, joinTypeText(j.Type), right.src.Name)
				case RightJoin:
					return errorf(j.At, "RIGHT OUTER JOIN on a foreign key is not supported")
				}
				if right.src.IsWindowed() {
					return errorf(j.At, "Foreign-key table-table joins are not supported on windowed tables.")
				}
				st.kind = ForeignKey
				jp.fk = true
				leftTable = true
				leftName = right.src.Name
				continue
			}
			if !lk.Type.Equal(rk.Type) {
				return errorf(st.j.On.Position(), "Invalid join condition: types don't match. Got %s{%s} = %s{%s}.",
					formatJoinSide(leaves, st.leftExpr), typeName(lk.Type), formatJoinSide(leaves, st.rightExpr), typeName(rk.Type))
			}
		}
		leftTable = leftTable && rightTable
		leftName = right.src.Name
	}
	return nil
}

// typeName is a type as ksqlDB's SqlType prints it in join messages.
func typeName(t *types.Type) string { return t.String() }

// formatJoinSide prints a join criteria side as ksqlDB does after
// analysis: every column qualified by its source's alias.
func formatJoinSide(leaves []*joinLeaf, e ast.Expr) string {
	var refs []*ast.ColumnRef
	ast.WalkExpr(e, func(x ast.Expr) bool {
		if c, ok := x.(*ast.ColumnRef); ok && c.Source == "" {
			if leaf, err := resolveJoinColumn(leaves, c); err == nil {
				refs = append(refs, c)
				c.Source = leaves[leaf].alias
			}
		}
		return true
	})
	s := ast.FormatExpr(e)
	for _, c := range refs {
		c.Source = ""
	}
	return s
}

// isKeyRef reports whether e is a reference to the single key column of
// leaf l, and returns the column.
func (qp *queryPlanner) isKeyRef(l *joinLeaf, e ast.Expr) (ScopeColumn, bool) {
	c, ok := e.(*ast.ColumnRef)
	if !ok || (c.Source != "" && c.Source != l.alias) {
		return ScopeColumn{}, false
	}
	keys := l.src.Schema.Key()
	if len(keys) != 1 || keys[0].Name != c.Name {
		return ScopeColumn{}, false
	}
	return l.cols[0], true
}

// stepEquiv reports whether st's left expression is one the tree so far
// is already keyed by.
func (jp *joinPlan) stepEquiv(st *joinStep) bool {
	i := indexOfStep(jp.steps, st)
	if i <= 0 {
		return false
	}
	return jp.steps[i-1].equiv[formatJoinSide(jp.leaves, st.leftExpr)]
}

func indexOfStep(steps []*joinStep, st *joinStep) int {
	for i, s := range steps {
		if s == st {
			return i
		}
	}
	return -1
}

// columnRefOf returns the (leaf, column name) a plain column reference
// names.
func columnRefOf(leaves []*joinLeaf, e ast.Expr) (viableCol, bool) {
	c, ok := e.(*ast.ColumnRef)
	if !ok {
		return viableCol{}, false
	}
	leaf, err := resolveJoinColumn(leaves, c)
	if err != nil {
		return viableCol{}, false
	}
	return viableCol{leaf: leaf, name: c.Name}, true
}

// chooseJoinKey works out, per join, the expressions its key equals and
// the viable key columns (JoinTree), and names the joined row's key
// after the first viable column the projection selects.
func (qp *queryPlanner) chooseJoinKey(jp *joinPlan) error {
	leaves := jp.leaves
	var prev *joinStep
	for _, st := range jp.steps {
		st.equiv = map[string]bool{}
		var viable []viableCol
		if st.typ != FullJoin {
			if prev != nil && prev.equiv[formatJoinSide(leaves, st.leftExpr)] {
				viable = append(viable, prev.viable...)
				for k := range prev.equiv {
					st.equiv[k] = true
				}
			}
			if v, ok := columnRefOf(leaves, st.leftExpr); ok {
				viable = append(viable, v)
			}
			if v, ok := columnRefOf(leaves, st.rightExpr); ok {
				viable = append(viable, v)
			}
			st.equiv[formatJoinSide(leaves, st.leftExpr)] = true
			st.equiv[formatJoinSide(leaves, st.rightExpr)] = true
		}
		st.viable = dedupeViable(viable)
		prev = st
	}
	jp.viable = prev.viable
	// Names several sources have are qualified in default names.
	seen := map[string]int{}
	for _, l := range leaves {
		for _, c := range l.cols {
			if !c.Pseudo {
				seen[c.Name]++
			}
		}
	}
	for n, k := range seen {
		if k > 1 {
			jp.clash[n] = true
		}
	}
	if jp.fk {
		l := leaves[0]
		for _, k := range l.src.Schema.Key() {
			jp.fkKeys = append(jp.fkKeys, viableCol{leaf: 0, name: k.Name})
		}
		jp.viable = nil
		return nil
	}
	if len(jp.viable) == 0 {
		jp.synthetic = true
		names := map[string]bool{}
		for _, l := range leaves {
			for _, c := range l.cols {
				names[c.Name] = true
			}
		}
		jp.keyName = "ROWKEY"
		for n := 1; names[jp.keyName]; n++ {
			jp.keyName = fmt.Sprintf("ROWKEY_%d", n)
		}
	} else {
		jp.key = jp.viable[0]
		if sel := qp.req.Select; sel != nil {
		pick:
			for _, v := range jp.viable {
				for _, it := range sel.Items {
					if it.Star && (it.StarSource == "" || it.StarSource == leaves[v.leaf].alias) {
						jp.key = v
						break pick
					}
					if it.Expr == nil {
						continue
					}
					if r, ok := columnRefOf(leaves, it.Expr); ok && r == v {
						jp.key = v
						break pick
					}
				}
			}
		}
		jp.keyName = jp.key.internal(leaves)
	}
	// The key's type: the join expressions' (equal for every kind but
	// checked per kind).
	last := jp.steps[len(jp.steps)-1]
	kt, err := qp.joinExprType(jp, last.rightExpr)
	if err != nil {
		return err
	}
	jp.keyType = kt
	// The join key is a key column (a repartition's, the result's).
	return checkKeyColumn(catalog.Column{Name: jp.keyName, Type: kt})
}

func dedupeViable(vs []viableCol) []viableCol {
	var out []viableCol
	for _, v := range vs {
		dup := false
		for _, o := range out {
			dup = dup || o == v
		}
		if !dup {
			out = append(out, v)
		}
	}
	return out
}

// joinExprType binds a join criteria side over its one source and
// returns its type.
func (qp *queryPlanner) joinExprType(jp *joinPlan, e ast.Expr) (*types.Type, error) {
	x, _, err := qp.bindJoinSide(jp, e)
	if err != nil {
		return nil, err
	}
	return x.Type(), nil
}

// bindJoinSide binds a join criteria side over the input row of the one
// source it references.
func (qp *queryPlanner) bindJoinSide(jp *joinPlan, e ast.Expr) (Expr, int, error) {
	var leaf = -1
	ast.WalkExpr(e, func(x ast.Expr) bool {
		if c, ok := x.(*ast.ColumnRef); ok && leaf < 0 {
			leaf, _ = resolveJoinColumn(jp.leaves, c)
		}
		return leaf < 0
	})
	if leaf < 0 {
		return nil, -1, errorf(e.Position(), "internal: join side without a column")
	}
	b := &binder{scope: jp.leaves[leaf].scope, funcs: qp.funcs, clause: "JOIN ON"}
	x, err := b.bind(e)
	if err != nil {
		return nil, -1, err
	}
	return x, leaf, nil
}

// joinKeyFormat is the key format of the join (KLIP-33): the left side's
// if it is not rekeyed, else the right side's, else the first source key
// format that is not NONE, else the configured default.
func (qp *queryPlanner) joinKeyFormat(jp *joinPlan, rekey []bool) catalog.Format {
	for i, l := range jp.leaves {
		if !rekey[i] && l.src.KeyFormat.Name != "NONE" {
			return l.src.KeyFormat
		}
	}
	for _, l := range jp.leaves {
		if l.src.KeyFormat.Name != "NONE" {
			return l.src.KeyFormat
		}
	}
	name := qp.cfg.DefaultKeyFormat
	if name == "" {
		name = "KAFKA"
	}
	return catalog.Format{Name: name}
}

// planJoinStages builds the rekey stages and the join stage, and points
// the planner at the joined row.
func (qp *queryPlanner) planJoinStages(jp *joinPlan) error {
	leaves := jp.leaves
	// Which leaves are rekeyed, and by what.
	rekey := make([]bool, len(leaves))
	keyExpr := make([]Expr, len(leaves))
	// rekeyLeft[si]: the result of the joins before step si is rekeyed by
	// step si's left expression (its key is not known to equal it).
	rekeyLeft := make([]bool, len(jp.steps))
	for si, st := range jp.steps {
		rx, rleaf, err := qp.bindJoinSide(jp, st.rightExpr)
		if err != nil {
			return err
		}
		if _, isKey := qp.isKeyRef(leaves[rleaf], st.rightExpr); !isKey {
			rekey[rleaf] = true
		}
		keyExpr[rleaf] = rx
		if si == 0 {
			lx, lleaf, err := qp.bindJoinSide(jp, st.leftExpr)
			if err != nil {
				return err
			}
			if _, isKey := qp.isKeyRef(leaves[lleaf], st.leftExpr); !isKey && st.kind != ForeignKey {
				rekey[lleaf] = true
			}
			keyExpr[lleaf] = lx
			if !lx.Type().Equal(rx.Type()) && st.kind != TableTable && st.kind != ForeignKey {
				return errorf(st.j.On.Position(), "Invalid join. Key types differ: %s vs %s", lx.Type(), rx.Type())
			}
		} else if jp.fk {
			// The result of the foreign-key join is keyed by the left
			// table's key: later joins must join on it.
			if _, isKey := qp.isKeyRef(leaves[0], st.leftExpr); !isKey || len(leaves[0].in.Key) != 1 || st.kind != TableTable {
				return errorf(st.j.On.Position(), "Joining the result of a foreign-key join on anything but the left table's key (%s) is not supported.", formatJoinSide(leaves, st.leftExpr))
			}
			_, rleafKey := qp.isKeyRef(leaves[st.right], st.rightExpr)
			lk, _ := qp.isKeyRef(leaves[0], st.leftExpr)
			if !rleafKey || !lk.Type.Equal(rx.Type()) {
				return errorf(st.j.On.Position(), "Invalid join condition: types don't match. Got %s{%s} = %s{%s}.",
					formatJoinSide(leaves, st.leftExpr), typeName(lk.Type), formatJoinSide(leaves, st.rightExpr), typeName(rx.Type()))
			}
		} else if !jp.steps[si-1].equiv[formatJoinSide(leaves, st.leftExpr)] {
			if leaves[0].src.IsWindowed() {
				return errorf(qp.req.Select.At, "Implicit repartitioning of windowed sources is not supported. See https://github.com/confluentinc/ksql/issues/4385.")
			}
			rekeyLeft[si] = true
		}
	}
	for i, l := range leaves {
		if rekey[i] && l.src.IsWindowed() {
			return errorf(qp.req.Select.At, "Implicit repartitioning of windowed sources is not supported. See https://github.com/confluentinc/ksql/issues/4385.")
		}
		if rekey[i] && l.src.Kind == ast.Table {
			return errorf(qp.req.Select.At, "Cannot repartition a TABLE source. If this is a join, make sure that the criteria uses the TABLE's key column %s instead of [%s]",
				l.src.Schema.Key()[0].Name, ast.FormatExpr(jp.steps[0].rightExpr))
		}
	}
	keyFormat := qp.joinKeyFormat(jp, rekey)
	// A stream side whose key format differs from the join's is
	// re-serialized through a repartition topic, as ksqlDB does.
	for i, l := range leaves {
		if !rekey[i] && l.src.Kind == ast.Stream && l.src.KeyFormat.Name != keyFormat.Name {
			rekey[i] = true
		}
		if jp.fk && i == jp.steps[0].right {
			continue // keyed by the foreign key in its own format (subscriptions)
		}
		if !rekey[i] && l.src.Kind == ast.Table && l.src.KeyFormat.Name != keyFormat.Name && l.src.Partitions > 1 {
			return errorf(qp.req.Select.At, "Joining tables whose key formats differ (%s, %s) is not supported yet when they have more than one partition.",
				l.src.KeyFormat.Name, keyFormat.Name)
		}
	}
	// Co-partitioning. A foreign-key join's tables may have any partition
	// counts: its two halves meet through topics partitioned like each.
	for _, st := range jp.steps {
		l, r := leaves[0], leaves[st.right]
		if st.kind != ForeignKey && l.src.Partitions != r.src.Partitions {
			return errorf(qp.req.Select.At, "Can't join `%s` with `%s` since the number of partitions don't match. `%s` partitions = %d; `%s` partitions = %d. Please repartition either one so that the number of partitions match.",
				l.alias, r.alias, l.alias, l.src.Partitions, r.alias, r.src.Partitions)
		}
	}

	// The side row of leaf i: [key, A_cols...].
	sideWidth := func(l *joinLeaf) int { return 1 + len(l.cols) }
	nKeys := 1
	sideInput := func(i int) (Input, []Op) {
		l := leaves[i]
		if i == 0 && jp.fk {
			// [left key columns..., A_cols..., the foreign key]
			proj := &Project{}
			nKey := len(l.in.Key)
			for k := 0; k < nKey; k++ {
				c := l.cols[k]
				proj.Exprs = append(proj.Exprs, &Column{Index: c.Index, Name: c.Internal, T: c.Type})
				proj.Names = append(proj.Names, "KSQL_KEY_"+c.Internal)
				proj.NullOnNullRow = append(proj.NullOnNullRow, false)
			}
			for _, c := range l.cols {
				proj.Exprs = append(proj.Exprs, &Column{Index: c.Index, Name: c.Internal, T: c.Type})
				proj.Names = append(proj.Names, c.Internal)
				proj.NullOnNullRow = append(proj.NullOnNullRow, c.Index >= nKey)
			}
			proj.Exprs = append(proj.Exprs, keyExpr[0])
			proj.Names = append(proj.Names, "KSQL_FOREIGN_KEY")
			proj.NullOnNullRow = append(proj.NullOnNullRow, true)
			return l.in, []Op{proj}
		}
		if !rekey[i] {
			proj := &Project{}
			proj.Exprs = append(proj.Exprs, keyExpr[i])
			proj.Names = append(proj.Names, "KSQL_JOIN_KEY")
			proj.NullOnNullRow = append(proj.NullOnNullRow, false)
			nKey := len(l.in.Key)
			for _, c := range l.cols {
				proj.Exprs = append(proj.Exprs, &Column{Index: c.Index, Name: c.Internal, T: c.Type})
				proj.Names = append(proj.Names, c.Internal)
				proj.NullOnNullRow = append(proj.NullOnNullRow, c.Index >= nKey)
			}
			return l.in, []Op{proj}
		}
		// A stage of its own rekeys the source into a repartition topic.
		proj := &Project{}
		proj.Exprs = append(proj.Exprs, keyExpr[i])
		proj.Names = append(proj.Names, "KSQL_JOIN_KEY")
		proj.NullOnNullRow = append(proj.NullOnNullRow, false)
		var vals []catalog.Column
		for _, c := range l.cols {
			proj.Exprs = append(proj.Exprs, &Column{Index: c.Index, Name: c.Internal, T: c.Type})
			proj.Names = append(proj.Names, c.Internal)
			proj.NullOnNullRow = append(proj.NullOnNullRow, true)
			vals = append(vals, catalog.Column{Name: c.Internal, Type: c.Type})
		}
		// Named after the join node that needs it: the top join is
		// "Join", its left child "L_Join", and so on.
		si := 0
		if i > 0 {
			si = i - 1
		}
		name := jp.joinNodeName(si) + "-repartition"
		if jp.steps[si].kind == StreamStream {
			name = jp.joinNodeName(si) + "-right-repartition"
			if i == 0 {
				name = jp.joinNodeName(si) + "-left-repartition"
			}
		}
		kf := keyFormat
		if kf.Name == "KAFKA" && !kafkaKeyable(keyExpr[i].Type()) {
			kf = catalog.Format{Name: "JSON"}
		}
		topic := Topic{
			Name:        fmt.Sprintf("_confluent-ksql-%squery_%s-%s", qp.req.ServiceID, qp.req.ID, name),
			Partitions:  l.src.Partitions,
			KeyFormat:   kf,
			ValueFormat: catalog.Format{Name: "INTERNAL"},
			Key:         []catalog.Column{{Name: "KSQL_JOIN_KEY", Type: keyExpr[i].Type(), Kind: catalog.KeyColumn}},
			Value:       vals,
			Internal:    true,
		}
		jp.pre = append(jp.pre, &Stage{Input: l.in, Ops: []Op{proj}, Repartition: &Repartition{Topic: topic, KeyCount: 1}})
		return Input{Topic: topic, TimestampColumn: -1}, nil
	}

	head := &Stage{}
	var ops []Op
	head.Input, ops = sideInput(0)
	head.Ops = append(head.Ops, ops...)
	width := sideWidth(leaves[0])
	leaves[0].slot = 1
	if jp.fk {
		nKeys = len(leaves[0].in.Key)
		width = nKeys + len(leaves[0].cols) + 1
		leaves[0].slot = nKeys
	}
	// The types of the left row's slots, as the joins go.
	rowTypes := func(l *joinLeaf, key *types.Type) []*types.Type {
		ts := []*types.Type{key}
		for _, c := range l.cols {
			ts = append(ts, c.Type)
		}
		return ts
	}
	var leftTypes []*types.Type
	if jp.fk {
		for k := 0; k < nKeys; k++ {
			leftTypes = append(leftTypes, leaves[0].cols[k].Type)
		}
		leftTypes = append(leftTypes, rowTypes(leaves[0], nil)[1:]...)
		leftTypes = append(leftTypes, keyExpr[0].Type())
	} else {
		leftTypes = rowTypes(leaves[0], keyExpr[0].Type())
	}
	windowed := leaves[0].src.IsWindowed()
	for si, st := range jp.steps {
		if rekeyLeft[si] {
			// The result so far is rekeyed through a topic of its own; the
			// next stage reads it with the same slots.
			scope := &Scope{}
			for _, l := range leaves[:st.right] {
				for k, c := range l.cols {
					c.Index = l.slot + k
					scope.Cols = append(scope.Cols, c)
				}
			}
			b := &binder{scope: scope, funcs: qp.funcs, clause: "JOIN ON"}
			kx, err := b.bind(st.leftExpr)
			if err != nil {
				return err
			}
			proj := &Project{Exprs: []Expr{kx}, Names: []string{"KSQL_JOIN_KEY"}, NullOnNullRow: []bool{false}}
			var vals []catalog.Column
			for i := 1; i < width; i++ {
				name := fmt.Sprintf("KSQL_JOIN_%d", i)
				proj.Exprs = append(proj.Exprs, &Column{Index: i, Name: name, T: leftTypes[i]})
				proj.Names = append(proj.Names, name)
				proj.NullOnNullRow = append(proj.NullOnNullRow, true)
				vals = append(vals, catalog.Column{Name: name, Type: leftTypes[i]})
			}
			name := jp.joinNodeName(si) + "-repartition"
			if st.kind == StreamStream {
				name = jp.joinNodeName(si) + "-left-repartition"
			}
			kf := keyFormat
			if kf.Name == "KAFKA" && !kafkaKeyable(kx.Type()) {
				kf = catalog.Format{Name: "JSON"}
			}
			topic := Topic{
				Name:        fmt.Sprintf("_confluent-ksql-%squery_%s-%s", qp.req.ServiceID, qp.req.ID, name),
				Partitions:  leaves[0].src.Partitions,
				KeyFormat:   kf,
				ValueFormat: catalog.Format{Name: "INTERNAL"},
				Key:         []catalog.Column{{Name: "KSQL_JOIN_KEY", Type: kx.Type(), Kind: catalog.KeyColumn}},
				Value:       vals,
				Internal:    true,
			}
			head.Ops = append(head.Ops, proj)
			head.Repartition = &Repartition{Topic: topic, KeyCount: 1}
			jp.pre = append(jp.pre, head)
			head = &Stage{Input: Input{Topic: topic, TimestampColumn: -1}}
			leftTypes = append([]*types.Type{kx.Type()}, leftTypes[1:]...)
		}
		r := leaves[st.right]
		var in Input
		var ops []Op
		if st.kind != ForeignKey {
			in, ops = sideInput(st.right)
		}
		join := &Join{
			Kind:       st.kind,
			Type:       st.typ,
			Right:      len(head.Sides),
			KeyCount:   nKeys,
			LeftWidth:  width,
			RightWidth: sideWidth(r),
			Windowed:   windowed,
			StoreName:  fmt.Sprintf("Join-%d", len(head.Sides)),
			LeftTypes:  leftTypes,
			RightTypes: rowTypes(r, keyExpr[st.right].Type()),
		}
		if st.kind == ForeignKey {
			join.FKSlot, join.RightKeyCount = width-1, 1
			in = qp.fkRightHalf(jp, si, join, sideInput)
		}
		if w := st.j.Within; w != nil {
			join.BeforeMs, join.AfterMs = w.Before.Millis(), w.After.Millis()
			if w.Grace != nil {
				join.GraceMs, join.Grace = w.Grace.Millis(), true
			} else {
				// Kafka Streams' JoinWindows.of: 24 hours minus the window.
				join.GraceMs = max(DefaultGraceMs-join.BeforeMs-join.AfterMs, 0)
			}
		}
		head.Sides = append(head.Sides, Side{Input: in, Ops: ops, Join: len(head.Ops)})
		head.Ops = append(head.Ops, join)
		r.slot = width
		width = join.OutputWidth()
		next := append([]*types.Type{}, leftTypes...)
		next = append(next, join.RightTypes[1:]...)
		next = append(next, types.BigintType, types.IntegerType, types.BigintType)
		if windowed {
			next = append(next, types.BigintType, types.BigintType)
		}
		leftTypes = next
	}
	jp.head = head

	// The joined row as the planner's input: [key, values..., ROWTIME,
	// ROWPARTITION, ROWOFFSET, (WINDOWSTART, WINDOWEND)].
	nPseudo := 3
	if windowed {
		nPseudo = 5
	}
	values := make([]catalog.Column, width-nKeys-nPseudo)
	// Slots no name reaches (a foreign key, intermediate joins' pseudo
	// columns) are values too.
	for i := range values {
		values[i] = catalog.Column{Name: fmt.Sprintf("KSQL_JOIN_%d", i+1), Type: leftTypes[nKeys+i]}
	}
	scope := &Scope{}
	for _, l := range leaves {
		for k, c := range l.cols {
			c.Index = l.slot + k
			scope.Cols = append(scope.Cols, c)
			values[c.Index-nKeys] = catalog.Column{Name: c.Internal, Type: c.Type}
		}
	}
	keyCols := []catalog.Column{{Name: jp.keyName, Type: jp.keyType, Kind: catalog.KeyColumn}}
	if jp.fk {
		keyCols = nil
		for k := 0; k < nKeys; k++ {
			c := leaves[0].cols[k]
			keyCols = append(keyCols, catalog.Column{Name: c.Internal, Type: c.Type, Kind: catalog.KeyColumn})
		}
	}
	if jp.synthetic {
		scope.Cols = append(scope.Cols, ScopeColumn{Name: jp.keyName, Type: jp.keyType, Index: 0})
	}
	base := width - nPseudo
	for i, p := range []string{"ROWTIME", "ROWPARTITION", "ROWOFFSET", "WINDOWSTART", "WINDOWEND"}[:nPseudo] {
		t := types.BigintType
		if p == "ROWPARTITION" {
			t = types.IntegerType
		}
		scope.Cols = append(scope.Cols, ScopeColumn{Name: p, Type: t, Index: base + i, Pseudo: true})
	}
	kind := ast.Stream
	allTables := true
	for _, l := range leaves {
		allTables = allTables && l.src.Kind == ast.Table
	}
	if allTables {
		kind = ast.Table
	}
	l0 := leaves[0].src
	qp.src = &catalog.Source{
		Name:        l0.Name,
		Kind:        kind,
		Schema:      catalog.Schema{Columns: append(append([]catalog.Column{}, keyCols...), values...)},
		Partitions:  l0.Partitions,
		KeyFormat:   keyFormat,
		ValueFormat: l0.ValueFormat,
		Window:      l0.Window,
	}
	qp.alias = leaves[0].alias
	qp.in = Input{
		Topic: Topic{
			Partitions:  l0.Partitions,
			KeyFormat:   keyFormat,
			ValueFormat: l0.ValueFormat,
			Key:         keyCols,
			Value:       values,
			Window:      l0.Window,
		},
		Table:           kind == ast.Table,
		TimestampColumn: -1,
		Windowed:        windowed,
	}
	qp.scope = scope
	for _, l := range leaves {
		for _, c := range l.src.Schema.Columns {
			qp.srcNames[c.Name] = true
		}
	}
	return nil
}

// schemaOrder lists the joined sources' columns (at their slots in the
// joined row) in the order of ksqlDB's join schema: per source, left-most
// first, its value columns, its ROWTIME, ROWPARTITION and ROWOFFSET, then
// its key columns.
func (jp *joinPlan) schemaOrder() []ScopeColumn {
	var out []ScopeColumn
	for _, l := range jp.leaves {
		nKey := len(l.src.Schema.Key())
		var keys, vals, pseudo []ScopeColumn
		for k, c := range l.cols {
			c.Index = l.slot + k
			switch {
			case c.Pseudo:
				if c.Name != "WINDOWSTART" && c.Name != "WINDOWEND" {
					pseudo = append(pseudo, c)
				}
			case k < nKey:
				keys = append(keys, c)
			default:
				vals = append(vals, c)
			}
		}
		out = append(append(append(out, vals...), pseudo...), keys...)
	}
	return out
}

// fkRightHalf plans a foreign-key join as Kafka Streams runs it (exec's
// joinfk.go): join (in the join stage, whose main input is the left
// table) becomes the left half, reading the response topic as its side;
// a stage of its own runs the right half, reading the right table as its
// main input and the subscription topic as its side, and writing the
// response topic. It returns the left half's side input.
func (qp *queryPlanner) fkRightHalf(jp *joinPlan, si int, join *Join, sideInput func(int) (Input, []Op)) Input {
	st := jp.steps[si]
	l, r := jp.leaves[0], jp.leaves[st.right]
	rin, rops := sideInput(st.right)
	name := func(what string) string {
		return fmt.Sprintf("_confluent-ksql-%squery_%s-%s-subscription-%s-topic", qp.req.ServiceID, qp.req.ID, jp.joinNodeName(si), what)
	}
	var lk []catalog.Column
	for k := 0; k < join.KeyCount; k++ {
		c := l.cols[k]
		lk = append(lk, catalog.Column{Name: c.Name, Type: c.Type, Kind: catalog.KeyColumn})
	}
	rk := catalog.Column{Name: r.cols[0].Name, Type: join.RightTypes[0], Kind: catalog.KeyColumn}
	join.Subscription, join.Response = FKTopics(join,
		Topic{Name: name("registration"), Partitions: r.src.Partitions, KeyFormat: r.src.KeyFormat, Key: []catalog.Column{rk}},
		Topic{Name: name("response"), Partitions: l.src.Partitions, KeyFormat: l.src.KeyFormat, Key: lk})
	right := *join
	right.FKRole, right.Right = FKRightHalf, 0
	jp.pre = append(jp.pre, &Stage{
		Input:       rin,
		Ops:         append(rops, &right),
		Sides:       []Side{{Input: Input{Topic: join.Subscription, TimestampColumn: -1}, Join: len(rops)}},
		Repartition: &Repartition{Topic: join.Response, KeyCount: join.KeyCount},
	})
	return Input{Topic: join.Response, TimestampColumn: -1}
}

// joinNodeName is the name ksqlDB gives the join node of step si in
// internal topic names: the top join is "Join", its left child
// "L_Join", that one's left child "L_L_Join".
func (jp *joinPlan) joinNodeName(si int) string {
	return strings.Repeat("L_", len(jp.steps)-1-si) + "Join"
}

// firstStage returns the stage a query starts with: the rekey stages and
// the join stage for a join, else one stage reading the source.
func (qp *queryPlanner) firstStage() (*Stage, []*Stage) {
	if qp.join == nil {
		return &Stage{Input: qp.in}, nil
	}
	return qp.join.head, qp.join.pre
}

// joinKeyItem binds, in a join query, a SELECT item that is a plain
// reference to the column the join key is named after to the key slot.
func (qp *queryPlanner) joinKeyItem(e ast.Expr) (Expr, bool) {
	jp := qp.join
	if jp == nil {
		return nil, false
	}
	if jp.fk {
		if v, ok := columnRefOf(jp.leaves, e); ok {
			for i, k := range jp.fkKeys {
				if k == v {
					return &Column{Index: i, Name: k.internal(jp.leaves), T: jp.leaves[0].cols[i].Type}, true
				}
			}
		}
		return nil, false
	}
	if jp.synthetic {
		if c, ok := e.(*ast.ColumnRef); ok && c.Source == "" && c.Name == jp.keyName {
			return &Column{Index: 0, Name: jp.keyName, T: jp.keyType}, true
		}
		return nil, false
	}
	if v, ok := columnRefOf(jp.leaves, e); ok && v == jp.key {
		return &Column{Index: 0, Name: jp.keyName, T: jp.keyType}, true
	}
	return nil, false
}

// joinItemName is the default name of an unaliased column reference in a
// join query: C, or A_C when several sources have a column C or it is a
// pseudo column.
func (qp *queryPlanner) joinItemName(c *ast.ColumnRef) string {
	jp := qp.join
	if jp.synthetic && c.Source == "" && c.Name == jp.keyName {
		return c.Name
	}
	leaf, err := resolveJoinColumn(jp.leaves, c)
	if err != nil {
		return c.Name
	}
	pseudo := false
	for _, sc := range jp.leaves[leaf].cols {
		if sc.Name == c.Name && sc.Pseudo {
			pseudo = true
		}
	}
	if jp.clash[c.Name] || pseudo {
		return jp.leaves[leaf].alias + "_" + c.Name
	}
	return c.Name
}

// joinStar expands * (all sources, left-most first, the synthetic key
// first) or A.* in a join query: every source's key columns, window
// bounds, then value columns, each named A_C.
func (qp *queryPlanner) joinStar(it ast.SelectItem) ([]selectItem, error) {
	jp := qp.join
	var out []selectItem
	found := false
	if it.StarSource == "" && jp.synthetic {
		out = append(out, selectItem{ast: &ast.ColumnRef{ExprBase: ast.ExprBase{At: it.At}, Name: jp.keyName}, name: jp.keyName, at: it.At})
	}
	for _, l := range jp.leaves {
		if it.StarSource != "" && it.StarSource != l.alias {
			continue
		}
		found = true
		ref := func(name string) selectItem {
			return selectItem{ast: &ast.ColumnRef{ExprBase: ast.ExprBase{At: it.At}, Source: l.alias, Name: name}, name: l.alias + "_" + name, at: it.At}
		}
		nKey := len(l.src.Schema.Key())
		for i, c := range l.cols {
			if i == nKey && l.src.IsWindowed() {
				out = append(out, ref("WINDOWSTART"), ref("WINDOWEND"))
			}
			if !c.Pseudo {
				out = append(out, ref(c.Name))
			}
		}
	}
	if !found {
		return nil, errorf(it.At, "'%s' is not a valid stream/table name or alias.", it.StarSource)
	}
	return out, nil
}

// checkJoinKeySelected is ksqlDB's check that a persistent join query
// selects its key (JoinNode's key validation).
func (qp *queryPlanner) checkJoinKeySelected(items []selectItem) error {
	jp := qp.join
	sel := qp.req.Select
	if jp.fk {
		var missing []string
		for i, k := range jp.fkKeys {
			found := false
			for _, it := range items {
				if c, ok := it.expr.(*Column); ok && c.Index == i && c.Name == k.internal(jp.leaves) {
					found = true
				}
			}
			if !found {
				missing = append(missing, "`"+k.name+"`")
			}
		}
		switch len(missing) {
		case 0:
			return nil
		case 1:
			return errorf(sel.At, "Primary key column missing in projection. For foreign-key table-table joins, the projection must include all primary key columns from the left input table (`%s`). Missing column: %s.", jp.leaves[0].alias, missing[0])
		}
		return errorf(sel.At, "Primary key columns missing in projection. For foreign-key table-table joins, the projection must include all primary key columns from the left input table (`%s`). Missing columns: %s.", jp.leaves[0].alias, strings.Join(missing, ", "))
	}
	for _, it := range items {
		if c, ok := it.expr.(*Column); ok && c.Index == 0 && c.Name == jp.keyName {
			return nil
		}
	}
	if jp.synthetic {
		return errorf(sel.At, "Key missing from projection (ie, SELECT). See https://cnfl.io/2LV7ouS.\n"+
			"The query used to build `%s` must include the join expression %s in its projection (eg, SELECT %s...).\n"+
			"%s was added as a synthetic key column because the join criteria did not match any source column. "+
			"This expression must be included in the projection and may be aliased.", qp.req.SinkName, jp.keyName, jp.keyName, jp.keyName)
	}
	names := make([]string, len(jp.viable))
	for i, v := range jp.viable {
		names[i] = v.qualified(jp.leaves)
	}
	what := "join expression"
	if len(names) > 1 {
		what = "join expressions"
	}
	list := names[0]
	if len(names) > 1 {
		list = strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
	}
	return errorf(sel.At, "Key missing from projection (ie, SELECT). See https://cnfl.io/2LV7ouS.\n"+
		"The query used to build `%s` must include the %s %s in its projection (eg, SELECT %s...).", qp.req.SinkName, what, list, names[0])
}

// joinTypeText is a join type as ksqlDB prints it in messages.
func joinTypeText(t ast.JoinType) string {
	return [...]string{"[INNER] JOIN", "LEFT [OUTER] JOIN", "RIGHT [OUTER] JOIN", "[FULL] OUTER JOIN"}[t]
}
