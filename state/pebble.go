package state

import (
	"bytes"
	"errors"
	"fmt"
	"log"
	"os"
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// DefaultCacheSize is the block cache size used when Options.CacheSize is 0.
const DefaultCacheSize = 64 << 20

// DefaultMemTableSize is the memtable size used when Options.MemTableSize is 0.
// With DefaultCacheSize the store holds at most about 64 + 3 x 16 = 112 MiB
// (see memTableReserve); 32 MiB memtables made it 160 MiB, and a 10M-key
// aggregation peaked at 447 MB of RSS instead of 398 MB, no faster.
const DefaultMemTableSize = 16 << 20

// memTableStopWrites is Pebble's MemTableStopWritesThreshold: writes stall
// while this many memtables wait to be flushed.
const memTableStopWrites = 2

// memTableReserve is how much of Pebble's block cache its memtables may
// take: every memtable reserves its size in the cache while it lives, up
// to memTableStopWrites of them queued plus the one Pebble keeps for
// reuse. Open adds it to the configured cache size; without it, a cache
// no larger than two memtables (64 MiB against 32 MiB memtables, as
// before) holds no block at all, and every Get reads and decompresses
// index, filter and data blocks from disk.
func memTableReserve(memTableSize uint64) int64 {
	return int64(memTableSize) * (memTableStopWrites + 1)
}

// Logger receives the storage engine's log messages. Implementations must be
// safe for concurrent use.
type Logger interface {
	// Infof receives informational messages (flushes, compactions, ...).
	Infof(format string, args ...any)
	// Errorf receives errors, including background errors (failed flushes
	// or compactions) that are not returned by any call.
	Errorf(format string, args ...any)
}

// Options configures [Open]. The zero value is a good default.
//
// The write-ahead log is always enabled: there is deliberately no option to
// disable it, since commits must survive a crash.
type Options struct {
	// CacheSize is the size in bytes of the block cache: the sstable
	// blocks (data, index and Bloom filter blocks) kept in memory. 0 means
	// DefaultCacheSize (64 MiB). Pebble charges its memtables to the same
	// cache, so Open makes the cache larger by what they may hold (see
	// memTableReserve): the store's memory is about CacheSize +
	// memTableReserve(MemTableSize).
	CacheSize int64
	// MemTableSize is the size in bytes of a memtable, i.e. roughly how much
	// recently written data is buffered in memory before it is flushed to an
	// sstable (and how much write-ahead log is replayed on reopen). 0 means
	// DefaultMemTableSize (16 MiB).
	MemTableSize uint64
	// Logger receives log messages. nil means: discard informational
	// messages and write errors to the standard library's log package.
	Logger Logger

	// WALFault, if set, is called before every write and every sync of a
	// write-ahead log file, with op "write" or "sync"; a non-nil result
	// fails that operation as a disk error would, and so fails the store
	// (see ErrFailed). It is for fault-injection tests; leave it nil.
	WALFault func(op string) error

	// MemFS, if set, holds the store instead of the directory on disk
	// (tests that simulate power failures; see MemFS.Crash).
	MemFS *MemFS
	// IOLock, if set, is held around every write, sync and namespace
	// change of the store's files, so that a test holding it sees the
	// files at one instant (and can freeze other files with them).
	IOLock sync.Locker

	// fs replaces the file system; tests use it to inject I/O errors.
	fs vfs.FS
}

// stdErrorLogger is the default Logger: quiet on Info, loud on errors.
type stdErrorLogger struct{}

func (stdErrorLogger) Infof(string, ...any) {}

func (stdErrorLogger) Errorf(format string, args ...any) {
	_ = log.Output(3, fmt.Sprintf(format, args...))
}

// pebbleLogger adapts a Logger to Pebble's logger interface.
type pebbleLogger struct{ l Logger }

func (p pebbleLogger) Infof(format string, args ...any)  { p.l.Infof(format, args...) }
func (p pebbleLogger) Errorf(format string, args ...any) { p.l.Errorf(format, args...) }

// fatalError is the panic value of pebbleLogger.Fatalf.
type fatalError struct {
	msg string
	err error // first error among the Fatalf arguments, if any
}

func (e *fatalError) Error() string { return e.msg }
func (e *fatalError) Unwrap() error { return e.err }

// Fatalf is called by Pebble for conditions it cannot recover from and must
// not return. It logs at error level and panics with a *fatalError (rather
// than exiting the process as Pebble's default logger does), so the panic
// carries a stack trace. The one such panic that is recovered is that of a
// commit on a store that has failed (see DB.commitPebble).
func (p pebbleLogger) Fatalf(format string, args ...any) {
	fe := &fatalError{msg: fmt.Sprintf(format, args...)}
	for _, a := range args {
		if err, ok := a.(error); ok {
			fe.err = err
			break
		}
	}
	p.l.Errorf("pebble fatal: %s", fe.msg)
	panic(fe)
}

// DB is a [Store] backed by a Pebble database in a directory. Create one
// with [Open]. All of its methods are safe for concurrent use (see [Store]
// for the rules on batches, iterators and Close).
//
// Pebble reports a few unrecoverable conditions (for example a failed write
// of its MANIFEST, or an internal invariant violation) through a fatal log
// call that must not return. The DB logs them at error level and panics
// with the message, where Pebble's default would exit the process. The
// exception is a commit that fails because the write-ahead log failed:
// the store is then failed and Commit returns an error wrapping ErrFailed.
type DB struct {
	dir string
	pdb *pebble.DB
	// cache is the block cache created by Open; released after Close.
	cache *pebble.Cache

	// mu guards closing: operations hold it for reading, Close for writing.
	mu     sync.RWMutex
	closed atomic.Bool
	// openIters counts iterators not yet closed, for Close's leak check.
	openIters atomic.Int64
	// failed holds the error that failed the store (see ErrFailed); every
	// later commit is refused with it. failedCh is closed when it is set.
	failed   atomic.Pointer[error]
	failedCh chan struct{}
}

var _ Store = (*DB)(nil)

// storageErr wraps a Pebble error as an ErrStorage error with context.
func storageErr(op string, err error) error {
	return fmt.Errorf("%w: %s: %w", ErrStorage, op, err)
}

// Open opens (creating it if needed) the Pebble database in dir.
//
// Only one DB may have dir open at a time, across processes as well; a
// second Open fails with an ErrStorage error. Opening replays the
// write-ahead log, so every batch committed with sync=true before a crash
// is visible again.
func Open(dir string, opts Options) (*DB, error) {
	if opts.CacheSize < 0 {
		return nil, fmt.Errorf("state: negative CacheSize %d", opts.CacheSize)
	}
	if opts.CacheSize == 0 {
		opts.CacheSize = DefaultCacheSize
	}
	if opts.MemTableSize == 0 {
		opts.MemTableSize = DefaultMemTableSize
	}
	if opts.Logger == nil {
		opts.Logger = stdErrorLogger{}
	}
	logger := pebbleLogger{opts.Logger}

	db := &DB{dir: dir, failedCh: make(chan struct{})}
	fs := opts.fs
	if opts.MemFS != nil {
		fs = opts.MemFS.fs
	}
	if fs == nil {
		fs = vfs.Default
	}
	if opts.IOLock != nil {
		fs = &lockedFS{FS: fs, mu: opts.IOLock}
	}
	// Watch the write-ahead log: Pebble treats a failed log write as fatal,
	// so the first one puts the store in the failed state immediately, and
	// later commits are refused with an error instead of reaching Pebble.
	fs = &walGuardFS{FS: fs, fault: opts.WALFault, onErr: func(err error) {
		db.fail(fmt.Errorf("%w: write-ahead log: %w", ErrFailed, err))
	}}

	cache := pebble.NewCache(opts.CacheSize + memTableReserve(opts.MemTableSize))
	po := &pebble.Options{
		Cache:                       cache,
		MemTableSize:                opts.MemTableSize,
		MemTableStopWritesThreshold: memTableStopWrites,
		DisableWAL:                  false,
		Logger:                      logger,
		FS:                          fs,
		FormatMajorVersion:          pebble.FormatNewest,
		EventListener: &pebble.EventListener{
			BackgroundError: func(err error) {
				logger.Errorf("state: background error in %s: %v", dir, err)
			},
			WriteStallBegin: func(info pebble.WriteStallBeginInfo) {
				logger.Infof("state: write stall in %s: %s", dir, info.Reason)
			},
		},
	}
	// Bloom filters make Gets of absent keys (the common "first event for
	// this group" case of an aggregation) cheap.
	for i := range po.Levels {
		po.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
	}
	if err := createAtomically(fs, dir, po); err != nil {
		cache.Unref()
		return nil, storageErr("create "+dir, err)
	}
	pdb, err := pebble.Open(dir, po)
	if err != nil {
		cache.Unref()
		return nil, storageErr("open "+dir, err)
	}
	db.pdb, db.cache = pdb, cache
	return db, nil
}

// creatingSuffix names the directory a new store is built in before it
// is renamed into place.
const creatingSuffix = ".creating"

// createAtomically creates a new, empty store at dir if there is none: it
// is built and closed in dir+".creating" and renamed into place, then the
// parent directory is synced. A crash while Pebble creates a store can
// leave files that refer to files the crash took (its marker survives,
// its first MANIFEST does not); built aside, such a half-made store is
// never at dir, and is removed at the next start.
func createAtomically(fs vfs.FS, dir string, po *pebble.Options) error {
	tmp := dir + creatingSuffix
	if err := fs.RemoveAll(tmp); err != nil {
		return err
	}
	if _, err := fs.Stat(dir); err == nil || !errors.Is(err, os.ErrNotExist) {
		return err
	}
	pdb, err := pebble.Open(tmp, po)
	if err != nil {
		return err
	}
	if err := pdb.Close(); err != nil {
		return err
	}
	if err := fs.Rename(tmp, dir); err != nil {
		return err
	}
	// The rename, and the directories above that may be new too.
	if err := syncDir(fs, fs.PathDir(dir)); err != nil {
		return err
	}
	for d := fs.PathDir(dir); fs.PathDir(d) != d; d = fs.PathDir(d) {
		if syncDir(fs, fs.PathDir(d)) != nil {
			break // an ancestor we may not open (it existed before us)
		}
	}
	return nil
}

func syncDir(fs vfs.FS, dir string) error {
	d, err := fs.OpenDir(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// fail puts the store in the failed state (see ErrFailed), keeping the
// first error, which must wrap ErrFailed.
func (db *DB) fail(err error) {
	if db.failed.CompareAndSwap(nil, &err) {
		close(db.failedCh)
	}
}

// Err returns the error that put the store in the failed state (it wraps
// ErrFailed), or nil if writes still work.
func (db *DB) Err() error {
	if f := db.failed.Load(); f != nil {
		return *f
	}
	return nil
}

// Failed returns a channel that is closed when the store fails (see
// ErrFailed); Err then returns the reason. A store fails at the failed
// write-ahead log operation itself, which may precede the first Commit to
// report it: owners watch this channel to stop and reopen the store
// promptly.
func (db *DB) Failed() <-chan struct{} { return db.failedCh }

// acquire takes the read side of the close lock; release with db.mu.RUnlock.
func (db *DB) acquire() error {
	db.mu.RLock()
	if db.closed.Load() {
		db.mu.RUnlock()
		return ErrClosed
	}
	return nil
}

// Get implements [Store].
func (db *DB) Get(key []byte) ([]byte, bool, error) {
	if err := db.acquire(); err != nil {
		return nil, false, err
	}
	defer db.mu.RUnlock()
	v, closer, err := db.pdb.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, storageErr("get", err)
	}
	out := make([]byte, len(v))
	copy(out, v)
	if err := closer.Close(); err != nil {
		return nil, false, storageErr("get", err)
	}
	return out, true, nil
}

// NewIter implements [Store].
func (db *DB) NewIter(lower, upper []byte) (Iterator, error) {
	if err := db.acquire(); err != nil {
		return nil, err
	}
	defer db.mu.RUnlock()
	it := &dbIter{db: db}
	if len(lower) > 0 {
		// An empty lower bound is the same as none (the empty key is the
		// smallest); Pebble's invariant checks dislike non-nil empty keys.
		it.lower = bytes.Clone(lower)
	}
	if upper != nil {
		// bytes.Clone keeps a non-nil empty slice non-nil, which Pebble
		// treats as the (empty-range) bound "before every key".
		it.upper = append([]byte{}, upper...)
	}
	if it.upper != nil && bytes.Compare(it.lower, it.upper) >= 0 {
		// Empty range: Pebble requires lower < upper.
		it.empty = true
		db.openIters.Add(1)
		return it, nil
	}
	pi, err := db.pdb.NewIter(&pebble.IterOptions{LowerBound: it.lower, UpperBound: it.upper})
	if err != nil {
		return nil, storageErr("new iterator", err)
	}
	it.pi = pi
	db.openIters.Add(1)
	return it, nil
}

// NewBatch implements [Store].
func (db *DB) NewBatch() Batch {
	return &dbBatch{db: db, b: db.pdb.NewBatch()}
}

// Close implements [Store]. It flushes nothing to sstables (the write-ahead
// log already holds every commit) but does write out the tail of the log,
// so sync=false commits survive a clean Close. If iterators are still
// open, Close closes the store anyway and returns an error saying so; those
// iterators then report ErrClosed.
func (db *DB) Close() error {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.closed.Load() {
		return ErrClosed
	}
	db.closed.Store(true)
	var leak error
	if n := db.openIters.Load(); n > 0 {
		leak = fmt.Errorf("state: close %s: %d iterator(s) still open", db.dir, n)
	}
	err := db.pdb.Close()
	db.cache.Unref()
	if err != nil {
		if leak != nil {
			// Pebble reports the leaked iterators too; ours is clearer.
			return leak
		}
		return storageErr("close "+db.dir, err)
	}
	return leak
}

// Flush writes the memtable out to an sstable and waits for it. It is not
// needed for durability (the write-ahead log provides that); it bounds the
// amount of log replayed on the next Open and is useful before taking a
// checkpoint or in tests.
func (db *DB) Flush() error {
	if err := db.acquire(); err != nil {
		return err
	}
	defer db.mu.RUnlock()
	if err := db.pdb.Flush(); err != nil {
		return storageErr("flush", err)
	}
	return nil
}

// Metrics returns Pebble's human-readable metrics report (levels, sizes,
// compactions, cache hit rates, ...), or "" if the store is closed.
func (db *DB) Metrics() string {
	if err := db.acquire(); err != nil {
		return ""
	}
	defer db.mu.RUnlock()
	return db.pdb.Metrics().String()
}

// Dir returns the directory the store was opened in.
func (db *DB) Dir() string { return db.dir }

// dbIter implements Iterator over a Pebble iterator.
type dbIter struct {
	db           *DB
	pi           *pebble.Iterator // nil for an empty range
	lower, upper []byte
	empty        bool
	valid        bool
	err          error // sticky
	closed       bool
}

// check records the outcome of a positioning call.
func (it *dbIter) check(ok bool) bool {
	if !ok {
		if err := it.pi.Error(); err != nil && it.err == nil {
			it.err = storageErr("iterate", err)
		}
	}
	it.valid = ok
	return ok
}

// usable reports whether a positioning call may touch the Pebble iterator.
func (it *dbIter) usable() bool {
	if it.closed {
		panic("state: use of closed Iterator")
	}
	if it.err == nil && it.db.closed.Load() {
		it.err = ErrClosed
	}
	if it.err != nil || it.empty {
		it.valid = false
		return false
	}
	return true
}

func (it *dbIter) First() bool {
	if !it.usable() {
		return false
	}
	return it.check(it.pi.First())
}

func (it *dbIter) Last() bool {
	if !it.usable() {
		return false
	}
	return it.check(it.pi.Last())
}

func (it *dbIter) Next() bool {
	if !it.valid || !it.usable() {
		it.valid = false
		return false
	}
	return it.check(it.pi.Next())
}

func (it *dbIter) SeekGE(key []byte) bool {
	if !it.usable() {
		return false
	}
	if len(key) == 0 {
		// The empty key is the smallest key: same as First (and Pebble's
		// invariant checks dislike seeking to a non-nil empty key).
		return it.check(it.pi.First())
	}
	// Pebble clamps a seek key below the lower bound to the lower bound.
	return it.check(it.pi.SeekGE(key))
}

func (it *dbIter) Valid() bool { return it.valid }

func (it *dbIter) Key() []byte {
	if !it.valid {
		return nil
	}
	return it.pi.Key()
}

func (it *dbIter) Value() []byte {
	if !it.valid {
		return nil
	}
	v, err := it.pi.ValueAndErr()
	if err != nil {
		if it.err == nil {
			it.err = storageErr("read value", err)
		}
		it.valid = false
		return nil
	}
	return v
}

func (it *dbIter) Close() error {
	if it.closed {
		return nil
	}
	it.closed = true
	it.valid = false
	err := it.err
	if errors.Is(err, ErrClosed) {
		// The store was closed underneath us and released the Pebble
		// iterator's resources; do not touch it.
		return err
	}
	it.db.openIters.Add(-1)
	if it.pi != nil && !it.db.closed.Load() {
		if cerr := it.pi.Close(); cerr != nil && err == nil {
			err = storageErr("close iterator", cerr)
		}
	}
	return err
}

// dbBatch implements Batch over a Pebble batch.
type dbBatch struct {
	db  *DB
	b   *pebble.Batch // nil once finished
	err error         // first error from adding an operation
}

func (b *dbBatch) live() *pebble.Batch {
	if b.b == nil {
		panic("state: use of a Batch after Commit or Close")
	}
	return b.b
}

func (b *dbBatch) note(err error) {
	if err != nil && b.err == nil {
		b.err = storageErr("batch", err)
	}
}

func (b *dbBatch) Set(key, value []byte) {
	b.note(b.live().Set(key, value, nil))
}

func (b *dbBatch) Delete(key []byte) {
	b.note(b.live().Delete(key, nil))
}

func (b *dbBatch) DeleteRange(start, end []byte) {
	pb := b.live()
	if end == nil {
		if b.err == nil {
			b.err = errors.New("state: DeleteRange with a nil (unbounded) end on a whole DB; use a Prefixed namespace")
		}
		return
	}
	if start == nil {
		start = []byte{}
	}
	if bytes.Compare(start, end) >= 0 {
		return
	}
	b.note(pb.DeleteRange(start, end, nil))
}

func (b *dbBatch) Len() int {
	return int(b.live().Count())
}

func (b *dbBatch) Commit(sync bool) error {
	pb := b.live()
	b.b = nil
	defer pb.Close()
	if b.err != nil {
		return b.err
	}
	db := b.db
	if err := db.acquire(); err != nil {
		return err
	}
	defer db.mu.RUnlock()
	if err := db.Err(); err != nil {
		return err
	}
	wo := pebble.NoSync
	if sync {
		wo = pebble.Sync
	}
	if err := db.commitPebble(pb, wo); err != nil {
		if errors.Is(err, ErrFailed) {
			return err
		}
		return storageErr("commit", err)
	}
	return nil
}

// commitPebble commits pb.
//
// Pebble reports a failure of its commit pipeline (a failed write or sync
// of the write-ahead log, or of the directory holding it) through a fatal
// log call on the committing goroutine, made after the pipeline has
// released its locks; pebbleLogger turns it into a *fatalError panic. The
// write-ahead log guard has failed the store by then, since it sees the
// I/O error before Pebble does: such a panic is this commit's failure and
// is returned as the store's ErrFailed error. A fatal panic on a store
// that has not failed is something else (an invariant violation) and
// propagates, as does any other panic. Errors Pebble returns without
// panicking are reported before anything is written.
func (db *DB) commitPebble(pb *pebble.Batch, wo *pebble.WriteOptions) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = db.commitFatal(r)
		}
	}()
	return pb.Commit(wo)
}

// commitFatal decides what a panic during a commit means (see
// commitPebble): the store's failure, or a panic to propagate.
func (db *DB) commitFatal(r any) error {
	if _, ok := r.(*fatalError); ok {
		if err := db.Err(); err != nil {
			return err
		}
	}
	panic(r)
}

func (b *dbBatch) Close() {
	if b.b != nil {
		_ = b.b.Close()
		b.b = nil
	}
}
