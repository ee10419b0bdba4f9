package kafkaproto

import (
	"context"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/ksqlgo/ksql/broker"
)

// maxRecordsPerRead bounds one broker.Log.Read of a fetch (one batch).
const maxRecordsPerRead = 2000

func isolation(level int8) broker.Isolation {
	if level == 1 {
		return broker.ReadCommitted
	}
	return broker.ReadUncommitted
}

// serveFetch reads every requested partition from its fetch offset, one
// uncompressed batch per broker.Log.Read, within the partition's and the
// request's byte limits (the first batch of a response is returned even
// when it exceeds them, as Kafka does, so that a consumer always makes
// progress). If the response holds fewer than MinBytes, it waits up to
// MaxWaitMillis for any partition to have a record visible under the
// request's isolation (broker.Log.Wait) and reads once more.
//
// read_committed is served by the log, for Kafka clients' transactions
// and the engine's alike: records of open transactions are not returned
// (reads stop at the last stable offset, the response's
// LastStableOffset) and records of aborted ones are skipped, so the
// response's aborted transaction list is always empty (a client has
// nothing to filter); a batch covers the skipped offsets so that the
// consumer moves past them. Over a broker.ProducerLog, batches keep their
// producer (id, epoch, sequence, the transactional attribute) and the
// markers of Kafka clients' transactions are sent as control batches, in
// both isolation levels, as Kafka sends them (clients skip them); the
// engine's own markers have no Kafka producer and are covered like
// skipped offsets.
func serveFetch(ctx context.Context, s *Server, r kmsg.Request) (kmsg.Response, error) {
	req := r.(*kmsg.FetchRequest)
	resp := req.ResponseKind().(*kmsg.FetchResponse)
	if req.Version >= 7 && (req.SessionID != 0 || req.SessionEpoch > 0) {
		// This broker creates no fetch sessions (it answers session id 0).
		resp.ErrorCode = kerr.FetchSessionIDNotFound.Code
		return resp, nil
	}
	iso := isolation(req.IsolationLevel)
	n := fillFetch(ctx, s, req, resp, iso)
	if n >= int(req.MinBytes) || req.MaxWaitMillis <= 0 || fetchHasErrors(resp) {
		return resp, nil
	}
	wctx, cancel := context.WithTimeout(ctx, time.Duration(req.MaxWaitMillis)*time.Millisecond)
	defer cancel()
	done := make(chan struct{}, 1)
	waiting := 0
	for _, rt := range req.Topics {
		for _, rp := range rt.Partitions {
			waiting++
			go func(topic string, p int32, off int64) {
				if s.log.Wait(wctx, topic, p, off, iso) == nil {
					cancel()
				}
				done <- struct{}{}
			}(rt.Topic, rp.Partition, rp.FetchOffset)
		}
	}
	<-wctx.Done()
	for range waiting {
		<-done
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	resp = req.ResponseKind().(*kmsg.FetchResponse)
	fillFetch(ctx, s, req, resp, iso)
	return resp, nil
}

func fetchHasErrors(resp *kmsg.FetchResponse) bool {
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			if p.ErrorCode != 0 {
				return true
			}
		}
	}
	return false
}

// fillFetch reads the partitions into resp and returns the record bytes.
func fillFetch(ctx context.Context, s *Server, req *kmsg.FetchRequest, resp *kmsg.FetchResponse, iso broker.Isolation) int {
	total := 0
	maxBytes := int(req.MaxBytes)
	if req.Version < 3 || maxBytes <= 0 {
		maxBytes = 1 << 30
	}
	for _, rt := range req.Topics {
		t := kmsg.NewFetchResponseTopic()
		t.Topic = rt.Topic
		for _, rp := range rt.Partitions {
			p := kmsg.NewFetchResponseTopicPartition()
			p.Partition = rp.Partition
			// No records is an empty record set, never a null one:
			// librdkafka refuses a null set ("invalid MessageSetSize -1").
			p.RecordBatches = []byte{}
			p.HighWatermark, p.LastStableOffset, p.LogStartOffset = -1, -1, -1
			p.PreferredReadReplica = -1
			offs, err := s.log.Offsets(ctx, rt.Topic, rp.Partition)
			if err != nil {
				p.ErrorCode = errorCode(err)
				t.Partitions = append(t.Partitions, p)
				continue
			}
			p.HighWatermark, p.LastStableOffset, p.LogStartOffset = offs.End, offs.Stable, offs.Start
			if iso == broker.ReadCommitted && req.Version >= 4 {
				// Aborted records are never sent (see serveFetch).
				p.AbortedTransactions = []kmsg.FetchResponseTopicPartitionAbortedTransaction{}
			}
			if rp.FetchOffset < offs.Start || rp.FetchOffset > offs.End {
				p.ErrorCode = kerr.OffsetOutOfRange.Code
				t.Partitions = append(t.Partitions, p)
				continue
			}
			budget := min(int(rp.PartitionMaxBytes), maxBytes-total)
			off := rp.FetchOffset
			for budget > 0 || total == 0 {
				opts := broker.ReadOptions{MaxRecords: maxRecordsPerRead, MaxBytes: max(budget, 1), Isolation: iso}
				var recs []broker.Record
				var batches []broker.Batch
				var next int64
				var err error
				if s.plog != nil {
					batches, next, err = s.plog.ReadBatches(ctx, rt.Topic, rp.Partition, off, opts)
				} else {
					recs, next, err = s.log.Read(ctx, rt.Topic, rp.Partition, off, opts)
				}
				if err != nil {
					p.ErrorCode = errorCode(err)
					break
				}
				if next <= off {
					break
				}
				before := len(p.RecordBatches)
				if s.plog != nil {
					p.RecordBatches = appendFetchBatches(p.RecordBatches, off, next, batches)
				} else {
					p.RecordBatches = appendFetchBatch(p.RecordBatches, off, next, recs)
				}
				size := len(p.RecordBatches) - before
				total += size
				budget -= size
				off = next
			}
			t.Partitions = append(t.Partitions, p)
		}
		resp.Topics = append(resp.Topics, t)
	}
	return total
}
