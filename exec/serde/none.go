package serde

import "github.com/ksqlgo/ksql/sql/types"

// noneCodec is the NONE format (and KAFKA with no columns): nothing is
// serialized. Decode ignores the data, Encode writes nothing; the caller
// writes a nil key or value.
type noneCodec struct{}

func newNoneCodec(cols []Column, opts Options) (Codec, error) {
	if len(cols) != 0 {
		return nil, newConfigError(ErrUnsupportedSchema,
			"The 'NONE' format can only be used when no columns are defined. Got: %s", columnList(cols, opts.IsKey))
	}
	return noneCodec{}, nil
}

func (noneCodec) Decode(data []byte, dst []types.Value) error {
	if len(dst) != 0 {
		return errDstLen(len(dst), 0)
	}
	return nil
}

func (noneCodec) Encode(buf []byte, vals []types.Value) ([]byte, error) {
	if len(vals) != 0 {
		return buf, encodeErrorf("got %d values for 0 columns", len(vals))
	}
	return buf, nil
}
