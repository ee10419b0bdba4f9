package rqtt

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ksqlgo/ksql/engine/qtt"
	"github.com/ksqlgo/ksql/sql"
	"github.com/ksqlgo/ksql/sql/ast"
)

// queryProcessingDelay is the executor's pause before the queries
// (QUERY_PROCESSING_DELAY_MS).
const queryProcessingDelay = 100 * time.Millisecond

// RunCase runs one (expanded) case on a fresh server.
func RunCase(ctx context.Context, c Case, opts Options, newServer NewServer) (res qtt.Result) {
	res.ExpectedError = c.ExpectedError != nil
	if r := skipReason(c); r != "" {
		res.Outcome, res.Reason = qtt.Skip, r
		return res
	}
	if err := validate(c); err != nil {
		res.Outcome, res.Reason = qtt.Fail, err.Error()
		return res
	}
	defer func() {
		if r := recover(); r != nil {
			res.Outcome, res.Reason = qtt.Fail, fmt.Sprintf("panic: %v", r)
		}
	}()
	srv, err := newServer(ctx, opts)
	if err != nil {
		res.Outcome, res.Reason = qtt.Fail, "starting the server: "+err.Error()
		return res
	}
	defer srv.Close()
	x := &executor{c: c, srv: srv, client: newClient(srv.URL(), c.Properties, opts.queryTimeout()), opts: opts}
	matched, err := x.run(ctx)
	if err != nil {
		res.Outcome, res.Reason = qtt.Fail, err.Error()
		return res
	}
	res.Outcome = qtt.Pass
	switch {
	case matched != nil:
		res.MessageMatched = true
		res.Reason = "expected error: " + matched.String()
	case c.ExpectedError != nil:
		// As in ksqlDB's executor, which checks expectedError only against
		// an error response or queries that answered.
		res.Reason = "no statement failed, and no query answered, so the expected error was not checked (as in ksqlDB's executor)"
	}
	return res
}

// executor is RestTestExecutor.buildAndExecuteQuery for one case.
type executor struct {
	c      Case
	srv    Server
	client *client
	opts   Options
}

// run executes the case; it returns the error response that matched the
// case's expectedError, if the case ended on one.
func (x *executor) run(ctx context.Context) (*errorResponse, error) {
	c := x.c
	expected := make([]*object, 0, len(c.Responses))
	nonProto := 0
	for i, raw := range c.Responses {
		v, err := parseJSON(raw)
		if err != nil {
			return nil, fmt.Errorf("invalid test case: responses[%d]: %v", i, err)
		}
		o, ok := v.(*object)
		if !ok {
			return nil, fmt.Errorf("invalid test case: responses[%d] is not an object", i)
		}
		if _, proto := o.get("queryProto"); !proto {
			nonProto++
		}
		expected = append(expected, o)
	}
	if len(c.Statements) < nonProto {
		return nil, fmt.Errorf("invalid test case: more expected responses than statements (statements %d, responses %d)", len(c.Statements), nonProto)
	}
	admin, queries, err := splitStatements(c.Statements)
	if err != nil {
		return nil, err
	}
	if err := x.createTopics(ctx); err != nil {
		return nil, fmt.Errorf("creating topics: %w", err)
	}

	entities, errResp, err := x.client.ksql(ctx, strings.Join(admin, "\n"))
	if err != nil {
		return nil, err
	}
	if errResp != nil {
		return x.handleError(errResp)
	}
	actual := make([]response, 0, len(entities))
	for _, e := range entities {
		actual = append(actual, response{admin: e})
	}

	wait := c.InputConditions != nil && c.InputConditions.WaitForActivePushQuery
	if !wait {
		if err := x.produceInputs(ctx); err != nil {
			return nil, err
		}
	}
	if c.ExpectedError == nil && len(c.Responses) > len(admin) {
		if err := x.srv.WaitForPersistentQueries(ctx); err != nil {
			return nil, err
		}
	}
	select {
	case <-time.After(queryProcessingDelay):
	case <-ctx.Done():
		return nil, ctx.Err()
	}

	var matched *errorResponse
	queryResponses := 0
	for i, q := range queries {
		var rows []any
		var errResp *errorResponse
		if wait {
			if i > 0 {
				return nil, fmt.Errorf("invalid test case: can only have one query when using inputConditions")
			}
			rows, errResp, err = x.client.queryStreamed(ctx, q, func() error { return x.produceInputs(ctx) })
		} else {
			rows, errResp, err = x.client.query(ctx, q)
		}
		if err != nil {
			return nil, err
		}
		if errResp != nil {
			if _, err := x.handleError(errResp); err != nil {
				return nil, err
			}
			matched = errResp
			continue
		}
		actual = append(actual, response{rows: rows})
		queryResponses++
	}
	if queryResponses > 0 && c.ExpectedError != nil {
		return nil, fmt.Errorf("expected the last statement to return an error (%s), but the queries succeeded", describeExpected(c.ExpectedError))
	}

	if err := x.verifyOutputs(ctx); err != nil {
		return nil, err
	}
	verifyOrder := c.OutputConditions != nil && c.OutputConditions.VerifyOrder
	if err := verifyResponses(actual, expected, c.Statements, verifyOrder); err != nil {
		return nil, err
	}
	return matched, nil
}

