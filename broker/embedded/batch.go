package embedded

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"slices"

	"github.com/ksqlgo/ksql/broker"
)

// Batch encoding. Every Append, AppendTxn and transaction marker is one batch:
//
//	prefix (12 bytes, not covered by the checksum)
//	  0  magic    u8   0xB7
//	  1  version  u8   1
//	  2  reserved u16  0
//	  4  length   u32  number of bytes after the prefix
//	  8  crc      u32  CRC32C (Castagnoli) of those length bytes
//	body (covered by the checksum)
//	  12 base     i64  offset of the first record
//	  20 count    u32  number of offsets the batch occupies (>= 1)
//	  24 maxTs    i64  largest record timestamp (control batches: append time)
//	  32 flags    u8   bit 0 transactional, bit 1 control, bit 2 producer
//	  33 [transactional or control] producer (uvarint length + bytes), seq (varint)
//	     [producer] Kafka producer id (varint), epoch (varint), base
//	        sequence (varint; -1 for markers), append time in ms (varint)
//	     [control] marker u8: 0 abort, 1 commit
//	     [data] count records, each:
//	        tsDelta varint   timestamp - maxTs (two's complement wrap-around)
//	        key     varint length (-1 = nil) + bytes
//	        value   varint length (-1 = nil, a tombstone) + bytes
//	        nHdrs   uvarint, then per header:
//	          key   uvarint length + bytes
//	          value varint length (-1 = nil) + bytes
//
// All fixed-width integers are little endian. The producer flag and its
// fields are format 2 (idempotent producers, producers.go); format 1 logs
// never set it.
const (
	batchMagic     = 0xB7
	batchVersion   = 1
	prefixLen      = 12
	bodyFixedLen   = 21
	batchHeaderLen = prefixLen + bodyFixedLen

	// maxBatchLen bounds the length field; anything larger is corruption.
	maxBatchLen = 512 << 20

	flagTxn      = 1 << 0
	flagControl  = 1 << 1
	flagProducer = 1 << 2

	markerAbort  = 0
	markerCommit = 1
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// errCorrupt marks a batch that fails structural validation or its checksum.
var errCorrupt = errors.New("corrupt batch")

func corruptf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errCorrupt, fmt.Sprintf(format, args...))
}

// batchHeader is the decoded fixed part of a batch.
type batchHeader struct {
	size  int // total encoded size including the prefix
	crc   uint32
	base  int64
	count int64
	maxTs int64
	flags byte
}

func (h *batchHeader) txn() bool      { return h.flags&flagTxn != 0 }
func (h *batchHeader) control() bool  { return h.flags&flagControl != 0 }
func (h *batchHeader) producer() bool { return h.flags&flagProducer != 0 }
func (h *batchHeader) next() int64    { return h.base + h.count }

// parseHeader decodes the fixed header at the start of b, which must hold at
// least batchHeaderLen bytes. It does not verify the checksum.
func parseHeader(b []byte) (batchHeader, error) {
	var h batchHeader
	if b[0] != batchMagic {
		return h, corruptf("bad magic 0x%02x", b[0])
	}
	if b[1] != batchVersion {
		return h, corruptf("unsupported version %d", b[1])
	}
	length := binary.LittleEndian.Uint32(b[4:])
	if length < bodyFixedLen || length > maxBatchLen {
		return h, corruptf("bad length %d", length)
	}
	h.size = prefixLen + int(length)
	h.crc = binary.LittleEndian.Uint32(b[8:])
	h.base = int64(binary.LittleEndian.Uint64(b[12:]))
	h.count = int64(binary.LittleEndian.Uint32(b[20:]))
	h.maxTs = int64(binary.LittleEndian.Uint64(b[24:]))
	h.flags = b[32]
	if h.base < 0 || h.count < 1 || h.base > math.MaxInt64-h.count {
		return h, corruptf("bad base offset %d / count %d", h.base, h.count)
	}
	if h.flags&^(flagTxn|flagControl|flagProducer) != 0 {
		return h, corruptf("bad flags 0x%02x", h.flags)
	}
	return h, nil
}

// checkCRC verifies the checksum of a complete batch b (len(b) == h.size).
func checkCRC(b []byte, h *batchHeader) error {
	if got := crc32.Checksum(b[prefixLen:h.size], castagnoli); got != h.crc {
		return corruptf("checksum mismatch (stored %08x, computed %08x)", h.crc, got)
	}
	return nil
}

// beginBatch appends a zeroed header to dst and returns it with the index
// where the batch starts.
func beginBatch(dst []byte) ([]byte, int) {
	start := len(dst)
	var zero [batchHeaderLen]byte
	return append(dst, zero[:]...), start
}

