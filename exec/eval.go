package exec

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"

	"github.com/ksqlgo/ksql/exec/functions"
	"github.com/ksqlgo/ksql/planner"
	"github.com/ksqlgo/ksql/sql/types"
)

// evalCtx is what a compiled expression reads: the operator's input row
// and the parameters of enclosing lambdas.
type evalCtx struct {
	row types.Row
	lam []types.Value
	// ar, when set, boxes computed numbers into the record's arena
	// (types.Arena) instead of one allocation each.
	ar *types.Arena
}

// evalFn is a compiled expression. Errors are per-row evaluation errors
// (division by zero, a failed cast, a function failure): the caller logs
// them to the processing log and treats the value as NULL.
type evalFn func(c *evalCtx) (types.Value, error)

// compileExpr turns a bound expression into a closure, once per query.
func compileExpr(e planner.Expr) (evalFn, error) {
	switch x := e.(type) {
	case *planner.Column:
		i := x.Index
		return func(c *evalCtx) (types.Value, error) { return c.row[i], nil }, nil
	case *planner.Const:
		v := x.Value
		if v != nil && x.T.Kind == types.KindDecimal {
			d, err := types.FitDecimal(types.AsDec(v), x.T)
			if err == nil {
				v = d
			}
		}
		return func(*evalCtx) (types.Value, error) { return v, nil }, nil
	case *planner.LambdaVar:
		i := x.Index
		return func(c *evalCtx) (types.Value, error) { return c.lam[i], nil }, nil
	case *planner.TimeUnitArg:
		u := x.Unit.String()
		return func(*evalCtx) (types.Value, error) { return u, nil }, nil
	case *planner.Arith:
		return compileArith(x)
	case *planner.Concat:
		l, r, err := compile2(x.L, x.R)
		if err != nil {
			return nil, err
		}
		return func(c *evalCtx) (types.Value, error) {
			a, err := l(c)
			if err != nil || a == nil {
				return nil, err
			}
			b, err := r(c)
			if err != nil || b == nil {
				return nil, err
			}
			return a.(string) + b.(string), nil
		}, nil
	case *planner.Compare:
		return compileCompare(x)
	case *planner.Logic:
		l, r, err := compile2(x.L, x.R)
		if err != nil {
			return nil, err
		}
		if x.And {
			return func(c *evalCtx) (types.Value, error) {
				a, err := l(c)
				if err != nil {
					return nil, err
				}
				if a == false {
					return false, nil
				}
				b, err := r(c)
				if err != nil {
					return nil, err
				}
				if b == false {
					return false, nil
				}
				if a == nil || b == nil {
					return nil, nil
				}
				return true, nil
			}, nil
		}
		return func(c *evalCtx) (types.Value, error) {
			a, err := l(c)
			if err != nil {
				return nil, err
			}
			if a == true {
				return true, nil
			}
			b, err := r(c)
			if err != nil {
				return nil, err
			}
			if b == true {
				return true, nil
			}
			if a == nil || b == nil {
				return nil, nil
			}
			return false, nil
		}, nil
	case *planner.Not:
		f, err := compileExpr(x.X)
		if err != nil {
			return nil, err
		}
		return func(c *evalCtx) (types.Value, error) {
			v, err := f(c)
			if err != nil || v == nil {
				return nil, err
			}
			return !v.(bool), nil
		}, nil
	case *planner.Neg:
		f, err := compileExpr(x.X)
		if err != nil {
			return nil, err
		}
		return func(c *evalCtx) (types.Value, error) {
			v, err := f(c)
			if err != nil || v == nil {
				return nil, err
			}
			switch n := v.(type) {
			case int32:
				return -n, nil
			case int64:
				return -n, nil
			case float64:
				return -n, nil
			case types.Dec:
				return n.Neg(), nil
			}
			return nil, fmt.Errorf("cannot negate %T", v)
		}, nil
	case *planner.IsNull:
		f, err := compileExpr(x.X)
		if err != nil {
			return nil, err
		}
		not := x.Not
		return func(c *evalCtx) (types.Value, error) {
			v, err := f(c)
			if err != nil {
				return nil, err
			}
			return (v == nil) != not, nil
		}, nil
	case *planner.Case:
		return compileCase(x)
	case *planner.Cast:
		f, err := compileExpr(x.X)
		if err != nil {
			return nil, err
		}
		from, to := x.X.Type(), x.T
		return func(c *evalCtx) (types.Value, error) {
			v, err := f(c)
			if err != nil || v == nil {
				return nil, err
			}
			return types.Cast(v, from, to)
		}, nil
	case *planner.In:
		return compileIn(x)
	case *planner.Between:
		v, err := compileExpr(x.X)
		if err != nil {
			return nil, err
		}
		lo, hi, err := compile2(x.Lo, x.Hi)
		if err != nil {
			return nil, err
		}
		not := x.Not
		return func(c *evalCtx) (types.Value, error) {
			a, err := v(c)
			if err != nil || a == nil {
				return nil, err
			}
			l, err := lo(c)
			if err != nil || l == nil {
				return nil, err
			}
			h, err := hi(c)
			if err != nil || h == nil {
				return nil, err
			}
			in := types.Compare(a, l) >= 0 && types.Compare(a, h) <= 0
			return in != not, nil
		}, nil
	case *planner.Like:
		return compileLike(x)
	case *planner.Deref:
		f, err := compileExpr(x.X)
		if err != nil {
			return nil, err
		}
		name := x.Field
		return func(c *evalCtx) (types.Value, error) {
			v, err := f(c)
			if err != nil || v == nil {
				return nil, err
			}
			s := v.(*types.StructValue)
			fv, _ := s.Get(name)
			return fv, nil
		}, nil
	case *planner.Subscript:
		base, idx, err := compile2(x.X, x.Index)
		if err != nil {
			return nil, err
		}
		return func(c *evalCtx) (types.Value, error) {
			b, err := base(c)
			if err != nil || b == nil {
				return nil, err
			}
			i, err := idx(c)
			if err != nil || i == nil {
				return nil, err
			}
			switch cont := b.(type) {
			case []types.Value:
				n := types.AsInt64(i)
				switch {
				case n > 0 && n <= int64(len(cont)):
					return cont[n-1], nil
				case n < 0 && -n <= int64(len(cont)):
					return cont[int64(len(cont))+n], nil
				}
				return nil, nil
			case *types.MapValue:
				v, _ := cont.Get(i)
				return v, nil
			}
			return nil, nil
		}, nil
	case *planner.MakeArray:
		elems, err := compileAll(x.Elems)
		if err != nil {
			return nil, err
		}
		return func(c *evalCtx) (types.Value, error) {
			out := make([]types.Value, len(elems))
			for i, f := range elems {
				// An element that fails to evaluate is NULL; the rest stand.
				v, _ := f(c)
				out[i] = v
			}
			return out, nil
		}, nil
	case *planner.MakeMap:
		keys, err := compileAll(x.Keys)
		if err != nil {
			return nil, err
		}
		vals, err := compileAll(x.Vals)
		if err != nil {
			return nil, err
		}
		return func(c *evalCtx) (types.Value, error) {
			m := &types.MapValue{}
			for i := range keys {
				k, err := keys[i](c)
				if err != nil {
					return nil, err
				}
				v, err := vals[i](c)
				if err != nil {
					return nil, err
				}
				m.Put(k, v)
			}
			return m, nil
		}, nil
	case *planner.MakeStruct:
		vals, err := compileAll(x.Vals)
		if err != nil {
			return nil, err
		}
		t := x.T
		return func(c *evalCtx) (types.Value, error) {
			s := &types.StructValue{Type: t, Vals: make([]types.Value, len(vals))}
			for i, f := range vals {
				v, _ := f(c) // a failing field is NULL; the rest stand
				s.Vals[i] = v
			}
			return s, nil
		}, nil
	case *planner.Call:
		return compileCall(x)
	case *planner.Lambda:
		return nil, errors.New("lambda outside a function call")
	}
	return nil, fmt.Errorf("exec: cannot compile %T", e)
}

