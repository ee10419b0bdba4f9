package kafkaproto_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/broker/brokertest"
	"github.com/ksqlgo/ksql/broker/embedded"
	"github.com/ksqlgo/ksql/broker/kafkaproto"
)

// A cluster for ClientLog tests: kfake (franz-go's fake Kafka, three
// brokers) or this package's own Server over an embedded log. Both listen
// on loopback ports and are stopped at the end of the test (stop may also
// be called earlier, to lose the cluster).
type cluster struct {
	addrs []string
	stop  func()
}

type backend struct {
	name  string
	start func(t *testing.T) *cluster
	// configs: the cluster keeps topic configurations (DescribeConfigs).
	configs bool
}

var backends = []backend{
	{name: "kfake", start: startKfake, configs: true},
	{name: "server", start: startServer, configs: true},
}

func startKfake(t *testing.T) *cluster {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(3))
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			c.Close()
		}
	}
	t.Cleanup(stop)
	return &cluster{addrs: c.ListenAddrs(), stop: stop}
}

func startServer(t *testing.T) *cluster {
	t.Helper()
	l, err := embedded.Open(t.TempDir(), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := kafkaproto.NewServer(l, kafkaproto.Config{Logf: t.Logf})
	if err := srv.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(context.Background()) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		_ = srv.Close()
		<-served
		_ = l.Close()
	}
	t.Cleanup(stop)
	return &cluster{addrs: []string{srv.Addr().String()}, stop: stop}
}

