package kafkaproto

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/ksqlgo/ksql/broker"
)

var _ broker.RecordDeleter = (*ClientLog)(nil)

// DeleteRecords implements broker.RecordDeleter with Kafka's
// DeleteRecords at the partition's leader; before is capped at the last
// stable offset, as the contract asks (Kafka itself would delete up to
// the high watermark).
func (l *ClientLog) DeleteRecords(ctx context.Context, topic string, partition int32, before int64) (int64, error) {
	if err := l.enter(); err != nil {
		return 0, err
	}
	stable, err := l.listOffset(ctx, topic, partition, -1, broker.ReadCommitted)
	if err != nil {
		return 0, err
	}
	before = min(before, stable)
	var low int64
	err = l.atLeader(ctx, fmt.Sprintf("delete records of %s-%d below %d", topic, partition, before), topic, partition, func(leader int32) error {
		req := kmsg.NewPtrDeleteRecordsRequest()
		req.TimeoutMillis = 30_000
		t := kmsg.NewDeleteRecordsRequestTopic()
		t.Topic = topic
		p := kmsg.NewDeleteRecordsRequestTopicPartition()
		p.Partition, p.Offset = partition, before
		t.Partitions = []kmsg.DeleteRecordsRequestTopicPartition{p}
		req.Topics = []kmsg.DeleteRecordsRequestTopic{t}
		kresp, err := l.cl.Broker(int(leader)).Request(ctx, req)
		if err != nil {
			return err
		}
		resp := kresp.(*kmsg.DeleteRecordsResponse)
		if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
			return fmt.Errorf("delete records answered %d topics", len(resp.Topics))
		}
		rp := resp.Topics[0].Partitions[0]
		if err := kerr.ErrorForCode(rp.ErrorCode); err != nil {
			return err
		}
		low = rp.LowWatermark
		return nil
	})
	// Read-ahead below low is left alone: the engine deletes only what it
	// has read past.
	return low, err
}
