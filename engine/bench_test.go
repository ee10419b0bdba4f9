package engine

import (
	"context"
	"fmt"
	"math/rand"
	"syscall"
	"testing"
	"time"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/exec/serde"
	"github.com/ksqlgo/ksql/sql/types"
)

// End-to-end benchmarks: records are read from the embedded log, decoded
// from JSON, processed, encoded to JSON and appended to the output topic
// under the default durability (every commit that exposes output is
// fsynced). One engine runs every task on the benchmark goroutine
// (Synchronous), so events per CPU-second is events per core.
//
// Each benchmark reports events/s (wall) and events/cpu-s (user+sys CPU
// time of the whole process, which includes the log's and Pebble's own
// goroutines).

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchInput appends n JSON records to a new topic, 500 per batch,
// alternating between its two partitions.
func benchInput(b *testing.B, eng *Engine, topic string, n int, value func(i int, rng *rand.Rand) ([]byte, int64)) {
	b.Helper()
	ctx := context.Background()
	if err := eng.Log().CreateTopic(ctx, topic, broker.TopicConfig{Partitions: 2}); err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewSource(1))
	var batch [2][]broker.Record
	for i := 0; i < n; i++ {
		v, ts := value(i, rng)
		p := i % 2
		batch[p] = append(batch[p], broker.Record{Value: v, Timestamp: ts})
		if len(batch[p]) == 500 || i == n-1 {
			if _, err := eng.Log().Append(ctx, topic, int32(p), batch[p]); err != nil {
				b.Fatal(err)
			}
			batch[p] = batch[p][:0]
		}
	}
	for p := range batch {
		if len(batch[p]) > 0 {
			if _, err := eng.Log().Append(ctx, topic, int32(p), batch[p]); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// runQueryBench times a persistent query over pre-written input.
func runQueryBench(b *testing.B, ddl, query, topic string, value func(i int, rng *rand.Rand) ([]byte, int64)) {
	runQueryBenchWith(b, nil, ddl, query, topic, value)
}

// runQueryBenchWith is runQueryBench with more server properties.
func runQueryBenchWith(b *testing.B, props map[string]string, ddl, query, topic string, value func(i int, rng *rand.Rand) ([]byte, int64)) {
	n := max(b.N, 20000)
	ctx := context.Background()
	all := map[string]string{"ksql.streams.auto.offset.reset": "earliest"}
	for k, v := range props {
		all[k] = v
	}
	eng, err := Open(ctx, Config{DataDir: b.TempDir(), Synchronous: true, Properties: all})
	if err != nil {
		b.Fatal(err)
	}
	defer eng.Close()
	benchInput(b, eng, topic, n, value)
	sess := NewSession()
	if _, err := eng.Execute(ctx, ddl, sess); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	cpu0, wall0 := cpuTime(), time.Now()
	if _, err := eng.Execute(ctx, query, sess); err != nil {
		b.Fatal(err)
	}
	if err := eng.Drain(ctx); err != nil {
		b.Fatal(err)
	}
	wall, cpu := time.Since(wall0), cpuTime()-cpu0
	b.StopTimer()
	if got := eng.Metrics()["records-in"]; got < int64(n) {
		b.Fatalf("processed %d of %d records", got, n)
	}
	b.ReportMetric(float64(n)/wall.Seconds(), "events/s")
	b.ReportMetric(float64(n)/cpu.Seconds(), "events/cpu-s")
	b.ReportMetric(float64(eng.Metrics()["records-out"])/float64(n), "out/event")
	b.ReportMetric(0, "ns/op")
}

// benchBaseTime is the event time of the first input record: recent, so
// that the topics' time retention (7 days by default) never deletes input
// before a long run reads it.
var benchBaseTime = time.Now().Add(-time.Hour).UnixMilli()

const bidDDL = `CREATE STREAM bid (auction BIGINT, bidder BIGINT, price BIGINT, channel STRING, url STRING, dateTime BIGINT, extra STRING)
  WITH (kafka_topic='bid', value_format='JSON', timestamp='dateTime');`

var channels = []string{"Google", "Facebook", "Baidu", "Apple"}

// bidValue is a Nexmark-style bid of about 150 bytes.
func bidValue(i int, rng *rand.Rand) ([]byte, int64) {
	ts := benchBaseTime + int64(i)*10
	auction := 1000 + rng.Int63n(100)
	v := fmt.Sprintf(`{"auction":%d,"bidder":%d,"price":%d,"channel":"%s","url":"https://www.nexmark.com/item.htm?query=1&channel_id=%d","dateTime":%d,"extra":"%s"}`,
		auction, 2000+rng.Int63n(1000), 100+rng.Int63n(10_000_000), channels[i%4], rng.Intn(1000), ts, "xxxxxxxxxxxxxxxxxxxx")
	return []byte(v), ts
}

// BenchmarkFilterProject: a filter and a projection with arithmetic
// (Nexmark q1's currency conversion on half the bids).
func BenchmarkFilterProject(b *testing.B) {
	runQueryBench(b, bidDDL,
		`CREATE STREAM q1 AS SELECT auction, bidder, price * 908 / 1000 AS price_eur, dateTime, extra FROM bid WHERE price > 5000000;`,
		"bid", bidValue)
}

// BenchmarkDecimalProjection: Nexmark q1 as written, the price converted
// with a DECIMAL literal (0.908 * price is DECIMAL arithmetic).
func BenchmarkDecimalProjection(b *testing.B) {
	runQueryBench(b, bidDDL,
		`CREATE STREAM q1 AS SELECT auction, bidder, 0.908 * price AS price_eur, dateTime, extra FROM bid;`,
		"bid", bidValue)
}

const fraudDDL = `CREATE STREAM authorization_attempts (card_number BIGINT, amount DOUBLE, merchant STRING)
  WITH (kafka_topic='authorization_attempts', value_format='JSON');`

// fraudValue is a card authorization; 20,000 cards over event time.
func fraudValue(i int, rng *rand.Rand) ([]byte, int64) {
	ts := benchBaseTime + int64(i)*5 + rng.Int63n(60_000)
	v := fmt.Sprintf(`{"card_number":%d,"amount":%d.25,"merchant":"merchant-%d"}`,
		4000_0000_0000_0000+rng.Int63n(20_000), 1+rng.Intn(500), rng.Intn(300))
	return []byte(v), ts
}

// BenchmarkFraudQuery: the windowed aggregate of the KSQL demo (GROUP BY
// a value column: repartition, then a tumbling-window count with HAVING).
func BenchmarkFraudQuery(b *testing.B) {
	runQueryBench(b, fraudDDL,
		`CREATE TABLE possible_fraud AS SELECT card_number, count() FROM authorization_attempts
		   WINDOW TUMBLING (SIZE 5 MINUTE) GROUP BY card_number HAVING count() > 3;`,
		"authorization_attempts", fraudValue)
}

// BenchmarkHoppingCount: the first stage of Nexmark q5, a count per
// auction over hopping windows (10 s, advancing by 2 s: five windows per
// bid), with the record cache at its default (10 MB) and off (0: every
// update of the five windows is output).
func BenchmarkHoppingCount(b *testing.B) {
	for _, c := range []struct{ name, bytes string }{{"cache=default", "10000000"}, {"cache=0", "0"}} {
		b.Run(c.name, func(b *testing.B) {
			runQueryBenchWith(b, map[string]string{PropCacheMaxBytes: c.bytes}, bidDDL,
				`CREATE TABLE q5 AS SELECT auction, count(*) AS n FROM bid WINDOW HOPPING (SIZE 10 SECONDS, ADVANCE BY 2 SECONDS) GROUP BY auction EMIT CHANGES;`,
				"bid", bidValue)
		})
	}
}

// fraudValueManyCards is fraudValue over 1,000,000 cards, with one card
// in ten drawn from 1,000 hot ones (a card used again and again).
func fraudValueManyCards(i int, rng *rand.Rand) ([]byte, int64) {
	ts := benchBaseTime + int64(i)*5 + rng.Int63n(60_000)
	card := rng.Int63n(1_000_000)
	if i%10 == 0 {
		card = rng.Int63n(1_000)
	}
	v := fmt.Sprintf(`{"card_number":%d,"amount":%d.25,"merchant":"merchant-%d"}`,
		4000_0000_0000_0000+card, 1+rng.Intn(500), rng.Intn(300))
	return []byte(v), ts
}

// BenchmarkFraudQueryManyCards: the fraud query with more groups than
// the aggregation's cache holds (1M cards), so eviction matters.
func BenchmarkFraudQueryManyCards(b *testing.B) {
	runQueryBench(b, fraudDDL,
		`CREATE TABLE possible_fraud AS SELECT card_number, count() FROM authorization_attempts
		   WINDOW TUMBLING (SIZE 5 MINUTE) GROUP BY card_number HAVING count() > 3;`,
		"authorization_attempts", fraudValueManyCards)
}

// BenchmarkFilterProjectHandWritten is the same query as
// BenchmarkFilterProject written by hand against the log and the JSON
// codec, with no engine: read a batch, decode, filter, compute, encode,
// append, with one fsynced append per 20,000 output records (as the
// engine's tasks batch their commits).
// The ratio to BenchmarkFilterProject is what the engine's generality costs.
func BenchmarkFilterProjectHandWritten(b *testing.B) {
	n := max(b.N, 20000)
	ctx := context.Background()
	eng, err := Open(ctx, Config{DataDir: b.TempDir(), Synchronous: true})
	if err != nil {
		b.Fatal(err)
	}
	defer eng.Close()
	benchInput(b, eng, "bid", n, bidValue)
	lg := eng.Log()
	if err := lg.CreateTopic(ctx, "q1", broker.TopicConfig{Partitions: 2}); err != nil {
		b.Fatal(err)
	}
	in, err := serde.New("JSON", []serde.Column{
		{Name: "AUCTION", Type: types.BigintType}, {Name: "BIDDER", Type: types.BigintType},
		{Name: "PRICE", Type: types.BigintType}, {Name: "CHANNEL", Type: types.StringType},
		{Name: "URL", Type: types.StringType}, {Name: "DATETIME", Type: types.BigintType},
		{Name: "EXTRA", Type: types.StringType},
	}, serde.Options{})
	if err != nil {
		b.Fatal(err)
	}
	out, err := serde.New("JSON", []serde.Column{
		{Name: "AUCTION", Type: types.BigintType}, {Name: "BIDDER", Type: types.BigintType},
		{Name: "PRICE_EUR", Type: types.BigintType}, {Name: "DATETIME", Type: types.BigintType},
		{Name: "EXTRA", Type: types.StringType},
	}, serde.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	cpu0, wall0 := cpuTime(), time.Now()
	row := make([]types.Value, 7)
	outRow := make([]types.Value, 5)
	var batch []broker.Record
	flush := func(p int32) {
		if len(batch) > 0 {
			if _, err := lg.Append(ctx, "q1", p, batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	for p := int32(0); p < 2; p++ {
		off := int64(0)
		for {
			recs, next, err := lg.Read(ctx, "bid", p, off, broker.ReadOptions{MaxRecords: 500})
			if err != nil {
				b.Fatal(err)
			}
			if next == off {
				break
			}
			for _, r := range recs {
				if err := in.Decode(r.Value, row); err != nil {
					b.Fatal(err)
				}
				price := row[2].(int64)
				if price <= 5000000 {
					continue
				}
				outRow[0], outRow[1], outRow[2], outRow[3], outRow[4] = row[0], row[1], price*908/1000, row[5], row[6]
				v, err := out.Encode(nil, outRow)
				if err != nil {
					b.Fatal(err)
				}
				batch = append(batch, broker.Record{Value: v, Timestamp: r.Timestamp})
			}
			if len(batch) >= 20000 {
				flush(p)
			}
			off = next
		}
		flush(p)
	}
	wall, cpu := time.Since(wall0), cpuTime()-cpu0
	b.StopTimer()
	b.ReportMetric(float64(n)/wall.Seconds(), "events/s")
	b.ReportMetric(float64(n)/cpu.Seconds(), "events/cpu-s")
	b.ReportMetric(0, "ns/op")
}
