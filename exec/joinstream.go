package exec

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"github.com/ksqlgo/ksql/planner"
	"github.com/ksqlgo/ksql/sql/types"
)

// streamStreamJoin joins two streams within a time window, as Kafka
// Streams' KStreamKStreamJoin (docs/design-joins.md, section 5).
//
// # Matching
//
// Both inputs are keyed by the join key: the first KeyCount slots of the
// row, plus the event's window bounds when the join is Windowed. Keys
// compare by their encoding (appendRow of the key slots, then the window
// bounds), so windowed keys meet only when their windows are equal; a key
// with a NULL slot matches nothing. A left record at tL joins the right
// records of its key with tR in [tL-BeforeMs, tL+AfterMs]; a right record
// the left records with tL in [tR-AfterMs, tR+BeforeMs]. A RIGHT join is
// run as Kafka Streams runs it, (right LEFT JOIN left) with the same
// before and after, which mirrors the window: below, "before" and "after"
// are always those of the SQL left side (lBefore, lAfter), swapped for
// RIGHT. A match is emitted with the timestamp max(tL, tR); the matches
// of one record come in the other side's store order (timestamp, then
// arrival).
//
// Per record (process: left, processRight: right): a null value (tomb) is
// dropped; a record with a NULL key slot is dropped by INNER sides and
// emitted null-padded at once by an outer side. Otherwise: the join's
// stream time advances (the largest timestamp of both sides); with the
// outer store, expired parked records are emitted (below); the other
// side's window store is looked up; when nothing matched and this side is
// outer the record is emitted null-padded (or parked); last the record is
// put into its own side's store, so that it never sees itself.
//
// # Window stores and retention
//
// Each side has a window store holding every record (duplicates kept)
// with its own stream time, the largest timestamp put into it. The store
// hides records at or below its stream time minus the retention
// (BeforeMs+AfterMs+grace; Kafka Streams' segmented store returns only
// timestamps above streamTime-retention), and a record that would be
// hidden at once is not stored at all. Without GRACE PERIOD the grace is
// Kafka Streams' deprecated default, max(24h-2*BeforeMs, 0), unless the
// planner filled GraceMs.
//
// State key layout of a window store, as Kafka Streams' segmented window
// store: segment | key | timestamp | sequence, with segment = timestamp /
// segmentInterval (segmentInterval = max(retention/2, 1 minute), Kafka
// Streams' default) and every integer big-endian with the sign bit
// flipped (so that bytes order like the numbers). The key comes before
// the timestamp so that a lookup reads only its key's records: one seek
// per segment the window overlaps, at most three since a segment is at
// least half the retention and the window is within it. The segment comes
// first so that expiry is still one range delete per store: at flush,
// every segment wholly below streamTime-retention is deleted. A record
// can thus outlive the retention by up to a segment in the store, hidden
// by the lookup's time bound; the stored records of a store span at most
// retention plus one segment of time. The encoded key is self-delimiting,
// so a segment's records of one key are exactly those under the prefix
// segment|key. The sequence number (per store, never reused) orders
// duplicates by arrival and makes each record's state key unique. The
// value is appendRow of the row's non-key slots.
//
// # GRACE PERIOD and the outer store
//
// Without GRACE PERIOD an unmatched record of an outer side is emitted
// null-padded at once with its own timestamp, and a later match is
// emitted in addition (nothing is retracted). With GRACE PERIOD (Kafka
// Streams' KIP-633 semantics) it is emitted at once only if its window has
// already closed, ts+after < the join's stream time (for a right record
// "after" is lBefore, grace not included, as in Kafka Streams); otherwise
// it is parked in the outer store, keyed timestamp | side (0 left, 1
// right) | key, whose value is the list of the parked rows of that key
// (appendRow each, arrival order). A match deletes the other side's entry
// for the matched record's (timestamp, key) when the other side is outer.
//
// Parked records are emitted null-padded, with their own timestamp and
// the triggering record's partition, offset and headers, once their window
// and the grace have passed: left entries when ts+lAfter+grace < stream
// time, right ones when ts+lBefore+grace < stream time. Policy (section
// 5.3 of the design): the store is scanned on every record whose
// timestamp equals the join's stream time (as Kafka Streams), in key order
// = (timestamp, side: left first, key bytes), without Kafka Streams'
// wall-clock throttle of once per second. That throttle (and the QTT
// driver's frozen wall clock) makes Kafka Streams emit parked records much
// later or not at all in tests; scanning per record is the intended,
// deterministic behaviour, and gives the same output on every QTT case.
// A lower bound of the parked timestamps (minOuter) skips the scan when
// nothing can have expired.
//
// # State and commits
//
// Everything is written through Task.stateSet/stateDelete/
// stateDeleteRange, so the changelog protocol covers it, and only at
// flush: until then uncommitted puts live in memory (pending per store
// and key, the outer store's overlay, the stream times) and reads merge
// them with the committed store, which a state.Batch cannot be read from.
// reset drops all of it; the next record reloads from the store. The
// stream times and sequence numbers are one record of the "-time" store.
// Stores: StoreName+"-this" (left window store), "-other" (right),
// "-outer", "-time".
type streamStreamJoin struct {
	plan      *planner.Join
	k         int
	next      operator
	sides     [2]ssSide
	useOuter  bool // GRACE PERIOD and an outer side: the outer store exists
	grace     int64
	retention int64
	segment   int64 // segment interval of the window stores
	outerName string
	timeName  string

	// loaded says the fields below (and the sides' stream times and
	// sequence numbers) reflect the store plus uncommitted changes.
	loaded     bool
	streamTime int64 // the join's stream time; math.MinInt64: none
	timeDirty  bool
	// outer holds the outer store's uncommitted entries by state key (a
	// nil rows list: deleted).
	outer map[string]*ssParked
	// minOuter is at or below the timestamp of every parked entry, when
	// minOuterKnown (math.MaxInt64: none parked).
	minOuter      int64
	minOuterKnown bool

	// maxRecent bounds each side's records in memory (ssSide.recent);
	// storeOnly turns the memory off (tests compare the two paths).
	maxRecent int
	storeOnly bool

	keyBuf []byte // the current record's key bytes
	scanKB []byte // scratch for state keys
	found  []ssRec
}

