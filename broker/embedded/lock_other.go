//go:build !unix

package embedded

import "os"

// lockDir is a no-op where flock is unavailable; the caller must not open
// one directory twice.
func lockDir(dir string) (*os.File, error) {
	return os.Open(dir)
}
