package serde

import (
	"strconv"
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

// A bid as `ksql datagen` writes it: the extra field pads the event
// towards 100 bytes of values (about 68 characters).
var bidJSONFull = []byte(`{"auction":1000,"bidder":2001,"price":12345,"channel":"Google",` +
	`"url":"https://www.nexmark.com/abc/def/item.htm?query=1","dateTime":1700000000000,` +
	`"extra":"qwertyuiopasdfghjklzxcvbnmqwertyuiopasdfghjklzxcvbnmqwertyuiopasdfgh"}`)

// benchDecodeColumns decodes bidJSONFull as the engine's input stage
// does: a fresh arena chunk per record, only the columns in need.
func benchDecodeColumns(b *testing.B, need []bool) {
	c, err := New("JSON", bidCols, Options{})
	if err != nil {
		b.Fatal(err)
	}
	cd := c.(*jsonCodec)
	dst := make([]types.Value, len(bidCols))
	var ar types.Arena
	b.SetBytes(int64(len(bidJSONFull)))
	b.ReportAllocs()
	for b.Loop() {
		ar.Reset(len(bidJSONFull) + 16*len(dst))
		if err := cd.DecodeColumns(bidJSONFull, dst, &ar, need); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkJSONDecodeBid: every column (q0's input stage).
func BenchmarkJSONDecodeBid(b *testing.B) { benchDecodeColumns(b, nil) }

// BenchmarkJSONDecodeBid2of7: AUCTION and PRICE only (q2's input stage).
func BenchmarkJSONDecodeBid2of7(b *testing.B) {
	benchDecodeColumns(b, []bool{true, false, true, false, false, false, false})
}

// BenchmarkJSONEncodeQ0: q0's output, five of the bid's columns.
func BenchmarkJSONEncodeQ0(b *testing.B) {
	in, err := New("JSON", bidCols, Options{})
	if err != nil {
		b.Fatal(err)
	}
	row := make([]types.Value, len(bidCols))
	if err := in.Decode(bidJSONFull, row); err != nil {
		b.Fatal(err)
	}
	outCols := []Column{bidCols[0], bidCols[1], bidCols[2], bidCols[5], bidCols[6]}
	out := []types.Value{row[0], row[1], row[2], row[5], row[6]}
	c, err := New("JSON", outCols, Options{})
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		res, err := c.Encode(buf[:0], out)
		if err != nil {
			b.Fatal(err)
		}
		buf = res
	}
	b.SetBytes(int64(len(buf)))
}

// BenchmarkJSONDecodeBidReordered: the columns declared in another order
// than the producer writes the fields.
func BenchmarkJSONDecodeBidReordered(b *testing.B) {
	reordered := []Column{bidCols[5], bidCols[0], bidCols[2], bidCols[1], bidCols[6], bidCols[4], bidCols[3]}
	c, err := New("JSON", reordered, Options{})
	if err != nil {
		b.Fatal(err)
	}
	cd := c.(*jsonCodec)
	dst := make([]types.Value, len(reordered))
	var ar types.Arena
	b.SetBytes(int64(len(bidJSONFull)))
	b.ReportAllocs()
	for b.Loop() {
		ar.Reset(len(bidJSONFull) + 16*len(dst))
		if err := cd.DecodeColumns(bidJSONFull, dst, &ar, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppendInt: the integers of a bid (ids, a price, a timestamp),
// appendInt against strconv.AppendInt.
func BenchmarkAppendInt(b *testing.B) {
	vals := []int64{1000, 2001, 12345, 1700000000000, 1045, 2417, 8123456, 1700000000010}
	buf := make([]byte, 0, 256)
	b.Run("appendInt", func(b *testing.B) {
		for b.Loop() {
			buf = buf[:0]
			for _, v := range vals {
				buf = appendInt(buf, v)
			}
		}
	})
	b.Run("strconv", func(b *testing.B) {
		for b.Loop() {
			buf = buf[:0]
			for _, v := range vals {
				buf = strconv.AppendInt(buf, v, 10)
			}
		}
	})
}
