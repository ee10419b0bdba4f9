package kafkaproto

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/ksqlgo/ksql/broker"
)

// serveDeleteRecords deletes the head of partitions with
// broker.RecordDeleter. Offset -1 means the high watermark (the end of
// the partition); an offset past it, or another negative one, is
// OFFSET_OUT_OF_RANGE. The low watermark answered is the partition's
// real start afterwards, which may be below the offset asked: the
// embedded log deletes whole segments, and never past the stable offset.
func serveDeleteRecords(ctx context.Context, s *Server, r kmsg.Request) (kmsg.Response, error) {
	req := r.(*kmsg.DeleteRecordsRequest)
	resp := req.ResponseKind().(*kmsg.DeleteRecordsResponse)
	deleter, _ := s.log.(broker.RecordDeleter)
	for _, rt := range req.Topics {
		t := kmsg.NewDeleteRecordsResponseTopic()
		t.Topic = rt.Topic
		for _, rp := range rt.Partitions {
			p := kmsg.NewDeleteRecordsResponseTopicPartition()
			p.Partition = rp.Partition
			p.LowWatermark, p.ErrorCode = deleteRecords(ctx, s, deleter, rt.Topic, rp.Partition, rp.Offset)
			t.Partitions = append(t.Partitions, p)
		}
		resp.Topics = append(resp.Topics, t)
	}
	return resp, nil
}

func deleteRecords(ctx context.Context, s *Server, deleter broker.RecordDeleter, topic string, partition int32, offset int64) (low int64, code int16) {
	offs, err := s.log.Offsets(ctx, topic, partition)
	if err != nil {
		return -1, errorCode(err)
	}
	if deleter == nil {
		// DeleteRecords has no error message: the closest code.
		return -1, kerr.PolicyViolation.Code
	}
	if s.internal(topic) {
		return -1, kerr.InvalidTopicException.Code // as Kafka, for its internal topics
	}
	if offset == -1 {
		offset = offs.End
	}
	if offset < 0 || offset > offs.End {
		return -1, kerr.OffsetOutOfRange.Code
	}
	start, err := deleter.DeleteRecords(ctx, topic, partition, offset)
	if err != nil {
		return -1, errorCode(err)
	}
	return start, 0
}
