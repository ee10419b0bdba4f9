package logfs

import (
	"errors"
	"os"
	"syscall"
	"testing"
)

func TestFaultFail(t *testing.T) {
	m := NewMem()
	ff := NewFaultFS(m)
	f, err := ff.OpenFile("/f", os.O_RDWR|os.O_CREATE)
	if err != nil {
		t.Fatal(err)
	}
	ff.Fail(On(OpWrite, OpCreate), syscall.ENOSPC)
	if _, err := f.WriteAt([]byte("x"), 0); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("WriteAt: %v, want ENOSPC", err)
	}
	if _, err := ff.OpenFile("/g", os.O_RDWR|os.O_CREATE); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("create: %v, want ENOSPC", err)
	}
	if _, err := m.Stat("/g"); err == nil {
		t.Fatal("a failed create created the file")
	}
	if err := f.Sync(); err != nil { // not matched
		t.Fatal(err)
	}
	ff.Fail(func(op Op) bool { return op.Kind == OpSync && op.Path == "/f" }, syscall.EIO)
	if err := f.Sync(); !errors.Is(err, syscall.EIO) {
		t.Fatalf("Sync: %v, want EIO", err)
	}
	ff.Clear()
	if _, err := f.WriteAt([]byte("x"), 0); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if data, _ := ReadFile(m, "/f"); string(data) != "x" {
		t.Fatalf("content %q", data)
	}
}

func TestFaultWritesAfter(t *testing.T) {
	m := NewMem()
	ff := NewFaultFS(m)
	f, err := ff.OpenFile("/f", os.O_RDWR|os.O_CREATE)
	if err != nil {
		t.Fatal(err)
	}
	ff.FailWritesAfter(5, syscall.ENOSPC)
	if n, err := f.WriteAt([]byte("abc"), 0); n != 3 || err != nil {
		t.Fatalf("first write: %d %v", n, err)
	}
	if n, err := f.WriteAt([]byte("defg"), 3); n != 2 || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("crossing write: %d %v, want 2 bytes and ENOSPC", n, err)
	}
	if n, err := f.WriteAt([]byte("h"), 5); n != 0 || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("later write: %d %v", n, err)
	}
	if data, _ := ReadFile(m, "/f"); string(data) != "abcde" {
		t.Fatalf("content %q, want the bytes that fit", data)
	}
	if err := f.Truncate(3); err != nil { // other operations still work
		t.Fatal(err)
	}
	ff.Clear()
	if _, err := f.WriteAt([]byte("xyz"), 3); err != nil {
		t.Fatal(err)
	}
}

func TestFaultHook(t *testing.T) {
	m := NewMem()
	ff := NewFaultFS(m)
	var ops []Op
	ff.SetHook(func(op Op) error {
		ops = append(ops, op)
		if op.Kind == OpRename {
			return syscall.EIO
		}
		return nil
	})
	f, err := ff.OpenFile("/f", os.O_RDWR|os.O_CREATE)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt([]byte("ab"), 7)
	f.Close()
	if err := ff.Rename("/f", "/g"); !errors.Is(err, syscall.EIO) {
		t.Fatalf("Rename: %v", err)
	}
	want := []Op{{Kind: OpCreate, Path: "/f"}, {Kind: OpWrite, Path: "/f", Off: 7, Len: 2}, {Kind: OpClose, Path: "/f"}, {Kind: OpRename, Path: "/f", NewPath: "/g"}}
	if len(ops) != len(want) {
		t.Fatalf("ops %v", ops)
	}
	for i := range want {
		if ops[i] != want[i] {
			t.Fatalf("op %d: %+v, want %+v", i, ops[i], want[i])
		}
	}
	if !OpWrite.Mutates() || OpRead.Mutates() || OpWrite.String() != "write" {
		t.Fatal("OpKind methods")
	}
}
