package kafkaproto

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/ksqlgo/ksql/broker"
)

// logDefaults is what a log may tell about the settings a topic without
// its own takes (the embedded log does). Without it, DescribeConfigs
// reports Kafka's defaults for them.
type logDefaults interface {
	TopicDefaults() broker.TopicConfig
	SegmentBytes() int64
}

// configEntry is one described config: its value, where it comes from,
// and the broker config a topic config falls back to (its synonym).
type configEntry struct {
	name, value string
	source      kmsg.ConfigSource
	typ         kmsg.ConfigType
	doc         string
	synonym     *configEntry
}

// Kafka's defaults, for a log that does not say.
const (
	kafkaRetentionMs   = 7 * 24 * 60 * 60 * 1000
	kafkaSegmentBytes  = 1 << 30
	kafkaRetentionByte = -1
)

func (s *Server) topicDefaults() (broker.TopicConfig, int64) {
	if d, ok := s.log.(logDefaults); ok {
		return d.TopicDefaults(), d.SegmentBytes()
	}
	return broker.TopicConfig{Partitions: 1, RetentionMs: kafkaRetentionMs, RetentionBytes: kafkaRetentionByte, CleanupPolicy: "delete"}, kafkaSegmentBytes
}

// brokerConfigs are the broker resource's configs: this broker's real
// settings, all static (nothing is altered at run time).
func (s *Server) brokerConfigs() []configEntry {
	def, segment := s.topicDefaults()
	static := func(name, value string, typ kmsg.ConfigType, doc string) configEntry {
		return configEntry{name: name, value: value, source: kmsg.ConfigSourceStaticBrokerConfig, typ: typ, doc: doc}
	}
	return []configEntry{
		static("broker.id", strconv.Itoa(int(s.cfg.NodeID)), kmsg.ConfigTypeInt, "This broker's node id."),
		static("auto.create.topics.enable", "false", kmsg.ConfigTypeBoolean, "Topics are never created automatically."),
		static("delete.topic.enable", "true", kmsg.ConfigTypeBoolean, "DeleteTopics deletes topics."),
		static("num.partitions", "1", kmsg.ConfigTypeInt, "Partitions of a topic created without a count."),
		static("default.replication.factor", "1", kmsg.ConfigTypeShort, "This broker is the only replica."),
		static("min.insync.replicas", "1", kmsg.ConfigTypeInt, "This broker is the only replica."),
		static("log.cleanup.policy", def.CleanupPolicy, kmsg.ConfigTypeList, "Cleanup policy of topics without their own."),
		static("log.retention.ms", strconv.FormatInt(def.RetentionMs, 10), kmsg.ConfigTypeLong, "Retention time of topics without their own (-1: forever)."),
		static("log.retention.bytes", strconv.FormatInt(def.RetentionBytes, 10), kmsg.ConfigTypeLong, "Size bound of each partition of topics without their own (-1: none)."),
		static("log.segment.bytes", strconv.FormatInt(segment, 10), kmsg.ConfigTypeInt, "Size past which a partition's active segment rolls."),
		static("message.max.bytes", strconv.Itoa(int(s.cfg.MaxBatchBytes)), kmsg.ConfigTypeInt, "Largest record batch accepted, after decompression."),
		static("socket.request.max.bytes", strconv.Itoa(int(s.cfg.MaxFrameBytes)), kmsg.ConfigTypeInt, "Largest request frame accepted."),
	}
}

