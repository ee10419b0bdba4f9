package serde

import (
	"encoding/binary"
	"math"
	"unicode/utf8"

	"github.com/ksqlgo/ksql/sql/types"
)

// kafkaCodec is the KAFKA format: one column serialized with Kafka's
// primitive serdes. INTEGER is 4 bytes big-endian, BIGINT 8 bytes
// big-endian, DOUBLE an 8-byte big-endian IEEE-754 double, STRING its UTF-8
// bytes and BYTES the raw bytes. A NULL value is a null record.
type kafkaCodec struct {
	kind   types.Kind
	target string
}

func newKafkaCodec(cols []Column, opts Options) (Codec, error) {
	if len(cols) == 0 {
		return noneCodec{}, nil
	}
	if len(cols) != 1 {
		return nil, newConfigError(ErrUnsupportedSchema,
			"The 'KAFKA' format only supports a single field. Got: %s", columnList(cols, opts.IsKey))
	}
	k := cols[0].Type.Kind
	switch k {
	case types.KindInteger, types.KindBigint, types.KindDouble, types.KindString, types.KindBytes:
	default:
		return nil, newConfigError(ErrUnsupportedSchema, "The 'KAFKA' format does not support type '%s'", k)
	}
	return &kafkaCodec{kind: k, target: target(opts.IsKey)}, nil
}

func (c *kafkaCodec) fail(msg string) error {
	return &DecodeError{Target: c.target, Msg: "Error deserializing KAFKA message: " + msg}
}

func (c *kafkaCodec) Decode(data []byte, dst []types.Value) error {
	if len(dst) != 1 {
		return errDstLen(len(dst), 1)
	}
	if data == nil {
		return ErrNullRecord
	}
	switch c.kind {
	case types.KindInteger:
		if len(data) != 4 {
			return c.fail("Size of data received by IntegerDeserializer is not 4")
		}
		dst[0] = int32(binary.BigEndian.Uint32(data))
	case types.KindBigint:
		if len(data) != 8 {
			return c.fail("Size of data received by LongDeserializer is not 8")
		}
		dst[0] = int64(binary.BigEndian.Uint64(data))
	case types.KindDouble:
		if len(data) != 8 {
			return c.fail("Size of data received by DoubleDeserializer is not 8")
		}
		dst[0] = math.Float64frombits(binary.BigEndian.Uint64(data))
	case types.KindString:
		dst[0] = javaUTF8String(data)
	case types.KindBytes:
		dst[0] = append([]byte{}, data...)
	}
	return nil
}

// DecodeArena is Decode with numbers and valid UTF-8 strings boxed into
// ar (one allocation per record instead of one per value).
func (c *kafkaCodec) DecodeArena(data []byte, dst []types.Value, ar *types.Arena) error {
	if len(dst) == 1 && data != nil {
		switch {
		case c.kind == types.KindInteger && len(data) == 4:
			dst[0] = ar.Int32(int32(binary.BigEndian.Uint32(data)))
			return nil
		case c.kind == types.KindBigint && len(data) == 8:
			dst[0] = ar.Int64(int64(binary.BigEndian.Uint64(data)))
			return nil
		case c.kind == types.KindDouble && len(data) == 8:
			dst[0] = ar.Float64(math.Float64frombits(binary.BigEndian.Uint64(data)))
			return nil
		case c.kind == types.KindString && utf8.Valid(data):
			dst[0] = ar.StringValue(data)
			return nil
		}
	}
	return c.Decode(data, dst) // errors, and what needs its own memory
}

func (c *kafkaCodec) Encode(buf []byte, vals []types.Value) ([]byte, error) {
	if len(vals) != 1 {
		return buf, encodeErrorf("got %d values for 1 column", len(vals))
	}
	v := vals[0]
	if v == nil {
		return buf, ErrNullRecord
	}
	if buf == nil {
		buf = make([]byte, 0, 16)
	}
	switch c.kind {
	case types.KindInteger:
		if x, ok := v.(int32); ok {
			return binary.BigEndian.AppendUint32(buf, uint32(x)), nil
		}
	case types.KindBigint:
		if x, ok := v.(int64); ok {
			return binary.BigEndian.AppendUint64(buf, uint64(x)), nil
		}
	case types.KindDouble:
		if x, ok := v.(float64); ok {
			return binary.BigEndian.AppendUint64(buf, math.Float64bits(x)), nil
		}
	case types.KindString:
		if x, ok := v.(string); ok {
			return append(buf, x...), nil
		}
	case types.KindBytes:
		if x, ok := v.([]byte); ok {
			return append(buf, x...), nil
		}
	}
	return buf, mismatchError(v, c.kind.String())
}
