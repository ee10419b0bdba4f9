package embedded

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/broker/embedded/logfs"
)

// partition states.
const (
	partOpen = iota
	partDeleted
	partClosed
)

// partition is one directory of segments.
//
// Locking: mu guards everything below it; appends, roll, retention and
// transaction markers take it exclusively, reads and Offsets shared. Reads
// snapshot what they need (segment sizes, bounds, aborted ranges) under
// the shared lock and then read the files with pread outside it. syncMu
// guards the group-commit state; it may be taken while holding mu (roll),
// but mu is never taken while holding syncMu.
//
// Invariants: segs is non-empty while open, ordered by base, contiguous
// (segs[i].base == segs[i-1].next) and its last element is the active
// segment (the only one appended to); start == segs[0].base; end ==
// active.next; stable == min(end, first offset of every pending txn).
type partition struct {
	l   *Log
	tp  broker.TopicPartition
	dir string

	mu     sync.RWMutex
	segs   []*segment
	start  int64
	end    int64
	stable int64
	// durable is the end of the prefix whose records are fsynced (trailing
	// transaction markers count as durable). Under SyncAlways the stable
	// offset never passes it, so no reader sees a record that a power
	// failure could take back.
	durable    int64
	pending    map[broker.Txn]*pendingTxn
	aborted    []offRange // sorted, disjoint ranges of aborted txn batches
	notify     chan struct{}
	state      int
	failed     error // sticky: appends fail once set
	wbuf       []byte
	writtenGen uint64 // count of batches written (group-commit generation)
	diskBytes  int64  // bytes held, for read sizing
	lastEnded  map[string]endedTxn
	producers  *producerState // Kafka producers (producers.go)

	syncMu    sync.Mutex
	syncCond  sync.Cond
	syncing   bool
	syncedGen uint64
	syncErr   error
}

// pendingTxn is an unresolved transaction's batches in one partition.
type pendingTxn struct {
	first  int64
	ranges []offRange
}

// offRange is an inclusive range of offsets.
type offRange struct{ first, last int64 }

func (p *partition) logf(format string, args ...any) {
	if p.l.opts.Logf != nil {
		p.l.opts.Logf("embedded: %s: "+format, append([]any{p.tp}, args...)...)
	}
}

func (p *partition) openFile(path string, flag int) (logfs.File, fs.FileInfo, error) {
	f, err := p.l.fsys.OpenFile(path, flag)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, fi, nil
}

// createSegment creates an empty segment file with the given base and
// makes its directory entry durable.
func (p *partition) createSegment(base int64) (*segment, error) {
	path := filepath.Join(p.dir, segmentName(base)+logSuffix)
	f, fi, err := p.openFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC)
	if err != nil {
		return nil, err
	}
	if err := p.l.fsys.SyncDir(p.dir); err != nil {
		f.Close()
		_ = p.l.fsys.Remove(path)
		return nil, err
	}
	s := newSegment(p.dir, base, f)
	s.modMs = fi.ModTime().UnixMilli()
	return s, nil
}

