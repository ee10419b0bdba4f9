package engine

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/ksqlgo/ksql/broker"
)

// A windowed aggregation skips the store for windows newer than any it
// stored (exec's newestStored); groups of older windows, late records
// and restarts must still find their state.
func TestWindowedCountsAcrossLateRecordsAndRestarts(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	open := func() *Engine {
		e, err := Open(ctx, Config{DataDir: dir, Synchronous: true, NoSync: true,
			Properties: map[string]string{"ksql.streams.auto.offset.reset": "earliest"}})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	eng := open()
	sess := NewSession()
	mustExec(t, eng, sess, `CREATE STREAM clicks (user VARCHAR KEY, page VARCHAR) WITH (kafka_topic='clicks', value_format='JSON', partitions=1);
CREATE TABLE per_min AS SELECT user, COUNT(*) AS n FROM clicks WINDOW TUMBLING (SIZE 1 MINUTE, GRACE PERIOD 1 HOUR) GROUP BY user;`)
	insert := func(e *Engine, user string, minute int) {
		t.Helper()
		ts := int64(1_700_000_000_000/60_000*60_000) + int64(minute)*60_000 + 1
		mustExec(t, e, sess, fmt.Sprintf("INSERT INTO clicks (ROWTIME, user, page) VALUES (%d, '%s', 'p');", ts, user))
		if err := e.Drain(ctx); err != nil {
			t.Fatal(err)
		}
	}
	insert(eng, "a", 0)
	insert(eng, "a", 1) // a newer window
	insert(eng, "a", 0) // late, into a stored window
	insert(eng, "b", 1)
	if err := eng.Close(); err != nil {
		t.Fatal(err)
	}
	eng = open()
	defer eng.Close()
	insert(eng, "a", 0) // after a restart
	insert(eng, "a", 1)
	insert(eng, "a", 2)
	insert(eng, "b", 1)
	recs, err := broker.ReadAll(ctx, eng.Log(), "PER_MIN", 0, 0, broker.ReadCommitted, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range recs {
		got = append(got, strings.TrimSuffix(strings.TrimPrefix(string(r.Value), `{"N":`), "}"))
	}
	// a@0: 1, a@1: 1, a@0: 2, b@1: 1 | a@0: 3, a@1: 2, a@2: 1, b@1: 2
	if want := "1 1 2 1 3 2 1 2"; strings.Join(got, " ") != want {
		t.Fatalf("counts %q, want %q", strings.Join(got, " "), want)
	}
}
