package serde

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/ksqlgo/ksql/sql/types"
)

// Cases derived from ksqlDB's QTT files delimited.json, decimal.json,
// timestamp.json, date.json, time.json, bytes.json, count.json and from
// KsqlDelimitedDeserializer with Commons CSV 1.4.
func TestDelimitedDecode(t *testing.T) {
	pipe := Options{Delimiter: "|"}
	tab := Options{Delimiter: "TAB"}
	runDecodeCases(t, "DELIMITED", []decodeCase{
		// keys (delimited.json)
		{name: "BOOLEAN key", cols: cols(col("K", boolT)), opts: keyOpts, in: `true`, want: row(true)},
		{name: "quoted BOOLEAN key", cols: cols(col("K", boolT)), opts: keyOpts, in: `"true"`, want: row(true)},
		{name: "quoted INT key", cols: cols(col("K", intT)), opts: keyOpts, in: `"22"`, want: row(int32(22))},
		{name: "BIGINT key", cols: cols(col("K", bigT)), opts: keyOpts, in: `998877665544332211`, want: row(int64(998877665544332211))},
		{name: "quoted STRING key", cols: cols(col("K", strT)), opts: keyOpts, in: `"You"`, want: row("You")},
		{name: "DECIMAL key", cols: cols(col("K", types.DecimalOf(6, 4))), opts: keyOpts, in: `12.3650`, want: row(dec("12.3650"))},
		{name: "quoted DECIMAL key rescaled", cols: cols(col("K", types.DecimalOf(6, 4))), opts: keyOpts, in: `"12.0"`, want: row(dec("12.0000"))},
		{name: "multi-column key", cols: cols(col("K1", strT), col("K2", strT)), opts: keyOpts, in: `foo,bar`, want: row("foo", "bar")},
		{name: "quoted multi-column key", cols: cols(col("K1", strT), col("K2", strT)), opts: keyOpts, in: `"foo","bar"`, want: row("foo", "bar")},
		{name: "key delimiter", cols: cols(col("K1", strT), col("K2", strT)), opts: Options{IsKey: true, Delimiter: ";"},
			in: `foo,bar;baz`, want: row("foo,bar", "baz")},
		{name: "value delimiter '-'", cols: cols(col("V", intT), col("V2", intT)), opts: Options{Delimiter: "-"}, in: `0-1`,
			want: row(int32(0), int32(1))},

		// values
		{name: "pipe delimiter", cols: cols(col("ID", bigT), col("NAME", strT), col("VALUE", intT)), opts: pipe,
			in: `0|zero|0`, want: row(int64(0), "zero", int32(0))},
		{name: "TAB delimiter", cols: cols(col("ID", bigT), col("NAME", strT), col("VALUE", intT)), opts: tab,
			in: "100\t100\t500", want: row(int64(100), "100", int32(500))},
		{name: "SPACE delimiter", cols: cols(col("A", strT), col("B", strT)), opts: Options{Delimiter: "SPACE"},
			in: `a b`, want: row("a", "b")},
		{name: "non-ASCII delimiter", cols: cols(col("A", strT), col("B", strT)), opts: Options{Delimiter: "§"},
			in: `a§b,c`, want: row("a", "b,c")},
		{name: "count.json row", cols: cols(col("NAME", strT), col("VALUE", dblT)), in: `zero,0.0`, want: row("zero", 0.0)},
		{name: "negative filter row", cols: cols(col("A", intT), col("B", intT), col("C", dblT)), in: `-101,101,0.0`,
			want: row(int32(-101), int32(101), 0.0)},
		{name: "single column", cols: cols(col("FOO", intT)), in: `10`, want: row(int32(10))},
		{name: "BIGINT", cols: cols(col("V0", bigT)), in: `10000000000`, want: row(int64(10000000000))},
		{name: "DOUBLE", cols: cols(col("V0", dblT)), in: `10.1`, want: row(10.1)},
		{name: "DOUBLE exponent", cols: cols(col("V0", dblT)), in: `1e3`, want: row(1000.0)},
		{name: "DOUBLE NaN", cols: cols(col("V0", dblT)), in: `NaN`, want: row(math.NaN())},
		{name: "DOUBLE -Infinity", cols: cols(col("V0", dblT)), in: `-Infinity`, want: row(math.Inf(-1))},
		{name: "DOUBLE padded (Java trims)", cols: cols(col("A", dblT), col("B", dblT)), in: ` 1.5 , 2`, want: row(1.5, 2.0)},
		{name: "DECIMAL(21,19)", cols: cols(col("DEC", types.DecimalOf(21, 19))), in: `10.1234512345123451234`,
			want: row(bigDec("101234512345123451234", 19))},
		{name: "DECIMAL between", cols: cols(col("DEC", types.DecimalOf(4, 2))), in: `-0.5`, want: row(dec("-0.50"))},
		{name: "TIMESTAMP", cols: cols(col("TIME", tsT)), in: `10`, want: row(types.Timestamp(10))},
		{name: "DATE", cols: cols(col("DATE", dateT)), in: `-10`, want: row(types.Date(-10))},
		{name: "TIME", cols: cols(col("TIME", timeT)), in: `10`, want: row(types.TimeOfDay(10))},
		{name: "BYTES", cols: cols(col("B", bytesT)), in: `dmFyaWF0aW9ucw==`, want: row([]byte("variations"))},
		{name: "STRING and BYTES", cols: cols(col("S", strT), col("B", bytesT)), in: `!,IQ==`, want: row("!", []byte("!"))},
		{name: "BOOLEAN is lenient", cols: cols(col("A", boolT), col("B", boolT), col("C", boolT)), in: `TRUE,yes,0`,
			want: row(true, false, false)},

		// nulls and empties
		{name: "empty fields are null", cols: cols(col("A", intT), col("B", strT), col("C", dblT)), in: `,,`, want: row(nil, nil, nil)},
		{name: "quoted empty field is null", cols: cols(col("A", strT), col("B", strT)), in: `"",x`, want: row(nil, "x")},
		{name: "trailing delimiter", cols: cols(col("A", strT), col("B", strT)), in: `a,`, want: row("a", nil)},
		{name: "spaces are kept", cols: cols(col("A", strT), col("B", strT)), in: ` a ,  `, want: row(" a ", "  ")},

		// quoting
		{name: "doubled quotes", cols: cols(col("A", strT), col("B", strT)), in: `"a""b",c`, want: row(`a"b`, "c")},
		{name: "quoted delimiter", cols: cols(col("A", strT), col("B", strT)), in: `"a,b",c`, want: row("a,b", "c")},
		{name: "quoted line break", cols: cols(col("A", strT), col("B", strT)), in: "\"line1\r\nline2\",x", want: row("line1\r\nline2", "x")},
		{name: "quote inside unquoted field is literal", cols: cols(col("A", strT), col("B", strT)), in: `a"b,c`, want: row(`a"b`, "c")},
		{name: "quote after a space is literal", cols: cols(col("A", strT), col("B", strT)), in: ` "a",b`, want: row(` "a"`, "b")},
		{name: "white space after closing quote", cols: cols(col("A", strT), col("B", strT)), in: "\"a\" \t,b", want: row("a", "b")},
		{name: "embedded code (project-filter.json)", cols: cols(col("X", strT)),
			in:   `""" + new java.util.function.Supplier<String>(){public String get() {return ""boom"";}}.get() + """`,
			want: row(`" + new java.util.function.Supplier<String>(){public String get() {return "boom";}}.get() + "`)},

		// records
		{name: "only the first record counts", cols: cols(col("A", intT), col("B", intT)), in: "1,2\n3,4,5", want: row(int32(1), int32(2))},
		{name: "CRLF record end", cols: cols(col("A", intT), col("B", intT)), in: "1,2\r\n", want: row(int32(1), int32(2))},
		{name: "leading empty lines are skipped", cols: cols(col("A", intT), col("B", intT)), in: "\n\r\n\r1,2", want: row(int32(1), int32(2))},
		{name: "invalid UTF-8 becomes U+FFFD", cols: cols(col("S", strT)), in: "a\xffb", want: row("a\uFFFDb")},
		{name: "unicode", cols: cols(col("S", strT), col("T", strT)), in: `日本,"ü,ö"`, want: row("日本", "ü,ö")},

		// errors
		{name: "too few fields", cols: cols(col("A", intT), col("B", intT), col("C", intT)), in: `1,2`,
			wantErr: "Failed to deserialize value. Error deserializing delimited: Unexpected field count, csvFields:2 schemaFields:3"},
		{name: "too many fields", cols: cols(col("A", intT)), in: `1,2`,
			wantErr: "Unexpected field count, csvFields:2 schemaFields:1"},
		{name: "empty record", cols: cols(col("A", intT)), in: ``, wantErr: "Error deserializing delimited: No fields in record"},
		{name: "only line breaks", cols: cols(col("A", intT)), in: "\r\n\n", wantErr: "No fields in record"},
		{name: "bad INTEGER", cols: cols(col("ID", intT), col("NAME", strT)), in: `abc,x`,
			wantErr: "Invalid value for column `ID` (INTEGER): For input string: \"abc\""},
		{name: "INTEGER overflow", cols: cols(col("ID", intT)), in: `3000000000`, wantErr: "For input string: \"3000000000\""},
		{name: "INTEGER with spaces", cols: cols(col("ID", intT)), in: ` 1`, wantErr: "For input string: \" 1\""},
		{name: "bad DOUBLE", cols: cols(col("V", dblT)), in: `1.2.3`, wantErr: "For input string: \"1.2.3\""},
		{name: "bad DECIMAL", cols: cols(col("V", types.DecimalOf(4, 2))), in: `abc`, wantErr: "Invalid decimal value: \"abc\""},
		{name: "DECIMAL overflow", cols: cols(col("V", types.DecimalOf(4, 2))), in: `123.4`,
			wantErr: "Numeric field overflow: A field with precision 4 and scale 2 must round to an absolute value less than 10^2. Got 123.4"},
		{name: "DECIMAL rounding", cols: cols(col("V", types.DecimalOf(4, 2))), in: `1.234`,
			wantErr: "Cannot fit decimal '1.234' into DECIMAL(4, 2) without rounding. (Requires 4,3)"},
		{name: "TIME out of range", cols: cols(col("T", timeT)), in: `86400001`, wantErr: "Time values must use number of milliseconds"},
		{name: "bad BYTES", cols: cols(col("B", bytesT)), in: `!!!`, wantErr: "Value is not a valid Base64 encoded string: !!!"},
		{name: "unterminated quote", cols: cols(col("A", strT)), in: `"abc`, wantErr: "EOF reached before encapsulated token finished"},
		{name: "character after closing quote", cols: cols(col("A", strT), col("B", strT)), in: `"a"x,b`,
			wantErr: "invalid char between encapsulated token and delimiter"},
		{name: "syntax error in a later record", cols: cols(col("A", strT), col("B", strT)), in: "a,b\n\"c",
			wantErr: "EOF reached before encapsulated token finished"},
		{name: "key error says key", cols: cols(col("K", intT)), opts: keyOpts, in: `x`, wantErr: "Failed to deserialize key. Error deserializing delimited"},
	})
}