// handleError is handleErrorResponse: an error is a failure unless the
// case expects one, and then it must match.
func (x *executor) handleError(e *errorResponse) (*errorResponse, error) {
	if x.c.ExpectedError == nil {
		stmt := e.statementText
		if stmt == "" {
			stmt = "-"
		}
		return nil, fmt.Errorf("server failed to execute statement: %s (statement: %s)", e, stmt)
	}
	if err := x.c.ExpectedError.check(e, x.c.Statements[len(x.c.Statements)-1]); err != nil {
		return nil, err
	}
	return e, nil
}

func describeExpected(e *expectedError) string {
	var parts []string
	if e.Type != nil {
		parts = append(parts, "type "+*e.Type)
	}
	if e.Message != nil {
		parts = append(parts, fmt.Sprintf("message containing %q", *e.Message))
	}
	if e.Status != nil {
		parts = append(parts, fmt.Sprintf("status %d", *e.Status))
	}
	return strings.Join(parts, ", ")
}

// splitStatements splits the statements into the admin statements and
// the queries that follow them: a query is a statement that starts with
// "SELECT " (as written), and every statement after the first query must
// be one.
func splitStatements(all []string) (admin, queries []string, err error) {
	first := -1
	for i, s := range all {
		if strings.HasPrefix(s, "SELECT ") {
			if first < 0 {
				first = i
			}
		} else if first >= 0 {
			return nil, nil, fmt.Errorf("invalid test case: statement %d follows queries, but is not a query; all queries should be at the end of the statement list", i)
		}
	}
	if first < 0 {
		first = len(all)
	}
	return all[:first], all[first:], nil
}

// createTopics creates the topics ksqlDB's harness creates
// (TestCaseBuilderUtil.getAllTopics): the declared ones, those of CREATE
// STREAM/TABLE statements with a KAFKA_TOPIC (with their PARTITIONS, or
// one), and those of inputs and outputs (one partition).
func (x *executor) createTopics(ctx context.Context) error {
	parts := map[string]int32{}
	for _, t := range x.c.Topics {
		p := t.Partitions
		if p <= 0 {
			p = 1
		}
		parts[t.Name] = p
	}
	for _, text := range x.c.Statements {
		stmts, err := sql.Parse(text)
		if err != nil {
			continue // the server reports it
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
			if topic == "" {
				continue
			}
			p := int32(1)
			if pl, ok := cs.Props.Get("PARTITIONS"); ok {
				if n, err := strconv.Atoi(fmt.Sprint(pl.Value)); err == nil && n > 0 {
					p = int32(n)
				}
			}
			if _, declared := parts[topic]; !declared {
				parts[topic] = p
			}
		}
	}
	for _, recs := range [][]qtt.RecordNode{x.c.Inputs, x.c.Outputs} {
		for _, r := range recs {
			if _, ok := parts[r.Topic]; !ok {
				parts[r.Topic] = 1
			}
		}
	}
	names := make([]string, 0, len(parts))
	for n := range parts {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := x.srv.CreateTopic(ctx, n, parts[n]); err != nil {
			return err
		}
	}
	return nil
}

// produceInputs sends the inputs topic by topic (getInputsByTopic: topics
// in the order they first appear, each topic's records in order).
func (x *executor) produceInputs(ctx context.Context) error {
	for _, g := range groupByTopic(x.c.Inputs) {
		for i, rec := range g.records {
			if err := x.srv.Produce(ctx, rec); err != nil {
				return fmt.Errorf("failed to send record %d to %s: %w", i, g.topic, err)
			}
		}
	}
	return nil
}

func (x *executor) verifyOutputs(ctx context.Context) error {
	for _, g := range groupByTopic(x.c.Outputs) {
		if err := x.srv.VerifyOutput(ctx, g.topic, g.records); err != nil {
			return fmt.Errorf("topic %s: %w", g.topic, err)
		}
	}
	return nil
}

type topicRecords struct {
	topic   string
	records []qtt.RecordNode
}

func groupByTopic(recs []qtt.RecordNode) []topicRecords {
	var out []topicRecords
	idx := map[string]int{}
	for _, r := range recs {
		i, ok := idx[r.Topic]
		if !ok {
			i = len(out)
			idx[r.Topic] = i
			out = append(out, topicRecords{topic: r.Topic})
		}
		out[i].records = append(out[i].records, r)
	}
	return out
}
