package engine

import (
	"context"
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
