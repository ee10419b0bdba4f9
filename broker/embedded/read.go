package embedded

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"sync"

	"github.com/ksqlgo/ksql/broker"
)

const (
	defaultMaxRecords = 500
	defaultMaxBytes   = 1 << 20

	// maxReadSegments bounds how many segments one Read visits.
	maxReadSegments = 4
	// maxPooledChunk bounds the read buffers kept for reuse.
	maxPooledChunk = 4 << 20
	minChunk       = 4 << 10
)

// chunkPool holds file read buffers. Records never alias them: decoded
// bytes are copied into a buffer owned by the caller.
var chunkPool = sync.Pool{New: func() any { b := make([]byte, 64<<10); return &b }}

// segView is a segment as seen by one read: its size when the read began.
type segView struct {
	seg  *segment
	pos  int64 // where to start reading
	size int64
}

// readState is one Read in progress.
type readState struct {
	p          *partition
	offset     int64
	limit      int64
	committed  bool
	maxRecords int
	maxBytes   int
	aborted    []offRange
	ai         int
	avgRecord  int64 // on-disk bytes per offset, for buffer sizing

	recs      []broker.Record
	hdrs      []broker.Header
	out       []byte // backing store of returned record bytes
	bytes     int    // sum of Record.Size of recs
	next      int64
	skipped   int64 // bytes of skipped (aborted, control) batches
	skipLimit int64
	done      bool

	buf          []byte // file chunk
	cStart, cEnd int64  // file range held in buf
	chunk        int64  // preferred chunk size

	// withBatches (ReadBatches) groups the records by batch and keeps
	// transaction markers.
	withBatches bool
	batches     []batchSpan

	// cache is the reader's batch cache (nil for Log.Read).
	cache *batchCache
	// alias (a Reader's reads) returns records whose bytes alias the file
	// chunks and cached batches they were read into, instead of copies:
	// every chunk is then a fresh buffer that is never written again once
	// read (not the pooled one), and a cached batch is the chunk itself.
	alias bool
}

// maxCachedBatch bounds the batch a reader keeps between reads.
const maxCachedBatch = 8 << 20

// batchCache is what a Reader remembers of the batch its last read
// stopped in, so that the next read, which almost always continues at the
// offset where the last one ended, resumes inside that batch instead of
// reading it from the file again, verifying its checksum again and
// decoding every record before the offset again. A producer's batch holds
// up to thousands of records and a read returns 500, so without it a
// large batch costs its size in file reads and checksums many times over.
//
// The bytes are the chunk the batch was read into (never written again:
// records returned alias it) and were verified when read. Batches below a
// segment's size never change (appends only go at the end; truncation
// happens before the partition is published, or beyond what was
// written), so they stay valid as long as the segment is one of the
// partition's; a read checks that through the segment pointer.
type batchCache struct {
	seg *segment
	pos int64 // file position of the batch in seg
	buf []byte
	d   batchDecoder // positioned at the record with offset next
	// next is the offset of the record d decodes next.
	next int64
}

func (c *batchCache) valid() bool { return c != nil && c.seg != nil }

// resumes reports whether a read of view v at offset can start in the
// cached batch.
func (c *batchCache) resumes(v segView, offset int64) bool {
	return c.valid() && c.seg == v.seg && c.pos >= v.pos && c.pos < v.size &&
		c.d.h.base <= offset && offset < c.d.h.next()
}

// keep caches batch b (header h, at file position pos of seg), whose
// decoding stopped at d with the record at offset next. b is kept as it
// is when it is an aliased chunk (never written again), else copied.
func (c *batchCache) keep(seg *segment, pos int64, b []byte, d *batchDecoder, next int64, aliased bool) {
	if !c.valid() || c.seg != seg || c.pos != pos {
		if len(b) > maxCachedBatch {
			c.seg, c.buf = nil, nil
			return
		}
		if aliased {
			c.buf = b[:len(b):len(b)]
		} else {
			c.buf = bytes.Clone(b) // b is in a pooled chunk
		}
		c.seg, c.pos = seg, pos
	}
	c.d, c.next = *d, next
	c.d.b = c.buf
}

