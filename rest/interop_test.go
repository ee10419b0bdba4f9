package rest

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// The ksqlDB client nobody here wrote: the npm package ksqldb-client
// (github.com/Streaminy/ksqldb-client), pinned, which talks HTTP/2
// cleartext with prior knowledge through Node's http2 module. It is
// installed from the npm registry into the test's temporary directory
// (its own npm cache there too) and drives a real engine on a loopback
// port through testdata/interop/ksqldb-client.js: CREATE STREAM, inserts
// through /inserts-stream, a push query that receives them and is closed
// through /close-query, CREATE TABLE AS SELECT and a pull query on it,
// DESCRIBE, the SHOW lists, an error. The script asserts each step and
// prints what it saw; this test checks that again.
//
// node and npm must be installed (.ci/run makes sure); without them the
// test fails, unless KSQL_SKIP_NODE_INTEROP is set.
const interopClient = "ksqldb-client@1.0.5"

func TestInteropKsqldbClientNPM(t *testing.T) {
	if testing.Short() {
		t.Skip("installs an npm package: not in -short")
	}
	node, errNode := exec.LookPath("node")
	npm, errNPM := exec.LookPath("npm")
	if errNode != nil || errNPM != nil {
		if os.Getenv("KSQL_SKIP_NODE_INTEROP") != "" {
			t.Skip("node or npm missing; KSQL_SKIP_NODE_INTEROP is set")
		}
		t.Fatalf("this test needs node and npm (to run the npm package %s against the server): install them "+
			"(Debian: apt-get install -y nodejs npm) or set KSQL_SKIP_NODE_INTEROP=1 to skip it (node: %v, npm: %v)",
			interopClient, errNode, errNPM)
	}
	dir := t.TempDir()
	script, err := os.ReadFile(filepath.Join("testdata", "interop", "ksqldb-client.js"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "interop.js"), script, 0o644); err != nil {
		t.Fatal(err)
	}
	// A bound, not a timing assertion: a registry that hangs fails the test.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	install := exec.CommandContext(ctx, npm, "install", "--no-audit", "--no-fund", "--no-save", "--no-package-lock", interopClient)
	install.Dir = dir
	install.Env = append(os.Environ(), "npm_config_cache="+filepath.Join(dir, ".npm-cache"), "npm_config_update_notifier=false")
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("npm install %s: %v\n%s", interopClient, err, out)
	}

	h, _ := startEngine(t, Options{}, nil)
	host, port, err := net.SplitHostPort(h.Addr())
	if err != nil {
		t.Fatal(err)
	}
	run := exec.CommandContext(ctx, node, "interop.js")
	run.Dir = dir
	run.Env = append(os.Environ(), "KSQL_HOST="+host, "KSQL_PORT="+port)
	var stdout, stderr bytes.Buffer
	run.Stdout, run.Stderr = &stdout, &stderr
	if err := run.Run(); err != nil {
		t.Fatalf("node interop.js: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}

	var got struct {
		Created      string
		PushMetadata struct {
			QueryID     string
			ColumnNames []string
			ColumnTypes []string
		}
		Inserts  [][]map[string]any
		PushRows []map[string]any
		CTAS     string
		Pull     struct {
			Metadata struct{ ColumnNames, ColumnTypes []string }
			Rows     []map[string]any
		}
		Describe struct {
			Name, Type string
			Fields     [][]string
		}
		Streams, Tables, Queries []string
		Error                    int
	}
	dec := json.NewDecoder(&stdout)
	dec.UseNumber()
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("the script's output: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	check := func(what string, got, want any) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %#v, want %#v", what, got, want)
		}
	}
	check("CREATE STREAM", got.Created, "Stream created")
	check("push header", [][]string{got.PushMetadata.ColumnNames, got.PushMetadata.ColumnTypes}, [][]string{{"ID", "NAME"}, {"INTEGER", "STRING"}})
	if got.PushMetadata.QueryID == "" {
		t.Error("push header: no queryId")
	}
	ack := []map[string]any{{"status": "ok", "seq": json.Number("0")}}
	check("insert acks", got.Inserts, [][]map[string]any{ack, ack})
	check("push rows", got.PushRows, []map[string]any{{"ID": json.Number("1"), "NAME": "ann"}, {"ID": json.Number("2"), "NAME": "bob"}})
	check("CTAS", got.CTAS, "Created query with ID CTAS_RIDE_COUNTS_0")
	check("pull header", [][]string{got.Pull.Metadata.ColumnNames, got.Pull.Metadata.ColumnTypes}, [][]string{{"ID", "N"}, {"INTEGER", "BIGINT"}})
	check("pull rows", got.Pull.Rows, []map[string]any{{"ID": json.Number("2"), "N": json.Number("1")}})
	check("describe", got.Describe.Name+" "+got.Describe.Type, "RIDERS STREAM")
	var fields []string
	for _, f := range got.Describe.Fields {
		fields = append(fields, f[0]+" "+f[1]+" "+f[2])
	}
	check("describe fields", fields, []string{"ID INTEGER KEY", "NAME STRING "})
	check("streams", got.Streams, []string{"KSQL_PROCESSING_LOG", "RIDERS"})
	check("tables", got.Tables, []string{"RIDE_COUNTS"})
	check("queries", got.Queries, []string{"PERSISTENT RIDE_COUNTS"})
	check("error code", got.Error, 40001)
}
