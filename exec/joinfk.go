package exec

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math"
	"slices"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/exec/serde"
	"github.com/ksqlgo/ksql/planner"
	"github.com/ksqlgo/ksql/sql/types"
	"github.com/ksqlgo/ksql/state"
)

// Foreign-key table-table joins (INNER or LEFT), run as Kafka Streams
// runs them (docs/design-joins.md, sections 3.4 and 8): a subscription/
// response protocol between two stages, so the tables may have any
// partition counts. The left table's row carries the foreign key in slot
// FKSlot (computed by the planner); the right table is keyed by it. The
// result is a table keyed by the left table's key (KeyCount slots).
//
//   - The left half (foreignKeyJoin, stage X: main input L, side input the
//     response topic, L's partitions) materializes L and, on each left
//     update, sends instructions keyed by the foreign key to the
//     subscription topic (co-partitioned with R): Kafka Streams'
//     SubscriptionSendProcessorSupplier. It joins each response with K's
//     CURRENT left row, dropping responses whose hash is not that row's
//     (stale answers after a change of the row): ResponseJoinProcessorSupplier.
//   - The right half (fkRightJoin, stage Y: main input R, side input the
//     subscription topic, R's partitions) materializes R and the
//     subscription store (fk, K) → hash, partition; it answers each
//     instruction (SubscriptionReceive/SubscriptionJoinProcessorSupplier)
//     and each R update, to every subscriber of its key
//     (ForeignTableJoinProcessorSupplier), with a response keyed by K to the
//     partition of the left task that subscribed.
//
// Each stage commits on its own with the task protocols, so what one half
// writes to the other is exactly-once like any repartition topic.
//
// # Instructions
//
// Left update for K with old row (or none) and new row, with ofk and nfk
// the old and new foreign keys (fk equality is equality of encodings); h
// is the hash of the new row:
//
//   - INNER, insert: nfk NULL: nothing. Else subscribe (nfk, K, h),
//     answered only if R(nfk) exists (joined row).
//   - INNER, update: ofk or nfk NULL: nothing at all (Kafka Streams drops
//     the update, so the subscriptions stay as they were). Else: ofk ≠ nfk
//     unsubscribes (ofk, K) without answer; subscribe (nfk, K, h),
//     answered always: joined row, or a tombstone without R(nfk).
//   - INNER, delete: ofk NULL: nothing (Kafka Streams' quirk again). Else
//     unsubscribe (ofk, K), answered with no row: a tombstone.
//   - LEFT, insert or update: when there was an old row with ofk not NULL
//     and ofk ≠ nfk: unsubscribe (ofk, K) without answer and emit new L +
//     NULLs at once (the answer Kafka Streams sends back for the
//     unsubscription, which would race with the new subscription's answer
//     across partitions; here it is stamped with the left record's
//     timestamp). Then: nfk NULL → new L + NULLs at once; else subscribe
//     (nfk, K, h), answered always: joined row or new L + NULLs.
//   - LEFT, delete: ofk not NULL: unsubscribe (ofk, K), answered with no
//     row: one tombstone. ofk NULL: a tombstone at once.
//   - A delete of a key that has no row does nothing (Kafka Streams sends
//     no instruction for a change from null to null).
//
// An answer to a left-triggered instruction is stamped max(left ts, R's
// row ts) when R's row exists, else with the left record's timestamp.
//
// Right update for fk (row or delete; a delete of an absent row counts):
// every subscription (fk, K), in the order of the subscriptions' keys, is
// answered with the row (or no row), stamped with the right record's
// timestamp.
//
// The left half joins an answer whose hash is K's current row's (a
// deleted row's hash is NULL): no right row and (INNER or no left row) →
// tombstone; else the current left row joined with the right one (NULLs
// when there is none). A subscription whose hash no longer matches (after
// an INNER update dropped by the quirks above) is answered but the answer
// is dropped, as in Kafka Streams.
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
// which differs for numbers (2 before 10 here, after it there). Results
// for keys on different left partitions have no order between them.
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
// can retract. ROWPARTITION and ROWOFFSET are the triggering record's
// (left or right; carried through the topics).
//
// # State
//
// Each half has two stores, all written through Task.stateSet/stateDelete
// at flush only; until then changes live in memory overlays that reads
// consult first (a state.Batch cannot be read). reset drops the overlays.
//
//   - left half, StoreName+"-left": appendRow(K) → varint ts | appendRow(left[KeyCount:LeftWidth])
//   - left half, StoreName+"-out":  appendRow(K) → appendRow(previous result row)
//   - right half, StoreName+"-right": appendRow(fk) → varint ts | appendRow(right[1:RightWidth])
//   - right half, StoreName+"-subs":  appendRow(fk) | fkSortKey(K) → hash (16 bytes) | partition (4 bytes) | appendRow(K)
//
// The hash is FNV-128a of the left store's encoding of the subscribed
// row's non-key slots. appendRow(fk) is self-delimiting, so the
// subscriptions of fk are exactly the keys with that prefix: one range
// scan, streamed (merged with the overlay) rather than collected.
type foreignKeyJoin struct {
	fkShape
	fkStores
	next operator
	// subKey encodes foreign keys as the subscription topic's keys.
	subKey serde.Codec
}

