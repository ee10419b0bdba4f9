package kafkaproto

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/ksqlgo/ksql/broker"
)

// api is one served request kind: the versions served and the handler.
// A handler returns the response (nil: none is due, as for acks=0
// produce) or an error that closes the connection. A nil serve marks a
// request that acts on the connection itself (SASL), served by
// conn.serveSASL.
type api struct {
	min, max int16
	serve    func(ctx context.Context, s *Server, req kmsg.Request) (kmsg.Response, error)
}

// apis is what this broker serves; ApiVersions advertises exactly this.
// The bounds are where the semantics implemented here hold: record
// batches v2 only (Produce v3+, Fetch v4+), topics by name (below the
// versions that address topics by id), no fetch sessions (the response
// session id is always 0, so clients send full fetches).
var apis map[int16]api

func init() {
	apis = map[int16]api{
		kmsg.Produce.Int16():      {3, 9, serveProduce},
		kmsg.Fetch.Int16():        {4, 12, serveFetch},
		kmsg.ListOffsets.Int16():  {1, 6, serveListOffsets},
		kmsg.Metadata.Int16():     {0, 9, serveMetadata},
		kmsg.ApiVersions.Int16():  {0, 3, serveApiVersions},
		kmsg.CreateTopics.Int16(): {0, 5, serveCreateTopics},
		kmsg.DeleteTopics.Int16(): {0, 5, serveDeleteTopics},
		// Administration (partitions.go).
		kmsg.CreatePartitions.Int16(): {0, 3, serveCreatePartitions},
		kmsg.DeleteRecords.Int16():    {0, 2, serveDeleteRecords},
		kmsg.DescribeConfigs.Int16():  {0, 4, serveDescribeConfigs},
		// Idempotent and transactional producers (producers.go, txn.go).
		kmsg.InitProducerID.Int16():     {0, 4, serveInitProducerID},
		kmsg.AddPartitionsToTxn.Int16(): {0, 3, serveAddPartitionsToTxn},
		kmsg.AddOffsetsToTxn.Int16():    {0, 3, serveAddOffsetsToTxn},
		kmsg.TxnOffsetCommit.Int16():    {0, 3, serveTxnOffsetCommit},
		kmsg.EndTxn.Int16():             {0, 3, serveEndTxn},
		// Consumer groups: offsets (groups.go), membership (membership.go).
		kmsg.FindCoordinator.Int16(): {0, 4, serveFindCoordinator},
		kmsg.OffsetCommit.Int16():    {0, 8, serveOffsetCommit},
		kmsg.OffsetFetch.Int16():     {0, 8, serveOffsetFetch},
		kmsg.ListGroups.Int16():      {0, 4, serveListGroups},
		kmsg.JoinGroup.Int16():       {0, 9, serveJoinGroup},
		kmsg.SyncGroup.Int16():       {0, 5, serveSyncGroup},
		kmsg.Heartbeat.Int16():       {0, 4, serveHeartbeat},
		kmsg.LeaveGroup.Int16():      {0, 5, serveLeaveGroup},
		kmsg.DescribeGroups.Int16():  {0, 5, serveDescribeGroups},
	}
}

// api returns the served API of key: the table, and the SASL APIs when
// authentication is on.
func (s *Server) api(key int16) (api, bool) {
	if a, ok := apis[key]; ok {
		return a, true
	}
	if s.users != nil {
		a, ok := saslAPIs[key]
		return a, ok
	}
	return api{}, false
}

