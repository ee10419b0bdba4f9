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
	// RepartitionPurgeInterval is how often a task reading a repartition
	// topic deletes what it has durably committed past (0:
	// DefaultRepartitionPurgeInterval; purge.go).
	RepartitionPurgeInterval time.Duration
	// AppIDPrefix prefixes query ids into application ids: the consumer
	// group of a query's input positions and the prefix of its changelog
	// topics on a log that decides its transactions (changelog.go).
	// Empty: "_confluent-ksql-default_query_".
	AppIDPrefix string

	Metrics Metrics
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
	// changelogNext is the changelog offset the state reflects up to (on
	// a log that decides its transactions; changelog.go). Encoded only
	// when set or followed by side positions, so records of the embedded
	// log keep their form.
	changelogNext int64
	// sidePos are the next offsets of a join stage's side inputs
	// (Task.sides, in order), encoded after changelogNext.
	sidePos []int64
}

func (m taskMeta) encode() []byte {
	b := binary.AppendVarint(nil, m.position)
	b = binary.AppendVarint(b, m.seq)
	b = binary.AppendVarint(b, m.streamTime)
	if m.changelogNext != 0 || len(m.sidePos) > 0 {
		b = binary.AppendVarint(b, m.changelogNext)
	}
	for _, p := range m.sidePos {
		b = binary.AppendVarint(b, p)
	}
	return b
}

// spentKey holds a producer's highest spent sequence number when it is
// above its committed one: written before an abort becomes durable, and
// when a query's state is dropped (so a query that reuses the id does not
// reuse the numbers either). It is a few bytes per producer, never
// deleted.
func spentKey(producer string) []byte { return []byte("p/" + producer) }

// loadSpent returns the highest sequence number producer ever used,
// given its committed one.
func loadSpent(st state.Store, producer string, committed int64) (int64, error) {
	raw, ok, err := st.Get(spentKey(producer))
	if err != nil || !ok {
		return committed, err
	}
	v, n := binary.Varint(raw)
	if n <= 0 {
		return 0, fmt.Errorf("spent sequence of %s: %w", producer, errCorrupt)
	}
	return max(v, committed), nil
}