func compile2(a, b planner.Expr) (evalFn, evalFn, error) {
	fa, err := compileExpr(a)
	if err != nil {
		return nil, nil, err
	}
	fb, err := compileExpr(b)
	if err != nil {
		return nil, nil, err
	}
	return fa, fb, nil
}

func compileAll(es []planner.Expr) ([]evalFn, error) {
	out := make([]evalFn, len(es))
	for i, e := range es {
		f, err := compileExpr(e)
		if err != nil {
			return nil, err
		}
		out[i] = f
	}
	return out, nil
}

// errDivideByZero mirrors Java's ArithmeticException for integers.
var errDivideByZero = errors.New("/ by zero")

func compileArith(x *planner.Arith) (evalFn, error) {
	l, r, err := compile2(x.L, x.R)
	if err != nil {
		return nil, err
	}
	op := x.Op
	t := x.T
	switch t.Kind {
	case types.KindInteger:
		return func(c *evalCtx) (types.Value, error) {
			a, b, err := operands(c, l, r)
			if err != nil || a == nil || b == nil {
				return nil, err
			}
			v, err := arithInt32(op, types.AsInt64(a), types.AsInt64(b))
			if err != nil {
				return nil, err
			}
			return c.ar.Int32(v), nil
		}, nil
	case types.KindBigint:
		return func(c *evalCtx) (types.Value, error) {
			a, b, err := operands(c, l, r)
			if err != nil || a == nil || b == nil {
				return nil, err
			}
			v, err := arithInt64(op, types.AsInt64(a), types.AsInt64(b))
			if err != nil {
				return nil, err
			}
			return c.ar.Int64(v), nil
		}, nil
	case types.KindDouble:
		return func(c *evalCtx) (types.Value, error) {
			a, b, err := operands(c, l, r)
			if err != nil || a == nil || b == nil {
				return nil, err
			}
			return c.ar.Float64(arithFloat(op, types.AsFloat64(a), types.AsFloat64(b))), nil
		}, nil
	case types.KindDecimal:
		return func(c *evalCtx) (types.Value, error) {
			a, b, err := operands(c, l, r)
			if err != nil || a == nil || b == nil {
				return nil, err
			}
			d, err := arithDec(op, types.AsDec(a), types.AsDec(b), t)
			if err != nil {
				return nil, err
			}
			return c.ar.Dec(d), nil
		}, nil
	}
	return nil, fmt.Errorf("exec: arithmetic result type %s", t)
}

