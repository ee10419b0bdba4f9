package rest

import (
	"encoding/json"
	"testing"
)

// DESCRIBE FUNCTION of an aggregate and of a table function lists their
// overloads as ksqlDB's FunctionDescriptionList: argument names and types
// and return types, in ksqlDB's spelling.
func TestDescribeAggregateAndTableFunctions(t *testing.T) {
	srv, _ := newTestServer(t, Options{})
	type arg struct {
		Name       string `json:"name"`
		Type       string `json:"type"`
		IsVariadic bool   `json:"isVariadic"`
	}
	type fn struct {
		Arguments  []arg  `json:"arguments"`
		ReturnType string `json:"returnType"`
	}
	describe := func(name string) (string, []fn) {
		_, body := mustEntitiesBody(t, srv.URL, "DESCRIBE FUNCTION "+name+";")
		var ents []struct {
			Type      string `json:"@type"`
			Kind      string `json:"type"`
			Functions []fn   `json:"functions"`
		}
		if err := json.Unmarshal([]byte(body), &ents); err != nil || len(ents) != 1 || ents[0].Type != "describe_function" {
			t.Fatalf("%s: %v %s", name, err, body)
		}
		return ents[0].Kind, ents[0].Functions
	}
	kind, fns := describe("count")
	if kind != "AGGREGATE" || len(fns) != 1 || fns[0].ReturnType != "BIGINT" ||
		len(fns[0].Arguments) != 1 || fns[0].Arguments[0] != (arg{Name: "val1", Type: "T"}) {
		t.Errorf("COUNT: %s %+v", kind, fns)
	}
	kind, fns = describe("EXPLODE")
	if kind != "TABLE" || len(fns) != 2 ||
		fns[0].ReturnType != "T" || len(fns[0].Arguments) != 1 || fns[0].Arguments[0] != (arg{Name: "list", Type: "ARRAY<T>"}) ||
		fns[1].ReturnType != "DECIMAL" || fns[1].Arguments[0] != (arg{Name: "input", Type: "ARRAY<DECIMAL>"}) {
		t.Errorf("EXPLODE: %s %+v", kind, fns)
	}
	_, fns = describe("TOPK")
	if len(fns) == 0 || len(fns[0].Arguments) != 3 || fns[0].Arguments[1] != (arg{Name: "val2", Type: "ANY", IsVariadic: true}) ||
		fns[0].Arguments[2] != (arg{Name: "k", Type: "INT"}) {
		t.Errorf("TOPK: %+v", fns)
	}
	_, fns = describe("SUM")
	var returns []string
	for _, f := range fns {
		returns = append(returns, f.ReturnType)
	}
	if len(fns) != 4 || returns[0] != "DECIMAL" || returns[3] != "INT" {
		t.Errorf("SUM returns %v", returns)
	}
}
