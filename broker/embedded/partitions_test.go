package embedded

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/broker/embedded/logfs"
)

func TestAddPartitions(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	l := openT(t, dir, Options{})
	mustCreate(t, l, "t", broker.TopicConfig{Partitions: 2, RetentionMs: 5000, CleanupPolicy: "compact"})
	mustAppend(t, l, "t", 0, mkRecs("p0", 3))
	mustAppend(t, l, "t", 1, mkRecs("p1", 2))
	for _, n := range []int32{2, 1, 0, -1} {
		if err := l.AddPartitions(ctx, "t", n); !errors.Is(err, broker.ErrInvalidPartitions) {
			t.Fatalf("AddPartitions(t, %d) = %v, want ErrInvalidPartitions", n, err)
		}
	}
	if err := l.AddPartitions(ctx, "nope", 3); !errors.Is(err, broker.ErrUnknownTopic) {
		t.Fatalf("unknown topic: %v", err)
	}
	if err := l.AddPartitions(ctx, "t", 5); err != nil {
		t.Fatal(err)
	}
	check := func(l *Log) {
		t.Helper()
		info, err := l.Topic(ctx, "t")
		if err != nil {
			t.Fatal(err)
		}
		want := broker.TopicConfig{Partitions: 5, RetentionMs: 5000, CleanupPolicy: "compact"}
		if info.Config != want {
			t.Fatalf("config %+v, want %+v", info.Config, want)
		}
		if got := valuesOf(readAllT(t, l, "t", 0, 0, broker.ReadCommitted)); len(got) != 3 || got[0] != "p0-v0" {
			t.Fatalf("partition 0 holds %q", got)
		}
		if got := len(readAllT(t, l, "t", 1, 0, broker.ReadCommitted)); got != 2 {
			t.Fatalf("partition 1 holds %d records, want 2", got)
		}
		if _, err := l.Offsets(ctx, "t", 5); !errors.Is(err, broker.ErrUnknownPartition) {
			t.Fatalf("partition 5: %v", err)
		}
	}
	check(l)
	for p := int32(2); p < 5; p++ {
		if off, err := l.Offsets(ctx, "t", p); err != nil || off != (broker.Offsets{}) {
			t.Fatalf("new partition %d: %+v, %v", p, off, err)
		}
		if off := mustAppend(t, l, "t", p, mkRecs(fmt.Sprint("new", p), 1)); off != 0 {
			t.Fatalf("first append to new partition %d at offset %d", p, off)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l = openT(t, dir, Options{})
	check(l)
	for p := int32(2); p < 5; p++ {
		if got := valuesOf(readAllT(t, l, "t", p, 0, broker.ReadCommitted)); len(got) != 1 || got[0] != fmt.Sprintf("new%d-v0", p) {
			t.Fatalf("partition %d after reopen holds %q", p, got)
		}
	}
}

// A power loss at any file operation of AddPartitions leaves a log that
// opens with the old or the new count (the new one if AddPartitions
// returned), whose partitions all work, and a later AddPartitions
// succeeds over whatever the failed one left.
func TestAddPartitionsPowerLoss(t *testing.T) {
	const dir = "/data"
	opts := func(fsys logfs.FS) Options { return Options{FS: fsys, RetentionCheckInterval: -1} }
	for budget := 1; ; budget++ {
		uncut := false
		for _, seed := range []uint64{0, 1, 2} {
			disk := logfs.NewMem()
			l, err := Open(dir, opts(disk))
			if err != nil {
				t.Fatal(err)
			}
			mustCreate(t, l, "t", broker.TopicConfig{Partitions: 2})
			mustAppend(t, l, "t", 1, mkRecs("old", 2))
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			ff := logfs.NewFaultFS(disk)
			var image *logfs.Mem
			n, armed := 0, false
			ff.SetHook(func(op logfs.Op) error {
				if !armed {
					return nil
				}
				if image != nil {
					return syscall.EIO
				}
				if op.Kind.Mutates() {
					if n++; n == budget {
						var rng *rand.Rand
						if seed > 0 {
							rng = rand.New(rand.NewPCG(seed, uint64(budget)))
						}
						image = disk.Crash(rng)
						return syscall.EIO
					}
				}
				return nil
			})
			l, err = Open(dir, opts(ff))
			if err != nil {
				t.Fatal(err)
			}
			armed = true
			addErr := l.AddPartitions(t.Context(), "t", 4)
			if image == nil {
				if addErr != nil {
					t.Fatalf("AddPartitions without a power loss: %v", addErr)
				}
				image = disk.Crash(rand.New(rand.NewPCG(seed, 99)))
				uncut = true
			}
			armed = false
			l.crash()
			l, err = Open(dir, opts(image))
			if err != nil {
				t.Fatalf("budget %d seed %d: Open after a power loss: %v\n%s", budget, seed, err, image)
			}
			info, err := l.Topic(t.Context(), "t")
			if err != nil {
				t.Fatal(err)
			}
			got := info.Config.Partitions
			if got != 4 && (got != 2 || addErr == nil) {
				t.Fatalf("budget %d seed %d: %d partitions after the power loss (AddPartitions: %v)", budget, seed, got, addErr)
			}
			if recs := readAllT(t, l, "t", 1, 0, broker.ReadCommitted); len(recs) != 2 {
				t.Fatalf("budget %d seed %d: partition 1 holds %d records, want 2", budget, seed, len(recs))
			}
			if got == 2 {
				if err := l.AddPartitions(t.Context(), "t", 4); err != nil {
					t.Fatalf("budget %d seed %d: AddPartitions again: %v", budget, seed, err)
				}
			}
			for p := int32(0); p < 4; p++ {
				mustAppend(t, l, "t", p, mkRecs("after", 1))
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
		}
		if uncut {
			t.Logf("power cut before each of the %d file operations of AddPartitions", budget-1)
			return
		}
	}
}
