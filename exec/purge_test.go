package exec

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/broker/embedded"
)

// purgeEveryCommit reopens the harness's log with small segments (so that
// purges delete whole segments) and has repartition topics purged at
// every commit.
func (h *harness) purgeEveryCommit(segmentBytes int64) {
	h.t.Helper()
	h.lg.Close()
	lg, err := embedded.Open(filepath.Join(h.dir, "log"), embedded.Options{SegmentBytes: segmentBytes})
	if err != nil {
		h.t.Fatal(err)
	}
	h.lg = lg
	h.log = &faultyLog{Log: lg}
	h.rt.Log = lg // the faulty wrapper would hide broker.RecordDeleter
	h.rt.RepartitionPurgeInterval = time.Nanosecond
}

// The repartition topic is purged below what the reading stage durably
// committed, and nothing it had not processed goes.
func TestRepartitionTopicIsPurgedBehindTheReader(t *testing.T) {
	h := newHarness(t)
	h.purgeEveryCommit(1024)
	q := h.query()
	repart := h.plan.Stages[0].Repartition.Topic.Name
	want := map[string]int{}
	for round := 0; round < 10; round++ {
		var pages []string
		for i := 0; i < 30; i++ {
			p := fmt.Sprintf("p%d", (round*30+i)%7)
			pages = append(pages, p)
			want[p]++
		}
		h.produce(pages...)
		if err := h.drain(q); err != nil {
			t.Fatal(err)
		}
	}
	off, err := h.lg.Offsets(context.Background(), repart, 0)
	if err != nil {
		t.Fatal(err)
	}
	if off.Start == 0 {
		t.Fatalf("repartition topic %s not purged: %+v", repart, off)
	}
	// The last count of each page is its number of clicks.
	out, err := broker.ReadAll(context.Background(), h.lg, "COUNTS", 0, 0, broker.ReadCommitted, 0)
	if err != nil {
		t.Fatal(err)
	}
	last := map[string]string{}
	for _, r := range out {
		last[string(r.Key)] = strings.TrimSuffix(strings.TrimPrefix(string(r.Value), `{"N":`), "}")
	}
	for p, n := range want {
		if last[p] != fmt.Sprint(n) {
			t.Fatalf("count of %s = %s, want %d (purged %+v)", p, last[p], n, off)
		}
	}
}
