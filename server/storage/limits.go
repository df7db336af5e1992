package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Rate limits that the nodes of a cluster share (the hub's SharedLimits):
// the buckets of the login and registration limits are rows of
// rate_limits, so that an attacker who spreads attempts over N nodes gets
// the budget once, not N times. A single SQLite server keeps its buckets
// in memory and never calls these.
//
// A bucket is one number, its theoretical arrival time (tat: the generic
// cell rate algorithm). A bucket of burst tokens that refills one token
// per every is full when tat <= now; it has a token while
// tat - now <= (burst-1)*every; taking one moves tat to
// max(tat, now) + every. So one statement both refills by the time
// elapsed and takes a token, atomically under the row's lock, and a full
// bucket is a row that can go (PruneTokens) or is absent.
//
// These statements run on a pool connection of their own, never in the
// sequencer: its transactions take the cluster's commit clock, and a
// limiter write there would make every node reload its caches
// (sequencer.go). Times come from the caller's clock: the nodes' clocks
// must agree (NTP) for their budgets to be exactly one; a node whose
// clock is ahead by s moves a bucket's refill by s, no more (tat never
// goes back).

// RateLimits is the buckets of rate limits in the database. key names the
// limit and whom it limits (for example "login_user:42").
type RateLimits interface {
	TakeToken(ctx context.Context, key string, burst int, every time.Duration, now time.Time) (ok bool, retryAfter time.Duration, err error)
	PeekToken(ctx context.Context, key string, burst int, every time.Duration, now time.Time) (ok bool, retryAfter time.Duration, err error)
	ResetTokens(ctx context.Context, key string) error
	PruneTokens(ctx context.Context, now time.Time) (int64, error)
}

var _ RateLimits = (*DB)(nil)

// limitsPool is where the limit statements run: on PostgreSQL a plain
// pool connection (the readers' pool writes there too); on SQLite, whose
// readers are read-only, the writer's connection, between the
// sequencer's transactions.
func (d *DB) limitsPool() *sql.DB {
	if d.pg {
		return d.r
	}
	return d.w
}

// takeToken is one statement: insert a full bucket less one token, or
// refill the existing one by the time elapsed and take a token if it has
// one; taken says which. ?2 is now, ?3 every, ?4 (burst-1)*every, all in
// nanoseconds.
const takeToken = `INSERT INTO rate_limits (bucket, tat, taken) VALUES (?1, CAST(?2 AS BIGINT) + CAST(?3 AS BIGINT), 1)
ON CONFLICT (bucket) DO UPDATE SET
	taken = CASE WHEN rate_limits.tat - ?2 <= ?4 THEN 1 ELSE 0 END,
	tat = CASE
		WHEN rate_limits.tat <= ?2 THEN ?2 + ?3
		WHEN rate_limits.tat - ?2 <= ?4 THEN rate_limits.tat + ?3
		ELSE rate_limits.tat END
RETURNING tat, taken`

// TakeToken spends one token of key's bucket, which holds burst tokens
// and refills one per every, at time now. It reports whether there was
// one, and if not how long until there is.
func (d *DB) TakeToken(ctx context.Context, key string, burst int, every time.Duration, now time.Time) (bool, time.Duration, error) {
	if burst <= 0 {
		return false, 0, errors.New("take token: a bucket needs a burst of at least 1")
	}
	t, tau := now.UnixNano(), int64(burst-1)*int64(every)
	var tat int64
	var taken bool
	if err := d.limitsPool().QueryRowContext(ctx, takeToken, key, t, int64(every), tau).Scan(&tat, &taken); err != nil {
		return false, 0, fmt.Errorf("take token %s: %w", key, err)
	}
	if taken {
		return true, 0, nil
	}
	return false, time.Duration(tat - t - tau), nil
}

// PeekToken reports what TakeToken would, without spending anything.
func (d *DB) PeekToken(ctx context.Context, key string, burst int, every time.Duration, now time.Time) (bool, time.Duration, error) {
	var tat int64
	err := d.limitsPool().QueryRowContext(ctx, "SELECT tat FROM rate_limits WHERE bucket = ?", key).Scan(&tat)
	if errors.Is(err, sql.ErrNoRows) {
		return true, 0, nil
	}
	if err != nil {
		return false, 0, fmt.Errorf("peek token %s: %w", key, err)
	}
	t, tau := now.UnixNano(), int64(max(burst-1, 0))*int64(every)
	if tat-t <= tau {
		return true, 0, nil
	}
	return false, time.Duration(tat - t - tau), nil
}

// ResetTokens fills key's bucket again (for example after a successful
// login).
func (d *DB) ResetTokens(ctx context.Context, key string) error {
	if _, err := d.limitsPool().ExecContext(ctx, "DELETE FROM rate_limits WHERE bucket = ?", key); err != nil {
		return fmt.Errorf("reset tokens %s: %w", key, err)
	}
	return nil
}

// PruneTokens deletes the buckets that are full again at now, and says
// how many. (No index on tat: the table holds only the keys limited in
// the last few minutes, and without one every take is an update that
// PostgreSQL can make in place.)
func (d *DB) PruneTokens(ctx context.Context, now time.Time) (int64, error) {
	res, err := d.limitsPool().ExecContext(ctx, "DELETE FROM rate_limits WHERE tat <= ?", now.UnixNano())
	if err != nil {
		return 0, fmt.Errorf("prune rate limits: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("prune rate limits: %w", err)
	}
	return n, nil
}
