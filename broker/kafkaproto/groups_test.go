package kafkaproto_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/broker/embedded"
	"github.com/ksqlgo/ksql/broker/kafkaproto"
)

// startBrokerIn serves an embedded log in dir; stop closes the server and
// the log, so that another can be started over the same directory.
func startBrokerIn(t *testing.T, dir string) (b *testBroker, stop func()) {
	t.Helper()
	l, err := embedded.Open(dir, embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := kafkaproto.NewServer(l, kafkaproto.Config{Logf: t.Logf})
	if err := srv.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(context.Background()) }()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
		if err := l.Close(); err != nil {
			t.Errorf("log Close: %v", err)
		}
	}
	t.Cleanup(stop)
	return &testBroker{log: l, srv: srv, addr: srv.Addr().String()}, stop
}

func offsetCommit(group string, offsets map[string]map[int32]int64) *kmsg.OffsetCommitRequest {
	req := kmsg.NewPtrOffsetCommitRequest()
	req.Group = group
	for topic, ps := range offsets {
		rt := kmsg.NewOffsetCommitRequestTopic()
		rt.Topic = topic
		for p, off := range ps {
			rp := kmsg.NewOffsetCommitRequestTopicPartition()
			rp.Partition, rp.Offset = p, off
			rt.Partitions = append(rt.Partitions, rp)
		}
		req.Topics = append(req.Topics, rt)
	}
	return req
}

// TestGroupOffsetsSurviveARestart: a standalone consumer consumes
// assigned partitions and commits through OffsetCommit; after the
// listener and the log restart over the same directory, OffsetFetch
// returns the commits and ListGroups lists the group.
func TestGroupOffsetsSurviveARestart(t *testing.T) {
	dir := t.TempDir()
	ctx := testCtx(t)
	b, stop := startBrokerIn(t, dir)
	if err := b.log.CreateTopic(ctx, "t", broker.TopicConfig{Partitions: 3}); err != nil {
		t.Fatal(err)
	}
	prod := b.client(t, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err := prod.ProduceSync(ctx, testRecords("t", 30)...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	cons := b.client(t, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{
		"t": {0: kgo.NewOffset().AtStart(), 1: kgo.NewOffset().AtStart()},
	}))
	next := map[int32]int64{}
	for _, r := range consume(t, ctx, cons, 20) {
		next[r.Partition] = max(next[r.Partition], r.Offset+1)
	}
	if next[0] != 10 || next[1] != 10 {
		t.Fatalf("consumed up to %v", next)
	}
	commit := offsetCommit("g1", map[string]map[int32]int64{"t": {0: next[0], 1: next[1] - 3}, "absent": {0: 1}})
	cresp, err := commit.RequestWith(ctx, cons)
	if err != nil {
		t.Fatal(err)
	}
	codes := map[string]int16{}
	for _, rt := range cresp.Topics {
		for _, rp := range rt.Partitions {
			codes[fmt.Sprintf("%s-%d", rt.Topic, rp.Partition)] = rp.ErrorCode
		}
	}
	if codes["t-0"] != 0 || codes["t-1"] != 0 || codes["absent-0"] != 3 {
		t.Fatalf("OffsetCommit codes: %v", codes)
	}
	for name, req := range map[string]*kmsg.OffsetCommitRequest{
		"empty group": offsetCommit("", map[string]map[int32]int64{"t": {0: 1}}),
		"member": func() *kmsg.OffsetCommitRequest {
			r := offsetCommit("g2", map[string]map[int32]int64{"t": {0: 1}})
			r.Generation, r.MemberID = 3, "m"
			return r
		}(),
	} {
		resp, err := req.RequestWith(ctx, cons)
		if err != nil {
			t.Fatal(err)
		}
		if code := resp.Topics[0].Partitions[0].ErrorCode; code == 0 {
			t.Fatalf("%s: commit accepted", name)
		}
	}
	stop()

	b, _ = startBrokerIn(t, dir)
	cl := b.client(t)
	fetch := kmsg.NewPtrOffsetFetchRequest()
	g := kmsg.NewOffsetFetchRequestGroup()
	g.Group = "g1"
	gt := kmsg.NewOffsetFetchRequestGroupTopic()
	gt.Topic, gt.Partitions = "t", []int32{0, 1, 2}
	g.Topics = []kmsg.OffsetFetchRequestGroupTopic{gt}
	all := kmsg.NewOffsetFetchRequestGroup()
	all.Group = "g1" // Topics nil: every committed partition
	fetch.Groups = []kmsg.OffsetFetchRequestGroup{g, all}
	fresp, err := fetch.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, rg := range fresp.Groups {
		for _, rt := range rg.Topics {
			for _, rp := range rt.Partitions {
				got = append(got, fmt.Sprintf("%s/%s-%d=%d", rg.Group, rt.Topic, rp.Partition, rp.Offset))
			}
		}
	}
	want := "[g1/t-0=10 g1/t-1=7 g1/t-2=-1 g1/t-0=10 g1/t-1=7]"
	if fmt.Sprint(got) != want {
		t.Fatalf("OffsetFetch after restart: %v, want %s", got, want)
	}

	// A consumer resumes from the committed offsets.
	resumed := b.client(t, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{"t": {1: kgo.NewOffset().At(fresp.Groups[0].Topics[0].Partitions[1].Offset)}}))
	if recs := consume(t, ctx, resumed, 3); recs[0].Offset != 7 || recs[2].Offset != 9 {
		t.Fatalf("resumed at %d", recs[0].Offset)
	}

	lresp, err := kmsg.NewPtrListGroupsRequest().RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	if len(lresp.Groups) != 1 || lresp.Groups[0].Group != "g1" || lresp.Groups[0].GroupState != "Empty" {
		t.Fatalf("ListGroups: %+v", lresp.Groups)
	}
}

