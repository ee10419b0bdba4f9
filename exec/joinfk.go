package exec

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math"
	"slices"

	"github.com/ksqlgo/ksql/planner"
	"github.com/ksqlgo/ksql/sql/types"
	"github.com/ksqlgo/ksql/state"
)

// foreignKeyJoin is the foreign-key table-table join (INNER or LEFT), as
// Kafka Streams' KTable-KTable foreign-key join (docs/design-joins.md,
// sections 3.4 and 8). The left table's row carries the foreign key in
// slot FKSlot (computed by the planner); the right table is keyed by it.
// The result is a table keyed by the left table's key (KeyCount slots).
//
// # Protocol, made synchronous
//
// Kafka Streams runs the join as a subscription/response protocol: a left
// update (old, new) sends instructions keyed by the foreign key to the
// right side, which keeps a subscription store (fk, K) → hash of the left
// value, answers with its row, and the left side joins the answer with
// its current row, dropping answers whose hash no longer matches that
// row. One task reads both tables here and handles one record at a time,
// so every answer is handled at once; what remains observable, and is
// copied exactly, is which instructions are sent and the hash check:
//
// Left update for K with old row (or none) and new row, with ofk and nfk
// the old and new foreign keys (fk equality is equality of encodings):
//
//   - INNER, insert: nfk NULL: nothing. Else subscribe (nfk, K); R(nfk)
//     exists → joined row, else nothing.
//   - INNER, update: ofk or nfk NULL: nothing at all (Kafka Streams drops
//     the update, so the subscriptions stay as they were). Else: ofk ≠ nfk
//     unsubscribes (ofk, K); subscribe (nfk, K); R(nfk) exists → joined
//     row, else a tombstone.
//   - INNER, delete: ofk NULL: nothing (Kafka Streams' quirk again). Else
//     unsubscribe (ofk, K) and emit a tombstone.
//   - LEFT, insert or update: when there was an old row with ofk not NULL
//     and ofk ≠ nfk: unsubscribe (ofk, K) and emit new L + NULLs (the
//     answer to the unsubscription, joined with the current row). Then:
//     nfk NULL → new L + NULLs; else subscribe (nfk, K) and emit the joined
//     row if R(nfk) exists, else new L + NULLs.
//   - LEFT, delete: unsubscribe (ofk, K) if ofk is not NULL; one tombstone.
//   - A delete of a key that has no row emits nothing (Kafka Streams sends
//     no instruction for a change from null to null).
//
// Left-triggered results are stamped max(left ts, R's row ts) when the
// right row that answered exists (for an unsubscription: R(ofk)), else
// with the left record's timestamp.
//
// Right update for fk (row or delete; a delete of an absent row counts):
// every subscription (fk, K) whose hash matches K's current left row, in
// the order of the subscriptions' keys, emits: row → joined row; delete →
// INNER tombstone, LEFT current L + NULLs; all stamped with the right
// record's timestamp. A subscription whose hash does not match only
// exists after an INNER update dropped by the quirk above, and emits
// nothing, as in Kafka Streams.
//
// Records whose key (left key slots, or the right key) has a NULL slot are
// dropped, as Kafka Streams' table sources drop null keys. Every
// qualifying update emits, also when the result equals the previous one
// (no emit-on-change), and a delete emits its tombstone also when the
// previous result already was one.
//
// # Order of right-triggered results
//
// Kafka Streams scans its subscription store by prefix: (fk, K) ordered
// by K's serialized key bytes. Without the key format at hand the
// subscription key orders K by fkSortKey: for a single key column of
// type INT, BIGINT, DOUBLE, STRING or BYTES its KAFKA-format bytes (big
// endian, two's complement: so non-negative numbers ascend and come
// before negative ones, as Kafka Streams orders them), for other keys the
// engine's encoding (appendRow), which orders no better than
// arbitrarily. JSON-format keys order by their text in Kafka Streams,
// which differs for numbers (2 before 10 here, after it there).
//
// # Output events
//
// Results are table changes keyed by the left key: the row is
// [left key..., left[KeyCount:LeftWidth]..., right[1:RightWidth]...,
// ROWTIME, ROWPARTITION, ROWOFFSET] (NULLs for a missing right row); a
// tombstone has tomb set and a row of the key slots and the pseudo
// columns, the rest NULL. ev.old is the previous result for the key (nil
// when there was none or it was a tombstone), as the result table's old
// values in Kafka Streams, so downstream table filters and aggregations
// can retract. Partition, offset and headers are the triggering record's.
//
// # State
//
// Four stores, all written through Task.stateSet/stateDelete at flush
// only; until then changes live in memory overlays that reads consult
// first (a state.Batch cannot be read). reset drops the overlays.
//
//   - StoreName+"-left":  appendRow(K) → varint ts | appendRow(left[KeyCount:LeftWidth])
//   - StoreName+"-right": appendRow(fk) → varint ts | appendRow(right[1:RightWidth])
//   - StoreName+"-subs":  appendRow(fk) | fkSortKey(K) → hash (16 bytes) | appendRow(K)
//   - StoreName+"-out":   appendRow(K) → appendRow(previous result row)
//
// The hash is FNV-128a of the left store's encoding of the subscribed
// row's non-key slots. appendRow(fk) is self-delimiting, so the
// subscriptions of fk are exactly the keys with that prefix: one range
// scan, streamed (merged with the overlay) rather than collected.
type foreignKeyJoin struct {
	plan     *planner.Join
	k        int // left key slots
	rk       int // right key slots (1)
	leftJoin bool
	next     operator
	stores   [fkNStores]string
	// pend holds the uncommitted changes of the left, right and out
	// stores by key; subs those of the subscription store by appendRow(fk)
	// and then fkSortKey(K).
	pend [fkNStores]map[string]fkPend
	subs map[string]map[string]fkPend

	keyTypes, lvTypes, rvTypes, outTypes []*types.Type
}

