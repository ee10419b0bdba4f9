package serde

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strings"
	"testing"

	"github.com/ksqlgo/ksql/sql/types"
)

func col(name string, t *types.Type) Column { return Column{Name: name, Type: t} }

func cols(cs ...Column) []Column { return cs }

func boolp(b bool) *bool { return &b }

func dec(s string) types.Dec {
	d, err := types.ParseDec(s)
	if err != nil {
		panic(err)
	}
	return d
}

func mustNew(t testing.TB, format string, cs []Column, opts Options) Codec {
	t.Helper()
	c, err := New(format, cs, opts)
	if err != nil {
		t.Fatalf("New(%s, %v): %v", format, cs, err)
	}
	return c
}

// sameValue compares runtime values exactly: same Go types, same decimal
// scale, NaN equal to NaN, maps in order.
func sameValue(a, b types.Value) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case float64:
		y, ok := b.(float64)
		if !ok {
			return false
		}
		if math.IsNaN(x) {
			return math.IsNaN(y)
		}
		return x == y && math.Signbit(x) == math.Signbit(y)
	case types.Dec:
		y, ok := b.(types.Dec)
		return ok && x.Scale() == y.Scale() && x.Unscaled().Cmp(y.Unscaled()) == 0
	case []byte:
		y, ok := b.([]byte)
		return ok && bytes.Equal(x, y) && (x == nil) == (y == nil)
	case []types.Value:
		y, ok := b.([]types.Value)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameValue(x[i], y[i]) {
				return false
			}
		}
		return true
	case *types.MapValue:
		y, ok := b.(*types.MapValue)
		if !ok || len(x.Keys) != len(y.Keys) || len(x.Vals) != len(y.Vals) {
			return false
		}
		for i := range x.Keys {
			if !sameValue(x.Keys[i], y.Keys[i]) || !sameValue(x.Vals[i], y.Vals[i]) {
				return false
			}
		}
		return true
	case *types.StructValue:
		y, ok := b.(*types.StructValue)
		if !ok || !x.Type.Equal(y.Type) || len(x.Vals) != len(y.Vals) {
			return false
		}
		for i := range x.Vals {
			if !sameValue(x.Vals[i], y.Vals[i]) {
				return false
			}
		}
		return true
	}
	return a == b
}

// sameRow compares rows with sameValue.
func sameRow(a, b []types.Value) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !sameValue(a[i], b[i]) {
			return false
		}
	}
	return true
}

func show(v types.Value) string {
	switch x := v.(type) {
	case nil:
		return "<nil>"
	case types.Dec:
		return fmt.Sprintf("Dec(%s)", x.String())
	case []byte:
		return fmt.Sprintf("[]byte(%q)", x)
	case []types.Value:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = show(e)
		}
		return "[" + strings.Join(parts, " ") + "]"
	case *types.MapValue:
		parts := make([]string, len(x.Keys))
		for i := range x.Keys {
			parts[i] = show(x.Keys[i]) + ":" + show(x.Vals[i])
		}
		return "map{" + strings.Join(parts, " ") + "}"
	case *types.StructValue:
		parts := make([]string, len(x.Vals))
		for i, e := range x.Vals {
			name := "?"
			if x.Type != nil && i < len(x.Type.Fields) {
				name = x.Type.Fields[i].Name
			}
			parts[i] = name + "=" + show(e)
		}
		return "struct{" + strings.Join(parts, " ") + "}"
	}
	return fmt.Sprintf("%T(%v)", v, v)
}

func showRow(r []types.Value) string {
	parts := make([]string, len(r))
	for i, v := range r {
		parts[i] = show(v)
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// decodeCase runs one decode expectation: either want values or an error
// containing wantErr.
type decodeCase struct {
	name    string
	cols    []Column
	opts    Options
	in      string
	want    []types.Value
	wantErr string // substring of the error message
}

func runDecodeCases(t *testing.T, format string, cases []decodeCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := mustNew(t, format, tc.cols, tc.opts)
			dst := make([]types.Value, len(tc.cols))
			err := c.Decode([]byte(tc.in), dst)
			if tc.wantErr != "" {
				if err == nil {
					t.Fatalf("Decode(%q) = %s, want error containing %q", tc.in, showRow(dst), tc.wantErr)
				}
				if !errors.Is(err, ErrDecode) {
					t.Errorf("error %v does not wrap ErrDecode", err)
				}
				if !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("Decode(%q) error:\n got  %q\n want substring %q", tc.in, err.Error(), tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Decode(%q): %v", tc.in, err)
			}
			if !sameRow(dst, tc.want) {
				t.Errorf("Decode(%q):\n got  %s\n want %s", tc.in, showRow(dst), showRow(tc.want))
			}
		})
	}
}

