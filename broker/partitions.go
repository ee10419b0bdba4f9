package broker

import (
	"context"
	"errors"
)

// PartitionAdder is implemented by logs that can add partitions to an
// existing topic, as Kafka's CreatePartitions does. Partitions are only
// ever added: records keep their partitions and offsets, and a key
// hashed over the new count may land in another partition than before
// (as in Kafka), so the engine never grows its own topics; the Kafka
// listener serves CreatePartitions with it.
type PartitionAdder interface {
	// AddPartitions grows topic to total partitions; the new ones are
	// empty. ErrUnknownTopic if the topic is absent; ErrInvalidPartitions
	// if total is not more than the current count. The new count is
	// durable when it returns; after a crash the topic has either the old
	// or the new count, never a partition without its directory.
	AddPartitions(ctx context.Context, topic string, total int32) error
}

// ErrInvalidPartitions: AddPartitions was asked for a count that does not
// grow the topic (Kafka's INVALID_PARTITIONS).
var ErrInvalidPartitions = errors.New("invalid number of partitions")
