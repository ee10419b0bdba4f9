package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"
)

// The workload: one input topic and five persistent queries over it,
// each exercising a different part of the engine. The topic has two
// streams over it, CHAOS_IN and CHAOS_IN_B (the same columns), so that a
// stream-stream join can join the input with itself (ksqlDB refuses a
// join of a source with itself, not of two sources over one topic).
const (
	inputTopic   = "chaos_in"
	inputStream  = "CHAOS_IN"
	inputStreamB = "CHAOS_IN_B"
	partitions   = 4

	numKeys   = 12 // keys of the input stream: k00 .. k11
	numGroups = 5  // values of grp (the repartitioned GROUP BY): g0 .. g4
	// Event times spread over eight one-minute windows; the windowed
	// query's grace period (one day) is far longer than that, so no record
	// is ever late and the model needs no notion of stream time.
	eventSpanMs = 8 * 60 * 1000
	windowMs    = 60 * 1000
	// bigAmount is the filter's threshold: amounts run from 1 to 100.
	bigAmount = 50
	// havingMin is the windowed query's HAVING bound: COUNT(*) > 1.
	havingMin = 2
	// pairWithinMs is the join's WITHIN: rows of a key at most 100 ms
	// apart in event time pair up (every row with itself, and about one
	// row in seven with another at 200 rows a second). Its grace period
	// (one day) is far longer than the span of event time, so no record
	// is ever late and every pair is emitted exactly once whatever the
	// order in which the join's two inputs are processed.
	pairWithinMs = 100
)

var createInput = fmt.Sprintf(`CREATE STREAM %s (k VARCHAR KEY, id BIGINT, grp VARCHAR, amount BIGINT, ts BIGINT)
  WITH (kafka_topic='%s', value_format='JSON', partitions=%d, timestamp='ts');`, inputStream, inputTopic, partitions)

// createInputB declares the second stream over the input topic (which
// exists by then: no partitions).
var createInputB = fmt.Sprintf(`CREATE STREAM %s (k VARCHAR KEY, id BIGINT, grp VARCHAR, amount BIGINT, ts BIGINT)
  WITH (kafka_topic='%s', value_format='JSON', timestamp='ts');`, inputStreamB, inputTopic)

// output is one persistent query of the workload and the check of its
// output topic (named after the sink, as the engine does).
type output struct {
	Name  string // sink and topic name
	Kind  string // TABLE or STREAM
	SQL   string // the CREATE ... AS SELECT statement
	check func(m *model, recs []Record) *outputReport
}

var outputs = []output{
	{
		Name: "CHAOS_WIN", Kind: "TABLE",
		SQL: `CREATE TABLE chaos_win AS SELECT k, COUNT(*) AS cnt FROM chaos_in
  WINDOW TUMBLING (SIZE 1 MINUTE, GRACE PERIOD 1 DAY) GROUP BY k HAVING COUNT(*) > 1;`,
		check: checkWindowed,
	},
	{
		Name: "CHAOS_BIG", Kind: "STREAM",
		SQL:   `CREATE STREAM chaos_big AS SELECT k, id, amount FROM chaos_in WHERE amount >= 50;`,
		check: checkFilter,
	},
	{
		Name: "CHAOS_TOT", Kind: "TABLE",
		SQL:   `CREATE TABLE chaos_tot AS SELECT k, SUM(amount) AS total, COUNT(*) AS cnt FROM chaos_in GROUP BY k;`,
		check: checkTotals,
	},
	{
		Name: "CHAOS_GRP", Kind: "TABLE",
		SQL:   `CREATE TABLE chaos_grp AS SELECT grp, COUNT(*) AS cnt, SUM(amount) AS total FROM chaos_in GROUP BY grp;`,
		check: checkGroups,
	},
	{
		Name: "CHAOS_PAIR", Kind: "STREAM",
		SQL: `CREATE STREAM chaos_pair AS SELECT a.k AS k, a.id AS aid, b.id AS bid FROM chaos_in a
  JOIN chaos_in_b b WITHIN 100 MILLISECONDS GRACE PERIOD 1 DAY ON a.k = b.k;`,
		check: checkPairs,
	},
}

