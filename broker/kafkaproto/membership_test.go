package kafkaproto_test

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/broker/embedded"
	"github.com/ksqlgo/ksql/broker/kafkaproto"
)

// groupConfig has small group timeouts so that tests do not wait out
// Kafka's defaults; no test depends on how long anything takes.
func groupConfig() kafkaproto.Config {
	return kafkaproto.Config{GroupInitialRebalanceDelay: 50 * time.Millisecond, GroupMinSessionTimeout: 10 * time.Millisecond}
}

func startBrokerWith(t *testing.T, cfg kafkaproto.Config) *testBroker {
	t.Helper()
	return startAdminBroker(t, cfg, embedded.Options{})
}

// groupMember is a kgo consumer in a group, tracking the partitions its
// hooks say it owns and the records it polls.
type groupMember struct {
	cl   *kgo.Client
	mu   sync.Mutex
	owns map[int32]bool
	seen map[int32]map[int64]bool
	stop func() // closes the client (leaving the group) and ends polling
}

func joinGroup(t *testing.T, b *testBroker, group, topic string, balancer kgo.GroupBalancer, extra ...kgo.Opt) *groupMember {
	t.Helper()
	m := &groupMember{owns: map[int32]bool{}, seen: map[int32]map[int64]bool{}}
	track := func(add bool) func(context.Context, *kgo.Client, map[string][]int32) {
		return func(_ context.Context, _ *kgo.Client, ps map[string][]int32) {
			m.mu.Lock()
			defer m.mu.Unlock()
			for _, p := range ps[topic] {
				if add {
					m.owns[p] = true
				} else {
					delete(m.owns, p)
				}
			}
		}
	}
	opts := append([]kgo.Opt{
		kgo.SeedBrokers(b.addr), kgo.RetryTimeout(10 * time.Second),
		kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic), kgo.Balancers(balancer),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.SessionTimeout(3 * time.Second), kgo.HeartbeatInterval(50 * time.Millisecond), kgo.RebalanceTimeout(5 * time.Second),
		kgo.OnPartitionsAssigned(track(true)), kgo.OnPartitionsRevoked(track(false)), kgo.OnPartitionsLost(track(false)),
	}, extra...)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		t.Fatal(err)
	}
	m.cl = cl
	polled := make(chan struct{})
	go func() {
		defer close(polled)
		for {
			fs := cl.PollFetches(context.Background())
			if fs.IsClientClosed() {
				return
			}
			fs.EachRecord(func(r *kgo.Record) {
				m.mu.Lock()
				if m.seen[r.Partition] == nil {
					m.seen[r.Partition] = map[int64]bool{}
				}
				m.seen[r.Partition][r.Offset] = true
				m.mu.Unlock()
			})
		}
	}()
	var once sync.Once
	m.stop = func() { once.Do(func() { cl.Close(); <-polled }) }
	t.Cleanup(m.stop)
	return m
}

func (m *groupMember) owned() []int32 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Sorted(maps.Keys(m.owns))
}

// describe returns the group as DescribeGroups shows it: state and each
// member's assigned partitions of topic (decoded from the assignment the
// leader sent), by member id.
func describe(t *testing.T, ctx context.Context, cl *kgo.Client, group, topic string) (string, map[string][]int32) {
	t.Helper()
	req := kmsg.NewPtrDescribeGroupsRequest()
	req.Groups = []string{group}
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	g := resp.Groups[0]
	if g.ErrorCode != 0 {
		t.Fatalf("DescribeGroups %s: %v", group, kerr.ErrorForCode(g.ErrorCode))
	}
	members := map[string][]int32{}
	for _, m := range g.Members {
		var a kmsg.ConsumerMemberAssignment
		if len(m.MemberAssignment) > 0 {
			if err := a.ReadFrom(m.MemberAssignment); err != nil {
				t.Fatalf("member %s assignment: %v", m.MemberID, err)
			}
		}
		members[m.MemberID] = []int32{}
		for _, at := range a.Topics {
			if at.Topic == topic {
				members[m.MemberID] = append(members[m.MemberID], at.Partitions...)
			}
		}
		slices.Sort(members[m.MemberID])
	}
	return g.State, members
}

