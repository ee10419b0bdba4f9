package rest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/ksqlgo/ksql/engine"
)

// Media types of the query endpoints.
const (
	mediaDelimited = "application/vnd.ksqlapi.delimited.v1"
	mediaKsqlJSON  = "application/vnd.ksql.v1+json"
	mediaJSON      = "application/json"
)

// queryStreamArgs is ksqlDB's QueryStreamArgs (POST /query-stream).
type queryStreamArgs struct {
	SQL               *string        `json:"sql"`
	Properties        map[string]any `json:"properties"`
	SessionVariables  map[string]any `json:"sessionVariables"`
	RequestProperties map[string]any `json:"requestProperties"`
}

// queryEvent is one result of a pump: a row or the end.
type queryEvent struct {
	row engine.Row
	err error // io.EOF at the end
}

// startQuery starts a client query and registers it for /close-query; on
// failure it has answered with ksqlDB's error.
func (s *Server) startQuery(w http.ResponseWriter, r *http.Request, text string, sess *engine.Session) (engine.RunningQuery, bool) {
	if s.opts.Headless {
		writeError(w, http.StatusForbidden, codeForbidden, "The server is running in headless mode: statements come from its queries file; the REST API does not accept them.")
		return nil, false
	}
	rq, err := s.stream(r.Context(), text, sess)
	if err != nil {
		status, msg := s.statementError(err, nil)
		if msg.Statement == "" {
			msg.Statement = text
		}
		writeJSON(w, status, msg)
		return nil, false
	}
	s.mu.Lock()
	s.running[rq.ID()] = rq
	s.mu.Unlock()
	s.metrics.pushOpen.Add(1)
	return rq, true
}

func (s *Server) endQuery(rq engine.RunningQuery) {
	_ = rq.Close()
	s.mu.Lock()
	if s.running[rq.ID()] == rq {
		delete(s.running, rq.ID())
	}
	s.mu.Unlock()
	s.metrics.pushOpen.Add(-1)
}

