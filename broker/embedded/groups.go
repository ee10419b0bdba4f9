package embedded

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/broker/embedded/logfs"
)

// Consumer group offsets live in dir/__groups, one JSON file per group,
// replaced atomically (write temp, fsync, rename, fsync dir) on every
// commit. The file name is "g-" + hex(group name), or "h-" + SHA-256 of
// the name for long names; the name itself is stored inside.

// group is one consumer group's committed positions. mu serializes
// commits (and their file writes) of the group; offsets is replaced, never
// mutated, so readers may use it under Log.gmu alone.
type group struct {
	name    string
	mu      sync.Mutex
	offsets map[broker.TopicPartition]int64
}

type groupFile struct {
	Version int           `json:"version"`
	Group   string        `json:"group"`
	Offsets []groupOffset `json:"offsets"`
}

type groupOffset struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	Offset    int64  `json:"offset"`
}

func groupFileName(name string) string {
	if h := hex.EncodeToString([]byte(name)); len(h) <= 200 {
		return "g-" + h + ".json"
	}
	sum := sha256.Sum256([]byte(name))
	return "h-" + hex.EncodeToString(sum[:]) + ".json"
}

func (l *Log) groupsPath() string { return filepath.Join(l.dir, groupsDir) }

// loadGroups reads every group file.
func (l *Log) loadGroups() error {
	dir := l.groupsPath()
	if _, err := l.fsys.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		if err := l.fsys.Mkdir(dir); err != nil {
			return storageErr("create groups directory", err)
		}
		if err := l.fsys.SyncDir(l.dir); err != nil {
			return storageErr("create groups directory", err)
		}
	}
	entries, err := l.fsys.ReadDir(dir)
	if err != nil {
		return storageErr("read groups directory", err)
	}
	for _, e := range entries {
		name := e.Name()
		if strings.HasSuffix(name, tmpSuffix) {
			_ = l.fsys.Remove(filepath.Join(dir, name))
			continue
		}
		if !strings.HasSuffix(name, ".json") {
			continue
		}
		data, err := logfs.ReadFile(l.fsys, filepath.Join(dir, name))
		if err != nil {
			return storageErr("read group file "+name, err)
		}
		var gf groupFile
		if err := json.Unmarshal(data, &gf); err != nil {
			return storageErr("parse group file "+name, err)
		}
		if groupFileName(gf.Group) != name {
			return fmt.Errorf("%w: group file %s holds group %q", broker.ErrStorage, name, gf.Group)
		}
		g := &group{name: gf.Group, offsets: map[broker.TopicPartition]int64{}}
		for _, o := range gf.Offsets {
			g.offsets[broker.TopicPartition{Topic: o.Topic, Partition: o.Partition}] = o.Offset
		}
		if len(g.offsets) > 0 {
			l.groups[g.name] = g
		}
	}
	return nil
}

// writeGroup durably replaces (or, when offsets is empty, removes) the
// group's file.
func (l *Log) writeGroup(name string, offsets map[broker.TopicPartition]int64) error {
	path := filepath.Join(l.groupsPath(), groupFileName(name))
	if len(offsets) == 0 {
		if err := l.fsys.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return l.fsys.SyncDir(l.groupsPath())
	}
	gf := groupFile{Version: 1, Group: name}
	for tp, off := range offsets {
		gf.Offsets = append(gf.Offsets, groupOffset{Topic: tp.Topic, Partition: tp.Partition, Offset: off})
	}
	sort.Slice(gf.Offsets, func(i, j int) bool {
		a, b := gf.Offsets[i], gf.Offsets[j]
		if a.Topic != b.Topic {
			return a.Topic < b.Topic
		}
		return a.Partition < b.Partition
	})
	data, err := json.MarshalIndent(gf, "", "  ")
	if err != nil {
		return err
	}
	return logfs.WriteFileAtomic(l.fsys, path, append(data, '\n'))
}

// groupFor returns the group, creating an empty in-memory one if needed.
func (l *Log) groupFor(name string) *group {
	l.gmu.Lock()
	defer l.gmu.Unlock()
	g := l.groups[name]
	if g == nil {
		g = &group{name: name, offsets: map[broker.TopicPartition]int64{}}
		l.groups[name] = g
	}
	return g
}

func (l *Log) commitOffsets(name string, offsets map[broker.TopicPartition]int64) error {
	g := l.groupFor(name)
	g.mu.Lock()
	defer g.mu.Unlock()
	l.gmu.Lock()
	merged := maps.Clone(g.offsets)
	l.gmu.Unlock()
	maps.Copy(merged, offsets)
	if err := l.writeGroup(name, merged); err != nil {
		return storageErr(fmt.Sprintf("commit offsets of group %q", name), err)
	}
	l.gmu.Lock()
	g.offsets = merged
	l.gmu.Unlock()
	return nil
}

func (l *Log) fetchOffsets(name string) map[broker.TopicPartition]int64 {
	l.gmu.Lock()
	defer l.gmu.Unlock()
	out := map[broker.TopicPartition]int64{}
	if g := l.groups[name]; g != nil {
		maps.Copy(out, g.offsets)
	}
	return out
}

func (l *Log) groupNames() []string {
	l.gmu.Lock()
	defer l.gmu.Unlock()
	var names []string
	for name, g := range l.groups {
		if len(g.offsets) > 0 {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// dropTopicOffsets removes a deleted topic's positions from every group,
// as Kafka does when a topic is deleted.
func (l *Log) dropTopicOffsets(topic string) error {
	l.gmu.Lock()
	gs := slices.Collect(maps.Values(l.groups))
	l.gmu.Unlock()
	var firstErr error
	for _, g := range gs {
		g.mu.Lock()
		l.gmu.Lock()
		cur := g.offsets
		l.gmu.Unlock()
		merged := map[broker.TopicPartition]int64{}
		for tp, off := range cur {
			if tp.Topic != topic {
				merged[tp] = off
			}
		}
		if len(merged) != len(cur) {
			if err := l.writeGroup(g.name, merged); err != nil {
				if firstErr == nil {
					firstErr = storageErr(fmt.Sprintf("drop offsets of deleted topic %q from group %q", topic, g.name), err)
				}
			} else {
				l.gmu.Lock()
				g.offsets = merged
				l.gmu.Unlock()
			}
		}
		g.mu.Unlock()
	}
	return firstErr
}
