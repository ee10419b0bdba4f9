package functions

// JSON functions: EXTRACTJSONFIELD IS_JSON_STRING JSON_ARRAY_LENGTH
// JSON_CONCAT JSON_KEYS JSON_RECORDS JSON_ITEMS TO_JSON_STRING
// JSON_ARRAY_CONTAINS.

import (
	"encoding/base64"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/ksqlgo/ksql/planner"
	"github.com/ksqlgo/ksql/sql/types"
)

func init() { builtins = append(builtins, registerJSON) }

func registerJSON(r *Registry) {
	str := types.StringType

	r.AddScalar(&ScalarDef{Name: "EXTRACTJSONFIELD", Description: "Extracts the value at a JSONPath ('$.a.b[0]') from a JSON string; strings are returned unquoted, other values as JSON; NULL if the path does not exist.", Sigs: []Sig{
		{Params: []Param{P(str), P(str)}, Ret: str, Eval: func(a []types.Value) (types.Value, error) {
			path := a[1].(string)
			tokens, err := jsonPathTokens(path)
			if err != nil {
				return nil, err
			}
			cur, err := jsonParse(a[0].(string))
			if err != nil {
				return nil, err
			}
			if cur == nil && len(tokens) == 0 {
				return "", nil
			}
			for _, tok := range tokens {
				if cur == nil {
					return nil, nil
				}
				if cur.kind == jsonArray {
					idx, err := strconv.ParseInt(tok, 10, 32)
					if err != nil {
						return nil, nil
					}
					if idx < 0 || idx >= int64(len(cur.elems)) {
						return nil, nil
					}
					cur = cur.elems[idx]
				} else {
					cur = cur.get(tok)
				}
				if cur == nil {
					return nil, nil
				}
			}
			if cur.kind == jsonString {
				return cur.s, nil
			}
			return jsonToString(cur), nil
		}},
	}})

	r.AddScalar(&ScalarDef{Name: "IS_JSON_STRING", Description: "True if the string parses as a JSON value.", Sigs: []Sig{
		{Params: []Param{P(str)}, Ret: types.BooleanType, NullSafe: true, Eval: func(a []types.Value) (types.Value, error) {
			if a[0] == nil {
				return false, nil
			}
			n, err := jsonParse(a[0].(string))
			return err == nil && n != nil, nil
		}},
	}})

	// parseKind parses s and returns the node when it is of kind k.
	parseKind := func(s string, k jsonKind) (*jsonNode, error) {
		n, err := jsonParse(s)
		if err != nil || n == nil || n.kind != k {
			return nil, err
		}
		return n, nil
	}

	r.AddScalar(&ScalarDef{Name: "JSON_ARRAY_LENGTH", Description: "The number of elements of a JSON array string; NULL if it is not an array.", Sigs: []Sig{
		{Params: []Param{P(str)}, Ret: types.IntegerType, Eval: func(a []types.Value) (types.Value, error) {
			n, err := parseKind(a[0].(string), jsonArray)
			if n == nil {
				return nil, err
			}
			return int32(len(n.elems)), nil
		}},
	}})

	r.AddScalar(&ScalarDef{Name: "JSON_KEYS", Description: "The top-level keys of a JSON object string; NULL if it is not an object.", Sigs: []Sig{
		{Params: []Param{P(str)}, Ret: types.ArrayOf(str), Eval: func(a []types.Value) (types.Value, error) {
			n, err := parseKind(a[0].(string), jsonObject)
			if n == nil {
				return nil, err
			}
			out := make([]types.Value, len(n.keys))
			for i, k := range n.keys {
				out[i] = k
			}
			return out, nil
		}},
	}})

	r.AddScalar(&ScalarDef{Name: "JSON_RECORDS", Description: "The top-level members of a JSON object string as a map of key to JSON text (strings unquoted); NULL if it is not an object.", Sigs: []Sig{
		{Params: []Param{P(str)}, Ret: types.MapOf(str, str), Eval: func(a []types.Value) (types.Value, error) {
			n, err := parseKind(a[0].(string), jsonObject)
			if n == nil {
				return nil, err
			}
			m := &types.MapValue{Keys: make([]types.Value, len(n.keys)), Vals: make([]types.Value, len(n.keys))}
			for i, k := range n.keys {
				m.Keys[i] = k
				if v := n.vals[i]; v.kind == jsonString {
					m.Vals[i] = v.s
				} else {
					m.Vals[i] = jsonToString(v)
				}
			}
			return m, nil
		}},
	}})

	r.AddScalar(&ScalarDef{Name: "JSON_ITEMS", Description: "The elements of a JSON array of objects as JSON strings; NULL if an element is not an object.", Sigs: []Sig{
		{Params: []Param{P(str)}, Ret: types.ArrayOf(str), Eval: func(a []types.Value) (types.Value, error) {
			s := a[0].(string)
			n, err := jsonParse(s)
			if err != nil {
				return nil, err
			}
			if n == nil || n.kind != jsonArray {
				return nil, fmt.Errorf("Invalid JSON format:%s", s)
			}
			out := make([]types.Value, len(n.elems))
			for i, e := range n.elems {
				if e.kind != jsonObject {
					return nil, nil
				}
				out[i] = jsonToString(e)
			}
			return out, nil
		}},
	}})

	r.AddScalar(&ScalarDef{Name: "JSON_CONCAT", Description: "Concatenates JSON strings: objects merge their keys (later values win), otherwise values are concatenated as arrays; NULL if any input is NULL or empty.", Sigs: []Sig{
		{Params: []Param{P(str)}, Variadic: true, Ret: str, NullSafe: true, Eval: func(a []types.Value) (types.Value, error) {
			nodes := make([]*jsonNode, 0, len(a))
			allObjects := true
			for _, v := range a {
				if v == nil {
					return nil, nil
				}
				n, err := jsonParse(v.(string))
				if err != nil || n == nil {
					return nil, err
				}
				if n.kind != jsonObject {
					allObjects = false
				}
				nodes = append(nodes, n)
			}
			if len(nodes) == 0 {
				return nil, fmt.Errorf("JSON_CONCAT requires at least one argument")
			}
			result := nodes[0]
			if allObjects {
				for _, n := range nodes[1:] {
					for i, k := range n.keys {
						result.set(k, n.vals[i])
					}
				}
			} else {
				for _, n := range nodes[1:] {
					result = jsonToArray(result)
					result.elems = append(result.elems, jsonToArray(n).elems...)
				}
			}
			var b strings.Builder
			jsonWrite(&b, result, true)
			return b.String(), nil
		}},
	}})

	r.AddScalar(&ScalarDef{Name: "TO_JSON_STRING", Description: "Renders any value as a JSON string (NULL as 'null').", Sigs: []Sig{
		{Params: []Param{PAny}, Ret: str, NullSafe: true, Eval: func(a []types.Value) (types.Value, error) {
			var b strings.Builder
			jsonWriteValue(&b, a[0])
			return b.String(), nil
		}},
	}})

	r.AddScalar(&ScalarDef{Name: "JSON_ARRAY_CONTAINS", Description: "True if a JSON array string contains the value (a JSON number, string, boolean or null of the same type).", Resolve: func(args []planner.ArgInfo) (*ScalarImpl, *types.Type, []*types.Type, error) {
		if len(args) != 2 || collHasLambda(args) || !(collIsNull(args[0].Type) || args[0].Type.Kind == types.KindString) {
			return nil, nil, nil, collNoMatch("JSON_ARRAY_CONTAINS", args, "JSON_ARRAY_CONTAINS(STRING, T)")
		}
		return &ScalarImpl{Name: "JSON_ARRAY_CONTAINS", NullSafe: true, Eval: jsonArrayContains}, types.BooleanType,
			collParams(args, []*types.Type{str}), nil
	}})
}

