package exec

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/catalog"
	"github.com/ksqlgo/ksql/planner"
	"github.com/ksqlgo/ksql/state"
)

// QueryState is the lifecycle state of a running query.
type QueryState string

// Query states, as ksqlDB reports them.
const (
	StateRunning QueryState = "RUNNING"
	StateError   QueryState = "ERROR"
	StateStopped QueryState = "NOT_RUNNING"
)

// QueryOptions tune how a query starts.
type QueryOptions struct {
	// StartAtEnd makes a new query begin reading its source at the end of
	// each partition (auto.offset.reset=latest); otherwise it reads from
	// the beginning. Restarted queries always resume at their committed
	// positions.
	StartAtEnd bool
	// Properties are the query's effective ksql properties (server
	// configuration overlaid with the statement's), read by configurable
	// functions such as COLLECT_LIST's limit.
	Properties map[string]string
	// Deliver receives the rows of a query whose sink is transient (a push
	// query); its tasks call it as they process.
	Deliver DeliverFunc
	// RecordCacheBytes bounds the record cache of the query's table
	// results (ksql.streams.cache.max.bytes.buffering; recordcache.go),
	// divided among its tasks that cache; 0 turns it off (every update
	// is forwarded).
	RecordCacheBytes int64
}

// Query is a running persistent query: one task per stage per input
// partition.
type Query struct {
	ID    string
	Plan  *planner.QueryPlan
	rt    *Runtime
	tasks []*Task
	// deliver receives the rows of a transient sink.
	deliver DeliverFunc
	// cacheBytes is the query's record cache budget (0: off).
	cacheBytes int64

	mu      sync.Mutex
	state   QueryState
	lastErr error
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// NewQuery builds a query's tasks and restores their committed state.
// Internal topics are created if missing.
func NewQuery(ctx context.Context, rt *Runtime, plan *planner.QueryPlan, opts QueryOptions) (*Query, error) {
	q := &Query{ID: plan.ID, Plan: plan, rt: rt, state: StateStopped, deliver: opts.Deliver, cacheBytes: max(opts.RecordCacheBytes, 0)}
	for _, t := range internalTopics(plan) {
		err := rt.Log.CreateTopic(ctx, t.Name, broker.TopicConfig{Partitions: t.Partitions, RetentionMs: -1})
		if err != nil && !errors.Is(err, broker.ErrTopicExists) {
			return nil, fmt.Errorf("creating internal topic %s: %w", t.Name, err)
		}
	}
	_, decided := rt.logDecided()
	for si, st := range plan.Stages {
		info, err := rt.Log.Topic(ctx, st.Input.Name)
		if err != nil {
			return nil, fmt.Errorf("query %s: input topic %s: %w", plan.ID, st.Input.Name, err)
		}
		if decided {
			name := rt.ChangelogTopic(plan.ID, si)
			err := rt.Log.CreateTopic(ctx, name, broker.TopicConfig{Partitions: info.Config.Partitions, RetentionMs: -1, CleanupPolicy: "compact"})
			if err != nil && !errors.Is(err, broker.ErrTopicExists) {
				return nil, fmt.Errorf("creating changelog topic %s: %w", name, err)
			}
		}
		for _, side := range st.Sides {
			sinfo, err := rt.Log.Topic(ctx, side.Name)
			if err != nil {
				return nil, fmt.Errorf("query %s: input topic %s: %w", plan.ID, side.Name, err)
			}
			if sinfo.Config.Partitions != info.Config.Partitions {
				return nil, fmt.Errorf("query %s: the inputs of a join must have the same number of partitions: %s has %d, %s has %d",
					plan.ID, st.Input.Name, info.Config.Partitions, side.Name, sinfo.Config.Partitions)
			}
		}
		for p := int32(0); p < info.Config.Partitions; p++ {
			t, err := q.newTask(ctx, si, st, p, opts.StartAtEnd, opts.Properties)
			if err != nil {
				return nil, err
			}
			q.tasks = append(q.tasks, t)
		}
	}
	q.shareRecordCache()
	return q, nil
}

// internalTopics are the topics the query's stages write for each other:
// their repartition topics and the subscription topics of foreign-key
// joins (whose response topics are the right halves' repartition topics).
// The stage that reads one purges it.
func internalTopics(plan *planner.QueryPlan) []planner.Topic {
	var out []planner.Topic
	for _, st := range plan.Stages {
		if st.Repartition != nil {
			out = append(out, st.Repartition.Topic)
		}
		for _, op := range st.Ops {
			if j, ok := op.(*planner.Join); ok && j.Kind == planner.ForeignKey && j.FKRole == planner.FKLeftHalf && j.Subscription.Name != "" {
				out = append(out, j.Subscription)
			}
		}
	}
	return out
}

// shareRecordCache divides the query's record cache budget among its
// tasks that cache (recordcache.go: a task plays the role of a Kafka
// Streams thread, which gets its share of the instance's cache).
func (q *Query) shareRecordCache() {
	n := int64(0)
	for _, t := range q.tasks {
		if t.rcache != nil {
			n++
		}
	}
	for _, t := range q.tasks {
		if t.rcache != nil {
			t.rcache.max = max(q.cacheBytes/n, 1)
		}
	}
}

func (q *Query) newTask(ctx context.Context, si int, st *planner.Stage, partition int32, startAtEnd bool, props map[string]string) (*Task, error) {
	t := &Task{
		rt:        q.rt,
		queryID:   q.ID,
		stage:     si,
		partition: partition,
		producer:  producerID(q.ID, si, partition),
		prefix:    statePrefix(q.ID, si, partition),
		input:     st.Input,
		pending:   map[broker.TopicPartition][]broker.Record{},
		deliver:   q.deliver,
	}
	if q.cacheBytes > 0 {
		t.rcache = &recordCache{}
	}
	if err := buildChain(t, st, si, props); err != nil {
		return nil, err
	}
	if t.rcache != nil && t.rcache.users == 0 {
		t.rcache = nil // nothing to cache in this stage
	}
	own := map[string]bool{} // the query's repartition topics
	for _, tp := range internalTopics(q.Plan) {
		own[tp.Name] = true
	}
	t.purgeInput = own[st.Input.Name]
	for _, s := range t.sides {
		s.purge = own[s.in.Name]
	}
	// Where a new task starts reading each input: auto.offset.reset
	// applies to streams read from source topics; the table side of a
	// join is always read from the beginning (ksqlDB's
	// JoinNode.buildTable).
	startsAtEnd := func(in *planner.Input) bool {
		return startAtEnd && !in.Internal && !(in.Table && len(st.Sides) > 0)
	}
	for i, s := range t.sides {
		off, err := q.rt.Log.Offsets(ctx, s.in.Name, partition)
		if err != nil {
			return nil, err
		}
		s.start = off.Start
		if startsAtEnd(&st.Sides[i].Input) {
			s.start = off.Stable
		}
		s.pos = s.start
	}
	startAtEnd = startsAtEnd(&st.Input)

	raw, ok, err := q.rt.State.Get(metaKey(t.producer))
	if err != nil {
		return nil, err
	}
	if ld, decided := q.rt.logDecided(); decided {
		return t, q.startLogDecided(ctx, t, ld, raw, ok, st, startAtEnd)
	}
	if ok {
		if t.meta, err = decodeMeta(raw); err != nil {
			return nil, fmt.Errorf("task %s: corrupt commit record: %w", t, err)
		}
	} else {
		off, err := q.rt.Log.Offsets(ctx, st.Input.Name, partition)
		if err != nil {
			return nil, err
		}
		t.meta.position = off.Start
		if startAtEnd {
			t.meta.position = off.Stable
		}
		t.meta.sidePos = t.sidePositions()
		// Record the starting point now, so a restart before the first
		// commit does not move it.
		b := q.rt.State.NewBatch()
		b.Set(metaKey(t.producer), t.meta.encode())
		if st.Sink != nil && st.Sink.Table {
			b.Set(t.stateKey(viewSinceStore, nil), []byte{})
		}
		if err := b.Commit(q.rt.Durable); err != nil {
			return nil, err
		}
	}
	if t.spent, err = loadSpent(q.rt.State, t.producer, t.meta.seq); err != nil {
		return nil, err
	}
	t.pos, t.streamTime = t.meta.position, t.meta.streamTime
	if len(t.meta.sidePos) != len(t.sides) {
		return nil, fmt.Errorf("task %s: the commit record has %d side input positions, the stage has %d side inputs", t, len(t.meta.sidePos), len(t.sides))
	}
	t.resetSides()
	t.storeCommitted()
	t.lastCommit = q.rt.now()
	return t, nil
}

// startLogDecided restores a task over a log that decides its
// transactions (changelog.go).
func (q *Query) startLogDecided(ctx context.Context, t *Task, ld broker.LogDecidedTxns, raw []byte, ok bool, st *planner.Stage, startAtEnd bool) error {
	t.changelog = q.rt.ChangelogTopic(q.ID, t.stage)
	if ok {
		var err error
		if t.meta, err = decodeMeta(raw); err != nil {
			return fmt.Errorf("task %s: corrupt commit record: %w", t, err)
		}
	}
	off, err := q.rt.Log.Offsets(ctx, st.Input.Name, t.partition)
	if err != nil {
		return err
	}
	start := off.Start
	if startAtEnd {
		start = off.Stable
	}
	if err := t.restoreFromChangelog(ctx, ld, start); err != nil {
		return err
	}
	if t.dirty && st.Sink != nil && st.Sink.Table {
		// A fresh task keeps its view from its first offset (viewsince).
		t.stateSet(viewSinceStore, nil, []byte{})
	}
	t.spent = t.meta.seq
	t.lastCommit = q.rt.now()
	return nil
}

// State reports the query's state and the last error, if any.
func (q *Query) State() (QueryState, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.state, q.lastErr
}

func (q *Query) setState(s QueryState, err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.state, q.lastErr = s, err
}

// Step drives every task once, synchronously: each polls one batch, and
// commits when its commit interval has passed or it holds many results.
// It reports whether any task made progress. With Commit it is how tests
// and the conformance runner process inputs deterministically.
func (q *Query) Step(ctx context.Context) (bool, error) {
	progress := false
	interval := q.commitInterval()
	for _, t := range q.tasks {
		p, err := q.runGuarded(func() (bool, error) {
			p, err := t.poll(ctx)
			if err != nil {
				t.resetToCommitted()
				return p, err
			}
			if t.needsCommit() && (t.pendingCount() >= maxPendingRecords || q.rt.now().Sub(t.lastCommit) >= interval) {
				return p, t.commit(ctx)
			}
			return p, nil
		})
		if err != nil {
			q.setState(StateError, err)
			return progress, fmt.Errorf("query %s task %s: %w", q.ID, t, err)
		}
		progress = progress || p
	}
	q.setState(StateRunning, nil)
	return progress, nil
}

// Commit commits every task with uncommitted progress and reports whether
// there was any.
func (q *Query) Commit(ctx context.Context) (bool, error) {
	any := false
	for _, t := range q.tasks {
		if !t.needsCommit() {
			continue
		}
		any = true
		if _, err := q.runGuarded(func() (bool, error) { return false, t.commit(ctx) }); err != nil {
			q.setState(StateError, err)
			return any, fmt.Errorf("query %s task %s: %w", q.ID, t, err)
		}
	}
	return any, nil
}

// maxPendingRecords bounds the output a task buffers before committing.
const maxPendingRecords = 20000

// panicError is a panic in query code, turned into an error of that query.
type panicError struct {
	value any
	stack []byte
}

func (p *panicError) Error() string { return fmt.Sprintf("panic: %v\n%s", p.value, p.stack) }

// runGuarded turns a panic in query code into an error of that query.
func (q *Query) runGuarded(f func() (bool, error)) (p bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &panicError{value: r, stack: debug.Stack()}
		}
	}()
	return f()
}

