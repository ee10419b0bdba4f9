package logfs

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"sync"
	"syscall"
)

// OpKind is a kind of file system operation, as seen by FaultFS.
type OpKind int

const (
	OpOpen      OpKind = iota // FS.OpenFile without os.O_CREATE or os.O_TRUNC
	OpCreate                  // FS.OpenFile with os.O_CREATE or os.O_TRUNC
	OpRead                    // File.ReadAt
	OpWrite                   // File.WriteAt
	OpTruncate                // File.Truncate
	OpSync                    // File.Sync
	OpFileStat                // File.Stat
	OpClose                   // File.Close
	OpStat                    // FS.Stat
	OpReadDir                 // FS.ReadDir
	OpMkdir                   // FS.Mkdir, FS.MkdirAll
	OpRename                  // FS.Rename
	OpRemove                  // FS.Remove
	OpRemoveAll               // FS.RemoveAll
	OpSyncDir                 // FS.SyncDir
	OpLock                    // FS.Lock
)

var opNames = [...]string{"open", "create", "read", "write", "truncate", "sync", "fstat", "close",
	"stat", "readdir", "mkdir", "rename", "remove", "removeall", "syncdir", "lock"}

func (k OpKind) String() string {
	if k >= 0 && int(k) < len(opNames) {
		return opNames[k]
	}
	return fmt.Sprintf("OpKind(%d)", int(k))
}

// Mutates reports whether operations of kind k change the file system:
// the operations between which a power failure can fall.
func (k OpKind) Mutates() bool {
	switch k {
	case OpCreate, OpWrite, OpTruncate, OpSync, OpMkdir, OpRename, OpRemove, OpRemoveAll, OpSyncDir:
		return true
	}
	return false
}

// Op is one operation about to be performed.
type Op struct {
	Kind OpKind
	// Path is the file or directory operated on (for a rename, the old
	// name).
	Path string
	// NewPath is the new name of a rename.
	NewPath string
	// Off is the position of a read or write, the size of a truncation.
	Off int64
	// Len is the length of a read or write.
	Len int
}

// On returns a predicate for FaultFS.Fail matching operations of the
// given kinds.
func On(kinds ...OpKind) func(Op) bool {
	return func(op Op) bool { return slices.Contains(kinds, op.Kind) }
}

// FaultFS wraps an FS and makes chosen operations fail, as a failing or
// full disk would. Errors are *fs.PathError wrapping a syscall.Errno, so
// errors.Is(err, syscall.ENOSPC) holds for an injected ENOSPC.
//
// At most one fault is armed at a time (Fail or FailWritesAfter); it stays
// armed until Clear or until another replaces it. Independently, a hook
// set with SetHook runs before every operation. Safe for concurrent use.
type FaultFS struct {
	fs FS

	mu        sync.Mutex
	hook      func(Op) error
	match     func(Op) bool // armed by Fail
	budget    int64         // armed by FailWritesAfter: bytes still allowed
	byteLimit bool
	errno     syscall.Errno
}

var _ FS = (*FaultFS)(nil)

// NewFaultFS wraps fsys; nothing fails until a fault is armed.
func NewFaultFS(fsys FS) *FaultFS { return &FaultFS{fs: fsys} }

// Fail makes every later operation for which match reports true fail
// with errno, without touching the underlying FS, until Clear.
func (f *FaultFS) Fail(match func(Op) bool, errno syscall.Errno) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.match, f.byteLimit, f.errno = match, false, errno
}

// FailWritesAfter lets n more bytes of File.WriteAt through. The write
// that crosses the limit writes what fits and fails with errno (a short
// write, as on a full disk); later writes fail with errno and write
// nothing, until Clear. Other operations are unaffected.
func (f *FaultFS) FailWritesAfter(n int64, errno syscall.Errno) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.match, f.byteLimit, f.budget, f.errno = nil, true, n, errno
}

// Clear disarms the fault; operations succeed again. The hook stays.
func (f *FaultFS) Clear() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.match, f.byteLimit = nil, false
}

// SetHook sets a function called before every operation (nil removes
// it). It runs outside FaultFS's lock and may block, for example to hold
// an fsync, or snapshot the underlying file system. A non-nil error fails
// the operation without touching the underlying FS (it is returned
// wrapped in an *fs.PathError).
func (f *FaultFS) SetHook(hook func(Op) error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hook = hook
}

