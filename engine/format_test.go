package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/broker/embedded"
	"github.com/ksqlgo/ksql/state"
)

func readStamp(t *testing.T, dir string) formatStamp {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, FormatFile))
	if err != nil {
		t.Fatal(err)
	}
	var s formatStamp
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("stamp %q: %v", b, err)
	}
	return s
}

func writeRaw(t *testing.T, dir, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, FormatFile), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func openEngine(t *testing.T, dir string) (*Engine, error) {
	t.Helper()
	return Open(context.Background(), Config{DataDir: dir, Synchronous: true, NoSync: true})
}

// A fresh data directory is stamped with this binary's format before
// anything else is written, and reopens; its data survives the reopen.
func TestFormatStampFreshAndReopen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data") // does not exist yet
	eng, err := openEngine(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Execute(context.Background(), "CREATE STREAM s (v INT) WITH (kafka_topic='s', value_format='JSON', partitions=1);", nil); err != nil {
		t.Fatal(err)
	}
	if err := eng.Close(); err != nil {
		t.Fatal(err)
	}
	if s := readStamp(t, dir); s.Format != FormatVersion {
		t.Fatalf("fresh directory stamped %d, want %d", s.Format, FormatVersion)
	}
	if _, err := os.Stat(filepath.Join(dir, FormatFile+".tmp")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temporary stamp left behind: %v", err)
	}

	eng, err = openEngine(t, dir)
	if err != nil {
		t.Fatalf("reopening a stamped directory: %v", err)
	}
	defer eng.Close()
	if _, ok := eng.Catalog().Source("S"); !ok {
		t.Fatal("stream S lost across the reopen")
	}
}

// Stamps this binary cannot read are refused before the log or the state
// store is touched, with a message naming both versions and what to do.
func TestFormatStampRefused(t *testing.T) {
	cases := []struct {
		name  string
		stamp string
		want  []string
	}{
		{"newer", `{"format": 3}`, []string{"was written by format 3", "this binary reads format 1..2", "newer ksql binary"}},
		{"zero", `{"format": 0}`, []string{"format stamp " + FormatFile + " is unreadable", "format 0"}},
		{"garbage", "\x00\x17not json", []string{"format stamp " + FormatFile + " is unreadable", "refusing to guess", "this binary reads format 1..2"}},
		{"torn", `{"form`, []string{"is unreadable", "unexpected end of JSON input"}},
		{"no version", `{"about": "x"}`, []string{"is unreadable", `no "format" field`}},
		{"wrong type", `{"format": "1"}`, []string{"is unreadable"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			writeRaw(t, dir, c.stamp)
			eng, err := openEngine(t, dir)
			if err == nil {
				eng.Close()
				t.Fatalf("opened a directory stamped %q", c.stamp)
			}
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Errorf("error is not a *FormatError: %v", err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			for _, sub := range []string{"log", "state"} {
				if _, err := os.Stat(filepath.Join(dir, sub)); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("%s/ created in a refused directory", sub)
				}
			}
			b, _ := os.ReadFile(filepath.Join(dir, FormatFile))
			if string(b) != c.stamp {
				t.Errorf("refused stamp rewritten: %q", b)
			}
		})
	}
}

// A format older than this binary reads (possible once the format moves
// on) names the version that can read it.
func TestFormatErrorOlder(t *testing.T) {
	err := &FormatError{Dir: "/d", Found: 1, Min: 2, Max: 3}
	want := "data directory /d was written by format 1; this binary reads format 2..3: this binary cannot migrate it: use a ksql binary that reads format 1, or a new data directory"
	if err.Error() != want {
		t.Fatalf("got  %q\nwant %q", err.Error(), want)
	}
}

