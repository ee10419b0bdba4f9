package state

import "errors"

// ErrClosed is returned by operations on a [Store] after its Close method
// has been called, and by an [Iterator] whose store was closed underneath it.
var ErrClosed = errors.New("state: store closed")

// ErrStorage is wrapped by every error that originates in the storage layer
// itself: I/O failures (including a full disk), corruption, a data
// directory that cannot be opened or locked, and so on. Errors wrapping it
// carry the underlying detail (e.g. errors.Is(err, syscall.ENOSPC) holds
// for a full disk); test for them with errors.Is(err, ErrStorage).
var ErrStorage = errors.New("state: storage error")

// ErrFailed is wrapped by the errors of a store that has failed, and
// itself matches ErrStorage.
//
// A store fails when a write or sync of its write-ahead log (or an fsync
// of its directory) fails: the storage engine can then no longer tell
// which commits reached the disk, and its commit pipeline cannot be
// trusted. From then on every Commit returns an error wrapping ErrFailed
// without attempting the write, reads keep working, and [DB.Failed] is
// closed. The only recovery is to Close the store and open it again (in
// practice: stop and restart the process), which replays the log: what
// survives is a prefix of the commit order that includes every commit
// acknowledged with sync=true. The commit that failed may or may not be
// part of it.
var ErrFailed error = failedError{}

// failedError is the type of ErrFailed: it matches ErrStorage as well, so
// that code that handles storage errors in general handles it too.
type failedError struct{}

func (failedError) Error() string        { return "state: store failed" }
func (failedError) Is(target error) bool { return target == ErrStorage }

// Store is an ordered key/value store.
//
// # Keys and values
//
// Keys and values are arbitrary byte strings. Keys are ordered by
// bytes.Compare; the empty key is a legal key and is the smallest one. Use the
// order-preserving encoders in this package (AppendInt64, AppendString, ...)
// to build keys whose byte order matches the order of typed tuples. A nil and
// an empty value are the same value.
//
// # Visibility
//
// Reads (Get, NewIter) observe only committed writes: a [Batch] is invisible
// to every reader, including the goroutine that is filling it, until its
// Commit returns successfully, and then all of its writes become visible at
// once. There is no read-your-own-uncommitted-writes.
//
// # Concurrency
//
// A Store is safe for concurrent use by multiple goroutines: Get, NewIter,
// NewBatch and Commit of distinct batches may all run concurrently. A single
// [Batch] or [Iterator] must be used by one goroutine at a time. Concurrent
// Commits are serialized in some order, and that order is the order in
// which their effects become visible and the order in which they are
// recovered after a crash.
//
// # Closing
//
// Close releases the store. Every Iterator should be closed before the store
// is; Close must not run concurrently with the use of an Iterator. Get,
// NewIter and Commit called after (or racing with) Close return [ErrClosed];
// Close waits for operations already in progress. Closing twice returns
// ErrClosed. Batches that were never committed need no Close call after the
// store is closed, but calling it is harmless.
type Store interface {
	// Get returns a copy of the value stored for key; the caller owns the
	// returned slice. If key is absent, Get returns ok=false and a nil value.
	// When ok is true the value is non-nil (an empty value is an empty,
	// non-nil slice).
	Get(key []byte) (value []byte, ok bool, err error)

	// NewIter returns an iterator over the keys in [lower, upper), in
	// ascending order. A nil lower bound means "from the smallest key"; a
	// nil upper bound means "to the end of the key space". A non-nil empty
	// upper bound describes an empty range. The bounds are copied.
	//
	// The iterator sees a consistent point-in-time view of the store as of
	// the NewIter call: commits that complete afterwards are not observed.
	// The iterator must be closed.
	NewIter(lower, upper []byte) (Iterator, error)

	// NewBatch starts an empty atomic batch of writes against the store. A
	// batch must end with exactly one Commit or Close (Close after Commit is
	// a no-op, so "defer b.Close()" is the idiomatic pattern).
	NewBatch() Batch

	// Close releases the store (see "Closing" above).
	Close() error
}