// Store indexes of foreignKeyJoin.stores.
const (
	fkLeft = iota
	fkRight
	fkOut
	fkSubs
	fkNStores
)

// fkPend is an uncommitted value (del: deleted).
type fkPend struct {
	val []byte
	del bool
}

const fkHashLen = 16

// newForeignKeyJoin builds the operator of a ForeignKey join.
func newForeignKeyJoin(o *planner.Join) (*foreignKeyJoin, error) {
	if o.Kind != planner.ForeignKey {
		return nil, fmt.Errorf("foreign-key join operator for a join of kind %d", o.Kind)
	}
	if o.Type != planner.InnerJoin && o.Type != planner.LeftJoin {
		return nil, fmt.Errorf("foreign-key join: join type %d (only INNER and LEFT)", o.Type)
	}
	if o.Windowed {
		return nil, fmt.Errorf("foreign-key join of windowed tables")
	}
	if o.KeyCount < 1 || o.KeyCount > o.LeftWidth {
		return nil, fmt.Errorf("foreign-key join: left key of %d slots for a row of %d", o.KeyCount, o.LeftWidth)
	}
	if o.RightKeyCount != 1 || o.RightWidth < o.RightKeyCount {
		return nil, fmt.Errorf("foreign-key join: right key of %d slots for a row of %d", o.RightKeyCount, o.RightWidth)
	}
	if o.FKSlot < 0 || o.FKSlot >= o.LeftWidth {
		return nil, fmt.Errorf("foreign-key join: foreign key slot %d of a row of %d", o.FKSlot, o.LeftWidth)
	}
	j := &foreignKeyJoin{plan: o, k: o.KeyCount, rk: o.RightKeyCount, leftJoin: o.Type == planner.LeftJoin}
	j.stores[fkLeft] = o.StoreName + "-left"
	j.stores[fkRight] = o.StoreName + "-right"
	j.stores[fkOut] = o.StoreName + "-out"
	j.stores[fkSubs] = o.StoreName + "-subs"
	j.keyTypes = fkSlotTypes(o.LeftTypes, 0, j.k)
	j.lvTypes = fkSlotTypes(o.LeftTypes, j.k, o.LeftWidth)
	j.rvTypes = fkSlotTypes(o.RightTypes, j.rk, o.RightWidth)
	j.outTypes = slices.Concat(j.keyTypes, j.lvTypes, j.rvTypes, []*types.Type{types.BigintType, types.IntegerType, types.BigintType})
	return j, nil
}

