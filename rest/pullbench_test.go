package rest

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/engine"
)

// BenchmarkPullKeyLookup measures pull-query key lookups over loopback
// HTTP against a table of 100,000 keys (CREATE TABLE AS SELECT, so read
// from the materialized view), one request at a time from a keep-alive
// HTTP/1.1 client: request, planning, the lookup, the response, end to
// end. It reports the median and 99th percentile latency and lookups/s.
//
//	go test ./rest -run XXX -bench PullKeyLookup -count 5
func BenchmarkPullKeyLookup(b *testing.B) {
	const keys = 100_000
	ctx := context.Background()
	// Synchronous: the table is loaded by Drain before the server starts,
	// so no persistent query runs during the measurement.
	eng, err := engine.Open(ctx, engine.Config{DataDir: b.TempDir(), NoSync: true, Synchronous: true,
		Properties: map[string]string{"ksql.streams.auto.offset.reset": "earliest"}})
	if err != nil {
		b.Fatal(err)
	}
	defer eng.Close()
	sess := engine.NewSession()
	if _, err := eng.Execute(ctx, `CREATE TABLE users (id BIGINT PRIMARY KEY, name STRING, score INT) WITH (kafka_topic='users', value_format='JSON', partitions=4);
CREATE TABLE users_view AS SELECT * FROM users;`, sess); err != nil {
		b.Fatal(err)
	}
	var batch [4][]broker.Record
	flush := func(p int) {
		if _, err := eng.Log().Append(ctx, "users", int32(p), batch[p]); err != nil {
			b.Fatal(err)
		}
		batch[p] = batch[p][:0]
	}
	for i := 0; i < keys; i++ {
		key := binary.BigEndian.AppendUint64(nil, uint64(i))
		p := broker.PartitionForKey(key, 4)
		batch[p] = append(batch[p], broker.Record{Key: key, Timestamp: int64(i),
			Value: fmt.Appendf(nil, `{"NAME":"user-%d","SCORE":%d}`, i, i%1000)})
		if len(batch[p]) == 1000 {
			flush(int(p))
		}
	}
	for p := range batch {
		if len(batch[p]) > 0 {
			flush(p)
		}
	}
	if err := eng.Drain(ctx); err != nil {
		b.Fatal(err)
	}

	ln, err := Listen("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	h, err := Start(eng, ln, Options{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		_ = h.Shutdown(sctx)
	}()
	base := "http://" + ln.Addr().String()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	defer client.CloseIdleConnections()

	for _, ep := range []struct {
		name, path, accept, body string
	}{
		{"query-stream", "/query-stream", "application/vnd.ksqlapi.delimited.v1", `{"sql":"SELECT * FROM users_view WHERE id = %d;","properties":{}}`},
		{"query", "/query", "application/vnd.ksql.v1+json", `{"ksql":"SELECT * FROM users_view WHERE id = %d;","streamsProperties":{}}`},
	} {
		b.Run(ep.name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			lookup := func() time.Duration {
				id := rng.IntN(keys)
				start := time.Now()
				req, err := http.NewRequest(http.MethodPost, base+ep.path, strings.NewReader(fmt.Sprintf(ep.body, id)))
				if err != nil {
					b.Fatal(err)
				}
				req.Header.Set("Accept", ep.accept)
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				took := time.Since(start)
				if err != nil || resp.StatusCode != http.StatusOK || !bytes.Contains(body, fmt.Appendf(nil, `"user-%d"`, id)) {
					b.Fatalf("id %d: %d %v %s", id, resp.StatusCode, err, body)
				}
				return took
			}
			for range 200 { // warm the connection and the caches
				lookup()
			}
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			start := time.Now()
			for range b.N {
				lat = append(lat, lookup())
			}
			elapsed := time.Since(start)
			b.StopTimer()
			slices.Sort(lat)
			pct := func(q float64) float64 {
				return float64(lat[min(len(lat)-1, int(q*float64(len(lat))))].Microseconds())
			}
			b.ReportMetric(pct(0.50), "p50-µs")
			b.ReportMetric(pct(0.99), "p99-µs")
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "lookups/s")
		})
	}
}
