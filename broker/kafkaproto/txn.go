package kafkaproto

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/ksqlgo/ksql/broker"
)

// Transactions. This broker is the transaction coordinator of every
// transactional id (FindCoordinator type 1 answers with itself). A Kafka
// transaction is one transaction of the log:
//
//	broker.Txn{Producer: broker.ClientTxnPrefix + transactional id, Seq: s}
//
// where s increases with every transaction of the id and is never reused
// (it is durable in the coordinator record before the transaction's first
// batch). Transactional batches are appended under it with
// broker.ProducerLog.AppendProducer (sequence-checked like idempotent
// ones); EndTxn prepares it (fsync), records the decision, and ends it
// with broker.ProducerLog.EndProducerTxn, whose markers carry the producer
// id and epoch, as Kafka's do. Offsets of TxnOffsetCommit are held by the
// coordinator and written with broker.Log.CommitOffsets once the
// transaction commits; an abort drops them. The engine's own transactions
// never carry the prefix, so exec.ResolveInDoubt leaves these alone and
// this coordinator leaves the engine's alone.
//
// State per transactional id (txnMeta) is a coordinator record
// (broker.CoordinatorStore, key "txn/<id>", JSON), written when an id is
// first initialised, when its epoch changes, when a transaction begins
// (its seq), at the decision (PrepareCommit or PrepareAbort, with the
// offsets to commit) and when the transaction is complete. Serve first
// recovers: transactions that reached PrepareCommit or PrepareAbort are
// completed; Ongoing ones, and transactions of the log the records do not
// explain, are aborted (and logged), with the epoch bumped so that the
// producer that was writing them is fenced.
//
// InitProducerId for an id with an open transaction aborts it (epoch
// bumped first, so that its producer is fenced everywhere: the abort
// markers carry the new epoch) and answers the new epoch at once. A
// transaction open longer than its timeout is aborted the same way, by a
// loop that also forgets ids idle for transactionalIDExpiration.
//
// Fencing errors are PRODUCER_FENCED from the versions of KIP-588
// (InitProducerId v4, AddPartitionsToTxn, AddOffsetsToTxn and EndTxn v2,
// TxnOffsetCommit v3) and INVALID_PRODUCER_EPOCH before; a fenced produce
// is INVALID_PRODUCER_EPOCH.

// Transaction states, as Kafka names them.
const (
	txnEmpty          = "Empty"
	txnOngoing        = "Ongoing"
	txnPrepareCommit  = "PrepareCommit"
	txnPrepareAbort   = "PrepareAbort"
	txnCompleteCommit = "CompleteCommit"
	txnCompleteAbort  = "CompleteAbort"
)

const (
	txnRecordPrefix = "txn/"
	// transactionalIDExpiration is Kafka's transactional.id.expiration.ms.
	transactionalIDExpiration = 7 * 24 * time.Hour
	// maxTxnTimeout is Kafka's transaction.max.timeout.ms.
	maxTxnTimeout    = 15 * time.Minute
	txnCheckInterval = time.Second
)

// txnMeta is one transactional id's state; its JSON form is the durable
// record. mu serializes the id's requests (and its produce appends, so
// that no batch lands in a transaction that ended meanwhile).
type txnMeta struct {
	mu sync.Mutex

	ID         string                  `json:"id"`
	ProducerID int64                   `json:"producerId"`
	Epoch      int16                   `json:"epoch"`
	State      string                  `json:"state"`
	Seq        int64                   `json:"seq"`
	TimeoutMs  int32                   `json:"timeoutMs"`
	StartedMs  int64                   `json:"startedMs,omitempty"`
	UpdatedMs  int64                   `json:"updatedMs"`
	Partitions []broker.TopicPartition `json:"partitions,omitempty"`
	Offsets    []txnOffset             `json:"offsets,omitempty"`
}

// txnOffset is a group position held until the transaction commits.
type txnOffset struct {
	Group     string `json:"group"`
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	Offset    int64  `json:"offset"`
}

func (m *txnMeta) logTxn() broker.Txn {
	return broker.Txn{Producer: broker.ClientTxnPrefix + m.ID, Seq: m.Seq}
}

