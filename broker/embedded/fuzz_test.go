package embedded

import (
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ksqlgo/ksql/broker"
)

// seedLog writes a small log with plain, transactional (committed and
// aborted) batches, tombstones and headers, and returns its directory.
func seedLog(tb testing.TB, opts Options) string {
	tb.Helper()
	dir := tb.TempDir()
	l, err := Open(dir, opts)
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	ctx := tb.Context()
	if err := l.CreateTopic(ctx, "f", broker.TopicConfig{Partitions: 1}); err != nil {
		tb.Fatal(err)
	}
	recs := []broker.Record{
		{Key: []byte("k"), Value: []byte("v"), Timestamp: 5, Headers: []broker.Header{{Key: "h", Value: []byte("x")}}},
		{Key: []byte("tomb"), Timestamp: -1},
		{Value: []byte{}},
	}
	for i := 0; i < 4; i++ {
		if _, err := l.Append(ctx, "f", 0, recs); err != nil {
			tb.Fatal(err)
		}
		txn := broker.Txn{Producer: "p", Seq: int64(i)}
		if _, err := l.AppendTxn(ctx, txn, "f", 0, recs[:2]); err != nil {
			tb.Fatal(err)
		}
		if err := l.EndTxn(ctx, txn, i%2 == 0); err != nil {
			tb.Fatal(err)
		}
	}
	return dir
}

// checkReadable reads every partition of "f" under both isolations and
// appends to it: after a successful Open nothing may fail.
func checkReadable(t *testing.T, l *Log) {
	t.Helper()
	o, err := l.Offsets(context.Background(), "f", 0)
	if err != nil {
		t.Fatal(err)
	}
	if o.Start > o.Stable || o.Stable > o.End {
		t.Fatalf("bad offsets %+v", o)
	}
	for _, iso := range []broker.Isolation{broker.ReadCommitted, broker.ReadUncommitted} {
		next := o.Start
		for i := 0; i < 100_000; i++ {
			recs, n, err := l.Read(t.Context(), "f", 0, next, broker.ReadOptions{Isolation: iso, MaxRecords: 3})
			if err != nil {
				t.Fatalf("Read @%d after successful Open: %v", next, err)
			}
			if n == next && len(recs) == 0 {
				break
			}
			next = n
		}
	}
	off, err := l.Append(t.Context(), "f", 0, []broker.Record{{Value: []byte("after")}})
	if err != nil {
		t.Fatalf("Append after Open: %v", err)
	}
	if off != o.End {
		t.Fatalf("Append at %d, want %d", off, o.End)
	}
	recs, _, err := l.Read(t.Context(), "f", 0, off, broker.ReadOptions{Isolation: broker.ReadUncommitted})
	if err != nil || len(recs) != 1 || string(recs[0].Value) != "after" {
		t.Fatalf("read back: %v %v", recs, err)
	}
}

// FuzzOpenCorrupt writes arbitrary bytes as the (active) segment of a
// partition: Open must either fail cleanly or succeed with a log that
// reads and appends cleanly. It must never panic.
func FuzzOpenCorrupt(f *testing.F) {
	seedDir := seedLog(f, Options{})
	valid, err := os.ReadFile(segPath(seedDir, "f", 0, 0))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid, false)
	f.Add(valid, true)
	f.Add(valid[:len(valid)-3], false)
	f.Add(valid[:batchHeaderLen+2], false)
	flipped := append([]byte(nil), valid...)
	flipped[len(flipped)/2] ^= 0xff
	f.Add(flipped, false)
	f.Add(flipped, true)
	f.Add([]byte{}, false)
	f.Add([]byte{batchMagic, batchVersion, 0, 0, 0xff, 0xff, 0xff, 0x7f}, false)
	f.Fuzz(func(t *testing.T, data []byte, fixCRC bool) {
		if fixCRC {
			// Recompute the checksums so that the mutated bodies reach the
			// structural validation instead of failing the CRC check.
			fixChecksums(data)
		}
		// Lay the topic out by hand (cheaper than creating it through a Log).
		dir := t.TempDir()
		if err := os.MkdirAll(filepath.Join(dir, "f", "0"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "f", topicFile), encodeTopicMeta("f", broker.TopicConfig{Partitions: 1}), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(segPath(dir, "f", 0, 0), data, 0o644); err != nil {
			t.Fatal(err)
		}
		l, err := Open(dir, Options{RetentionCheckInterval: -1})
		if err != nil {
			if !errors.Is(err, broker.ErrStorage) {
				t.Fatalf("Open failed without ErrStorage: %v", err)
			}
			return
		}
		defer l.Close()
		checkReadable(t, l)
	})
}

// fixChecksums rewrites the CRC of every batch whose header parses.
func fixChecksums(data []byte) {
	for pos := 0; pos+batchHeaderLen <= len(data); {
		h, err := parseHeader(data[pos:])
		if err != nil || pos+h.size > len(data) {
			return
		}
		binary.LittleEndian.PutUint32(data[pos+8:], crc32.Checksum(data[pos+prefixLen:pos+h.size], castagnoli))
		pos += h.size
	}
}

// FuzzOpenCorruptIndex replaces the index file of a sealed segment: a bad
// index is ignored (the segment is rescanned) and the log reads exactly as
// before.
func FuzzOpenCorruptIndex(f *testing.F) {
	opts := Options{SegmentBytes: 150, IndexIntervalBytes: 40, RetentionCheckInterval: -1}
	seedDir := seedLog(f, opts)
	idxPath := strings.TrimSuffix(segPath(seedDir, "f", 0, 0), logSuffix) + indexSuffix
	valid, err := os.ReadFile(idxPath)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	f.Add(valid[:len(valid)/2])
	f.Add([]byte("KQIX\x01"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := seedLog(t, opts)
		l, err := Open(dir, opts)
		if err != nil {
			t.Fatal(err)
		}
		want := valuesOf(readAllT(t, l, "f", 0, 0, broker.ReadCommitted))
		l.Close()
		if err := os.WriteFile(strings.TrimSuffix(segPath(dir, "f", 0, 0), logSuffix)+indexSuffix, data, 0o644); err != nil {
			t.Fatal(err)
		}
		l, err = Open(dir, opts)
		if err != nil {
			t.Fatalf("Open with a replaced index: %v", err)
		}
		defer l.Close()
		got := valuesOf(readAllT(t, l, "f", 0, 0, broker.ReadCommitted))
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Fatalf("log changed with a bad index:\n got %q\nwant %q", got, want)
		}
		checkReadable(t, l)
	})
}
