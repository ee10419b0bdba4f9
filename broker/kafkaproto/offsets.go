package kafkaproto

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/ksqlgo/ksql/broker"
)

// serveListOffsets answers earliest (-2: the log's start), latest (-1:
// the high watermark, or the last stable offset for read_committed, as
// Kafka does) and timestamp lookups (the first offset whose record has a
// timestamp at or after the one asked, found by reading the partition
// from its start: the log keeps no time index).
func serveListOffsets(ctx context.Context, s *Server, r kmsg.Request) (kmsg.Response, error) {
	req := r.(*kmsg.ListOffsetsRequest)
	resp := req.ResponseKind().(*kmsg.ListOffsetsResponse)
	iso := isolation(req.IsolationLevel)
	for _, rt := range req.Topics {
		t := kmsg.NewListOffsetsResponseTopic()
		t.Topic = rt.Topic
		for _, rp := range rt.Partitions {
			p := kmsg.NewListOffsetsResponseTopicPartition()
			p.Partition = rp.Partition
			p.Timestamp, p.Offset, p.LeaderEpoch = -1, -1, -1
			offs, err := s.log.Offsets(ctx, rt.Topic, rp.Partition)
			switch {
			case err != nil:
				p.ErrorCode = errorCode(err)
			case rp.Timestamp == -2:
				p.Offset = offs.Start
			case rp.Timestamp == -1:
				p.Offset = offs.End
				if iso == broker.ReadCommitted {
					p.Offset = offs.Stable
				}
			case rp.Timestamp >= 0:
				p.Offset, p.Timestamp, err = offsetForTime(ctx, s.log, rt.Topic, rp.Partition, offs.Start, rp.Timestamp, iso)
				p.ErrorCode = errorCode(err)
			default:
				p.ErrorCode = kerr.InvalidRequest.Code
			}
			t.Partitions = append(t.Partitions, p)
		}
		resp.Topics = append(resp.Topics, t)
	}
	return resp, nil
}

func offsetForTime(ctx context.Context, l broker.Log, topic string, partition int32, start, ts int64, iso broker.Isolation) (int64, int64, error) {
	off := start
	for {
		recs, next, err := l.Read(ctx, topic, partition, off, broker.ReadOptions{MaxRecords: 1000, Isolation: iso})
		if err != nil {
			return -1, -1, err
		}
		for _, rec := range recs {
			if rec.Timestamp >= ts {
				return rec.Offset, rec.Timestamp, nil
			}
		}
		if next <= off {
			return -1, -1, nil
		}
		off = next
	}
}
