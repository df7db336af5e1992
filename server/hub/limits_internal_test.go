package hub

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"parley/server/storage"
)

// flakyLimits is a database's rate limits (SQLite's, which run the same
// statements as PostgreSQL's) that fail while down is set, and count
// what prunes deleted.
type flakyLimits struct {
	storage.RateLimits
	mu     sync.Mutex
	down   bool
	prunes []int64
}

var errDown = errors.New("connection refused")

func (f *flakyLimits) isDown() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.down
}

func (f *flakyLimits) setDown(d bool) {
	f.mu.Lock()
	f.down = d
	f.mu.Unlock()
}

func (f *flakyLimits) TakeToken(ctx context.Context, key string, burst int, every time.Duration, now time.Time) (bool, time.Duration, error) {
	if f.isDown() {
		return false, 0, errDown
	}
	return f.RateLimits.TakeToken(ctx, key, burst, every, now)
}

func (f *flakyLimits) PeekToken(ctx context.Context, key string, burst int, every time.Duration, now time.Time) (bool, time.Duration, error) {
	if f.isDown() {
		return false, 0, errDown
	}
	return f.RateLimits.PeekToken(ctx, key, burst, every, now)
}

func (f *flakyLimits) ResetTokens(ctx context.Context, key string) error {
	if f.isDown() {
		return errDown
	}
	return f.RateLimits.ResetTokens(ctx, key)
}

func (f *flakyLimits) PruneTokens(ctx context.Context, now time.Time) (int64, error) {
	n, err := f.RateLimits.PruneTokens(ctx, now)
	f.mu.Lock()
	f.prunes = append(f.prunes, n)
	f.mu.Unlock()
	return n, err
}

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// sharedHub makes the limiters of a hub whose limits are shared through
// a flaky database, on clock, logging into the returned buffer.
func sharedHub(t *testing.T, clock *testClock, cfg Config) (*Hub, *flakyLimits, *bytes.Buffer) {
	t.Helper()
	db, err := storage.Open(context.Background(), t.TempDir(), storage.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	flaky := &flakyLimits{RateLimits: db}
	var logs bytes.Buffer
	h := &Hub{log: slog.New(slog.NewTextHandler(&logs, nil))}
	cfg.SharedLimits, cfg.Now = flaky, clock.Now
	h.newLimiters(cfg)
	return h, flaky, &logs
}

// While the database fails, a shared limiter limits with a bucket of its
// own (no lock-out, no open gate), logs the failure once, and logs once
// when the database answers again, whose bucket it then uses.
func TestSharedLimitsFallBackToLocalBucketsAndLogOnce(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)}
	h, flaky, logs := sharedHub(t, clock, Config{LoginUserLimit: Limit{Burst: 2, Every: time.Minute}})
	ctx := context.Background()
	l := h.lims.loginUser
	// One wrong password recorded in the database.
	if ok, _ := l.Take(ctx, "7"); !ok {
		t.Fatal("first take refused")
	}

	flaky.setDown(true)
	if ok, _ := l.Allow(ctx, "7"); !ok {
		t.Fatal("the database is down: Allow refused a key whose local bucket is full (a lock-out)")
	}
	for i := range 2 {
		if ok, _ := l.Take(ctx, "7"); !ok {
			t.Fatalf("the database is down: local take %d of a burst of 2 refused", i+1)
		}
	}
	ok, retry := l.Take(ctx, "7")
	if ok || retry != time.Minute {
		t.Fatalf("the database is down: third local take = %v, %v; want refused for 1m (no open gate)", ok, retry)
	}
	if ok, retry := l.Allow(ctx, "7"); ok || retry != time.Minute {
		t.Fatalf("the database is down: Allow = %v, %v; want refused for 1m", ok, retry)
	}
	l.Reset(ctx, "7")
	if got := strings.Count(logs.String(), "level=ERROR"); got != 1 {
		t.Fatalf("%d error lines for one outage, want 1:\n%s", got, logs)
	}

	flaky.setDown(false)
	// The database's bucket again: it holds the one take from before.
	if ok, _ := l.Take(ctx, "7"); !ok {
		t.Fatal("second take in the database refused")
	}
	if ok, retry := l.Take(ctx, "7"); ok || retry != time.Minute {
		t.Fatalf("third take in the database = %v, %v; want refused for 1m", ok, retry)
	}
	if got := strings.Count(logs.String(), "answers again"); got != 1 {
		t.Fatalf("%d recovery lines, want 1:\n%s", got, logs)
	}
	if got := strings.Count(logs.String(), "level=ERROR"); got != 1 {
		t.Fatalf("%d error lines, want still 1:\n%s", got, logs)
	}
}

// A request that ends while its statement runs is not a database
// failure: nothing is logged.
func TestSharedLimitsCanceledRequestLogsNothing(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)}
	h, _, logs := sharedHub(t, clock, Config{RegisterLimit: Limit{Burst: 1, Every: time.Minute}})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	h.lims.register.Take(ctx, "203.0.113.7")
	if logs.Len() != 0 {
		t.Fatalf("a canceled request logged:\n%s", logs)
	}
}

// Full buckets are deleted by the first take once a minute by the hub's
// clock has passed since the last prune, and no sooner.
func TestSharedLimitsPruneFullBucketsByTheClock(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)}
	h, flaky, _ := sharedHub(t, clock, Config{
		LoginAddrLimit: Limit{Burst: 2, Every: 10 * time.Second},
		RegisterLimit:  Limit{Burst: 1, Every: 5 * time.Minute},
	})
	ctx := context.Background()
	h.lims.loginAddr.Take(ctx, "203.0.113.7") // full at +10 s
	h.lims.register.Take(ctx, "203.0.113.7")  // full at +5 min
	clock.Advance(30 * time.Second)
	h.lims.loginAddr.Take(ctx, "198.51.100.1") // full at +40 s; no prune yet
	clock.Advance(31 * time.Second)
	h.lims.loginAddr.Take(ctx, "198.51.100.2") // prunes the two login_addr buckets
	clock.Advance(30 * time.Second)
	h.lims.loginAddr.Take(ctx, "198.51.100.3")
	flaky.mu.Lock()
	defer flaky.mu.Unlock()
	if want := []int64{0, 2}; !slices.Equal(flaky.prunes, want) {
		t.Fatalf("prunes deleted %v buckets, want %v", flaky.prunes, want)
	}
}

// Without SharedLimits every limit is in this process's memory, and a
// limit that is off has no limiter.
func TestLimitsAreInMemoryWithoutSharedLimits(t *testing.T) {
	h := &Hub{log: slog.New(slog.DiscardHandler)}
	h.newLimiters(Config{Now: time.Now, LoginUserLimit: DefaultLoginUserLimit, RegisterLimit: DefaultRegisterLimit})
	for name, l := range map[string]limiter{"login_user": h.lims.loginUser, "register": h.lims.register} {
		if _, ok := l.(memoryLimiter); !ok {
			t.Errorf("%s limiter is %T, want memoryLimiter", name, l)
		}
	}
	if h.lims.loginAddr != nil {
		t.Errorf("login_addr limit off, but its limiter is %T", h.lims.loginAddr)
	}
}
