package serde

import (
	"errors"
	"fmt"
	"strings"

	"github.com/ksqlgo/ksql/sql/types"
)

// Column is one serialized column.
type Column struct {
	Name string
	Type *types.Type
}

// Options tune a format. The zero value gives ksqlDB's defaults.
type Options struct {
	// WrapSingleValue controls whether a single column is wrapped in an
	// object (JSON) or written bare. nil = the default: values wrapped, keys
	// unwrapped (ksqlDB's key formats always unwrap a single key column).
	// Setting it for a schema that does not have exactly one column is an
	// error, as in ksqlDB; formats that cannot wrap (DELIMITED, KAFKA, NONE)
	// reject true and accept false.
	WrapSingleValue *bool
	// IsKey marks a key codec (error messages say "key"; single key columns
	// are unwrapped by default).
	IsKey bool
	// Delimiter is DELIMITED's field separator: a single character, or the
	// names TAB and SPACE, as ksqlDB accepts in VALUE_DELIMITER and
	// KEY_DELIMITER. Empty means ','. Other formats reject a delimiter.
	Delimiter string
	// NullableRepresentation is PROTOBUF_NOSR's nullableRepresentation
	// (KEY_/VALUE_PROTOBUF_NULLABLE_REPRESENTATION): "" (plain proto3
	// fields), "optional" or "wrapper". Other formats reject it.
	NullableRepresentation string
}

// Codec serializes rows of fixed columns. A Codec is immutable and safe for
// concurrent use.
type Codec interface {
	// Decode fills dst (len(dst) == number of columns) from data. data == nil
	// is a null record: Decode returns ErrNullRecord without touching dst.
	// Any other failure is an error wrapping ErrDecode (usually a
	// *DecodeError); dst may then be partly written. Decoded values never
	// alias data.
	Decode(data []byte, dst []types.Value) error
	// Encode appends the serialized vals (len == number of columns) to buf.
	// When the row serializes to a null record (a single unwrapped KAFKA or
	// JSON column holding NULL) it returns buf unchanged and ErrNullRecord:
	// the caller writes a nil key or value. For formats without columns
	// (NONE, or KAFKA with no columns) it returns buf unchanged and nil, and
	// the caller writes a nil key or value too. Values that do not fit their
	// column (wrong Go type, DECIMAL overflow or rounding, ...) give an error
	// wrapping ErrEncode.
	Encode(buf []byte, vals []types.Value) ([]byte, error)
}

// Sentinel errors. Errors returned by this package wrap one of them.
var (
	// ErrDecode marks a record that cannot be deserialized (bad data).
	ErrDecode = errors.New("serde: cannot deserialize record")
	// ErrEncode marks a row that cannot be serialized.
	ErrEncode = errors.New("serde: cannot serialize row")
	// ErrNullRecord reports a null (tombstone) record: Decode of nil data,
	// or Encode of a row that serializes to nil.
	ErrNullRecord = errors.New("serde: null record")
	// ErrUnsupportedFormat marks a known format that this engine cannot
	// serve (it needs a schema registry).
	ErrUnsupportedFormat = errors.New("serde: unsupported format")
	// ErrUnknownFormat marks a format name ksqlDB does not know.
	ErrUnknownFormat = errors.New("serde: unknown format")
	// ErrUnsupportedSchema marks columns that the format cannot serialize.
	ErrUnsupportedSchema = errors.New("serde: format does not support schema")
	// ErrInvalidOptions marks bad Options (delimiter, wrapping).
	ErrInvalidOptions = errors.New("serde: invalid format options")
)

// configError carries ksqlDB's exact message and wraps a sentinel.
type configError struct {
	msg  string
	kind error
}

func (e *configError) Error() string { return e.msg }
func (e *configError) Unwrap() error { return e.kind }

func newConfigError(kind error, format string, args ...any) error {
	return &configError{msg: fmt.Sprintf(format, args...), kind: kind}
}

// DecodeError describes a record that could not be deserialized. Its
// message follows ksqlDB's: "Failed to deserialize value from topic: t.
// Can't convert type. sourceType: TextNode, requiredType: INTEGER, path: $.V".
// The codec does not know the topic; the caller may set Topic before
// logging the error.
//
// Like ksqlDB, the message names the column (the JSON path or the DELIMITED
// column) but keeps record data out, except where ksqlDB itself quotes it
// (Java's "For input string" messages). Input holds the offending JSON token
// or field text (at most 64 bytes) for callers that log record contents,
// as ksqlDB does when ksql.logging.processing.rows.include is set.
type DecodeError struct {
	Target string // "key" or "value"
	Topic  string // optional, filled in by the caller
	Msg    string // the format-specific detail
	Input  string // the offending token or field, when known (not in Error())
}

