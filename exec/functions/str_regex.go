package functions

// Regular-expression string functions: REGEXP_EXTRACT REGEXP_EXTRACT_ALL
// REGEXP_REPLACE REGEXP_SPLIT_TO_ARRAY.
//
// Patterns are compiled with Go's RE2 engine, which accepts Java's common
// syntax but not look-around, back-references or possessive quantifiers;
// such patterns fail the row like an invalid pattern. Replacement strings
// use Java's syntax ($1, ${name}, \ escapes).

import (
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/ksqlgo/ksql/sql/types"
)

func init() { builtins = append(builtins, registerStrRegex) }

// strRegexCache memoizes compiled patterns (patterns are nearly always
// literals, so the cache stays tiny; it is reset when it grows large).
var strRegexCache struct {
	sync.RWMutex
	m map[string]*regexp.Regexp
}

const strRegexCacheMax = 1024

// strCompile compiles a pattern, failing with ksqlDB's message.
func strCompile(pattern string) (*regexp.Regexp, error) {
	strRegexCache.RLock()
	re, ok := strRegexCache.m[pattern]
	strRegexCache.RUnlock()
	if ok {
		return re, nil
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, fmt.Errorf("Invalid regular expression pattern: %s", pattern)
	}
	strRegexCache.Lock()
	if strRegexCache.m == nil || len(strRegexCache.m) >= strRegexCacheMax {
		strRegexCache.m = map[string]*regexp.Regexp{}
	}
	strRegexCache.m[pattern] = re
	strRegexCache.Unlock()
	return re, nil
}

func registerStrRegex(r *Registry) {
	str, integer := types.StringType, types.IntegerType

	extract := func(a []types.Value) (types.Value, error) {
		group := 0
		if len(a) > 2 {
			group = int(a[2].(int32))
		}
		re, err := strCompile(a[0].(string))
		if err != nil {
			return nil, err
		}
		if group > re.NumSubexp() {
			return nil, nil
		}
		if group < 0 {
			return nil, fmt.Errorf("No group %d", group)
		}
		s := a[1].(string)
		m := re.FindStringSubmatchIndex(s)
		if m == nil || m[2*group] < 0 {
			return nil, nil
		}
		return s[m[2*group]:m[2*group+1]], nil
	}
	r.AddScalar(&ScalarDef{Name: "REGEXP_EXTRACT", Description: "The first substring matching a pattern, or the given capturing group of the first match.", Sigs: []Sig{
		{Params: []Param{P(str), P(str)}, Ret: str, Eval: extract},
		{Params: []Param{P(str), P(str), P(integer)}, Ret: str, Eval: extract},
	}})

	extractAll := func(a []types.Value) (types.Value, error) {
		group := 0
		if len(a) > 2 {
			group = int(a[2].(int32))
		}
		re, err := strCompile(a[0].(string))
		if err != nil {
			return nil, err
		}
		if group > re.NumSubexp() {
			return nil, nil
		}
		if group < 0 {
			return nil, fmt.Errorf("No group %d", group)
		}
		s := a[1].(string)
		out := []types.Value{}
		for _, m := range re.FindAllStringSubmatchIndex(s, -1) {
			if m[2*group] < 0 {
				out = append(out, nil)
				continue
			}
			out = append(out, s[m[2*group]:m[2*group+1]])
		}
		return out, nil
	}
	r.AddScalar(&ScalarDef{Name: "REGEXP_EXTRACT_ALL", Description: "All substrings matching a pattern, or the given capturing group of every match.", Sigs: []Sig{
		{Params: []Param{P(str), P(str)}, Ret: types.ArrayOf(str), Eval: extractAll},
		{Params: []Param{P(str), P(str), P(integer)}, Ret: types.ArrayOf(str), Eval: extractAll},
	}})

	r.AddScalar(&ScalarDef{Name: "REGEXP_REPLACE", Description: "Replaces every match of a pattern with a replacement ($n refers to a group).", Sigs: []Sig{
		{Params: []Param{P(str), P(str), P(str)}, Ret: str, Eval: func(a []types.Value) (types.Value, error) {
			re, err := strCompile(a[1].(string))
			if err != nil {
				return nil, err
			}
			return strReplaceAll(re, a[0].(string), a[2].(string))
		}},
	}})

	r.AddScalar(&ScalarDef{Name: "REGEXP_SPLIT_TO_ARRAY", Description: "Splits a string on the matches of a pattern.", Sigs: []Sig{
		{Params: []Param{P(str), P(str)}, Ret: types.ArrayOf(str), Eval: func(a []types.Value) (types.Value, error) {
			s, pattern := a[0].(string), a[1].(string)
			re, err := strCompile(pattern)
			if err != nil {
				return nil, err
			}
			var parts []string
			if pattern == "" || strFullMatchEmpty(re) {
				parts = strJavaSplit(re, s)
			} else {
				parts = re.Split(s, -1)
			}
			out := make([]types.Value, len(parts))
			for i, p := range parts {
				out[i] = p
			}
			return out, nil
		}},
	}})
}

