// Package embedded is the default broker.Log: a durable, partitioned log
// of records stored in files on local disk, with Kafka-like semantics
// (offsets, segments, retention, transactions with a last stable offset,
// consumer group offsets).
//
// It owns one data directory, locked (flock) against a second Log:
//
//	dir/<topic>/topic.json                  topic configuration (JSON)
//	dir/<topic>/<partition>/<base>.log      segment: batches from offset <base>
//	dir/<topic>/<partition>/<base>.index    index of a sealed segment (a cache)
//	dir/__groups/g-<hex name>.json          one consumer group's offsets
//	dir/~txn/producer-ids.json              Kafka producer ids: high-water mark
//	dir/~txn/c-<hex key>                    one coordinator record (CoordinatorStore)
//	dir/trash~/, dir/<topic>~               topics being deleted / created
//
// Every file and directory operation goes through Options.FS (package
// logfs): the operating system's file system by default, an in-memory
// one that simulates power failures, or a wrapper that injects disk
// errors in tests. Creating the data directory fsyncs its parent.
//
// <base> is the segment's first offset as 20 decimal digits. Topic names
// follow Kafka's rules ([a-zA-Z0-9._-], 1..249 characters, not "." or
// ".."); "__groups" is reserved. Small metadata files (topic.json, group
// files) are replaced atomically: write a temporary file, fsync, rename,
// fsync the directory.
//
// # Segments and batches
//
// Each Append, AppendTxn, AppendProducer and transaction marker writes
// one batch at the end of the partition's active segment: a 12-byte
// prefix (magic 0xB7, version 1, length, CRC32C of the rest), then base
// offset, record count, max timestamp, flags (transactional, control,
// producer), for transactional and control batches the producer and seq,
// for batches of a Kafka producer its id, epoch, base sequence and the
// append time, then either the marker (commit or abort) or the records. Records are varint encoded: timestamp delta, key
// and value with a distinct length -1 for nil (a nil value is a
// tombstone, an empty value is not), headers. See batch.go for the exact
// layout. The active segment rolls once it exceeds Options.SegmentBytes;
// rolling fsyncs the old segment and writes its index file (a sparse
// offset→position index plus the transactional batches and markers it
// holds and a snapshot of the partition's Kafka producer state,
// checksummed and validated against the segment size at Open). The
// producer flag and index version 2 are data directory format 2
// (engine.FormatVersion); format 1 files are read as they are.
//
// Every segment keeps a sparse in-memory index (one entry per
// Options.IndexIntervalBytes of data), so reads seek to the nearest
// indexed batch and scan forward. All segment files of open partitions
// stay open (one descriptor per segment; with the default 64 MiB segments
// that is one descriptor per 64 MiB retained).
//
// # Crash safety
//
// Open scans each partition's active (last) segment, verifying every
// batch (checksum, structure, contiguous offsets), and truncates it at the
// first bad batch: a torn or partial write at the tail is cut and appends
// continue after the last good batch (reported through Options.Logf).
// Sealed segments are loaded from their index files; a sealed segment
// without a valid index is scanned strictly, and a corrupt batch there is
// an error wrapping broker.ErrStorage rather than a silent truncation.
// Reads verify checksums too, so corruption of a sealed segment found
// after Open surfaces as broker.ErrStorage from Read.
//
// Disk errors surface as errors wrapping both broker.ErrStorage and the
// underlying error (errors.Is(err, syscall.ENOSPC) holds). A failed write
// (for example ENOSPC) is truncated back to the last good batch; nothing
// is appended and the partition stays usable, and so it does when rolling
// fails to create the next segment or to sync its directory. If that
// truncation fails too, or an fsync fails (after which the kernel may
// have dropped dirty pages), the partition refuses further appends with
// broker.ErrStorage until the log is reopened (Open rescans and
// truncates). A failure to write an index file is only reported through
// Options.Logf: the index is a cache, rebuilt by a scan at Open. An
// acknowledged record is never lost by any of these paths
// (diskfault_test.go fails each in turn; powerloss_test.go cuts the power
// at random points).
//
// # Sync policy
//
// Options.SyncPolicy chooses when data is fsynced:
//
//   - SyncAlways (default): Append returns only after an fsync covering
//     its batch. Concurrent appenders of one partition share fsyncs
//     (group commit): one of them fsyncs on behalf of every batch written
//     so far while the others wait for it.
//   - SyncInterval: Append returns once the batch is written to the
//     operating system; a background goroutine fsyncs dirty partitions
//     every Options.SyncInterval (default 1s). Acknowledged records
//     survive a process crash, but those acknowledged within the last
//     interval can be lost on power failure or kernel crash.
//
// Under both policies records are readable as soon as they are written
// (under SyncAlways, slightly before their fsync completes). AppendTxn
// never fsyncs; PrepareTxn fsyncs every partition the transaction touched.
// EndTxn's markers are not fsynced either: they become durable with the
// partition's next fsync. Log.Sync fsyncs everything; Close fsyncs and
// closes everything.
//
// # Transactions
//
// A transactional batch (AppendTxn) is tagged with its Txn (producer,
// seq). Until EndTxn resolves it, it holds back the partition's last
// stable offset: Stable = min(End, first offset of any unresolved
// transactional batch), and ReadCommitted reads stop there. EndTxn writes
// a one-offset control batch (the marker) to every partition the
// transaction touched; markers are never returned by reads (next jumps
// over them). Aborted batches are remembered as a sorted list of offset
// ranges per partition, rebuilt at Open from the markers (index files of
// sealed segments list their transactional batches and markers, so no
// rescan is needed), and skipped by ReadCommitted reads forever; the list
// costs memory per retained range of adjacent aborted batches and
// retention prunes it. Transactional batches without a marker at
// Open are in doubt (InDoubt) and keep holding back the stable offset
// until their owner calls EndTxn.
//
// # Kafka producers
//
// The log implements broker.ProducerLog and broker.CoordinatorStore for
// the Kafka protocol listener (producers.go, coordinator.go).
// NewProducerID hands out ids that are never reused: a high-water mark is
// made durable a block of 1000 ids at a time, and Open also moves it past
// every id found in the partitions. AppendProducer checks a batch's
// sequence number against the producer's last five batches in the
// partition (duplicates are answered with their original offset, gaps and
// stale epochs refused) before writing it, with its producer fields, in
// the same batch; so a retry of a batch acknowledged before a crash is
// still recognised after it. Open rebuilds the producer state from the
// last sealed segment's snapshot and a scan of what follows (the active
// segment, which is scanned anyway). Idle producers are forgotten after
// Options.ProducerExpiry, and a partition remembers at most
// Options.MaxProducers of them. ReadBatches returns records grouped by
// batch with their producer, and the transaction markers.
//
// # Adding partitions
//
// AddPartitions (broker.PartitionAdder) grows a topic: it creates the new
// partition directories (replacing any an interrupted attempt left) and
// fsyncs the topic directory, then replaces topic.json atomically with
// the new count. A crash before the rename leaves the old count (unused
// directories stay until the next attempt), after it the new count with
// every directory in place; partitions_test.go cuts the power before each
// of its file operations.
//
// # Retention
//
// Each topic's RetentionMs / RetentionBytes (0: Options.RetentionMs,
// default 7 days, and Options.RetentionBytes, default unbounded; -1:
// unbounded) delete whole sealed segments from the head of a partition,
// never the active segment and never one reaching past the stable offset.
// A background goroutine applies it every Options.RetentionCheckInterval;
// EnforceRetention applies it on demand. Record timestamps are stored as
// given (the log does not stamp records).
//
// The package imports only the standard library, package broker and its
// own logfs.
package embedded
