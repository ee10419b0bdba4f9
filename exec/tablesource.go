package exec

import (
	"fmt"

	"github.com/ksqlgo/ksql/planner"
	"github.com/ksqlgo/ksql/sql/types"
)

// tableSourceOp materializes a table input so that each update carries
// the row it replaces (for retraction in table aggregations). A delete
// becomes an event with only the old row.
//
// With the record cache (recordcache.go), as ksqlDB's materialized source
// table behind Kafka Streams' CachingKeyValueStore: updates of a key are
// forwarded when the cache is flushed, with the latest row as the new
// value and the row last forwarded as the old one; a key created and
// deleted between two forwards forwards nothing.
type tableSourceOp struct {
	store string
	nKey  int
	next  operator
	cache *clockCache[types.Row] // nil value: deleted
	dirty map[string]bool

	// rc is the task's record cache (nil: off); pending holds the keys
	// updated since their last forward, listed in fwd.
	rc      *recordCache
	pending map[string]*tablePending
	fwd     dirtyList[*tablePending]
}

// tablePending is a key's latest row (nil: deleted) and the row last
// forwarded for it (nil: none), with the input record of the update.
type tablePending struct {
	node      dirtyNode[*tablePending]
	key       string
	cur, old  types.Row
	ts        int64
	partition int32
	offset    int64
}

func newTableSourceOp(p *planner.TableSource, nKey int) *tableSourceOp {
	return &tableSourceOp{store: p.StoreName, nKey: nKey, cache: newClockCache[types.Row](), dirty: map[string]bool{}, pending: map[string]*tablePending{}}
}

func (s *tableSourceOp) process(t *Task, ev *event) error {
	sk := appendRow(nil, ev.row[:s.nKey])
	ck := string(sk)
	old, ok := s.cache.get(ck)
	if !ok {
		raw, found, err := t.stateGet(s.store, sk)
		if err != nil {
			return err
		}
		if found {
			if old, _, err = decodeRow(raw, nil); err != nil {
				return fmt.Errorf("corrupt table state for %s: %w", s.store, err)
			}
		}
	}
	var cur types.Row
	if !ev.tomb {
		cur = ev.row
	}
	s.dirty[ck] = true
	s.cache.put(ck, cur)
	if s.rc != nil {
		p := s.pending[ck]
		if p == nil {
			p = &tablePending{key: ck, old: old}
			p.node.val = p
			s.pending[ck] = p
		}
		p.cur, p.ts, p.partition, p.offset = cur, ev.ts, ev.partition, ev.offset
		size := entryOverhead + 2*int64(len(ck)) + rowSize(cur)
		if s.rc.add(s.fwd.touch(&p.node, size)) {
			return s.forwardCached(t)
		}
		return nil
	}
	if old == nil && cur == nil {
		return nil
	}
	out := event{row: cur, old: old, ts: ev.ts, partition: ev.partition, offset: ev.offset}
	return s.next.process(t, &out)
}

// forwardCached forwards every pending key, least recently updated first.
func (s *tableSourceOp) forwardCached(t *Task) error {
	for {
		n, ok := s.fwd.pop()
		if !ok {
			return nil
		}
		s.rc.used -= n.size
		p := n.val
		delete(s.pending, p.key)
		if p.cur == nil && p.old == nil {
			continue
		}
		out := event{row: p.cur, old: p.old, ts: p.ts, partition: p.partition, offset: p.offset}
		if err := s.next.process(t, &out); err != nil {
			return err
		}
	}
}

func (s *tableSourceOp) flush(t *Task) error {
	for ck := range s.dirty {
		row, ok := s.cache.get(ck)
		if !ok {
			continue
		}
		if row == nil {
			t.stateDelete(s.store, []byte(ck))
		} else {
			t.stateSet(s.store, []byte(ck), appendRow(nil, row))
		}
	}
	clear(s.dirty)
	s.cache.trim(nil) // nothing is dirty after a flush
	return nil
}

func (s *tableSourceOp) reset() {
	if s.rc != nil {
		s.rc.used -= s.fwd.clear()
	}
	clear(s.pending)
	s.cache.reset()
	clear(s.dirty)
}
