package kafkaproto

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/ksqlgo/ksql/broker"
)

// Reading.
//
// Read sends a Fetch request (MaxWait 0, at least fetchChunk bytes, the
// caller's isolation level) straight to the partition's leader and turns
// the record batches into records with franz-go's ProcessFetchPartition,
// which decompresses, checks CRCs, drops control batches and, under
// read_committed, the batches of aborted transactions (by the fetch
// response's aborted transaction list), and says where the next fetch
// starts (past control and aborted batches). Records at or past the
// response's bound (the last stable offset under ReadCommitted, the high
// watermark under ReadUncommitted) are dropped, so Read never returns
// what the contract forbids even from a broker that sends it.
//
// What the caller does not take (MaxRecords, MaxBytes) stays in the
// partition's read-ahead (partReader) and serves the next Read if it asks
// for the offset where the previous one ended, under the same isolation:
// a task that reads a partition sequentially costs one fetch per chunk,
// not one per call. Records below the bound never change (Kafka truncates
// only above the high watermark), so the read-ahead cannot go stale, except
// when the topic is deleted: every read-ahead is dropped when this client
// creates or deletes a topic (readGen).
//
// Wait first fetches without waiting (the records found serve the next
// Read). If nothing is visible yet, it registers a waiter with the wait
// loop of the partition's leader: one goroutine per broker with waiters,
// which long-polls (waitPoll) one read_uncommitted Fetch covering every
// waited partition at its last known high watermark, so that any append
// (records or a transaction marker) ends the poll; each answer's high
// watermark and last stable offset wake the waiters whose offset became
// visible, and the loop polls again with the waiters registered
// meanwhile. The long polls run on their own client (waitCl): a broker
// answers one connection's requests in order, so a long poll on the
// reads' connection would delay every read behind it.

// decompressor decompresses fetched batches.
var fetchDecompressor = kgo.DefaultDecompressor()

// readGen counts the topic creations and deletions of this process; a
// read-ahead filled under an older generation is dropped.
var readGen atomic.Int64

// partReader is the read-ahead of one partition.
type partReader struct {
	mu   sync.Mutex
	ok   bool
	gen  int64
	from int64 // the offset the next sequential Read asks for
	iso  broker.Isolation
	recs []broker.Record // fetched, not yet returned, from `from` on
	next int64           // where the fetch that produced recs ended
}

func (r *partReader) fill(gen, from int64, iso broker.Isolation, f fetched) {
	r.ok, r.gen, r.from, r.iso, r.recs, r.next = true, gen, from, iso, f.recs, f.next
}

func (r *partReader) drop() {
	r.ok, r.recs = false, nil
}

// take returns up to maxRecs records and maxBytes bytes (at least one) of
// the read-ahead, and the offset to read next.
func (r *partReader) take(maxRecs, maxBytes int) ([]broker.Record, int64) {
	n, size := 0, 0
	for n < len(r.recs) && n < maxRecs {
		sz := r.recs[n].Size()
		if n > 0 && size+sz > maxBytes {
			break
		}
		size += sz
		n++
	}
	out := r.recs[:n:n]
	if n == len(r.recs) {
		next := r.next
		r.drop()
		return out, next
	}
	next := out[n-1].Offset + 1
	r.recs, r.from = r.recs[n:], next
	return out, next
}

func (l *ClientLog) reader(tp broker.TopicPartition) *partReader {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.readers[tp]
	if r == nil {
		r = &partReader{}
		l.readers[tp] = r
	}
	return r
}

// Read implements broker.Log (see the comment above): readers that do
// not hold their own (NewReader) share one read-ahead per partition.
func (l *ClientLog) Read(ctx context.Context, topic string, partition int32, offset int64, opts broker.ReadOptions) ([]broker.Record, int64, error) {
	return l.readWith(ctx, l.reader(broker.TopicPartition{Topic: topic, Partition: partition}), topic, partition, offset, opts)
}

var _ broker.ReaderLog = (*ClientLog)(nil)

// NewReader implements broker.ReaderLog: a reader with its own
// read-ahead.
func (l *ClientLog) NewReader(topic string, partition int32) broker.Reader {
	return &clientReader{l: l, topic: topic, partition: partition}
}

type clientReader struct {
	l         *ClientLog
	topic     string
	partition int32
	ra        partReader
}