// embeddedReader is the Reader of one partition (broker.ReaderLog).
type embeddedReader struct {
	l         *Log
	topic     string
	partition int32
	cache     batchCache
}

// NewReader implements broker.ReaderLog: a reader that resumes inside the
// batch its previous read stopped in (batchCache).
func (l *Log) NewReader(topic string, partition int32) broker.Reader {
	return &embeddedReader{l: l, topic: topic, partition: partition}
}

// Read implements broker.Reader, with Log.Read's contract.
func (r *embeddedReader) Read(ctx context.Context, offset int64, opts broker.ReadOptions) ([]broker.Record, int64, error) {
	if err := r.l.enterCtx(ctx); err != nil {
		return nil, 0, err
	}
	defer r.l.leave()
	p, err := r.l.partition(r.topic, r.partition)
	if err != nil {
		return nil, 0, err
	}
	st, err := p.readStateCached(offset, opts, false, &r.cache, true)
	if err != nil {
		return nil, 0, err
	}
	if len(st.recs) == 0 {
		return nil, st.next, nil
	}
	return st.recs, st.next, nil
}

// Close implements broker.Reader.
func (r *embeddedReader) Close() error {
	r.cache = batchCache{}
	return nil
}

// batchSpan is one batch of a ReadBatches: recs[from:to] of the read, or
// a marker (b.Control) without records.
type batchSpan struct {
	b        broker.Batch
	from, to int
}

// ReadBatches implements broker.ProducerLog.
func (l *Log) ReadBatches(ctx context.Context, topic string, partition int32, offset int64, opts broker.ReadOptions) ([]broker.Batch, int64, error) {
	if err := l.enterCtx(ctx); err != nil {
		return nil, 0, err
	}
	defer l.leave()
	p, err := l.partition(topic, partition)
	if err != nil {
		return nil, 0, err
	}
	st, err := p.readState(offset, opts, true)
	if err != nil {
		return nil, 0, err
	}
	out := make([]broker.Batch, len(st.batches))
	for i, sp := range st.batches {
		out[i] = sp.b
		if !sp.b.Control {
			out[i].Records = st.recs[sp.from:sp.to:sp.to]
		}
	}
	return out, st.next, nil
}

// read implements Log.Read for one partition.
func (p *partition) read(offset int64, opts broker.ReadOptions) ([]broker.Record, int64, error) {
	st, err := p.readState(offset, opts, false)
	if err != nil {
		return nil, 0, err
	}
	if len(st.recs) == 0 {
		return nil, st.next, nil
	}
	return st.recs, st.next, nil
}

// readState runs one read (withBatches: for ReadBatches).
func (p *partition) readState(offset int64, opts broker.ReadOptions, withBatches bool) (*readState, error) {
	return p.readStateCached(offset, opts, withBatches, nil, false)
}

