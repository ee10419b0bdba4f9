package exec

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/planner"
	"github.com/ksqlgo/ksql/sql/types"
)

// Multi-input stages. A join stage (planner.Stage.Sides) has further
// inputs besides its main Input; a task of such a stage owns partition p
// of every one of them (the planner makes them co-partitioned; NewQuery
// refuses partition counts that differ). The main input keeps its place
// in the Task (input, reader, dec, head, pos, purgeInput), so single-input
// stages run exactly as before; every side is a taskInput with its own
// reader, decoder, position and operator chain, which ends in the right
// port of its join (join.go).
//
// Processing order is Kafka Streams' PartitionGroup: a poll reads a batch
// from every input and processes the fetched records merged by event
// time, lowest head first, ties to the main input and then to the sides
// in order; within an input, records keep their offset order. An input
// whose read came back full may have more records with timestamps below
// the other inputs' heads: once its fetched records run out, the poll
// stops, and what the others fetched but did not process is read again
// by the next poll (the readers resume inside their cached batches), so
// a backlog on one input does not overtake another's.
//
// The commit record carries one position per input (taskMeta.sidePos, and
// the changelog's meta record on a log that decides its transactions);
// resetToCommitted, restores, purges, lag and the idle wait cover every
// input.

// taskInput is a side input of a task.
type taskInput struct {
	in     planner.Input
	reader broker.Reader
	dec    *inputDecoder
	head   operator
	// pos is the next offset to process; start is where a task with
	// nothing committed begins.
	pos, start int64
	// purge is set when the input is one of the query's repartition
	// topics (purge.go); purgedTo is how far it was purged.
	purge    bool
	purgedTo int64
	// unpublished counts the records read since the last publish; stats
	// are the published counts (metrics.go).
	unpublished int64
	stats       inputStats
}

// inputStats are a side input's published counters.
type inputStats struct {
	in     atomic.Int64
	mu     sync.Mutex
	inRate rateWindow
	lastIn time.Time
}

// publish moves the side's unpublished count into its stats and the
// engine-wide total (Task.publish).
func (s *taskInput) publish(rt *Runtime) {
	n := s.unpublished
	if n == 0 {
		return
	}
	s.unpublished = 0
	rt.Metrics.recordsIn.Add(n)
	s.stats.in.Add(n)
	at := rt.now()
	s.stats.mu.Lock()
	s.stats.inRate.add(at, n)
	s.stats.lastIn = at
	s.stats.mu.Unlock()
}

// pollSrc is one input during a poll: its fetched records, the next
// decoded one (ev, when has) and where its fields live in the Task.
type pollSrc struct {
	name   string
	reader *broker.Reader
	dec    *inputDecoder
	head   operator
	pos    *int64
	in     *int64 // the input's count of records read (metrics.go)
	recs   []broker.Record
	next   int64
	full   bool // the read returned as many records as asked for
	i      int
	ev     event
	has    bool
}

// pollInputs is poll for a task with side inputs.
func (t *Task) pollInputs(ctx context.Context, max int) (bool, error) {
	if t.srcs == nil {
		t.srcs = append(t.srcs, pollSrc{name: t.input.Name, reader: &t.reader, dec: t.dec, head: t.head, pos: &t.pos, in: &t.unpublished.in})
		for _, s := range t.sides {
			t.srcs = append(t.srcs, pollSrc{name: s.in.Name, reader: &s.reader, dec: s.dec, head: s.head, pos: &s.pos, in: &s.unpublished})
		}
	}
	srcs := t.srcs
	progress := false
	for i := range srcs {
		s := &srcs[i]
		s.recs, s.i, s.has, s.next = nil, 0, false, *s.pos
		if *s.reader == nil {
			*s.reader = broker.NewReader(t.rt.Log, s.name, t.partition)
		}
		recs, next, err := (*s.reader).Read(ctx, *s.pos, broker.ReadOptions{MaxRecords: max})
		if err != nil {
			if errors.Is(err, broker.ErrUnknownTopic) {
				return false, inputDeleted(s.name)
			}
			if errors.Is(err, broker.ErrOffsetOutOfRange) {
				// Retention removed what we had not read: continue from the start.
				off, oerr := t.rt.Log.Offsets(ctx, s.name, t.partition)
				if oerr != nil {
					return false, oerr
				}
				if *s.pos < off.Start {
					t.rt.logf("task %s: offsets %d..%d of %s were deleted by retention before they were processed", t, *s.pos, off.Start-1, s.name)
					*s.pos, s.next, t.dirty = off.Start, off.Start, true
					progress = true
					continue
				}
			}
			return false, err
		}
		s.recs, s.next, s.full = recs, next, len(recs) >= max
		if len(recs) > 0 || next != *s.pos {
			progress = true
		}
	}
	if !progress {
		return false, nil
	}
	for i := range srcs {
		t.advanceSrc(&srcs[i])
	}
	for {
		best, drained := -1, false
		for i := range srcs {
			if srcs[i].has && (best < 0 || srcs[i].ev.ts < srcs[best].ev.ts) {
				best = i
			}
			drained = drained || (srcs[i].full && !srcs[i].has)
		}
		if best < 0 || drained {
			break
		}
		s := &srcs[best]
		if s.ev.ts > t.streamTime {
			t.streamTime = s.ev.ts
		}
		if err := s.head.process(t, &s.ev); err != nil {
			t.releaseSrcs()
			return true, err
		}
		t.advanceSrc(s)
	}
	for i := range srcs {
		s := &srcs[i]
		*s.pos = s.next
		if s.has {
			// Decoded but not processed: the next poll starts there.
			*s.pos = s.recs[s.i-1].Offset
			*s.in--
		}
	}
	t.releaseSrcs()
	t.dirty = true
	return true, nil
}

