package storage_test

import (
	"context"
	"testing"

	"parley/server/storage"
	"parley/server/storage/storagetest"
)

// sqlite makes a fresh SQLite database in a temporary folder, opened with
// the given synchronous pragma.
func sqlite(synchronous string) storagetest.NewDatabase {
	return func(tb testing.TB) storagetest.Database {
		dir := tb.TempDir()
		return func(opts storage.Options) (storage.Store, error) {
			opts.Synchronous = synchronous
			db, err := storage.Open(context.Background(), dir, opts)
			if err != nil {
				return nil, err // not a nil *DB in a non-nil Store
			}
			return db, nil
		}
	}
}

// TestSQLite runs the storage suite (storagetest) against the SQLite
// implementation. The tests beside this file are the SQLite-specific
// ones: migrations from old SQLite schemas (storage_test.go,
// groups_test.go, media_test.go), the checkpointer (checkpoint_test.go),
// failures injected into the sequencer's statements and transactions
// (failure_test.go, storage_test.go), the rows SQLite writes (events_test.go,
// groups_test.go), and the search index's own file and queue
// (search_test.go).
func TestSQLite(t *testing.T) { storagetest.Run(t, sqlite("NORMAL")) }

// BenchmarkSuiteSend is the suite's send benchmark on SQLite with the
// production default, synchronous FULL: the row to compare another
// implementation's with.
func BenchmarkSuiteSend(b *testing.B) { storagetest.BenchmarkSend(b, sqlite("FULL")) }