// Start runs every task on its own goroutine until Stop.
func (q *Query) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	q.mu.Lock()
	q.cancel = cancel
	q.state = StateRunning
	q.mu.Unlock()
	// Every goroutine is counted before any starts: one may end the
	// query (a push query's LIMIT) and Stop waits for them.
	q.wg.Add(len(q.tasks) + 1)
	for _, t := range q.tasks {
		go func(t *Task) {
			defer q.wg.Done()
			q.runTask(ctx, t)
		}(t)
	}
	go func() {
		defer q.wg.Done()
		q.watchInputs(ctx)
	}()
}

// inputCheckInterval is how often a running query checks that its input
// topics still exist with the partitions it reads.
const inputCheckInterval = time.Second

// watchInputs puts the query in ERROR, with a message that says why,
// when one of its input topics is deleted or grows while it runs (a
// client can do either through the Kafka listener, or an administrator
// of an external cluster): the query reads the partitions it started
// with, so records of new partitions would silently be left out.
func (q *Query) watchInputs(ctx context.Context) {
	tick := time.NewTicker(inputCheckInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if err := q.checkInputs(ctx); err != nil {
			q.rt.logf("query %s: %v", q.ID, err)
			q.setState(StateError, err)
		}
	}
}

// checkInputs compares each stage's input topic with the tasks reading it.
func (q *Query) checkInputs(ctx context.Context) error {
	read := map[string]map[int32]bool{} // topic -> partitions read
	add := func(topic string, p int32) {
		if read[topic] == nil {
			read[topic] = map[int32]bool{}
		}
		read[topic][p] = true
	}
	for _, t := range q.tasks {
		add(t.input.Name, t.partition)
		for _, s := range t.sides {
			add(s.in.Name, t.partition)
		}
	}
	for topic, parts := range read {
		n := int32(len(parts))
		info, err := q.rt.Log.Topic(ctx, topic)
		switch {
		case errors.Is(err, broker.ErrUnknownTopic):
			return inputDeleted(topic)
		case err != nil:
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("checking input topic %s: %w", topic, err)
		case info.Config.Partitions != n:
			return fmt.Errorf("input topic %s now has %d partitions; the query reads the %d it had when it started, so records of the others are not processed: drop the query and create it again to read them (keys may now map to other partitions)",
				topic, info.Config.Partitions, n)
		}
	}
	return nil
}