// ssSide is one input's window store and outer-ness.
type ssSide struct {
	idx   int
	store string
	width int
	outer bool
	// A record of this side at t matches the other side's records in
	// [t-before, t+after].
	before, after int64
	// types are the slot types of this side's row (optional: decoding
	// struct values uses them for field names).
	types []*types.Type

	streamTime int64  // largest timestamp put; math.MinInt64: none
	seq        uint64 // next sequence number
	// pending holds the records put since the last flush, by key bytes,
	// ordered by (timestamp, sequence).
	pending map[string][]ssRec
	// expiredSeg: segments below it were deleted (math.MinInt64: not
	// known since the last load).
	expiredSeg int64
	// storedMaybe is false when the committed store is known to hold no
	// record of this side (lookups then skip it).
	storedMaybe bool
	// recent holds, by key and ordered by (timestamp, sequence), every
	// record put since the last load whose timestamp is at or above
	// recentFrom, committed or not: a lookup whose range starts at or
	// above recentFrom is answered from memory alone. In-order input
	// only ever looks back a window's length, so after each flush the
	// records older than that (recentWindow behind the join's stream
	// time) are dropped and recentFrom raised; after a load it is the
	// side's stream time plus one (the store holds nothing later).
	recent      map[string][]ssRec
	recentFrom  int64
	recentCount int
}

// maxRecent bounds the records a side keeps in memory for lookups
// (ssSide.recent); past it the side starts over from its stream time
// (a join window so wide that its recent records do not fit is looked
// up in the store).
const maxRecent = 1 << 18

// ssRec is one stored record: its timestamp, sequence number and encoded
// non-key slots.
type ssRec struct {
	ts  int64
	seq uint64
	val []byte
}

// ssParked is an outer store entry: the parked rows (encoded non-key
// slots), nil when the entry is deleted.
type ssParked struct {
	rows [][]byte
}