// finishBatch fills in the header of the batch that starts at dst[start:].
func finishBatch(dst []byte, start int, base, count, maxTs int64, flags byte) {
	b := dst[start:]
	b[0] = batchMagic
	b[1] = batchVersion
	b[2], b[3] = 0, 0
	binary.LittleEndian.PutUint32(b[4:], uint32(len(b)-prefixLen))
	binary.LittleEndian.PutUint64(b[12:], uint64(base))
	binary.LittleEndian.PutUint32(b[20:], uint32(count))
	binary.LittleEndian.PutUint64(b[24:], uint64(maxTs))
	b[32] = flags
	binary.LittleEndian.PutUint32(b[8:], crc32.Checksum(b[prefixLen:], castagnoli))
}

func appendBytes(dst, v []byte) []byte {
	if v == nil {
		return binary.AppendVarint(dst, -1)
	}
	dst = binary.AppendVarint(dst, int64(len(v)))
	return append(dst, v...)
}

func appendTxnID(dst []byte, txn broker.Txn) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(txn.Producer)))
	dst = append(dst, txn.Producer...)
	return binary.AppendVarint(dst, txn.Seq)
}

// producerFields is a batch's Kafka producer: who appended it and when.
type producerFields struct {
	broker.ProducerBatch
	appendMs int64
}

func appendProducer(dst []byte, pf *producerFields) []byte {
	dst = binary.AppendVarint(dst, pf.ID)
	dst = binary.AppendVarint(dst, int64(pf.Epoch))
	dst = binary.AppendVarint(dst, int64(pf.BaseSeq))
	return binary.AppendVarint(dst, pf.appendMs)
}

// encodeData appends one data batch holding recs (len(recs) >= 1) to dst.
// txn is nil for a plain batch, pf nil for a batch without a producer.
func encodeData(dst []byte, base int64, txn *broker.Txn, pf *producerFields, recs []broker.Record) []byte {
	maxTs := int64(math.MinInt64)
	size := 64 // header, transaction and producer fields
	for i := range recs {
		r := &recs[i]
		if r.Timestamp > maxTs {
			maxTs = r.Timestamp
		}
		size += len(r.Key) + len(r.Value) + 4*binary.MaxVarintLen64
		for _, h := range r.Headers {
			size += len(h.Key) + len(h.Value) + 2*binary.MaxVarintLen64
		}
	}
	dst = slices.Grow(dst, size) // one allocation at most, not a doubling chain
	dst, start := beginBatch(dst)
	var flags byte
	if txn != nil {
		flags |= flagTxn
		dst = appendTxnID(dst, *txn)
	}
	if pf != nil {
		flags |= flagProducer
		dst = appendProducer(dst, pf)
	}
	for i := range recs {
		r := &recs[i]
		dst = binary.AppendVarint(dst, r.Timestamp-maxTs)
		dst = appendBytes(dst, r.Key)
		dst = appendBytes(dst, r.Value)
		dst = binary.AppendUvarint(dst, uint64(len(r.Headers)))
		for _, h := range r.Headers {
			dst = binary.AppendUvarint(dst, uint64(len(h.Key)))
			dst = append(dst, h.Key...)
			dst = appendBytes(dst, h.Value)
		}
	}
	finishBatch(dst, start, base, int64(len(recs)), maxTs, flags)
	return dst
}

// encodeControl appends a transaction marker batch to dst (pf nil: no
// producer).
func encodeControl(dst []byte, base int64, txn broker.Txn, pf *producerFields, commit bool, ts int64) []byte {
	dst, start := beginBatch(dst)
	dst = appendTxnID(dst, txn)
	flags := byte(flagTxn | flagControl)
	if pf != nil {
		flags |= flagProducer
		dst = appendProducer(dst, pf)
	}
	m := byte(markerAbort)
	if commit {
		m = markerCommit
	}
	dst = append(dst, m)
	finishBatch(dst, start, base, 1, ts, flags)
	return dst
}

// batchDecoder walks the body of one complete, checksummed batch.
type batchDecoder struct {
	b    []byte // the whole batch
	pos  int
	h    batchHeader
	txn  broker.Txn // set for transactional and control batches
	prod producerFields
	left int64 // data records not yet decoded
}

func (d *batchDecoder) varint() (int64, error) {
	v, n := binary.Varint(d.b[d.pos:])
	if n <= 0 {
		return 0, corruptf("bad varint at batch byte %d", d.pos)
	}
	d.pos += n
	return v, nil
}

func (d *batchDecoder) uvarint() (uint64, error) {
	v, n := binary.Uvarint(d.b[d.pos:])
	if n <= 0 {
		return 0, corruptf("bad uvarint at batch byte %d", d.pos)
	}
	d.pos += n
	return v, nil
}

