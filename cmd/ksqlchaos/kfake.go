package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
)

// The Kafka cluster of a `-log kafka` campaign: kfake, franz-go's
// in-memory fake Kafka, served by a helper process (this binary again, in
// its hidden serve-kfake mode), so that a SIGKILL of the engine never
// touches the cluster. kfake is linked into this test tool only, never
// into the ksql binary.

// serveKfakeMode is the hidden first argument that makes this binary (or
// the package's test binary, through TestMain) serve kfake.
const serveKfakeMode = "serve-kfake"

// kfakeAddrPrefix starts the line the helper prints on stdout once the
// cluster listens.
const kfakeAddrPrefix = "kfake listening on "

// serveKfake runs a one-broker kfake cluster on a loopback address until
// its stdin closes (the harness exited, or stops it) or it receives
// SIGTERM or SIGINT. It prints "kfake listening on host:port" on stdout.
// kfake only listens on 127.0.0.1: -addr chooses the port (0: any free
// one).
func serveKfake(args []string) int {
	fs := flag.NewFlagSet(serveKfakeMode, flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "loopback address to listen on (port 0: a free one)")
	verbose := fs.Bool("v", false, "log kfake's warnings and errors to stderr")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	host, portStr, err := net.SplitHostPort(*addr)
	port, perr := strconv.Atoi(portStr)
	if err != nil || perr != nil || host != "127.0.0.1" {
		fmt.Fprintf(os.Stderr, "%s: -addr %q: want 127.0.0.1:port\n", serveKfakeMode, *addr)
		return 2
	}
	level := kfake.LogLevelNone
	if *verbose {
		level = kfake.LogLevelWarn
	}
	c, err := kfake.NewCluster(
		kfake.NumBrokers(1),
		kfake.Ports(port),
		kfake.SeedTopics(-1),
		kfake.WithLogger(kfake.BasicLogger(os.Stderr, level)),
	)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", serveKfakeMode, err)
		return 1
	}
	defer c.Close()
	fmt.Printf("%s%s\n", kfakeAddrPrefix, c.ListenAddrs()[0])

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	eof := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		close(eof)
	}()
	select {
	case <-stop:
	case <-eof:
	}
	return 0
}

// kfakeProcess is a running serve-kfake helper.
type kfakeProcess struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	Addr   string
	exited chan struct{}
}

// kfakeStartTimeout bounds how long the helper may take to print its
// address.
const kfakeStartTimeout = 30 * time.Second

// startKfake starts the helper: this executable again, in serve-kfake
// mode. Its stderr goes to the harness's stderr.
func startKfake() (*kfakeProcess, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("finding this executable to run kfake: %w", err)
	}
	cmd := exec.Command(self, serveKfakeMode, "-addr", "127.0.0.1:0")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting kfake: %w", err)
	}
	k := &kfakeProcess{cmd: cmd, stdin: stdin, exited: make(chan struct{})}
	addrCh := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), kfakeAddrPrefix); ok {
				addrCh <- a
			}
		}
		_ = cmd.Wait()
		close(k.exited)
	}()
	select {
	case k.Addr = <-addrCh:
		return k, nil
	case <-k.exited:
		return nil, errors.New("kfake exited before it listened")
	case <-time.After(kfakeStartTimeout):
		k.Stop()
		return nil, fmt.Errorf("kfake did not listen within %v", kfakeStartTimeout)
	}
}

// Alive reports whether the helper still runs.
func (k *kfakeProcess) Alive() bool {
	select {
	case <-k.exited:
		return false
	default:
		return true
	}
}

// Stop ends the helper: its stdin closes, then SIGTERM, then SIGKILL if it
// has not exited within a few seconds.
func (k *kfakeProcess) Stop() {
	_ = k.stdin.Close()
	_ = k.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-k.exited:
	case <-time.After(10 * time.Second):
		_ = k.cmd.Process.Kill()
		<-k.exited
	}
}
