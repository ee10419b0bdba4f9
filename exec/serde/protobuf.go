package serde

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"strings"
	"unicode/utf8"

	"github.com/ksqlgo/ksql/sql/types"
)

// PROTOBUF_NOSR: Protobuf without a schema registry. ksqlDB derives the
// Protobuf schema from the columns (ProtobufNoSRSerdeFactory, through
// Confluent's ProtobufData.fromConnectSchema) and writes bare messages
// (no magic byte, no schema id). The schema it derives, which this file
// encodes by hand (proto3 wire format, no generated code):
//
//   - A wrapped row (several columns, or one with WRAP_SINGLE_VALUE=true) is
//     a message whose fields are the columns, numbered 1, 2, ... in order.
//   - A single unwrapped column (a single key column, or a value with
//     WRAP_SINGLE_VALUE=false) of a primitive type is the matching
//     google.protobuf wrapper message (Int32Value, ...): its field 1 holds
//     the value; a NULL is a null record. An unwrapped STRUCT is its own
//     message; an unwrapped DECIMAL, DATE, TIME or TIMESTAMP is written as
//     its logical message (below). ARRAY and MAP cannot be the root.
//   - BOOLEAN bool, INTEGER int32, BIGINT int64 (varints; negative int32
//     as 10-byte sign-extended varints), DOUBLE double (fixed64), STRING
//     string, BYTES bytes. No sint (zigzag) or fixed integer types occur.
//   - DECIMAL is confluent.type.Decimal {bytes value = 1 (the unscaled
//     value, big-endian two's complement); uint32 precision = 2; int32
//     scale = 3}, written with the value's own precision and scale
//     (DecimalUtils.fromBigDecimal); read back with that scale, rounded
//     to the written precision.
//   - TIMESTAMP is google.protobuf.Timestamp {int64 seconds = 1; int32
//     nanos = 2}; DATE is google.type.Date {int32 year = 1; int32 month =
//     2; int32 day = 3} in java.util.Calendar's UTC (Julian before
//     1582-10-15); TIME is google.type.TimeOfDay {int32 hours = 1; minutes
//     = 2; seconds = 3; nanos = 4}.
//   - STRUCT is a nested message, fields numbered 1.. in order.
//   - ARRAY is a repeated field (numbers and booleans packed); an empty or
//     NULL array is not written and reads back as an empty array; a NULL
//     element cannot be written.
//   - MAP (STRING keys only) is a repeated entry message {key = 1; value =
//     2}; an empty or NULL map reads back as an empty map. An entry
//     missing its key or value reads it as the empty message would (a
//     default scalar, a struct of defaults; an error for DECIMAL and DATE).
//
// How a NULL primitive field (BOOLEAN, INTEGER, BIGINT, DOUBLE, STRING,
// BYTES in a message or map entry) is written depends on the format
// property nullableRepresentation (KEY_/VALUE_PROTOBUF_NULLABLE_
// REPRESENTATION):
//
//   - unset: a plain proto3 field. NULL and the default value (0, false,
//     "", empty bytes) are both left out, and a missing field reads as the
//     default: NULL does not survive a round trip.
//   - OPTIONAL: a proto3 "optional" field, written whenever it is not
//     NULL; a missing field reads as NULL.
//   - WRAPPER: the field holds a wrapper message (google.protobuf.
//     Int32Value, ...); a missing field reads as NULL. Array elements are
//     wrappers too.
//
// Message fields (STRUCT, DECIMAL, DATE, TIME, TIMESTAMP) are left out
// when NULL and read back as NULL in every mode.
//
// Decoding follows protobuf-java's parser: unknown fields and fields with
// an unexpected wire type are skipped, a repeated scalar may come packed or
// not, a repeated singular field keeps its last value (messages merge),
// and malformed input (truncated or over-long varints, lengths past the
// end, bad wire types or tags, unmatched groups, invalid UTF-8 in a
// string) is a DecodeError carrying protobuf-java's message.

// Nullable representations (ksqlDB's nullableRepresentation values).
const (
	// ProtobufNullableOptional is nullableRepresentation=optional.
	ProtobufNullableOptional = "optional"
	// ProtobufNullableWrapper is nullableRepresentation=wrapper.
	ProtobufNullableWrapper = "wrapper"
)

type pbNullMode uint8

const (
	pbNullDefault pbNullMode = iota
	pbNullOptional
	pbNullWrapper
)

// pbNode is the translated schema of one SQL type.
type pbNode struct {
	t      *types.Type
	kind   types.Kind
	fields []pbField // STRUCT
	elem   *pbNode   // ARRAY
	key    *pbNode   // MAP entry field 1
	val    *pbNode   // MAP entry field 2
	entry  []pbField // MAP: the entry message's fields (key, val)
}

// pbField is a field of a message: number i+1 for index i.
type pbField struct {
	name string
	node *pbNode
	mode pbNullMode
}

// protobufCodec is PROTOBUF_NOSR.
type protobufCodec struct {
	target string
	// fields of the root message: the columns (wrapped), the wrapper's
	// one field (unwrapped primitive) or the struct's fields (unwrapped
	// STRUCT). logical is set instead for an unwrapped DECIMAL, DATE,
	// TIME or TIMESTAMP.
	fields  []pbField
	logical *pbNode
	// unwrapped: one column, NULL is a null record.
	unwrapped bool
	// rootStruct is the STRUCT type of an unwrapped STRUCT column.
	rootStruct *types.Type
}

