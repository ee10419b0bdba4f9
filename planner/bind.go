package planner

import (
	"fmt"
	"strings"

	"github.com/ksqlgo/ksql/sql/ast"
	"github.com/ksqlgo/ksql/sql/types"
)

// Error is a planning error: what is wrong, and where in the statement.
type Error struct {
	Pos ast.Pos
	Msg string
	// Compiled marks an error ksqlDB raises when it compiles the
	// expression (CodeGenRunner), after analysis: the clause names it
	// "Invalid Predicate: ..." or "Invalid Select: ...".
	Compiled bool
	// Located errors carry their position in the message, as ksqlDB's
	// do for unresolved and ambiguous column references in some places:
	// "Line: L, Col: C: message".
	Located bool
}

func (e *Error) Error() string {
	if e.Located && e.Pos.IsValid() {
		return fmt.Sprintf("Line: %d, Col: %d: %s", e.Pos.Line, e.Pos.Col, e.Msg)
	}
	return e.Msg
}

// locatedf is errorf for a Located error.
func locatedf(pos ast.Pos, format string, args ...any) error {
	return &Error{Pos: pos, Msg: fmt.Sprintf(format, args...), Located: true}
}

// Position is where in the statement the error was found.
func (e *Error) Position() ast.Pos { return e.Pos }

// compiled names an error raised as ksqlDB compiles an expression of a
// clause (CodeGenRunner: "Invalid " + type + ": " + message + ".").
func compiled(err error, what string) error {
	if pe, ok := err.(*Error); ok && pe.Compiled {
		return &Error{Pos: pe.Pos, Msg: "Invalid " + what + ": " + pe.Msg + "."}
	}
	return err
}

