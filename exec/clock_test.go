package exec

import (
	"bytes"
	"fmt"
	"hash/maphash"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ksqlgo/ksql/planner"
	"github.com/ksqlgo/ksql/sql/types"
	"github.com/ksqlgo/ksql/state"
)

// Every key added to a keyFilter is reported, across its generations; few
// others are; past its capacity it reports everything.
func TestKeyFilter(t *testing.T) {
	f := &keyFilter{seed: maphash.MakeSeed()}
	const n = 3 * firstFilterKeys // three generations
	for i := 0; i < n; i++ {
		f.add(fmt.Sprint("in-", i))
	}
	if len(f.gens) < 2 {
		t.Fatalf("%d generations for %d keys", len(f.gens), n)
	}
	for i := 0; i < n; i++ {
		if !f.mayContain(fmt.Sprint("in-", i)) {
			t.Fatalf("added key in-%d not reported", i)
		}
	}
	fp := 0
	const probes = 100_000
	for i := 0; i < probes; i++ {
		if f.mayContain(fmt.Sprint("out-", i)) {
			fp++
		}
	}
	// About 1.5% per generation at capacity; fewer here.
	if rate := float64(fp) / probes; rate > 0.04 {
		t.Fatalf("false positive rate %.3f", rate)
	}
	f.reset()
	if f.mayContain("in-1") || f.full {
		t.Fatal("a reset filter reports a key")
	}
	for i := 0; i < 10 && !f.full; i++ {
		f.add(fmt.Sprint("k", i))
		if !f.full {
			f.gens[len(f.gens)-1].n = f.gens[len(f.gens)-1].cap // as if filled
		}
	}
	if !f.full || !f.mayContain("anything") || f.gens != nil {
		t.Fatalf("past capacity: full %v, generations %d", f.full, len(f.gens))
	}
}

// The cache remembers what it evicted or deleted, not what it holds or
// never saw; a reset forgets.
func TestClockCacheRemembersEvictions(t *testing.T) {
	c := newClockCache[int]()
	c.rememberEvicted()
	for i := 0; i < 10; i++ {
		c.put(fmt.Sprint(i), i)
	}
	c.evict(5, cacheLimitBytes, nil)
	c.del("9")
	for i := 0; i < 10; i++ {
		_, cached := c.get(fmt.Sprint(i))
		if !cached && !c.maybeEvicted(fmt.Sprint(i)) {
			t.Fatalf("key %d was dropped and is not remembered", i)
		}
	}
	if c.maybeEvicted("never") {
		t.Fatal("a key never cached is reported evicted")
	}
	c.reset()
	if c.maybeEvicted("0") {
		t.Fatal("evictions remembered across a reset")
	}
	plain := newClockCache[int]()
	if !plain.maybeEvicted("x") {
		t.Fatal("a cache that does not remember must report every key")
	}
}

// countingStore counts Gets of operator state.
type countingStore struct {
	state.Store
	gets atomic.Int64
}

func (s *countingStore) Get(key []byte) ([]byte, bool, error) {
	if bytes.HasPrefix(key, []byte("s/")) { // operator state, not the task's records
		s.gets.Add(1)
	}
	return s.Store.Get(key)
}

// An aggregation reads the store for a group only if it may be there:
// never for new groups over a store it found empty, for groups it evicted,
// and for every group over a store that held state when it started. The
// counts stay right throughout.
func TestAggregateReadsStoreOnlyForGroupsItMayHaveStored(t *testing.T) {
	old := cacheLimit
	cacheLimit = 20
	defer func() { cacheLimit = old }()
	h := newHarness(t)
	pages := func(from, to int) []string {
		var ps []string
		for i := from; i < to; i++ {
			ps = append(ps, fmt.Sprint("p", i))
		}
		return ps
	}
	run := func(ps []string) int64 {
		t.Helper()
		cs := &countingStore{Store: h.rt.State}
		h.rt.State = cs
		defer func() { h.rt.State = cs.Store }()
		q := h.query()
		h.produce(ps...)
		if err := h.drain(q); err != nil {
			t.Fatal(err)
		}
		q.Stop()
		return cs.gets.Load()
	}
	if gets := run(pages(0, 60)); gets != 0 {
		t.Fatalf("60 new groups over an empty store: %d store reads, want 0", gets)
	}
	h.crash() // restart over a store that now holds all 60 groups
	if gets := run(pages(30, 90)); gets < 60 {
		t.Fatalf("after a restart: %d store reads for 60 groups, want one each", gets)
	}
	last := map[string]string{}
	for _, kv := range strings.Fields(h.output()) {
		k, v, _ := strings.Cut(kv, "=")
		last[k] = v
	}
	for i := 0; i < 90; i++ {
		want := "1"
		if i >= 30 && i < 60 {
			want = "2"
		}
		if p := fmt.Sprint("p", i); last[p] != want {
			t.Fatalf("count of %s = %q, want %s", p, last[p], want)
		}
	}
}

