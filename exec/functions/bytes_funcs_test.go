package functions

import "testing"

func TestBytesConversions(t *testing.T) {
	b := xtTs(xtByt)
	bs := xtTs(xtByt, xtStr)
	xtRun(t, []xtCase{
		// bytes-and-strings.json: 5QcAAA==, APIFKgEAAAA=, gvXJm/2mgEA= little-endian
		{fn: "INT_FROM_BYTES", types: bs, args: xtA([]byte{0xe5, 0x07, 0, 0}, "LITTLE_ENDIAN"), want: int32(2021)},
		{fn: "BIGINT_FROM_BYTES", types: bs, args: xtA([]byte{0x00, 0xf2, 0x05, 0x2a, 0x01, 0, 0, 0}, "LITTLE_ENDIAN"), want: int64(5000000000)},
		{fn: "DOUBLE_FROM_BYTES", types: bs, args: xtA([]byte{0x82, 0xf5, 0xc9, 0x9b, 0xfd, 0xa6, 0x80, 0x40}, "little_endian"), want: 532.8738323},
		{fn: "INT_FROM_BYTES", types: b, args: xtA([]byte{0, 0, 0x07, 0xe5}), want: int32(2021)},
		{fn: "INT_FROM_BYTES", types: bs, args: xtA([]byte{0xff, 0xff, 0xff, 0xfe}, "BIG_ENDIAN"), want: int32(-2)},
		{fn: "BIGINT_FROM_BYTES", types: b, args: xtA([]byte{0, 0, 0, 0x01, 0x2a, 0x05, 0xf2, 0x00}), want: int64(5000000000)},
		{fn: "DOUBLE_FROM_BYTES", types: b, args: xtA([]byte{0x3f, 0xf0, 0, 0, 0, 0, 0, 0}), want: 1.0},
		{name: "wrong size", fn: "INT_FROM_BYTES", types: b, args: xtA([]byte{1, 2}), wantErr: "Number of bytes must be equal to 4, but found 2"},
		{name: "bad order", fn: "BIGINT_FROM_BYTES", types: bs, args: xtA([]byte{0, 0, 0, 0, 0, 0, 0, 0}, "MIDDLE"), wantErr: "Byte order must be BIG_ENDIAN or LITTLE_ENDIAN"},
		{fn: "INT_FROM_BYTES", types: b, args: xtA(nil), want: nil},
	})
	xtRunTypes(t, []xtTypeCase{
		{fn: "INT_FROM_BYTES", types: b, want: xtInt},
		{fn: "BIGINT_FROM_BYTES", types: bs, want: xtBig},
		{fn: "DOUBLE_FROM_BYTES", types: b, want: xtDbl},
		{fn: "INT_FROM_BYTES", types: xtTs(xtStr), wantErr: "does not accept parameters"},
	})
}
