package types

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"strconv"
	"strings"
)

// Dec is a DECIMAL value: unscaled * 10^-scale. It is a small value type.
// An unscaled value that fits in an int64 is kept there (small, with
// unscaled nil) and the common operations on such values (add, subtract,
// multiply, compare, rescale, format) run in 64-bit arithmetic, falling
// back to math/big when a result would overflow; larger values live in a
// big.Int that is never mutated after construction, so copies share it
// safely.
type Dec struct {
	unscaled *big.Int // nil: the value is small
	small    int64
	scale    int32
}

var bigTen = big.NewInt(10)

// pow10 holds 10^0 .. 10^18, the powers of ten an int64 holds.
var pow10 = func() (p [19]int64) {
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// decBig makes a Dec of u, small when it fits; it takes ownership of u.
func decBig(u *big.Int, scale int32) Dec {
	if u.IsInt64() {
		return Dec{small: u.Int64(), scale: scale}
	}
	return Dec{unscaled: u, scale: scale}
}

// NewDec builds unscaled * 10^-scale.
func NewDec(unscaled *big.Int, scale int) Dec {
	return decBig(new(big.Int).Set(unscaled), int32(scale))
}

// DecFromUnscaled is unscaled * 10^-scale.
func DecFromUnscaled(unscaled int64, scale int) Dec { return Dec{small: unscaled, scale: int32(scale)} }

// DecFromInt64 is the decimal with scale 0 equal to n.
func DecFromInt64(n int64) Dec { return Dec{small: n} }

// isSmall reports whether d's unscaled value is its int64.
func (d Dec) isSmall() bool { return d.unscaled == nil }

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
	scale := len(frac) - exp
	if len(digits) <= 18 && scale >= 0 {
		n, err := strconv.ParseInt(digits, 10, 64)
		if err == nil {
			if neg {
				n = -n
			}
			return Dec{small: n, scale: int32(scale)}, nil
		}
	}
	u, ok := new(big.Int).SetString(digits, 10)
	if !ok {
		return Dec{}, fmt.Errorf("%w: %q", ErrBadDecimal, s)
	}
	if neg {
		u.Neg(u)
	}
	if scale < 0 {
		u.Mul(u, new(big.Int).Exp(bigTen, big.NewInt(int64(-scale)), nil))
		scale = 0
	}
	return decBig(u, int32(scale)), nil
}

// DecFromFloat64 converts a double exactly as Java's BigDecimal.valueOf does
// (through the shortest decimal text of the double).
func DecFromFloat64(f float64) (Dec, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return Dec{}, fmt.Errorf("%w: %v", ErrBadDecimal, f)
	}
	return ParseDec(FormatDouble(f))
}

