package embedded

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"path/filepath"
	"strings"
	"sync"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/broker/embedded/logfs"
)

// Producer ids and coordinator records live in dir/~txn ('~' is not a
// legal topic character, so it cannot collide with a topic):
//
//	~txn/producer-ids.json   {"version": 1, "next": N}: every producer id
//	                         below N may have been handed out
//	~txn/c-<hex key>         one coordinator record (CoordinatorStore)
//	~txn/h-<sha256 of key>   the same, for keys too long for a file name
//
// Both are replaced atomically (temporary file, fsync, rename, fsync the
// directory).
const (
	txnDir          = "~txn"
	producerIDsFile = "producer-ids.json"
	// producerIDBlock is how many ids one write of producer-ids.json
	// reserves: NewProducerID fsyncs once per block, and a crash skips at
	// most the rest of one block.
	producerIDBlock = 1000
)

// producerIDs hands out producer ids that are never reused: before an id
// is handed out, a high-water mark above it is durable.
type producerIDs struct {
	mu    sync.Mutex
	fsys  logfs.FS
	path  string
	next  int64 // the next id to hand out
	limit int64 // the durable high-water mark; next <= limit
}

type producerIDsDoc struct {
	Version int   `json:"version"`
	Next    int64 `json:"next"`
}

// load reads the high-water mark; seen is the largest producer id found in
// the partitions' producer state (-1: none), so that even a lost file
// does not hand out an id the log holds batches of.
func (a *producerIDs) load(seen int64) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	data, err := logfs.ReadFile(a.fsys, a.path)
	var doc producerIDsDoc
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return storageErr("read "+producerIDsFile, err)
	default:
		if err := json.Unmarshal(data, &doc); err != nil || doc.Version != 1 || doc.Next < 0 {
			return fmt.Errorf("%w: %s is unreadable (%v): producer ids could be reused; restore it or remove it only if no idempotent producer ever wrote to this log",
				broker.ErrStorage, a.path, err)
		}
	}
	a.next = max(doc.Next, seen+1)
	a.limit = a.next
	return nil
}

// allocate returns a new id, durably reserving a new block when the
// current one is used up.
func (a *producerIDs) allocate() (int64, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.next >= a.limit {
		limit := a.next + producerIDBlock
		data, _ := json.Marshal(producerIDsDoc{Version: 1, Next: limit})
		if err := logfs.WriteFileAtomic(a.fsys, a.path, append(data, '\n')); err != nil {
			return 0, storageErr("reserve producer ids", err)
		}
		a.limit = limit
	}
	id := a.next
	a.next++
	return id, nil
}

// issued reports whether id may have been handed out.
func (a *producerIDs) issued(id int64) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return id >= 0 && id < a.next
}

func (l *Log) txnPath() string { return filepath.Join(l.dir, txnDir) }

// ensureTxnDir creates dir/~txn durably.
func (l *Log) ensureTxnDir() error {
	if err := logfs.MkdirAllDurable(l.fsys, l.txnPath()); err != nil {
		return storageErr("create "+txnDir, err)
	}
	return nil
}

// NewProducerID implements broker.ProducerLog.
func (l *Log) NewProducerID(ctx context.Context) (int64, error) {
	if err := l.enterCtx(ctx); err != nil {
		return 0, err
	}
	defer l.leave()
	return l.pids.allocate()
}

// Coordinator record file: "KQCR", uvarint key length, key, value,
// CRC32C (little endian) of everything before it.
const coordMagic = "KQCR"

func coordFileName(key string) string {
	if h := hex.EncodeToString([]byte(key)); len(h) <= 200 {
		return "c-" + h
	}
	sum := sha256.Sum256([]byte(key))
	return "h-" + hex.EncodeToString(sum[:])
}

func encodeCoordRecord(key string, value []byte) []byte {
	b := append([]byte(coordMagic), binary.AppendUvarint(nil, uint64(len(key)))...)
	b = append(append(b, key...), value...)
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

func decodeCoordRecord(b []byte) (string, []byte, error) {
	if len(b) < len(coordMagic)+1+4 || string(b[:4]) != coordMagic {
		return "", nil, errors.New("not a coordinator record")
	}
	body := b[:len(b)-4]
	if crc32.Checksum(body, castagnoli) != binary.LittleEndian.Uint32(b[len(b)-4:]) {
		return "", nil, errors.New("checksum mismatch")
	}
	n, w := binary.Uvarint(body[4:])
	if w <= 0 || n > uint64(len(body)-4-w) {
		return "", nil, errors.New("bad key length")
	}
	key := string(body[4+w : 4+w+int(n)])
	return key, append([]byte(nil), body[4+w+int(n):]...), nil
}

// CoordinatorRecords implements broker.CoordinatorStore. A record whose
// file is corrupt is an error (never silently dropped: it may hold a
// transaction's decision).
func (l *Log) CoordinatorRecords(ctx context.Context) (map[string][]byte, error) {
	if err := l.enterCtx(ctx); err != nil {
		return nil, err
	}
	defer l.leave()
	l.coordMu.Lock()
	defer l.coordMu.Unlock()
	entries, err := l.fsys.ReadDir(l.txnPath())
	if err != nil {
		return nil, storageErr("read "+txnDir, err)
	}
	out := map[string][]byte{}
	for _, e := range entries {
		name := e.Name()
		if strings.HasSuffix(name, tmpSuffix) || !(strings.HasPrefix(name, "c-") || strings.HasPrefix(name, "h-")) {
			continue
		}
		path := filepath.Join(l.txnPath(), name)
		data, err := logfs.ReadFile(l.fsys, path)
		if err != nil {
			return nil, storageErr("read coordinator record "+name, err)
		}
		key, value, err := decodeCoordRecord(data)
		if err == nil && coordFileName(key) != name {
			err = fmt.Errorf("holds key %q", key)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: coordinator record %s: %v", broker.ErrStorage, path, err)
		}
		out[key] = value
	}
	return out, nil
}

// PutCoordinatorRecord implements broker.CoordinatorStore.
func (l *Log) PutCoordinatorRecord(ctx context.Context, key string, value []byte) error {
	if err := l.enterCtx(ctx); err != nil {
		return err
	}
	defer l.leave()
	l.coordMu.Lock()
	defer l.coordMu.Unlock()
	path := filepath.Join(l.txnPath(), coordFileName(key))
	if value == nil {
		if err := l.fsys.Remove(path); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return storageErr("remove coordinator record", err)
		}
		if err := l.fsys.SyncDir(l.txnPath()); err != nil {
			return storageErr("remove coordinator record", err)
		}
		return nil
	}
	if err := logfs.WriteFileAtomic(l.fsys, path, encodeCoordRecord(key, value)); err != nil {
		return storageErr("write coordinator record", err)
	}
	return nil
}
