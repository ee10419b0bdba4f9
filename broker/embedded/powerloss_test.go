package embedded

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/ksqlgo/ksql/broker/brokertest"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/broker/embedded/logfs"
)

// TestPowerLoss runs a seeded random workload on a logfs.Mem (plain and
// transactional appends, PrepareTxn, EndTxn, Sync, consumer group commits,
// topic creation and deletion, retention, a ReadCommitted consumer), cuts
// the power at a random point (before a random mutating file operation,
// so possibly in the middle of an Append, a segment roll, an EndTxn or
// Open itself; or between two calls), reopens the log on what the disk
// could hold afterwards (Mem.Crash: the synced state plus a random prefix
// of the unsynced changes, the last write maybe torn), checks it, and
// repeats. Each seed runs its own rounds; the subtest name reproduces one
// (go test -run 'TestPowerLoss/always/seed=7'), -powerloss.seeds=N runs
// more.
//
// After every power loss:
//   - the log opens;
//   - every record acknowledged durable is there, at its offset, intact:
//     under SyncAlways every Append; under SyncInterval every append
//     acknowledged before the last completed Sync; the batches of every
//     prepared transaction; under SyncAlways the batches of every ended
//     one (EndTxn fsyncs them before they become readable);
//   - nothing is there that was not written, and batches are whole;
//   - a transaction with batches in the log is either ended (with the
//     decision it was given) or in doubt, never lost; an acknowledged
//     abort is never in doubt again (EndTxn fsyncs abort markers); InDoubt
//     lists exactly the transactions without a marker;
//   - ReadCommitted never shows a record of a transaction not committed;
//     after the in-doubt transactions are resolved it shows exactly the
//     plain records and those of committed transactions;
//   - consumer group offsets are the last acknowledged commit or a later
//     attempted one; acknowledged topic creations and deletions hold;
//   - retention only ever removed whole batches from the head, and what an
//     acknowledged EnforceRetention removed stays removed;
//   - under SyncAlways, a ReadCommitted consumer keeps its position and
//     never misses a record: every record it saw is still there, and
//     reading on from where it was gives, in the end, exactly what a
//     fresh read of the whole partition gives (an unsynced commit marker
//     holds the stable offset in front of it, so a power loss cannot take
//     back an offset a consumer has passed).
func TestPowerLoss(t *testing.T) {
	seeds := *powerLossSeeds
	switch {
	case seeds > 0:
	case testing.Short():
		seeds = 50
	default:
		seeds = 300
	}
	var total plStats
	defer func() { t.Logf("%d seeds: %+v", seeds, total) }()
	for seed := range uint64(seeds) {
		policy := SyncAlways
		if seed%2 == 1 {
			policy = SyncInterval
		}
		t.Run(fmt.Sprintf("%v/seed=%d", policy, seed), func(t *testing.T) {
			w := newPowerWorld(t, seed, policy)
			for range 4 {
				w.round()
			}
			w.finish()
			total.add(w.stats)
		})
	}
}

var powerLossSeeds = flag.Int("powerloss.seeds", 0, "number of seeds TestPowerLoss runs (default 300, 50 with -short)")

const (
	plDir      = "/data"
	plTopicC   = "c" // created and deleted during the run
	plRounds   = 30  // workload steps per round
	plMaxCrash = 150 // a power loss falls within this many mutating operations
)

var plFixed = []broker.TopicPartition{{Topic: "a", Partition: 0}, {Topic: "a", Partition: 1}, {Topic: "b", Partition: 0}}

// powerWorld is the log under test and the test's model of what it must
// hold.
type powerWorld struct {
	t    *testing.T
	rng  *rand.Rand // the workload
	crng *rand.Rand // crash images
	opts Options

	disk  *logfs.Mem // the disk the log runs on
	l     *Log
	dead  bool       // the power is off: every file operation fails
	image *logfs.Mem // the disk as the power loss left it

	nextID    int
	batches   map[string]*plBatch
	txns      map[broker.Txn]*plTxn
	open      map[string]*plTxn // producer → its transaction not yet ended
	seqs      map[string]int64  // producer → last Seq used
	groups    map[string]*plGroup
	nextValue int64
	cState    plTopicState
	consumers map[broker.TopicPartition]*plConsumer // SyncAlways only
	// start is each partition's start offset as of the last acknowledged
	// EnforceRetention (or Open); retained marks the partitions where one
	// was attempted since Open.
	start    map[broker.TopicPartition]int64
	retained map[broker.TopicPartition]bool
	stats    plStats
}

