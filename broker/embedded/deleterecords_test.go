package embedded

import (
	"context"
	"errors"
	"testing"

	"github.com/ksqlgo/ksql/broker"
)

func TestDeleteRecordsDropsWholeSegmentsBelowTheOffset(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l := openT(t, dir, Options{SegmentBytes: 1024})
	if err := l.CreateTopic(ctx, "t", broker.TopicConfig{Partitions: 1}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 40; i++ {
		mustAppend(t, l, "t", 0, mkRecs("r", 5))
	}
	before, _ := l.Offsets(ctx, "t", 0)
	start, err := l.DeleteRecords(ctx, "t", 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if start <= 0 || start > 100 {
		t.Fatalf("start %d after deleting below 100 (was %d): want 0 < start <= 100", start, before.Start)
	}
	off, _ := l.Offsets(ctx, "t", 0)
	if off.Start != start || off.End != before.End {
		t.Fatalf("offsets %+v, want start %d end %d", off, start, before.End)
	}
	if _, _, err := l.Read(ctx, "t", 0, start-1, broker.ReadOptions{}); !errors.Is(err, broker.ErrOffsetOutOfRange) {
		t.Fatalf("read below the start: %v", err)
	}
	recs, err := broker.ReadAll(ctx, l, "t", 0, start, broker.ReadCommitted, 0)
	if err != nil || int64(len(recs)) != before.End-start || recs[0].Offset != start {
		t.Fatalf("read %d records from %d (%v), want %d", len(recs), start, err, before.End-start)
	}
	// Everything: the active segment stays.
	start2, err := l.DeleteRecords(ctx, "t", 0, before.End)
	if err != nil || start2 < start || start2 >= before.End {
		t.Fatalf("delete all: start %d (%v)", start2, err)
	}
	// The deletion survives a restart.
	l.Close()
	l = openT(t, dir, Options{SegmentBytes: 1024})
	defer l.Close()
	if off, _ := l.Offsets(ctx, "t", 0); off.Start != start2 {
		t.Fatalf("start %d after reopen, want %d", off.Start, start2)
	}
	if _, err := l.DeleteRecords(ctx, "nope", 0, 1); !errors.Is(err, broker.ErrUnknownTopic) {
		t.Fatalf("unknown topic: %v", err)
	}
}

// Records of an unresolved transaction, and anything after them, stay.
func TestDeleteRecordsStopsAtTheStableOffset(t *testing.T) {
	ctx := context.Background()
	l := openT(t, t.TempDir(), Options{SegmentBytes: 1024})
	defer l.Close()
	if err := l.CreateTopic(ctx, "t", broker.TopicConfig{Partitions: 1}); err != nil {
		t.Fatal(err)
	}
	mustAppend(t, l, "t", 0, mkRecs("a", 5))
	txn := broker.Txn{Producer: "p", Seq: 1}
	if _, err := l.AppendTxn(ctx, txn, "t", 0, mkRecs("open", 5)); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 30; i++ {
		mustAppend(t, l, "t", 0, mkRecs("r", 5))
	}
	off, _ := l.Offsets(ctx, "t", 0)
	start, err := l.DeleteRecords(ctx, "t", 0, off.End)
	if err != nil {
		t.Fatal(err)
	}
	if start > off.Stable {
		t.Fatalf("start %d passed the stable offset %d", start, off.Stable)
	}
}