// fkRightJoin is the right half of a foreign-key join (see above).
type fkRightJoin struct {
	fkShape
	fkStores
	// respKey encodes left keys as the response topic's keys.
	respKey serde.Codec
}

// fkShape is what both halves know of the join.
type fkShape struct {
	plan     *planner.Join
	k        int // left key slots
	rk       int // right key slots (1)
	leftJoin bool

	keyTypes, lvTypes, rvTypes, outTypes []*types.Type
}

// fkStores are the stores of one half, with their uncommitted changes.
type fkStores struct {
	stores [fkNStores]string
	// pend holds the uncommitted changes of the left, right and out
	// stores by key; subs those of the subscription store by appendRow(fk)
	// and then fkSortKey(K).
	pend [fkNStores]map[string]fkPend
	subs map[string]map[string]fkPend
}

// Store indexes of fkStores.stores.
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

// Instructions of subscription records (Kafka Streams'
// SubscriptionWrapper.Instruction).
const (
	fkUnsubscribe          int32 = iota + 1 // DELETE_KEY_NO_PROPAGATE
	fkUnsubscribeAnswer                     // DELETE_KEY_AND_PROPAGATE
	fkSubscribeAnswer                       // PROPAGATE_NULL_IF_NO_FK_VAL_AVAILABLE
	fkSubscribeAnswerFound                  // PROPAGATE_ONLY_IF_FK_VAL_AVAILABLE
)

// newFKShape checks a ForeignKey join's numbers.
func newFKShape(o *planner.Join) (fkShape, error) {
	if o.Kind != planner.ForeignKey {
		return fkShape{}, fmt.Errorf("foreign-key join operator for a join of kind %d", o.Kind)
	}
	if o.Type != planner.InnerJoin && o.Type != planner.LeftJoin {
		return fkShape{}, fmt.Errorf("foreign-key join: join type %d (only INNER and LEFT)", o.Type)
	}
	if o.Windowed {
		return fkShape{}, fmt.Errorf("foreign-key join of windowed tables")
	}
	if o.KeyCount < 1 || o.KeyCount > o.LeftWidth {
		return fkShape{}, fmt.Errorf("foreign-key join: left key of %d slots for a row of %d", o.KeyCount, o.LeftWidth)
	}
	if o.RightKeyCount != 1 || o.RightWidth < o.RightKeyCount {
		return fkShape{}, fmt.Errorf("foreign-key join: right key of %d slots for a row of %d", o.RightKeyCount, o.RightWidth)
	}
	if o.FKSlot < 0 || o.FKSlot >= o.LeftWidth {
		return fkShape{}, fmt.Errorf("foreign-key join: foreign key slot %d of a row of %d", o.FKSlot, o.LeftWidth)
	}
	j := fkShape{plan: o, k: o.KeyCount, rk: o.RightKeyCount, leftJoin: o.Type == planner.LeftJoin}
	j.keyTypes = fkSlotTypes(o.LeftTypes, 0, j.k)
	j.lvTypes = fkSlotTypes(o.LeftTypes, j.k, o.LeftWidth)
	j.rvTypes = fkSlotTypes(o.RightTypes, j.rk, o.RightWidth)
	j.outTypes = slices.Concat(j.keyTypes, j.lvTypes, j.rvTypes, []*types.Type{types.BigintType, types.IntegerType, types.BigintType})
	return j, nil
}

func newFKStores(name string) fkStores {
	var s fkStores
	s.stores[fkLeft] = name + "-left"
	s.stores[fkRight] = name + "-right"
	s.stores[fkOut] = name + "-out"
	s.stores[fkSubs] = name + "-subs"
	return s
}

