package kafkaproto_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"

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

// pinned is a client of b that sends request key at version v (kgo sends
// the highest version both sides support, whatever the request says).
func (b *testBroker) pinned(t *testing.T, key kmsg.Key, v int16) *kgo.Client {
	vs := kversion.Stable()
	vs.SetMaxKeyVersion(key.Int16(), v)
	return b.client(t, kgo.MaxVersions(vs))
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
		cl := b.pinned(t, kmsg.CreatePartitions, v)
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
			if resp.Version != v {
				t.Fatalf("v%d %s: answered in v%d", v, c.name, resp.Version)
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
	prod := b.client(t, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	for v := range int16(3) {
		cl := b.pinned(t, kmsg.DeleteRecords, v)
		topic := fmt.Sprint("del-", v)
		for i := range 200 {
			r := &kgo.Record{Topic: topic, Value: []byte("a value of some thirty-odd bytes")}
			if i%2 == 1 {
				r.Partition = 1
			}
			if err := prod.ProduceSync(ctx, r).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
		lows := func(offsets map[int32]int64) map[int32]kmsg.DeleteRecordsResponseTopicPartition {
			t.Helper()
			// To the broker itself: kgo would refuse an unknown partition.
			resp, err := deleteRecordsReq(v, topic, offsets).RequestWith(ctx, cl.Broker(0))
			if err != nil {
				t.Fatalf("v%d: %v", v, err)
			}
			if resp.Version != v {
				t.Fatalf("v%d: answered in v%d", v, resp.Version)
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
	resp, err := deleteRecordsReq(0, "nope", map[int32]int64{0: 1}).RequestWith(ctx, prod.Broker(0))
	if err != nil || resp.Topics[0].Partitions[0].ErrorCode != kerr.UnknownTopicOrPartition.Code {
		t.Fatalf("unknown topic: %+v %v", resp, err)
	}
}

func TestDescribeConfigs(t *testing.T) {
	b := startAdminBroker(t, kafkaproto.Config{NodeID: 2, MaxBatchBytes: 4 << 20}, embedded.Options{RetentionMs: 3600_000, SegmentBytes: 1 << 20})
	ctx := testCtx(t)
	if err := b.log.CreateTopic(ctx, "own", broker.TopicConfig{Partitions: 1, RetentionMs: 60_000, CleanupPolicy: "compact"}); err != nil {
		t.Fatal(err)
	}
	type want struct {
		value     string
		source    kmsg.ConfigSource
		isDefault bool
	}
	for v := int16(0); v <= 4; v++ {
		cl := b.pinned(t, kmsg.DescribeConfigs, v)
		req := kmsg.NewPtrDescribeConfigsRequest()
		req.Version = v
		req.IncludeSynonyms, req.IncludeDocumentation = true, true
		res := func(typ kmsg.ConfigResourceType, name string, names ...string) kmsg.DescribeConfigsRequestResource {
			r := kmsg.NewDescribeConfigsRequestResource()
			r.ResourceType, r.ResourceName, r.ConfigNames = typ, name, names
			return r
		}
		req.Resources = []kmsg.DescribeConfigsRequestResource{
			res(kmsg.ConfigResourceTypeTopic, "own"),
			res(kmsg.ConfigResourceTypeTopic, "own", "retention.bytes", "no.such.config"),
			res(kmsg.ConfigResourceTypeTopic, "nope"),
			res(kmsg.ConfigResourceTypeBroker, "2"),
			res(kmsg.ConfigResourceTypeBroker, ""),
			res(kmsg.ConfigResourceTypeBroker, "7"),
		}
		resp, err := req.RequestWith(ctx, cl.Broker(2))
		if err != nil {
			t.Fatalf("v%d: %v", v, err)
		}
		if resp.Version != v {
			t.Fatalf("v%d: answered in v%d", v, resp.Version)
		}
		if len(resp.Resources) != len(req.Resources) {
			t.Fatalf("v%d: %d resources answered, %d asked", v, len(resp.Resources), len(req.Resources))
		}
		configs := func(i int) map[string]kmsg.DescribeConfigsResponseResourceConfig {
			r := resp.Resources[i]
			if r.ErrorCode != 0 {
				t.Fatalf("v%d: resource %s: %s", v, r.ResourceName, codeName(r.ErrorCode))
			}
			out := map[string]kmsg.DescribeConfigsResponseResourceConfig{}
			for _, c := range r.Configs {
				out[c.Name] = c
			}
			return out
		}
		check := func(what string, got map[string]kmsg.DescribeConfigsResponseResourceConfig, wants map[string]want) {
			t.Helper()
			for name, w := range wants {
				c, ok := got[name]
				if !ok {
					t.Fatalf("v%d %s: no %s among %d configs", v, what, name, len(got))
				}
				if c.Value == nil || *c.Value != w.value || (v == 0 && c.IsDefault != w.isDefault) {
					t.Fatalf("v%d %s: %s = %v (default %v), want %s (default %v)", v, what, name, ptrStr(c.Value), c.IsDefault, w.value, w.isDefault)
				}
				if v >= 1 && (c.Source != w.source || len(c.ConfigSynonyms) == 0 || c.ConfigSynonyms[0].Source != w.source) {
					t.Fatalf("v%d %s: %s source %v synonyms %+v, want %v", v, what, name, c.Source, c.ConfigSynonyms, w.source)
				}
				if v >= 3 && (c.Documentation == nil || *c.Documentation == "" || c.ConfigType == kmsg.ConfigTypeUnknown) {
					t.Fatalf("v%d %s: %s without documentation or type", v, what, name)
				}
			}
		}
		check("topic", configs(0), map[string]want{
			"cleanup.policy":    {"compact", kmsg.ConfigSourceDynamicTopicConfig, false},
			"retention.ms":      {"60000", kmsg.ConfigSourceDynamicTopicConfig, false},
			"retention.bytes":   {"-1", kmsg.ConfigSourceDefaultConfig, true},
			"segment.bytes":     {"1048576", kmsg.ConfigSourceDefaultConfig, true},
			"max.message.bytes": {"4194304", kmsg.ConfigSourceDefaultConfig, true},
		})
		if v >= 1 {
			syn := configs(0)["retention.ms"].ConfigSynonyms
			if len(syn) != 2 || syn[1].Name != "log.retention.ms" || *syn[1].Value != "3600000" {
				t.Fatalf("v%d: retention.ms synonyms %+v, want the topic's then log.retention.ms=3600000", v, syn)
			}
		}
		if got := configs(1); len(got) != 1 || got["retention.bytes"].Value == nil {
			t.Fatalf("v%d: filtered to retention.bytes, got %v", v, got)
		}
		if r := resp.Resources[2]; r.ErrorCode != kerr.UnknownTopicOrPartition.Code || r.ErrorMessage == nil {
			t.Fatalf("v%d: unknown topic: %s", v, codeName(r.ErrorCode))
		}
		check("broker", configs(3), map[string]want{
			"log.retention.ms":          {"3600000", kmsg.ConfigSourceStaticBrokerConfig, false},
			"message.max.bytes":         {"4194304", kmsg.ConfigSourceStaticBrokerConfig, false},
			"auto.create.topics.enable": {"false", kmsg.ConfigSourceStaticBrokerConfig, false},
			"broker.id":                 {"2", kmsg.ConfigSourceStaticBrokerConfig, false},
		})
		if got := configs(4); len(got) != 0 {
			t.Fatalf("v%d: the cluster's dynamic configs: %v, want none", v, got)
		}
		if r := resp.Resources[5]; r.ErrorCode != kerr.InvalidRequest.Code {
			t.Fatalf("v%d: another broker's id: %s", v, codeName(r.ErrorCode))
		}
	}
}

func ptrStr(s *string) string {
	if s == nil {
		return "<null>"
	}
	return *s
}
