package functions

// Map functions: AS_MAP ENTRIES MAP_KEYS MAP_VALUES MAP_UNION.

import (
	"math"
	"sort"
	"unicode/utf16"

	"github.com/ksqlgo/ksql/planner"
	"github.com/ksqlgo/ksql/sql/types"
)

func init() { builtins = append(builtins, registerCollMaps) }

// collMapTypes returns key and value types of a MAP argument: ok is false
// for a non-map; the types are nil when unknown (a NULL argument).
func collMapTypes(t *types.Type) (k, v *types.Type, ok bool) {
	if collIsNull(t) {
		return nil, nil, true
	}
	if t.Kind != types.KindMap {
		return nil, nil, false
	}
	return t.Key, t.Value, true
}

func registerCollMaps(r *Registry) {
	mapPart := func(name string, keys bool) collResolveFn {
		return func(args []planner.ArgInfo) (*ScalarImpl, *types.Type, []*types.Type, error) {
			if len(args) != 1 || collHasLambda(args) {
				return nil, nil, nil, collNoMatch(name, args, name+"(MAP<K, V>)")
			}
			k, v, ok := collMapTypes(args[0].Type)
			if !ok || k == nil {
				return nil, nil, nil, collNoMatch(name, args, name+"(MAP<K, V>)")
			}
			elem := v
			if keys {
				elem = k
			}
			return &ScalarImpl{Name: name, Eval: func(a []types.Value) (types.Value, error) {
				m := a[0].(*types.MapValue)
				src := m.Vals
				if keys {
					src = m.Keys
				}
				order := collJavaOrder(m)
				out := make([]types.Value, len(order))
				for i, j := range order {
					out[i] = src[j]
				}
				return out, nil
			}}, types.ArrayOf(elem), nil, nil
		}
	}
	r.AddScalar(&ScalarDef{Name: "MAP_KEYS", Description: "The keys of a map as an array.", Resolve: mapPart("MAP_KEYS", true)})
	r.AddScalar(&ScalarDef{Name: "MAP_VALUES", Description: "The values of a map as an array.", Resolve: mapPart("MAP_VALUES", false)})

	r.AddScalar(&ScalarDef{Name: "MAP_UNION", Description: "The union of two maps; for keys in both, the second map's value wins. NULL if both are NULL.",
		Resolve: func(args []planner.ArgInfo) (*ScalarImpl, *types.Type, []*types.Type, error) {
			const sig = "MAP_UNION(MAP<K, V>, MAP<K, V>)"
			if len(args) != 2 || collHasLambda(args) {
				return nil, nil, nil, collNoMatch("MAP_UNION", args, sig)
			}
			var t *types.Type
			for _, a := range args {
				if _, _, ok := collMapTypes(a.Type); !ok {
					return nil, nil, nil, collNoMatch("MAP_UNION", args, sig)
				}
				var ok bool
				if t, ok = collUnify(t, a.Type); !ok {
					return nil, nil, nil, collNoMatch("MAP_UNION", args, sig)
				}
			}
			if collIsNull(t) {
				return nil, nil, nil, collNoMatch("MAP_UNION", args, sig)
			}
			return &ScalarImpl{Name: "MAP_UNION", NullSafe: true, Eval: func(a []types.Value) (types.Value, error) {
				if a[0] == nil && a[1] == nil {
					return nil, nil
				}
				out := &types.MapValue{}
				for _, v := range a {
					if m, ok := v.(*types.MapValue); ok {
						for i, k := range m.Keys {
							out.Put(k, m.Vals[i])
						}
					}
				}
				return out, nil
			}}, t, collParams(args, []*types.Type{t, t}), nil
		}})

	r.AddScalar(&ScalarDef{Name: "AS_MAP", Description: "Builds a map from an array of keys and an array of values (missing values are NULL).",
		Resolve: func(args []planner.ArgInfo) (*ScalarImpl, *types.Type, []*types.Type, error) {
			const sig = "AS_MAP(ARRAY<STRING>, ARRAY<T>)"
			if len(args) != 2 || collHasLambda(args) {
				return nil, nil, nil, collNoMatch("AS_MAP", args, sig)
			}
			kt, ok1 := collArrayElem(args[0].Type)
			vt, ok2 := collArrayElem(args[1].Type)
			if !ok1 || !ok2 || vt == nil {
				return nil, nil, nil, collNoMatch("AS_MAP", args, sig)
			}
			if kt == nil {
				kt = types.StringType
			}
			if !kt.IsPrimitive() {
				return nil, nil, nil, collNoMatch("AS_MAP", args, sig)
			}
			return &ScalarImpl{Name: "AS_MAP", Eval: func(a []types.Value) (types.Value, error) {
				keys, vals := a[0].([]types.Value), a[1].([]types.Value)
				out := &types.MapValue{}
				for i, k := range keys {
					var v types.Value
					if i < len(vals) {
						v = vals[i]
					}
					out.Put(k, v)
				}
				return out, nil
			}}, types.MapOf(kt, vt), collParams(args, []*types.Type{types.ArrayOf(kt), types.ArrayOf(vt)}), nil
		}})

	r.AddScalar(&ScalarDef{Name: "ENTRIES", Description: "The entries of a map as an array of STRUCT<K, V>, optionally sorted by key.",
		Resolve: func(args []planner.ArgInfo) (*ScalarImpl, *types.Type, []*types.Type, error) {
			alts := []string{"ENTRIES(MAP<STRING, INTEGER>, BOOLEAN)", "ENTRIES(MAP<STRING, BIGINT>, BOOLEAN)",
				"ENTRIES(MAP<STRING, DOUBLE>, BOOLEAN)", "ENTRIES(MAP<STRING, BOOLEAN>, BOOLEAN)",
				"ENTRIES(MAP<STRING, STRING>, BOOLEAN)", "ENTRIES(MAP<STRING, STRUCT>, BOOLEAN)"}
			if len(args) != 2 || collHasLambda(args) {
				return nil, nil, nil, collNoMatch("ENTRIES", args, alts...)
			}
			k, v, ok := collMapTypes(args[0].Type)
			if !ok || k == nil || k.Kind != types.KindString ||
				!(collIsNull(args[1].Type) || args[1].Type.Kind == types.KindBoolean) {
				return nil, nil, nil, collNoMatch("ENTRIES", args, alts...)
			}
			switch v.Kind {
			case types.KindInteger, types.KindBigint, types.KindDouble, types.KindBoolean, types.KindString, types.KindStruct:
			default:
				return nil, nil, nil, collNoMatch("ENTRIES", args, alts...)
			}
			entry := types.StructOf(types.Field{Name: "K", Type: types.StringType}, types.Field{Name: "V", Type: v})
			return &ScalarImpl{Name: "ENTRIES", Eval: func(a []types.Value) (types.Value, error) {
				m := a[0].(*types.MapValue)
				idx := collJavaOrder(m)
				if a[1].(bool) {
					sort.SliceStable(idx, func(i, j int) bool {
						return types.Compare(m.Keys[idx[i]], m.Keys[idx[j]]) < 0
					})
				}
				out := make([]types.Value, len(idx))
				for i, j := range idx {
					out[i] = &types.StructValue{Type: entry, Vals: []types.Value{m.Keys[j], m.Vals[j]}}
				}
				return out, nil
			}}, types.ArrayOf(entry), collParams(args, []*types.Type{nil, types.BooleanType}), nil
		}})
}

