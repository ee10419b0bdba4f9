package engine

import "errors"

// ErrQueryEndpoint matches (errors.Is) the error Execute returns for a
// SELECT or PRINT: they stream to a client through StreamQuery (ksqlDB's
// error 40002 on its /ksql endpoint).
var ErrQueryEndpoint = errors.New("SELECT and PRINT are issued to the query endpoint")

type queryEndpointError string

func (e queryEndpointError) Error() string        { return string(e) }
func (e queryEndpointError) Is(target error) bool { return target == ErrQueryEndpoint }

// Result is the outcome of one statement, shaped after ksqlDB's REST
// entities so that the REST layer and the shell can render it directly.
type Result struct {
	// Type is the ksqlDB entity type: "currentStatus", "streams",
	// "tables", "queries", "kafka_topics", "sourceDescription",
	// "queryDescription", "executionPlan", "properties", "type_list",
	// "function_names", "describe_function", "variables", "warning_entity";
	// NoEntity for a statement ksqlDB answers with no entity at all.
	Type      string
	Statement string
	// currentStatus
	CommandID  string
	Status     string // SUCCESS
	Message    string
	QueryID    string
	CommandSeq int64

	Streams []SourceInfo
	Tables  []SourceInfo
	Queries []QueryInfo
	Topics  []TopicInfo
	Source  *SourceDescription
	// Sources is DESCRIBE STREAMS/TABLES [EXTENDED]'s answer
	// ("source_descriptions").
	Sources []*SourceDescription
	Query   *QueryDescription
	// Functions is DESCRIBE FUNCTION's answer ("describe_function").
	Function *FunctionDescription
	// TypeSchemas is SHOW TYPES' answer ("type_list"), by type name.
	TypeSchemas map[string]*Schema
	Plan        string
	Properties  map[string]string
	Names       []string
	Warnings    []string
}

// NoEntity is the Type of a result that ksqlDB's /ksql does not render:
// INSERT INTO ... VALUES succeeds with no entity (its executor answers
// handled(Optional.empty())), so a request of one INSERT answers [].
const NoEntity = ""

// SourceInfo is one row of SHOW STREAMS / SHOW TABLES.
type SourceInfo struct {
	Type        string // STREAM or TABLE
	Name        string
	Topic       string
	KeyFormat   string
	ValueFormat string
	IsWindowed  bool
}

// QueryInfo is one row of SHOW QUERIES.
type QueryInfo struct {
	ID         string
	QueryType  string // PERSISTENT
	State      string
	Error      string
	SQL        string
	Sinks      []string
	SinkTopics []string
}

// TopicInfo is one row of SHOW TOPICS.
type TopicInfo struct {
	Name       string
	Partitions int32
	Internal   bool
}

// FieldInfo is one column of DESCRIBE.
type FieldInfo struct {
	Name string
	Type string
	Key  string // "", "KEY" or "PRIMARY"
	// Header marks a header column; HeaderKey names the header of a
	// HEADER('k') column ("" for HEADERS, all of them).
	Header    bool
	HeaderKey string
	// Schema is the type's structure, ksqlDB's SchemaInfo.
	Schema *Schema
}

// Schema is the structure of a SQL type as ksqlDB's REST API describes it
// (SchemaInfo): the base type name, the fields of a STRUCT, the element
// (ARRAY) or value (MAP) type, and DECIMAL's precision and scale.
type Schema struct {
	Type       string // INTEGER, BIGINT, STRING, DECIMAL, ARRAY, MAP, STRUCT, ...
	Fields     []FieldInfo
	Member     *Schema
	Parameters map[string]any
}

// FunctionDescription is DESCRIBE FUNCTION's answer.
type FunctionDescription struct {
	Name        string
	Description string
	Type        string // SCALAR, AGGREGATE or TABLE
	// Variants lists the overloads when the registry declares them
	// (functions typed by a resolver have none).
	Variants []FunctionVariant
}

// FunctionVariant is one overload of a function.
type FunctionVariant struct {
	Arguments   []FunctionArg
	ReturnType  string
	Description string
}

// FunctionArg is one parameter of an overload.
type FunctionArg struct {
	Name     string
	Type     string
	Variadic bool
}

// SourceDescription is DESCRIBE's answer.
type SourceDescription struct {
	Name         string
	Type         string
	Topic        string
	KeyFormat    string
	ValueFormat  string
	Partitions   int32
	Windowed     bool
	WindowType   string
	Timestamp    string
	Statement    string
	Fields       []FieldInfo
	ReadQueries  []string
	WriteQueries []string
	// ReadQueryInfo and WriteQueryInfo describe ReadQueries and
	// WriteQueries (ksqlDB's RunningQuery objects).
	ReadQueryInfo  []QueryInfo
	WriteQueryInfo []QueryInfo
	Extended       bool
	// Statistics are the processing numbers of the queries that write
	// and read the source (EXTENDED only).
	Statistics *SourceStatistics
}

// QueryDescription is EXPLAIN <query id>'s answer.
type QueryDescription struct {
	ID      string
	SQL     string
	Sinks   []string
	Sources []string
	Plan    string
	State   string
	// Fields is the sink's schema.
	Fields     []FieldInfo
	WindowType string
	// Properties are the properties the query runs with.
	Properties map[string]string
}
