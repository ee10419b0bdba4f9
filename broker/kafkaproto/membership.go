package kafkaproto

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Consumer group membership: the classic group protocol (JoinGroup,
// SyncGroup, Heartbeat, LeaveGroup, DescribeGroups) as Kafka's
// GroupCoordinator runs it. The assignors run in the clients: the
// coordinator chooses a protocol every member supports, hands the leader
// every member's metadata and passes the leader's assignments on.
//
// A group moves through Kafka's states:
//
//	Empty ──join──> PreparingRebalance ──every member joined, or the
//	rebalance timeout──> CompletingRebalance ──leader's SyncGroup──> Stable
//
// and from CompletingRebalance or Stable back to PreparingRebalance when
// a member joins, leaves, changes its protocols, its session expires, or
// (Stable) the leader rejoins. A JoinGroup or a follower's SyncGroup is
// answered when the rebalance step it waits for completes; its connection
// waits meanwhile, as Kafka's does (one request at a time per connection).
//
// Membership lives in memory: after a restart members rejoin, as they do
// when a Kafka coordinator moves. A group with no members and no member
// being admitted is dropped from memory (its offsets stay in the log, and
// it is described and listed as Empty from there); a later join starts it
// again at generation 0.
//
// Everything is bounded: members per group (Config.GroupMaxSize, members
// being admitted included), protocols and metadata bytes per member and
// metadata bytes per group; timers (session, rebalance, initial delay,
// pending sync) are stopped when the Server closes, and a timer that
// fires after it was replaced or its member left does nothing.

const (
	// DefaultGroupInitialRebalanceDelay is Kafka's
	// group.initial.rebalance.delay.ms.
	DefaultGroupInitialRebalanceDelay = 3 * time.Second
	// DefaultGroupMinSessionTimeout and DefaultGroupMaxSessionTimeout are
	// Kafka's group.min.session.timeout.ms and group.max.session.timeout.ms.
	DefaultGroupMinSessionTimeout = 6 * time.Second
	DefaultGroupMaxSessionTimeout = 30 * time.Minute
	// DefaultGroupMaxSize bounds the members of one group.
	DefaultGroupMaxSize = 1000

	// maxMemberProtocols and maxMemberMetadataBytes bound what one member
	// may declare; maxGroupMetadataBytes bounds a group's members'
	// metadata together (the leader receives it in one JoinGroup response).
	maxMemberProtocols     = 64
	maxMemberMetadataBytes = 1 << 20
	maxGroupMetadataBytes  = 64 << 20
)

type groupState int8

const (
	groupEmpty groupState = iota
	groupPreparingRebalance
	groupCompletingRebalance
	groupStable
	groupDead
)

func (st groupState) String() string {
	return [...]string{"Empty", "PreparingRebalance", "CompletingRebalance", "Stable", "Dead"}[st]
}

// coordinator holds the groups that have members. One mutex guards all of
// them; it is never held across a log call or a wait.
type coordinator struct {
	initialDelay time.Duration // 0: none
	minSession   time.Duration
	maxSession   time.Duration
	maxSize      int

	mu     sync.Mutex
	closed bool
	groups map[string]*group
	seq    uint64 // join order, for leader elections
}

func newCoordinator(cfg Config) *coordinator {
	c := &coordinator{
		initialDelay: cfg.GroupInitialRebalanceDelay,
		minSession:   cfg.GroupMinSessionTimeout,
		maxSession:   cfg.GroupMaxSessionTimeout,
		maxSize:      cfg.GroupMaxSize,
		groups:       map[string]*group{},
	}
	switch {
	case c.initialDelay == 0:
		c.initialDelay = DefaultGroupInitialRebalanceDelay
	case c.initialDelay < 0:
		c.initialDelay = 0
	}
	if c.minSession <= 0 {
		c.minSession = DefaultGroupMinSessionTimeout
	}
	if c.maxSession <= 0 {
		c.maxSession = DefaultGroupMaxSessionTimeout
	}
	if c.maxSize <= 0 {
		c.maxSize = DefaultGroupMaxSize
	}
	return c
}

// close stops every timer; requests waiting on a rebalance end with the
// server's context.
func (c *coordinator) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	for _, g := range c.groups {
		g.stopTimers()
	}
	c.groups = map[string]*group{}
}

type group struct {
	name         string
	state        groupState
	generation   int32
	protocolType string
	protocol     string // chosen for the generation; "" when none
	leader       string
	members      map[string]*member
	static       map[string]string      // group.instance.id -> member id
	pending      map[string]*time.Timer // ids handed out with MEMBER_ID_REQUIRED, expiring after the session timeout
	pendingSync  map[string]bool        // members of the generation that have not sent SyncGroup yet
	awaitingJoin int                    // members with a JoinGroup waiting
	metadata     int                    // the members' protocol metadata bytes

	// joinTimer ends the rebalance in preparation: the initial delay
	// (delaying) or the rebalance timeout. syncTimer removes the members
	// that have not sent SyncGroup a rebalance timeout after the join.
	joinTimer      *time.Timer
	delaying       bool
	newMemberAdded bool
	delayRemaining time.Duration
	syncTimer      *time.Timer
}