// openPartition loads a partition directory: sealed segments from their
// index files (or a strict scan), the active segment by a scan that
// truncates a torn or corrupt tail; then it replays transaction markers.
func openPartition(l *Log, tp broker.TopicPartition, dir string) (_ *partition, err error) {
	p := &partition{l: l, tp: tp, dir: dir, pending: map[broker.Txn]*pendingTxn{}, lastEnded: map[string]endedTxn{}, producers: newProducerState()}
	p.syncCond.L = &p.syncMu
	defer func() {
		if err != nil {
			for _, s := range p.segs {
				s.decRef()
			}
			p.segs = nil
		}
	}()
	entries, err := l.fsys.ReadDir(dir)
	if err != nil {
		return nil, storageErr(fmt.Sprintf("%s: read directory", tp), err)
	}
	var bases []int64
	logs := map[int64]bool{}
	var indexes []string
	for _, e := range entries {
		name := e.Name()
		switch {
		case strings.HasSuffix(name, tmpSuffix):
			_ = l.fsys.Remove(filepath.Join(dir, name))
		case strings.HasSuffix(name, indexSuffix):
			indexes = append(indexes, name)
		default:
			if base, ok := parseSegmentName(name); ok {
				bases = append(bases, base)
				logs[base] = true
			}
		}
	}
	sort.Slice(bases, func(i, j int) bool { return bases[i] < bases[j] })
	for _, name := range indexes {
		base, ok := parseSegmentName(strings.TrimSuffix(name, indexSuffix) + logSuffix)
		if !ok || !logs[base] || (len(bases) > 0 && base == bases[len(bases)-1]) {
			// Orphaned, or the active segment's (stale) index.
			_ = l.fsys.Remove(filepath.Join(dir, name))
		}
	}
	if len(bases) == 0 {
		s, err := p.createSegment(0)
		if err != nil {
			return nil, storageErr(fmt.Sprintf("%s: create segment", tp), err)
		}
		p.segs = append(p.segs, s)
	}
	interval := l.opts.IndexIntervalBytes
	// Producer state: the last index snapshot (still encoded, decoded
	// only when a scan must be replayed on top of it), then the batches
	// of every segment scanned after it.
	var snap []byte
	materialize := func() {
		if snap == nil {
			return
		}
		r := &idxReader{b: snap}
		ps := readSnapshot(r)
		if r.err != nil || len(r.b) != 0 {
			p.logf("producer state snapshot in an index file is unreadable; producers before it are forgotten (their retries are not recognised as duplicates)")
			ps = newProducerState()
		}
		p.producers, snap = ps, nil
	}
	onProducer := func(pf producerFields, base, count int64, control bool) {
		if control {
			p.producers.marker(pf.ID, pf.Epoch, pf.appendMs)
		} else {
			p.producers.record(pf.ProducerBatch, base, count, pf.appendMs)
		}
	}
	for i, base := range bases {
		last := i == len(bases)-1
		path := filepath.Join(dir, segmentName(base)+logSuffix)
		f, fi, err := p.openFile(path, os.O_RDWR)
		if err != nil {
			return nil, storageErr(fmt.Sprintf("%s: open segment", tp), err)
		}
		s := newSegment(dir, base, f)
		s.modMs = fi.ModTime().UnixMilli()
		p.segs = append(p.segs, s)
		size := fi.Size()
		if !last {
			if data, err := logfs.ReadFile(l.fsys, s.idxPath); err == nil && s.loadIndex(data, size) {
				// Loaded from the index. A version 1 index (format 1) has
				// no snapshot and its segment no producer batches.
				if s.prodSnap != nil {
					snap, s.prodSnap = s.prodSnap, nil
				}
			} else {
				materialize()
				good, bad, ioErr := s.scan(size, interval, onProducer)
				if ioErr != nil {
					return nil, storageErr(fmt.Sprintf("%s: read segment %s", tp, path), ioErr)
				}
				if bad != nil {
					return nil, fmt.Errorf("%w: %s: sealed segment %s is corrupt at byte %d of %d: %v (data after it cannot be trusted; restore the file or remove it and every later segment)",
						broker.ErrStorage, tp, path, good, size, bad)
				}
				if err := s.writeIndex(l.fsys, p.producers.appendSnapshot(nil)); err != nil {
					p.logf("rewriting index of %s: %v", path, err)
				}
			}
		} else {
			materialize()
			good, bad, ioErr := s.scan(size, interval, onProducer)
			if ioErr != nil {
				return nil, storageErr(fmt.Sprintf("%s: read segment %s", tp, path), ioErr)
			}
			if bad != nil || good != size {
				p.logf("truncating %s from %d to %d bytes: %v", path, size, good, bad)
				if err := f.Truncate(good); err != nil {
					return nil, storageErr(fmt.Sprintf("%s: truncate torn tail of %s", tp, path), err)
				}
				if err := f.Sync(); err != nil {
					return nil, storageErr(fmt.Sprintf("%s: sync %s", tp, path), err)
				}
			}
		}
		if i > 0 {
			if prev := p.segs[i-1]; s.base != prev.next {
				return nil, fmt.Errorf("%w: %s: segment %s starts at offset %d but the previous segment ends at %d",
					broker.ErrStorage, tp, path, s.base, prev.next)
			}
		}
	}
	p.replayTxns()
	p.producers.expire(l.opts.Now().UnixMilli(), l.opts.ProducerExpiry.Milliseconds(), l.opts.MaxProducers)
	active := p.active()
	p.start = p.segs[0].base
	p.end = active.next
	// What survived the restart is on disk; make it durable before it is
	// readable.
	if err := active.f.Sync(); err != nil {
		return nil, storageErr(fmt.Sprintf("%s: sync %s", tp, active.logPath), err)
	}
	p.durable = p.end
	for _, s := range p.segs {
		p.diskBytes += s.size
		if s != active {
			// Only the active segment's lists are needed (to write its index
			// when it is sealed).
			s.txnBatch, s.markers = nil, nil
		}
	}
	p.recomputeStableLocked()
	return p, nil
}

