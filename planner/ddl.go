package planner

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ksqlgo/ksql/catalog"
	"github.com/ksqlgo/ksql/sql/ast"
	"github.com/ksqlgo/ksql/sql/types"
)

// Config is the subset of engine properties the planner reads.
type Config struct {
	// DefaultKeyFormat is ksql.persistence.default.format.key (KAFKA).
	DefaultKeyFormat string
	// DefaultValueFormat is ksql.persistence.default.format.value ("" = none).
	DefaultValueFormat string
	// WrapSingleValues is ksql.persistence.wrap.single.values (nil = unset).
	WrapSingleValues *bool
	// OutputTopicPrefix (ksql.output.topic.name.prefix) prefixes the
	// default topic name of CSAS/CTAS sinks.
	OutputTopicPrefix string
}

// MaxPartitions bounds the partitions of a topic the engine creates.
const MaxPartitions = 10000

// ReservedColumns are the pseudo and system column names no user column may take.
var ReservedColumns = []string{"ROWTIME", "ROWPARTITION", "ROWOFFSET", "WINDOWSTART", "WINDOWEND"}

func isReserved(name string) bool {
	for _, r := range ReservedColumns {
		if r == name {
			return true
		}
	}
	return false
}

// knownFormats are the formats ksqlDB knows by name.
var knownFormats = map[string]bool{
	"JSON": true, "DELIMITED": true, "KAFKA": true, "NONE": true,
	"AVRO": true, "PROTOBUF": true, "PROTOBUF_NOSR": true, "JSON_SR": true,
}

// formatProps is a validated view of a WITH clause.
type formatProps struct {
	props ast.Properties
}

func (p formatProps) str(name string) (string, bool, error) {
	lit, ok := p.props.Get(name)
	if !ok {
		return "", false, nil
	}
	s, isStr := lit.Value.(string)
	if !isStr {
		return "", true, errorf(lit.At, "Invalid value for property %s: expected a string, got %s", name, ast.FormatLiteral(lit.Value, lit.Type))
	}
	return s, true, nil
}

func (p formatProps) integer(name string) (int64, bool, error) {
	lit, ok := p.props.Get(name)
	if !ok {
		return 0, false, nil
	}
	switch v := lit.Value.(type) {
	case int32:
		return int64(v), true, nil
	case int64:
		return v, true, nil
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err == nil {
			return n, true, nil
		}
	}
	return 0, true, errorf(lit.At, "Invalid value for property %s: expected an integer, got %s", name, ast.FormatLiteral(lit.Value, lit.Type))
}

func (p formatProps) boolean(name string) (*bool, error) {
	lit, ok := p.props.Get(name)
	if !ok {
		return nil, nil
	}
	switch v := lit.Value.(type) {
	case bool:
		return &v, nil
	case string:
		b, err := strconv.ParseBool(strings.ToLower(v))
		if err == nil {
			return &b, nil
		}
	}
	return nil, errorf(lit.At, "Invalid value for property %s: expected true or false", name)
}

// validProps are the WITH properties ksqlDB accepts on CREATE statements.
var validProps = map[string]bool{
	"KAFKA_TOPIC": true, "PARTITIONS": true, "REPLICAS": true, "RETENTION_MS": true,
	"CLEANUP_POLICY": true, "TIMESTAMP": true, "TIMESTAMP_FORMAT": true,
	"VALUE_FORMAT": true, "KEY_FORMAT": true, "FORMAT": true, "WRAP_SINGLE_VALUE": true,
	"VALUE_DELIMITER": true, "KEY_DELIMITER": true, "VALUE_AVRO_SCHEMA_FULL_NAME": true,
	"KEY_SCHEMA_FULL_NAME": true, "VALUE_SCHEMA_FULL_NAME": true, "KEY_SCHEMA_ID": true,
	"VALUE_SCHEMA_ID": true, "WINDOW_TYPE": true, "WINDOW_SIZE": true, "SOURCE_CONNECTOR": true,
	"SOURCED_BY_CONNECTOR": true, "QUERY_ID": true, "KEY_PROTOBUF_NULLABLE_REPRESENTATION": true,
	"VALUE_PROTOBUF_NULLABLE_REPRESENTATION": true,
}

