package embedded

import (
	"context"
	"errors"
	"github.com/ksqlgo/ksql/broker/brokertest"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ksqlgo/ksql/broker"
)

func TestOpenLocksDirectory(t *testing.T) {
	dir := t.TempDir()
	l := openT(t, dir, Options{})
	if _, err := Open(dir, Options{}); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("second Open of a directory: %v, want an in-use error", err)
	}
	l.Close()
	l2 := openT(t, dir, Options{})
	l2.Close()
}

func TestOptionsValidation(t *testing.T) {
	for _, o := range []Options{
		{SyncPolicy: 7},
		{SyncInterval: -1},
		{SegmentBytes: -1},
		{SegmentBytes: 2 << 30},
		{MaxBatchBytes: -1},
		{RetentionMs: -2},
		{RetentionBytes: -5},
		{IndexIntervalBytes: -1},
	} {
		if l, err := Open(t.TempDir(), o); err == nil {
			l.Close()
			t.Errorf("Open with %+v succeeded", o)
		}
	}
	o, err := Options{}.normalize()
	if err != nil {
		t.Fatal(err)
	}
	if o.SyncPolicy != SyncAlways || o.SegmentBytes != 64<<20 || o.RetentionMs != 7*24*3600*1000 ||
		o.RetentionBytes != -1 || o.RetentionCheckInterval.Minutes() != 1 || o.Now == nil {
		t.Fatalf("defaults: %+v", o)
	}
}

func TestReservedAndInvalidTopics(t *testing.T) {
	l := openT(t, t.TempDir(), Options{})
	for _, cfg := range []struct {
		name string
		cfg  broker.TopicConfig
	}{
		{"__groups", broker.TopicConfig{Partitions: 1}},
		{"x", broker.TopicConfig{Partitions: 1, CleanupPolicy: "sometimes"}},
		{"x", broker.TopicConfig{Partitions: 1, RetentionMs: -2}},
		{"x", broker.TopicConfig{Partitions: 1, RetentionBytes: -2}},
	} {
		if err := l.CreateTopic(t.Context(), cfg.name, cfg.cfg); !errors.Is(err, broker.ErrInvalidTopic) {
			t.Errorf("CreateTopic(%q, %+v): %v, want ErrInvalidTopic", cfg.name, cfg.cfg, err)
		}
	}
}

