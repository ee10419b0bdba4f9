package embedded

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"github.com/ksqlgo/ksql/broker"
)

// Idempotent producers (Kafka's ProducerStateManager, per partition).
//
// A batch appended with AppendProducer carries its producer id, epoch,
// base sequence and append time in the batch itself (batch.go, flag
// bit 2), and so does a marker written by EndProducerTxn (sequence -1).
// The partition keeps, per producer, the current epoch, the time of its
// last batch or marker, and its last maxProducerBatches batches (sequence
// range and offsets). A new batch is checked against that entry before
// it is written:
//
//   - same epoch, same sequence range as a remembered batch: a duplicate
//     (a retry); nothing is written and the original offset is returned;
//   - older epoch: broker.ErrProducerFenced;
//   - same epoch, first sequence not one past the last batch's:
//     broker.ErrOutOfOrderSequence;
//   - newer epoch: must start at sequence 0 (the entry forgets the old
//     epoch's batches);
//   - no entry (never seen, or expired): accepted at any sequence, as
//     Kafka does since KIP-360.
//
// The state is rebuilt at Open: sealed segments' index files carry a
// snapshot of the whole state as of the end of their segment (the index
// is written when the segment is sealed), so Open decodes the last
// snapshot and replays the batches after it (the active segment, which it
// scans anyway, and any sealed segment whose index had to be rebuilt).
// Entries idle for longer than Options.ProducerExpiry are dropped (at
// Open and by the retention loop), and a partition keeps at most
// Options.MaxProducers entries (the least recently active go first): a
// forgotten producer only loses duplicate detection for a batch it
// retries after that long.

// maxProducerBatches is how many of a producer's last batches a partition
// remembers for duplicate detection: Kafka's limit on in-flight requests
// of an idempotent producer (max.in.flight.requests.per.connection <= 5).
const maxProducerBatches = 5

// seqBatch is one remembered batch of a producer.
type seqBatch struct {
	firstSeq, lastSeq int32
	base, count       int64 // offsets base..base+count-1
}

// producerEntry is one producer's state in a partition.
type producerEntry struct {
	epoch   int16
	lastMs  int64      // append time of its last batch or marker
	batches []seqBatch // oldest first, at most maxProducerBatches
}

// producerState is a partition's producers, guarded by partition.mu.
type producerState struct {
	m map[int64]*producerEntry
}

func newProducerState() *producerState { return &producerState{m: map[int64]*producerEntry{}} }

// lastSeq is the sequence number of the last of count records starting
// at base (sequence numbers wrap from MaxInt32 to 0).
func lastSeq(base int32, count int64) int32 {
	inc := count - 1
	if int64(base) > math.MaxInt32-inc {
		return int32(inc - (math.MaxInt32 - int64(base)) - 1)
	}
	return base + int32(inc)
}

// inSequence reports whether next follows last (-1: nothing yet, so next
// must be 0).
func inSequence(last, next int32) bool {
	return (last != math.MaxInt32 && next == last+1) || (last == math.MaxInt32 && next == 0)
}

// check decides what to do with a batch of count records of producer pb:
// dup is the remembered batch it repeats (nil: append it), or an error
// wrapping broker.ErrProducerFenced or broker.ErrOutOfOrderSequence.
func (ps *producerState) check(tp broker.TopicPartition, pb broker.ProducerBatch, count int64) (*seqBatch, error) {
	e := ps.m[pb.ID]
	if e == nil {
		return nil, nil
	}
	switch {
	case pb.Epoch < e.epoch:
		return nil, fmt.Errorf("%w: %s: producer %d epoch %d, current epoch %d", broker.ErrProducerFenced, tp, pb.ID, pb.Epoch, e.epoch)
	case pb.Epoch > e.epoch:
		if pb.BaseSeq != 0 {
			return nil, fmt.Errorf("%w: %s: producer %d starts epoch %d at sequence %d, not 0 (current epoch %d)",
				broker.ErrOutOfOrderSequence, tp, pb.ID, pb.Epoch, pb.BaseSeq, e.epoch)
		}
		return nil, nil
	}
	last := lastSeq(pb.BaseSeq, count)
	for i := range e.batches {
		if b := &e.batches[i]; b.firstSeq == pb.BaseSeq && b.lastSeq == last {
			return b, nil
		}
	}
	cur := int32(-1)
	if n := len(e.batches); n > 0 {
		cur = e.batches[n-1].lastSeq
	}
	if !inSequence(cur, pb.BaseSeq) {
		return nil, fmt.Errorf("%w: %s: producer %d epoch %d sent sequence %d, expected %d",
			broker.ErrOutOfOrderSequence, tp, pb.ID, pb.Epoch, pb.BaseSeq, int64(cur)+1)
	}
	return nil, nil
}

func (ps *producerState) entry(id int64, epoch int16) *producerEntry {
	e := ps.m[id]
	if e == nil {
		e = &producerEntry{epoch: epoch}
		ps.m[id] = e
	}
	if epoch != e.epoch {
		e.epoch, e.batches = epoch, nil
	}
	return e
}

