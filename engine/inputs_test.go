package engine

import (
	"context"
	"strings"
	"testing"
	"time"
)

// A client deleting a topic a running query reads (through the Kafka
// listener, or an administrator of an external cluster) puts the query
// in ERROR with a message that says so.
func TestDeletedInputTopicPutsQueryInError(t *testing.T) {
	eng := openStreamEngine(t, t.TempDir(), nil)
	defer eng.Close()
	sess := NewSession()
	mustExec(t, eng, sess, `CREATE STREAM src (id INT KEY, v STRING) WITH (kafka_topic='src', value_format='JSON', partitions=2);
CREATE STREAM dst AS SELECT id, v FROM src;`)
	if err := eng.Log().DeleteTopic(context.Background(), "src"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		infos := eng.queryInfos()
		if len(infos) != 1 {
			t.Fatalf("queries: %+v", infos)
		}
		q := infos[0]
		if q.State == "ERROR" && strings.Contains(q.Error, "input topic src was deleted while the query was running") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("query state %s (%q) 30 s after its input topic was deleted, want ERROR saying so", q.State, q.Error)
		}
		time.Sleep(10 * time.Millisecond) // polling interval
	}
}
