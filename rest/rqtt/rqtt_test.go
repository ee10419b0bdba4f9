package rqtt

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ksqlgo/ksql/engine/qtt"
)

// The runner is checked against a canned server that answers as ksqlDB
// does for real cases of the suite: those pass; and each matching rule
// is shown to reject a wrong answer.

const suiteDir = "../../../shared/conformance/rqtt"

// loadCase reads one case of ksqlDB's suite as it is.
func loadCase(t *testing.T, fileName, name string) Case {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(suiteDir, fileName))
	if os.IsNotExist(err) {
		t.Skipf("%s not found (the tests read ../shared/conformance beside the checkout)", suiteDir)
	}
	if err != nil {
		t.Fatal(err)
	}
	var f file
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	for _, c := range f.Tests {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("%s has no case %q", fileName, name)
	return Case{}
}

// fakeKsqlDB answers /ksql with one currentStatus entity per statement
// (or with ksqlErr), and /query with a canned body per SQL text: JSON
// lines as ksqlDB's /query streams them. A push query's body is sent in
// two parts: the header, then, once the runner produced its inputs, the
// rest.
type fakeKsqlDB struct {
	srv      *httptest.Server
	queries  map[string][]string
	qErr     map[string]cannedError
	ksqlErr  *cannedError
	mu       sync.Mutex
	events   []string
	produced chan struct{}
	once     sync.Once
}

type cannedError struct {
	status int
	body   string
}

