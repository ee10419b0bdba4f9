package embedded

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/broker/embedded/logfs"
)

// indexEntry maps the first offset of a batch (relative to the segment base)
// to the batch's position in the segment file.
type indexEntry struct {
	rel uint32
	pos uint32
}

// txnBatch is a transactional data batch found in a segment.
type txnBatch struct {
	txn   broker.Txn
	base  int64
	count int64
}

// txnMarker is a control batch (transaction marker) found in a segment.
type txnMarker struct {
	txn    broker.Txn
	offset int64
	commit bool
}

const (
	logSuffix   = ".log"
	indexSuffix = ".index"
	tmpSuffix   = ".tmp"
)

// segment is one file of a partition, holding the batches whose offsets
// start at base.
//
// Invariants: the file holds exactly size bytes of valid batches (writes
// past size are either in progress under the partition lock or a failed
// write that is truncated before the lock is released); next is the offset
// after the last batch; index has an entry for the first batch and then at
// most one entry per IndexIntervalBytes of data.
//
// Lifetime: refs starts at 1 (the partition's reference). Readers take a
// reference under the partition read lock before using f outside the lock;
// the file is closed when the count drops to zero, so retention and topic
// deletion never close a file under a reader.
type segment struct {
	base    int64
	logPath string
	idxPath string
	f       logfs.File
	refs    atomic.Int32

	// Guarded by the owning partition's mu (written under the write lock).
	size     int64
	next     int64
	maxTs    int64 // largest data record timestamp; math.MinInt64 if none
	modMs    int64 // file modification time, retention fallback when maxTs <= 0
	index    []indexEntry
	lastIdx  int64 // file position of the last index entry; -1 if none
	txnBatch []txnBatch
	markers  []txnMarker
	// prodSnap is the producer state snapshot read from the segment's
	// index file (the state as of the segment's end, still encoded;
	// producers.go), nil if the index had none. Used only during Open.
	prodSnap []byte
}

func segmentName(base int64) string { return fmt.Sprintf("%020d", base) }

// parseSegmentName returns the base offset of a segment file name such as
// 00000000000000000042.log.
func parseSegmentName(name string) (int64, bool) {
	stem, ok := strings.CutSuffix(name, logSuffix)
	if !ok || len(stem) != 20 {
		return 0, false
	}
	base, err := strconv.ParseInt(stem, 10, 64)
	if err != nil || base < 0 || segmentName(base) != stem {
		return 0, false
	}
	return base, true
}

func newSegment(dir string, base int64, f logfs.File) *segment {
	s := &segment{
		base:    base,
		logPath: filepath.Join(dir, segmentName(base)+logSuffix),
		idxPath: filepath.Join(dir, segmentName(base)+indexSuffix),
		f:       f,
	}
	s.refs.Store(1)
	s.reset()
	return s
}

func (s *segment) reset() {
	s.size = 0
	s.next = s.base
	s.maxTs = math.MinInt64
	s.index = nil
	s.lastIdx = -1
	s.txnBatch = nil
	s.markers = nil
	s.prodSnap = nil
}

func (s *segment) incRef() { s.refs.Add(1) }

func (s *segment) decRef() {
	if s.refs.Add(-1) == 0 {
		_ = s.f.Close()
	}
}

// addBatch records a batch of header h written at file position pos.
func (s *segment) addBatch(pos int64, h *batchHeader, interval int64) {
	if s.lastIdx < 0 || pos-s.lastIdx >= interval {
		s.index = append(s.index, indexEntry{rel: uint32(h.base - s.base), pos: uint32(pos)})
		s.lastIdx = pos
	}
	s.size = pos + int64(h.size)
	s.next = h.next()
	if !h.control() && h.maxTs > s.maxTs {
		s.maxTs = h.maxTs
	}
}

// lookup returns the file position of the last indexed batch whose base is
// at or below offset.
func (s *segment) lookup(offset int64) int64 {
	rel := offset - s.base
	i := sort.Search(len(s.index), func(i int) bool { return int64(s.index[i].rel) > rel }) - 1
	if i < 0 {
		return 0
	}
	return int64(s.index[i].pos)
}

// retentionMs is the time retention compares against: the newest record
// timestamp, or the file's modification time if records carry no
// meaningful timestamps.
func (s *segment) retentionMs() int64 {
	if s.maxTs > 0 {
		return s.maxTs
	}
	return s.modMs
}

// producerFunc receives each batch with a Kafka producer found by a scan,
// in offset order: data batches with their offsets, markers (control).
type producerFunc func(pf producerFields, base, count int64, control bool)

