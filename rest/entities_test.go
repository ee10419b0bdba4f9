package rest

import (
	"encoding/json"
	"strings"
	"testing"
)

func mustEntities(t *testing.T, url, ksql string) []map[string]any {
	ents, _ := mustEntitiesBody(t, url, ksql)
	return ents
}

func mustEntitiesBody(t *testing.T, url, ksql string) ([]map[string]any, string) {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"ksql": ksql})
	code, body := post(t, url+"/ksql", string(b))
	if code != 200 {
		t.Fatalf("%s: status %d: %s", ksql, code, body)
	}
	var ents []map[string]any
	if err := json.Unmarshal([]byte(body), &ents); err != nil {
		t.Fatalf("%s: %v: %s", ksql, err, body)
	}
	return ents, body
}

// TestEntityShapes checks DESCRIBE, EXPLAIN, SHOW ... against ksqlDB's
// JSON (KsqlEntity subtypes, camelCase fields).
func TestEntityShapes(t *testing.T) {
	srv, _ := newTestServer(t, Options{})
	mustEntities(t, srv.URL, `CREATE TYPE addr AS STRUCT<street STRING, zip INT>;
		CREATE STREAM s (id INT KEY, v STRING, tags ARRAY<STRING>, m MAP<STRING, DOUBLE>, a addr, d DECIMAL(4, 2))
		WITH (kafka_topic='s', value_format='JSON', partitions=1);
		CREATE STREAM t AS SELECT id, v FROM s;`)

	ents, raw := mustEntitiesBody(t, srv.URL, "DESCRIBE s;")
	sd := ents[0]["sourceDescription"].(map[string]any)
	if ents[0]["@type"] != "sourceDescription" || sd["name"] != "S" || sd["type"] != "STREAM" || sd["topic"] != "s" ||
		sd["keyFormat"] != "KAFKA" || sd["valueFormat"] != "JSON" || sd["extended"] != false {
		t.Fatalf("sourceDescription: %v", sd)
	}
	fields := raw
	if strings.Contains(string(fields), `"ROWTIME"`) {
		t.Errorf("DESCRIBE lists the pseudo column ROWTIME (ksqlDB's does not):\n%s", fields)
	}
	for _, want := range []string{
		`{"name":"ID","schema":{"type":"INTEGER","fields":null,"memberSchema":null},"fieldType":"KEY"}`,
		`{"name":"V","schema":{"type":"STRING","fields":null,"memberSchema":null}}`,
		`{"name":"TAGS","schema":{"type":"ARRAY","fields":null,"memberSchema":{"type":"STRING","fields":null,"memberSchema":null}}}`,
		`{"name":"M","schema":{"type":"MAP","fields":null,"memberSchema":{"type":"DOUBLE","fields":null,"memberSchema":null}}}`,
		`{"name":"A","schema":{"type":"STRUCT","fields":[{"name":"STREET","schema":{"type":"STRING","fields":null,"memberSchema":null}},{"name":"ZIP","schema":{"type":"INTEGER","fields":null,"memberSchema":null}}],"memberSchema":null}}`,
		`{"name":"D","schema":{"type":"DECIMAL","fields":null,"memberSchema":null,"parameters":{"precision":4,"scale":2}}}`,
	} {
		if !strings.Contains(string(fields), want) {
			t.Errorf("fields lack %s:\n%s", want, fields)
		}
	}
	rq := sd["readQueries"].([]any)
	if len(rq) != 1 {
		t.Fatalf("readQueries: %v", sd["readQueries"])
	}
	q := rq[0].(map[string]any)
	if !strings.HasPrefix(q["id"].(string), "CSAS_T_") || q["queryType"] != "PERSISTENT" || q["sinks"].([]any)[0] != "T" ||
		q["sinkKafkaTopics"].([]any)[0] != "T" || q["queryString"] == "" {
		t.Errorf("readQueries[0]: %v", q)
	}
	if _, ok := ents[0]["warnings"].([]any); !ok || ents[0]["statementText"] != "DESCRIBE s;" {
		t.Errorf("common fields: %v", ents[0])
	}

	ents = mustEntities(t, srv.URL, "DESCRIBE s EXTENDED;")
	sd = ents[0]["sourceDescription"].(map[string]any)
	if sd["extended"] != true || !strings.Contains(sd["statistics"].(string), "consumer-total-messages:") || sd["partitions"] != 1.0 {
		t.Errorf("extended: %v", sd)
	}

	ents = mustEntities(t, srv.URL, "DESCRIBE STREAMS;")
	if ents[0]["@type"] != "source_descriptions" || len(ents[0]["sourceDescriptions"].([]any)) < 2 {
		t.Errorf("DESCRIBE STREAMS: %v", ents[0])
	}

	id := q["id"].(string)
	ents = mustEntities(t, srv.URL, "EXPLAIN "+id+";")
	qd := ents[0]["queryDescription"].(map[string]any)
	if ents[0]["@type"] != "queryDescription" || qd["id"] != id || qd["sinks"].([]any)[0] != "T" || qd["sources"].([]any)[0] != "S" ||
		qd["executionPlan"] == "" || !strings.Contains(qd["statementText"].(string), "CREATE STREAM t") || len(qd["fields"].([]any)) != 2 {
		t.Errorf("queryDescription: %v", qd)
	}
	for _, k := range []string{"ID", "SQL", "Plan", "Name", "Fields"} {
		if _, bad := qd[k]; bad {
			t.Errorf("Go field name %s in %v", k, qd)
		}
	}

	ents = mustEntities(t, srv.URL, "SHOW QUERIES;")
	qs := ents[0]["queries"].([]any)[0].(map[string]any)
	if qs["state"] != "RUNNING" || qs["statusCount"].(map[string]any)["RUNNING"] != 1.0 {
		t.Errorf("SHOW QUERIES: %v", qs)
	}

	ents, raw = mustEntitiesBody(t, srv.URL, "SHOW FUNCTIONS; DESCRIBE FUNCTION ucase; SHOW PROPERTIES; SHOW TYPES;")
	fns := raw
	if ents[0]["@type"] != "function_names" || !strings.Contains(string(fns), `{"name":"COUNT","type":"AGGREGATE","category":""}`) ||
		!strings.Contains(string(fns), `{"name":"UCASE","type":"SCALAR","category":""}`) {
		t.Errorf("function_names: %s", fns)
	}
	df := ents[1]
	dfFns, _ := json.Marshal(df["functions"])
	if df["@type"] != "describe_function" || df["name"] != "UCASE" || df["type"] != "SCALAR" ||
		!strings.Contains(string(dfFns), `"returnType":"STRING"`) || !strings.Contains(string(dfFns), `"type":"STRING"`) {
		t.Errorf("describe_function: %v %s", df, dfFns)
	}
	props := ents[2]["properties"].([]any)
	if len(props) == 0 || props[0].(map[string]any)["scope"] == nil {
		t.Errorf("properties: %v", ents[2])
	}
	types := raw
	if ents[3]["@type"] != "type_list" || !strings.Contains(string(types), `"ADDR":{"type":"STRUCT","fields":[{"name":"STREET"`) {
		t.Errorf("type_list: %s", types)
	}

	b, _ := json.Marshal(map[string]any{"ksql": "SHOW VARIABLES;", "sessionVariables": map[string]any{"who": "me", "n": 5}})
	code, body := post(t, srv.URL+"/ksql", string(b))
	if code != 200 || !strings.Contains(body, `"variables":[{"name":"n","value":"5"},{"name":"who","value":"me"}]`) {
		t.Errorf("variables: %d %s", code, body)
	}
	var created []map[string]any
	code, body = post(t, srv.URL+"/ksql", `{"ksql": "CREATE STREAM u (a INT) WITH (kafka_topic='u', value_format='JSON', partitions=1);"}`)
	if err := json.Unmarshal([]byte(body), &created); err != nil || code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	if seq, ok := created[0]["commandSequenceNumber"].(float64); !ok || seq < 1 {
		t.Errorf("commandSequenceNumber: %v", created[0])
	}
}

