package qtt

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/catalog"
	"github.com/ksqlgo/ksql/engine"
	"github.com/ksqlgo/ksql/exec"
	"github.com/ksqlgo/ksql/exec/serde"
	"github.com/ksqlgo/ksql/sql/ast"
	"github.com/ksqlgo/ksql/sql/types"
)

// Test records in and out of topics, serialized with the formats of the
// source that reads or writes the topic (ksqlDB's TopicInfoCache). QTT
// and the REST RQTT runner (rest/rqtt) share these; how each compares a
// whole record (timestamp, window bounds, order of checks) stays with
// each runner.

// SchemaRegistryFormats are the formats rest/rqtt skips as needing a
// schema registry, which this engine does not provide.
var SchemaRegistryFormats = []string{"AVRO", "PROTOBUF", "PROTOBUF_NOSR", "JSON_SR"}

// SchemaRegistryReason says which schema registry format a case needs,
// or "": text is its statements and topic formats (upper case), props its
// properties (a string value of a property whose name contains "format").
// rest/rqtt skips with it; QTT's list leaves PROTOBUF_NOSR out.
func SchemaRegistryReason(text string, props map[string]any) string {
	return registryReason(text, props, SchemaRegistryFormats)
}

func registryReason(text string, props map[string]any, formats []string) string {
	for _, f := range formats {
		if regexp.MustCompile(`\b` + f + `\b`).MatchString(text) {
			return "needs a schema registry (" + f + ")"
		}
	}
	for k, v := range props {
		if s, ok := v.(string); ok && strings.Contains(k, "format") {
			for _, f := range formats {
				if strings.EqualFold(s, f) {
					return "needs a schema registry (" + f + ")"
				}
			}
		}
	}
	return ""
}

// ReplaceAll replaces old with new in each string.
func ReplaceAll(ss []string, old, new string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strings.ReplaceAll(s, old, new)
	}
	return out
}

// SourceFor finds the catalog source reading or writing a topic (a
// source other than the processing log wins).
func SourceFor(cat *catalog.Catalog, topic string) *catalog.Source {
	var found *catalog.Source
	for _, kind := range []ast.SourceKind{ast.Stream, ast.Table} {
		for _, s := range cat.Sources(kind) {
			if s.Topic == topic && (found == nil || found.Name == engine.ProcessingLogStream) {
				found = s
			}
		}
	}
	return found
}

// IsNull reports whether a test record's key or value is absent or null.
func IsNull(raw json.RawMessage) bool {
	return len(raw) == 0 || string(raw) == "null"
}

// EncodeKey serializes a test record's key per the topic's source.
func EncodeKey(src *catalog.Source, raw json.RawMessage) ([]byte, error) {
	if IsNull(raw) {
		return nil, nil
	}
	keyCols := src.Schema.Key()
	if len(keyCols) == 0 {
		return nil, nil
	}
	return EncodeWith(src.KeyFormat, keyCols, raw, true)
}

// EncodeWith converts a JSON test value into bytes of a format.
func EncodeWith(f catalog.Format, cols []catalog.Column, raw json.RawMessage, isKey bool) ([]byte, error) {
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
	case "PROTOBUF_NOSR":
		return encodeProtobufSpec(f, cols, raw)
	}
	// KAFKA: a single typed column.
	codec, err := exec.NewCodec(f, cols, isKey)
	if err != nil {
		return nil, err
	}
	if len(cols) != 1 {
		return nil, fmt.Errorf("KAFKA format with %d columns", len(cols))
	}
	v, err := jsonToValue(raw, cols[0].Type)
	if err != nil {
		return nil, err
	}
	b, err := codec.Encode(nil, []types.Value{v})
	if errors.Is(err, serde.ErrNullRecord) {
		return nil, nil
	}
	return b, err
}

func jsonToValue(raw json.RawMessage, t *types.Type) (types.Value, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return serde.ValueFromJSON(v, t)
}

// DecodeWith decodes bytes of a format into values (nil for a null record).
func DecodeWith(f catalog.Format, cols []catalog.Column, data []byte, isKey bool) ([]types.Value, error) {
	if data == nil {
		return nil, nil
	}
	codec, err := exec.NewCodec(f, cols, isKey)
	if err != nil {
		return nil, err
	}
	var serialized []catalog.Column
	for _, c := range cols {
		if c.Kind != catalog.HeadersColumn && c.Kind != catalog.HeaderColumn {
			serialized = append(serialized, c)
		}
	}
	vals := make([]types.Value, len(serialized))
	if err := codec.Decode(data, vals); err != nil {
		if errors.Is(err, serde.ErrNullRecord) {
			return nil, nil
		}
		return nil, err
	}
	return vals, nil
}

// ValueCols are the source's value columns without header columns.
func ValueCols(src *catalog.Source) []catalog.Column {
	var out []catalog.Column
	for _, c := range src.Schema.Value() {
		if c.Kind == catalog.ValueColumn {
			out = append(out, c)
		}
	}
	return out
}