func (r *clientReader) Read(ctx context.Context, offset int64, opts broker.ReadOptions) ([]broker.Record, int64, error) {
	return r.l.readWith(ctx, &r.ra, r.topic, r.partition, offset, opts)
}

func (r *clientReader) Close() error {
	r.ra.mu.Lock()
	defer r.ra.mu.Unlock()
	r.ra.drop()
	return nil
}

func (l *ClientLog) readWith(ctx context.Context, r *partReader, topic string, partition int32, offset int64, opts broker.ReadOptions) ([]broker.Record, int64, error) {
	if err := l.enter(); err != nil {
		return nil, 0, err
	}
	maxRecs, maxBytes := opts.MaxRecords, opts.MaxBytes
	if maxRecs <= 0 {
		maxRecs = 500
	}
	if maxBytes <= 0 {
		maxBytes = 1 << 20
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.ok || r.from != offset || r.iso != opts.Isolation || r.gen != readGen.Load() {
		gen := readGen.Load()
		f, err := l.fetch(ctx, topic, partition, offset, opts.Isolation, max(maxBytes, fetchChunk))
		if err != nil {
			r.drop()
			return nil, 0, err
		}
		r.fill(gen, offset, opts.Isolation, f)
	}
	recs, next := r.take(maxRecs, maxBytes)
	return recs, next, nil
}

// fetched is what one fetch found.
type fetched struct {
	recs    []broker.Record // visible under the isolation, at or after the offset asked for
	next    int64           // where the next fetch starts
	hw, lso int64           // the partition's high watermark and last stable offset
}

// bound is the end of what iso may see.
func (f fetched) bound(iso broker.Isolation) int64 {
	if iso == broker.ReadCommitted {
		return f.lso
	}
	return f.hw
}

// fetch reads from offset on: one Fetch request to the leader, retried
// when the leader moved.
func (l *ClientLog) fetch(ctx context.Context, topic string, partition int32, offset int64, iso broker.Isolation, maxBytes int) (fetched, error) {
	var f fetched
	what := fmt.Sprintf("fetch %s-%d at %d", topic, partition, offset)
	err := l.atLeader(ctx, what, topic, partition, func(leader int32) error {
		req := fetchRequest(0, 0, maxBytes, broker.ReadUncommitted)
		if iso == broker.ReadCommitted {
			req.IsolationLevel = 1
		}
		addFetchPartition(req, topic, partition, offset, maxBytes)
		l.fetches.Add(1)
		kresp, err := l.cl.Broker(int(leader)).Request(ctx, req)
		if err != nil {
			return err
		}
		resp := kresp.(*kmsg.FetchResponse)
		if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
			return err
		}
		if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
			return fmt.Errorf("fetch answered %d topics", len(resp.Topics))
		}
		rp := &resp.Topics[0].Partitions[0]
		if err := kerr.ErrorForCode(rp.ErrorCode); err != nil {
			return err
		}
		kiso := kgo.ReadUncommitted()
		if iso == broker.ReadCommitted {
			kiso = kgo.ReadCommitted()
		}
		fp, next := kgo.ProcessFetchPartition(kgo.ProcessFetchPartitionOpts{
			Offset: offset, IsolationLevel: kiso, Topic: topic, Partition: partition,
		}, rp, fetchDecompressor, nil)
		if fp.Err != nil && len(fp.Records) == 0 {
			return fmt.Errorf("%w: %v", errBadBatch, fp.Err)
		}
		f = fetched{next: max(next, offset), hw: rp.HighWatermark, lso: rp.LastStableOffset}
		if f.lso < 0 { // Fetch before v4 has none
			f.lso = f.hw
		}
		bound := f.bound(iso)
		if bound >= offset && f.next > bound {
			f.next = bound
		}
		f.recs = make([]broker.Record, 0, len(fp.Records))
		for _, kr := range fp.Records {
			if kr.Offset < offset || kr.Offset >= bound {
				continue
			}
			f.recs = append(f.recs, fromKgo(kr))
		}
		return nil
	})
	if errors.Is(err, kerr.OffsetOutOfRange) {
		return f, fmt.Errorf("kafka: %s: %w", what, broker.ErrOffsetOutOfRange)
	}
	return f, err
}

// errBadBatch: a fetched batch could not be decoded.
var errBadBatch = errors.New("undecodable record batch")

