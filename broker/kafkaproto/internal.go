package kafkaproto

import "fmt"

// Internal topics (Config.Internal) belong to the engine serving the log:
// its command log, processing log and query topics. Clients may read
// them (Metadata marks them internal, as Kafka marks __consumer_offsets),
// but not change them. Kafka's own answers are used where it has them:
// INVALID_TOPIC_EXCEPTION for a produce or a DeleteRecords to an
// internal topic (ReplicaManager's "Cannot append to internal topic");
// Kafka brokers do not refuse DeleteTopics and CreatePartitions of
// internal topics (only its command-line tool does), so those get
// TOPIC_AUTHORIZATION_FAILED, the answer of a broker that does not allow
// the operation, with a message naming the reason.

// internal reports whether topic is internal to the engine.
func (s *Server) internal(topic string) bool {
	return s.cfg.Internal != nil && s.cfg.Internal(topic)
}

// internalTopicMessage explains a refused change to an internal topic.
func internalTopicMessage(topic, change string) string {
	return fmt.Sprintf("topic %s is internal to ksql (it holds the server's own state): clients may read it but not %s it", topic, change)
}
