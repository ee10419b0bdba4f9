package rest

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/ksqlgo/ksql/engine"
)

// metrics counts requests and their latency per endpoint (the route
// pattern, so the label set is bounded) for GET /metrics.
type metrics struct {
	mu        sync.Mutex
	endpoints map[string]*endpointStats
	pushOpen  atomic.Int64
}

type endpointStats struct {
	requests atomic.Int64
	errors   atomic.Int64 // answers with status >= 400
	nanos    atomic.Int64 // total latency
	buckets  [len(latencyBuckets) + 1]atomic.Int64
}

// latencyBuckets are the histogram's upper bounds, in seconds.
var latencyBuckets = [...]float64{0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5}

func newMetrics() *metrics { return &metrics{endpoints: map[string]*endpointStats{}} }

func (m *metrics) endpoint(name string) *endpointStats {
	m.mu.Lock()
	defer m.mu.Unlock()
	st, ok := m.endpoints[name]
	if !ok {
		st = &endpointStats{}
		m.endpoints[name] = st
	}
	return st
}

// measure counts every request under its route pattern ("unmatched" for
// 404s).
func (s *Server) measure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rw, ok := w.(*recordingWriter)
		if !ok {
			rw = &recordingWriter{ResponseWriter: w}
		}
		defer func() {
			name := "unmatched"
			if rc := chi.RouteContext(r.Context()); rc != nil && rc.RoutePattern() != "" {
				name = r.Method + " " + rc.RoutePattern()
			}
			st := s.metrics.endpoint(name)
			st.requests.Add(1)
			if rw.status >= 400 {
				st.errors.Add(1)
			}
			d := time.Since(start)
			st.nanos.Add(int64(d))
			i := sort.SearchFloat64s(latencyBuckets[:], d.Seconds())
			st.buckets[i].Add(1)
		}()
		next.ServeHTTP(rw, r)
	})
}

// writeQueryMetrics writes the per-query families (README, "Metrics",
// lists them).
func writeQueryMetrics(b *strings.Builder, qs []engine.QueryMetrics) {
	counter := func(name, help string, v func(*engine.QueryMetrics) int64) {
		fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s counter\n", name, help, name)
		for i := range qs {
			fmt.Fprintf(b, "%s{query_id=%q} %d\n", name, qs[i].QueryID, v(&qs[i]))
		}
	}
	counter("ksql_query_records_in_total", "Records read from the query's sources (internal repartition topics excluded).",
		func(m *engine.QueryMetrics) int64 { return m.RecordsIn })
	counter("ksql_query_records_out_total", "Records written to the query's sink.",
		func(m *engine.QueryMetrics) int64 { return m.RecordsOut })
	counter("ksql_query_processing_errors_total", "Records the query could not process (processing log entries).",
		func(m *engine.QueryMetrics) int64 { return m.ProcessingErrors })
	counter("ksql_query_late_records_total", "Records dropped because their window had closed.",
		func(m *engine.QueryMetrics) int64 { return m.LateRecords })
	counter("ksql_query_commits_total", "Commits of the query's tasks.",
		func(m *engine.QueryMetrics) int64 { return m.Commits })
	b.WriteString("# HELP ksql_query_lag_records Input records not yet committed as processed, per persistent query.\n# TYPE ksql_query_lag_records gauge\n")
	for _, q := range qs {
		fmt.Fprintf(b, "ksql_query_lag_records{query_id=%q} %d\n", q.QueryID, q.LagRecords)
	}
	const lat = "ksql_query_commit_latency_seconds"
	fmt.Fprintf(b, "# HELP %s Time from the start to the end of a task's commit, of commits that committed.\n# TYPE %s histogram\n", lat, lat)
	for _, q := range qs {
		h := q.CommitLatency
		var cum int64
		for j, le := range h.Bounds {
			cum += h.Buckets[j]
			fmt.Fprintf(b, "%s_bucket{query_id=%q,le=\"%g\"} %d\n", lat, q.QueryID, le, cum)
		}
		fmt.Fprintf(b, "%s_bucket{query_id=%q,le=\"+Inf\"} %d\n", lat, q.QueryID, h.Count)
		fmt.Fprintf(b, "%s_sum{query_id=%q} %g\n", lat, q.QueryID, h.Sum.Seconds())
		fmt.Fprintf(b, "%s_count{query_id=%q} %d\n", lat, q.QueryID, h.Count)
	}
}