// row is one input row. Its content is a function of the campaign's seed
// and its id, so a row read back can be checked against what was sent.
type row struct {
	ID     int64
	Key    string
	Grp    string
	Amount int64
	TS     int64
}

// generator makes the rows of a campaign.
type generator struct {
	seed uint64
	base int64 // event time of the first window; near the wall clock so
	// that the log's time-based retention never applies
}

func newGenerator(seed int64, now time.Time) generator {
	base := now.UnixMilli()
	return generator{seed: uint64(seed), base: base - base%windowMs}
}

// splitmix64 is a bijective mixer: distinct ids give unrelated values.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func (g generator) row(id int64) row {
	h := splitmix64(g.seed ^ splitmix64(uint64(id)))
	return row{
		ID:     id,
		Key:    fmt.Sprintf("k%02d", h%numKeys),
		Grp:    fmt.Sprintf("g%d", (h>>8)%numGroups),
		Amount: int64((h>>16)%100) + 1,
		TS:     g.base + int64((h>>24)%eventSpanMs),
	}
}

func (r row) insertSQL() string {
	return fmt.Sprintf("INSERT INTO %s (k, id, grp, amount, ts) VALUES ('%s', %d, '%s', %d, %d);",
		inputTopic, r.Key, r.ID, r.Grp, r.Amount, r.TS)
}

// jsonValue is the row's value as the stream declares it (JSON, the
// engine's upper-case column names; the key column is in the key).
func (r row) jsonValue() []byte {
	b, _ := json.Marshal(inputValue{ID: r.ID, Grp: r.Grp, Amount: r.Amount, TS: r.TS})
	return b
}

type inputValue struct {
	ID     int64  `json:"ID"`
	Grp    string `json:"GRP"`
	Amount int64  `json:"AMOUNT"`
	TS     int64  `json:"TS"`
}

// fate is what the harness knows about an id it produced.
type fate int

const (
	// acked: the HTTP call returned success; the row must be in the input.
	acked fate = iota + 1
	// unknown: the call failed or was cut off by a stop; the row may or may
	// not have been appended before the process died.
	unknown
	// direct: appended to the stopped server's log by the harness.
	direct
)

// ledger records the fate of every id the campaign produced.
type ledger struct {
	mu    sync.Mutex
	next  int64
	fates map[int64]fate
}

func newLedger() *ledger { return &ledger{next: 1, fates: map[int64]fate{}} }

func (l *ledger) allocate() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	id := l.next
	l.next++
	return id
}

func (l *ledger) set(id int64, f fate) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.fates[id] = f
}

func (l *ledger) snapshot() map[int64]fate {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[int64]fate, len(l.fates))
	for id, f := range l.fates {
		out[id] = f
	}
	return out
}

// insertWorkers is how many HTTP inserts may be in flight at once.
const insertWorkers = 4

// insertRows inserts rows through the server's HTTP API at about rate rows
// per second until quit is closed, recording each id's fate. One row per
// request, so that an acknowledgement covers exactly one id.
func insertRows(srv *server, gen generator, led *ledger, rate int, quit <-chan struct{}) {
	if rate <= 0 {
		return
	}
	interval := time.Second / time.Duration(rate)
	tokens := make(chan struct{})
	var wg sync.WaitGroup
	for range insertWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range tokens {
				r := gen.row(led.allocate())
				ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
				_, err := srv.ksql(ctx, r.insertSQL())
				cancel()
				if err != nil {
					led.set(r.ID, unknown)
					continue
				}
				led.set(r.ID, acked)
			}
		}()
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
loop:
	for {
		select {
		case <-quit:
			break loop
		case <-tick.C:
			select {
			case tokens <- struct{}{}:
			case <-quit:
				break loop
			default: // every worker is busy: the server is slower than rate
			}
		}
	}
	close(tokens)
	wg.Wait()
}
