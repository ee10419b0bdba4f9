package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/ksqlgo/ksql/rest/client"
)

// Table is ksqlDB's CLI table (console/table/Table.java): optional lines
// above, " a | b " rows under a header and between two separators, lines
// below.
type Table struct {
	Headers []string
	Rows    [][]string
	Header  []string // lines printed before
	Footer  []string // lines printed after
}

// Print writes the table; width caps the separators (the console width).
func (t Table) Print(w io.Writer, width int) {
	for _, l := range t.Header {
		fmt.Fprintln(w, l)
	}
	if len(t.Headers) > 0 {
		lens := make([]int, len(t.Headers))
		sep := -1
		for i, h := range t.Headers {
			lens[i] = len(h)
			for _, r := range t.Rows {
				for _, line := range strings.Split(cell(r, i), "\n") {
					lens[i] = max(lens[i], len(line))
				}
			}
			sep += lens[i] + 3
		}
		printRow := func(vals []string) {
			parts := make([]string, len(lens))
			for i, n := range lens {
				parts[i] = fmt.Sprintf("%-*s", n, cell(vals, i))
			}
			fmt.Fprintf(w, " %s \n", strings.Join(parts, " | "))
		}
		printRow(t.Headers)
		if width > 0 {
			sep = min(sep, width)
		}
		line := strings.Repeat("-", max(sep, 0))
		fmt.Fprintln(w, line)
		for _, r := range t.Rows {
			printRow(r)
		}
		fmt.Fprintln(w, line)
	}
	for _, l := range t.Footer {
		fmt.Fprintln(w, l)
	}
}

func cell(r []string, i int) string {
	if i < len(r) {
		return r[i]
	}
	return ""
}

// minCellWidth is TabularRow's MIN_CELL_WIDTH.
const minCellWidth = 5

// BoxedRow formats one row of query results as ksqlDB's TabularRow:
// cells of equal width (width/columns - 2, at least 5, or cellWidth when
// set), '|' between them; a header row has '+----+' lines above and
// below. Long values wrap onto more lines when wrap is on (always for
// headers) and are clipped with "..." otherwise.
func BoxedRow(values []string, header bool, width, cellWidth int, wrap bool) string {
	if len(values) == 0 {
		return ""
	}
	cw := cellWidth
	if cw <= 0 {
		cw = max(width/len(values)-2, minCellWidth)
	}
	wrap = wrap || header
	var b strings.Builder
	sepLine := func() {
		b.WriteByte('+')
		for range values {
			b.WriteString(strings.Repeat("-", cw))
			b.WriteByte('+')
		}
	}
	if header {
		sepLine()
		b.WriteByte('\n')
	}
	split := make([][]string, len(values))
	maxSplit := 0
	for i, v := range values {
		split[i] = splitFixed(v, cw)
		maxSplit = max(maxSplit, len(split[i]))
	}
	lines := 1
	if wrap {
		lines = maxSplit
	}
	for row := 0; row < lines; row++ {
		b.WriteByte('|')
		for _, parts := range split {
			v := strings.Repeat(" ", cw)
			if row < len(parts) {
				v = parts[row]
			}
			if clipped(parts, lines) {
				r := []rune(v)
				v = string(r[:len(r)-3]) + "..."
			}
			b.WriteString(v)
			b.WriteByte('|')
		}
		if row != lines-1 {
			b.WriteByte('\n')
		}
	}
	if header {
		b.WriteByte('\n')
		sepLine()
	}
	return b.String()
}

// clipped: more parts than printed lines, and some of the rest not blank.
func clipped(parts []string, printed int) bool {
	if len(parts) <= printed {
		return false
	}
	for _, p := range parts[printed:] {
		if strings.TrimSpace(p) != "" {
			return true
		}
	}
	return false
}

// splitFixed cuts v into chunks of width runes, each padded to width.
func splitFixed(v string, width int) []string {
	r := []rune(v)
	var out []string
	for len(r) > width {
		out = append(out, string(r[:width]))
		r = r[width:]
	}
	last := string(r)
	out = append(out, last+strings.Repeat(" ", width-len(r)))
	return out
}

