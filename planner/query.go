package planner

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ksqlgo/ksql/catalog"
	"github.com/ksqlgo/ksql/sql/ast"
	"github.com/ksqlgo/ksql/sql/types"
)

// QueryRequest is a persistent query to plan: CSAS, CTAS or INSERT INTO.
type QueryRequest struct {
	ID     string
	Select *ast.Select
	// SinkName and SinkKind name the source the query creates (CSAS/CTAS)
	// or writes (INSERT INTO).
	SinkName string
	SinkKind ast.SourceKind
	Props    ast.Properties
	// Insert is set for INSERT INTO: Existing is then the sink.
	Insert   bool
	Existing *catalog.Source
	// Text is the statement text.
	Text string
	// ServiceID prefixes internal topic names ("default_").
	ServiceID string
	// Transient plans a push or pull query: its rows go to a client, not
	// to a topic. The result's columns are the projection in SELECT order
	// (key columns need not be selected); LIMIT is allowed (the caller
	// applies it); SinkName and SinkKind are ignored; on a windowed source
	// "*" includes WINDOWSTART and WINDOWEND after the key columns, and
	// pseudo columns may be selected by name.
	Transient bool
}

// Defaults for windows, as ksqlDB.
const (
	DefaultGraceMs     = 24 * 60 * 60 * 1000
	DefaultRetentionMs = 24 * 60 * 60 * 1000
)

// planner holds the state of planning one query.
type queryPlanner struct {
	req   QueryRequest
	cat   *catalog.Catalog
	funcs FunctionResolver
	cfg   Config

	src   *catalog.Source
	alias string
	in    Input
	scope *Scope
	// join is set when FROM is a join (join.go): src, in and scope then
	// describe the joined row.
	join *joinPlan

	// colNames tracks output column names, for KSQL_COL_n generation.
	genCount int
	used     map[string]bool
	srcNames map[string]bool
}

// PlanQuery plans a persistent query and returns its plan and the sink
// source it writes (new for CSAS/CTAS, the existing one for INSERT INTO).
func PlanQuery(req QueryRequest, cat *catalog.Catalog, funcs FunctionResolver, cfg Config) (*QueryPlan, *catalog.Source, error) {
	qp := &queryPlanner{req: req, cat: cat, funcs: funcs, cfg: cfg, used: map[string]bool{}, srcNames: map[string]bool{}}
	return qp.plan()
}

func (qp *queryPlanner) plan() (*QueryPlan, *catalog.Source, error) {
	sel := qp.req.Select
	if err := qp.resolveFrom(sel.From); err != nil {
		return nil, nil, err
	}
	if err := qp.checkReservedAliases(sel); err != nil {
		return nil, nil, err
	}
	if sel.Emit == ast.EmitFinal && sel.Window == nil {
		return nil, nil, errorf(sel.At, "EMIT FINAL is only supported for windowed aggregations.")
	}
	if sel.Limit != nil && !qp.req.Transient {
		if qp.req.Insert {
			return nil, nil, errorf(sel.At, "INSERT INTO statements do not support LIMIT.")
		}
		kind := "STREAM"
		if qp.req.SinkKind == ast.Table {
			kind = "TABLE"
		}
		// ksqlDB's AstBuilder.disallowLimitClause.
		return nil, nil, errorf(sel.At, "CREATE %s AS SELECT statements don't support LIMIT clause.", kind)
	}
	aggregating := sel.GroupBy != nil || qp.hasAggregates(sel)
	if sel.Window != nil && !aggregating {
		return nil, nil, errorf(sel.Window.At, "WINDOW clause requires a GROUP BY clause.")
	}
	if aggregating {
		return qp.planAggregate()
	}
	return qp.planProjection()
}

