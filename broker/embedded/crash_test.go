package embedded

import (
	"context"
	"errors"
	"github.com/ksqlgo/ksql/broker/brokertest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/broker/embedded/logfs"
)

func segPath(dir, topic string, p int32, base int64) string {
	return filepath.Join(dir, topic, itoa(p), segmentName(base)+logSuffix)
}

func itoa(i int32) string { return strconv.Itoa(int(i)) }

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// writeBatches appends 5 batches of 3 records to t-0 of a new log in dir
// and returns the file size after each batch.
func writeBatches(t *testing.T, dir string) []int64 {
	t.Helper()
	l := openT(t, dir, Options{})
	mustCreate(t, l, "t", broker.TopicConfig{})
	var sizes []int64
	for i := 0; i < 5; i++ {
		mustAppend(t, l, "t", 0, mkRecs("b"+itoa(int32(i)), 3))
		sizes = append(sizes, fileSize(t, segPath(dir, "t", 0, 0)))
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return sizes
}

func TestTornTail(t *testing.T) {
	damage := map[string]func(t *testing.T, path string, sizes []int64){
		"TruncatedMidBatch": func(t *testing.T, path string, sizes []int64) {
			if err := os.Truncate(path, sizes[3]+(sizes[4]-sizes[3])/2); err != nil {
				t.Fatal(err)
			}
		},
		"TruncatedMidHeader": func(t *testing.T, path string, sizes []int64) {
			if err := os.Truncate(path, sizes[3]+7); err != nil {
				t.Fatal(err)
			}
		},
		"FlippedByteInLastBatch": func(t *testing.T, path string, sizes []int64) {
			flipByte(t, path, sizes[4]-2)
		},
		"FlippedLengthOfLastBatch": func(t *testing.T, path string, sizes []int64) {
			flipByte(t, path, sizes[3]+5)
		},
		"TrailingZeros": func(t *testing.T, path string, sizes []int64) {
			if err := os.Truncate(path, sizes[3]); err != nil {
				t.Fatal(err)
			}
			appendFile(t, path, make([]byte, 100))
		},
		"TrailingGarbageHeader": func(t *testing.T, path string, sizes []int64) {
			if err := os.Truncate(path, sizes[3]); err != nil {
				t.Fatal(err)
			}
			appendFile(t, path, []byte{batchMagic, batchVersion, 0, 0, 0xff, 0xff, 0, 0})
		},
	}
	for name, fn := range damage {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			sizes := writeBatches(t, dir)
			path := segPath(dir, "t", 0, 0)
			fn(t, path, sizes)
			var logged []string
			var mu sync.Mutex
			l := openT(t, dir, Options{Logf: func(f string, a ...any) {
				mu.Lock()
				logged = append(logged, f)
				mu.Unlock()
			}})
			if len(logged) == 0 {
				t.Error("truncation not reported through Logf")
			}
			if got := fileSize(t, path); got != sizes[3] {
				t.Fatalf("segment is %d bytes after Open, want %d (cut after the 4th batch)", got, sizes[3])
			}
			if o, _ := l.Offsets(context.Background(), "t", 0); o.End != 12 || o.Stable != 12 {
				t.Fatalf("Offsets after recovery %+v, want End 12", o)
			}
			got := readAllT(t, l, "t", 0, 0, broker.ReadCommitted)
			if len(got) != 12 || string(got[11].Value) != "b3-v2" {
				t.Fatalf("good prefix damaged: %q", valuesOf(got))
			}
			if off := mustAppend(t, l, "t", 0, mkRecs("new", 2)); off != 12 {
				t.Fatalf("append after recovery at %d, want 12", off)
			}
			l.Close()
			l = openT(t, dir, Options{})
			got = readAllT(t, l, "t", 0, 0, broker.ReadCommitted)
			if len(got) != 14 || string(got[12].Value) != "new-v0" {
				t.Fatalf("after second reopen: %q", valuesOf(got))
			}
		})
	}
}

func flipByte(t *testing.T, path string, pos int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, pos); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0x10
	if _, err := f.WriteAt(b, pos); err != nil {
		t.Fatal(err)
	}
}

func appendFile(t *testing.T, path string, data []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(data); err != nil {
		t.Fatal(err)
	}
}

