package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/catalog"
	"github.com/ksqlgo/ksql/exec"
	"github.com/ksqlgo/ksql/planner"
	"github.com/ksqlgo/ksql/sql/ast"
	"github.com/ksqlgo/ksql/sql/types"
)

// Pull queries (SELECT without EMIT) answer from what exists when they
// start:
//
//   - a table written by a persistent query (CREATE TABLE AS SELECT) is
//     read from the materialized view its sink keeps in the state store
//     (exec.ScanView): one store iterator, so one point in time, as of
//     the last commit of each of the query's last-stage tasks;
//   - a CREATE SOURCE TABLE has no query, so its topic is read up to the
//     end offsets taken when the pull query starts, keeping the last
//     record of each key;
//   - a stream's topic is read up to the end offsets taken at the start.
//
// The rows go through the query's filter and projection (an
// exec.Pipeline), then LIMIT, which ends the read of the view or the
// topic as soon as it is reached. A WHERE clause that pins every key
// column reads those keys from the view instead of scanning it
// (pullkeys.go); the whole clause is still applied to the rows found.

const pullSuffix = " See https://cnfl.io/queries for more info.\nAdd EMIT CHANGES if you intended to issue a push query."

func (e *Engine) startPull(ctx context.Context, s *ast.Query, sess *Session) (RunningQuery, error) {
	sel := s.Select
	ref, ok := sel.From.(*ast.SourceRef)
	if !ok {
		return nil, &planner.Error{Pos: sel.From.Position(), Msg: "Pull queries don't support JOIN clauses."}
	}
	for _, c := range []struct {
		present bool
		what    string
	}{
		{sel.Window != nil, "WINDOW"},
		{sel.GroupBy != nil, "GROUP BY"},
		{sel.PartitionBy != nil, "PARTITION BY"},
		{sel.Having != nil, "HAVING"},
	} {
		if c.present {
			return nil, &planner.Error{Pos: sel.At, Msg: "Pull queries don't support " + c.what + " clauses." + pullSuffix}
		}
	}
	if err := checkPullPseudo(sel); err != nil {
		return nil, err
	}
	src, ok := e.cat.Source(ref.Name.Name)
	if !ok {
		return nil, &planner.Error{Pos: ref.Name.At, Msg: ref.Name.Name + " does not exist."}
	}
	props := e.effectiveProps(sess.Properties)
	var viewQuery *exec.Query
	if src.Kind == ast.Table {
		if err := checkKeyLiterals(sel.Where, src); err != nil {
			return nil, err
		}
		e.mu.Lock()
		viewQuery = e.queries[src.Query]
		e.mu.Unlock()
		if viewQuery == nil && !src.ReadOnly {
			return nil, fmt.Errorf("The `%s` table isn't queryable. To derive a queryable table, you can do 'CREATE TABLE QUERYABLE_%s AS SELECT * FROM %s'. See https://cnfl.io/queries for more info.",
				src.Name, src.Name, src.Name)
		}
		if !boolProp(props, PropPullTableScan, true) && !pinsEveryKey(sel.Where, src) {
			return nil, fmt.Errorf("Query requires table scan to be enabled")
		}
	}
	plan, sink, err := planner.PlanQuery(planner.QueryRequest{
		ID: "pull", Select: sel, Text: s.Text(), ServiceID: e.serviceID(), Transient: true,
	}, e.cat, e.funcs, e.plannerConfig(sess.Properties))
	if err != nil {
		return nil, err
	}
	if len(plan.Stages) != 1 {
		return nil, fmt.Errorf("Pull queries don't support aggregations." + pullSuffix)
	}
	stage := plan.Stages[0]
	rq := &rowsQuery{id: "", kind: PullQuery}
	var colTypes []*types.Type
	for _, c := range sink.Schema.Columns {
		rq.cols = append(rq.cols, Column{Name: c.Name, Type: c.Type.SQLString()})
		colTypes = append(colTypes, c.Type)
	}
	if src.Kind == ast.Table {
		markKeyColumns(rq.cols, stage, src)
	} else {
		rq.final = "Query Completed"
	}
	limit := int64(-1)
	if sel.Limit != nil {
		limit = *sel.Limit
	}
	full := func() bool { return limit >= 0 && int64(len(rq.rows)) >= limit }
	pipe, err := exec.NewPipeline(e.rt, stage, props, func(d exec.Delivery) error {
		if d.Tombstone || full() {
			return nil
		}
		rq.rows = append(rq.rows, Row{Values: toClientValues(d.Row, colTypes)})
		return nil
	})
	if err != nil {
		return nil, err
	}
	if limit == 0 {
		if src.Kind == ast.Stream {
			rq.final = "Limit Reached"
		}
		return rq, nil
	}
	switch {
	case viewQuery != nil:
		last := len(viewQuery.Plan.Stages) - 1
		info, err := e.log.Topic(ctx, viewQuery.Plan.Stages[last].Input.Name)
		if err != nil {
			return nil, err
		}
		complete, err := exec.ViewComplete(e.store, viewQuery.ID, last, info.Config.Partitions)
		if err != nil {
			return nil, err
		}
		if !complete {
			return nil, fmt.Errorf("The `%s` table can't be queried: its query %s was started by an older version of ksql that kept no materialized view of it. Recreate the table (TERMINATE %s; DROP TABLE %s; CREATE TABLE %s AS SELECT ...) to query it.",
				src.Name, viewQuery.ID, viewQuery.ID, src.Name, src.Name)
		}
		var rowTypes []*types.Type
		for _, c := range append(src.Schema.Key(), src.Schema.Value()...) {
			rowTypes = append(rowTypes, c.Type)
		}
		var perr error
		each := func(vr exec.ViewRow) bool {
			perr = pipe.ProcessViewRow(vr)
			return perr == nil && !full()
		}
		if keys, ok := lookupKeys(stage); ok {
			err = exec.LookupView(e.store, viewQuery.ID, last, info.Config.Partitions, keys, rowTypes, each)
		} else {
			err = exec.ScanView(e.store, viewQuery.ID, last, info.Config.Partitions, rowTypes, each)
		}
		if err == nil {
			err = perr
		}
		if err != nil {
			return nil, err
		}
	default:
		// A stream, or a source table: the topic up to its current end.
		err := e.scanTopic(ctx, src.Topic, src.Kind == ast.Table, func(rec *broker.Record) bool {
			if err := pipe.ProcessRecord(rec); err != nil {
				return false
			}
			return !full()
		})
		if err != nil {
			return nil, err
		}
		if src.Kind == ast.Stream && full() {
			rq.final = "Limit Reached" // as ksqlDB's stream pull queries
		}
	}
	return rq, nil
}