// TestOldGroupVersions speaks FindCoordinator v1 and v4 (batched keys),
// OffsetCommit v2 and OffsetFetch v1 on a raw connection.
func TestOldGroupVersions(t *testing.T) {
	b := startBroker(t)
	ctx := testCtx(t)
	if err := b.log.CreateTopic(ctx, "t", broker.TopicConfig{Partitions: 1}); err != nil {
		t.Fatal(err)
	}
	rc := dialRaw(t, b)
	fc := kmsg.NewPtrFindCoordinatorRequest()
	fc.CoordinatorKey = "g"
	rc.send(request(fc, 1, 1))
	resp1 := kmsg.NewPtrFindCoordinatorResponse()
	resp1.Version = 1
	if err := resp1.ReadFrom(rc.response(1)); err != nil {
		t.Fatal(err)
	}
	if resp1.ErrorCode != 0 || fmt.Sprintf("%s:%d", resp1.Host, resp1.Port) != b.addr {
		t.Fatalf("FindCoordinator v1: %+v", resp1)
	}
	fc4 := kmsg.NewPtrFindCoordinatorRequest()
	fc4.CoordinatorKeys = []string{"a", "b"}
	rc.send(request(fc4, 4, 2))
	resp4 := kmsg.NewPtrFindCoordinatorResponse()
	resp4.Version = 4
	if err := resp4.ReadFrom(rc.response(2)[1:]); err != nil {
		t.Fatal(err)
	}
	if len(resp4.Coordinators) != 2 || resp4.Coordinators[1].Key != "b" || resp4.Coordinators[1].ErrorCode != 0 || resp4.Coordinators[1].NodeID != 0 {
		t.Fatalf("FindCoordinator v4: %+v", resp4.Coordinators)
	}
	txn := kmsg.NewPtrFindCoordinatorRequest()
	txn.CoordinatorKeys, txn.CoordinatorType = []string{"tx"}, 1
	rc.send(request(txn, 4, 3))
	resp4 = kmsg.NewPtrFindCoordinatorResponse()
	resp4.Version = 4
	if err := resp4.ReadFrom(rc.response(3)[1:]); err != nil {
		t.Fatal(err)
	}
	if c := resp4.Coordinators[0]; c.ErrorCode != 0 || c.NodeID != 0 || c.Key != "tx" {
		t.Fatalf("FindCoordinator for a transactional id: %+v, want this broker (transactions are served, txn.go)", c)
	}

	rc.send(request(offsetCommit("old", map[string]map[int32]int64{"t": {0: 5}}), 2, 4))
	cresp := kmsg.NewPtrOffsetCommitResponse()
	cresp.Version = 2
	if err := cresp.ReadFrom(rc.response(4)); err != nil {
		t.Fatal(err)
	}
	if cresp.Topics[0].Partitions[0].ErrorCode != 0 {
		t.Fatalf("OffsetCommit v2: %+v", cresp.Topics)
	}
	of := kmsg.NewPtrOffsetFetchRequest()
	of.Group = "old"
	ot := kmsg.NewOffsetFetchRequestTopic()
	ot.Topic, ot.Partitions = "t", []int32{0}
	of.Topics = []kmsg.OffsetFetchRequestTopic{ot}
	rc.send(request(of, 1, 5))
	fresp := kmsg.NewPtrOffsetFetchResponse()
	fresp.Version = 1
	if err := fresp.ReadFrom(rc.response(5)); err != nil {
		t.Fatal(err)
	}
	if p := fresp.Topics[0].Partitions[0]; p.ErrorCode != 0 || p.Offset != 5 {
		t.Fatalf("OffsetFetch v1: %+v", p)
	}
}
