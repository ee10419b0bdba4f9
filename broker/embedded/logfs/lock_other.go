//go:build !unix

package logfs

import "os"

// lockDir does not lock where flock is unavailable; the caller must not
// open one directory twice.
func lockDir(dir string) (*os.File, error) {
	return os.Open(dir)
}
