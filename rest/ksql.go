package rest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/ksqlgo/ksql/engine"
)

// ksqlRequest is ksqlDB's KsqlRequest (POST /ksql and POST /query).
// Unknown fields are ignored, as ksqlDB's Jackson mapping does
// (@JsonIgnoreProperties(ignoreUnknown = true)): clients written for a
// newer ksqlDB keep working.
type ksqlRequest struct {
	KSQL              string         `json:"ksql"`
	StreamsProperties map[string]any `json:"streamsProperties"`
	SessionVariables  map[string]any `json:"sessionVariables"`
	RequestProperties map[string]any `json:"requestProperties"`
	CommandSequence   *int64         `json:"commandSequenceNumber"`
}

// bodyReadTimeout bounds the arrival of a request body (not of a
// stream: /inserts-stream reads its rows without it).
const bodyReadTimeout = 30 * time.Second

// readBody reads a bounded request body; on failure it has answered.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(bodyReadTimeout))
	defer func() { _ = rc.SetReadDeadline(time.Time{}) }()
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, http.StatusRequestEntityTooLarge, codeTooLarge, fmt.Sprintf("Request body is larger than %d bytes", mbe.Limit))
		} else {
			writeError(w, http.StatusBadRequest, codeBadRequest, "Could not read the request body: "+err.Error())
		}
		return nil, false
	}
	return body, true
}

// decodeJSON decodes one JSON object into v; on failure it has answered
// 400/40000 with the reason.
func decodeJSON(w http.ResponseWriter, body []byte, v any) bool {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, codeBadRequest, "Invalid JSON in request: "+jsonErrorText(err))
		return false
	}
	if dec.More() {
		writeError(w, http.StatusBadRequest, codeBadRequest, "Invalid JSON in request: unexpected data after the request object")
		return false
	}
	return true
}

func jsonErrorText(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field != "" {
			return fmt.Sprintf("field %q must be a %s, not a %s", te.Field, jsonKind(te.Type.Kind().String()), te.Value)
		}
		return fmt.Sprintf("the request must be a JSON object, not a %s", te.Value)
	}
	if errors.Is(err, io.EOF) {
		return "empty body"
	}
	return err.Error()
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "map", "struct":
		return "object"
	case "slice":
		return "array"
	case "int64", "int", "int32":
		return "number"
	}
	return goKind
}

// session builds the engine session of a request: properties and
// variables, values rendered as text ("earliest", "5", "true").
func session(props, vars map[string]any) *engine.Session {
	sess := engine.NewSession()
	for k, v := range props {
		sess.Properties[k] = propertyText(v)
	}
	for k, v := range vars {
		sess.Variables[k] = propertyText(v)
	}
	return sess
}

func propertyText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	case json.Number:
		return x.String()
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func (s *Server) ksql(w http.ResponseWriter, r *http.Request) {
	req, ok := s.readKsqlRequest(w, r)
	if !ok {
		return
	}
	if s.opts.Headless {
		writeError(w, http.StatusForbidden, codeForbidden, "The server is running in headless mode: statements come from its queries file; the REST API does not accept them.")
		return
	}
	sess := session(req.StreamsProperties, req.SessionVariables)
	results, err := s.eng.Execute(r.Context(), req.KSQL, sess)
	entities := make([]any, 0, len(results))
	for _, res := range results {
		if res.Type == engine.NoEntity {
			continue // INSERT VALUES: ksqlDB answers with no entity
		}
		entities = append(entities, toEntity(res))
		s.rememberCommand(res)
	}
	if err != nil {
		status, msg := s.statementError(err, entities)
		if msg.Statement == "" && msg.Type == "statement_error" {
			msg.Statement = req.KSQL // a parse error: the whole request
		}
		writeJSON(w, status, msg)
		return
	}
	writeJSON(w, http.StatusOK, entities)
}

// rememberCommand keeps a statement's command status for /status.
func (s *Server) rememberCommand(res *engine.Result) {
	if res.Type != "currentStatus" || res.CommandID == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.commands[res.CommandID]; !ok {
		s.cmdOrder = append(s.cmdOrder, res.CommandID)
	}
	s.commands[res.CommandID] = commandStatus{Status: res.Status, Message: res.Message, QueryID: res.QueryID}
	for len(s.cmdOrder) > maxRememberedCommands {
		delete(s.commands, s.cmdOrder[0])
		s.cmdOrder = s.cmdOrder[1:]
	}
}

