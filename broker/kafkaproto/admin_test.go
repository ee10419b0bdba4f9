package kafkaproto_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/broker/embedded"
	"github.com/ksqlgo/ksql/broker/kafkaproto"
)

// startAdminBroker serves an embedded log with cfg (and the log's
// options) on a loopback port.
func startAdminBroker(t *testing.T, cfg kafkaproto.Config, opts embedded.Options) *testBroker {
	t.Helper()
	l, err := embedded.Open(t.TempDir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Logf == nil {
		cfg.Logf = t.Logf
	}
	srv := kafkaproto.NewServer(l, cfg)
	if err := srv.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(context.Background()) }()
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
		if err := l.Close(); err != nil {
			t.Errorf("log Close: %v", err)
		}
	})
	return &testBroker{log: l, srv: srv, addr: srv.Addr().String()}
}

func codeName(code int16) string {
	if code == 0 {
		return "NONE"
	}
	return kerr.ErrorForCode(code).Error()
}

func createPartitionsReq(validateOnly bool, topic string, count int32, assignment [][]int32) *kmsg.CreatePartitionsRequest {
	req := kmsg.NewPtrCreatePartitionsRequest()
	req.ValidateOnly = validateOnly
	rt := kmsg.NewCreatePartitionsRequestTopic()
	rt.Topic, rt.Count = topic, count
	for _, rs := range assignment {
		a := kmsg.NewCreatePartitionsRequestTopicAssignment()
		a.Replicas = rs
		rt.Assignment = append(rt.Assignment, a)
	}
	req.Topics = append(req.Topics, rt)
	return req
}

