package exec

import (
	"encoding/binary"
	"fmt"
	"sort"

	"github.com/ksqlgo/ksql/exec/functions"
	"github.com/ksqlgo/ksql/sql/types"
	"github.com/ksqlgo/ksql/state"
)

// sessionOp aggregates into session windows: a record joins (and merges)
// every session of its key that lies within the inactivity gap of its
// time, as Kafka Streams does. Merged-away sessions are deleted from the
// output with tombstones; the merged session is emitted with the combined
// accumulators (with the record cache, when the cache is flushed:
// cacheMerge).
//
// State: per group key, its sessions, stored under
// <group key><end><start> so that one prefix scan loads a key's sessions.
type sessionOp struct {
	*aggregateOp
	merge []functions.Merger

	sessions *clockCache[*sessionSet]
	dirtyKey map[string]bool
	// swept is the stream time of the last sweep of expired sessions.
	swept int64
}

type sessionSet struct {
	key     types.Row
	list    []*aggEntry // ordered by start
	deleted [][]byte    // store keys of sessions merged away or expired
}

func newSessionOp(a *aggregateOp) (*sessionOp, error) {
	s := &sessionOp{aggregateOp: a, sessions: newClockCache[*sessionSet](), dirtyKey: map[string]bool{}}
	for i, impl := range a.impls {
		m, ok := impl.(functions.Merger)
		if !ok {
			return nil, fmt.Errorf("The aggregation function %s cannot be used with SESSION windows (it cannot merge sessions).", a.plan.Calls[i].Name)
		}
		s.merge = append(s.merge, m)
	}
	return s, nil
}

func sessionStoreKey(groupKey []byte, start, end int64) []byte {
	b := append([]byte(nil), groupKey...)
	b = binary.BigEndian.AppendUint64(b, uint64(end))
	return binary.BigEndian.AppendUint64(b, uint64(start))
}

// load returns the sessions of a group key, reading the store on a miss.
func (s *sessionOp) load(t *Task, key types.Row) (*sessionSet, string, error) {
	kb := appendRow(nil, key)
	ck := string(kb)
	if set, ok := s.sessions.get(ck); ok {
		return set, ck, nil
	}
	set := &sessionSet{key: types.DetachRow(key)} // see aggregateOp.load
	lower := t.stateKey(s.store, kb)
	it, err := t.rt.State.NewIter(lower, state.PrefixEnd(lower))
	if err != nil {
		return nil, "", err
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		k := it.Key()[len(lower):]
		if len(k) != 16 {
			continue // a longer group key that shares the prefix
		}
		row, _, err := decodeRow(it.Value(), nil)
		if err != nil || len(row) != len(s.impls)+2 {
			return nil, "", fmt.Errorf("corrupt session state for %s: %v", s.store, err)
		}
		e := &aggEntry{
			key:     key,
			wend:    int64(binary.BigEndian.Uint64(k)),
			wstart:  int64(binary.BigEndian.Uint64(k[8:])),
			accs:    row[:len(s.impls)],
			ts:      row[len(s.impls)].(int64),
			emitted: row[len(s.impls)+1] == true,
		}
		set.list = append(set.list, e)
	}
	sort.Slice(set.list, func(i, j int) bool { return set.list[i].wstart < set.list[j].wstart })
	s.sessions.put(ck, set)
	return set, ck, nil
}

func (s *sessionOp) process(t *Task, ev *event) error {
	if ev.old != nil {
		return fmt.Errorf("SESSION windows over a table are not supported")
	}
	if ev.row == nil || ev.tomb {
		return nil
	}
	key := ev.row[:s.k]
	if hasNull(key) {
		return nil
	}
	key = copyRow(key)
	set, ck, err := s.load(t, key)
	if err != nil {
		return err
	}
	closeTime := int64(0)
	if s.fin != nil {
		if err := s.loadFinal(t); err != nil {
			return err
		}
		s.fin.observed = max(s.fin.observed, ev.ts)
		s.fin.dirty = true
		closeTime = s.fin.observed - s.win.GraceMs - s.win.SizeMs
	}
	gap, ts := s.win.SizeMs, ev.ts
	start, end := ts, ts
	var merged []*aggEntry
	var keep []*aggEntry
	for _, e := range set.list {
		if e.wend >= ts-gap && e.wstart <= ts+gap {
			merged = append(merged, e)
			start, end = min(start, e.wstart), max(end, e.wend)
		} else {
			keep = append(keep, e)
		}
	}
	// A record whose session would already be closed is dropped.
	if s.fin != nil {
		if end < closeTime {
			t.unpublished.late++
			return s.maybeEmitFinal(t, ev, closeTime)
		}
	} else if end+s.win.GraceMs <= t.streamTime {
		t.unpublished.late++
		return nil
	}
	ne := &aggEntry{key: key, wstart: start, wend: end, ts: ts}
	ne.accs = make([]types.Value, len(s.impls))
	for i, impl := range s.impls {
		ne.accs[i] = impl.Init()
	}
	kb := []byte(ck)
	for _, e := range merged {
		for i := range s.impls {
			acc, err := s.merge[i].Merge(ne.accs[i], e.accs[i])
			if err != nil {
				t.recordError("aggregate "+s.plan.Calls[i].Name, err, ev.row)
				continue
			}
			ne.accs[i] = acc
		}
		ne.ts = max(ne.ts, e.ts)
		ne.emitted = ne.emitted || e.emitted
		set.deleted = append(set.deleted, sessionStoreKey(kb, e.wstart, e.wend))
	}
	if err := s.fold(t, ne, ev.row, false); err != nil {
		return err
	}
	set.list = append(keep, ne)
	sort.Slice(set.list, func(i, j int) bool { return set.list[i].wstart < set.list[j].wstart })
	s.dirtyKey[ck] = true
	if s.fin != nil {
		return s.maybeEmitFinal(t, ev, closeTime)
	}
	if s.rc != nil {
		return s.cacheMerge(t, ev, merged, ne)
	}
	// Tombstones for the sessions merged away, then the merged session.
	for _, e := range merged {
		if !e.emitted {
			continue
		}
		tomb := event{tomb: true, ts: e.wend, partition: ev.partition, offset: ev.offset,
			windowed: true, wstart: e.wstart, wend: e.wend}
		tomb.row = s.projectKeyOnly(t, e)
		if err := s.next.process(t, &tomb); err != nil {
			return err
		}
	}
	ne.emitted = false
	return s.emit(t, ne, ev.partition, ev.offset)
}

