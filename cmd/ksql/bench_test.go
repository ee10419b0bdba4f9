package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/cmd/ksql/internal/nexmark"
)

// Tests of `ksql datagen` and `ksql bench` through the real binary. They
// check counts, contents and answers, never timings.

func runKsql(t *testing.T, args ...string) (stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, ksqlBinary, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("ksql %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String(), errb.String()
}

// readTopic reads a whole topic, partition by partition.
func readTopic(t *testing.T, lg broker.Log, topic string) [][]broker.Record {
	t.Helper()
	ctx := context.Background()
	info, err := lg.Topic(ctx, topic)
	if err != nil {
		t.Fatalf("topic %s: %v", topic, err)
	}
	out := make([][]broker.Record, info.Config.Partitions)
	for p := range out {
		if out[p], err = broker.ReadAll(ctx, lg, topic, int32(p), 0, broker.ReadCommitted, 0); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func TestDatagenIntoDataDir(t *testing.T) {
	dir := t.TempDir()
	out, _ := runKsql(t, "datagen", "--data-dir", dir, "--streams", "person,auction,bid,authorization", "--count", "5000", "--seed", "3", "--cards", "50", "--base-time", "1767225600000")
	if !strings.Contains(out, "wrote 10000 records") {
		t.Errorf("datagen said:\n%s", out)
	}
	// 5,000 Nexmark events (1:3:46) and 5,000 authorizations.
	want := map[string]int{"person": 100, "auction": 300, "bid": 4600, "authorization_attempts": 5000}
	lg := embeddedLog{dir}.open(t)
	values := map[string][]string{}
	for topic, n := range want {
		parts := readTopic(t, lg, topic)
		if len(parts) != 2 {
			t.Fatalf("%s has %d partitions, want 2", topic, len(parts))
		}
		if d := len(parts[0]) - len(parts[1]); topic != "person" && (d < 0 || d > 1) {
			t.Errorf("%s: partitions hold %d and %d records; record i goes to partition i mod 2", topic, len(parts[0]), len(parts[1]))
		}
		for p, recs := range parts {
			for _, r := range recs {
				var m map[string]any
				if err := json.Unmarshal(r.Value, &m); err != nil {
					t.Fatalf("%s-%d: %v: %s", topic, p, err, r.Value)
				}
				if dt, ok := m["dateTime"].(float64); ok && int64(dt) != r.Timestamp {
					t.Fatalf("%s: dateTime %v is not the record's time %d", topic, dt, r.Timestamp)
				}
				// Persons are keyed by id (a table's key), in its partition;
				// the others have no key.
				if topic == "person" {
					if len(r.Key) != 8 || int64(binary.BigEndian.Uint64(r.Key)) != int64(m["id"].(float64)) || broker.PartitionForKey(r.Key, 2) != int32(p) {
						t.Fatalf("person %v in partition %d has key %x", m["id"], p, r.Key)
					}
				} else if r.Key != nil {
					t.Fatalf("%s-%d: a key %x", topic, p, r.Key)
				}
				if topic == "authorization_attempts" {
					c := int64(m["card_number"].(float64))
					if c < nexmark.FirstCardNumber || c >= nexmark.FirstCardNumber+50 {
						t.Fatalf("card %d not one of --cards 50", c)
					}
				}
				values[topic] = append(values[topic], string(r.Value))
			}
		}
		if got := len(values[topic]); got != n {
			t.Errorf("%s: %d records, want %d", topic, got, n)
		}
	}
	lg.Close()

	// The same seed and base time give the same records; the bids alone
	// are the same bids.
	dir2 := t.TempDir()
	runKsql(t, "datagen", "--data-dir", dir2, "--streams", "bid", "--count", "4600", "--seed", "3", "--base-time", "1767225600000")
	lg2 := embeddedLog{dir2}.open(t)
	defer lg2.Close()
	var bids []string
	for _, recs := range readTopic(t, lg2, "bid") {
		for _, r := range recs {
			bids = append(bids, string(r.Value))
		}
	}
	if strings.Join(bids, "\n") != strings.Join(values["bid"], "\n") {
		t.Error("datagen --streams bid --seed 3 did not give the bids of the first run")
	}
}

func TestDatagenRateWallClock(t *testing.T) {
	dir := t.TempDir()
	before := time.Now().UnixMilli()
	runKsql(t, "datagen", "--data-dir", dir, "--streams", "authorization", "--topic", "cards", "--rate", "2000", "--duration", "1s", "--partitions", "3")
	after := time.Now().UnixMilli()
	lg := embeddedLog{dir}.open(t)
	defer lg.Close()
	parts := readTopic(t, lg, "cards")
	if len(parts) != 3 {
		t.Fatalf("%d partitions, want 3", len(parts))
	}
	n := 0
	for _, recs := range parts {
		for _, r := range recs {
			n++
			if r.Timestamp < before || r.Timestamp > after {
				t.Fatalf("record time %d is not the wall clock of the run (%d..%d)", r.Timestamp, before, after)
			}
		}
	}
	// The rate is a schedule: 2,000 records in the second, all of them
	// written by the end whatever the machine's speed.
	if n != 2000 {
		t.Errorf("%d records, want 2000", n)
	}
}

func TestDatagenIntoKafka(t *testing.T) {
	k := newKafkaCluster(t)
	runKsql(t, "datagen", "--bootstrap-servers", k.addr, "--streams", "bid", "--count", "1000")
	lg := k.open(t)
	defer lg.Close()
	n := 0
	for _, recs := range readTopic(t, lg, "bid") {
		n += len(recs)
	}
	if n != 1000 {
		t.Errorf("%d bids in the cluster, want 1000", n)
	}
}

// expectedAnswers computes, from the generator directly, what the
// queries must output for the first n records of a stream: the number
// of records of q0, q1 and q2, and the number of keys (group, window) of
// the tables.
func expectedAnswers(n int64, eventRate float64, baseTime int64) map[string]int64 {
	g := nexmark.New(nexmark.Config{Seed: 1, EventRate: eventRate, BaseTime: baseTime})
	want := map[string]int64{"q0": n, "q1": n}
	q5, q7 := map[[2]int64]bool{}, map[int64]bool{}
	for i, bids := int64(0), int64(0); bids < n; i++ {
		if nexmark.KindOf(i) != nexmark.Bid {
			continue
		}
		bids++
		b := g.Bid(i, g.Timestamp(i))
		if b.Auction%123 == 0 {
			want["q2"]++
		}
		for s := (b.DateTime - 10_000 + 2_000) / 2_000 * 2_000; s <= b.DateTime; s += 2_000 {
			q5[[2]int64{b.Auction, s}] = true
		}
		q7[b.DateTime/10_000] = true
	}
	want["q5"], want["q7"] = int64(len(q5)), int64(len(q7))
	// q3 and q8 read n records of persons and auctions (bids skipped),
	// with every seller an earlier person.
	j := nexmark.New(nexmark.Config{Seed: 1, EventRate: eventRate, BaseTime: baseTime, PastSellers: true})
	type person struct {
		state string
		ts    int64
	}
	persons := map[int64]person{}
	q8 := map[[2]int64]bool{}
	for i, recs := int64(0), int64(0); recs < n; i++ {
		switch nexmark.KindOf(i) {
		case nexmark.Person:
			p := j.Person(i, j.Timestamp(i))
			persons[p.ID] = person{p.State, p.DateTime}
		case nexmark.Auction:
			a := j.Auction(i, j.Timestamp(i))
			p, ok := persons[a.Seller]
			if !ok {
				break
			}
			if a.Category == 10 && (p.state == "OR" || p.state == "ID" || p.state == "CA") {
				want["q3"]++
			}
			if p.ts/10_000 == a.DateTime/10_000 {
				want["q8-pairs"]++
				q8[[2]int64{a.Seller, p.ts / 10_000}] = true
			}
		default:
			continue
		}
		recs++
	}
	want["q8"] = int64(len(q8))
	for name, cards := range map[string]int64{"fraud-10k": 10_000, "fraud-1m": 1_000_000} {
		c := nexmark.NewCards(nexmark.CardConfig{Seed: 1, Cards: cards, EventRate: eventRate, BaseTime: baseTime})
		counts := map[[2]int64]int{}
		for i := int64(0); i < n; i++ {
			a := c.Attempt(i, c.Timestamp(i))
			counts[[2]int64{a.CardNumber, a.DateTime / 300_000}]++
		}
		for _, v := range counts {
			if v > 3 {
				want[name]++
			}
		}
	}
	return want
}

func TestBenchTiny(t *testing.T) {
	const events = 2000
	// 100 events per second of event time: 20 s, so that the windowed
	// queries see several windows.
	out, stderr := runKsql(t, "bench", "--events", "2000", "--event-rate", "100", "--runs", "1", "--json", "--dir", t.TempDir(),
		"--latency-queries", "q0", "--latency-commit-intervals", "100ms", "--latency-duration", "1s", "--latency-rate", "2000")
	var rep benchReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("not a JSON report: %v\n%s\nstderr:\n%s", err, out, stderr)
	}
	want := expectedAnswers(events, 100, rep.BaseTime)
	t.Logf("expected outputs (records or table keys): %v", want)
	if rep.Events != events || rep.Runs != 1 || len(rep.Queries) != 10 {
		t.Fatalf("report of %d events, %d runs, %d queries", rep.Events, rep.Runs, len(rep.Queries))
	}
	for _, q := range rep.Queries {
		if q.Skip != "" {
			t.Errorf("%s skipped: %s", q.Name, q.Skip)
			continue
		}
		if len(q.Runs) != 1 || q.Runs[0].Engine == nil || q.Runs[0].Loop == nil {
			t.Fatalf("%s: runs %+v", q.Name, q.Runs)
		}
		if !q.SameAnswer {
			t.Errorf("%s: the engine and the loop disagree: %v", q.Name, q.Runs[0].Errors)
		}
		for _, r := range []*childResult{q.Runs[0].Engine, q.Runs[0].Loop} {
			if r.Events != events || r.CPUSeconds <= 0 || r.WallSeconds <= 0 || r.EventsCPU <= 0 || r.PeakRSS < 1<<20 || r.Answer == nil {
				t.Errorf("%s %s: implausible report %+v", q.Name, r.Impl, r)
				continue
			}
			got := r.Answer.Records
			if bq, _ := findBenchQuery(q.Name); bq.Table {
				got = r.Answer.Keys
			}
			if got != want[q.Name] {
				t.Errorf("%s %s: %d outputs (records, or keys of a table), want %d", q.Name, r.Impl, got, want[q.Name])
			}
		}
		if q.Ratio <= 0 || q.EngineEventsCPU <= 0 || q.LoopEventsCPU <= 0 {
			t.Errorf("%s: medians missing: %+v", q.Name, q)
		}
		if q.Name == "q0" {
			if len(q.Latency) != 1 {
				t.Fatalf("q0: latency %+v, errors %v", q.Latency, q.LatencyErrors)
			}
			l := q.Latency[0]
			if l.CommitMs != 100 || l.Samples == 0 || l.P99Ms < l.P50Ms || l.MaxMs < l.P99Ms || l.Unfinished != 0 {
				t.Errorf("q0 latency: %+v", l)
			}
		} else if len(q.Latency) != 0 {
			t.Errorf("%s: latency measured but not asked for", q.Name)
		}
	}
	if rep.LoadBefore == "" || rep.Machine == "" {
		t.Errorf("machine and load average missing: %+v", rep)
	}
}

func TestBenchTable(t *testing.T) {
	out, _ := runKsql(t, "bench", "--events", "1000", "--runs", "2", "--queries", "q2,q3", "--latency=false", "--dir", t.TempDir())
	for _, want := range []string{"engine ev/cpu-s", "loop ev/cpu-s", "engine/loop", "q2", "q3", "same", "every run", "load average"} {
		if !strings.Contains(out, want) {
			t.Errorf("the table has no %q:\n%s", want, out)
		}
	}
}

// TestFeederReplay: a latency run's feeder replays records generated
// before the run, in a cycle, each with the given time as its record
// time and in place of its dateTime digits, and otherwise unchanged.
func TestFeederReplay(t *testing.T) {
	ctx := context.Background()
	lg := embeddedLog{t.TempDir()}.open(t)
	defer lg.Close()
	f, err := newFeeder(ctx, lg, genSpec{Streams: []string{streamBid, streamAuthorization}, Partitions: 1, Seed: 5, Cards: 10, EventRate: 1000, WallTime: true}, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	const pool = 7
	if err := f.pregenerate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	if len(f.pool) != 2*pool {
		t.Fatalf("pool of %d records, want %d", len(f.pool), 2*pool)
	}
	const base = int64(1_767_225_600_000)
	for i := 0; i < 3*len(f.pool); i++ {
		if err := f.replay(ctx, base+int64(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.flush(ctx); err != nil {
		t.Fatal(err)
	}
	bids := readTopic(t, lg, streamBid)[0]
	cards := readTopic(t, lg, authorizationTopic)[0]
	if len(bids) != 3*pool || len(cards) != 3*pool {
		t.Fatalf("%d bids and %d authorizations, want %d each", len(bids), len(cards), 3*pool)
	}
	for i, r := range bids {
		ts := base + int64(2*i) // bids and authorizations alternate in the pool
		var v map[string]any
		if err := json.Unmarshal(r.Value, &v); err != nil {
			t.Fatalf("bid %d: %v: %s", i, err, r.Value)
		}
		if r.Timestamp != ts || v["dateTime"] != float64(ts) {
			t.Errorf("bid %d: time %d, dateTime %v, want %d", i, r.Timestamp, v["dateTime"], ts)
		}
		first := bids[i%pool]
		same := bytes.Replace(first.Value, []byte(strconv.FormatInt(first.Timestamp, 10)), []byte(strconv.FormatInt(ts, 10)), 1)
		if !bytes.Equal(same, r.Value) {
			t.Errorf("bid %d is not bid %d with another time:\n%s\n%s", i, i%pool, r.Value, first.Value)
		}
	}
	for i, r := range cards {
		if want := base + int64(2*i+1); r.Timestamp != want || !bytes.Equal(r.Value, cards[i%pool].Value) {
			t.Errorf("authorization %d: time %d (want %d), value %s (want %s)", i, r.Timestamp, want, r.Value, cards[i%pool].Value)
		}
	}
}
