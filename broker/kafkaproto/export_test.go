package kafkaproto

// DecodeProduceBatch exposes the produce batch decoder to the fuzz target.
var DecodeProduceBatch = decodeProduceBatch
