package functions

import (
	"regexp"
	"testing"
)

func TestStrSubstring(t *testing.T) {
	si := xtTs(xtStr, xtInt)
	sii := xtTs(xtStr, xtInt, xtInt)
	bii := xtTs(xtByt, xtInt, xtInt)
	xtRun(t, []xtCase{
		// substring.json
		{name: "pos", fn: "SUBSTRING", types: si, args: xtA("some_string", int32(6)), want: "string"},
		{name: "pos2", fn: "SUBSTRING", types: si, args: xtA("another", int32(6)), want: "er"},
		{name: "pos past end", fn: "SUBSTRING", types: si, args: xtA("short", int32(6)), want: ""},
		{name: "pos len", fn: "SUBSTRING", types: sii, args: xtA("some_string", int32(6), int32(3)), want: "str"},
		{name: "pos len short", fn: "SUBSTRING", types: sii, args: xtA("another", int32(6), int32(3)), want: "er"},
		{name: "null str", fn: "SUBSTRING", types: xtTs(xtStr, xtInt), args: xtA(nil, int32(1)), want: nil},
		{name: "null pos", fn: "SUBSTRING", types: xtTs(xtStr, xtNull), args: xtA("abc", nil), want: nil},
		{name: "null len", fn: "SUBSTRING", types: xtTs(xtStr, xtInt, xtNull), args: xtA("abc", int32(6), nil), want: nil},
		{name: "bytes", fn: "SUBSTRING", types: bii, args: xtA([]byte("some_string"), int32(6), int32(3)), want: []byte("str")},
		{name: "bytes short", fn: "SUBSTRING", types: bii, args: xtA([]byte("short"), int32(6), int32(3)), want: []byte{}},
		{name: "bytes pos", fn: "SUBSTRING", types: xtTs(xtByt, xtInt), args: xtA([]byte("another"), int32(6)), want: []byte("er")},
		// string.json: SUBSTRING(text, 2, 5)
		{name: "ws", fn: "SUBSTRING", types: sii, args: xtA(" \t with white space \t", int32(2), int32(5)), want: "\t wit"},
		{name: "one char", fn: "SUBSTRING", types: sii, args: xtA("s", int32(2), int32(5)), want: ""},
		{name: "long enough", fn: "SUBSTRING", types: sii, args: xtA("long enough", int32(2), int32(5)), want: "ong e"},
		// Java semantics of out-of-range positions
		{name: "zero pos", fn: "SUBSTRING", types: sii, args: xtA("hello", int32(0), int32(2)), want: "he"},
		{name: "negative pos", fn: "SUBSTRING", types: si, args: xtA("hello", int32(-3)), want: "llo"},
		{name: "negative pos len", fn: "SUBSTRING", types: sii, args: xtA("hello", int32(-3), int32(2)), want: "ll"},
		{name: "very negative pos", fn: "SUBSTRING", types: si, args: xtA("hello", int32(-10)), want: "hello"},
		{name: "negative len", fn: "SUBSTRING", types: sii, args: xtA("hello", int32(2), int32(-1)), want: ""},
		{name: "huge len", fn: "SUBSTRING", types: sii, args: xtA("hello", int32(2), int32(2147483647)), want: "ello"},
		{name: "unicode", fn: "SUBSTRING", types: sii, args: xtA("héllo wörld", int32(2), int32(8)), want: "éllo wör"},
	})
	xtRunTypes(t, []xtTypeCase{
		{fn: "SUBSTRING", types: si, want: xtStr},
		{fn: "SUBSTRING", types: bii, want: xtByt},
		{fn: "SUBSTRING", types: xtTs(xtStr, xtBig), wantErr: "does not accept parameters"},
		{fn: "SUBSTRING", types: xtTs(xtInt, xtInt), wantErr: "does not accept parameters"},
	})
}

