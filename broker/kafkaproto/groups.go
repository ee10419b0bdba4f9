package kafkaproto

import (
	"context"
	"maps"
	"slices"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/ksqlgo/ksql/broker"
)

// Consumer group offsets. This broker is the coordinator of every group
// (FindCoordinator answers with itself). Committed positions live in the
// log (broker.Log.CommitOffsets/FetchOffsets), so they survive restarts;
// the log keeps the offset only, so the commit metadata string and leader
// epoch are not kept (OffsetFetch answers "" and -1). Membership
// (JoinGroup and the rest) is membership.go's: a group with members takes
// commits from its members of the current generation; a group without
// takes standalone commits (generation -1), as Kafka's.

// serveFindCoordinator answers v0-v3 (one key) and v4 (batched keys).
// This broker coordinates every consumer group (type 0) and, when its log
// keeps coordinator state, every transactional id (type 1, txn.go).
func serveFindCoordinator(_ context.Context, s *Server, r kmsg.Request) (kmsg.Response, error) {
	req := r.(*kmsg.FindCoordinatorRequest)
	resp := req.ResponseKind().(*kmsg.FindCoordinatorResponse)
	answer := func(key string) kmsg.FindCoordinatorResponseCoordinator {
		c := kmsg.NewFindCoordinatorResponseCoordinator()
		c.Key = key
		if req.CoordinatorType != 0 && (req.CoordinatorType != 1 || s.txns.store == nil) {
			c.NodeID, c.Port = -1, -1
			c.ErrorCode = kerr.InvalidRequest.Code
			c.ErrorMessage = kmsg.StringPtr("this broker coordinates consumer groups (coordinator type 0) and, over a log that keeps coordinator state, transactions (type 1)")
			return c
		}
		c.NodeID, c.Host, c.Port = s.cfg.NodeID, s.host, s.port
		return c
	}
	if req.Version >= 4 {
		for _, key := range req.CoordinatorKeys {
			resp.Coordinators = append(resp.Coordinators, answer(key))
		}
		return resp, nil
	}
	c := answer(req.CoordinatorKey)
	resp.NodeID, resp.Host, resp.Port, resp.ErrorCode, resp.ErrorMessage = c.NodeID, c.Host, c.Port, c.ErrorCode, c.ErrorMessage
	return resp, nil
}

// serveOffsetCommit records the offsets of every existing partition of
// the request in one broker.Log.CommitOffsets.
func serveOffsetCommit(ctx context.Context, s *Server, r kmsg.Request) (kmsg.Response, error) {
	req := r.(*kmsg.OffsetCommitRequest)
	resp := req.ResponseKind().(*kmsg.OffsetCommitResponse)
	groupCode := kerr.InvalidGroupID.Code
	if req.Group != "" {
		groupCode = s.groups.validateCommit(req.Group, req.Generation, req.MemberID, req.InstanceID)
	}
	offsets := map[broker.TopicPartition]int64{}
	var pending []*kmsg.OffsetCommitResponseTopicPartition
	for _, rt := range req.Topics {
		t := kmsg.NewOffsetCommitResponseTopic()
		t.Topic = rt.Topic
		t.Partitions = make([]kmsg.OffsetCommitResponseTopicPartition, len(rt.Partitions))
		for i, rp := range rt.Partitions {
			p := &t.Partitions[i]
			*p = kmsg.NewOffsetCommitResponseTopicPartition()
			p.Partition = rp.Partition
			if groupCode != 0 {
				p.ErrorCode = groupCode
				continue
			}
			if _, err := s.log.Offsets(ctx, rt.Topic, rp.Partition); err != nil {
				p.ErrorCode = errorCode(err)
				continue
			}
			offsets[broker.TopicPartition{Topic: rt.Topic, Partition: rp.Partition}] = rp.Offset
			pending = append(pending, p)
		}
		resp.Topics = append(resp.Topics, t)
	}
	if len(offsets) > 0 {
		if err := s.log.CommitOffsets(ctx, req.Group, offsets); err != nil {
			for _, p := range pending {
				p.ErrorCode = errorCode(err)
			}
		}
	}
	return resp, nil
}

// fetchedOffset is one partition's answer to OffsetFetch.
type fetchedOffset struct {
	partition int32
	offset    int64
}

