package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"syscall"
	"testing"
	"time"

	"github.com/ksqlgo/ksql/broker"
)

// Joins end to end, through the real binary, with kill -9 at random
// points while input flows: testdata/joins/joins.sql runs headless a
// stream-table LEFT JOIN with a WHERE (ENRICHED) and a stream-stream
// INNER JOIN WITHIN 10 SECONDS (CONFIRMED), over three co-partitioned
// inputs of three partitions each (three tasks per query, each reading
// partition p of both its inputs). The output after all the kills and
// restarts must be exactly the model's, every record exactly once.
//
// Why the expected output is well defined whatever interleaving of the
// two inputs of a task the engine chooses (it merges what one poll
// fetched by event time, and where a poll's batches end depends on what
// was there, so it differs from run to run and after each restart):
//
//   - Stream-table. A transaction joins the card as the table holds it
//     when the transaction is processed. The input is written in phases,
//     the server stopped in between: card updates only (phase 0), then
//     transactions and checks only (phase 1), then card updates only
//     (phase 2), then transactions and checks only (phase 3). Each phase
//     is processed to the end (every task's committed position at the
//     end of every input) before the next is written. So every
//     transaction of phase 1 sees the table after phase 0, every one of
//     phase 3 the table after phase 2, however the engine interleaves
//     the inputs within a phase and wherever the kills land. A card's
//     transactions are in one partition, in offset order, and the join
//     keeps that order: ENRICHED is compared per card as a sequence.
//   - Stream-stream. Every (transaction, check) pair of a card at most
//     ten seconds apart joins, whichever of the two is processed later.
//     The grace period (1 day) is far longer than the span of event time
//     of the whole input (a little over two hours), so no record is ever late or
//     expired: the set of pairs does not depend on the interleaving, but
//     the order in which they come out does (a pair is emitted when its
//     second record is processed). CONFIRMED is compared per card as a
//     multiset: each pair exactly once, nothing else. Each input is
//     written in event-time order anyway, as a producer would.
//
// Each phase is run with two kill -9s at random points (a random
// fraction of the phase's input committed) and a final start that runs
// until every input is processed and ends with SIGTERM; the test requires
// at least three of the kills to land with input still to process. It
// runs over the embedded log and over Kafka; over Kafka the restart
// after each phase's first kill also loses the state directory, so the
// join stores are restored from their changelogs.

const (
	joinsQueries   = "../../testdata/joins/joins.sql"
	joinPartitions = 3
	joinCards      = 1500 // cards c0000 .. c1499 exist in the table at some point
	joinUnknown    = 100  // cards c1500 .. c1599 are used by transactions but never exist
	joinTxns       = 25000
	joinWithinMs   = 10_000
	// joinBase is the event time of phase 0; phases 1 and 3 span half an
	// hour each after it.
	joinBase = int64(1_700_000_000_000)
)

// cardUpdate is one record of the cards topic: a row, or a tombstone.
type cardUpdate struct {
	card   string
	holder string
	credit int64
	status string
	tomb   bool
	ts     int64
}

type joinTxn struct {
	card           string
	id, amount, ts int64
}

type joinCheck struct {
	card         string
	id, code, ts int64
}

// joinPhase is what one phase appends.
type joinPhase struct {
	cards  []cardUpdate
	txns   []joinTxn
	checks []joinCheck
}

func cardName(i int) string { return fmt.Sprintf("c%04d", i) }

