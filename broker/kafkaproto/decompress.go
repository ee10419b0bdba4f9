package kafkaproto

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// DefaultMaxBatchBytes bounds the records of one produce batch once
// decompressed (Config.MaxBatchBytes).
const DefaultMaxBatchBytes = 32 << 20

// Compression codecs (the low three bits of a record batch's attributes).
const (
	codecNone   = 0
	codecGzip   = 1
	codecSnappy = 2
	codecLz4    = 3
	codecZstd   = 4
)

// errTooLarge is a batch whose records decompress to more than the limit.
var errTooLarge = errors.New("records exceed the decompressed batch limit")

// decompressor inflates the records of produce batches, never past max
// bytes: a small compressed batch cannot make the server allocate the
// size it would inflate to. Each codec is bounded before or while it
// writes its output: gzip, lz4 and zstd stream through a reader limited
// to max+1 bytes (on top of which lz4 keeps its blocks, up to 4 MiB each,
// and zstd its window, refused past zstdMinBound); snappy's decoded
// lengths are read from the block headers and checked before decoding.
type decompressor struct {
	max  int
	zstd sync.Pool // *zstd.Decoder bounded by max
}

// zstdMinBound is the largest window a zstd frame may declare (the
// decoder's history buffer), and the least its memory bound is set to
// (which also caps windows): common encoders declare windows up to 8 MiB
// (zstd's level 19) even for small batches. The output itself is bounded
// by max through the limited reader.
const zstdMinBound = 8 << 20

func newDecompressor(limit int) *decompressor {
	d := &decompressor{max: limit}
	d.zstd.New = func() any {
		dec, err := zstd.NewReader(nil,
			zstd.WithDecoderConcurrency(1),
			zstd.WithDecoderLowmem(true),
			zstd.WithDecoderMaxMemory(uint64(max(limit, zstdMinBound))),
			zstd.WithDecoderMaxWindow(zstdMinBound),
		)
		if err != nil {
			panic(err) // only bad options fail, and these are fixed
		}
		return dec
	}
	return d
}

// decompress returns the records of a batch compressed with codec, or
// errTooLarge (wrapped) when they exceed d.max.
func (d *decompressor) decompress(src []byte, codec int) ([]byte, error) {
	var out []byte
	var err error
	switch codec {
	case codecNone:
		out = src
	case codecGzip:
		var zr *gzip.Reader
		if zr, err = gzip.NewReader(bytes.NewReader(src)); err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		out, err = d.readLimited(zr)
	case codecLz4:
		out, err = d.readLimited(lz4.NewReader(bytes.NewReader(src)))
	case codecSnappy:
		out, err = d.snappy(src)
	case codecZstd:
		dec := d.zstd.Get().(*zstd.Decoder)
		if err = dec.Reset(bytes.NewReader(src)); err == nil {
			out, err = d.readLimited(dec)
		}
		dec.Reset(nil)
		d.zstd.Put(dec)
		if errors.Is(err, zstd.ErrDecoderSizeExceeded) || errors.Is(err, zstd.ErrWindowSizeExceeded) {
			err = errTooLarge
		}
	default:
		return nil, fmt.Errorf("unknown compression codec %d", codec)
	}
	if err == nil && len(out) > d.max {
		err = errTooLarge
	}
	if err != nil {
		if errors.Is(err, errTooLarge) {
			return nil, fmt.Errorf("%w (%d bytes)", errTooLarge, d.max)
		}
		return nil, err
	}
	return out, nil
}

// readLimited reads r to its end, but never more than max+1 bytes.
func (d *decompressor) readLimited(r io.Reader) ([]byte, error) {
	var buf bytes.Buffer
	n, err := buf.ReadFrom(io.LimitReader(r, int64(d.max)+1))
	if err != nil {
		return nil, err
	}
	if n > int64(d.max) {
		return nil, errTooLarge
	}
	return buf.Bytes(), nil
}

// xerialMagic starts snappy in the xerial framing that the Java client
// (and librdkafka, for compatibility) write: the magic, a version and a
// minimum compatible version (4 bytes each), then blocks, each a 4-byte
// big-endian length and a raw snappy block.
var xerialMagic = []byte{0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0}

// snappy decodes raw snappy or the xerial framing. Every block's decoded
// length is read from its header and summed before anything is
// allocated.
func (d *decompressor) snappy(src []byte) ([]byte, error) {
	if len(src) < 16 || !bytes.HasPrefix(src, xerialMagic) {
		n, err := s2.DecodedLen(src)
		if err != nil {
			return nil, fmt.Errorf("snappy: %w", err)
		}
		if n > d.max {
			return nil, errTooLarge
		}
		out, err := s2.Decode(make([]byte, n), src)
		if err != nil {
			return nil, fmt.Errorf("snappy: %w", err)
		}
		return out, nil
	}
	blocks := src[16:]
	total := 0
	for rem := blocks; len(rem) > 0; {
		if len(rem) < 4 {
			return nil, errors.New("snappy: truncated xerial block length")
		}
		size := binary.BigEndian.Uint32(rem)
		rem = rem[4:]
		if uint64(size) > uint64(len(rem)) {
			return nil, errors.New("snappy: xerial block longer than the batch")
		}
		n, err := s2.DecodedLen(rem[:size])
		if err != nil {
			return nil, fmt.Errorf("snappy: %w", err)
		}
		if total += n; total > d.max {
			return nil, errTooLarge
		}
		rem = rem[size:]
	}
	out := make([]byte, 0, total)
	for rem := blocks; len(rem) > 0; {
		size := binary.BigEndian.Uint32(rem)
		rem = rem[4:]
		n, _ := s2.DecodedLen(rem[:size])
		if _, err := s2.Decode(out[len(out):len(out)+n], rem[:size]); err != nil {
			return nil, fmt.Errorf("snappy: %w", err)
		}
		out = out[:len(out)+n]
		rem = rem[size:]
	}
	return out, nil
}
