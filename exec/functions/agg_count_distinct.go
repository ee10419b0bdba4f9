package functions

import (
	"encoding/binary"
	"math"
	"math/bits"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ksqlgo/ksql/planner"
	"github.com/ksqlgo/ksql/sql/types"
)

// COUNT_DISTINCT estimates the number of distinct non-NULL values with the
// same HyperLogLog as ksqlDB (stream-lib's HyperLogLog, log2m = 14, values
// hashed with stream-lib's MurmurHash 2 of the Java value), so estimates
// agree with ksqlDB's; below roughly 40000 distinct values the linear
// counting estimate is exact in practice.
//
// The accumulator is BYTES: a sparse list of the non-zero registers
// (tag 0, then 3 bytes per register: index big-endian, value), switching to
// all 2^14 registers (tag 1, one byte each) once that is smaller.

func init() { builtins = append(builtins, registerCountDistinct) }

const (
	aggHLLLog2m = 14
	aggHLLM     = 1 << aggHLLLog2m
)

func registerCountDistinct(r *Registry) {
	r.AddAggregate(&AggregateDef{ComplexIntermediate: true, Name: "COUNT_DISTINCT",
		Description: "The approximate number of distinct non-NULL values of a column (HyperLogLog, standard error below 1%).",
		Resolve: func(args []planner.ArgInfo) (AggImpl, *types.Type, []*types.Type, error) {
			if len(args) != 1 || aggIsNull(args[0]) || args[0].LambdaArity > 0 {
				return nil, nil, nil, noAggMatch("COUNT_DISTINCT", args)
			}
			b, err := newAggBinder(args, nil)
			if err != nil {
				return nil, nil, nil, err
			}
			return countDistinctAgg{b: b}, types.BigintType, nil, nil
		}})
}

type countDistinctAgg struct{ b aggBinder }

func (countDistinctAgg) Init() types.Value { return []byte{0} }

func (a countDistinctAgg) Add(acc types.Value, args []types.Value) (types.Value, error) {
	v := a.b.bind(args)[0]
	if v == nil {
		return acc, nil
	}
	h := aggMurmurValue(v)
	j := int(uint32(h) >> (32 - aggHLLLog2m))
	w := uint32(h)<<aggHLLLog2m | (1<<(aggHLLLog2m-1) + 1)
	r := byte(bits.LeadingZeros32(w) + 1)
	return aggHLLUpdate(acc.([]byte), j, r), nil
}

func (countDistinctAgg) Merge(x, y types.Value) (types.Value, error) {
	out := append([]byte(nil), x.([]byte)...)
	regs := aggHLLDense(y.([]byte))
	for j, r := range regs {
		if r != 0 {
			out = aggHLLUpdate(out, j, r)
		}
	}
	return out, nil
}

func (countDistinctAgg) Result(acc types.Value) (types.Value, error) {
	regs := aggHLLDense(acc.([]byte))
	sum, zeros := 0.0, 0.0
	for _, r := range regs {
		sum += 1.0 / float64(uint64(1)<<r)
		if r == 0 {
			zeros++
		}
	}
	const m = float64(aggHLLM)
	alphaMM := (0.7213 / (1 + 1.079/m)) * m * m
	estimate := alphaMM * (1 / sum)
	if estimate <= 2.5*m {
		return int64(math.Floor(m*math.Log(m/zeros) + 0.5)), nil
	}
	return int64(math.Floor(estimate + 0.5)), nil
}

// aggHLLUpdate raises register j to r if it is lower.
func aggHLLUpdate(acc []byte, j int, r byte) []byte {
	if len(acc) > 0 && acc[0] == 1 {
		if acc[1+j] < r {
			acc[1+j] = r
		}
		return acc
	}
	n := (len(acc) - 1) / 3
	i := sort.Search(n, func(i int) bool { return int(binary.BigEndian.Uint16(acc[1+3*i:])) >= j })
	if i < n && int(binary.BigEndian.Uint16(acc[1+3*i:])) == j {
		if acc[1+3*i+2] < r {
			acc[1+3*i+2] = r
		}
		return acc
	}
	if 3*(n+1) >= aggHLLM {
		dense := make([]byte, 1+aggHLLM)
		dense[0] = 1
		copy(dense[1:], aggHLLDense(acc))
		dense[1+j] = r
		return dense
	}
	out := make([]byte, 0, len(acc)+3)
	out = append(out, acc[:1+3*i]...)
	out = binary.BigEndian.AppendUint16(out, uint16(j))
	out = append(out, r)
	return append(out, acc[1+3*i:]...)
}

