package kafkaproto

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/ksqlgo/ksql/broker"
)

// DefaultMaxFrameBytes is Kafka's default socket.request.max.bytes. It
// bounds Produce frames; other requests are bounded by
// DefaultMaxNonProduceFrameBytes (limits.go).
const DefaultMaxFrameBytes = 100 << 20

// Config configures a Server. The zero value serves on the listener's own
// address as node 0.
type Config struct {
	// Advertise is the host:port clients are told to connect to (in
	// Metadata and FindCoordinator). Empty: the listener's address.
	Advertise string
	// NodeID is this broker's node id.
	NodeID int32
	// ClusterID is reported in Metadata. Empty: "ksql-embedded".
	ClusterID string
	// TLS, when set, makes every connection TLS (the listener given to
	// UseListener, or bound by Listen, is wrapped): Kafka's SSL, or
	// SASL_SSL with Users. It must hold a certificate.
	TLS *tls.Config
	// Users turns on SASL/PLAIN authentication (sasl.go): user name to
	// password. Nil: no authentication; every request is served.
	Users map[string]string
	// MaxFrameBytes bounds one request frame (0: DefaultMaxFrameBytes);
	// MaxNonProduceFrameBytes, lower, bounds a frame of any request but
	// Produce (0: DefaultMaxNonProduceFrameBytes; limits.go).
	MaxFrameBytes, MaxNonProduceFrameBytes int32
	// MaxPartitions bounds the partitions of a topic that CreateTopics
	// and CreatePartitions may ask for (0: DefaultMaxPartitions); more
	// gets INVALID_PARTITIONS.
	MaxPartitions int32
	// MaxBatchBytes bounds the records of one produce batch after
	// decompression (0: DefaultMaxBatchBytes). A batch over it is refused
	// with MESSAGE_TOO_LARGE, which clients do not retry as is (Java's
	// producer splits the batch), and nothing of it is appended.
	MaxBatchBytes int32
	// Logf reports connection errors and recovered panics (nil: silent).
	Logf func(format string, args ...any)
	// Internal reports the topics internal to the engine (nil: none):
	// clients may read them but not write, delete or grow them
	// (internal.go).
	Internal func(topic string) bool

	// Consumer groups (membership.go). GroupInitialRebalanceDelay is
	// Kafka's group.initial.rebalance.delay.ms: the first rebalance of an
	// empty group waits this long for more members, longer while they
	// come, up to the rebalance timeout (0: 3s; negative: no delay).
	GroupInitialRebalanceDelay time.Duration
	// GroupMinSessionTimeout and GroupMaxSessionTimeout bound the session
	// timeouts members may ask for (0: Kafka's 6s and 30m).
	GroupMinSessionTimeout, GroupMaxSessionTimeout time.Duration
	// GroupMaxSize bounds the members of one group, members being
	// admitted included (0: DefaultGroupMaxSize).
	GroupMaxSize int
}

// Server answers the Kafka wire protocol over a broker.Log.
//
// Listen binds the address, Serve accepts connections until Close (or
// until its context is done), Close stops accepting, closes every
// connection and waits for their goroutines. A Server serves once.
type Server struct {
	log   broker.Log
	plog  broker.ProducerLog // log, if it keeps producer state (else nil)
	cfg   Config
	dec   *decompressor
	txns  *txnCoordinator
	users *credentials // Config.Users (nil: no authentication)

	mu       sync.Mutex
	ln       net.Listener
	conns    map[net.Conn]struct{}
	closed   bool
	host     string
	port     int32
	wg       sync.WaitGroup
	ctx      context.Context
	cancel   context.CancelFunc
	groups   *coordinator // consumer groups (membership.go)
	closeErr error
}

// NewServer returns a server of l. It does not listen yet.
func NewServer(l broker.Log, cfg Config) *Server {
	if cfg.MaxFrameBytes <= 0 {
		cfg.MaxFrameBytes = DefaultMaxFrameBytes
	}
	if cfg.MaxBatchBytes <= 0 {
		cfg.MaxBatchBytes = DefaultMaxBatchBytes
	}
	if cfg.MaxNonProduceFrameBytes <= 0 {
		cfg.MaxNonProduceFrameBytes = DefaultMaxNonProduceFrameBytes
	}
	cfg.MaxNonProduceFrameBytes = min(cfg.MaxNonProduceFrameBytes, cfg.MaxFrameBytes)
	if cfg.MaxPartitions <= 0 {
		cfg.MaxPartitions = DefaultMaxPartitions
	}
	if cfg.ClusterID == "" {
		cfg.ClusterID = "ksql-embedded"
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{log: l, cfg: cfg, dec: newDecompressor(int(cfg.MaxBatchBytes)), conns: map[net.Conn]struct{}{}, ctx: ctx, cancel: cancel, groups: newCoordinator(cfg)}
	s.plog, _ = l.(broker.ProducerLog)
	s.txns = newTxnCoordinator(s)
	s.users = newCredentials(cfg.Users)
	return s
}

// Listen binds addr (host:port; port 0 picks a free one). The advertised
// address is Config.Advertise, or else the bound address.
func (s *Server) Listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("kafkaproto: listen on %s: %w", addr, err)
	}
	if err := s.UseListener(ln); err != nil {
		ln.Close()
		return err
	}
	return nil
}