// defaultJoinGraceMs is Kafka Streams' 24 hours of the deprecated
// JoinWindows.of, which ksqlDB uses without GRACE PERIOD.
const defaultJoinGraceMs = 24 * 60 * 60 * 1000

// newStreamStreamJoin builds the operator of a StreamStream join.
func newStreamStreamJoin(o *planner.Join) (*streamStreamJoin, error) {
	if o.Kind != planner.StreamStream {
		return nil, fmt.Errorf("stream-stream join operator for a join of kind %d", o.Kind)
	}
	if o.KeyCount < 0 || o.KeyCount > o.LeftWidth || o.KeyCount > o.RightWidth {
		return nil, fmt.Errorf("stream-stream join: key of %d slots for rows of %d and %d", o.KeyCount, o.LeftWidth, o.RightWidth)
	}
	j := &streamStreamJoin{plan: o, k: o.KeyCount, outerName: o.StoreName + "-outer", timeName: o.StoreName + "-time", maxRecent: maxRecent}
	lBefore, lAfter := o.BeforeMs, o.AfterMs
	if o.Type == planner.RightJoin {
		lBefore, lAfter = lAfter, lBefore
	}
	j.sides[0] = ssSide{idx: 0, store: o.StoreName + "-this", width: o.LeftWidth, before: lBefore, after: lAfter,
		outer: o.Type == planner.LeftJoin || o.Type == planner.FullJoin}
	j.sides[1] = ssSide{idx: 1, store: o.StoreName + "-other", width: o.RightWidth, before: lAfter, after: lBefore,
		outer: o.Type == planner.RightJoin || o.Type == planner.FullJoin}
	j.grace = o.GraceMs
	if !o.Grace && j.grace == 0 {
		j.grace = max(defaultJoinGraceMs-2*o.BeforeMs, 0)
	}
	j.retention = o.BeforeMs + o.AfterMs + j.grace
	j.segment = max(j.retention/2, 60000)
	j.useOuter = o.Grace && (j.sides[0].outer || j.sides[1].outer)
	return j, nil
}

func (j *streamStreamJoin) setNext(next operator) { j.next = next }

// setTypes gives the slot types of the left and right rows, used to
// decode struct values read back from state (optional).
func (j *streamStreamJoin) setTypes(left, right []*types.Type) {
	j.sides[0].types, j.sides[1].types = left, right
}

// process handles a record of the left input.
func (j *streamStreamJoin) process(t *Task, ev *event) error { return j.handle(t, ev, 0) }

// processRight handles a record of the right input.
func (j *streamStreamJoin) processRight(t *Task, ev *event) error { return j.handle(t, ev, 1) }

func (j *streamStreamJoin) handle(t *Task, ev *event, s int) error {
	if ev.tomb || ev.row == nil {
		return nil // a stream's null value joins nothing
	}
	side, other := &j.sides[s], &j.sides[1-s]
	row := ev.row
	if len(row) < side.width {
		return fmt.Errorf("stream-stream join: row of %d slots, want %d", len(row), side.width)
	}
	key := row[:j.k]
	if hasNull(key) {
		if side.outer {
			return j.emit(t, ev, s, key, row[j.k:side.width], nil, ev.ts, ev.wstart, ev.wend)
		}
		return nil
	}
	if err := j.load(t); err != nil {
		return err
	}
	kb := j.appendKey(j.keyBuf[:0], key, ev)
	j.keyBuf = kb
	ts := ev.ts
	if ts > j.streamTime {
		j.streamTime, j.timeDirty = ts, true
	}
	if j.useOuter && ts == j.streamTime {
		if err := j.emitExpired(t, ev); err != nil {
			return err
		}
	}
	lo, hi := ts-side.before, ts+side.after
	matches, err := j.lookup(t, other, kb, lo, hi)
	if err != nil {
		return err
	}
	for _, m := range matches {
		if j.useOuter && other.outer {
			if err := j.unpark(t, m.ts, other.idx, kb); err != nil {
				return err
			}
		}
		vals, _, err := decodeRow(m.val, other.valueTypes(j.k))
		if err != nil {
			return fmt.Errorf("corrupt join state in %s: %w", other.store, err)
		}
		own := row[j.k:side.width]
		if err := j.emit(t, ev, s, key, own, vals, max(ts, m.ts), ev.wstart, ev.wend); err != nil {
			return err
		}
	}
	// matches aliases j.found: the emits above are done with it.
	val := appendRow(nil, row[j.k:side.width])
	if len(matches) == 0 && side.outer {
		if !j.useOuter || hi < j.streamTime {
			if err := j.emit(t, ev, s, key, row[j.k:side.width], nil, ts, ev.wstart, ev.wend); err != nil {
				return err
			}
		} else if err := j.park(t, ts, s, kb, val); err != nil {
			return err
		}
	}
	j.put(side, kb, ts, val)
	return nil
}