func TestDelimitedErrorInput(t *testing.T) {
	c := mustNew(t, "DELIMITED", cols(col("A", strT), col("B", intT)), Options{})
	err := c.Decode([]byte(`x,"1""2"`), make([]types.Value, 2))
	var de *DecodeError
	if !errors.As(err, &de) || de.Input != `1"2` {
		t.Fatalf("got %v (%+v)", err, de)
	}
	de.Topic = "t"
	want := "Failed to deserialize value from topic: t. Error deserializing delimited: Invalid value for column `B` (INTEGER): For input string: \"1\\\"2\""
	if de.Error() != want {
		t.Errorf("got  %s\nwant %s", de.Error(), want)
	}
}

func TestDelimitedNullRecord(t *testing.T) {
	c := mustNew(t, "DELIMITED", cols(col("A", intT)), Options{})
	dst := []types.Value{"untouched"}
	if err := c.Decode(nil, dst); !errors.Is(err, ErrNullRecord) || dst[0] != "untouched" {
		t.Errorf("Decode(nil) = %v, dst %v", err, dst)
	}
}

// Output cases from the QTT files (delimited.json, date.json, string.json,
// bytes-and-strings.json, project-filter.json, group-by.json).
func TestDelimitedEncode(t *testing.T) {
	three := cols(col("ID", bigT), col("NAME", strT), col("VALUE", intT))
	runEncodeCases(t, "DELIMITED", []encodeCase{
		{name: "plain", cols: three, vals: row(int64(0), "zero", int32(0)), want: `0,zero,0`},
		{name: "'$' delimiter", cols: three, opts: Options{Delimiter: "$"}, vals: row(int64(100), "100", int32(500)), want: `100$100$500`},
		{name: "TAB delimiter", cols: three, opts: Options{Delimiter: "TAB"}, vals: row(int64(0), "zero", int32(0)), want: "0\tzero\t0"},
		{name: "value with the delimiter is quoted", cols: three, opts: Options{Delimiter: "|"}, vals: row(int64(1), "a|b", int32(2)),
			want: `1|"a|b"|2`},
		{name: "comma is not special with another delimiter", cols: three, opts: Options{Delimiter: "|"}, vals: row(int64(1), "a,b", int32(2)),
			want: `1|a,b|2`},
		{name: "nulls are empty", cols: three, vals: row(nil, nil, nil), want: `,,`},
		{name: "null first", cols: three, vals: row(nil, "x", int32(1)), want: `,x,1`},
		{name: "first field negative is quoted (date.json)", cols: cols(col("DATE", dateT)), vals: row(types.Date(-10)), want: `"-10"`},
		{name: "first field positive", cols: cols(col("DATE", dateT)), vals: row(types.Date(10)), want: `10`},
		{name: "negative key parts (group-by.json)", cols: cols(col("F3", intT), col("F2", strT), col("F1", intT)),
			vals: row(int32(-1), "a", int32(1)), want: `"-1",a,1`},
		{name: "negative number later is not quoted", cols: cols(col("A", intT), col("B", intT)), vals: row(int32(1), int32(-1)), want: `1,-1`},
		{name: "leading char <= '#' (bytes-and-strings.json)", cols: cols(col("UTF8", strT), col("B1", bytesT), col("S1", strT)),
			vals: row("!", []byte("!"), "!"), want: `"!",IQ==,"!"`},
		{name: "leading '#'", cols: cols(col("UTF8", strT), col("B1", bytesT), col("S1", strT)),
			vals: row("#", []byte("#"), "#"), want: `"#",Iw==,"#"`},
		{name: "white space (string.json)", cols: cols(col("A", strT), col("B", strT), col("C", strT), col("D", strT)),
			vals: row(" \t with white space \t", " \t WITH WHITE SPACE \t", "with white space", "\t wit"),
			want: "\" \t with white space \t\",\" \t WITH WHITE SPACE \t\",with white space,\"\t wit\""},
		{name: "empty string later is empty (string.json)", cols: cols(col("A", strT), col("B", strT)), vals: row("s", ""),
			want: `s,`, back: row("s", nil)},
		{name: "embedded code (project-filter.json)", cols: cols(col("X", strT)),
			vals: row(`" + new java.util.function.Supplier<String>(){public String get() {return "boom";}}.get() + "`),
			want: `""" + new java.util.function.Supplier<String>(){public String get() {return ""boom"";}}.get() + """`},
		{name: "line breaks are quoted", cols: cols(col("A", strT), col("B", strT)), vals: row("x", "a\nb"), want: "x,\"a\nb\""},
		{name: "trailing space is quoted", cols: cols(col("A", strT), col("B", strT)), vals: row("x", "a "), want: `x,"a "`},
		{name: "quote inside is quoted", cols: cols(col("A", strT), col("B", strT)), vals: row("x", `a"b`), want: `x,"a""b"`},
		{name: "non-ASCII first field is quoted", cols: cols(col("A", strT), col("B", strT)), vals: row("été", "été"), want: `"été",été`},
		{name: "doubles as Java writes them", cols: cols(col("A", dblT), col("B", dblT), col("C", dblT), col("D", dblT)),
			vals: row(1.0, 0.1, 1e10, math.NaN()), want: `1.0,0.1,1.0E10,NaN`},
		{name: "decimals plain at scale", cols: cols(col("A", types.DecimalOf(21, 19)), col("B", types.DecimalOf(4, 2))),
			vals: row(bigDec("101234512345123451234", 19), dec("0.5")), want: `10.1234512345123451234,0.50`},
		{name: "temporal as numbers", cols: cols(col("TS", tsT), col("D", dateT), col("T", timeT)),
			vals: row(types.Timestamp(10), types.Date(10), types.TimeOfDay(10)), want: `10,10,10`},
		{name: "booleans", cols: cols(col("A", boolT), col("B", boolT)), vals: row(true, false), want: `true,false`},
		{name: "BYTES", cols: cols(col("B", bytesT)), vals: row([]byte("variations")), want: `dmFyaWF0aW9ucw==`},
		{name: "DECIMAL overflow", cols: cols(col("A", types.DecimalOf(4, 2))), vals: row(dec("100")), wantErr: "Numeric field overflow"},
		{name: "wrong Go type", cols: cols(col("A", intT)), vals: row("1"), wantErr: "value does not match expected type"},
	})
}