func operands(c *evalCtx, l, r evalFn) (types.Value, types.Value, error) {
	a, err := l(c)
	if err != nil {
		return nil, nil, err
	}
	if a == nil {
		return nil, nil, nil
	}
	b, err := r(c)
	return a, b, err
}

func arithInt32(op planner.BinaryOp, a, b int64) (int32, error) {
	x, y := int32(a), int32(b)
	switch op {
	case planner.OpAdd:
		return x + y, nil
	case planner.OpSub:
		return x - y, nil
	case planner.OpMul:
		return x * y, nil
	case planner.OpDiv:
		if y == 0 {
			return 0, errDivideByZero
		}
		if x == math.MinInt32 && y == -1 {
			return x, nil
		}
		return x / y, nil
	case planner.OpMod:
		if y == 0 {
			return 0, errDivideByZero
		}
		if y == -1 {
			return 0, nil
		}
		return x % y, nil
	}
	return 0, fmt.Errorf("bad operator %s", op)
}

func arithInt64(op planner.BinaryOp, x, y int64) (int64, error) {
	switch op {
	case planner.OpAdd:
		return x + y, nil
	case planner.OpSub:
		return x - y, nil
	case planner.OpMul:
		return x * y, nil
	case planner.OpDiv:
		if y == 0 {
			return 0, errDivideByZero
		}
		if x == math.MinInt64 && y == -1 {
			return x, nil
		}
		return x / y, nil
	case planner.OpMod:
		if y == 0 {
			return 0, errDivideByZero
		}
		if y == -1 {
			return 0, nil
		}
		return x % y, nil
	}
	return 0, fmt.Errorf("bad operator %s", op)
}