const (
	pbMaxDepth = 100 // protobuf-java's default recursion limit
	// maxPbScale bounds a decoded DECIMAL's scale (the wire allows any
	// int32; ksqlDB's columns stay within DECIMAL(64, 64)).
	maxPbScale = 1000
)

func protobufNullMode(rep string) (pbNullMode, error) {
	switch strings.ToLower(strings.TrimSpace(rep)) {
	case "":
		return pbNullDefault, nil
	case ProtobufNullableOptional:
		return pbNullOptional, nil
	case ProtobufNullableWrapper:
		return pbNullWrapper, nil
	}
	return 0, newConfigError(ErrInvalidOptions, "Unexpected nullable representation %s. Valid values are OPTIONAL and WRAPPER", rep)
}

func newProtobufCodec(cols []Column, opts Options) (Codec, error) {
	mode, err := protobufNullMode(opts.NullableRepresentation)
	if err != nil {
		return nil, err
	}
	c := &protobufCodec{target: target(opts.IsKey)}
	wrap := !opts.IsKey // values are wrapped by default, keys unwrapped
	if opts.WrapSingleValue != nil {
		wrap = *opts.WrapSingleValue
	}
	if len(cols) != 1 {
		wrap = true
	}
	for _, col := range cols {
		if err := pbCheck(col.Type, false); err != nil {
			return nil, err
		}
	}
	if wrap {
		for _, col := range cols {
			c.fields = append(c.fields, pbField{name: col.Name, node: pbTranslate(col.Type, mode), mode: mode})
		}
		return c, nil
	}
	c.unwrapped = true
	t := cols[0].Type
	switch t.Kind {
	case types.KindArray, types.KindMap:
		return nil, newConfigError(ErrUnsupportedSchema,
			"The 'PROTOBUF_NOSR' format does not support an unwrapped %s: Unsupported root schema of type %s", t.Kind, t.Kind)
	case types.KindStruct:
		n := pbTranslate(t, mode)
		c.fields, c.rootStruct = n.fields, t
	case types.KindDecimal, types.KindDate, types.KindTime, types.KindTimestamp:
		c.logical = pbTranslate(t, mode)
	default:
		// A root wrapper message: its value field is a plain proto3 field.
		c.fields = []pbField{{name: "value", node: pbTranslate(t, mode), mode: pbNullDefault}}
	}
	return c, nil
}

// pbCheck rejects the types ksqlDB's Protobuf schema translation cannot
// express.
func pbCheck(t *types.Type, inArray bool) error {
	switch t.Kind {
	case types.KindArray:
		if inArray {
			return newConfigError(ErrUnsupportedSchema, "The 'PROTOBUF_NOSR' format does not support nested arrays (%s): Array cannot be nested", t.SQLString())
		}
		return pbCheck(t.Elem, true)
	case types.KindMap:
		if t.Key.Kind != types.KindString {
			return newConfigError(ErrUnsupportedSchema, "PROTOBUF format only supports MAP types with STRING keys. See https://github.com/confluentinc/ksql/issues/6177.")
		}
		if inArray {
			return newConfigError(ErrUnsupportedSchema, "The 'PROTOBUF_NOSR' format does not support arrays of maps (%s)", t.SQLString())
		}
		return pbCheck(t.Value, false)
	case types.KindStruct:
		for _, f := range t.Fields {
			if err := pbCheck(f.Type, false); err != nil {
				return err
			}
		}
	}
	return nil
}

func pbTranslate(t *types.Type, mode pbNullMode) *pbNode {
	n := &pbNode{t: t, kind: t.Kind}
	switch t.Kind {
	case types.KindArray:
		n.elem = pbTranslate(t.Elem, mode)
	case types.KindMap:
		n.key = pbTranslate(t.Key, mode)
		n.val = pbTranslate(t.Value, mode)
		n.entry = []pbField{{name: "key", node: n.key, mode: mode}, {name: "value", node: n.val, mode: mode}}
	case types.KindStruct:
		for _, f := range t.Fields {
			n.fields = append(n.fields, pbField{name: f.Name, node: pbTranslate(f.Type, mode), mode: mode})
		}
	}
	return n
}

// isPbScalar reports a kind written as a scalar field (the others are
// messages or repeated).
func isPbScalar(k types.Kind) bool {
	switch k {
	case types.KindBoolean, types.KindInteger, types.KindBigint, types.KindDouble, types.KindString, types.KindBytes:
		return true
	}
	return false
}

// ---- wire format -----------------------------------------------------------

const (
	wtVarint = 0
	wtI64    = 1
	wtLen    = 2
	wtSGroup = 3
	wtEGroup = 4
	wtI32    = 5
)

func appendVarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

func appendTag(b []byte, num int, wt int) []byte {
	return appendVarint(b, uint64(num)<<3|uint64(wt))
}

func varintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// beginLen starts a length-delimited field: tag and a one-byte length
// placeholder; endLen fixes the length up.
func beginLen(b []byte, num int) ([]byte, int) {
	b = appendTag(b, num, wtLen)
	b = append(b, 0)
	return b, len(b)
}

