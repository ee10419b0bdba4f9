package kafkaproto

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/ksqlgo/ksql/broker"
)

// Record batch v2 layout (the fixed header is 61 bytes):
//
//	baseOffset int64, batchLength int32 (bytes after this field),
//	partitionLeaderEpoch int32, magic int8 (2), crc uint32 (CRC-32C of
//	everything after it), attributes int16, lastOffsetDelta int32,
//	baseTimestamp int64, maxTimestamp int64, producerId int64,
//	producerEpoch int16, baseSequence int32, recordCount int32, records.
const (
	batchHeaderLen   = 61
	batchLengthStart = 12 // bytes before batchLength's coverage starts
	crcStart         = 21 // first byte covered by the CRC

	attrCompression   = 0x07
	attrTransactional = 0x10
	attrControl       = 0x20
)

var crc32c = crc32.MakeTable(crc32.Castagnoli)

// batchError is a produce batch refused with a Kafka error code.
type batchError struct {
	code int16
	msg  string
}

func (e *batchError) Error() string { return e.msg }

func refuse(code int16, format string, args ...any) *batchError {
	return &batchError{code: code, msg: fmt.Sprintf(format, args...)}
}

// batchInfo is what a decoded produce batch says about its producer.
type batchInfo struct {
	producerID    int64
	producerEpoch int16
	baseSequence  int32
	transactional bool
}

// decodeProduceBatch checks and decodes the records of one produce
// request partition: exactly one record batch v2 (as Kafka requires of
// Produce v3+), with a valid length, CRC-32C and record count, records
// that decode exactly, compressed with a codec Kafka knows. Records that
// are (or decompress to) more than dec's limit are refused with
// MESSAGE_TOO_LARGE before more than the limit is allocated. Timestamps
// are the batch's base timestamp plus each record's delta (CreateTime).
func decodeProduceBatch(b []byte, dec *decompressor) ([]broker.Record, batchInfo, error) {
	var info batchInfo
	if len(b) < batchHeaderLen {
		return nil, info, refuse(kerr.CorruptMessage.Code, "record batch of %d bytes is shorter than its %d-byte header", len(b), batchHeaderLen)
	}
	length := int64(int32(binary.BigEndian.Uint32(b[8:])))
	switch {
	case length < batchHeaderLen-batchLengthStart || batchLengthStart+length > int64(len(b)):
		return nil, info, refuse(kerr.CorruptMessage.Code, "record batch length %d does not fit the %d bytes sent", length, len(b))
	case batchLengthStart+length < int64(len(b)):
		return nil, info, refuse(kerr.InvalidRecord.Code, "a produce request must hold exactly one record batch per partition")
	}
	if magic := int8(b[16]); magic != 2 {
		return nil, info, refuse(kerr.UnsupportedForMessageFormat.Code, "record batch magic %d: only magic 2 (Kafka 0.11+) is supported", magic)
	}
	if want, got := binary.BigEndian.Uint32(b[17:]), crc32.Checksum(b[crcStart:], crc32c); want != got {
		return nil, info, refuse(kerr.CorruptMessage.Code, "record batch CRC %08x does not match its contents (%08x)", want, got)
	}
	var batch kmsg.RecordBatch
	if err := batch.ReadFrom(b); err != nil {
		return nil, info, refuse(kerr.CorruptMessage.Code, "record batch: %v", err)
	}
	info = batchInfo{batch.ProducerID, batch.ProducerEpoch, batch.FirstSequence, batch.Attributes&attrTransactional != 0}
	if batch.Attributes&attrControl != 0 {
		return nil, info, refuse(kerr.InvalidRecord.Code, "clients may not produce control batches")
	}
	n := batch.NumRecords
	if n <= 0 || batch.LastOffsetDelta != n-1 {
		return nil, info, refuse(kerr.InvalidRecord.Code, "record batch of %d records with last offset delta %d", n, batch.LastOffsetDelta)
	}
	codec := int(batch.Attributes & attrCompression)
	if codec > codecZstd {
		return nil, info, refuse(kerr.CorruptMessage.Code, "unknown compression codec %d", codec)
	}
	raw, err := dec.decompress(batch.Records, codec)
	if err != nil {
		if errors.Is(err, errTooLarge) {
			return nil, info, refuse(kerr.MessageTooLarge.Code, "record batch: %v", err)
		}
		return nil, info, refuse(kerr.CorruptMessage.Code, "decompressing record batch: %v", err)
	}
	// Every record takes at least 7 bytes; a count beyond that is a lie
	// that must not size an allocation.
	if int64(n) > int64(len(raw))/7+1 {
		return nil, info, refuse(kerr.CorruptMessage.Code, "record batch claims %d records in %d bytes", n, len(raw))
	}
	recs := make([]broker.Record, 0, n)
	for i := int32(0); i < n; i++ {
		size, w := binary.Varint(raw)
		if w <= 0 || size < 0 || size > int64(len(raw)-w) {
			return nil, info, refuse(kerr.CorruptMessage.Code, "record %d of %d is truncated", i, n)
		}
		var kr kmsg.Record
		if err := kr.ReadFrom(raw[:w+int(size)]); err != nil {
			return nil, info, refuse(kerr.CorruptMessage.Code, "record %d of %d: %v", i, n, err)
		}
		if kr.OffsetDelta != i {
			return nil, info, refuse(kerr.InvalidRecord.Code, "record %d has offset delta %d", i, kr.OffsetDelta)
		}
		raw = raw[w+int(size):]
		rec := broker.Record{Key: kr.Key, Value: kr.Value, Timestamp: batch.FirstTimestamp + kr.TimestampDelta64}
		if len(kr.Headers) > 0 {
			rec.Headers = make([]broker.Header, len(kr.Headers))
			for j, h := range kr.Headers {
				rec.Headers[j] = broker.Header{Key: h.Key, Value: h.Value}
			}
		}
		recs = append(recs, rec)
	}
	if len(raw) != 0 {
		return nil, info, refuse(kerr.CorruptMessage.Code, "%d bytes after the last of %d records", len(raw), n)
	}
	return recs, info, nil
}

