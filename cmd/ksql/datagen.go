package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/cmd/ksql/internal/nexmark"
	"github.com/ksqlgo/ksql/engine"
)

// `ksql datagen`: Nexmark persons, auctions and bids, and card
// authorizations for the fraud query, into topics of the embedded log of
// a data directory or of a Kafka cluster. The generator is
// cmd/ksql/internal/nexmark; this file is the flags and the writing.

const datagenUsage = `usage: ksql datagen [--data-dir DIR | --bootstrap-servers HOST:PORT] [--streams bid,...]
                    [--count N | --rate EVENTS_PER_S --duration D] [--partitions 2] [--seed 1]
                    [--cards 10000] [--topic NAME] [--event-time sequence|wall] [--event-rate 10000]
                    [--past-sellers]

Streams: person, auction, bid (one Nexmark event sequence: 1 person, 3 auctions
and 46 bids in every 50 events; unselected kinds are skipped) and authorization
(card authorizations for the fraud query, a sequence of their own). --count and
--rate apply to each sequence. Topics are named after the streams
(authorization: authorization_attempts) and created with --partitions if absent.
Values are JSON in the column order of docs/benchmarks.md's CREATE STREAM
statements. Persons are keyed by their id (BIGINT, 8 bytes big-endian: the
KAFKA key format) in that key's partition, so that they read as a table keyed
by id; other records have no key, and record i of a topic goes to partition
i mod partitions. The same --seed and --base-time give the same records.
`

// Stream names of datagen and their default topics.
const (
	streamPerson        = "person"
	streamAuction       = "auction"
	streamBid           = "bid"
	streamAuthorization = "authorization"
	authorizationTopic  = "authorization_attempts"
)

// genSpec is what to generate.
type genSpec struct {
	Streams    []string // of person, auction, bid, authorization
	Topic      string   // the topic of the one stream ("": the stream's name)
	Partitions int32
	Seed       int64
	Cards      int64
	BaseTime   int64   // event time of event 0 (ms); 0: nexmark.DefaultBaseTime
	EventRate  float64 // events per second of event time; 0: 10,000
	// WallTime stamps records with the wall clock at append instead of
	// the event number's time (dateTime too).
	WallTime bool
	// PastSellers: every auction's seller is a person of an earlier event
	// time (nexmark.Config.PastSellers).
	PastSellers bool
}

func (s genSpec) topicOf(stream string) string {
	if s.Topic != "" {
		return s.Topic
	}
	if stream == streamAuthorization {
		return authorizationTopic
	}
	return stream
}

// feeder writes generated records to a log in batches.
type feeder struct {
	spec  genSpec
	lg    broker.Log
	nex   *nexmark.Generator
	cards *nexmark.Cards
	kinds [3]bool // Nexmark kinds selected
	anyNex,
	anyCards bool
	nexN, cardN int64 // next event numbers of the two sequences
	topics      map[string]*feedTopic
	batch       int // records per append
	buf         []byte
	written     int64

	// pool, when set, holds records generated before a timed run, which
	// writeRate replays instead of generating (pregenerate).
	pool []pooledRecord
	pi   int
}

// pooledRecord is a generated record kept for replay: its topic, its
// value, and where in the value the digits of its event time are (-1:
// nowhere).
type pooledRecord struct {
	t    *feedTopic
	key  []byte
	val  []byte
	tsAt int
}

// tsPlaceholder is the event time pooled records are generated with, so
// that replay can find its 13 digits and write the wall clock over them.
const tsPlaceholder = 1111111111111

type feedTopic struct {
	name       string
	partitions int32
	count      int64 // records written, which places the next one
	pending    [][]broker.Record
}

