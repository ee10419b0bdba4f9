package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ksqlgo/ksql/broker"
)

// TestCampaign runs a short campaign against the real binary over the
// embedded log: five stops with both signals, one drop and recreate of an
// output, then the final checks. It asserts what the campaign found,
// never how long it took.
func TestCampaign(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end chaos campaign")
	}
	runShortCampaign(t, Config{
		// With this seed the stop delays mix short runs (stops during the
		// first commits after recovery) and runs of seconds with input
		// flowing, and the drop hits the stream-stream join CHAOS_PAIR.
		Seed: 3,
		Schedule: []Stop{
			{Signal: syscall.SIGKILL},
			{Signal: syscall.SIGTERM, Drop: true},
			{Signal: syscall.SIGKILL},
			{Signal: syscall.SIGTERM},
			{Signal: syscall.SIGKILL},
		},
	})
}

// TestCampaignKafka runs the same short campaign over Kafka: kfake in a
// helper process, `ksql server --bootstrap-servers`, input appended and
// outputs read through kafkaproto.ClientLog (read_committed), also while
// the server runs. Two restarts and the final run start on an empty state
// directory, one of them right after a SIGKILL, so that tasks restore
// their state from the changelogs.
func TestCampaignKafka(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end chaos campaign")
	}
	sum := runShortCampaign(t, Config{
		Kafka: true,
		Seed:  3,
		Schedule: []Stop{
			{Signal: syscall.SIGKILL},
			{Signal: syscall.SIGTERM, Drop: true},
			{Signal: syscall.SIGKILL, WipeState: true},
			{Signal: syscall.SIGTERM, WipeState: true},
			{Signal: syscall.SIGKILL},
		},
		FinalWipe: true,
	})
	if sum.Log != "kafka" || sum.StateWipes != 3 {
		t.Errorf("log %q with %d starts on an empty state directory, want kafka and 3", sum.Log, sum.StateWipes)
	}
}

// runShortCampaign runs a scheduled campaign of three SIGKILLs and two
// SIGTERMs with at least one drop, and fails t on anything it found.
func runShortCampaign(t *testing.T, cfg Config) *Summary {
	t.Helper()
	var log bytes.Buffer
	cfg.Rate = 200
	cfg.DrainTimeout = time.Minute
	cfg.Log = &log
	sum, err := Run(cfg)
	var out strings.Builder
	sum.Print(&out)
	t.Logf("campaign log:\n%s\nsummary:\n%s", log.String(), out.String())
	if err != nil {
		t.Fatalf("harness: %v", err)
	}
	for _, b := range sum.Bricked {
		t.Errorf("bricked start: run %d after %s: %s\n  %s", b.Run, b.After, b.Exit, strings.Join(tail(b.Stderr, 20), "\n  "))
	}
	if !sum.Checked {
		t.Fatal("the campaign ended before its final checks")
	}
	if len(sum.Bricked) == 0 && (sum.Stops["SIGKILL"] != 3 || sum.Stops["SIGTERM"] != 2) {
		t.Errorf("stops %v, want 3 SIGKILL and 2 SIGTERM", sum.Stops)
	}
	if sum.Drops < 1 {
		t.Errorf("no drop/recreate completed (%d interrupted)", sum.DropsCut)
	}
	if sum.Input == nil || sum.Input.Acked == 0 {
		t.Errorf("no input acknowledged: %+v", sum.Input)
	}
	if len(sum.Outputs) != len(outputs) {
		t.Errorf("%d outputs checked, want %d", len(sum.Outputs), len(outputs))
	}
	for _, o := range sum.Outputs {
		if o.Records == 0 {
			t.Errorf("output %s is empty", o.Name)
		}
	}
	for _, v := range sum.AllViolations() {
		t.Errorf("violation: %s", v)
	}
	return sum
}

// The checks themselves: a faithful rendering of the queries' semantics
// over a generated input passes, and each kind of fault is found and
// counted.

// fakeOutputs serves topics from memory.
type fakeOutputs map[string][]Record

func (f fakeOutputs) Read(topic string) ([]Record, error) {
	recs, ok := f[topic]
	if !ok {
		return nil, fmt.Errorf("unknown topic %s", topic)
	}
	return recs, nil
}

func (f fakeOutputs) Close() error { return nil }

// fixture is an input of n rows and the outputs a correct engine writes.
type fixture struct {
	gen    generator
	fates  map[int64]fate
	topics fakeOutputs
}

