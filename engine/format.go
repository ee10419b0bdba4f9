package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/ksqlgo/ksql/broker/embedded/logfs"
)

// The data directory's format version.
//
// One number covers everything the directory holds: the embedded log's
// files (log/), the state store's key layout and encodings (state/), and
// the command log's records. It is stamped in FormatFile at the root of the
// directory when the directory is created, and checked at every start,
// before the log or the state store is opened: a directory this binary
// cannot read is refused with both versions in the message, never
// misread.
//
// Any change to one of those formats that an older binary would misread
// increments FormatVersion. A binary reads MinFormatVersion..FormatVersion;
// reading an older format than FormatVersion means migrating it first
// and then restamping, before the log or the store is opened, so that an
// older binary refuses the directory from then on.
//
// Versions:
//
//	1  the first stamped format
//	2  the embedded log's batches may carry a Kafka producer (idempotent
//	   and transactional Kafka producers), index files a producer state
//	   snapshot (index version 2), and the log directory holds ~txn/
//	   (producer ids, transaction coordinator records). Format 1 is read
//	   as is: the migration only restamps.
const (
	FormatVersion    = 2
	MinFormatVersion = 1
	// FormatFile is the name of the stamp, a small JSON document.
	FormatFile = "ksql-format.json"
)

// unstampedFormat is the format of a data directory written before the
// stamp existed (it has log/ or state/ but no FormatFile): format 1.
const unstampedFormat = 1

// formatStamp is FormatFile's content.
type formatStamp struct {
	// Format is the version of the data in the directory.
	Format int `json:"format"`
	// About says, for a human who finds the file, what it is.
	About string `json:"about,omitempty"`
}

const stampAbout = "on-disk format of this ksql data directory (log/, state/, command log); checked at start-up"

// FormatError is the refusal of a data directory whose format this
// binary cannot read.
type FormatError struct {
	Dir string
	// Found is the directory's format version (0 if its stamp is
	// unreadable).
	Found int
	// Min and Max are the versions this binary reads.
	Min, Max int
	// Problem explains a stamp that could not be read.
	Problem string
}

func (e *FormatError) Error() string {
	if e.Problem != "" {
		return fmt.Sprintf("data directory %s: %s; refusing to guess the format of the data in it (this binary reads format %s): restore %s from a backup, or use a new data directory",
			e.Dir, e.Problem, versionRange(e.Min, e.Max), FormatFile)
	}
	what := "use a newer ksql binary (one that reads it), or a new data directory"
	if e.Found < e.Min {
		what = fmt.Sprintf("this binary cannot migrate it: use a ksql binary that reads format %d, or a new data directory", e.Found)
	}
	return fmt.Sprintf("data directory %s was written by format %d; this binary reads format %s: %s",
		e.Dir, e.Found, versionRange(e.Min, e.Max), what)
}

func versionRange(lo, hi int) string { return fmt.Sprintf("%d..%d", lo, hi) }

// checkFormat makes sure this binary may open the data directory dir
// (which exists): a fresh directory is stamped with FormatVersion; a
// directory from before the stamp (log/ or state/ present, no stamp) is
// adopted as unstampedFormat and stamped; a stamped one must be within
// MinFormatVersion..FormatVersion. It returns the directory's format.
func checkFormat(dir string, logf func(string, ...any)) (int, error) {
	// A crash while stamping can leave the temporary file behind.
	if err := os.Remove(filepath.Join(dir, FormatFile+".tmp")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return 0, err
	}
	b, err := os.ReadFile(filepath.Join(dir, FormatFile))
	switch {
	case err == nil:
		v, perr := parseStamp(b)
		if perr != nil {
			return 0, &FormatError{Dir: dir, Min: MinFormatVersion, Max: FormatVersion,
				Problem: fmt.Sprintf("the format stamp %s is unreadable (%v)", FormatFile, perr)}
		}
		if v < MinFormatVersion || v > FormatVersion {
			return 0, &FormatError{Dir: dir, Found: v, Min: MinFormatVersion, Max: FormatVersion}
		}
		return migrateFormat(dir, v, logf)
	case !errors.Is(err, fs.ErrNotExist):
		return 0, fmt.Errorf("reading the format stamp: %w", err)
	}
	v, unstamped := FormatVersion, false
	for _, sub := range []string{"log", "state"} {
		if _, err := os.Stat(filepath.Join(dir, sub)); err == nil {
			v, unstamped = unstampedFormat, true
			break
		} else if !errors.Is(err, fs.ErrNotExist) {
			return 0, err
		}
	}
	if v < MinFormatVersion || v > FormatVersion {
		return 0, &FormatError{Dir: dir, Found: v, Min: MinFormatVersion, Max: FormatVersion}
	}
	if err := writeStamp(dir, v); err != nil {
		return 0, fmt.Errorf("stamping the data directory's format: %w", err)
	}
	if unstamped && logf != nil {
		logf("data directory %s predates format stamps: adopted as format %d and stamped", dir, v)
	}
	return migrateFormat(dir, v, logf)
}

// migrateFormat brings a directory of format v up to FormatVersion and
// restamps it; it returns the new format. Format 1 to 2 changes no file:
// the log reads format 1 as is.
func migrateFormat(dir string, v int, logf func(string, ...any)) (int, error) {
	if v >= FormatVersion {
		return v, nil
	}
	if err := writeStamp(dir, FormatVersion); err != nil {
		return 0, fmt.Errorf("restamping the data directory's format %d as %d: %w", v, FormatVersion, err)
	}
	if logf != nil {
		logf("data directory %s: format %d read as is and restamped as format %d (older binaries refuse it from now on)", dir, v, FormatVersion)
	}
	return FormatVersion, nil
}

// checkCommandVersion refuses a command log record newer than this binary
// understands (a record without a version predates the field: version 1).
func checkCommandVersion(version int, offset int64) error {
	if version <= commandVersion {
		return nil
	}
	return fmt.Errorf("the command log's record at offset %d has version %d; this binary reads command versions 1..%d: use a newer ksql binary (one that reads it)",
		offset, version, commandVersion)
}

// parseStamp reads a stamp's version.
func parseStamp(b []byte) (int, error) {
	var raw struct {
		Format *int `json:"format"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return 0, err
	}
	if raw.Format == nil {
		return 0, errors.New(`no "format" field`)
	}
	if *raw.Format < 1 {
		return 0, fmt.Errorf("format %d", *raw.Format)
	}
	return *raw.Format, nil
}

// writeStamp writes the stamp atomically: a temporary file, fsynced, then
// renamed over the stamp, then the directory fsynced.
func writeStamp(dir string, v int) error {
	b, err := json.Marshal(formatStamp{Format: v, About: stampAbout})
	if err != nil {
		return err
	}
	return logfs.WriteFileAtomic(logfs.OS{}, filepath.Join(dir, FormatFile), append(b, '\n'))
}