func TestStrInstr(t *testing.T) {
	ss := xtTs(xtStr, xtStr)
	xtRun(t, []xtCase{
		// instr.json
		{fn: "INSTR", types: ss, args: xtA("corporate floor", "or"), want: int32(2)},
		{fn: "INSTR", types: ss, args: xtA("should I stay or should I go", "or"), want: int32(15)},
		{fn: "INSTR", types: ss, args: xtA("short", "or"), want: int32(3)},
		{fn: "INSTR", types: ss, args: xtA("no substring", "or"), want: int32(0)},
		{name: "pos occ", fn: "INSTR", types: xtTs(xtStr, xtStr, xtInt, xtInt), args: xtA("corporate floor", "or", int32(4), int32(2)), want: int32(14)},
		{name: "pos occ none", fn: "INSTR", types: xtTs(xtStr, xtStr, xtInt, xtInt), args: xtA("short", "or", int32(4), int32(2)), want: int32(0)},
		{name: "neg pos", fn: "INSTR", types: xtTs(xtStr, xtStr, xtInt), args: xtA("corporate floor", "or", int32(-4)), want: int32(5)},
		{name: "neg pos none", fn: "INSTR", types: xtTs(xtStr, xtStr, xtInt), args: xtA("short", "or", int32(-4)), want: int32(0)},
		{name: "neg pos occ", fn: "INSTR", types: xtTs(xtStr, xtStr, xtInt, xtInt), args: xtA("corporate floor", "or", int32(-4), int32(2)), want: int32(2)},
		{name: "neg pos occ none", fn: "INSTR", types: xtTs(xtStr, xtStr, xtInt, xtInt), args: xtA("short", "or", int32(-4), int32(2)), want: int32(0)},
		{name: "pos beyond length", fn: "INSTR", types: xtTs(xtStr, xtStr, xtInt), args: xtA("abc", "c", int32(4)), want: int32(0)},
		{name: "null string is 0", fn: "INSTR", types: ss, args: xtA(nil, "or"), want: int32(0)},
		{name: "null substring is 0", fn: "INSTR", types: ss, args: xtA("abc", nil), want: int32(0)},
		{name: "null position", fn: "INSTR", types: xtTs(xtStr, xtStr, xtInt), args: xtA("abc", "b", nil), want: nil},
		{name: "empty substring", fn: "INSTR", types: ss, args: xtA("abc", ""), want: int32(1)},
		{name: "unicode", fn: "INSTR", types: ss, args: xtA("héllo", "l"), want: int32(3)},
	})
	xtRunTypes(t, []xtTypeCase{{fn: "INSTR", types: ss, want: xtInt}})
}