// valueTypes returns the types of the side's non-key slots (nil when not
// given).
func (sd *ssSide) valueTypes(k int) []*types.Type {
	if len(sd.types) > k {
		return sd.types[k:]
	}
	return nil
}

// appendKey appends the join key's bytes: the key slots, then the window
// bounds of a windowed join.
func (j *streamStreamJoin) appendKey(b []byte, key types.Row, ev *event) []byte {
	b = appendRow(b, key)
	if j.plan.Windowed {
		b = appendOrdered(b, ev.wstart)
		b = appendOrdered(b, ev.wend)
	}
	return b
}

// emit passes on one result of the record ev of side s: key slots, the
// record's own non-key slots own, the other side's other (nil: NULL),
// ROWTIME ts and the record's partition and offset, and the window bounds
// when windowed. The row is a fresh allocation.
func (j *streamStreamJoin) emit(t *Task, ev *event, s int, key types.Row, own, other []types.Value, ts, wstart, wend int64) error {
	p := j.plan
	row := make(types.Row, p.OutputWidth())
	copy(row, key)
	left, right := own, other
	if s == 1 {
		left, right = other, own
	}
	copy(row[j.k:p.LeftWidth], left)
	base := p.LeftWidth + p.RightWidth - j.k
	copy(row[p.LeftWidth:base], right)
	row[base+planner.PseudoRowtime] = ts
	row[base+planner.PseudoRowpartition] = ev.partition
	row[base+planner.PseudoRowoffset] = ev.offset
	out := event{row: row, nullKey: ev.nullKey, ts: ts, partition: ev.partition, offset: ev.offset, headers: ev.headers}
	if p.Windowed {
		row[base+planner.PseudoWindowstart] = wstart
		row[base+planner.PseudoWindowend] = wend
		out.windowed, out.wstart, out.wend = true, wstart, wend
	}
	return j.next.process(t, &out)
}

// Order-preserving integer encoding: big-endian with the sign bit flipped.
func appendOrdered(b []byte, v int64) []byte {
	return binary.BigEndian.AppendUint64(b, uint64(v)^(1<<63))
}

func readOrdered(b []byte) int64 { return int64(binary.BigEndian.Uint64(b) ^ (1 << 63)) }

// floorDiv is a/b rounded down (b > 0).
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

func (j *streamStreamJoin) segOf(ts int64) int64 { return floorDiv(ts, j.segment) }

// visibleFrom is the smallest timestamp side's store still returns.
func (j *streamStreamJoin) visibleFrom(side *ssSide) int64 {
	if side.streamTime == math.MinInt64 {
		return math.MinInt64
	}
	return side.streamTime - j.retention + 1
}

// lookup returns side's records of key kb with timestamps in [lo, hi]
// that the store does not hide, ordered by (timestamp, sequence). The
// result is valid until the next lookup.
func (j *streamStreamJoin) lookup(t *Task, side *ssSide, kb []byte, lo, hi int64) ([]ssRec, error) {
	lo = max(lo, j.visibleFrom(side))
	found := j.found[:0]
	if hi < lo || side.streamTime == math.MinInt64 {
		j.found = found
		return found, nil
	}
	if lo >= side.recentFrom && !j.storeOnly {
		for _, r := range side.recent[string(kb)] {
			if r.ts >= lo && r.ts <= hi {
				found = append(found, r)
			}
		}
		j.found = found
		return found, nil
	}
	if side.storedMaybe {
		var err error
		if found, err = j.lookupStored(t, side, kb, lo, hi, found); err != nil {
			return nil, err
		}
	}
	for _, r := range side.pending[string(kb)] {
		if r.ts >= lo && r.ts <= hi {
			found = append(found, r)
		}
	}
	slices.SortFunc(found, func(a, b ssRec) int {
		if a.ts != b.ts {
			if a.ts < b.ts {
				return -1
			}
			return 1
		}
		if a.seq < b.seq {
			return -1
		}
		if a.seq > b.seq {
			return 1
		}
		return 0
	})
	j.found = found
	return found, nil
}

