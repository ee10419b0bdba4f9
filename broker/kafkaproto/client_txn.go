package kafkaproto

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/ksqlgo/ksql/broker"
)

// Transactions (broker.LogDecidedTxns).
//
// Each producer name is one Kafka transactional producer: a franz-go
// client with transactional.id = TransactionalIDPrefix + name, created at
// the name's first AppendTxn, CommitOffsetsTxn or InitProducer. Creating
// it initializes the producer id at once (InitProducerId), which bumps the
// epoch: every older incarnation of the name (another process, or this
// one before a crash) is fenced, and the coordinator aborts the
// transaction it left open before answering.
//
// A broker.Txn maps onto the producer's current Kafka transaction:
//
//   - AppendTxn / CommitOffsetsTxn under a Seq when none is open begins
//     one (BeginTransaction); under the open one's Seq they add to it;
//     under another Seq they are broker.ErrTxnState.
//   - AppendTxn produces synchronously (franz-go adds the partition to the
//     transaction with AddPartitionsToTxn) and returns the first offset.
//   - CommitOffsetsTxn sends AddOffsetsToTxn to the transaction
//     coordinator, then TxnOffsetCommit to the group coordinator
//     (generation -1, no member: standalone positions).
//   - PrepareTxn flushes (every record acknowledged).
//   - EndTxn flushes and ends the transaction with EndTxn. A transaction
//     holding only offsets is ended with our own EndTxn request, since
//     franz-go ends only those it produced to (versions() keeps EndTxn
//     below v5, so it does not bump the epoch under franz-go's feet).
//     Ending a transaction no longer open with the decision it got, or one
//     this client never saw, does nothing.
//
// Failures: a fenced producer (PRODUCER_FENCED, INVALID_PRODUCER_EPOCH)
// closes its client and stays fenced in this ClientLog (ErrFenced) until
// InitProducer takes the name over again. A failed commit closes the
// client (its state is no longer trusted) and returns the error: the
// transaction may have committed or not (see broker.LogDecidedTxns), and
// a later EndTxn(commit) of it fails the same way rather than guess. A
// failed abort closes the client and initializes a new one, whose
// InitProducerId aborts the transaction for certain.

// ErrTxnUnsupported: the cluster does not serve transactions.
var ErrTxnUnsupported = errors.New("the Kafka cluster does not serve transactions")

// txnProducer is one producer name's transactional client.
type txnProducer struct {
	l    *ClientLog
	name string

	mu     chan struct{} // a lock that can be given up when ctx ends
	cl     *kgo.Client   // nil until initialized, and after a failure
	fenced error

	open     bool
	seq      int64
	records  bool // the open transaction produced records
	offsets  bool // the open transaction holds group positions
	ended    bool // lastSeq was ended with lastDone (true: committed)
	lastSeq  int64
	lastDone bool
	unknown  bool // the commit of lastSeq failed: its outcome is unknown
}

