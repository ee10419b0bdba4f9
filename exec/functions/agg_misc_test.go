package functions

import (
	"math"
	"testing"

	"github.com/ksqlgo/ksql/sql/types"
)

func ntMap(kv ...types.Value) *types.MapValue {
	m := &types.MapValue{}
	for i := 0; i < len(kv); i += 2 {
		m.Keys = append(m.Keys, kv[i])
		m.Vals = append(m.Vals, kv[i+1])
	}
	return m
}

// From qtt/histogram.json, plus retraction.
func TestAggHistogram(t *testing.T) {
	h := ntResolveAgg(t, "HISTOGRAM", ntArg(ntStr))
	if h.ret.String() != "MAP<STRING, BIGINT>" {
		t.Fatalf("return %s", h.ret)
	}
	ntRunAgg(t, h, []ntStep{
		{in: ntList("baz"), want: ntMap("baz", int64(1))},
		{in: ntList("baz"), want: ntMap("baz", int64(2))},
		{in: ntList("foo"), want: ntMap("baz", int64(2), "foo", int64(1))},
		{in: ntList(nil), want: ntMap("baz", int64(2), "foo", int64(1))},
		{in: ntList("baz"), undo: true, want: ntMap("baz", int64(1), "foo", int64(1))},
		{in: ntList("foo"), undo: true, want: ntMap("baz", int64(1))},
		{in: ntList("zzz"), undo: true, want: ntMap("baz", int64(1))},
	})
	x := ntRunAgg(t, h, []ntStep{{in: ntList("a"), want: ntMap("a", int64(1))}})
	y := ntRunAgg(t, h, []ntStep{{in: ntList("a"), want: ntMap("a", int64(1))}, {in: ntList("b"), want: ntMap("a", int64(1), "b", int64(1))}})
	if got := h.result(t, h.merge(t, x, y)); !ntDeepEqual(got, ntMap("a", int64(2), "b", int64(1))) {
		t.Errorf("merge = %s", types.String(got))
	}
	acc := h.impl.Init()
	for i := 0; i < 1005; i++ {
		acc = h.add(t, acc, types.String(int64(i)))
	}
	acc = h.add(t, acc, "0")
	m := h.result(t, acc).(*types.MapValue)
	if v, _ := m.Get("0"); m.Len() != 1000 || v != int64(2) {
		t.Errorf("limit: %d entries, count of 0 = %v", m.Len(), v)
	}
	if _, err := ntRegistry().ResolveAggregate("HISTOGRAM", ntArgs(ntI32)); err == nil {
		t.Errorf("HISTOGRAM(INTEGER) should not resolve")
	}
}

// From qtt/attr.json.
func TestAggAttr(t *testing.T) {
	s := ntResolveAgg(t, "ATTR", ntArg(ntStr))
	ntRunAgg(t, s, []ntStep{{in: ntList("s"), want: "s"}, {in: ntList("s"), want: "s"}})
	ntRunAgg(t, s, []ntStep{{in: ntList(nil), want: nil}, {in: ntList(nil), want: nil}})
	ntRunAgg(t, s, []ntStep{{in: ntList("1"), want: "1"}, {in: ntList("2"), want: nil}, {in: ntList("3"), want: nil}})
	ntRunAgg(t, s, []ntStep{{in: ntList(nil), want: nil}, {in: ntList("2"), want: nil}, {in: ntList("2"), want: nil}})
	// Retraction restores a unique value.
	ntRunAgg(t, s, []ntStep{
		{in: ntList("1"), want: "1"}, {in: ntList("2"), want: nil},
		{in: ntList("1"), undo: true, want: "2"}, {in: ntList("2"), undo: true, want: nil},
		{in: ntList("2"), undo: true, want: nil}, {in: ntList("3"), want: "3"},
	})
	st := types.StructOf(types.Field{Name: "A", Type: ntStr}, types.Field{Name: "B", Type: ntI32})
	sv := &types.StructValue{Type: st, Vals: ntList("a", int32(1))}
	a := ntResolveAgg(t, "ATTR", ntArg(st))
	if !a.ret.Equal(st) {
		t.Errorf("return %s", a.ret)
	}
	ntRunAgg(t, a, []ntStep{{in: ntList(sv), want: sv}, {in: ntList(&types.StructValue{Type: st, Vals: ntList("a", int32(1))}), want: sv}})
	l := ntResolveAgg(t, "ATTR", ntArg(types.ArrayOf(ntI32)))
	arr := ntList(int32(1), int32(2), int32(3))
	ntRunAgg(t, l, []ntStep{{in: ntList(arr), want: arr}, {in: ntList(arr), want: arr}})
	x := ntRunAgg(t, s, []ntStep{{in: ntList("a"), want: "a"}})
	y := ntRunAgg(t, s, []ntStep{{in: ntList("a"), want: "a"}})
	if got := s.result(t, s.merge(t, x, y)); got != "a" {
		t.Errorf("merge = %v", got)
	}
	z := ntRunAgg(t, s, []ntStep{{in: ntList("b"), want: "b"}})
	if got := s.result(t, s.merge(t, x, z)); got != nil {
		t.Errorf("merge of different values = %v", got)
	}
}

