package exec

import (
	"context"
	"errors"
	"fmt"
	"github.com/ksqlgo/ksql/broker/brokertest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/broker/embedded"
	"github.com/ksqlgo/ksql/catalog"
	"github.com/ksqlgo/ksql/exec/functions"
	"github.com/ksqlgo/ksql/planner"
	"github.com/ksqlgo/ksql/sql"
	"github.com/ksqlgo/ksql/sql/ast"
	"github.com/ksqlgo/ksql/state"
)

// The commit protocol, crash window by crash window. A "crash" is
// simulated by failing a step and then abandoning the task: the log and
// the state store are closed and reopened, in-doubt transactions are
// resolved, and the query is rebuilt from what was committed. In every
// window the final output must be each input counted exactly once.

// faultyLog fails chosen transaction steps.
type faultyLog struct {
	broker.Log
	failPrepare bool
	failEnd     bool // both commit and abort: the process "died" there
	// failAborts fails that many EndTxn(abort) calls, then lets them pass.
	failAborts int
	// onPrepare runs before each PrepareTxn (to cancel a context there).
	onPrepare func()
	ended     []string // "producer#seq=commit|abort" of every EndTxn that succeeded
}

var errInjected = errors.New("injected failure")

func (f *faultyLog) PrepareTxn(ctx context.Context, txn broker.Txn) error {
	if f.onPrepare != nil {
		f.onPrepare()
	}
	if f.failPrepare {
		return errInjected
	}
	return f.Log.PrepareTxn(ctx, txn)
}

func (f *faultyLog) EndTxn(ctx context.Context, txn broker.Txn, commit bool) error {
	if f.failEnd {
		return errInjected
	}
	if !commit && f.failAborts > 0 {
		f.failAborts--
		return errInjected
	}
	if err := f.Log.EndTxn(ctx, txn, commit); err != nil {
		return err
	}
	verb := "abort"
	if commit {
		verb = "commit"
	}
	f.ended = append(f.ended, fmt.Sprintf("%s=%s", txn, verb))
	return nil
}

// faultyStore fails batch commits when told to.
type faultyStore struct {
	state.Store
	failCommit bool
	failNext   int    // fail that many commits, then let them pass
	onCommit   func() // runs before each batch commit
}

type faultyBatch struct {
	state.Batch
	s *faultyStore
}

func (f *faultyStore) NewBatch() state.Batch { return &faultyBatch{Batch: f.Store.NewBatch(), s: f} }

func (b *faultyBatch) Commit(sync bool) error {
	if b.s.onCommit != nil {
		b.s.onCommit()
	}
	if b.s.failCommit || b.s.failNext > 0 {
		if b.s.failNext > 0 {
			b.s.failNext--
		}
		b.Batch.Close()
		return errInjected
	}
	return b.Batch.Commit(sync)
}

type harness struct {
	t     *testing.T
	dir   string
	lg    *embedded.Log
	db    *state.DB
	log   *faultyLog
	store *faultyStore
	rt    *Runtime
	plan  *planner.QueryPlan
}

const commitTestDDL = `CREATE STREAM clicks (user STRING KEY, page STRING) WITH (kafka_topic='clicks', value_format='JSON', partitions=1);`
const commitTestQuery = `CREATE TABLE counts AS SELECT page, COUNT(*) AS n FROM clicks GROUP BY page;`

func newHarness(t *testing.T) *harness {
	return newQueryHarness(t, commitTestDDL, commitTestQuery)
}