func endLen(b []byte, start int) []byte {
	n := len(b) - start
	if n < 0x80 {
		b[start-1] = byte(n)
		return b
	}
	k := varintLen(uint64(n))
	b = append(b, make([]byte, k-1)...)
	copy(b[start-1+k:], b[start:start+n])
	appendVarint(b[start-1:start-1], uint64(n))
	return b
}

// Error texts of protobuf-java's InvalidProtocolBufferException.
const (
	pbErrTruncated  = "While parsing a protocol message, the input ended unexpectedly in the middle of a field.  This could mean either that the input has been truncated or that an embedded message misreported its own length."
	pbErrVarint     = "CodedInputStream encountered a malformed varint."
	pbErrZeroTag    = "Protocol message contained an invalid tag (zero)."
	pbErrWireType   = "Protocol message tag had invalid wire type."
	pbErrEndGroup   = "Protocol message end-group tag did not match expected tag."
	pbErrUTF8       = "Protocol message had invalid UTF-8."
	pbErrRecursion  = "Protocol message had too many levels of nesting.  May be malicious.  Use CodedInputStream.setRecursionLimit() to increase the depth limit."
	pbErrNegSize    = "CodedInputStream encountered an embedded string or message which claimed to have negative size."
	pbErrPackedSize = "While parsing a protocol message, the input ended unexpectedly in the middle of a field."
)

type pbError struct{ msg string }

func (e *pbError) Error() string { return e.msg }

func pbErr(format string, args ...any) error { return &pbError{msg: fmt.Sprintf(format, args...)} }

// pbReader reads one message's bytes.
type pbReader struct {
	b []byte
	i int
}

func (r *pbReader) done() bool { return r.i >= len(r.b) }

func (r *pbReader) varint() (uint64, error) {
	var v uint64
	for k := 0; k < 10; k++ {
		if r.i >= len(r.b) {
			return 0, &pbError{pbErrTruncated}
		}
		c := r.b[r.i]
		r.i++
		v |= uint64(c&0x7f) << (7 * k)
		if c < 0x80 {
			return v, nil
		}
	}
	return 0, &pbError{pbErrVarint}
}

func (r *pbReader) fixed64() (uint64, error) {
	if len(r.b)-r.i < 8 {
		return 0, &pbError{pbErrTruncated}
	}
	v := binary.LittleEndian.Uint64(r.b[r.i:])
	r.i += 8
	return v, nil
}

func (r *pbReader) bytes() ([]byte, error) {
	n, err := r.varint()
	if err != nil {
		return nil, err
	}
	l := int32(uint32(n)) // protobuf-java reads a length as a 32-bit int
	if l < 0 {
		return nil, &pbError{pbErrNegSize}
	}
	if len(r.b)-r.i < int(l) {
		return nil, &pbError{pbErrTruncated}
	}
	s := r.b[r.i : r.i+int(l)]
	r.i += int(l)
	return s, nil
}

// tag reads a field tag: field number and wire type.
func (r *pbReader) tag() (int, int, error) {
	v, err := r.varint()
	if err != nil {
		return 0, 0, err
	}
	t := uint32(v) // protobuf-java reads tags as 32-bit
	if t>>3 == 0 {
		return 0, 0, &pbError{pbErrZeroTag}
	}
	return int(t >> 3), int(t & 7), nil
}

// skip skips the value of a field of wire type wt (num for groups).
func (r *pbReader) skip(num, wt, depth int) error {
	switch wt {
	case wtVarint:
		_, err := r.varint()
		return err
	case wtI64:
		_, err := r.fixed64()
		return err
	case wtLen:
		_, err := r.bytes()
		return err
	case wtI32:
		if len(r.b)-r.i < 4 {
			return &pbError{pbErrTruncated}
		}
		r.i += 4
		return nil
	case wtSGroup:
		if depth >= pbMaxDepth {
			return &pbError{pbErrRecursion}
		}
		for {
			if r.done() {
				return &pbError{pbErrTruncated}
			}
			n, w, err := r.tag()
			if err != nil {
				return err
			}
			if w == wtEGroup {
				if n != num {
					return &pbError{pbErrEndGroup}
				}
				return nil
			}
			if err := r.skip(n, w, depth+1); err != nil {
				return err
			}
		}
	case wtEGroup:
		// An end-group tag outside a group ends parsing in protobuf-java,
		// which then reports the unmatched end.
		return &pbError{pbErrEndGroup}
	}
	return &pbError{pbErrWireType}
}

// ---- encoding --------------------------------------------------------------

func (c *protobufCodec) Encode(buf []byte, vals []types.Value) ([]byte, error) {
	if c.unwrapped {
		if len(vals) != 1 {
			return buf, encodeErrorf("got %d values for 1 column", len(vals))
		}
		if vals[0] == nil {
			return buf, ErrNullRecord
		}
	} else if len(vals) != len(c.fields) {
		return buf, encodeErrorf("got %d values for %d columns", len(vals), len(c.fields))
	} else if len(vals) == 0 {
		return buf, nil // no columns: the caller writes a nil key or value
	}
	if buf == nil {
		buf = make([]byte, 0, 64)
	}
	var err error
	switch {
	case c.logical != nil:
		return appendLogical(buf, c.logical, vals[0])
	case c.rootStruct != nil:
		s, ok := vals[0].(*types.StructValue)
		if !ok || len(s.Vals) != len(c.fields) {
			return buf, mismatchError(vals[0], "STRUCT")
		}
		return appendFields(buf, c.fields, s.Vals)
	}
	buf, err = appendFields(buf, c.fields, vals)
	return buf, err
}

