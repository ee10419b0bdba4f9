package types

import (
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"unsafe"
)

func TestArenaValuesAreOrdinaryValues(t *testing.T) {
	var a Arena
	a.Reset(64)
	d, _ := ParseDec("-123.456")
	got := []Value{
		a.Int64(1 << 40), a.Int64(-7), a.Int64(200), a.Int32(70000), a.Int32(-1),
		a.Float64(2.5), a.Timestamp(1_700_000_000_000), a.Dec(d),
		a.StringValue([]byte("héllo")), a.StringValue(nil), a.String([]byte("plain")),
		a.AppendStringValue(10, []byte("ABC"), func(dst, src []byte) []byte {
			return append(dst, strings.ToLower(string(src))...)
		}),
	}
	want := []Value{
		int64(1 << 40), int64(-7), int64(200), int32(70000), int32(-1),
		2.5, Timestamp(1_700_000_000_000), d,
		"héllo", "", "plain", "abc",
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%d: %#v != %#v", i, got[i], want[i])
		}
		if reflect.TypeOf(got[i]) != reflect.TypeOf(want[i]) || !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("%d: reflect sees %T %v, want %T %v", i, got[i], got[i], want[i], want[i])
		}
		if fmt.Sprint(got[i]) != fmt.Sprint(want[i]) {
			t.Errorf("%d: prints %v, want %v", i, got[i], want[i])
		}
		if Compare(got[i], want[i]) != 0 {
			t.Errorf("%d: Compare says different", i)
		}
	}
	if s, ok := got[8].(string); !ok || s != "héllo" {
		t.Errorf("type switch: %v %v", s, ok)
	}
	m := map[Value]int{got[0]: 1}
	if m[int64(1<<40)] != 1 {
		t.Error("a boxed value does not hash like a plain one")
	}
	var nilArena *Arena
	if nilArena.Int64(1<<40) != int64(1<<40) || nilArena.StringValue([]byte("x")) != "x" {
		t.Error("a nil arena boxes as Go does")
	}
}

// Values outlive their arena's reuse and survive collections: each
// record's values are checked after many collections and many later
// records (a chunk freed too early would show as corrupted values).
func TestArenaValuesSurviveCollections(t *testing.T) {
	var a Arena
	type rec struct {
		n Value
		s Value
		f Value
	}
	kept := make([]rec, 0, 2000)
	for i := 0; i < 20000; i++ {
		a.Reset(48)
		r := rec{
			n: a.Int64(int64(i) << 20),
			s: a.StringValue([]byte(fmt.Sprintf("record-%d-%s", i, strings.Repeat("x", i%40)))),
			f: a.Float64(float64(i) + 0.5),
		}
		if i%10 == 0 {
			kept = append(kept, r)
		}
		if i%1000 == 0 {
			runtime.GC()
		}
	}
	runtime.GC()
	for j, r := range kept {
		i := j * 10
		if r.n != int64(i)<<20 || r.f != float64(i)+0.5 ||
			r.s != fmt.Sprintf("record-%d-%s", i, strings.Repeat("x", i%40)) {
			t.Fatalf("record %d corrupted: %v %v %v", i, r.n, r.s, r.f)
		}
	}
}

func TestArenaStringFillBound(t *testing.T) {
	var a Arena
	a.Reset(16)
	defer func() {
		if recover() == nil {
			t.Fatal("a fill that writes past its bound must panic")
		}
	}()
	a.AppendStringValue(2, []byte("abcdef"), appendBytes)
}

func TestArenaAllocatesOncePerRecord(t *testing.T) {
	if raceEnabled || testing.CoverMode() != "" {
		t.Skip("allocation counts are not meaningful under the race detector or coverage")
	}
	var a Arena
	row := make([]Value, 6)
	text := []byte("https://www.nexmark.com/item.htm?query=1")
	n := testing.AllocsPerRun(1000, func() {
		a.Reset(len(text) + 6*24)
		row[0] = a.Int64(1_000_123)
		row[1] = a.Int64(2_000_456)
		row[2] = a.Float64(3.25)
		row[3] = a.StringValue(text)
		row[4] = a.StringValue(text[:6])
		row[5] = a.Timestamp(1_700_000_000_000)
	})
	if n != 1 {
		t.Fatalf("%v allocations for one record's values, want 1", n)
	}
}

func dataWord(v Value) unsafe.Pointer { return (*eface)(unsafe.Pointer(&v)).data }

func TestDetachLeavesTheArena(t *testing.T) {
	var a Arena
	a.Reset(256)
	d, _ := ParseDec("12.34")
	for _, v := range []Value{a.Int64(1 << 40), a.Int32(1 << 20), a.Float64(1.5), a.Timestamp(1 << 41), a.Dec(d), a.StringValue([]byte("a key"))} {
		got := Detach(v)
		if got != v {
			t.Fatalf("Detach(%v) = %v", v, got)
		}
		if dataWord(got) == dataWord(v) {
			t.Fatalf("Detach(%T %v) kept the arena's memory", v, v)
		}
		if s, ok := got.(string); ok && unsafe.StringData(s) == unsafe.StringData(v.(string)) {
			t.Fatal("a detached string shares its bytes with the arena")
		}
	}
	row := DetachRow(Row{a.Int64(1 << 33), nil, true})
	if row[0] != int64(1<<33) || row[1] != nil || row[2] != true {
		t.Fatal(row)
	}
}
