package rqtt

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/catalog"
	"github.com/ksqlgo/ksql/engine/qtt"
	"github.com/ksqlgo/ksql/exec"
	"github.com/ksqlgo/ksql/exec/serde"
	"github.com/ksqlgo/ksql/sql/ast"
	"github.com/ksqlgo/ksql/sql/types"
)

// Records in and out of topics, serialized with the formats of the
// source that reads or writes the topic (ksqlDB's TopicInfoCache), as
// engine/qtt does for QTT.

func allSources(cat *catalog.Catalog) []*catalog.Source {
	var out []*catalog.Source
	for _, kind := range []ast.SourceKind{ast.Stream, ast.Table} {
		out = append(out, cat.Sources(kind)...)
	}
	return out
}

func isNull(raw json.RawMessage) bool {
	return len(raw) == 0 || string(raw) == "null"
}

// produce appends one test record; with no source on the topic the JSON
// is written as it is.
func produce(ctx context.Context, log broker.Log, src *catalog.Source, in qtt.RecordNode) error {
	info, err := log.Topic(in.Topic)
	if err != nil {
		return err
	}
	rec := broker.Record{}
	if in.Timestamp != nil {
		rec.Timestamp = *in.Timestamp
	}
	if src == nil {
		if !isNull(in.Key) {
			rec.Key = []byte(in.Key)
		}
		if !isNull(in.Value) {
			rec.Value = []byte(in.Value)
		}
	} else {
		if rec.Key, err = encodeKey(src, in.Key); err != nil {
			return fmt.Errorf("serializing key %s: %w", in.Key, err)
		}
		if src.IsWindowed() && rec.Key != nil && in.Window != nil {
			rec.Key = exec.AppendWindow(rec.Key, src.Window.Type, in.Window.Start, in.Window.End)
		}
		if !isNull(in.Value) {
			if rec.Value, err = encodeWith(src.ValueFormat, src.Schema.Value(), in.Value, false); err != nil {
				return fmt.Errorf("serializing value %s: %w", in.Value, err)
			}
			if rec.Value == nil {
				rec.Value = []byte{}
			}
		}
	}
	for _, h := range in.Headers {
		hd := broker.Header{Key: h.Key}
		if h.Value != nil {
			b, err := base64.StdEncoding.DecodeString(*h.Value)
			if err != nil {
				return fmt.Errorf("header value is not base64: %q", *h.Value)
			}
			hd.Value = b
		}
		rec.Headers = append(rec.Headers, hd)
	}
	var p int32
	if rec.Key != nil && info.Config.Partitions > 1 {
		k := rec.Key
		if src != nil && src.IsWindowed() {
			k, _, _, _ = exec.SplitWindow(k, src.Window)
		}
		p = broker.PartitionForKey(k, info.Config.Partitions)
	}
	_, err = log.Append(ctx, in.Topic, p, []broker.Record{rec})
	return err
}

func encodeKey(src *catalog.Source, raw json.RawMessage) ([]byte, error) {
	if isNull(raw) {
		return nil, nil
	}
	keyCols := src.Schema.Key()
	if len(keyCols) == 0 {
		return nil, nil
	}
	return encodeWith(src.KeyFormat, keyCols, raw, true)
}

