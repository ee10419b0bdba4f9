// Package serde owns the serialized forms of record keys and values: the
// JSON, DELIMITED, KAFKA, NONE and PROTOBUF_NOSR formats, byte-compatible with ksqlDB's
// serializers and following its deserializers' coercion rules and error
// messages.
//
// A Codec, built by New from a format name and the columns it carries,
// decodes Kafka record bytes into runtime values (types.Value, one Go
// representation per SQL type, NULL is nil) and encodes rows back. Codecs
// are immutable and safe for concurrent use.
//
//   - JSON (json.go, jsondecode.go): a schema-directed single-pass scanner
//     that matches top-level and STRUCT field names case-insensitively,
//     parses numbers straight into the column type, skips unknown fields
//     without building them, and applies ksqlDB's coercions (see convert.go).
//     Encoding appends to the caller's buffer as Jackson would write it.
//   - DELIMITED (delimited.go): CSV as Apache Commons CSV 1.4 reads and
//     writes it for ksqlDB, with a configurable delimiter.
//   - KAFKA (kafka.go): Kafka's primitive serializers (big-endian INT,
//     BIGINT, DOUBLE; UTF-8 STRING; raw BYTES).
//   - NONE (none.go): no columns at all.
//   - PROTOBUF_NOSR (protobuf.go): Protobuf messages without a schema
//     registry, the schema derived from the columns as ksqlDB's
//     ProtobufNoSRFormat derives it; the wire format is written by hand.
//
// ValueFromJSON, ValueToJSON and AppendValueJSON (convert.go) expose the
// JSON value rules to the test runner and the REST layer.
//
// The package imports only the standard library and sql/types.
package serde
