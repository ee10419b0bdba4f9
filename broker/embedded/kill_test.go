package embedded

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ksqlgo/ksql/broker"
)

// The process-kill test re-executes the test binary in "child" mode
// (selected by environment variables). The child appends batches from
// several goroutines and prints one line per acknowledged batch; the parent
// SIGKILLs it after some acknowledgements, reopens the directory and checks
// that every acknowledged batch is present and intact.
const (
	killDirEnv    = "EMBEDDED_KILL_TEST_DIR"
	killPolicyEnv = "EMBEDDED_KILL_TEST_POLICY"
	killWriters   = 4
	killMaxAcks   = 200 // the parent kills the child after this many
	killBatches   = 100_000
)

// killRecords builds the deterministic content of batch b of writer w.
func killRecords(w, b int) []broker.Record {
	n := 1 + (w+b)%7
	recs := make([]broker.Record, n)
	for i := range recs {
		recs[i] = broker.Record{
			Key:       []byte(fmt.Sprintf("w%d-b%d-r%d", w, b, i)),
			Value:     bytes.Repeat([]byte{byte('a' + (w+b+i)%26)}, 10+(b*31+i*17)%300),
			Timestamp: int64(b),
		}
		if (b+i)%11 == 0 {
			recs[i].Value = nil
		}
	}
	return recs
}

// TestKillChild is the child process; it is skipped in normal runs.
func TestKillChild(t *testing.T) {
	dir := os.Getenv(killDirEnv)
	if dir == "" {
		t.Skip("helper process of TestProcessKill")
	}
	opts := Options{SegmentBytes: 32 << 10}
	if os.Getenv(killPolicyEnv) == "interval" {
		opts.SyncPolicy = SyncInterval
		opts.SyncInterval = time.Millisecond
	}
	l, err := Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.CreateTopic(t.Context(), "k", broker.TopicConfig{Partitions: 2}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	ack := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		// One write per line, so a kill never leaves half a line behind a
		// complete one.
		os.Stdout.WriteString(fmt.Sprintf(format, args...) + "\n")
	}
	var wg sync.WaitGroup
	for w := 0; w < killWriters; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := int32(w % 2)
			for b := 0; b < killBatches; b++ {
				recs := killRecords(w, b)
				if w == killWriters-1 {
					// This writer commits each batch as a transaction; it is
					// acknowledged once EndTxn returns.
					txn := broker.Txn{Producer: "w3", Seq: int64(b)}
					off, err := l.AppendTxn(t.Context(), txn, "k", p, recs)
					if err == nil {
						err = l.PrepareTxn(t.Context(), txn)
					}
					if err == nil {
						err = l.EndTxn(t.Context(), txn, true)
					}
					if err != nil {
						ack("error %v", err)
						return
					}
					ack("ack %d %d %d %d", w, b, p, off)
					continue
				}
				off, err := l.Append(t.Context(), "k", p, recs)
				if err != nil {
					ack("error %v", err)
					return
				}
				ack("ack %d %d %d %d", w, b, p, off)
			}
		}()
	}
	wg.Wait()
	ack("done")
	l.Close()
}

type killAck struct {
	w, b int
	p    int32
	off  int64
}

func TestProcessKill(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a process")
	}
	for _, policy := range []string{"always", "interval"} {
		t.Run(policy, func(t *testing.T) { runKill(t, policy) })
	}
}

func runKill(t *testing.T, policy string) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKillChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), killDirEnv+"="+dir, killPolicyEnv+"="+policy)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1024)
	go func() {
		defer close(lines)
		r := bufio.NewReader(stdout)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				// A line cut by the kill (no newline) is not an ack.
				if err != io.EOF {
					lines <- "readerror " + err.Error()
				}
				return
			}
			lines <- strings.TrimSuffix(line, "\n")
		}
	}()

	var acks []killAck
	killed, done := false, false
	deadline := time.NewTimer(2 * time.Minute)
	defer deadline.Stop()
	for open := true; open; {
		select {
		case line, ok := <-lines:
			if !ok {
				open = false
				break
			}
			switch {
			case strings.HasPrefix(line, "ack "):
				var a killAck
				if _, err := fmt.Sscanf(line, "ack %d %d %d %d", &a.w, &a.b, &a.p, &a.off); err != nil {
					t.Fatalf("bad line %q: %v", line, err)
				}
				acks = append(acks, a)
			case line == "done":
				done = true
			case strings.HasPrefix(line, "error") || strings.HasPrefix(line, "readerror"):
				t.Fatalf("child: %s", line)
			}
			if !killed && len(acks) >= killMaxAcks {
				_ = cmd.Process.Kill() // SIGKILL
				killed = true
			}
		case <-deadline.C:
			_ = cmd.Process.Kill()
			t.Fatalf("child did not produce %d acks in time (%d so far); stderr:\n%s", killMaxAcks, len(acks), stderr.String())
		}
	}
	werr := cmd.Wait()
	if done {
		t.Logf("child finished before the kill (%v)", werr)
	} else if !killed {
		t.Fatalf("child exited on its own: %v\n%s", werr, stderr.String())
	}
	t.Logf("%s: %d acknowledged batches before SIGKILL", policy, len(acks))

	l := openT(t, dir, Options{})
	ends := map[int32]int64{}
	for p := int32(0); p < 2; p++ {
		o, err := l.Offsets(context.Background(), "k", p)
		if err != nil {
			t.Fatal(err)
		}
		ends[p] = o.End
		// The whole partition decodes cleanly.
		readAllT(t, l, "k", p, o.Start, broker.ReadUncommitted)
	}
	for _, a := range acks {
		want := killRecords(a.w, a.b)
		iso := broker.ReadUncommitted
		if a.w == killWriters-1 {
			iso = broker.ReadCommitted // committed: must be visible
		}
		recs, _, err := l.Read(t.Context(), "k", a.p, a.off, broker.ReadOptions{MaxRecords: len(want), Isolation: iso})
		if err != nil {
			t.Fatalf("ack %+v: %v", a, err)
		}
		if len(recs) != len(want) {
			t.Fatalf("ack %+v: %d records, want %d (partition end %d)", a, len(recs), len(want), ends[a.p])
		}
		for i, r := range recs {
			w := want[i]
			if r.Offset != a.off+int64(i) || !bytes.Equal(r.Key, w.Key) || !bytes.Equal(r.Value, w.Value) ||
				(r.Value == nil) != (w.Value == nil) || r.Timestamp != w.Timestamp {
				t.Fatalf("ack %+v record %d: got %q=%q @%d", a, i, r.Key, r.Value, r.Offset)
			}
		}
	}
	// Appends continue after the recovered end.
	if off := mustAppend(t, l, "k", 0, mkRecs("after", 1)); off != ends[0] {
		t.Fatalf("append after recovery at %d, want %d", off, ends[0])
	}
}
