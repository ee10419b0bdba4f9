package kafkaproto_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/broker/embedded"
	"github.com/ksqlgo/ksql/broker/kafkaproto"
)

// Interop with Kafka clients nobody here wrote: kcat and Python's
// confluent-kafka (both librdkafka, Debian's kcat and
// python3-confluent-kafka, which .ci/run installs). Without them the
// tests fail, unless KSQL_SKIP_KAFKA_INTEROP is set.

func needTool(t *testing.T, what string, ok bool) {
	t.Helper()
	if ok {
		return
	}
	if os.Getenv("KSQL_SKIP_KAFKA_INTEROP") != "" {
		t.Skipf("%s missing; KSQL_SKIP_KAFKA_INTEROP is set", what)
	}
	t.Fatalf("%s is missing: install Debian's kcat and python3-confluent-kafka (.ci/run does), or set KSQL_SKIP_KAFKA_INTEROP", what)
}

func kcatPath(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("kcat")
	needTool(t, "kcat", err == nil)
	return p
}

// debianPython is Debian's python3, where python3-confluent-kafka
// installs (another python3 may come first on PATH).
func debianPython(t *testing.T) string {
	t.Helper()
	const py = "/usr/bin/python3"
	err := exec.Command(py, "-c", "import confluent_kafka").Run()
	needTool(t, "/usr/bin/python3 with confluent_kafka", err == nil)
	return py
}

// dirBroker serves the embedded log in dir until stop; it can be started
// again on the same directory (a restart).
type dirBroker struct {
	log  *embedded.Log
	addr string
	stop func()
}

func serveDir(t *testing.T, dir string) *dirBroker {
	t.Helper()
	l, err := embedded.Open(dir, embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// No initial rebalance delay: the clients' waits are short.
	srv := kafkaproto.NewServer(l, kafkaproto.Config{Logf: t.Logf, GroupInitialRebalanceDelay: -1})
	if err := srv.Listen("127.0.0.1:0"); err != nil {
		l.Close()
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(context.Background()) }()
	b := &dirBroker{log: l, addr: srv.Addr().String()}
	stopped := false
	b.stop = func() {
		if stopped {
			return
		}
		stopped = true
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
		if err := l.Close(); err != nil {
			t.Errorf("log Close: %v", err)
		}
	}
	t.Cleanup(b.stop)
	return b
}

// run runs a client command with a bounded time and returns its stdout.
func run(t *testing.T, stdin string, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\nstderr:\n%s\nstdout:\n%s", filepath.Base(name), strings.Join(args, " "), err, errb.String(), out.String())
	}
	return out.String()
}

func createTopic(t *testing.T, l broker.Log, name string, partitions int32) {
	t.Helper()
	if err := l.CreateTopic(context.Background(), name, broker.TopicConfig{Partitions: partitions}); err != nil {
		t.Fatal(err)
	}
}

// kcatLines reads a whole topic with kcat as "partition offset key value
// headers" lines, sorted.
func kcatLines(t *testing.T, kcat, addr, topic string, extra ...string) []string {
	t.Helper()
	args := append([]string{"-b", addr, "-C", "-t", topic, "-o", "beginning", "-e", "-q", "-f", `%p %o %k %s %h\n`}, extra...)
	out := run(t, "", kcat, args...)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) == 1 && lines[0] == "" {
		lines = nil
	}
	slices.Sort(lines)
	return lines
}

// TestKcatEachCodec produces with kcat in every codec librdkafka has and
// reads back with kcat and through the log.
func TestKcatEachCodec(t *testing.T) {
	kcat := kcatPath(t)
	b := serveDir(t, t.TempDir())
	for _, codec := range []string{"none", "gzip", "snappy", "lz4", "zstd"} {
		t.Run(codec, func(t *testing.T) {
			topic := "kcat-" + codec
			createTopic(t, b.log, topic, 1)
			var in strings.Builder
			for i := range 50 {
				fmt.Fprintf(&in, "k%d:%s-value-%d-%s\n", i%4, codec, i, strings.Repeat("x", i))
			}
			run(t, in.String(), kcat, "-b", b.addr, "-P", "-t", topic, "-K:", "-z", codec, "-H", "src=kcat")
			lines := kcatLines(t, kcat, b.addr, topic)
			if len(lines) != 50 {
				t.Fatalf("kcat read %d records, want 50:\n%s", len(lines), strings.Join(lines, "\n"))
			}
			recs, err := broker.ReadAll(context.Background(), b.log, topic, 0, 0, broker.ReadCommitted, 0)
			if err != nil || len(recs) != 50 {
				t.Fatalf("log has %d records (%v), want 50", len(recs), err)
			}
			for i, r := range recs {
				want := fmt.Sprintf("%s-value-%d-%s", codec, i, strings.Repeat("x", i))
				if string(r.Key) != fmt.Sprintf("k%d", i%4) || string(r.Value) != want || len(r.Headers) != 1 || r.Headers[0].Key != "src" || string(r.Headers[0].Value) != "kcat" {
					t.Fatalf("record %d = %q=%q %v, want k%d=%q src=kcat", i, r.Key, r.Value, r.Headers, i%4, want)
				}
			}
		})
	}
}

type pyRecord struct {
	P int32      `json:"p"`
	O int64      `json:"o"`
	K string     `json:"k"`
	V string     `json:"v"`
	H [][]string `json:"h"`
}

