// Package state owns the engine's local state stores.
//
// It provides three things:
//
//   - the store contract ([Store], [Iterator], [Batch]) that the rest of the
//     engine programs against;
//   - an order-preserving key encoding (AppendUint64, AppendInt64,
//     AppendBytes, AppendString, AppendFloat64, AppendNull/AppendNotNull and
//     their decoders) whose byte order equals the order of the encoded
//     tuples, so that range scans over encoded keys visit rows in key order;
//   - the Pebble-backed implementation ([Open], [DB]) plus namespacing helpers
//     ([Prefixed], [PrefixedBatch]) that let several logical stores share one
//     physical database and commit together in one atomic batch.
//
// This package is the only importer of Pebble in the project. It imports
// nothing else from the project, and no Pebble type appears in its exported
// API: errors from Pebble are reported as errors wrapping [ErrStorage], and
// Pebble's options are reduced to [Options]. A store whose write-ahead log
// fails is failed for good ([ErrFailed], [DB.Failed]): it refuses commits
// until it is closed and opened again. The failure is detected by watching
// the log's file operations (walguard.go), never by reading Pebble's
// messages.
//
// # Key encoding
//
// Each Append function appends the encoding of one value to a key; a key is
// the concatenation of the encodings of a tuple's fields. The encodings are
// chosen so that comparing two keys with bytes.Compare gives the same answer
// as comparing the tuples field by field (given that both keys encode the
// same sequence of types), and so that every encoding is self-delimiting:
// no encoding of a value is a proper prefix of the encoding of another value
// of the same type. The latter makes encoded tuples prefix-free and lets a
// key prefix (say, the encoding of a GROUP BY key's first column) address
// exactly the keys that begin with it.
//
// The format (stable; changing it invalidates stored state):
//
//	uint64   8 bytes big-endian
//	int64    8 bytes big-endian of the value with its sign bit flipped
//	float64  8 bytes big-endian of the IEEE-754 bits, with the sign bit
//	         flipped for positive values and all bits flipped for negative
//	         ones; every NaN is first replaced by one canonical NaN
//	bytes    the bytes with each 0x00 escaped as 0x00 0xFF, then 0x00 0x01
//	string   same as bytes
//	NULL     0x00; a non-NULL value of a nullable field is written as 0x01
//	         followed by the value's encoding
//
// Decoders return the rest of the input after the decoded value. They never
// panic, whatever the input; malformed or truncated input yields an error
// wrapping ErrBadEncoding.
package state
