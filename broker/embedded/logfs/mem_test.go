package logfs

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestSemantics runs the same operations on OS and Mem: Mem must behave
// like the real file system for everything the log does.
func TestSemantics(t *testing.T) {
	for name, mk := range map[string]func(t *testing.T) (FS, string){
		"OS":  func(t *testing.T) (FS, string) { return OS{}, t.TempDir() },
		"Mem": func(t *testing.T) (FS, string) { return NewMem(), "/data" },
	} {
		t.Run(name, func(t *testing.T) {
			fsys, root := mk(t)
			testSemantics(t, fsys, root)
		})
	}
}

func testSemantics(t *testing.T, fsys FS, root string) {
	p := func(parts ...string) string { return filepath.Join(append([]string{root}, parts...)...) }
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(fsys.MkdirAll(p("a", "b")))
	must(fsys.MkdirAll(p("a", "b"))) // exists: no error
	if err := fsys.Mkdir(p("a")); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("Mkdir of an existing directory: %v", err)
	}
	if _, err := fsys.Stat(p("nope")); !errors.Is(err, fs.ErrNotExist) || !os.IsNotExist(err) {
		t.Fatalf("Stat of a missing file: %v", err)
	}
	if _, err := fsys.OpenFile(p("nope"), os.O_RDWR); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("OpenFile of a missing file: %v", err)
	}

	f, err := fsys.OpenFile(p("a", "f"), os.O_RDWR|os.O_CREATE|os.O_TRUNC)
	must(err)
	if _, err := f.WriteAt([]byte("hello"), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("world"), 8); err != nil { // leaves a hole of zeros
		t.Fatal(err)
	}
	buf := make([]byte, 20)
	n, err := f.ReadAt(buf, 0)
	if n != 13 || err != io.EOF || string(buf[:n]) != "hello\x00\x00\x00world" {
		t.Fatalf("ReadAt: %d %v %q", n, err, buf[:n])
	}
	if n, err := f.ReadAt(buf[:3], 13); n != 0 || err != io.EOF {
		t.Fatalf("ReadAt at the end: %d %v", n, err)
	}
	must(f.Truncate(4))
	must(f.Truncate(6))
	must(f.Sync())
	fi, err := f.Stat()
	must(err)
	if fi.Size() != 6 || fi.IsDir() || fi.Name() != "f" {
		t.Fatalf("Stat: %v %v %q", fi.Size(), fi.IsDir(), fi.Name())
	}
	must(f.Close())
	if _, err := f.ReadAt(buf, 0); err == nil {
		t.Fatal("ReadAt after Close succeeded")
	}
	data, err := ReadFile(fsys, p("a", "f"))
	if err != nil || string(data) != "hell\x00\x00" {
		t.Fatalf("ReadFile: %q %v", data, err)
	}
	if _, err := fsys.OpenFile(p("a", "f"), os.O_RDWR|os.O_CREATE|os.O_EXCL); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("O_EXCL on an existing file: %v", err)
	}
	ro, err := fsys.OpenFile(p("a", "f"), os.O_RDONLY)
	must(err)
	if _, err := ro.WriteAt([]byte("x"), 0); err == nil {
		t.Fatal("write to a read-only file succeeded")
	}
	must(ro.Close())

	// Rename over an existing file replaces it.
	g, err := fsys.OpenFile(p("a", "g"), os.O_WRONLY|os.O_CREATE)
	must(err)
	_, err = g.WriteAt([]byte("new"), 0)
	must(err)
	must(g.Close())
	must(fsys.Rename(p("a", "g"), p("a", "f")))
	if data, _ := ReadFile(fsys, p("a", "f")); string(data) != "new" {
		t.Fatalf("after rename: %q", data)
	}
	// Rename of a directory, and into another directory.
	must(fsys.Rename(p("a", "b"), p("c")))
	must(fsys.Rename(p("a", "f"), p("c", "f")))
	ents, err := fsys.ReadDir(p())
	must(err)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
		if !e.IsDir() {
			t.Fatalf("%s is not a directory", e.Name())
		}
	}
	if strings.Join(names, ",") != "a,c" {
		t.Fatalf("ReadDir: %v", names)
	}
	if err := fsys.Remove(p("c")); err == nil {
		t.Fatal("Remove of a non-empty directory succeeded")
	}
	must(fsys.SyncDir(p("c")))
	must(fsys.RemoveAll(p("c")))
	must(fsys.RemoveAll(p("c"))) // missing: no error
	must(fsys.Remove(p("a")))
	if ents, _ := fsys.ReadDir(p()); len(ents) != 0 {
		t.Fatalf("left over: %v", ents)
	}

	lk, err := fsys.Lock(p())
	must(err)
	if _, err := fsys.Lock(p()); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Lock: %v, want ErrLocked", err)
	}
	must(lk.Close())
	lk, err = fsys.Lock(p())
	must(err)
	must(lk.Close())
}

