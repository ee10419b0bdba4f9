package state

import (
	"bytes"
	"cmp"
	"encoding/hex"
	"errors"
	"math"
	"math/rand"
	"slices"
	"testing"
)

// Golden encodings pin the on-disk format: changing any of them
// invalidates stored state.
func TestKeyEncodingGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		got  []byte
		want string
	}{
		{"uint64 1", AppendUint64(nil, 1), "0000000000000001"},
		{"int64 0", AppendInt64(nil, 0), "8000000000000000"},
		{"int64 -1", AppendInt64(nil, -1), "7fffffffffffffff"},
		{"int64 min", AppendInt64(nil, math.MinInt64), "0000000000000000"},
		{"float64 0", AppendFloat64(nil, 0), "8000000000000000"},
		{"float64 -0", AppendFloat64(nil, math.Copysign(0, -1)), "7fffffffffffffff"},
		{"float64 1", AppendFloat64(nil, 1), "bff0000000000000"},
		{"float64 -1", AppendFloat64(nil, -1), "400fffffffffffff"},
		{"float64 NaN", AppendFloat64(nil, math.NaN()), "fff8000000000001"},
		{"bytes empty", AppendBytes(nil, nil), "0001"},
		{"bytes a\\x00b", AppendBytes(nil, []byte("a\x00b")), "6100ff620001"},
		{"string \\xff", AppendString(nil, "\xff"), "ff0001"},
		{"null", AppendNull(nil), "00"},
		{"not null int", AppendInt64(AppendNotNull(nil), 5), "018000000000000005"},
	} {
		if h := hex.EncodeToString(tc.got); h != tc.want {
			t.Errorf("%s: got %s, want %s", tc.name, h, tc.want)
		}
	}
}

func TestKeyEncodingRoundTrip(t *testing.T) {
	tail := []byte("tail")
	for _, v := range []uint64{0, 1, 255, 256, math.MaxUint32, math.MaxUint64} {
		rest, got, err := DecodeUint64(AppendUint64(nil, v))
		if err != nil || got != v || len(rest) != 0 {
			t.Errorf("uint64 %d: got %d, %v, rest %q", v, got, err, rest)
		}
	}
	for _, v := range []int64{0, 1, -1, math.MinInt64, math.MaxInt64, 1 << 40, -1 << 40} {
		rest, got, err := DecodeInt64(AppendInt64(nil, v))
		if err != nil || got != v || len(rest) != 0 {
			t.Errorf("int64 %d: got %d, %v, rest %q", v, got, err, rest)
		}
	}
	for _, v := range []float64{0, math.Copysign(0, -1), 1, -1, math.Inf(1), math.Inf(-1),
		math.MaxFloat64, -math.MaxFloat64, math.SmallestNonzeroFloat64, -math.SmallestNonzeroFloat64, 3.25} {
		rest, got, err := DecodeFloat64(append(AppendFloat64(nil, v), tail...))
		if err != nil || math.Float64bits(got) != math.Float64bits(v) || !bytes.Equal(rest, tail) {
			t.Errorf("float64 %v: got %v, %v, rest %q", v, got, err, rest)
		}
	}
	// Every NaN decodes as a NaN.
	for _, bits := range []uint64{0x7ff8000000000001, 0x7ff0000000000001, 0xfff8000000000000, 0x7fffffffffffffff} {
		_, got, err := DecodeFloat64(AppendFloat64(nil, math.Float64frombits(bits)))
		if err != nil || !math.IsNaN(got) {
			t.Errorf("NaN %x: got %v, %v", bits, got, err)
		}
	}
	for _, v := range []string{"", "a", "\x00", "\x00\x00", "\xff", "a\x00\xffb", "\x00\x01", "hello, world"} {
		enc := append(AppendString(nil, v), tail...)
		if !bytes.Equal(enc[:len(enc)-len(tail)], AppendBytes(nil, []byte(v))) {
			t.Errorf("AppendString and AppendBytes differ for %q", v)
		}
		rest, got, err := DecodeString(enc)
		if err != nil || got != v || !bytes.Equal(rest, tail) {
			t.Errorf("string %q: got %q, %v, rest %q", v, got, err, rest)
		}
		rest, gotb, err := DecodeBytes(enc)
		if err != nil || string(gotb) != v || gotb == nil || !bytes.Equal(rest, tail) {
			t.Errorf("bytes %q: got %q, %v, rest %q", v, gotb, err, rest)
		}
	}
	// DecodeBytes does not alias its input.
	enc := AppendBytes(nil, []byte("abc"))
	_, v, _ := DecodeBytes(enc)
	enc[0] = 'X'
	if string(v) != "abc" {
		t.Errorf("DecodeBytes result aliases the input: %q", v)
	}
	// NULL markers.
	key := AppendInt64(AppendNotNull(AppendNull(nil)), 7)
	if !PeekNull(key) || PeekNull(key[1:]) || PeekNull(nil) {
		t.Error("PeekNull")
	}
	rest, isNull, err := DecodeNullMarker(key)
	if err != nil || !isNull {
		t.Fatalf("first marker: %v, %v", isNull, err)
	}
	rest, isNull, err = DecodeNullMarker(rest)
	if err != nil || isNull {
		t.Fatalf("second marker: %v, %v", isNull, err)
	}
	if rest, v, err := DecodeInt64(rest); err != nil || v != 7 || len(rest) != 0 {
		t.Fatalf("value after marker: %d, %v", v, err)
	}
}

