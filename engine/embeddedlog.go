package engine

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/broker/embedded"
)

// The embedded log is the engine's default: when Config.Log is nil, Open
// opens it in <data dir>/log with the ksql.log.* properties. This file is
// the only place the engine names the embedded log's package.

// openEmbeddedLog opens the data directory's embedded log.
func openEmbeddedLog(cfg Config) (broker.Log, error) {
	opts, err := logOptions(cfg.Properties)
	if err != nil {
		return nil, err
	}
	if cfg.NoSync {
		opts.SyncPolicy = embedded.SyncInterval
		opts.SyncInterval = time.Hour
	}
	if cfg.testFS != nil {
		opts.FS = cfg.testFS.log
	}
	lg, err := embedded.Open(filepath.Join(cfg.DataDir, "log"), opts)
	if err != nil {
		return nil, fmt.Errorf("engine: opening the log: %w", err)
	}
	return lg, nil
}

// Properties of the embedded log.
const (
	// PropLogSync is the fsync policy: "always" (default: an append is
	// acknowledged only once fsynced, and nothing is readable before it is
	// durable) or "interval" (fsync in the background every
	// PropLogSyncInterval; a power failure may lose the last interval of
	// acknowledged records, a process crash loses nothing).
	PropLogSync         = "ksql.log.sync"
	PropLogSyncInterval = "ksql.log.sync.interval.ms"
	// PropLogRetentionMs and PropLogRetentionBytes are the default
	// retention of topics (7 days; unbounded size).
	PropLogRetentionMs    = "ksql.log.retention.ms"
	PropLogRetentionBytes = "ksql.log.retention.bytes"
	// PropLogSegmentBytes is the size at which segment files roll (64 MiB).
	PropLogSegmentBytes = "ksql.log.segment.bytes"
)

func logOptions(props map[string]string) (embedded.Options, error) {
	var o embedded.Options
	num := func(key string) (int64, bool, error) {
		v, ok := props[key]
		if !ok || v == "" {
			return 0, false, nil
		}
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return 0, false, fmt.Errorf("engine: property %s: %q is not a number", key, v)
		}
		return n, true, nil
	}
	switch p := strings.ToLower(props[PropLogSync]); p {
	case "", "always":
		o.SyncPolicy = embedded.SyncAlways
	case "interval":
		o.SyncPolicy = embedded.SyncInterval
	default:
		return o, fmt.Errorf("engine: property %s must be 'always' or 'interval', not %q", PropLogSync, p)
	}
	if n, ok, err := num(PropLogSyncInterval); err != nil {
		return o, err
	} else if ok {
		o.SyncInterval = time.Duration(n) * time.Millisecond
	}
	if n, ok, err := num(PropLogRetentionMs); err != nil {
		return o, err
	} else if ok {
		o.RetentionMs = n
	}
	if n, ok, err := num(PropLogRetentionBytes); err != nil {
		return o, err
	} else if ok {
		o.RetentionBytes = n
	}
	if n, ok, err := num(PropLogSegmentBytes); err != nil {
		return o, err
	} else if ok {
		o.SegmentBytes = n
	}
	return o, nil
}