func arithFloat(op planner.BinaryOp, x, y float64) float64 {
	switch op {
	case planner.OpAdd:
		return x + y
	case planner.OpSub:
		return x - y
	case planner.OpMul:
		return x * y
	case planner.OpDiv:
		return x / y
	}
	return math.Mod(x, y)
}

func arithDec(op planner.BinaryOp, a, b types.Dec, t *types.Type) (types.Dec, error) {
	var r types.Dec
	var err error
	switch op {
	case planner.OpAdd:
		r = a.Add(b)
	case planner.OpSub:
		r = a.Sub(b)
	case planner.OpMul:
		r = a.Mul(b)
	case planner.OpDiv:
		r, err = a.Div(b, t.Scale)
	case planner.OpMod:
		r, err = a.Rem(b)
	}
	if err != nil {
		return types.Dec{}, err
	}
	return types.FitDecimal(r, t)
}

func compileCompare(x *planner.Compare) (evalFn, error) {
	l, r, err := compile2(x.L, x.R)
	if err != nil {
		return nil, err
	}
	op := x.Op
	// Operands of different temporal kinds (DATE vs TIMESTAMP) are
	// compared as timestamps.
	lt, rt := x.L.Type(), x.R.Type()
	toTS := x.Operand.Kind == types.KindTimestamp && (lt.Kind == types.KindDate || rt.Kind == types.KindDate)
	return func(c *evalCtx) (types.Value, error) {
		a, err := l(c)
		if err != nil {
			return nil, err
		}
		b, err := r(c)
		if err != nil {
			return nil, err
		}
		if op == planner.OpIsDistinctFrom || op == planner.OpIsNotDistinctFrom {
			same := (a == nil && b == nil) || (a != nil && b != nil && types.Compare(a, b) == 0)
			return same == (op == planner.OpIsNotDistinctFrom), nil
		}
		if a == nil || b == nil {
			return nil, nil
		}
		if toTS {
			if d, ok := a.(types.Date); ok {
				a = types.Timestamp(int64(d) * 86400000)
			}
			if d, ok := b.(types.Date); ok {
				b = types.Timestamp(int64(d) * 86400000)
			}
		}
		cmp := types.Compare(a, b)
		switch op {
		case planner.OpEq:
			return cmp == 0, nil
		case planner.OpNe:
			return cmp != 0, nil
		case planner.OpLt:
			return cmp < 0, nil
		case planner.OpLe:
			return cmp <= 0, nil
		case planner.OpGt:
			return cmp > 0, nil
		}
		return cmp >= 0, nil
	}, nil
}

func compileCase(x *planner.Case) (evalFn, error) {
	conds := make([]evalFn, len(x.Whens))
	results := make([]evalFn, len(x.Whens))
	for i, w := range x.Whens {
		var err error
		if conds[i], err = compileExpr(w.Cond); err != nil {
			return nil, err
		}
		if results[i], err = compileExpr(w.Result); err != nil {
			return nil, err
		}
	}
	var els evalFn
	if x.Else != nil {
		var err error
		if els, err = compileExpr(x.Else); err != nil {
			return nil, err
		}
	}
	return func(c *evalCtx) (types.Value, error) {
		for i, cond := range conds {
			v, err := cond(c)
			if err != nil {
				return nil, err
			}
			if v == true {
				return results[i](c)
			}
		}
		if els != nil {
			return els(c)
		}
		return nil, nil
	}, nil
}

func compileIn(x *planner.In) (evalFn, error) {
	v, err := compileExpr(x.X)
	if err != nil {
		return nil, err
	}
	list, err := compileAll(x.List)
	if err != nil {
		return nil, err
	}
	not := x.Not
	return func(c *evalCtx) (types.Value, error) {
		a, err := v(c)
		if err != nil || a == nil {
			return nil, err
		}
		sawNull := false
		for _, f := range list {
			b, err := f(c)
			if err != nil {
				return nil, err
			}
			if b == nil {
				sawNull = true
				continue
			}
			if types.Compare(a, b) == 0 {
				return !not, nil
			}
		}
		if sawNull {
			return nil, nil
		}
		return not, nil
	}, nil
}

