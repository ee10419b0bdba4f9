// Package qtt runs ksqlDB's query-validation tests (QTT) against the
// engine: a JSON file of cases, each with statements, input records,
// expected output records or an expected error, and post-conditions on the
// resulting sources. It also runs ksql-test-runner's form: a statements
// file plus input and output record files.
//
// Every case runs on a fresh engine in a temporary directory, driven
// synchronously: one input record is appended, then every query runs until
// idle, as Kafka Streams' TopologyTestDriver does.
package qtt

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/catalog"
	"github.com/ksqlgo/ksql/engine"
	"github.com/ksqlgo/ksql/exec"
	"github.com/ksqlgo/ksql/sql"
	"github.com/ksqlgo/ksql/sql/ast"
)

// File is a QTT file.
type File struct {
	Comments []string `json:"comments"`
	Tests    []Case   `json:"tests"`
}

// Case is one test case, as ksqlDB's TestCaseNode.
type Case struct {
	Name              string            `json:"name"`
	Description       string            `json:"description"`
	Enabled           *bool             `json:"enabled"`
	Format            []string          `json:"format"`
	Config            []string          `json:"config"`
	Properties        map[string]any    `json:"properties"`
	Statements        []string          `json:"statements"`
	Topics            []TopicNode       `json:"topics"`
	Inputs            []RecordNode      `json:"inputs"`
	Outputs           []RecordNode      `json:"outputs"`
	ExpectedException *ExceptionNode    `json:"expectedException"`
	Post              *PostNode         `json:"post"`
	Versions          map[string]string `json:"versions"`
}

// TopicNode declares a topic.
type TopicNode struct {
	Name        string `json:"name"`
	KeyFormat   string `json:"keyFormat"`
	ValueFormat string `json:"valueFormat"`
	Format      string `json:"format"`
	Partitions  int32  `json:"partitions"`
	KeySchema   any    `json:"keySchema"`
	ValueSchema any    `json:"valueSchema"`
}

// RecordNode is an input or expected output record.
type RecordNode struct {
	Topic     string          `json:"topic"`
	Key       json.RawMessage `json:"key"`
	Value     json.RawMessage `json:"value"`
	Timestamp *int64          `json:"timestamp"`
	Window    *WindowNode     `json:"window"`
	Headers   []HeaderNode    `json:"headers"`
}

// WindowNode is the window of a windowed key.
type WindowNode struct {
	Start int64  `json:"start"`
	End   int64  `json:"end"`
	Type  string `json:"type"`
}

// HeaderNode is one record header (value base64).
type HeaderNode struct {
	Key   string  `json:"KEY"`
	Value *string `json:"VALUE"`
}

// ExceptionNode is the expected failure.
type ExceptionNode struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}

// PostNode holds post-conditions.
type PostNode struct {
	Sources []PostSource `json:"sources"`
	Topics  *struct {
		Blacklist string `json:"blacklist"`
	} `json:"topics"`
}

// PostSource is a post-condition on one source.
type PostSource struct {
	Name      string          `json:"name"`
	Type      string          `json:"type"`
	Schema    string          `json:"schema"`
	KeyFormat *FormatNode     `json:"keyFormat"`
	ValueFmt  json.RawMessage `json:"valueFormat"`
}

// FormatNode is a key format post-condition.
type FormatNode struct {
	Format     string `json:"format"`
	WindowType string `json:"windowType"`
	WindowSize *int64 `json:"windowSize"`
}

// Outcome of one run.
type Outcome int

// Outcomes.
const (
	Pass Outcome = iota
	Fail
	Skip
)

func (o Outcome) String() string { return [...]string{"PASS", "FAIL", "SKIP"}[o] }

// Result is the outcome of one run (a case with one format/config choice).
type Result struct {
	File    string
	Name    string
	Outcome Outcome
	Reason  string
	// MessageMatched is set for expected-exception cases whose error text
	// contains ksqlDB's message.
	ExpectedError  bool
	MessageMatched bool
}

// Label is the run's display name.
func (r Result) Label() string {
	if r.File == "" {
		return r.Name
	}
	return r.File + " :: " + r.Name
}

// Options tune a run.
type Options struct {
	// TempDir is where per-case data directories go ("" = os.TempDir()).
	TempDir string
	// Filter, when set, selects cases whose label matches it.
	Filter *regexp.Regexp
}