func inputDeleted(topic string) error {
	return fmt.Errorf("input topic %s was deleted while the query was running: %w", topic, broker.ErrUnknownTopic)
}

func (q *Query) commitInterval() time.Duration {
	if q.rt.CommitInterval > 0 {
		return q.rt.CommitInterval
	}
	return 100 * time.Millisecond
}

// runTask is a task's processing loop: poll, and commit at least every
// commit interval; on errors reset to the last commit and retry with
// backoff; a panic fails the whole query. When the loop ends (Stop, or a
// panic) the task commits what it processed, or aborts, so that no
// transaction of it stays open (I4).
func (q *Query) runTask(ctx context.Context, t *Task) {
	interval := q.commitInterval()
	backoff := 50 * time.Millisecond
	panicked := false
	for ctx.Err() == nil {
		progressed, err := q.runGuarded(func() (bool, error) {
			p, err := t.poll(ctx)
			if err != nil {
				return p, err
			}
			if t.needsCommit() && (!p || t.pendingCount() >= maxPendingRecords || q.rt.now().Sub(t.lastCommit) >= interval) {
				return p, t.commit(ctx)
			}
			return p, nil
		})
		if err != nil {
			// Whatever failed, nothing after the last commit is trusted (I3).
			t.resetToCommitted()
			if isPanic(err) {
				q.rt.logf("query %s: task %s failed: %v", q.ID, t, err)
				q.setState(StateError, err)
				q.mu.Lock()
				if q.cancel != nil {
					q.cancel()
				}
				q.mu.Unlock()
				panicked = true
				break
			}
			if errors.Is(err, state.ErrFailed) {
				// The store cannot be written until it is reopened: the
				// engine stops (crash-only), and the next start recovers.
				// Nothing here can commit or abort.
				q.rt.logf("query %s: task %s stopped: %v", q.ID, t, err)
				q.setState(StateError, err)
				return
			}
			if ctx.Err() != nil {
				break
			}
			q.rt.logf("query %s: task %s: %v (retrying from the last commit)", q.ID, t, err)
			q.setState(StateError, err)
			select {
			case <-ctx.Done():
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, 5*time.Second)
			continue
		}
		if backoff > 50*time.Millisecond {
			backoff = 50 * time.Millisecond
			q.setState(StateRunning, nil)
		}
		if progressed {
			continue
		}
		q.waitInputs(ctx, t, interval)
	}
	if err := q.finish(t, panicked); err != nil {
		q.rt.logf("query %s: task %s: %v", q.ID, t, err)
	}
}

