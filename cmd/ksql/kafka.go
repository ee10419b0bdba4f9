package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/broker/kafkaproto"
	"github.com/ksqlgo/ksql/engine"
)

// kafkaFlags are `ksql server`'s flags for the Kafka side: the listener
// that serves the embedded log to Kafka clients, and the external
// cluster to run over instead of the embedded log.
type kafkaFlags struct {
	listen    *string
	advertise *string
	tlsCert   *string
	tlsKey    *string
	saslUsers *string
	bootstrap *string
}

// DefaultKafkaListen is where the embedded log answers Kafka clients.
const DefaultKafkaListen = "127.0.0.1:9092"

func addKafkaFlags(fs *flag.FlagSet) *kafkaFlags {
	return &kafkaFlags{
		listen:    fs.String("kafka-listen", DefaultKafkaListen, "address where the embedded log answers Kafka clients (kcat, librdkafka, franz-go, Java); \"\" turns the listener off"),
		advertise: fs.String("kafka-advertise", "", "host:port Kafka clients are told to connect to (default: the --kafka-listen address)"),
		tlsCert:   fs.String("kafka-tls-cert", "", "PEM certificate chain: the Kafka listener speaks TLS (security.protocol SSL)"),
		tlsKey:    fs.String("kafka-tls-key", "", "PEM private key of --kafka-tls-cert"),
		saslUsers: fs.String("kafka-sasl-users", "", "file of user:password lines (# comments): Kafka clients must authenticate with SASL/PLAIN (SASL_PLAINTEXT, or SASL_SSL with --kafka-tls-cert)"),
		bootstrap: fs.String("bootstrap-servers", "", "run over this Kafka cluster (host:port[,host:port...]) instead of the embedded log; ksqlDB's bootstrap.servers property also works"),
	}
}

// bootstrapServers is the external cluster asked for: the flag, else
// ksqlDB's bootstrap.servers property (or its ksql.streams. form).
func (f *kafkaFlags) bootstrapServers(props map[string]string, setFlags map[string]bool) string {
	if setFlags["bootstrap-servers"] {
		return strings.TrimSpace(*f.bootstrap)
	}
	for _, k := range []string{"bootstrap.servers", "ksql.streams.bootstrap.servers"} {
		if v := strings.TrimSpace(props[k]); v != "" {
			return v
		}
	}
	return ""
}

