package rqtt

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/catalog"
	"github.com/ksqlgo/ksql/engine"
	"github.com/ksqlgo/ksql/engine/qtt"
	"github.com/ksqlgo/ksql/rest"
)

// serverProperties are the properties ksqlDB's RestQueryTranslationTest
// starts its server with (those that mean something here), with the base
// configuration of its TestKsqlRestApp (auto.offset.reset earliest).
var serverProperties = map[string]string{
	"ksql.streams.auto.offset.reset":         "earliest",
	"ksql.query.pull.table.scan.enabled":     "true",
	"ksql.query.pull.interpreter.enabled":    "true",
	"ksql.query.push.v2.registry.installed":  "true",
	"ksql.query.push.v2.enabled":             "true",
	"ksql.query.push.v2.new.latest.delay.ms": "0",
	"ksql.headers.columns.enabled":           "true",
	// TestKsqlRestApp's base configuration: no record cache.
	"ksql.streams.cache.max.bytes.buffering": "0",
}

// engineServer is a fresh engine in a temporary data directory with the
// REST API on a loopback port.
type engineServer struct {
	dir  string
	eng  *engine.Engine
	http *http.Server
	url  string
}

// NewEngineServer starts an engine and its REST API for one case.
func NewEngineServer(ctx context.Context, opts Options) (Server, error) {
	dir, err := os.MkdirTemp(opts.TempDir, "rqtt-")
	if err != nil {
		return nil, err
	}
	props := map[string]string{}
	for k, v := range serverProperties {
		props[k] = v
	}
	eng, err := engine.Open(ctx, engine.Config{DataDir: dir, Properties: props, NoSync: true})
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("opening the engine: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		eng.Close()
		os.RemoveAll(dir)
		return nil, err
	}
	hs := &http.Server{Handler: rest.NewHandler(eng, rest.Options{}), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	return &engineServer{dir: dir, eng: eng, http: hs, url: "http://" + ln.Addr().String()}, nil
}

func (s *engineServer) URL() string { return s.url }

func (s *engineServer) Close() error {
	err := s.http.Close()
	if e := s.eng.Close(); err == nil {
		err = e
	}
	os.RemoveAll(s.dir)
	return err
}

func (s *engineServer) CreateTopic(ctx context.Context, name string, partitions int32) error {
	err := s.eng.Log().CreateTopic(ctx, name, broker.TopicConfig{Partitions: partitions})
	if errors.Is(err, broker.ErrTopicExists) {
		return nil
	}
	return err
}

// WaitForPersistentQueries polls the queries' lag until every task has
// committed up to the end of its inputs, twice in a row (a stage's input
// grows when the stage before it commits).
func (s *engineServer) WaitForPersistentQueries(ctx context.Context) error {
	deadline := time.Now().Add(30 * time.Second)
	idle := 0
	for time.Now().Before(deadline) {
		var lag int64
		for _, q := range s.eng.Lag(ctx) {
			lag += q.Records
		}
		if lag == 0 {
			idle++
			if idle >= 2 {
				return nil
			}
		} else {
			idle = 0
		}
		select {
		case <-time.After(20 * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return fmt.Errorf("persistent queries did not process their inputs within 30s: %v", s.eng.Lag(ctx))
}

// sourceFor finds the source reading or writing a topic.
func (s *engineServer) sourceFor(topic string) *catalog.Source {
	return qtt.SourceFor(s.eng.Catalog(), topic)
}

func (s *engineServer) Produce(ctx context.Context, rec qtt.RecordNode) error {
	return qtt.Produce(ctx, s.eng.Log(), s.sourceFor(rec.Topic), rec)
}

// VerifyOutput waits (up to 30s) for at least len(expected) committed
// records on the topic and compares the first ones in order, partition
// by partition (kafkaCluster.verifyAvailableRecords reads them with one
// consumer).
func (s *engineServer) VerifyOutput(ctx context.Context, topic string, expected []qtt.RecordNode) error {
	deadline := time.Now().Add(30 * time.Second)
	var actual []broker.Record
	for {
		actual = actual[:0]
		info, err := s.eng.Log().Topic(ctx, topic)
		if err == nil {
			for p := int32(0); p < info.Config.Partitions; p++ {
				recs, err := broker.ReadAll(ctx, s.eng.Log(), topic, p, 0, broker.ReadCommitted, 1_000_000)
				if err != nil {
					return err
				}
				actual = append(actual, recs...)
			}
		}
		if len(actual) >= len(expected) || time.Now().After(deadline) {
			break
		}
		select {
		case <-time.After(50 * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if len(actual) < len(expected) {
		return fmt.Errorf("expected %d records, got %d within 30s", len(expected), len(actual))
	}
	src := s.sourceFor(topic)
	for i, exp := range expected {
		if err := compareRecord(src, exp, actual[i]); err != nil {
			return fmt.Errorf("record %d: %w", i, err)
		}
	}
	return nil
}