func newFixture(n int) *fixture {
	f := &fixture{gen: newGenerator(7, time.UnixMilli(1_800_000_000_000)), fates: map[int64]fate{}, topics: fakeOutputs{}}
	var parts [partitions][]row
	for id := int64(1); id <= int64(n); id++ {
		r := f.gen.row(id)
		f.fates[id] = acked
		p := broker.PartitionForKey([]byte(r.Key), partitions)
		parts[p] = append(parts[p], r)
	}
	// put appends a record to the partition of partKey.
	put := func(topic string, partKey, key []byte, value string) {
		p := broker.PartitionForKey(partKey, partitions)
		var v []byte
		if value != "" {
			v = []byte(value)
		}
		recs := f.topics[topic]
		off := int64(0)
		for _, r := range recs {
			if r.Partition == p {
				off++
			}
		}
		f.topics[topic] = append(recs, Record{Partition: p, Offset: off, Key: key, Value: v})
	}
	type total struct{ cnt, sum int64 }
	byKey := map[string]total{}
	byWin := map[string]int64{}
	for _, rows := range parts {
		for _, r := range rows {
			k := []byte(r.Key)
			put(inputTopic, k, k, string(r.jsonValue()))
			if r.Amount >= bigAmount {
				put("CHAOS_BIG", k, k, fmt.Sprintf(`{"ID":%d,"AMOUNT":%d}`, r.ID, r.Amount))
			}
			t := byKey[r.Key]
			t.cnt, t.sum = t.cnt+1, t.sum+r.Amount
			byKey[r.Key] = t
			put("CHAOS_TOT", k, k, fmt.Sprintf(`{"TOTAL":%d,"CNT":%d}`, t.sum, t.cnt))
			start := r.TS - r.TS%windowMs
			wk := binary.BigEndian.AppendUint64([]byte(r.Key), uint64(start))
			byWin[string(wk)]++
			if c := byWin[string(wk)]; c > 1 {
				put("CHAOS_WIN", k, wk, fmt.Sprintf(`{"CNT":%d}`, c))
			}
		}
	}
	// The join, as it runs: each row of a partition is processed by the
	// left side (pairing with the right side's earlier rows), then by the
	// right side (pairing with the left side's rows, itself included).
	for _, rows := range parts {
		near := func(x, y row) bool { return x.Key == y.Key && x.TS-y.TS <= pairWithinMs && y.TS-x.TS <= pairWithinMs }
		for i, r := range rows {
			k := []byte(r.Key)
			for _, b := range rows[:i] {
				if near(r, b) {
					put("CHAOS_PAIR", k, k, fmt.Sprintf(`{"AID":%d,"BID":%d}`, r.ID, b.ID))
				}
			}
			for _, a := range rows[:i+1] {
				if near(a, r) {
					put("CHAOS_PAIR", k, k, fmt.Sprintf(`{"AID":%d,"BID":%d}`, a.ID, r.ID))
				}
			}
		}
	}
	// The repartitioned query sees the four partitions interleaved.
	byGrp := map[string]total{}
	for i := 0; ; i++ {
		more := false
		for p := range parts {
			if i >= len(parts[p]) {
				continue
			}
			more = true
			r := parts[p][i]
			t := byGrp[r.Grp]
			t.cnt, t.sum = t.cnt+1, t.sum+r.Amount
			byGrp[r.Grp] = t
			put("CHAOS_GRP", []byte(r.Grp), []byte(r.Grp), fmt.Sprintf(`{"CNT":%d,"TOTAL":%d}`, t.cnt, t.sum))
		}
		if !more {
			break
		}
	}
	return f
}

// check runs the campaign's checks over the fixture's topics.
func (f *fixture) check(t *testing.T) *Summary {
	t.Helper()
	led := newLedger()
	for id, ft := range f.fates {
		led.set(id, ft)
	}
	c := &campaign{gen: f.gen, led: led, sum: &Summary{Notes: newNotes(), Checked: true}}
	if err := c.checkOutputs(f.topics); err != nil {
		t.Fatal(err)
	}
	return c.sum
}

func (f *fixture) report(t *testing.T, s *Summary, name string) *outputReport {
	t.Helper()
	for _, o := range s.Outputs {
		if o.Name == name {
			return o
		}
	}
	t.Fatalf("no report for %s", name)
	return nil
}

