package exec

import (
	"math/big"

	"github.com/ksqlgo/ksql/sql/types"
)

// The record cache of table results, as Kafka Streams' (ksqlDB's) record
// cache on KTable stores (ThreadCache/NamedCache behind the caching
// key-value, window and session stores).
//
// An operator that produces a table (aggregations over streams, tables and
// windows; the materialization of a table source) does not forward every
// update downstream. It marks the result's entry dirty and forwards the
// latest value of every dirty entry when the cache is flushed:
//
//   - at commit, before the output is appended to the commit's transaction
//     (Task.forwardCached, called first by both commit protocols), so the
//     forwarded records, the state and the input position stay in one
//     transaction;
//   - when the task's dirty entries pass its byte budget: the operator
//     whose update went over forwards all its dirty entries. Kafka Streams
//     evicts the least recently used entry of the store that was written
//     (NamedCache.evict), and evicting a dirty entry flushes every dirty
//     entry of that store, the evicted one first.
//
// Entries are forwarded in the order of their last update (NamedCache's
// dirtyKeys: an update moves its key to the end), which is also least
// recently used first. Per key, the order of results is preserved: a key
// has one entry, forwarded with its latest value. Old values (for the
// retracting flows downstream of a table source) are the values last
// forwarded, as Kafka Streams reads them from the underlying store at
// flush. An entry created and deleted between two forwards, never
// forwarded, is not forwarded at all (CachingKeyValueStore and
// CachingSessionStore skip a null new value whose key is not in the
// underlying store): session windows merged within one interval vanish.
//
// Sizes approximate bytes: the key and value of each dirty entry plus a
// fixed overhead, against ksql.streams.cache.max.bytes.buffering. Kafka
// Streams divides that property among an instance's stream threads, and
// ksqlDB runs each persistent query as its own instance; here each task
// runs on its own goroutine, the role of a stream thread, so the query's
// budget is divided among its tasks that cache, and a task's caching
// operators share its part (as the stores of a thread share its
// ThreadCache). Clean entries do not count: the aggregation state cache
// (clock.go) holds them, bounded by entries.
//
// With a budget of 0 the cache is off: every update is forwarded at once.

// DefaultRecordCacheBytes is ksqlDB's default
// ksql.streams.cache.max.bytes.buffering.
const DefaultRecordCacheBytes = 10_000_000

// recordCache is a task's share of the record cache: the bytes its
// operators' dirty entries hold.
type recordCache struct {
	max  int64
	used int64
	// users counts the task's operators that cache.
	users int
}

// cacheForwarder is implemented by operators with a record cache: it
// forwards every dirty entry downstream.
type cacheForwarder interface {
	forwardCached(t *Task) error
}

// forwardCached flushes the task's record caches: every caching operator,
// head of the chain first, so that what an upstream operator forwards
// reaches the caches downstream of it before they are flushed.
func (t *Task) forwardCached() error {
	if t.rcache == nil {
		return nil
	}
	// flushers are listed from the sink back to the head.
	for i := len(t.flushers) - 1; i >= 0; i-- {
		if f, ok := t.flushers[i].(cacheForwarder); ok {
			if err := f.forwardCached(t); err != nil {
				return err
			}
		}
	}
	return nil
}

// dirtyNode links one dirty entry of an operator into its dirty list
// (embedded in the entry: no allocation per update).
type dirtyNode[V any] struct {
	prev, next *dirtyNode[V]
	val        V
	size       int64
	in         bool
}

// dirtyList is an operator's dirty entries, least recently updated first.
type dirtyList[V any] struct {
	head, tail *dirtyNode[V]
	bytes      int64
}

// touch records an update of n's entry, now size bytes: the entry goes to
// the end of the list. It returns the change in bytes.
func (l *dirtyList[V]) touch(n *dirtyNode[V], size int64) int64 {
	delta := size
	if n.in {
		delta -= n.size
		if l.tail == n {
			n.size = size
			l.bytes += delta
			return delta
		}
		l.unlink(n)
	}
	n.in, n.size = true, size
	n.prev, n.next = l.tail, nil
	if l.tail != nil {
		l.tail.next = n
	} else {
		l.head = n
	}
	l.tail = n
	l.bytes += delta
	return delta
}

func (l *dirtyList[V]) unlink(n *dirtyNode[V]) {
	if n.prev != nil {
		n.prev.next = n.next
	} else {
		l.head = n.next
	}
	if n.next != nil {
		n.next.prev = n.prev
	} else {
		l.tail = n.prev
	}
	n.prev, n.next = nil, nil
}

// remove takes n out of the list (if in it) and returns its bytes.
func (l *dirtyList[V]) remove(n *dirtyNode[V]) int64 {
	if !n.in {
		return 0
	}
	l.unlink(n)
	n.in = false
	l.bytes -= n.size
	return n.size
}

// pop removes and returns the least recently updated entry.
func (l *dirtyList[V]) pop() (*dirtyNode[V], bool) {
	n := l.head
	if n == nil {
		return nil, false
	}
	l.remove(n)
	return n, true
}

// clear empties the list, returning the bytes it held.
func (l *dirtyList[V]) clear() int64 {
	b := l.bytes
	for n := l.head; n != nil; {
		next := n.next
		n.prev, n.next, n.in = nil, nil, false
		n = next
	}
	l.head, l.tail, l.bytes = nil, nil, 0
	return b
}

// entryOverhead approximates the bytes of a cache entry besides its key
// and value (Kafka Streams counts its LRU node and entry fields).
const entryOverhead = 64

// add counts a change of delta bytes and reports whether the task's dirty
// entries now exceed its budget.
func (c *recordCache) add(delta int64) bool {
	c.used += delta
	return c.used > c.max
}

// valueSize approximates the bytes of a value (its serialized size, about).
func valueSize(v types.Value) int64 {
	switch x := v.(type) {
	case nil:
		return 1
	case bool:
		return 1
	case int32, types.Date, types.TimeOfDay:
		return 4
	case int64, float64, types.Timestamp:
		return 8
	case string:
		return int64(len(x))
	case []byte:
		return int64(len(x))
	case types.Dec:
		return 12
	case *big.Int:
		return int64(len(x.Bits())*8 + 8)
	case []types.Value:
		return rowSize(x) + 4
	case types.Row:
		return rowSize(x) + 4
	case *types.MapValue:
		return rowSize(x.Keys) + rowSize(x.Vals) + 4
	case *types.StructValue:
		return rowSize(x.Vals) + 4
	default:
		return 16
	}
}

func rowSize(r []types.Value) int64 {
	var n int64
	for _, v := range r {
		n += valueSize(v)
	}
	return n
}
