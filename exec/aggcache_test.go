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
	old := cacheLimit
	cacheLimit = 20
	defer func() { cacheLimit = old }()
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
					if a.cache.len() > cacheLimit {
						t.Fatalf("round %d: %d cached groups, limit %d", round, a.cache.len(), cacheLimit)
					}
					if len(a.cache.ring) > 2*cacheLimit+1024 {
						t.Fatalf("round %d: ring of %d slots", round, len(a.cache.ring))
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

func TestClockCacheEvictsOldestUnused(t *testing.T) {
	c := newClockCache[int]()
	for i := 0; i < 10; i++ {
		c.put(fmt.Sprint(i), i)
	}
	c.get("3") // used since the last pass
	pinned := func(k string, _ int) bool { return k == "1" }
	c.evict(5, cacheLimitBytes, pinned)
	if c.len() != 5 {
		t.Fatalf("%d entries after evict(5)", c.len())
	}
	for _, k := range []string{"1", "3"} {
		if _, ok := c.m[k]; !ok {
			t.Fatalf("entry %s (pinned or recently used) was evicted before older unused ones", k)
		}
	}
	if _, ok := c.m["0"]; ok {
		t.Fatal("the oldest unused entry was kept")
	}
	// A key deleted and put again has one live slot, in an empty one;
	// empty slots go once they outnumber the entries.
	ring := len(c.ring)
	c.del("9")
	c.put("9", 9)
	c.each(func(k string, _ int) bool { return k != "8" })
	seen := map[string]int{}
	for _, s := range c.ring {
		if s.live {
			seen[s.key]++
		}
	}
	if seen["9"] != 1 || seen["8"] != 0 || len(seen) != c.len() || len(c.ring) != ring {
		t.Fatalf("ring %v (%d slots, %d before), %d entries", seen, len(c.ring), ring, c.len())
	}
	for i := 0; i < 2000; i++ {
		c.put(fmt.Sprint("x", i), i)
	}
	c.each(func(k string, _ int) bool { return !strings.HasPrefix(k, "x") })
	c.trim(nil)
	if len(c.ring) != c.len() {
		t.Fatalf("%d slots for %d entries after trim", len(c.ring), c.len())
	}
	for _, k := range []string{"1", "3", "9"} {
		if v, ok := c.get(k); !ok || fmt.Sprint(v) != k {
			t.Fatalf("entry %s = %v, %v after compaction", k, v, ok)
		}
	}
	// Nothing is evicted when everything is pinned.
	c.evict(0, 0, func(string, int) bool { return true })
	if c.len() == 0 {
		t.Fatal("pinned entries were evicted")
	}
}

// A cache hit allocates nothing.
func TestClockCacheHitDoesNotAllocate(t *testing.T) {
	if raceEnabled || testing.CoverMode() != "" {
		t.Skip("allocation counts are not meaningful under the race detector or coverage")
	}
	c := newClockCache[*aggEntry]()
	c.put("k", &aggEntry{})
	allocs := testing.AllocsPerRun(1000, func() {
		if _, ok := c.get("k"); !ok {
			t.Fatal("miss")
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per cache hit, want 0", allocs)
	}
}