// status is GET /status/{type}/{entity}/{action}: the command id has
// slashes (and the entity may be back-quoted), so the rest of the path
// is the id.
func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.URL.Path, "/status/")
	s.mu.Lock()
	st, ok := s.commands[id]
	if !ok {
		// ksqlDB ids quote the entity in back-quotes; accept either form.
		parts := strings.SplitN(id, "/", 3)
		if len(parts) == 3 {
			alt := parts[0] + "/`" + strings.Trim(parts[1], "`") + "`/" + parts[2]
			if st, ok = s.commands[alt]; !ok {
				st, ok = s.commands[parts[0]+"/"+strings.Trim(parts[1], "`")+"/"+parts[2]]
			}
		}
	}
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, codeNotFound, "Command not found")
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Status  string `json:"status"`
		Message string `json:"message"`
	}{st.Status, st.Message})
}

func (s *Server) allStatuses(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	out := map[string]string{}
	for id, st := range s.commands {
		out[id] = st.Status
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"commandStatuses": out})
}

// terminateRequest is ksqlDB's ClusterTerminateRequest.
type terminateRequest struct {
	DeleteTopicList []string `json:"deleteTopicList"`
}

// terminateCluster is POST /ksql/terminate: every query is terminated,
// every stream and table dropped, and the topics of those sources whose
// topic matches deleteTopicList (regular expressions, as ksqlDB) deleted.
func (s *Server) terminateCluster(w http.ResponseWriter, r *http.Request) {
	body, ok := s.readBody(w, r)
	if !ok {
		return
	}
	var req terminateRequest
	if len(bytes.TrimSpace(body)) > 0 && !decodeJSON(w, body, &req) {
		return
	}
	if s.opts.Headless {
		writeError(w, http.StatusForbidden, codeForbidden, "The server is running in headless mode: statements come from its queries file; the REST API does not accept them.")
		return
	}
	var patterns []*regexp.Regexp
	for _, p := range req.DeleteTopicList {
		re, err := regexp.Compile("^(?:" + p + ")$")
		if err != nil {
			writeError(w, http.StatusBadRequest, codeBadRequest, fmt.Sprintf("Invalid pattern in deleteTopicList: %q: %v", p, err))
			return
		}
		patterns = append(patterns, re)
	}
	ctx := r.Context()
	if _, err := s.eng.Execute(ctx, "TERMINATE ALL;", nil); err != nil {
		status, msg := s.statementError(err, nil)
		writeJSON(w, status, msg)
		return
	}
	if err := s.dropAll(ctx, patterns); err != nil {
		status, msg := s.statementError(err, nil)
		writeJSON(w, status, msg)
		return
	}
	writeJSON(w, http.StatusOK, []any{map[string]any{
		"@type": "currentStatus", "statementText": "TERMINATE CLUSTER;", "warnings": []warning{},
		"commandId":             "cluster/CLUSTER/terminate",
		"commandStatus":         commandStatus{Status: "SUCCESS", Message: "Terminate cluster request is submitted."},
		"commandSequenceNumber": -1,
	}})
}

// processingLogStream is built in and stays, as in ksqlDB.
const processingLogStream = "KSQL_PROCESSING_LOG"

// dropAll drops every source, dependents first: a round drops what it
// can; a round that drops nothing ends with the first error.
func (s *Server) dropAll(ctx context.Context, deleteTopic []*regexp.Regexp) error {
	for round := 0; round < 1000; round++ {
		res, err := s.eng.Execute(ctx, "SHOW STREAMS; SHOW TABLES;", nil)
		if err != nil {
			return err
		}
		var srcs []engine.SourceInfo
		for _, src := range append(res[0].Streams, res[1].Tables...) {
			if src.Name != processingLogStream {
				srcs = append(srcs, src)
			}
		}
		if len(srcs) == 0 {
			return nil
		}
		var firstErr error
		dropped := 0
		for _, src := range srcs {
			stmt := fmt.Sprintf("DROP %s IF EXISTS `%s`", src.Type, src.Name)
			for _, re := range deleteTopic {
				if re.MatchString(src.Topic) {
					stmt += " DELETE TOPIC"
					break
				}
			}
			if _, err := s.eng.Execute(ctx, stmt+";", nil); err != nil {
				if firstErr == nil {
					firstErr = err
				}
				continue
			}
			dropped++
		}
		if dropped == 0 {
			return firstErr
		}
	}
	return errors.New("sources could not all be dropped")
}
