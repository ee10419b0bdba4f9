// Package engine owns the statement lifecycle: it parses statements
// (package sql), plans them (planner) against the catalog, records DDL and
// persistent queries in a command log kept in the log itself (as ksqlDB's
// command topic), starts and stops the queries' tasks (exec), and replays
// the command log at start-up so that every stream, table and query comes
// back after a restart.
//
// It imports sql, catalog, planner, exec, state and broker.
package engine

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/broker/embedded/logfs"
	"github.com/ksqlgo/ksql/catalog"
	"github.com/ksqlgo/ksql/exec"
	"github.com/ksqlgo/ksql/exec/functions"
	"github.com/ksqlgo/ksql/planner"
	"github.com/ksqlgo/ksql/sql/ast"
	"github.com/ksqlgo/ksql/state"
)

// Config configures an engine.
type Config struct {
	// DataDir holds the state store (state/) and, unless Log is given,
	// the embedded log (log/).
	DataDir string
	// Log is the log the engine runs over (for example a Kafka cluster);
	// the engine owns it from Open on and closes it at Close, also when
	// Open fails. Nil: the embedded log in DataDir/log.
	Log broker.Log
	// Properties are server-wide ksql properties (ksql.service.id,
	// ksql.persistence.default.format.value, ...).
	Properties map[string]string
	// Headless disables the command log: statements come from a queries
	// file that is executed in full at every start.
	Headless bool
	// Synchronous leaves queries stopped; the caller drives them with
	// Drain (tests and the conformance runner).
	Synchronous bool
	// NoSync turns off fsync for the log and the state store (tests only:
	// a machine crash may then lose acknowledged data).
	NoSync bool
	// CommitInterval is how often queries commit; 0: the property
	// ksql.streams.commit.interval.ms (as ksqlDB; also commit.interval.ms),
	// else 100 ms (Kafka Streams' default under exactly-once). Output
	// becomes visible at a commit, so it bounds end-to-end latency.
	CommitInterval time.Duration
	// MaxBatch is the number of records a task reads per poll (0: 500).
	// The conformance runner sets 1 with a CommitInterval of 1ns, so that
	// Drain moves every record through a stage and commits it before the
	// stage reads the next, as Kafka Streams' TopologyTestDriver does.
	MaxBatch int
	// Logf receives operational messages (nil: discarded).
	Logf func(format string, args ...any)
	// Now is the wall clock (nil: time.Now).
	Now func() time.Time
	// Functions, when set, registers further functions into the engine's
	// registry after the built-in ones, before any statement runs (the
	// registry is read-only from then on). The conformance runner adds
	// ksqlDB's test-suite functions (engine/qtt/testfuncs) this way, as
	// ksqlDB's test harness has them on its classpath; servers leave it
	// nil.
	Functions func(*functions.Registry)

	// stateFault injects write-ahead log failures into the state store
	// (tests; see state.Options.WALFault).
	stateFault func(op string) error
	// testFS runs the log and the state store on in-memory file systems
	// that can simulate a power failure (tests).
	testFS *testFS
}

// testFS is the file systems of a power-failure test: the log's and the
// store's, and the lock both hold around every change to their files.
type testFS struct {
	log   logfs.FS
	state *state.MemFS
	lock  sync.Locker
}

// Default property values.
const (
	DefaultServiceID = "default_"
	propServiceID    = "ksql.service.id"
)

// Engine runs KSQL statements over a log (broker.Log).
type Engine struct {
	cfg   Config
	log   broker.Log
	store *state.DB
	cat   *catalog.Catalog
	funcs *functions.Registry
	rt    *exec.Runtime

	mu        sync.Mutex // serializes statements and query lifecycle
	queries   map[string]*exec.Query
	nextQuery int64
	cmdTopic  string
	closed    bool
	// partitioner spreads keyless INSERT VALUES rows.
	partitioner broker.Partitioner
	replaying   bool
	// replayDeletes are topics of DROP ... DELETE TOPIC commands met
	// during replay (see finishReplayedDeletes).
	replayDeletes []string

	// pushMu guards the running push queries (push.go).
	pushMu     sync.Mutex
	push       map[string]*pushQuery
	pushClosed bool
}