func TestLeftoversAtOpen(t *testing.T) {
	dir := t.TempDir()
	l := openT(t, dir, Options{})
	mustCreate(t, l, "t", broker.TopicConfig{})
	mustAppend(t, l, "t", 0, mkRecs("a", 1))
	l.Close()
	// A topic whose creation was interrupted, a deletion in progress, a
	// temporary file, and a foreign directory with an illegal topic name.
	for _, d := range []string{"half~/0", "trash~/old.1.1/0", "lost+found"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "t", "0", "x.index.tmp"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	l = openT(t, dir, Options{})
	if n := len(brokertest.Topics(t, l)); n != 1 {
		t.Fatalf("%d topics", n)
	}
	for _, d := range []string{"half~", "trash~", "t/0/x.index.tmp"} {
		if _, err := os.Stat(filepath.Join(dir, d)); !os.IsNotExist(err) {
			t.Errorf("%s not cleaned up: %v", d, err)
		}
	}
	l.Close()
	// A topic directory without topic.json is an error, not silently
	// ignored.
	if err := os.MkdirAll(filepath.Join(dir, "broken", "0"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir, Options{}); !errors.Is(err, broker.ErrStorage) {
		t.Fatalf("Open with a broken topic dir: %v, want ErrStorage", err)
	}
}

func TestWaitWakesOnDeleteAndClose(t *testing.T) {
	l := openT(t, t.TempDir(), Options{})
	mustCreate(t, l, "t", broker.TopicConfig{})
	mustCreate(t, l, "u", broker.TopicConfig{})
	errc := make(chan error, 1)
	go func() { errc <- l.Wait(context.Background(), "t", 0, 0, broker.ReadCommitted) }()
	if err := l.DeleteTopic(t.Context(), "t"); err != nil {
		t.Fatal(err)
	}
	if err := waitErr(t, errc); !errors.Is(err, broker.ErrUnknownTopic) {
		t.Fatalf("Wait on deleted topic: %v, want ErrUnknownTopic", err)
	}
	go func() { errc <- l.Wait(context.Background(), "u", 0, 0, broker.ReadUncommitted) }()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := waitErr(t, errc); !errors.Is(err, broker.ErrClosed) {
		t.Fatalf("Wait on closed log: %v, want ErrClosed", err)
	}
}

func TestDeleteTopicDropsGroupOffsetsAndTxns(t *testing.T) {
	dir := t.TempDir()
	l := openT(t, dir, Options{})
	mustCreate(t, l, "t", broker.TopicConfig{})
	mustCreate(t, l, "u", broker.TopicConfig{})
	tp := broker.TopicPartition{Topic: "t"}
	up := broker.TopicPartition{Topic: "u"}
	if err := l.CommitOffsets(t.Context(), "g", map[broker.TopicPartition]int64{tp: 1, up: 2}); err != nil {
		t.Fatal(err)
	}
	if err := l.CommitOffsets(t.Context(), "only-t", map[broker.TopicPartition]int64{tp: 1}); err != nil {
		t.Fatal(err)
	}
	txn := broker.Txn{Producer: "p", Seq: 1}
	if _, err := l.AppendTxn(t.Context(), txn, "t", 0, mkRecs("x", 1)); err != nil {
		t.Fatal(err)
	}
	if err := l.PrepareTxn(t.Context(), txn); err != nil {
		t.Fatal(err)
	}
	l.crash()
	l = openT(t, dir, Options{})
	if len(brokertest.InDoubt(t, l)) != 1 {
		t.Fatal("txn not in doubt")
	}
	if err := l.DeleteTopic(t.Context(), "t"); err != nil {
		t.Fatal(err)
	}
	if d := brokertest.InDoubt(t, l); len(d) != 0 {
		t.Fatalf("txn of a deleted topic still in doubt: %v", d)
	}
	if err := l.EndTxn(t.Context(), txn, true); err != nil {
		t.Fatal(err)
	}
	check := func() {
		t.Helper()
		if gs := brokertest.Groups(t, l); strings.Join(gs, ",") != "g" {
			t.Fatalf("Groups %v, want [g]", gs)
		}
		if offs, _ := l.FetchOffsets(context.Background(), "g"); len(offs) != 1 || offs[up] != 2 {
			t.Fatalf("offsets of g: %v", offs)
		}
	}
	check()
	l.Close()
	l = openT(t, dir, Options{})
	check()
}

func TestGroupNames(t *testing.T) {
	dir := t.TempDir()
	l := openT(t, dir, Options{})
	names := []string{"", "a/b", "ünï", strings.Repeat("long", 100), "..", "__groups"}
	for i, n := range names {
		if err := l.CommitOffsets(t.Context(), n, map[broker.TopicPartition]int64{{Topic: "t", Partition: int32(i)}: int64(i)}); err != nil {
			t.Fatalf("CommitOffsets(%q): %v", n, err)
		}
	}
	// An empty commit creates nothing.
	if err := l.CommitOffsets(t.Context(), "empty", nil); err != nil {
		t.Fatal(err)
	}
	l.Close()
	l = openT(t, dir, Options{})
	if got := len(brokertest.Groups(t, l)); got != len(names) {
		t.Fatalf("%d groups after reopen, want %d: %q", got, len(names), brokertest.Groups(t, l))
	}
	for i, n := range names {
		offs, _ := l.FetchOffsets(context.Background(), n)
		if offs[broker.TopicPartition{Topic: "t", Partition: int32(i)}] != int64(i) || len(offs) != 1 {
			t.Fatalf("group %q: %v", n, offs)
		}
	}
}

func TestRecordTooLarge(t *testing.T) {
	l := openT(t, t.TempDir(), Options{MaxBatchBytes: 1000})
	mustCreate(t, l, "t", broker.TopicConfig{})
	_, err := l.Append(t.Context(), "t", 0, []broker.Record{{Value: make([]byte, 2000)}})
	if !errors.Is(err, broker.ErrRecordTooLarge) {
		t.Fatalf("Append of a large record: %v, want ErrRecordTooLarge", err)
	}
	if off := mustAppend(t, l, "t", 0, mkRecs("ok", 1)); off != 0 {
		t.Fatalf("append after rejection at %d", off)
	}
}

func TestSyncIntervalAndExplicitSync(t *testing.T) {
	var fs faults
	l := openT(t, t.TempDir(), fs.opts(Options{SyncPolicy: SyncInterval, SyncInterval: 1 << 40}))
	mustCreate(t, l, "t", broker.TopicConfig{})
	before := fs.syncs.Load()
	for i := 0; i < 10; i++ {
		mustAppend(t, l, "t", 0, mkRecs("a", 5))
	}
	if n := fs.syncs.Load() - before; n != 0 {
		t.Fatalf("%d fsyncs under SyncInterval before the interval elapsed", n)
	}
	if err := l.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := fs.syncs.Load() - before; n != 1 {
		t.Fatalf("Sync did %d fsyncs, want 1", n)
	}
	if err := l.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := fs.syncs.Load() - before; n != 1 {
		t.Fatalf("Sync of a clean log did %d more fsyncs", n-1)
	}
	// PrepareTxn fsyncs the partitions the transaction touched.
	txn := broker.Txn{Producer: "p", Seq: 1}
	if _, err := l.AppendTxn(t.Context(), txn, "t", 0, mkRecs("t", 1)); err != nil {
		t.Fatal(err)
	}
	if err := l.PrepareTxn(t.Context(), txn); err != nil {
		t.Fatal(err)
	}
	if n := fs.syncs.Load() - before; n != 2 {
		t.Fatalf("PrepareTxn: %d fsyncs in total, want 2", n)
	}
}

func TestOperationsAfterClose(t *testing.T) {
	l := openT(t, t.TempDir(), Options{})
	mustCreate(t, l, "t", broker.TopicConfig{})
	l.Close()
	ctx := t.Context()
	txn := broker.Txn{Producer: "p", Seq: 1}
	for name, err := range map[string]error{
		"DeleteTopic":  l.DeleteTopic(ctx, "t"),
		"PrepareTxn":   l.PrepareTxn(ctx, txn),
		"EndTxn":       l.EndTxn(ctx, txn, true),
		"Sync":         l.Sync(context.Background()),
		"Retention":    l.EnforceRetention(l.opts.Now()),
		"FetchOffsets": func() error { _, err := l.FetchOffsets(ctx, "g"); return err }(),
		"Topic":        func() error { _, err := l.Topic(ctx, "t"); return err }(),
		"AppendTxn":    func() error { _, err := l.AppendTxn(ctx, txn, "t", 0, mkRecs("a", 1)); return err }(),
		"Topics":       func() error { _, err := l.Topics(ctx); return err }(),
		"Groups":       func() error { _, err := l.Groups(ctx); return err }(),
		"InDoubt":      func() error { _, err := l.InDoubt(ctx); return err }(),
	} {
		if !errors.Is(err, broker.ErrClosed) {
			t.Errorf("%s after Close: %v, want ErrClosed", name, err)
		}
	}
}

func TestReadHugeLimits(t *testing.T) {
	l := openT(t, t.TempDir(), Options{})
	mustCreate(t, l, "t", broker.TopicConfig{})
	mustAppend(t, l, "t", 0, mkRecs("a", 700))
	recs, next, err := l.Read(t.Context(), "t", 0, 0, broker.ReadOptions{MaxRecords: math.MaxInt, MaxBytes: math.MaxInt})
	if err != nil || len(recs) != 700 || next != 700 {
		t.Fatalf("%d records, next %d, %v", len(recs), next, err)
	}
}
