package exec

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/ksqlgo/ksql/exec/serde"
	"github.com/ksqlgo/ksql/sql/types"
	"github.com/ksqlgo/ksql/state"
)

// EMIT FINAL over TUMBLING and HOPPING windows, as ksqlDB runs it: Kafka
// Streams' ON_WINDOW_CLOSE emit strategy of a windowed aggregation
// (KStreamWindowAggregate, AbstractKStreamTimeWindowAggregateProcessor)
// over its time-ordered window store. The aggregation forwards nothing
// while windows are open. After each record it has folded, once its
// stream time (the largest record time it has seen) minus the grace
// period, the close time, has passed a window's end, it emits every
// window that closed since its last emission, each once, with its final
// value, in the store's order: by window start, then by the serialized
// key. As there, a closed window whose start is older than the newest
// window start stored minus the store's retention (RETENTION, or size
// plus grace) is no longer returned by the store and is not emitted, and
// emissions are at most one per ksql.streams.__emit.interval.ms.kstreams.
// windowed.aggregation__ (wall clock, default 1000 ms; the conformance
// suites set 0).
//
// Its stream time, the newest window start stored and the close time of
// the last emission are state, committed with the output they produced,
// so that a restart emits what the run it replaces would have.

// emitIntervalProp is Kafka Streams' internal emit interval of windowed
// aggregations, as a ksqlDB property (with or without its ksql.streams.
// prefix).
const emitIntervalProp = "__emit.interval.ms.kstreams.windowed.aggregation__"

// finalMetaSuffix names the store (next to the aggregation's) that holds
// the EMIT FINAL bookkeeping, under the key finalMetaKey.
const finalMetaSuffix = "#final"

var finalMetaKey = []byte("m")

// noTime is Kafka Streams' ConsumerRecord.NO_TIMESTAMP.
const noTime = -1

type finalState struct {
	loaded    bool
	dirty     bool
	observed  int64 // largest record time folded or dropped as late
	storeObs  int64 // largest window start stored
	lastClose int64 // close time of the last emission
	interval  time.Duration
	nextEmit  time.Time
	// keyCodec serializes a group key as the sink does; the emission
	// order within a window start is by these bytes (nil: the internal
	// row encoding).
	keyCodec serde.Codec
}

func newFinalState(props map[string]string) (*finalState, error) {
	f := &finalState{observed: noTime, storeObs: noTime, lastClose: noTime, interval: time.Second}
	v, ok := props["ksql.streams."+emitIntervalProp]
	if !ok {
		v, ok = props[emitIntervalProp]
	}
	if ok {
		ms, err := strconv.ParseInt(v, 10, 64)
		if err != nil || ms < 0 {
			return nil, fmt.Errorf("invalid value %q for %s: a non-negative number of milliseconds", v, emitIntervalProp)
		}
		f.interval = time.Duration(ms) * time.Millisecond
	}
	return f, nil
}

func (a *aggregateOp) finalStore() string { return a.store + finalMetaSuffix }

// loadFinal reads the EMIT FINAL bookkeeping once (again after a reset).
func (a *aggregateOp) loadFinal(t *Task) error {
	f := a.fin
	if f.loaded {
		return nil
	}
	f.observed, f.storeObs, f.lastClose, f.dirty = noTime, noTime, noTime, false
	v, ok, err := t.stateGet(a.finalStore(), finalMetaKey)
	if err != nil {
		return err
	}
	if ok {
		var vals [3]int64
		for i := range vals {
			x, n := binary.Varint(v)
			if n <= 0 {
				return fmt.Errorf("corrupt EMIT FINAL state for %s", a.store)
			}
			vals[i], v = x, v[n:]
		}
		f.observed, f.storeObs, f.lastClose = vals[0], vals[1], vals[2]
	}
	f.loaded = true
	return nil
}

// flushFinal writes the bookkeeping into the commit, when it changed.
func (a *aggregateOp) flushFinal(t *Task) {
	f := a.fin
	if !f.dirty {
		return
	}
	b := binary.AppendVarint(nil, f.observed)
	b = binary.AppendVarint(b, f.storeObs)
	b = binary.AppendVarint(b, f.lastClose)
	t.stateSet(a.finalStore(), finalMetaKey, b)
	f.dirty = false
}

