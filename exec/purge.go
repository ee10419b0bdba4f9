package exec

import (
	"context"
	"time"

	"github.com/ksqlgo/ksql/broker"
)

// Repartition topics are the query's own: once the stage that reads one
// has durably committed past its records, nothing will read them again,
// so they are deleted (as Kafka Streams purges repartition topics) and
// disk use does not grow with retention. A task purges at most every
// Runtime.RepartitionPurgeInterval, through broker.RecordDeleter; a log
// without it keeps the records until retention.

// DefaultRepartitionPurgeInterval is Kafka Streams' default
// repartition.purge.interval.ms.
const DefaultRepartitionPurgeInterval = 30 * time.Second

// maybePurge deletes the task's repartition input below upTo, a position
// that is durably committed.
func (t *Task) maybePurge(ctx context.Context, upTo int64) {
	if !t.purgeInput || upTo <= t.purgedTo {
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
	if _, err := d.DeleteRecords(ctx, t.input.Name, t.partition, upTo); err != nil {
		t.rt.logf("task %s: purging %s-%d below %d: %v", t, t.input.Name, t.partition, upTo, err)
		return
	}
	t.purgedTo = upTo
}