// FormatValue prints a result value as ksqlDB's CLI does (Java's
// toString of the decoded JSON): null, numbers as sent, strings bare,
// arrays "[a, b]", maps and structs "{K=v, ...}".
func FormatValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return fmt.Sprint(x)
	case float64:
		return fmt.Sprint(x)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = FormatValue(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + "=" + FormatValue(x[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	default:
		return fmt.Sprint(x)
	}
}

// RowValues formats a row's cells; a tombstone's missing values print as
// <TOMBSTONE>.
func RowValues(r client.Row) []string {
	out := make([]string, len(r.Values))
	for i, v := range r.Values {
		if r.Tombstone && v == nil {
			out[i] = "<TOMBSTONE>"
		} else {
			out[i] = FormatValue(v)
		}
	}
	return out
}

// printJSON writes v indented, as the CLI's JSON output format does.
func printJSON(w io.Writer, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		fmt.Fprintf(w, "cannot print as JSON: %v\n", err)
		return
	}
	w.Write(b)
	fmt.Fprintln(w)
}

// PrintEntities writes the results of POST /ksql as ksqlDB's CLI does in
// TABULAR output: a blank line before each entity, its statement when
// there are several, its table, its warnings.
func PrintEntities(w io.Writer, ents []client.Entity, width int) {
	for _, e := range ents {
		fmt.Fprintln(w)
		if len(ents) > 1 {
			fmt.Fprintln(w, e.StatementText)
		}
		printEntity(w, e, width)
		for _, wn := range e.Warnings {
			fmt.Fprintln(w, "WARNING: "+wn.Message)
		}
	}
}

