package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ksqlgo/ksql/rest/client"
)

// Version is the shell's version, printed in the banner.
const Version = "0.1.0"

// Output formats (ksqlDB's OutputFormat).
const (
	Tabular = "TABULAR"
	JSON    = "JSON"
)

// Config is what a Shell needs.
type Config struct {
	Client *client.Client
	// Out receives everything the shell prints.
	Out io.Writer
	// Width returns the console width (<= 0: 80).
	Width func() int
	// Format is TABULAR (default) or JSON.
	Format string
	// Properties are local properties sent with every request (from
	// --config-file); SET and UNSET change them.
	Properties map[string]string
	// Variables are session variables (--define); DEFINE and UNDEFINE
	// change them.
	Variables map[string]string
	// Interrupts delivers CTRL-C (SIGINT) while a query runs; nil: none.
	Interrupts <-chan os.Signal
	// ServerNote, when set, is printed in the banner under the server's
	// status (the shell started the server itself, ...).
	ServerNote string
}

// Shell runs statements against one server through the REST client and
// prints their results as ksqlDB's CLI does.
type Shell struct {
	cfg    Config
	client *client.Client
	out    io.Writer
	format string
	props  map[string]string
	vars   map[string]string

	mu    sync.Mutex
	names []string // stream, table, topic and function names for completion
}

// New returns a shell.
func New(cfg Config) *Shell {
	s := &Shell{cfg: cfg, client: cfg.Client, out: cfg.Out, format: Tabular, props: map[string]string{}, vars: map[string]string{}}
	if strings.EqualFold(cfg.Format, JSON) {
		s.format = JSON
	}
	for k, v := range cfg.Properties {
		s.props[k] = v
	}
	for k, v := range cfg.Variables {
		s.vars[k] = v
	}
	if s.out == nil {
		s.out = os.Stdout
	}
	return s
}

func (s *Shell) width() int {
	if s.cfg.Width != nil {
		if w := s.cfg.Width(); w > 0 {
			return w
		}
	}
	return 80
}

// ErrExit is returned by Execute for the exit command.
var ErrExit = errors.New("exit")

const helpReminder = "Having trouble? Type 'help' (case-insensitive) for a rundown of how things work!"

var logo = []string{
	"",
	"===========================================",
	"=       _              _ ____  ____       =",
	"=      | | _____  __ _| |  _ \\| __ )      =",
	"=      | |/ / __|/ _` | | | | |  _ \\      =",
	"=      |   <\\__ \\ (_| | | |_| | |_) |     =",
	"=      |_|\\_\\___/\\__, |_|____/|____/      =",
	"=                   |_|                   =",
	"=        The Database purpose-built       =",
	"=        for stream processing apps       =",
	"===========================================",
}

// Banner prints the welcome message: the logo, the versions, the server's
// address and status, and the help reminder.
func (s *Shell) Banner(ctx context.Context) {
	serverVersion, status := "<unknown>", "<unknown>"
	ictx, cancel := context.WithTimeout(ctx, 10*time.Second)
	info, err := s.client.Info(ictx)
	cancel()
	if err == nil {
		serverVersion = info.Version
		if info.ServerStatus != "" {
			status = info.ServerStatus
		}
	}
	consoleWidth := min(s.width(), len(helpReminder))
	logoWidth := 0
	for _, l := range logo {
		logoWidth = max(logoWidth, len(l))
	}
	if consoleWidth < logoWidth {
		fmt.Fprintln(s.out, "ksqlDB, Copyright 2017-2022 Confluent Inc.")
	} else {
		pad := strings.Repeat(" ", (consoleWidth-logoWidth)/2)
		for _, l := range logo {
			fmt.Fprintln(s.out, pad+l)
		}
		fmt.Fprintln(s.out)
		fmt.Fprintln(s.out, "Copyright 2017-2022 Confluent Inc.")
	}
	fmt.Fprintln(s.out)
	fmt.Fprintf(s.out, "CLI v%s, Server v%s located at %s\n", Version, serverVersion, s.client.URL())
	fmt.Fprintln(s.out, "Server Status: "+status)
	if s.cfg.ServerNote != "" {
		fmt.Fprintln(s.out, s.cfg.ServerNote)
	}
	if err != nil {
		fmt.Fprintf(s.out, "\n**************** WARNING ******************\nRemote server at %s does not appear to be valid: %v\n*******************************************\n", s.client.URL(), err)
	}
	fmt.Fprintln(s.out)
	fmt.Fprintln(s.out, helpReminder)
	fmt.Fprintln(s.out)
}

