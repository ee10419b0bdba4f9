package exec

import (
	"context"
	"fmt"
	"math/rand"
	"runtime"
	"slices"
	"testing"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/catalog"
	"github.com/ksqlgo/ksql/planner"
	"github.com/ksqlgo/ksql/sql/types"
)

// Decoding a record costs two allocations whatever its columns: the row
// and one chunk for all of its values (types.Arena). Before the arena a
// Nexmark bid took eleven.
func TestDecodeAllocatesRowAndOneChunk(t *testing.T) {
	if raceEnabled || testing.CoverMode() != "" {
		t.Skip("allocation counts are not meaningful under the race detector or coverage")
	}
	col := func(name string, ty *types.Type) catalog.Column {
		return catalog.Column{Name: name, Type: ty, Kind: catalog.ValueColumn}
	}
	in := planner.Input{Topic: planner.Topic{
		Name: "bid", Partitions: 1,
		KeyFormat: catalog.Format{Name: "KAFKA"}, ValueFormat: catalog.Format{Name: "JSON"},
		Value: []catalog.Column{
			col("AUCTION", types.BigintType), col("BIDDER", types.BigintType), col("PRICE", types.BigintType),
			col("CHANNEL", types.StringType), col("URL", types.StringType), col("DATETIME", types.BigintType),
			col("EXTRA", types.StringType),
		},
	}, TimestampColumn: 5}
	d, err := newInputDecoder(in)
	if err != nil {
		t.Fatal(err)
	}
	rec := broker.Record{Offset: 123456, Timestamp: 1_700_000_000_000, Value: []byte(
		`{"auction":1045,"bidder":2417,"price":8123456,"channel":"Google","url":"https://www.nexmark.com/item.htm?query=1&channel_id=577","dateTime":1700000000010,"extra":"xxxxxxxxxxxxxxxxxxxx"}`)}
	var ev event
	check := func(name string, want float64) {
		t.Helper()
		n := testing.AllocsPerRun(500, func() {
			if ok, err := d.decode(&rec, &ev); !ok || err != nil {
				t.Fatal(ok, err)
			}
		})
		if n > want {
			t.Errorf("%s: %v allocations per record, want at most %v", name, n, want)
		}
	}
	check("every column", 2)
	if ev.row[4] != "https://www.nexmark.com/item.htm?query=1&channel_id=577" || ev.row[5] != int64(1700000000010) || ev.ts != 1700000000010 {
		t.Fatalf("decoded %v ts %d", ev.row, ev.ts)
	}
	d.need = []bool{true, false, true, false, false, true, false}
	check("three columns", 2)
	if ev.row[0] != int64(1045) || ev.row[1] != nil || ev.row[2] != int64(8123456) || ev.row[4] != nil {
		t.Fatalf("decoded %v", ev.row)
	}
}

