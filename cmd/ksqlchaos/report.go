package main

import (
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// notes groups the server's stderr lines (and the notices of logs the
// harness opens) by their text with numbers masked, remembering an
// example and in which phase of which runs they appeared.
type notes struct {
	order []string
	byKey map[string]*note
}

type note struct {
	Example  string
	Count    int
	Contexts map[string]int
}

func newNotes() *notes { return &notes{byKey: map[string]*note{}} }

// routine lines carry no news: every start and every clean stop prints them.
var routine = []string{
	"ksql engine running on the embedded log",
	"ksql engine running over Kafka",
	"HTTP API listening on",
	"shutting down: stopping queries and committing their progress",
}

var (
	queryIDs = regexp.MustCompile(`\b(CSAS|CTAS|INSERTQUERY)_[A-Za-z0-9_]*[0-9]`)
	numbers  = regexp.MustCompile(`[0-9]+`)
)

func (n *notes) add(line, context string) {
	for _, r := range routine {
		if strings.HasPrefix(line, r) {
			return
		}
	}
	key := numbers.ReplaceAllString(queryIDs.ReplaceAllString(line, "Q"), "N")
	e := n.byKey[key]
	if e == nil {
		e = &note{Example: line, Contexts: map[string]int{}}
		n.byKey[key] = e
		n.order = append(n.order, key)
	}
	e.Count++
	e.Contexts[context]++
}

// messages joins indented lines to the line before them: the server
// prints a failed statement indented under its error.
func messages(lines []string) []string {
	var out []string
	for _, l := range lines {
		if len(out) > 0 && (strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t")) {
			out[len(out)-1] += " |" + l
			continue
		}
		out = append(out, l)
	}
	return out
}

// maxPerGroup is how many violations of one kind in one place are printed.
const maxPerGroup = 3

// Print writes the summary: numbers that can be pasted into
// docs/reliability.md, then the first violations of each kind in detail,
// the server's notable log lines and any bricked start's stderr.
func (s *Summary) Print(w io.Writer) {
	total := 0
	for _, n := range s.Stops {
		total += n
	}
	fmt.Fprintf(w, "ksqlchaos: log %s, seed %d, ksql.log.sync %s, elapsed %v\n", s.Log, s.Seed, s.Sync, s.Elapsed.Round(100*time.Millisecond))
	fmt.Fprintf(w, "stops: %d (SIGKILL %d, SIGTERM %d; %d during start-up); starts %d, bricked starts %d\n",
		total, s.Stops["SIGKILL"], s.Stops["SIGTERM"], s.StartupStops, s.Starts, len(s.Bricked))
	fmt.Fprintf(w, "drop/recreate: %d completed, %d interrupted; outputs repaired at start-up: %d\n", s.Drops, s.DropsCut, s.Repairs)
	if s.Log == "kafka" {
		fmt.Fprintf(w, "starts on an empty state directory (restored from the changelogs): %d\n", s.StateWipes)
	}
	if in := s.Input; in != nil {
		fmt.Fprintf(w, "input: %d rows acknowledged over HTTP, %d unknown (%d of them present), %d appended directly; %d records in %s\n",
			in.Acked, in.Unknown, in.UnknownPresent, in.Direct, in.Present, inputTopic)
	}
	if len(s.Outputs) > 0 {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "output\trecords\tkeys\tlost\tduplicated\tout-of-order\twrong\tunexpected\t")
		for _, o := range s.Outputs {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t\n", o.Name, o.Records, o.Keys, o.Lost, o.Duplicated, o.OutOfOrder, o.Wrong, o.Unexpected)
		}
		tw.Flush()
	}
	if !s.Checked {
		fmt.Fprintln(w, "outputs NOT checked: the campaign could not complete its final run")
	}
	vs := s.AllViolations()
	if len(vs) == 0 && s.Checked {
		fmt.Fprintln(w, "violations: none")
	} else {
		fmt.Fprintf(w, "violations: %d\n", len(vs))
		printViolations(w, vs)
	}
	if len(s.Notes.order) > 0 {
		fmt.Fprintln(w, "server log lines (grouped with query ids and numbers masked; count, an example, where):")
		for _, k := range s.Notes.order {
			e := s.Notes.byKey[k]
			var ctx []string
			for c, n := range e.Contexts {
				ctx = append(ctx, fmt.Sprintf("%s: %d", c, n))
			}
			sort.Strings(ctx)
			fmt.Fprintf(w, "  %5dx %s\n         [%s]\n", e.Count, e.Example, strings.Join(ctx, "; "))
		}
	}
	for _, b := range s.Bricked {
		fmt.Fprintf(w, "bricked start: run %d after %s: %s; stderr:\n", b.Run, b.After, b.Exit)
		for _, l := range tail(b.Stderr, 40) {
			fmt.Fprintf(w, "    %s\n", l)
		}
	}
	if s.Kept {
		fmt.Fprintf(w, "data directory kept: %s\n", s.DataDir)
	}
}

// printViolations prints the first few of each kind in each place.
func printViolations(w io.Writer, vs []Violation) {
	type group struct{ where, kind string }
	var order []group
	byGroup := map[group][]Violation{}
	for _, v := range vs {
		g := group{v.Where, v.Kind}
		if _, ok := byGroup[g]; !ok {
			order = append(order, g)
		}
		byGroup[g] = append(byGroup[g], v)
	}
	for _, g := range order {
		list := byGroup[g]
		after := map[string]int{}
		for _, v := range list {
			if v.Run > 0 {
				after[v.RunAfter]++
			}
		}
		var by []string
		for a, n := range after {
			by = append(by, fmt.Sprintf("%d written by runs that started after %s", n, a))
		}
		sort.Strings(by)
		if len(by) > 0 {
			fmt.Fprintf(w, "  %s %s: %d (%s)\n", g.where, g.kind, len(list), strings.Join(by, ", "))
		} else {
			fmt.Fprintf(w, "  %s %s: %d\n", g.where, g.kind, len(list))
		}
		for _, v := range list[:min(len(list), maxPerGroup)] {
			fmt.Fprintf(w, "    %s\n", v)
		}
	}
}