// RenderJSON renders decoded values as JSON: an object by column name,
// or the bare value of a single column when unwrapSingle.
func RenderJSON(cols []catalog.Column, vals []types.Value, unwrapSingle bool) string {
	if vals == nil {
		return "null"
	}
	if unwrapSingle && len(cols) == 1 {
		b, _ := json.Marshal(serde.ValueToJSON(vals[0], cols[0].Type))
		return string(b)
	}
	m := map[string]any{}
	for i, c := range cols {
		// DecodeWith gives one value per column not a header column, and
		// the callers pass no header columns: i < len(vals) always holds.
		if i < len(vals) {
			m[c.Name] = serde.ValueToJSON(vals[i], c.Type)
		}
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// Produce appends one test record to log, serialized as src declares;
// with no source on the topic the JSON is written as it is.
func Produce(ctx context.Context, log broker.Log, src *catalog.Source, in RecordNode) error {
	info, err := log.Topic(ctx, in.Topic)
	if err != nil {
		return err
	}
	rec := broker.Record{}
	if in.Timestamp != nil {
		rec.Timestamp = *in.Timestamp
	}
	if src == nil {
		// No source reads the topic: write the JSON as is.
		if !IsNull(in.Key) {
			rec.Key = []byte(in.Key)
		}
		if !IsNull(in.Value) {
			rec.Value = []byte(in.Value)
		}
	} else {
		if rec.Key, err = EncodeKey(src, in.Key); err != nil {
			return fmt.Errorf("serializing key %s: %w", in.Key, err)
		}
		if src.IsWindowed() && rec.Key != nil && in.Window != nil {
			rec.Key = exec.AppendWindow(rec.Key, src.Window.Type, in.Window.Start, in.Window.End)
		}
		if !IsNull(in.Value) {
			if rec.Value, err = EncodeWith(src.ValueFormat, src.Schema.Value(), in.Value, false); err != nil {
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
			b, err := decodeB64(*h.Value)
			if err != nil {
				return err
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

// CompareKeyValue compares an expected record's key and value with an
// actual key (its window already split off) and value, both read with the
// source's schema and compared as typed values. The timestamp, the window
// and a topic with no source are each runner's own rules.
func CompareKeyValue(src *catalog.Source, exp RecordNode, key, value []byte) error {
	// Keys.
	keyCols := src.Schema.Key()
	actKey, err := DecodeWith(src.KeyFormat, keyCols, key, true)
	if err != nil {
		return fmt.Errorf("key: cannot decode %q: %v", key, err)
	}
	var expKey []types.Value
	if !IsNull(exp.Key) && len(keyCols) > 0 {
		kb, err := EncodeWith(src.KeyFormat, keyCols, exp.Key, true)
		if err != nil {
			return fmt.Errorf("key: expected %s does not fit the key schema: %v", exp.Key, err)
		}
		if expKey, err = DecodeWith(src.KeyFormat, keyCols, kb, true); err != nil {
			return fmt.Errorf("key: expected %s does not fit the key schema: %v", exp.Key, err)
		}
	}
	if !RowsEqual(expKey, actKey) {
		return fmt.Errorf("key: expected %s, got %s", exp.Key, RenderJSON(keyCols, actKey, true))
	}
	// Values.
	vcols := ValueCols(src)
	actVal, err := DecodeWith(src.ValueFormat, vcols, value, false)
	if err != nil {
		return fmt.Errorf("value: cannot decode %q: %v", value, err)
	}
	var expVal []types.Value
	if !IsNull(exp.Value) {
		vb, err := EncodeWith(src.ValueFormat, vcols, exp.Value, false)
		if err != nil {
			return fmt.Errorf("value: expected %s does not fit the value schema: %v", exp.Value, err)
		}
		if vb == nil {
			vb = []byte{}
		}
		if expVal, err = DecodeWith(src.ValueFormat, vcols, vb, false); err != nil {
			return fmt.Errorf("value: expected %s does not fit the value schema: %v", exp.Value, err)
		}
	}
	if !RowsEqual(expVal, actVal) {
		return fmt.Errorf("value: expected %s, got %s (key %s)", exp.Value, RenderJSON(vcols, actVal, false), exp.Key)
	}
	return nil
}

// RowsEqual compares decoded rows as typed values (NaN equals NaN).
func RowsEqual(a, b []types.Value) bool {
	if (a == nil) != (b == nil) || len(a) != len(b) {
		return false
	}
	for i := range a {
		if !valuesEqual(a[i], b[i]) {
			return false
		}
	}
	return true
}

func valuesEqual(a, b types.Value) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	if fa, ok := a.(float64); ok {
		if fb, ok := b.(float64); ok {
			return fa == fb || (fa != fa && fb != fb)
		}
	}
	return types.Compare(a, b) == 0
}
