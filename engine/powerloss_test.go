package engine

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/broker/embedded/logfs"
	"github.com/ksqlgo/ksql/state"
)

// Power loss: the log and the state store run on in-memory file systems
// that remember what was synced. A crash point freezes both at one
// instant (every change to either goes through one lock, and the images
// are taken while holding it) at a random operation, keeping a random
// part of what was not synced, torn writes included. The engine restarts
// on the images, must start, and must show every acknowledged insert and
// each input exactly once in every output. Several crashes in a row, the
// later ones during the recovery of the earlier.

// crashPoint is the lock both file systems hold around every change. At
// its at-th acquisition it takes the crash images.
type crashPoint struct {
	mu       sync.Mutex
	ops, at  int
	seed     uint64
	log      *logfs.Mem
	state    *state.MemFS
	logImg   *logfs.Mem
	stateImg *state.MemFS
	crashed  bool
}

func (c *crashPoint) Lock() {
	c.mu.Lock()
	c.ops++
	if c.ops == c.at {
		c.takeImages()
	}
}

func (c *crashPoint) Unlock() { c.mu.Unlock() }

// takeImages is called with mu held.
func (c *crashPoint) takeImages() {
	if c.crashed {
		return
	}
	// The log's image keeps a random prefix of its unsynced writes and
	// directory changes (logfs.Mem orders them as a journaling file system
	// does), or none. Pebble's keeps none or all of its unsynced changes:
	// its in-memory file system drops unsynced directory entries each on
	// its own, an order no journaling file system produces, and Pebble
	// relies on that order (it creates a MANIFEST, then its marker, then
	// syncs the directory once; a kept marker with a lost MANIFEST is not
	// a state a power failure leaves on ext4 or XFS).
	keepAll := c.seed%3 == 2
	c.logImg = c.log.Crash(rand.New(rand.NewPCG(c.seed, 1)))
	if c.seed%3 == 0 {
		c.logImg = c.log.Crash(nil)
	}
	keep := 0
	if keepAll {
		keep = 100
	}
	c.stateImg = c.state.Crash(int64(c.seed), keep)
	c.crashed = true
}

func (c *crashPoint) hasCrashed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.crashed
}

// lockedLogFS holds the crash point's lock around every change.
type lockedLogFS struct {
	fs logfs.FS
	mu sync.Locker
}

func (l *lockedLogFS) OpenFile(name string, flag int) (logfs.File, error) {
	if flag&(os.O_WRONLY|os.O_RDWR|os.O_CREATE|os.O_TRUNC) != 0 {
		l.mu.Lock()
		defer l.mu.Unlock()
	}
	f, err := l.fs.OpenFile(name, flag)
	if err != nil {
		return nil, err
	}
	return &lockedLogFile{File: f, mu: l.mu}, nil
}

func (l *lockedLogFS) Stat(name string) (fs.FileInfo, error)      { return l.fs.Stat(name) }
func (l *lockedLogFS) ReadDir(name string) ([]fs.DirEntry, error) { return l.fs.ReadDir(name) }
func (l *lockedLogFS) Lock(name string) (io.Closer, error)        { return l.fs.Lock(name) }

func (l *lockedLogFS) locked(f func() error) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return f()
}

func (l *lockedLogFS) Mkdir(name string) error {
	return l.locked(func() error { return l.fs.Mkdir(name) })
}
func (l *lockedLogFS) MkdirAll(name string) error {
	return l.locked(func() error { return l.fs.MkdirAll(name) })
}
func (l *lockedLogFS) Rename(o, n string) error {
	return l.locked(func() error { return l.fs.Rename(o, n) })
}
func (l *lockedLogFS) Remove(name string) error {
	return l.locked(func() error { return l.fs.Remove(name) })
}
func (l *lockedLogFS) RemoveAll(name string) error {
	return l.locked(func() error { return l.fs.RemoveAll(name) })
}
func (l *lockedLogFS) SyncDir(name string) error {
	return l.locked(func() error { return l.fs.SyncDir(name) })
}