// checkReservedAliases is ksqlDB's Analyzer.validateSelect, which runs as
// the select items are analysed, before any clause is resolved: a select
// item may not be named after a system column, unless it is that column
// unaliased in a transient query.
func (qp *queryPlanner) checkReservedAliases(sel *ast.Select) error {
	for _, it := range sel.Items {
		if it.Star || it.StructStar || it.Expr == nil {
			continue
		}
		alias := it.Alias.Name
		if alias == "" {
			switch x := it.Expr.(type) {
			case *ast.ColumnRef:
				alias = x.Name
				if qp.join != nil {
					alias = qp.joinItemName(x)
				}
			case *ast.Dereference:
				alias = x.Field
			}
		}
		for _, r := range ReservedColumns {
			if !strings.EqualFold(alias, r) {
				continue
			}
			text := ast.FormatExpr(it.Expr)
			if c, ok := it.Expr.(*ast.ColumnRef); ok {
				text = c.Name
			}
			text = text[strings.Index(text, ".")+1:]
			if !strings.EqualFold(text, alias) {
				return errorf(it.At, "`%s` is a reserved column name. You cannot use it as an alias for a column.", r)
			}
			if !qp.req.Transient {
				return errorf(it.At, "Reserved column name in select: `%s`. Please remove or alias the column.", r)
			}
		}
	}
	return nil
}

func (qp *queryPlanner) resolveFrom(rel ast.Relation) error {
	ref, ok := rel.(*ast.SourceRef)
	if !ok {
		if j, ok := rel.(*ast.Join); ok {
			return qp.planJoin(j)
		}
		return errorf(rel.Position(), "Unsupported FROM clause.")
	}
	src, ok := qp.cat.Source(ref.Name.Name)
	if !ok {
		return errorf(ref.Name.At, "%s does not exist.", ref.Name.Name)
	}
	qp.src = src
	qp.alias = src.Name
	if ref.Alias.Name != "" {
		qp.alias = ref.Alias.Name
	}
	qp.in, qp.scope = sourceInput(src, qp.alias)
	for _, c := range src.Schema.Columns {
		// Generated names (KSQL_COL_n) never reuse a source column's name.
		qp.srcNames[c.Name] = true
	}
	return nil
}

// hasAggregates reports whether SELECT or HAVING calls an aggregate.
func (qp *queryPlanner) hasAggregates(sel *ast.Select) bool {
	found := false
	check := func(e ast.Expr) {
		ast.WalkExpr(e, func(x ast.Expr) bool {
			if fc, ok := x.(*ast.FunctionCall); ok && qp.funcs.Kind(fc.Name) == AggregateFunc {
				found = true
			}
			return !found
		})
	}
	for _, it := range sel.Items {
		if it.Expr != nil {
			check(it.Expr)
		}
	}
	if sel.Having != nil {
		check(sel.Having)
	}
	return found
}

// selectItem is one expanded, named projection entry.
type selectItem struct {
	ast  ast.Expr // nil for star-expanded columns
	name string
	at   ast.Pos
	expr Expr // bound
}

// expandItems expands stars and assigns names (binding is done by the caller).
func (qp *queryPlanner) expandItems(items []ast.SelectItem, scope *Scope) ([]selectItem, error) {
	var out []selectItem
	for _, it := range items {
		switch {
		case it.Star && qp.join != nil:
			star, err := qp.joinStar(it)
			if err != nil {
				return nil, err
			}
			out = append(out, star...)
		case it.Star:
			if it.StarSource != "" && it.StarSource != qp.alias && it.StarSource != qp.src.Name {
				return nil, errorf(it.At, "'%s' is not a valid stream/table name or alias.", it.StarSource)
			}
			nKey := len(qp.src.Schema.Key())
			for i, c := range scope.Cols {
				if qp.req.Transient && qp.src.IsWindowed() && i == nKey {
					// Push and pull queries show a windowed source's bounds
					// after its key, as ksqlDB does.
					for _, w := range []string{"WINDOWSTART", "WINDOWEND"} {
						out = append(out, selectItem{
							ast:  &ast.ColumnRef{ExprBase: ast.ExprBase{At: it.At}, Source: qp.alias, Name: w},
							name: w,
							at:   it.At,
						})
					}
				}
				if c.Pseudo {
					continue
				}
				out = append(out, selectItem{
					ast:  &ast.ColumnRef{ExprBase: ast.ExprBase{At: it.At}, Source: c.Source, Name: c.Name},
					name: c.Name,
					at:   it.At,
				})
			}
		case it.StructStar:
			out = append(out, selectItem{ast: it.Expr, at: it.At, name: "*"})
		default:
			out = append(out, selectItem{ast: it.Expr, name: it.Alias.Name, at: it.At})
		}
	}
	// Names of aliased and column items are taken first, so generated
	// names skip them.
	for _, it := range out {
		if it.name != "" && it.name != "*" {
			qp.used[it.name] = true
		} else if cr, ok := it.ast.(*ast.ColumnRef); ok && it.name == "" {
			if qp.join != nil {
				qp.used[qp.joinItemName(cr)] = true
			} else {
				qp.used[cr.Name] = true
			}
		}
	}
	return out, nil
}