// generateJoinPhases makes the four phases of the workload,
// deterministically.
func generateJoinPhases(seed int64) []joinPhase {
	rng := rand.New(rand.NewSource(seed))
	version := make([]int, joinCards)
	update := func(i int, ts int64) cardUpdate {
		version[i]++
		status := "OK"
		if rng.Intn(8) == 0 {
			status = "BLOCKED"
		}
		return cardUpdate{card: cardName(i), holder: fmt.Sprintf("h%04d-v%d", i, version[i]), credit: int64(100*version[i] + i%50), status: status, ts: ts}
	}
	tomb := func(i int, ts int64) cardUpdate { return cardUpdate{card: cardName(i), tomb: true, ts: ts} }

	// Phase 0: 90% of the cards get one to six versions; a tenth of
	// those is then deleted.
	var p0 joinPhase
	ts := joinBase
	for i := range joinCards {
		if rng.Intn(10) == 0 {
			continue
		}
		for range 1 + rng.Intn(6) {
			p0.cards = append(p0.cards, update(i, ts))
			ts++
		}
		if rng.Intn(10) == 0 {
			p0.cards = append(p0.cards, tomb(i, ts))
			ts++
		}
	}
	// Phase 2: a new version for 40% of the cards (new cards included),
	// a tombstone for 5%.
	var p2 joinPhase
	ts = joinBase + 90*60*1000
	for i := range joinCards {
		switch r := rng.Intn(20); {
		case r < 8:
			p2.cards = append(p2.cards, update(i, ts))
		case r == 8:
			p2.cards = append(p2.cards, tomb(i, ts))
		default:
			continue
		}
		ts++
	}
	nextID := int64(1)
	traffic := func(from int64) joinPhase {
		var p joinPhase
		const span = 30 * 60 * 1000
		for range joinTxns {
			c := cardName(rng.Intn(joinCards + joinUnknown))
			tx := joinTxn{card: c, id: nextID, amount: 1 + rng.Int63n(1000), ts: from + rng.Int63n(span)}
			nextID++
			p.txns = append(p.txns, tx)
			if rng.Intn(10) < 7 { // the check of this transaction
				p.checks = append(p.checks, joinCheck{card: c, id: nextID, code: rng.Int63n(100), ts: tx.ts - 8000 + rng.Int63n(16001)})
				nextID++
			}
			if rng.Intn(10) < 2 { // a check of some card at some time
				p.checks = append(p.checks, joinCheck{card: cardName(rng.Intn(joinCards + joinUnknown)), id: nextID, code: rng.Int63n(100), ts: from + rng.Int63n(span)})
				nextID++
			}
		}
		sort.SliceStable(p.txns, func(i, j int) bool { return p.txns[i].ts < p.txns[j].ts })
		sort.SliceStable(p.checks, func(i, j int) bool { return p.checks[i].ts < p.checks[j].ts })
		return p
	}
	p1 := traffic(joinBase + 60*60*1000)
	p3 := traffic(joinBase + 100*60*1000)
	return []joinPhase{p0, p1, p2, p3}
}

// enrichedRow is one expected or actual ENRICHED record.
type enrichedRow struct {
	ID, Amount int64
	Holder     *string
	Credit     *int64
}

func (r enrichedRow) String() string {
	h, c := "null", "null"
	if r.Holder != nil {
		h = *r.Holder
	}
	if r.Credit != nil {
		c = fmt.Sprint(*r.Credit)
	}
	return fmt.Sprintf("{id %d amount %d holder %s credit %s}", r.ID, r.Amount, h, c)
}

type joinPair struct{ tid, kid int64 }

// joinModel is the expected output: ENRICHED per card in order, CONFIRMED
// per card as a multiset of pairs (each pair once).
type joinModel struct {
	enriched  map[string][]enrichedRow
	confirmed map[string]map[joinPair]int
	pairs     int
	// blocked counts the transactions the WHERE drops, padded those
	// without a card.
	blocked, padded int
}

func expectedJoins(phases []joinPhase) joinModel {
	m := joinModel{enriched: map[string][]enrichedRow{}, confirmed: map[string]map[joinPair]int{}}
	table := map[string]cardUpdate{}
	var txns []joinTxn
	var checks []joinCheck
	for _, ph := range phases {
		for _, u := range ph.cards {
			if u.tomb {
				delete(table, u.card)
			} else {
				table[u.card] = u
			}
		}
		for _, tx := range ph.txns {
			r := enrichedRow{ID: tx.id, Amount: tx.amount}
			if c, ok := table[tx.card]; ok {
				if c.status == "BLOCKED" {
					m.blocked++
					continue
				}
				h, cr := c.holder, c.credit
				r.Holder, r.Credit = &h, &cr
			} else {
				m.padded++
			}
			m.enriched[tx.card] = append(m.enriched[tx.card], r)
		}
		txns = append(txns, ph.txns...)
		checks = append(checks, ph.checks...)
	}
	byCard := map[string][]joinCheck{}
	for _, k := range checks {
		byCard[k.card] = append(byCard[k.card], k)
	}
	for _, tx := range txns {
		for _, k := range byCard[tx.card] {
			if d := tx.ts - k.ts; d >= -joinWithinMs && d <= joinWithinMs {
				if m.confirmed[tx.card] == nil {
					m.confirmed[tx.card] = map[joinPair]int{}
				}
				m.confirmed[tx.card][joinPair{tx.id, k.id}]++
				m.pairs++
			}
		}
	}
	return m
}

