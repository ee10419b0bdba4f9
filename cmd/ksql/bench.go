package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"
)

// `ksql bench`: Nexmark q0, q1, q2, q3 (a stream-table join), the first
// stages of q5 and q7, a variant of q8 (a stream-stream join) and the
// fraud query, end to end as persistent queries on the embedded log, next
// to a hand-written Go loop over the same records, then their latency at
// a fixed input rate. Every measured run is a child process of this
// binary (`ksql bench-child`, benchchild.go). docs/benchmarks.md
// describes what is measured.

const benchUsage = `usage: ksql bench [--events N] [--queries q0,q1,...] [--runs N] [--json]
                  [--latency=false] [--latency-rate R] [--latency-duration D] [--latency-queries ...]

Runs each query end to end as a persistent query (durable exactly-once commits,
the default sync policy) over N generated records in a fresh temporary data
directory, in a child process of its own, and the hand-written loop computing
the same answer from the same records, interleaved over the runs; reports
events per CPU-second (user+sys of the child over the query run, loading
excluded), wall events/s, peak RSS of the run, and the engine/loop ratio, as
medians with every run listed. Then (unless --latency=false) the latency from
input append to output visible to a read_committed reader, at a fixed input
rate, at each commit interval. Queries: q0 q1 q2 q3 q5 q7 q8 q8-pairs fraud-10k fraud-1m.
`

type benchRun struct {
	Engine *childResult `json:"engine,omitempty"`
	Loop   *childResult `json:"loop,omitempty"`
	// Ratio is engine/loop events per CPU-second in this run.
	Ratio  float64  `json:"engine_loop_ratio,omitempty"`
	Same   bool     `json:"same_answer"`
	Errors []string `json:"errors,omitempty"`
}

type benchQueryReport struct {
	Name  string     `json:"name"`
	Title string     `json:"title"`
	SQL   string     `json:"sql,omitempty"`
	Skip  string     `json:"skipped,omitempty"`
	Runs  []benchRun `json:"runs,omitempty"`
	// Medians over the runs.
	EngineEventsCPU float64 `json:"engine_events_per_cpu_second"`
	LoopEventsCPU   float64 `json:"loop_events_per_cpu_second"`
	Ratio           float64 `json:"engine_loop_ratio"`
	EngineEventsS   float64 `json:"engine_events_per_second"`
	LoopEventsS     float64 `json:"loop_events_per_second"`
	EngineRSS       int64   `json:"engine_peak_rss_bytes"`
	LoopRSS         int64   `json:"loop_peak_rss_bytes"`
	// EngineOutputs and LoopOutputs are output records of the last run
	// (a table's loop emits one update per changed key per commit).
	EngineOutputs int64            `json:"engine_output_records"`
	LoopOutputs   int64            `json:"loop_output_records"`
	SameAnswer    bool             `json:"same_answer"`
	Latency       []*latencyResult `json:"latency,omitempty"`
	LatencyErrors []string         `json:"latency_errors,omitempty"`
}

type benchReport struct {
	Revision   string  `json:"revision"`
	GoVersion  string  `json:"go_version"`
	Machine    string  `json:"machine"`
	CPUs       int     `json:"cpus"`
	LoadBefore string  `json:"loadavg_before"`
	LoadAfter  string  `json:"loadavg_after"`
	Events     int64   `json:"events"`
	Runs       int     `json:"runs"`
	Partitions int     `json:"partitions"`
	Seed       int64   `json:"seed"`
	EventRate  float64 `json:"event_rate"`
	// BaseTime is the event time of the first input record of every run
	// (the start of the command: topics' time retention keeps the input).
	BaseTime    int64               `json:"base_time"`
	Started     time.Time           `json:"started"`
	Seconds     float64             `json:"seconds"`
	Queries     []*benchQueryReport `json:"queries"`
	LatencySecs float64             `json:"latency_seconds,omitempty"`
}

