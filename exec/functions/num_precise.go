package functions

import "math"

// Correctly rounded (in practice) exp, log and pow, computed in
// double-double arithmetic. HotSpot's Math.exp/log/pow intrinsics are
// accurate to the last bit in all but rare cases, while Go's math package
// is often one ulp off; ksqlDB's EXP, LN, LOG and POWER results are
// printed with all digits, so they must agree exactly.

// numDD is an unevaluated sum hi + lo with |lo| <= ulp(hi)/2.
type numDD struct{ hi, lo float64 }

func numTwoSum(a, b float64) numDD {
	s := a + b
	bb := s - a
	return numDD{s, (a - (s - bb)) + (b - bb)}
}

func numFastTwoSum(a, b float64) numDD {
	s := a + b
	return numDD{s, b - (s - a)}
}

func numTwoProd(a, b float64) numDD {
	p := a * b
	return numDD{p, math.FMA(a, b, -p)}
}

func (x numDD) add(y numDD) numDD {
	s := numTwoSum(x.hi, y.hi)
	t := numTwoSum(x.lo, y.lo)
	s.lo += t.hi
	s = numFastTwoSum(s.hi, s.lo)
	s.lo += t.lo
	return numFastTwoSum(s.hi, s.lo)
}

func (x numDD) mul(y numDD) numDD {
	p := numTwoProd(x.hi, y.hi)
	p.lo += x.hi*y.lo + x.lo*y.hi
	return numFastTwoSum(p.hi, p.lo)
}

func (x numDD) mulF(y float64) numDD {
	p := numTwoProd(x.hi, y)
	p.lo += x.lo * y
	return numFastTwoSum(p.hi, p.lo)
}

func (x numDD) divF(y float64) numDD {
	q1 := x.hi / y
	p := numTwoProd(q1, y)
	r := ((x.hi - p.hi) - p.lo + x.lo) / y
	return numFastTwoSum(q1, r)
}

// ln 2 as a double-double.
var numLn2 = numDD{0.6931471805599453, 2.3190468138462996e-17}

// numExpDD computes e^(x.hi + x.lo) as a double-double scaled by 2^k:
// the result is (m, k) with e^x = m * 2^k.
func numExpDD(x numDD) (numDD, int) {
	k := math.Round(x.hi / numLn2.hi)
	// r = x - k*ln2, exactly enough.
	r := x.add(numLn2.mulF(-k))
	// Reduce further: e^r = (e^(r/256))^256.
	const squarings = 8
	r = numDD{math.Ldexp(r.hi, -squarings), math.Ldexp(r.lo, -squarings)}
	// Taylor series of e^r - 1 for |r| < 0.0014.
	sum := numDD{}
	term := r
	for n := 2; n <= 14; n++ {
		sum = sum.add(term)
		term = term.mul(r)
		term = term.divF(float64(n))
	}
	sum = sum.add(term)
	// (1+s)^2 - 1 = 2s + s^2, repeated, keeps precision near zero.
	for i := 0; i < squarings; i++ {
		sum = sum.mulF(2).add(sum.mul(sum))
	}
	return numDD{1, 0}.add(sum), int(k)
}

// numScale returns m * 2^k rounded to a double.
func numScale(m numDD, k int) float64 {
	v := m.hi + m.lo
	if k > 1000 || k < -1000 {
		h := k / 2
		return math.Ldexp(math.Ldexp(v, h), k-h)
	}
	return math.Ldexp(v, k)
}

// numExp is Math.exp.
func numExp(x float64) float64 {
	switch {
	case math.IsNaN(x):
		return x
	case x > 709.782712893384:
		return math.Inf(1)
	case x < -745.1332191019412:
		return 0
	case x == 0:
		return 1
	}
	m, k := numExpDD(numDD{x, 0})
	if k < -1021 {
		// Subnormal result: round once, from the double-double.
		return math.Ldexp(m.hi, k) + math.Ldexp(m.lo, k)
	}
	return numScale(m, k)
}

// numLogDD computes ln(x) for finite x > 0 as a double-double.
func numLogDD(x float64) numDD {
	frac, exp := math.Frexp(x) // x = frac * 2^exp, frac in [0.5, 1)
	if frac < math.Sqrt2/2 {
		frac *= 2
		exp--
	}
	y0 := math.Log(frac)
	// One Newton step: ln(frac) = y0 + ln(frac * e^-y0), and
	// frac * e^-y0 = 1 + t with tiny t, whose log is t - t^2/2.
	m, k := numExpDD(numDD{-y0, 0})
	e := numDD{math.Ldexp(m.hi, k), math.Ldexp(m.lo, k)}
	t := e.mulF(frac).add(numDD{-1, 0})
	corr := t.add(numDD{-0.5 * t.hi * t.hi, 0})
	res := numDD{y0, 0}.add(corr)
	if exp != 0 {
		res = res.add(numLn2.mulF(float64(exp)))
	}
	return res
}

// numLog is Math.log.
func numLog(x float64) float64 {
	switch {
	case math.IsNaN(x) || x < 0:
		return math.NaN()
	case x == 0:
		return math.Inf(-1)
	case math.IsInf(x, 1):
		return x
	case x == 1:
		return 0
	}
	r := numLogDD(x)
	return r.hi + r.lo
}

// numIsOddInt reports whether y is an odd integer.
func numIsOddInt(y float64) bool {
	if math.Abs(y) >= 1<<53 {
		return false
	}
	return y == math.Trunc(y) && math.Mod(y, 2) != 0
}

// numPow is Math.pow, with Java's special cases.
func numPow(x, y float64) float64 {
	switch {
	case y == 0:
		return 1
	case y == 1:
		return x
	case math.IsNaN(y) || math.IsNaN(x):
		return math.NaN()
	case math.IsInf(y, 0):
		ax := math.Abs(x)
		switch {
		case ax == 1:
			return math.NaN()
		case (ax > 1) == (y > 0):
			return math.Inf(1)
		default:
			return 0
		}
	case x == 0:
		neg := math.Signbit(x) && numIsOddInt(y)
		if y > 0 {
			return math.Copysign(0, map[bool]float64{true: -1, false: 1}[neg])
		}
		return math.Inf(map[bool]int{true: -1, false: 1}[neg])
	case math.IsInf(x, 0):
		neg := x < 0 && numIsOddInt(y)
		if y > 0 {
			return math.Inf(map[bool]int{true: -1, false: 1}[neg])
		}
		return math.Copysign(0, map[bool]float64{true: -1, false: 1}[neg])
	}
	neg := false
	if x < 0 {
		if y != math.Trunc(y) {
			return math.NaN()
		}
		neg = numIsOddInt(y)
		x = -x
	}
	if x == 1 {
		return map[bool]float64{true: -1, false: 1}[neg]
	}
	l := numLogDD(x)
	arg := l.mulF(y)
	var r float64
	switch {
	case arg.hi > 709.8:
		r = math.Inf(1)
	case arg.hi < -745.2:
		r = 0
	default:
		m, k := numExpDD(arg)
		if k < -1021 {
			r = math.Ldexp(m.hi, k) + math.Ldexp(m.lo, k)
		} else {
			r = numScale(m, k)
		}
	}
	if neg {
		return -r
	}
	return r
}
