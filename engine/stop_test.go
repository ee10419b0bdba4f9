package engine

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ksqlgo/ksql/broker"
)

// Stops are crashes as far as the commit protocol is concerned (I4 in
// ARCHITECTURE.md): TERMINATE, DROP and Close take no shortcut around it,
// and leave no transaction open.

// waitFor polls cond until it holds, at most 30 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond) // polling interval
	}
}

// tableValues reads a table's topic (all partitions) to its latest value
// per key.
func tableValues(t *testing.T, l broker.Log, topic string) map[string]string {
	t.Helper()
	info, err := l.Topic(context.Background(), topic)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for p := int32(0); p < info.Config.Partitions; p++ {
		recs, err := broker.ReadAll(context.Background(), l, topic, p, 0, broker.ReadCommitted, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			out[string(r.Key)] = string(r.Value)
		}
	}
	return out
}

// The reproduction: a query that reads and writes the same topic
// is terminated while it runs; before, its last transaction stayed open
// and froze the topic for every other query until a restart.
func TestTerminateLeavesNoOpenTransaction(t *testing.T) {
	ctx := context.Background()
	for round := 0; round < 5; round++ {
		eng, err := Open(ctx, Config{DataDir: t.TempDir(), NoSync: true, CommitInterval: 2 * time.Millisecond,
			Properties: map[string]string{"ksql.streams.auto.offset.reset": "earliest"}})
		if err != nil {
			t.Fatal(err)
		}
		sess := NewSession()
		res, err := eng.Execute(ctx, `CREATE STREAM lp (id STRING, v INT) WITH (kafka_topic='lp', value_format='JSON', partitions=1);
CREATE TABLE lp_counts AS SELECT id, COUNT(*) AS n FROM lp GROUP BY id;
INSERT INTO lp SELECT id, v FROM lp WHERE id = 'a';
INSERT INTO lp (id, v) VALUES ('a', 0);`, sess)
		if err != nil {
			t.Fatal(err)
		}
		insertID := res[2].QueryID
		// The insert query copies its own output: it is busy when stopped.
		waitFor(t, "the self-feeding query to run", func() bool {
			var n int
			fmt.Sscanf(tableValues(t, eng.Log(), "LP_COUNTS")["a"], `{"N":%d}`, &n)
			return n > 20
		})
		if _, err := eng.Execute(ctx, "TERMINATE "+insertID+";", sess); err != nil {
			t.Fatal(err)
		}
		off, err := eng.Log().Offsets(ctx, "lp", 0)
		if err != nil {
			t.Fatal(err)
		}
		if off.Stable != off.End {
			t.Fatalf("round %d: after TERMINATE a transaction on lp is still open (stable %d, end %d)", round, off.Stable, off.End)
		}
		for i := 0; i < 5; i++ {
			if _, err := eng.Execute(ctx, fmt.Sprintf("INSERT INTO lp (id, v) VALUES ('b', %d);", i), sess); err != nil {
				t.Fatal(err)
			}
		}
		waitFor(t, "rows inserted after TERMINATE to be counted", func() bool {
			return tableValues(t, eng.Log(), "LP_COUNTS")["b"] == `{"N":5}`
		})
		if err := eng.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// Graceful stops under load, many in a row: the engine is closed while
// its queries process (a repartitioning count, a filter, and a query that
// is terminated or dropped and created again along the way), reopened,
// and at the end every input is in every output exactly once.
//
// It runs over every log of logKinds; over Kafka, every third restart
// also loses the state directory (a fresh machine): the state comes back
// from the changelogs.
func TestCloseReopenUnderLoadIsExactlyOnce(t *testing.T) {
	for _, lk := range logKinds {
		t.Run(lk.name, func(t *testing.T) {
			if lk.cluster != nil && testing.Short() {
				t.Skip("over an external cluster: not in -short")
			}
			// Without the record cache every update of the count is
			// checked; with it (the default), the updates of a key
			// increase and end at the count.
			t.Run("every update", func(t *testing.T) { closeReopenUnderLoad(t, lk, false) })
			t.Run("cached", func(t *testing.T) { closeReopenUnderLoad(t, lk, true) })
		})
	}
}

func closeReopenUnderLoad(t *testing.T, lk logKind, cached bool) {
	ctx := context.Background()
	dir := t.TempDir()
	rng := rand.New(rand.NewSource(7))
	cfg := Config{DataDir: dir, NoSync: true, CommitInterval: time.Millisecond,
		Properties: map[string]string{"ksql.streams.auto.offset.reset": "earliest"}}
	if !cached {
		cfg.Properties[PropCacheMaxBytes] = "0"
	}
	var dial func(t *testing.T) broker.Log
	if lk.cluster != nil {
		dial = lk.cluster(t)
	}
	open := func(round int) (*Engine, error) {
		c := cfg
		if dial != nil {
			c.Log = dial(t)
			if round%3 == 2 {
				if err := os.RemoveAll(filepath.Join(dir, "state")); err != nil {
					t.Fatal(err)
				}
			}
		}
		return Open(ctx, c)
	}
	const rounds = 15
	inserted := 0
	perUserQuery := ""
	perPage := map[string]int{}
	for round := 0; round < rounds; round++ {
		eng, err := open(round)
		if err != nil {
			t.Fatalf("round %d: start after a graceful stop failed: %v", round, err)
		}
		sess := NewSession()
		if round == 0 {
			res, err := eng.Execute(ctx, `CREATE STREAM clicks (user STRING KEY, page STRING, n INT) WITH (kafka_topic='clicks', value_format='JSON', partitions=3);
CREATE TABLE per_page AS SELECT page, COUNT(*) AS c, SUM(n) AS s FROM clicks GROUP BY page;
CREATE STREAM big AS SELECT user, page, n FROM clicks WHERE n >= 0;
CREATE TABLE per_user AS SELECT user, COUNT(*) AS c FROM clicks GROUP BY user;`, sess)
			if err != nil {
				t.Fatal(err)
			}
			perUserQuery = res[3].QueryID
		}
		if round%5 == 4 {
			// Drop a query's output with its topic and create it again: it
			// starts over from the earliest input.
			res, err := eng.Execute(ctx, `TERMINATE `+perUserQuery+`;
DROP TABLE per_user DELETE TOPIC;
CREATE TABLE per_user AS SELECT user, COUNT(*) AS c FROM clicks GROUP BY user;`, sess)
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
			perUserQuery = res[2].QueryID
		}
		n := 20 + rng.Intn(40)
		for i := 0; i < n; i++ {
			page := fmt.Sprintf("p%d", rng.Intn(5))
			if _, err := eng.Execute(ctx, fmt.Sprintf("INSERT INTO clicks (user, page, n) VALUES ('u%d', '%s', 1);", inserted%7, page), sess); err != nil {
				t.Fatal(err)
			}
			inserted++
			perPage[page]++
		}
		// Stop while the queries are still working on part of it.
		time.Sleep(time.Duration(rng.Intn(3)) * time.Millisecond)
		if err := eng.Close(); err != nil {
			t.Fatalf("round %d: close: %v", round, err)
		}
	}
	eng, err := open(rounds)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	waitFor(t, "the queries to drain", func() bool {
		for _, q := range eng.Lag(context.Background()) {
			if q.Records != 0 {
				return false
			}
		}
		return true
	})
	var big int
	for p := int32(0); p < 3; p++ {
		recs, err := broker.ReadAll(ctx, eng.Log(), "BIG", p, 0, broker.ReadCommitted, 0)
		if err != nil {
			t.Fatal(err)
		}
		big += len(recs)
	}
	if big != inserted {
		t.Errorf("BIG has %d records, want %d (one per input)", big, inserted)
	}
	// Every COUNT changelog per key is exactly 1..n; with the record
	// cache, a rising subsequence of it that ends at n.
	info, _ := eng.Log().Topic(ctx, "PER_PAGE")
	seen := map[string]int{}
	for p := int32(0); p < info.Config.Partitions; p++ {
		recs, err := broker.ReadAll(ctx, eng.Log(), "PER_PAGE", p, 0, broker.ReadCommitted, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			k := string(r.Key)
			prev := seen[k]
			seen[k]++
			if cached {
				var c, s int
				if _, err := fmt.Sscanf(string(r.Value), `{"C":%d,"S":%d}`, &c, &s); err != nil || c != s || c <= prev {
					t.Fatalf("PER_PAGE[%s] update %s follows %d (a repeated record, or lost or repeated input)", k, r.Value, prev)
				}
				seen[k] = c
				continue
			}
			want := fmt.Sprintf(`{"C":%d,"S":%d}`, seen[k], seen[k])
			if string(r.Value) != want {
				t.Fatalf("PER_PAGE[%s] update %d is %s, want %s (lost or repeated input)", k, seen[k], r.Value, want)
			}
		}
	}
	for page, n := range perPage {
		if seen[page] != n {
			t.Errorf("PER_PAGE[%s] has %d updates, want %d", page, seen[page], n)
		}
	}
	users := tableValues(t, eng.Log(), "PER_USER")
	total := 0
	for _, v := range users {
		var c int
		if _, err := fmt.Sscanf(v, `{"C":%d}`, &c); err != nil {
			t.Fatalf("PER_USER value %s: %v", v, err)
		}
		total += c
	}
	if total != inserted {
		t.Errorf("PER_USER counts add up to %d, want %d", total, inserted)
	}
}

// A stop during start-up (the start context cancelled while the command
// log is replayed) ends the start with an error instead of running half a
// replay; the next start replays everything.
func TestStopDuringReplay(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{DataDir: dir, NoSync: true}
	eng, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	res, err := eng.Execute(context.Background(), `CREATE STREAM s (id INT) WITH (kafka_topic='s', value_format='JSON', partitions=1);
CREATE TABLE c AS SELECT id, COUNT(*) AS n FROM s GROUP BY id;`, NewSession())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Execute(context.Background(), "TERMINATE "+res[1].QueryID+"; DROP TABLE c DELETE TOPIC; CREATE TABLE c AS SELECT id, COUNT(*) AS n FROM s GROUP BY id;", NewSession()); err != nil {
		t.Fatal(err)
	}
	if err := eng.Close(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if eng, err := Open(ctx, cfg); err == nil {
		eng.Close()
		t.Fatal("a start whose context was cancelled succeeded")
	}
	eng, err = Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("start after an interrupted start: %v", err)
	}
	defer eng.Close()
	if _, ok := eng.Catalog().Source("C"); !ok || len(eng.queries) != 1 {
		t.Fatalf("after replay: table C present %v, %d queries, want the recreated table and its query", ok, len(eng.queries))
	}
}
