package qtt

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// QTT files run with ksqlDB's test-suite functions registered (its
// harness has them on its classpath); the ksql-test-runner form, a
// user's tool, runs without them.
func TestTestFunctionsOnlyInQTT(t *testing.T) {
	dir := t.TempDir()
	stmts := []string{
		"CREATE STREAM INPUT (K STRING KEY, col0 BIGINT) WITH (kafka_topic='test_topic', value_format='DELIMITED');",
		"CREATE STREAM OUTPUT AS SELECT K, test_udf(col0, col0, col0) from INPUT;",
	}
	file := `{"tests": [{"name": "var args",
		"statements": ["` + stmts[0] + `", "` + stmts[1] + `"],
		"inputs": [{"topic": "test_topic", "key": null, "value": "0"}],
		"outputs": [{"topic": "OUTPUT", "key": null, "value": "doStuffLongVarargs"}]}]}`
	path := filepath.Join(dir, "udf.json")
	if err := os.WriteFile(path, []byte(file), 0o644); err != nil {
		t.Fatal(err)
	}
	var results []Result
	if err := RunFile(context.Background(), path, Options{TempDir: dir}, func(r Result) { results = append(results, r) }); err != nil {
		t.Fatal(err)
	}
	if len(results) != 1 || results[0].Outcome != Pass {
		t.Fatalf("QTT file: %+v", results)
	}

	sql := filepath.Join(dir, "stmts.sql")
	in := filepath.Join(dir, "in.json")
	out := filepath.Join(dir, "out.json")
	for p, s := range map[string]string{
		sql: strings.Join(stmts, "\n"),
		in:  `{"inputs": [{"topic": "test_topic", "key": null, "value": "0"}]}`,
		out: `{"outputs": [{"topic": "OUTPUT", "key": null, "value": "doStuffLongVarargs"}]}`,
	} {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res, err := RunTestRunner(context.Background(), sql, in, out, Options{TempDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != Fail || !strings.Contains(res.Reason, "Can't find any functions with the name 'TEST_UDF'") {
		t.Fatalf("ksql-test-runner form: %s %s", res.Outcome, res.Reason)
	}
}
