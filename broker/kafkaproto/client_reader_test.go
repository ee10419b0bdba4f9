package kafkaproto_test

import (
	"testing"

	"github.com/ksqlgo/ksql/broker"
)

// Two consumers of one partition at different offsets, each with its own
// reader, keep their read-ahead: interleaved small reads still cost about
// one fetch per consumer, where sharing the partition's read-ahead would
// cost one per read.
func TestClientReadersKeepTheirOwnReadAhead(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		l := dial(t, b.start(t), "r-")
		ctx := t.Context()
		if err := l.CreateTopic(ctx, "t", broker.TopicConfig{Partitions: 1}); err != nil {
			t.Fatal(err)
		}
		if _, err := l.Append(ctx, "t", 0, mkRecs("a", 1000)); err != nil {
			t.Fatal(err)
		}
		r1, r2 := broker.NewReader(l, "t", 0), broker.NewReader(l, "t", 0)
		defer r1.Close()
		defer r2.Close()
		before := l.Fetches()
		pos1, pos2 := int64(0), int64(500)
		for i := 0; i < 40; i++ {
			recs, next, err := r1.Read(ctx, pos1, broker.ReadOptions{MaxRecords: 10})
			if err != nil || len(recs) != 10 || recs[0].Offset != pos1 {
				t.Fatalf("reader 1 at %d: %d records (%v)", pos1, len(recs), err)
			}
			pos1 = next
			recs, next, err = r2.Read(ctx, pos2, broker.ReadOptions{MaxRecords: 10})
			if err != nil || len(recs) != 10 || recs[0].Offset != pos2 {
				t.Fatalf("reader 2 at %d: %d records (%v)", pos2, len(recs), err)
			}
			pos2 = next
		}
		if n := l.Fetches() - before; n > 4 {
			t.Fatalf("%d fetches for 80 interleaved reads by two readers", n)
		}
	})
}
