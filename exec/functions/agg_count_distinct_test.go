package functions

import (
	"fmt"
	"testing"

	"github.com/ksqlgo/ksql/sql/types"
)

// Hashes and estimates below were computed with stream-lib's MurmurHash and
// HyperLogLog (log2m = 14), as ksqlDB uses them.
func TestAggMurmurMatchesStreamLib(t *testing.T) {
	for _, c := range []struct {
		got, want int32
	}{
		{aggMurmurBytes([]byte("hello")), -1816943331},
		{aggMurmurBytes([]byte("")), -1285986640},
		{aggMurmurBytes([]byte("héllo wörld!")), -129379184},
		{aggMurmurBytes([]byte{0xff, 0x80, 1}), 2024566130},
		{aggMurmurLong(42), 1348420172},
		{aggMurmurLong(-7), -1995426631},
		{aggMurmurValue(3.14), -2026974635},
		{aggMurmurValue(int32(42)), 1348420172},
		{aggMurmurValue("hello"), -1816943331},
	} {
		if c.got != c.want {
			t.Errorf("hash = %d, want %d", c.got, c.want)
		}
	}
}

func TestAggCountDistinct(t *testing.T) {
	a := ntResolveAgg(t, "COUNT_DISTINCT", ntArg(ntI64))
	if a.ret.String() != "BIGINT" {
		t.Fatalf("return %s", a.ret)
	}
	acc := a.impl.Init()
	want := map[int]int64{1000: 1002, 10000: 9960, 30000: 29681, 100000: 99621}
	for i := 0; i < 100000; i++ {
		acc = a.add(t, acc, int64(i))
		if w, ok := want[i+1]; ok {
			if got := a.result(t, acc); got != w {
				t.Errorf("COUNT_DISTINCT of %d values = %v, want %d", i+1, got, w)
			}
		}
	}
	s := ntResolveAgg(t, "COUNT_DISTINCT", ntArg(ntStr))
	acc = s.impl.Init()
	for rep := 0; rep < 2; rep++ {
		for i := 0; i < 50000; i++ {
			acc = s.add(t, acc, fmt.Sprintf("k%d", i))
		}
	}
	acc = s.add(t, acc, nil)
	if got := s.result(t, acc); got != int64(50701) {
		t.Errorf("COUNT_DISTINCT of 50000 strings = %v, want 50701", got)
	}

	// Small groups are exact; merging is a union.
	x, y := s.impl.Init(), s.impl.Init()
	for _, v := range []string{"a", "b", "c", "a"} {
		x = s.add(t, x, v)
	}
	for _, v := range []types.Value{"c", "d", nil} {
		y = s.add(t, y, v)
	}
	if got := s.result(t, x); got != int64(3) {
		t.Errorf("distinct(a b c a) = %v", got)
	}
	m, err := s.impl.(Merger).Merge(x, y)
	if err != nil || s.result(t, m) != int64(4) {
		t.Errorf("merged = %v, %v", s.result(t, m), err)
	}
	if got := s.result(t, s.impl.Init()); got != int64(0) {
		t.Errorf("empty = %v", got)
	}
	if _, ok := s.impl.(Undoer); ok {
		t.Errorf("COUNT_DISTINCT cannot retract (as in ksqlDB)")
	}
	if aggBigDecimalString(ntDec("0.00000001")) != "1E-8" || aggBigDecimalString(ntDec("12.50")) != "12.50" {
		t.Errorf("BigDecimal toString")
	}
}
