// Package rest serves the engine over HTTP with ksqlDB's REST API: POST
// /ksql for statements, POST /query, /query-stream and GET /ws/query for
// push and pull queries and PRINT, POST /inserts-stream, /close-query,
// /ksql/terminate, the status, info, health and metrics endpoints, and
// GET /lag (this engine's own: per-query processing lag). It owns the chi
// router, the wire types, the mapping of errors to ksqlDB's error codes,
// the HTTP server (HTTP/1.1, h2c and TLS with ALPN) and basic
// authentication; it imports engine only.
package rest

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/ksqlgo/ksql/engine"
)

// Version is the server version reported by /info.
const Version = "0.1.0"

// Options configure the handler.
type Options struct {
	// Headless rejects statements: the server runs a queries file.
	Headless bool
	// MaxBodyBytes bounds request bodies of /ksql and the query endpoints
	// (0: 1 MiB). /inserts-stream bounds each row instead.
	MaxBodyBytes int64
	// Auth, when set, requires HTTP basic authentication on every
	// endpoint but the health checks.
	Auth *Auth
	// KeepAlive is the interval of the empty lines /query writes while a
	// query has no rows (0: 1s).
	KeepAlive time.Duration
	// ServiceID is reported by /info (default "default_").
	ServiceID string
	// Logf logs server faults (recovered panics); nil: the log package.
	Logf func(format string, args ...any)
}

// Server is the HTTP API of one engine.
type Server struct {
	eng     *engine.Engine
	opts    Options
	metrics *metrics
	// stream starts a client query; the engine's StreamQuery (tests
	// substitute fakes).
	stream func(ctx context.Context, text string, sess *engine.Session) (engine.RunningQuery, error)
	// closing is done when the server shuts down: streaming responses
	// end cleanly then.
	closing     context.Context
	stopClosing context.CancelFunc

	mu       sync.Mutex
	running  map[string]engine.RunningQuery // client queries by id
	commands map[string]commandStatus       // /status, by command id
	cmdOrder []string
}

// maxRememberedCommands bounds the command statuses /status remembers.
const maxRememberedCommands = 10000

// NewHandler returns the API's router.
func NewHandler(eng *engine.Engine, opts Options) http.Handler {
	return newServer(eng, opts).Handler()
}

func newServer(eng *engine.Engine, opts Options) *Server {
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = 1 << 20
	}
	if opts.KeepAlive <= 0 {
		opts.KeepAlive = time.Second
	}
	if opts.ServiceID == "" {
		opts.ServiceID = "default_"
	}
	if opts.Logf == nil {
		opts.Logf = log.Printf
	}
	s := &Server{
		eng: eng, opts: opts, metrics: newMetrics(),
		running: map[string]engine.RunningQuery{}, commands: map[string]commandStatus{},
	}
	s.closing, s.stopClosing = context.WithCancel(context.Background())
	if eng != nil {
		s.stream = eng.StreamQuery
	}
	return s
}

// Close ends every streaming response (push queries end with their
// stream properly terminated); the HTTP server's Shutdown calls it.
func (s *Server) Close() { s.stopClosing() }

// Handler returns the router.
func (s *Server) Handler() http.Handler {
	r := chi.NewRouter()
	r.Use(s.recoverer, s.measure, s.authenticate)
	r.Get("/", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/info", http.StatusTemporaryRedirect)
	})
	r.Get("/info", s.info)
	r.Get("/healthcheck", s.health)
	r.Get("/chc/ready", s.chc)
	r.Get("/chc/live", s.chc)
	r.Get("/clusterStatus", s.clusterStatus)
	r.Get("/status", s.allStatuses)
	r.Get("/status/*", s.status)
	r.Get("/is_valid_property/{property}", s.isValidProperty)
	r.Get("/v1/metadata", s.metadata)
	r.Get("/v1/metadata/id", s.metadataID)
	r.Get("/metrics", s.serveMetrics)
	r.Get("/lag", s.lag)
	r.Post("/ksql", s.ksql)
	r.Post("/ksql/terminate", s.terminateCluster)
	r.Post("/query", s.query)
	r.Post("/query-stream", s.queryStream)
	r.Post("/close-query", s.closeQuery)
	r.Post("/inserts-stream", s.insertsStream)
	r.Get("/ws/query", s.wsQuery)
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, codeNotFound, "Not Found")
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusMethodNotAllowed, 40500, "Method Not Allowed")
	})
	return r
}

// recoverer turns a handler's panic into a 500 in ksqlDB's shape (when
// nothing was written yet) and logs it with the stack.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rw := &recordingWriter{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.opts.Logf("rest: panic serving %s %s: %v\n%s", r.Method, r.URL.Path, v, debug.Stack())
				if !rw.wrote {
					writeError(rw, http.StatusInternalServerError, codeServerError, fmt.Sprintf("Internal server error: %v", v))
				}
			}
		}()
		next.ServeHTTP(rw, r)
	})
}

