package functions

import "testing"

func TestStrRegex(t *testing.T) {
	ss := xtTs(xtStr, xtStr)
	ssi := xtTs(xtStr, xtStr, xtInt)
	xtRun(t, []xtCase{
		// regex.json
		{fn: "REGEXP_EXTRACT_ALL", types: ss, args: xtA("test.", "some_test_string_testabab"), want: xtS("test_", "testa")},
		{fn: "REGEXP_EXTRACT_ALL", types: ss, args: xtA("test.", "anothertest"), want: xtS()},
		{fn: "REGEXP_EXTRACT_ALL", types: ss, args: xtA("test.", "testa"), want: xtS("testa")},
		{fn: "REGEXP_EXTRACT_ALL", types: ss, args: xtA("test.", nil), want: nil},
		{fn: "REGEXP_EXTRACT_ALL", types: ssi, args: xtA(`(\w+) (\w*)`, "steven zhang andy coates", int32(2)), want: xtS("zhang", "coates")},
		{fn: "REGEXP_EXTRACT_ALL", types: ssi, args: xtA(`(\w+) (\w*)`, "apurva mehta agavra ", int32(2)), want: xtS("mehta", "")},
		{fn: "REGEXP_EXTRACT_ALL", types: ssi, args: xtA(`(\w+) (\w*)`, "agavra", int32(2)), want: xtS()},
		{name: "group beyond count", fn: "REGEXP_EXTRACT_ALL", types: ssi, args: xtA(`(\w+)`, "a b", int32(2)), want: nil},
		{name: "unmatched group", fn: "REGEXP_EXTRACT_ALL", types: ssi, args: xtA(`a(x)?`, "aa", int32(1)), want: xtA(nil, nil)},
		{fn: "REGEXP_EXTRACT", types: ssi, args: xtA("(.*) (.*)", "steven zhang", int32(2)), want: "zhang"},
		{fn: "REGEXP_EXTRACT", types: ssi, args: xtA("(.*) (.*)", "agavra", int32(2)), want: nil},
		{fn: "REGEXP_EXTRACT", types: ss, args: xtA(".*", "zhang"), want: "zhang"},
		{fn: "REGEXP_EXTRACT", types: ss, args: xtA(`\d+`, "abc 123 456"), want: "123"},
		{name: "extract group > count", fn: "REGEXP_EXTRACT", types: ssi, args: xtA(`(\d+)`, "abc 123", int32(3)), want: nil},
		{name: "negative group", fn: "REGEXP_EXTRACT", types: ssi, args: xtA(`(\d+)`, "abc 123", int32(-1)), wantErr: "No group -1"},
		{name: "bad pattern", fn: "REGEXP_EXTRACT", types: ss, args: xtA(`(`, "abc"), wantErr: "Invalid regular expression pattern: ("},
		// regexp_split_to_array (split.json)
		{fn: "REGEXP_SPLIT_TO_ARRAY", types: ss, args: xtA("aabcda", "(ab|cd)"), want: xtS("a", "", "a")},
		{fn: "REGEXP_SPLIT_TO_ARRAY", types: ss, args: xtA("aabdcda", "(ab|cd)"), want: xtS("a", "d", "a")},
		{fn: "REGEXP_SPLIT_TO_ARRAY", types: ss, args: xtA("zxy", "(ab|cd)"), want: xtS("zxy")},
		{fn: "REGEXP_SPLIT_TO_ARRAY", types: ss, args: xtA(nil, "(ab|cd)"), want: nil},
		{fn: "REGEXP_SPLIT_TO_ARRAY", types: ss, args: xtA("zxy", nil), want: nil},
		{name: "empty pattern", fn: "REGEXP_SPLIT_TO_ARRAY", types: ss, args: xtA("abc", ""), want: xtS("a", "b", "c")},
		{name: "trailing kept", fn: "REGEXP_SPLIT_TO_ARRAY", types: ss, args: xtA("a1b2", `\d`), want: xtS("a", "b", "")},
		{name: "empty-matching pattern", fn: "REGEXP_SPLIT_TO_ARRAY", types: ss, args: xtA("abc", `x*`), want: xtS("a", "b", "c")},
		// regexp_replace
		{fn: "REGEXP_REPLACE", types: xtTs(xtStr, xtStr, xtStr), args: xtA("anaconda", "a", "o"), want: "onocondo"},
		{fn: "REGEXP_REPLACE", types: xtTs(xtStr, xtStr, xtStr), args: xtA("foo bar", `(\w+) (\w+)`, "$2 $1"), want: "bar foo"},
		{name: "named group", fn: "REGEXP_REPLACE", types: xtTs(xtStr, xtStr, xtStr), args: xtA("foo bar", `(?P<a>\w+) (\w+)`, "${a}!"), want: "foo!"},
		{name: "escaped dollar", fn: "REGEXP_REPLACE", types: xtTs(xtStr, xtStr, xtStr), args: xtA("a1", `\d`, `\$`), want: "a$"},
		{name: "multi digit ref falls back", fn: "REGEXP_REPLACE", types: xtTs(xtStr, xtStr, xtStr), args: xtA("ab", `(a)`, "$10"), want: "a0b"},
		{name: "bad reference", fn: "REGEXP_REPLACE", types: xtTs(xtStr, xtStr, xtStr), args: xtA("ab", `(a)`, "$2"), wantErr: "No group 2"},
		{name: "illegal reference", fn: "REGEXP_REPLACE", types: xtTs(xtStr, xtStr, xtStr), args: xtA("ab", `(a)`, "$x"), wantErr: "Illegal group reference"},
		{name: "empty matches", fn: "REGEXP_REPLACE", types: xtTs(xtStr, xtStr, xtStr), args: xtA("abc", "x*", "-"), want: "-a-b-c-"},
		{name: "null replacement", fn: "REGEXP_REPLACE", types: xtTs(xtStr, xtStr, xtStr), args: xtA("abc", "b", nil), want: nil},
	})
	xtRunTypes(t, []xtTypeCase{
		{fn: "REGEXP_EXTRACT", types: ss, want: xtStr},
		{fn: "REGEXP_EXTRACT_ALL", types: ssi, want: xtArr(xtStr)},
		{fn: "REGEXP_SPLIT_TO_ARRAY", types: ss, want: xtArr(xtStr)},
		{fn: "REGEXP_REPLACE", types: xtTs(xtStr, xtStr, xtStr), want: xtStr},
		{fn: "REGEXP_EXTRACT", types: xtTs(xtStr, xtStr, xtBig), wantErr: "does not accept parameters"},
	})
}
