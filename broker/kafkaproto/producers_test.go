package kafkaproto_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/broker/embedded"
	"github.com/ksqlgo/ksql/broker/embedded/logfs"
	"github.com/ksqlgo/ksql/broker/kafkaproto"
)

// producerBatch is an uncompressed record batch v2 of n records of
// producer (id, epoch) from sequence seq (transactional if txn).
func producerBatch(id int64, epoch int16, seq int32, n int, txn bool, prefix string) []byte {
	var raw []byte
	for i := range n {
		r := kmsg.Record{OffsetDelta: int32(i), Key: fmt.Appendf(nil, "%s-k%d", prefix, i), Value: fmt.Appendf(nil, "%s-v%d", prefix, i)}
		body := r.AppendTo(nil)[1:]
		raw = binary.AppendVarint(raw, int64(len(body)))
		raw = append(raw, body...)
	}
	var attrs int16
	if txn {
		attrs = 0x10
	}
	b := kmsg.RecordBatch{Magic: 2, Attributes: attrs, LastOffsetDelta: int32(n - 1), FirstTimestamp: 1000, MaxTimestamp: 1000,
		ProducerID: id, ProducerEpoch: epoch, FirstSequence: seq, NumRecords: int32(n), Records: raw, PartitionLeaderEpoch: -1}
	out := b.AppendTo(nil)
	binary.BigEndian.PutUint32(out[8:], uint32(len(out)-12))
	fixCRC(out)
	return out
}

// rawProduce sends one produce request (v9, acks -1) of batch to t-0
// and returns the partition's error code and base offset.
func rawProduce(t *testing.T, rc *rawConn, corr int32, txnID *string, batch []byte) (int16, int64) {
	t.Helper()
	req := kmsg.NewPtrProduceRequest()
	req.Acks, req.TimeoutMillis, req.TransactionID = -1, 5000, txnID
	rt := kmsg.NewProduceRequestTopic()
	rt.Topic = "t"
	rp := kmsg.NewProduceRequestTopicPartition()
	rp.Records = batch
	rt.Partitions = []kmsg.ProduceRequestTopicPartition{rp}
	req.Topics = []kmsg.ProduceRequestTopic{rt}
	rc.send(request(req, 9, corr))
	resp := kmsg.NewPtrProduceResponse()
	resp.Version = 9
	if err := resp.ReadFrom(rc.response(corr)[1:]); err != nil {
		t.Fatal(err)
	}
	p := resp.Topics[0].Partitions[0]
	return p.ErrorCode, p.BaseOffset
}

// rawInitProducerID sends InitProducerId v4 and returns the response.
func rawInitProducerID(t *testing.T, rc *rawConn, corr int32, txnID *string, id int64, epoch int16) *kmsg.InitProducerIDResponse {
	t.Helper()
	req := kmsg.NewPtrInitProducerIDRequest()
	req.TransactionalID, req.TransactionTimeoutMillis, req.ProducerID, req.ProducerEpoch = txnID, 60000, id, epoch
	rc.send(request(req, 4, corr))
	resp := kmsg.NewPtrInitProducerIDResponse()
	resp.Version = 4
	if err := resp.ReadFrom(rc.response(corr)[1:]); err != nil {
		t.Fatal(err)
	}
	return resp
}

func TestIdempotentProduceSequenceErrors(t *testing.T) {
	b := startBroker(t)
	if err := b.log.CreateTopic(testCtx(t), "t", broker.TopicConfig{Partitions: 1}); err != nil {
		t.Fatal(err)
	}
	rc := dialRaw(t, b)
	init := rawInitProducerID(t, rc, 1, nil, -1, -1)
	if init.ErrorCode != 0 || init.ProducerID < 0 || init.ProducerEpoch != 0 {
		t.Fatalf("InitProducerId: error %d, id %d, epoch %d", init.ErrorCode, init.ProducerID, init.ProducerEpoch)
	}
	if again := rawInitProducerID(t, rc, 2, nil, init.ProducerID, 0); again.ProducerID == init.ProducerID {
		t.Fatalf("a second InitProducerId got the same id %d", again.ProducerID)
	}
	id := init.ProducerID
	for i, tc := range []struct {
		name  string
		epoch int16
		seq   int32
		n     int
		code  int16
		base  int64
	}{
		{"first", 0, 0, 2, 0, 0},
		{"next", 0, 2, 3, 0, 2},
		{"retry of the first", 0, 0, 2, 0, 0},
		{"retry of the second", 0, 2, 3, 0, 2},
		{"gap", 0, 9, 1, 45, -1},       // OUT_OF_ORDER_SEQUENCE_NUMBER
		{"new epoch", 1, 0, 1, 0, 5},   // an epoch bump starts at 0
		{"old epoch", 0, 5, 1, 47, -1}, // INVALID_PRODUCER_EPOCH
		{"new epoch not at 0", 2, 3, 1, 45, -1},
	} {
		code, base := rawProduce(t, rc, int32(10+i), nil, producerBatch(id, tc.epoch, tc.seq, tc.n, false, tc.name))
		if code != tc.code || base != tc.base {
			t.Errorf("%s: error %d, base offset %d; want %d, %d", tc.name, code, base, tc.code, tc.base)
		}
	}
	recs, err := broker.ReadAll(testCtx(t), b.log, "t", 0, 0, broker.ReadUncommitted, 0)
	if err != nil || len(recs) != 6 {
		t.Fatalf("the partition holds %d records (%v), want 6: retries appended nothing", len(recs), err)
	}
}