// dial opens a ClientLog on c with the given transactional id prefix,
// closed at the end of the test.
func dial(t *testing.T, c *cluster, prefix string) *kafkaproto.ClientLog {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	l, err := kafkaproto.Dial(ctx, kafkaproto.ClientConfig{
		SeedBrokers:           c.addrs,
		TransactionalIDPrefix: prefix,
		TransactionTimeout:    10 * time.Second,
		RetryTimeout:          5 * time.Second,
		Logf:                  t.Logf,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l
}

// needAPIs skips the test unless the cluster serves every request kind.
func needAPIs(t *testing.T, c *cluster, keys ...kmsg.Key) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.addrs...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	resp, err := kmsg.NewPtrApiVersionsRequest().RequestWith(t.Context(), cl)
	if err != nil {
		t.Fatal(err)
	}
	served := map[int16]bool{}
	for _, k := range resp.ApiKeys {
		served[k.ApiKey] = true
	}
	for _, k := range keys {
		if !served[int16(k)] {
			t.Skipf("the cluster does not serve %s yet", k.Name())
		}
	}
}

// needTxns skips the test when the cluster does not serve transactions.
func needTxns(t *testing.T, c *cluster, l *kafkaproto.ClientLog) {
	t.Helper()
	needAPIs(t, c, kmsg.InitProducerID, kmsg.AddPartitionsToTxn, kmsg.AddOffsetsToTxn, kmsg.EndTxn, kmsg.TxnOffsetCommit)
	err := l.InitProducer(t.Context(), "probe")
	if errors.Is(err, kafkaproto.ErrTxnUnsupported) {
		t.Skipf("the cluster does not serve transactions: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
}

func eachBackend(t *testing.T, fn func(t *testing.T, b backend)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { fn(t, b) })
	}
}

func TestClientConformance(t *testing.T) {
	brokertest.RunWith(t, func(t *testing.T) broker.Log {
		return dial(t, startKfake(t), "ksql-test-")
	}, brokertest.Caps{LogDecidedTxns: true})
}

func mkRecs(prefix string, n int) []broker.Record {
	recs := make([]broker.Record, n)
	for i := range recs {
		recs[i] = broker.Record{Key: fmt.Appendf(nil, "k%s%d", prefix, i), Value: fmt.Appendf(nil, "%s%d", prefix, i), Timestamp: 1_700_000_000_000 + int64(i)}
	}
	return recs
}

func vals(recs []broker.Record) string {
	var out []string
	for _, r := range recs {
		out = append(out, string(r.Value))
	}
	return strings.Join(out, ",")
}

// readAll reads [from, stable or end) under iso with small reads.
func readAll(t *testing.T, l broker.Log, topic string, p int32, from int64, iso broker.Isolation, maxRecs int) ([]broker.Record, int64) {
	t.Helper()
	var all []broker.Record
	for i := 0; i < 100_000; i++ {
		recs, next, err := l.Read(t.Context(), topic, p, from, broker.ReadOptions{Isolation: iso, MaxRecords: maxRecs})
		if err != nil {
			t.Fatalf("Read %s-%d at %d: %v", topic, p, from, err)
		}
		all = append(all, recs...)
		if next == from && len(recs) == 0 {
			return all, from
		}
		from = next
	}
	t.Fatal("readAll did not end")
	return nil, 0
}

func TestClientTopicsAndRecords(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		l := dial(t, b.start(t), "p-")
		ctx := t.Context()
		cfg := broker.TopicConfig{Partitions: 2, RetentionMs: 3_600_000, RetentionBytes: 1 << 30, CleanupPolicy: "compact"}
		if err := l.CreateTopic(ctx, "orders", cfg); err != nil {
			t.Fatal(err)
		}
		info, err := l.Topic(ctx, "orders")
		if err != nil {
			t.Fatal(err)
		}
		if !b.configs {
			cfg = broker.TopicConfig{Partitions: 2} // the settings read as the defaults
		}
		if info.Config != cfg {
			t.Fatalf("Topic = %+v, want %+v", info.Config, cfg)
		}
		if err := l.CreateTopic(ctx, "orders", broker.TopicConfig{Partitions: 1}); !errors.Is(err, broker.ErrTopicExists) {
			t.Fatalf("create twice: %v", err)
		}
		if err := l.CreateTopic(ctx, "a/b", broker.TopicConfig{Partitions: 1}); !errors.Is(err, broker.ErrInvalidTopic) {
			t.Fatalf("create a/b: %v", err)
		}
		in := []broker.Record{
			{Key: []byte("tomb"), Value: nil, Timestamp: 5},
			{Key: []byte{}, Value: []byte{}, Timestamp: 6},
			{Key: nil, Value: []byte("keyless"), Timestamp: 7, Headers: []broker.Header{{Key: "h", Value: []byte("1")}, {Key: "e", Value: []byte{}}}},
		}
		base, err := l.Append(ctx, "orders", 1, in)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := readAll(t, l, "orders", 1, base, broker.ReadCommitted, 0)
		if len(got) != 3 {
			t.Fatalf("%d records", len(got))
		}
		if got[0].Value != nil || got[1].Value == nil || got[1].Key == nil || got[2].Key != nil {
			t.Fatalf("nil and empty not kept apart: %+v", got)
		}
		if got[2].Timestamp != 7 || len(got[2].Headers) != 2 || string(got[2].Headers[0].Value) != "1" || got[2].Offset != base+2 || got[2].Partition != 1 {
			t.Fatalf("record 2 = %+v", got[2])
		}
		if err := l.DeleteTopic(ctx, "orders"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := l.Read(ctx, "orders", 1, base, broker.ReadOptions{}); !errors.Is(err, broker.ErrUnknownTopic) {
			t.Fatalf("Read of a deleted topic: %v", err)
		}
	})
}

// Sequential small reads are served from the read-ahead: one fetch per
// chunk, not one per Read.
func TestClientSequentialReadsFetchOnce(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		l := dial(t, b.start(t), "p-")
		if err := l.CreateTopic(t.Context(), "t", broker.TopicConfig{Partitions: 1}); err != nil {
			t.Fatal(err)
		}
		base, err := l.Append(t.Context(), "t", 0, mkRecs("a", 1000))
		if err != nil {
			t.Fatal(err)
		}
		before := l.Fetches()
		got, next := readAll(t, l, "t", 0, base, broker.ReadCommitted, 10)
		if len(got) != 1000 || next != base+1000 {
			t.Fatalf("%d records, next %d", len(got), next)
		}
		for i, r := range got {
			if r.Offset != base+int64(i) {
				t.Fatalf("record %d at offset %d", i, r.Offset)
			}
		}
		// 100 reads of 10 and one at the end; the 1000 small records fit
		// in one fetch, plus the fetch that finds the end.
		if n := l.Fetches() - before; n > 3 {
			t.Fatalf("%d fetches for 101 sequential reads", n)
		}
	})
}

