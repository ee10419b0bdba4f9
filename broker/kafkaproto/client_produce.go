package kafkaproto

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/ksqlgo/ksql/broker"
)

// Append implements broker.Log: the records go to the partition through
// l's idempotent producer (acks=all, no linger), and Append returns once
// every one is acknowledged, with the offset of the first.
//
// The records of one Append are handed to the producer under one lock,
// so no other Append's records come between them: their offsets are
// consecutive. They travel in one batch unless they exceed the producer's
// batch size, in which case a failure can leave a prefix appended. A
// canceled Append returns the context's error at once; records already
// sent may still be appended (as with any request whose answer is lost).
func (l *ClientLog) Append(ctx context.Context, topic string, partition int32, recs []broker.Record) (int64, error) {
	if err := l.enter(); err != nil {
		return -1, err
	}
	if _, err := l.leader(ctx, topic, partition, false); err != nil {
		return -1, err
	}
	if len(recs) == 0 {
		return l.listOffset(ctx, topic, partition, -1, broker.ReadUncommitted)
	}
	return produce(ctx, l.cl, &l.produceMu, topic, partition, recs)
}

// produce hands recs to cl under mu (nil: the caller serializes) and waits for their acknowledgement
// (or ctx). The records are copied first: the caller may reuse its slices
// as soon as this returns, even if a canceled call left them in flight.
func produce(ctx context.Context, cl *kgo.Client, mu *sync.Mutex, topic string, partition int32, recs []broker.Record) (int64, error) {
	krs := make([]*kgo.Record, len(recs))
	for i := range recs {
		krs[i] = toKgo(topic, partition, &recs[i])
	}
	errs := make([]error, len(krs))
	var wg sync.WaitGroup
	wg.Add(len(krs))
	if mu != nil {
		mu.Lock()
	}
	for i, kr := range krs {
		cl.Produce(ctx, kr, func(_ *kgo.Record, err error) {
			errs[i] = err
			wg.Done()
		})
	}
	if mu != nil {
		mu.Unlock()
	}
	acked := make(chan struct{})
	go func() {
		wg.Wait()
		close(acked)
	}()
	what := fmt.Sprintf("append to %s-%d", topic, partition)
	select {
	case <-acked:
	case <-ctx.Done():
		return -1, fmt.Errorf("kafka: %s: %w", what, ctx.Err())
	}
	for _, err := range errs {
		if err != nil {
			return -1, produceErr(what, err)
		}
	}
	return krs[0].Offset, nil
}

// toKgo copies r into a record for partition.
func toKgo(topic string, partition int32, r *broker.Record) *kgo.Record {
	kr := &kgo.Record{
		Topic:     topic,
		Partition: partition,
		Key:       clone(r.Key),
		Value:     clone(r.Value),
		Timestamp: time.UnixMilli(r.Timestamp),
	}
	if len(r.Headers) > 0 {
		kr.Headers = make([]kgo.RecordHeader, len(r.Headers))
		for i, h := range r.Headers {
			kr.Headers[i] = kgo.RecordHeader{Key: h.Key, Value: clone(h.Value)}
		}
	}
	return kr
}

// clone copies b, keeping nil (a null key, a tombstone) apart from empty.
func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append(make([]byte, 0, len(b)), b...)
}

// produceErr maps a produce error to broker's errors.
func produceErr(what string, err error) error {
	switch {
	case isFenced(err):
		return fmt.Errorf("kafka: %s: %w (%v)", what, broker.ErrFenced, err)
	case errors.Is(err, kerr.MessageTooLarge), errors.Is(err, kerr.RecordListTooLarge):
		return fmt.Errorf("kafka: %s: %w (%v)", what, broker.ErrRecordTooLarge, err)
	case errors.Is(err, kerr.UnknownTopicOrPartition):
		return fmt.Errorf("kafka: %s: %w (%v)", what, broker.ErrUnknownTopic, err)
	case errors.Is(err, kgo.ErrClientClosed):
		return fmt.Errorf("kafka: %s: %w", what, broker.ErrClosed)
	}
	return fmt.Errorf("kafka: %s: %w", what, err)
}

// isFenced: another incarnation of the transactional producer took over.
func isFenced(err error) bool {
	return errors.Is(err, kerr.ProducerFenced) || errors.Is(err, kerr.InvalidProducerEpoch)
}
