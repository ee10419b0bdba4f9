package client

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
)

// Column is one column of a query's result.
type Column struct {
	Name string
	// Type is the SQL type as the server prints it ("BIGINT",
	// "STRUCT<`A` INTEGER>").
	Type string
	// Key marks the key columns of a pull query (POST /query's header
	// schema says "`ID` STRING KEY"; /query-stream does not tell).
	Key bool
}

// Row is one result row, values in column order as JSON decodes them
// (numbers as json.Number, so BIGINT and DECIMAL keep their digits).
type Row struct {
	Values []any
	// Tombstone marks a deleted table row (only key columns are set);
	// POST /query reports them, the delimited /query-stream drops them.
	Tombstone bool
}

// Rows is a running query's result stream. Next returns rows until the
// stream ends (io.EOF: FinalMessage then says why, "Limit Reached" or
// "Query Completed" or "") or fails (*Error for a server's error
// message). Close ends the query from the client's side; it is safe to
// call from another goroutine than Next's and more than once.
type Rows struct {
	QueryID string
	Columns []Column

	body  io.ReadCloser
	dec   *json.Decoder
	array bool // POST /query's JSON array
	final string
	done  bool
	// pending is a row read before Query returned.
	pending *Row
}

// QueryRequest is a query for Query and QueryStream.
type QueryRequest struct {
	SQL              string
	Properties       map[string]any
	SessionVariables map[string]any
}

// Query runs a push or pull query (or PRINT) through POST /query, the
// endpoint ksqlDB's CLI uses: a JSON array of StreamedRow objects (header
// with the schema, rows, tombstones, a final message) over HTTP/1.1.
// Cancelling ctx or calling Close ends the query on the server.
func (c *Client) Query(ctx context.Context, q QueryRequest) (*Rows, error) {
	body := Request{KSQL: q.SQL, StreamsProperties: q.Properties, SessionVariables: q.SessionVariables}
	req, err := c.newRequest(ctx, http.MethodPost, "/query", body, "application/vnd.ksql.v1+json")
	if err != nil {
		return nil, err
	}
	resp, err := c.do(req)
	if err != nil {
		return nil, err
	}
	r := &Rows{body: resp.Body, dec: json.NewDecoder(resp.Body), array: true}
	r.dec.UseNumber()
	tok, err := r.dec.Token()
	if err != nil {
		resp.Body.Close()
		return nil, fmt.Errorf("POST /query: reading the response: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		resp.Body.Close()
		return nil, fmt.Errorf("POST /query: expected a JSON array, got %v", tok)
	}
	// The header comes first; an error or the end may come instead.
	row, err := r.next()
	if err != nil && !errors.Is(err, io.EOF) {
		resp.Body.Close()
		return nil, err
	}
	if err == nil && row != nil {
		// A row before any header: keep it for the first Next.
		r.pending = row
	}
	return r, nil
}

// streamedRow is ksqlDB's StreamedRow.
type streamedRow struct {
	Header *struct {
		QueryID string `json:"queryId"`
		Schema  string `json:"schema"`
	} `json:"header"`
	Row *struct {
		Columns   []any `json:"columns"`
		Tombstone bool  `json:"tombstone"`
	} `json:"row"`
	FinalMessage *string `json:"finalMessage"`
	ErrorMessage *Error  `json:"errorMessage"`
}

// next reads StreamedRows until a row, the end or an error; headers and
// final messages update r.
func (r *Rows) next() (*Row, error) {
	for {
		if r.done {
			return nil, io.EOF
		}
		if !r.dec.More() {
			r.done = true
			return nil, io.EOF
		}
		var sr streamedRow
		if err := r.dec.Decode(&sr); err != nil {
			r.done = true
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, fmt.Errorf("the server closed the query's stream: %w", io.ErrUnexpectedEOF)
			}
			return nil, err
		}
		switch {
		case sr.ErrorMessage != nil:
			r.done = true
			return nil, sr.ErrorMessage
		case sr.Header != nil:
			r.QueryID = sr.Header.QueryID
			cols, err := ParseSchema(sr.Header.Schema)
			if err != nil {
				return nil, err
			}
			r.Columns = cols
			return nil, nil
		case sr.Row != nil:
			return &Row{Values: sr.Row.Columns, Tombstone: sr.Row.Tombstone}, nil
		case sr.FinalMessage != nil:
			r.final = *sr.FinalMessage
		}
	}
}

