package exec

import (
	"testing"

	"github.com/ksqlgo/ksql/exec/functions"
	"github.com/ksqlgo/ksql/planner"
	"github.com/ksqlgo/ksql/sql"
	"github.com/ksqlgo/ksql/sql/types"
)

// TestEvalConstant evaluates expressions end to end: parsed, bound by
// the planner, compiled by exec. want is types.String of the result
// ("null" for NULL); err means the row would be logged and get NULL.
func TestEvalConstant(t *testing.T) {
	reg := functions.New()
	cases := []struct {
		expr, want string
		err        bool
	}{
		{expr: "1 + 2 * 3", want: "7"},
		{expr: "7 / 2", want: "3"},
		{expr: "-7 % 3", want: "-1"},
		{expr: "7.0 / 2", want: "3.500000000000"}, // scale max(6, s1+p2+1) with 2 as DECIMAL(10, 0)
		{expr: "1.5E0 * 2", want: "3.0"},
		{expr: "2147483647 + 1", want: "-2147483648"},
		{expr: "10000000000 + 1", want: "10000000001"},
		{expr: "1 / 0", err: true},
		{expr: "1.0E0 / 0", want: "Infinity"},
		{expr: "CAST(NULL AS INT) + 1", want: "null"},
		{expr: "'a' || 'b'", want: "ab"},
		{expr: "'a' + 'b'", want: "ab"},
		{expr: "NULL AND FALSE", want: "false"},
		{expr: "NULL AND TRUE", want: "null"},
		{expr: "NULL OR TRUE", want: "true"},
		{expr: "NOT NULL", want: "null"},
		{expr: "1 = 1.0", want: "true"},
		{expr: "2 > 10000000000", want: "false"},
		{expr: "CAST(NULL AS INT) = 1", want: "null"},
		{expr: "NULL IS NOT DISTINCT FROM NULL", want: "true"},
		{expr: "1 IS DISTINCT FROM NULL", want: "true"},
		{expr: "3 BETWEEN 1 AND 5", want: "true"},
		{expr: "3 NOT BETWEEN 1 AND 2", want: "true"},
		{expr: "2 IN (1, 2, 3)", want: "true"},
		{expr: "4 IN (1, NULL)", want: "null"},
		{expr: "4 NOT IN (1, 2)", want: "true"},
		{expr: "'abc' LIKE 'a%'", want: "true"},
		{expr: "'abc' LIKE 'a_c'", want: "true"},
		{expr: "'a%c' LIKE 'a!%c' ESCAPE '!'", want: "true"},
		{expr: "'abc' NOT LIKE '%z%'", want: "true"},
		{expr: "NULL IS NULL", want: "true"},
		{expr: "CASE WHEN 1 > 2 THEN 'x' WHEN 2 > 1 THEN 'y' END", want: "y"},
		{expr: "CASE 3 WHEN 1 THEN 'one' ELSE 'other' END", want: "other"},
		{expr: "CASE WHEN FALSE THEN 1 END", want: "null"},
		{expr: "CAST('42' AS INT) + 1", want: "43"},
		{expr: "CAST('x' AS INT)", err: true},
		{expr: "CAST(1.25 AS DECIMAL(3,1))", want: "1.3"},
		{expr: "CAST(12 AS STRING)", want: "12"},
		{expr: "ARRAY[1, 2, 3][2]", want: "2"},
		{expr: "ARRAY[1, 2, 3][-1]", want: "3"},
		{expr: "ARRAY[1, 2, 3][5]", want: "null"},
		{expr: "MAP('a' := 1, 'b' := 2)['b']", want: "2"},
		{expr: "STRUCT(A := 1, B := 'x')->B", want: "x"},
		{expr: "LEN('héllo')", want: "5"},
		{expr: "UCASE(NULL)", want: "null"},
		{expr: "ABS(-3)", want: "3"},
		{expr: "TRANSFORM(ARRAY[1, 2], x => x * 10)", want: "[10, 20]"},
		{expr: "REDUCE(ARRAY[1, 2, 3], 0, (s, x) => s + x)", want: "6"},
	}
	for _, c := range cases {
		e, err := sql.ParseExpr(c.expr)
		if err != nil {
			t.Errorf("%s: parse: %v", c.expr, err)
			continue
		}
		bound, err := planner.NewConstantBinder(reg).Bind(e)
		if err != nil {
			t.Errorf("%s: bind: %v", c.expr, err)
			continue
		}
		v, err := EvalConstant(bound)
		if c.err {
			if err == nil {
				t.Errorf("%s = %v, want an evaluation error", c.expr, v)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.expr, err)
			continue
		}
		if got := types.String(v); got != c.want {
			t.Errorf("%s = %s (%T), want %s", c.expr, got, v, c.want)
		}
	}
}

func TestWindowsFor(t *testing.T) {
	w := &planner.WindowSpec{SizeMs: 30, AdvanceMs: 10}
	got := windowsFor(w, 25)
	if len(got) != 3 || got[0] != 0 || got[1] != 10 || got[2] != 20 {
		t.Errorf("hopping windows of 25 = %v, want [0 10 20]", got)
	}
	if got := windowsFor(w, 5); len(got) != 1 || got[0] != 0 {
		t.Errorf("hopping windows of 5 = %v, want [0] (no negative starts)", got)
	}
	tum := &planner.WindowSpec{SizeMs: 100, AdvanceMs: 100}
	if got := windowsFor(tum, 250); len(got) != 1 || got[0] != 200 {
		t.Errorf("tumbling window of 250 = %v", got)
	}
}