// jsonToArray wraps a non-array node in a one-element array.
func jsonToArray(n *jsonNode) *jsonNode {
	if n.kind == jsonArray {
		return n
	}
	return &jsonNode{kind: jsonArray, elems: []*jsonNode{n}}
}

// jsonArrayContains is JSON_ARRAY_CONTAINS(jsonArray, value).
func jsonArrayContains(a []types.Value) (types.Value, error) {
	if a[0] == nil {
		return nil, nil
	}
	val := a[1]
	found, stop := false, false
	_, err := jsonParseArrayPrefix(a[0].(string), func(el *jsonNode) bool {
		switch el.kind {
		case jsonNull:
			found = val == nil
		case jsonBool:
			if b, ok := val.(bool); ok {
				found = b == el.b
			}
		case jsonString:
			if s, ok := val.(string); ok {
				found = s == el.s
			}
		case jsonNumber:
			if el.isFloat {
				if f, ok := val.(float64); ok {
					g, err := strconv.ParseFloat(el.num, 64)
					found = err == nil && (math.Float64bits(f) == math.Float64bits(g) || f != f && g != g)
				}
				break
			}
			switch v := val.(type) {
			case int32:
				n, err := strconv.ParseInt(el.num, 10, 32)
				if err != nil {
					stop = true // Jackson fails to read the number as an int
					return true
				}
				found = int32(n) == v
			case int64:
				n, err := strconv.ParseInt(el.num, 10, 64)
				if err != nil {
					stop = true
					return true
				}
				found = n == v
			}
		}
		return found
	})
	if stop || (err != nil && !found) {
		return false, nil
	}
	return found, nil
}