// scanTopic calls fn for the records of every partition of topic up to
// the stable end offsets taken when it starts. latestPerKey keeps only
// the last record of each key (a table's changelog).
func (e *Engine) scanTopic(ctx context.Context, topic string, latestPerKey bool, fn func(*broker.Record) bool) error {
	info, err := e.log.Topic(ctx, topic)
	if err != nil {
		return err
	}
	ends := make([]int64, info.Config.Partitions)
	for p := range ends {
		off, err := e.log.Offsets(ctx, topic, int32(p))
		if err != nil {
			return err
		}
		ends[p] = off.Stable
	}
	for p, end := range ends {
		var recs []broker.Record
		last := map[string]int{}
		pos := int64(0)
		if off, err := e.log.Offsets(ctx, topic, int32(p)); err == nil {
			pos = off.Start
		}
		for pos < end {
			batch, next, err := e.log.Read(ctx, topic, int32(p), pos, broker.ReadOptions{MaxRecords: 1000})
			if err != nil {
				return err
			}
			if next <= pos {
				break
			}
			for _, r := range batch {
				if r.Offset >= end {
					break
				}
				if !latestPerKey {
					if !fn(&r) {
						return nil
					}
					continue
				}
				if i, ok := last[string(r.Key)]; ok {
					recs[i].Value = nil // superseded: dropped below
					recs[i].Key = nil
				}
				last[string(r.Key)] = len(recs)
				recs = append(recs, r)
			}
			pos = next
		}
		for i := range recs {
			r := &recs[i]
			if r.Key == nil || r.Value == nil {
				continue // superseded, or a delete
			}
			if !fn(r) {
				return nil
			}
		}
	}
	return nil
}

