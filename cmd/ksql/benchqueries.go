package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/ksqlgo/ksql/broker"
)

// The queries of `ksql bench` (docs/benchmarks.md) and, for each, the
// hand-written Go loop that computes the same answer from the same
// records: a hand-rolled JSON scanner, the computation, a hand-written
// JSON encoder, byte for byte the engine's output format (so the answers
// can be compared), appended under log transactions.

type benchQuery struct {
	Name  string
	Title string
	// Inputs are the datagen streams the query reads (bid, authorization,
	// or person and auction: --events records of the Nexmark sequence,
	// bids skipped), Cards the card count of the authorization stream.
	Inputs []string
	Cards  int64
	// PastSellers: generate auctions whose sellers are earlier persons
	// (nexmark.Config.PastSellers).
	PastSellers bool
	DDL         string
	SQL         string
	// Sink is the output topic.
	Sink string
	// Table: the answer is the final value of every key (a table's
	// changelog may coalesce updates); otherwise every record.
	Table bool
	// Skip says why the query is not run.
	Skip string
	// loop makes the hand-written computation.
	loop func() loopQuery
}

const benchBidDDL = `CREATE STREAM bid (auction BIGINT, bidder BIGINT, price BIGINT, channel STRING, url STRING, dateTime BIGINT, extra STRING)
  WITH (kafka_topic='bid', value_format='JSON', timestamp='dateTime');`

var (
	bidInput  = []string{streamBid}
	authInput = []string{streamAuthorization}
	// joinInput: persons and auctions, in this order (a loop's input
	// index).
	joinInput = []string{streamPerson, streamAuction}
)

const benchAuctionDDL = `CREATE STREAM auction (id BIGINT, itemName STRING, description STRING, initialBid BIGINT, reserve BIGINT,
  dateTime BIGINT, expires BIGINT, seller BIGINT, category BIGINT, extra STRING)
  WITH (kafka_topic='auction', value_format='JSON', timestamp='dateTime');`

// The person topic's records are keyed by id (datagen), so it reads as a
// table keyed by id (q3) or a stream with id as its key (q8).
const benchPersonColumns = `name STRING, emailAddress STRING, creditCard STRING, city STRING, state STRING, dateTime BIGINT, extra STRING)
  WITH (kafka_topic='person', value_format='JSON', timestamp='dateTime');`

const benchAuthDDL = `CREATE STREAM authorization_attempts (card_number BIGINT, amount DOUBLE, merchant STRING)
  WITH (kafka_topic='authorization_attempts', value_format='JSON');`

const benchFraudSQL = `CREATE TABLE possible_fraud AS SELECT card_number, count(*) FROM authorization_attempts
  WINDOW TUMBLING (SIZE 5 MINUTE) GROUP BY card_number HAVING count(*) > 3 EMIT CHANGES;`