// lookupStored appends the committed records of key kb in [lo, hi]: one
// seek per segment the range overlaps.
func (j *streamStreamJoin) lookupStored(t *Task, side *ssSide, kb []byte, lo, hi int64, found []ssRec) ([]ssRec, error) {
	sLo, sHi := j.segOf(lo), j.segOf(hi)
	if side.expiredSeg != math.MinInt64 {
		sLo = max(sLo, side.expiredSeg)
	}
	if sLo > sHi {
		return found, nil
	}
	lower := t.stateKey(side.store, appendOrdered(nil, sLo))
	upper := t.stateKey(side.store, appendOrdered(nil, sHi+1))
	it, err := t.rt.State.NewIter(lower, upper)
	if err != nil {
		return nil, err
	}
	var prefix, seek []byte
	for s := sLo; s <= sHi; s++ {
		prefix = append(t.appendStateKey(prefix[:0], side.store, appendOrdered(j.scanKB[:0], s)), kb...)
		seek = appendOrdered(append(seek[:0], prefix...), lo)
		for ok := it.SeekGE(seek); ok; ok = it.Next() {
			key := it.Key()
			if !bytes.HasPrefix(key, prefix) || len(key) != len(prefix)+16 {
				break
			}
			ts := readOrdered(key[len(prefix):])
			if ts > hi {
				break
			}
			found = append(found, ssRec{ts: ts, seq: binary.BigEndian.Uint64(key[len(prefix)+8:]), val: bytes.Clone(it.Value())})
		}
	}
	if err := it.Close(); err != nil {
		return nil, err
	}
	return found, nil
}

// put adds a record to side's store (in memory until flush), unless the
// store would hide it at once.
func (j *streamStreamJoin) put(side *ssSide, kb []byte, ts int64, val []byte) {
	if ts > side.streamTime {
		side.streamTime = ts
	}
	j.timeDirty = true // the sequence number at least
	seq := side.seq
	side.seq++
	if ts < j.visibleFrom(side) {
		return
	}
	if side.pending == nil {
		side.pending = map[string][]ssRec{}
	}
	rec := ssRec{ts: ts, seq: seq, val: val}
	side.pending[string(kb)] = insertByTime(side.pending[string(kb)], rec)
	if ts >= side.recentFrom {
		if side.recent == nil {
			side.recent = map[string][]ssRec{}
		}
		side.recent[string(kb)] = insertByTime(side.recent[string(kb)], rec)
		side.recentCount++
	}
}

// insertByTime inserts r into recs ordered by (timestamp, sequence); r's
// sequence is above every other's.
func insertByTime(recs []ssRec, r ssRec) []ssRec {
	i := len(recs)
	for i > 0 && recs[i-1].ts > r.ts {
		i--
	}
	return slices.Insert(recs, i, r)
}

// recentWindow is how far behind the join's stream time the records kept
// in memory reach (ssSide.recent): both sides' look-back with a second to
// spare.
func (j *streamStreamJoin) recentWindow() int64 {
	return j.sides[0].before + j.sides[0].after + 1000
}

