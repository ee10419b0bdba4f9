package main

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestKcatCannotWriteTheCommandTopic: the Kafka listener protects the
// engine's internal topics. kcat's produce into the command topic fails
// (exit status, "Invalid topic"), the command log is unchanged, and the
// topic stays readable.
func TestKcatCannotWriteTheCommandTopic(t *testing.T) {
	kcat(t)
	const cmdTopic = "_confluent-ksql-default__command_topic"
	s := startServerArgs(t, "server", "--data-dir", t.TempDir(), "--listen", "127.0.0.1:0", "--kafka-listen", "127.0.0.1:0")
	if s.kafka == "" {
		t.Fatalf("the server did not report its Kafka listener:\n%s", s.logs)
	}
	postKSQL(t, s, `CREATE STREAM clicks (id VARCHAR KEY, url VARCHAR) WITH (KAFKA_TOPIC='clicks', VALUE_FORMAT='JSON', PARTITIONS=1);`)
	read := func() string {
		return runKcat(t, "", "-b", s.kafka, "-C", "-t", cmdTopic, "-o", "beginning", "-e", "-q", "-f", `%o %s\n`)
	}
	before := read()
	if !strings.Contains(before, "CREATE STREAM CLICKS") && !strings.Contains(before, "CREATE STREAM clicks") {
		t.Fatalf("the command topic does not hold the statement:\n%s", before)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, kcat(t), "-b", s.kafka, "-P", "-t", cmdTopic)
	cmd.Stdin = strings.NewReader(`{"statement":"DROP STREAM CLICKS;"}` + "\n")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("kcat produced into the command topic:\n%s", out)
	}
	if !strings.Contains(string(out), "Invalid topic") {
		t.Fatalf("kcat failed without saying why: %v\n%s", err, out)
	}
	if after := read(); after != before {
		t.Fatalf("the command topic changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	// Other topics take records.
	runKcat(t, "k1:{\"url\":\"/\"}\n", "-b", s.kafka, "-P", "-t", "clicks", "-K:")
}
