package rest

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/ksqlgo/ksql/engine"
)

// The wire types of POST /ksql's answer: ksqlDB's KsqlEntity subtypes
// (ksqldb-rest-model io.confluent.ksql.rest.entity), with their JSON
// property names. Every entity carries "@type", "statementText" and
// "warnings".

type warning struct {
	Message string `json:"message"`
}

type commandStatus struct {
	Status  string `json:"status"`
	Message string `json:"message"`
	QueryID string `json:"queryId,omitempty"`
}

// schemaInfo is ksqlDB's SchemaInfo: fields and memberSchema are always
// present (null when unused), parameters only when non-empty.
type schemaInfo struct {
	Type         string         `json:"type"`
	Fields       []fieldInfo    `json:"fields"`
	MemberSchema *schemaInfo    `json:"memberSchema"`
	Parameters   map[string]any `json:"parameters,omitempty"`
}

// fieldInfo is ksqlDB's FieldInfo; fieldType is "KEY" for key columns
// and absent otherwise.
type fieldInfo struct {
	Name      string      `json:"name"`
	Schema    *schemaInfo `json:"schema"`
	FieldType string      `json:"fieldType,omitempty"`
	HeaderKey string      `json:"headerKey,omitempty"`
}

// runningQuery is ksqlDB's RunningQuery (SHOW QUERIES, DESCRIBE's
// readQueries and writeQueries).
type runningQuery struct {
	QueryString     string         `json:"queryString"`
	Sinks           []string       `json:"sinks"`
	SinkKafkaTopics []string       `json:"sinkKafkaTopics"`
	ID              string         `json:"id"`
	StatusCount     map[string]int `json:"statusCount"`
	QueryType       string         `json:"queryType"`
	State           string         `json:"state"`
}

type sourceDescription struct {
	Name                 string         `json:"name"`
	WindowType           *string        `json:"windowType"`
	ReadQueries          []runningQuery `json:"readQueries"`
	WriteQueries         []runningQuery `json:"writeQueries"`
	Fields               []fieldInfo    `json:"fields"`
	Type                 string         `json:"type"`
	Timestamp            string         `json:"timestamp"`
	Statistics           string         `json:"statistics"`
	ErrorStats           string         `json:"errorStats"`
	Extended             bool           `json:"extended"`
	KeyFormat            string         `json:"keyFormat"`
	ValueFormat          string         `json:"valueFormat"`
	Topic                string         `json:"topic"`
	Partitions           int32          `json:"partitions"`
	Replication          int            `json:"replication"`
	Statement            string         `json:"statement"`
	QueryOffsetSummaries []any          `json:"queryOffsetSummaries"`
	SourceConstraints    []string       `json:"sourceConstraints"`
	ClusterStatistics    []any          `json:"clusterStatistics"`
	ClusterErrorStats    []any          `json:"clusterErrorStats"`
}

type queryDescription struct {
	ID                   string            `json:"id"`
	StatementText        string            `json:"statementText"`
	WindowType           *string           `json:"windowType"`
	Fields               []fieldInfo       `json:"fields"`
	Sources              []string          `json:"sources"`
	Sinks                []string          `json:"sinks"`
	Topology             string            `json:"topology"`
	ExecutionPlan        string            `json:"executionPlan"`
	OverriddenProperties map[string]string `json:"overriddenProperties"`
	KsqlHostQueryStatus  map[string]string `json:"ksqlHostQueryStatus"`
	QueryType            string            `json:"queryType"`
	QueryErrors          []any             `json:"queryErrors"`
	TasksMetadata        []any             `json:"tasksMetadata"`
	State                string            `json:"state,omitempty"`
	ConsumerGroupID      string            `json:"consumerGroupId"`
}

type property struct {
	Name     string `json:"name"`
	Scope    string `json:"scope"`
	Value    string `json:"value"`
	Editable bool   `json:"editable"`
	Level    string `json:"level"`
}

type functionInfo struct {
	Arguments   []argumentInfo `json:"arguments"`
	ReturnType  string         `json:"returnType"`
	Description string         `json:"description"`
}

type argumentInfo struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	Description string `json:"description"`
	IsVariadic  bool   `json:"isVariadic"`
}

type simpleFunctionInfo struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	Category string `json:"category"`
}

type variable struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type kafkaTopicInfo struct {
	Name        string `json:"name"`
	ReplicaInfo []int  `json:"replicaInfo"`
}

type sourceInfo struct {
	Type        string `json:"type"`
	Name        string `json:"name"`
	Topic       string `json:"topic"`
	KeyFormat   string `json:"keyFormat"`
	ValueFormat string `json:"valueFormat"`
	IsWindowed  bool   `json:"isWindowed"`
}

// serverHost names this server in per-host maps (ksqlHostQueryStatus).
const serverHost = "localhost:8088"

