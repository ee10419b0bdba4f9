package types

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strings"
)

// Dec is a DECIMAL value: unscaled * 10^-scale. It is a small value type;
// the unscaled big.Int is never mutated after construction, so copies share
// it safely.
type Dec struct {
	unscaled *big.Int
	scale    int32
}

var bigTen = big.NewInt(10)

// NewDec builds unscaled * 10^-scale.
func NewDec(unscaled *big.Int, scale int) Dec {
	return Dec{unscaled: new(big.Int).Set(unscaled), scale: int32(scale)}
}

// DecFromInt64 is the decimal with scale 0 equal to n.
func DecFromInt64(n int64) Dec { return Dec{unscaled: big.NewInt(n)} }

// ErrBadDecimal is returned for text that is not a decimal number.
var ErrBadDecimal = errors.New("invalid decimal")

// ParseDec parses plain or exponent notation ("12.50", "-1e3", ".5").
// The scale is the number of digits after the point (adjusted by the
// exponent), as java.math.BigDecimal does.
func ParseDec(s string) (Dec, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return Dec{}, fmt.Errorf("%w: %q", ErrBadDecimal, s)
	}
	exp := 0
	if i := strings.IndexAny(t, "eE"); i >= 0 {
		var e int
		if _, err := fmt.Sscanf(t[i+1:], "%d", &e); err != nil {
			return Dec{}, fmt.Errorf("%w: %q", ErrBadDecimal, s)
		}
		exp = e
		t = t[:i]
	}
	neg := false
	if t != "" && (t[0] == '-' || t[0] == '+') {
		neg = t[0] == '-'
		t = t[1:]
	}
	intPart, frac, _ := strings.Cut(t, ".")
	digits := intPart + frac
	if digits == "" {
		return Dec{}, fmt.Errorf("%w: %q", ErrBadDecimal, s)
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return Dec{}, fmt.Errorf("%w: %q", ErrBadDecimal, s)
		}
	}
	u, ok := new(big.Int).SetString(digits, 10)
	if !ok {
		return Dec{}, fmt.Errorf("%w: %q", ErrBadDecimal, s)
	}
	if neg {
		u.Neg(u)
	}
	scale := len(frac) - exp
	if scale < 0 {
		u.Mul(u, new(big.Int).Exp(bigTen, big.NewInt(int64(-scale)), nil))
		scale = 0
	}
	return Dec{unscaled: u, scale: int32(scale)}, nil
}

// DecFromFloat64 converts a double exactly as Java's BigDecimal.valueOf does
// (through the shortest decimal text of the double).
func DecFromFloat64(f float64) (Dec, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return Dec{}, fmt.Errorf("%w: %v", ErrBadDecimal, f)
	}
	return ParseDec(FormatDouble(f))
}

func (d Dec) u() *big.Int {
	if d.unscaled == nil {
		return new(big.Int)
	}
	return d.unscaled
}

// Unscaled returns a copy of the unscaled integer.
func (d Dec) Unscaled() *big.Int { return new(big.Int).Set(d.u()) }

// Scale is the number of digits after the decimal point.
func (d Dec) Scale() int { return int(d.scale) }

// Precision is the number of significant digits of the unscaled value (at
// least 1), as BigDecimal.precision.
func (d Dec) Precision() int {
	u := d.u()
	if u.Sign() == 0 {
		return 1
	}
	return len(new(big.Int).Abs(u).String())
}

// Sign returns -1, 0 or +1.
func (d Dec) Sign() int { return d.u().Sign() }

