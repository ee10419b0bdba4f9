package functions

import "testing"

func TestURLFunctions(t *testing.T) {
	s := xtTs(xtStr)
	ss := xtTs(xtStr, xtStr)
	xtRun(t, []xtCase{
		// url.json
		{fn: "URL_DECODE_PARAM", types: s, args: xtA("%3Ffoo+%24bar"), want: "?foo $bar"},
		{fn: "URL_DECODE_PARAM", types: s, args: xtA("hello%26world"), want: "hello&world"},
		{fn: "URL_DECODE_PARAM", types: s, args: xtA("nothing"), want: "nothing"},
		{fn: "URL_DECODE_PARAM", types: s, args: xtA("%C3%A9t%C3%A9"), want: "été"},
		{name: "bad escape", fn: "URL_DECODE_PARAM", types: s, args: xtA("100%zz"), wantErr: "Illegal hex characters"},
		{name: "incomplete escape", fn: "URL_DECODE_PARAM", types: s, args: xtA("100%4"), wantErr: "Incomplete trailing escape"},
		{fn: "URL_DECODE_PARAM", types: s, args: xtA(nil), want: nil},
		{fn: "URL_ENCODE_PARAM", types: s, args: xtA("?foo $bar"), want: "%3Ffoo+%24bar"},
		{fn: "URL_ENCODE_PARAM", types: s, args: xtA("a-b_c.d*e~f/été"), want: "a-b_c.d*e%7Ef%2F%C3%A9t%C3%A9"},
		{fn: "URL_EXTRACT_FRAGMENT", types: s, args: xtA("http://www.test.com/?query#fragment"), want: "fragment"},
		{fn: "URL_EXTRACT_FRAGMENT", types: s, args: xtA("http://www.nofragment.com"), want: nil},
		{fn: "URL_EXTRACT_FRAGMENT", types: s, args: xtA("http://a.com/#frag%20ment"), want: "frag ment"},
		{fn: "URL_EXTRACT_HOST", types: s, args: xtA("http://www.test.com/?query#fragment"), want: "www.test.com"},
		{fn: "URL_EXTRACT_HOST", types: s, args: xtA("http://test@confluent.io:8080"), want: "confluent.io"},
		{fn: "URL_EXTRACT_HOST", types: s, args: xtA("http://127.0.0.1:80/x"), want: "127.0.0.1"},
		{fn: "URL_EXTRACT_HOST", types: s, args: xtA("http://[::1]:80/x"), want: "[::1]"},
		{name: "registry authority", fn: "URL_EXTRACT_HOST", types: s, args: xtA("http://under_score.com/x"), want: nil},
		{name: "numeric top label", fn: "URL_EXTRACT_HOST", types: s, args: xtA("http://1.2.3.4.5/"), want: nil},
		{name: "no scheme", fn: "URL_EXTRACT_HOST", types: s, args: xtA("www.confluent.io"), want: nil},
		{name: "invalid", fn: "URL_EXTRACT_HOST", types: s, args: xtA("http://a.com/a b"), wantErr: "URL input has invalid syntax"},
		{name: "bad escape", fn: "URL_EXTRACT_PATH", types: s, args: xtA("http://a.com/%zz"), wantErr: "Malformed escape pair"},
		{fn: "URL_EXTRACT_PARAMETER", types: ss, args: xtA("http://www.test.com/?one=a&two=b&three", "one"), want: "a"},
		{fn: "URL_EXTRACT_PARAMETER", types: ss, args: xtA("http://www.test.com/?one=a&two=b&three", "two"), want: "b"},
		{fn: "URL_EXTRACT_PARAMETER", types: ss, args: xtA("http://www.test.com/?one=a&two=b&three", "three"), want: ""},
		{fn: "URL_EXTRACT_PARAMETER", types: ss, args: xtA("http://www.test.com/?one=a&two=b&three", "four"), want: nil},
		{fn: "URL_EXTRACT_PARAMETER", types: ss, args: xtA("http://www.test.com/?one=a=b", "one"), want: "a=b"},
		{fn: "URL_EXTRACT_PARAMETER", types: ss, args: xtA("http://www.test.com/path", "one"), want: nil},
		{fn: "URL_EXTRACT_PARAMETER", types: ss, args: xtA("http://www.test.com/?one=a&two=url%20encoded", "two"), want: "url encoded"},
		{fn: "URL_EXTRACT_PORT", types: s, args: xtA("http://test@confluent.io"), want: nil},
		{fn: "URL_EXTRACT_PORT", types: s, args: xtA("http://test@confluent.io:8080/nested/path?query&jobs"), want: int32(8080)},
		{fn: "URL_EXTRACT_PORT", types: s, args: xtA("http://confluent.io:/x"), want: nil},
		{fn: "URL_EXTRACT_PROTOCOL", types: s, args: xtA("http://test@confluent.io"), want: "http"},
		{fn: "URL_EXTRACT_PROTOCOL", types: s, args: xtA("https://test@confluent.io:8080/nested/path?query&jobs"), want: "https"},
		{fn: "URL_EXTRACT_PROTOCOL", types: s, args: xtA("www.confluent.io"), want: nil},
		{fn: "URL_EXTRACT_PROTOCOL", types: s, args: xtA("mailto:someone@example.com"), want: "mailto"},
		{fn: "URL_EXTRACT_QUERY", types: s, args: xtA("http://www.test.com?query#fragment"), want: "query"},
		{fn: "URL_EXTRACT_QUERY", types: s, args: xtA("http://www.test.com/path?q1&q2"), want: "q1&q2"},
		{fn: "URL_EXTRACT_QUERY", types: s, args: xtA("http://test@confluent.io:8080/nested/path?q=2"), want: "q=2"},
		{fn: "URL_EXTRACT_QUERY", types: s, args: xtA("http://test@confluent.io:8080/path"), want: nil},
		{fn: "URL_EXTRACT_QUERY", types: s, args: xtA("http://x.com/?a=%26"), want: "a=&"},
		{fn: "URL_EXTRACT_PATH", types: s, args: xtA("http://test@confluent.io:8080/nested/path?q=2"), want: "/nested/path"},
		{fn: "URL_EXTRACT_PATH", types: s, args: xtA("http://test.com"), want: ""},
		{fn: "URL_EXTRACT_PATH", types: s, args: xtA("www.confluent.io/a%20b"), want: "www.confluent.io/a b"},
		{fn: "URL_EXTRACT_PATH", types: s, args: xtA("mailto:someone@example.com"), want: nil},
		{fn: "URL_EXTRACT_PATH", types: s, args: xtA(nil), want: nil},
	})
	xtRunTypes(t, []xtTypeCase{
		{fn: "URL_EXTRACT_PORT", types: s, want: xtInt},
		{fn: "URL_EXTRACT_HOST", types: s, want: xtStr},
		{fn: "URL_EXTRACT_PARAMETER", types: ss, want: xtStr},
		{fn: "URL_EXTRACT_HOST", types: xtTs(xtInt), wantErr: "does not accept parameters"},
	})
}
