// Package qtt runs ksqlDB's query-validation tests (QTT) against the
// engine: a JSON file of cases, each with statements, input records,
// expected output records or an expected error, and post-conditions on the
// resulting sources. It also runs ksql-test-runner's form: a statements
// file plus input and output record files.
//
// Every case runs on a fresh engine in a temporary directory, driven
// synchronously: one input record is appended, then every query runs until
// idle, each task reading one record at a time and committing it at once,
// as Kafka Streams' TopologyTestDriver does. Verdicts are those of ksqlDB's
// TestExecutor: compare.go, expect.go and post.go say how.
package qtt

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/broker/embedded"
	"github.com/ksqlgo/ksql/catalog"
	"github.com/ksqlgo/ksql/engine"
	"github.com/ksqlgo/ksql/engine/qtt/testfuncs"
	"github.com/ksqlgo/ksql/exec/functions"
	"github.com/ksqlgo/ksql/sql"
	"github.com/ksqlgo/ksql/sql/ast"
	"github.com/ksqlgo/ksql/sql/types"
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

// ExceptionNode is the expected failure (expect.go matches it).
type ExceptionNode struct {
	Type         string `json:"type"`
	Message      string `json:"message"`
	Cause        string `json:"cause"`
	CauseMessage string `json:"causeMessage"`
}

func (e *ExceptionNode) String() string {
	return fmt.Sprintf("an instance of %s with message containing %q", e.Type, e.Message)
}

// PostNode holds post-conditions.
type PostNode struct {
	Sources []PostSource `json:"sources"`
	Topics  *PostTopics  `json:"topics"`
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

	// testFunctions registers ksqlDB's test-suite functions (testfuncs),
	// which its QTT harness has on its classpath; RunFile sets it, the
	// ksql-test-runner form (a user's tool) does not.
	testFunctions bool
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
	opts.testFunctions = true
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
	return registryReason(text, c.Properties, qttRegistryFormats)
}

// qttRegistryFormats are the formats whose QTT cases need a schema
// registry, which this engine does not provide. PROTOBUF_NOSR needs none:
// its cases run (and fail until the engine has the format).
var qttRegistryFormats = []string{"AVRO", "PROTOBUF", "JSON_SR"}

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
	emb, err := embedded.Open(filepath.Join(dir, "log"), embedded.Options{SyncPolicy: embedded.SyncInterval, SyncInterval: time.Hour})
	if err != nil {
		res.Outcome, res.Reason = Fail, "opening the log: "+err.Error()
		return res
	}
	lg := newSeqLog(emb)
	var extra func(*functions.Registry)
	if opts.testFunctions {
		extra = testfuncs.Register
	}
	// One record per poll, committed at once: Drain moves each record
	// through a stage before the stage reads the next, and the log numbers
	// output in the order it is produced.
	eng, err := engine.Open(ctx, engine.Config{DataDir: dir, Log: lg, Properties: props, Synchronous: true, NoSync: true,
		MaxBatch: 1, CommitInterval: time.Nanosecond, Functions: extra})
	if err != nil {
		res.Outcome, res.Reason = Fail, "opening the engine: "+err.Error()
		return res
	}
	defer eng.Close()
	r := &runner{eng: eng, log: lg, c: c}
	err = r.run(ctx)
	var re *runError
	switch {
	case err == nil:
		res.Outcome = Pass
	case c.ExpectedException != nil && errors.As(err, &re):
		if why := matchException(c.ExpectedException, re); why != "" {
			res.Outcome, res.Reason = Fail, why
		} else {
			res.Outcome, res.MessageMatched, res.Reason = Pass, true, re.unlogged()
		}
	default:
		res.Outcome, res.Reason = Fail, err.Error()
	}
	return res
}

type runner struct {
	eng *engine.Engine
	log *seqLog
	c   Case
	// created are the topics the runner created, as ksqlDB's test
	// harness does (TestCaseBuilderUtil.getAllTopics).
	created []string
}

// failure is a mismatch against expectations (as opposed to an error the
// engine raised, which may be the expected exception).
type failure struct{ msg string }

func (f *failure) Error() string { return f.msg }

func failf(format string, args ...any) error { return &failure{msg: fmt.Sprintf(format, args...)} }

