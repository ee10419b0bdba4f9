package embedded

import (
	"context"
	"errors"
	"github.com/ksqlgo/ksql/broker/brokertest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/broker/embedded/logfs"
)

// TestCrashMidTransaction: a prepared transaction survives a crash as in
// doubt, invisible and holding back the stable offset, until its owner
// resolves it; the resolution survives further crashes.
func TestCrashMidTransaction(t *testing.T) {
	for _, commit := range []bool{true, false} {
		name := map[bool]string{true: "Commit", false: "Abort"}[commit]
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			opts := Options{SegmentBytes: 120}
			l := openT(t, dir, opts)
			mustCreate(t, l, "t", broker.TopicConfig{Partitions: 2})
			mustCreate(t, l, "u", broker.TopicConfig{})
			txn := broker.Txn{Producer: "query-1-task-0", Seq: 9}
			mustAppend(t, l, "t", 0, mkRecs("pre", 2))
			for i := 0; i < 3; i++ {
				if _, err := l.AppendTxn(t.Context(), txn, "t", int32(i%2), mkRecs("txn"+itoa(int32(i)), 4)); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := l.AppendTxn(t.Context(), txn, "u", 0, mkRecs("u", 1)); err != nil {
				t.Fatal(err)
			}
			if err := l.PrepareTxn(t.Context(), txn); err != nil {
				t.Fatal(err)
			}
			// A plain append after the txn: durable, but not yet stable.
			mustAppend(t, l, "t", 0, mkRecs("post", 2))
			l.crash()

			l = openT(t, dir, opts)
			if d := brokertest.InDoubt(t, l); len(d) != 1 || d[0] != txn {
				t.Fatalf("InDoubt = %v, want [%v] (deduplicated across partitions)", d, txn)
			}
			if o, _ := l.Offsets(context.Background(), "t", 0); o.Stable != 2 || o.End != 2+8+2 {
				t.Fatalf("Offsets %+v, want Stable 2 End 12", o)
			}
			if got := valuesOf(readAllT(t, l, "t", 0, 0, broker.ReadCommitted)); strings.Join(got, ",") != "pre-v0,pre-v1" {
				t.Fatalf("in doubt: ReadCommitted %q", got)
			}
			if got := readAllT(t, l, "t", 0, 0, broker.ReadUncommitted); len(got) != 12 {
				t.Fatalf("in doubt: ReadUncommitted %d records, want 12", len(got))
			}
			if err := l.EndTxn(t.Context(), txn, commit); err != nil {
				t.Fatal(err)
			}
			if d := brokertest.InDoubt(t, l); len(d) != 0 {
				t.Fatalf("InDoubt after EndTxn = %v", d)
			}
			check := func(when string) {
				t.Helper()
				got := valuesOf(readAllT(t, l, "t", 0, 0, broker.ReadCommitted))
				gotU := valuesOf(readAllT(t, l, "u", 0, 0, broker.ReadCommitted))
				want, wantU := 2+2, 0
				if commit {
					want, wantU = 2+8+2, 1
				}
				if len(got) != want || got[len(got)-1] != "post-v1" || len(gotU) != wantU {
					t.Fatalf("%s: t-0 %q, u-0 %q", when, got, gotU)
				}
				if commit && got[2] != "txn0-v0" {
					t.Fatalf("%s: order %q", when, got)
				}
			}
			check("after EndTxn")
			// The marker is not fsynced by EndTxn, but a crash of the process
			// keeps it (it is in the page cache).
			l.crash()
			l = openT(t, dir, opts)
			if d := brokertest.InDoubt(t, l); len(d) != 0 {
				t.Fatalf("InDoubt after crash following EndTxn = %v", d)
			}
			check("after crash")
			l.Close()
			// Sealed segments are now loaded from index files; without them
			// they are rescanned. Both give the same view.
			l = openT(t, dir, opts)
			check("after reopen")
			l.Close()
			removeIndexes(t, dir)
			l = openT(t, dir, opts)
			check("after reopen without index files")
		})
	}
}

