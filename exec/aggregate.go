package exec

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/ksqlgo/ksql/exec/functions"
	"github.com/ksqlgo/ksql/planner"
	"github.com/ksqlgo/ksql/sql/types"
)

// aggregateOp folds rows into per-group (and per-window) accumulators.
// With the record cache (recordcache.go) a group's result is forwarded
// when the cache is flushed (at commit, or over its budget), with its
// latest value; without it, for every input row, as ksqlDB does with
// caching disabled. State lives in memory and is written back to the
// state store at commit; a miss reads the store.
type aggregateOp struct {
	plan    *planner.Aggregate
	impls   []functions.AggImpl
	undo    []functions.Undoer
	args    [][]evalFn
	having  evalFn
	project []evalFn
	k       int
	win     *planner.WindowSpec
	store   string
	next    operator
	// argBuf holds one call's arguments (reused: no aggregate keeps the
	// slice, only, when it is not ArgsNotRetained, detached values).
	argBuf []types.Value
	// flushBuf and flushWrites are flush's scratch (see sortStateWrites).
	flushBuf    []byte
	flushWrites []stateWrite
	ctx         evalCtx // reused: a context passed to a closure escapes
	// transient[i]: call i is functions.ArgsNotRetained.
	transient []bool

	// rc is the task's record cache (nil: off); fwd lists the groups
	// whose result has not been forwarded since their last update.
	rc  *recordCache
	fwd dirtyList[*aggEntry]

	cache *clockCache[*aggEntry]
	// dirty lists cache keys changed since the last commit.
	dirty []string
	// byWindow indexes cached entries by window start, so that expiring
	// windows touches only the expired ones.
	byWindow map[int64][]string
	// expiredBefore is the window start below which state was deleted.
	expiredBefore int64
	// newestStored bounds the window starts in the store (in key order:
	// window starts as uint64), when newestKnown: a group of a newer
	// window cannot be there, so loading it skips the store (most events
	// open a new window for their key). It is read from the store's last
	// key after a reset, and raised by every flush.
	newestStored uint64
	newestKnown  bool
	anyStored    bool
	// base is what the store held when the cache last began remembering
	// its evictions (read with newestStored, taken again when the cache's
	// filter fills up): any group at all, and the newest window start.
	// A group the base cannot hold (any, for a store then empty; of a
	// newer window, windowed) is in the store only if the cache evicted
	// it since (clockCache.maybeEvicted).
	baseAny    bool
	baseNewest uint64

	// keyBuf is scratch space for state keys (the store copies what it is
	// given).
	keyBuf []byte

	// fin is the EMIT FINAL bookkeeping (emitfinal.go); nil for EMIT
	// CHANGES.
	fin *finalState

	// outBuf is emit's result row (read only while emitting); sinkBuf
	// its sink row when the next operator does not keep rows (a topic
	// sink encodes them at once: reuseSink).
	outBuf, sinkBuf types.Row
	reuseSink       bool
	// winBuf holds a record's window starts; evBuf the event emit
	// passes on (read only during the call).
	winBuf []int64
	evBuf  event
}

// aggEntry is one group's (or one group-window's) state.
type aggEntry struct {
	key          types.Row
	wstart, wend int64
	accs         []types.Value
	ts           int64 // largest event time folded in
	emitted      bool  // the last emission passed HAVING
	isDirty      bool
	deleted      bool
	// With the record cache: the entry's place among those to forward,
	// the input record of its latest update, and (sessions) whether it
	// was merged away, to forward as a delete.
	fwd        dirtyNode[*aggEntry]
	part       int32
	off        int64
	fwdDeleted bool
}