// QueryStream runs a push or pull query through POST /query-stream in
// ksqlDB's delimited form (a header object, then one JSON array per row);
// it works over HTTP/1.1 and HTTP/2.
func (c *Client) QueryStream(ctx context.Context, q QueryRequest) (*Rows, error) {
	body := map[string]any{"sql": q.SQL}
	if q.Properties != nil {
		body["properties"] = q.Properties
	}
	if q.SessionVariables != nil {
		body["sessionVariables"] = q.SessionVariables
	}
	req, err := c.newRequest(ctx, http.MethodPost, "/query-stream", body, "application/vnd.ksqlapi.delimited.v1")
	if err != nil {
		return nil, err
	}
	resp, err := c.do(req)
	if err != nil {
		return nil, err
	}
	r := &Rows{body: resp.Body, dec: json.NewDecoder(bufio.NewReader(resp.Body))}
	r.dec.UseNumber()
	var head json.RawMessage
	if err := r.dec.Decode(&head); err != nil {
		resp.Body.Close()
		return nil, fmt.Errorf("POST /query-stream: reading the header: %w", err)
	}
	var h struct {
		QueryID     string   `json:"queryId"`
		ColumnNames []string `json:"columnNames"`
		ColumnTypes []string `json:"columnTypes"`
		ErrorCode   int      `json:"error_code"`
	}
	if err := json.Unmarshal(head, &h); err != nil {
		resp.Body.Close()
		return nil, fmt.Errorf("POST /query-stream: the header is not an object: %s", head)
	}
	if h.ErrorCode != 0 {
		resp.Body.Close()
		e := &Error{StatusCode: resp.StatusCode}
		_ = json.Unmarshal(head, e)
		return nil, e
	}
	r.QueryID = h.QueryID
	for i, n := range h.ColumnNames {
		col := Column{Name: n}
		if i < len(h.ColumnTypes) {
			col.Type = h.ColumnTypes[i]
		}
		r.Columns = append(r.Columns, col)
	}
	return r, nil
}

func (r *Rows) nextDelimited() (*Row, error) {
	if r.done {
		return nil, io.EOF
	}
	var raw json.RawMessage
	if err := r.dec.Decode(&raw); err != nil {
		r.done = true
		if errors.Is(err, io.EOF) {
			return nil, io.EOF
		}
		return nil, err
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '{' {
		// An error object ends the stream.
		r.done = true
		e := &Error{}
		if err := json.Unmarshal(raw, e); err != nil {
			return nil, fmt.Errorf("POST /query-stream: unexpected object %s", raw)
		}
		return nil, e
	}
	var vals []any
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(&vals); err != nil {
		return nil, fmt.Errorf("POST /query-stream: bad row %s: %w", raw, err)
	}
	return &Row{Values: vals}, nil
}

// Next returns the next row; io.EOF at the end of the stream.
func (r *Rows) Next() (Row, error) {
	if r.pending != nil {
		row := *r.pending
		r.pending = nil
		return row, nil
	}
	var row *Row
	var err error
	if r.array {
		row, err = r.next()
		for err == nil && row == nil { // a late header
			row, err = r.next()
		}
	} else {
		row, err = r.nextDelimited()
	}
	if err != nil {
		return Row{}, err
	}
	return *row, nil
}

// FinalMessage is the server's last word once Next returned io.EOF
// ("Limit Reached", "Query Completed", or "").
func (r *Rows) FinalMessage() string { return r.final }

// Close ends the stream (the server stops a push query whose client
// went away).
func (r *Rows) Close() error { return r.body.Close() }

// ParseSchema splits a StreamedRow header schema
// ("`ID` STRING KEY, `COUNT` BIGINT") into columns.
func ParseSchema(s string) ([]Column, error) {
	var cols []Column
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	for _, part := range splitTopLevel(s) {
		part = strings.TrimSpace(part)
		var c Column
		if strings.HasPrefix(part, "`") {
			end := 1
			for end < len(part) {
				if part[end] == '`' {
					if end+1 < len(part) && part[end+1] == '`' {
						end += 2
						continue
					}
					break
				}
				end++
			}
			if end >= len(part) {
				return nil, fmt.Errorf("bad column in schema %q", s)
			}
			c.Name = strings.ReplaceAll(part[1:end], "``", "`")
			part = strings.TrimSpace(part[end+1:])
		} else {
			i := strings.IndexByte(part, ' ')
			if i < 0 {
				return nil, fmt.Errorf("bad column in schema %q", s)
			}
			c.Name, part = part[:i], strings.TrimSpace(part[i+1:])
		}
		if strings.HasSuffix(part, " KEY") {
			c.Key = true
			part = strings.TrimSpace(strings.TrimSuffix(part, " KEY"))
		}
		c.Type = part
		cols = append(cols, c)
	}
	return cols, nil
}

// splitTopLevel splits at commas outside <>, () and backticks.
func splitTopLevel(s string) []string {
	var out []string
	depth, start := 0, 0
	inTick := false
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; {
		case ch == '`':
			inTick = !inTick
		case inTick:
		case ch == '<' || ch == '(':
			depth++
		case ch == '>' || ch == ')':
			depth--
		case ch == ',' && depth == 0:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}
