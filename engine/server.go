package engine

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/sql/ast"
)

// ServerConfig configures a server process.
type ServerConfig struct {
	DataDir     string
	QueriesFile string
	Properties  map[string]string
	// Log, if set, is the log to run over (Config.Log); LogName says what
	// it is in the start-up message ("Kafka at host:port").
	Log     broker.Log
	LogName string
	// Ready, if set, is called once the engine is serving; what it
	// returns (if not nil) is called at shutdown, before the engine closes.
	Ready func(*Engine) func()

	// stateFault is passed to Config.stateFault (tests).
	stateFault func(op string) error
}

// ReadProperties reads a Java-style properties file: key=value lines,
// '#' and '!' comments.
func ReadProperties(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		i := strings.IndexAny(line, "=:")
		if i < 0 {
			return nil, fmt.Errorf("%s:%d: expected key=value", path, n)
		}
		out[strings.TrimSpace(line[:i])] = strings.TrimSpace(line[i+1:])
	}
	return out, sc.Err()
}

// Serve runs an engine until ctx is done, or until the engine fails (its
// state store failed: see Engine.Failed); then it stops every query and
// returns the failure, and a restart recovers. With a queries file it runs
// headless: the file's statements are executed at every start, in order,
// and no statements are accepted from elsewhere.
func Serve(ctx context.Context, cfg ServerConfig, logw io.Writer) error {
	logf := func(format string, args ...any) { fmt.Fprintf(logw, format+"\n", args...) }
	headless := cfg.QueriesFile != ""
	var text string
	if headless {
		b, err := os.ReadFile(cfg.QueriesFile)
		if err != nil {
			return fmt.Errorf("reading the queries file: %w", err)
		}
		text = string(b)
	}
	eng, err := Open(ctx, Config{DataDir: cfg.DataDir, Log: cfg.Log, Properties: cfg.Properties, Headless: headless, Logf: logf, stateFault: cfg.stateFault})
	if err != nil {
		return err
	}
	defer func() {
		if eng.Err() != nil {
			logf("shutting down: stopping queries (the state store failed: nothing more is committed)")
		} else {
			logf("shutting down: stopping queries and committing their progress")
		}
		if err := eng.Close(); err != nil {
			logf("shutdown: %v", err)
		}
	}()
	if headless {
		if err := eng.RunQueriesFile(ctx, cfg.QueriesFile, text); err != nil {
			return err
		}
		logf("headless mode: running %d persistent queries from %s (data in %s)", len(eng.Catalog().Queries()), cfg.QueriesFile, cfg.DataDir)
	} else {
		if cfg.Log != nil {
			logf("ksql engine running over %s (state in %s)", cfg.LogName, cfg.DataDir)
		} else {
			logf("ksql engine running on the embedded log in %s", cfg.DataDir)
		}
	}
	if cfg.Ready != nil {
		if stop := cfg.Ready(eng); stop != nil {
			defer stop()
		}
	}
	select {
	case <-ctx.Done():
		return nil
	case <-eng.Failed():
		return eng.Err()
	}
}

// headlessAllowed reports whether a statement may appear in a queries
// file, as ksqlDB's StandaloneExecutor decides.
func headlessAllowed(st ast.Statement) bool {
	switch st.(type) {
	case *ast.SetProperty, *ast.UnsetProperty, *ast.CreateSource, *ast.CreateType,
		*ast.CreateAsSelect, *ast.InsertInto, *ast.Define, *ast.Undefine:
		return true
	}
	return false
}

// statementKind names a statement for error messages.
func statementKind(st ast.Statement) string {
	words := strings.Fields(strings.ToUpper(st.Text()))
	if len(words) == 0 {
		return "statement"
	}
	if len(words) > 1 && (words[0] == "SHOW" || words[0] == "LIST" || words[0] == "DROP" || words[0] == "DESCRIBE") {
		return words[0] + " " + strings.TrimSuffix(words[1], ";")
	}
	return words[0]
}

// RunQueriesFile executes a headless queries file: every statement must
// be one ksqlDB allows there, and all are checked before any runs.
func (e *Engine) RunQueriesFile(ctx context.Context, name, text string) error {
	sess := NewSession()
	stmts, err := e.Parse(text, sess)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	for _, st := range stmts {
		if !headlessAllowed(st) {
			p := st.Position()
			return fmt.Errorf("%s:%d:%d: Unsupported statement in a queries file: %s\n  %s\nHeadless mode accepts only SET, UNSET, DEFINE, UNDEFINE, CREATE STREAM, CREATE TABLE, CREATE TYPE, CREATE STREAM/TABLE AS SELECT and INSERT INTO ... SELECT.",
				name, p.Line, p.Col, statementKind(st), firstLine(st.Text()))
		}
	}
	for _, st := range stmts {
		if _, err := e.ExecuteStatement(ctx, st, sess); err != nil {
			p := st.Position()
			return fmt.Errorf("%s:%d:%d: %w\n  %s", name, p.Line, p.Col, e.wrapError(st, text, err), firstLine(st.Text()))
		}
	}
	return nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " ..."
	}
	return s
}
