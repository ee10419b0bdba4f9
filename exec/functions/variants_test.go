package functions

import (
	"strings"
	"testing"

	"github.com/ksqlgo/ksql/planner"
	"github.com/ksqlgo/ksql/sql/types"
)

// variantType parses a variant's type with the generic T as INTEGER.
func variantType(t *testing.T, s string) *types.Type {
	t.Helper()
	switch s {
	case "T", "INT":
		return types.IntegerType
	case "BIGINT":
		return types.BigintType
	case "DOUBLE":
		return types.DoubleType
	case "VARCHAR":
		return types.StringType
	case "BOOLEAN":
		return types.BooleanType
	case "DATE":
		return types.DateType
	case "TIME":
		return types.TimeType
	case "TIMESTAMP":
		return types.TimestampType
	case "BYTES":
		return types.BytesType
	case "DECIMAL":
		return types.DecimalOf(10, 2)
	case "ANY":
		return types.StringType
	}
	if e, ok := strings.CutPrefix(s, "ARRAY<"); ok {
		return types.ArrayOf(variantType(t, strings.TrimSuffix(e, ">")))
	}
	if kv, ok := strings.CutPrefix(s, "MAP<"); ok {
		k, v, _ := strings.Cut(strings.TrimSuffix(kv, ">"), ", ")
		return types.MapOf(variantType(t, k), variantType(t, v))
	}
	t.Fatalf("unknown variant type %q", s)
	return nil
}

// Every aggregate and table function declares its variants, and each
// variant resolves with the types it declares and returns the type it
// declares (T as INTEGER; constant arguments as literals).
func TestVariantsResolve(t *testing.T) {
	r := New()
	for _, n := range r.Names() {
		k := r.Kind(n)
		if k != planner.AggregateFunc && k != planner.TableFunc {
			continue
		}
		if vs, ok := r.Variants(n); !ok || len(vs) == 0 {
			t.Errorf("%s declares no variants", n)
		}
	}
	for _, n := range variantNames() {
		vs, ok := r.Variants(n)
		if !ok {
			t.Errorf("variants of %s, which the registry does not have", n)
			continue
		}
		for _, v := range vs {
			var args []planner.ArgInfo
			for _, va := range v.Args {
				ai := planner.ArgInfo{Type: variantType(t, va.Type)}
				switch va.Name {
				case "k", "earliestN", "latestN":
					ai.IsConst, ai.Const = true, int32(2)
				case "ignoreNulls":
					ai.IsConst, ai.Const = true, false
				}
				args = append(args, ai)
			}
			var res planner.Resolved
			var err error
			if r.Kind(n) == planner.AggregateFunc {
				res, err = r.ResolveAggregate(n, args)
			} else {
				res, err = r.ResolveTable(n, args)
			}
			if err != nil {
				t.Errorf("%s%v: %v", n, v.Args, err)
				continue
			}
			if strings.Contains(v.Return, "S") && n == "TOPK" {
				continue // the row type depends on the extra columns
			}
			if want := variantType(t, v.Return); !res.Return.Equal(want) {
				t.Errorf("%s%v returns %s, declared %s", n, v.Args, res.Return, v.Return)
			}
		}
	}
}