// RunFile runs every case of a QTT file.
func RunFile(ctx context.Context, path string, opts Options, report func(Result)) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var f File
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&f); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	base := filepath.Base(path)
	for _, c := range f.Tests {
		for _, run := range expand(c) {
			label := base + " :: " + run.label
			if opts.Filter != nil && !opts.Filter.MatchString(label) {
				continue
			}
			res := runCase(ctx, run.c, opts)
			res.File, res.Name = base, run.label
			report(res)
		}
	}
	return nil
}

type expandedRun struct {
	label string
	c     Case
}

// expand substitutes each format and config value into its own run, in
// the statements and the topic formats (rest/rqtt's expand differs on
// purpose: formats only, statements only).
func expand(c Case) []expandedRun {
	formats := c.Format
	if len(formats) == 0 {
		formats = []string{""}
	}
	configs := c.Config
	if len(configs) == 0 {
		configs = []string{""}
	}
	var out []expandedRun
	for _, f := range formats {
		for _, cf := range configs {
			r := c
			label := c.Name
			if f != "" {
				label += " - " + f
				r.Statements = ReplaceAll(c.Statements, "{FORMAT}", f)
				r.Topics = append([]TopicNode(nil), c.Topics...)
				for i := range r.Topics {
					r.Topics[i].Format = strings.ReplaceAll(r.Topics[i].Format, "{FORMAT}", f)
					r.Topics[i].KeyFormat = strings.ReplaceAll(r.Topics[i].KeyFormat, "{FORMAT}", f)
					r.Topics[i].ValueFormat = strings.ReplaceAll(r.Topics[i].ValueFormat, "{FORMAT}", f)
				}
			}
			if cf != "" {
				label += " - " + cf
				props := map[string]any{}
				for k, v := range c.Properties {
					if s, ok := v.(string); ok && s == "{CONFIG}" {
						props[k] = cf
					} else {
						props[k] = v
					}
				}
				r.Properties = props
			}
			out = append(out, expandedRun{label: label, c: r})
		}
	}
	return out
}

// skipReason says why a case cannot run here, or "".
func skipReason(c Case) string {
	if c.Enabled != nil && !*c.Enabled {
		return "disabled in ksqlDB's suite"
	}
	text := strings.ToUpper(strings.Join(c.Statements, "\n"))
	for _, t := range c.Topics {
		text += " " + strings.ToUpper(t.Format+" "+t.KeyFormat+" "+t.ValueFormat)
		if t.KeySchema != nil || t.ValueSchema != nil {
			return "needs a schema registry (topic schemas)"
		}
	}
	return SchemaRegistryReason(text, c.Properties)
}

func runCase(ctx context.Context, c Case, opts Options) (res Result) {
	res.ExpectedError = c.ExpectedException != nil
	if r := skipReason(c); r != "" {
		res.Outcome, res.Reason = Skip, r
		return res
	}
	defer func() {
		if r := recover(); r != nil {
			res.Outcome, res.Reason = Fail, fmt.Sprintf("panic: %v", r)
		}
	}()
	dir, err := os.MkdirTemp(opts.TempDir, "qtt-")
	if err != nil {
		res.Outcome, res.Reason = Fail, err.Error()
		return res
	}
	defer os.RemoveAll(dir)
	props := map[string]string{
		"ksql.service.id":                "some.ksql.service.id",
		"ksql.streams.auto.offset.reset": "earliest",
		// As ksqlDB's TestExecutor: no record cache, every update is
		// forwarded (a case's own properties may set it).
		"ksql.streams.cache.max.bytes.buffering": "0",
	}
	for k, v := range c.Properties {
		props[k] = fmt.Sprint(v)
	}
	eng, err := engine.Open(ctx, engine.Config{DataDir: dir, Properties: props, Synchronous: true, NoSync: true})
	if err != nil {
		res.Outcome, res.Reason = Fail, "opening the engine: "+err.Error()
		return res
	}
	defer eng.Close()
	r := &runner{eng: eng, c: c}
	err = r.run(ctx)
	switch {
	case c.ExpectedException != nil && err == nil:
		res.Outcome, res.Reason = Fail, "expected an error: "+c.ExpectedException.Message
	case c.ExpectedException != nil:
		res.Outcome = Pass
		res.MessageMatched = strings.Contains(err.Error(), c.ExpectedException.Message)
		res.Reason = err.Error()
	case err != nil:
		res.Outcome, res.Reason = Fail, err.Error()
	default:
		res.Outcome = Pass
	}
	return res
}

type runner struct {
	eng *engine.Engine
	c   Case
}

