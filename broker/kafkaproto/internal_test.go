package kafkaproto_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/broker/embedded"
	"github.com/ksqlgo/ksql/broker/kafkaproto"
)

// Clients read internal topics but cannot write, delete, grow or purge
// them; Metadata marks them internal.
func TestInternalTopics(t *testing.T) {
	const cmd = "_confluent-ksql-default__command_topic"
	b := startAdminBroker(t, kafkaproto.Config{Internal: func(topic string) bool { return topic == cmd }}, embedded.Options{})
	ctx := testCtx(t)
	for _, name := range []string{cmd, "user"} {
		if err := b.log.CreateTopic(ctx, name, broker.TopicConfig{Partitions: 1}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.log.Append(ctx, cmd, 0, []broker.Record{{Value: []byte("CREATE STREAM ...")}}); err != nil {
		t.Fatal(err)
	}
	cl := b.client(t)

	// Produce: INVALID_TOPIC_EXCEPTION with a message naming the reason;
	// the idempotent producer (kgo's default) and a plain one alike.
	for _, opts := range [][]kgo.Opt{nil, {kgo.DisableIdempotentWrite()}} {
		prod := b.client(t, opts...)
		err := prod.ProduceSync(ctx, &kgo.Record{Topic: cmd, Value: []byte("DROP STREAM everything")}).FirstErr()
		var ke *kerr.Error
		if !errors.As(err, &ke) || ke.Code != kerr.InvalidTopicException.Code {
			t.Fatalf("produce to the command topic: %v, want INVALID_TOPIC_EXCEPTION", err)
		}
		if err := prod.ProduceSync(ctx, &kgo.Record{Topic: "user", Value: []byte("fine")}).FirstErr(); err != nil {
			t.Fatalf("produce to a user topic: %v", err)
		}
	}
	// The message says why (kgo keeps only the code: ask directly).
	preq := kmsg.NewPtrProduceRequest()
	preq.Acks = -1
	pt := kmsg.NewProduceRequestTopic()
	pt.Topic = cmd
	pp := kmsg.NewProduceRequestTopicPartition()
	pp.Records = validBatch()
	pt.Partitions = append(pt.Partitions, pp)
	preq.Topics = append(preq.Topics, pt)
	presp, err := preq.RequestWith(ctx, cl.Broker(0))
	if err != nil {
		t.Fatal(err)
	}
	if p := presp.Topics[0].Partitions[0]; p.ErrorCode != kerr.InvalidTopicException.Code || p.ErrorMessage == nil || !strings.Contains(*p.ErrorMessage, "internal to ksql") {
		t.Fatalf("produce: %s %q", codeName(p.ErrorCode), ptrStr(p.ErrorMessage))
	}

	// DeleteTopics and CreatePartitions: TOPIC_AUTHORIZATION_FAILED.
	dreq := kmsg.NewPtrDeleteTopicsRequest()
	dreq.TopicNames = []string{cmd}
	dresp, err := dreq.RequestWith(ctx, cl.Broker(0))
	if err != nil {
		t.Fatal(err)
	}
	if r := dresp.Topics[0]; r.ErrorCode != kerr.TopicAuthorizationFailed.Code || !strings.Contains(ptrStr(r.ErrorMessage), "internal to ksql") {
		t.Fatalf("delete the command topic: %s %q", codeName(r.ErrorCode), ptrStr(r.ErrorMessage))
	}
	cresp, err := createPartitionsReq(false, cmd, 4, nil).RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	if r := cresp.Topics[0]; r.ErrorCode != kerr.TopicAuthorizationFailed.Code || !strings.Contains(ptrStr(r.ErrorMessage), "internal to ksql") {
		t.Fatalf("grow the command topic: %s %q", codeName(r.ErrorCode), ptrStr(r.ErrorMessage))
	}
	// DeleteRecords: INVALID_TOPIC_EXCEPTION, as Kafka's internal topics.
	rresp, err := deleteRecordsReq(0, cmd, map[int32]int64{0: -1}).RequestWith(ctx, cl.Broker(0))
	if err != nil {
		t.Fatal(err)
	}
	if r := rresp.Topics[0].Partitions[0]; r.ErrorCode != kerr.InvalidTopicException.Code {
		t.Fatalf("purge the command topic: %s", codeName(r.ErrorCode))
	}
	if info, err := b.log.Topic(ctx, cmd); err != nil || info.Config.Partitions != 1 {
		t.Fatalf("the command topic after the attempts: %+v %v", info, err)
	}

	// Metadata marks it internal; reading it works.
	mreq := kmsg.NewPtrMetadataRequest()
	mresp, err := mreq.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	internal := map[string]bool{}
	for _, mt := range mresp.Topics {
		internal[ptrStr(mt.Topic)] = mt.IsInternal
	}
	if !internal[cmd] || internal["user"] || len(internal) != 2 {
		t.Fatalf("Metadata IsInternal: %v", internal)
	}
	cons := b.client(t, kgo.ConsumeTopics(cmd), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	recs := consume(t, ctx, cons, 1)
	if len(recs) != 1 || string(recs[0].Value) != "CREATE STREAM ..." {
		t.Fatalf("read the command topic: %v", recs)
	}
}