func checkPropNames(props ast.Properties, allowed func(string) bool) error {
	for _, p := range props {
		if !validProps[p.Name] || (allowed != nil && !allowed(p.Name)) {
			return errorf(p.At, "Invalid config variable(s) in the WITH clause: %s", p.Name)
		}
	}
	return nil
}

// javaSpace is what Java's String.trim removes: the characters up to ' '.
var javaSpace = func() string {
	var b strings.Builder
	for c := rune(0); c <= ' '; c++ {
		b.WriteRune(c)
	}
	return b.String()
}()

// emptyDelimiter is Delimiter.parse's message for a blank delimiter.
const emptyDelimiter = "Delimiter cannot be empty, if you meant to have a tab or space for delimiter, please use the special values 'TAB' or 'SPACE'\nExample valid value: ';'"

// resolveFormats reads KEY_FORMAT, VALUE_FORMAT, FORMAT and their options.
// inheritKey/inheritValue are used when the statement names none (CSAS);
// otherwise the configured defaults apply.
func resolveFormats(p formatProps, cfg Config, inheritKey, inheritValue *catalog.Format) (key, value catalog.Format, keySet bool, err error) {
	kf, hasK, err := p.str("KEY_FORMAT")
	if err != nil {
		return key, value, false, err
	}
	vf, hasV, err := p.str("VALUE_FORMAT")
	if err != nil {
		return key, value, false, err
	}
	f, hasF, err := p.str("FORMAT")
	if err != nil {
		return key, value, false, err
	}
	if hasF && hasV {
		lit, _ := p.props.Get("FORMAT")
		return key, value, false, errorf(lit.At, "Cannot supply both 'VALUE_FORMAT' and 'FORMAT' properties, as 'FORMAT' sets both key and value formats. Either use just 'FORMAT', or use 'KEY_FORMAT' and 'VALUE_FORMAT'.")
	}
	if hasF && hasK {
		lit, _ := p.props.Get("FORMAT")
		return key, value, false, errorf(lit.At, "Cannot supply both 'KEY_FORMAT' and 'FORMAT' properties, as 'FORMAT' sets both key and value formats. Either use just 'FORMAT', or use 'KEY_FORMAT' and 'VALUE_FORMAT'.")
	}
	explicitKey := hasK
	if hasF {
		kf, vf, hasK, hasV = f, f, true, true
	}
	switch {
	case hasK:
		key.Name = strings.ToUpper(kf)
	case inheritKey != nil:
		key = *inheritKey
	default:
		key.Name = cfg.DefaultKeyFormat
		if key.Name == "" {
			key.Name = "KAFKA"
		}
	}
	switch {
	case hasV:
		value.Name = strings.ToUpper(vf)
	case inheritValue != nil:
		value = *inheritValue
		value.WrapSingleValue = nil
	case cfg.DefaultValueFormat != "":
		value.Name = strings.ToUpper(cfg.DefaultValueFormat)
	default:
		return key, value, false, errorf(ast.Pos{}, "Statement is missing the 'VALUE_FORMAT' property from the WITH clause. Either provide one or set a default via the 'ksql.persistence.default.format.value' config.")
	}
	for _, name := range []string{key.Name, value.Name} {
		if !knownFormats[name] {
			return key, value, false, errorf(ast.Pos{}, "Unknown format: %s", name)
		}
	}
	if d, ok, err := p.str("VALUE_DELIMITER"); err != nil {
		return key, value, false, err
	} else if ok {
		if strings.TrimLeft(d, javaSpace) == "" {
			// Delimiter.parse, as CreateSourceProperties is built.
			return key, value, false, errorf(ast.Pos{}, "Failed to prepare statement: Configuration VALUE_DELIMITER is invalid: "+emptyDelimiter)
		}
		if value.Name != "DELIMITED" {
			// FormatProperties.validateProperties
			return key, value, false, errorf(ast.Pos{}, "%s does not support the following configs: [delimiter]", value.Name)
		}
		value.Delimiter = d
	}
	if d, ok, err := p.str("KEY_DELIMITER"); err != nil {
		return key, value, false, err
	} else if ok {
		if strings.TrimLeft(d, javaSpace) == "" {
			return key, value, false, errorf(ast.Pos{}, "Failed to prepare statement: Configuration KEY_DELIMITER is invalid: "+emptyDelimiter)
		}
		if key.Name != "DELIMITED" {
			return key, value, false, errorf(ast.Pos{}, "%s does not support the following configs: [delimiter]", key.Name)
		}
		key.Delimiter = d
	}
	if err := protobufNullable(p, &key, &value); err != nil {
		return key, value, false, err
	}
	wrap, err := p.boolean("WRAP_SINGLE_VALUE")
	if err != nil {
		return key, value, false, err
	}
	if wrap != nil {
		value.WrapSingleValue = wrap
	} else if cfg.WrapSingleValues != nil && value.WrapSingleValue == nil {
		w := *cfg.WrapSingleValues
		value.WrapSingleValue = &w
	}
	if explicitKey {
		return key, value, true, nil
	}
	// keySet reports an explicit KEY_FORMAT; FORMAT alone does not count
	// (it may name a key format for a source without key columns).
	return key, value, false, nil
}