// readStateCached is readState with a reader's batch cache (nil: none),
// and with records aliasing the buffers they were read into (alias; only
// with a cache).
func (p *partition) readStateCached(offset int64, opts broker.ReadOptions, withBatches bool, cache *batchCache, alias bool) (*readState, error) {
	st := &readState{p: p, offset: offset, next: offset, committed: opts.Isolation == broker.ReadCommitted,
		maxRecords: opts.MaxRecords, maxBytes: opts.MaxBytes, withBatches: withBatches, cache: cache, alias: alias && cache != nil}
	if st.maxRecords <= 0 {
		st.maxRecords = defaultMaxRecords
	}
	if st.maxBytes <= 0 {
		st.maxBytes = defaultMaxBytes
	}
	var viewArr [maxReadSegments]segView
	views := viewArr[:0]

	p.mu.RLock()
	if err := p.readableLocked(); err != nil {
		p.mu.RUnlock()
		return nil, err
	}
	if offset < p.start || offset > p.end {
		err := p.errOutOfRange(offset, p.start, p.end)
		p.mu.RUnlock()
		return nil, err
	}
	st.limit = p.end
	if st.committed {
		st.limit = p.stable
	}
	if offset >= st.limit {
		p.mu.RUnlock()
		return st, nil
	}
	// Clamp the limits so the size arithmetic below cannot overflow.
	if n := st.limit - offset; int64(st.maxRecords) > n {
		st.maxRecords = int(n)
	}
	if st.maxBytes > 1<<40 {
		st.maxBytes = 1 << 40
	}
	i := sort.Search(len(p.segs), func(i int) bool { return p.segs[i].base > offset }) - 1
	for j := i; j < len(p.segs) && p.segs[j].base < st.limit && len(views) < maxReadSegments; j++ {
		s := p.segs[j]
		v := segView{seg: s, size: s.size}
		if j == i {
			v.pos = s.lookup(offset)
		}
		s.incRef()
		views = append(views, v)
	}
	hi := st.limit
	if last := views[len(views)-1].seg; last.next < hi {
		hi = last.next
	}
	if st.committed {
		st.aborted = p.abortedBetweenLocked(offset, hi)
	}
	st.avgRecord = 64
	if n := p.end - p.start; n > 0 && p.diskBytes > 0 {
		st.avgRecord = p.diskBytes/n + 1
	}
	p.mu.RUnlock()
	defer func() {
		for _, v := range views {
			v.seg.decRef()
		}
	}()

	// Size the file chunk to what this read is likely to consume.
	st.chunk = int64(st.maxRecords)*st.avgRecord + p.l.opts.IndexIntervalBytes + batchHeaderLen
	if c := int64(st.maxBytes) + p.l.opts.IndexIntervalBytes + 64<<10; st.chunk > c {
		st.chunk = c
	}
	if st.chunk < minChunk {
		st.chunk = minChunk
	}
	st.skipLimit = 4*int64(st.maxBytes) + 8<<20
	n := st.maxRecords
	if m := st.maxBytes/16 + 1; n > m {
		n = m
	}
	if n > 4096 {
		n = 4096 // grow by append beyond this
	}
	st.recs = make([]broker.Record, 0, n)
	if !st.alias {
		bp := chunkPool.Get().(*[]byte)
		st.buf = *bp
		defer func() {
			if cap(st.buf) <= maxPooledChunk {
				*bp = st.buf
				chunkPool.Put(bp)
			}
		}()
	}

	for _, v := range views {
		if err := st.readSegment(v); err != nil {
			return nil, err
		}
		if st.done {
			break
		}
	}
	return st, nil
}

func (st *readState) corrupt(v segView, pos int64, err error) error {
	return fmt.Errorf("%w: %s: segment %s is corrupt at byte %d: %v", broker.ErrStorage, st.p.tp, v.seg.logPath, pos, err)
}

// load makes buf hold the file range [pos, pos+need) (and more, up to the
// chunk size and the view's end).
func (st *readState) load(v segView, pos int64, need int) error {
	n := st.chunk
	if int64(need) > n {
		n = int64(need)
	}
	if n > v.size-pos {
		n = v.size - pos
	}
	if n < int64(need) {
		return st.corrupt(v, pos, corruptf("batch extends past the end of the segment"))
	}
	if int64(cap(st.buf)) < n || st.alias {
		// Aliased chunks are never read into again: records and the
		// cache may hold the previous one.
		st.buf = make([]byte, n)
	}
	st.buf = st.buf[:cap(st.buf)]
	if _, err := v.seg.f.ReadAt(st.buf[:n], pos); err != nil {
		return fmt.Errorf("%w: %s: read %s at byte %d: %v", broker.ErrStorage, st.p.tp, v.seg.logPath, pos, err)
	}
	st.cStart, st.cEnd = pos, pos+n
	return nil
}

