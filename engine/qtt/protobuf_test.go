package qtt

import (
	"strings"
	"testing"

	"github.com/ksqlgo/ksql/catalog"
	"github.com/ksqlgo/ksql/sql/types"
)

func TestBigDecimalString(t *testing.T) {
	for in, want := range map[string]string{
		"10.0": "10.0", "1.0000": "1.0000", "-0.5": "-0.5", "0.000001": "0.000001", "0.0000001": "1E-7",
		"1e2": "1E+2", "12e-10": "1.2E-9", "123": "123", "-1.5E3": "-1.5E+3",
	} {
		d, err := parseDecimal(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := bigDecimalString(d); got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
}

// The PROTOBUF_NOSR test serde: an object of the columns in, a map of the
// columns out, with ksqlDB's coercions.
func TestProtobufTestSerde(t *testing.T) {
	st := types.StructOf(types.Field{Name: "X", Type: types.IntegerType})
	cols := []catalog.Column{
		{Name: "I", Type: types.IntegerType}, {Name: "S", Type: types.StringType},
		{Name: "DEC", Type: types.DecimalOf(6, 4)}, {Name: "B", Type: types.BytesType},
		{Name: "E", Type: types.BytesType}, {Name: "ST", Type: st}, {Name: "BO", Type: types.BooleanType},
	}
	f := catalog.Format{Name: "PROTOBUF_NOSR"}
	b, err := encodeProtobufSpec(f, cols, []byte(`{"i": "12", "s": 1.50, "DEC": 10.0, "b": "aGk=", "st": {"x": 3, "y": 4}, "bo": "TRUE"}`))
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeProtobufActual(f, cols, b)
	if err != nil {
		t.Fatal(err)
	}
	if d := describe(got); d != `{I=12, S="1.50", DEC=100000E-4, B="aGk=", E=null, ST={X=3}, BO=true}` {
		t.Errorf("got %s", d)
	}
	for _, bad := range []string{`"bare"`, `{"I": 1.5}`, `{"DEC": 10}`, `{"DEC": 1.00001}`, `{"DEC": 100.0}`} {
		if _, err := encodeProtobufSpec(f, cols, []byte(bad)); err == nil {
			t.Errorf("%s: want an error", bad)
		}
	}
	if _, err := encodeProtobufSpec(f, cols, []byte(`{"DEC": "1.00005"}`)); err != nil {
		t.Errorf("a DECIMAL string is rounded: %v", err)
	}
	if err := func() error { _, err := encodeProtobufSpec(f, cols, []byte(`"x"`)); return err }(); err == nil || !strings.Contains(err.Error(), "ClassCastException") {
		t.Errorf("%v", err)
	}
}
