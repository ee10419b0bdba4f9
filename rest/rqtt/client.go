package rqtt

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// client speaks to the server as ksqlDB's KsqlRestClient does for the
// executor: every request carries the case's properties as
// streamsProperties; /ksql answers a list of entities or an error
// message; /query answers a JSON array of StreamedRows, one per line.
type client struct {
	base    string
	props   map[string]any
	timeout time.Duration
	http    *http.Client
}

func newClient(base string, props map[string]any, timeout time.Duration) *client {
	if props == nil {
		props = map[string]any{}
	}
	return &client{base: base, props: props, timeout: timeout, http: &http.Client{}}
}

// entityTypes are the @type names of ksqlDB's KsqlEntity subtypes: its
// client cannot read any other entity.
var entityTypes = map[string]bool{
	"currentStatus": true, "properties": true, "queries": true, "sourceDescription": true,
	"queryDescription": true, "topicDescription": true, "streams": true, "tables": true,
	"kafka_topics": true, "kafka_topics_extended": true, "executionPlan": true,
	"source_descriptions": true, "query_descriptions": true, "describe_function": true,
	"function_names": true, "connector_info": true, "drop_connector": true, "connector_list": true,
	"connector_plugins_list": true, "connector_description": true, "type_list": true,
	"warning_entity": true, "variables": true, "terminate_query": true, "assert_topic": true,
	"assert_schema": true,
}

func (c *client) post(ctx context.Context, path, sql string) (*http.Response, error) {
	body, err := json.Marshal(map[string]any{"ksql": sql, "streamsProperties": c.props})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	return c.http.Do(req)
}