// startKafka binds the Kafka listener before the engine starts, so that
// a taken port fails `ksql server` at once with a message naming the
// flag, and returns the engine's Ready hook, which serves the engine's
// log on it until the stop. It returns a nil hook when the listener is
// off.
func (f *kafkaFlags) startKafka(props map[string]string, setFlags map[string]bool) (func(*engine.Engine) func(), error) {
	if f.bootstrapServers(props, setFlags) != "" {
		for _, lf := range f.listenerFlags() {
			if setFlags[lf.name] && strings.TrimSpace(*lf.value) != "" {
				return nil, fmt.Errorf("--%s configures the listener of the embedded log: it has no use over an external Kafka cluster (--bootstrap-servers)", lf.name)
			}
		}
		return nil, nil // over an external cluster there is no listener
	}
	addr := strings.TrimSpace(*f.listen)
	if addr == "" {
		return nil, nil
	}
	tlsCfg, err := f.listenerTLS()
	if err != nil {
		return nil, err
	}
	var users map[string]string
	if file := strings.TrimSpace(*f.saslUsers); file != "" {
		if users, err = readSASLUsers(file); err != nil {
			return nil, fmt.Errorf("--kafka-sasl-users: %w", err)
		}
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return nil, fmt.Errorf("--kafka-listen %q: not a host:port (%v)", addr, err)
	}
	adv := strings.TrimSpace(*f.advertise)
	if adv != "" {
		if _, _, err := net.SplitHostPort(adv); err != nil {
			return nil, fmt.Errorf("--kafka-advertise %q: not a host:port (%v)", adv, err)
		}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, fmt.Errorf("--kafka-listen %s: the address is in use (another ksql server or a Kafka broker?); choose another with --kafka-listen host:port, or turn the Kafka listener off with --kafka-listen \"\"", addr)
		}
		return nil, fmt.Errorf("--kafka-listen %s: %w", addr, err)
	}
	return func(eng *engine.Engine) func() {
		srv := kafkaproto.NewServer(eng.Log(), kafkaproto.Config{
			Advertise: adv,
			TLS:       tlsCfg,
			Users:     users,
			Internal:  eng.InternalTopic,
			Logf:      func(format string, args ...any) { fmt.Fprintf(os.Stderr, "kafka listener: "+format+"\n", args...) },
		})
		if err := srv.UseListener(ln); err != nil {
			fmt.Fprintf(os.Stderr, "ksql: Kafka listener not started: --kafka-advertise: %v\n", err)
			ln.Close()
			return nil
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			if err := srv.Serve(context.Background()); err != nil {
				fmt.Fprintf(os.Stderr, "ksql: Kafka listener stopped: %v\n", err)
			}
		}()
		over := ""
		switch {
		case tlsCfg != nil && users != nil:
			over = " over SASL_SSL"
		case tlsCfg != nil:
			over = " over SSL"
		case users != nil:
			over = " over SASL_PLAINTEXT"
		}
		fmt.Fprintf(os.Stderr, "Kafka listener on %s%s (advertised as %s)\n", ln.Addr(), over, srv.Advertised())
		return func() {
			srv.Close()
			<-done
		}
	}, nil
}

// listenerFlags are the flags that configure the listener, which an
// external cluster has no use for.
func (f *kafkaFlags) listenerFlags() []struct {
	name  string
	value *string
} {
	return []struct {
		name  string
		value *string
	}{{"kafka-listen", f.listen}, {"kafka-tls-cert", f.tlsCert}, {"kafka-tls-key", f.tlsKey}, {"kafka-sasl-users", f.saslUsers}}
}