// replayTxns rebuilds pending transactions and aborted ranges from the
// transactional batches and markers of every segment, in offset order.
func (p *partition) replayTxns() {
	for _, s := range p.segs {
		bi, mi := 0, 0
		for bi < len(s.txnBatch) || mi < len(s.markers) {
			if mi == len(s.markers) || (bi < len(s.txnBatch) && s.txnBatch[bi].base < s.markers[mi].offset) {
				b := s.txnBatch[bi]
				bi++
				p.addPendingLocked(b.txn, b.base, b.count)
				continue
			}
			m := s.markers[mi]
			mi++
			if pt := p.pending[m.txn]; pt != nil {
				if !m.commit {
					p.addAbortedLocked(pt.ranges)
				}
				delete(p.pending, m.txn)
			}
			if e, ok := p.lastEnded[m.txn.Producer]; !ok || m.txn.Seq >= e.seq {
				p.lastEnded[m.txn.Producer] = endedTxn{seq: m.txn.Seq, commit: m.commit}
			}
		}
	}
}

func (p *partition) active() *segment { return p.segs[len(p.segs)-1] }

func (p *partition) readableLocked() error {
	switch p.state {
	case partDeleted:
		return fmt.Errorf("%w: topic %q (deleted)", broker.ErrUnknownTopic, p.tp.Topic)
	case partClosed:
		return fmt.Errorf("%w: %s", broker.ErrClosed, p.tp)
	}
	return nil
}

func (p *partition) writableLocked() error {
	if err := p.readableLocked(); err != nil {
		return err
	}
	return p.failed
}

func (p *partition) addPendingLocked(txn broker.Txn, base, count int64) {
	pt := p.pending[txn]
	if pt == nil {
		pt = &pendingTxn{first: base}
		p.pending[txn] = pt
	}
	last := base + count - 1
	if n := len(pt.ranges); n > 0 && pt.ranges[n-1].last+1 == base {
		pt.ranges[n-1].last = last
	} else {
		pt.ranges = append(pt.ranges, offRange{base, last})
	}
}

// addAbortedLocked inserts ranges into the sorted aborted list, merging
// adjacent ranges.
func (p *partition) addAbortedLocked(rs []offRange) {
	for _, r := range rs {
		i := sort.Search(len(p.aborted), func(i int) bool { return p.aborted[i].first > r.first })
		if i > 0 && p.aborted[i-1].last+1 == r.first {
			p.aborted[i-1].last = r.last
			i--
		} else {
			p.aborted = append(p.aborted, offRange{})
			copy(p.aborted[i+1:], p.aborted[i:])
			p.aborted[i] = r
		}
		if i+1 < len(p.aborted) && p.aborted[i].last+1 == p.aborted[i+1].first {
			p.aborted[i].last = p.aborted[i+1].last
			p.aborted = append(p.aborted[:i+1], p.aborted[i+2:]...)
		}
	}
}

// abortedBetweenLocked copies the aborted ranges overlapping [lo, hi).
func (p *partition) abortedBetweenLocked(lo, hi int64) []offRange {
	i := sort.Search(len(p.aborted), func(i int) bool { return p.aborted[i].last >= lo })
	j := i
	for j < len(p.aborted) && p.aborted[j].first < hi {
		j++
	}
	if i == j {
		return nil
	}
	return append([]offRange(nil), p.aborted[i:j]...)
}

func (p *partition) recomputeStableLocked() {
	s := p.end
	if p.l.opts.SyncPolicy == SyncAlways && p.durable < s {
		s = p.durable
	}
	for _, pt := range p.pending {
		if pt.first < s {
			s = pt.first
		}
	}
	if s != p.stable {
		p.stable = s
		p.wakeLocked()
	}
}

// setDurableLocked records that offsets below end are fsynced.
func (p *partition) setDurableLocked(end int64) {
	if end > p.durable {
		p.durable = end
		p.recomputeStableLocked()
	}
}

// wakeLocked wakes every Wait on this partition.
func (p *partition) wakeLocked() {
	if p.notify != nil {
		close(p.notify)
		p.notify = nil
	}
}

