package engine

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/exec/serde"
	"github.com/ksqlgo/ksql/sql/ast"
	"github.com/ksqlgo/ksql/sql/types"
)

// PRINT reads a topic from its end (or FROM BEGINNING) and formats every
// INTERVAL-th record as ksqlDB does (TopicStreamWriter, RecordFormatter):
// the key and value formats are guessed by trying every format on every
// record and dropping those that fail; a record is formatted with the
// first format still possible; "Key format: ..." and "Value format: ..."
// lines (the candidates joined with " or ") come before the records
// whenever the candidates change. There is no schema registry, so AVRO,
// PROTOBUF and JSON_SR are never candidates.

func (e *Engine) startPrint(ctx context.Context, s *ast.Print, sess *Session) (RunningQuery, error) {
	topic, err := e.printTopic(ctx, s.Topic)
	if err != nil {
		return nil, err
	}
	info, err := e.log.Topic(ctx, topic)
	if err != nil {
		return nil, err
	}
	interval := s.Interval
	if interval == 0 {
		interval = 1
	}
	if interval < 1 {
		return nil, fmt.Errorf("INTERVAL must be greater than one, but was: %d", interval)
	}
	pctx, cancel := context.WithCancel(context.Background())
	p := &printQuery{
		e: e, topic: topic, interval: interval, limit: s.Limit,
		pos:    make([]int64, info.Config.Partitions),
		keys:   newFormatGuess(true),
		values: newFormatGuess(false),
		ctx:    pctx, cancel: cancel,
		shownKeys: "-", shownValues: "-",
	}
	for i := range p.pos {
		off, err := e.log.Offsets(ctx, topic, int32(i))
		if err != nil {
			cancel()
			return nil, err
		}
		p.pos[i] = off.Stable
		if s.FromBeginning {
			p.pos[i] = off.Start
		}
	}
	return p, nil
}

// printTopic resolves a PRINT's topic name: exact, or the only topic that
// matches it ignoring case.
func (e *Engine) printTopic(ctx context.Context, name string) (string, error) {
	_, err := e.log.Topic(ctx, name)
	switch {
	case err == nil:
		return name, nil
	case !errors.Is(err, broker.ErrUnknownTopic):
		return "", fmt.Errorf("looking up topic %s: %w", name, err)
	}
	topics, err := e.log.Topics(ctx)
	if err != nil {
		return "", fmt.Errorf("listing topics: %w", err)
	}
	var match []string
	for _, t := range topics {
		if strings.EqualFold(t.Name, name) {
			match = append(match, t.Name)
		}
	}
	if len(match) == 1 {
		return match[0], nil
	}
	return "", fmt.Errorf("Could not find topic '%s', or the KSQL user does not have permissions to list the topic. Topic names are case-sensitive.", name)
}

type printQuery struct {
	e        *Engine
	topic    string
	interval int64
	limit    int64 // 0: none
	pos      []int64
	keys     *formatGuess
	values   *formatGuess
	polled   int64
	written  int64
	lines    []string
	// the format lines last shown
	shownKeys, shownValues string

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
}

func (p *printQuery) ID() string        { return "" }
func (p *printQuery) Kind() QueryKind   { return PrintTopic }
func (p *printQuery) Columns() []Column { return nil }
func (p *printQuery) Final() string     { return "" }
func (p *printQuery) Close() error      { p.cancel(); return nil }

func (p *printQuery) Next(ctx context.Context) (Row, error) {
	for {
		if len(p.lines) > 0 {
			l := p.lines[0]
			p.lines = p.lines[1:]
			return Row{Values: []any{l}}, nil
		}
		if p.limit > 0 && p.written >= p.limit {
			return Row{}, io.EOF
		}
		if err := p.ctx.Err(); err != nil {
			return Row{}, ErrQueryClosed
		}
		if err := ctx.Err(); err != nil {
			return Row{}, err
		}
		got, err := p.poll(ctx)
		if err != nil {
			return Row{}, err
		}
		if got {
			continue
		}
		// Nothing new: wait a little on each partition in turn.
		for i := range p.pos {
			wctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
			stop := context.AfterFunc(p.ctx, cancel)
			_ = p.e.log.Wait(wctx, p.topic, int32(i), p.pos[i], broker.ReadCommitted)
			stop()
			cancel()
		}
	}
}

// poll reads one batch from every partition and formats it.
func (p *printQuery) poll(ctx context.Context) (bool, error) {
	got := false
	for i := range p.pos {
		recs, next, err := p.e.log.Read(ctx, p.topic, int32(i), p.pos[i], broker.ReadOptions{MaxRecords: 500})
		if err != nil {
			return got, err
		}
		p.pos[i] = next
		if len(recs) == 0 {
			continue
		}
		got = true
		var out []string
		for _, r := range recs {
			line := p.format(&r)
			if p.polled%p.interval == 0 {
				p.written++
				out = append(out, line)
			}
			p.polled++
			if p.limit > 0 && p.written >= p.limit {
				break
			}
		}
		if k := p.keys.possible(); k != p.shownKeys {
			p.shownKeys = k
			p.lines = append(p.lines, "Key format: "+k)
		}
		if v := p.values.possible(); v != p.shownValues {
			p.shownValues = v
			p.lines = append(p.lines, "Value format: "+v)
		}
		p.lines = append(p.lines, out...)
		if p.limit > 0 && p.written >= p.limit {
			break
		}
	}
	return got, nil
}

