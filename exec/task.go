package exec

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/planner"
	"github.com/ksqlgo/ksql/sql/types"
	"github.com/ksqlgo/ksql/state"
)

// Runtime is what running queries share: the log, the state store and
// engine-wide settings.
type Runtime struct {
	Log   broker.Log
	State state.Store
	// ProcessingLogTopic receives records that could not be processed
	// ("" disables the processing log).
	ProcessingLogTopic string
	// Durable makes every commit that exposes output fsync (the default
	// for servers). Tests that do not crash may turn it off for speed.
	Durable bool
	// CommitInterval bounds how long a task holds results before making
	// them visible (0: 100ms).
	CommitInterval time.Duration
	// MaxBatch is the number of records a task reads per poll (0: 500).
	MaxBatch int
	// Now is the wall clock (for processing-log timestamps).
	Now func() time.Time
	// Logf reports operational events (task failures and restarts).
	Logf func(format string, args ...any)

	Metrics Metrics
}

// Metrics are engine-wide counters.
type Metrics struct {
	recordsIn       atomic.Int64
	recordsOut      atomic.Int64
	processingError atomic.Int64
	lateRecords     atomic.Int64
	commits         atomic.Int64
}

// Snapshot returns the counters.
func (m *Metrics) Snapshot() map[string]int64 {
	return map[string]int64{
		"records-in":        m.recordsIn.Load(),
		"records-out":       m.recordsOut.Load(),
		"processing-errors": m.processingError.Load(),
		"late-records":      m.lateRecords.Load(),
		"commits":           m.commits.Load(),
	}
}

func (rt *Runtime) now() time.Time {
	if rt.Now != nil {
		return rt.Now()
	}
	return time.Now()
}

func (rt *Runtime) logf(format string, args ...any) {
	if rt.Logf != nil {
		rt.Logf(format, args...)
	}
}

// State key layout. Every task's state lives under
//
//	s/<query id>/<stage>/<partition>/<store>/<key>
//
// and its commit record under m/<query id>/<stage>/<partition>, so that
// dropping a query is two range deletes.
func statePrefix(queryID string, stage int, partition int32) string {
	return fmt.Sprintf("s/%s/%d/%d/", queryID, stage, partition)
}

func producerID(queryID string, stage int, partition int32) string {
	return fmt.Sprintf("%s/%d/%d", queryID, stage, partition)
}

func metaKey(producer string) []byte { return []byte("m/" + producer) }

// taskMeta is what a task commits besides its operators' state.
type taskMeta struct {
	position   int64 // next input offset
	seq        int64 // last committed transaction sequence
	streamTime int64
}

func (m taskMeta) encode() []byte {
	b := binary.AppendVarint(nil, m.position)
	b = binary.AppendVarint(b, m.seq)
	return binary.AppendVarint(b, m.streamTime)
}

func decodeMeta(b []byte) (taskMeta, error) {
	var m taskMeta
	var n int
	if m.position, n = binary.Varint(b); n <= 0 {
		return m, errCorrupt
	}
	b = b[n:]
	if m.seq, n = binary.Varint(b); n <= 0 {
		return m, errCorrupt
	}
	b = b[n:]
	if m.streamTime, n = binary.Varint(b); n <= 0 {
		return m, errCorrupt
	}
	return m, nil
}

// Task runs one stage of a query over one input partition. It is driven
// by one goroutine at a time.
type Task struct {
	rt        *Runtime
	queryID   string
	stage     int
	partition int32
	producer  string
	prefix    string
	input     planner.Input
	dec       *inputDecoder
	head      operator
	flushers  []interface {
		flush(*Task) error
		reset()
	}

	meta       taskMeta // last committed
	pos        int64
	streamTime int64

	pending    map[broker.TopicPartition][]broker.Record
	order      []broker.TopicPartition
	npending   int
	batch      state.Batch
	dirty      bool // uncommitted progress exists
	lastCommit time.Time
	// committed mirrors meta.position for readers on other goroutines.
	committed atomic.Int64
}

func (t *Task) String() string { return t.producer }

// stateGet reads a key of one of the task's stores.
func (t *Task) stateGet(store string, key []byte) ([]byte, bool, error) {
	return t.rt.State.Get(t.stateKey(store, key))
}

func (t *Task) stateKey(store string, key []byte) []byte {
	k := make([]byte, 0, len(t.prefix)+len(store)+1+len(key))
	k = append(k, t.prefix...)
	k = append(k, store...)
	k = append(k, '/')
	return append(k, key...)
}

func (t *Task) ensureBatch() state.Batch {
	if t.batch == nil {
		t.batch = t.rt.State.NewBatch()
	}
	return t.batch
}

func (t *Task) stateSet(store string, key, value []byte) {
	t.ensureBatch().Set(t.stateKey(store, key), value)
}

func (t *Task) stateDelete(store string, key []byte) {
	t.ensureBatch().Delete(t.stateKey(store, key))
}

func (t *Task) stateDeleteRange(store string, start, end []byte) {
	t.ensureBatch().DeleteRange(t.stateKey(store, start), t.stateKey(store, end))
}

// pendingCount is the number of buffered output records.
func (t *Task) pendingCount() int { return t.npending }

// emit buffers an output record until the next commit.
func (t *Task) emit(sink, topic string, partition int32, rec broker.Record) {
	tp := broker.TopicPartition{Topic: topic, Partition: partition}
	if _, ok := t.pending[tp]; !ok {
		t.order = append(t.order, tp)
	}
	t.pending[tp] = append(t.pending[tp], rec)
	t.npending++
	t.dirty = true
	t.rt.Metrics.recordsOut.Add(1)
}

