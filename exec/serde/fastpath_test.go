package serde

import (
	"math"
	"math/rand"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/ksqlgo/ksql/sql/types"
)

// The JSON decoder's fast paths (field names guessed from the bytes,
// integers read in one pass, ...) must give exactly what the general path
// gives: the same values, the same errors. These tests decode the same
// documents both ways (jsonCodec.slow turns the fast paths off).

// slowCodec is c with the fast paths turned off.
func slowCodec(c Codec) Codec {
	j := *c.(*jsonCodec)
	j.slow = true
	return &j
}

// checkFastMatchesSlow decodes data with c and with its slow twin, every
// column and then only those in need, and fails when they differ.
func checkFastMatchesSlow(t *testing.T, c, slow Codec, data []byte, need []bool) {
	t.Helper()
	n := numCols(c)
	for _, nd := range [][]bool{nil, need} {
		got := make([]types.Value, n)
		want := make([]types.Value, n)
		var ar1, ar2 types.Arena
		ar1.Reset(16)
		ar2.Reset(16)
		gotErr := c.(*jsonCodec).DecodeColumns(data, got, &ar1, nd)
		wantErr := slow.(*jsonCodec).DecodeColumns(data, want, &ar2, nd)
		if (gotErr == nil) != (wantErr == nil) || (gotErr != nil && gotErr.Error() != wantErr.Error()) {
			t.Fatalf("%q need %v: fast path error %v, general path %v", data, nd, gotErr, wantErr)
		}
		if gotErr == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("%q need %v: fast path %s, general path %s", data, nd, showRow(got), showRow(want))
		}
	}
}

