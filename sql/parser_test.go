package sql

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"

	"github.com/ksqlgo/ksql/sql/ast"
	"github.com/ksqlgo/ksql/sql/types"
)

// TestDataDriven runs the files in testdata/parser/. Directives:
//
//	parse [vars=(name=value,...)] [types]
//	    Parse (or ParseWithTypes) the input; print each statement's source
//	    text and tree, or the error. With types, the type names ADDRESS and
//	    MONEY are known.
//	expr
//	    ParseExpr the input; print FormatExpr's text and the tree.
//	type
//	    ParseType the input; print the type.
//	split
//	    SplitStatements the input; print each statement text.
//	lex
//	    Print the input's tokens.
//
// Run with -rewrite to regenerate the expected output.
func TestDataDriven(t *testing.T) {
	datadriven.Walk(t, "testdata/parser", func(t *testing.T, path string) {
		datadriven.RunTest(t, path, func(t *testing.T, td *datadriven.TestData) string {
			switch td.Cmd {
			case "parse":
				var vars map[string]string
				if arg, ok := td.Arg("vars"); ok {
					vars = map[string]string{}
					for _, v := range arg.Vals {
						name, value, _ := strings.Cut(v, "=")
						vars[name] = value
					}
				}
				var lookup func(string) (*types.Type, bool)
				if td.HasArg("types") {
					lookup = testTypes
				}
				stmts, err := ParseWithTypes(td.Input, vars, lookup)
				if err != nil {
					return "error:\n" + err.Error() + "\n"
				}
				var b strings.Builder
				for i, st := range stmts {
					if i > 0 {
						b.WriteString("\n")
					}
					fmt.Fprintf(&b, "source: %s\n", st.Text())
					b.WriteString(dumpStatement(st))
				}
				return b.String()
			case "expr":
				e, err := ParseExpr(td.Input)
				if err != nil {
					return "error:\n" + err.Error() + "\n"
				}
				return "format: " + ast.FormatExpr(e) + "\n" + dumpExpr(e, true)
			case "type":
				typ, err := ParseType(td.Input)
				if err != nil {
					return "error:\n" + err.Error() + "\n"
				}
				return typ.SQLString() + "\n"
			case "split":
				stmts, err := SplitStatements(td.Input)
				var b strings.Builder
				for i, s := range stmts {
					fmt.Fprintf(&b, "%d: %s\n", i, s)
				}
				if err != nil {
					b.WriteString("error:\n" + err.Error() + "\n")
				}
				return b.String()
			case "lex":
				return lexDump(td.Input)
			}
			t.Fatalf("unknown directive %q", td.Cmd)
			return ""
		})
	})
}

// testTypes is the custom type registry of the datadriven tests.
func testTypes(name string) (*types.Type, bool) {
	switch name {
	case "ADDRESS":
		return types.StructOf(types.Field{Name: "STREET", Type: types.StringType},
			types.Field{Name: "CITY", Type: types.StringType}), true
	case "MONEY":
		return types.DecimalOf(10, 2), true
	}
	return nil, false
}

var tokKindNames = [...]string{
	tEOF: "EOF", tWord: "WORD", tQuoted: "QUOTED", tDigitWord: "DIGITWORD", tString: "STRING",
	tInt: "INT", tDecimal: "DECIMAL", tFloat: "FLOAT", tOp: "OP", tIllegal: "ILLEGAL",
}

func lexDump(src string) string {
	var b strings.Builder
	l := newLexer(src)
	for {
		t := l.next()
		fmt.Fprintf(&b, "%s %s %q raw=%q\n", t.pos, tokKindNames[t.kind], t.text, src[t.pos.Offset:t.end])
		if t.kind == tEOF || t.kind == tIllegal {
			return b.String()
		}
	}
}
