package engine

import (
	"context"
	"strings"
	"testing"
)

// Statements rejected with ksqlDB's messages: INSERT INTO checks of
// AstSanitizer and InsertValuesExecutor, and a format that cannot
// serialize a schema described as GenericSerdeFactory describes it.
func TestRejectionMessages(t *testing.T) {
	eng, err := openEngine(t, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	ctx := context.Background()
	for _, st := range []string{
		"CREATE STREAM `input` (id INT KEY, v STRING) WITH (kafka_topic='i', value_format='JSON', partitions=1);",
		"CREATE STREAM s (id INT KEY, v STRING) WITH (kafka_topic='s', value_format='JSON', partitions=1);",
		"CREATE TABLE t (id INT PRIMARY KEY, v STRING) WITH (kafka_topic='t', value_format='JSON', partitions=1);",
	} {
		if _, err := eng.Execute(ctx, st, nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct{ stmt, want string }{
		{"\nINSERT INTO unknown SELECT * FROM s;", "Line: 2, Col: 13: Source `UNKNOWN` does not exist."},
		{"INSERT INTO t SELECT * FROM s;", "INSERT INTO can only be used to insert into a stream. T is a table."},
		{"INSERT INTO input (id, v) VALUES (1, 'a');", "Cannot insert values into an unknown stream/table: `INPUT`\nDid you mean \"input\"? Hint: wrap the source name in double quotes to make it case-sensitive."},
		{"INSERT INTO \"s\" (id, v) VALUES (1, 'a');", "Cannot insert values into an unknown stream/table: `s`\nDid you mean S? Hint: try removing double quotes from the source name."},
		{"CREATE STREAM b (k BOOLEAN KEY, v INT) WITH (kafka_topic='b', value_format='JSON', partitions=1);",
			"Key format does not support schema.\nformat: KAFKA\nschema: Persistence{columns=[`K` BOOLEAN KEY], features=[]}\nreason: The 'KAFKA' format does not support type 'BOOLEAN'"},
	} {
		_, err := eng.Execute(ctx, c.stmt, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.stmt, err, c.want)
		}
	}
}
