package embedded

import "github.com/ksqlgo/ksql/broker"

// TopicDefaults returns what a topic's zero settings stand for in this
// log: Options.RetentionMs and RetentionBytes, cleanup policy "delete",
// one partition. The Kafka listener reports them (DescribeConfigs).
func (l *Log) TopicDefaults() broker.TopicConfig {
	return broker.TopicConfig{Partitions: 1, RetentionMs: l.opts.RetentionMs, RetentionBytes: l.opts.RetentionBytes, CleanupPolicy: "delete"}
}

// SegmentBytes returns Options.SegmentBytes, the size past which every
// partition's active segment rolls.
func (l *Log) SegmentBytes() int64 { return l.opts.SegmentBytes }