func newFake(t *testing.T) *fakeKsqlDB {
	f := &fakeKsqlDB{queries: map[string][]string{}, qErr: map[string]cannedError{}, produced: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /ksql", f.ksql)
	mux.HandleFunc("POST /query", f.query)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeKsqlDB) event(e string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events = append(f.events, e)
}

func readRequest(r *http.Request) (string, map[string]any) {
	var req struct {
		KSQL  string         `json:"ksql"`
		Props map[string]any `json:"streamsProperties"`
	}
	b, _ := io.ReadAll(r.Body)
	_ = json.Unmarshal(b, &req)
	return req.KSQL, req.Props
}

func (f *fakeKsqlDB) ksql(w http.ResponseWriter, r *http.Request) {
	sql, _ := readRequest(r)
	f.event("ksql")
	w.Header().Set("Content-Type", "application/json")
	if e := f.ksqlErr; e != nil {
		w.WriteHeader(e.status)
		io.WriteString(w, e.body)
		return
	}
	var ents []string
	for i, stmt := range strings.Split(sql, "\n") {
		s, _ := json.Marshal(stmt)
		ents = append(ents, fmt.Sprintf(`{"@type":"currentStatus","statementText":%s,"commandId":"stream/X/create","commandStatus":{"status":"SUCCESS","message":"Stream created"},"commandSequenceNumber":%d,"warnings":[]}`, s, i+2))
	}
	io.WriteString(w, "["+strings.Join(ents, ",")+"]")
}

func (f *fakeKsqlDB) query(w http.ResponseWriter, r *http.Request) {
	sql, props := readRequest(r)
	f.event(fmt.Sprintf("query %v", props))
	if e, ok := f.qErr[sql]; ok {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(e.status)
		io.WriteString(w, e.body)
		return
	}
	lines, ok := f.queries[sql]
	if !ok {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	fl := w.(http.Flusher)
	for i, l := range lines {
		sep := ",\n"
		if i == 0 {
			l = "[" + l
		}
		if i == len(lines)-1 {
			sep = "]\n"
		}
		header := i == 0 && strings.Contains(sql, "EMIT CHANGES")
		if header {
			// Logged before the client can see it (and produce).
			f.event("header sent")
		}
		io.WriteString(w, l+sep)
		fl.Flush()
		if header {
			select {
			case <-f.produced:
			case <-time.After(5 * time.Second):
				return
			}
		}
	}
}

// The Server side of the fake.
func (f *fakeKsqlDB) URL() string { return f.srv.URL }
func (f *fakeKsqlDB) CreateTopic(_ context.Context, name string, partitions int32) error {
	f.event(fmt.Sprintf("topic %s %d", name, partitions))
	return nil
}
func (f *fakeKsqlDB) Produce(_ context.Context, rec qtt.RecordNode) error {
	f.event("produce " + string(rec.Key))
	f.once.Do(func() { close(f.produced) })
	return nil
}
func (f *fakeKsqlDB) WaitForPersistentQueries(context.Context) error { return nil }
func (f *fakeKsqlDB) VerifyOutput(context.Context, string, []qtt.RecordNode) error {
	return nil
}
func (f *fakeKsqlDB) Close() error { return nil }

func (f *fakeKsqlDB) run(c Case) qtt.Result {
	return RunCase(context.Background(), c, Options{QueryTimeout: 10 * time.Second}, func(context.Context, Options) (Server, error) {
		return f, nil
	})
}

const (
	selectStarFile = "pull-queries-against-materialized-aggregates.json"
	selectStarName = "non-windowed - select star and ROWTIME"
	selectStarSQL  = "SELECT ID, COUNT, ROWTIME FROM AGGREGATE WHERE ID='10';"

	hoppingName = "hopping windowed single key lookup without window bounds"
	hoppingSQL  = "SELECT ID, WINDOWSTART, WINDOWEND, ROWTIME, COUNT FROM AGGREGATE WHERE ID='10';"

	pushFile = "scalable-push-queries.json"
	pushName = "only value column"
	pushSQL  = "SELECT ID FROM INPUT EMIT CHANGES LIMIT 2;"

	joinName = "fail on unsupported query feature: join"
	joinSQL  = "SELECT * FROM AGGREGATE A JOIN INPUT I ON A.ID=I.ID WHERE A.ID='10';"
	joinMsg  = "Pull queries don't support JOIN clauses. See https://cnfl.io/queries for more info.\nAdd EMIT CHANGES if you intended to issue a push query."
)

// ksqlDB's answers to the four cases.
func selectStarAnswer() []string {
	return []string{
		`{"header":{"queryId":"query_1651","schema":"` + "`ID` STRING KEY, `COUNT` BIGINT, `ROWTIME` BIGINT" + `"}}`,
		`{"row":{"columns":["10",1,12365]}}`,
	}
}

func hoppingAnswer() []string {
	out := []string{`{"header":{"queryId":"query_1652","schema":"` + "`ID` STRING KEY, `WINDOWSTART` BIGINT KEY, `WINDOWEND` BIGINT KEY, `ROWTIME` BIGINT, `COUNT` BIGINT" + `"}}`}
	for _, r := range []string{
		`"10",7000,11000,10345,1`, `"10",8000,12000,10345,1`, `"10",9000,13000,10345,1`,
		`"10",10000,14000,13345,2`, `"10",11000,15000,13345,1`, `"10",12000,16000,13345,1`, `"10",13000,17000,13345,1`,
	} {
		out = append(out, `{"row":{"columns":[`+r+`]}}`)
	}
	return out
}

func pushAnswer() []string {
	return []string{
		`{"header":{"queryId":"SCALABLE_PUSH_QUERY_7c1a","schema":"` + "`ID` INTEGER" + `"}}`,
		`{"row":{"columns":[100]}}`,
		`{"row":{"columns":[101]}}`,
		`{"finalMessage":"Limit Reached"}`,
	}
}

func joinError() cannedError {
	msg, _ := json.Marshal(joinMsg)
	stmt, _ := json.Marshal(joinSQL)
	return cannedError{400, `{"@type":"statement_error","error_code":40001,"message":` + string(msg) + `,"statementText":` + string(stmt) + `,"entities":[]}`}
}

func TestCannedKsqlDBAnswersPass(t *testing.T) {
	t.Run("pull query", func(t *testing.T) {
		f := newFake(t)
		f.queries[selectStarSQL] = selectStarAnswer()
		if r := f.run(loadCase(t, selectStarFile, selectStarName)); r.Outcome != qtt.Pass {
			t.Fatalf("%s: %s", r.Outcome, r.Reason)
		}
	})
	t.Run("pull query with many rows", func(t *testing.T) {
		f := newFake(t)
		f.queries[hoppingSQL] = hoppingAnswer()
		if r := f.run(loadCase(t, selectStarFile, hoppingName)); r.Outcome != qtt.Pass {
			t.Fatalf("%s: %s", r.Outcome, r.Reason)
		}
	})
	t.Run("push query waiting for inputs", func(t *testing.T) {
		f := newFake(t)
		f.queries[pushSQL] = pushAnswer()
		if r := f.run(loadCase(t, pushFile, pushName)); r.Outcome != qtt.Pass {
			t.Fatalf("%s: %s", r.Outcome, r.Reason)
		}
		// Topics first, then statements; inputs only once the push query
		// sent its header; the case's properties on every request.
		f.mu.Lock()
		got := strings.Join(f.events, "; ")
		f.mu.Unlock()
		want := `topic test_topic 1; ksql; query map[auto.offset.reset:latest]; header sent; produce "11"; produce "12"`
		if got != want {
			t.Errorf("events:\n got %s\nwant %s", got, want)
		}
	})
	t.Run("expected error", func(t *testing.T) {
		f := newFake(t)
		f.qErr[joinSQL] = joinError()
		r := f.run(loadCase(t, selectStarFile, joinName))
		if r.Outcome != qtt.Pass || !r.MessageMatched {
			t.Fatalf("%s (matched %v): %s", r.Outcome, r.MessageMatched, r.Reason)
		}
	})
}

// Each rule of ksqlDB's matching rejects what it should.
func TestWrongAnswersFail(t *testing.T) {
	replace := func(lines []string, i int, s string) []string {
		out := append([]string(nil), lines...)
		out[i] = s
		return out
	}
	withExpectedAdmin := func(c Case, i int, admin string) Case {
		c.Responses = append([]json.RawMessage(nil), c.Responses...)
		c.Responses[i] = json.RawMessage(`{"admin":` + admin + `}`)
		return c
	}
	cases := []struct {
		name string
		file string
		cas  string
		// setup gives the fake its answers and may change the case.
		setup func(f *fakeKsqlDB, c *Case)
		want  string // in the failure reason
	}{
		{"missing subset key in an admin entity", selectStarFile, selectStarName, func(f *fakeKsqlDB, c *Case) {
			f.queries[selectStarSQL] = selectStarAnswer()
			*c = withExpectedAdmin(*c, 0, `{"@type":"currentStatus","commandStatus":{"status":"SUCCESS","queryId":"CTAS_X_0"}}`)
		}, `Response mismatch at responses[0]->admin->commandStatus: expected key "queryId"`},
		{"wrong value under a subset key", selectStarFile, selectStarName, func(f *fakeKsqlDB, c *Case) {
			f.queries[selectStarSQL] = selectStarAnswer()
			*c = withExpectedAdmin(*c, 1, `{"@type":"currentStatus","commandStatus":{"message":"Table created"}}`)
		}, `Response mismatch at responses[1]->admin->commandStatus->message: expected "Table created", got "Stream created"`},
		{"unknown entity type", selectStarFile, selectStarName, func(f *fakeKsqlDB, c *Case) {
			f.queries[selectStarSQL] = selectStarAnswer()
			f.ksqlErr = &cannedError{200, `[{"@type":"currentStatus"},{"@type":"streamCreated"}]`}
		}, `unknown @type "streamCreated"`},
		{"row mismatch", selectStarFile, selectStarName, func(f *fakeKsqlDB, c *Case) {
			f.queries[selectStarSQL] = replace(selectStarAnswer(), 1, `{"row":{"columns":["10",2,12365]}}`)
		}, `unexpected row ["10",2,12365] (expected ["10",1,12365])`},
		{"integer against decimal", selectStarFile, selectStarName, func(f *fakeKsqlDB, c *Case) {
			f.queries[selectStarSQL] = replace(selectStarAnswer(), 1, `{"row":{"columns":["10",1.0,12365]}}`)
		}, `unexpected row`},
		{"header schema", selectStarFile, selectStarName, func(f *fakeKsqlDB, c *Case) {
			f.queries[selectStarSQL] = replace(selectStarAnswer(), 0, `{"header":{"queryId":"q","schema":"`+"`ID` STRING, `COUNT` BIGINT, `ROWTIME` BIGINT"+`"}}`)
		}, `Response mismatch at responses[2]->query[0]->header->schema`},
		{"header without queryId", selectStarFile, selectStarName, func(f *fakeKsqlDB, c *Case) {
			f.queries[selectStarSQL] = replace(selectStarAnswer(), 0, `{"header":{"schema":"`+"`ID` STRING KEY, `COUNT` BIGINT, `ROWTIME` BIGINT"+`"}}`)
		}, `the header has no queryId`},
		{"extra row", selectStarFile, selectStarName, func(f *fakeKsqlDB, c *Case) {
			f.queries[selectStarSQL] = append(selectStarAnswer(), `{"row":{"columns":["10",1,12365]}}`)
		}, `row count mismatch: expected 2, got 3`},
		{"duplicate instead of distinct rows", selectStarFile, hoppingName, func(f *fakeKsqlDB, c *Case) {
			f.queries[hoppingSQL] = replace(hoppingAnswer(), 2, hoppingAnswer()[1])
		}, `Uneven occurrence of expected vs actual for row ["10",7000,11000,10345,1]: expected 1, got 2`},
		{"order verified", selectStarFile, hoppingName, func(f *fakeKsqlDB, c *Case) {
			f.queries[hoppingSQL] = reverseOf(hoppingAnswer())
			c.OutputConditions = &outputConditions{VerifyOrder: true}
		}, `Response mismatch at responses[2]->query[1]->row->columns: expected ["10",7000,11000,10345,1], got ["10",13000,17000,13345,1]`},
		{"wrong final message", pushFile, pushName, func(f *fakeKsqlDB, c *Case) {
			f.queries[pushSQL] = replace(pushAnswer(), 3, `{"finalMessage":"Query Completed"}`)
		}, `Response mismatch at responses[2]->query[3]->finalMessage: expected "Limit Reached", got "Query Completed"`},
		{"missing final message", pushFile, pushName, func(f *fakeKsqlDB, c *Case) {
			f.queries[pushSQL] = pushAnswer()[:3]
		}, `row count mismatch: expected 4, got 3`},
		{"STARTS_WITH", pushFile, pushName, func(f *fakeKsqlDB, c *Case) {
			f.queries[pushSQL] = replace(pushAnswer(), 0, `{"header":{"queryId":"transient_INPUT_1","schema":"`+"`ID` INTEGER"+`"}}`)
		}, `responses[2]->query[0]->header->queryId: expected a string starting with "SCALABLE_PUSH_QUERY", got "transient_INPUT_1"`},
		{"expected error: message", selectStarFile, joinName, func(f *fakeKsqlDB, c *Case) {
			e := joinError()
			e.body = strings.Replace(e.body, "JOIN clauses", "joins", 1)
			f.qErr[joinSQL] = e
		}, `expected a message containing "Pull queries don't support JOIN clauses."`},
		{"expected error: status", selectStarFile, joinName, func(f *fakeKsqlDB, c *Case) {
			e := joinError()
			e.status = 500
			f.qErr[joinSQL] = e
		}, `expected status 400, got POST /query: 500`},
		{"expected error: class", selectStarFile, joinName, func(f *fakeKsqlDB, c *Case) {
			e := joinError()
			e.body = strings.Replace(e.body, "statement_error", "generic_error", 1)
			f.qErr[joinSQL] = e
		}, `expected a statement error`},
		{"expected error: statement text", selectStarFile, joinName, func(f *fakeKsqlDB, c *Case) {
			e := joinError()
			e.body = strings.Replace(e.body, `"statementText":"SELECT`, `"statementText":"select`, 1)
			f.qErr[joinSQL] = e
		}, `does not contain the last statement`},
		{"expected error: an error without ksqlDB's shape", selectStarFile, joinName, func(f *fakeKsqlDB, c *Case) {
			f.qErr[joinSQL] = cannedError{400, `{"error":"` + "Pull queries don't support JOIN clauses." + `"}`}
		}, `got POST /query: 400 generic_error "The server returned an unexpected error: Bad Request"`},
		{"expected error: the query answers", selectStarFile, joinName, func(f *fakeKsqlDB, c *Case) {
			f.queries[joinSQL] = selectStarAnswer()
		}, `expected the last statement to return an error`},
		{"an unexpected error", selectStarFile, selectStarName, func(f *fakeKsqlDB, c *Case) {
			f.ksqlErr = &cannedError{400, `{"@type":"statement_error","error_code":40001,"message":"Invalid Syntax","statementText":"CREATE STREAM INPUT"}`}
		}, `server failed to execute statement: POST /ksql: 400 statement_error "Invalid Syntax" (statement: CREATE STREAM INPUT)`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			c := loadCase(t, tc.file, tc.cas)
			tc.setup(f, &c)
			r := f.run(c)
			if r.Outcome != qtt.Fail || !strings.Contains(r.Reason, tc.want) {
				t.Fatalf("%s: %s\nwant a failure containing %s", r.Outcome, r.Reason, tc.want)
			}
		})
	}
}

// Without outputConditions.verifyOrder, rows are a multiset.
func TestRowOrderIgnoredUnlessVerified(t *testing.T) {
	f := newFake(t)
	f.queries[hoppingSQL] = reverseOf(hoppingAnswer())
	if r := f.run(loadCase(t, selectStarFile, hoppingName)); r.Outcome != qtt.Pass {
		t.Fatalf("%s: %s", r.Outcome, r.Reason)
	}
}

func reverseOf(lines []string) []string {
	out := []string{lines[0]}
	for i := len(lines) - 1; i >= 1; i-- {
		out = append(out, lines[i])
	}
	return out
}

func TestSkips(t *testing.T) {
	for _, tc := range []struct {
		c    Case
		want string
	}{
		{Case{Name: "a", Statements: []string{"CREATE STREAM S (A INT) WITH (kafka_topic='t', value_format='AVRO');"}}, "needs a schema registry (AVRO)"},
		{Case{Name: "b", Statements: []string{"x"}, TestPullWithProtoFormat: true}, "PROTOBUF"},
		{Case{Name: "c", Statements: []string{"x"}, Enabled: new(bool)}, "disabled"},
	} {
		r := RunCase(context.Background(), tc.c, Options{}, nil)
		if r.Outcome != qtt.Skip || !strings.Contains(r.Reason, tc.want) {
			t.Errorf("%s: %s %s, want SKIP with %q", tc.c.Name, r.Outcome, r.Reason, tc.want)
		}
	}
}
