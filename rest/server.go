// Package rest serves the engine over HTTP with ksqlDB-compatible wire
// types: POST /ksql for statements, GET /info, GET /healthcheck, and
// GET /lag (this engine's own: per-query processing lag). It owns the chi
// router, the wire types and the mapping of errors to HTTP statuses; it
// imports engine only.
package rest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
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
	// MaxBodyBytes bounds request bodies (0: 1 MiB).
	MaxBodyBytes int64
}

// Server is the HTTP API of one engine.
type Server struct {
	eng  *engine.Engine
	opts Options
}

// NewHandler returns the API's router.
func NewHandler(eng *engine.Engine, opts Options) http.Handler {
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = 1 << 20
	}
	s := &Server{eng: eng, opts: opts}
	r := chi.NewRouter()
	r.Get("/", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/info", http.StatusTemporaryRedirect)
	})
	r.Get("/info", s.info)
	r.Get("/healthcheck", s.health)
	r.Post("/ksql", s.ksql)
	r.Get("/lag", s.lag)
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, 40400, "Not Found")
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusMethodNotAllowed, 40500, "Method Not Allowed")
	})
	return r
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// errorMessage is ksqlDB's KsqlErrorMessage.
type errorMessage struct {
	Type      string `json:"@type"`
	ErrorCode int    `json:"error_code"`
	Message   string `json:"message"`
	Statement string `json:"statementText,omitempty"`
	Entities  []any  `json:"entities,omitempty"`
}

func writeError(w http.ResponseWriter, status, code int, msg string) {
	writeJSON(w, status, errorMessage{Type: "generic_error", ErrorCode: code, Message: msg})
}

func (s *Server) info(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"KsqlServerInfo": map[string]any{
		"version":        Version,
		"kafkaClusterId": "embedded",
		"ksqlServiceId":  "default_",
		"serverStatus":   "RUNNING",
	}})
}

func (s *Server) health(w http.ResponseWriter, _ *http.Request) {
	ok := func(b bool) map[string]bool { return map[string]bool{"isHealthy": b} }
	writeJSON(w, http.StatusOK, map[string]any{
		"isHealthy": true,
		"details": map[string]any{
			"metastore":     ok(true),
			"kafka":         ok(true),
			"commandRunner": ok(true),
		},
		"serverState": "READY",
	})
}

func (s *Server) lag(w http.ResponseWriter, _ *http.Request) {
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
	for _, ql := range s.eng.Lag() {
		q := query{ID: ql.QueryID, Lag: ql.Records, Tasks: []task{}}
		for _, t := range ql.Tasks {
			q.Tasks = append(q.Tasks, task{Stage: t.Stage, Topic: t.Topic, Partition: t.Partition, Committed: t.Committed, End: t.End})
		}
		out.Total += ql.Records
		out.Queries = append(out.Queries, q)
	}
	writeJSON(w, http.StatusOK, out)
}

// ksqlRequest is ksqlDB's KsqlRequest.
type ksqlRequest struct {
	KSQL              string         `json:"ksql"`
	StreamsProperties map[string]any `json:"streamsProperties"`
	SessionVariables  map[string]any `json:"sessionVariables"`
	RequestProperties map[string]any `json:"requestProperties"`
	CommandSequence   *int64         `json:"commandSequenceNumber"`
}

func (s *Server) ksql(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes))
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, 41300, "Request body too large or unreadable: "+err.Error())
		return
	}
	var req ksqlRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, 40000, "Invalid JSON in request: "+err.Error())
		return
	}
	if req.KSQL == "" {
		writeError(w, http.StatusBadRequest, 40000, "\"ksql\" field of the request must be populated")
		return
	}
	if s.opts.Headless {
		writeError(w, http.StatusForbidden, 40300, "The server is running in headless mode: statements come from its queries file; the REST API does not accept them.")
		return
	}
	sess := engine.NewSession()
	for k, v := range req.StreamsProperties {
		sess.Properties[k] = fmt.Sprint(v)
	}
	for k, v := range req.SessionVariables {
		sess.Variables[k] = fmt.Sprint(v)
	}
	ctx := r.Context()
	results, err := s.eng.Execute(ctx, req.KSQL, sess)
	entities := make([]any, 0, len(results))
	for _, res := range results {
		entities = append(entities, toEntity(res))
	}
	if err != nil {
		msg := errorMessage{Type: "statement_error", ErrorCode: 40001, Message: err.Error(), Entities: entities}
		var se *engine.StatementError
		if errors.As(err, &se) {
			msg.Statement = se.Statement
		}
		writeJSON(w, http.StatusBadRequest, msg)
		return
	}
	writeJSON(w, http.StatusOK, entities)
}

// toEntity renders a result as ksqlDB's KsqlEntity JSON.
func toEntity(r *engine.Result) any {
	base := map[string]any{"@type": r.Type, "statementText": r.Statement, "warnings": []any{}}
	switch r.Type {
	case "currentStatus":
		status := map[string]any{"status": r.Status, "message": r.Message}
		if r.QueryID != "" {
			status["queryId"] = r.QueryID
		}
		base["commandId"] = r.CommandID
		base["commandStatus"] = status
		base["commandSequenceNumber"] = r.CommandSeq
	case "streams":
		base["streams"] = sourceList(r.Streams)
	case "tables":
		base["tables"] = sourceList(r.Tables)
	case "queries":
		qs := []any{}
		for _, q := range r.Queries {
			qs = append(qs, map[string]any{
				"queryString": q.SQL, "sinks": q.Sinks, "sinkKafkaTopics": q.SinkTopics,
				"id": q.ID, "queryType": q.QueryType, "state": q.State,
				"statusCount": map[string]int{q.State: 1},
			})
		}
		base["queries"] = qs
	case "kafka_topics":
		ts := []any{}
		for _, t := range r.Topics {
			reps := make([]int, t.Partitions)
			for i := range reps {
				reps[i] = 1
			}
			ts = append(ts, map[string]any{"name": t.Name, "replicaInfo": reps})
		}
		base["topics"] = ts
	case "sourceDescription":
		base["sourceDescription"] = r.Source
	case "queryDescription":
		base["queryDescription"] = r.Query
	case "properties":
		base["properties"] = r.Properties
	default:
		base["names"] = r.Names
		base["properties"] = r.Properties
		base["message"] = r.Message
	}
	return base
}

func sourceList(in []engine.SourceInfo) []any {
	out := []any{}
	for _, s := range in {
		out = append(out, map[string]any{
			"type": s.Type, "name": s.Name, "topic": s.Topic,
			"keyFormat": s.KeyFormat, "valueFormat": s.ValueFormat, "isWindowed": s.IsWindowed,
		})
	}
	return out
}

// Serve runs the API on addr until the server is closed; ready receives
// the bound address.
func Serve(eng *engine.Engine, addr string, opts Options) (*http.Server, string, error) {
	srv := &http.Server{Handler: NewHandler(eng, opts), ReadHeaderTimeout: 10 * time.Second}
	ln, err := listen(addr)
	if err != nil {
		return nil, "", err
	}
	go func() { _ = srv.Serve(ln) }()
	return srv, ln.Addr().String(), nil
}
