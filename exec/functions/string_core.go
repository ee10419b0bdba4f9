package functions

import (
	"strings"
	"unicode/utf8"

	"github.com/ksqlgo/ksql/sql/types"
)

func init() { builtins = append(builtins, registerCoreStrings) }

func registerCoreStrings(r *Registry) {
	str := types.StringType
	r.AddScalar(&ScalarDef{Name: "LEN", Description: "The length of a string in characters, or of bytes in bytes.", Sigs: []Sig{
		{Params: []Param{P(str)}, Ret: types.IntegerType, Eval: func(a []types.Value) (types.Value, error) {
			return int32(utf8.RuneCountInString(a[0].(string))), nil
		}},
		{Params: []Param{P(types.BytesType)}, Ret: types.IntegerType, Eval: func(a []types.Value) (types.Value, error) {
			return int32(len(a[0].([]byte))), nil
		}},
	}})
	r.AddScalar(&ScalarDef{Name: "UCASE", Description: "Upper-cases a string.", Sigs: []Sig{
		{Params: []Param{P(str)}, Ret: str, Eval: func(a []types.Value) (types.Value, error) {
			return strings.ToUpper(a[0].(string)), nil
		}},
	}})
	r.AddScalar(&ScalarDef{Name: "LCASE", Description: "Lower-cases a string.", Sigs: []Sig{
		{Params: []Param{P(str)}, Ret: str, Eval: func(a []types.Value) (types.Value, error) {
			return strings.ToLower(a[0].(string)), nil
		}},
	}})
}
