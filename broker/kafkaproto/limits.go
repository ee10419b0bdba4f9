package kafkaproto

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unsafe"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// Limits on what a request may make the server allocate (doc.go).
//
// kmsg allocates an array when it reads its length, before its elements,
// and checks only that one byte per element remains: a request can make
// it allocate the size of the element struct (up to about 136 bytes for
// the requests served here) per byte of frame. Requests other than
// Produce are therefore bounded by Config.MaxNonProduceFrameBytes, small
// since none carries data; a Produce frame may be as large as
// Config.MaxFrameBytes (clients size produce requests to Kafka's 100 MiB
// socket.request.max.bytes), so its shape is walked first
// (checkProduceShape), without allocating, and refused when its topics,
// partitions and tagged fields would decode to more than twice the frame.

// DefaultMaxNonProduceFrameBytes bounds a request frame other than
// Produce: a Fetch of about 30,000 partitions, or an OffsetCommit of
// about 50,000, fits.
const DefaultMaxNonProduceFrameBytes = 1 << 20

// DefaultMaxPartitions bounds the partitions of one topic that
// CreateTopics and CreatePartitions may ask for.
const DefaultMaxPartitions = 10000

const (
	produceTopicSize     = int(unsafe.Sizeof(kmsg.ProduceRequestTopic{}))
	producePartitionSize = int(unsafe.Sizeof(kmsg.ProduceRequestTopicPartition{}))
	taggedFieldSize      = 64 // a map entry of kmsg.Tags, roughly
	// produceShapeSlack admits small requests of unusual shape.
	produceShapeSlack = 64 << 10
)

var errProduceShape = errors.New("malformed Produce request")

// checkProduceShape walks a Produce request body (after the header) of
// the given version as kmsg decodes it, counting its topics, partitions
// and tagged fields, and refuses it when malformed or when those would
// decode to more than twice its size (a real partition carries a record
// batch of at least 61 bytes, so real requests stay far below).
func checkProduceShape(body []byte, version int16) error {
	w := walker{b: body, flexible: version >= 9}
	if version >= 3 {
		w.str() // transactional id
	}
	w.skip(2 + 4) // acks, timeout
	topics, partitions := w.arrayLen(), 0
	for i := 0; i < topics && w.err == nil; i++ {
		w.str()
		n := w.arrayLen()
		partitions += n
		for j := 0; j < n && w.err == nil; j++ {
			w.skip(4)
			w.bytes()
			w.tags()
		}
		w.tags()
	}
	w.tags()
	if w.err != nil {
		return w.err
	}
	decoded := topics*produceTopicSize + partitions*producePartitionSize + w.tagged*taggedFieldSize
	if decoded > 2*len(body)+produceShapeSlack {
		return fmt.Errorf("Produce of %d topics, %d partitions and %d tagged fields in %d bytes: refused before decoding (about %d bytes decoded)", topics, partitions, w.tagged, len(body), decoded)
	}
	return nil
}

// walker reads Kafka's primitive encodings without allocating. After
// the first error every read is a no-op and arrayLen returns 0.
type walker struct {
	b        []byte
	flexible bool
	tagged   int
	err      error
}

func (w *walker) skip(n int) {
	if w.err != nil {
		return
	}
	if n < 0 || n > len(w.b) {
		w.err = errProduceShape
		return
	}
	w.b = w.b[n:]
}

func (w *walker) int16() int {
	if w.err != nil || len(w.b) < 2 {
		w.err = errProduceShape
		return 0
	}
	v := int16(binary.BigEndian.Uint16(w.b))
	w.b = w.b[2:]
	return int(v)
}

func (w *walker) int32() int {
	if w.err != nil || len(w.b) < 4 {
		w.err = errProduceShape
		return 0
	}
	v := int32(binary.BigEndian.Uint32(w.b))
	w.b = w.b[4:]
	return int(v)
}

func (w *walker) uvarint() int {
	if w.err != nil {
		return 0
	}
	v, n := binary.Uvarint(w.b)
	if n <= 0 || v > 1<<31 {
		w.err = errProduceShape
		return 0
	}
	w.b = w.b[n:]
	return int(v)
}

// compactLen reads a compact length (uvarint of length+1; 0 is null).
func (w *walker) compactLen() int { return w.uvarint() - 1 }

// str skips a (nullable) string.
func (w *walker) str() {
	n := 0
	if w.flexible {
		n = w.compactLen()
	} else {
		n = w.int16()
	}
	if n > 0 {
		w.skip(n)
	}
}

// bytes skips (nullable) bytes.
func (w *walker) bytes() {
	n := 0
	if w.flexible {
		n = w.compactLen()
	} else {
		n = w.int32()
	}
	if n > 0 {
		w.skip(n)
	}
}

// arrayLen reads an array length (null and negative: 0), refusing one
// longer than the bytes left, as kmsg does.
func (w *walker) arrayLen() int {
	n := 0
	if w.flexible {
		n = w.compactLen()
	} else {
		n = w.int32()
	}
	if w.err != nil || n < 0 {
		return 0
	}
	if n > len(w.b) {
		w.err = errProduceShape
		return 0
	}
	return n
}

// tags skips the tagged fields of a flexible version.
func (w *walker) tags() {
	if !w.flexible {
		return
	}
	n := w.uvarint()
	if n > len(w.b) {
		w.err = errProduceShape
		return
	}
	for i := 0; i < n && w.err == nil; i++ {
		w.uvarint() // tag
		w.skip(w.uvarint())
		w.tagged++
	}
}

func tooManyPartitions(s *Server, topic string, n int32) string {
	return fmt.Sprintf("%d partitions asked for topic %s: this broker allows at most %d partitions per topic", n, topic, s.cfg.MaxPartitions)
}