func newFeeder(ctx context.Context, lg broker.Log, spec genSpec, batch int) (*feeder, error) {
	if len(spec.Streams) == 0 {
		return nil, errors.New("no stream selected")
	}
	if spec.Topic != "" && len(spec.Streams) > 1 {
		return nil, errors.New("--topic names the topic of one stream; several streams go to their own topics")
	}
	if spec.Partitions <= 0 {
		spec.Partitions = 2
	}
	f := &feeder{spec: spec, lg: lg, topics: map[string]*feedTopic{}, batch: batch,
		nex:   nexmark.New(nexmark.Config{Seed: spec.Seed, BaseTime: spec.BaseTime, EventRate: spec.EventRate, PastSellers: spec.PastSellers}),
		cards: nexmark.NewCards(nexmark.CardConfig{Seed: spec.Seed, Cards: spec.Cards, BaseTime: spec.BaseTime, EventRate: spec.EventRate}),
	}
	for _, s := range spec.Streams {
		switch s {
		case streamPerson:
			f.kinds[nexmark.Person], f.anyNex = true, true
		case streamAuction:
			f.kinds[nexmark.Auction], f.anyNex = true, true
		case streamBid:
			f.kinds[nexmark.Bid], f.anyNex = true, true
		case streamAuthorization:
			f.anyCards = true
		default:
			return nil, fmt.Errorf("unknown stream %q (person, auction, bid, authorization)", s)
		}
		name := spec.topicOf(s)
		if _, ok := f.topics[name]; ok {
			return nil, fmt.Errorf("stream %s given twice", s)
		}
		t := &feedTopic{name: name, partitions: spec.Partitions}
		info, err := lg.Topic(ctx, name)
		switch {
		case err == nil:
			t.partitions = info.Config.Partitions
		case errors.Is(err, broker.ErrUnknownTopic):
			if err := lg.CreateTopic(ctx, name, broker.TopicConfig{Partitions: spec.Partitions}); err != nil && !errors.Is(err, broker.ErrTopicExists) {
				return nil, fmt.Errorf("creating topic %s: %w", name, err)
			}
		default:
			return nil, fmt.Errorf("topic %s: %w", name, err)
		}
		t.pending = make([][]broker.Record, t.partitions)
		f.topics[name] = t
	}
	return f, nil
}

var kindStream = [3]string{nexmark.Person: streamPerson, nexmark.Auction: streamAuction, nexmark.Bid: streamBid}

// nextNexmark generates the next selected Nexmark event; ts < 0 means
// the event number's time.
func (f *feeder) nextNexmark(ctx context.Context, ts int64) error {
	n := f.nexN
	for !f.kinds[nexmark.KindOf(n)] {
		n++
	}
	f.nexN = n + 1
	if ts < 0 {
		ts = f.nex.Timestamp(n)
	}
	var k nexmark.Kind
	f.buf, k = f.nex.AppendJSON(f.buf[:0], n, ts)
	var key []byte
	if k == nexmark.Person {
		key = binary.BigEndian.AppendUint64(nil, uint64(nexmark.PersonID(n)))
	}
	return f.add(ctx, f.topics[f.spec.topicOf(kindStream[k])], key, ts)
}

func (f *feeder) nextCard(ctx context.Context, ts int64) error {
	n := f.cardN
	f.cardN++
	if ts < 0 {
		ts = f.cards.Timestamp(n)
	}
	f.buf = f.cards.AppendJSON(f.buf[:0], n, ts)
	return f.add(ctx, f.topics[f.spec.topicOf(streamAuthorization)], nil, ts)
}

func (f *feeder) add(ctx context.Context, t *feedTopic, key []byte, ts int64) error {
	if f.pool != nil && ts == tsPlaceholder {
		f.pool = append(f.pool, pooledRecord{t: t, key: key, val: bytes.Clone(f.buf), tsAt: bytes.Index(f.buf, []byte(strconv.FormatInt(tsPlaceholder, 10)))})
		return nil
	}
	v := make([]byte, len(f.buf))
	copy(v, f.buf)
	return f.addValue(ctx, t, key, v, ts)
}

// addValue adds a record: a keyed one in its key's partition, else
// record i of the topic in partition i mod partitions.
func (f *feeder) addValue(ctx context.Context, t *feedTopic, key, v []byte, ts int64) error {
	p := int32(t.count % int64(t.partitions))
	if key != nil {
		p = broker.PartitionForKey(key, t.partitions)
	}
	t.count++
	t.pending[p] = append(t.pending[p], broker.Record{Key: key, Value: v, Timestamp: ts})
	if len(t.pending[p]) >= f.batch {
		return f.flushPartition(ctx, t, p)
	}
	return nil
}

func (f *feeder) flushPartition(ctx context.Context, t *feedTopic, p int32) error {
	if len(t.pending[p]) == 0 {
		return nil
	}
	// At most 5,000 records an append: a rate run that fell behind
	// catches up in one tick, and a log bounds a batch's size.
	for recs := t.pending[p]; len(recs) > 0; {
		n := min(len(recs), 5000)
		if _, err := f.lg.Append(ctx, t.name, p, recs[:n]); err != nil {
			return fmt.Errorf("appending to %s-%d: %w", t.name, p, err)
		}
		recs = recs[n:]
	}
	f.written += int64(len(t.pending[p]))
	t.pending[p] = t.pending[p][:0]
	return nil
}

