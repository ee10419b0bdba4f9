package rest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"

	"github.com/ksqlgo/ksql/engine"
)

// insertsStreamArgs is ksqlDB's InsertsStreamArgs, the first line of POST
// /inserts-stream.
type insertsStreamArgs struct {
	Target     *string        `json:"target"`
	Properties map[string]any `json:"properties"`
}

// insertAck and insertError are ksqlDB's InsertAck and InsertError.
type insertAck struct {
	Status string `json:"status"`
	Seq    int64  `json:"seq"`
}

type insertError struct {
	Type      string `json:"@type"`
	ErrorCode int    `json:"error_code"`
	Message   string `json:"message"`
	Status    string `json:"status"`
	Seq       int64  `json:"seq"`
}

// insertsStream is POST /inserts-stream: the first line names the target
// stream, every later line is one row as a JSON object; each row is
// acknowledged ({"status":"ok","seq":N}) or refused with an error that
// carries its seq, in order, as it is processed (one per line, or one JSON
// array with Accept: application/json, as ksqlDB). Rows go through the
// engine's INSERT VALUES path. ksqlDB requires HTTP/2 here; this server
// also accepts HTTP/1.1 (full duplex).
func (s *Server) insertsStream(w http.ResponseWriter, r *http.Request) {
	if s.opts.Headless {
		writeError(w, http.StatusForbidden, codeForbidden, "The server is running in headless mode: statements come from its queries file; the REST API does not accept them.")
		return
	}
	_ = http.NewResponseController(w).EnableFullDuplex()
	rd := bufio.NewReaderSize(r.Body, 64<<10)
	first, err := readLine(rd, s.opts.MaxBodyBytes)
	if err != nil && !errors.Is(err, io.EOF) || len(bytes.TrimSpace(first)) == 0 {
		writeError(w, http.StatusBadRequest, codeBadRequest, "Invalid JSON in inserts stream: the first line must be {\"target\": \"STREAM\"}")
		return
	}
	var args insertsStreamArgs
	if !decodeJSON(w, first, &args) {
		return
	}
	if args.Target == nil || *args.Target == "" {
		writeError(w, http.StatusBadRequest, codeBadRequest, "No target in arguments")
		return
	}
	ctx := r.Context()
	target, fields, err := s.insertTarget(r, *args.Target)
	if err != nil {
		status, msg := s.statementError(err, nil)
		writeJSON(w, status, msg)
		return
	}
	sess := session(args.Properties, nil)
	acks := newAckWriter(w, wantsDelimited(r.Header.Get("Accept"), true))
	flush := flusherOf(w)
	flush()
	defer acks.end()
	for seq := int64(0); ; {
		line, err := readLine(rd, s.opts.MaxBodyBytes)
		if len(bytes.TrimSpace(line)) > 0 {
			var reply any = insertAck{Status: "ok", Seq: seq}
			if ierr := s.insertRow(ctx, target, fields, line, sess); ierr != nil {
				code := codeBadRequest
				var se *engine.StatementError
				if !errors.As(ierr, &se) && s.eng.Err() != nil {
					code = codeServerError
				}
				reply = insertError{Type: "generic_error", ErrorCode: code, Message: ierr.Error(), Status: "error", Seq: seq}
			}
			if acks.write(reply) != nil {
				return
			}
			flush()
			seq++
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				_ = acks.write(insertError{Type: "generic_error", ErrorCode: codeBadRequest, Message: err.Error(), Status: "error", Seq: seq})
			}
			return
		}
		if ctx.Err() != nil {
			return
		}
	}
}

// ackWriter writes the acks and errors of /inserts-stream in the form the
// Accept header chose, as ksqlDB's two writers: delimited (one JSON object
// per line; the default, also without Accept) or, for application/json,
// one JSON array written element by element and closed at the end ("[]"
// when nothing was written).
type ackWriter struct {
	w         http.ResponseWriter
	delimited bool
	written   bool
}

func newAckWriter(w http.ResponseWriter, delimited bool) *ackWriter {
	if delimited {
		w.Header().Set("Content-Type", mediaDelimited)
	} else {
		w.Header().Set("Content-Type", mediaJSON)
	}
	w.WriteHeader(http.StatusOK)
	return &ackWriter{w: w, delimited: delimited}
}

func (a *ackWriter) write(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	switch {
	case a.delimited:
		b = append(b, '\n')
	case a.written:
		b = append([]byte{','}, b...)
	default:
		b = append([]byte{'['}, b...)
	}
	a.written = true
	_, err = a.w.Write(b)
	return err
}

// end closes the JSON array; the delimited form needs nothing.
func (a *ackWriter) end() {
	if a.delimited {
		return
	}
	if a.written {
		_, _ = a.w.Write([]byte("]"))
	} else {
		_, _ = a.w.Write([]byte("[]"))
	}
}

