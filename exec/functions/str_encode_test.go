package functions

import "testing"

func TestStrEncode(t *testing.T) {
	sss := xtTs(xtStr, xtStr, xtStr)
	enc := func(in, from, to string, want any) xtCase {
		return xtCase{name: from + "->" + to + ":" + in, fn: "ENCODE", types: sss, args: xtA(in, from, to), want: want}
	}
	const rep = "\ufffd"
	xtRun(t, []xtCase{
		// encode.json: hex input
		enc("4578616d706C6521", "hex", "ascii", "Example!"),
		enc("4578616d706C6521", "hex", "utf8", "Example!"),
		enc("4578616d706C6521", "hex", "base64", "RXhhbXBsZSE="),
		enc("ce95cebbcebbceacceb4ceb1", "hex", "ascii", rep+rep+rep+rep+rep+rep+rep+rep+rep+rep+rep+rep),
		enc("ce95cebbcebbceacceb4ceb1", "hex", "utf8", "Ελλάδα"),
		enc("ce95cebbcebbceacceb4ceb1", "hex", "base64", "zpXOu867zqzOtM6x"),
		enc("c39c6265726d656e736368", "hex", "ascii", rep+rep+"bermensch"),
		enc("c39c6265726d656e736368", "hex", "utf8", "Übermensch"),
		enc("c39c6265726d656e736368", "hex", "base64", "w5xiZXJtZW5zY2g="),
		enc("0x4578616d706C6521", "hex", "utf8", "Example!"),
		enc("X'4578616d706C6521'", "hex", "utf8", "Example!"),
		enc("x'4578616d706C6521'", "hex", "base64", "RXhhbXBsZSE="),
		enc("0x", "hex", "ascii", ""),
		enc("X''", "hex", "utf8", ""),
		enc("x''", "hex", "base64", ""),
		enc("0x578616d706C6521", "hex", "ascii", "\x05xample!"),
		enc("0x578616d706C6521", "hex", "base64", "BXhhbXBsZSE="),
		{name: "0x0x", fn: "ENCODE", types: sss, args: xtA("0x0x", "hex", "ascii"), wantErr: "Illegal hexadecimal character"},
		{name: "X'", fn: "ENCODE", types: sss, args: xtA("X'", "hex", "ascii"), wantErr: "Illegal hexadecimal character"},
		{name: "unclosed", fn: "ENCODE", types: sss, args: xtA("x'4578616d706C6521", "hex", "ascii"), wantErr: "Illegal hexadecimal character x"},
		{name: "odd quoted", fn: "ENCODE", types: sss, args: xtA("x'578616d706C6521'", "hex", "utf8"), wantErr: "Odd number"},
		{name: "odd bare", fn: "ENCODE", types: sss, args: xtA("578616d706C6521", "hex", "base64"), wantErr: "Odd number"},
		{name: "null", fn: "ENCODE", types: sss, args: xtA(nil, "hex", "ascii"), want: nil},
		// base64 input
		enc("RXhhbXBsZSE=", "base64", "hex", "4578616d706c6521"),
		enc("RXhhbXBsZSE=", "base64", "utf8", "Example!"),
		enc("RXhhbXBsZSE=", "base64", "ascii", "Example!"),
		enc("zpXOu867zqzOtM6x", "base64", "hex", "ce95cebbcebbceacceb4ceb1"),
		enc("zpXOu867zqzOtM6x", "base64", "utf8", "Ελλάδα"),
		enc("RXhhbXBsZSE", "base64", "utf8", "Example!"),
		// other directions
		enc("Example!", "utf8", "hex", "4578616d706c6521"),
		enc("Ελλάδα", "utf8", "base64", "zpXOu867zqzOtM6x"),
		enc("Übermensch", "ascii", "utf8", "?bermensch"),
		enc("Übermensch", "utf8", "ascii", rep+rep+"bermensch"),
		enc("Example!", "ASCII", "HEX", "4578616d706c6521"),
		{name: "encoding null", fn: "ENCODE", types: sss, args: xtA("RXhhbXBsZSE=", "base64", "null"), wantErr: "Supported input and output encodings are: hex, utf8, ascii and base64"},
		{name: "same encoding", fn: "ENCODE", types: sss, args: xtA("abc", "utf8", "utf8"), wantErr: "Supported input and output encodings"},
		// bytes-and-strings.json
		{fn: "FROM_BYTES", types: xtTs(xtByt, xtStr), args: xtA([]byte{0x21}, "hex"), want: "21"},
		{fn: "FROM_BYTES", types: xtTs(xtByt, xtStr), args: xtA([]byte{0x1a, 0xb2}, "hex"), want: "1AB2"},
		{fn: "FROM_BYTES", types: xtTs(xtByt, xtStr), args: xtA([]byte("!"), "utf8"), want: "!"},
		{fn: "FROM_BYTES", types: xtTs(xtByt, xtStr), args: xtA([]byte("!"), "base64"), want: "IQ=="},
		{fn: "FROM_BYTES", types: xtTs(xtByt, xtStr), args: xtA([]byte{0x41, 0xff}, "ASCII"), want: "A" + rep},
		{name: "unknown", fn: "FROM_BYTES", types: xtTs(xtByt, xtStr), args: xtA([]byte("!"), "latin1"), wantErr: "Unknown encoding type 'latin1'"},
		{fn: "TO_BYTES", types: xtTs(xtStr, xtStr), args: xtA("1aB2", "hex"), want: []byte{0x1a, 0xb2}},
		{fn: "TO_BYTES", types: xtTs(xtStr, xtStr), args: xtA("IQ==", "base64"), want: []byte("!")},
		{fn: "TO_BYTES", types: xtTs(xtStr, xtStr), args: xtA("IQ", "base64"), want: []byte("!")},
		{fn: "TO_BYTES", types: xtTs(xtStr, xtStr), args: xtA("hello", "ascii"), want: []byte("hello")},
		{fn: "TO_BYTES", types: xtTs(xtStr, xtStr), args: xtA("é", "utf8"), want: []byte("é")},
		{fn: "TO_BYTES", types: xtTs(xtStr, xtStr), args: xtA("", "utf8"), want: []byte{}},
		{name: "odd hex", fn: "TO_BYTES", types: xtTs(xtStr, xtStr), args: xtA("123", "hex"), wantErr: "even-length"},
		{name: "bad base64", fn: "TO_BYTES", types: xtTs(xtStr, xtStr), args: xtA("I*Q=", "base64"), wantErr: "base64"},
	})
	xtRunTypes(t, []xtTypeCase{
		{fn: "ENCODE", types: sss, want: xtStr},
		{fn: "FROM_BYTES", types: xtTs(xtByt, xtStr), want: xtStr},
		{fn: "TO_BYTES", types: xtTs(xtStr, xtStr), want: xtByt},
		{fn: "FROM_BYTES", types: xtTs(xtStr, xtStr), wantErr: "does not accept parameters"},
	})
}