// plStats counts what the power losses hit, to show the test reaches the
// cases it is about.
type plStats struct {
	PowerLosses   int // all of them
	InOpen        int // during Open (recovery)
	AtFileOp      int // before a mutating file operation (the others: between two calls)
	BatchesLost   int // unacknowledged or not yet durable batches gone
	Retained      int // offsets removed by retention
	InDoubt       int // transactions found in doubt
	ResolvedAgain int // of which ended before the power loss
}

func (s *plStats) add(o plStats) {
	s.PowerLosses += o.PowerLosses
	s.InOpen += o.InOpen
	s.AtFileOp += o.AtFileOp
	s.BatchesLost += o.BatchesLost
	s.Retained += o.Retained
	s.InDoubt += o.InDoubt
	s.ResolvedAgain += o.ResolvedAgain
}

// plBatch is one attempted append; the test knows its records from its id.
type plBatch struct {
	id      string
	tp      broker.TopicPartition
	n       int
	txn     *plTxn // nil for a plain append
	acked   bool   // the append returned its offset (or the batch was found in the log)
	base    int64  // valid when acked
	durable bool   // must survive a power loss
}

type plTxn struct {
	txn      broker.Txn
	batches  []*plBatch // acknowledged appends
	prepared bool       // PrepareTxn returned nil
	decided  bool       // EndTxn was called (with commit)
	commit   bool
	ended    bool // EndTxn returned nil
}

// plGroup is a consumer group committing one position (on a-0).
type plGroup struct {
	acked    int64   // last acknowledged value; -1 if none
	inflight []int64 // attempted since
}

type plTopicState int

const (
	topicAbsent plTopicState = iota
	topicPresent
	topicUnknown // a create or delete was cut by the power loss
)

// plConsumer reads one partition ReadCommitted, as a query task does.
type plConsumer struct {
	pos  int64
	seen []broker.Record
}

func newPowerWorld(t *testing.T, seed uint64, policy SyncPolicy) *powerWorld {
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	w := &powerWorld{
		t:    t,
		rng:  rng,
		crng: rand.New(rand.NewPCG(seed, 0xc2b2ae3d27d4eb4f)),
		opts: Options{
			SyncPolicy:             policy,
			SyncInterval:           time.Hour, // "the interval" is an explicit Sync: deterministic
			SegmentBytes:           int64(200 + rng.IntN(800)),
			IndexIntervalBytes:     64,
			RetentionCheckInterval: -1,
		},
		disk:      logfs.NewMem(),
		batches:   map[string]*plBatch{},
		txns:      map[broker.Txn]*plTxn{},
		open:      map[string]*plTxn{},
		seqs:      map[string]int64{},
		groups:    map[string]*plGroup{},
		consumers: map[broker.TopicPartition]*plConsumer{},
		start:     map[broker.TopicPartition]int64{},
		retained:  map[broker.TopicPartition]bool{},
	}
	// The fixed topics exist before the first power loss.
	l, err := Open(plDir, w.optsOn(w.disk))
	if err != nil {
		t.Fatal(err)
	}
	if err := l.CreateTopic(t.Context(), "a", broker.TopicConfig{Partitions: 2, RetentionMs: -1}); err != nil {
		t.Fatal(err)
	}
	// Retention deletes from b.
	if err := l.CreateTopic(t.Context(), "b", broker.TopicConfig{Partitions: 1, RetentionMs: -1, RetentionBytes: 1200}); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if policy == SyncAlways {
		for _, tp := range plFixed {
			w.consumers[tp] = &plConsumer{}
		}
	}
	return w
}

func (w *powerWorld) optsOn(fsys logfs.FS) Options {
	o := w.opts
	o.FS = fsys
	return o
}