// itemName is ksqlDB's name for an unaliased select expression.
func (qp *queryPlanner) itemName(e ast.Expr) string {
	switch x := e.(type) {
	case *ast.ColumnRef:
		if qp.join != nil {
			return qp.joinItemName(x)
		}
		return x.Name
	case *ast.Dereference:
		// Field names that clash get a suffix: B, B_1, B_2, ...
		n := x.Field
		for i := 1; qp.used[n] || qp.srcNames[n]; i++ {
			n = fmt.Sprintf("%s_%d", x.Field, i)
		}
		qp.used[n] = true
		return n
	}
	for {
		n := fmt.Sprintf("KSQL_COL_%d", qp.genCount)
		qp.genCount++
		if !qp.used[n] && !qp.srcNames[n] {
			qp.used[n] = true
			return n
		}
	}
}

// bindItems binds expanded items with b, expanding struct stars.
func (qp *queryPlanner) bindItems(items []selectItem, b *binder) ([]selectItem, error) {
	var out []selectItem
	for _, it := range items {
		e, isKey := qp.joinKeyItem(it.ast)
		var err error
		if !isKey {
			e, err = b.bind(it.ast)
		}
		if err != nil {
			return nil, compiled(err, "Select")
		}
		if it.name == "*" {
			t := e.Type()
			if t.Kind != types.KindStruct {
				return nil, errorf(it.at, "Can't use ->* on %s of type %s: only STRUCT fields can be expanded.", ast.FormatExpr(it.ast), t)
			}
			for i, f := range t.Fields {
				out = append(out, selectItem{name: f.Name, at: it.at, expr: &Deref{X: e, Field: f.Name, Index: i, T: f.Type}})
			}
			continue
		}
		if it.name == "" {
			it.name = qp.itemName(it.ast)
		}
		it.expr = e
		out = append(out, it)
	}
	seen := map[string]bool{}
	for _, it := range out {
		if isReserved(it.name) && !qp.req.Transient {
			return nil, errorf(it.at, "Reserved column name in select: `%s`. Please remove or alias the column.", it.name)
		}
		if seen[it.name] {
			return nil, errorf(it.at, "Duplicate column name '%s' in the projection. Please use an alias to make the names unique.", it.name)
		}
		seen[it.name] = true
	}
	return out, nil
}

func (qp *queryPlanner) whereFilter(sel *ast.Select) (Op, error) {
	if sel.Where == nil {
		return nil, nil
	}
	b := &binder{scope: qp.scope, funcs: qp.funcs, clause: "WHERE"}
	pred, err := b.bind(sel.Where)
	if err != nil {
		if pe, ok := err.(*Error); ok && pe.Compiled {
			return nil, compiled(err, "Predicate")
		}
		if pe, ok := err.(*Error); ok && !strings.HasPrefix(pe.Msg, "WHERE column") {
			pe.Msg = "Error in WHERE expression: " + pe.Msg
		}
		return nil, err
	}
	if k := pred.Type().Kind; k != types.KindBoolean && k != types.KindNull {
		return nil, errorf(sel.Where.Position(), "Type error in WHERE expression: Should evaluate to boolean but is %s (%s) instead.",
			ast.FormatExpr(sel.Where), pred.Type())
	}
	return &Filter{Pred: pred, Clause: "WHERE"}, nil
}

