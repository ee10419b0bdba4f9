package embedded

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/broker/embedded/logfs"
)

var _ broker.PartitionAdder = (*Log)(nil)

// AddPartitions implements broker.PartitionAdder. The new partition
// directories are created (replacing any a failed earlier attempt left)
// and made durable first, then topic.json is replaced atomically with the
// new count: a crash before that rename leaves the old count (and unused
// directories, which the next attempt replaces), a crash after it the new
// count with every directory in place. The topic is then swapped in
// memory: a topic is immutable, so readers holding the old one keep a
// consistent view of the old partitions (which the new one shares).
//
// If writing topic.json fails, the outcome on disk is unknown until the
// log is reopened (the rename may have reached the disk); the log keeps
// the old count until then.
func (l *Log) AddPartitions(ctx context.Context, name string, total int32) error {
	if err := l.enterCtx(ctx); err != nil {
		return err
	}
	defer l.leave()
	l.ddlMu.Lock()
	defer l.ddlMu.Unlock()
	l.tmu.RLock()
	old := l.topics[name]
	l.tmu.RUnlock()
	if old == nil {
		return fmt.Errorf("%w: %q", broker.ErrUnknownTopic, name)
	}
	have := int32(len(old.parts))
	if total <= have {
		return fmt.Errorf("%w: topic %q has %d partitions; asked for %d (partitions can only be added)", broker.ErrInvalidPartitions, name, have, total)
	}
	cfg := old.cfg
	cfg.Partitions = total
	fsys := l.fsys
	var added []*partition
	fail := func(what string, err error) error {
		for _, p := range added {
			p.release(partClosed)
		}
		for i := have; i < total; i++ {
			_ = fsys.RemoveAll(filepath.Join(old.dir, strconv.Itoa(int(i))))
		}
		return storageErr(fmt.Sprintf("add partitions to topic %q: %s", name, what), err)
	}
	for i := have; i < total; i++ {
		pdir := filepath.Join(old.dir, strconv.Itoa(int(i)))
		if err := fsys.RemoveAll(pdir); err != nil {
			return fail("remove leftover "+pdir, err)
		}
		if err := fsys.Mkdir(pdir); err != nil {
			return fail("create "+pdir, err)
		}
	}
	// The directories' entries are durable before topic.json names them.
	if err := fsys.SyncDir(old.dir); err != nil {
		return fail("sync topic directory", err)
	}
	for i := have; i < total; i++ {
		tp := broker.TopicPartition{Topic: name, Partition: i}
		p, err := openPartition(l, tp, filepath.Join(old.dir, strconv.Itoa(int(i))))
		if err != nil {
			return fail("open "+tp.String(), err)
		}
		added = append(added, p)
	}
	if err := logfs.WriteFileAtomic(fsys, filepath.Join(old.dir, topicFile), encodeTopicMeta(name, cfg)); err != nil {
		// Unknown outcome: the directories stay, as the count on disk may
		// be the new one.
		for _, p := range added {
			p.release(partClosed)
		}
		return storageErr(fmt.Sprintf("add partitions to topic %q: write %s", name, topicFile), err)
	}
	t := &topic{name: name, cfg: cfg, dir: old.dir, parts: append(old.parts[:have:have], added...)}
	l.tmu.Lock()
	l.topics[name] = t
	l.tmu.Unlock()
	return nil
}
