package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ksqlgo/ksql/cli"
	"github.com/ksqlgo/ksql/engine"
	"github.com/ksqlgo/ksql/rest"
	"github.com/ksqlgo/ksql/rest/client"
)

// isShellArg says whether ksql's first argument starts the shell: a
// server address or a shell flag.
func isShellArg(a string) bool {
	return strings.HasPrefix(a, "http://") || strings.HasPrefix(a, "https://") || strings.HasPrefix(a, "-") && a != "-h" && a != "--help"
}

// embeddedDataDir is where the shell's in-process engine keeps its data.
const embeddedDataDir = "ksql-data"

// runShell is `ksql [SERVER] [flags]`: the ksql> shell. Without a server
// address it connects to http://localhost:8088 as ksqlDB's CLI does (the
// environment variable KSQL_DEFAULT_SERVER overrides that address); when
// nothing answers there it starts the engine in-process on ./ksql-data
// with its REST API on a loopback port and opens the shell over REST.
func runShell(args []string) int {
	opts, err := cli.ParseArgs(args)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ksql:", err)
		return 2
	}
	if !opts.ServerGiven {
		if env := os.Getenv("KSQL_DEFAULT_SERVER"); env != "" {
			opts.Server = env
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	note := ""
	if !opts.ServerGiven && !answers(ctx, opts) {
		addr, stop, err := startEmbedded(ctx, embeddedDataDir)
		if err != nil {
			fmt.Fprintf(os.Stderr, "ksql: no server answered at %s, and starting one in-process failed: %v\n", opts.Server, err)
			return 1
		}
		defer stop()
		note = fmt.Sprintf("No server answered at %s: started the engine in-process on ./%s (log: ./%s), serving its API on http://%s.",
			opts.Server, embeddedDataDir, filepath.Join(embeddedDataDir, "ksql.log"), addr)
		opts.Server = "http://" + addr
	}
	return cli.Run(ctx, opts, note)
}

// answers reports whether a server answers GET /info at opts.Server.
func answers(ctx context.Context, opts cli.Options) bool {
	cl, err := client.New(opts.Server, client.Options{Username: opts.User, Password: opts.Password})
	if err != nil {
		return false
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	_, err = cl.Info(ctx)
	if err == nil {
		return true
	}
	_, isHTTP := err.(*client.Error) // something answered, if only with an error
	return isHTTP
}

// startEmbedded runs the engine on dataDir with its REST API on a
// loopback port; stop shuts both down and waits.
func startEmbedded(ctx context.Context, dataDir string) (addr string, stop func(), err error) {
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return "", nil, err
	}
	logf, err := os.OpenFile(filepath.Join(dataDir, "ksql.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return "", nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	ready := make(chan string, 1)
	done := make(chan error, 1)
	cfg := engine.ServerConfig{DataDir: dataDir, Properties: map[string]string{}}
	cfg.Ready = func(eng *engine.Engine) func() {
		srv, a, err := rest.Serve(eng, "127.0.0.1:0", rest.Options{})
		if err != nil {
			fmt.Fprintf(logf, "HTTP API not started: %v\n", err)
			ready <- ""
			return nil
		}
		fmt.Fprintf(logf, "HTTP API listening on http://%s\n", a)
		ready <- a
		return func() { _ = srv.Close() }
	}
	go func() { done <- engine.Serve(ctx, cfg, logf) }()
	select {
	case a := <-ready:
		if a == "" {
			cancel()
			<-done
			logf.Close()
			return "", nil, fmt.Errorf("the HTTP API did not start (see %s)", logf.Name())
		}
		return a, func() { cancel(); <-done; logf.Close() }, nil
	case err := <-done:
		cancel()
		logf.Close()
		if err == nil {
			err = fmt.Errorf("the engine stopped at once")
		}
		return "", nil, err
	}
}