// ExecuteScript runs every statement of text in order (-e, -f, RUN
// SCRIPT) and stops at the first that fails, returning its error (already
// printed).
func (s *Shell) ExecuteScript(ctx context.Context, text string) error {
	stmts, rest := SplitStatements(text)
	if rest != "" {
		stmts = append(stmts, rest)
	}
	for _, st := range stmts {
		if err := s.Execute(ctx, st); err != nil {
			return err
		}
	}
	return nil
}

// Execute runs one statement (or shell command) and prints its result.
// Errors are printed too; the error returned says the statement failed
// (ErrExit for exit).
func (s *Shell) Execute(ctx context.Context, stmt string) error {
	err := s.execute(ctx, stmt)
	var printed errPrinted
	if err != nil && !errors.Is(err, ErrExit) && !errors.As(err, &printed) {
		s.printError(err)
	}
	return err
}

func (s *Shell) printError(err error) {
	var e *client.Error
	if errors.As(err, &e) && len(e.Entities) > 0 {
		s.printEntities(e.Entities)
	}
	fmt.Fprintln(s.out, err.Error())
}

func (s *Shell) printEntities(ents []client.Entity) {
	if s.format == JSON {
		if len(ents) == 0 {
			// Jackson's pretty printer, as ksqlDB's CLI (INSERT VALUES
			// answers with no entity).
			fmt.Fprintln(s.out, "[ ]")
			return
		}
		printJSON(s.out, ents)
		return
	}
	PrintEntities(s.out, ents, s.width())
}

// localCommand runs the shell's own commands, recognized on a line of
// their own (a trailing ';' is allowed): help, exit, quit, clear, output,
// history, version, server. It reports whether line was one.
func (s *Shell) localCommand(line string, history func() []string) (bool, error) {
	parts := strings.Fields(strings.TrimRight(strings.TrimSpace(line), ";"))
	if len(parts) == 0 {
		return false, nil
	}
	switch strings.ToLower(parts[0]) {
	case "help":
		if len(parts) == 1 {
			s.help()
			return true, nil
		}
	case "exit", "quit":
		if len(parts) == 1 {
			return true, ErrExit
		}
	case "clear":
		if len(parts) == 1 {
			fmt.Fprint(s.out, "\033[H\033[2J")
			return true, nil
		}
	case "version":
		if len(parts) == 1 {
			fmt.Fprintf(s.out, "Version: %s\n", Version)
			return true, nil
		}
	case "server":
		if len(parts) == 1 {
			fmt.Fprintln(s.out, "Server: "+s.client.URL())
			return true, nil
		}
	case "history":
		if len(parts) == 1 && history != nil {
			for i, h := range history() {
				fmt.Fprintf(s.out, "%5d  %s\n", i+1, h)
			}
			return true, nil
		}
	case "output":
		switch len(parts) {
		case 1:
			fmt.Fprintf(s.out, "Output format: %s\n", s.format)
			return true, nil
		case 2:
			f := strings.ToUpper(parts[1])
			if f != Tabular && f != JSON {
				fmt.Fprintf(s.out, "Invalid output format: '%s' (valid formats: [JSON, TABULAR])\n", parts[1])
				return true, nil
			}
			s.format = f
			fmt.Fprintf(s.out, "Output format set to %s\n", f)
			return true, nil
		}
	}
	return false, nil
}

