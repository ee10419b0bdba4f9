package engine

import (
	"fmt"
	"math"

	"github.com/ksqlgo/ksql/catalog"
	"github.com/ksqlgo/ksql/planner"
	"github.com/ksqlgo/ksql/sql/ast"
	"github.com/ksqlgo/ksql/sql/types"
)

// Key lookups of pull queries. A WHERE clause whose conjuncts pin every
// key column of the table to literals (k = 5, k IN (1, 2), and for a key
// of several columns each of them) is read from the materialized view by
// key (exec.LookupView) instead of by a scan of the whole view. The
// literals come from the bound filter, so they are already what the
// comparison compares (a string literal for a numeric key was parsed, or
// refused with ksqlDB's error, by the binder); lookupKeys converts each to
// the key column's own runtime type, which is how the view encodes its
// keys. The whole WHERE clause still runs on the rows found: a lookup only
// narrows what is read, so anything it cannot convert exactly makes the
// query scan instead.

// maxLookupKeys bounds the key combinations a multi-column lookup tries
// (the product of each column's candidates); above it the query scans.
const maxLookupKeys = 10000

// lookupKeys returns the keys a pull query over st can read instead of
// scanning, and false when it must scan. nil with true means no row can
// match (every literal is out of the key's range).
func lookupKeys(st *planner.Stage) ([]types.Row, bool) {
	nKey := len(st.Input.Key)
	if nKey == 0 {
		return nil, false
	}
	// Candidates per key column: the smallest set any conjunct allows.
	cands := make([][]types.Value, nKey)
	pinned := make([]bool, nKey)
	pin := func(col int, vals []types.Value) {
		if !pinned[col] || len(vals) < len(cands[col]) {
			cands[col], pinned[col] = vals, true
		}
	}
	// Filters before the first projection see the input row layout (key
	// columns first).
	for _, op := range st.Ops {
		f, ok := op.(*planner.Filter)
		if !ok {
			break
		}
		for _, c := range conjuncts(f.Pred, nil) {
			col, vals, ok := keyPin(c, st)
			if ok {
				pin(col, vals)
			}
		}
	}
	n := 1
	for i := range cands {
		if !pinned[i] {
			return nil, false
		}
		n *= len(cands[i])
		if n > maxLookupKeys {
			return nil, false
		}
	}
	if n == 0 {
		return nil, true
	}
	keys := []types.Row{nil}
	for _, vals := range cands {
		next := make([]types.Row, 0, len(keys)*len(vals))
		for _, k := range keys {
			for _, v := range vals {
				next = append(next, append(append(types.Row(nil), k...), v))
			}
		}
		keys = next
	}
	return keys, true
}

// conjuncts appends the operands of e's top-level ANDs.
func conjuncts(e planner.Expr, out []planner.Expr) []planner.Expr {
	if l, ok := e.(*planner.Logic); ok && l.And {
		return conjuncts(l.R, conjuncts(l.L, out))
	}
	return append(out, e)
}

// keyPin recognizes "key column = literal" and "key column IN
// (literals)" and returns the column's slot and the values it may take,
// as runtime values of its type. ok is false for anything else, or when
// a literal cannot be converted exactly.
func keyPin(e planner.Expr, st *planner.Stage) (col int, vals []types.Value, ok bool) {
	keyCol := func(x planner.Expr) (int, bool) {
		c, ok := x.(*planner.Column)
		if !ok || c.Index >= len(st.Input.Key) {
			return 0, false
		}
		return c.Index, true
	}
	var lits []planner.Expr
	switch x := e.(type) {
	case *planner.Compare:
		if x.Op != ast.OpEq {
			return 0, nil, false
		}
		if i, isKey := keyCol(x.L); isKey {
			col, lits = i, []planner.Expr{x.R}
		} else if i, isKey := keyCol(x.R); isKey {
			col, lits = i, []planner.Expr{x.L}
		} else {
			return 0, nil, false
		}
	case *planner.In:
		i, isKey := keyCol(x.X)
		if !isKey || x.Not {
			return 0, nil, false
		}
		col, lits = i, x.List
	default:
		return 0, nil, false
	}
	kt := st.Input.Key[col].Type
	for _, l := range lits {
		c, isConst := l.(*planner.Const)
		if !isConst {
			return 0, nil, false
		}
		v, match, exact := keyValue(c.Value, kt)
		if !exact {
			return 0, nil, false
		}
		if match {
			vals = append(vals, v)
		}
	}
	return col, vals, true
}