// round opens the log on the current disk, checks it, resolves the
// transactions in doubt, runs the workload and cuts the power.
func (w *powerWorld) round() {
	t := w.t
	ff := logfs.NewFaultFS(w.disk)
	ff.SetHook(w.powerHook(1 + w.rng.IntN(plMaxCrash)))
	l, err := Open(plDir, w.optsOn(ff))
	if err != nil || w.dead {
		if !w.dead {
			t.Fatalf("Open after a power loss: %v\n%s", err, w.disk)
		}
		w.stats.InOpen++
		if l != nil {
			l.crash()
		}
		w.powerBack()
		return
	}
	w.l = l
	w.checkRecovered()
	if w.opts.SyncPolicy == SyncAlways && w.rng.IntN(3) == 0 {
		// Other writers need not wait for the owners of in-doubt
		// transactions.
		w.appendPlain()
	}
	if w.resolveInDoubt() && !w.dead {
		w.checkResolved()
	}
	for i := 0; i < plRounds && !w.dead; i++ {
		w.step()
	}
	if !w.dead {
		w.powerLoss()
	}
	l.crash()
	w.powerBack()
}

// finish opens the last image without a power loss and checks it.
func (w *powerWorld) finish() {
	l, err := Open(plDir, w.optsOn(w.disk))
	if err != nil {
		w.t.Fatalf("Open: %v", err)
	}
	defer l.Close()
	w.l = l
	w.checkRecovered()
	if !w.resolveInDoubt() {
		w.t.Fatal("resolving in-doubt transactions failed")
	}
	w.checkResolved()
	for tp, c := range w.consumers {
		w.consume(tp, c)
		o, err := l.Offsets(context.Background(), tp.Topic, tp.Partition)
		if err != nil {
			w.t.Fatal(err)
		}
		seen := slices.DeleteFunc(c.seen, func(r broker.Record) bool { return r.Offset < o.Start })
		all := readAllT(w.t, l, tp.Topic, tp.Partition, o.Start, broker.ReadCommitted)
		if got, want := recordsString(seen), recordsString(all); got != want {
			w.t.Fatalf("%s: the consumer read\n%s\nbut the partition holds\n%s", tp, got, want)
		}
	}
}

// powerHook cuts the power just before the budget-th mutating file
// operation; from then on every operation fails.
func (w *powerWorld) powerHook(budget int) func(logfs.Op) error {
	n := 0
	return func(op logfs.Op) error {
		if w.dead {
			return syscall.EIO
		}
		if op.Kind.Mutates() {
			if n++; n == budget {
				w.stats.AtFileOp++
				w.powerLoss()
				return syscall.EIO
			}
		}
		return nil
	}
}

func (w *powerWorld) powerLoss() {
	w.stats.PowerLosses++
	rng := w.crng
	if w.crng.IntN(4) == 0 {
		rng = nil // nothing unsynced survives
	}
	w.image = w.disk.Crash(rng)
	w.dead = true
}

func (w *powerWorld) powerBack() {
	w.disk, w.image, w.dead, w.l = w.image, nil, false, nil
}

// ok reports whether an operation succeeded; it may fail only once the
// power is lost.
func (w *powerWorld) ok(what string, err error) bool {
	w.t.Helper()
	if err == nil {
		return true
	}
	if !w.dead {
		w.t.Fatalf("%s: %v (with power on)", what, err)
	}
	return false
}

// ---------------------------------------------------------------- workload

func (w *powerWorld) step() {
	switch r := w.rng.IntN(100); {
	case r < 30:
		w.appendPlain()
	case r < 50:
		w.appendTxn()
	case r < 58:
		w.prepare()
	case r < 70:
		w.endTxn()
	case r < 76:
		if w.ok("Sync", w.l.Sync(context.Background())) {
			for _, b := range w.batches {
				if b.acked {
					b.durable = true
				}
			}
		}
	case r < 82:
		w.commitOffsets()
	case r < 86:
		w.toggleTopicC()
	case r < 89:
		w.retention()
	default:
		for tp, c := range w.consumers {
			w.consume(tp, c)
		}
	}
}

func (w *powerWorld) newBatch(tp broker.TopicPartition, txn *plTxn) (*plBatch, []broker.Record) {
	w.nextID++
	b := &plBatch{id: "b" + strconv.Itoa(w.nextID), tp: tp, n: 1 + w.rng.IntN(4), txn: txn}
	w.batches[b.id] = b
	return b, plRecords(b.id, b.n)
}

// plRecords is the content of batch id: the key names the batch, the
// value its index (padded so that segments roll).
func plRecords(id string, n int) []broker.Record {
	recs := make([]broker.Record, n)
	for i := range recs {
		recs[i] = broker.Record{Key: []byte(id), Value: []byte(fmt.Sprintf("%s/%d/%s", id, i, strings.Repeat("x", len(id)*3))), Timestamp: 1}
	}
	return recs
}

