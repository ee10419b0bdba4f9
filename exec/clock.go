package exec

import (
	"hash/maphash"
	"math/bits"
)

// clockCache is an operator's in-memory copy of recently used state,
// bounded by CLOCK eviction: past a limit (checked after each flush, when
// every entry is also in the store) the oldest entries go, except pinned
// ones and, once, those used since the last pass. Evicted entries are read
// from the store again when next needed.
//
// With rememberEvicted, the cache also keeps a Bloom filter of the keys
// it dropped (evicted or deleted) since the last reset or forgetEvicted.
// An owner that writes its store only through the cache then knows that
// a key that is neither cached nor maybeEvicted is in the store only if
// it was there at the reset: most lookups of a new group need no read.
type clockCache[V any] struct {
	m map[string]*clockSlot[V]
	// ring lists the slots in load order; a slot deleted from m stays
	// until the next pass drops it.
	ring []*clockSlot[V]
	// evicted, when not nil, remembers the keys dropped from m.
	evicted *keyFilter
}

type clockSlot[V any] struct {
	key  string
	val  V
	ref  bool // used since the last eviction pass
	gone bool // deleted from m
}

// cacheLimit bounds the entries an operator keeps in memory after a
// commit (a var so that tests can make it small).
var cacheLimit = 200_000

func newClockCache[V any]() *clockCache[V] {
	return &clockCache[V]{m: map[string]*clockSlot[V]{}}
}

// rememberEvicted makes the cache remember the keys it drops (see
// maybeEvicted).
func (c *clockCache[V]) rememberEvicted() {
	if c.evicted == nil {
		c.evicted = &keyFilter{seed: maphash.MakeSeed()}
	}
}

// maybeEvicted reports whether key may have been dropped from the cache
// since the last reset or forgetEvicted: false means it certainly was
// not (nor was it ever, if it is not cached now). It is true for every
// key when the cache does not remember its evictions, and once it has
// remembered more than its filter holds (evictedFull).
func (c *clockCache[V]) maybeEvicted(key string) bool {
	return c.evicted == nil || c.evicted.mayContain(key)
}

// evictedFull reports whether the cache has dropped too many keys since
// the last reset or forgetEvicted to tell which: maybeEvicted is true for
// every key until forgetEvicted.
func (c *clockCache[V]) evictedFull() bool {
	return c.evicted != nil && c.evicted.full
}

// forgetEvicted starts remembering evictions afresh (an owner that has
// taken what the store holds now as its new starting point).
func (c *clockCache[V]) forgetEvicted() {
	if c.evicted != nil {
		c.evicted.reset()
	}
}

// drop deletes slot s from m, remembering its key.
func (c *clockCache[V]) drop(s *clockSlot[V]) {
	s.gone = true
	delete(c.m, s.key)
	if c.evicted != nil {
		c.evicted.add(s.key)
	}
}

// get returns the entry of key and marks it used.
func (c *clockCache[V]) get(key string) (V, bool) {
	s, ok := c.m[key]
	if !ok {
		var zero V
		return zero, false
	}
	s.ref = true
	return s.val, true
}

// put sets the entry of key (used).
func (c *clockCache[V]) put(key string, v V) {
	if s, ok := c.m[key]; ok {
		s.val, s.ref = v, true
		return
	}
	s := &clockSlot[V]{key: key, val: v}
	c.m[key] = s
	c.ring = append(c.ring, s)
}

func (c *clockCache[V]) del(key string) {
	if s, ok := c.m[key]; ok {
		c.drop(s)
	}
}

func (c *clockCache[V]) len() int { return len(c.m) }

// each calls fn for every entry; fn returning false deletes it.
func (c *clockCache[V]) each(fn func(key string, v V) bool) {
	for k, s := range c.m {
		if !fn(k, s.val) {
			c.drop(s)
		}
	}
}

// reset empties the cache, and forgets its evictions.
func (c *clockCache[V]) reset() {
	clear(c.m)
	clear(c.ring)
	c.ring = c.ring[:0]
	c.forgetEvicted()
}