var benchQueries = []benchQuery{
	{Name: "q0", Title: "pass-through", Inputs: bidInput, DDL: benchBidDDL, Sink: "Q0",
		SQL:  `CREATE STREAM q0 AS SELECT auction, bidder, price, dateTime, extra FROM bid EMIT CHANGES;`,
		loop: func() loopQuery { return &projectLoop{} }},
	{Name: "q1", Title: "projection 0.908*price", Inputs: bidInput, DDL: benchBidDDL, Sink: "Q1",
		SQL:  `CREATE STREAM q1 AS SELECT auction, bidder, 0.908 * price AS price, dateTime, extra FROM bid EMIT CHANGES;`,
		loop: func() loopQuery { return &projectLoop{euro: true} }},
	{Name: "q2", Title: "filter auction % 123 = 0", Inputs: bidInput, DDL: benchBidDDL, Sink: "Q2",
		SQL:  `CREATE STREAM q2 AS SELECT auction, price FROM bid WHERE auction % 123 = 0 EMIT CHANGES;`,
		loop: func() loopQuery { return &filterLoop{} }},
	// q3 as the reference writes it selects no join key, which ksqlDB
	// refuses for a persistent query ("Key missing from projection"):
	// a.seller, the join key, is added as the output's key.
	{Name: "q3", Title: "stream-table join auction JOIN person (table), category 10, OR/ID/CA",
		Inputs: joinInput, PastSellers: true, Sink: "Q3",
		DDL: "CREATE TABLE person (id BIGINT PRIMARY KEY, " + benchPersonColumns + "\n" + benchAuctionDDL,
		SQL: `CREATE STREAM q3 AS SELECT a.seller, p.name, p.city, p.state, a.id FROM auction a JOIN person p ON a.seller = p.id
  WHERE a.category = 10 AND p.state IN ('OR', 'ID', 'CA') EMIT CHANGES;`,
		loop: func() loopQuery { return newQ3Loop() }},
	{Name: "q5", Title: "hopping 10 s/2 s count by auction", Inputs: bidInput, DDL: benchBidDDL, Sink: "Q5", Table: true,
		SQL: `CREATE TABLE q5 AS SELECT auction, COUNT(*) AS num FROM bid
  WINDOW HOPPING (SIZE 10 SECONDS, ADVANCE BY 2 SECONDS) GROUP BY auction EMIT CHANGES;`,
		loop: func() loopQuery { return newWindowLoop(q5Spec) }},
	{Name: "q7", Title: "tumbling 10 s max price", Inputs: bidInput, DDL: benchBidDDL, Sink: "Q7", Table: true,
		SQL: `CREATE TABLE q7 AS SELECT 1 AS k, MAX(price) AS maxprice FROM bid
  WINDOW TUMBLING (SIZE 10 SECONDS) GROUP BY 1 EMIT CHANGES;`,
		loop: func() loopQuery { return newWindowLoop(q7Spec) }},
	// Flink's q8 joins persons grouped by (id, name, 10 s tumbling window)
	// with auctions grouped by (seller, window) on id and window: one row
	// per person and window in which the person created an auction.
	// ksqlDB cannot write that plan (a join of two windowed aggregations:
	// "KSQL does not support persistent queries on windowed tables").
	// These variants are one stream-stream join, WITHIN 10 SECONDS (any
	// two records of one 10 s tumbling window are less than 10 s apart),
	// restricted to pairs in the same window. q8 groups the pairs by
	// person and window: its table's keys are Flink's rows. q8-pairs is
	// the join alone: a row per (person, auction) pair.
	{Name: "q8", Title: "variant: person JOIN auction WITHIN 10 s, same 10 s window, GROUP BY person and window (Flink's rows as keys)",
		Inputs: joinInput, PastSellers: true, Sink: "Q8", Table: true,
		DDL: "CREATE STREAM person (id BIGINT KEY, " + benchPersonColumns + "\n" + benchAuctionDDL,
		SQL: `CREATE TABLE q8 WITH (key_format='JSON') AS SELECT p.id AS id, p.dateTime / 10000 * 10000 AS starttime,
  LATEST_BY_OFFSET(p.name) AS name, COUNT(*) AS auctions
  FROM person p JOIN auction a WITHIN 10 SECONDS ON p.id = a.seller
  WHERE p.dateTime / 10000 = a.dateTime / 10000 GROUP BY p.id, p.dateTime / 10000 * 10000 EMIT CHANGES;`,
		loop: func() loopQuery { return newQ8Loop(true) }},
	{Name: "q8-pairs", Title: "variant: person JOIN auction WITHIN 10 s, same 10 s window, a row per pair",
		Inputs: joinInput, PastSellers: true, Sink: "Q8",
		DDL: "CREATE STREAM person (id BIGINT KEY, " + benchPersonColumns + "\n" + benchAuctionDDL,
		SQL: `CREATE STREAM q8 AS SELECT p.id, p.name, p.dateTime / 10000 * 10000 AS starttime, a.id AS auction
  FROM person p JOIN auction a WITHIN 10 SECONDS ON p.id = a.seller
  WHERE p.dateTime / 10000 = a.dateTime / 10000 EMIT CHANGES;`,
		loop: func() loopQuery { return newQ8Loop(false) }},
	{Name: "fraud-10k", Title: "fraud: 5 min count by card > 3, 10K cards", Inputs: authInput, Cards: 10_000,
		DDL: benchAuthDDL, SQL: benchFraudSQL, Sink: "POSSIBLE_FRAUD", Table: true,
		loop: func() loopQuery { return newWindowLoop(fraudSpec) }},
	{Name: "fraud-1m", Title: "fraud: the same, 1M cards", Inputs: authInput, Cards: 1_000_000,
		DDL: benchAuthDDL, SQL: benchFraudSQL, Sink: "POSSIBLE_FRAUD", Table: true,
		loop: func() loopQuery { return newWindowLoop(fraudSpec) }},
}

