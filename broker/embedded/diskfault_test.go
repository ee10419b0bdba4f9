package embedded

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/broker/embedded/logfs"
)

// diskFault is one disk failure and what the log must make of it.
type diskFault struct {
	name string
	// roll makes every append roll the active segment (1-byte segments).
	roll bool
	// interval runs the log under SyncInterval.
	interval bool
	// fail arms the fault.
	fail func(ff *logfs.FaultFS, errno syscall.Errno)
	// op runs the operation that meets the fault (default: an Append of
	// "faulted" records), calling arm just before it.
	op func(t *testing.T, l *Log, arm func()) error
	// silent: the fault hits a cache; the operation succeeds, and the
	// failure is reported through Options.Logf.
	silent bool
	// sticky: by design the partition refuses appends after this fault
	// until the log is reopened (after a failed fsync the kernel may have
	// dropped dirty pages; after a failed truncation the file's end is
	// unknown). Otherwise appends succeed again once the fault clears.
	sticky bool
	// after checks more once the fault is cleared.
	after func(t *testing.T, l *Log)
}

// onFile matches operations of the given kinds on files whose name ends
// with suffix.
func onFile(suffix string, kinds ...logfs.OpKind) func(logfs.Op) bool {
	return func(op logfs.Op) bool { return strings.HasSuffix(op.Path, suffix) && slices.Contains(kinds, op.Kind) }
}

func failOn(match func(logfs.Op) bool) func(*logfs.FaultFS, syscall.Errno) {
	return func(ff *logfs.FaultFS, errno syscall.Errno) { ff.Fail(match, errno) }
}

var faultTxn = broker.Txn{Producer: "p", Seq: 1}

var diskFaults = []diskFault{
	{name: "Append/Write", fail: failOn(onFile(logSuffix, logfs.OpWrite))},
	{name: "Append/ShortWrite", fail: func(ff *logfs.FaultFS, errno syscall.Errno) { ff.FailWritesAfter(7, errno) }},
	{name: "Append/WriteAndTruncate", fail: failOn(onFile(logSuffix, logfs.OpWrite, logfs.OpTruncate)), sticky: true},
	{name: "Append/Fsync", fail: failOn(onFile(logSuffix, logfs.OpSync)), sticky: true},
	{name: "Roll/FsyncFullSegment", roll: true, fail: failOn(onFile(logSuffix, logfs.OpSync)), sticky: true},
	{name: "Roll/CreateSegment", roll: true, fail: failOn(onFile(logSuffix, logfs.OpCreate))},
	{name: "Roll/SyncDirectory", roll: true, fail: failOn(logfs.On(logfs.OpSyncDir))},
	{name: "Roll/WriteIndex", roll: true, fail: failOn(onFile(indexSuffix+tmpSuffix, logfs.OpWrite)), silent: true},
	{name: "Roll/CreateIndex", roll: true, fail: failOn(onFile(indexSuffix+tmpSuffix, logfs.OpCreate)), silent: true},
	{name: "Roll/RenameIndex", roll: true, fail: failOn(onFile(indexSuffix+tmpSuffix, logfs.OpRename)), silent: true},
	{
		name:     "Sync/Interval",
		interval: true,
		fail:     failOn(onFile(logSuffix, logfs.OpSync)),
		op: func(t *testing.T, l *Log, arm func()) error {
			// Written, not yet durable: the failed Sync does not make it so.
			mustAppend(t, l, "t", 0, mkRecs("faulted", 2))
			arm()
			return l.Sync(context.Background())
		},
		sticky: true,
	},
	{
		name: "PrepareTxn/Fsync",
		fail: failOn(onFile(logSuffix, logfs.OpSync)),
		op: func(t *testing.T, l *Log, arm func()) error {
			if _, err := l.AppendTxn(t.Context(), faultTxn, "t", 0, mkRecs("faulted", 2)); err != nil {
				t.Fatal(err)
			}
			arm()
			return l.PrepareTxn(t.Context(), faultTxn)
		},
		sticky: true,
	},
	{
		name: "EndTxn/WriteMarker",
		fail: failOn(onFile(logSuffix, logfs.OpWrite)),
		op: func(t *testing.T, l *Log, arm func()) error {
			if _, err := l.AppendTxn(t.Context(), faultTxn, "t", 0, mkRecs("txn", 2)); err != nil {
				t.Fatal(err)
			}
			if err := l.PrepareTxn(t.Context(), faultTxn); err != nil {
				t.Fatal(err)
			}
			arm()
			return l.EndTxn(t.Context(), faultTxn, true)
		},
		after: func(t *testing.T, l *Log) {
			// EndTxn can be retried with the same decision.
			if err := l.EndTxn(t.Context(), faultTxn, true); err != nil {
				t.Fatalf("EndTxn retried after the fault: %v", err)
			}
			if got := valuesOf(readAllT(t, l, "t", 0, 0, broker.ReadCommitted)); !slices.Contains(got, "txn-v1") {
				t.Fatalf("committed records not visible after the retry: %q", got)
			}
		},
	},
	{
		name: "CommitOffsets/WriteTemp",
		fail: failOn(onFile(".json"+tmpSuffix, logfs.OpWrite)),
		op: func(t *testing.T, l *Log, arm func()) error {
			if err := l.CommitOffsets(t.Context(), "g", map[broker.TopicPartition]int64{{Topic: "t"}: 1}); err != nil {
				t.Fatal(err)
			}
			arm()
			return l.CommitOffsets(t.Context(), "g", map[broker.TopicPartition]int64{{Topic: "t"}: 2})
		},
		after: func(t *testing.T, l *Log) {
			if got, _ := l.FetchOffsets(context.Background(), "g"); got[broker.TopicPartition{Topic: "t"}] != 1 {
				t.Fatalf("offsets after a failed commit: %v, want the previous ones", got)
			}
			if err := l.CommitOffsets(t.Context(), "g", map[broker.TopicPartition]int64{{Topic: "t"}: 3}); err != nil {
				t.Fatalf("CommitOffsets after the fault: %v", err)
			}
		},
	},
	{
		name: "CreateTopic/SyncDirectory",
		fail: failOn(logfs.On(logfs.OpSyncDir)),
		op: func(t *testing.T, l *Log, arm func()) error {
			arm()
			return l.CreateTopic(t.Context(), "u", broker.TopicConfig{Partitions: 2})
		},
		after: func(t *testing.T, l *Log) {
			if err := l.CreateTopic(t.Context(), "u", broker.TopicConfig{Partitions: 2}); err != nil {
				t.Fatalf("CreateTopic after the fault: %v", err)
			}
		},
	},
}