// newQueryHarness plans query (a CREATE STREAM/TABLE ... AS SELECT, given
// the query id ksqlDB would: CSAS_/CTAS_<name>_0) over the sources ddl
// creates, with every topic in the harness's log.
func newQueryHarness(t *testing.T, ddl, query string) *harness {
	h := &harness{t: t, dir: t.TempDir()}
	h.open()
	ctx := context.Background()
	cat := catalog.New()
	stmts, err := sql.Parse(ddl + query)
	if err != nil {
		t.Fatal(err)
	}
	exists := func(string) (planner.SourceDefaults, error) {
		return planner.SourceDefaults{TopicExists: true, TopicPartitions: 1}, nil
	}
	for _, st := range stmts[:len(stmts)-1] {
		src, err := planner.PlanCreateSource(st.(*ast.CreateSource), cat, planner.Config{}, exists)
		if err != nil {
			t.Fatal(err)
		}
		cat.PutSource(src)
		if err := h.lg.CreateTopic(ctx, src.Topic, broker.TopicConfig{Partitions: 1}); err != nil {
			t.Fatal(err)
		}
	}
	cas := stmts[len(stmts)-1].(*ast.CreateAsSelect)
	name := strings.ToUpper(cas.Name.Name)
	id := "CTAS_" + name + "_0"
	if cas.Kind == ast.Stream {
		id = "CSAS_" + name + "_0"
	}
	plan, sink, err := planner.PlanQuery(planner.QueryRequest{ID: id, Select: cas.Query, SinkName: cas.Name.Name,
		SinkKind: cas.Kind, Props: cas.Props, Text: cas.Text(), ServiceID: "t_"}, cat, functions.New(), planner.Config{})
	if err != nil {
		t.Fatal(err)
	}
	h.plan = plan
	if err := h.lg.CreateTopic(ctx, sink.Topic, broker.TopicConfig{Partitions: 1}); err != nil {
		t.Fatal(err)
	}
	return h
}

func (h *harness) open() {
	var err error
	if h.lg, err = embedded.Open(filepath.Join(h.dir, "log"), embedded.Options{}); err != nil {
		h.t.Fatal(err)
	}
	if h.db, err = state.Open(filepath.Join(h.dir, "state"), state.Options{}); err != nil {
		h.t.Fatal(err)
	}
	h.log = &faultyLog{Log: h.lg}
	h.store = &faultyStore{Store: h.db}
	h.rt = &Runtime{Log: h.log, State: h.store, Durable: true}
}

// crash abandons everything uncommitted and reopens, resolving in-doubt
// transactions as the engine does at start-up.
func (h *harness) crash() {
	h.reopen()
	if err := ResolveInDoubt(context.Background(), h.rt); err != nil {
		h.t.Fatal(err)
	}
}

// reopen abandons everything uncommitted and reopens, leaving in-doubt
// transactions unresolved.
func (h *harness) reopen() {
	h.lg.Close()
	h.db.Close()
	h.open()
}

func (h *harness) query() *Query {
	q, err := NewQuery(context.Background(), h.rt, h.plan, QueryOptions{})
	if err != nil {
		h.t.Fatal(err)
	}
	return q
}

func (h *harness) produce(pages ...string) {
	var recs []broker.Record
	for i, p := range pages {
		recs = append(recs, broker.Record{Key: []byte(fmt.Sprintf("u%d", i)), Value: []byte(`{"PAGE":"` + p + `"}`), Timestamp: int64(i)})
	}
	if _, err := h.lg.Append(context.Background(), "clicks", 0, recs); err != nil {
		h.t.Fatal(err)
	}
}

// drain steps and commits until idle; it returns the first error.
func (h *harness) drain(q *Query) error {
	ctx := context.Background()
	for i := 0; i < 1000; i++ {
		p, err := q.Step(ctx)
		if err != nil {
			return err
		}
		if !p {
			c, err := q.Commit(ctx)
			if err != nil {
				return err
			}
			if !c {
				return nil
			}
		}
	}
	return errors.New("did not settle")
}

// output is the committed changelog of COUNTS as "page=n" strings.
func (h *harness) output() string {
	recs, _, err := h.lg.Read(context.Background(), "COUNTS", 0, 0, broker.ReadOptions{MaxRecords: 1000})
	if err != nil {
		h.t.Fatal(err)
	}
	var out []string
	for _, r := range recs {
		out = append(out, string(r.Key)+"="+strings.TrimSuffix(strings.TrimPrefix(string(r.Value), `{"N":`), "}"))
	}
	return strings.Join(out, " ")
}