// advanceSrc decodes the input's next processable record into s.ev.
func (t *Task) advanceSrc(s *pollSrc) {
	s.has = false
	for s.i < len(s.recs) {
		rec := &s.recs[s.i]
		s.i++
		*s.in++
		ok, err := s.dec.decode(rec, &s.ev)
		if err != nil {
			t.inputError(s.name, rec, err)
			continue
		}
		if ok {
			s.has = true
			return
		}
	}
}

// releaseSrcs drops the poll's references to records and rows.
func (t *Task) releaseSrcs() {
	for i := range t.srcs {
		s := &t.srcs[i]
		s.recs, s.ev, s.has = nil, event{}, false
	}
}

// sidePositions returns the side inputs' positions (nil without sides).
func (t *Task) sidePositions() []int64 {
	if len(t.sides) == 0 {
		return nil
	}
	out := make([]int64, len(t.sides))
	for i, s := range t.sides {
		out[i] = s.pos
	}
	return out
}

// storeCommitted publishes the committed positions (t.meta) to Lag.
func (t *Task) storeCommitted() {
	t.committed.Store(t.meta.position)
	if len(t.sides) > 0 {
		sp := t.meta.sidePos
		t.committedSides.Store(&sp)
	}
}

// resetSides sets the side inputs' positions to the committed ones (their
// starts when nothing is committed).
func (t *Task) resetSides() {
	for i, s := range t.sides {
		s.pos = s.start
		if i < len(t.meta.sidePos) {
			s.pos = t.meta.sidePos[i]
		}
	}
}

// fullRow is inputDecoder.fullRow of the input whose current row row is
// (the main input's decoder when none).
func (t *Task) fullRow(row types.Row) types.Row {
	for _, s := range t.sides {
		if d := s.dec; len(row) > 0 && len(d.cur) == len(row) && &row[0] == &d.cur[0] {
			return d.fullRow(row)
		}
	}
	return t.dec.fullRow(row)
}

// closeReaders closes the readers of every input.
func (t *Task) closeReaders() {
	if t.reader != nil {
		t.reader.Close()
		t.reader = nil // made again if the task runs again
	}
	for _, s := range t.sides {
		if s.reader != nil {
			s.reader.Close()
			s.reader = nil
		}
	}
}

// inputPositions lists every input partition of the task with its
// position in meta (for the consumer group offsets).
func (t *Task) inputPositions(m taskMeta) map[broker.TopicPartition]int64 {
	out := map[broker.TopicPartition]int64{{Topic: t.input.Name, Partition: t.partition}: m.position}
	for i, s := range t.sides {
		if i < len(m.sidePos) {
			out[broker.TopicPartition{Topic: s.in.Name, Partition: t.partition}] = m.sidePos[i]
		}
	}
	return out
}

// waitInputs waits until any input of the task has data past its
// position, or interval passed, or ctx is done.
func (q *Query) waitInputs(ctx context.Context, t *Task, interval time.Duration) {
	wctx, cancel := context.WithTimeout(ctx, interval)
	defer cancel()
	if len(t.sides) == 0 {
		_ = q.rt.Log.Wait(wctx, t.input.Name, t.partition, t.pos, broker.ReadCommitted)
		return
	}
	var wg sync.WaitGroup
	wait := func(topic string, pos int64) {
		defer wg.Done()
		_ = q.rt.Log.Wait(wctx, topic, t.partition, pos, broker.ReadCommitted)
		cancel() // one input has data (or failed): stop waiting on the others
	}
	wg.Add(1 + len(t.sides))
	go wait(t.input.Name, t.pos)
	for _, s := range t.sides {
		go wait(s.in.Name, s.pos)
	}
	wg.Wait()
}
