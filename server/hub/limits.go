package hub

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"parley/server/auth"
	"parley/server/storage"
)

// limiter is one of the hub's rate limits (Config's LoginUserLimit and
// the others): token buckets keyed by a user ID or a client address.
// Allow says whether key has a token, without spending it; Take spends
// one; both say, when there is none, how long until there is. Reset
// fills key's bucket again.
type limiter interface {
	Allow(ctx context.Context, key string) (ok bool, retryAfter time.Duration)
	Take(ctx context.Context, key string) (ok bool, retryAfter time.Duration)
	Reset(ctx context.Context, key string)
}

// memoryLimiter keeps the buckets in this process (auth.Limiter): one
// server, or Config.SharedLimits unset.
type memoryLimiter struct{ l *auth.Limiter }

func (m memoryLimiter) Allow(_ context.Context, key string) (bool, time.Duration) {
	return m.l.Allow(key)
}

func (m memoryLimiter) Take(_ context.Context, key string) (bool, time.Duration) {
	return m.l.Take(key)
}

func (m memoryLimiter) Reset(_ context.Context, key string) { m.l.Reset(key) }

// pruneEvery is how often, at most, a node deletes the shared buckets
// that are full again (on the first take after it passes).
const pruneEvery = time.Minute

// sharedLimits is what the shared limiters of one hub have in common:
// the database, the clock, whether the database is failing, and when
// full buckets were last pruned.
type sharedLimits struct {
	db  storage.RateLimits
	log *slog.Logger
	now func() time.Time

	failing atomic.Bool // the last statement failed: local buckets are in use

	pruneMu sync.Mutex
	pruned  time.Time
}

// sharedLimiter keeps the buckets of one limit in the database, under
// keys "kind:key", so that every node of a cluster spends the same
// budget (storage/limits.go).
//
// When a statement fails, the limiter falls back to a bucket of its own
// in this process's memory (local) for that attempt, and logs the
// failure once, until the database answers again (logged too). Refusing
// everyone would lock every user out because of a limiter, though the
// database may be up for the rest (a timeout, a full pool); letting
// everyone through would open the gates silently to the attacker who
// made the database slow. The local buckets keep the limits per node, as
// they were before the cluster: an attacker gets at most N times the
// budget over N nodes while it lasts, never an unlimited one.
type sharedLimiter struct {
	s     *sharedLimits
	kind  string
	limit Limit
	local *auth.Limiter
}

func (l *sharedLimiter) Allow(ctx context.Context, key string) (bool, time.Duration) {
	ok, retry, err := l.s.db.PeekToken(ctx, l.kind+":"+key, l.limit.Burst, l.limit.Every, l.s.now())
	if l.s.failed(ctx, err) {
		return l.local.Allow(key)
	}
	return ok, retry
}

func (l *sharedLimiter) Take(ctx context.Context, key string) (bool, time.Duration) {
	now := l.s.now()
	ok, retry, err := l.s.db.TakeToken(ctx, l.kind+":"+key, l.limit.Burst, l.limit.Every, now)
	if l.s.failed(ctx, err) {
		return l.local.Take(key)
	}
	l.s.prune(ctx, now)
	return ok, retry
}

func (l *sharedLimiter) Reset(ctx context.Context, key string) {
	l.local.Reset(key)
	l.s.failed(ctx, l.s.db.ResetTokens(ctx, l.kind+":"+key))
}

// failed reports whether err is a failure (the caller then uses its
// local bucket), logging the first of a run of failures and the end of
// the run. A canceled request is not the database's failure: the
// answer no longer matters, and nothing is logged.
func (s *sharedLimits) failed(ctx context.Context, err error) bool {
	switch {
	case err == nil:
		if s.failing.CompareAndSwap(true, false) {
			s.log.Info("rate limits: the database answers again; the nodes share their buckets again")
		}
		return false
	case ctx.Err() != nil:
		return true
	}
	if s.failing.CompareAndSwap(false, true) {
		s.log.Error("rate limits: the database failed; this node limits with buckets of its own until it answers", "err", err)
	}
	return true
}

// prune deletes the buckets that are full again, at most once per
// pruneEvery by the hub's clock, and never two at once.
func (s *sharedLimits) prune(ctx context.Context, now time.Time) {
	if !s.pruneMu.TryLock() {
		return
	}
	defer s.pruneMu.Unlock()
	if now.Sub(s.pruned) < pruneEvery {
		return
	}
	s.pruned = now
	if _, err := s.db.PruneTokens(ctx, now); err != nil && ctx.Err() == nil {
		s.log.Warn("rate limits: prune full buckets", "err", err)
	}
}

// newLimiters makes the hub's limiters of cfg: nil for a limit that is
// off, in memory without cfg.SharedLimits, in the database with it.
func (h *Hub) newLimiters(cfg Config) {
	var shared *sharedLimits
	if cfg.SharedLimits != nil {
		shared = &sharedLimits{db: cfg.SharedLimits, log: h.log, now: cfg.Now}
	}
	newLimiter := func(kind string, l Limit) limiter {
		if l.Burst <= 0 {
			return nil
		}
		local := auth.NewLimiter(l.Burst, l.Every, cfg.Now)
		if shared == nil {
			return memoryLimiter{local}
		}
		return &sharedLimiter{s: shared, kind: kind, limit: l, local: local}
	}
	h.lims.loginUser = newLimiter("login_user", cfg.LoginUserLimit)
	h.lims.loginAddr = newLimiter("login_addr", cfg.LoginAddrLimit)
	h.lims.register = newLimiter("register", cfg.RegisterLimit)
	h.lims.joinUser = newLimiter("join_user", cfg.JoinUserLimit)
	h.lims.joinAddr = newLimiter("join_addr", cfg.JoinAddrLimit)
}
