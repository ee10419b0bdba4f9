package embedded

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"time"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/broker/embedded/logfs"
)

const (
	topicFile = "topic.json"
	groupsDir = "__groups"
	// trashDir holds deleted topics until they are removed, and stagingSuffix
	// marks topics being created. '~' is not a legal topic character, so
	// neither can collide with a topic.
	trashDir      = "trash~"
	stagingSuffix = "~"
	maxTopicLen   = 249
)

// topic is one topic: its configuration and partitions. Immutable after
// creation (partitions have their own locks); AddPartitions replaces it
// with a new one sharing the old partitions.
type topic struct {
	name  string
	cfg   broker.TopicConfig
	dir   string
	parts []*partition
}

// topicMeta is the content of topic.json.
type topicMeta struct {
	Version        int    `json:"version"`
	Name           string `json:"name"`
	Partitions     int32  `json:"partitions"`
	RetentionMs    int64  `json:"retention_ms"`
	RetentionBytes int64  `json:"retention_bytes"`
	CleanupPolicy  string `json:"cleanup_policy,omitempty"`
}

// validTopicName applies Kafka's rules: 1 to 249 characters of
// [a-zA-Z0-9._-], not "." or "..". The name of the groups directory is
// reserved.
func validTopicName(name string) error {
	if name == "" || name == "." || name == ".." || len(name) > maxTopicLen {
		return fmt.Errorf("%w: illegal topic name %q", broker.ErrInvalidTopic, name)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("%w: illegal character %q in topic name %q (allowed: [a-zA-Z0-9._-])", broker.ErrInvalidTopic, c, name)
		}
	}
	if name == groupsDir {
		return fmt.Errorf("%w: topic name %q is reserved", broker.ErrInvalidTopic, name)
	}
	return nil
}

func validTopicConfig(name string, cfg broker.TopicConfig) error {
	if err := validTopicName(name); err != nil {
		return err
	}
	if cfg.Partitions < 1 {
		return fmt.Errorf("%w: topic %q: partitions must be at least 1, got %d", broker.ErrInvalidTopic, name, cfg.Partitions)
	}
	if cfg.RetentionMs < -1 {
		return fmt.Errorf("%w: topic %q: invalid retention.ms %d", broker.ErrInvalidTopic, name, cfg.RetentionMs)
	}
	if cfg.RetentionBytes < -1 {
		return fmt.Errorf("%w: topic %q: invalid retention.bytes %d", broker.ErrInvalidTopic, name, cfg.RetentionBytes)
	}
	switch cfg.CleanupPolicy {
	case "", "delete", "compact", "compact,delete", "delete,compact":
	default:
		return fmt.Errorf("%w: topic %q: invalid cleanup policy %q", broker.ErrInvalidTopic, name, cfg.CleanupPolicy)
	}
	return nil
}

func encodeTopicMeta(name string, cfg broker.TopicConfig) []byte {
	b, _ := json.MarshalIndent(topicMeta{
		Version:        1,
		Name:           name,
		Partitions:     cfg.Partitions,
		RetentionMs:    cfg.RetentionMs,
		RetentionBytes: cfg.RetentionBytes,
		CleanupPolicy:  cfg.CleanupPolicy,
	}, "", "  ")
	return append(b, '\n')
}

// createTopicDir durably creates the directory of a new topic: it is built
// under a staging name (topic.json fsynced, partition directories
// created), then renamed into place and the data directory fsynced, so a
// crash leaves either no topic or a complete one.
func (l *Log) createTopicDir(name string, cfg broker.TopicConfig) error {
	final := filepath.Join(l.dir, name)
	staging := final + stagingSuffix
	fsys := l.fsys
	if err := fsys.RemoveAll(staging); err != nil {
		return err
	}
	if err := fsys.Mkdir(staging); err != nil {
		return err
	}
	fail := func(err error) error {
		_ = fsys.RemoveAll(staging)
		return err
	}
	for i := int32(0); i < cfg.Partitions; i++ {
		if err := fsys.Mkdir(filepath.Join(staging, strconv.Itoa(int(i)))); err != nil {
			return fail(err)
		}
	}
	if err := logfs.WriteFileAtomic(fsys, filepath.Join(staging, topicFile), encodeTopicMeta(name, cfg)); err != nil {
		return fail(err)
	}
	if err := fsys.Rename(staging, final); err != nil {
		return fail(err)
	}
	return fsys.SyncDir(l.dir)
}

// loadTopic opens an existing topic directory.
func (l *Log) loadTopic(name string) (*topic, error) {
	dir := filepath.Join(l.dir, name)
	data, err := logfs.ReadFile(l.fsys, filepath.Join(dir, topicFile))
	if err != nil {
		return nil, storageErr(fmt.Sprintf("topic %q: read %s", name, topicFile), err)
	}
	var m topicMeta
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, storageErr(fmt.Sprintf("topic %q: parse %s", name, topicFile), err)
	}
	cfg := broker.TopicConfig{Partitions: m.Partitions, RetentionMs: m.RetentionMs, RetentionBytes: m.RetentionBytes, CleanupPolicy: m.CleanupPolicy}
	if m.Name != name {
		return nil, fmt.Errorf("%w: topic directory %q holds config of topic %q", broker.ErrStorage, name, m.Name)
	}
	if err := validTopicConfig(name, cfg); err != nil {
		return nil, fmt.Errorf("%w: topic %q: bad %s: %v", broker.ErrStorage, name, topicFile, err)
	}
	return l.openTopic(name, cfg)
}

// openTopic opens the partitions of a topic whose directory exists.
func (l *Log) openTopic(name string, cfg broker.TopicConfig) (*topic, error) {
	t := &topic{name: name, cfg: cfg, dir: filepath.Join(l.dir, name)}
	for i := int32(0); i < cfg.Partitions; i++ {
		tp := broker.TopicPartition{Topic: name, Partition: i}
		pdir := filepath.Join(t.dir, strconv.Itoa(int(i)))
		if _, err := l.fsys.Stat(pdir); err != nil {
			t.release(partClosed)
			return nil, storageErr(fmt.Sprintf("%s: partition directory", tp), err)
		}
		p, err := openPartition(l, tp, pdir)
		if err != nil {
			t.release(partClosed)
			return nil, err
		}
		t.parts = append(t.parts, p)
	}
	return t, nil
}

func (t *topic) release(state int) {
	for _, p := range t.parts {
		p.release(state)
	}
}

// removeTopicDir deletes a topic's directory: an atomic rename into the
// trash directory (so a crash never leaves half a topic), then removal.
func (l *Log) removeTopicDir(t *topic) error {
	trash := filepath.Join(l.dir, trashDir)
	if err := l.fsys.MkdirAll(trash); err != nil {
		return err
	}
	// Not named after the topic: a 249-character topic name plus a suffix
	// would exceed the file name limit.
	dst := filepath.Join(trash, fmt.Sprintf("%d.%d", time.Now().UnixNano(), l.trashSeq.Add(1)))
	if err := l.fsys.Rename(t.dir, dst); err != nil {
		return err
	}
	if err := l.fsys.SyncDir(l.dir); err != nil {
		return err
	}
	return l.fsys.RemoveAll(dst)
}
