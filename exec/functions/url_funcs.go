package functions

// URL functions: URL_DECODE_PARAM URL_ENCODE_PARAM URL_EXTRACT_FRAGMENT
// URL_EXTRACT_HOST URL_EXTRACT_PARAMETER URL_EXTRACT_PATH URL_EXTRACT_PORT
// URL_EXTRACT_PROTOCOL URL_EXTRACT_QUERY.
//
// URLs are parsed as java.net.URI (RFC 2396) parses them, since that is
// what ksqlDB uses: e.g. a host that is not a valid server name makes the
// authority registry-based (no host, no port), and characters outside
// RFC 2396 make the URL invalid (the function fails for the row).

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ksqlgo/ksql/sql/types"
)

func init() { builtins = append(builtins, registerURL) }

func registerURL(r *Registry) {
	str := types.StringType
	extract := func(name, desc string, ret *types.Type, get func(u *urlURI) types.Value) {
		r.AddScalar(&ScalarDef{Name: name, Description: desc, Sigs: []Sig{
			{Params: []Param{P(str)}, Ret: ret, Eval: func(a []types.Value) (types.Value, error) {
				u, err := urlParse(a[0].(string))
				if err != nil {
					return nil, err
				}
				return get(u), nil
			}},
		}})
	}
	opt := func(s string, ok bool) types.Value {
		if !ok {
			return nil
		}
		return s
	}
	extract("URL_EXTRACT_FRAGMENT", "The fragment of a URL, decoded; NULL if there is none.", str,
		func(u *urlURI) types.Value { return opt(urlDecodeURI(u.fragment), u.hasFragment) })
	extract("URL_EXTRACT_HOST", "The host of a URL; NULL if there is none.", str,
		func(u *urlURI) types.Value { return opt(u.host, u.hasHost) })
	extract("URL_EXTRACT_PATH", "The path of a URL, decoded.", str,
		func(u *urlURI) types.Value { return opt(urlDecodeURI(u.path), u.hasPath) })
	extract("URL_EXTRACT_PORT", "The port of a URL; NULL if there is none.", types.IntegerType,
		func(u *urlURI) types.Value {
			if u.port < 0 {
				return nil
			}
			return int32(u.port)
		})
	extract("URL_EXTRACT_PROTOCOL", "The scheme (protocol) of a URL; NULL if there is none.", str,
		func(u *urlURI) types.Value { return opt(u.scheme, u.hasScheme) })
	extract("URL_EXTRACT_QUERY", "The query of a URL, decoded; NULL if there is none.", str,
		func(u *urlURI) types.Value { return opt(urlDecodeURI(u.query), u.hasQuery) })

	r.AddScalar(&ScalarDef{Name: "URL_EXTRACT_PARAMETER", Description: "The value of a query parameter of a URL ('' for a parameter without value); NULL if absent.", Sigs: []Sig{
		{Params: []Param{P(str), P(str)}, Ret: str, Eval: func(a []types.Value) (types.Value, error) {
			u, err := urlParse(a[0].(string))
			if err != nil || !u.hasQuery {
				return nil, err
			}
			name := a[1].(string)
			for _, param := range strings.Split(urlDecodeURI(u.query), "&") {
				k, v, hasValue := strings.Cut(param, "=")
				if k != name {
					continue
				}
				if !hasValue {
					return "", nil
				}
				return v, nil
			}
			return nil, nil
		}},
	}})

	r.AddScalar(&ScalarDef{Name: "URL_ENCODE_PARAM", Description: "Encodes a string as an application/x-www-form-urlencoded parameter value.", Sigs: []Sig{
		{Params: []Param{P(str)}, Ret: str, Eval: func(a []types.Value) (types.Value, error) {
			return urlEncodeParam(a[0].(string)), nil
		}},
	}})
	r.AddScalar(&ScalarDef{Name: "URL_DECODE_PARAM", Description: "Decodes an application/x-www-form-urlencoded parameter value ('+' is a space).", Sigs: []Sig{
		{Params: []Param{P(str)}, Ret: str, Eval: func(a []types.Value) (types.Value, error) {
			return urlDecodeParam(a[0].(string))
		}},
	}})
}

// urlEncodeParam is Guava's urlFormParameterEscaper.
func urlEncodeParam(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.', c == '*':
			b.WriteByte(c)
		case c == ' ':
			b.WriteByte('+')
		default:
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&0xF])
		}
	}
	return b.String()
}

