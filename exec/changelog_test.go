package exec

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ksqlgo/ksql/broker"
)

// decidedLog makes the embedded log behave as a log that decides its own
// transactions (as Kafka does), so that the changelog protocol can be
// tested deterministically with the harness's fault injection: a
// producer's transactions left open are aborted when it is initialized
// again, and group offsets added to a transaction are committed with it.
type decidedLog struct {
	broker.Log
	mu      sync.Mutex
	offsets map[broker.Txn]map[string]map[broker.TopicPartition]int64
	inits   int
}

func (d *decidedLog) InitProducer(ctx context.Context, producer string) error {
	d.mu.Lock()
	d.inits++
	d.mu.Unlock()
	txns, err := d.Log.InDoubt(ctx)
	if err != nil {
		return err
	}
	for _, txn := range txns {
		if txn.Producer == producer {
			if err := d.Log.EndTxn(ctx, txn, false); err != nil {
				return err
			}
		}
	}
	return nil
}

func (d *decidedLog) CommitOffsetsTxn(_ context.Context, txn broker.Txn, group string, offsets map[broker.TopicPartition]int64) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.offsets == nil {
		d.offsets = map[broker.Txn]map[string]map[broker.TopicPartition]int64{}
	}
	if d.offsets[txn] == nil {
		d.offsets[txn] = map[string]map[broker.TopicPartition]int64{}
	}
	d.offsets[txn][group] = offsets
	return nil
}

func (d *decidedLog) EndTxn(ctx context.Context, txn broker.Txn, commit bool) error {
	if err := d.Log.EndTxn(ctx, txn, commit); err != nil {
		return err
	}
	d.mu.Lock()
	pending := d.offsets[txn]
	delete(d.offsets, txn)
	d.mu.Unlock()
	if commit {
		for g, offs := range pending {
			if err := d.Log.CommitOffsets(ctx, g, offs); err != nil {
				return err
			}
		}
	}
	return nil
}

func (d *decidedLog) TxnDecidedByLog() bool { return true }

// InDoubt: nothing is left for the engine to decide.
func (d *decidedLog) InDoubt(context.Context) ([]broker.Txn, error) { return nil, nil }

func newDecidedHarness(t *testing.T) *harness {
	h := newHarness(t)
	h.rt.Log = &decidedLog{Log: h.log}
	return h
}

// restart abandons everything uncommitted (in the log and in memory) and
// reopens, over the decided log again.
func (h *harness) restartDecided() {
	h.reopen()
	h.rt.Log = &decidedLog{Log: h.log}
}