type encodeCase struct {
	name    string
	cols    []Column
	opts    Options
	vals    []types.Value
	want    string
	wantErr string
	back    []types.Value // what decoding the output gives, when not vals
}

func runEncodeCases(t *testing.T, format string, cases []encodeCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := mustNew(t, format, tc.cols, tc.opts)
			prefix := []byte("prefix:")
			out, err := c.Encode(append([]byte(nil), prefix...), tc.vals)
			if tc.wantErr != "" {
				if err == nil {
					t.Fatalf("Encode(%s) = %q, want error containing %q", showRow(tc.vals), out, tc.wantErr)
				}
				if !errors.Is(err, ErrEncode) {
					t.Errorf("error %v does not wrap ErrEncode", err)
				}
				if !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("Encode error:\n got  %q\n want substring %q", err.Error(), tc.wantErr)
				}
				if string(out) != string(prefix) {
					t.Errorf("Encode error left buf %q, want it unchanged", out)
				}
				return
			}
			if err != nil {
				t.Fatalf("Encode(%s): %v", showRow(tc.vals), err)
			}
			if !bytes.HasPrefix(out, prefix) {
				t.Fatalf("Encode clobbered the buffer prefix: %q", out)
			}
			if got := string(out[len(prefix):]); got != tc.want {
				t.Errorf("Encode(%s):\n got  %s\n want %s", showRow(tc.vals), got, tc.want)
			}
			// What we write, we read back.
			dst := make([]types.Value, len(tc.cols))
			if err := c.Decode(out[len(prefix):], dst); err != nil {
				t.Fatalf("Decode(Encode(...)) = %v", err)
			}
			want := normalizeForType(tc.vals, tc.cols)
			if tc.back != nil {
				want = tc.back
			}
			if !sameRow(dst, want) {
				t.Errorf("round trip:\n got  %s\n want %s", showRow(dst), showRow(want))
			}
		})
	}
}

// normalizeForType rescales decimals to their column scale (what a decoder
// returns).
func normalizeForType(vals []types.Value, cs []Column) []types.Value {
	out := make([]types.Value, len(vals))
	for i, v := range vals {
		out[i] = normalizeValue(v, cs[i].Type)
	}
	return out
}

func normalizeValue(v types.Value, t *types.Type) types.Value {
	switch x := v.(type) {
	case types.Dec:
		return x.Rescale(t.Scale)
	case []types.Value:
		out := make([]types.Value, len(x))
		for i, e := range x {
			out[i] = normalizeValue(e, t.Elem)
		}
		return out
	case *types.MapValue:
		if x == nil {
			return nil
		}
		m := &types.MapValue{}
		for i := range x.Keys {
			m.Keys = append(m.Keys, x.Keys[i])
			m.Vals = append(m.Vals, normalizeValue(x.Vals[i], t.Value))
		}
		return m
	case *types.StructValue:
		if x == nil {
			return nil
		}
		s := &types.StructValue{Type: t, Vals: make([]types.Value, len(x.Vals))}
		for i, e := range x.Vals {
			s.Vals[i] = normalizeValue(e, t.Fields[i].Type)
		}
		return s
	}
	return v
}

func structOf(t *types.Type, vals ...types.Value) *types.StructValue {
	return &types.StructValue{Type: t, Vals: vals}
}

func mapOf(kv ...types.Value) *types.MapValue {
	m := &types.MapValue{}
	for i := 0; i < len(kv); i += 2 {
		m.Keys = append(m.Keys, kv[i])
		m.Vals = append(m.Vals, kv[i+1])
	}
	return m
}

func row(vs ...types.Value) []types.Value { return vs }

func bigDec(unscaled string, scale int) types.Dec {
	u, ok := new(big.Int).SetString(unscaled, 10)
	if !ok {
		panic(unscaled)
	}
	return types.NewDec(u, scale)
}
