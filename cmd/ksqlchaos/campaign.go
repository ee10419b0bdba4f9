package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ksqlgo/ksql/broker"
)

// Config configures a campaign.
type Config struct {
	// Binary is the ksql binary to drive; "" builds ./cmd/ksql.
	Binary string
	// Kafka runs the server over a Kafka cluster (`ksql server
	// --bootstrap-servers`) instead of the data directory's embedded log:
	// kfake, franz-go's fake Kafka, in a helper process.
	Kafka bool
	// WipeStateProb is, over Kafka, the probability that a restart begins
	// on an empty state directory (<data dir>/state removed; the format
	// stamp stays), so that every task restores its state from the
	// changelogs. Ignored on the embedded log, whose state store holds
	// the decision of its transactions.
	WipeStateProb float64
	// FinalWipe, over Kafka, makes the final run start on an empty state
	// directory (with a Schedule; otherwise drawn with WipeStateProb).
	FinalWipe bool
	// DataDir is the server's data directory. It must be empty or absent;
	// "" uses a temporary directory (removed afterwards unless Keep and
	// the campaign failed). A given DataDir is never removed.
	DataDir string
	// Stops is the number of runs ended by a signal before the final run.
	Stops int
	// Seed drives every random choice: signals, stop delays, drops, the
	// rows and the direct appends. Timing is not reproducible; the
	// choices are.
	Seed int64
	// KillRatio is the share of stops made with SIGKILL (the rest SIGTERM).
	KillRatio float64
	// DropProb is the probability that a run drops one query's output with
	// its topic and creates it again.
	DropProb float64
	// Rate is the number of rows per second inserted over HTTP while a
	// server runs.
	Rate int
	// Sync, if set, is passed as --set ksql.log.sync=Sync.
	Sync string
	// MinUp and MaxUp bound when a stop comes (log-uniformly), after the
	// process starts (after a drop/recreate completes, in runs that make
	// one).
	MinUp, MaxUp time.Duration
	// DrainTimeout bounds the final run's wait for every query to catch up.
	DrainTimeout time.Duration
	// Keep keeps a temporary data directory when the campaign fails.
	Keep bool
	// Schedule, if set, is the list of stops to make (it overrides Stops,
	// KillRatio and DropProb).
	Schedule []Stop
	// Log receives progress lines (nil: none).
	Log io.Writer
}

// Stop is one planned stop: the signal, whether the run drops and
// recreates one query's output first, and (over Kafka) whether the run
// starts on an empty state directory.
type Stop struct {
	Signal    syscall.Signal
	Drop      bool
	WipeState bool
}

func (c Config) withDefaults() Config {
	if c.MinUp <= 0 {
		c.MinUp = 50 * time.Millisecond
	}
	if c.MaxUp < c.MinUp {
		c.MaxUp = max(3*time.Second, c.MinUp)
	}
	if c.DrainTimeout <= 0 {
		c.DrainTimeout = 3 * time.Minute
	}
	return c
}

// BrickedStart is a start that failed: the data directory a stop left
// behind could not be opened again.
type BrickedStart struct {
	Run    int
	After  string // how the previous run ended
	Exit   string // the process's exit status, or why the harness gave up
	Stderr []string
}

// Summary is the outcome of a campaign.
type Summary struct {
	Seed    int64
	Log     string // "embedded" or "kafka"
	Sync    string
	DataDir string
	Kept    bool

	Stops        map[string]int // by signal
	StartupStops int            // stops that came before the server was ready
	Starts       int
	Bricked      []BrickedStart
	Drops        int // drop/recreate sequences completed
	DropsCut     int // drop/recreate sequences a stop or an error interrupted
	Repairs      int // outputs a start-up found missing or without query and created again
	StateWipes   int // starts on an empty state directory (Kafka)

	Input      *inputReport
	Outputs    []*outputReport
	Violations []Violation // of the input and the server (the outputs' are in Outputs)
	Notes      *notes
	Checked    bool // the final checks ran
	Elapsed    time.Duration
}

// AllViolations lists every violation: server and input first, then each
// output's.
func (s *Summary) AllViolations() []Violation {
	out := append([]Violation(nil), s.Violations...)
	if s.Input != nil {
		out = append(out, s.Input.Violations...)
	}
	for _, o := range s.Outputs {
		out = append(out, o.Violations...)
	}
	return out
}

// Failed reports whether the campaign found anything wrong or could not
// check.
func (s *Summary) Failed() bool { return !s.Checked || len(s.AllViolations()) > 0 }