// toEntity renders a result as ksqlDB's KsqlEntity JSON: an ordered map
// of the common fields followed by the entity's own.
func toEntity(r *engine.Result) map[string]any {
	warnings := []warning{}
	for _, w := range r.Warnings {
		warnings = append(warnings, warning{Message: w})
	}
	e := map[string]any{"@type": r.Type, "statementText": r.Statement, "warnings": warnings}
	switch r.Type {
	case "currentStatus":
		e["commandId"] = r.CommandID
		e["commandStatus"] = commandStatus{Status: r.Status, Message: r.Message, QueryID: r.QueryID}
		e["commandSequenceNumber"] = r.CommandSeq
	case "streams":
		e["streams"] = sourceList(r.Streams)
	case "tables":
		e["tables"] = sourceList(r.Tables)
	case "queries":
		qs := []runningQuery{}
		for _, q := range r.Queries {
			qs = append(qs, toRunningQuery(q))
		}
		e["queries"] = qs
	case "kafka_topics":
		ts := []kafkaTopicInfo{}
		for _, t := range r.Topics {
			reps := make([]int, t.Partitions)
			for i := range reps {
				reps[i] = 1
			}
			ts = append(ts, kafkaTopicInfo{Name: t.Name, ReplicaInfo: reps})
		}
		e["topics"] = ts
	case "sourceDescription":
		e["sourceDescription"] = toSourceDescription(r.Source)
	case "source_descriptions":
		ds := []sourceDescription{}
		for _, d := range r.Sources {
			ds = append(ds, toSourceDescription(d))
		}
		e["sourceDescriptions"] = ds
	case "queryDescription":
		e["queryDescription"] = toQueryDescription(r.Query)
	case "executionPlan":
		e["executionPlanText"] = r.Plan
	case "properties":
		e["properties"] = toProperties(r.Properties)
		e["overwrittenProperties"] = []string{}
		e["defaultProperties"] = []string{}
	case "function_names":
		fs := []simpleFunctionInfo{}
		for _, n := range r.Names {
			kind := r.Properties[n]
			if kind == "" {
				kind = "SCALAR"
			}
			fs = append(fs, simpleFunctionInfo{Name: n, Type: kind, Category: ""})
		}
		e["functions"] = fs
	case "describe_function":
		fd := r.Function
		if fd == nil {
			fd = &engine.FunctionDescription{Name: strings.Join(r.Names, ""), Description: r.Message, Type: "SCALAR"}
		}
		fns := []functionInfo{}
		for _, v := range fd.Variants {
			fi := functionInfo{ReturnType: v.ReturnType, Description: v.Description, Arguments: []argumentInfo{}}
			for i, a := range v.Arguments {
				name := a.Name
				if name == "" {
					name = fmt.Sprintf("arg%d", i+1)
				}
				fi.Arguments = append(fi.Arguments, argumentInfo{Name: name, Type: a.Type, IsVariadic: a.Variadic})
			}
			fns = append(fns, fi)
		}
		e["name"] = fd.Name
		e["description"] = fd.Description
		e["author"] = "Confluent"
		e["version"] = ""
		e["path"] = "internal"
		e["functions"] = fns
		e["type"] = fd.Type
	case "type_list":
		ts := map[string]*schemaInfo{}
		for n, s := range r.TypeSchemas {
			ts[n] = toSchemaInfo(s)
		}
		e["types"] = ts
	case "variables":
		vs := []variable{}
		for _, k := range sortedKeys(r.Properties) {
			vs = append(vs, variable{Name: k, Value: r.Properties[k]})
		}
		e["variables"] = vs
	case "warning_entity":
		e["message"] = r.Message
	case "terminate_query":
		e["queryId"] = r.QueryID
		e["wasTerminated"] = true
	default:
		if r.Message != "" {
			e["message"] = r.Message
		}
	}
	return e
}

func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func toProperties(m map[string]string) []property {
	out := []property{}
	for _, k := range sortedKeys(m) {
		scope := "KSQL"
		if !strings.HasPrefix(k, "ksql.") {
			scope = "STREAMS"
		}
		out = append(out, property{Name: k, Scope: scope, Value: m[k], Level: "SERVER"})
	}
	return out
}

func toRunningQuery(q engine.QueryInfo) runningQuery {
	state := q.State
	if state == "" {
		state = "UNKNOWN"
	}
	sinks, topics := q.Sinks, q.SinkTopics
	if sinks == nil {
		sinks = []string{}
	}
	if topics == nil {
		topics = []string{}
	}
	qt := q.QueryType
	if qt == "" {
		qt = "PERSISTENT"
	}
	return runningQuery{
		QueryString: q.SQL, Sinks: sinks, SinkKafkaTopics: topics, ID: q.ID,
		StatusCount: map[string]int{state: 1}, QueryType: qt, State: state,
	}
}

func toSchemaInfo(s *engine.Schema) *schemaInfo {
	if s == nil {
		return nil
	}
	out := &schemaInfo{Type: s.Type, MemberSchema: toSchemaInfo(s.Member), Parameters: s.Parameters}
	if s.Fields != nil {
		out.Fields = toFields(s.Fields)
	}
	return out
}