// Records of internal (repartition) topics: change envelopes decode into
// the stage's rows, key and pseudo columns in both, any value type.
func TestDecodeInternalEnvelope(t *testing.T) {
	dec := func(s string) types.Dec {
		d, err := types.ParseDec(s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	valCols := []catalog.Column{
		{Name: "N", Type: types.BigintType}, {Name: "S", Type: types.StringType},
		{Name: "D", Type: types.DecimalOf(30, 2)}, {Name: "F", Type: types.DoubleType},
	}
	in := planner.Input{Topic: planner.Topic{
		Name: "rp", Partitions: 1, Internal: true,
		KeyFormat: catalog.Format{Name: "KAFKA"}, ValueFormat: catalog.Format{Name: "JSON"},
		Key:   []catalog.Column{{Name: "K", Type: types.BigintType, Kind: catalog.KeyColumn}},
		Value: valCols,
	}, TimestampColumn: -1}
	d, err := newInputDecoder(in)
	if err != nil {
		t.Fatal(err)
	}
	key, err := d.codecs.key.Encode(nil, []types.Value{int64(77)})
	if err != nil {
		t.Fatal(err)
	}
	newRow := types.Row{int64(1 << 40), "new", dec("-12.34"), 1.5}
	oldRow := types.Row{int64(-5), "old", dec("123456789012345678901234567.89"), nil}
	for _, tc := range []struct {
		name     string
		nw, old  types.Row
		wantSkip bool
	}{
		{"both", newRow, oldRow, false},
		{"new only", newRow, nil, false},
		{"old only", nil, oldRow, false},
		{"neither", nil, nil, true},
	} {
		rec := broker.Record{Key: key, Value: appendEnvelope(nil, tc.nw, tc.old), Timestamp: 1234, Offset: 99, Partition: 0}
		var ev event
		ok, err := d.decode(&rec, &ev)
		if err != nil || ok == tc.wantSkip {
			t.Fatalf("%s: ok=%v err=%v", tc.name, ok, err)
		}
		for _, c := range []struct {
			got, want types.Row
		}{{ev.row, tc.nw}, {ev.old, tc.old}} {
			if (c.got == nil) != (c.want == nil) {
				t.Fatalf("%s: got %v want %v", tc.name, c.got, c.want)
			}
			if c.got == nil {
				continue
			}
			want := append(append(types.Row{int64(77)}, c.want...), int64(1234), int32(0), int64(99))
			if len(c.got) != len(want) {
				t.Fatalf("%s: %v, want %v", tc.name, c.got, want)
			}
			for i := range want {
				if types.Compare(c.got[i], want[i]) != 0 || types.KindOf(c.got[i]) != types.KindOf(want[i]) {
					t.Fatalf("%s: slot %d = %#v, want %#v", tc.name, i, c.got[i], want[i])
				}
			}
		}
	}
	// A row with more values than the stage's columns is corrupt.
	rec := broker.Record{Key: key, Value: appendEnvelope(nil, append(newRow, "extra"), nil)}
	var ev event
	if _, err := d.decode(&rec, &ev); err == nil {
		t.Fatal("a row wider than the topic's columns decoded")
	}
	if raceEnabled || testing.CoverMode() != "" {
		return
	}
	rec = broker.Record{Key: key, Value: appendEnvelope(nil, newRow, nil), Timestamp: 1234, Offset: 99}
	if n := testing.AllocsPerRun(200, func() { d.decode(&rec, &ev) }); n > 2 {
		t.Errorf("%v allocations to decode a repartition record, want at most 2 (the row and the arena chunk)", n)
	}
}

// The stateless path end to end: reading a batch of bids from the log,
// decoding, filtering, projecting, encoding, buffering the output and
// committing it costs at most one allocation per record on average (the
// record's arena chunk; batches and commits add a few each).
func TestStatelessPathAllocations(t *testing.T) {
	if raceEnabled || testing.CoverMode() != "" {
		t.Skip("allocation counts are not meaningful under the race detector or coverage")
	}
	const ddl = `CREATE STREAM bid (auction BIGINT, bidder BIGINT, price BIGINT, channel STRING, url STRING, dateTime BIGINT, extra STRING) WITH (kafka_topic='bid', value_format='JSON', partitions=1, timestamp='dateTime');`
	for _, q := range []string{
		`CREATE STREAM q0 AS SELECT * FROM bid;`,
		`CREATE STREAM q2 AS SELECT auction, price FROM bid WHERE auction % 123 = 0;`,
		// Computed numbers box into the record's arena too.
		`CREATE STREAM q1 AS SELECT auction, bidder, 0.908 * price AS price_eur, price * 908 / 1000 AS p2, dateTime, extra FROM bid;`,
	} {
		h := newQueryHarness(t, ddl, q)
		const n = 20_000
		recs := make([]broker.Record, 0, 1000)
		for i := 0; i < n; i++ {
			ts := 1_700_000_000_000 + int64(i)*10
			recs = append(recs, broker.Record{Timestamp: ts, Value: fmt.Appendf(nil,
				`{"auction":%d,"bidder":%d,"price":%d,"channel":"Google","url":"https://www.nexmark.com/item.htm?query=1&channel_id=%d","dateTime":%d,"extra":"xxxxxxxxxxxxxxxxxxxx"}`,
				1000+i%1000, 2000+i%977, 100+i*7919%10_000_000, i%1000, ts)})
			if len(recs) == cap(recs) {
				if _, err := h.lg.Append(context.Background(), "bid", 0, recs); err != nil {
					t.Fatal(err)
				}
				recs = recs[:0]
			}
		}
		query := h.query()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		if err := h.drain(query); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		query.Stop()
		perRecord := float64(after.Mallocs-before.Mallocs) / n
		t.Logf("%s: %.2f allocations per record", q, perRecord)
		if perRecord > 1.1 {
			t.Errorf("%s: %.2f allocations per record, want at most 1 (plus batch and commit overhead)", q, perRecord)
		}
	}
}

// State writes go to the store in key order whatever order they were
// dirtied in: integer prefixes first, bytes when the first 16 tie.
func TestSortStateWritesOrdersLikeBytes(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for round := 0; round < 200; round++ {
		var buf []byte
		var ws []stateWrite
		var keys []string
		for n := rng.Intn(300); n > 0; n-- {
			k := make([]byte, rng.Intn(24))
			for j := range k {
				k[j] = byte(rng.Intn(3)) // few values: shared prefixes and ties
				if rng.Intn(8) == 0 {
					k[j] = byte(rng.Intn(256))
				}
			}
			k0 := len(buf)
			buf = append(buf, k...)
			k1 := len(buf)
			buf = append(buf, 'v')
			ws = append(ws, newStateWrite(string(k), k0, k1, len(buf)))
			keys = append(keys, string(k))
		}
		sortStateWrites(ws, buf)
		slices.Sort(keys)
		for i, w := range ws {
			if got := string(buf[w.k0:w.k1]); got != keys[i] || buf[w.k1] != 'v' || w.v1 != w.k1+1 {
				t.Fatalf("round %d, write %d: key %q, want %q", round, i, got, keys[i])
			}
		}
	}
}

// The two-stage aggregation path end to end (the fraud query: GROUP BY a
// value column, a repartition, a tumbling count with HAVING, the record
// cache on): 50,000 authorizations over 10,000 cards and two windows,
// so that two records in five open a new group. Per record: the arena
// chunk of each stage's decode (2), and per new group its entry, key,
// accumulators and state key (about 4.5, so 1.8 per record), plus
// batches, commits and the forwarded results. It was 12.1 before the
// aggregation reused its result rows, events and window starts, the
// repartition stage its input rows, and KAFKA keys their arena.
func TestAggregatePathAllocations(t *testing.T) {
	if raceEnabled || testing.CoverMode() != "" {
		t.Skip("allocation counts are not meaningful under the race detector or coverage")
	}
	const ddl = `CREATE STREAM auth (card_number BIGINT, amount DOUBLE, merchant STRING) WITH (kafka_topic='auth', value_format='JSON', partitions=1);`
	h := newQueryHarness(t, ddl, `CREATE TABLE f AS SELECT card_number, count(*) FROM auth WINDOW TUMBLING (SIZE 5 MINUTE) GROUP BY card_number HAVING count(*) > 3;`)
	const n = 50_000
	recs := make([]broker.Record, 0, 1000)
	for i := 0; i < n; i++ {
		ts := 1_700_000_000_000 + int64(i)*10
		recs = append(recs, broker.Record{Timestamp: ts, Value: fmt.Appendf(nil, `{"card_number":%d,"amount":%d.25,"merchant":"m-%d"}`, 4000_0000_0000_0000+i*7919%10000, i%500, i%300)})
		if len(recs) == cap(recs) {
			if _, err := h.lg.Append(context.Background(), "auth", 0, recs); err != nil {
				t.Fatal(err)
			}
			recs = recs[:0]
		}
	}
	q := h.cachedQuery(DefaultRecordCacheBytes)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if err := h.drain(q); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	q.Stop()
	perRecord := float64(after.Mallocs-before.Mallocs) / n
	t.Logf("%.2f allocations per record", perRecord)
	if perRecord > 7 {
		t.Errorf("%.2f allocations per record, want at most 7", perRecord)
	}
}