func (w *powerWorld) appendPlain() {
	tps := slices.Clone(plFixed)
	if w.cState == topicPresent {
		tps = append(tps, broker.TopicPartition{Topic: plTopicC})
	}
	tp := tps[w.rng.IntN(len(tps))]
	b, recs := w.newBatch(tp, nil)
	base, err := w.l.Append(w.t.Context(), tp.Topic, tp.Partition, recs)
	if w.ok("Append", err) {
		b.acked, b.base = true, base
		b.durable = w.opts.SyncPolicy == SyncAlways
	}
}

var plProducers = []string{"p", "q", "r"}

func (w *powerWorld) appendTxn() {
	producer := plProducers[w.rng.IntN(len(plProducers))]
	m := w.open[producer]
	if m == nil {
		w.seqs[producer]++
		m = &plTxn{txn: broker.Txn{Producer: producer, Seq: w.seqs[producer]}}
		w.txns[m.txn] = m
		w.open[producer] = m
	}
	tp := plFixed[w.rng.IntN(len(plFixed))]
	b, recs := w.newBatch(tp, m)
	base, err := w.l.AppendTxn(w.t.Context(), m.txn, tp.Topic, tp.Partition, recs)
	if w.ok("AppendTxn", err) {
		b.acked, b.base = true, base
		m.batches = append(m.batches, b)
	}
}

// openTxn picks a producer's transaction not yet ended, if any.
func (w *powerWorld) openTxn() *plTxn {
	var ms []*plTxn
	for _, p := range plProducers {
		if m := w.open[p]; m != nil {
			ms = append(ms, m)
		}
	}
	if len(ms) == 0 {
		return nil
	}
	return ms[w.rng.IntN(len(ms))]
}

func (w *powerWorld) prepare() {
	m := w.openTxn()
	if m == nil || m.decided {
		return
	}
	if w.ok("PrepareTxn", w.l.PrepareTxn(w.t.Context(), m.txn)) {
		m.prepared = true
		for _, b := range m.batches {
			b.durable = true
		}
	}
}

func (w *powerWorld) endTxn() {
	m := w.openTxn()
	if m == nil {
		return
	}
	if !m.decided {
		m.decided, m.commit = true, w.rng.IntN(3) > 0
	}
	if w.ok("EndTxn", w.l.EndTxn(w.t.Context(), m.txn, m.commit)) {
		m.ended = true
		delete(w.open, m.txn.Producer)
		if w.opts.SyncPolicy == SyncAlways {
			// Under SyncAlways nothing becomes readable before it is
			// durable: EndTxn fsyncs a transaction not prepared.
			for _, b := range m.batches {
				b.durable = true
			}
		}
	}
}

func (w *powerWorld) commitOffsets() {
	name := []string{"g1", "g2"}[w.rng.IntN(2)]
	g := w.groups[name]
	if g == nil {
		g = &plGroup{acked: -1}
		w.groups[name] = g
	}
	w.nextValue++
	v := w.nextValue
	g.inflight = append(g.inflight, v)
	err := w.l.CommitOffsets(w.t.Context(), name, map[broker.TopicPartition]int64{plFixed[0]: v})
	if w.ok("CommitOffsets", err) {
		g.acked, g.inflight = v, nil
	}
}

func (w *powerWorld) toggleTopicC() {
	switch w.cState {
	case topicAbsent:
		w.cState = topicUnknown
		if w.ok("CreateTopic", w.l.CreateTopic(w.t.Context(), plTopicC, broker.TopicConfig{Partitions: 1, RetentionMs: -1})) {
			w.cState = topicPresent
		}
	case topicPresent:
		w.cState = topicUnknown
		for _, b := range w.batches {
			if b.tp.Topic == plTopicC {
				b.durable = false // going, whether or not the delete completes
			}
		}
		if w.ok("DeleteTopic", w.l.DeleteTopic(w.t.Context(), plTopicC)) {
			w.cState = topicAbsent
			w.dropTopicC()
		}
	}
}

