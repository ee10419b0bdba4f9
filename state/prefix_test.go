package state

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand"
	"sync"
	"testing"
)

// ns returns a prefix-free namespace prefix for name (names have no '/').
func ns(name string) []byte { return []byte(name + "/") }

func TestPrefixedIsolation(t *testing.T) {
	db := openTest(t)
	a, b := Prefixed(db, ns("a")), Prefixed(db, ns("ab"))
	mustCommit(t, a, false, "k", "from-a", "only-a", "1")
	mustCommit(t, b, false, "k", "from-b")

	if v, ok := mustGet(t, a, "k"); !ok || v != "from-a" {
		t.Fatalf("a.Get(k) = %q, %v", v, ok)
	}
	if v, ok := mustGet(t, b, "k"); !ok || v != "from-b" {
		t.Fatalf("b.Get(k) = %q, %v", v, ok)
	}
	if _, ok := mustGet(t, b, "only-a"); ok {
		t.Fatal("b sees a's key")
	}
	if _, ok := mustGet(t, db, "k"); ok {
		t.Fatal("unprefixed key visible in the base store")
	}
	// The base store holds the prefixed keys.
	if v, ok := mustGet(t, db, string(ns("a"))+"k"); !ok || v != "from-a" {
		t.Fatalf("base Get(prefix+k) = %q, %v", v, ok)
	}
	// Iteration strips the prefix and stays in the namespace.
	if got := scan(t, a, nil, nil); !eq(got, []string{"k=from-a", "only-a=1"}) {
		t.Fatalf("scan a = %v", got)
	}
	if got := scan(t, b, nil, nil); !eq(got, []string{"k=from-b"}) {
		t.Fatalf("scan b = %v", got)
	}

	// Deleting the whole namespace leaves the others alone.
	bt := a.NewBatch()
	bt.DeleteRange(nil, nil)
	if err := bt.Commit(false); err != nil {
		t.Fatal(err)
	}
	if got := scan(t, a, nil, nil); len(got) != 0 {
		t.Fatalf("a after DeleteRange(nil, nil) = %v", got)
	}
	if got := scan(t, b, nil, nil); !eq(got, []string{"k=from-b"}) {
		t.Fatalf("b after clearing a = %v", got)
	}

	// Closing a view does not close the base store, only the view.
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.Get([]byte("k")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Get on a closed view = %v", err)
	}
	if _, err := a.NewIter(nil, nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("NewIter on a closed view = %v", err)
	}
	late := a.NewBatch()
	late.Set([]byte("x"), nil)
	if err := late.Commit(false); !errors.Is(err, ErrClosed) {
		t.Fatalf("Commit on a closed view = %v", err)
	}
	if v, ok := mustGet(t, b, "k"); !ok || v != "from-b" {
		t.Fatal("closing a view broke another view")
	}
}