// keyRecords returns the indexes of a topic's records with the given key.
func (f *fixture) keyRecords(topic, key string) []int {
	var out []int
	for i, r := range f.topics[topic] {
		if string(r.Key) == key {
			out = append(out, i)
		}
	}
	return out
}

func TestChecksAcceptCorrectOutput(t *testing.T) {
	f := newFixture(600)
	s := f.check(t)
	for _, v := range s.AllViolations() {
		t.Errorf("violation on a correct output: %s", v)
	}
	if len(s.Outputs) != len(outputs) {
		t.Fatalf("%d outputs checked", len(s.Outputs))
	}
	for _, o := range s.Outputs {
		if o.Records == 0 || o.Keys == 0 {
			t.Errorf("%s: %d records, %d keys", o.Name, o.Records, o.Keys)
		}
	}
}

func TestChecksFindFaults(t *testing.T) {
	type counts struct{ lost, dup, ooo, wrong, unexpected int }
	tests := []struct {
		name   string
		topic  string
		fault  func(f *fixture)
		want   counts
		detail string // a substring of the first violation
	}{
		{
			name: "filter record duplicated", topic: "CHAOS_BIG",
			fault: func(f *fixture) {
				recs := f.topics["CHAOS_BIG"]
				f.topics["CHAOS_BIG"] = slices.Insert(recs, 5, recs[3])
			},
			want:   counts{dup: 1, ooo: 0},
			detail: "want 1 record(s), got 2",
		},
		{
			name: "filter record lost", topic: "CHAOS_BIG",
			fault: func(f *fixture) {
				f.topics["CHAOS_BIG"] = slices.Delete(f.topics["CHAOS_BIG"], 10, 11)
			},
			want:   counts{lost: 1},
			detail: "want 1 record(s), got 0",
		},
		{
			name: "filter records of one key swapped", topic: "CHAOS_BIG",
			fault: func(f *fixture) {
				idx := f.keyRecords("CHAOS_BIG", "k03")
				recs := f.topics["CHAOS_BIG"]
				recs[idx[1]], recs[idx[2]] = recs[idx[2]], recs[idx[1]]
			},
			want:   counts{ooo: 1},
			detail: "inversion",
		},
		{
			name: "totals reprocessed after a crash", topic: "CHAOS_TOT",
			fault: func(f *fixture) {
				// updates 5, 6, 7 written twice: 1..7, 5, 6, 7, 8..n
				idx := f.keyRecords("CHAOS_TOT", "k05")
				recs := f.topics["CHAOS_TOT"]
				again := []Record{recs[idx[4]], recs[idx[5]], recs[idx[6]]}
				f.topics["CHAOS_TOT"] = slices.Insert(recs, idx[6]+1, again...)
			},
			want:   counts{dup: 3, ooo: 1},
			detail: "3 value(s) repeated",
		},
		{
			name: "totals update lost", topic: "CHAOS_TOT",
			fault: func(f *fixture) {
				idx := f.keyRecords("CHAOS_TOT", "k01")
				f.topics["CHAOS_TOT"] = slices.Delete(f.topics["CHAOS_TOT"], idx[3], idx[3]+1)
			},
			want:   counts{lost: 1},
			detail: "1 value(s) missing",
		},
		{
			name: "totals sum wrong", topic: "CHAOS_TOT",
			fault: func(f *fixture) {
				idx := f.keyRecords("CHAOS_TOT", "k02")
				r := &f.topics["CHAOS_TOT"][idx[2]]
				r.Value = bytes.Replace(r.Value, []byte(`"TOTAL":`), []byte(`"TOTAL":1`), 1)
			},
			want:   counts{wrong: 1},
			detail: "want TOTAL",
		},
		{
			name: "groups final update lost", topic: "CHAOS_GRP",
			fault: func(f *fixture) {
				idx := f.keyRecords("CHAOS_GRP", "g1")
				last := idx[len(idx)-1]
				f.topics["CHAOS_GRP"] = slices.Delete(f.topics["CHAOS_GRP"], last, last+1)
			},
			want:   counts{lost: 1, wrong: 1},
			detail: "1 value(s) missing",
		},
		{
			name: "window tombstone", topic: "CHAOS_WIN",
			fault: func(f *fixture) {
				recs := f.topics["CHAOS_WIN"]
				tomb := recs[0]
				tomb.Value = nil
				f.topics["CHAOS_WIN"] = slices.Insert(recs, 1, tomb)
			},
			want:   counts{unexpected: 1},
			detail: "tombstone",
		},
		{
			name: "join pair repeated", topic: "CHAOS_PAIR",
			fault: func(f *fixture) {
				recs := f.topics["CHAOS_PAIR"]
				f.topics["CHAOS_PAIR"] = slices.Insert(recs, 7, recs[2])
			},
			want:   counts{dup: 1},
			detail: "want 1 record(s), got 2",
		},
		{
			name: "join pair lost", topic: "CHAOS_PAIR",
			fault: func(f *fixture) {
				f.topics["CHAOS_PAIR"] = slices.Delete(f.topics["CHAOS_PAIR"], 4, 5)
			},
			want:   counts{lost: 1},
			detail: "want 1 record(s), got 0",
		},
		{
			name: "join pair out of the window", topic: "CHAOS_PAIR",
			fault: func(f *fixture) {
				// A row of k03 paired with a row of k03 far from it in time.
				idx := f.keyRecords(inputTopic, "k03")
				var a, b inputValue
				json.Unmarshal(f.topics[inputTopic][idx[0]].Value, &a)
				for _, i := range idx[1:] {
					json.Unmarshal(f.topics[inputTopic][i].Value, &b)
					if b.TS-a.TS > pairWithinMs || a.TS-b.TS > pairWithinMs {
						break
					}
				}
				recs := f.topics["CHAOS_PAIR"]
				r := recs[0]
				r.Key, r.Value = []byte("k03"), fmt.Appendf(nil, `{"AID":%d,"BID":%d}`, a.ID, b.ID)
				f.topics["CHAOS_PAIR"] = append(recs, r)
			},
			want:   counts{unexpected: 1},
			detail: "not rows of one key within",
		},
		{
			name: "window count repeated", topic: "CHAOS_WIN",
			fault: func(f *fixture) {
				recs := f.topics["CHAOS_WIN"]
				f.topics["CHAOS_WIN"] = slices.Insert(recs, 1, recs[0])
			},
			want:   counts{dup: 1},
			detail: "repeated",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(600)
			tc.fault(f)
			s := f.check(t)
			o := f.report(t, s, tc.topic)
			got := counts{o.Lost, o.Duplicated, o.OutOfOrder, o.Wrong, o.Unexpected}
			if got != tc.want {
				t.Errorf("counts %+v, want %+v; violations:\n%s", got, tc.want, violationList(s))
			}
			if len(o.Violations) == 0 || !strings.Contains(o.Violations[0].Detail, tc.detail) {
				t.Errorf("first violation does not mention %q:\n%s", tc.detail, violationList(s))
			}
			for _, v := range s.AllViolations() {
				if v.Where != tc.topic {
					t.Errorf("violation outside %s: %s", tc.topic, v)
				}
			}
		})
	}
}

