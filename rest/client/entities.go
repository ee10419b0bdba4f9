package client

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Entity is one element of a POST /ksql response: ksqlDB's KsqlEntity.
// Type is its "@type"; Value holds the decoded entity, one of the *…
// types below (nil for a type this client does not know, whose JSON is
// still in Raw).
type Entity struct {
	Type          string
	StatementText string
	Warnings      []Warning
	Value         any
	Raw           json.RawMessage
}

// Warning is ksqlDB's KsqlWarning.
type Warning struct {
	Message string `json:"message"`
}

// CommandStatusEntity is "currentStatus": the outcome of a statement that
// changed the metastore.
type CommandStatusEntity struct {
	CommandID             string        `json:"commandId"`
	CommandStatus         CommandStatus `json:"commandStatus"`
	CommandSequenceNumber int64         `json:"commandSequenceNumber"`
}

// CommandStatus is ksqlDB's CommandStatus.
type CommandStatus struct {
	Status  string `json:"status"`
	Message string `json:"message"`
	QueryID string `json:"queryId,omitempty"`
}

// PropertiesList is "properties" (SHOW PROPERTIES).
type PropertiesList struct {
	Properties            []Property `json:"properties"`
	OverwrittenProperties []string   `json:"overwrittenProperties"`
	DefaultProperties     []string   `json:"defaultProperties"`
}

// Property is one row of SHOW PROPERTIES.
type Property struct {
	Name  string  `json:"name"`
	Scope string  `json:"scope"`
	Value *string `json:"value"`
}

// Queries is "queries" (SHOW QUERIES).
type Queries struct {
	Queries []RunningQuery `json:"queries"`
}

// RunningQuery is ksqlDB's RunningQuery.
type RunningQuery struct {
	QueryString     string         `json:"queryString"`
	Sinks           []string       `json:"sinks"`
	SinkKafkaTopics []string       `json:"sinkKafkaTopics"`
	ID              string         `json:"id"`
	StatusCount     map[string]int `json:"statusCount"`
	QueryType       string         `json:"queryType"`
	State           string         `json:"state,omitempty"`
}

// SingleLine is the query text on one line, as ksqlDB's CLI shows it.
func (q RunningQuery) SingleLine() string {
	return strings.Join(strings.Fields(q.QueryString), " ")
}

// StatusCountString prints statusCount as ksqlDB does ("RUNNING:1").
func (q RunningQuery) StatusCountString() string {
	var parts []string
	for _, s := range []string{"RUNNING", "ERROR", "PAUSED", "UNRESPONSIVE", "PENDING_SHUTDOWN", "NOT_RUNNING"} {
		if n, ok := q.StatusCount[s]; ok && n > 0 {
			parts = append(parts, fmt.Sprintf("%s:%d", s, n))
		}
	}
	for s, n := range q.StatusCount {
		known := false
		for _, k := range []string{"RUNNING", "ERROR", "PAUSED", "UNRESPONSIVE", "PENDING_SHUTDOWN", "NOT_RUNNING"} {
			known = known || k == s
		}
		if !known && n > 0 {
			parts = append(parts, fmt.Sprintf("%s:%d", s, n))
		}
	}
	if len(parts) == 0 && q.State != "" {
		return q.State
	}
	return strings.Join(parts, " ")
}

// SourceDescriptionEntity is "sourceDescription" (DESCRIBE).
type SourceDescriptionEntity struct {
	SourceDescription SourceDescription `json:"sourceDescription"`
}

// SourceDescription is ksqlDB's SourceDescription.
type SourceDescription struct {
	Name              string         `json:"name"`
	WindowType        string         `json:"windowType,omitempty"`
	ReadQueries       []RunningQuery `json:"readQueries"`
	WriteQueries      []RunningQuery `json:"writeQueries"`
	Fields            []FieldInfo    `json:"fields"`
	Type              string         `json:"type"`
	Timestamp         string         `json:"timestamp"`
	Statistics        string         `json:"statistics"`
	ErrorStats        string         `json:"errorStats"`
	Extended          bool           `json:"extended"`
	KeyFormat         string         `json:"keyFormat"`
	ValueFormat       string         `json:"valueFormat"`
	Topic             string         `json:"topic"`
	Partitions        int            `json:"partitions"`
	Replication       int            `json:"replication"`
	Statement         string         `json:"statement"`
	SourceConstraints []string       `json:"sourceConstraints"`
}

