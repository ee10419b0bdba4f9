package embedded

import (
	"context"

	"github.com/ksqlgo/ksql/broker"
)

var _ broker.RecordDeleter = (*Log)(nil)

// DeleteRecords implements broker.RecordDeleter: it deletes the sealed
// segments that end at or before offset before and at or before the
// stable offset (the active segment stays), so the start offset becomes
// the base of the first segment kept, which may be below before.
func (l *Log) DeleteRecords(ctx context.Context, topic string, partition int32, before int64) (int64, error) {
	if err := l.enterCtx(ctx); err != nil {
		return 0, err
	}
	defer l.leave()
	p, err := l.partition(topic, partition)
	if err != nil {
		return 0, err
	}
	p.mu.Lock()
	if err := p.readableLocked(); err != nil {
		p.mu.Unlock()
		return 0, err
	}
	k := 0
	for k < len(p.segs)-1 && p.segs[k].next <= before && p.segs[k].next <= p.stable {
		k++
	}
	if k == 0 {
		start := p.start
		p.mu.Unlock()
		return start, nil
	}
	removed := p.dropHeadLocked(k)
	start := p.start
	p.mu.Unlock()
	return start, p.removeSegments(removed, "delete records")
}
