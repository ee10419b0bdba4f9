package kafkaproto_test

import (
	"encoding/binary"
	"hash/crc32"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/ksqlgo/ksql/broker/kafkaproto"
)

// validBatch is an uncompressed record batch v2 of two records, as a
// non-idempotent producer sends it.
func validBatch() []byte {
	var raw []byte
	for i := range 2 {
		r := kmsg.Record{OffsetDelta: int32(i), TimestampDelta64: int64(i), Key: []byte("k"), Value: []byte("v"),
			Headers: []kmsg.Header{{Key: "h", Value: []byte("x")}}}
		body := r.AppendTo(nil)[1:] // AppendTo writes Length first: recompute it
		raw = binary.AppendVarint(raw, int64(len(body)))
		raw = append(raw, body...)
	}
	b := kmsg.RecordBatch{Magic: 2, LastOffsetDelta: 1, FirstTimestamp: 1000, MaxTimestamp: 1001,
		ProducerID: -1, ProducerEpoch: -1, FirstSequence: -1, NumRecords: 2, Records: raw, PartitionLeaderEpoch: -1}
	out := b.AppendTo(nil)
	binary.BigEndian.PutUint32(out[8:], uint32(len(out)-12))
	fixCRC(out)
	return out
}

func fixCRC(b []byte) {
	binary.BigEndian.PutUint32(b[17:], crc32.Checksum(b[21:], crc32.MakeTable(crc32.Castagnoli)))
}

// FuzzProduceBatch feeds arbitrary bytes to the produce batch decoder: it
// returns records or an error, never panics, and a batch it accepts has
// a valid CRC.
func FuzzProduceBatch(f *testing.F) {
	good := validBatch()
	f.Add(good)
	f.Add(good[:61])
	f.Add(append(append([]byte(nil), good...), good...))
	f.Add([]byte{})
	raw := validRecords(f)
	for codec := range codecNames {
		f.Add(compressedBatch(f, codec, raw, 0))
		f.Add(compressedBatch(f, codec, nil, 1<<16)) // zeros: not records
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		recs, err := kafkaproto.DecodeProduceBatch(b)
		if err != nil {
			return
		}
		if len(recs) == 0 {
			t.Fatal("accepted a batch of no records")
		}
		if binary.BigEndian.Uint32(b[17:]) != crc32.Checksum(b[21:], crc32.MakeTable(crc32.Castagnoli)) {
			t.Fatal("accepted a batch with a bad CRC")
		}
	})
}
