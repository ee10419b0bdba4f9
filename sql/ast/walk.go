package ast

// WalkExpr calls fn for e and each of its sub-expressions, parents before
// children. If fn returns false the children of that node are skipped.
func WalkExpr(e Expr, fn func(Expr) bool) {
	if e == nil || !fn(e) {
		return
	}
	for _, c := range ExprChildren(e) {
		WalkExpr(c, fn)
	}
}

// ExprChildren returns the direct sub-expressions of e.
func ExprChildren(e Expr) []Expr {
	switch x := e.(type) {
	case *Dereference:
		return []Expr{x.Base}
	case *Subscript:
		return []Expr{x.Base, x.Index}
	case *FunctionCall:
		return x.Args
	case *Binary:
		return []Expr{x.L, x.R}
	case *Unary:
		return []Expr{x.X}
	case *Case:
		var out []Expr
		if x.Operand != nil {
			out = append(out, x.Operand)
		}
		for _, w := range x.Whens {
			out = append(out, w.Cond, w.Result)
		}
		if x.Else != nil {
			out = append(out, x.Else)
		}
		return out
	case *Cast:
		return []Expr{x.X}
	case *Between:
		return []Expr{x.X, x.Lo, x.Hi}
	case *InList:
		return append([]Expr{x.X}, x.List...)
	case *Like:
		if x.Escape != nil {
			return []Expr{x.X, x.Pattern, x.Escape}
		}
		return []Expr{x.X, x.Pattern}
	case *IsNull:
		return []Expr{x.X}
	case *ArrayCtor:
		return x.Elems
	case *MapCtor:
		out := make([]Expr, 0, 2*len(x.Keys))
		for i := range x.Keys {
			out = append(out, x.Keys[i], x.Vals[i])
		}
		return out
	case *StructCtor:
		return x.Vals
	case *Lambda:
		return []Expr{x.Body}
	}
	return nil
}
