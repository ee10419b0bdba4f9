package embedded

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/ksqlgo/ksql/broker"
)

// TestReaderMatchesRead: a Reader (which resumes inside the batch its
// last read stopped in) returns exactly what Log.Read returns, for reads
// that continue where the last one ended, jump back, jump ahead, change
// limits and isolation, over large and small batches, aborted and open
// transactions, segment rolls, appends between reads and retention
// deleting the segment a reader has cached.
func TestReaderMatchesRead(t *testing.T) {
	for seed := uint64(1); seed <= 6; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 7))
			l := openT(t, t.TempDir(), Options{SegmentBytes: 64 << 10})
			mustCreate(t, l, "t", broker.TopicConfig{})
			rd := l.NewReader("t", 0)
			defer rd.Close()
			seq := int64(0)
			var open *broker.Txn
			pos := int64(0)
			// Every record the reader returned, kept as returned (its
			// bytes alias the reader's buffers), and a copy of what
			// Log.Read returned for it: later reads must not change it.
			var kept, copies []broker.Record
			for step := 0; step < 400; step++ {
				switch k := rng.IntN(10); {
				case k < 3: // a batch, small or large
					n := 1 + rng.IntN(3)
					if rng.IntN(3) == 0 {
						n = 50 + rng.IntN(1500)
					}
					recs := mkRecs(fmt.Sprintf("s%d", step), n)
					if rng.IntN(4) == 0 {
						recs[0].Headers = []broker.Header{{Key: "h", Value: []byte("v")}}
					}
					if open != nil && rng.IntN(2) == 0 {
						if _, err := l.AppendTxn(t.Context(), *open, "t", 0, recs); err != nil {
							t.Fatal(err)
						}
					} else {
						mustAppend(t, l, "t", 0, recs)
					}
				case k == 3: // begin or end a transaction
					if open == nil {
						seq++
						open = &broker.Txn{Producer: "p", Seq: seq}
						continue
					}
					if err := l.PrepareTxn(t.Context(), *open); err != nil {
						t.Fatal(err)
					}
					if err := l.EndTxn(t.Context(), *open, rng.IntN(2) == 0); err != nil {
						t.Fatal(err)
					}
					open = nil
				case k == 4 && step%50 == 0: // retention drops old segments
					offs, _ := l.Offsets(t.Context(), "t", 0)
					if offs.End > 0 {
						if _, err := l.DeleteRecords(t.Context(), "t", 0, offs.Start+(offs.End-offs.Start)/3); err != nil {
							t.Fatal(err)
						}
					}
				default: // read
					offs, err := l.Offsets(t.Context(), "t", 0)
					if err != nil {
						t.Fatal(err)
					}
					switch rng.IntN(8) {
					case 0:
						pos = offs.Start + rng.Int64N(offs.End-offs.Start+1)
					case 1:
						pos = max(offs.Start, pos-1-rng.Int64N(20))
					}
					if pos < offs.Start {
						pos = offs.Start
					}
					opts := broker.ReadOptions{MaxRecords: 1 + rng.IntN(700)}
					if rng.IntN(4) == 0 {
						opts.MaxBytes = 1 + rng.IntN(20000)
					}
					if rng.IntN(2) == 0 {
						opts.Isolation = broker.ReadCommitted
					}
					want, wnext, werr := l.Read(t.Context(), "t", 0, pos, opts)
					got, gnext, gerr := rd.Read(t.Context(), pos, opts)
					if (werr == nil) != (gerr == nil) || gnext != wnext || len(got) != len(want) {
						t.Fatalf("step %d: read at %d %+v: reader %d records next %d err %v; Log.Read %d records next %d err %v",
							step, pos, opts, len(got), gnext, gerr, len(want), wnext, werr)
					}
					for i := range want {
						w, g := want[i], got[i]
						if w.Offset != g.Offset || w.Timestamp != g.Timestamp || !bytes.Equal(w.Key, g.Key) ||
							!bytes.Equal(w.Value, g.Value) || len(w.Headers) != len(g.Headers) || (w.Value == nil) != (g.Value == nil) {
							t.Fatalf("step %d: record %d: reader %+v, Log.Read %+v", step, i, g, w)
						}
					}
					kept = append(kept, got...)
					copies = append(copies, want...)
					pos = gnext
				}
			}
			for i := range kept {
				g, w := kept[i], copies[i]
				if !bytes.Equal(g.Key, w.Key) || !bytes.Equal(g.Value, w.Value) || (len(g.Headers) > 0 && !bytes.Equal(g.Headers[0].Value, w.Headers[0].Value)) {
					t.Fatalf("record at offset %d changed after it was returned: %q/%q, was %q/%q", g.Offset, g.Key, g.Value, w.Key, w.Value)
				}
			}
		})
	}
}

// TestReaderResumesWithoutRereading: reading a large batch 500 records at
// a time reads the file and verifies the checksum once, not once a read.
func TestReaderResumesWithoutRereading(t *testing.T) {
	l := openT(t, t.TempDir(), Options{})
	mustCreate(t, l, "t", broker.TopicConfig{})
	mustAppend(t, l, "t", 0, mkRecs("a", 5000))
	mustAppend(t, l, "t", 0, mkRecs("b", 5000))
	rd := l.NewReader("t", 0).(*embeddedReader)
	pos, reads := int64(0), 0
	var first *segment
	for pos < 10000 {
		recs, next, err := rd.Read(t.Context(), pos, broker.ReadOptions{MaxRecords: 500})
		if err != nil || len(recs) != 500 || recs[0].Offset != pos {
			t.Fatalf("read at %d: %d records, err %v", pos, len(recs), err)
		}
		reads++
		if reads == 1 {
			first = rd.cache.seg
			if first == nil || rd.cache.next != 500 {
				t.Fatalf("after the first read the cache holds %v at %d, want the first batch at 500", rd.cache.seg, rd.cache.next)
			}
		}
		pos = next
	}
	if rd.cache.seg != nil {
		t.Fatalf("cache still holds a batch after reading everything (next %d)", rd.cache.next)
	}
}
