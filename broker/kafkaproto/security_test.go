package kafkaproto_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"errors"
	"io"
	"math/big"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl/plain"

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

var testUsers = map[string]string{"alice": "alice-secret", "bob": "b0b"}

func plainAuth(user, pass string) kgo.Opt {
	return kgo.SASL(plain.Auth{User: user, Pass: pass}.AsMechanism())
}

// pingErr is the error of a kgo client's first request, within 10s.
func pingErr(t *testing.T, b *testBroker, opts ...kgo.Opt) error {
	t.Helper()
	cl := b.client(t, opts...)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return cl.Ping(ctx)
}

// TestSASLPlain: with Config.Users, kgo with the right password produces
// and consumes; a wrong password or an unknown user gets
// SASL_AUTHENTICATION_FAILED; a client without SASL gets nothing served.
func TestSASLPlain(t *testing.T) {
	b := startBrokerWith(t, kafkaproto.Config{Users: testUsers})
	t.Run("right password", func(t *testing.T) {
		produceConsume(t, b, b.client(t, plainAuth("alice", "alice-secret"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart())), "plain")
	})
	for name, auth := range map[string]kgo.Opt{
		"wrong password": plainAuth("alice", "b0b"),
		"unknown user":   plainAuth("carol", "alice-secret"),
	} {
		t.Run(name, func(t *testing.T) {
			if err := pingErr(t, b, auth); !errors.Is(err, kerr.SaslAuthenticationFailed) {
				t.Fatalf("got %v, want SASL_AUTHENTICATION_FAILED", err)
			}
		})
	}
	t.Run("no SASL", func(t *testing.T) {
		if err := pingErr(t, b, kgo.RequestRetries(0)); err == nil {
			t.Fatal("a client without SASL was served")
		}
	})
}

// TestSASLOverTLS: SASL_SSL, both at once.
func TestSASLOverTLS(t *testing.T) {
	srvTLS, pool := selfSigned(t)
	b := startBrokerWith(t, kafkaproto.Config{TLS: srvTLS, Users: testUsers})
	tc := kgo.DialTLSConfig(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12})
	produceConsume(t, b, b.client(t, tc, plainAuth("bob", "b0b"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart())), "sasl-ssl")
	if err := pingErr(t, b, tc, plainAuth("bob", "nope")); !errors.Is(err, kerr.SaslAuthenticationFailed) {
		t.Fatalf("wrong password over TLS: got %v, want SASL_AUTHENTICATION_FAILED", err)
	}
}

func saslHandshake(mechanism string, v int16, corr int32) []byte {
	req := kmsg.NewPtrSASLHandshakeRequest()
	req.Mechanism = mechanism
	return request(req, v, corr)
}

func saslAuthenticate(token string, v int16, corr int32) []byte {
	req := kmsg.NewPtrSASLAuthenticateRequest()
	req.SASLAuthBytes = []byte(token)
	return request(req, v, corr)
}

func readResp[R interface{ ReadFrom([]byte) error }](t *testing.T, rc *rawConn, corr int32, resp R, version int16, flexible bool) R {
	t.Helper()
	b := rc.response(corr)
	if flexible {
		b = b[1:] // the response header's tagged fields
	}
	if v, ok := any(resp).(interface{ SetVersion(int16) }); ok {
		v.SetVersion(version)
	}
	if err := resp.ReadFrom(b); err != nil {
		t.Fatal(err)
	}
	return resp
}

