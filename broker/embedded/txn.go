package embedded

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/ksqlgo/ksql/broker"
)

// Transactions.
//
// Per partition (partition.go): AppendTxn writes a batch flagged
// transactional and tagged with (Producer, Seq); the partition remembers it
// as pending (first offset and offset ranges per txn). The stable offset
// is min(end, first offset of every pending txn), so ReadCommitted readers
// stop in front of the oldest unresolved batch, even if later batches
// (transactional or not) are already written. EndTxn writes a control
// batch (the marker, one offset, never returned to readers) and drops the
// pending entry; on abort the txn's ranges join the partition's sorted
// list of aborted ranges, which ReadCommitted reads skip. Open rebuilds
// both from the batches and markers in the log (segment index files carry
// them for sealed segments), so a txn with batches but no marker is
// pending again: "in doubt".
//
// Log level (this file): txns maps each unresolved txn to the partitions it
// touched, so PrepareTxn knows what to fsync and EndTxn where to write
// markers. ended remembers each producer's last resolved txn and decision
// to reject a contradicting second EndTxn.

// txnState is an unresolved transaction.
type txnState struct {
	parts   map[*partition]struct{}
	inDoubt bool // found at Open
}

// endedTxn is a producer's last resolved transaction.
type endedTxn struct {
	seq    int64
	commit bool
}

func (l *Log) registerTxn(txn broker.Txn, p *partition) {
	l.txnMu.Lock()
	defer l.txnMu.Unlock()
	st := l.txns[txn]
	if st == nil {
		st = &txnState{parts: map[*partition]struct{}{}}
		l.txns[txn] = st
		if e, ok := l.ended[txn.Producer]; ok && e.seq == txn.Seq {
			// The writer reuses a resolved Seq: this is a new transaction.
			delete(l.ended, txn.Producer)
		}
	}
	st.parts[p] = struct{}{}
}

// txnPartitions returns the partitions txn touched, in a stable order.
func (l *Log) txnPartitions(st *txnState) []*partition {
	parts := make([]*partition, 0, len(st.parts))
	for p := range st.parts {
		parts = append(parts, p)
	}
	slices.SortFunc(parts, func(a, b *partition) int {
		return cmp.Or(cmp.Compare(a.tp.Topic, b.tp.Topic), cmp.Compare(a.tp.Partition, b.tp.Partition))
	})
	return parts
}

// AppendTxn implements broker.Log. The batch is written but not fsynced;
// PrepareTxn makes it durable.
func (l *Log) AppendTxn(ctx context.Context, txn broker.Txn, topic string, partition int32, recs []broker.Record) (int64, error) {
	if err := l.enterCtx(ctx); err != nil {
		return 0, err
	}
	defer l.leave()
	if txn.Producer == "" {
		return 0, fmt.Errorf("%w: transaction %v has no producer", broker.ErrTxnState, txn)
	}
	p, err := l.partition(topic, partition)
	if err != nil {
		return 0, err
	}
	if len(recs) == 0 {
		o, err := p.offsets()
		return o.End, err
	}
	l.registerTxn(txn, p)
	base, _, err := p.append(recs, &txn)
	return base, err
}

// AppendProducer implements broker.ProducerLog. A plain batch is durable
// under the sync policy before it returns, as with Append, and so is the
// original of a duplicate; a transactional one is made durable by
// PrepareTxn, as with AppendTxn.
func (l *Log) AppendProducer(ctx context.Context, txn *broker.Txn, topic string, partition int32, pb broker.ProducerBatch, recs []broker.Record) (int64, bool, error) {
	if err := l.enterCtx(ctx); err != nil {
		return 0, false, err
	}
	defer l.leave()
	if txn != nil && txn.Producer == "" {
		return 0, false, fmt.Errorf("%w: transaction %v has no producer", broker.ErrTxnState, *txn)
	}
	if pb.Epoch < 0 || pb.BaseSeq < 0 {
		return 0, false, fmt.Errorf("%w: producer %d: epoch %d, base sequence %d", broker.ErrOutOfOrderSequence, pb.ID, pb.Epoch, pb.BaseSeq)
	}
	if !l.pids.issued(pb.ID) {
		return 0, false, fmt.Errorf("%w: %d was never handed out by this log", broker.ErrUnknownProducer, pb.ID)
	}
	p, err := l.partition(topic, partition)
	if err != nil {
		return 0, false, err
	}
	if len(recs) == 0 {
		o, err := p.offsets()
		return o.End, false, err
	}
	if txn != nil {
		l.registerTxn(*txn, p)
	}
	base, gen, dup, err := p.appendProducer(recs, txn, &pb)
	if err != nil {
		return 0, false, err
	}
	if txn == nil && l.opts.SyncPolicy == SyncAlways {
		if err := p.syncTo(gen); err != nil {
			return 0, false, err
		}
	}
	return base, dup, nil
}

// PrepareTxn implements broker.Log: it fsyncs every partition txn touched.
// Preparing an unknown transaction is a no-op.
func (l *Log) PrepareTxn(ctx context.Context, txn broker.Txn) error {
	if err := l.enterCtx(ctx); err != nil {
		return err
	}
	defer l.leave()
	l.txnMu.Lock()
	st := l.txns[txn]
	var parts []*partition
	if st != nil {
		parts = l.txnPartitions(st)
	}
	l.txnMu.Unlock()
	for _, p := range parts {
		if err := p.syncAll(); err != nil {
			return fmt.Errorf("prepare %v: %w", txn, err)
		}
	}
	return nil
}