func TestDelimitedEncodeEdgeCases(t *testing.T) {
	c := mustNew(t, "DELIMITED", cols(col("A", strT)), Options{})
	// A single NULL column writes an empty (non-null) record, as ksqlDB
	// does; ksqlDB cannot read it back ("No fields in record").
	out, err := c.Encode(nil, row(nil))
	if err != nil || out == nil || len(out) != 0 {
		t.Errorf("Encode(NULL) = %q (nil=%v), %v; want empty non-nil", out, out == nil, err)
	}
	// An empty string starting the record is quoted so the record is not
	// empty; it reads back as NULL.
	out, err = c.Encode(nil, row(""))
	if err != nil || string(out) != `""` {
		t.Errorf(`Encode("") = %q, %v`, out, err)
	}
	dst := make([]types.Value, 1)
	if err := c.Decode(out, dst); err != nil || dst[0] != nil {
		t.Errorf("Decode(%q) = %v, %v", out, dst[0], err)
	}
}

func TestDelimiterOptions(t *testing.T) {
	good := map[string]string{"": ",", ",": ",", "|": "|", "TAB": "\t", "SPACE": " ", ";": ";", "§": "§"}
	for in, want := range good {
		c, err := New("DELIMITED", cols(col("A", strT), col("B", strT)), Options{Delimiter: in})
		if err != nil {
			t.Errorf("delimiter %q: %v", in, err)
			continue
		}
		out, _ := c.Encode(nil, row("x", "y"))
		if string(out) != "x"+want+"y" {
			t.Errorf("delimiter %q: wrote %q", in, out)
		}
	}
	bad := map[string]string{
		" ":   "Configuration VALUE_DELIMITER is invalid: Delimiter cannot be empty, if you meant to have a tab or space for delimiter, please use the special values 'TAB' or 'SPACE'\nExample valid value: ';'",
		"\t":  "Delimiter cannot be empty",
		"tab": "Invalid delimiter value: 'tab'. Delimiter must be a single character or TAB,SPACE",
		"ab":  "Invalid delimiter value: 'ab'",
		`"`:   "The quoteChar character and the delimiter cannot be the same",
		"\n":  "Delimiter cannot be empty",
	}
	for in, want := range bad {
		_, err := New("DELIMITED", cols(col("A", strT)), Options{Delimiter: in})
		if err == nil || !errors.Is(err, ErrInvalidOptions) || !strings.Contains(err.Error(), want) {
			t.Errorf("delimiter %q: got %v, want %q", in, err, want)
		}
	}
	_, err := New("DELIMITED", cols(col("A", strT)), Options{IsKey: true, Delimiter: " "})
	if err == nil || !strings.Contains(err.Error(), "Configuration KEY_DELIMITER is invalid") {
		t.Errorf("key delimiter error = %v", err)
	}
}

func TestNeedsQuote(t *testing.T) {
	cases := []struct {
		s     string
		first bool
		want  bool
	}{
		{"", true, true}, {"", false, false},
		{"a", true, false}, {"A", true, false}, {"0", true, false},
		{"-1", true, true}, {"-1", false, false},
		{"!", false, true}, {"#", false, true}, {"$", false, false}, {"$", true, true},
		{" a", false, true}, {"a ", false, true}, {"a\t", false, true},
		{"a,b", false, true}, {"a\"b", false, true}, {"a\rb", false, true}, {"a\nb", false, true},
		{"é", true, true}, {"é", false, false},
	}
	for _, tc := range cases {
		if got := needsQuote([]byte(tc.s), tc.first, []byte{','}); got != tc.want {
			t.Errorf("needsQuote(%q, first=%v) = %v, want %v", tc.s, tc.first, got, tc.want)
		}
	}
}
