package exec

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

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
}

var errInjected = errors.New("injected failure")

func (f *faultyLog) PrepareTxn(ctx context.Context, txn broker.Txn) error {
	if f.failPrepare {
		return errInjected
	}
	return f.Log.PrepareTxn(ctx, txn)
}

func (f *faultyLog) EndTxn(ctx context.Context, txn broker.Txn, commit bool) error {
	if f.failEnd {
		return errInjected
	}
	return f.Log.EndTxn(ctx, txn, commit)
}

// faultyStore fails batch commits when told to.
type faultyStore struct {
	state.Store
	failCommit bool
}

type faultyBatch struct {
	state.Batch
	s *faultyStore
}

func (f *faultyStore) NewBatch() state.Batch { return &faultyBatch{Batch: f.Store.NewBatch(), s: f} }

func (b *faultyBatch) Commit(sync bool) error {
	if b.s.failCommit {
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
	h := &harness{t: t, dir: t.TempDir()}
	h.open()
	ctx := context.Background()
	cat := catalog.New()
	funcs := functions.New()
	stmts, err := sql.Parse(commitTestDDL + commitTestQuery)
	if err != nil {
		t.Fatal(err)
	}
	exists := func(string) planner.SourceDefaults {
		return planner.SourceDefaults{TopicExists: true, TopicPartitions: 1}
	}
	src, err := planner.PlanCreateSource(stmts[0].(*ast.CreateSource), cat, planner.Config{}, exists)
	if err != nil {
		t.Fatal(err)
	}
	cat.PutSource(src)
	ctas := stmts[1].(*ast.CreateAsSelect)
	plan, sink, err := planner.PlanQuery(planner.QueryRequest{ID: "CTAS_COUNTS_0", Select: ctas.Query, SinkName: "COUNTS",
		SinkKind: ast.Table, Props: ctas.Props, Text: ctas.Text(), ServiceID: "t_"}, cat, funcs, planner.Config{})
	if err != nil {
		t.Fatal(err)
	}
	h.plan = plan
	for _, topic := range []string{"clicks", sink.Topic} {
		if err := h.lg.CreateTopic(ctx, topic, broker.TopicConfig{Partitions: 1}); err != nil {
			t.Fatal(err)
		}
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
	h.lg.Close()
	h.db.Close()
	h.open()
	if err := ResolveInDoubt(context.Background(), h.rt); err != nil {
		h.t.Fatal(err)
	}
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
	if got := h.rt.Log.InDoubt(); len(got) != 0 {
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
	if got := h.rt.Log.InDoubt(); len(got) != 0 {
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
