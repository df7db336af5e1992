package storage_test

import (
	"context"
	"testing"

	"parley/server/storage"
	"parley/server/storage/storagetest"
)

// TestSQLite runs the storage suite (storagetest) against the SQLite
// implementation. The tests beside this file are the SQLite-specific
// ones: migrations from old SQLite schemas (storage_test.go,
// groups_test.go, media_test.go), the checkpointer (checkpoint_test.go),
// failures injected into the sequencer's statements and transactions
// (failure_test.go, storage_test.go), what the plain send writes
// (events_test.go), and the search index's own file and queue
// (search_test.go).
func TestSQLite(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storagetest.Database {
		dir := t.TempDir()
		return func(opts storage.Options) (storage.Store, error) {
			opts.Synchronous = "NORMAL"
			db, err := storage.Open(context.Background(), dir, opts)
			if err != nil {
				return nil, err // not a nil *DB in a non-nil Store
			}
			return db, nil
		}
	})
}