// directAppendProb is the probability of appending rows directly to the
// input topic between two runs.
const directAppendProb = 0.5

type campaign struct {
	cfg   Config
	rng   *rand.Rand
	gen   generator
	led   *ledger
	bin   string
	dir   string
	props map[string]string
	sum   *Summary
	dep   deployment

	lastStop string         // how the previous run ended
	run      int            // the current run
	runAfter map[int]string // how each run began: the previous run's end
	// marks are the output topics' end offsets after each run, and
	// incarnation the run in which each output was last created: together
	// they tell which run wrote a record.
	marks       []runMark
	incarnation map[string]int
	bricks      int // consecutive bricked starts
	abort       bool
	created     map[string]bool // outputs created at least once
	mu          sync.Mutex      // guards sum's counters written by run goroutines
	logMu       sync.Mutex      // serializes writes to cfg.Log
	harness     logLines
}

// Run runs a campaign and checks its outputs. The error is for failures
// of the harness itself (it could not build or start the binary); what
// the campaign found is in the Summary.
func Run(cfg Config) (*Summary, error) {
	cfg = cfg.withDefaults()
	began := time.Now()
	c := &campaign{
		cfg:         cfg,
		rng:         rand.New(rand.NewSource(cfg.Seed)),
		gen:         newGenerator(cfg.Seed, began),
		led:         newLedger(),
		props:       map[string]string{},
		lastStop:    "a fresh data directory",
		runAfter:    map[int]string{},
		incarnation: map[string]int{},
		created:     map[string]bool{},
		sum:         &Summary{Seed: cfg.Seed, Sync: cfg.Sync, Stops: map[string]int{}, Notes: newNotes()},
	}
	// The checks read every update of every COUNT changelog: no record
	// cache (ksqlDB's own tests turn it off too).
	c.props["ksql.streams.cache.max.bytes.buffering"] = "0"
	switch {
	case cfg.Kafka:
		c.sum.Sync = "n/a (Kafka)"
	case c.sum.Sync == "":
		c.sum.Sync = "always (default)"
	default:
		c.props["ksql.log.sync"] = cfg.Sync
	}
	defer func() { c.sum.Elapsed = time.Since(began) }()

	tmp, err := os.MkdirTemp("", "ksqlchaos-bin-")
	if err != nil {
		return c.sum, err
	}
	defer os.RemoveAll(tmp)
	c.bin = cfg.Binary
	if c.bin == "" {
		c.logf("building ksql")
		if c.bin, err = buildBinary(tmp); err != nil {
			return c.sum, err
		}
	}
	owned := cfg.DataDir == ""
	if owned {
		if c.dir, err = os.MkdirTemp("", "ksqlchaos-data-"); err != nil {
			return c.sum, err
		}
	} else {
		c.dir = cfg.DataDir
		if entries, err := os.ReadDir(c.dir); err == nil && len(entries) > 0 {
			return c.sum, fmt.Errorf("data directory %s is not empty: the model needs a campaign's own input from the start", c.dir)
		}
		if err := os.MkdirAll(c.dir, 0o755); err != nil {
			return c.sum, err
		}
	}
	c.sum.DataDir = c.dir
	defer func() {
		c.sum.Kept = !owned || (cfg.Keep && c.sum.Failed())
		if !c.sum.Kept {
			os.RemoveAll(c.dir)
		}
	}()
	if !cfg.Kafka {
		c.sum.Log = "embedded"
		c.dep = embeddedDeployment{dir: c.dir}
	} else {
		c.sum.Log = "kafka"
		c.logf("starting kfake")
		k, err := startKfake()
		if err != nil {
			return c.sum, err
		}
		c.logf("kfake listening on %s", k.Addr)
		c.dep = kafkaDeployment{kfake: k}
		defer c.dep.close()
	}
	kafka := cfg.Kafka

	schedule := cfg.Schedule
	if schedule == nil {
		for range cfg.Stops {
			st := Stop{Signal: syscall.SIGTERM}
			if c.rng.Float64() < cfg.KillRatio {
				st.Signal = syscall.SIGKILL
			}
			st.Drop = c.rng.Float64() < cfg.DropProb
			if kafka {
				st.WipeState = c.rng.Float64() < cfg.WipeStateProb
			}
			schedule = append(schedule, st)
		}
		if kafka {
			c.cfg.FinalWipe = c.rng.Float64() < cfg.WipeStateProb
		}
	}
	for i, st := range schedule {
		if err := c.chaosRun(i+1, st); err != nil {
			return c.sum, err
		}
		if c.abort {
			c.logf("two starts in a row failed: the campaign ends without its final checks")
			return c.sum, nil
		}
		if err := c.clusterAlive(); err != nil {
			return c.sum, err
		}
		c.betweenRuns()
	}
	return c.sum, c.finalRun(len(schedule) + 1)
}

