package embedded

import (
	"fmt"

	"github.com/ksqlgo/ksql/broker"
)

// Group commit. Every batch written to a partition bumps writtenGen (under
// mu). A caller that needs its batch durable calls syncTo with the
// generation of its write. One caller at a time becomes the leader: it
// reads the current writtenGen and active segment, fsyncs outside every
// lock, and publishes the generation it covered in syncedGen; callers
// whose generation is covered return without an fsync of their own, the
// others wait for the next round. Rolling a segment fsyncs the old one and
// also advances syncedGen.

// syncTo returns once every batch up to generation gen is fsynced.
func (p *partition) syncTo(gen uint64) error {
	p.syncMu.Lock()
	defer p.syncMu.Unlock()
	for p.syncedGen < gen {
		if p.syncErr != nil {
			return p.syncErr
		}
		if p.syncing {
			p.syncCond.Wait()
			continue
		}
		p.syncing = true
		p.syncMu.Unlock()
		target, err := p.doSync()
		p.syncMu.Lock()
		p.syncing = false
		if err != nil {
			p.syncErr = err
		} else if target > p.syncedGen {
			p.syncedGen = target
		}
		p.syncCond.Broadcast()
	}
	return nil
}

// doSync fsyncs the active segment and returns the generation it covers.
func (p *partition) doSync() (uint64, error) {
	p.mu.RLock()
	if err := p.readableLocked(); err != nil {
		p.mu.RUnlock()
		return 0, err
	}
	seg := p.active()
	seg.incRef()
	target := p.writtenGen
	endAt := p.end
	p.mu.RUnlock()
	err := seg.f.Sync()
	seg.decRef()
	if err == nil {
		p.mu.Lock()
		p.setDurableLocked(endAt)
		p.mu.Unlock()
	}
	if err != nil {
		// After a failed fsync the kernel may have dropped the dirty pages:
		// nothing written since the last good fsync can be trusted, so the
		// partition refuses further appends until reopened (Open rescans).
		err = fmt.Errorf("%w: %s: fsync %s: %w; appends are refused until the log is reopened",
			broker.ErrStorage, p.tp, seg.logPath, err)
		p.mu.Lock()
		if p.failed == nil {
			p.failed = err
		}
		p.mu.Unlock()
		p.logf("%v", err)
		return 0, err
	}
	return target, nil
}

// markSynced records that every batch up to gen is durable (called with mu
// held, after an fsync done by roll).
func (p *partition) markSynced(gen uint64) {
	p.syncMu.Lock()
	if gen > p.syncedGen {
		p.syncedGen = gen
	}
	p.syncCond.Broadcast()
	p.syncMu.Unlock()
}

// syncAll fsyncs everything written so far (no-op when nothing is dirty).
func (p *partition) syncAll() error {
	p.mu.RLock()
	gen := p.writtenGen
	state := p.state
	p.mu.RUnlock()
	if state != partOpen {
		return nil
	}
	return p.syncTo(gen)
}

// dirty reports whether some written batch is not yet fsynced.
func (p *partition) dirty() bool {
	p.mu.RLock()
	gen := p.writtenGen
	p.mu.RUnlock()
	p.syncMu.Lock()
	defer p.syncMu.Unlock()
	return gen > p.syncedGen && p.syncErr == nil
}