// Within one run, groups the cache evicted are read back, with their
// counts; new ones are not read.
func TestAggregateReadsBackEvictedGroups(t *testing.T) {
	old := cacheLimit
	cacheLimit = 20
	defer func() { cacheLimit = old }()
	h := newHarness(t)
	cs := &countingStore{Store: h.rt.State}
	h.rt.State = cs
	q := h.query()
	var ps []string
	for i := 0; i < 60; i++ {
		ps = append(ps, fmt.Sprint("p", i))
	}
	h.produce(ps...)
	if err := h.drain(q); err != nil {
		t.Fatal(err)
	}
	if n := cs.gets.Load(); n != 0 {
		t.Fatalf("%d store reads for new groups", n)
	}
	h.produce(ps...) // again: at most cacheLimit are cached, the rest were evicted
	if err := h.drain(q); err != nil {
		t.Fatal(err)
	}
	if n := cs.gets.Load(); n < 60-int64(cacheLimit) {
		t.Fatalf("%d store reads for 60 groups of which at most %d were cached", n, cacheLimit)
	}
	last := map[string]string{}
	for _, kv := range strings.Fields(h.output()) {
		k, v, _ := strings.Cut(kv, "=")
		last[k] = v
	}
	for _, p := range ps {
		if last[p] != "2" {
			t.Fatalf("count of %s = %q, want 2", p, last[p])
		}
	}
}

// Caching a new entry in a warm cache (an empty slot to fill, a map grown
// before) allocates nothing: the slot lives in the ring, not on its own.
func TestClockCachePutDoesNotAllocate(t *testing.T) {
	if raceEnabled || testing.CoverMode() != "" {
		t.Skip("allocation counts are not meaningful under the race detector or coverage")
	}
	c := newClockCache[*aggEntry]()
	keys := make([]string, 100)
	for i := range keys {
		keys[i] = fmt.Sprint("k", i)
		c.put(keys[i], nil)
	}
	e := &aggEntry{}
	allocs := testing.AllocsPerRun(100, func() {
		for _, k := range keys {
			c.del(k)
		}
		for _, k := range keys {
			c.put(k, e)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per 100 puts into emptied slots, want 0", allocs)
	}
}

// Loading a cached group allocates nothing: its key is built in scratch
// space and looked up without a string conversion.
func TestAggregateLoadHitDoesNotAllocate(t *testing.T) {
	if raceEnabled || testing.CoverMode() != "" {
		t.Skip("allocation counts are not meaningful under the race detector or coverage")
	}
	for _, win := range []*planner.WindowSpec{nil, {SizeMs: 1000, AdvanceMs: 1000}} {
		a := &aggregateOp{win: win, cache: newClockCache[*aggEntry](), byWindow: map[int64][]string{}}
		key := types.Row{"page-1", int64(42)}
		want := &aggEntry{}
		a.cache.put(string(a.appendStateKey(nil, key, 5000)), want)
		allocs := testing.AllocsPerRun(1000, func() {
			e, _, err := a.load(nil, key, 5000, 6000)
			if err != nil || e != want {
				t.Fatalf("load = %v, %v", e, err)
			}
		})
		if allocs != 0 {
			t.Fatalf("window %v: %v allocations per cached load, want 0", win, allocs)
		}
	}
}

// The cache is bounded by approximate bytes too: large entries are
// evicted past cacheLimitBytes however few they are, and the count of
// bytes follows puts, replacements and drops.
func TestClockCacheBoundedByBytes(t *testing.T) {
	old := cacheLimitBytes
	cacheLimitBytes = 100_000
	defer func() { cacheLimitBytes = old }()
	c := newClockCache[[]byte]()
	c.size = func(v []byte) int { return len(v) }
	for i := 0; i < 100; i++ {
		c.put(fmt.Sprint("k", i), make([]byte, 10_000))
	}
	c.put("k0", make([]byte, 20_000)) // replaced: 10,000 bytes more
	want := 10_000                    // k0's second 10,000
	for i := 0; i < 100; i++ {
		want += slotBytes + len(fmt.Sprint("k", i)) + 10_000
	}
	if c.bytes != want {
		t.Fatalf("bytes %d, want %d", c.bytes, want)
	}
	c.trim(nil)
	if c.bytes > cacheLimitBytes || c.len() == 0 || c.len() > 10 {
		t.Fatalf("after trim: %d entries, %d bytes (limit %d)", c.len(), c.bytes, cacheLimitBytes)
	}
	c.reset()
	if c.bytes != 0 {
		t.Fatalf("%d bytes after reset", c.bytes)
	}
}
