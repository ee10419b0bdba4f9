package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// Headless mode refuses statements ksqlDB does not allow in a queries
// file, before running any, naming the file, line and column.
func TestHeadlessRejectsUnsupportedStatements(t *testing.T) {
	dir := t.TempDir()
	qf := writeFile(t, dir, "app.sql", `CREATE STREAM s (id INT KEY, v INT) WITH (kafka_topic='s', value_format='JSON', partitions=1);
SHOW STREAMS;
`)
	cmd := exec.Command(ksqlBinary, "server", "--data-dir", filepath.Join(dir, "data"), "--queries-file", qf, "--listen", "", "--kafka-listen", "")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("server accepted SHOW in a queries file:\n%s", out)
	}
	for _, want := range []string{"app.sql:2:1", "Unsupported statement in a queries file: SHOW STREAMS", "Headless mode accepts only"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// A syntax error in a queries file points at the line and column.
func TestHeadlessSyntaxError(t *testing.T) {
	dir := t.TempDir()
	qf := writeFile(t, dir, "app.sql", "CREATE STREAM s (id INT KEY, v INT)\n  WITH (kafka_topic='s', value_format='JSON', partitions=1);\nCREATE STREAM t AS SELECT id, v FROMM s;\n")
	out, err := exec.Command(ksqlBinary, "server", "--data-dir", filepath.Join(dir, "data"), "--queries-file", qf, "--listen", "", "--kafka-listen", "").CombinedOutput()
	if err == nil {
		t.Fatalf("server accepted a syntax error:\n%s", out)
	}
	if !strings.Contains(string(out), "line 3:") || !strings.Contains(string(out), "FROMM") || !strings.Contains(string(out), "^") {
		t.Errorf("error does not point at line 3 with a caret:\n%s", out)
	}
}

// ksql test runs ksqlDB's ksql-test-runner form: statements, inputs and
// expected outputs in three files; a wrong expectation fails.
func TestTestRunnerForm(t *testing.T) {
	dir := t.TempDir()
	stmts := writeFile(t, dir, "statements.sql", `CREATE STREAM orders (id INT KEY, qty INT) WITH (kafka_topic='orders', value_format='JSON');
CREATE STREAM big AS SELECT id, qty * 10 AS total FROM orders WHERE qty > 1;
`)
	input := writeFile(t, dir, "input.json", `{"inputs": [
  {"topic": "orders", "key": 1, "value": {"QTY": 1}, "timestamp": 10},
  {"topic": "orders", "key": 2, "value": {"QTY": 3}, "timestamp": 20}
]}`)
	good := writeFile(t, dir, "output.json", `{"outputs": [
  {"topic": "BIG", "key": 2, "value": {"TOTAL": 30}, "timestamp": 20}
]}`)
	out, err := exec.Command(ksqlBinary, "test", "-s", stmts, "-i", input, "-o", good).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "1 passed, 0 failed, 0 skipped") {
		t.Fatalf("expected a pass: %v\n%s", err, out)
	}
	bad := writeFile(t, dir, "bad.json", `{"outputs": [
  {"topic": "BIG", "key": 2, "value": {"TOTAL": 31}, "timestamp": 20}
]}`)
	out, err = exec.Command(ksqlBinary, "test", "-s", stmts, "-i", input, "-o", bad).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "0 passed, 1 failed") || !strings.Contains(string(out), "TOTAL") {
		t.Fatalf("expected a failure naming the value: %v\n%s", err, out)
	}
}

// A server (not headless) keeps its streams, tables and queries across a
// kill -9: they come back from the command log, and the query continues.
func TestServerRestartReplaysCommandLog(t *testing.T) {
	dir := t.TempDir()
	s := startServerArgs(t, "server", "--data-dir", dir, "--listen", "127.0.0.1:0", "--kafka-listen", "")
	post := func(s *server, sql string) []map[string]any { return postKSQL(t, s, sql) }
	post(s, `CREATE STREAM pageviews (user STRING KEY, page STRING) WITH (kafka_topic='pageviews', value_format='JSON', partitions=2);
CREATE TABLE views AS SELECT user, COUNT(*) AS n FROM pageviews GROUP BY user;
INSERT INTO pageviews (user, page) VALUES ('ann', 'a');`)
	s.waitUntil(t, "first insert processed", func(r lagReport) bool { return r.Total == 0 })
	s.stop(t, syscall.SIGKILL)

	s = startServerArgs(t, "server", "--data-dir", dir, "--listen", "127.0.0.1:0", "--kafka-listen", "")
	res := post(s, "SHOW QUERIES; SHOW TABLES;")
	q, _ := json.Marshal(res)
	if !strings.Contains(string(q), "CTAS_VIEWS_") || !strings.Contains(string(q), `"RUNNING"`) || !strings.Contains(string(q), `"VIEWS"`) {
		t.Fatalf("after kill -9 the query or table is missing:\n%s", q)
	}
	post(s, "INSERT INTO pageviews (user, page) VALUES ('ann', 'b');")
	s.waitUntil(t, "second insert processed", func(r lagReport) bool { return r.Total == 0 })
	s.stop(t, syscall.SIGTERM)
	out := readTopicValues(t, dir, "VIEWS")
	if strings.Join(out, " ") != `{"N":1} {"N":2}` {
		t.Fatalf("VIEWS changelog = %v, want counts 1 then 2", out)
	}
}

// postKSQL runs statements through POST /ksql (earliest offsets) and
// returns the entities.
func postKSQL(t *testing.T, s *server, sql string) []map[string]any {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"ksql": sql, "streamsProperties": map[string]string{"auto.offset.reset": "earliest"}})
	resp, err := http.Post("http://"+s.addr+"/ksql", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out []map[string]any
	raw := new(bytes.Buffer)
	raw.ReadFrom(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("POST /ksql %q: %d %s", sql, resp.StatusCode, raw)
	}
	if err := json.Unmarshal(raw.Bytes(), &out); err != nil {
		t.Fatalf("bad response %s: %v", raw, err)
	}
	return out
}

func startServerArgs(t *testing.T, args ...string) *server {
	t.Helper()
	cmd := exec.Command(ksqlBinary, args...)
	return launch(t, cmd)
}

var _ = time.Second
