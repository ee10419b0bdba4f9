package rest

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/net/http2"

	"github.com/ksqlgo/ksql/engine"
)

// fakeQuery is a RunningQuery that returns rows from a channel: the test
// feeds rows and ends the query.
type fakeQuery struct {
	id    string
	kind  engine.QueryKind
	cols  []engine.Column
	rows  chan engine.Row
	final string
	end   error // returned by Next after rows closes (default io.EOF)

	once   sync.Once
	closed chan struct{}
}

func newFakeQuery(id string, kind engine.QueryKind, final string, rows ...engine.Row) *fakeQuery {
	q := &fakeQuery{
		id: id, kind: kind, final: final, rows: make(chan engine.Row, len(rows)+1), closed: make(chan struct{}),
		cols: []engine.Column{{Name: "ID", Type: "STRING", Key: kind == engine.PullQuery}, {Name: "N", Type: "BIGINT"}},
	}
	for _, r := range rows {
		q.rows <- r
	}
	return q
}

func (q *fakeQuery) ID() string               { return q.id }
func (q *fakeQuery) Kind() engine.QueryKind   { return q.kind }
func (q *fakeQuery) Columns() []engine.Column { return q.cols }
func (q *fakeQuery) Final() string            { return q.final }
func (q *fakeQuery) Close() error {
	q.once.Do(func() { close(q.closed) })
	return nil
}

func (q *fakeQuery) Next(ctx context.Context) (engine.Row, error) {
	select {
	case r, ok := <-q.rows:
		if !ok {
			if q.end != nil {
				return engine.Row{}, q.end
			}
			return engine.Row{}, io.EOF
		}
		return r, nil
	case <-q.closed:
		return engine.Row{}, engine.ErrQueryClosed
	case <-ctx.Done():
		return engine.Row{}, ctx.Err()
	}
}

// startFake serves a Server whose queries are the given fakes, on a
// loopback port (HTTP/1.1 and h2c).
func startFake(t *testing.T, opts Options, queries ...*fakeQuery) (*HTTPServer, string) {
	t.Helper()
	ln, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {} // the panic test's stack
	}
	h, err := Start(nil, ln, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	next := 0
	h.api.stream = func(ctx context.Context, text string, sess *engine.Session) (engine.RunningQuery, error) {
		mu.Lock()
		defer mu.Unlock()
		if strings.Contains(text, "LIMITED") {
			return nil, engine.ErrQueryLimit
		}
		if strings.Contains(text, "PANIC") {
			panic("boom")
		}
		if next >= len(queries) {
			return nil, &engine.StatementError{Statement: text, Msg: "no more fake queries"}
		}
		q := queries[next]
		next++
		return q, nil
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = h.Shutdown(ctx)
	})
	return h, "http://" + h.Addr()
}

// h2cClient speaks HTTP/2 over cleartext with prior knowledge.
func h2cClient() *http.Client {
	return &http.Client{Transport: &http2.Transport{
		AllowHTTP: true,
		DialTLSContext: func(ctx context.Context, network, addr string, _ *tls.Config) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	}}
}

