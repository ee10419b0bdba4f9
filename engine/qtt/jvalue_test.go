package qtt

import (
	"math"
	"testing"
)

// Java's Double.toString, which BigDecimal.valueOf(double) (KAFKA DOUBLE
// values) reads.
func TestJavaDoubleString(t *testing.T) {
	for d, want := range map[float64]string{
		3: "3.0", -0.5: "-0.5", 0.001: "0.001", 0.0001: "1.0E-4", 1e7: "1.0E7", 9999999: "9999999.0",
		1.946195068359375e15: "1.946195068359375E15", 123.456: "123.456", math.MaxFloat64: "1.7976931348623157E308",
	} {
		if got := javaDoubleString(d); got != want {
			t.Errorf("%v: %s, want %s", d, got, want)
		}
	}
}

// ExpectedRecordComparator.compareNumber and compareDecimal, with
// Jackson's node types (intValue truncates a DecimalNode).
func TestCompareNumber(t *testing.T) {
	dec := func(s string) jDecimal { d, _ := parseDecimal(s); return d }
	for _, c := range []struct {
		actual any
		exp    string
		want   bool
	}{
		{jInteger(1), "1", true}, {jInteger(1), "1.9", true}, {jLong(5000000000), "5000000000", true},
		{jInteger(1), "2", false}, {dec("1.50"), "1.50", true}, {dec("1.50"), "1.5", false},
		{dec("10"), "10", true}, {dec("10.0"), "10", false}, {dec("1E+1"), "10", true},
		{dec("1"), "99999999999999999999", false}, {jDouble(0.25), "0.2500000001", true},
		{jDouble(0.25), "0.2501", false}, {"1", "1", false}, {jBigInt{}, "1", false},
	} {
		if got, _ := compareNumber(c.actual, c.exp); got != c.want {
			t.Errorf("%s vs %s: %v, want %v", describe(c.actual), c.exp, got, c.want)
		}
	}
}
