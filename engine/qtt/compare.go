package qtt

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/catalog"
	"github.com/ksqlgo/ksql/exec"
	"github.com/ksqlgo/ksql/sql/types"
)

// Output records are compared as ksqlDB's TestExecutor.validateCreatedMessage
// does: the actual key and value are deserialized by the test serde of the
// topic's source (TopicInfoCache, SerdeUtil: JSON as untyped Jackson
// objects, DELIMITED as the whole string, KAFKA by its one column's type,
// NONE as null) and compared with the expected JSON by
// ExpectedRecordComparator's rules; then the window (start, end, type),
// the headers (the expected list, none listed meaning none) and the
// timestamp (when listed).

// decodeActual deserializes a key or value as the test serde of format f
// does. exact is the property use.exact.numeric.comparison (JSON floats
// read as BigDecimal rather than Double).
func decodeActual(f catalog.Format, cols []catalog.Column, data []byte, exact bool) (any, error) {
	if data == nil {
		return nil, nil
	}
	switch strings.ToUpper(f.Name) {
	case "JSON":
		n, err := parseJSON(data)
		if err != nil {
			return nil, err
		}
		return jacksonObject(n, exact)
	case "DELIMITED":
		return string(data), nil
	case "NONE":
		return nil, nil
	case "KAFKA":
		return decodeKafka(cols, data)
	case "PROTOBUF_NOSR":
		return decodeProtobufActual(f, cols, data)
	}
	return nil, fmt.Errorf("the runner has no test serde for format %s", f.Name)
}

// jacksonObject converts a node into what Jackson's ObjectMapper.readValue
// (Object.class) returns: Integer, Long or BigInteger by size, BigDecimal
// (exact) or Double for other numbers, String, Boolean, List, Map.
func jacksonObject(n *jnode, exact bool) (any, error) {
	switch n.kind {
	case jNull:
		return nil, nil
	case jBool:
		return n.b, nil
	case jString:
		return n.s, nil
	case jNumber:
		if isIntegralText(n.s) {
			return integerObject(n.s), nil
		}
		if !exact {
			f, err := strconv.ParseFloat(n.s, 64)
			if err != nil && !math.IsInf(f, 0) {
				return nil, err
			}
			return jDouble(f), nil
		}
		return parseDecimal(n.s)
	case jArray:
		out := make([]any, len(n.arr))
		for i, e := range n.arr {
			v, err := jacksonObject(e, exact)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	default:
		m := &jMap{keys: n.keys, m: make(map[string]any, len(n.keys))}
		for _, k := range n.keys {
			v, err := jacksonObject(n.fields[k], exact)
			if err != nil {
				return nil, err
			}
			m.m[k] = v
		}
		return m, nil
	}
}

// integerObject is an integral JSON number as Jackson reads it.
func integerObject(s string) any {
	v, _ := new(big.Int).SetString(s, 10)
	switch {
	case v.IsInt64() && v.Int64() >= math.MinInt32 && v.Int64() <= math.MaxInt32:
		return jInteger(v.Int64())
	case v.IsInt64():
		return jLong(v.Int64())
	}
	return jBigInt{v}
}

// decodeKafka is KafkaSerdeSupplier's deserializer: by the type of the
// one column (no column: a string).
func decodeKafka(cols []catalog.Column, data []byte) (any, error) {
	if len(cols) == 0 {
		return string(data), nil
	}
	if len(cols) != 1 {
		return nil, fmt.Errorf("KAFKA format only supports single column schemas")
	}
	switch cols[0].Type.Kind {
	case types.KindInteger:
		if len(data) != 4 {
			return nil, fmt.Errorf("size of data received by IntegerDeserializer is not 4")
		}
		return jInteger(int32(binary.BigEndian.Uint32(data))), nil
	case types.KindBigint:
		if len(data) != 8 {
			return nil, fmt.Errorf("size of data received by LongDeserializer is not 8")
		}
		v := int64(binary.BigEndian.Uint64(data))
		if math.MinInt32 < v && v < math.MaxInt32 {
			return jInteger(v), nil // TestBigIntDeserializer
		}
		return jLong(v), nil
	case types.KindDouble:
		if len(data) != 8 {
			return nil, fmt.Errorf("size of data received by DoubleDeserializer is not 8")
		}
		// TestDoubleDeserializer: BigDecimal.valueOf(double).
		return parseDecimal(javaDoubleString(math.Float64frombits(binary.BigEndian.Uint64(data))))
	case types.KindString, types.KindBytes:
		return string(data), nil
	}
	return nil, fmt.Errorf("unsupported type for KAFKA format: %s", cols[0].Type)
}

// expectedNode parses an expected key or value ("" or absent: null).
func expectedNode(raw []byte) (*jnode, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return &jnode{kind: jNull}, nil
	}
	return parseJSON(raw)
}

