package rest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ksqlgo/ksql/engine"
)

func newTestServer(t testing.TB, opts Options) (*httptest.Server, *engine.Engine) {
	t.Helper()
	eng, err := engine.Open(context.Background(), engine.Config{DataDir: t.TempDir(), NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(NewHandler(eng, opts))
	t.Cleanup(func() {
		srv.Close()
		eng.Close()
	})
	return srv, eng
}

func post(t *testing.T, url, body string) (int, string) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestKsqlEndpoint(t *testing.T) {
	srv, _ := newTestServer(t, Options{})
	code, body := post(t, srv.URL+"/ksql", `{"ksql": "CREATE STREAM s (id INT KEY, v STRING) WITH (kafka_topic='s', value_format='JSON', partitions=1); SHOW STREAMS;"}`)
	if code != 200 {
		t.Fatalf("status %d: %s", code, body)
	}
	var ents []map[string]any
	if err := json.Unmarshal([]byte(body), &ents); err != nil || len(ents) != 2 {
		t.Fatalf("entities: %v %s", err, body)
	}
	if ents[0]["@type"] != "currentStatus" || ents[0]["commandStatus"].(map[string]any)["message"] != "Stream created" {
		t.Errorf("first entity: %v", ents[0])
	}
	if ents[1]["@type"] != "streams" || !strings.Contains(body, `"name":"S"`) {
		t.Errorf("second entity: %v", ents[1])
	}

	// A bad statement: 400 with ksqlDB's statement_error and the caret.
	code, body = post(t, srv.URL+"/ksql", `{"ksql": "CREATE STREAM t AS SELECT id, nope FROM s;"}`)
	if code != 400 || !strings.Contains(body, `"@type":"statement_error"`) || !strings.Contains(body, `"error_code":40001`) ||
		!strings.Contains(body, "NOPE") {
		t.Errorf("bad statement: %d %s", code, body)
	}
	// Broken bodies.
	for _, b := range []string{``, `{`, `[1,2]`, `{"ksql": 5}`, `{"ksql": ""}`} {
		code, body = post(t, srv.URL+"/ksql", b)
		if code != 400 || !strings.Contains(body, "40000") {
			t.Errorf("body %q: %d %s", b, code, body)
		}
	}
	// Unknown paths.
	resp, err := http.Get(srv.URL + "/nope")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("unknown path: %d", resp.StatusCode)
	}
}

// INSERT INTO ... VALUES answers with no entity, as ksqlDB's /ksql does
// (rqtt insert-values.json: only the CREATE has a response).
func TestKsqlInsertValuesHasNoEntity(t *testing.T) {
	srv, eng := newTestServer(t, Options{})
	code, body := post(t, srv.URL+"/ksql", `{"ksql": "CREATE STREAM s (id INT KEY, v STRING) WITH (kafka_topic='s', value_format='JSON', partitions=1); INSERT INTO s (id, v) VALUES (1, 'a');"}`)
	var ents []map[string]any
	if err := json.Unmarshal([]byte(body), &ents); code != 200 || err != nil || len(ents) != 1 || ents[0]["@type"] != "currentStatus" {
		t.Fatalf("CREATE + INSERT: %d %v %s", code, err, body)
	}
	code, body = post(t, srv.URL+"/ksql", `{"ksql": "INSERT INTO s (id, v) VALUES (2, 'b');"}`)
	if code != 200 || strings.TrimSpace(body) != "[]" {
		t.Errorf("INSERT alone: %d %s, want 200 []", code, body)
	}
	// A failing statement after an INSERT: the error's entities hold none for it.
	code, body = post(t, srv.URL+"/ksql", `{"ksql": "INSERT INTO s (id, v) VALUES (3, 'c'); DESCRIBE nosuch;"}`)
	if code != 400 || !strings.Contains(body, `"entities":[]`) {
		t.Errorf("INSERT then error: %d %s", code, body)
	}
	// The rows were written all the same.
	off, err := eng.Log().Offsets(context.Background(), "s", 0)
	if err != nil {
		t.Fatal(err)
	}
	if n := off.End; n != 3 {
		t.Errorf("records in s: %d, want 3", n)
	}
}

func TestBodyTooLarge(t *testing.T) {
	srv, _ := newTestServer(t, Options{MaxBodyBytes: 64})
	code, body := post(t, srv.URL+"/ksql", `{"ksql": "`+strings.Repeat("x", 200)+`"}`)
	if code != 413 {
		t.Errorf("large body: %d %s", code, body)
	}
}

func TestHeadlessRefusesStatements(t *testing.T) {
	srv, _ := newTestServer(t, Options{Headless: true})
	code, body := post(t, srv.URL+"/ksql", `{"ksql": "SHOW STREAMS;"}`)
	if code != 403 || !strings.Contains(body, "headless") {
		t.Errorf("headless: %d %s", code, body)
	}
	for _, p := range []string{"/info", "/healthcheck", "/lag"} {
		resp, err := http.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("%s: %d", p, resp.StatusCode)
		}
	}
}

// FuzzKsqlBody: arbitrary request bodies get a JSON answer with a 2xx or
// 4xx status; the server keeps serving.
func FuzzKsqlBody(f *testing.F) {
	f.Add([]byte(`{"ksql": "SHOW STREAMS;"}`))
	f.Add([]byte(`{"ksql": "CREATE STREAM x (a INT) WITH (kafka_topic='x', value_format='JSON', partitions=1);"}`))
	f.Add([]byte(`{"ksql": "SELECT * FROM", "streamsProperties": {"a": 1}}`))
	f.Add([]byte("\x00\xff{"))
	srv, _ := newTestServer(f, Options{})
	f.Fuzz(func(t *testing.T, body []byte) {
		resp, err := http.Post(srv.URL+"/ksql", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Fatalf("status %d for %q: %s", resp.StatusCode, body, b)
		}
		if !json.Valid(b) {
			t.Fatalf("non-JSON answer for %q: %s", body, b)
		}
	})
}
