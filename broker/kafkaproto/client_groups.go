package kafkaproto

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/ksqlgo/ksql/broker"
)

// Consumer group positions: standalone commits (generation -1, no
// member), as a consumer that assigns its partitions itself makes them.
// franz-go sends each request to the group's coordinator.

// CommitOffsets implements broker.Log with OffsetCommit.
func (l *ClientLog) CommitOffsets(ctx context.Context, group string, offsets map[broker.TopicPartition]int64) error {
	if err := l.enter(); err != nil {
		return err
	}
	if len(offsets) == 0 {
		return nil
	}
	req := kmsg.NewPtrOffsetCommitRequest()
	req.Group = group
	req.Generation = -1
	req.RetentionTimeMillis = -1
	byTopic := map[string]int{}
	for tp, off := range offsets {
		i, ok := byTopic[tp.Topic]
		if !ok {
			i = len(req.Topics)
			byTopic[tp.Topic] = i
			t := kmsg.NewOffsetCommitRequestTopic()
			t.Topic = tp.Topic
			req.Topics = append(req.Topics, t)
		}
		p := kmsg.NewOffsetCommitRequestTopicPartition()
		p.Partition = tp.Partition
		p.Offset = off
		p.LeaderEpoch = -1
		req.Topics[i].Partitions = append(req.Topics[i].Partitions, p)
	}
	what := "commit positions of group " + group
	resp, err := req.RequestWith(ctx, l.cl)
	if err != nil {
		return l.netErr(ctx, what, err)
	}
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
				return fmt.Errorf("kafka: %s: %s-%d: %w", what, t.Topic, p.Partition, err)
			}
		}
	}
	return nil
}

// FetchOffsets implements broker.Log with OffsetFetch, asking for stable
// positions (KIP-447): while a transaction holding positions of the group
// is neither committed nor aborted, the coordinator answers
// UNSTABLE_OFFSET_COMMIT and FetchOffsets asks again, so it never returns
// a position that a pending transaction is about to replace.
func (l *ClientLog) FetchOffsets(ctx context.Context, group string) (map[broker.TopicPartition]int64, error) {
	if err := l.enter(); err != nil {
		return nil, err
	}
	what := "fetch positions of group " + group
	for attempt := 0; ; attempt++ {
		req := kmsg.NewPtrOffsetFetchRequest()
		req.RequireStable = true
		g := kmsg.NewOffsetFetchRequestGroup()
		g.Group = group
		g.Topics = nil // all
		req.Groups = []kmsg.OffsetFetchRequestGroup{g}
		req.Group = group // before v8
		resp, err := req.RequestWith(ctx, l.cl)
		if err != nil {
			return nil, l.netErr(ctx, what, err)
		}
		out, err := offsetFetchResult(resp)
		if errors.Is(err, kerr.UnstableOffsetCommit) {
			if err := l.backoff(ctx, min(attempt, 3)); err != nil {
				return nil, l.netErr(ctx, what, err)
			}
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("kafka: %s: %w", what, err)
		}
		return out, nil
	}
}

// offsetFetchResult reads an OffsetFetch answer for one group, in the
// batched (v8+) or the old form.
func offsetFetchResult(resp *kmsg.OffsetFetchResponse) (map[broker.TopicPartition]int64, error) {
	out := map[broker.TopicPartition]int64{}
	add := func(topic string, partition int32, off int64, code int16) error {
		if err := kerr.ErrorForCode(code); err != nil {
			return fmt.Errorf("%s-%d: %w", topic, partition, err)
		}
		if off >= 0 {
			out[broker.TopicPartition{Topic: topic, Partition: partition}] = off
		}
		return nil
	}
	if len(resp.Groups) > 0 {
		g := resp.Groups[0]
		if err := kerr.ErrorForCode(g.ErrorCode); errors.Is(err, kerr.GroupIDNotFound) {
			return out, nil // no positions
		} else if err != nil {
			return nil, err
		}
		for _, t := range g.Topics {
			for _, p := range t.Partitions {
				if err := add(t.Topic, p.Partition, p.Offset, p.ErrorCode); err != nil {
					return nil, err
				}
			}
		}
		return out, nil
	}
	if err := kerr.ErrorForCode(resp.ErrorCode); errors.Is(err, kerr.GroupIDNotFound) {
		return out, nil
	} else if err != nil {
		return nil, err
	}
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			if err := add(t.Topic, p.Partition, p.Offset, p.ErrorCode); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// Groups implements broker.Log with ListGroups (sent to every broker),
// sorted. It lists every group the cluster knows, including those of
// other consumers.
func (l *ClientLog) Groups(ctx context.Context) ([]string, error) {
	if err := l.enter(); err != nil {
		return nil, err
	}
	req := kmsg.NewPtrListGroupsRequest()
	resp, err := req.RequestWith(ctx, l.cl)
	if err != nil {
		return nil, l.netErr(ctx, "list groups", err)
	}
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		return nil, fmt.Errorf("kafka: list groups: %w", err)
	}
	var out []string
	for _, g := range resp.Groups {
		out = append(out, g.Group)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}