// UseListener makes s serve ln, bound by the caller (for example before
// the log it serves is open, so that a taken port is found first). The
// advertised address is Config.Advertise, or else ln's address. s owns ln
// once this returns nil.
func (s *Server) UseListener(ln net.Listener) error {
	adv := s.cfg.Advertise
	if adv == "" {
		adv = ln.Addr().String()
	}
	host, portStr, err := net.SplitHostPort(adv)
	var port int
	if err == nil {
		if port, err = strconv.Atoi(portStr); err == nil && (port <= 0 || port > 65535) {
			err = fmt.Errorf("port %d out of range", port)
		}
	}
	if err != nil {
		return fmt.Errorf("kafkaproto: advertised address %q: %w", adv, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.ln != nil {
		return errors.New("kafkaproto: server closed or already listening")
	}
	if s.cfg.TLS != nil {
		ln = tls.NewListener(ln, s.cfg.TLS)
	}
	s.ln, s.host, s.port = ln, host, int32(port)
	return nil
}

// Advertised is the host:port clients are told to connect to ("" before
// Listen).
func (s *Server) Advertised() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return ""
	}
	return net.JoinHostPort(s.host, strconv.Itoa(int(s.port)))
}

// Addr is the bound address (nil before Listen).
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

// Serve accepts connections until Close is called or ctx is done, then
// closes everything and returns nil; it returns an accept error otherwise.
// Before it accepts, it settles the client transactions a stop left
// unfinished (txn.go); failing that, it closes the server and returns
// the error.
func (s *Server) Serve(ctx context.Context) error {
	s.mu.Lock()
	ln := s.ln
	s.mu.Unlock()
	if ln == nil {
		return errors.New("kafkaproto: Serve before Listen")
	}
	stop := context.AfterFunc(ctx, func() { s.Close() })
	defer stop()
	if err := s.txns.recover(s.ctx); err != nil {
		s.Close()
		return err
	}
	s.mu.Lock()
	if !s.closed {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.txns.run(s.ctx)
		}()
	}
	s.mu.Unlock()
	for {
		c, err := ln.Accept()
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if closed {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			s.Close()
			return fmt.Errorf("kafkaproto: accept: %w", err)
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return nil
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go s.serveConn(c)
	}
}

// Close stops the listener, closes every connection and waits for their
// goroutines to end. It is safe to call more than once.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		s.wg.Wait()
		return s.closeErr
	}
	s.closed = true
	s.cancel()
	s.groups.close()
	if s.ln != nil {
		s.closeErr = s.ln.Close()
	}
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return s.closeErr
}

func (s *Server) logf(format string, args ...any) {
	if s.cfg.Logf != nil {
		s.cfg.Logf(format, args...)
	}
}

// conn is one client connection.
type conn struct {
	s  *Server
	c  net.Conn
	r  *bufio.Reader
	w  *bufio.Writer
	in bytes.Buffer // the current frame

	sasl       saslState // authentication (sasl.go)
	closeAfter bool      // close once the response is written
}

func (s *Server) serveConn(c net.Conn) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		c.Close()
	}()
	cn := newConn(s, c)
	cn.r, cn.w = bufio.NewReaderSize(c, 64<<10), bufio.NewWriterSize(c, 64<<10)
	for {
		if cn.sasl == saslRaw {
			if err := cn.rawSASL(); err != nil {
				s.logf("kafkaproto: %s: closing connection: %v", c.RemoteAddr(), err)
				return
			}
			continue
		}
		frame, err := cn.readFrame()
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				s.logf("kafkaproto: %s: %v", c.RemoteAddr(), err)
			}
			return
		}
		out, err := cn.handle(frame)
		if err != nil {
			s.logf("kafkaproto: %s: closing connection: %v", c.RemoteAddr(), err)
			return
		}
		if out == nil {
			continue // acks=0
		}
		if _, err := cn.w.Write(out); err != nil {
			return
		}
		if cn.closeAfter {
			cn.w.Flush()
			return
		}
		// Flush unless another request is already buffered: pipelined
		// requests get their responses in one write, in order.
		if cn.r.Buffered() == 0 {
			if err := cn.w.Flush(); err != nil {
				return
			}
		}
	}
}