// failure is a mismatch against expectations (as opposed to an error the
// engine raised, which may be the expected exception).
type failure struct{ msg string }

func (f *failure) Error() string { return f.msg }

func failf(format string, args ...any) error { return &failure{msg: fmt.Sprintf(format, args...)} }

func (r *runner) run(ctx context.Context) error {
	if err := r.createTopics(ctx); err != nil {
		return err
	}
	sess := engine.NewSession()
	for k, v := range r.c.Properties {
		sess.Properties[k] = fmt.Sprint(v)
	}
	for _, text := range r.c.Statements {
		if _, err := r.eng.Execute(ctx, text, sess); err != nil {
			return err
		}
	}
	if err := r.eng.Drain(ctx); err != nil {
		return err
	}
	for i, in := range r.c.Inputs {
		if err := Produce(ctx, r.eng.Log(), SourceFor(r.eng.Catalog(), in.Topic), in); err != nil {
			return fmt.Errorf("input %d: %w", i, err)
		}
		if err := r.eng.Drain(ctx); err != nil {
			return err
		}
	}
	if r.c.ExpectedException != nil {
		// Some expected errors surface while processing: a failed query.
		return nil
	}
	if err := r.checkOutputs(ctx); err != nil {
		return err
	}
	return r.checkPost()
}

// createTopics creates the topics that a test harness would: declared
// topics and the topics of CREATE statements that name no PARTITIONS.
func (r *runner) createTopics(ctx context.Context) error {
	parts := map[string]int32{}
	for _, t := range r.c.Topics {
		p := t.Partitions
		if p <= 0 {
			p = 1
		}
		parts[t.Name] = p
	}
	for _, text := range r.c.Statements {
		stmts, err := sql.Parse(text)
		if err != nil {
			continue // the engine reports it
		}
		for _, st := range stmts {
			cs, ok := st.(*ast.CreateSource)
			if !ok {
				continue
			}
			lit, ok := cs.Props.Get("KAFKA_TOPIC")
			if !ok {
				continue
			}
			topic, _ := lit.Value.(string)
			if _, has := cs.Props.Get("PARTITIONS"); has {
				continue
			}
			if _, declared := parts[topic]; !declared {
				parts[topic] = 1
			}
		}
	}
	for _, in := range r.c.Inputs {
		if _, ok := parts[in.Topic]; !ok {
			if _, err := r.eng.Log().Topic(ctx, in.Topic); err != nil {
				parts[in.Topic] = 1
			}
		}
	}
	names := make([]string, 0, len(parts))
	for n := range parts {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := r.eng.Log().CreateTopic(ctx, n, broker.TopicConfig{Partitions: parts[n]}); err != nil && !errors.Is(err, broker.ErrTopicExists) {
			return err
		}
	}
	return nil
}