// FieldInfo is one column of a source or query description.
type FieldInfo struct {
	Name   string     `json:"name"`
	Schema SchemaInfo `json:"schema"`
	// Type is "KEY", "HEADER" or empty (a value column).
	Type      string `json:"type,omitempty"`
	HeaderKey string `json:"headerKey,omitempty"`
}

// SchemaInfo is ksqlDB's SchemaInfo: a SQL type as a tree.
type SchemaInfo struct {
	Type         string         `json:"type"`
	Fields       []FieldInfo    `json:"fields,omitempty"`
	MemberSchema *SchemaInfo    `json:"memberSchema,omitempty"`
	Parameters   map[string]any `json:"parameters,omitempty"`
}

// TypeString prints the type as ksqlDB's SchemaInfo.toTypeString does
// (STRING as "VARCHAR(STRING)", MAP<STRING, V>, STRUCT<A INTEGER, ...>).
func (s SchemaInfo) TypeString() string {
	switch s.Type {
	case "STRING":
		return "VARCHAR(STRING)"
	case "ARRAY":
		if s.MemberSchema != nil {
			return "ARRAY<" + s.MemberSchema.TypeString() + ">"
		}
	case "MAP":
		if s.MemberSchema != nil {
			return "MAP<STRING, " + s.MemberSchema.TypeString() + ">"
		}
	case "STRUCT":
		parts := make([]string, len(s.Fields))
		for i, f := range s.Fields {
			parts[i] = f.Name + " " + f.Schema.TypeString()
		}
		return "STRUCT<" + strings.Join(parts, ", ") + ">"
	case "DECIMAL":
		p, okp := s.Parameters["precision"]
		sc, oks := s.Parameters["scale"]
		if okp && oks {
			return fmt.Sprintf("DECIMAL(%v, %v)", p, sc)
		}
	}
	return s.Type
}

// QueryDescriptionEntity is "queryDescription" (EXPLAIN).
type QueryDescriptionEntity struct {
	QueryDescription QueryDescription `json:"queryDescription"`
}

// QueryDescription is ksqlDB's QueryDescription.
type QueryDescription struct {
	ID                   string            `json:"id"`
	StatementText        string            `json:"statementText"`
	WindowType           string            `json:"windowType,omitempty"`
	Fields               []FieldInfo       `json:"fields"`
	Sources              []string          `json:"sources"`
	Sinks                []string          `json:"sinks"`
	Topology             string            `json:"topology"`
	ExecutionPlan        string            `json:"executionPlan"`
	OverriddenProperties map[string]any    `json:"overriddenProperties"`
	KsqlHostQueryStatus  map[string]string `json:"ksqlHostQueryStatus"`
	QueryType            string            `json:"queryType"`
	State                string            `json:"state,omitempty"`
}

// SourceInfo is one stream or table of SHOW STREAMS/TABLES.
type SourceInfo struct {
	Type        string `json:"type"`
	Name        string `json:"name"`
	Topic       string `json:"topic"`
	KeyFormat   string `json:"keyFormat"`
	ValueFormat string `json:"valueFormat"`
	IsWindowed  bool   `json:"isWindowed"`
}

// StreamsList is "streams".
type StreamsList struct {
	Streams []SourceInfo `json:"streams"`
}

// TablesList is "tables".
type TablesList struct {
	Tables []SourceInfo `json:"tables"`
}

// KafkaTopicsList is "kafka_topics" and "kafka_topics_extended" (whose
// topics also carry consumer counts; Extended says which).
type KafkaTopicsList struct {
	Topics   []KafkaTopicInfo `json:"topics"`
	Extended bool             `json:"-"`
}

// KafkaTopicInfo is one topic of SHOW TOPICS.
type KafkaTopicInfo struct {
	Name               string `json:"name"`
	ReplicaInfo        []int  `json:"replicaInfo"`
	ConsumerCount      int    `json:"consumerCount,omitempty"`
	ConsumerGroupCount int    `json:"consumerGroupCount,omitempty"`
}

// ExecutionPlan is "executionPlan" (EXPLAIN of a statement).
type ExecutionPlan struct {
	ExecutionPlan string `json:"executionPlan"`
}

