package embedded

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/broker/embedded/logfs"
)

var (
	_ broker.Log              = (*Log)(nil)
	_ broker.ProducerLog      = (*Log)(nil)
	_ broker.CoordinatorStore = (*Log)(nil)
)

// Log is the embedded durable log. It implements broker.Log.
//
// Lock order (outer to inner): mu (lifecycle) → ddlMu → tmu → txnMu →
// partition.mu → partition.syncMu; group.mu → gmu. mu is held shared by
// every operation for its whole duration (except while Wait blocks) and
// exclusively by Close, so Close waits for operations in flight and later
// operations see ErrClosed.
type Log struct {
	dir  string
	opts Options
	fsys logfs.FS // opts.FS
	lock io.Closer

	mu     sync.RWMutex
	closed bool
	done   chan struct{} // closed by Close; stops background work and Waits
	wg     sync.WaitGroup

	ddlMu    sync.Mutex // serializes CreateTopic and DeleteTopic
	tmu      sync.RWMutex
	topics   map[string]*topic
	trashSeq atomic.Int64

	txnMu sync.Mutex
	txns  map[broker.Txn]*txnState
	ended map[string]endedTxn

	gmu    sync.Mutex
	groups map[string]*group

	pids    producerIDs // producer ids (coordinator.go)
	coordMu sync.Mutex  // serializes coordinator record files
}

// Open opens (creating if needed) the log stored in dir. It reloads every
// topic, truncating torn tails of active segments, rebuilds transaction
// state (see InDoubt) and consumer group offsets, and starts the
// background retention (and, under SyncInterval, fsync) goroutines.
func Open(dir string, opts Options) (*Log, error) {
	opts, err := opts.normalize()
	if err != nil {
		return nil, err
	}
	if err := logfs.MkdirAllDurable(opts.FS, dir); err != nil {
		return nil, storageErr("create data directory", err)
	}
	lock, err := opts.FS.Lock(dir)
	if err != nil {
		return nil, storageErr("lock data directory", err)
	}
	l := &Log{
		dir:    dir,
		opts:   opts,
		fsys:   opts.FS,
		lock:   lock,
		done:   make(chan struct{}),
		topics: map[string]*topic{},
		txns:   map[broker.Txn]*txnState{},
		ended:  map[string]endedTxn{},
		groups: map[string]*group{},
	}
	l.pids.fsys, l.pids.path = opts.FS, filepath.Join(dir, txnDir, producerIDsFile)
	if err := l.load(); err != nil {
		for _, t := range l.topics {
			t.release(partClosed)
		}
		lock.Close()
		return nil, err
	}
	if opts.RetentionCheckInterval > 0 {
		l.wg.Add(1)
		go l.retentionLoop()
	}
	if opts.SyncPolicy == SyncInterval {
		l.wg.Add(1)
		go l.syncLoop()
	}
	return l, nil
}

func (l *Log) load() error {
	_ = l.fsys.RemoveAll(filepath.Join(l.dir, trashDir))
	entries, err := l.fsys.ReadDir(l.dir)
	if err != nil {
		return storageErr("read data directory", err)
	}
	for _, e := range entries {
		name := e.Name()
		if strings.HasSuffix(name, stagingSuffix) {
			// A topic whose creation did not complete.
			_ = l.fsys.RemoveAll(filepath.Join(l.dir, name))
			continue
		}
		if !e.IsDir() || validTopicName(name) != nil {
			continue
		}
		t, err := l.loadTopic(name)
		if err != nil {
			return err
		}
		l.topics[name] = t
		l.recoverTxns(t)
	}
	if err := l.ensureTxnDir(); err != nil {
		return err
	}
	seen := int64(-1)
	for _, t := range l.topics {
		for _, p := range t.parts {
			p.mu.RLock()
			seen = max(seen, p.producers.maxID())
			p.mu.RUnlock()
		}
	}
	if err := l.pids.load(seen); err != nil {
		return err
	}
	return l.loadGroups()
}

// enter starts an operation: it holds the lifecycle lock shared until
// leave, or fails with ErrClosed.
func (l *Log) enter() error {
	l.mu.RLock()
	if l.closed {
		l.mu.RUnlock()
		return fmt.Errorf("%w: %s", broker.ErrClosed, l.dir)
	}
	return nil
}

