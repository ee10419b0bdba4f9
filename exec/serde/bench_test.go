package serde

import (
	"testing"

	"github.com/ksqlgo/ksql/sql/types"
)

// A Nexmark bid, as the benchmarks' generator writes it.
var bidJSON = []byte(`{"auction":1000,"bidder":2001,"price":12345,"channel":"Google",` +
	`"url":"https://www.nexmark.com/abc/item.htm?query=1","dateTime":1700000000000,"extra":"xxxxxxxxxx"}`)

var bidCols = []Column{
	{"AUCTION", types.BigintType},
	{"BIDDER", types.BigintType},
	{"PRICE", types.BigintType},
	{"CHANNEL", types.StringType},
	{"URL", types.StringType},
	{"DATETIME", types.BigintType},
	{"EXTRA", types.StringType},
}

func BenchmarkJSONDecode(b *testing.B) {
	c, err := New("JSON", bidCols, Options{})
	if err != nil {
		b.Fatal(err)
	}
	dst := make([]types.Value, len(bidCols))
	b.SetBytes(int64(len(bidJSON)))
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Decode(bidJSON, dst); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkJSONEncode(b *testing.B) {
	c, err := New("JSON", bidCols, Options{})
	if err != nil {
		b.Fatal(err)
	}
	row := make([]types.Value, len(bidCols))
	if err := c.Decode(bidJSON, row); err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		out, err := c.Encode(buf[:0], row)
		if err != nil {
			b.Fatal(err)
		}
		buf = out
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkDelimitedDecode(b *testing.B) {
	c, err := New("DELIMITED", bidCols, Options{})
	if err != nil {
		b.Fatal(err)
	}
	data := []byte(`1000,2001,12345,Google,https://www.nexmark.com/abc/item.htm?query=1,1700000000000,xxxxxxxxxx`)
	dst := make([]types.Value, len(bidCols))
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Decode(data, dst); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDelimitedEncode(b *testing.B) {
	c, err := New("DELIMITED", bidCols, Options{})
	if err != nil {
		b.Fatal(err)
	}
	row := make([]types.Value, len(bidCols))
	if err := c.Decode([]byte(`1000,2001,12345,Google,https://www.nexmark.com/abc/item.htm?query=1,1700000000000,xxxxxxxxxx`), row); err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		out, err := c.Encode(buf[:0], row)
		if err != nil {
			b.Fatal(err)
		}
		buf = out
	}
}
