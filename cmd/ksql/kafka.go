package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"

	"github.com/ksqlgo/ksql/broker/kafkaproto"
	"github.com/ksqlgo/ksql/engine"
)

// kafkaFlags are `ksql server`'s flags for the Kafka side: the listener
// that serves the embedded log to Kafka clients, and the external
// cluster to run over instead of the embedded log.
type kafkaFlags struct {
	listen    *string
	advertise *string
	bootstrap *string
}

// DefaultKafkaListen is where the embedded log answers Kafka clients.
const DefaultKafkaListen = "127.0.0.1:9092"

func addKafkaFlags(fs *flag.FlagSet) *kafkaFlags {
	return &kafkaFlags{
		listen:    fs.String("kafka-listen", DefaultKafkaListen, "address where the embedded log answers Kafka clients (kcat, librdkafka, franz-go, Java); \"\" turns the listener off"),
		advertise: fs.String("kafka-advertise", "", "host:port Kafka clients are told to connect to (default: the --kafka-listen address)"),
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
	if bs := f.bootstrapServers(props, setFlags); bs != "" {
		return nil, fmt.Errorf("running over an external Kafka cluster (%s) is not supported yet; leave bootstrap.servers unset to run on the embedded log", bs)
	}
	addr := strings.TrimSpace(*f.listen)
	if addr == "" {
		return nil, nil
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
		fmt.Fprintf(os.Stderr, "Kafka listener on %s (advertised as %s)\n", ln.Addr(), srv.Advertised())
		return func() {
			srv.Close()
			<-done
		}
	}, nil
}
