package sql

import (
	"path/filepath"
	"testing"
)

const benchStatement = `CREATE STREAM enriched WITH (kafka_topic='enriched', partitions=4) AS
  SELECT o.id, o.amount * 1.1 AS gross, UCASE(c.name) AS name, o.items[1]->sku,
         CASE WHEN o.amount > 100 THEN 'big' ELSE 'small' END AS size_class
  FROM orders o JOIN customers c WITHIN 1 HOUR ON o.customer_id = c.id
  WHERE o.status IN ('NEW', 'PAID') AND o.note LIKE '%gift%'
  PARTITION BY o.id
  EMIT CHANGES;`

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(benchStatement); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseInsertValues(b *testing.B) {
	const st = "INSERT INTO s (id, name, amount, tags) VALUES (1, 'alice', 12.50, ARRAY['a', 'b']);"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(st); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseQTT parses every statement of the QTT conformance cases
// (see conformance_test.go), one Parse call per statement; statements that
// do not parse are left out, so that old and new parsers do the same work.
func BenchmarkParseQTT(b *testing.B) {
	files, _ := filepath.Glob(filepath.Join(conformanceDir, "*.json"))
	if len(files) == 0 {
		b.Skipf("no conformance files in %s", conformanceDir)
	}
	var stmts []string
	for _, st := range conformanceStatements(b, files) {
		if _, err := Parse(st); err == nil {
			stmts = append(stmts, st)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, st := range stmts {
			if _, err := Parse(st); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(len(stmts)), "stmts/op")
}
