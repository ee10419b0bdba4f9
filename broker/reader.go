package broker

import "context"

// Reader reads one partition for one consumer (a task of a query, a push
// query, a PRINT). A log may keep state per reader, such as the records a
// Kafka fetch brought beyond what the last Read returned, so that two
// consumers of one partition at different offsets do not undo each
// other's read-ahead. Read has Log.Read's contract, except that the
// records' bytes may be shared with what the reader returns later (the
// embedded log returns records that alias the buffers it read them into,
// without copying): they stay valid for as long as they are kept, but
// must not be modified. A Reader is used by one goroutine at a time.
type Reader interface {
	Read(ctx context.Context, offset int64, opts ReadOptions) (recs []Record, next int64, err error)
	// Close releases what the reader holds.
	Close() error
}

// ReaderLog is implemented by logs that give each consumer its own
// reader state.
type ReaderLog interface {
	NewReader(topic string, partition int32) Reader
}

// NewReader returns a reader of one partition of l: l's own (ReaderLog)
// or one that calls l.Read (a local log needs no state per reader).
func NewReader(l Log, topic string, partition int32) Reader {
	if rl, ok := l.(ReaderLog); ok {
		return rl.NewReader(topic, partition)
	}
	return &logReader{l: l, topic: topic, partition: partition}
}

type logReader struct {
	l         Log
	topic     string
	partition int32
}

func (r *logReader) Read(ctx context.Context, offset int64, opts ReadOptions) ([]Record, int64, error) {
	return r.l.Read(ctx, r.topic, r.partition, offset, opts)
}

func (r *logReader) Close() error { return nil }