func TestPrefixedClampsIteration(t *testing.T) {
	db := openTest(t)
	// Neighbours on both sides of the namespace "p" in the raw key space.
	mustCommit(t, db, false, "o", "before", "p", "prefix-itself", "pa", "1", "pb", "2", "pc", "3", "q", "after")
	p := Prefixed(db, []byte("p"))
	for _, tc := range []struct {
		lower, upper []byte
		want         []string
	}{
		{nil, nil, []string{"=prefix-itself", "a=1", "b=2", "c=3"}},
		{[]byte("b"), nil, []string{"b=2", "c=3"}},
		{nil, []byte("b"), []string{"=prefix-itself", "a=1"}},
		{[]byte("a"), []byte("c"), []string{"a=1", "b=2"}},
		{[]byte("z"), nil, nil},
		{nil, []byte{}, nil},
	} {
		if got := scan(t, p, tc.lower, tc.upper); !eq(got, tc.want) {
			t.Errorf("[%q, %q): got %v, want %v", tc.lower, tc.upper, got, tc.want)
		}
	}
	it, err := p.NewIter([]byte("a"), []byte("c"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ seek, want string }{
		{"", "a"}, {"a", "a"}, {"ab", "b"}, {"c", ""}, {"zz", ""},
	} {
		ok := it.SeekGE([]byte(tc.seek))
		var got string
		if ok {
			got = string(it.Key())
		}
		if got != tc.want {
			t.Errorf("SeekGE(%q) = %q, want %q", tc.seek, got, tc.want)
		}
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}

	// A namespace whose prefix has no PrefixEnd runs to the end of the key
	// space, and still excludes smaller keys.
	mustCommit(t, db, false, "\xff", "below", "\xff\xffa", "in", "\xff\xff\xff", "in2")
	top := Prefixed(db, []byte("\xff\xff"))
	if got := scan(t, top, nil, nil); !eq(got, []string{"a=in", "\xff=in2"}) {
		t.Fatalf("scan of the top namespace = %q", got)
	}
}

func TestPrefixedNested(t *testing.T) {
	db := openTest(t)
	outer := Prefixed(db, ns("query-1"))
	inner := Prefixed(outer, ns("agg"))
	mustCommit(t, inner, false, "g1", "10")
	mustCommit(t, outer, false, "offset", "7")
	if got := scan(t, outer, ns("agg"), PrefixEnd(ns("agg"))); !eq(got, []string{string(ns("agg")) + "g1=10"}) {
		t.Fatalf("outer view of inner keys = %q", got)
	}
	if got := scan(t, inner, nil, nil); !eq(got, []string{"g1=10"}) {
		t.Fatalf("inner scan = %v", got)
	}
	raw := string(ns("query-1")) + string(ns("agg")) + "g1"
	if v, ok := mustGet(t, db, raw); !ok || v != "10" {
		t.Fatalf("raw key %q = %q, %v", raw, v, ok)
	}
}

func TestPrefixedBatchSpansNamespacesAtomically(t *testing.T) {
	db := openTest(t)
	offsets, aggs := Prefixed(db, ns("offsets")), Prefixed(db, ns("aggs"))

	b := db.NewBatch()
	defer b.Close()
	ob, ab := PrefixedBatch(b, ns("offsets")), PrefixedBatch(b, ns("aggs"))
	ob.Set([]byte("topic-0"), []byte("42"))
	ab.Set([]byte("group-x"), []byte("sum=9"))
	ab.Delete([]byte("group-gone"))
	if b.Len() != 3 || ob.Len() != 3 {
		t.Fatalf("Len = %d / %d, want 3: wrappers share the batch", b.Len(), ob.Len())
	}
	// Neither write is visible before the Commit...
	if _, ok := mustGet(t, offsets, "topic-0"); ok {
		t.Fatal("offset visible before Commit")
	}
	if _, ok := mustGet(t, aggs, "group-x"); ok {
		t.Fatal("aggregate visible before Commit")
	}
	// ... and both are after it, whichever handle commits.
	if err := ob.Commit(true); err != nil {
		t.Fatal(err)
	}
	if v, ok := mustGet(t, offsets, "topic-0"); !ok || v != "42" {
		t.Fatalf("offset after Commit = %q, %v", v, ok)
	}
	if v, ok := mustGet(t, aggs, "group-x"); !ok || v != "sum=9" {
		t.Fatalf("aggregate after Commit = %q, %v", v, ok)
	}
	ab.Close() // no-op: already committed

	// Nested wrappers compose prefixes like nested views.
	b2 := db.NewBatch()
	PrefixedBatch(PrefixedBatch(b2, ns("offsets")), []byte("sub/")).Set([]byte("k"), []byte("v"))
	PrefixedBatch(b2, ns("aggs")).DeleteRange(nil, nil)
	if err := b2.Commit(false); err != nil {
		t.Fatal(err)
	}
	if v, ok := mustGet(t, Prefixed(offsets, []byte("sub/")), "k"); !ok || v != "v" {
		t.Fatalf("nested wrapper write = %q, %v", v, ok)
	}
	if got := scan(t, aggs, nil, nil); len(got) != 0 {
		t.Fatalf("aggs after DeleteRange(nil, nil) through a wrapper = %v", got)
	}
	if got := scan(t, offsets, nil, nil); len(got) != 2 {
		t.Fatalf("offsets touched by clearing aggs: %v", got)
	}
}

// TestPrefixedBatchAtomicUnderConcurrentReads commits batches spanning two
// namespaces while readers take point-in-time snapshots of both: every
// snapshot must contain either both halves of a batch or neither.
func TestPrefixedBatchAtomicUnderConcurrentReads(t *testing.T) {
	db := openTest(t)
	const rounds = 300
	done := make(chan struct{})
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				it, err := db.NewIter(nil, nil)
				if err != nil {
					t.Error(err)
					return
				}
				seen := map[string]int{}
				for ok := it.First(); ok; ok = it.Next() {
					_, rest, ok := bytes.Cut(it.Key(), []byte("/")) // namespace
					if !ok {
						t.Errorf("key %q has no namespace", it.Key())
						break
					}
					seen[string(rest)]++
				}
				if err := it.Close(); err != nil {
					t.Error(err)
					return
				}
				for k, n := range seen {
					if n != 2 {
						t.Errorf("snapshot saw %d of the 2 writes of batch %q", n, k)
						return
					}
				}
			}
		})
	}
	for i := range rounds {
		b := db.NewBatch()
		key := fmt.Appendf(nil, "%05d", i)
		PrefixedBatch(b, ns("left")).Set(key, []byte("l"))
		PrefixedBatch(b, ns("right")).Set(key, []byte("r"))
		if err := b.Commit(false); err != nil {
			t.Fatal(err)
		}
	}
	close(done)
	wg.Wait()
}

func TestPrefixEnd(t *testing.T) {
	for _, tc := range []struct{ in, want []byte }{
		{nil, nil},
		{[]byte{}, nil},
		{[]byte("a"), []byte("b")},
		{[]byte("a\xff"), []byte("b")},
		{[]byte("a\xff\xff"), []byte("b")},
		{[]byte("\xff"), nil},
		{[]byte("\xff\xff"), nil},
		{[]byte("a\x00"), []byte("a\x01")},
		{[]byte("\xfe\xff"), []byte("\xff")},
	} {
		in := bytes.Clone(tc.in)
		got := PrefixEnd(in)
		if !bytes.Equal(got, tc.want) || (got == nil) != (tc.want == nil) {
			t.Errorf("PrefixEnd(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if !bytes.Equal(in, tc.in) {
			t.Errorf("PrefixEnd modified its input")
		}
	}
	// Property: every key with prefix p is < PrefixEnd(p), every other key
	// >= p is >= PrefixEnd(p).
	rng := rand.New(rand.NewSource(1))
	alphabet := []byte{0x00, 0x01, 0x7f, 0xfe, 0xff}
	randKey := func(n int) []byte {
		k := make([]byte, rng.Intn(n+1))
		for i := range k {
			k[i] = alphabet[rng.Intn(len(alphabet))]
		}
		return k
	}
	for range 20000 {
		p, k := randKey(3), randKey(5)
		end := PrefixEnd(p)
		switch {
		case bytes.HasPrefix(k, p):
			if end != nil && bytes.Compare(k, end) >= 0 {
				t.Fatalf("key %x with prefix %x is not below PrefixEnd %x", k, p, end)
			}
		case bytes.Compare(k, p) > 0:
			if end == nil || bytes.Compare(k, end) < 0 {
				t.Fatalf("key %x without prefix %x is below PrefixEnd %x", k, p, end)
			}
		}
	}
}
