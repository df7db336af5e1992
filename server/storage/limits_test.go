package storage_test

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"parley/server/internal/servicetest"
	"parley/server/storage"
)

// bucketsHold checks the rate limit buckets through a and b, two nodes on
// one database (or one database twice): they refill by the clock passed
// in, a take on one node spends the other's budget, and prunes drop the
// full ones only.
func bucketsHold(t *testing.T, a, b storage.RateLimits) {
	ctx := context.Background()
	t0 := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	const burst, every = 3, time.Minute
	take := func(db storage.RateLimits, key string, at time.Time, wantOK bool, wantRetry time.Duration) {
		t.Helper()
		ok, retry, err := db.TakeToken(ctx, key, burst, every, at)
		if err != nil {
			t.Fatal(err)
		}
		if ok != wantOK || retry != wantRetry {
			t.Fatalf("take %s at +%v = %v, %v; want %v, %v", key, at.Sub(t0), ok, retry, wantOK, wantRetry)
		}
	}
	peek := func(db storage.RateLimits, key string, at time.Time, wantOK bool, wantRetry time.Duration) {
		t.Helper()
		ok, retry, err := db.PeekToken(ctx, key, burst, every, at)
		if err != nil {
			t.Fatal(err)
		}
		if ok != wantOK || retry != wantRetry {
			t.Fatalf("peek %s at +%v = %v, %v; want %v, %v", key, at.Sub(t0), ok, retry, wantOK, wantRetry)
		}
	}
	peek(a, "login_user:1", t0, true, 0)
	take(a, "login_user:1", t0, true, 0)
	take(b, "login_user:1", t0, true, 0)
	take(a, "login_user:1", t0, true, 0)
	take(b, "login_user:1", t0, false, every)
	take(a, "login_user:1", t0, false, every)
	peek(b, "login_user:1", t0, false, every)
	// Another key has its own bucket.
	take(b, "login_user:2", t0, true, 0)
	// One token back a minute later, then none for another minute; a
	// refused take spends nothing.
	peek(a, "login_user:1", t0.Add(30*time.Second), false, 30*time.Second)
	take(b, "login_user:1", t0.Add(every), true, 0)
	take(a, "login_user:1", t0.Add(every+time.Second), false, every-time.Second)
	take(a, "login_user:1", t0.Add(2*every), true, 0)
	// A bucket refills up to burst, no more.
	take(a, "login_user:2", t0.Add(time.Hour), true, 0)
	take(b, "login_user:2", t0.Add(time.Hour), true, 0)
	take(a, "login_user:2", t0.Add(time.Hour), true, 0)
	take(b, "login_user:2", t0.Add(time.Hour), false, every)
	// A reset on one node fills the bucket for both.
	if err := a.ResetTokens(ctx, "login_user:1"); err != nil {
		t.Fatal(err)
	}
	peek(b, "login_user:1", t0.Add(2*every), true, 0)

	// Prunes: "register:x" is full at +1 min, "register:y" at +3 min;
	// the two login_user buckets at +1 h + 3 min.
	take(a, "register:x", t0, true, 0)
	for range 3 {
		take(b, "register:y", t0, true, 0)
	}
	prune := func(db storage.RateLimits, at time.Time, want int64) {
		t.Helper()
		n, err := db.PruneTokens(ctx, at)
		if err != nil {
			t.Fatal(err)
		}
		if n != want {
			t.Fatalf("prune at +%v deleted %d buckets, want %d", at.Sub(t0), n, want)
		}
	}
	prune(a, t0.Add(59*time.Second), 0)
	prune(b, t0.Add(2*every), 1)
	prune(a, t0.Add(2*every), 0)
	peek(a, "register:y", t0.Add(2*every), true, 0) // two tokens back
	take(a, "register:y", t0.Add(2*every), true, 0)
	take(b, "register:y", t0.Add(2*every), true, 0)
	take(a, "register:y", t0.Add(2*every), false, every)
	prune(a, t0.Add(time.Hour+3*every), 2)
}

// concurrentTakes takes a burst of 10 from many goroutines spread over
// the nodes at once: exactly 10 get a token.
func concurrentTakes(t *testing.T, nodes ...storage.RateLimits) {
	ctx := context.Background()
	now := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	var taken atomic.Int64
	var wg sync.WaitGroup
	for i := range 40 {
		db := nodes[i%len(nodes)]
		wg.Go(func() {
			ok, _, err := db.TakeToken(ctx, "login_addr:203.0.113.7", 10, time.Hour, now)
			if err != nil {
				t.Error(err)
			}
			if ok {
				taken.Add(1)
			}
		})
	}
	wg.Wait()
	if n := taken.Load(); n != 10 {
		t.Fatalf("40 concurrent takes of a burst of 10 got %d tokens", n)
	}
}

func TestRateLimitBucketsOnPostgres(t *testing.T) {
	nodes := openNodes(t, 2)
	bucketsHold(t, nodes[0], nodes[1])
	concurrentTakes(t, nodes[0], nodes[1])
}

// The statements are portable: SQLite runs them too (a single server
// does not use them, but a test or a tool may).
func TestRateLimitBucketsOnSQLite(t *testing.T) {
	db, err := storage.Open(context.Background(), t.TempDir(), storage.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	bucketsHold(t, db, db)
	concurrentTakes(t, db)
}

// BenchmarkRateLimitPostgres is the database's part of one wrong password
// on a node of a cluster: the hub peeks the account's and the address's
// buckets, then takes a token of each (hub.SharedLimits). Keys change so
// that rows are refused and taken as under an attack on many accounts.
func BenchmarkRateLimitPostgres(b *testing.B) {
	ctx := context.Background()
	db := pgBench(b)
	now := time.Now()
	i := 0
	for b.Loop() {
		i++
		user, addr := "login_user:"+strconv.Itoa(i%1000), "login_addr:198.51.100."+strconv.Itoa(i%200)
		for _, k := range [...]struct {
			key   string
			burst int
			every time.Duration
		}{{user, 5, time.Minute}, {addr, 20, 10 * time.Second}} {
			if _, _, err := db.PeekToken(ctx, k.key, k.burst, k.every, now); err != nil {
				b.Fatal(err)
			}
		}
		if _, _, err := db.TakeToken(ctx, user, 5, time.Minute, now); err != nil {
			b.Fatal(err)
		}
		if _, _, err := db.TakeToken(ctx, addr, 20, 10*time.Second, now); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRateLimitTakePostgres is one take alone: the statement.
func BenchmarkRateLimitTakePostgres(b *testing.B) {
	ctx := context.Background()
	db := pgBench(b)
	now := time.Now()
	i := 0
	for b.Loop() {
		i++
		if _, _, err := db.TakeToken(ctx, "login_user:"+strconv.Itoa(i%1000), 5, time.Minute, now); err != nil {
			b.Fatal(err)
		}
	}
}

// pgBench opens a node on a fresh database of a private PostgreSQL server.
func pgBench(b *testing.B) *storage.DB {
	db, err := storage.OpenPostgres(context.Background(), pgDatabase(b, servicetest.PostgreSQL(b)), b.TempDir(), storage.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}
