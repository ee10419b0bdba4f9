package client

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Canned responses in ksqlDB's documented shapes (ksqldb-rest-model,
// RestApiTest), not in this project's server's.
const (
	createResponse = `[{"@type":"currentStatus","statementText":"CREATE STREAM S (ID INT KEY, V STRING) WITH (KAFKA_TOPIC='s', PARTITIONS=1, VALUE_FORMAT='JSON');","commandId":"stream/` + "`S`" + `/create","commandStatus":{"status":"SUCCESS","message":"Stream created","queryId":null},"commandSequenceNumber":2,"warnings":[]}]`
	listResponse   = `[{"@type":"streams","statementText":"SHOW STREAMS;","streams":[{"type":"STREAM","name":"S","topic":"s","keyFormat":"KAFKA","valueFormat":"JSON","isWindowed":false}],"warnings":[]},
{"@type":"sourceDescription","statementText":"DESCRIBE S;","sourceDescription":{"name":"S","windowType":null,"readQueries":[],"writeQueries":[{"queryString":"CREATE STREAM T AS SELECT * FROM S EMIT CHANGES;","sinks":["T"],"sinkKafkaTopics":["T"],"id":"CSAS_T_1","statusCount":{"RUNNING":1},"queryType":"PERSISTENT","state":"RUNNING"}],"fields":[{"name":"ID","schema":{"type":"INTEGER","fields":null,"memberSchema":null},"type":"KEY"},{"name":"V","schema":{"type":"STRING","fields":null,"memberSchema":null}},{"name":"M","schema":{"type":"MAP","fields":null,"memberSchema":{"type":"DECIMAL","parameters":{"precision":4,"scale":2}}}}],"type":"STREAM","timestamp":"","statistics":"","errorStats":"","extended":false,"keyFormat":"KAFKA","valueFormat":"JSON","topic":"s","partitions":1,"replication":1,"statement":"CREATE STREAM S ...","queryOffsetSummaries":[],"sourceConstraints":[]},"warnings":[]},
{"@type":"some_future_entity","statementText":"X;","warnings":[{"message":"careful"}]}]`
	errorResponse = `{"@type":"statement_error","error_code":40001,"message":"Exception while preparing statement: FOO does not exist.","statementText":"DESCRIBE FOO;","entities":[]}`
)

type canned struct {
	t        *testing.T
	requests []*http.Request
	bodies   []string
	handler  func(w http.ResponseWriter, r *http.Request, body string)
}

func newServer(t *testing.T, h func(w http.ResponseWriter, r *http.Request, body string)) (*Client, *canned) {
	t.Helper()
	c := &canned{t: t, handler: h}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		c.requests = append(c.requests, r)
		c.bodies = append(c.bodies, string(b))
		h(w, r, string(b))
	}))
	t.Cleanup(srv.Close)
	cl, err := New(srv.URL, Options{Username: "fred", Password: "letmein"})
	if err != nil {
		t.Fatal(err)
	}
	return cl, c
}

