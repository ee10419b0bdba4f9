package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/exec"
	"github.com/ksqlgo/ksql/exec/serde"
	"github.com/ksqlgo/ksql/planner"
	"github.com/ksqlgo/ksql/sql/ast"
	"github.com/ksqlgo/ksql/sql/types"
)

// A push query is a transient query: the query's plan, run by exec as a
// persistent query is, but not in the command log, with its own id
// (transient_<SOURCE>_<random>), its own state namespace and input
// positions, commits without fsync, and a last stage that hands rows to
// a bounded in-memory queue (as ksqlDB's TransientQueryQueue) instead of
// writing a topic. Rows reach the queue as the tasks process them, so a
// task that retries after an error may deliver some rows twice. When the
// queue is full the producing task waits (only this query stops reading
// its input); after ksql.query.push.slow.consumer.timeout.ms the query
// ends with ErrSlowConsumer. Close stops the tasks and deletes the
// query's state and internal topics.

type pushQuery struct {
	e     *Engine
	id    string
	cols  []Column
	types []*types.Type
	q     *exec.Query
	rt    *exec.Runtime

	rows        chan Row
	limit       int64 // -1: none
	slowTimeout time.Duration

	mu       sync.Mutex
	admitted int64 // rows counted against the limit
	sent     int64 // rows in the queue or read
	ended    bool
	err      error // io.EOF at the limit
	final    string
	done     chan struct{} // closed when the query ends

	releaseOnce sync.Once
	released    chan struct{}
	releaseErr  error
}

func (e *Engine) startPush(ctx context.Context, s *ast.Query, sess *Session) (*pushQuery, error) {
	props := e.effectiveProps(sess.Properties)
	maxPush := intProp(props, PropMaxPushQueries, 100)
	src, err := e.querySource(s.Select)
	if err != nil {
		return nil, err
	}
	id := fmt.Sprintf("transient_%s_%d", strings.ToUpper(sanitizeID(src)), rand.Int64())
	if e.scalablePush(s.Select, src, sess) {
		id = fmt.Sprintf("%s%016x%016x", scalablePushPrefix, rand.Uint64(), rand.Uint64())
	}
	plan, sink, err := planner.PlanQuery(planner.QueryRequest{
		ID: id, Select: s.Select, Text: s.Text(), ServiceID: e.serviceID(), Transient: true,
	}, e.cat, e.funcs, e.plannerConfig(sess.Properties))
	if err != nil {
		return nil, err
	}
	if err := validateQuery(plan, props); err != nil {
		return nil, err
	}
	cacheBytes, _ := recordCacheBytes(props)
	p := &pushQuery{
		e:           e,
		id:          id,
		rows:        make(chan Row, intProp(props, PropPushBufferRows, 1000)),
		slowTimeout: time.Duration(intProp(props, PropPushSlowConsumerMs, 30000)) * time.Millisecond,
		done:        make(chan struct{}),
		released:    make(chan struct{}),
	}
	p.limit = -1
	if s.Select.Limit != nil {
		p.limit = *s.Select.Limit
	}
	for _, c := range sink.Schema.Columns {
		p.cols = append(p.cols, Column{Name: c.Name, Type: c.Type.SQLString()})
		p.types = append(p.types, c.Type)
	}

	e.pushMu.Lock()
	if e.push == nil {
		e.push = map[string]*pushQuery{}
	}
	if len(e.push) >= maxPush {
		e.pushMu.Unlock()
		return nil, fmt.Errorf("%w: %d push queries are running (%s=%d)", ErrQueryLimit, len(e.push), PropMaxPushQueries, maxPush)
	}
	if e.pushClosed {
		e.pushMu.Unlock()
		return nil, errors.New("the engine is shut down")
	}
	e.push[id] = p
	e.pushMu.Unlock()

	p.rt = &exec.Runtime{
		Log:                transientLog{e.log},
		State:              e.store,
		ProcessingLogTopic: e.rt.ProcessingLogTopic,
		Durable:            false,
		CommitInterval:     e.rt.CommitInterval,
		Now:                e.cfg.Now,
		Logf:               e.cfg.Logf,
		AppIDPrefix:        e.rt.AppIDPrefix,
	}
	q, err := exec.NewQuery(ctx, p.rt, plan, exec.QueryOptions{
		StartAtEnd: e.startAtEnd(sess.Properties),
		Properties: props,
		Deliver:    p.deliver,
		// ksqlDB caches transient queries' tables as persistent ones'.
		RecordCacheBytes: cacheBytes,
	})
	if err != nil {
		p.q = &exec.Query{ID: id, Plan: plan}
		p.end(err, "")
		p.Close()
		return nil, err
	}
	p.q = q
	if p.limit == 0 {
		// LIMIT 0: the header, then "Limit Reached" (as ksqlDB).
		p.end(io.EOF, "Limit Reached")
		return p, nil
	}
	q.Start()
	return p, nil
}

