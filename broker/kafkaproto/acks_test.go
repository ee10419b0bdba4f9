package kafkaproto_test

import (
	"context"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/ksqlgo/ksql/broker"
)

// acks=0: the broker answers nothing and appends everything; acks=1 and
// acks=all are answered once appended (durable under the sync policy).
func TestProduceEachAcks(t *testing.T) {
	b := startBroker(t)
	for _, tc := range []struct {
		name string
		acks kgo.Acks
	}{{"0", kgo.NoAck()}, {"1", kgo.LeaderAck()}, {"all", kgo.AllISRAcks()}} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testCtx(t)
			topic := "acks-" + tc.name
			if err := b.log.CreateTopic(ctx, topic, broker.TopicConfig{Partitions: 3}); err != nil {
				t.Fatal(err)
			}
			opts := []kgo.Opt{kgo.RequiredAcks(tc.acks)}
			if tc.name != "all" {
				opts = append(opts, kgo.DisableIdempotentWrite())
			}
			pr := b.client(t, opts...)
			recs := testRecords(topic, 300)
			if err := pr.ProduceSync(ctx, recs...).FirstErr(); err != nil {
				t.Fatal(err)
			}
			cons := b.client(t, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
			got := consume(t, ctx, cons, len(recs))
			checkRecords(t, got, recs)
			// Nothing more than was produced.
			total := int64(0)
			for p := int32(0); p < 3; p++ {
				off, err := b.log.Offsets(context.Background(), topic, p)
				if err != nil {
					t.Fatal(err)
				}
				total += off.End - off.Start
			}
			if total != int64(len(recs)) {
				t.Fatalf("the log holds %d records, want %d", total, len(recs))
			}
		})
	}
}