func (s *Shell) help() {
	w := s.out
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Description:")
	fmt.Fprintln(w, "\tThe KSQL CLI provides a terminal-based interactive shell for running queries. Each command should be on a separate line. For KSQL command syntax, see the documentation at https://docs.ksqldb.io/en/latest/developer-guide/syntax-reference/")
	fmt.Fprintln(w)
	for _, c := range [][2]string{
		{"help", "Show this message."},
		{"clear", "Clear the current terminal."},
		{"output", "View the current output format.\noutput <format>:\n\tSet the output format to <format> (valid formats: 'JSON', 'TABULAR')\n\tFor example: \"output JSON\""},
		{"history", "Show previous lines entered during the current CLI session. You can use up and down arrow keys to view previous lines."},
		{"version", "Get the current ksqlDB version."},
		{"server", "Show the server the CLI is connected to."},
		{"exit", "Exit the CLI."},
		{"run script <path_to_sql_file>", "Run the statements of a file; also RUN SCRIPT '<path_to_sql_file>';"},
		{"SET '<property>' = '<value>';", "Set a local property, sent with every following statement (UNSET '<property>'; removes it)."},
		{"DEFINE <name> = '<value>';", "Define a session variable, substituted for ${<name>} (UNDEFINE <name>; removes it; SHOW VARIABLES; lists them)."},
	} {
		fmt.Fprintf(w, "%s:\n\t%s\n\n", c[0], c[1])
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Keyboard shortcuts:")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "    The KSQL CLI supports these keyboard shorcuts:")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "CTRL+D:\n\tEnd your KSQL CLI session.")
	fmt.Fprintln(w, "CTRL+C:\n\tStop a running query, or clear the line being typed.")
	fmt.Fprintln(w, "CTRL+R:\n\tSearch your command history.")
	fmt.Fprintln(w, "Up and Down arrow keys:\n\tScroll up or down through your command history.")
	fmt.Fprintln(w, "Tab:\n\tComplete keywords and stream, table, topic and function names.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Default behavior:")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "    Lines are read one at a time and are sent to the server as KSQL unless one of the following is true:")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "    1. The line is empty or entirely whitespace. In this case, no request is made to the server.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "    2. The line is not an in-built CLI command and does not end with a semi-colon. In this case, the cli enters multi-line mode where lines are continuously read until a line is encountered that is terminated with a semi-colon, the concatenation of all lines read during this time is sent to the server as KSQL.")
	fmt.Fprintln(w)
}

func (s *Shell) execute(ctx context.Context, stmt string) error {
	if ok, err := s.localCommand(stmt, nil); ok {
		return err
	}
	toks := tokens(stmt)
	if len(toks) == 0 {
		return nil
	}
	switch {
	case toks[0].is("SET") && len(toks) >= 4 && toks[1].kind == '\'' && toks[2].text == "=" && toks[3].kind == '\'':
		return s.setProperty(ctx, toks[1].text, toks[3].text)
	case toks[0].is("UNSET") && len(toks) >= 2 && toks[1].kind == '\'':
		return s.unsetProperty(toks[1].text)
	case toks[0].is("DEFINE") && len(toks) >= 4 && toks[2].text == "=" && toks[3].kind == '\'':
		s.vars[toks[1].text] = toks[3].text
		return nil
	case toks[0].is("UNDEFINE") && len(toks) >= 2:
		if _, ok := s.vars[toks[1].text]; !ok {
			fmt.Fprintf(s.out, "Cannot undefine variable '%s' which was never defined.\n", toks[1].text)
			return nil
		}
		delete(s.vars, toks[1].text)
		return nil
	case (toks[0].is("SHOW") || toks[0].is("LIST")) && len(toks) >= 2 && toks[1].is("VARIABLES"):
		vars := make([]client.Variable, 0, len(s.vars))
		for k, v := range s.vars {
			vars = append(vars, client.Variable{Name: k, Value: v})
		}
		if s.format == JSON {
			printJSON(s.out, map[string]any{"@type": "variables", "statementText": stmt, "variables": vars})
			return nil
		}
		fmt.Fprintln(s.out)
		printVariables(s.out, vars, s.width())
		return nil
	case toks[0].is("RUN") && len(toks) >= 3 && toks[1].is("SCRIPT"):
		return s.runScript(ctx, toks[2].text)
	case toks[0].is("PRINT"):
		return s.printTopic(ctx, stmt)
	case toks[0].is("SELECT"):
		return s.query(ctx, stmt)
	}
	ents, err := s.client.Ksql(ctx, client.Request{KSQL: stmt, StreamsProperties: s.propsAny(), SessionVariables: s.varsAny()})
	if err != nil {
		return err
	}
	s.printEntities(ents)
	if toks[0].is("CREATE") || toks[0].is("DROP") {
		s.RefreshNames(ctx)
	}
	return nil
}

