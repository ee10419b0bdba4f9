package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ksqlgo/ksql/rest/client"
)

func TestSplitter(t *testing.T) {
	cases := []struct {
		lines []string
		want  []string
		rest  bool
	}{
		{[]string{"SHOW STREAMS;"}, []string{"SHOW STREAMS;"}, false},
		{[]string{"SELECT *", "FROM s", "EMIT CHANGES;"}, []string{"SELECT *\nFROM s\nEMIT CHANGES;"}, false},
		{[]string{"SET 'a'='b'; SHOW TABLES;  "}, []string{"SET 'a'='b';", "SHOW TABLES;"}, false},
		{[]string{"INSERT INTO s VALUES ('a;b', 'it''s;');"}, []string{"INSERT INTO s VALUES ('a;b', 'it''s;');"}, false},
		{[]string{"INSERT INTO s VALUES ('multi", "line;');"}, []string{"INSERT INTO s VALUES ('multi\nline;');"}, false},
		{[]string{"SELECT `a;b`, \"c;d\" FROM s; -- done; really", "SHOW TOPICS;"}, []string{"SELECT `a;b`, \"c;d\" FROM s;", "SHOW TOPICS;"}, false},
		{[]string{"/* a; comment", "still; */ SHOW STREAMS;"}, []string{"/* a; comment\nstill; */ SHOW STREAMS;"}, false},
		{[]string{"-- only a comment;", ";", "  "}, nil, false},
		{[]string{"SELECT * FROM s"}, nil, true},
		{[]string{"SELECT 'unclosed;"}, nil, true},
	}
	for _, c := range cases {
		var s Splitter
		var got []string
		for _, l := range c.lines {
			got = append(got, s.Feed(l)...)
		}
		if strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("%q: got %q, want %q", c.lines, got, c.want)
		}
		if s.Pending() != c.rest {
			t.Errorf("%q: pending = %v", c.lines, s.Pending())
		}
	}
	stmts, rest := SplitStatements("CREATE STREAM s (a INT)\n  WITH (kafka_topic='s');\r\nSHOW STREAMS")
	if len(stmts) != 1 || rest != "SHOW STREAMS" {
		t.Errorf("SplitStatements: %q %q", stmts, rest)
	}
}

func TestTokens(t *testing.T) {
	toks := tokens("-- c\nSET  'auto.offset.reset' = 'it''s';")
	if len(toks) != 5 || !toks[0].is("set") || toks[1].text != "auto.offset.reset" || toks[1].kind != '\'' || toks[2].text != "=" || toks[3].text != "it's" {
		t.Errorf("tokens %+v", toks)
	}
}

// Expected texts are ksqlDB's (TabularRowTest, Table.java).
func TestBoxedRow(t *testing.T) {
	if got := BoxedRow([]string{"foo", "bar"}, true, 20, 0, false); got != "+--------+--------+\n|foo     |bar     |\n+--------+--------+" {
		t.Errorf("header:\n%s", got)
	}
	if got := BoxedRow([]string{"1", "a"}, false, 20, 0, false); got != "|1       |a       |" {
		t.Errorf("row:\n%s", got)
	}
	// Wrapping: a long value continues on the next line.
	if got := BoxedRow([]string{"foo", "1234567890abc"}, false, 20, 0, true); got != "|foo     |12345678|\n|        |90abc   |" {
		t.Errorf("wrapped:\n%s", got)
	}
	// Without wrapping it is clipped with "...".
	if got := BoxedRow([]string{"foo", "1234567890abc"}, false, 20, 0, false); got != "|foo     |12345...|" {
		t.Errorf("clipped:\n%s", got)
	}
	// Cells never get narrower than 5; a configured width wins.
	if got := BoxedRow([]string{"a", "b", "c"}, false, 6, 0, false); got != "|a    |b    |c    |" {
		t.Errorf("min width:\n%s", got)
	}
	if got := BoxedRow([]string{"a"}, false, 80, 3, false); got != "|a  |" {
		t.Errorf("configured width:\n%s", got)
	}
}

func TestRowValues(t *testing.T) {
	got := RowValues(client.Row{Values: []any{"k", nil, json.Number("10"), []any{json.Number("1"), "x"}, map[string]any{"B": true, "A": nil}}})
	want := []string{"k", "null", "10", "[1, x]", "{A=null, B=true}"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got %q", got)
	}
	got = RowValues(client.Row{Values: []any{"k", nil}, Tombstone: true})
	if got[1] != "<TOMBSTONE>" {
		t.Errorf("tombstone %q", got)
	}
}

