package kafkaproto_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/broker/embedded"
	"github.com/ksqlgo/ksql/broker/kafkaproto"
)

// testBroker is an embedded log in a temporary directory served on a
// loopback port.
type testBroker struct {
	log  broker.Log
	srv  *kafkaproto.Server
	addr string
}

func startBroker(t *testing.T) *testBroker {
	t.Helper()
	return startAdminBroker(t, kafkaproto.Config{}, embedded.Options{})
}

func (b *testBroker) client(t *testing.T, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	opts = append([]kgo.Opt{kgo.SeedBrokers(b.addr), kgo.RetryTimeout(10 * time.Second)}, opts...)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// consume polls cl until it has n records (or the context ends).
func consume(t *testing.T, ctx context.Context, cl *kgo.Client, n int) []*kgo.Record {
	t.Helper()
	var out []*kgo.Record
	for len(out) < n {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("consumed %d of %d records before the deadline", len(out), n)
		}
		fs.EachError(func(topic string, p int32, err error) {
			t.Fatalf("fetch %s-%d: %v", topic, p, err)
		})
		out = append(out, fs.Records()...)
	}
	return out
}

func testRecords(topic string, n int) []*kgo.Record {
	base := time.UnixMilli(1_700_000_000_000)
	var recs []*kgo.Record
	for i := range n {
		r := &kgo.Record{
			Topic:     topic,
			Partition: int32(i % 3),
			Key:       fmt.Appendf(nil, "k%d", i),
			Value:     fmt.Appendf(nil, "value %d", i),
			Timestamp: base.Add(time.Duration(i) * time.Second),
			Headers:   []kgo.RecordHeader{{Key: "h", Value: fmt.Appendf(nil, "%d", i)}, {Key: "empty", Value: []byte{}}},
		}
		if i == 0 {
			r.Value = nil // a tombstone stays a tombstone
		}
		recs = append(recs, r)
	}
	return recs
}

func TestProduceConsumeEachCodec(t *testing.T) {
	b := startBroker(t)
	ctx := testCtx(t)
	codecs := map[string]kgo.CompressionCodec{
		"none": kgo.NoCompression(), "gzip": kgo.GzipCompression(), "snappy": kgo.SnappyCompression(),
		"lz4": kgo.Lz4Compression(), "zstd": kgo.ZstdCompression(),
	}
	for name, codec := range codecs {
		t.Run(name, func(t *testing.T) {
			topic := "codec-" + name
			if err := b.log.CreateTopic(ctx, topic, broker.TopicConfig{Partitions: 3}); err != nil {
				t.Fatal(err)
			}
			prod := b.client(t, kgo.ProducerBatchCompression(codec), kgo.RequiredAcks(kgo.AllISRAcks()), kgo.RecordPartitioner(kgo.ManualPartitioner()))
			want := testRecords(topic, 30)
			if err := prod.ProduceSync(ctx, want...).FirstErr(); err != nil {
				t.Fatalf("produce: %v", err)
			}
			// The log holds what was produced.
			for p := range int32(3) {
				got, err := broker.ReadAll(ctx, b.log, topic, p, 0, broker.ReadCommitted, 0)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != 10 {
					t.Fatalf("partition %d holds %d records, want 10", p, len(got))
				}
				for i, r := range got {
					w := want[int(p)+3*i]
					if string(r.Key) != string(w.Key) || !slices.Equal(r.Value, w.Value) || (r.Value == nil) != (w.Value == nil) || r.Timestamp != w.Timestamp.UnixMilli() || len(r.Headers) != 2 || string(r.Headers[0].Value) != string(w.Headers[0].Value) {
						t.Fatalf("partition %d record %d: got %+v, want %+v", p, i, r, w)
					}
				}
			}
			cons := b.client(t, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{
				topic: {0: kgo.NewOffset().AtStart(), 1: kgo.NewOffset().AtStart(), 2: kgo.NewOffset().AtStart()},
			}))
			got := consume(t, ctx, cons, len(want))
			checkRecords(t, got, want)
		})
	}
}