// createJoinTopics creates the three input topics.
func createJoinTopics(t *testing.T, fl fraudLog) {
	t.Helper()
	lg := fl.open(t)
	defer lg.Close()
	for _, name := range []string{"cards", "txns", "checks"} {
		if err := lg.CreateTopic(context.Background(), name, broker.TopicConfig{Partitions: joinPartitions}); err != nil {
			t.Fatal(err)
		}
	}
}

// appendJoinPhase appends a phase's records, keyed by card (KAFKA format:
// the string's bytes) on the partition Kafka's default partitioner picks,
// with JSON values.
func appendJoinPhase(t *testing.T, fl fraudLog, ph joinPhase) {
	t.Helper()
	lg := fl.open(t)
	defer lg.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	type batchKey struct {
		topic string
		p     int32
	}
	batches := map[batchKey][]broker.Record{}
	var order []batchKey
	add := func(topic, card string, value []byte, ts int64) {
		k := batchKey{topic, broker.PartitionForKey([]byte(card), joinPartitions)}
		if _, ok := batches[k]; !ok {
			order = append(order, k)
		}
		batches[k] = append(batches[k], broker.Record{Key: []byte(card), Value: value, Timestamp: ts})
		if len(batches[k]) == 500 {
			if _, err := lg.Append(ctx, k.topic, k.p, batches[k]); err != nil {
				t.Fatal(err)
			}
			batches[k] = batches[k][:0]
		}
	}
	for _, u := range ph.cards {
		var v []byte
		if !u.tomb {
			v, _ = json.Marshal(map[string]any{"HOLDER": u.holder, "CREDIT": u.credit, "STATUS": u.status})
		}
		add("cards", u.card, v, u.ts)
	}
	for _, tx := range ph.txns {
		add("txns", tx.card, fmt.Appendf(nil, `{"ID":%d,"AMOUNT":%d}`, tx.id, tx.amount), tx.ts)
	}
	for _, k := range ph.checks {
		add("checks", k.card, fmt.Appendf(nil, `{"ID":%d,"CODE":%d}`, k.id, k.code), k.ts)
	}
	for _, k := range order {
		if len(batches[k]) > 0 {
			if _, err := lg.Append(ctx, k.topic, k.p, batches[k]); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// joinLag is the server's /lag report summed over every task and input
// of the two queries: ok when both queries run.
func (s *server) joinLag(t *testing.T) (committed, end int64, ok bool) {
	resp, err := http.Get("http://" + s.addr + "/lag")
	if err != nil {
		return 0, 0, false
	}
	defer resp.Body.Close()
	var r lagReport
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatalf("bad /lag response: %v", err)
	}
	if len(r.Queries) != 2 {
		return 0, 0, false
	}
	for _, q := range r.Queries {
		if len(q.Tasks) == 0 {
			return 0, 0, false
		}
		for _, tk := range q.Tasks {
			committed += tk.Committed
			end += tk.End
		}
	}
	return committed, end, true
}

// waitJoinProgress polls /lag until cond(committed, end) holds, at most
// three minutes.
func (s *server) waitJoinProgress(t *testing.T, what string, cond func(committed, end int64) bool) (committed, end int64) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		select {
		case err := <-s.done:
			t.Fatalf("server exited while waiting for %s: %v\n%s", what, err, s.logs)
		default:
		}
		if c, e, ok := s.joinLag(t); ok && cond(c, e) {
			return c, e
		}
		time.Sleep(5 * time.Millisecond) // polling interval, not a wait for a result
	}
	t.Fatalf("timed out waiting for %s\n%s", what, s.logs)
	return 0, 0
}

func TestJoinsHeadlessKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	t.Run("embedded", func(t *testing.T) {
		joinKills(t, false, func(dataDir string) fraudLog { return embeddedLog{dataDir} })
	})
	// Over Kafka (this project's listener in the test process, as the
	// fraud test: see there why not kfake), the restart after each
	// phase's first kill begins on an empty state directory: the tasks
	// restore the join's stores (the materialized cards, the two window
	// stores) from their changelog topics, or the output differs.
	t.Run("kafka", func(t *testing.T) {
		joinKills(t, true, func(string) fraudLog { return newKafkaCluster(t) })
	})
}

// joinKills runs the four phases with kill -9s in each (two in the card
// phases, three in the traffic phases) and checks the
// outputs against the model.
func joinKills(t *testing.T, wipe bool, newLog func(dataDir string) fraudLog) {
	phases := generateJoinPhases(7)
	want := expectedJoins(phases)
	if want.blocked < 100 || want.padded < 100 || want.pairs < 1000 {
		t.Fatalf("workload too small: %d transactions of blocked cards, %d null-padded, %d pairs", want.blocked, want.padded, want.pairs)
	}
	seed := time.Now().UnixNano()
	t.Logf("kill points from seed %d; %d expected CONFIRMED pairs", seed, want.pairs)
	rng := rand.New(rand.NewSource(seed))
	dir := t.TempDir()
	fl := newLog(dir)
	createJoinTopics(t, fl)
	flowing := 0
	// done is the input committed (summed over every task and input of
	// both queries) when the previous phase ended: a kill point is a
	// random fraction of what remains past it and past the last kill, so
	// that a kill never comes merely because a restarted task has not
	// reported its restored position yet.
	done := int64(0)
	for i, ph := range phases {
		appendJoinPhase(t, fl, ph)
		from := done
		// The card-only phases are small: their kills mostly land once
		// they are processed. The traffic phases get three kills, each
		// within the first half of what is left, so that most land with
		// input still to process.
		kills, span := 2, 0.8
		if i%2 == 1 {
			kills, span = 3, 0.4
		}
		for kill := 0; kill < kills; kill++ {
			s := startServerWith(t, joinsQueries, dir, fl.serverArgs()...)
			frac := 0.1 + span*rng.Float64()
			var target int64 = -1
			c, e := s.waitJoinProgress(t, "the kill point", func(c, e int64) bool {
				if target < 0 {
					target = from + max(1, int64(frac*float64(e-from)))
				}
				return c >= target || c == e
			})
			s.stop(t, syscall.SIGKILL)
			if c < e {
				flowing++
			}
			from = max(from, c)
			if wipe && kill == 0 {
				if err := os.RemoveAll(filepath.Join(dir, "state")); err != nil {
					t.Fatal(err)
				}
			}
			t.Logf("phase %d: kill -9 #%d at %d of %d input records committed (target %d)", i, kill+1, c, e, target)
		}
		s := startServerWith(t, joinsQueries, dir, fl.serverArgs()...)
		done, _ = s.waitJoinProgress(t, "the phase processed", func(c, e int64) bool { return c == e })
		if err := s.stop(t, syscall.SIGTERM); err != nil {
			t.Fatalf("server exited with %v after SIGTERM\n%s", err, s.logs)
		}
	}
	if flowing < 3 {
		t.Errorf("only %d kill(s) landed with input still to process, want at least 3", flowing)
	}
	checkEnriched(t, readSinkRecords(t, fl, "ENRICHED"), want)
	checkConfirmed(t, readSinkRecords(t, fl, "CONFIRMED"), want)
}

