package functions

import (
	"fmt"

	"github.com/ksqlgo/ksql/planner"
	"github.com/ksqlgo/ksql/sql/types"
)

// Table functions: EXPLODE(array) emits one row per element (none for a
// NULL or empty array; maps are rejected, as in ksqlDB); CUBE_EXPLODE(array)
// emits every combination of the elements with some of them replaced by
// NULL (2^n rows, fewer when elements are already NULL).

func init() { builtins = append(builtins, registerTableFunctions) }

// tblCubeMaxColumns caps CUBE_EXPLODE's input (2^20 output rows).
const tblCubeMaxColumns = 20

func registerTableFunctions(r *Registry) {
	r.AddTable(&TableDef{Name: "EXPLODE",
		Description: "Explodes an array: one row for each element of the array.",
		Resolve: func(args []planner.ArgInfo) (*TableImpl, *types.Type, []*types.Type, error) {
			if len(args) != 1 || args[0].Type == nil || args[0].Type.Kind != types.KindArray || args[0].Type.Elem == nil {
				return nil, nil, nil, fmt.Errorf("Function 'explode' does not accept parameters %s.\nValid alternatives are:\nexplode(ARRAY<DECIMAL> input)\nexplode(ARRAY<T> list)",
					describeArgs(args))
			}
			return &TableImpl{Name: "EXPLODE", Eval: tblExplode}, args[0].Type.Elem, nil, nil
		}})
	r.AddTable(&TableDef{Name: "CUBE_EXPLODE",
		Description: "Takes an array of columns and outputs all their combinations with some of them NULL: 2^n rows for n columns; duplicates due to NULL columns are skipped.",
		Resolve: func(args []planner.ArgInfo) (*TableImpl, *types.Type, []*types.Type, error) {
			if len(args) != 1 || args[0].Type == nil || args[0].Type.Kind != types.KindArray || args[0].Type.Elem == nil {
				return nil, nil, nil, fmt.Errorf("Function 'cube_explode' does not accept parameters %s.\nValid alternatives are:\ncube_explode(ARRAY<T> columns)",
					describeArgs(args))
			}
			return &TableImpl{Name: "CUBE_EXPLODE", Eval: tblCube}, args[0].Type, nil, nil
		}})
}

func tblExplode(args []types.Value) ([]types.Value, error) {
	if len(args) == 0 || args[0] == nil {
		return nil, nil
	}
	return append([]types.Value(nil), args[0].([]types.Value)...), nil
}

func tblCube(args []types.Value) ([]types.Value, error) {
	if len(args) == 0 || args[0] == nil {
		return nil, nil
	}
	cols := args[0].([]types.Value)
	n := len(cols)
	if n > tblCubeMaxColumns {
		return nil, fmt.Errorf("CUBE_EXPLODE input size (%d) exceeds the maximum of %d columns. The output cardinality is 2^N rows and would exhaust server memory.", n, tblCubeMaxColumns)
	}
	// Bit n-1-i of a mask keeps column i; masks selecting a NULL column
	// duplicate the mask without it and are skipped.
	nonNull := 0
	for i, c := range cols {
		if c != nil {
			nonNull |= 1 << (n - 1 - i)
		}
	}
	var out []types.Value
	for mask := 0; mask < 1<<n; mask++ {
		if mask&nonNull != mask {
			continue
		}
		row := make([]types.Value, n)
		for i := range cols {
			if mask&(1<<(n-1-i)) != 0 {
				row[i] = cols[i]
			}
		}
		out = append(out, row)
	}
	return out, nil
}