// run runs a case in the order of ksqlDB's TestExecutor. It returns nil
// when everything matched, a *runError for what ksqlDB raises as a
// RuntimeException (which an expected exception may match) and any other
// error for a failure no expected exception can match.
func (r *runner) run(ctx context.Context) error {
	if err := r.createTopics(ctx); err != nil {
		return err
	}
	sess := engine.NewSession()
	for k, v := range r.c.Properties {
		sess.Properties[k] = fmt.Sprint(v)
	}
	queries, done := 0, 0
	// ksqlDB's executor parses the statements joined by line breaks
	// (TestExecutorUtil), so positions in its messages count lines from
	// the first statement: each statement is run where it stands in that
	// script, after as many blank lines as lines precede it.
	line := 1
	for i, text := range r.c.Statements {
		at := line
		line += strings.Count(text, "\n") + 1
		results, err := r.eng.Execute(ctx, strings.Repeat("\n", at-1)+text, sess)
		done += len(results)
		for _, res := range results {
			if res.QueryID != "" {
				queries++
			}
		}
		if err != nil {
			re := statementError(err, text)
			if r.c.ExpectedException != nil && re.javaType != "ParseFailedException" {
				// ksqlDB parses every statement first, so a syntax error
				// may be anywhere; a statement rejected later must be the
				// last one.
				n := len(results) + 1
				if stmts, perr := r.eng.Parse(text, sess); perr == nil {
					n = len(stmts)
				}
				if i != len(r.c.Statements)-1 || len(results) != n-1 {
					return failf("Only the last statement in a negative test should fail. Yet in this case statement %d failed: %s", done+1, oneLine(re.unlogged()))
				}
			}
			return re
		}
	}
	if len(r.c.Inputs) == 0 && r.c.ExpectedException != nil {
		return failf("Expected test to throw %s", r.c.ExpectedException)
	}
	if queries == 0 {
		return failf("test did not generate any queries.")
	}
	if err := r.eng.Drain(ctx); err != nil {
		return processingError(err)
	}
	for i, in := range r.c.Inputs {
		src := SourceFor(r.eng.Catalog(), in.Topic)
		if err := Produce(ctx, r.eng.Log(), src, kafkaBytesInput(src, in)); err != nil {
			return failf("input %d: %v", i, err)
		}
		if err := r.eng.Drain(ctx); err != nil {
			return processingError(err)
		}
	}
	if err := r.checkOutputs(ctx); err != nil {
		return err
	}
	if r.c.ExpectedException != nil {
		return failf("Expected test to throw %s", r.c.ExpectedException)
	}
	known, err := r.knownTopics(ctx)
	if err != nil {
		return err
	}
	if err := r.checkPost(); err != nil {
		return err
	}
	if r.c.Post != nil {
		return r.checkPostTopics(ctx, known)
	}
	return nil
}

// kafkaBytesInput gives a KAFKA key or value of one BYTES column what
// ksqlDB's QTT serializer writes for it (KafkaSerdeSupplier's
// TestByteBufferSerializer): the UTF-8 bytes of the JSON string, where
// Produce (shared with rest/rqtt) decodes the string as base64.
func kafkaBytesInput(src *catalog.Source, in RecordNode) RecordNode {
	if src == nil {
		return in
	}
	utf8Bytes := func(f catalog.Format, cols []catalog.Column, raw json.RawMessage) json.RawMessage {
		var s string
		if !strings.EqualFold(f.Name, "KAFKA") || len(cols) != 1 || cols[0].Type.Kind != types.KindBytes || json.Unmarshal(raw, &s) != nil {
			return raw
		}
		b, _ := json.Marshal(base64.StdEncoding.EncodeToString([]byte(s)))
		return b
	}
	in.Key = utf8Bytes(src.KeyFormat, src.Schema.Key(), in.Key)
	in.Value = utf8Bytes(src.ValueFormat, ValueCols(src), in.Value)
	return in
}

// processingError is a query that failed while processing: Kafka
// Streams' TopologyTestDriver throws a StreamsException.
func processingError(err error) error {
	return &runError{javaType: "StreamsException", msg: err.Error(), cause: errors.Unwrap(err)}
}

