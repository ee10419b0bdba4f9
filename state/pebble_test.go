package state

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// scan returns "k=v" for every key in [lower, upper).
func scan(t testing.TB, s Store, lower, upper []byte) []string {
	t.Helper()
	it, err := s.NewIter(lower, upper)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for ok := it.First(); ok; ok = it.Next() {
		out = append(out, string(it.Key())+"="+string(it.Value()))
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
	return out
}

func eq(a, b []string) bool {
	return strings.Join(a, ",") == strings.Join(b, ",")
}

func TestGetSetDelete(t *testing.T) {
	db := openTest(t)
	if v, ok, err := db.Get([]byte("missing")); err != nil || ok || v != nil {
		t.Fatalf("Get(missing) = %q, %v, %v; want nil, false, nil", v, ok, err)
	}
	mustCommit(t, db, false, "a", "1", "b", "2", "empty", "")
	if v, ok := mustGet(t, db, "a"); !ok || v != "1" {
		t.Fatalf("Get(a) = %q, %v", v, ok)
	}
	// An empty value is present, and reported as a non-nil empty slice.
	if v, ok, err := db.Get([]byte("empty")); err != nil || !ok || v == nil || len(v) != 0 {
		t.Fatalf("Get(empty) = %#v, %v, %v", v, ok, err)
	}
	// The empty key is a legal key.
	mustCommit(t, db, false, "", "root")
	if v, ok := mustGet(t, db, ""); !ok || v != "root" {
		t.Fatalf("Get(\"\") = %q, %v", v, ok)
	}

	// Get returns a copy the caller owns.
	v, _, _ := db.Get([]byte("a"))
	v[0] = 'X'
	if v, _ := mustGet(t, db, "a"); v != "1" {
		t.Fatalf("mutating a Get result changed the store: %q", v)
	}

	// Overwrite and delete.
	b := db.NewBatch()
	b.Set([]byte("a"), []byte("11"))
	b.Delete([]byte("b"))
	b.Delete([]byte("never-existed"))
	if b.Len() != 3 {
		t.Fatalf("Len = %d, want 3", b.Len())
	}
	if err := b.Commit(true); err != nil {
		t.Fatal(err)
	}
	b.Close() // no-op after Commit
	if v, ok := mustGet(t, db, "a"); !ok || v != "11" {
		t.Fatalf("Get(a) after overwrite = %q, %v", v, ok)
	}
	if _, ok := mustGet(t, db, "b"); ok {
		t.Fatal("b still present after Delete")
	}
}

func TestBatchCopiesAndOrder(t *testing.T) {
	db := openTest(t)
	b := db.NewBatch()
	key, val := []byte("k"), []byte("v1")
	b.Set(key, val)
	key[0], val[0] = 'X', 'X' // the batch copied them
	// Later operations win over earlier ones on the same key.
	b.Set([]byte("d"), []byte("x"))
	b.Delete([]byte("d"))
	b.Delete([]byte("s"))
	b.Set([]byte("s"), []byte("y"))
	b.Set([]byte("r1"), []byte("gone"))
	b.DeleteRange([]byte("r"), []byte("s"))
	b.Set([]byte("r2"), []byte("kept"))
	if err := b.Commit(false); err != nil {
		t.Fatal(err)
	}
	got := scan(t, db, nil, nil)
	want := []string{"k=v1", "r2=kept", "s=y"}
	if !eq(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestBatchInvisibleUntilCommit(t *testing.T) {
	db := openTest(t)
	b := db.NewBatch()
	b.Set([]byte("a"), []byte("1"))
	if _, ok := mustGet(t, db, "a"); ok {
		t.Fatal("uncommitted write visible to Get")
	}
	if got := scan(t, db, nil, nil); len(got) != 0 {
		t.Fatalf("uncommitted write visible to an iterator: %v", got)
	}
	b.Close() // discard
	if _, ok := mustGet(t, db, "a"); ok {
		t.Fatal("closed batch was applied")
	}
	b.Close() // idempotent

	// Using a finished batch is a programming error.
	for name, f := range map[string]func(){
		"Set":    func() { b.Set([]byte("x"), nil) },
		"Commit": func() { _ = b.Commit(false) },
		"Len":    func() { _ = b.Len() },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s on a closed batch did not panic", name)
				}
			}()
			f()
		}()
	}

	// An empty batch commits fine.
	if err := db.NewBatch().Commit(true); err != nil {
		t.Fatal(err)
	}
}