// poll reads and processes one batch. It reports whether it made progress.
func (t *Task) poll(ctx context.Context) (bool, error) {
	max := t.rt.MaxBatch
	if max <= 0 {
		max = 500
	}
	recs, next, err := t.rt.Log.Read(ctx, t.input.Name, t.partition, t.pos, broker.ReadOptions{MaxRecords: max})
	if err != nil {
		if errors.Is(err, broker.ErrOffsetOutOfRange) {
			// Retention removed what we had not read: continue from the start.
			off, oerr := t.rt.Log.Offsets(t.input.Name, t.partition)
			if oerr != nil {
				return false, oerr
			}
			if t.pos < off.Start {
				t.rt.logf("task %s: offsets %d..%d were deleted by retention before they were processed", t, t.pos, off.Start-1)
				t.pos, t.dirty = off.Start, true
				return true, nil
			}
		}
		return false, err
	}
	if len(recs) == 0 && next == t.pos {
		return false, nil
	}
	var ev event
	for i := range recs {
		rec := &recs[i]
		t.rt.Metrics.recordsIn.Add(1)
		ok, err := t.dec.decode(rec, &ev)
		if err != nil {
			t.inputError(rec, err)
			continue
		}
		if !ok {
			continue
		}
		if ev.ts > t.streamTime {
			t.streamTime = ev.ts
		}
		if err := t.head.process(t, &ev); err != nil {
			return true, err
		}
	}
	t.pos = next
	t.dirty = true
	return true, nil
}

// commit makes the task's progress durable and its output visible, as one
// transaction: output records are appended under a transaction and
// prepared (fsynced); then the state changes, the input position and the
// transaction's sequence number are committed in one state batch; then the
// transaction is committed in the log. After a crash, a prepared
// transaction is committed if the state batch recorded its sequence, and
// aborted otherwise (ResolveInDoubt).
func (t *Task) commit(ctx context.Context) error {
	if !t.dirty {
		return nil
	}
	txn := broker.Txn{Producer: t.producer, Seq: t.meta.seq + 1}
	appended := false
	for _, tp := range t.order {
		recs := t.pending[tp]
		if len(recs) == 0 {
			continue
		}
		if _, err := t.rt.Log.AppendTxn(ctx, txn, tp.Topic, tp.Partition, recs); err != nil {
			return t.abort(ctx, txn, fmt.Errorf("append to %s: %w", tp, err))
		}
		appended = true
	}
	if appended {
		if err := t.rt.Log.PrepareTxn(ctx, txn); err != nil {
			return t.abort(ctx, txn, fmt.Errorf("prepare: %w", err))
		}
	}
	for _, f := range t.flushers {
		if err := f.flush(t); err != nil {
			return t.abort(ctx, txn, err)
		}
	}
	meta := taskMeta{position: t.pos, seq: txn.Seq, streamTime: t.streamTime}
	b := t.ensureBatch()
	b.Set(metaKey(t.producer), meta.encode())
	if err := b.Commit(t.rt.Durable && appended); err != nil {
		t.batch = nil
		return t.abort(ctx, txn, fmt.Errorf("state commit: %w", err))
	}
	t.batch = nil
	t.meta = meta
	t.committed.Store(meta.position)
	if appended {
		if err := t.rt.Log.EndTxn(ctx, txn, true); err != nil {
			// The state commit recorded the sequence: the transaction is
			// decided and will be committed at the next start.
			return fmt.Errorf("commit of %s: %w", txn, err)
		}
	}
	for _, tp := range t.order {
		t.pending[tp] = t.pending[tp][:0]
	}
	t.order = t.order[:0]
	clear(t.pending)
	t.npending = 0
	t.dirty = false
	t.lastCommit = t.rt.now()
	t.rt.Metrics.commits.Add(1)
	return nil
}

// abort rolls back an uncommitted transaction and resets the task to its
// last committed state, so that processing resumes from there.
func (t *Task) abort(ctx context.Context, txn broker.Txn, cause error) error {
	if err := t.rt.Log.EndTxn(ctx, txn, false); err != nil {
		cause = fmt.Errorf("%w (and aborting %s failed: %v)", cause, txn, err)
	}
	if t.batch != nil {
		t.batch.Close()
		t.batch = nil
	}
	t.meta.seq = txn.Seq // never reuse a sequence number
	t.resetToCommitted()
	return cause
}

// resetToCommitted discards uncommitted work.
func (t *Task) resetToCommitted() {
	clear(t.pending)
	t.npending = 0
	t.order = t.order[:0]
	for _, f := range t.flushers {
		f.reset()
	}
	t.pos = t.meta.position
	t.streamTime = t.meta.streamTime
	t.dirty = false
}

// inputError logs a record that could not be decoded or had no valid time.
func (t *Task) inputError(rec *broker.Record, err error) {
	var de *decodeError
	if errors.As(err, &de) {
		t.processingLog(deserializationEntry(t, rec, de))
		return
	}
	t.processingLog(recordErrorEntry(t, "TIMESTAMP", err, nil))
}

// recordError logs a row whose processing failed in part (the row goes on
// with NULL for the failed expression, or is dropped by a filter).
func (t *Task) recordError(where string, err error, row types.Row) {
	t.processingLog(recordErrorEntry(t, where, err, row))
}

func (t *Task) serializationError(target, topic string, err error, row types.Row) {
	t.processingLog(serializationEntry(t, target, topic, err, row))
}

func (t *Task) processingLog(rec broker.Record) {
	t.rt.Metrics.processingError.Add(1)
	if t.rt.ProcessingLogTopic == "" {
		return
	}
	t.emit("", t.rt.ProcessingLogTopic, 0, rec)
}
