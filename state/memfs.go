package state

import (
	"math/rand/v2"
	"os"
	"sync"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// MemFS is an in-memory file system for a store, for tests that simulate
// a power failure: it remembers what was synced, and Crash returns what a
// power failure at that instant could leave. Use it with Options.MemFS.
type MemFS struct{ fs *vfs.MemFS }

// NewMemFS returns an empty crashable in-memory file system.
func NewMemFS() *MemFS { return &MemFS{fs: vfs.NewCrashableMem()} }

// Crash returns the file system a power failure at this instant could
// leave: everything synced, and each unsynced write or directory entry
// with probability keepPercent/100 (drawn from seed). The receiver is
// unchanged and stays usable. Values between 0 and 100 keep unsynced
// directory entries independently of their order, which no journaling
// file system does and Pebble does not survive (a new MANIFEST lost
// while its marker, created after it, is kept): tests use 0 or 100.
func (m *MemFS) Crash(seed int64, keepPercent int) *MemFS {
	cfg := vfs.CrashCloneCfg{UnsyncedDataPercent: keepPercent}
	if keepPercent > 0 {
		cfg.RNG = rand.New(rand.NewPCG(uint64(seed), 0))
	}
	return &MemFS{fs: m.fs.CrashClone(cfg)}
}

// lockedFS holds a lock around every operation that changes files or
// makes them durable, so that a test can freeze the store's files and
// other files (the log's) at one instant: whoever holds the lock sees no
// write in progress.
type lockedFS struct {
	vfs.FS
	mu sync.Locker
}

func (fs *lockedFS) wrap(f vfs.File, err error) (vfs.File, error) {
	if err != nil {
		return f, err
	}
	return &lockedFile{File: f, mu: fs.mu}, nil
}

func (fs *lockedFS) Create(name string, category vfs.DiskWriteCategory) (vfs.File, error) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.wrap(fs.FS.Create(name, category))
}

func (fs *lockedFS) Link(oldname, newname string) error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.FS.Link(oldname, newname)
}

func (fs *lockedFS) Open(name string, opts ...vfs.OpenOption) (vfs.File, error) {
	return fs.wrap(fs.FS.Open(name, opts...))
}

func (fs *lockedFS) OpenReadWrite(name string, category vfs.DiskWriteCategory, opts ...vfs.OpenOption) (vfs.File, error) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.wrap(fs.FS.OpenReadWrite(name, category, opts...))
}

func (fs *lockedFS) OpenDir(name string) (vfs.File, error) { return fs.wrap(fs.FS.OpenDir(name)) }

func (fs *lockedFS) Remove(name string) error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.FS.Remove(name)
}

func (fs *lockedFS) RemoveAll(name string) error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.FS.RemoveAll(name)
}

func (fs *lockedFS) Rename(oldname, newname string) error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.FS.Rename(oldname, newname)
}

func (fs *lockedFS) ReuseForWrite(oldname, newname string, category vfs.DiskWriteCategory) (vfs.File, error) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.wrap(fs.FS.ReuseForWrite(oldname, newname, category))
}

func (fs *lockedFS) MkdirAll(dir string, perm os.FileMode) error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.FS.MkdirAll(dir, perm)
}

func (fs *lockedFS) Unwrap() vfs.FS { return fs.FS }

type lockedFile struct {
	vfs.File
	mu sync.Locker
}

func (f *lockedFile) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.File.Write(p)
}

func (f *lockedFile) WriteAt(p []byte, off int64) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.File.WriteAt(p, off)
}

func (f *lockedFile) Preallocate(offset, length int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.File.Preallocate(offset, length)
}

func (f *lockedFile) Sync() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.File.Sync()
}

func (f *lockedFile) SyncData() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.File.SyncData()
}

func (f *lockedFile) SyncTo(length int64) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.File.SyncTo(length)
}