func (e *DecodeError) Error() string {
	var b strings.Builder
	b.WriteString("Failed to deserialize ")
	b.WriteString(e.Target)
	if e.Topic != "" {
		b.WriteString(" from topic: ")
		b.WriteString(e.Topic)
	}
	b.WriteString(". ")
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap makes errors.Is(err, ErrDecode) hold.
func (e *DecodeError) Unwrap() error { return ErrDecode }

// maxInputSnippet bounds DecodeError.Input.
const maxInputSnippet = 64

func snippet(b []byte) string {
	if len(b) > maxInputSnippet {
		b = b[:maxInputSnippet]
	}
	return string(toValidUTF8(nil, b))
}

func target(isKey bool) string {
	if isKey {
		return "key"
	}
	return "value"
}

func encodeErrorf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrEncode}, args...)...)
}

// New returns the codec for format (case-insensitive): JSON, DELIMITED,
// KAFKA, NONE or PROTOBUF_NOSR. AVRO, PROTOBUF and JSON_SR need a schema
// registry and give an error wrapping ErrUnsupportedFormat; any other name
// gives "Unknown format: X" (ErrUnknownFormat). The columns are validated
// against the format with ksqlDB's messages (ErrUnsupportedSchema).
func New(format string, cols []Column, opts Options) (Codec, error) {
	name := strings.ToUpper(strings.TrimSpace(format))
	for i, c := range cols {
		if c.Type == nil {
			return nil, newConfigError(ErrUnsupportedSchema, "column %d (%s) has no type", i, c.Name)
		}
		if err := checkType(c.Type); err != nil {
			return nil, err
		}
	}
	switch name {
	case "JSON", "DELIMITED", "KAFKA", "NONE", "PROTOBUF_NOSR":
	case "AVRO", "PROTOBUF", "JSON_SR":
		return nil, newConfigError(ErrUnsupportedFormat,
			"The '%s' format is not available: it requires a schema registry, which this server does not provide", name)
	default:
		return nil, newConfigError(ErrUnknownFormat, "Unknown format: %s", format)
	}
	if opts.WrapSingleValue != nil && len(cols) != 1 {
		return nil, newConfigError(ErrInvalidOptions, "'WRAP_SINGLE_VALUE' is only valid for single-field value schemas")
	}
	if name != "DELIMITED" && opts.Delimiter != "" {
		return nil, newConfigError(ErrInvalidOptions, "%s does not support the following configs: [delimiter]", name)
	}
	if name != "PROTOBUF_NOSR" && opts.NullableRepresentation != "" {
		return nil, newConfigError(ErrInvalidOptions, "%s does not support the following configs: [nullableRepresentation]", name)
	}
	if !SupportsWrapping(name) && opts.WrapSingleValue != nil && *opts.WrapSingleValue {
		return nil, newConfigError(ErrInvalidOptions, "Format '%s' does not support 'WRAP_SINGLE_VALUE' set to 'true'.", name)
	}
	switch name {
	case "JSON":
		return newJSONCodec(cols, opts)
	case "DELIMITED":
		return newDelimitedCodec(cols, opts)
	case "KAFKA":
		return newKafkaCodec(cols, opts)
	case "PROTOBUF_NOSR":
		return newProtobufCodec(cols, opts)
	default:
		return newNoneCodec(cols, opts)
	}
}

// SupportsWrapping reports whether the format can wrap a single column in a
// record (WRAP_SINGLE_VALUE=true): JSON (and the schema-registry formats)
// can; DELIMITED, KAFKA and NONE cannot.
func SupportsWrapping(format string) bool {
	switch strings.ToUpper(strings.TrimSpace(format)) {
	case "JSON", "JSON_SR", "AVRO", "PROTOBUF", "PROTOBUF_NOSR":
		return true
	}
	return false
}

// checkType rejects malformed types (missing children, bad decimals).
func checkType(t *types.Type) error {
	if t == nil {
		return newConfigError(ErrUnsupportedSchema, "missing type")
	}
	switch t.Kind {
	case types.KindNull:
		return newConfigError(ErrUnsupportedSchema, "a column cannot have type NULL")
	case types.KindDecimal:
		if t.Precision < 1 || t.Precision > types.MaxDecimalPrecision || t.Scale < 0 || t.Scale > t.Precision {
			return newConfigError(ErrUnsupportedSchema, "invalid type %s", t)
		}
	case types.KindArray:
		return checkType(t.Elem)
	case types.KindMap:
		if err := checkType(t.Key); err != nil {
			return err
		}
		return checkType(t.Value)
	case types.KindStruct:
		for _, f := range t.Fields {
			if err := checkType(f.Type); err != nil {
				return err
			}
		}
	}
	return nil
}

// columnList formats columns as ksqlDB lists them in errors:
// "[`V0` INTEGER, `V1` STRING]", with " KEY" after key columns.
func columnList(cols []Column, isKey bool) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, c := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('`')
		b.WriteString(c.Name)
		b.WriteString("` ")
		b.WriteString(c.Type.SQLString())
		if isKey {
			b.WriteString(" KEY")
		}
	}
	b.WriteByte(']')
	return b.String()
}

// errDstLen reports a caller bug: dst does not have one slot per column.
func errDstLen(got, want int) error {
	return fmt.Errorf("serde: Decode got %d destination slots for %d columns", got, want)
}
