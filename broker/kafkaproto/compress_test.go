package kafkaproto_test

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"io"
	"runtime"
	"testing"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/broker/kafkaproto"
)

// Codec attribute values of a record batch.
const (
	gzipCodec   = 1
	snappyCodec = 2
	lz4Codec    = 3
	zstdCodec   = 4
	xerialCodec = 102 // snappy in the xerial framing (attribute 2)
)

var codecNames = map[int]string{gzipCodec: "gzip", snappyCodec: "snappy", xerialCodec: "snappy-xerial", lz4Codec: "lz4", zstdCodec: "zstd"}

// compress compresses raw with codec or, if raw is nil, zeros bytes of
// zeros (rounded up to whole MiB): a bomb, made of one compressed MiB
// repeated (concatenated gzip members, zstd and lz4 frames, xerial
// blocks), so that its inflated size is never held.
func compress(t testing.TB, codec int, raw []byte, zeros int) []byte {
	t.Helper()
	if raw == nil && codec != snappyCodec && codec != xerialCodec {
		one := compress(t, codec, make([]byte, 1<<20), 0)
		return bytes.Repeat(one, (zeros+1<<20-1)>>20)
	}
	write := func(w io.Writer) {
		if _, err := w.Write(raw); err != nil {
			t.Fatal(err)
		}
	}
	var out bytes.Buffer
	switch codec {
	case gzipCodec:
		w, _ := gzip.NewWriterLevel(&out, gzip.BestCompression)
		write(w)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	case lz4Codec:
		w := lz4.NewWriter(&out)
		write(w)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	case zstdCodec:
		w, err := zstd.NewWriter(&out, zstd.WithEncoderConcurrency(1))
		if err != nil {
			t.Fatal(err)
		}
		write(w)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	case snappyCodec:
		if raw == nil {
			raw = make([]byte, zeros)
		}
		return s2.EncodeSnappy(nil, raw)
	case xerialCodec:
		out.Write([]byte{0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0, 0, 0, 0, 1, 0, 0, 0, 1})
		block := func(b []byte) {
			enc := s2.EncodeSnappy(nil, b)
			out.Write(binary.BigEndian.AppendUint32(nil, uint32(len(enc))))
			out.Write(enc)
		}
		if raw != nil {
			for len(raw) > 0 {
				n := min(len(raw), 32<<10)
				block(raw[:n])
				raw = raw[n:]
			}
			break
		}
		enc := s2.EncodeSnappy(nil, make([]byte, 32<<10))
		for left := zeros; left > 0; left -= 32 << 10 {
			out.Write(binary.BigEndian.AppendUint32(nil, uint32(len(enc))))
			out.Write(enc)
		}
	default:
		t.Fatalf("codec %d", codec)
	}
	return out.Bytes()
}

// compressedBatch is validBatch's records compressed with codec (or,
// with raw nil, zeros bytes of zeros, which are no records at all).
func compressedBatch(t testing.TB, codec int, raw []byte, zeros int) []byte {
	var b kmsg.RecordBatch
	if err := b.ReadFrom(validBatch()); err != nil {
		t.Fatal(err)
	}
	b.Records = compress(t, codec, raw, zeros)
	b.Attributes = int16(codec % 100)
	out := b.AppendTo(nil)
	binary.BigEndian.PutUint32(out[8:], uint32(len(out)-12))
	fixCRC(out)
	return out
}

// validRecords is the records section of validBatch.
func validRecords(t testing.TB) []byte {
	var b kmsg.RecordBatch
	if err := b.ReadFrom(validBatch()); err != nil {
		t.Fatal(err)
	}
	return b.Records
}

func TestCompressedBatchesDecode(t *testing.T) {
	raw := validRecords(t)
	for codec, name := range codecNames {
		t.Run(name, func(t *testing.T) {
			b := compressedBatch(t, codec, raw, 0)
			recs, code, err := kafkaproto.DecodeProduceBatchLimit(b, len(raw))
			if err != nil || len(recs) != 2 || string(recs[1].Value) != "v" {
				t.Fatalf("at the limit: %d records, code %d, %v", len(recs), code, err)
			}
			if _, code, err := kafkaproto.DecodeProduceBatchLimit(b, len(raw)-1); code != 10 {
				t.Fatalf("one byte over the limit: code %d (%v), want MESSAGE_TOO_LARGE (10)", code, err)
			}
		})
	}
	// Uncompressed records are bounded too.
	if _, code, err := kafkaproto.DecodeProduceBatchLimit(validBatch(), len(raw)-1); code != 10 {
		t.Fatalf("uncompressed over the limit: code %d (%v)", code, err)
	}
}

// TestCompressionBombsAreRefused decodes, per codec, a batch of a few
// kilobytes that inflates to 256 MiB, under a 1 MiB limit: it is refused
// with MESSAGE_TOO_LARGE, and decoding it allocates a small fraction of
// the inflated size (what remains is the codecs' own buffers: lz4 blocks
// of up to 4 MiB, zstd's 8 MiB floor for window sizes).
func TestCompressionBombsAreRefused(t *testing.T) {
	const bomb, limit = 256 << 20, 1 << 20
	for codec, name := range codecNames {
		t.Run(name, func(t *testing.T) {
			b := compressedBatch(t, codec, nil, bomb)
			if len(b) > bomb/16 {
				t.Fatalf("the %s bomb is %d bytes: not a bomb", name, len(b))
			}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, code, err := kafkaproto.DecodeProduceBatchLimit(b, limit)
			runtime.ReadMemStats(&after)
			if code != 10 {
				t.Fatalf("code %d (%v), want MESSAGE_TOO_LARGE (10)", code, err)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > bomb/8 {
				t.Fatalf("refusing a %d-byte %s bomb allocated %d bytes", bomb, name, alloc)
			} else {
				t.Logf("%s: %d compressed bytes, %d allocated to refuse it", name, len(b), alloc)
			}
		})
	}
}

// TestProduceBombAppendsNothing sends a bomb through the listener: the
// partition gets MESSAGE_TOO_LARGE and the log stays empty.
func TestProduceBombAppendsNothing(t *testing.T) {
	b := startBroker(t)
	ctx := testCtx(t)
	if err := b.log.CreateTopic(ctx, "t", broker.TopicConfig{Partitions: 1}); err != nil {
		t.Fatal(err)
	}
	for codec, name := range codecNames {
		t.Run(name, func(t *testing.T) {
			req := kmsg.NewPtrProduceRequest()
			req.Acks = -1
			rt := kmsg.NewProduceRequestTopic()
			rt.Topic = "t"
			rp := kmsg.NewProduceRequestTopicPartition()
			rp.Records = compressedBatch(t, codec, nil, kafkaproto.DefaultMaxBatchBytes+1)
			rt.Partitions = []kmsg.ProduceRequestTopicPartition{rp}
			req.Topics = []kmsg.ProduceRequestTopic{rt}
			rc := dialRaw(t, b)
			rc.send(request(req, 9, 5))
			resp := kmsg.NewPtrProduceResponse()
			resp.Version = 9
			if err := resp.ReadFrom(rc.response(5)[1:]); err != nil {
				t.Fatal(err)
			}
			if p := resp.Topics[0].Partitions[0]; p.ErrorCode != 10 {
				t.Fatalf("error code %d, want MESSAGE_TOO_LARGE (10)", p.ErrorCode)
			}
		})
	}
	if offs, err := b.log.Offsets(ctx, "t", 0); err != nil || offs.End != 0 {
		t.Fatalf("log end %d (%v) after refused bombs, want 0", offs.End, err)
	}
}