// A data directory from before the stamp existed (log/ and state/, no
// stamp) is adopted as format 1, stamped, and its data is kept.
func TestFormatStampAdoptsUnstampedDirectory(t *testing.T) {
	dir := t.TempDir()
	// Write the directory as a binary without stamps did.
	lg, err := embedded.Open(filepath.Join(dir, "log"), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := lg.CreateTopic(ctx, "old", broker.TopicConfig{Partitions: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := lg.Append(ctx, "old", 0, []broker.Record{{Value: []byte(`{"V":1}`)}}); err != nil {
		t.Fatal(err)
	}
	if err := lg.Close(); err != nil {
		t.Fatal(err)
	}
	st, err := state.Open(filepath.Join(dir, "state"), state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	var logged []string
	eng, err := Open(ctx, Config{DataDir: dir, Synchronous: true, NoSync: true,
		Logf: func(f string, a ...any) { logged = append(logged, f) }})
	if err != nil {
		t.Fatalf("opening an unstamped directory: %v", err)
	}
	defer eng.Close()
	if s := readStamp(t, dir); s.Format != FormatVersion {
		t.Fatalf("unstamped directory stamped %d, want %d (adopted as %d, then migrated)", s.Format, FormatVersion, unstampedFormat)
	}
	if !strings.Contains(strings.Join(logged, "\n"), "predates format stamps") {
		t.Errorf("adoption not logged: %q", logged)
	}
	recs, err := broker.ReadAll(ctx, eng.Log(), "old", 0, 0, broker.ReadCommitted, 0)
	if err != nil || len(recs) != 1 {
		t.Fatalf("the old topic's record after adoption: %d records, %v", len(recs), err)
	}
}

// A format 1 directory is read as is and restamped as format 2 before the
// log is opened; its data is kept.
func TestFormat1IsRestamped(t *testing.T) {
	dir := t.TempDir()
	lg, err := embedded.Open(filepath.Join(dir, "log"), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := lg.CreateTopic(ctx, "old", broker.TopicConfig{Partitions: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := lg.Append(ctx, "old", 0, []broker.Record{{Value: []byte(`{"V":1}`)}}); err != nil {
		t.Fatal(err)
	}
	if err := lg.Close(); err != nil {
		t.Fatal(err)
	}
	writeRaw(t, dir, `{"format": 1}`)
	var logged []string
	eng, err := Open(ctx, Config{DataDir: dir, Synchronous: true, NoSync: true,
		Logf: func(f string, a ...any) { logged = append(logged, fmt.Sprintf(f, a...)) }})
	if err != nil {
		t.Fatalf("opening a format 1 directory: %v", err)
	}
	defer eng.Close()
	if s := readStamp(t, dir); s.Format != 2 {
		t.Fatalf("format 1 directory stamped %d after opening, want 2", s.Format)
	}
	if !strings.Contains(strings.Join(logged, "\n"), "format 1 read as is and restamped as format 2") {
		t.Errorf("restamp not logged: %q", logged)
	}
	recs, err := broker.ReadAll(ctx, eng.Log(), "old", 0, 0, broker.ReadCommitted, 0)
	if err != nil || len(recs) != 1 {
		t.Fatalf("the old topic's record after the restamp: %d records, %v", len(recs), err)
	}
}

// A temporary stamp left by a crash while stamping is ignored and removed.
func TestFormatStampLeftoverTemporary(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, FormatFile+".tmp"), []byte(`{"fo`), 0o644); err != nil {
		t.Fatal(err)
	}
	eng, err := openEngine(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	eng.Close()
	if s := readStamp(t, dir); s.Format != FormatVersion {
		t.Fatalf("stamped %d, want %d", s.Format, FormatVersion)
	}
	if _, err := os.Stat(filepath.Join(dir, FormatFile+".tmp")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temporary stamp left behind: %v", err)
	}
}

// A command log record of a newer version stops the start; one without a
// version (older than the field) is read as version 1.
func TestCommandLogRecordVersion(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name    string
		version string // the "version" member, "" for none
		wantErr string
	}{
		{"newer", `,"version":2`, "has version 2; this binary reads command versions 1..1"},
		{"current", `,"version":1`, ""},
		{"none", ``, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			eng, err := openEngine(t, dir)
			if err != nil {
				t.Fatal(err)
			}
			val := `{"statement":"CREATE STREAM s (v INT) WITH (kafka_topic='s', value_format='JSON', partitions=1);"` + c.version + `}`
			if _, err := eng.log.Append(ctx, eng.cmdTopic, 0, []broker.Record{{Key: []byte("stream/`S`/create"), Value: []byte(val)}}); err != nil {
				t.Fatal(err)
			}
			if err := eng.Close(); err != nil {
				t.Fatal(err)
			}
			eng, err = openEngine(t, dir)
			if c.wantErr != "" {
				if err == nil {
					eng.Close()
					t.Fatal("replayed a command record of a newer version")
				}
				if !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error %q lacks %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer eng.Close()
			if _, ok := eng.Catalog().Source("S"); !ok {
				t.Fatal("the command was not replayed")
			}
		})
	}
}