func toFields(in []engine.FieldInfo) []fieldInfo {
	out := []fieldInfo{}
	for _, f := range in {
		fi := fieldInfo{Name: f.Name, Schema: toSchemaInfo(f.Schema)}
		if fi.Schema == nil {
			fi.Schema = &schemaInfo{Type: f.Type}
		}
		switch {
		case f.Key != "":
			fi.FieldType = "KEY"
		case f.Header:
			fi.FieldType, fi.HeaderKey = "HEADER", f.HeaderKey
		}
		out = append(out, fi)
	}
	return out
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func toSourceDescription(d *engine.SourceDescription) sourceDescription {
	if d == nil {
		return sourceDescription{}
	}
	out := sourceDescription{
		Name: d.Name, WindowType: optString(d.WindowType),
		ReadQueries: []runningQuery{}, WriteQueries: []runningQuery{},
		Fields: toFields(d.Fields), Type: d.Type, Timestamp: d.Timestamp,
		Extended: d.Extended, KeyFormat: d.KeyFormat, ValueFormat: d.ValueFormat,
		Topic: d.Topic, Partitions: d.Partitions, Replication: 1, Statement: d.Statement,
		QueryOffsetSummaries: []any{}, SourceConstraints: []string{},
		ClusterStatistics: []any{}, ClusterErrorStats: []any{},
	}
	for _, q := range d.ReadQueryInfo {
		out.ReadQueries = append(out.ReadQueries, toRunningQuery(q))
	}
	for _, q := range d.WriteQueryInfo {
		out.WriteQueries = append(out.WriteQueries, toRunningQuery(q))
	}
	if d.Extended {
		out.Statistics, out.ErrorStats = statisticsText(d.Statistics)
	}
	return out
}

// statisticsText renders a source's numbers as ksqlDB's statistics and
// errorStats strings (MetricCollectors.format): each stat as
// "%16s:%10.0f" (two decimals when fractional) followed by a space, then
// the time of the last event, "%16s: %9s" (ISO-8601 in UTC, "n/a" when
// none). Both are empty when no query writes or reads the source.
func statisticsText(st *engine.SourceStatistics) (stats, errs string) {
	if st == nil {
		return "", ""
	}
	var b strings.Builder
	var last time.Time
	if st.Read {
		formatStat(&b, "consumer-messages-per-sec", st.ConsumerMessagesPerSec)
		formatStat(&b, "consumer-total-messages", float64(st.ConsumerTotalMessages))
		last = st.LastConsumed
	}
	if st.Written {
		formatStat(&b, "messages-per-sec", st.MessagesPerSec)
		formatStat(&b, "total-messages", float64(st.TotalMessages))
		if st.LastMessage.After(last) {
			last = st.LastMessage
		}
	}
	if b.Len() > 0 {
		fmt.Fprintf(&b, "%16s: %9s", "last-message", statTime(last))
	}
	stats = b.String()
	if st.Read {
		var e strings.Builder
		formatStat(&e, "consumer-failed-messages", float64(st.FailedMessages))
		formatStat(&e, "consumer-failed-messages-per-sec", st.FailedMessagesPerSec)
		fmt.Fprintf(&e, "%16s: %9s", "last-failed", statTime(st.LastFailed))
		errs = e.String()
	}
	return stats, errs
}

func formatStat(b *strings.Builder, name string, v float64) {
	if v == math.Round(v) {
		fmt.Fprintf(b, "%16s:%10.0f ", name, v)
	} else {
		fmt.Fprintf(b, "%16s:%10.2f ", name, v)
	}
}

func statTime(t time.Time) string {
	if t.IsZero() {
		return "n/a"
	}
	return t.UTC().Truncate(time.Millisecond).Format(time.RFC3339Nano)
}

func toQueryDescription(q *engine.QueryDescription) queryDescription {
	if q == nil {
		return queryDescription{}
	}
	props := q.Properties
	if props == nil {
		props = map[string]string{}
	}
	out := queryDescription{
		ID: q.ID, StatementText: q.SQL, WindowType: optString(q.WindowType),
		Fields: toFields(q.Fields), Sources: nonNil(q.Sources), Sinks: nonNil(q.Sinks),
		Topology: q.Plan, ExecutionPlan: q.Plan, OverriddenProperties: props,
		KsqlHostQueryStatus: map[string]string{}, QueryType: "PERSISTENT",
		QueryErrors: []any{}, TasksMetadata: []any{}, State: q.State,
		ConsumerGroupID: "_confluent-ksql-default_query_" + q.ID,
	}
	if q.State != "" {
		out.KsqlHostQueryStatus[serverHost] = q.State
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func sourceList(in []engine.SourceInfo) []sourceInfo {
	out := []sourceInfo{}
	for _, s := range in {
		out = append(out, sourceInfo{
			Type: s.Type, Name: s.Name, Topic: s.Topic,
			KeyFormat: s.KeyFormat, ValueFormat: s.ValueFormat, IsWindowed: s.IsWindowed,
		})
	}
	return out
}