// sealedLog writes enough data with tiny segments to have several sealed
// segments and returns their base offsets (the last is the active one).
func sealedLog(t *testing.T, dir string) []int64 {
	t.Helper()
	l := openT(t, dir, Options{SegmentBytes: 400, IndexIntervalBytes: 100})
	mustCreate(t, l, "t", broker.TopicConfig{})
	for i := 0; i < 30; i++ {
		mustAppend(t, l, "t", 0, mkRecs("b"+itoa(int32(i%10)), 3))
	}
	p, _ := l.partition("t", 0)
	var bases []int64
	for _, s := range p.segs {
		bases = append(bases, s.base)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if len(bases) < 4 {
		t.Fatalf("only %d segments", len(bases))
	}
	return bases
}

func TestCorruptSealedSegment(t *testing.T) {
	t.Run("WithIndex", func(t *testing.T) {
		dir := t.TempDir()
		bases := sealedLog(t, dir)
		path := segPath(dir, "t", 0, bases[1])
		flipByte(t, path, fileSize(t, path)/2)
		// The index is valid, so Open trusts the sealed segment; the read
		// verifies checksums and reports the corruption.
		l := openT(t, dir, Options{SegmentBytes: 400})
		_, _, err := l.Read(t.Context(), "t", 0, bases[1], broker.ReadOptions{})
		for off := bases[1]; err == nil && off < bases[2]; off++ {
			_, _, err = l.Read(t.Context(), "t", 0, off, broker.ReadOptions{MaxRecords: 1})
		}
		if !errors.Is(err, broker.ErrStorage) || !strings.Contains(err.Error(), "corrupt") {
			t.Fatalf("reading a corrupt sealed segment: %v, want ErrStorage", err)
		}
		// Data before and after is readable.
		if recs, _, err := l.Read(t.Context(), "t", 0, 0, broker.ReadOptions{MaxRecords: 3}); err != nil || len(recs) != 3 {
			t.Fatalf("read before corruption: %v", err)
		}
		if recs, _, err := l.Read(t.Context(), "t", 0, bases[2], broker.ReadOptions{}); err != nil || len(recs) == 0 {
			t.Fatalf("read after corruption: %v", err)
		}
	})
	t.Run("WithoutIndex", func(t *testing.T) {
		dir := t.TempDir()
		bases := sealedLog(t, dir)
		path := segPath(dir, "t", 0, bases[1])
		flipByte(t, path, fileSize(t, path)/2)
		if err := os.Remove(strings.TrimSuffix(path, logSuffix) + indexSuffix); err != nil {
			t.Fatal(err)
		}
		_, err := Open(dir, Options{})
		if !errors.Is(err, broker.ErrStorage) || !strings.Contains(err.Error(), "corrupt") {
			t.Fatalf("Open with a corrupt sealed segment: %v, want ErrStorage", err)
		}
		t.Logf("error: %v", err)
		// Nothing was truncated.
		if fi, _ := os.Stat(path); fi.Size() == 0 {
			t.Fatal("sealed segment truncated")
		}
	})
	t.Run("BadIndexIsRebuilt", func(t *testing.T) {
		dir := t.TempDir()
		bases := sealedLog(t, dir)
		idx := strings.TrimSuffix(segPath(dir, "t", 0, bases[1]), logSuffix) + indexSuffix
		flipByte(t, idx, 6)
		if err := os.WriteFile(strings.TrimSuffix(segPath(dir, "t", 0, bases[0]), logSuffix)+indexSuffix, []byte("junk"), 0o644); err != nil {
			t.Fatal(err)
		}
		l := openT(t, dir, Options{SegmentBytes: 400})
		if got := readAllT(t, l, "t", 0, 0, broker.ReadCommitted); len(got) != 90 {
			t.Fatalf("%d records, want 90", len(got))
		}
	})
	t.Run("MissingMiddleSegment", func(t *testing.T) {
		dir := t.TempDir()
		bases := sealedLog(t, dir)
		if err := os.Remove(segPath(dir, "t", 0, bases[1])); err != nil {
			t.Fatal(err)
		}
		_, err := Open(dir, Options{})
		if !errors.Is(err, broker.ErrStorage) {
			t.Fatalf("Open with a missing segment: %v, want ErrStorage", err)
		}
	})
}

// faults injects failures into the segment files of a log on the real
// file system, through a logfs.FaultFS.
type faults struct {
	fs             *logfs.FaultFS
	truncate, sync atomic.Bool        // fail segment truncations / fsyncs with EIO
	syncs          atomic.Int64       // segment fsyncs attempted
	gate           chan chan struct{} // if set, a segment fsync receives a channel and waits for it to close
}

// failWrites makes writes fail with ENOSPC after writing 10 bytes (a
// partial batch is left behind), or stops failing them.
func (fs *faults) failWrites(on bool) {
	if on {
		fs.fs.FailWritesAfter(10, syscall.ENOSPC)
	} else {
		fs.fs.Clear()
	}
}

func (fs *faults) opts(o Options) Options {
	fs.fs = logfs.NewFaultFS(logfs.OS{})
	fs.fs.SetHook(func(op logfs.Op) error {
		if !strings.HasSuffix(op.Path, logSuffix) {
			return nil
		}
		switch op.Kind {
		case logfs.OpTruncate:
			if fs.truncate.Load() {
				return syscall.EIO
			}
		case logfs.OpSync:
			fs.syncs.Add(1)
			if fs.gate != nil {
				select {
				case ch := <-fs.gate:
					<-ch
				default:
				}
			}
			if fs.sync.Load() {
				return syscall.EIO
			}
		}
		return nil
	})
	o.FS = fs.fs
	return o
}

func TestWriteFailure(t *testing.T) {
	dir := t.TempDir()
	var fs faults
	l := openT(t, dir, fs.opts(Options{}))
	mustCreate(t, l, "t", broker.TopicConfig{})
	mustAppend(t, l, "t", 0, mkRecs("a", 3))
	size := fileSize(t, segPath(dir, "t", 0, 0))

	fs.failWrites(true)
	_, err := l.Append(t.Context(), "t", 0, mkRecs("lost", 3))
	if !errors.Is(err, broker.ErrStorage) || !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "no space") {
		t.Fatalf("Append on a full disk: %v, want ErrStorage (ENOSPC)", err)
	}
	if got := fileSize(t, segPath(dir, "t", 0, 0)); got != size {
		t.Fatalf("partial write left in the file: %d bytes, want %d", got, size)
	}
	_, err = l.AppendTxn(t.Context(), broker.Txn{Producer: "p", Seq: 1}, "t", 0, mkRecs("lost", 1))
	if !errors.Is(err, broker.ErrStorage) {
		t.Fatalf("AppendTxn on a full disk: %v", err)
	}
	fs.failWrites(false)
	// The partition is still usable: the next append takes the offsets the
	// failed one would have had.
	if off := mustAppend(t, l, "t", 0, mkRecs("b", 2)); off != 3 {
		t.Fatalf("append after failure at %d, want 3", off)
	}
	if d := brokertest.InDoubt(t, l); len(d) != 0 {
		t.Fatalf("failed AppendTxn left in-doubt txn %v", d)
	}
	if err := l.EndTxn(t.Context(), broker.Txn{Producer: "p", Seq: 1}, true); err != nil {
		t.Fatalf("EndTxn of a txn whose only append failed: %v", err)
	}
	if o, _ := l.Offsets(context.Background(), "t", 0); o.Stable != 5 || o.End != 5 {
		t.Fatalf("Offsets %+v", o)
	}
	l.Close()
	l = openT(t, dir, Options{})
	if got := valuesOf(readAllT(t, l, "t", 0, 0, broker.ReadCommitted)); strings.Join(got, ",") != "a-v0,a-v1,a-v2,b-v0,b-v1" {
		t.Fatalf("after reopen: %q", got)
	}
}