type member struct {
	id         string
	instanceID *string
	clientID   string
	clientHost string
	seq        uint64
	protocols  []kmsg.JoinGroupRequestProtocol // metadata owned (copied out of the frame)
	metadata   int
	session    time.Duration
	rebalance  time.Duration
	assignment []byte

	joinWait chan joinResult // a JoinGroup waiting for the rebalance
	syncWait chan syncResult // a SyncGroup waiting for the leader's
	deadline time.Time       // session expiry, moved by heartbeats
	timer    *time.Timer     // fires at timerAt, at or before deadline
	timerAt  time.Time
}

type joinResult struct {
	code         int16
	memberID     string
	generation   int32
	protocolType string
	protocol     string
	leader       string
	members      []kmsg.JoinGroupResponseMember // the leader's only
}

func joinError(code int16, memberID string) joinResult {
	return joinResult{code: code, memberID: memberID, generation: -1}
}

type syncResult struct {
	code         int16
	protocolType string
	protocol     string
	assignment   []byte
}

// clientInfo is who sent a request: the header's client id and the
// connection's remote host, as Kafka reports members.
type clientInfo struct{ id, host string }

type clientKey struct{}

// withClient returns ctx carrying the request's client for the group
// handlers.
func withClient(ctx context.Context, clientID *string, remote net.Addr) context.Context {
	var ci clientInfo
	if clientID != nil {
		ci.id = *clientID
	}
	if remote != nil {
		ci.host = remote.String()
		if h, _, err := net.SplitHostPort(ci.host); err == nil {
			ci.host = h
		}
		ci.host = "/" + ci.host // as Kafka prints an InetAddress
	}
	return context.WithValue(ctx, clientKey{}, ci)
}

func clientFrom(ctx context.Context) clientInfo {
	ci, _ := ctx.Value(clientKey{}).(clientInfo)
	return ci
}