func apiVersionsResponse(s *Server, version int16) *kmsg.ApiVersionsResponse {
	resp := kmsg.NewPtrApiVersionsResponse()
	resp.Version = version
	keys := make([]int16, 0, len(apis)+len(saslAPIs))
	for k := range apis {
		keys = append(keys, k)
	}
	if s.users != nil {
		for k := range saslAPIs {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		a, _ := s.api(k)
		resp.ApiKeys = append(resp.ApiKeys, kmsg.ApiVersionsResponseApiKey{ApiKey: k, MinVersion: a.min, MaxVersion: a.max})
	}
	return resp
}

func serveApiVersions(_ context.Context, s *Server, req kmsg.Request) (kmsg.Response, error) {
	return apiVersionsResponse(s, req.GetVersion()), nil
}

// errorCode maps a log error to a Kafka error code.
func errorCode(err error) int16 {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, broker.ErrUnknownTopic), errors.Is(err, broker.ErrUnknownPartition):
		return kerr.UnknownTopicOrPartition.Code
	case errors.Is(err, broker.ErrTopicExists):
		return kerr.TopicAlreadyExists.Code
	case errors.Is(err, broker.ErrOffsetOutOfRange):
		return kerr.OffsetOutOfRange.Code
	case errors.Is(err, broker.ErrInvalidTopic):
		return kerr.InvalidTopicException.Code
	case errors.Is(err, broker.ErrRecordTooLarge):
		return kerr.MessageTooLarge.Code
	case errors.Is(err, broker.ErrOutOfOrderSequence):
		return kerr.OutOfOrderSequenceNumber.Code
	case errors.Is(err, broker.ErrProducerFenced):
		return kerr.InvalidProducerEpoch.Code
	case errors.Is(err, broker.ErrUnknownProducer):
		return kerr.UnknownProducerID.Code
	case errors.Is(err, broker.ErrStorage):
		return kerr.KafkaStorageError.Code
	case errors.Is(err, broker.ErrClosed), errors.Is(err, context.Canceled):
		return kerr.BrokerNotAvailable.Code
	default:
		return kerr.UnknownServerError.Code
	}
}

func metadataTopic(ctx context.Context, s *Server, name string, version int16) kmsg.MetadataResponseTopic {
	t := kmsg.NewMetadataResponseTopic()
	t.Topic = kmsg.StringPtr(name)
	info, err := s.log.Topic(ctx, name)
	if err != nil {
		t.ErrorCode = errorCode(err)
		return t
	}
	for p := range info.Config.Partitions {
		mp := kmsg.NewMetadataResponseTopicPartition()
		mp.Partition = p
		mp.Leader = s.cfg.NodeID
		mp.LeaderEpoch = -1
		mp.Replicas = []int32{s.cfg.NodeID}
		mp.ISR = []int32{s.cfg.NodeID}
		mp.OfflineReplicas = []int32{}
		t.Partitions = append(t.Partitions, mp)
	}
	t.IsInternal = s.internal(name)
	return t
}

func serveMetadata(ctx context.Context, s *Server, r kmsg.Request) (kmsg.Response, error) {
	req := r.(*kmsg.MetadataRequest)
	resp := req.ResponseKind().(*kmsg.MetadataResponse)
	b := kmsg.NewMetadataResponseBroker()
	b.NodeID, b.Host, b.Port = s.cfg.NodeID, s.host, s.port
	resp.Brokers = []kmsg.MetadataResponseBroker{b}
	resp.ClusterID = kmsg.StringPtr(s.cfg.ClusterID)
	resp.ControllerID = s.cfg.NodeID
	// v0: an empty list means every topic; v1+: a null list does.
	all := req.Topics == nil || (req.Version == 0 && len(req.Topics) == 0)
	if all {
		topics, err := s.log.Topics(ctx)
		if err != nil {
			// No per-cluster error exists in Metadata: a log that cannot
			// list its topics closes the connection (clients retry).
			return nil, err
		}
		for _, t := range topics {
			resp.Topics = append(resp.Topics, metadataTopic(ctx, s, t.Name, req.Version))
		}
		return resp, nil
	}
	for _, rt := range req.Topics {
		if rt.Topic == nil {
			t := kmsg.NewMetadataResponseTopic()
			t.ErrorCode = kerr.UnknownTopicID.Code
			resp.Topics = append(resp.Topics, t)
			continue
		}
		resp.Topics = append(resp.Topics, metadataTopic(ctx, s, *rt.Topic, req.Version))
	}
	return resp, nil
}