type lockedLogFile struct {
	logfs.File
	mu sync.Locker
}

func (f *lockedLogFile) WriteAt(p []byte, off int64) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.File.WriteAt(p, off)
}

func (f *lockedLogFile) Truncate(size int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.File.Truncate(size)
}

func (f *lockedLogFile) Sync() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.File.Sync()
}

// The DDL runs at every generation: a crash may have kept part of it.
const powerLossDDL = `CREATE STREAM IF NOT EXISTS clicks (id INT KEY, page STRING) WITH (kafka_topic='clicks', value_format='JSON', partitions=2);
CREATE TABLE IF NOT EXISTS per_page AS SELECT page, COUNT(*) AS c FROM clicks GROUP BY page;
CREATE STREAM IF NOT EXISTS copied AS SELECT id, page FROM clicks WHERE id >= 0;`

// powerLossRun runs one generation on (logMem, stMem), crashing at op at
// (0: never); it inserts ids from next on and returns the acknowledged
// ones, the crash point, and the next id.
func powerLossRun(t *testing.T, dir string, logMem *logfs.Mem, stMem *state.MemFS, at int, seed uint64, next int) (acked []int, cp *crashPoint, _ int) {
	t.Helper()
	ctx := context.Background()
	cp = &crashPoint{at: at, seed: seed, log: logMem, state: stMem}
	cfg := Config{DataDir: dir, CommitInterval: 2 * time.Millisecond,
		// Every changelog update is checked: no record cache.
		Properties: map[string]string{"ksql.streams.auto.offset.reset": "earliest", PropCacheMaxBytes: "0"},
		testFS:     &testFS{log: &lockedLogFS{fs: logMem, mu: cp}, state: stMem, lock: cp}}
	eng, err := Open(ctx, cfg)
	if err != nil {
		if cp.hasCrashed() {
			// The crash came during start-up; the error is the fault's.
			return nil, cp, next
		}
		t.Fatalf("start refused (seed %d, previous crash kept %d%%): %v", seed, seed%3*50, err)
	}
	defer func() {
		// The original file systems keep working after the crash point;
		// close on them (what Close writes is not in the images).
		_ = eng.Close()
	}()
	sess := NewSession()
	if _, err := eng.Execute(ctx, powerLossDDL, sess); err != nil {
		if cp.hasCrashed() {
			return nil, cp, next
		}
		t.Fatal(err)
	}
	for i := 0; i < 40 && !cp.hasCrashed(); i++ {
		id := next
		next++
		_, err := eng.Execute(ctx, fmt.Sprintf("INSERT INTO clicks (id, page) VALUES (%d, 'p%d');", id, id%3), sess)
		if err == nil && !cp.hasCrashed() {
			acked = append(acked, id)
		}
	}
	return acked, cp, next
}

func TestPowerLossIsExactlyOnce(t *testing.T) {
	iterations := 30
	if testing.Short() {
		iterations = 3
	}
	// How many changes one generation makes, to place crash points.
	{
		dir := t.TempDir()
		_, cp, _ := powerLossRun(t, dir, logfs.NewMem(), state.NewMemFS(), 0, 0, 0)
		if cp.ops < 100 {
			t.Fatalf("only %d file changes in a run: the lock is not in the path", cp.ops)
		}
		t.Logf("a generation makes about %d file changes", cp.ops)
		calibrated = cp.ops
	}
	for it := 0; it < iterations; it++ {
		rng := rand.New(rand.NewPCG(uint64(it), 42))
		dir := t.TempDir()
		logMem, stMem := logfs.NewMem(), state.NewMemFS()
		var acked []int
		next := 0
		const generations = 3
		for g := 0; g < generations; g++ {
			at := 1 + rng.IntN(calibrated)
			t.Logf("iteration %d generation %d: crash at change %d", it, g, at)
			a, cp, n := powerLossRun(t, dir, logMem, stMem, at, rng.Uint64(), next)
			acked, next = append(acked, a...), n
			if !cp.hasCrashed() {
				// The run ended before its crash point: crash now.
				cp.mu.Lock()
				cp.takeImages()
				cp.mu.Unlock()
			}
			logMem, stMem = cp.logImg, cp.stateImg
		}
		checkPowerLoss(t, fmt.Sprintf("iteration %d", it), dir, logMem, stMem, acked)
	}
}

