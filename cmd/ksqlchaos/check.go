package main

import (
	"cmp"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Violation is one breach of exactly-once (or of the server's contract)
// that the campaign found.
type Violation struct {
	Where  string // an output topic, "input" or "server"
	Kind   string // lost, duplicated, out-of-order, wrong-value, unexpected, bricked-start, ...
	Key    string // the record key concerned, if any
	Detail string // expected vs got
	// At is the offending record (a repeated or misplaced one), if the
	// violation has one.
	At *position
	// Run is the run that wrote At (0: unknown), and RunAfter how that
	// run began: the stop of the run before it.
	Run      int
	RunAfter string
}

// position is where a record is in its topic.
type position struct {
	Partition int32
	Offset    int64
}

func (v Violation) String() string {
	s := fmt.Sprintf("%s %s: %s", v.Where, v.Kind, v.Detail)
	if v.Key != "" {
		s = fmt.Sprintf("%s %s key %s: %s", v.Where, v.Kind, v.Key, v.Detail)
	}
	if v.At != nil {
		s += fmt.Sprintf(" [record at partition %d offset %d", v.At.Partition, v.At.Offset)
		if v.Run > 0 {
			s += fmt.Sprintf(", written by run %d, which started after %s", v.Run, v.RunAfter)
		}
		s += "]"
	}
	return s
}

// Violation kinds that the per-output counts add up.
const (
	kindLost       = "lost"
	kindDuplicated = "duplicated"
	kindOutOfOrder = "out-of-order"
	kindWrong      = "wrong-value"
	kindUnexpected = "unexpected"
)

// outputReport is what the check of one output found.
type outputReport struct {
	Name    string
	Records int // records read from the topic
	Keys    int // distinct keys expected or seen
	// Counts per kind. For the filter stream a unit is a record; for a
	// changelog it is a value of the per-key COUNT sequence.
	Lost, Duplicated, OutOfOrder, Wrong, Unexpected int
	Violations                                      []Violation
}

func (r *outputReport) add(kind, key string, n int, format string, args ...any) {
	r.addAt(kind, key, n, nil, format, args...)
}

// addAt counts n violations of a kind and records one with the position
// of the first offending record.
func (r *outputReport) addAt(kind, key string, n int, at *position, format string, args ...any) {
	if n <= 0 {
		return
	}
	switch kind {
	case kindLost:
		r.Lost += n
	case kindDuplicated:
		r.Duplicated += n
	case kindOutOfOrder:
		r.OutOfOrder += n
	case kindWrong:
		r.Wrong += n
	case kindUnexpected:
		r.Unexpected += n
	}
	r.Violations = append(r.Violations, Violation{Where: r.Name, Kind: kind, Key: key, Detail: fmt.Sprintf(format, args...), At: at})
}

// inputRow is a row read back from the input topic.
type inputRow struct {
	row
	Partition int32
	Offset    int64
}

// model is the input actually present, from which every output's
// expected content follows.
type model struct {
	rows  []inputRow       // partition by partition, in offset order
	byKey map[string][]int // indexes into rows, in input order
}

// inputReport is what the check of the input topic found.
type inputReport struct {
	Present        int // records in the input topic
	Acked          int // ids acknowledged over HTTP
	Unknown        int // ids whose HTTP call failed or was cut off
	UnknownPresent int // ... of which the input holds a record
	Direct         int // ids appended directly between runs
	Violations     []Violation
}

// buildModel reads the input records back and checks them against the
// ledger: every acknowledged or directly appended id is present exactly
// once, every record is a row the campaign produced, unaltered, and each
// key lives in one partition (so that its order is defined).
func buildModel(recs []Record, gen generator, fates map[int64]fate) (*model, *inputReport) {
	m := &model{byKey: map[string][]int{}}
	rep := &inputReport{Present: len(recs)}
	bad := func(kind, key, format string, args ...any) {
		rep.Violations = append(rep.Violations, Violation{Where: "input", Kind: kind, Key: key, Detail: fmt.Sprintf(format, args...)})
	}
	seen := map[int64]int{}
	keyPart := map[string]int32{}
	for _, rec := range recs {
		var v inputValue
		if rec.Value == nil || json.Unmarshal(rec.Value, &v) != nil {
			bad(kindWrong, string(rec.Key), "partition %d offset %d: undecodable value %q", rec.Partition, rec.Offset, rec.Value)
			continue
		}
		want := gen.row(v.ID)
		got := row{ID: v.ID, Key: string(rec.Key), Grp: v.Grp, Amount: v.Amount, TS: v.TS}
		if _, produced := fates[v.ID]; !produced {
			bad(kindUnexpected, got.Key, "partition %d offset %d: id %d was never produced by the campaign", rec.Partition, rec.Offset, v.ID)
		} else if got != want {
			bad(kindWrong, got.Key, "partition %d offset %d: row %+v, want %+v", rec.Partition, rec.Offset, got, want)
		}
		seen[v.ID]++
		if seen[v.ID] == 2 {
			bad(kindDuplicated, got.Key, "id %d is in the input more than once (again at partition %d offset %d)", v.ID, rec.Partition, rec.Offset)
		}
		if p, ok := keyPart[got.Key]; ok && p != rec.Partition {
			bad(kindWrong, got.Key, "key in partitions %d and %d: its order is undefined", p, rec.Partition)
		}
		keyPart[got.Key] = rec.Partition
		m.byKey[got.Key] = append(m.byKey[got.Key], len(m.rows))
		m.rows = append(m.rows, inputRow{row: got, Partition: rec.Partition, Offset: rec.Offset})
	}
	ids := make([]int64, 0, len(fates))
	for id := range fates {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		switch fates[id] {
		case acked:
			rep.Acked++
			if seen[id] == 0 {
				bad(kindLost, gen.row(id).Key, "id %d: the INSERT was acknowledged (HTTP 200) but the row is not in the input", id)
			}
		case direct:
			rep.Direct++
			if seen[id] == 0 {
				bad(kindLost, gen.row(id).Key, "id %d: appended directly to the log but not in the input", id)
			}
		case unknown:
			rep.Unknown++
			if seen[id] > 0 {
				rep.UnknownPresent++
			}
		}
	}
	return m, rep
}

// jsonFields decodes a JSON object value of BIGINT (and string) columns.
func jsonFields(v []byte) (map[string]json.Number, error) {
	var raw map[string]any
	dec := json.NewDecoder(strings.NewReader(string(v)))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return nil, err
	}
	out := map[string]json.Number{}
	for k, x := range raw {
		if n, ok := x.(json.Number); ok {
			out[k] = n
		}
	}
	return out, nil
}

// intFields extracts the named integer fields of a JSON value.
func intFields(v []byte, names ...string) ([]int64, error) {
	f, err := jsonFields(v)
	if err != nil {
		return nil, err
	}
	out := make([]int64, len(names))
	for i, n := range names {
		num, ok := f[n]
		if !ok {
			return nil, fmt.Errorf("no field %s in %s", n, v)
		}
		if out[i], err = num.Int64(); err != nil {
			return nil, fmt.Errorf("field %s of %s: %w", n, v, err)
		}
	}
	return out, nil
}

// checkFilter checks the filter stream: every input row with amount >=
// bigAmount appears exactly once, with its key and amount, and each key's
// rows in input order.
func checkFilter(m *model, recs []Record) *outputReport {
	rep := &outputReport{Name: "CHAOS_BIG", Records: len(recs)}
	want := map[int64]int{}    // id -> records expected
	pos := map[int64]int{}     // id -> position in its key's input order
	wantRow := map[int64]row{} // id -> the input row
	for _, idx := range m.byKey {
		n := 0
		for _, i := range idx {
			r := m.rows[i].row
			if r.Amount >= bigAmount {
				want[r.ID]++
				if _, ok := pos[r.ID]; !ok {
					pos[r.ID] = n
					n++
				}
				wantRow[r.ID] = r
			}
		}
	}
	got := map[int64]int{}
	extra := map[int64]position{} // id -> its first repeated record
	order := map[string][]int64{} // key -> ids, first occurrences, in output order
	at := map[int64]position{}    // id -> its first record
	keys := map[string]bool{}
	for _, rec := range recs {
		key := string(rec.Key)
		keys[key] = true
		if rec.Value == nil {
			rep.add(kindUnexpected, key, 1, "partition %d offset %d: a tombstone in a stream", rec.Partition, rec.Offset)
			continue
		}
		f, err := intFields(rec.Value, "ID", "AMOUNT")
		if err != nil {
			rep.add(kindWrong, key, 1, "partition %d offset %d: %v", rec.Partition, rec.Offset, err)
			continue
		}
		id, amount := f[0], f[1]
		got[id]++
		r, ok := wantRow[id]
		switch {
		case !ok:
			rep.add(kindUnexpected, key, 1, "partition %d offset %d: id %d (amount %d) is not an input row with amount >= %d", rec.Partition, rec.Offset, id, amount, bigAmount)
			continue
		case r.Key != key || r.Amount != amount:
			rep.add(kindWrong, key, 1, "id %d: key %s amount %d, want key %s amount %d", id, key, amount, r.Key, r.Amount)
		}
		here := position{rec.Partition, rec.Offset}
		switch got[id] {
		case 1:
			order[key] = append(order[key], id)
			at[id] = here
		case 2:
			extra[id] = here
		}
	}
	ids := make([]int64, 0, len(want))
	for id := range want {
		ids = append(ids, id)
		keys[wantRow[id].Key] = true
	}
	slices.Sort(ids)
	for _, id := range ids {
		w, g := want[id], got[id]
		key := wantRow[id].Key
		switch {
		case g < w:
			rep.add(kindLost, key, w-g, "id %d (amount %d): want %d record(s), got %d", id, wantRow[id].Amount, w, g)
		case g > w:
			p := extra[id]
			rep.addAt(kindDuplicated, key, g-w, &p, "id %d (amount %d): want %d record(s), got %d", id, wantRow[id].Amount, w, g)
		}
	}
	for _, key := range sortedKeys(order) {
		seq := order[key]
		inv := 0
		first := ""
		var firstAt *position
		for i := 1; i < len(seq); i++ {
			a, aok := pos[seq[i-1]]
			b, bok := pos[seq[i]]
			if aok && bok && b < a {
				inv++
				if first == "" {
					first = fmt.Sprintf("id %d (input position %d) after id %d (input position %d)", seq[i], b, seq[i-1], a)
					p := at[seq[i]]
					firstAt = &p
				}
			}
		}
		rep.addAt(kindOutOfOrder, key, inv, firstAt, "%d inversion(s) of input order; first: %s", inv, first)
	}
	rep.Keys = len(keys)
	return rep
}

// seqCheck compares one key's COUNT changelog with the exact sequence
// from, from+1, ..., n (empty if n < from) and adds what differs.
func seqCheck(rep *outputReport, key string, got []int64, at []position, from, n int64) (clean bool) {
	seen := map[int64]bool{}
	var dup, ooo, unexpected int
	var dupAt, oooAt, unexpectedAt *position
	for i, v := range got {
		switch {
		case v < from || v > n:
			unexpected++
			unexpectedAt = cmp.Or(unexpectedAt, &at[i])
		case seen[v]:
			dup++
			dupAt = cmp.Or(dupAt, &at[i])
		default:
			seen[v] = true
		}
		if i > 0 && v < got[i-1] {
			ooo++
			oooAt = cmp.Or(oooAt, &at[i])
		}
	}
	lost := 0
	if n >= from {
		lost = int(n-from+1) - len(seen)
	}
	what := fmt.Sprintf("COUNT changelog %s, want %s", describeSeq(got, from), wantSeq(from, n))
	rep.add(kindLost, key, lost, "%d value(s) missing: %s", lost, what)
	rep.addAt(kindDuplicated, key, dup, dupAt, "%d value(s) repeated: %s", dup, what)
	rep.addAt(kindOutOfOrder, key, ooo, oooAt, "%d decrease(s): %s", ooo, what)
	rep.addAt(kindUnexpected, key, unexpected, unexpectedAt, "%d value(s) outside the range: %s", unexpected, what)
	return lost == 0 && dup == 0 && ooo == 0 && unexpected == 0
}

func wantSeq(from, n int64) string {
	if n < from {
		return "no record"
	}
	if n == from {
		return fmt.Sprint("[", from, "]")
	}
	return fmt.Sprintf("%d..%d", from, n)
}

// describeSeq renders a changelog, around its first departure from
// from, from+1, ... when it is long.
func describeSeq(got []int64, from int64) string {
	const context = 6
	if len(got) <= 2*context+4 {
		return fmt.Sprint(got)
	}
	at := len(got)
	for i, v := range got {
		if v != from+int64(i) {
			at = i
			break
		}
	}
	lo, hi := max(0, at-context), min(len(got), at+context+1)
	var b strings.Builder
	b.WriteString("[")
	if lo > 0 {
		fmt.Fprintf(&b, "(%d values) ", lo)
	}
	for i := lo; i < hi; i++ {
		if i > lo {
			b.WriteString(" ")
		}
		if i == at {
			fmt.Fprintf(&b, ">%d<", got[i])
		} else {
			b.WriteString(strconv.FormatInt(got[i], 10))
		}
	}
	if hi < len(got) {
		fmt.Fprintf(&b, " (%d more, last %d)", len(got)-hi, got[len(got)-1])
	}
	b.WriteString("]")
	return b.String()
}

// update is one record of a changelog: the values of its fields, nil for a
// tombstone.
type update struct {
	vals []int64
	tomb bool
	at   position
}

// changelogs groups a table's records by key (each key's records in
// offset order; a key is expected in one partition).
func changelogs(rep *outputReport, recs []Record, fields ...string) map[string][]update {
	out := map[string][]update{}
	part := map[string]int32{}
	for _, rec := range recs {
		key := string(rec.Key)
		if p, ok := part[key]; ok && p != rec.Partition {
			rep.add(kindOutOfOrder, key, 1, "key in partitions %d and %d: its changelog has no order", p, rec.Partition)
		}
		part[key] = rec.Partition
		at := position{rec.Partition, rec.Offset}
		if rec.Value == nil {
			out[key] = append(out[key], update{tomb: true, at: at})
			continue
		}
		vals, err := intFields(rec.Value, fields...)
		if err != nil {
			rep.add(kindWrong, key, 1, "partition %d offset %d: %v", rec.Partition, rec.Offset, err)
			continue
		}
		out[key] = append(out[key], update{vals: vals, at: at})
	}
	return out
}

// values returns the i-th field of each non-tombstone update with its
// position, and the number of tombstones with the first one's position.
func values(us []update, i int) (vals []int64, at []position, tombs int, tombAt *position) {
	for _, u := range us {
		if u.tomb {
			tombs++
			if tombAt == nil {
				p := u.at
				tombAt = &p
			}
			continue
		}
		vals = append(vals, u.vals[i])
		at = append(at, u.at)
	}
	return vals, at, tombs, tombAt
}

// checkTotals checks the per-key SUM/COUNT table: each key's changelog is
// one update per input row, in input order, so update number c carries
// COUNT c and the sum of the key's first c amounts; the last update is
// the key's final count and sum.
func checkTotals(m *model, recs []Record) *outputReport {
	rep := &outputReport{Name: "CHAOS_TOT", Records: len(recs)}
	logs := changelogs(rep, recs, "CNT", "TOTAL")
	keys := unionKeys(m.byKey, logs)
	rep.Keys = len(keys)
	for _, key := range keys {
		idx := m.byKey[key]
		prefix := make([]int64, len(idx)+1)
		for i, ri := range idx {
			prefix[i+1] = prefix[i] + m.rows[ri].Amount
		}
		n := int64(len(idx))
		us := logs[key]
		counts, at, tombs, tombAt := values(us, 0)
		rep.addAt(kindUnexpected, key, tombs, tombAt, "%d tombstone(s) in a table whose counts only grow", tombs)
		seqCheck(rep, key, counts, at, 1, n)
		wrong, first := 0, ""
		var firstAt *position
		for _, u := range us {
			if u.tomb {
				continue
			}
			c, total := u.vals[0], u.vals[1]
			if c >= 1 && c <= n && total != prefix[c] {
				wrong++
				if first == "" {
					first = fmt.Sprintf("CNT %d with TOTAL %d, want TOTAL %d", c, total, prefix[c])
					p := u.at
					firstAt = &p
				}
			}
		}
		rep.addAt(kindWrong, key, wrong, firstAt, "%d update(s) whose sum is not the sum of the key's first CNT amounts; first: %s", wrong, first)
		checkFinal(rep, key, us, []int64{n, prefix[n]}, "CNT, TOTAL")
	}
	return rep
}

// checkFinal compares a key's last update with the model's final value.
func checkFinal(rep *outputReport, key string, us []update, want []int64, names string) {
	if want[0] == 0 {
		return // no row: nothing expected, unexpected records are counted elsewhere
	}
	if len(us) == 0 {
		return // counted as lost
	}
	last := us[len(us)-1]
	if last.tomb || !slices.Equal(last.vals, want) {
		got := "a tombstone"
		if !last.tomb {
			got = fmt.Sprint(last.vals)
		}
		rep.add(kindWrong, key, 1, "final value (%s) %s, want %v", names, got, want)
	}
}

// checkGroups checks the repartitioned GROUP BY grp table. Rows of one
// group come from four input partitions, so their interleaving is not
// defined; but the COUNT changelog is exactly 1..n, the sums strictly
// increase (amounts are positive), the steps between consecutive sums are
// exactly the group's amounts (as a multiset), and the final value is
// exact.
func checkGroups(m *model, recs []Record) *outputReport {
	rep := &outputReport{Name: "CHAOS_GRP", Records: len(recs)}
	logs := changelogs(rep, recs, "CNT", "TOTAL")
	byGrp := map[string][]int64{}
	for _, r := range m.rows {
		byGrp[r.Grp] = append(byGrp[r.Grp], r.Amount)
	}
	keys := unionKeys(byGrp, logs)
	rep.Keys = len(keys)
	for _, key := range keys {
		amounts := byGrp[key]
		var sum int64
		for _, a := range amounts {
			sum += a
		}
		n := int64(len(amounts))
		us := logs[key]
		counts, at, tombs, tombAt := values(us, 0)
		rep.addAt(kindUnexpected, key, tombs, tombAt, "%d tombstone(s) in a table whose counts only grow", tombs)
		if seqCheck(rep, key, counts, at, 1, n) && tombs == 0 {
			totals, _, _, _ := values(us, 1)
			var steps []int64
			prev := int64(0)
			increasing := true
			for _, t := range totals {
				if t <= prev {
					increasing = false
				}
				steps = append(steps, t-prev)
				prev = t
			}
			want := slices.Clone(amounts)
			slices.Sort(want)
			slices.Sort(steps)
			switch {
			case !increasing:
				rep.add(kindWrong, key, 1, "TOTAL changelog %v does not strictly increase", totals)
			case !slices.Equal(steps, want):
				rep.add(kindWrong, key, 1, "the steps of the TOTAL changelog are not the group's amounts: steps %v, amounts %v", steps, want)
			}
		}
		checkFinal(rep, key, us, []int64{n, sum}, "CNT, TOTAL")
	}
	return rep
}

// checkWindowed checks the windowed COUNT with HAVING COUNT(*) > 1: per
// key and one-minute window with n rows, the changelog is exactly 2..n
// (nothing for n < 2: HAVING holds back the first count, and as counts
// only grow no row ever drops below HAVING, so there is no tombstone).
func checkWindowed(m *model, recs []Record) *outputReport {
	rep := &outputReport{Name: "CHAOS_WIN", Records: len(recs)}
	want := map[string]int64{}
	for _, r := range m.rows {
		want[windowedKey(r.Key, r.TS-r.TS%windowMs)]++
	}
	logs := map[string][]update{}
	part := map[string]int32{}
	for _, rec := range recs {
		if len(rec.Key) < 8 {
			rep.add(kindWrong, fmt.Sprintf("%q", rec.Key), 1, "windowed key of %d bytes", len(rec.Key))
			continue
		}
		k := string(rec.Key[:len(rec.Key)-8])
		start := int64(binary.BigEndian.Uint64(rec.Key[len(rec.Key)-8:]))
		key := windowedKey(k, start)
		if p, ok := part[k]; ok && p != rec.Partition {
			rep.add(kindOutOfOrder, key, 1, "key %s in partitions %d and %d", k, p, rec.Partition)
		}
		part[k] = rec.Partition
		at := position{rec.Partition, rec.Offset}
		if rec.Value == nil {
			logs[key] = append(logs[key], update{tomb: true, at: at})
			continue
		}
		vals, err := intFields(rec.Value, "CNT")
		if err != nil {
			rep.add(kindWrong, key, 1, "partition %d offset %d: %v", rec.Partition, rec.Offset, err)
			continue
		}
		logs[key] = append(logs[key], update{vals: vals, at: at})
	}
	keys := unionKeys(want, logs)
	rep.Keys = len(keys)
	for _, key := range keys {
		n := want[key]
		us := logs[key]
		counts, at, tombs, tombAt := values(us, 0)
		rep.addAt(kindUnexpected, key, tombs, tombAt, "%d tombstone(s): counts only grow, so HAVING COUNT(*) > 1 never turns false", tombs)
		seqCheck(rep, key, counts, at, havingMin, n)
		if n >= havingMin {
			checkFinal(rep, key, us, []int64{n}, "CNT")
		}
	}
	return rep
}

// windowedKey names a key and window in reports: k03@1700000040000 is key
// k03 in the window starting at that epoch millisecond.
func windowedKey(k string, start int64) string { return fmt.Sprintf("%s@%d", k, start) }

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func unionKeys[A, B any](a map[string]A, b map[string]B) []string {
	set := map[string]bool{}
	for k := range a {
		set[k] = true
	}
	for k := range b {
		set[k] = true
	}
	return sortedKeys(set)
}

// pairKey is one row of the join: the ids of its left and right rows.
type pairKey struct{ a, b int64 }

// checkPairs checks the stream-stream join of the input with itself on
// k WITHIN pairWithinMs: every ordered pair (a, b) of input rows of one
// key whose event times are at most pairWithinMs apart (each row with
// itself included) appears exactly once, with the key, and nothing else.
// The order of the pairs is not checked: a pair is emitted when the
// second of its two records is processed, and how the join's two inputs
// interleave is not defined.
func checkPairs(m *model, recs []Record) *outputReport {
	rep := &outputReport{Name: "CHAOS_PAIR", Records: len(recs)}
	want := map[pairKey]int{}
	keyOf := map[pairKey]string{}
	for key, idx := range m.byKey {
		rows := make([]row, len(idx))
		for i, ri := range idx {
			rows[i] = m.rows[ri].row
		}
		slices.SortFunc(rows, func(x, y row) int { return cmp.Compare(x.TS, y.TS) })
		lo := 0
		for _, a := range rows {
			for lo < len(rows) && rows[lo].TS < a.TS-pairWithinMs {
				lo++
			}
			for j := lo; j < len(rows) && rows[j].TS <= a.TS+pairWithinMs; j++ {
				p := pairKey{a.ID, rows[j].ID}
				want[p]++
				keyOf[p] = key
			}
		}
	}
	got := map[pairKey]int{}
	extra := map[pairKey]position{} // a pair's first repeated record
	keys := map[string]bool{}
	for _, rec := range recs {
		key := string(rec.Key)
		keys[key] = true
		here := position{rec.Partition, rec.Offset}
		if rec.Value == nil {
			rep.addAt(kindUnexpected, key, 1, &here, "partition %d offset %d: a tombstone in a stream", rec.Partition, rec.Offset)
			continue
		}
		f, err := intFields(rec.Value, "AID", "BID")
		if err != nil {
			rep.add(kindWrong, key, 1, "partition %d offset %d: %v", rec.Partition, rec.Offset, err)
			continue
		}
		p := pairKey{f[0], f[1]}
		got[p]++
		switch wk, ok := keyOf[p]; {
		case !ok:
			rep.addAt(kindUnexpected, key, 1, &here, "ids %d and %d: not rows of one key within %d ms of each other", p.a, p.b, pairWithinMs)
			continue
		case wk != key:
			rep.addAt(kindWrong, key, 1, &here, "ids %d and %d: key %s, want %s", p.a, p.b, key, wk)
		}
		if got[p] == 2 {
			extra[p] = here
		}
	}
	pairs := make([]pairKey, 0, len(want))
	for p := range want {
		pairs = append(pairs, p)
		keys[keyOf[p]] = true
	}
	slices.SortFunc(pairs, func(x, y pairKey) int { return cmp.Or(cmp.Compare(x.a, y.a), cmp.Compare(x.b, y.b)) })
	for _, p := range pairs {
		w, g := want[p], got[p]
		switch {
		case g < w:
			rep.add(kindLost, keyOf[p], w-g, "ids %d and %d: want %d record(s), got %d", p.a, p.b, w, g)
		case g > w:
			at := extra[p]
			rep.addAt(kindDuplicated, keyOf[p], g-w, &at, "ids %d and %d: want %d record(s), got %d", p.a, p.b, w, g)
		}
	}
	rep.Keys = len(keys)
	return rep
}
