package storage_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"

	"parley/server/internal/servicetest"
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

// postgres makes a fresh database for each test on one PostgreSQL server
// (dsn, the server's "postgres" database), with a node folder of its own
// for the search index.
func postgres(dsn string) storagetest.NewDatabase {
	return func(tb testing.TB) storagetest.Database {
		db, dir := pgDatabase(tb, dsn), tb.TempDir()
		return func(opts storage.Options) (storage.Store, error) {
			d, err := storage.OpenPostgres(context.Background(), db, dir, opts)
			if err != nil {
				return nil, err
			}
			return d, nil
		}
	}
}

var pgDatabases atomic.Int64

// pgDatabase creates an empty database on the server of dsn and returns
// its address.
func pgDatabase(tb testing.TB, dsn string) string {
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		tb.Fatal(err)
	}
	defer admin.Close(ctx)
	name := fmt.Sprintf("test_%d", pgDatabases.Add(1))
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		tb.Fatal(err)
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		tb.Fatal(err)
	}
	return fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=disable", cfg.User, cfg.Host, cfg.Port, name)
}

// TestPostgres runs the storage suite against PostgreSQL, a private server
// for this test process (servicetest), a database per test.
func TestPostgres(t *testing.T) {
	storagetest.Run(t, postgres(servicetest.PostgreSQL(t)))
}

// BenchmarkSuiteSendPostgres is the suite's send benchmark on the test
// PostgreSQL server (servicetest: fsync off, so it measures the work, not
// the disk's flush).
func BenchmarkSuiteSendPostgres(b *testing.B) {
	storagetest.BenchmarkSend(b, postgres(servicetest.PostgreSQL(b)))
}