func (s *Shell) propsAny() map[string]any { return asAny(s.props) }

func (s *Shell) varsAny() map[string]any { return asAny(s.vars) }

// asAny copies a string map into the map type the client's requests take
// (nil when empty).
func asAny(in map[string]string) map[string]any {
	if len(in) == 0 {
		return nil
	}
	m := make(map[string]any, len(in))
	for k, v := range in {
		m[k] = v
	}
	return m
}

func (s *Shell) setProperty(ctx context.Context, name, value string) error {
	if err := s.client.IsValidProperty(ctx, name); err != nil {
		return err
	}
	prior, had := s.props[name]
	s.props[name] = value
	if had {
		fmt.Fprintf(s.out, "Successfully changed local property '%s' from '%s' to '%s'.\n", name, prior, value)
	} else {
		fmt.Fprintf(s.out, "Successfully changed local property '%s' to '%s'. Use the UNSET command to revert your change.\n", name, value)
	}
	return nil
}

func (s *Shell) unsetProperty(name string) error {
	old, ok := s.props[name]
	if !ok {
		return fmt.Errorf("Cannot unset local property '%s' which was never set in the first place", name)
	}
	delete(s.props, name)
	fmt.Fprintf(s.out, "Successfully unset local property '%s' (value was '%s').\n", name, old)
	return nil
}

func (s *Shell) runScript(ctx context.Context, path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("Failed to read file: %s (%v)", path, err)
	}
	return s.ExecuteScript(ctx, string(b))
}

// query runs a SELECT through POST /query and prints its rows until the
// stream ends or CTRL-C arrives; then "Query terminated".
func (s *Shell) query(ctx context.Context, stmt string) error {
	qctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Drop interrupts that arrived before the query.
	for drained := false; !drained && s.cfg.Interrupts != nil; {
		select {
		case <-s.cfg.Interrupts:
		default:
			drained = true
		}
	}
	var (
		imu         sync.Mutex
		interrupted bool
		queryID     string
	)
	done := make(chan struct{})
	defer close(done)
	if s.cfg.Interrupts != nil {
		go func() {
			select {
			case <-s.cfg.Interrupts:
				imu.Lock()
				interrupted = true
				id := queryID
				imu.Unlock()
				if id != "" {
					cctx, c := context.WithTimeout(context.Background(), 2*time.Second)
					_ = s.client.CloseQuery(cctx, id)
					c()
				}
				cancel()
			case <-done:
			}
		}()
	}
	rows, err := s.client.Query(qctx, client.QueryRequest{SQL: stmt, Properties: s.propsAny(), SessionVariables: s.varsAny()})
	if err != nil {
		imu.Lock()
		intr := interrupted
		imu.Unlock()
		if intr {
			fmt.Fprintln(s.out, "Query terminated")
			return nil
		}
		return err
	}
	defer rows.Close()
	imu.Lock()
	queryID = rows.QueryID
	imu.Unlock()
	fmt.Fprintln(s.out, "Press CTRL-C to interrupt")
	if len(rows.Columns) > 0 {
		if s.format == JSON {
			printJSON(s.out, map[string]any{"header": map[string]any{"queryId": rows.QueryID, "schema": schemaString(rows.Columns)}})
		} else {
			names := make([]string, len(rows.Columns))
			for i, c := range rows.Columns {
				names[i] = c.Name
			}
			fmt.Fprintln(s.out, BoxedRow(names, true, s.width(), 0, true))
		}
	}
	var qerr error
	for {
		row, err := rows.Next()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				imu.Lock()
				intr := interrupted
				imu.Unlock()
				if !intr {
					qerr = err
				}
			}
			break
		}
		switch {
		case s.format == JSON:
			r := map[string]any{"columns": row.Values}
			if row.Tombstone {
				r["tombstone"] = true
			}
			printJSON(s.out, map[string]any{"row": r})
		default:
			fmt.Fprintln(s.out, BoxedRow(RowValues(row), false, s.width(), 0, true))
		}
	}
	if qerr != nil {
		s.printError(qerr)
	}
	if m := rows.FinalMessage(); m != "" {
		fmt.Fprintln(s.out, m)
	}
	fmt.Fprintln(s.out, "Query terminated")
	if qerr != nil {
		return errPrinted{qerr}
	}
	return nil
}