func TestTable(t *testing.T) {
	var b bytes.Buffer
	Table{Headers: []string{"Message"}, Rows: [][]string{{"Stream created"}}}.Print(&b, 80)
	if want := " Message        \n----------------\n Stream created \n----------------\n"; b.String() != want {
		t.Errorf("got\n%q\nwant\n%q", b.String(), want)
	}
	b.Reset()
	Table{Headers: []string{"Field", "Type"}, Rows: [][]string{{"ID", "INTEGER          (key)"}}, Footer: []string{"end"}}.Print(&b, 10)
	if want := " Field | Type                   \n----------\n ID    | INTEGER          (key) \n----------\nend\n"; b.String() != want {
		t.Errorf("got\n%q\nwant\n%q", b.String(), want)
	}
}

func decodeEntities(t *testing.T, s string) []client.Entity {
	t.Helper()
	var ents []client.Entity
	if err := json.Unmarshal([]byte(s), &ents); err != nil {
		t.Fatal(err)
	}
	return ents
}

func TestPrintEntities(t *testing.T) {
	ents := decodeEntities(t, `[
{"@type":"streams","statementText":"SHOW STREAMS;","streams":[{"type":"STREAM","name":"S","topic":"s","keyFormat":"KAFKA","valueFormat":"JSON","isWindowed":false}],"warnings":[]},
{"@type":"sourceDescription","statementText":"DESCRIBE T;","sourceDescription":{"name":"T","type":"TABLE","extended":false,"fields":[{"name":"ID","schema":{"type":"STRING"},"type":"KEY"},{"name":"N","schema":{"type":"BIGINT"}}]},"warnings":[{"message":"careful"}]},
{"@type":"queries","statementText":"SHOW QUERIES;","queries":[{"queryString":"CREATE TABLE T AS\n  SELECT * FROM S;","sinks":["T"],"sinkKafkaTopics":["T"],"id":"CTAS_T_1","statusCount":{"RUNNING":1},"queryType":"PERSISTENT","state":"RUNNING"}],"warnings":[]}]`)
	var b bytes.Buffer
	PrintEntities(&b, ents, 200)
	want := "\nSHOW STREAMS;\n" +
		" Stream Name | Kafka Topic | Key Format | Value Format | Windowed \n" +
		"------------------------------------------------------------------\n" +
		" S           | s           | KAFKA      | JSON         | false    \n" +
		"------------------------------------------------------------------\n" +
		"\nDESCRIBE T;\n" +
		"Name                 : T\n" +
		" Field | Type                           \n" +
		"----------------------------------------\n" +
		" ID    | VARCHAR(STRING)  (primary key) \n" +
		" N     | BIGINT                         \n" +
		"----------------------------------------\n" +
		"For runtime statistics and query details run: DESCRIBE <Stream,Table> EXTENDED;\n" +
		"WARNING: careful\n" +
		"\nSHOW QUERIES;\n" +
		" Query ID | Query Type | Status    | Sink Name | Sink Kafka Topic | Query String                       \n" +
		"-------------------------------------------------------------------------------------------------------\n" +
		" CTAS_T_1 | PERSISTENT | RUNNING:1 | T         | T                | CREATE TABLE T AS SELECT * FROM S; \n" +
		"-------------------------------------------------------------------------------------------------------\n" +
		"For detailed information on a Query run: EXPLAIN <Query ID>;\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

// fakeServer answers like ksqlDB: /ksql echoes the request it got as a
// currentStatus message, /is_valid_property knows one property, /query
// streams two rows.
func fakeServer(t *testing.T) (*client.Client, *[]client.Request) {
	t.Helper()
	var reqs []client.Request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/ksql" || r.URL.Path == "/query":
			var req client.Request
			_ = json.NewDecoder(r.Body).Decode(&req)
			if !strings.HasPrefix(req.KSQL, "SHOW") { // not the completion's refreshes
				reqs = append(reqs, req)
			}
			if r.URL.Path == "/query" && strings.HasPrefix(req.KSQL, "PRINT nosuch") {
				w.WriteHeader(400)
				io.WriteString(w, `{"@type":"statement_error","error_code":40001,"message":"Could not find topic 'nosuch', or the KSQL user does not have permissions to list the topic. Topic names are case-sensitive.","statementText":"PRINT nosuch;","entities":[]}`)
				return
			}
			if r.URL.Path == "/query" && strings.HasPrefix(req.KSQL, "PRINT") {
				// ksqlDB answers PRINT with text lines, empty ones while idle.
				w.Header().Set("Content-Type", "text/plain")
				io.WriteString(w, "Key format: KAFKA_INT or KAFKA_STRING\nValue format: JSON or KAFKA_STRING\n\n"+
					`rowtime: 2026/12/06 21:19:52.686 Z, key: 1, value: {"NAME":"ann"}, partition: 0`+"\n")
				return
			}
			if r.URL.Path == "/query" {
				io.WriteString(w, "[{\"header\":{\"queryId\":\"q1\",\"schema\":\"`ID` INTEGER, `V` STRING\"}},\n{\"row\":{\"columns\":[1,\"a\"]}},\n{\"row\":{\"columns\":[2,null],\"tombstone\":true}},\n{\"finalMessage\":\"Limit Reached\"}]")
				return
			}
			if strings.HasPrefix(req.KSQL, "SHOW") {
				io.WriteString(w, `[{"@type":"streams","statementText":"SHOW STREAMS;","streams":[{"name":"PAGEVIEWS"}]}]`)
				return
			}
			io.WriteString(w, `[{"@type":"currentStatus","statementText":"x","commandStatus":{"status":"SUCCESS","message":"done"}}]`)
		case r.URL.Path == "/is_valid_property/auto.offset.reset":
			io.WriteString(w, "true")
		case strings.HasPrefix(r.URL.Path, "/is_valid_property/"):
			w.WriteHeader(400)
			io.WriteString(w, `{"@type":"generic_error","error_code":40000,"message":"Not recognizable as ksql, streams, consumer, or producer property: 'bogus'"}`)
		case r.URL.Path == "/info":
			io.WriteString(w, `{"KsqlServerInfo":{"version":"7.9.0","serverStatus":"RUNNING"}}`)
		}
	}))
	t.Cleanup(srv.Close)
	cl, err := client.New(srv.URL, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return cl, &reqs
}