func TestStrPad(t *testing.T) {
	sis := xtTs(xtStr, xtInt, xtStr)
	bib := xtTs(xtByt, xtInt, xtByt)
	xtRun(t, []xtCase{
		// string-lpad-rpad.json
		{fn: "LPAD", types: sis, args: xtA("foo", int32(7), "Bar"), want: "BarBfoo"},
		{fn: "LPAD", types: sis, args: xtA("foo", int32(5), "Bar"), want: "Bafoo"},
		{fn: "LPAD", types: sis, args: xtA("foo", int32(2), "Bar"), want: "fo"},
		{fn: "LPAD", types: sis, args: xtA("foo", int32(-1), "Bar"), want: nil},
		{fn: "LPAD", types: sis, args: xtA("foo", int32(5), nil), want: nil},
		{fn: "LPAD", types: sis, args: xtA("foo", nil, "Bar"), want: nil},
		{fn: "LPAD", types: sis, args: xtA(nil, int32(-5), "Bar"), want: nil},
		{fn: "LPAD", types: sis, args: xtA("foo", int32(7), ""), want: nil},
		{fn: "LPAD", types: sis, args: xtA("", int32(7), "Bar"), want: "BarBarB"},
		{fn: "RPAD", types: sis, args: xtA("foo", int32(7), "Bar"), want: "fooBarB"},
		{fn: "RPAD", types: sis, args: xtA("foo", int32(5), "Bar"), want: "fooBa"},
		{fn: "RPAD", types: sis, args: xtA("foo", int32(2), "Bar"), want: "fo"},
		{fn: "RPAD", types: sis, args: xtA("foo", int32(-1), "Bar"), want: nil},
		{fn: "RPAD", types: sis, args: xtA("foo", int32(7), ""), want: nil},
		{fn: "RPAD", types: sis, args: xtA("", int32(7), "Bar"), want: "BarBarB"},
		{name: "zero length", fn: "RPAD", types: sis, args: xtA("foo", int32(0), "x"), want: ""},
		{name: "bytes lpad", fn: "LPAD", types: bib, args: xtA([]byte("foo"), int32(7), []byte("Bar")), want: []byte("BarBfoo")},
		{name: "bytes rpad", fn: "RPAD", types: bib, args: xtA([]byte("foo"), int32(7), []byte("Bar")), want: []byte("fooBarB")},
		{name: "bytes truncate", fn: "LPAD", types: bib, args: xtA([]byte("foo"), int32(2), []byte("Bar")), want: []byte("fo")},
		{name: "bytes empty padding", fn: "RPAD", types: bib, args: xtA([]byte("foo"), int32(5), []byte{}), want: nil},
	})
}