// matches is ExpectedRecordComparator.matches: the comparator is chosen
// by the expected node's type. An error is a Java exception the
// comparison would throw (a failure too).
func matches(actual any, exp *jnode) (bool, error) {
	switch exp.kind {
	case jObject:
		m, ok := actual.(*jMap)
		if !ok || len(m.keys) != len(exp.keys) {
			return false, nil
		}
		for _, k := range exp.keys {
			v := m.m[k]
			if v == nil {
				v = m.m[strings.ToUpper(k)]
			}
			if ok, err := matches(v, exp.fields[k]); !ok || err != nil {
				return false, err
			}
		}
		return true, nil
	case jArray:
		l, ok := actual.([]any)
		if !ok || len(l) != len(exp.arr) {
			return false, nil
		}
		for i, e := range exp.arr {
			if ok, err := matches(l[i], e); !ok || err != nil {
				return false, err
			}
		}
		return true, nil
	case jNumber:
		return compareNumber(actual, exp.s)
	case jString:
		switch a := actual.(type) {
		case string:
			return a == exp.s, nil
		case jDecimal:
			d, err := parseDecimal(exp.s)
			if err != nil {
				return false, fmt.Errorf("NumberFormatException: %v", err)
			}
			return d.equal(a), nil
		case jBytes:
			return base64.StdEncoding.EncodeToString(a) == exp.s, nil
		}
		return false, nil
	case jBool:
		b, ok := actual.(bool)
		return ok && b == exp.b, nil
	default:
		return actual == nil, nil
	}
}

// compareNumber is ExpectedRecordComparator.compareNumber for an expected
// number written as text: Integer and Long compare with the node's
// intValue/longValue (Jackson's, which truncate), Double within 1e-6,
// BigDecimal by compareDecimal; any other actual value does not match.
func compareNumber(actual any, text string) (bool, error) {
	integral := isIntegralText(text)
	var iv *big.Int // the node's integer value (truncated for a DecimalNode)
	var dec jDecimal
	if integral {
		iv, _ = new(big.Int).SetString(text, 10)
	} else {
		var err error
		if dec, err = parseDecimal(text); err != nil {
			return false, err
		}
		iv = dec.integer()
	}
	switch a := actual.(type) {
	case jInteger:
		return int32(low64(iv)) == int32(a), nil
	case jLong:
		return low64(iv) == int64(a), nil
	case jDouble:
		f, _ := strconv.ParseFloat(text, 64)
		return math.Abs(f-float64(a)) < 0.000_001, nil
	case jDecimal:
		// compareDecimal.
		if integral && iv.IsInt64() { // IntNode or LongNode
			if a.scale > 0 {
				return false, nil
			}
			av := a.integer()
			if !av.IsInt64() {
				return false, fmt.Errorf("ArithmeticException: %s does not fit a long", a)
			}
			return iv.Int64() == av.Int64(), nil
		}
		if integral { // BigIntegerNode: not a decimal node
			return false, nil
		}
		return dec.equal(a), nil
	}
	return false, nil
}

// actualRecord is an output record as the test executor sees it.
type actualRecord struct {
	key, value any
	rec        broker.Record
}

func (a actualRecord) String() string {
	hs := make([]string, len(a.rec.Headers))
	for i, h := range a.rec.Headers {
		v := "null"
		if h.Value != nil {
			v = base64.StdEncoding.EncodeToString(h.Value)
		}
		hs[i] = fmt.Sprintf("{KEY=%s,VALUE=%s}", h.Key, v)
	}
	return fmt.Sprintf("<%s, %s> with timestamp=%d and headers=[%s]", describe(a.key), describe(a.value), a.rec.Timestamp, strings.Join(hs, ", "))
}