func findBenchQuery(name string) (benchQuery, bool) {
	for _, q := range benchQueries {
		if q.Name == name {
			return q, true
		}
	}
	return benchQuery{}, false
}

// loopQuery is a query written by hand. Process takes one input record
// and emits its output records (stateless queries) or updates state
// (aggregations); Flush emits the updates since the last flush, one per
// changed key (called at every commit).
type loopQuery interface {
	Process(r *broker.Record, emit emitFunc) error
	Flush(emit emitFunc)
}

type emitFunc func(key, value []byte, ts int64)

// jsonObject scans a flat JSON object field by field without allocating.
type jsonObject struct {
	b []byte
	i int
}

var errJSON = errors.New("malformed JSON object")

func (o *jsonObject) reset(b []byte) error {
	o.b, o.i = b, 0
	o.ws()
	if o.i >= len(o.b) || o.b[o.i] != '{' {
		return errJSON
	}
	o.i++
	return nil
}

func (o *jsonObject) ws() {
	for o.i < len(o.b) {
		switch o.b[o.i] {
		case ' ', '\t', '\n', '\r':
			o.i++
		default:
			return
		}
	}
}

// next returns the next field: its name, its value (a string's content
// between the quotes, still escaped; other values as written) and whether
// the value is a string. done at the closing brace.
func (o *jsonObject) next() (key, val []byte, str, done bool, err error) {
	o.ws()
	if o.i < len(o.b) && o.b[o.i] == ',' {
		o.i++
		o.ws()
	}
	if o.i >= len(o.b) {
		return nil, nil, false, false, errJSON
	}
	if o.b[o.i] == '}' {
		o.i++
		return nil, nil, false, true, nil
	}
	if key, err = o.str(); err != nil {
		return
	}
	o.ws()
	if o.i >= len(o.b) || o.b[o.i] != ':' {
		return nil, nil, false, false, errJSON
	}
	o.i++
	o.ws()
	if o.i >= len(o.b) {
		return nil, nil, false, false, errJSON
	}
	switch c := o.b[o.i]; {
	case c == '"':
		val, err = o.str()
		return key, val, true, false, err
	case c == '{' || c == '[':
		start, depth := o.i, 0
		for o.i < len(o.b) {
			switch o.b[o.i] {
			case '"':
				if _, err = o.str(); err != nil {
					return
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			}
			o.i++
			if depth == 0 {
				return key, o.b[start:o.i], false, false, nil
			}
		}
		return nil, nil, false, false, errJSON
	default:
		start := o.i
		for o.i < len(o.b) && o.b[o.i] != ',' && o.b[o.i] != '}' && o.b[o.i] != ' ' {
			o.i++
		}
		return key, o.b[start:o.i], false, false, nil
	}
}

func (o *jsonObject) str() ([]byte, error) {
	if o.b[o.i] != '"' {
		return nil, errJSON
	}
	o.i++
	start := o.i
	for {
		j := bytes.IndexByte(o.b[o.i:], '"')
		if j < 0 {
			return nil, errJSON
		}
		end := o.i + j
		o.i = end + 1
		k := end // an odd number of backslashes escapes the quote
		for k > start && o.b[k-1] == '\\' {
			k--
		}
		if (end-k)%2 == 0 {
			return o.b[start:end], nil
		}
	}
}

func parseInt(b []byte) (int64, error) {
	if len(b) == 0 {
		return 0, errJSON
	}
	neg := b[0] == '-'
	if neg {
		b = b[1:]
	}
	var v int64
	for _, c := range b {
		if c < '0' || c > '9' || v > (1<<63-1)/10 {
			return 0, fmt.Errorf("not a BIGINT: %q", b)
		}
		v = v*10 + int64(c-'0')
	}
	if neg {
		v = -v
	}
	return v, nil
}

// appendJSONString appends a decoded JSON string's content, re-escaped:
// raw is as it was written, escapes included.
func appendJSONString(dst, raw []byte) []byte {
	dst = append(dst, '"')
	plain := true
	for _, c := range raw {
		if c == '\\' || c < 0x20 || c == '<' || c == '>' || c == '&' {
			plain = false
			break
		}
	}
	if plain {
		dst = append(dst, raw...)
		return append(dst, '"')
	}
	// The rare path: decode and re-encode as encoding/json does.
	var s string
	q := make([]byte, 0, len(raw)+2)
	q = append(append(append(q, '"'), raw...), '"')
	if err := json.Unmarshal(q, &s); err != nil {
		s = string(raw)
	}
	enc, _ := json.Marshal(s)
	return append(dst[:len(dst)-1], enc...)
}

// bidFields are the bid's columns the loops read.
type bidFields struct {
	auction, bidder, price, dateTime int64
	extra                            []byte
}

func decodeBid(o *jsonObject, v []byte, f *bidFields) error {
	if err := o.reset(v); err != nil {
		return err
	}
	*f = bidFields{}
	for {
		key, val, _, done, err := o.next()
		if err != nil {
			return err
		}
		if done {
			return nil
		}
		switch string(key) {
		case "auction":
			f.auction, err = parseInt(val)
		case "bidder":
			f.bidder, err = parseInt(val)
		case "price":
			f.price, err = parseInt(val)
		case "dateTime":
			f.dateTime, err = parseInt(val)
		case "extra":
			f.extra = val
		}
		if err != nil {
			return err
		}
	}
}

// projectLoop is q0 (euro false) and q1 (euro: 0.908 * price, a DECIMAL
// of scale 3).
type projectLoop struct {
	euro bool
	o    jsonObject
	f    bidFields
	out  []byte
}

func (l *projectLoop) Process(r *broker.Record, emit emitFunc) error {
	if err := decodeBid(&l.o, r.Value, &l.f); err != nil {
		return err
	}
	b := append(l.out[:0], `{"AUCTION":`...)
	b = strconv.AppendInt(b, l.f.auction, 10)
	b = append(b, `,"BIDDER":`...)
	b = strconv.AppendInt(b, l.f.bidder, 10)
	b = append(b, `,"PRICE":`...)
	if l.euro {
		b = appendMilli(b, l.f.price*908)
	} else {
		b = strconv.AppendInt(b, l.f.price, 10)
	}
	b = append(b, `,"DATETIME":`...)
	b = strconv.AppendInt(b, l.f.dateTime, 10)
	b = append(b, `,"EXTRA":`...)
	b = appendJSONString(b, l.f.extra)
	b = append(b, '}')
	l.out = b
	emit(nil, b, r.Timestamp)
	return nil
}

func (l *projectLoop) Flush(emitFunc) {}

// appendMilli appends v/1000 with three decimals.
func appendMilli(b []byte, v int64) []byte {
	if v < 0 {
		b = append(b, '-')
		v = -v
	}
	b = strconv.AppendInt(b, v/1000, 10)
	f := v % 1000
	return append(b, '.', byte('0'+f/100), byte('0'+f/10%10), byte('0'+f%10))
}

// filterLoop is q2.
type filterLoop struct {
	o   jsonObject
	f   bidFields
	out []byte
}

func (l *filterLoop) Process(r *broker.Record, emit emitFunc) error {
	if err := decodeBid(&l.o, r.Value, &l.f); err != nil {
		return err
	}
	if l.f.auction%123 != 0 {
		return nil
	}
	b := append(l.out[:0], `{"AUCTION":`...)
	b = strconv.AppendInt(b, l.f.auction, 10)
	b = append(b, `,"PRICE":`...)
	b = strconv.AppendInt(b, l.f.price, 10)
	b = append(b, '}')
	l.out = b
	emit(nil, b, r.Timestamp)
	return nil
}

func (l *filterLoop) Flush(emitFunc) {}

// windowSpec is a windowed aggregation by hand: the group of a record,
// its windows, the fold and the output.
type windowSpec struct {
	sizeMs, advanceMs int64
	// group reads the group and the folded value from a record.
	group func(o *jsonObject, r *broker.Record) (group, value int64, err error)
	// keyBytes is 4 (INT key) or 8 (BIGINT key).
	keyBytes int
	// fold: count (value ignored) or max.
	max    bool
	column string
	// having: emit only when the aggregate is above it (-1: always).
	having int64
}

var q5Spec = windowSpec{sizeMs: 10_000, advanceMs: 2_000, keyBytes: 8, column: "NUM", having: -1,
	group: func(o *jsonObject, r *broker.Record) (int64, int64, error) {
		return bidField(o, r.Value, "auction")
	}}

var q7Spec = windowSpec{sizeMs: 10_000, advanceMs: 10_000, keyBytes: 4, max: true, column: "MAXPRICE", having: -1,
	group: func(o *jsonObject, r *broker.Record) (int64, int64, error) {
		_, p, err := bidField(o, r.Value, "price")
		return 1, p, err
	}}

var fraudSpec = windowSpec{sizeMs: 5 * 60_000, advanceMs: 5 * 60_000, keyBytes: 8, column: "KSQL_COL_0", having: 3,
	group: func(o *jsonObject, r *broker.Record) (int64, int64, error) {
		return bidField(o, r.Value, "card_number")
	}}

// bidField reads one BIGINT field (returned twice: as group and value).
func bidField(o *jsonObject, v []byte, name string) (int64, int64, error) {
	if err := o.reset(v); err != nil {
		return 0, 0, err
	}
	for {
		key, val, _, done, err := o.next()
		if err != nil {
			return 0, 0, err
		}
		if done {
			return 0, 0, fmt.Errorf("no %s in %s", name, v)
		}
		if string(key) == name {
			n, err := parseInt(val)
			return n, n, err
		}
	}
}

type winKey struct{ group, start int64 }

type winAgg struct {
	key   winKey
	agg   int64
	ts    int64
	dirty bool
}

// windowLoop keeps every window's aggregate in a map (the grace period
// is 24 hours: no window closes within a run) and emits each changed one
// at a flush.
type windowLoop struct {
	spec  windowSpec
	o     jsonObject
	aggs  map[winKey]*winAgg
	dirty []*winAgg
	key   []byte
	out   []byte
}

func newWindowLoop(s windowSpec) *windowLoop {
	return &windowLoop{spec: s, aggs: map[winKey]*winAgg{}}
}

func (l *windowLoop) Process(r *broker.Record, _ emitFunc) error {
	g, v, err := l.spec.group(&l.o, r)
	if err != nil {
		return err
	}
	ts := r.Timestamp
	// Kafka Streams' TimeWindows.windowsFor.
	start := max(0, ts-l.spec.sizeMs+l.spec.advanceMs) / l.spec.advanceMs * l.spec.advanceMs
	for ; start <= ts; start += l.spec.advanceMs {
		k := winKey{g, start}
		a := l.aggs[k]
		if a == nil {
			a = &winAgg{key: k, agg: 0}
			if l.spec.max {
				a.agg = v
			}
			l.aggs[k] = a
		}
		if l.spec.max {
			a.agg = max(a.agg, v)
		} else {
			a.agg++
		}
		a.ts = max(a.ts, ts)
		if !a.dirty && a.agg > l.spec.having {
			a.dirty = true
			l.dirty = append(l.dirty, a)
		}
	}
	return nil
}

func (l *windowLoop) Flush(emit emitFunc) {
	for _, a := range l.dirty {
		a.dirty = false
		k := l.key[:0]
		if l.spec.keyBytes == 4 {
			k = binary.BigEndian.AppendUint32(k, uint32(a.key.group))
		} else {
			k = binary.BigEndian.AppendUint64(k, uint64(a.key.group))
		}
		k = binary.BigEndian.AppendUint64(k, uint64(a.key.start))
		b := append(l.out[:0], `{"`...)
		b = append(b, l.spec.column...)
		b = append(b, `":`...)
		b = strconv.AppendInt(b, a.agg, 10)
		b = append(b, '}')
		l.key, l.out = k, b
		emit(k, b, a.ts)
	}
	l.dirty = l.dirty[:0]
}

// joinLoop is a loop over several inputs (benchQuery.Inputs): runLoop
// feeds it the records of all of them merged by event time, and input is
// the index of the record's stream in Inputs.
type joinLoop interface {
	loopQuery
	ProcessInput(input int, r *broker.Record, emit emitFunc) error
}

var errNeedsInput = errors.New("a join loop takes records through ProcessInput")

// personKey reads a person record's key: its id, a BIGINT in the KAFKA
// key format (8 bytes big-endian).
func personKey(r *broker.Record) (int64, error) {
	if len(r.Key) != 8 {
		return 0, fmt.Errorf("person key %x is not a BIGINT", r.Key)
	}
	return int64(binary.BigEndian.Uint64(r.Key)), nil
}

// auctionFields are the auction's columns the join loops read.
type auctionFields struct {
	id, seller, category, dateTime int64
}

func decodeAuction(o *jsonObject, v []byte, f *auctionFields) error {
	if err := o.reset(v); err != nil {
		return err
	}
	*f = auctionFields{}
	for {
		key, val, _, done, err := o.next()
		if err != nil {
			return err
		}
		if done {
			return nil
		}
		switch string(key) {
		case "id":
			f.id, err = parseInt(val)
		case "seller":
			f.seller, err = parseInt(val)
		case "category":
			f.category, err = parseInt(val)
		case "dateTime":
			f.dateTime, err = parseInt(val)
		}
		if err != nil {
			return err
		}
	}
}

// personFields are the person's columns the join loops read (strings
// as written, escapes included).
type personFields struct {
	name, city, state []byte
	dateTime          int64
}

func decodePerson(o *jsonObject, v []byte, f *personFields) error {
	if err := o.reset(v); err != nil {
		return err
	}
	*f = personFields{}
	for {
		key, val, _, done, err := o.next()
		if err != nil {
			return err
		}
		if done {
			return nil
		}
		switch string(key) {
		case "name":
			f.name = val
		case "city":
			f.city = val
		case "state":
			f.state = val
		case "dateTime":
			f.dateTime, err = parseInt(val)
		}
		if err != nil {
			return err
		}
	}
}

// q3Loop is q3, the stream-table join: the person table as a map from id
// to the person's part of the output (only persons whose state passes
// the WHERE: the others cannot produce output, and an update that moves a
// person out of those states removes it), each auction of category 10
// looked up by seller. Output: keyed by the seller (BIGINT, KAFKA key
// format), {"NAME","CITY","STATE","A_ID"}, the auction's time.
type q3Loop struct {
	o       jsonObject
	p       personFields
	a       auctionFields
	persons map[int64][]byte // id -> `{"NAME":...,"CITY":...,"STATE":...,"A_ID":`
	key     []byte
	out     []byte
}

func newQ3Loop() *q3Loop { return &q3Loop{persons: map[int64][]byte{}} }

func (l *q3Loop) Process(*broker.Record, emitFunc) error { return errNeedsInput }
func (l *q3Loop) Flush(emitFunc)                         {}

func (l *q3Loop) ProcessInput(input int, r *broker.Record, emit emitFunc) error {
	if input == 0 { // person
		id, err := personKey(r)
		if err != nil {
			return err
		}
		if r.Value == nil {
			delete(l.persons, id)
			return nil
		}
		if err := decodePerson(&l.o, r.Value, &l.p); err != nil {
			return err
		}
		switch string(l.p.state) {
		case "OR", "ID", "CA":
		default:
			delete(l.persons, id)
			return nil
		}
		b := append([]byte(nil), `{"NAME":`...)
		b = appendJSONString(b, l.p.name)
		b = append(b, `,"CITY":`...)
		b = appendJSONString(b, l.p.city)
		b = append(b, `,"STATE":`...)
		b = appendJSONString(b, l.p.state)
		l.persons[id] = append(b, `,"A_ID":`...)
		return nil
	}
	if err := decodeAuction(&l.o, r.Value, &l.a); err != nil {
		return err
	}
	if l.a.category != 10 {
		return nil
	}
	p, ok := l.persons[l.a.seller]
	if !ok {
		return nil
	}
	l.key = binary.BigEndian.AppendUint64(l.key[:0], uint64(l.a.seller))
	b := append(l.out[:0], p...)
	b = strconv.AppendInt(b, l.a.id, 10)
	l.out = append(b, '}')
	emit(l.key, l.out, r.Timestamp)
	return nil
}

// q8Loop is the q8 variants: the inner stream-stream join of persons and
// auctions on id = seller within 10 s, only pairs whose dateTime is in
// the same 10 s tumbling window. Any two records of one window are less
// than 10 s apart, so the answer is the pairs of one window: the loop
// keeps, per window, the persons and the auctions seen so far by id, and
// drops a window once records two windows newer arrive (input comes in
// event-time order, so nothing more can pair with it). Each record is
// joined with the other side's records seen before it (a pair is made by
// the later of its two). q8-pairs' output: keyed by the person's id,
// {"NAME","STARTTIME","AUCTION"}, the later record's time. q8 (group)
// counts the pairs per person and window instead and emits each changed
// count at a flush: keyed {"ID","STARTTIME"} (JSON key format),
// {"NAME","AUCTIONS"}.
type q8Loop struct {
	group   bool
	groups  map[[2]int64]*q8Group
	dirty   []*q8Group
	o       jsonObject
	p       personFields
	a       auctionFields
	windows map[int64]*q8Window
	newest  int64
	key     []byte
	out     []byte
}

type q8Person struct {
	nameJSON []byte // `{"NAME":"..."`
	ts       int64
}

type q8Auction struct{ id, ts int64 }

type q8Group struct {
	id, start, count, ts int64
	nameJSON             []byte
	dirty                bool
}

type q8Window struct {
	persons  map[int64][]q8Person
	auctions map[int64][]q8Auction
}

func newQ8Loop(group bool) *q8Loop {
	return &q8Loop{group: group, groups: map[[2]int64]*q8Group{}, windows: map[int64]*q8Window{}, newest: -1 << 62}
}

func (l *q8Loop) Process(*broker.Record, emitFunc) error { return errNeedsInput }

func (l *q8Loop) Flush(emit emitFunc) {
	for _, g := range l.dirty {
		g.dirty = false
		k := append(l.key[:0], `{"ID":`...)
		k = strconv.AppendInt(k, g.id, 10)
		k = append(k, `,"STARTTIME":`...)
		k = strconv.AppendInt(k, g.start, 10)
		k = append(k, '}')
		b := append(l.out[:0], g.nameJSON...)
		b = append(b, `,"AUCTIONS":`...)
		b = strconv.AppendInt(b, g.count, 10)
		b = append(b, '}')
		l.key, l.out = k, b
		emit(k, b, g.ts)
	}
	l.dirty = l.dirty[:0]
	// A group of a window two older than the newest gets no more pairs.
	for k := range l.groups {
		if k[1] < (l.newest-1)*10_000 {
			delete(l.groups, k)
		}
	}
}

func (l *q8Loop) window(w int64) *q8Window {
	win := l.windows[w]
	if win == nil {
		win = &q8Window{persons: map[int64][]q8Person{}, auctions: map[int64][]q8Auction{}}
		l.windows[w] = win
	}
	if w > l.newest {
		l.newest = w
		for old := range l.windows {
			if old < w-1 {
				delete(l.windows, old)
			}
		}
	}
	return win
}

func (l *q8Loop) emit(emit emitFunc, id int64, p q8Person, start int64, a q8Auction) {
	if l.group {
		k := [2]int64{id, start}
		g := l.groups[k]
		if g == nil {
			g = &q8Group{id: id, start: start, nameJSON: p.nameJSON}
			l.groups[k] = g
		}
		g.count++
		g.nameJSON = p.nameJSON // LATEST_BY_OFFSET: the person's name
		g.ts = max(g.ts, p.ts, a.ts)
		if !g.dirty {
			g.dirty = true
			l.dirty = append(l.dirty, g)
		}
		return
	}
	l.key = binary.BigEndian.AppendUint64(l.key[:0], uint64(id))
	b := append(l.out[:0], p.nameJSON...)
	b = append(b, `,"STARTTIME":`...)
	b = strconv.AppendInt(b, start, 10)
	b = append(b, `,"AUCTION":`...)
	b = strconv.AppendInt(b, a.id, 10)
	l.out = append(b, '}')
	emit(l.key, l.out, max(p.ts, a.ts))
}

func (l *q8Loop) ProcessInput(input int, r *broker.Record, emit emitFunc) error {
	if r.Value == nil {
		return nil // a stream join drops null values
	}
	if input == 0 { // person
		id, err := personKey(r)
		if err != nil {
			return err
		}
		if err := decodePerson(&l.o, r.Value, &l.p); err != nil {
			return err
		}
		w := l.p.dateTime / 10_000
		win := l.window(w)
		p := q8Person{nameJSON: appendJSONString(append([]byte(nil), `{"NAME":`...), l.p.name), ts: r.Timestamp}
		for _, a := range win.auctions[id] {
			if abs64(a.ts-p.ts) <= 10_000 {
				l.emit(emit, id, p, w*10_000, a)
			}
		}
		win.persons[id] = append(win.persons[id], p)
		return nil
	}
	if err := decodeAuction(&l.o, r.Value, &l.a); err != nil {
		return err
	}
	w := l.a.dateTime / 10_000
	win := l.window(w)
	a := q8Auction{id: l.a.id, ts: r.Timestamp}
	for _, p := range win.persons[l.a.seller] {
		if abs64(a.ts-p.ts) <= 10_000 {
			l.emit(emit, l.a.seller, p, w*10_000, a)
		}
	}
	win.auctions[l.a.seller] = append(win.auctions[l.a.seller], a)
	return nil
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
