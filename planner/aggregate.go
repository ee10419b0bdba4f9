package planner

import (
	"fmt"
	"strings"

	"github.com/ksqlgo/ksql/catalog"
	"github.com/ksqlgo/ksql/sql/ast"
	"github.com/ksqlgo/ksql/sql/types"
)

// aggPlan collects what planning an aggregation discovers.
type aggPlan struct {
	// complexIntermediate: a call keeps a STRUCT, ARRAY or MAP between
	// rows (Resolved.ComplexIntermediate).
	complexIntermediate bool
	groupExprs          []Expr   // over the input scope
	groupText           []string // for messages
	calls               []AggregateCall
	callKeys            []string // canonical text of each call, for de-duplication
	// preArgs are the distinct non-constant aggregate arguments, evaluated
	// before the aggregate (and before any repartition).
	preArgs    []Expr
	preArgKeys []string
}

// planAggregate plans GROUP BY queries: filter, pre-aggregate projection,
// optional repartition, aggregate (windowed or not), HAVING, projection.
func (qp *queryPlanner) planAggregate() (*QueryPlan, *catalog.Source, error) {
	sel := qp.req.Select
	if err := qp.checkResultKind(ast.Table); err != nil {
		return nil, nil, err
	}
	if sel.PartitionBy != nil {
		return nil, nil, errorf(sel.At, "PARTITION BY cannot be combined with GROUP BY.")
	}
	if err := qp.windowBoundsRule(sel); err != nil {
		return nil, nil, err
	}
	if qp.hasTableFunctions(sel) {
		return nil, nil, errorf(sel.At, "Table functions cannot be used with aggregations.")
	}
	if qp.src.IsWindowed() {
		return nil, nil, errorf(sel.At, "KSQL does not support persistent queries on windowed tables.")
	}
	if qp.src.Kind == ast.Table && sel.Window != nil {
		return nil, nil, errorf(sel.Window.At, "Windowing not supported for table aggregations.")
	}
	ap := &aggPlan{}
	gb := &binder{scope: qp.scope, funcs: qp.funcs, clause: "GROUP BY"}
	for _, e := range sel.GroupBy {
		var aggName string
		ast.WalkExpr(e, func(x ast.Expr) bool {
			if fc, ok := x.(*ast.FunctionCall); ok && qp.funcs.Kind(fc.Name) == AggregateFunc && aggName == "" {
				aggName = fc.Name
			}
			return aggName == ""
		})
		if aggName != "" {
			return nil, nil, errorf(e.Position(), "GROUP BY does not support aggregate functions: %s is an aggregate function.", aggName)
		}
		be, err := gb.bind(e)
		if err != nil {
			return nil, nil, err
		}
		ap.groupExprs = append(ap.groupExprs, be)
		ap.groupText = append(ap.groupText, ast.FormatExpr(e))
	}
	for i, g := range ap.groupExprs {
		if err := checkKeyColumn(catalog.Column{Name: fmt.Sprintf("KSQL_COL_%d", i), Type: g.Type()}); err != nil {
			return nil, nil, err
		}
	}
	k := len(ap.groupExprs)

	// The aggregate's output scope: window bounds are nameable; key slots
	// and aggregate results are reached through the replace hook.
	outScope := &Scope{}
	filter, err := qp.whereFilter(sel)
	if err != nil {
		return nil, nil, err
	}

	// Bind SELECT and HAVING over the aggregate output. Aggregate calls are
	// collected as they are met; their slots are fixed up afterwards since
	// the number of calls is only known at the end.
	const callSlotBase = 1 << 20
	replace := func(e ast.Expr) (Expr, bool, error) {
		if fc, ok := e.(*ast.FunctionCall); ok && qp.funcs.Kind(fc.Name) == AggregateFunc {
			idx, err := qp.addAggregateCall(ap, fc)
			if err != nil {
				return nil, true, err
			}
			c := ap.calls[idx]
			return &Column{Index: callSlotBase + idx, Name: fmt.Sprintf("KSQL_AGG_VARIABLE_%d", idx), T: c.T}, true, nil
		}
		if lit, isLit := e.(*ast.Literal); isLit {
			// A constant equal to a constant GROUP BY expression is that key.
			text := ast.FormatLiteral(lit.Value, lit.Type)
			for i, g := range ap.groupExprs {
				if c, ok := g.(*Const); ok && c.String() == text {
					return &Column{Index: i, Name: ap.groupText[i], T: g.Type()}, true, nil
				}
			}
			return nil, false, nil
		}
		// Does the expression equal a GROUP BY expression?
		probe := &binder{scope: qp.scope, funcs: qp.funcs, clause: "SELECT"}
		be, err := probe.bind(e)
		if err != nil {
			return nil, false, nil
		}
		for i, g := range ap.groupExprs {
			if be.String() == g.String() {
				return &Column{Index: i, Name: ap.groupText[i], T: g.Type()}, true, nil
			}
		}
		if cr, ok := e.(*ast.ColumnRef); ok {
			if cr.Name == "WINDOWSTART" || cr.Name == "WINDOWEND" {
				return nil, false, nil
			}
			if cr.Name == "ROWTIME" || cr.Name == "ROWPARTITION" || cr.Name == "ROWOFFSET" {
				return nil, true, errorf(cr.At, "Non-aggregate SELECT expression(s) not part of GROUP BY: %s", ast.FormatExpr(e))
			}
			return nil, true, &nonAggregateError{pos: cr.At, expr: ast.FormatExpr(e)}
		}
		return nil, false, nil
	}
	if sel.Window != nil && qp.join == nil {
		// (ksqlDB does not resolve them over a join.)
		outScope.Cols = append(outScope.Cols,
			ScopeColumn{Source: qp.alias, Name: "WINDOWSTART", Type: types.BigintType, Index: -1, Pseudo: true},
			ScopeColumn{Source: qp.alias, Name: "WINDOWEND", Type: types.BigintType, Index: -2, Pseudo: true})
	}
	sb := &binder{scope: outScope, funcs: qp.funcs, clause: "SELECT", replace: replace, allowAggregates: true}
	items, err := qp.expandItems(sel.Items, qp.scope)
	if err != nil {
		return nil, nil, err
	}
	items, err = qp.bindItems(items, sb)
	if err != nil {
		return nil, nil, qp.aggregateError(err, sel, ap)
	}
	var having Expr
	if sel.Having != nil {
		hb := &binder{scope: outScope, names: qp.scope, funcs: qp.funcs, clause: "HAVING", replace: replace, allowAggregates: true}
		if having, err = hb.bind(sel.Having); err != nil {
			err = qp.aggregateError(err, sel, ap)
			if pe, ok := err.(*Error); ok && !pe.Compiled && strings.HasPrefix(pe.Msg, "Cannot compare") {
				// As WHERE's (ksqlDB's ExpressionTypeManager errors).
				pe.Msg = "Error in HAVING expression: " + pe.Msg
			}
			return nil, nil, err
		}
		if kd := having.Type().Kind; kd != types.KindBoolean && kd != types.KindNull {
			return nil, nil, errorf(sel.Having.Position(), "Type error in HAVING expression: Should evaluate to boolean but is %s (%s) instead.",
				ast.FormatExpr(sel.Having), having.Type())
		}
	}
	if len(ap.calls) == 0 {
		return nil, nil, errorf(sel.At, "GROUP BY requires aggregate functions in either the SELECT or HAVING clause.")
	}
	if len(sel.GroupBy) == 0 {
		// Columns outside aggregates were reported above; only aggregates
		// and constants are left.
		if !qp.req.Transient && !qp.req.Insert {
			// ksqlDB's AggregateNode.validateKeyPresent, with the calls
			// as it prints them (COUNT(*) counts ROWTIME).
			names := make([]string, len(ap.callKeys))
			for i, k := range ap.callKeys {
				names[i] = strings.Replace(strings.Replace(k, "(*)", "(ROWTIME)", 1), "()", "(ROWTIME)", 1)
			}
			return nil, nil, errorf(sel.At, "CREATE TABLE AS SELECT statement does not support aggregate function [%s] without a GROUP BY clause.", strings.Join(names, ", "))
		}
		return nil, nil, errorf(sel.At, "Aggregate functions require a GROUP BY clause: use GROUP BY to group the rows to aggregate.")
	}
	// ksqlDB serializes the aggregation's state (group columns and each
	// call's intermediate value) with the source's value format
	// (MaterializationUtil), and refuses a query whose intermediate
	// values that format cannot represent. Our state has its own
	// encoding, but a query ksqlDB refuses is refused here too.
	if ap.complexIntermediate && !formatHasComplexTypes(qp.src.ValueFormat.Name) {
		return nil, nil, errorf(sel.At, "One of the functions used in the statement has an intermediate type that the value format can not handle. "+
			"Please remove the function or change the format.\nConsider up-voting https://github.com/confluentinc/ksql/issues/3950, which will resolve this limitation")
	}
	// Fix up slots: key slots stay, calls go to k+idx, window bounds after.
	nCalls := len(ap.calls)
	fix := func(e Expr) Expr {
		return rewrite(e, func(x Expr) Expr {
			if c, ok := x.(*Column); ok {
				switch {
				case c.Index >= callSlotBase:
					return &Column{Index: k + c.Index - callSlotBase, Name: c.Name, T: c.T}
				case c.Index == -1:
					return &Column{Index: k + nCalls, Name: c.Name, T: c.T}
				case c.Index == -2:
					return &Column{Index: k + nCalls + 1, Name: c.Name, T: c.T}
				}
			}
			return x
		})
	}
	for i := range items {
		items[i].expr = fix(items[i].expr)
	}
	if having != nil {
		having = fix(having)
	}

	// Keys of the result: the GROUP BY expressions, named by the projection.
	var keyExprs []Expr
	for i, g := range ap.groupExprs {
		keyExprs = append(keyExprs, &Column{Index: i, Name: ap.groupText[i], T: g.Type()})
	}
	var keyItems, valueItems []selectItem
	if qp.req.Transient {
		valueItems = items
	} else {
		keyItems, valueItems, err = qp.splitGroupKeys(items, keyExprs, ap.groupText)
	}
	if err != nil {
		return nil, nil, err
	}
	if len(valueItems) == 0 {
		return nil, nil, errorf(sel.At, "The projection contains no value columns.")
	}
	var keyCols, valCols []catalog.Column
	var project []Expr
	for _, it := range keyItems {
		project = append(project, it.expr)
		keyCols = append(keyCols, catalog.Column{Name: it.name, Type: it.expr.Type(), Kind: catalog.KeyColumn})
	}
	for _, it := range valueItems {
		project = append(project, it.expr)
		valCols = append(valCols, catalog.Column{Name: it.name, Type: it.expr.Type()})
	}

	// Window.
	var wspec *WindowSpec
	var sinkWindow catalog.Window
	if w := sel.Window; w != nil {
		// ksqlDB's default grace is 24 hours minus the window size
		// (StreamAggregateBuilder.defaultGrace); with EMIT FINAL it is
		// zero (RewrittenAnalysis.getWindowExpression).
		wspec = &WindowSpec{SizeMs: w.Size.Millis(), GraceMs: max(DefaultGraceMs-w.Size.Millis(), 0)}
		if sel.Emit == ast.EmitFinal {
			wspec.EmitFinal, wspec.GraceMs = true, 0
		}
		switch w.Kind {
		case ast.Tumbling:
			wspec.Type, wspec.AdvanceMs = catalog.TumblingWindow, wspec.SizeMs
		case ast.Hopping:
			wspec.Type, wspec.AdvanceMs = catalog.HoppingWindow, w.Advance.Millis()
			if wspec.AdvanceMs <= 0 || wspec.AdvanceMs > wspec.SizeMs {
				return nil, nil, errorf(w.At, "Window advance must be positive and not larger than the window size.")
			}
		case ast.Session:
			wspec.Type = catalog.SessionWindow
		}
		if wspec.SizeMs <= 0 {
			return nil, nil, errorf(w.At, "Window size must be positive.")
		}
		if w.Grace != nil {
			wspec.GraceMs = w.Grace.Millis()
		}
		wspec.RetentionMs = max(DefaultRetentionMs, wspec.SizeMs+wspec.GraceMs)
		if w.Retention != nil {
			wspec.RetentionMs = w.Retention.Millis()
			if wspec.RetentionMs < wspec.SizeMs+wspec.GraceMs {
				return nil, nil, errorf(w.Retention.At, "The retention period specified (%d ms) must be at least the window size plus grace period (%d ms).",
					wspec.RetentionMs, wspec.SizeMs+wspec.GraceMs)
			}
		}
		wspec.StoreRetentionMs = wspec.SizeMs + wspec.GraceMs
		if w.Retention != nil {
			wspec.StoreRetentionMs = wspec.RetentionMs
		}
		sinkWindow = catalog.Window{Type: wspec.Type, SizeMs: wspec.SizeMs}
		if wspec.Type == catalog.SessionWindow {
			sinkWindow.SizeMs = 0
		}
	}

	// Stage 0: filter and pre-aggregate projection [group keys..., args...].
	stage0, preStages := qp.firstStage()
	if filter != nil {
		stage0.Ops = append(stage0.Ops, filter)
	}
	pre := &Project{}
	for i, g := range ap.groupExprs {
		pre.Exprs = append(pre.Exprs, g)
		pre.Names = append(pre.Names, fmt.Sprintf("KSQL_GROUP_%d", i))
	}
	for i, a := range ap.preArgs {
		pre.Exprs = append(pre.Exprs, a)
		pre.Names = append(pre.Names, fmt.Sprintf("KSQL_AGG_ARG_%d", i))
	}
	// Aggregate call arguments now read the pre-projected slots.
	calls := make([]AggregateCall, len(ap.calls))
	copy(calls, ap.calls)
	for i := range calls {
		args := make([]Expr, len(calls[i].Args))
		for j, a := range calls[i].Args {
			args[j] = &Column{Index: k + indexOf(ap.preArgKeys, a.String()), Name: a.String(), T: a.Type()}
		}
		calls[i].Args = args
	}
	keyTypes := make([]*types.Type, k)
	for i, g := range ap.groupExprs {
		keyTypes[i] = g.Type()
	}
	agg := &Aggregate{
		KeyCount:  k,
		KeyTypes:  keyTypes,
		Calls:     calls,
		Window:    wspec,
		Having:    having,
		Project:   project,
		StoreName: "Aggregate-Aggregate-Materialize",
	}

	if qp.src.Kind == ast.Table && qp.join == nil {
		// (A table join's results carry their old values already.)
		stage0.Ops = append([]Op{&TableSource{StoreName: "KsqlTopic-Reduce"}}, stage0.Ops...)
	}
	stage0.Ops = append(stage0.Ops, pre)
	plan := &QueryPlan{ID: qp.req.ID}
	needRepartition := qp.src.Kind == ast.Table || !qp.groupsBySourceKey(ap)
	if needRepartition {
		repCols := make([]catalog.Column, 0, len(pre.Exprs))
		for i, e := range pre.Exprs {
			kind := catalog.ValueColumn
			if i < k {
				kind = catalog.KeyColumn
			}
			repCols = append(repCols, catalog.Column{Name: pre.Names[i], Type: e.Type(), Kind: kind})
		}
		keyFormat := catalog.Format{Name: "KAFKA"}
		if k > 1 || !kafkaKeyable(keyTypes[0]) {
			keyFormat = catalog.Format{Name: "JSON"}
		}
		rt := Topic{
			Name:        fmt.Sprintf("_confluent-ksql-%squery_%s-Aggregate-GroupBy-repartition", qp.req.ServiceID, qp.req.ID),
			Partitions:  qp.src.Partitions,
			KeyFormat:   keyFormat,
			ValueFormat: catalog.Format{Name: "INTERNAL"},
			Key:         repCols[:k],
			Value:       repCols[k:],
			Internal:    true,
		}
		stage0.Repartition = &Repartition{Topic: rt, KeyCount: k}
		stage1 := &Stage{
			Input: Input{Topic: rt, TimestampColumn: -1, Table: qp.src.Kind == ast.Table},
			Ops:   []Op{agg},
		}
		plan.Stages = append(preStages, stage0, stage1)
	} else {
		stage0.Ops = append(stage0.Ops, agg)
		plan.Stages = append(preStages, stage0)
	}
	sink, sinkSrc, err := qp.buildSink(ast.Table, keyCols, valCols, sinkWindow, catalog.Window{}, true)
	if err != nil {
		return nil, nil, err
	}
	plan.Stages[len(plan.Stages)-1].Sink = sink
	plan.Sink = sink
	plan.Explain = explainStages(plan, qp.cat)
	return plan, sinkSrc, nil
}