// cacheMerge records a merge in the record cache: the sessions merged
// away become deletes to forward, the merged session an update, in that
// order. As Kafka Streams' CachingSessionStore, the cache is keyed by
// session window: a merged session with the bounds of one it replaces is
// one entry (its latest value), and a delete of a session never forwarded
// forwards nothing (forwardCached), so sessions created and merged between
// two flushes never appear.
func (s *sessionOp) cacheMerge(t *Task, ev *event, merged []*aggEntry, ne *aggEntry) error {
	ne.part, ne.off = ev.partition, ev.offset
	ne.emitted = false // not forwarded yet under its window
	for _, e := range merged {
		if e.wstart == ne.wstart && e.wend == ne.wend {
			ne.emitted = e.emitted
			s.rc.used -= s.fwd.remove(&e.fwd)
			continue
		}
		e.fwdDeleted = true
		e.part, e.off = ev.partition, ev.offset
		if err := s.cacheEntry(t, e); err != nil {
			return err
		}
	}
	return s.cacheEntry(t, ne)
}

// forwardCached forwards the dirty sessions, least recently updated
// first: a session merged away as a delete if its last forwarded value
// was visible (passed HAVING), any other with its latest value.
func (s *sessionOp) forwardCached(t *Task) error {
	for {
		n, ok := s.fwd.pop()
		if !ok {
			return nil
		}
		s.rc.used -= n.size
		e := n.val
		if !e.fwdDeleted {
			if err := s.emit(t, e, e.part, e.off); err != nil {
				return err
			}
			continue
		}
		if !e.emitted {
			continue
		}
		e.emitted = false
		tomb := event{tomb: true, ts: e.wend, partition: e.part, offset: e.off,
			windowed: true, wstart: e.wstart, wend: e.wend}
		tomb.row = s.projectKeyOnly(t, e)
		if err := s.next.process(t, &tomb); err != nil {
			return err
		}
	}
}

// projectKeyOnly builds the sink row of a tombstone (its key columns).
func (s *sessionOp) projectKeyOnly(t *Task, e *aggEntry) types.Row {
	width := s.k + len(s.impls) + 2
	out := make(types.Row, width)
	copy(out, e.key)
	out[width-2], out[width-1] = e.wstart, e.wend
	c := &s.ctx
	c.row = out
	row := make(types.Row, len(s.project))
	for i, f := range s.project {
		v, _ := f(c)
		row[i] = v
	}
	return row
}

func (s *sessionOp) flush(t *Task) error {
	for ck := range s.dirtyKey {
		set, _ := s.sessions.get(ck)
		if set == nil {
			continue
		}
		for _, k := range set.deleted {
			t.stateDelete(s.store, k)
		}
		set.deleted = set.deleted[:0]
		for _, e := range set.list {
			row := make(types.Row, 0, len(e.accs)+2)
			row = append(row, e.accs...)
			row = append(row, e.ts, e.emitted)
			t.stateSet(s.store, sessionStoreKey([]byte(ck), e.wstart, e.wend), appendRow(nil, row))
		}
	}
	clear(s.dirtyKey)
	if s.fin != nil {
		s.flushFinal(t)
	}
	// Sessions past retention are deleted, in a sweep of the store once
	// per quarter of the retention period of stream time.
	ret := s.win.RetentionMs
	if ret > 0 && t.streamTime-s.swept >= ret/4 {
		if err := s.sweep(t, t.streamTime-ret); err != nil {
			return err
		}
		s.swept = t.streamTime
	}
	s.sessions.trim(func(ck string, _ *sessionSet) bool { return s.dirtyKey[ck] })
	return nil
}

func (s *sessionOp) sweep(t *Task, cutoff int64) error {
	lower := t.stateKey(s.store, nil)
	it, err := t.rt.State.NewIter(lower, state.PrefixEnd(lower))
	if err != nil {
		return err
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		k := it.Key()[len(lower):]
		if len(k) < 16 {
			continue
		}
		end := int64(binary.BigEndian.Uint64(k[len(k)-16:]))
		if end < cutoff {
			t.stateDelete(s.store, append([]byte(nil), k...))
		}
	}
	s.sessions.each(func(ck string, set *sessionSet) bool {
		var keep []*aggEntry
		for _, e := range set.list {
			if e.wend >= cutoff {
				keep = append(keep, e)
			}
		}
		set.list = keep
		return len(keep) > 0 || s.dirtyKey[ck]
	})
	return nil
}

func (s *sessionOp) reset() {
	s.sessions.reset()
	clear(s.dirtyKey)
	s.aggregateOp.reset()
}
