package state

import (
	"fmt"
	"testing"
)

// TestBlockCacheKeepsBlocks: reads of flushed data are served from the
// block cache the second time, however large the memtables are next to
// the cache. Pebble charges memtables to the block cache; before Open
// added room for them, a cache no larger than two memtables kept no
// block at all and every Get read its index, filter and data blocks
// from disk again (the second pass below missed as often as the first).
func TestBlockCacheKeepsBlocks(t *testing.T) {
	const size = 2 << 20
	db, err := Open(t.TempDir(), Options{Logger: testLogger{t}, CacheSize: size, MemTableSize: size})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// Enough writes for the memtables to grow to their full size (they
	// start small and double at each rotation).
	val := make([]byte, 100)
	for i := 0; i < 100; i++ {
		b := db.NewBatch()
		for j := 0; j < 1000; j++ {
			b.Set(fmt.Appendf(nil, "k%03d-%04d", i, j), val)
		}
		if err := b.Commit(false); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Flush(); err != nil {
		t.Fatal(err)
	}
	read := func() (hits, misses int64) {
		before := db.pdb.Metrics().BlockCache
		for j := 0; j < 1000; j += 10 {
			for _, k := range []string{fmt.Sprintf("k050-%04d", j), fmt.Sprintf("absent-%04d", j)} {
				if _, _, err := db.Get([]byte(k)); err != nil {
					t.Fatal(err)
				}
			}
		}
		after := db.pdb.Metrics().BlockCache
		return after.Hits - before.Hits, after.Misses - before.Misses
	}
	read()
	hits, misses := read()
	if misses != 0 || hits < 100 {
		t.Fatalf("second pass over the same keys: %d block cache hits, %d misses; want every block from the cache (%s)",
			hits, misses, db.Metrics())
	}
}
