package embedded

import (
	"fmt"
	"testing"
	"time"

	"github.com/ksqlgo/ksql/broker"
)

func openT(t *testing.T, dir string, opts Options) *Log {
	t.Helper()
	l, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// crash abandons l as a killed process would: background work stops and
// every file is closed, with no flush, no fsync and no metadata written.
// Data already written stays in the page cache (as it would after a
// process crash).
func (l *Log) crash() {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return
	}
	l.closed = true
	close(l.done)
	l.mu.Unlock()
	l.wg.Wait()
	for _, t := range l.topicList() {
		for _, p := range t.parts {
			p.mu.Lock()
			p.state = partClosed
			for _, s := range p.segs {
				s.f.Close()
			}
			p.segs = nil
			p.mu.Unlock()
		}
	}
	l.lock.Close()
}

func mkRecs(prefix string, n int) []broker.Record {
	recs := make([]broker.Record, n)
	for i := range recs {
		recs[i] = broker.Record{
			Key:       []byte(fmt.Sprintf("%s-k%d", prefix, i)),
			Value:     []byte(fmt.Sprintf("%s-v%d", prefix, i)),
			Timestamp: 1_700_000_000_000 + int64(i),
		}
	}
	return recs
}

func mustCreate(t *testing.T, l *Log, name string, cfg broker.TopicConfig) {
	t.Helper()
	if cfg.Partitions == 0 {
		cfg.Partitions = 1
	}
	if err := l.CreateTopic(t.Context(), name, cfg); err != nil {
		t.Fatalf("CreateTopic(%q): %v", name, err)
	}
}

func mustAppend(t *testing.T, l *Log, topic string, p int32, recs []broker.Record) int64 {
	t.Helper()
	off, err := l.Append(t.Context(), topic, p, recs)
	if err != nil {
		t.Fatalf("Append: %v", err)
	}
	return off
}

// readAllT reads a partition from offset to its visible end.
func readAllT(t *testing.T, l *Log, topic string, p int32, from int64, iso broker.Isolation) []broker.Record {
	t.Helper()
	var all []broker.Record
	next := from
	for i := 0; i < 1_000_000; i++ {
		recs, n, err := l.Read(t.Context(), topic, p, next, broker.ReadOptions{Isolation: iso})
		if err != nil {
			t.Fatalf("Read @%d: %v", next, err)
		}
		all = append(all, recs...)
		if n == next && len(recs) == 0 {
			return all
		}
		next = n
	}
	t.Fatal("readAllT did not terminate")
	return nil
}

func valuesOf(recs []broker.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = string(r.Value)
	}
	return out
}

// waitErr receives a goroutine's result, failing the test if none arrives
// within a generous deadline (a failsafe against hangs, not a timing).
func waitErr(t *testing.T, errc <-chan error) error {
	t.Helper()
	timer := time.NewTimer(30 * time.Second)
	defer timer.Stop()
	select {
	case err := <-errc:
		return err
	case <-timer.C:
		t.Fatal("goroutine did not finish")
		return nil
	}
}