func (st *readState) isAborted(base int64) bool {
	for st.ai < len(st.aborted) && st.aborted[st.ai].last < base {
		st.ai++
	}
	return st.ai < len(st.aborted) && st.aborted[st.ai].first <= base
}

func (st *readState) readSegment(v segView) error {
	st.cStart, st.cEnd = 0, 0
	pos := v.pos
	expect := int64(-1) // base the next batch must have, once known
	c := st.cache
	if c.resumes(v, st.offset) {
		pos = c.pos // the batch holding offset: skip the index walk
	}
	for pos < v.size && !st.done {
		// The cached batch is verified and in memory; any other is read
		// from the file, its header first.
		cached := c.valid() && c.seg == v.seg && c.pos == pos
		var h batchHeader
		if cached {
			h = c.d.h
		} else {
			if pos < st.cStart || pos+batchHeaderLen > st.cEnd {
				if err := st.load(v, pos, batchHeaderLen); err != nil {
					return err
				}
			}
			var err error
			if h, err = parseHeader(st.buf[pos-st.cStart:]); err != nil {
				return st.corrupt(v, pos, err)
			}
		}
		size := int64(h.size)
		if expect >= 0 && h.base != expect {
			return st.corrupt(v, pos, corruptf("batch offset %d, expected %d", h.base, expect))
		}
		expect = h.next()
		if h.base >= st.limit {
			st.done = true
			break
		}
		if h.next() <= st.offset {
			pos += size
			continue
		}
		if h.control() && st.withBatches {
			if err := st.marker(v, pos, h); err != nil {
				return err
			}
			pos += size
			continue
		}
		if h.control() || (st.committed && h.txn() && st.isAborted(h.base)) {
			st.next = h.next()
			st.skipped += size
			pos += size
			if st.skipped > st.skipLimit {
				st.done = true
			}
			continue
		}
		var b []byte
		if cached {
			b = c.buf[:h.size]
		} else {
			if pos+size > st.cEnd {
				if err := st.load(v, pos, h.size); err != nil {
					return err
				}
			}
			b = st.buf[pos-st.cStart : pos-st.cStart+size]
			if err := checkCRC(b, &h); err != nil {
				return st.corrupt(v, pos, err)
			}
		}
		first := len(st.recs)
		if err := st.decodeBatch(v, pos, b, h); err != nil {
			return st.corrupt(v, pos, err)
		}
		if st.withBatches && len(st.recs) > first {
			var d batchDecoder
			if _, err := d.init(b, h); err != nil {
				return st.corrupt(v, pos, err)
			}
			sb := broker.Batch{Offset: st.recs[first].Offset, Producer: d.prod.ProducerBatch, Txn: h.txn()}
			if h.producer() {
				sb.Producer.BaseSeq = lastSeq(d.prod.BaseSeq, sb.Offset-h.base+1)
			}
			st.batches = append(st.batches, batchSpan{b: sb, from: first, to: len(st.recs)})
		}
		pos += size
	}
	return nil
}

// markerBytes is what a transaction marker counts against a read's byte
// limit (about its size in a Kafka fetch response).
const markerBytes = 80

// marker adds the transaction marker with header h at pos (ReadBatches).
func (st *readState) marker(v segView, pos int64, h batchHeader) error {
	if len(st.recs)+len(st.batches) > 0 && st.bytes+markerBytes > st.maxBytes {
		st.done = true
		return nil
	}
	if pos < st.cStart || pos+int64(h.size) > st.cEnd {
		if err := st.load(v, pos, h.size); err != nil {
			return err
		}
	}
	b := st.buf[pos-st.cStart : pos-st.cStart+int64(h.size)]
	if err := checkCRC(b, &h); err != nil {
		return st.corrupt(v, pos, err)
	}
	var d batchDecoder
	commit, err := d.init(b, h)
	if err != nil {
		return st.corrupt(v, pos, err)
	}
	st.batches = append(st.batches, batchSpan{b: broker.Batch{Offset: h.base, Producer: d.prod.ProducerBatch, Txn: true, Control: true, Commit: commit}})
	st.bytes += markerBytes
	st.next = h.next()
	return nil
}