func TestLocalCommands(t *testing.T) {
	cl, reqs := fakeServer(t)
	var out bytes.Buffer
	sh := New(Config{Client: cl, Out: &out, Width: func() int { return 20 }})
	ctx := context.Background()
	script := filepath.Join(t.TempDir(), "s.sql")
	os.WriteFile(script, []byte("CREATE STREAM X (A INT) WITH (kafka_topic='x');\n"), 0o644)
	steps := []struct{ in, want string }{
		{"SET 'auto.offset.reset' = 'earliest';", "Successfully changed local property 'auto.offset.reset' to 'earliest'. Use the UNSET command to revert your change.\n"},
		{"SET 'auto.offset.reset'='latest';", "Successfully changed local property 'auto.offset.reset' from 'earliest' to 'latest'.\n"},
		{"SET 'bogus'='1';", "Not recognizable as ksql, streams, consumer, or producer property: 'bogus'\n"},
		{"DEFINE who = 'me';", ""},
		{"SHOW VARIABLES;", "\n Variable Name | Value \n--------------------\n who           | me    \n--------------------\n"},
		{"UNDEFINE nobody;", "Cannot undefine variable 'nobody' which was never defined.\n"},
		{"CREATE STREAM S (A INT) WITH (kafka_topic='s');", "\n Message \n---------\n done    \n---------\n"},
		{"SELECT * FROM S EMIT CHANGES LIMIT 2;", "Press CTRL-C to interrupt\n+--------+--------+\n|ID      |V       |\n+--------+--------+\n|1       |a       |\n|2       |<TOMBSTONE>\n|        |        |\nLimit Reached\nQuery terminated\n"},
		{"UNSET 'auto.offset.reset';", "Successfully unset local property 'auto.offset.reset' (value was 'latest').\n"},
		{"UNSET 'auto.offset.reset';", "Cannot unset local property 'auto.offset.reset' which was never set in the first place\n"},
		{"RUN SCRIPT '" + script + "';", "\n Message \n---------\n done    \n---------\n"},
		{"output JSON", "Output format set to JSON\n"},
	}
	// The tombstone cell is longer than 8: it wraps.
	steps[7].want = "Press CTRL-C to interrupt\n+--------+--------+\n|ID      |V       |\n+--------+--------+\n|1       |a       |\n|2       |<TOMBSTO|\n|        |NE>     |\nLimit Reached\nQuery terminated\n"
	for _, s := range steps {
		out.Reset()
		_ = sh.Execute(ctx, s.in)
		if out.String() != s.want {
			t.Errorf("%s:\ngot  %q\nwant %q", s.in, out.String(), s.want)
		}
	}
	// Properties and variables went with the statements that followed.
	create := (*reqs)[0]
	if create.StreamsProperties["auto.offset.reset"] != "latest" || create.SessionVariables["who"] != "me" {
		t.Errorf("CREATE sent %+v", create)
	}
	if q := (*reqs)[1]; q.KSQL != "SELECT * FROM S EMIT CHANGES LIMIT 2;" || q.StreamsProperties["auto.offset.reset"] != "latest" {
		t.Errorf("query sent %+v", q)
	}
	if last := (*reqs)[len(*reqs)-1]; last.StreamsProperties != nil || !strings.Contains(last.KSQL, "CREATE STREAM X") {
		t.Errorf("after UNSET, RUN SCRIPT sent %+v", last)
	}
	if err := sh.Execute(ctx, "exit"); err != ErrExit {
		t.Errorf("exit: %v", err)
	}
}