// fetchRequest is a Fetch without fetch session (a full fetch each time).
func fetchRequest(maxWaitMs int32, minBytes int32, maxBytes int, iso broker.Isolation) *kmsg.FetchRequest {
	req := kmsg.NewPtrFetchRequest()
	req.ReplicaID = -1
	req.MaxWaitMillis = maxWaitMs
	req.MinBytes = minBytes
	req.MaxBytes = int32(min(maxBytes, 1<<30))
	if iso == broker.ReadCommitted {
		req.IsolationLevel = 1
	}
	req.SessionID = 0
	req.SessionEpoch = -1
	return req
}

func addFetchPartition(req *kmsg.FetchRequest, topic string, partition int32, offset int64, maxBytes int) {
	p := kmsg.NewFetchRequestTopicPartition()
	p.Partition = partition
	p.FetchOffset = offset
	p.CurrentLeaderEpoch = -1
	p.LastFetchedEpoch = -1
	p.LogStartOffset = -1
	p.PartitionMaxBytes = int32(min(maxBytes, 1<<30))
	for i := range req.Topics {
		if req.Topics[i].Topic == topic {
			req.Topics[i].Partitions = append(req.Topics[i].Partitions, p)
			return
		}
	}
	t := kmsg.NewFetchRequestTopic()
	t.Topic = topic
	t.Partitions = []kmsg.FetchRequestTopicPartition{p}
	req.Topics = append(req.Topics, t)
}

// fromKgo copies a fetched record's fields into a broker.Record. The byte
// slices are the fetch response's, capped so that a caller appending to
// one cannot overwrite the next.
func fromKgo(kr *kgo.Record) broker.Record {
	r := broker.Record{
		Key:       clip(kr.Key),
		Value:     clip(kr.Value),
		Timestamp: kr.Timestamp.UnixMilli(),
		Partition: kr.Partition,
		Offset:    kr.Offset,
	}
	if len(kr.Headers) > 0 {
		r.Headers = make([]broker.Header, len(kr.Headers))
		for i, h := range kr.Headers {
			r.Headers[i] = broker.Header{Key: h.Key, Value: clip(h.Value)}
		}
	}
	return r
}

func clip(b []byte) []byte {
	if b == nil {
		return nil
	}
	return b[:len(b):len(b)]
}

// atLeader runs do against the partition's leader. A leader error (the
// leader moved, the topic is still propagating) refreshes the metadata
// and runs do again, at most leaderRetries times; a broker the client does
// not know yet (a new leader) is learned the same way. Errors are wrapped
// with what, keeping the Kafka error for errors.Is.
func (l *ClientLog) atLeader(ctx context.Context, what, topic string, partition int32, do func(leader int32) error) error {
	refresh := false
	for attempt := 0; ; attempt++ {
		leader, err := l.leader(ctx, topic, partition, refresh)
		if err != nil {
			return err
		}
		err = do(leader)
		if err == nil {
			return nil
		}
		var kerrp *kerr.Error
		unknownBroker := strings.Contains(err.Error(), "unknown broker")
		noAnswer := !errors.As(err, &kerrp) && !unknownBroker
		if noAnswer && (ctx.Err() != nil || attempt >= leaderRetries) {
			return l.netErr(ctx, what, err)
		}
		// A connection that died (the request is idempotent: a read or
		// a lookup) is tried again on a new one, a few times.
		if !noAnswer && !isLeaderErr(err) && !unknownBroker {
			return fmt.Errorf("kafka: %s: %w", what, err)
		}
		if attempt >= leaderRetries {
			return fmt.Errorf("kafka: %s: still failing after %d metadata refreshes: %w", what, attempt, err)
		}
		if unknownBroker {
			_ = brokersOf(ctx, l.cl)
		}
		if err := l.backoff(ctx, attempt); err != nil {
			return l.netErr(ctx, what, err)
		}
		refresh = true
	}
}

// Offsets implements broker.Log with three ListOffsets requests to the
// leader: earliest, latest under read_committed (the last stable offset),
// latest (the high watermark), in that order, so Stable <= End.
func (l *ClientLog) Offsets(ctx context.Context, topic string, partition int32) (broker.Offsets, error) {
	if err := l.enter(); err != nil {
		return broker.Offsets{}, err
	}
	var o broker.Offsets
	var err error
	if o.Start, err = l.listOffset(ctx, topic, partition, -2, broker.ReadUncommitted); err != nil {
		return o, err
	}
	if o.Stable, err = l.listOffset(ctx, topic, partition, -1, broker.ReadCommitted); err != nil {
		return o, err
	}
	o.End, err = l.listOffset(ctx, topic, partition, -1, broker.ReadUncommitted)
	return o, err
}

