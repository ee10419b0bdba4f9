package exec

import (
	"math"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ksqlgo/ksql/planner"
)

// Metrics are engine-wide counters: the sums over every task of every
// query (persistent and transient) since the runtime was made.
type Metrics struct {
	recordsIn       atomic.Int64
	recordsOut      atomic.Int64
	processingError atomic.Int64
	lateRecords     atomic.Int64
	commits         atomic.Int64
}

// Snapshot returns the counters.
func (m *Metrics) Snapshot() map[string]int64 {
	return map[string]int64{
		"records-in":        m.recordsIn.Load(),
		"records-out":       m.recordsOut.Load(),
		"processing-errors": m.processingError.Load(),
		"late-records":      m.lateRecords.Load(),
		"commits":           m.commits.Load(),
	}
}

// How a task counts, without slowing its hot path: per record it bumps
// plain fields of taskCounts, which only the task's goroutine touches;
// once per poll and once per commit (publish) it adds them to its
// taskStats (atomics, read by other goroutines) and to the engine-wide
// Metrics. Readers see a task's numbers as of its last published batch.

// taskCounts are a task's events not yet published.
type taskCounts struct {
	in      int64 // records read (decoded or not)
	emitted int64 // records emitted to any topic (engine-wide records-out)
	out     int64 // records emitted to the query's sink
	errors  int64 // processing-log entries
	late    int64 // records dropped for a closed window
}

// taskStats are a task's published counters.
type taskStats struct {
	in, out, errors, late, commits atomic.Int64
	commitLatency                  histogram

	// mu guards the rate windows and last-event times.
	mu                       sync.Mutex
	inRate, outRate, errRate rateWindow
	lastIn, lastOut, lastErr time.Time
}

// publish moves the task's unpublished counts into its stats and the
// engine-wide totals. Called by the task's goroutine once per poll and
// once per commit; it costs nothing when there is nothing to publish.
func (t *Task) publish() {
	c := t.unpublished
	if c == (taskCounts{}) && len(t.sides) == 0 {
		return
	}
	t.unpublished = taskCounts{}
	m, s := &t.rt.Metrics, &t.stats
	if c.in != 0 {
		m.recordsIn.Add(c.in)
		s.in.Add(c.in)
	}
	if c.emitted != 0 {
		m.recordsOut.Add(c.emitted)
	}
	if c.out != 0 {
		s.out.Add(c.out)
	}
	if c.errors != 0 {
		m.processingError.Add(c.errors)
		s.errors.Add(c.errors)
	}
	if c.late != 0 {
		m.lateRecords.Add(c.late)
		s.late.Add(c.late)
	}
	for _, side := range t.sides {
		side.publish(t.rt)
	}
	if c.in == 0 && c.out == 0 && c.errors == 0 {
		return
	}
	now := t.rt.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.in != 0 {
		s.inRate.add(now, c.in)
		s.lastIn = now
	}
	if c.out != 0 {
		s.outRate.add(now, c.out)
		s.lastOut = now
	}
	if c.errors != 0 {
		s.errRate.add(now, c.errors)
		s.lastErr = now
	}
}

// rateWindowSize is the span of one window of a rate estimate: a rate
// is the events of the current window and the one before it over the
// time since the earlier one began (as Kafka's Rate over two samples).
const rateWindowSize = 15 * time.Second

// rateWindow estimates events per second over the last 15 to 30 seconds.
// Windows are aligned to multiples of rateWindowSize since the epoch.
type rateWindow struct {
	idx       int64 // index of the current window
	cur, prev int64 // events in the current and the previous window
}

func (w *rateWindow) add(now time.Time, n int64) {
	idx := now.UnixNano() / int64(rateWindowSize)
	switch {
	case idx == w.idx:
	case idx == w.idx+1:
		w.prev, w.cur = w.cur, 0
	case idx > w.idx:
		w.prev, w.cur = 0, 0
	default:
		return // the clock went back: count nothing rather than guess
	}
	w.idx = idx
	w.cur += n
}

// perSec is the estimated rate at now.
func (w *rateWindow) perSec(now time.Time) float64 {
	nanos := now.UnixNano()
	idx := nanos / int64(rateWindowSize)
	var events int64
	switch idx {
	case w.idx:
		events = w.cur + w.prev
	case w.idx + 1:
		events = w.cur
	default:
		return 0
	}
	// Since the start of the previous window.
	elapsed := time.Duration(nanos%int64(rateWindowSize)) + rateWindowSize
	return float64(events) / elapsed.Seconds()
}

// CommitLatencyBounds are the upper bounds, in seconds, of the buckets of
// QueryMetrics.CommitLatency.
var CommitLatencyBounds = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10}

// histogram counts durations into CommitLatencyBounds buckets (the last
// one unbounded).
type histogram struct {
	buckets [14]atomic.Int64
	nanos   atomic.Int64
}

