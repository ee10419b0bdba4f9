package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/catalog"
	"github.com/ksqlgo/ksql/exec"
	"github.com/ksqlgo/ksql/exec/serde"
	"github.com/ksqlgo/ksql/planner"
	"github.com/ksqlgo/ksql/sql/ast"
	"github.com/ksqlgo/ksql/sql/types"
)

// insertValues serializes one row and appends it to the source's topic.
func (e *Engine) insertValues(ctx context.Context, s *ast.InsertValues, sess *Session) (*Result, error) {
	src, ok := e.cat.Source(s.Target.Name)
	if !ok {
		// InsertValuesExecutor.getDataSource
		return nil, fmt.Errorf("Cannot insert values into an unknown stream/table: `%s`%s", s.Target.Name, e.unknownSourceHint(s.Target.Name))
	}
	if src.ReadOnly {
		return nil, fmt.Errorf("Cannot insert values into read-only %s: %s", strings.ToLower(src.Kind.String()), src.Name)
	}
	if src.IsWindowed() {
		return nil, fmt.Errorf("Cannot insert values into windowed %s: %s", strings.ToLower(src.Kind.String()), src.Name)
	}
	cols := s.Columns
	if len(cols) == 0 {
		for _, c := range src.Schema.Columns {
			cols = append(cols, ast.Ident{Name: c.Name})
		}
	}
	if len(cols) != len(s.Values) {
		return nil, fmt.Errorf("Expected a value for each column. Expected Columns: %s. Got %s", identNames(cols), formatExprs(s.Values))
	}
	row := make([]types.Value, len(src.Schema.Columns))
	var ts int64 = e.now().UnixMilli()
	b := planner.NewConstantBinder(e.funcs)
	for i, c := range cols {
		expr, err := b.Bind(s.Values[i])
		if err != nil {
			return nil, err
		}
		if c.Name == "ROWTIME" {
			v, err := exec.EvalConstant(expr)
			if err != nil {
				return nil, err
			}
			cv, err := coerceValue(v, expr.Type(), types.BigintType)
			if err != nil || cv == nil {
				return nil, fmt.Errorf("Invalid ROWTIME value %s", ast.FormatExpr(s.Values[i]))
			}
			ts = cv.(int64)
			continue
		}
		col, idx, ok := src.Schema.Find(c.Name)
		if !ok {
			return nil, fmt.Errorf("Column name %s does not exist.", c.Name)
		}
		v, err := exec.EvalConstant(expr)
		if err != nil {
			return nil, fmt.Errorf("Failed to insert values into '%s'. Could not evaluate %s: %v", src.Name, ast.FormatExpr(s.Values[i]), err)
		}
		cv, err := coerceValue(v, expr.Type(), col.Type)
		if err != nil {
			return nil, fmt.Errorf("Failed to insert values into '%s'. Expected type %s for column %s but got %s (%s)", src.Name, col.Type, col.Name, ast.FormatExpr(s.Values[i]), expr.Type())
		}
		row[idx] = cv
	}
	keyCols := src.Schema.Key()
	nk := len(keyCols)
	if src.Kind == ast.Table {
		for i := 0; i < nk; i++ {
			if row[i] == nil {
				return nil, fmt.Errorf("Failed to insert values into '%s'. Value for primary key column(s) %s is required for tables", src.Name, keyCols[i].Name)
			}
		}
	}
	rec, err := SerializeRow(src, row, ts)
	if err != nil {
		return nil, fmt.Errorf("Failed to insert values into '%s'. %v", src.Name, err)
	}
	var part int32
	if rec.Key != nil {
		part = broker.PartitionForKey(rec.Key, src.Partitions)
	} else {
		e.mu.Lock()
		part = e.partitioner.Partition(nil, src.Partitions)
		e.mu.Unlock()
	}
	if _, err := e.log.Append(ctx, src.Topic, part, []broker.Record{rec}); err != nil {
		return nil, fmt.Errorf("Failed to insert values into '%s'. %w", src.Name, err)
	}
	return &Result{Type: NoEntity, Statement: s.Text()}, nil
}

// SerializeRow serializes a row laid out as the source's schema (key
// columns first) into a record with the given timestamp.
func SerializeRow(src *catalog.Source, row []types.Value, ts int64) (broker.Record, error) {
	keyCols := src.Schema.Key()
	nk := len(keyCols)
	rec := broker.Record{Timestamp: ts}
	if nk > 0 && !allNil(row[:nk]) {
		kc, err := exec.NewCodec(src.KeyFormat, keyCols, true)
		if err != nil {
			return rec, err
		}
		if rec.Key, err = kc.Encode(nil, row[:nk]); err != nil && !errors.Is(err, serde.ErrNullRecord) {
			return rec, err
		}
	}
	vc, err := exec.NewCodec(src.ValueFormat, src.Schema.Value(), false)
	if err != nil {
		return rec, err
	}
	var vals []types.Value
	for i, c := range src.Schema.Columns[nk:] {
		if c.Kind == catalog.ValueColumn {
			vals = append(vals, row[nk+i])
		}
	}
	rec.Value, err = vc.Encode(nil, vals)
	switch {
	case errors.Is(err, serde.ErrNullRecord):
		rec.Value = nil
	case err != nil:
		return rec, err
	case rec.Value == nil:
		rec.Value = []byte{}
	}
	return rec, nil
}

func allNil(vs []types.Value) bool {
	for _, v := range vs {
		if v != nil {
			return false
		}
	}
	return true
}

// coerceValue converts an inserted value to the column type: numeric
// widening and string literals parsed as the column's type.
func coerceValue(v types.Value, from, to *types.Type) (types.Value, error) {
	if v == nil {
		return nil, nil
	}
	if from.Equal(to) {
		return v, nil
	}
	switch {
	case from.IsNumeric() && to.IsNumeric(), from.Kind == types.KindString:
		return types.Cast(v, from, to)
	case from.Kind == to.Kind:
		return types.Cast(v, from, to)
	}
	return nil, fmt.Errorf("cannot convert %s to %s", from, to)
}

func identNames(ids []ast.Ident) string {
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i] = id.Name
	}
	return "[" + strings.Join(names, ", ") + "]"
}

func formatExprs(es []ast.Expr) string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = ast.FormatExpr(e)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}