// newConn is a connection of s over c, authenticated already when s
// asks for no authentication.
func newConn(s *Server, c net.Conn) *conn {
	cn := &conn{s: s, c: c}
	if s.users == nil {
		cn.sasl = authenticated
	}
	return cn
}

// frameLimit is the largest request frame of API key the connection may
// send now; any key when key is -1.
func (cn *conn) frameLimit(key int16) int32 {
	switch {
	case cn.sasl != authenticated:
		return min(cn.s.cfg.MaxFrameBytes, maxUnauthenticatedFrame)
	case key == -1 || key == kmsg.Produce.Int16():
		return cn.s.cfg.MaxFrameBytes
	default:
		return cn.s.cfg.MaxNonProduceFrameBytes
	}
}

// readFrame reads one size-prefixed frame. The body is read in chunks as
// it arrives, so an announced size costs memory only once sent.
func (cn *conn) readFrame() ([]byte, error) {
	var sz [4]byte
	if _, err := io.ReadFull(cn.r, sz[:]); err != nil {
		return nil, err
	}
	n := int32(binary.BigEndian.Uint32(sz[:]))
	if limit := cn.frameLimit(-1); n < 10 || n > limit {
		return nil, fmt.Errorf("request frame of %d bytes (allowed 10..%d)", n, limit)
	}
	// The API key decides the limit: wait for it before the body.
	k, err := cn.r.Peek(2)
	if err != nil {
		return nil, err
	}
	if key := int16(binary.BigEndian.Uint16(k)); n > cn.frameLimit(key) {
		return nil, fmt.Errorf("%s request frame of %d bytes (allowed 10..%d)", kmsg.NameForKey(key), n, cn.frameLimit(key))
	}
	cn.in.Reset()
	if got, err := io.CopyN(&cn.in, cn.r, int64(n)); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("connection closed after %d of %d frame bytes: %w", got, n, io.ErrUnexpectedEOF)
		}
		return nil, err
	}
	return cn.in.Bytes(), nil
}

// handle decodes one request frame, serves it and returns the encoded
// response frame (nil when no response is due). An error closes the
// connection.
func (cn *conn) handle(frame []byte) (out []byte, err error) {
	h, rest, err := parseHeaderPrefix(frame)
	if err != nil {
		return nil, err
	}
	api, known := cn.s.api(h.key)
	req := kmsg.RequestForKey(h.key)
	if !known || req == nil {
		return nil, fmt.Errorf("unsupported API key %d (%s) version %d", h.key, kmsg.NameForKey(h.key), h.version)
	}
	if err := cn.admit(h.key); err != nil {
		return nil, err
	}
	if h.version < api.min || h.version > api.max {
		if h.key == kmsg.ApiVersions.Int16() {
			// Answer in v0 so that any client can read it, as Kafka does.
			resp := apiVersionsResponse(cn.s, 0)
			resp.ErrorCode = kerr.UnsupportedVersion.Code
			return encodeResponse(h, resp, false), nil
		}
		return nil, fmt.Errorf("unsupported %s version %d (supported %d..%d)", kmsg.NameForKey(h.key), h.version, api.min, api.max)
	}
	req.SetVersion(h.version)
	if req.IsFlexible() {
		if rest, err = skipTaggedFields(rest); err != nil {
			return nil, err
		}
	}
	if h.key == kmsg.Produce.Int16() {
		if err := checkProduceShape(rest, h.version); err != nil {
			return nil, err
		}
	}
	if err := req.ReadFrom(rest); err != nil {
		return nil, fmt.Errorf("decoding %s v%d: %w", kmsg.NameForKey(h.key), h.version, err)
	}
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("panic serving %s v%d: %v", kmsg.NameForKey(h.key), h.version, r)
		}
	}()
	var resp kmsg.Response
	if api.serve == nil {
		resp, err = cn.serveSASL(req)
	} else {
		resp, err = api.serve(withClient(cn.s.ctx, h.clientID, cn.c.RemoteAddr()), cn.s, req)
	}
	if err != nil || resp == nil {
		return nil, err
	}
	resp.SetVersion(h.version)
	return encodeResponse(h, resp, resp.IsFlexible() && h.key != kmsg.ApiVersions.Int16()), nil
}

// encodeResponse frames resp: size, correlation id, the header's tagged
// fields for flexible versions (never for ApiVersions), the body.
func encodeResponse(h requestHeader, resp kmsg.Response, flexibleHeader bool) []byte {
	out := make([]byte, 8, 64)
	binary.BigEndian.PutUint32(out[4:], uint32(h.correlationID))
	if flexibleHeader {
		out = append(out, 0)
	}
	out = resp.AppendTo(out)
	binary.BigEndian.PutUint32(out, uint32(len(out)-4))
	return out
}
