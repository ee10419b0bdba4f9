package exec

import (
	"context"
	"time"

	"github.com/ksqlgo/ksql/broker"
)

// Repartition topics (and a foreign-key join's subscription and response
// topics: internalTopics) are the query's own: once the stage that reads one
// has durably committed past its records, nothing will read them again,
// so they are deleted (as Kafka Streams purges repartition topics) and
// disk use does not grow with retention. A task purges at most every
// Runtime.RepartitionPurgeInterval, through broker.RecordDeleter; a log
// without it keeps the records until retention.

// DefaultRepartitionPurgeInterval is Kafka Streams' default
// repartition.purge.interval.ms.
const DefaultRepartitionPurgeInterval = 30 * time.Second

// maybePurge deletes the task's repartition inputs below the positions
// of m, which are durably committed.
func (t *Task) maybePurge(ctx context.Context, m taskMeta) {
	due := t.purgeInput && m.position > t.purgedTo
	for i, s := range t.sides {
		due = due || (s.purge && i < len(m.sidePos) && m.sidePos[i] > s.purgedTo)
	}
	if !due {
		return
	}
	interval := t.rt.RepartitionPurgeInterval
	if interval <= 0 {
		interval = DefaultRepartitionPurgeInterval
	}
	now := t.rt.now()
	if now.Sub(t.lastPurge) < interval {
		return
	}
	d, ok := t.rt.Log.(broker.RecordDeleter)
	if !ok {
		return
	}
	t.lastPurge = now
	if t.purgeInput && m.position > t.purgedTo && t.purge(ctx, d, t.input.Name, m.position) {
		t.purgedTo = m.position
	}
	for i, s := range t.sides {
		if s.purge && i < len(m.sidePos) && m.sidePos[i] > s.purgedTo && t.purge(ctx, d, s.in.Name, m.sidePos[i]) {
			s.purgedTo = m.sidePos[i]
		}
	}
}

// purge deletes one input partition below upTo; it reports success.
func (t *Task) purge(ctx context.Context, d broker.RecordDeleter, topic string, upTo int64) bool {
	if _, err := d.DeleteRecords(ctx, topic, t.partition, upTo); err != nil {
		t.rt.logf("task %s: purging %s-%d below %d: %v", t, topic, t.partition, upTo, err)
		return false
	}
	return true
}
