package kafkaproto

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// SASL/PLAIN authentication (Config.Users).
//
// A connection starts unauthenticated: it may send ApiVersions,
// SaslHandshake and SaslAuthenticate, in frames of at most
// maxUnauthenticatedFrame bytes; anything else closes it. SaslHandshake
// v1 names the mechanism and SaslAuthenticate carries the PLAIN token
// (KIP-152). SaslHandshake v0 is the older flow that clients still fall
// back to when a broker offers no SaslHandshake v1 (kgo, librdkafka,
// Java): the next frame is the raw token, answered by an empty frame, or
// by closing the connection when it is refused. Clients pick v1 here,
// since ApiVersions advertises it.

// plainMechanism is the only SASL mechanism served.
const plainMechanism = "PLAIN"

// maxUnauthenticatedFrame bounds a frame before authentication: a PLAIN
// token is a user name and a password, and an unauthenticated client
// must not make the server read (or decode) more. Kafka's
// sasl.server.max.receive.size is 512 KiB, for larger mechanisms.
const maxUnauthenticatedFrame = 64 << 10

// saslAPIs are served, and advertised by ApiVersions, only when
// Config.Users is set. They act on the connection (conn.serveSASL).
var saslAPIs = map[int16]api{
	kmsg.SASLHandshake.Int16():    {0, 1, nil},
	kmsg.SASLAuthenticate.Int16(): {0, 2, nil},
}

// saslState is where a connection is in authentication.
type saslState uint8

const (
	saslStart     saslState = iota // not authenticated, no handshake
	saslPlain                      // SaslHandshake v1 chose PLAIN: SaslAuthenticate is due
	saslRaw                        // SaslHandshake v0 chose PLAIN: a raw token is due
	authenticated                  // done (or no authentication configured)
)

// credentials holds the users' passwords as SHA-256 digests, compared in
// constant time; an unknown user is compared against a random digest so
// that the time taken does not tell users apart.
type credentials struct {
	digests map[string][sha256.Size]byte
	unknown [sha256.Size]byte
}

func newCredentials(users map[string]string) *credentials {
	if users == nil {
		return nil
	}
	c := &credentials{digests: make(map[string][sha256.Size]byte, len(users))}
	for u, p := range users {
		c.digests[u] = sha256.Sum256([]byte(p))
	}
	rand.Read(c.unknown[:])
	return c
}

var errBadCredentials = errors.New("Authentication failed: Invalid username or password")

// checkPlain checks a SASL/PLAIN token (RFC 4616: authzid NUL authcid
// NUL password) and returns the user it authenticates.
func (c *credentials) checkPlain(token []byte) (string, error) {
	parts := bytes.Split(token, []byte{0})
	if len(parts) != 3 {
		return "", fmt.Errorf("Invalid SASL/PLAIN response: expected 3 tokens, got %d", len(parts))
	}
	authzid, user, pass := string(parts[0]), string(parts[1]), parts[2]
	if user == "" {
		return "", errors.New("Authentication failed: username not specified")
	}
	if authzid != "" && authzid != user {
		return "", errors.New("Authentication failed: Client requested an authorization id that is different from username")
	}
	want, known := c.digests[user]
	if !known {
		want = c.unknown
	}
	got := sha256.Sum256(pass)
	if subtle.ConstantTimeCompare(got[:], want[:]) != 1 || !known {
		return user, errBadCredentials
	}
	return user, nil
}

// admit refuses a request a connection may not send yet.
func (cn *conn) admit(key int16) error {
	if cn.sasl == authenticated || key == kmsg.ApiVersions.Int16() {
		return nil
	}
	if _, ok := saslAPIs[key]; ok {
		return nil
	}
	return fmt.Errorf("%s before SASL authentication", kmsg.NameForKey(key))
}

// serveSASL serves SaslHandshake and SaslAuthenticate.
func (cn *conn) serveSASL(r kmsg.Request) (kmsg.Response, error) {
	switch req := r.(type) {
	case *kmsg.SASLHandshakeRequest:
		return cn.saslHandshake(req), nil
	case *kmsg.SASLAuthenticateRequest:
		return cn.saslAuthenticate(req), nil
	}
	return nil, fmt.Errorf("%s is not a SASL request", kmsg.NameForKey(r.Key()))
}

func (cn *conn) saslHandshake(req *kmsg.SASLHandshakeRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.SASLHandshakeResponse)
	resp.SupportedMechanisms = []string{plainMechanism}
	switch {
	case cn.sasl == authenticated:
		// Re-authentication is not offered (the session lifetime
		// answered is 0); Kafka answers this way then too.
		resp.ErrorCode = kerr.IllegalSaslState.Code
	case cn.sasl != saslStart:
		resp.ErrorCode = kerr.IllegalSaslState.Code
		cn.closeAfter = true
	case req.Mechanism != plainMechanism:
		// The connection stays: the client may retry with PLAIN.
		resp.ErrorCode = kerr.UnsupportedSaslMechanism.Code
	case req.Version == 0:
		cn.sasl = saslRaw
	default:
		cn.sasl = saslPlain
	}
	return resp
}

func (cn *conn) saslAuthenticate(req *kmsg.SASLAuthenticateRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.SASLAuthenticateResponse)
	fail := func(code int16, msg string) kmsg.Response {
		resp.ErrorCode, resp.ErrorMessage = code, kmsg.StringPtr(msg)
		return resp
	}
	switch cn.sasl {
	case authenticated:
		return fail(kerr.IllegalSaslState.Code, "already authenticated: re-authentication is not offered")
	case saslPlain:
	default:
		cn.closeAfter = true
		return fail(kerr.IllegalSaslState.Code, "SaslAuthenticate before SaslHandshake v1")
	}
	user, err := cn.s.users.checkPlain(req.SASLAuthBytes)
	if err != nil {
		cn.closeAfter = true
		cn.s.logf("kafkaproto: %s: SASL/PLAIN authentication of %q failed: %v", cn.c.RemoteAddr(), user, err)
		return fail(kerr.SaslAuthenticationFailed.Code, err.Error())
	}
	cn.sasl = authenticated
	resp.SASLAuthBytes = []byte{}
	return resp
}

// rawSASL reads the raw PLAIN token that follows SaslHandshake v0 and
// answers it with an empty token; a refused token returns an error,
// which closes the connection (there is no error field to answer with).
func (cn *conn) rawSASL() error {
	var sz [4]byte
	if _, err := io.ReadFull(cn.r, sz[:]); err != nil {
		return err
	}
	n := int32(binary.BigEndian.Uint32(sz[:]))
	if n < 0 || n > maxUnauthenticatedFrame {
		return fmt.Errorf("SASL token of %d bytes (allowed 0..%d)", n, maxUnauthenticatedFrame)
	}
	token := make([]byte, n)
	if _, err := io.ReadFull(cn.r, token); err != nil {
		return err
	}
	user, err := cn.s.users.checkPlain(token)
	if err != nil {
		return fmt.Errorf("SASL/PLAIN authentication of %q failed: %v", user, err)
	}
	cn.sasl = authenticated
	if _, err := cn.w.Write([]byte{0, 0, 0, 0}); err != nil {
		return err
	}
	return cn.w.Flush()
}