// printTopic runs PRINT through POST /query, whose answer is plain text,
// and prints its lines (formats, then records) as they come, until the
// LIMIT, the server's end or CTRL-C; then "Topic printing ceased", as
// ksqlDB's CLI. A PRINT the server refuses prints the error's message.
func (s *Shell) printTopic(ctx context.Context, stmt string) error {
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for drained := false; !drained && s.cfg.Interrupts != nil; {
		select {
		case <-s.cfg.Interrupts:
		default:
			drained = true
		}
	}
	var interrupted atomic.Bool
	done := make(chan struct{})
	defer close(done)
	if s.cfg.Interrupts != nil {
		go func() {
			select {
			case <-s.cfg.Interrupts:
				// Cancelling the request ends the PRINT on the server.
				interrupted.Store(true)
				cancel()
			case <-done:
			}
		}()
	}
	lines, err := s.client.Print(pctx, client.QueryRequest{SQL: stmt, Properties: s.propsAny(), SessionVariables: s.varsAny()})
	if err != nil {
		if interrupted.Load() {
			fmt.Fprintln(s.out, "Topic printing ceased")
			return nil
		}
		return err
	}
	defer lines.Close()
	fmt.Fprintln(s.out, "Press CTRL-C to interrupt")
	var perr error
	for {
		l, err := lines.Next()
		if err != nil {
			if !errors.Is(err, io.EOF) && !interrupted.Load() {
				perr = err
			}
			break
		}
		fmt.Fprintln(s.out, l)
	}
	if perr != nil {
		s.printError(perr)
	}
	fmt.Fprintln(s.out, "Topic printing ceased")
	if perr != nil {
		return errPrinted{perr}
	}
	return nil
}

// errPrinted is an error already shown to the user.
type errPrinted struct{ error }

func schemaString(cols []client.Column) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = "`" + strings.ReplaceAll(c.Name, "`", "``") + "` " + c.Type
		if c.Key {
			parts[i] += " KEY"
		}
	}
	return strings.Join(parts, ", ")
}

// RefreshNames fetches stream, table, topic and function names for
// completion; failures leave the old names.
func (s *Shell) RefreshNames(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var names []string
	ents, err := s.client.Ksql(ctx, client.Request{KSQL: "SHOW STREAMS; SHOW TABLES;"})
	if err != nil {
		return
	}
	for _, e := range ents {
		switch v := e.Value.(type) {
		case *client.StreamsList:
			for _, x := range v.Streams {
				names = append(names, x.Name)
			}
		case *client.TablesList:
			for _, x := range v.Tables {
				names = append(names, x.Name)
			}
		}
	}
	for _, q := range []string{"SHOW TOPICS;", "SHOW FUNCTIONS;"} {
		ents, err := s.client.Ksql(ctx, client.Request{KSQL: q})
		if err != nil {
			continue
		}
		for _, e := range ents {
			switch v := e.Value.(type) {
			case *client.KafkaTopicsList:
				for _, x := range v.Topics {
					names = append(names, x.Name)
				}
			case *client.FunctionNameList:
				for _, x := range v.Functions {
					names = append(names, x.Name)
				}
			}
		}
	}
	sort.Strings(names)
	s.mu.Lock()
	s.names = names
	s.mu.Unlock()
}

func (s *Shell) completionNames() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.names
}