// kafkaKeyable reports whether the KAFKA format can serialize a key of type t.
func kafkaKeyable(t *types.Type) bool {
	switch t.Kind {
	case types.KindInteger, types.KindBigint, types.KindDouble, types.KindString, types.KindBytes:
		return true
	}
	return false
}

func indexOf(xs []string, s string) int {
	for i, x := range xs {
		if x == s {
			return i
		}
	}
	return -1
}

// groupsBySourceKey reports whether the GROUP BY expressions are exactly
// the source's key columns, in order, so no repartition is needed.
func (qp *queryPlanner) groupsBySourceKey(ap *aggPlan) bool {
	if len(ap.groupExprs) != len(qp.in.Key) || len(qp.in.Key) == 0 {
		return false
	}
	for i, g := range ap.groupExprs {
		c, ok := g.(*Column)
		if !ok || c.Index != i {
			return false
		}
	}
	return true
}

// addAggregateCall binds an aggregate call's arguments over the input
// scope and returns its index (identical calls share one).
func (qp *queryPlanner) addAggregateCall(ap *aggPlan, fc *ast.FunctionCall) (int, error) {
	key := ast.FormatExpr(fc)
	if i := indexOf(ap.callKeys, key); i >= 0 {
		return i, nil
	}
	b := &binder{scope: qp.scope, funcs: qp.funcs, clause: "SELECT"}
	var args []Expr
	var infos []ArgInfo
	var consts []types.Value
	for i, a := range fc.Args {
		var nested string
		ast.WalkExpr(a, func(x ast.Expr) bool {
			if c, ok := x.(*ast.FunctionCall); ok && qp.funcs.Kind(c.Name) == AggregateFunc && nested == "" {
				nested = c.Name
			}
			return nested == ""
		})
		if nested != "" {
			return 0, errorf(a.Position(), "Aggregate functions can not be nested: %s(%s())", fc.Name, nested)
		}
		e, err := b.bind(a)
		if err != nil {
			return 0, err
		}
		info := ArgInfo{Type: e.Type()}
		if c, ok := e.(*Const); ok && i > 0 {
			info.IsConst, info.Const = true, c.Value
			consts = append(consts, c.Value)
		} else {
			args = append(args, e)
		}
		infos = append(infos, info)
	}
	if fc.Star || len(fc.Args) == 0 {
		// COUNT(*), COUNT(): aggregate ROWTIME, as ksqlDB does.
		rt, err := qp.scope.Resolve("", "ROWTIME", fc.At, "SELECT")
		if err != nil {
			return 0, err
		}
		if len(fc.Args) == 0 {
			args = []Expr{&Column{Index: rt.Index, Name: "ROWTIME", T: rt.Type}}
			infos = []ArgInfo{{Type: rt.Type}}
		}
	}
	res, err := qp.funcs.ResolveAggregate(fc.Name, infos)
	if err != nil {
		// An expression where the function takes a literal (its
		// initial arguments): ksqlDB's UdafFactoryInvoker says which.
		for i := 1; i < len(infos) && i < len(fc.Args); i++ {
			if infos[i].IsConst {
				continue
			}
			try := append([]ArgInfo(nil), infos...)
			try[i].IsConst, try[i].Const = true, sampleConst(try[i].Type)
			if _, terr := qp.funcs.ResolveAggregate(fc.Name, try); terr == nil {
				return 0, errorf(fc.Args[i].Position(), "Parameter %d passed to function %s must be a literal constant, but was expression: '%s'",
					i+1, strings.ToUpper(fc.Name), ast.FormatExpr(fc.Args[i]))
			}
		}
		return 0, errorf(fc.At, "%v", err)
	}
	if res.ParamTypes != nil {
		j := 0
		for i := range infos {
			if infos[i].IsConst {
				continue
			}
			if i < len(res.ParamTypes) && res.ParamTypes[i] != nil && j < len(args) {
				args[j] = implicitCast(args[j], res.ParamTypes[i])
			}
			j++
		}
	}
	for _, a := range args {
		if indexOf(ap.preArgKeys, a.String()) < 0 {
			ap.preArgs = append(ap.preArgs, a)
			ap.preArgKeys = append(ap.preArgKeys, a.String())
		}
	}
	ap.calls = append(ap.calls, AggregateCall{Name: fc.Name, Fn: res.Fn, Args: args, Consts: consts, T: res.Return})
	ap.complexIntermediate = ap.complexIntermediate || res.ComplexIntermediate
	ap.callKeys = append(ap.callKeys, key)
	return len(ap.calls) - 1, nil
}

