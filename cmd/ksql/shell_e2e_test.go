package main

import (
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
)

// terminal drives a ksql shell through a pseudo-terminal.
type terminal struct {
	t    *testing.T
	cmd  *exec.Cmd
	pty  *os.File
	mu   sync.Mutex
	out  strings.Builder
	seen int // output consumed by expect
	done chan struct{}
}

func startTerminal(t *testing.T, dir string, args ...string) *terminal {
	t.Helper()
	cmd := exec.Command(ksqlBinary, args...)
	cmd.Dir = dir
	// An address where nothing listens stands for "no server at
	// localhost:8088", whatever runs on this machine.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	cmd.Env = append(os.Environ(), "HOME="+dir, "TERM=xterm", "KSQL_DEFAULT_SERVER="+closed)
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 50, Cols: 100})
	if err != nil {
		t.Fatal(err)
	}
	term := &terminal{t: t, cmd: cmd, pty: f, done: make(chan struct{})}
	go func() {
		defer close(term.done)
		buf := make([]byte, 4096)
		for {
			n, err := f.Read(buf)
			term.mu.Lock()
			term.out.Write(buf[:n])
			term.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		f.Close()
		if t.Failed() {
			t.Logf("terminal output:\n%s", term.all())
		}
	})
	return term
}

func (term *terminal) all() string {
	term.mu.Lock()
	defer term.mu.Unlock()
	return term.out.String()
}

// expect waits until one of wants appears after what earlier expects
// consumed and returns its index; -1 only when the deadline passes.
func (term *terminal) expect(wants ...string) int {
	term.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		term.mu.Lock()
		s := term.out.String()[term.seen:]
		best, bestAt := -1, len(s)
		for i, w := range wants {
			if at := strings.Index(s, w); at >= 0 && at < bestAt {
				best, bestAt = i, at
			}
		}
		if best >= 0 {
			term.seen += bestAt + len(wants[best])
			term.mu.Unlock()
			return best
		}
		term.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
	term.t.Fatalf("no %q in the output within 60s", wants)
	return -1
}

func (term *terminal) send(s string) {
	term.t.Helper()
	if _, err := io.WriteString(term.pty, s); err != nil {
		term.t.Fatal(err)
	}
}

const notSupported = "not supported"

// runSession is the scenario both tests run: CREATE, INSERT VALUES, a
// push query interrupted with CTRL-C, PRINT interrupted with CTRL-C, a
// pull query, exit.
func runSession(t *testing.T, term *terminal) {
	term.expect("ksql> ")
	term.send("CREATE STREAM riders (id INT KEY, name STRING)\r")
	term.expect(">")
	term.send("  WITH (kafka_topic='riders', value_format='JSON', partitions=1);\r")
	term.expect("Stream created")
	term.expect("ksql> ")
	term.send("INSERT INTO riders (id, name) VALUES (1, 'ann');\r")
	term.expect("ksql> ")
	term.send("SET 'auto.offset.reset'='earliest';\r")
	term.expect("Successfully changed local property 'auto.offset.reset' to 'earliest'.")
	term.expect("ksql> ")

	term.send("SELECT * FROM riders EMIT CHANGES;\r")
	switch term.expect("Press CTRL-C to interrupt", notSupported) {
	case 0:
		term.expect("|ID ")
		term.expect("|1 ")
		term.expect("|ann ")
		term.send("\x03")
		term.expect("Query terminated")
		term.expect("ksql> ")
	case 1:
		t.Log("push queries: the server answers \"not supported\"; that step is skipped until the engine serves them")
		term.expect("ksql> ")
	}

	// PRINT: the server's text lines, until CTRL-C.
	term.send("PRINT riders FROM BEGINNING;\r")
	term.expect("Press CTRL-C to interrupt")
	term.expect("Key format: ")
	term.expect("Value format: ")
	term.expect(`rowtime: `)
	term.expect(`key: 1, value: {"NAME":"ann"}, partition: 0`)
	term.send("\x03")
	term.expect("Topic printing ceased")
	term.expect("ksql> ")

	term.send("CREATE TABLE ride_counts AS SELECT id, COUNT(*) AS n FROM riders GROUP BY id;\r")
	term.expect("Created query with ID")
	term.expect("ksql> ")
	// The table's query may need a moment to count the row: ask again
	// (bounded) until the pull query sees it.
	for i := 0; ; i++ {
		term.send("SELECT * FROM ride_counts WHERE id = 1;\r")
		got := term.expect("|1 ", notSupported, "Query terminated")
		if got == 1 {
			t.Log("pull queries: the server answers \"not supported\"; that step is skipped until the engine serves them")
			term.expect("ksql> ")
			break
		}
		if got == 0 {
			term.expect("Query terminated")
			term.expect("ksql> ")
			break
		}
		term.expect("ksql> ")
		if i == 100 {
			t.Fatal("the pull query never returned the row")
		}
		time.Sleep(100 * time.Millisecond)
	}

	term.send("exit\r")
	term.expect("Exiting ksqlDB.")
	select {
	case <-term.done:
	case <-time.After(60 * time.Second):
		t.Fatal("the shell did not exit")
	}
}

// `ksql` alone: nothing answers at the default address, so the shell
// starts the engine in-process on ./ksql-data and talks to it over REST.
func TestShellEmbeddedThroughPTY(t *testing.T) {
	dir := t.TempDir()
	term := startTerminal(t, dir)
	term.expect("started the engine in-process on ./ksql-data")
	term.expect("Having trouble? Type 'help'")
	runSession(t, term)
	if _, err := os.Stat(filepath.Join(dir, "ksql-data", "log")); err != nil {
		t.Errorf("no ./ksql-data/log: %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, ".ksql-history")); err != nil || !strings.Contains(string(b), "INSERT INTO riders") {
		t.Errorf("history file: %v %q", err, b)
	}
}

// `ksql http://127.0.0.1:PORT` against a running `ksql server`.
func TestShellAgainstServerThroughPTY(t *testing.T) {
	dir := t.TempDir()
	srv := launch(t, exec.Command(ksqlBinary, "server", "--data-dir", filepath.Join(dir, "data"), "--listen", "127.0.0.1:0", "--kafka-listen", ""))
	url := "http://" + srv.addr
	term := startTerminal(t, dir, url)
	term.expect("located at " + url)
	term.expect("Server Status: RUNNING")
	runSession(t, term)
}

// -e runs statements without a prompt and exits non-zero on a failure.
func TestShellExecuteFlag(t *testing.T) {
	dir := t.TempDir()
	srv := launch(t, exec.Command(ksqlBinary, "server", "--data-dir", filepath.Join(dir, "data"), "--listen", "127.0.0.1:0", "--kafka-listen", ""))
	out, err := exec.Command(ksqlBinary, "http://"+srv.addr, "-e", "CREATE STREAM s (id INT KEY, v STRING) WITH (kafka_topic='s', value_format='JSON', partitions=1); SHOW STREAMS;").CombinedOutput()
	if err != nil || !strings.Contains(string(out), " Stream created ") || !strings.Contains(string(out), " Stream Name ") {
		t.Fatalf("%v\n%s", err, out)
	}
	out, err = exec.Command(ksqlBinary, "http://"+srv.addr, "--output", "JSON", "-e", "DESCRIBE nosuch;").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "NOSUCH") {
		t.Fatalf("a failing statement: %v\n%s", err, out)
	}
}