func checkRecords(t *testing.T, got, want []*kgo.Record) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d records, want %d", len(got), len(want))
	}
	byKey := map[string]*kgo.Record{}
	for _, r := range got {
		byKey[string(r.Key)] = r
	}
	for _, w := range want {
		r := byKey[string(w.Key)]
		if r == nil {
			t.Fatalf("record %s missing", w.Key)
		}
		if r.Partition != w.Partition || !slices.Equal(r.Value, w.Value) || (r.Value == nil) != (w.Value == nil) || !r.Timestamp.Equal(w.Timestamp) {
			t.Fatalf("record %s: got p%d %q %v, want p%d %q %v", w.Key, r.Partition, r.Value, r.Timestamp, w.Partition, w.Value, w.Timestamp)
		}
		if len(r.Headers) != len(w.Headers) {
			t.Fatalf("record %s: headers %v, want %v", w.Key, r.Headers, w.Headers)
		}
		for i := range w.Headers {
			if r.Headers[i].Key != w.Headers[i].Key || string(r.Headers[i].Value) != string(w.Headers[i].Value) {
				t.Fatalf("record %s: headers %v, want %v", w.Key, r.Headers, w.Headers)
			}
		}
	}
}

func TestLogAppendsAreConsumable(t *testing.T) {
	b := startBroker(t)
	ctx := testCtx(t)
	if err := b.log.CreateTopic(ctx, "direct", broker.TopicConfig{Partitions: 1}); err != nil {
		t.Fatal(err)
	}
	var want []*kgo.Record
	var recs []broker.Record
	for i := range 5 {
		r := broker.Record{Key: fmt.Appendf(nil, "k%d", i), Value: fmt.Appendf(nil, "v%d", i), Timestamp: int64(1000 + i), Headers: []broker.Header{{Key: "x", Value: []byte("y")}}}
		recs = append(recs, r)
		want = append(want, &kgo.Record{Key: r.Key, Value: r.Value, Timestamp: time.UnixMilli(r.Timestamp), Headers: []kgo.RecordHeader{{Key: "x", Value: []byte("y")}}})
	}
	cons := b.client(t, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{"direct": {0: kgo.NewOffset().AtStart()}}), kgo.FetchMaxWait(200*time.Millisecond))
	// The consumer is polling (long polls wait in broker.Log.Wait) before
	// the records exist.
	go func() {
		if _, err := b.log.Append(ctx, "direct", 0, recs); err != nil {
			t.Errorf("append: %v", err)
		}
	}()
	checkRecords(t, consume(t, ctx, cons, len(want)), want)
}

func TestReadCommittedSkipsOpenAndAbortedTransactions(t *testing.T) {
	b := startBroker(t)
	ctx := testCtx(t)
	const topic = "txn"
	if err := b.log.CreateTopic(ctx, topic, broker.TopicConfig{Partitions: 1}); err != nil {
		t.Fatal(err)
	}
	rec := func(s string) []broker.Record {
		return []broker.Record{{Key: []byte(s), Value: []byte(s), Timestamp: 1}}
	}
	if _, err := b.log.Append(ctx, topic, 0, rec("before")); err != nil {
		t.Fatal(err)
	}
	aborted := broker.Txn{Producer: "p", Seq: 1}
	if _, err := b.log.AppendTxn(ctx, aborted, topic, 0, rec("aborted")); err != nil {
		t.Fatal(err)
	}
	if err := b.log.EndTxn(ctx, aborted, false); err != nil {
		t.Fatal(err)
	}
	if _, err := b.log.Append(ctx, topic, 0, rec("after-abort")); err != nil {
		t.Fatal(err)
	}
	open := broker.Txn{Producer: "p", Seq: 2}
	if _, err := b.log.AppendTxn(ctx, open, topic, 0, rec("open")); err != nil {
		t.Fatal(err)
	}
	if _, err := b.log.Append(ctx, topic, 0, rec("behind-open")); err != nil {
		t.Fatal(err)
	}
	keys := func(rs []*kgo.Record) []string {
		var out []string
		for _, r := range rs {
			out = append(out, string(r.Key))
		}
		return out
	}
	at := map[string]map[int32]kgo.Offset{topic: {0: kgo.NewOffset().AtStart()}}

	committed := b.client(t, kgo.ConsumePartitions(at), kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.FetchMaxWait(100*time.Millisecond))
	got := keys(consume(t, ctx, committed, 2))
	if !slices.Equal(got, []string{"before", "after-abort"}) {
		t.Fatalf("read_committed before commit: %v", got)
	}
	// Nothing more while the transaction is open: a bounded number of
	// polls returns no records.
	for range 3 {
		pctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		fs := committed.PollFetches(pctx)
		cancel()
		if n := len(fs.Records()); n != 0 {
			t.Fatalf("read_committed saw %d records of an open transaction: %v", n, keys(fs.Records()))
		}
	}
	uncommitted := b.client(t, kgo.ConsumePartitions(at), kgo.FetchIsolationLevel(kgo.ReadUncommitted()))
	if got := keys(consume(t, ctx, uncommitted, 5)); !slices.Equal(got, []string{"before", "aborted", "after-abort", "open", "behind-open"}) {
		t.Fatalf("read_uncommitted: %v", got)
	}
	if err := b.log.EndTxn(ctx, open, true); err != nil {
		t.Fatal(err)
	}
	if got := keys(consume(t, ctx, committed, 2)); !slices.Equal(got, []string{"open", "behind-open"}) {
		t.Fatalf("read_committed after commit: %v", got)
	}

	// ListOffsets: latest is the stable offset for read_committed.
	offs, err := b.log.Offsets(ctx, topic, 0)
	if err != nil {
		t.Fatal(err)
	}
	req := kmsg.NewPtrListOffsetsRequest()
	req.IsolationLevel = 1
	rt := kmsg.NewListOffsetsRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewListOffsetsRequestTopicPartition()
	rp.Timestamp = -1
	rt.Partitions = []kmsg.ListOffsetsRequestTopicPartition{rp}
	req.Topics = []kmsg.ListOffsetsRequestTopic{rt}
	resp, err := req.RequestWith(ctx, committed)
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Topics[0].Partitions[0]; got.ErrorCode != 0 || got.Offset != offs.Stable {
		t.Fatalf("ListOffsets latest read_committed: %+v, want offset %d", got, offs.Stable)
	}
}