func TestWriteAndTruncateFailure(t *testing.T) {
	dir := t.TempDir()
	var fs faults
	l := openT(t, dir, fs.opts(Options{}))
	mustCreate(t, l, "t", broker.TopicConfig{})
	mustAppend(t, l, "t", 0, mkRecs("a", 3))
	fs.failWrites(true)
	fs.truncate.Store(true)
	if _, err := l.Append(t.Context(), "t", 0, mkRecs("lost", 3)); !errors.Is(err, broker.ErrStorage) {
		t.Fatalf("Append: %v, want ErrStorage", err)
	}
	fs.failWrites(false)
	fs.truncate.Store(false)
	// The partition cannot know where its file ends: it refuses appends
	// but still serves reads.
	if _, err := l.Append(t.Context(), "t", 0, mkRecs("b", 1)); !errors.Is(err, broker.ErrStorage) || !strings.Contains(err.Error(), "reopened") {
		t.Fatalf("Append on a failed partition: %v, want ErrStorage", err)
	}
	if got := readAllT(t, l, "t", 0, 0, broker.ReadCommitted); len(got) != 3 {
		t.Fatalf("reads on a failed partition: %d records", len(got))
	}
	l.Close()
	// Reopening truncates the partial batch.
	l = openT(t, dir, Options{})
	if off := mustAppend(t, l, "t", 0, mkRecs("b", 1)); off != 3 {
		t.Fatalf("append after reopen at %d, want 3", off)
	}
	if got := readAllT(t, l, "t", 0, 0, broker.ReadCommitted); len(got) != 4 {
		t.Fatalf("%d records, want 4", len(got))
	}
}

