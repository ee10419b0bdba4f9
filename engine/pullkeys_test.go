package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/ksqlgo/ksql/planner"
	"github.com/ksqlgo/ksql/sql/ast"
)

// Key lookups must answer exactly what a scan of the view with the same
// WHERE clause answers, in the same order. The scan is forced by writing
// the clause as "(<where>) OR FALSE", which means the same and pins no key.

// pullResult runs a pull query and returns its rows, or its error text.
func pullResult(t *testing.T, eng *Engine, sess *Session, text string) []string {
	t.Helper()
	q, err := eng.StreamQuery(context.Background(), text, sess)
	if err != nil {
		return []string{"error: " + err.Error()}
	}
	defer q.Close()
	return readAll(t, q)
}

// pullStage plans a pull query the way startPull does, for lookupKeys.
func pullStage(t *testing.T, eng *Engine, text string) *planner.Stage {
	t.Helper()
	stmts, err := eng.Parse(text, NewSession())
	if err != nil {
		t.Fatal(err)
	}
	s := stmts[0].(*ast.Query)
	plan, _, err := planner.PlanQuery(planner.QueryRequest{
		ID: "pull", Select: s.Select, Text: s.Text(), ServiceID: eng.serviceID(), Transient: true,
	}, eng.cat, eng.funcs, eng.plannerConfig(nil))
	if err != nil {
		t.Fatal(err)
	}
	return plan.Stages[0]
}

// waitRows polls a scan until it returns n rows whose last columns (a
// count) sum to total: the persistent queries have processed every input.
func waitRows(t *testing.T, eng *Engine, sess *Session, text string, n int, total int64) {
	t.Helper()
	waitFor(t, text+" to settle", func() bool {
		rows := pullResult(t, eng, sess, text)
		if len(rows) != n {
			return false
		}
		var sum int64
		for _, r := range rows {
			var vals []json.Number
			d := json.NewDecoder(strings.NewReader(r))
			d.UseNumber()
			var raw []any
			if d.Decode(&raw) != nil {
				return false
			}
			for _, v := range raw {
				if num, ok := v.(json.Number); ok {
					vals = append(vals, num)
				}
			}
			last, _ := vals[len(vals)-1].Int64()
			sum += last
		}
		return sum == total
	})
}