func writeFile(t *testing.T, fsys FS, name string, data []byte, sync bool) {
	t.Helper()
	f, err := fsys.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(data, 0); err != nil {
		t.Fatal(err)
	}
	if sync {
		if err := f.Sync(); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func appendTo(t *testing.T, f File, data []byte) {
	t.Helper()
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(data, fi.Size()); err != nil {
		t.Fatal(err)
	}
}

func readOrMissing(t *testing.T, fsys FS, name string) (string, bool) {
	t.Helper()
	data, err := ReadFile(fsys, name)
	if errors.Is(err, fs.ErrNotExist) {
		return "", false
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(data), true
}

func TestCrashKeepsOnlyDurable(t *testing.T) {
	m := NewMem()
	if err := m.MkdirAll("/d"); err != nil {
		t.Fatal(err)
	}
	if err := m.SyncDir("/"); err != nil {
		t.Fatal(err)
	}
	writeFile(t, m, "/d/synced-no-dirsync", []byte("x"), true)
	if err := m.SyncDir("/d"); err != nil {
		t.Fatal(err)
	}
	f, err := m.OpenFile("/d/synced-no-dirsync", os.O_RDWR)
	if err != nil {
		t.Fatal(err)
	}
	appendTo(t, f, []byte("y"))                   // unsynced
	writeFile(t, m, "/d/late", []byte("z"), true) // entry never synced

	c := m.Crash(nil)
	if got, ok := readOrMissing(t, c, "/d/synced-no-dirsync"); !ok || got != "x" {
		t.Fatalf("synced file after crash: %q %v, want \"x\"", got, ok)
	}
	if _, ok := readOrMissing(t, c, "/d/late"); ok {
		t.Fatal("a file whose directory entry was never synced survived")
	}
	// The original keeps working and is unaffected.
	if got, _ := readOrMissing(t, m, "/d/synced-no-dirsync"); got != "xy" {
		t.Fatalf("original after Crash: %q", got)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if got, _ := readOrMissing(t, m.Crash(nil), "/d/synced-no-dirsync"); got != "xy" {
		t.Fatalf("after Sync: %q", got)
	}
	// The clone holds no lock and every entry is durable there.
	if _, err := c.Lock("/d"); err != nil {
		t.Fatal(err)
	}
	if got, ok := readOrMissing(t, c.Crash(nil), "/d/synced-no-dirsync"); !ok || got != "x" {
		t.Fatalf("crash of a crash image: %q %v", got, ok)
	}
}

func TestCrashUnreachableDirectory(t *testing.T) {
	m := NewMem()
	// /d's entry in / is never synced: everything under it is lost, even
	// though /d itself and its file are synced.
	if err := m.Mkdir("/d"); err != nil {
		t.Fatal(err)
	}
	writeFile(t, m, "/d/f", []byte("x"), true)
	if err := m.SyncDir("/d"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Crash(nil).Stat("/d"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("directory with an unsynced entry: %v", err)
	}
	if err := m.SyncDir("/"); err != nil {
		t.Fatal(err)
	}
	if got, ok := readOrMissing(t, m.Crash(nil), "/d/f"); !ok || got != "x" {
		t.Fatalf("after syncing the parent: %q %v", got, ok)
	}
}

// TestCrashRenameIsAtomic replaces a file the way the log replaces its
// metadata files; every crash image holds the old or the new content.
func TestCrashRenameIsAtomic(t *testing.T) {
	m := NewMem()
	if err := m.SyncDir("/"); err != nil {
		t.Fatal(err)
	}
	writeFile(t, m, "/meta", []byte("old"), true)
	if err := m.SyncDir("/"); err != nil {
		t.Fatal(err)
	}
	writeFile(t, m, "/meta.tmp", []byte("new"), true)
	if err := m.Rename("/meta.tmp", "/meta"); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for seed := range uint64(64) {
		c := m.Crash(rand.New(rand.NewPCG(seed, 1)))
		got, ok := readOrMissing(t, c, "/meta")
		if !ok || (got != "old" && got != "new") {
			t.Fatalf("seed %d: meta is %q (present %v)", seed, got, ok)
		}
		_, tmp := readOrMissing(t, c, "/meta.tmp")
		seen[got+map[bool]string{true: "+tmp", false: ""}[tmp]] = true
	}
	// Every outcome occurs: nothing of the replacement survived, only the
	// temporary file did, or the rename did (and no tmp file is left).
	if len(seen) != 3 || !seen["new"] || !seen["old+tmp"] || !seen["old"] {
		t.Fatalf("outcomes %v", seen)
	}
	if err := m.SyncDir("/"); err != nil {
		t.Fatal(err)
	}
	for seed := range uint64(16) {
		if got, _ := readOrMissing(t, m.Crash(rand.New(rand.NewPCG(seed, 2))), "/meta"); got != "new" {
			t.Fatalf("after SyncDir, seed %d: %q", seed, got)
		}
	}
}

// TestCrashRenameBetweenDirectories: a rename between two directories
// survives whole or not at all, and syncing either directory makes it
// durable.
func TestCrashRenameBetweenDirectories(t *testing.T) {
	for _, syncDir := range []string{"", "/d1", "/d2"} {
		m := NewMem()
		for _, d := range []string{"/d1", "/d2"} {
			if err := m.Mkdir(d); err != nil {
				t.Fatal(err)
			}
		}
		writeFile(t, m, "/d1/f", []byte("x"), true)
		for _, d := range []string{"/", "/d1", "/d2"} {
			if err := m.SyncDir(d); err != nil {
				t.Fatal(err)
			}
		}
		if err := m.Rename("/d1/f", "/d2/g"); err != nil {
			t.Fatal(err)
		}
		if syncDir != "" {
			if err := m.SyncDir(syncDir); err != nil {
				t.Fatal(err)
			}
		}
		seen := map[string]bool{}
		for seed := range uint64(32) {
			c := m.Crash(rand.New(rand.NewPCG(seed, 6)))
			_, f := readOrMissing(t, c, "/d1/f")
			_, g := readOrMissing(t, c, "/d2/g")
			if f == g {
				t.Fatalf("sync %q, seed %d: old name present %v, new name present %v", syncDir, seed, f, g)
			}
			seen[map[bool]string{true: "old", false: "new"}[f]] = true
		}
		if syncDir == "" && len(seen) != 2 || syncDir != "" && (len(seen) != 1 || !seen["new"]) {
			t.Fatalf("sync %q: outcomes %v", syncDir, seen)
		}
	}
}

// TestCrashTornWrites appends records without syncing: a crash image
// holds the synced part, then a prefix of the later appends in order, the
// last possibly cut short or followed by zeros; never anything else.
func TestCrashTornWrites(t *testing.T) {
	m := NewMem()
	f, err := m.OpenFile("/log", os.O_RDWR|os.O_CREATE)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.SyncDir("/"); err != nil {
		t.Fatal(err)
	}
	var all []byte
	for i := 0; i < 10; i++ {
		rec := bytes.Repeat([]byte{'a' + byte(i)}, 10)
		appendTo(t, f, rec)
		all = append(all, rec...)
		if i == 2 {
			if err := f.Sync(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := f.Truncate(95); err != nil { // an unsynced truncation too
		t.Fatal(err)
	}
	final := all[:95]
	var torn, zeros, whole, none bool
	for seed := range uint64(200) {
		got, _ := readOrMissing(t, m.Crash(rand.New(rand.NewPCG(seed, 3))), "/log")
		if len(got) < 30 || got[:30] != string(all[:30]) {
			t.Fatalf("seed %d: synced prefix lost: %q", seed, got)
		}
		trimmed := strings.TrimRight(got, "\x00")
		if !strings.HasPrefix(string(all), trimmed) {
			t.Fatalf("seed %d: %q is not a prefix of what was written", seed, got)
		}
		switch {
		case got == string(final) || got == string(all):
			whole = true
		case len(got) == 30:
			none = true
		case len(trimmed) < len(got):
			zeros = true
		case len(got)%10 != 0:
			torn = true
		}
	}
	if !torn || !zeros || !whole || !none {
		t.Fatalf("outcomes torn %v zeros %v whole %v none %v", torn, zeros, whole, none)
	}
}

func TestCrashIsReproducible(t *testing.T) {
	m := NewMem()
	if err := m.MkdirAll("/a/b"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		writeFile(t, m, filepath.Join("/a/b", string(rune('a'+i))), bytes.Repeat([]byte{byte(i)}, 100+i), i%3 == 0)
	}
	dump := func(c *Mem) string {
		var b strings.Builder
		b.WriteString(c.String())
		ents, _ := c.ReadDir("/a/b")
		for _, e := range ents {
			data, _ := ReadFile(c, filepath.Join("/a/b", e.Name()))
			b.Write(data)
		}
		return b.String()
	}
	for seed := range uint64(8) {
		a := dump(m.Crash(rand.New(rand.NewPCG(seed, 4))))
		b := dump(m.Crash(rand.New(rand.NewPCG(seed, 4))))
		if a != b {
			t.Fatalf("seed %d: two crashes differ:\n%s\n%s", seed, a, b)
		}
	}
}

func TestCrashRemoveAllIsPartial(t *testing.T) {
	m := NewMem()
	if err := m.MkdirAll("/t/0"); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"/", "/t", "/t/0"} {
		if err := m.SyncDir(d); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"/t/0/a", "/t/0/b", "/t/0/c"} {
		writeFile(t, m, name, []byte(name), true)
	}
	if err := m.SyncDir("/t/0"); err != nil {
		t.Fatal(err)
	}
	if err := m.RemoveAll("/t"); err != nil {
		t.Fatal(err)
	}
	counts := map[int]bool{}
	for seed := range uint64(64) {
		c := m.Crash(rand.New(rand.NewPCG(seed, 5)))
		ents, err := c.ReadDir("/t/0")
		if errors.Is(err, fs.ErrNotExist) {
			counts[-1] = true
			continue
		}
		// Removed deepest first, in order: what is left is a suffix.
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		if s := strings.Join(names, ""); !strings.HasSuffix("abc", s) {
			t.Fatalf("seed %d: left %q", seed, s)
		}
		counts[len(names)] = true
	}
	if len(counts) < 4 {
		t.Fatalf("outcomes %v", counts)
	}
}

func TestMemErrors(t *testing.T) {
	m := NewMem()
	writeFile(t, m, "/f", nil, false)
	if _, err := m.OpenFile("/f/x", os.O_RDWR|os.O_CREATE); !errors.Is(err, syscall.ENOTDIR) {
		t.Fatalf("create under a file: %v", err)
	}
	if err := m.MkdirAll("/f/x"); !errors.Is(err, syscall.ENOTDIR) {
		t.Fatalf("MkdirAll through a file: %v", err)
	}
	if err := m.Mkdir("/d"); err != nil {
		t.Fatal(err)
	}
	if err := m.Rename("/d", "/d/e"); err == nil {
		t.Fatal("renaming a directory into itself succeeded")
	}
	if _, err := m.OpenFile("/d", os.O_RDWR); !errors.Is(err, syscall.EISDIR) {
		t.Fatalf("opening a directory: %v", err)
	}
	if _, err := m.Lock("/f"); !errors.Is(err, syscall.ENOTDIR) {
		t.Fatalf("locking a file: %v", err)
	}
}
