package exec

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/planner"
)

// The commit protocol on a log that decides its own transactions (Kafka).
//
// On the embedded log the state store decides a task's transaction (I1-I5
// in task.go). Kafka decides its transactions itself: a transaction its
// producer did not end is aborted when the producer's transactional id is
// initialized again. So over such a log the order is reversed and the log
// is the truth:
//
//  1. one log transaction holds the task's output records, its state
//     changes (written to the stage's changelog topic, partition = the
//     task's partition) with a meta record (input position, stream
//     time), and the input position as the query's consumer group offset;
//  2. EndTxn(commit) is the decision;
//  3. only then the state store gets the same changes and the task's
//     commit record, which also records how far the changelog is applied
//     (changelogNext).
//
// The state store is a cache of the changelog. At start a task first
// fences any earlier incarnation of its producer (which aborts the
// transaction it left open), then applies the changelog from its
// changelogNext to the stable end: a crash between 2 and 3, or a fresh
// machine with no state at all, is repaired by this restore. State ahead
// of the changelog (the changelog was deleted and created again, or the
// state directory belongs to another cluster) is discarded and restored
// from the beginning. A commit whose EndTxn failed has an unknown outcome:
// the task rewinds and restores before it polls again.
//
// The changelog of every store of a stage is one compacted topic,
// <app id>-S<stage>-changelog: every write of any store goes through
// stateSet, stateDelete and stateDeleteRange, so a store added later gets
// its changelog without doing anything.

// logDecided returns the log as a broker.LogDecidedTxns when its
// transactions are decided by the log.
func (rt *Runtime) logDecided() (broker.LogDecidedTxns, bool) {
	return broker.DecidesTxns(rt.Log)
}

// defaultAppIDPrefix is the default prefix of query application ids (ksqlDB's
// "_confluent-ksql-" + service id + "query_").
const defaultAppIDPrefix = "_confluent-ksql-default_query_"

// appID is the query's application id: the consumer group of its input
// positions and the prefix of its internal topics, as in ksqlDB.
func (rt *Runtime) appID(queryID string) string {
	p := rt.AppIDPrefix
	if p == "" {
		p = defaultAppIDPrefix
	}
	return p + queryID
}

// ChangelogTopic names the changelog of a query's stage.
func (rt *Runtime) ChangelogTopic(queryID string, stage int) string {
	return fmt.Sprintf("%s-S%d-changelog", rt.appID(queryID), stage)
}

// InternalTopics lists the topics a query owns (repartition topics, the
// subscription topics of foreign-key joins, and changelogs on a log that
// decides its transactions), to delete with it.
func (rt *Runtime) InternalTopics(plan *planner.QueryPlan) []string {
	var out []string
	for _, tp := range internalTopics(plan) {
		out = append(out, tp.Name)
	}
	if _, decided := rt.logDecided(); decided {
		for si := range plan.Stages {
			out = append(out, rt.ChangelogTopic(plan.ID, si))
		}
	}
	return out
}

// Changelog records. The key is the state key below the task's prefix
// (store "/" key); the value the new value (never nil: an empty value is
// written as empty), nil for a delete. A range delete has the header
// "op"="range", key = start and value = end. The meta record (key
// metaChangeKey) carries the input position and the stream time.
const (
	changeOpHeader = "op"
	changeOpRange  = "range"
)

var metaChangeKey = []byte{0}

func (t *Task) recordChange(key, value []byte, rangeEnd bool) {
	if t.changelog == "" {
		return
	}
	rec := broker.Record{Key: bytes.Clone(key), Timestamp: t.rt.now().UnixMilli()}
	switch {
	case rangeEnd:
		rec.Value = bytes.Clone(value)
		rec.Headers = []broker.Header{{Key: changeOpHeader, Value: []byte(changeOpRange)}}
	case value != nil:
		rec.Value = append([]byte{}, value...)
	}
	t.changes = append(t.changes, rec)
}

// encodeChangeMeta encodes the meta record: the main input's position,
// the stream time, then the side inputs' positions (join stages).
func encodeChangeMeta(position, streamTime int64, sidePos []int64) []byte {
	b := binary.AppendVarint(nil, position)
	b = binary.AppendVarint(b, streamTime)
	for _, p := range sidePos {
		b = binary.AppendVarint(b, p)
	}
	return b
}

