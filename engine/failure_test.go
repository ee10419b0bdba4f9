package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/state"
)

// lockedBuffer is a log writer safe for the server's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// pollUntil polls cond every few milliseconds until it holds, at most 60 s.
func pollUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond) // polling interval, not a wait for a result
	}
}

// The state store's write-ahead log fails under a running server (a
// failed sync, whose batch may still reach the disk; a failed write,
// whose batch does not): the server stops every query and returns the
// failure, saying that a restart recovers; the restart does, and every
// input row is counted exactly once.
func TestStateFailureStopsServerAndRestartRecovers(t *testing.T) {
	for _, op := range []string{"sync", "write"} {
		t.Run(op, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			var armed atomic.Bool
			engCh := make(chan *Engine, 1)
			cfg := ServerConfig{
				DataDir: dir,
				// Every changelog update is checked: no record cache.
				Properties: map[string]string{"ksql.streams.auto.offset.reset": "earliest", PropCacheMaxBytes: "0"},
				Ready:      func(e *Engine) func() { engCh <- e; return nil },
				stateFault: func(o string) error {
					if armed.Load() && o == op {
						return syscall.EIO
					}
					return nil
				},
			}
			logs := &lockedBuffer{}
			done := make(chan error, 1)
			go func() { done <- Serve(ctx, cfg, logs) }()
			var eng *Engine
			select {
			case eng = <-engCh:
			case err := <-done:
				t.Fatalf("server stopped before serving: %v\n%s", err, logs)
			}
			sess := NewSession()
			if _, err := eng.Execute(ctx, `CREATE STREAM clicks (user STRING KEY, n INT) WITH (kafka_topic='clicks', value_format='JSON', partitions=2);
CREATE TABLE counts AS SELECT user, COUNT(*) AS c FROM clicks GROUP BY user;`, sess); err != nil {
				t.Fatal(err)
			}
			insert := func(i int) error {
				_, err := eng.Execute(ctx, fmt.Sprintf("INSERT INTO clicks (user, n) VALUES ('u%d', %d);", i%5, i), sess)
				return err
			}
			i := 0
			for ; i < 20; i++ {
				if err := insert(i); err != nil {
					t.Fatal(err)
				}
			}
			pollUntil(t, "the first rows committed", func() bool {
				lag := eng.Lag(context.Background())
				return len(lag) == 1 && lag[0].Records == 0
			})

			armed.Store(true)
			// Rows keep arriving until the server refuses them; the
			// input topic, read after the restart, says which arrived.
			var serveErr error
		feed:
			for ; ; i++ {
				select {
				case serveErr = <-done:
					break feed
				default:
				}
				if i < 500 {
					if err := insert(i); err != nil {
						serveErr = <-done
						break feed
					}
				} else {
					time.Sleep(5 * time.Millisecond) // polling interval
				}
			}
			t.Logf("server stopped: %v", serveErr)
			if !errors.Is(serveErr, state.ErrFailed) {
				t.Fatalf("server returned %v, want the state store's failure\n%s", serveErr, logs)
			}
			for _, want := range []string{"state: store failed", "write-ahead log", op, "the data directory is consistent: restart to recover"} {
				if !strings.Contains(serveErr.Error(), want) {
					t.Errorf("error %q lacks %q", serveErr, want)
				}
			}
			if !strings.Contains(logs.String(), "the state store failed") {
				t.Errorf("shutdown not logged as a failure:\n%s", logs)
			}

			// The restart recovers: in-doubt output is settled by what the
			// reopened store holds, and processing continues from there.
			eng, err := Open(ctx, Config{DataDir: dir, Synchronous: true,
				Properties: map[string]string{"ksql.streams.auto.offset.reset": "earliest", PropCacheMaxBytes: "0"}})
			if err != nil {
				t.Fatalf("restart after the failure: %v", err)
			}
			defer eng.Close()
			if err := eng.Drain(ctx); err != nil {
				t.Fatal(err)
			}
			inputs := map[string]int{}
			total := 0
			for p := int32(0); p < 2; p++ {
				recs, err := broker.ReadAll(ctx, eng.Log(), "clicks", p, 0, broker.ReadCommitted, 0)
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range recs {
					inputs[string(r.Key)]++
					total++
				}
			}
			if total <= 20 {
				t.Fatalf("only %d rows arrived: the failure did not happen under load", total)
			}
			counts := map[string]int{}
			for p := int32(0); p < 2; p++ {
				recs, err := broker.ReadAll(ctx, eng.Log(), "COUNTS", p, 0, broker.ReadCommitted, 0)
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range recs {
					k := string(r.Key)
					counts[k]++
					if want := fmt.Sprintf(`{"C":%d}`, counts[k]); string(r.Value) != want {
						t.Fatalf("COUNTS[%s] update %d is %s, want %s (input lost or counted twice)", k, counts[k], r.Value, want)
					}
				}
			}
			for k, n := range inputs {
				if counts[k] != n {
					t.Errorf("COUNTS[%s] has %d updates for %d input rows", k, counts[k], n)
				}
			}
			if !t.Failed() {
				t.Logf("%d input rows, each counted once", total)
			}
		})
	}
}

// A task's failed state commit reaches the caller of Drain as the store's
// failure, and the engine reports it.
func TestStateFailureSurfacesFromTaskCommit(t *testing.T) {
	ctx := context.Background()
	var armed atomic.Bool
	eng, err := Open(ctx, Config{DataDir: t.TempDir(), Synchronous: true,
		Properties: map[string]string{"ksql.streams.auto.offset.reset": "earliest"},
		stateFault: func(op string) error {
			if armed.Load() && op == "sync" {
				return syscall.EIO
			}
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	if _, err := eng.Execute(ctx, `CREATE STREAM s (k STRING KEY, v INT) WITH (kafka_topic='s', value_format='JSON', partitions=1);
CREATE TABLE t AS SELECT k, COUNT(*) AS c FROM s GROUP BY k;
INSERT INTO s (k, v) VALUES ('a', 1);`, nil); err != nil {
		t.Fatal(err)
	}
	if err := eng.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if eng.Err() != nil {
		t.Fatalf("Err() = %v before any failure", eng.Err())
	}
	if _, err := eng.Execute(ctx, "INSERT INTO s (k, v) VALUES ('a', 2);", nil); err != nil {
		t.Fatal(err)
	}
	armed.Store(true)
	err = eng.Drain(ctx)
	if !errors.Is(err, state.ErrFailed) {
		t.Fatalf("Drain = %v, want the state store's failure", err)
	}
	select {
	case <-eng.Failed():
	default:
		t.Fatal("Failed() not closed")
	}
	if !errors.Is(eng.Err(), state.ErrFailed) {
		t.Fatalf("Err() = %v, want the state store's failure", eng.Err())
	}
	if _, err := eng.Execute(ctx, "INSERT INTO s (k, v) VALUES ('a', 3);", nil); !errors.Is(err, state.ErrFailed) {
		t.Fatalf("a statement after the failure: %v, want it refused with the failure", err)
	}
}
