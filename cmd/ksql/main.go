// Command ksql is the streaming SQL engine in one binary:
//
//	ksql server [--data-dir DIR] [--queries-file FILE] [--config FILE]
//	ksql test PATH...                      (ksqlDB query-validation test files)
//	ksql test --rqtt PATH...               (ksqlDB REST query-validation test files)
//	ksql test -s statements.sql -i input.json -o output.json
//	ksql datagen [--data-dir DIR | --bootstrap-servers HOST:PORT] ...   (Nexmark and card events)
//	ksql bench [--events N] [--queries q0,...] [--runs 3] [--json]      (the Nexmark benchmark)
//
// It wires flags and signals to the engine; it holds no logic of its own.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"regexp"
	"syscall"

	"github.com/ksqlgo/ksql/engine"
	"github.com/ksqlgo/ksql/engine/qtt"
	"github.com/ksqlgo/ksql/rest/rqtt"
)

const usage = `usage:
  ksql server [--data-dir DIR] [--queries-file FILE] [--config FILE] [--set key=value ...]
  ksql test [--run REGEXP] [-v] PATH...
  ksql test --rqtt [--run REGEXP] [-v] PATH...   (REST query-validation tests)
  ksql test -s statements.sql -i input.json -o output.json
  ksql datagen [--data-dir DIR | --bootstrap-servers HOST:PORT] [--streams bid,...] [--count N | --rate R --duration D]
  ksql bench [--events N] [--queries q0,q1,...] [--runs N] [--json] [--latency=false]   (docs/benchmarks.md)
`

func main() {
	if len(os.Args) < 2 || isShellArg(os.Args[1]) {
		os.Exit(runShell(os.Args[1:])) // the ksql> shell: cmd/ksql/shell.go
	}
	var err error
	switch os.Args[1] {
	case "server":
		err = runServer(os.Args[2:])
	case "test":
		var failed bool
		failed, err = runTest(os.Args[2:])
		if err == nil && failed {
			os.Exit(1)
		}
	case "datagen":
		err = runDatagen(os.Args[2:])
	case "bench":
		var failed bool
		failed, err = runBench(os.Args[2:])
		if err == nil && failed {
			os.Exit(1)
		}
	case benchChildCommand: // hidden: one measured query run of `ksql bench`
		err = runBenchChild(os.Args[2:])
	case "-h", "--help", "help":
		fmt.Print(usage)
		return
	default:
		err = fmt.Errorf("unknown command %q\n%s", os.Args[1], usage)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "ksql:", err)
		os.Exit(1)
	}
}

// propertyFlags collects repeated --set key=value flags.
type propertyFlags map[string]string

func (p propertyFlags) String() string { return fmt.Sprint(map[string]string(p)) }
func (p propertyFlags) Set(s string) error {
	for i := 0; i < len(s); i++ {
		if s[i] == '=' {
			p[s[:i]] = s[i+1:]
			return nil
		}
	}
	return fmt.Errorf("expected key=value, got %q", s)
}

func runServer(args []string) error {
	fs := flag.NewFlagSet("server", flag.ExitOnError)
	dataDir := fs.String("data-dir", "ksql-data", "directory for the embedded log and the state store")
	queriesFile := fs.String("queries-file", "", "run headless: execute this file of statements and serve no API")
	configFile := fs.String("config", "", "properties file (key=value lines, ksqlDB's server.properties style)")
	api := addAPIFlags(fs)
	kafka := addKafkaFlags(fs)
	props := propertyFlags{}
	fs.Var(props, "set", "set a property, key=value (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg := engine.ServerConfig{DataDir: *dataDir, QueriesFile: *queriesFile, Properties: map[string]string{}}
	if *configFile != "" {
		p, err := engine.ReadProperties(*configFile)
		if err != nil {
			return err
		}
		cfg.Properties = p
	}
	for k, v := range props {
		cfg.Properties[k] = v
	}
	if qf := cfg.Properties["ksql.queries.file"]; qf != "" && cfg.QueriesFile == "" {
		cfg.QueriesFile = qf
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	kafkaReady, err := kafka.startKafka(cfg.Properties, set)
	if err != nil {
		return err
	}
	apiReady, err := api.startAPI(cfg.Properties, cfg.QueriesFile != "", set)
	if err != nil {
		return err
	}
	cfg.Ready = bothReady(kafkaReady, apiReady)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if cfg.Log, cfg.LogName, err = kafka.dialCluster(ctx, cfg.Properties, set); err != nil {
		return err
	}
	return engine.Serve(ctx, cfg, os.Stderr)
}

func runTest(args []string) (bool, error) {
	fs := flag.NewFlagSet("test", flag.ExitOnError)
	stmts := fs.String("s", "", "statements file (ksql-test-runner form)")
	input := fs.String("i", "", "input records file (ksql-test-runner form)")
	output := fs.String("o", "", "expected output records file (ksql-test-runner form)")
	run := fs.String("run", "", "run only cases whose 'file :: name' matches this regular expression")
	verbose := fs.Bool("v", false, "print the reason for passing cases too")
	restTests := fs.Bool("rqtt", false, "the files are ksqlDB's REST query-validation tests: run them against a server over loopback HTTP")
	if err := fs.Parse(args); err != nil {
		return false, err
	}
	opts := qtt.Options{}
	if *run != "" {
		re, err := regexp.Compile(*run)
		if err != nil {
			return false, err
		}
		opts.Filter = re
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var sum qtt.Summary
	report := func(r qtt.Result) {
		qtt.Print(os.Stdout, r, *verbose)
		sum.Add(r)
	}
	if *restTests {
		if err := rqtt.RunPaths(ctx, fs.Args(), rqtt.Options{Filter: opts.Filter}, rqtt.NewEngineServer, report); err != nil {
			return false, err
		}
	} else if *stmts != "" {
		r, err := qtt.RunTestRunner(ctx, *stmts, *input, *output, opts)
		if err != nil {
			return false, err
		}
		report(r)
	} else {
		if fs.NArg() == 0 {
			return false, errors.New("ksql test: name QTT files or folders, or use -s/-i/-o")
		}
		if err := qtt.RunPaths(ctx, fs.Args(), opts, report); err != nil {
			return false, err
		}
	}
	fmt.Println(sum.Line())
	if sum.ExpectedErrors > 0 {
		fmt.Printf("expected errors: %d of %d runs (%.0f%%) rejected as ksqlDB rejects them, with its message\n",
			sum.MessagesMatched, sum.ExpectedErrors, 100*float64(sum.MessagesMatched)/float64(sum.ExpectedErrors))
	}
	return sum.Failed > 0, nil
}

// bothReady runs the Ready hooks in order (nil ones skipped) and their
// stops in reverse order.
func bothReady(hooks ...func(*engine.Engine) func()) func(*engine.Engine) func() {
	return func(eng *engine.Engine) func() {
		var stops []func()
		for _, h := range hooks {
			if h == nil {
				continue
			}
			if stop := h(eng); stop != nil {
				stops = append(stops, stop)
			}
		}
		return func() {
			for i := len(stops) - 1; i >= 0; i-- {
				stops[i]()
			}
		}
	}
}