func TestKeyDecodeErrors(t *testing.T) {
	check := func(name string, err error) {
		t.Helper()
		if !errors.Is(err, ErrBadEncoding) {
			t.Errorf("%s: got %v, want ErrBadEncoding", name, err)
		}
	}
	// Every proper prefix of an encoding is truncated input.
	full := AppendUint64(nil, 42)
	for i := range len(full) {
		_, _, err := DecodeUint64(full[:i])
		check("uint64", err)
		_, _, err = DecodeInt64(full[:i])
		check("int64", err)
		_, _, err = DecodeFloat64(full[:i])
		check("float64", err)
	}
	full = AppendBytes(nil, []byte("a\x00b\x00"))
	for i := range len(full) {
		_, _, err := DecodeBytes(full[:i])
		check("bytes", err)
		_, _, err = DecodeString(full[:i])
		check("string", err)
	}
	_, _, err := DecodeBytes([]byte("a\x00\x02"))
	check("bad escape", err)
	_, _, err = DecodeNullMarker(nil)
	check("empty marker", err)
	_, _, err = DecodeNullMarker([]byte{0x02})
	check("bad marker", err)
}

func TestPrefixEnd(t *testing.T) {
	for _, tc := range []struct{ in, want []byte }{
		{nil, nil},
		{[]byte{}, nil},
		{[]byte("a"), []byte("b")},
		{[]byte("a\xff"), []byte("b")},
		{[]byte("a\xff\xff"), []byte("b")},
		{[]byte("\xff"), nil},
		{[]byte("\xff\xff"), nil},
		{[]byte("a\x00"), []byte("a\x01")},
		{[]byte("\xfe\xff"), []byte("\xff")},
	} {
		in := bytes.Clone(tc.in)
		got := PrefixEnd(in)
		if !bytes.Equal(got, tc.want) || (got == nil) != (tc.want == nil) {
			t.Errorf("PrefixEnd(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if !bytes.Equal(in, tc.in) {
			t.Errorf("PrefixEnd modified its input")
		}
	}
	// Property: every key with prefix p is < PrefixEnd(p), every other key
	// >= p is >= PrefixEnd(p).
	rng := rand.New(rand.NewSource(1))
	alphabet := []byte{0x00, 0x01, 0x7f, 0xfe, 0xff}
	randKey := func(n int) []byte {
		k := make([]byte, rng.Intn(n+1))
		for i := range k {
			k[i] = alphabet[rng.Intn(len(alphabet))]
		}
		return k
	}
	for range 20000 {
		p, k := randKey(3), randKey(5)
		end := PrefixEnd(p)
		switch {
		case bytes.HasPrefix(k, p):
			if end != nil && bytes.Compare(k, end) >= 0 {
				t.Fatalf("key %x with prefix %x is not below PrefixEnd %x", k, p, end)
			}
		case bytes.Compare(k, p) > 0:
			if end == nil || bytes.Compare(k, end) < 0 {
				t.Fatalf("key %x without prefix %x is below PrefixEnd %x", k, p, end)
			}
		}
	}
}

// tuple is a row of a composite key with columns of every encoded type.
type tuple struct {
	n    *int64 // nullable
	s    string
	f    float64
	u    uint64
	b    []byte
	null bool // a NULL string column, sorting before every string
}

func (x tuple) encode() []byte {
	var k []byte
	if x.n == nil {
		k = AppendNull(k)
	} else {
		k = AppendInt64(AppendNotNull(k), *x.n)
	}
	k = AppendString(k, x.s)
	k = AppendFloat64(k, x.f)
	k = AppendUint64(k, x.u)
	if x.null {
		k = AppendNull(k)
	} else {
		k = AppendBytes(AppendNotNull(k), x.b)
	}
	return k
}

func decodeTuple(k []byte) (tuple, error) {
	var x tuple
	rest, isNull, err := DecodeNullMarker(k)
	if err != nil {
		return x, err
	}
	if !isNull {
		var n int64
		if rest, n, err = DecodeInt64(rest); err != nil {
			return x, err
		}
		x.n = &n
	}
	if rest, x.s, err = DecodeString(rest); err != nil {
		return x, err
	}
	if rest, x.f, err = DecodeFloat64(rest); err != nil {
		return x, err
	}
	if rest, x.u, err = DecodeUint64(rest); err != nil {
		return x, err
	}
	if rest, x.null, err = DecodeNullMarker(rest); err != nil {
		return x, err
	}
	if !x.null {
		if rest, x.b, err = DecodeBytes(rest); err != nil {
			return x, err
		}
	}
	if len(rest) != 0 {
		return x, errors.New("trailing bytes")
	}
	return x, nil
}

// compareFloat is Java's Double.compare: -0 < +0, NaN above everything.
func compareFloat(a, b float64) int {
	an, bn := math.IsNaN(a), math.IsNaN(b)
	switch {
	case an && bn:
		return 0
	case an:
		return 1
	case bn:
		return -1
	case a < b:
		return -1
	case a > b:
		return 1
	case a == 0 && b == 0:
		return cmp.Compare(boolInt(!math.Signbit(a)), boolInt(!math.Signbit(b)))
	}
	return 0
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func compareTuple(x, y tuple) int {
	switch {
	case x.n == nil && y.n != nil:
		return -1
	case x.n != nil && y.n == nil:
		return 1
	case x.n != nil:
		if c := cmp.Compare(*x.n, *y.n); c != 0 {
			return c
		}
	}
	if c := cmp.Compare(x.s, y.s); c != 0 {
		return c
	}
	if c := compareFloat(x.f, y.f); c != 0 {
		return c
	}
	if c := cmp.Compare(x.u, y.u); c != 0 {
		return c
	}
	if x.null || y.null {
		return cmp.Compare(boolInt(!x.null), boolInt(!y.null))
	}
	return bytes.Compare(x.b, y.b)
}

// randTuple draws values from small domains full of edge cases, so that
// many pairs tie on leading columns and the later columns get compared.
func randTuple(rng *rand.Rand) tuple {
	ints := []int64{math.MinInt64, math.MinInt64 + 1, -256, -1, 0, 1, 255, 256, math.MaxInt64}
	floats := []float64{math.Inf(-1), -math.MaxFloat64, -1.5, -math.SmallestNonzeroFloat64,
		math.Copysign(0, -1), 0, math.SmallestNonzeroFloat64, 1, 1.5, math.MaxFloat64, math.Inf(1), math.NaN()}
	uints := []uint64{0, 1, 255, 256, 1 << 63, math.MaxUint64}
	alphabet := []byte{0x00, 0x01, 'a', 'b', 0xfe, 0xff}
	randBytes := func() []byte {
		b := make([]byte, rng.Intn(4))
		for i := range b {
			b[i] = alphabet[rng.Intn(len(alphabet))]
		}
		return b
	}
	var x tuple
	if rng.Intn(4) != 0 {
		n := ints[rng.Intn(len(ints))]
		if rng.Intn(3) == 0 {
			n = rng.Int63() - rng.Int63()
		}
		x.n = &n
	}
	x.s = string(randBytes())
	x.f = floats[rng.Intn(len(floats))]
	if rng.Intn(3) == 0 {
		x.f = rng.NormFloat64() * 1e6
	}
	x.u = uints[rng.Intn(len(uints))]
	if rng.Intn(3) == 0 {
		x.u = rng.Uint64()
	}
	x.null = rng.Intn(5) == 0
	if !x.null {
		x.b = randBytes()
	}
	return x
}

// TestKeyEncodingPreservesTupleOrder is the central property: for random
// tuples, bytes.Compare of the encodings agrees with the tuple order, and
// the encodings decode back to the tuples.
func TestKeyEncodingPreservesTupleOrder(t *testing.T) {
	rng := rand.New(rand.NewSource(42))
	const n = 3000
	tuples := make([]tuple, n)
	keys := make([][]byte, n)
	for i := range tuples {
		tuples[i] = randTuple(rng)
		keys[i] = tuples[i].encode()
		got, err := decodeTuple(keys[i])
		if err != nil {
			t.Fatalf("decode %x: %v", keys[i], err)
		}
		if compareTuple(got, tuples[i]) != 0 {
			t.Fatalf("round trip: got %+v, want %+v", got, tuples[i])
		}
	}
	// Pairwise agreement on random pairs (ties included).
	ties := 0
	for range 200000 {
		i, j := rng.Intn(n), rng.Intn(n)
		want := compareTuple(tuples[i], tuples[j])
		if got := bytes.Compare(keys[i], keys[j]); got != want {
			t.Fatalf("order mismatch:\n%+v\n%+v\ntuple compare %d, key compare %d\n%x\n%x",
				tuples[i], tuples[j], want, got, keys[i], keys[j])
		}
		if want == 0 && i != j {
			ties++
		}
	}
	if ties == 0 {
		t.Log("no ties drawn; the generator domains may be too large")
	}
	// Sorting the keys sorts the tuples.
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return bytes.Compare(keys[a], keys[b]) })
	for i := 1; i < n; i++ {
		if compareTuple(tuples[idx[i-1]], tuples[idx[i]]) > 0 {
			t.Fatalf("key order puts %+v before %+v", tuples[idx[i-1]], tuples[idx[i]])
		}
	}
}