// lock takes p's lock, or gives up when ctx ends.
func (p *txnProducer) lock(ctx context.Context) error {
	select {
	case p.mu <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (p *txnProducer) unlock() { <-p.mu }

// producer returns the producer of a name, locked, creating it if create
// (else nil if this client has none).
func (l *ClientLog) producer(ctx context.Context, name string, create bool) (*txnProducer, error) {
	if err := l.enter(); err != nil {
		return nil, err
	}
	l.mu.Lock()
	p := l.producers[name]
	if p == nil && create {
		p = &txnProducer{l: l, name: name, mu: make(chan struct{}, 1)}
		l.producers[name] = p
	}
	l.mu.Unlock()
	if p == nil {
		return nil, nil
	}
	if err := p.lock(ctx); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *txnProducer) txnID() string { return p.l.cfg.TransactionalIDPrefix + p.name }

// ready initializes the producer's client if it has none: InitProducerId
// fences older incarnations and aborts their open transaction.
func (p *txnProducer) ready(ctx context.Context) error {
	if p.fenced != nil {
		return p.fenced
	}
	if p.cl != nil {
		return nil
	}
	cl, err := kgo.NewClient(p.l.opts(
		kgo.TransactionalID(p.txnID()),
		kgo.TransactionTimeout(p.l.cfg.TransactionTimeout),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerLinger(0),
	)...)
	if err != nil {
		return fmt.Errorf("kafka: producer %s: %w", p.txnID(), err)
	}
	id, _, err := cl.ProducerID(ctx)
	if err != nil {
		cl.Close()
		return p.failed(ctx, "init producer "+p.txnID(), err)
	}
	if id < 0 { // franz-go goes on without a producer id on old brokers
		cl.Close()
		return fmt.Errorf("kafka %s: producer %s: %w (no InitProducerId)", p.l.seeds, p.txnID(), ErrTxnUnsupported)
	}
	p.cl = cl
	return nil
}

// failed maps err; a fenced producer is closed and remembered as fenced.
func (p *txnProducer) failed(ctx context.Context, what string, err error) error {
	if isFenced(err) {
		p.drop()
		p.fenced = fmt.Errorf("kafka: %s: %w (%v)", what, broker.ErrFenced, err)
		return p.fenced
	}
	if errors.Is(err, broker.ErrFenced) {
		p.drop()
		p.fenced = err
		return err
	}
	if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
		return fmt.Errorf("kafka: %s: %w (%v)", what, ctx.Err(), err)
	}
	return fmt.Errorf("kafka: %s: %w", what, err)
}

// drop closes the client without ending anything: Kafka aborts what it
// left open (at the next InitProducerId, or at the transaction timeout).
func (p *txnProducer) drop() {
	if p.cl != nil {
		p.cl.Close()
		p.cl = nil
	}
	p.open, p.records, p.offsets = false, false, false
}

// begin makes txn the open transaction.
func (p *txnProducer) begin(txn broker.Txn) error {
	if p.open {
		if p.seq != txn.Seq {
			return fmt.Errorf("kafka: producer %s has transaction %d open, not %d: %w", p.name, p.seq, txn.Seq, broker.ErrTxnState)
		}
		return nil
	}
	if err := p.cl.BeginTransaction(); err != nil {
		return fmt.Errorf("kafka: begin %v: %w", txn, err)
	}
	p.open, p.seq, p.records, p.offsets, p.unknown = true, txn.Seq, false, false, false
	return nil
}

// AppendTxn implements broker.Log (see the comment at the top).
func (l *ClientLog) AppendTxn(ctx context.Context, txn broker.Txn, topic string, partition int32, recs []broker.Record) (int64, error) {
	if err := l.enter(); err != nil {
		return -1, err
	}
	if _, err := l.leader(ctx, topic, partition, false); err != nil {
		return -1, err
	}
	p, err := l.producer(ctx, txn.Producer, true)
	if err != nil {
		return -1, err
	}
	defer p.unlock()
	if err := p.ready(ctx); err != nil {
		return -1, err
	}
	if err := p.begin(txn); err != nil {
		return -1, err
	}
	if len(recs) == 0 {
		return l.listOffset(ctx, topic, partition, -1, broker.ReadUncommitted)
	}
	p.records = true
	off, err := produce(ctx, p.cl, nil, topic, partition, recs)
	if err != nil {
		return -1, p.failed(ctx, fmt.Sprintf("append %v to %s-%d", txn, topic, partition), err)
	}
	return off, nil
}

// PrepareTxn implements broker.Log: it waits until every record of txn is
// acknowledged. It does not make txn survive a crash of this process:
// Kafka aborts a transaction its producer does not end.
func (l *ClientLog) PrepareTxn(ctx context.Context, txn broker.Txn) error {
	p, err := l.producer(ctx, txn.Producer, false)
	if err != nil || p == nil {
		return err
	}
	defer p.unlock()
	if p.fenced != nil {
		return p.fenced
	}
	if !p.open || p.seq != txn.Seq {
		return nil
	}
	if err := p.cl.Flush(ctx); err != nil {
		return p.failed(ctx, fmt.Sprintf("prepare %v", txn), err)
	}
	return nil
}

// EndTxn implements broker.Log (see the comment at the top).
func (l *ClientLog) EndTxn(ctx context.Context, txn broker.Txn, commit bool) error {
	p, err := l.producer(ctx, txn.Producer, false)
	if err != nil || p == nil {
		return err
	}
	defer p.unlock()
	if p.fenced != nil {
		return p.fenced
	}
	if !p.open || p.seq != txn.Seq {
		switch {
		case p.open:
			return fmt.Errorf("kafka: end %v: producer has transaction %d open: %w", txn, p.seq, broker.ErrTxnState)
		case p.unknown && p.lastSeq == txn.Seq && commit:
			// Saying yes would be a guess.
			return fmt.Errorf("kafka: commit %v: an earlier commit failed and its outcome is unknown (the group positions committed with it tell): %w", txn, broker.ErrTxnState)
		case p.ended && p.lastSeq == txn.Seq && p.lastDone != commit:
			return fmt.Errorf("kafka: end %v (commit=%v): it was already ended the other way: %w", txn, commit, broker.ErrTxnState)
		}
		return nil
	}
	what := fmt.Sprintf("commit %v", txn)
	if !commit {
		what = fmt.Sprintf("abort %v", txn)
	}
	err = p.end(ctx, commit)
	switch {
	case err == nil:
		p.open, p.ended, p.lastSeq, p.lastDone, p.unknown = false, true, txn.Seq, commit, false
		return nil
	case isFenced(err) || errors.Is(err, broker.ErrFenced):
		return p.failed(ctx, what, err)
	case commit:
		// Whether the coordinator wrote the decision is unknown; the
		// client's state is not trusted any more. The next use of the
		// name starts a new client, whose InitProducerId aborts the
		// transaction if it is still open.
		p.drop()
		p.ended, p.lastSeq, p.unknown = false, txn.Seq, true
		return fmt.Errorf("kafka: %s failed (it may have committed: the group positions committed with it tell): %w", what, err)
	default:
		// Make the abort certain: a new incarnation aborts what is open.
		p.drop()
		if ierr := p.ready(ctx); ierr != nil {
			return fmt.Errorf("kafka: %s: %w (and re-initializing the producer to abort it: %v)", what, err, ierr)
		}
		p.ended, p.lastSeq, p.lastDone, p.unknown = true, txn.Seq, false, false
		return nil
	}
}

// end flushes (commit) or discards (abort) what is buffered, then ends
// the open transaction.
func (p *txnProducer) end(ctx context.Context, commit bool) error {
	try := kgo.TryAbort
	if commit {
		try = kgo.TryCommit
		if err := p.cl.Flush(ctx); err != nil {
			return err
		}
	} else if err := p.cl.AbortBufferedRecords(ctx); err != nil {
		return err
	}
	if err := p.cl.EndTransaction(ctx, try); err != nil {
		return err
	}
	if p.offsets && !p.records {
		// franz-go ended nothing: it produced nothing in this transaction.
		return p.endTxnRequest(ctx, bool(try))
	}
	return nil
}

// endTxnRequest sends EndTxn for a transaction franz-go did not add
// anything to.
func (p *txnProducer) endTxnRequest(ctx context.Context, commit bool) error {
	id, epoch, err := p.cl.ProducerID(ctx)
	if err != nil {
		return err
	}
	req := kmsg.NewPtrEndTxnRequest()
	req.TransactionalID = p.txnID()
	req.ProducerID, req.ProducerEpoch = id, epoch
	req.Commit = commit
	return p.retryConcurrent(ctx, func() (int16, error) {
		resp, err := req.RequestWith(ctx, p.cl)
		if err != nil {
			return 0, err
		}
		return resp.ErrorCode, nil
	})
}

// retryConcurrent runs a coordinator request again while the coordinator
// answers that it is busy finishing a previous transaction (or loading).
func (p *txnProducer) retryConcurrent(ctx context.Context, do func() (int16, error)) error {
	for attempt := 0; ; attempt++ {
		code, err := do()
		if err != nil {
			return err
		}
		err = kerr.ErrorForCode(code)
		if err == nil {
			return nil
		}
		if !errors.Is(err, kerr.ConcurrentTransactions) && !errors.Is(err, kerr.CoordinatorLoadInProgress) || attempt >= 50 {
			return err
		}
		if err := p.l.backoff(ctx, min(attempt, 3)); err != nil {
			return err
		}
	}
}

// InDoubt implements broker.Log: Kafka resolves every transaction itself,
// so there is never one in doubt.
func (l *ClientLog) InDoubt(context.Context) ([]broker.Txn, error) {
	if err := l.enter(); err != nil {
		return nil, err
	}
	return nil, nil
}

// Sync implements broker.Log: appends are acknowledged by every in-sync
// replica (acks=all), there is nothing more to wait for.
func (l *ClientLog) Sync(context.Context) error { return l.enter() }

// InitProducer implements broker.LogDecidedTxns.
func (l *ClientLog) InitProducer(ctx context.Context, producer string) error {
	p, err := l.producer(ctx, producer, true)
	if err != nil {
		return err
	}
	defer p.unlock()
	p.drop()
	p.fenced = nil
	return p.ready(ctx)
}

// CommitOffsetsTxn implements broker.LogDecidedTxns (see the comment at
// the top).
func (l *ClientLog) CommitOffsetsTxn(ctx context.Context, txn broker.Txn, group string, offsets map[broker.TopicPartition]int64) error {
	p, err := l.producer(ctx, txn.Producer, true)
	if err != nil {
		return err
	}
	defer p.unlock()
	if err := p.ready(ctx); err != nil {
		return err
	}
	if err := p.begin(txn); err != nil {
		return err
	}
	if len(offsets) == 0 {
		return nil
	}
	what := fmt.Sprintf("commit positions of group %s in %v", group, txn)
	id, epoch, err := p.cl.ProducerID(ctx)
	if err != nil {
		return p.failed(ctx, what, err)
	}
	if !p.offsets {
		add := kmsg.NewPtrAddOffsetsToTxnRequest()
		add.TransactionalID = p.txnID()
		add.ProducerID, add.ProducerEpoch = id, epoch
		add.Group = group
		err := p.retryConcurrent(ctx, func() (int16, error) {
			resp, err := add.RequestWith(ctx, p.cl)
			if err != nil {
				return 0, err
			}
			return resp.ErrorCode, nil
		})
		if err != nil {
			return p.failed(ctx, what, err)
		}
		p.offsets = true
	}
	req := kmsg.NewPtrTxnOffsetCommitRequest()
	req.TransactionalID = p.txnID()
	req.Group = group
	req.ProducerID, req.ProducerEpoch = id, epoch
	req.Generation = -1
	byTopic := map[string]int{}
	for tp, off := range offsets {
		i, ok := byTopic[tp.Topic]
		if !ok {
			i = len(req.Topics)
			byTopic[tp.Topic] = i
			t := kmsg.NewTxnOffsetCommitRequestTopic()
			t.Topic = tp.Topic
			req.Topics = append(req.Topics, t)
		}
		rp := kmsg.NewTxnOffsetCommitRequestTopicPartition()
		rp.Partition = tp.Partition
		rp.Offset = off
		rp.LeaderEpoch = -1
		req.Topics[i].Partitions = append(req.Topics[i].Partitions, rp)
	}
	err = p.retryConcurrent(ctx, func() (int16, error) {
		resp, err := req.RequestWith(ctx, p.cl)
		if err != nil {
			return 0, err
		}
		for _, t := range resp.Topics {
			for _, rp := range t.Partitions {
				if rp.ErrorCode != 0 {
					return rp.ErrorCode, nil
				}
			}
		}
		return 0, nil
	})
	if err != nil {
		return p.failed(ctx, what, err)
	}
	return nil
}

// close aborts the open transaction (if abort; bounded by ctx) and closes
// the client.
func (p *txnProducer) close(ctx context.Context, abort bool) {
	if err := p.lock(ctx); err != nil {
		return
	}
	defer p.unlock()
	if abort && p.open && p.cl != nil {
		if err := p.end(ctx, false); err != nil && p.l.cfg.Logf != nil {
			p.l.cfg.Logf("kafka: closing producer %s: abort of transaction %d: %v (Kafka aborts it)", p.txnID(), p.seq, err)
		}
	}
	p.drop()
}