// From qtt/sum.json "sum list" cases.
func TestAggSumList(t *testing.T) {
	d := ntResolveAgg(t, "SUM_LIST", ntArg(types.ArrayOf(ntF64)))
	if d.ret.String() != "DOUBLE" {
		t.Errorf("return %s", d.ret)
	}
	ntRunAgg(t, d, []ntStep{
		{in: ntList(ntList(1.0, 1.0)), want: 2.0},
		{in: ntList(ntList(2.0, 2.0)), want: 6.0},
		{in: ntList(ntList(922337203685.0, 1.0)), want: 922337203692.0},
		{in: ntList(ntList(1.0, 1.0, nil)), want: 922337203694.0},
		{in: ntList(nil), want: 922337203694.0},
		{in: ntList(ntList(2.0, 2.0)), undo: true, want: 922337203690.0},
	})
	for _, c := range []struct {
		elem   *types.Type
		vals   []types.Value
		want   []types.Value
		merged types.Value
	}{
		{ntI32, ntList(int32(1), int32(2), int32(100), int32(100)), ntList(int32(2), int32(6), int32(206), int32(406)), int32(812)},
		{ntI64, ntList(int64(1), int64(2), int64(100), int64(100)), ntList(int64(2), int64(6), int64(206), int64(406)), int64(812)},
	} {
		a := ntResolveAgg(t, "SUM_LIST", ntArg(types.ArrayOf(c.elem)))
		if !a.ret.Equal(c.elem) {
			t.Errorf("return %s", a.ret)
		}
		steps := []ntStep{}
		for i, v := range c.vals {
			in := ntList(v, v)
			if i == 3 {
				in = ntList(v, v, nil)
			}
			steps = append(steps, ntStep{in: ntList(in), want: c.want[i]})
		}
		acc := ntRunAgg(t, a, steps)
		if got := a.result(t, a.merge(t, acc, acc)); !ntEqual(got, c.merged) {
			t.Errorf("merge = %v", got)
		}
	}
	// INTEGER sums wrap like Java ints.
	i := ntResolveAgg(t, "SUM_LIST", ntArg(types.ArrayOf(ntI32)))
	ntRunAgg(t, i, []ntStep{{in: ntList(ntList(int32(math.MaxInt32), int32(1))), want: int32(math.MinInt32)}})
	if _, err := ntRegistry().ResolveAggregate("SUM_LIST", ntArgs(types.ArrayOf(ntStr))); err == nil {
		t.Errorf("SUM_LIST(ARRAY<STRING>) should not resolve")
	}
}