// planProjection plans a stateless query: filter, project, optional re-key.
func (qp *queryPlanner) planProjection() (*QueryPlan, *catalog.Source, error) {
	sel := qp.req.Select
	resultKind := qp.src.Kind
	if qp.src.Kind == ast.Table && qp.src.IsWindowed() && !qp.req.Transient {
		return nil, nil, errorf(sel.At, "KSQL does not support persistent queries on windowed tables.")
	}
	if err := qp.checkResultKind(resultKind); err != nil {
		return nil, nil, err
	}
	stage, pre := qp.firstStage()
	filter, err := qp.whereFilter(sel)
	if err != nil {
		return nil, nil, err
	}
	if filter != nil {
		stage.Ops = append(stage.Ops, filter)
	}
	items, err := qp.expandItems(sel.Items, qp.scope)
	if err != nil {
		return nil, nil, err
	}
	b := &binder{scope: qp.scope, funcs: qp.funcs, clause: "SELECT"}
	var flat *FlatMap
	if qp.hasTableFunctions(sel) {
		if qp.src.Kind == ast.Table {
			return nil, nil, errorf(sel.At, "Table functions are only supported on streams.")
		}
		flat = &FlatMap{}
		b.replace = qp.tableFunctionHook(flat)
	}
	items, err = qp.bindItems(items, b)
	if err != nil {
		return nil, nil, err
	}
	if flat != nil {
		stage.Ops = append(stage.Ops, flat)
	}

	// Decide the key of the result.
	var keyExprs []Expr
	var keyDesc, keyNames []string // as error messages name them
	partitioned := sel.PartitionBy != nil
	if partitioned {
		if qp.src.Kind == ast.Table {
			return nil, nil, errorf(sel.At, "KSQL does not support PARTITION BY on a TABLE. Use GROUP BY instead.")
		}
		pb := &binder{scope: qp.scope, funcs: qp.funcs, clause: "PARTITION BY"}
		if len(sel.PartitionBy) > 1 {
			for _, e := range sel.PartitionBy {
				if l, ok := e.(*ast.Literal); ok && l.Value == nil {
					// PartitionByParamsFactory
					return nil, nil, errorf(e.Position(), "Cannot PARTITION BY multiple columns including NULL")
				}
			}
		}
		for _, e := range sel.PartitionBy {
			if l, ok := e.(*ast.Literal); ok && l.Value == nil && len(sel.PartitionBy) == 1 {
				break // PARTITION BY NULL: no key
			}
			be, err := pb.bind(e)
			if err != nil {
				return nil, nil, err
			}
			keyExprs = append(keyExprs, be)
			keyDesc = append(keyDesc, formatQualified(e, qp.alias))
			if c, ok := e.(*ast.ColumnRef); ok {
				keyNames = append(keyNames, c.Name)
			} else {
				keyNames = append(keyNames, ast.FormatExpr(e))
			}
		}
	} else {
		for i, c := range qp.in.Key {
			keyExprs = append(keyExprs, &Column{Index: i, Name: c.Name, T: c.Type})
			keyDesc = append(keyDesc, c.Name)
			keyNames = append(keyNames, c.Name)
		}
	}
	if qp.join != nil && !partitioned && !qp.req.Transient {
		if err := qp.checkJoinKeySelected(items); err != nil {
			return nil, nil, err
		}
	}
	var keyItems, valueItems []selectItem
	if qp.req.Transient {
		valueItems = items
	} else if partitioned && hasStar(sel.Items) {
		keyItems, valueItems, err = qp.partitionedStar(sel, keyExprs, b)
	} else {
		keyItems, valueItems, err = qp.splitKeyItems(items, keyExprs, keyDesc, keyNames, partitioned)
	}
	if err != nil {
		return nil, nil, err
	}
	if len(valueItems) == 0 {
		return nil, nil, errorf(sel.At, "The projection contains no value columns.")
	}
	proj := &Project{}
	var keyCols, valCols []catalog.Column
	for _, it := range keyItems {
		proj.Exprs = append(proj.Exprs, it.expr)
		proj.Names = append(proj.Names, it.name)
		// On a null row (a stream record without a value) a key computed
		// from value columns is NULL, as in ksqlDB.
		readsValue := false
		for _, c := range ColumnsUsed(it.expr) {
			if c >= len(qp.in.Key) {
				readsValue = true
			}
		}
		proj.NullOnNullRow = append(proj.NullOnNullRow, readsValue)
		keyCols = append(keyCols, catalog.Column{Name: it.name, Type: it.expr.Type(), Kind: catalog.KeyColumn})
	}
	for _, it := range valueItems {
		proj.Exprs = append(proj.Exprs, it.expr)
		proj.Names = append(proj.Names, it.name)
		nullOnNull := true
		if qp.req.Transient {
			// A client sees a table's delete with its key columns set, and
			// the record's pseudo columns (ROWTIME, WINDOWSTART, ...).
			nullOnNull = false
			nk, nv := len(qp.in.Key), len(qp.in.Value)
			for _, c := range ColumnsUsed(it.expr) {
				if c >= nk && (c < nk+nv || c >= qp.in.RowWidth()) {
					nullOnNull = true
				}
			}
		}
		proj.NullOnNullRow = append(proj.NullOnNullRow, nullOnNull)
		valCols = append(valCols, catalog.Column{Name: it.name, Type: it.expr.Type()})
	}
	stage.Ops = append(stage.Ops, proj)
	for _, c := range keyCols {
		if err := checkKeyColumn(c); err != nil {
			return nil, nil, err
		}
	}
	sink, sinkSrc, err := qp.buildSink(resultKind, keyCols, valCols, catalog.Window{}, qp.src.Window, partitioned)
	if err != nil {
		return nil, nil, err
	}
	sink.KeyFromSource = !partitioned
	stage.Sink = sink
	plan := &QueryPlan{ID: qp.req.ID, Stages: append(pre, stage), Sink: sink}
	plan.Explain = explainStages(plan, qp.cat)
	return plan, sinkSrc, nil
}