// TestSASLByHand drives the state machine frame by frame.
func TestSASLByHand(t *testing.T) {
	b := startBrokerWith(t, kafkaproto.Config{Users: testUsers})
	t.Run("ApiVersions advertises SASL only when on", func(t *testing.T) {
		keys := func(b *testBroker) []int16 {
			rc := dialRaw(t, b)
			rc.send(request(kmsg.NewPtrApiVersionsRequest(), 3, 1))
			resp := readResp(t, rc, 1, kmsg.NewPtrApiVersionsResponse(), 3, false)
			var ks []int16
			for _, k := range resp.ApiKeys {
				ks = append(ks, k.ApiKey)
			}
			return ks
		}
		sasl := []int16{kmsg.SASLHandshake.Int16(), kmsg.SASLAuthenticate.Int16()}
		on, off := keys(b), keys(startBroker(t))
		for _, k := range sasl {
			if !slices.Contains(on, k) || slices.Contains(off, k) {
				t.Fatalf("key %d: advertised with SASL %v, without %v", k, slices.Contains(on, k), slices.Contains(off, k))
			}
		}
		if len(on) != len(off)+2 {
			t.Fatalf("%d keys with SASL, %d without", len(on), len(off))
		}
	})
	t.Run("a request before authentication closes", func(t *testing.T) {
		for _, frame := range [][]byte{
			request(kmsg.NewPtrMetadataRequest(), 9, 1),
			append(saslHandshake("PLAIN", 1, 1), request(kmsg.NewPtrMetadataRequest(), 9, 2)...),
		} {
			rc := dialRaw(t, b)
			rc.send(frame)
			if len(frame) > 60 {
				readResp(t, rc, 1, kmsg.NewPtrSASLHandshakeResponse(), 1, false)
			}
			rc.closed()
		}
	})
	t.Run("a large frame before authentication closes", func(t *testing.T) {
		rc := dialRaw(t, b)
		big := make([]byte, 4+70<<10)
		copy(big, saslAuthenticate("", 1, 1))
		binary.BigEndian.PutUint32(big, uint32(len(big)-4))
		rc.send(big[:4+100])
		rc.closed()
	})
	t.Run("unsupported mechanism keeps the connection", func(t *testing.T) {
		rc := dialRaw(t, b)
		rc.send(saslHandshake("SCRAM-SHA-256", 1, 1))
		resp := readResp(t, rc, 1, kmsg.NewPtrSASLHandshakeResponse(), 1, false)
		if resp.ErrorCode != kerr.UnsupportedSaslMechanism.Code || !slices.Equal(resp.SupportedMechanisms, []string{"PLAIN"}) {
			t.Fatalf("SCRAM: error %d, mechanisms %v", resp.ErrorCode, resp.SupportedMechanisms)
		}
		rc.send(saslHandshake("PLAIN", 1, 2))
		if resp := readResp(t, rc, 2, kmsg.NewPtrSASLHandshakeResponse(), 1, false); resp.ErrorCode != 0 {
			t.Fatalf("PLAIN after SCRAM: error %d", resp.ErrorCode)
		}
		rc.send(saslAuthenticate("\x00alice\x00alice-secret", 2, 3))
		if resp := readResp(t, rc, 3, kmsg.NewPtrSASLAuthenticateResponse(), 2, true); resp.ErrorCode != 0 {
			t.Fatalf("authenticate: error %d", resp.ErrorCode)
		}
		rc.send(request(kmsg.NewPtrMetadataRequest(), 9, 4))
		rc.response(4)
		// Once authenticated, another handshake is refused, and served.
		rc.send(saslHandshake("PLAIN", 1, 5))
		if resp := readResp(t, rc, 5, kmsg.NewPtrSASLHandshakeResponse(), 1, false); resp.ErrorCode != kerr.IllegalSaslState.Code {
			t.Fatalf("second handshake: error %d", resp.ErrorCode)
		}
		rc.send(request(kmsg.NewPtrMetadataRequest(), 9, 6))
		rc.response(6)
	})
	for name, token := range map[string]string{
		"bad password answers then closes": "\x00alice\x00b0b",
		"authzid of another user":          "bob\x00alice\x00alice-secret",
		"malformed token":                  "alice:alice-secret",
	} {
		t.Run(name, func(t *testing.T) {
			rc := dialRaw(t, b)
			rc.send(saslHandshake("PLAIN", 1, 1))
			readResp(t, rc, 1, kmsg.NewPtrSASLHandshakeResponse(), 1, false)
			rc.send(saslAuthenticate(token, 1, 2))
			resp := readResp(t, rc, 2, kmsg.NewPtrSASLAuthenticateResponse(), 1, false)
			if resp.ErrorCode != kerr.SaslAuthenticationFailed.Code || resp.ErrorMessage == nil {
				t.Fatalf("error %d, message %v; want SASL_AUTHENTICATION_FAILED with a message", resp.ErrorCode, resp.ErrorMessage)
			}
			rc.closed()
		})
	}
	t.Run("SaslAuthenticate without handshake closes", func(t *testing.T) {
		rc := dialRaw(t, b)
		rc.send(saslAuthenticate("\x00alice\x00alice-secret", 1, 1))
		if resp := readResp(t, rc, 1, kmsg.NewPtrSASLAuthenticateResponse(), 1, false); resp.ErrorCode != kerr.IllegalSaslState.Code {
			t.Fatalf("error %d, want ILLEGAL_SASL_STATE", resp.ErrorCode)
		}
		rc.closed()
	})
	// SaslHandshake v0, then the raw token (no SaslAuthenticate): what
	// kgo, librdkafka and Java fall back to when a broker offers
	// SaslHandshake v0 only (or librdkafka with api.version.request=false).
	t.Run("handshake v0 raw token", func(t *testing.T) {
		raw := func(token string) []byte {
			return append(binary.BigEndian.AppendUint32(nil, uint32(len(token))), token...)
		}
		rc := dialRaw(t, b)
		rc.send(saslHandshake("PLAIN", 0, 1))
		readResp(t, rc, 1, kmsg.NewPtrSASLHandshakeResponse(), 0, false)
		rc.send(raw("\x00bob\x00b0b"))
		var empty [4]byte
		if _, err := io.ReadFull(rc.r, empty[:]); err != nil || empty != [4]byte{} {
			t.Fatalf("raw token answer % x, %v; want an empty frame", empty, err)
		}
		rc.send(request(kmsg.NewPtrMetadataRequest(), 9, 2))
		rc.response(2)

		rc = dialRaw(t, b)
		rc.send(saslHandshake("PLAIN", 0, 1))
		readResp(t, rc, 1, kmsg.NewPtrSASLHandshakeResponse(), 0, false)
		rc.send(raw("\x00bob\x00bob"))
		rc.closed()
	})
}
