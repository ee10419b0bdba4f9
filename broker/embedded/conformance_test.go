package embedded

import (
	"testing"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/broker/brokertest"
	"github.com/ksqlgo/ksql/broker/embedded/logfs"
)

// conformanceConfig is one configuration the conformance suite runs
// under: options, and whether the log lives on a logfs.Mem instead of the
// real file system.
type conformanceConfig struct {
	opts Options
	mem  bool
}

func TestConformance(t *testing.T) {
	configs := map[string]conformanceConfig{
		"SyncAlways":   {opts: Options{}},
		"SyncInterval": {opts: Options{SyncPolicy: SyncInterval}},
		// Tiny segments and a dense index exercise rolling and seeking.
		"SmallSegments": {opts: Options{SegmentBytes: 300, IndexIntervalBytes: 64}},
		// The in-memory file system behaves like the real one.
		"MemFS": {opts: Options{SegmentBytes: 300, IndexIntervalBytes: 64}, mem: true},
	}
	for name, c := range configs {
		t.Run(name, func(t *testing.T) {
			brokertest.Run(t, func(t *testing.T) broker.Log {
				opts, dir := c.opts, t.TempDir()
				if c.mem {
					opts.FS, dir = logfs.NewMem(), "/data"
				}
				l, err := Open(dir, opts)
				if err != nil {
					t.Fatal(err)
				}
				return l
			})
		})
	}
}

func TestConformanceDurable(t *testing.T) {
	for name, c := range map[string]conformanceConfig{
		"SyncAlways":    {opts: Options{}},
		"SmallSegments": {opts: Options{SegmentBytes: 200, IndexIntervalBytes: 50, SyncPolicy: SyncInterval}},
		"MemFS":         {opts: Options{SegmentBytes: 200, IndexIntervalBytes: 50}, mem: true},
	} {
		t.Run(name, func(t *testing.T) {
			// One Mem per directory, kept across the reopens of a test.
			mems := map[string]*logfs.Mem{}
			brokertest.RunDurable(t, func(t *testing.T, dir string) broker.Log {
				opts := c.opts
				if c.mem {
					if mems[dir] == nil {
						mems[dir] = logfs.NewMem()
					}
					opts.FS = mems[dir]
				}
				l, err := Open(dir, opts)
				if err != nil {
					t.Fatal(err)
				}
				return l
			})
		})
	}
}
