package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/catalog"
	"github.com/ksqlgo/ksql/exec"
	"github.com/ksqlgo/ksql/exec/serde"
	"github.com/ksqlgo/ksql/sql/types"
)

// TestScenarios runs the operator scenarios in testdata/scenarios: whole
// queries on a synchronous engine, inputs written with INSERT ... VALUES
// (or raw records), outputs read back from topics and printed.
//
//	exec              statements; prints each result's message, or the error
//	raw topic=T [partition=P] [ts=N]
//	                  appends the input lines as raw record values ("null" = tombstone)
//	output topic=T    prints the records of T written since the last "output" of T
//	                  (key, window, timestamp, value)
//	proclog           prints new processing-log messages
//	restart           closes and reopens the engine on the same data directory
//
// Regenerate with: go test ./engine -run TestScenarios -rewrite
//
// Every scenario runs over each log of logKinds, with the same expected
// output: the same SQL gives the same results on the embedded log and over
// Kafka.
func TestScenarios(t *testing.T) {
	for _, lk := range logKinds {
		t.Run(lk.name, func(t *testing.T) {
			if lk.cluster != nil && testing.Short() {
				t.Skip("over an external cluster: not in -short")
			}
			runScenarios(t, lk)
		})
	}
}

func runScenarios(t *testing.T, lk logKind) {
	datadriven.Walk(t, "testdata/scenarios", func(t *testing.T, path string) {
		ctx := context.Background()
		dir := t.TempDir()
		// Scenarios print every update: no record cache.
		props := map[string]string{"ksql.streams.auto.offset.reset": "earliest", PropCacheMaxBytes: "0"}
		var dial func(t *testing.T) broker.Log
		if lk.cluster != nil {
			dial = lk.cluster(t)
		}
		open := func() *Engine {
			var lg broker.Log
			if dial != nil {
				lg = dial(t)
			}
			e, err := Open(ctx, Config{DataDir: dir, Log: lg, Synchronous: true, NoSync: true, Properties: props,
				Now: func() time.Time { return time.UnixMilli(1_700_000_000_000) }})
			if err != nil {
				t.Fatal(err)
			}
			return e
		}
		eng := open()
		defer func() { eng.Close() }()
		seen := map[string]int64{} // records printed so far, per topic-partition
		sess := NewSession()
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			switch d.Cmd {
			case "exec":
				results, err := eng.Execute(ctx, d.Input, sess)
				var b strings.Builder
				for _, r := range results {
					b.WriteString(resultLine(r) + "\n")
				}
				if err != nil {
					b.WriteString("error: " + err.Error() + "\n")
				}
				if err := eng.Drain(ctx); err != nil {
					b.WriteString("drain error: " + err.Error() + "\n")
				}
				return b.String()
			case "raw":
				var topic string
				var part int
				var ts int64
				d.ScanArgs(t, "topic", &topic)
				if d.HasArg("partition") {
					d.ScanArgs(t, "partition", &part)
				}
				if d.HasArg("ts") {
					d.ScanArgs(t, "ts", &ts)
				}
				var recs []broker.Record
				for _, line := range strings.Split(d.Input, "\n") {
					rec := broker.Record{Timestamp: ts}
					if line != "null" {
						rec.Value = []byte(line)
					}
					recs = append(recs, rec)
				}
				if _, err := eng.Log().Append(ctx, topic, int32(part), recs); err != nil {
					return "error: " + err.Error() + "\n"
				}
				if err := eng.Drain(ctx); err != nil {
					return "drain error: " + err.Error() + "\n"
				}
				return ""
			case "output":
				var topic string
				d.ScanArgs(t, "topic", &topic)
				return readOutputs(t, eng, topic, seen)
			case "proclog":
				out := readOutputs(t, eng, eng.processingLogTopic(), seen)
				return out
			case "restart":
				if err := eng.Close(); err != nil {
					t.Fatal(err)
				}
				eng = open()
				return ""
			}
			t.Fatalf("unknown directive %s", d.Cmd)
			return ""
		})
	})
}

