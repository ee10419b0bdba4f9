package kafkaproto_test

import (
	"encoding/binary"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/ksqlgo/ksql/broker/kafkaproto"
)

// TestPartitionLimit: CreateTopics and CreatePartitions may not ask for
// more than Config.MaxPartitions partitions of a topic; by default a
// client cannot make the log create billions of partitions.
func TestPartitionLimit(t *testing.T) {
	createTopics := func(t *testing.T, b *testBroker, topic string, n int32) kmsg.CreateTopicsResponseTopic {
		req := kmsg.NewPtrCreateTopicsRequest()
		rt := kmsg.NewCreateTopicsRequestTopic()
		rt.Topic, rt.NumPartitions, rt.ReplicationFactor = topic, n, 1
		req.Topics = append(req.Topics, rt)
		resp, err := req.RequestWith(testCtx(t), b.client(t))
		if err != nil {
			t.Fatal(err)
		}
		return resp.Topics[0]
	}
	refused := func(t *testing.T, what string, code int16, msg *string, want string) {
		t.Helper()
		if code != kerr.InvalidPartitions.Code || msg == nil || !strings.Contains(*msg, want) {
			t.Fatalf("%s: error %d, message %v; want INVALID_PARTITIONS saying %q", what, code, msg, want)
		}
	}
	t.Run("default", func(t *testing.T) {
		b := startBroker(t)
		got := createTopics(t, b, "huge", 2_000_000_000)
		refused(t, "CreateTopics of 2e9 partitions", got.ErrorCode, got.ErrorMessage, "at most 10000 partitions per topic")
		if _, err := b.log.Topic(testCtx(t), "huge"); err == nil {
			t.Fatal("the topic was created")
		}
	})
	t.Run("configured", func(t *testing.T) {
		b := startBrokerWith(t, kafkaproto.Config{MaxPartitions: 8})
		got := createTopics(t, b, "nine", 9)
		refused(t, "CreateTopics of 9", got.ErrorCode, got.ErrorMessage, "at most 8 partitions per topic")
		if got := createTopics(t, b, "eight", 8); got.ErrorCode != 0 {
			t.Fatalf("CreateTopics of 8: error %d", got.ErrorCode)
		}
		createTopic(t, b.log, "grow", 2)
		for _, validate := range []bool{true, false} {
			resp, err := createPartitionsReq(validate, "grow", 9, nil).RequestWith(testCtx(t), b.client(t))
			if err != nil {
				t.Fatal(err)
			}
			refused(t, "CreatePartitions to 9", resp.Topics[0].ErrorCode, resp.Topics[0].ErrorMessage, "at most 8 partitions per topic")
		}
		resp, err := createPartitionsReq(false, "grow", 8, nil).RequestWith(testCtx(t), b.client(t))
		if err != nil || resp.Topics[0].ErrorCode != 0 {
			t.Fatalf("CreatePartitions to 8: %v, error %d", err, resp.Topics[0].ErrorCode)
		}
		if info, err := b.log.Topic(testCtx(t), "grow"); err != nil || info.Config.Partitions != 8 {
			t.Fatalf("grow: %+v, %v", info, err)
		}
	})
}

// paddedRequest frames req (a flexible version) at exactly size bytes
// after the size prefix, padding with a tagged field of the header.
func paddedRequest(t *testing.T, req kmsg.Request, version int16, corr int32, size int) []byte {
	t.Helper()
	req.SetVersion(version)
	if !req.IsFlexible() {
		t.Fatalf("%s v%d is not flexible", kmsg.NameForKey(req.Key()), version)
	}
	body := req.AppendTo(nil)
	const fixed = 2 + 2 + 4 + 2 + 4 + 2 // key, version, correlation id, client id "test", one tagged field (count, tag)
	for pad := size - fixed - len(body); pad >= 0; pad-- {
		if fixed+len(binary.AppendUvarint(nil, uint64(pad)))+pad+len(body) != size {
			continue
		}
		b := make([]byte, 4, size+4)
		binary.BigEndian.PutUint32(b, uint32(size))
		b = binary.BigEndian.AppendUint16(b, uint16(req.Key()))
		b = binary.BigEndian.AppendUint16(b, uint16(version))
		b = binary.BigEndian.AppendUint32(b, uint32(corr))
		b = binary.BigEndian.AppendUint16(b, 4)
		b = append(b, "test"...)
		b = append(b, 1, 0)
		b = binary.AppendUvarint(b, uint64(pad))
		b = append(b, make([]byte, pad)...)
		return append(b, body...)
	}
	t.Fatalf("cannot pad %s v%d to %d bytes", kmsg.NameForKey(req.Key()), version, size)
	return nil
}

// TestFrameLimits: a frame at its limit is served, one byte more closes
// the connection; Produce is bounded by MaxFrameBytes, every other
// request by MaxNonProduceFrameBytes.
func TestFrameLimits(t *testing.T) {
	const maxFrame, maxOther = 256 << 10, 64 << 10
	b := startBrokerWith(t, kafkaproto.Config{MaxFrameBytes: maxFrame, MaxNonProduceFrameBytes: maxOther})
	produce := func() kmsg.Request { r := kmsg.NewPtrProduceRequest(); r.Acks = 1; return r }
	metadata := func() kmsg.Request { return kmsg.NewPtrMetadataRequest() }
	for _, tc := range []struct {
		name    string
		req     func() kmsg.Request
		version int16
		limit   int
	}{
		{"Produce", produce, 9, maxFrame},
		{"Metadata", metadata, 9, maxOther},
		{"Metadata at the Produce limit", metadata, 9, maxFrame},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.limit == maxFrame && tc.req().Key() != kmsg.Produce.Int16() {
				rc := dialRaw(t, b)
				rc.send(paddedRequest(t, tc.req(), tc.version, 1, maxFrame))
				rc.closed()
				return
			}
			rc := dialRaw(t, b)
			rc.send(paddedRequest(t, tc.req(), tc.version, 1, tc.limit))
			rc.response(1)
			rc.send(paddedRequest(t, tc.req(), tc.version, 2, tc.limit+1))
			rc.closed()
		})
	}
}

// TestProduceShapeRefusedBeforeDecoding: a Produce whose arrays would
// decode to far more than the frame (many empty partitions) closes the
// connection; the server goes on serving.
func TestProduceShapeRefusedBeforeDecoding(t *testing.T) {
	b := startBroker(t)
	createTopic(t, b.log, "t", 1)
	manyPartitions := func(v int16, n int) []byte {
		req := kmsg.NewPtrProduceRequest()
		req.Acks = 1
		rt := kmsg.NewProduceRequestTopic()
		rt.Topic = "t"
		rt.Partitions = make([]kmsg.ProduceRequestTopicPartition, n)
		req.Topics = append(req.Topics, rt)
		return request(req, v, 1)
	}
	for _, v := range []int16{3, 7, 9} {
		rc := dialRaw(t, b)
		rc.send(manyPartitions(v, 20000))
		rc.closed()
	}
	// A few empty partitions are within the slack: answered.
	rc := dialRaw(t, b)
	rc.send(manyPartitions(9, 3))
	resp := kmsg.NewPtrProduceResponse()
	resp.Version = 9
	if err := resp.ReadFrom(rc.response(1)[1:]); err != nil {
		t.Fatal(err)
	}
	if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 3 {
		t.Fatalf("produce of 3 empty partitions: %+v", resp.Topics)
	}
	// Real records still go in.
	produceConsume(t, b, b.client(t), "after")
}
