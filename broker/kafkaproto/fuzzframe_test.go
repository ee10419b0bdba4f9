package kafkaproto_test

import (
	"context"
	"encoding/binary"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/broker/embedded"
	"github.com/ksqlgo/ksql/broker/kafkaproto"
)

// frameOf encodes req at version v as a request frame without its size
// prefix, as a client sends it.
func frameOf(req kmsg.Request, v int16) []byte {
	req.SetVersion(v)
	return kmsg.NewRequestFormatter(kmsg.FormatterClientID("fuzz")).AppendRequest(nil, req, 7)[4:]
}

// frameSeeds are valid requests of every served API at its lowest,
// middle and highest version, empty and (for the common ones) filled.
func frameSeeds() [][]byte {
	var seeds [][]byte
	topic := func() string { return "t" }
	filled := map[int16]func() kmsg.Request{
		kmsg.Produce.Int16(): func() kmsg.Request {
			r := kmsg.NewPtrProduceRequest()
			r.Acks = -1
			rt := kmsg.NewProduceRequestTopic()
			rt.Topic = topic()
			rp := kmsg.NewProduceRequestTopicPartition()
			rp.Records = validBatch()
			rt.Partitions = append(rt.Partitions, rp)
			r.Topics = append(r.Topics, rt)
			return r
		},
		kmsg.Fetch.Int16(): func() kmsg.Request {
			r := kmsg.NewPtrFetchRequest()
			r.MaxBytes = 1 << 20
			rt := kmsg.NewFetchRequestTopic()
			rt.Topic = topic()
			rp := kmsg.NewFetchRequestTopicPartition()
			rp.PartitionMaxBytes = 1 << 20
			rt.Partitions = append(rt.Partitions, rp)
			r.Topics = append(r.Topics, rt)
			return r
		},
		kmsg.Metadata.Int16(): func() kmsg.Request {
			r := kmsg.NewPtrMetadataRequest()
			mt := kmsg.NewMetadataRequestTopic()
			mt.Topic = kmsg.StringPtr(topic())
			r.Topics = append(r.Topics, mt)
			return r
		},
		kmsg.CreateTopics.Int16(): func() kmsg.Request {
			r := kmsg.NewPtrCreateTopicsRequest()
			rt := kmsg.NewCreateTopicsRequestTopic()
			rt.Topic, rt.NumPartitions, rt.ReplicationFactor = "u", 2, 1
			r.Topics = append(r.Topics, rt)
			return r
		},
		kmsg.CreatePartitions.Int16(): func() kmsg.Request { return createPartitionsReq(false, topic(), 3, nil) },
		kmsg.DeleteRecords.Int16(): func() kmsg.Request {
			return deleteRecordsReq(0, topic(), map[int32]int64{0: -1})
		},
		kmsg.ListOffsets.Int16(): func() kmsg.Request {
			r := kmsg.NewPtrListOffsetsRequest()
			rt := kmsg.NewListOffsetsRequestTopic()
			rt.Topic = topic()
			rp := kmsg.NewListOffsetsRequestTopicPartition()
			rp.Timestamp = -1
			rt.Partitions = append(rt.Partitions, rp)
			r.Topics = append(r.Topics, rt)
			return r
		},
		kmsg.OffsetCommit.Int16(): func() kmsg.Request {
			return offsetCommit("g", map[string]map[int32]int64{topic(): {0: 1}})
		},
		kmsg.DescribeConfigs.Int16(): func() kmsg.Request {
			r := kmsg.NewPtrDescribeConfigsRequest()
			rr := kmsg.NewDescribeConfigsRequestResource()
			rr.ResourceType, rr.ResourceName = kmsg.ConfigResourceTypeTopic, topic()
			r.Resources = append(r.Resources, rr)
			return r
		},
	}
	apis := kafkaproto.ServedAPIs()
	keys := make([]int16, 0, len(apis))
	for k := range apis {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		vs := apis[k]
		for _, v := range []int16{vs[0], (vs[0] + vs[1]) / 2, vs[1]} {
			empty := kmsg.RequestForKey(k)
			seeds = append(seeds, frameOf(empty, v))
			if mk := filled[k]; mk != nil {
				seeds = append(seeds, frameOf(mk(), v))
			}
		}
	}
	return seeds
}

// waits reports whether a request may legitimately block (a long poll,
// a rebalance) longer than the fuzz target should wait, or asks for
// more partitions than it should create: the target skips those.
func waits(frame []byte) bool {
	if len(frame) < 10 {
		return false
	}
	key, v := int16(binary.BigEndian.Uint16(frame)), int16(binary.BigEndian.Uint16(frame[2:]))
	req := kmsg.RequestForKey(key)
	if req == nil || v < 0 || v > req.MaxVersion() {
		return false
	}
	req.SetVersion(v)
	// The header: client id, then tagged fields for flexible versions.
	b := frame[8:]
	if len(b) < 2 {
		return false
	}
	if n := int16(binary.BigEndian.Uint16(b)); n > 0 && int(n) <= len(b)-2 {
		b = b[2+n:]
	} else {
		b = b[2:]
	}
	if req.IsFlexible() {
		if len(b) == 0 || b[0] != 0 {
			return true // tagged header fields: not worth parsing here
		}
		b = b[1:]
	}
	if req.ReadFrom(b) != nil {
		return false
	}
	const maxWaitMs, maxParts = 50, 64
	switch r := req.(type) {
	case *kmsg.FetchRequest:
		return r.MaxWaitMillis > maxWaitMs
	case *kmsg.JoinGroupRequest, *kmsg.SyncGroupRequest:
		return true // rebalances wait for members by design
	case *kmsg.CreateTopicsRequest:
		for _, t := range r.Topics {
			if t.NumPartitions > maxParts {
				return true
			}
		}
	case *kmsg.CreatePartitionsRequest:
		for _, t := range r.Topics {
			if t.Count > maxParts {
				return true
			}
		}
	}
	return false
}

// FuzzFrame feeds arbitrary bytes as one request frame through the
// server's decoding and dispatch (the path of every connection): it must
// answer or refuse, never panic (a handler's panic is recovered and
// closes the connection; the target fails on it), and its answer must
// stay proportionate.
func FuzzFrame(f *testing.F) {
	for _, s := range frameSeeds() {
		f.Add(s)
	}
	l, err := embedded.Open(f.TempDir(), embedded.Options{SegmentBytes: 4096, RetentionCheckInterval: -1, SyncPolicy: embedded.SyncInterval})
	if err != nil {
		f.Fatal(err)
	}
	ctx := context.Background()
	if err := l.CreateTopic(ctx, "t", broker.TopicConfig{Partitions: 2}); err != nil {
		f.Fatal(err)
	}
	srv := kafkaproto.NewServer(l, kafkaproto.Config{GroupInitialRebalanceDelay: -1, MaxBatchBytes: 1 << 20})
	f.Cleanup(func() {
		srv.Close()
		l.Close()
	})
	f.Fuzz(func(t *testing.T, frame []byte) {
		if waits(frame) {
			return
		}
		done := make(chan struct{})
		var out []byte
		var serr error
		go func() {
			defer close(done)
			out, serr = srv.ServeFrame(frame)
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("a frame of %d bytes was not answered within 10s: % x", len(frame), frame[:min(len(frame), 64)])
		}
		if serr != nil && strings.Contains(serr.Error(), "panic serving") {
			t.Fatalf("handler panicked: %v", serr)
		}
		if len(out) > 4<<20+64*len(frame) {
			t.Fatalf("a frame of %d bytes got a response of %d bytes", len(frame), len(out))
		}
	})
}
