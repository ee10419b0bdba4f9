// Package state owns the engine's local state stores.
//
// It provides two things:
//
//   - the store contract ([Store], [Iterator], [Batch]) that the rest of the
//     engine programs against;
//   - the Pebble-backed implementation ([Open], [DB]) plus namespacing helpers
//     ([Prefixed], [PrefixedBatch], [PrefixEnd]) that let several logical
//     stores share one physical database and commit together in one atomic
//     batch.
//
// Keys are bytes chosen by the caller; exec lays out its own (ARCHITECTURE.md,
// "State layout").
//
// This package is the only importer of Pebble in the project. It imports
// nothing else from the project, and no Pebble type appears in its exported
// API: errors from Pebble are reported as errors wrapping [ErrStorage], and
// Pebble's options are reduced to [Options]. A store whose write-ahead log
// fails is failed for good ([ErrFailed], [DB.Failed]): it refuses commits
// until it is closed and opened again. The failure is detected by watching
// the log's file operations (walguard.go), never by reading Pebble's
// messages.
package state
