package exec

import (
	"math"
	"testing"

	"github.com/ksqlgo/ksql/sql/types"
)

func TestValueCodecRoundTrip(t *testing.T) {
	st := types.StructOf(types.Field{Name: "A", Type: types.IntegerType}, types.Field{Name: "B", Type: types.StringType})
	m := &types.MapValue{}
	m.Put("k", int64(9))
	d, _ := types.ParseDec("-12345678901234567890.123")
	row := types.Row{
		nil, true, false, int32(-5), int64(math.MaxInt64), 3.25, math.Inf(-1), d, "héllo", []byte{0, 1, 255},
		types.Timestamp(1700000000000), types.Date(-3), types.TimeOfDay(86399999),
		[]types.Value{int32(1), nil, "x"}, m, &types.StructValue{Type: st, Vals: []types.Value{int32(1), "b"}},
	}
	ts := make([]*types.Type, len(row))
	ts[15] = st
	enc := appendRow(nil, row)
	got, rest, err := decodeRow(enc, ts)
	if err != nil || len(rest) != 0 {
		t.Fatalf("decode: %v (rest %d)", err, len(rest))
	}
	for i := range row {
		if types.Compare(row[i], got[i]) != 0 {
			t.Errorf("slot %d: %v != %v", i, row[i], got[i])
		}
	}
	if s := got[15].(*types.StructValue); s.Type != st {
		t.Error("struct type not reattached")
	}
	if got[7].(types.Dec).Scale() != 3 {
		t.Error("decimal scale lost")
	}
}

// FuzzDecodeRow: decoding arbitrary bytes (a corrupt state value or
// repartition record) returns an error, never panics; whatever decodes
// re-encodes to a row that decodes to the same values.
func FuzzDecodeRow(f *testing.F) {
	f.Add(appendRow(nil, types.Row{int32(1), "x", nil, []types.Value{3.5}}))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Add([]byte{1, tagDec, 2, 0, 200})
	f.Fuzz(func(t *testing.T, b []byte) {
		row, _, err := decodeRow(b, nil)
		if err != nil {
			return
		}
		again, _, err := decodeRow(appendRow(nil, row), nil)
		if err != nil {
			t.Fatalf("re-encoded row does not decode: %v", err)
		}
		// Decoding into an arena gives the same values.
		var ar types.Arena
		ar.Reset(len(b))
		into := make([]types.Value, len(row))
		if _, err := decodeRowInto(b, into, nil, &ar); err != nil {
			t.Fatalf("decodeRowInto refuses what decodeRow takes: %v", err)
		}
		for i := range row {
			if types.Compare(row[i], into[i]) != 0 && !(isNaN(row[i]) && isNaN(into[i])) || types.KindOf(row[i]) != types.KindOf(into[i]) {
				t.Fatalf("slot %d: decodeRowInto gave %#v, decodeRow %#v", i, into[i], row[i])
			}
		}
		for i := range row {
			if types.Compare(row[i], again[i]) != 0 {
				if f1, ok := row[i].(float64); ok && math.IsNaN(f1) {
					continue
				}
				t.Fatalf("slot %d changed: %v -> %v", i, row[i], again[i])
			}
		}
	})
}

// appendAggState writes what appendRow writes for the same row, and into
// a buffer with room, allocates nothing.
func TestAppendAggState(t *testing.T) {
	accs := []types.Value{int64(3), nil, "x", 2.5}
	for _, emitted := range []bool{false, true} {
		for _, ts := range []int64{0, -1, 1_700_000_000_123} {
			want := appendRow(nil, types.Row{accs[0], accs[1], accs[2], accs[3], ts, emitted})
			if got := appendAggState([]byte("p"), accs, ts, emitted); string(got) != "p"+string(want) {
				t.Fatalf("appendAggState(%v, %d, %v) = %x, want %x", accs, ts, emitted, got[1:], want)
			}
		}
	}
	if raceEnabled || testing.CoverMode() != "" {
		return // allocation counts are not meaningful there
	}
	buf := make([]byte, 0, 64)
	if n := testing.AllocsPerRun(100, func() { buf = appendAggState(buf[:0], accs, 42, true) }); n != 0 {
		t.Fatalf("%v allocations, want 0", n)
	}
}

func isNaN(v types.Value) bool {
	f, ok := v.(float64)
	return ok && math.IsNaN(f)
}
