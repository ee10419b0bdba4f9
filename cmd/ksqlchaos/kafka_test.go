package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ksqlgo/ksql/broker"
)

// TestKafkaDeploymentChecks drives the Kafka side of the harness against
// the kfake helper process, without a server: the helper starts and
// stops; a transaction left open holds back a partition and the final
// check reports it (and stops reporting it once the transaction ends);
// reads return committed records only; direct appends land on the
// partition of their key.
func TestKafkaDeploymentChecks(t *testing.T) {
	k, err := startKfake()
	if err != nil {
		t.Fatal(err)
	}
	dep := kafkaDeployment{kfake: k}
	defer func() {
		dep.close()
		if k.Alive() {
			t.Error("the kfake helper still runs after close")
		}
	}()
	var notices logLines
	lg, err := dep.open(notices.logf)
	if err != nil {
		t.Fatal(err)
	}
	defer lg.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, name := range []string{inputTopic, "OUT"} {
		if err := lg.CreateTopic(ctx, name, broker.TopicConfig{Partitions: partitions}); err != nil {
			t.Fatal(err)
		}
	}

	// Direct appends: each row on its key's partition, all acknowledged.
	gen := newGenerator(1, time.UnixMilli(1_800_000_000_000))
	rows := []row{gen.row(1), gen.row(2), gen.row(3)}
	acked, ok, err := appendRows(lg, rows)
	if err != nil || !ok || acked != len(rows) {
		t.Fatalf("appendRows: %d acknowledged, ok %v, err %v", acked, ok, err)
	}
	in, err := (&logOutputs{log: lg}).Read(inputTopic)
	if err != nil {
		t.Fatal(err)
	}
	if len(in) != len(rows) {
		t.Fatalf("read %d input records, want %d", len(in), len(rows))
	}
	for _, r := range in {
		if want := broker.PartitionForKey(r.Key, partitions); r.Partition != want {
			t.Errorf("key %s on partition %d, want %d", r.Key, r.Partition, want)
		}
	}

	// A committed transaction, then one left open on partition 2.
	committed := broker.Txn{Producer: "committed", Seq: 1}
	if _, err := lg.AppendTxn(ctx, committed, "OUT", 1, []broker.Record{{Key: []byte("a"), Value: []byte("1")}}); err != nil {
		t.Fatal(err)
	}
	if err := lg.EndTxn(ctx, committed, true); err != nil {
		t.Fatal(err)
	}
	open := broker.Txn{Producer: "open", Seq: 1}
	if _, err := lg.AppendTxn(ctx, open, "OUT", 2, []broker.Record{{Key: []byte("b"), Value: []byte("2")}}); err != nil {
		t.Fatal(err)
	}
	if err := lg.PrepareTxn(ctx, open); err != nil {
		t.Fatal(err)
	}
	topics := []string{inputTopic, "OUT", "MISSING"}
	got, err := dep.unsettled(lg, topics)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !strings.HasPrefix(got[0], "OUT-2:") {
		t.Errorf("unsettled with a transaction open on OUT-2: %q", got)
	}
	out, err := (&logOutputs{log: lg}).Read("OUT")
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 1 || out[0].Partition != 1 || string(out[0].Value) != "1" {
		t.Errorf("read %+v, want only the committed record on partition 1", out)
	}

	// Aborted, it no longer holds anything back and stays invisible.
	if err := lg.EndTxn(ctx, open, false); err != nil {
		t.Fatal(err)
	}
	if got, err := dep.unsettled(lg, topics); err != nil || len(got) != 0 {
		t.Errorf("unsettled after the abort: %q, %v", got, err)
	}
	if out, err := (&logOutputs{log: lg}).Read("OUT"); err != nil || len(out) != 1 {
		t.Errorf("read after the abort: %+v, %v", out, err)
	}
	if _, err := (&logOutputs{log: lg}).Read("MISSING"); err == nil {
		t.Error("reading a missing topic: no error")
	}
}
