package state

import (
	"fmt"
	"strings"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// walGuardFS wraps a file system and reports every failed write or sync of
// a write-ahead log file (Pebble names them *.log), and every failed sync
// of a directory (Pebble syncs the directory after creating a log file), to
// onErr, before Pebble itself sees the error. This is how the store knows
// that it has failed (see ErrFailed) without interpreting Pebble's
// messages.
type walGuardFS struct {
	vfs.FS
	onErr func(error)
	// fault, if set, is consulted before each write and sync of a log file
	// (Options.WALFault).
	fault func(op string) error
}

func isWAL(name string) bool { return strings.HasSuffix(name, ".log") }

func (fs *walGuardFS) guard(name string, f vfs.File, err error) (vfs.File, error) {
	if !isWAL(name) {
		return f, err
	}
	if err != nil {
		fs.onErr(fmt.Errorf("create %s: %w", name, err))
		return f, err
	}
	return &walGuardFile{File: f, name: name, onErr: fs.onErr, fault: fs.fault}, nil
}

func (fs *walGuardFS) Create(name string, category vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.FS.Create(name, category)
	return fs.guard(name, f, err)
}

func (fs *walGuardFS) ReuseForWrite(oldname, newname string, category vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.FS.ReuseForWrite(oldname, newname, category)
	return fs.guard(newname, f, err)
}

func (fs *walGuardFS) OpenReadWrite(name string, category vfs.DiskWriteCategory, opts ...vfs.OpenOption) (vfs.File, error) {
	f, err := fs.FS.OpenReadWrite(name, category, opts...)
	return fs.guard(name, f, err)
}

func (fs *walGuardFS) OpenDir(name string) (vfs.File, error) {
	f, err := fs.FS.OpenDir(name)
	if err != nil {
		return f, err
	}
	return &dirGuardFile{File: f, name: name, onErr: fs.onErr}, nil
}

func (fs *walGuardFS) Unwrap() vfs.FS { return fs.FS }

// walGuardFile reports failed writes and syncs of one log file.
type walGuardFile struct {
	vfs.File
	name  string
	onErr func(error)
	fault func(op string) error
}

// inject returns the injected fault for op, if any.
func (f *walGuardFile) inject(op string) error {
	if f.fault == nil {
		return nil
	}
	if err := f.fault(op); err != nil {
		return fmt.Errorf("injected fault: %w", err)
	}
	return nil
}

func (f *walGuardFile) check(op string, err error) error {
	if err != nil {
		f.onErr(fmt.Errorf("%s %s: %w", op, f.name, err))
	}
	return err
}

func (f *walGuardFile) Write(p []byte) (int, error) {
	if err := f.inject("write"); err != nil {
		return 0, f.check("write", err)
	}
	n, err := f.File.Write(p)
	return n, f.check("write", err)
}

func (f *walGuardFile) WriteAt(p []byte, off int64) (int, error) {
	if err := f.inject("write"); err != nil {
		return 0, f.check("write", err)
	}
	n, err := f.File.WriteAt(p, off)
	return n, f.check("write", err)
}

func (f *walGuardFile) Sync() error {
	if err := f.inject("sync"); err != nil {
		return f.check("sync", err)
	}
	return f.check("sync", f.File.Sync())
}

func (f *walGuardFile) SyncData() error {
	if err := f.inject("sync"); err != nil {
		return f.check("sync", err)
	}
	return f.check("sync", f.File.SyncData())
}

func (f *walGuardFile) SyncTo(length int64) (bool, error) {
	if err := f.inject("sync"); err != nil {
		return false, f.check("sync", err)
	}
	full, err := f.File.SyncTo(length)
	return full, f.check("sync", err)
}

// dirGuardFile reports failed syncs of a directory: after one, files
// created in it (log files among them) may not survive a crash.
type dirGuardFile struct {
	vfs.File
	name  string
	onErr func(error)
}

func (f *dirGuardFile) Sync() error {
	err := f.File.Sync()
	if err != nil {
		f.onErr(fmt.Errorf("sync directory %s: %w", f.name, err))
	}
	return err
}