// retention applies retention (to topic b, the one with a size bound) as
// of now. Consumers catch up first: retention never deletes past the
// stable offset, so they never find their position deleted.
func (w *powerWorld) retention() {
	for tp, c := range w.consumers {
		w.consume(tp, c)
	}
	for _, tp := range plFixed {
		w.retained[tp] = true
	}
	if !w.ok("EnforceRetention", w.l.EnforceRetention(time.Now())) {
		return
	}
	for _, tp := range plFixed {
		o, err := w.l.Offsets(context.Background(), tp.Topic, tp.Partition)
		if !w.ok("Offsets", err) {
			return
		}
		w.stats.Retained += int(o.Start - w.start[tp])
		w.start[tp] = o.Start
	}
}

func (w *powerWorld) dropTopicC() {
	for id, b := range w.batches {
		if b.tp.Topic == plTopicC {
			delete(w.batches, id)
		}
	}
}

func (w *powerWorld) consume(tp broker.TopicPartition, c *plConsumer) {
	for {
		recs, next, err := w.l.Read(w.t.Context(), tp.Topic, tp.Partition, c.pos, broker.ReadOptions{Isolation: broker.ReadCommitted})
		if errors.Is(err, broker.ErrOffsetOutOfRange) {
			o, _ := w.l.Offsets(context.Background(), tp.Topic, tp.Partition)
			w.t.Fatalf("%s: a ReadCommitted consumer at offset %d finds it out of range after a power loss (offsets now %+v): the log took back an offset it had shown as stable",
				tp, c.pos, o)
		}
		if !w.ok("Read", err) || next == c.pos {
			return
		}
		c.seen = append(c.seen, recs...)
		c.pos = next
	}
}

// resolveInDoubt ends every transaction in doubt as its owner would: with
// the decision it was given before the power loss, or (never ended) a
// random one. It reports false if the power was lost meanwhile.
func (w *powerWorld) resolveInDoubt() bool {
	// Every transaction not in doubt is ended (those without batches in
	// the log are gone): producers start new ones.
	clear(w.open)
	for _, txn := range brokertest.InDoubt(w.t, w.l) {
		m := w.txns[txn]
		w.stats.InDoubt++
		if m.decided {
			w.stats.ResolvedAgain++
		} else {
			m.decided, m.commit = true, w.rng.IntN(2) == 0
		}
		if !w.ok("EndTxn (in doubt)", w.l.EndTxn(w.t.Context(), txn, m.commit)) {
			return false
		}
		m.ended = true
	}
	return true
}

// ---------------------------------------------------------------- checks

// plFound is a batch found in the log.
type plFound struct {
	base int64
	n    int
}