func pyRun(t *testing.T, py, addr string, args ...string) []pyRecord {
	t.Helper()
	out := run(t, "", py, append([]string{filepath.Join("testdata", "interop.py"), addr}, args...)...)
	var res struct {
		Records []pyRecord `json:"records"`
	}
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &res); err != nil {
		t.Fatalf("interop.py %v: output %q: %v", args, out, err)
	}
	return res.Records
}

func pyValues(recs []pyRecord) []string {
	var out []string
	for _, r := range recs {
		out = append(out, r.V)
	}
	slices.Sort(out)
	return out
}

func seq(prefix string, from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("%s-%d", prefix, i))
	}
	slices.Sort(out)
	return out
}

// TestPythonProduceGroupRestart produces with confluent-kafka in every
// codec (acks=all), consumes part in a group and commits, restarts the
// server, and consumes the rest from the committed position; kcat then
// reads the same records.
func TestPythonProduceGroupRestart(t *testing.T) {
	py := debianPython(t)
	kcat := kcatPath(t)
	dir := t.TempDir()
	b := serveDir(t, dir)
	const topic = "py-events"
	createTopic(t, b.log, topic, 3)
	var all []string
	for _, codec := range []string{"none", "gzip", "snappy", "lz4", "zstd"} {
		pyRun(t, py, b.addr, "produce", topic, "20", "py-"+codec, codec, "false")
		all = append(all, seq("py-"+codec, 0, 20)...)
	}
	slices.Sort(all)
	first := pyRun(t, py, b.addr, "consume", topic, "g1", "100")
	if got := pyValues(first); !slices.Equal(got, all) {
		t.Fatalf("group consumer read %d records, want the 100 produced: %v", len(got), got)
	}
	for _, r := range first {
		if len(r.H) != 1 || r.H[0][0] != "h" {
			t.Fatalf("record %+v lost its header", r)
		}
	}

	b.stop()
	b = serveDir(t, dir)
	pyRun(t, py, b.addr, "produce", topic, "10", "after", "lz4", "false")
	second := pyRun(t, py, b.addr, "drain", topic, "g1")
	if got, want := pyValues(second), seq("after", 0, 10); !slices.Equal(got, want) {
		t.Fatalf("after the restart the group read %v, want only the 10 new records %v", got, want)
	}
	if n := len(kcatLines(t, kcat, b.addr, topic)); n != 110 {
		t.Fatalf("kcat read %d records, want 110", n)
	}
}

// TestKcatGroupCommitRestart consumes in a group with kcat (-G), which
// commits what it read, and reads only new records after a restart.
func TestKcatGroupCommitRestart(t *testing.T) {
	kcat := kcatPath(t)
	dir := t.TempDir()
	b := serveDir(t, dir)
	const topic = "kcat-group"
	createTopic(t, b.log, topic, 2)
	produce := func(addr, prefix string, n int) {
		var in strings.Builder
		for i := range n {
			fmt.Fprintf(&in, "k%d:%s-%d\n", i, prefix, i)
		}
		run(t, in.String(), kcat, "-b", addr, "-P", "-t", topic, "-K:", "-z", "snappy")
	}
	group := func(addr string) []string {
		// No -o: kcat -G resumes at the group's commits (-o beginning
		// would start every partition from the beginning).
		out := run(t, "", kcat, "-b", addr, "-G", "kg", topic, "-e", "-q", "-f", `%s\n`,
			"-X", "auto.offset.reset=earliest", "-X", "isolation.level=read_committed")
		lines := strings.Fields(out)
		slices.Sort(lines)
		return lines
	}
	produce(b.addr, "before", 20)
	if got, want := group(b.addr), seq("before", 0, 20); !slices.Equal(got, want) {
		t.Fatalf("kcat -G read %v, want %v", got, want)
	}
	b.stop()
	b = serveDir(t, dir)
	produce(b.addr, "after", 7)
	if got, want := group(b.addr), seq("after", 0, 7); !slices.Equal(got, want) {
		t.Fatalf("after the restart kcat -G read %v, want only %v", got, want)
	}
}

// TestPythonIdempotentAndTransactions: confluent-kafka's idempotent
// producer, and its transactions: a read_committed consumer sees the
// committed transaction and not the aborted one.
func TestPythonIdempotentAndTransactions(t *testing.T) {
	py := debianPython(t)
	b := serveDir(t, t.TempDir())
	createTopic(t, b.log, "py-idem", 2)
	pyRun(t, py, b.addr, "produce", "py-idem", "200", "idem", "zstd", "true")
	if got := pyValues(pyRun(t, py, b.addr, "read_committed", "py-idem")); !slices.Equal(got, seq("idem", 0, 200)) {
		t.Fatalf("idempotent producer: read %d records, want the 200 produced", len(got))
	}
	createTopic(t, b.log, "py-txn", 2)
	run(t, "", py, filepath.Join("testdata", "interop.py"), b.addr, "txn", "py-txn", "10", "kept", "true")
	run(t, "", py, filepath.Join("testdata", "interop.py"), b.addr, "txn", "py-txn", "10", "dropped", "false")
	run(t, "", py, filepath.Join("testdata", "interop.py"), b.addr, "txn", "py-txn", "5", "kept2", "true")
	got := pyValues(pyRun(t, py, b.addr, "read_committed", "py-txn"))
	want := append(seq("kept", 0, 10), seq("kept2", 0, 5)...)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("read_committed after commit, abort, commit: %v, want %v", got, want)
	}
}
