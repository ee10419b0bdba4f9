// Package broker defines the log that everything in the engine reads from
// and writes to: named topics of numbered partitions, each an ordered,
// durable sequence of records addressed by offset.
//
// The contract is Log. Implementations live in sub-packages:
// broker/embedded is the default durable log on local disk;
// broker/brokertest is the conformance suite every implementation passes.
// This package imports nothing of the project.
package broker

import (
	"context"
	"errors"
	"fmt"
)

// Header is one record header.
type Header struct {
	Key   string
	Value []byte
}

// Record is one entry of a partition.
//
// Key and Value are opaque bytes; a nil Value is a tombstone (a delete, for
// topics that back tables). Timestamp is milliseconds since the Unix epoch.
// Partition and Offset are set by the log on reads (and ignored on appends).
type Record struct {
	Key       []byte
	Value     []byte
	Timestamp int64
	Headers   []Header
	Partition int32
	Offset    int64
}

// Size is the number of payload bytes the record holds, used for batching limits.
func (r *Record) Size() int {
	n := len(r.Key) + len(r.Value) + 16
	for _, h := range r.Headers {
		n += len(h.Key) + len(h.Value)
	}
	return n
}

// TopicConfig describes a topic at creation.
type TopicConfig struct {
	// Partitions is the number of partitions (at least 1).
	Partitions int32
	// RetentionMs deletes whole segments whose newest record is older than
	// this many milliseconds. 0 means the log's default; -1 keeps forever.
	RetentionMs int64
	// RetentionBytes bounds the size of each partition; the oldest segments
	// are deleted first. 0 means the log's default; -1 is unbounded.
	RetentionBytes int64
	// CleanupPolicy is "delete" (default) or "compact". Compaction is
	// advisory: the log may keep superseded records.
	CleanupPolicy string
}

// TopicInfo describes an existing topic.
type TopicInfo struct {
	Name   string
	Config TopicConfig
}

// TopicPartition names one partition.
type TopicPartition struct {
	Topic     string
	Partition int32
}

func (tp TopicPartition) String() string { return fmt.Sprintf("%s-%d", tp.Topic, tp.Partition) }

// Isolation selects which records a read may return.
type Isolation int

const (
	// ReadCommitted returns only records below the last stable offset and
	// skips records of aborted transactions. This is what queries use.
	ReadCommitted Isolation = iota
	// ReadUncommitted returns every appended record up to the end of the
	// log, including those of open or aborted transactions.
	ReadUncommitted
)

// ReadOptions bound one read.
type ReadOptions struct {
	// MaxRecords caps the number of records returned (0: 500).
	MaxRecords int
	// MaxBytes caps the payload returned, but at least one record is
	// returned when one is available (0: 1 MiB).
	MaxBytes  int
	Isolation Isolation
}

// Offsets are the bounds of a partition.
type Offsets struct {
	// Start is the first offset still held (retention moves it forward).
	Start int64
	// Stable is the last stable offset: every record below it is either
	// committed or aborted (and, for logs that acknowledge only durable
	// writes, durable, transaction markers included: an unsynced marker
	// at the end holds Stable below End until the next fsync or Sync).
	// ReadCommitted reads stop here.
	Stable int64
	// End is the offset the next appended record will get.
	End int64
}

// Txn names one transaction: the writer that owns it and the writer's
// sequence number for it. A writer (for example one task of a persistent
// query) runs at most one transaction at a time, with increasing Seq.
type Txn struct {
	Producer string
	Seq      int64
}

func (t Txn) String() string { return fmt.Sprintf("%s#%d", t.Producer, t.Seq) }

// Errors returned by logs. Implementations wrap them with detail; match
// with errors.Is.
var (
	ErrTopicExists      = errors.New("topic already exists")
	ErrUnknownTopic     = errors.New("unknown topic")
	ErrUnknownPartition = errors.New("unknown partition")
	ErrOffsetOutOfRange = errors.New("offset out of range")
	ErrInvalidTopic     = errors.New("invalid topic configuration")
	ErrClosed           = errors.New("log is closed")
	ErrTxnState         = errors.New("invalid transaction state")
	ErrRecordTooLarge   = errors.New("record too large")
	ErrStorage          = errors.New("storage failure")
	// ErrFenced: a newer incarnation of the transaction's producer (same
	// producer name, through another Log client) has taken over; this
	// one can neither commit nor write for it again (LogDecidedTxns).
	ErrFenced = errors.New("producer fenced by a newer incarnation")
)