func (m *txnMeta) open() bool { return m.State == txnOngoing }

// txnCoordinator is Kafka's transaction coordinator.
type txnCoordinator struct {
	s     *Server
	store broker.CoordinatorStore // nil: transactions are not served
	now   func() time.Time

	mu  sync.Mutex
	ids map[string]*txnMeta
}

func newTxnCoordinator(s *Server) *txnCoordinator {
	c := &txnCoordinator{s: s, now: time.Now, ids: map[string]*txnMeta{}}
	if s.plog != nil {
		c.store, _ = s.log.(broker.CoordinatorStore)
	}
	return c
}

func (c *txnCoordinator) get(id string) *txnMeta {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ids[id]
}

// persist writes m's record (m.mu held).
func (c *txnCoordinator) persist(ctx context.Context, m *txnMeta) error {
	m.UpdatedMs = c.now().UnixMilli()
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return c.store.PutCoordinatorRecord(ctx, txnRecordPrefix+m.ID, b)
}

func fenced(version, since int16) int16 {
	if version >= since {
		return kerr.ProducerFenced.Code
	}
	return kerr.InvalidProducerEpoch.Code
}

// check validates a request's producer id and epoch against m (m.mu
// held); fencedSince is the request version from which fencing is
// PRODUCER_FENCED.
func check(m *txnMeta, pid int64, epoch int16, version, fencedSince int16) int16 {
	switch {
	case m == nil || pid != m.ProducerID:
		return kerr.InvalidProducerIDMapping.Code
	case epoch != m.Epoch:
		return fenced(version, fencedSince)
	case m.State == txnPrepareCommit || m.State == txnPrepareAbort:
		// A decision whose completion failed: EndTxn retries it.
		return kerr.ConcurrentTransactions.Code
	}
	return 0
}

// begin starts a transaction if none is open (m.mu held).
func (c *txnCoordinator) begin(ctx context.Context, m *txnMeta) error {
	if m.open() {
		return nil
	}
	state, seq := m.State, m.Seq
	m.State, m.Seq, m.StartedMs, m.Partitions, m.Offsets = txnOngoing, m.Seq+1, c.now().UnixMilli(), nil, nil
	if err := c.persist(ctx, m); err != nil {
		m.State, m.Seq, m.StartedMs = state, seq, 0
		return err
	}
	return nil
}