// pruneRecent drops the records of side's memory that in-order lookups no
// longer reach, or all of them past maxRecent.
func (j *streamStreamJoin) pruneRecent(side *ssSide) {
	if side.recentCount > j.maxRecent {
		clear(side.recent)
		side.recentCount = 0
		side.recentFrom = max(side.recentFrom, side.streamTime+1)
		return
	}
	if j.streamTime == math.MinInt64 {
		return
	}
	cut := j.streamTime - j.recentWindow()
	if cut <= side.recentFrom {
		return
	}
	side.recentFrom = cut
	for k, recs := range side.recent {
		i := 0
		for i < len(recs) && recs[i].ts < cut {
			i++
		}
		switch {
		case i == len(recs):
			delete(side.recent, k)
		case i > 0:
			side.recent[k] = slices.Clone(recs[i:])
		}
		side.recentCount -= i
	}
}

// outerKey appends the outer store key of a parked record.
func appendOuterKey(b []byte, ts int64, side int, kb []byte) []byte {
	b = appendOrdered(b, ts)
	b = append(b, byte(side))
	return append(b, kb...)
}

// parked returns the outer store entry of key ok: the overlay's, else the
// committed one (nil rows: none).
func (j *streamStreamJoin) parked(t *Task, ok []byte) (*ssParked, error) {
	if e, found := j.outer[string(ok)]; found {
		return e, nil
	}
	raw, found, err := t.stateGet(j.outerName, ok)
	if err != nil || !found {
		return &ssParked{}, err
	}
	rows, err := decodeParked(raw)
	if err != nil {
		return nil, fmt.Errorf("corrupt join state in %s: %w", j.outerName, err)
	}
	return &ssParked{rows: rows}, nil
}

func decodeParked(b []byte) ([][]byte, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)) {
		return nil, errCorrupt
	}
	b = b[k:]
	rows := make([][]byte, 0, n)
	for range n {
		l, k := binary.Uvarint(b)
		if k <= 0 || l > uint64(len(b)-k) {
			return nil, errCorrupt
		}
		rows = append(rows, bytes.Clone(b[k:k+int(l)]))
		b = b[k+int(l):]
	}
	return rows, nil
}

func encodeParked(rows [][]byte) []byte {
	b := binary.AppendUvarint(nil, uint64(len(rows)))
	for _, r := range rows {
		b = binary.AppendUvarint(b, uint64(len(r)))
		b = append(b, r...)
	}
	return b
}

// park puts an unmatched record of side s into the outer store.
func (j *streamStreamJoin) park(t *Task, ts int64, s int, kb, val []byte) error {
	if err := j.ensureMinOuter(t); err != nil {
		return err
	}
	ok := appendOuterKey(nil, ts, s, kb)
	e, err := j.parked(t, ok)
	if err != nil {
		return err
	}
	e.rows = append(e.rows, val)
	j.setOuter(ok, e)
	j.minOuter = min(j.minOuter, ts)
	return nil
}

func (j *streamStreamJoin) setOuter(ok []byte, e *ssParked) {
	if j.outer == nil {
		j.outer = map[string]*ssParked{}
	}
	j.outer[string(ok)] = e
}

// unpark deletes the parked records of side s with key kb at ts: one of
// them (they are alike) was matched.
func (j *streamStreamJoin) unpark(t *Task, ts int64, s int, kb []byte) error {
	if err := j.ensureMinOuter(t); err != nil {
		return err
	}
	if ts < j.minOuter {
		return nil // nothing is parked that early
	}
	ok := appendOuterKey(j.scanKB[:0], ts, s, kb)
	j.scanKB = ok
	e, err := j.parked(t, ok)
	if err != nil || e.rows == nil {
		return err
	}
	j.setOuter(ok, &ssParked{})
	return nil
}

// ensureMinOuter reads the smallest parked timestamp from the store when
// it is not known (after a load).
func (j *streamStreamJoin) ensureMinOuter(t *Task) error {
	if j.minOuterKnown {
		return nil
	}
	lo := t.stateKey(j.outerName, nil)
	hi := append(lo[:len(lo)-1:len(lo)-1], '/'+1)
	it, err := t.rt.State.NewIter(lo, hi)
	if err != nil {
		return err
	}
	j.minOuter = math.MaxInt64
	if it.First() && len(it.Key()) >= len(lo)+8 {
		j.minOuter = readOrdered(it.Key()[len(lo):])
	}
	if err := it.Close(); err != nil {
		return err
	}
	for ok, e := range j.outer {
		if e.rows != nil {
			j.minOuter = min(j.minOuter, readOrdered([]byte(ok)))
		}
	}
	j.minOuterKnown = true
	return nil
}

