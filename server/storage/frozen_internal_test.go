package storage

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"parley/server/internal/servicetest"
)

// A node frozen inside its transaction (which holds the cluster's commit
// clock) does not stop the others' writes for longer than
// pgIdleInTransaction: PostgreSQL ends its session, the others write,
// and the frozen node's batch fails as unavailable when it wakes; its
// next write goes through.
func TestANodeFrozenInATransactionDoesNotStopTheOthers(t *testing.T) {
	old := pgIdleInTransaction
	pgIdleInTransaction = 500 * time.Millisecond
	t.Cleanup(func() { pgIdleInTransaction = old })
	dsn := servicetest.PostgreSQL(t)
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec(ctx, "CREATE DATABASE frozen"); err != nil {
		t.Fatal(err)
	}
	admin.Close(ctx)
	cfg, _ := pgx.ParseConfig(dsn)
	db := "postgres://parley@" + cfg.Host + ":" + itoa(int(cfg.Port)) + "/frozen?sslmode=disable"
	open := func() *DB {
		d, err := OpenPostgres(ctx, db, t.TempDir(), Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		return d
	}
	a, b := open(), open()
	u, err := b.CreateUser(ctx, "b", "hash")
	if err != nil {
		t.Fatal(err)
	}
	g, err := b.CreateGroup(ctx, u, "g")
	if err != nil {
		t.Fatal(err)
	}

	frozen, thaw := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		_, err := a.exec(ctx, func(tx *sql.Tx, s *sequencer) (any, error) {
			close(frozen) // a holds the clock now (tick ran)
			<-thaw
			return nil, nil
		})
		done <- err
	}()
	<-frozen
	bctx, cancel := context.WithTimeout(ctx, 30*time.Second) // a guard: without the bound, b waits for as long as a is frozen
	defer cancel()
	if _, _, err := b.Send(bctx, u, g.ID, "while-a-is-frozen", "hello"); err != nil {
		close(thaw)
		t.Fatalf("b's send while a is frozen: %v", err)
	}
	close(thaw)
	if err := <-done; !Unreachable(err) {
		t.Fatalf("a's frozen batch: %v, want an error Unreachable says is the database's (unavailable)", err)
	}
	if _, _, err := a.Send(ctx, u, g.ID, "after-a-woke", "hello"); err != nil {
		// Its pool may hand out the ended session once more.
		if _, _, err := a.Send(ctx, u, g.ID, "after-a-woke", "hello"); err != nil {
			t.Fatalf("a's send after it woke: %v", err)
		}
	}
}

func itoa(n int) string { return fmt.Sprint(n) }
