package state

import (
	"encoding/binary"
	"math/rand"
	"testing"
)

var benchPrefix = []byte("bench/")

func benchKey(i int) []byte {
	return appendBenchKey(nil, i)
}

// appendBenchKey appends the i-th benchmark key to buf[:0].
func appendBenchKey(buf []byte, i int) []byte {
	return binary.BigEndian.AppendUint64(append(buf[:0], benchPrefix...), uint64(i))
}

// BenchmarkBatchCommit commits batches of 1000 Sets of 100-byte values
// without fsync. One op is one batch.
func BenchmarkBatchCommit(b *testing.B) {
	benchCommit(b, false)
}

// BenchmarkBatchCommitSync is BenchmarkBatchCommit with sync=true, i.e. one
// WAL fsync per batch; it mostly measures the disk.
func BenchmarkBatchCommitSync(b *testing.B) {
	benchCommit(b, true)
}

func benchCommit(b *testing.B, sync bool) {
	db := openTest(b)
	const perBatch = 1000
	value := make([]byte, 100)
	rand.New(rand.NewSource(1)).Read(value)
	b.SetBytes(perBatch * int64(len(value)+len(benchKey(0))))
	b.ReportAllocs()
	n := 0
	var key []byte
	for b.Loop() {
		batch := db.NewBatch()
		for range perBatch {
			key = appendBenchKey(key, n)
			batch.Set(key, value)
			n++
		}
		if err := batch.Commit(sync); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGet reads random present keys out of 100k, after a flush, so
// most reads go through the block cache rather than the memtable.
func BenchmarkGet(b *testing.B) {
	const keys = 100_000
	db := openTest(b)
	value := make([]byte, 100)
	for i := 0; i < keys; i += 1000 {
		batch := db.NewBatch()
		for j := i; j < i+1000; j++ {
			batch.Set(benchKey(j), value)
		}
		if err := batch.Commit(false); err != nil {
			b.Fatal(err)
		}
	}
	if err := db.Flush(); err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewSource(1))
	var key []byte
	b.Run("hit", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			key = appendBenchKey(key, rng.Intn(keys))
			if _, ok, err := db.Get(key); err != nil || !ok {
				b.Fatal("missing key", err)
			}
		}
	})
	b.Run("miss", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			key = appendBenchKey(key, keys+rng.Intn(keys))
			if _, ok, err := db.Get(key); err != nil || ok {
				b.Fatal("unexpected key", err)
			}
		}
	})
	b.Run("scan1000", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			start := rng.Intn(keys - 1000)
			it, err := db.NewIter(benchKey(start), benchKey(start+1000))
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for ok := it.First(); ok; ok = it.Next() {
				n++
			}
			if err := it.Close(); err != nil || n != 1000 {
				b.Fatal(n, err)
			}
		}
	})
}