func newAggregateOp(p *planner.Aggregate, retract bool, props map[string]string) (*aggregateOp, error) {
	op := &aggregateOp{plan: p, k: p.KeyCount, win: p.Window, store: p.StoreName, cache: newClockCache[*aggEntry](), byWindow: map[int64][]string{}}
	op.cache.rememberEvicted()
	op.cache.size = aggEntrySize
	for _, c := range p.Calls {
		impl, ok := c.Fn.(functions.AggImpl)
		if !ok {
			return nil, fmt.Errorf("aggregate %s has no implementation", c.Name)
		}
		if cfg, ok := impl.(functions.ConfigurableAgg); ok {
			anyProps := make(map[string]any, len(props))
			for k, v := range props {
				anyProps[k] = v
			}
			impl = cfg.Configure(anyProps)
		}
		op.impls = append(op.impls, impl)
		_, transient := impl.(functions.ArgsNotRetained)
		op.transient = append(op.transient, transient)
		u, _ := impl.(functions.Undoer)
		if retract && u == nil {
			return nil, fmt.Errorf("The aggregation function %s does not support being used on a TABLE source (it cannot retract values).", c.Name)
		}
		op.undo = append(op.undo, u)
		fs, err := compileAll(c.Args)
		if err != nil {
			return nil, err
		}
		op.args = append(op.args, fs)
	}
	var err error
	if p.Having != nil {
		if op.having, err = compileExpr(p.Having); err != nil {
			return nil, err
		}
	}
	if op.project, err = compileAll(p.Project); err != nil {
		return nil, err
	}
	if p.Window != nil && p.Window.EmitFinal {
		if op.fin, err = newFinalState(props); err != nil {
			return nil, err
		}
	}
	return op, nil
}

// appendStateKey appends the store key of a group: for windows the window
// start comes first, so that expired windows are one range delete.
func (a *aggregateOp) appendStateKey(b []byte, key types.Row, wstart int64) []byte {
	if a.win != nil {
		b = binary.BigEndian.AppendUint64(b, uint64(wstart))
	}
	return appendRow(b, key)
}

func (a *aggregateOp) load(t *Task, key types.Row, wstart, wend int64) (*aggEntry, string, error) {
	a.keyBuf = a.appendStateKey(a.keyBuf[:0], key, wstart)
	sk := a.keyBuf
	if ck, e, ok := a.cache.getBytes(sk); ok {
		return e, ck, nil
	}
	ck := string(sk)
	// The key outlives its record: detached, it does not keep the record's
	// decoded values alive (types.Arena).
	e := &aggEntry{key: types.DetachRow(key), wstart: wstart, wend: wend}
	var raw []byte
	ok := false
	if a.mayBeStored(t, wstart, ck) {
		var err error
		if raw, ok, err = t.stateGet(a.store, sk); err != nil {
			return nil, "", err
		}
	}
	if ok {
		row, _, err := decodeRow(raw, nil)
		if err != nil || len(row) != len(a.impls)+2 {
			return nil, "", fmt.Errorf("corrupt aggregate state for %s: %v", a.store, err)
		}
		e.accs = row[:len(a.impls)]
		e.ts = row[len(a.impls)].(int64)
		e.emitted = row[len(a.impls)+1] == true
	} else {
		e.accs = make([]types.Value, len(a.impls))
		for i, impl := range a.impls {
			e.accs[i] = impl.Init()
		}
	}
	a.cache.put(ck, e)
	if a.win != nil {
		a.byWindow[wstart] = append(a.byWindow[wstart], ck)
	}
	return e, ck, nil
}

// mayBeStored reports whether the group ck (of window wstart) can be in
// the store; false only when it cannot (see newestStored and baseAny). A
// failure to find the newest stored key only costs the shortcut.
func (a *aggregateOp) mayBeStored(t *Task, wstart int64, ck string) bool {
	if !a.newestKnown {
		newest, ok, err := t.lastStateKey(a.store)
		if err != nil {
			return true
		}
		a.newestKnown, a.anyStored = true, ok && (a.win == nil || len(newest) >= 8)
		if a.anyStored && a.win != nil {
			a.newestStored = binary.BigEndian.Uint64(newest)
		}
		a.cache.forgetEvicted()
		a.baseAny, a.baseNewest = a.anyStored, a.newestStored
	}
	if a.win != nil && (!a.anyStored || uint64(wstart) > a.newestStored) {
		return false // a window newer than any stored
	}
	if a.cache.evictedFull() {
		a.cache.forgetEvicted()
		a.baseAny, a.baseNewest = a.anyStored, a.newestStored
	}
	if a.baseAny && (a.win == nil || uint64(wstart) <= a.baseNewest) {
		return true
	}
	return a.cache.maybeEvicted(ck)
}

