package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash/fnv"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/engine"
)

// The hidden `ksql bench-child` command: one measured run of one query,
// in a process of its own so that its peak RSS is its own. It loads the
// input into a fresh data directory (not measured), then runs the query
// through the engine (persistent query, Synchronous, Drain) or the
// hand-written loop, measuring CPU (user+sys of this process), wall time
// and peak RSS over the run only, then reads the output back to
// summarize the answer, and prints one JSON line. With --impl latency it
// runs the engine's queries in the background instead and feeds them at
// a fixed rate (see runLatencyChild).

const benchChildCommand = "bench-child"

// answer summarizes a query's output: for a stream, every record (count
// and an order-independent hash of key and value); for a table, the final
// value of every key.
type answer struct {
	Records int64  `json:"records"`
	Keys    int64  `json:"keys,omitempty"`
	Hash    string `json:"hash"`
}

func (a answer) same(b answer, table bool) bool {
	if table {
		return a.Keys == b.Keys && a.Hash == b.Hash
	}
	return a.Records == b.Records && a.Hash == b.Hash
}

// childResult is what a child reports.
type childResult struct {
	Query       string  `json:"query"`
	Impl        string  `json:"impl"`
	Events      int64   `json:"events"`
	LoadSeconds float64 `json:"load_seconds"`
	CPUSeconds  float64 `json:"cpu_seconds"`
	WallSeconds float64 `json:"wall_seconds"`
	// PeakRSS is bytes: VmHWM after it was reset once the input was
	// loaded, or getrusage's maxrss of the whole process where the reset
	// is not possible (RSSSource says which).
	PeakRSS   int64   `json:"peak_rss_bytes"`
	RSSSource string  `json:"rss_source"`
	EventsCPU float64 `json:"events_per_cpu_second"`
	EventsS   float64 `json:"events_per_second"`
	Answer    *answer `json:"answer,omitempty"`
	// Latency mode.
	Latency *latencyResult `json:"latency,omitempty"`
}

type latencyResult struct {
	CommitMs   int64   `json:"commit_interval_ms"`
	Rate       float64 `json:"target_rate"`
	Achieved   float64 `json:"achieved_rate"`
	Seconds    float64 `json:"seconds"`
	Samples    int64   `json:"samples"`
	P50Ms      float64 `json:"p50_ms"`
	P99Ms      float64 `json:"p99_ms"`
	MaxMs      float64 `json:"max_ms"`
	Unfinished int64   `json:"unfinished_records"` // input not processed by the end
	CPUSeconds float64 `json:"cpu_seconds"`
}