// writeLocked writes one encoded batch at the end of the active segment,
// rolling first if the segment is full. On failure the partial write is
// truncated away (or, if that fails too, the partition is marked failed);
// the partition's in-memory state is untouched either way.
func (p *partition) writeLocked(b []byte) (*segment, int64, error) {
	seg := p.active()
	if seg.size > 0 && seg.size+int64(len(b)) > p.l.opts.SegmentBytes {
		if err := p.rollLocked(); err != nil {
			return nil, 0, err
		}
		seg = p.active()
	}
	pos := seg.size
	if _, err := seg.f.WriteAt(b, pos); err != nil {
		if terr := seg.f.Truncate(pos); terr != nil {
			p.failed = fmt.Errorf("%w: %s: a write failed (%w) and removing the partial batch failed (%w); appends are refused until the log is reopened",
				broker.ErrStorage, p.tp, err, terr)
			return nil, 0, p.failed
		}
		return nil, 0, fmt.Errorf("%w: %s: write to %s: %w (nothing was appended)", broker.ErrStorage, p.tp, seg.logPath, err)
	}
	return seg, pos, nil
}

// commitLocked updates the in-memory state after batch b was written at
// pos of seg.
func (p *partition) commitLocked(seg *segment, pos int64, b []byte) batchHeader {
	h, _ := parseHeader(b)
	seg.addBatch(pos, &h, p.l.opts.IndexIntervalBytes)
	p.end = h.next()
	p.writtenGen++
	p.diskBytes += int64(len(b))
	return h
}

// rollLocked seals the active segment (fsync, index file) and starts a
// new one at end.
func (p *partition) rollLocked() error {
	old := p.active()
	if err := old.f.Sync(); err != nil {
		p.failed = fmt.Errorf("%w: %s: fsync %s: %w; appends are refused until the log is reopened", broker.ErrStorage, p.tp, old.logPath, err)
		return p.failed
	}
	p.markSynced(p.writtenGen)
	p.setDurableLocked(p.end)
	old.modMs = p.l.opts.Now().UnixMilli() // last write, the retention fallback
	if err := old.writeIndex(p.l.fsys, p.producers.appendSnapshot(nil)); err != nil {
		p.logf("writing index %s: %v", old.idxPath, err)
	}
	old.txnBatch, old.markers = nil, nil
	seg, err := p.createSegment(p.end)
	if err != nil {
		return fmt.Errorf("%w: %s: create segment: %w (nothing was appended)", broker.ErrStorage, p.tp, err)
	}
	p.segs = append(p.segs, seg)
	return nil
}

func (p *partition) shrinkBuf() {
	if cap(p.wbuf) > 4<<20 {
		p.wbuf = nil
	}
}

// append writes recs as one batch (transactional if txn is not nil) and
// returns its base offset and the generation to sync to.
func (p *partition) append(recs []broker.Record, txn *broker.Txn) (int64, uint64, error) {
	base, gen, _, err := p.appendProducer(recs, txn, nil)
	return base, gen, err
}

// appendProducer is append for a batch of a Kafka producer (pb nil: none).
// A duplicate of one of the producer's remembered batches writes nothing
// and returns that batch's base offset, dup set and the generation that
// covers it.
func (p *partition) appendProducer(recs []broker.Record, txn *broker.Txn, pb *broker.ProducerBatch) (base int64, gen uint64, dup bool, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.writableLocked(); err != nil {
		return 0, 0, false, err
	}
	var pf *producerFields
	if pb != nil {
		d, err := p.producers.check(p.tp, *pb, int64(len(recs)))
		if err != nil {
			return 0, 0, false, err
		}
		if d != nil {
			// Written at most writtenGen batches ago: syncing to the
			// current generation covers it.
			return d.base, p.writtenGen, true, nil
		}
		pf = &producerFields{ProducerBatch: *pb, appendMs: p.l.opts.Now().UnixMilli()}
	}
	base, gen, err = p.appendLocked(recs, txn, pf)
	return base, gen, false, err
}

func (p *partition) appendLocked(recs []broker.Record, txn *broker.Txn, pf *producerFields) (int64, uint64, error) {
	base := p.end
	p.wbuf = encodeData(p.wbuf[:0], base, txn, pf, recs)
	defer p.shrinkBuf()
	b := p.wbuf
	if len(b) > p.l.opts.MaxBatchBytes {
		return 0, 0, fmt.Errorf("%w: %s: batch of %d records encodes to %d bytes, limit %d",
			broker.ErrRecordTooLarge, p.tp, len(recs), len(b), p.l.opts.MaxBatchBytes)
	}
	seg, pos, err := p.writeLocked(b)
	if err != nil {
		return 0, 0, err
	}
	h := p.commitLocked(seg, pos, b)
	if txn != nil {
		seg.txnBatch = append(seg.txnBatch, txnBatch{txn: *txn, base: base, count: h.count})
		p.addPendingLocked(*txn, base, h.count)
	}
	if pf != nil {
		p.producers.record(pf.ProducerBatch, base, h.count, pf.appendMs)
		if p.producers.overCap(p.l.opts.MaxProducers) {
			p.producers.expire(pf.appendMs, p.l.opts.ProducerExpiry.Milliseconds(), p.l.opts.MaxProducers)
		}
	}
	p.recomputeStableLocked()
	p.wakeLocked()
	return base, p.writtenGen, nil
}

