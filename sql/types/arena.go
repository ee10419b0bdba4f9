package types

import (
	"strings"
	"unsafe"
)

// Arena allocates the values of one record together: a decoder that boxes
// a BIGINT, a DOUBLE or a STRING into a Value would otherwise make one
// heap allocation per value (Go boxes an int64 outside 0..255 into 8 fresh
// bytes, a string into a fresh 16-byte header). An Arena carves them from
// one chunk instead, so decoding a record costs one allocation for all of
// its values.
//
// A Value from an Arena is an ordinary Value: immutable, comparable,
// usable in type switches, safe to keep forever. Keeping one keeps its
// whole chunk alive, which is why a decoder starts a new chunk for every
// record (Reset): a value kept by an aggregation pins one record's worth
// of bytes, as a string carved from the record's bytes would.
//
// How: a Go interface is a (type, data) pair of words, and for non-pointer
// types the data word points to the value. The chunk holds no pointers the
// collector must follow (it is allocated as []uint64), so every value
// written into it is either pointer-free (numbers, a small DECIMAL) or a
// string header whose bytes live in the same chunk, right after it: the
// header's pointer can only lead back into its own chunk, which the
// interface's data pointer already keeps alive. The layout of an
// interface value is fixed by the Go runtime (runtime.eface); the tests
// check it on every build (TestArenaValuesAreOrdinaryValues).
//
// The zero Arena is ready to use. An Arena is not safe for concurrent use.
type Arena struct {
	chunk []uint64
	off   int // next free word in chunk
	hint  int // words the next chunk should have at least
}

// eface is the runtime's layout of an interface with no methods.
type eface struct {
	typ  unsafe.Pointer
	data unsafe.Pointer
}

func typeWord(v any) unsafe.Pointer { return (*eface)(unsafe.Pointer(&v)).typ }

var (
	int64Type     = typeWord(int64(0))
	int32Type     = typeWord(int32(0))
	float64Type   = typeWord(float64(0))
	stringType    = typeWord("")
	timestampType = typeWord(Timestamp(0))
	decType       = typeWord(Dec{})
)

func box(typ, data unsafe.Pointer) (v Value) {
	e := (*eface)(unsafe.Pointer(&v))
	e.typ, e.data = typ, data
	return v
}

// Reset makes the next value start a new chunk of at least size bytes
// (allocated when first needed), leaving earlier values where they are.
func (a *Arena) Reset(size int) {
	a.chunk, a.off = nil, 0
	a.hint = (size + 7) / 8
}

// words returns n 8-byte words of the current chunk, starting a new chunk
// when it has too few.
func (a *Arena) words(n int) unsafe.Pointer {
	if a.off+n > len(a.chunk) {
		size := max(a.hint, n, 8)
		a.chunk, a.off, a.hint = make([]uint64, size), 0, 32
	}
	p := unsafe.Pointer(&a.chunk[a.off])
	a.off += n
	return p
}

// Int64 boxes v.
func (a *Arena) Int64(v int64) Value {
	if a == nil || uint64(v) < 256 {
		return v // the runtime boxes small values without allocating
	}
	p := a.words(1)
	*(*int64)(p) = v
	return box(int64Type, p)
}

// Int32 boxes v.
func (a *Arena) Int32(v int32) Value {
	if a == nil || uint32(v) < 256 {
		return v
	}
	p := a.words(1)
	*(*int32)(p) = v
	return box(int32Type, p)
}

// Float64 boxes v.
func (a *Arena) Float64(v float64) Value {
	if a == nil {
		return v
	}
	p := a.words(1)
	*(*float64)(p) = v
	return box(float64Type, p)
}

// Timestamp boxes v.
func (a *Arena) Timestamp(v Timestamp) Value {
	if a == nil {
		return v
	}
	p := a.words(1)
	*(*Timestamp)(p) = v
	return box(timestampType, p)
}

// Dec boxes v; only a DECIMAL held in 64 bits goes into the arena (a
// large one points to a big.Int, which the chunk must not hold).
func (a *Arena) Dec(v Dec) Value {
	if a == nil || v.unscaled != nil {
		return v
	}
	p := a.words(int(unsafe.Sizeof(Dec{})+7) / 8)
	*(*Dec)(p) = v
	return box(decType, p)
}

// String returns a string holding a copy of b, its bytes in the arena.
func (a *Arena) String(b []byte) string {
	if a == nil {
		return string(b)
	}
	if len(b) == 0 {
		return ""
	}
	p := a.words((len(b) + 7) / 8)
	buf := unsafe.Slice((*byte)(p), len(b))
	copy(buf, b)
	return unsafe.String(&buf[0], len(b))
}

// StringValue boxes a string holding a copy of b.
func (a *Arena) StringValue(b []byte) Value {
	return a.AppendStringValue(len(b), b, appendBytes)
}

func appendBytes(dst, src []byte) []byte { return append(dst, src...) }

// AppendStringValue boxes the string that fill appends to an empty slice
// given src; fill must append at most max bytes (it writes into the
// arena, so appending more is a bug that panics rather than reallocate).
func (a *Arena) AppendStringValue(max int, src []byte, fill func(dst, src []byte) []byte) Value {
	if a == nil {
		return string(fill(make([]byte, 0, max), src))
	}
	if max == 0 {
		return ""
	}
	// The header first, then the bytes: both in one chunk.
	hdr := a.words(2 + (max+7)/8)
	buf := unsafe.Slice((*byte)(unsafe.Add(hdr, 16)), max)
	out := fill(buf[:0], src)
	if len(out) > max || (len(out) > 0 && &out[0] != &buf[0]) {
		panic("types: Arena.AppendStringValue: fill wrote past its bound")
	}
	if len(out) == 0 {
		return ""
	}
	*(*string)(hdr) = unsafe.String(&buf[0], len(out))
	return box(stringType, hdr)
}

// Detach returns v in memory of its own. A value from an Arena keeps its
// whole chunk (one record's values) alive; state kept long after its
// record, such as a group's key in an aggregation's cache, detaches its
// values so that it holds only what it needs. Other values are returned
// as they are (they may still share memory with the record they came
// from, as any Go value may).
func Detach(v Value) Value {
	switch x := v.(type) {
	case int64:
		return detached(x)
	case int32:
		return detached(x)
	case float64:
		return detached(x)
	case Timestamp:
		return detached(x)
	case Dec:
		return detached(x)
	case string:
		return strings.Clone(x)
	}
	return v
}

// detached boxes x afresh (the compiler would otherwise be free to hand
// back the box it was read from).
//
//go:noinline
func detached[T any](x T) Value { return x }

// DetachRow returns a copy of row with every value detached.
func DetachRow(row Row) Row {
	if row == nil {
		return nil
	}
	out := make(Row, len(row))
	for i, v := range row {
		out[i] = Detach(v)
	}
	return out
}