// urlDecodeParam is java.net.URLDecoder.decode(s, UTF-8).
func urlDecodeParam(s string) (types.Value, error) {
	var b strings.Builder
	for i := 0; i < len(s); {
		c := s[i]
		switch c {
		case '+':
			b.WriteByte(' ')
			i++
		case '%':
			var buf []byte
			for i+2 < len(s) && s[i] == '%' {
				v, err := strconv.ParseInt(s[i+1:i+3], 16, 32)
				if err != nil {
					return nil, fmt.Errorf("URLDecoder: Illegal hex characters in escape (%%) pattern - For input string: \"%s\"", s[i+1:i+3])
				}
				if v < 0 {
					return nil, fmt.Errorf("URLDecoder: Illegal hex characters in escape (%%) pattern - negative value")
				}
				buf = append(buf, byte(v))
				i += 3
			}
			if i < len(s) && s[i] == '%' {
				return nil, fmt.Errorf("URLDecoder: Incomplete trailing escape (%%) pattern")
			}
			b.WriteString(strDecodeUTF8(buf))
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), nil
}

// urlURI holds the components of a java.net.URI (raw, undecoded).
type urlURI struct {
	scheme, host, path, query, fragment                string
	hasScheme, hasHost, hasPath, hasQuery, hasFragment bool
	port                                               int
}

// Character classes of RFC 2396, as java.net.URI defines them.
const (
	urlAlpha = 1 << iota
	urlDigit
	urlMark
	urlReserved
	urlPcharExtra    // ":@&=+$,"
	urlPathExtra     // ";/"
	urlUserinfoExtra // ";:&=+$,"
	urlRegExtra      // "$,;:@&=+"
	urlServerExtra   // "-.:@[]"
	urlSchemeExtra   // "+-."
	urlHex
)

var urlClass [128]uint16

func init() {
	set := func(chars string, bit uint16) {
		for i := 0; i < len(chars); i++ {
			urlClass[chars[i]] |= bit
		}
	}
	for c := 'a'; c <= 'z'; c++ {
		urlClass[c] |= urlAlpha
		urlClass[c-'a'+'A'] |= urlAlpha
	}
	for c := '0'; c <= '9'; c++ {
		urlClass[c] |= urlDigit | urlHex
	}
	set("abcdefABCDEF", urlHex)
	set("-_.!~*'()", urlMark)
	set(";/?:@&=+$,[]", urlReserved)
	set(":@&=+$,", urlPcharExtra)
	set(";/", urlPathExtra)
	set(";:&=+$,", urlUserinfoExtra)
	set("$,;:@&=+", urlRegExtra)
	set("-.:@[]", urlServerExtra)
	set("+-.", urlSchemeExtra)
}

const (
	urlUnreserved = urlAlpha | urlDigit | urlMark
	urlURIC       = urlReserved | urlUnreserved
	urlPchar      = urlUnreserved | urlPcharExtra
	urlPath       = urlPchar | urlPathExtra
	urlUserinfo   = urlUnreserved | urlUserinfoExtra
	urlRegName    = urlUnreserved | urlRegExtra
	urlServer     = urlUserinfo | urlServerExtra
	urlScheme     = urlAlpha | urlDigit | urlSchemeExtra
)

// urlParser is a port of java.net.URI's parser (non-strict mode).
type urlParser struct {
	in []rune
	u  urlURI
}

func (p *urlParser) fail(reason string, at int) error {
	return fmt.Errorf("URL input has invalid syntax: %s: %s at index %d: %s", string(p.in), reason, at, string(p.in))
}

func (p *urlParser) at(i int, c rune) bool { return i < len(p.in) && p.in[i] == c }

func (p *urlParser) match(c rune, cls uint16) bool {
	return c < 128 && urlClass[c]&cls != 0
}

// scan advances over characters of the class (with escapes and visible
// non-ASCII characters when escapes is set).
func (p *urlParser) scan(start, end int, cls uint16, escapes bool) (int, error) {
	i := start
	for i < end {
		c := p.in[i]
		if p.match(c, cls) {
			i++
			continue
		}
		if escapes {
			if c == '%' {
				if i+3 <= end && p.match(p.in[i+1], urlHex) && p.match(p.in[i+2], urlHex) {
					i += 3
					continue
				}
				return i, p.fail("Malformed escape pair", i)
			}
			if c > 128 && !unicode.In(c, unicode.Zs, unicode.Zl, unicode.Zp) && !unicode.IsControl(c) {
				i++
				continue
			}
		}
		break
	}
	return i, nil
}

func (p *urlParser) check(start, end int, cls uint16, escapes bool, what string) error {
	i, err := p.scan(start, end, cls, escapes)
	if err != nil {
		return err
	}
	if i < end {
		return p.fail("Illegal character in "+what, i)
	}
	return nil
}

// scanUntil returns the index of the first character of stop, -1 when a
// character of errs comes first, or end.
func (p *urlParser) scanUntil(start, end int, errs, stop string) int {
	for i := start; i < end; i++ {
		c := p.in[i]
		if strings.ContainsRune(errs, c) {
			return -1
		}
		if strings.ContainsRune(stop, c) {
			return i
		}
	}
	return end
}

// urlParse parses s as java.net.URI does.
func urlParse(s string) (*urlURI, error) {
	p := &urlParser{in: []rune(s)}
	p.u.port = -1
	n := len(p.in)
	i := p.scanUntil(0, n, "/?#", ":")
	if i >= 0 && p.at(i, ':') {
		if i == 0 {
			return nil, p.fail("Expected scheme name", 0)
		}
		if !p.match(p.in[0], urlAlpha) {
			return nil, p.fail("Illegal character in scheme name", 0)
		}
		if err := p.check(1, i, urlScheme, false, "scheme name"); err != nil {
			return nil, err
		}
		p.u.scheme, p.u.hasScheme = string(p.in[:i]), true
		i++
		if p.at(i, '/') {
			var err error
			if i, err = p.hierarchical(i, n); err != nil {
				return nil, err
			}
		} else {
			q := p.scanUntil(i, n, "", "#")
			if q <= i {
				return nil, p.fail("Expected scheme-specific part", i)
			}
			if err := p.check(i, q, urlURIC, true, "opaque part"); err != nil {
				return nil, err
			}
			i = q
		}
	} else {
		var err error
		if i, err = p.hierarchical(0, n); err != nil {
			return nil, err
		}
	}
	if p.at(i, '#') {
		if err := p.check(i+1, n, urlURIC, true, "fragment"); err != nil {
			return nil, err
		}
		p.u.fragment, p.u.hasFragment = string(p.in[i+1:]), true
		i = n
	}
	if i < n {
		return nil, p.fail("Expected end of URI", i)
	}
	return &p.u, nil
}

func (p *urlParser) hierarchical(start, n int) (int, error) {
	i := start
	if p.at(i, '/') && p.at(i+1, '/') {
		i += 2
		q := p.scanUntil(i, n, "", "/?#")
		if q > i {
			if err := p.authority(i, q); err != nil {
				return 0, err
			}
			i = q
		} else if q >= n {
			return 0, p.fail("Expected authority", i)
		}
	}
	q := p.scanUntil(i, n, "", "?#")
	if err := p.check(i, q, urlPath, true, "path"); err != nil {
		return 0, err
	}
	p.u.path, p.u.hasPath = string(p.in[i:q]), true
	i = q
	if p.at(i, '?') {
		i++
		q = p.scanUntil(i, n, "", "#")
		if err := p.check(i, q, urlURIC, true, "query"); err != nil {
			return 0, err
		}
		p.u.query, p.u.hasQuery = string(p.in[i:q]), true
		i = q
	}
	return i, nil
}

func (p *urlParser) authority(start, end int) error {
	serverCls := uint16(urlServer)
	serverEnd, err := p.scan(start, end, serverCls, true)
	if err != nil {
		return err
	}
	if strings.ContainsRune(string(p.in[start:end]), ']') {
		// '%' is allowed raw in an IPv6 scope.
		serverEnd = start
		for serverEnd < end && (p.match(p.in[serverEnd], serverCls) || p.in[serverEnd] == '%' || p.in[serverEnd] > 128) {
			serverEnd++
		}
	}
	serverChars := serverEnd == end
	regEnd, err := p.scan(start, end, urlRegName, true)
	if err != nil {
		return err
	}
	regChars := regEnd == end
	if regChars && !serverChars {
		return nil // registry-based authority: no host
	}
	q := start
	var serverErr error
	if serverChars {
		saved := p.u
		if q, serverErr = p.server(start, end); serverErr == nil && q < end {
			serverErr = p.fail("Expected end of authority", q)
		}
		if serverErr != nil {
			p.u = saved
			p.u.host, p.u.hasHost, p.u.port = "", false, -1
			q = start
		}
	}
	if q < end {
		switch {
		case regChars:
			p.u.host, p.u.hasHost, p.u.port = "", false, -1
		case serverErr != nil:
			return serverErr
		default:
			return p.fail("Illegal character in authority", q)
		}
	}
	return nil
}

func (p *urlParser) server(start, end int) (int, error) {
	i := start
	if q := p.scanUntil(i, end, "/?#", "@"); q >= i && p.at(q, '@') && q < end {
		if err := p.check(i, q, urlUserinfo, true, "user info"); err != nil {
			return 0, err
		}
		i = q + 1
	}
	if p.at(i, '[') {
		q := p.scanUntil(i+1, end, "/?#", "]")
		if q <= i+1 || !p.at(q, ']') {
			return 0, p.fail("Expected closing bracket for IPv6 address", q)
		}
		for _, c := range p.in[i+1 : q] {
			if !(p.match(c, urlHex) || c == ':' || c == '.' || c == '%' || unicode.IsLetter(c) || unicode.IsDigit(c)) {
				return 0, p.fail("Malformed IPv6 address", i+1)
			}
		}
		p.u.host, p.u.hasHost = string(p.in[i:q+1]), true
		i = q + 1
	} else {
		q := p.ipv4(i, end)
		if q <= i {
			var err error
			if q, err = p.hostname(i, end); err != nil {
				return 0, err
			}
		}
		i = q
	}
	if p.at(i, ':') && i < end {
		i++
		q := i
		for q < end && p.match(p.in[q], urlDigit) {
			q++
		}
		if q > i {
			port, err := strconv.ParseInt(string(p.in[i:q]), 10, 32)
			if err != nil {
				return 0, p.fail("Malformed port number", i)
			}
			p.u.port = int(port)
			i = q
		}
	}
	if i < end {
		return 0, p.fail("Expected port number", i)
	}
	return i, nil
}

// ipv4 parses a dotted-quad host followed by the end or ':'; it returns
// the end of the address, or -1.
func (p *urlParser) ipv4(start, end int) int {
	m := start
	for m < end && (p.match(p.in[m], urlDigit) || p.in[m] == '.') {
		m++
	}
	if m <= start {
		return -1
	}
	parts := strings.Split(string(p.in[start:m]), ".")
	if len(parts) != 4 {
		return -1
	}
	for _, part := range parts {
		if len(part) == 0 || len(part) > 3 {
			return -1
		}
		if v, err := strconv.Atoi(part); err != nil || v > 255 {
			return -1
		}
	}
	if m < end && p.in[m] != ':' {
		return -1
	}
	p.u.host, p.u.hasHost = string(p.in[start:m]), true
	return m
}

// hostname parses domain labels (alphanumerics and inner dashes separated
// by dots); the last label of a dotted name must start with a letter.
func (p *urlParser) hostname(start, end int) (int, error) {
	i, last := start, -1
	alnum := func(c rune) bool { return p.match(c, urlAlpha|urlDigit) }
	for i < end {
		if !alnum(p.in[i]) {
			break
		}
		last = i
		i++
		for i < end && (alnum(p.in[i]) || p.in[i] == '-') {
			i++
		}
		if p.in[i-1] == '-' {
			return 0, p.fail("Illegal character in hostname", i-1)
		}
		if !p.at(i, '.') || i >= end {
			break
		}
		i++
	}
	if i < end && !p.at(i, ':') {
		return 0, p.fail("Illegal character in hostname", i)
	}
	if last < 0 {
		return 0, p.fail("Expected hostname", start)
	}
	if last > start && !p.match(p.in[last], urlAlpha) {
		return 0, p.fail("Illegal character in hostname", last)
	}
	p.u.host, p.u.hasHost = string(p.in[start:i]), true
	return i, nil
}

// urlDecodeURI decodes %XX escapes as UTF-8 (java.net.URI's decode).
func urlDecodeURI(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	var buf []byte
	flush := func() {
		if len(buf) > 0 {
			b.WriteString(strDecodeUTF8(buf))
			buf = buf[:0]
		}
	}
	for i := 0; i < len(s); {
		if s[i] == '%' && i+2 < len(s) {
			hi, ok1 := strHexDigit(rune(s[i+1]))
			lo, ok2 := strHexDigit(rune(s[i+2]))
			if ok1 && ok2 {
				buf = append(buf, byte(hi<<4|lo))
				i += 3
				continue
			}
		}
		flush()
		r, n := utf8.DecodeRuneInString(s[i:])
		b.WriteRune(r)
		i += n
	}
	flush()
	return b.String()
}
