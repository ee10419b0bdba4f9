package rest

import (
	"errors"
	"net/http"

	"github.com/ksqlgo/ksql/engine"
)

// ksqlDB's error codes (Errors.java): HTTP status × 100 + n.
const (
	codeBadRequest      = 40000
	codeBadStatement    = 40001
	codeQueryEndpoint   = 40002
	codeMaxPushQueries  = 40003
	codeUnauthorized    = 40100
	codeForbidden       = 40300
	codeNotFound        = 40400
	codeNotAcceptable   = 40600
	codeTooLarge        = 41300
	codeServerError     = 50000
	codeServerNotReady  = 50302
	codeShuttingDown    = 50303
	queryEndpointText   = "The following statement types should be issued to the websocket endpoint '/query':\n\t* PRINT\n\t* SELECT"
	maxPushQueriesText  = "Not executing statement(s) as it would cause the number of active, push queries to exceed the configured limit. Terminate existing PUSH queries, or increase the 'ksql.max.push.queries' setting via the 'ksql-server.properties' file. Current push query count: %d. Configured limit: %d."
	maxPushQueriesShort = "Not executing statement(s) as it would cause the number of active, push queries to exceed the configured limit. Terminate existing PUSH queries, or increase the 'ksql.max.push.queries' setting via the 'ksql-server.properties' file."
)

// errorMessage is ksqlDB's KsqlErrorMessage and, with statementText and
// entities, KsqlStatementErrorMessage.
type errorMessage struct {
	Type      string `json:"@type"`
	ErrorCode int    `json:"error_code"`
	Message   string `json:"message"`
	Statement string `json:"statementText,omitempty"`
	// Entities is set (possibly empty) on statement errors only.
	Entities any `json:"entities,omitempty"`
}

func writeError(w http.ResponseWriter, status, code int, msg string) {
	writeJSON(w, status, errorMessage{Type: "generic_error", ErrorCode: code, Message: msg})
}

// statementError maps an engine error to ksqlDB's status, code and body:
// a rejected statement is 400/40001 (SELECT and PRINT sent to /ksql:
// 40002; too many push queries: 40003); a failed engine is 500/50000.
func (s *Server) statementError(err error, entities []any) (int, errorMessage) {
	if entities == nil {
		entities = []any{}
	}
	msg := errorMessage{Type: "statement_error", ErrorCode: codeBadStatement, Message: err.Error(), Entities: entities}
	var se *engine.StatementError
	if errors.As(err, &se) {
		msg.Statement = se.Statement
	}
	switch {
	case errors.Is(err, engine.ErrQueryEndpoint):
		msg.ErrorCode, msg.Message = codeQueryEndpoint, queryEndpointText
	case errors.Is(err, engine.ErrQueryLimit):
		msg.ErrorCode, msg.Message = codeMaxPushQueries, maxPushQueriesShort
	case se == nil && s.eng != nil && s.eng.Err() != nil:
		msg.Type, msg.ErrorCode, msg.Entities = "generic_error", codeServerError, nil
		return http.StatusInternalServerError, msg
	}
	return http.StatusBadRequest, msg
}
