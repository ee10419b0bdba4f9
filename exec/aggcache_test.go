package exec

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/ksqlgo/ksql/broker"
)

// Past the cache limit an aggregation evicts entries (CLOCK) instead of
// dropping its whole cache; evicted groups come back from the store with
// their counts intact.
func TestAggregateCacheEvictsAndReloads(t *testing.T) {
	old := aggCacheLimit
	aggCacheLimit = 20
	defer func() { aggCacheLimit = old }()
	h := newHarness(t)
	q := h.query()
	want := map[string]int{}
	for round := 0; round < 8; round++ {
		var pages []string
		for i := 0; i < 40; i++ {
			// a few hot pages in every round, and many cold ones
			p := fmt.Sprintf("hot%d", i%3)
			if i%2 == 1 {
				p = fmt.Sprintf("cold%d", round*40+i)
			}
			pages = append(pages, p)
			want[p]++
		}
		h.produce(pages...)
		if err := h.drain(q); err != nil {
			t.Fatal(err)
		}
		for _, tk := range q.tasks {
			for _, f := range tk.flushers {
				if a, ok := f.(*aggregateOp); ok {
					if len(a.cache) > aggCacheLimit {
						t.Fatalf("round %d: %d cached groups, limit %d", round, len(a.cache), aggCacheLimit)
					}
					if len(a.ring) > 2*aggCacheLimit+1024 {
						t.Fatalf("round %d: ring of %d slots", round, len(a.ring))
					}
				}
			}
		}
	}
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
			t.Fatalf("count of %s = %s, want %d", p, last[p], n)
		}
	}
}

func TestEvictSparesRecentlyUsed(t *testing.T) {
	a := &aggregateOp{cache: map[string]*aggEntry{}}
	add := func(k string) *aggEntry {
		e := &aggEntry{}
		a.cache[k] = e
		a.ring = append(a.ring, ringSlot{ck: k, e: e})
		return e
	}
	for i := 0; i < 10; i++ {
		add(fmt.Sprint(i))
	}
	a.cache["3"].ref = true // used since the last pass
	a.evict(5)
	if len(a.cache) != 5 {
		t.Fatalf("%d entries after evict(5)", len(a.cache))
	}
	if _, ok := a.cache["3"]; !ok {
		t.Fatal("a recently used entry was evicted before older unused ones")
	}
	if _, ok := a.cache["0"]; ok {
		t.Fatal("the oldest unused entry was kept")
	}
	// A stale slot (the key loaded again since) is dropped, not counted.
	e := add("9")
	_ = e
	a.evict(len(a.cache))
	seen := map[string]int{}
	for _, s := range a.ring {
		seen[s.ck]++
	}
	if seen["9"] != 1 || len(a.ring) != len(a.cache) {
		t.Fatalf("ring %v after compaction, cache %d", seen, len(a.cache))
	}
}
