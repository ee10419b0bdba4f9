package kafkaproto

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/ksqlgo/ksql/broker"
)

// Idempotent producers. InitProducerId without a transactional id hands
// out a new producer id (broker.ProducerLog.NewProducerID: never reused,
// across restarts) with epoch 0, as Kafka does for every such request
// (the id and epoch a v3+ request carries are only meaningful with a
// transactional id). A produce batch with a producer id is appended with
// broker.ProducerLog.AppendProducer, which checks its sequence number in
// the partition: a retry of one of the producer's last five batches is
// answered with the original base offset and appends nothing; a gap is
// OUT_OF_ORDER_SEQUENCE_NUMBER, an old epoch INVALID_PRODUCER_EPOCH (what
// Kafka 2.7+ answers a fenced produce), an id this broker never handed
// out UNKNOWN_PRODUCER_ID. Transactional producers: txn.go.

// serveInitProducerID answers InitProducerId v0-v4.
func serveInitProducerID(ctx context.Context, s *Server, r kmsg.Request) (kmsg.Response, error) {
	req := r.(*kmsg.InitProducerIDRequest)
	resp := req.ResponseKind().(*kmsg.InitProducerIDResponse)
	resp.ProducerID, resp.ProducerEpoch = -1, -1
	if s.plog == nil {
		resp.ErrorCode = kerr.ClusterAuthorizationFailed.Code
		s.logf("kafkaproto: InitProducerId refused: the log keeps no producer state; disable idempotence")
		return resp, nil
	}
	if req.TransactionalID != nil {
		resp.ErrorCode = s.txns.initProducer(ctx, req, resp)
		return resp, nil
	}
	id, err := s.plog.NewProducerID(ctx)
	if err != nil {
		resp.ErrorCode = errorCode(err)
		return resp, nil
	}
	resp.ProducerID, resp.ProducerEpoch = id, 0
	return resp, nil
}

// produceProducer appends the batch of an idempotent or transactional
// producer.
func produceProducer(ctx context.Context, s *Server, req *kmsg.ProduceRequest, topic string, partition int32, recs []broker.Record, info batchInfo, out *kmsg.ProduceResponseTopicPartition) (int16, string) {
	if s.plog == nil {
		return kerr.InvalidProducerIDMapping.Code, "this broker keeps no producer state: disable idempotence"
	}
	if info.producerID < 0 || info.producerEpoch < 0 || info.baseSequence < 0 {
		return kerr.InvalidRecord.Code, fmt.Sprintf("producer id %d, epoch %d, base sequence %d: a batch with a producer needs all three",
			info.producerID, info.producerEpoch, info.baseSequence)
	}
	var txn *broker.Txn
	switch {
	case info.transactional && req.TransactionID == nil:
		return kerr.InvalidRecord.Code, "a transactional batch needs the request's transactional id"
	case !info.transactional && req.TransactionID != nil:
		return kerr.InvalidRecord.Code, "a request with a transactional id needs transactional batches"
	case info.transactional:
		var done func()
		var code int16
		var msg string
		if txn, done, code, msg = s.txns.produceTxn(*req.TransactionID, info, topic, partition); code != 0 {
			return code, msg
		}
		defer done()
	}
	pb := broker.ProducerBatch{ID: info.producerID, Epoch: info.producerEpoch, BaseSeq: info.baseSequence}
	base, _, err := s.plog.AppendProducer(ctx, txn, topic, partition, pb, recs)
	if err != nil {
		return errorCode(err), err.Error()
	}
	out.BaseOffset = base
	if offs, err := s.log.Offsets(ctx, topic, partition); err == nil {
		out.LogStartOffset = offs.Start
	}
	return 0, ""
}