func TestSyncFailure(t *testing.T) {
	dir := t.TempDir()
	var fs faults
	l := openT(t, dir, fs.opts(Options{}))
	mustCreate(t, l, "t", broker.TopicConfig{})
	mustAppend(t, l, "t", 0, mkRecs("a", 1))
	fs.sync.Store(true)
	if _, err := l.Append(t.Context(), "t", 0, mkRecs("b", 1)); !errors.Is(err, broker.ErrStorage) {
		t.Fatalf("Append with failing fsync: %v, want ErrStorage", err)
	}
	fs.sync.Store(false)
	if _, err := l.Append(t.Context(), "t", 0, mkRecs("c", 1)); !errors.Is(err, broker.ErrStorage) {
		t.Fatalf("Append after a failed fsync: %v, want ErrStorage (partition failed)", err)
	}
	if err := l.Sync(context.Background()); !errors.Is(err, broker.ErrStorage) {
		t.Fatalf("Sync after a failed fsync: %v", err)
	}
	l.crash()
	l = openT(t, dir, Options{})
	if off := mustAppend(t, l, "t", 0, mkRecs("d", 1)); off < 1 {
		t.Fatalf("append after reopen at %d", off)
	}
	got := valuesOf(readAllT(t, l, "t", 0, 0, broker.ReadCommitted))
	if got[0] != "a-v0" || got[len(got)-1] != "d-v0" {
		t.Fatalf("after reopen: %q", got)
	}
}

// TestGroupCommit checks that concurrent appenders share fsyncs: while
// one fsync is in progress, every append that arrives is covered by a
// single following fsync.
func TestGroupCommit(t *testing.T) {
	dir := t.TempDir()
	fs := faults{gate: make(chan chan struct{}, 1)}
	l := openT(t, dir, fs.opts(Options{}))
	mustCreate(t, l, "t", broker.TopicConfig{})
	release := make(chan struct{})
	fs.gate <- release // the next Sync blocks until release is closed
	before := fs.syncs.Load()

	const n = 8
	errc := make(chan error, n+1)
	go func() { _, err := l.Append(t.Context(), "t", 0, mkRecs("first", 1)); errc <- err }()
	// Wait (bounded) until the first append is blocked in its fsync.
	for i := 0; len(fs.gate) != 0; i++ {
		if i > 100_000_000 {
			t.Fatal("first append never reached fsync")
		}
		runtime.Gosched()
	}
	for i := 0; i < n; i++ {
		go func() { _, err := l.Append(t.Context(), "t", 0, mkRecs("more", 1)); errc <- err }()
	}
	// Wait (bounded) until all n appends are written and waiting for a sync.
	for i := 0; ; i++ {
		if o, _ := l.Offsets(context.Background(), "t", 0); o.End == n+1 {
			break
		}
		if i > 100_000_000 {
			t.Fatal("appends never written")
		}
		runtime.Gosched()
	}
	close(release)
	for i := 0; i < n+1; i++ {
		if err := waitErr(t, errc); err != nil {
			t.Fatal(err)
		}
	}
	if got := fs.syncs.Load() - before; got != 2 {
		t.Fatalf("%d fsyncs for %d concurrent appends, want 2 (group commit)", got, n+1)
	}
}
