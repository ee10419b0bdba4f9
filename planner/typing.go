package planner

import (
	"github.com/ksqlgo/ksql/sql/ast"
	"github.com/ksqlgo/ksql/sql/types"
)

// decimalOf returns the DECIMAL that represents values of an integral or
// decimal type exactly (INTEGER as DECIMAL(10,0), BIGINT as DECIMAL(19,0)).
func decimalOf(t *types.Type) *types.Type {
	switch t.Kind {
	case types.KindInteger:
		return types.DecimalOf(10, 0)
	case types.KindBigint:
		return types.DecimalOf(19, 0)
	}
	return t
}

// arithmeticType is the result type of l op r for numeric operands,
// following ksqlDB: the wider of INTEGER < BIGINT < DECIMAL < DOUBLE, and
// for decimals the precision/scale rules of DecimalUtil.
func arithmeticType(op ast.BinaryOp, l, r *types.Type) *types.Type {
	if l.Kind == types.KindNull {
		l = r
	}
	if r.Kind == types.KindNull {
		r = l
	}
	if l.Kind == types.KindNull {
		return types.IntegerType
	}
	switch {
	case l.Kind == types.KindDouble || r.Kind == types.KindDouble:
		return types.DoubleType
	case l.Kind == types.KindDecimal || r.Kind == types.KindDecimal:
		a, b := decimalOf(l), decimalOf(r)
		return decimalResult(op, a.Precision, a.Scale, b.Precision, b.Scale)
	case l.Kind == types.KindBigint || r.Kind == types.KindBigint:
		return types.BigintType
	}
	return types.IntegerType
}

func decimalResult(op ast.BinaryOp, p1, s1, p2, s2 int) *types.Type {
	var p, s int
	switch op {
	case ast.OpAdd, ast.OpSub:
		s = max(s1, s2)
		p = max(p1-s1, p2-s2) + s + 1
	case ast.OpMul:
		p = p1 + p2 + 1
		s = s1 + s2
	case ast.OpDiv:
		s = max(6, s1+p2+1)
		p = p1 - s1 + s2 + s
	case ast.OpMod:
		s = max(s1, s2)
		p = min(p1-s1, p2-s2) + s
	}
	if p > types.MaxDecimalPrecision {
		// Keep the integral digits; give up scale first, as ksqlDB does.
		over := p - types.MaxDecimalPrecision
		s = max(s-over, 0)
		p = types.MaxDecimalPrecision
	}
	if s > p {
		p = s
	}
	return types.DecimalOf(p, s)
}

// canImplicitlyCast reports whether a value of type from may be used
// where type to is expected without an explicit CAST: identical types,
// NULL to anything, numeric widening INTEGER -> BIGINT -> DECIMAL -> DOUBLE,
// and element-wise for containers.
func canImplicitlyCast(from, to *types.Type) bool {
	if from.Kind == types.KindNull || from.Equal(to) {
		return true
	}
	if from.IsNumeric() && to.IsNumeric() {
		if from.Kind == types.KindDecimal && to.Kind == types.KindDecimal {
			return from.Precision-from.Scale <= to.Precision-to.Scale && from.Scale <= to.Scale
		}
		if to.Kind == types.KindDecimal {
			d := decimalOf(from)
			return types.NumericRank(from.Kind) < types.NumericRank(to.Kind) &&
				d.Precision-d.Scale <= to.Precision-to.Scale
		}
		return types.NumericRank(from.Kind) <= types.NumericRank(to.Kind)
	}
	switch {
	case from.Kind == types.KindArray && to.Kind == types.KindArray:
		return canImplicitlyCast(from.Elem, to.Elem)
	case from.Kind == types.KindMap && to.Kind == types.KindMap:
		return canImplicitlyCast(from.Key, to.Key) && canImplicitlyCast(from.Value, to.Value)
	case from.Kind == types.KindStruct && to.Kind == types.KindStruct:
		if len(from.Fields) != len(to.Fields) {
			return false
		}
		for i := range from.Fields {
			if from.Fields[i].Name != to.Fields[i].Name || !canImplicitlyCast(from.Fields[i].Type, to.Fields[i].Type) {
				return false
			}
		}
		return true
	}
	return false
}