// bytes decodes a nullable byte string; the result aliases the batch.
func (d *batchDecoder) bytes() ([]byte, error) {
	l, err := d.varint()
	if err != nil {
		return nil, err
	}
	if l == -1 {
		return nil, nil
	}
	if l < -1 || l > int64(len(d.b)-d.pos) {
		return nil, corruptf("bad length %d at batch byte %d", l, d.pos)
	}
	v := d.b[d.pos : d.pos+int(l) : d.pos+int(l)]
	d.pos += int(l)
	return v, nil
}

// str decodes a non-nullable byte string; the result aliases the batch.
func (d *batchDecoder) str() ([]byte, error) {
	l, err := d.uvarint()
	if err != nil {
		return nil, err
	}
	if l > uint64(len(d.b)-d.pos) {
		return nil, corruptf("bad length %d at batch byte %d", l, d.pos)
	}
	v := d.b[d.pos : d.pos+int(l) : d.pos+int(l)]
	d.pos += int(l)
	return v, nil
}

// init prepares decoding of batch b with header h, decoding the
// transactional fields. For control batches it also returns the marker.
func (d *batchDecoder) init(b []byte, h batchHeader) (commit bool, err error) {
	*d = batchDecoder{b: b[:h.size], pos: batchHeaderLen, h: h}
	if h.control() && !h.txn() {
		return false, corruptf("control batch without transactional flag")
	}
	if h.txn() {
		p, err := d.str()
		if err != nil {
			return false, err
		}
		seq, err := d.varint()
		if err != nil {
			return false, err
		}
		d.txn = broker.Txn{Producer: string(p), Seq: seq}
	}
	d.prod = producerFields{ProducerBatch: broker.ProducerBatch{ID: broker.NoProducer, BaseSeq: -1}}
	if h.producer() {
		var v [4]int64
		for i := range v {
			if v[i], err = d.varint(); err != nil {
				return false, err
			}
		}
		if v[0] < 0 || v[1] < 0 || v[1] > math.MaxInt16 || v[2] < -1 || v[2] > math.MaxInt32 || (v[2] == -1) != h.control() {
			return false, corruptf("bad producer fields %v", v)
		}
		d.prod = producerFields{ProducerBatch: broker.ProducerBatch{ID: v[0], Epoch: int16(v[1]), BaseSeq: int32(v[2])}, appendMs: v[3]}
	}
	if h.control() {
		if h.count != 1 || d.pos != len(d.b)-1 || d.b[d.pos] > markerCommit {
			return false, corruptf("bad control batch")
		}
		return d.b[d.pos] == markerCommit, nil
	}
	// Every record takes at least 4 bytes.
	if h.count > int64(len(d.b)-d.pos)/4 {
		return false, corruptf("record count %d exceeds batch size", h.count)
	}
	d.left = h.count
	return false, nil
}

// record decodes the next data record into r (Key, Value, Timestamp),
// appending its headers to hdrs. Byte slices alias the batch; header keys
// are only validated (not converted) when keys is false.
func (d *batchDecoder) record(r *broker.Record, hdrs []broker.Header, keys bool) ([]broker.Header, error) {
	if d.left <= 0 {
		return hdrs, corruptf("no more records")
	}
	d.left--
	delta, err := d.varint()
	if err != nil {
		return hdrs, err
	}
	r.Timestamp = d.h.maxTs + delta
	if r.Key, err = d.bytes(); err != nil {
		return hdrs, err
	}
	if r.Value, err = d.bytes(); err != nil {
		return hdrs, err
	}
	n, err := d.uvarint()
	if err != nil {
		return hdrs, err
	}
	if n > uint64(len(d.b)-d.pos)/2 {
		return hdrs, corruptf("header count %d exceeds batch size", n)
	}
	for i := uint64(0); i < n; i++ {
		k, err := d.str()
		if err != nil {
			return hdrs, err
		}
		v, err := d.bytes()
		if err != nil {
			return hdrs, err
		}
		h := broker.Header{Value: v}
		if keys {
			h.Key = string(k)
		}
		hdrs = append(hdrs, h)
	}
	if d.left == 0 && d.pos != len(d.b) {
		return hdrs, corruptf("%d trailing bytes after last record", len(d.b)-d.pos)
	}
	return hdrs, nil
}

// validate decodes every record of a data batch without keeping anything.
func (d *batchDecoder) validate(scratch []broker.Header) error {
	var r broker.Record
	var err error
	for d.left > 0 {
		if scratch, err = d.record(&r, scratch[:0], false); err != nil {
			return err
		}
	}
	return nil
}
