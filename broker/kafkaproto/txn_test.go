package kafkaproto_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/broker/embedded"
)

// produceTxn runs one transaction of cl: values produced to topic t
// (partition 0), then commit or abort.
func produceTxn(t *testing.T, ctx context.Context, cl *kgo.Client, commit bool, values ...string) {
	t.Helper()
	if err := cl.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	for _, v := range values {
		if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "t", Value: []byte(v)}).FirstErr(); err != nil {
			t.Fatalf("produce %q: %v", v, err)
		}
	}
	if err := cl.EndTransaction(ctx, kgo.TransactionEndTry(commit)); err != nil {
		t.Fatalf("EndTransaction(commit=%v): %v", commit, err)
	}
}

// readValues consumes t-0 from the start under the isolation level until
// it has n records (control records included if keepControl), then
// checks nothing more arrives up to the high watermark.
func readValues(t *testing.T, ctx context.Context, b *testBroker, committed, keepControl bool, n int) []string {
	t.Helper()
	iso := kgo.ReadUncommitted()
	if committed {
		iso = kgo.ReadCommitted()
	}
	opts := []kgo.Opt{kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{"t": {0: kgo.NewOffset().AtStart()}}), kgo.FetchIsolationLevel(iso)}
	if keepControl {
		opts = append(opts, kgo.KeepControlRecords())
	}
	cl := b.client(t, opts...)
	var out []string
	for _, r := range consume(t, ctx, cl, n) {
		v := string(r.Value)
		if r.Attrs.IsControl() {
			v = fmt.Sprintf("<control %x>", r.Key)
		}
		out = append(out, v)
	}
	return out
}