// copyBytes copies v into the caller-owned output buffer, preserving nil.
func (st *readState) copyBytes(v []byte, hint int) []byte {
	if v == nil {
		return nil
	}
	if len(v) == 0 {
		return []byte{}
	}
	if cap(st.out)-len(st.out) < len(v) {
		if hint < len(v) {
			hint = len(v)
		}
		st.out = make([]byte, 0, hint)
	}
	s := len(st.out)
	st.out = append(st.out, v...)
	return st.out[s:len(st.out):len(st.out)]
}

// decodeBatch decodes data batch b (header h, checksum verified) at file
// position pos of v's segment, resuming from the reader's cache when it
// holds this batch at the read's offset, and caching the batch when the
// read stops inside it.
func (st *readState) decodeBatch(v segView, pos int64, b []byte, h batchHeader) error {
	c := st.cache
	var d batchDecoder
	next := h.base
	if c.valid() && c.seg == v.seg && c.pos == pos && c.next <= st.offset {
		d, next = c.d, c.next
	} else if _, err := d.init(b, h); err != nil {
		return err
	}
	next, err := st.decode(&d, next)
	if err != nil {
		return err
	}
	if c != nil && !st.withBatches {
		if d.left > 0 {
			c.keep(v.seg, pos, b, &d, next, st.alias)
		} else if c.valid() && c.seg == v.seg && c.pos == pos {
			c.seg = nil // consumed
		}
	}
	return nil
}

// decode appends the records of a data batch that are at or after offset,
// within the limits, from decoder d positioned at the record with offset
// off. It returns the offset of the record d decodes next.
func (st *readState) decode(d *batchDecoder, off int64) (int64, error) {
	h := d.h
	// If the output buffer must grow, size it for what probably remains:
	// the rest of the chunk, bounded by the byte and record limits.
	hint := max(int(st.cEnd-st.cStart), len(d.b)-d.pos)
	if m := st.maxBytes - st.bytes; hint > m {
		hint = m
	}
	if m := (st.maxRecords - len(st.recs)) * int(st.avgRecord) * 2; hint > m {
		hint = m
	}
	for ; off < h.next(); off++ {
		var r broker.Record
		hstart := len(st.hdrs)
		savePos, saveLeft := d.pos, d.left
		var err error
		st.hdrs, err = d.record(&r, st.hdrs, off >= st.offset)
		if err != nil {
			return off, err
		}
		if off < st.offset {
			st.hdrs = st.hdrs[:hstart]
			continue
		}
		size := len(r.Key) + len(r.Value) + 16
		for _, hd := range st.hdrs[hstart:] {
			size += len(hd.Key) + len(hd.Value)
		}
		if len(st.recs) >= st.maxRecords || (len(st.recs) > 0 && st.bytes+size > st.maxBytes) {
			st.hdrs = st.hdrs[:hstart]
			st.done = true
			d.pos, d.left = savePos, saveLeft // this record is the next read's first
			return off, nil
		}
		if !st.alias {
			r.Key = st.copyBytes(r.Key, hint)
			r.Value = st.copyBytes(r.Value, hint)
		}
		if n := len(st.hdrs); n > hstart {
			r.Headers = st.hdrs[hstart:n:n]
			for i := range r.Headers {
				if !st.alias {
					r.Headers[i].Value = st.copyBytes(r.Headers[i].Value, hint)
				}
			}
		}
		r.Partition = st.p.tp.Partition
		r.Offset = off
		st.recs = append(st.recs, r)
		st.bytes += size
		st.next = off + 1
		if len(st.recs) >= st.maxRecords {
			st.done = true
			return off + 1, nil
		}
	}
	return off, nil
}