// listOffset asks the leader for the offset of a timestamp (-2 earliest,
// -1 latest).
func (l *ClientLog) listOffset(ctx context.Context, topic string, partition int32, ts int64, iso broker.Isolation) (int64, error) {
	var off int64
	err := l.atLeader(ctx, fmt.Sprintf("list offsets of %s-%d", topic, partition), topic, partition, func(leader int32) error {
		req := kmsg.NewPtrListOffsetsRequest()
		req.ReplicaID = -1
		if iso == broker.ReadCommitted {
			req.IsolationLevel = 1
		}
		t := kmsg.NewListOffsetsRequestTopic()
		t.Topic = topic
		p := kmsg.NewListOffsetsRequestTopicPartition()
		p.Partition = partition
		p.CurrentLeaderEpoch = -1
		p.Timestamp = ts
		p.MaxNumOffsets = 1
		t.Partitions = []kmsg.ListOffsetsRequestTopicPartition{p}
		req.Topics = []kmsg.ListOffsetsRequestTopic{t}
		kresp, err := l.cl.Broker(int(leader)).Request(ctx, req)
		if err != nil {
			return err
		}
		resp := kresp.(*kmsg.ListOffsetsResponse)
		if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
			return fmt.Errorf("list offsets answered %d topics", len(resp.Topics))
		}
		rp := resp.Topics[0].Partitions[0]
		if err := kerr.ErrorForCode(rp.ErrorCode); err != nil {
			return err
		}
		off = rp.Offset
		if resp.Version == 0 && len(rp.OldStyleOffsets) > 0 {
			off = rp.OldStyleOffsets[0]
		}
		return nil
	})
	return off, err
}

// ------------------------------------------------------------------- wait

// Wait implements broker.Log (see the comment at the top).
func (l *ClientLog) Wait(ctx context.Context, topic string, partition int32, offset int64, iso broker.Isolation) error {
	tp := broker.TopicPartition{Topic: topic, Partition: partition}
	for attempt := 0; ; attempt++ {
		if err := l.enter(); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		end, visible, err := l.peek(ctx, tp, offset, iso)
		if err != nil || visible {
			return err
		}
		leader, err := l.leader(ctx, topic, partition, false)
		if err != nil {
			return err
		}
		w := &waiter{tp: tp, offset: offset, iso: iso, ch: make(chan error, 1)}
		if err := l.waits.add(l, leader, w, end); err != nil {
			return err
		}
		select {
		case err := <-w.ch:
			if err == nil {
				return nil
			}
			// The loop lost the partition (a leader change, a lost
			// connection): look again.
			if err := l.backoff(ctx, attempt); err != nil {
				return err
			}
		case <-ctx.Done():
			l.waits.remove(leader, w)
			return ctx.Err()
		case <-l.done:
			return fmt.Errorf("kafka %s: %w", l.seeds, broker.ErrClosed)
		}
	}
}

// peek fetches at offset without waiting: whether a record there is
// visible under iso, and the high watermark. The records found become
// the partition's read-ahead.
func (l *ClientLog) peek(ctx context.Context, tp broker.TopicPartition, offset int64, iso broker.Isolation) (end int64, visible bool, err error) {
	r := l.reader(tp)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ok && r.from == offset && r.iso == iso && r.gen == readGen.Load() && len(r.recs) > 0 {
		return 0, true, nil
	}
	gen := readGen.Load()
	f, err := l.fetch(ctx, tp.Topic, tp.Partition, offset, iso, fetchChunk)
	if errors.Is(err, broker.ErrOffsetOutOfRange) {
		// Below the start, or past the end: the bounds tell which.
		o, err := l.Offsets(ctx, tp.Topic, tp.Partition)
		if err != nil {
			return 0, false, err
		}
		bound := o.End
		if iso == broker.ReadCommitted {
			bound = o.Stable
		}
		return o.End, bound > offset, nil
	}
	if err != nil {
		return 0, false, err
	}
	if len(f.recs) > 0 {
		r.fill(gen, offset, iso, f)
	}
	return f.hw, f.bound(iso) > offset, nil
}

