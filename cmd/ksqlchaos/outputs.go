package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/broker/embedded"
	"github.com/ksqlgo/ksql/broker/kafkaproto"
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
// does not exist is an error. The checks depend only on this contract:
// logOutputs implements it over any broker.Log, the embedded log of a
// data directory or a Kafka cluster read with read_committed.
type Outputs interface {
	Read(topic string) ([]Record, error)
	Close() error
}

// A deployment is the log a campaign's server runs over, as the harness
// reaches it from outside the server: the embedded log of the data
// directory, or a Kafka cluster.
type deployment interface {
	// serverArgs are the arguments `ksql server` needs to run over it.
	serverArgs() []string
	// open connects the harness to the log; logf receives the log's own
	// notices. The embedded log can only be opened while the server is
	// stopped (it locks its directory); a cluster at any time.
	open(logf func(string, ...any)) (broker.Log, error)
	// appendsWhileRunning reports whether the harness may append input
	// while the server runs.
	appendsWhileRunning() bool
	// unsettled lists what still holds back committed reads of the
	// topics on lg after the final clean stop: there must be nothing.
	unsettled(lg broker.Log, topics []string) ([]string, error)
	// close releases the deployment (stops a cluster the harness runs).
	close()
}

// embeddedDeployment is the embedded log in the data directory.
type embeddedDeployment struct{ dir string }

func (d embeddedDeployment) serverArgs() []string { return nil }

func (d embeddedDeployment) open(logf func(string, ...any)) (broker.Log, error) {
	return embedded.Open(filepath.Join(d.dir, "log"), embedded.Options{RetentionCheckInterval: -1, Logf: logf})
}

func (d embeddedDeployment) appendsWhileRunning() bool { return false }

// unsettled lists the transactions the log found open.
func (d embeddedDeployment) unsettled(lg broker.Log, _ []string) ([]string, error) {
	txns, err := lg.InDoubt(context.Background())
	if err != nil {
		return nil, err
	}
	var out []string
	for _, t := range txns {
		out = append(out, t.String())
	}
	return out, nil
}

func (d embeddedDeployment) close() {}

// kafkaDeployment is a kfake cluster in a helper process; the harness
// reaches it through kafkaproto.ClientLog, as any Kafka client.
type kafkaDeployment struct{ kfake *kfakeProcess }

// kafkaCallTimeout bounds one call of the harness to the cluster.
const kafkaCallTimeout = time.Minute

func (d kafkaDeployment) serverArgs() []string {
	return []string{"--bootstrap-servers", d.kfake.Addr}
}

func (d kafkaDeployment) open(logf func(string, ...any)) (broker.Log, error) {
	if !d.kfake.Alive() {
		return nil, errors.New("the kfake helper process has exited")
	}
	ctx, cancel := context.WithTimeout(context.Background(), kafkaCallTimeout)
	defer cancel()
	return kafkaproto.Dial(ctx, kafkaproto.ClientConfig{
		SeedBrokers:           []string{d.kfake.Addr},
		ClientID:              "ksqlchaos",
		TransactionalIDPrefix: "ksqlchaos-",
		Logf:                  logf,
	})
}

func (d kafkaDeployment) appendsWhileRunning() bool { return true }

// unsettled lists the partitions whose last stable offset is below their
// end: a transaction nobody ended holds them back (Kafka would abort it
// only at its timeout).
func (d kafkaDeployment) unsettled(lg broker.Log, topics []string) ([]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), kafkaCallTimeout)
	defer cancel()
	var out []string
	for _, t := range topics {
		info, err := lg.Topic(ctx, t)
		if errors.Is(err, broker.ErrUnknownTopic) {
			continue // reading it reports it missing
		}
		if err != nil {
			return out, err
		}
		for p := int32(0); p < info.Config.Partitions; p++ {
			off, err := lg.Offsets(ctx, t, p)
			if err != nil {
				return out, err
			}
			if off.Stable != off.End {
				out = append(out, fmt.Sprintf("%s-%d: stable offset %d, end %d", t, p, off.Stable, off.End))
			}
		}
	}
	return out, nil
}

func (d kafkaDeployment) close() { d.kfake.Stop() }

// logOutputs reads committed records through a broker.Log (read_committed
// over Kafka).
type logOutputs struct {
	log broker.Log
}

// readTimeout bounds reading one whole topic.
const readTimeout = 2 * time.Minute

func (o *logOutputs) Read(topic string) ([]Record, error) {
	ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
	defer cancel()
	info, err := o.log.Topic(ctx, topic)
	if err != nil {
		return nil, err
	}
	var out []Record
	for p := int32(0); p < info.Config.Partitions; p++ {
		recs, err := broker.ReadAll(ctx, o.log, topic, p, 0, broker.ReadCommitted, 0)
		if err != nil {
			return nil, fmt.Errorf("reading %s-%d: %w", topic, p, err)
		}
		for _, r := range recs {
			out = append(out, Record{Partition: p, Offset: r.Offset, Key: r.Key, Value: r.Value, Timestamp: r.Timestamp})
		}
	}
	return out, nil
}

func (o *logOutputs) Close() error { return o.log.Close() }

// topicEnds returns the end offset of each partition of the named topics
// that exist.
func topicEnds(lg broker.Log, topics []string) map[string][]int64 {
	ctx, cancel := context.WithTimeout(context.Background(), kafkaCallTimeout)
	defer cancel()
	out := map[string][]int64{}
	for _, t := range topics {
		info, err := lg.Topic(ctx, t)
		if err != nil {
			continue
		}
		ends := make([]int64, info.Config.Partitions)
		for p := range ends {
			if off, err := lg.Offsets(ctx, t, int32(p)); err == nil {
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
func appendRows(lg broker.Log, rows []row) (acked int, ok bool, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), kafkaCallTimeout)
	defer cancel()
	info, err := lg.Topic(ctx, inputTopic)
	if err != nil {
		return 0, false, nil
	}
	for _, r := range rows {
		key := []byte(r.Key)
		p := broker.PartitionForKey(key, info.Config.Partitions)
		rec := broker.Record{Key: key, Value: r.jsonValue(), Timestamp: r.TS}
		if _, err := lg.Append(ctx, inputTopic, p, []broker.Record{rec}); err != nil {
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
