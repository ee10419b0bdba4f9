package embedded

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ksqlgo/ksql/broker"
)

func segmentFiles(t *testing.T, dir string) (logs, indexes int) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		switch {
		case strings.HasSuffix(e.Name(), logSuffix):
			logs++
		case strings.HasSuffix(e.Name(), indexSuffix):
			indexes++
		}
	}
	return logs, indexes
}

func TestSegmentRolling(t *testing.T) {
	dir := t.TempDir()
	opts := Options{SegmentBytes: 1000, IndexIntervalBytes: 100}
	l := openT(t, dir, opts)
	mustCreate(t, l, "t", broker.TopicConfig{})
	for i := 0; i < 50; i++ {
		mustAppend(t, l, "t", 0, mkRecs("b"+itoa(int32(i)), 4))
	}
	// A batch larger than a segment gets a segment of its own.
	big := []broker.Record{{Value: make([]byte, 3000)}}
	bigOff := mustAppend(t, l, "t", 0, big)
	mustAppend(t, l, "t", 0, mkRecs("after", 1))
	pdir := filepath.Join(dir, "t", "0")
	logs, idx := segmentFiles(t, pdir)
	if logs < 5 || idx != logs-1 {
		t.Fatalf("%d segment files and %d index files; want several, one index per sealed segment", logs, idx)
	}
	p, _ := l.partition("t", 0)
	for i, s := range p.segs[:len(p.segs)-1] {
		if s.size > opts.SegmentBytes && s.base != bigOff {
			t.Fatalf("segment %d is %d bytes (limit %d)", i, s.size, opts.SegmentBytes)
		}
		if len(s.index) < 2 && s.base != bigOff {
			t.Fatalf("segment %d has %d index entries", i, len(s.index))
		}
	}
	check := func() {
		t.Helper()
		got := readAllT(t, l, "t", 0, 0, broker.ReadCommitted)
		if len(got) != 50*4+2 || len(got[200].Value) != 3000 || string(got[201].Value) != "after-v0" {
			t.Fatalf("%d records", len(got))
		}
		for i, r := range got {
			if r.Offset != int64(i) {
				t.Fatalf("record %d has offset %d", i, r.Offset)
			}
		}
		// Random access through the sparse index.
		for _, off := range []int64{0, 1, 57, 99, 133, 199, 200, 201} {
			recs, _, err := l.Read(t.Context(), "t", 0, off, broker.ReadOptions{MaxRecords: 1})
			if err != nil || len(recs) != 1 || recs[0].Offset != off {
				t.Fatalf("Read @%d: %v %v", off, recs, err)
			}
		}
	}
	check()
	l.Close()
	l = openT(t, dir, opts)
	check()
}

