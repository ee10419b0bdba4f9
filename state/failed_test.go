package state

import (
	"errors"
	"fmt"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// A failed sync of the write-ahead log, injected through the exported
// WALFault option: the commit reports ErrFailed, Failed() is closed, later
// commits are refused without writing, and reopening recovers every commit
// acknowledged with sync=true (the failed one may or may not survive: its
// write reached the file, its sync did not succeed).
func TestWALSyncFailureFailsStore(t *testing.T) {
	var armed atomic.Bool
	fault := func(op string) error {
		if armed.Load() && op == "sync" {
			return syscall.EIO
		}
		return nil
	}
	dir := t.TempDir()
	db, err := Open(dir, Options{WALFault: fault, Logger: testLogger{t}})
	if err != nil {
		t.Fatal(err)
	}
	const synced = 20
	for i := 0; i < synced; i++ {
		mustCommit(t, db, true, fmt.Sprintf("k%02d", i), "v")
	}
	select {
	case <-db.Failed():
		t.Fatal("Failed() closed before any failure")
	default:
	}

	armed.Store(true)
	b := db.NewBatch()
	b.Set([]byte("failed"), []byte("v"))
	err = b.Commit(true)
	if !errors.Is(err, ErrFailed) || !errors.Is(err, ErrStorage) || !errors.Is(err, syscall.EIO) {
		t.Fatalf("commit with a failing sync: got %v, want ErrFailed wrapping EIO", err)
	}
	select {
	case <-db.Failed():
	default:
		t.Fatal("Failed() not closed")
	}
	if !errors.Is(db.Err(), ErrFailed) {
		t.Fatalf("Err() = %v, want ErrFailed", db.Err())
	}

	// Refused, even with the fault gone: the pipeline cannot be trusted.
	armed.Store(false)
	for _, sync := range []bool{true, false} {
		b := db.NewBatch()
		b.Set([]byte("refused"), []byte("v"))
		if err := b.Commit(sync); !errors.Is(err, ErrFailed) {
			t.Fatalf("commit(sync=%v) on a failed store: got %v, want ErrFailed", sync, err)
		}
	}
	_ = db.Close() // may report the failure again

	db, err = Open(dir, Options{Logger: testLogger{t}})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for i := 0; i < synced; i++ {
		if _, ok := mustGet(t, db, fmt.Sprintf("k%02d", i)); !ok {
			t.Errorf("synced commit k%02d lost on reopen", i)
		}
	}
	if _, ok := mustGet(t, db, "refused"); ok {
		t.Error("a refused commit is visible after reopen")
	}
	_, failedSurvived := mustGet(t, db, "failed")
	t.Logf("the commit whose sync failed survived the reopen: %v", failedSurvived)
	mustCommit(t, db, true, "after", "v") // the reopened store works
}

// A write failure of the log's background flush (a commit with sync=false
// returns before the write; a full log block is written without waiting
// for a sync) fails the store at once: Failed() is closed before any
// commit has reported it.
func TestWALBackgroundWriteFailureClosesFailed(t *testing.T) {
	var armed atomic.Bool
	db, err := Open(t.TempDir(), Options{Logger: testLogger{t}, WALFault: func(op string) error {
		if armed.Load() && op == "write" {
			return syscall.ENOSPC
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	armed.Store(true)
	b := db.NewBatch()
	b.Set([]byte("a"), make([]byte, 64<<10)) // two log blocks, less than a memtable
	_ = b.Commit(false)                      // may succeed: the write happens in the background
	select {
	case <-db.Failed():
	case <-time.After(30 * time.Second):
		t.Fatal("Failed() not closed after the log write failed")
	}
	if err := db.Err(); !errors.Is(err, ErrFailed) || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Err() = %v, want ErrFailed wrapping ENOSPC", err)
	}
	b = db.NewBatch()
	b.Set([]byte("b"), []byte("2"))
	if err := b.Commit(true); !errors.Is(err, ErrFailed) {
		t.Fatalf("commit after the failure: got %v, want ErrFailed", err)
	}
}

// Which panics during a commit become errors: only Pebble's fatal call on
// a store the log guard has failed. A fatal call on a healthy store, or
// any other panic, propagates.
func TestCommitFatalDecision(t *testing.T) {
	db := openTest(t)
	fatal := &fatalError{msg: "pebble: something fatal"}
	mustPanic := func(what string, r any) {
		t.Helper()
		defer func() {
			if got := recover(); got != r {
				t.Errorf("%s: recovered %v, want the original panic %v", what, got, r)
			}
		}()
		_ = db.commitFatal(r)
		t.Errorf("%s: commitFatal returned", what)
	}
	mustPanic("fatal on a healthy store", fatal)
	mustPanic("other panic on a healthy store", "boom")

	db.fail(fmt.Errorf("%w: write-ahead log: %w", ErrFailed, syscall.EIO))
	if err := db.commitFatal(fatal); !errors.Is(err, ErrFailed) || !errors.Is(err, syscall.EIO) {
		t.Errorf("fatal on a failed store: got %v, want the store's ErrFailed error", err)
	}
	mustPanic("other panic on a failed store", "boom")
}