// nonAggregateError marks a column used outside aggregates and GROUP BY.
type nonAggregateError struct {
	pos  ast.Pos
	expr string
}

func (e *nonAggregateError) Error() string { return e.expr }

// aggregateError turns the binder's non-aggregate marker into ksqlDB's message.
func (qp *queryPlanner) aggregateError(err error, sel *ast.Select, ap *aggPlan) error {
	if na, ok := err.(*nonAggregateError); ok {
		if rerr := qp.aggregateRules(sel); rerr != nil {
			return rerr
		}
		return errorf(na.pos, "Non-aggregate SELECT expression(s) not part of GROUP BY: %s\nEither add the column to the GROUP BY or remove it from the SELECT.", na.expr)
	}
	return err
}

// aggregateRules is ksqlDB's AggregateAnalyzer.enforceAggregateRules over
// the statement as written: aggregate functions are required; a SELECT
// expression must be a GROUP BY expression or reference only GROUP BY
// columns outside aggregates (those that do not are listed, as ksqlDB
// prints them); a column HAVING references outside aggregates must be a
// GROUP BY expression. The window bounds count as grouped.
func (qp *queryPlanner) aggregateRules(sel *ast.Select) error {
	groupBy := map[string]bool{}
	for _, g := range sel.GroupBy {
		groupBy[formatUnqualified(g)] = true
	}
	if sel.Window != nil {
		groupBy["WINDOWSTART"], groupBy["WINDOWEND"] = true, true
	}
	aggregates := 0
	// outside calls fn for each column reference outside aggregate calls.
	outside := func(e ast.Expr, fn func(*ast.ColumnRef)) {
		ast.WalkExpr(e, func(x ast.Expr) bool {
			switch y := x.(type) {
			case *ast.FunctionCall:
				if qp.funcs.Kind(y.Name) == AggregateFunc {
					aggregates++
					return false
				}
			case *ast.ColumnRef:
				fn(y)
			}
			return true
		})
	}
	var selects, having []string
	for _, it := range sel.Items {
		if it.Expr == nil {
			continue
		}
		notGrouped := false
		outside(it.Expr, func(c *ast.ColumnRef) {
			if !groupBy[formatUnqualified(c)] {
				notGrouped = true
			}
		})
		if notGrouped && !groupBy[formatUnqualified(it.Expr)] {
			selects = append(selects, formatUnqualified(it.Expr))
		}
	}
	if sel.Having != nil {
		outside(sel.Having, func(c *ast.ColumnRef) {
			if t := formatUnqualified(c); !groupBy[t] {
				having = append(having, t)
			}
		})
	}
	switch {
	case aggregates == 0:
		return errorf(sel.At, "GROUP BY requires aggregate functions in either the SELECT or HAVING clause.")
	case len(selects) > 0:
		return errorf(sel.At, "Non-aggregate SELECT expression(s) not part of GROUP BY: %s\nEither add the column(s) to the GROUP BY or remove them from the SELECT.", strings.Join(selects, ", "))
	case len(having) > 0:
		return errorf(sel.Having.Position(), "Non-aggregate HAVING expression not part of GROUP BY: %s\nConsider switching the HAVING clause to a WHERE clause before the GROUP BY.", strings.Join(having, ", "))
	}
	return nil
}