// SourceDescriptionList is "source_descriptions" (SHOW STREAMS EXTENDED).
type SourceDescriptionList struct {
	SourceDescriptions []SourceDescription `json:"sourceDescriptions"`
}

// QueryDescriptionList is "query_descriptions" (SHOW QUERIES EXTENDED).
type QueryDescriptionList struct {
	QueryDescriptions []QueryDescription `json:"queryDescriptions"`
}

// FunctionDescriptionList is "describe_function".
type FunctionDescriptionList struct {
	Name        string         `json:"name"`
	Description string         `json:"description"`
	Author      string         `json:"author"`
	Version     string         `json:"version"`
	Path        string         `json:"path"`
	Type        string         `json:"type"`
	Functions   []FunctionInfo `json:"functions"`
}

// FunctionInfo is one variation of a function.
type FunctionInfo struct {
	Arguments   []ArgumentInfo `json:"arguments"`
	ReturnType  string         `json:"returnType"`
	Description string         `json:"description"`
}

// ArgumentInfo is one argument of a function variation.
type ArgumentInfo struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	Description string `json:"description"`
	IsVariadic  bool   `json:"isVariadic"`
}

// FunctionNameList is "function_names" (SHOW FUNCTIONS).
type FunctionNameList struct {
	Functions []SimpleFunctionInfo `json:"functions"`
}

// SimpleFunctionInfo is one row of SHOW FUNCTIONS.
type SimpleFunctionInfo struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	Category string `json:"category"`
}

// TypeList is "type_list" (SHOW TYPES).
type TypeList struct {
	Types map[string]SchemaInfo `json:"types"`
}

// WarningEntity is "warning_entity".
type WarningEntity struct {
	Message string `json:"message"`
}

// VariablesList is "variables" (SHOW VARIABLES).
type VariablesList struct {
	Variables []Variable `json:"variables"`
}

// Variable is one session variable.
type Variable struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// TerminateQueryEntity is "terminate_query".
type TerminateQueryEntity struct {
	QueryID string `json:"queryId"`
}

// entityTypes maps "@type" to a constructor of its value.
var entityTypes = map[string]func() any{
	"currentStatus":         func() any { return new(CommandStatusEntity) },
	"properties":            func() any { return new(PropertiesList) },
	"queries":               func() any { return new(Queries) },
	"sourceDescription":     func() any { return new(SourceDescriptionEntity) },
	"queryDescription":      func() any { return new(QueryDescriptionEntity) },
	"streams":               func() any { return new(StreamsList) },
	"tables":                func() any { return new(TablesList) },
	"kafka_topics":          func() any { return new(KafkaTopicsList) },
	"kafka_topics_extended": func() any { return &KafkaTopicsList{Extended: true} },
	"executionPlan":         func() any { return new(ExecutionPlan) },
	"source_descriptions":   func() any { return new(SourceDescriptionList) },
	"query_descriptions":    func() any { return new(QueryDescriptionList) },
	"describe_function":     func() any { return new(FunctionDescriptionList) },
	"function_names":        func() any { return new(FunctionNameList) },
	"type_list":             func() any { return new(TypeList) },
	"warning_entity":        func() any { return new(WarningEntity) },
	"variables":             func() any { return new(VariablesList) },
	"terminate_query":       func() any { return new(TerminateQueryEntity) },
}

// UnmarshalJSON decodes an entity by its "@type".
func (e *Entity) UnmarshalJSON(b []byte) error {
	var head struct {
		Type          string    `json:"@type"`
		StatementText string    `json:"statementText"`
		Warnings      []Warning `json:"warnings"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return err
	}
	e.Type, e.StatementText, e.Warnings = head.Type, head.StatementText, head.Warnings
	e.Raw = append(json.RawMessage(nil), b...)
	e.Value = nil
	if mk, ok := entityTypes[head.Type]; ok {
		v := mk()
		if err := json.Unmarshal(b, v); err != nil {
			return fmt.Errorf("decoding a %q entity: %w", head.Type, err)
		}
		e.Value = v
	}
	return nil
}

// MarshalJSON returns the entity as the server sent it.
func (e Entity) MarshalJSON() ([]byte, error) {
	if len(e.Raw) > 0 {
		return e.Raw, nil
	}
	return json.Marshal(map[string]any{"@type": e.Type, "statementText": e.StatementText, "warnings": e.Warnings})
}