func (a *aggregateOp) markDirty(e *aggEntry, ck string) {
	if !e.isDirty {
		e.isDirty = true
		a.dirty = append(a.dirty, ck)
	}
}

func hasNull(vals []types.Value) bool {
	for _, v := range vals {
		if v == nil {
			return true
		}
	}
	return false
}

// fold applies a row's arguments to an entry (add, or undo when retracting).
func (a *aggregateOp) fold(t *Task, e *aggEntry, row types.Row, retract bool) error {
	c := &a.ctx
	c.row = row
	for i, impl := range a.impls {
		args := a.argBuf[:0]
		transient := a.transient[i]
		for _, f := range a.args[i] {
			v, err := f(c)
			if err != nil {
				t.recordError("aggregate "+a.plan.Calls[i].Name, err, row)
				v = nil
			}
			if !transient {
				// The accumulator may keep v: it must not keep the
				// record's arena alive (types.Arena).
				v = types.Detach(v)
			}
			args = append(args, v)
		}
		a.argBuf = args[:0]
		var err error
		var acc types.Value
		if retract {
			acc, err = a.undo[i].Undo(e.accs[i], args)
		} else {
			acc, err = impl.Add(e.accs[i], args)
		}
		if err != nil {
			t.recordError("aggregate "+a.plan.Calls[i].Name, err, row)
			continue
		}
		e.accs[i] = acc
	}
	return nil
}

func (a *aggregateOp) process(t *Task, ev *event) error {
	if ev.old != nil {
		oldKey := ev.old[:a.k]
		if !hasNull(oldKey) {
			// load keeps a detached copy of the key of a new group.
			e, ck, err := a.load(t, oldKey, 0, 0)
			if err != nil {
				return err
			}
			if err := a.fold(t, e, ev.old, true); err != nil {
				return err
			}
			e.ts = max(e.ts, ev.ts)
			a.markDirty(e, ck)
			if ev.row != nil && !ev.tomb && types.Compare([]types.Value(oldKey), []types.Value(ev.row[:a.k])) == 0 {
				if err := a.fold(t, e, ev.row, false); err != nil {
					return err
				}
				return a.update(t, e, ev)
			}
			if err := a.update(t, e, ev); err != nil {
				return err
			}
		}
	}
	if ev.row == nil || ev.tomb {
		return nil
	}
	key := ev.row[:a.k]
	if hasNull(key) {
		return nil // ksqlDB drops rows whose grouping key is NULL
	}
	// key aliases the input row: load keeps a detached copy of a new
	// group's key, and nothing else keeps it.
	if a.win == nil {
		e, ck, err := a.load(t, key, 0, 0)
		if err != nil {
			return err
		}
		if err := a.fold(t, e, ev.row, false); err != nil {
			return err
		}
		e.ts = max(e.ts, ev.ts)
		a.markDirty(e, ck)
		return a.update(t, e, ev)
	}
	return a.processWindowed(t, ev, key)
}

func copyRow(r types.Row) types.Row { return append(types.Row(nil), r...) }

// windowsFor returns the starts of the time windows containing ts.
func windowsFor(w *planner.WindowSpec, ts int64) []int64 {
	return appendWindowsFor(nil, w, ts)
}

// appendWindowsFor appends the starts of the time windows containing ts
// to dst, oldest first, as Kafka Streams emits them.
func appendWindowsFor(dst []int64, w *planner.WindowSpec, ts int64) []int64 {
	size, adv := w.SizeMs, w.AdvanceMs
	last := ts - ts%adv
	n := len(dst)
	for s := last; s > ts-size && s >= 0; s -= adv {
		dst = append(dst, s)
	}
	out := dst[n:]
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return dst
}

func (a *aggregateOp) processWindowed(t *Task, ev *event, key types.Row) error {
	if a.fin != nil {
		return a.processFinal(t, ev, key)
	}
	// A window closes once stream time passes its end plus grace.
	return a.foldWindows(t, ev, key, t.streamTime-a.win.GraceMs)
}

