package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/ksqlgo/ksql/engine"
	"github.com/ksqlgo/ksql/rest"
)

// apiFlags are `ksql server`'s flags for the HTTP API.
type apiFlags struct {
	listen    *string
	tlsCert   *string
	tlsKey    *string
	authFile  *string
	authRoles *string
}

func addAPIFlags(fs *flag.FlagSet) *apiFlags {
	return &apiFlags{
		listen:    fs.String("listen", "127.0.0.1:8088", "address of the HTTP API (\"\" to disable); ksqlDB's `listeners` property also works"),
		tlsCert:   fs.String("tls-cert", "", "PEM certificate chain: serve HTTPS (HTTP/2 and HTTP/1.1 by ALPN)"),
		tlsKey:    fs.String("tls-key", "", "PEM private key of --tls-cert"),
		authFile:  fs.String("auth-file", "", "require HTTP basic auth: users file (`user: password[,role...]`, Jetty/ksqlDB style) or a JAAS config naming one"),
		authRoles: fs.String("auth-roles", "", "roles admitted with --auth-file (comma-separated; default: ksqlDB's authentication.roles, else any user)"),
	}
}

// startAPI binds the API's port before the engine starts, so that a
// taken port fails `ksql server` at once (exit status 1), and returns the
// engine's Ready hook, which serves on that port and, at the stop, ends
// push queries and drains requests for up to 10 seconds.
func (f *apiFlags) startAPI(props map[string]string, headless bool, setFlags map[string]bool) (func(*engine.Engine) func(), error) {
	addr := *f.listen
	scheme := "http"
	if l := props["listeners"]; l != "" && !setFlags["listen"] {
		u, err := url.Parse(strings.TrimSpace(strings.Split(l, ",")[0]))
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("listeners: %q is not a URL like http://0.0.0.0:8088", l)
		}
		addr, scheme = u.Host, u.Scheme
	}
	if addr == "" {
		return nil, nil
	}
	opts := rest.Options{Headless: headless, ServiceID: props["ksql.service.id"]}
	var tlsCfg *rest.TLSConfig
	if *f.tlsCert != "" || *f.tlsKey != "" {
		if *f.tlsCert == "" || *f.tlsKey == "" {
			return nil, errors.New("--tls-cert and --tls-key go together")
		}
		if _, err := tls.LoadX509KeyPair(*f.tlsCert, *f.tlsKey); err != nil {
			return nil, fmt.Errorf("TLS: %w", err)
		}
		tlsCfg = &rest.TLSConfig{CertFile: *f.tlsCert, KeyFile: *f.tlsKey}
		scheme = "https"
	} else if scheme == "https" {
		return nil, errors.New("listeners asks for https: give --tls-cert and --tls-key")
	}
	authFile := *f.authFile
	if m := props["authentication.method"]; strings.EqualFold(m, "BASIC") && authFile == "" {
		return nil, errors.New("authentication.method=BASIC needs --auth-file (the users file or the JAAS config naming it)")
	}
	if authFile != "" {
		roles := *f.authRoles
		if roles == "" {
			roles = props["authentication.roles"]
		}
		var rs []string
		for _, r := range strings.Split(roles, ",") {
			if r = strings.TrimSpace(r); r != "" {
				rs = append(rs, r)
			}
		}
		a, err := rest.LoadAuth(authFile, rs)
		if err != nil {
			return nil, err
		}
		if realm := props["authentication.realm"]; realm != "" {
			a.Realm = realm
		}
		opts.Auth = a
	}
	ln, err := rest.Listen(addr)
	if err != nil {
		return nil, fmt.Errorf("HTTP API: %w", err)
	}
	return func(eng *engine.Engine) func() {
		h, err := rest.Start(eng, ln, opts, tlsCfg)
		if err != nil {
			fmt.Fprintf(os.Stderr, "ksql: HTTP API not started: %v\n", err)
			ln.Close()
			return nil
		}
		fmt.Fprintf(os.Stderr, "HTTP API listening on %s://%s\n", scheme, h.Addr())
		return func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = h.Shutdown(ctx)
		}
	}, nil
}
