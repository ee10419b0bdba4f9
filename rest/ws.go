package rest

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/coder/websocket"
)

// wsQuery is GET /ws/query, ksqlDB's WebSocket query endpoint
// (WSQueryEndpoint): the query is the `request` parameter (a KsqlRequest
// as JSON). The first text message is the schema (a list of ksqlDB
// FieldInfo), then one StreamedRow per row ({"row":{"columns":[...]}}),
// then the final message if there is one; the socket closes with 1000
// "done" at the end, 1011 and the reason on an error.
func (s *Server) wsQuery(w http.ResponseWriter, r *http.Request) {
	var req ksqlRequest
	raw := r.URL.Query().Get("request")
	if raw == "" {
		writeError(w, http.StatusBadRequest, codeBadRequest, "missing request parameter: the KsqlRequest as JSON")
		return
	}
	if !decodeJSON(w, []byte(raw), &req) || !requireKsql(w, req) {
		return
	}
	rq, ok := s.startQuery(w, r, req.KSQL, session(req.StreamsProperties, req.SessionVariables))
	if !ok {
		return
	}
	defer s.endQuery(rq)
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		return
	}
	defer conn.CloseNow()
	ctx, cancel := s.streamContext(r)
	defer cancel()
	// The client sends nothing; reading notices its close.
	ctx = conn.CloseRead(ctx)
	schema := []fieldInfo{}
	for _, c := range rq.Columns() {
		fi := fieldInfo{Name: c.Name, Schema: parseTypeSchema(c.Type)}
		if c.Key {
			fi.FieldType = "KEY"
		}
		schema = append(schema, fi)
	}
	if b, _ := json.Marshal(schema); conn.Write(ctx, websocket.MessageText, b) != nil {
		return
	}
	for ev := range pump(ctx, rq) {
		switch {
		case ev.err == nil:
			if conn.Write(ctx, websocket.MessageText, rowElement(ev.row)) != nil {
				return
			}
		case errors.Is(ev.err, io.EOF):
			if final := rq.Final(); final != "" {
				b, _ := json.Marshal(map[string]string{"finalMessage": final})
				_ = conn.Write(ctx, websocket.MessageText, b)
			}
			_ = conn.Close(websocket.StatusNormalClosure, "done")
			return
		case ctx.Err() != nil:
			_ = conn.Close(websocket.StatusGoingAway, "server shutting down or client gone")
			return
		default:
			reason := ev.err.Error()
			if len(reason) > 120 { // a close reason is at most 123 bytes
				reason = reason[:120]
			}
			_ = conn.Close(websocket.StatusInternalError, reason)
			return
		}
	}
	_ = conn.Close(websocket.StatusGoingAway, "server shutting down")
}

// parseTypeSchema turns a result column's type text ("INTEGER",
// "ARRAY<STRING>", "MAP<STRING, INTEGER>", "STRUCT<`A` INTEGER>",
// "DECIMAL(4, 2)") into ksqlDB's SchemaInfo.
func parseTypeSchema(t string) *schemaInfo {
	sc, _ := parseType(strings.TrimSpace(t))
	return sc
}

func parseType(t string) (*schemaInfo, string) {
	t = strings.TrimLeft(t, " ")
	i := 0
	for i < len(t) && (t[i] >= 'A' && t[i] <= 'Z' || t[i] >= 'a' && t[i] <= 'z' || t[i] == '_') {
		i++
	}
	base, rest := strings.ToUpper(t[:i]), t[i:]
	if base == "INT" {
		base = "INTEGER"
	}
	if base == "VARCHAR" {
		base = "STRING"
	}
	sc := &schemaInfo{Type: base}
	switch {
	case base == "DECIMAL" && strings.HasPrefix(rest, "("):
		end := strings.IndexByte(rest, ')')
		if end < 0 {
			return sc, ""
		}
		var p, s int
		if _, err := fmtSscan(rest[1:end], &p, &s); err == nil {
			sc.Parameters = map[string]any{"precision": p, "scale": s}
		}
		return sc, rest[end+1:]
	case base == "ARRAY" && strings.HasPrefix(rest, "<"):
		m, r := parseType(rest[1:])
		sc.MemberSchema = m
		return sc, strings.TrimPrefix(strings.TrimLeft(r, " "), ">")
	case base == "MAP" && strings.HasPrefix(rest, "<"):
		_, r := parseType(rest[1:])
		r = strings.TrimPrefix(strings.TrimLeft(r, " "), ",")
		m, r := parseType(r)
		sc.MemberSchema = m
		return sc, strings.TrimPrefix(strings.TrimLeft(r, " "), ">")
	case base == "STRUCT" && strings.HasPrefix(rest, "<"):
		sc.Fields = []fieldInfo{}
		r := rest[1:]
		for guard := 0; guard < 10000; guard++ {
			r = strings.TrimLeft(r, " ")
			if r == "" || r[0] == '>' {
				return sc, strings.TrimPrefix(r, ">")
			}
			name := ""
			if r[0] == '`' {
				end := strings.IndexByte(r[1:], '`')
				if end < 0 {
					return sc, ""
				}
				name, r = r[1:1+end], r[2+end:]
			} else {
				sp := strings.IndexByte(r, ' ')
				if sp < 0 {
					return sc, ""
				}
				name, r = r[:sp], r[sp:]
			}
			ft, rr := parseType(r)
			sc.Fields = append(sc.Fields, fieldInfo{Name: name, Schema: ft})
			r = strings.TrimPrefix(strings.TrimLeft(rr, " "), ",")
		}
		return sc, ""
	}
	return sc, rest
}

// fmtSscan reads "p, s".
func fmtSscan(s string, p, sc *int) (int, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 2 {
		return 0, errors.New("want precision, scale")
	}
	var err error
	if *p, err = atoi(parts[0]); err != nil {
		return 0, err
	}
	if *sc, err = atoi(parts[1]); err != nil {
		return 1, err
	}
	return 2, nil
}

func atoi(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New("empty number")
	}
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, errors.New("not a number")
		}
		n = n*10 + int(c-'0')
		if n > 1<<20 {
			return 0, errors.New("too large")
		}
	}
	return n, nil
}