func TestChecksFindLostInput(t *testing.T) {
	f := newFixture(200)
	// id 17 was acknowledged but is not in the input; id 18 is unknown and
	// absent, id 19 unknown and present: neither of those is a violation.
	recs := f.topics[inputTopic]
	for i, r := range recs {
		if bytes.Contains(r.Value, []byte(`"ID":17,`)) {
			f.topics[inputTopic] = slices.Delete(recs, i, i+1)
			break
		}
	}
	f.fates[18], f.fates[19] = unknown, unknown
	f.topics[inputTopic] = slices.DeleteFunc(f.topics[inputTopic], func(r Record) bool {
		return bytes.Contains(r.Value, []byte(`"ID":18,`))
	})
	s := f.check(t)
	if s.Input.Unknown != 2 || s.Input.UnknownPresent != 1 {
		t.Errorf("unknown %d (present %d), want 2 (present 1)", s.Input.Unknown, s.Input.UnknownPresent)
	}
	var inputViolations []Violation
	for _, v := range s.AllViolations() {
		if v.Where == "input" {
			inputViolations = append(inputViolations, v)
		}
	}
	if len(inputViolations) != 1 || inputViolations[0].Kind != kindLost || !strings.Contains(inputViolations[0].Detail, "id 17") {
		t.Errorf("input violations %v, want id 17 lost", inputViolations)
	}
}

func violationList(s *Summary) string {
	var b strings.Builder
	for _, v := range s.AllViolations() {
		fmt.Fprintf(&b, "  %s\n", v)
	}
	return b.String()
}