// splitKeyItems finds, for each key expression, the projection item that
// carries it, and returns key items (in key order) and value items.
func (qp *queryPlanner) splitKeyItems(items []selectItem, keyExprs []Expr, keyDesc, keyNames []string, partitioned bool) ([]selectItem, []selectItem, error) {
	keyItems := make([]selectItem, len(keyExprs))
	isKey := make([]bool, len(items))
	var missing []string
	for k, ke := range keyExprs {
		found := -1
		var aliases []string
		for i, it := range items {
			if it.expr.String() != ke.String() {
				continue
			}
			aliases = append(aliases, it.name)
			if found < 0 {
				found = i
			}
		}
		if len(aliases) > 1 {
			return nil, nil, keyMoreThanOnce(items[found].at, keyNames[k], aliases)
		}
		if found < 0 {
			missing = append(missing, keyDesc[k])
			continue
		}
		keyItems[k] = items[found]
		isKey[found] = true
	}
	if len(missing) > 0 {
		// ksqlDB names every key (DataSourceNode, UserRepartitionNode:
		// validateKeyPresent), not just the missing ones.
		what := "key column"
		if partitioned {
			what = "partitioning expression"
		}
		return nil, nil, errorf(qp.req.Select.At, "The query used to build `%s` must include the %s %s in its projection (eg, SELECT %s...).",
			qp.req.SinkName, plural(what, len(keyDesc)), joinAnd(keyDesc), strings.Join(keyDesc, ", "))
	}
	var vals []selectItem
	for i, it := range items {
		if !isKey[i] {
			vals = append(vals, it)
		}
	}
	return keyItems, vals, nil
}

// keyMoreThanOnce is FinalProjectNode's error for a key column the
// projection names more than once: its aliases sorted and joined.
func keyMoreThanOnce(at ast.Pos, key string, aliases []string) error {
	sorted := append([]string(nil), aliases...)
	sort.Strings(sorted)
	return errorf(at, "The projection contains a key column (`%s`) more than once, aliased as: %s.\n"+
		"Each key column must only be in the projection once. If you intended to copy the key into the value, "+
		"then consider using the AS_VALUE function to indicate which key reference should be copied.", key, joinAnd(sorted))
}

// formatQualified formats e as ksqlDB's analysis leaves it, every column
// reference qualified with the source's alias.
func formatQualified(e ast.Expr, alias string) string {
	var refs []*ast.ColumnRef
	ast.WalkExpr(e, func(x ast.Expr) bool {
		if c, ok := x.(*ast.ColumnRef); ok && c.Source == "" {
			refs = append(refs, c)
			c.Source = alias
		}
		return true
	})
	s := ast.FormatExpr(e)
	for _, c := range refs {
		c.Source = ""
	}
	return s
}