// clusterAlive fails the harness when the Kafka cluster it runs has
// exited: nothing the engine does may stop it.
func (c *campaign) clusterAlive() error {
	if k, ok := c.dep.(kafkaDeployment); ok && !k.kfake.Alive() {
		return errors.New("the kfake helper process exited during the campaign")
	}
	return nil
}

// wipeState removes the state directory before a start over Kafka: the
// tasks restore their stores from the changelogs.
func (c *campaign) wipeState(n int) error {
	if !c.cfg.Kafka {
		return nil
	}
	if err := os.RemoveAll(filepath.Join(c.dir, "state")); err != nil {
		return fmt.Errorf("removing the state directory: %w", err)
	}
	c.sum.StateWipes++
	c.logf("run %d: starts on an empty state directory", n)
	return nil
}

func (c *campaign) logf(format string, args ...any) {
	if c.cfg.Log != nil {
		c.logMu.Lock()
		defer c.logMu.Unlock()
		fmt.Fprintf(c.cfg.Log, format+"\n", args...)
	}
}

func (c *campaign) violation(kind, format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sum.Violations = append(c.sum.Violations, Violation{Where: "server", Kind: kind, Detail: fmt.Sprintf(format, args...)})
}

func sigName(s syscall.Signal) string {
	switch s {
	case syscall.SIGKILL:
		return "SIGKILL"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return s.String()
}

// start starts a server and waits until it is ready, until stopAt (zero:
// no stop planned), or until it fails. It reports whether the stop came
// first; on a failed start it records a bricked start and returns nil.
func (c *campaign) start(n int, stopAt time.Time) (srv *server, stoppedEarly bool, err error) {
	srv, err = startServer(c.bin, c.dir, c.props, c.dep.serverArgs())
	if err != nil {
		return nil, false, err
	}
	c.sum.Starts++
	readyBy := srv.started.Add(readyTimeout)
	wait := readyBy
	if !stopAt.IsZero() && stopAt.Before(readyBy) {
		wait = stopAt
	}
	ctx, cancel := context.WithDeadline(context.Background(), wait)
	err = srv.waitReady(ctx)
	cancel()
	switch {
	case err == nil:
		c.bricks = 0
		return srv, false, nil
	case errors.Is(err, errExited):
		c.bricked(n, srv, "exited before it was ready: "+exitString(srv.exit))
		return nil, false, nil
	case wait.Equal(stopAt):
		return srv, true, nil
	default:
		srv.kill()
		c.bricked(n, srv, fmt.Sprintf("not ready within %v", readyTimeout))
		return nil, false, nil
	}
}

func exitString(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

func (c *campaign) bricked(n int, srv *server, why string) {
	lines, _ := srv.logs()
	b := BrickedStart{Run: n, After: c.lastStop, Exit: why, Stderr: lines}
	c.sum.Bricked = append(c.sum.Bricked, b)
	last := ""
	if len(lines) > 0 {
		last = lines[len(lines)-1]
	}
	c.violation("bricked-start", "run %d (after %s) %s; last stderr line: %s", n, c.lastStop, why, last)
	c.logf("run %d: BRICKED START after %s: %s\n  %s", n, c.lastStop, why, strings.Join(lines, "\n  "))
	c.collectNotes(srv, "")
	c.lastStop = "a bricked start"
	c.bricks++
	c.abort = c.bricks >= 2
}

// runMark is the end offset of each partition of each output after a run.
type runMark struct {
	Run   int
	After string
	Ends  map[string][]int64
}

func (c *campaign) beginRun(n int) {
	c.run = n
	c.runAfter[n] = c.lastStop
}

// stopDelay draws when a stop comes: log-uniform between MinUp and MaxUp,
// so that short runs (a stop during recovery, or during the first commits
// after it) are as likely per decade as long ones with input flowing.
func (c *campaign) stopDelay() time.Duration {
	lo, hi := float64(c.cfg.MinUp), float64(c.cfg.MaxUp)
	return time.Duration(lo * math.Pow(hi/lo, c.rng.Float64()))
}

// chaosRun is one run ended by a signal.
func (c *campaign) chaosRun(n int, st Stop) error {
	c.beginRun(n)
	sig := sigName(st.Signal)
	// Every random choice of the run is drawn here, whatever happens
	// later, so that the sequence of choices depends on the seed only.
	delay := c.stopDelay()
	target := outputs[c.rng.Intn(len(outputs))]
	var live liveAppend
	if c.dep.appendsWhileRunning() {
		live = c.drawLiveAppend(delay)
	}
	if st.WipeState {
		if err := c.wipeState(n); err != nil {
			return err
		}
	}
	defer c.appendWhileRunning(n, live)()

	var stopAt time.Time
	startedAt := time.Now()
	if !st.Drop {
		stopAt = startedAt.Add(delay)
	}
	srv, early, err := c.start(n, stopAt)
	if err != nil || srv == nil {
		return err
	}
	defer srv.kill()
	if early {
		c.sum.Stops[sig]++
		c.sum.StartupStops++
		c.stop(n, srv, st.Signal, false)
		c.logf("run %d: %s after %v, during start-up", n, sig, time.Since(srv.started).Round(time.Millisecond))
		return nil
	}
	readyIn := time.Since(srv.started)

	quit := make(chan struct{})
	setupDone := make(chan struct{})
	var wg sync.WaitGroup
	before := c.led.snapshot()
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(setupDone)
		if err := c.ensureSchema(srv); err != nil {
			c.logf("run %d: setting up the queries: %v", n, err)
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			insertRows(srv, c.gen, c.led, c.cfg.Rate, quit)
		}()
		if st.Drop {
			c.dropRecreate(n, srv, target)
		}
	}()
	if st.Drop {
		select {
		case <-setupDone:
		case <-srv.exited:
		}
		stopAt = time.Now().Add(delay)
	}
	select {
	case <-time.After(time.Until(stopAt)):
	case <-srv.exited:
	}
	if srv.hasExited() {
		before, _ := srv.logs()
		c.violation("crash", "run %d: the server exited on its own (%s) before the %s planned at %v; stderr:\n    %s",
			n, exitString(srv.exit), sig, delay, strings.Join(tail(before, 20), "\n    "))
		close(quit)
		wg.Wait()
		c.collectNotes(srv, "")
		c.lastStop = "a crash"
		return nil
	}
	c.stop(n, srv, st.Signal, true)
	close(quit)
	wg.Wait()
	c.sum.Stops[sig]++
	after := c.led.snapshot()
	var nAcked, nUnknown int
	for id, f := range after {
		if _, old := before[id]; old {
			continue
		}
		switch f {
		case acked:
			nAcked++
		case unknown:
			nUnknown++
		}
	}
	c.logf("run %d: ready in %v, %s after %v: %d rows acknowledged, %d unknown",
		n, readyIn.Round(time.Millisecond), sig, time.Since(startedAt).Round(time.Millisecond), nAcked, nUnknown)
	return nil
}

// stop signals the server and waits for it to exit. A SIGTERM to a ready
// server must make it exit, cleanly and in time.
func (c *campaign) stop(n int, srv *server, sig syscall.Signal, ready bool) {
	if err := srv.signal(sig); err != nil {
		c.logf("run %d: signal: %v", n, err)
	}
	if !srv.waitExit(termTimeout) {
		c.violation("hung-stop", "run %d: the server did not exit within %v of %s; killed", n, termTimeout, sigName(sig))
		srv.kill()
	} else if sig == syscall.SIGTERM && ready && srv.exit != nil {
		_, after := srv.logs()
		c.violation("unclean-exit", "run %d: after SIGTERM the server exited with %s; shutdown log:\n    %s",
			n, exitString(srv.exit), strings.Join(tail(after, 20), "\n    "))
	}
	c.collectNotes(srv, sigName(sig))
	c.lastStop = sigName(sig)
}

func tail(lines []string, n int) []string {
	if len(lines) > n {
		return lines[len(lines)-n:]
	}
	return lines
}

// collectNotes files a run's stderr lines: those before the stop under
// the way the previous run ended, those after under the stop's signal.
func (c *campaign) collectNotes(srv *server, sig string) {
	before, after := srv.logs()
	for _, m := range messages(before) {
		c.sum.Notes.add(m, "start or run after "+c.lastStop)
	}
	for _, m := range messages(after) {
		c.sum.Notes.add(m, "shutdown by "+sig)
	}
}

// liveAppend is a direct append planned during a run (over Kafka, where
// the harness is one more client of the cluster).
type liveAppend struct {
	rows int           // 0: none
	at   time.Duration // after the process starts
}

func (c *campaign) drawLiveAppend(runFor time.Duration) liveAppend {
	doIt := c.rng.Float64() < directAppendProb
	count := 5 + c.rng.Intn(36)
	at := time.Duration(c.rng.Float64() * float64(runFor))
	if !doIt {
		return liveAppend{}
	}
	return liveAppend{rows: count, at: at}
}

// appendWhileRunning appends a's rows directly to the input topic a.at
// after now (or at once when the run ends first), while the server runs,
// recovers or is stopped. The returned function waits until it is done.
func (c *campaign) appendWhileRunning(n int, a liveAppend) (wait func()) {
	if a.rows == 0 {
		return func() {}
	}
	rows := make([]row, a.rows)
	for i := range rows {
		rows[i] = c.gen.row(c.led.allocate())
	}
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		select {
		case <-time.After(a.at):
		case <-stop:
		}
		lg, err := c.dep.open(c.harness.logf)
		if err != nil {
			c.violation("direct-append", "run %d: connecting to append while the server runs: %v", n, err)
			return
		}
		defer lg.Close()
		acked, ok, err := c.appendDirect(lg, rows)
		if err != nil {
			c.violation("direct-append", "run %d: appending to %s while the server runs: %v", n, inputTopic, err)
			return
		}
		if ok {
			c.logf("run %d: %d rows appended directly to %s while the server runs", n, acked, inputTopic)
		}
	}()
	return func() {
		close(stop)
		<-done
	}
}

