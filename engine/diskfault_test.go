package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/broker/embedded/logfs"
	"github.com/ksqlgo/ksql/exec"
	"github.com/ksqlgo/ksql/state"
)

// A full or failing disk under the log while queries run: inserts get a
// clear error and are not acknowledged, queries go to ERROR and retry,
// and once the disk works again (or, after a failed fsync, once the
// server restarts) every acknowledged insert is in every output exactly
// once.
func TestDiskFaultsUnderLoad(t *testing.T) {
	cases := []struct {
		name    string
		arm     func(*logfs.FaultFS)
		errno   syscall.Errno
		restart bool // a failed fsync: the log refuses appends until reopened
	}{
		{"ENOSPC on write", func(f *logfs.FaultFS) { f.FailWritesAfter(0, syscall.ENOSPC) }, syscall.ENOSPC, false},
		{"ENOSPC mid-write", func(f *logfs.FaultFS) { f.FailWritesAfter(10, syscall.ENOSPC) }, syscall.ENOSPC, false},
		{"EIO on write", func(f *logfs.FaultFS) { f.Fail(logfs.On(logfs.OpWrite), syscall.EIO) }, syscall.EIO, false},
		{"EIO on fsync", func(f *logfs.FaultFS) { f.Fail(logfs.On(logfs.OpSync), syscall.EIO) }, syscall.EIO, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			faults := logfs.NewFaultFS(logfs.NewMem())
			stMem := state.NewMemFS()
			open := func() *Engine {
				eng, err := Open(ctx, Config{DataDir: dir, CommitInterval: 2 * time.Millisecond,
					// Every changelog update is counted: no record cache.
					Properties: map[string]string{"ksql.streams.auto.offset.reset": "earliest", PropCacheMaxBytes: "0"},
					testFS:     &testFS{log: faults, state: stMem}})
				if err != nil {
					t.Fatal(err)
				}
				return eng
			}
			eng := open()
			defer func() { eng.Close() }()
			sess := NewSession()
			if _, err := eng.Execute(ctx, powerLossDDL, sess); err != nil {
				t.Fatal(err)
			}
			acked := 0
			insert := func(id int) error {
				_, err := eng.Execute(ctx, fmt.Sprintf("INSERT INTO clicks (id, page) VALUES (%d, 'p%d');", id, id%3), sess)
				if err == nil {
					acked++
				}
				return err
			}
			id := 0
			for ; id < 30; id++ {
				if err := insert(id); err != nil {
					t.Fatal(err)
				}
			}
			// The disk fails while the queries are still at work.
			tc.arm(faults)
			err := insert(id)
			id++
			if err == nil || !errors.Is(err, tc.errno) || !strings.Contains(err.Error(), tc.errno.Error()) {
				t.Fatalf("insert on a failing disk: %v, want an error saying %q", err, tc.errno.Error())
			}
			// Queries that have output to write fail and retry.
			waitFor(t, "a query to report the failure", func() bool {
				eng.mu.Lock()
				defer eng.mu.Unlock()
				for _, q := range eng.queries {
					if st, qerr := q.State(); st == exec.StateError && qerr != nil {
						return true
					}
				}
				return false
			})
			faults.Clear()
			if tc.restart {
				if err := eng.Close(); err == nil {
					t.Log("close after a failed fsync reported no error")
				}
				eng = open()
			}
			for end := id + 20; id < end; id++ {
				if err := insert(id); err != nil {
					t.Fatalf("insert after the disk recovered: %v", err)
				}
			}
			waitFor(t, "the queries to drain", func() bool {
				for _, q := range eng.Lag(context.Background()) {
					if q.Records != 0 {
						return false
					}
				}
				return true
			})
			count := func(topic string) int {
				info, err := eng.Log().Topic(ctx, topic)
				if err != nil {
					t.Fatal(err)
				}
				n := 0
				for p := int32(0); p < info.Config.Partitions; p++ {
					recs, err := broker.ReadAll(ctx, eng.Log(), topic, p, 0, broker.ReadCommitted, 0)
					if err != nil {
						t.Fatal(err)
					}
					n += len(recs)
				}
				return n
			}
			present := count("clicks")
			if present < acked {
				t.Fatalf("%d inserts acknowledged, %d present", acked, present)
			}
			if got := count("COPIED"); got != present {
				t.Fatalf("COPIED has %d records for %d inputs", got, present)
			}
			if got := count("PER_PAGE"); got != present {
				t.Fatalf("PER_PAGE has %d updates for %d inputs", got, present)
			}
		})
	}
}
