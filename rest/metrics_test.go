package rest

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ksqlgo/ksql/engine"
)

// ksqlDB's statistics strings (MetricCollectors.format) from a source's
// numbers.
func TestStatisticsText(t *testing.T) {
	last := time.Date(2024, 5, 6, 7, 8, 9, 120_000_000, time.UTC)
	stats, errs := statisticsText(&engine.SourceStatistics{
		Written: true, MessagesPerSec: 0.5, TotalMessages: 3, LastMessage: last,
		Read: true, ConsumerTotalMessages: 7, LastConsumed: last.Add(-time.Second),
		FailedMessages: 1,
	})
	want := "consumer-messages-per-sec:         0 consumer-total-messages:         7 " +
		"messages-per-sec:      0.50   total-messages:         3     last-message: 2024-05-06T07:08:09.12Z"
	if stats != want {
		t.Errorf("statistics\n got %q\nwant %q", stats, want)
	}
	wantErrs := "consumer-failed-messages:         1 consumer-failed-messages-per-sec:         0      last-failed:       n/a"
	if errs != wantErrs {
		t.Errorf("errorStats\n got %q\nwant %q", errs, wantErrs)
	}
	if s, e := statisticsText(&engine.SourceStatistics{}); s != "" || e != "" {
		t.Errorf("a source no query touches: %q %q", s, e)
	}
}

// GET /metrics lists each persistent query's counters, and DESCRIBE ...
// EXTENDED shows the same numbers for the sources it reads and writes.
func TestPerQueryMetrics(t *testing.T) {
	srv, _ := newTestServer(t, Options{})
	code, body := post(t, srv.URL+"/ksql", `{"ksql": "CREATE STREAM s (id INT KEY, v STRING) WITH (kafka_topic='s', value_format='JSON', partitions=1); CREATE STREAM t AS SELECT * FROM s WHERE v <> 'drop';"}`)
	if code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	code, body = post(t, srv.URL+"/ksql", `{"ksql": "INSERT INTO s (id, v) VALUES (1, 'a'); INSERT INTO s (id, v) VALUES (2, 'drop'); INSERT INTO s (id, v) VALUES (3, 'c');"}`)
	if code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	outRe := regexp.MustCompile(`ksql_query_records_out_total\{query_id="(CSAS_T_\d+)"\} (\d+)`)
	var id string
	// settled: all output emitted and committed, and the last commit's
	// latency observed (the histogram's count is the number of commits).
	settled := func(body string) bool {
		m := outRe.FindStringSubmatch(body)
		if m == nil || m[2] != "2" {
			return false
		}
		id = m[1]
		c := regexp.MustCompile(`ksql_query_commits_total\{query_id="` + id + `"\} (\d+)`).FindStringSubmatch(body)
		return c != nil && c[1] != "0" &&
			strings.Contains(body, `ksql_query_lag_records{query_id="`+id+`"} 0`+"\n") &&
			strings.Contains(body, `ksql_query_commit_latency_seconds_count{query_id="`+id+`"} `+c[1]+"\n")
	}
	for i := 0; ; i++ {
		resp, err := http.Get(srv.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		body = string(b)
		if settled(body) {
			break
		}
		if i == 500 {
			t.Fatalf("the query never settled with 2 records out, all committed:\n%s", body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, want := range []string{
		`ksql_query_records_in_total{query_id="` + id + `"} 3`,
		`ksql_query_processing_errors_total{query_id="` + id + `"} 0`,
		`ksql_query_lag_records{query_id="` + id + `"}`,
		`# TYPE ksql_query_commit_latency_seconds histogram`,
		`ksql_query_commit_latency_seconds_bucket{query_id="` + id + `",le="+Inf"}`,
		`ksql_query_commit_latency_seconds_sum{query_id="` + id + `"}`,
		`ksql_query_commits_total{query_id="` + id + `"}`,
		`ksql_records_in_total 3`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s:\n%s", want, body)
		}
	}
	describe := func(name string) map[string]any {
		code, body := post(t, srv.URL+"/ksql", `{"ksql": "DESCRIBE `+name+` EXTENDED;"}`)
		var ents []map[string]any
		if code != 200 || json.Unmarshal([]byte(body), &ents) != nil || len(ents) != 1 {
			t.Fatalf("DESCRIBE %s: %d %s", name, code, body)
		}
		return ents[0]["sourceDescription"].(map[string]any)
	}
	tStats := describe("t")["statistics"].(string)
	if !strings.Contains(tStats, "  total-messages:         2 ") || !strings.Contains(tStats, "last-message: 20") {
		t.Errorf("T's statistics: %q", tStats)
	}
	s := describe("s")
	if st := s["statistics"].(string); !strings.Contains(st, "consumer-total-messages:         3 ") || strings.Contains(st, " total-messages") {
		t.Errorf("S's statistics: %q", st)
	}
	if es := s["errorStats"].(string); !strings.Contains(es, "consumer-failed-messages:         0 ") || !strings.Contains(es, "last-failed:       n/a") {
		t.Errorf("S's errorStats: %q", es)
	}
}