// before decides the fate of op: a nil error lets it through; for a write
// that crosses a byte limit, allow is how many bytes to write before
// failing with err.
func (f *FaultFS) before(op Op) (allow int, err error) {
	f.mu.Lock()
	hook := f.hook
	f.mu.Unlock()
	if hook != nil {
		if err := hook(op); err != nil {
			return 0, &fs.PathError{Op: op.Kind.String(), Path: op.Path, Err: err}
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	fail := func() error { return &fs.PathError{Op: op.Kind.String(), Path: op.Path, Err: f.errno} }
	switch {
	case f.match != nil && f.match(op):
		return 0, fail()
	case f.byteLimit && op.Kind == OpWrite:
		if int64(op.Len) <= f.budget {
			f.budget -= int64(op.Len)
			return op.Len, nil
		}
		allow, f.budget = int(f.budget), 0
		return allow, fail()
	}
	return op.Len, nil
}

func (f *FaultFS) check(op Op) error {
	_, err := f.before(op)
	return err
}

// OpenFile implements FS.
func (f *FaultFS) OpenFile(name string, flag int) (File, error) {
	kind := OpOpen
	if flag&(os.O_CREATE|os.O_TRUNC) != 0 {
		kind = OpCreate
	}
	if err := f.check(Op{Kind: kind, Path: name}); err != nil {
		return nil, err
	}
	file, err := f.fs.OpenFile(name, flag)
	if err != nil {
		return nil, err
	}
	return &faultFile{fs: f, f: file, name: name}, nil
}

// Stat implements FS.
func (f *FaultFS) Stat(name string) (fs.FileInfo, error) {
	if err := f.check(Op{Kind: OpStat, Path: name}); err != nil {
		return nil, err
	}
	return f.fs.Stat(name)
}

// ReadDir implements FS.
func (f *FaultFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if err := f.check(Op{Kind: OpReadDir, Path: name}); err != nil {
		return nil, err
	}
	return f.fs.ReadDir(name)
}

// Mkdir implements FS.
func (f *FaultFS) Mkdir(name string) error {
	if err := f.check(Op{Kind: OpMkdir, Path: name}); err != nil {
		return err
	}
	return f.fs.Mkdir(name)
}

// MkdirAll implements FS.
func (f *FaultFS) MkdirAll(name string) error {
	if err := f.check(Op{Kind: OpMkdir, Path: name}); err != nil {
		return err
	}
	return f.fs.MkdirAll(name)
}

// Rename implements FS.
func (f *FaultFS) Rename(oldname, newname string) error {
	if err := f.check(Op{Kind: OpRename, Path: oldname, NewPath: newname}); err != nil {
		return err
	}
	return f.fs.Rename(oldname, newname)
}

// Remove implements FS.
func (f *FaultFS) Remove(name string) error {
	if err := f.check(Op{Kind: OpRemove, Path: name}); err != nil {
		return err
	}
	return f.fs.Remove(name)
}

// RemoveAll implements FS.
func (f *FaultFS) RemoveAll(name string) error {
	if err := f.check(Op{Kind: OpRemoveAll, Path: name}); err != nil {
		return err
	}
	return f.fs.RemoveAll(name)
}

// SyncDir implements FS.
func (f *FaultFS) SyncDir(name string) error {
	if err := f.check(Op{Kind: OpSyncDir, Path: name}); err != nil {
		return err
	}
	return f.fs.SyncDir(name)
}

// Lock implements FS.
func (f *FaultFS) Lock(name string) (io.Closer, error) {
	if err := f.check(Op{Kind: OpLock, Path: name}); err != nil {
		return nil, err
	}
	return f.fs.Lock(name)
}

// faultFile is a File of a FaultFS.
type faultFile struct {
	fs   *FaultFS
	f    File
	name string
}

func (f *faultFile) ReadAt(p []byte, off int64) (int, error) {
	if err := f.fs.check(Op{Kind: OpRead, Path: f.name, Off: off, Len: len(p)}); err != nil {
		return 0, err
	}
	return f.f.ReadAt(p, off)
}

func (f *faultFile) WriteAt(p []byte, off int64) (int, error) {
	allow, ferr := f.fs.before(Op{Kind: OpWrite, Path: f.name, Off: off, Len: len(p)})
	if allow == 0 && ferr != nil {
		return 0, ferr
	}
	n, err := f.f.WriteAt(p[:allow], off)
	if err == nil {
		err = ferr
	}
	return n, err
}

func (f *faultFile) Truncate(size int64) error {
	if err := f.fs.check(Op{Kind: OpTruncate, Path: f.name, Off: size}); err != nil {
		return err
	}
	return f.f.Truncate(size)
}

func (f *faultFile) Sync() error {
	if err := f.fs.check(Op{Kind: OpSync, Path: f.name}); err != nil {
		return err
	}
	return f.f.Sync()
}

func (f *faultFile) Stat() (fs.FileInfo, error) {
	if err := f.fs.check(Op{Kind: OpFileStat, Path: f.name}); err != nil {
		return nil, err
	}
	return f.f.Stat()
}

// Close closes the underlying file even when the operation is failed, so
// an injected fault never leaks a descriptor.
func (f *faultFile) Close() error {
	err := f.fs.check(Op{Kind: OpClose, Path: f.name})
	if cerr := f.f.Close(); err == nil {
		err = cerr
	}
	return err
}