func (r *runner) readTopic(ctx context.Context, topic string) ([][]broker.Record, error) {
	info, err := r.eng.Log().Topic(ctx, topic)
	if err != nil {
		return nil, nil
	}
	out := make([][]broker.Record, info.Config.Partitions)
	for p := int32(0); p < info.Config.Partitions; p++ {
		if out[p], err = broker.ReadAll(ctx, r.eng.Log(), topic, p, 0, broker.ReadCommitted, 1_000_000); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (r *runner) checkOutputs(ctx context.Context) error {
	byTopic := map[string][]RecordNode{}
	var order []string
	for _, o := range r.c.Outputs {
		if _, ok := byTopic[o.Topic]; !ok {
			order = append(order, o.Topic)
		}
		byTopic[o.Topic] = append(byTopic[o.Topic], o)
	}
	for _, topic := range order {
		expected := byTopic[topic]
		parts, err := r.readTopic(ctx, topic)
		if err != nil {
			return err
		}
		src := SourceFor(r.eng.Catalog(), topic)
		if len(parts) <= 1 {
			var actual []broker.Record
			if len(parts) == 1 {
				actual = parts[0]
			}
			if err := r.compareRecords(topic, src, expected, actual); err != nil {
				return err
			}
			continue
		}
		// Several partitions: compare each partition's sequence with the
		// expected records whose keys land there.
		perPart := make([][]RecordNode, len(parts))
		for _, e := range expected {
			p := int32(0)
			if src != nil {
				k, err := EncodeKey(src, e.Key)
				if err == nil && k != nil {
					p = broker.PartitionForKey(k, int32(len(parts)))
				}
			}
			perPart[p] = append(perPart[p], e)
		}
		for p := range parts {
			if err := r.compareRecords(fmt.Sprintf("%s[%d]", topic, p), src, perPart[p], parts[p]); err != nil {
				return err
			}
		}
	}
	return nil
}

func (r *runner) compareRecords(topic string, src *catalog.Source, expected []RecordNode, actual []broker.Record) error {
	for i := 0; i < len(expected) || i < len(actual); i++ {
		switch {
		case i >= len(actual):
			return failf("topic %s: expected %d records, got %d; first missing: key=%s value=%s", topic, len(expected), len(actual), expected[i].Key, expected[i].Value)
		case i >= len(expected):
			return failf("topic %s: expected %d records, got %d; first extra: %s", topic, len(expected), len(actual), describeActual(src, actual[i]))
		}
		if err := compareRecord(src, expected[i], actual[i]); err != nil {
			return failf("topic %s record %d: %v", topic, i, err)
		}
	}
	return nil
}

func describeActual(src *catalog.Source, rec broker.Record) string {
	key, value := string(rec.Key), string(rec.Value)
	if src != nil {
		if k, err := decodeKeyJSON(src, rec.Key); err == nil {
			key = k
		}
		if rec.Value == nil {
			value = "null"
		}
	}
	return fmt.Sprintf("key=%s value=%s timestamp=%d", key, value, rec.Timestamp)
}

func decodeKeyJSON(src *catalog.Source, key []byte) (string, error) {
	if src.IsWindowed() && key != nil {
		k, _, _, err := exec.SplitWindow(key, src.Window)
		if err != nil {
			return "", err
		}
		key = k
	}
	vals, err := DecodeWith(src.KeyFormat, src.Schema.Key(), key, true)
	if err != nil {
		return "", err
	}
	return RenderJSON(src.Schema.Key(), vals, true), nil
}

// compareRecord checks the timestamp first (describing the actual record),
// then the window bounds, then the key and value (CompareKeyValue, shared
// with rest/rqtt, whose compareRecord differs on purpose: timestamp last,
// no window check, exact JSON numbers).
func compareRecord(src *catalog.Source, exp RecordNode, act broker.Record) error {
	if exp.Timestamp != nil && *exp.Timestamp != act.Timestamp {
		return fmt.Errorf("timestamp: expected %d, got %d (%s)", *exp.Timestamp, act.Timestamp, describeActual(src, act))
	}
	if src == nil {
		if !jsonEqual(exp.Value, act.Value) {
			return fmt.Errorf("value: expected %s, got %s", exp.Value, act.Value)
		}
		return nil
	}
	key := act.Key
	if src.IsWindowed() && key != nil {
		k, start, end, err := exec.SplitWindow(key, src.Window)
		if err != nil {
			return err
		}
		key = k
		if exp.Window != nil && (exp.Window.Start != start || exp.Window.End != end) {
			return fmt.Errorf("window: expected [%d, %d), got [%d, %d)", exp.Window.Start, exp.Window.End, start, end)
		}
	}
	return CompareKeyValue(src, exp, key, act.Value)
}

// jsonEqual compares JSON after a float64 round trip (1 equals 1.0);
// rest/rqtt's jsonEqual compares exact numbers, a different rule.
func jsonEqual(a json.RawMessage, b []byte) bool {
	if IsNull(a) {
		return b == nil
	}
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return bytes.Equal(a, b)
	}
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return bytes.Equal(xb, yb)
}

// checkPost verifies post-conditions on sources and topics.
func (r *runner) checkPost() error {
	if r.c.Post == nil {
		return nil
	}
	for _, ps := range r.c.Post.Sources {
		src, ok := r.eng.Catalog().Source(ps.Name)
		if !ok {
			return failf("post: source %s does not exist", ps.Name)
		}
		if ps.Type != "" && !strings.EqualFold(ps.Type, src.Kind.String()) {
			return failf("post: source %s is a %s, expected %s", ps.Name, src.Kind, ps.Type)
		}
		if ps.Schema != "" {
			want, err := ParseSchema(ps.Schema)
			if err != nil {
				return failf("post: cannot parse expected schema %q: %v", ps.Schema, err)
			}
			if !schemasEqual(want, src.Schema) {
				return failf("post: source %s schema is %s, expected %s", ps.Name, src.Schema, ps.Schema)
			}
		}
		if kf := ps.KeyFormat; kf != nil {
			if kf.Format != "" && !strings.EqualFold(kf.Format, src.KeyFormat.Name) {
				return failf("post: source %s key format is %s, expected %s", ps.Name, src.KeyFormat.Name, kf.Format)
			}
			if kf.WindowType != "" && !strings.EqualFold(kf.WindowType, src.Window.Type.String()) {
				return failf("post: source %s window type is %s, expected %s", ps.Name, src.Window.Type, kf.WindowType)
			}
			if kf.WindowSize != nil && *kf.WindowSize != src.Window.SizeMs {
				return failf("post: source %s window size is %d, expected %d", ps.Name, src.Window.SizeMs, *kf.WindowSize)
			}
		}
		if len(ps.ValueFmt) > 0 {
			var name string
			if json.Unmarshal(ps.ValueFmt, &name) != nil {
				var obj struct {
					Format string `json:"format"`
				}
				_ = json.Unmarshal(ps.ValueFmt, &obj)
				name = obj.Format
			}
			if name != "" && !strings.EqualFold(name, src.ValueFormat.Name) {
				return failf("post: source %s value format is %s, expected %s", ps.Name, src.ValueFormat.Name, name)
			}
		}
	}
	if t := r.c.Post.Topics; t != nil && t.Blacklist != "" {
		re, err := regexp.Compile("^(" + t.Blacklist + ")$")
		if err != nil {
			return failf("post: bad blacklist %q", t.Blacklist)
		}
		topics, err := r.eng.Log().Topics(context.Background())
		if err != nil {
			return failf("post: listing topics: %v", err)
		}
		for _, tp := range topics {
			if re.MatchString(tp.Name) {
				return failf("post: topic %s should not exist", tp.Name)
			}
		}
	}
	return nil
}

func schemasEqual(a, b catalog.Schema) bool {
	if len(a.Columns) != len(b.Columns) {
		return false
	}
	for i := range a.Columns {
		x, y := a.Columns[i], b.Columns[i]
		if x.Name != y.Name || !x.Type.Equal(y.Type) || x.Kind != y.Kind || x.HeaderKey != y.HeaderKey {
			return false
		}
	}
	return true
}

// ParseSchema parses a post-condition schema such as
// "ID BIGINT KEY, NAME STRING, `f 1` INT, H ARRAY<...> HEADERS".
func ParseSchema(s string) (catalog.Schema, error) {
	kind := "STREAM"
	if strings.Contains(strings.ToUpper(s), "PRIMARY KEY") {
		kind = "TABLE"
	}
	stmts, err := sql.Parse("CREATE " + kind + " X (" + s + ") WITH (KAFKA_TOPIC='x', VALUE_FORMAT='JSON');")
	if err != nil {
		return catalog.Schema{}, err
	}
	cs := stmts[0].(*ast.CreateSource)
	var keys, vals []catalog.Column
	for _, el := range cs.Elements {
		c := catalog.Column{Name: el.Name.Name, Type: el.Type}
		switch el.Constraint {
		case ast.KeyConstraint, ast.PrimaryKeyConstraint:
			c.Kind = catalog.KeyColumn
			keys = append(keys, c)
			continue
		case ast.HeadersConstraint:
			c.Kind = catalog.HeadersColumn
		case ast.HeaderConstraint:
			c.Kind, c.HeaderKey = catalog.HeaderColumn, el.HeaderKey
		}
		vals = append(vals, c)
	}
	return catalog.Schema{Columns: append(keys, vals...)}, nil
}

// Summary totals results.
type Summary struct {
	Passed, Failed, Skipped int
	ExpectedErrors          int
	MessagesMatched         int
}

// Add counts one result.
func (s *Summary) Add(r Result) {
	switch r.Outcome {
	case Pass:
		s.Passed++
		if r.ExpectedError {
			s.ExpectedErrors++
			if r.MessageMatched {
				s.MessagesMatched++
			}
		}
	case Fail:
		s.Failed++
	default:
		s.Skipped++
	}
}

// Line is the summary line: "N passed, N failed, N skipped".
func (s *Summary) Line() string {
	return fmt.Sprintf("%d passed, %d failed, %d skipped", s.Passed, s.Failed, s.Skipped)
}

// Print writes one result line.
func Print(w io.Writer, r Result, verbose bool) {
	line := fmt.Sprintf("%s %s", r.Outcome, r.Label())
	if r.Outcome != Pass || verbose {
		if r.Reason != "" && (r.Outcome != Pass || verbose) {
			reason := strings.ReplaceAll(r.Reason, "\n", " ")
			if len(reason) > 400 {
				reason = reason[:400] + "..."
			}
			line += ": " + reason
		}
	}
	fmt.Fprintln(w, line)
}
