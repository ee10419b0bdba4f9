package broker

import "context"

// RecordDeleter is implemented by logs that can delete the head of a
// partition ahead of retention, as Kafka's DeleteRecords does. The engine
// uses it to purge repartition topics once the stage reading them has
// durably committed past their records; the Kafka listener serves
// DeleteRecords with it.
type RecordDeleter interface {
	// DeleteRecords deletes records of the partition below offset before,
	// never at or past the stable offset, and returns the partition's
	// start offset afterwards. A log may delete less than asked (the
	// embedded log deletes whole segments only), never more.
	DeleteRecords(ctx context.Context, topic string, partition int32, before int64) (start int64, err error)
}
