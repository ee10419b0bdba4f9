package functions

import (
	"fmt"

	"github.com/ksqlgo/ksql/planner"
	"github.com/ksqlgo/ksql/sql/types"
)

// TableFn expands one row's arguments into zero or more values.
type TableFn func(args []types.Value) ([]types.Value, error)

// TableImpl is a resolved table function.
type TableImpl struct {
	Name string
	Eval TableFn
}

// TableDef is a table function (EXPLODE, CUBE_EXPLODE).
type TableDef struct {
	Name        string
	Description string
	Resolve     func(args []planner.ArgInfo) (*TableImpl, *types.Type, []*types.Type, error)
}

// ResolveTable implements planner.FunctionResolver.
func (r *Registry) ResolveTable(name string, args []planner.ArgInfo) (planner.Resolved, error) {
	d, ok := r.tables[name]
	if !ok {
		return planner.Resolved{}, fmt.Errorf("Can't find any functions with the name '%s'", name)
	}
	impl, ret, params, err := d.Resolve(args)
	if err != nil {
		return planner.Resolved{}, err
	}
	return planner.Resolved{Fn: impl, Return: ret, ParamTypes: params}, nil
}