// finish is a task's last step: commit what it processed (unless it
// panicked, when its uncommitted work is not trusted) and end its open
// transaction. A few attempts cover a transient failure; what still fails
// is left to recovery at the next start, which resolves it the same way.
func (q *Query) finish(t *Task, panicked bool) error {
	ctx := context.Background()
	defer t.closeReaders() // made again if the task runs again
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		if attempt > 0 {
			time.Sleep(time.Duration(attempt) * 50 * time.Millisecond)
		}
		_, err = q.runGuarded(func() (bool, error) {
			if panicked {
				t.resetToCommitted()
				return false, t.resolveTxn(ctx)
			}
			return false, t.commit(ctx)
		})
		if err == nil {
			return nil
		}
		if isPanic(err) {
			panicked = true
		}
	}
	return fmt.Errorf("final commit: %w", err)
}

func isPanic(err error) bool {
	var p *panicError
	return errors.As(err, &p)
}

// Stop stops the tasks after a final commit and waits for them. An error
// means a task could not end its last transaction; the transaction is
// then in doubt and recovery decides it at the next start, so the
// query's state must be kept until then.
func (q *Query) Stop() error {
	q.mu.Lock()
	cancel := q.cancel
	q.cancel = nil
	q.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	q.wg.Wait()
	// Transactions still open: those of a query driven synchronously
	// (Step), or of a task whose final commit failed. Uncommitted work is
	// dropped; the transaction is ended with its decision, or aborted.
	var errs []error
	for _, t := range q.tasks {
		if t.txn != nil {
			if err := q.finish(t, true); err != nil {
				errs = append(errs, fmt.Errorf("task %s: %w", t, err))
			}
		}
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.state == StateRunning {
		q.state = StateStopped
	}
	return errors.Join(errs...)
}

// DropState deletes every piece of state of a query (call after a Stop
// that returned no error, and once the log has made the transactions'
// markers durable: without its commit records a transaction still in
// doubt would be aborted). Each task's highest sequence number is kept
// (I1).
func DropState(rt *Runtime, queryID string) error {
	lo, hi := []byte("m/"+queryID+"/"), []byte("m/"+queryID+"0")
	b := rt.State.NewBatch()
	it, err := rt.State.NewIter(lo, hi)
	if err != nil {
		b.Close()
		return err
	}
	for ok := it.First(); ok; ok = it.Next() {
		producer := strings.TrimPrefix(string(it.Key()), "m/")
		m, err := decodeMeta(it.Value())
		if err != nil {
			it.Close()
			b.Close()
			return fmt.Errorf("commit record of %s: %w", producer, err)
		}
		spent, err := loadSpent(rt.State, producer, m.seq)
		if err != nil {
			it.Close()
			b.Close()
			return err
		}
		b.Set(spentKey(producer), binary.AppendVarint(nil, spent))
	}
	if err := it.Close(); err != nil {
		b.Close()
		return err
	}
	b.DeleteRange([]byte("s/"+queryID+"/"), []byte("s/"+queryID+"0"))
	b.DeleteRange(lo, hi)
	return b.Commit(rt.Durable)
}

// ResolveInDoubt settles transactions a crash left open (I5): committed
// if the owning task's state commit recorded their sequence number,
// aborted otherwise (including tasks that no longer exist). An abort
// records the spent number first (I1). Call once at start-up, before any
// query runs. Transactions of Kafka clients (broker.IsClientTxn: their
// producer starts with broker.ClientTxnPrefix, which no task's producer
// does) are not the engine's: the Kafka listener's transaction
// coordinator settles them from its own records.
func ResolveInDoubt(ctx context.Context, rt *Runtime) error {
	txns, err := rt.Log.InDoubt(ctx)
	if err != nil {
		return err
	}
	for _, txn := range txns {
		if broker.IsClientTxn(txn) {
			continue
		}
		var committed int64
		raw, ok, err := rt.State.Get(metaKey(txn.Producer))
		if err != nil {
			return err
		}
		if ok {
			m, err := decodeMeta(raw)
			if err != nil {
				return fmt.Errorf("commit record of %s: %w", txn.Producer, err)
			}
			committed = m.seq
		}
		commit := ok && txn.Seq <= committed
		if !commit {
			spent, err := loadSpent(rt.State, txn.Producer, committed)
			if err != nil {
				return err
			}
			if txn.Seq > spent {
				if err := recordSpent(rt, txn.Producer, txn.Seq); err != nil {
					return fmt.Errorf("resolving %s: recording the abort: %w", txn, err)
				}
			}
		}
		if err := rt.Log.EndTxn(ctx, txn, commit); err != nil {
			return fmt.Errorf("resolving %s (state has committed seq %d, so commit=%v): %w", txn, committed, commit, err)
		}
		rt.logf("resolved in-doubt transaction %s: commit=%v (committed seq %d)", txn, commit, committed)
	}
	return nil
}

// buildChain compiles a stage into the task's decoder and operator chain.
func buildChain(t *Task, st *planner.Stage, si int, props map[string]string) error {
	var err error
	if t.dec, err = newInputDecoder(st.Input); err != nil {
		return err
	}
	if t.dec.scratch == nil {
		t.dec.need = neededValues(st)
	}
	// Build the operator chain back to front.
	var next operator
	switch {
	case st.Sink != nil && st.Sink.Transient:
		next = clientSinkOp{}
	case st.Sink != nil:
		s, err := newSinkOp(st.Sink)
		if err != nil {
			return err
		}
		if s.view != nil {
			t.flushers = append(t.flushers, s.view)
		}
		next = s
	case st.Repartition != nil:
		if next, err = newRepartitionOp(st.Repartition); err != nil {
			return err
		}
	default:
		return fmt.Errorf("stage %d has no output", si)
	}
	retract := false
	for _, op := range st.Ops {
		if _, ok := op.(*planner.TableSource); ok {
			retract = true
		}
	}
	if st.Input.Internal && st.Input.Table {
		retract = true
	}
	head, joins, err := buildOps(t, st.Ops, next, t.dec, st.Input.Table, retract, props)
	if err != nil {
		return err
	}
	t.head = head
	markRowReuse(t.head, t.dec)
	return buildSides(t, st, joins, props)
}

// buildOps compiles ops back to front in front of next, over the rows of
// an input decoded by dec (whose arena boxes computed values); table says
// the input is a table, retract that the flow carries old rows. It returns
// the head of the chain and the join operators by op index.
func buildOps(t *Task, ops []planner.Op, next operator, dec *inputDecoder, table, retract bool, props map[string]string) (operator, map[int]joinOperator, error) {
	// after[i] is the nearest join before op i, if any: what follows a
	// table-table join is a table flow with old values.
	after := make([]*planner.Join, len(ops))
	var last *planner.Join
	for i, op := range ops {
		after[i] = last
		if j, ok := op.(*planner.Join); ok {
			last = j
		}
	}
	var joins map[int]joinOperator
	for i := len(ops) - 1; i >= 0; i-- {
		tableJoin := after[i] != nil && after[i].Kind == planner.TableTable
		switch o := ops[i].(type) {
		case *planner.Filter:
			f, err := compileExpr(o.Pred)
			if err != nil {
				return nil, nil, err
			}
			// Computed values box into the record's arena (evalCtx.ar).
			fo := &filterOp{pred: f, clause: o.Clause, table: table && !retract, next: next,
				ctx: evalCtx{ar: &dec.arena}}
			if tableJoin {
				// Kafka Streams' KTable filter with old values (join.go).
				fo.table, fo.oldValues, fo.keyCount = false, true, after[i].KeyCount
			}
			next = fo
		case *planner.Project:
			p, err := newProject(o)
			if err != nil {
				return nil, nil, err
			}
			p.next = next
			p.ctx.ar = &dec.arena
			next = p
		case *planner.Aggregate:
			a, err := newAggregateOp(o, retract || tableJoin, props)
			if err != nil {
				return nil, nil, err
			}
			a.next = next
			if s, ok := next.(*sinkOp); ok {
				a.reuseSink = true // it encodes rows at once
				if a.fin != nil && s.k == a.k {
					a.fin.keyCodec = s.codecs.key // EMIT FINAL orders keys as serialized
				}
			}
			if t.rcache != nil && a.fin == nil {
				a.rc = t.rcache
				t.rcache.users++
			}
			if o.Window != nil && o.Window.Type == catalog.SessionWindow {
				s, err := newSessionOp(a)
				if err != nil {
					return nil, nil, err
				}
				t.flushers = append(t.flushers, s)
				next = s
				break
			}
			t.flushers = append(t.flushers, a)
			next = a
		case *planner.FlatMap:
			f, err := newFlatMap(o)
			if err != nil {
				return nil, nil, err
			}
			f.next = next
			next = f
		case *planner.TableSource:
			s := newTableSourceOp(o, len(dec.in.Key))
			s.next = next
			if t.rcache != nil {
				s.rc = t.rcache
				t.rcache.users++
			}
			t.flushers = append(t.flushers, s)
			next = s
		case *planner.Join:
			j, err := newJoinOperator(o)
			if err != nil {
				return nil, nil, err
			}
			j.setNext(next)
			t.flushers = append(t.flushers, j)
			if joins == nil {
				joins = map[int]joinOperator{}
			}
			joins[i] = j
			next = j
		default:
			return nil, nil, fmt.Errorf("unknown operator %T", o)
		}
	}
	if err := linkJoins(ops, joins, next); err != nil {
		return nil, nil, err
	}
	return next, joins, nil
}

// buildSides builds a join stage's side inputs: each one's decoder and
// chain, ending in the right port of its join.
func buildSides(t *Task, st *planner.Stage, joins map[int]joinOperator, props map[string]string) error {
	for i := range st.Sides {
		side := &st.Sides[i]
		j, ok := joins[side.Join]
		if !ok {
			return fmt.Errorf("side input %d (%s) feeds op %d, which is not a join", i, side.Name, side.Join)
		}
		if o := st.Ops[side.Join].(*planner.Join); o.Right != i {
			return fmt.Errorf("side input %d (%s) feeds the join at op %d, whose right input is side %d", i, side.Name, side.Join, o.Right)
		}
		dec, err := newInputDecoder(side.Input)
		if err != nil {
			return err
		}
		if dec.scratch == nil {
			dec.need = neededValues(&planner.Stage{Input: side.Input, Ops: side.Ops})
		}
		retract := side.Internal && side.Table
		head, sj, err := buildOps(t, side.Ops, rightPort{j}, dec, side.Table, retract, props)
		if err != nil {
			return err
		}
		if len(sj) > 0 {
			return fmt.Errorf("side input %d (%s) has a join of its own", i, side.Name)
		}
		markRowReuse(head, dec)
		t.sides = append(t.sides, &taskInput{in: side.Input, dec: dec, head: head})
	}
	for i, op := range st.Ops {
		if o, ok := op.(*planner.Join); ok {
			if o.Right < 0 || o.Right >= len(st.Sides) || st.Sides[o.Right].Join != i {
				return fmt.Errorf("the join at op %d reads side %d, which does not feed it", i, o.Right)
			}
		}
	}
	return nil
}

// Validate compiles every stage of a plan without touching the log or the
// state store, so that a statement is rejected before it is recorded.
func Validate(plan *planner.QueryPlan, props map[string]string) error {
	for si, st := range plan.Stages {
		if err := buildChain(&Task{}, st, si, props); err != nil {
			return err
		}
	}
	return nil
}

// TaskLag is how far one task is behind its input.
type TaskLag struct {
	Stage     int
	Topic     string
	Partition int32
	// Committed is the next input offset the task will process after its
	// last commit; End is the input's last stable offset.
	Committed int64
	End       int64
}

// Lag reports, per task, the committed position against the input's end
// (End is 0 where the log could not say). Safe to call while the query
// runs.
func (q *Query) Lag(ctx context.Context) []TaskLag {
	out := make([]TaskLag, 0, len(q.tasks))
	for _, t := range q.tasks {
		l := TaskLag{Stage: t.stage, Topic: t.input.Name, Partition: t.partition, Committed: t.committed.Load()}
		if off, err := q.rt.Log.Offsets(ctx, t.input.Name, t.partition); err == nil {
			l.End = off.Stable
		}
		out = append(out, l)
		for i, s := range t.sides {
			// Before the task's first commit: where the side starts.
			l := TaskLag{Stage: t.stage, Topic: s.in.Name, Partition: t.partition, Committed: s.start}
			if c := t.committedSides.Load(); c != nil && i < len(*c) {
				l.Committed = (*c)[i]
			}
			if off, err := q.rt.Log.Offsets(ctx, s.in.Name, t.partition); err == nil {
				l.End = off.Stable
			}
			out = append(out, l)
		}
	}
	return out
}