// strFullMatchEmpty reports whether the pattern matches the empty string
// as a whole (Java's pattern.matcher("").matches()).
func strFullMatchEmpty(re *regexp.Regexp) bool {
	loc := re.FindStringIndex("")
	return loc != nil && loc[0] == 0 && loc[1] == 0
}

// strJavaSplit is Java's Pattern.split(s): a zero-width match at the start
// yields no leading empty string and trailing empty strings are removed.
func strJavaSplit(re *regexp.Regexp, s string) []string {
	var out []string
	index := 0
	matched := false
	for _, m := range re.FindAllStringIndex(s, -1) {
		if index == 0 && m[0] == 0 && m[1] == 0 {
			continue
		}
		matched = true
		out = append(out, s[index:m[0]])
		index = m[1]
	}
	if !matched {
		return []string{s}
	}
	out = append(out, s[index:])
	n := len(out)
	for n > 0 && out[n-1] == "" {
		n--
	}
	return out[:n]
}

// strReplaceAll is Java's Matcher.replaceAll with Java replacement syntax.
func strReplaceAll(re *regexp.Regexp, s, repl string) (types.Value, error) {
	matches := re.FindAllStringSubmatchIndex(s, -1)
	if len(matches) == 0 {
		return s, nil
	}
	var b strings.Builder
	last := 0
	for _, m := range matches {
		b.WriteString(s[last:m[0]])
		if err := strAppendReplacement(&b, re, s, m, repl); err != nil {
			return nil, err
		}
		last = m[1]
	}
	b.WriteString(s[last:])
	return b.String(), nil
}

// strAppendReplacement expands a Java replacement string for one match.
func strAppendReplacement(b *strings.Builder, re *regexp.Regexp, s string, m []int, repl string) error {
	group := func(i int) {
		if m[2*i] >= 0 {
			b.WriteString(s[m[2*i]:m[2*i+1]])
		}
	}
	n := re.NumSubexp()
	for i := 0; i < len(repl); i++ {
		c := repl[i]
		switch c {
		case '\\':
			i++
			if i >= len(repl) {
				return fmt.Errorf("character to be escaped is missing")
			}
			b.WriteByte(repl[i])
		case '$':
			i++
			if i >= len(repl) {
				return fmt.Errorf("Illegal group reference: group index is missing")
			}
			if repl[i] == '{' {
				end := strings.IndexByte(repl[i:], '}')
				if end < 0 {
					return fmt.Errorf("named capturing group is missing trailing '}'")
				}
				name := repl[i+1 : i+end]
				if name == "" {
					return fmt.Errorf("named capturing group has 0 length name")
				}
				idx := re.SubexpIndex(name)
				if idx < 0 {
					return fmt.Errorf("No group with name {%s}", name)
				}
				group(idx)
				i += end
				continue
			}
			if repl[i] < '0' || repl[i] > '9' {
				return fmt.Errorf("Illegal group reference")
			}
			ref := int(repl[i] - '0')
			for i+1 < len(repl) && repl[i+1] >= '0' && repl[i+1] <= '9' {
				next := ref*10 + int(repl[i+1]-'0')
				if next > n {
					break
				}
				ref = next
				i++
			}
			if ref > n {
				return fmt.Errorf("No group %d", ref)
			}
			group(ref)
		default:
			b.WriteByte(c)
		}
	}
	return nil
}