func decodeChangeMeta(b []byte) (position, streamTime int64, sidePos []int64, err error) {
	var n int
	if position, n = binary.Varint(b); n <= 0 {
		return 0, 0, nil, errCorrupt
	}
	b = b[n:]
	if streamTime, n = binary.Varint(b); n <= 0 {
		return 0, 0, nil, errCorrupt
	}
	for b = b[n:]; len(b) > 0; b = b[n:] {
		var p int64
		if p, n = binary.Varint(b); n <= 0 {
			return 0, 0, nil, errCorrupt
		}
		sidePos = append(sidePos, p)
	}
	return position, streamTime, sidePos, nil
}

// commitLogDecided is commit over a log that decides: output, changelog
// and input position in one log transaction, its commit the decision,
// then the state store.
func (t *Task) commitLogDecided(ctx context.Context, ld broker.LogDecidedTxns) error {
	start := time.Now()
	defer t.publish()
	txn := broker.Txn{Producer: t.producer, Seq: t.spent + 1}
	t.spent = txn.Seq
	t.txn = &txn
	// The record caches forward their dirty results into this commit.
	if err := t.forwardCached(); err != nil {
		return t.abortLogDecided(ctx, err)
	}
	for _, f := range t.flushers {
		if err := f.flush(t); err != nil {
			return t.abortLogDecided(ctx, err)
		}
	}
	if _, err := t.appendPending(ctx, txn); err != nil {
		return t.abortLogDecided(ctx, err)
	}
	sidePos := t.sidePositions()
	t.changes = append(t.changes, broker.Record{Key: metaChangeKey, Value: encodeChangeMeta(t.pos, t.streamTime, sidePos), Timestamp: t.rt.now().UnixMilli()})
	base, err := t.rt.Log.AppendTxn(ctx, txn, t.changelog, t.partition, t.changes)
	if err != nil {
		return t.abortLogDecided(ctx, fmt.Errorf("append to changelog %s-%d: %w", t.changelog, t.partition, err))
	}
	group := t.rt.appID(t.queryID)
	if err := ld.CommitOffsetsTxn(ctx, txn, group, t.inputPositions(taskMeta{position: t.pos, sidePos: sidePos})); err != nil {
		return t.abortLogDecided(ctx, fmt.Errorf("adding the input position to the transaction: %w", err))
	}
	if err := t.rt.Log.PrepareTxn(ctx, txn); err != nil {
		return t.abortLogDecided(ctx, fmt.Errorf("prepare: %w", err))
	}
	if err := t.rt.Log.EndTxn(ctx, txn, true); err != nil {
		// The outcome is unknown (the commit may have reached the log):
		// rewind, and restore from the changelog before going on.
		t.txn = nil
		t.discardUncommitted()
		t.restoreNeeded = true
		return fmt.Errorf("commit of %s: %w", txn, err)
	}
	t.txn = nil
	// Decided: the state store follows the log.
	meta := taskMeta{position: t.pos, seq: txn.Seq, streamTime: t.streamTime, changelogNext: base + int64(len(t.changes)), sidePos: sidePos}
	b := t.ensureBatch()
	b.Set(metaKey(t.producer), meta.encode())
	err = b.Commit(false)
	t.batch = nil
	t.changes = t.changes[:0]
	if err != nil {
		// The log has the commit; the store will catch up by a restore.
		t.resetToCommitted()
		t.restoreNeeded = true
		return fmt.Errorf("state commit after the log committed %s: %w", txn, err)
	}
	t.meta = meta
	t.storeCommitted()
	t.clearPending()
	t.dirty = false
	t.lastCommit = t.rt.now()
	t.rt.Metrics.commits.Add(1)
	t.stats.commits.Add(1)
	t.stats.commitLatency.observe(time.Since(start))
	t.maybePurge(ctx, meta) // committed in the log: durable
	return nil
}

// abortLogDecided aborts the open transaction (the log would abort it
// anyway once the producer is fenced or times out) and rewinds.
func (t *Task) abortLogDecided(ctx context.Context, cause error) error {
	t.discardUncommitted()
	txn := *t.txn
	t.txn = nil
	if err := t.rt.Log.EndTxn(context.WithoutCancel(ctx), txn, false); err != nil {
		// The producer may be fenced or the log unreachable: fence and
		// restore before going on, which aborts whatever is left open.
		t.restoreNeeded = true
		return fmt.Errorf("%w (and aborting %s failed: %v)", cause, txn, err)
	}
	return cause
}

// discardUncommitted drops the state changes and output since the last
// commit.
func (t *Task) discardUncommitted() {
	if t.batch != nil {
		t.batch.Close()
		t.batch = nil
	}
	t.changes = t.changes[:0]
	t.resetToCommitted()
}

