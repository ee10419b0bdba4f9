package exec

import (
	"context"
	"fmt"
	"testing"

	"github.com/ksqlgo/ksql/broker"
)

// A stream's output records carry their input records' headers, as Kafka
// Streams forwards them: through filters and projections, and through a
// repartition (PARTITION BY) to the next stage.
func TestStreamOutputCarriesInputHeaders(t *testing.T) {
	for _, q := range []string{
		`CREATE STREAM OUT AS SELECT K, V FROM src WHERE V > 0;`,
		`CREATE STREAM OUT AS SELECT V, K FROM src PARTITION BY V;`,
	} {
		h := newQueryHarness(t, `CREATE STREAM src (K STRING KEY, V INT) WITH (kafka_topic='src', value_format='JSON');`, q)
		in := []broker.Record{
			{Key: []byte("a"), Value: []byte(`{"V":1}`), Headers: []broker.Header{{Key: "h", Value: []byte("x")}, {Key: "h", Value: nil}}},
			{Key: []byte("b"), Value: []byte(`{"V":0}`), Headers: []broker.Header{{Key: "dropped", Value: []byte("y")}}},
			{Key: []byte("c"), Value: []byte(`{"V":2}`)},
		}
		if _, err := h.lg.Append(context.Background(), "src", 0, in); err != nil {
			t.Fatal(err)
		}
		if err := h.drain(h.query()); err != nil {
			t.Fatal(err)
		}
		recs, err := broker.ReadAll(context.Background(), h.lg, "OUT", 0, 0, broker.ReadCommitted, 0)
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		for _, r := range recs {
			got += fmt.Sprintf("%s:", r.Value)
			for _, hd := range r.Headers {
				got += fmt.Sprintf(" %s=%v", hd.Key, hd.Value)
			}
			got += ";"
		}
		want := `{"V":1}: h=[120] h=[];{"V":2}:;`
		if q[len(q)-15:] == "PARTITION BY V;" {
			want = `{"K":"a"}: h=[120] h=[];{"K":"b"}: dropped=[121];{"K":"c"}:;`
		}
		if got != want {
			t.Errorf("%s\ngot  %s\nwant %s", q, got, want)
		}
	}
}