// processFinal folds a record into its windows under EMIT FINAL, then
// emits the windows that closed.
func (a *aggregateOp) processFinal(t *Task, ev *event, key types.Row) error {
	if err := a.loadFinal(t); err != nil {
		return err
	}
	f := a.fin
	f.observed = max(f.observed, ev.ts)
	f.dirty = true
	closeTime := f.observed - a.win.GraceMs
	if err := a.foldWindows(t, ev, key, closeTime); err != nil {
		return err
	}
	return a.maybeEmitFinal(t, ev, closeTime)
}

// due is shouldEmitFinal: whether an emission is due at closeTime (the
// emit interval has passed, which it then restarts, and the close time
// has advanced since the last emission).
func (f *finalState) due(t *Task, closeTime int64) bool {
	if f.interval > 0 {
		now := t.rt.now()
		if now.Before(f.nextEmit) {
			return false
		}
		f.nextEmit = now.Add(f.interval)
	}
	return f.lastClose == noTime || f.lastClose < closeTime
}

// maybeEmitFinal is KStreamWindowAggregate's maybeForwardFinalResult.
func (a *aggregateOp) maybeEmitFinal(t *Task, ev *event, closeTime int64) error {
	f := a.fin
	if !f.due(t, closeTime) {
		return nil
	}
	size := a.win.SizeMs
	upper := closeTime - size // inclusive: window ends are exclusive
	if upper < 0 {
		return nil // no window has closed yet
	}
	lower := int64(0)
	if f.lastClose != noTime {
		lower = max(0, f.lastClose-size) + 1
		if slices.Equal(windowsFor(a.win, upper), windowsFor(a.win, lower-1)) {
			return nil // no window closed since the last emission
		}
	}
	// The time-ordered store returns nothing older than its newest
	// window start minus its retention.
	from := max(lower, f.storeObs-a.win.StoreRetentionMs)
	if upper >= from {
		if err := a.emitClosed(t, ev, from, upper); err != nil {
			return err
		}
	}
	f.lastClose = closeTime
	return nil
}

// emitClosed emits every group's window whose start is in [from, upper],
// from the cache and the store, by window start and then serialized key.
func (a *aggregateOp) emitClosed(t *Task, ev *event, from, upper int64) error {
	type closed struct {
		e     *aggEntry
		ck    string
		order []byte
	}
	var out []closed
	seen := map[string]bool{}
	add := func(e *aggEntry, ck string) {
		if seen[ck] {
			return
		}
		seen[ck] = true
		out = append(out, closed{e: e, ck: ck})
	}
	for start, keys := range a.byWindow {
		if start < from || start > upper {
			continue
		}
		for _, ck := range keys {
			if e, ok := a.cache.get(ck); ok {
				add(e, ck)
			}
		}
	}
	// Groups not in the cache are in the store: their keys first, as
	// loading them may evict entries the iterator does not care about.
	lo := t.stateKey(a.store, binary.BigEndian.AppendUint64(nil, uint64(from)))
	hi := t.stateKey(a.store, binary.BigEndian.AppendUint64(nil, uint64(upper)+1))
	it, err := t.rt.State.NewIter(lo, hi)
	if err != nil {
		return err
	}
	prefix := len(t.stateKey(a.store, nil))
	var stored []string
	for ok := it.First(); ok; ok = it.Next() {
		if ck := string(it.Key()[prefix:]); !seen[ck] {
			stored = append(stored, ck)
		}
	}
	if err := it.Close(); err != nil {
		return err
	}
	for _, ck := range stored {
		if len(ck) < 8 {
			continue
		}
		if e, ok := a.cache.get(ck); ok {
			add(e, ck)
			continue
		}
		keyRow, _, err := decodeRow([]byte(ck[8:]), nil)
		if err != nil {
			return fmt.Errorf("corrupt aggregate state key in %s: %v", a.store, err)
		}
		start := int64(binary.BigEndian.Uint64([]byte(ck[:8])))
		e, lck, err := a.load(t, keyRow, start, start+a.win.SizeMs)
		if err != nil {
			return err
		}
		add(e, lck)
	}
	var buf []byte
	for i := range out {
		c := &out[i]
		start := len(buf)
		if f := a.fin; f.keyCodec != nil {
			if b, err := f.keyCodec.Encode(buf, c.e.key); err == nil {
				buf = b
			} else {
				buf = appendRow(buf[:start], c.e.key)
			}
		} else {
			buf = appendRow(buf, c.e.key)
		}
		c.order = buf[start:len(buf):len(buf)]
	}
	slices.SortFunc(out, func(x, y closed) int {
		if c := cmp.Compare(x.e.wstart, y.e.wstart); c != 0 {
			return c
		}
		return bytes.Compare(x.order, y.order)
	})
	for _, c := range out {
		if err := a.emit(t, c.e, ev.partition, ev.offset); err != nil {
			return err
		}
		a.markDirty(c.e, c.ck) // its emitted flag changed
	}
	return nil
}