// scan rebuilds the segment's metadata by reading its first size bytes. It
// stops at the first invalid batch and returns its position (good) and
// what is wrong with it (bad); good == size and bad == nil when every batch
// is valid. ioErr reports a failure to read the file. onProducer (if not
// nil) sees every valid batch that has a producer.
func (s *segment) scan(size, interval int64, onProducer producerFunc) (good int64, bad, ioErr error) {
	s.reset()
	r := bufio.NewReaderSize(io.NewSectionReader(s.f, 0, size), 256<<10)
	buf := make([]byte, 64<<10)
	var scratch []broker.Header
	var pos int64
	for pos < size {
		if size-pos < batchHeaderLen {
			return pos, corruptf("partial batch header (%d bytes)", size-pos), nil
		}
		if _, err := io.ReadFull(r, buf[:batchHeaderLen]); err != nil {
			return pos, nil, err
		}
		h, err := parseHeader(buf)
		if err != nil {
			return pos, err, nil
		}
		if int64(h.size) > size-pos {
			return pos, corruptf("short batch: %d bytes declared, %d present", h.size, size-pos), nil
		}
		if len(buf) < h.size {
			nb := make([]byte, h.size)
			copy(nb, buf[:batchHeaderLen])
			buf = nb
		}
		if _, err := io.ReadFull(r, buf[batchHeaderLen:h.size]); err != nil {
			return pos, nil, err
		}
		b := buf[:h.size]
		if err := checkCRC(b, &h); err != nil {
			return pos, err, nil
		}
		if h.base != s.next {
			return pos, corruptf("batch offset %d, expected %d", h.base, s.next), nil
		}
		var d batchDecoder
		commit, err := d.init(b, h)
		if err != nil {
			return pos, err, nil
		}
		if h.control() {
			s.markers = append(s.markers, txnMarker{txn: d.txn, offset: h.base, commit: commit})
		} else {
			if err := d.validate(scratch); err != nil {
				return pos, err, nil
			}
			if h.txn() {
				s.txnBatch = append(s.txnBatch, txnBatch{txn: d.txn, base: h.base, count: h.count})
			}
		}
		if h.producer() && onProducer != nil {
			onProducer(d.prod, h.base, h.count, h.control())
		}
		s.addBatch(pos, &h, interval)
		pos += int64(h.size)
	}
	return pos, nil, nil
}

// Index file: a cache of a sealed segment's metadata, so Open need not scan
// sealed segments. It is validated (checksum, size of the segment file,
// ranges) and ignored (the segment is rescanned) when anything is off.
//
//	"KQIX" version(1)
//	varint size, base, next, maxTs
//	uvarint n, n × (uvarint rel, uvarint pos)
//	uvarint n, n × (txn, varint base, varint count)
//	uvarint n, n × (txn, varint offset, u8 commit)
//	[version 2] the partition's producer state as of the segment's end
//	            (producers.go)
//	u32 CRC32C of everything before
//
// where txn is uvarint length + producer bytes, varint seq. Version 1
// (format 1, which had no producers) is read as a segment without
// producer batches.
const (
	indexMagic   = "KQIX"
	indexVersion = 2
)