// From qtt/standarddeviation.json.
func TestAggStddev(t *testing.T) {
	type seq struct {
		typ  *types.Type
		in   []types.Value
		want []float64
	}
	run := func(name string, seqs []seq) {
		for _, s := range seqs {
			a := ntResolveAgg(t, name, ntArg(s.typ))
			if a.ret.String() != "DOUBLE" {
				t.Errorf("%s return %s", name, a.ret)
			}
			acc := a.impl.Init()
			for i, v := range s.in {
				acc = a.add(t, acc, v)
				if got := a.result(t, acc); got != s.want[i] {
					t.Errorf("%s(%s) after %v: %v, want %v", name, s.typ, s.in[:i+1], got, s.want[i])
				}
			}
		}
	}
	run("STDDEV_SAMPLE", []seq{
		{ntI32, ntList(int32(0), int32(10), int32(7), int32(6)), []float64{0, 7.0710678118654755, 5.131601439446884, 4.193248541803041}},
		{ntI32, ntList(int32(50), int32(10), int32(3), nil), []float64{0, 28.284271247461902, 25.357444666211933, 25.357444666211933}},
		{ntF64, ntList(-1.8, 2.3, 100.2, nil), []float64{0, 2.899137802864845, 57.74256084841869, 57.74256084841869}},
		{ntF64, ntList(9223372036854.775, 300.8, -200000.6, 0.0), []float64{0, 6521908912453.693, 5325116385962.54, 4611686051710.689}},
		{ntF64, ntList(10.0, 12.0, 13.0, 14.0, 16.0), []float64{0, 1.4142135623730951, 1.5275252316519465, 1.707825127659933, 2.23606797749979}},
	})
	run("STDDEV_SAMP", []seq{
		{ntI32, ntList(int32(0), int32(10), int32(7), int32(6)), []float64{0, 50, 26.333333333333332, 17.583333333333332}},
		{ntI32, ntList(int32(50), int32(10), int32(3), nil), []float64{0, 800, 643, 643}},
		{ntI64, ntList(int64(2147483648), int64(100), int64(-2), nil), []float64{0, 2.3058427944653343e+18, 1.5372286026580004e+18, 1.5372286026580004e+18}},
		{ntI64, ntList(int64(500), int64(100), int64(0), int64(-6)), []float64{0, 80000, 70000, 57275.666666666664}},
		{ntF64, ntList(-1.8, 2.3, 100.2, nil), []float64{0, 8.405, 3334.2033333333347, 3334.2033333333347}},
		{ntF64, ntList(9223372036854.775, 300.8, -200000.6, 0.0), []float64{0, 4.253529586234292e+25, 2.835686452404674e+25, 2.1267648239542927e+25}},
		{ntF64, ntList(10.0, 12.0, 13.0, 14.0, 16.0), []float64{0, 2, 2.333333333333333, 2.9166666666666665, 5}},
	})

	// Retraction and merging agree with recomputation.
	for _, name := range []string{"STDDEV_SAMPLE", "STDDEV_SAMP"} {
		a := ntResolveAgg(t, name, ntArg(ntI64))
		acc := a.impl.Init()
		for _, v := range []int64{4, 8, 15, 16} {
			acc = a.add(t, acc, v)
		}
		acc = a.undo(t, acc, int64(15))
		ref := a.impl.Init()
		for _, v := range []int64{4, 8, 16} {
			ref = a.add(t, ref, v)
		}
		if got, want := a.result(t, acc).(float64), a.result(t, ref).(float64); !ntClose(got, want) {
			t.Errorf("%s undo: %v, want %v", name, got, want)
		}
		x, y := a.impl.Init(), a.impl.Init()
		x = a.add(t, a.add(t, x, int64(4)), int64(8))
		y = a.add(t, a.add(t, y, int64(16)), int64(24))
		all := a.impl.Init()
		for _, v := range []int64{4, 8, 16, 24} {
			all = a.add(t, all, v)
		}
		if got, want := a.result(t, a.merge(t, x, y)).(float64), a.result(t, all).(float64); !ntClose(got, want) {
			t.Errorf("%s merge: %v, want %v", name, got, want)
		}
	}
	dec := ntResolveAgg(t, "STDDEV_SAMPLE", ntArg(types.DecimalOf(4, 1)))
	acc := dec.add(t, dec.add(t, dec.impl.Init(), ntDec("1.0")), ntDec("3.0"))
	if got := dec.result(t, acc); got != math.Sqrt2 {
		t.Errorf("STDDEV_SAMPLE(DECIMAL) = %v", got)
	}
	if _, err := ntRegistry().ResolveAggregate("STDDEV_SAMP", ntArgs(ntStr)); err == nil {
		t.Errorf("STDDEV_SAMP(STRING) should not resolve")
	}
}

// From qtt/correlation-udaf.json.
func TestAggCorrelation(t *testing.T) {
	a := ntResolveAgg(t, "CORRELATION", ntArg(ntI32), ntArg(ntI32))
	if a.ret.String() != "DOUBLE" {
		t.Errorf("return %s", a.ret)
	}
	nan := math.NaN()
	ntRunAgg(t, a, []ntStep{
		{in: ntList(int32(1), int32(8)), want: nan},
		{in: ntList(int32(-1), int32(-2)), want: 1.0},
		{in: ntList(int32(-4), int32(-1)), want: 0.7455284088780169},
		{in: ntList(nil, int32(-6)), want: 0.7455284088780169},
		{in: ntList(int32(-4), int32(-1)), undo: true, want: 1.0},
	})
	ntRunAgg(t, a, []ntStep{
		{in: ntList(int32(-3), int32(-2)), want: nan},
		{in: ntList(int32(13), nil), want: nan},
		{in: ntList(int32(3), int32(11)), want: 1.0},
	})
	d := ntResolveAgg(t, "CORRELATION", ntArg(ntF64), ntArg(ntF64))
	x := d.add(t, d.add(t, d.impl.Init(), 1.0, 8.0), -1.0, -2.0)
	y := d.add(t, d.impl.Init(), -4.0, -1.0)
	if got := d.result(t, d.merge(t, x, y)); got != 0.7455284088780169 {
		t.Errorf("merge = %v", got)
	}
	if _, err := ntRegistry().ResolveAggregate("CORRELATION", ntArgs(ntStr, ntF64)); err == nil {
		t.Errorf("CORRELATION(STRING, DOUBLE) should not resolve")
	}
}
