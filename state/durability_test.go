package state

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// childDirEnv tells a re-executed test binary to act as the crash child of
// TestKill9Durability, writing into the named directory.
const childDirEnv = "STATE_KILL9_CHILD_DIR"

const (
	childMaxBatches = 1_000_000 // the child's loop is bounded...
	childMaxRuntime = 2 * time.Minute
	keysPerBatch    = 3
	wantAcks        = 200 // ...and the parent kills it after this many acks
)

func batchKey(batch, i int) []byte {
	return binary.BigEndian.AppendUint64([]byte("kill9/"), uint64(batch)*keysPerBatch+uint64(i))
}

func batchValue(batch, i int) []byte {
	return fmt.Appendf(nil, "batch %d key %d %s", batch, i, strings.Repeat("x", 200))
}

// TestKill9Child is the body of the child process; it does nothing in a
// normal test run.
func TestKill9Child(t *testing.T) {
	dir := os.Getenv(childDirEnv)
	if dir == "" {
		t.Skip("helper process for TestKill9Durability")
	}
	db, err := Open(dir, Options{})
	if err != nil {
		fmt.Println("open error:", err)
		os.Exit(2)
	}
	deadline := time.Now().Add(childMaxRuntime) // in case the parent died
	for n := 0; n < childMaxBatches && time.Now().Before(deadline); n++ {
		b := db.NewBatch()
		for i := range keysPerBatch {
			b.Set(batchKey(n, i), batchValue(n, i))
		}
		if err := b.Commit(true); err != nil {
			fmt.Println("commit error:", err)
			os.Exit(2)
		}
		// Acknowledge only after Commit(sync=true) returned.
		fmt.Printf("ack %d\n", n)
	}
	_ = db.Close()
}

// TestKill9Durability runs a child process that commits batches with
// sync=true and acknowledges each one on stdout, SIGKILLs it mid-stream,
// and checks that every acknowledged batch survived.
func TestKill9Durability(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	if os.Getenv(childDirEnv) != "" {
		t.Skip("in the child")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKill9Child$", "-test.count=1")
	cmd.Env = append(os.Environ(), childDirEnv+"="+dir)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	defer func() {
		if !killed {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	}()

	// Read acks in the background; the channel closes at EOF.
	acks := make(chan int, 1024)
	other := make(chan string, 16)
	go func() {
		defer close(acks)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			if n, ok := strings.CutPrefix(line, "ack "); ok {
				if v, err := strconv.Atoi(n); err == nil {
					acks <- v
					continue
				}
			}
			select {
			case other <- line:
			default:
			}
		}
	}()

	maxAck := -1
	count := 0
	record := func(n int) {
		if n != maxAck+1 {
			t.Errorf("ack %d out of sequence after %d", n, maxAck)
		}
		maxAck = n
		count++
	}
	timeout := time.NewTimer(60 * time.Second)
	defer timeout.Stop()
wait:
	for count < wantAcks {
		select {
		case n, ok := <-acks:
			if !ok {
				break wait // the child exited early; check what it acked
			}
			record(n)
		case line := <-other:
			t.Logf("child: %s", line)
		case <-timeout.C:
			t.Fatalf("only %d acks from the child before the deadline", count)
		}
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	// Acks already written to the pipe before the kill count too.
	for n := range acks {
		record(n)
	}
	werr := cmd.Wait()
	killed = true
	t.Logf("child stopped (%v) after %d acknowledged batches", werr, count)
	if count == 0 {
		t.Fatal("no batch acknowledged")
	}

	db, err := Open(dir, Options{Logger: testLogger{t}})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for n := 0; n <= maxAck; n++ {
		for i := range keysPerBatch {
			v, ok, err := db.Get(batchKey(n, i))
			if err != nil {
				t.Fatal(err)
			}
			if !ok || string(v) != string(batchValue(n, i)) {
				t.Fatalf("acknowledged batch %d lost key %d (present=%v)", n, i, ok)
			}
		}
	}
	// Whatever survived beyond the last ack is a prefix of the commit order
	// with whole batches only.
	it, err := db.NewIter([]byte("kill9/"), PrefixEnd([]byte("kill9/")))
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for ok := it.First(); ok; ok = it.Next() {
		k := it.Key()[len("kill9/"):]
		if len(k) != 8 || binary.BigEndian.Uint64(k) != uint64(total) {
			t.Fatalf("recovered key #%d is %x: the recovered commits are not a prefix", total, k)
		}
		total++
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
	if total%keysPerBatch != 0 || total < (maxAck+1)*keysPerBatch {
		t.Fatalf("%d keys recovered: not whole batches covering the %d acked", total, maxAck+1)
	}
	t.Logf("recovered %d batches (%d acknowledged)", total/keysPerBatch, maxAck+1)
}