func (f *feeder) flush(ctx context.Context) error {
	for _, t := range f.topics {
		for p := range t.pending {
			if err := f.flushPartition(ctx, t, int32(p)); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeCount writes count records of each selected sequence.
func (f *feeder) writeCount(ctx context.Context, count int64) error {
	for i := int64(0); i < count; i++ {
		if f.anyNex {
			if err := f.nextNexmark(ctx, -1); err != nil {
				return err
			}
		}
		if f.anyCards {
			if err := f.nextCard(ctx, -1); err != nil {
				return err
			}
		}
		if i%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return f.flush(ctx)
}

// writeRate writes rate records per second of each selected sequence for
// the duration (or until ctx is done), appending every tick; with
// WallTime each record's time is the wall clock at its append.
func (f *feeder) writeRate(ctx context.Context, rate float64, d time.Duration, tick time.Duration) error {
	start := time.Now()
	end := start.Add(d)
	t := time.NewTicker(tick)
	defer t.Stop()
	var sent int64
	for {
		now := time.Now()
		if now.After(end) {
			now = end
		}
		due := int64(rate*now.Sub(start).Seconds()) - sent
		ts := int64(-1)
		if f.spec.WallTime {
			ts = now.UnixMilli()
		}
		for ; due > 0 && len(f.pool) > 0; due-- {
			if err := f.replay(ctx, ts); err != nil {
				return err
			}
			sent++
		}
		for ; due > 0; due-- {
			if f.anyNex {
				if err := f.nextNexmark(ctx, ts); err != nil {
					return err
				}
			}
			if f.anyCards {
				if err := f.nextCard(ctx, ts); err != nil {
					return err
				}
			}
			sent++
		}
		if err := f.flush(ctx); err != nil {
			return err
		}
		if !now.Before(end) {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// pregenerate generates n records of each selected sequence now, for
// writeRate to replay in a cycle: a timed run then spends its CPU on
// appending, not generating (generating a Nexmark bid costs more than
// a stateless query spends on it, and the two share the machine). With
// WallTime each replayed record gets the wall clock as its time and in
// place of its dateTime digits.
func (f *feeder) pregenerate(ctx context.Context, n int) error {
	f.pool = make([]pooledRecord, 0, n)
	for i := 0; i < n; i++ {
		if f.anyNex {
			if err := f.nextNexmark(ctx, tsPlaceholder); err != nil {
				return err
			}
		}
		if f.anyCards {
			if err := f.nextCard(ctx, tsPlaceholder); err != nil {
				return err
			}
		}
	}
	return nil
}

// replay adds the next pooled record with event time ts.
func (f *feeder) replay(ctx context.Context, ts int64) error {
	r := &f.pool[f.pi]
	f.pi = (f.pi + 1) % len(f.pool)
	v := bytes.Clone(r.val)
	if r.tsAt >= 0 && ts >= 1e12 && ts < 1e13 {
		strconv.AppendInt(v[r.tsAt:r.tsAt], ts, 10) // 13 digits over 13 digits
	}
	if ts < 0 {
		ts = tsPlaceholder
	}
	return f.addValue(ctx, r.t, r.key, v, ts)
}

func runDatagen(args []string) error {
	fs := flag.NewFlagSet("datagen", flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(fs.Output(), datagenUsage); fs.PrintDefaults() }
	dataDir := fs.String("data-dir", "ksql-data", "the data directory whose embedded log gets the topics (the one `ksql server --data-dir` uses; the server must not be running on it: feed a running server through its Kafka listener with --bootstrap-servers)")
	bootstrap := fs.String("bootstrap-servers", "", "write to this Kafka cluster (host:port[,...]) instead of a data directory; Kafka client properties (security.protocol, ...) with --set")
	streams := fs.String("streams", "bid", "comma-separated streams: person, auction, bid, authorization")
	count := fs.Int64("count", 0, "records to write per sequence (default 100000 unless --rate)")
	rate := fs.Float64("rate", 0, "write this many records per second per sequence (with --duration) instead of a count")
	duration := fs.Duration("duration", 10*time.Second, "how long --rate writes")
	partitions := fs.Int("partitions", 2, "partitions of topics created")
	seed := fs.Int64("seed", 1, "random seed: the same seed gives the same records")
	cards := fs.Int64("cards", 10_000, "distinct card numbers of the authorization stream")
	topic := fs.String("topic", "", "topic of the (one) stream (default: the stream's name; authorization_attempts)")
	eventTime := fs.String("event-time", "", "sequence: event n at base time + n/event-rate (default with --count); wall: the wall clock at append (default with --rate)")
	eventRate := fs.Float64("event-rate", 10_000, "events per second of event time (sequence event time)")
	baseTime := fs.Int64("base-time", 0, "event time of the first event, ms since the epoch (sequence event time; default: the wall clock at the start, to the second, so that a topic's retention, 7 days by default, keeps the records; give it to reproduce a run byte for byte)")
	pastSellers := fs.Bool("past-sellers", false, "every auction's seller is a person generated earlier in event time (Nexmark lets a few be up to 10 persons ahead); the input of `ksql bench`'s q3 and q8")
	props := propertyFlags{}
	fs.Var(props, "set", "a property, key=value (repeatable): ksql.log.* for the data directory, Kafka client properties for --bootstrap-servers")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("datagen: unexpected arguments %q", fs.Args())
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if *count > 0 && *rate > 0 {
		return errors.New("datagen: --count or --rate, not both")
	}
	if *count < 0 || *rate < 0 || *duration <= 0 || *partitions <= 0 || *cards <= 0 || *eventRate <= 0 {
		return errors.New("datagen: --count, --rate, --duration, --partitions, --cards and --event-rate must be positive")
	}
	if *rate == 0 && *count == 0 {
		*count = 100_000
	}
	if *bootstrap != "" && set["data-dir"] {
		return errors.New("datagen: --data-dir or --bootstrap-servers, not both")
	}
	if *baseTime == 0 {
		*baseTime = time.Now().Truncate(time.Second).UnixMilli()
	}
	spec := genSpec{Topic: *topic, Partitions: int32(*partitions), Seed: *seed, Cards: *cards, BaseTime: *baseTime, EventRate: *eventRate, WallTime: *rate > 0, PastSellers: *pastSellers}
	switch *eventTime {
	case "":
	case "sequence":
		spec.WallTime = false
	case "wall":
		spec.WallTime = true
	default:
		return fmt.Errorf("datagen: --event-time %q: sequence or wall", *eventTime)
	}
	for _, s := range strings.Split(*streams, ",") {
		if s = strings.ToLower(strings.TrimSpace(s)); s != "" {
			spec.Streams = append(spec.Streams, s)
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var lg broker.Log
	where := ""
	if *bootstrap != "" {
		kf := &kafkaFlags{bootstrap: bootstrap}
		l, name, err := kf.dialCluster(ctx, props, map[string]bool{"bootstrap-servers": true})
		if err != nil {
			return fmt.Errorf("datagen: %w", err)
		}
		lg, where = l, name
		defer lg.Close()
	} else {
		// The engine opens the directory as the server does (format stamp,
		// recovery) and leaves its queries stopped.
		eng, err := engine.Open(ctx, engine.Config{DataDir: *dataDir, Synchronous: true, Properties: props})
		if err != nil {
			return fmt.Errorf("datagen: %w", err)
		}
		defer eng.Close()
		lg, where = eng.Log(), "the embedded log of "+*dataDir
	}
	start := time.Now()
	f, err := newFeeder(ctx, lg, spec, 2000)
	if err != nil {
		return fmt.Errorf("datagen: %w", err)
	}
	if *rate > 0 {
		err = f.writeRate(ctx, *rate, *duration, 10*time.Millisecond)
	} else {
		err = f.writeCount(ctx, *count)
	}
	if err != nil {
		return fmt.Errorf("datagen: %w (%d records written)", err, f.written)
	}
	secs := time.Since(start).Seconds()
	for _, s := range spec.Streams {
		t := f.topics[spec.topicOf(s)]
		fmt.Printf("%s: %d records into topic %s (%d partitions)\n", s, t.count, t.name, t.partitions)
	}
	fmt.Printf("wrote %d records to %s in %.1f s (%.0f records/s)\n", f.written, where, secs, float64(f.written)/secs)
	return nil
}