// record adds an appended batch (count offsets from base) of producer pb.
func (ps *producerState) record(pb broker.ProducerBatch, base, count, ms int64) {
	e := ps.entry(pb.ID, pb.Epoch)
	if len(e.batches) == maxProducerBatches {
		copy(e.batches, e.batches[1:])
		e.batches = e.batches[:maxProducerBatches-1]
	}
	e.batches = append(e.batches, seqBatch{firstSeq: pb.BaseSeq, lastSeq: lastSeq(pb.BaseSeq, count), base: base, count: count})
	e.lastMs = max(e.lastMs, ms)
}

// marker records a transaction marker of producer (id, epoch): a newer
// epoch replaces the entry's (and forgets its sequence numbers).
func (ps *producerState) marker(id int64, epoch int16, ms int64) {
	e := ps.m[id]
	if e == nil || epoch > e.epoch {
		e = ps.entry(id, epoch)
	}
	e.lastMs = max(e.lastMs, ms)
}

// expire drops entries idle since before nowMs-maxAgeMs (maxAgeMs <= 0:
// none), then the least recently active beyond maxEntries (<= 0: no
// bound). It returns how many it dropped.
func (ps *producerState) expire(nowMs, maxAgeMs int64, maxEntries int) int {
	n := 0
	if maxAgeMs > 0 {
		for id, e := range ps.m {
			if e.lastMs < nowMs-maxAgeMs {
				delete(ps.m, id)
				n++
			}
		}
	}
	if maxEntries > 0 && len(ps.m) > maxEntries {
		type aged struct {
			id int64
			ms int64
		}
		all := make([]aged, 0, len(ps.m))
		for id, e := range ps.m {
			all = append(all, aged{id, e.lastMs})
		}
		slices.SortFunc(all, func(a, b aged) int { return cmp.Or(cmp.Compare(a.ms, b.ms), cmp.Compare(a.id, b.id)) })
		for _, a := range all[:len(all)-maxEntries] {
			delete(ps.m, a.id)
			n++
		}
	}
	return n
}

// overCap reports whether an insertion has pushed the state far enough
// past maxEntries to be worth an eviction pass (one pass per eighth of
// the bound keeps eviction amortised).
func (ps *producerState) overCap(maxEntries int) bool {
	return maxEntries > 0 && len(ps.m) > maxEntries+max(maxEntries/8, 1)
}

// Snapshot encoding (inside an index file, index.go):
//
//	uvarint n, then n entries sorted by producer id:
//	  varint id, varint epoch, varint lastMs, uvarint nb,
//	  nb × (varint firstSeq, varint lastSeq, varint base, varint count)
func (ps *producerState) appendSnapshot(b []byte) []byte {
	ids := make([]int64, 0, len(ps.m))
	for id := range ps.m {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	b = binary.AppendUvarint(b, uint64(len(ids)))
	for _, id := range ids {
		e := ps.m[id]
		b = binary.AppendVarint(b, id)
		b = binary.AppendVarint(b, int64(e.epoch))
		b = binary.AppendVarint(b, e.lastMs)
		b = binary.AppendUvarint(b, uint64(len(e.batches)))
		for _, sb := range e.batches {
			b = binary.AppendVarint(b, int64(sb.firstSeq))
			b = binary.AppendVarint(b, int64(sb.lastSeq))
			b = binary.AppendVarint(b, sb.base)
			b = binary.AppendVarint(b, sb.count)
		}
	}
	return b
}

// readSnapshot decodes a snapshot from r into a new state; r.err is set
// if it is malformed.
func readSnapshot(r *idxReader) *producerState {
	ps := newProducerState()
	n := r.count(4)
	for i := 0; i < n && r.err == nil; i++ {
		id, epoch, lastMs := r.varint(), r.varint(), r.varint()
		nb := r.count(4)
		if r.err != nil || id < 0 || epoch < 0 || epoch > math.MaxInt16 || nb > maxProducerBatches || ps.m[id] != nil {
			r.err = errBadIndex
			break
		}
		e := &producerEntry{epoch: int16(epoch), lastMs: lastMs}
		for j := 0; j < nb && r.err == nil; j++ {
			f, l, base, count := r.varint(), r.varint(), r.varint(), r.varint()
			if r.err != nil || f < 0 || f > math.MaxInt32 || l < 0 || l > math.MaxInt32 || base < 0 || count < 1 {
				r.err = errBadIndex
				break
			}
			e.batches = append(e.batches, seqBatch{firstSeq: int32(f), lastSeq: int32(l), base: base, count: count})
		}
		ps.m[id] = e
	}
	return ps
}

// maxID is the largest producer id the state holds (-1 if none).
func (ps *producerState) maxID() int64 {
	m := int64(-1)
	for id := range ps.m {
		m = max(m, id)
	}
	return m
}