// fkTopicKey returns the key codec of one of the join's internal topics.
func fkTopicKey(tp planner.Topic, what string, slots int) (serde.Codec, error) {
	if tp.Name == "" || tp.Partitions < 1 || len(tp.Key) != slots {
		return nil, fmt.Errorf("foreign-key join: %s topic %q of %d partitions with %d key columns, want %d", what, tp.Name, tp.Partitions, len(tp.Key), slots)
	}
	tc, err := newTopicCodecs(tp)
	if err != nil {
		return nil, err
	}
	return tc.key, nil
}

// newForeignKeyJoin builds the operator of a ForeignKey join's half.
func newForeignKeyJoin(o *planner.Join) (joinOperator, error) {
	shape, err := newFKShape(o)
	if err != nil {
		return nil, err
	}
	switch o.FKRole {
	case planner.FKLeftHalf:
		key, err := fkTopicKey(o.Subscription, "subscription", 1)
		if err != nil {
			return nil, err
		}
		return &foreignKeyJoin{fkShape: shape, fkStores: newFKStores(o.StoreName), subKey: key}, nil
	case planner.FKRightHalf:
		key, err := fkTopicKey(o.Response, "response", shape.k)
		if err != nil {
			return nil, err
		}
		return &fkRightJoin{fkShape: shape, fkStores: newFKStores(o.StoreName), respKey: key}, nil
	}
	return nil, fmt.Errorf("foreign-key join: unknown half %d", o.FKRole)
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

// setNext: the right half writes the response topic itself (its stage's
// Repartition names it).
func (j *fkRightJoin) setNext(operator) {}

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
func (j *fkStores) get(t *Task, s int, key []byte) ([]byte, bool, error) {
	if p, ok := j.pend[s][string(key)]; ok {
		return p.val, !p.del, nil
	}
	return t.stateGet(j.stores[s], key)
}

func (j *fkStores) put(s int, key, val []byte, del bool) {
	if j.pend[s] == nil {
		j.pend[s] = map[string]fkPend{}
	}
	j.pend[s][string(key)] = fkPend{val: val, del: del}
}

func (j *fkStores) putSub(fkb, sk, val []byte, del bool) {
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
func (j *fkStores) splitTs(s int, raw []byte) (int64, []byte, error) {
	ts, n := binary.Varint(raw)
	if n <= 0 {
		return 0, nil, fmt.Errorf("corrupt join state in %s: %w", j.stores[s], errCorrupt)
	}
	return ts, raw[n:], nil
}

func (j *fkStores) decodeVals(s int, enc []byte, ts []*types.Type) (types.Row, error) {
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

// loadRight returns the right row of key fkb: its non-key slots, its
// timestamp, and whether there is one.
func (j *fkRightJoin) loadRight(t *Task, fkb []byte) (types.Row, int64, bool, error) {
	raw, found, err := j.get(t, fkRight, fkb)
	if err != nil || !found {
		return nil, 0, false, err
	}
	ts, enc, err := j.splitTs(fkRight, raw)
	if err != nil {
		return nil, 0, false, err
	}
	row, err := j.decodeVals(fkRight, enc, j.rvTypes)
	return row, ts, err == nil, err
}

// fkOf returns the foreign key of the left row with key slots key and
// non-key slots vals.
func (j *fkShape) fkOf(key, vals types.Row) types.Value {
	if s := j.plan.FKSlot; s < j.k {
		return key[s]
	} else if s-j.k < len(vals) {
		return vals[s-j.k]
	}
	return nil
}

// process handles a change of the left table: it sends the instructions
// of the type's doc and emits the results that need no answer.
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
	if del {
		if !found {
			return nil
		}
		j.put(fkLeft, kb, nil, true)
		if oldFK == nil {
			if !j.leftJoin {
				return nil // Kafka Streams drops it
			}
			return j.emit(t, key, kb, nil, nil, ev.ts, ev.partition, ev.offset, true)
		}
		return j.send(t, ev, oldFK, key, fkUnsubscribeAnswer, nil)
	}
	vals := src[j.k:p.LeftWidth]
	enc := appendRow(nil, vals)
	j.put(fkLeft, kb, append(binary.AppendVarint(nil, ev.ts), enc...), false)
	newFK := j.fkOf(key, vals)
	h := fkHash(enc)
	changed := found && oldFK != nil && (newFK == nil || !bytes.Equal(fkBytes(oldFK), fkBytes(newFK)))
	if !j.leftJoin {
		if newFK == nil || found && oldFK == nil {
			return nil // Kafka Streams drops it
		}
		if changed {
			if err := j.send(t, ev, oldFK, key, fkUnsubscribe, h); err != nil {
				return err
			}
		}
		instr := fkSubscribeAnswerFound
		if found {
			instr = fkSubscribeAnswer
		}
		return j.send(t, ev, newFK, key, instr, h)
	}
	if changed {
		if err := j.send(t, ev, oldFK, key, fkUnsubscribe, h); err != nil {
			return err
		}
		if err := j.emit(t, key, kb, vals, nil, ev.ts, ev.partition, ev.offset, false); err != nil {
			return err
		}
	}
	if newFK == nil {
		return j.emit(t, key, kb, vals, nil, ev.ts, ev.partition, ev.offset, false)
	}
	return j.send(t, ev, newFK, key, fkSubscribeAnswer, h)
}

// send writes an instruction for (fk, K) to the subscription topic, to
// the partition of fk's right row; hash is the new left row's (nil for a
// delete).
func (j *foreignKeyJoin) send(t *Task, ev *event, fk types.Value, key types.Row, instr int32, hash []byte) error {
	tp := &j.plan.Subscription
	kb, err := j.subKey.Encode(t.encodeBuf(), types.Row{fk})
	if err != nil {
		t.serializationError("key", tp.Name, err, types.Row{fk})
		return nil
	}
	kb = t.keepEncoded(kb)
	row := make(types.Row, 0, j.k+4)
	row = append(row, key...)
	var hv types.Value
	if hash != nil {
		hv = hash
	}
	row = append(row, hv, instr, t.partition, ev.offset)
	value := t.keepEncoded(appendEnvelope(t.encodeBuf(), row, nil))
	t.emit("", tp.Name, broker.PartitionForKey(kb, tp.Partitions), broker.Record{Key: kb, Value: value, Timestamp: ev.ts})
	return nil
}

// processRight handles a response: [K..., hash, found, right values...,
// partition, offset, pseudo columns...].
func (j *foreignKeyJoin) processRight(t *Task, ev *event) error {
	p := j.plan
	nr := p.RightWidth - j.rk
	row := ev.row
	if len(row) < j.k+4+nr {
		return fmt.Errorf("foreign-key join: response of %d slots, want %d", len(row), j.k+4+nr)
	}
	key := row[:j.k]
	if hasNull(key) {
		return nil
	}
	hash, _ := row[j.k].([]byte)
	rfound, _ := row[j.k+1].(bool)
	part, _ := row[j.k+2+nr].(int32)
	off, _ := row[j.k+3+nr].(int64)
	kb := appendRow(nil, key)
	vals, enc, found, err := j.loadLeft(t, kb)
	if err != nil {
		return err
	}
	var cur []byte
	if found {
		cur = fkHash(enc)
	}
	if !bytes.Equal(cur, hash) {
		return nil // a stale answer: the row changed since
	}
	if !found || !rfound && !j.leftJoin {
		return j.emit(t, key, kb, nil, nil, ev.ts, part, off, true)
	}
	var rvals types.Row
	if rfound {
		rvals = row[j.k+2 : j.k+2+nr]
	}
	return j.emit(t, key, kb, vals, rvals, ev.ts, part, off, false)
}

// process handles a change of the right table: every subscriber of its
// key is answered.
func (j *fkRightJoin) process(t *Task, ev *event) error {
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
		if len(val) < fkHashLen+4 {
			return fmt.Errorf("corrupt join state in %s: %w", j.stores[fkSubs], errCorrupt)
		}
		part := int32(binary.BigEndian.Uint32(val[fkHashLen:]))
		key, _, err := decodeRow(val[fkHashLen+4:], j.keyTypes)
		if err != nil || len(key) != j.k {
			return fmt.Errorf("corrupt join state in %s: %v", j.stores[fkSubs], err)
		}
		return j.answer(t, key, part, val[:fkHashLen], rvals, !del, ev.ts, ev.partition, ev.offset)
	})
}

