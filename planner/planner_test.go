package planner_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"

	"github.com/ksqlgo/ksql/catalog"
	"github.com/ksqlgo/ksql/exec/functions"
	"github.com/ksqlgo/ksql/planner"
	"github.com/ksqlgo/ksql/sql"
	"github.com/ksqlgo/ksql/sql/ast"
)

// TestPlanner runs the datadriven files in testdata/planner:
//
//	ddl            CREATE STREAM/TABLE statements to add to the catalog
//	plan           a CSAS/CTAS/INSERT: prints the sink schema and EXPLAIN tree
//	error          a statement that must be rejected: prints the message
//
// Regenerate expectations with: go test ./planner -rewrite
func TestPlanner(t *testing.T) {
	datadriven.Walk(t, "testdata/planner", func(t *testing.T, path string) {
		cat := catalog.New()
		funcs := functions.New()
		n := 0
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			stmts, err := sql.ParseWithTypes(d.Input, nil, cat.Type)
			if err != nil {
				return "parse error: " + err.Error() + "\n"
			}
			var out strings.Builder
			for _, st := range stmts {
				res, err := planStatement(cat, funcs, st, &n)
				switch d.Cmd {
				case "error":
					if err == nil {
						t.Fatalf("%s: expected an error, got\n%s", d.Pos, res)
					}
					fmt.Fprintf(&out, "%s\n", err)
				default:
					if err != nil {
						t.Fatalf("%s: %v", d.Pos, err)
					}
					out.WriteString(res)
				}
			}
			return out.String()
		})
	})
}

func planStatement(cat *catalog.Catalog, funcs *functions.Registry, st ast.Statement, n *int) (string, error) {
	cfg := planner.Config{DefaultKeyFormat: "KAFKA"}
	existing := func(string) (planner.SourceDefaults, error) {
		return planner.SourceDefaults{TopicExists: true, TopicPartitions: 1}, nil
	}
	switch s := st.(type) {
	case *ast.CreateSource:
		src, err := planner.PlanCreateSource(s, cat, cfg, existing)
		if err != nil {
			return "", err
		}
		cat.PutSource(src)
		return fmt.Sprintf("%s %s: %s\n", src.Kind, src.Name, src.Schema), nil
	case *ast.CreateAsSelect:
		prefix := "CSAS"
		if s.Kind == ast.Table {
			prefix = "CTAS"
		}
		id := fmt.Sprintf("%s_%s_%d", prefix, s.Name.Name, *n)
		*n++
		plan, sink, err := planner.PlanQuery(planner.QueryRequest{
			ID: id, Select: s.Query, SinkName: s.Name.Name, SinkKind: s.Kind, Props: s.Props,
			Text: s.Text(), ServiceID: "default_",
		}, cat, funcs, cfg)
		if err != nil {
			return "", err
		}
		cat.PutSource(sink)
		return describePlan(plan, sink), nil
	case *ast.InsertInto:
		target, ok := cat.Source(s.Target.Name)
		if !ok {
			return "", fmt.Errorf("%s does not exist", s.Target.Name)
		}
		id := fmt.Sprintf("INSERTQUERY_%d", *n)
		*n++
		plan, sink, err := planner.PlanQuery(planner.QueryRequest{
			ID: id, Select: s.Query, SinkName: target.Name, SinkKind: target.Kind, Props: s.Props,
			Insert: true, Existing: target, Text: s.Text(), ServiceID: "default_",
		}, cat, funcs, cfg)
		if err != nil {
			return "", err
		}
		return describePlan(plan, sink), nil
	}
	return "", fmt.Errorf("unsupported statement %T", st)
}

func describePlan(plan *planner.QueryPlan, sink *catalog.Source) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: %s\n", sink.Kind, sink.Name, sink.Schema)
	fmt.Fprintf(&b, "key format %s, value format %s", sink.KeyFormat.Name, sink.ValueFormat.Name)
	if sink.IsWindowed() {
		fmt.Fprintf(&b, ", window %s %dms", sink.Window.Type, sink.Window.SizeMs)
	}
	fmt.Fprintf(&b, ", %d stage(s)\n", len(plan.Stages))
	b.WriteString(plan.Explain.String())
	return b.String()
}
