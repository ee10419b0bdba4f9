package exec

import (
	"encoding/binary"
	"fmt"

	"github.com/ksqlgo/ksql/catalog"
	"github.com/ksqlgo/ksql/exec/serde"
	"github.com/ksqlgo/ksql/planner"
	"github.com/ksqlgo/ksql/sql/types"
)

// NewCodec builds the serializer for columns in a format; it is also how
// the engine validates that a format supports a schema.
func NewCodec(f catalog.Format, cols []catalog.Column, isKey bool) (serde.Codec, error) {
	sc := make([]serde.Column, 0, len(cols))
	for _, c := range cols {
		if c.Kind == catalog.HeadersColumn || c.Kind == catalog.HeaderColumn {
			continue
		}
		sc = append(sc, serde.Column{Name: c.Name, Type: c.Type})
	}
	return serde.New(f.Name, sc, serde.Options{WrapSingleValue: f.WrapSingleValue, IsKey: isKey, Delimiter: f.Delimiter,
		NullableRepresentation: f.NullableRepresentation})
}

// internalCodec is the value codec of internal topics: the engine's own
// value encoding of a row.
type internalCodec struct{ types []*types.Type }

func (c internalCodec) Decode(data []byte, dst []types.Value) error {
	if data == nil {
		return serde.ErrNullRecord
	}
	row, _, err := decodeRow(data, c.types)
	if err != nil {
		return err
	}
	if len(row) != len(dst) {
		return fmt.Errorf("%w: internal row has %d columns, want %d", errCorrupt, len(row), len(dst))
	}
	copy(dst, row)
	return nil
}

func (c internalCodec) Encode(buf []byte, vals []types.Value) ([]byte, error) {
	return appendRow(buf, vals), nil
}

// topicCodecs are the key and value codecs of a topic.
type topicCodecs struct {
	key, value serde.Codec
	keyCols    int
	// valueSlots maps each serialized value column to its slot among the
	// topic's value columns (header columns are not serialized).
	valueSlots []int
	headerCols []headerCol
	nValue     int
}

type headerCol struct {
	slot int    // among the value columns
	key  string // "" for the HEADERS column
}

func newTopicCodecs(t planner.Topic) (*topicCodecs, error) {
	tc := &topicCodecs{keyCols: len(t.Key), nValue: len(t.Value)}
	var err error
	if t.Internal {
		kt := make([]*types.Type, len(t.Key))
		for i, c := range t.Key {
			kt[i] = c.Type
		}
		if tc.key, err = NewCodec(t.KeyFormat, t.Key, true); err != nil {
			return nil, err
		}
		vt := make([]*types.Type, len(t.Value))
		for i, c := range t.Value {
			vt[i] = c.Type
		}
		tc.value = internalCodec{types: vt}
		for i := range t.Value {
			tc.valueSlots = append(tc.valueSlots, i)
		}
		return tc, nil
	}
	if tc.key, err = NewCodec(t.KeyFormat, t.Key, true); err != nil {
		return nil, fmt.Errorf("key format %s: %w", t.KeyFormat.Name, err)
	}
	if tc.value, err = NewCodec(t.ValueFormat, t.Value, false); err != nil {
		return nil, fmt.Errorf("value format %s: %w", t.ValueFormat.Name, err)
	}
	for i, c := range t.Value {
		switch c.Kind {
		case catalog.HeadersColumn:
			tc.headerCols = append(tc.headerCols, headerCol{slot: i})
		case catalog.HeaderColumn:
			tc.headerCols = append(tc.headerCols, headerCol{slot: i, key: c.HeaderKey})
		default:
			tc.valueSlots = append(tc.valueSlots, i)
		}
	}
	return tc, nil
}

// windowSuffixLen is the number of bytes a windowed key carries after the
// serialized key: the window start for time windows; end and start for
// session windows (as Kafka Streams' windowed serdes write them).
func windowSuffixLen(w catalog.Window) int {
	switch w.Type {
	case catalog.NoWindow:
		return 0
	case catalog.SessionWindow:
		return 16
	}
	return 8
}

// appendWindow appends the window suffix of a windowed key.
func appendWindow(b []byte, w catalog.WindowType, start, end int64) []byte {
	if w == catalog.SessionWindow {
		b = binary.BigEndian.AppendUint64(b, uint64(end))
		return binary.BigEndian.AppendUint64(b, uint64(start))
	}
	return binary.BigEndian.AppendUint64(b, uint64(start))
}

// splitWindow separates a windowed key into the serialized key and the
// window bounds.
func splitWindow(key []byte, w catalog.Window) ([]byte, int64, int64, error) {
	n := windowSuffixLen(w)
	if len(key) < n {
		return nil, 0, 0, fmt.Errorf("windowed key too short: %d bytes", len(key))
	}
	k, suffix := key[:len(key)-n], key[len(key)-n:]
	if w.Type == catalog.SessionWindow {
		end := int64(binary.BigEndian.Uint64(suffix))
		start := int64(binary.BigEndian.Uint64(suffix[8:]))
		return k, start, end, nil
	}
	start := int64(binary.BigEndian.Uint64(suffix))
	return k, start, start + w.SizeMs, nil
}

// AppendWindow appends the window suffix of a windowed key (as Kafka
// Streams' windowed serializers write it).
func AppendWindow(key []byte, w catalog.WindowType, start, end int64) []byte {
	return appendWindow(key, w, start, end)
}

// SplitWindow separates a windowed key into the serialized key and its
// window bounds.
func SplitWindow(key []byte, w catalog.Window) ([]byte, int64, int64, error) {
	return splitWindow(key, w)
}