func TestCommitFailureBeforePrepare(t *testing.T) {
	h := newHarness(t)
	h.produce("a", "b", "a")
	q := h.query()
	h.log.failPrepare = true
	if err := h.drain(q); !errors.Is(err, errInjected) {
		t.Fatalf("drain: %v, want the injected failure", err)
	}
	// The task aborted its transaction and rewound: retrying succeeds
	// without a restart, and nothing was output twice.
	h.log.failPrepare = false
	if err := h.drain(q); err != nil {
		t.Fatal(err)
	}
	if got, want := h.output(), "a=1 b=1 a=2"; got != want {
		t.Fatalf("output %q, want %q", got, want)
	}
}

func TestCrashAfterPrepareBeforeStateCommit(t *testing.T) {
	h := newHarness(t)
	h.produce("a", "b")
	q := h.query()
	if err := h.drain(q); err != nil {
		t.Fatal(err)
	}
	h.produce("a")
	// Output is prepared (durable, invisible); the state commit fails and
	// the process "dies" before it can abort.
	h.store.failCommit, h.log.failEnd = true, true
	if err := h.drain(q); !errors.Is(err, errInjected) {
		t.Fatalf("drain: %v", err)
	}
	h.crash()
	if got := brokertest.InDoubt(t, h.rt.Log); len(got) != 0 {
		t.Fatalf("still in doubt after resolution: %v", got)
	}
	if got, want := h.output(), "a=1 b=1"; got != want {
		t.Fatalf("after the crash the prepared output must be aborted: %q, want %q", got, want)
	}
	q = h.query()
	if err := h.drain(q); err != nil {
		t.Fatal(err)
	}
	if got, want := h.output(), "a=1 b=1 a=2"; got != want {
		t.Fatalf("output %q, want %q", got, want)
	}
}

func TestCrashAfterStateCommitBeforeLogCommit(t *testing.T) {
	h := newHarness(t)
	h.produce("a", "b", "a")
	q := h.query()
	// State (with the input position) commits; the log commit does not
	// happen: the transaction is in doubt and must be committed.
	h.log.failEnd = true
	if err := h.drain(q); !errors.Is(err, errInjected) {
		t.Fatalf("drain: %v", err)
	}
	h.crash()
	if got := brokertest.InDoubt(t, h.rt.Log); len(got) != 0 {
		t.Fatalf("still in doubt after resolution: %v", got)
	}
	// The decided transaction (the repartitioned records) was committed;
	// the restarted query does not process the inputs again, so each is
	// counted once.
	q = h.query()
	if err := h.drain(q); err != nil {
		t.Fatal(err)
	}
	if got, want := h.output(), "a=1 b=1 a=2"; got != want {
		t.Fatalf("output %q, want %q", got, want)
	}
	h.produce("b")
	if err := h.drain(q); err != nil {
		t.Fatal(err)
	}
	if got, want := h.output(), "a=1 b=1 a=2 b=2"; got != want {
		t.Fatalf("output %q, want %q", got, want)
	}
}