// processRight handles an instruction: [fk, K..., hash, instruction,
// partition, offset, pseudo columns...].
func (j *fkRightJoin) processRight(t *Task, ev *event) error {
	row := ev.row
	if len(row) < 1+j.k+4 {
		return fmt.Errorf("foreign-key join: subscription of %d slots, want %d", len(row), 1+j.k+4)
	}
	fk, key := row[0], row[1:1+j.k]
	if fk == nil || hasNull(key) {
		return nil
	}
	hash, _ := row[1+j.k].([]byte)
	instr, _ := row[2+j.k].(int32)
	part, _ := row[3+j.k].(int32)
	off, _ := row[4+j.k].(int64)
	fkb := fkBytes(fk)
	sk := fkSortKey(nil, key)
	switch instr {
	case fkUnsubscribe, fkUnsubscribeAnswer:
		j.putSub(fkb, sk, nil, true)
	case fkSubscribeAnswer, fkSubscribeAnswerFound:
		if len(hash) != fkHashLen {
			return fmt.Errorf("foreign-key join: subscription with a hash of %d bytes", len(hash))
		}
		val := binary.BigEndian.AppendUint32(append(make([]byte, 0, fkHashLen+4+16), hash...), uint32(part))
		j.putSub(fkb, sk, appendRow(val, key), false)
	default:
		return fmt.Errorf("foreign-key join: unknown instruction %d", instr)
	}
	rvals, rts, ok, err := j.loadRight(t, fkb)
	if err != nil {
		return err
	}
	ts := ev.ts
	if ok {
		ts = max(ts, rts)
	}
	switch instr {
	case fkUnsubscribeAnswer:
		return j.answer(t, key, part, hash, nil, false, ts, part, off)
	case fkSubscribeAnswer:
		return j.answer(t, key, part, hash, rvals, ok, ts, part, off)
	case fkSubscribeAnswerFound:
		if ok {
			return j.answer(t, key, part, hash, rvals, true, ts, part, off)
		}
	}
	return nil
}