// likeRegexp translates a SQL LIKE pattern (% and _, with an optional
// escape character) into an anchored regular expression.
func likeRegexp(pattern string, escape rune) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString("(?s)^")
	escaped := false
	for _, ch := range pattern {
		switch {
		case escaped:
			b.WriteString(regexp.QuoteMeta(string(ch)))
			escaped = false
		case escape != 0 && ch == escape:
			escaped = true
		case ch == '%':
			b.WriteString(".*")
		case ch == '_':
			b.WriteByte('.')
		default:
			b.WriteString(regexp.QuoteMeta(string(ch)))
		}
	}
	b.WriteByte('$')
	return regexp.Compile(b.String())
}

func compileLike(x *planner.Like) (evalFn, error) {
	v, p, err := compile2(x.X, x.Pattern)
	if err != nil {
		return nil, err
	}
	var esc evalFn
	if x.Escape != nil {
		if esc, err = compileExpr(x.Escape); err != nil {
			return nil, err
		}
	}
	not := x.Not
	// A constant pattern compiles once.
	var fixed *regexp.Regexp
	if pc, ok := x.Pattern.(*planner.Const); ok && pc.Value != nil && esc == nil {
		if fixed, err = likeRegexp(pc.Value.(string), 0); err != nil {
			return nil, err
		}
	}
	return func(c *evalCtx) (types.Value, error) {
		s, err := v(c)
		if err != nil || s == nil {
			return nil, err
		}
		re := fixed
		if re == nil {
			pv, err := p(c)
			if err != nil || pv == nil {
				return nil, err
			}
			var e rune
			if esc != nil {
				ev, err := esc(c)
				if err != nil || ev == nil {
					return nil, err
				}
				es := []rune(ev.(string))
				if len(es) != 1 {
					return nil, fmt.Errorf("LIKE escape must be a single character, got '%s'", ev)
				}
				e = es[0]
			}
			if re, err = likeRegexp(pv.(string), e); err != nil {
				return nil, err
			}
		}
		return re.MatchString(s.(string)) != not, nil
	}, nil
}

func compileCall(x *planner.Call) (evalFn, error) {
	impl, ok := x.Fn.(*functions.ScalarImpl)
	if !ok {
		return nil, fmt.Errorf("exec: function %s has no implementation", x.Name)
	}
	args := make([]evalFn, len(x.Args))
	lambdas := make([]*planner.Lambda, len(x.Args))
	for i, a := range x.Args {
		if l, ok := a.(*planner.Lambda); ok {
			body, err := compileExpr(l.Body)
			if err != nil {
				return nil, err
			}
			lambdas[i] = l
			args[i] = makeLambda(l, body)
			continue
		}
		f, err := compileExpr(a)
		if err != nil {
			return nil, err
		}
		args[i] = f
	}
	eval, nullSafe, name := impl.Eval, impl.NullSafe, x.Name
	n := len(args)
	return func(c *evalCtx) (types.Value, error) {
		var buf [4]types.Value
		vals := buf[:0]
		if n > len(buf) {
			vals = make([]types.Value, 0, n)
		}
		for _, f := range args {
			v, err := f(c)
			if err != nil {
				return nil, err
			}
			if v == nil && !nullSafe {
				return nil, nil
			}
			vals = append(vals, v)
		}
		v, err := eval(vals)
		if err != nil {
			return nil, fmt.Errorf("Error computing %s: %w", name, err)
		}
		return v, nil
	}, nil
}

// makeLambda returns an evalFn producing the runtime lambda value, which
// evaluates the body with its parameters appended to the environment.
func makeLambda(l *planner.Lambda, body evalFn) evalFn {
	base := l.EnvBase
	return func(c *evalCtx) (types.Value, error) {
		row := c.row
		outer := c.lam[:base:base]
		return functions.Lambda(func(params ...types.Value) (types.Value, error) {
			env := append(outer, params...)
			return body(&evalCtx{row: row, lam: env})
		}), nil
	}
}

// EvalConstant evaluates an expression that reads no columns (INSERT
// VALUES, constant folding).
func EvalConstant(e planner.Expr) (types.Value, error) {
	f, err := compileExpr(e)
	if err != nil {
		return nil, err
	}
	return f(&evalCtx{})
}