func doPost(t *testing.T, c *http.Client, url, accept, body string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestQueryEndpointFormat(t *testing.T) {
	for _, proto := range []string{"HTTP/1.1", "h2c"} {
		t.Run(proto, func(t *testing.T) {
			push := newFakeQuery("transient_S_1", engine.PushQuery, "Limit Reached",
				engine.Row{Values: []any{"a", int64(1)}}, engine.Row{Values: []any{"b", nil}, Tombstone: true})
			close(push.rows)
			pull := newFakeQuery("transient_T_2", engine.PullQuery, "Query Completed", engine.Row{Values: []any{"k", int64(7)}})
			close(pull.rows)
			_, base := startFake(t, Options{}, push, pull)
			c := http.DefaultClient
			if proto == "h2c" {
				c = h2cClient()
			}
			resp, body := doPost(t, c, base+"/query", "application/vnd.ksql.v1+json", `{"ksql":"SELECT * FROM s EMIT CHANGES LIMIT 2;","streamsProperties":{"auto.offset.reset":"earliest"}}`)
			want := "[{\"header\":{\"queryId\":\"transient_S_1\",\"schema\":\"`ID` STRING, `N` BIGINT\"}},\n" +
				"{\"row\":{\"columns\":[\"a\",1]}},\n" +
				"{\"row\":{\"columns\":[\"b\",null],\"tombstone\":true}},\n" +
				"{\"finalMessage\":\"Limit Reached\"}]\n"
			if resp.StatusCode != 200 || strings.ReplaceAll(body, "\n\n", "\n") != want {
				t.Errorf("push: %d %q\nwant %q", resp.StatusCode, body, want)
			}
			if proto == "h2c" && resp.ProtoMajor != 2 {
				t.Errorf("proto %s", resp.Proto)
			}
			_, body = doPost(t, c, base+"/query", "", `{"ksql":"SELECT * FROM t WHERE id='k';"}`)
			want = "[{\"header\":{\"queryId\":\"transient_T_2\",\"schema\":\"`ID` STRING KEY, `N` BIGINT\"}},\n" +
				"{\"row\":{\"columns\":[\"k\",7]}},\n" +
				"{\"finalMessage\":\"Query Completed\"}]\n"
			if strings.ReplaceAll(body, "\n\n", "\n") != want {
				t.Errorf("pull: %q\nwant %q", body, want)
			}
			var arr []any
			if err := json.Unmarshal([]byte(body), &arr); err != nil || len(arr) != 3 {
				t.Errorf("not a JSON array: %v", err)
			}
			// Errors before the stream: ksqlDB's codes.
			resp, body = doPost(t, c, base+"/query", "", `{"ksql":"SELECT * FROM LIMITED EMIT CHANGES;"}`)
			if resp.StatusCode != 400 || !strings.Contains(body, `"error_code":40003`) {
				t.Errorf("limit: %d %s", resp.StatusCode, body)
			}
			resp, body = doPost(t, c, base+"/query", "", `{"ksql":"SELECT * FROM nothing;"}`)
			if resp.StatusCode != 400 || !strings.Contains(body, `"error_code":40001`) || !strings.Contains(body, `"statementText":"SELECT * FROM nothing;"`) {
				t.Errorf("statement error: %d %s", resp.StatusCode, body)
			}
			resp, body = doPost(t, c, base+"/query", "", `{"ksql":"PANIC"}`)
			if resp.StatusCode != 500 || !strings.Contains(body, `"error_code":50000`) {
				t.Errorf("panic: %d %s", resp.StatusCode, body)
			}
		})
	}
}

func TestQueryStreamFormats(t *testing.T) {
	mk := func() *fakeQuery {
		q := newFakeQuery("Q1", engine.PushQuery, "", engine.Row{Values: []any{"a", int64(1)}},
			engine.Row{Values: []any{"gone", nil}, Tombstone: true}, engine.Row{Values: []any{"b", int64(2)}})
		close(q.rows)
		return q
	}
	_, base := startFake(t, Options{}, mk(), mk(), mk())
	c := h2cClient()
	resp, body := doPost(t, c, base+"/query-stream", "", `{"sql":"SELECT * FROM s EMIT CHANGES;","properties":{"auto.offset.reset":"earliest"}}`)
	want := `{"queryId":"Q1","columnNames":["ID","N"],"columnTypes":["STRING","BIGINT"]}` + "\n" + `["a",1]` + "\n" + `["b",2]` + "\n"
	if resp.StatusCode != 200 || body != want || resp.Header.Get("Content-Type") != mediaDelimited {
		t.Errorf("delimited: %d %s %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	_, body = doPost(t, c, base+"/query-stream", "application/json", `{"sql":"SELECT * FROM s EMIT CHANGES;"}`)
	var arr []any
	if err := json.Unmarshal([]byte(body), &arr); err != nil || len(arr) != 3 {
		t.Errorf("json: %v %q", err, body)
	}
	// /query with the delimited type is served by the new handler, as ksqlDB's second route.
	_, body = doPost(t, http.DefaultClient, base+"/query", mediaDelimited, `{"ksql":"SELECT * FROM s EMIT CHANGES;"}`)
	if body != want {
		t.Errorf("/query delimited: %q", body)
	}
	resp, body = doPost(t, c, base+"/query-stream", "", `{"properties":{}}`)
	if resp.StatusCode != 400 || !strings.Contains(body, "40000") {
		t.Errorf("no sql: %d %s", resp.StatusCode, body)
	}
}

// A push query closed through /close-query ends its /query-stream
// response with the rows sent so far and no error line, as ksqlDB's (the
// ksqldb-client npm package parses every line of the delimited stream).
func TestQueryStreamClosedEndsWithoutError(t *testing.T) {
	q := newFakeQuery("C1", engine.PushQuery, "", engine.Row{Values: []any{"a", int64(1)}})
	_, base := startFake(t, Options{}, q)
	c := h2cClient()
	req, _ := http.NewRequest("POST", base+"/query-stream", strings.NewReader(`{"sql":"SELECT * FROM s EMIT CHANGES;"}`))
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	rd := bufio.NewReader(resp.Body)
	for i := 0; i < 2; i++ {
		if _, err := rd.ReadString('\n'); err != nil {
			t.Fatal(err)
		}
	}
	if code, body := post(t, base+"/close-query", `{"queryId":"C1"}`); code != 200 {
		t.Fatalf("close-query: %d %s", code, body)
	}
	rest, err := io.ReadAll(rd)
	if err != nil || len(rest) != 0 {
		t.Errorf("after close: %q %v, want the end of the stream", rest, err)
	}
}

// TestPushQueryCloseAndShutdown: a push query idles with keep-alive
// newlines, /close-query ends it, and a server shutdown ends another one
// with its JSON array closed.
func TestPushQueryCloseAndShutdown(t *testing.T) {
	q1 := newFakeQuery("P1", engine.PushQuery, "", engine.Row{Values: []any{"a", int64(1)}})
	q2 := newFakeQuery("P2", engine.PushQuery, "")
	h, base := startFake(t, Options{KeepAlive: 10 * time.Millisecond}, q1, q2)

	req, _ := http.NewRequest("POST", base+"/query", strings.NewReader(`{"ksql":"SELECT * FROM s EMIT CHANGES;"}`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	rd := bufio.NewReader(resp.Body)
	// Header, first row, then at least one keep-alive empty line.
	var lines []string
	for i := 0; i < 100 && len(lines) < 3; i++ {
		l, err := rd.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, l)
	}
	if !strings.HasPrefix(lines[0], `[{"header":{"queryId":"P1"`) || lines[1] != "\n" && !strings.Contains(lines[1], `"row"`) {
		t.Errorf("lines: %q", lines)
	}
	sawKeepAlive := false
	for i := 0; i < 100 && !sawKeepAlive; i++ {
		l, err := rd.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		sawKeepAlive = l == "\n"
	}
	if !sawKeepAlive {
		t.Error("no keep-alive line")
	}
	// Every element line ends with its own ",\n" (ksqlDB's writer), so a
	// client that parses line by line never meets a stray comma.
	for _, l := range lines {
		if l != "\n" && !strings.HasSuffix(l, "},\n") {
			t.Errorf("element line %q does not end with \"},\\n\"", l)
		}
	}
	code, body := post(t, base+"/close-query", `{"queryId":"P1"}`)
	if code != 200 {
		t.Errorf("close-query: %d %s", code, body)
	}
	rest, _ := io.ReadAll(rd)
	resp.Body.Close()
	if !strings.HasSuffix(string(rest), "]\n") || strings.Contains(string(rest), "errorMessage") {
		t.Errorf("closed query's stream ends %q (want the array closed, no error)", rest)
	}
	if code, body := post(t, base+"/close-query", `{"queryId":"nope"}`); code != 400 || !strings.Contains(body, "40000") {
		t.Errorf("unknown id: %d %s", code, body)
	}

	// Shutdown ends a running push query cleanly.
	resp, err = http.Post(base+"/query", "application/json", strings.NewReader(`{"ksql":"SELECT * FROM s EMIT CHANGES;"}`))
	if err != nil {
		t.Fatal(err)
	}
	rd = bufio.NewReader(resp.Body)
	if l, err := rd.ReadString('\n'); err != nil || !strings.Contains(l, `"queryId":"P2"`) {
		t.Fatalf("header %q %v", l, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.Shutdown(ctx); err != nil {
		t.Errorf("shutdown: %v", err)
	}
	rest, _ = io.ReadAll(rd)
	resp.Body.Close()
	if !strings.HasSuffix(string(rest), "]\n") {
		t.Errorf("stream at shutdown ends %q", rest)
	}
	select {
	case <-q2.closed:
	default:
		t.Error("query not closed at shutdown")
	}
}

func TestWebSocketQuery(t *testing.T) {
	q := newFakeQuery("W1", engine.PushQuery, "Limit Reached", engine.Row{Values: []any{"a", int64(1)}})
	close(q.rows)
	_, base := startFake(t, Options{}, q)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	u := "ws" + strings.TrimPrefix(base, "http") + "/ws/query?request=" + url.QueryEscape(`{"ksql":"SELECT * FROM s EMIT CHANGES LIMIT 1;"}`)
	conn, _, err := websocket.Dial(ctx, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	var msgs []string
	for i := 0; i < 10; i++ {
		_, b, err := conn.Read(ctx)
		if err != nil {
			if websocket.CloseStatus(err) != websocket.StatusNormalClosure {
				t.Errorf("close: %v", err)
			}
			break
		}
		msgs = append(msgs, string(b))
	}
	want := []string{
		`[{"name":"ID","schema":{"type":"STRING","fields":null,"memberSchema":null}},{"name":"N","schema":{"type":"BIGINT","fields":null,"memberSchema":null}}]`,
		`{"row":{"columns":["a",1]}}`,
		`{"finalMessage":"Limit Reached"}`,
	}
	if strings.Join(msgs, "\n") != strings.Join(want, "\n") {
		t.Errorf("messages:\n%s\nwant\n%s", strings.Join(msgs, "\n"), strings.Join(want, "\n"))
	}
}

func TestParseTypeSchema(t *testing.T) {
	for in, want := range map[string]string{
		"INTEGER":                                `{"type":"INTEGER","fields":null,"memberSchema":null}`,
		"ARRAY<STRING>":                          `{"type":"ARRAY","fields":null,"memberSchema":{"type":"STRING","fields":null,"memberSchema":null}}`,
		"MAP<STRING, DECIMAL(4, 2)>":             `{"type":"MAP","fields":null,"memberSchema":{"type":"DECIMAL","fields":null,"memberSchema":null,"parameters":{"precision":4,"scale":2}}}`,
		"STRUCT<`A` INTEGER, `B` ARRAY<BIGINT>>": `{"type":"STRUCT","fields":[{"name":"A","schema":{"type":"INTEGER","fields":null,"memberSchema":null}},{"name":"B","schema":{"type":"ARRAY","fields":null,"memberSchema":{"type":"BIGINT","fields":null,"memberSchema":null}}}],"memberSchema":null}`,
	} {
		b, _ := json.Marshal(parseTypeSchema(in))
		if string(b) != want {
			t.Errorf("%s: %s\nwant %s", in, b, want)
		}
	}
}