// appendDirect appends rows to the input topic through lg and records
// their fates: appended, unknown after a failed append, none when the
// topic does not exist yet.
func (c *campaign) appendDirect(lg broker.Log, rows []row) (acked int, ok bool, err error) {
	acked, ok, err = appendRows(lg, rows)
	for i, r := range rows {
		switch {
		case i < acked:
			c.led.set(r.ID, direct)
		case ok:
			c.led.set(r.ID, unknown)
		}
	}
	return acked, ok, err
}

// betweenRuns records where the outputs end after the run, and sometimes
// appends rows directly to the input topic while the server is stopped.
func (c *campaign) betweenRuns() {
	doIt := c.rng.Float64() < directAppendProb
	count := 5 + c.rng.Intn(36)
	lg, err := c.dep.open(c.harness.logf)
	for _, l := range c.harness.take() {
		c.sum.Notes.add(l, "harness opening the log after "+c.lastStop)
	}
	if err != nil {
		c.violation("open", "opening the log after %s: %v", c.lastStop, err)
		return
	}
	defer lg.Close()
	names := make([]string, len(outputs))
	for i, o := range outputs {
		names[i] = o.Name
	}
	c.marks = append(c.marks, runMark{Run: c.run, After: c.runAfter[c.run], Ends: topicEnds(lg, names)})
	if !doIt {
		return
	}
	rows := make([]row, count)
	for i := range rows {
		rows[i] = c.gen.row(c.led.allocate())
	}
	n, ok, err := c.appendDirect(lg, rows)
	if err != nil {
		c.violation("direct-append", "appending to %s after %s: %v", inputTopic, c.lastStop, err)
		return
	}
	if ok {
		c.logf("between runs: %d rows appended directly to %s", n, inputTopic)
	}
}