// waiter is one Wait call registered with a wait loop.
type waiter struct {
	tp     broker.TopicPartition
	offset int64
	iso    broker.Isolation
	ch     chan error // nil: visible; an error: look again (buffered)
}

// waitSet holds the wait loops, one per broker with waiters.
type waitSet struct {
	mu     sync.Mutex
	closed bool
	loops  map[int32]*waitLoop
}

type waitLoop struct {
	waiters map[*waiter]struct{}
	ends    map[broker.TopicPartition]int64 // last known high watermarks
}

func (ws *waitSet) add(l *ClientLog, leader int32, w *waiter, end int64) error {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if ws.closed {
		return fmt.Errorf("kafka %s: %w", l.seeds, broker.ErrClosed)
	}
	if ws.loops == nil {
		ws.loops = map[int32]*waitLoop{}
	}
	lp := ws.loops[leader]
	if lp == nil {
		lp = &waitLoop{waiters: map[*waiter]struct{}{}, ends: map[broker.TopicPartition]int64{}}
		ws.loops[leader] = lp
		go l.runWaitLoop(leader, lp)
	}
	lp.waiters[w] = struct{}{}
	if end > lp.ends[w.tp] {
		lp.ends[w.tp] = end
	}
	return nil
}

func (ws *waitSet) remove(leader int32, w *waiter) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if lp := ws.loops[leader]; lp != nil {
		delete(lp.waiters, w)
	}
}

// closeAll stops the loops (their waiters see Close through l.done).
func (ws *waitSet) closeAll() {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	ws.closed = true
	for _, lp := range ws.loops {
		clear(lp.waiters)
	}
}

// wake answers a waiter and forgets it; ws.mu is held.
func (lp *waitLoop) wake(w *waiter, err error) {
	delete(lp.waiters, w)
	w.ch <- err
}

// runWaitLoop long-polls leader for the partitions its waiters wait on,
// until it has no waiters left.
func (l *ClientLog) runWaitLoop(leader int32, lp *waitLoop) {
	ws := &l.waits
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-l.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	for {
		ws.mu.Lock()
		if len(lp.waiters) == 0 || ws.closed {
			if ws.loops[leader] == lp {
				delete(ws.loops, leader)
			}
			ws.mu.Unlock()
			return
		}
		req := fetchRequest(int32(waitPoll.Milliseconds()), 1, 1, broker.ReadUncommitted)
		polled := map[broker.TopicPartition]bool{}
		for w := range lp.waiters {
			if !polled[w.tp] {
				polled[w.tp] = true
				addFetchPartition(req, w.tp.Topic, w.tp.Partition, lp.ends[w.tp], 1)
			}
		}
		ws.mu.Unlock()

		kresp, err := l.waitCl.Broker(int(leader)).Request(ctx, req)

		ws.mu.Lock()
		if err == nil {
			err = kerr.ErrorForCode(kresp.(*kmsg.FetchResponse).ErrorCode)
		}
		if err != nil {
			if strings.Contains(err.Error(), "unknown broker") {
				_ = brokersOf(ctx, l.waitCl)
			}
			for w := range lp.waiters {
				lp.wake(w, err)
			}
			ws.mu.Unlock()
			continue
		}
		answered := map[broker.TopicPartition]kmsg.FetchResponseTopicPartition{}
		for _, t := range kresp.(*kmsg.FetchResponse).Topics {
			for _, p := range t.Partitions {
				answered[broker.TopicPartition{Topic: t.Topic, Partition: p.Partition}] = p
			}
		}
		for w := range lp.waiters {
			p, ok := answered[w.tp]
			if !polled[w.tp] {
				continue // registered during the poll
			}
			if !ok {
				lp.wake(w, errors.New("fetch did not answer for the partition"))
				continue
			}
			if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
				lp.wake(w, err)
				continue
			}
			lp.ends[w.tp] = max(lp.ends[w.tp], p.HighWatermark)
			bound := p.HighWatermark
			if w.iso == broker.ReadCommitted && p.LastStableOffset >= 0 {
				bound = p.LastStableOffset
			}
			if bound > w.offset {
				lp.wake(w, nil)
			}
		}
		waited := map[broker.TopicPartition]bool{}
		for w := range lp.waiters {
			waited[w.tp] = true
		}
		for tp := range lp.ends {
			if !waited[tp] {
				delete(lp.ends, tp)
			}
		}
		ws.mu.Unlock()
	}
}
