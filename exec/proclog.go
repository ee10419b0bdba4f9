package exec

import (
	"encoding/base64"
	"encoding/json"
	"strings"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/catalog"
	"github.com/ksqlgo/ksql/sql/types"
)

// The processing log records rows the engine could not process, in the
// shape of ksqlDB's KSQL_PROCESSING_LOG stream: LOGGER, LEVEL, TIME and a
// MESSAGE struct whose TYPE selects the populated member
// (0 DESERIALIZATIONERROR, 1 RECORDPROCESSINGERROR, 3 SERIALIZATIONERROR).

// ProcessingLogSchema is the value schema of the processing log stream.
var ProcessingLogSchema = []catalog.Column{
	{Name: "LOGGER", Type: types.StringType},
	{Name: "LEVEL", Type: types.StringType},
	{Name: "TIME", Type: types.BigintType},
	{Name: "MESSAGE", Type: types.StructOf(
		types.Field{Name: "TYPE", Type: types.IntegerType},
		types.Field{Name: "DESERIALIZATIONERROR", Type: types.StructOf(
			types.Field{Name: "TARGET", Type: types.StringType},
			types.Field{Name: "ERRORMESSAGE", Type: types.StringType},
			types.Field{Name: "RECORDB64", Type: types.StringType},
			types.Field{Name: "CAUSE", Type: types.ArrayOf(types.StringType)},
			types.Field{Name: "topic", Type: types.StringType},
		)},
		types.Field{Name: "RECORDPROCESSINGERROR", Type: types.StructOf(
			types.Field{Name: "ERRORMESSAGE", Type: types.StringType},
			types.Field{Name: "RECORD", Type: types.StringType},
			types.Field{Name: "CAUSE", Type: types.ArrayOf(types.StringType)},
		)},
		types.Field{Name: "SERIALIZATIONERROR", Type: types.StructOf(
			types.Field{Name: "TARGET", Type: types.StringType},
			types.Field{Name: "ERRORMESSAGE", Type: types.StringType},
			types.Field{Name: "RECORD", Type: types.StringType},
			types.Field{Name: "CAUSE", Type: types.ArrayOf(types.StringType)},
			types.Field{Name: "topic", Type: types.StringType},
		)},
	)},
}

type plMessage struct {
	Type                  int           `json:"TYPE"`
	DeserializationError  *plDeser      `json:"DESERIALIZATIONERROR"`
	RecordProcessingError *plProcessing `json:"RECORDPROCESSINGERROR"`
	SerializationError    *plSer        `json:"SERIALIZATIONERROR"`
}

type plDeser struct {
	Target       string   `json:"TARGET"`
	ErrorMessage string   `json:"ERRORMESSAGE"`
	RecordB64    *string  `json:"RECORDB64"`
	Cause        []string `json:"CAUSE"`
	Topic        string   `json:"topic"`
}

type plProcessing struct {
	ErrorMessage string   `json:"ERRORMESSAGE"`
	Record       *string  `json:"RECORD"`
	Cause        []string `json:"CAUSE"`
}

type plSer struct {
	Target       string   `json:"TARGET"`
	ErrorMessage string   `json:"ERRORMESSAGE"`
	Record       *string  `json:"RECORD"`
	Cause        []string `json:"CAUSE"`
	Topic        string   `json:"topic"`
}

type plEntry struct {
	Logger  string    `json:"LOGGER"`
	Level   string    `json:"LEVEL"`
	Time    int64     `json:"TIME"`
	Message plMessage `json:"MESSAGE"`
}

func causes(err error) []string {
	var out []string
	for e := err; e != nil; {
		u, ok := e.(interface{ Unwrap() error })
		if !ok {
			break
		}
		e = u.Unwrap()
		if e != nil {
			out = append(out, e.Error())
		}
	}
	if out == nil {
		out = []string{}
	}
	return out
}

func (t *Task) plRecord(logger string, m plMessage) broker.Record {
	now := t.rt.now().UnixMilli()
	e := plEntry{Logger: t.queryID + "." + logger, Level: "ERROR", Time: now, Message: m}
	b, _ := json.Marshal(e)
	return broker.Record{Value: b, Timestamp: now}
}

func deserializationEntry(t *Task, topic string, rec *broker.Record, de *decodeError) broker.Record {
	data := rec.Value
	if de.target == "key" {
		data = rec.Key
	}
	var b64 *string
	if data != nil {
		s := base64.StdEncoding.EncodeToString(data)
		b64 = &s
	}
	return t.plRecord("KsqlTopic.Source.deserializer", plMessage{
		Type: 0,
		DeserializationError: &plDeser{
			Target:       de.target,
			ErrorMessage: "Failed to deserialize " + de.target + " from topic: " + topic + ". " + de.err.Error(),
			RecordB64:    b64,
			Cause:        causes(de.err),
			Topic:        topic,
		},
	})
}

func rowText(row types.Row) *string {
	if row == nil {
		return nil
	}
	parts := make([]string, len(row))
	for i, v := range row {
		parts[i] = types.String(v)
	}
	s := "[" + strings.Join(parts, ", ") + "]"
	return &s
}

func recordErrorEntry(t *Task, where string, err error, row types.Row) broker.Record {
	return t.plRecord("Project", plMessage{
		Type: 1,
		RecordProcessingError: &plProcessing{
			ErrorMessage: "Error processing " + where + ": " + err.Error(),
			Record:       rowText(row),
			Cause:        causes(err),
		},
	})
}

func serializationEntry(t *Task, target, topic string, err error, row types.Row) broker.Record {
	return t.plRecord("KsqlTopic.Sink.serializer", plMessage{
		Type: 3,
		SerializationError: &plSer{
			Target:       target,
			ErrorMessage: "Error serializing message to topic: " + topic + ". " + err.Error(),
			Record:       rowText(row),
			Cause:        causes(err),
			Topic:        topic,
		},
	})
}
