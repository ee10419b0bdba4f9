package main

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/broker/embedded"
)

// Record is one record of a topic as a committed reader sees it.
type Record struct {
	Partition int32
	Offset    int64
	Key       []byte
	Value     []byte // nil: a tombstone
	Timestamp int64
}

// Outputs reads whole topics of a stopped (or drained) deployment.
//
// Read returns every committed record of a topic (records of aborted or
// still open transactions are never returned), partition by partition in
// ascending partition order, each partition in offset order. A topic that
// does not exist is an error. The checks depend only on this contract, so
// the same campaign can later read a Kafka cluster instead of a data
// directory.
type Outputs interface {
	Read(topic string) ([]Record, error)
	Close() error
}

// openLog opens the embedded log of a stopped server's data directory;
// logf receives the log's own notices (for example a torn tail truncated
// at open). The server must be stopped: the log locks its directory.
func openLog(dataDir string, logf func(string, ...any)) (*embedded.Log, error) {
	return embedded.Open(filepath.Join(dataDir, "log"), embedded.Options{RetentionCheckInterval: -1, Logf: logf})
}

// embeddedOutputs reads the embedded log of a data directory.
type embeddedOutputs struct {
	log *embedded.Log
}

func openEmbeddedOutputs(dataDir string, logf func(string, ...any)) (*embeddedOutputs, error) {
	lg, err := openLog(dataDir, logf)
	if err != nil {
		return nil, err
	}
	return &embeddedOutputs{log: lg}, nil
}

func (o *embeddedOutputs) Read(topic string) ([]Record, error) {
	info, err := o.log.Topic(context.Background(), topic)
	if err != nil {
		return nil, err
	}
	var out []Record
	for p := int32(0); p < info.Config.Partitions; p++ {
		recs, err := broker.ReadAll(context.Background(), o.log, topic, p, 0, broker.ReadCommitted, 0)
		if err != nil {
			return nil, fmt.Errorf("reading %s-%d: %w", topic, p, err)
		}
		for _, r := range recs {
			out = append(out, Record{Partition: p, Offset: r.Offset, Key: r.Key, Value: r.Value, Timestamp: r.Timestamp})
		}
	}
	return out, nil
}

// InDoubt lists the transactions the log found open: after a clean stop
// there must be none, since they hold back what ReadCommitted returns.
func (o *embeddedOutputs) InDoubt() ([]string, error) {
	txns, err := o.log.InDoubt(context.Background())
	if err != nil {
		return nil, err
	}
	var out []string
	for _, t := range txns {
		out = append(out, t.String())
	}
	return out, nil
}

func (o *embeddedOutputs) Close() error { return o.log.Close() }

// topicEnds returns the end offset of each partition of the named topics
// that exist.
func topicEnds(lg *embedded.Log, topics []string) map[string][]int64 {
	out := map[string][]int64{}
	for _, t := range topics {
		info, err := lg.Topic(context.Background(), t)
		if err != nil {
			continue
		}
		ends := make([]int64, info.Config.Partitions)
		for p := range ends {
			if off, err := lg.Offsets(context.Background(), t, int32(p)); err == nil {
				ends[p] = off.End
			}
		}
		out[t] = ends
	}
	return out
}

// appendRows appends rows to the input topic, as a producer other than
// the server would: keys in the stream's KAFKA format, JSON values, each
// key on the partition Kafka's default partitioner picks. It reports how
// many rows are acknowledged; ok is false if the topic does not exist yet
// (the first run may have been stopped before it created the stream).
func appendRows(lg *embedded.Log, rows []row) (acked int, ok bool, err error) {
	info, err := lg.Topic(context.Background(), inputTopic)
	if err != nil {
		return 0, false, nil
	}
	for _, r := range rows {
		key := []byte(r.Key)
		p := broker.PartitionForKey(key, info.Config.Partitions)
		rec := broker.Record{Key: key, Value: r.jsonValue(), Timestamp: r.TS}
		if _, err := lg.Append(context.Background(), inputTopic, p, []broker.Record{rec}); err != nil {
			return acked, true, err
		}
		acked++
	}
	return acked, true, nil
}

// logLines collects the notices of logs the harness opens itself.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *logLines) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.lines
	l.lines = nil
	return out
}
