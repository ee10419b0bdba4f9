package kafkaproto

import "github.com/ksqlgo/ksql/broker"

// DecodeProduceBatch exposes the produce batch decoder to the fuzz target,
// with the default decompressed batch limit.
func DecodeProduceBatch(b []byte) ([]broker.Record, error) {
	recs, _, err := decodeProduceBatch(b, defaultDecompressor)
	return recs, err
}

var defaultDecompressor = newDecompressor(DefaultMaxBatchBytes)

// DecodeProduceBatchLimit decodes b with a decompressed limit of max
// bytes and returns the Kafka error code of a refusal (0 if accepted).
func DecodeProduceBatchLimit(b []byte, max int) ([]broker.Record, int16, error) {
	recs, _, err := decodeProduceBatch(b, newDecompressor(max))
	if be, ok := err.(*batchError); ok {
		return recs, be.code, err
	}
	return recs, 0, err
}