// formatUnqualified formats e as ksqlDB's analysis prints it in a single
// source query: column references without their source.
func formatUnqualified(e ast.Expr) string {
	type saved struct {
		c   *ast.ColumnRef
		src string
	}
	var refs []saved
	ast.WalkExpr(e, func(x ast.Expr) bool {
		if c, ok := x.(*ast.ColumnRef); ok && c.Source != "" {
			refs = append(refs, saved{c, c.Source})
			c.Source = ""
		}
		return true
	})
	s := ast.FormatExpr(e)
	for _, r := range refs {
		r.c.Source = r.src
	}
	return s
}

// splitGroupKeys finds the projection item for each GROUP BY expression.
func (qp *queryPlanner) splitGroupKeys(items []selectItem, keyExprs []Expr, keyText []string) ([]selectItem, []selectItem, error) {
	keyItems := make([]selectItem, len(keyExprs))
	isKey := make([]bool, len(items))
	var missing []string
	for k, ke := range keyExprs {
		found := -1
		for i, it := range items {
			c, ok := it.expr.(*Column)
			if !ok || c.Index != ke.(*Column).Index {
				continue
			}
			if found >= 0 {
				return nil, nil, errorf(it.at, "The projection contains a key column more than once: `%s` and `%s`.",
					items[found].name, it.name)
			}
			found = i
		}
		if found < 0 {
			missing = append(missing, keyText[k])
			continue
		}
		keyItems[k] = items[found]
		isKey[found] = true
	}
	if len(missing) > 0 {
		what := "grouping expression"
		if len(missing) > 1 {
			what = "grouping expressions"
		}
		return nil, nil, errorf(qp.req.Select.At, "The query used to build `%s` must include the %s %s in its projection (eg, SELECT %s...).",
			qp.req.SinkName, what, joinAnd(missing), strings.Join(missing, ", "))
	}
	var vals []selectItem
	for i, it := range items {
		if !isKey[i] {
			vals = append(vals, it)
		}
	}
	return keyItems, vals, nil
}

