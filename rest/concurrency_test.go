package rest

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/engine"
)

// TestConcurrentPushPullUnderLoad runs, against a real server on a
// loopback port, 50 push queries reading a stream from the earliest
// offset, a stream of pull queries against a table, and a push query
// whose client (in process: see below) stops reading, while persistent
// queries process input that keeps arriving. It checks that every push query sees every row exactly once
// and in order per key, that every pull answer is a consistent snapshot,
// that the persistent queries commit all of their output while the slow
// client reads nothing, that the slow client's query ends with the
// slow-consumer error, and that no goroutine is left once everything is
// closed.
func TestConcurrentPushPullUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 50 push queries")
	}
	const (
		pushQueries = 50
		keys        = 10
		perKey      = 60
		total       = keys * perKey
	)
	startGoroutines := runtime.NumGoroutine()
	ctx := context.Background()
	eng, err := engine.Open(ctx, engine.Config{DataDir: t.TempDir(), NoSync: true, CommitInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h, err := Start(eng, ln, Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
	closed := false
	closeAll := func() {
		if closed {
			return
		}
		closed = true
		client.CloseIdleConnections()
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := h.Shutdown(sctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := eng.Close(); err != nil {
			t.Errorf("engine close: %v", err)
		}
	}
	defer closeAll()

	if code, body := post(t, base+"/ksql", `{"ksql": "CREATE STREAM s (k INT KEY, seq INT) WITH (kafka_topic='s', value_format='JSON', partitions=2); CREATE STREAM copy AS SELECT * FROM s; CREATE TABLE latest AS SELECT k, LATEST_BY_OFFSET(seq) AS seq, COUNT(*) AS n FROM s GROUP BY k;", "streamsProperties": {"ksql.streams.auto.offset.reset": "earliest"}}`); code != http.StatusOK {
		t.Fatalf("/ksql: %d %s", code, body)
	}

	// The slow client: a push query nobody reads, with a 5-row queue and
	// 100 ms of patience. It is taken from the engine directly: over
	// HTTP, how much the sockets absorb before the server blocks depends
	// on the kernel's buffer tuning, and a test must not.
	slowSess := engine.NewSession()
	slowSess.Properties["auto.offset.reset"] = "earliest"
	slowSess.Properties[engine.PropPushBufferRows] = "5"
	slowSess.Properties[engine.PropPushSlowConsumerMs] = "100"
	slow, err := eng.StreamQuery(ctx, "SELECT k, seq FROM s EMIT CHANGES;", slowSess)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()

	// 50 push queries, each reading every row.
	var wg sync.WaitGroup
	pushErrs := make(chan error, pushQueries)
	pushCtx, pushCancel := context.WithTimeout(ctx, 60*time.Second) // a bound, not a timing
	defer pushCancel()
	for i := 0; i < pushQueries; i++ {
		resp := openPush(t, pushCtx, client, base, "SELECT k, seq FROM s EMIT CHANGES;", `"auto.offset.reset":"earliest"`)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer resp.Body.Close()
			pushErrs <- readInOrder(resp.Body, keys, total)
		}()
	}

	// Pull queries until the pushes are done: each answer is one point in
	// time of the table (LATEST seq is COUNT-1 for every key).
	pullStop := make(chan struct{})
	pullDone := make(chan error, 1)
	pulls := 0
	go func() {
		rng := rand.New(rand.NewPCG(1, 2))
		for {
			select {
			case <-pullStop:
				pullDone <- nil
				return
			default:
			}
			a, b := rng.IntN(keys+2), rng.IntN(keys+2) // keys 10, 11 never exist
			if err := checkPull(client, base, fmt.Sprintf("SELECT * FROM latest WHERE k IN (%d, %d, %d);", a, b, a)); err != nil {
				pullDone <- err
				return
			}
			pulls++
		}
	}()

	// Input keeps arriving while all of that runs.
	for seq := 0; seq < perKey; seq++ {
		var batch [2][]broker.Record
		for k := 0; k < keys; k++ {
			key := binary.BigEndian.AppendUint32(nil, uint32(k))
			p := broker.PartitionForKey(key, 2)
			batch[p] = append(batch[p], broker.Record{Key: key, Timestamp: int64(seq), Value: fmt.Appendf(nil, `{"SEQ":%d}`, seq)})
		}
		for p := range batch {
			if len(batch[p]) > 0 {
				if _, err := eng.Log().Append(ctx, "s", int32(p), batch[p]); err != nil {
					t.Fatal(err)
				}
			}
		}
	}

	// The persistent queries finish their work while the slow client
	// still reads nothing.
	for _, sink := range []string{"COPY"} {
		waitUntil(t, "the persistent query writing "+sink+" to copy every row", func() bool {
			n := 0
			for p := int32(0); p < 2; p++ {
				recs, err := broker.ReadAll(ctx, eng.Log(), sink, p, 0, broker.ReadCommitted, 0)
				if err != nil {
					return false
				}
				n += len(recs)
			}
			return n == total
		})
	}
	waitUntil(t, "the table to count every row", func() bool {
		rows, err := pullRows(client, base, "SELECT * FROM latest;")
		if err != nil || len(rows) != keys {
			return false
		}
		for _, r := range rows {
			if fmt.Sprint(r[2]) != fmt.Sprint(perKey) {
				return false
			}
		}
		return true
	})

	wg.Wait()
	close(pushErrs)
	for err := range pushErrs {
		if err != nil {
			t.Error(err)
		}
	}
	close(pullStop)
	if err := <-pullDone; err != nil {
		t.Fatal(err)
	}
	if pulls == 0 {
		t.Fatal("no pull query ran")
	}
	t.Logf("%d pull queries ran alongside", pulls)

	// The slow query gives up on its client, which has read nothing (its
	// tasks may still be catching up: they share 2 cores with the rest).
	select {
	case <-slow.(interface{ Done() <-chan struct{} }).Done():
	case <-time.After(30 * time.Second): // a bound, not a timing
		t.Fatal("the slow client's query did not end")
	}
	// The slow client reads at last: at most its 5 queued rows, then the
	// slow-consumer error.
	readCtx, readCancel := context.WithTimeout(ctx, 30*time.Second) // a bound, not a timing
	defer readCancel()
	var slowErr error
	got := 0
	for ; got <= total && slowErr == nil; got++ {
		_, slowErr = slow.Next(readCtx)
	}
	if !errors.Is(slowErr, engine.ErrSlowConsumer) || got > 6 {
		t.Fatalf("the slow client's query ended with %v after %d rows, want ErrSlowConsumer after at most 5", slowErr, got-1)
	}
	if err := slow.Close(); err != nil {
		t.Fatal(err)
	}

	pushCancel()
	closeAll()
	for i := 0; i < 1000 && runtime.NumGoroutine() > startGoroutines; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > startGoroutines {
		buf := make([]byte, 1<<20)
		t.Fatalf("%d goroutines left, %d before the test:\n%s", n, startGoroutines, buf[:runtime.Stack(buf, true)])
	}
}

// openPush starts a push query on /query-stream (delimited) and returns
// the response, its header line unread.
func openPush(t *testing.T, ctx context.Context, c *http.Client, base, sql, props string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/query-stream",
		strings.NewReader(fmt.Sprintf(`{"sql":%q,"properties":{%s}}`, sql, props)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/vnd.ksqlapi.delimited.v1")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		t.Fatalf("%s: %d %s", sql, resp.StatusCode, b)
	}
	return resp
}

// readInOrder reads a push query's header and then total rows [k, seq],
// and checks that each key's seqs are 0, 1, 2, ... (every row exactly
// once, in order).
func readInOrder(body io.Reader, keys, total int) error {
	sc := bufio.NewScanner(body)
	if !sc.Scan() {
		return fmt.Errorf("no header: %v", sc.Err())
	}
	next := make([]int, keys)
	for n := 0; n < total; n++ {
		if !sc.Scan() {
			return fmt.Errorf("after %d of %d rows: %v", n, total, sc.Err())
		}
		var row []int
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil || len(row) != 2 || row[0] < 0 || row[0] >= keys {
			return fmt.Errorf("row %d: %q", n, sc.Text())
		}
		if k, seq := row[0], row[1]; seq != next[k] {
			return fmt.Errorf("key %d: seq %d, want %d (row %d)", k, seq, next[k], n)
		}
		next[row[0]]++
	}
	return nil
}

// pullRows runs a pull query on /query-stream and returns its rows.
func pullRows(c *http.Client, base, sql string) ([][]any, error) {
	resp, err := c.Post(base+"/query-stream", "application/json", strings.NewReader(fmt.Sprintf(`{"sql":%q}`, sql)))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %d %v %s", sql, resp.StatusCode, err, body)
	}
	lines := strings.Split(strings.TrimSpace(string(body)), "\n")
	var rows [][]any
	for _, l := range lines[1:] {
		var row []any
		if err := json.Unmarshal([]byte(l), &row); err != nil {
			return nil, fmt.Errorf("%s: line %q", sql, l)
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// checkPull runs a pull query on latest and checks its answer is a
// consistent snapshot: for every key, LATEST seq = COUNT - 1, each key
// once.
func checkPull(c *http.Client, base, sql string) error {
	rows, err := pullRows(c, base, sql)
	if err != nil {
		return err
	}
	seen := map[float64]bool{}
	for _, r := range rows {
		k, _ := r[0].(float64)
		seq, _ := r[1].(float64)
		n, _ := r[2].(float64)
		if len(r) != 3 || seq != n-1 || seen[k] {
			return fmt.Errorf("%s: row %v of %v", sql, r, rows)
		}
		seen[k] = true
	}
	return nil
}

// waitUntil polls cond, at most 30 s (a bound on the test, not a timing
// assertion).
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for i := 0; i < 3000; i++ {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}