// TestIdempotentRetryAfterPowerLoss: a batch acknowledged before a power
// loss is recognised when the producer retries it against the recovered
// log, and the producer id is not handed out again.
func TestIdempotentRetryAfterPowerLoss(t *testing.T) {
	mem := logfs.NewMem()
	start := func(fs *logfs.Mem) *testBroker {
		l, err := embedded.Open("/data", embedded.Options{FS: fs, RetentionCheckInterval: -1})
		if err != nil {
			t.Fatal(err)
		}
		srv := kafkaproto.NewServer(l, kafkaproto.Config{Logf: t.Logf})
		if err := srv.Listen("127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		served := make(chan error, 1)
		go func() { served <- srv.Serve(context.Background()) }()
		t.Cleanup(func() {
			srv.Close()
			<-served
			l.Close()
		})
		return &testBroker{log: l, srv: srv, addr: srv.Addr().String()}
	}
	b := start(mem)
	if err := b.log.CreateTopic(testCtx(t), "t", broker.TopicConfig{Partitions: 1}); err != nil {
		t.Fatal(err)
	}
	rc := dialRaw(t, b)
	id := rawInitProducerID(t, rc, 1, nil, -1, -1).ProducerID
	if code, _ := rawProduce(t, rc, 2, nil, producerBatch(id, 0, 0, 2, false, "a")); code != 0 {
		t.Fatalf("produce: error %d", code)
	}
	batch := producerBatch(id, 0, 2, 3, false, "b")
	code, acked := rawProduce(t, rc, 3, nil, batch)
	if code != 0 {
		t.Fatalf("produce: error %d", code)
	}
	// The power fails: only what was fsynced survives. The old server
	// and log are left as they are (closed at cleanup, on the old image).
	b2 := start(mem.Crash(nil))
	rc2 := dialRaw(t, b2)
	if code, base := rawProduce(t, rc2, 1, nil, batch); code != 0 || base != acked {
		t.Fatalf("retry after the power loss: error %d, base offset %d; want 0, %d", code, base, acked)
	}
	if code, _ := rawProduce(t, rc2, 2, nil, producerBatch(id, 0, 5, 1, false, "c")); code != 0 {
		t.Fatalf("the next batch after the power loss: error %d", code)
	}
	recs, err := broker.ReadAll(testCtx(t), b2.log, "t", 0, 0, broker.ReadUncommitted, 0)
	if err != nil || len(recs) != 6 {
		t.Fatalf("the partition holds %d records (%v), want 6", len(recs), err)
	}
	if next := rawInitProducerID(t, rc2, 3, nil, -1, -1).ProducerID; next <= id {
		t.Fatalf("producer id %d handed out after the restart; %d was handed out before", next, id)
	}
}

// dropProxy forwards Kafka frames between clients and a broker, one
// request at a time, and loses the responses of the first drop produce
// requests (closing the client's connection after the broker answered),
// so that the client retries batches the broker has appended.
type dropProxy struct {
	ln      net.Listener
	target  string
	drop    atomic.Int32
	dropped atomic.Int32
}

func readFrame(r io.Reader) ([]byte, error) {
	var sz [4]byte
	if _, err := io.ReadFull(r, sz[:]); err != nil {
		return nil, err
	}
	b := make([]byte, 4+binary.BigEndian.Uint32(sz[:]))
	copy(b, sz[:])
	_, err := io.ReadFull(r, b[4:])
	return b, err
}

func (p *dropProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			up, err := net.Dial("tcp", p.target)
			if err != nil {
				return
			}
			defer up.Close()
			cr, ur := bufio.NewReader(c), bufio.NewReader(up)
			for {
				req, err := readFrame(cr)
				if err != nil {
					return
				}
				if _, err := up.Write(req); err != nil {
					return
				}
				resp, err := readFrame(ur)
				if err != nil {
					return
				}
				if key := binary.BigEndian.Uint16(req[4:]); key == 0 && p.drop.Add(-1) >= 0 {
					p.dropped.Add(1)
					return // the broker appended; the client never hears it
				}
				if _, err := c.Write(resp); err != nil {
					return
				}
			}
		}()
	}
}

// TestIdempotentProducerRetriesDoNotDuplicate: kgo's default producer is
// idempotent; when produce responses are lost it retries the same batches,
// and every record is in the log once, in order.
func TestIdempotentProducerRetriesDoNotDuplicate(t *testing.T) {
	proxyLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l, err := embedded.Open(t.TempDir(), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := kafkaproto.NewServer(l, kafkaproto.Config{Logf: t.Logf, Advertise: proxyLn.Addr().String()})
	if err := srv.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(context.Background()) }()
	p := &dropProxy{ln: proxyLn, target: srv.Addr().String()}
	p.drop.Store(3)
	go p.serve()
	t.Cleanup(func() {
		proxyLn.Close()
		srv.Close()
		<-served
		l.Close()
	})
	ctx := testCtx(t)
	if err := l.CreateTopic(ctx, "t", broker.TopicConfig{Partitions: 1}); err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(proxyLn.Addr().String()), kgo.DefaultProduceTopic("t"),
		kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerLinger(0),
		kgo.RetryBackoffFn(func(int) time.Duration { return 10 * time.Millisecond }),
		kgo.MetadataMinAge(10*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	const n = 50
	for i := range n {
		r := &kgo.Record{Value: fmt.Appendf(nil, "%d", i)}
		if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
	}
	if p.dropped.Load() != 3 {
		t.Fatalf("%d produce responses lost, want 3: the test did not make the client retry", p.dropped.Load())
	}
	recs, err := broker.ReadAll(ctx, l, "t", 0, 0, broker.ReadUncommitted, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != n {
		t.Fatalf("the partition holds %d records, want %d (retries were appended again)", len(recs), n)
	}
	for i, r := range recs {
		if string(r.Value) != fmt.Sprint(i) {
			t.Fatalf("record %d is %q", i, r.Value)
		}
	}
}