// readSinkRecords reads a sink's committed records, partition by
// partition in offset order, after the server stopped, and checks that no
// transaction was left open.
func readSinkRecords(t *testing.T, fl fraudLog, topic string) []broker.Record {
	t.Helper()
	lg := fl.open(t)
	defer lg.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	info, err := lg.Topic(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	var out []broker.Record
	for p := int32(0); p < info.Config.Partitions; p++ {
		off, err := lg.Offsets(ctx, topic, p)
		if err != nil {
			t.Fatal(err)
		}
		if off.Stable != off.End {
			t.Errorf("%s-%d: stable offset %d below the end %d after the final stop: a transaction was left open", topic, p, off.Stable, off.End)
		}
		recs, err := broker.ReadAll(ctx, lg, topic, p, 0, broker.ReadCommitted, 0)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, recs...)
	}
	return out
}

// checkEnriched compares ENRICHED per card, as a sequence, with the model.
func checkEnriched(t *testing.T, recs []broker.Record, want joinModel) {
	t.Helper()
	got := map[string][]enrichedRow{}
	for _, r := range recs {
		var v struct {
			ID     int64   `json:"ID"`
			Amount int64   `json:"AMOUNT"`
			Holder *string `json:"HOLDER"`
			Credit *int64  `json:"CREDIT"`
		}
		if r.Value == nil || json.Unmarshal(r.Value, &v) != nil {
			t.Fatalf("ENRICHED: bad value %q for key %q", r.Value, r.Key)
		}
		got[string(r.Key)] = append(got[string(r.Key)], enrichedRow{ID: v.ID, Amount: v.Amount, Holder: v.Holder, Credit: v.Credit})
	}
	n := 0
	for _, rows := range want.enriched {
		n += len(rows)
	}
	t.Logf("ENRICHED: %d records, model %d, over %d cards", len(recs), n, len(want.enriched))
	bad := 0
	for card := range unionOf(got, want.enriched) {
		g, w := got[card], want.enriched[card]
		if slices.EqualFunc(g, w, func(a, b enrichedRow) bool { return a.String() == b.String() }) {
			continue
		}
		if bad++; bad <= 5 {
			i := 0
			for i < len(g) && i < len(w) && g[i].String() == w[i].String() {
				i++
			}
			at := func(s []enrichedRow) string {
				if i < len(s) {
					return s[i].String()
				}
				return "(end)"
			}
			t.Errorf("ENRICHED card %s: %d records, want %d; first difference at %d: got %s, want %s", card, len(g), len(w), i, at(g), at(w))
		}
	}
	if bad > 0 {
		t.Errorf("ENRICHED: %d card(s) differ from the model", bad)
	}
}

// checkConfirmed compares CONFIRMED per card, as a multiset of pairs,
// with the model: each pair exactly once, nothing else.
func checkConfirmed(t *testing.T, recs []broker.Record, want joinModel) {
	t.Helper()
	got := map[string]map[joinPair]int{}
	for _, r := range recs {
		var v struct {
			TID int64 `json:"TID"`
			KID int64 `json:"KID"`
		}
		if r.Value == nil || json.Unmarshal(r.Value, &v) != nil {
			t.Fatalf("CONFIRMED: bad value %q for key %q", r.Value, r.Key)
		}
		card := string(r.Key)
		if got[card] == nil {
			got[card] = map[joinPair]int{}
		}
		got[card][joinPair{v.TID, v.KID}]++
	}
	t.Logf("CONFIRMED: %d records, model %d", len(recs), want.pairs)
	if len(recs) != want.pairs {
		t.Errorf("CONFIRMED: %d records, want %d", len(recs), want.pairs)
	}
	bad := 0
	for card := range unionOf(got, want.confirmed) {
		for p := range unionOf(got[card], want.confirmed[card]) {
			if g, w := got[card][p], want.confirmed[card][p]; g != w {
				if bad++; bad <= 5 {
					t.Errorf("CONFIRMED card %s: transaction %d with check %d %d time(s), want %d", card, p.tid, p.kid, g, w)
				}
			}
		}
	}
	if bad > 0 {
		t.Errorf("CONFIRMED: %d pair(s) differ from the model", bad)
	}
}

// unionOf is the set of keys of two maps.
func unionOf[K comparable, A, B any](a map[K]A, b map[K]B) map[K]bool {
	out := map[K]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}