// answer writes a response for left key key to partition dest of the
// response topic: the subscription's hash, the right row (found) and the
// triggering record's partition and offset.
func (j *fkRightJoin) answer(t *Task, key types.Row, dest int32, hash []byte, rvals types.Row, found bool, ts int64, part int32, off int64) error {
	tp := &j.plan.Response
	kb, err := j.respKey.Encode(t.encodeBuf(), key)
	if err != nil {
		t.serializationError("key", tp.Name, err, key)
		return nil
	}
	kb = t.keepEncoded(kb)
	nr := j.plan.RightWidth - j.rk
	row := make(types.Row, 4+nr)
	if hash != nil {
		row[0] = hash
	}
	row[1] = found
	if found {
		copy(row[2:2+nr], rvals)
	}
	row[2+nr], row[3+nr] = part, off
	if dest < 0 || dest >= tp.Partitions {
		return fmt.Errorf("foreign-key join: subscription from partition %d of %d", dest, tp.Partitions)
	}
	value := t.keepEncoded(appendEnvelope(t.encodeBuf(), row, nil))
	t.emit("", tp.Name, dest, broker.Record{Key: kb, Value: value, Timestamp: ts})
	return nil
}

// eachSub calls fn with the value of every subscription of fkb, in key
// order, merging the committed ones with the overlay. fn must not change
// the subscriptions.
func (j *fkStores) eachSub(t *Task, fkb []byte, fn func(val []byte) error) error {
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
// or a tombstone, stamped ts, with the triggering record's partition and
// offset. The previous result for the key becomes the event's old row.
func (j *foreignKeyJoin) emit(t *Task, key types.Row, kb []byte, lvals, rvals types.Row, ts int64, part int32, off int64, tomb bool) error {
	p := j.plan
	row := make(types.Row, p.OutputWidth())
	copy(row, key)
	if !tomb {
		copy(row[j.k:p.LeftWidth], lvals)
		copy(row[p.LeftWidth:], rvals)
	}
	base := p.LeftWidth + p.RightWidth - j.rk
	row[base+planner.PseudoRowtime] = ts
	row[base+planner.PseudoRowpartition] = part
	row[base+planner.PseudoRowoffset] = off
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
	out := event{row: row, tomb: tomb, old: old, ts: ts, partition: part, offset: off}
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
func (j *fkStores) flush(t *Task) error {
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
func (j *fkStores) reset() {
	for s := range j.pend {
		clear(j.pend[s])
	}
	clear(j.subs)
}
