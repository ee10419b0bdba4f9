// Package logfs is the file system seam of the embedded log
// (broker/embedded): every file and directory operation the log performs
// goes through FS and File, so tests can substitute a file system that
// loses power or fails.
//
// Three implementations:
//
//   - OS is the operating system's file system, the log's default. Files
//     are *os.File; SyncDir fsyncs the directory; Lock takes flock(2).
//   - Mem is an in-memory file system that models what survives a power
//     failure: each file keeps its unsynced changes apart from the content
//     made durable by File.Sync, and directory changes (creations,
//     renames, removals) are journaled until a SyncDir of a directory they
//     touch makes them durable. Mem.Crash returns a state a power failure
//     could leave behind (see Mem).
//   - FaultFS wraps another FS and fails chosen operations with an errno
//     (ENOSPC, EIO, ...) from a chosen moment until cleared, or runs a hook
//     before every operation.
//
// The package imports only the standard library.
package logfs