func removeIndexes(t *testing.T, dir string) {
	t.Helper()
	n := 0
	err := filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err == nil && strings.HasSuffix(path, indexSuffix) {
			n++
			return os.Remove(path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("no index files")
	}
}

// TestUnpreparedTxnAfterCrash: a txn that was appended but neither prepared
// nor ended is also in doubt after a crash (its batches were written).
func TestUnpreparedTxnAfterCrash(t *testing.T) {
	dir := t.TempDir()
	l := openT(t, dir, Options{})
	mustCreate(t, l, "t", broker.TopicConfig{})
	a := broker.Txn{Producer: "a", Seq: 1}
	b := broker.Txn{Producer: "b", Seq: 1}
	if _, err := l.AppendTxn(t.Context(), a, "t", 0, mkRecs("a", 1)); err != nil {
		t.Fatal(err)
	}
	if _, err := l.AppendTxn(t.Context(), b, "t", 0, mkRecs("b", 1)); err != nil {
		t.Fatal(err)
	}
	if err := l.EndTxn(t.Context(), b, true); err != nil {
		t.Fatal(err)
	}
	l.crash()
	l = openT(t, dir, Options{})
	if d := brokertest.InDoubt(t, l); len(d) != 1 || d[0] != a {
		t.Fatalf("InDoubt = %v, want [%v]", d, a)
	}
	// b is committed but behind a's batch: not visible until a resolves.
	if got := readAllT(t, l, "t", 0, 0, broker.ReadCommitted); len(got) != 0 {
		t.Fatalf("visible behind an in-doubt txn: %q", valuesOf(got))
	}
	if err := l.EndTxn(t.Context(), a, false); err != nil {
		t.Fatal(err)
	}
	if got := valuesOf(readAllT(t, l, "t", 0, 0, broker.ReadCommitted)); strings.Join(got, ",") != "b-v0" {
		t.Fatalf("after abort of a: %q", got)
	}
	// The decision for b is remembered: the opposite decision is refused.
	if err := l.EndTxn(t.Context(), b, false); !errors.Is(err, broker.ErrTxnState) {
		t.Fatalf("aborting a committed txn: %v, want ErrTxnState", err)
	}
	if err := l.EndTxn(t.Context(), a, true); !errors.Is(err, broker.ErrTxnState) {
		t.Fatalf("committing an aborted txn: %v, want ErrTxnState", err)
	}
	if err := l.EndTxn(t.Context(), a, false); err != nil {
		t.Fatalf("aborting twice: %v", err)
	}
}

func TestTxnErrors(t *testing.T) {
	l := openT(t, t.TempDir(), Options{})
	mustCreate(t, l, "t", broker.TopicConfig{})
	if _, err := l.AppendTxn(t.Context(), broker.Txn{Seq: 1}, "t", 0, mkRecs("a", 1)); !errors.Is(err, broker.ErrTxnState) {
		t.Fatalf("AppendTxn without producer: %v, want ErrTxnState", err)
	}
	// An empty append registers nothing.
	txn := broker.Txn{Producer: "p", Seq: 1}
	if off, err := l.AppendTxn(t.Context(), txn, "t", 0, nil); err != nil || off != 0 {
		t.Fatalf("empty AppendTxn: %d, %v", off, err)
	}
	if o, _ := l.Offsets(context.Background(), "t", 0); o.End != 0 || o.Stable != 0 {
		t.Fatalf("Offsets after empty AppendTxn %+v", o)
	}
}

// TestTxnAcrossSegments: aborted ranges and pending txns whose batches lie
// in sealed segments are rebuilt from index files and from rescans.
func TestTxnAcrossSegments(t *testing.T) {
	dir := t.TempDir()
	opts := Options{SegmentBytes: 256, IndexIntervalBytes: 32}
	l := openT(t, dir, opts)
	mustCreate(t, l, "t", broker.TopicConfig{})
	aborted := broker.Txn{Producer: "p", Seq: 1}
	open := broker.Txn{Producer: "q", Seq: 1}
	var want []string
	for i := 0; i < 20; i++ {
		switch i {
		case 3, 7:
			if _, err := l.AppendTxn(t.Context(), aborted, "t", 0, mkRecs("ab", 3)); err != nil {
				t.Fatal(err)
			}
		case 15:
			if _, err := l.AppendTxn(t.Context(), open, "t", 0, mkRecs("open", 2)); err != nil {
				t.Fatal(err)
			}
		default:
			recs := mkRecs("r"+itoa(int32(i)), 2)
			mustAppend(t, l, "t", 0, recs)
			if i < 15 {
				want = append(want, valuesOf(recs)...)
			}
		}
		if i == 10 {
			if err := l.EndTxn(t.Context(), aborted, false); err != nil {
				t.Fatal(err)
			}
		}
	}
	p, _ := l.partition("t", 0)
	if len(p.segs) < 5 {
		t.Fatalf("only %d segments", len(p.segs))
	}
	check := func(when string) {
		t.Helper()
		got := valuesOf(readAllT(t, l, "t", 0, 0, broker.ReadCommitted))
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("%s: ReadCommitted\n got %q\nwant %q", when, got, want)
		}
		// Reading from every offset gives a suffix of the same view.
		o, _ := l.Offsets(context.Background(), "t", 0)
		for off := o.Start; off <= o.Stable; off++ {
			recs, next, err := l.Read(t.Context(), "t", 0, off, broker.ReadOptions{MaxRecords: 2})
			if err != nil {
				t.Fatalf("%s: Read @%d: %v", when, off, err)
			}
			if next < off || next > o.Stable || (len(recs) > 0 && recs[0].Offset < off) {
				t.Fatalf("%s: Read @%d: next %d, first %v", when, off, next, recs)
			}
			for _, r := range recs {
				if strings.HasPrefix(string(r.Value), "ab") || strings.HasPrefix(string(r.Value), "open") {
					t.Fatalf("%s: Read @%d returned %q", when, off, r.Value)
				}
			}
		}
		if d := brokertest.InDoubt(t, l); when != "live" && (len(d) != 1 || d[0] != open) {
			t.Fatalf("%s: InDoubt %v", when, d)
		}
	}
	check("live")
	l.Close()
	l = openT(t, dir, opts)
	check("reopened")
	l.Close()
	removeIndexes(t, dir)
	l = openT(t, dir, opts)
	check("reopened without index")
	if err := l.EndTxn(t.Context(), open, true); err != nil {
		t.Fatal(err)
	}
	got := valuesOf(readAllT(t, l, "t", 0, 0, broker.ReadCommitted))
	if len(got) != len(want)+2+8 {
		t.Fatalf("after commit: %d records, want %d", len(got), len(want)+10)
	}
}

