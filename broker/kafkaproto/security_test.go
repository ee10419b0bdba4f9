package kafkaproto_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/ksqlgo/ksql/broker/kafkaproto"
)

// selfSigned makes a self-signed certificate for 127.0.0.1 (an IP SAN)
// and returns the server's tls.Config and the pool a client trusts it
// with.
func selfSigned(t *testing.T) (*tls.Config, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "ksql test broker"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}}, MinVersion: tls.VersionTLS12}, pool
}

// produceConsume creates topic t, produces three records through cl and
// reads them back.
func produceConsume(t *testing.T, b *testBroker, cl *kgo.Client, topic string) {
	t.Helper()
	createTopic(t, b.log, topic, 1)
	ctx := testCtx(t)
	var want []*kgo.Record
	for i := range 3 {
		want = append(want, &kgo.Record{Topic: topic, Key: []byte{'k', byte('0' + i)}, Value: []byte("v")})
	}
	if err := cl.ProduceSync(ctx, want...).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}
	cl.AddConsumeTopics(topic)
	got := consume(t, ctx, cl, len(want))
	for i := range want {
		if string(got[i].Key) != string(want[i].Key) {
			t.Fatalf("record %d has key %q, want %q", i, got[i].Key, want[i].Key)
		}
	}
}

// TestTLSListener: with Config.TLS every connection is TLS; a kgo client
// trusting the certificate produces and consumes.
func TestTLSListener(t *testing.T) {
	srvTLS, pool := selfSigned(t)
	b := startBrokerWith(t, kafkaproto.Config{TLS: srvTLS})
	cl := b.client(t, kgo.DialTLSConfig(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	produceConsume(t, b, cl, "secure")
}

// TestPlaintextClientOnTLSListener: a client speaking plain Kafka to a
// TLS listener gets no Kafka answer and its connection is closed; the
// server goes on serving TLS clients.
func TestPlaintextClientOnTLSListener(t *testing.T) {
	srvTLS, pool := selfSigned(t)
	b := startBrokerWith(t, kafkaproto.Config{TLS: srvTLS})
	c, err := net.Dial("tcp", b.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := c.Write(request(kmsg.NewPtrApiVersionsRequest(), 3, 1)); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(c)
	if err != nil && !isReset(err) {
		t.Fatalf("the server did not close the plaintext connection: %v", err)
	}
	// At most a TLS alert record (content type 21), never a Kafka frame.
	if len(got) > 0 && got[0] != 21 {
		t.Fatalf("plaintext client got % x, want nothing or a TLS alert", got)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatal("connection left open")
	}
	cl := b.client(t, kgo.DialTLSConfig(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	produceConsume(t, b, cl, "after")
}