// Open opens (or creates) the data directory, recovers the log and the
// state store, settles transactions a crash left open, replays the
// command log and starts every persistent query.
func Open(ctx context.Context, cfg Config) (_ *Engine, err error) {
	// A log handed in is closed on every failure before the engine owns
	// it (after that, closeStores closes it).
	given := cfg.Log
	defer func() {
		if err != nil && given != nil {
			given.Close()
		}
	}()
	if cfg.DataDir == "" {
		return nil, errors.New("engine: a data directory is required")
	}
	if err := logfs.MkdirAllDurable(logfs.OS{}, cfg.DataDir); err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	if _, err := checkFormat(cfg.DataDir, cfg.Logf); err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	if cfg.Properties == nil {
		cfg.Properties = map[string]string{}
	}
	if cfg.CommitInterval == 0 {
		d, err := commitInterval(cfg.Properties)
		if err != nil {
			return nil, err
		}
		cfg.CommitInterval = d
	}
	if _, err := recordCacheBytes(cfg.Properties); err != nil {
		return nil, err
	}
	lg := cfg.Log
	if lg == nil {
		if lg, err = openEmbeddedLog(cfg); err != nil {
			return nil, err
		}
	}
	stOpts := state.Options{WALFault: cfg.stateFault}
	if cfg.testFS != nil {
		stOpts.MemFS, stOpts.IOLock = cfg.testFS.state, cfg.testFS.lock
	}
	given = nil // closed below on every path
	st, err := state.Open(filepath.Join(cfg.DataDir, "state"), stOpts)
	if err != nil {
		lg.Close()
		return nil, fmt.Errorf("engine: opening the state store: %w", err)
	}
	e := &Engine{
		cfg:     cfg,
		log:     lg,
		store:   st,
		cat:     catalog.New(),
		funcs:   newRegistry(cfg.Functions),
		queries: map[string]*exec.Query{},
	}
	e.rt = &exec.Runtime{
		Log:                lg,
		State:              st,
		ProcessingLogTopic: e.processingLogTopic(),
		Durable:            !cfg.NoSync,
		CommitInterval:     cfg.CommitInterval,
		MaxBatch:           cfg.MaxBatch,
		Now:                cfg.Now,
		Logf:               cfg.Logf,
	}
	e.rt.AppIDPrefix = "_confluent-ksql-" + e.serviceID() + "query_"
	e.cmdTopic = "_confluent-ksql-" + e.serviceID() + "_command_topic"
	if err := e.start(ctx); err != nil {
		e.closeStores()
		return nil, err
	}
	return e, nil
}

// newRegistry is the built-in functions plus those extra registers.
func newRegistry(extra func(*functions.Registry)) *functions.Registry {
	r := functions.New()
	if extra != nil {
		extra(r)
	}
	return r
}

func (e *Engine) start(ctx context.Context) error {
	if err := exec.ResolveInDoubt(ctx, e.rt); err != nil {
		return fmt.Errorf("engine: recovering transactions: %w", err)
	}
	if err := e.dropTransientLeftovers(ctx); err != nil {
		return fmt.Errorf("engine: deleting what push queries left: %w", err)
	}
	if err := e.ensureProcessingLog(ctx); err != nil {
		return err
	}
	if !e.cfg.Headless {
		if err := e.replay(ctx); err != nil {
			return err
		}
	}
	return nil
}

func (e *Engine) now() time.Time {
	if e.cfg.Now != nil {
		return e.cfg.Now()
	}
	return time.Now()
}

func (e *Engine) logf(format string, args ...any) {
	if e.cfg.Logf != nil {
		e.cfg.Logf(format, args...)
	}
}

func (e *Engine) serviceID() string {
	if s := e.cfg.Properties[propServiceID]; s != "" {
		return s
	}
	return DefaultServiceID
}

func (e *Engine) processingLogTopic() string {
	if t := e.cfg.Properties["ksql.logging.processing.topic.name"]; t != "" {
		return t
	}
	return e.serviceID() + "ksql_processing_log"
}

// ProcessingLogStream is the name of the processing log stream.
const ProcessingLogStream = "KSQL_PROCESSING_LOG"

