package exec

import (
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