func printEntity(w io.Writer, e client.Entity, width int) {
	switch v := e.Value.(type) {
	case *client.CommandStatusEntity:
		Table{Headers: []string{"Message"}, Rows: [][]string{{strings.SplitN(v.CommandStatus.Message, "\n", 2)[0]}}}.Print(w, width)
	case *client.StreamsList:
		sources := append([]client.SourceInfo(nil), v.Streams...)
		sourceTable("Stream Name", sources).Print(w, width)
	case *client.TablesList:
		sources := append([]client.SourceInfo(nil), v.Tables...)
		sourceTable("Table Name", sources).Print(w, width)
	case *client.Queries:
		t := Table{Headers: []string{"Query ID", "Query Type", "Status", "Sink Name", "Sink Kafka Topic", "Query String"},
			Footer: []string{"For detailed information on a Query run: EXPLAIN <Query ID>;"}}
		for _, q := range v.Queries {
			t.Rows = append(t.Rows, []string{q.ID, q.QueryType, q.StatusCountString(), strings.Join(q.Sinks, ","), strings.Join(q.SinkKafkaTopics, ","), q.SingleLine()})
		}
		t.Print(w, width)
	case *client.KafkaTopicsList:
		t := Table{Headers: []string{"Kafka Topic", "Partitions", "Partition Replicas"}}
		if v.Extended {
			t.Headers = append(t.Headers, "Consumers", "ConsumerGroups")
		}
		for _, tp := range v.Topics {
			row := []string{tp.Name, fmt.Sprint(len(tp.ReplicaInfo)), replicaInfo(tp.ReplicaInfo)}
			if v.Extended {
				row = append(row, fmt.Sprint(tp.ConsumerCount), fmt.Sprint(tp.ConsumerGroupCount))
			}
			t.Rows = append(t.Rows, row)
		}
		t.Print(w, width)
	case *client.PropertiesList:
		t := Table{Headers: []string{"Property", "Scope", "Default override", "Effective Value"}}
		props := append([]client.Property(nil), v.Properties...)
		sort.SliceStable(props, func(i, j int) bool { return props[i].Name < props[j].Name })
		for _, p := range props {
			val := "NULL"
			if p.Value != nil {
				val = *p.Value
			}
			override := "SERVER"
			if contains(v.OverwrittenProperties, p.Name) {
				override = "SESSION"
			} else if contains(v.DefaultProperties, p.Name) {
				override = ""
			}
			t.Rows = append(t.Rows, []string{p.Name, p.Scope, override, val})
		}
		t.Print(w, width)
	case *client.SourceDescriptionEntity:
		printSourceDescription(w, v.SourceDescription, width)
	case *client.SourceDescriptionList:
		for _, sd := range v.SourceDescriptions {
			printSourceDescription(w, sd, width)
			fmt.Fprintln(w)
		}
	case *client.QueryDescriptionEntity:
		printQueryDescription(w, v.QueryDescription, width)
	case *client.QueryDescriptionList:
		for _, qd := range v.QueryDescriptions {
			printQueryDescription(w, qd, width)
			fmt.Fprintln(w)
		}
	case *client.ExecutionPlan:
		Table{Headers: []string{"Execution Plan"}, Rows: [][]string{{v.ExecutionPlan}}}.Print(w, width)
	case *client.FunctionNameList:
		printFunctionNames(w, v, width)
	case *client.FunctionDescriptionList:
		printFunctionDescription(w, v)
	case *client.TypeList:
		t := Table{Headers: []string{"Type Name", "Schema"}}
		names := make([]string, 0, len(v.Types))
		for n := range v.Types {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			t.Rows = append(t.Rows, []string{n, v.Types[n].TypeString()})
		}
		t.Print(w, width)
	case *client.VariablesList:
		printVariables(w, v.Variables, width)
	case *client.TerminateQueryEntity:
		Table{Headers: []string{"Message"}, Rows: [][]string{{`Terminated query "` + v.QueryID + `"`}}}.Print(w, width)
	case *client.WarningEntity:
		fmt.Fprintln(w, v.Message)
	default:
		// An entity this shell does not know: its JSON, rather than nothing.
		var pretty any
		if err := json.Unmarshal(e.Raw, &pretty); err == nil {
			printJSON(w, pretty)
		} else {
			fmt.Fprintln(w, string(e.Raw))
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func sourceTable(nameHeader string, sources []client.SourceInfo) Table {
	sort.SliceStable(sources, func(i, j int) bool { return sources[i].Name < sources[j].Name })
	t := Table{Headers: []string{nameHeader, "Kafka Topic", "Key Format", "Value Format", "Windowed"}}
	for _, s := range sources {
		t.Rows = append(t.Rows, []string{s.Name, s.Topic, s.KeyFormat, s.ValueFormat, fmt.Sprint(s.IsWindowed)})
	}
	return t
}

func replicaInfo(r []int) string {
	if len(r) == 0 {
		return "0"
	}
	same := true
	parts := make([]string, len(r))
	for i, n := range r {
		parts[i] = fmt.Sprint(n)
		same = same && n == r[0]
	}
	if same {
		return parts[0]
	}
	return strings.Join(parts, ", ")
}

func printVariables(w io.Writer, vars []client.Variable, width int) {
	vs := append([]client.Variable(nil), vars...)
	sort.Slice(vs, func(i, j int) bool { return vs[i].Name < vs[j].Name })
	t := Table{Headers: []string{"Variable Name", "Value"}}
	for _, v := range vs {
		t.Rows = append(t.Rows, []string{v.Name, v.Value})
	}
	t.Print(w, width)
}

func fieldType(f client.FieldInfo, windowType string, isTable bool) string {
	switch f.Type {
	case "HEADER":
		h := "(headers)"
		if f.HeaderKey != "" {
			h = "(header('" + f.HeaderKey + "'))"
		}
		return fmt.Sprintf("%-16s %s", f.Schema.TypeString(), h)
	case "KEY":
		wt := ""
		if windowType != "" {
			wt = " (Window type: " + windowType + ")"
		}
		k := "(key)"
		if isTable {
			k = "(primary key)"
		}
		return fmt.Sprintf("%-16s %s%s", f.Schema.TypeString(), k, wt)
	}
	return f.Schema.TypeString()
}

func printSchema(w io.Writer, windowType string, fields []client.FieldInfo, isTable bool, width int) {
	if len(fields) == 0 {
		return
	}
	t := Table{Headers: []string{"Field", "Type"}}
	for _, f := range fields {
		t.Rows = append(t.Rows, []string{f.Name, fieldType(f, windowType, isTable)})
	}
	t.Print(w, width)
}

func printSourceDescription(w io.Writer, s client.SourceDescription, width int) {
	isTable := strings.EqualFold(s.Type, "TABLE")
	fmt.Fprintf(w, "%-20s : %s\n", "Name", s.Name)
	if !s.Extended {
		printSchema(w, s.WindowType, s.Fields, isTable, width)
		fmt.Fprintln(w, "For runtime statistics and query details run: DESCRIBE <Stream,Table> EXTENDED;")
		return
	}
	fmt.Fprintf(w, "%-20s : %s\n", "Type", s.Type)
	ts := s.Timestamp
	if ts == "" {
		ts = "Not set - using <ROWTIME>"
	}
	fmt.Fprintf(w, "%-20s : %s\n", "Timestamp field", ts)
	fmt.Fprintf(w, "%-20s : %s\n", "Key format", s.KeyFormat)
	fmt.Fprintf(w, "%-20s : %s\n", "Value format", s.ValueFormat)
	if s.Topic != "" {
		info := fmt.Sprintf("%-20s : %s", "Kafka topic", s.Topic)
		if s.Partitions != 0 {
			info += fmt.Sprintf(" (partitions: %d, replication: %d)", s.Partitions, s.Replication)
		}
		fmt.Fprintln(w, info)
	}
	fmt.Fprintf(w, "%-20s : %s\n", "Statement", s.Statement)
	fmt.Fprintln(w)
	printSchema(w, s.WindowType, s.Fields, isTable, width)
	if len(s.SourceConstraints) > 0 {
		fmt.Fprintf(w, "\n%-20s\n%-20s\n", "Sources that have a DROP constraint on this source", "--------------------------------------------------")
		for _, c := range s.SourceConstraints {
			fmt.Fprintln(w, c)
		}
	}
	for _, op := range []struct {
		name string
		qs   []client.RunningQuery
	}{{"read", s.ReadQueries}, {"write", s.WriteQueries}} {
		if len(op.qs) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%-20s\n%-20s\n", "Queries that "+op.name+" from this "+s.Type, "-----------------------------------")
		for _, q := range op.qs {
			state := q.State
			if state == "" {
				state = "N/A"
			}
			fmt.Fprintf(w, "%s (%s) : %s\n", q.ID, state, q.SingleLine())
		}
		fmt.Fprintln(w, "\nFor query topology and execution plan please run: EXPLAIN <QueryId>")
	}
	fmt.Fprintf(w, "\n%-20s\n%s\n", "Local runtime statistics", "------------------------")
	fmt.Fprintln(w, s.Statistics)
	fmt.Fprintln(w, s.ErrorStats)
	fmt.Fprintf(w, "(%s)\n", "Statistics of the local KSQL server interaction with the Kafka topic "+s.Topic)
}

func printQueryDescription(w io.Writer, q client.QueryDescription, width int) {
	fmt.Fprintf(w, "%-20s : %s\n", "ID", q.ID)
	fmt.Fprintf(w, "%-20s : %s\n", "Query Type", q.QueryType)
	if q.StatementText != "" {
		fmt.Fprintf(w, "%-20s : %s\n", "SQL", q.StatementText)
	}
	if len(q.KsqlHostQueryStatus) > 0 {
		keys := make([]string, 0, len(q.KsqlHostQueryStatus))
		for k := range q.KsqlHostQueryStatus {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + "=" + q.KsqlHostQueryStatus[k]
		}
		fmt.Fprintf(w, "%-20s : {%s}\n", "Host Query Status", strings.Join(parts, ", "))
	}
	fmt.Fprintln(w)
	printSchema(w, q.WindowType, q.Fields, false, width)
	if len(q.Sources) > 0 {
		fmt.Fprintf(w, "\n%-20s\n%-20s\n", "Sources that this query reads from: ", "-----------------------------------")
		for _, s := range q.Sources {
			fmt.Fprintln(w, s)
		}
		fmt.Fprintln(w, "\nFor source description please run: DESCRIBE [EXTENDED] <SourceId>")
	}
	if len(q.Sinks) > 0 {
		fmt.Fprintf(w, "\n%-20s\n%-20s\n", "Sinks that this query writes to: ", "-----------------------------------")
		for _, s := range q.Sinks {
			fmt.Fprintln(w, s)
		}
		fmt.Fprintln(w, "\nFor sink description please run: DESCRIBE [EXTENDED] <SinkId>")
	}
	if q.ExecutionPlan != "" {
		fmt.Fprintf(w, "\n%-20s\n%-20s\n%s\n", "Execution plan", "--------------", q.ExecutionPlan)
	}
	if q.Topology != "" {
		fmt.Fprintf(w, "\n%-20s\n%-20s\n%s\n", "Processing topology", "-------------------", q.Topology)
	}
}

func printFunctionNames(w io.Writer, v *client.FunctionNameList, width int) {
	fns := append([]client.SimpleFunctionInfo(nil), v.Functions...)
	t := Table{Headers: []string{"Function Name", "Category"},
		Footer: []string{"For detailed information about a function, run: DESCRIBE FUNCTION <Function Name>;"}}
	if len(fns) == 0 || fns[0].Category == "" {
		sort.SliceStable(fns, func(i, j int) bool { return fns[i].Name < fns[j].Name })
		for _, f := range fns {
			t.Rows = append(t.Rows, []string{f.Name, strings.ToUpper(f.Type)})
		}
	} else {
		sort.SliceStable(fns, func(i, j int) bool {
			if fns[i].Category != fns[j].Category {
				return fns[i].Category < fns[j].Category
			}
			return fns[i].Name < fns[j].Name
		})
		prev := fns[0].Category
		for _, f := range fns {
			if f.Category != prev {
				t.Rows = append(t.Rows, []string{" ", " "})
			}
			t.Rows = append(t.Rows, []string{f.Name, f.Category})
			prev = f.Category
		}
	}
	t.Print(w, width)
}

func printFunctionDescription(w io.Writer, f *client.FunctionDescriptionList) {
	base := "%-12s: %s\n"
	fmt.Fprintf(w, base, "Name", f.Name)
	if f.Author != "" {
		fmt.Fprintf(w, base, "Author", f.Author)
	}
	if f.Version != "" {
		fmt.Fprintf(w, base, "Version", f.Version)
	}
	fmt.Fprintf(w, base, "Overview", f.Description)
	fmt.Fprintf(w, base, "Type", f.Type)
	fmt.Fprintf(w, base, "Jar", f.Path)
	fmt.Fprintf(w, base, "Variations", "")
	for _, fn := range f.Functions {
		args := make([]string, len(fn.Arguments))
		for i, a := range fn.Arguments {
			args[i] = a.Name + " " + a.Type
		}
		fmt.Fprintf(w, "\n\t%-12s: %s(%s)\n", "Variation", f.Name, strings.Join(args, ", "))
		fmt.Fprintf(w, "\t%-12s: %s\n", "Returns", fn.ReturnType)
		if fn.Description != "" {
			fmt.Fprintf(w, "\t%-12s: %s\n", "Description", fn.Description)
		}
		for _, a := range fn.Arguments {
			if a.Description != "" {
				fmt.Fprintf(w, "\t%-12s: %s\n", a.Name, a.Description)
			}
		}
	}
}