func init() {
	if len(histogram{}.buckets) != len(CommitLatencyBounds)+1 {
		panic("exec: histogram buckets do not match CommitLatencyBounds")
	}
}

func (h *histogram) observe(d time.Duration) {
	h.buckets[sort.SearchFloat64s(CommitLatencyBounds, d.Seconds())].Add(1)
	h.nanos.Add(int64(d))
}

// Histogram is a snapshot of a latency distribution.
type Histogram struct {
	// Bounds are the buckets' upper bounds in seconds (shared: do not
	// modify). Buckets[i] counts observations at most Bounds[i] and above
	// the previous bound (not cumulative); the last element counts those
	// above every bound.
	Bounds  []float64
	Buckets []int64
	Count   int64
	Sum     time.Duration
}

func (h *histogram) addTo(out *Histogram) {
	for i := range h.buckets {
		n := h.buckets[i].Load()
		out.Buckets[i] += n
		out.Count += n
	}
	out.Sum += time.Duration(h.nanos.Load())
}

// Quantile estimates the q-quantile (0 < q <= 1) as the upper bound of
// the bucket that holds it (+Inf past the last bound; 0 when empty).
func (h Histogram) Quantile(q float64) float64 {
	if h.Count == 0 {
		return 0
	}
	rank := int64(q*float64(h.Count) + 0.5)
	rank = max(rank, 1)
	var cum int64
	for i, n := range h.Buckets {
		cum += n
		if cum >= rank {
			if i < len(h.Bounds) {
				return h.Bounds[i]
			}
			break
		}
	}
	return math.Inf(1)
}

// QueryMetrics are one query's counters, summed over its tasks.
type QueryMetrics struct {
	// RecordsIn counts records read from the query's sources (internal
	// repartition topics excluded), RecordsOut records written to its
	// sink, ProcessingErrors entries of the processing log, LateRecords
	// records dropped because their window had closed, Commits successful
	// commits of its tasks. Output of work that a failed commit rewound
	// is counted again when it is redone.
	RecordsIn, RecordsOut, ProcessingErrors, LateRecords, Commits int64
	// Rates per second over the last 15 to 30 seconds.
	RecordsInPerSec, RecordsOutPerSec, ErrorsPerSec float64
	// When the last record was read, written, or failed (zero: never),
	// by the runtime's clock.
	LastIn, LastOut, LastError time.Time
	// CommitLatency is the time from the start of a task's commit to its
	// end, of commits that committed.
	CommitLatency Histogram
	// Inputs breaks RecordsIn down by source topic.
	Inputs []InputMetrics
}

// InputMetrics are a query's reads of one source topic.
type InputMetrics struct {
	Topic   string
	Records int64
	PerSec  float64
	Last    time.Time
}

// Metrics returns the query's counters. Safe to call while it runs.
func (q *Query) Metrics() QueryMetrics {
	now := q.rt.now()
	m := QueryMetrics{CommitLatency: Histogram{Bounds: CommitLatencyBounds, Buckets: make([]int64, len(CommitLatencyBounds)+1)}}
	inputs := map[string]int{}
	for _, t := range q.tasks {
		s := &t.stats
		out, errs := s.out.Load(), s.errors.Load()
		m.RecordsOut += out
		m.ProcessingErrors += errs
		m.LateRecords += s.late.Load()
		m.Commits += s.commits.Load()
		s.commitLatency.addTo(&m.CommitLatency)
		s.mu.Lock()
		inRate, outRate, errRate := s.inRate.perSec(now), s.outRate.perSec(now), s.errRate.perSec(now)
		lastIn, lastOut, lastErr := s.lastIn, s.lastOut, s.lastErr
		s.mu.Unlock()
		m.RecordsOutPerSec += outRate
		m.ErrorsPerSec += errRate
		m.LastOut = later(m.LastOut, lastOut)
		m.LastError = later(m.LastError, lastErr)
		addInput := func(in *planner.Input, records int64, rate float64, last time.Time) {
			if in.Internal {
				return
			}
			m.RecordsIn += records
			m.RecordsInPerSec += rate
			m.LastIn = later(m.LastIn, last)
			i, ok := inputs[in.Name]
			if !ok {
				i = len(m.Inputs)
				inputs[in.Name] = i
				m.Inputs = append(m.Inputs, InputMetrics{Topic: in.Name})
			}
			im := &m.Inputs[i]
			im.Records += records
			im.PerSec += rate
			im.Last = later(im.Last, last)
		}
		addInput(&t.input, s.in.Load(), inRate, lastIn)
		for _, side := range t.sides {
			ss := &side.stats
			ss.mu.Lock()
			rate, last := ss.inRate.perSec(now), ss.lastIn
			ss.mu.Unlock()
			addInput(&side.in, ss.in.Load(), rate, last)
		}
	}
	return m
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