// TestDiskFaults fails one file operation after another with ENOSPC and
// with EIO. Each time the operation reports an error wrapping both
// broker.ErrStorage and the errno (unless the fault only hits a cache),
// nothing acknowledged is lost, and once the fault clears appends succeed
// again, or, where the partition is failed by design (sticky), the log
// recovers everything acknowledged when reopened: after a process restart
// and after a power loss.
func TestDiskFaults(t *testing.T) {
	for _, c := range diskFaults {
		for _, errno := range []syscall.Errno{syscall.ENOSPC, syscall.EIO} {
			t.Run(c.name+"/"+map[syscall.Errno]string{syscall.ENOSPC: "ENOSPC", syscall.EIO: "EIO"}[errno], func(t *testing.T) {
				testDiskFault(t, c, errno)
			})
		}
	}
}

func testDiskFault(t *testing.T, c diskFault, errno syscall.Errno) {
	mem := logfs.NewMem()
	ff := logfs.NewFaultFS(mem)
	var logged []string
	opts := Options{FS: ff, RetentionCheckInterval: -1, Logf: func(format string, args ...any) {
		logged = append(logged, fmt.Sprintf(format, args...))
	}}
	if c.roll {
		opts.SegmentBytes = 1
	}
	if c.interval {
		opts.SyncPolicy, opts.SyncInterval = SyncInterval, time.Hour
	}
	l := openT(t, plDir, opts)
	mustCreate(t, l, "t", broker.TopicConfig{})
	var acked []string
	appendAcked := func(l *Log, prefix string) {
		t.Helper()
		recs := mkRecs(prefix, 2)
		mustAppend(t, l, "t", 0, recs)
		acked = append(acked, valuesOf(recs)...)
	}
	appendAcked(l, "before")
	appendAcked(l, "before2")
	if err := l.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}

	op := c.op
	if op == nil {
		op = func(t *testing.T, l *Log, arm func()) error {
			arm()
			recs := mkRecs("faulted", 2)
			_, err := l.Append(t.Context(), "t", 0, recs)
			if err == nil {
				acked = append(acked, valuesOf(recs)...)
			}
			return err
		}
	}
	err := op(t, l, func() { c.fail(ff, errno) })
	switch {
	case c.silent && err != nil:
		t.Fatalf("a fault in a cache file failed the operation: %v", err)
	case c.silent && !slices.ContainsFunc(logged, func(m string) bool { return strings.Contains(m, errno.Error()) }):
		t.Fatalf("the fault was not reported through Logf (logged: %q)", logged)
	case !c.silent && (!errors.Is(err, broker.ErrStorage) || !errors.Is(err, errno)):
		t.Fatalf("error %v, want one wrapping broker.ErrStorage and %v", err, errno)
	}
	t.Logf("error: %v", err)
	ff.Clear()

	_, err = l.Append(t.Context(), "t", 0, mkRecs("after", 2))
	switch {
	case c.sticky && !errors.Is(err, broker.ErrStorage):
		t.Fatalf("append on a partition failed by an earlier fault: %v, want ErrStorage until reopened", err)
	case !c.sticky && err != nil:
		t.Fatalf("append once the fault cleared: %v", err)
	case !c.sticky:
		if c.interval {
			if err := l.Sync(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		acked = append(acked, "after-v0", "after-v1")
	}
	checkAcked(t, l, acked)
	if c.after != nil {
		c.after(t, l)
	}
	l.crash()

	// Reopen after a process restart (the page cache survives) and after a
	// power loss (only what was fsynced survives): everything acknowledged
	// is there and the log takes appends.
	for name, fsys := range map[string]logfs.FS{"restart": mem, "power loss": mem.Crash(nil)} {
		opts.FS = fsys
		l, err := Open(plDir, opts)
		if err != nil {
			t.Fatalf("Open after the fault (%s): %v", name, err)
		}
		checkAcked(t, l, acked)
		if _, err := l.Append(t.Context(), "t", 0, mkRecs("reopened", 1)); err != nil {
			t.Fatalf("append after reopening (%s): %v", name, err)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// checkAcked checks that t-0 holds the acknowledged values, in order; any
// other record comes from an operation that failed.
func checkAcked(t *testing.T, l *Log, acked []string) {
	t.Helper()
	want := map[string]bool{}
	for _, v := range acked {
		want[v] = true
	}
	var got []string
	for _, v := range valuesOf(readAllT(t, l, "t", 0, 0, broker.ReadUncommitted)) {
		if want[v] {
			got = append(got, v)
		} else if !strings.HasPrefix(v, "faulted-") && !strings.HasPrefix(v, "txn-") {
			t.Fatalf("unexpected record %q", v)
		}
	}
	if !slices.Equal(got, acked) {
		t.Fatalf("acknowledged records\n got %q\nwant %q", got, acked)
	}
}