// readLine reads one line of at most max bytes.
func readLine(rd *bufio.Reader, max int64) ([]byte, error) {
	var out []byte
	for {
		chunk, err := rd.ReadSlice('\n')
		out = append(out, chunk...)
		if int64(len(out)) > max {
			return nil, fmt.Errorf("row larger than %d bytes", max)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return out, err
	}
}

// insertTarget describes the target stream: its name and columns.
func (s *Server) insertTarget(r *http.Request, name string) (string, []engine.FieldInfo, error) {
	res, err := s.eng.Execute(r.Context(), "DESCRIBE "+quoteTarget(name)+";", nil)
	if err != nil {
		return "", nil, err
	}
	d := res[0].Source
	if d == nil {
		return "", nil, fmt.Errorf("%s does not exist.", name)
	}
	if d.Type != "STREAM" {
		return "", nil, fmt.Errorf("Cannot insert into a table using the inserts stream: %s", d.Name)
	}
	return d.Name, d.Fields, nil
}

// quoteTarget quotes a name given as ksqlDB's clients give it: unquoted
// names are upper-cased, back-quoted names kept.
func quoteTarget(name string) string {
	if strings.HasPrefix(name, "`") && strings.HasSuffix(name, "`") && len(name) > 1 {
		return name
	}
	return "`" + strings.ToUpper(name) + "`"
}

// insertRow inserts one JSON object through INSERT INTO ... VALUES.
// Column names match case-insensitively, as ksqlDB's inserts stream.
func (s *Server) insertRow(ctx context.Context, target string, fields []engine.FieldInfo, line []byte, sess *engine.Session) error {
	stmt, err := rowStatement(target, fields, line)
	if err != nil {
		return err
	}
	_, err = s.eng.Execute(ctx, stmt, sess)
	return err
}

// rowStatement renders a JSON row as an INSERT VALUES statement.
func rowStatement(target string, fields []engine.FieldInfo, line []byte) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	var row map[string]any
	if err := dec.Decode(&row); err != nil {
		return "", fmt.Errorf("Invalid JSON in inserts stream: %v", jsonErrorText(err))
	}
	if row == nil {
		return "", errors.New("Invalid JSON in inserts stream: a row must be a JSON object")
	}
	byName := map[string]engine.FieldInfo{}
	for _, f := range fields {
		byName[strings.ToUpper(f.Name)] = f
	}
	keys := make([]string, 0, len(row))
	for k := range row {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var cols, vals []string
	for _, k := range keys {
		f, ok := byName[strings.ToUpper(k)]
		if !ok {
			return "", fmt.Errorf("Key '%s' does not match any column of %s", k, target)
		}
		lit, err := sqlLiteral(row[k], f.Schema)
		if err != nil {
			return "", fmt.Errorf("column %s: %v", f.Name, err)
		}
		cols = append(cols, "`"+f.Name+"`")
		vals = append(vals, lit)
	}
	if len(cols) == 0 {
		return "", errors.New("a row must set at least one column")
	}
	return fmt.Sprintf("INSERT INTO `%s` (%s) VALUES (%s);", target, strings.Join(cols, ", "), strings.Join(vals, ", ")), nil
}

// sqlLiteral renders a JSON value as a KSQL literal of the column's type.
func sqlLiteral(v any, sc *engine.Schema) (string, error) {
	if v == nil {
		return "NULL", nil
	}
	typ := ""
	if sc != nil {
		typ = sc.Type
	}
	switch x := v.(type) {
	case bool:
		if x {
			return "TRUE", nil
		}
		return "FALSE", nil
	case json.Number:
		return x.String(), nil
	case string:
		return "'" + strings.ReplaceAll(x, "'", "''") + "'", nil
	case []any:
		var member *engine.Schema
		if sc != nil {
			member = sc.Member
		}
		parts := make([]string, len(x))
		for i, e := range x {
			lit, err := sqlLiteral(e, member)
			if err != nil {
				return "", err
			}
			parts[i] = lit
		}
		return "ARRAY[" + strings.Join(parts, ", ") + "]", nil
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var parts []string
		if typ == "STRUCT" {
			fs := map[string]engine.FieldInfo{}
			for _, f := range sc.Fields {
				fs[strings.ToUpper(f.Name)] = f
			}
			for _, k := range keys {
				f, ok := fs[strings.ToUpper(k)]
				if !ok {
					return "", fmt.Errorf("struct has no field %s", k)
				}
				lit, err := sqlLiteral(x[k], f.Schema)
				if err != nil {
					return "", err
				}
				parts = append(parts, "`"+f.Name+"` := "+lit)
			}
			return "STRUCT(" + strings.Join(parts, ", ") + ")", nil
		}
		var member *engine.Schema
		if sc != nil {
			member = sc.Member
		}
		for _, k := range keys {
			lit, err := sqlLiteral(x[k], member)
			if err != nil {
				return "", err
			}
			parts = append(parts, "'"+strings.ReplaceAll(k, "'", "''")+"' := "+lit)
		}
		if len(parts) == 0 {
			return "MAP()", nil
		}
		return "MAP(" + strings.Join(parts, ", ") + ")", nil
	}
	return "", fmt.Errorf("unsupported JSON value %v", v)
}
