package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/ksqlgo/ksql/broker/brokertest"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ksqlgo/ksql/broker"
)

// Client queries (push, pull, PRINT) against a real engine on temporary
// directories.

func openStreamEngine(t *testing.T, dir string, props map[string]string) *Engine {
	t.Helper()
	if props == nil {
		props = map[string]string{}
	}
	eng, err := Open(context.Background(), Config{DataDir: dir, NoSync: true, CommitInterval: 5 * time.Millisecond, Properties: props})
	if err != nil {
		t.Fatal(err)
	}
	return eng
}

func mustExec(t *testing.T, eng *Engine, sess *Session, text string) []*Result {
	t.Helper()
	res, err := eng.Execute(context.Background(), text, sess)
	if err != nil {
		t.Fatalf("%s: %v", text, err)
	}
	return res
}

// nextRow reads one row with a deadline (a bound on the test, not a
// timing assertion).
func nextRow(t *testing.T, q RunningQuery) (Row, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := q.Next(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("query %s: no row within the test's bound", q.ID())
	}
	return r, err
}

// rowText renders a row as JSON, for comparisons.
func rowText(r Row) string {
	b, _ := json.Marshal(r.Values)
	if r.Tombstone {
		return string(b) + " (tombstone)"
	}
	return string(b)
}

// readRows reads n rows.
func readRows(t *testing.T, q RunningQuery, n int) []string {
	t.Helper()
	var out []string
	for i := 0; i < n; i++ {
		r, err := nextRow(t, q)
		if err != nil {
			t.Fatalf("row %d of %d: %v (got %v)", i+1, n, err, out)
		}
		out = append(out, rowText(r))
	}
	return out
}

// readAll reads until io.EOF (bounded).
func readAll(t *testing.T, q RunningQuery) []string {
	t.Helper()
	var out []string
	for i := 0; i < 100000; i++ {
		r, err := nextRow(t, q)
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("after %v: %v", out, err)
		}
		out = append(out, rowText(r))
	}
	t.Fatal("too many rows")
	return nil
}