// awaitBalanced polls until the group is Stable with one member per
// consumer, every partition of topic assigned to exactly one member,
// every member owning some, and each consumer's own view (its hooks)
// being one member's assignment. It returns the assignments.
func awaitBalanced(t *testing.T, ctx context.Context, admin *kgo.Client, group, topic string, partitions int32, consumers ...*groupMember) map[string][]int32 {
	t.Helper()
	var last string
	for ctx.Err() == nil {
		state, members := describe(t, ctx, admin, group, topic)
		last = fmt.Sprintf("state %s, members %v", state, members)
		var broker, client []string
		count := map[int32]int{}
		ok := state == "Stable" && len(members) == len(consumers)
		for _, ps := range members {
			ok = ok && len(ps) > 0
			broker = append(broker, fmt.Sprint(ps))
			for _, p := range ps {
				count[p]++
			}
		}
		for p := range partitions {
			ok = ok && count[p] == 1
		}
		for _, c := range consumers {
			client = append(client, fmt.Sprint(c.owned()))
		}
		slices.Sort(broker)
		slices.Sort(client)
		last += fmt.Sprintf("; consumers own %v", client)
		if ok && slices.Equal(broker, client) {
			return members
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("group %s never balanced over %d consumers: %s", group, len(consumers), last)
	return nil
}

// produceN produces n records round-robin over the partitions.
func produceN(t *testing.T, ctx context.Context, cl *kgo.Client, topic string, partitions int32, n int) {
	t.Helper()
	var recs []*kgo.Record
	for i := range n {
		recs = append(recs, &kgo.Record{Topic: topic, Partition: int32(i) % partitions, Value: fmt.Appendf(nil, "v%d", i)})
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// awaitAllSeen polls until the consumers together have seen every offset
// below end of every partition.
func awaitAllSeen(t *testing.T, ctx context.Context, end map[int32]int64, consumers ...*groupMember) {
	t.Helper()
	missing := func() []string {
		var out []string
		for p, e := range end {
			for o := range e {
				if !slices.ContainsFunc(consumers, func(c *groupMember) bool {
					c.mu.Lock()
					defer c.mu.Unlock()
					return c.seen[p][o]
				}) {
					out = append(out, fmt.Sprintf("%d@%d", p, o))
				}
			}
		}
		return out
	}
	for ctx.Err() == nil {
		if len(missing()) == 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("records never consumed by the group: %v", missing())
}

// TestConsumerGroupRebalances runs kgo group consumers with each of
// kgo's balancers (eager range and round robin, cooperative sticky) over
// a 6-partition topic: one member, a second and a third joining, the
// third leaving; after each change every partition is assigned exactly
// once, as both the coordinator and the consumers see it, and every
// record reaches the group.
func TestConsumerGroupRebalances(t *testing.T) {
	const partitions = 6
	for name, balancer := range map[string]kgo.GroupBalancer{
		"range": kgo.RangeBalancer(), "roundrobin": kgo.RoundRobinBalancer(), "cooperative-sticky": kgo.CooperativeStickyBalancer(),
	} {
		t.Run(name, func(t *testing.T) {
			b := startBrokerWith(t, groupConfig())
			ctx := testCtx(t)
			if err := b.log.CreateTopic(ctx, "t", broker.TopicConfig{Partitions: partitions}); err != nil {
				t.Fatal(err)
			}
			admin := b.client(t, kgo.RecordPartitioner(kgo.ManualPartitioner()))
			produceN(t, ctx, admin, "t", partitions, 60)
			end := map[int32]int64{0: 10, 1: 10, 2: 10, 3: 10, 4: 10, 5: 10}

			a := joinGroup(t, b, "g", "t", balancer)
			awaitBalanced(t, ctx, admin, "g", "t", partitions, a)
			awaitAllSeen(t, ctx, end, a)

			bb := joinGroup(t, b, "g", "t", balancer)
			awaitBalanced(t, ctx, admin, "g", "t", partitions, a, bb)
			c := joinGroup(t, b, "g", "t", balancer)
			assigned := awaitBalanced(t, ctx, admin, "g", "t", partitions, a, bb, c)
			for id, ps := range assigned {
				if len(ps) != 2 {
					t.Fatalf("three members over six partitions: %s has %v", id, ps)
				}
			}
			produceN(t, ctx, admin, "t", partitions, 60)
			for p := range end {
				end[p] = 20
			}
			awaitAllSeen(t, ctx, end, a, bb, c)

			c.stop() // LeaveGroup
			awaitBalanced(t, ctx, admin, "g", "t", partitions, a, bb)
			produceN(t, ctx, admin, "t", partitions, 60)
			for p := range end {
				end[p] = 30
			}
			awaitAllSeen(t, ctx, end, a, bb)

			lresp, err := kmsg.NewPtrListGroupsRequest().RequestWith(ctx, admin)
			if err != nil {
				t.Fatal(err)
			}
			if len(lresp.Groups) != 1 || lresp.Groups[0].Group != "g" || lresp.Groups[0].GroupState != "Stable" || lresp.Groups[0].ProtocolType != "consumer" {
				t.Fatalf("ListGroups: %+v", lresp.Groups)
			}
		})
	}
}

// TestConsumerGroupResumesAtCommits: a member commits part of what it
// consumed and leaves; a new member of the group starts at the commits.
func TestConsumerGroupResumesAtCommits(t *testing.T) {
	b := startBrokerWith(t, groupConfig())
	ctx := testCtx(t)
	if err := b.log.CreateTopic(ctx, "t", broker.TopicConfig{Partitions: 3}); err != nil {
		t.Fatal(err)
	}
	admin := b.client(t, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	produceN(t, ctx, admin, "t", 3, 30)

	first := b.client(t, kgo.ConsumerGroup("resume"), kgo.ConsumeTopics("t"), kgo.DisableAutoCommit(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.HeartbeatInterval(50*time.Millisecond))
	var commit []*kgo.Record
	for _, r := range consume(t, ctx, first, 30) {
		if r.Offset < 4 {
			commit = append(commit, r)
		}
	}
	if err := first.CommitRecords(ctx, commit...); err != nil {
		t.Fatalf("commit as a member: %v", err)
	}
	first.Close() // leaves the group
	produceN(t, ctx, admin, "t", 3, 30)

	second := b.client(t, kgo.ConsumerGroup("resume"), kgo.ConsumeTopics("t"), kgo.DisableAutoCommit(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.HeartbeatInterval(50*time.Millisecond))
	got := map[int32][]int64{}
	for _, r := range consume(t, ctx, second, 3*16) {
		got[r.Partition] = append(got[r.Partition], r.Offset)
	}
	for p := range int32(3) {
		want := []int64{}
		for o := int64(4); o < 20; o++ {
			want = append(want, o)
		}
		if !slices.Equal(got[p], want) {
			t.Fatalf("partition %d resumed with offsets %v, want 4..19", p, got[p])
		}
	}
}

// rawMember speaks the group protocol on its own connection, at chosen
// versions. send and recv are split so that a test can leave a request
// waiting on the coordinator (a JoinGroup, a follower's SyncGroup) while
// other members act.
type rawMember struct {
	rc   *rawConn
	corr int32
	id   string
	gen  int32
}

func newRawMember(t *testing.T, b *testBroker) *rawMember { return &rawMember{rc: dialRaw(t, b)} }

func (m *rawMember) send(req kmsg.Request, version int16) int32 {
	m.corr++
	m.rc.send(request(req, version, m.corr))
	return m.corr
}

func (m *rawMember) recv(corr int32, resp kmsg.Response, version int16) {
	m.rc.t.Helper()
	b := m.rc.response(corr)
	resp.SetVersion(version)
	if resp.IsFlexible() {
		b = b[1:] // response header v1 tags
	}
	if err := resp.ReadFrom(b); err != nil {
		m.rc.t.Fatalf("decoding %T v%d: %v", resp, version, err)
	}
}

func (m *rawMember) do(req kmsg.Request, version int16) kmsg.Response {
	m.rc.t.Helper()
	resp := req.ResponseKind()
	m.recv(m.send(req, version), resp, version)
	return resp
}

func joinReq(group, memberID string, session time.Duration, protocolType string, protocols ...string) *kmsg.JoinGroupRequest {
	req := kmsg.NewPtrJoinGroupRequest()
	req.Group, req.MemberID, req.ProtocolType = group, memberID, protocolType
	req.SessionTimeoutMillis = int32(session / time.Millisecond)
	req.RebalanceTimeoutMillis = 10_000
	for _, name := range protocols {
		p := kmsg.NewJoinGroupRequestProtocol()
		p.Name, p.Metadata = name, []byte("meta-"+name)
		req.Protocols = append(req.Protocols, p)
	}
	return req
}

func (m *rawMember) sendJoin(req *kmsg.JoinGroupRequest, version int16) int32 {
	return m.send(req, version)
}

func (m *rawMember) recvJoin(corr int32, version int16) *kmsg.JoinGroupResponse {
	resp := kmsg.NewPtrJoinGroupResponse()
	m.recv(corr, resp, version)
	if resp.ErrorCode == 0 {
		m.id, m.gen = resp.MemberID, resp.Generation
	}
	return resp
}

func (m *rawMember) heartbeat(group string, gen int32, id string) int16 {
	req := kmsg.NewPtrHeartbeatRequest()
	req.Group, req.Generation, req.MemberID = group, gen, id
	return m.do(req, 4).(*kmsg.HeartbeatResponse).ErrorCode
}

func syncReq(group string, gen int32, id string, assignments map[string]string) *kmsg.SyncGroupRequest {
	req := kmsg.NewPtrSyncGroupRequest()
	req.Group, req.Generation, req.MemberID = group, gen, id
	for _, mid := range slices.Sorted(maps.Keys(assignments)) {
		a := kmsg.NewSyncGroupRequestGroupAssignment()
		a.MemberID, a.MemberAssignment = mid, []byte(assignments[mid])
		req.GroupAssignment = append(req.GroupAssignment, a)
	}
	return req
}

func (m *rawMember) commit(group string, gen int32, id string) int16 {
	req := offsetCommit(group, map[string]map[int32]int64{"t": {0: 1}})
	req.Generation, req.MemberID = gen, id
	return m.do(req, 8).(*kmsg.OffsetCommitResponse).Topics[0].Partitions[0].ErrorCode
}

func describeRaw(m *rawMember, group string) kmsg.DescribeGroupsResponseGroup {
	req := kmsg.NewPtrDescribeGroupsRequest()
	req.Groups = []string{group}
	return m.do(req, 5).(*kmsg.DescribeGroupsResponse).Groups[0]
}

func wantCode(t *testing.T, what string, got int16, want *kerr.Error) {
	t.Helper()
	var wantCode int16
	if want != nil {
		wantCode = want.Code
	}
	if got != wantCode {
		t.Fatalf("%s: %v, want %v", what, kerr.ErrorForCode(got), want)
	}
}

// TestGroupProtocolRaw walks a group through its states with raw
// requests: the MEMBER_ID_REQUIRED round trip, the leader's and a
// follower's JoinGroup and SyncGroup, the protocol vote, heartbeats and
// commits in every state (REBALANCE_IN_PROGRESS, ILLEGAL_GENERATION,
// UNKNOWN_MEMBER_ID), inconsistent protocols, the group size bound,
// a batched LeaveGroup and a session that expires.
func TestGroupProtocolRaw(t *testing.T) {
	cfg := groupConfig()
	cfg.GroupInitialRebalanceDelay = -1 // none: the first join completes at once
	cfg.GroupMaxSize = 2
	b := startBrokerWith(t, cfg)
	ctx := testCtx(t)
	if err := b.log.CreateTopic(ctx, "t", broker.TopicConfig{Partitions: 1}); err != nil {
		t.Fatal(err)
	}
	const g = "raw"
	a, bm, other := newRawMember(t, b), newRawMember(t, b), newRawMember(t, b)

	// v4+: the first join hands out a member id to join with.
	resp := a.recvJoin(a.sendJoin(joinReq(g, "", 10*time.Second, "consumer", "range", "roundrobin"), 9), 9)
	wantCode(t, "first join v9", resp.ErrorCode, kerr.MemberIDRequired)
	if !strings.HasPrefix(resp.MemberID, "test-") {
		t.Fatalf("member id %q: want the client id, a dash, a UUID", resp.MemberID)
	}
	resp = a.recvJoin(a.sendJoin(joinReq(g, resp.MemberID, 10*time.Second, "consumer", "range", "roundrobin"), 9), 9)
	wantCode(t, "join with the given id", resp.ErrorCode, nil)
	if resp.Generation != 1 || resp.LeaderID != a.id || len(resp.Members) != 1 || *resp.Protocol != "range" || *resp.ProtocolType != "consumer" ||
		string(resp.Members[0].ProtocolMetadata) != "meta-range" {
		t.Fatalf("leader's join: %+v", resp)
	}
	sresp := a.do(syncReq(g, 1, a.id, map[string]string{a.id: "all of it"}), 5).(*kmsg.SyncGroupResponse)
	if sresp.ErrorCode != 0 || string(sresp.MemberAssignment) != "all of it" || *sresp.Protocol != "range" {
		t.Fatalf("leader's sync: %+v", sresp)
	}
	d := describeRaw(other, g)
	if d.State != "Stable" || d.Protocol != "range" || len(d.Members) != 1 || d.Members[0].ClientID != "test" || d.Members[0].ClientHost != "/127.0.0.1" ||
		string(d.Members[0].MemberAssignment) != "all of it" || string(d.Members[0].ProtocolMetadata) != "meta-range" {
		t.Fatalf("DescribeGroups of a stable group: %+v", d)
	}

	wantCode(t, "heartbeat", a.heartbeat(g, 1, a.id), nil)
	wantCode(t, "heartbeat of another generation", a.heartbeat(g, 7, a.id), kerr.IllegalGeneration)
	wantCode(t, "heartbeat of an unknown member", a.heartbeat(g, 1, "nobody"), kerr.UnknownMemberID)
	wantCode(t, "heartbeat in an unknown group", a.heartbeat("nogroup", 1, a.id), kerr.UnknownMemberID)
	wantCode(t, "member's commit", a.commit(g, 1, a.id), nil)
	wantCode(t, "commit of another generation", a.commit(g, 2, a.id), kerr.IllegalGeneration)
	wantCode(t, "commit of an unknown member", a.commit(g, 1, "nobody"), kerr.UnknownMemberID)
	wantCode(t, "standalone commit to a group with members", a.commit(g, -1, ""), kerr.UnknownMemberID)
	wantCode(t, "sync of an unknown member", a.do(syncReq(g, 1, "nobody", nil), 3).(*kmsg.SyncGroupResponse).ErrorCode, kerr.UnknownMemberID)
	wantCode(t, "sync of another generation", a.do(syncReq(g, 3, a.id, nil), 3).(*kmsg.SyncGroupResponse).ErrorCode, kerr.IllegalGeneration)

	// Protocols the group cannot share are refused (v0-v3 join at once,
	// without MEMBER_ID_REQUIRED).
	wantCode(t, "join with another protocol type", other.recvJoin(other.sendJoin(joinReq(g, "", 10*time.Second, "connect", "range"), 0), 0).ErrorCode, kerr.InconsistentGroupProtocol)
	wantCode(t, "join with no shared protocol", other.recvJoin(other.sendJoin(joinReq(g, "", 10*time.Second, "consumer", "sticky"), 3), 3).ErrorCode, kerr.InconsistentGroupProtocol)
	wantCode(t, "join with a session below the minimum", other.recvJoin(other.sendJoin(joinReq(g, "", time.Millisecond, "consumer", "range"), 3), 3).ErrorCode, kerr.InvalidSessionTimeout)

	// A second member joins: the group prepares a rebalance and waits
	// for the first to rejoin.
	bJoin := bm.sendJoin(joinReq(g, "", 10*time.Second, "consumer", "roundrobin", "range"), 3)
	for describeRaw(other, g).State != "PreparingRebalance" {
		if ctx.Err() != nil {
			t.Fatal("the group never prepared a rebalance")
		}
		time.Sleep(5 * time.Millisecond)
	}
	wantCode(t, "heartbeat during the rebalance", a.heartbeat(g, 1, a.id), kerr.RebalanceInProgress)
	wantCode(t, "sync during the rebalance", a.do(syncReq(g, 1, a.id, nil), 1).(*kmsg.SyncGroupResponse).ErrorCode, kerr.RebalanceInProgress)
	wantCode(t, "commit while preparing a rebalance", a.commit(g, 1, a.id), nil)
	aJoin := a.sendJoin(joinReq(g, a.id, 10*time.Second, "consumer", "range", "roundrobin"), 7)
	aResp, bResp := a.recvJoin(aJoin, 7), bm.recvJoin(bJoin, 3)
	// One vote each: the leader's preference breaks the tie.
	if aResp.ErrorCode != 0 || aResp.Generation != 2 || aResp.LeaderID != a.id || len(aResp.Members) != 2 || *aResp.Protocol != "range" {
		t.Fatalf("leader's rejoin: %+v", aResp)
	}
	if bResp.ErrorCode != 0 || bResp.Generation != 2 || bResp.LeaderID != a.id || len(bResp.Members) != 0 || *bResp.Protocol != "range" {
		t.Fatalf("follower's join: %+v", bResp)
	}

	// CompletingRebalance: the follower's sync waits for the leader's.
	bSync := bm.send(syncReq(g, 2, bm.id, nil), 5)
	wantCode(t, "commit before the assignment", a.commit(g, 2, a.id), kerr.RebalanceInProgress)
	wantCode(t, "heartbeat before the assignment", a.heartbeat(g, 2, a.id), nil)
	if st := describeRaw(other, g).State; st != "CompletingRebalance" {
		t.Fatalf("state %s, want CompletingRebalance", st)
	}
	sresp = a.do(syncReq(g, 2, a.id, map[string]string{a.id: "for a", bm.id: "for b"}), 5).(*kmsg.SyncGroupResponse)
	fresp := kmsg.NewPtrSyncGroupResponse()
	bm.recv(bSync, fresp, 5)
	if sresp.ErrorCode != 0 || string(sresp.MemberAssignment) != "for a" || fresp.ErrorCode != 0 || string(fresp.MemberAssignment) != "for b" {
		t.Fatalf("assignments: leader %+v, follower %+v", sresp, fresp)
	}
	wantCode(t, "sync of the last generation", bm.do(syncReq(g, 1, bm.id, nil), 5).(*kmsg.SyncGroupResponse).ErrorCode, kerr.IllegalGeneration)
	wantCode(t, "a third member over the group size", other.recvJoin(other.sendJoin(joinReq(g, "", 10*time.Second, "consumer", "range"), 3), 3).ErrorCode, kerr.GroupMaxSizeReached)

	list := kmsg.NewPtrListGroupsRequest()
	list.StatesFilter = []string{"stable"}
	lresp := other.do(list, 4).(*kmsg.ListGroupsResponse)
	if len(lresp.Groups) != 1 || lresp.Groups[0].Group != g || lresp.Groups[0].GroupState != "Stable" {
		t.Fatalf("ListGroups Stable: %+v", lresp.Groups)
	}
	list.StatesFilter = []string{"Empty"}
	if lresp = other.do(list, 4).(*kmsg.ListGroupsResponse); len(lresp.Groups) != 0 {
		t.Fatalf("ListGroups Empty: %+v", lresp.Groups)
	}

	// One LeaveGroup for the follower and a member that does not exist.
	leave := kmsg.NewPtrLeaveGroupRequest()
	leave.Group = g
	for _, id := range []string{bm.id, "nobody"} {
		lm := kmsg.NewLeaveGroupRequestMember()
		lm.MemberID = id
		leave.Members = append(leave.Members, lm)
	}
	lv := other.do(leave, 5).(*kmsg.LeaveGroupResponse)
	if lv.ErrorCode != 0 || len(lv.Members) != 2 || lv.Members[0].ErrorCode != 0 || lv.Members[1].ErrorCode != kerr.UnknownMemberID.Code {
		t.Fatalf("LeaveGroup v5: %+v", lv)
	}
	wantCode(t, "heartbeat after a member left", a.heartbeat(g, 2, a.id), kerr.RebalanceInProgress)
	resp = a.recvJoin(a.sendJoin(joinReq(g, a.id, 200*time.Millisecond, "consumer", "range"), 9), 9)
	if resp.ErrorCode != 0 || resp.Generation != 3 || len(resp.Members) != 1 {
		t.Fatalf("rejoin alone: %+v", resp)
	}

	// The member stops: its session (or its missing SyncGroup) ends it.
	// The group keeps its commits, so it is Empty.
	for {
		d := describeRaw(other, g)
		if d.State == "Empty" && len(d.Members) == 0 {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("the silent member was never removed: %+v", d)
		}
		time.Sleep(10 * time.Millisecond)
	}
	wantCode(t, "heartbeat of a removed member", a.heartbeat(g, 3, a.id), kerr.UnknownMemberID)
	wantCode(t, "standalone commit to an empty group", a.commit(g, -1, ""), nil)
	if d := describeRaw(other, "never"); d.State != "Dead" || d.ErrorCode != 0 {
		t.Fatalf("DescribeGroups of an unknown group: %+v", d)
	}
}

// TestGroupInitialRebalanceDelay: members that join an empty group
// within the delay share the first generation.
func TestGroupInitialRebalanceDelay(t *testing.T) {
	cfg := groupConfig()
	cfg.GroupInitialRebalanceDelay = time.Hour // bounded by the members' rebalance timeout
	b := startBrokerWith(t, cfg)
	a, bm := newRawMember(t, b), newRawMember(t, b)
	ja := joinReq("delayed", "", 10*time.Second, "consumer", "range")
	jb := joinReq("delayed", "", 10*time.Second, "consumer", "range")
	ja.RebalanceTimeoutMillis, jb.RebalanceTimeoutMillis = 2000, 2000
	ca, cb := a.sendJoin(ja, 3), bm.sendJoin(jb, 3)
	ra, rb := a.recvJoin(ca, 3), bm.recvJoin(cb, 3)
	if ra.ErrorCode != 0 || rb.ErrorCode != 0 || ra.Generation != 1 || rb.Generation != 1 || ra.LeaderID != rb.LeaderID {
		t.Fatalf("joins: %+v and %+v", ra, rb)
	}
	leader := ra
	if rb.LeaderID == rb.MemberID {
		leader = rb
	}
	if len(leader.Members) != 2 {
		t.Fatalf("the first generation has %d members, want both", len(leader.Members))
	}
}

// TestStaticMembership: a static member (group.instance.id) that restarts
// rejoins without a rebalance, keeps its assignment under a new member
// id, and fences its old id; it leaves by instance id.
func TestStaticMembership(t *testing.T) {
	cfg := groupConfig()
	cfg.GroupInitialRebalanceDelay = -1
	b := startBrokerWith(t, cfg)
	const g = "static"
	first, restarted := newRawMember(t, b), newRawMember(t, b)
	join := joinReq(g, "", 10*time.Second, "consumer", "range")
	join.InstanceID = kmsg.StringPtr("instance-1")
	resp := first.recvJoin(first.sendJoin(join, 5), 5) // no MEMBER_ID_REQUIRED for static members
	if resp.ErrorCode != 0 || resp.Generation != 1 || !strings.HasPrefix(resp.MemberID, "instance-1-") {
		t.Fatalf("static join: %+v", resp)
	}
	if s := first.do(syncReq(g, 1, first.id, map[string]string{first.id: "mine"}), 3).(*kmsg.SyncGroupResponse); s.ErrorCode != 0 {
		t.Fatalf("sync: %+v", s)
	}

	resp = restarted.recvJoin(restarted.sendJoin(join, 5), 5)
	if resp.ErrorCode != 0 || resp.Generation != 1 || resp.MemberID == first.id || resp.LeaderID != first.id {
		t.Fatalf("static rejoin (same generation, the old leader id): %+v", resp)
	}
	s := restarted.do(syncReq(g, 1, restarted.id, nil), 3).(*kmsg.SyncGroupResponse)
	if s.ErrorCode != 0 || string(s.MemberAssignment) != "mine" {
		t.Fatalf("sync after the static rejoin: %+v", s)
	}
	hb := kmsg.NewPtrHeartbeatRequest()
	hb.Group, hb.Generation, hb.MemberID, hb.InstanceID = g, 1, first.id, join.InstanceID
	wantCode(t, "heartbeat of the replaced id", first.do(hb, 3).(*kmsg.HeartbeatResponse).ErrorCode, kerr.FencedInstanceID)
	d := describeRaw(first, g)
	if d.State != "Stable" || len(d.Members) != 1 || d.Members[0].MemberID != restarted.id || *d.Members[0].InstanceID != "instance-1" {
		t.Fatalf("DescribeGroups: %+v", d)
	}

	leave := kmsg.NewPtrLeaveGroupRequest()
	leave.Group = g
	lm := kmsg.NewLeaveGroupRequestMember()
	lm.InstanceID = join.InstanceID
	leave.Members = []kmsg.LeaveGroupRequestMember{lm}
	if lv := first.do(leave, 3).(*kmsg.LeaveGroupResponse); lv.ErrorCode != 0 || lv.Members[0].ErrorCode != 0 {
		t.Fatalf("LeaveGroup by instance id: %+v", lv)
	}
	if d := describeRaw(first, g); d.State != "Dead" || len(d.Members) != 0 {
		t.Fatalf("after the last member left: %+v", d)
	}
}

// TestConsumerGroupMemberDies: a member that stops heartbeating without
// leaving is removed when its session expires, and the kgo members take
// its partitions.
func TestConsumerGroupMemberDies(t *testing.T) {
	b := startBrokerWith(t, groupConfig())
	ctx := testCtx(t)
	if err := b.log.CreateTopic(ctx, "t", broker.TopicConfig{Partitions: 4}); err != nil {
		t.Fatal(err)
	}
	admin := b.client(t)
	a := joinGroup(t, b, "g", "t", kgo.RangeBalancer())
	bb := joinGroup(t, b, "g", "t", kgo.RangeBalancer())
	awaitBalanced(t, ctx, admin, "g", "t", 4, a, bb)

	// A raw member joins with real consumer metadata, takes part in the
	// rebalance, then goes silent.
	x := newRawMember(t, b)
	meta := kmsg.NewConsumerMemberMetadata()
	meta.Topics = []string{"t"}
	join := joinReq("g", "", time.Second, "consumer", "range")
	join.Protocols[0].Metadata = meta.AppendTo(nil)
	resp := x.recvJoin(x.sendJoin(join, 5), 5)
	wantCode(t, "first join", resp.ErrorCode, kerr.MemberIDRequired)
	join.MemberID = resp.MemberID
	if resp = x.recvJoin(x.sendJoin(join, 5), 5); resp.ErrorCode != 0 {
		t.Fatalf("join: %+v", resp)
	}
	s := x.do(syncReq("g", x.gen, x.id, nil), 3).(*kmsg.SyncGroupResponse)
	var got kmsg.ConsumerMemberAssignment
	if s.ErrorCode != 0 || got.ReadFrom(s.MemberAssignment) != nil || len(got.Topics) != 1 {
		t.Fatalf("the silent member's sync: %+v", s)
	}
	awaitBalanced(t, ctx, admin, "g", "t", 4, a, bb)
	wantCode(t, "heartbeat after the session expired", x.heartbeat("g", x.gen, x.id), kerr.UnknownMemberID)
}

// TestCloseEndsWaitingRequests: a JoinGroup waiting for a rebalance and
// the group's timers end with the server; no goroutine of the package
// is left.
func TestCloseEndsWaitingRequests(t *testing.T) {
	l, err := embedded.Open(t.TempDir(), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	cfg := groupConfig()
	cfg.GroupInitialRebalanceDelay = time.Hour
	srv := kafkaproto.NewServer(l, cfg)
	if err := srv.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(context.Background()) }()
	b := &testBroker{log: l, srv: srv, addr: srv.Addr().String()}
	m := newRawMember(t, b)
	m.sendJoin(joinReq("waits", "", time.Minute, "consumer", "range"), 3) // waits out the delay
	for describeRaw(newRawMember(t, b), "waits").State != "PreparingRebalance" {
		time.Sleep(5 * time.Millisecond)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-served; err != nil {
		t.Fatal(err)
	}
	var buf []byte
	for deadline := time.Now().Add(10 * time.Second); ; {
		buf = make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		if !bytes.Contains(buf, []byte("broker/kafkaproto.")) || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if bytes.Contains(buf, []byte("broker/kafkaproto.")) {
		t.Fatalf("goroutines of the server left after Close:\n%s", buf)
	}
}

// TestKcatGroupConsumer consumes a topic with kcat's balanced consumer
// (librdkafka) when kcat is installed.
func TestKcatGroupConsumer(t *testing.T) {
	kcat, err := exec.LookPath("kcat")
	if err != nil {
		t.Skip("kcat is not installed")
	}
	b := startBrokerWith(t, groupConfig())
	ctx := testCtx(t)
	if err := b.log.CreateTopic(ctx, "t", broker.TopicConfig{Partitions: 3}); err != nil {
		t.Fatal(err)
	}
	produceN(t, ctx, b.client(t, kgo.RecordPartitioner(kgo.ManualPartitioner())), "t", 3, 30)
	out, err := exec.CommandContext(ctx, kcat, "-b", b.addr, "-G", "kcat", "t", "-o", "beginning", "-e", "-q", "-f", "%p:%o\n",
		"-X", "session.timeout.ms=6000").Output()
	if err != nil {
		t.Fatalf("kcat: %v\n%s", err, out)
	}
	lines := strings.Fields(string(out))
	slices.Sort(lines)
	var want []string
	for p := range 3 {
		for o := range 10 {
			want = append(want, fmt.Sprintf("%d:%d", p, o))
		}
	}
	slices.Sort(want)
	if !slices.Equal(lines, want) {
		t.Fatalf("kcat consumed %v, want %v", lines, want)
	}
	cl := b.client(t)
	for ctx.Err() == nil { // kcat commits, then leaves
		fetch := kmsg.NewPtrOffsetFetchRequest()
		fetch.Group = "kcat"
		resp, err := fetch.RequestWith(ctx, cl)
		if err != nil {
			t.Fatal(err)
		}
		committed := 0
		for _, rt := range resp.Topics {
			for _, rp := range rt.Partitions {
				if rp.Offset == 10 {
					committed++
				}
			}
		}
		if committed == 3 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("kcat's commits never reached the coordinator")
}
