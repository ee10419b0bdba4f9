package qtt

import (
	"context"
	"strings"
	"testing"
)

// The runner must pass what matches and fail what does not: each case in
// testdata/sample.json says in its name which it must do.
func TestRunnerVerdicts(t *testing.T) {
	var results []Result
	err := RunFile(context.Background(), "testdata/sample.json", Options{TempDir: t.TempDir()}, func(r Result) {
		results = append(results, r)
	})
	if err != nil {
		t.Fatal(err)
	}
	var sum Summary
	for _, r := range results {
		sum.Add(r)
		var want Outcome
		switch {
		case strings.HasPrefix(r.Name, "pass:") && strings.HasSuffix(r.Name, "AVRO"):
			want = Skip
		case strings.HasPrefix(r.Name, "pass:"):
			want = Pass
		default:
			want = Fail
		}
		if r.Outcome != want {
			t.Errorf("%s: %s (%s), want %s", r.Name, r.Outcome, r.Reason, want)
		}
	}
	if len(results) != 8 {
		t.Errorf("%d runs, want 8 (one case expands into two formats)", len(results))
	}
	if got := sum.Line(); got != "3 passed, 4 failed, 1 skipped" {
		t.Errorf("summary %q", got)
	}
	if sum.MessagesMatched != 1 {
		t.Errorf("expected-error message matches = %d, want 1", sum.MessagesMatched)
	}
}

func TestParseSchema(t *testing.T) {
	s, err := ParseSchema("ID BIGINT KEY, `f 1` STRUCT<A INT>, H ARRAY<STRUCT<KEY STRING, VALUE BYTES>> HEADERS")
	if err != nil {
		t.Fatal(err)
	}
	if got := s.String(); got != "`ID` BIGINT KEY, `f 1` STRUCT<`A` INTEGER>, `H` ARRAY<STRUCT<`KEY` STRING, `VALUE` BYTES>> HEADERS" {
		t.Errorf("schema = %s", got)
	}
}