// querySource is the name of the FROM source of a query: of a join, its
// left-most source.
func (e *Engine) querySource(sel *ast.Select) (string, error) {
	rel := sel.From
	for {
		switch r := rel.(type) {
		case *ast.SourceRef:
			return r.Name.Name, nil
		case *ast.Join:
			rel = r.Left
		default:
			return "", &planner.Error{Pos: sel.From.Position(), Msg: "Unsupported FROM clause."}
		}
	}
}

// scalablePushPrefix starts the ids of the push queries ksqlDB would run
// as scalable push queries.
const scalablePushPrefix = "SCALABLE_PUSH_QUERY_"

// scalablePush reports whether ksqlDB would run the push query sel as a
// scalable push query (its ScalablePushUtil.isScalablePushQuery): push v2
// enabled (ksql.query.push.v2.enabled, default false), one source written
// by exactly one persistent query, no GROUP BY, WINDOW, HAVING or
// PARTITION BY, EMIT CHANGES, reading from latest, and no ROWPARTITION or
// ROWOFFSET. ksqlDB taps the persistent query's output for those; here
// they read the source from its end like every push query, which gives
// the same rows, and carry ksqlDB's id so that clients see its shape.
func (e *Engine) scalablePush(sel *ast.Select, src string, sess *Session) bool {
	enabled := e.cfg.Properties["ksql.query.push.v2.enabled"]
	if v, ok := sess.Properties["ksql.query.push.v2.enabled"]; ok {
		enabled = v
	}
	if !strings.EqualFold(strings.TrimSpace(enabled), "true") {
		return false
	}
	if _, join := sel.From.(*ast.Join); join || sel.GroupBy != nil || sel.Window != nil || sel.Having != nil || sel.PartitionBy != nil || sel.Emit != ast.EmitChanges {
		return false
	}
	latest := true // ksqlDB's default for push queries
	if v, ok := sess.Properties["auto.offset.reset"]; ok {
		latest = v == "latest"
	} else if v, ok := sess.Properties["ksql.streams.auto.offset.reset"]; ok {
		latest = v == "latest"
	} else if v, ok := e.cfg.Properties["ksql.streams.auto.offset.reset"]; ok {
		latest = v == "latest"
	}
	if !latest || len(e.cat.QueriesWriting(src)) != 1 {
		return false
	}
	disallowed := false
	check := func(x ast.Expr) {
		ast.WalkExpr(x, func(x ast.Expr) bool {
			if c, ok := x.(*ast.ColumnRef); ok && (strings.EqualFold(c.Name, "ROWPARTITION") || strings.EqualFold(c.Name, "ROWOFFSET")) {
				disallowed = true
			}
			return !disallowed
		})
	}
	if sel.Where != nil {
		check(sel.Where)
	}
	for _, it := range sel.Items {
		if !it.Star && it.Expr != nil {
			check(it.Expr)
		}
	}
	return !disallowed
}

func intProp(props map[string]string, key string, def int) int {
	if v, ok := props[key]; ok {
		if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n > 0 {
			return n
		}
	}
	return def
}

// deliver runs on the query's task goroutines.
func (p *pushQuery) deliver(d exec.Delivery) error {
	p.mu.Lock()
	if p.ended || (p.limit >= 0 && p.admitted >= p.limit) {
		p.mu.Unlock()
		return nil
	}
	p.admitted++
	p.mu.Unlock()
	row := Row{Values: toClientValues(d.Row, p.types), Tombstone: d.Tombstone}
	select {
	case p.rows <- row:
	default:
		timer := time.NewTimer(p.slowTimeout)
		select {
		case p.rows <- row:
			timer.Stop()
		case <-p.done:
			timer.Stop()
			return nil
		case <-timer.C:
			p.end(ErrSlowConsumer, "")
			return nil
		}
	}
	p.mu.Lock()
	p.sent++
	atLimit := p.limit >= 0 && p.sent >= p.limit
	p.mu.Unlock()
	if atLimit {
		p.end(io.EOF, "Limit Reached")
	}
	return nil
}

// end records why the query ended (the first reason wins) and releases it
// in the background.
func (p *pushQuery) end(err error, final string) {
	p.mu.Lock()
	if p.ended {
		p.mu.Unlock()
		return
	}
	p.ended, p.err, p.final = true, err, final
	close(p.done)
	p.mu.Unlock()
	go p.release()
}

