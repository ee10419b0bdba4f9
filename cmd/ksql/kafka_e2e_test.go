package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// kcat is Debian's kcat (librdkafka), which .ci/run installs; without it
// the test fails unless KSQL_SKIP_KAFKA_INTEROP is set.
func kcat(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("kcat")
	if err != nil {
		if os.Getenv("KSQL_SKIP_KAFKA_INTEROP") != "" {
			t.Skip("kcat missing; KSQL_SKIP_KAFKA_INTEROP is set")
		}
		t.Fatal("kcat is missing: install Debian's kcat (.ci/run does), or set KSQL_SKIP_KAFKA_INTEROP")
	}
	return p
}

func runKcat(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, kcat(t), args...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.Output()
	if err != nil {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("kcat %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	return string(out)
}

// TestKcatFeedsAQueryAndReadsItsOutput is the README's quick start over
// the Kafka listener: kcat produces a stream's input, the engine counts
// per key, kcat reads the table's changelog read_committed; then kill -9,
// restart, more input: every key's changelog counts 1, 2, ... with no
// gap and no repeat.
func TestKcatFeedsAQueryAndReadsItsOutput(t *testing.T) {
	kcat(t)
	dir := t.TempDir()
	start := func() *server {
		// Every update of the count is checked: no record cache.
		s := startServerArgs(t, "server", "--data-dir", dir, "--listen", "127.0.0.1:0", "--kafka-listen", "127.0.0.1:0",
			"--set", "ksql.streams.cache.max.bytes.buffering=0")
		if s.kafka == "" {
			t.Fatalf("the server did not report its Kafka listener:\n%s", s.logs)
		}
		return s
	}
	s := start()
	postKSQL(t, s, `CREATE STREAM pageviews (user_id VARCHAR KEY, page VARCHAR) WITH (KAFKA_TOPIC='pageviews', VALUE_FORMAT='JSON', PARTITIONS=2);
CREATE TABLE views_per_user AS SELECT user_id, COUNT(*) AS views FROM pageviews GROUP BY user_id EMIT CHANGES;`)
	produce := func(s *server, n int, round string) {
		var in strings.Builder
		for i := range n {
			fmt.Fprintf(&in, "user%d:{\"page\":\"/%s/%d\"}\n", i%3, round, i)
		}
		runKcat(t, in.String(), "-b", s.kafka, "-P", "-t", "pageviews", "-K:", "-z", "lz4")
	}
	// counts reads VIEWS_PER_USER with kcat and returns each key's
	// changelog of counts in offset order.
	counts := func(s *server) map[string][]int {
		out := runKcat(t, "", "-b", s.kafka, "-C", "-t", "VIEWS_PER_USER", "-o", "beginning", "-e", "-q",
			"-X", "isolation.level=read_committed", "-f", `%p %o %k %s\n`)
		type rec struct {
			p, o int
			k    string
			n    int
		}
		var recs []rec
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			if line == "" {
				continue
			}
			f := strings.Fields(line)
			var r rec
			r.p, _ = strconv.Atoi(f[0])
			r.o, _ = strconv.Atoi(f[1])
			r.k = f[2]
			if _, err := fmt.Sscanf(f[3], `{"VIEWS":%d}`, &r.n); err != nil {
				t.Fatalf("bad output record %q", line)
			}
			recs = append(recs, r)
		}
		slices.SortFunc(recs, func(a, b rec) int { return (a.p-b.p)*1_000_000 + (a.o - b.o) })
		got := map[string][]int{}
		for _, r := range recs {
			got[r.k] = append(got[r.k], r.n)
		}
		return got
	}
	check := func(got map[string][]int, perKey int) {
		t.Helper()
		for u := range 3 {
			k := fmt.Sprintf("user%d", u)
			want := make([]int, perKey)
			for i := range want {
				want[i] = i + 1
			}
			if !slices.Equal(got[k], want) {
				t.Fatalf("changelog of %s = %v, want %v (all: %v)", k, got[k], want, got)
			}
		}
	}
	produce(s, 30, "a")
	s.waitUntil(t, "the first input processed", func(r lagReport) bool { return r.Total == 0 && sourceProgress(r) == 1 })
	check(counts(s), 10)

	s.stop(t, syscall.SIGKILL)
	s = start()
	produce(s, 30, "b")
	s.waitUntil(t, "the second input processed", func(r lagReport) bool { return r.Total == 0 && sourceProgress(r) == 1 })
	check(counts(s), 20)
	if err := s.stop(t, syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v\n%s", err, s.logs)
	}
}

// TestKafkaListenPortTaken: a taken --kafka-listen port stops the start
// at once, naming the flag.
func TestKafkaListenPortTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	out, err := exec.Command(ksqlBinary, "server", "--data-dir", t.TempDir(), "--listen", "127.0.0.1:0", "--kafka-listen", ln.Addr().String()).CombinedOutput()
	if err == nil {
		t.Fatalf("the server started on a taken Kafka port:\n%s", out)
	}
	if !strings.Contains(string(out), "--kafka-listen "+ln.Addr().String()+": the address is in use") {
		t.Fatalf("the error does not name the flag and the address:\n%s", out)
	}
}