func TestComplete(t *testing.T) {
	got := complete("pag", []string{"PAGEVIEWS", "USERS"})
	if len(got) != 1 || string(got[0]) != "EVIEWS " {
		t.Errorf("names: %q", got)
	}
	got = complete("sel", nil)
	if len(got) != 1 || string(got[0]) != "ect " {
		t.Errorf("lower-case keyword: %q", got)
	}
	got = complete("EMI", nil)
	if len(got) != 1 || string(got[0]) != "T " {
		t.Errorf("upper-case keyword: %q", got)
	}
}

func TestParseArgs(t *testing.T) {
	o, err := ParseArgs([]string{"-u", "fred", "http://h:1", "--output", "json", "-d", "a=b", "-e", "SHOW STREAMS;"})
	if err != nil {
		t.Fatal(err)
	}
	if o.Server != "http://h:1" || !o.ServerGiven || o.User != "fred" || o.Output != JSON || o.Defines["a"] != "b" || o.Execute != "SHOW STREAMS;" {
		t.Errorf("%+v", o)
	}
	o, err = ParseArgs(nil)
	if err != nil || o.Server != DefaultServer || o.ServerGiven {
		t.Errorf("defaults %+v %v", o, err)
	}
	if _, err := ParseArgs([]string{"--output", "XML"}); err == nil {
		t.Error("accepted --output XML")
	}
}

// PRINT prints the server's text lines, as ksqlDB's CLI, then "Topic
// printing ceased"; a refused PRINT prints the error's message.
func TestPrintTopic(t *testing.T) {
	cl, reqs := fakeServer(t)
	var out bytes.Buffer
	sh := New(Config{Client: cl, Out: &out, Width: func() int { return 20 }})
	ctx := context.Background()
	if err := sh.Execute(ctx, "PRINT riders FROM BEGINNING LIMIT 1;"); err != nil {
		t.Fatal(err)
	}
	want := "Press CTRL-C to interrupt\nKey format: KAFKA_INT or KAFKA_STRING\nValue format: JSON or KAFKA_STRING\n" +
		`rowtime: 2026/12/06 21:19:52.686 Z, key: 1, value: {"NAME":"ann"}, partition: 0` + "\nTopic printing ceased\n"
	if out.String() != want {
		t.Errorf("PRINT:\ngot  %q\nwant %q", out.String(), want)
	}
	if q := (*reqs)[0]; q.KSQL != "PRINT riders FROM BEGINNING LIMIT 1;" {
		t.Errorf("sent %+v", q)
	}
	out.Reset()
	if err := sh.Execute(ctx, "PRINT nosuch;"); err == nil {
		t.Error("PRINT of a missing topic succeeded")
	}
	if want := "Could not find topic 'nosuch', or the KSQL user does not have permissions to list the topic. Topic names are case-sensitive.\n"; out.String() != want {
		t.Errorf("PRINT nosuch:\ngot  %q\nwant %q", out.String(), want)
	}
}
