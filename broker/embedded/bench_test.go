package embedded

import (
	"fmt"
	"testing"

	"github.com/ksqlgo/ksql/broker"
)

// benchBatch builds n records with 16-byte keys and 100-byte values.
func benchBatch(n int) []broker.Record {
	recs := make([]broker.Record, n)
	for i := range recs {
		recs[i] = broker.Record{
			Key:       []byte(fmt.Sprintf("key-%012d", i)),
			Value:     make([]byte, 100),
			Timestamp: 1_700_000_000_000 + int64(i),
		}
	}
	return recs
}

func benchLog(b *testing.B, opts Options) *Log {
	b.Helper()
	opts.RetentionCheckInterval = -1
	l, err := Open(b.TempDir(), opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { l.Close() })
	if err := l.CreateTopic(b.Context(), "t", broker.TopicConfig{Partitions: 1}); err != nil {
		b.Fatal(err)
	}
	return l
}

// BenchmarkAppend appends batches of 500 records of ~120 bytes.
func BenchmarkAppend(b *testing.B) {
	for _, tc := range []struct {
		name string
		opts Options
	}{
		{"SyncInterval", Options{SyncPolicy: SyncInterval, SyncInterval: 1 << 40}},
		{"SyncAlways", Options{}},
	} {
		b.Run(tc.name+"/batch=500", func(b *testing.B) {
			l := benchLog(b, tc.opts)
			recs := benchBatch(500)
			b.SetBytes(int64(500 * 116))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := l.Append(b.Context(), "t", 0, recs); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*500), "ns/record")
		})
	}
}

// BenchmarkAppendParallel measures group commit: many small appends to one
// partition from concurrent goroutines under SyncAlways.
func BenchmarkAppendParallel(b *testing.B) {
	l := benchLog(b, Options{})
	b.SetParallelism(8)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		recs := benchBatch(10)
		for pb.Next() {
			if _, err := l.Append(b.Context(), "t", 0, recs); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/append")
}

// BenchmarkAppendTxn appends one transactional batch of 500 records and
// prepares and commits it (SyncInterval, so the fsync is PrepareTxn's).
func BenchmarkAppendTxn(b *testing.B) {
	l := benchLog(b, Options{SyncPolicy: SyncInterval, SyncInterval: 1 << 40})
	recs := benchBatch(500)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		txn := broker.Txn{Producer: "bench", Seq: int64(i)}
		if _, err := l.AppendTxn(b.Context(), txn, "t", 0, recs); err != nil {
			b.Fatal(err)
		}
		if err := l.PrepareTxn(b.Context(), txn); err != nil {
			b.Fatal(err)
		}
		if err := l.EndTxn(b.Context(), txn, true); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*500), "ns/record")
}

// BenchmarkRead reads 500 records per call sequentially through a
// partition of 200k records (several segments), wrapping around.
func BenchmarkRead(b *testing.B) {
	for _, iso := range []broker.Isolation{broker.ReadCommitted, broker.ReadUncommitted} {
		b.Run(map[broker.Isolation]string{broker.ReadCommitted: "ReadCommitted", broker.ReadUncommitted: "ReadUncommitted"}[iso], func(b *testing.B) {
			l := benchLog(b, Options{SyncPolicy: SyncInterval, SyncInterval: 1 << 40, SegmentBytes: 8 << 20})
			recs := benchBatch(500)
			const total = 200_000
			for i := 0; i < total/500; i++ {
				if _, err := l.Append(b.Context(), "t", 0, recs); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(int64(500 * 116))
			b.ReportAllocs()
			b.ResetTimer()
			next := int64(0)
			for i := 0; i < b.N; i++ {
				got, n, err := l.Read(b.Context(), "t", 0, next, broker.ReadOptions{Isolation: iso})
				if err != nil {
					b.Fatal(err)
				}
				if len(got) != 500 {
					b.Fatalf("%d records", len(got))
				}
				next = n
				if next >= total {
					next = 0
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*500), "ns/record")
		})
	}
}

// BenchmarkReadRandom reads 10 records at random offsets (sparse index
// seeks).
func BenchmarkReadRandom(b *testing.B) {
	l := benchLog(b, Options{SyncPolicy: SyncInterval, SyncInterval: 1 << 40, SegmentBytes: 8 << 20})
	recs := benchBatch(500)
	const total = 200_000
	for i := 0; i < total/500; i++ {
		if _, err := l.Append(b.Context(), "t", 0, recs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	off := int64(0)
	for i := 0; i < b.N; i++ {
		off = (off*1103515245 + 12345) % (total - 10)
		got, _, err := l.Read(b.Context(), "t", 0, off, broker.ReadOptions{MaxRecords: 10})
		if err != nil || len(got) != 10 {
			b.Fatal(err, len(got))
		}
	}
}

// BenchmarkReaderRead reads 500 records per call, as a query's task does,
// through 5,000-record batches (a producer's large batches): Log.Read
// (reads and checksums the whole batch again for every 500 records, and
// copies the records), a Reader that resumes inside the batch but copies
// the records, and the Reader as shipped (resumes, and the records alias
// the buffer the batch was read into).
func BenchmarkReaderRead(b *testing.B) {
	l := benchLog(b, Options{SyncPolicy: SyncInterval, SyncInterval: 1 << 40, SegmentBytes: 64 << 20})
	recs := benchBatch(5000)
	const total = 200_000
	for i := 0; i < total/5000; i++ {
		if _, err := l.Append(b.Context(), "t", 0, recs); err != nil {
			b.Fatal(err)
		}
	}
	p, err := l.partition("t", 0)
	if err != nil {
		b.Fatal(err)
	}
	var cache batchCache
	reads := map[string]func(off int64) ([]broker.Record, int64, error){
		"LogRead": func(off int64) ([]broker.Record, int64, error) {
			return l.Read(b.Context(), "t", 0, off, broker.ReadOptions{MaxRecords: 500})
		},
		"ReaderCopy": func(off int64) ([]broker.Record, int64, error) {
			st, err := p.readStateCached(off, broker.ReadOptions{MaxRecords: 500}, false, &cache, false)
			if err != nil {
				return nil, 0, err
			}
			return st.recs, st.next, nil
		},
		"Reader": l.NewReader("t", 0).(*embeddedReader).readAt(b),
	}
	for _, name := range []string{"LogRead", "ReaderCopy", "Reader"} {
		read := reads[name]
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(500 * 116))
			b.ReportAllocs()
			next := int64(0)
			for i := 0; i < b.N; i++ {
				got, n, err := read(next)
				if err != nil {
					b.Fatal(err)
				}
				if len(got) != 500 {
					b.Fatalf("%d records", len(got))
				}
				next = n
				if next >= total {
					next = 0
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*500), "ns/record")
		})
	}
}

func (r *embeddedReader) readAt(b *testing.B) func(off int64) ([]broker.Record, int64, error) {
	return func(off int64) ([]broker.Record, int64, error) {
		return r.Read(b.Context(), off, broker.ReadOptions{MaxRecords: 500})
	}
}