// pump reads a query's rows into a channel until the end, the query's
// error, or ctx is done; the channel is closed after the last event.
func pump(ctx context.Context, rq engine.RunningQuery) <-chan queryEvent {
	ch := make(chan queryEvent, 16)
	go func() {
		defer close(ch)
		for {
			row, err := rq.Next(ctx)
			if errors.Is(err, engine.ErrQueryClosed) {
				// Closed through /close-query: the stream just ends, as
				// ksqlDB's, with no error line.
				err = io.EOF
			}
			select {
			case ch <- queryEvent{row: row, err: err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	return ch
}

// streamContext ends when the client goes, or the server shuts down.
func (s *Server) streamContext(r *http.Request) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(r.Context())
	stop := context.AfterFunc(s.closing, cancel)
	return ctx, func() { stop(); cancel() }
}

// schemaText is the /query header's schema: "`A` STRING, `ID` STRING KEY".
func schemaText(cols []engine.Column) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = "`" + c.Name + "` " + c.Type
		if c.Key {
			parts[i] += " KEY"
		}
	}
	return strings.Join(parts, ", ")
}

// wantsDelimited says whether the Accept header asks for the delimited
// form (the default of /query-stream; /query serves it for the delimited
// type and */* only, as ksqlDB's second /query route).
func wantsDelimited(accept string, dflt bool) bool {
	if accept == "" {
		return dflt
	}
	for _, part := range strings.Split(accept, ",") {
		mt := strings.TrimSpace(strings.SplitN(part, ";", 2)[0])
		switch mt {
		case mediaDelimited:
			return true
		case mediaJSON, mediaKsqlJSON:
			return false
		case "*/*":
			return true
		}
	}
	return dflt
}

// query is POST /query: ksqlDB's original streaming endpoint, one JSON
// array streamed element by element (",\n" between elements), empty
// lines while idle, and a final message.
func (s *Server) query(w http.ResponseWriter, r *http.Request) {
	req, ok := s.readKsqlRequest(w, r)
	if !ok {
		return
	}
	if accept := r.Header.Get("Accept"); accept != "" && wantsDelimited(accept, false) && !strings.Contains(accept, mediaJSON) && !strings.Contains(accept, mediaKsqlJSON) {
		s.serveQueryStream(w, r, req.KSQL, session(req.StreamsProperties, req.SessionVariables), true)
		return
	}
	rq, ok := s.startQuery(w, r, req.KSQL, session(req.StreamsProperties, req.SessionVariables))
	if !ok {
		return
	}
	defer s.endQuery(rq)
	ctx, cancel := s.streamContext(r)
	defer cancel()
	events := pump(ctx, rq)

	flush := flusherOf(w)
	if rq.Kind() == engine.PrintTopic {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		flush()
		s.streamLines(ctx, w, flush, events, func(row engine.Row) []byte {
			if len(row.Values) == 0 {
				return nil
			}
			return []byte(fmt.Sprint(row.Values[0]) + "\n")
		})
		return
	}
	w.Header().Set("Content-Type", mediaKsqlJSON)
	w.Header().Set("Transfer-Encoding", "chunked")
	w.WriteHeader(http.StatusOK)
	type queryHeader struct {
		QueryID string `json:"queryId"`
		Schema  string `json:"schema"`
	}
	// ksqlDB's QueryStreamWriter: every element but the final message is
	// followed by ",\n"; an error is preceded by "\n" and followed by
	// ",\n", and ends the stream without the closing bracket.
	header, _ := json.Marshal(map[string]queryHeader{"header": {rq.ID(), schemaText(rq.Columns())}})
	if _, err := w.Write(append(append([]byte("["), header...), ",\n"...)); err != nil {
		return
	}
	flush()
	keepAlive := time.NewTicker(s.opts.KeepAlive)
	defer keepAlive.Stop()
	for {
		select {
		case <-keepAlive.C:
			if _, err := w.Write([]byte("\n")); err != nil {
				return
			}
			flush()
		case ev, ok := <-events:
			if !ok {
				// The client went or the server is shutting down.
				_, _ = w.Write([]byte("]\n"))
				flush()
				return
			}
			var out []byte
			switch {
			case ev.err == nil:
				out = append(rowElement(ev.row), ",\n"...)
			case errors.Is(ev.err, io.EOF):
				if final := rq.Final(); final != "" {
					out, _ = json.Marshal(map[string]string{"finalMessage": final})
				}
				out = append(out, "]\n"...)
			case ctx.Err() != nil:
				// Ended by the client or by shutdown: close the array.
				out = []byte("]\n")
			default:
				e, _ := json.Marshal(map[string]any{"errorMessage": errorMessage{Type: "generic_error", ErrorCode: codeServerError, Message: ev.err.Error()}})
				out = append(append([]byte("\n"), e...), ",\n"...)
			}
			if _, err := w.Write(out); err != nil {
				return
			}
			flush()
			if ev.err != nil {
				return
			}
		}
	}
}

func rowElement(row engine.Row) []byte {
	cols := row.Values
	if cols == nil {
		cols = []any{}
	}
	v := map[string]any{"columns": cols}
	if row.Tombstone {
		v["tombstone"] = true
	}
	b, err := json.Marshal(map[string]any{"row": v})
	if err != nil {
		b, _ = json.Marshal(map[string]any{"errorMessage": errorMessage{Type: "generic_error", ErrorCode: codeServerError, Message: "row not serializable: " + err.Error()}})
	}
	return b
}

// streamLines writes one line per row until the end of the query.
func (s *Server) streamLines(ctx context.Context, w http.ResponseWriter, flush func(), events <-chan queryEvent, line func(engine.Row) []byte) {
	for ev := range events {
		if ev.err != nil {
			if !errors.Is(ev.err, io.EOF) && ctx.Err() == nil {
				b, _ := json.Marshal(errorMessage{Type: "generic_error", ErrorCode: codeServerError, Message: ev.err.Error()})
				_, _ = w.Write(append(b, '\n'))
				flush()
			}
			return
		}
		if b := line(ev.row); b != nil {
			if _, err := w.Write(b); err != nil {
				return
			}
			flush()
		}
	}
}

// queryStream is POST /query-stream: ksqlDB's newer API, delimited by
// default (a header object, then one JSON array per row, one per line) or
// one JSON array with Accept: application/json.
func (s *Server) queryStream(w http.ResponseWriter, r *http.Request) {
	body, ok := s.readBody(w, r)
	if !ok {
		return
	}
	var args queryStreamArgs
	if !decodeJSON(w, body, &args) {
		return
	}
	if args.SQL == nil || strings.TrimSpace(*args.SQL) == "" {
		writeError(w, http.StatusBadRequest, codeBadRequest, "No sql in arguments")
		return
	}
	delimited := wantsDelimited(r.Header.Get("Accept"), true)
	s.serveQueryStream(w, r, *args.SQL, session(args.Properties, args.SessionVariables), delimited)
}

func (s *Server) serveQueryStream(w http.ResponseWriter, r *http.Request, text string, sess *engine.Session, delimited bool) {
	rq, ok := s.startQuery(w, r, text, sess)
	if !ok {
		return
	}
	defer s.endQuery(rq)
	if rq.Kind() == engine.PrintTopic && !delimited {
		writeError(w, http.StatusNotAcceptable, codeNotAcceptable, "PRINT is served in the delimited format only (application/vnd.ksqlapi.delimited.v1)")
		return
	}
	ctx, cancel := s.streamContext(r)
	defer cancel()
	events := pump(ctx, rq)
	flush := flusherOf(w)
	if rq.Kind() == engine.PrintTopic {
		w.Header().Set("Content-Type", mediaDelimited)
		w.WriteHeader(http.StatusOK)
		flush()
		s.streamLines(ctx, w, flush, events, func(row engine.Row) []byte {
			if len(row.Values) == 0 {
				return nil
			}
			return []byte(fmt.Sprint(row.Values[0]) + "\n")
		})
		return
	}
	cols := rq.Columns()
	names := make([]string, len(cols))
	typs := make([]string, len(cols))
	for i, c := range cols {
		names[i], typs[i] = c.Name, c.Type
	}
	header, _ := json.Marshal(struct {
		QueryID     string   `json:"queryId"`
		ColumnNames []string `json:"columnNames"`
		ColumnTypes []string `json:"columnTypes"`
	}{rq.ID(), names, typs})
	rowLine := func(row engine.Row) []byte {
		if row.Tombstone {
			return nil // the new API drops tombstones, as ksqlDB's writers do
		}
		vals := row.Values
		if vals == nil {
			vals = []any{}
		}
		b, err := json.Marshal(vals)
		if err != nil {
			b, _ = json.Marshal(errorMessage{Type: "generic_error", ErrorCode: codeServerError, Message: "row not serializable: " + err.Error()})
		}
		return b
	}
	if delimited {
		w.Header().Set("Content-Type", mediaDelimited)
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(append(header, '\n'))
		flush()
		s.streamLines(ctx, w, flush, events, func(row engine.Row) []byte {
			if b := rowLine(row); b != nil {
				return append(b, '\n')
			}
			return nil
		})
		return
	}
	w.Header().Set("Content-Type", mediaJSON)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(append([]byte("["), header...))
	flush()
	for ev := range events {
		if ev.err != nil {
			if !errors.Is(ev.err, io.EOF) && ctx.Err() == nil {
				b, _ := json.Marshal(errorMessage{Type: "generic_error", ErrorCode: codeServerError, Message: ev.err.Error()})
				_, _ = w.Write(append([]byte(",\n"), b...))
			}
			break
		}
		if b := rowLine(ev.row); b != nil {
			if _, err := w.Write(append([]byte(",\n"), b...)); err != nil {
				return
			}
			flush()
		}
	}
	_, _ = w.Write([]byte("]\n"))
	flush()
}

// closeQueryArgs is ksqlDB's CloseQueryArgs.
type closeQueryArgs struct {
	QueryID *string `json:"queryId"`
}

// closeQuery is POST /close-query: ends a push query started through
// this server (or known to the engine).
func (s *Server) closeQuery(w http.ResponseWriter, r *http.Request) {
	body, ok := s.readBody(w, r)
	if !ok {
		return
	}
	var args closeQueryArgs
	if !decodeJSON(w, body, &args) {
		return
	}
	if args.QueryID == nil || *args.QueryID == "" {
		writeError(w, http.StatusBadRequest, codeBadRequest, "No queryId in arguments")
		return
	}
	id := *args.QueryID
	s.mu.Lock()
	rq, found := s.running[id]
	s.mu.Unlock()
	if found {
		_ = rq.Close()
	}
	if s.eng != nil && s.eng.CloseQuery(id) {
		found = true
	}
	if !found {
		writeError(w, http.StatusBadRequest, codeBadRequest, "No query with id "+id)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// readKsqlRequest reads and checks the KsqlRequest body of /ksql and
// /query; it answers the error itself when it reports false.
func (s *Server) readKsqlRequest(w http.ResponseWriter, r *http.Request) (ksqlRequest, bool) {
	var req ksqlRequest
	body, ok := s.readBody(w, r)
	if !ok || !decodeJSON(w, body, &req) || !requireKsql(w, req) {
		return req, false
	}
	return req, true
}

// requireKsql answers 400 for a request without statements.
func requireKsql(w http.ResponseWriter, req ksqlRequest) bool {
	if strings.TrimSpace(req.KSQL) == "" {
		writeError(w, http.StatusBadRequest, codeBadRequest, "\"ksql\" field of the request must be populated")
		return false
	}
	return true
}

// flusherOf returns a function that flushes w when it can.
func flusherOf(w http.ResponseWriter) func() {
	f, _ := w.(http.Flusher)
	return func() {
		if f != nil {
			f.Flush()
		}
	}
}