// checkPullPseudo rejects ROWPARTITION and ROWOFFSET, which pull queries
// do not support.
func checkPullPseudo(sel *ast.Select) error {
	find := func(es ...ast.Expr) []string {
		var found []string
		for _, e := range es {
			if e == nil {
				continue
			}
			ast.WalkExpr(e, func(x ast.Expr) bool {
				if c, ok := x.(*ast.ColumnRef); ok && (c.Name == "ROWPARTITION" || c.Name == "ROWOFFSET") {
					found = append(found, "`"+c.Name+"`")
				}
				return true
			})
		}
		return found
	}
	var items []ast.Expr
	for _, it := range sel.Items {
		items = append(items, it.Expr)
	}
	if f := find(items...); len(f) > 0 {
		return &planner.Error{Pos: sel.At, Msg: "Pull queries don't support the following columns in SELECT clauses: " + strings.Join(f, ", ")}
	}
	if f := find(sel.Where); len(f) > 0 {
		return &planner.Error{Pos: sel.At, Msg: "Pull queries don't support the following columns in WHERE clauses: " + strings.Join(f, ", ")}
	}
	return nil
}

// pinsEveryKey reports whether where's conjuncts compare every key column
// of src to a literal with = or IN: a lookup that needs no table scan.
func pinsEveryKey(where ast.Expr, src *catalog.Source) bool {
	pinned := map[string]bool{}
	var walk func(e ast.Expr)
	walk = func(e ast.Expr) {
		switch x := e.(type) {
		case *ast.Binary:
			if x.Op == ast.OpAnd {
				walk(x.L)
				walk(x.R)
				return
			}
			if x.Op != ast.OpEq {
				return
			}
			for _, pair := range [][2]ast.Expr{{x.L, x.R}, {x.R, x.L}} {
				c, isCol := pair[0].(*ast.ColumnRef)
				_, isLit := pair[1].(*ast.Literal)
				if isCol && isLit {
					pinned[c.Name] = true
				}
			}
		case *ast.InList:
			c, isCol := x.X.(*ast.ColumnRef)
			if !isCol || x.Not {
				return
			}
			for _, l := range x.List {
				if _, isLit := l.(*ast.Literal); !isLit {
					return
				}
			}
			pinned[c.Name] = true
		}
	}
	if where != nil {
		walk(where)
	}
	for _, k := range src.Schema.Key() {
		if !pinned[k.Name] {
			return false
		}
	}
	return len(src.Schema.Key()) > 0
}

// markKeyColumns flags the result columns that carry the table's key (and
// window bounds) unchanged, as ksqlDB's pull query headers do.
func markKeyColumns(cols []Column, st *planner.Stage, src *catalog.Source) {
	var proj *planner.Project
	for _, op := range st.Ops {
		if p, ok := op.(*planner.Project); ok {
			proj = p
		}
	}
	if proj == nil {
		return
	}
	nKey := len(src.Schema.Key())
	base := len(st.Input.Key) + len(st.Input.Value)
	for i, ex := range proj.Exprs {
		c, ok := ex.(*planner.Column)
		if !ok || i >= len(cols) {
			continue
		}
		if c.Index < nKey || (st.Input.Windowed && (c.Index == base+planner.PseudoWindowstart || c.Index == base+planner.PseudoWindowend)) {
			cols[i].Key = true
		}
	}
}

func boolProp(props map[string]string, key string, def bool) bool {
	switch strings.ToLower(strings.TrimSpace(props[key])) {
	case "true":
		return true
	case "false":
		return false
	}
	return def
}
