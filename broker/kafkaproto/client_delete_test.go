package kafkaproto_test

import (
	"errors"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/ksqlgo/ksql/broker"
)

// DeleteRecords moves the start offset (kfake: exactly; the project's
// own server: to a segment boundary at or below it) and never past the
// stable offset.
func TestClientDeleteRecords(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		c := b.start(t)
		needAPIs(t, c, kmsg.DeleteRecords)
		l := dial(t, c, "d-")
		ctx := t.Context()
		if err := l.CreateTopic(ctx, "del", broker.TopicConfig{Partitions: 1}); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 10; i++ {
			if _, err := l.Append(ctx, "del", 0, []broker.Record{{Value: []byte("v")}, {Value: []byte("w")}}); err != nil {
				t.Fatal(err)
			}
		}
		start, err := l.DeleteRecords(ctx, "del", 0, 7)
		if err != nil {
			t.Fatal(err)
		}
		if start < 0 || start > 7 {
			t.Fatalf("start %d after deleting below 7", start)
		}
		off, err := l.Offsets(ctx, "del", 0)
		if err != nil || off.Start != start || off.End != 20 {
			t.Fatalf("offsets %+v (%v), want start %d end 20", off, err, start)
		}
		if start > 0 {
			if _, _, err := l.Read(ctx, "del", 0, 0, broker.ReadOptions{}); !errors.Is(err, broker.ErrOffsetOutOfRange) {
				t.Fatalf("read below the start: %v", err)
			}
		}
		// Past the end: capped at the stable offset.
		if start, err := l.DeleteRecords(ctx, "del", 0, 1000); err != nil || start > 20 {
			t.Fatalf("delete past the end: start %d (%v)", start, err)
		}
	})
}
