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
	// m maps a key to its slot in ring.
	m map[string]int32
	// ring holds the entries (and empty slots, listed in free) in the
	// order the eviction hand visits them.
	ring []clockSlot[V]
	free []int32
	hand int
	// bytes approximates the memory the entries hold (slotBytes, the key
	// and what size says of the value, taken when an entry is put).
	bytes int
	size  func(v V) int
	// evicted, when not nil, remembers the keys dropped from m.
	evicted *keyFilter
}

type clockSlot[V any] struct {
	key  string
	val  V
	size int32 // its share of bytes
	ref  bool  // used since the hand last passed
	live bool  // holds an entry (else listed in free)
}

// cacheLimit and cacheLimitBytes bound the entries an operator keeps in
// memory after a commit, by count and by approximate bytes (vars so that
// tests can make them small). The bytes of an aggregation group (about
// 350 for a COUNT by one column, see aggEntrySize) make 32 MiB about
// 95,000 groups a task; a group not cached costs a store read when it
// comes back, and a new one none (maybeEvicted).
var (
	cacheLimit      = 200_000
	cacheLimitBytes = 32 << 20
)

// slotBytes approximates a cached entry's overhead besides its key and
// value: its ring slot and its share of the map.
const slotBytes = 80

// aggEntrySize approximates the heap bytes of an aggregation group: the
// entry with its slices, and each key column and accumulator boxed in an
// interface (24 bytes, plus its payload as valueSize counts it).
func aggEntrySize(e *aggEntry) int {
	return 200 + 24*(len(e.key)+len(e.accs)) + int(rowSize(e.key)+rowSize(e.accs))
}

func newClockCache[V any]() *clockCache[V] {
	return &clockCache[V]{m: map[string]int32{}}
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

// drop empties slot i, remembering its key.
func (c *clockCache[V]) drop(i int32) {
	s := &c.ring[i]
	delete(c.m, s.key)
	c.bytes -= int(s.size)
	if c.evicted != nil {
		c.evicted.add(s.key)
	}
	*s = clockSlot[V]{}
	c.free = append(c.free, i)
}

// get returns the entry of key and marks it used.
func (c *clockCache[V]) get(key string) (V, bool) {
	i, ok := c.m[key]
	if !ok {
		var zero V
		return zero, false
	}
	s := &c.ring[i]
	s.ref = true
	return s.val, true
}

// getBytes is get for a key in bytes (the lookup does not allocate); it
// also returns the key as the cache holds it.
func (c *clockCache[V]) getBytes(key []byte) (string, V, bool) {
	i, ok := c.m[string(key)]
	if !ok {
		var zero V
		return "", zero, false
	}
	s := &c.ring[i]
	s.ref = true
	return s.key, s.val, true
}

// put sets the entry of key (marked used if it was there).
func (c *clockCache[V]) put(key string, v V) {
	size := slotBytes + len(key)
	if c.size != nil {
		size += c.size(v)
	}
	if i, ok := c.m[key]; ok {
		s := &c.ring[i]
		c.bytes += size - int(s.size)
		s.val, s.ref, s.size = v, true, int32(size)
		return
	}
	c.bytes += size
	var i int32
	if n := len(c.free); n > 0 {
		i, c.free = c.free[n-1], c.free[:n-1]
	} else {
		i = int32(len(c.ring))
		c.ring = append(c.ring, clockSlot[V]{})
	}
	c.ring[i] = clockSlot[V]{key: key, val: v, size: int32(size), live: true}
	c.m[key] = i
}

func (c *clockCache[V]) del(key string) {
	if i, ok := c.m[key]; ok {
		c.drop(i)
	}
}

func (c *clockCache[V]) len() int { return len(c.m) }

// each calls fn for every entry; fn returning false deletes it.
func (c *clockCache[V]) each(fn func(key string, v V) bool) {
	for i := range c.ring {
		if s := &c.ring[i]; s.live && !fn(s.key, s.val) {
			c.drop(int32(i))
		}
	}
}

// reset empties the cache, and forgets its evictions.
func (c *clockCache[V]) reset() {
	clear(c.m)
	clear(c.ring)
	c.ring, c.free, c.hand, c.bytes = c.ring[:0], c.free[:0], 0, 0
	c.forgetEvicted()
}

// trim evicts down to 90% of cacheLimit and cacheLimitBytes when the
// cache holds more, never an entry pinned says must stay (nil: none); and
// gives back the empty slots once they outnumber the entries.
func (c *clockCache[V]) trim(pinned func(key string, v V) bool) {
	if len(c.m) > cacheLimit || c.bytes > cacheLimitBytes {
		c.evict(cacheLimit*9/10, cacheLimitBytes/10*9, pinned)
	}
	if len(c.free) > len(c.m)+1024 {
		c.compact()
	}
}

// evict drops entries until at most target remain, holding at most
// targetBytes. The hand goes round the ring at most twice from where it
// last stopped, sparing (and unmarking) the entries used since it last
// passed them, and those pinned says must stay.
func (c *clockCache[V]) evict(target, targetBytes int, pinned func(key string, v V) bool) {
	for n := 2 * len(c.ring); n > 0 && (len(c.m) > target || c.bytes > targetBytes); n-- {
		if c.hand >= len(c.ring) {
			c.hand = 0
		}
		s := &c.ring[c.hand]
		switch {
		case !s.live:
		case s.ref:
			s.ref = false
		case pinned == nil || !pinned(s.key, s.val):
			c.drop(int32(c.hand))
		}
		c.hand++
	}
	if len(c.free) > len(c.m)/2 {
		c.compact()
	}
}

// compact closes the ring's empty slots, keeping the entries' order.
func (c *clockCache[V]) compact() {
	kept, hand := 0, 0
	for i := range c.ring {
		if i == c.hand {
			hand = kept
		}
		if s := c.ring[i]; s.live {
			c.ring[kept] = s
			c.m[s.key] = int32(kept)
			kept++
		}
	}
	clear(c.ring[kept:])
	c.ring, c.free, c.hand = c.ring[:kept], c.free[:0], hand
	if cap(c.ring) > 2*kept+1024 {
		c.ring = append([]clockSlot[V](nil), c.ring...) // memory back
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