func TestAdminRequests(t *testing.T) {
	b := startBroker(t)
	ctx := testCtx(t)
	cl := b.client(t)

	create := kmsg.NewPtrCreateTopicsRequest()
	for _, tc := range []struct {
		name       string
		partitions int32
		rf         int16
	}{{"made", 4, -1}, {"rf3", 1, 3}, {"zero", 0, 1}} {
		rt := kmsg.NewCreateTopicsRequestTopic()
		rt.Topic, rt.NumPartitions, rt.ReplicationFactor = tc.name, tc.partitions, tc.rf
		create.Topics = append(create.Topics, rt)
	}
	cresp, err := create.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	codes := map[string]int16{}
	for _, rt := range cresp.Topics {
		codes[rt.Topic] = rt.ErrorCode
	}
	if codes["made"] != 0 || codes["rf3"] != 38 || codes["zero"] != 37 {
		t.Fatalf("CreateTopics codes: %v", codes)
	}
	info, err := b.log.Topic(ctx, "made")
	if err != nil || info.Config.Partitions != 4 {
		t.Fatalf("created topic: %+v, %v", info, err)
	}
	again, err := create.RequestWith(ctx, cl)
	if err != nil || again.Topics[0].ErrorCode != 36 {
		t.Fatalf("creating again: %+v, %v", again, err)
	}

	meta := kmsg.NewPtrMetadataRequest()
	for _, name := range []string{"made", "absent"} {
		mt := kmsg.NewMetadataRequestTopic()
		mt.Topic = kmsg.StringPtr(name)
		meta.Topics = append(meta.Topics, mt)
	}
	mresp, err := meta.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	if len(mresp.Brokers) != 1 || fmt.Sprintf("%s:%d", mresp.Brokers[0].Host, mresp.Brokers[0].Port) != b.addr {
		t.Fatalf("brokers %+v, want one at %s", mresp.Brokers, b.addr)
	}
	if len(mresp.Topics) != 2 || len(mresp.Topics[0].Partitions) != 4 || mresp.Topics[1].ErrorCode != 3 {
		t.Fatalf("metadata topics: %+v", mresp.Topics)
	}
	if _, err := b.log.Topic(ctx, "absent"); !errors.Is(err, broker.ErrUnknownTopic) {
		t.Fatalf("metadata created a topic: %v", err)
	}

	del := kmsg.NewPtrDeleteTopicsRequest()
	del.TopicNames = []string{"made", "absent"}
	dresp, err := del.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	if dresp.Topics[0].ErrorCode != 0 || dresp.Topics[1].ErrorCode != 3 {
		t.Fatalf("DeleteTopics: %+v", dresp.Topics)
	}
	if _, err := b.log.Topic(ctx, "made"); !errors.Is(err, broker.ErrUnknownTopic) {
		t.Fatalf("deleted topic still there: %v", err)
	}
}
