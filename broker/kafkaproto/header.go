package kafkaproto

import (
	"encoding/binary"
	"errors"
)

var errShortHeader = errors.New("kafkaproto: truncated request header")

// requestHeader is the part of a request frame before the body.
type requestHeader struct {
	key           int16
	version       int16
	correlationID int32
	clientID      *string
}

// parseHeaderPrefix reads the fields every request header version starts
// with (v1): API key, version, correlation id, nullable client id. It
// returns the rest of the frame.
func parseHeaderPrefix(b []byte) (requestHeader, []byte, error) {
	var h requestHeader
	if len(b) < 10 {
		return h, nil, errShortHeader
	}
	h.key = int16(binary.BigEndian.Uint16(b))
	h.version = int16(binary.BigEndian.Uint16(b[2:]))
	h.correlationID = int32(binary.BigEndian.Uint32(b[4:]))
	n := int16(binary.BigEndian.Uint16(b[8:]))
	b = b[10:]
	if n >= 0 {
		if len(b) < int(n) {
			return h, nil, errShortHeader
		}
		s := string(b[:n])
		h.clientID = &s
		b = b[n:]
	}
	return h, b, nil
}

// skipTaggedFields skips the tagged fields that end a v2 (flexible)
// request header and returns what follows.
func skipTaggedFields(b []byte) ([]byte, error) {
	count, n := binary.Uvarint(b)
	if n <= 0 {
		return nil, errShortHeader
	}
	b = b[n:]
	for i := uint64(0); i < count; i++ {
		if _, n = binary.Uvarint(b); n <= 0 {
			return nil, errShortHeader
		}
		b = b[n:]
		size, n := binary.Uvarint(b)
		if n <= 0 || size > uint64(len(b)-n) {
			return nil, errShortHeader
		}
		b = b[n+int(size):]
	}
	return b, nil
}