func TestStrConcat(t *testing.T) {
	xtRun(t, []xtCase{
		// concat.json
		{fn: "CONCAT", types: xtTs(xtStr, xtStr, xtStr), args: xtA("prefix-", "s1", "-postfix"), want: "prefix-s1-postfix"},
		{name: "escapes", fn: "CONCAT", types: xtTs(xtStr, xtStr), args: xtA(`"`, `\foo"\`), want: `"\foo"\`},
		{name: "bytes with null", fn: "CONCAT", types: xtTs(xtByt, xtNull, xtByt), args: xtA([]byte("yes"), nil, []byte("no")), want: []byte("yesno")},
		{name: "bytes empty", fn: "CONCAT", types: xtTs(xtByt, xtNull, xtByt), args: xtA([]byte{}, nil, []byte("no")), want: []byte("no")},
		{name: "nulls skipped", fn: "CONCAT", types: xtTs(xtStr, xtStr), args: xtA(nil, "b"), want: "b"},
		{name: "all null", fn: "CONCAT", types: xtTs(xtStr, xtStr), args: xtA(nil, nil), want: ""},
		{name: "single", fn: "CONCAT", types: xtTs(xtStr), args: xtA("a"), want: "a"},
		{name: "ws", fn: "CONCAT_WS", types: xtTs(xtStr, xtStr, xtStr, xtStr, xtNull, xtStr), args: xtA("SEP", "foo", "bar", "baz", nil, "literal"), want: "fooSEPbarSEPbazSEPliteral"},
		{name: "ws nulls", fn: "CONCAT_WS", types: xtTs(xtStr, xtStr, xtStr, xtStr, xtNull, xtStr), args: xtA("SEP", "foo", nil, "baz", nil, "literal"), want: "fooSEPbazSEPliteral"},
		{name: "ws all null", fn: "CONCAT_WS", types: xtTs(xtStr, xtStr, xtStr, xtStr, xtNull, xtStr), args: xtA("SEP", nil, nil, nil, nil, "literal"), want: "literal"},
		{name: "ws null sep", fn: "CONCAT_WS", types: xtTs(xtStr, xtStr, xtStr), args: xtA(nil, "foo", "bar"), want: nil},
		{name: "ws bytes", fn: "CONCAT_WS", types: xtTs(xtByt, xtByt, xtByt, xtByt), args: xtA([]byte("-"), []byte("a"), nil, []byte("b")), want: []byte("a-b")},
		{name: "ws too few", fn: "CONCAT_WS", types: xtTs(xtStr), args: xtA("-"), wantErr: "at least two"},
	})
	xtRunTypes(t, []xtTypeCase{
		{fn: "CONCAT", types: xtTs(xtStr, xtStr), want: xtStr},
		{fn: "CONCAT", types: xtTs(xtByt, xtByt), want: xtByt},
		{fn: "CONCAT", types: xtTs(xtNull, xtNull), want: xtStr},
		{fn: "CONCAT", types: xtTs(xtStr, xtByt), wantErr: "does not accept parameters"},
		{fn: "CONCAT", types: xtTs(xtStr, xtInt), wantErr: "does not accept parameters"},
		{fn: "CONCAT_WS", types: xtTs(xtStr, xtStr, xtStr), want: xtStr},
	})
}

func TestStrChrInitcapTrim(t *testing.T) {
	xtRun(t, []xtCase{
		// chr.json
		{fn: "CHR", types: xtTs(xtInt), args: xtA(int32(75)), want: "K"},
		{fn: "CHR", types: xtTs(xtInt), args: xtA(int32(22909)), want: "好"},
		{fn: "CHR", types: xtTs(xtInt), args: xtA(int32(99000)), want: "\U000182B8"},
		{fn: "CHR", types: xtTs(xtInt), args: xtA(int32(-1)), want: nil},
		{fn: "CHR", types: xtTs(xtStr), args: xtA(`\u004b`), want: "K"},
		{fn: "CHR", types: xtTs(xtStr), args: xtA(`\u597d`), want: "好"},
		{fn: "CHR", types: xtTs(xtStr), args: xtA(`\ud820\udeb8`), want: "\U000182B8"},
		{fn: "CHR", types: xtTs(xtStr), args: xtA("75"), want: nil},
		{fn: "CHR", types: xtTs(xtStr), args: xtA("004b"), want: nil},
		{fn: "CHR", types: xtTs(xtStr), args: xtA("bogus"), want: nil},
		{fn: "CHR", types: xtTs(xtStr), args: xtA(""), want: nil},
		{name: "bad escape", fn: "CHR", types: xtTs(xtStr), args: xtA(`\uzzzzzz`), wantErr: "unicode"},
		// initcap.json
		{fn: "INITCAP", types: xtTs(xtStr), args: xtA("some_string"), want: "Some_string"},
		{fn: "INITCAP", types: xtTs(xtStr), args: xtA("the   Quick br0wn fOx"), want: "The   Quick Br0wn Fox"},
		{name: "leading space dropped", fn: "INITCAP", types: xtTs(xtStr), args: xtA("  hello\tWORLD "), want: "Hello\tWorld "},
		{fn: "INITCAP", types: xtTs(xtStr), args: xtA(nil), want: nil},
		// string.json
		{fn: "TRIM", types: xtTs(xtStr), args: xtA(" \t with white space \t"), want: "with white space"},
		{fn: "TRIM", types: xtTs(xtStr), args: xtA("MiXeD"), want: "MiXeD"},
		{name: "control chars", fn: "TRIM", types: xtTs(xtStr), args: xtA("\x00\n x \r\x1f"), want: "x"},
	})
}

func TestStrMask(t *testing.T) {
	const in = "AbCd#$123xy Z"
	xtRun(t, []xtCase{
		{fn: "MASK", types: xtTs(xtStr), args: xtA(in), want: "XxXx--nnnxx-X"},
		{name: "custom", fn: "MASK", types: xtTs(xtStr, xtStr, xtStr, xtStr, xtStr), args: xtA(in, "Q", "q", "9", "@"), want: "QqQq@@999qq@Q"},
		{name: "null masks keep", fn: "MASK", types: xtTs(xtStr, xtStr, xtStr, xtStr, xtStr), args: xtA(in, nil, nil, nil, nil), want: in},
		{name: "partial", fn: "MASK", types: xtTs(xtStr, xtStr, xtStr, xtStr, xtStr), args: xtA(in, "Q", nil, "9", nil), want: "QbQd#$999xy Q"},
		{name: "bad mask", fn: "MASK", types: xtTs(xtStr, xtStr, xtStr, xtStr, xtStr), args: xtA(in, "QQ", nil, nil, nil), wantErr: "Invalid mask character"},
		{name: "null input", fn: "MASK", types: xtTs(xtStr, xtStr, xtStr, xtStr, xtStr), args: xtA(nil, "Q", nil, nil, nil), want: nil},
		{fn: "MASK_KEEP_LEFT", types: xtTs(xtStr, xtInt), args: xtA(in, int32(5)), want: "AbCd#-nnnxx-X"},
		{fn: "MASK_KEEP_RIGHT", types: xtTs(xtStr, xtInt), args: xtA(in, int32(5)), want: "XxXx--nn3xy Z"},
		{fn: "MASK_LEFT", types: xtTs(xtStr, xtInt), args: xtA(in, int32(5)), want: "XxXx-$123xy Z"},
		{fn: "MASK_RIGHT", types: xtTs(xtStr, xtInt), args: xtA(in, int32(5)), want: "AbCd#$12nxx-X"},
		{name: "left more than length", fn: "MASK_LEFT", types: xtTs(xtStr, xtInt), args: xtA("ab", int32(10)), want: "xx"},
		{name: "keep left more than length", fn: "MASK_KEEP_LEFT", types: xtTs(xtStr, xtInt), args: xtA("ab", int32(10)), want: "ab"},
		{name: "custom right", fn: "MASK_RIGHT", types: xtTs(xtStr, xtInt, xtStr, xtStr, xtStr, xtStr), args: xtA("Ab1", int32(2), "U", "L", "D", "O"), want: "ALD"},
		{name: "negative", fn: "MASK_LEFT", types: xtTs(xtStr, xtInt), args: xtA(in, int32(-1)), wantErr: "requires a non-negative number"},
		{name: "null count", fn: "MASK_LEFT", types: xtTs(xtStr, xtInt), args: xtA(in, nil), want: nil},
	})
}

func TestStrMiscellaneous(t *testing.T) {
	xtRun(t, []xtCase{
		{fn: "MD5", types: xtTs(xtStr), args: xtA(""), want: "d41d8cd98f00b204e9800998ecf8427e"},
		{fn: "MD5", types: xtTs(xtStr), args: xtA("hello"), want: "5d41402abc4b2a76b9719d911017c592"},
		// replace.json
		{fn: "REPLACE", types: xtTs(xtStr, xtStr, xtStr), args: xtA("anaconda", "a", "o"), want: "onocondo"},
		{fn: "REPLACE", types: xtTs(xtStr, xtStr, xtStr), args: xtA("popcorn", "a", "o"), want: "popcorn"},
		{fn: "REPLACE", types: xtTs(xtStr, xtNull, xtStr), args: xtA("anaconda", nil, "o"), want: nil},
		{fn: "REPLACE", types: xtTs(xtStr, xtStr, xtNull), args: xtA("anaconda", "a", nil), want: nil},
		{name: "escaped json", fn: "REPLACE", types: xtTs(xtStr, xtStr, xtStr), args: xtA(`{"text": "{\"w\": 1}"}`, `\"`, `"`), want: `{"text": "{"w": 1}"}`},
		{name: "regex chars are literal", fn: "REPLACE", types: xtTs(xtStr, xtStr, xtStr), args: xtA("a.b.c", ".", "$1"), want: "a$1b$1c"},
		// split.json
		{fn: "SPLIT", types: xtTs(xtStr, xtStr), args: xtA("a$$b.c", "$$"), want: xtS("a", "b.c")},
		{fn: "SPLIT", types: xtTs(xtStr, xtStr), args: xtA(".abc$$", "$$"), want: xtS(".abc", "")},
		{fn: "SPLIT", types: xtTs(xtStr, xtStr), args: xtA(".$$a..", "$$"), want: xtS(".", "a..")},
		{fn: "SPLIT", types: xtTs(xtStr, xtStr), args: xtA("abc", "$$"), want: xtS("abc")},
		{fn: "SPLIT", types: xtTs(xtStr, xtStr), args: xtA("", "$$"), want: xtS("")},
		{fn: "SPLIT", types: xtTs(xtStr, xtStr), args: xtA("a.b.c", ""), want: xtS("a", ".", "b", ".", "c")},
		{fn: "SPLIT", types: xtTs(xtStr, xtStr), args: xtA("", ""), want: xtS("")},
		{fn: "SPLIT", types: xtTs(xtStr, xtStr), args: xtA(",A,", ","), want: xtS("", "A", "")},
		{fn: "SPLIT", types: xtTs(xtStr, xtStr), args: xtA("A,,A", ","), want: xtS("A", "", "A")},
		{name: "bytes", fn: "SPLIT", types: xtTs(xtByt, xtByt), args: xtA([]byte("a$$b.c"), []byte("$$")), want: xtA([]byte("a"), []byte("b.c"))},
		{name: "bytes trailing", fn: "SPLIT", types: xtTs(xtByt, xtByt), args: xtA([]byte(".abc$$"), []byte("$$")), want: xtA([]byte(".abc"), []byte{})},
		{name: "bytes all", fn: "SPLIT", types: xtTs(xtByt, xtByt), args: xtA([]byte("abc"), []byte{}), want: xtA([]byte("a"), []byte("b"), []byte("c"))},
		{name: "bytes empty", fn: "SPLIT", types: xtTs(xtByt, xtByt), args: xtA([]byte{}, []byte{}), want: xtA([]byte{})},
		{fn: "SPLIT_TO_MAP", types: xtTs(xtStr, xtStr, xtStr), args: xtA("apple:=green/cherry:=red", "/", ":="), want: xtM("apple", "green", "cherry", "red")},
		{name: "dups and junk", fn: "SPLIT_TO_MAP", types: xtTs(xtStr, xtStr, xtStr), args: xtA("a=1;;b;a=2;c=3=4;=5", ";", "="), want: xtM("a", "2", "c", "3", "", "5")},
		{name: "same delimiters", fn: "SPLIT_TO_MAP", types: xtTs(xtStr, xtStr, xtStr), args: xtA("a=1", "=", "="), want: nil},
		{name: "empty delimiter", fn: "SPLIT_TO_MAP", types: xtTs(xtStr, xtStr, xtStr), args: xtA("a=1", "", "="), want: nil},
		{fn: "UUID", types: xtTs(xtByt), args: xtA([]byte{0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef}), want: "12345678-9abc-def0-0123-456789abcdef"},
		{name: "uuid short bytes", fn: "UUID", types: xtTs(xtByt), args: xtA([]byte{1, 2}), want: nil},
	})
	xtRunTypes(t, []xtTypeCase{
		{fn: "SPLIT", types: xtTs(xtStr, xtStr), want: xtArr(xtStr)},
		{fn: "SPLIT", types: xtTs(xtByt, xtByt), want: xtArr(xtByt)},
		{fn: "SPLIT_TO_MAP", types: xtTs(xtStr, xtStr, xtStr), want: xtMap(xtStr, xtStr)},
		{fn: "MD5", types: xtTs(xtInt), wantErr: "does not accept parameters"},
		{fn: "UUID", types: nil, want: xtStr},
	})
	v, _, err := xtEval(t, "UUID", nil)
	if err != nil || !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(v.(string)) {
		t.Fatalf("UUID() = %v, %v", v, err)
	}
	w, _, _ := xtEval(t, "UUID", nil)
	if w == v {
		t.Fatalf("UUID() repeated %v", v)
	}
}
