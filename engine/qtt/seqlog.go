package qtt

import (
	"context"
	"sort"
	"sync"

	"github.com/ksqlgo/ksql/broker"
)

// seqLog wraps the log a case runs over and numbers every record in the
// order it became visible: at once for a plain append (the runner's
// inputs, INSERT VALUES), at the commit of its transaction for a query's
// output (in the order of the transaction's appends). ksqlDB's test
// executor compares one sequence of records per topic, in the order they
// were produced, whatever the partitions; the runner reads a topic's
// partitions and orders the records by these numbers.
type seqLog struct {
	broker.Log

	mu      sync.Mutex
	next    int64
	seq     map[recordAt]int64
	pending map[broker.Txn][]appended
}

type recordAt struct {
	topic     string
	partition int32
	offset    int64
}

type appended struct {
	topic     string
	partition int32
	first     int64
	n         int
}

func newSeqLog(l broker.Log) *seqLog {
	return &seqLog{Log: l, seq: map[recordAt]int64{}, pending: map[broker.Txn][]appended{}}
}

func (l *seqLog) number(a appended) {
	for i := 0; i < a.n; i++ {
		l.next++
		l.seq[recordAt{a.topic, a.partition, a.first + int64(i)}] = l.next
	}
}

// Append numbers the records at once: they are visible when it returns.
func (l *seqLog) Append(ctx context.Context, topic string, partition int32, recs []broker.Record) (int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	first, err := l.Log.Append(ctx, topic, partition, recs)
	if err == nil {
		l.number(appended{topic, partition, first, len(recs)})
	}
	return first, err
}

// AppendTxn remembers the records until their transaction ends.
func (l *seqLog) AppendTxn(ctx context.Context, txn broker.Txn, topic string, partition int32, recs []broker.Record) (int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	first, err := l.Log.AppendTxn(ctx, txn, topic, partition, recs)
	if err == nil {
		l.pending[txn] = append(l.pending[txn], appended{topic, partition, first, len(recs)})
	}
	return first, err
}

// EndTxn numbers a committed transaction's records in append order.
func (l *seqLog) EndTxn(ctx context.Context, txn broker.Txn, commit bool) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	err := l.Log.EndTxn(ctx, txn, commit)
	if err != nil {
		return err
	}
	if commit {
		for _, a := range l.pending[txn] {
			l.number(a)
		}
	}
	delete(l.pending, txn)
	return nil
}

// DeleteRecords passes the purge of repartition topics through when the
// wrapped log supports it (exec/purge.go).
func (l *seqLog) DeleteRecords(ctx context.Context, topic string, partition int32, before int64) (int64, error) {
	if d, ok := l.Log.(broker.RecordDeleter); ok {
		return d.DeleteRecords(ctx, topic, partition, before)
	}
	off, err := l.Log.Offsets(ctx, topic, partition)
	return off.Start, err
}

// readInOrder reads every partition of a topic (committed records) and
// returns its records in production order. ok is false when the topic
// does not exist.
func (l *seqLog) readInOrder(ctx context.Context, topic string) (recs []broker.Record, ok bool, err error) {
	info, err := l.Log.Topic(ctx, topic)
	if err != nil {
		return nil, false, nil
	}
	for p := int32(0); p < info.Config.Partitions; p++ {
		part, err := broker.ReadAll(ctx, l.Log, topic, p, 0, broker.ReadCommitted, 1_000_000)
		if err != nil {
			return nil, true, err
		}
		for i := range part {
			part[i].Partition = p
		}
		recs = append(recs, part...)
	}
	l.mu.Lock()
	order := make([]int64, len(recs))
	for i, r := range recs {
		s, known := l.seq[recordAt{topic, r.Partition, r.Offset}]
		if !known {
			s = 1 << 62 // not seen through this log: after the rest, by partition and offset
		}
		order[i] = s
	}
	l.mu.Unlock()
	idx := make([]int, len(recs))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return order[idx[a]] < order[idx[b]] })
	out := make([]broker.Record, len(recs))
	for i, j := range idx {
		out[i] = recs[j]
	}
	return out, true, nil
}