// fastPathCodecs: the Nexmark bid, names that are not all upper case (a
// quoted identifier), every integer-like type, names of 7, 8 and 9+ bytes
// (the guess compares 8-byte words, the closing quote included), names
// that collide under upper-casing (no guessing), a nested struct.
func fastPathCodecs(t testing.TB) []Codec {
	nested := types.StructOf(
		types.Field{Name: "X", Type: bigT},
		types.Field{Name: "yy", Type: intT},
		types.Field{Name: "Z", Type: types.StructOf(types.Field{Name: "Q", Type: tsT})},
	)
	return []Codec{
		mustNew(t, "JSON", bidCols, Options{}),
		mustNew(t, "JSON", cols(col("AUCTION", tsT), col("bidder", intT), col("Price", bigT), col("DATETIME", dateT),
			col("A_B-C.D 1", timeT), col("EXTRALONGNAMEXX", dblT), col("É", bigT), col("S", strT), col("DEC", types.DecimalOf(20, 2))), Options{}),
		mustNew(t, "JSON", cols(col("ABCDEFG", bigT), col("ABCDEFGH", intT), col("ABCDEFGHIJKLMNO", strT), col("ABCDEFGHIJKLMNOP", tsT), col("", bigT)), Options{}),
		mustNew(t, "JSON", cols(col("A", bigT), col("a", intT), col("B", strT)), Options{}),
		// Names whose bytes, written raw in a key, are an escape or invalid.
		mustNew(t, "JSON", cols(col(`A\nB`, bigT), col("C\x01", bigT), col(`Q"`, bigT), col(`\`, bigT), col("R", bigT)), Options{}),
		mustNew(t, "JSON", cols(col("ST", nested), col("N", bigT), col("ARR", types.ArrayOf(bigT)), col("M", types.MapOf(strT, intT))), Options{}),
		mustNew(t, "JSON", cols(col("V", bigT)), unwrap),
		mustNew(t, "JSON", cols(col("V", intT)), unwrap),
		mustNew(t, "JSON", cols(col("V", tsT)), unwrap),
	}
}

// jsonGen writes random, mostly valid JSON documents for a codec's
// columns, with the spellings that matter to the fast paths.
type jsonGen struct {
	r     *rand.Rand
	names []string
	b     []byte
}

func (g *jsonGen) ws() {
	if g.r.Intn(4) == 0 {
		g.b = append(g.b, []string{" ", "\n", "\t", "\r\n  ", "  "}[g.r.Intn(5)]...)
	}
}

// key writes a spelling of one of the names, or some other key.
func (g *jsonGen) key() {
	name := "other"
	if len(g.names) > 0 {
		name = g.names[g.r.Intn(len(g.names))]
	}
	switch g.r.Intn(14) {
	case 0:
		name = strings.ToUpper(name)
	case 1, 2:
		name = strings.ToLower(name)
	case 3: // mixed case
		b := []byte(name)
		for i := range b {
			if g.r.Intn(2) == 0 && b[i] >= 'A' && b[i] <= 'Z' {
				b[i] += 'a' - 'A'
			}
		}
		name = string(b)
	case 4: // an escape in the key: the same name for the general path
		if name != "" {
			g.b = append(g.b, '"')
			g.b = append(g.b, `\u00`+strconv.FormatInt(int64(name[0]), 16)...)
			g.b = append(g.b, name[1:]...)
			g.b = append(g.b, '"')
			return
		}
	case 5: // a prefix, or the name run on
		if name != "" {
			name = name[:g.r.Intn(len(name))]
		} else {
			name = "x"
		}
	case 6:
		name += []string{"X", "x", "_", " ", "é", `\"`, `\\`, "\x01"}[g.r.Intn(8)]
	case 7: // Unicode case folding: "ſ" upper-cases to "S", "ı" to "I"
		name = strings.NewReplacer("S", "ſ", "s", "ſ", "I", "ı", "i", "ı").Replace(name)
	case 8:
		name = []string{"", "zz", "AUCTIONS", "auctio", "\u00e9", "É"}[g.r.Intn(6)]
	}
	g.b = append(g.b, '"')
	g.b = append(g.b, name...)
	if g.r.Intn(60) != 0 { // sometimes unterminated
		g.b = append(g.b, '"')
	}
}

var numberTexts = []string{
	"0", "-0", "1", "-1", "7", "255", "256", "-256", "12345", "1700000000000", "-1700000000000",
	"2147483647", "2147483648", "-2147483648", "-2147483649", "4294967296",
	"99999999999999999", "999999999999999999", "-999999999999999999", "1000000000000000000",
	"9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
	"18446744073709551615", "18446744073709551616", "123456789012345678901234567890",
	"1.5", "-0.0", "0.0", "1e3", "1E3", "1e+3", "1e-3", "-1.25e2", "12.50", "1.0", "1e400", "1e999999999", "1e9999999999",
	"01", "00", "-01", "-", "--1", "1.", "1.e3", "1e", "1e+", ".5", "+1", "0x10", "1x", "1-", "1.5.5", "Infinity", "NaN",
}

func (g *jsonGen) number() {
	if g.r.Intn(3) == 0 { // random digits, up to 21 of them
		if g.r.Intn(2) == 0 {
			g.b = append(g.b, '-')
		}
		n := 1 + g.r.Intn(21)
		for i := 0; i < n; i++ {
			c := byte('0' + g.r.Intn(10))
			if i == 0 && c == '0' && n > 1 {
				c = '1'
			}
			g.b = append(g.b, c)
		}
		return
	}
	g.b = append(g.b, numberTexts[g.r.Intn(len(numberTexts))]...)
}

func (g *jsonGen) value(depth int) {
	switch k := g.r.Intn(20); {
	case k < 8:
		g.number()
	case k < 11:
		g.b = append(g.b, []string{
			`"x"`, `""`, `"12"`, `"-0"`, `"1e3"`, `"é\u00e9\n"`, `"a\"b\\"`, `"\ud83d\ude00"`, `"\ud800"`, "\"\xff\"", `"1700000000000"`, `" 1"`,
		}[g.r.Intn(12)]...)
	case k < 13:
		g.b = append(g.b, []string{"null", "true", "false", "nul", "truex"}[g.r.Intn(5)]...)
	case k < 15 && depth < 3:
		g.b = append(g.b, '[')
		for i := g.r.Intn(3); i > 0; i-- {
			g.ws()
			g.value(depth + 1)
			g.ws()
			if i > 1 {
				g.b = append(g.b, ',')
			}
		}
		g.b = append(g.b, ']')
	case depth < 3:
		g.object(depth + 1)
	default:
		g.number()
	}
}

func (g *jsonGen) object(depth int) {
	g.b = append(g.b, '{')
	n := g.r.Intn(len(g.names) + 3)
	for i := 0; i < n; i++ {
		g.ws()
		g.key()
		g.ws()
		if g.r.Intn(80) != 0 {
			g.b = append(g.b, ':')
		}
		g.ws()
		g.value(depth)
		g.ws()
		if i < n-1 {
			g.b = append(g.b, ',')
		}
	}
	g.b = append(g.b, '}')
}

// doc writes a document: usually the names in order, in the spellings a
// producer would use, with random keys, values and damage otherwise.
func (g *jsonGen) doc(c Codec) []byte {
	g.b = g.b[:0]
	jc := c.(*jsonCodec)
	if !jc.wrapped {
		g.ws()
		g.value(0)
		g.ws()
	} else if g.r.Intn(2) == 0 {
		g.object(0)
	} else {
		// In order, exact or lower-case names, the values the columns'
		// types want, sometimes a field out of order or missing.
		g.b = append(g.b, '{')
		lower := g.r.Intn(2) == 0
		for i, name := range g.names {
			if g.r.Intn(10) == 0 {
				continue
			}
			if len(g.b) > 1 {
				g.b = append(g.b, ',')
			}
			g.ws()
			if g.r.Intn(10) == 0 {
				g.key()
			} else {
				if lower {
					name = strings.ToLower(name)
				}
				g.b = strconv.AppendQuote(g.b, name)
			}
			g.ws()
			g.b = append(g.b, ':')
			g.ws()
			switch jc.cols[i].Type.Kind {
			case types.KindString:
				g.b = append(g.b, `"https://www.nexmark.com/abc/def/item.htm?query=1"`...)
			case types.KindStruct, types.KindArray, types.KindMap:
				g.value(0)
			default:
				g.number()
			}
			g.ws()
		}
		g.b = append(g.b, '}')
	}
	switch g.r.Intn(10) {
	case 0: // truncated
		g.b = g.b[:g.r.Intn(len(g.b)+1)]
	case 1: // one byte changed
		if len(g.b) > 0 {
			const damage = "\"\\:,{}[]0-e. aA\x00\xc3"
			g.b[g.r.Intn(len(g.b))] = damage[g.r.Intn(len(damage))]
		}
	}
	return g.b
}

func TestJSONFastPathsMatchGeneralPath(t *testing.T) {
	n := 15_000
	if testing.Short() {
		n = 5_000
	}
	r := rand.New(rand.NewSource(7))
	for _, c := range fastPathCodecs(t) {
		slow := slowCodec(c)
		g := &jsonGen{r: r}
		for _, col := range c.(*jsonCodec).cols {
			g.names = append(g.names, col.Name)
		}
		need := make([]bool, numCols(c))
		for i := 0; i < n; i++ {
			data := g.doc(c)
			for j := range need {
				need[j] = r.Intn(2) == 0
			}
			checkFastMatchesSlow(t, c, slow, data, need)
		}
	}
}

// The spellings that the fast paths must leave to the general path, and
// the limits of their number handling, one by one.
func TestJSONFastPathsEdgeCases(t *testing.T) {
	codecs := fastPathCodecs(t)
	var docs []string
	for _, num := range numberTexts {
		for _, f := range []string{`{"AUCTION":%}`, `{"auction":%,"bidder":1}`, `{"bidder":%}`, `{"Price":%}`, `{"PRICE": % }`,
			`{"ABCDEFGH":%}`, `{"A\nB":%}`, "{\"C\x01\":%}", `{"\\":%}`, `{"ABCDEFGHIJKLMNOP":%}`, `{"":%}`, `{"a":%,"A":%}`, `{"ST":{"X":%,"yy":%,"Z":{"Q":%}}}`, `%`, ` % `, `%x`} {
			docs = append(docs, strings.ReplaceAll(f, "%", num))
		}
	}
	docs = append(docs,
		string(bidJSON), string(bidJSONFull), `{"AUCTION":1`, `{"AUCTION"`, `{"AUCTION`, `{"AUCTIO`, `{"AUCTION":`, `{"AUCTION" :1}`,
		`{"auction":1,"AUCTION":2,"auction":3}`, `{"AUCTION":2,"auction":3}`, `{"aUcTiOn":5}`, `{"AUCTIONS":1}`, `{"\u0041UCTION":1}`,
		`{"AUCTION\u0000":1}`, `{"AUCTION\"":1}`, `{"bidder":1,"BIDDER":2}`, `{"BIDDER":1,"bidder":2}`, `{"ſ":"x","S":"y"}`, `{"ı":1}`,
		`{"abcdefgh":1,"abcdefghijklmnop":2,"ABCDEFGHIJKLMNOp":3}`, `{"abcdefghijklmno":"x"}`, `{"":1,"":2}`,
		"{\"AUCTION\":\x001}", `{"AUCTION":1,}`, `{"AUCTION":1 "BIDDER":2}`, `{,}`, `{}`, `{ }`, ``, `null`,
		`{"N":1,"ST":{"x":1,"X":2,"YY":3,"yy":4,"z":{"q":5}},"ARR":[1,2,-0,1e2],"M":{"k":1,"k":2}}`,
	)
	for _, c := range codecs {
		slow := slowCodec(c)
		need := make([]bool, numCols(c))
		for i := range need {
			need[i] = i%2 == 0
		}
		for _, d := range docs {
			checkFastMatchesSlow(t, c, slow, []byte(d), need)
		}
	}
}

func FuzzJSONFastPaths(f *testing.F) {
	for _, s := range []string{
		string(bidJSONFull), `{"auction":1,"AUCTION":-0,"aUcTiOn":1e3}`, `{"ABCDEFGH":9223372036854775808,"abcdefghijklmnop":01}`,
		`{"A\nB":1,"\\":2,"ſ":3}`, `{"ST":{"x":1,"YY":2147483648,"z":{"q":-1.5}},"N":999999999999999999}`, ` -12 `, `{"Price":1.}`,
	} {
		f.Add([]byte(s))
	}
	codecs := fastPathCodecs(f)
	slows := make([]Codec, len(codecs))
	for i, c := range codecs {
		slows[i] = slowCodec(c)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for i, c := range codecs {
			need := make([]bool, numCols(c))
			for j := range need {
				need[j] = len(data) > 0 && data[0]>>(j%8)&1 == 0
			}
			checkFastMatchesSlow(t, c, slows[i], data, need)
		}
	})
}

// Decoding a record costs one allocation (its arena chunk), whichever
// columns are kept: an INT or TIMESTAMP column that is only checked is
// not boxed either.
func TestJSONDecodeColumnsAllocations(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("allocation counts are not meaningful under coverage")
	}
	c := mustNew(t, "JSON", cols(col("A", bigT), col("I", intT), col("T", tsT), col("S", strT)), Options{}).(*jsonCodec)
	data := []byte(`{"A":1700000000001,"I":123456,"T":1700000000000,"S":"some text"}`)
	dst := make([]types.Value, 4)
	var ar types.Arena
	for _, need := range [][]bool{nil, {true, false, false, false}, {false, true, false, true}, {false, false, false, false}} {
		n := testing.AllocsPerRun(100, func() {
			ar.Reset(256)
			if err := c.DecodeColumns(data, dst, &ar, need); err != nil {
				t.Fatal(err)
			}
		})
		if n > 1 {
			t.Errorf("need %v: %v allocations per record, want at most 1", need, n)
		}
	}
}

// Encode writes BIGINT, STRING and TIMESTAMP columns itself: the same
// bytes and errors as appendJSONValue, for values of the column's type
// and others.
func TestJSONEncodeInlineMatchesAppendJSONValue(t *testing.T) {
	cs := cols(col("A", bigT), col("S", strT), col("T", tsT), col("I", intT), col("D", dblT))
	c := mustNew(t, "JSON", cs, Options{}).(*jsonCodec)
	general := func(vals []types.Value) ([]byte, error) {
		var b []byte
		var err error
		for i, col := range c.cols {
			b = append(b, c.prefixes[i]...)
			if b, err = appendJSONValue(b, vals[i], col.Type); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	}
	pool := []types.Value{nil, int64(0), int64(-1), int64(math.MinInt64), int64(math.MaxInt64), int64(1700000000000),
		"", "x", "a\"b\\c\n\x01é\xff😀", types.Timestamp(-5), types.Timestamp(1700000000000), int32(7), 1.5, true, []byte("x")}
	r := rand.New(rand.NewSource(8))
	for n := 0; n < 20_000; n++ {
		vals := make([]types.Value, len(cs))
		for i := range vals {
			vals[i] = pool[r.Intn(len(pool))]
		}
		got, gotErr := c.Encode([]byte("prefix"), vals)
		want, wantErr := general(vals)
		if (gotErr == nil) != (wantErr == nil) || (gotErr != nil && gotErr.Error() != wantErr.Error()) {
			t.Fatalf("%s: error %v, appendJSONValue %v", showRow(vals), gotErr, wantErr)
		}
		if gotErr == nil && string(got) != "prefix"+string(want) {
			t.Fatalf("%s: %q, appendJSONValue %q", showRow(vals), got, want)
		}
		if gotErr != nil && string(got) != "prefix" {
			t.Fatalf("%s: error %v left %q in the buffer", showRow(vals), gotErr, got)
		}
	}
}

// The field order a codec learns is shared by the goroutines that use it:
// records in different orders, decoded at the same time, must each decode
// as they would alone (run with -race).
func TestJSONLearnedOrderConcurrent(t *testing.T) {
	c := mustNew(t, "JSON", bidCols, Options{})
	docs := []string{
		string(bidJSONFull),
		`{"extra":"e","dateTime":1700000000001,"url":"u","channel":"c","price":12346,"bidder":2002,"auction":1001}`,
		`{"PRICE":12347,"AUCTION":1002,"unknown":[1,{"a":2}],"EXTRA":"f","BIDDER":2003}`,
		`{"Auction":1003,"auction":1004,"AUCTION":1005,"dateTime":1700000000002}`,
	}
	want := make([][]types.Value, len(docs))
	for i, d := range docs {
		want[i] = make([]types.Value, len(bidCols))
		if err := slowCodec(c).Decode([]byte(d), want[i]); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan bool)
	for g := 0; g < 4; g++ {
		go func() {
			defer func() { done <- true }()
			dst := make([]types.Value, len(bidCols))
			for i := 0; i < 2000; i++ {
				k := (g + i/(1+g)) % len(docs)
				if err := c.Decode([]byte(docs[k]), dst); err != nil {
					t.Error(err)
					return
				}
				if !reflect.DeepEqual(dst, want[k]) {
					t.Errorf("%s: %s, want %s", docs[k], showRow(dst), showRow(want[k]))
					return
				}
			}
		}()
	}
	for g := 0; g < 4; g++ {
		<-done
	}
}
