package broker

import (
	"context"
	"errors"
	"strings"
)

// Kafka producers: an optional extension of Log for protocol listeners
// (broker/kafkaproto) that serve Kafka's idempotent and transactional
// producers. The engine itself never uses it.
//
// An idempotent producer numbers its batches per partition (producer id,
// epoch, base sequence). The log keeps, per partition and producer, the
// epoch and the last few batches, written with the batches themselves, so
// that a retried batch is recognised as a duplicate (and answered with
// its original offset) even after a crash, and a gap in the numbering is
// refused.

// NoProducer is the producer id of a batch without one.
const NoProducer = -1

// ProducerBatch is what an idempotent producer says about one batch: its
// producer id (from ProducerLog.NewProducerID), the producer's epoch, and
// the sequence number of the batch's first record (each record takes
// one; they wrap from 2^31-1 to 0).
type ProducerBatch struct {
	ID      int64
	Epoch   int16
	BaseSeq int32
}

// Errors of producer appends, matched with errors.Is.
var (
	// ErrOutOfOrderSequence: the batch's sequence number is not the one
	// after the producer's last batch (a gap, or an old batch no longer
	// remembered as a duplicate), or a new epoch does not start at 0.
	ErrOutOfOrderSequence = errors.New("out of order sequence number")
	// ErrProducerFenced: the batch's epoch is older than the producer's
	// current epoch in that partition.
	ErrProducerFenced = errors.New("producer epoch is older than the current one (fenced)")
	// ErrUnknownProducer: the producer id was never handed out by
	// NewProducerID.
	ErrUnknownProducer = errors.New("unknown producer id")
)

// Batch is (part of) one batch of a partition as it was appended: its
// records and who wrote it. It is what ProducerLog.ReadBatches returns,
// so that a Kafka fetch can present batches as Kafka does.
type Batch struct {
	// Offset is the offset of the first record returned (of the marker,
	// for a control batch).
	Offset int64
	// Records are the batch's records from Offset on (none for a control
	// batch).
	Records []Record
	// Producer is the producer of the batch (ID NoProducer if none); its
	// BaseSeq is the sequence number of the first record returned (-1 for
	// markers).
	Producer ProducerBatch
	// Txn says the batch was appended under a transaction.
	Txn bool
	// Control says the batch is a transaction marker; Commit says which.
	Control, Commit bool
}

// ProducerLog is a Log that also keeps Kafka producer state.
type ProducerLog interface {
	Log
	// NewProducerID returns a producer id that this log has never
	// returned before, across restarts and crashes.
	NewProducerID(ctx context.Context) (int64, error)
	// AppendProducer appends recs as one batch of producer pb (under
	// transaction txn, as AppendTxn does, unless txn is nil) after
	// checking its sequence number against the producer's previous
	// batches in the partition: a repeat of one of the producer's last
	// few batches appends nothing and returns the original base offset
	// with duplicate set (once that batch is durable); a gap is
	// ErrOutOfOrderSequence, an old epoch ErrProducerFenced, an id never
	// handed out ErrUnknownProducer. A producer the partition does not
	// know (never seen, or its state expired) may start at any sequence
	// number, as in Kafka since KIP-360.
	AppendProducer(ctx context.Context, txn *Txn, topic string, partition int32, pb ProducerBatch, recs []Record) (base int64, duplicate bool, err error)
	// EndProducerTxn is EndTxn with markers attributed to producer
	// (id and epoch; BaseSeq is ignored): each partition's state of that
	// producer moves to its epoch (a newer epoch forgets the sequence
	// numbers), so that a fenced producer's later batches are refused.
	EndProducerTxn(ctx context.Context, txn Txn, commit bool, producer ProducerBatch) error
	// ReadBatches reads like Read and returns the records grouped by the
	// batch they were appended in, transaction markers included (as
	// control batches without records).
	ReadBatches(ctx context.Context, topic string, partition int32, offset int64, opts ReadOptions) (batches []Batch, next int64, err error)
}

// CoordinatorStore keeps a protocol listener's coordinator state (Kafka's
// transaction coordinator) durably beside the log: small records by key,
// each replaced atomically.
type CoordinatorStore interface {
	// CoordinatorRecords returns every record.
	CoordinatorRecords(ctx context.Context) (map[string][]byte, error)
	// PutCoordinatorRecord durably replaces the record of key (nil value:
	// removes it) before it returns.
	PutCoordinatorRecord(ctx context.Context, key string, value []byte) error
}

// ClientTxnPrefix starts the Producer of every transaction that a Kafka
// client runs through a protocol listener (Txn{Producer:
// ClientTxnPrefix + transactional id}). The engine's own producers are
// "<query id>/<stage>/<partition>", and a query id is either upper case
// (generated, or a user's QUERY_ID upper-cased) or starts "transient_",
// so the two never clash: the engine resolves only its own in-doubt
// transactions (exec.ResolveInDoubt skips these), the listener only
// these.
const ClientTxnPrefix = "kafka-txn:"

// IsClientTxn reports whether txn belongs to a Kafka client (see
// ClientTxnPrefix).
func IsClientTxn(txn Txn) bool { return strings.HasPrefix(txn.Producer, ClientTxnPrefix) }