func TestClientWaitWakesOnAppend(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		l := dial(t, b.start(t), "p-")
		ctx := t.Context()
		if err := l.CreateTopic(ctx, "t", broker.TopicConfig{Partitions: 3}); err != nil {
			t.Fatal(err)
		}
		// Waiters on every partition; appends to each in turn wake its
		// waiters only.
		errc := make(chan error, 6)
		for p := int32(0); p < 3; p++ {
			for _, iso := range []broker.Isolation{broker.ReadCommitted, broker.ReadUncommitted} {
				go func() { errc <- l.Wait(ctx, "t", p, 0, iso) }()
			}
		}
		for p := int32(0); p < 3; p++ {
			select {
			case err := <-errc:
				t.Fatalf("a Wait returned before any append: %v", err)
			case <-time.After(100 * time.Millisecond):
			}
			if _, err := l.Append(ctx, "t", p, mkRecs("a", 1)); err != nil {
				t.Fatal(err)
			}
			for range 2 {
				select {
				case err := <-errc:
					if err != nil {
						t.Fatal(err)
					}
				case <-time.After(20 * time.Second):
					t.Fatalf("Wait on partition %d not woken by an append", p)
				}
			}
		}
		// A waiter past the end waits for the record at its offset.
		w := make(chan error, 1)
		go func() { w <- l.Wait(ctx, "t", 0, 2, broker.ReadUncommitted) }()
		if _, err := l.Append(ctx, "t", 0, mkRecs("b", 1)); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-w:
			t.Fatalf("Wait at 2 returned with the end at 2: %v", err)
		case <-time.After(200 * time.Millisecond):
		}
		if _, err := l.Append(ctx, "t", 0, mkRecs("c", 1)); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-w:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("Wait at 2 not woken by the record at 2")
		}
	})
}

func TestClientReadCommittedSkipsAborted(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		c := b.start(t)
		l := dial(t, c, "p-")
		needTxns(t, c, l)
		ctx := t.Context()
		if err := l.CreateTopic(ctx, "t", broker.TopicConfig{Partitions: 1}); err != nil {
			t.Fatal(err)
		}
		a, err := l.Append(ctx, "t", 0, mkRecs("a", 2))
		if err != nil {
			t.Fatal(err)
		}
		for i, commit := range []bool{false, true, false, true} {
			txn := broker.Txn{Producer: "w", Seq: int64(i + 1)}
			if _, err := l.AppendTxn(ctx, txn, "t", 0, mkRecs(fmt.Sprintf("t%d-", i), 3)); err != nil {
				t.Fatal(err)
			}
			if err := l.EndTxn(ctx, txn, commit); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := l.Append(ctx, "t", 0, mkRecs("z", 1)); err != nil {
			t.Fatal(err)
		}
		want := "a0,a1,t1-0,t1-1,t1-2,t3-0,t3-1,t3-2,z0"
		for _, maxRecs := range []int{0, 1, 2} {
			got, next := readAll(t, l, "t", 0, a, broker.ReadCommitted, maxRecs)
			if vals(got) != want {
				t.Fatalf("ReadCommitted (max %d) = %s, want %s", maxRecs, vals(got), want)
			}
			if o, _ := l.Offsets(ctx, "t", 0); next != o.End || o.Stable != o.End {
				t.Fatalf("next %d, Offsets %+v", next, o)
			}
		}
		got, _ := readAll(t, l, "t", 0, a, broker.ReadUncommitted, 0)
		if len(got) != 2+12+1 {
			t.Fatalf("ReadUncommitted: %s", vals(got))
		}
	})
}

