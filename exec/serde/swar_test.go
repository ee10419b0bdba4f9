package serde

import (
	"encoding/binary"
	"math/rand"
	"testing"
)

func specialByte(c byte) bool { return c == '"' || c == '\\' || c < 0x20 || c >= 0x80 }

// specialInString must say yes exactly when some byte needs a closer look:
// every byte value at every position among plain bytes, then random words.
func TestSpecialInString(t *testing.T) {
	for pos := 0; pos < 8; pos++ {
		for c := 0; c < 256; c++ {
			var b [8]byte
			for i := range b {
				b[i] = 'a'
			}
			b[pos] = byte(c)
			if got := specialInString(binary.LittleEndian.Uint64(b[:])); got != specialByte(byte(c)) {
				t.Fatalf("byte 0x%02x at %d: got %v", c, pos, got)
			}
		}
	}
	rng := rand.New(rand.NewSource(1))
	for n := 0; n < 1_000_000; n++ {
		var b [8]byte
		want := false
		for i := range b {
			b[i] = byte(rng.Intn(256))
			if rng.Intn(4) != 0 {
				b[i] = byte(0x20 + rng.Intn(0x60)) // mostly plain ASCII
			}
			want = want || specialByte(b[i])
		}
		if got := specialInString(binary.LittleEndian.Uint64(b[:])); got != want {
			t.Fatalf("%q: got %v, want %v", b[:], got, want)
		}
	}
}