// jsonPathTokens tokenizes a JSONPath as ksqlDB's JsonPathTokenizer does:
// "$" followed by ".name", "[index]" or "[\"quoted name\"]" segments.
func jsonPathTokens(path string) ([]string, error) {
	invalid := fmt.Errorf("Invalid JSON path: '%s'", path)
	rs := []rune(path)
	if len(rs) == 0 || rs[0] != '$' {
		return nil, invalid
	}
	subscriptChar := func(r rune) bool {
		return r == '_' || r == '-' || unicode.IsLetter(r) || unicode.IsDigit(r)
	}
	pathChar := func(r rune) bool {
		switch r {
		case ':', '$', '-', '/', '@', '|', '#':
			return true
		}
		return subscriptChar(r)
	}
	var tokens []string
	i := 1
	for i < len(rs) {
		switch rs[i] {
		case '.':
			i++
			start := i
			for i < len(rs) && pathChar(rs[i]) {
				i++
			}
			if i == start {
				return nil, invalid
			}
			tokens = append(tokens, string(rs[start:i]))
		case '[':
			i++
			var tok []rune
			if i < len(rs) && rs[i] == '"' {
				i++
				closed := false
				for i < len(rs) {
					c := rs[i]
					if c == '\\' {
						if i+1 >= len(rs) || (rs[i+1] != '"' && rs[i+1] != '\\') {
							return nil, invalid
						}
						tok = append(tok, rs[i+1])
						i += 2
						continue
					}
					if c == '"' {
						closed = true
						i++
						break
					}
					tok = append(tok, c)
					i++
				}
				if !closed {
					return nil, invalid
				}
			} else {
				start := i
				for i < len(rs) && subscriptChar(rs[i]) {
					i++
				}
				if i == start {
					return nil, invalid
				}
				tok = rs[start:i]
			}
			if i >= len(rs) || rs[i] != ']' {
				return nil, invalid
			}
			i++
			tokens = append(tokens, string(tok))
		default:
			return nil, invalid
		}
	}
	return tokens, nil
}

// jsonWriteValue renders a runtime value as TO_JSON_STRING does: struct
// fields and map keys sorted, BYTES as base64, temporal values as ISO text.
func jsonWriteValue(b *strings.Builder, v types.Value) {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case int32:
		b.WriteString(strconv.FormatInt(int64(x), 10))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			jsonQuote(b, types.FormatDouble(x))
		} else {
			b.WriteString(types.FormatDouble(x))
		}
	case types.Dec:
		b.WriteString(jsonFormatBigDecimal(x.Unscaled(), x.Scale(), true))
	case string:
		jsonQuote(b, x)
	case []byte:
		jsonQuote(b, base64.StdEncoding.EncodeToString(x))
	case types.Timestamp:
		jsonQuote(b, types.FormatTimestamp(x))
	case types.Date:
		jsonQuote(b, types.FormatDate(x))
	case types.TimeOfDay:
		jsonQuote(b, jsonFormatLocalTime(x))
	case []types.Value:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			jsonWriteValue(b, e)
		}
		b.WriteByte(']')
	case *types.MapValue:
		keys := make([]string, 0, len(x.Keys))
		vals := map[string]types.Value{}
		for i, k := range x.Keys {
			ks := types.String(k)
			if _, dup := vals[ks]; !dup {
				keys = append(keys, ks)
			}
			vals[ks] = x.Vals[i]
		}
		sort.Strings(keys)
		jsonWriteMembers(b, keys, vals)
	case *types.StructValue:
		keys := make([]string, 0, len(x.Type.Fields))
		vals := map[string]types.Value{}
		for i, f := range x.Type.Fields {
			keys = append(keys, f.Name)
			vals[f.Name] = x.Vals[i]
		}
		sort.Strings(keys)
		jsonWriteMembers(b, keys, vals)
	default:
		jsonQuote(b, types.String(v))
	}
}

func jsonWriteMembers(b *strings.Builder, keys []string, vals map[string]types.Value) {
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		jsonQuote(b, k)
		b.WriteByte(':')
		jsonWriteValue(b, vals[k])
	}
	b.WriteByte('}')
}

// jsonFormatLocalTime is java.time.LocalTime.toString() of the whole
// seconds of t: "HH:mm", or "HH:mm:ss" when the seconds are not zero.
func jsonFormatLocalTime(t types.TimeOfDay) string {
	secs := int64(t) / 1000
	h, m, s := secs/3600, secs/60%60, secs%60
	if s == 0 {
		return fmt.Sprintf("%02d:%02d", h, m)
	}
	return fmt.Sprintf("%02d:%02d:%02d", h, m, s)
}
