package qtt

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"

	"github.com/ksqlgo/ksql/catalog"
	"github.com/ksqlgo/ksql/exec/serde"
	"github.com/ksqlgo/ksql/sql/types"
)

// PROTOBUF_NOSR test records, as ksqlDB's ValueSpecProtobufNoSRSerdeSupplier
// writes and reads them. The test serde always uses a STRUCT of the key
// (or value) columns, whatever the source's wrapping, with the format's
// nullableRepresentation: a JSON input is converted by
// SpecToConnectConverter.specToConnect (an object whose fields match the
// columns case-insensitively; a bare key or value is a ClassCastException
// in ksqlDB, an error here), and an output is read back into Java objects
// by connectToSpec (a map by column name), which
// TestExecutor.coerceRecordFields then touches up (top-level BYTES become
// base64 strings, empty ones null).

// protobufTestCodec is the test serde's codec: columns always wrapped.
func protobufTestCodec(f catalog.Format, cols []catalog.Column) (serde.Codec, []serde.Column, error) {
	var sc []serde.Column
	for _, c := range cols {
		if c.Kind != catalog.HeadersColumn && c.Kind != catalog.HeaderColumn {
			sc = append(sc, serde.Column{Name: c.Name, Type: c.Type})
		}
	}
	opts := serde.Options{NullableRepresentation: f.NullableRepresentation}
	if len(sc) == 1 {
		wrap := true
		opts.WrapSingleValue = &wrap
	}
	codec, err := serde.New("PROTOBUF_NOSR", sc, opts)
	return codec, sc, err
}

// encodeProtobufSpec is ValueSpecProtobufNoSRSerializer.serialize.
func encodeProtobufSpec(f catalog.Format, cols []catalog.Column, raw []byte) ([]byte, error) {
	codec, sc, err := protobufTestCodec(f, cols)
	if err != nil {
		return nil, err
	}
	n, err := parseJSON(raw)
	if err != nil {
		return nil, err
	}
	if n.kind == jNull {
		return nil, nil
	}
	if n.kind != jObject {
		return nil, fmt.Errorf("ClassCastException: %s cannot be cast to java.util.Map (the PROTOBUF_NOSR test serde reads an object of the columns)", javaClassName(n))
	}
	vals := make([]types.Value, len(sc))
	byUpper := map[string]int{}
	for i, c := range sc {
		byUpper[strings.ToUpper(c.Name)] = i
	}
	for _, k := range n.keys {
		i, ok := byUpper[strings.ToUpper(k)]
		if !ok {
			continue
		}
		v, err := specToValue(n.fields[k], sc[i].Type)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", sc[i].Name, err)
		}
		vals[i] = v
	}
	b, err := codec.Encode(nil, vals)
	if errors.Is(err, serde.ErrNullRecord) {
		return nil, nil
	}
	if err == nil && b == nil {
		b = []byte{}
	}
	return b, err
}

func javaClassName(n *jnode) string {
	switch n.kind {
	case jString:
		return "java.lang.String"
	case jBool:
		return "java.lang.Boolean"
	case jArray:
		return "java.util.ArrayList"
	case jNumber:
		if isIntegralText(n.s) {
			return "java.lang.Integer"
		}
		return "java.math.BigDecimal"
	}
	return "java.lang.Object"
}