// restoreFromChangelog fences the task's earlier incarnations and brings
// the state store up to the changelog's stable end. It sets the task's
// committed position and stream time from what it applied. When the
// store has no commit record and the changelog nothing, the position is
// the group's committed offset if there is one, else start.
func (t *Task) restoreFromChangelog(ctx context.Context, ld broker.LogDecidedTxns, start int64) error {
	if err := ld.InitProducer(ctx, t.producer); err != nil {
		return fmt.Errorf("task %s: initializing its producer: %w", t, err)
	}
	offs, err := t.rt.Log.Offsets(ctx, t.changelog, t.partition)
	if err != nil {
		return fmt.Errorf("task %s: changelog %s: %w", t, t.changelog, err)
	}
	from := t.meta.changelogNext
	if from > offs.End || from < offs.Start {
		// State ahead of (or unknown to) the changelog: not this log's.
		t.rt.logf("task %s: state records changelog offset %d, the changelog holds %d..%d: discarding the local state and restoring it", t, from, offs.Start, offs.End)
		if err := t.wipeState(); err != nil {
			return err
		}
		t.meta = taskMeta{}
		from = offs.Start
	}
	applied, err := t.applyChangelog(ctx, from, offs.Stable)
	if err != nil {
		return fmt.Errorf("task %s: restoring from %s: %w", t, t.changelog, err)
	}
	if !applied && t.meta.changelogNext == 0 && t.meta.position == 0 {
		// Nothing committed anywhere yet: the group's offset (a query
		// created by a server whose state was lost), or the start.
		committed, err := t.rt.Log.FetchOffsets(ctx, t.rt.appID(t.queryID))
		if err != nil {
			return fmt.Errorf("task %s: committed offsets: %w", t, err)
		}
		in := broker.TopicPartition{Topic: t.input.Name, Partition: t.partition}
		if off, ok := committed[in]; ok {
			start = off
		}
		t.meta.position = start
		t.meta.sidePos = nil
		for _, s := range t.sides {
			pos := s.start
			if off, ok := committed[broker.TopicPartition{Topic: s.in.Name, Partition: t.partition}]; ok {
				pos = off
			}
			t.meta.sidePos = append(t.meta.sidePos, pos)
		}
		t.dirty = true // the first commit records the starting point
	}
	t.pos, t.streamTime = t.meta.position, t.meta.streamTime
	t.resetSides()
	t.storeCommitted()
	t.restoreNeeded = false
	return nil
}

// applyChangelog applies the changelog from offset to end (read
// committed) to the state store, a batch per read, each with the commit
// record; it reports whether it applied anything.
func (t *Task) applyChangelog(ctx context.Context, from, end int64) (bool, error) {
	applied := false
	for from < end {
		recs, next, err := t.rt.Log.Read(ctx, t.changelog, t.partition, from, broker.ReadOptions{MaxRecords: 1000, Isolation: broker.ReadCommitted})
		if err != nil {
			return applied, err
		}
		if next <= from {
			break
		}
		b := t.rt.State.NewBatch()
		meta := t.meta
		for _, r := range recs {
			switch {
			case bytes.Equal(r.Key, metaChangeKey):
				if meta.position, meta.streamTime, meta.sidePos, err = decodeChangeMeta(r.Value); err != nil {
					b.Close()
					return applied, fmt.Errorf("meta record at offset %d: %w", r.Offset, err)
				}
			case isRangeChange(r):
				b.DeleteRange(t.prefixed(r.Key), t.prefixed(r.Value))
			case r.Value == nil:
				b.Delete(t.prefixed(r.Key))
			default:
				b.Set(t.prefixed(r.Key), r.Value)
			}
		}
		meta.changelogNext = next
		b.Set(metaKey(t.producer), meta.encode())
		if err := b.Commit(false); err != nil {
			return applied, err
		}
		t.meta = meta
		applied = true
		from = next
	}
	return applied, nil
}

func isRangeChange(r broker.Record) bool {
	for _, h := range r.Headers {
		if h.Key == changeOpHeader && string(h.Value) == changeOpRange {
			return true
		}
	}
	return false
}

func (t *Task) prefixed(key []byte) []byte {
	k := make([]byte, 0, len(t.prefix)+len(key))
	return append(append(k, t.prefix...), key...)
}

// wipeState deletes the task's state and commit record.
func (t *Task) wipeState() error {
	b := t.rt.State.NewBatch()
	b.DeleteRange([]byte(t.prefix), append([]byte(t.prefix[:len(t.prefix)-1]), '0'))
	b.Delete(metaKey(t.producer))
	return b.Commit(false)
}