// listenerTLS loads --kafka-tls-cert and --kafka-tls-key (nil, nil when
// neither is given), so that a missing file or a key that does not match
// fails the start before the engine opens.
func (f *kafkaFlags) listenerTLS() (*tls.Config, error) {
	certFile, keyFile := strings.TrimSpace(*f.tlsCert), strings.TrimSpace(*f.tlsKey)
	if certFile == "" && keyFile == "" {
		return nil, nil
	}
	if certFile == "" || keyFile == "" {
		return nil, errors.New("--kafka-tls-cert and --kafka-tls-key go together: give both (PEM files) or neither")
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("--kafka-tls-cert %s / --kafka-tls-key %s: %w", certFile, keyFile, err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// readSASLUsers reads a --kafka-sasl-users file: one user:password a
// line (the password is what follows the first colon), blank lines and
// lines starting with # skipped, surrounding white space trimmed.
// Mistakes are reported as file:line.
func readSASLUsers(file string) (map[string]string, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	users := map[string]string{}
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		user, pass, ok := strings.Cut(line, ":")
		switch {
		case !ok:
			return nil, fmt.Errorf("%s:%d: expected user:password", file, i+1)
		case user == "":
			return nil, fmt.Errorf("%s:%d: empty user name", file, i+1)
		case pass == "":
			return nil, fmt.Errorf("%s:%d: empty password for user %s", file, i+1, user)
		}
		if _, dup := users[user]; dup {
			return nil, fmt.Errorf("%s:%d: user %s given twice", file, i+1, user)
		}
		users[user] = pass
	}
	if len(users) == 0 {
		return nil, fmt.Errorf("%s: no users (lines user:password)", file)
	}
	return users, nil
}

// dialCluster connects to the external cluster asked for, if any: the
// engine then runs over it instead of the embedded log. Security follows
// the Kafka client properties ksqlDB passes through: security.protocol
// (PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL), sasl.mechanism (PLAIN) with
// sasl.jaas.config's username and password, and ssl.ca.location (a PEM
// file; Java's truststores are not read).
func (f *kafkaFlags) dialCluster(ctx context.Context, props map[string]string, setFlags map[string]bool) (broker.Log, string, error) {
	bs := f.bootstrapServers(props, setFlags)
	if bs == "" {
		return nil, "", nil
	}
	cfg := kafkaproto.ClientConfig{
		ClientID:              "ksql",
		TransactionalIDPrefix: "_confluent-ksql-" + serviceID(props) + "-",
		Logf:                  func(format string, args ...any) { fmt.Fprintf(os.Stderr, "kafka client: "+format+"\n", args...) },
	}
	for _, s := range strings.Split(bs, ",") {
		if s = strings.TrimSpace(s); s != "" {
			cfg.SeedBrokers = append(cfg.SeedBrokers, s)
		}
	}
	proto := strings.ToUpper(strings.TrimSpace(kafkaProp(props, "security.protocol")))
	switch proto {
	case "", "PLAINTEXT":
	case "SSL", "SASL_SSL", "SASL_PLAINTEXT":
		if strings.HasPrefix(proto, "SASL") {
			if m := strings.ToUpper(strings.TrimSpace(kafkaProp(props, "sasl.mechanism"))); m != "" && m != "PLAIN" {
				return nil, "", fmt.Errorf("sasl.mechanism %s is not supported (PLAIN is)", m)
			}
			user, pass, err := plainJAAS(kafkaProp(props, "sasl.jaas.config"))
			if err != nil {
				return nil, "", err
			}
			cfg.SASLUser, cfg.SASLPassword = user, pass
		}
		if strings.HasSuffix(proto, "SSL") {
			tc := &tls.Config{MinVersion: tls.VersionTLS12}
			if ca := kafkaProp(props, "ssl.ca.location"); ca != "" {
				pem, err := os.ReadFile(ca)
				if err != nil {
					return nil, "", fmt.Errorf("ssl.ca.location: %w", err)
				}
				pool := x509.NewCertPool()
				if !pool.AppendCertsFromPEM(pem) {
					return nil, "", fmt.Errorf("ssl.ca.location %s: no PEM certificate in it", ca)
				}
				tc.RootCAs = pool
			}
			cfg.TLS = tc
		}
	default:
		return nil, "", fmt.Errorf("security.protocol %q: want PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL", proto)
	}
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	l, err := kafkaproto.Dial(dctx, cfg)
	if err != nil {
		return nil, "", err
	}
	return l, "Kafka at " + bs, nil
}

// kafkaProp reads a Kafka client property as ksqlDB takes it: plain, or
// with the ksql.streams. prefix.
func kafkaProp(props map[string]string, key string) string {
	if v := props[key]; v != "" {
		return v
	}
	return props["ksql.streams."+key]
}

func serviceID(props map[string]string) string {
	if s := props["ksql.service.id"]; s != "" {
		return s
	}
	return engine.DefaultServiceID
}

// plainJAAS takes username and password out of a PlainLoginModule line:
// org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="p";
func plainJAAS(jaas string) (user, pass string, err error) {
	if !strings.Contains(jaas, "PlainLoginModule") {
		return "", "", errors.New(`SASL needs sasl.jaas.config with the PlainLoginModule: org.apache.kafka.common.security.plain.PlainLoginModule required username="..." password="...";`)
	}
	get := func(k string) string {
		i := strings.Index(jaas, k+"=\"")
		if i < 0 {
			return ""
		}
		rest := jaas[i+len(k)+2:]
		if j := strings.IndexByte(rest, '"'); j >= 0 {
			return rest[:j]
		}
		return ""
	}
	user, pass = get("username"), get("password")
	if user == "" {
		return "", "", errors.New("sasl.jaas.config has no username=\"...\"")
	}
	return user, pass, nil
}