// u is the unscaled value as a big.Int (allocated for a small value: the
// slow paths use it).
func (d Dec) u() *big.Int {
	if d.unscaled == nil {
		return big.NewInt(d.small)
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
	if d.isSmall() && d.small != math.MinInt64 {
		a := d.small
		if a < 0 {
			a = -a
		}
		n := 1
		for n < len(pow10) && a >= pow10[n] {
			n++
		}
		return n
	}
	u := d.u()
	if u.Sign() == 0 {
		return 1
	}
	return len(new(big.Int).Abs(u).String())
}

// Sign returns -1, 0 or +1.
func (d Dec) Sign() int {
	if d.isSmall() {
		switch {
		case d.small < 0:
			return -1
		case d.small > 0:
			return 1
		}
		return 0
	}
	return d.unscaled.Sign()
}

// mul64 returns a*b and whether it fits in an int64.
func mul64(a, b int64) (int64, bool) {
	if a == 0 || b == 0 {
		return 0, true
	}
	neg := (a < 0) != (b < 0)
	ua, ub := absU(a), absU(b)
	hi, lo := bits.Mul64(ua, ub)
	if hi != 0 || lo > math.MaxInt64+uint64(b2u(neg)) {
		return 0, false
	}
	if neg {
		return int64(-lo), true // lo <= 2^63: wraps to MinInt64 exactly
	}
	return int64(lo), true
}

func absU(a int64) uint64 {
	if a < 0 {
		return uint64(-a) // MinInt64 wraps to 2^63, its magnitude
	}
	return uint64(a)
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// add64 returns a+b and whether it fits in an int64.
func add64(a, b int64) (int64, bool) {
	c := a + b
	if (c > a) != (b > 0) {
		return 0, false
	}
	return c, true
}

// scaleUp returns a*10^k and whether it fits in an int64.
func scaleUp(a int64, k int) (int64, bool) {
	if k >= len(pow10) {
		return 0, a == 0
	}
	return mul64(a, pow10[k])
}

// align64 returns a and b at the larger of their scales as int64s, ok
// false when either is big or would overflow.
func align64(a, b Dec) (int64, int64, int32, bool) {
	if !a.isSmall() || !b.isSmall() {
		return 0, 0, 0, false
	}
	x, y, s := a.small, b.small, a.scale
	var ok bool
	switch {
	case a.scale < b.scale:
		x, ok = scaleUp(x, int(b.scale-a.scale))
		s = b.scale
	case a.scale > b.scale:
		y, ok = scaleUp(y, int(a.scale-b.scale))
	default:
		ok = true
	}
	return x, y, s, ok
}

// Rescale returns d with the given scale, rounding HALF_UP when digits are dropped.
func (d Dec) Rescale(scale int) Dec {
	cur := int(d.scale)
	if scale == cur {
		return d
	}
	if d.isSmall() {
		if scale > cur {
			if v, ok := scaleUp(d.small, scale-cur); ok {
				return Dec{small: v, scale: int32(scale)}
			}
		} else if k := cur - scale; k < len(pow10) {
			div := pow10[k]
			q, r := d.small/div, d.small%div
			// HALF_UP: away from zero when |r|*2 >= div (no overflow:
			// |r| < div <= 10^18).
			if ar := absU(r); ar*2 >= uint64(div) {
				if d.small < 0 {
					q--
				} else {
					q++
				}
			}
			return Dec{small: q, scale: int32(scale)}
		}
	}
	u := d.u()
	switch {
	case scale > cur:
		m := new(big.Int).Exp(bigTen, big.NewInt(int64(scale-cur)), nil)
		return decBig(new(big.Int).Mul(u, m), int32(scale))
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
	return decBig(q, int32(scale))
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
	if x, y, s, ok := align64(d, o); ok {
		if v, ok := add64(x, y); ok {
			return Dec{small: v, scale: s}
		}
	}
	x, y, s := align(d, o)
	return decBig(new(big.Int).Add(x, y), int32(s))
}

// Sub returns a-b at the larger of the two scales.
func (d Dec) Sub(o Dec) Dec {
	if x, y, s, ok := align64(d, o); ok && y != math.MinInt64 {
		if v, ok := add64(x, -y); ok {
			return Dec{small: v, scale: s}
		}
	}
	x, y, s := align(d, o)
	return decBig(new(big.Int).Sub(x, y), int32(s))
}

// Mul returns a*b at scale a.scale+b.scale.
func (d Dec) Mul(o Dec) Dec {
	if d.isSmall() && o.isSmall() {
		if v, ok := mul64(d.small, o.small); ok {
			return Dec{small: v, scale: d.scale + o.scale}
		}
	}
	return decBig(new(big.Int).Mul(d.u(), o.u()), d.scale+o.scale)
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
	return decBig(q, int32(scale+1)).Rescale(scale), nil
}

// Rem returns the remainder of a/b (sign of a), at the larger scale.
func (d Dec) Rem(o Dec) (Dec, error) {
	if o.Sign() == 0 {
		return Dec{}, ErrDivideByZero
	}
	x, y, s := align(d, o)
	return decBig(new(big.Int).Rem(x, y), int32(s)), nil
}

// Neg returns -d.
func (d Dec) Neg() Dec {
	if d.isSmall() && d.small != math.MinInt64 {
		return Dec{small: -d.small, scale: d.scale}
	}
	return decBig(new(big.Int).Neg(d.u()), d.scale)
}

// Abs returns |d|.
func (d Dec) Abs() Dec {
	if d.Sign() >= 0 {
		return d
	}
	return d.Neg()
}

// Cmp compares by value regardless of scale.
func (d Dec) Cmp(o Dec) int {
	if x, y, _, ok := align64(d, o); ok {
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	}
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
// Append appends d as String formats it, without allocating when d is
// held in 64 bits.
func (d Dec) Append(b []byte) []byte {
	if !d.isSmall() {
		return append(b, d.String()...)
	}
	var buf [20]byte
	digits := strconv.AppendUint(buf[:0], absU(d.small), 10)
	if d.small < 0 {
		b = append(b, '-')
	}
	s := int(d.scale)
	switch {
	case s <= 0:
		return append(b, digits...)
	case len(digits) <= s:
		b = append(b, '0', '.')
		for i := len(digits); i < s; i++ {
			b = append(b, '0')
		}
		return append(b, digits...)
	}
	b = append(b, digits[:len(digits)-s]...)
	b = append(b, '.')
	return append(b, digits[len(digits)-s:]...)
}

func (d Dec) String() string {
	var neg bool
	var digits string
	if d.isSmall() {
		neg = d.small < 0
		digits = strconv.FormatUint(absU(d.small), 10)
	} else {
		neg = d.unscaled.Sign() < 0
		digits = new(big.Int).Abs(d.unscaled).String()
	}
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