func TestDeleteRange(t *testing.T) {
	db := openTest(t)
	fill := func() {
		mustCommit(t, db, false, "a", "1", "b", "2", "c", "3", "d", "4", "e", "5")
	}
	del := func(start, end []byte) error {
		b := db.NewBatch()
		defer b.Close()
		b.DeleteRange(start, end)
		return b.Commit(false)
	}
	for _, tc := range []struct {
		start, end []byte
		want       []string
	}{
		{[]byte("b"), []byte("d"), []string{"a=1", "d=4", "e=5"}},               // end exclusive
		{nil, []byte("c"), []string{"c=3", "d=4", "e=5"}},                       // nil start
		{[]byte("c"), []byte("c"), []string{"a=1", "b=2", "c=3", "d=4", "e=5"}}, // empty
		{[]byte("d"), []byte("b"), []string{"a=1", "b=2", "c=3", "d=4", "e=5"}}, // inverted
		{[]byte(""), []byte("z"), nil},
	} {
		fill()
		if err := del(tc.start, tc.end); err != nil {
			t.Fatal(err)
		}
		if got := scan(t, db, nil, nil); !eq(got, tc.want) {
			t.Errorf("DeleteRange(%q, %q): got %v, want %v", tc.start, tc.end, got, tc.want)
		}
	}
	// A nil end cannot be expressed over a whole DB: Commit fails and
	// applies nothing.
	fill()
	b := db.NewBatch()
	b.Set([]byte("f"), []byte("6"))
	b.DeleteRange([]byte("a"), nil)
	if err := b.Commit(false); err == nil || errors.Is(err, ErrStorage) {
		t.Fatalf("DeleteRange with nil end: Commit = %v, want a non-storage error", err)
	}
	if got := scan(t, db, nil, nil); len(got) != 5 {
		t.Fatalf("failed batch was applied: %v", got)
	}
}