func TestKsqlEntities(t *testing.T) {
	cl, c := newServer(t, func(w http.ResponseWriter, r *http.Request, body string) {
		if strings.Contains(body, "CREATE") {
			io.WriteString(w, createResponse)
		} else {
			io.WriteString(w, listResponse)
		}
	})
	ctx := context.Background()
	ents, err := cl.Ksql(ctx, Request{KSQL: "CREATE STREAM S (ID INT KEY, V STRING) WITH (KAFKA_TOPIC='s', PARTITIONS=1, VALUE_FORMAT='JSON');",
		StreamsProperties: map[string]any{"auto.offset.reset": "earliest"}, SessionVariables: map[string]any{"x": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	cs, ok := ents[0].Value.(*CommandStatusEntity)
	if !ok || cs.CommandStatus.Message != "Stream created" || cs.CommandSequenceNumber != 2 || cs.CommandID != "stream/`S`/create" {
		t.Fatalf("currentStatus decoded as %#v", ents[0].Value)
	}
	r := c.requests[0]
	if r.URL.Path != "/ksql" || r.Method != http.MethodPost || r.Header.Get("Accept") != "application/vnd.ksql.v1+json" {
		t.Errorf("request %s %s accept %q", r.Method, r.URL.Path, r.Header.Get("Accept"))
	}
	if u, p, ok := r.BasicAuth(); !ok || u != "fred" || p != "letmein" {
		t.Errorf("basic auth = %q %q %v", u, p, ok)
	}
	var sent map[string]any
	if err := json.Unmarshal([]byte(c.bodies[0]), &sent); err != nil {
		t.Fatal(err)
	}
	if sent["streamsProperties"].(map[string]any)["auto.offset.reset"] != "earliest" || sent["sessionVariables"].(map[string]any)["x"] != "1" {
		t.Errorf("request body %s", c.bodies[0])
	}

	ents, err = cl.Ksql(ctx, Request{KSQL: "SHOW STREAMS; DESCRIBE S; X;"})
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 3 {
		t.Fatalf("%d entities", len(ents))
	}
	sl := ents[0].Value.(*StreamsList)
	if len(sl.Streams) != 1 || sl.Streams[0].Name != "S" || sl.Streams[0].ValueFormat != "JSON" {
		t.Errorf("streams %#v", sl)
	}
	sd := ents[1].Value.(*SourceDescriptionEntity).SourceDescription
	if sd.Fields[0].Type != "KEY" || sd.Fields[1].Schema.TypeString() != "VARCHAR(STRING)" || sd.Fields[2].Schema.TypeString() != "MAP<STRING, DECIMAL(4, 2)>" {
		t.Errorf("fields %+v", sd.Fields)
	}
	if sd.WriteQueries[0].ID != "CSAS_T_1" || sd.WriteQueries[0].StatusCountString() != "RUNNING:1" {
		t.Errorf("write queries %+v", sd.WriteQueries)
	}
	if ents[2].Value != nil || ents[2].Type != "some_future_entity" || ents[2].Warnings[0].Message != "careful" {
		t.Errorf("unknown entity %+v", ents[2])
	}
	if b, _ := json.Marshal(ents[2]); !strings.Contains(string(b), "some_future_entity") {
		t.Errorf("unknown entity re-encodes as %s", b)
	}
}

func TestKsqlStatementError(t *testing.T) {
	cl, _ := newServer(t, func(w http.ResponseWriter, r *http.Request, body string) {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, errorResponse)
	})
	_, err := cl.Ksql(context.Background(), Request{KSQL: "DESCRIBE FOO;"})
	var e *Error
	if !errors.As(err, &e) || e.StatusCode != 400 || e.ErrorCode != 40001 || e.Type != "statement_error" || e.StatementText != "DESCRIBE FOO;" || err.Error() != "Exception while preparing statement: FOO does not exist." {
		t.Fatalf("error %#v", err)
	}
}

func TestNonJSONError(t *testing.T) {
	cl, _ := newServer(t, func(w http.ResponseWriter, r *http.Request, body string) {
		w.WriteHeader(http.StatusBadGateway)
		io.WriteString(w, "upstream down\n")
	})
	_, err := cl.Info(context.Background())
	var e *Error
	if !errors.As(err, &e) || e.StatusCode != 502 || e.Message != "upstream down" {
		t.Fatalf("error %#v", err)
	}
}

func TestInfoHealthValidProperty(t *testing.T) {
	cl, c := newServer(t, func(w http.ResponseWriter, r *http.Request, body string) {
		switch {
		case r.URL.Path == "/info":
			io.WriteString(w, `{"KsqlServerInfo":{"version":"7.9.0","kafkaClusterId":"abc","ksqlServiceId":"default_","serverStatus":"RUNNING"}}`)
		case r.URL.Path == "/healthcheck":
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, `{"isHealthy":false,"details":{"metastore":{"isHealthy":true},"kafka":{"isHealthy":false}},"serverState":"READY"}`)
		case r.URL.Path == "/is_valid_property/auto.offset.reset":
			io.WriteString(w, `true`)
		case strings.HasPrefix(r.URL.Path, "/is_valid_property/"):
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"@type":"generic_error","error_code":40000,"message":"Not recognizable as ksql, streams, consumer, or producer property: 'foo'"}`)
		case r.URL.Path == "/close-query":
			w.WriteHeader(http.StatusOK)
		}
	})
	ctx := context.Background()
	info, err := cl.Info(ctx)
	if err != nil || info.Version != "7.9.0" || info.ServerStatus != "RUNNING" || info.KsqlServiceID != "default_" {
		t.Fatalf("info %+v %v", info, err)
	}
	h, err := cl.HealthCheck(ctx)
	if err != nil || h.IsHealthy || !h.Details["metastore"].IsHealthy || h.Details["kafka"].IsHealthy || h.ServerState != "READY" {
		t.Fatalf("health %+v %v", h, err)
	}
	if err := cl.IsValidProperty(ctx, "auto.offset.reset"); err != nil {
		t.Fatal(err)
	}
	if err := cl.IsValidProperty(ctx, "foo"); err == nil || !strings.Contains(err.Error(), "Not recognizable") {
		t.Fatalf("invalid property: %v", err)
	}
	if err := cl.CloseQuery(ctx, "transient_S_1"); err != nil {
		t.Fatal(err)
	}
	last := c.bodies[len(c.bodies)-1]
	if c.requests[len(c.requests)-1].URL.Path != "/close-query" || last != `{"queryId":"transient_S_1"}` {
		t.Errorf("close-query body %s", last)
	}
}

func TestQueryJSONArray(t *testing.T) {
	cl, c := newServer(t, func(w http.ResponseWriter, r *http.Request, body string) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, "[{\"header\":{\"queryId\":\"transient_T_1\",\"schema\":\"`ID` STRING KEY, `S` STRUCT<`A` INTEGER, `B` DECIMAL(4, 2)>, `N` BIGINT\"}},\n")
		w.(http.Flusher).Flush()
		io.WriteString(w, "\n\n{\"row\":{\"columns\":[\"k1\",{\"A\":1,\"B\":1.50},9007199254740993]}},\n")
		io.WriteString(w, "{\"row\":{\"columns\":[\"k2\",null,null],\"tombstone\":true}},\n")
		io.WriteString(w, "{\"finalMessage\":\"Limit Reached\"}]\n")
	})
	rows, err := cl.Query(context.Background(), QueryRequest{SQL: "SELECT * FROM T EMIT CHANGES LIMIT 2;", Properties: map[string]any{"auto.offset.reset": "earliest"}})
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	if rows.QueryID != "transient_T_1" || len(rows.Columns) != 3 || !rows.Columns[0].Key || rows.Columns[1].Type != "STRUCT<`A` INTEGER, `B` DECIMAL(4, 2)>" || rows.Columns[2].Name != "N" {
		t.Fatalf("header %+v %+v", rows.QueryID, rows.Columns)
	}
	var sent Request
	_ = json.Unmarshal([]byte(c.bodies[0]), &sent)
	if c.requests[0].URL.Path != "/query" || sent.KSQL != "SELECT * FROM T EMIT CHANGES LIMIT 2;" || sent.StreamsProperties["auto.offset.reset"] != "earliest" {
		t.Errorf("request %s %s", c.requests[0].URL.Path, c.bodies[0])
	}
	r1, err := rows.Next()
	if err != nil || r1.Values[0] != "k1" || r1.Values[2].(json.Number).String() != "9007199254740993" || r1.Tombstone {
		t.Fatalf("row 1 %+v %v", r1, err)
	}
	r2, err := rows.Next()
	if err != nil || !r2.Tombstone || r2.Values[0] != "k2" {
		t.Fatalf("row 2 %+v %v", r2, err)
	}
	if _, err := rows.Next(); err != io.EOF {
		t.Fatalf("end: %v", err)
	}
	if rows.FinalMessage() != "Limit Reached" {
		t.Errorf("final %q", rows.FinalMessage())
	}
}

func TestQueryErrors(t *testing.T) {
	cl, _ := newServer(t, func(w http.ResponseWriter, r *http.Request, body string) {
		if strings.Contains(body, "BAD") {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"@type":"statement_error","error_code":40001,"message":"line 1:8: Syntax error","statementText":"SELECT BAD;","entities":[]}`)
			return
		}
		io.WriteString(w, "[{\"header\":{\"queryId\":\"q\",\"schema\":\"`A` INTEGER\"}},\n{\"row\":{\"columns\":[1]}},\n{\"errorMessage\":{\"@type\":\"generic_error\",\"error_code\":50000,\"message\":\"query failed\"}}]")
	})
	ctx := context.Background()
	if _, err := cl.Query(ctx, QueryRequest{SQL: "SELECT BAD;"}); err == nil || err.Error() != "line 1:8: Syntax error" {
		t.Fatalf("statement error: %v", err)
	}
	rows, err := cl.Query(ctx, QueryRequest{SQL: "SELECT A FROM X EMIT CHANGES;"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rows.Next(); err != nil {
		t.Fatal(err)
	}
	_, err = rows.Next()
	var e *Error
	if !errors.As(err, &e) || e.ErrorCode != 50000 || e.Message != "query failed" {
		t.Fatalf("mid-stream error %#v", err)
	}
}

// A stream cut off before its closing bracket is an error, not a clean end.
func TestQueryTruncated(t *testing.T) {
	cl, _ := newServer(t, func(w http.ResponseWriter, r *http.Request, body string) {
		io.WriteString(w, "[{\"header\":{\"queryId\":\"q\",\"schema\":\"`A` INTEGER\"}},\n{\"row\":{\"col")
	})
	rows, err := cl.Query(context.Background(), QueryRequest{SQL: "SELECT A FROM X EMIT CHANGES;"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rows.Next(); err == nil || err == io.EOF {
		t.Fatalf("truncated stream ended with %v", err)
	}
}

func TestQueryStreamDelimited(t *testing.T) {
	cl, c := newServer(t, func(w http.ResponseWriter, r *http.Request, body string) {
		if r.Header.Get("Accept") != "application/vnd.ksqlapi.delimited.v1" {
			w.WriteHeader(http.StatusNotAcceptable)
			return
		}
		io.WriteString(w, `{"queryId":"XYZ","columnNames":["COUNT","USERID"],"columnTypes":["BIGINT","STRING"]}`+"\n")
		io.WriteString(w, `[1,"USER_0"]`+"\n")
		io.WriteString(w, `[2,"USER_2"]`+"\n")
	})
	rows, err := cl.QueryStream(context.Background(), QueryRequest{SQL: "SELECT * FROM X EMIT CHANGES;", Properties: map[string]any{"auto.offset.reset": "earliest"}})
	if err != nil {
		t.Fatal(err)
	}
	var sent map[string]any
	_ = json.Unmarshal([]byte(c.bodies[0]), &sent)
	if c.requests[0].URL.Path != "/query-stream" || sent["sql"] != "SELECT * FROM X EMIT CHANGES;" || sent["properties"].(map[string]any)["auto.offset.reset"] != "earliest" {
		t.Errorf("request %s", c.bodies[0])
	}
	if rows.QueryID != "XYZ" || len(rows.Columns) != 2 || rows.Columns[1].Type != "STRING" {
		t.Fatalf("header %+v", rows.Columns)
	}
	var got []string
	for {
		r, err := rows.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(r.Values)
		got = append(got, string(b))
	}
	if strings.Join(got, " ") != `[1,"USER_0"] [2,"USER_2"]` {
		t.Errorf("rows %v", got)
	}
}

// Over h2c with prior knowledge the client speaks HTTP/2 to a cleartext server.
func TestHTTP2Cleartext(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"KsqlServerInfo":{"version":"`+r.Proto+`","serverStatus":"RUNNING"}}`)
	}))
	var p http.Protocols
	p.SetUnencryptedHTTP2(true)
	p.SetHTTP1(true)
	srv.Config.Protocols = &p
	srv.Start()
	defer srv.Close()
	cl, err := New(srv.URL, Options{HTTP2: true})
	if err != nil {
		t.Fatal(err)
	}
	info, err := cl.Info(context.Background())
	if err != nil || info.Version != "HTTP/2.0" {
		t.Fatalf("proto %q %v", info.Version, err)
	}
	cl1, _ := New(srv.URL, Options{})
	info, err = cl1.Info(context.Background())
	if err != nil || info.Version != "HTTP/1.1" {
		t.Fatalf("proto %q %v", info.Version, err)
	}
}

func TestParseSchema(t *testing.T) {
	cols, err := ParseSchema("`ID` STRING KEY, `we``ird, name` ARRAY<MAP<STRING, INTEGER>>, `D` DECIMAL(10, 2)")
	if err != nil {
		t.Fatal(err)
	}
	want := []Column{{"ID", "STRING", true}, {"we`ird, name", "ARRAY<MAP<STRING, INTEGER>>", false}, {"D", "DECIMAL(10, 2)", false}}
	if len(cols) != len(want) {
		t.Fatalf("%+v", cols)
	}
	for i := range want {
		if cols[i] != want[i] {
			t.Errorf("column %d = %+v, want %+v", i, cols[i], want[i])
		}
	}
}

func TestNewRejectsBadURL(t *testing.T) {
	for _, u := range []string{"localhost:8088", "ftp://x", "http://"} {
		if _, err := New(u, Options{}); err == nil {
			t.Errorf("New(%q) accepted", u)
		}
	}
}

// PRINT answers /query with plain text lines, not a JSON array: Print
// returns them without the empty keep-alive lines, until the end.
func TestPrint(t *testing.T) {
	cl, c := newServer(t, func(w http.ResponseWriter, r *http.Request, body string) {
		switch {
		case strings.Contains(body, "nosuch"):
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"@type":"statement_error","error_code":40001,"message":"Could not find topic 'nosuch', or the KSQL user does not have permissions to list the topic. Topic names are case-sensitive.","statementText":"PRINT nosuch;","entities":[]}`)
		case strings.Contains(body, "broken"):
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			io.WriteString(w, "Key format: KAFKA_STRING\n"+`{"@type":"generic_error","error_code":50000,"message":"topic deleted"}`+"\n")
		default:
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			io.WriteString(w, "Key format: KAFKA_INT or KAFKA_STRING\nValue format: JSON or KAFKA_STRING\n\n"+
				`rowtime: 2026/12/06 21:19:52.686 Z, key: 1, value: {"NAME":"ann"}, partition: 0`+"\n\n\n"+
				`rowtime: 2026/12/06 21:19:52.690 Z, key: 2, value: {"NAME":"bob"}, partition: 0`+"\n")
		}
	})
	ctx := context.Background()
	p, err := cl.Print(ctx, QueryRequest{SQL: "PRINT riders FROM BEGINNING LIMIT 2;", Properties: map[string]any{"auto.offset.reset": "earliest"}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var got []string
	for i := 0; i < 10; i++ {
		l, err := p.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, l)
	}
	want := []string{"Key format: KAFKA_INT or KAFKA_STRING", "Value format: JSON or KAFKA_STRING",
		`rowtime: 2026/12/06 21:19:52.686 Z, key: 1, value: {"NAME":"ann"}, partition: 0`,
		`rowtime: 2026/12/06 21:19:52.690 Z, key: 2, value: {"NAME":"bob"}, partition: 0`}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("lines:\n%q\nwant\n%q", got, want)
	}
	if _, err := p.Next(); !errors.Is(err, io.EOF) {
		t.Errorf("after the end: %v", err)
	}
	if r := c.requests[0]; r.URL.Path != "/query" || !strings.Contains(c.bodies[0], `"ksql":"PRINT riders FROM BEGINNING LIMIT 2;"`) || !strings.Contains(c.bodies[0], `"auto.offset.reset":"earliest"`) {
		t.Errorf("request %s %s", r.URL.Path, c.bodies[0])
	}

	_, err = cl.Print(ctx, QueryRequest{SQL: "PRINT nosuch;"})
	var e *Error
	if !errors.As(err, &e) || e.ErrorCode != 40001 || !strings.HasPrefix(e.Message, "Could not find topic 'nosuch'") {
		t.Errorf("unknown topic: %#v", err)
	}
	p, err = cl.Print(ctx, QueryRequest{SQL: "PRINT broken;"})
	if err != nil {
		t.Fatal(err)
	}
	if l, err := p.Next(); err != nil || l != "Key format: KAFKA_STRING" {
		t.Fatalf("first line %q %v", l, err)
	}
	if _, err := p.Next(); !errors.As(err, &e) || e.ErrorCode != 50000 || e.Message != "topic deleted" {
		t.Errorf("mid-stream error: %#v", err)
	}
}