func appendFields(b []byte, fields []pbField, vals []types.Value) ([]byte, error) {
	var err error
	for i, f := range fields {
		if vals[i] == nil {
			continue
		}
		if b, err = appendField(b, i+1, f.node, f.mode, vals[i]); err != nil {
			return b, fmt.Errorf("%w (field %s)", err, f.name)
		}
	}
	return b, nil
}

// appendField writes a non-NULL value as field num.
func appendField(b []byte, num int, n *pbNode, mode pbNullMode, v types.Value) ([]byte, error) {
	switch n.kind {
	case types.KindArray:
		return appendArray(b, num, n, mode, v)
	case types.KindMap:
		m, ok := v.(*types.MapValue)
		if !ok {
			return b, mismatchError(v, "MAP")
		}
		for i, k := range m.Keys {
			var start int
			b, start = beginLen(b, num)
			var err error
			if k != nil {
				if b, err = appendField(b, 1, n.key, mode, k); err != nil {
					return b, err
				}
			}
			if m.Vals[i] != nil {
				if b, err = appendField(b, 2, n.val, mode, m.Vals[i]); err != nil {
					return b, err
				}
			}
			b = endLen(b, start)
		}
		return b, nil
	}
	if !isPbScalar(n.kind) {
		b, start := beginLen(b, num)
		b, err := appendMessage(b, n, v)
		if err != nil {
			return b, err
		}
		return endLen(b, start), nil
	}
	switch mode {
	case pbNullWrapper:
		b, start := beginLen(b, num)
		b, err := appendScalar(b, 1, n.kind, v, false)
		if err != nil {
			return b, err
		}
		return endLen(b, start), nil
	case pbNullOptional:
		return appendScalar(b, num, n.kind, v, true)
	}
	return appendScalar(b, num, n.kind, v, false)
}

// appendScalar writes a scalar field; a default value only when always.
func appendScalar(b []byte, num int, k types.Kind, v types.Value, always bool) ([]byte, error) {
	switch k {
	case types.KindBoolean:
		x, ok := v.(bool)
		if !ok {
			return b, mismatchError(v, "BOOLEAN")
		}
		if x || always {
			b = appendTag(b, num, wtVarint)
			if x {
				return append(b, 1), nil
			}
			return append(b, 0), nil
		}
	case types.KindInteger:
		x, ok := v.(int32)
		if !ok {
			return b, mismatchError(v, "INTEGER")
		}
		if x != 0 || always {
			b = appendTag(b, num, wtVarint)
			return appendVarint(b, uint64(int64(x))), nil
		}
	case types.KindBigint:
		x, ok := v.(int64)
		if !ok {
			return b, mismatchError(v, "BIGINT")
		}
		if x != 0 || always {
			b = appendTag(b, num, wtVarint)
			return appendVarint(b, uint64(x)), nil
		}
	case types.KindDouble:
		x, ok := v.(float64)
		if !ok {
			return b, mismatchError(v, "DOUBLE")
		}
		if bits := math.Float64bits(x); bits != 0 || always {
			b = appendTag(b, num, wtI64)
			return binary.LittleEndian.AppendUint64(b, bits), nil
		}
	case types.KindString:
		x, ok := v.(string)
		if !ok {
			return b, mismatchError(v, "STRING")
		}
		if x != "" || always {
			b = appendTag(b, num, wtLen)
			if !utf8.ValidString(x) {
				x = string(toValidUTF8(nil, []byte(x)))
			}
			b = appendVarint(b, uint64(len(x)))
			return append(b, x...), nil
		}
	case types.KindBytes:
		x, ok := v.([]byte)
		if !ok {
			return b, mismatchError(v, "BYTES")
		}
		if len(x) != 0 || always {
			b = appendTag(b, num, wtLen)
			b = appendVarint(b, uint64(len(x)))
			return append(b, x...), nil
		}
	}
	return b, nil
}

func appendArray(b []byte, num int, n *pbNode, mode pbNullMode, v types.Value) ([]byte, error) {
	arr, ok := v.([]types.Value)
	if !ok {
		return b, mismatchError(v, "ARRAY")
	}
	if len(arr) == 0 {
		return b, nil
	}
	for _, e := range arr {
		if e == nil {
			return b, encodeErrorf("PROTOBUF_NOSR cannot serialize a NULL array element")
		}
	}
	e := n.elem
	packed := mode != pbNullWrapper && (e.kind == types.KindBoolean || e.kind == types.KindInteger ||
		e.kind == types.KindBigint || e.kind == types.KindDouble)
	if !packed {
		var err error
		for _, x := range arr {
			if isPbScalar(e.kind) && mode != pbNullWrapper {
				b, err = appendScalar(b, num, e.kind, x, true)
			} else {
				b, err = appendField(b, num, e, mode, x)
			}
			if err != nil {
				return b, err
			}
		}
		return b, nil
	}
	b, start := beginLen(b, num)
	for _, x := range arr {
		switch e.kind {
		case types.KindBoolean:
			y, ok := x.(bool)
			if !ok {
				return b, mismatchError(x, "BOOLEAN")
			}
			if y {
				b = append(b, 1)
			} else {
				b = append(b, 0)
			}
		case types.KindInteger:
			y, ok := x.(int32)
			if !ok {
				return b, mismatchError(x, "INTEGER")
			}
			b = appendVarint(b, uint64(int64(y)))
		case types.KindBigint:
			y, ok := x.(int64)
			if !ok {
				return b, mismatchError(x, "BIGINT")
			}
			b = appendVarint(b, uint64(y))
		case types.KindDouble:
			y, ok := x.(float64)
			if !ok {
				return b, mismatchError(x, "DOUBLE")
			}
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(y))
		}
	}
	return endLen(b, start), nil
}

