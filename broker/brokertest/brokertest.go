// Package brokertest is the conformance suite every broker.Log
// implementation passes. Run checks the contract on fresh logs; RunDurable
// also reopens a log on the same directory to check durability.
//
// The suite relies only on the documented contract of broker.Log. In
// particular it does not assume how many offsets a transaction marker
// occupies (only that markers are never returned), nor that a fresh
// partition starts at offset 0.
//
// Usage, from an implementation's tests:
//
//	func TestConformance(t *testing.T) {
//		brokertest.Run(t, func(t *testing.T) broker.Log { return openFresh(t) })
//	}
//
// A log whose transactions are decided by the log itself
// (broker.LogDecidedTxns, such as Kafka's) runs the suite with
// RunWith(t, open, Caps{LogDecidedTxns: true}).
//
// The suite closes every log it opens (a second Close is expected to fail
// with broker.ErrClosed, which is ignored).
//
// It imports package broker and the standard library only.
package brokertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ksqlgo/ksql/broker"
)

// failsafe bounds every wait for a goroutine's result. Tests never sleep;
// they only give up after this long if something hangs.
const failsafe = 30 * time.Second

// Caps says how a Log departs from the default contract where the
// contract allows it.
type Caps struct {
	// LogDecidedTxns: transactions are decided by the log
	// (broker.LogDecidedTxns): a producer has one open transaction at a
	// time, so a new Seq while one is open is refused with
	// broker.ErrTxnState instead of starting a second one.
	LogDecidedTxns bool
}

// Run runs the conformance suite. open must return a new, empty log.
func Run(t *testing.T, open func(t *testing.T) broker.Log) {
	RunWith(t, open, Caps{})
}

// RunWith runs the conformance suite on a log with the given caps.
func RunWith(t *testing.T, open func(t *testing.T) broker.Log, caps Caps) {
	fresh := func(t *testing.T) broker.Log {
		t.Helper()
		l := open(t)
		t.Cleanup(func() { _ = l.Close() })
		return l
	}
	tests := []struct {
		name string
		fn   func(t *testing.T, l broker.Log)
	}{
		{"Topics", testTopics},
		{"TopicNames", testTopicNames},
		{"UnknownTopicAndPartition", testUnknown},
		{"AppendRead", testAppendRead},
		{"ReadLimits", testReadLimits},
		{"ReadMiddleOfBatch", testReadMiddle},
		{"ReadBounds", testReadBounds},
		{"RecordFields", testRecordFields},
		{"Ownership", testOwnership},
		{"Wait", testWait},
		{"WaitContext", testWaitContext},
		{"TxnCommit", testTxnCommit},
		{"TxnAbort", testTxnAbort},
		{"TxnStableOffset", testTxnStable},
		{"TxnStableOffsetAbort", testTxnStableAbort},
		{"TxnWaitCommitted", testTxnWait},
		{"TxnInterleaved", testTxnInterleaved},
		{"TxnMisc", testTxnMisc},
		{"TxnNewSeqWhileOlderOpen", func(t *testing.T, l broker.Log) { testTxnNewSeq(t, l, caps) }},
		{"ConsumerGroups", testGroups},
		{"ConcurrentAppends", testConcurrent},
		{"Closed", testClosed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, fresh(t)) })
	}
	t.Run("Partitioner", testPartitioner)
}

// RunDurable runs the durability checks: open(t, dir) opens the log stored
// in dir, and is called several times on one directory, each time after
// the previous log was closed.
func RunDurable(t *testing.T, open func(t *testing.T, dir string) broker.Log) {
	tests := []struct {
		name string
		fn   func(t *testing.T, reopen func() broker.Log)
	}{
		{"Reopen", testReopen},
		{"InDoubtCommit", func(t *testing.T, reopen func() broker.Log) { testInDoubt(t, reopen, true) }},
		{"InDoubtAbort", func(t *testing.T, reopen func() broker.Log) { testInDoubt(t, reopen, false) }},
		{"DeleteIsDurable", testDeleteDurable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			var cur broker.Log
			t.Cleanup(func() {
				if cur != nil {
					_ = cur.Close()
				}
			})
			reopen := func() broker.Log {
				t.Helper()
				if cur != nil {
					if err := cur.Close(); err != nil {
						t.Fatalf("Close: %v", err)
					}
				}
				cur = open(t, dir)
				return cur
			}
			tc.fn(t, reopen)
		})
	}
}

// ---------------------------------------------------------------- helpers

func ctxOf(t *testing.T) context.Context { return t.Context() }

func create(t *testing.T, l broker.Log, name string, partitions int32) {
	t.Helper()
	if err := l.CreateTopic(ctxOf(t), name, broker.TopicConfig{Partitions: partitions}); err != nil {
		t.Fatalf("CreateTopic(%q): %v", name, err)
	}
}

// mk builds n records with keys k<prefix><i> and values v<prefix><i>.
func mk(prefix string, n int) []broker.Record {
	recs := make([]broker.Record, n)
	for i := range recs {
		recs[i] = broker.Record{
			Key:       []byte(fmt.Sprintf("k%s%d", prefix, i)),
			Value:     []byte(fmt.Sprintf("v%s%d", prefix, i)),
			Timestamp: 1_700_000_000_000 + int64(i),
		}
	}
	return recs
}

func appendRecs(t *testing.T, l broker.Log, topic string, p int32, recs []broker.Record) int64 {
	t.Helper()
	off, err := l.Append(ctxOf(t), topic, p, recs)
	if err != nil {
		t.Fatalf("Append(%s-%d): %v", topic, p, err)
	}
	return off
}

func appendTxn(t *testing.T, l broker.Log, txn broker.Txn, topic string, p int32, recs []broker.Record) int64 {
	t.Helper()
	off, err := l.AppendTxn(ctxOf(t), txn, topic, p, recs)
	if err != nil {
		t.Fatalf("AppendTxn(%v, %s-%d): %v", txn, topic, p, err)
	}
	return off
}

func endTxn(t *testing.T, l broker.Log, txn broker.Txn, commit bool) {
	t.Helper()
	if err := l.EndTxn(ctxOf(t), txn, commit); err != nil {
		t.Fatalf("EndTxn(%v, %v): %v", txn, commit, err)
	}
}

func offsets(t *testing.T, l broker.Log, topic string, p int32) broker.Offsets {
	t.Helper()
	o, err := l.Offsets(ctxOf(t), topic, p)
	if err != nil {
		t.Fatalf("Offsets(%s-%d): %v", topic, p, err)
	}
	return o
}