// keyValue converts a literal compared with = to a key column of type kt
// into the one value of kt that compares equal to it (types.Compare, as
// the filter compares): match is false when no value of kt does (NULL, a
// number out of range), exact is false when the conversion is not certain
// to find exactly the rows the comparison accepts (the query then scans).
func keyValue(lit types.Value, kt *types.Type) (v types.Value, match, exact bool) {
	if lit == nil {
		return nil, false, true // = NULL is never true
	}
	switch kt.Kind {
	case types.KindInteger, types.KindBigint:
		var n int64
		switch x := lit.(type) {
		case int32:
			n = int64(x)
		case int64:
			n = x
		default:
			return nil, false, false
		}
		if kt.Kind == types.KindBigint {
			return n, true, true
		}
		if n < math.MinInt32 || n > math.MaxInt32 {
			return nil, false, true
		}
		return int32(n), true, true
	case types.KindDouble:
		var f float64
		switch x := lit.(type) {
		case float64:
			f = x
		case int32:
			f = float64(x)
		case int64:
			f = float64(x) // Compare converts the same way
		default:
			return nil, false, false
		}
		if f == 0 || math.IsNaN(f) {
			return nil, false, false // 0.0 equals -0.0, encoded apart
		}
		return f, true, true
	case types.KindString:
		s, ok := lit.(string)
		return s, ok, ok
	case types.KindBoolean:
		b, ok := lit.(bool)
		return b, ok, ok
	case types.KindBytes:
		b, ok := lit.([]byte)
		return b, ok, ok
	case types.KindTimestamp:
		t, ok := lit.(types.Timestamp)
		return t, ok, ok
	case types.KindDate:
		d, ok := lit.(types.Date)
		return d, ok, ok
	case types.KindTime:
		t, ok := lit.(types.TimeOfDay)
		return t, ok, ok
	}
	// DECIMAL (a value's scale is part of its encoding), and containers.
	return nil, false, false
}

// checkKeyLiterals refuses, as ksqlDB does, a pull query that compares a
// numeric or BOOLEAN key column with a string literal (WHERE ID = '10'
// for an INTEGER ID): ksqlDB's key lookups do not convert the text, where
// the binder elsewhere would parse it.
func checkKeyLiterals(where ast.Expr, src *catalog.Source) error {
	if where == nil {
		return nil
	}
	keyType := map[string]*types.Type{}
	for _, k := range src.Schema.Key() {
		switch k.Type.Kind {
		case types.KindInteger, types.KindBigint, types.KindDouble, types.KindDecimal, types.KindBoolean:
			keyType[k.Name] = k.Type
		}
	}
	if len(keyType) == 0 {
		return nil
	}
	isString := func(e ast.Expr) bool {
		l, ok := e.(*ast.Literal)
		return ok && l.Type != nil && l.Type.Kind == types.KindString
	}
	key := func(e ast.Expr) *types.Type {
		if c, ok := e.(*ast.ColumnRef); ok {
			return keyType[c.Name]
		}
		return nil
	}
	var err error
	ast.WalkExpr(where, func(x ast.Expr) bool {
		if err != nil {
			return false
		}
		switch x := x.(type) {
		case *ast.Binary:
			if x.Op != ast.OpEq {
				return true
			}
			lt, rt := key(x.L), key(x.R)
			if (lt != nil && isString(x.R)) || (rt != nil && isString(x.L)) {
				typ := func(e ast.Expr, t *types.Type) string {
					if t != nil {
						return t.String()
					}
					return types.StringType.String()
				}
				err = fmt.Errorf("Error in WHERE expression: Cannot compare %s (%s) to %s (%s) with EQUAL.\nStatement: (%s = %s)",
					ast.FormatExpr(x.L), typ(x.L, lt), ast.FormatExpr(x.R), typ(x.R, rt), ast.FormatExpr(x.L), ast.FormatExpr(x.R))
			}
		case *ast.InList:
			kt := key(x.X)
			if kt == nil || x.Not {
				return true
			}
			for _, l := range x.List {
				if isString(l) {
					err = fmt.Errorf("%s can not be converted to the type of the key column: %s %s KEY",
						ast.FormatExpr(l), ast.FormatExpr(x.X), kt)
					return false
				}
			}
		}
		return true
	})
	return err
}