func (e *Engine) ensureProcessingLog(ctx context.Context) error {
	topic := e.processingLogTopic()
	if err := e.log.CreateTopic(ctx, topic, broker.TopicConfig{Partitions: 1}); err != nil && !errors.Is(err, broker.ErrTopicExists) {
		return fmt.Errorf("engine: creating the processing log topic: %w", err)
	}
	e.cat.PutSource(&catalog.Source{
		Name:        ProcessingLogStream,
		Kind:        ast.Stream,
		Schema:      catalog.Schema{Columns: exec.ProcessingLogSchema},
		Topic:       topic,
		Partitions:  1,
		KeyFormat:   catalog.Format{Name: "NONE"},
		ValueFormat: catalog.Format{Name: "JSON"},
		SQL:         "CREATE STREAM " + ProcessingLogStream + " WITH (KAFKA_TOPIC='" + topic + "', VALUE_FORMAT='JSON');",
		ReadOnly:    true,
	})
	return nil
}

// Catalog exposes the catalog (read-only use).
func (e *Engine) Catalog() *catalog.Catalog { return e.cat }

// Log exposes the log (for tools and tests that produce and consume).
func (e *Engine) Log() broker.Log { return e.log }

// Functions exposes the function registry.
func (e *Engine) Functions() *functions.Registry { return e.funcs }

// Metrics returns engine-wide counters.
func (e *Engine) Metrics() map[string]int64 { return e.rt.Metrics.Snapshot() }

// plannerConfig derives planner settings from properties.
func (e *Engine) plannerConfig(props map[string]string) planner.Config {
	get := func(k string) string {
		if v, ok := props[k]; ok {
			return v
		}
		return e.cfg.Properties[k]
	}
	cfg := planner.Config{
		DefaultKeyFormat:   strings.ToUpper(get("ksql.persistence.default.format.key")),
		DefaultValueFormat: strings.ToUpper(get("ksql.persistence.default.format.value")),
		OutputTopicPrefix:  get("ksql.output.topic.name.prefix"),
	}
	if cfg.DefaultKeyFormat == "" {
		cfg.DefaultKeyFormat = "KAFKA"
	}
	if w := get("ksql.persistence.wrap.single.values"); w != "" {
		if b, err := strconv.ParseBool(w); err == nil {
			cfg.WrapSingleValues = &b
		}
	}
	return cfg
}

// effectiveProps overlays statement properties on the server's.
func (e *Engine) effectiveProps(stmt map[string]string) map[string]string {
	out := make(map[string]string, len(e.cfg.Properties)+len(stmt))
	for k, v := range e.cfg.Properties {
		out[k] = v
	}
	for k, v := range stmt {
		out[k] = v
	}
	return out
}

// startAtEnd reports whether new queries read from the end of their
// sources (auto.offset.reset=latest, ksqlDB's default).
func (e *Engine) startAtEnd(props map[string]string) bool {
	// The statement's setting wins over the server's.
	for _, m := range []map[string]string{props, e.cfg.Properties} {
		for _, k := range []string{"auto.offset.reset", "ksql.streams.auto.offset.reset"} {
			if v, ok := m[k]; ok {
				return !strings.EqualFold(v, "earliest")
			}
		}
	}
	return true
}

// Drain runs every query synchronously until none makes progress (for
// engines opened with Synchronous). maxRounds bounds the loop.
func (e *Engine) Drain(ctx context.Context) error {
	e.mu.Lock()
	qs := e.sortedQueries()
	e.mu.Unlock()
	const maxRounds = 1_000_000
	for round := 0; round < maxRounds; round++ {
		progress := false
		for _, q := range qs {
			p, err := q.Step(ctx)
			if err != nil {
				return err
			}
			progress = progress || p
		}
		if progress {
			continue
		}
		// Idle: commit, which may make output visible to later stages.
		committed := false
		for _, q := range qs {
			c, err := q.Commit(ctx)
			if err != nil {
				return err
			}
			committed = committed || c
		}
		if !committed {
			return nil
		}
	}
	return errors.New("engine: queries did not settle")
}

func (e *Engine) sortedQueries() []*exec.Query {
	ids := make([]string, 0, len(e.queries))
	for id := range e.queries {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return queryOrder(ids[i]) < queryOrder(ids[j]) })
	out := make([]*exec.Query, len(ids))
	for i, id := range ids {
		out[i] = e.queries[id]
	}
	return out
}

