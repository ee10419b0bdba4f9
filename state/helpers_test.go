package state

import "testing"

// testLogger routes the store's log messages to the test log.
type testLogger struct{ t testing.TB }

func (l testLogger) Infof(format string, args ...any)  {}
func (l testLogger) Errorf(format string, args ...any) { l.t.Logf("ERROR "+format, args...) }

func openTest(t testing.TB) *DB {
	t.Helper()
	db, err := Open(t.TempDir(), Options{Logger: testLogger{t}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// mustCommit commits key/value pairs kv[0]=kv[1], ... in one batch.
func mustCommit(t testing.TB, s Store, sync bool, kv ...string) {
	t.Helper()
	b := s.NewBatch()
	defer b.Close()
	for i := 0; i+1 < len(kv); i += 2 {
		b.Set([]byte(kv[i]), []byte(kv[i+1]))
	}
	if err := b.Commit(sync); err != nil {
		t.Fatal(err)
	}
}

func mustGet(t testing.TB, s Store, key string) (string, bool) {
	t.Helper()
	v, ok, err := s.Get([]byte(key))
	if err != nil {
		t.Fatal(err)
	}
	return string(v), ok
}