// checkRecovered checks the log just opened after a power loss against
// the model, then makes the model what the log holds.
func (w *powerWorld) checkRecovered() {
	t, l := w.t, w.l

	// Topic c.
	_, err := l.Topic(context.Background(), plTopicC)
	exists := err == nil
	switch {
	case w.cState == topicPresent && !exists:
		t.Fatalf("topic %q was created (acknowledged) but is gone after a power loss", plTopicC)
	case w.cState == topicAbsent && exists:
		t.Fatalf("topic %q was deleted (acknowledged) but is back after a power loss", plTopicC)
	case exists:
		w.cState = topicPresent
	default:
		w.cState = topicAbsent
		w.dropTopicC()
	}
	tps := slices.Clone(plFixed)
	if exists {
		tps = append(tps, broker.TopicPartition{Topic: plTopicC})
	}

	// Retention: what an acknowledged pass removed stays removed; nothing
	// else moves the start.
	start := map[broker.TopicPartition]int64{}
	for _, tp := range tps {
		o, err := l.Offsets(context.Background(), tp.Topic, tp.Partition)
		if err != nil {
			t.Fatal(err)
		}
		if o.Start < w.start[tp] || (o.Start != w.start[tp] && !w.retained[tp]) {
			t.Fatalf("%s: start offset %d after a power loss, %d before (retention attempted: %v)", tp, o.Start, w.start[tp], w.retained[tp])
		}
		start[tp] = o.Start
	}

	// Every record belongs to an attempted batch; batches are whole.
	found := map[string]plFound{}
	uncommitted := map[broker.TopicPartition]map[int64]broker.Record{}
	for _, tp := range tps {
		recs := readAllT(t, l, tp.Topic, tp.Partition, start[tp], broker.ReadUncommitted)
		byOffset := map[int64]broker.Record{}
		uncommitted[tp] = byOffset
		for i := 0; i < len(recs); {
			r := recs[i]
			byOffset[r.Offset] = r
			id := string(r.Key)
			b := w.batches[id]
			if b == nil || b.tp != tp {
				t.Fatalf("%s@%d: record %q of no batch appended to it\n%s", tp, r.Offset, r.Value, w.disk)
			}
			if _, dup := found[id]; dup {
				t.Fatalf("%s: batch %s twice", tp, id)
			}
			want := plRecords(id, b.n)
			for j := range want {
				if i+j >= len(recs) || recs[i+j].Offset != r.Offset+int64(j) || string(recs[i+j].Value) != string(want[j].Value) {
					t.Fatalf("%s@%d: batch %s is not whole: %q", tp, r.Offset, id, valuesOf(recs[i:min(i+b.n, len(recs))]))
				}
				byOffset[r.Offset+int64(j)] = recs[i+j]
			}
			found[id] = plFound{base: r.Offset, n: b.n}
			i += b.n
		}
	}

	// Every durable batch is there, at its offset.
	for _, id := range slices.Sorted(maps.Keys(w.batches)) {
		b := w.batches[id]
		f, ok := found[id]
		switch {
		case !ok && b.durable && b.acked && b.base < start[b.tp]:
			// Removed by retention.
			delete(w.batches, id)
			if b.txn != nil {
				b.txn.batches = slices.DeleteFunc(b.txn.batches, func(x *plBatch) bool { return x == b })
			}
			continue
		case !ok && b.durable:
			t.Fatalf("%s: batch %s (acknowledged at offset %d, durable) lost in a power loss\n%s", b.tp, id, b.base, w.disk)
		case !ok:
			w.stats.BatchesLost++
			delete(w.batches, id)
			if b.txn != nil {
				b.txn.batches = slices.DeleteFunc(b.txn.batches, func(x *plBatch) bool { return x == b })
			}
			continue
		case b.acked && f.base != b.base:
			t.Fatalf("%s: batch %s acknowledged at offset %d is at %d after a power loss", b.tp, id, b.base, f.base)
		}
		if b.txn != nil && !b.acked {
			b.txn.batches = append(b.txn.batches, b)
		}
		// What Open found it fsyncs: it must survive the next power loss.
		b.acked, b.base, b.durable = true, f.base, true
	}

	// Transactions: in doubt or ended, never lost.
	doubt := map[broker.Txn]bool{}
	for _, txn := range brokertest.InDoubt(t, l) {
		m := w.txns[txn]
		if m == nil || len(m.batches) == 0 {
			t.Fatalf("InDoubt lists %v, which has no batch in the log", txn)
		}
		doubt[txn] = true
	}
	for txn, m := range w.txns {
		switch {
		case len(m.batches) == 0:
			if m.prepared && !m.decided {
				t.Fatalf("prepared transaction %v lost its batches", txn)
			}
			delete(w.txns, txn)
		case !m.decided && !doubt[txn]:
			t.Fatalf("transaction %v (never ended, prepared=%v) has batches in the log but is not in doubt", txn, m.prepared)
		case m.ended && !m.commit && doubt[txn]:
			t.Fatalf("transaction %v was aborted (acknowledged) but is in doubt after a power loss", txn)
		}
	}

	// ReadCommitted shows no record of a transaction not committed.
	for _, tp := range tps {
		for _, r := range readAllT(t, l, tp.Topic, tp.Partition, start[tp], broker.ReadCommitted) {
			if m := w.batches[string(r.Key)].txn; m != nil && !(m.decided && m.commit) {
				t.Fatalf("%s@%d: ReadCommitted shows %q of transaction %v (decided %v, commit %v)", tp, r.Offset, r.Value, m.txn, m.decided, m.commit)
			}
		}
	}

	maps.Copy(w.start, start)
	clear(w.retained)

	// Consumer group offsets.
	for name, g := range w.groups {
		offs, err := l.FetchOffsets(context.Background(), name)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := offs[plFixed[0]]
		if !ok {
			got = -1
		}
		if got != g.acked && !slices.Contains(g.inflight, got) {
			t.Fatalf("group %s: offset %d after a power loss, want %d (acknowledged) or one of %v (attempted)", name, got, g.acked, g.inflight)
		}
		g.acked, g.inflight = got, nil
	}

	// A consumer's records are still there, and so is its position.
	for tp, c := range w.consumers {
		if o, _ := l.Offsets(context.Background(), tp.Topic, tp.Partition); c.pos > o.End {
			t.Errorf("%s: a ReadCommitted consumer was at offset %d before the power loss, the log now ends at %d: offsets shown as stable were taken back", tp, c.pos, o.End)
		}
		for _, r := range c.seen {
			if r.Offset < start[tp] {
				continue // removed by retention
			}
			if got, ok := uncommitted[tp][r.Offset]; !ok || string(got.Value) != string(r.Value) {
				t.Fatalf("%s@%d: %q, read by a ReadCommitted consumer before the power loss, is gone (now %q)", tp, r.Offset, r.Value, got.Value)
			}
		}
	}
}