// specToValue is SpecToConnectConverter.specToConnect for one value of
// SQL type t (the JSON as Jackson reads it, floats as BigDecimal).
func specToValue(n *jnode, t *types.Type) (types.Value, error) {
	if n.kind == jNull {
		return nil, nil
	}
	switch t.Kind {
	case types.KindInteger, types.KindDate, types.KindTime:
		s := javaString(n)
		v, err := strconv.ParseInt(s, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("NumberFormatException: For input string: %q", s)
		}
		switch t.Kind {
		case types.KindDate:
			return types.Date(v), nil
		case types.KindTime:
			return types.TimeOfDay(v), nil
		}
		return int32(v), nil
	case types.KindBigint, types.KindTimestamp:
		s := javaString(n)
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("NumberFormatException: For input string: %q", s)
		}
		if t.Kind == types.KindTimestamp {
			return types.Timestamp(v), nil
		}
		return v, nil
	case types.KindDouble:
		s := strings.TrimSpace(javaString(n))
		v, err := strconv.ParseFloat(s, 64)
		if err != nil && !math.IsInf(v, 0) {
			return nil, fmt.Errorf("NumberFormatException: For input string: %q", s)
		}
		return v, nil
	case types.KindBoolean:
		return strings.EqualFold(javaString(n), "true"), nil
	case types.KindString:
		return javaString(n), nil
	case types.KindArray:
		if n.kind != jArray {
			return nil, fmt.Errorf("ClassCastException: %s cannot be cast to java.util.List", javaClassName(n))
		}
		out := make([]types.Value, len(n.arr))
		for i, e := range n.arr {
			v, err := specToValue(e, t.Elem)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	case types.KindMap:
		if n.kind != jObject {
			return nil, fmt.Errorf("ClassCastException: %s cannot be cast to java.util.Map", javaClassName(n))
		}
		m := &types.MapValue{}
		for _, k := range n.keys {
			v, err := specToValue(n.fields[k], t.Value)
			if err != nil {
				return nil, err
			}
			m.Put(k, v)
		}
		return m, nil
	case types.KindStruct:
		if n.kind != jObject {
			return nil, fmt.Errorf("ClassCastException: %s cannot be cast to java.util.Map", javaClassName(n))
		}
		byUpper := map[string]int{}
		for i, f := range t.Fields {
			byUpper[strings.ToUpper(f.Name)] = i
		}
		vals := make([]types.Value, len(t.Fields))
		for _, k := range n.keys {
			i, ok := byUpper[strings.ToUpper(k)]
			if !ok {
				continue
			}
			v, err := specToValue(n.fields[k], t.Fields[i].Type)
			if err != nil {
				return nil, err
			}
			vals[i] = v
		}
		return &types.StructValue{Type: t, Vals: vals}, nil
	case types.KindDecimal:
		switch {
		case n.kind == jNumber && !isIntegralText(n.s):
			d, err := types.ParseDec(n.s)
			if err != nil {
				return nil, err
			}
			return fitDecimal(d, t, false)
		case n.kind == jString:
			d, err := types.ParseDec(strings.TrimSpace(n.s))
			if err != nil {
				return nil, fmt.Errorf("NumberFormatException: %v", err)
			}
			return fitDecimal(d, t, true)
		}
		return nil, fmt.Errorf("DECIMAL type requires JSON number in test data")
	case types.KindBytes:
		if n.kind != jString {
			return nil, fmt.Errorf("invalid BYTES test data %s: expected a base64 string", javaString(n))
		}
		b, err := base64.StdEncoding.DecodeString(n.s)
		if err != nil {
			b, err = base64.RawStdEncoding.DecodeString(n.s)
		}
		if err != nil {
			return nil, fmt.Errorf("IllegalArgumentException: invalid base64 %q", n.s)
		}
		return b, nil
	}
	return nil, fmt.Errorf("This test does not support the data type yet: %s", t.Kind)
}

// fitDecimal is DecimalUtil.ensureFit (round false: no rounding) or
// DecimalUtil.cast of a string (round: HALF_UP).
func fitDecimal(d types.Dec, t *types.Type, round bool) (types.Value, error) {
	limit := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(t.Precision-t.Scale)), nil)
	lim := types.NewDec(limit, 0)
	if d.Abs().Cmp(lim) >= 0 {
		return nil, fmt.Errorf("Numeric field overflow: A field with precision %d and scale %d must round to an absolute value less than 10^%d. Got %s",
			t.Precision, t.Scale, t.Precision-t.Scale, d.String())
	}
	r := d.Rescale(t.Scale)
	if !round && r.Cmp(d) != 0 {
		return nil, fmt.Errorf("Cannot fit decimal '%s' into DECIMAL(%d, %d) without rounding. (Requires %d,%d)",
			d.String(), t.Precision, t.Scale, d.Precision(), d.Scale())
	}
	return r, nil
}