// EndTxn implements broker.Log. Commit markers are written without an
// fsync; they become durable with the partition's next fsync (the next
// Append under SyncAlways, the next interval under SyncInterval, Sync, or
// Close). If the process crashes first, the transaction is in doubt again
// at Open and its owner resolves it again. Abort markers are fsynced
// before EndTxn returns.
//
// If writing a marker fails, the partitions still lacking one stay
// registered, so EndTxn can be retried with the same decision. Ending a
// transaction with the opposite of the decision it was just ended with
// returns broker.ErrTxnState.
func (l *Log) EndTxn(ctx context.Context, txn broker.Txn, commit bool) error {
	return l.endTxn(ctx, txn, commit, nil)
}

// EndProducerTxn implements broker.ProducerLog: EndTxn with markers that
// carry the Kafka producer (id, epoch), so that every partition's state
// of that producer moves to the epoch.
func (l *Log) EndProducerTxn(ctx context.Context, txn broker.Txn, commit bool, producer broker.ProducerBatch) error {
	if producer.ID < 0 || producer.Epoch < 0 {
		return fmt.Errorf("%w: transaction %v: producer id %d epoch %d", broker.ErrTxnState, txn, producer.ID, producer.Epoch)
	}
	return l.endTxn(ctx, txn, commit, &producer)
}

func (l *Log) endTxn(ctx context.Context, txn broker.Txn, commit bool, pb *broker.ProducerBatch) error {
	if err := l.enterCtx(ctx); err != nil {
		return err
	}
	defer l.leave()
	l.txnMu.Lock()
	st := l.txns[txn]
	if st == nil {
		// Nothing unresolved: a repeated decision is a no-op, a
		// contradicting one an error. (Unresolved batches found after a
		// marker of the same (producer, seq) belong to a new transaction
		// that reused the number, which older versions could do after a
		// crash; the old decision does not bind them.)
		e, ok := l.ended[txn.Producer]
		l.txnMu.Unlock()
		if ok && e.seq == txn.Seq && e.commit != commit {
			return fmt.Errorf("%w: transaction %v was already ended with commit=%v", broker.ErrTxnState, txn, e.commit)
		}
		return nil
	}
	delete(l.txns, txn)
	l.ended[txn.Producer] = endedTxn{seq: txn.Seq, commit: commit}
	parts := l.txnPartitions(st)
	l.txnMu.Unlock()

	nowMs := l.opts.Now().UnixMilli()
	var firstErr error
	var failed []*partition
	for _, p := range parts {
		// Under SyncAlways nothing becomes readable before it is durable:
		// a transaction ended without PrepareTxn is fsynced here (a
		// prepared one already is, and this costs nothing).
		if l.opts.SyncPolicy == SyncAlways && !p.txnDurable(txn) {
			if err := p.syncAll(); err != nil && firstErr == nil {
				firstErr = fmt.Errorf("end %v: %w", txn, err)
			}
		}
		if err := p.endTxn(txn, commit, nowMs, pb); err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("end %v: %w", txn, err)
			}
			failed = append(failed, p)
			continue
		}
		// An abort is durable before EndTxn returns: a lost abort marker
		// would put the transaction back in doubt, and its owner may have
		// committed later transactions by then. (A lost commit marker is
		// harmless: the owner's durable decision commits it again.)
		if !commit {
			if err := p.syncAll(); err != nil {
				if firstErr == nil {
					firstErr = fmt.Errorf("end %v: sync abort marker: %w", txn, err)
				}
				failed = append(failed, p)
			}
		}
	}
	if len(failed) > 0 {
		l.txnMu.Lock()
		cur := l.txns[txn]
		if cur == nil {
			cur = &txnState{parts: map[*partition]struct{}{}, inDoubt: st.inDoubt}
			l.txns[txn] = cur
		}
		for _, p := range failed {
			cur.parts[p] = struct{}{}
		}
		l.txnMu.Unlock()
	}
	return firstErr
}

// InDoubt implements broker.Log: transactions found unresolved at Open and
// not resolved since, sorted by producer and seq.
func (l *Log) InDoubt(context.Context) ([]broker.Txn, error) {
	if err := l.enter(); err != nil {
		return nil, err
	}
	defer l.leave()
	l.txnMu.Lock()
	defer l.txnMu.Unlock()
	var out []broker.Txn
	for txn, st := range l.txns {
		if st.inDoubt {
			out = append(out, txn)
		}
	}
	slices.SortFunc(out, func(a, b broker.Txn) int {
		return cmp.Or(cmp.Compare(a.Producer, b.Producer), cmp.Compare(a.Seq, b.Seq))
	})
	return out, nil
}

// recoverTxns registers the pending transactions of the opened partitions
// as in doubt, and each producer's last decision.
func (l *Log) recoverTxns(t *topic) {
	l.txnMu.Lock()
	defer l.txnMu.Unlock()
	for _, p := range t.parts {
		p.mu.Lock()
		for txn := range p.pending {
			st := l.txns[txn]
			if st == nil {
				st = &txnState{parts: map[*partition]struct{}{}, inDoubt: true}
				l.txns[txn] = st
			}
			st.parts[p] = struct{}{}
		}
		for producer, e := range p.lastEnded {
			if cur, ok := l.ended[producer]; !ok || e.seq > cur.seq {
				l.ended[producer] = e
			}
		}
		p.lastEnded = nil
		p.mu.Unlock()
	}
}

// forgetTopicTxns drops a deleted topic's partitions from unresolved
// transactions (and transactions left with no partition).
func (l *Log) forgetTopicTxns(t *topic) {
	l.txnMu.Lock()
	defer l.txnMu.Unlock()
	for txn, st := range l.txns {
		for _, p := range t.parts {
			delete(st.parts, p)
		}
		if len(st.parts) == 0 {
			delete(l.txns, txn)
		}
	}
}
