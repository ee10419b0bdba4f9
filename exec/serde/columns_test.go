package serde

import (
	"errors"
	"reflect"
	"testing"

	"github.com/ksqlgo/ksql/sql/types"
)

// DecodeColumns must accept and refuse exactly what Decode does, with the
// same error, and give the same values for the columns it keeps: a query
// that reads some columns sees the same records as one that reads all.
func TestDecodeColumnsMatchesDecode(t *testing.T) {
	cols := []Column{
		{Name: "A", Type: types.BigintType},
		{Name: "B", Type: types.DoubleType},
		{Name: "C", Type: types.StringType},
		{Name: "D", Type: types.IntegerType},
		{Name: "E", Type: types.DecimalOf(4, 2)},
		{Name: "F", Type: types.StructOf(types.Field{Name: "X", Type: types.BigintType})},
	}
	c, err := New("JSON", cols, Options{})
	if err != nil {
		t.Fatal(err)
	}
	docs := []string{
		`{"A":1,"B":2.5,"C":"x","D":3,"E":1.25,"F":{"X":4}}`,
		`{"A":12345678901234567890,"B":1e400,"C":7,"D":"12","E":"1.5","F":null}`,
		`{"a":-0,"b":"2","c":"é\u00e9\n","d":2147483648,"e":123.456,"f":{"x":"9"}}`,
		`{"A":"12x"}`, `{"B":"nope"}`, `{"C":{"k":[1,2]}}`, `{"D":1.5}`, `{"D":"1.5"}`,
		`{"E":12345}`, `{"F":{"X":"bad"}}`, `{"F":[1]}`, `{"A":1e3}`, `{"A":1.0}`,
		`{"A":-}`, `{"C":"unterminated}`, `{"C":"\x"}`, `{"B":--1}`, `{"A":1,"A":"bad"}`,
		`{"A":01}`, `{"A":true}`, `{"B":false}`, `{"C":null,"A":null}`, `{"Z":[{"deep":1}],"A":2}`,
		`{"A":1`, `[1,2]`, `null`, `"str"`, ``, `{"A":123456789012345678}`, `{"A":1234567890123456789}`,
		`{"B":-0.0,"C":-12.50e1}`, `{"E":"abc"}`, `{"D":-2147483649}`, `{"C":"` + "\xff" + `"}`,
	}
	for _, doc := range docs {
		want := make([]types.Value, len(cols))
		wantErr := c.Decode([]byte(doc), want)
		for mask := 0; mask < 1<<len(cols); mask++ {
			need := make([]bool, len(cols))
			for i := range need {
				need[i] = mask&(1<<i) != 0
			}
			got := make([]types.Value, len(cols))
			var ar types.Arena
			ar.Reset(64)
			gotErr := c.(interface {
				DecodeColumns([]byte, []types.Value, *types.Arena, []bool) error
			}).DecodeColumns([]byte(doc), got, &ar, need)
			if (wantErr == nil) != (gotErr == nil) || (wantErr != nil && wantErr.Error() != gotErr.Error()) {
				t.Fatalf("%s need %v: error %v, Decode gave %v", doc, need, gotErr, wantErr)
			}
			if wantErr != nil {
				if errors.Is(wantErr, ErrNullRecord) != errors.Is(gotErr, ErrNullRecord) {
					t.Fatalf("%s: null record differs", doc)
				}
				continue
			}
			for i := range cols {
				w := want[i]
				if !need[i] {
					w = nil
				}
				if !reflect.DeepEqual(got[i], w) {
					t.Fatalf("%s need %v: column %s = %#v, want %#v", doc, need, cols[i].Name, got[i], w)
				}
			}
		}
	}
}