// knownTopics are the topics ksqlDB's executor knows after a run: the
// topics of its stub Kafka (the ones the runner created, and sinks), each
// of which a source must describe (TopicInfoCache throws otherwise), and
// the topics the queries produced (repartition topics here).
func (r *runner) knownTopics(ctx context.Context) ([]string, error) {
	for _, t := range r.created {
		if SourceFor(r.eng.Catalog(), t) == nil {
			return nil, noTopicInfo(t)
		}
	}
	topics, err := r.eng.Log().Topics(ctx)
	if err != nil {
		return nil, failf("listing topics: %v", err)
	}
	serviceID := "some.ksql.service.id"
	if v, ok := r.c.Properties["ksql.service.id"]; ok {
		serviceID = fmt.Sprint(v)
	}
	procLog := serviceID + "ksql_processing_log"
	if v, ok := r.c.Properties["ksql.logging.processing.topic.name"]; ok {
		procLog = fmt.Sprint(v)
	}
	var out []string
	for _, t := range topics {
		if t.Name == procLog || t.Name == "_confluent-ksql-"+serviceID+"_command_topic" {
			continue
		}
		out = append(out, t.Name)
	}
	return out, nil
}

// noTopicInfo is TopicInfoCache's failure for a topic no source describes.
func noTopicInfo(topic string) error {
	return &runError{javaType: "TestFrameworkException",
		msg: fmt.Sprintf("Failed to determine key type for\ntopic: %s\nreason: No information found for topic '%s'", topic, topic)}
}

// createTopics creates the topics that ksqlDB's test harness would:
// declared topics with their partitions, the topics of CREATE statements
// with the PARTITIONS they give, and the topics of input records. ksqlDB
// gives a topic with no partition count 4; here it has 1, the partition
// ksqlDB's TopologyTestDriver reads every topic as.
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
			p := int32(1)
			if pl, has := cs.Props.Get("PARTITIONS"); has {
				if n, err := strconv.ParseInt(fmt.Sprint(pl.Value), 10, 32); err == nil && n > 0 {
					p = int32(n)
				}
			}
			if _, declared := parts[topic]; !declared {
				parts[topic] = p
			}
		}
	}
	// ksqlDB also creates the topics of expected outputs; here the query
	// that writes one creates it, with its source's partitions.
	for _, in := range r.c.Inputs {
		if _, ok := parts[in.Topic]; !ok {
			parts[in.Topic] = 1
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
	r.created = names
	return nil
}

// checkOutputs is TestExecutor.verifyOutput: per topic, the records in
// the order they were produced, deserialized with the topic's source,
// compared one by one with the expected records.
func (r *runner) checkOutputs(ctx context.Context) error {
	byTopic := map[string][]RecordNode{}
	var order []string
	for _, o := range r.c.Outputs {
		if _, ok := byTopic[o.Topic]; !ok {
			order = append(order, o.Topic)
		}
		byTopic[o.Topic] = append(byTopic[o.Topic], o)
	}
	exact := true
	if v, ok := r.c.Properties["use.exact.numeric.comparison"]; ok {
		if b, err := strconv.ParseBool(fmt.Sprint(v)); err == nil {
			exact = b
		}
	}
	ranWithInsertStatements := len(r.c.Inputs) == 0
	for _, topic := range order {
		expected := byTopic[topic]
		recs, _, err := r.log.readInOrder(ctx, topic)
		if err != nil {
			return err
		}
		src := SourceFor(r.eng.Catalog(), topic)
		if src == nil {
			return noTopicInfo(topic)
		}
		actual := make([]actualRecord, len(recs))
		for i, rec := range recs {
			if actual[i], err = deserialize(src, rec, exact); err != nil {
				return failf("topic %s record %d: %v", topic, i, err)
			}
		}
		if len(actual) != len(expected) {
			lines := make([]string, len(actual))
			for i, a := range actual {
				lines[i] = a.String()
			}
			return &runError{javaType: "KsqlException", msg: fmt.Sprintf("Topic %s. Expected <%d> records but it was <%d>\nActual records: \n%s",
				topic, len(expected), len(actual), strings.Join(lines, "\n"))}
		}
		for i := range expected {
			if err := validateRecord(expected[i], actual[i], ranWithInsertStatements); err != nil {
				return failf("Topic '%s', message %d: %v", topic, i, err)
			}
		}
	}
	return nil
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

// Summary totals results. ExpectedErrors counts the runs (passed or
// failed, not skipped) that expect a statement to be rejected;
// MessagesMatched those of them that passed: rejected by the statement
// ksqlDB rejects, with its exception type and message.
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
	case Fail:
		s.Failed++
	default:
		s.Skipped++
		return
	}
	if r.ExpectedError {
		s.ExpectedErrors++
		if r.Outcome == Pass && r.MessageMatched {
			s.MessagesMatched++
		}
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