// TestScalarOrderProperty checks each scalar encoding on random values
// drawn from its whole domain.
func TestScalarOrderProperty(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	for range 100000 {
		a, b := rng.Int63()-rng.Int63(), rng.Int63()-rng.Int63()
		if got, want := bytes.Compare(AppendInt64(nil, a), AppendInt64(nil, b)), cmp.Compare(a, b); got != want {
			t.Fatalf("int64 %d vs %d: %d, want %d", a, b, got, want)
		}
		ua, ub := rng.Uint64(), rng.Uint64()
		if got, want := bytes.Compare(AppendUint64(nil, ua), AppendUint64(nil, ub)), cmp.Compare(ua, ub); got != want {
			t.Fatalf("uint64 %d vs %d: %d, want %d", ua, ub, got, want)
		}
		// Random bit patterns cover subnormals, infinities and NaNs.
		fa, fb := math.Float64frombits(rng.Uint64()), math.Float64frombits(rng.Uint64())
		if got, want := bytes.Compare(AppendFloat64(nil, fa), AppendFloat64(nil, fb)), compareFloat(fa, fb); got != want {
			t.Fatalf("float64 %v vs %v: %d, want %d", fa, fb, got, want)
		}
	}
}

func checkDecoded(t *testing.T, in, rest, reenc []byte) {
	t.Helper()
	consumed := in[:len(in)-len(rest)]
	if !bytes.Equal(rest, in[len(consumed):]) {
		t.Fatalf("rest %x is not a suffix of the input %x", rest, in)
	}
	if !bytes.Equal(consumed, reenc) {
		t.Fatalf("non-canonical decode: consumed %x, re-encoded %x", consumed, reenc)
	}
}