func plural(what string, n int) string {
	if n == 1 {
		return what
	}
	return what + "s"
}

func joinAnd(xs []string) string {
	if len(xs) <= 1 {
		return strings.Join(xs, "")
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " and " + xs[len(xs)-1]
}

func (qp *queryPlanner) checkResultKind(result ast.SourceKind) error {
	if qp.req.Transient {
		return nil
	}
	want := qp.req.SinkKind
	if qp.req.Insert {
		if qp.req.Existing.Kind == ast.Table {
			return errorf(qp.req.Select.At, "INSERT INTO can only be used to insert into a stream. %s is a table.", qp.req.Existing.Name)
		}
		want = ast.Stream
	}
	if result == want {
		return nil
	}
	if result == ast.Table {
		return errorf(qp.req.Select.At, "Invalid result type. Your SELECT query produces a TABLE. Please use CREATE TABLE AS SELECT statement instead.")
	}
	return errorf(qp.req.Select.At, "Invalid result type. Your SELECT query produces a STREAM. Please use CREATE STREAM AS SELECT statement instead.")
}

// buildSink resolves the sink's topic, formats and schema.
func (qp *queryPlanner) buildSink(kind ast.SourceKind, keyCols, valCols []catalog.Column, window, srcWindow catalog.Window, rekeyed bool) (*Sink, *catalog.Source, error) {
	req := qp.req
	schema := catalog.Schema{Columns: append(append([]catalog.Column{}, keyCols...), valCols...)}
	if req.Transient {
		w := window
		if w.Type == catalog.NoWindow && !rekeyed {
			w = srcWindow
		}
		sink := &Sink{
			Topic:           Topic{Partitions: qp.src.Partitions, Key: keyCols, Value: valCols, Window: w},
			Table:           kind == ast.Table,
			TimestampColumn: -1,
			Transient:       true,
		}
		return sink, &catalog.Source{Name: req.SinkName, Kind: kind, Schema: schema, Window: w, Partitions: qp.src.Partitions}, nil
	}
	if req.Insert {
		ex := req.Existing
		for _, c := range ex.Schema.Columns {
			if c.Kind == catalog.HeadersColumn || c.Kind == catalog.HeaderColumn {
				return nil, nil, errorf(req.Select.At, "Cannot insert into %s because it has header columns", ex.Name)
			}
		}
		if err := sameSchema(schema, ex.Schema); err != nil {
			return nil, nil, errorf(req.Select.At, "Incompatible schema between results and sink.\nResult schema is %s\nSink schema is %s\n%v",
				schema, ex.Schema, err)
		}
		return qp.sinkFor(ex, -1), ex, nil
	}
	allowed := func(name string) bool {
		switch name {
		case "WINDOW_TYPE", "WINDOW_SIZE", "SOURCE_CONNECTOR", "SOURCED_BY_CONNECTOR":
			return false
		}
		return true
	}
	if err := checkPropNames(req.Props, allowed); err != nil {
		return nil, nil, err
	}
	p := formatProps{req.Props}
	inheritKey := qp.src.KeyFormat
	if inheritKey.Name == "NONE" {
		inheritKey = catalog.Format{Name: qp.cfg.DefaultKeyFormat}
		if inheritKey.Name == "" {
			inheritKey.Name = "KAFKA"
		}
	}
	inheritValue := qp.src.ValueFormat
	kf, vf, keySet, err := resolveFormats(p, qp.cfg, &inheritKey, &inheritValue)
	if err != nil {
		return nil, nil, err
	}
	if len(keyCols) == 0 {
		if keySet && kf.Name != "NONE" {
			return nil, nil, errorf(req.Select.At, "Key format specified for stream without key columns.")
		}
		kf = catalog.Format{Name: "NONE"}
	} else if kf.Name == "NONE" {
		if keySet {
			// NoneFormat.getSerde, which ksqlDB reaches when it builds the
			// sink's key serde.
			return nil, nil, errorf(req.Select.At, "Key format does not support schema.\nformat: NONE\nschema: Persistence{columns=[%s], features=[]}\nreason: The 'NONE' format can only be used when no columns are defined. Got: [%s]",
				catalog.Schema{Columns: keyCols}, catalog.Schema{Columns: keyCols})
		}
		kf = catalog.Format{Name: "KAFKA"}
	}
	_, explicitWrap := req.Props.Get("WRAP_SINGLE_VALUE")
	if err := checkWrapping(&vf, len(valCols), explicitWrap); err != nil {
		return nil, nil, err
	}
	topic, hasTopic, err := p.str("KAFKA_TOPIC")
	if err != nil {
		return nil, nil, err
	}
	if !hasTopic {
		topic = qp.cfg.OutputTopicPrefix + req.SinkName
	}
	parts, hasParts, err := p.integer("PARTITIONS")
	if err != nil {
		return nil, nil, err
	}
	if !hasParts {
		parts = int64(qp.src.Partitions)
	}
	if parts < 1 || parts > MaxPartitions {
		return nil, nil, errorf(req.Select.At, "Invalid number of partitions: %d (must be between 1 and %d)", parts, MaxPartitions)
	}
	w := window
	if w.Type == catalog.NoWindow && !rekeyed {
		w = srcWindow
	}
	src := &catalog.Source{
		Name:        req.SinkName,
		Kind:        kind,
		Schema:      schema,
		Topic:       topic,
		Partitions:  int32(parts),
		KeyFormat:   kf,
		ValueFormat: vf,
		Window:      w,
		SQL:         req.Text,
		Query:       req.ID,
	}
	if err := applyTimestampProps(p, src); err != nil {
		return nil, nil, err
	}
	tsCol := -1
	if src.TimestampColumn != "" {
		_, tsCol, _ = schema.Find(src.TimestampColumn)
	}
	if existing, ok := qp.cat.Source(req.SinkName); ok {
		if existing.Kind != kind {
			return nil, nil, errorf(req.Select.At, "Cannot add %s '%s': A %s with the same name already exists",
				strings.ToLower(kind.String()), req.SinkName, strings.ToLower(existing.Kind.String()))
		}
	}
	return qp.sinkFor(src, tsCol), src, nil
}

func (qp *queryPlanner) sinkFor(src *catalog.Source, tsCol int) *Sink {
	if tsCol < 0 && src.TimestampColumn != "" {
		_, tsCol, _ = src.Schema.Find(src.TimestampColumn)
	}
	return &Sink{
		Topic: Topic{
			Name:        src.Topic,
			Partitions:  src.Partitions,
			KeyFormat:   src.KeyFormat,
			ValueFormat: src.ValueFormat,
			Key:         src.Schema.Key(),
			Value:       src.Schema.Value(),
			Window:      src.Window,
		},
		Name:            src.Name,
		Table:           src.Kind == ast.Table,
		TimestampColumn: tsCol,
		TimestampFormat: src.TimestampFormat,
	}
}

// sameSchema checks that a query's result can be written to an existing sink.
func sameSchema(result, sink catalog.Schema) error {
	if len(result.Columns) != len(sink.Columns) {
		return fmt.Errorf("the result has %d columns, the sink has %d", len(result.Columns), len(sink.Columns))
	}
	for i, c := range result.Columns {
		s := sink.Columns[i]
		if c.Name != s.Name || !c.Type.Equal(s.Type) || (c.Kind == catalog.KeyColumn) != (s.Kind == catalog.KeyColumn) {
			return fmt.Errorf("column %d differs: `%s` %s vs `%s` %s", i+1, c.Name, c.Type, s.Name, s.Type)
		}
	}
	return nil
}

func hasStar(items []ast.SelectItem) bool {
	for _, it := range items {
		if it.Star {
			return true
		}
	}
	return false
}

// partitionedStar builds the projection of "SELECT * ... PARTITION BY e":
// the partitioning expressions become the key columns (named like
// unaliased select items), a value column used as a plain partitioning
// column leaves the value, and the old key columns move to the end of the
// value, as ksqlDB does.
func (qp *queryPlanner) partitionedStar(sel *ast.Select, keyExprs []Expr, b *binder) ([]selectItem, []selectItem, error) {
	isKeyExpr := func(e Expr) bool {
		for _, k := range keyExprs {
			if k.String() == e.String() {
				return true
			}
		}
		return false
	}
	var keyItems []selectItem
	pi := 0
	for _, e := range sel.PartitionBy {
		if l, ok := e.(*ast.Literal); ok && l.Value == nil {
			continue
		}
		name := qp.itemName(e)
		if c, ok := keyExprs[pi].(*Column); ok && qp.join != nil {
			name = c.Name // a joined column keeps its name in the joined row, A_C
		}
		keyItems = append(keyItems, selectItem{ast: e, name: name, at: e.Position(), expr: keyExprs[pi]})
		pi++
	}
	var values, oldKeys []selectItem
	for _, it := range sel.Items {
		if !it.Star {
			bound, err := qp.bindItems([]selectItem{{ast: it.Expr, name: it.Alias.Name, at: it.At}}, b)
			if err != nil {
				return nil, nil, err
			}
			values = append(values, bound...)
			continue
		}
		if qp.join != nil {
			// ksqlDB's joined schema: per source, its value columns, its
			// ROWTIME, ROWPARTITION and ROWOFFSET, then its key columns.
			for _, c := range qp.join.schemaOrder() {
				col := &Column{Index: c.Index, Name: c.Internal, T: c.Type}
				if !isKeyExpr(col) {
					values = append(values, selectItem{name: c.Internal, at: it.At, expr: col})
				}
			}
			if jp := qp.join; jp.synthetic {
				col := &Column{Index: 0, Name: jp.keyName, T: jp.keyType}
				if !isKeyExpr(col) {
					oldKeys = append(oldKeys, selectItem{name: jp.keyName, at: it.At, expr: col})
				}
			}
			continue
		}
		for _, c := range qp.scope.Cols {
			if c.Pseudo {
				continue
			}
			col := &Column{Index: c.Index, Name: c.Name, T: c.Type}
			if isKeyExpr(col) {
				continue
			}
			item := selectItem{name: c.Name, at: it.At, expr: col}
			if c.Index < len(qp.in.Key) {
				oldKeys = append(oldKeys, item)
			} else {
				values = append(values, item)
			}
		}
	}
	return keyItems, append(values, oldKeys...), nil
}

// hasTableFunctions reports whether the projection calls a table function.
func (qp *queryPlanner) hasTableFunctions(sel *ast.Select) bool {
	found := false
	for _, it := range sel.Items {
		if it.Expr == nil {
			continue
		}
		ast.WalkExpr(it.Expr, func(x ast.Expr) bool {
			if fc, ok := x.(*ast.FunctionCall); ok && qp.funcs.Kind(fc.Name) == TableFunc {
				found = true
			}
			return !found
		})
	}
	return found
}

// tableFunctionHook binds table function calls to the slots FlatMap
// appends after the input row.
func (qp *queryPlanner) tableFunctionHook(flat *FlatMap) func(ast.Expr) (Expr, bool, error) {
	width := qp.in.RowWidth()
	var keys []string
	return func(e ast.Expr) (Expr, bool, error) {
		fc, ok := e.(*ast.FunctionCall)
		if !ok || qp.funcs.Kind(fc.Name) != TableFunc {
			return nil, false, nil
		}
		key := ast.FormatExpr(fc)
		if i := indexOf(keys, key); i >= 0 {
			c := flat.Calls[i]
			return &Column{Index: width + i, Name: key, T: c.T}, true, nil
		}
		ab := &binder{scope: qp.scope, funcs: qp.funcs, clause: "SELECT"}
		args, infos, err := ab.bindArgs(fc)
		if err != nil {
			return nil, true, err
		}
		res, err := qp.funcs.ResolveTable(fc.Name, infos)
		if err != nil {
			return nil, true, errorf(fc.At, "%v", err)
		}
		applyParamTypes(args, res.ParamTypes)
		flat.Calls = append(flat.Calls, TableCall{Name: fc.Name, Fn: res.Fn, Args: args, T: res.Return})
		keys = append(keys, key)
		return &Column{Index: width + len(keys) - 1, Name: key, T: res.Return}, true, nil
	}
}
