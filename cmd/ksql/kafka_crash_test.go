package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// freePort returns a loopback address nothing listens on (the server is
// restarted on it, so the producer's retries find it again).
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestKillWhileProducingKeepsEveryAckedRecordOnce: an idempotent
// producer (franz-go's default) writes with acks=all while the server is
// killed with SIGKILL and restarted on the same port, several times.
// After the last restart every acknowledged record is in the topic, and
// no record is there twice: the producer's retries of batches that were
// written before the kill are recognised by their sequence numbers.
func TestKillWhileProducingKeepsEveryAckedRecordOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("kills the server several times")
	}
	dir := t.TempDir()
	kafkaAddr := freePort(t)
	start := func() *server {
		return startServerArgs(t, "server", "--data-dir", dir, "--listen", "127.0.0.1:0", "--kafka-listen", kafkaAddr)
	}
	s := start()
	postKSQL(t, s, `CREATE STREAM events (id VARCHAR KEY, n INT) WITH (KAFKA_TOPIC='events', VALUE_FORMAT='JSON', PARTITIONS=3);`)

	cl, err := kgo.NewClient(kgo.SeedBrokers(kafkaAddr), kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.RecordDeliveryTimeout(2*time.Minute), kgo.RetryTimeout(2*time.Minute),
		kgo.ProducerLinger(2*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()

	const total = 5000
	var mu sync.Mutex
	acked := map[string]bool{}
	var failed []error
	done := make(chan struct{})
	go func() {
		defer close(done)
		var wg sync.WaitGroup
		for i := range total {
			key := fmt.Sprintf("k%05d", i)
			wg.Add(1)
			cl.Produce(context.Background(), &kgo.Record{Topic: "events", Key: []byte(key), Value: []byte(fmt.Sprintf(`{"N":%d}`, i))},
				func(r *kgo.Record, err error) {
					defer wg.Done()
					mu.Lock()
					defer mu.Unlock()
					if err != nil {
						failed = append(failed, fmt.Errorf("%s: %w", r.Key, err))
						return
					}
					acked[string(r.Key)] = true
				})
			if i%100 == 99 {
				time.Sleep(20 * time.Millisecond) // spread the input over the kills
			}
		}
		wg.Wait()
	}()

	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	for kill := 0; kill < 4; kill++ {
		time.Sleep(time.Duration(50+rng.IntN(300)) * time.Millisecond) // a random point of the input
		s.stop(t, syscall.SIGKILL)
		s = start()
	}
	select {
	case <-done:
	case <-time.After(3 * time.Minute):
		t.Fatal("the producer did not finish within 3 minutes")
	}
	mu.Lock()
	if len(failed) > 0 {
		t.Logf("%d records were not acknowledged (first: %v)", len(failed), failed[0])
	}
	nacked := len(acked)
	mu.Unlock()
	if nacked == 0 {
		t.Fatal("nothing was acknowledged")
	}

	// Read everything back (a new client, from the start).
	rd, err := kgo.NewClient(kgo.SeedBrokers(kafkaAddr), kgo.ConsumeTopics("events"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	seen := map[string]int{}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// Until everything acknowledged is seen and then three polls of half
	// a second bring nothing more (a duplicate would come with them).
	for quiet := 0; quiet < 3 && ctx.Err() == nil; {
		pctx, pcancel := context.WithTimeout(ctx, 500*time.Millisecond)
		fs := rd.PollFetches(pctx)
		pcancel()
		n := 0
		fs.EachRecord(func(r *kgo.Record) { seen[string(r.Key)]++; n++ })
		if n == 0 && len(seen) >= nacked {
			quiet++
		} else if n > 0 {
			quiet = 0
		}
	}
	for k := range acked {
		if seen[k] == 0 {
			t.Errorf("acknowledged record %s is missing", k)
		}
	}
	for k, n := range seen {
		if n > 1 {
			t.Errorf("record %s is there %d times", k, n)
		}
	}
	t.Logf("%d records acknowledged across 4 kills, %d distinct in the topic", nacked, len(seen))
	s.stop(t, syscall.SIGTERM)
}