// finish ends m's transaction (m.mu held): an open one is decided
// (commit: prepared first) and the decision recorded; then the markers,
// then the held offsets (commit only), then the completion is recorded.
// A failure leaves the decision recorded, to be finished by a retry (or
// by recovery).
func (c *txnCoordinator) finish(ctx context.Context, m *txnMeta, commit bool) error {
	txn := m.logTxn()
	if m.open() {
		if commit {
			if err := c.s.plog.PrepareTxn(ctx, txn); err != nil {
				return err
			}
		}
		m.State = txnPrepareAbort
		if commit {
			m.State = txnPrepareCommit
		}
		if err := c.persist(ctx, m); err != nil {
			m.State = txnOngoing
			return err
		}
	}
	commit = m.State == txnPrepareCommit
	if err := c.s.plog.EndProducerTxn(ctx, txn, commit, broker.ProducerBatch{ID: m.ProducerID, Epoch: m.Epoch}); err != nil {
		return err
	}
	if commit {
		groups := map[string]map[broker.TopicPartition]int64{}
		for _, o := range m.Offsets {
			if groups[o.Group] == nil {
				groups[o.Group] = map[broker.TopicPartition]int64{}
			}
			groups[o.Group][broker.TopicPartition{Topic: o.Topic, Partition: o.Partition}] = o.Offset
		}
		for _, g := range slices.Sorted(mapsKeys(groups)) {
			if err := c.s.log.CommitOffsets(ctx, g, groups[g]); err != nil {
				return err
			}
		}
	}
	m.State = txnCompleteAbort
	if commit {
		m.State = txnCompleteCommit
	}
	m.Partitions, m.Offsets, m.StartedMs = nil, nil, 0
	return c.persist(ctx, m)
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// bumpEpoch gives m a new epoch, or a new producer id when the epoch is
// exhausted (m.mu held; not persisted).
func (c *txnCoordinator) bumpEpoch(ctx context.Context, m *txnMeta) error {
	if m.Epoch < math.MaxInt16-1 {
		m.Epoch++
		return nil
	}
	id, err := c.s.plog.NewProducerID(ctx)
	if err != nil {
		return err
	}
	m.ProducerID, m.Epoch = id, 0
	return nil
}

// abortFenced aborts m's open (or decided) transaction on behalf of a new
// incarnation or a timeout, fencing its producer (m.mu held).
func (c *txnCoordinator) abortFenced(ctx context.Context, m *txnMeta, why string) error {
	if m.State == txnPrepareCommit || m.State == txnPrepareAbort {
		// Decided already: finish the decision.
		return c.finish(ctx, m, m.State == txnPrepareCommit)
	}
	if !m.open() {
		return nil
	}
	if err := c.bumpEpoch(ctx, m); err != nil {
		return err
	}
	c.s.logf("kafkaproto: aborting transaction %s (transactional id %q): %s", m.logTxn(), m.ID, why)
	return c.finish(ctx, m, false)
}

// initProducer answers InitProducerId with a transactional id.
func (c *txnCoordinator) initProducer(ctx context.Context, req *kmsg.InitProducerIDRequest, resp *kmsg.InitProducerIDResponse) int16 {
	if c.store == nil {
		return kerr.TransactionalIDAuthorizationFailed.Code
	}
	id := *req.TransactionalID
	if id == "" {
		return kerr.InvalidRequest.Code
	}
	if req.TransactionTimeoutMillis <= 0 || time.Duration(req.TransactionTimeoutMillis)*time.Millisecond > maxTxnTimeout {
		return kerr.InvalidTransactionTimeout.Code
	}
	c.mu.Lock()
	m := c.ids[id]
	if m == nil {
		m = &txnMeta{ID: id, ProducerID: -1, State: txnEmpty}
		c.ids[id] = m
	}
	c.mu.Unlock()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.ProducerID < 0 {
		pid, err := c.s.plog.NewProducerID(ctx)
		if err != nil {
			return errorCode(err)
		}
		m.ProducerID, m.Epoch, m.TimeoutMs = pid, 0, req.TransactionTimeoutMillis
		if err := c.persist(ctx, m); err != nil {
			m.ProducerID = -1
			return errorCode(err)
		}
		resp.ProducerID, resp.ProducerEpoch = m.ProducerID, m.Epoch
		return 0
	}
	if req.ProducerID >= 0 && (req.ProducerID != m.ProducerID || req.ProducerEpoch != m.Epoch) {
		// KIP-360: a producer that knows its id and epoch re-initialises;
		// anything but the current ones belongs to an older incarnation.
		return fenced(req.Version, 4)
	}
	if err := c.abortFenced(ctx, m, "a new InitProducerId for its transactional id"); err != nil {
		return errorCode(err)
	}
	if err := c.bumpEpoch(ctx, m); err != nil {
		return errorCode(err)
	}
	m.State, m.TimeoutMs = txnEmpty, req.TransactionTimeoutMillis
	if err := c.persist(ctx, m); err != nil {
		return errorCode(err)
	}
	resp.ProducerID, resp.ProducerEpoch = m.ProducerID, m.Epoch
	return 0
}

// produceTxn checks a transactional batch against its id's state and
// returns the log transaction to append it under, holding the id's lock
// until done is called (after the append).
func (c *txnCoordinator) produceTxn(txnID string, info batchInfo, topic string, partition int32) (txn *broker.Txn, done func(), code int16, msg string) {
	if c.store == nil {
		return nil, nil, kerr.TransactionalIDAuthorizationFailed.Code, "this broker keeps no coordinator state: transactions are not served"
	}
	m := c.get(txnID)
	if m == nil {
		return nil, nil, kerr.InvalidProducerIDMapping.Code, fmt.Sprintf("transactional id %q is not initialised (InitProducerId)", txnID)
	}
	m.mu.Lock()
	switch {
	case info.producerID != m.ProducerID:
		code, msg = kerr.InvalidProducerIDMapping.Code, fmt.Sprintf("producer id %d is not transactional id %q's (%d)", info.producerID, txnID, m.ProducerID)
	case info.producerEpoch != m.Epoch:
		code, msg = kerr.InvalidProducerEpoch.Code, fmt.Sprintf("producer epoch %d of transactional id %q is not the current one (%d)", info.producerEpoch, txnID, m.Epoch)
	case !m.open() || !slices.Contains(m.Partitions, broker.TopicPartition{Topic: topic, Partition: partition}):
		code, msg = kerr.InvalidTxnState.Code, fmt.Sprintf("partition %s-%d is not part of an open transaction of %q (AddPartitionsToTxn)", topic, partition, txnID)
	}
	if code != 0 {
		m.mu.Unlock()
		return nil, nil, code, msg
	}
	t := m.logTxn()
	return &t, m.mu.Unlock, 0, ""
}

func serveAddPartitionsToTxn(ctx context.Context, s *Server, r kmsg.Request) (kmsg.Response, error) {
	req := r.(*kmsg.AddPartitionsToTxnRequest)
	resp := req.ResponseKind().(*kmsg.AddPartitionsToTxnResponse)
	c := s.txns
	code := int16(0)
	var m *txnMeta
	if c.store == nil {
		code = kerr.TransactionalIDAuthorizationFailed.Code
	} else if m = c.get(req.TransactionalID); m == nil {
		code = kerr.InvalidProducerIDMapping.Code
	}
	if m != nil {
		m.mu.Lock()
		defer m.mu.Unlock()
		code = check(m, req.ProducerID, req.ProducerEpoch, req.Version, 2)
	}
	// Unknown partitions fail the request; the others are then not
	// attempted, as Kafka answers.
	var add []broker.TopicPartition
	perPart := map[broker.TopicPartition]int16{}
	for _, rt := range req.Topics {
		for _, p := range rt.Partitions {
			tp := broker.TopicPartition{Topic: rt.Topic, Partition: p}
			if _, err := s.log.Offsets(ctx, rt.Topic, p); err != nil {
				perPart[tp] = errorCode(err)
				continue
			}
			add = append(add, tp)
		}
	}
	if code == 0 && len(perPart) > 0 {
		code = kerr.OperationNotAttempted.Code
	}
	if code == 0 {
		if err := c.begin(ctx, m); err != nil {
			code = errorCode(err)
		} else {
			for _, tp := range add {
				if !slices.Contains(m.Partitions, tp) {
					m.Partitions = append(m.Partitions, tp)
				}
			}
		}
	}
	for _, rt := range req.Topics {
		t := kmsg.NewAddPartitionsToTxnResponseTopic()
		t.Topic = rt.Topic
		for _, p := range rt.Partitions {
			rp := kmsg.NewAddPartitionsToTxnResponseTopicPartition()
			rp.Partition = p
			rp.ErrorCode = code
			if pc, ok := perPart[broker.TopicPartition{Topic: rt.Topic, Partition: p}]; ok {
				rp.ErrorCode = pc
			}
			t.Partitions = append(t.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, t)
	}
	return resp, nil
}

func serveAddOffsetsToTxn(ctx context.Context, s *Server, r kmsg.Request) (kmsg.Response, error) {
	req := r.(*kmsg.AddOffsetsToTxnRequest)
	resp := req.ResponseKind().(*kmsg.AddOffsetsToTxnResponse)
	c := s.txns
	if c.store == nil {
		resp.ErrorCode = kerr.TransactionalIDAuthorizationFailed.Code
		return resp, nil
	}
	if req.Group == "" {
		resp.ErrorCode = kerr.InvalidGroupID.Code
		return resp, nil
	}
	m := c.get(req.TransactionalID)
	if m == nil {
		resp.ErrorCode = kerr.InvalidProducerIDMapping.Code
		return resp, nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if resp.ErrorCode = check(m, req.ProducerID, req.ProducerEpoch, req.Version, 2); resp.ErrorCode == 0 {
		if err := c.begin(ctx, m); err != nil {
			resp.ErrorCode = errorCode(err)
		}
	}
	return resp, nil
}

func serveTxnOffsetCommit(ctx context.Context, s *Server, r kmsg.Request) (kmsg.Response, error) {
	req := r.(*kmsg.TxnOffsetCommitRequest)
	resp := req.ResponseKind().(*kmsg.TxnOffsetCommitResponse)
	c := s.txns
	code := int16(0)
	var m *txnMeta
	switch {
	case c.store == nil:
		code = kerr.TransactionalIDAuthorizationFailed.Code
	case req.Group == "":
		code = kerr.InvalidGroupID.Code
	default:
		if m = c.get(req.TransactionalID); m == nil {
			code = kerr.InvalidProducerIDMapping.Code
		}
	}
	if m != nil {
		m.mu.Lock()
		defer m.mu.Unlock()
		if code = check(m, req.ProducerID, req.ProducerEpoch, req.Version, 3); code == 0 && !m.open() {
			code = kerr.InvalidTxnState.Code // AddOffsetsToTxn first
		}
	}
	for _, rt := range req.Topics {
		t := kmsg.NewTxnOffsetCommitResponseTopic()
		t.Topic = rt.Topic
		for _, rp := range rt.Partitions {
			p := kmsg.NewTxnOffsetCommitResponseTopicPartition()
			p.Partition, p.ErrorCode = rp.Partition, code
			if code == 0 {
				if _, err := s.log.Offsets(ctx, rt.Topic, rp.Partition); err != nil {
					p.ErrorCode = errorCode(err)
				} else {
					o := txnOffset{Group: req.Group, Topic: rt.Topic, Partition: rp.Partition, Offset: rp.Offset}
					i := slices.IndexFunc(m.Offsets, func(x txnOffset) bool {
						return x.Group == o.Group && x.Topic == o.Topic && x.Partition == o.Partition
					})
					if i >= 0 {
						m.Offsets[i] = o
					} else {
						m.Offsets = append(m.Offsets, o)
					}
				}
			}
			t.Partitions = append(t.Partitions, p)
		}
		resp.Topics = append(resp.Topics, t)
	}
	return resp, nil
}

func serveEndTxn(ctx context.Context, s *Server, r kmsg.Request) (kmsg.Response, error) {
	req := r.(*kmsg.EndTxnRequest)
	resp := req.ResponseKind().(*kmsg.EndTxnResponse)
	c := s.txns
	if c.store == nil {
		resp.ErrorCode = kerr.TransactionalIDAuthorizationFailed.Code
		return resp, nil
	}
	m := c.get(req.TransactionalID)
	if m == nil {
		resp.ErrorCode = kerr.InvalidProducerIDMapping.Code
		return resp, nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case req.ProducerID != m.ProducerID:
		resp.ErrorCode = kerr.InvalidProducerIDMapping.Code
	case req.ProducerEpoch != m.Epoch:
		resp.ErrorCode = fenced(req.Version, 2)
	case m.State == txnPrepareCommit || m.State == txnPrepareAbort:
		// A decision whose completion failed: finish it if this is its
		// retry.
		if (m.State == txnPrepareCommit) != req.Commit {
			resp.ErrorCode = kerr.InvalidTxnState.Code
		} else if err := c.finish(ctx, m, req.Commit); err != nil {
			resp.ErrorCode = errorCode(err)
		}
	case m.State == txnCompleteCommit || m.State == txnCompleteAbort:
		// A retry of the last EndTxn succeeds; the other decision does not.
		if (m.State == txnCompleteCommit) != req.Commit {
			resp.ErrorCode = kerr.InvalidTxnState.Code
		}
	case !m.open():
		resp.ErrorCode = kerr.InvalidTxnState.Code
	default:
		if err := c.finish(ctx, m, req.Commit); err != nil {
			resp.ErrorCode = errorCode(err)
		}
	}
	return resp, nil
}

// recover loads the coordinator records and settles what a stop left
// unfinished (see the top of this file). Serve calls it before accepting.
func (c *txnCoordinator) recover(ctx context.Context) error {
	if c.store == nil {
		return nil
	}
	recs, err := c.store.CoordinatorRecords(ctx)
	if err != nil {
		return fmt.Errorf("kafkaproto: reading transaction coordinator records: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for key, b := range recs {
		id, ok := strings.CutPrefix(key, txnRecordPrefix)
		if !ok {
			continue
		}
		m := &txnMeta{}
		if err := json.Unmarshal(b, m); err != nil || m.ID != id {
			return fmt.Errorf("kafkaproto: transaction coordinator record %q is unreadable (%v)", key, err)
		}
		c.ids[id] = m
	}
	inDoubt, err := c.s.log.InDoubt(ctx)
	if err != nil {
		return fmt.Errorf("kafkaproto: listing in-doubt transactions: %w", err)
	}
	for _, txn := range inDoubt {
		if !broker.IsClientTxn(txn) {
			continue // the engine's (exec.ResolveInDoubt)
		}
		m := c.ids[strings.TrimPrefix(txn.Producer, broker.ClientTxnPrefix)]
		if m != nil && m.Seq == txn.Seq {
			if m.State == txnCompleteCommit || m.State == txnCompleteAbort {
				// Complete, but its (unsynced) markers were lost: write
				// them again.
				if err := c.s.plog.EndProducerTxn(ctx, txn, m.State == txnCompleteCommit, broker.ProducerBatch{ID: m.ProducerID, Epoch: m.Epoch}); err != nil {
					return fmt.Errorf("kafkaproto: ending %s again: %w", txn, err)
				}
			}
			continue // otherwise settled below from the record
		}
		c.s.logf("kafkaproto: aborting transaction %s: its coordinator record does not name it as open or decided", txn)
		if err := c.s.log.EndTxn(ctx, txn, false); err != nil {
			return fmt.Errorf("kafkaproto: aborting %s: %w", txn, err)
		}
		if m != nil && txn.Seq > m.Seq {
			m.Seq = txn.Seq
		}
	}
	for _, id := range slices.Sorted(mapsKeys(c.ids)) {
		m := c.ids[id]
		switch m.State {
		case txnPrepareCommit, txnPrepareAbort:
			c.s.logf("kafkaproto: completing transaction %s (transactional id %q): %s when the broker stopped", m.logTxn(), id, m.State)
			err = c.finish(ctx, m, m.State == txnPrepareCommit)
		case txnOngoing:
			err = c.abortFenced(ctx, m, "it was open when the broker stopped")
		}
		if err != nil {
			return fmt.Errorf("kafkaproto: recovering transactional id %q: %w", id, err)
		}
	}
	// Commit markers are not fsynced when written; make recovery's
	// durable before serving, so that stable offsets are where they
	// belong.
	return c.s.log.Sync(ctx)
}

// expire aborts transactions open for longer than their timeout and
// forgets ids idle for transactionalIDExpiration.
func (c *txnCoordinator) expire(ctx context.Context) {
	now := c.now()
	c.mu.Lock()
	metas := make([]*txnMeta, 0, len(c.ids))
	for _, m := range c.ids {
		metas = append(metas, m)
	}
	c.mu.Unlock()
	for _, m := range metas {
		m.mu.Lock()
		switch {
		case m.open() && now.UnixMilli()-m.StartedMs > int64(m.TimeoutMs):
			if err := c.abortFenced(ctx, m, fmt.Sprintf("open for longer than its timeout (%d ms)", m.TimeoutMs)); err != nil {
				c.s.logf("kafkaproto: transaction timeout of %q: %v", m.ID, err)
			}
		case !m.open() && m.State != txnPrepareCommit && m.State != txnPrepareAbort &&
			now.Sub(time.UnixMilli(m.UpdatedMs)) > transactionalIDExpiration:
			if err := c.store.PutCoordinatorRecord(ctx, txnRecordPrefix+m.ID, nil); err == nil {
				c.mu.Lock()
				if c.ids[m.ID] == m {
					delete(c.ids, m.ID)
				}
				c.mu.Unlock()
			}
		}
		m.mu.Unlock()
	}
}

// run expires transactions until ctx is done.
func (c *txnCoordinator) run(ctx context.Context) {
	if c.store == nil {
		return
	}
	t := time.NewTicker(txnCheckInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			c.expire(ctx)
		}
	}
}