// enterCtx is enter for a call given a context: a cancelled context fails
// the call before it starts.
func (l *Log) enterCtx(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return l.enter()
}

func (l *Log) leave() { l.mu.RUnlock() }

func (l *Log) topicList() []*topic {
	l.tmu.RLock()
	defer l.tmu.RUnlock()
	ts := make([]*topic, 0, len(l.topics))
	for _, t := range l.topics {
		ts = append(ts, t)
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].name < ts[j].name })
	return ts
}

func (l *Log) partition(topicName string, id int32) (*partition, error) {
	l.tmu.RLock()
	t := l.topics[topicName]
	l.tmu.RUnlock()
	if t == nil {
		return nil, fmt.Errorf("%w: topic %q", broker.ErrUnknownTopic, topicName)
	}
	if id < 0 || int(id) >= len(t.parts) {
		return nil, fmt.Errorf("%w: topic %q has %d partitions, not %d", broker.ErrUnknownPartition, topicName, len(t.parts), id)
	}
	return t.parts[id], nil
}

// CreateTopic implements broker.Log. The topic's configuration is durable
// when it returns.
func (l *Log) CreateTopic(ctx context.Context, name string, cfg broker.TopicConfig) error {
	if err := l.enterCtx(ctx); err != nil {
		return err
	}
	defer l.leave()
	if err := validTopicConfig(name, cfg); err != nil {
		return err
	}
	l.ddlMu.Lock()
	defer l.ddlMu.Unlock()
	l.tmu.RLock()
	exists := l.topics[name] != nil
	l.tmu.RUnlock()
	if exists {
		return fmt.Errorf("%w: %q", broker.ErrTopicExists, name)
	}
	if err := l.createTopicDir(name, cfg); err != nil {
		return storageErr(fmt.Sprintf("create topic %q", name), err)
	}
	t, err := l.openTopic(name, cfg)
	if err != nil {
		_ = l.fsys.RemoveAll(filepath.Join(l.dir, name))
		return err
	}
	l.tmu.Lock()
	l.topics[name] = t
	l.tmu.Unlock()
	return nil
}

// DeleteTopic implements broker.Log. Readers and writers of the topic get
// ErrUnknownTopic afterwards; its consumer group positions are dropped.
func (l *Log) DeleteTopic(ctx context.Context, name string) error {
	if err := l.enterCtx(ctx); err != nil {
		return err
	}
	defer l.leave()
	l.ddlMu.Lock()
	defer l.ddlMu.Unlock()
	l.tmu.Lock()
	t := l.topics[name]
	delete(l.topics, name)
	l.tmu.Unlock()
	if t == nil {
		return fmt.Errorf("%w: %q", broker.ErrUnknownTopic, name)
	}
	t.release(partDeleted)
	l.forgetTopicTxns(t)
	if err := l.removeTopicDir(t); err != nil {
		return storageErr(fmt.Sprintf("delete topic %q", name), err)
	}
	return l.dropTopicOffsets(name)
}

// Topics implements broker.Log.
func (l *Log) Topics(ctx context.Context) ([]broker.TopicInfo, error) {
	if err := l.enter(); err != nil {
		return nil, err
	}
	defer l.leave()
	var out []broker.TopicInfo
	for _, t := range l.topicList() {
		out = append(out, broker.TopicInfo{Name: t.name, Config: t.cfg})
	}
	return out, nil
}

// Topic implements broker.Log.
func (l *Log) Topic(_ context.Context, name string) (broker.TopicInfo, error) {
	if err := l.enter(); err != nil {
		return broker.TopicInfo{}, err
	}
	defer l.leave()
	l.tmu.RLock()
	t := l.topics[name]
	l.tmu.RUnlock()
	if t == nil {
		return broker.TopicInfo{}, fmt.Errorf("%w: %q", broker.ErrUnknownTopic, name)
	}
	return broker.TopicInfo{Name: t.name, Config: t.cfg}, nil
}