func TestTransactionsCommitAndAbort(t *testing.T) {
	b := startBroker(t)
	ctx := testCtx(t)
	if err := b.log.CreateTopic(ctx, "t", broker.TopicConfig{Partitions: 1}); err != nil {
		t.Fatal(err)
	}
	cl := b.client(t, kgo.TransactionalID("app"), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	produceTxn(t, ctx, cl, true, "c1", "c2")
	produceTxn(t, ctx, cl, false, "a1", "a2")
	produceTxn(t, ctx, cl, true, "c3")
	// A plain record after the transactions: read_committed reaches it.
	plain := b.client(t, kgo.DefaultProduceTopic("t"), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err := plain.ProduceSync(ctx, &kgo.Record{Value: []byte("p")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	if got, want := readValues(t, ctx, b, true, false, 4), []string{"c1", "c2", "c3", "p"}; !slices.Equal(got, want) {
		t.Errorf("read_committed: %q, want %q", got, want)
	}
	// read_uncommitted sees everything, and the markers as control
	// records (key: version 0, type 1 commit / 0 abort).
	want := []string{"c1", "c2", "<control 00000001>", "a1", "a2", "<control 00000000>", "c3", "<control 00000001>", "p"}
	if got := readValues(t, ctx, b, false, true, len(want)); !slices.Equal(got, want) {
		t.Errorf("read_uncommitted with control records: %q, want %q", got, want)
	}
	offs, err := b.log.Offsets(ctx, "t", 0)
	if err != nil || offs.Stable != offs.End {
		t.Errorf("after every transaction ended: offsets %+v, %v; want a stable offset at the end", offs, err)
	}
}

func TestTransactionFencesZombie(t *testing.T) {
	b := startBroker(t)
	ctx := testCtx(t)
	if err := b.log.CreateTopic(ctx, "t", broker.TopicConfig{Partitions: 1}); err != nil {
		t.Fatal(err)
	}
	zombie := b.client(t, kgo.TransactionalID("app"), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err := zombie.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := zombie.ProduceSync(ctx, &kgo.Record{Topic: "t", Value: []byte("zombie")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	// A new incarnation takes the id over: the zombie's open transaction
	// is aborted and its epoch fenced.
	fresh := b.client(t, kgo.TransactionalID("app"), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	produceTxn(t, ctx, fresh, true, "fresh")
	err := zombie.EndTransaction(ctx, kgo.TryCommit)
	if !errors.Is(err, kerr.ProducerFenced) && !errors.Is(err, kerr.InvalidProducerEpoch) {
		t.Fatalf("the zombie's commit: %v, want PRODUCER_FENCED or INVALID_PRODUCER_EPOCH", err)
	}
	if got := readValues(t, ctx, b, true, false, 1); !slices.Equal(got, []string{"fresh"}) {
		t.Errorf("read_committed: %q, want only the new incarnation's record", got)
	}
	// A raw produce with the zombie's epoch is refused too.
	rc := dialRaw(t, b)
	init := rawInitProducerID(t, rc, 1, kmsg.StringPtr("other"), -1, -1)
	txnID := kmsg.StringPtr("other")
	if code, _ := rawProduce(t, rc, 2, txnID, producerBatch(init.ProducerID, init.ProducerEpoch, 0, 1, true, "x")); code != kerr.InvalidTxnState.Code {
		t.Errorf("transactional produce to a partition not added: error %d, want INVALID_TXN_STATE", code)
	}
}

// txnRequest sends a transaction coordinator request through cl.
func txnRequest[R kmsg.Response](t *testing.T, ctx context.Context, cl *kgo.Client, req kmsg.Request) R {
	t.Helper()
	resp, err := cl.Request(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	return resp.(R)
}

// txnOffsets runs one transaction that only commits group offsets, by
// hand (kgo sends TxnOffsetCommit only for a group member), and ends it.
func txnOffsets(t *testing.T, ctx context.Context, cl *kgo.Client, id string, offset int64, commit bool) {
	t.Helper()
	init := kmsg.NewPtrInitProducerIDRequest()
	init.TransactionalID, init.TransactionTimeoutMillis = kmsg.StringPtr(id), 60000
	ir := txnRequest[*kmsg.InitProducerIDResponse](t, ctx, cl, init)
	if ir.ErrorCode != 0 {
		t.Fatalf("InitProducerId: %d", ir.ErrorCode)
	}
	add := kmsg.NewPtrAddOffsetsToTxnRequest()
	add.TransactionalID, add.ProducerID, add.ProducerEpoch, add.Group = id, ir.ProducerID, ir.ProducerEpoch, "g"
	if ar := txnRequest[*kmsg.AddOffsetsToTxnResponse](t, ctx, cl, add); ar.ErrorCode != 0 {
		t.Fatalf("AddOffsetsToTxn: %d", ar.ErrorCode)
	}
	toc := kmsg.NewPtrTxnOffsetCommitRequest()
	toc.TransactionalID, toc.Group, toc.ProducerID, toc.ProducerEpoch = id, "g", ir.ProducerID, ir.ProducerEpoch
	tt := kmsg.NewTxnOffsetCommitRequestTopic()
	tt.Topic = "t"
	tp := kmsg.NewTxnOffsetCommitRequestTopicPartition()
	tp.Partition, tp.Offset = 0, offset
	tt.Partitions = append(tt.Partitions, tp)
	toc.Topics = append(toc.Topics, tt)
	tr := txnRequest[*kmsg.TxnOffsetCommitResponse](t, ctx, cl, toc)
	if code := tr.Topics[0].Partitions[0].ErrorCode; code != 0 {
		t.Fatalf("TxnOffsetCommit: %d", code)
	}
	end := kmsg.NewPtrEndTxnRequest()
	end.TransactionalID, end.ProducerID, end.ProducerEpoch, end.Commit = id, ir.ProducerID, ir.ProducerEpoch, commit
	if er := txnRequest[*kmsg.EndTxnResponse](t, ctx, cl, end); er.ErrorCode != 0 {
		t.Fatalf("EndTxn: %d", er.ErrorCode)
	}
}

func TestTxnOffsetCommitLandsOnlyOnCommit(t *testing.T) {
	b := startBroker(t)
	ctx := testCtx(t)
	if err := b.log.CreateTopic(ctx, "t", broker.TopicConfig{Partitions: 1}); err != nil {
		t.Fatal(err)
	}
	cl := b.client(t)
	tp := broker.TopicPartition{Topic: "t", Partition: 0}
	txnOffsets(t, ctx, cl, "offs", 7, false)
	if got, _ := b.log.FetchOffsets(ctx, "g"); len(got) != 0 {
		t.Fatalf("offsets after an aborted transaction: %v", got)
	}
	txnOffsets(t, ctx, cl, "offs", 9, true)
	if got, _ := b.log.FetchOffsets(ctx, "g"); got[tp] != 9 {
		t.Fatalf("offsets after a committed transaction: %v, want t-0 at 9", got)
	}
}

// TestTransactionRestartMidTransaction: a broker stopped with a
// transaction open aborts it when it starts again (the consumer never
// sees it and the stable offset moves on), and completes a transaction
// that had reached its commit decision (records and offsets).
func TestTransactionRestartMidTransaction(t *testing.T) {
	dir := t.TempDir()
	b, stop := startBrokerIn(t, dir)
	ctx := testCtx(t)
	if err := b.log.CreateTopic(ctx, "t", broker.TopicConfig{Partitions: 1}); err != nil {
		t.Fatal(err)
	}
	cl := b.client(t, kgo.TransactionalID("app"), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	produceTxn(t, ctx, cl, true, "before")
	if err := cl.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "t", Value: []byte("open")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	// A second transactional id reaches its commit decision but not its
	// markers: written here as the coordinator writes them.
	pl := b.log.(*embedded.Log)
	pid, err := pl.NewProducerID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	decided := broker.Txn{Producer: broker.ClientTxnPrefix + "decided", Seq: 1}
	if _, _, err := pl.AppendProducer(ctx, &decided, "t", 0, broker.ProducerBatch{ID: pid, BaseSeq: 0}, []broker.Record{{Value: []byte("decided")}}); err != nil {
		t.Fatal(err)
	}
	if err := pl.PrepareTxn(ctx, decided); err != nil {
		t.Fatal(err)
	}
	rec, _ := json.Marshal(map[string]any{"id": "decided", "producerId": pid, "epoch": 0, "state": "PrepareCommit", "seq": 1,
		"timeoutMs": 60000, "partitions": []broker.TopicPartition{{Topic: "t", Partition: 0}},
		"offsets": []map[string]any{{"group": "g", "topic": "t", "partition": 0, "offset": 3}}})
	if err := pl.PutCoordinatorRecord(ctx, "txn/decided", rec); err != nil {
		t.Fatal(err)
	}
	cl.Close()
	stop()

	b, _ = startBrokerIn(t, dir)
	deadline := time.Now().Add(10 * time.Second)
	for {
		offs, err := b.log.Offsets(ctx, "t", 0)
		if err != nil {
			t.Fatal(err)
		}
		if offs.Stable == offs.End {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("stable offset held back after the restart: %+v", offs)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got, want := readValues(t, ctx, b, true, false, 2), []string{"before", "decided"}; !slices.Equal(got, want) {
		t.Errorf("read_committed after the restart: %q, want %q", got, want)
	}
	if got, _ := b.log.FetchOffsets(ctx, "g"); got[broker.TopicPartition{Topic: "t", Partition: 0}] != 3 {
		t.Errorf("offsets of the decided transaction: %v, want t-0 at 3", got)
	}
	if got := brokertestInDoubt(t, ctx, b.log); len(got) != 0 {
		t.Errorf("in doubt after the restart: %v", got)
	}
	// The transactional id goes on with a new incarnation.
	cl2 := b.client(t, kgo.TransactionalID("app"), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	produceTxn(t, ctx, cl2, true, "after")
	if got, want := readValues(t, ctx, b, true, false, 3), []string{"before", "decided", "after"}; !slices.Equal(got, want) {
		t.Errorf("read_committed: %q, want %q", got, want)
	}
}

func brokertestInDoubt(t *testing.T, ctx context.Context, l broker.Log) []broker.Txn {
	t.Helper()
	txns, err := l.InDoubt(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return txns
}

// TestReadCommittedHidesEngineTransactions: the engine's own transactions
// (no Kafka producer) are served to Kafka consumers under Kafka's rules:
// read_committed sees committed records only, never open or aborted ones.
func TestReadCommittedHidesEngineTransactions(t *testing.T) {
	b := startBroker(t)
	ctx := testCtx(t)
	if err := b.log.CreateTopic(ctx, "t", broker.TopicConfig{Partitions: 1}); err != nil {
		t.Fatal(err)
	}
	step := func(seq int64, v string, commit bool) {
		txn := broker.Txn{Producer: "CTAS_X_1/0/0", Seq: seq}
		if _, err := b.log.AppendTxn(ctx, txn, "t", 0, []broker.Record{{Value: []byte(v)}}); err != nil {
			t.Fatal(err)
		}
		if err := b.log.EndTxn(ctx, txn, commit); err != nil {
			t.Fatal(err)
		}
	}
	step(1, "c1", true)
	step(2, "a1", false)
	step(3, "c2", true)
	open := broker.Txn{Producer: "CTAS_X_1/0/0", Seq: 4}
	if _, err := b.log.AppendTxn(ctx, open, "t", 0, []broker.Record{{Value: []byte("open")}}); err != nil {
		t.Fatal(err)
	}
	if got, want := readValues(t, ctx, b, true, false, 2), []string{"c1", "c2"}; !slices.Equal(got, want) {
		t.Errorf("read_committed: %q, want %q", got, want)
	}
	if got, want := readValues(t, ctx, b, false, true, 4), []string{"c1", "a1", "c2", "open"}; !slices.Equal(got, want) {
		t.Errorf("read_uncommitted: %q, want %q (the engine's markers are not sent)", got, want)
	}
}