func runBench(args []string) (failed bool, err error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(fs.Output(), benchUsage); fs.PrintDefaults() }
	events := fs.Int64("events", 2_000_000, "input records per query")
	queries := fs.String("queries", "q0,q1,q2,q3,q5,q7,q8,q8-pairs,fraud-10k,fraud-1m", "queries to run, comma-separated")
	runs := fs.Int("runs", 3, "runs per query (engine and loop interleaved; medians reported)")
	jsonOut := fs.Bool("json", false, "print the report as JSON instead of tables")
	partitions := fs.Int("partitions", 2, "input partitions")
	seed := fs.Int64("seed", 1, "datagen seed")
	eventRate := fs.Float64("event-rate", 10_000, "events per second of event time in the generated input (Nexmark's default; the windows a query sees depend on it)")
	dir := fs.String("dir", "", "where the temporary data directories go (default: the system's temporary directory)")
	timeout := fs.Duration("timeout", 30*time.Minute, "limit of one child run")
	latency := fs.Bool("latency", true, "measure latency at a fixed input rate after the throughput runs")
	latencyRate := fs.Float64("latency-rate", 0, "input records/s of the latency runs (0: half the engine's median wall events/s of the query in this invocation, or 10000 without throughput runs)")
	latencyDur := fs.Duration("latency-duration", 10*time.Second, "how long each latency run feeds input (the first second is warm-up)")
	latencyIntervals := fs.String("latency-commit-intervals", "100ms,10ms", "commit intervals (ksql.streams.commit.interval.ms) of the latency runs")
	profileDir := fs.String("cpuprofile-dir", "", "write a CPU profile of every measured run to this directory (<query>-<impl>-<run>.pprof)")
	latencyQueries := fs.String("latency-queries", "", "queries of the latency runs (default: --queries)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return false, nil
		}
		return false, err
	}
	if fs.NArg() > 0 {
		return false, fmt.Errorf("bench: unexpected arguments %q", fs.Args())
	}
	if *events <= 0 || *runs < 0 || *partitions <= 0 || *latencyDur <= 0 || *latencyRate < 0 || *eventRate <= 0 {
		return false, errors.New("bench: --events, --partitions, --event-rate and --latency-duration must be positive, --runs and --latency-rate not negative")
	}
	var intervals []time.Duration
	for _, s := range splitList(*latencyIntervals) {
		d, err := time.ParseDuration(s)
		if err != nil || d < time.Millisecond {
			return false, fmt.Errorf("bench: --latency-commit-intervals: %q is not a duration of at least 1ms", s)
		}
		intervals = append(intervals, d)
	}
	self, err := os.Executable()
	if err != nil {
		return false, err
	}
	rep := &benchReport{Revision: revision(), GoVersion: runtime.Version(), Machine: machine(), CPUs: runtime.NumCPU(),
		LoadBefore: loadavg(), Events: *events, Runs: *runs, Partitions: *partitions, Seed: *seed, EventRate: *eventRate, Started: time.Now()}
	rep.BaseTime = rep.Started.Truncate(time.Second).UnixMilli()
	byName := map[string]*benchQueryReport{}
	for _, name := range splitList(*queries) {
		q, ok := findBenchQuery(name)
		if !ok {
			return false, fmt.Errorf("bench: unknown query %q (q0 q1 q2 q5 q7 q8 fraud-10k fraud-1m)", name)
		}
		if byName[name] != nil {
			continue
		}
		qr := &benchQueryReport{Name: q.Name, Title: q.Title, SQL: q.SQL, Skip: q.Skip}
		byName[name] = qr
		rep.Queries = append(rep.Queries, qr)
	}
	latNames := splitList(*latencyQueries)
	for _, name := range latNames {
		if q, ok := findBenchQuery(name); !ok || byName[name] == nil && q.Skip == "" {
			return false, fmt.Errorf("bench: --latency-queries: %q is not one of --queries", name)
		}
	}
	if len(latNames) == 0 {
		latNames = splitList(*queries)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	progress := func(format string, a ...any) { fmt.Fprintf(os.Stderr, "bench: "+format+"\n", a...) }
	child := func(q *benchQueryReport, extra ...string) (*childResult, error) {
		d, err := os.MkdirTemp(*dir, "ksql-bench-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(d)
		a := append([]string{benchChildCommand, "--query", q.Name, "--seed", strconv.FormatInt(*seed, 10),
			"--partitions", strconv.Itoa(*partitions), "--event-rate", strconv.FormatFloat(*eventRate, 'f', -1, 64),
			"--base-time", strconv.FormatInt(rep.BaseTime, 10),
			"--dir", d, "--timeout", timeout.String()}, extra...)
		cctx, cancel := context.WithTimeout(ctx, *timeout+time.Minute)
		defer cancel()
		cmd := exec.CommandContext(cctx, self, a...)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			msg := strings.TrimSpace(errb.String())
			if msg == "" {
				msg = err.Error()
			}
			return nil, errors.New(msg)
		}
		var r childResult
		if err := json.Unmarshal(out.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("reading the child's report: %v: %q", err, out.String())
		}
		return &r, nil
	}

	// Throughput: run r runs every query, the engine and the loop in
	// turn (which goes first alternates between runs).
	for r := 0; r < *runs; r++ {
		for _, qr := range rep.Queries {
			if qr.Skip != "" {
				continue
			}
			q, _ := findBenchQuery(qr.Name)
			run := benchRun{}
			impls := []string{"engine", "loop"}
			if r%2 == 1 {
				impls = []string{"loop", "engine"}
			}
			for _, impl := range impls {
				extra := []string{"--impl", impl, "--events", strconv.FormatInt(*events, 10)}
				if *profileDir != "" {
					extra = append(extra, "--cpuprofile", filepath.Join(*profileDir, fmt.Sprintf("%s-%s-%d.pprof", qr.Name, impl, r+1)))
				}
				res, err := child(qr, extra...)
				if err != nil {
					run.Errors = append(run.Errors, impl+": "+err.Error())
					progress("run %d/%d %s %s: FAILED: %v", r+1, *runs, qr.Name, impl, err)
					continue
				}
				progress("run %d/%d %-9s %-6s %10.0f events/cpu-s %10.0f events/s  RSS %s  (load %.1f s)",
					r+1, *runs, qr.Name, impl, res.EventsCPU, res.EventsS, mib(res.PeakRSS), res.LoadSeconds)
				if impl == "engine" {
					run.Engine = res
				} else {
					run.Loop = res
				}
			}
			if run.Engine != nil && run.Loop != nil {
				run.Ratio = run.Engine.EventsCPU / run.Loop.EventsCPU
				run.Same = run.Engine.Answer.same(*run.Loop.Answer, q.Table)
				if !run.Same {
					run.Errors = append(run.Errors, fmt.Sprintf("the engine's answer %+v is not the loop's %+v", *run.Engine.Answer, *run.Loop.Answer))
					progress("run %d/%d %s: DIFFERENT ANSWERS: engine %+v, loop %+v", r+1, *runs, qr.Name, *run.Engine.Answer, *run.Loop.Answer)
				}
			}
			qr.Runs = append(qr.Runs, run)
		}
	}
	for _, qr := range rep.Queries {
		summarize(qr)
		if qr.Skip == "" && *runs > 0 && (!qr.SameAnswer || len(qr.Runs) < *runs) {
			failed = true
		}
	}

	// Latency.
	if *latency {
		t0 := time.Now()
		for _, name := range latNames {
			qr := byName[name]
			if qr == nil || qr.Skip != "" {
				continue
			}
			rate := *latencyRate
			if rate == 0 {
				rate = 10_000
				if qr.EngineEventsS > 0 {
					rate = float64(int64(qr.EngineEventsS / 2))
				}
			}
			for _, iv := range intervals {
				res, err := child(qr, "--impl", "latency", "--commit-interval-ms", strconv.FormatInt(iv.Milliseconds(), 10),
					"--rate", strconv.FormatFloat(rate, 'f', -1, 64), "--duration", latencyDur.String())
				if err != nil {
					qr.LatencyErrors = append(qr.LatencyErrors, fmt.Sprintf("commit %v: %v", iv, err))
					progress("latency %s commit %v: FAILED: %v", qr.Name, iv, err)
					failed = true
					continue
				}
				l := res.Latency
				progress("latency %-9s commit %4dms  rate %8.0f/s (achieved %8.0f/s)  p50 %7.1f ms  p99 %7.1f ms  (%d samples, %d unfinished)",
					qr.Name, l.CommitMs, l.Rate, l.Achieved, l.P50Ms, l.P99Ms, l.Samples, l.Unfinished)
				qr.Latency = append(qr.Latency, l)
			}
		}
		rep.LatencySecs = time.Since(t0).Seconds()
	}
	rep.LoadAfter = loadavg()
	rep.Seconds = time.Since(rep.Started).Seconds()
	if *jsonOut {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return failed, enc.Encode(rep)
	}
	printBench(os.Stdout, rep)
	return failed, nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func summarize(qr *benchQueryReport) {
	if qr.Skip != "" {
		return
	}
	var ec, lc, ratio, es, ls, er, lr []float64
	qr.SameAnswer = len(qr.Runs) > 0
	for _, r := range qr.Runs {
		if r.Engine != nil {
			ec, es, er = append(ec, r.Engine.EventsCPU), append(es, r.Engine.EventsS), append(er, float64(r.Engine.PeakRSS))
			qr.EngineOutputs = r.Engine.Answer.Records
		}
		if r.Loop != nil {
			lc, ls, lr = append(lc, r.Loop.EventsCPU), append(ls, r.Loop.EventsS), append(lr, float64(r.Loop.PeakRSS))
			qr.LoopOutputs = r.Loop.Answer.Records
		}
		if r.Ratio > 0 {
			ratio = append(ratio, r.Ratio)
		}
		qr.SameAnswer = qr.SameAnswer && r.Same
	}
	qr.EngineEventsCPU, qr.LoopEventsCPU, qr.Ratio = median(ec), median(lc), median(ratio)
	qr.EngineEventsS, qr.LoopEventsS = median(es), median(ls)
	qr.EngineRSS, qr.LoopRSS = int64(median(er)), int64(median(lr))
}

func kilo(v float64) string {
	switch {
	case v == 0:
		return "-"
	case v >= 10e6:
		return fmt.Sprintf("%.1fM", v/1e6)
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.0fK", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}

func mib(b int64) string {
	if b <= 0 {
		return "-"
	}
	return fmt.Sprintf("%d MB", (b+1<<19)>>20)
}

func printBench(w io.Writer, rep *benchReport) {
	fmt.Fprintf(w, "ksql bench: %s events per query (%s events/s of event time), %d run(s) interleaved, %d partitions, seed %d\n",
		kilo(float64(rep.Events)), kilo(rep.EventRate), rep.Runs, rep.Partitions, rep.Seed)
	fmt.Fprintf(w, "binary %s, %s; %s, %d CPUs; load average %s before, %s after; %.0f s\n\n",
		rep.Revision, rep.GoVersion, rep.Machine, rep.CPUs, rep.LoadBefore, rep.LoadAfter, rep.Seconds)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "query\tengine ev/cpu-s\tloop ev/cpu-s\tengine/loop\tengine ev/s\tloop ev/s\tengine RSS\tloop RSS\toutputs engine\tloop\tanswer\t")
	for _, q := range rep.Queries {
		if q.Skip != "" || len(q.Runs) == 0 {
			continue
		}
		same := "same"
		if !q.SameAnswer {
			same = "DIFFERENT"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.2f\t%s\t%s\t%s\t%s\t%d\t%d\t%s\t\n", q.Name, kilo(q.EngineEventsCPU), kilo(q.LoopEventsCPU),
			q.Ratio, kilo(q.EngineEventsS), kilo(q.LoopEventsS), mib(q.EngineRSS), mib(q.LoopRSS), q.EngineOutputs, q.LoopOutputs, same)
	}
	tw.Flush()
	for _, q := range rep.Queries {
		if q.Skip != "" {
			fmt.Fprintf(w, "%s: skipped: %s\n", q.Name, q.Skip)
		}
	}
	fmt.Fprintln(w, "\nevents/cpu-s: input records per second of the child's user+sys CPU over the query run (loading excluded); medians; engine/loop: median of the per-run ratios")
	fmt.Fprintln(w, "\nevery run (events/cpu-s, engine | loop):")
	for _, q := range rep.Queries {
		if q.Skip != "" {
			continue
		}
		var parts []string
		for _, r := range q.Runs {
			e, l := "failed", "failed"
			if r.Engine != nil {
				e = kilo(r.Engine.EventsCPU)
			}
			if r.Loop != nil {
				l = kilo(r.Loop.EventsCPU)
			}
			parts = append(parts, e+" | "+l)
			for _, msg := range r.Errors {
				parts = append(parts, "("+msg+")")
			}
		}
		fmt.Fprintf(w, "  %-9s %s\n", q.Name, strings.Join(parts, ";  "))
	}
	var lat bool
	for _, q := range rep.Queries {
		lat = lat || len(q.Latency) > 0 || len(q.LatencyErrors) > 0
	}
	if !lat {
		return
	}
	fmt.Fprintln(w, "\nlatency: input at a fixed rate, record time = wall clock at append; from append to visible to a read_committed reader (1 ms resolution; the first second is warm-up)")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "query\tcommit\trate/s\tachieved/s\tp50 ms\tp99 ms\tmax ms\tsamples\tunfinished\t")
	for _, q := range rep.Queries {
		for _, l := range q.Latency {
			fmt.Fprintf(tw, "%s\t%d ms\t%s\t%s\t%.1f\t%.1f\t%.1f\t%d\t%d\t\n", q.Name, l.CommitMs, kilo(l.Rate), kilo(l.Achieved), l.P50Ms, l.P99Ms, l.MaxMs, l.Samples, l.Unfinished)
		}
	}
	tw.Flush()
	for _, q := range rep.Queries {
		for _, e := range q.LatencyErrors {
			fmt.Fprintf(w, "%s latency failed: %s\n", q.Name, e)
		}
	}
}

// buildRevision names the source of a binary built without VCS stamps
// (go build -ldflags "-X main.buildRevision=...").
var buildRevision string

// revision is the commit the binary was built from (with "+modified"
// when its tree had changes), from the build's VCS stamp.
func revision() string {
	if buildRevision != "" {
		return buildRevision
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	rev, mod := "", ""
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				mod = "+modified"
			}
		}
	}
	if rev == "" {
		// Not stamped (-buildvcs=false): say what the working directory's
		// checkout is, and that it is only that.
		out, err := exec.Command("git", "rev-parse", "--short=12", "HEAD").Output()
		if err != nil {
			return "unknown (not VCS-stamped)"
		}
		st, _ := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output()
		if len(bytes.TrimSpace(st)) > 0 {
			mod = "+modified"
		}
		return strings.TrimSpace(string(out)) + mod + " (git HEAD of the working directory; the binary is not VCS-stamped)"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	return rev + mod
}

func machine() string {
	model := ""
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	s := runtime.GOOS + "/" + runtime.GOARCH
	if model != "" {
		s += " " + model
	}
	return s
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
