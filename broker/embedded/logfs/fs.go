package logfs

import (
	"errors"
	"io"
	"io/fs"
	"os"
)

// ErrLocked is returned (wrapped) by FS.Lock when the directory is locked
// already.
var ErrLocked = errors.New("directory is in use by another lock holder")

// FS is what the embedded log needs of a file system. Names are paths as
// built by path/filepath.
//
// Durability contract (what the log relies on, what OS provides on Linux
// and what Mem models):
//
//   - Data written to a File is durable once the File's Sync returns nil;
//     until then a power failure may keep none, some or all of it, and may
//     tear a write.
//   - A directory entry created, renamed or removed in directory d (by
//     OpenFile with os.O_CREATE, Mkdir, MkdirAll, Rename, Remove or
//     RemoveAll) is durable once SyncDir(d) returns nil. A file whose data
//     is synced but whose entry is not may vanish in a power failure, and
//     so may a whole directory whose own entry in its parent is not
//     durable.
//   - Rename within one directory is atomic across a power failure: the
//     new name refers to the old file or the new one, never to neither.
//
// Implementations are safe for concurrent use.
type FS interface {
	// OpenFile opens name with the os.O_* flags given (an access mode
	// O_RDONLY, O_WRONLY or O_RDWR, optionally O_CREATE, O_EXCL and
	// O_TRUNC). Created files get mode 0644.
	OpenFile(name string, flag int) (File, error)
	// Stat describes the file or directory name.
	Stat(name string) (fs.FileInfo, error)
	// ReadDir lists directory name, sorted by file name.
	ReadDir(name string) ([]fs.DirEntry, error)
	// Mkdir creates directory name (mode 0755); its parent must exist.
	Mkdir(name string) error
	// MkdirAll creates directory name and any missing parents; it returns
	// nil if name is already a directory.
	MkdirAll(name string) error
	// Rename moves oldname to newname, replacing newname if it is a file
	// or an empty directory.
	Rename(oldname, newname string) error
	// Remove removes a file or an empty directory.
	Remove(name string) error
	// RemoveAll removes name and everything under it; it returns nil if
	// name does not exist.
	RemoveAll(name string) error
	// SyncDir makes the entries of directory name durable.
	SyncDir(name string) error
	// Lock takes an exclusive lock on directory name, held until the
	// returned Closer is closed. A second Lock of the same directory fails
	// (with an error wrapping ErrLocked where the implementation can tell)
	// while the first is held: across processes for OS (flock; released
	// by the kernel when the process dies), within one Mem value for Mem.
	Lock(name string) (io.Closer, error)
}

// File is an open file. ReadAt may run concurrently with any method but
// Close; WriteAt, Truncate and Sync may run concurrently with each other
// only on disjoint ranges (the log serializes them per file).
type File interface {
	io.ReaderAt
	io.WriterAt
	// Truncate changes the size of the file.
	Truncate(size int64) error
	// Sync makes the content of the file durable (fsync). It does not
	// make the file's directory entry durable: see FS.SyncDir.
	Sync() error
	// Stat describes the file: its size and modification time.
	Stat() (fs.FileInfo, error)
	Close() error
}

// ReadFile returns the content of file name.
func ReadFile(fsys FS, name string) ([]byte, error) {
	f, err := fsys.OpenFile(name, os.O_RDONLY)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	data := make([]byte, fi.Size())
	n, err := f.ReadAt(data, 0)
	if err == io.EOF && n == len(data) {
		err = nil
	}
	return data[:n], err
}