// I1: recovery aborts an in-doubt transaction and records its number as
// spent, so the restarted task does not reuse it. Before, the restarted
// task appended under the aborted number again, and a crash after its
// state commit left a directory that never started: "transaction ...#2
// was already ended with commit=false".
func TestSeqNeverReusedAfterRecoveryAbort(t *testing.T) {
	h := newHarness(t)
	h.produce("a", "b")
	q := h.query()
	if err := h.drain(q); err != nil {
		t.Fatal(err)
	}
	h.produce("a")
	// Prepared, then the process dies before its state commit: recovery
	// aborts #2.
	h.store.failCommit, h.log.failEnd = true, true
	if err := h.drain(q); !errors.Is(err, errInjected) {
		t.Fatalf("drain: %v", err)
	}
	h.store.failCommit, h.log.failEnd = false, false
	h.crash()
	// The restarted task commits its state, then dies before the log
	// commit.
	q = h.query()
	h.log.failEnd = true
	if err := h.drain(q); !errors.Is(err, errInjected) {
		t.Fatalf("drain: %v", err)
	}
	h.log.failEnd = false
	h.reopen()
	var seqs []int64
	for _, txn := range brokertest.InDoubt(t, h.rt.Log) {
		seqs = append(seqs, txn.Seq)
	}
	if len(seqs) != 1 || seqs[0] != 3 {
		t.Fatalf("in doubt after the second crash: seqs %v, want [3] (2 was spent by the abort)", seqs)
	}
	if err := ResolveInDoubt(context.Background(), h.rt); err != nil {
		t.Fatalf("recovery refused the directory: %v", err)
	}
	q = h.query()
	if err := h.drain(q); err != nil {
		t.Fatal(err)
	}
	if got, want := h.output(), "a=1 b=1 a=2"; got != want {
		t.Fatalf("output %q, want %q", got, want)
	}
}

// I1 across DROP: a query's state is dropped and a query with the same id
// (as headless files produce) starts again; its sequence numbers continue
// above the old ones.
func TestSeqNeverReusedAfterDropState(t *testing.T) {
	h := newHarness(t)
	h.produce("a", "b")
	q := h.query()
	if err := h.drain(q); err != nil {
		t.Fatal(err)
	}
	if err := q.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := DropState(h.rt, h.plan.ID); err != nil {
		t.Fatal(err)
	}
	h.log.ended = nil
	q = h.query()
	h.produce("c")
	if err := h.drain(q); err != nil {
		t.Fatal(err)
	}
	for _, e := range h.log.ended {
		if strings.HasSuffix(e, "#1=commit") {
			t.Fatalf("the new query reused sequence number 1: %v", h.log.ended)
		}
	}
	if len(h.log.ended) == 0 {
		t.Fatal("the new query committed nothing")
	}
}

// I2 and I3: a failed log commit after the state commit leaves the
// output with the decided transaction; the next commit finishes that
// transaction first and does not append the same records again. Before,
// the buffered output stayed and was appended a second time under the
// next number, and the first transaction stayed open, freezing the
// topic's stable offset.
func TestFailedLogCommitIsFinishedNotRepeated(t *testing.T) {
	h := newHarness(t)
	h.produce("a", "b", "a")
	q := h.query()
	h.log.failEnd = true
	if err := h.drain(q); !errors.Is(err, errInjected) {
		t.Fatalf("drain: %v, want the injected failure", err)
	}
	h.log.failEnd = false
	h.produce("b")
	if err := h.drain(q); err != nil {
		t.Fatal(err)
	}
	if got, want := h.output(), "a=1 b=1 a=2 b=2"; got != want {
		t.Fatalf("output %q, want %q", got, want)
	}
	// Sync makes trailing commit markers durable; an open transaction
	// would still hold the stable offset back.
	if err := h.lg.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	off, err := h.lg.Offsets(context.Background(), "COUNTS", 0)
	if err != nil {
		t.Fatal(err)
	}
	if off.Stable != off.End {
		t.Fatalf("a transaction is still open: stable %d, end %d", off.Stable, off.End)
	}
	// And after a restart nothing is committed twice.
	h.crash()
	if got, want := h.output(), "a=1 b=1 a=2 b=2"; got != want {
		t.Fatalf("after restart: output %q, want %q", got, want)
	}
}

