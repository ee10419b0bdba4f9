package state

import (
	"errors"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"
)

// TestDiskFullSurfacesAsErrStorage injects ENOSPC into the write-ahead log
// and checks that the failure reaches the committer as ErrStorage and that
// the store then refuses further writes instead of crashing.
func TestDiskFullSurfacesAsErrStorage(t *testing.T) {
	var full atomic.Bool
	inj := errorfs.InjectorFunc(func(op errorfs.Op) error {
		if !full.Load() || !strings.HasSuffix(op.Path, ".log") {
			return nil
		}
		switch op.Kind {
		case errorfs.OpFileWrite, errorfs.OpFileWriteAt, errorfs.OpFileSync,
			errorfs.OpFileSyncData, errorfs.OpFileSyncTo, errorfs.OpFilePreallocate:
			return syscall.ENOSPC
		}
		return nil
	})
	dir := t.TempDir()
	db, err := Open(dir, Options{fs: errorfs.Wrap(vfs.Default, inj), Logger: testLogger{t}})
	if err != nil {
		t.Fatal(err)
	}
	mustCommit(t, db, true, "a", "1")

	full.Store(true)
	b := db.NewBatch()
	b.Set([]byte("b"), []byte("2"))
	err = b.Commit(true)
	t.Logf("commit on full disk: %v", err)
	if !errors.Is(err, ErrStorage) {
		t.Fatalf("commit on full disk: got %v, want ErrStorage", err)
	}
	if !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("commit error %v does not carry ENOSPC detail", err)
	}
	if !errors.Is(err, ErrFailed) {
		t.Fatalf("commit on full disk: got %v, want ErrFailed", err)
	}
	if err := db.Err(); !errors.Is(err, ErrFailed) || !strings.Contains(err.Error(), "write-ahead log") {
		t.Fatalf("Err() = %v, want the write-ahead log failure", err)
	}
	select {
	case <-db.Failed():
	default:
		t.Fatal("Failed() not closed after the failure")
	}
	// Fail-stop: later writes fail the same way, even once space is back,
	// and even without sync (which Pebble itself would turn into a panic).
	full.Store(false)
	for _, sync := range []bool{false, true} {
		b = db.NewBatch()
		b.Set([]byte("c"), []byte("3"))
		if err := b.Commit(sync); !errors.Is(err, ErrFailed) || !errors.Is(err, ErrStorage) {
			t.Fatalf("commit(sync=%v) after failure: got %v, want ErrFailed (an ErrStorage)", sync, err)
		}
	}
	// Reads still work.
	if v, ok, err := db.Get([]byte("a")); err != nil || !ok || string(v) != "1" {
		t.Fatalf("Get after failure = %q, %v, %v", v, ok, err)
	}
	err = db.Close()
	t.Logf("close after failure: %v", err)

	db, err = Open(dir, Options{Logger: testLogger{t}})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if v, ok, err := db.Get([]byte("a")); err != nil || !ok || string(v) != "1" {
		t.Fatalf("Get after reopen = %q, %v, %v", v, ok, err)
	}
	if _, ok, _ := db.Get([]byte("c")); ok {
		t.Fatalf("write refused after failure is visible after reopen")
	}
}