// checkWrapping validates WRAP_SINGLE_VALUE against the value columns.
// A WRAP_SINGLE_VALUE that came from configuration rather than the
// statement is dropped where it does not apply.
func checkWrapping(value *catalog.Format, valueCols int, explicit bool) error {
	if value.WrapSingleValue == nil {
		return nil
	}
	wraps := value.Name == "JSON" || value.Name == "AVRO" || value.Name == "PROTOBUF" || value.Name == "PROTOBUF_NOSR" || value.Name == "JSON_SR"
	if !explicit {
		if valueCols != 1 || !wraps {
			value.WrapSingleValue = nil
		}
		return nil
	}
	if valueCols != 1 {
		return errorf(ast.Pos{}, "'WRAP_SINGLE_VALUE' is only valid for single-field value schemas")
	}
	if !wraps && *value.WrapSingleValue {
		return errorf(ast.Pos{}, "Format '%s' does not support 'WRAP_SINGLE_VALUE' set to '%t'.", value.Name, *value.WrapSingleValue)
	}
	if !wraps {
		value.WrapSingleValue = nil // unwrapped is all these formats know
	}
	return nil
}

// parseWindowProps reads WINDOW_TYPE and WINDOW_SIZE of a windowed source.
func parseWindowProps(p formatProps) (catalog.Window, error) {
	wt, ok, err := p.str("WINDOW_TYPE")
	if err != nil || !ok {
		if ws, has, _ := p.str("WINDOW_SIZE"); has && err == nil {
			_ = ws
			return catalog.Window{}, errorf(ast.Pos{}, "'WINDOW_SIZE' should not be set without 'WINDOW_TYPE'.")
		}
		return catalog.Window{}, err
	}
	var w catalog.Window
	switch strings.ToUpper(wt) {
	case "TUMBLING":
		w.Type = catalog.TumblingWindow
	case "HOPPING":
		w.Type = catalog.HoppingWindow
	case "SESSION":
		w.Type = catalog.SessionWindow
	default:
		return w, errorf(ast.Pos{}, "Invalid value for property WINDOW_TYPE: %s. Valid values are SESSION, HOPPING, TUMBLING", wt)
	}
	ws, hasSize, err := p.str("WINDOW_SIZE")
	if err != nil {
		return w, err
	}
	if w.Type == catalog.SessionWindow {
		if hasSize {
			return w, errorf(ast.Pos{}, "'WINDOW_SIZE' should not be set for SESSION windows.")
		}
		return w, nil
	}
	if !hasSize {
		return w, errorf(ast.Pos{}, "'WINDOW_SIZE' must be set for %s windows.", wt)
	}
	ms, err := ParseDuration(ws)
	if err != nil {
		return w, errorf(ast.Pos{}, "Configuration WINDOW_SIZE is invalid: %v", err)
	}
	w.SizeMs = ms
	return w, nil
}

