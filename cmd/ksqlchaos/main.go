// Command ksqlchaos checks exactly-once output of the real ksql binary
// under random stops. A campaign starts `ksql server` on one data
// directory, creates an input stream and four persistent queries over
// HTTP, inserts rows while the server runs, and stops it again and again
// with SIGKILL or SIGTERM at random moments, restarting it on the same
// directory; between runs it appends rows straight to the input topic,
// and now and then it drops a query's output with its topic and creates
// it again. At the end it lets every query catch up, stops the server and
// checks each output against a model computed from the input actually
// present: nothing lost, nothing twice, per-key order, exact final values.
//
//	go run ./cmd/ksqlchaos                # 10 stops
//	go run ./cmd/ksqlchaos -stops 100 -v  # the long campaign
//	go run ./cmd/ksqlchaos -log kafka -stops 100  # over Kafka (kfake)
//
// With -log kafka the server runs over a Kafka cluster (`ksql server
// --bootstrap-servers`): kfake, franz-go's in-memory fake Kafka, served by
// this binary in a helper process (the hidden mode `ksqlchaos serve-kfake
// -addr 127.0.0.1:0`), so that stopping the engine never stops the
// cluster. The harness then appends input and reads outputs as a Kafka
// client (kafkaproto.ClientLog, read_committed), also while the server
// runs, and some restarts begin on an empty state directory.
//
// It exits 1 when it finds a violation (or cannot check), 2 on a harness
// error. docs/reliability.md describes what it checks.
//
// The files: campaign.go (runs, stops, final run), server.go (the
// process and its HTTP API), schema.go (creating, repairing, dropping
// the workload's queries), workload.go (statements, rows, inserts),
// outputs.go (the deployments, embedded or Kafka; reading topics through
// the Outputs interface; direct appends), kfake.go (the kfake helper
// process), check.go (the model and the checks), report.go (the summary).
package main

import (
	"flag"
	"fmt"
	"os"
	"time"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == serveKfakeMode {
		os.Exit(serveKfake(os.Args[2:]))
	}
	var cfg Config
	logKind := flag.String("log", "embedded", "log the server runs over: embedded, or kafka (a kfake cluster in a helper process)")
	flag.Float64Var(&cfg.WipeStateProb, "wipe-state-prob", 0.2, "with -log kafka: probability that a restart begins on an empty state directory (restored from the changelogs)")
	flag.IntVar(&cfg.Stops, "stops", 10, "number of random stops before the final run")
	flag.Int64Var(&cfg.Seed, "seed", 0, "seed of every random choice (0: from the clock)")
	flag.Float64Var(&cfg.KillRatio, "kill-ratio", 0.5, "share of stops made with SIGKILL; the rest use SIGTERM")
	flag.Float64Var(&cfg.DropProb, "drop-prob", 0.2, "probability that a run drops one output with its topic and creates it again")
	flag.StringVar(&cfg.DataDir, "data-dir", "", "data directory, empty or absent (default: a temporary directory)")
	flag.IntVar(&cfg.Rate, "rate", 200, "rows per second inserted over HTTP while the server runs")
	flag.StringVar(&cfg.Sync, "sync", "", "ksql.log.sync for the server: always or interval (default: the server's)")
	flag.StringVar(&cfg.Binary, "binary", "", "ksql binary to drive (default: go build ./cmd/ksql)")
	flag.DurationVar(&cfg.MinUp, "min-up", 50*time.Millisecond, "earliest stop after a start (stops are log-uniform between -min-up and -max-up)")
	flag.DurationVar(&cfg.MaxUp, "max-up", 3*time.Second, "latest stop after a start")
	flag.DurationVar(&cfg.DrainTimeout, "drain-timeout", 3*time.Minute, "how long the final run waits for the queries to catch up")
	flag.BoolVar(&cfg.Keep, "keep", false, "keep the temporary data directory when the campaign fails")
	verbose := flag.Bool("v", false, "print each run as it happens")
	flag.Parse()
	switch *logKind {
	case "embedded":
	case "kafka":
		cfg.Kafka = true
	default:
		fmt.Fprintf(os.Stderr, "ksqlchaos: -log %q: want embedded or kafka\n", *logKind)
		os.Exit(2)
	}
	if cfg.Seed == 0 {
		cfg.Seed = time.Now().UnixNano()
	}
	if *verbose {
		cfg.Log = os.Stderr
	}
	sum, err := Run(cfg)
	sum.Print(os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ksqlchaos:", err)
		os.Exit(2)
	}
	if sum.Failed() {
		os.Exit(1)
	}
}
