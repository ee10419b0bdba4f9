package embedded

import (
	"testing"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/broker/brokertest"
)

func TestConformance(t *testing.T) {
	configs := map[string]Options{
		"SyncAlways":   {},
		"SyncInterval": {SyncPolicy: SyncInterval},
		// Tiny segments and a dense index exercise rolling and seeking.
		"SmallSegments": {SegmentBytes: 300, IndexIntervalBytes: 64},
	}
	for name, opts := range configs {
		t.Run(name, func(t *testing.T) {
			brokertest.Run(t, func(t *testing.T) broker.Log {
				l, err := Open(t.TempDir(), opts)
				if err != nil {
					t.Fatal(err)
				}
				return l
			})
		})
	}
}

func TestConformanceDurable(t *testing.T) {
	for name, opts := range map[string]Options{
		"SyncAlways":    {},
		"SmallSegments": {SegmentBytes: 200, IndexIntervalBytes: 50, SyncPolicy: SyncInterval},
	} {
		t.Run(name, func(t *testing.T) {
			brokertest.RunDurable(t, func(t *testing.T, dir string) broker.Log {
				l, err := Open(dir, opts)
				if err != nil {
					t.Fatal(err)
				}
				return l
			})
		})
	}
}
