package kafkaproto

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/ksqlgo/ksql/broker"
)

// serveCreatePartitions grows topics with broker.PartitionAdder. Count is
// the new total, which must exceed the current one (INVALID_PARTITIONS
// otherwise, as Kafka answers); an assignment, if given, must name one
// replica per new partition, this broker. validate_only checks and
// changes nothing. A topic named twice is refused (INVALID_REQUEST).
func serveCreatePartitions(ctx context.Context, s *Server, r kmsg.Request) (kmsg.Response, error) {
	req := r.(*kmsg.CreatePartitionsRequest)
	resp := req.ResponseKind().(*kmsg.CreatePartitionsResponse)
	adder, _ := s.log.(broker.PartitionAdder)
	seen := make(map[string]int, len(req.Topics))
	for _, rt := range req.Topics {
		seen[rt.Topic]++
	}
	for _, rt := range req.Topics {
		t := kmsg.NewCreatePartitionsResponseTopic()
		t.Topic = rt.Topic
		if code, msg := createPartitions(ctx, s, adder, req.ValidateOnly, seen[rt.Topic] > 1, rt); code != 0 {
			t.ErrorCode, t.ErrorMessage = code, kmsg.StringPtr(msg)
		}
		resp.Topics = append(resp.Topics, t)
	}
	return resp, nil
}

func createPartitions(ctx context.Context, s *Server, adder broker.PartitionAdder, validateOnly, duplicate bool, rt kmsg.CreatePartitionsRequestTopic) (int16, string) {
	if duplicate {
		return kerr.InvalidRequest.Code, fmt.Sprintf("topic %s is named more than once in the request", rt.Topic)
	}
	if adder == nil {
		return kerr.InvalidRequest.Code, "this broker's log cannot add partitions"
	}
	if s.internal(rt.Topic) {
		return kerr.TopicAuthorizationFailed.Code, internalTopicMessage(rt.Topic, "add partitions to")
	}
	info, err := s.log.Topic(ctx, rt.Topic)
	if err != nil {
		return errorCode(err), err.Error()
	}
	have := info.Config.Partitions
	switch {
	case rt.Count == have:
		return kerr.InvalidPartitions.Code, fmt.Sprintf("topic %s already has %d partitions", rt.Topic, have)
	case rt.Count < have:
		return kerr.InvalidPartitions.Code, fmt.Sprintf("topic %s has %d partitions, more than the %d asked for: partitions can only be added", rt.Topic, have, rt.Count)
	case rt.Count > s.cfg.MaxPartitions:
		return kerr.InvalidPartitions.Code, tooManyPartitions(s, rt.Topic, rt.Count)
	}
	if rt.Assignment != nil {
		if len(rt.Assignment) != int(rt.Count-have) {
			return kerr.InvalidReplicaAssignment.Code, fmt.Sprintf("the assignment names %d new partitions, but %d are added", len(rt.Assignment), rt.Count-have)
		}
		for i, a := range rt.Assignment {
			if len(a.Replicas) != 1 || a.Replicas[0] != s.cfg.NodeID {
				return kerr.InvalidReplicaAssignment.Code, fmt.Sprintf("new partition %d is assigned to brokers %v: this broker (node %d) is the only replica", int(have)+i, a.Replicas, s.cfg.NodeID)
			}
		}
	}
	if validateOnly {
		return 0, ""
	}
	if err := adder.AddPartitions(ctx, rt.Topic, rt.Count); err != nil {
		if errors.Is(err, broker.ErrInvalidPartitions) {
			// The topic grew concurrently.
			return kerr.InvalidPartitions.Code, err.Error()
		}
		return errorCode(err), err.Error()
	}
	return 0, ""
}