// finalRun starts the server once more, lets every query catch up, stops
// it with SIGTERM and checks the outputs.
func (c *campaign) finalRun(n int) error {
	c.beginRun(n)
	if c.cfg.FinalWipe {
		if err := c.wipeState(n); err != nil {
			return err
		}
	}
	var srv *server
	for attempt := 0; srv == nil; attempt++ {
		if attempt == 2 {
			c.logf("final run: two starts in a row failed: no checks")
			return nil
		}
		var err error
		if srv, _, err = c.start(n, time.Time{}); err != nil {
			return err
		}
	}
	defer srv.kill()
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		if err = c.ensureSchema(srv); err == nil {
			break
		}
	}
	if err != nil {
		c.violation("setup", "final run: the workload's queries could not be created: %v", err)
		c.stop(n, srv, syscall.SIGTERM, true)
		return nil
	}
	drained := time.Now()
	if err := c.drain(srv); err != nil {
		c.violation("drain", "final run: %v", err)
	} else {
		c.logf("final run: every query caught up in %v", time.Since(drained).Round(time.Millisecond))
	}
	if view, err := c.show(srv); err == nil {
		for _, o := range outputs {
			for _, q := range view.writers[o.Name] {
				if q.State != "RUNNING" {
					c.violation("query-state", "final run: query %s (writing %s) is %s", q.ID, o.Name, q.State)
				}
			}
		}
	}
	c.stop(n, srv, syscall.SIGTERM, true)
	return c.check()
}

