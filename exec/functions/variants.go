package functions

import "sort"

// Variant is one overload of an aggregate or table function as DESCRIBE
// FUNCTION lists it (ksqlDB's FunctionInfo): argument names and types and
// the return type in ksqlDB's spelling (INT, BIGINT, VARCHAR, ARRAY<T>;
// T and S are generic types). Aggregate column arguments are val1, val2,
// ... and their constant arguments follow with ksqlDB's names, as ksqlDB
// declares them (UdafTypes.getInputSchema).
type Variant struct {
	Args        []VariantArg
	Return      string
	Description string
}

// VariantArg is one argument of a Variant.
type VariantArg struct {
	Name, Type string
	// Variadic: the argument repeats (Type is the element type).
	Variadic bool
}

// Variants lists the overloads of an aggregate or table function, in
// ksqlDB's order; false when name is neither.
func (r *Registry) Variants(name string) ([]Variant, bool) {
	if r.aggregates[name] == nil && r.tables[name] == nil {
		return nil, false
	}
	return variants[name], true
}

func a(name, typ string) VariantArg { return VariantArg{Name: name, Type: typ} }

// overEach is one single-column variant per type, returning ret(type).
func overEach(desc string, ret func(string) string, typs ...string) []Variant {
	out := make([]Variant, 0, len(typs))
	for _, t := range typs {
		out = append(out, Variant{Args: []VariantArg{a("val1", t)}, Return: ret(t), Description: desc})
	}
	return out
}

func same(t string) string                  { return t }
func arrayOf(t string) string               { return "ARRAY<" + t + ">" }
func constant(r string) func(string) string { return func(string) string { return r } }

// withK appends TOPKDISTINCT's k to each variant.
func withK(vs []Variant) []Variant {
	for i := range vs {
		vs[i].Args = append(vs[i].Args, a("k", "INT"))
	}
	return vs
}

func byOffset(latest bool) []Variant {
	which, n := "earliest", "earliestN"
	if latest {
		which, n = "latest", "latestN"
	}
	one := "return the " + which + " value of a column"
	many := "return the " + which + " N values of a column"
	return []Variant{
		{Args: []VariantArg{a("val1", "T")}, Return: "T", Description: one},
		{Args: []VariantArg{a("val1", "T"), a("ignoreNulls", "BOOLEAN")}, Return: "T", Description: one},
		{Args: []VariantArg{a("val1", "T"), a(n, "INT")}, Return: "ARRAY<T>", Description: many},
		{Args: []VariantArg{a("val1", "T"), a(n, "INT"), a("ignoreNulls", "BOOLEAN")}, Return: "ARRAY<T>", Description: many},
	}
}

func stddev() []Variant {
	var out []Variant
	for _, t := range []string{"BIGINT", "INT", "DOUBLE"} {
		out = append(out, Variant{Args: []VariantArg{a("val1", t)}, Return: "DOUBLE",
			Description: "Compute sample standard deviation of column with type " + t + "."})
	}
	return out
}

func topK() []Variant {
	var out []Variant
	for _, t := range []string{"INT", "BIGINT", "DOUBLE", "VARCHAR"} {
		out = append(out, Variant{
			Args:        []VariantArg{a("val1", t), {Name: "val2", Type: "ANY", Variadic: true}, a("k", "INT")},
			Return:      "ARRAY<S>",
			Description: "Returns the top k values for a " + t + " column and other values in those records.",
		})
	}
	return out
}

// variants are the overloads ksqlDB declares for the aggregate and table
// functions this registry has (ksqldb-engine io.confluent.ksql.function
// udaf and udtf). TestVariantsResolve checks each against Resolve.
var variants = map[string][]Variant{
	"COUNT": {{Args: []VariantArg{a("val1", "T")}, Return: "BIGINT", Description: "Counts records by key."}},
	"COUNT_DISTINCT": {{Args: []VariantArg{a("val1", "T")}, Return: "BIGINT",
		Description: "This function returns the number of items found in a group. The implementation is probabilistic with a typical accuracy (standard error) of less than 1%."}},
	"SUM": overEach("Computes the sum for a key.", same, "DECIMAL", "DOUBLE", "BIGINT", "INT"),
	"AVG": overEach("Compute average of column.", constant("DOUBLE"), "BIGINT", "INT", "DOUBLE"),
	"MIN": overEach("Computes the minimum value for a key.", same,
		"INT", "BIGINT", "DOUBLE", "DECIMAL", "DATE", "TIME", "TIMESTAMP", "VARCHAR", "BYTES"),
	"MAX": overEach("Computes the maximum value for a key.", same,
		"INT", "BIGINT", "DOUBLE", "DECIMAL", "DATE", "TIME", "TIMESTAMP", "VARCHAR", "BYTES"),
	"COLLECT_LIST": overEach("collect values of a field into a single Array", arrayOf, "T"),
	"COLLECT_SET":  overEach("collect distinct values of a field into a single Array", arrayOf, "T"),
	"HISTOGRAM": overEach("Build a value-to-count histogram of input Strings",
		constant("MAP<VARCHAR, BIGINT>"), "VARCHAR"),
	"ATTR": overEach("Collect as a singleton", same, "T"),
	"SUM_LIST": {
		{Args: []VariantArg{a("val1", "ARRAY<DOUBLE>")}, Return: "DOUBLE", Description: "sum double values in a list into a single double"},
		{Args: []VariantArg{a("val1", "ARRAY<INT>")}, Return: "INT", Description: "sum int values in a list into a single int"},
		{Args: []VariantArg{a("val1", "ARRAY<BIGINT>")}, Return: "BIGINT", Description: "sum long values in a list into a single long"},
	},
	"CORRELATION": {
		{Args: []VariantArg{a("val1", "DOUBLE"), a("val2", "DOUBLE")}, Return: "DOUBLE", Description: "Computes the Pearson correlation coefficient between two DOUBLE columns."},
		{Args: []VariantArg{a("val1", "INT"), a("val2", "INT")}, Return: "DOUBLE", Description: "Computes the Pearson correlation coefficient between two INTEGER columns."},
		{Args: []VariantArg{a("val1", "BIGINT"), a("val2", "BIGINT")}, Return: "DOUBLE", Description: "Computes the Pearson correlation coefficient between two BIGINT columns."},
	},
	"STDDEV_SAMP":        stddev(),
	"STDDEV_SAMPLE":      stddev(),
	"EARLIEST_BY_OFFSET": byOffset(false),
	"LATEST_BY_OFFSET":   byOffset(true),
	"TOPK":               topK(),
	"TOPKDISTINCT": withK(overEach("Calculates the top k distinct values for a column, per key.", arrayOf,
		"INT", "BIGINT", "DOUBLE", "VARCHAR", "DECIMAL", "DATE", "TIME", "BYTES")),
	"EXPLODE": {
		{Args: []VariantArg{a("list", "ARRAY<T>")}, Return: "T"},
		{Args: []VariantArg{a("input", "ARRAY<DECIMAL>")}, Return: "DECIMAL"},
	},
	"CUBE_EXPLODE": {{Args: []VariantArg{a("columns", "ARRAY<T>")}, Return: "ARRAY<T>"}},
}

// variantNames lists the functions with declared variants (for tests).
func variantNames() []string {
	out := make([]string, 0, len(variants))
	for n := range variants {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Description is a function's description ("" for an unknown name).
func (r *Registry) Description(name string) string {
	switch {
	case r.scalars[name] != nil:
		return r.scalars[name].Description
	case r.aggregates[name] != nil:
		return r.aggregates[name].Description
	case r.tables[name] != nil:
		return r.tables[name].Description
	}
	return ""
}