// foldWindows folds the record into each of its windows that is still
// open (ends after closeTime) and passes on the results (update).
func (a *aggregateOp) foldWindows(t *Task, ev *event, key types.Row, closeTime int64) error {
	a.winBuf = appendWindowsFor(a.winBuf[:0], a.win, ev.ts)
	for _, start := range a.winBuf {
		end := start + a.win.SizeMs
		if end <= closeTime {
			t.unpublished.late++
			continue
		}
		e, ck, err := a.load(t, key, start, end)
		if err != nil {
			return err
		}
		if err := a.fold(t, e, ev.row, false); err != nil {
			return err
		}
		e.ts = max(e.ts, ev.ts)
		a.markDirty(e, ck)
		if a.fin != nil {
			a.fin.storeObs = max(a.fin.storeObs, start)
		}
		if err := a.update(t, e, ev); err != nil {
			return err
		}
	}
	return nil
}

// update passes on a group's new result: at once without the record
// cache; with it, the group goes to the end of the dirty list, and past
// the task's budget every dirty group is forwarded.
func (a *aggregateOp) update(t *Task, e *aggEntry, ev *event) error {
	if a.fin != nil {
		return nil // EMIT FINAL: emitted when its window closes
	}
	if a.rc == nil {
		return a.emit(t, e, ev.partition, ev.offset)
	}
	e.part, e.off = ev.partition, ev.offset
	return a.cacheEntry(t, e)
}

// cacheEntry marks e dirty in the record cache (its size recomputed).
func (a *aggregateOp) cacheEntry(t *Task, e *aggEntry) error {
	e.fwd.val = e
	size := entryOverhead + rowSize(e.key) + rowSize(e.accs)
	if a.win != nil {
		size += 16
	}
	if a.rc.add(a.fwd.touch(&e.fwd, size)) {
		return a.forwardCached(t)
	}
	return nil
}

// forwardCached forwards every dirty group, least recently updated first.
func (a *aggregateOp) forwardCached(t *Task) error {
	for {
		n, ok := a.fwd.pop()
		if !ok {
			return nil
		}
		a.rc.used -= n.size
		if err := a.emit(t, n.val, n.val.part, n.val.off); err != nil {
			return err
		}
	}
}

// emit computes the group's result, applies HAVING and projects the sink
// row; partition and offset locate the input record of the latest update.
func (a *aggregateOp) emit(t *Task, e *aggEntry, partition int32, offset int64) error {
	width := a.k + len(a.impls)
	if a.win != nil {
		width += 2
	}
	if cap(a.outBuf) < width {
		a.outBuf = make(types.Row, width)
	}
	out := a.outBuf[:width]
	clear(out)
	copy(out, e.key)
	for i, impl := range a.impls {
		v, err := impl.Result(e.accs[i])
		if err != nil {
			t.recordError("aggregate "+a.plan.Calls[i].Name, err, out)
			v = nil
		}
		out[a.k+i] = v
	}
	if a.win != nil {
		out[width-2], out[width-1] = e.wstart, e.wend
	}
	pass := true
	if a.having != nil {
		a.ctx.row = out
		v, err := a.having(&a.ctx)
		if err != nil {
			t.recordError("HAVING", err, out)
		}
		pass = v == true
	}
	if !pass && !e.emitted {
		return nil
	}
	c := &a.ctx
	c.row = out
	var sinkRow types.Row
	if a.reuseSink {
		if cap(a.sinkBuf) < len(a.project) {
			a.sinkBuf = make(types.Row, len(a.project))
		}
		sinkRow = a.sinkBuf[:len(a.project)]
		clear(sinkRow)
	} else {
		sinkRow = make(types.Row, len(a.project))
	}
	for i, f := range a.project {
		v, err := f(c)
		if err != nil {
			t.recordError("SELECT", err, out)
			v = nil
		}
		sinkRow[i] = v
	}
	e.emitted = pass
	oev := &a.evBuf // not kept by the next operator: no allocation
	*oev = event{row: sinkRow, tomb: !pass, ts: e.ts, partition: partition, offset: offset}
	if a.win != nil {
		oev.windowed, oev.wstart, oev.wend = true, e.wstart, e.wend
	}
	return a.next.process(t, oev)
}