// aggHLLDense expands an accumulator to its registers.
func aggHLLDense(acc []byte) []byte {
	if len(acc) > 0 && acc[0] == 1 {
		return acc[1:]
	}
	regs := make([]byte, aggHLLM)
	for i := 1; i+2 < len(acc); i += 3 {
		regs[binary.BigEndian.Uint16(acc[i:])] = acc[i+2]
	}
	return regs
}

// aggMurmurValue is stream-lib's MurmurHash.hash(Object) of the Java
// value ksqlDB would hold: Integer/Long/Double hash their (long) bits,
// Strings their UTF-8 bytes, byte arrays their bytes, anything else its
// toString().
func aggMurmurValue(v types.Value) int32 {
	switch x := v.(type) {
	case int32:
		return aggMurmurLong(int64(x))
	case int64:
		return aggMurmurLong(x)
	case float64:
		if math.IsNaN(x) {
			return aggMurmurLong(0x7ff8000000000000)
		}
		return aggMurmurLong(int64(math.Float64bits(x)))
	case string:
		return aggMurmurBytes([]byte(x))
	case []byte:
		return aggMurmurBytes(x)
	}
	return aggMurmurBytes([]byte(aggJavaString(v)))
}

// aggJavaString approximates Java's toString of a value.
func aggJavaString(v types.Value) string {
	switch x := v.(type) {
	case types.Dec:
		return aggBigDecimalString(x)
	case types.Timestamp:
		t := time.UnixMilli(int64(x)).UTC()
		s := t.Format("2006-01-02 15:04:05")
		frac := strings.TrimRight(strconv.Itoa(t.Nanosecond() + 1e9)[1:], "0")
		if frac == "" {
			frac = "0"
		}
		return s + "." + frac
	case types.TimeOfDay:
		return time.UnixMilli(int64(x)).UTC().Format("15:04:05")
	}
	return types.String(v)
}

// aggBigDecimalString is BigDecimal.toString: plain notation unless the
// adjusted exponent is below -6.
func aggBigDecimalString(d types.Dec) string {
	adjusted := d.Precision() - d.Scale() - 1
	if d.Scale() >= 0 && adjusted >= -6 {
		return d.String()
	}
	digits := d.Unscaled().String()
	neg := strings.HasPrefix(digits, "-")
	digits = strings.TrimPrefix(digits, "-")
	s := digits[:1]
	if len(digits) > 1 {
		s += "." + digits[1:]
	}
	s += "E" + strconv.Itoa(adjusted)
	if neg {
		s = "-" + s
	}
	return s
}

// aggMurmurBytes is stream-lib's MurmurHash.hash(byte[]) (MurmurHash 2,
// seed -1, with its sign-extending tail).
func aggMurmurBytes(data []byte) int32 {
	const m int32 = 0x5bd1e995
	const r = 24
	length := len(data)
	h := int32(-1) ^ int32(length)
	len4 := length >> 2
	for i := 0; i < len4; i++ {
		i4 := i << 2
		k := int32(int8(data[i4+3]))
		k = k << 8
		k = k | int32(data[i4+2])
		k = k << 8
		k = k | int32(data[i4+1])
		k = k << 8
		k = k | int32(data[i4])
		k *= m
		k ^= int32(uint32(k) >> r)
		k *= m
		h *= m
		h ^= k
	}
	left := length - len4<<2
	if left != 0 {
		if left >= 3 {
			h ^= int32(int8(data[length-3])) << 16
		}
		if left >= 2 {
			h ^= int32(int8(data[length-2])) << 8
		}
		if left >= 1 {
			h ^= int32(int8(data[length-1]))
		}
		h *= m
	}
	h ^= int32(uint32(h) >> 13)
	h *= m
	h ^= int32(uint32(h) >> 15)
	return h
}

// aggMurmurLong is stream-lib's MurmurHash.hashLong.
func aggMurmurLong(data int64) int32 {
	const m int32 = 0x5bd1e995
	const r = 24
	var h int32
	k := int32(data) * m
	k ^= int32(uint32(k) >> r)
	h ^= k * m
	k = int32(data>>32) * m
	k ^= int32(uint32(k) >> r)
	h *= m
	h ^= k * m
	h ^= int32(uint32(h) >> 13)
	h *= m
	h ^= int32(uint32(h) >> 15)
	return h
}
