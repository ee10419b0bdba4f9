package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/chzyer/readline"
)

// keywords completed at the prompt, besides the server's names.
var keywords = strings.Fields(`SELECT FROM WHERE GROUP BY HAVING EMIT CHANGES FINAL LIMIT WINDOW TUMBLING HOPPING SESSION
SIZE ADVANCE GRACE PERIOD RETENTION PARTITION JOIN LEFT RIGHT FULL OUTER INNER ON WITHIN AS AND OR NOT NULL IS IN LIKE BETWEEN
CASE WHEN THEN ELSE END CAST CREATE STREAM STREAMS TABLE TABLES TYPE TYPES INSERT INTO VALUES DROP DELETE TOPIC TOPICS
DESCRIBE EXTENDED EXPLAIN SHOW LIST QUERIES PROPERTIES FUNCTIONS FUNCTION VARIABLES TERMINATE ALL PRINT BEGINNING INTERVAL
SET UNSET DEFINE UNDEFINE RUN SCRIPT WITH KEY PRIMARY HEADERS HEADER IF EXISTS REPLACE SOURCE
KAFKA_TOPIC VALUE_FORMAT KEY_FORMAT FORMAT PARTITIONS TIMESTAMP TIMESTAMP_FORMAT
BOOLEAN INTEGER INT BIGINT DOUBLE DECIMAL STRING VARCHAR BYTES DATE TIME ARRAY MAP STRUCT
ROWTIME ROWPARTITION ROWOFFSET WINDOWSTART WINDOWEND
help exit clear output history version server`)

// completer completes the word before the cursor with keywords and the
// server's stream, table, topic and function names, keeping the case the
// user typed for keywords.
type completer struct{ s *Shell }

func (c completer) Do(line []rune, pos int) ([][]rune, int) {
	start := pos
	for start > 0 && (unicode.IsLetter(line[start-1]) || unicode.IsDigit(line[start-1]) || line[start-1] == '_' || line[start-1] == '-' || line[start-1] == '.') {
		start--
	}
	prefix := string(line[start:pos])
	if prefix == "" {
		return nil, 0
	}
	return complete(prefix, c.s.completionNames()), len([]rune(prefix))
}

// complete returns the suffixes completing prefix.
func complete(prefix string, names []string) [][]rune {
	lower := prefix == strings.ToLower(prefix)
	seen := map[string]bool{}
	var out [][]rune
	add := func(cand string) {
		if len(cand) > len(prefix) && strings.EqualFold(cand[:len(prefix)], prefix) && !seen[cand] {
			seen[cand] = true
			out = append(out, []rune(cand[len(prefix):]+" "))
		}
	}
	for _, k := range keywords {
		if lower && k == strings.ToUpper(k) {
			k = strings.ToLower(k)
		}
		add(k)
	}
	for _, n := range names {
		add(n)
	}
	return out
}

// InteractiveOptions configure RunInteractive.
type InteractiveOptions struct {
	// HistoryFile keeps statements across runs ("" for none).
	HistoryFile string
	// Stdin, Stdout replace the terminal (tests).
	Stdin  io.ReadCloser
	Stdout io.Writer
}

// RunInteractive reads statements at the "ksql> " prompt until exit or
// CTRL-D. A statement may span lines and ends at ';'; the shell's own
// commands (help, exit, ...) need none.
func (s *Shell) RunInteractive(ctx context.Context, o InteractiveOptions) error {
	cfg := &readline.Config{
		Prompt:                 "ksql> ",
		HistoryFile:            o.HistoryFile,
		HistorySearchFold:      true,
		DisableAutoSaveHistory: true,
		AutoComplete:           completer{s},
		InterruptPrompt:        "^C",
		EOFPrompt:              "",
	}
	if o.Stdin != nil {
		cfg.Stdin = o.Stdin
	}
	if o.Stdout != nil {
		cfg.Stdout = o.Stdout
	}
	rl, err := readline.NewEx(cfg)
	if err != nil {
		return err
	}
	defer rl.Close()
	if s.cfg.Width == nil {
		s.cfg.Width = readline.GetScreenWidth
	}
	s.Banner(ctx)
	s.RefreshNames(ctx)
	var history []string
	var sp Splitter
	for {
		if sp.Pending() {
			rl.SetPrompt(">      ")
		} else {
			rl.SetPrompt("ksql> ")
		}
		line, err := rl.Readline()
		if errors.Is(err, readline.ErrInterrupt) {
			sp.Reset()
			continue
		}
		if errors.Is(err, io.EOF) {
			fmt.Fprintln(s.out, "Exiting ksqlDB.")
			return nil
		}
		if err != nil {
			return err
		}
		if !sp.Pending() {
			if ok, err := s.localCommand(line, func() []string { return history }); ok {
				history = append(history, strings.TrimSpace(line))
				_ = rl.SaveHistory(strings.TrimSpace(line))
				if errors.Is(err, ErrExit) {
					fmt.Fprintln(s.out, "Exiting ksqlDB.")
					return nil
				}
				continue
			}
		}
		for _, stmt := range sp.Feed(line) {
			flat := strings.Join(strings.Fields(stmt), " ")
			history = append(history, flat)
			_ = rl.SaveHistory(flat)
			if err := s.Execute(ctx, stmt); errors.Is(err, ErrExit) {
				fmt.Fprintln(s.out, "Exiting ksqlDB.")
				return nil
			}
		}
	}
}