// checkResolved checks the log once no transaction is in doubt:
// ReadCommitted shows exactly the plain records and those of committed
// transactions, and nothing holds back the stable offsets.
func (w *powerWorld) checkResolved() {
	t, l := w.t, w.l
	tps := slices.Clone(plFixed)
	if w.cState == topicPresent {
		tps = append(tps, broker.TopicPartition{Topic: plTopicC})
	}
	for _, tp := range tps {
		o, err := l.Offsets(context.Background(), tp.Topic, tp.Partition)
		if err != nil {
			t.Fatal(err)
		}
		// Only transaction markers not yet fsynced may stand between the
		// stable offset and the end (a check may not fsync: that would
		// spend the power budget).
		if o.Stable != o.End && len(readAllT(t, l, tp.Topic, tp.Partition, o.Stable, broker.ReadUncommitted)) > 0 {
			t.Fatalf("%s: offsets %+v with no transaction in doubt: records held back", tp, o)
		}
		var want []broker.Record
		for _, r := range readAllT(t, l, tp.Topic, tp.Partition, o.Start, broker.ReadUncommitted) {
			if m := w.batches[string(r.Key)].txn; m == nil || m.commit {
				want = append(want, r)
			}
		}
		got := readAllT(t, l, tp.Topic, tp.Partition, o.Start, broker.ReadCommitted)
		if recordsString(got) != recordsString(want) {
			t.Fatalf("%s: ReadCommitted\n%s\nwant (plain and committed records)\n%s", tp, recordsString(got), recordsString(want))
		}
	}
}

func recordsString(recs []broker.Record) string {
	var b strings.Builder
	for _, r := range recs {
		fmt.Fprintf(&b, "%d:%s ", r.Offset, r.Value)
	}
	return b.String()
}

// TestLostCommitMarker: a ReadCommitted consumer that read past a
// committed transaction must not miss the record appended after a power
// loss took the (unsynced) commit marker back.
func TestLostCommitMarker(t *testing.T) {
	mem := logfs.NewMem()
	opts := Options{FS: mem, RetentionCheckInterval: -1}
	l := openT(t, plDir, opts)
	mustCreate(t, l, "t", broker.TopicConfig{})
	txn := broker.Txn{Producer: "p", Seq: 1}
	if _, err := l.AppendTxn(t.Context(), txn, "t", 0, mkRecs("txn", 2)); err != nil {
		t.Fatal(err)
	}
	if err := l.PrepareTxn(t.Context(), txn); err != nil {
		t.Fatal(err)
	}
	if err := l.EndTxn(t.Context(), txn, true); err != nil {
		t.Fatal(err)
	}
	// The consumer reads the transaction and keeps its position (as a task
	// keeps it in its state store).
	recs, pos, err := l.Read(t.Context(), "t", 0, 0, broker.ReadOptions{Isolation: broker.ReadCommitted})
	if err != nil || len(recs) != 2 {
		t.Fatalf("Read: %d records, %v", len(recs), err)
	}
	l.crash()

	opts.FS = mem.Crash(nil)
	l = openT(t, plDir, opts)
	mustAppend(t, l, "t", 0, mkRecs("after", 1))
	for _, txn := range brokertest.InDoubt(t, l) {
		if err := l.EndTxn(t.Context(), txn, true); err != nil {
			t.Fatal(err)
		}
	}
	rest, err := broker.ReadAll(t.Context(), l, "t", 0, pos, broker.ReadCommitted, 0)
	if err != nil || len(rest) != 1 || string(rest[0].Value) != "after-v0" {
		all := readAllT(t, l, "t", 0, 0, broker.ReadCommitted)
		t.Fatalf("reading on from offset %d after the power loss: %q, %v; the partition holds %q", pos, valuesOf(rest), err, valuesOf(all))
	}
}
