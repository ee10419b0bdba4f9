package rqtt

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/catalog"
	"github.com/ksqlgo/ksql/engine/qtt"
	"github.com/ksqlgo/ksql/exec"
)

// Records in and out of topics are serialized with the formats of the
// source that reads or writes the topic (ksqlDB's TopicInfoCache) by
// engine/qtt's shared helpers (qtt.Produce, qtt.CompareKeyValue, ...).

// compareRecord is compareKeyValueTimestamp: the key, the value (both
// read with the source's schema and compared as typed values) and the
// timestamp when the expected record gives one.
//
// It is not qtt's compareRecord on purpose: RQTT checks the timestamp
// last and without describing the actual record, does not check window
// bounds, and compares a topic with no source by exact JSON (jsonEqual
// below). Only the key and value comparison is shared.
func compareRecord(src *catalog.Source, exp qtt.RecordNode, act broker.Record) error {
	if src == nil {
		if !jsonEqual(exp.Value, act.Value) {
			return fmt.Errorf("value: expected %s, got %s", exp.Value, act.Value)
		}
	} else {
		key := act.Key
		if src.IsWindowed() && key != nil {
			k, _, _, err := exec.SplitWindow(key, src.Window)
			if err != nil {
				return err
			}
			key = k
		}
		if err := qtt.CompareKeyValue(src, exp, key, act.Value); err != nil {
			return err
		}
	}
	if exp.Timestamp != nil && *exp.Timestamp != act.Timestamp {
		return fmt.Errorf("timestamp: expected %d, got %d", *exp.Timestamp, act.Timestamp)
	}
	return nil
}

// jsonEqual compares JSON with this package's exact numbers (parseJSON,
// equal: 1 and 1.0 differ, no float64 rounding), where qtt's jsonEqual
// round-trips through float64; the two rules differ, so each runner keeps
// its own.
func jsonEqual(a json.RawMessage, b []byte) bool {
	if qtt.IsNull(a) {
		return b == nil
	}
	x, err1 := parseJSON(a)
	y, err2 := parseJSON(b)
	if err1 != nil || err2 != nil {
		return bytes.Equal(a, b)
	}
	return equal(x, y)
}