// clock is an injectable time source.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func TestRetentionByTime(t *testing.T) {
	dir := t.TempDir()
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	clk := &clock{now: base}
	opts := Options{SegmentBytes: 200, Now: clk.Now, RetentionCheckInterval: -1}
	l := openT(t, dir, opts)
	mustCreate(t, l, "t", broker.TopicConfig{RetentionMs: time.Hour.Milliseconds()})
	mustCreate(t, l, "forever", broker.TopicConfig{RetentionMs: -1})
	// One batch per minute of record time, for 3 hours.
	for i := 0; i < 180; i++ {
		recs := mkRecs("m"+itoa(int32(i)), 1)
		recs[0].Timestamp = base.Add(time.Duration(i) * time.Minute).UnixMilli()
		mustAppend(t, l, "t", 0, recs)
		mustAppend(t, l, "forever", 0, recs)
	}
	now := base.Add(180 * time.Minute)
	if err := l.EnforceRetention(now); err != nil {
		t.Fatal(err)
	}
	o, _ := l.Offsets(context.Background(), "t", 0)
	if o.Start < 100 || o.Start > 121 || o.End != 180 {
		t.Fatalf("Offsets after retention %+v; want Start near 120 (records older than 1h removed)", o)
	}
	p, _ := l.partition("t", 0)
	if p.segs[0].base != o.Start {
		t.Fatalf("Start %d is not the first segment's base %d", o.Start, p.segs[0].base)
	}
	// Every remaining record is at most about an hour old; the first
	// remaining segment holds one that is younger than an hour.
	if ts := time.UnixMilli(p.segs[0].maxTs); now.Sub(ts) > time.Hour {
		t.Fatalf("first remaining segment is expired (newest record %v)", ts)
	}
	_, _, err := l.Read(t.Context(), "t", 0, o.Start-1, broker.ReadOptions{})
	if !errors.Is(err, broker.ErrOffsetOutOfRange) {
		t.Fatalf("Read below Start: %v, want ErrOffsetOutOfRange", err)
	}
	if got := readAllT(t, l, "t", 0, o.Start, broker.ReadCommitted); len(got) != int(180-o.Start) {
		t.Fatalf("%d records remain, want %d", len(got), 180-o.Start)
	}
	if fo, _ := l.Offsets(context.Background(), "forever", 0); fo.Start != 0 {
		t.Fatalf("RetentionMs -1 topic lost data: %+v", fo)
	}
	if _, err := os.Stat(segPath(dir, "t", 0, 0)); !os.IsNotExist(err) {
		t.Fatalf("first segment file still there: %v", err)
	}
	// Far in the future everything but the active segment goes.
	if err := l.EnforceRetention(now.Add(1000 * time.Hour)); err != nil {
		t.Fatal(err)
	}
	if len(p.segs) != 1 {
		t.Fatalf("%d segments left, want only the active one", len(p.segs))
	}
	o, _ = l.Offsets(context.Background(), "t", 0)
	if o.Start != p.segs[0].base || o.End != 180 {
		t.Fatalf("Offsets %+v", o)
	}
	// Start survives a reopen; appends continue.
	l.Close()
	l = openT(t, dir, opts)
	if o2, _ := l.Offsets(context.Background(), "t", 0); o2 != o {
		t.Fatalf("Offsets after reopen %+v, want %+v", o2, o)
	}
	if off := mustAppend(t, l, "t", 0, mkRecs("x", 1)); off != 180 {
		t.Fatalf("append at %d", off)
	}
}

func TestRetentionBySize(t *testing.T) {
	dir := t.TempDir()
	opts := Options{SegmentBytes: 500, RetentionCheckInterval: -1}
	l := openT(t, dir, opts)
	mustCreate(t, l, "t", broker.TopicConfig{RetentionBytes: 2000, RetentionMs: -1})
	for i := 0; i < 100; i++ {
		mustAppend(t, l, "t", 0, mkRecs("s"+itoa(int32(i)), 2))
	}
	if err := l.EnforceRetention(time.Now()); err != nil {
		t.Fatal(err)
	}
	p, _ := l.partition("t", 0)
	var total int64
	for _, s := range p.segs {
		total += s.size
	}
	if total > 2000 {
		t.Fatalf("partition holds %d bytes after retention, limit 2000", total)
	}
	if total+p.segs[0].size < 1500 {
		t.Fatalf("retention deleted too much: %d bytes left", total)
	}
	o, _ := l.Offsets(context.Background(), "t", 0)
	if o.Start == 0 || o.Start != p.segs[0].base || o.End != 200 {
		t.Fatalf("Offsets %+v", o)
	}
	if got := readAllT(t, l, "t", 0, o.Start, broker.ReadCommitted); int64(len(got)) != o.End-o.Start {
		t.Fatalf("%d records readable", len(got))
	}
}