// collJavaOrder returns the indices of m's entries in the iteration order
// of the java.util.HashMap ksqlDB holds a deserialized map in (created
// with the entry count as initial capacity, filled in document order), so
// that order-sensitive results (REDUCE over a map, MAP_KEYS, MAP_VALUES,
// unsorted ENTRIES) match ksqlDB. Keys whose Java hash code is not known
// here keep the map's own order.
func collJavaOrder(m *types.MapValue) []int {
	n := m.Len()
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	if n < 2 {
		return idx
	}
	hashes := make([]uint32, n)
	for i, k := range m.Keys {
		h, ok := collJavaHash(k)
		if !ok {
			return idx
		}
		hashes[i] = h ^ (h >> 16)
	}
	capacity := 1
	for capacity < n {
		capacity <<= 1
	}
	for size := 1; size <= n; size++ {
		if size > capacity*3/4 {
			capacity <<= 1
		}
	}
	mask := uint32(capacity - 1)
	sort.SliceStable(idx, func(a, b int) bool {
		return hashes[idx[a]]&mask < hashes[idx[b]]&mask
	})
	return idx
}

// collJavaHash is Java's hashCode of a map key's boxed value.
func collJavaHash(k types.Value) (uint32, bool) {
	switch x := k.(type) {
	case nil:
		return 0, true
	case string:
		var h uint32
		for _, r := range x {
			if r >= 0x10000 {
				r1, r2 := utf16.EncodeRune(r)
				h = 31*h + uint32(r1)
				h = 31*h + uint32(r2)
				continue
			}
			h = 31*h + uint32(r)
		}
		return h, true
	case int32:
		return uint32(x), true
	case int64:
		return uint32(uint64(x) ^ uint64(x)>>32), true
	case bool:
		if x {
			return 1231, true
		}
		return 1237, true
	case float64:
		bits := math.Float64bits(x)
		if x != x {
			bits = 0x7ff8000000000000
		}
		return uint32(bits ^ bits>>32), true
	}
	return 0, false
}
