package rqtt

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ksqlgo/ksql/engine/qtt"
)

// The whole path against the real engine and REST API over loopback: a
// case of the suite that the engine passes today (statements through
// /ksql, the output topic read back), and the same case with a wrong
// expected output record, which must fail.
func TestEngineServerRunsInsertValuesCase(t *testing.T) {
	c := loadCase(t, "insert-values.json", "explicitly supply all column values")
	opts := Options{TempDir: t.TempDir(), QueryTimeout: 20 * time.Second}
	if r := RunCase(context.Background(), c, opts, NewEngineServer); r.Outcome != qtt.Pass {
		t.Fatalf("%s: %s", r.Outcome, r.Reason)
	}
	if len(c.Outputs) == 0 {
		t.Fatal("the case lists no outputs: it does not exercise the output check")
	}
	wrong := c
	wrong.Outputs = append([]qtt.RecordNode(nil), c.Outputs...)
	v := strings.Replace(string(wrong.Outputs[0].Value), "10", "11", 1)
	if v == string(wrong.Outputs[0].Value) {
		t.Fatalf("cannot alter %s", v)
	}
	wrong.Outputs[0].Value = json.RawMessage(v)
	r := RunCase(context.Background(), wrong, opts, NewEngineServer)
	if r.Outcome != qtt.Fail || !strings.Contains(r.Reason, "topic test_topic: record 0: value") {
		t.Fatalf("%s: %s; want a failure on the output value", r.Outcome, r.Reason)
	}
}