func errorf(pos ast.Pos, format string, args ...any) error {
	return &Error{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

// ScopeColumn is a column visible to expressions.
type ScopeColumn struct {
	Source string // the source name or alias that qualifies it ("" if none)
	Name   string
	Type   *types.Type
	Index  int // slot in the row
	// Pseudo marks ROWTIME, ROWPARTITION, ROWOFFSET, WINDOWSTART, WINDOWEND.
	Pseudo bool
	// Internal, when set, is the column's name in the row (a joined
	// source's column C of alias A is A_C); bound references carry it.
	Internal string
	// QualOnly columns resolve only when qualified (a joined source's
	// pseudo columns: S1.ROWTIME, while ROWTIME is the result's).
	QualOnly bool
}

// Scope is the set of columns an expression may reference.
type Scope struct {
	Cols []ScopeColumn
}

// Resolve finds a column by optional qualifier and name.
func (s *Scope) Resolve(qual, name string, pos ast.Pos, clause string) (*ScopeColumn, error) {
	var found *ScopeColumn
	for i := range s.Cols {
		c := &s.Cols[i]
		if c.Name != name || (qual != "" && c.Source != qual) || (qual == "" && c.QualOnly) {
			continue
		}
		if found != nil {
			return nil, locatedf(pos, "Column '%s' is ambiguous. Could be %s.%s or %s.%s.",
				name, found.Source, name, c.Source, name)
		}
		found = c
	}
	if found == nil {
		col := name
		if qual != "" {
			col = qual + "." + name
		}
		if clause == "PARTITION BY" {
			// ksqlDB's Analyzer: PARTITION BY sees the input, not the
			// projection's aliases.
			return nil, errorf(pos, "PARTITION BY column '%s' cannot be resolved. '%s' must be a column in the source schema since PARTITION BY is applied on the input.", col, col)
		}
		return nil, errorf(pos, "%s column '%s' cannot be resolved.", clause, col)
	}
	return found, nil
}

// format prints e for a message as ksqlDB does after its analysis: a
// joined source's column A.C by its name in the joined row, A_C.
func (b *binder) format(e ast.Expr) string {
	type saved struct {
		c            *ast.ColumnRef
		source, name string
	}
	var undo []saved
	scope := b.scope
	if b.names != nil {
		scope = b.names
	}
	ast.WalkExpr(e, func(x ast.Expr) bool {
		if c, ok := x.(*ast.ColumnRef); ok {
			if sc, err := scope.Resolve(c.Source, c.Name, c.At, b.clause); err == nil && sc.Internal != "" {
				undo = append(undo, saved{c, c.Source, c.Name})
				c.Source, c.Name = "", sc.Internal
			}
		}
		return true
	})
	s := ast.FormatExpr(e)
	for _, u := range undo {
		u.c.Source, u.c.Name = u.source, u.name
	}
	return s
}

// binder turns AST expressions into typed, bound expressions.
type binder struct {
	scope  *Scope
	funcs  FunctionResolver
	clause string // "SELECT", "WHERE", ... for messages
	// replace, when set, is consulted first for every sub-expression; it
	// lets aggregation map GROUP BY expressions and aggregate calls onto
	// the aggregate's output slots.
	replace func(e ast.Expr) (Expr, bool, error)
	// names, when set, is the scope messages name columns by (format):
	// the input's, where scope is an aggregation's output.
	names *Scope
	// allowAggregates is false where aggregate calls are not permitted.
	allowAggregates bool
	lambdas         []lambdaParam
}

type lambdaParam struct {
	name  string
	t     *types.Type
	index int
}

func (b *binder) bind(e ast.Expr) (Expr, error) {
	if b.replace != nil {
		if r, ok, err := b.replace(e); err != nil || ok {
			return r, err
		}
	}
	switch x := e.(type) {
	case *ast.Literal:
		t := x.Type
		if t == nil {
			t = types.NullType
		}
		return &Const{Value: x.Value, T: t}, nil
	case *ast.ColumnRef:
		if x.Source == "" {
			for i := len(b.lambdas) - 1; i >= 0; i-- {
				if b.lambdas[i].name == x.Name {
					p := b.lambdas[i]
					return &LambdaVar{Index: p.index, Name: p.name, T: p.t}, nil
				}
			}
		}
		c, err := b.scope.Resolve(x.Source, x.Name, x.At, b.clause)
		if err != nil {
			return nil, err
		}
		name := c.Name
		if c.Internal != "" {
			name = c.Internal
		}
		return &Column{Index: c.Index, Name: name, T: c.Type}, nil
	case *ast.Dereference:
		base, err := b.bind(x.Base)
		if err != nil {
			return nil, err
		}
		bt := base.Type()
		if bt.Kind != types.KindStruct {
			return nil, errorf(x.At, "Can't dereference %s of type %s: only STRUCT fields can be dereferenced with '->'.",
				ast.FormatExpr(x.Base), bt)
		}
		f, i, ok := bt.Field(x.Field)
		if !ok {
			return nil, errorf(x.At, "Could not find field '%s' in '%s'.", x.Field, ast.FormatExpr(x.Base))
		}
		return &Deref{X: base, Field: f.Name, Index: i, T: f.Type}, nil
	case *ast.Subscript:
		base, err := b.bind(x.Base)
		if err != nil {
			return nil, err
		}
		idx, err := b.bind(x.Index)
		if err != nil {
			return nil, err
		}
		bt := base.Type()
		switch bt.Kind {
		case types.KindArray:
			if k := idx.Type().Kind; k != types.KindInteger && k != types.KindBigint && k != types.KindNull {
				return nil, errorf(x.At, "Array index must be an INTEGER or BIGINT, got %s.", idx.Type())
			}
			return &Subscript{X: base, Index: idx, T: bt.Elem}, nil
		case types.KindMap:
			if !canImplicitlyCast(idx.Type(), bt.Key) {
				return nil, errorf(x.At, "Map key must be of type %s, got %s.", bt.Key, idx.Type())
			}
			return &Subscript{X: base, Index: implicitCast(idx, bt.Key), T: bt.Value}, nil
		case types.KindNull:
			return &Const{T: types.NullType}, nil
		}
		return nil, errorf(x.At, "Only arrays and maps can be subscripted; %s is %s.", ast.FormatExpr(x.Base), bt)
	case *ast.FunctionCall:
		return b.bindCall(x)
	case *ast.Binary:
		return b.bindBinary(x)
	case *ast.Unary:
		inner, err := b.bind(x.X)
		if err != nil {
			return nil, err
		}
		switch x.Op {
		case ast.OpNot:
			if err := b.expectBoolean(inner, x.X, "NOT"); err != nil {
				return nil, err
			}
			return &Not{X: inner}, nil
		case ast.OpNeg:
			if c, ok := inner.(*Const); ok {
				if v, ok := negateConst(c.Value); ok {
					return &Const{Value: v, T: c.T}, nil
				}
			}
			if !inner.Type().IsNumeric() && inner.Type().Kind != types.KindNull {
				return nil, errorf(x.At, "Unary minus is not supported for %s of type %s.", ast.FormatExpr(x.X), inner.Type())
			}
			return &Neg{X: inner}, nil
		default:
			if !inner.Type().IsNumeric() && inner.Type().Kind != types.KindNull {
				return nil, errorf(x.At, "Unary plus is not supported for %s of type %s.", ast.FormatExpr(x.X), inner.Type())
			}
			return inner, nil
		}
	case *ast.Case:
		return b.bindCase(x)
	case *ast.Cast:
		inner, err := b.bind(x.X)
		if err != nil {
			return nil, err
		}
		if !castable(inner.Type(), x.To) {
			return nil, &Error{Pos: x.At, Msg: fmt.Sprintf("Cast of %s to %s is not supported", inner.Type(), x.To), Compiled: true}
		}
		if inner.Type().Equal(x.To) {
			return inner, nil
		}
		return &Cast{X: inner, T: x.To}, nil
	case *ast.Between:
		v, err := b.bind(x.X)
		if err != nil {
			return nil, err
		}
		lo, err := b.bind(x.Lo)
		if err != nil {
			return nil, err
		}
		hi, err := b.bind(x.Hi)
		if err != nil {
			return nil, err
		}
		lo, hi = magicTimestamp(lo, v), magicTimestamp(hi, v)
		for _, o := range []Expr{lo, hi} {
			if _, ok := comparable(ast.OpGe, v.Type(), o.Type()); !ok {
				return nil, errorf(x.At, "Cannot compare %s (%s) to %s (%s) with BETWEEN.",
					v, v.Type(), o, o.Type())
			}
		}
		return &Between{X: v, Lo: lo, Hi: hi, Not: x.Not}, nil
	case *ast.InList:
		v, err := b.bind(x.X)
		if err != nil {
			return nil, err
		}
		list := make([]Expr, len(x.List))
		// common is the type ksqlDB's CoercionUtil.UserListCoercer has
		// resolved so far, for its messages.
		common := v.Type()
		for i, le := range x.List {
			if list[i], err = b.bind(le); err != nil {
				return nil, err
			}
			orig := list[i]
			if c, ok := list[i].(*Const); ok && c.Value != nil {
				// Literals are converted to the tested value's type where
				// their text allows, as ksqlDB does ('10' for an INT).
				if conv, ok := convertLiteral(c, v.Type()); ok {
					list[i] = conv
				}
			}
			if _, ok := comparable(ast.OpEq, v.Type(), list[i].Type()); !ok {
				return nil, &Error{Pos: le.Position(), Msg: coercionFailure(common, orig), Compiled: true}
			}
			common = widenCommon(common, orig.Type())
		}
		return &In{X: v, List: list, Not: x.Not}, nil
	case *ast.Like:
		v, err := b.bind(x.X)
		if err != nil {
			return nil, err
		}
		p, err := b.bind(x.Pattern)
		if err != nil {
			return nil, err
		}
		for _, o := range []Expr{v, p} {
			if k := o.Type().Kind; k != types.KindString && k != types.KindNull {
				return nil, errorf(x.At, "LIKE operands must be STRING; %s is %s.", o, o.Type())
			}
		}
		out := &Like{X: v, Pattern: p, Not: x.Not}
		if x.Escape != nil {
			if out.Escape, err = b.bind(x.Escape); err != nil {
				return nil, err
			}
		}
		return out, nil
	case *ast.IsNull:
		v, err := b.bind(x.X)
		if err != nil {
			return nil, err
		}
		return &IsNull{X: v, Not: x.Not}, nil
	case *ast.ArrayCtor:
		if len(x.Elems) == 0 {
			return nil, errorf(x.At, "Array constructor cannot be empty. Please supply at least one element (see https://github.com/confluentinc/ksql/issues/4239).")
		}
		elems := make([]Expr, len(x.Elems))
		var et *types.Type = types.NullType
		for i, ee := range x.Elems {
			var err error
			if elems[i], err = b.bind(ee); err != nil {
				return nil, err
			}
			ct := commonType(et, elems[i].Type())
			if ct == nil {
				return nil, errorf(ee.Position(), "invalid input syntax for type %s: \"%s\"", et, ast.FormatExpr(ee))
			}
			et = ct
		}
		if et.Kind == types.KindNull {
			et = types.StringType
		}
		for i := range elems {
			elems[i] = implicitCast(elems[i], et)
		}
		return &MakeArray{Elems: elems, T: types.ArrayOf(et)}, nil
	case *ast.MapCtor:
		if len(x.Keys) == 0 {
			return nil, errorf(x.At, "Map constructor cannot be empty. Please supply at least one key value pair (see https://github.com/confluentinc/ksql/issues/4239).")
		}
		keys := make([]Expr, len(x.Keys))
		vals := make([]Expr, len(x.Vals))
		kt, vt := types.NullType, types.NullType
		for i := range x.Keys {
			var err error
			if keys[i], err = b.bind(x.Keys[i]); err != nil {
				return nil, err
			}
			if vals[i], err = b.bind(x.Vals[i]); err != nil {
				return nil, err
			}
			if kt = commonType(kt, keys[i].Type()); kt == nil {
				return nil, errorf(x.Keys[i].Position(), "invalid input syntax for map key %s", keys[i])
			}
			if vt = commonType(vt, vals[i].Type()); vt == nil {
				return nil, errorf(x.Vals[i].Position(), "invalid input syntax for map value %s", vals[i])
			}
		}
		if kt.Kind == types.KindNull {
			return nil, errorf(x.At, "Cannot construct a map with all NULL keys (see https://github.com/confluentinc/ksql/issues/4239). As a workaround, you may cast a NULL key to the desired type.")
		}
		if vt.Kind == types.KindNull {
			return nil, errorf(x.At, "Cannot construct a map with all NULL values (see https://github.com/confluentinc/ksql/issues/4239). As a workaround, you may cast a NULL value to the desired type.")
		}
		for i := range keys {
			keys[i], vals[i] = implicitCast(keys[i], kt), implicitCast(vals[i], vt)
		}
		return &MakeMap{Keys: keys, Vals: vals, T: types.MapOf(kt, vt)}, nil
	case *ast.StructCtor:
		vals := make([]Expr, len(x.Vals))
		fields := make([]types.Field, len(x.Vals))
		seen := map[string]bool{}
		for _, n := range x.Names {
			if seen[n] {
				return nil, errorf(x.At, "Duplicate field names found in STRUCT: '%s'", ast.FormatExpr(x))
			}
			seen[n] = true
		}
		for i := range x.Vals {
			var err error
			if vals[i], err = b.bind(x.Vals[i]); err != nil {
				return nil, err
			}
			ft := vals[i].Type()
			if ft.Kind == types.KindNull {
				ft = types.StringType
			}
			fields[i] = types.Field{Name: x.Names[i], Type: ft}
		}
		return &MakeStruct{Vals: vals, T: types.StructOf(fields...)}, nil
	case *ast.Lambda:
		return nil, errorf(x.At, "Lambda expressions are only allowed as arguments of lambda functions such as TRANSFORM, FILTER and REDUCE.")
	case *ast.IntervalUnit:
		return &TimeUnitArg{Unit: x.Unit}, nil
	}
	return nil, errorf(e.Position(), "Unsupported expression %s", ast.FormatExpr(e))
}

func negateConst(v types.Value) (types.Value, bool) {
	switch n := v.(type) {
	case int32:
		return -n, true
	case int64:
		return -n, true
	case float64:
		return -n, true
	case types.Dec:
		return n.Neg(), true
	}
	return nil, false
}

func (b *binder) expectBoolean(e Expr, src ast.Expr, what string) error {
	if k := e.Type().Kind; k != types.KindBoolean && k != types.KindNull {
		return errorf(src.Position(), "%s operand %s must be BOOLEAN, not %s", what, ast.FormatExpr(src), e.Type())
	}
	return nil
}

func (b *binder) bindBinary(x *ast.Binary) (Expr, error) {
	l, err := b.bind(x.L)
	if err != nil {
		return nil, err
	}
	r, err := b.bind(x.R)
	if err != nil {
		return nil, err
	}
	lt, rt := l.Type(), r.Type()
	switch {
	case x.Op == ast.OpAnd || x.Op == ast.OpOr:
		if err := b.expectBoolean(l, x.L, x.Op.String()); err != nil {
			return nil, err
		}
		if err := b.expectBoolean(r, x.R, x.Op.String()); err != nil {
			return nil, err
		}
		return &Logic{And: x.Op == ast.OpAnd, L: l, R: r}, nil
	case x.Op == ast.OpConcat:
		for _, o := range []Expr{l, r} {
			if k := o.Type().Kind; k != types.KindString && k != types.KindNull {
				return nil, errorf(x.At, "Error processing expression: %s. Operator || requires STRING operands, %s is %s.",
					ast.FormatExpr(x), o, o.Type())
			}
		}
		return &Concat{L: l, R: r}, nil
	case x.Op.IsArithmetic():
		if lt.Kind == types.KindNull || rt.Kind == types.KindNull {
			// ksqlDB's Operator.resultType: a bare NULL has no type to
			// compute with (CAST(NULL AS ...) has).
			name := func(t *types.Type) string {
				if t.Kind == types.KindNull {
					return "null"
				}
				return t.String()
			}
			return nil, errorf(x.At, "Error processing expression: %s. Arithmetic on types %s and %s are not supported.",
				ast.FormatExpr(x), name(lt), name(rt))
		}
		if x.Op == ast.OpAdd && (lt.Kind == types.KindString || rt.Kind == types.KindString) &&
			(lt.Kind == types.KindString || lt.Kind == types.KindNull) &&
			(rt.Kind == types.KindString || rt.Kind == types.KindNull) {
			return &Concat{L: l, R: r}, nil
		}
		ok := (lt.IsNumeric() || lt.Kind == types.KindNull) && (rt.IsNumeric() || rt.Kind == types.KindNull)
		if !ok {
			return nil, errorf(x.At, "Error processing expression: %s. Unsupported arithmetic types. %s %s",
				ast.FormatExpr(x), lt, rt)
		}
		t := arithmeticType(x.Op, lt, rt)
		return &Arith{Op: x.Op, L: l, R: r, T: t}, nil
	case x.Op.IsComparison():
		if lt.Kind == types.KindNull && rt.Kind == types.KindNull && x.Op != ast.OpIsDistinctFrom && x.Op != ast.OpIsNotDistinctFrom {
			// ksqlDB's ComparisonUtil names the operands' types.
			return nil, errorf(x.At, "Comparison with NULL not supported: NULL %s NULL\nUse 'IS NULL' or 'IS NOT NULL' instead.", x.Op)
		}
		// ROWTIME, WINDOWSTART and WINDOWEND compared to a string literal
		// read the literal as a timestamp ("magic timestamp conversion").
		l, r = magicTimestamp(l, r), magicTimestamp(r, l)
		lt, rt = l.Type(), r.Type()
		// A string literal compared to a temporal value is parsed as that
		// type, as ksqlDB does; ksqlDB's ComparisonUtil does not compare
		// a number or a boolean with a string.
		if c, ok := r.(*Const); ok && c.T.Kind == types.KindString && isTemporal(lt) {
			v, err := coerceLiteral(c.Value.(string), lt)
			if err != nil {
				return nil, errorf(x.R.Position(), "%v", err)
			}
			r = &Const{Value: v, T: lt}
			rt = lt
		} else if c, ok := l.(*Const); ok && c.T.Kind == types.KindString && isTemporal(rt) {
			v, err := coerceLiteral(c.Value.(string), rt)
			if err != nil {
				return nil, errorf(x.L.Position(), "%v", err)
			}
			l = &Const{Value: v, T: rt}
			lt = rt
		}
		ct, ok := comparable(x.Op, lt, rt)
		if !ok {
			return nil, errorf(x.At, "Cannot compare %s (%s) to %s (%s) with %s.",
				b.format(x.L), lt, b.format(x.R), rt, opName(x.Op))
		}
		return &Compare{Op: x.Op, L: l, R: r, Operand: ct}, nil
	}
	return nil, errorf(x.At, "Unsupported operator %s", x.Op)
}

// coerceLiteral parses a string literal as a value of type t, for
// comparisons such as "ts > '2020-01-01'" or "id = '10'".
func coerceLiteral(s string, t *types.Type) (types.Value, error) {
	v, err := ParseLiteral(s, t)
	if err != nil {
		if t.IsNumeric() || t.Kind == types.KindBoolean {
			return nil, fmt.Errorf("invalid input syntax for type %s: \"%s\"", t, s)
		}
		return nil, err
	}
	return v, nil
}

func (b *binder) bindCase(x *ast.Case) (Expr, error) {
	out := &Case{}
	var operand Expr
	if x.Operand != nil {
		var err error
		if operand, err = b.bind(x.Operand); err != nil {
			return nil, err
		}
	}
	var rt *types.Type = types.NullType
	for _, w := range x.Whens {
		cond, err := b.bind(w.Cond)
		if err != nil {
			return nil, err
		}
		if operand != nil {
			ct, ok := comparable(ast.OpEq, operand.Type(), cond.Type())
			if !ok {
				return nil, errorf(w.Cond.Position(), "Invalid Case expression. Type of WHEN operand %s (%s) does not match CASE operand %s (%s).",
					cond, cond.Type(), operand, operand.Type())
			}
			cond = &Compare{Op: ast.OpEq, L: operand, R: cond, Operand: ct}
		} else if err := b.expectBoolean(cond, w.Cond, "WHEN"); err != nil {
			return nil, errorf(w.Cond.Position(), "WHEN operand type should be boolean. Type for '%s' is %s",
				ast.FormatExpr(w.Cond), cond.Type())
		}
		res, err := b.bind(w.Result)
		if err != nil {
			return nil, err
		}
		nt := commonType(rt, res.Type())
		if nt == nil {
			return nil, errorf(w.Result.Position(), "Invalid Case expression. Type for all 'THEN' clauses should be the same.\nTHEN expression '%s' has type: %s. Previous THEN expression(s) type: %s.",
				ast.FormatExpr(w.Result), res.Type(), rt)
		}
		rt = nt
		out.Whens = append(out.Whens, CaseWhen{Cond: cond, Result: res})
	}
	if x.Else != nil {
		e, err := b.bind(x.Else)
		if err != nil {
			return nil, err
		}
		nt := commonType(rt, e.Type())
		if nt == nil {
			return nil, errorf(x.Else.Position(), "Invalid Case expression. Type for the default clause should be the same as for 'THEN' clauses.\nTHEN type: %s.\nDEFAULT type: %s.",
				rt, e.Type())
		}
		rt = nt
		out.Else = e
	}
	for i := range out.Whens {
		out.Whens[i].Result = implicitCast(out.Whens[i].Result, rt)
	}
	if out.Else != nil {
		out.Else = implicitCast(out.Else, rt)
	}
	out.T = rt
	return out, nil
}

func (b *binder) bindCall(x *ast.FunctionCall) (Expr, error) {
	kind := b.funcs.Kind(x.Name)
	switch kind {
	case UnknownFunc:
		return nil, errorf(x.At, "Can't find any functions with the name '%s'", x.Name)
	case AggregateFunc:
		if !b.allowAggregates {
			return nil, errorf(x.At, "Aggregate functions can not be used in the %s clause: %s", strings.ToUpper(b.clause), ast.FormatExpr(x))
		}
		return nil, errorf(x.At, "Use of aggregate function %s requires a GROUP BY clause.", x.Name)
	case TableFunc:
		return nil, errorf(x.At, "Table functions are not supported here: %s", ast.FormatExpr(x))
	}
	args, infos, err := b.bindArgs(x)
	if err != nil {
		return nil, err
	}
	res, err := b.funcs.ResolveScalar(x.Name, infos)
	if err != nil {
		return nil, errorf(x.At, "%v", err)
	}
	applyParamTypes(args, res.ParamTypes)
	return &Call{Name: x.Name, Fn: res.Fn, Args: args, T: res.Return}, nil
}

// bindArgs binds the arguments of a call, including lambda arguments whose
// parameter types the resolver derives from the arguments before them.
func (b *binder) bindArgs(x *ast.FunctionCall) ([]Expr, []ArgInfo, error) {
	args := make([]Expr, 0, len(x.Args))
	infos := make([]ArgInfo, 0, len(x.Args))
	for i, a := range x.Args {
		if lam, ok := a.(*ast.Lambda); ok {
			ptypes, err := b.funcs.LambdaParams(x.Name, i, infos)
			if err != nil {
				return nil, nil, errorf(lam.At, "%v", err)
			}
			if len(ptypes) != len(lam.Params) {
				return nil, nil, errorf(lam.At, "Lambda for %s takes %d parameter(s), got %d.", x.Name, len(ptypes), len(lam.Params))
			}
			base := len(b.lambdas)
			for j, p := range lam.Params {
				b.lambdas = append(b.lambdas, lambdaParam{name: p, t: ptypes[j], index: base + j})
			}
			body, err := b.bind(lam.Body)
			b.lambdas = b.lambdas[:base]
			if err != nil {
				return nil, nil, err
			}
			args = append(args, &Lambda{Params: lam.Params, Types: ptypes, Body: body, EnvBase: base})
			infos = append(infos, ArgInfo{Type: body.Type(), LambdaArity: len(lam.Params)})
			continue
		}
		e, err := b.bind(a)
		if err != nil {
			return nil, nil, err
		}
		info := ArgInfo{Type: e.Type()}
		if c, ok := e.(*Const); ok {
			info.IsConst, info.Const = true, c.Value
		}
		if _, ok := e.(*TimeUnitArg); ok {
			info.TimeUnit = true
		}
		args = append(args, e)
		infos = append(infos, info)
	}
	return args, infos, nil
}

func applyParamTypes(args []Expr, params []*types.Type) {
	for i := range args {
		if i < len(params) && params[i] != nil {
			args[i] = implicitCast(args[i], params[i])
		}
	}
}

// implicitCast wraps e in a Cast when its type differs from t.
func implicitCast(e Expr, t *types.Type) Expr {
	et := e.Type()
	if et.Equal(t) || t == nil {
		return e
	}
	if c, ok := e.(*Const); ok && c.Value == nil {
		return &Const{T: t}
	}
	return &Cast{X: e, T: t}
}

// ConstantBinder binds expressions that may not reference columns (the
// values of INSERT ... VALUES).
type ConstantBinder struct{ b *binder }

// NewConstantBinder returns a binder over an empty scope.
func NewConstantBinder(funcs FunctionResolver) *ConstantBinder {
	return &ConstantBinder{b: &binder{scope: &Scope{}, funcs: funcs, clause: "VALUES"}}
}

// Bind binds one expression.
func (c *ConstantBinder) Bind(e ast.Expr) (Expr, error) { return c.b.bind(e) }

// convertLiteral converts a constant to type t through its text, for
// literals whose text parses as t (IN lists).
func convertLiteral(c *Const, t *types.Type) (Expr, bool) {
	if c.T.Equal(t) || !t.IsPrimitive() && t.Kind != types.KindDecimal {
		return nil, false
	}
	if t.Kind == types.KindString {
		if !c.T.IsPrimitive() && c.T.Kind != types.KindDecimal {
			return nil, false
		}
		return &Const{Value: types.String(c.Value), T: t}, true
	}
	if c.T.IsNumeric() && t.IsNumeric() {
		v, err := types.Cast(c.Value, c.T, t)
		if err != nil || types.Compare(v, c.Value) != 0 {
			return nil, false // would change the value: compare as is
		}
		return &Const{Value: v, T: t}, true
	}
	if c.T.Kind == types.KindString {
		if t.IsNumeric() {
			return numericLiteral(c.Value.(string))
		}
		v, err := ParseLiteral(c.Value.(string), t)
		if err != nil {
			return nil, false
		}
		return &Const{Value: v, T: t}, true
	}
	return nil, false
}

// numericLiteral reads a string literal as the narrowest number that holds
// it: INTEGER, BIGINT or DECIMAL ('4.000' compares equal to 4).
func numericLiteral(s string) (Expr, bool) {
	d, err := types.ParseDec(s)
	if err != nil {
		return nil, false
	}
	if d.Scale() == 0 {
		n := d.Unscaled()
		if n.IsInt64() {
			v := n.Int64()
			if v >= -1<<31 && v < 1<<31 {
				return &Const{Value: int32(v), T: types.IntegerType}, true
			}
			return &Const{Value: v, T: types.BigintType}, true
		}
	}
	p := max(d.Precision(), d.Scale())
	if p > types.MaxDecimalPrecision {
		return nil, false
	}
	return &Const{Value: d, T: types.DecimalOf(p, d.Scale())}, true
}

// magicTimestamp turns a string literal compared with ROWTIME,
// WINDOWSTART or WINDOWEND into epoch milliseconds.
func magicTimestamp(lit, other Expr) Expr {
	c, ok := lit.(*Const)
	if !ok || c.T.Kind != types.KindString || c.Value == nil {
		return lit
	}
	col, ok := other.(*Column)
	if !ok || (col.Name != "ROWTIME" && col.Name != "WINDOWSTART" && col.Name != "WINDOWEND") {
		return lit
	}
	ts, err := types.ParseTimestamp(c.Value.(string))
	if err != nil {
		return lit
	}
	return &Const{Value: int64(ts), T: types.BigintType}
}

// widenCommon is the common type of a user list once an element of type t
// joins it (CoercionUtil.UserListCoercer): the first non-NULL type, widened
// to the wider number.
func widenCommon(common, t *types.Type) *types.Type {
	switch {
	case common.Kind == types.KindNull:
		return t
	case t.Kind == types.KindNull || !common.IsNumeric() || !t.IsNumeric():
		return common
	case common.Kind == types.KindDouble || t.Kind == types.KindDouble:
		return types.DoubleType
	case common.Kind == types.KindDecimal || t.Kind == types.KindDecimal:
		// DecimalUtil.widen
		a, b := decimalOf(common), decimalOf(t)
		s := max(a.Scale, b.Scale)
		return types.DecimalOf(max(a.Precision-a.Scale, b.Precision-b.Scale)+s, s)
	case types.NumericRank(t.Kind) > types.NumericRank(common.Kind):
		return t
	}
	return common
}

// coercionFailure is UserListCoercer's message for an element e that
// does not coerce to the list's common type: a string literal that does
// not read as the number or boolean, or else no operator between the types.
func coercionFailure(common *types.Type, e Expr) string {
	if lit, bad := badStringLiteral(common, e); bad {
		return fmt.Sprintf("invalid input syntax for type %s: \"%s\".", baseTypeName(common, lit), lit.Value)
	}
	return fmt.Sprintf("operator does not exist: %s = %s (%s)\nHint: You might need to add explicit type casts.",
		common.SQLString(), e.Type().SQLString(), e)
}

// badStringLiteral finds a string literal in e, or in the constructor e,
// that is to become a number or boolean of target and does not read as one.
func badStringLiteral(target *types.Type, e Expr) (*Const, bool) {
	switch x := e.(type) {
	case *Const:
		str, ok := x.Value.(string)
		if !ok || x.T.Kind != types.KindString {
			return nil, false
		}
		switch {
		case target.IsNumeric():
			_, ok := numericLiteral(str)
			return x, !ok
		case target.Kind == types.KindBoolean:
			_, err := ParseLiteral(str, target)
			return x, err != nil
		}
	case *MakeArray:
		if target.Kind == types.KindArray {
			for _, el := range x.Elems {
				if c, bad := badStringLiteral(target.Elem, el); bad {
					return &Const{Value: c.Value, T: target.Elem}, true
				}
			}
		}
	case *MakeMap:
		if target.Kind == types.KindMap {
			for _, el := range x.Vals {
				if c, bad := badStringLiteral(target.Value, el); bad {
					return &Const{Value: c.Value, T: target.Value}, true
				}
			}
		}
	case *MakeStruct:
		if target.Kind == types.KindStruct {
			for i, el := range x.Vals {
				if i < len(x.T.Fields) {
					if f, ok := fieldOf(target, x.T.Fields[i].Name); ok {
						if c, bad := badStringLiteral(f, el); bad {
							return &Const{Value: c.Value, T: f}, true
						}
					}
				}
			}
		}
	}
	return nil, false
}

func fieldOf(t *types.Type, name string) (*types.Type, bool) {
	for _, f := range t.Fields {
		if f.Name == name {
			return f.Type, true
		}
	}
	return nil, false
}

// baseTypeName is SqlBaseType's name: DECIMAL without its precision. For
// a literal found inside a constructor, the element type it was to become.
func baseTypeName(common *types.Type, lit *Const) string {
	t := common
	if lit.T.Kind != types.KindString {
		t = lit.T
	}
	if t.Kind == types.KindDecimal {
		return "DECIMAL"
	}
	return t.SQLString()
}

func isTemporal(t *types.Type) bool {
	return t.Kind == types.KindTimestamp || t.Kind == types.KindDate || t.Kind == types.KindTime
}