func TestClientFencing(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		c := b.start(t)
		old := dial(t, c, "svc-")
		needTxns(t, c, old)
		ctx := t.Context()
		if err := old.CreateTopic(ctx, "t", broker.TopicConfig{Partitions: 1}); err != nil {
			t.Fatal(err)
		}
		txn := broker.Txn{Producer: "q/0/0", Seq: 1}
		if _, err := old.AppendTxn(ctx, txn, "t", 0, mkRecs("old", 2)); err != nil {
			t.Fatal(err)
		}
		// A second incarnation of the same service takes the producer over.
		cur := dial(t, c, "svc-")
		if _, err := cur.AppendTxn(ctx, txn, "t", 0, mkRecs("new", 1)); err != nil {
			t.Fatal(err)
		}
		if err := old.EndTxn(ctx, txn, true); !errors.Is(err, broker.ErrFenced) {
			t.Fatalf("EndTxn of the fenced incarnation: %v, want ErrFenced", err)
		}
		if _, err := old.AppendTxn(ctx, broker.Txn{Producer: "q/0/0", Seq: 2}, "t", 0, mkRecs("x", 1)); !errors.Is(err, broker.ErrFenced) {
			t.Fatalf("AppendTxn after being fenced: %v, want ErrFenced", err)
		}
		if err := cur.EndTxn(ctx, txn, true); err != nil {
			t.Fatal(err)
		}
		got, _ := readAll(t, cur, "t", 0, 0, broker.ReadCommitted, 0)
		if vals(got) != "new0" {
			t.Fatalf("committed: %s, want only the new incarnation's", vals(got))
		}
		// Another prefix is another producer: no fencing across services.
		other := dial(t, c, "other-")
		if _, err := other.AppendTxn(ctx, broker.Txn{Producer: "q/0/0", Seq: 5}, "t", 0, mkRecs("o", 1)); err != nil {
			t.Fatal(err)
		}
		if _, err := cur.AppendTxn(ctx, broker.Txn{Producer: "q/0/0", Seq: 2}, "t", 0, mkRecs("n", 1)); err != nil {
			t.Fatal(err)
		}
		if err := other.EndTxn(ctx, broker.Txn{Producer: "q/0/0", Seq: 5}, true); err != nil {
			t.Fatal(err)
		}
		if err := cur.EndTxn(ctx, broker.Txn{Producer: "q/0/0", Seq: 2}, true); err != nil {
			t.Fatal(err)
		}
	})
}

// A transaction left open by a crashed process is aborted when its
// producer name is used again, and no longer holds the stable offset back.
func TestClientCrashedTxnAbortedOnReuse(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		c := b.start(t)
		first := dial(t, c, "svc-")
		needTxns(t, c, first)
		ctx := t.Context()
		if err := first.CreateTopic(ctx, "t", broker.TopicConfig{Partitions: 2}); err != nil {
			t.Fatal(err)
		}
		txn := broker.Txn{Producer: "task", Seq: 7}
		for p := int32(0); p < 2; p++ {
			if _, err := first.AppendTxn(ctx, txn, "t", p, mkRecs("lost", 2)); err != nil {
				t.Fatal(err)
			}
		}
		if err := first.PrepareTxn(ctx, txn); err != nil {
			t.Fatal(err)
		}
		first.Crash()

		second := dial(t, c, "svc-")
		if o, err := second.Offsets(ctx, "t", 0); err != nil || o.Stable != 0 || o.End != 2 {
			t.Fatalf("open transaction: Offsets %+v, %v; want Stable 0, End 2", o, err)
		}
		if d, err := second.InDoubt(ctx); err != nil || len(d) != 0 {
			t.Fatalf("InDoubt = %v, %v; Kafka resolves", d, err)
		}
		next := broker.Txn{Producer: "task", Seq: 8}
		if _, err := second.AppendTxn(ctx, next, "t", 1, mkRecs("kept", 1)); err != nil {
			t.Fatal(err)
		}
		if err := second.EndTxn(ctx, next, true); err != nil {
			t.Fatal(err)
		}
		got0, _ := readAll(t, second, "t", 0, 0, broker.ReadCommitted, 0)
		got1, _ := readAll(t, second, "t", 1, 0, broker.ReadCommitted, 0)
		if vals(got0) != "" || vals(got1) != "kept0" {
			t.Fatalf("after reuse: p0 %q, p1 %q; want nothing of the crashed transaction", vals(got0), vals(got1))
		}
		if o, err := second.Offsets(ctx, "t", 0); err != nil || o.Stable != o.End {
			t.Fatalf("after reuse: Offsets %+v, %v; the aborted transaction still holds Stable back", o, err)
		}

		// InitProducer resolves it without appending anything.
		if _, err := second.AppendTxn(ctx, broker.Txn{Producer: "idle", Seq: 1}, "t", 0, mkRecs("idle", 1)); err != nil {
			t.Fatal(err)
		}
		second.Crash()
		third := dial(t, c, "svc-")
		if err := third.InitProducer(ctx, "idle"); err != nil {
			t.Fatal(err)
		}
		if o, err := third.Offsets(ctx, "t", 0); err != nil || o.Stable != o.End {
			t.Fatalf("after InitProducer: Offsets %+v, %v", o, err)
		}
	})
}