// appendFetchBatch appends one uncompressed record batch v2 holding recs
// (ascending offsets of one partition, possibly with gaps) and covering
// offsets base..next-1, so that a client resumes at next even when the
// log skipped offsets after the last record (transaction markers, aborted
// records). With no records the batch is empty and only moves the client
// past the gap.
func appendFetchBatch(dst []byte, base, next int64, recs []broker.Record) []byte {
	return appendKafkaBatch(dst, base, next, recs, 0, broker.ProducerBatch{ID: -1, Epoch: -1, BaseSeq: -1})
}

// appendFetchBatches appends the batches of one ProducerLog.ReadBatches
// that started at base and ends at next: consecutive batches without a
// Kafka producer are merged into one Kafka batch (covering the offsets
// skipped between them, as appendFetchBatch does); each batch of a Kafka
// producer is its own Kafka batch with its producer id, epoch and
// sequence (transactional if it is), each client transaction marker a
// control batch; markers without a producer (the engine's) are not sent.
func appendFetchBatches(dst []byte, base, next int64, batches []broker.Batch) []byte {
	cover := base
	var plain []broker.Record
	flush := func(end int64) {
		if len(plain) > 0 || end > cover {
			dst = appendFetchBatch(dst, cover, end, plain)
			cover, plain = end, plain[:0]
		}
	}
	for _, b := range batches {
		switch {
		case b.Producer.ID < 0 && b.Control:
		case b.Producer.ID < 0:
			plain = append(plain, b.Records...)
		case b.Control:
			flush(b.Offset)
			typ := byte(0)
			if b.Commit {
				typ = 1
			}
			marker := broker.Record{Key: []byte{0, 0, 0, typ}, Value: []byte{0, 0, 0, 0, 0, 0}, Offset: b.Offset}
			pb := b.Producer
			pb.BaseSeq = -1
			dst = appendKafkaBatch(dst, b.Offset, b.Offset+1, []broker.Record{marker}, attrTransactional|attrControl, pb)
			cover = b.Offset + 1
		default:
			flush(b.Offset)
			end := b.Records[len(b.Records)-1].Offset + 1
			attrs := int16(0)
			if b.Txn {
				attrs = attrTransactional
			}
			dst = appendKafkaBatch(dst, b.Offset, end, b.Records, attrs, b.Producer)
			cover = end
		}
	}
	flush(next)
	return dst
}

// appendKafkaBatch appends one uncompressed record batch v2 covering
// offsets base..next-1 with the given attributes and producer.
func appendKafkaBatch(dst []byte, base, next int64, recs []broker.Record, attrs int16, pb broker.ProducerBatch) []byte {
	start := len(dst)
	var firstTs, maxTs int64 = -1, -1
	if len(recs) > 0 {
		firstTs = recs[0].Timestamp
		for _, r := range recs {
			firstTs = min(firstTs, r.Timestamp)
			maxTs = max(maxTs, r.Timestamp)
		}
	}
	dst = binary.BigEndian.AppendUint64(dst, uint64(base))
	dst = binary.BigEndian.AppendUint32(dst, 0) // length, below
	dst = binary.BigEndian.AppendUint32(dst, 0xFFFFFFFF)
	dst = append(dst, 2)
	dst = binary.BigEndian.AppendUint32(dst, 0) // crc, below
	dst = binary.BigEndian.AppendUint16(dst, uint16(attrs))
	dst = binary.BigEndian.AppendUint32(dst, uint32(next-1-base))
	dst = binary.BigEndian.AppendUint64(dst, uint64(firstTs))
	dst = binary.BigEndian.AppendUint64(dst, uint64(maxTs))
	dst = binary.BigEndian.AppendUint64(dst, uint64(pb.ID))
	dst = binary.BigEndian.AppendUint16(dst, uint16(pb.Epoch))
	dst = binary.BigEndian.AppendUint32(dst, uint32(pb.BaseSeq))
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(recs)))
	var body []byte
	for i := range recs {
		r := &recs[i]
		body = body[:0]
		body = append(body, 0) // attributes
		body = binary.AppendVarint(body, r.Timestamp-firstTs)
		body = binary.AppendVarint(body, r.Offset-base)
		body = appendVarBytes(body, r.Key)
		body = appendVarBytes(body, r.Value)
		body = binary.AppendVarint(body, int64(len(r.Headers)))
		for _, h := range r.Headers {
			body = binary.AppendVarint(body, int64(len(h.Key)))
			body = append(body, h.Key...)
			body = appendVarBytes(body, h.Value)
		}
		dst = binary.AppendVarint(dst, int64(len(body)))
		dst = append(dst, body...)
	}
	binary.BigEndian.PutUint32(dst[start+8:], uint32(len(dst)-start-batchLengthStart))
	binary.BigEndian.PutUint32(dst[start+17:], crc32.Checksum(dst[start+crcStart:], crc32c))
	return dst
}

func appendVarBytes(dst, b []byte) []byte {
	if b == nil {
		return binary.AppendVarint(dst, -1)
	}
	dst = binary.AppendVarint(dst, int64(len(b)))
	return append(dst, b...)
}