// ParseDuration parses "30 SECONDS"-style text into milliseconds.
func ParseDuration(s string) (int64, error) {
	parts := strings.Fields(s)
	if len(parts) != 2 {
		return 0, fmt.Errorf("Invalid duration: '%s'. Duration should be in the format '<number> <unit>'", s)
	}
	n, err := strconv.ParseInt(parts[0], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("Invalid duration: '%s'. Not a number: '%s'", s, parts[0])
	}
	unit, ok := ParseTimeUnit(parts[1])
	if !ok {
		return 0, fmt.Errorf("Invalid duration: '%s'. Unknown time unit: '%s'", s, strings.ToUpper(parts[1]))
	}
	return n * unit.Millis(), nil
}

// ParseTimeUnit accepts MILLISECOND(S), SECOND(S), MINUTE(S), HOUR(S), DAY(S).
func ParseTimeUnit(s string) (ast.TimeUnit, bool) {
	switch strings.TrimSuffix(strings.ToUpper(s), "S") {
	case "MILLISECOND":
		return ast.Milliseconds, true
	case "SECOND":
		return ast.Seconds, true
	case "MINUTE":
		return ast.Minutes, true
	case "HOUR":
		return ast.Hours, true
	case "DAY":
		return ast.Days, true
	}
	return 0, false
}

// checkColumnType rejects types a column may not have in a key.
func checkKeyColumn(c catalog.Column) error {
	if containsMap(c.Type) {
		return errorf(ast.Pos{}, "Map keys, including types that contain maps, are not supported as they may lead to unexpected behavior due to inconsistent serialization. Key column name: `%s`. Column type: %s. See https://github.com/confluentinc/ksql/issues/6621 for more.",
			c.Name, c.Type.SQLString())
	}
	return nil
}

func containsMap(t *types.Type) bool {
	switch t.Kind {
	case types.KindMap:
		return true
	case types.KindArray:
		return containsMap(t.Elem)
	case types.KindStruct:
		for _, f := range t.Fields {
			if containsMap(f.Type) {
				return true
			}
		}
	}
	return false
}

// SourceDefaults are facts about the environment a CREATE needs: whether
// its topic exists and with how many partitions.
type SourceDefaults struct {
	TopicExists     bool
	TopicPartitions int32
}