// readAll reads from offset until a read makes no progress, returning the
// records and the final next offset.
func readAll(t *testing.T, l broker.Log, topic string, p int32, from int64, iso broker.Isolation) ([]broker.Record, int64) {
	t.Helper()
	var all []broker.Record
	next := from
	for i := 0; i < 100000; i++ {
		recs, n, err := l.Read(ctxOf(t), topic, p, next, broker.ReadOptions{Isolation: iso})
		if err != nil {
			t.Fatalf("Read(%s-%d @%d): %v", topic, p, next, err)
		}
		if n < next {
			t.Fatalf("Read(%s-%d @%d): next %d went backwards", topic, p, next, n)
		}
		prev := next
		for _, r := range recs {
			if r.Offset < prev {
				t.Fatalf("Read(%s-%d @%d): offset %d out of order (after %d)", topic, p, next, r.Offset, prev)
			}
			if r.Offset >= n {
				t.Fatalf("Read(%s-%d @%d): record offset %d >= next %d", topic, p, next, r.Offset, n)
			}
			prev = r.Offset + 1
		}
		all = append(all, recs...)
		if n == next && len(recs) == 0 {
			return all, next
		}
		next = n
	}
	t.Fatalf("readAll(%s-%d) did not terminate", topic, p)
	return nil, 0
}

func values(recs []broker.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = string(r.Value)
	}
	return out
}

func wantValues(t *testing.T, what string, recs []broker.Record, want ...string) {
	t.Helper()
	got := values(recs)
	if len(want) == 0 {
		want = []string{}
	}
	if strings.Join(got, ",") != strings.Join(want, ",") || len(got) != len(want) {
		t.Fatalf("%s: got values %q, want %q", what, got, want)
	}
}

func vals(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("v%s%d", prefix, i)
	}
	return out
}

func cat(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want %v", what, err, target)
	}
}

func sameRecord(t *testing.T, what string, got, want broker.Record) {
	t.Helper()
	if !bytes.Equal(got.Key, want.Key) || (got.Key == nil) != (want.Key == nil) {
		t.Fatalf("%s: key %q (nil=%v), want %q (nil=%v)", what, got.Key, got.Key == nil, want.Key, want.Key == nil)
	}
	if !bytes.Equal(got.Value, want.Value) || (got.Value == nil) != (want.Value == nil) {
		t.Fatalf("%s: value %q (nil=%v), want %q (nil=%v)", what, got.Value, got.Value == nil, want.Value, want.Value == nil)
	}
	if got.Timestamp != want.Timestamp {
		t.Fatalf("%s: timestamp %d, want %d", what, got.Timestamp, want.Timestamp)
	}
	if len(got.Headers) != len(want.Headers) {
		t.Fatalf("%s: %d headers, want %d", what, len(got.Headers), len(want.Headers))
	}
	for i := range want.Headers {
		if got.Headers[i].Key != want.Headers[i].Key || !bytes.Equal(got.Headers[i].Value, want.Headers[i].Value) {
			t.Fatalf("%s: header %d = %q:%q, want %q:%q", what, i, got.Headers[i].Key, got.Headers[i].Value, want.Headers[i].Key, want.Headers[i].Value)
		}
	}
}

// result waits (bounded) for a goroutine's error.
func result(t *testing.T, what string, errc <-chan error) error {
	t.Helper()
	timer := time.NewTimer(failsafe)
	defer timer.Stop()
	select {
	case err := <-errc:
		return err
	case <-timer.C:
		t.Fatalf("%s did not return within %v", what, failsafe)
		return nil
	}
}

// ----------------------------------------------------------------- topics

