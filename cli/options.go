package cli

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"

	"github.com/chzyer/readline"

	"github.com/ksqlgo/ksql/rest/client"
)

// DefaultServer is where the shell connects when given no address, as
// ksqlDB's CLI.
const DefaultServer = "http://localhost:8088"

// Options are the shell's command line (ksqlDB's Options.java).
type Options struct {
	Server      string
	ServerGiven bool // the address was on the command line
	User        string
	Password    string
	Output      string
	Execute     string
	File        string
	Defines     map[string]string
	ConfigFile  string
	HTTP2       bool
}

// Usage describes the shell's command line.
const Usage = `usage: ksql [SERVER] [-u USER -p PASSWORD] [--output TABULAR|JSON] [-e STATEMENTS | -f FILE]
            [-d NAME=VALUE ...] [--config-file FILE]
  SERVER defaults to ` + DefaultServer + `
`

type defines map[string]string

func (d defines) String() string { return fmt.Sprint(map[string]string(d)) }
func (d defines) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok {
		return fmt.Errorf("expected NAME=VALUE, got %q", s)
	}
	d[k] = v
	return nil
}

// ParseArgs parses the shell's arguments; the server address may come
// before, between or after the flags.
func ParseArgs(args []string) (Options, error) {
	o := Options{Server: DefaultServer, Output: Tabular, Defines: map[string]string{}}
	fs := flag.NewFlagSet("ksql", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	for _, n := range []string{"u", "user"} {
		fs.StringVar(&o.User, n, "", "user name for HTTP basic authentication")
	}
	for _, n := range []string{"p", "password"} {
		fs.StringVar(&o.Password, n, "", "password for HTTP basic authentication")
	}
	fs.StringVar(&o.Output, "output", Tabular, "output format: TABULAR or JSON")
	for _, n := range []string{"e", "execute"} {
		fs.StringVar(&o.Execute, n, "", "run these statements and exit")
	}
	for _, n := range []string{"f", "file"} {
		fs.StringVar(&o.File, n, "", "run the statements of this file and exit")
	}
	for _, n := range []string{"d", "define"} {
		fs.Var(defines(o.Defines), n, "define a session variable NAME=VALUE (repeatable)")
	}
	fs.StringVar(&o.ConfigFile, "config-file", "", "properties file whose properties go with every request")
	fs.BoolVar(&o.HTTP2, "http2", false, "talk HTTP/2 (h2c) to the server")
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			return o, fmt.Errorf("%v\n%s", err, Usage)
		}
		args = fs.Args()
		if len(args) > 0 {
			if o.ServerGiven {
				return o, fmt.Errorf("unexpected argument %q\n%s", args[0], Usage)
			}
			o.Server, o.ServerGiven = args[0], true
			args = args[1:]
		}
	}
	o.Output = strings.ToUpper(o.Output)
	if o.Output != Tabular && o.Output != JSON {
		return o, fmt.Errorf("--output: %q is not TABULAR or JSON", o.Output)
	}
	if o.Execute != "" && o.File != "" {
		return o, fmt.Errorf("give -e or -f, not both")
	}
	return o, nil
}

// readProperties reads key=value lines; '#' and '!' start comments.
func readProperties(path string) (map[string]string, error) {
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
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			k, v, ok = strings.Cut(line, ":")
		}
		if !ok {
			return nil, fmt.Errorf("%s:%d: expected key=value", path, n)
		}
		out[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return out, sc.Err()
}

// HistoryFile is where the interactive shell keeps its history:
// ~/.ksql-history.
func HistoryFile() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".ksql-history")
}

// Run runs the shell with o (server already chosen) and returns the
// process's exit code. note, if set, goes into the banner.
func Run(ctx context.Context, o Options, note string) int {
	cl, err := client.New(o.Server, client.Options{Username: o.User, Password: o.Password, HTTP2: o.HTTP2})
	if err != nil {
		fmt.Fprintln(os.Stderr, "ksql:", err)
		return 1
	}
	defer cl.Close()
	if o.User != "" && o.Password == "" && readline.IsTerminal(int(os.Stdin.Fd())) {
		pw, err := readline.Password("Enter password: ")
		if err != nil {
			fmt.Fprintln(os.Stderr, "ksql:", err)
			return 1
		}
		cl, _ = client.New(o.Server, client.Options{Username: o.User, Password: string(pw), HTTP2: o.HTTP2})
	}
	var props map[string]string
	if o.ConfigFile != "" {
		if props, err = readProperties(o.ConfigFile); err != nil {
			fmt.Fprintln(os.Stderr, "ksql: --config-file:", err)
			return 1
		}
	}
	interrupts := make(chan os.Signal, 1)
	signal.Notify(interrupts, os.Interrupt)
	defer signal.Stop(interrupts)
	sh := New(Config{Client: cl, Out: os.Stdout, Format: o.Output, Properties: props, Variables: o.Defines, Interrupts: interrupts, ServerNote: note})
	script, scripted := o.Execute, o.Execute != ""
	if o.File != "" {
		b, err := os.ReadFile(o.File)
		if err != nil {
			fmt.Fprintln(os.Stderr, "ksql:", err)
			return 1
		}
		script, scripted = string(b), true
	}
	if !scripted && !readline.IsTerminal(int(os.Stdin.Fd())) {
		b, err := io.ReadAll(os.Stdin)
		if err != nil {
			fmt.Fprintln(os.Stderr, "ksql:", err)
			return 1
		}
		script, scripted = string(b), true
	}
	if scripted {
		if err := sh.ExecuteScript(ctx, script); err != nil && err != ErrExit {
			return 1
		}
		return 0
	}
	if err := sh.RunInteractive(ctx, InteractiveOptions{HistoryFile: HistoryFile()}); err != nil {
		fmt.Fprintln(os.Stderr, "ksql:", err)
		return 1
	}
	return 0
}