// outerLookback is how long after its timestamp a parked record of side s
// may still be matched: its window's after.
func (j *streamStreamJoin) outerLookback(s int) int64 { return j.sides[s].after }

// emitExpired emits, null-padded with their own timestamps, the parked
// records whose window and grace have passed (ts+after+grace < stream
// time), in (timestamp, side, key) order, and deletes them. ev is the
// triggering record (partition, offset and headers of the results).
func (j *streamStreamJoin) emitExpired(t *Task, ev *event) error {
	if err := j.ensureMinOuter(t); err != nil {
		return err
	}
	// Entries at or above limit cannot have expired on either side.
	limit := j.streamTime - min(j.outerLookback(0), j.outerLookback(1)) - j.grace
	if j.minOuter >= limit {
		return nil
	}
	type entry struct {
		key  string
		rows [][]byte
	}
	var entries []entry
	// The overlay's entries below limit, in key order.
	var over []string
	for ok := range j.outer {
		if readOrdered([]byte(ok)) < limit {
			over = append(over, ok)
		}
	}
	slices.Sort(over)
	lo := t.stateKey(j.outerName, nil)
	hi := t.stateKey(j.outerName, appendOrdered(nil, limit))
	it, err := t.rt.State.NewIter(lo, hi)
	if err != nil {
		return err
	}
	oi := 0
	takeOverlay := func(upTo string, inclusive bool) {
		for oi < len(over) && (over[oi] < upTo || inclusive && over[oi] == upTo) {
			if e := j.outer[over[oi]]; e.rows != nil {
				entries = append(entries, entry{over[oi], e.rows})
			}
			oi++
		}
	}
	for ok := it.First(); ok; ok = it.Next() {
		key := string(it.Key()[len(lo):])
		takeOverlay(key, false)
		if oi < len(over) && over[oi] == key {
			takeOverlay(key, true) // the overlay replaces the committed entry
			continue
		}
		rows, err := decodeParked(it.Value())
		if err != nil {
			it.Close()
			return fmt.Errorf("corrupt join state in %s: %w", j.outerName, err)
		}
		entries = append(entries, entry{key, rows})
	}
	if err := it.Close(); err != nil {
		return err
	}
	takeOverlay(string(appendOrdered(nil, limit)), false)
	newMin := limit
	for _, e := range entries {
		ts := readOrdered([]byte(e.key))
		s := int(e.key[8])
		if ts+j.outerLookback(s)+j.grace >= j.streamTime {
			newMin = min(newMin, ts) // still open
			continue
		}
		if err := j.emitParked(t, ev, ts, s, []byte(e.key[9:]), e.rows); err != nil {
			return err
		}
		j.setOuter([]byte(e.key), &ssParked{})
	}
	j.minOuter = newMin
	return nil
}

// emitParked emits the parked rows of side s at ts with key bytes kb.
func (j *streamStreamJoin) emitParked(t *Task, ev *event, ts int64, s int, kb []byte, rows [][]byte) error {
	side := &j.sides[s]
	var keyTypes []*types.Type
	if len(side.types) >= j.k {
		keyTypes = side.types[:j.k]
	}
	key, rest, err := decodeRow(kb, keyTypes)
	if err != nil || len(key) != j.k {
		return fmt.Errorf("corrupt join state in %s: %v", j.outerName, err)
	}
	var wstart, wend int64
	if j.plan.Windowed {
		if len(rest) != 16 {
			return fmt.Errorf("corrupt join state in %s: window bounds", j.outerName)
		}
		wstart, wend = readOrdered(rest), readOrdered(rest[8:])
	}
	for _, r := range rows {
		vals, _, err := decodeRow(r, side.valueTypes(j.k))
		if err != nil {
			return fmt.Errorf("corrupt join state in %s: %w", j.outerName, err)
		}
		if err := j.emit(t, ev, s, key, vals, nil, ts, wstart, wend); err != nil {
			return err
		}
	}
	return nil
}