// newMemberID is prefix, a dash and a random UUID.
func newMemberID(prefix string) string {
	var u [16]byte
	rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%s-%x-%x-%x-%x-%x", prefix, u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

func millis(ms int32) time.Duration { return time.Duration(ms) * time.Millisecond }

// ---- JoinGroup

func serveJoinGroup(ctx context.Context, s *Server, r kmsg.Request) (kmsg.Response, error) {
	req := r.(*kmsg.JoinGroupRequest)
	res, wait := s.groups.join(req, clientFrom(ctx))
	if wait != nil {
		select {
		case res = <-wait:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	resp := req.ResponseKind().(*kmsg.JoinGroupResponse)
	resp.ErrorCode, resp.MemberID, resp.Generation, resp.LeaderID = res.code, res.memberID, res.generation, res.leader
	if res.protocolType != "" {
		resp.ProtocolType = kmsg.StringPtr(res.protocolType)
	}
	if res.protocol != "" {
		resp.Protocol = kmsg.StringPtr(res.protocol)
	}
	resp.Members = res.members
	return resp, nil
}

// join admits or updates a member. It returns the answer, or a channel
// that delivers it when the rebalance completes.
func (c *coordinator) join(req *kmsg.JoinGroupRequest, ci clientInfo) (joinResult, <-chan joinResult) {
	session := millis(req.SessionTimeoutMillis)
	rebalance := millis(req.RebalanceTimeoutMillis)
	if req.Version == 0 || rebalance <= 0 {
		rebalance = session // v0 has one timeout for both
	}
	metadata := 0
	for _, p := range req.Protocols {
		metadata += len(p.Name) + len(p.Metadata)
	}
	switch {
	case req.Group == "":
		return joinError(kerr.InvalidGroupID.Code, req.MemberID), nil
	case session < c.minSession || session > c.maxSession:
		return joinError(kerr.InvalidSessionTimeout.Code, req.MemberID), nil
	case len(req.Protocols) > maxMemberProtocols || metadata > maxMemberMetadataBytes:
		return joinError(kerr.InvalidRequest.Code, req.MemberID), nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return joinError(kerr.CoordinatorNotAvailable.Code, req.MemberID), nil
	}
	g := c.groups[req.Group]
	if g == nil {
		if req.MemberID != "" {
			return joinError(kerr.UnknownMemberID.Code, req.MemberID), nil
		}
		g = &group{name: req.Group, members: map[string]*member{}, static: map[string]string{}, pending: map[string]*time.Timer{}, pendingSync: map[string]bool{}}
		c.groups[req.Group] = g
	}
	defer c.maybeDrop(g)
	if !c.acceptJoining(g, req.MemberID, metadata) {
		return joinError(kerr.GroupMaxSizeReached.Code, ""), nil
	}
	j := joining{req: req, session: session, rebalance: rebalance, metadata: metadata, client: ci}
	var res joinResult
	var wait <-chan joinResult
	if req.MemberID == "" {
		res, wait = c.joinNew(g, j)
	} else {
		res, wait = c.joinKnown(g, j)
	}
	c.tryCompleteJoin(g)
	return res, wait
}

// joining is a JoinGroup request with its validated timeouts.
type joining struct {
	req       *kmsg.JoinGroupRequest
	session   time.Duration
	rebalance time.Duration
	metadata  int
	client    clientInfo
}

// acceptJoining bounds the group: a member being admitted (a new one or
// one that got its id with MEMBER_ID_REQUIRED) counts against
// GroupMaxSize, and the metadata a join would leave must fit.
func (c *coordinator) acceptJoining(g *group, id string, metadata int) bool {
	if m := g.members[id]; m != nil {
		return g.metadata-m.metadata+metadata <= maxGroupMetadataBytes
	}
	if g.metadata+metadata > maxGroupMetadataBytes {
		return false
	}
	if _, ok := g.pending[id]; ok {
		return true
	}
	return len(g.members)+len(g.pending) < c.maxSize
}

// supportsProtocols is Kafka's check: an empty group takes any non-empty
// protocol type and protocol list; otherwise the type must be the
// group's and one protocol must be supported by every member.
func (g *group) supportsProtocols(protocolType string, protocols []kmsg.JoinGroupRequestProtocol) bool {
	if g.state == groupEmpty && len(g.members) == 0 {
		return protocolType != "" && len(protocols) > 0
	}
	if protocolType != g.protocolType {
		return false
	}
	candidates := g.candidateProtocols()
	return slices.ContainsFunc(protocols, func(p kmsg.JoinGroupRequestProtocol) bool { return candidates[p.Name] })
}

// candidateProtocols are the protocols every member supports.
func (g *group) candidateProtocols() map[string]bool {
	count := map[string]int{}
	for _, m := range g.members {
		for _, p := range m.protocols {
			count[p.Name]++
		}
	}
	out := map[string]bool{}
	for name, n := range count {
		if n == len(g.members) {
			out[name] = true
		}
	}
	return out
}

// selectProtocol is Kafka's vote: each member votes for its most
// preferred candidate; the most votes wins (a tie goes to the leader's
// preference).
func (g *group) selectProtocol() string {
	candidates := g.candidateProtocols()
	votes := map[string]int{}
	for _, m := range g.members {
		for _, p := range m.protocols {
			if candidates[p.Name] {
				votes[p.Name]++
				break
			}
		}
	}
	var prefs []string
	if l := g.members[g.leader]; l != nil {
		for _, p := range l.protocols {
			prefs = append(prefs, p.Name)
		}
	} else {
		for name := range votes {
			prefs = append(prefs, name)
		}
		slices.Sort(prefs)
	}
	best, bestVotes := "", 0
	for _, name := range prefs {
		if v := votes[name]; v > bestVotes {
			best, bestVotes = name, v
		}
	}
	return best
}

func (g *group) sortedMembers() []*member {
	ms := make([]*member, 0, len(g.members))
	for _, m := range g.members {
		ms = append(ms, m)
	}
	slices.SortFunc(ms, func(a, b *member) int { return cmp.Compare(a.seq, b.seq) })
	return ms
}

func (m *member) metadataFor(protocol string) []byte {
	for _, p := range m.protocols {
		if p.Name == protocol {
			return p.Metadata
		}
	}
	return nil
}

// matches says whether a rejoin declares exactly the member's protocols.
func (m *member) matches(protocols []kmsg.JoinGroupRequestProtocol) bool {
	return slices.EqualFunc(m.protocols, protocols, func(a, b kmsg.JoinGroupRequestProtocol) bool {
		return a.Name == b.Name && bytes.Equal(a.Metadata, b.Metadata)
	})
}

// fenced says whether instanceID belongs to another member than id.
func (g *group) fenced(instanceID *string, id string) bool {
	if instanceID == nil {
		return false
	}
	cur, ok := g.static[*instanceID]
	return ok && cur != id
}

func (c *coordinator) joinNew(g *group, j joining) (joinResult, <-chan joinResult) {
	req := j.req
	if !g.supportsProtocols(req.ProtocolType, req.Protocols) {
		return joinError(kerr.InconsistentGroupProtocol.Code, ""), nil
	}
	// Kafka's member ids: the instance id (static members) or the client
	// id, a dash, a random UUID. Clients read the prefix (a restarted
	// static member recognizes a leader id of its own instance).
	prefix := j.client.id
	if req.InstanceID != nil {
		prefix = *req.InstanceID
	}
	id := newMemberID(prefix)
	if req.InstanceID != nil {
		if old, ok := g.static[*req.InstanceID]; ok {
			return c.replaceStatic(g, g.members[old], id, j)
		}
	} else if req.Version >= 4 {
		// KIP-394: the member rejoins with the id it is given, so that a
		// client retrying a lost response does not add members.
		c.admitPending(g, id, j.session)
		return joinError(kerr.MemberIDRequired.Code, id), nil
	}
	return joinResult{}, c.addMember(g, id, j)
}

func (c *coordinator) joinKnown(g *group, j joining) (joinResult, <-chan joinResult) {
	req := j.req
	id := req.MemberID
	if !g.supportsProtocols(req.ProtocolType, req.Protocols) {
		return joinError(kerr.InconsistentGroupProtocol.Code, id), nil
	}
	if t, ok := g.pending[id]; ok {
		t.Stop()
		delete(g.pending, id)
		return joinResult{}, c.addMember(g, id, j)
	}
	if g.fenced(req.InstanceID, id) {
		return joinError(kerr.FencedInstanceID.Code, id), nil
	}
	m := g.members[id]
	if m == nil || (req.InstanceID != nil && g.static[*req.InstanceID] == "") {
		return joinError(kerr.UnknownMemberID.Code, id), nil
	}
	switch g.state {
	case groupPreparingRebalance:
		return joinResult{}, c.updateMember(g, m, j)
	case groupCompletingRebalance:
		if m.matches(req.Protocols) {
			// The member lost the join response: answer it again.
			c.touch(g, m)
			return g.joinAnswer(m, m.id == g.leader), nil
		}
		return joinResult{}, c.updateMember(g, m, j)
	case groupStable:
		if m.id == g.leader || !m.matches(req.Protocols) {
			// A leader rejoins to make the group rebalance (for example
			// when the topics it sees change).
			return joinResult{}, c.updateMember(g, m, j)
		}
		c.touch(g, m)
		return g.joinAnswer(m, false), nil
	default:
		return joinError(kerr.UnknownMemberID.Code, id), nil
	}
}

// joinAnswer is the current generation's JoinGroup response for m; the
// leader's lists every member with its metadata for the chosen protocol.
func (g *group) joinAnswer(m *member, withMembers bool) joinResult {
	res := joinResult{memberID: m.id, generation: g.generation, protocolType: g.protocolType, protocol: g.protocol, leader: g.leader}
	if withMembers {
		for _, o := range g.sortedMembers() {
			jm := kmsg.NewJoinGroupResponseMember()
			jm.MemberID, jm.InstanceID, jm.ProtocolMetadata = o.id, o.instanceID, o.metadataFor(g.protocol)
			res.members = append(res.members, jm)
		}
	}
	return res
}

// setProtocols stores the member's declaration, owning the metadata.
func (g *group) setProtocols(m *member, j joining) {
	m.protocols = make([]kmsg.JoinGroupRequestProtocol, 0, len(j.req.Protocols))
	for _, p := range j.req.Protocols {
		m.protocols = append(m.protocols, kmsg.JoinGroupRequestProtocol{Name: p.Name, Metadata: bytes.Clone(p.Metadata)})
	}
	g.metadata += j.metadata - m.metadata
	m.metadata = j.metadata
	m.session, m.rebalance = j.session, j.rebalance
}

func (c *coordinator) addMember(g *group, id string, j joining) <-chan joinResult {
	c.seq++
	m := &member{id: id, instanceID: j.req.InstanceID, clientID: j.client.id, clientHost: j.client.host, seq: c.seq}
	if len(g.members) == 0 {
		g.protocolType = j.req.ProtocolType
	}
	g.setProtocols(m, j)
	g.members[id] = m
	if g.leader == "" {
		g.leader = id
	}
	if m.instanceID != nil {
		g.static[*m.instanceID] = id
	}
	c.touch(g, m)
	wait := g.awaitJoin(m)
	if g.state == groupPreparingRebalance && g.generation == 0 {
		g.newMemberAdded = true
	}
	c.maybePrepareRebalance(g)
	return wait
}

// awaitJoin registers m's JoinGroup as waiting; a join it replaces is
// told to rejoin.
func (g *group) awaitJoin(m *member) <-chan joinResult {
	if m.joinWait != nil {
		m.joinWait <- joinError(kerr.RebalanceInProgress.Code, m.id)
	} else {
		g.awaitingJoin++
	}
	m.joinWait = make(chan joinResult, 1)
	return m.joinWait
}

func (g *group) answerJoin(m *member, res joinResult) {
	if m.joinWait != nil {
		m.joinWait <- res
		m.joinWait = nil
		g.awaitingJoin--
	}
}

func (m *member) answerSync(res syncResult) {
	if m.syncWait != nil {
		m.syncWait <- res
		m.syncWait = nil
	}
}

func (c *coordinator) updateMember(g *group, m *member, j joining) <-chan joinResult {
	g.setProtocols(m, j)
	c.touch(g, m)
	wait := g.awaitJoin(m)
	c.maybePrepareRebalance(g)
	return wait
}

// replaceStatic gives a static member that rejoined without its member
// id (a restarted process) a new id; the old id is fenced. In a Stable
// group whose protocol stays, no rebalance is needed: the member keeps
// its assignment (and is told the old leader, so that it does not assign).
func (c *coordinator) replaceStatic(g *group, m *member, newID string, j joining) (joinResult, <-chan joinResult) {
	oldLeader := g.leader
	oldID := m.id
	g.answerJoin(m, joinError(kerr.FencedInstanceID.Code, oldID))
	m.answerSync(syncResult{code: kerr.FencedInstanceID.Code})
	delete(g.members, oldID)
	m.id = newID
	g.members[newID] = m
	g.static[*m.instanceID] = newID
	if g.leader == oldID {
		g.leader = newID
	}
	if g.pendingSync[oldID] {
		delete(g.pendingSync, oldID)
		g.pendingSync[newID] = true
	}
	m.clientID, m.clientHost = j.client.id, j.client.host
	g.setProtocols(m, j)
	c.touch(g, m)
	wait := g.awaitJoin(m)
	switch g.state {
	case groupStable:
		if g.selectProtocol() == g.protocol {
			res := g.joinAnswer(m, false)
			res.leader = oldLeader
			g.answerJoin(m, res)
			return res, nil
		}
		c.prepareRebalance(g)
	case groupCompletingRebalance:
		// The leader may be assigning to the old id: rebalance.
		c.prepareRebalance(g)
	}
	return joinResult{}, wait
}

// ---- rebalance steps

func (c *coordinator) maybePrepareRebalance(g *group) {
	switch g.state {
	case groupStable, groupCompletingRebalance, groupEmpty:
		c.prepareRebalance(g)
	}
}

func (g *group) rebalanceTimeout() time.Duration {
	var d time.Duration
	for _, m := range g.members {
		d = max(d, m.rebalance)
	}
	return d
}

func (c *coordinator) prepareRebalance(g *group) {
	if g.state == groupCompletingRebalance {
		for _, m := range g.members {
			m.assignment = nil
			m.answerSync(syncResult{code: kerr.RebalanceInProgress.Code})
		}
	}
	stopTimer(&g.syncTimer)
	clear(g.pendingSync)
	rebalance := g.rebalanceTimeout()
	if g.state == groupEmpty && c.initialDelay > 0 {
		// Kafka's group.initial.rebalance.delay.ms: wait for more
		// members before the first generation, longer while they come.
		delay := min(c.initialDelay, rebalance)
		g.delaying, g.newMemberAdded, g.delayRemaining = true, false, rebalance-delay
		c.armJoin(g, delay)
	} else {
		g.delaying = false
		c.armJoin(g, rebalance)
	}
	g.state = groupPreparingRebalance
	c.tryCompleteJoin(g)
}

func (c *coordinator) armJoin(g *group, d time.Duration) {
	stopTimer(&g.joinTimer)
	var t *time.Timer
	t = time.AfterFunc(d, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.closed || c.groups[g.name] != g || g.joinTimer != t {
			return
		}
		g.joinTimer = nil
		if g.delaying && g.newMemberAdded && g.delayRemaining > 0 {
			d := min(c.initialDelay, g.delayRemaining)
			g.newMemberAdded, g.delayRemaining = false, g.delayRemaining-d
			c.armJoin(g, d)
			return
		}
		g.delaying = false
		c.completeJoin(g)
		c.maybeDrop(g)
	})
	g.joinTimer = t
}

// tryCompleteJoin completes the rebalance once every member has joined
// and no admitted member id is still to come.
func (c *coordinator) tryCompleteJoin(g *group) {
	if g.state == groupPreparingRebalance && !g.delaying && g.awaitingJoin == len(g.members) && len(g.pending) == 0 {
		c.completeJoin(g)
	}
}

// completeJoin starts the next generation with the members that joined
// (static members keep their place until their session expires).
func (c *coordinator) completeJoin(g *group) {
	stopTimer(&g.joinTimer)
	for _, m := range g.sortedMembers() {
		if m.joinWait == nil && m.instanceID == nil {
			c.removeMember(g, m, false)
		}
	}
	if len(g.members) > 0 && g.awaitingJoin == 0 {
		// Only static members that have not rejoined: wait for them or
		// for their sessions to end.
		c.armJoin(g, g.rebalanceTimeout())
		return
	}
	if l := g.members[g.leader]; l == nil || l.joinWait == nil {
		for _, m := range g.sortedMembers() {
			if m.joinWait != nil {
				g.leader = m.id
				break
			}
		}
	}
	g.generation++
	clear(g.pendingSync)
	if len(g.members) == 0 {
		g.state, g.protocol, g.leader = groupEmpty, "", ""
		return
	}
	g.state = groupCompletingRebalance
	g.protocol = g.selectProtocol()
	for _, m := range g.members {
		g.answerJoin(m, g.joinAnswer(m, m.id == g.leader))
		c.touch(g, m)
		g.pendingSync[m.id] = true
	}
	var t *time.Timer
	t = time.AfterFunc(g.rebalanceTimeout(), func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.closed || c.groups[g.name] != g || g.syncTimer != t {
			return
		}
		g.syncTimer = nil
		c.expirePendingSync(g)
	})
	g.syncTimer = t
}

// expirePendingSync removes the members that got the join response but
// did not send SyncGroup within the rebalance timeout, and rebalances.
func (c *coordinator) expirePendingSync(g *group) {
	if (g.state != groupCompletingRebalance && g.state != groupStable) || len(g.pendingSync) == 0 {
		return
	}
	for id := range g.pendingSync {
		if m := g.members[id]; m != nil {
			c.removeMember(g, m, false)
		}
	}
	c.prepareRebalance(g)
	c.maybeDrop(g)
}

// removeMember takes m out of g, telling its waiting requests; with
// rebalance, the group rebalances (or its pending rebalance may now
// complete).
func (c *coordinator) removeMember(g *group, m *member, rebalance bool) {
	g.answerJoin(m, joinError(kerr.UnknownMemberID.Code, m.id))
	m.answerSync(syncResult{code: kerr.UnknownMemberID.Code})
	delete(g.members, m.id)
	delete(g.pendingSync, m.id)
	if m.instanceID != nil && g.static[*m.instanceID] == m.id {
		delete(g.static, *m.instanceID)
	}
	g.metadata -= m.metadata
	stopTimer(&m.timer)
	if g.leader == m.id {
		g.leader = ""
		if ms := g.sortedMembers(); len(ms) > 0 {
			g.leader = ms[0].id
		}
	}
	if !rebalance {
		return
	}
	switch g.state {
	case groupStable, groupCompletingRebalance:
		c.prepareRebalance(g)
	case groupPreparingRebalance:
		c.tryCompleteJoin(g)
	}
}

// maybeDrop forgets a group with no members and nobody being admitted.
func (c *coordinator) maybeDrop(g *group) {
	if g.state == groupEmpty && len(g.members) == 0 && len(g.pending) == 0 && c.groups[g.name] == g {
		g.stopTimers()
		g.state = groupDead
		delete(c.groups, g.name)
	}
}

func (g *group) stopTimers() {
	stopTimer(&g.joinTimer)
	stopTimer(&g.syncTimer)
	for id, t := range g.pending {
		t.Stop()
		delete(g.pending, id)
	}
	for _, m := range g.members {
		stopTimer(&m.timer)
	}
}

func stopTimer(t **time.Timer) {
	if *t != nil {
		(*t).Stop()
		*t = nil
	}
}

// ---- sessions

// touch restarts m's session: heartbeats, joins, syncs and commits keep a
// member alive. The timer fires at the earliest deadline it may have and,
// when the deadline has moved on, re-arms for what is left; a member whose
// JoinGroup or SyncGroup is waiting is alive.
func (c *coordinator) touch(g *group, m *member) {
	m.deadline = time.Now().Add(m.session)
	if m.timer == nil || m.deadline.Before(m.timerAt) {
		c.armSession(g, m, m.session) // new, or a shorter session than before
	}
}

func (c *coordinator) armSession(g *group, m *member, d time.Duration) {
	stopTimer(&m.timer)
	m.timerAt = time.Now().Add(d)
	var t *time.Timer
	t = time.AfterFunc(d, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.closed || c.groups[g.name] != g || g.members[m.id] != m || m.timer != t {
			return
		}
		m.timer = nil
		now := time.Now()
		if m.joinWait != nil || m.syncWait != nil {
			m.deadline = now.Add(m.session)
		}
		if left := m.deadline.Sub(now); left > 0 {
			c.armSession(g, m, left)
			return
		}
		c.removeMember(g, m, true)
		c.maybeDrop(g)
	})
	m.timer = t
}