// javaString is String.valueOf of the object Jackson reads a node as.
func javaString(n *jnode) string {
	switch n.kind {
	case jNull:
		return "null"
	case jBool:
		return strconv.FormatBool(n.b)
	case jString:
		return n.s
	case jNumber:
		if isIntegralText(n.s) {
			v, _ := new(big.Int).SetString(n.s, 10)
			return v.String()
		}
		d, err := parseDecimal(n.s)
		if err != nil {
			return n.s
		}
		return bigDecimalString(d)
	case jArray:
		parts := make([]string, len(n.arr))
		for i, e := range n.arr {
			parts[i] = javaString(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	parts := make([]string, len(n.keys))
	for i, k := range n.keys {
		parts[i] = k + "=" + javaString(n.fields[k])
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// bigDecimalString is BigDecimal.toString.
func bigDecimalString(d jDecimal) string {
	neg := d.unscaled.Sign() < 0
	digits := new(big.Int).Abs(d.unscaled).String()
	adjusted := -int64(d.scale) + int64(len(digits)-1)
	var s string
	switch {
	case d.scale == 0:
		s = digits
	case d.scale > 0 && adjusted >= -6:
		if pad := int(d.scale) - len(digits) + 1; pad > 0 {
			digits = strings.Repeat("0", pad) + digits
		}
		p := len(digits) - int(d.scale)
		s = digits[:p] + "." + digits[p:]
	default:
		s = digits[:1]
		if len(digits) > 1 {
			s += "." + digits[1:]
		}
		if adjusted != 0 {
			s += "E"
			if adjusted > 0 {
				s += "+"
			}
			s += strconv.FormatInt(adjusted, 10)
		}
	}
	if neg {
		return "-" + s
	}
	return s
}

// decodeProtobufActual is ValueSpecProtobufNoSRDeserializer.deserialize
// followed by TestExecutor.coerceRecordFields.
func decodeProtobufActual(f catalog.Format, cols []catalog.Column, data []byte) (any, error) {
	codec, sc, err := protobufTestCodec(f, cols)
	if err != nil {
		return nil, err
	}
	vals := make([]types.Value, len(sc))
	if err := codec.Decode(data, vals); err != nil {
		if errors.Is(err, serde.ErrNullRecord) {
			return nil, nil
		}
		return nil, err
	}
	m := &jMap{m: make(map[string]any, len(sc))}
	for i, c := range sc {
		v := connectToSpec(vals[i])
		if b, ok := v.(jBytes); ok { // coerceRecordFields
			if len(b) == 0 {
				v = nil
			} else {
				v = base64.StdEncoding.EncodeToString(b)
			}
		}
		if _, dup := m.m[c.Name]; !dup {
			m.keys = append(m.keys, c.Name)
		}
		m.m[c.Name] = v
	}
	return m, nil
}

// connectToSpec is SpecToConnectConverter.connectToSpec: the Java object
// a decoded value becomes (TIMESTAMP a Long of millis, DATE an Integer of
// days, TIME an Integer of millis, DECIMAL a BigDecimal, BYTES a
// ByteBuffer).
func connectToSpec(v types.Value) any {
	switch x := v.(type) {
	case nil:
		return nil
	case int32:
		return jInteger(x)
	case int64:
		return jLong(x)
	case types.Timestamp:
		return jLong(x)
	case types.Date:
		return jInteger(x)
	case types.TimeOfDay:
		return jInteger(x)
	case float64:
		return jDouble(x)
	case bool:
		return x
	case string:
		return x
	case []byte:
		return jBytes(x)
	case types.Dec:
		return jDecimal{unscaled: x.Unscaled(), scale: int32(x.Scale())}
	case []types.Value:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = connectToSpec(e)
		}
		return out
	case *types.MapValue:
		m := &jMap{m: make(map[string]any, len(x.Keys))}
		for i, k := range x.Keys {
			ks := fmt.Sprint(k)
			if _, dup := m.m[ks]; !dup {
				m.keys = append(m.keys, ks)
			}
			m.m[ks] = connectToSpec(x.Vals[i])
		}
		return m
	case *types.StructValue:
		m := &jMap{m: make(map[string]any, len(x.Vals))}
		for i, f := range x.Type.Fields {
			if _, dup := m.m[f.Name]; !dup {
				m.keys = append(m.keys, f.Name)
			}
			m.m[f.Name] = connectToSpec(x.Vals[i])
		}
		return m
	}
	return v
}