// txnDurable reports whether every batch of txn in this partition is
// within the fsynced prefix.
func (p *partition) txnDurable(txn broker.Txn) bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	pt := p.pending[txn]
	if pt == nil || len(pt.ranges) == 0 {
		return true
	}
	return pt.ranges[len(pt.ranges)-1].last < p.durable
}

// endTxn writes txn's marker if txn has batches in this partition,
// attributed to producer pb (nil: none).
func (p *partition) endTxn(txn broker.Txn, commit bool, nowMs int64, pb *broker.ProducerBatch) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	pt := p.pending[txn]
	if p.state == partDeleted || pt == nil {
		return nil
	}
	if err := p.writableLocked(); err != nil {
		return err
	}
	var pf *producerFields
	if pb != nil {
		pf = &producerFields{ProducerBatch: broker.ProducerBatch{ID: pb.ID, Epoch: pb.Epoch, BaseSeq: -1}, appendMs: nowMs}
	}
	p.wbuf = encodeControl(p.wbuf[:0], p.end, txn, pf, commit, nowMs)
	seg, pos, err := p.writeLocked(p.wbuf)
	if err != nil {
		return err
	}
	h := p.commitLocked(seg, pos, p.wbuf)
	if pf != nil {
		p.producers.marker(pf.ID, pf.Epoch, nowMs)
	}
	seg.markers = append(seg.markers, txnMarker{txn: txn, offset: h.base, commit: commit})
	// The marker is not fsynced here (EndTxn fsyncs aborts; a commit's
	// becomes durable with the partition's next fsync). Until then the
	// durable prefix, and so under SyncAlways the stable offset, stops in
	// front of it: the transaction's records are readable, but no reader's
	// position passes an offset that a power failure could take back (and
	// that an append before the transaction is resolved again would
	// reuse).
	delete(p.pending, txn)
	if !commit {
		p.addAbortedLocked(pt.ranges)
	}
	p.recomputeStableLocked()
	p.wakeLocked()
	return nil
}

func (p *partition) offsets() (broker.Offsets, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if err := p.readableLocked(); err != nil {
		return broker.Offsets{}, err
	}
	return broker.Offsets{Start: p.start, Stable: p.stable, End: p.end}, nil
}

// wait blocks until a record at or after offset is visible under iso.
func (p *partition) wait(ctx context.Context, offset int64, iso broker.Isolation, done <-chan struct{}) error {
	for {
		p.mu.Lock()
		if err := p.readableLocked(); err != nil {
			p.mu.Unlock()
			return err
		}
		visible := p.end
		if iso == broker.ReadCommitted {
			visible = p.stable
		}
		if visible > offset {
			p.mu.Unlock()
			return nil
		}
		if p.notify == nil {
			p.notify = make(chan struct{})
		}
		ch := p.notify
		p.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-done:
			return fmt.Errorf("%w: %s", broker.ErrClosed, p.tp)
		}
	}
}

// release drops the partition's segment references and wakes waiters;
// state is partDeleted or partClosed.
func (p *partition) release(state int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state != partOpen {
		return
	}
	p.state = state
	p.wakeLocked()
	for _, s := range p.segs {
		s.decRef()
	}
	p.segs = nil
	p.pending = nil
	p.aborted = nil
	p.producers = newProducerState()
}

// expireProducers drops idle producer state (retention loop).
func (p *partition) expireProducers(nowMs int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state == partOpen {
		p.producers.expire(nowMs, p.l.opts.ProducerExpiry.Milliseconds(), p.l.opts.MaxProducers)
	}
}

// errOutOfRange builds an ErrOffsetOutOfRange with the partition bounds.
func (p *partition) errOutOfRange(offset, start, end int64) error {
	return fmt.Errorf("%w: %s: offset %d not in [%d, %d]", broker.ErrOffsetOutOfRange, p.tp, offset, start, end)
}