func cpuNow() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// resetPeakRSS releases what loading left on the heap and resets the
// kernel's peak RSS (VmHWM) to the current RSS (Linux: "5" to
// /proc/self/clear_refs). It reports whether the reset worked.
func resetPeakRSS() bool {
	runtime.GC()
	debug.FreeOSMemory()
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

// peakRSS is VmHWM in bytes if reset, else getrusage's maxrss.
func peakRSS(reset bool) (int64, string) {
	if reset {
		if b, err := os.ReadFile("/proc/self/status"); err == nil {
			sc := bufio.NewScanner(bytes.NewReader(b))
			for sc.Scan() {
				if f := strings.Fields(sc.Text()); len(f) >= 2 && f[0] == "VmHWM:" {
					if kb, err := strconv.ParseInt(f[1], 10, 64); err == nil {
						return kb << 10, "VmHWM"
					}
				}
			}
		}
	}
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Maxrss << 10, "maxrss"
}

func runBenchChild(args []string) error {
	fs := flag.NewFlagSet(benchChildCommand, flag.ContinueOnError)
	query := fs.String("query", "", "query name")
	impl := fs.String("impl", "engine", "engine, loop or latency")
	events := fs.Int64("events", 2_000_000, "input records")
	seed := fs.Int64("seed", 1, "datagen seed")
	eventRate := fs.Float64("event-rate", 10_000, "events per second of event time")
	baseTime := fs.Int64("base-time", 0, "event time of the first event (ms)")
	partitions := fs.Int("partitions", 2, "input partitions")
	dir := fs.String("dir", "", "data directory (created; removed at the end)")
	commitMs := fs.Int64("commit-interval-ms", 100, "latency: ksql.streams.commit.interval.ms")
	rate := fs.Float64("rate", 10_000, "latency: input records per second")
	duration := fs.Duration("duration", 10*time.Second, "latency: how long input is fed")
	timeout := fs.Duration("timeout", 30*time.Minute, "give up after this long")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the measured run to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	q, ok := findBenchQuery(*query)
	if !ok || q.Skip != "" {
		return fmt.Errorf("bench-child: no runnable query %q", *query)
	}
	if *dir == "" {
		return errors.New("bench-child: --dir is required")
	}
	defer os.RemoveAll(*dir)
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	var res childResult
	var err error
	switch *impl {
	case "engine", "loop":
		res, err = runThroughputChild(ctx, q, *impl, *events, benchSpec(q, *seed, int32(*partitions), *eventRate, *baseTime), *dir, *cpuProfile)
	case "latency":
		res, err = runLatencyChild(ctx, q, benchSpec(q, *seed, int32(*partitions), *eventRate, *baseTime), *dir, *commitMs, *rate, *duration, *cpuProfile)
	default:
		return fmt.Errorf("bench-child: --impl %q", *impl)
	}
	if err != nil {
		return fmt.Errorf("%s %s: %w", q.Name, *impl, err)
	}
	return json.NewEncoder(os.Stdout).Encode(res)
}

func benchSpec(q benchQuery, seed int64, partitions int32, eventRate float64, baseTime int64) genSpec {
	return genSpec{Streams: q.Inputs, Partitions: partitions, Seed: seed, Cards: q.Cards, EventRate: eventRate, BaseTime: baseTime, PastSellers: q.PastSellers}
}

func runThroughputChild(ctx context.Context, q benchQuery, impl string, events int64, spec genSpec, dir, cpuProfile string) (childResult, error) {
	res := childResult{Query: q.Name, Impl: impl, Events: events}
	eng, err := engine.Open(ctx, engine.Config{DataDir: dir, Synchronous: true,
		Properties: map[string]string{"ksql.streams.auto.offset.reset": "earliest"}})
	if err != nil {
		return res, err
	}
	defer eng.Close()
	lg := eng.Log()
	load := time.Now()
	f, err := newFeeder(ctx, lg, spec, 5000)
	if err != nil {
		return res, err
	}
	if err := f.writeCount(ctx, events); err != nil {
		return res, fmt.Errorf("loading: %w", err)
	}
	res.LoadSeconds = time.Since(load).Seconds()
	var inputs []string
	for _, s := range q.Inputs {
		inputs = append(inputs, spec.topicOf(s))
	}
	sess := engine.NewSession()
	if impl == "engine" {
		if _, err := eng.Execute(ctx, q.DDL, sess); err != nil {
			return res, err
		}
	}
	f = nil
	reset := resetPeakRSS()
	stopProfile := func() {}
	if cpuProfile != "" {
		if stopProfile, err = startCPUProfile(cpuProfile); err != nil {
			return res, err
		}
		defer stopProfile()
	}

	cpu0, wall0 := cpuNow(), time.Now()
	if impl == "engine" {
		if _, err := eng.Execute(ctx, q.SQL, sess); err != nil {
			return res, err
		}
		if err := eng.Drain(ctx); err != nil {
			return res, err
		}
	} else if err := runLoop(ctx, lg, q, inputs, spec.Partitions); err != nil {
		return res, err
	}
	wall, cpu := time.Since(wall0), cpuNow()-cpu0
	stopProfile()
	res.PeakRSS, res.RSSSource = peakRSS(reset)

	if impl == "engine" {
		if got := eng.Metrics()["records-in"]; got < events {
			return res, fmt.Errorf("the engine processed %d of %d records", got, events)
		}
	}
	res.CPUSeconds, res.WallSeconds = cpu.Seconds(), wall.Seconds()
	res.EventsCPU = float64(events) / max(res.CPUSeconds, 1e-9)
	res.EventsS = float64(events) / max(res.WallSeconds, 1e-9)
	a, err := readAnswer(ctx, lg, q.Sink, q.Table)
	if err != nil {
		return res, err
	}
	res.Answer = &a
	return res, nil
}

// runLoop is the hand-written query: read the input's partitions in
// turn, 500 records a read, process them, and commit the output under a
// log transaction (append, prepare: fsync, commit) every 20,000 pending
// output records or 100 ms, as the engine's tasks commit. It keeps no
// state store: that is part of what the engine's generality costs. A
// query of several inputs (a join) gets all their partitions' records
// merged by event time (mergeLoop).
func runLoop(ctx context.Context, lg broker.Log, q benchQuery, inputs []string, partitions int32) error {
	lq := q.loop()
	if err := lg.CreateTopic(ctx, q.Sink, broker.TopicConfig{Partitions: partitions}); err != nil {
		return err
	}
	pending := make([][]broker.Record, partitions)
	npending := 0
	var arena []byte // output bytes of one commit, in chunks never moved
	keep := func(b []byte) []byte {
		if b == nil {
			return nil
		}
		if cap(arena)-len(arena) < len(b) {
			arena = make([]byte, 0, max(1<<20, len(b)))
		}
		arena = append(arena, b...)
		return arena[len(arena)-len(b):]
	}
	var emitP int32
	emit := func(key, value []byte, ts int64) {
		p := emitP
		if key != nil {
			p = broker.PartitionForKey(key, partitions)
		}
		pending[p] = append(pending[p], broker.Record{Key: keep(key), Value: keep(value), Timestamp: ts})
		npending++
	}
	seq := int64(0)
	commit := func() error {
		lq.Flush(emit)
		if npending == 0 {
			return nil
		}
		seq++
		txn := broker.Txn{Producer: "bench-loop/" + q.Name, Seq: seq}
		for p := range pending {
			if len(pending[p]) == 0 {
				continue
			}
			if _, err := lg.AppendTxn(ctx, txn, q.Sink, int32(p), pending[p]); err != nil {
				return err
			}
			pending[p] = pending[p][:0]
		}
		if err := lg.PrepareTxn(ctx, txn); err != nil {
			return err
		}
		if err := lg.EndTxn(ctx, txn, true); err != nil {
			return err
		}
		npending, arena = 0, nil
		return nil
	}
	if jl, ok := lq.(joinLoop); ok {
		if err := mergeLoop(ctx, lg, jl, inputs, emit, func() int { return npending }, commit); err != nil {
			return err
		}
		return commit()
	}
	input := inputs[0]
	offs := make([]int64, partitions)
	done := make([]bool, partitions)
	readers := make([]broker.Reader, partitions) // as a query's tasks read
	for p := range readers {
		readers[p] = broker.NewReader(lg, input, int32(p))
		defer readers[p].Close()
	}
	left := int(partitions)
	last := time.Now()
	for left > 0 {
		for p := int32(0); p < partitions; p++ {
			if done[p] {
				continue
			}
			recs, next, err := readers[p].Read(ctx, offs[p], broker.ReadOptions{MaxRecords: 500})
			if err != nil {
				return err
			}
			if next == offs[p] {
				done[p] = true
				left--
				continue
			}
			emitP = p
			for i := range recs {
				if err := lq.Process(&recs[i], emit); err != nil {
					return fmt.Errorf("%s-%d@%d: %w", input, p, recs[i].Offset, err)
				}
			}
			offs[p] = next
		}
		if npending >= 20_000 || time.Since(last) >= 100*time.Millisecond {
			if err := commit(); err != nil {
				return err
			}
			last = time.Now()
		}
	}
	return commit()
}

// mergeLoop feeds a join loop every record of every partition of its
// inputs in event-time order (the lowest timestamp first, ties to the
// earlier input, then the lower partition; within a partition in offset
// order), reading 500 records at a time from each, and commits every
// 20,000 pending output records or 100 ms (checked every 500 records).
func mergeLoop(ctx context.Context, lg broker.Log, jl joinLoop, inputs []string, emit emitFunc, pending func() int, commit func() error) error {
	type cursor struct {
		input  int
		name   string
		p      int32
		reader broker.Reader
		off    int64
		recs   []broker.Record
		i      int
	}
	var curs []*cursor
	for i, name := range inputs {
		info, err := lg.Topic(ctx, name)
		if err != nil {
			return err
		}
		for p := int32(0); p < info.Config.Partitions; p++ {
			c := &cursor{input: i, name: name, p: p, reader: broker.NewReader(lg, name, p)}
			defer c.reader.Close()
			curs = append(curs, c)
		}
	}
	// fill makes c.recs[c.i] the cursor's next record; false at the end.
	fill := func(c *cursor) (bool, error) {
		if c.i < len(c.recs) {
			return true, nil
		}
		recs, next, err := c.reader.Read(ctx, c.off, broker.ReadOptions{MaxRecords: 500})
		if err != nil {
			return false, err
		}
		c.recs, c.i, c.off = recs, 0, next
		return len(recs) > 0, nil
	}
	live := curs[:0]
	for _, c := range curs {
		ok, err := fill(c)
		if err != nil {
			return err
		}
		if ok {
			live = append(live, c)
		}
	}
	last := time.Now()
	for n := 0; len(live) > 0; n++ {
		best := 0
		for j := 1; j < len(live); j++ {
			if live[j].recs[live[j].i].Timestamp < live[best].recs[live[best].i].Timestamp {
				best = j
			}
		}
		c := live[best]
		r := &c.recs[c.i]
		c.i++
		if err := jl.ProcessInput(c.input, r, emit); err != nil {
			return fmt.Errorf("%s-%d@%d: %w", c.name, c.p, r.Offset, err)
		}
		if ok, err := fill(c); err != nil {
			return err
		} else if !ok {
			live = slices.Delete(live, best, best+1)
		}
		if n%500 == 499 && (pending() >= 20_000 || time.Since(last) >= 100*time.Millisecond) {
			if err := commit(); err != nil {
				return err
			}
			last = time.Now()
		}
	}
	return nil
}

// readAnswer reads a sink topic (read_committed) and summarizes it.
func readAnswer(ctx context.Context, lg broker.Log, topic string, table bool) (answer, error) {
	info, err := lg.Topic(ctx, topic)
	if err != nil {
		return answer{}, err
	}
	var a answer
	var sum uint64
	final := map[string]uint64{}
	h := fnv.New64a()
	for p := int32(0); p < info.Config.Partitions; p++ {
		off := int64(0)
		if o, err := lg.Offsets(ctx, topic, p); err != nil {
			return a, err
		} else if o.Start > 0 {
			return a, fmt.Errorf("%s-%d: retention deleted the output below offset %d before it was read back", topic, p, o.Start)
		}
		for {
			recs, next, err := lg.Read(ctx, topic, p, off, broker.ReadOptions{MaxRecords: 5000, Isolation: broker.ReadCommitted})
			if err != nil {
				return a, err
			}
			if next == off {
				break
			}
			for _, r := range recs {
				a.Records++
				h.Reset()
				h.Write(r.Key)
				h.Write([]byte{0xff})
				h.Write(r.Value)
				if !table {
					sum += h.Sum64()
				} else if r.Value == nil {
					delete(final, string(r.Key))
				} else {
					final[string(r.Key)] = h.Sum64()
				}
			}
			off = next
		}
	}
	if table {
		for _, v := range final {
			sum += v
		}
		a.Keys = int64(len(final))
	}
	a.Hash = strconv.FormatUint(sum, 16)
	return a, nil
}

// runLatencyChild runs the query as a running engine does (its tasks in
// the background, committing every commitMs) and feeds it rate records a
// second for the duration, each stamped (dateTime and record time) with
// the wall clock at its append. A reader per output partition waits for
// committed records (read_committed) and takes, for each, the time it
// became visible minus its timestamp. The first second (a fifth of a
// shorter run) is warm-up and not counted.
// latencyPool is how many records a latency run generates before it
// starts and then replays (feeder.pregenerate).
const latencyPool = 200_000

func runLatencyChild(ctx context.Context, q benchQuery, spec genSpec, dir string, commitMs int64, rate float64, d time.Duration, cpuProfile string) (childResult, error) {
	res := childResult{Query: q.Name, Impl: "latency"}
	eng, err := engine.Open(ctx, engine.Config{DataDir: dir, Properties: map[string]string{
		"ksql.streams.auto.offset.reset": "earliest",
		engine.PropCommitInterval:        strconv.FormatInt(commitMs, 10),
	}})
	if err != nil {
		return res, err
	}
	defer eng.Close()
	lg := eng.Log()
	spec.WallTime = true
	f, err := newFeeder(ctx, lg, spec, 1<<30)
	if err != nil {
		return res, err
	}
	if err := f.pregenerate(ctx, latencyPool); err != nil {
		return res, err
	}
	sess := engine.NewSession()
	for _, s := range []string{q.DDL, q.SQL} {
		if _, err := eng.Execute(ctx, s, sess); err != nil {
			return res, err
		}
	}
	info, err := lg.Topic(ctx, q.Sink)
	if err != nil {
		return res, err
	}
	start := time.Now()
	warm := start.Add(min(time.Second, d/5)).UnixMilli()
	rctx, stopReaders := context.WithCancel(ctx)
	defer stopReaders()
	var mu sync.Mutex
	var lat []float32
	var wg sync.WaitGroup
	for p := int32(0); p < info.Config.Partitions; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			off := int64(0)
			for rctx.Err() == nil {
				if err := lg.Wait(rctx, q.Sink, p, off, broker.ReadCommitted); err != nil {
					return
				}
				recs, next, err := lg.Read(rctx, q.Sink, p, off, broker.ReadOptions{MaxRecords: 5000, Isolation: broker.ReadCommitted})
				if err != nil {
					return
				}
				now := float64(time.Now().UnixMicro()) / 1000
				mu.Lock()
				for _, r := range recs {
					if r.Timestamp >= warm {
						lat = append(lat, float32(now-float64(r.Timestamp)))
					}
				}
				mu.Unlock()
				off = next
			}
		}()
	}
	cpu0 := cpuNow()
	if cpuProfile != "" {
		stop, err := startCPUProfile(cpuProfile)
		if err != nil {
			return res, err
		}
		defer stop()
	}
	if err := f.writeRate(ctx, rate, d, 5*time.Millisecond); err != nil {
		return res, err
	}
	fed := time.Since(start)
	// Let the last input through: until no query lags (or 10 s), then
	// one more commit interval for the output to become visible.
	deadline := time.Now().Add(10 * time.Second)
	var unfinished int64
	for {
		unfinished = 0
		for _, l := range eng.Lag(ctx) {
			unfinished += l.Records
		}
		if unfinished == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(time.Duration(2*commitMs)*time.Millisecond + 50*time.Millisecond)
	stopReaders()
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	lr := &latencyResult{CommitMs: commitMs, Rate: rate, Seconds: fed.Seconds(), Unfinished: unfinished,
		Achieved: float64(f.written) / fed.Seconds(), Samples: int64(len(lat)), CPUSeconds: (cpuNow() - cpu0).Seconds()}
	if len(lat) > 0 {
		slices.Sort(lat)
		pct := func(p float64) float64 { return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))]) }
		lr.P50Ms, lr.P99Ms, lr.MaxMs = pct(0.50), pct(0.99), float64(lat[len(lat)-1])
	}
	res.Events = f.written
	res.Latency = lr
	res.PeakRSS, res.RSSSource = peakRSS(false)
	return res, nil
}

// startCPUProfile writes a CPU profile to path until the returned
// function is called (it may be called more than once).
func startCPUProfile(path string) (func(), error) {
	pf, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(pf); err != nil {
		pf.Close()
		return nil, err
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			pprof.StopCPUProfile()
			pf.Close()
		})
	}, nil
}
