package kafkaproto

import "context"

// Crash drops l's clients without ending anything, as a crash of the
// process would: open transactions stay open on the cluster.
func (l *ClientLog) Crash() {
	l.mu.Lock()
	l.closed = true
	close(l.done)
	producers := l.producers
	l.producers = map[string]*txnProducer{}
	l.mu.Unlock()
	for _, p := range producers {
		if p.lock(context.Background()) == nil {
			p.drop()
			p.unlock()
		}
	}
	l.waits.closeAll()
	l.waitCl.Close()
	l.cl.Close()
}

// Fetches is the number of Fetch requests l's reads sent.
func (l *ClientLog) Fetches() int64 { return l.fetches.Load() }