// commonType is the type both a and b implicitly cast to, or nil.
func commonType(a, b *types.Type) *types.Type {
	switch {
	case a.Kind == types.KindNull:
		return b
	case b.Kind == types.KindNull:
		return a
	case a.Equal(b):
		return a
	case a.IsNumeric() && b.IsNumeric():
		if a.Kind == types.KindDecimal || b.Kind == types.KindDecimal {
			if a.Kind == types.KindDouble || b.Kind == types.KindDouble {
				return types.DoubleType
			}
			x, y := decimalOf(a), decimalOf(b)
			s := max(x.Scale, y.Scale)
			p := max(x.Precision-x.Scale, y.Precision-y.Scale) + s
			return types.DecimalOf(min(p, types.MaxDecimalPrecision), s)
		}
		if types.NumericRank(a.Kind) >= types.NumericRank(b.Kind) {
			return a
		}
		return b
	case a.Kind == types.KindArray && b.Kind == types.KindArray:
		if e := commonType(a.Elem, b.Elem); e != nil {
			return types.ArrayOf(e)
		}
	case a.Kind == types.KindMap && b.Kind == types.KindMap:
		k, v := commonType(a.Key, b.Key), commonType(a.Value, b.Value)
		if k != nil && v != nil {
			return types.MapOf(k, v)
		}
	}
	if canImplicitlyCast(a, b) {
		return b
	}
	if canImplicitlyCast(b, a) {
		return a
	}
	return nil
}

// comparable reports whether values of a and b can be compared with op,
// and in which type.
func comparable(op ast.BinaryOp, a, b *types.Type) (*types.Type, bool) {
	if a.Kind == types.KindNull || b.Kind == types.KindNull {
		t := a
		if t.Kind == types.KindNull {
			t = b
		}
		return t, true
	}
	if a.IsNumeric() && b.IsNumeric() {
		return commonType(a, b), true
	}
	temporal := func(k types.Kind) bool {
		return k == types.KindTimestamp || k == types.KindDate || k == types.KindTime
	}
	switch {
	case a.Kind == b.Kind && a.IsPrimitive():
		return a, true
	case temporal(a.Kind) && temporal(b.Kind) && a.Kind != types.KindTime && b.Kind != types.KindTime:
		return types.TimestampType, true
	case a.Kind == b.Kind && (a.Kind == types.KindArray || a.Kind == types.KindMap || a.Kind == types.KindStruct):
		if op == ast.OpEq || op == ast.OpNe || op == ast.OpIsDistinctFrom || op == ast.OpIsNotDistinctFrom {
			if c := commonType(a, b); c != nil {
				return c, true
			}
		}
	}
	return nil, false
}

// castable reports whether CAST(from AS to) is allowed.
func castable(from, to *types.Type) bool {
	if from.Kind == types.KindNull || from.Equal(to) {
		return true
	}
	if to.Kind == types.KindString {
		return true
	}
	switch from.Kind {
	case types.KindString:
		switch to.Kind {
		case types.KindBoolean, types.KindInteger, types.KindBigint, types.KindDouble, types.KindDecimal,
			types.KindTimestamp, types.KindDate, types.KindTime, types.KindBytes:
			return true
		}
	case types.KindBoolean:
		return to.Kind == types.KindBoolean
	case types.KindInteger, types.KindBigint, types.KindDouble, types.KindDecimal:
		return to.IsNumeric()
	case types.KindTimestamp:
		return to.Kind == types.KindDate || to.Kind == types.KindTime || to.Kind == types.KindTimestamp
	case types.KindDate:
		return to.Kind == types.KindTimestamp || to.Kind == types.KindDate
	case types.KindBytes:
		return to.Kind == types.KindBytes
	case types.KindArray:
		return to.Kind == types.KindArray && castable(from.Elem, to.Elem)
	case types.KindMap:
		return to.Kind == types.KindMap && castable(from.Key, to.Key) && castable(from.Value, to.Value)
	case types.KindStruct:
		if to.Kind != types.KindStruct {
			return false
		}
		for _, tf := range to.Fields {
			if ff, _, ok := from.Field(tf.Name); ok && !castable(ff.Type, tf.Type) {
				return false
			}
		}
		return true
	}
	return false
}

// opName is ksqlDB's name for a comparison operator in error messages.
func opName(op ast.BinaryOp) string {
	switch op {
	case ast.OpEq:
		return "EQUAL"
	case ast.OpNe:
		return "NOT_EQUAL"
	case ast.OpLt:
		return "LESS_THAN"
	case ast.OpLe:
		return "LESS_THAN_OR_EQUAL"
	case ast.OpGt:
		return "GREATER_THAN"
	case ast.OpGe:
		return "GREATER_THAN_OR_EQUAL"
	case ast.OpIsDistinctFrom:
		return "IS_DISTINCT_FROM"
	case ast.OpIsNotDistinctFrom:
		return "IS_NOT_DISTINCT_FROM"
	}
	return op.String()
}