func TestCreatePartitions(t *testing.T) {
	b := startAdminBroker(t, kafkaproto.Config{NodeID: 3}, embedded.Options{})
	ctx := testCtx(t)
	if err := b.log.CreateTopic(ctx, "grow", broker.TopicConfig{Partitions: 2}); err != nil {
		t.Fatal(err)
	}
	cl := b.client(t)
	for v := int16(0); v <= 3; v++ {
		cases := []struct {
			name         string
			validateOnly bool
			topic        string
			count        int32
			assignment   [][]int32
			code         int16
			partitions   int32 // after the request
		}{
			{"equal", false, "grow", 2 + int32(v), nil, kerr.InvalidPartitions.Code, 2 + int32(v)},
			{"shrink", false, "grow", 1, nil, kerr.InvalidPartitions.Code, 2 + int32(v)},
			{"unknown", false, "nope", 5, nil, kerr.UnknownTopicOrPartition.Code, 2 + int32(v)},
			{"other broker", false, "grow", 3 + int32(v), [][]int32{{1}}, kerr.InvalidReplicaAssignment.Code, 2 + int32(v)},
			{"two replicas", false, "grow", 3 + int32(v), [][]int32{{3, 3}}, kerr.InvalidReplicaAssignment.Code, 2 + int32(v)},
			{"short assignment", false, "grow", 4 + int32(v), [][]int32{{3}}, kerr.InvalidReplicaAssignment.Code, 2 + int32(v)},
			{"validate only", true, "grow", 10, nil, 0, 2 + int32(v)},
			{"add", false, "grow", 3 + int32(v), [][]int32{{3}}, 0, 3 + int32(v)},
		}
		for _, c := range cases {
			req := createPartitionsReq(c.validateOnly, c.topic, c.count, c.assignment)
			req.Version = v
			resp, err := req.RequestWith(ctx, cl)
			if err != nil {
				t.Fatalf("v%d %s: %v", v, c.name, err)
			}
			if len(resp.Topics) != 1 || resp.Topics[0].Topic != c.topic || resp.Topics[0].ErrorCode != c.code {
				t.Fatalf("v%d %s: %+v, want %s", v, c.name, resp.Topics, codeName(c.code))
			}
			if c.code != 0 && resp.Topics[0].ErrorMessage == nil {
				t.Fatalf("v%d %s: error without a message", v, c.name)
			}
			info, err := b.log.Topic(ctx, "grow")
			if err != nil || info.Config.Partitions != c.partitions {
				t.Fatalf("v%d %s: topic has %d partitions (%v), want %d", v, c.name, info.Config.Partitions, err, c.partitions)
			}
		}
	}
	// A topic named twice is refused, both times.
	req := createPartitionsReq(false, "grow", 10, nil)
	req.Topics = append(req.Topics, req.Topics[0])
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	for _, rt := range resp.Topics {
		if rt.ErrorCode != kerr.InvalidRequest.Code {
			t.Fatalf("duplicate topic: %s", codeName(rt.ErrorCode))
		}
	}

	// A client sees the new partitions and produces to and consumes from
	// them.
	const total = 8
	if resp, err := createPartitionsReq(false, "grow", total, nil).RequestWith(ctx, cl); err != nil || resp.Topics[0].ErrorCode != 0 {
		t.Fatalf("grow to %d: %+v %v", total, resp, err)
	}
	prod := b.client(t, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	for p := range int32(total) {
		if err := prod.ProduceSync(ctx, &kgo.Record{Topic: "grow", Partition: p, Value: []byte{byte('a' + p)}}).FirstErr(); err != nil {
			t.Fatalf("produce to partition %d: %v", p, err)
		}
	}
	cons := b.client(t, kgo.ConsumeTopics("grow"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	got := map[int32]string{}
	for _, r := range consume(t, ctx, cons, total) {
		got[r.Partition] += string(r.Value)
	}
	for p := range int32(total) {
		if got[p] != string(rune('a'+p)) {
			t.Fatalf("partition %d holds %q", p, got[p])
		}
	}
}

func deleteRecordsReq(version int16, topic string, offsets map[int32]int64) *kmsg.DeleteRecordsRequest {
	req := kmsg.NewPtrDeleteRecordsRequest()
	req.Version = version
	rt := kmsg.NewDeleteRecordsRequestTopic()
	rt.Topic = topic
	for p, off := range offsets {
		rp := kmsg.NewDeleteRecordsRequestTopicPartition()
		rp.Partition, rp.Offset = p, off
		rt.Partitions = append(rt.Partitions, rp)
	}
	req.Topics = append(req.Topics, rt)
	return req
}

func TestDeleteRecords(t *testing.T) {
	// Small segments, so that whole segments fall below the offsets asked.
	b := startAdminBroker(t, kafkaproto.Config{}, embedded.Options{SegmentBytes: 1024})
	ctx := testCtx(t)
	for v := range int16(3) {
		if err := b.log.CreateTopic(ctx, fmt.Sprint("del-", v), broker.TopicConfig{Partitions: 2}); err != nil {
			t.Fatal(err)
		}
	}
	cl := b.client(t, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	for v := range int16(3) {
		topic := fmt.Sprint("del-", v)
		for i := range 200 {
			r := &kgo.Record{Topic: topic, Value: []byte("a value of some thirty-odd bytes")}
			if i%2 == 1 {
				r.Partition = 1
			}
			if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
		lows := func(offsets map[int32]int64) map[int32]kmsg.DeleteRecordsResponseTopicPartition {
			t.Helper()
			// To the broker itself: kgo would refuse an unknown partition.
			resp, err := deleteRecordsReq(v, topic, offsets).RequestWith(ctx, cl.Broker(0))
			if err != nil {
				t.Fatal(err)
			}
			out := map[int32]kmsg.DeleteRecordsResponseTopicPartition{}
			for _, p := range resp.Topics[0].Partitions {
				out[p.Partition] = p
			}
			return out
		}
		// Below 60: whole segments up to 60 go, so 0 < low <= 60.
		got := lows(map[int32]int64{0: 60, 1: -1})
		if p := got[0]; p.ErrorCode != 0 || p.LowWatermark <= 0 || p.LowWatermark > 60 {
			t.Fatalf("v%d: delete below 60: %+v", v, p)
		}
		if p := got[1]; p.ErrorCode != 0 || p.LowWatermark <= 0 || p.LowWatermark > 100 {
			t.Fatalf("v%d: delete below the high watermark: %+v", v, p)
		}
		for part, p := range got {
			offs, _ := b.log.Offsets(ctx, topic, part)
			if offs.Start != p.LowWatermark {
				t.Fatalf("v%d: partition %d answered low watermark %d, the log starts at %d", v, part, p.LowWatermark, offs.Start)
			}
		}
		// A consumer from the start begins at the low watermark.
		cons := b.client(t, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {0: kgo.NewOffset().AtStart()}}))
		if recs := consume(t, ctx, cons, 1); recs[0].Offset != got[0].LowWatermark {
			t.Fatalf("v%d: consumer from the start read offset %d first, want %d", v, recs[0].Offset, got[0].LowWatermark)
		}
		// Past the end, or negative other than -1: OFFSET_OUT_OF_RANGE.
		got = lows(map[int32]int64{0: 101, 1: -2})
		for part, p := range got {
			if p.ErrorCode != kerr.OffsetOutOfRange.Code || p.LowWatermark != -1 {
				t.Fatalf("v%d: partition %d: %+v, want OFFSET_OUT_OF_RANGE", v, part, p)
			}
		}
		if got = lows(map[int32]int64{2: 1}); got[2].ErrorCode != kerr.UnknownTopicOrPartition.Code {
			t.Fatalf("v%d: unknown partition: %s", v, codeName(got[2].ErrorCode))
		}
	}
	resp, err := deleteRecordsReq(0, "nope", map[int32]int64{0: 1}).RequestWith(ctx, cl.Broker(0))
	if err != nil || resp.Topics[0].Partitions[0].ErrorCode != kerr.UnknownTopicOrPartition.Code {
		t.Fatalf("unknown topic: %+v %v", resp, err)
	}
}
