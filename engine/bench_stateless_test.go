package engine

import "testing"

// Nexmark q0 and q2 (the stateless path): with -benchmem, allocs/op is
// allocations per input event (the input is written before the timer).

// BenchmarkPassThrough: Nexmark q0, every column of every bid copied.
func BenchmarkPassThrough(b *testing.B) {
	runQueryBench(b, bidDDL,
		`CREATE STREAM q0 AS SELECT * FROM bid;`,
		"bid", bidValue)
}

// BenchmarkFilter: Nexmark q2, a selective filter (about 1 bid in 100
// passes: auctions are drawn from 100 values).
func BenchmarkFilter(b *testing.B) {
	runQueryBench(b, bidDDL,
		`CREATE STREAM q2 AS SELECT auction, price FROM bid WHERE auction % 123 = 0;`,
		"bid", bidValue)
}