func FuzzDecodeUint64(f *testing.F) {
	f.Add(AppendUint64(nil, 1))
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, in []byte) {
		rest, v, err := DecodeUint64(in)
		if err == nil {
			checkDecoded(t, in, rest, AppendUint64(nil, v))
		}
	})
}

func FuzzDecodeInt64(f *testing.F) {
	f.Add(AppendInt64(nil, -1))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, in []byte) {
		rest, v, err := DecodeInt64(in)
		if err == nil {
			checkDecoded(t, in, rest, AppendInt64(nil, v))
		}
	})
}

func FuzzDecodeFloat64(f *testing.F) {
	f.Add(AppendFloat64(nil, -1.5))
	f.Add(AppendFloat64(nil, math.NaN()))
	f.Fuzz(func(t *testing.T, in []byte) {
		rest, v, err := DecodeFloat64(in)
		if err == nil && !math.IsNaN(v) { // NaN payloads are canonicalized
			checkDecoded(t, in, rest, AppendFloat64(nil, v))
		}
	})
}

func FuzzDecodeBytes(f *testing.F) {
	f.Add(AppendBytes(nil, []byte("a\x00b")))
	f.Add([]byte{0x00})
	f.Add([]byte{0x00, 0x02})
	f.Fuzz(func(t *testing.T, in []byte) {
		rest, v, err := DecodeBytes(in)
		if err == nil {
			checkDecoded(t, in, rest, AppendBytes(nil, v))
		}
	})
}