// recordSpent durably records that producer used sequence numbers up to
// seq (I1).
func recordSpent(rt *Runtime, producer string, seq int64) error {
	b := rt.State.NewBatch()
	b.Set(spentKey(producer), binary.AppendVarint(nil, seq))
	return b.Commit(rt.Durable)
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
	if b = b[n:]; len(b) > 0 {
		if m.changelogNext, n = binary.Varint(b); n <= 0 {
			return m, errCorrupt
		}
		b = b[n:]
	}
	for len(b) > 0 {
		p, n := binary.Varint(b)
		if n <= 0 {
			return m, errCorrupt
		}
		m.sidePos = append(m.sidePos, p)
		b = b[n:]
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
	// reader reads the input partition (its own read-ahead on Kafka).
	reader   broker.Reader
	dec      *inputDecoder
	head     operator
	flushers []interface {
		flush(*Task) error
		reset()
	}
	// rcache is the task's share of the record cache (recordcache.go);
	// nil: off.
	rcache *recordCache

	meta  taskMeta // last committed
	spent int64    // highest transaction seq ever used (I1)
	// txn is the task's unresolved transaction (I2): begun and not yet
	// ended in the log. decided says whether its outcome is durable in the
	// state store, decision what it is.
	txn        *broker.Txn
	decided    bool
	decision   bool
	pos        int64
	streamTime int64

	pending    map[broker.TopicPartition][]broker.Record
	outSlab    []byte // see encodeBuf
	order      []broker.TopicPartition
	npending   int
	batch      state.Batch
	dirty      bool // uncommitted progress exists
	lastCommit time.Time
	// committed mirrors meta.position for readers on other goroutines,
	// committedSides meta.sidePos (storeCommitted).
	committed      atomic.Int64
	committedSides atomic.Pointer[[]int64]
	// deliver receives the rows of a transient sink (push queries).
	deliver DeliverFunc

	// On a log that decides its transactions (changelog.go): the stage's
	// changelog topic, the state changes since the last commit, and
	// whether the state must be restored before the next poll.
	changelog     string
	changes       []broker.Record
	restoreNeeded bool

	// sides are the further inputs of a join stage (multiinput.go); the
	// fields above (input, reader, dec, head, pos) are its main input.
	sides []*taskInput
	srcs  []pollSrc // pollInputs' view of every input

	// purgeInput is set when the input is the query's own repartition
	// topic (purge.go); purgedTo and lastPurge track the purges.
	purgeInput bool
	purgedTo   int64
	lastPurge  time.Time

	// unpublished counts events since the last publish (metrics.go);
	// stats are the published counters.
	unpublished taskCounts
	stats       taskStats

	// keyScratch builds full state keys for stores that do not keep them.
	keyScratch []byte
}

func (t *Task) String() string { return t.producer }

// lastStateKey returns the largest key of one of the task's stores (below
// the store's prefix), ok false when the store is empty.
func (t *Task) lastStateKey(store string) ([]byte, bool, error) {
	lo := t.stateKey(store, nil)
	hi := append(lo[:len(lo)-1:len(lo)-1], '/'+1)
	it, err := t.rt.State.NewIter(lo, hi)
	if err != nil {
		return nil, false, err
	}
	defer it.Close()
	if !it.Last() {
		return nil, false, it.Close()
	}
	return append([]byte(nil), it.Key()[len(lo):]...), true, nil
}

// stateGet reads a key of one of the task's stores.
func (t *Task) stateGet(store string, key []byte) ([]byte, bool, error) {
	t.keyScratch = t.appendStateKey(t.keyScratch[:0], store, key)
	return t.rt.State.Get(t.keyScratch) // the store does not keep the key
}

// appendStateKey appends the full key of key in one of the task's stores.
func (t *Task) appendStateKey(b []byte, store string, key []byte) []byte {
	b = append(b, t.prefix...)
	b = append(b, store...)
	b = append(b, '/')
	return append(b, key...)
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

// stateSet, stateDelete and stateDeleteRange are every write of every
// store: each goes to the commit batch and, on a log that decides its
// transactions, to the changelog.
func (t *Task) stateSet(store string, key, value []byte) {
	// A batch copies what it is given, and so does recordChange.
	t.keyScratch = t.appendStateKey(t.keyScratch[:0], store, key)
	k := t.keyScratch
	t.ensureBatch().Set(k, value)
	if t.changelog != "" {
		if value == nil {
			value = []byte{}
		}
		t.recordChange(k[len(t.prefix):], value, false)
	}
}

func (t *Task) stateDelete(store string, key []byte) {
	k := t.stateKey(store, key)
	t.ensureBatch().Delete(k)
	t.recordChange(k[len(t.prefix):], nil, false)
}

func (t *Task) stateDeleteRange(store string, start, end []byte) {
	s, e := t.stateKey(store, start), t.stateKey(store, end)
	t.ensureBatch().DeleteRange(s, e)
	t.recordChange(s[len(t.prefix):], e[len(t.prefix):], true)
}

// pendingCount is the number of buffered output records.
func (t *Task) pendingCount() int { return t.npending }

// emit buffers an output record until the next commit.
func (t *Task) emit(sink, topic string, partition int32, rec broker.Record) {
	tp := broker.TopicPartition{Topic: topic, Partition: partition}
	recs := t.pending[tp]
	if len(recs) == 0 {
		t.order = append(t.order, tp)
	}
	t.pending[tp] = append(recs, rec)
	t.npending++
	t.dirty = true
	t.unpublished.emitted++
	if sink != "" {
		t.unpublished.out++
	}
}

// poll reads and processes one batch. It reports whether it made progress.
func (t *Task) poll(ctx context.Context) (bool, error) {
	defer t.publish()
	if t.restoreNeeded {
		ld, _ := t.rt.logDecided()
		t.resetToCommitted()
		if err := t.restoreFromChangelog(ctx, ld, t.meta.position); err != nil {
			return false, err
		}
	}
	max := t.rt.MaxBatch
	if max <= 0 {
		max = 500
	}
	if len(t.sides) > 0 {
		return t.pollInputs(ctx, max)
	}
	if t.reader == nil {
		t.reader = broker.NewReader(t.rt.Log, t.input.Name, t.partition)
	}
	recs, next, err := t.reader.Read(ctx, t.pos, broker.ReadOptions{MaxRecords: max})
	if err != nil {
		if errors.Is(err, broker.ErrUnknownTopic) {
			return false, inputDeleted(t.input.Name)
		}
		if errors.Is(err, broker.ErrOffsetOutOfRange) {
			// Retention removed what we had not read: continue from the start.
			off, oerr := t.rt.Log.Offsets(ctx, t.input.Name, t.partition)
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
		t.unpublished.in++
		ok, err := t.dec.decode(rec, &ev)
		if err != nil {
			t.inputError(t.input.Name, rec, err)
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

// The commit protocol. The invariants, each named by the tests that prove
// it (ARCHITECTURE.md lists them):
//
//	I1 a transaction sequence number is never reused: a task's next number
//	   is one past the highest it ever used, committed or aborted, and an
//	   abort records the number it spent in the state store before the
//	   abort becomes durable in the log.
//	I2 a task has at most one unresolved transaction; a decision (commit or
//	   abort) is durable before the task starts its next transaction.
//	I3 buffered output is cleared exactly when the state commit succeeded,
//	   and only then; a failure before it rewinds to the last commit.
//	I4 a commit that started finishes or aborts: stops, TERMINATE, DROP and
//	   cancelled contexts do not cut it short.
//	I5 recovery commits an in-doubt transaction if and only if the task's
//	   state commit recorded its sequence number (seq <= committed seq), and
//	   aborts it durably otherwise.

// commit makes the task's progress durable and its output visible, as one
// transaction: output records are appended under a transaction and
// prepared (fsynced); then the state changes, the input position and the
// transaction's sequence number are committed in one state batch (the
// decision); then the transaction is committed in the log. A transaction
// left unresolved by an earlier failure is resolved first.
func (t *Task) commit(ctx context.Context) error {
	// I4: the steps below run to their end once begun.
	ctx = context.WithoutCancel(ctx)
	if ld, ok := t.rt.logDecided(); ok {
		if !t.dirty {
			return nil
		}
		return t.commitLogDecided(ctx, ld)
	}
	if err := t.resolveTxn(ctx); err != nil {
		return err
	}
	if !t.dirty {
		return nil
	}
	txn := broker.Txn{Producer: t.producer, Seq: t.spent + 1}
	t.spent = txn.Seq
	t.txn = &txn
	t.decided = false
	start := time.Now()
	defer func() {
		if t.decided && t.decision {
			t.stats.commitLatency.observe(time.Since(start))
		}
		t.publish()
	}()
	// The record caches forward their dirty results into this commit.
	if err := t.forwardCached(); err != nil {
		return t.abort(ctx, err)
	}
	appended, err := t.appendPending(ctx, txn)
	if err != nil {
		return t.abort(ctx, err)
	}
	if appended {
		if err := t.rt.Log.PrepareTxn(ctx, txn); err != nil {
			return t.abort(ctx, fmt.Errorf("prepare: %w", err))
		}
	}
	for _, f := range t.flushers {
		if err := f.flush(t); err != nil {
			return t.abort(ctx, err)
		}
	}
	meta := taskMeta{position: t.pos, seq: txn.Seq, streamTime: t.streamTime, sidePos: t.sidePositions()}
	b := t.ensureBatch()
	b.Set(metaKey(t.producer), meta.encode())
	durable := t.rt.Durable && appended
	err = b.Commit(durable)
	t.batch = nil
	if err != nil {
		return t.abort(ctx, fmt.Errorf("state commit: %w", err))
	}
	if durable || !t.rt.Durable {
		// A position that a crash cannot take back: what is below it
		// will never be read again.
		t.maybePurge(ctx, meta)
	}
	// Decided (I3): the output belongs to the committed transaction now.
	t.meta = meta
	t.clearPending()
	t.dirty = false
	t.lastCommit = t.rt.now()
	t.rt.Metrics.commits.Add(1)
	t.stats.commits.Add(1)
	t.decided, t.decision = true, true
	if !appended {
		t.txn = nil
		t.storeCommitted()
		return nil
	}
	return t.resolveTxn(ctx) // publishes the position once visible
}

// needsCommit reports whether the task has progress to commit or a
// transaction still to resolve (a commit whose marker failed: its output
// stays invisible, and the lag counted, until it is resolved).
func (t *Task) needsCommit() bool { return t.dirty || t.txn != nil }

// appendPending appends the buffered output under txn, partition by
// partition in the order first written; it reports whether anything was
// appended.
func (t *Task) appendPending(ctx context.Context, txn broker.Txn) (bool, error) {
	appended := false
	for _, tp := range t.order {
		recs := t.pending[tp]
		if len(recs) == 0 {
			continue
		}
		if _, err := t.rt.Log.AppendTxn(ctx, txn, tp.Topic, tp.Partition, recs); err != nil {
			return appended, fmt.Errorf("append to %s: %w", tp, err)
		}
		appended = true
	}
	return appended, nil
}

// abort decides the open, undecided transaction as aborted and rewinds the
// task to its last commit. The spent sequence number is recorded in the
// state store first (I1), then the log writes a durable abort marker
// (I2). A step that fails leaves the transaction for resolveTxn to finish
// before the next one starts.
func (t *Task) abort(ctx context.Context, cause error) error {
	if t.batch != nil {
		t.batch.Close()
		t.batch = nil
	}
	t.resetToCommitted()
	if err := t.decideAbort(); err != nil {
		return fmt.Errorf("%w (and recording the abort of %s failed: %v)", cause, t.txn, err)
	}
	if err := t.resolveTxn(ctx); err != nil {
		return fmt.Errorf("%w (and %v)", cause, err)
	}
	return cause
}

// decideAbort records in the state store that the open transaction's
// sequence number is spent.
func (t *Task) decideAbort() error {
	if err := recordSpent(t.rt, t.producer, t.txn.Seq); err != nil {
		return err
	}
	t.decided, t.decision = true, false
	return nil
}

// resolveTxn finishes the task's unresolved transaction, if any: an
// undecided one is aborted, a decided one is ended in the log with its
// decision. It is what every commit does first, and what a stop does last.
func (t *Task) resolveTxn(ctx context.Context) error {
	if t.txn == nil {
		return nil
	}
	ctx = context.WithoutCancel(ctx)
	if !t.decided {
		if err := t.decideAbort(); err != nil {
			return fmt.Errorf("recording the abort of %s: %w", t.txn, err)
		}
	}
	if err := t.rt.Log.EndTxn(ctx, *t.txn, t.decision); err != nil {
		verb := "abort"
		if t.decision {
			verb = "commit"
		}
		return fmt.Errorf("%s of %s: %w", verb, t.txn, err)
	}
	t.txn = nil
	if t.decision {
		// Only now is the output visible to read_committed readers: lag
		// (Committed) counts the input as processed from here on, so
		// that no lag means the results can be read.
		t.storeCommitted()
	}
	return nil
}

func (t *Task) clearPending() {
	// The buffers are kept for the next interval (emptied, so that they
	// hold no records' bytes), unless a burst made them large.
	for tp, recs := range t.pending {
		if cap(recs) > maxKeptPending {
			delete(t.pending, tp)
			continue
		}
		clear(recs)
		t.pending[tp] = recs[:0]
	}
	t.order = t.order[:0]
	t.npending = 0
	t.outSlab = nil
}

// maxKeptPending bounds the output buffer a task keeps for reuse per
// partition between commits (records, not bytes).
const maxKeptPending = 1 << 16

// outSlabSize is the size of the chunks encoded output is carved from.
const outSlabSize = 64 << 10

// encodeBuf returns an empty buffer to encode one output key or value
// into; keepEncoded then claims what was written. Output records are
// carved from shared chunks instead of one allocation each; a chunk is
// never written again once handed out, so records may outlive the commit.
func (t *Task) encodeBuf() []byte {
	if cap(t.outSlab)-len(t.outSlab) < 512 {
		t.outSlab = make([]byte, 0, outSlabSize)
	}
	return t.outSlab[len(t.outSlab):len(t.outSlab)]
}

// keepEncoded claims b (the result of appending to encodeBuf's buffer) in
// the chunk, when it was written there, and returns it capped at its length.
func (t *Task) keepEncoded(b []byte) []byte {
	n := len(t.outSlab)
	if len(b) > 0 && cap(t.outSlab)-n >= len(b) && &t.outSlab[n : n+1][0] == &b[0] {
		t.outSlab = t.outSlab[:n+len(b)]
	}
	return b[:len(b):len(b)]
}

// resetToCommitted discards uncommitted work.
func (t *Task) resetToCommitted() {
	t.clearPending()
	for _, f := range t.flushers {
		f.reset()
	}
	t.pos = t.meta.position
	t.streamTime = t.meta.streamTime
	t.resetSides()
	t.dirty = false
}

// inputError logs a record that could not be decoded or had no valid time.
func (t *Task) inputError(topic string, rec *broker.Record, err error) {
	var de *decodeError
	if errors.As(err, &de) {
		t.processingLog(deserializationEntry(t, topic, rec, de))
		return
	}
	t.processingLog(recordErrorEntry(t, "TIMESTAMP", err, nil))
}

// recordError logs a row whose processing failed in part (the row goes on
// with NULL for the failed expression, or is dropped by a filter).
func (t *Task) recordError(where string, err error, row types.Row) {
	t.processingLog(recordErrorEntry(t, where, err, t.fullRow(row)))
}

func (t *Task) serializationError(target, topic string, err error, row types.Row) {
	t.processingLog(serializationEntry(t, target, topic, err, t.fullRow(row)))
}

func (t *Task) processingLog(rec broker.Record) {
	t.unpublished.errors++
	if t.rt.ProcessingLogTopic == "" {
		return
	}
	t.emit("", t.rt.ProcessingLogTopic, 0, rec)
}