func TestPullKeyLookupsEqualScans(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	eng := openStreamEngine(t, t.TempDir(), map[string]string{"ksql.streams.auto.offset.reset": "earliest"})
	defer eng.Close()
	sess := NewSession()
	mustExec(t, eng, sess, `CREATE TABLE src (id BIGINT PRIMARY KEY, name STRING, v INT) WITH (kafka_topic='src', value_format='JSON', partitions=3);
CREATE TABLE t AS SELECT * FROM src;
CREATE STREAM ev (a INT, b STRING, d DOUBLE) WITH (kafka_topic='ev', format='JSON', partitions=2);
CREATE TABLE multi AS SELECT a, b, COUNT(*) AS n FROM ev GROUP BY a, b;
CREATE TABLE win AS SELECT b, COUNT(*) AS n FROM ev WINDOW TUMBLING (SIZE 10 SECONDS) GROUP BY b;
CREATE TABLE byd AS SELECT d, COUNT(*) AS n FROM ev GROUP BY d;`)

	// Random input: ids 0..59 (some absent, some updated), events over
	// 5 values of a, 4 of b, 4 of d (one of them 0.0) and 6 windows.
	var ins strings.Builder
	ids := map[int]bool{}
	for i := 0; i < 120; i++ {
		id := rng.IntN(60)
		ids[id] = true
		fmt.Fprintf(&ins, "INSERT INTO src (id, name, v) VALUES (%d, 'n%d', %d);\n", id, rng.IntN(5), rng.IntN(100))
	}
	doubles := []string{"-1.5", "0.0", "2.0", "3.25"}
	multi, win, byd := map[string]bool{}, map[string]bool{}, map[string]bool{}
	const events = 300
	for i := 0; i < events; i++ {
		a, b, d, ts := rng.IntN(5), rng.IntN(4), rng.IntN(4), rng.IntN(60000)
		multi[fmt.Sprint(a, b)], win[fmt.Sprint(b, ts/10000)], byd[doubles[d]] = true, true, true
		fmt.Fprintf(&ins, "INSERT INTO ev (a, b, d, ROWTIME) VALUES (%d, 'b%d', %s, %d);\n", a, b, doubles[d], ts)
	}
	mustExec(t, eng, sess, ins.String())
	waitRows(t, eng, sess, "SELECT id, v, 1 AS one FROM t;", len(ids), int64(len(ids)))
	waitRows(t, eng, sess, "SELECT * FROM multi;", len(multi), events)
	waitRows(t, eng, sess, "SELECT * FROM win;", len(win), events)
	waitRows(t, eng, sess, "SELECT * FROM byd;", len(byd), events)

	// The forms that must be lookups are lookups.
	for _, q := range []string{
		"SELECT * FROM t WHERE id = 5;",
		"SELECT * FROM t WHERE 5 = id AND v > 3;",
		"SELECT * FROM t WHERE id IN (1, 1, 99);",
		"SELECT * FROM multi WHERE a = 1 AND b = 'b1';",
		"SELECT * FROM multi WHERE b IN ('b1', 'b2') AND a IN (1, 2, 3);",
		"SELECT * FROM win WHERE b = 'b1' AND WINDOWSTART >= 10000;",
		"SELECT * FROM byd WHERE d = 2;",
	} {
		if _, ok := lookupKeys(pullStage(t, eng, q)); !ok {
			t.Errorf("%s: not a key lookup", q)
		}
	}
	for _, q := range []string{
		"SELECT * FROM t WHERE (id = 5) OR FALSE;",
		"SELECT * FROM t WHERE id > 5;",
		"SELECT * FROM multi WHERE a = 1;",
		"SELECT * FROM byd WHERE d = 0;",
	} {
		if _, ok := lookupKeys(pullStage(t, eng, q)); ok {
			t.Errorf("%s: a key lookup", q)
		}
	}

	id := func() int { return rng.IntN(70) } // 60..69 never exist
	list := func(gen func() string) string {
		var parts []string
		for n := 1 + rng.IntN(6); n > 0; n-- {
			v := gen()
			parts = append(parts, v)
			if rng.IntN(3) == 0 {
				parts = append(parts, v) // duplicates
			}
		}
		return strings.Join(parts, ", ")
	}
	ints := func(n int) func() string { return func() string { return fmt.Sprint(rng.IntN(n)) } }
	bs := func() string { return fmt.Sprintf("'b%d'", rng.IntN(6)) }
	forms := []func() string{
		func() string { return fmt.Sprintf("SELECT * FROM t WHERE id = %d", id()) },
		func() string { return fmt.Sprintf("SELECT name, v FROM t WHERE %d = id", id()) },
		func() string { return fmt.Sprintf("SELECT * FROM t WHERE id IN (%s)", list(ints(70))) },
		func() string { return fmt.Sprintf("SELECT * FROM t WHERE id = %d AND v > %d", id(), rng.IntN(100)) },
		func() string {
			return fmt.Sprintf("SELECT id FROM t WHERE id IN (%s) AND name = 'n%d'", list(ints(70)), rng.IntN(5))
		},
		func() string { return fmt.Sprintf("SELECT * FROM t WHERE id = %d AND id = %d", id(), id()) },
		func() string {
			return fmt.Sprintf("SELECT * FROM t WHERE id IN (%s) AND id = %d", list(ints(70)), id())
		},
		func() string { return fmt.Sprintf("SELECT * FROM t WHERE id = %d OR id = %d", id(), id()) },
		func() string { return "SELECT * FROM t WHERE id = 5000000000" },
		func() string { return fmt.Sprintf("SELECT * FROM multi WHERE a = %d AND b = %s", rng.IntN(7), bs()) },
		func() string {
			return fmt.Sprintf("SELECT * FROM multi WHERE a IN (%s) AND b IN (%s)", list(ints(7)), list(bs))
		},
		func() string { return fmt.Sprintf("SELECT * FROM multi WHERE b = %s AND a = 5000000000", bs()) },
		func() string { return fmt.Sprintf("SELECT * FROM multi WHERE a = %d", rng.IntN(7)) },
		func() string { return fmt.Sprintf("SELECT * FROM win WHERE b = %s", bs()) },
		func() string { return fmt.Sprintf("SELECT * FROM win WHERE b IN (%s)", list(bs)) },
		func() string {
			return fmt.Sprintf("SELECT b, WINDOWEND, n FROM win WHERE b = %s AND WINDOWSTART >= %d", bs(), 10000*rng.IntN(7))
		},
		func() string {
			return fmt.Sprintf("SELECT * FROM byd WHERE d IN (%s)", list(func() string {
				return []string{"2", "3.25", "-1.5", "0", "7", "2.0"}[rng.IntN(6)]
			}))
		},
		func() string { return fmt.Sprintf("SELECT * FROM byd WHERE d = %d", rng.IntN(4)-1) },
	}
	found := 0
	for i := 0; i < 300; i++ {
		q := forms[rng.IntN(len(forms))]()
		limit := ""
		if rng.IntN(4) == 0 {
			limit = fmt.Sprintf(" LIMIT %d", 1+rng.IntN(3))
		}
		from, where, _ := strings.Cut(q, " WHERE ")
		lookup := pullResult(t, eng, sess, q+limit+";")
		scan := pullResult(t, eng, sess, from+" WHERE ("+where+") OR FALSE"+limit+";")
		if strings.Join(lookup, "\n") != strings.Join(scan, "\n") {
			t.Fatalf("%s%s:\nlookup %v\nscan   %v", q, limit, lookup, scan)
		}
		if len(lookup) > 0 && !strings.HasPrefix(lookup[0], "error: ") {
			found++
		}
	}
	// Not a comparison of empty answers.
	if found < 100 {
		t.Fatalf("only %d of 300 queries found rows", found)
	}
	t.Logf("%d of 300 queries found rows", found)
}

func TestPullKeyLiteralOfWrongType(t *testing.T) {
	eng := openStreamEngine(t, t.TempDir(), nil)
	defer eng.Close()
	sess := NewSession()
	mustExec(t, eng, sess, `CREATE STREAM input (id INT KEY, ignored INT) WITH (kafka_topic='in', value_format='JSON', partitions=1);
CREATE TABLE agg AS SELECT id, COUNT(1) AS count FROM input GROUP BY id;`)
	for text, want := range map[string]string{
		"SELECT * FROM agg WHERE id = '10';":       "Error in WHERE expression: Cannot compare ID (INTEGER) to '10' (STRING) with EQUAL.\nStatement: (ID = '10')",
		"SELECT * FROM agg WHERE id IN ('10', 8);": "'10' can not be converted to the type of the key column: ID INTEGER KEY",
	} {
		_, err := eng.StreamQuery(context.Background(), text, sess)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", text, err, want)
		}
	}
	// A numeric literal for the same key is a lookup.
	mustExec(t, eng, sess, "INSERT INTO input (id, ignored) VALUES (10, 1);")
	sortedOK(t, eng, sess, "SELECT * FROM agg WHERE id = 10;", []string{`[10,1]`})
}
