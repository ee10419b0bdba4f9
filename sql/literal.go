package sql

import (
	"math"
	"strconv"

	"github.com/ksqlgo/ksql/sql/ast"
	"github.com/ksqlgo/ksql/sql/types"
)

// literal builds the literal of token t, negated when neg is set, typed as
// ksqlDB types literals:
//
//   - an integer is INTEGER when it fits in 32 bits and BIGINT otherwise;
//     an integer too large for BIGINT is an error;
//   - a number with a point ("1.5", ".5", "1.") is DECIMAL, with the
//     precision and scale of its digits ("1.50" is DECIMAL(3, 2), "0.5" is
//     DECIMAL(1, 1), zero "0.00" is DECIMAL(3, 2));
//   - a number with an exponent ("1.5E3") is DOUBLE;
//   - 'text' is STRING, TRUE and FALSE are BOOLEAN, NULL has types.NullType.
//
// Inside expressions a minus sign is never folded into the literal: "-1" is
// a unary minus applied to INTEGER 1, and the planner folds it. Only the
// places where ksqlDB's grammar requires a literal (WITH properties) fold
// the sign.
func (p *parser) literal(t token, neg bool) *ast.Literal {
	lit := &ast.Literal{ExprBase: ast.ExprBase{At: t.pos}}
	sign := ""
	if neg {
		sign = "-"
	}
	switch t.kind {
	case tInt:
		v, err := strconv.ParseInt(sign+t.text, 10, 64)
		switch {
		case err != nil:
			p.fail(t.pos, "Invalid numeric literal: %s%s (too large for BIGINT)", sign, t.text)
			lit.Type = types.BigintType
		case v >= math.MinInt32 && v <= math.MaxInt32:
			lit.Value, lit.Type = int32(v), types.IntegerType
		default:
			lit.Value, lit.Type = v, types.BigintType
		}
	case tDecimal:
		d, err := types.ParseDec(sign + t.text)
		if err != nil {
			p.fail(t.pos, "Invalid decimal literal: %s%s", sign, t.text)
			lit.Type = types.DecimalOf(1, 0)
			break
		}
		lit.Value, lit.Type = d, decimalLiteralType(d)
	case tFloat:
		f, err := strconv.ParseFloat(sign+t.text, 64)
		if err != nil && (math.IsInf(f, 0) || math.IsNaN(f)) {
			p.fail(t.pos, "Number overflows DOUBLE: %s%s", sign, t.text)
		}
		lit.Value, lit.Type = f, types.DoubleType
	case tString:
		lit.Value, lit.Type = t.text, types.StringType
	default:
		switch t.text {
		case "TRUE":
			lit.Value, lit.Type = true, types.BooleanType
		case "FALSE":
			lit.Value, lit.Type = false, types.BooleanType
		default:
			lit.Type = types.NullType
		}
	}
	return lit
}

// decimalLiteralType is the type of a decimal literal: its digits give the
// precision and scale (java.math.BigDecimal's), zero has precision scale+1,
// and the precision is raised to the scale where needed ("0.05" is
// DECIMAL(2, 2)) so that the type is valid.
func decimalLiteralType(d types.Dec) *types.Type {
	prec, scale := d.Precision(), d.Scale()
	if d.Sign() == 0 {
		prec = scale + 1
	}
	return types.DecimalOf(max(prec, scale), scale)
}