// I2: an abort that fails in the log is retried before the task's next
// transaction, so it is durable before any later commit of the task.
// Before, it was never retried: the aborted transaction held back the
// stable offset until a restart, and then the rule "state seq >= txn seq"
// committed the aborted output.
func TestFailedAbortIsRetriedBeforeNextTxn(t *testing.T) {
	h := newHarness(t)
	h.produce("a", "b")
	q := h.query()
	if err := h.drain(q); err != nil {
		t.Fatal(err)
	}
	h.produce("a")
	h.store.failNext = 1
	h.log.failAborts = 1
	if err := h.drain(q); !errors.Is(err, errInjected) {
		t.Fatalf("drain: %v", err)
	}
	h.log.ended = nil
	if err := h.drain(q); err != nil {
		t.Fatal(err)
	}
	if len(h.log.ended) < 2 || !strings.HasSuffix(h.log.ended[0], "#2=abort") {
		t.Fatalf("log decisions after the failed abort: %v, want #2's abort first", h.log.ended)
	}
	if got, want := h.output(), "a=1 b=1 a=2"; got != want {
		t.Fatalf("output %q, want %q", got, want)
	}
	h.crash()
	if got, want := h.output(), "a=1 b=1 a=2"; got != want {
		t.Fatalf("after restart the aborted output came back: %q, want %q", got, want)
	}
}

// I4: a stop that lands in the middle of a commit (the query's context is
// cancelled just before the prepare, or just before the state commit)
// does not cut the commit short, and leaves no transaction open. Before,
// the log commit ran under the cancelled context and failed, the final
// commit appended the same output again, and recovery committed both
// copies; or the abort failed and the transaction froze the topic.
func TestStopDuringCommit(t *testing.T) {
	for _, at := range []string{"prepare", "state commit"} {
		for round := 0; round < 10; round++ {
			h := newHarness(t)
			h.rt.CommitInterval = time.Hour // commit only when idle, and at stop
			h.produce("a", "b", "a", "c", "a")
			q := h.query()
			var once sync.Once
			fired := make(chan struct{})
			stop := func() {
				once.Do(func() {
					q.mu.Lock()
					q.cancel()
					q.mu.Unlock()
					close(fired)
				})
			}
			if at == "prepare" {
				h.log.onPrepare = stop
			} else {
				h.store.onCommit = stop
			}
			q.Start()
			select {
			case <-fired:
			case <-time.After(10 * time.Second):
				t.Fatal("the query never committed")
			}
			if err := q.Stop(); err != nil {
				t.Fatal(err)
			}
			h.log.onPrepare, h.store.onCommit = nil, nil
			if err := h.lg.Sync(context.Background()); err != nil {
				t.Fatal(err)
			}
			for _, ti := range brokertest.Topics(t, h.lg) {
				off, err := h.lg.Offsets(context.Background(), ti.Name, 0)
				if err != nil {
					t.Fatal(err)
				}
				if off.Stable != off.End {
					t.Fatalf("stop at %s, round %d: a transaction on %s is still open after Stop", at, round, ti.Name)
				}
			}
			h.crash()
			q = h.query()
			if err := h.drain(q); err != nil {
				t.Fatal(err)
			}
			if got, want := h.output(), "a=1 b=1 a=2 c=1 a=3"; got != want {
				t.Fatalf("stop at %s, round %d: output %q, want %q", at, round, got, want)
			}
			h.lg.Close()
			h.db.Close()
		}
	}
}

// Lag counts input as processed only once the output it produced is
// visible to read_committed readers: a commit whose state is committed
// but whose transaction marker is not yet written leaves the lag where it
// was (so that "no lag" means the results can be read), and the commit
// that writes the marker clears it.
func TestLagWaitsForVisibleOutput(t *testing.T) {
	h := newHarness(t)
	h.produce("a", "b")
	q := h.query()
	lag := func() int64 {
		var n int64
		for _, l := range q.Lag(context.Background()) {
			n += l.End - l.Committed
		}
		return n
	}
	h.log.failEnd = true
	if err := h.drain(q); !errors.Is(err, errInjected) {
		t.Fatalf("drain: %v", err)
	}
	if lag() == 0 {
		t.Fatalf("no lag while the output is invisible (output so far: %q)", h.output())
	}
	h.log.failEnd = false
	if err := h.drain(q); err != nil {
		t.Fatal(err)
	}
	if n := lag(); n != 0 {
		t.Fatalf("lag %d after the output became visible", n)
	}
	if got, want := h.output(), "a=1 b=1"; got != want {
		t.Fatalf("output %q, want %q", got, want)
	}
}