// fkSlotTypes returns ts[from:to], with nil for the slots ts lacks.
func fkSlotTypes(ts []*types.Type, from, to int) []*types.Type {
	out := make([]*types.Type, to-from)
	for i := range out {
		if from+i < len(ts) {
			out[i] = ts[from+i]
		}
	}
	return out
}

func (j *foreignKeyJoin) setNext(next operator) { j.next = next }

// fkBytes is the encoding of a foreign key value (or of the right key).
func fkBytes(v types.Value) []byte { return appendRow(nil, types.Row{v}) }

// fkSortKey appends the bytes that order the left keys of one foreign key
// (see the type's doc): KAFKA-format bytes for a single primitive key
// column, else appendRow. Within one table the choice depends only on the
// key's type (keys with NULL slots are dropped), so it is injective.
func fkSortKey(b []byte, key types.Row) []byte {
	if len(key) == 1 {
		switch x := key[0].(type) {
		case int32:
			return binary.BigEndian.AppendUint32(b, uint32(x))
		case int64:
			return binary.BigEndian.AppendUint64(b, uint64(x))
		case float64:
			return binary.BigEndian.AppendUint64(b, math.Float64bits(x))
		case string:
			return append(b, x...)
		case []byte:
			return append(b, x...)
		}
	}
	return appendRow(b, key)
}

func fkHash(enc []byte) []byte {
	h := fnv.New128a()
	h.Write(enc)
	return h.Sum(nil)
}

// get reads a key of store s: the overlay's value, else the committed one.
func (j *foreignKeyJoin) get(t *Task, s int, key []byte) ([]byte, bool, error) {
	if p, ok := j.pend[s][string(key)]; ok {
		return p.val, !p.del, nil
	}
	return t.stateGet(j.stores[s], key)
}

func (j *foreignKeyJoin) put(s int, key, val []byte, del bool) {
	if j.pend[s] == nil {
		j.pend[s] = map[string]fkPend{}
	}
	j.pend[s][string(key)] = fkPend{val: val, del: del}
}

func (j *foreignKeyJoin) putSub(fkb, sk, val []byte, del bool) {
	if j.subs == nil {
		j.subs = map[string]map[string]fkPend{}
	}
	m := j.subs[string(fkb)]
	if m == nil {
		m = map[string]fkPend{}
		j.subs[string(fkb)] = m
	}
	m[string(sk)] = fkPend{val: val, del: del}
}

// splitTs splits a left or right store value into its timestamp and the
// encoded slots.
func (j *foreignKeyJoin) splitTs(s int, raw []byte) (int64, []byte, error) {
	ts, n := binary.Varint(raw)
	if n <= 0 {
		return 0, nil, fmt.Errorf("corrupt join state in %s: %w", j.stores[s], errCorrupt)
	}
	return ts, raw[n:], nil
}

func (j *foreignKeyJoin) decodeVals(s int, enc []byte, ts []*types.Type) (types.Row, error) {
	vals, _, err := decodeRow(enc, ts)
	if err != nil {
		return nil, fmt.Errorf("corrupt join state in %s: %w", j.stores[s], err)
	}
	return vals, nil
}