// Rescale returns d with the given scale, rounding HALF_UP when digits are dropped.
func (d Dec) Rescale(scale int) Dec {
	cur := int(d.scale)
	u := d.u()
	switch {
	case scale == cur:
		return d
	case scale > cur:
		m := new(big.Int).Exp(bigTen, big.NewInt(int64(scale-cur)), nil)
		return Dec{unscaled: new(big.Int).Mul(u, m), scale: int32(scale)}
	}
	div := new(big.Int).Exp(bigTen, big.NewInt(int64(cur-scale)), nil)
	q, r := new(big.Int).QuoRem(u, div, new(big.Int))
	// HALF_UP: round away from zero when |r|*2 >= div.
	r2 := new(big.Int).Abs(r)
	r2.Lsh(r2, 1)
	if r2.Cmp(div) >= 0 {
		if u.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return Dec{unscaled: q, scale: int32(scale)}
}

// FitsIn reports whether d rescaled to the scale of DECIMAL(p, s) keeps at
// most p digits.
func (d Dec) FitsIn(precision, scale int) bool {
	r := d.Rescale(scale)
	return r.Precision() <= precision || r.Sign() == 0
}

func align(a, b Dec) (*big.Int, *big.Int, int) {
	s := int(a.scale)
	if int(b.scale) > s {
		s = int(b.scale)
	}
	return a.Rescale(s).u(), b.Rescale(s).u(), s
}

// Add returns a+b at the larger of the two scales.
func (d Dec) Add(o Dec) Dec {
	x, y, s := align(d, o)
	return Dec{unscaled: new(big.Int).Add(x, y), scale: int32(s)}
}

// Sub returns a-b at the larger of the two scales.
func (d Dec) Sub(o Dec) Dec {
	x, y, s := align(d, o)
	return Dec{unscaled: new(big.Int).Sub(x, y), scale: int32(s)}
}

// Mul returns a*b at scale a.scale+b.scale.
func (d Dec) Mul(o Dec) Dec {
	return Dec{unscaled: new(big.Int).Mul(d.u(), o.u()), scale: d.scale + o.scale}
}

// ErrDivideByZero is returned by Div and Rem for a zero divisor.
var ErrDivideByZero = errors.New("division by zero")

// Div returns a/b rounded HALF_UP to the given result scale.
func (d Dec) Div(o Dec, scale int) (Dec, error) {
	if o.Sign() == 0 {
		return Dec{}, ErrDivideByZero
	}
	// a/b = (ua * 10^(scale + sb - sa + 1)) / ub, then round one digit off.
	shift := scale + int(o.scale) - int(d.scale) + 1
	num := new(big.Int).Set(d.u())
	den := new(big.Int).Set(o.u())
	if shift >= 0 {
		num.Mul(num, new(big.Int).Exp(bigTen, big.NewInt(int64(shift)), nil))
	} else {
		den.Mul(den, new(big.Int).Exp(bigTen, big.NewInt(int64(-shift)), nil))
	}
	q := new(big.Int).Quo(num, den)
	return Dec{unscaled: q, scale: int32(scale + 1)}.Rescale(scale), nil
}

// Rem returns the remainder of a/b (sign of a), at the larger scale.
func (d Dec) Rem(o Dec) (Dec, error) {
	if o.Sign() == 0 {
		return Dec{}, ErrDivideByZero
	}
	x, y, s := align(d, o)
	return Dec{unscaled: new(big.Int).Rem(x, y), scale: int32(s)}, nil
}

// Neg returns -d.
func (d Dec) Neg() Dec { return Dec{unscaled: new(big.Int).Neg(d.u()), scale: d.scale} }

// Abs returns |d|.
func (d Dec) Abs() Dec { return Dec{unscaled: new(big.Int).Abs(d.u()), scale: d.scale} }

// Cmp compares by value regardless of scale.
func (d Dec) Cmp(o Dec) int {
	x, y, _ := align(d, o)
	return x.Cmp(y)
}

// Float64 is the nearest double.
func (d Dec) Float64() float64 {
	f, _ := new(big.Float).SetPrec(200).Quo(
		new(big.Float).SetPrec(200).SetInt(d.u()),
		new(big.Float).SetPrec(200).SetInt(new(big.Int).Exp(bigTen, big.NewInt(int64(d.scale)), nil)),
	).Float64()
	return f
}

// Int64 truncates toward zero.
func (d Dec) Int64() int64 {
	if d.scale <= 0 {
		return d.Rescale(0).u().Int64()
	}
	div := new(big.Int).Exp(bigTen, big.NewInt(int64(d.scale)), nil)
	return new(big.Int).Quo(d.u(), div).Int64()
}

// String renders plain notation with exactly Scale digits after the point
// (BigDecimal.toPlainString).
func (d Dec) String() string {
	u := d.u()
	neg := u.Sign() < 0
	digits := new(big.Int).Abs(u).String()
	s := int(d.scale)
	if s > 0 {
		if len(digits) <= s {
			digits = strings.Repeat("0", s-len(digits)+1) + digits
		}
		digits = digits[:len(digits)-s] + "." + digits[len(digits)-s:]
	}
	if neg {
		return "-" + digits
	}
	return digits
}