// Append implements broker.Log. Under SyncAlways it returns after the
// batch is fsynced (sharing the fsync with concurrent appenders of the
// partition); under SyncInterval once it is written. The records are
// readable as soon as they are written, which under SyncAlways is
// slightly before Append returns. An empty recs appends nothing and
// returns the end offset.
func (l *Log) Append(ctx context.Context, topic string, partition int32, recs []broker.Record) (int64, error) {
	if err := l.enterCtx(ctx); err != nil {
		return 0, err
	}
	defer l.leave()
	p, err := l.partition(topic, partition)
	if err != nil {
		return 0, err
	}
	if len(recs) == 0 {
		o, err := p.offsets()
		return o.End, err
	}
	base, gen, err := p.append(recs, nil)
	if err != nil {
		return 0, err
	}
	if l.opts.SyncPolicy == SyncAlways {
		if err := p.syncTo(gen); err != nil {
			return 0, err
		}
	}
	return base, nil
}

// Read implements broker.Log. Each call allocates the returned slice and
// one buffer holding the records' bytes (plus header keys); nothing is
// shared with the log.
func (l *Log) Read(ctx context.Context, topic string, partition int32, offset int64, opts broker.ReadOptions) ([]broker.Record, int64, error) {
	if err := l.enterCtx(ctx); err != nil {
		return nil, 0, err
	}
	defer l.leave()
	p, err := l.partition(topic, partition)
	if err != nil {
		return nil, 0, err
	}
	return p.read(offset, opts)
}

// Offsets implements broker.Log.
func (l *Log) Offsets(_ context.Context, topic string, partition int32) (broker.Offsets, error) {
	if err := l.enter(); err != nil {
		return broker.Offsets{}, err
	}
	defer l.leave()
	p, err := l.partition(topic, partition)
	if err != nil {
		return broker.Offsets{}, err
	}
	return p.offsets()
}

// Wait implements broker.Log. It returns ErrClosed if the log is closed
// and ErrUnknownTopic if the topic is deleted while waiting.
func (l *Log) Wait(ctx context.Context, topic string, partition int32, offset int64, iso broker.Isolation) error {
	if err := l.enter(); err != nil {
		return err
	}
	p, err := l.partition(topic, partition)
	l.leave()
	if err != nil {
		return err
	}
	return p.wait(ctx, offset, iso, l.done)
}

// CommitOffsets implements broker.Log: the group's positions are merged
// with those given and written durably before it returns.
func (l *Log) CommitOffsets(ctx context.Context, group string, offsets map[broker.TopicPartition]int64) error {
	if err := l.enterCtx(ctx); err != nil {
		return err
	}
	defer l.leave()
	if len(offsets) == 0 {
		return nil
	}
	return l.commitOffsets(group, offsets)
}

// FetchOffsets implements broker.Log.
func (l *Log) FetchOffsets(_ context.Context, group string) (map[broker.TopicPartition]int64, error) {
	if err := l.enter(); err != nil {
		return nil, err
	}
	defer l.leave()
	return l.fetchOffsets(group), nil
}

// Groups implements broker.Log.
func (l *Log) Groups(context.Context) ([]string, error) {
	if err := l.enter(); err != nil {
		return nil, err
	}
	defer l.leave()
	return l.groupNames(), nil
}

// Sync fsyncs every partition with unsynced data (appends under
// SyncInterval, transactional batches and markers under either policy).
func (l *Log) Sync(ctx context.Context) error {
	if err := l.enterCtx(ctx); err != nil {
		return err
	}
	defer l.leave()
	return l.syncAll()
}

func (l *Log) syncAll() error {
	var firstErr error
	for _, t := range l.topicList() {
		for _, p := range t.parts {
			if err := p.syncAll(); err != nil && firstErr == nil {
				firstErr = err
			}
		}
	}
	return firstErr
}

// Close implements broker.Log: it waits for operations in flight, stops
// the background goroutines, fsyncs every partition and closes all files.
// Blocked Waits return ErrClosed. Further calls return ErrClosed.
func (l *Log) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return fmt.Errorf("%w: %s", broker.ErrClosed, l.dir)
	}
	// Sync while no operation can run.
	err := l.syncAll()
	l.closed = true
	close(l.done)
	l.mu.Unlock()
	l.wg.Wait()
	for _, t := range l.topicList() {
		t.release(partClosed)
	}
	if cerr := l.lock.Close(); err == nil && cerr != nil {
		err = storageErr("unlock data directory", cerr)
	}
	return err
}