// admitPending records id as handed out; it expires after the session
// timeout unless the member joins with it (or leaves).
func (c *coordinator) admitPending(g *group, id string, session time.Duration) {
	var t *time.Timer
	t = time.AfterFunc(session, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.closed || c.groups[g.name] != g || g.pending[id] != t {
			return
		}
		delete(g.pending, id)
		c.tryCompleteJoin(g)
		c.maybeDrop(g)
	})
	g.pending[id] = t
}

// ---- SyncGroup

func serveSyncGroup(ctx context.Context, s *Server, r kmsg.Request) (kmsg.Response, error) {
	req := r.(*kmsg.SyncGroupRequest)
	res, wait := s.groups.sync(req)
	if wait != nil {
		select {
		case res = <-wait:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	resp := req.ResponseKind().(*kmsg.SyncGroupResponse)
	resp.ErrorCode, resp.MemberAssignment = res.code, res.assignment
	if resp.MemberAssignment == nil {
		resp.MemberAssignment = []byte{}
	}
	if res.code == 0 {
		resp.ProtocolType, resp.Protocol = kmsg.StringPtr(res.protocolType), kmsg.StringPtr(res.protocol)
	}
	return resp, nil
}

func (c *coordinator) sync(req *kmsg.SyncGroupRequest) (syncResult, <-chan syncResult) {
	fail := func(code int16) (syncResult, <-chan syncResult) { return syncResult{code: code}, nil }
	if req.Group == "" {
		return fail(kerr.InvalidGroupID.Code)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	g := c.groups[req.Group]
	switch {
	case c.closed:
		return fail(kerr.CoordinatorNotAvailable.Code)
	case g == nil:
		return fail(kerr.UnknownMemberID.Code)
	case g.fenced(req.InstanceID, req.MemberID):
		return fail(kerr.FencedInstanceID.Code)
	case g.members[req.MemberID] == nil:
		return fail(kerr.UnknownMemberID.Code)
	case req.Generation != g.generation:
		return fail(kerr.IllegalGeneration.Code)
	case req.ProtocolType != nil && *req.ProtocolType != g.protocolType,
		req.Protocol != nil && *req.Protocol != g.protocol:
		return fail(kerr.InconsistentGroupProtocol.Code)
	}
	m := g.members[req.MemberID]
	c.touch(g, m)
	ok := syncResult{protocolType: g.protocolType, protocol: g.protocol}
	switch g.state {
	case groupPreparingRebalance:
		return fail(kerr.RebalanceInProgress.Code)
	case groupCompletingRebalance:
		m.answerSync(syncResult{code: kerr.RebalanceInProgress.Code}) // a SyncGroup it replaces
		m.syncWait = make(chan syncResult, 1)
		wait := m.syncWait
		c.syncDone(g, m.id)
		if m.id == g.leader {
			given := map[string][]byte{}
			for _, a := range req.GroupAssignment {
				given[a.MemberID] = a.MemberAssignment
			}
			for _, o := range g.members {
				o.assignment = bytes.Clone(given[o.id])
				res := ok
				res.assignment = o.assignment
				o.answerSync(res)
			}
			g.state = groupStable
		}
		return syncResult{}, wait
	case groupStable:
		c.syncDone(g, m.id)
		ok.assignment = m.assignment
		return ok, nil
	default:
		return fail(kerr.UnknownMemberID.Code)
	}
}

func (c *coordinator) syncDone(g *group, id string) {
	delete(g.pendingSync, id)
	if len(g.pendingSync) == 0 {
		stopTimer(&g.syncTimer)
	}
}

// ---- Heartbeat

func serveHeartbeat(_ context.Context, s *Server, r kmsg.Request) (kmsg.Response, error) {
	req := r.(*kmsg.HeartbeatRequest)
	resp := req.ResponseKind().(*kmsg.HeartbeatResponse)
	resp.ErrorCode = s.groups.heartbeat(req.Group, req.Generation, req.MemberID, req.InstanceID)
	return resp, nil
}

func (c *coordinator) heartbeat(name string, generation int32, id string, instanceID *string) int16 {
	if name == "" {
		return kerr.InvalidGroupID.Code
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	g := c.groups[name]
	switch {
	case c.closed:
		return kerr.CoordinatorNotAvailable.Code
	case g == nil:
		return kerr.UnknownMemberID.Code
	case g.fenced(instanceID, id):
		return kerr.FencedInstanceID.Code
	case g.members[id] == nil:
		return kerr.UnknownMemberID.Code
	case generation != g.generation:
		return kerr.IllegalGeneration.Code
	}
	m := g.members[id]
	switch g.state {
	case groupPreparingRebalance:
		c.touch(g, m)
		return kerr.RebalanceInProgress.Code
	case groupCompletingRebalance, groupStable:
		c.touch(g, m)
		return 0
	default:
		return kerr.UnknownMemberID.Code
	}
}

// ---- LeaveGroup

func serveLeaveGroup(_ context.Context, s *Server, r kmsg.Request) (kmsg.Response, error) {
	req := r.(*kmsg.LeaveGroupRequest)
	resp := req.ResponseKind().(*kmsg.LeaveGroupResponse)
	leaving := req.Members
	if req.Version < 3 {
		leaving = []kmsg.LeaveGroupRequestMember{{MemberID: req.MemberID}}
	}
	code, members := s.groups.leave(req.Group, leaving)
	if req.Version < 3 {
		if code == 0 && len(members) == 1 {
			code = members[0].ErrorCode
		}
		resp.ErrorCode = code
		return resp, nil
	}
	resp.ErrorCode, resp.Members = code, members
	return resp, nil
}

// leave removes members by id, or by instance id alone (an
// administrative removal of a static member).
func (c *coordinator) leave(name string, leaving []kmsg.LeaveGroupRequestMember) (int16, []kmsg.LeaveGroupResponseMember) {
	if name == "" {
		return kerr.InvalidGroupID.Code, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return kerr.CoordinatorNotAvailable.Code, nil
	}
	g := c.groups[name]
	out := make([]kmsg.LeaveGroupResponseMember, 0, len(leaving))
	for _, l := range leaving {
		rm := kmsg.NewLeaveGroupResponseMember()
		rm.MemberID, rm.InstanceID = l.MemberID, l.InstanceID
		rm.ErrorCode = c.leaveOne(g, l.MemberID, l.InstanceID)
		out = append(out, rm)
	}
	if g != nil {
		c.maybeDrop(g)
	}
	return 0, out
}

func (c *coordinator) leaveOne(g *group, id string, instanceID *string) int16 {
	if g == nil {
		return kerr.UnknownMemberID.Code
	}
	if id == "" {
		if instanceID == nil || g.static[*instanceID] == "" {
			return kerr.UnknownMemberID.Code
		}
		c.removeMember(g, g.members[g.static[*instanceID]], true)
		return 0
	}
	if t, ok := g.pending[id]; ok {
		t.Stop()
		delete(g.pending, id)
		c.tryCompleteJoin(g)
		return 0
	}
	if g.fenced(instanceID, id) {
		return kerr.FencedInstanceID.Code
	}
	m := g.members[id]
	if m == nil {
		return kerr.UnknownMemberID.Code
	}
	c.removeMember(g, m, true)
	return 0
}

// ---- OffsetCommit

// validateCommit is Kafka's check of an OffsetCommit's member: a group
// with no members takes standalone commits (generation below 0); a
// member's commit needs its id and the current generation, and waits out
// CompletingRebalance.
func (c *coordinator) validateCommit(name string, generation int32, id string, instanceID *string) int16 {
	c.mu.Lock()
	defer c.mu.Unlock()
	g := c.groups[name]
	if g == nil || g.state == groupEmpty && len(g.members) == 0 {
		if generation < 0 {
			return 0
		}
		return kerr.UnknownMemberID.Code
	}
	switch {
	case g.fenced(instanceID, id):
		return kerr.FencedInstanceID.Code
	case g.members[id] == nil:
		return kerr.UnknownMemberID.Code
	case generation != g.generation:
		return kerr.IllegalGeneration.Code
	case g.state == groupCompletingRebalance:
		return kerr.RebalanceInProgress.Code
	}
	m := g.members[id]
	c.touch(g, m)
	return 0
}

// ---- DescribeGroups and ListGroups

// groupSummary is a group as DescribeGroups and ListGroups show it.
type groupSummary struct {
	state        groupState
	protocolType string
	protocol     string
	members      []kmsg.DescribeGroupsResponseGroupMember
}

func (c *coordinator) describe(name string) (groupSummary, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	g := c.groups[name]
	if g == nil {
		return groupSummary{}, false
	}
	sum := groupSummary{state: g.state, protocolType: g.protocolType}
	if g.state == groupStable {
		sum.protocol = g.protocol
	}
	for _, m := range g.sortedMembers() {
		dm := kmsg.NewDescribeGroupsResponseGroupMember()
		dm.MemberID, dm.InstanceID, dm.ClientID, dm.ClientHost = m.id, m.instanceID, m.clientID, m.clientHost
		dm.ProtocolMetadata, dm.MemberAssignment = []byte{}, []byte{}
		if g.state == groupStable {
			dm.ProtocolMetadata = m.metadataFor(g.protocol)
			dm.MemberAssignment = m.assignment
		}
		sum.members = append(sum.members, dm)
	}
	return sum, true
}

// states returns the state and protocol type of every group in memory.
func (c *coordinator) states() map[string]groupSummary {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]groupSummary, len(c.groups))
	for name, g := range c.groups {
		out[name] = groupSummary{state: g.state, protocolType: g.protocolType}
	}
	return out
}

// serveDescribeGroups describes groups with members from memory, groups
// known only by their commits as Empty, and any other as Dead (as Kafka
// describes a group it does not have).
func serveDescribeGroups(ctx context.Context, s *Server, r kmsg.Request) (kmsg.Response, error) {
	req := r.(*kmsg.DescribeGroupsRequest)
	resp := req.ResponseKind().(*kmsg.DescribeGroupsResponse)
	for _, name := range req.Groups {
		g := kmsg.NewDescribeGroupsResponseGroup()
		g.Group = name
		if name == "" {
			g.ErrorCode = kerr.InvalidGroupID.Code
			resp.Groups = append(resp.Groups, g)
			continue
		}
		sum, ok := s.groups.describe(name)
		if ok {
			g.State, g.ProtocolType, g.Protocol, g.Members = sum.state.String(), sum.protocolType, sum.protocol, sum.members
		} else if committed, err := s.log.FetchOffsets(ctx, name); err != nil {
			g.ErrorCode = errorCode(err)
		} else if len(committed) > 0 {
			g.State, g.ProtocolType = groupEmpty.String(), "consumer"
		} else {
			g.State = groupDead.String()
		}
		if g.Members == nil {
			g.Members = []kmsg.DescribeGroupsResponseGroupMember{}
		}
		resp.Groups = append(resp.Groups, g)
	}
	return resp, nil
}

// stateFilter says whether ListGroups v4's states filter admits st
// (Kafka compares the names case-insensitively).
func stateFilter(filter []string, st groupState) bool {
	return len(filter) == 0 || slices.ContainsFunc(filter, func(f string) bool { return strings.EqualFold(f, st.String()) })
}
