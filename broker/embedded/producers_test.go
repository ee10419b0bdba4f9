package embedded

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/broker/embedded/logfs"
)

func newPID(t *testing.T, l *Log) int64 {
	t.Helper()
	id, err := l.NewProducerID(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// appendP appends n records of producer (id, epoch) at sequence seq and
// returns the base offset and whether it was a duplicate.
func appendP(t *testing.T, l *Log, txn *broker.Txn, id int64, epoch int16, seq int32, prefix string, n int) (int64, bool, error) {
	t.Helper()
	return l.AppendProducer(t.Context(), txn, "t", 0, broker.ProducerBatch{ID: id, Epoch: epoch, BaseSeq: seq}, mkRecs(prefix, n))
}

func mustAppendP(t *testing.T, l *Log, id int64, epoch int16, seq int32, prefix string, n int) int64 {
	t.Helper()
	off, dup, err := appendP(t, l, nil, id, epoch, seq, prefix, n)
	if err != nil || dup {
		t.Fatalf("AppendProducer(%d/%d seq %d): offset %d, duplicate %v, %v", id, epoch, seq, off, dup, err)
	}
	return off
}

func TestProducerSequenceChecks(t *testing.T) {
	l := openT(t, t.TempDir(), Options{RetentionCheckInterval: -1})
	mustCreate(t, l, "t", broker.TopicConfig{})
	id := newPID(t, l)
	first := mustAppendP(t, l, id, 0, 0, "a", 3) // seq 0..2
	mustAppendP(t, l, id, 0, 3, "b", 2)          // seq 3..4

	// A retry of either remembered batch is answered with its offset.
	for _, tc := range []struct {
		seq  int32
		n    int
		want int64
	}{{0, 3, first}, {3, 2, first + 3}} {
		off, dup, err := appendP(t, l, nil, id, 0, tc.seq, "retry", tc.n)
		if err != nil || !dup || off != tc.want {
			t.Errorf("retry of seq %d: offset %d, duplicate %v, %v; want %d, true", tc.seq, off, dup, err, tc.want)
		}
	}
	// A gap, an overlap that is not a remembered batch, a stale epoch and
	// a new epoch not starting at 0 are refused.
	for _, tc := range []struct {
		name  string
		epoch int16
		seq   int32
		want  error
	}{
		{"gap", 0, 6, broker.ErrOutOfOrderSequence},
		{"overlap", 0, 1, broker.ErrOutOfOrderSequence},
		{"new epoch not at 0", 1, 5, broker.ErrOutOfOrderSequence},
	} {
		if _, _, err := appendP(t, l, nil, id, tc.epoch, tc.seq, "bad", 1); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	// A new epoch starts at 0 and fences the old one.
	mustAppendP(t, l, id, 1, 0, "c", 1)
	if _, _, err := appendP(t, l, nil, id, 0, 5, "zombie", 1); !errors.Is(err, broker.ErrProducerFenced) {
		t.Errorf("old epoch after a bump: %v, want ErrProducerFenced", err)
	}
	// An id never handed out is refused; a known id the partition has no
	// state of starts anywhere (KIP-360).
	if _, _, err := appendP(t, l, nil, id+5000, 0, 0, "x", 1); !errors.Is(err, broker.ErrUnknownProducer) {
		t.Errorf("id never handed out: %v, want ErrUnknownProducer", err)
	}
	other := newPID(t, l)
	mustAppendP(t, l, other, 0, 42, "d", 1)
	got := valuesOf(readAllT(t, l, "t", 0, 0, broker.ReadCommitted))
	if len(got) != 3+2+1+1 {
		t.Errorf("partition holds %q; duplicates or refused batches were appended", got)
	}
}

func TestProducerSequenceWraps(t *testing.T) {
	l := openT(t, t.TempDir(), Options{RetentionCheckInterval: -1})
	mustCreate(t, l, "t", broker.TopicConfig{})
	id := newPID(t, l)
	mustAppendP(t, l, id, 0, math.MaxInt32-1, "a", 1)
	mustAppendP(t, l, id, 0, math.MaxInt32, "b", 2) // MaxInt32, 0
	mustAppendP(t, l, id, 0, 1, "c", 1)
	if _, dup, err := appendP(t, l, nil, id, 0, math.MaxInt32, "b", 2); err != nil || !dup {
		t.Errorf("retry across the wrap: duplicate %v, %v", dup, err)
	}
}

// TestProducerRetryAfterCrash: a batch acknowledged before a crash is
// recognised after it, whether it sits in the active segment (scanned at
// Open), in a sealed segment (the index's snapshot: index files are not
// fsynced, so a process crash keeps them), or in a sealed segment whose
// index is gone (rescanned), after a process crash or a power loss.
func TestProducerRetryAfterCrash(t *testing.T) {
	for _, tc := range []struct {
		name      string
		roll      bool
		dropIndex bool
		powerLoss bool
	}{
		{"active segment", false, false, false},
		{"active segment, power loss", false, false, true},
		{"sealed segment", true, false, false},
		{"sealed segment without index", true, true, false},
		{"sealed segment, power loss", true, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := logfs.NewMem()
			opts := Options{FS: mem, RetentionCheckInterval: -1, SegmentBytes: 1 << 10}
			l := openT(t, plDir, opts)
			mustCreate(t, l, "t", broker.TopicConfig{})
			id := newPID(t, l)
			mustAppendP(t, l, id, 0, 0, "a", 2)
			acked := mustAppendP(t, l, id, 0, 2, "b", 3)
			if tc.roll {
				// Enough plain data to seal the producer's segment.
				for range 20 {
					mustAppend(t, l, "t", 0, mkRecs("filler", 4))
				}
				if l.topics["t"].parts[0].segs[0].next <= acked {
					t.Fatal("the producer's batch did not end up in a sealed segment")
				}
			}
			l.crash()
			fs := mem
			if tc.powerLoss {
				fs = mem.Crash(rand.New(rand.NewPCG(1, 2)))
			}
			idx := filepath.Join(plDir, "t", "0", segmentName(0)+indexSuffix)
			if _, err := fs.Stat(idx); tc.roll && !tc.powerLoss && err != nil {
				t.Fatalf("index of the sealed segment: %v", err)
			}
			if tc.dropIndex {
				if err := fs.Remove(idx); err != nil {
					t.Fatal(err)
				}
			}
			opts.FS = fs
			l = openT(t, plDir, opts)
			off, dup, err := appendP(t, l, nil, id, 0, 2, "b", 3)
			if err != nil || !dup || off != acked {
				t.Fatalf("retry after the crash: offset %d, duplicate %v, %v; want %d, true", off, dup, err, acked)
			}
			if _, _, err := appendP(t, l, nil, id, 0, 9, "gap", 1); !errors.Is(err, broker.ErrOutOfOrderSequence) {
				t.Fatalf("gap after the crash: %v", err)
			}
			mustAppendP(t, l, id, 0, 5, "c", 1)
			if n := newPID(t, l); n <= id {
				t.Fatalf("producer id %d handed out again after the crash (new id %d)", id, n)
			}
		})
	}
}

// TestProducerIDsNeverReused: ids are unique across clean restarts and
// across crashes at any point of a block reservation, and the ids found in
// the log are not handed out even if the high-water mark file is lost.
func TestProducerIDsNeverReused(t *testing.T) {
	mem := logfs.NewMem()
	opts := Options{FS: mem, RetentionCheckInterval: -1}
	seen := map[int64]bool{}
	rng := rand.New(rand.NewPCG(7, 8))
	take := func(l *Log, n int) {
		for range n {
			id := newPID(t, l)
			if seen[id] {
				t.Fatalf("producer id %d handed out twice", id)
			}
			seen[id] = true
		}
	}
	for round := range 6 {
		l, err := Open(plDir, opts)
		if err != nil {
			t.Fatal(err)
		}
		take(l, 1+rng.IntN(1500))
		if round%2 == 0 {
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			continue
		}
		l.crash()
		mem = mem.Crash(rng)
		opts.FS = mem
	}
	// The file lost: ids with batches in the log still are not reused.
	l := openT(t, plDir, opts)
	mustCreate(t, l, "t", broker.TopicConfig{})
	id := newPID(t, l)
	mustAppendP(t, l, id, 0, 0, "a", 1)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := mem.Remove(filepath.Join(plDir, txnDir, producerIDsFile)); err != nil {
		t.Fatal(err)
	}
	l = openT(t, plDir, opts)
	if n := newPID(t, l); n <= id {
		t.Fatalf("after losing %s: id %d handed out, the log holds batches of %d", producerIDsFile, n, id)
	}
}

func TestProducerMarkersAndReadBatches(t *testing.T) {
	l := openT(t, t.TempDir(), Options{RetentionCheckInterval: -1})
	mustCreate(t, l, "t", broker.TopicConfig{})
	id := newPID(t, l)
	mustAppend(t, l, "t", 0, mkRecs("plain", 2))                      // 0-1
	mustAppendP(t, l, id, 0, 0, "idem", 2)                            // 2-3
	txn := broker.Txn{Producer: broker.ClientTxnPrefix + "x", Seq: 1} // 4-5, marker 6
	if _, _, err := appendP(t, l, &txn, id, 0, 2, "txn", 2); err != nil {
		t.Fatal(err)
	}
	if err := l.EndProducerTxn(t.Context(), txn, false, broker.ProducerBatch{ID: id, Epoch: 1}); err != nil {
		t.Fatal(err)
	}
	// The abort marker carried epoch 1: epoch 0 is fenced, epoch 1 starts
	// at 0.
	if _, _, err := appendP(t, l, nil, id, 0, 4, "zombie", 1); !errors.Is(err, broker.ErrProducerFenced) {
		t.Fatalf("epoch 0 after a marker of epoch 1: %v", err)
	}
	mustAppendP(t, l, id, 1, 0, "new", 1) // 7

	type view struct {
		off          int64
		n            int
		pid          int64
		seq          int32
		txn, control bool
		commit       bool
	}
	read := func(iso broker.Isolation, from int64) []view {
		bs, _, err := l.ReadBatches(t.Context(), "t", 0, from, broker.ReadOptions{Isolation: iso})
		if err != nil {
			t.Fatal(err)
		}
		var out []view
		for _, b := range bs {
			out = append(out, view{b.Offset, len(b.Records), b.Producer.ID, b.Producer.BaseSeq, b.Txn, b.Control, b.Commit})
		}
		return out
	}
	want := []view{
		{0, 2, -1, -1, false, false, false},
		{2, 2, id, 0, false, false, false},
		{4, 2, id, 2, true, false, false},
		{6, 0, id, -1, true, true, false},
		{7, 1, id, 0, false, false, false},
	}
	if got := read(broker.ReadUncommitted, 0); !equalViews(got, want) {
		t.Errorf("read_uncommitted batches:\n got %+v\nwant %+v", got, want)
	}
	committed := append(append([]view(nil), want[:2]...), want[3:]...)
	if got := read(broker.ReadCommitted, 0); !equalViews(got, committed) {
		t.Errorf("read_committed batches (the aborted one skipped):\n got %+v\nwant %+v", got, committed)
	}
	// From the middle of a batch: the sequence number follows.
	if got := read(broker.ReadUncommitted, 3); len(got) == 0 || got[0] != (view{3, 1, id, 1, false, false, false}) {
		t.Errorf("from offset 3: %+v", got)
	}
}

func equalViews[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestProducerStateIsBounded(t *testing.T) {
	now := time.UnixMilli(1_800_000_000_000)
	clock := func() time.Time { return now }
	dir := t.TempDir()
	opts := Options{RetentionCheckInterval: -1, Now: clock, MaxProducers: 16, ProducerExpiry: time.Hour}
	l := openT(t, dir, opts)
	mustCreate(t, l, "t", broker.TopicConfig{})
	p := l.topics["t"].parts[0]
	var ids []int64
	for i := range 100 {
		id := newPID(t, l)
		ids = append(ids, id)
		mustAppendP(t, l, id, 0, 0, "p", 1)
		now = now.Add(time.Second)
		p.mu.RLock()
		n := len(p.producers.m)
		p.mu.RUnlock()
		if n > 16+16/8+1 {
			t.Fatalf("after %d producers the partition remembers %d (bound 16)", i+1, n)
		}
	}
	// The most recent producer is remembered; an evicted one is unknown
	// again (accepted at any sequence).
	if _, dup, err := appendP(t, l, nil, ids[99], 0, 0, "p", 1); err != nil || !dup {
		t.Errorf("retry of the latest producer: duplicate %v, %v", dup, err)
	}
	if _, dup, err := appendP(t, l, nil, ids[0], 0, 7, "p", 1); err != nil || dup {
		t.Errorf("evicted producer: duplicate %v, %v", dup, err)
	}
	// Idle past ProducerExpiry: dropped by the retention pass and at Open.
	now = now.Add(2 * time.Hour)
	if err := l.EnforceRetention(now); err != nil {
		t.Fatal(err)
	}
	p.mu.RLock()
	n := len(p.producers.m)
	p.mu.RUnlock()
	if n != 0 {
		t.Errorf("%d producers remembered after expiry", n)
	}
}

// TestFormat1IndexIsRead: an index file of format 1 (version 1, no
// producer snapshot) still loads a sealed segment.
func TestFormat1IndexIsRead(t *testing.T) {
	dir := t.TempDir()
	opts := Options{RetentionCheckInterval: -1, SegmentBytes: 1 << 10}
	l, err := Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	mustCreate(t, l, "t", broker.TopicConfig{})
	for range 20 {
		mustAppend(t, l, "t", 0, mkRecs("r", 4))
	}
	want := valuesOf(readAllT(t, l, "t", 0, 0, broker.ReadCommitted))
	seg := l.topics["t"].parts[0].segs[0]
	v1 := seg.encodeIndex(nil)
	v1[4] = 1
	v1 = v1[:len(v1)-4]
	v1 = appendCRC(v1)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := logfs.WriteFile(logfs.OS{}, filepath.Join(dir, "t", "0", segmentName(0)+indexSuffix), v1, true); err != nil {
		t.Fatal(err)
	}
	var s segment
	s.base = 0
	if err := s.decodeIndex(v1, seg.size); err != nil || s.prodSnap != nil {
		t.Fatalf("version 1 index: %v (snapshot %v)", err, s.prodSnap)
	}
	l = openT(t, dir, opts)
	if got := valuesOf(readAllT(t, l, "t", 0, 0, broker.ReadCommitted)); len(got) != len(want) {
		t.Fatalf("read %d records after loading a version 1 index, want %d", len(got), len(want))
	}
}

func appendCRC(b []byte) []byte {
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}
