package rest

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/h2c"

	"github.com/ksqlgo/ksql/engine"
)

// TLSConfig names the PEM certificate chain and key of an HTTPS listener.
type TLSConfig struct {
	CertFile, KeyFile string
}

// HTTPServer is the API listening on one port: HTTP/1.1 and HTTP/2 on the
// same port; cleartext HTTP/2 by prior knowledge (as ksqlDB's clients
// speak it) or by Upgrade: h2c; with TLS, HTTP/2 and HTTP/1.1 by ALPN.
//
// Timeouts: request headers must arrive within 10s and idle connections
// close after 2 minutes. There is no whole-request read or write timeout,
// because push queries and /inserts-stream are long-lived by design; the
// bodies of the other endpoints are bounded by Options.MaxBodyBytes and
// given 30s to arrive.
type HTTPServer struct {
	srv  *http.Server
	api  *Server
	ln   net.Listener
	done chan error
}

// Listen binds addr; a port already taken fails here, before anything is
// served.
func Listen(addr string) (net.Listener, error) { return net.Listen("tcp", addr) }

// Start serves the engine on ln (nil tlsCfg: cleartext).
func Start(eng *engine.Engine, ln net.Listener, opts Options, tlsCfg *TLSConfig) (*HTTPServer, error) {
	api := newServer(eng, opts)
	h := &HTTPServer{api: api, ln: ln, done: make(chan error, 1)}
	handler := api.Handler()
	h.srv = &http.Server{
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	h.srv.RegisterOnShutdown(api.Close)
	if tlsCfg != nil {
		cert, err := tls.LoadX509KeyPair(tlsCfg.CertFile, tlsCfg.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("TLS: %w", err)
		}
		h.srv.Handler = handler
		h.srv.TLSConfig = &tls.Config{
			Certificates: []tls.Certificate{cert},
			NextProtos:   []string{"h2", "http/1.1"},
			MinVersion:   tls.VersionTLS12,
		}
		ln = tls.NewListener(ln, h.srv.TLSConfig)
	} else {
		h.srv.Handler = h2c.NewHandler(handler, &http2.Server{IdleTimeout: 2 * time.Minute})
	}
	go func() {
		err := h.srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		h.done <- err
	}()
	return h, nil
}

// Addr is the bound address.
func (h *HTTPServer) Addr() string { return h.ln.Addr().String() }

// Shutdown ends push queries and inserts streams cleanly (each stream is
// terminated properly: the JSON array closed, the WebSocket closed with
// a reason), stops accepting connections and waits for requests in flight
// until ctx is done, then closes what is left.
func (h *HTTPServer) Shutdown(ctx context.Context) error {
	h.api.Close()
	err := h.srv.Shutdown(ctx)
	if err != nil {
		_ = h.srv.Close()
	}
	return err
}

// Serve runs the API on addr in the background and returns the server
// and the bound address (cleartext, HTTP/1.1 and h2c).
func Serve(eng *engine.Engine, addr string, opts Options) (*http.Server, string, error) {
	ln, err := Listen(addr)
	if err != nil {
		return nil, "", err
	}
	h, err := Start(eng, ln, opts, nil)
	if err != nil {
		ln.Close()
		return nil, "", err
	}
	return h.srv, h.Addr(), nil
}