func TestRetentionDefaults(t *testing.T) {
	dir := t.TempDir()
	old := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	opts := Options{SegmentBytes: 200, RetentionCheckInterval: -1, RetentionBytes: 600}
	l := openT(t, dir, opts)
	mustCreate(t, l, "dflt", broker.TopicConfig{})
	mustCreate(t, l, "unbounded", broker.TopicConfig{RetentionBytes: -1, RetentionMs: -1})
	for i := 0; i < 40; i++ {
		recs := mkRecs("d", 1)
		recs[0].Timestamp = old.UnixMilli()
		mustAppend(t, l, "dflt", 0, recs)
		mustAppend(t, l, "unbounded", 0, recs)
	}
	// Options.RetentionBytes applies to the topic with 0; the default
	// RetentionMs (7 days) expires everything but the active segment.
	if err := l.EnforceRetention(old.Add(8 * 24 * time.Hour)); err != nil {
		t.Fatal(err)
	}
	p, _ := l.partition("dflt", 0)
	if len(p.segs) != 1 {
		t.Fatalf("%d segments left, want 1", len(p.segs))
	}
	if o, _ := l.Offsets(context.Background(), "unbounded", 0); o.Start != 0 {
		t.Fatalf("unbounded topic trimmed: %+v", o)
	}
}

// TestRetentionKeepsUnresolvedTxn: a segment holding a batch of an
// unresolved transaction (and everything after it) is never deleted.
func TestRetentionKeepsUnresolvedTxn(t *testing.T) {
	dir := t.TempDir()
	opts := Options{SegmentBytes: 200, RetentionCheckInterval: -1}
	l := openT(t, dir, opts)
	mustCreate(t, l, "t", broker.TopicConfig{RetentionBytes: 1})
	for i := 0; i < 10; i++ {
		mustAppend(t, l, "t", 0, mkRecs("a", 2))
	}
	txn := broker.Txn{Producer: "p", Seq: 1}
	txnOff, err := l.AppendTxn(t.Context(), txn, "t", 0, mkRecs("txn", 2))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		mustAppend(t, l, "t", 0, mkRecs("b", 2))
	}
	if err := l.EnforceRetention(time.Now()); err != nil {
		t.Fatal(err)
	}
	o, _ := l.Offsets(context.Background(), "t", 0)
	if o.Start == 0 || o.Start > txnOff {
		t.Fatalf("Start %d: want segments before the txn (at %d) deleted, and not the txn's", o.Start, txnOff)
	}
	if err := l.EndTxn(t.Context(), txn, true); err != nil {
		t.Fatal(err)
	}
	if err := l.EnforceRetention(time.Now()); err != nil {
		t.Fatal(err)
	}
	p, _ := l.partition("t", 0)
	if o, _ = l.Offsets(context.Background(), "t", 0); o.Start <= txnOff || len(p.segs) != 1 {
		t.Fatalf("after commit: Offsets %+v, %d segments", o, len(p.segs))
	}
}

// TestRetentionWithConcurrentReaders: segments deleted under readers are
// never read after close; readers see data or ErrOffsetOutOfRange.
func TestRetentionWithConcurrentReaders(t *testing.T) {
	dir := t.TempDir()
	l := openT(t, dir, Options{SegmentBytes: 300, RetentionCheckInterval: -1})
	mustCreate(t, l, "t", broker.TopicConfig{RetentionBytes: 1})
	for i := 0; i < 200; i++ {
		mustAppend(t, l, "t", 0, mkRecs("r", 3))
	}
	var wg sync.WaitGroup
	errc := make(chan error, 4)
	for r := 0; r < 3; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 300; i++ {
				o, err := l.Offsets(context.Background(), "t", 0)
				if err != nil {
					errc <- err
					return
				}
				_, _, err = l.Read(t.Context(), "t", 0, o.Start, broker.ReadOptions{MaxRecords: 50})
				if err != nil && !errors.Is(err, broker.ErrOffsetOutOfRange) {
					errc <- err
					return
				}
			}
		}()
	}
	for i := 0; i < 100; i++ {
		mustAppend(t, l, "t", 0, mkRecs("w", 3))
		if err := l.EnforceRetention(time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
}
