package embedded

import (
	"errors"
	"io/fs"
	"time"
)

// Retention deletes whole sealed segments from the head of a partition:
// a segment goes if its newest record is older than now - retention.ms, or
// while the partition holds more than retention.bytes. The active segment
// is never deleted, nor any segment reaching past the stable offset (so a
// segment holding a batch of an unresolved transaction, or anything after
// it, stays). The log start offset becomes the base of the first remaining
// segment. A segment's age is its largest record timestamp, or the file's
// modification time when records carry no timestamps (all <= 0).

// EnforceRetention applies retention as of now to every partition. The
// background pass calls it every Options.RetentionCheckInterval with
// Options.Now(); tests call it with an injected time.
func (l *Log) EnforceRetention(now time.Time) error {
	if err := l.enter(); err != nil {
		return err
	}
	defer l.leave()
	var firstErr error
	for _, t := range l.topicList() {
		for _, p := range t.parts {
			p.expireProducers(now.UnixMilli())
		}
		retMs, retBytes := t.cfg.RetentionMs, t.cfg.RetentionBytes
		if retMs == 0 {
			retMs = l.opts.RetentionMs
		}
		if retBytes == 0 {
			retBytes = l.opts.RetentionBytes
		}
		if retMs < 0 && retBytes < 0 {
			continue
		}
		for _, p := range t.parts {
			if err := p.enforceRetention(now.UnixMilli(), retMs, retBytes); err != nil && firstErr == nil {
				firstErr = err
			}
		}
	}
	return firstErr
}

func (p *partition) enforceRetention(nowMs, retMs, retBytes int64) error {
	p.mu.Lock()
	if p.state != partOpen {
		p.mu.Unlock()
		return nil
	}
	total := int64(0)
	for _, s := range p.segs {
		total += s.size
	}
	k := 0
	for k < len(p.segs)-1 {
		s := p.segs[k]
		if s.next > p.stable {
			break
		}
		expired := retMs >= 0 && nowMs-s.retentionMs() > retMs
		oversize := retBytes >= 0 && total > retBytes
		if !expired && !oversize {
			break
		}
		total -= s.size
		k++
	}
	if k == 0 {
		p.mu.Unlock()
		return nil
	}
	removed := p.dropHeadLocked(k)
	p.mu.Unlock()
	return p.removeSegments(removed, "retention")
}

// dropHeadLocked takes the first k segments out of the partition (p.mu
// held) and returns them for removeSegments: the log start offset becomes
// the base of the first remaining one.
func (p *partition) dropHeadLocked(k int) []*segment {
	removed := p.segs[:k]
	p.segs = append([]*segment(nil), p.segs[k:]...)
	p.start = p.segs[0].base
	for _, s := range removed {
		p.diskBytes -= s.size
	}
	i := 0
	for i < len(p.aborted) && p.aborted[i].last < p.start {
		i++
	}
	p.aborted = append([]offRange(nil), p.aborted[i:]...)
	return removed
}

// removeSegments deletes the files of segments taken out by
// dropHeadLocked, outside the partition's lock. Readers holding a
// reference keep reading the unlinked file; the last reference closes
// it. The index goes first so a crash never leaves a segment without its
// log but with an index (a leftover log without index is rescanned).
func (p *partition) removeSegments(removed []*segment, why string) error {
	var firstErr error
	for _, s := range removed {
		fsys := p.l.fsys
		if err := fsys.Remove(s.idxPath); err != nil && !errors.Is(err, fs.ErrNotExist) && firstErr == nil {
			firstErr = storageErr(why+": remove "+s.idxPath, err)
		}
		if err := fsys.Remove(s.logPath); err != nil && !errors.Is(err, fs.ErrNotExist) && firstErr == nil {
			firstErr = storageErr(why+": remove "+s.logPath, err)
		}
		// Make each removal durable before the next, so that after a crash
		// the remaining segments are still contiguous.
		if err := fsys.SyncDir(p.dir); err != nil && firstErr == nil {
			firstErr = storageErr(why+": sync "+p.dir, err)
		}
		s.decRef()
	}
	return firstErr
}

// retentionLoop runs EnforceRetention every RetentionCheckInterval.
func (l *Log) retentionLoop() {
	defer l.wg.Done()
	t := time.NewTicker(l.opts.RetentionCheckInterval)
	defer t.Stop()
	for {
		select {
		case <-l.done:
			return
		case <-t.C:
			if err := l.EnforceRetention(l.opts.Now()); err != nil && l.opts.Logf != nil {
				l.opts.Logf("embedded: retention: %v", err)
			}
		}
	}
}

// syncLoop fsyncs dirty partitions every SyncInterval (SyncInterval policy).
func (l *Log) syncLoop() {
	defer l.wg.Done()
	t := time.NewTicker(l.opts.SyncInterval)
	defer t.Stop()
	for {
		select {
		case <-l.done:
			return
		case <-t.C:
			if l.enter() != nil {
				return
			}
			for _, tp := range l.topicList() {
				for _, p := range tp.parts {
					if p.dirty() {
						_ = p.syncAll() // failures are sticky on the partition and logged
					}
				}
			}
			l.leave()
		}
	}
}
