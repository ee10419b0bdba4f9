package engine

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/broker/embedded"
	"github.com/ksqlgo/ksql/broker/kafkaproto"
)

// The logs the engine's end-to-end tests run over: the embedded log, and
// external Kafka clusters reached through kafkaproto.ClientLog (kfake,
// franz-go's fake Kafka; and this project's own Kafka listener over an
// embedded log, used as an external cluster by a second engine).
type logKind struct {
	name string
	// cluster starts a cluster for one test and returns a dialer of it
	// (each engine start dials again); nil is the embedded log.
	cluster func(t *testing.T) func(t *testing.T) broker.Log
}

var logKinds = []logKind{
	{name: "embedded"},
	{name: "kfake", cluster: kfakeCluster},
	{name: "listener", cluster: listenerCluster},
}

func kfakeCluster(t *testing.T) func(t *testing.T) broker.Log {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(-1), kfake.WithLogger(kfakeLogger{t}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return dialer(c.ListenAddrs())
}

// listenerCluster serves an embedded log (not the engine's: a second
// one, in its own directory) over the Kafka listener.
func listenerCluster(t *testing.T) func(t *testing.T) broker.Log {
	t.Helper()
	lg, err := embedded.Open(t.TempDir(), embedded.Options{SyncPolicy: embedded.SyncInterval})
	if err != nil {
		t.Fatal(err)
	}
	srv := kafkaproto.NewServer(lg, kafkaproto.Config{})
	if err := srv.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	go srv.Serve(context.Background())
	t.Cleanup(func() {
		srv.Close()
		lg.Close()
	})
	return dialer([]string{srv.Addr().String()})
}

func dialer(seeds []string) func(t *testing.T) broker.Log {
	return func(t *testing.T) broker.Log {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		l, err := kafkaproto.Dial(ctx, kafkaproto.ClientConfig{SeedBrokers: seeds, TransactionalIDPrefix: "test-", Logf: t.Logf})
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
}

// kfakeLogger sends kfake's warnings and errors to the test's log.
type kfakeLogger struct{ t *testing.T }

func (l kfakeLogger) Logf(level kfake.LogLevel, format string, args ...any) {
	if level <= kfake.LogLevelWarn && level != kfake.LogLevelNone {
		l.t.Logf("kfake %s: "+format, append([]any{level}, args...)...)
	}
}

// Client queries over Kafka: a push query (a transient query, with its
// own changelogs and transactions), a pull query on a table whose state
// was restored from its changelog on an empty state directory, and the
// push query's topics gone once it closes.
func TestClientQueriesOverKafka(t *testing.T) {
	if testing.Short() {
		t.Skip("over an external cluster: not in -short")
	}
	dial := kfakeCluster(t)
	dir := t.TempDir()
	props := map[string]string{"ksql.streams.auto.offset.reset": "earliest"}
	open := func() *Engine {
		eng, err := Open(context.Background(), Config{DataDir: dir, Log: dial(t), NoSync: true, CommitInterval: 5 * time.Millisecond, Properties: props})
		if err != nil {
			t.Fatal(err)
		}
		return eng
	}
	eng := open()
	sess := NewSession()
	mustExec(t, eng, sess, `CREATE STREAM s (id VARCHAR KEY, v INT) WITH (kafka_topic='s', value_format='JSON', partitions=2);
CREATE TABLE totals AS SELECT id, SUM(v) AS total FROM s GROUP BY id;`)
	push := stream(t, eng, sess, "SELECT id, v * 10 AS v10 FROM s EMIT CHANGES;")
	mustExec(t, eng, sess, `INSERT INTO s (id, v) VALUES ('a', 1); INSERT INTO s (id, v) VALUES ('b', 2); INSERT INTO s (id, v) VALUES ('a', 3);`)
	got := readRows(t, push, 3)
	slices.Sort(got)
	if want := []string{`["a",10]`, `["a",30]`, `["b",20]`}; !slices.Equal(got, want) {
		t.Fatalf("push rows %v, want %v", got, want)
	}
	// A push query's state ends with it: no changelog topics for it.
	ts, err := eng.Log().Topics(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, ti := range ts {
		if strings.Contains(ti.Name, "transient") && strings.HasSuffix(ti.Name, "-changelog") {
			t.Fatalf("the push query has a changelog topic %s", ti.Name)
		}
	}
	push.Close()
	waitFor(t, "the table to catch up", func() bool {
		for _, q := range eng.Lag(context.Background()) {
			if q.Records != 0 {
				return false
			}
		}
		return true
	})
	if err := eng.Close(); err != nil {
		t.Fatal(err)
	}
	// A fresh machine: no state directory; the pull query's view comes
	// back from the changelog.
	if err := os.RemoveAll(filepath.Join(dir, "state")); err != nil {
		t.Fatal(err)
	}
	eng = open()
	defer eng.Close()
	rows := readAll(t, stream(t, eng, NewSession(), "SELECT id, total FROM totals WHERE id = 'a';"))
	if len(rows) != 1 || rows[0] != `["a",4]` {
		t.Fatalf("pull query after a restore: %v, want [\"a\",4]", rows)
	}
	ts, err = eng.Log().Topics(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, ti := range ts {
		if strings.Contains(ti.Name, "transient") {
			t.Fatalf("the push query's topic %s is left", ti.Name)
		}
	}
}
