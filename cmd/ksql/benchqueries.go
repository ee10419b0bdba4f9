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
	// Input is the datagen stream the query reads (bid or authorization)
	// and Cards the card count of the authorization stream.
	Input string
	Cards int64
	DDL   string
	SQL   string
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

const benchAuthDDL = `CREATE STREAM authorization_attempts (card_number BIGINT, amount DOUBLE, merchant STRING)
  WITH (kafka_topic='authorization_attempts', value_format='JSON');`

const benchFraudSQL = `CREATE TABLE possible_fraud AS SELECT card_number, count(*) FROM authorization_attempts
  WINDOW TUMBLING (SIZE 5 MINUTE) GROUP BY card_number HAVING count(*) > 3 EMIT CHANGES;`

var benchQueries = []benchQuery{
	{Name: "q0", Title: "pass-through", Input: streamBid, DDL: benchBidDDL, Sink: "Q0",
		SQL:  `CREATE STREAM q0 AS SELECT auction, bidder, price, dateTime, extra FROM bid EMIT CHANGES;`,
		loop: func() loopQuery { return &projectLoop{} }},
	{Name: "q1", Title: "projection 0.908*price", Input: streamBid, DDL: benchBidDDL, Sink: "Q1",
		SQL:  `CREATE STREAM q1 AS SELECT auction, bidder, 0.908 * price AS price, dateTime, extra FROM bid EMIT CHANGES;`,
		loop: func() loopQuery { return &projectLoop{euro: true} }},
	{Name: "q2", Title: "filter auction % 123 = 0", Input: streamBid, DDL: benchBidDDL, Sink: "Q2",
		SQL:  `CREATE STREAM q2 AS SELECT auction, price FROM bid WHERE auction % 123 = 0 EMIT CHANGES;`,
		loop: func() loopQuery { return &filterLoop{} }},
	{Name: "q5", Title: "hopping 10 s/2 s count by auction", Input: streamBid, DDL: benchBidDDL, Sink: "Q5", Table: true,
		SQL: `CREATE TABLE q5 AS SELECT auction, COUNT(*) AS num FROM bid
  WINDOW HOPPING (SIZE 10 SECONDS, ADVANCE BY 2 SECONDS) GROUP BY auction EMIT CHANGES;`,
		loop: func() loopQuery { return newWindowLoop(q5Spec) }},
	{Name: "q7", Title: "tumbling 10 s max price", Input: streamBid, DDL: benchBidDDL, Sink: "Q7", Table: true,
		SQL: `CREATE TABLE q7 AS SELECT 1 AS k, MAX(price) AS maxprice FROM bid
  WINDOW TUMBLING (SIZE 10 SECONDS) GROUP BY 1 EMIT CHANGES;`,
		loop: func() loopQuery { return newWindowLoop(q7Spec) }},
	{Name: "q8", Title: "new users (person JOIN auction)",
		Skip: "needs a windowed join of person and auction, and the engine has no joins yet (JOIN is not supported yet)"},
	{Name: "fraud-10k", Title: "fraud: 5 min count by card > 3, 10K cards", Input: streamAuthorization, Cards: 10_000,
		DDL: benchAuthDDL, SQL: benchFraudSQL, Sink: "POSSIBLE_FRAUD", Table: true,
		loop: func() loopQuery { return newWindowLoop(fraudSpec) }},
	{Name: "fraud-1m", Title: "fraud: the same, 1M cards", Input: streamAuthorization, Cards: 1_000_000,
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