// loadLeft returns K's current left row: its non-key slots, their
// encoding, and whether there is one.
func (j *foreignKeyJoin) loadLeft(t *Task, kb []byte) (types.Row, []byte, bool, error) {
	raw, found, err := j.get(t, fkLeft, kb)
	if err != nil || !found {
		return nil, nil, false, err
	}
	_, enc, err := j.splitTs(fkLeft, raw)
	if err != nil {
		return nil, nil, false, err
	}
	vals, err := j.decodeVals(fkLeft, enc, j.lvTypes)
	return vals, enc, err == nil, err
}

// loadRight returns the right row of key fkb: its non-key slots (when
// vals), its timestamp, and whether there is one.
func (j *foreignKeyJoin) loadRight(t *Task, fkb []byte, vals bool) (types.Row, int64, bool, error) {
	raw, found, err := j.get(t, fkRight, fkb)
	if err != nil || !found {
		return nil, 0, false, err
	}
	ts, enc, err := j.splitTs(fkRight, raw)
	if err != nil || !vals {
		return nil, ts, err == nil, err
	}
	row, err := j.decodeVals(fkRight, enc, j.rvTypes)
	return row, ts, err == nil, err
}

// fkOf returns the foreign key of the left row with key slots key and
// non-key slots vals.
func (j *foreignKeyJoin) fkOf(key, vals types.Row) types.Value {
	if s := j.plan.FKSlot; s < j.k {
		return key[s]
	} else if s-j.k < len(vals) {
		return vals[s-j.k]
	}
	return nil
}

// process handles a change of the left table.
func (j *foreignKeyJoin) process(t *Task, ev *event) error {
	p := j.plan
	del := ev.tomb || ev.row == nil
	src := ev.row
	if src == nil {
		src = ev.old // a table flow's delete: only the old row
	}
	if len(src) < j.k || !del && len(src) < p.LeftWidth {
		return fmt.Errorf("foreign-key join: left row of %d slots, want %d", len(src), p.LeftWidth)
	}
	key := src[:j.k]
	if hasNull(key) {
		return nil
	}
	kb := appendRow(nil, key)
	oldVals, _, found, err := j.loadLeft(t, kb)
	if err != nil {
		return err
	}
	var oldFK types.Value
	if found {
		oldFK = j.fkOf(key, oldVals)
	}
	ts := ev.ts
	sk := fkSortKey(nil, key)
	if del {
		if !found {
			return nil
		}
		j.put(fkLeft, kb, nil, true)
		if oldFK == nil {
			if !j.leftJoin {
				return nil // Kafka Streams drops it
			}
			return j.emit(t, ev, true, key, kb, nil, nil, ts, true)
		}
		ofb := fkBytes(oldFK)
		j.putSub(ofb, sk, nil, true)
		if _, rts, ok, err := j.loadRight(t, ofb, false); err != nil {
			return err
		} else if ok {
			ts = max(ts, rts)
		}
		return j.emit(t, ev, true, key, kb, nil, nil, ts, true)
	}
	vals := src[j.k:p.LeftWidth]
	enc := appendRow(nil, vals)
	j.put(fkLeft, kb, append(binary.AppendVarint(nil, ts), enc...), false)
	newFK := j.fkOf(key, vals)
	var nfb []byte
	if newFK != nil {
		nfb = fkBytes(newFK)
	}
	subscribe := func() {
		j.putSub(nfb, sk, append(fkHash(enc), kb...), false)
	}
	if !j.leftJoin {
		if newFK == nil || found && oldFK == nil {
			return nil // Kafka Streams drops it
		}
		if found {
			if ofb := fkBytes(oldFK); !bytes.Equal(ofb, nfb) {
				j.putSub(ofb, sk, nil, true)
			}
		}
		subscribe()
		rvals, rts, ok, err := j.loadRight(t, nfb, true)
		switch {
		case err != nil:
			return err
		case ok:
			return j.emit(t, ev, true, key, kb, vals, rvals, max(ts, rts), false)
		case found:
			return j.emit(t, ev, true, key, kb, nil, nil, ts, true)
		}
		return nil
	}
	if found && oldFK != nil {
		if ofb := fkBytes(oldFK); !bytes.Equal(ofb, nfb) {
			j.putSub(ofb, sk, nil, true)
			uts := ts
			if _, rts, ok, err := j.loadRight(t, ofb, false); err != nil {
				return err
			} else if ok {
				uts = max(ts, rts)
			}
			if err := j.emit(t, ev, true, key, kb, vals, nil, uts, false); err != nil {
				return err
			}
		}
	}
	if newFK == nil {
		return j.emit(t, ev, true, key, kb, vals, nil, ts, false)
	}
	subscribe()
	rvals, rts, ok, err := j.loadRight(t, nfb, true)
	if err != nil {
		return err
	}
	if ok {
		ts = max(ts, rts)
	}
	return j.emit(t, ev, true, key, kb, vals, rvals, ts, false)
}

