package engine

// Result is the outcome of one statement, shaped after ksqlDB's REST
// entities so that the REST layer and the shell can render it directly.
type Result struct {
	// Type is the ksqlDB entity type: "currentStatus", "streams",
	// "tables", "queries", "kafka_topics", "sourceDescription",
	// "queryDescription", "executionPlan", "properties", "type_list",
	// "function_names", "describe_function", "variables", "warning_entity".
	Type      string
	Statement string
	// currentStatus
	CommandID  string
	Status     string // SUCCESS
	Message    string
	QueryID    string
	CommandSeq int64

	Streams    []SourceInfo
	Tables     []SourceInfo
	Queries    []QueryInfo
	Topics     []TopicInfo
	Source     *SourceDescription
	Query      *QueryDescription
	Plan       string
	Properties map[string]string
	Names      []string
	Warnings   []string
}

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
	Extended     bool
	Statistics   map[string]int64
}

// QueryDescription is EXPLAIN <query id>'s answer.
type QueryDescription struct {
	ID      string
	SQL     string
	Sinks   []string
	Sources []string
	Plan    string
	State   string
}
