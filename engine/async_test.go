package engine

import (
	"context"
	"testing"
	"time"

	"github.com/ksqlgo/ksql/broker"
)

// Queries running on their own goroutines (the server's mode): inserts
// flow through a repartitioning aggregation while statements keep
// arriving, and Close commits and stops everything. Run with -race.
func TestAsyncQueries(t *testing.T) {
	ctx := context.Background()
	eng, err := Open(ctx, Config{DataDir: t.TempDir(), NoSync: true, CommitInterval: 5 * time.Millisecond,
		Properties: map[string]string{"ksql.streams.auto.offset.reset": "earliest"}})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	sess := NewSession()
	if _, err := eng.Execute(ctx, `CREATE STREAM clicks (user STRING KEY, page STRING) WITH (kafka_topic='clicks', value_format='JSON', partitions=2);
CREATE TABLE per_page AS SELECT page, COUNT(*) AS n FROM clicks GROUP BY page;
CREATE STREAM loud AS SELECT user, UCASE(page) AS page FROM clicks;`, sess); err != nil {
		t.Fatal(err)
	}
	const inserts = 50
	for i := 0; i < inserts; i++ {
		page := []string{"home", "cart", "pay"}[i%3]
		if _, err := eng.Execute(ctx, "INSERT INTO clicks (user, page) VALUES ('u"+string(rune('a'+i%7))+"', '"+page+"');", sess); err != nil {
			t.Fatal(err)
		}
		if i == inserts/2 {
			if _, err := eng.Execute(ctx, "SHOW QUERIES; DESCRIBE per_page;", sess); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Wait (bounded) until nothing is left to process.
	deadline := time.Now().Add(30 * time.Second)
	for {
		total := int64(0)
		for _, q := range eng.Lag(context.Background()) {
			total += q.Records
		}
		if total == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("lag did not drain: %+v", eng.Lag(context.Background()))
		}
		time.Sleep(5 * time.Millisecond) // polling interval
	}
	var loud int
	for p := int32(0); p < 2; p++ {
		recs, err := broker.ReadAll(ctx, eng.Log(), "LOUD", p, 0, broker.ReadCommitted, 0)
		if err != nil {
			t.Fatal(err)
		}
		loud += len(recs)
	}
	if loud != inserts {
		t.Errorf("LOUD has %d records, want %d", loud, inserts)
	}
	final := map[string]string{}
	for p := int32(0); p < 2; p++ {
		recs, err := broker.ReadAll(ctx, eng.Log(), "PER_PAGE", p, 0, broker.ReadCommitted, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			final[string(r.Key)] = string(r.Value)
		}
	}
	want := map[string]string{"home": `{"N":17}`, "cart": `{"N":17}`, "pay": `{"N":16}`}
	for k, v := range want {
		if final[k] != v {
			t.Errorf("PER_PAGE[%s] = %s, want %s", k, final[k], v)
		}
	}
}