// encodeIndex encodes the index with producer state snapshot snap
// (producerState.appendSnapshot).
func (s *segment) encodeIndex(snap []byte) []byte {
	b := make([]byte, 0, 64+len(s.index)*6+(len(s.txnBatch)+len(s.markers))*24)
	b = append(b, indexMagic...)
	b = append(b, indexVersion)
	b = binary.AppendVarint(b, s.size)
	b = binary.AppendVarint(b, s.base)
	b = binary.AppendVarint(b, s.next)
	b = binary.AppendVarint(b, s.maxTs)
	b = binary.AppendUvarint(b, uint64(len(s.index)))
	for _, e := range s.index {
		b = binary.AppendUvarint(b, uint64(e.rel))
		b = binary.AppendUvarint(b, uint64(e.pos))
	}
	b = binary.AppendUvarint(b, uint64(len(s.txnBatch)))
	for _, t := range s.txnBatch {
		b = appendTxnID(b, t.txn)
		b = binary.AppendVarint(b, t.base)
		b = binary.AppendVarint(b, t.count)
	}
	b = binary.AppendUvarint(b, uint64(len(s.markers)))
	for _, m := range s.markers {
		b = appendTxnID(b, m.txn)
		b = binary.AppendVarint(b, m.offset)
		c := byte(0)
		if m.commit {
			c = 1
		}
		b = append(b, c)
	}
	b = append(b, snap...)
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

// writeIndex persists the index file. It is a cache: it is not fsynced,
// and a torn or stale file is detected and ignored at the next Open.
func (s *segment) writeIndex(fsys logfs.FS, snap []byte) error {
	tmp := s.idxPath + tmpSuffix
	if err := logfs.WriteFile(fsys, tmp, s.encodeIndex(snap), false); err != nil {
		_ = fsys.Remove(tmp)
		return err
	}
	return fsys.Rename(tmp, s.idxPath)
}

var errBadIndex = errors.New("invalid index")

// idxReader decodes an index file.
type idxReader struct {
	b   []byte
	err error
}

func (r *idxReader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = errBadIndex
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *idxReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errBadIndex
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *idxReader) count(min int) int {
	n := r.uvarint()
	if r.err == nil && n > uint64(len(r.b)/min) {
		r.err = errBadIndex
	}
	return int(n)
}

func (r *idxReader) txn() broker.Txn {
	n := r.uvarint()
	if r.err != nil || n > uint64(len(r.b)) {
		r.err = errBadIndex
		return broker.Txn{}
	}
	p := string(r.b[:n])
	r.b = r.b[n:]
	return broker.Txn{Producer: p, Seq: r.varint()}
}

// loadIndex fills the segment's metadata from an index file describing a
// segment file of fileSize bytes. It reports false (leaving the segment
// reset) if the index is missing, stale or invalid.
func (s *segment) loadIndex(data []byte, fileSize int64) bool {
	if s.decodeIndex(data, fileSize) != nil {
		s.reset()
		return false
	}
	return true
}

func (s *segment) decodeIndex(data []byte, fileSize int64) error {
	s.reset()
	if len(data) < len(indexMagic)+1+4 || string(data[:4]) != indexMagic || data[4] < 1 || data[4] > indexVersion {
		return errBadIndex
	}
	body := data[:len(data)-4]
	if crc32.Checksum(body, castagnoli) != binary.LittleEndian.Uint32(data[len(data)-4:]) {
		return errBadIndex
	}
	r := &idxReader{b: body[5:]}
	size, base, next, maxTs := r.varint(), r.varint(), r.varint(), r.varint()
	if r.err != nil || size != fileSize || base != s.base || next < base || (size == 0) != (next == base) {
		return errBadIndex
	}
	s.size, s.next, s.maxTs = size, next, maxTs
	n := r.count(2)
	for i := 0; i < n && r.err == nil; i++ {
		rel, pos := r.uvarint(), r.uvarint()
		if r.err != nil || rel > uint64(next-base-1) || pos >= uint64(size) {
			return errBadIndex
		}
		if i == 0 && (rel != 0 || pos != 0) {
			return errBadIndex
		}
		if i > 0 {
			last := s.index[i-1]
			if rel <= uint64(last.rel) || pos <= uint64(last.pos) {
				return errBadIndex
			}
		}
		s.index = append(s.index, indexEntry{rel: uint32(rel), pos: uint32(pos)})
		s.lastIdx = int64(pos)
	}
	if size > 0 && len(s.index) == 0 {
		return errBadIndex
	}
	n = r.count(3)
	for i := 0; i < n && r.err == nil; i++ {
		t := txnBatch{txn: r.txn(), base: r.varint(), count: r.varint()}
		if r.err != nil || t.base < base || t.count < 1 || t.count > next-t.base {
			return errBadIndex
		}
		if i > 0 && t.base < s.txnBatch[i-1].base+s.txnBatch[i-1].count {
			return errBadIndex
		}
		s.txnBatch = append(s.txnBatch, t)
	}
	n = r.count(4)
	for i := 0; i < n && r.err == nil; i++ {
		m := txnMarker{txn: r.txn(), offset: r.varint()}
		if r.err != nil || len(r.b) < 1 || r.b[0] > 1 || m.offset < base || m.offset >= next {
			return errBadIndex
		}
		if i > 0 && m.offset <= s.markers[i-1].offset {
			return errBadIndex
		}
		m.commit = r.b[0] == 1
		r.b = r.b[1:]
		s.markers = append(s.markers, m)
	}
	if r.err != nil {
		return errBadIndex
	}
	if data[4] >= 2 {
		// The snapshot is decoded only if Open needs it (the last one);
		// the checksum covers it.
		s.prodSnap = append(make([]byte, 0, len(r.b)+1), r.b...)
		r.b = nil
	}
	if len(r.b) != 0 {
		return errBadIndex
	}
	return nil
}
