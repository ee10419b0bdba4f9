package exec

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/broker/brokertest"
)

// TestResolveInDoubtLeavesClientTransactions: a Kafka client's
// transaction (broker.ClientTxnPrefix) in doubt beside a task's:
// ResolveInDoubt settles the task's and leaves the client's to the Kafka
// listener's coordinator, which alone knows its decision.
func TestResolveInDoubtLeavesClientTransactions(t *testing.T) {
	h := newHarness(t)
	h.produce("a", "b")
	q := h.query()
	if err := h.drain(q); err != nil {
		t.Fatal(err)
	}
	h.produce("a")
	h.store.failCommit, h.log.failEnd = true, true
	if err := h.drain(q); !errors.Is(err, errInjected) {
		t.Fatalf("drain: %v", err)
	}
	ctx := context.Background()
	client := broker.Txn{Producer: broker.ClientTxnPrefix + "app", Seq: 1}
	if _, err := h.lg.AppendTxn(ctx, client, "clicks", 0, []broker.Record{{Value: []byte(`{"PAGE":"x"}`)}}); err != nil {
		t.Fatal(err)
	}
	if err := h.lg.PrepareTxn(ctx, client); err != nil {
		t.Fatal(err)
	}
	h.reopen()
	before := brokertest.InDoubt(t, h.rt.Log)
	if len(before) != 2 || !slices.Contains(before, client) {
		t.Fatalf("in doubt before resolution: %v, want the task's and %v", before, client)
	}
	if err := ResolveInDoubt(ctx, h.rt); err != nil {
		t.Fatal(err)
	}
	if got := brokertest.InDoubt(t, h.rt.Log); !slices.Equal(got, []broker.Txn{client}) {
		t.Fatalf("in doubt after resolution: %v, want only the client's %v", got, client)
	}
	if got, want := h.output(), "a=1 b=1"; got != want {
		t.Fatalf("the task's prepared output must be aborted: %q, want %q", got, want)
	}
}

// A task's producer never has the client prefix: query ids are upper case
// or start "transient_".
func TestTaskProducersAreNotClientTxns(t *testing.T) {
	for _, id := range []string{"CTAS_COUNTS_0", "KAFKA-TXN:X", "transient_S_1"} {
		if p := producerID(id, 0, 0); broker.IsClientTxn(broker.Txn{Producer: p}) {
			t.Errorf("task producer %q is taken for a client transaction", p)
		}
	}
}
