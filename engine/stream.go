package engine

import (
	"context"
	"errors"
)

// Queries whose results go to a client rather than to a topic: push
// queries (SELECT ... EMIT CHANGES), pull queries (SELECT without EMIT)
// and PRINT. The REST layer and the shell consume them through
// StreamQuery; the engine decides which kind a statement is.

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
// (nil, bool, int64, float64, string, json.Number for DECIMAL, []any,
// map[string]any for MAP and STRUCT).
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

// StreamQuery starts a SELECT or PRINT statement for one client. The
// session supplies properties (auto.offset.reset, ...) and variables.
// Statement errors are *StatementError, as Execute's.
func (e *Engine) StreamQuery(ctx context.Context, text string, sess *Session) (RunningQuery, error) {
	return nil, errors.New("push and pull queries are not supported yet")
}

// CloseQuery closes a running push query by id (POST /close-query); it
// reports whether one was found.
func (e *Engine) CloseQuery(id string) bool { return false }