// ksql runs statements through POST /ksql.
func (c *client) ksql(ctx context.Context, sql string) ([]*object, *errorResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	resp, err := c.post(ctx, "/ksql", sql)
	if err != nil {
		return nil, nil, fmt.Errorf("POST /ksql: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, fmt.Errorf("POST /ksql: reading the response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, readError(resp, "/ksql", body), nil
	}
	v, err := parseJSON(body)
	if err != nil {
		return nil, nil, fmt.Errorf("POST /ksql: failed to deserialise the entity list: %v: %s", err, clip(body))
	}
	list, ok := v.([]any)
	if !ok {
		return nil, nil, fmt.Errorf("POST /ksql: the response is not a list of entities: %s", clip(body))
	}
	out := make([]*object, 0, len(list))
	for i, e := range list {
		o, ok := e.(*object)
		if !ok {
			return nil, nil, fmt.Errorf("POST /ksql: entity %d is not an object: %s", i, render(e))
		}
		t, _ := o.vals["@type"].(string)
		if !entityTypes[t] {
			return nil, nil, fmt.Errorf("POST /ksql: failed to deserialise entity %d: unknown @type %q: %s", i, t, render(o))
		}
		out = append(out, dropEmpty(throughServer(o), false).(*object))
	}
	return out, nil, nil
}

// readError reads a non-200 answer as KsqlClientUtil.createErrorResponse:
// a KsqlErrorMessage when the body is one (by its @type), otherwise a
// message made from the status.
func readError(resp *http.Response, path string, body []byte) *errorResponse {
	e := &errorResponse{path: path, status: resp.StatusCode}
	if v, err := parseJSON(body); err == nil {
		if o, ok := v.(*object); ok {
			t, _ := o.vals["@type"].(string)
			if t == "generic_error" || t == "statement_error" {
				e.statementError = t == "statement_error"
				e.message, _ = o.vals["message"].(string)
				e.statementText, _ = o.vals["statementText"].(string)
				return e
			}
		}
	}
	switch resp.StatusCode {
	case http.StatusNotFound:
		e.message = "Path not found. Path='" + path + "'. Check your ksql http url to make sure you are connecting to a ksql server."
	case http.StatusUnauthorized:
		e.message = "Could not authenticate successfully with the supplied credentials."
	case http.StatusForbidden:
		e.message = "You are forbidden from using this cluster."
	default:
		e.message = "The server returned an unexpected error: " + http.StatusText(resp.StatusCode)
	}
	return e
}

// query runs a SELECT through POST /query and reads the whole stream.
func (c *client) query(ctx context.Context, sql string) ([]any, *errorResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	resp, err := c.post(ctx, "/query", sql)
	if err != nil {
		return nil, nil, fmt.Errorf("POST /query %s: %w", sql, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			rows, _ := toRows(body)
			return nil, nil, fmt.Errorf("POST /query %s: the response did not end within %s; rows so far: %s", sql, c.timeout, renderRows(rows))
		}
		return nil, nil, fmt.Errorf("POST /query %s: reading the response: %w", sql, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, readError(resp, "/query", body), nil
	}
	rows, err := toRows(body)
	if err != nil {
		return nil, nil, fmt.Errorf("POST /query %s: %w", sql, err)
	}
	return rows, nil, nil
}

// queryStreamed runs a push query through POST /query, calls afterHeader
// once the header row arrived (the query is running: inputs produced now
// reach it), and reads rows up to the first terminal one (finalMessage or
// errorMessage) or the end of the stream.
func (c *client) queryStreamed(ctx context.Context, sql string, afterHeader func() error) ([]any, *errorResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	resp, err := c.post(ctx, "/query", sql)
	if err != nil {
		return nil, nil, fmt.Errorf("POST /query %s: %w", sql, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		return nil, readError(resp, "/query", body), nil
	}
	var rows []any
	headerSeen := false
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64*1024), 16<<20)
	for sc.Scan() {
		row, ok, err := toRow(sc.Bytes())
		if err != nil {
			return nil, nil, fmt.Errorf("POST /query %s: %w", sql, err)
		}
		if !ok {
			continue
		}
		rows = append(rows, row)
		o := row.(*object)
		if isTerminal(o) {
			return rows, nil, nil
		}
		if _, h := o.get("header"); h && !headerSeen {
			headerSeen = true
			if err := afterHeader(); err != nil {
				return nil, nil, err
			}
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, nil, fmt.Errorf("POST /query %s: the push query did not end within %s; rows so far: %s", sql, c.timeout, renderRows(rows))
		}
		return nil, nil, fmt.Errorf("POST /query %s: reading the stream: %w", sql, err)
	}
	if !headerSeen {
		return nil, nil, fmt.Errorf("POST /query %s: the stream ended without a header; rows: %s", sql, renderRows(rows))
	}
	return rows, nil, nil
}

func isTerminal(o *object) bool {
	_, f := o.get("finalMessage")
	_, e := o.get("errorMessage")
	return f || e
}

// toRows splits a /query body as KsqlTargetUtil.toRows: one StreamedRow
// per line, the array's brackets and the separating commas stripped,
// blank lines (keep-alives) ignored.
func toRows(body []byte) ([]any, error) {
	rows := []any{}
	lines := bytes.Split(body, []byte("\n"))
	for i, line := range lines {
		if i == len(lines)-1 && len(line) <= 1 {
			break // a last fragment of one byte (the closing bracket) is not a row
		}
		row, ok, err := toRow(line)
		if err != nil {
			return nil, err
		}
		if ok {
			rows = append(rows, row)
		}
	}
	return rows, nil
}

// toRow reads one line of a /query stream (BytesUtils.toJsonMsg, then a
// StreamedRow): false for a line with nothing in it.
func toRow(line []byte) (any, bool, error) {
	if len(line) == 0 {
		return nil, false, nil
	}
	start, end := 0, len(line)-1
	if line[0] == '[' {
		start = 1
	}
	if line[end] == ']' {
		end--
	}
	if end > 0 && line[end] == ',' {
		end--
	}
	if end+1 <= start {
		return nil, false, nil
	}
	msg := line[start : end+1]
	v, err := parseJSON(msg)
	if err != nil {
		return nil, false, fmt.Errorf("failed to deserialise a row %q: %v", clip(msg), err)
	}
	o, ok := v.(*object)
	if !ok {
		return nil, false, fmt.Errorf("failed to deserialise a row: %s is not a StreamedRow object", clip(msg))
	}
	if h, ok := o.get("header"); ok {
		ho, isObj := h.(*object)
		if !isObj {
			return nil, false, fmt.Errorf("failed to deserialise a row: header %s is not an object", render(h))
		}
		if q, ok := ho.get("queryId"); !ok || q == nil {
			return nil, false, fmt.Errorf("failed to deserialise a row: the header has no queryId (required): %s", render(ho))
		}
	}
	return dropEmpty(throughServer(o), false), true, nil
}

func clip(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}
