package main

import (
	"os"
	"testing"
)

// TestMain lets the test binary serve kfake too: a `-log kafka` campaign
// runs its cluster in a helper process by executing its own binary in
// serve-kfake mode, and under `go test` that binary is this one.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == serveKfakeMode {
		os.Exit(serveKfake(os.Args[2:]))
	}
	os.Exit(m.Run())
}
