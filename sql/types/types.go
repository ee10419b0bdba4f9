// Package types is the shared vocabulary of SQL types and runtime values.
//
// It is a leaf package: every layer (the parser's AST, the catalog, the
// planner, the operators and the serializers) speaks in these types, and it
// imports nothing of the project. A SQL value at runtime is a Go value of a
// fixed concrete type per SQL type (see Value); NULL is nil.
package types

import (
	"fmt"
	"strings"
)

// Kind is the base kind of a SQL type.
type Kind uint8

// The SQL base types, as ksqlDB names them.
const (
	KindNull Kind = iota // the type of a bare NULL literal; assignable to anything
	KindBoolean
	KindInteger // 32-bit signed
	KindBigint  // 64-bit signed
	KindDouble
	KindDecimal // DECIMAL(precision, scale)
	KindString
	KindBytes
	KindTimestamp // milliseconds since the Unix epoch, UTC
	KindDate      // days since the Unix epoch
	KindTime      // milliseconds since midnight
	KindArray
	KindMap
	KindStruct
)

var kindNames = [...]string{
	KindNull: "NULL", KindBoolean: "BOOLEAN", KindInteger: "INTEGER", KindBigint: "BIGINT",
	KindDouble: "DOUBLE", KindDecimal: "DECIMAL", KindString: "STRING", KindBytes: "BYTES",
	KindTimestamp: "TIMESTAMP", KindDate: "DATE", KindTime: "TIME", KindArray: "ARRAY",
	KindMap: "MAP", KindStruct: "STRUCT",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Type is a SQL type. Primitive types are shared singletons (BooleanType,
// BigintType, ...); compare types with Equal, not ==.
//
// A Type is immutable once built: callers never modify a Type they did not
// just construct.
type Type struct {
	Kind      Kind
	Precision int     // DECIMAL only
	Scale     int     // DECIMAL only
	Elem      *Type   // ARRAY element type
	Key       *Type   // MAP key type
	Value     *Type   // MAP value type
	Fields    []Field // STRUCT fields, in declaration order
}

// Field is one named member of a STRUCT type.
type Field struct {
	Name string
	Type *Type
}

// The primitive type singletons.
var (
	NullType      = &Type{Kind: KindNull}
	BooleanType   = &Type{Kind: KindBoolean}
	IntegerType   = &Type{Kind: KindInteger}
	BigintType    = &Type{Kind: KindBigint}
	DoubleType    = &Type{Kind: KindDouble}
	StringType    = &Type{Kind: KindString}
	BytesType     = &Type{Kind: KindBytes}
	TimestampType = &Type{Kind: KindTimestamp}
	DateType      = &Type{Kind: KindDate}
	TimeType      = &Type{Kind: KindTime}
)

// MaxDecimalPrecision is the largest precision ksqlDB accepts for DECIMAL.
const MaxDecimalPrecision = 64

// Primitive returns the singleton for a primitive kind, or nil.
func Primitive(k Kind) *Type {
	switch k {
	case KindNull:
		return NullType
	case KindBoolean:
		return BooleanType
	case KindInteger:
		return IntegerType
	case KindBigint:
		return BigintType
	case KindDouble:
		return DoubleType
	case KindString:
		return StringType
	case KindBytes:
		return BytesType
	case KindTimestamp:
		return TimestampType
	case KindDate:
		return DateType
	case KindTime:
		return TimeType
	}
	return nil
}

// DecimalOf returns DECIMAL(precision, scale).
func DecimalOf(precision, scale int) *Type {
	return &Type{Kind: KindDecimal, Precision: precision, Scale: scale}
}

// ArrayOf returns ARRAY<elem>.
func ArrayOf(elem *Type) *Type { return &Type{Kind: KindArray, Elem: elem} }

// MapOf returns MAP<key, value>.
func MapOf(key, value *Type) *Type { return &Type{Kind: KindMap, Key: key, Value: value} }

// StructOf returns STRUCT<fields...>.
func StructOf(fields ...Field) *Type { return &Type{Kind: KindStruct, Fields: fields} }

// IsNumeric reports whether t is INTEGER, BIGINT, DECIMAL or DOUBLE.
func (t *Type) IsNumeric() bool {
	switch t.Kind {
	case KindInteger, KindBigint, KindDecimal, KindDouble:
		return true
	}
	return false
}

// IsPrimitive reports whether t has no type parameters or children.
func (t *Type) IsPrimitive() bool {
	switch t.Kind {
	case KindArray, KindMap, KindStruct, KindDecimal:
		return false
	}
	return true
}

// Field returns the struct field with the given name (exact match) and its index.
func (t *Type) Field(name string) (Field, int, bool) {
	for i, f := range t.Fields {
		if f.Name == name {
			return f, i, true
		}
	}
	return Field{}, -1, false
}

// Equal reports whether two types are the same SQL type.
func (t *Type) Equal(o *Type) bool {
	if t == o {
		return true
	}
	if t == nil || o == nil || t.Kind != o.Kind {
		return false
	}
	switch t.Kind {
	case KindDecimal:
		return t.Precision == o.Precision && t.Scale == o.Scale
	case KindArray:
		return t.Elem.Equal(o.Elem)
	case KindMap:
		return t.Key.Equal(o.Key) && t.Value.Equal(o.Value)
	case KindStruct:
		if len(t.Fields) != len(o.Fields) {
			return false
		}
		for i := range t.Fields {
			if t.Fields[i].Name != o.Fields[i].Name || !t.Fields[i].Type.Equal(o.Fields[i].Type) {
				return false
			}
		}
	}
	return true
}

// String formats the type as ksqlDB prints it in schemas, e.g.
// "STRUCT<`A` INTEGER, `B` ARRAY<STRING>>" is printed with quoted field
// names by SQLString; String leaves names bare: "STRUCT<A INTEGER, B ARRAY<STRING>>".
func (t *Type) String() string {
	var b strings.Builder
	t.format(&b, false)
	return b.String()
}

// SQLString formats the type with back-quoted struct field names, as ksqlDB
// does in the schemas of its REST responses.
func (t *Type) SQLString() string {
	var b strings.Builder
	t.format(&b, true)
	return b.String()
}

func (t *Type) format(b *strings.Builder, quote bool) {
	if t == nil {
		b.WriteString("<nil>")
		return
	}
	switch t.Kind {
	case KindDecimal:
		fmt.Fprintf(b, "DECIMAL(%d, %d)", t.Precision, t.Scale)
	case KindArray:
		b.WriteString("ARRAY<")
		t.Elem.format(b, quote)
		b.WriteByte('>')
	case KindMap:
		b.WriteString("MAP<")
		t.Key.format(b, quote)
		b.WriteString(", ")
		t.Value.format(b, quote)
		b.WriteByte('>')
	case KindStruct:
		b.WriteString("STRUCT<")
		for i, f := range t.Fields {
			if i > 0 {
				b.WriteString(", ")
			}
			if quote {
				b.WriteByte('`')
				b.WriteString(f.Name)
				b.WriteByte('`')
			} else {
				b.WriteString(f.Name)
			}
			b.WriteByte(' ')
			f.Type.format(b, quote)
		}
		b.WriteByte('>')
	default:
		b.WriteString(t.Kind.String())
	}
}

// NumericRank orders the numeric kinds by implicit widening (INTEGER 1,
// BIGINT 2, DECIMAL 3, DOUBLE 4); 0 for every other kind.
func NumericRank(k Kind) int {
	switch k {
	case KindInteger:
		return 1
	case KindBigint:
		return 2
	case KindDecimal:
		return 3
	case KindDouble:
		return 4
	}
	return 0
}