// appendMessage writes the body of a message-typed value: STRUCT or a
// logical type.
func appendMessage(b []byte, n *pbNode, v types.Value) ([]byte, error) {
	if n.kind == types.KindStruct {
		s, ok := v.(*types.StructValue)
		if !ok || len(s.Vals) != len(n.fields) {
			return b, mismatchError(v, "STRUCT")
		}
		return appendFields(b, n.fields, s.Vals)
	}
	return appendLogical(b, n, v)
}

const (
	pbMinTimestampSeconds = -62135596800 // 0001-01-01T00:00:00Z
	pbMaxTimestampSeconds = 253402300799 // 9999-12-31T23:59:59Z
	msPerDay              = 86_400_000
)

// appendLogical writes the body of a DECIMAL, DATE, TIME or TIMESTAMP
// message.
func appendLogical(b []byte, n *pbNode, v types.Value) ([]byte, error) {
	switch n.kind {
	case types.KindDecimal:
		d, ok := v.(types.Dec)
		if !ok {
			return b, mismatchError(v, "DECIMAL")
		}
		u := twosComplement(d.Unscaled())
		b = appendTag(b, 1, wtLen)
		b = appendVarint(b, uint64(len(u)))
		b = append(b, u...)
		b = appendTag(b, 2, wtVarint)
		b = appendVarint(b, uint64(d.Precision()))
		if s := d.Scale(); s != 0 {
			b = appendTag(b, 3, wtVarint)
			b = appendVarint(b, uint64(int64(int32(s))))
		}
		return b, nil
	case types.KindTimestamp:
		ts, ok := v.(types.Timestamp)
		if !ok {
			return b, mismatchError(v, "TIMESTAMP")
		}
		ms := int64(ts)
		sec, milli := floorDiv(ms, 1000), floorMod(ms, 1000)
		if sec < pbMinTimestampSeconds || sec > pbMaxTimestampSeconds {
			return b, encodeErrorf("Timestamp is not valid. Seconds (%d) must be in range [-62,135,596,800, +253,402,300,799]", sec)
		}
		if sec != 0 {
			b = appendTag(b, 1, wtVarint)
			b = appendVarint(b, uint64(sec))
		}
		if milli != 0 {
			b = appendTag(b, 2, wtVarint)
			b = appendVarint(b, uint64(milli*1_000_000))
		}
		return b, nil
	case types.KindTime:
		t, ok := v.(types.TimeOfDay)
		if !ok {
			return b, mismatchError(v, "TIME")
		}
		ms := int64(t)
		if ms < 0 || ms > msPerDay {
			return b, encodeErrorf("Time values must use number of millis greater than 0 and less than 86400000")
		}
		ms %= msPerDay
		for i, x := range []int64{ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000 * 1_000_000} {
			if x != 0 {
				b = appendTag(b, i+1, wtVarint)
				b = appendVarint(b, uint64(x))
			}
		}
		return b, nil
	case types.KindDate:
		d, ok := v.(types.Date)
		if !ok {
			return b, mismatchError(v, "DATE")
		}
		y, m, day := calendarFromDays(int64(d))
		if y <= 0 {
			y = 1 - y // Calendar.YEAR is the year of the era (BC)
		}
		for i, x := range []int64{y, m, day} {
			if x != 0 {
				b = appendTag(b, i+1, wtVarint)
				b = appendVarint(b, uint64(int64(int32(x))))
			}
		}
		return b, nil
	}
	return b, encodeErrorf("unexpected type %s", n.kind)
}

// twosComplement is BigInteger.toByteArray: the minimal big-endian two's
// complement bytes of u (at least one byte).
func twosComplement(u *big.Int) []byte {
	if u.Sign() >= 0 {
		b := u.Bytes()
		if len(b) == 0 || b[0]&0x80 != 0 {
			b = append([]byte{0}, b...)
		}
		return b
	}
	t := new(big.Int).Neg(u)
	t.Sub(t, big.NewInt(1))
	b := t.Bytes()
	for i := range b {
		b[i] = ^b[i]
	}
	if len(b) == 0 || b[0]&0x80 == 0 {
		b = append([]byte{0xff}, b...)
	}
	return b
}