// PlanCreateSource validates CREATE STREAM/TABLE and builds the source.
func PlanCreateSource(stmt *ast.CreateSource, cat *catalog.Catalog, cfg Config, topicInfo func(topic string) (SourceDefaults, error)) (*catalog.Source, error) {
	name := stmt.Name.Name
	if err := checkPropNames(stmt.Props, nil); err != nil {
		return nil, err
	}
	if stmt.OrReplace && stmt.IsSource {
		return nil, errorf(stmt.At, "Cannot add %s '%s': CREATE OR REPLACE is not supported on source %ss.",
			strings.ToLower(stmt.Kind.String()), name, strings.ToLower(stmt.Kind.String()))
	}
	if existing, ok := cat.Source(name); ok && !stmt.IfNotExists {
		if !stmt.OrReplace {
			return nil, errorf(stmt.Name.At, "Cannot add %s '%s': A %s with the same name already exists",
				strings.ToLower(stmt.Kind.String()), name, strings.ToLower(existing.Kind.String()))
		}
		if existing.ReadOnly || stmt.IsSource {
			return nil, errorf(stmt.Name.At, "Cannot add %s '%s': CREATE OR REPLACE is not supported on source %ss.",
				strings.ToLower(stmt.Kind.String()), name, strings.ToLower(stmt.Kind.String()))
		}
		if existing.Kind != stmt.Kind {
			return nil, errorf(stmt.Name.At, "Cannot add %s '%s': A %s with the same name already exists",
				strings.ToLower(stmt.Kind.String()), name, strings.ToLower(existing.Kind.String()))
		}
	}
	p := formatProps{stmt.Props}
	topic, hasTopic, err := p.str("KAFKA_TOPIC")
	if err != nil {
		return nil, err
	}
	if !hasTopic {
		return nil, errorf(stmt.At, "Missing required property \"KAFKA_TOPIC\" which has no default value.")
	}
	src := &catalog.Source{
		Name:     name,
		Kind:     stmt.Kind,
		Topic:    topic,
		SQL:      stmt.Text(),
		ReadOnly: stmt.IsSource,
	}
	// The formats and their properties are checked as the statement is
	// prepared (CreateSourceProperties) and as ksqlDB's schema injector
	// looks at them, before CreateSourceFactory builds the schema.
	kf, vf, keySet, err := resolveFormats(p, cfg, nil, nil)
	if err != nil {
		return nil, err
	}
	if len(stmt.Elements) == 0 {
		return nil, errorf(stmt.At, "The statement does not define any columns.")
	}
	seen := map[string]bool{}
	var keys, vals []catalog.Column
	for _, el := range stmt.Elements {
		cn := el.Name.Name
		if isReserved(cn) {
			return nil, errorf(el.Name.At, "'%s' is a reserved column name. You cannot use it as a name for a column.", cn)
		}
		if seen[cn] {
			return nil, errorf(el.Name.At, "Duplicate column names: %s", cn)
		}
		seen[cn] = true
		col := catalog.Column{Name: cn, Type: el.Type}
		switch el.Constraint {
		case ast.KeyConstraint:
			if stmt.Kind == ast.Table {
				return nil, errorf(el.Name.At, "Column `%s` is a 'KEY' column: please use 'PRIMARY KEY' for tables.\nTables have PRIMARY KEYs, which are unique and NON NULL.\nStreams have KEYs, which have no uniqueness or NON NULL constraints.", cn)
			}
			col.Kind = catalog.KeyColumn
		case ast.PrimaryKeyConstraint:
			if stmt.Kind == ast.Stream {
				return nil, errorf(el.Name.At, "Column `%s` is a 'PRIMARY KEY' column: please use 'KEY' for streams.\nTables have PRIMARY KEYs, which are unique and NON NULL.\nStreams have KEYs, which have no uniqueness or NON NULL constraints.", cn)
			}
			col.Kind = catalog.KeyColumn
		case ast.HeadersConstraint:
			col.Kind = catalog.HeadersColumn
			want := types.ArrayOf(types.StructOf(types.Field{Name: "KEY", Type: types.StringType}, types.Field{Name: "VALUE", Type: types.BytesType}))
			if !el.Type.Equal(want) {
				return nil, errorf(el.Name.At, "Invalid type for HEADERS column: expected %s, got %s", want.SQLString(), el.Type.SQLString())
			}
		case ast.HeaderConstraint:
			col.Kind = catalog.HeaderColumn
			col.HeaderKey = el.HeaderKey
			if el.Type.Kind != types.KindBytes {
				return nil, errorf(el.Name.At, "Invalid type for HEADER('%s') column: expected BYTES, got %s", el.HeaderKey, el.Type)
			}
		}
		if col.Kind == catalog.KeyColumn {
			if err := checkKeyColumn(col); err != nil {
				return nil, err
			}
			keys = append(keys, col)
		} else {
			vals = append(vals, col)
		}
	}
	if stmt.Kind == ast.Table && len(keys) == 0 {
		return nil, errorf(stmt.At, "Tables require a PRIMARY KEY. Please define the PRIMARY KEY.")
	}
	src.Schema = catalog.Schema{Columns: append(keys, vals...)}

	if len(keys) == 0 {
		// A source without key columns keeps a key format only when the
		// statement names one (KEY_FORMAT or FORMAT); queries reading it
		// inherit that format for keys they create.
		_, viaFormat := stmt.Props.Get("FORMAT")
		if !keySet && !viaFormat {
			kf = catalog.Format{Name: "NONE"}
		}
	}
	_, explicitWrap := stmt.Props.Get("WRAP_SINGLE_VALUE")
	if err := checkWrapping(&vf, countValueCols(vals), explicitWrap); err != nil {
		return nil, err
	}
	src.KeyFormat, src.ValueFormat = kf, vf
	if src.Window, err = parseWindowProps(p); err != nil {
		return nil, err
	}
	if err := applyTimestampProps(p, src); err != nil {
		return nil, err
	}
	parts, hasParts, err := p.integer("PARTITIONS")
	if err != nil {
		return nil, err
	}
	info, err := topicInfo(topic)
	if err != nil {
		return nil, err
	}
	switch {
	case info.TopicExists:
		src.Partitions = info.TopicPartitions
		if hasParts && int32(parts) != info.TopicPartitions {
			return nil, errorf(stmt.At, "A Kafka topic with the name '%s' already exists, with different partition/replica configuration than required. KSQL expects %d partitions (topic has %d).",
				topic, parts, info.TopicPartitions)
		}
	case hasParts:
		if parts < 1 || parts > MaxPartitions {
			return nil, errorf(stmt.At, "Invalid number of partitions: %d (must be between 1 and %d)", parts, MaxPartitions)
		}
		src.Partitions = int32(parts)
	default:
		return nil, errorf(stmt.At, "Topic '%s' does not exist. If you want to create a new topic for the %s please re-run the statement providing the required 'PARTITIONS' configuration in the WITH clause (and optionally 'REPLICAS'). For example: CREATE %s %s (ID INT PRIMARY KEY, NAME STRING) WITH (KAFKA_TOPIC='%s', PARTITIONS=2, REPLICAS=1, FORMAT='JSON');",
			topic, strings.ToLower(stmt.Kind.String()), stmt.Kind, name, topic)
	}
	return src, nil
}