// TestReadSkipsLongAbortedStretch: a ReadCommitted read over a long run of
// aborted data makes progress (next advances) without returning records.
func TestReadSkipsLongAbortedStretch(t *testing.T) {
	l := openT(t, t.TempDir(), Options{SegmentBytes: 1 << 16})
	mustCreate(t, l, "t", broker.TopicConfig{})
	txn := broker.Txn{Producer: "p", Seq: 1}
	for i := 0; i < 200; i++ {
		if _, err := l.AppendTxn(t.Context(), txn, "t", 0, mkRecs("x", 50)); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.EndTxn(t.Context(), txn, false); err != nil {
		t.Fatal(err)
	}
	last := mustAppend(t, l, "t", 0, mkRecs("ok", 1))
	recs := readAllT(t, l, "t", 0, 0, broker.ReadCommitted)
	if len(recs) != 1 || recs[0].Offset != last {
		t.Fatalf("got %d records", len(recs))
	}
}

// A data directory written by a writer that reused an aborted sequence
// number (as the engine could before format 2): batches of (P, 2) after
// the abort marker of (P, 2), then a crash. The batches are a new
// transaction; ending it with commit must work, not fail forever with
// "already ended with commit=false".
func TestReusedSeqAfterAbortIsANewTransaction(t *testing.T) {
	dir := t.TempDir()
	l := openT(t, dir, Options{})
	mustCreate(t, l, "t", broker.TopicConfig{Partitions: 2})
	txn := broker.Txn{Producer: "q/0/0", Seq: 2}
	for p := int32(0); p < 2; p++ {
		if _, err := l.AppendTxn(t.Context(), txn, "t", p, mkRecs("old", 1)); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.EndTxn(t.Context(), txn, false); err != nil {
		t.Fatal(err)
	}
	// The reuse touches only partition 0: partition 1 keeps the old marker
	// as its producer's last decision.
	if _, err := l.AppendTxn(t.Context(), txn, "t", 0, mkRecs("new", 2)); err != nil {
		t.Fatal(err)
	}
	if err := l.PrepareTxn(t.Context(), txn); err != nil {
		t.Fatal(err)
	}
	l.crash()

	l = openT(t, dir, Options{})
	if d := brokertest.InDoubt(t, l); len(d) != 1 || d[0] != txn {
		t.Fatalf("InDoubt = %v, want [%v]", d, txn)
	}
	if err := l.EndTxn(t.Context(), txn, true); err != nil {
		t.Fatalf("committing the new transaction: %v", err)
	}
	if got := valuesOf(readAllT(t, l, "t", 0, 0, broker.ReadCommitted)); strings.Join(got, ",") != "new-v0,new-v1" {
		t.Fatalf("ReadCommitted %q, want the new transaction's records only", got)
	}
	// A contradicting decision on a transaction with nothing unresolved is
	// still refused.
	if err := l.EndTxn(t.Context(), txn, false); !errors.Is(err, broker.ErrTxnState) {
		t.Fatalf("contradicting EndTxn: %v, want ErrTxnState", err)
	}
}

// An abort is durable when EndTxn returns (I2 in ARCHITECTURE.md): a power
// failure right after it keeps the transaction aborted, not in doubt,
// even when nothing else was synced since. A lost abort marker would let
// the owner's later commits decide the transaction the wrong way.
func TestAbortMarkerSurvivesPowerLoss(t *testing.T) {
	mem := logfs.NewMem()
	opts := Options{FS: mem, SyncPolicy: SyncInterval, SyncInterval: time.Hour}
	l := openT(t, "/data", opts)
	mustCreate(t, l, "t", broker.TopicConfig{Partitions: 1})
	txn := broker.Txn{Producer: "q/0/0", Seq: 4}
	if _, err := l.AppendTxn(t.Context(), txn, "t", 0, mkRecs("x", 3)); err != nil {
		t.Fatal(err)
	}
	if err := l.PrepareTxn(t.Context(), txn); err != nil {
		t.Fatal(err)
	}
	if err := l.EndTxn(t.Context(), txn, false); err != nil {
		t.Fatal(err)
	}
	img := mem.Crash(nil) // only what was synced
	l.crash()
	opts.FS = img
	l = openT(t, "/data", opts)
	if d := brokertest.InDoubt(t, l); len(d) != 0 {
		t.Fatalf("after power loss the aborted transaction is in doubt again: %v", d)
	}
	if got := readAllT(t, l, "t", 0, 0, broker.ReadCommitted); len(got) != 0 {
		t.Fatalf("ReadCommitted shows %d aborted records", len(got))
	}
}