// recordingWriter remembers the status and whether anything was written;
// it passes Flush and Unwrap through so streaming and
// http.ResponseController work.
type recordingWriter struct {
	http.ResponseWriter
	wrote  bool
	status int
}

func (w *recordingWriter) WriteHeader(code int) {
	if !w.wrote {
		w.wrote, w.status = true, code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recordingWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.wrote, w.status = true, http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *recordingWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		w.wrote = true
		if w.status == 0 {
			w.status = http.StatusOK
		}
		f.Flush()
	}
}

func (w *recordingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) info(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"KsqlServerInfo": map[string]any{
		"version":        Version,
		"kafkaClusterId": "embedded",
		"ksqlServiceId":  s.opts.ServiceID,
		"serverStatus":   s.serverStatus(),
	}})
}

func (s *Server) serverStatus() string {
	if s.eng != nil && s.eng.Err() != nil {
		return "ERROR"
	}
	return "RUNNING"
}

func (s *Server) health(w http.ResponseWriter, _ *http.Request) {
	healthy := s.serverStatus() == "RUNNING"
	ok := func(b bool) map[string]bool { return map[string]bool{"isHealthy": b} }
	status := http.StatusOK
	state := "READY"
	if !healthy {
		status, state = http.StatusServiceUnavailable, "ERROR"
	}
	writeJSON(w, status, map[string]any{
		"isHealthy": healthy,
		"details": map[string]any{
			"metastore":     ok(healthy),
			"kafka":         ok(true),
			"commandRunner": ok(healthy),
		},
		"serverState": state,
	})
}

// chc answers the container health checks (/chc/ready, /chc/live) as
// ksqlDB does: 200 with an empty object.
func (s *Server) chc(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{})
}

func (s *Server) clusterStatus(w http.ResponseWriter, r *http.Request) {
	now := time.Now().UnixMilli()
	host := r.Host
	if host == "" {
		host = serverHost
	}
	writeJSON(w, http.StatusOK, map[string]any{"clusterStatus": map[string]any{
		host: map[string]any{
			"hostAlive":             true,
			"lastStatusUpdateMs":    now,
			"activeStandbyPerQuery": map[string]any{},
			"hostStoreLags":         map[string]any{"stateStoreLags": map[string]any{}, "updateTimeMs": now},
		},
	}})
}

func (s *Server) metadata(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"version":   Version,
		"clusterId": map[string]any{"scope": map[string]any{"path": []string{}, "clusters": map[string]string{"kafka-cluster": "embedded", "ksql-cluster": s.opts.ServiceID}}},
	})
}

func (s *Server) metadataID(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"id": "", "scope": map[string]any{"path": []string{}, "clusters": map[string]string{"kafka-cluster": "embedded", "ksql-cluster": s.opts.ServiceID}}})
}

// isValidProperty answers the CLI's SET check: true, or 400 for a
// property a client may not override.
func (s *Server) isValidProperty(w http.ResponseWriter, r *http.Request) {
	p := chi.URLParam(r, "property")
	if p == "" || strings.ContainsAny(p, " \t\n") {
		writeError(w, http.StatusBadRequest, codeBadStatement, fmt.Sprintf("Not recognizable as ksql, streams, consumer, or producer property: '%s'", p))
		return
	}
	for _, denied := range deniedProperties {
		if p == denied {
			writeError(w, http.StatusBadRequest, codeBadStatement, fmt.Sprintf("A property override was set locally for a property that the server prohibits overrides for: '%s'", p))
			return
		}
	}
	writeJSON(w, http.StatusOK, true)
}

// deniedProperties may not be overridden per request (as ksqlDB's
// ksql.properties.overrides.denylist defaults plus the service id).
var deniedProperties = []string{"ksql.service.id", "ksql.log.sync", "ksql.log.retention.ms", "ksql.log.retention.bytes", "ksql.log.segment.bytes"}

func (s *Server) lag(w http.ResponseWriter, r *http.Request) {
	type task struct {
		Stage     int    `json:"stage"`
		Topic     string `json:"topic"`
		Partition int32  `json:"partition"`
		Committed int64  `json:"committedOffset"`
		End       int64  `json:"endOffset"`
	}
	type query struct {
		ID    string `json:"queryId"`
		Lag   int64  `json:"lag"`
		Tasks []task `json:"tasks"`
	}
	out := struct {
		Total   int64   `json:"totalLag"`
		Queries []query `json:"queries"`
	}{Queries: []query{}}
	for _, ql := range s.eng.Lag(r.Context()) {
		q := query{ID: ql.QueryID, Lag: ql.Records, Tasks: []task{}}
		for _, t := range ql.Tasks {
			q.Tasks = append(q.Tasks, task{Stage: t.Stage, Topic: t.Topic, Partition: t.Partition, Committed: t.Committed, End: t.End})
		}
		out.Total += ql.Records
		out.Queries = append(out.Queries, q)
	}
	writeJSON(w, http.StatusOK, out)
}
