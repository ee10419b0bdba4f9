package engine

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestCommitIntervalProperty(t *testing.T) {
	for _, tc := range []struct {
		props map[string]string
		want  time.Duration
		err   string
	}{
		{props: nil, want: 100 * time.Millisecond},
		{props: map[string]string{"ksql.streams.commit.interval.ms": "7"}, want: 7 * time.Millisecond},
		{props: map[string]string{"commit.interval.ms": "250"}, want: 250 * time.Millisecond},
		{props: map[string]string{"ksql.streams.commit.interval.ms": "soon"}, err: `property ksql.streams.commit.interval.ms: "soon" is not a number of milliseconds`},
		{props: map[string]string{"ksql.streams.commit.interval.ms": "0"}, err: "between 1 and 86400000"},
	} {
		eng, err := Open(context.Background(), Config{DataDir: t.TempDir(), NoSync: true, Properties: tc.props})
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%v: error %v, want %q", tc.props, err, tc.err)
			}
			if eng != nil {
				eng.Close()
			}
			continue
		}
		if err != nil {
			t.Fatalf("%v: %v", tc.props, err)
		}
		got := eng.rt.CommitInterval
		if got == 0 {
			got = 100 * time.Millisecond // exec's default
		}
		if got != tc.want {
			t.Errorf("%v: commit interval %v, want %v", tc.props, got, tc.want)
		}
		eng.Close()
	}
}