// topicConfig turns CreateTopics configs into a broker.TopicConfig. Only
// the three settings the log has are understood; others are refused, as
// Kafka refuses unknown configs, except those that have no meaning on a
// single-replica log and that clients commonly send.
func topicConfig(partitions int32, configs []kmsg.CreateTopicsRequestTopicConfig) (broker.TopicConfig, error) {
	cfg := broker.TopicConfig{Partitions: partitions}
	for _, c := range configs {
		if c.Value == nil {
			continue
		}
		v := *c.Value
		var err error
		switch c.Name {
		case "retention.ms":
			cfg.RetentionMs, err = strconv.ParseInt(v, 10, 64)
		case "retention.bytes":
			cfg.RetentionBytes, err = strconv.ParseInt(v, 10, 64)
		case "cleanup.policy":
			if v != "delete" && v != "compact" {
				err = errors.New("must be delete or compact")
			}
			cfg.CleanupPolicy = v
		case "min.insync.replicas", "unclean.leader.election.enable":
		default:
			return cfg, fmt.Errorf("config %s is not supported by this broker", c.Name)
		}
		if err != nil {
			return cfg, fmt.Errorf("config %s=%q: %v", c.Name, v, err)
		}
	}
	return cfg, nil
}

func serveCreateTopics(ctx context.Context, s *Server, r kmsg.Request) (kmsg.Response, error) {
	req := r.(*kmsg.CreateTopicsRequest)
	resp := req.ResponseKind().(*kmsg.CreateTopicsResponse)
	for _, rt := range req.Topics {
		t := kmsg.NewCreateTopicsResponseTopic()
		t.Topic = rt.Topic
		fail := func(code int16, msg string) {
			t.ErrorCode, t.ErrorMessage = code, kmsg.StringPtr(msg)
		}
		partitions := rt.NumPartitions
		if partitions == -1 {
			partitions = 1
		}
		switch {
		case len(rt.ReplicaAssignment) > 0:
			fail(kerr.InvalidReplicaAssignment.Code, "manual replica assignment is not supported: this broker is the only replica")
		case rt.ReplicationFactor != 1 && rt.ReplicationFactor != -1:
			fail(kerr.InvalidReplicationFactor.Code, fmt.Sprintf("replication factor %d: this broker has one replica (use 1 or -1)", rt.ReplicationFactor))
		case partitions < 1:
			fail(kerr.InvalidPartitions.Code, fmt.Sprintf("number of partitions %d must be at least 1", rt.NumPartitions))
		case partitions > s.cfg.MaxPartitions:
			fail(kerr.InvalidPartitions.Code, tooManyPartitions(s, rt.Topic, partitions))
		default:
			cfg, err := topicConfig(partitions, rt.Configs)
			if err != nil {
				fail(kerr.InvalidConfig.Code, err.Error())
				break
			}
			if req.ValidateOnly {
				if _, err := s.log.Topic(ctx, rt.Topic); err == nil {
					fail(kerr.TopicAlreadyExists.Code, fmt.Sprintf("topic %s already exists", rt.Topic))
				}
			} else if err := s.log.CreateTopic(ctx, rt.Topic, cfg); err != nil {
				fail(errorCode(err), err.Error())
			}
			if t.ErrorCode == 0 {
				t.NumPartitions, t.ReplicationFactor = partitions, 1
			}
		}
		resp.Topics = append(resp.Topics, t)
	}
	return resp, nil
}

func serveDeleteTopics(ctx context.Context, s *Server, r kmsg.Request) (kmsg.Response, error) {
	req := r.(*kmsg.DeleteTopicsRequest)
	resp := req.ResponseKind().(*kmsg.DeleteTopicsResponse)
	for _, name := range req.TopicNames {
		t := kmsg.NewDeleteTopicsResponseTopic()
		t.Topic = kmsg.StringPtr(name)
		if s.internal(name) {
			t.ErrorCode, t.ErrorMessage = kerr.TopicAuthorizationFailed.Code, kmsg.StringPtr(internalTopicMessage(name, "delete"))
		} else if err := s.log.DeleteTopic(ctx, name); err != nil {
			t.ErrorCode, t.ErrorMessage = errorCode(err), kmsg.StringPtr(err.Error())
		}
		resp.Topics = append(resp.Topics, t)
	}
	return resp, nil
}