func TestClientCommitOffsetsTxn(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		c := b.start(t)
		l := dial(t, c, "p-")
		needTxns(t, c, l)
		ctx := t.Context()
		if err := l.CreateTopic(ctx, "in", broker.TopicConfig{Partitions: 2}); err != nil {
			t.Fatal(err)
		}
		if err := l.CreateTopic(ctx, "out", broker.TopicConfig{Partitions: 1}); err != nil {
			t.Fatal(err)
		}
		in0 := broker.TopicPartition{Topic: "in", Partition: 0}
		in1 := broker.TopicPartition{Topic: "in", Partition: 1}
		fetch := func(what string, want map[broker.TopicPartition]int64) {
			t.Helper()
			got, err := l.FetchOffsets(ctx, "g")
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("%s: FetchOffsets = %v, want %v", what, got, want)
			}
		}
		// Aborted: the positions never show.
		txn := broker.Txn{Producer: "task", Seq: 1}
		if _, err := l.AppendTxn(ctx, txn, "out", 0, mkRecs("a", 1)); err != nil {
			t.Fatal(err)
		}
		if err := l.CommitOffsetsTxn(ctx, txn, "g", map[broker.TopicPartition]int64{in0: 5, in1: 6}); err != nil {
			t.Fatal(err)
		}
		if err := l.EndTxn(ctx, txn, false); err != nil {
			t.Fatal(err)
		}
		fetch("after abort", map[broker.TopicPartition]int64{})
		// Committed with records.
		txn = broker.Txn{Producer: "task", Seq: 2}
		if _, err := l.AppendTxn(ctx, txn, "out", 0, mkRecs("b", 1)); err != nil {
			t.Fatal(err)
		}
		if err := l.CommitOffsetsTxn(ctx, txn, "g", map[broker.TopicPartition]int64{in0: 7}); err != nil {
			t.Fatal(err)
		}
		if err := l.EndTxn(ctx, txn, true); err != nil {
			t.Fatal(err)
		}
		fetch("after commit", map[broker.TopicPartition]int64{in0: 7})
		// Committed with positions only (no record in the transaction).
		txn = broker.Txn{Producer: "task", Seq: 3}
		if err := l.CommitOffsetsTxn(ctx, txn, "g", map[broker.TopicPartition]int64{in1: 9}); err != nil {
			t.Fatal(err)
		}
		if err := l.EndTxn(ctx, txn, true); err != nil {
			t.Fatal(err)
		}
		fetch("after an offsets-only commit", map[broker.TopicPartition]int64{in0: 7, in1: 9})
		// The next transaction still works (the epoch was not bumped
		// behind franz-go's back).
		txn = broker.Txn{Producer: "task", Seq: 4}
		if _, err := l.AppendTxn(ctx, txn, "out", 0, mkRecs("c", 1)); err != nil {
			t.Fatal(err)
		}
		if err := l.EndTxn(ctx, txn, true); err != nil {
			t.Fatal(err)
		}
		got, _ := readAll(t, l, "out", 0, 0, broker.ReadCommitted, 0)
		if vals(got) != "b0,c0" {
			t.Fatalf("out = %s", vals(got))
		}
	})
}

