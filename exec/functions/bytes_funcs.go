package functions

// Bytes conversion functions: INT_FROM_BYTES BIGINT_FROM_BYTES
// DOUBLE_FROM_BYTES (TO_BYTES and FROM_BYTES are in str_encode.go).

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"

	"github.com/ksqlgo/ksql/sql/types"
)

func init() { builtins = append(builtins, registerBytes) }

// bytesOrder parses a byte order name (case-insensitive).
func bytesOrder(v types.Value) (binary.ByteOrder, error) {
	s, _ := v.(string)
	switch strings.ToUpper(s) {
	case "BIG_ENDIAN":
		return binary.BigEndian, nil
	case "LITTLE_ENDIAN":
		return binary.LittleEndian, nil
	}
	return nil, fmt.Errorf("Byte order must be BIG_ENDIAN or LITTLE_ENDIAN. Unknown byte order '%s'.", s)
}

func registerBytes(r *Registry) {
	byt, str := types.BytesType, types.StringType
	conv := func(name, desc string, ret *types.Type, size int, decode func(b []byte, order binary.ByteOrder) types.Value) {
		eval := func(a []types.Value) (types.Value, error) {
			var order binary.ByteOrder = binary.BigEndian
			if len(a) > 1 {
				var err error
				if order, err = bytesOrder(a[1]); err != nil {
					return nil, err
				}
			}
			b := a[0].([]byte)
			if len(b) != size {
				return nil, fmt.Errorf("Number of bytes must be equal to %d, but found %d", size, len(b))
			}
			return decode(b, order), nil
		}
		r.AddScalar(&ScalarDef{Name: name, Description: desc, Sigs: []Sig{
			{Params: []Param{P(byt)}, Ret: ret, Eval: eval},
			{Params: []Param{P(byt), P(str)}, Ret: ret, Eval: eval},
		}})
	}
	conv("INT_FROM_BYTES", "Converts 4 bytes to an INT, big-endian or in the given byte order ('BIG_ENDIAN', 'LITTLE_ENDIAN').", types.IntegerType, 4,
		func(b []byte, o binary.ByteOrder) types.Value { return int32(o.Uint32(b)) })
	conv("BIGINT_FROM_BYTES", "Converts 8 bytes to a BIGINT, big-endian or in the given byte order ('BIG_ENDIAN', 'LITTLE_ENDIAN').", types.BigintType, 8,
		func(b []byte, o binary.ByteOrder) types.Value { return int64(o.Uint64(b)) })
	conv("DOUBLE_FROM_BYTES", "Converts 8 bytes to a DOUBLE, big-endian or in the given byte order ('BIG_ENDIAN', 'LITTLE_ENDIAN').", types.DoubleType, 8,
		func(b []byte, o binary.ByteOrder) types.Value { return math.Float64frombits(o.Uint64(b)) })
}
