package kafkaproto

import (
	"context"
	"slices"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/ksqlgo/ksql/broker"
)

// Consumer group offsets. This broker is the coordinator of every group
// (FindCoordinator answers with itself). Committed positions live in the
// log (broker.Log.CommitOffsets/FetchOffsets), so they survive restarts;
// the log keeps the offset only, so the commit metadata string and leader
// epoch are not kept (OffsetFetch answers "" and -1). Group membership
// (JoinGroup and the rest) is not served yet: commits are accepted from
// standalone consumers (generation -1, no member id, as Kafka accepts them
// for a group with no members), and every group is listed as Empty.

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
	groupCode := int16(0)
	switch {
	case req.Group == "":
		groupCode = kerr.InvalidGroupID.Code
	case req.Version >= 1 && (req.Generation >= 0 || req.MemberID != ""):
		// No group has members here: a member id is unknown.
		groupCode = kerr.UnknownMemberID.Code
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

// serveListGroups lists the groups that have committed offsets, all
// Empty (no members) consumer groups; v4's state filter applies.
func serveListGroups(ctx context.Context, s *Server, r kmsg.Request) (kmsg.Response, error) {
	req := r.(*kmsg.ListGroupsRequest)
	resp := req.ResponseKind().(*kmsg.ListGroupsResponse)
	if len(req.StatesFilter) > 0 && !slices.ContainsFunc(req.StatesFilter, func(st string) bool { return strings.EqualFold(st, "Empty") }) {
		return resp, nil
	}
	names, err := s.log.Groups(ctx)
	if err != nil {
		resp.ErrorCode = errorCode(err)
		return resp, nil
	}
	for _, name := range names {
		g := kmsg.NewListGroupsResponseGroup()
		g.Group, g.ProtocolType, g.GroupState = name, "consumer", "Empty"
		resp.Groups = append(resp.Groups, g)
	}
	return resp, nil
}