// The "-time" record: the join's stream time, then per side its store's
// stream time and next sequence number.
var ssTimeKey = []byte("t")

// load reads the stream times and sequence numbers after creation or a
// reset.
func (j *streamStreamJoin) load(t *Task) error {
	if j.loaded {
		return nil
	}
	j.streamTime = math.MinInt64
	for i := range j.sides {
		sd := &j.sides[i]
		sd.streamTime, sd.seq, sd.expiredSeg = math.MinInt64, 0, math.MinInt64
		clear(sd.pending)
		_, stored, err := t.lastStateKey(sd.store)
		if err != nil {
			return err
		}
		sd.storedMaybe = stored
	}
	raw, found, err := t.stateGet(j.timeName, ssTimeKey)
	if err != nil {
		return err
	}
	if found {
		vals := make([]int64, 5)
		b := raw
		for i := range vals {
			v, n := binary.Varint(b)
			if n <= 0 {
				return fmt.Errorf("corrupt join state in %s: %w", j.timeName, errCorrupt)
			}
			vals[i], b = v, b[n:]
		}
		j.streamTime = vals[0]
		j.sides[0].streamTime, j.sides[0].seq = vals[1], uint64(vals[2])
		j.sides[1].streamTime, j.sides[1].seq = vals[3], uint64(vals[4])
	}
	for i := range j.sides {
		sd := &j.sides[i]
		clear(sd.recent)
		sd.recentCount = 0
		sd.recentFrom = math.MinInt64 // the store holds nothing of this side
		if sd.storedMaybe && sd.streamTime != math.MinInt64 {
			sd.recentFrom = sd.streamTime + 1
		}
	}
	clear(j.outer)
	j.minOuterKnown = false
	j.timeDirty = false
	j.loaded = true
	return nil
}

// flush writes the uncommitted state into the commit batch and expires
// the window stores' segments below their retention.
func (j *streamStreamJoin) flush(t *Task) error {
	if !j.loaded {
		return nil // nothing changed since the last load
	}
	var kb []byte
	for i := range j.sides {
		sd := &j.sides[i]
		from := j.visibleFrom(sd)
		if from != math.MinInt64 {
			if cut := j.segOf(from); cut > sd.expiredSeg {
				t.stateDeleteRange(sd.store, nil, appendOrdered(nil, cut))
				sd.expiredSeg = cut
			}
		}
		keys := make([]string, 0, len(sd.pending))
		for k := range sd.pending {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			for _, r := range sd.pending[k] {
				if r.ts < from {
					continue // hidden already
				}
				kb = appendOrdered(kb[:0], j.segOf(r.ts))
				kb = append(kb, k...)
				kb = appendOrdered(kb, r.ts)
				kb = binary.BigEndian.AppendUint64(kb, r.seq)
				t.stateSet(sd.store, kb, r.val)
				sd.storedMaybe = true
			}
		}
		clear(sd.pending)
		j.pruneRecent(sd)
	}
	if len(j.outer) > 0 {
		keys := make([]string, 0, len(j.outer))
		for k := range j.outer {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if e := j.outer[k]; e.rows == nil {
				t.stateDelete(j.outerName, []byte(k))
			} else {
				t.stateSet(j.outerName, []byte(k), encodeParked(e.rows))
			}
		}
		clear(j.outer)
	}
	if j.timeDirty {
		b := binary.AppendVarint(nil, j.streamTime)
		for i := range j.sides {
			b = binary.AppendVarint(b, j.sides[i].streamTime)
			b = binary.AppendVarint(b, int64(j.sides[i].seq))
		}
		t.stateSet(j.timeName, ssTimeKey, b)
		j.timeDirty = false
	}
	return nil
}

// reset drops uncommitted state: the next record reloads from the store.
func (j *streamStreamJoin) reset() {
	j.loaded = false
	for i := range j.sides {
		clear(j.sides[i].pending)
		clear(j.sides[i].recent)
		j.sides[i].recentCount = 0
	}
	clear(j.outer)
	j.minOuterKnown = false
	j.found = j.found[:0]
}