// processRight handles a change of the right table.
func (j *foreignKeyJoin) processRight(t *Task, ev *event) error {
	p := j.plan
	del := ev.tomb || ev.row == nil
	src := ev.row
	if src == nil {
		src = ev.old
	}
	if len(src) < j.rk || !del && len(src) < p.RightWidth {
		return fmt.Errorf("foreign-key join: right row of %d slots, want %d", len(src), p.RightWidth)
	}
	if hasNull(src[:j.rk]) {
		return nil
	}
	fkb := appendRow(nil, src[:j.rk])
	var rvals types.Row
	if del {
		j.put(fkRight, fkb, nil, true)
	} else {
		rvals = src[j.rk:p.RightWidth]
		j.put(fkRight, fkb, append(binary.AppendVarint(nil, ev.ts), appendRow(nil, rvals)...), false)
	}
	return j.eachSub(t, fkb, func(val []byte) error {
		if len(val) < fkHashLen {
			return fmt.Errorf("corrupt join state in %s: %w", j.stores[fkSubs], errCorrupt)
		}
		kb := val[fkHashLen:]
		lvals, enc, found, err := j.loadLeft(t, kb)
		if err != nil || !found || !bytes.Equal(fkHash(enc), val[:fkHashLen]) {
			return err // a stale subscription: Kafka Streams drops its answer
		}
		key, _, err := decodeRow(kb, j.keyTypes)
		if err != nil || len(key) != j.k {
			return fmt.Errorf("corrupt join state in %s: %v", j.stores[fkSubs], err)
		}
		if del && !j.leftJoin {
			return j.emit(t, ev, false, key, kb, nil, nil, ev.ts, true)
		}
		return j.emit(t, ev, false, key, kb, lvals, rvals, ev.ts, false)
	})
}

// eachSub calls fn with the value of every subscription of fkb, in key
// order, merging the committed ones with the overlay. fn must not change
// the subscriptions.
func (j *foreignKeyJoin) eachSub(t *Task, fkb []byte, fn func(val []byte) error) error {
	over := j.subs[string(fkb)]
	oks := make([]string, 0, len(over))
	for sk := range over {
		oks = append(oks, sk)
	}
	slices.Sort(oks)
	lo := t.stateKey(j.stores[fkSubs], fkb)
	it, err := t.rt.State.NewIter(lo, state.PrefixEnd(lo))
	if err != nil {
		return err
	}
	oi := 0
	// overlayUpTo calls fn for the overlay's keys below sk (all when
	// last), skipping deletes.
	overlayUpTo := func(sk string, last bool) error {
		for ; oi < len(oks) && (last || oks[oi] < sk); oi++ {
			if e := over[oks[oi]]; !e.del {
				if err := fn(e.val); err != nil {
					return err
				}
			}
		}
		return nil
	}
	var ferr error
	for ok := it.First(); ok && ferr == nil; ok = it.Next() {
		sk := string(it.Key()[len(lo):])
		if ferr = overlayUpTo(sk, false); ferr != nil {
			break
		}
		if oi < len(oks) && oks[oi] == sk {
			continue // replaced by the overlay, handled with it
		}
		ferr = fn(bytes.Clone(it.Value()))
	}
	if err := it.Close(); err != nil && ferr == nil {
		ferr = err
	}
	if ferr != nil {
		return ferr
	}
	return overlayUpTo("", true)
}