func TestIteratorBounds(t *testing.T) {
	db := openTest(t)
	mustCommit(t, db, false, "a", "1", "b", "2", "c", "3", "d", "4", "e", "5")
	for _, tc := range []struct {
		lower, upper []byte
		want         string
	}{
		{nil, nil, "abcde"},
		{[]byte("b"), nil, "bcde"},
		{nil, []byte("c"), "ab"},
		{[]byte("b"), []byte("d"), "bc"},
		{[]byte("bb"), []byte("dd"), "cd"},
		{[]byte("c"), []byte("c"), ""},
		{[]byte("d"), []byte("b"), ""},
		{nil, []byte{}, ""}, // non-nil empty upper bound: empty range
		{[]byte{}, nil, "abcde"},
		{[]byte("f"), nil, ""},
	} {
		var got string
		for _, kv := range scan(t, db, tc.lower, tc.upper) {
			got += kv[:1]
		}
		if got != tc.want {
			t.Errorf("[%q, %q): got %q, want %q", tc.lower, tc.upper, got, tc.want)
		}
		// Last is the largest key in bounds.
		it, err := db.NewIter(tc.lower, tc.upper)
		if err != nil {
			t.Fatal(err)
		}
		ok := it.Last()
		switch {
		case tc.want == "" && ok:
			t.Errorf("[%q, %q): Last found %q in an empty range", tc.lower, tc.upper, it.Key())
		case tc.want != "" && (!ok || string(it.Key()) != tc.want[len(tc.want)-1:]):
			t.Errorf("[%q, %q): Last = %v %q, want %q", tc.lower, tc.upper, ok, it.Key(), tc.want[len(tc.want)-1:])
		}
		it.Close()
	}

	it, err := db.NewIter([]byte("b"), []byte("e"))
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	if it.Valid() || it.Next() {
		t.Fatal("a new iterator must be unpositioned, and Next on it false")
	}
	for _, tc := range []struct {
		seek string
		want string // "" = invalid
	}{
		{"a", "b"}, // below the lower bound: clamped
		{"b", "b"},
		{"bz", "c"},
		{"d", "d"},
		{"da", ""}, // past the last key in bounds
		{"e", ""},  // at the upper bound
		{"z", ""},
	} {
		ok := it.SeekGE([]byte(tc.seek))
		var got string
		if ok {
			got = string(it.Key())
		}
		if ok != it.Valid() || got != tc.want {
			t.Errorf("SeekGE(%q) = %v %q, want %q", tc.seek, ok, got, tc.want)
		}
	}
	if !it.SeekGE([]byte("d")) || it.Next() || it.Next() || it.Valid() || it.Key() != nil {
		t.Fatal("Next past the end must stay invalid")
	}
	if !it.First() || string(it.Key()) != "b" || string(it.Value()) != "2" {
		t.Fatal("First after exhaustion must reposition")
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
	if err := it.Close(); err != nil {
		t.Fatalf("second Close = %v, want nil", err)
	}
	// Seeking to the empty (smallest) key is the same as First.
	all, err := db.NewIter([]byte{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !all.SeekGE(nil) || string(all.Key()) != "a" || !all.SeekGE([]byte{}) || string(all.Key()) != "a" {
		t.Fatal("SeekGE of the empty key must land on the first key")
	}
	if err := all.Close(); err != nil {
		t.Fatal(err)
	}
	// The bounds passed to NewIter are copied.
	lo, hi := []byte("b"), []byte("d")
	it2, err := db.NewIter(lo, hi)
	if err != nil {
		t.Fatal(err)
	}
	lo[0], hi[0] = 'a', 'z'
	n := 0
	for ok := it2.First(); ok; ok = it2.Next() {
		n++
	}
	if err := it2.Close(); err != nil || n != 2 {
		t.Fatalf("mutating bounds after NewIter changed the iteration: %d keys, %v", n, err)
	}
}

func TestIteratorIsPointInTime(t *testing.T) {
	db := openTest(t)
	mustCommit(t, db, false, "a", "1", "c", "3")
	it, err := db.NewIter(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	mustCommit(t, db, false, "b", "2", "a", "changed")
	var got []string
	for ok := it.First(); ok; ok = it.Next() {
		got = append(got, string(it.Key())+"="+string(it.Value()))
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
	if !eq(got, []string{"a=1", "c=3"}) {
		t.Fatalf("iterator saw a later commit: %v", got)
	}
}

func TestReopenKeepsCommittedData(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(dir, Options{Logger: testLogger{t}})
	if err != nil {
		t.Fatal(err)
	}
	mustCommit(t, db, true, "synced", "1")
	mustCommit(t, db, false, "unsynced", "2") // survives a clean Close
	if err := db.Flush(); err != nil {
		t.Fatal(err)
	}
	mustCommit(t, db, false, "after-flush", "3")
	b := db.NewBatch()
	b.Set([]byte("discarded"), []byte("x"))
	b.Close()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db, err = Open(dir, Options{Logger: testLogger{t}, CacheSize: 1 << 20, MemTableSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got := scan(t, db, nil, nil)
	want := []string{"after-flush=3", "synced=1", "unsynced=2"}
	if !eq(got, want) {
		t.Fatalf("after reopen: %v, want %v", got, want)
	}
}

func TestClose(t *testing.T) {
	db, err := Open(t.TempDir(), Options{Logger: testLogger{t}})
	if err != nil {
		t.Fatal(err)
	}
	mustCommit(t, db, false, "a", "1")
	leaked, err := db.NewIter(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !leaked.First() {
		t.Fatal("First")
	}
	pending := db.NewBatch()
	pending.Set([]byte("b"), []byte("2"))

	if err := db.Close(); err == nil || !strings.Contains(err.Error(), "iterator") {
		t.Fatalf("Close with an open iterator = %v, want a leak error", err)
	}
	if err := db.Close(); !errors.Is(err, ErrClosed) {
		t.Fatalf("second Close = %v, want ErrClosed", err)
	}
	if _, _, err := db.Get([]byte("a")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Get after Close = %v", err)
	}
	if _, err := db.NewIter(nil, nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("NewIter after Close = %v", err)
	}
	if err := pending.Commit(true); !errors.Is(err, ErrClosed) {
		t.Fatalf("Commit after Close = %v", err)
	}
	if err := db.Flush(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Flush after Close = %v", err)
	}
	if db.Metrics() != "" {
		t.Fatal("Metrics after Close should be empty")
	}
	// The leaked iterator is dead but safe to use.
	if leaked.Next() || leaked.First() || leaked.Valid() {
		t.Fatal("iterator of a closed store is still valid")
	}
	if err := leaked.Close(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Close of the leaked iterator = %v, want ErrClosed", err)
	}
	b := db.NewBatch() // legal, but cannot commit
	b.Set([]byte("c"), nil)
	if err := b.Commit(false); !errors.Is(err, ErrClosed) {
		t.Fatalf("Commit of a batch created after Close = %v", err)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(dir, Options{Logger: testLogger{t}})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// The directory is locked by the open store.
	if db2, err := Open(dir, Options{Logger: testLogger{t}}); !errors.Is(err, ErrStorage) {
		if db2 != nil {
			db2.Close()
		}
		t.Fatalf("second Open of a locked dir = %v, want ErrStorage", err)
	}
	// A regular file is not a store directory.
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(file, Options{Logger: testLogger{t}}); !errors.Is(err, ErrStorage) || !strings.Contains(err.Error(), file) {
		t.Fatalf("Open(file) = %v, want ErrStorage naming the path", err)
	}
	if _, err := Open(t.TempDir(), Options{CacheSize: -1}); err == nil {
		t.Fatal("negative CacheSize accepted")
	}
}

func TestMetricsAndFlush(t *testing.T) {
	db := openTest(t)
	mustCommit(t, db, false, "a", "1")
	if err := db.Flush(); err != nil {
		t.Fatal(err)
	}
	m := db.Metrics()
	if !strings.Contains(m, "L0") && !strings.Contains(m, "level") {
		t.Fatalf("unexpected metrics:\n%s", m)
	}
	if v, ok := mustGet(t, db, "a"); !ok || v != "1" {
		t.Fatalf("Get after Flush = %q, %v", v, ok)
	}
	if db.Err() != nil {
		t.Fatal(db.Err())
	}
}

// TestConcurrentUse exercises the concurrency contract (run with -race):
// writers commit disjoint keys while readers Get and scan.
func TestConcurrentUse(t *testing.T) {
	db := openTest(t)
	const writers, readers, rounds = 4, 4, 200
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range rounds {
				b := db.NewBatch()
				// Each batch writes two keys that must appear together.
				b.Set(fmt.Appendf(nil, "x/%d/%04d", w, i), []byte("v"))
				b.Set(fmt.Appendf(nil, "y/%d/%04d", w, i), []byte("v"))
				if err := b.Commit(i%50 == 0); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	for range readers {
		wg.Go(func() {
			for range rounds / 4 {
				if _, _, err := db.Get([]byte("x/0/0001")); err != nil {
					t.Error(err)
					return
				}
				it, err := db.NewIter(nil, nil)
				if err != nil {
					t.Error(err)
					return
				}
				var xs, ys int
				for ok := it.First(); ok; ok = it.Next() {
					if bytes.HasPrefix(it.Key(), []byte("x/")) {
						xs++
					} else {
						ys++
					}
				}
				if err := it.Close(); err != nil {
					t.Error(err)
					return
				}
				if xs != ys {
					t.Errorf("snapshot saw %d x keys and %d y keys: a batch was split", xs, ys)
					return
				}
			}
		})
	}
	wg.Wait()
	if n := len(scan(t, db, nil, nil)); n != 2*writers*rounds {
		t.Fatalf("%d keys, want %d", n, 2*writers*rounds)
	}
}