// serveMetrics writes the Prometheus text format: the engine's counters,
// per query state and lag, open push queries, and per endpoint requests
// and latency.
func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	var b strings.Builder
	if s.eng != nil {
		// The engine's counters (Engine.Metrics), when this engine has them.
		counters := map[string]int64{}
		if m, ok := any(s.eng).(interface{ Metrics() map[string]int64 }); ok {
			counters = m.Metrics()
		}
		for _, k := range []string{"records-in", "records-out", "processing-errors", "late-records", "commits"} {
			name := "ksql_" + strings.ReplaceAll(k, "-", "_") + "_total"
			fmt.Fprintf(&b, "# HELP %s %s of all persistent queries.\n# TYPE %s counter\n%s %d\n", name, k, name, name, counters[k])
		}
		writeQueryMetrics(&b, s.eng.QueryMetrics(r.Context()))
		if res, err := s.eng.Execute(r.Context(), "SHOW QUERIES;", nil); err == nil && len(res) == 1 {
			b.WriteString("# HELP ksql_query_running 1 when the persistent query is running.\n# TYPE ksql_query_running gauge\n")
			for _, q := range res[0].Queries {
				running := 0
				if q.State == "RUNNING" {
					running = 1
				}
				fmt.Fprintf(&b, "ksql_query_running{query_id=%q,state=%q} %d\n", q.ID, q.State, running)
			}
		}
	}
	fmt.Fprintf(&b, "# HELP ksql_push_queries_open Client queries streaming now.\n# TYPE ksql_push_queries_open gauge\nksql_push_queries_open %d\n", s.metrics.pushOpen.Load())

	s.metrics.mu.Lock()
	names := make([]string, 0, len(s.metrics.endpoints))
	for n := range s.metrics.endpoints {
		names = append(names, n)
	}
	stats := make([]*endpointStats, len(names))
	sort.Strings(names)
	for i, n := range names {
		stats[i] = s.metrics.endpoints[n]
	}
	s.metrics.mu.Unlock()
	b.WriteString("# HELP ksql_http_requests_total HTTP requests per endpoint.\n# TYPE ksql_http_requests_total counter\n")
	for i, n := range names {
		fmt.Fprintf(&b, "ksql_http_requests_total{endpoint=%q} %d\n", n, stats[i].requests.Load())
	}
	b.WriteString("# HELP ksql_http_request_errors_total HTTP answers with status 400 or above per endpoint.\n# TYPE ksql_http_request_errors_total counter\n")
	for i, n := range names {
		fmt.Fprintf(&b, "ksql_http_request_errors_total{endpoint=%q} %d\n", n, stats[i].errors.Load())
	}
	b.WriteString("# HELP ksql_http_request_duration_seconds Latency per endpoint (streaming endpoints: the whole stream).\n# TYPE ksql_http_request_duration_seconds histogram\n")
	for i, n := range names {
		st := stats[i]
		var cum int64
		for j, le := range latencyBuckets {
			cum += st.buckets[j].Load()
			fmt.Fprintf(&b, "ksql_http_request_duration_seconds_bucket{endpoint=%q,le=\"%g\"} %d\n", n, le, cum)
		}
		cum += st.buckets[len(latencyBuckets)].Load()
		fmt.Fprintf(&b, "ksql_http_request_duration_seconds_bucket{endpoint=%q,le=\"+Inf\"} %d\n", n, cum)
		fmt.Fprintf(&b, "ksql_http_request_duration_seconds_sum{endpoint=%q} %g\n", n, time.Duration(st.nanos.Load()).Seconds())
		fmt.Fprintf(&b, "ksql_http_request_duration_seconds_count{endpoint=%q} %d\n", n, cum)
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	_, _ = w.Write([]byte(b.String()))
}