// A cluster that goes away makes calls fail within their context, never
// hang.
func TestClientClusterGone(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		c := b.start(t)
		l := dial(t, c, "p-")
		ctx := t.Context()
		if err := l.CreateTopic(ctx, "t", broker.TopicConfig{Partitions: 1}); err != nil {
			t.Fatal(err)
		}
		if _, err := l.Append(ctx, "t", 0, mkRecs("a", 1)); err != nil {
			t.Fatal(err)
		}
		waiting := make(chan error, 1)
		wctx, cancelWait := context.WithTimeout(ctx, 3*time.Second)
		defer cancelWait()
		go func() { waiting <- l.Wait(wctx, "t", 0, 1, broker.ReadCommitted) }()
		c.stop()
		calls := map[string]func(ctx context.Context) error{
			"Read": func(ctx context.Context) error {
				_, _, err := l.Read(ctx, "t", 0, 0, broker.ReadOptions{})
				return err
			},
			"Append": func(ctx context.Context) error {
				_, err := l.Append(ctx, "t", 0, mkRecs("b", 1))
				return err
			},
			"Offsets": func(ctx context.Context) error {
				_, err := l.Offsets(ctx, "t", 0)
				return err
			},
			"CreateTopic": func(ctx context.Context) error {
				return l.CreateTopic(ctx, "u", broker.TopicConfig{Partitions: 1})
			},
			"Topics": func(ctx context.Context) error {
				_, err := l.Topics(ctx)
				return err
			},
			"FetchOffsets": func(ctx context.Context) error {
				_, err := l.FetchOffsets(ctx, "g")
				return err
			},
			"Wait": func(ctx context.Context) error {
				return l.Wait(ctx, "t", 0, 5, broker.ReadUncommitted)
			},
		}
		for name, call := range calls {
			cctx, cancel := context.WithTimeout(ctx, time.Second)
			start := time.Now()
			err := call(cctx)
			cancel()
			if err == nil {
				t.Errorf("%s succeeded with the cluster gone", name)
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("%s took %v with a 1s context", name, d)
			}
			t.Logf("%s: %v", name, err)
		}
		select {
		case err := <-waiting:
			if err == nil {
				t.Error("Wait returned nil with the cluster gone")
			}
		case <-time.After(15 * time.Second):
			t.Error("a Wait in progress did not return after its context ended")
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	})
}

// A commit whose answer never comes fails, and so does asking again: the
// outcome is unknown, and EndTxn does not guess.
func TestClientCommitWithClusterGone(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		c := b.start(t)
		l := dial(t, c, "p-")
		needTxns(t, c, l)
		ctx := t.Context()
		if err := l.CreateTopic(ctx, "t", broker.TopicConfig{Partitions: 1}); err != nil {
			t.Fatal(err)
		}
		txn := broker.Txn{Producer: "task", Seq: 1}
		if _, err := l.AppendTxn(ctx, txn, "t", 0, mkRecs("a", 1)); err != nil {
			t.Fatal(err)
		}
		c.stop()
		for i := range 2 {
			cctx, cancel := context.WithTimeout(ctx, time.Second)
			err := l.EndTxn(cctx, txn, true)
			cancel()
			if err == nil {
				t.Fatalf("EndTxn(commit) #%d succeeded with the cluster gone", i+1)
			}
			t.Logf("EndTxn(commit) #%d: %v", i+1, err)
		}
		if err := l.EndTxn(ctx, txn, false); err != nil {
			t.Fatalf("EndTxn(abort) after a failed commit: %v", err)
		}
	})
}

func TestClientDialNobody(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
	defer cancel()
	_, err = kafkaproto.Dial(ctx, kafkaproto.ClientConfig{SeedBrokers: []string{addr}})
	if err == nil || !strings.Contains(err.Error(), "cannot reach Kafka at "+addr) {
		t.Fatalf("Dial(%s) = %v, want 'cannot reach Kafka at %s: ...'", addr, err, addr)
	}
}