// topicConfigs describes a topic: its own settings (DYNAMIC_TOPIC_CONFIG)
// and, for the others, the log's defaults (DEFAULT_CONFIG), each with the
// broker config it falls back to.
func (s *Server) topicConfigs(info broker.TopicInfo) []configEntry {
	def, segment := s.topicDefaults()
	brokers := map[string]configEntry{}
	for _, e := range s.brokerConfigs() {
		brokers[e.name] = e
	}
	entry := func(name, brokerName string, own bool, value string, typ kmsg.ConfigType, doc string) configEntry {
		e := configEntry{name: name, value: value, source: kmsg.ConfigSourceDefaultConfig, typ: typ, doc: doc}
		if own {
			e.source = kmsg.ConfigSourceDynamicTopicConfig
		}
		if b, ok := brokers[brokerName]; ok {
			e.synonym = &b
		}
		return e
	}
	c := info.Config
	policy, retMs, retBytes := c.CleanupPolicy, c.RetentionMs, c.RetentionBytes
	if policy == "" {
		policy = def.CleanupPolicy
	}
	if retMs == 0 {
		retMs = def.RetentionMs
	}
	if retBytes == 0 {
		retBytes = def.RetentionBytes
	}
	return []configEntry{
		entry("cleanup.policy", "log.cleanup.policy", c.CleanupPolicy != "", policy, kmsg.ConfigTypeList, "delete or compact (compaction is advisory: superseded records may stay)."),
		entry("retention.ms", "log.retention.ms", c.RetentionMs != 0, strconv.FormatInt(retMs, 10), kmsg.ConfigTypeLong, "Whole segments whose newest record is older are deleted (-1: forever)."),
		entry("retention.bytes", "log.retention.bytes", c.RetentionBytes != 0, strconv.FormatInt(retBytes, 10), kmsg.ConfigTypeLong, "Oldest segments are deleted past this size per partition (-1: none)."),
		entry("segment.bytes", "log.segment.bytes", false, strconv.FormatInt(segment, 10), kmsg.ConfigTypeInt, "Size past which a partition's active segment rolls (the log's, for every topic)."),
		entry("max.message.bytes", "message.max.bytes", false, strconv.Itoa(int(s.cfg.MaxBatchBytes)), kmsg.ConfigTypeInt, "Largest record batch accepted, after decompression."),
		entry("min.insync.replicas", "min.insync.replicas", false, "1", kmsg.ConfigTypeInt, "This broker is the only replica."),
		entry("compression.type", "", false, "producer", kmsg.ConfigTypeString, "Batches are stored uncompressed and fetched uncompressed."),
		entry("message.timestamp.type", "", false, "CreateTime", kmsg.ConfigTypeString, "Records keep the producer's timestamps."),
		entry("unclean.leader.election.enable", "", false, "false", kmsg.ConfigTypeBoolean, "This broker is the only replica."),
	}
}

// serveDescribeConfigs describes topics and this broker. ConfigNames
// filters the entries (null: all; an unknown name is left out, as Kafka
// does). Every config is read-only: AlterConfigs is not served.
func serveDescribeConfigs(ctx context.Context, s *Server, r kmsg.Request) (kmsg.Response, error) {
	req := r.(*kmsg.DescribeConfigsRequest)
	resp := req.ResponseKind().(*kmsg.DescribeConfigsResponse)
	for _, rr := range req.Resources {
		res := kmsg.NewDescribeConfigsResponseResource()
		res.ResourceType, res.ResourceName = rr.ResourceType, rr.ResourceName
		fail := func(code int16, msg string) {
			res.ErrorCode, res.ErrorMessage = code, kmsg.StringPtr(msg)
		}
		var entries []configEntry
		switch rr.ResourceType {
		case kmsg.ConfigResourceTypeTopic:
			info, err := s.log.Topic(ctx, rr.ResourceName)
			if err != nil {
				fail(errorCode(err), err.Error())
				break
			}
			entries = s.topicConfigs(info)
		case kmsg.ConfigResourceTypeBroker:
			switch rr.ResourceName {
			case "":
				// The cluster-wide dynamic configs: there are none.
			case strconv.Itoa(int(s.cfg.NodeID)):
				entries = s.brokerConfigs()
			default:
				fail(kerr.InvalidRequest.Code, fmt.Sprintf("unexpected broker id %q: this is broker %d", rr.ResourceName, s.cfg.NodeID))
			}
		default:
			fail(kerr.InvalidRequest.Code, fmt.Sprintf("resource type %v is not served by this broker", rr.ResourceType))
		}
		for _, e := range entries {
			if rr.ConfigNames != nil && !slices.Contains(rr.ConfigNames, e.name) {
				continue
			}
			res.Configs = append(res.Configs, e.describe(req.IncludeSynonyms, req.IncludeDocumentation))
		}
		resp.Resources = append(resp.Resources, res)
	}
	return resp, nil
}

func (e configEntry) describe(synonyms, doc bool) kmsg.DescribeConfigsResponseResourceConfig {
	c := kmsg.NewDescribeConfigsResponseResourceConfig()
	c.Name, c.Value = e.name, kmsg.StringPtr(e.value)
	c.ReadOnly = true
	c.IsDefault = e.source == kmsg.ConfigSourceDefaultConfig
	c.Source = e.source
	c.ConfigType = e.typ
	if doc {
		c.Documentation = kmsg.StringPtr(e.doc)
	}
	if synonyms {
		for x := &e; x != nil; x = x.synonym {
			syn := kmsg.NewDescribeConfigsResponseResourceConfigConfigSynonym()
			syn.Name, syn.Value, syn.Source = x.name, kmsg.StringPtr(x.value), x.source
			c.ConfigSynonyms = append(c.ConfigSynonyms, syn)
		}
	}
	return c
}