// Log is a set of topics of partitioned, ordered, durable records.
//
// All methods are safe for concurrent use. Slices passed to Append may be
// reused by the caller once Append returns. Records returned by Read are
// owned by the caller (the log does not reuse their byte slices).
//
// Durability: Append returns once the records are durable under the log's
// sync policy (for the embedded log's default policy, fsynced). A
// transactional append (AppendTxn) is made durable by PrepareTxn, and made
// visible to ReadCommitted readers by EndTxn.
type Log interface {
	// CreateTopic creates a topic; ErrTopicExists if it exists.
	CreateTopic(ctx context.Context, name string, cfg TopicConfig) error
	// DeleteTopic removes a topic and its data; ErrUnknownTopic if absent.
	DeleteTopic(ctx context.Context, name string) error
	// Topics lists all topics, sorted by name.
	Topics(ctx context.Context) ([]TopicInfo, error)
	// Topic describes one topic; ErrUnknownTopic if absent.
	Topic(ctx context.Context, name string) (TopicInfo, error)

	// Append appends records to one partition as one atomic batch and
	// returns the offset given to the first record. Offsets are
	// consecutive. Records appended this way are visible to readers at
	// once (they are not part of a transaction).
	Append(ctx context.Context, topic string, partition int32, recs []Record) (int64, error)

	// AppendTxn appends records to one partition as part of transaction
	// txn. They are invisible to ReadCommitted readers, and hold back the
	// partition's stable offset, until EndTxn resolves txn.
	AppendTxn(ctx context.Context, txn Txn, topic string, partition int32, recs []Record) (int64, error)
	// PrepareTxn makes every record appended under txn durable. After it
	// returns, the transaction survives a crash as "in doubt" until
	// resolved.
	PrepareTxn(ctx context.Context, txn Txn) error
	// EndTxn commits or aborts txn. Committing makes its records visible;
	// aborting hides them forever. Ending a transaction that has no
	// records, or ending one twice with the same decision, is a no-op.
	EndTxn(ctx context.Context, txn Txn, commit bool) error
	// Sync makes everything written so far durable, transaction markers
	// included. Under a log that fsyncs lazily, the stable offset may
	// stop in front of trailing markers until they are durable (so that no
	// reader passes an offset a power failure could take back); Sync moves
	// it. Logs whose writes are durable when acknowledged make it a no-op.
	Sync(ctx context.Context) error
	// InDoubt lists transactions that were prepared (or merely appended)
	// but not ended when the log was last closed or crashed. The owner of
	// each producer must resolve them with EndTxn; until then they hold
	// back the stable offsets of the partitions they touched.
	InDoubt(ctx context.Context) ([]Txn, error)

	// Read returns records of one partition starting at offset, and the
	// offset to read next. With ReadCommitted it returns nothing at or past
	// the stable offset and skips aborted records, so next may exceed the
	// last returned offset + 1. Reading at the end returns no records and
	// next == offset. Reading below Start returns ErrOffsetOutOfRange.
	Read(ctx context.Context, topic string, partition int32, offset int64, opts ReadOptions) (recs []Record, next int64, err error)
	// Offsets returns the bounds of a partition.
	Offsets(ctx context.Context, topic string, partition int32) (Offsets, error)
	// Wait blocks until the partition has a record at or after offset
	// visible under iso, or ctx is done.
	Wait(ctx context.Context, topic string, partition int32, offset int64, iso Isolation) error

	// CommitOffsets durably records consumer group positions.
	CommitOffsets(ctx context.Context, group string, offsets map[TopicPartition]int64) error
	// FetchOffsets returns a group's committed positions (empty if none).
	FetchOffsets(ctx context.Context, group string) (map[TopicPartition]int64, error)
	// Groups lists the consumer groups that have committed positions.
	Groups(ctx context.Context) ([]string, error)

	// Close flushes and releases everything. Further calls return ErrClosed.
	Close() error
}

// LogDecidedTxns is implemented by a Log whose transactions are decided by
// the log itself (Kafka) rather than by the caller. Such a log differs from
// Log's transaction contract as follows:
//
//   - A producer name has at most one open transaction: AppendTxn under a
//     new Seq begins one, and a different Seq while one is open is
//     ErrTxnState.
//   - PrepareTxn only waits until every record appended under txn is
//     acknowledged; it gives no guarantee across a crash.
//   - EndTxn(commit) is the decision. Until it returns nil nothing of the
//     transaction is committed; a transaction its producer does not end
//     (a crash, a lost connection) is aborted by the log, at the latest
//     when the producer name is used again or when the log's transaction
//     timeout expires. InDoubt is always empty.
//   - An EndTxn(commit) that fails may still have committed (the outcome
//     of a request whose answer was lost is unknown). Positions committed
//     with CommitOffsetsTxn tell: after such a failure, FetchOffsets
//     returns the group's positions as of the transaction's real outcome.
//   - Producer names are fenced: when another client of the same log
//     takes over a producer name (InitProducer, or its first AppendTxn),
//     this client's open transaction for it is aborted and its later
//     calls for that name return ErrFenced.
type LogDecidedTxns interface {
	Log
	// TxnDecidedByLog reports whether the log decides transactions as
	// described above (a wrapper may implement the interface and say no).
	TxnDecidedByLog() bool
	// CommitOffsetsTxn adds a consumer group's positions to transaction
	// txn (beginning it if needed, as AppendTxn does): they become the
	// group's committed positions if and only if txn commits.
	CommitOffsetsTxn(ctx context.Context, txn Txn, group string, offsets map[TopicPartition]int64) error
	// InitProducer takes the producer name over now rather than at its
	// first AppendTxn: it fences every other incarnation and aborts the
	// transaction one of them left open, and returns once that is done,
	// so that the partitions it wrote are stable again. A name this
	// client was fenced from becomes usable again.
	InitProducer(ctx context.Context, producer string) error
}

// DecidesTxns returns l as a LogDecidedTxns if its transactions are
// decided by the log.
func DecidesTxns(l Log) (LogDecidedTxns, bool) {
	d, ok := l.(LogDecidedTxns)
	if !ok || !d.TxnDecidedByLog() {
		return nil, false
	}
	return d, true
}

// ReadAll reads a partition from offset to its end (stable end for
// ReadCommitted), at most max records (0: no limit). It is for tools and
// tests that want a whole partition; engines read in batches.
func ReadAll(ctx context.Context, l Log, topic string, partition int32, offset int64, iso Isolation, max int) ([]Record, error) {
	var out []Record
	for {
		recs, next, err := l.Read(ctx, topic, partition, offset, ReadOptions{MaxRecords: 1000, Isolation: iso})
		if err != nil {
			return out, err
		}
		out = append(out, recs...)
		if next == offset || (max > 0 && len(out) >= max) {
			return out, nil
		}
		offset = next
	}
}