func TestStatementErrors(t *testing.T) {
	srv, _ := newTestServer(t, Options{})
	for _, c := range []struct {
		ksql, code, text string
	}{
		{"SELECT * FROM x EMIT CHANGES;", `"error_code":40002`, `should be issued to the websocket endpoint '/query'`},
		{"PRINT 'x';", `"error_code":40002`, `* PRINT`},
		{"DESCRIBE nope;", `"error_code":40001`, `Could not find STREAM/TABLE 'NOPE' in the Metastore`},
		{"CREATE STREM x;", `"error_code":40001`, `"@type":"statement_error"`},
	} {
		b, _ := json.Marshal(map[string]any{"ksql": c.ksql})
		code, body := post(t, srv.URL+"/ksql", string(b))
		if code != 400 || !strings.Contains(body, c.code) || !strings.Contains(body, c.text) || !strings.Contains(body, `"entities":[]`) {
			t.Errorf("%s: %d %s", c.ksql, code, body)
		}
	}
	// Statements before the failing one are in entities.
	code, body := post(t, srv.URL+"/ksql", `{"ksql": "SHOW STREAMS; DESCRIBE nope;"}`)
	if code != 400 || !strings.Contains(body, `"entities":[{"@type":"streams"`) || !strings.Contains(body, `"statementText":"DESCRIBE nope;"`) {
		t.Errorf("partial: %d %s", code, body)
	}
	// Unknown fields are ignored, as ksqlDB does; wrong types are 400.
	code, body = post(t, srv.URL+"/ksql", `{"ksql": "SHOW STREAMS;", "newField": 1}`)
	if code != 200 {
		t.Errorf("unknown field: %d %s", code, body)
	}
	code, body = post(t, srv.URL+"/ksql", `{"ksql": "SHOW STREAMS;", "streamsProperties": []}`)
	if code != 400 || !strings.Contains(body, `streamsProperties`) {
		t.Errorf("wrong type: %d %s", code, body)
	}
}

// SET, UNSET, DEFINE and UNDEFINE change only the request's session: ksqlDB
// answers them with no entity, and undefining a variable never defined
// with a warning.
func TestSessionStatementsAnswerNoEntity(t *testing.T) {
	srv, _ := newTestServer(t, Options{})
	ents := mustEntities(t, srv.URL, `SET 'auto.offset.reset'='earliest'; UNSET 'auto.offset.reset'; DEFINE x = 'y'; UNDEFINE x;`)
	if len(ents) != 0 {
		t.Errorf("session statements answered %v, want no entity", ents)
	}
	ents = mustEntities(t, srv.URL, `UNDEFINE nope;`)
	if len(ents) != 1 || ents[0]["@type"] != "warning_entity" || ents[0]["message"] != "Cannot undefine variable 'NOPE' which was never defined" && ents[0]["message"] != "Cannot undefine variable 'nope' which was never defined" {
		t.Errorf("UNDEFINE of an unknown variable: %v", ents)
	}
}