// trim evicts down to 90% of cacheLimit when the cache holds more, never
// an entry pinned says must stay (nil: none); otherwise it only drops
// stale slots once they outnumber the entries.
func (c *clockCache[V]) trim(pinned func(key string, v V) bool) {
	switch {
	case len(c.m) > cacheLimit:
		c.evict(cacheLimit*9/10, pinned)
	case len(c.ring) > 2*len(c.m)+1024:
		c.evict(len(c.m), pinned)
	}
}

// evict drops entries, oldest first, until at most target remain: at most
// two passes, the first sparing (and unmarking) those used since the last
// pass; it compacts the ring.
func (c *clockCache[V]) evict(target int, pinned func(key string, v V) bool) {
	for pass := 0; pass < 2; pass++ {
		kept := c.ring[:0]
		for _, s := range c.ring {
			if s.gone {
				continue
			}
			if len(c.m) > target && !s.ref && (pinned == nil || !pinned(s.key, s.val)) {
				c.drop(s)
				continue
			}
			s.ref = false
			kept = append(kept, s)
		}
		clear(c.ring[len(kept):])
		c.ring = kept
		if len(c.m) <= target {
			return
		}
	}
}

// keyFilter is a Bloom filter of strings that grows: a generation of
// filterBitsPerKey bits per key is added, four times larger than the
// last, when the last holds as many keys as it was sized for; past
// maxFilterKeys it is full and answers yes to everything. Each
// generation is blocked (every key's bits in one 512-bit block, one
// cache line): 1-2% false positives, one memory access per generation.
type keyFilter struct {
	seed maphash.Seed
	gens []filterGen
	full bool
}

type filterGen struct {
	blocks []filterBlock
	n, cap int
}

type filterBlock [8]uint64

const (
	filterBitsPerKey = 10
	filterProbes     = 7
	firstFilterKeys  = 1 << 16
	// maxFilterKeys bounds a filter's memory (about 27 MB, generations of
	// 64K, 256K, 1M, 4M and 16M keys).
	maxFilterKeys = firstFilterKeys * (1 + 4 + 16 + 64 + 256)
)

func (f *keyFilter) reset() {
	f.gens = f.gens[:0]
	f.full = false
}

func (f *keyFilter) add(key string) {
	if f.full {
		return
	}
	if len(f.gens) == 0 || f.gens[len(f.gens)-1].n >= f.gens[len(f.gens)-1].cap {
		total, next := 0, firstFilterKeys
		for _, g := range f.gens {
			total, next = total+g.cap, g.cap*4
		}
		if total+next > maxFilterKeys {
			f.full = true
			f.gens = nil // memory back; everything may be there now
			return
		}
		nb := (next*filterBitsPerKey + 511) / 512
		f.gens = append(f.gens, filterGen{blocks: make([]filterBlock, nb), cap: next})
	}
	g := &f.gens[len(f.gens)-1]
	h := maphash.String(f.seed, key)
	b := &g.blocks[reduce(h, len(g.blocks))]
	for i, p := 0, h*0x9e3779b97f4a7c15; i < filterProbes; i, p = i+1, p>>9 {
		b[p>>6&7] |= 1 << (p & 63)
	}
	g.n++
}

func (f *keyFilter) mayContain(key string) bool {
	if f.full {
		return true
	}
	if len(f.gens) == 0 {
		return false
	}
	h := maphash.String(f.seed, key)
	for gi := len(f.gens) - 1; gi >= 0; gi-- {
		g := &f.gens[gi]
		b := &g.blocks[reduce(h, len(g.blocks))]
		hit := true
		for i, p := 0, h*0x9e3779b97f4a7c15; i < filterProbes; i, p = i+1, p>>9 {
			if b[p>>6&7]&(1<<(p&63)) == 0 {
				hit = false
				break
			}
		}
		if hit {
			return true
		}
	}
	return false
}

// reduce maps h to [0, n) (Lemire's multiply-shift).
func reduce(h uint64, n int) int {
	hi, _ := bits.Mul64(h, uint64(n))
	return int(hi)
}