// groupOffsets returns the committed offsets of group for the topics
// asked (nil: every committed partition), by topic in request order
// (sorted for all), partitions in request order (sorted for all); -1 for
// a partition with no commit.
func groupOffsets(ctx context.Context, s *Server, group string, topics []string, parts [][]int32, all bool) ([]string, [][]fetchedOffset, error) {
	committed, err := s.log.FetchOffsets(ctx, group)
	if err != nil {
		return nil, nil, err
	}
	if all {
		byTopic := map[string][]int32{}
		for tp := range committed {
			byTopic[tp.Topic] = append(byTopic[tp.Topic], tp.Partition)
		}
		topics, parts = nil, nil
		for t := range byTopic {
			topics = append(topics, t)
		}
		slices.Sort(topics)
		for _, t := range topics {
			ps := byTopic[t]
			slices.Sort(ps)
			parts = append(parts, ps)
		}
	}
	out := make([][]fetchedOffset, len(topics))
	for i, t := range topics {
		for _, p := range parts[i] {
			off, ok := committed[broker.TopicPartition{Topic: t, Partition: p}]
			if !ok {
				off = -1
			}
			out[i] = append(out[i], fetchedOffset{p, off})
		}
	}
	return topics, out, nil
}

// serveOffsetFetch answers v0-v7 (one group) and v8 (batched groups).
func serveOffsetFetch(ctx context.Context, s *Server, r kmsg.Request) (kmsg.Response, error) {
	req := r.(*kmsg.OffsetFetchRequest)
	resp := req.ResponseKind().(*kmsg.OffsetFetchResponse)
	empty := ""
	if req.Version >= 8 {
		for _, rg := range req.Groups {
			g := kmsg.NewOffsetFetchResponseGroup()
			g.Group = rg.Group
			var topics []string
			var parts [][]int32
			for _, rt := range rg.Topics {
				topics, parts = append(topics, rt.Topic), append(parts, rt.Partitions)
			}
			names, offs, err := groupOffsets(ctx, s, rg.Group, topics, parts, rg.Topics == nil)
			if err != nil {
				g.ErrorCode = errorCode(err)
			}
			for i, name := range names {
				t := kmsg.NewOffsetFetchResponseGroupTopic()
				t.Topic = name
				for _, o := range offs[i] {
					p := kmsg.NewOffsetFetchResponseGroupTopicPartition()
					p.Partition, p.Offset, p.LeaderEpoch, p.Metadata = o.partition, o.offset, -1, &empty
					t.Partitions = append(t.Partitions, p)
				}
				g.Topics = append(g.Topics, t)
			}
			resp.Groups = append(resp.Groups, g)
		}
		return resp, nil
	}
	var topics []string
	var parts [][]int32
	for _, rt := range req.Topics {
		topics, parts = append(topics, rt.Topic), append(parts, rt.Partitions)
	}
	names, offs, err := groupOffsets(ctx, s, req.Group, topics, parts, req.Version >= 2 && req.Topics == nil)
	if err != nil {
		resp.ErrorCode = errorCode(err)
	}
	for i, name := range names {
		t := kmsg.NewOffsetFetchResponseTopic()
		t.Topic = name
		for _, o := range offs[i] {
			p := kmsg.NewOffsetFetchResponseTopicPartition()
			p.Partition, p.Offset, p.LeaderEpoch, p.Metadata = o.partition, o.offset, -1, &empty
			if err != nil && req.Version < 2 {
				p.ErrorCode = errorCode(err)
			}
			t.Partitions = append(t.Partitions, p)
		}
		resp.Topics = append(resp.Topics, t)
	}
	return resp, nil
}

// serveListGroups lists the groups with members (in their states) and
// the groups that only have committed offsets (Empty); v4's state filter
// applies.
func serveListGroups(ctx context.Context, s *Server, r kmsg.Request) (kmsg.Response, error) {
	req := r.(*kmsg.ListGroupsRequest)
	resp := req.ResponseKind().(*kmsg.ListGroupsResponse)
	names, err := s.log.Groups(ctx)
	if err != nil {
		resp.ErrorCode = errorCode(err)
		return resp, nil
	}
	live := s.groups.states()
	for _, name := range names {
		if _, ok := live[name]; !ok {
			live[name] = groupSummary{state: groupEmpty, protocolType: "consumer"}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(live)) {
		sum := live[name]
		if !stateFilter(req.StatesFilter, sum.state) {
			continue
		}
		g := kmsg.NewListGroupsResponseGroup()
		g.Group, g.ProtocolType, g.GroupState = name, sum.protocolType, sum.state.String()
		resp.Groups = append(resp.Groups, g)
	}
	return resp, nil
}