func testTopics(t *testing.T, l broker.Log) {
	ctx := ctxOf(t)
	if got := Topics(t, l); len(got) != 0 {
		t.Fatalf("fresh log has topics %v", got)
	}
	cfg := broker.TopicConfig{Partitions: 3, RetentionMs: 3600_000, RetentionBytes: 1 << 30, CleanupPolicy: "compact"}
	if err := l.CreateTopic(ctx, "orders", cfg); err != nil {
		t.Fatal(err)
	}
	create(t, l, "b", 1)
	create(t, l, "a", 2)
	info, err := l.Topic(ctx, "orders")
	if err != nil {
		t.Fatal(err)
	}
	if info.Name != "orders" || info.Config != cfg {
		t.Fatalf("Topic(orders) = %+v, want config %+v", info, cfg)
	}
	var names []string
	for _, ti := range Topics(t, l) {
		names = append(names, ti.Name)
	}
	if strings.Join(names, ",") != "a,b,orders" {
		t.Fatalf("Topics() = %v, want sorted [a b orders]", names)
	}
	wantErr(t, "create existing", l.CreateTopic(ctx, "orders", broker.TopicConfig{Partitions: 1}), broker.ErrTopicExists)
	for _, n := range []int32{0, -1} {
		wantErr(t, fmt.Sprintf("create with %d partitions", n), l.CreateTopic(ctx, "bad", broker.TopicConfig{Partitions: n}), broker.ErrInvalidTopic)
	}
	if _, err := l.Topic(ctx, "bad"); !errors.Is(err, broker.ErrUnknownTopic) {
		t.Fatalf("invalid topic was created: %v", err)
	}

	if err := l.DeleteTopic(ctx, "orders"); err != nil {
		t.Fatal(err)
	}
	_, err = l.Topic(ctx, "orders")
	wantErr(t, "Topic after delete", err, broker.ErrUnknownTopic)
	wantErr(t, "delete twice", l.DeleteTopic(ctx, "orders"), broker.ErrUnknownTopic)
	wantErr(t, "delete unknown", l.DeleteTopic(ctx, "nope"), broker.ErrUnknownTopic)
	_, err = l.Offsets(ctx, "orders", 0)
	wantErr(t, "Offsets after delete", err, broker.ErrUnknownTopic)
	_, _, err = l.Read(ctx, "orders", 0, 0, broker.ReadOptions{})
	wantErr(t, "Read after delete", err, broker.ErrUnknownTopic)

	// Re-creating a deleted topic gives an empty topic.
	appendRecs(t, l, "a", 0, mk("x", 2))
	if err := l.DeleteTopic(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	create(t, l, "a", 1)
	if o := offsets(t, l, "a", 0); o.End != o.Start {
		t.Fatalf("re-created topic is not empty: %+v", o)
	}
	if recs, _ := readAll(t, l, "a", 0, offsets(t, l, "a", 0).Start, broker.ReadUncommitted); len(recs) != 0 {
		t.Fatalf("re-created topic holds %d records", len(recs))
	}
}

func testTopicNames(t *testing.T, l broker.Log) {
	ctx := ctxOf(t)
	good := []string{"a", "A.b_c-9", strings.Repeat("x", 249), "..a", "_internal"}
	for _, n := range good {
		if err := l.CreateTopic(ctx, n, broker.TopicConfig{Partitions: 1}); err != nil {
			t.Fatalf("CreateTopic(%q): %v", n, err)
		}
	}
	bad := []string{"", ".", "..", "a/b", "a b", "a\\b", "ä", "a:b", "a*", strings.Repeat("x", 250), "../x"}
	for _, n := range bad {
		wantErr(t, fmt.Sprintf("CreateTopic(%q)", n), l.CreateTopic(ctx, n, broker.TopicConfig{Partitions: 1}), broker.ErrInvalidTopic)
	}
	if got := len(Topics(t, l)); got != len(good) {
		t.Fatalf("%d topics, want %d", got, len(good))
	}
	// The longest name works for data and deletion too.
	appendRecs(t, l, good[2], 0, mk("a", 1))
	if err := l.DeleteTopic(ctx, good[2]); err != nil {
		t.Fatalf("DeleteTopic(249 chars): %v", err)
	}
}

func testUnknown(t *testing.T, l broker.Log) {
	ctx := ctxOf(t)
	create(t, l, "t", 2)
	for _, tc := range []struct {
		topic string
		p     int32
		want  error
	}{
		{"nope", 0, broker.ErrUnknownTopic},
		{"t", 2, broker.ErrUnknownPartition},
		{"t", -1, broker.ErrUnknownPartition},
	} {
		what := fmt.Sprintf("%s-%d", tc.topic, tc.p)
		_, err := l.Append(ctx, tc.topic, tc.p, mk("a", 1))
		wantErr(t, "Append "+what, err, tc.want)
		_, err = l.AppendTxn(ctx, broker.Txn{Producer: "p", Seq: 1}, tc.topic, tc.p, mk("a", 1))
		wantErr(t, "AppendTxn "+what, err, tc.want)
		_, _, err = l.Read(ctx, tc.topic, tc.p, 0, broker.ReadOptions{})
		wantErr(t, "Read "+what, err, tc.want)
		_, err = l.Offsets(ctx, tc.topic, tc.p)
		wantErr(t, "Offsets "+what, err, tc.want)
		err = l.Wait(ctx, tc.topic, tc.p, 0, broker.ReadUncommitted)
		wantErr(t, "Wait "+what, err, tc.want)
	}
}

// ---------------------------------------------------------- append / read

func testAppendRead(t *testing.T, l broker.Log) {
	create(t, l, "t", 2)
	batches := [][]broker.Record{mk("a", 3), mk("b", 2), mk("c", 1)}
	var want []broker.Record
	first, next := int64(0), int64(0)
	for i, b := range batches {
		off := appendRecs(t, l, "t", 1, b)
		if i == 0 {
			first, next = off, off
		}
		if off != next {
			t.Fatalf("batch %d got offset %d, want %d (consecutive)", i, off, next)
		}
		next += int64(len(b))
		want = append(want, b...)
	}
	o := offsets(t, l, "t", 1)
	if o.End != next || o.Stable != next || o.Start > first {
		t.Fatalf("Offsets = %+v, want End=Stable=%d, Start<=%d", o, next, first)
	}
	for _, iso := range []broker.Isolation{broker.ReadCommitted, broker.ReadUncommitted} {
		got, n := readAll(t, l, "t", 1, first, iso)
		if n != o.End {
			t.Fatalf("iso %d: next %d, want %d", iso, n, o.End)
		}
		if len(got) != len(want) {
			t.Fatalf("iso %d: %d records, want %d", iso, len(got), len(want))
		}
		for i, r := range got {
			sameRecord(t, fmt.Sprintf("record %d", i), r, want[i])
			if r.Offset != first+int64(i) || r.Partition != 1 {
				t.Fatalf("record %d: offset %d partition %d, want %d / 1", i, r.Offset, r.Partition, first+int64(i))
			}
		}
	}
	if o0 := offsets(t, l, "t", 0); o0.End != o0.Start {
		t.Fatalf("partition 0 not empty: %+v", o0)
	}
}

func testReadLimits(t *testing.T, l broker.Log) {
	ctx := ctxOf(t)
	create(t, l, "t", 1)
	base := appendRecs(t, l, "t", 0, mk("a", 300))
	appendRecs(t, l, "t", 0, mk("b", 300))

	recs, next, err := l.Read(ctx, "t", 0, base, broker.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 500 || next != base+500 {
		t.Fatalf("default read: %d records, next %d; want 500, %d", len(recs), next, base+500)
	}
	recs, next, err = l.Read(ctx, "t", 0, base, broker.ReadOptions{MaxRecords: 7})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 7 || next != base+7 || recs[6].Offset != base+6 {
		t.Fatalf("MaxRecords 7: %d records, next %d", len(recs), next)
	}
	// Records va0..va9 have the same size; allow two and a half.
	sz := recs[0].Size()
	recs, next, err = l.Read(ctx, "t", 0, base, broker.ReadOptions{MaxBytes: 2*sz + sz/2})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || next != base+2 {
		t.Fatalf("MaxBytes 2.5 records: %d records, next %d", len(recs), next)
	}
	recs, next, err = l.Read(ctx, "t", 0, base+5, broker.ReadOptions{MaxBytes: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || next != base+6 || recs[0].Offset != base+5 {
		t.Fatalf("MaxBytes 1: %d records, next %d; want exactly one record", len(recs), next)
	}
	// Across the batch boundary.
	recs, next, err = l.Read(ctx, "t", 0, base+298, broker.ReadOptions{MaxRecords: 4})
	if err != nil {
		t.Fatal(err)
	}
	wantValues(t, "across batches", recs, "va298", "va299", "vb0", "vb1")
	if next != base+302 {
		t.Fatalf("across batches: next %d, want %d", next, base+302)
	}
}

func testReadMiddle(t *testing.T, l broker.Log) {
	ctx := ctxOf(t)
	create(t, l, "t", 1)
	base := appendRecs(t, l, "t", 0, mk("a", 10))
	recs, next, err := l.Read(ctx, "t", 0, base+4, broker.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wantValues(t, "from middle", recs, vals("a", 10)[4:]...)
	if next != base+10 || recs[0].Offset != base+4 {
		t.Fatalf("next %d first offset %d", next, recs[0].Offset)
	}
	recs, next, err = l.Read(ctx, "t", 0, base+4, broker.ReadOptions{MaxRecords: 3})
	if err != nil {
		t.Fatal(err)
	}
	wantValues(t, "from middle, 3", recs, "va4", "va5", "va6")
	if next != base+7 {
		t.Fatalf("next %d, want %d", next, base+7)
	}
	recs, next, err = l.Read(ctx, "t", 0, base+9, broker.ReadOptions{Isolation: broker.ReadUncommitted})
	if err != nil {
		t.Fatal(err)
	}
	wantValues(t, "last of batch", recs, "va9")
	if next != base+10 {
		t.Fatalf("next %d, want %d", next, base+10)
	}
}

func testReadBounds(t *testing.T, l broker.Log) {
	ctx := ctxOf(t)
	create(t, l, "t", 1)
	o := offsets(t, l, "t", 0)
	for _, iso := range []broker.Isolation{broker.ReadCommitted, broker.ReadUncommitted} {
		recs, next, err := l.Read(ctx, "t", 0, o.End, broker.ReadOptions{Isolation: iso})
		if err != nil || len(recs) != 0 || next != o.End {
			t.Fatalf("read empty partition: %d records, next %d, err %v", len(recs), next, err)
		}
	}
	appendRecs(t, l, "t", 0, mk("a", 3))
	o = offsets(t, l, "t", 0)
	for _, iso := range []broker.Isolation{broker.ReadCommitted, broker.ReadUncommitted} {
		recs, next, err := l.Read(ctx, "t", 0, o.End, broker.ReadOptions{Isolation: iso})
		if err != nil || len(recs) != 0 || next != o.End {
			t.Fatalf("read at end: %d records, next %d, err %v; want none, %d", len(recs), next, err, o.End)
		}
		_, _, err = l.Read(ctx, "t", 0, o.End+1, broker.ReadOptions{Isolation: iso})
		wantErr(t, "read past end", err, broker.ErrOffsetOutOfRange)
		_, _, err = l.Read(ctx, "t", 0, o.Start-1, broker.ReadOptions{Isolation: iso})
		wantErr(t, "read below start", err, broker.ErrOffsetOutOfRange)
	}
}

func testRecordFields(t *testing.T, l broker.Log) {
	create(t, l, "t", 1)
	in := []broker.Record{
		{Key: []byte("tomb"), Value: nil, Timestamp: 1},
		{Key: []byte("empty"), Value: []byte{}, Timestamp: 2},
		{Key: nil, Value: []byte("keyless"), Timestamp: 1_700_000_000_123},
		{Key: []byte("h"), Value: []byte("v"), Timestamp: 0, Headers: []broker.Header{
			{Key: "trace", Value: []byte("abc")},
			{Key: "empty", Value: []byte{}},
			{Key: "", Value: []byte("anon")},
			{Key: "trace", Value: []byte("dup")},
		}},
		{Key: bytes.Repeat([]byte{0, 255}, 1000), Value: bytes.Repeat([]byte("x"), 100_000), Timestamp: -5},
	}
	base := appendRecs(t, l, "t", 0, in)
	got, _ := readAll(t, l, "t", 0, base, broker.ReadCommitted)
	if len(got) != len(in) {
		t.Fatalf("%d records, want %d", len(got), len(in))
	}
	for i := range in {
		sameRecord(t, fmt.Sprintf("record %d", i), got[i], in[i])
	}
	if got[0].Value != nil {
		t.Fatal("tombstone read back as non-nil value")
	}
	if got[1].Value == nil {
		t.Fatal("empty value read back as nil (tombstone)")
	}
}

func testOwnership(t *testing.T, l broker.Log) {
	ctx := ctxOf(t)
	create(t, l, "t", 1)
	in := []broker.Record{{Key: []byte("k"), Value: []byte("value"), Headers: []broker.Header{{Key: "h", Value: []byte("hv")}}}}
	base := appendRecs(t, l, "t", 0, in)
	// The caller may reuse its slices once Append returns.
	in[0].Key[0], in[0].Value[0], in[0].Headers[0].Value[0] = 'X', 'X', 'X'
	r1, _, err := l.Read(ctx, "t", 0, base, broker.ReadOptions{})
	if err != nil || len(r1) != 1 {
		t.Fatalf("read: %v %d", err, len(r1))
	}
	if string(r1[0].Key) != "k" || string(r1[0].Value) != "value" || string(r1[0].Headers[0].Value) != "hv" {
		t.Fatalf("stored record changed with the caller's slices: %q %q", r1[0].Key, r1[0].Value)
	}
	// Returned records are the caller's: scribbling over them changes nothing.
	r1[0].Key[0], r1[0].Value[0], r1[0].Headers[0].Value[0] = 'Y', 'Y', 'Y'
	r1[0].Value = append(r1[0].Value, "more"...)
	r2, _, err := l.Read(ctx, "t", 0, base, broker.ReadOptions{})
	if err != nil || len(r2) != 1 {
		t.Fatalf("read: %v %d", err, len(r2))
	}
	if string(r2[0].Key) != "k" || string(r2[0].Value) != "value" || string(r2[0].Headers[0].Value) != "hv" {
		t.Fatalf("returned slices are shared with the log: %q %q", r2[0].Key, r2[0].Value)
	}
}

// ------------------------------------------------------------------- wait

func testWait(t *testing.T, l broker.Log) {
	ctx := ctxOf(t)
	create(t, l, "t", 1)
	end := offsets(t, l, "t", 0).End
	errc := make(chan error, 2)
	go func() { errc <- l.Wait(ctx, "t", 0, end, broker.ReadUncommitted) }()
	go func() { errc <- l.Wait(ctx, "t", 0, end, broker.ReadCommitted) }()
	appendRecs(t, l, "t", 0, mk("a", 1))
	for i := 0; i < 2; i++ {
		if err := result(t, "Wait", errc); err != nil {
			t.Fatalf("Wait: %v", err)
		}
	}
	// Data already there: returns at once.
	for _, iso := range []broker.Isolation{broker.ReadCommitted, broker.ReadUncommitted} {
		if err := l.Wait(ctx, "t", 0, end, iso); err != nil {
			t.Fatalf("Wait for existing data: %v", err)
		}
	}
}

func testWaitContext(t *testing.T, l broker.Log) {
	create(t, l, "t", 1)
	end := offsets(t, l, "t", 0).End
	// Nothing visible: an expired context must make Wait fail, not succeed.
	done, cancel := context.WithCancel(ctxOf(t))
	cancel()
	for _, iso := range []broker.Isolation{broker.ReadCommitted, broker.ReadUncommitted} {
		if err := l.Wait(done, "t", 0, end, iso); !errors.Is(err, context.Canceled) {
			t.Fatalf("Wait with canceled context: %v, want context.Canceled", err)
		}
	}
	// Cancel while waiting.
	ctx, cancel := context.WithCancel(ctxOf(t))
	errc := make(chan error, 1)
	go func() { errc <- l.Wait(ctx, "t", 0, end, broker.ReadUncommitted) }()
	cancel()
	if err := result(t, "Wait", errc); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait after cancel: %v, want context.Canceled", err)
	}
	dl, cancel2 := context.WithDeadline(ctxOf(t), time.Unix(1, 0))
	defer cancel2()
	if err := l.Wait(dl, "t", 0, end, broker.ReadUncommitted); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait past deadline: %v, want context.DeadlineExceeded", err)
	}
}

// ----------------------------------------------------------- transactions

func testTxnCommit(t *testing.T, l broker.Log) {
	ctx := ctxOf(t)
	create(t, l, "t", 2)
	txn := broker.Txn{Producer: "task-1", Seq: 1}
	s0 := offsets(t, l, "t", 0).End
	appendTxn(t, l, txn, "t", 0, mk("a", 3))
	appendTxn(t, l, txn, "t", 1, mk("b", 2))
	for p, n := range map[int32]int{0: 3, 1: 2} {
		if got, _ := readAll(t, l, "t", p, offsets(t, l, "t", p).Start, broker.ReadCommitted); len(got) != 0 {
			t.Fatalf("p%d: uncommitted records visible to ReadCommitted: %q", p, values(got))
		}
		if got, _ := readAll(t, l, "t", p, offsets(t, l, "t", p).Start, broker.ReadUncommitted); len(got) != n {
			t.Fatalf("p%d: ReadUncommitted sees %d records, want %d", p, len(got), n)
		}
	}
	if o := offsets(t, l, "t", 0); o.Stable != s0 || o.End < s0+3 {
		t.Fatalf("open txn: Offsets %+v, want Stable %d and End >= %d", o, s0, s0+3)
	}
	if err := l.PrepareTxn(ctx, txn); err != nil {
		t.Fatal(err)
	}
	endTxn(t, l, txn, true)
	got0, _ := readAll(t, l, "t", 0, s0, broker.ReadCommitted)
	wantValues(t, "p0 after commit", got0, vals("a", 3)...)
	got1, _ := readAll(t, l, "t", 1, offsets(t, l, "t", 1).Start, broker.ReadCommitted)
	wantValues(t, "p1 after commit", got1, vals("b", 2)...)
	if o := offsets(t, l, "t", 0); o.Stable <= got0[2].Offset {
		t.Fatalf("after commit Stable %d, want > %d", o.Stable, got0[2].Offset)
	}
	// Markers are never returned, under either isolation.
	after := appendRecs(t, l, "t", 0, mk("c", 1))
	all, _ := readAll(t, l, "t", 0, s0, broker.ReadUncommitted)
	wantValues(t, "ReadUncommitted after commit", all, cat(vals("a", 3), vals("c", 1))...)
	if all[3].Offset != after {
		t.Fatalf("offset of record after marker %d, want %d", all[3].Offset, after)
	}
	if after <= got0[2].Offset+1 {
		t.Logf("note: marker occupies no offset (offset after commit %d)", after)
	}
}

func testTxnAbort(t *testing.T, l broker.Log) {
	create(t, l, "t", 1)
	txn := broker.Txn{Producer: "task-1", Seq: 7}
	s0 := offsets(t, l, "t", 0).End
	appendTxn(t, l, txn, "t", 0, mk("a", 3))
	endTxn(t, l, txn, false)
	got, next := readAll(t, l, "t", 0, s0, broker.ReadCommitted)
	if len(got) != 0 {
		t.Fatalf("aborted records visible: %q", values(got))
	}
	if next < s0+3 {
		t.Fatalf("ReadCommitted next %d did not skip the aborted batch (ends at %d)", next, s0+3)
	}
	appendRecs(t, l, "t", 0, mk("b", 2))
	got, _ = readAll(t, l, "t", 0, s0, broker.ReadCommitted)
	wantValues(t, "ReadCommitted after abort", got, vals("b", 2)...)
	got, _ = readAll(t, l, "t", 0, s0, broker.ReadUncommitted)
	wantValues(t, "ReadUncommitted after abort", got, cat(vals("a", 3), vals("b", 2))...)
	// Reading from inside the aborted range.
	got, _ = readAll(t, l, "t", 0, s0+1, broker.ReadCommitted)
	wantValues(t, "ReadCommitted from inside aborted batch", got, vals("b", 2)...)
}

func testTxnStable(t *testing.T, l broker.Log) {
	create(t, l, "t", 1)
	txn := broker.Txn{Producer: "w", Seq: 1}
	a := appendRecs(t, l, "t", 0, mk("a", 1))
	tOff := appendTxn(t, l, txn, "t", 0, mk("t", 2))
	b := appendRecs(t, l, "t", 0, mk("b", 1))
	if tOff != a+1 || b != tOff+2 {
		t.Fatalf("offsets %d %d %d not consecutive", a, tOff, b)
	}
	o := offsets(t, l, "t", 0)
	if o.Stable != tOff || o.End != b+1 {
		t.Fatalf("Offsets %+v, want Stable %d (held by the open txn), End %d", o, tOff, b+1)
	}
	got, next := readAll(t, l, "t", 0, a, broker.ReadCommitted)
	wantValues(t, "ReadCommitted with open txn", got, "va0")
	if next != tOff {
		t.Fatalf("ReadCommitted next %d, want the stable offset %d", next, tOff)
	}
	got, _ = readAll(t, l, "t", 0, a, broker.ReadUncommitted)
	wantValues(t, "ReadUncommitted with open txn", got, "va0", "vt0", "vt1", "vb0")
	endTxn(t, l, txn, true)
	got, _ = readAll(t, l, "t", 0, a, broker.ReadCommitted)
	wantValues(t, "ReadCommitted after commit", got, "va0", "vt0", "vt1", "vb0")
	if got[3].Offset != b {
		t.Fatalf("vb0 at offset %d, want %d", got[3].Offset, b)
	}
}

func testTxnStableAbort(t *testing.T, l broker.Log) {
	create(t, l, "t", 1)
	txn := broker.Txn{Producer: "w", Seq: 1}
	a := appendRecs(t, l, "t", 0, mk("a", 1))
	appendTxn(t, l, txn, "t", 0, mk("t", 2))
	appendRecs(t, l, "t", 0, mk("b", 1))
	endTxn(t, l, txn, false)
	got, _ := readAll(t, l, "t", 0, a, broker.ReadCommitted)
	wantValues(t, "ReadCommitted after abort", got, "va0", "vb0")
	got, _ = readAll(t, l, "t", 0, a, broker.ReadUncommitted)
	wantValues(t, "ReadUncommitted after abort", got, "va0", "vt0", "vt1", "vb0")
}

func testTxnWait(t *testing.T, l broker.Log) {
	ctx := ctxOf(t)
	create(t, l, "t", 1)
	txn := broker.Txn{Producer: "w", Seq: 1}
	off := appendTxn(t, l, txn, "t", 0, mk("t", 1))
	// Uncommitted data is visible to a ReadUncommitted Wait at once.
	if err := l.Wait(ctx, "t", 0, off, broker.ReadUncommitted); err != nil {
		t.Fatal(err)
	}
	done, cancel := context.WithCancel(ctx)
	cancel()
	if err := l.Wait(done, "t", 0, off, broker.ReadCommitted); !errors.Is(err, context.Canceled) {
		t.Fatalf("ReadCommitted Wait on an open txn: %v, want context.Canceled", err)
	}
	errc := make(chan error, 1)
	go func() { errc <- l.Wait(ctx, "t", 0, off, broker.ReadCommitted) }()
	endTxn(t, l, txn, true)
	if err := result(t, "Wait", errc); err != nil {
		t.Fatal(err)
	}
	got, _ := readAll(t, l, "t", 0, off, broker.ReadCommitted)
	wantValues(t, "after commit", got, "vt0")
}

func testTxnInterleaved(t *testing.T, l broker.Log) {
	create(t, l, "t", 1)
	p1 := broker.Txn{Producer: "p1", Seq: 1}
	p2 := broker.Txn{Producer: "p2", Seq: 1}
	s := offsets(t, l, "t", 0).End
	appendTxn(t, l, p1, "t", 0, mk("x", 1))
	appendTxn(t, l, p2, "t", 0, mk("y", 1))
	appendTxn(t, l, p1, "t", 0, mk("z", 1))
	endTxn(t, l, p2, true)
	if got, _ := readAll(t, l, "t", 0, s, broker.ReadCommitted); len(got) != 0 {
		t.Fatalf("p2 committed but p1 still open: visible %q", values(got))
	}
	endTxn(t, l, p1, false)
	got, _ := readAll(t, l, "t", 0, s, broker.ReadCommitted)
	wantValues(t, "p1 aborted, p2 committed", got, "vy0")
	got, _ = readAll(t, l, "t", 0, s, broker.ReadUncommitted)
	wantValues(t, "ReadUncommitted", got, "vx0", "vy0", "vz0")
}

func testTxnMisc(t *testing.T, l broker.Log) {
	ctx := ctxOf(t)
	create(t, l, "t", 1)
	if d := InDoubt(t, l); len(d) != 0 {
		t.Fatalf("fresh log has in-doubt txns %v", d)
	}
	unknown := broker.Txn{Producer: "nobody", Seq: 3}
	if err := l.PrepareTxn(ctx, unknown); err != nil {
		t.Fatalf("PrepareTxn(unknown): %v", err)
	}
	if err := l.EndTxn(ctx, unknown, true); err != nil {
		t.Fatalf("EndTxn(unknown): %v", err)
	}
	txn := broker.Txn{Producer: "w", Seq: 1}
	s := appendTxn(t, l, txn, "t", 0, mk("a", 2))
	endTxn(t, l, txn, true)
	endTxn(t, l, txn, true) // twice with the same decision: no-op
	got, _ := readAll(t, l, "t", 0, s, broker.ReadCommitted)
	wantValues(t, "after double commit", got, "va0", "va1")
	if err := l.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if o := offsets(t, l, "t", 0); o.Stable != o.End {
		// Nothing pending and everything durable, so every record is stable.
		t.Fatalf("Offsets %+v: Stable != End with no open transaction after Sync", o)
	}
	if d := InDoubt(t, l); len(d) != 0 {
		t.Fatalf("InDoubt %v after commit", d)
	}
}

func testTxnNewSeq(t *testing.T, l broker.Log, caps Caps) {
	create(t, l, "t", 1)
	old := broker.Txn{Producer: "w", Seq: 1}
	cur := broker.Txn{Producer: "w", Seq: 2}
	s := appendTxn(t, l, old, "t", 0, mk("o", 1))
	if caps.LogDecidedTxns {
		// One open transaction per producer: the new one waits for the
		// old one's end.
		_, err := l.AppendTxn(ctxOf(t), cur, "t", 0, mk("c", 1))
		wantErr(t, "AppendTxn under a new Seq while the older is open", err, broker.ErrTxnState)
		wantErr(t, "EndTxn of a Seq that is not the open one", l.EndTxn(ctxOf(t), cur, true), broker.ErrTxnState)
		endTxn(t, l, old, false)
		appendTxn(t, l, cur, "t", 0, mk("c", 1))
		endTxn(t, l, cur, true)
		got, _ := readAll(t, l, "t", 0, s, broker.ReadCommitted)
		wantValues(t, "after resolving both", got, "vc0")
		return
	}
	appendTxn(t, l, cur, "t", 0, mk("c", 1))
	endTxn(t, l, cur, true)
	if got, _ := readAll(t, l, "t", 0, s, broker.ReadCommitted); len(got) != 0 {
		t.Fatalf("older txn still open, yet visible: %q", values(got))
	}
	endTxn(t, l, old, false)
	got, _ := readAll(t, l, "t", 0, s, broker.ReadCommitted)
	wantValues(t, "after resolving both", got, "vc0")
}

// ---------------------------------------------------------------- groups

func testGroups(t *testing.T, l broker.Log) {
	ctx := ctxOf(t)
	// Positions name existing partitions (Kafka refuses others).
	create(t, l, "t", 2)
	create(t, l, "u", 1)
	got, err := l.FetchOffsets(ctx, "g1")
	if err != nil || len(got) != 0 {
		t.Fatalf("FetchOffsets(unknown) = %v, %v; want empty", got, err)
	}
	if gs := Groups(t, l); len(gs) != 0 {
		t.Fatalf("fresh log has groups %v", gs)
	}
	tp0 := broker.TopicPartition{Topic: "t", Partition: 0}
	tp1 := broker.TopicPartition{Topic: "t", Partition: 1}
	u0 := broker.TopicPartition{Topic: "u", Partition: 0}
	if err := l.CommitOffsets(ctx, "g2", map[broker.TopicPartition]int64{tp0: 5, tp1: 7}); err != nil {
		t.Fatal(err)
	}
	if err := l.CommitOffsets(ctx, "g1", map[broker.TopicPartition]int64{u0: 1}); err != nil {
		t.Fatal(err)
	}
	if err := l.CommitOffsets(ctx, "g2", map[broker.TopicPartition]int64{tp0: 9}); err != nil {
		t.Fatal(err)
	}
	got, err = l.FetchOffsets(ctx, "g2")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[tp0] != 9 || got[tp1] != 7 {
		t.Fatalf("FetchOffsets(g2) = %v, want %v:9 %v:7", got, tp0, tp1)
	}
	got[tp0] = 100 // the caller's copy
	if again, _ := l.FetchOffsets(ctx, "g2"); again[tp0] != 9 {
		t.Fatal("FetchOffsets returned the log's own map")
	}
	if gs := Groups(t, l); strings.Join(gs, ",") != "g1,g2" {
		t.Fatalf("Groups() = %v, want [g1 g2]", gs)
	}
}

// ----------------------------------------------------------- concurrency

func testConcurrent(t *testing.T, l broker.Log) {
	ctx := ctxOf(t)
	create(t, l, "t", 1)
	const writers, batches, size = 4, 25, 3
	start := offsets(t, l, "t", 0).End
	var wg sync.WaitGroup
	errc := make(chan error, writers+1)
	bases := make(chan int64, writers*batches)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := 0; b < batches; b++ {
				off, err := l.Append(ctx, "t", 0, mk(fmt.Sprintf("w%db%d-", w, b), size))
				if err != nil {
					errc <- err
					return
				}
				bases <- off
			}
		}()
	}
	// A concurrent reader, following the writers until it has seen every
	// record (or is canceled because a writer failed).
	rctx, cancelReader := context.WithCancel(ctx)
	defer cancelReader()
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		next := start
		for i := 0; i < 1_000_000; i++ {
			recs, n, err := l.Read(rctx, "t", 0, next, broker.ReadOptions{})
			if err != nil {
				errc <- err
				return
			}
			for _, r := range recs {
				if r.Offset != next {
					errc <- fmt.Errorf("reader: offset %d, want %d", r.Offset, next)
					return
				}
				next++
			}
			if n != next {
				errc <- fmt.Errorf("reader: next %d, want %d", n, next)
				return
			}
			if next == start+writers*batches*size {
				return
			}
			if len(recs) == 0 {
				if err := l.Wait(rctx, "t", 0, next, broker.ReadCommitted); err != nil {
					errc <- err
					return
				}
			}
		}
	}()
	wg.Wait()
	if len(errc) > 0 {
		cancelReader()
	}
	timer := time.NewTimer(failsafe)
	defer timer.Stop()
	select {
	case <-readerDone:
	case <-timer.C:
		t.Fatal("reader did not finish")
	}
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	close(bases)
	seen := map[int64]bool{}
	for b := range bases {
		if (b-start)%size != 0 || seen[b] {
			t.Fatalf("batch base %d overlaps another batch", b)
		}
		seen[b] = true
	}
	got, _ := readAll(t, l, "t", 0, start, broker.ReadCommitted)
	if len(got) != writers*batches*size {
		t.Fatalf("%d records, want %d", len(got), writers*batches*size)
	}
	for i := 0; i < len(got); i += size {
		// Each batch is contiguous and intact.
		prefix := strings.TrimSuffix(string(got[i].Value), "0")
		for j := 0; j < size; j++ {
			if want := fmt.Sprintf("%s%d", prefix, j); string(got[i+j].Value) != want {
				t.Fatalf("record %d = %q, want %q", i+j, got[i+j].Value, want)
			}
		}
	}
}

