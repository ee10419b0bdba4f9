package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

const (
	// requestTimeout bounds one HTTP call to the server.
	requestTimeout = 15 * time.Second
	// readyTimeout bounds how long a start may take to serve /healthcheck.
	readyTimeout = 60 * time.Second
	// termTimeout bounds how long a SIGTERM may take to stop the server
	// before the harness gives up and kills it.
	termTimeout = 30 * time.Second
	// maxLogLines bounds the stderr lines kept per run.
	maxLogLines = 20000
)

// buildBinary builds the ksql binary into dir.
func buildBinary(dir string) (string, error) {
	bin := filepath.Join(dir, "ksql")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/ksqlgo/ksql/cmd/ksql")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build ./cmd/ksql: %v\n%s", err, out)
	}
	return bin, nil
}

// server is one run of the ksql binary.
type server struct {
	cmd     *exec.Cmd
	started time.Time
	client  *http.Client

	mu        sync.Mutex
	addr      string
	lines     []string
	signalled int // number of stderr lines seen when the stop signal was sent (-1: none yet)

	addrCh chan string
	exited chan struct{} // closed once the process has exited
	exit   error         // the process's exit status, valid after exited
}

// startServer starts `ksql server` on dataDir with the HTTP API on a
// loopback port the kernel picks (the server prints the bound address),
// and the extra arguments (the log to run over).
func startServer(bin, dataDir string, props map[string]string, extra []string) (*server, error) {
	args := []string{"server", "--data-dir", dataDir, "--listen", "127.0.0.1:0", "--kafka-listen", ""}
	args = append(args, extra...)
	for k, v := range props {
		args = append(args, "--set", k+"="+v)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout = io.Discard
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	s := &server{
		cmd:       cmd,
		client:    &http.Client{Timeout: requestTimeout},
		signalled: -1,
		addrCh:    make(chan string, 1),
		exited:    make(chan struct{}),
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s.started = time.Now()
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			s.mu.Lock()
			if len(s.lines) < maxLogLines {
				s.lines = append(s.lines, line)
			}
			s.mu.Unlock()
			if a, ok := strings.CutPrefix(line, "HTTP API listening on http://"); ok {
				s.addrCh <- a
			}
		}
		s.exit = cmd.Wait()
		close(s.exited)
	}()
	return s, nil
}

// errExited: the process exited before it was ready.
var errExited = errors.New("server exited before it was ready")

// waitReady waits until the server prints its address and answers GET
// /healthcheck with isHealthy, until ctx is done, or until the process
// exits (errExited).
func (s *server) waitReady(ctx context.Context) error {
	select {
	case a := <-s.addrCh:
		s.mu.Lock()
		s.addr = a
		s.mu.Unlock()
	case <-s.exited:
		return errExited
	case <-ctx.Done():
		return ctx.Err()
	}
	for {
		hctx, cancel := context.WithTimeout(ctx, time.Second)
		ok := s.healthy(hctx)
		cancel()
		if ok {
			return nil
		}
		select {
		case <-s.exited:
			return errExited
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond): // polling interval
		}
	}
}

func (s *server) healthy(ctx context.Context) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url("/healthcheck"), nil)
	if err != nil {
		return false
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var h struct {
		Healthy bool `json:"isHealthy"`
	}
	return resp.StatusCode == http.StatusOK && json.NewDecoder(resp.Body).Decode(&h) == nil && h.Healthy
}

func (s *server) url(path string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return "http://" + s.addr + path
}

// statementError is a statement the server answered with an error.
type statementError struct {
	Status  int
	Message string
}

func (e *statementError) Error() string { return fmt.Sprintf("HTTP %d: %s", e.Status, e.Message) }

// ksql posts statements to /ksql and returns the entities of a successful
// answer. An error is either a *statementError (the server answered) or a
// transport error (the call failed or was cut off).
func (s *server) ksql(ctx context.Context, statements string) ([]json.RawMessage, error) {
	body, _ := json.Marshal(map[string]any{"ksql": statements, "streamsProperties": map[string]any{}})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url("/ksql"), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Message string `json:"message"`
		}
		_ = json.Unmarshal(data, &e)
		if e.Message == "" {
			e.Message = string(data)
		}
		return nil, &statementError{Status: resp.StatusCode, Message: e.Message}
	}
	var out []json.RawMessage
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("bad /ksql answer %q: %w", data, err)
	}
	return out, nil
}

// lagReport is the answer of GET /lag.
type lagReport struct {
	Total   int64 `json:"totalLag"`
	Queries []struct {
		ID    string `json:"queryId"`
		Tasks []struct {
			Stage     int    `json:"stage"`
			Topic     string `json:"topic"`
			Partition int32  `json:"partition"`
			Committed int64  `json:"committedOffset"`
			End       int64  `json:"endOffset"`
		} `json:"tasks"`
	} `json:"queries"`
}

func (s *server) lag(ctx context.Context) (lagReport, error) {
	var r lagReport
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url("/lag"), nil)
	if err != nil {
		return r, err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return r, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return r, fmt.Errorf("GET /lag: HTTP %d", resp.StatusCode)
	}
	return r, json.NewDecoder(resp.Body).Decode(&r)
}

// signal sends sig and remembers where in stderr the stop began.
func (s *server) signal(sig syscall.Signal) error {
	s.mu.Lock()
	s.signalled = len(s.lines)
	s.mu.Unlock()
	err := s.cmd.Process.Signal(sig)
	if errors.Is(err, os.ErrProcessDone) {
		return nil
	}
	return err
}

// waitExit waits for the process to exit, at most d.
func (s *server) waitExit(d time.Duration) bool {
	select {
	case <-s.exited:
		return true
	case <-time.After(d):
		return false
	}
}

// hasExited reports whether the process has exited.
func (s *server) hasExited() bool {
	select {
	case <-s.exited:
		return true
	default:
		return false
	}
}

// logs returns the stderr lines, split at the stop signal: those before it
// (start-up and running) and those after (shutdown). Call after exit.
func (s *server) logs() (before, after []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.signalled < 0 {
		return s.lines, nil
	}
	return s.lines[:s.signalled], s.lines[s.signalled:]
}

// kill stops the process for good (cleanup on harness errors).
func (s *server) kill() {
	if !s.hasExited() {
		_ = s.cmd.Process.Kill()
		s.waitExit(termTimeout)
	}
}