// calibrated is the number of file changes a generation makes.
var calibrated int

// checkPowerLoss starts on the final images, drains, and checks.
func checkPowerLoss(t *testing.T, name, dir string, logMem *logfs.Mem, stMem *state.MemFS, acked []int) {
	t.Helper()
	ctx := context.Background()
	eng, err := Open(ctx, Config{DataDir: dir, CommitInterval: 2 * time.Millisecond,
		// Every changelog update is checked: no record cache.
		Properties: map[string]string{"ksql.streams.auto.offset.reset": "earliest", PropCacheMaxBytes: "0"},
		testFS:     &testFS{log: logMem, state: stMem, lock: &sync.Mutex{}}})
	if err != nil {
		t.Fatalf("%s: start refused after the crashes: %v", name, err)
	}
	defer eng.Close()
	if _, ok := eng.Catalog().Source("COPIED"); !ok {
		if len(acked) > 0 {
			t.Fatalf("%s: the streams are gone but %d inserts were acknowledged", name, len(acked))
		}
		return
	}
	waitFor(t, "the queries to drain", func() bool {
		for _, q := range eng.Lag(context.Background()) {
			if q.Records != 0 {
				return false
			}
		}
		return true
	})
	read := func(topic string) []broker.Record {
		info, err := eng.Log().Topic(ctx, topic)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var out []broker.Record
		for p := int32(0); p < info.Config.Partitions; p++ {
			recs, err := broker.ReadAll(ctx, eng.Log(), topic, p, 0, broker.ReadCommitted, 0)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, recs...)
		}
		return out
	}
	present := map[string]int{} // input value -> count
	perPage := map[string]int{}
	for _, r := range read("clicks") {
		present[string(r.Value)]++
		var page string
		fmt.Sscanf(strings.TrimPrefix(string(r.Value), `{"PAGE":"`), "%2s", &page)
		perPage[page]++
	}
	for _, id := range acked {
		v := fmt.Sprintf(`{"PAGE":"p%d"}`, id%3)
		if present[v] == 0 {
			t.Fatalf("%s: acknowledged insert %d is lost", name, id)
		}
	}
	copied := map[string]int{}
	for _, r := range read("COPIED") {
		copied[string(r.Value)]++
	}
	if fmt.Sprint(sortedCounts(copied)) != fmt.Sprint(sortedCounts(present)) {
		t.Fatalf("%s: COPIED %v, want one per input %v", name, sortedCounts(copied), sortedCounts(present))
	}
	t.Logf("%s: %d acknowledged, %d present, %d copied", name, len(acked), len(read("clicks")), len(read("COPIED")))
	seen := map[string]int{}
	for _, r := range read("PER_PAGE") {
		k := string(r.Key)
		seen[k]++
		if want := fmt.Sprintf(`{"C":%d}`, seen[k]); string(r.Value) != want {
			t.Fatalf("%s: PER_PAGE[%s] update %d is %s, want %s", name, k, seen[k], r.Value, want)
		}
	}
	if fmt.Sprint(sortedCounts(seen)) != fmt.Sprint(sortedCounts(perPage)) {
		t.Fatalf("%s: PER_PAGE updates %v, want %v", name, sortedCounts(seen), sortedCounts(perPage))
	}
}

func sortedCounts(m map[string]int) []string {
	var out []string
	for k, v := range m {
		out = append(out, fmt.Sprintf("%s=%d", k, v))
	}
	sort.Strings(out)
	return out
}