func (h *harness) changelog(t *testing.T) []broker.Record {
	t.Helper()
	recs, err := broker.ReadAll(context.Background(), h.lg, h.rt.ChangelogTopic(h.plan.ID, len(h.plan.Stages)-1), 0, 0, broker.ReadCommitted, 0)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func TestLogDecidedCommitWritesChangelogAndOffsets(t *testing.T) {
	h := newDecidedHarness(t)
	h.produce("a", "b", "a")
	q := h.query()
	if err := h.drain(q); err != nil {
		t.Fatal(err)
	}
	if got := h.output(); got != "a=1 b=1 a=2" {
		t.Fatalf("output %q", got)
	}
	var keys []string
	for _, r := range h.changelog(t) {
		keys = append(keys, strings.SplitN(string(r.Key), "/", 2)[0])
	}
	if len(keys) == 0 || keys[len(keys)-1] != "\x00" {
		t.Fatalf("changelog stores %q: want state records ending with the meta record", keys)
	}
	offs, err := h.lg.FetchOffsets(context.Background(), h.rt.appID(h.plan.ID))
	if err != nil || offs[broker.TopicPartition{Topic: "clicks", Partition: 0}] != 3 {
		t.Fatalf("group offsets %v (%v), want clicks-0 at 3", offs, err)
	}
}

// A crash after the log committed and before the state store did (the
// first, second, ... state commit of the drain fails, so each stage is
// hit): the restart restores the state from the changelog, and the counts
// go on from there, each output exactly once.
func TestLogDecidedCrashAfterLogCommitRestores(t *testing.T) {
	for fail := 1; fail <= 4; fail++ {
		h := newDecidedHarness(t)
		h.produce("a", "b")
		q := h.query()
		if err := h.drain(q); err != nil {
			t.Fatal(err)
		}
		h.produce("a", "a")
		h.store.failNext = fail
		_ = h.drain(q) // fails, or (late failures) not
		h.restartDecided()
		q = h.query()
		h.produce("b")
		if err := h.drain(q); err != nil {
			t.Fatal(err)
		}
		if got := h.output(); got != "a=1 b=1 a=2 a=3 b=2" {
			t.Fatalf("state commit %d failing: output %q: want the counts to continue from the changelog", fail, got)
		}
	}
}

// The same failure without a restart: the task restores before it polls
// again.
func TestLogDecidedStateCommitFailureRestoresInPlace(t *testing.T) {
	h := newDecidedHarness(t)
	h.produce("a", "b")
	q := h.query()
	h.store.failNext = 1
	if err := h.drain(q); err == nil {
		t.Fatal("drain succeeded with a failing state commit")
	}
	h.produce("a")
	if err := h.drain(q); err != nil {
		t.Fatal(err)
	}
	if got := h.output(); got != "a=1 b=1 a=2" {
		t.Fatalf("output %q", got)
	}
}

// A lost state directory (a fresh machine): everything is restored from
// the changelog and the group offsets.
func TestLogDecidedFreshStateRestoresFromChangelog(t *testing.T) {
	h := newDecidedHarness(t)
	h.produce("a", "b", "a")
	q := h.query()
	if err := h.drain(q); err != nil {
		t.Fatal(err)
	}
	h.lg.Close()
	h.db.Close()
	if err := os.RemoveAll(filepath.Join(h.dir, "state")); err != nil {
		t.Fatal(err)
	}
	h.open()
	h.rt.Log = &decidedLog{Log: h.log}
	q = h.query()
	h.produce("a", "c")
	if err := h.drain(q); err != nil {
		t.Fatal(err)
	}
	if got := h.output(); got != "a=1 b=1 a=2 a=3 c=1" {
		t.Fatalf("output %q: want counts restored from the changelog", got)
	}
}

// A failure before the decision aborts: the output and the changelog of
// the aborted transaction are invisible and the retry counts once.
func TestLogDecidedAbortBeforeCommit(t *testing.T) {
	h := newDecidedHarness(t)
	h.produce("a", "b", "a")
	q := h.query()
	h.log.failPrepare = true
	if err := h.drain(q); !errors.Is(err, errInjected) {
		t.Fatalf("drain: %v, want the injected failure", err)
	}
	h.log.failPrepare = false
	if err := h.drain(q); err != nil {
		t.Fatal(err)
	}
	if got := h.output(); got != "a=1 b=1 a=2" {
		t.Fatalf("output %q", got)
	}
}

// A commit whose outcome is unknown (EndTxn failed): the task restores
// from the changelog; if the commit had reached the log, nothing is
// output twice.
func TestLogDecidedUnknownCommitOutcome(t *testing.T) {
	h := newDecidedHarness(t)
	h.produce("a", "b")
	q := h.query()
	if err := h.drain(q); err != nil {
		t.Fatal(err)
	}
	h.produce("a")
	// The commit reaches the log, but its answer is lost.
	dl := h.rt.Log.(*decidedLog)
	h.rt.Log = &lostAnswerLog{decidedLog: dl}
	if err := h.drain(q); err == nil {
		t.Fatal("drain succeeded with a lost commit answer")
	}
	h.rt.Log = dl
	h.produce("b")
	if err := h.drain(q); err != nil {
		t.Fatal(err)
	}
	if got := h.output(); got != "a=1 b=1 a=2 b=2" {
		t.Fatalf("output %q", got)
	}
}

// lostAnswerLog commits transactions but reports a failure.
type lostAnswerLog struct {
	*decidedLog
}

func (l *lostAnswerLog) EndTxn(ctx context.Context, txn broker.Txn, commit bool) error {
	if err := l.decidedLog.EndTxn(ctx, txn, commit); err != nil {
		return err
	}
	return errInjected
}

// State ahead of the changelog (here: the changelog topic was deleted
// and created again) is discarded and restored.
func TestLogDecidedStateAheadOfChangelogIsDiscarded(t *testing.T) {
	h := newDecidedHarness(t)
	h.produce("a", "b", "a")
	q := h.query()
	if err := h.drain(q); err != nil {
		t.Fatal(err)
	}
	last := len(h.plan.Stages) - 1
	prefix := statePrefix(h.plan.ID, last, 0)
	if n := countKeys(t, h, prefix); n == 0 {
		t.Fatal("the aggregate stage has no state after a drain")
	}
	if err := h.lg.DeleteTopic(context.Background(), h.rt.ChangelogTopic(h.plan.ID, last)); err != nil {
		t.Fatal(err)
	}
	q = h.query() // creates the changelog again, empty
	if n := countKeys(t, h, prefix); n != 0 {
		t.Fatalf("%d state keys kept ahead of an empty changelog", n)
	}
	h.produce("a")
	if err := h.drain(q); err != nil {
		t.Fatal(err)
	}
	if got := h.output(); !strings.HasSuffix(got, " a=1") {
		t.Fatalf("output %q: want the count restarted from the (empty) changelog", got)
	}
}

func countKeys(t *testing.T, h *harness, prefix string) int {
	t.Helper()
	it, err := h.db.NewIter([]byte(prefix), []byte(prefix[:len(prefix)-1]+"0"))
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		n++
	}
	return n
}