// queryOrder extracts the numeric suffix of a query id for ordering.
func queryOrder(id string) int64 {
	i := strings.LastIndexByte(id, '_')
	n, err := strconv.ParseInt(id[i+1:], 10, 64)
	if err != nil {
		return 1 << 62
	}
	return n
}

// Close stops every query (each commits what it processed) and closes
// the state store and the log.
func (e *Engine) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	qs := e.sortedQueries()
	e.mu.Unlock()
	e.pushMu.Lock()
	e.pushClosed = true
	e.pushMu.Unlock()
	e.closeClientQueries()
	var errs []error
	for _, q := range qs {
		if err := q.Stop(); err != nil {
			errs = append(errs, fmt.Errorf("stopping query %s: %w", q.ID, err))
		}
	}
	return errors.Join(append(errs, e.closeStores())...)
}

func (e *Engine) closeStores() error {
	err1 := e.store.Close()
	err2 := e.log.Close()
	return errors.Join(err1, err2)
}

// QueryLag is the processing lag of one persistent query.
type QueryLag struct {
	QueryID string
	// Records is the number of input records not yet committed as
	// processed, summed over the query's tasks.
	Records int64
	Tasks   []exec.TaskLag
}

// Lag reports every persistent query's lag.
func (e *Engine) Lag(ctx context.Context) []QueryLag {
	e.mu.Lock()
	qs := e.sortedQueries()
	e.mu.Unlock()
	out := make([]QueryLag, 0, len(qs))
	for _, q := range qs {
		ql := QueryLag{QueryID: q.ID, Tasks: q.Lag(ctx)}
		for _, t := range ql.Tasks {
			if t.End > t.Committed {
				ql.Records += t.End - t.Committed
			}
		}
		out = append(out, ql)
	}
	return out
}

// InternalTopic reports whether topic belongs to the engine: its command
// log, its processing log, and the repartition and changelog topics of its
// queries (named "_confluent-ksql-<service id>..."). Kafka clients may read
// them but not write, delete or grow them.
func (e *Engine) InternalTopic(topic string) bool {
	return topic == e.cmdTopic || topic == e.processingLogTopic() ||
		strings.HasPrefix(topic, "_confluent-ksql-"+e.serviceID())
}

// PropCommitInterval is how often queries commit, in milliseconds.
const PropCommitInterval = "ksql.streams.commit.interval.ms"

// commitInterval reads PropCommitInterval (or its Kafka Streams name
// commit.interval.ms); 0 when unset.
func commitInterval(props map[string]string) (time.Duration, error) {
	for _, k := range []string{PropCommitInterval, "commit.interval.ms"} {
		v := strings.TrimSpace(props[k])
		if v == "" {
			continue
		}
		ms, err := strconv.ParseInt(v, 10, 64)
		if err != nil || ms < 1 || ms > 24*3600*1000 {
			return 0, fmt.Errorf("engine: property %s: %q is not a number of milliseconds between 1 and 86400000", k, v)
		}
		return time.Duration(ms) * time.Millisecond, nil
	}
	return 0, nil
}

// PropCacheMaxBytes bounds the record cache of a query's table results, in
// bytes (ksqlDB's ksql.streams.cache.max.bytes.buffering, default
// 10,000,000; exec/recordcache.go): updates of a key within a commit
// interval are forwarded once, at commit or when the cache is full. 0
// forwards every update.
const PropCacheMaxBytes = "ksql.streams.cache.max.bytes.buffering"

// recordCacheBytes reads PropCacheMaxBytes (or its Kafka Streams name
// cache.max.bytes.buffering); ksqlDB's default when unset.
func recordCacheBytes(props map[string]string) (int64, error) {
	for _, k := range []string{PropCacheMaxBytes, "cache.max.bytes.buffering"} {
		v := strings.TrimSpace(props[k])
		if v == "" {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return exec.DefaultRecordCacheBytes, fmt.Errorf("engine: property %s: %q is not a number of bytes (0 or more)", k, v)
		}
		return n, nil
	}
	return exec.DefaultRecordCacheBytes, nil
}

// validateQuery compiles a query's plan and checks the properties it
// runs with, before the statement is recorded.
func validateQuery(plan *planner.QueryPlan, props map[string]string) error {
	if _, err := recordCacheBytes(props); err != nil {
		return err
	}
	return exec.Validate(plan, props)
}
