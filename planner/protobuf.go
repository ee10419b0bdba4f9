package planner

import (
	"strings"

	"github.com/ksqlgo/ksql/catalog"
	"github.com/ksqlgo/ksql/sql/ast"
)

// protobufNullable reads KEY_PROTOBUF_NULLABLE_REPRESENTATION and
// VALUE_PROTOBUF_NULLABLE_REPRESENTATION (OPTIONAL or WRAPPER) into the
// formats' nullableRepresentation property, as ksqlDB's
// CreateSourceProperties.handleProtobufNullableProperty does: only the
// PROTOBUF formats take it.
func protobufNullable(p formatProps, key, value *catalog.Format) error {
	for _, x := range []struct {
		prop string
		f    *catalog.Format
	}{{"KEY_PROTOBUF_NULLABLE_REPRESENTATION", key}, {"VALUE_PROTOBUF_NULLABLE_REPRESENTATION", value}} {
		rep, ok, err := p.str(x.prop)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		switch strings.ToUpper(rep) {
		case "OPTIONAL", "WRAPPER":
		default:
			return errorf(ast.Pos{}, "Invalid value %s for configuration %s: String must be one of: OPTIONAL, WRAPPER, null", rep, x.prop)
		}
		if x.f.Name != "PROTOBUF" && x.f.Name != "PROTOBUF_NOSR" {
			return errorf(ast.Pos{}, "Property %s can only be enabled with protobuf format", x.prop)
		}
		x.f.NullableRepresentation = strings.ToLower(rep)
	}
	return nil
}
