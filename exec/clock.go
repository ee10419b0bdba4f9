package exec

// clockCache is an operator's in-memory copy of recently used state,
// bounded by CLOCK eviction: past a limit (checked after each flush, when
// every entry is also in the store) the oldest entries go, except pinned
// ones and, once, those used since the last pass. Evicted entries are read
// from the store again when next needed.
type clockCache[V any] struct {
	m map[string]*clockSlot[V]
	// ring lists the slots in load order; a slot deleted from m stays
	// until the next pass drops it.
	ring []*clockSlot[V]
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
		s.gone = true
		delete(c.m, key)
	}
}

func (c *clockCache[V]) len() int { return len(c.m) }

// each calls fn for every entry; fn returning false deletes it.
func (c *clockCache[V]) each(fn func(key string, v V) bool) {
	for k, s := range c.m {
		if !fn(k, s.val) {
			s.gone = true
			delete(c.m, k)
		}
	}
}

func (c *clockCache[V]) reset() {
	clear(c.m)
	clear(c.ring)
	c.ring = c.ring[:0]
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
				s.gone = true
				delete(c.m, s.key)
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
