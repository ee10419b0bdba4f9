package exec

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ksqlgo/ksql/broker"
)

// Per-query counters against what the log holds: records read from the
// source (the repartition stage's reads are internal and not counted),
// records written to the sink, processing errors, and commits with their
// latency; the engine-wide totals count every stage.
func TestQueryMetricsCountPerQuery(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.produce("a", "b", "a", "c", "a")
	if _, err := h.lg.Append(ctx, "clicks", 0, []broker.Record{{Key: []byte("u9"), Value: []byte(`{not json`), Timestamp: 9}}); err != nil {
		t.Fatal(err)
	}
	q := h.query()
	if err := h.drain(q); err != nil {
		t.Fatal(err)
	}
	m := q.Metrics()
	sink, _, err := h.lg.Read(ctx, "COUNTS", 0, 0, broker.ReadOptions{MaxRecords: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if m.RecordsIn != 6 || m.ProcessingErrors != 1 || m.RecordsOut != int64(len(sink)) || len(sink) == 0 {
		t.Fatalf("in=%d errors=%d out=%d, want 6, 1 and the %d records of the sink", m.RecordsIn, m.ProcessingErrors, m.RecordsOut, len(sink))
	}
	if len(m.Inputs) != 1 || m.Inputs[0].Topic != "clicks" || m.Inputs[0].Records != 6 {
		t.Fatalf("inputs %+v, want clicks: 6", m.Inputs)
	}
	if m.Commits == 0 || m.CommitLatency.Count != m.Commits || m.CommitLatency.Sum <= 0 {
		t.Fatalf("commits %d, latency count %d sum %v", m.Commits, m.CommitLatency.Count, m.CommitLatency.Sum)
	}
	var inBuckets int64
	for _, n := range m.CommitLatency.Buckets {
		inBuckets += n
	}
	if inBuckets != m.Commits || len(m.CommitLatency.Buckets) != len(m.CommitLatency.Bounds)+1 {
		t.Fatalf("buckets %v hold %d commits, want %d", m.CommitLatency.Buckets, inBuckets, m.Commits)
	}
	if m.LastIn.IsZero() || m.LastOut.IsZero() || m.LastError.IsZero() {
		t.Fatalf("last event times not set: %+v", m)
	}
	total := h.rt.Metrics.Snapshot()
	// The repartition stage reads the 5 good records again and the first
	// stage writes them to the repartition topic.
	if total["records-in"] != 6+5 || total["records-out"] != 5+int64(len(sink)) ||
		total["processing-errors"] != 1 || total["commits"] != m.Commits {
		t.Fatalf("engine-wide %v", total)
	}
	if err := q.Stop(); err != nil {
		t.Fatal(err)
	}
}

// A commit that fails is not observed in the latency histogram: its
// count stays the number of commits.
func TestCommitLatencyOnlyOfCommitted(t *testing.T) {
	h := newHarness(t)
	h.produce("a", "b")
	q := h.query()
	h.log.failPrepare = true
	if err := h.drain(q); !errors.Is(err, errInjected) {
		t.Fatalf("drain: %v, want the injected failure", err)
	}
	if m := q.Metrics(); m.CommitLatency.Count != m.Commits {
		t.Fatalf("after a failed commit: latency count %d, commits %d", m.CommitLatency.Count, m.Commits)
	}
	h.log.failPrepare = false
	if err := h.drain(q); err != nil {
		t.Fatal(err)
	}
	if m := q.Metrics(); m.Commits == 0 || m.CommitLatency.Count != m.Commits {
		t.Fatalf("latency count %d, commits %d", m.CommitLatency.Count, m.Commits)
	}
	if err := q.Stop(); err != nil {
		t.Fatal(err)
	}
}

func TestRateWindow(t *testing.T) {
	base := time.Unix(0, 0).Add(100 * rateWindowSize)
	var w rateWindow
	w.add(base, 30)
	w.add(base.Add(rateWindowSize), 15) // the next window
	now := base.Add(rateWindowSize + rateWindowSize/2)
	// 45 events since the previous window began, 1.5 windows ago.
	if got, want := w.perSec(now), 45/(1.5*rateWindowSize.Seconds()); got != want {
		t.Fatalf("rate %v, want %v", got, want)
	}
	// One window later only the last window's events count; two later none.
	if got, want := w.perSec(now.Add(rateWindowSize)), 15/(1.5*rateWindowSize.Seconds()); got != want {
		t.Fatalf("rate %v, want %v", got, want)
	}
	if got := w.perSec(now.Add(2 * rateWindowSize)); got != 0 {
		t.Fatalf("rate %v after two idle windows", got)
	}
	w.add(base.Add(5*rateWindowSize), 1) // after a gap: the old counts are gone
	if w.prev != 0 || w.cur != 1 {
		t.Fatalf("after a gap: prev %d cur %d", w.prev, w.cur)
	}
}

func TestHistogramQuantile(t *testing.T) {
	var h histogram
	for _, d := range []time.Duration{200 * time.Microsecond, 2 * time.Millisecond, 2 * time.Millisecond, 40 * time.Millisecond, 20 * time.Second} {
		h.observe(d)
	}
	s := Histogram{Bounds: CommitLatencyBounds, Buckets: make([]int64, len(CommitLatencyBounds)+1)}
	h.addTo(&s)
	if s.Count != 5 || s.Sum != 20*time.Second+44200*time.Microsecond {
		t.Fatalf("count %d sum %v", s.Count, s.Sum)
	}
	for _, c := range []struct{ q, want float64 }{{0.2, 0.0005}, {0.5, 0.0025}, {0.8, 0.05}} {
		if got := s.Quantile(c.q); got != c.want {
			t.Errorf("q%v = %v, want %v", c.q, got, c.want)
		}
	}
	if got := s.Quantile(1); got <= 10 {
		t.Errorf("q1 = %v, want +Inf", got)
	}
}

// Counting a record in, a record out, an error and a late record, and
// publishing them (as a task does per batch), allocates nothing.
func TestMetricCountingDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under the race detector")
	}
	rt := &Runtime{}
	task := &Task{rt: rt, pending: map[broker.TopicPartition][]broker.Record{}}
	tp := broker.TopicPartition{Topic: "out", Partition: 0}
	task.pending[tp] = make([]broker.Record, 0, 1)
	task.order = append(task.order, tp)
	rec := broker.Record{Key: []byte("k")}
	allocs := testing.AllocsPerRun(1000, func() {
		task.unpublished.in++
		task.emit("SINK", "out", 0, rec)
		task.unpublished.errors++
		task.unpublished.late++
		task.publish()
		task.stats.commitLatency.observe(time.Millisecond)
		task.pending[tp] = task.pending[tp][:0] // reuse the buffer, as a steady-state task does
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per record", allocs)
	}
	if task.stats.in.Load() == 0 || task.stats.out.Load() == 0 || rt.Metrics.recordsOut.Load() == 0 {
		t.Fatal("nothing was counted")
	}
}