// deserialize reads an output record with the topic's source, as
// TestExecutor.deserialize does.
func deserialize(src *catalog.Source, rec broker.Record, exact bool) (actualRecord, error) {
	out := actualRecord{rec: rec}
	key := rec.Key
	var win *jWindowed
	if src.IsWindowed() && key != nil {
		k, start, end, err := exec.SplitWindow(key, src.Window)
		if err != nil {
			return out, fmt.Errorf("Failed to deserialize key: %v", err)
		}
		key = k
		win = &jWindowed{start: start, end: end, session: src.Window.Type == catalog.SessionWindow}
	}
	k, err := decodeActual(src.KeyFormat, src.Schema.Key(), key, exact)
	if err != nil {
		return out, fmt.Errorf("Failed to deserialize key: %v (rec: %q)", err, rec.Key)
	}
	if win != nil {
		win.key = k
		out.key = win
	} else {
		out.key = k
	}
	if out.value, err = decodeActual(src.ValueFormat, ValueCols(src), rec.Value, exact); err != nil {
		return out, fmt.Errorf("Failed to deserialize value: %v (rec: %q)", err, rec.Value)
	}
	return out, nil
}

// validateRecord is TestExecutor.validateCreatedMessage: nil when the
// actual record matches the expected one.
func validateRecord(exp RecordNode, act actualRecord, ranWithInsertStatements bool) error {
	expKey, err := expectedNode(exp.Key)
	if err != nil {
		return fmt.Errorf("expected key: %v", err)
	}
	if len(bytes.TrimSpace(exp.Value)) == 0 {
		return fmt.Errorf("could not get expected value from test record")
	}
	expValue, err := expectedNode(exp.Value)
	if err != nil {
		return fmt.Errorf("expected value: %v", err)
	}
	expTs := act.rec.Timestamp
	if exp.Timestamp != nil {
		expTs = *exp.Timestamp
	}
	mismatch := func(what string) error {
		hs := make([]string, len(exp.Headers))
		for i, h := range exp.Headers {
			v := "null"
			if h.Value != nil {
				v = *h.Value
			}
			hs[i] = fmt.Sprintf("{KEY=%s,VALUE=%s}", h.Key, v)
		}
		return fmt.Errorf("%s differs: expected <%s, %s> with timestamp=%d and headers=[%s] but was %s",
			what, expKey, expValue, expTs, strings.Join(hs, ", "), act)
	}
	if exp.Window != nil {
		w, ok := act.key.(*jWindowed)
		if !ok {
			return fmt.Errorf("ClassCastException: expected a windowed key, the key is not windowed: %s", act)
		}
		typ := strings.ToUpper(exp.Window.Type)
		if typ != "TIME" && typ != "SESSION" {
			return fmt.Errorf("invalid expected window type %q (time or session)", exp.Window.Type)
		}
		if w.start != exp.Window.Start || w.end != exp.Window.End || w.session != (typ == "SESSION") {
			return mismatch("window")
		}
		if ok, err := matches(w.key, expKey); err != nil || !ok {
			return errOr(err, mismatch("key"))
		}
	} else if ok, err := matches(act.key, expKey); err != nil || !ok {
		return errOr(err, mismatch("key"))
	}
	if ok, err := matches(act.value, expValue); err != nil || !ok {
		return errOr(err, mismatch("value"))
	}
	if len(act.rec.Headers) != len(exp.Headers) {
		return mismatch("headers")
	}
	for i, h := range exp.Headers {
		var want []byte
		if h.Value != nil {
			b, err := decodeB64(*h.Value)
			if err != nil {
				return err
			}
			want = b
		}
		got := act.rec.Headers[i]
		if got.Key != h.Key || (got.Value == nil) != (want == nil) || !bytes.Equal(got.Value, want) {
			return mismatch("headers")
		}
	}
	if act.rec.Timestamp != expTs && (!ranWithInsertStatements || expTs != 0) {
		return mismatch("timestamp")
	}
	return nil
}

func errOr(err, otherwise error) error {
	if err != nil {
		return err
	}
	return otherwise
}