// Iterator walks the keys of a [Store] within the bounds given to NewIter.
//
// A new iterator is unpositioned (Valid returns false); position it with
// First or SeekGE before calling Next, Key or Value. The positioning calls
// (First, Next, SeekGE) return the new value of Valid. Next on an
// unpositioned or exhausted iterator returns false.
//
// Key and Value return slices owned by the iterator: they are valid only
// until the next positioning call or Close, and must not be modified. Copy
// them to keep them. Key and Value must only be called while Valid is true.
//
// Errors: a positioning call that fails returns false; the error is sticky
// (every later positioning call returns false as well) and is returned by
// Close. An iteration loop therefore always ends by checking Close's error:
//
//	it, err := s.NewIter(lo, hi)
//	if err != nil { ... }
//	for ok := it.First(); ok; ok = it.Next() {
//		use(it.Key(), it.Value())
//	}
//	if err := it.Close(); err != nil { ... }
//
// An Iterator must be used by one goroutine at a time. A positioning call
// on a closed iterator panics.
type Iterator interface {
	// First positions the iterator at the smallest key in bounds.
	First() bool
	// Last positions the iterator at the largest key in bounds.
	Last() bool
	// Next advances to the next key in bounds.
	Next() bool
	// Valid reports whether the iterator is positioned at a key.
	Valid() bool
	// Key returns the current key (valid until the next positioning call).
	Key() []byte
	// Value returns the current value (valid until the next positioning call).
	Value() []byte
	// SeekGE positions the iterator at the first key >= key, still within
	// the iterator's bounds: a key below the lower bound seeks to the lower
	// bound.
	SeekGE(key []byte) bool
	// Close releases the iterator and returns the first error encountered
	// during iteration, if any. Closing twice is a no-op returning nil.
	Close() error
}

// Batch accumulates writes that are applied atomically by Commit.
//
// Operations are applied in the order they were issued, so a Set after a
// Delete (or a DeleteRange covering the key) of the same key wins, and a
// Delete or DeleteRange after a Set removes it. Batches cannot be read.
//
// A Batch must be used by one goroutine at a time. It is finished by exactly
// one Commit or Close; after Commit (successful or not) Close is a no-op,
// and any other call on a finished batch panics, because it is a
// programming error.
type Batch interface {
	// Set stores value under key. Key and value are copied; the caller may
	// reuse them immediately.
	Set(key, value []byte)
	// Delete removes key, if present. The key is copied.
	Delete(key []byte)
	// DeleteRange removes every key in [start, end). A nil start means
	// "from the smallest key"; a nil end means "to the end of the key
	// space", which only a namespace from [Prefixed] or [PrefixedBatch] can
	// express (over a whole [DB] a nil end makes Commit fail). An empty
	// range (start >= end) is a no-op. The bounds are copied.
	DeleteRange(start, end []byte)
	// Len returns the number of operations added to the batch so far.
	Len() int
	// Commit atomically applies the batch: when it returns nil all of its
	// writes are visible, and before that none is. With sync=true the
	// write-ahead log is fsynced before Commit returns, so the batch
	// survives a process or machine crash. With sync=false the batch
	// survives a clean Close, but a crash (even of the process alone: the
	// tail of the log may still be buffered in memory) can lose it; a lost
	// batch is lost entirely, together with every later commit, and a later
	// sync=true Commit makes it durable as well.
	// An empty batch commits trivially and syncs nothing.
	//
	// If Commit fails with ErrFailed, the fate of the batch is unknown
	// (it may already be visible in this instance, and may or may not
	// survive a reopen) and the store is failed; see ErrFailed. If it
	// fails otherwise (ErrClosed, an invalid operation in the batch, an
	// ErrStorage error the storage engine reported before writing),
	// nothing was applied. Either way Commit finishes the batch.
	Commit(sync bool) error
	// Close discards the batch without applying it. It is a no-op after
	// Commit.
	Close()
}