func resultLine(r *Result) string {
	switch r.Type {
	case NoEntity:
		return "ok (no entity)" // INSERT VALUES
	case "currentStatus":
		return r.Message
	case "streams", "tables":
		var names []string
		for _, s := range append(r.Streams, r.Tables...) {
			names = append(names, s.Name)
		}
		return r.Type + ": " + strings.Join(names, ", ")
	case "queries":
		var ids []string
		for _, q := range r.Queries {
			ids = append(ids, q.ID+" "+q.State)
		}
		return "queries: " + strings.Join(ids, ", ")
	case "sourceDescription":
		var cols []string
		for _, f := range r.Source.Fields {
			c := f.Name + " " + f.Type
			if f.Key != "" {
				c += " (" + f.Key + ")"
			}
			cols = append(cols, c)
		}
		return fmt.Sprintf("%s %s topic=%s key=%s value=%s: %s", r.Source.Type, r.Source.Name, r.Source.Topic,
			r.Source.KeyFormat, r.Source.ValueFormat, strings.Join(cols, ", "))
	case "queryDescription":
		return r.Query.Plan
	}
	return r.Type
}

// readOutputs prints the records of a topic not printed before.
func readOutputs(t *testing.T, eng *Engine, topic string, seen map[string]int64) string {
	t.Helper()
	ctx := context.Background()
	info, err := eng.Log().Topic(ctx, topic)
	if err != nil {
		return "error: " + err.Error() + "\n"
	}
	var src *catalog.Source
	for _, s := range append(eng.Catalog().Sources(0), eng.Catalog().Sources(1)...) {
		if s.Topic == topic {
			src = s
		}
	}
	var b strings.Builder
	for p := int32(0); p < info.Config.Partitions; p++ {
		key := fmt.Sprintf("%s/%d", topic, p)
		off := seen[key]
		recs, err := broker.ReadAll(ctx, eng.Log(), topic, p, off, broker.ReadCommitted, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			if info.Config.Partitions > 1 {
				fmt.Fprintf(&b, "p%d ", p)
			}
			b.WriteString(describeRecord(src, r) + "\n")
			off = r.Offset + 1
		}
		seen[key] = off
	}
	return b.String()
}

func describeRecord(src *catalog.Source, r broker.Record) string {
	if src == nil || src.Name == ProcessingLogStream {
		var m struct {
			Message map[string]any `json:"MESSAGE"`
		}
		if json.Unmarshal(r.Value, &m) == nil && m.Message != nil {
			for k, v := range m.Message {
				if k != "TYPE" && v != nil {
					if mm, ok := v.(map[string]any); ok {
						return fmt.Sprintf("%s: %v", k, mm["ERRORMESSAGE"])
					}
				}
			}
		}
		return fmt.Sprintf("key=%q value=%q ts=%d", r.Key, r.Value, r.Timestamp)
	}
	var parts []string
	key := r.Key
	if src.IsWindowed() && key != nil {
		k, s, e, err := exec.SplitWindow(key, src.Window)
		if err == nil {
			key = k
			if src.Window.Type == catalog.SessionWindow {
				parts = append(parts, fmt.Sprintf("session=[%d,%d]", s, e))
			} else {
				parts = append(parts, fmt.Sprintf("window=[%d,%d)", s, e))
			}
		}
	}
	if kc := src.Schema.Key(); len(kc) > 0 {
		parts = append([]string{"key=" + renderRow(src.KeyFormat, kc, key, true)}, parts...)
	}
	parts = append(parts, fmt.Sprintf("ts=%d", r.Timestamp))
	var vcols []catalog.Column
	for _, c := range src.Schema.Value() {
		if c.Kind == catalog.ValueColumn {
			vcols = append(vcols, c)
		}
	}
	parts = append(parts, "value="+renderRow(src.ValueFormat, vcols, r.Value, false))
	return strings.Join(parts, " ")
}

func renderRow(f catalog.Format, cols []catalog.Column, data []byte, isKey bool) string {
	if data == nil {
		return "null"
	}
	codec, err := exec.NewCodec(f, cols, isKey)
	if err != nil {
		return "codec error: " + err.Error()
	}
	vals := make([]types.Value, len(cols))
	if err := codec.Decode(data, vals); err != nil {
		return fmt.Sprintf("undecodable %q: %v", data, err)
	}
	parts := make([]string, len(cols))
	for i, c := range cols {
		b, _ := json.Marshal(serde.ValueToJSON(vals[i], c.Type))
		parts[i] = c.Name + ":" + string(b)
	}
	return "{" + strings.Join(parts, ", ") + "}"
}