// Sessions (KStreamSessionWindowAggregate): the close time is stream time
// minus grace minus the inactivity gap; a record whose merged session ends
// before it is dropped; an emission covers the sessions ending in [the
// last close time, this close time), ordered by end, start and serialized
// key, each with its end as its time. Kafka Streams' time-ordered session
// store applies no retention bound to this range.

// maybeEmitFinal is the session aggregation's maybeForwardFinalResult.
func (s *sessionOp) maybeEmitFinal(t *Task, ev *event, closeTime int64) error {
	f := s.fin
	if !f.due(t, closeTime) {
		return nil
	}
	upper := closeTime - 1 // session ends are inclusive
	if upper < 0 {
		return nil
	}
	lower := max(0, f.lastClose)
	if upper < lower {
		return nil
	}
	if err := s.emitClosedSessions(t, ev, lower, upper); err != nil {
		return err
	}
	f.lastClose = closeTime
	return nil
}

// emitClosedSessions emits every session whose end is in [lower, upper]:
// those of the group keys in the cache from the cache, the others from a
// scan of the store (sessions are stored by group key, so finding them by
// end time reads the whole store; emissions are throttled by the emit
// interval).
func (s *sessionOp) emitClosedSessions(t *Task, ev *event, lower, upper int64) error {
	type closed struct {
		e     *aggEntry
		order []byte
	}
	var out []closed
	var buf []byte
	orderOf := func(key types.Row) []byte {
		start := len(buf)
		if s.fin.keyCodec != nil {
			if b, err := s.fin.keyCodec.Encode(buf, key); err == nil {
				buf = b
				return buf[start:len(buf):len(buf)]
			}
			buf = buf[:start]
		}
		buf = appendRow(buf, key)
		return buf[start:len(buf):len(buf)]
	}
	s.sessions.each(func(_ string, set *sessionSet) bool {
		var order []byte
		for _, e := range set.list {
			if e.wend >= lower && e.wend <= upper {
				if order == nil {
					order = orderOf(set.key)
				}
				out = append(out, closed{e: e, order: order})
			}
		}
		return true
	})
	lo := t.stateKey(s.store, nil)
	it, err := t.rt.State.NewIter(lo, state.PrefixEnd(lo))
	if err != nil {
		return err
	}
	for ok := it.First(); ok; ok = it.Next() {
		k := it.Key()[len(lo):]
		if len(k) < 16 {
			continue
		}
		end := int64(binary.BigEndian.Uint64(k[len(k)-16:]))
		if end < lower || end > upper {
			continue
		}
		gk := k[:len(k)-16]
		if _, cached := s.sessions.get(string(gk)); cached {
			continue // the cache holds this key's sessions, as they are now
		}
		keyRow, _, err := decodeRow(gk, nil)
		if err != nil {
			it.Close()
			return fmt.Errorf("corrupt session state key in %s: %v", s.store, err)
		}
		row, _, err := decodeRow(it.Value(), nil)
		if err != nil || len(row) != len(s.impls)+2 {
			it.Close()
			return fmt.Errorf("corrupt session state for %s: %v", s.store, err)
		}
		e := &aggEntry{key: keyRow, wend: end, wstart: int64(binary.BigEndian.Uint64(k[len(k)-8:])),
			accs: row[:len(s.impls)], ts: row[len(s.impls)].(int64), emitted: row[len(s.impls)+1] == true}
		out = append(out, closed{e: e, order: orderOf(keyRow)})
	}
	if err := it.Close(); err != nil {
		return err
	}
	slices.SortFunc(out, func(x, y closed) int {
		if c := cmp.Compare(x.e.wend, y.e.wend); c != 0 {
			return c
		}
		if c := cmp.Compare(x.e.wstart, y.e.wstart); c != 0 {
			return c
		}
		return bytes.Compare(x.order, y.order)
	})
	for _, c := range out {
		if err := s.emit(t, c.e, ev.partition, ev.offset); err != nil {
			return err
		}
	}
	return nil
}