// rewrite rebuilds e bottom-up, applying fn to every node.
func rewrite(e Expr, fn func(Expr) Expr) Expr {
	if e == nil {
		return nil
	}
	switch x := e.(type) {
	case *Call:
		c := *x
		c.Args = rewriteAll(x.Args, fn)
		return fn(&c)
	case *Lambda:
		c := *x
		c.Body = rewrite(x.Body, fn)
		return fn(&c)
	case *Arith:
		c := *x
		c.L, c.R = rewrite(x.L, fn), rewrite(x.R, fn)
		return fn(&c)
	case *Concat:
		return fn(&Concat{L: rewrite(x.L, fn), R: rewrite(x.R, fn)})
	case *Compare:
		c := *x
		c.L, c.R = rewrite(x.L, fn), rewrite(x.R, fn)
		return fn(&c)
	case *Logic:
		return fn(&Logic{And: x.And, L: rewrite(x.L, fn), R: rewrite(x.R, fn)})
	case *Not:
		return fn(&Not{X: rewrite(x.X, fn)})
	case *Neg:
		return fn(&Neg{X: rewrite(x.X, fn)})
	case *IsNull:
		return fn(&IsNull{X: rewrite(x.X, fn), Not: x.Not})
	case *Case:
		c := &Case{T: x.T, Else: rewrite(x.Else, fn)}
		for _, w := range x.Whens {
			c.Whens = append(c.Whens, CaseWhen{Cond: rewrite(w.Cond, fn), Result: rewrite(w.Result, fn)})
		}
		return fn(c)
	case *Cast:
		return fn(&Cast{X: rewrite(x.X, fn), T: x.T})
	case *In:
		return fn(&In{X: rewrite(x.X, fn), List: rewriteAll(x.List, fn), Not: x.Not})
	case *Between:
		return fn(&Between{X: rewrite(x.X, fn), Lo: rewrite(x.Lo, fn), Hi: rewrite(x.Hi, fn), Not: x.Not})
	case *Like:
		return fn(&Like{X: rewrite(x.X, fn), Pattern: rewrite(x.Pattern, fn), Escape: rewrite(x.Escape, fn), Not: x.Not})
	case *Deref:
		c := *x
		c.X = rewrite(x.X, fn)
		return fn(&c)
	case *Subscript:
		return fn(&Subscript{X: rewrite(x.X, fn), Index: rewrite(x.Index, fn), T: x.T})
	case *MakeArray:
		return fn(&MakeArray{Elems: rewriteAll(x.Elems, fn), T: x.T})
	case *MakeMap:
		return fn(&MakeMap{Keys: rewriteAll(x.Keys, fn), Vals: rewriteAll(x.Vals, fn), T: x.T})
	case *MakeStruct:
		return fn(&MakeStruct{Vals: rewriteAll(x.Vals, fn), T: x.T})
	}
	return fn(e)
}