func fromTwosComplement(b []byte) *big.Int {
	u := new(big.Int).SetBytes(b)
	if len(b) > 0 && b[0]&0x80 != 0 {
		u.Sub(u, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	return u
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func floorMod(a, b int64) int64 { return a - floorDiv(a, b)*b }

// gregorianCutover is 1582-10-15, the first Gregorian day of
// java.util.GregorianCalendar, in days since the epoch.
const gregorianCutover = -141427

// daysFromGregorian is the epoch day of a proleptic Gregorian date
// (astronomical year).
func daysFromGregorian(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := floorDiv(y, 400)
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

func gregorianFromDays(z int64) (y, m, d int64) {
	z += 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	if mp < 10 {
		m = mp + 3
	} else {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

// daysFromJulian is the epoch day of a Julian calendar date.
func daysFromJulian(y, m, d int64) int64 {
	a := (14 - m) / 12
	yy := y + 4800 - a
	mm := m + 12*a - 3
	jdn := d + (153*mm+2)/5 + 365*yy + floorDiv(yy, 4) - 32083
	return jdn - 2440588
}

func julianFromDays(z int64) (y, m, d int64) {
	c := z + 2440588 + 32082
	dd := floorDiv(4*c+3, 1461)
	e := c - floorDiv(1461*dd, 4)
	mm := (5*e + 2) / 153
	d = e - (153*mm+2)/5 + 1
	m = mm + 3 - 12*(mm/10)
	y = dd - 4800 + mm/10
	return y, m, d
}

// calendarFromDays is java.util.GregorianCalendar's date (UTC) of an
// epoch day: Julian before 1582-10-15. The year is astronomical.
func calendarFromDays(z int64) (y, m, d int64) {
	if z >= gregorianCutover {
		return gregorianFromDays(z)
	}
	return julianFromDays(z)
}

// daysFromCalendar is the inverse of calendarFromDays, validating the
// date as a non-lenient GregorianCalendar does.
func daysFromCalendar(y, m, d int64) (int64, bool) {
	if y < 1 || y > 292278994 || m < 1 || m > 12 || d < 1 {
		return 0, false
	}
	var z int64
	if y > 1582 || (y == 1582 && (m > 10 || (m == 10 && d >= 15))) {
		z = daysFromGregorian(y, m, d)
	} else {
		z = daysFromJulian(y, m, d)
	}
	// The date must exist: converting back gives the same fields.
	if y2, m2, d2 := calendarFromDays(z); y2 != y || m2 != m || d2 != d {
		return 0, false
	}
	return z, true
}

// ---- decoding --------------------------------------------------------------

func (c *protobufCodec) fail(err error) error {
	if de, ok := err.(*DecodeError); ok {
		return de
	}
	return &DecodeError{Target: c.target, Msg: "Failed to deserialize data to Protobuf: " + err.Error()}
}

func (c *protobufCodec) Decode(data []byte, dst []types.Value) error {
	want := len(c.fields)
	if c.unwrapped {
		want = 1
	}
	if len(dst) != want {
		return errDstLen(len(dst), want)
	}
	if data == nil {
		return ErrNullRecord
	}
	switch {
	case c.logical != nil:
		v, err := decodeLogical(c.logical, data, 1)
		if err != nil {
			return c.fail(err)
		}
		dst[0] = v
		return nil
	case c.rootStruct != nil:
		vals := make([]types.Value, len(c.fields))
		if err := decodeFields(data, c.fields, vals, false, 1); err != nil {
			return c.fail(err)
		}
		dst[0] = &types.StructValue{Type: c.rootStruct, Vals: vals}
		return nil
	}
	if err := decodeFields(data, c.fields, dst, false, 1); err != nil {
		return c.fail(err)
	}
	return nil
}

// pbSlot accumulates one field of a message being decoded.
type pbSlot struct {
	set   bool
	val   types.Value
	parts [][]byte // a singular message field: its occurrences, merged
	arr   []types.Value
	m     *types.MapValue
}

// decodeFields decodes a message into dst, one value per field. entry is
// set for a map entry, whose missing fields read as the empty message's.
func decodeFields(data []byte, fields []pbField, dst []types.Value, entry bool, depth int) error {
	if depth > pbMaxDepth {
		return &pbError{pbErrRecursion}
	}
	var small [8]pbSlot
	slots := small[:0]
	if len(fields) <= len(small) {
		slots = small[:len(fields)]
	} else {
		slots = make([]pbSlot, len(fields))
	}
	r := pbReader{b: data}
	for !r.done() {
		num, wt, err := r.tag()
		if err != nil {
			return err
		}
		if wt == wtEGroup {
			return &pbError{pbErrEndGroup}
		}
		if num > len(fields) {
			if err := r.skip(num, wt, depth); err != nil {
				return err
			}
			continue
		}
		f := &fields[num-1]
		s := &slots[num-1]
		ok, err := decodeInto(&r, f, s, wt, depth)
		if err != nil {
			return fmt.Errorf("%w (field %s)", err, f.name)
		}
		if !ok { // unexpected wire type: an unknown field to protobuf-java
			if err := r.skip(num, wt, depth); err != nil {
				return err
			}
		}
	}
	for i := range fields {
		v, err := finishSlot(&fields[i], &slots[i], entry, depth)
		if err != nil {
			return fmt.Errorf("%w (field %s)", err, fields[i].name)
		}
		dst[i] = v
	}
	return nil
}

// scalarWireType is the wire type of a scalar kind.
func scalarWireType(k types.Kind) int {
	switch k {
	case types.KindDouble:
		return wtI64
	case types.KindString, types.KindBytes:
		return wtLen
	}
	return wtVarint
}

// decodeInto reads one occurrence of field f (wire type wt) into s. It
// reports false, consuming nothing, for a wire type the field does not
// take.
func decodeInto(r *pbReader, f *pbField, s *pbSlot, wt int, depth int) (bool, error) {
	n := f.node
	switch n.kind {
	case types.KindArray:
		e := n.elem
		if isPbScalar(e.kind) && f.mode != pbNullWrapper {
			sw := scalarWireType(e.kind)
			if wt == sw {
				v, err := readScalar(r, e.kind)
				if err != nil {
					return true, err
				}
				s.arr = append(s.arr, v)
				return true, nil
			}
			if wt != wtLen || sw == wtLen {
				return false, nil
			}
			// Packed.
			body, err := r.bytes()
			if err != nil {
				return true, err
			}
			pr := pbReader{b: body}
			for !pr.done() {
				v, err := readScalar(&pr, e.kind)
				if err != nil {
					if pe, ok := err.(*pbError); ok && pe.msg == pbErrTruncated {
						return true, &pbError{pbErrPackedSize}
					}
					return true, err
				}
				s.arr = append(s.arr, v)
			}
			return true, nil
		}
		if wt != wtLen {
			return false, nil
		}
		body, err := r.bytes()
		if err != nil {
			return true, err
		}
		var v types.Value
		if isPbScalar(e.kind) { // a wrapper element
			v, err = decodeWrapper(body, e.kind, depth+1)
		} else {
			v, err = decodeMessage(e, body, depth+1)
		}
		if err != nil {
			return true, err
		}
		s.arr = append(s.arr, v)
		return true, nil
	case types.KindMap:
		if wt != wtLen {
			return false, nil
		}
		body, err := r.bytes()
		if err != nil {
			return true, err
		}
		var kv [2]types.Value
		if err := decodeFields(body, n.entry, kv[:], true, depth+1); err != nil {
			return true, err
		}
		if s.m == nil {
			s.m = &types.MapValue{}
		}
		s.m.Put(kv[0], kv[1])
		return true, nil
	}
	if isPbScalar(n.kind) && f.mode != pbNullWrapper {
		if wt != scalarWireType(n.kind) {
			return false, nil
		}
		v, err := readScalar(r, n.kind)
		if err != nil {
			return true, err
		}
		s.set, s.val = true, v
		return true, nil
	}
	// A singular message: a wrapper, STRUCT or logical type. Occurrences
	// merge (decoding their concatenation merges them).
	if wt != wtLen {
		return false, nil
	}
	body, err := r.bytes()
	if err != nil {
		return true, err
	}
	s.set = true
	s.parts = append(s.parts, body)
	return true, nil
}

// finishSlot gives a field's value once its message is read.
func finishSlot(f *pbField, s *pbSlot, entry bool, depth int) (types.Value, error) {
	n := f.node
	switch n.kind {
	case types.KindArray:
		if s.arr == nil {
			return []types.Value{}, nil
		}
		return s.arr, nil
	case types.KindMap:
		if s.m == nil {
			return &types.MapValue{}, nil
		}
		return s.m, nil
	}
	if isPbScalar(n.kind) && f.mode != pbNullWrapper {
		if s.set {
			return s.val, nil
		}
		if f.mode == pbNullOptional && !entry {
			return nil, nil
		}
		return pbDefault(n.kind), nil
	}
	if !s.set {
		if !entry {
			return nil, nil
		}
		// protobuf-java's getField of an unset message field is the
		// default instance, which ProtobufData converts as it would an
		// empty message.
		s.parts = [][]byte{nil}
	}
	body := s.parts[0]
	if len(s.parts) > 1 {
		var cat []byte
		for _, p := range s.parts {
			cat = append(cat, p...)
		}
		body = cat
	}
	if isPbScalar(n.kind) {
		return decodeWrapper(body, n.kind, depth+1)
	}
	return decodeMessage(n, body, depth+1)
}

func pbDefault(k types.Kind) types.Value {
	switch k {
	case types.KindBoolean:
		return false
	case types.KindInteger:
		return int32(0)
	case types.KindBigint:
		return int64(0)
	case types.KindDouble:
		return float64(0)
	case types.KindString:
		return ""
	case types.KindBytes:
		return []byte{}
	}
	return nil
}

func readScalar(r *pbReader, k types.Kind) (types.Value, error) {
	switch k {
	case types.KindDouble:
		v, err := r.fixed64()
		if err != nil {
			return nil, err
		}
		return math.Float64frombits(v), nil
	case types.KindString:
		b, err := r.bytes()
		if err != nil {
			return nil, err
		}
		if !utf8.Valid(b) {
			return nil, &pbError{pbErrUTF8}
		}
		return string(b), nil
	case types.KindBytes:
		b, err := r.bytes()
		if err != nil {
			return nil, err
		}
		return append([]byte{}, b...), nil
	}
	v, err := r.varint()
	if err != nil {
		return nil, err
	}
	switch k {
	case types.KindBoolean:
		return v != 0, nil
	case types.KindInteger:
		return int32(v), nil
	}
	return int64(v), nil
}

// decodeWrapper decodes a google.protobuf wrapper message.
func decodeWrapper(body []byte, k types.Kind, depth int) (types.Value, error) {
	var v [1]types.Value
	f := []pbField{{name: "value", node: &pbNode{kind: k}, mode: pbNullDefault}}
	if err := decodeFields(body, f, v[:], false, depth); err != nil {
		return nil, err
	}
	return v[0], nil
}

// decodeMessage decodes a STRUCT or logical-type message.
func decodeMessage(n *pbNode, body []byte, depth int) (types.Value, error) {
	if n.kind != types.KindStruct {
		return decodeLogical(n, body, depth)
	}
	vals := make([]types.Value, len(n.fields))
	if err := decodeFields(body, n.fields, vals, false, depth); err != nil {
		return nil, err
	}
	return &types.StructValue{Type: n.t, Vals: vals}, nil
}

// logicalFields are the fields of the logical types' messages.
var (
	pbDecimalFields = []pbField{
		{name: "value", node: &pbNode{kind: types.KindBytes}},
		{name: "precision", node: &pbNode{kind: types.KindBigint}}, // uint32
		{name: "scale", node: &pbNode{kind: types.KindInteger}},
	}
	pbTimestampFields = []pbField{
		{name: "seconds", node: &pbNode{kind: types.KindBigint}},
		{name: "nanos", node: &pbNode{kind: types.KindInteger}},
	}
	pbDateFields = []pbField{
		{name: "year", node: &pbNode{kind: types.KindInteger}},
		{name: "month", node: &pbNode{kind: types.KindInteger}},
		{name: "day", node: &pbNode{kind: types.KindInteger}},
	}
	pbTimeFields = []pbField{
		{name: "hours", node: &pbNode{kind: types.KindInteger}},
		{name: "minutes", node: &pbNode{kind: types.KindInteger}},
		{name: "seconds", node: &pbNode{kind: types.KindInteger}},
		{name: "nanos", node: &pbNode{kind: types.KindInteger}},
	}
)

func decodeLogical(n *pbNode, body []byte, depth int) (types.Value, error) {
	var v [4]types.Value
	switch n.kind {
	case types.KindDecimal:
		if err := decodeFields(body, pbDecimalFields, v[:3], false, depth); err != nil {
			return nil, err
		}
		return pbDecimal(v[0].([]byte), int32(uint32(v[1].(int64))), v[2].(int32))
	case types.KindTimestamp:
		if err := decodeFields(body, pbTimestampFields, v[:2], false, depth); err != nil {
			return nil, err
		}
		sec, nanos := v[0].(int64), v[1].(int32)
		if sec < pbMinTimestampSeconds || sec > pbMaxTimestampSeconds || nanos < 0 || nanos > 999_999_999 {
			return nil, pbErr("Timestamp is not valid. Seconds (%d) must be in range [-62,135,596,800, +253,402,300,799]. Nanos (%d) must be in range [0, +999,999,999].", sec, nanos)
		}
		return types.Timestamp(sec*1000 + int64(nanos)/1_000_000), nil
	case types.KindDate:
		if err := decodeFields(body, pbDateFields, v[:3], false, depth); err != nil {
			return nil, err
		}
		y, m, d := int64(v[0].(int32)), int64(v[1].(int32)), int64(v[2].(int32))
		z, ok := daysFromCalendar(y, m, d)
		if !ok || z < math.MinInt32 || z > math.MaxInt32 {
			return nil, pbErr("invalid date: year %d, month %d, day %d", y, m, d)
		}
		return types.Date(z), nil
	case types.KindTime:
		if err := decodeFields(body, pbTimeFields, v[:4], false, depth); err != nil {
			return nil, err
		}
		h, mi, s, ns := v[0].(int32), v[1].(int32), v[2].(int32), v[3].(int32)
		if h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59 || ns < 0 || ns > 999_999_999 {
			return nil, pbErr("invalid time of day: %d:%d:%d.%09d", h, mi, s, ns)
		}
		return types.TimeOfDay((int64(h)*3600+int64(mi)*60+int64(s))*1000 + int64(ns)/1_000_000), nil
	}
	return nil, pbErr("unexpected type %s", n.kind)
}

// pbDecimal is DecimalUtils.toBigDecimal: the unscaled value at scale,
// rounded half up to precision digits when precision is set.
func pbDecimal(value []byte, precision, scale int32) (types.Value, error) {
	if len(value) == 0 {
		return nil, pbErr("invalid DECIMAL: Zero length BigInteger")
	}
	if precision < 0 {
		return nil, pbErr("invalid DECIMAL: Digits < 0")
	}
	u := fromTwosComplement(value)
	s := int64(scale)
	if precision > 0 {
		abs := new(big.Int).Abs(u)
		digits := len(abs.String())
		if u.Sign() == 0 {
			digits = 1
		}
		for digits > int(precision) {
			drop := digits - int(precision)
			p := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(drop)), nil)
			q, r := new(big.Int).QuoRem(abs, p, new(big.Int))
			if r.Lsh(r, 1).Cmp(p) >= 0 {
				q.Add(q, big.NewInt(1))
			}
			abs, s = q, s-int64(drop)
			digits = len(abs.String())
		}
		if u.Sign() < 0 {
			abs.Neg(abs)
		}
		u = abs
	}
	if s > maxPbScale || s < -maxPbScale {
		return nil, pbErr("DECIMAL scale %d out of range", s)
	}
	if s < 0 { // no negative scales at run time: the same value at scale 0
		u.Mul(u, new(big.Int).Exp(big.NewInt(10), big.NewInt(-s), nil))
		s = 0
	}
	if u.IsInt64() {
		return types.DecFromUnscaled(u.Int64(), int(s)), nil
	}
	return types.NewDec(u, int(s)), nil
}