func encodeWith(f catalog.Format, cols []catalog.Column, raw json.RawMessage, isKey bool) ([]byte, error) {
	switch f.Name {
	case "JSON":
		return []byte(raw), nil
	case "DELIMITED":
		var s string
		if err := json.Unmarshal(raw, &s); err == nil {
			return []byte(s), nil
		}
		return []byte(raw), nil
	case "NONE":
		return nil, nil
	}
	codec, err := exec.NewCodec(f, cols, isKey)
	if err != nil {
		return nil, err
	}
	if len(cols) != 1 {
		return nil, fmt.Errorf("KAFKA format with %d columns", len(cols))
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var jv any
	if err := dec.Decode(&jv); err != nil {
		return nil, err
	}
	v, err := serde.ValueFromJSON(jv, cols[0].Type)
	if err != nil {
		return nil, err
	}
	b, err := codec.Encode(nil, []types.Value{v})
	if errors.Is(err, serde.ErrNullRecord) {
		return nil, nil
	}
	return b, err
}

func decodeWith(f catalog.Format, cols []catalog.Column, data []byte, isKey bool) ([]types.Value, error) {
	if data == nil {
		return nil, nil
	}
	codec, err := exec.NewCodec(f, cols, isKey)
	if err != nil {
		return nil, err
	}
	n := 0
	for _, c := range cols {
		if c.Kind != catalog.HeadersColumn && c.Kind != catalog.HeaderColumn {
			n++
		}
	}
	vals := make([]types.Value, n)
	if err := codec.Decode(data, vals); err != nil {
		if errors.Is(err, serde.ErrNullRecord) {
			return nil, nil
		}
		return nil, err
	}
	return vals, nil
}

func valueCols(src *catalog.Source) []catalog.Column {
	var out []catalog.Column
	for _, c := range src.Schema.Value() {
		if c.Kind == catalog.ValueColumn {
			out = append(out, c)
		}
	}
	return out
}

func renderValues(cols []catalog.Column, vals []types.Value, unwrapSingle bool) string {
	if vals == nil {
		return "null"
	}
	if unwrapSingle && len(cols) == 1 {
		b, _ := json.Marshal(serde.ValueToJSON(vals[0], cols[0].Type))
		return string(b)
	}
	m := map[string]any{}
	for i, c := range cols {
		if i < len(vals) {
			m[c.Name] = serde.ValueToJSON(vals[i], c.Type)
		}
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// compareRecord is compareKeyValueTimestamp: the key, the value (both
// read with the source's schema and compared as typed values) and the
// timestamp when the expected record gives one.
func compareRecord(src *catalog.Source, exp qtt.RecordNode, act broker.Record) error {
	if src == nil {
		if !jsonEqual(exp.Value, act.Value) {
			return fmt.Errorf("value: expected %s, got %s", exp.Value, act.Value)
		}
	} else {
		key := act.Key
		if src.IsWindowed() && key != nil {
			k, _, _, err := exec.SplitWindow(key, src.Window)
			if err != nil {
				return err
			}
			key = k
		}
		keyCols := src.Schema.Key()
		actKey, err := decodeWith(src.KeyFormat, keyCols, key, true)
		if err != nil {
			return fmt.Errorf("key: cannot decode %q: %v", key, err)
		}
		var expKey []types.Value
		if !isNull(exp.Key) && len(keyCols) > 0 {
			kb, err := encodeWith(src.KeyFormat, keyCols, exp.Key, true)
			if err == nil {
				expKey, err = decodeWith(src.KeyFormat, keyCols, kb, true)
			}
			if err != nil {
				return fmt.Errorf("key: expected %s does not fit the key schema: %v", exp.Key, err)
			}
		}
		if !rowsEqual(expKey, actKey) {
			return fmt.Errorf("key: expected %s, got %s", exp.Key, renderValues(keyCols, actKey, true))
		}
		vcols := valueCols(src)
		actVal, err := decodeWith(src.ValueFormat, vcols, act.Value, false)
		if err != nil {
			return fmt.Errorf("value: cannot decode %q: %v", act.Value, err)
		}
		var expVal []types.Value
		if !isNull(exp.Value) {
			vb, err := encodeWith(src.ValueFormat, vcols, exp.Value, false)
			if err == nil {
				if vb == nil {
					vb = []byte{}
				}
				expVal, err = decodeWith(src.ValueFormat, vcols, vb, false)
			}
			if err != nil {
				return fmt.Errorf("value: expected %s does not fit the value schema: %v", exp.Value, err)
			}
		}
		if !rowsEqual(expVal, actVal) {
			return fmt.Errorf("value: expected %s, got %s (key %s)", exp.Value, renderValues(vcols, actVal, false), exp.Key)
		}
	}
	if exp.Timestamp != nil && *exp.Timestamp != act.Timestamp {
		return fmt.Errorf("timestamp: expected %d, got %d", *exp.Timestamp, act.Timestamp)
	}
	return nil
}

func rowsEqual(a, b []types.Value) bool {
	if (a == nil) != (b == nil) || len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x == nil || y == nil {
			if x != nil || y != nil {
				return false
			}
			continue
		}
		if fx, ok := x.(float64); ok {
			if fy, ok := y.(float64); ok {
				if fx != fy && (fx == fx || fy == fy) {
					return false
				}
				continue
			}
		}
		if types.Compare(x, y) != 0 {
			return false
		}
	}
	return true
}

func jsonEqual(a json.RawMessage, b []byte) bool {
	if isNull(a) {
		return b == nil
	}
	x, err1 := parseJSON(a)
	y, err2 := parseJSON(b)
	if err1 != nil || err2 != nil {
		return bytes.Equal(a, b)
	}
	return equal(x, y)
}