func FuzzDecodeString(f *testing.F) {
	f.Add(AppendString(nil, "héllo\x00"))
	f.Add([]byte("no terminator"))
	f.Fuzz(func(t *testing.T, in []byte) {
		rest, v, err := DecodeString(in)
		if err == nil {
			checkDecoded(t, in, rest, AppendString(nil, v))
		}
	})
}

func FuzzDecodeNullMarker(f *testing.F) {
	f.Add(AppendNull(nil))
	f.Add(AppendInt64(AppendNotNull(nil), 3))
	f.Add([]byte{0x05})
	f.Fuzz(func(t *testing.T, in []byte) {
		peek := PeekNull(in)
		rest, isNull, err := DecodeNullMarker(in)
		if err != nil {
			if peek {
				t.Fatal("PeekNull true but the marker does not decode")
			}
			return
		}
		if peek != isNull {
			t.Fatalf("PeekNull %v, DecodeNullMarker %v", peek, isNull)
		}
		marker := AppendNotNull(nil)
		if isNull {
			marker = AppendNull(nil)
		}
		checkDecoded(t, in, rest, marker)
	})
}

// FuzzKeyTuple decodes arbitrary input as a whole composite key; it must
// never panic, and whatever decodes must re-encode to the same key.
func FuzzKeyTuple(f *testing.F) {
	rng := rand.New(rand.NewSource(3))
	for range 8 {
		f.Add(randTuple(rng).encode())
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		x, err := decodeTuple(in)
		if err != nil || math.IsNaN(x.f) {
			return
		}
		if !bytes.Equal(x.encode(), in) {
			t.Fatalf("tuple %+v re-encodes to %x, not %x", x, x.encode(), in)
		}
	})
}
