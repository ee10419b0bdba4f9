package engine

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ksqlgo/ksql/broker"
)

// TestAggregateManyKeysMemory counts over as many distinct keys as
// KSQL_MANY_KEYS says (10000000 for the goal: a 10M-key aggregate in
// under 512 MB of RSS) and reports the process's peak RSS while the query
// runs. It is skipped without the variable: it writes about 2 GB and
// takes minutes.
//
//	KSQL_MANY_KEYS=10000000 go test ./engine -run ManyKeysMemory -v -timeout 1h
//
// The peak is the kernel's high-water mark (getrusage's maxrss; VmHWM),
// reset after the input is written where Linux allows it
// (/proc/self/clear_refs), so it is the query's. The test fails above
// 512 MB. KSQL_MANY_KEYS_HEAP=FILE writes a heap profile at the end of
// the run (before the engine closes).
func TestAggregateManyKeysMemory(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("KSQL_MANY_KEYS"))
	if n <= 0 {
		t.Skip("set KSQL_MANY_KEYS=10000000 to run")
	}
	ctx := context.Background()
	eng, err := Open(ctx, Config{DataDir: t.TempDir(), Synchronous: true,
		Properties: map[string]string{"ksql.streams.auto.offset.reset": "earliest"}})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	if err := eng.Log().CreateTopic(ctx, "s", broker.TopicConfig{Partitions: 2}); err != nil {
		t.Fatal(err)
	}
	var batch [2][]broker.Record
	ts0 := time.Now().UnixMilli() // recent: older segments would go to retention
	for i := 0; i < n; i++ {
		p := i % 2
		key := binary.BigEndian.AppendUint64(nil, uint64(i)*2654435761%uint64(n)) // distinct, not in order
		batch[p] = append(batch[p], broker.Record{Key: key, Value: []byte(`{"V":1}`), Timestamp: ts0 + int64(i)/1000})
		if len(batch[p]) == 1000 || i >= n-2 {
			if _, err := eng.Log().Append(ctx, "s", int32(p), batch[p]); err != nil {
				t.Fatal(err)
			}
			batch[p] = batch[p][:0]
		}
	}
	runtime.GC()
	reset := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
	rss0 := peakRSS()
	sess := NewSession()
	mustExec(t, eng, sess, `CREATE STREAM s (k BIGINT KEY, v INT) WITH (kafka_topic='s', value_format='JSON');`)
	cpu0, wall0 := cpuTime(), time.Now()
	mustExec(t, eng, sess, `CREATE TABLE counts AS SELECT k, COUNT(*) AS n FROM s GROUP BY k;`)
	if err := eng.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	wall, cpu := time.Since(wall0), cpuTime()-cpu0
	if got := eng.Metrics()["records-in"]; got < int64(n) {
		t.Fatalf("processed %d of %d records", got, n)
	}
	peak := peakRSS()
	if path := os.Getenv("KSQL_MANY_KEYS_HEAP"); path != "" {
		runtime.GC()
		if f, err := os.Create(path); err == nil {
			pprof.Lookup("heap").WriteTo(f, 0)
			f.Close()
		}
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.Logf("%d keys: %.0f events/cpu-s, %.0f events/s; peak RSS %d MB (high-water mark reset after the input: %v; %d MB before the query); Go heap in use %d MB, runtime total %d MB, GCs %d",
		n, float64(n)/cpu.Seconds(), float64(n)/wall.Seconds(), peak>>20, reset, rss0>>20, ms.HeapInuse>>20, ms.Sys>>20, ms.NumGC)
	t.Logf("state store:\n%s", eng.store.Metrics())
	if peak > 512<<20 {
		t.Fatalf("peak RSS %d MB, goal under 512 MB", peak>>20)
	}
}

// peakRSS is the process's resident high-water mark in bytes: VmHWM
// (which /proc/self/clear_refs resets), else getrusage's maxrss.
func peakRSS() int64 {
	if f, err := os.Open("/proc/self/status"); err == nil {
		defer f.Close()
		s := bufio.NewScanner(f)
		for s.Scan() {
			if v, ok := strings.CutPrefix(s.Text(), "VmHWM:"); ok {
				var kb int64
				if _, err := fmt.Sscanf(strings.TrimSpace(v), "%d kB", &kb); err == nil {
					return kb << 10
				}
			}
		}
	}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Maxrss << 10
}
