package engine

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"

	"github.com/ksqlgo/ksql/sql/ast"
)

// Queries whose results go to a client rather than to a topic: push
// queries (SELECT ... EMIT CHANGES), pull queries (SELECT without EMIT)
// and PRINT. The REST layer and the shell consume them through
// StreamQuery; the engine decides which kind a statement is.
//
// push.go runs push queries, pull.go pull queries, print.go PRINT.

// Column is one column of a query's result.
type Column struct {
	Name string
	// Type is the SQL type as ksqlDB prints it in result headers
	// ("INTEGER", "BIGINT", "STRING", "DECIMAL(4, 2)", "ARRAY<STRING>",
	// "STRUCT<`A` INTEGER>", ...).
	Type string
	// Key marks key columns of a pull query's result (ksqlDB's header
	// prints them as "`ID` STRING KEY").
	Key bool
}

// Row is one result row: values in column order, as JSON-ready Go values
// (nil, bool, int64 for INTEGER and BIGINT and the epoch numbers of
// TIMESTAMP, DATE and TIME, json.Number for DOUBLE and DECIMAL (their
// text as ksqlDB writes it: 11.0, 10.50), string, []any, map[string]any
// for MAP and STRUCT; numbers nested in them are json.Number).
type Row struct {
	Values []any
	// Tombstone marks a table row that was deleted (push queries on
	// tables): only the key columns are set.
	Tombstone bool
}

// QueryKind says what a StreamQuery is.
type QueryKind int

const (
	PushQuery QueryKind = iota
	PullQuery
	PrintTopic
)

// ErrQueryLimit is returned by StreamQuery when ksql.max.push.queries push
// queries already run (ksqlDB's error 40003).
var ErrQueryLimit = errors.New("max push queries exceeded")

// ErrSlowConsumer ends a push query whose client did not read its rows
// fast enough: the query's bounded buffer filled up.
var ErrSlowConsumer = errors.New("the client did not keep up with the query's output")

// ErrQueryClosed is what Next returns after Close (or CloseQuery, or the
// engine's Close) ended a query.
var ErrQueryClosed = errors.New("the query was closed")

// RunningQuery is a query streaming rows to one client. Next returns rows
// until the query ends: io.EOF after the last row of a pull query, a
// PRINT with LIMIT, or a push query that reached its LIMIT (Final says
// which message ksqlDB sends then), or an error (ctx done, Close, a query
// that failed, ErrSlowConsumer). Close stops the query and releases
// everything it holds (its reader, its state, internal topics); it is
// safe to call more than once and from another goroutine than Next's.
type RunningQuery interface {
	ID() string
	Kind() QueryKind
	// Columns describes the rows (empty for PRINT).
	Columns() []Column
	// Next blocks until the next row (for PRINT: one formatted line in
	// Row.Values[0], a string, as ksqlDB's PRINT prints it).
	Next(ctx context.Context) (Row, error)
	// Final is the message ksqlDB ends the stream with once Next returned
	// io.EOF: "Limit Reached", "Query Completed" or "" (none).
	Final() string
	Close() error
}

// Properties of client queries.
const (
	// PropMaxPushQueries bounds the push queries running at once (100).
	PropMaxPushQueries = "ksql.max.push.queries"
	// PropPushBufferRows is how many rows a push query holds for a client
	// that has not read them (engine-specific; default 1000).
	PropPushBufferRows = "ksql.query.push.buffer.rows"
	// PropPushSlowConsumerMs is how long a push query waits for a client
	// whose buffer is full before ending it with ErrSlowConsumer
	// (engine-specific; default 30000). While it waits, only that query
	// stops reading.
	PropPushSlowConsumerMs = "ksql.query.push.slow.consumer.timeout.ms"
	// PropPullTableScan allows pull queries whose WHERE clause does not pin
	// every key column (true, as ksqlDB).
	PropPullTableScan = "ksql.query.pull.table.scan.enabled"
)

// StreamQuery starts a SELECT or PRINT statement for one client. The
// session supplies properties (auto.offset.reset, ...) and variables.
// Statement errors are *StatementError, as Execute's.
func (e *Engine) StreamQuery(ctx context.Context, text string, sess *Session) (RunningQuery, error) {
	if err := e.Err(); err != nil {
		return nil, err
	}
	if sess == nil {
		sess = NewSession()
	}
	stmts, err := e.Parse(text, sess)
	if err != nil {
		return nil, err
	}
	if len(stmts) != 1 {
		return nil, &StatementError{Statement: strings.TrimSpace(text), Msg: "Expected exactly one SELECT or PRINT statement."}
	}
	st := stmts[0]
	var rq RunningQuery
	switch s := st.(type) {
	case *ast.Query:
		if s.Select.Emit == ast.EmitNone {
			rq, err = e.startPull(ctx, s, sess)
		} else {
			rq, err = e.startPush(ctx, s, sess)
		}
	case *ast.Print:
		rq, err = e.startPrint(ctx, s, sess)
	default:
		return nil, &StatementError{Statement: st.Text(),
			Msg: "The statement is not a query: only SELECT and PRINT statements are run through /query; use /ksql for others."}
	}
	if err != nil {
		if errors.Is(err, ErrQueryLimit) {
			return nil, err
		}
		return nil, e.wrapError(st, text, err)
	}
	return rq, nil
}

// CloseQuery closes a running push query by id (POST /close-query); it
// reports whether one was found.
func (e *Engine) CloseQuery(id string) bool {
	e.pushMu.Lock()
	p := e.push[id]
	e.pushMu.Unlock()
	if p == nil {
		return false
	}
	p.Close()
	return true
}

// closeClientQueries ends every push query (engine shutdown).
func (e *Engine) closeClientQueries() {
	e.pushMu.Lock()
	ps := make([]*pushQuery, 0, len(e.push))
	for _, p := range e.push {
		ps = append(ps, p)
	}
	e.pushMu.Unlock()
	for _, p := range ps {
		p.Close()
	}
}

// rowsQuery is a finished result held in memory (pull queries, PRINT of
// a bounded range).
type rowsQuery struct {
	mu    sync.Mutex
	id    string
	kind  QueryKind
	cols  []Column
	rows  []Row
	final string
	next  int
}

func (r *rowsQuery) ID() string        { return r.id }
func (r *rowsQuery) Kind() QueryKind   { return r.kind }
func (r *rowsQuery) Columns() []Column { return r.cols }
func (r *rowsQuery) Final() string     { return r.final }
func (r *rowsQuery) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rows, r.next = nil, 0
	return nil
}

func (r *rowsQuery) Next(ctx context.Context) (Row, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return Row{}, err
	}
	if r.next >= len(r.rows) {
		return Row{}, io.EOF
	}
	r.next++
	return r.rows[r.next-1], nil
}