// flush writes dirty groups to the commit batch and expires old windows.
func (a *aggregateOp) flush(t *Task) error {
	// The dirty groups are encoded in the order they were dirtied (the
	// order their entries sit in memory), then written in key order: the
	// store inserts a sorted run into its memtable several times faster,
	// each insert starting where the previous one ended.
	buf, ws := a.flushBuf[:0], a.flushWrites[:0]
	for _, ck := range a.dirty {
		e, _ := a.cache.get(ck)
		if e == nil || !e.isDirty {
			continue
		}
		k0 := len(buf)
		buf = append(buf, ck...)
		k1 := len(buf)
		buf = appendAggState(buf, e.accs, e.ts, e.emitted)
		ws = append(ws, newStateWrite(ck, k0, k1, len(buf)))
		e.isDirty = false
		if w := uint64(e.wstart); a.win == nil {
			a.anyStored = true
		} else if !a.anyStored || w > a.newestStored {
			a.newestStored, a.anyStored = w, true
		}
	}
	sortStateWrites(ws, buf)
	for _, w := range ws {
		t.stateSet(a.store, buf[w.k0:w.k1], buf[w.k1:w.v1])
	}
	if cap(buf) > 16<<20 {
		buf = nil // a burst's buffer is not kept
	}
	a.flushBuf, a.flushWrites = buf[:0], ws[:0]
	a.dirty = a.dirty[:0]
	if a.fin != nil {
		a.flushFinal(t)
	}
	if a.win != nil && a.win.RetentionMs > 0 {
		// Windows older than the retention are deleted: one range delete
		// in the store (window start leads the key) and the expired
		// buckets of the cache. Done once per window size of progress.
		cutoff := t.streamTime - a.win.RetentionMs - a.win.SizeMs
		if cutoff > 0 && cutoff-a.expiredBefore >= a.win.AdvanceMs {
			t.stateDeleteRange(a.store, binary.BigEndian.AppendUint64(nil, 0), binary.BigEndian.AppendUint64(nil, uint64(cutoff)))
			for start, keys := range a.byWindow {
				if start < cutoff {
					for _, ck := range keys {
						a.cache.del(ck)
					}
					delete(a.byWindow, start)
				}
			}
			a.expiredBefore = cutoff
		}
	}
	a.cache.trim(func(_ string, e *aggEntry) bool { return e.isDirty })
	return nil
}

// reset drops in-memory state after a failed commit; it reloads from the store.
func (a *aggregateOp) reset() {
	if a.rc != nil {
		a.rc.used -= a.fwd.clear()
	}
	a.cache.reset()
	clear(a.byWindow)
	a.dirty = a.dirty[:0]
	a.newestKnown = false // the store may have changed under us (restore)
	if a.fin != nil {
		a.fin.loaded = false
	}
}

// stateWrite is one key and value encoded in a flush buffer: the key at
// [k0, k1), the value at [k1, v1). hi and lo are the key's first 16
// bytes as big-endian integers (zero-padded), which order like the bytes.
type stateWrite struct {
	hi, lo     uint64
	k0, k1, v1 int
}

func newStateWrite(key string, k0, k1, v1 int) stateWrite {
	var b [16]byte
	copy(b[:], key)
	return stateWrite{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:]), k0, k1, v1}
}

// sortStateWrites orders writes by key. Most keys differ in their first
// 16 bytes (a window start, then the group key), so integer comparisons
// decide almost every pair.
func sortStateWrites(ws []stateWrite, buf []byte) {
	slices.SortFunc(ws, func(x, y stateWrite) int {
		if c := cmp.Compare(x.hi, y.hi); c != 0 {
			return c
		}
		if c := cmp.Compare(x.lo, y.lo); c != 0 {
			return c
		}
		return bytes.Compare(buf[x.k0:x.k1], buf[y.k0:y.k1])
	})
}