// emit passes on one result for left key key (encoded kb): the joined row
// of the left non-key slots lvals and the right ones rvals (nil: NULLs),
// or a tombstone. ev is the triggering record; left says it is a left
// one. The previous result for the key becomes the event's old row.
func (j *foreignKeyJoin) emit(t *Task, ev *event, left bool, key types.Row, kb []byte, lvals, rvals types.Row, ts int64, tomb bool) error {
	p := j.plan
	row := make(types.Row, p.OutputWidth())
	copy(row, key)
	if !tomb {
		copy(row[j.k:p.LeftWidth], lvals)
		copy(row[p.LeftWidth:], rvals)
	}
	base := p.LeftWidth + p.RightWidth - j.rk
	row[base+planner.PseudoRowtime] = ts
	row[base+planner.PseudoRowpartition] = ev.partition
	row[base+planner.PseudoRowoffset] = ev.offset
	var old types.Row
	raw, found, err := j.get(t, fkOut, kb)
	if err != nil {
		return err
	}
	if found {
		if old, err = j.decodeVals(fkOut, raw, j.outTypes); err != nil {
			return err
		}
	}
	if tomb {
		j.put(fkOut, kb, nil, true)
	} else {
		j.put(fkOut, kb, appendRow(nil, row), false)
	}
	out := event{row: row, tomb: tomb, old: old, ts: ts, partition: ev.partition, offset: ev.offset, headers: ev.headers}
	if left {
		out.nullKey = ev.nullKey
	}
	return j.next.process(t, &out)
}

// lookup is the join's current result for a left key (rowLookup): what
// a table-table join after it in an n-way join reads as its left side.
// The out store holds it (tombstones delete it).
func (j *foreignKeyJoin) lookup(t *Task, key []byte, _ *event) (types.Row, int64, error) {
	raw, found, err := j.get(t, fkOut, key)
	if err != nil || !found {
		return nil, 0, err
	}
	row, err := j.decodeVals(fkOut, raw, j.outTypes)
	if err != nil {
		return nil, 0, err
	}
	p := j.plan
	ts, _ := row[p.LeftWidth+p.RightWidth-j.rk+planner.PseudoRowtime].(int64)
	return row, ts, nil
}

func (j *foreignKeyJoin) nextOp() operator { return j.next }

// flush writes the uncommitted changes into the commit batch, in key
// order per store.
func (j *foreignKeyJoin) flush(t *Task) error {
	for s := range fkSubs {
		m := j.pend[s]
		if len(m) == 0 {
			continue
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if e := m[k]; e.del {
				t.stateDelete(j.stores[s], []byte(k))
			} else {
				t.stateSet(j.stores[s], []byte(k), e.val)
			}
		}
		clear(m)
	}
	if len(j.subs) > 0 {
		fks := make([]string, 0, len(j.subs))
		for fk := range j.subs {
			fks = append(fks, fk)
		}
		slices.Sort(fks)
		var kb []byte
		for _, fk := range fks {
			m := j.subs[fk]
			sks := make([]string, 0, len(m))
			for sk := range m {
				sks = append(sks, sk)
			}
			slices.Sort(sks)
			for _, sk := range sks {
				kb = append(append(kb[:0], fk...), sk...)
				if e := m[sk]; e.del {
					t.stateDelete(j.stores[fkSubs], kb)
				} else {
					t.stateSet(j.stores[fkSubs], kb, e.val)
				}
			}
		}
		clear(j.subs)
	}
	return nil
}

// reset drops the uncommitted changes: reads see the committed state.
func (j *foreignKeyJoin) reset() {
	for s := range j.pend {
		clear(j.pend[s])
	}
	clear(j.subs)
}
