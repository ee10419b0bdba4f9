package engine

import (
	"context"
	"time"

	"github.com/ksqlgo/ksql/catalog"
	"github.com/ksqlgo/ksql/exec"
)

// QueryMetrics are one persistent query's processing counters
// (exec.QueryMetrics: records in and out, processing errors, commits and
// their latency) and its lag.
type QueryMetrics struct {
	QueryID string
	exec.QueryMetrics
	// LagRecords is the number of input records not yet committed as
	// processed, summed over the query's tasks (as Lag reports it).
	LagRecords int64
}

// QueryMetrics lists the metrics of every running persistent query, in
// query id order. Safe to call at any time; the counters of a task are as
// of its last processed batch.
func (e *Engine) QueryMetrics(ctx context.Context) []QueryMetrics {
	e.mu.Lock()
	qs := e.sortedQueries()
	e.mu.Unlock()
	out := make([]QueryMetrics, 0, len(qs))
	for _, q := range qs {
		m := QueryMetrics{QueryID: q.ID, QueryMetrics: q.Metrics()}
		for _, t := range q.Lag(ctx) {
			if t.End > t.Committed {
				m.LagRecords += t.End - t.Committed
			}
		}
		out = append(out, m)
	}
	return out
}

// SourceStatistics are DESCRIBE ... EXTENDED's numbers for one source,
// from the metrics of the persistent queries that write it (producer
// side) and read it (consumer side), as ksqlDB keeps them per topic.
type SourceStatistics struct {
	// Written: some query writes the source; Read: some query reads it.
	Written, Read bool
	// Records written to the source's topic by its queries.
	MessagesPerSec float64
	TotalMessages  int64
	LastMessage    time.Time
	// Records of the source's topic read by the queries that read it.
	ConsumerMessagesPerSec float64
	ConsumerTotalMessages  int64
	LastConsumed           time.Time
	// Processing errors of the queries that read the source (an error is
	// counted against every source of its query).
	FailedMessages       int64
	FailedMessagesPerSec float64
	LastFailed           time.Time
}

// sourceStatistics sums the per-query metrics that concern src.
func (e *Engine) sourceStatistics(src *catalog.Source) *SourceStatistics {
	e.mu.Lock()
	queries := make(map[string]*exec.Query, len(e.queries))
	for id, q := range e.queries {
		queries[id] = q
	}
	e.mu.Unlock()
	st := &SourceStatistics{}
	for _, id := range e.cat.QueriesWriting(src.Name) {
		q, ok := queries[id]
		if !ok {
			continue
		}
		m := q.Metrics()
		st.Written = true
		st.MessagesPerSec += m.RecordsOutPerSec
		st.TotalMessages += m.RecordsOut
		st.LastMessage = latest(st.LastMessage, m.LastOut)
	}
	for _, id := range e.cat.QueriesReading(src.Name) {
		q, ok := queries[id]
		if !ok {
			continue
		}
		m := q.Metrics()
		st.Read = true
		for _, in := range m.Inputs {
			if in.Topic != src.Topic {
				continue
			}
			st.ConsumerMessagesPerSec += in.PerSec
			st.ConsumerTotalMessages += in.Records
			st.LastConsumed = latest(st.LastConsumed, in.Last)
		}
		st.FailedMessages += m.ProcessingErrors
		st.FailedMessagesPerSec += m.ErrorsPerSec
		st.LastFailed = latest(st.LastFailed, m.LastError)
	}
	return st
}

func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