func countValueCols(cols []catalog.Column) int {
	n := 0
	for _, c := range cols {
		if c.Kind == catalog.ValueColumn {
			n++
		}
	}
	return n
}

// applyTimestampProps reads TIMESTAMP and TIMESTAMP_FORMAT.
func applyTimestampProps(p formatProps, src *catalog.Source) error {
	ts, ok, err := p.str("TIMESTAMP")
	if err != nil || !ok {
		if _, has, _ := p.str("TIMESTAMP_FORMAT"); has && err == nil && !ok {
			return nil
		}
		return err
	}
	col := strings.ToUpper(ts)
	if strings.HasPrefix(ts, "`") && strings.HasSuffix(ts, "`") && len(ts) > 1 {
		col = ts[1 : len(ts)-1]
	}
	c, _, found := src.Schema.Find(col)
	if !found {
		return errorf(ast.Pos{}, "The TIMESTAMP column set in the WITH clause does not exist in the schema: '%s'", col)
	}
	format, hasFormat, err := p.str("TIMESTAMP_FORMAT")
	if err != nil {
		return err
	}
	switch c.Type.Kind {
	case types.KindBigint, types.KindTimestamp:
	case types.KindString:
		if !hasFormat {
			return errorf(ast.Pos{}, "A String timestamp field has been specified without also specifying the TIMESTAMP_FORMAT property.")
		}
	default:
		return errorf(ast.Pos{}, "Timestamp column, `%s`, should be LONG(INT64), TIMESTAMP, or a String with a TIMESTAMP_FORMAT specified.", col)
	}
	src.TimestampColumn = col
	src.TimestampFormat = format
	return nil
}