func rewriteAll(es []Expr, fn func(Expr) Expr) []Expr {
	out := make([]Expr, len(es))
	for i, e := range es {
		out[i] = rewrite(e, fn)
	}
	return out
}

// windowBoundsRule is AggregateAnalyzer.throwOnWindowBoundColumnIfWindowedAggregate:
// in a windowed aggregation the window bounds may appear in the SELECT
// clause only, outside aggregate functions.
func (qp *queryPlanner) windowBoundsRule(sel *ast.Select) error {
	if sel.Window == nil {
		return nil
	}
	var bad *ast.ColumnRef
	visit := func(e ast.Expr, inSelect bool) {
		ast.WalkExpr(e, func(x ast.Expr) bool {
			if bad != nil {
				return false
			}
			switch y := x.(type) {
			case *ast.FunctionCall:
				if inSelect && qp.funcs.Kind(y.Name) == AggregateFunc {
					visitAll(y.Args, func(a ast.Expr) {
						ast.WalkExpr(a, func(z ast.Expr) bool {
							if c, ok := z.(*ast.ColumnRef); ok && bad == nil && (c.Name == "WINDOWSTART" || c.Name == "WINDOWEND") {
								bad = c
							}
							return bad == nil
						})
					})
					return false
				}
			case *ast.ColumnRef:
				if !inSelect && (y.Name == "WINDOWSTART" || y.Name == "WINDOWEND") {
					bad = y
				}
			}
			return true
		})
	}
	for _, it := range sel.Items {
		if it.Expr != nil {
			visit(it.Expr, true)
		}
	}
	if sel.Where != nil {
		visit(sel.Where, false)
	}
	for _, g := range sel.GroupBy {
		visit(g, false)
	}
	if sel.Having != nil {
		visit(sel.Having, false)
	}
	if bad == nil {
		return nil
	}
	return errorf(bad.At, "Window bounds column %s can only be used in the SELECT clause of windowed aggregations and can not be passed to aggregate functions.\nSee https://github.com/confluentinc/ksql/issues/4397", formatUnqualified(bad))
}

func visitAll(es []ast.Expr, fn func(ast.Expr)) {
	for _, e := range es {
		fn(e)
	}
}

// formatHasComplexTypes reports whether a value format can carry STRUCT,
// ARRAY and MAP values (KAFKA and DELIMITED cannot).
func formatHasComplexTypes(format string) bool {
	switch strings.ToUpper(format) {
	case "KAFKA", "DELIMITED":
		return false
	}
	return true
}

// sampleConst is a literal of type t, to ask a function whether it would
// take a literal where an expression was given.
func sampleConst(t *types.Type) types.Value {
	switch t.Kind {
	case types.KindInteger:
		return int32(1)
	case types.KindBigint:
		return int64(1)
	case types.KindDouble:
		return float64(1)
	case types.KindBoolean:
		return true
	case types.KindString:
		return "1"
	}
	return nil
}