// drain polls GET /lag until every task of every query has committed its
// input up to the end, three polls in a row with no new input.
func (c *campaign) drain(srv *server) error {
	deadline := time.Now().Add(c.cfg.DrainTimeout)
	var last lagReport
	stable, lastEnds := 0, int64(-1)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
		r, err := srv.lag(ctx)
		cancel()
		if err == nil {
			last = r
			caughtUp := len(r.Queries) == len(outputs)
			var ends int64
			for _, q := range r.Queries {
				for _, t := range q.Tasks {
					caughtUp = caughtUp && t.Committed == t.End
					ends += t.End
				}
			}
			switch {
			case !caughtUp:
				stable = 0
			case ends == lastEnds:
				stable++
			default:
				stable = 1
			}
			lastEnds = ends
			if stable >= 3 {
				return nil
			}
		}
		if srv.hasExited() {
			return fmt.Errorf("the server exited while draining: %s", exitString(srv.exit))
		}
		time.Sleep(200 * time.Millisecond) // polling interval
	}
	var behind []string
	for _, q := range last.Queries {
		for _, t := range q.Tasks {
			if t.Committed != t.End {
				behind = append(behind, fmt.Sprintf("%s stage %d %s-%d committed %d end %d", q.ID, t.Stage, t.Topic, t.Partition, t.Committed, t.End))
			}
		}
	}
	return fmt.Errorf("the queries did not catch up within %v (%d queries; behind: %s)", c.cfg.DrainTimeout, len(last.Queries), strings.Join(behind, "; "))
}

// check reads the input and every output of the stopped server and
// compares them with the model.
func (c *campaign) check() error {
	if err := c.clusterAlive(); err != nil {
		return err
	}
	lg, err := c.dep.open(c.harness.logf)
	if err != nil {
		c.violation("open", "opening the log after the final stop: %v", err)
		return nil
	}
	o := &logOutputs{log: lg}
	defer o.Close()
	for _, l := range c.harness.take() {
		c.sum.Notes.add(l, "harness opening the log after the final SIGTERM")
	}
	topics := []string{inputTopic}
	for _, out := range outputs {
		topics = append(topics, out.Name)
	}
	if open, err := c.dep.unsettled(lg, topics); err != nil {
		c.violation("in-doubt", "listing transactions in doubt: %v", err)
	} else if len(open) > 0 {
		c.violation("in-doubt", "%d transaction(s) still open after the final SIGTERM (they hold back committed reads): %s",
			len(open), strings.Join(tail(open, 10), ", "))
	}
	c.sum.Checked = true
	return c.checkOutputs(o)
}

// checkOutputs reads the input and the outputs through o.
func (c *campaign) checkOutputs(o Outputs) error {
	in, err := o.Read(inputTopic)
	if err != nil {
		c.violation("read", "reading the input topic: %v", err)
		c.sum.Checked = false
		return nil
	}
	m, rep := buildModel(in, c.gen, c.led.snapshot())
	c.sum.Input = rep
	for _, out := range outputs {
		recs, err := o.Read(out.Name)
		if err != nil {
			c.violation("read", "reading output %s: %v", out.Name, err)
			continue
		}
		rep := out.check(m, recs)
		for i := range rep.Violations {
			c.attribute(&rep.Violations[i])
		}
		c.sum.Outputs = append(c.sum.Outputs, rep)
	}
	return nil
}

// attribute finds the run that wrote a violation's record: the first run
// of the output's last incarnation after which the partition ended past
// the record's offset (or the final run).
func (c *campaign) attribute(v *Violation) {
	if v.At == nil {
		return
	}
	c.mu.Lock()
	first := c.incarnation[v.Where]
	c.mu.Unlock()
	for _, m := range c.marks {
		ends := m.Ends[v.Where]
		if m.Run < first || int(v.At.Partition) >= len(ends) {
			continue
		}
		if v.At.Offset < ends[v.At.Partition] {
			v.Run, v.RunAfter = m.Run, m.After
			return
		}
	}
	v.Run, v.RunAfter = c.run, c.runAfter[c.run]
}
