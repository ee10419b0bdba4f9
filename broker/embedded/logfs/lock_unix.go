//go:build unix

package logfs

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
)

// lockDir takes an exclusive advisory lock (flock) on a directory. The
// lock is released by closing the returned file, or by the kernel when the
// process dies.
func lockDir(dir string) (*os.File, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &fs.PathError{Op: "lock", Path: dir, Err: ErrLocked}
		}
		return nil, err
	}
	return f, nil
}