func testClosed(t *testing.T, l broker.Log) {
	ctx := ctxOf(t)
	create(t, l, "t", 1)
	appendRecs(t, l, "t", 0, mk("a", 1))
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	wantErr(t, "Close twice", l.Close(), broker.ErrClosed)
	_, err := l.Append(ctx, "t", 0, mk("a", 1))
	wantErr(t, "Append after Close", err, broker.ErrClosed)
	_, _, err = l.Read(ctx, "t", 0, 0, broker.ReadOptions{})
	wantErr(t, "Read after Close", err, broker.ErrClosed)
	wantErr(t, "CreateTopic after Close", l.CreateTopic(ctx, "u", broker.TopicConfig{Partitions: 1}), broker.ErrClosed)
	_, err = l.Offsets(ctx, "t", 0)
	wantErr(t, "Offsets after Close", err, broker.ErrClosed)
	wantErr(t, "Wait after Close", l.Wait(ctx, "t", 0, 100, broker.ReadUncommitted), broker.ErrClosed)
	wantErr(t, "CommitOffsets after Close", l.CommitOffsets(ctx, "g", map[broker.TopicPartition]int64{{Topic: "t"}: 1}), broker.ErrClosed)
}

// ------------------------------------------------------------ partitioner

func testPartitioner(t *testing.T) {
	// From Kafka's UtilsTest.testMurmur2 (clients/src/test/java/org/apache/
	// kafka/common/utils/UtilsTest.java).
	vectors := []struct {
		in   string
		want int32
	}{
		{"21", -973932308},
		{"foobar", -790332482},
		{"a-little-bit-long-string", -985981536},
		{"a-little-bit-longer-string", -1486304829},
		{"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971},
		{"abc", 479470107},
	}
	for _, v := range vectors {
		if got := broker.Murmur2([]byte(v.in)); got != v.want {
			t.Errorf("Murmur2(%q) = %d, want %d", v.in, got, v.want)
		}
		if got, want := broker.PartitionForKey([]byte(v.in), 7), (v.want&0x7fffffff)%7; got != want {
			t.Errorf("PartitionForKey(%q, 7) = %d, want %d", v.in, got, want)
		}
	}
	// Keyed records always land in [0, n), including keys whose hash is
	// negative or math.MinInt32-like, and empty keys.
	for n := int32(1); n <= 37; n += 4 {
		for i := 0; i < 2000; i++ {
			key := []byte(fmt.Sprintf("key-%d-%d", n, i))
			if i%100 == 0 {
				key = []byte{}
			}
			p := broker.PartitionForKey(key, n)
			if p < 0 || p >= n {
				t.Fatalf("PartitionForKey(%q, %d) = %d out of range", key, n, p)
			}
			if p != broker.PartitionForKey(key, n) {
				t.Fatal("PartitionForKey not deterministic")
			}
		}
	}
	var pr broker.Partitioner
	for i := 0; i < 6; i++ {
		if got := pr.Partition(nil, 3); got != int32(i%3) {
			t.Fatalf("keyless record %d -> partition %d, want %d (round robin)", i, got, i%3)
		}
	}
	if got := pr.Partition([]byte("21"), 1); got != 0 {
		t.Fatalf("single partition -> %d", got)
	}
	if got, want := pr.Partition([]byte("foobar"), 10), broker.PartitionForKey([]byte("foobar"), 10); got != want {
		t.Fatalf("keyed record -> %d, want %d", got, want)
	}
}

// ------------------------------------------------------------- durability

func testReopen(t *testing.T, reopen func() broker.Log) {
	l := reopen()
	ctx := ctxOf(t)
	if err := l.CreateTopic(ctx, "t", broker.TopicConfig{Partitions: 2, RetentionMs: -1, CleanupPolicy: "compact"}); err != nil {
		t.Fatal(err)
	}
	create(t, l, "u", 1)
	in := []broker.Record{
		{Key: []byte("tomb"), Timestamp: 5},
		{Key: []byte("e"), Value: []byte{}, Timestamp: 6, Headers: []broker.Header{{Key: "h", Value: []byte("1")}}},
	}
	b0 := appendRecs(t, l, "t", 1, in)
	appendRecs(t, l, "t", 1, mk("a", 3))
	appendRecs(t, l, "u", 0, mk("u", 2))
	tp := broker.TopicPartition{Topic: "t", Partition: 1}
	if err := l.CommitOffsets(ctx, "g", map[broker.TopicPartition]int64{tp: 4}); err != nil {
		t.Fatal(err)
	}
	before := offsets(t, l, "t", 1)

	l = reopen()
	info, err := l.Topic(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	if want := (broker.TopicConfig{Partitions: 2, RetentionMs: -1, CleanupPolicy: "compact"}); info.Config != want {
		t.Fatalf("config after reopen %+v, want %+v", info.Config, want)
	}
	if n := len(Topics(t, l)); n != 2 {
		t.Fatalf("%d topics after reopen", n)
	}
	if o := offsets(t, l, "t", 1); o != before {
		t.Fatalf("Offsets after reopen %+v, want %+v", o, before)
	}
	got, _ := readAll(t, l, "t", 1, b0, broker.ReadCommitted)
	if len(got) != 5 {
		t.Fatalf("%d records after reopen, want 5", len(got))
	}
	sameRecord(t, "tombstone", got[0], in[0])
	sameRecord(t, "empty value", got[1], in[1])
	wantValues(t, "after reopen", got[2:], vals("a", 3)...)
	offs, err := l.FetchOffsets(ctx, "g")
	if err != nil || offs[tp] != 4 || len(offs) != 1 {
		t.Fatalf("FetchOffsets after reopen = %v, %v", offs, err)
	}
	if gs := Groups(t, l); len(gs) != 1 || gs[0] != "g" {
		t.Fatalf("Groups after reopen = %v", gs)
	}
	// Appends continue after the old end.
	if off := appendRecs(t, l, "t", 1, mk("b", 1)); off != before.End {
		t.Fatalf("append after reopen at %d, want %d", off, before.End)
	}
	l = reopen()
	got, _ = readAll(t, l, "t", 1, b0, broker.ReadCommitted)
	wantValues(t, "after second reopen", got[2:], cat(vals("a", 3), vals("b", 1))...)
}

func testInDoubt(t *testing.T, reopen func() broker.Log, commit bool) {
	l := reopen()
	ctx := ctxOf(t)
	create(t, l, "t", 2)
	txn := broker.Txn{Producer: "task-0_1", Seq: 42}
	before := appendRecs(t, l, "t", 0, mk("pre", 1))
	s0 := appendTxn(t, l, txn, "t", 0, mk("a", 2))
	appendTxn(t, l, txn, "t", 1, mk("b", 1))
	appendTxn(t, l, txn, "t", 0, mk("c", 1))
	if err := l.PrepareTxn(ctx, txn); err != nil {
		t.Fatal(err)
	}

	l = reopen() // closed without EndTxn
	d := InDoubt(t, l)
	if len(d) != 1 || d[0] != txn {
		t.Fatalf("InDoubt after reopen = %v, want [%v]", d, txn)
	}
	if o := offsets(t, l, "t", 0); o.Stable != s0 {
		t.Fatalf("in-doubt txn does not hold back Stable: %+v, want Stable %d", o, s0)
	}
	got, _ := readAll(t, l, "t", 0, before, broker.ReadCommitted)
	wantValues(t, "in doubt, ReadCommitted", got, "vpre0")
	got, _ = readAll(t, l, "t", 0, before, broker.ReadUncommitted)
	wantValues(t, "in doubt, ReadUncommitted", got, "vpre0", "va0", "va1", "vc0")
	if got, _ := readAll(t, l, "t", 1, offsets(t, l, "t", 1).Start, broker.ReadCommitted); len(got) != 0 {
		t.Fatalf("in doubt, p1 visible: %q", values(got))
	}

	endTxn(t, l, txn, commit)
	if d := InDoubt(t, l); len(d) != 0 {
		t.Fatalf("InDoubt after EndTxn = %v", d)
	}
	check := func(when string, p1extra ...string) {
		t.Helper()
		got0, _ := readAll(t, l, "t", 0, before, broker.ReadCommitted)
		got1, _ := readAll(t, l, "t", 1, offsets(t, l, "t", 1).Start, broker.ReadCommitted)
		if commit {
			wantValues(t, when+" p0", got0, "vpre0", "va0", "va1", "vc0")
			wantValues(t, when+" p1", got1, append([]string{"vb0"}, p1extra...)...)
		} else {
			wantValues(t, when+" p0", got0, "vpre0")
			wantValues(t, when+" p1", got1, p1extra...)
		}
	}
	check("after EndTxn")
	appendRecs(t, l, "t", 1, mk("z", 1))
	check("after EndTxn and append", "vz0")
	l = reopen()
	if d := InDoubt(t, l); len(d) != 0 {
		t.Fatalf("InDoubt after EndTxn and reopen = %v", d)
	}
	check("after reopen", "vz0")
}

func testDeleteDurable(t *testing.T, reopen func() broker.Log) {
	l := reopen()
	create(t, l, "gone", 1)
	create(t, l, "kept", 1)
	appendRecs(t, l, "gone", 0, mk("a", 1))
	if err := l.DeleteTopic(ctxOf(t), "gone"); err != nil {
		t.Fatal(err)
	}
	l = reopen()
	if _, err := l.Topic(ctxOf(t), "gone"); !errors.Is(err, broker.ErrUnknownTopic) {
		t.Fatalf("deleted topic back after reopen: %v", err)
	}
	if _, err := l.Topic(ctxOf(t), "kept"); err != nil {
		t.Fatal(err)
	}
}

// Topics lists l's topics, failing tb on error.
func Topics(tb testing.TB, l broker.Log) []broker.TopicInfo {
	tb.Helper()
	ts, err := l.Topics(context.Background())
	if err != nil {
		tb.Fatalf("Topics: %v", err)
	}
	return ts
}

// InDoubt lists l's in-doubt transactions, failing tb on error.
func InDoubt(tb testing.TB, l broker.Log) []broker.Txn {
	tb.Helper()
	d, err := l.InDoubt(context.Background())
	if err != nil {
		tb.Fatalf("InDoubt: %v", err)
	}
	return d
}

// Groups lists l's groups, failing tb on error.
func Groups(tb testing.TB, l broker.Log) []string {
	tb.Helper()
	gs, err := l.Groups(context.Background())
	if err != nil {
		tb.Fatalf("Groups: %v", err)
	}
	return gs
}
