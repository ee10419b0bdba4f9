package kafkaproto_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/ksqlgo/ksql/broker"
)

// rawConn is a bare TCP connection to the listener for hand-made frames.
type rawConn struct {
	t *testing.T
	c net.Conn
	r *bufio.Reader
}

func dialRaw(t *testing.T, b *testBroker) *rawConn {
	t.Helper()
	c, err := net.Dial("tcp", b.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	// A bound, not an assertion: a broken server fails the test instead
	// of hanging it.
	c.SetDeadline(time.Now().Add(20 * time.Second))
	return &rawConn{t: t, c: c, r: bufio.NewReader(c)}
}

// request frames req under version, with header v2 for flexible versions.
func request(req kmsg.Request, version int16, corr int32) []byte {
	req.SetVersion(version)
	b := make([]byte, 4, 64)
	b = binary.BigEndian.AppendUint16(b, uint16(req.Key()))
	b = binary.BigEndian.AppendUint16(b, uint16(version))
	b = binary.BigEndian.AppendUint32(b, uint32(corr))
	b = binary.BigEndian.AppendUint16(b, 4)
	b = append(b, "test"...)
	if req.IsFlexible() {
		b = append(b, 0)
	}
	b = req.AppendTo(b)
	binary.BigEndian.PutUint32(b, uint32(len(b)-4))
	return b
}

func (rc *rawConn) send(b []byte) {
	if _, err := rc.c.Write(b); err != nil {
		rc.t.Fatal(err)
	}
}

// response reads one response frame and checks its correlation id.
func (rc *rawConn) response(corr int32) []byte {
	rc.t.Helper()
	var sz [4]byte
	if _, err := io.ReadFull(rc.r, sz[:]); err != nil {
		rc.t.Fatalf("reading response %d: %v", corr, err)
	}
	b := make([]byte, binary.BigEndian.Uint32(sz[:]))
	if _, err := io.ReadFull(rc.r, b); err != nil {
		rc.t.Fatal(err)
	}
	if got := int32(binary.BigEndian.Uint32(b)); got != corr {
		rc.t.Fatalf("response correlation id %d, want %d", got, corr)
	}
	return b[4:]
}

// closed checks the server closes the connection without answering.
func (rc *rawConn) closed() {
	rc.t.Helper()
	var one [1]byte
	n, err := rc.r.Read(one[:])
	if !errors.Is(err, io.EOF) && !isReset(err) {
		rc.t.Fatalf("connection not closed: read %d bytes, err %v", n, err)
	}
}

func isReset(err error) bool {
	var oe *net.OpError
	return errors.As(err, &oe) && !oe.Timeout()
}

func TestHostileFramesCloseTheConnection(t *testing.T) {
	b := startBroker(t)
	size := func(n uint32) []byte { return binary.BigEndian.AppendUint32(nil, n) }
	unknownKey := request(kmsg.NewPtrApiVersionsRequest(), 0, 1)
	binary.BigEndian.PutUint16(unknownKey[4:], 999)
	truncated := request(kmsg.NewPtrMetadataRequest(), 4, 1)
	binary.BigEndian.PutUint32(truncated, uint32(len(truncated)-4+100)) // promises more than is sent
	for name, frame := range map[string][]byte{
		"huge length":                   size(0x7fffffff),
		"negative length":               size(0xffffffff),
		"length below a header":         append(size(3), 0, 0, 0),
		"unknown api key":               unknownKey,
		"unsupported produce version":   request(kmsg.NewPtrProduceRequest(), 2, 1),
		"unsupported metadata version":  request(kmsg.NewPtrMetadataRequest(), 13, 1),
		"truncated body":                request(kmsg.NewPtrMetadataRequest(), 4, 1)[:12],
		"frame longer than its request": truncated,
	} {
		t.Run(name, func(t *testing.T) {
			rc := dialRaw(t, b)
			rc.send(frame)
			if name == "truncated body" || name == "frame longer than its request" {
				rc.c.(*net.TCPConn).CloseWrite()
			}
			rc.closed()
		})
	}
	// The server still serves.
	rc := dialRaw(t, b)
	rc.send(request(kmsg.NewPtrApiVersionsRequest(), 3, 7))
	rc.response(7)
}

func TestApiVersionsUnsupportedVersionKeepsTheConnection(t *testing.T) {
	b := startBroker(t)
	rc := dialRaw(t, b)
	rc.send(request(kmsg.NewPtrApiVersionsRequest(), 99, 1))
	resp := kmsg.NewPtrApiVersionsResponse()
	resp.Version = 0
	if err := resp.ReadFrom(rc.response(1)); err != nil {
		t.Fatal(err)
	}
	if resp.ErrorCode != 35 || len(resp.ApiKeys) == 0 {
		t.Fatalf("ApiVersions v99: error %d, %d keys; want UNSUPPORTED_VERSION (35) and the supported keys", resp.ErrorCode, len(resp.ApiKeys))
	}
	// Pipelined requests on the same connection are answered in order.
	rc.send(append(request(kmsg.NewPtrApiVersionsRequest(), 3, 2), request(kmsg.NewPtrMetadataRequest(), 9, 3)...))
	rc.response(2)
	rc.response(3)
}

func TestBadProduceBatchesGetErrors(t *testing.T) {
	b := startBroker(t)
	ctx := testCtx(t)
	if err := b.log.CreateTopic(ctx, "t", broker.TopicConfig{Partitions: 1}); err != nil {
		t.Fatal(err)
	}
	good := validBatch()
	badCRC := append([]byte(nil), good...)
	badCRC[len(badCRC)-1] ^= 0xff
	// A producer id without epoch and sequence.
	halfIdempotent := append([]byte(nil), good...)
	binary.BigEndian.PutUint64(halfIdempotent[43:], 7)
	fixCRC(halfIdempotent)
	// A producer id this broker never handed out (epoch 0, sequence 0).
	unknownProducer := append([]byte(nil), halfIdempotent...)
	binary.BigEndian.PutUint16(unknownProducer[51:], 0)
	binary.BigEndian.PutUint32(unknownProducer[53:], 0)
	fixCRC(unknownProducer)
	twoBatches := append(append([]byte(nil), good...), good...)
	for _, tc := range []struct {
		name    string
		records []byte
		code    int16
	}{
		{"bad crc", badCRC, 2},
		{"truncated", good[:len(good)-3], 2},
		{"header only", good[:61], 2},
		{"two batches", twoBatches, 87},
		{"producer id without epoch and sequence", halfIdempotent, 87},
		{"unknown producer id", unknownProducer, 59},
		{"good", good, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := kmsg.NewPtrProduceRequest()
			req.Acks = -1
			rt := kmsg.NewProduceRequestTopic()
			rt.Topic = "t"
			rp := kmsg.NewProduceRequestTopicPartition()
			rp.Records = tc.records
			rt.Partitions = []kmsg.ProduceRequestTopicPartition{rp}
			req.Topics = []kmsg.ProduceRequestTopic{rt}
			rc := dialRaw(t, b)
			rc.send(request(req, 9, 5))
			resp := kmsg.NewPtrProduceResponse()
			resp.Version = 9
			body := rc.response(5)
			if err := resp.ReadFrom(body[1:]); err != nil { // skip the header's tagged fields
				t.Fatal(err)
			}
			p := resp.Topics[0].Partitions[0]
			if p.ErrorCode != tc.code {
				msg := ""
				if p.ErrorMessage != nil {
					msg = *p.ErrorMessage
				}
				t.Fatalf("error code %d (%s), want %d", p.ErrorCode, msg, tc.code)
			}
		})
	}
	recs, err := broker.ReadAll(context.Background(), b.log, "t", 0, 0, broker.ReadCommitted, 0)
	if err != nil || len(recs) != 2 {
		t.Fatalf("log holds %d records (%v), want only the good batch's 2", len(recs), err)
	}
}