func (p *printQuery) format(r *broker.Record) string {
	ts := "N/A"
	if r.Timestamp >= 0 {
		ts = time.UnixMilli(r.Timestamp).UTC().Format("2006/01/02 15:04:05.000") + " Z"
	}
	return "rowtime: " + ts + ", key: " + p.keys.format(r.Key) + ", value: " + p.values.format(r.Value) +
		", partition: " + strconv.Itoa(int(r.Partition))
}

// formatGuess is the set of formats that decoded every record seen.
type formatGuess struct {
	formats []printFormat
	seen    bool
}

type printFormat struct {
	name   string
	decode func([]byte) (string, bool)
}

func newFormatGuess(key bool) *formatGuess {
	base := []printFormat{
		{"JSON", decodeJSONText},
		{"KAFKA_INT", decodeKafkaInt},
		{"KAFKA_BIGINT", decodeKafkaBigint},
		{"KAFKA_DOUBLE", decodeKafkaDouble},
		{"KAFKA_STRING", decodeKafkaString},
	}
	g := &formatGuess{}
	for _, f := range base {
		if key {
			g.formats = append(g.formats, sessionWindowed(f), timeWindowed("HOPPING", f), timeWindowed("TUMBLING", f))
		}
		g.formats = append(g.formats, f)
	}
	return g
}

// possible lists the candidate formats as ksqlDB prints them.
func (g *formatGuess) possible() string {
	if !g.seen {
		return "¯\\_(ツ)_/¯ - no data processed"
	}
	if len(g.formats) == 0 {
		return " does not match any supported format. It may be a STRING with encoding other than UTF8, or some other format."
	}
	names := make([]string, len(g.formats))
	for i, f := range g.formats {
		names[i] = f.name
	}
	return strings.Join(names, " or ")
}

// format formats data with the first format that decodes it, dropping
// the formats that do not.
func (g *formatGuess) format(data []byte) string {
	if data == nil {
		return "<null>"
	}
	g.seen = true
	first, found := "", false
	kept := g.formats[:0]
	for _, f := range g.formats {
		s, ok := f.decode(data)
		if !ok {
			continue
		}
		kept = append(kept, f)
		if !found {
			first, found = s, true
		}
	}
	g.formats = kept
	if !found {
		// ksqlDB falls back to printing the bytes.
		return bytesText(data)
	}
	return first
}

func decodeJSONText(b []byte) (string, bool) {
	if len(b) == 0 || !utf8.Valid(b) || bytes.ContainsRune(b, utf8.RuneError) {
		return "", false
	}
	var v json.RawMessage
	if err := json.NewDecoder(bytes.NewReader(b)).Decode(&v); err != nil {
		return "", false
	}
	return string(b), true
}

func decodeKafkaInt(b []byte) (string, bool) {
	if len(b) != 4 {
		return "", false
	}
	return strconv.Itoa(int(int32(binary.BigEndian.Uint32(b)))), true
}

func decodeKafkaBigint(b []byte) (string, bool) {
	if len(b) != 8 {
		return "", false
	}
	return strconv.FormatInt(int64(binary.BigEndian.Uint64(b)), 10), true
}

func decodeKafkaDouble(b []byte) (string, bool) {
	if len(b) != 8 {
		return "", false
	}
	f := math.Float64frombits(binary.BigEndian.Uint64(b))
	return fmt.Sprint(serde.ValueToJSON(f, types.DoubleType)), true
}

func decodeKafkaString(b []byte) (string, bool) {
	if len(b) == 0 || !utf8.Valid(b) || bytes.ContainsRune(b, utf8.RuneError) {
		return "", false
	}
	return string(b), true
}

// timeWindowed is Kafka Streams' time-windowed key: the key, then the
// window start (8 bytes; the end is not serialized).
func timeWindowed(kind string, f printFormat) printFormat {
	return printFormat{name: kind + "(" + f.name + ")", decode: func(b []byte) (string, bool) {
		if len(b) < 8 {
			return "", false
		}
		k, ok := f.decode(b[:len(b)-8])
		if !ok {
			return "", false
		}
		start := int64(binary.BigEndian.Uint64(b[len(b)-8:]))
		return "[" + k + "@" + strconv.FormatInt(start, 10) + "/-]", true
	}}
}

// sessionWindowed is Kafka Streams' session key: the key, the window end,
// the window start (8 bytes each).
func sessionWindowed(f printFormat) printFormat {
	return printFormat{name: "SESSION(" + f.name + ")", decode: func(b []byte) (string, bool) {
		if len(b) < 16 {
			return "", false
		}
		k, ok := f.decode(b[:len(b)-16])
		if !ok {
			return "", false
		}
		end := int64(binary.BigEndian.Uint64(b[len(b)-16:]))
		start := int64(binary.BigEndian.Uint64(b[len(b)-8:]))
		return "[" + k + "@" + strconv.FormatInt(start, 10) + "/" + strconv.FormatInt(end, 10) + "]", true
	}}
}

// bytesText is Kafka's Bytes.toString: printable ASCII as is, other
// bytes as \xNN.
func bytesText(b []byte) string {
	var sb strings.Builder
	for _, c := range b {
		if c >= ' ' && c < 0x7f {
			sb.WriteByte(c)
		} else {
			fmt.Fprintf(&sb, "\\x%02X", c)
		}
	}
	return sb.String()
}
