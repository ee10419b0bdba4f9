package engine

import (
	"context"
	"strings"
	"testing"

	"github.com/ksqlgo/ksql/broker"
)

// A query that reads some of its source's columns decodes only those,
// but still refuses a record whose unread columns do not decode, and its
// processing-log entries show the whole record, as ksqlDB's do.
func TestQueryReadingSomeColumns(t *testing.T) {
	ctx := context.Background()
	eng, err := Open(ctx, Config{DataDir: t.TempDir(), NoSync: true, Synchronous: true,
		Properties: map[string]string{"ksql.streams.auto.offset.reset": "earliest"}})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	sess := NewSession()
	for _, stmt := range []string{
		`CREATE STREAM s (id INT KEY, a BIGINT, b BIGINT, note STRING, extra DOUBLE) WITH (kafka_topic='s', value_format='JSON', partitions=1);`,
		`CREATE STREAM out AS SELECT id, a, 100 / b AS q FROM s WHERE a > 0;`,
	} {
		if _, err := eng.Execute(ctx, stmt, sess); err != nil {
			t.Fatal(err)
		}
	}
	var recs []broker.Record
	for _, v := range []string{
		`{"A": 1, "B": 4, "NOTE": "kept", "EXTRA": 1.5}`,
		`{"A": 2, "B": 0, "NOTE": "unread-but-logged", "EXTRA": 2.5}`,
		`{"A": 3, "B": 5, "NOTE": "x", "EXTRA": "not a double"}`, // unread, still refused
		`{"A": 4, "B": 10, "NOTE": {"nested": true}, "EXTRA": 1}`,
		`{"A": -1, "B": 1, "NOTE": "filtered", "EXTRA": 0}`,
	} {
		recs = append(recs, broker.Record{Value: []byte(v), Timestamp: 1})
	}
	if _, err := eng.Log().Append(ctx, "s", 0, recs); err != nil {
		t.Fatal(err)
	}
	if err := eng.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	out, err := broker.ReadAll(ctx, eng.Log(), "OUT", 0, 0, broker.ReadCommitted, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range out {
		got = append(got, string(r.Value))
	}
	want := []string{`{"A":1,"Q":25}`, `{"A":2,"Q":null}`, `{"A":4,"Q":10}`}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("output:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	logged, err := broker.ReadAll(ctx, eng.Log(), eng.processingLogTopic(), 0, 0, broker.ReadCommitted, 0)
	if err != nil {
		t.Fatal(err)
	}
	var all strings.Builder
	for _, r := range logged {
		all.Write(r.Value)
		all.WriteByte('\n')
	}
	text := all.String()
	for _, want := range []string{"unread-but-logged", "2.5", "/ by zero", "EXTRA"} {
		if !strings.Contains(text, want) {
			t.Errorf("processing log does not mention %q:\n%s", want, text)
		}
	}
	if n := strings.Count(text, "DESERIALIZATION"); n != 1 && strings.Count(text, `"TYPE":0`) != 1 {
		t.Errorf("want one deserialization error (the unread EXTRA column), log:\n%s", text)
	}
}
