package state

import (
	"bytes"
	"sync/atomic"
)

// Prefixed returns a view of s as a separate namespace: every key passed
// in is stored under prefix+key, keys returned by its iterators have the
// prefix stripped, and iteration is confined to the keys that start with
// prefix, whatever bounds are requested. Nested views concatenate their
// prefixes.
//
// Namespaces are isolated only if no prefix in use is a prefix of another:
// end each with a separator its names cannot contain (as exec's
// "s/<query>/<stage>/<partition>/" do), or give them a fixed length.
//
// The view shares s's storage, concurrency rules and durability. A batch
// obtained from the view's NewBatch is a separate batch of s and commits
// atomically on its own; to write several namespaces in one atomic batch,
// wrap a single batch of the underlying store with [PrefixedBatch] once per
// namespace.
//
// Closing the view does not close s: it only makes the view's own Get,
// NewIter and Commit return ErrClosed afterwards. The owner of s closes s.
func Prefixed(s Store, prefix []byte) Store {
	if p, ok := s.(*prefixStore); ok {
		return &prefixStore{inner: p.inner, prefix: concat(p.prefix, prefix)}
	}
	return &prefixStore{inner: s, prefix: bytes.Clone(prefix)}
}

// PrefixedBatch wraps b so that every key written through the wrapper is
// stored under prefix+key in b. Several wrappers (for different prefixes)
// may share one underlying batch; their writes, together with writes made
// directly to b, then land in that single batch and are applied atomically
// by one Commit.
//
// The wrappers do not own b: Commit, Close and Len on a wrapper act on the
// whole underlying batch, including the writes of every other wrapper
// sharing it. Commit through exactly one of them, or (clearer) through b
// itself, and after that do not use any of them again:
//
//	b := db.NewBatch()
//	defer b.Close()
//	offsets := state.PrefixedBatch(b, offsetsNS)
//	aggs := state.PrefixedBatch(b, aggNS)
//	offsets.Set(partKey, offset)
//	aggs.Set(groupKey, acc)
//	err := b.Commit(true) // offsets and aggregate land together, or neither
//
// Nil bounds of DeleteRange are confined to the namespace: DeleteRange(nil,
// nil) clears exactly the keys with this prefix.
//
// A wrapper is used by one goroutine at a time, like any Batch, and so
// must all wrappers that share an underlying batch.
func PrefixedBatch(b Batch, prefix []byte) Batch {
	if p, ok := b.(*prefixBatch); ok {
		return &prefixBatch{inner: p.inner, prefix: concat(p.prefix, prefix), view: p.view}
	}
	return &prefixBatch{inner: b, prefix: bytes.Clone(prefix)}
}

// concat returns a new slice holding a followed by b.
func concat(a, b []byte) []byte {
	out := make([]byte, 0, len(a)+len(b))
	return append(append(out, a...), b...)
}

// prefixStore implements Prefixed.
type prefixStore struct {
	inner  Store
	prefix []byte
	closed atomic.Bool
}

func (p *prefixStore) key(k []byte) []byte {
	return concat(p.prefix, k)
}

func (p *prefixStore) Get(key []byte) ([]byte, bool, error) {
	if p.closed.Load() {
		return nil, false, ErrClosed
	}
	return p.inner.Get(p.key(key))
}

// bounds maps the view's [lower, upper) to the underlying key space,
// clamped to the namespace.
func (p *prefixStore) bounds(lower, upper []byte) (lo, hi []byte) {
	lo = p.key(lower) // nil lower -> the prefix itself
	if upper == nil {
		hi = PrefixEnd(p.prefix) // nil if the namespace runs to the end
	} else {
		hi = p.key(upper)
	}
	return lo, hi
}

func (p *prefixStore) NewIter(lower, upper []byte) (Iterator, error) {
	if p.closed.Load() {
		return nil, ErrClosed
	}
	lo, hi := p.bounds(lower, upper)
	it, err := p.inner.NewIter(lo, hi)
	if err != nil {
		return nil, err
	}
	return &prefixIter{inner: it, prefix: p.prefix, n: len(p.prefix)}, nil
}

func (p *prefixStore) NewBatch() Batch {
	return &prefixBatch{inner: p.inner.NewBatch(), prefix: p.prefix, view: p}
}

func (p *prefixStore) Close() error {
	if p.closed.Swap(true) {
		return ErrClosed
	}
	return nil
}

// prefixIter strips the namespace prefix from the keys of an iterator
// whose bounds already confine it to the namespace.
type prefixIter struct {
	inner  Iterator
	prefix []byte
	n      int
	seek   []byte // scratch for SeekGE keys
}

func (it *prefixIter) First() bool   { return it.inner.First() }
func (it *prefixIter) Last() bool    { return it.inner.Last() }
func (it *prefixIter) Next() bool    { return it.inner.Next() }
func (it *prefixIter) Valid() bool   { return it.inner.Valid() }
func (it *prefixIter) Value() []byte { return it.inner.Value() }
func (it *prefixIter) Close() error  { return it.inner.Close() }

func (it *prefixIter) Key() []byte {
	k := it.inner.Key()
	if len(k) < it.n {
		return nil
	}
	return k[it.n:]
}

func (it *prefixIter) SeekGE(key []byte) bool {
	// The underlying iterator copies nothing it needs from the seek key
	// after returning, so the scratch buffer can be reused.
	it.seek = append(append(it.seek[:0], it.prefix...), key...)
	return it.inner.SeekGE(it.seek)
}

// prefixBatch implements PrefixedBatch and the batches of Prefixed views.
type prefixBatch struct {
	inner  Batch
	prefix []byte
	// view is the Prefixed view that created the batch, if any; its Close
	// makes Commit fail with ErrClosed.
	view     *prefixStore
	scratch  []byte // prefix+key; the inner batch copies it
	scratch2 []byte
}

func (b *prefixBatch) key(k []byte) []byte {
	b.scratch = append(append(b.scratch[:0], b.prefix...), k...)
	return b.scratch
}

func (b *prefixBatch) Set(key, value []byte) { b.inner.Set(b.key(key), value) }

func (b *prefixBatch) Delete(key []byte) { b.inner.Delete(b.key(key)) }

func (b *prefixBatch) DeleteRange(start, end []byte) {
	lo := b.key(start)
	var hi []byte
	if end == nil {
		hi = PrefixEnd(b.prefix) // nil (unbounded) if the namespace has no end
	} else {
		b.scratch2 = append(append(b.scratch2[:0], b.prefix...), end...)
		hi = b.scratch2
	}
	b.inner.DeleteRange(lo, hi)
}

func (b *prefixBatch) Len() int { return b.inner.Len() }

func (b *prefixBatch) Commit(sync bool) error {
	if b.view != nil && b.view.closed.Load() {
		b.inner.Close()
		return ErrClosed
	}
	return b.inner.Commit(sync)
}

func (b *prefixBatch) Close() { b.inner.Close() }

// PrefixEnd returns the smallest key that is greater than every key having
// b as a prefix, or nil if there is none (b is empty or all 0xFF bytes). It
// is the exclusive upper bound for scanning the keys that start with b:
//
//	it, err := s.NewIter(prefix, PrefixEnd(prefix)) // nil: unbounded
//
// The result is newly allocated.
func PrefixEnd(b []byte) []byte {
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] != 0xFF {
			out := make([]byte, i+1)
			copy(out, b)
			out[i]++
			return out
		}
	}
	return nil
}
