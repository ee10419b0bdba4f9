package types

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// forceBig is d with its unscaled value in a big.Int, so that every
// operation on it takes the math/big path: the reference for the 64-bit
// fast paths.
func forceBig(d Dec) Dec { return Dec{unscaled: d.u(), scale: d.scale} }

func TestDecimalFastPathsMatchBig(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	edge := []int64{0, 1, -1, 9, -9, 10, 999_999_999_999_999_999, math.MaxInt64, math.MinInt64, math.MaxInt64 / 10, math.MinInt64 / 10, 4_611_686_018_427_387_904, -4_611_686_018_427_387_904, 3_037_000_499, -3_037_000_500}
	pick := func() Dec {
		var v int64
		switch rng.IntN(4) {
		case 0:
			v = edge[rng.IntN(len(edge))]
		case 1:
			v = rng.Int64N(1000) - 500
		case 2:
			v = int64(rng.Uint64())
		default:
			v = rng.Int64N(1_000_000_000_000) - 500_000_000_000
		}
		return Dec{small: v, scale: int32(rng.IntN(22))}
	}
	same := func(what string, a, b Dec, fast, ref Dec) {
		t.Helper()
		if fast.String() != ref.String() || fast.Scale() != ref.Scale() {
			t.Fatalf("%s(%s [%d], %s [%d]): fast %s (scale %d), big %s (scale %d)", what, a, a.Scale(), b, b.Scale(), fast, fast.Scale(), ref, ref.Scale())
		}
	}
	for i := 0; i < 200_000; i++ {
		a, b := pick(), pick()
		ba, bb := forceBig(a), forceBig(b)
		same("Add", a, b, a.Add(b), ba.Add(bb))
		same("Sub", a, b, a.Sub(b), ba.Sub(bb))
		same("Mul", a, b, a.Mul(b), ba.Mul(bb))
		if got, want := a.Cmp(b), ba.Cmp(bb); got != want {
			t.Fatalf("Cmp(%s, %s) = %d, big %d", a, b, got, want)
		}
		s := rng.IntN(25)
		same("Rescale", a, Dec{scale: int32(s)}, a.Rescale(s), ba.Rescale(s))
		same("Neg", a, a, a.Neg(), ba.Neg())
		same("Abs", a, a, a.Abs(), ba.Abs())
		if a.Precision() != ba.Precision() || a.Sign() != ba.Sign() {
			t.Fatalf("Precision/Sign of %s: %d/%d, big %d/%d", a, a.Precision(), a.Sign(), ba.Precision(), ba.Sign())
		}
	}
}

// Results that do not fit in 64 bits come back exact, through math/big.
func TestDecimalOverflowFallsBackToBig(t *testing.T) {
	max := DecFromInt64(math.MaxInt64)
	sum := max.Add(DecFromInt64(1))
	if sum.String() != "9223372036854775808" {
		t.Fatalf("MaxInt64+1 = %s", sum)
	}
	prod := max.Mul(max)
	want := new(big.Int).Mul(big.NewInt(math.MaxInt64), big.NewInt(math.MaxInt64))
	if prod.String() != want.String() {
		t.Fatalf("MaxInt64^2 = %s, want %s", prod, want)
	}
	if d, _ := ParseDec("0.908"); d.Mul(DecFromInt64(1000)).String() != "908.000" {
		t.Fatalf("0.908*1000 = %s", d.Mul(DecFromInt64(1000)))
	}
	if d, _ := ParseDec("-12345678901234567890.5"); d.String() != "-12345678901234567890.5" || d.Rescale(0).String() != "-12345678901234567891" {
		t.Fatalf("big parse/round: %s, %s", d, d.Rescale(0))
	}
}

func BenchmarkDecimalMulSmall(b *testing.B) {
	x, _ := ParseDec("0.908")
	y := DecFromInt64(123_456)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_ = x.Mul(y).Rescale(3)
	}
}

func BenchmarkDecimalMulBig(b *testing.B) {
	x, _ := ParseDec("0.908")
	y := DecFromInt64(123_456)
	bx, by := forceBig(x), forceBig(y)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_ = bx.Mul(by).Rescale(3)
	}
}

// The 64-bit paths allocate nothing: q1's 0.908 * price and the rescale
// of its result, a comparison and a sum.
func TestDecimalSmallArithmeticDoesNotAllocate(t *testing.T) {
	if raceEnabled || testing.CoverMode() != "" {
		t.Skip("allocation counts are not meaningful under the race detector or coverage")
	}
	x, _ := ParseDec("0.908")
	y := DecFromInt64(123_456)
	var sink Dec
	allocs := testing.AllocsPerRun(1000, func() {
		p := x.Mul(y).Rescale(3)
		if p.Cmp(y) < 0 {
			sink = p.Add(x)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per small DECIMAL multiply, rescale, compare and add, want 0", allocs)
	}
	_ = sink
}

// Append writes what String returns, for small and large values, any
// scale, and allocates nothing for a DECIMAL held in 64 bits.
func TestDecAppendMatchesString(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	check := func(d Dec) {
		t.Helper()
		if got, want := string(d.Append([]byte("x"))), "x"+d.String(); got != want {
			t.Fatalf("Append %q, String %q", got, want)
		}
	}
	for _, s := range []string{"0", "-0.00", "0.001", "-0.5", "123.456", "-9223372036854775808", "9223372036854775807",
		"0.000000000000000001", "12345678901234567890123.4567", "-1E+3", "1E-20"} {
		d, err := ParseDec(s)
		if err != nil {
			t.Fatal(s, err)
		}
		check(d)
	}
	for i := 0; i < 100_000; i++ {
		check(DecFromUnscaled(rng.Int64()>>uint(rng.IntN(63))*int64(1-2*rng.IntN(2)), rng.IntN(25)-3))
	}
	if raceEnabled || testing.CoverMode() != "" {
		return
	}
	d := DecFromUnscaled(-1234567, 3)
	buf := make([]byte, 0, 64)
	if n := testing.AllocsPerRun(100, func() { buf = d.Append(buf[:0]) }); n != 0 {
		t.Errorf("Append of a small DECIMAL: %v allocations", n)
	}
}