func header(q RunningQuery) string {
	var parts []string
	for _, c := range q.Columns() {
		s := "`" + c.Name + "` " + c.Type
		if c.Key {
			s += " KEY"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}

func stream(t *testing.T, eng *Engine, sess *Session, text string) RunningQuery {
	t.Helper()
	q, err := eng.StreamQuery(context.Background(), text, sess)
	if err != nil {
		t.Fatalf("%s: %v", text, err)
	}
	return q
}

func equalRows(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("%s:\ngot  %v\nwant %v", what, got, want)
	}
}

// waitNoGoroutinesAbove waits (bounded) until the goroutine count is back
// to at most n.
func waitGoroutines(t *testing.T, n int) {
	t.Helper()
	for i := 0; i < 3000; i++ {
		if runtime.NumGoroutine() <= n {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	buf := make([]byte, 1<<20)
	t.Fatalf("goroutines: %d, want <= %d\n%s", runtime.NumGoroutine(), n, buf[:runtime.Stack(buf, true)])
}

func TestPushQueryStreamEarliestWhereLimit(t *testing.T) {
	eng := openStreamEngine(t, t.TempDir(), nil)
	defer eng.Close()
	sess := NewSession()
	mustExec(t, eng, sess, `CREATE STREAM s (k STRING KEY, id INT, name STRING) WITH (kafka_topic='s', value_format='JSON', partitions=1);
INSERT INTO s (k, id, name) VALUES ('a', 1, 'one');
INSERT INTO s (k, id, name) VALUES ('b', 2, 'two');
INSERT INTO s (k, id, name) VALUES ('c', 3, 'three');`)
	sess.Properties["auto.offset.reset"] = "earliest"
	q := stream(t, eng, sess, "SELECT k, id * 10 AS x, UCASE(name) FROM s WHERE id <> 2 EMIT CHANGES LIMIT 2;")
	if q.Kind() != PushQuery || !strings.HasPrefix(q.ID(), "transient_S_") {
		t.Fatalf("kind %v id %s", q.Kind(), q.ID())
	}
	if h := header(q); h != "`K` STRING, `X` INTEGER, `KSQL_COL_0` STRING" {
		t.Fatalf("header %s", h)
	}
	equalRows(t, "rows", readAll(t, q), []string{`["a",10,"ONE"]`, `["c",30,"THREE"]`})
	if q.Final() != "Limit Reached" {
		t.Fatalf("final %q", q.Final())
	}
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestPushQueryLatestSeesOnlyNewRows(t *testing.T) {
	eng := openStreamEngine(t, t.TempDir(), nil)
	defer eng.Close()
	sess := NewSession()
	mustExec(t, eng, sess, `CREATE STREAM s (id INT) WITH (kafka_topic='s', value_format='JSON', partitions=2);
INSERT INTO s (id) VALUES (1);`)
	q := stream(t, eng, sess, "SELECT * FROM s EMIT CHANGES;")
	defer q.Close()
	// The query positioned itself at the end when it started: only rows
	// inserted afterwards arrive.
	mustExec(t, eng, sess, "INSERT INTO s (id) VALUES (2);")
	equalRows(t, "rows", readRows(t, q, 1), []string{`[2]`})
}

func TestPushQueryTableAndAggregation(t *testing.T) {
	eng := openStreamEngine(t, t.TempDir(), nil)
	defer eng.Close()
	sess := NewSession()
	sess.Properties["auto.offset.reset"] = "earliest"
	mustExec(t, eng, sess, `CREATE TABLE t (id STRING PRIMARY KEY, v INT) WITH (kafka_topic='t', value_format='JSON', partitions=1);
CREATE STREAM clicks (user STRING KEY, page STRING) WITH (kafka_topic='clicks', value_format='JSON', partitions=2);
INSERT INTO t (id, v) VALUES ('a', 1);
INSERT INTO t (id, v) VALUES ('b', 5);
INSERT INTO t (id, v) VALUES ('a', 7);
INSERT INTO clicks (user, page) VALUES ('u1', 'home');
INSERT INTO clicks (user, page) VALUES ('u2', 'home');
INSERT INTO clicks (user, page) VALUES ('u1', 'cart');`)
	qt := stream(t, eng, sess, "SELECT id, v FROM t WHERE v > 2 EMIT CHANGES;")
	defer qt.Close()
	// Rows that fail a table's filter are deletes of their key.
	equalRows(t, "table rows", readRows(t, qt, 3), []string{`["a",null] (tombstone)`, `["b",5]`, `["a",7]`})

	// Three rows are read: every update, no record cache.
	sess.Properties[PropCacheMaxBytes] = "0"
	qa := stream(t, eng, sess, "SELECT page, COUNT(*) AS n FROM clicks GROUP BY page EMIT CHANGES;")
	defer qa.Close()
	if h := header(qa); h != "`PAGE` STRING, `N` BIGINT" {
		t.Fatalf("header %s", h)
	}
	got := readRows(t, qa, 3)
	final := map[string]string{}
	for _, r := range got {
		var vals []any
		json.Unmarshal([]byte(r), &vals)
		final[vals[0].(string)] = r
	}
	if final["home"] != `["home",2]` || final["cart"] != `["cart",1]` {
		t.Fatalf("aggregation rows %v", got)
	}
	// The repartition topic of the aggregation is the query's own.
	repart := "_confluent-ksql-default_query_" + qa.ID() + "-Aggregate-GroupBy-repartition"
	if _, err := eng.Log().Topic(context.Background(), repart); err != nil {
		t.Fatalf("repartition topic %s: %v", repart, err)
	}
	if err := qa.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Log().Topic(context.Background(), repart); err == nil {
		t.Fatalf("repartition topic %s left after Close", repart)
	}
}

func TestPushQueryLimitAndClose(t *testing.T) {
	dir := t.TempDir()
	eng := openStreamEngine(t, dir, map[string]string{PropMaxPushQueries: "3"})
	defer eng.Close()
	sess := NewSession()
	mustExec(t, eng, sess, `CREATE STREAM s (id INT) WITH (kafka_topic='s', value_format='JSON', partitions=2);`)
	before := runtime.NumGoroutine()
	var qs []RunningQuery
	for i := 0; i < 3; i++ {
		qs = append(qs, stream(t, eng, sess, "SELECT id, COUNT(*) FROM s GROUP BY id EMIT CHANGES;"))
	}
	if _, err := eng.StreamQuery(context.Background(), "SELECT * FROM s EMIT CHANGES;", sess); !errors.Is(err, ErrQueryLimit) {
		t.Fatalf("the 4th push query: %v, want ErrQueryLimit", err)
	}
	if !eng.CloseQuery(qs[0].ID()) {
		t.Fatal("CloseQuery did not find the query")
	}
	if _, err := nextRow(t, qs[0]); !errors.Is(err, ErrQueryClosed) {
		t.Fatalf("Next after CloseQuery: %v", err)
	}
	if eng.CloseQuery(qs[0].ID()) {
		t.Fatal("CloseQuery found a closed query")
	}
	// Room for one more.
	qs[0] = stream(t, eng, sess, "SELECT * FROM s EMIT CHANGES;")
	for _, q := range qs {
		if err := q.Close(); err != nil {
			t.Fatal(err)
		}
		q.Close() // twice is fine
	}
	waitGoroutines(t, before)
	for _, tp := range brokertest.Topics(t, eng.Log()) {
		if strings.Contains(tp.Name, "transient") {
			t.Fatalf("topic %s left behind", tp.Name)
		}
	}
	it, err := eng.store.NewIter(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for ok := it.First(); ok; ok = it.Next() {
		if strings.Contains(string(it.Key()), "transient") {
			t.Fatalf("state %q left behind", it.Key())
		}
	}
	it.Close()
}

func TestPushQuerySlowConsumerDoesNotSlowPersistentQuery(t *testing.T) {
	eng := openStreamEngine(t, t.TempDir(), map[string]string{
		PropPushBufferRows: "5", PropPushSlowConsumerMs: "50", "ksql.streams.auto.offset.reset": "earliest"})
	defer eng.Close()
	sess := NewSession()
	mustExec(t, eng, sess, `CREATE STREAM s (id INT) WITH (kafka_topic='s', value_format='JSON', partitions=1);
CREATE STREAM copy AS SELECT * FROM s;`)
	q := stream(t, eng, sess, "SELECT * FROM s EMIT CHANGES;")
	defer q.Close()
	const n = 200
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "INSERT INTO s (id) VALUES (%d);\n", i)
	}
	mustExec(t, eng, sess, b.String())
	// The client reads nothing; the persistent query copies every row.
	waitFor(t, "the persistent query to copy every row", func() bool {
		recs, err := broker.ReadAll(context.Background(), eng.Log(), "COPY", 0, 0, broker.ReadCommitted, 0)
		return err == nil && len(recs) == n
	})
	// Nor does it read while the push query fills its buffer and gives up.
	p := q.(*pushQuery)
	waitFor(t, "the push query to give up on its client", func() bool {
		select {
		case <-p.done:
			return true
		default:
			return false
		}
	})
	var err error
	for i := 0; i < n+1 && err == nil; i++ {
		_, err = nextRow(t, q)
	}
	if !errors.Is(err, ErrSlowConsumer) {
		t.Fatalf("the slow client's query ended with %v, want ErrSlowConsumer", err)
	}
}

// pullUntil runs a pull query until its rows are want (the persistent
// query behind the table commits asynchronously), at most 30 s.
func pullUntil(t *testing.T, eng *Engine, sess *Session, text string, want []string) RunningQuery {
	t.Helper()
	var got []string
	for i := 0; i < 3000; i++ {
		q := stream(t, eng, sess, text)
		got = readAll(t, q)
		if strings.Join(got, "\n") == strings.Join(want, "\n") {
			return q
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s:\ngot  %v\nwant %v", text, got, want)
	return nil
}

func TestPullQueriesOnMaterializedTable(t *testing.T) {
	dir := t.TempDir()
	eng := openStreamEngine(t, dir, map[string]string{"ksql.streams.auto.offset.reset": "earliest"})
	sess := NewSession()
	mustExec(t, eng, sess, `CREATE TABLE users (id BIGINT PRIMARY KEY, name STRING, region STRING) WITH (kafka_topic='users', value_format='JSON', partitions=3);
CREATE TABLE q_users AS SELECT * FROM users;
INSERT INTO users (id, name, region) VALUES (1, 'alice', 'w');
INSERT INTO users (id, name, region) VALUES (2, 'bob', 'e');
INSERT INTO users (id, name, region) VALUES (3, 'carol', 'n');
INSERT INTO users (id, name, region) VALUES (4, 'dave', 'e');
INSERT INTO users (id, name, region) VALUES (2, 'bobby', 'e');`)
	q := pullUntil(t, eng, sess, "SELECT * FROM q_users WHERE id = 2;", []string{`[2,"bobby","e"]`})
	if h := header(q); h != "`ID` BIGINT KEY, `NAME` STRING, `REGION` STRING" {
		t.Fatalf("header %s", h)
	}
	if q.Kind() != PullQuery || q.Final() != "" {
		t.Fatalf("kind %v final %q", q.Kind(), q.Final())
	}
	sortedOK(t, eng, sess, "SELECT name FROM q_users WHERE id IN (1, 3, 7);", []string{`["alice"]`, `["carol"]`})
	sortedOK(t, eng, sess, "SELECT id FROM q_users WHERE id >= 2 AND id < 4;", []string{`[2]`, `[3]`})
	sortedOK(t, eng, sess, "SELECT id, UCASE(name) AS n FROM q_users WHERE region = 'e';", []string{`[2,"BOBBY"]`, `[4,"DAVE"]`})
	sortedOK(t, eng, sess, "SELECT * FROM q_users;", []string{`[1,"alice","w"]`, `[2,"bobby","e"]`, `[3,"carol","n"]`, `[4,"dave","e"]`})
	if rows := readAll(t, stream(t, eng, sess, "SELECT * FROM q_users LIMIT 2;")); len(rows) != 2 {
		t.Fatalf("LIMIT 2: %v", rows)
	}

	// Errors, as ksqlDB words them.
	for text, want := range map[string]string{
		"SELECT * FROM users WHERE id = 1;":                      "The `USERS` table isn't queryable. To derive a queryable table, you can do 'CREATE TABLE QUERYABLE_USERS AS SELECT * FROM USERS'. See https://cnfl.io/queries for more info.",
		"SELECT ROWPARTITION FROM q_users;":                      "Pull queries don't support the following columns in SELECT clauses: `ROWPARTITION`",
		"SELECT * FROM q_users WINDOW TUMBLING (SIZE 1 SECOND);": "Pull queries don't support WINDOW clauses.",
	} {
		_, err := eng.StreamQuery(context.Background(), text, sess)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", text, err, want)
		}
	}
	noScan := NewSession()
	noScan.Properties[PropPullTableScan] = "false"
	if _, err := eng.StreamQuery(context.Background(), "SELECT * FROM q_users WHERE region = 'e';", noScan); err == nil || !strings.Contains(err.Error(), "Query requires table scan to be enabled") {
		t.Errorf("scan with table scans off: %v", err)
	}
	sortedOK(t, eng, noScan, "SELECT name FROM q_users WHERE id = 1;", []string{`["alice"]`})

	// After a restart the view is read from the state store as it was.
	if err := eng.Close(); err != nil {
		t.Fatal(err)
	}
	eng = openStreamEngine(t, dir, nil)
	defer eng.Close()
	sortedOK(t, eng, sess, "SELECT * FROM q_users;", []string{`[1,"alice","w"]`, `[2,"bobby","e"]`, `[3,"carol","n"]`, `[4,"dave","e"]`})
}

// sortedOK runs a pull query until its rows, sorted, are want.
func sortedOK(t *testing.T, eng *Engine, sess *Session, text string, want []string) []string {
	t.Helper()
	var got []string
	for i := 0; i < 3000; i++ {
		got = readAll(t, stream(t, eng, sess, text))
		sortStrings(got)
		if strings.Join(got, "\n") == strings.Join(want, "\n") {
			return want
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s:\ngot  %v\nwant %v", text, got, want)
	return nil
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func TestPullQueriesOnAggregatesWindowsAndStreams(t *testing.T) {
	eng := openStreamEngine(t, t.TempDir(), map[string]string{"ksql.streams.auto.offset.reset": "earliest"})
	defer eng.Close()
	sess := NewSession()
	mustExec(t, eng, sess, `CREATE STREAM clicks (user STRING KEY, page STRING) WITH (kafka_topic='clicks', value_format='JSON', partitions=2);
CREATE TABLE per_page AS SELECT page, COUNT(*) AS n FROM clicks GROUP BY page;
CREATE TABLE per_user_win AS SELECT user, COUNT(*) AS n FROM clicks WINDOW TUMBLING (SIZE 1 SECOND) GROUP BY user;
INSERT INTO clicks (user, page, ROWTIME) VALUES ('u1', 'home', 1000);
INSERT INTO clicks (user, page, ROWTIME) VALUES ('u2', 'home', 1500);
INSERT INTO clicks (user, page, ROWTIME) VALUES ('u1', 'cart', 2500);
INSERT INTO clicks (user, page, ROWTIME) VALUES ('u1', 'home', 2600);`)
	sortedOK(t, eng, sess, "SELECT * FROM per_page;", []string{`["cart",1]`, `["home",3]`})
	q := pullUntil(t, eng, sess, "SELECT * FROM per_user_win WHERE user = 'u1' AND WINDOWSTART >= 2000;", []string{`["u1",2000,3000,2]`})
	if h := header(q); h != "`USER` STRING KEY, `WINDOWSTART` BIGINT KEY, `WINDOWEND` BIGINT KEY, `N` BIGINT" {
		t.Fatalf("header %s", h)
	}
	sortedOK(t, eng, sess, "SELECT user, WINDOWSTART, n FROM per_user_win WHERE user = 'u1';", []string{`["u1",1000,1]`, `["u1",2000,2]`})

	// A stream: its topic up to the end when the query starts.
	qs := stream(t, eng, sess, "SELECT user, page FROM clicks WHERE page = 'home';")
	rows := readAll(t, qs)
	sortStrings(rows)
	equalRows(t, "stream pull", rows, []string{`["u1","home"]`, `["u1","home"]`, `["u2","home"]`})
	if qs.Final() != "Query Completed" {
		t.Fatalf("final %q", qs.Final())
	}
	if h := header(qs); h != "`USER` STRING, `PAGE` STRING" {
		t.Fatalf("header %s", h)
	}
	if rows := readAll(t, stream(t, eng, sess, "SELECT * FROM clicks LIMIT 1;")); len(rows) != 1 {
		t.Fatalf("stream LIMIT 1: %v", rows)
	}
}

func TestPullQueryOnSourceTable(t *testing.T) {
	eng := openStreamEngine(t, t.TempDir(), nil)
	defer eng.Close()
	sess := NewSession()
	mustExec(t, eng, sess, `CREATE TABLE base (id STRING PRIMARY KEY, v INT) WITH (kafka_topic='base', value_format='JSON', partitions=1);
INSERT INTO base (id, v) VALUES ('a', 1);
INSERT INTO base (id, v) VALUES ('b', 2);
INSERT INTO base (id, v) VALUES ('a', 3);
CREATE SOURCE TABLE src (id STRING PRIMARY KEY, v INT) WITH (kafka_topic='base', value_format='JSON');`)
	sortedOK(t, eng, sess, "SELECT * FROM src;", []string{`["a",3]`, `["b",2]`})
	sortedOK(t, eng, sess, "SELECT v FROM src WHERE id = 'a';", []string{`[3]`})
}

func TestPrintTopic(t *testing.T) {
	eng := openStreamEngine(t, t.TempDir(), nil)
	defer eng.Close()
	sess := NewSession()
	mustExec(t, eng, sess, `CREATE STREAM s (k STRING KEY, v INT) WITH (kafka_topic='print_me', value_format='JSON', partitions=1);
INSERT INTO s (k, v, ROWTIME) VALUES ('k1', 1, 1647618802989);
INSERT INTO s (k, v, ROWTIME) VALUES ('k2', 2, 1647618802990);
INSERT INTO s (k, v, ROWTIME) VALUES ('k3', 3, 1647618802991);`)
	q := stream(t, eng, sess, "PRINT 'print_me' FROM BEGINNING LIMIT 2;")
	if q.Kind() != PrintTopic {
		t.Fatalf("kind %v", q.Kind())
	}
	var lines []string
	for _, r := range readAll(t, q) {
		var v []string
		json.Unmarshal([]byte(r), &v)
		lines = append(lines, v[0])
	}
	equalRows(t, "PRINT", lines, []string{
		"Key format: KAFKA_STRING",
		"Value format: JSON or KAFKA_STRING",
		`rowtime: 2022/03/18 15:53:22.989 Z, key: k1, value: {"V":1}, partition: 0`,
		`rowtime: 2022/03/18 15:53:22.990 Z, key: k2, value: {"V":2}, partition: 0`,
	})
	q.Close()

	// INTERVAL 2 prints every other record; without FROM BEGINNING only
	// new records; the name matches topics ignoring case.
	q = stream(t, eng, sess, "PRINT PRINT_ME INTERVAL 2 LIMIT 2;")
	defer q.Close()
	var b strings.Builder
	for i := 0; i < 4; i++ {
		fmt.Fprintf(&b, "INSERT INTO s (k, v, ROWTIME) VALUES ('x', %d, 0);\n", 100+i)
	}
	mustExec(t, eng, sess, b.String())
	lines = nil
	for _, r := range readAll(t, q) {
		var v []string
		json.Unmarshal([]byte(r), &v)
		lines = append(lines, v[0])
	}
	equalRows(t, "PRINT INTERVAL", lines, []string{
		"Key format: KAFKA_STRING",
		"Value format: JSON or KAFKA_STRING",
		`rowtime: 1970/01/01 00:00:00.000 Z, key: x, value: {"V":100}, partition: 0`,
		`rowtime: 1970/01/01 00:00:00.000 Z, key: x, value: {"V":102}, partition: 0`,
	})
	if _, err := eng.StreamQuery(context.Background(), "PRINT nope;", sess); err == nil || !strings.Contains(err.Error(), "Could not find topic 'nope'") {
		t.Fatalf("PRINT of a missing topic: %v", err)
	}
}

func TestDetectPrintFormats(t *testing.T) {
	for _, c := range []struct {
		key  bool
		data [][]byte
		want string
		line string
	}{
		{false, [][]byte{{0, 0, 0, 18}}, "KAFKA_INT or KAFKA_STRING", "18"},
		// Eight bytes are a BIGINT, a DOUBLE and (NULs are valid UTF-8) a STRING.
		{false, [][]byte{{0, 0, 0, 0, 0, 0, 0, 7}}, "KAFKA_BIGINT or KAFKA_DOUBLE or KAFKA_STRING", "7"},
		{false, [][]byte{[]byte("18")}, "JSON or KAFKA_STRING", "18"},
		{false, [][]byte{[]byte("18"), []byte("abc")}, "KAFKA_STRING", "abc"},
		// A key and a window start, or a string with NULs: ksqlDB prefers the window.
		{true, [][]byte{append([]byte("key"), 0, 0, 0, 0, 0, 0, 0, 65)}, "HOPPING(KAFKA_STRING) or TUMBLING(KAFKA_STRING) or KAFKA_STRING", "[key@65/-]"},
		{false, [][]byte{{0xff, 0xfe}}, " does not match any supported format. It may be a STRING with encoding other than UTF8, or some other format.", `\xFF\xFE`},
	} {
		g := newFormatGuess(c.key)
		var line string
		for _, d := range c.data {
			line = g.format(d)
		}
		if got := g.possible(); got != c.want || line != c.line {
			t.Errorf("%q: formats %q line %q, want %q %q", c.data, got, line, c.want, c.line)
		}
	}
}

// A table whose query was started by a version that kept no materialized
// view (its tasks lack the view-since mark) is refused by pull queries
// instead of answered from an incomplete view.
func TestPullQueryRefusesTableWithoutCompleteView(t *testing.T) {
	dir := t.TempDir()
	eng := openStreamEngine(t, dir, map[string]string{"ksql.streams.auto.offset.reset": "earliest"})
	sess := NewSession()
	res := mustExec(t, eng, sess, `CREATE TABLE users (id BIGINT PRIMARY KEY, name STRING) WITH (kafka_topic='users', value_format='JSON', partitions=2);
CREATE TABLE q_users AS SELECT * FROM users;
INSERT INTO users (id, name) VALUES (1, 'alice');`)
	pullUntil(t, eng, sess, "SELECT * FROM q_users WHERE id = 1;", []string{`[1,"alice"]`})
	// What an older version's directory looks like: no mark on partition 1.
	b := eng.store.NewBatch()
	b.Delete([]byte(fmt.Sprintf("s/%s/0/1/viewsince/", res[1].QueryID)))
	if err := b.Commit(true); err != nil {
		t.Fatal(err)
	}
	_, err := eng.StreamQuery(context.Background(), "SELECT * FROM q_users WHERE id = 1;", sess)
	if err == nil || !strings.Contains(err.Error(), "older version") {
		t.Fatalf("pull query on a table without a complete view: %v, want a refusal", err)
	}
}

// With push v2 enabled, the push queries ksqlDB would run as scalable push
// queries carry its SCALABLE_PUSH_QUERY_ ids; the others stay transient.
func TestScalablePushQueryIDs(t *testing.T) {
	eng := openStreamEngine(t, t.TempDir(), map[string]string{"ksql.query.push.v2.enabled": "true"})
	defer eng.Close()
	sess := NewSession()
	mustExec(t, eng, sess, `CREATE STREAM i (k STRING KEY, id INT) WITH (kafka_topic='i', value_format='JSON', partitions=1);
CREATE STREAM s AS SELECT * FROM i;`)
	for _, c := range []struct {
		sql, reset, prefix string
	}{
		{"SELECT id FROM s EMIT CHANGES;", "", scalablePushPrefix},
		{"SELECT id FROM s WHERE id > 1 EMIT CHANGES;", "latest", scalablePushPrefix},
		{"SELECT id FROM s EMIT CHANGES;", "earliest", "transient_S_"},
		{"SELECT id FROM i EMIT CHANGES;", "latest", "transient_I_"},            // no query writes i
		{"SELECT id, ROWOFFSET FROM s EMIT CHANGES;", "latest", "transient_S_"}, // disallowed column
		{"SELECT k, COUNT(*) FROM s GROUP BY k EMIT CHANGES;", "latest", "transient_S_"},
	} {
		s := NewSession()
		if c.reset != "" {
			s.Properties["auto.offset.reset"] = c.reset
		}
		q, err := eng.StreamQuery(context.Background(), c.sql, s)
		if err != nil {
			t.Fatalf("%s: %v", c.sql, err)
		}
		if !strings.HasPrefix(q.ID(), c.prefix) {
			t.Errorf("%s (reset %q): id %s, want prefix %s", c.sql, c.reset, q.ID(), c.prefix)
		}
		q.Close()
	}
}

// LIMIT 0 ends a push query at once with "Limit Reached", as ksqlDB's.
func TestPushQueryLimitZero(t *testing.T) {
	eng := openStreamEngine(t, t.TempDir(), nil)
	defer eng.Close()
	sess := NewSession()
	mustExec(t, eng, sess, `CREATE STREAM i (k STRING KEY, id INT) WITH (kafka_topic='i', value_format='JSON', partitions=1);
INSERT INTO i (k, id) VALUES ('a', 1);`)
	sess.Properties["auto.offset.reset"] = "earliest"
	q, err := eng.StreamQuery(context.Background(), "SELECT * FROM i EMIT CHANGES LIMIT 0;", sess)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	if _, err := nextRow(t, q); !errors.Is(err, io.EOF) || q.Final() != "Limit Reached" {
		t.Fatalf("LIMIT 0: %v, final %q; want io.EOF and Limit Reached", err, q.Final())
	}
}
