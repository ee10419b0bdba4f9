package engine

import "fmt"

// A failed state store stops the engine (crash-only recovery).
//
// When the state store's write-ahead log fails, the store cannot tell
// which commits reached the disk, and refuses every later commit
// (state.ErrFailed). Tasks then cannot commit, and a task whose state
// commit failed leaves its log transaction open (in doubt) rather than
// deciding it. Nothing is repaired in place: the engine reports the
// failure (Failed, Err), Serve stops every query and returns the error,
// and the next start settles the in-doubt transactions from what the
// reopened store recovered (exec.ResolveInDoubt), so output stays exactly
// once.

// Failed returns a channel that is closed when the engine can no longer
// commit because its state store has failed; Err says why. Owners stop
// the engine (Close) and open the data directory again to recover.
func (e *Engine) Failed() <-chan struct{} { return e.store.Failed() }

// Err returns why the engine failed (it wraps state.ErrFailed), or nil.
func (e *Engine) Err() error {
	if err := e.store.Err(); err != nil {
		return fmt.Errorf("%w; queries can no longer commit; the data directory is consistent: restart to recover", err)
	}
	return nil
}
