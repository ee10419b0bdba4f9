package kafkaproto

import (
	"context"
	"errors"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// serveProduce appends each partition's record batch with broker.Log.Append
// (durable under the log's sync policy before the response) and answers
// with the first offset given. acks=0 gets no response; acks 1 and -1 are
// the same here (this broker is the only replica). Batches of idempotent
// and transactional producers go through produceProducer (producers.go).
func serveProduce(ctx context.Context, s *Server, r kmsg.Request) (kmsg.Response, error) {
	req := r.(*kmsg.ProduceRequest)
	resp := req.ResponseKind().(*kmsg.ProduceResponse)
	for _, rt := range req.Topics {
		t := kmsg.NewProduceResponseTopic()
		t.Topic = rt.Topic
		for _, rp := range rt.Partitions {
			p := kmsg.NewProduceResponseTopicPartition()
			p.Partition = rp.Partition
			p.BaseOffset, p.LogAppendTime, p.LogStartOffset = -1, -1, -1
			code, msg := producePartition(ctx, s, req, rt.Topic, rp, &p)
			if code != 0 {
				p.ErrorCode, p.ErrorMessage = code, kmsg.StringPtr(msg)
			}
			t.Partitions = append(t.Partitions, p)
		}
		resp.Topics = append(resp.Topics, t)
	}
	if req.Acks == 0 {
		return nil, nil
	}
	return resp, nil
}

func producePartition(ctx context.Context, s *Server, req *kmsg.ProduceRequest, topic string, rp kmsg.ProduceRequestTopicPartition, out *kmsg.ProduceResponseTopicPartition) (int16, string) {
	if req.Acks != 0 && req.Acks != 1 && req.Acks != -1 {
		return kerr.InvalidRequiredAcks.Code, "acks must be 0, 1 or -1 (all)"
	}
	if s.internal(topic) {
		return kerr.InvalidTopicException.Code, internalTopicMessage(topic, "write to")
	}
	if _, err := s.log.Offsets(ctx, topic, rp.Partition); err != nil {
		return errorCode(err), err.Error()
	}
	recs, info, err := decodeProduceBatch(rp.Records, s.dec)
	if err != nil {
		var be *batchError
		if errors.As(err, &be) {
			return be.code, be.msg
		}
		return kerr.CorruptMessage.Code, err.Error()
	}
	if info.producerID >= 0 || info.transactional || req.TransactionID != nil {
		return produceProducer(ctx, s, req, topic, rp.Partition, recs, info, out)
	}
	base, err := s.log.Append(ctx, topic, rp.Partition, recs)
	if err != nil {
		return errorCode(err), err.Error()
	}
	out.BaseOffset = base
	if offs, err := s.log.Offsets(ctx, topic, rp.Partition); err == nil {
		out.LogStartOffset = offs.Start
	}
	return 0, ""
}
