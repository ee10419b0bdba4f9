package rqtt

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/ksqlgo/ksql/engine/qtt"
)

// file is an RQTT file.
type file struct {
	Tests []Case `json:"tests"`
}

// Case is one test case, as ksqlDB's RestTestCaseNode.
type Case struct {
	Name                    string            `json:"name"`
	Format                  []string          `json:"format"`
	Inputs                  []qtt.RecordNode  `json:"inputs"`
	Outputs                 []qtt.RecordNode  `json:"outputs"`
	Topics                  []topicNode       `json:"topics"`
	Statements              []string          `json:"statements"`
	Properties              map[string]any    `json:"properties"`
	ExpectedError           *expectedError    `json:"expectedError"`
	Responses               []json.RawMessage `json:"responses"`
	InputConditions         *inputConditions  `json:"inputConditions"`
	OutputConditions        *outputConditions `json:"outputConditions"`
	Enabled                 *bool             `json:"enabled"`
	TestPullWithProtoFormat bool              `json:"testPullWithProtoFormat"`
}

// topicNode is ksqlDB's TopicNode.
type topicNode struct {
	Name          string `json:"name"`
	KeyFormat     string `json:"keyFormat"`
	ValueFormat   string `json:"valueFormat"`
	Format        string `json:"format"`
	Partitions    int32  `json:"partitions"`
	KeySchema     any    `json:"keySchema"`
	ValueSchema   any    `json:"valueSchema"`
	KeySchemaID   *int   `json:"keySchemaId"`
	ValueSchemaID *int   `json:"valueSchemaId"`
}

type inputConditions struct {
	WaitForActivePushQuery bool `json:"waitForActivePushQuery"`
}

type outputConditions struct {
	VerifyOrder bool `json:"verifyOrder"`
}

// Options tune a run.
type Options struct {
	// TempDir is where per-case data directories go ("" = os.TempDir()).
	TempDir string
	// Filter, when set, selects cases whose label ("file :: name") matches.
	Filter *regexp.Regexp
	// QueryTimeout bounds one /ksql or /query request: a push query whose
	// LIMIT is never reached fails after it with the rows it sent (0: 10s,
	// ample for the few records of a case on loopback; ksqlDB's JUnit rule
	// gives a whole case 90s).
	QueryTimeout time.Duration
}

func (o Options) queryTimeout() time.Duration {
	if o.QueryTimeout <= 0 {
		return 10 * time.Second
	}
	return o.QueryTimeout
}

// Server is what a case runs against: the REST API of a fresh engine, and
// the side door a Kafka test harness has to the topics (topic creation,
// producing inputs, reading outputs, waiting for persistent queries).
type Server interface {
	// URL is the base URL of the REST API, e.g. http://127.0.0.1:41234.
	URL() string
	CreateTopic(ctx context.Context, name string, partitions int32) error
	// Produce appends one input record, serialized as the topic's source
	// declares (as ksqlDB's executor serializes with the topic's serdes).
	Produce(ctx context.Context, rec qtt.RecordNode) error
	// WaitForPersistentQueries returns once every persistent query has
	// processed its inputs (IntegrationTestUtil.waitForPersistentQueriesToProcessInputs).
	WaitForPersistentQueries(ctx context.Context) error
	// VerifyOutput waits for at least len(expected) records on the topic
	// and compares the first ones with the expected records in order.
	VerifyOutput(ctx context.Context, topic string, expected []qtt.RecordNode) error
	Close() error
}

// NewServer starts the server for one case; properties are the case's.
type NewServer func(ctx context.Context, opts Options) (Server, error)

// RunPaths runs every RQTT file named, or found (*.json) under the folders
// named, in lexical order, each case on a fresh server from newServer.
func RunPaths(ctx context.Context, paths []string, opts Options, newServer NewServer, report func(qtt.Result)) error {
	files, err := qtt.TestFiles(paths)
	if err != nil {
		return err
	}
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := RunFile(ctx, f, opts, newServer, report); err != nil {
			return err
		}
	}
	return nil
}

// RunFile runs every case of one RQTT file. It stays apart from qtt.RunFile:
// the file and case shapes differ, each case runs on a server from
// newServer, and the context is checked before every run.
func RunFile(ctx context.Context, path string, opts Options, newServer NewServer, report func(qtt.Result)) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var f file
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&f); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	base := filepath.Base(path)
	for _, c := range f.Tests {
		for _, run := range expand(c) {
			if err := ctx.Err(); err != nil {
				return err
			}
			label := base + " :: " + run.label
			if opts.Filter != nil && !opts.Filter.MatchString(label) {
				continue
			}
			res := RunCase(ctx, run.c, opts, newServer)
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

// expand makes one run per format (RestTestCaseBuilder): "{FORMAT}" is
// substituted in the statements only. It is not qtt's expand on purpose:
// RQTT has no config matrix, leaves topic formats alone, and with no
// format puts ksqlDB's hint in place of "{FORMAT}".
func expand(c Case) []expandedRun {
	if len(c.Format) == 0 {
		r := c
		r.Statements = qtt.ReplaceAll(c.Statements, "{FORMAT}", "To use {FORMAT} in your statements please set the 'format' test case element")
		return []expandedRun{{label: c.Name, c: r}}
	}
	var out []expandedRun
	for _, f := range c.Format {
		r := c
		r.Statements = qtt.ReplaceAll(c.Statements, "{FORMAT}", f)
		out = append(out, expandedRun{label: c.Name + " - " + f, c: r})
	}
	return out
}

// skipReason says why a case cannot run here, or "". Unlike qtt's, it
// also skips PROTOBUF pull query cases and topics with schema ids; the
// schema registry formats rule is shared (qtt.SchemaRegistryReason).
func skipReason(c Case) string {
	if c.Enabled != nil && !*c.Enabled {
		return "disabled in ksqlDB's suite"
	}
	if c.TestPullWithProtoFormat {
		return "checks pull query results in PROTOBUF (queryProto responses over /query-stream), which this server does not serve"
	}
	text := strings.ToUpper(strings.Join(c.Statements, "\n"))
	for _, t := range c.Topics {
		text += " " + strings.ToUpper(t.Format+" "+t.KeyFormat+" "+t.ValueFormat)
		if t.KeySchema != nil || t.ValueSchema != nil || t.KeySchemaID != nil || t.ValueSchemaID != nil {
			return "needs a schema registry (topic schemas)"
		}
	}
	return qtt.SchemaRegistryReason(text, c.Properties)
}

// validate is RestTestCaseNode.validate and the executor's own checks of
// the case's shape.
func validate(c Case) error {
	if c.Name == "" {
		return fmt.Errorf("invalid test case: missing name")
	}
	if len(c.Statements) == 0 {
		return fmt.Errorf("invalid test case: statements was empty")
	}
	if len(c.Inputs) > 0 && c.ExpectedError != nil {
		return fmt.Errorf("invalid test case: inputs and expectedError can not both be set")
	}
	if e := c.ExpectedError; e != nil && e.Type == nil && e.Message == nil && e.Status == nil {
		return fmt.Errorf("invalid test case: missing expectedError.type, expectedError.message or expectedError.status")
	}
	return nil
}