// release stops the tasks and deletes everything the query left: its
// state and its internal topics. It runs once.
func (p *pushQuery) release() {
	p.releaseOnce.Do(func() {
		defer close(p.released)
		e := p.e
		var errs []error
		if p.q != nil && p.q.Plan != nil {
			if err := p.q.Stop(); err != nil {
				errs = append(errs, err)
			}
			// The transactions' markers are durable before the commit
			// records that decide them go (I4).
			ctx := context.Background()
			if err := e.log.Sync(ctx); err != nil {
				errs = append(errs, err)
			}
			for _, topic := range p.rt.InternalTopics(p.q.Plan) {
				if err := e.log.DeleteTopic(ctx, topic); err != nil && !errors.Is(err, broker.ErrUnknownTopic) {
					errs = append(errs, err)
				}
			}
			if err := exec.DropTransientState(p.rt, p.id); err != nil {
				errs = append(errs, err)
			}
		}
		e.pushMu.Lock()
		delete(e.push, p.id)
		e.pushMu.Unlock()
		p.releaseErr = errors.Join(errs...)
		if p.releaseErr != nil {
			e.logf("push query %s: releasing: %v", p.id, p.releaseErr)
		}
	})
}

func (p *pushQuery) ID() string        { return p.id }
func (p *pushQuery) Kind() QueryKind   { return PushQuery }
func (p *pushQuery) Columns() []Column { return p.cols }

func (p *pushQuery) Final() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.final
}

func (p *pushQuery) Next(ctx context.Context) (Row, error) {
	select {
	case r := <-p.rows:
		return r, nil
	default:
	}
	select {
	case r := <-p.rows:
		return r, nil
	case <-p.done:
		p.mu.Lock()
		err := p.err
		p.mu.Unlock()
		if err == io.EOF {
			// Rows queued before the end are still the client's.
			select {
			case r := <-p.rows:
				return r, nil
			default:
			}
		}
		return Row{}, err
	case <-ctx.Done():
		return Row{}, ctx.Err()
	}
}

// Done is closed when the query has ended (a limit, an error such as
// ErrSlowConsumer, Close); rows it queued before may still be read.
func (p *pushQuery) Done() <-chan struct{} { return p.done }

// Close ends the query and waits until it is released.
func (p *pushQuery) Close() error {
	p.end(ErrQueryClosed, "")
	<-p.released
	return p.releaseErr
}

// toClientValues converts runtime values into the JSON-ready values of
// Row.
func toClientValues(row types.Row, ts []*types.Type) []any {
	out := make([]any, len(ts))
	for i := range ts {
		if i < len(row) {
			out[i] = clientValue(row[i], ts[i])
		}
	}
	return out
}

func clientValue(v types.Value, t *types.Type) any {
	switch x := v.(type) {
	case nil:
		return nil
	case int32:
		return int64(x)
	case int64:
		return x
	case types.Timestamp:
		return int64(x)
	case types.Date:
		return int64(x)
	case types.TimeOfDay:
		return int64(x)
	}
	return serde.ValueToJSON(v, t)
}

// dropTransientLeftovers deletes what push queries running at a crash
// left behind: their state and their internal topics (a clean stop
// releases them). Called at start, before any query runs.
func (e *Engine) dropTransientLeftovers(ctx context.Context) error {
	b := e.store.NewBatch()
	defer b.Close()
	found := false
	for _, r := range [][2]string{
		{"s/transient_", "s/transient`"}, {"m/transient_", "m/transient`"}, {"p/transient_", "p/transient`"}, // '`' follows '_'
		{"s/" + scalablePushPrefix, "s/SCALABLE_PUSH_QUERY`"}, {"m/" + scalablePushPrefix, "m/SCALABLE_PUSH_QUERY`"}, {"p/" + scalablePushPrefix, "p/SCALABLE_PUSH_QUERY`"},
	} {
		lo, hi := []byte(r[0]), []byte(r[1])
		it, err := e.store.NewIter(lo, hi)
		if err != nil {
			return err
		}
		any := it.First()
		if err := it.Close(); err != nil {
			return err
		}
		if any {
			found = true
			b.DeleteRange(lo, hi)
		}
	}
	if found {
		if err := b.Commit(false); err != nil {
			return err
		}
	}
	prefix := "_confluent-ksql-" + e.serviceID() + "query_transient_"
	topics, err := e.log.Topics(ctx)
	if err != nil {
		return err
	}
	for _, t := range topics {
		if strings.HasPrefix(t.Name, prefix) {
			if err := e.log.DeleteTopic(ctx, t.Name); err != nil && !errors.Is(err, broker.ErrUnknownTopic) {
				return err
			}
		}
	}
	return nil
}

// transientLog is the log as push queries see it: a log that decides its
// own transactions (Kafka) is used through the plain transaction
// contract, so a push query gets no changelog topics and no restore: its
// state is dropped when it ends, and a crash ends it. A consumer's own
// reader state is kept (broker.ReaderLog).
type transientLog struct{ broker.Log }

func (l transientLog) NewReader(topic string, partition int32) broker.Reader {
	return broker.NewReader(l.Log, topic, partition)
}
