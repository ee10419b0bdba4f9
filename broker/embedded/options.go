package embedded

import (
	"fmt"
	"time"

	"github.com/ksqlgo/ksql/broker/embedded/logfs"
)

// SyncPolicy selects when appended data is fsynced.
type SyncPolicy int

const (
	// SyncAlways (the default) fsyncs before Append returns. Concurrent
	// appends to one partition share an fsync (group commit).
	SyncAlways SyncPolicy = iota
	// SyncInterval fsyncs in the background every Options.SyncInterval.
	// Append returns once the batch is written to the operating system:
	// acknowledged records survive a process crash, but records
	// acknowledged within the last interval can be lost on power failure
	// or an operating system crash.
	SyncInterval
)

func (p SyncPolicy) String() string {
	switch p {
	case SyncAlways:
		return "always"
	case SyncInterval:
		return "interval"
	}
	return fmt.Sprintf("SyncPolicy(%d)", int(p))
}

// Defaults of Options.
const (
	DefaultSyncInterval           = time.Second
	DefaultSegmentBytes           = 64 << 20
	DefaultIndexIntervalBytes     = 4096
	DefaultMaxBatchBytes          = 16 << 20
	DefaultRetentionMs            = 7 * 24 * 60 * 60 * 1000
	DefaultRetentionBytes         = -1
	DefaultRetentionCheckInterval = time.Minute
	// DefaultProducerExpiry is Kafka's producer.id.expiration.ms.
	DefaultProducerExpiry = 24 * time.Hour
	DefaultMaxProducers   = 10000

	maxSegmentBytes  = 1 << 30
	maxMaxBatchBytes = 256 << 20
)

// Options tune a Log. The zero value is valid: every zero field takes its
// default.
type Options struct {
	// SyncPolicy is SyncAlways (default) or SyncInterval.
	SyncPolicy SyncPolicy
	// SyncInterval is the background fsync period under SyncInterval
	// (default 1s).
	SyncInterval time.Duration
	// SegmentBytes is the size past which the active segment of a
	// partition is rolled (default 64 MiB, at most 1 GiB). A batch larger
	// than this gets a segment of its own.
	SegmentBytes int64
	// IndexIntervalBytes is the spacing, in bytes of batch data, of the
	// sparse offset index kept in memory per segment (default 4096).
	IndexIntervalBytes int64
	// MaxBatchBytes bounds the encoded size of one appended batch; larger
	// appends fail with broker.ErrRecordTooLarge (default 16 MiB, at most
	// 256 MiB).
	MaxBatchBytes int
	// RetentionMs is the retention time of topics whose RetentionMs is 0
	// (default 7 days; -1 keeps forever).
	RetentionMs int64
	// RetentionBytes is the per-partition size bound of topics whose
	// RetentionBytes is 0 (default -1, unbounded).
	RetentionBytes int64
	// RetentionCheckInterval is the period of the background retention
	// pass (default 1 minute; negative disables it, EnforceRetention still
	// works).
	RetentionCheckInterval time.Duration
	// ProducerExpiry is how long a partition remembers an idle Kafka
	// producer (its epoch and last batches, for duplicate detection;
	// producers.go) after its last batch or marker (default 24 hours,
	// Kafka's producer.id.expiration.ms).
	ProducerExpiry time.Duration
	// MaxProducers bounds the producers a partition remembers; beyond it
	// the least recently active are forgotten first (default 10000).
	MaxProducers int
	// Now is the clock used for retention, marker timestamps and
	// producer expiry (default time.Now).
	Now func() time.Time
	// Logf, if set, receives notable events such as a truncated torn tail
	// found at Open or a failed background fsync.
	Logf func(format string, args ...any)
	// FS is the file system holding the log's files (default logfs.OS,
	// the operating system's). Every file and directory operation of the
	// log goes through it; tests pass a *logfs.Mem to simulate power
	// failures or a *logfs.FaultFS to inject disk errors.
	FS logfs.FS
}

func (o Options) normalize() (Options, error) {
	if o.SyncPolicy != SyncAlways && o.SyncPolicy != SyncInterval {
		return o, fmt.Errorf("embedded: invalid SyncPolicy %d", int(o.SyncPolicy))
	}
	if o.SyncInterval == 0 {
		o.SyncInterval = DefaultSyncInterval
	}
	if o.SyncInterval < 0 {
		return o, fmt.Errorf("embedded: invalid SyncInterval %v", o.SyncInterval)
	}
	if o.SegmentBytes == 0 {
		o.SegmentBytes = DefaultSegmentBytes
	}
	if o.SegmentBytes < 0 || o.SegmentBytes > maxSegmentBytes {
		return o, fmt.Errorf("embedded: invalid SegmentBytes %d (want 1..%d)", o.SegmentBytes, maxSegmentBytes)
	}
	if o.IndexIntervalBytes == 0 {
		o.IndexIntervalBytes = DefaultIndexIntervalBytes
	}
	if o.IndexIntervalBytes < 0 {
		return o, fmt.Errorf("embedded: invalid IndexIntervalBytes %d", o.IndexIntervalBytes)
	}
	if o.MaxBatchBytes == 0 {
		o.MaxBatchBytes = DefaultMaxBatchBytes
	}
	if o.MaxBatchBytes < 0 || o.MaxBatchBytes > maxMaxBatchBytes {
		return o, fmt.Errorf("embedded: invalid MaxBatchBytes %d (want 1..%d)", o.MaxBatchBytes, maxMaxBatchBytes)
	}
	if o.RetentionMs == 0 {
		o.RetentionMs = DefaultRetentionMs
	}
	if o.RetentionMs < -1 {
		return o, fmt.Errorf("embedded: invalid RetentionMs %d", o.RetentionMs)
	}
	if o.RetentionBytes == 0 {
		o.RetentionBytes = DefaultRetentionBytes
	}
	if o.RetentionBytes < -1 {
		return o, fmt.Errorf("embedded: invalid RetentionBytes %d", o.RetentionBytes)
	}
	if o.RetentionCheckInterval == 0 {
		o.RetentionCheckInterval = DefaultRetentionCheckInterval
	}
	if o.ProducerExpiry == 0 {
		o.ProducerExpiry = DefaultProducerExpiry
	}
	if o.ProducerExpiry < 0 {
		return o, fmt.Errorf("embedded: invalid ProducerExpiry %v", o.ProducerExpiry)
	}
	if o.MaxProducers == 0 {
		o.MaxProducers = DefaultMaxProducers
	}
	if o.MaxProducers < 0 {
		return o, fmt.Errorf("embedded: invalid MaxProducers %d", o.MaxProducers)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.FS == nil {
		o.FS = logfs.OS{}
	}
	return o, nil
}
