package exec

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ksqlgo/ksql/broker"
)

// grownLog reports more partitions for one topic than it has, as a topic
// grown by a client (CreatePartitions) looks to a running query.
type grownLog struct {
	broker.Log
	topic      string
	partitions int32
}

func (g *grownLog) Topic(ctx context.Context, name string) (broker.TopicInfo, error) {
	info, err := g.Log.Topic(ctx, name)
	if err == nil && name == g.topic {
		info.Config.Partitions = g.partitions
	}
	return info, err
}

func TestCheckInputsReportsGrownAndDeletedTopics(t *testing.T) {
	h := newHarness(t)
	q := h.query()
	ctx := context.Background()
	if err := q.checkInputs(ctx); err != nil {
		t.Fatalf("unchanged inputs: %v", err)
	}
	h.rt.Log = &grownLog{Log: h.rt.Log, topic: "clicks", partitions: 3}
	err := q.checkInputs(ctx)
	if err == nil || !strings.Contains(err.Error(), "input topic clicks now has 3 partitions; the query reads the 1 it had when it started") {
		t.Fatalf("grown input: %v", err)
	}
	h.rt.Log = h.rt.Log.(*grownLog).Log
	if err := h.rt.Log.DeleteTopic(ctx, "clicks"); err != nil {
		t.Fatal(err)
	}
	err = q.checkInputs(ctx)
	if !errors.Is(err, broker.ErrUnknownTopic) || !strings.Contains(err.Error(), "input topic clicks was deleted while the query was running") {
		t.Fatalf("deleted input: %v", err)
	}
}
