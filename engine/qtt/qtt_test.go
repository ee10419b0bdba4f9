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

// Each leniency ksqlDB's test executor does not have is a "fail:" case in
// testdata/strict.json whose expectation only a lenient runner accepts,
// next to a "pass:" twin with the right expectation; "nosr:" cases must
// run rather than be skipped. Relaxing the runner breaks this test.
func TestStrictVerdicts(t *testing.T) {
	n := 0
	err := RunFile(context.Background(), "testdata/strict.json", Options{TempDir: t.TempDir()}, func(r Result) {
		n++
		switch {
		case strings.HasPrefix(r.Name, "pass:"):
			if r.Outcome != Pass {
				t.Errorf("%s: %s (%s), want PASS", r.Name, r.Outcome, r.Reason)
			}
		case strings.HasPrefix(r.Name, "fail:"):
			if r.Outcome != Fail {
				t.Errorf("%s: %s (%s), want FAIL", r.Name, r.Outcome, r.Reason)
			}
		case strings.HasPrefix(r.Name, "nosr:"):
			if r.Outcome == Skip {
				t.Errorf("%s: skipped (%s)", r.Name, r.Reason)
			}
		default:
			t.Errorf("%s: name says neither pass nor fail", r.Name)
		}
		t.Logf("%s %s: %s", r.Outcome, r.Name, r.Reason)
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != 27 {
		t.Errorf("%d runs, want 27", n)
	}
}
