package auth

import (
	"sync"
	"time"
)

// Limiter is a set of token buckets keyed by string (a user ID, a remote
// address). Each Take spends one token; a bucket refills one token per
// Every up to Burst. Idle full buckets are forgotten, so memory follows
// the keys in use. It is safe for concurrent use.
type Limiter struct {
	Burst int
	Every time.Duration
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

// NewLimiter returns a Limiter; now is the clock (time.Now in production).
func NewLimiter(burst int, every time.Duration, now func() time.Time) *Limiter {
	return &Limiter{Burst: burst, Every: every, now: now, buckets: map[string]*bucket{}}
}

// Allow reports whether key has a token left, without spending it, and if
// not how long until it has one.
func (l *Limiter) Allow(key string) (ok bool, retryAfter time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.refill(key)
	if b == nil || b.tokens >= 1 {
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) * float64(l.Every))
}

// Take spends one token of key and reports whether one was there; if not,
// how long until one is.
func (l *Limiter) Take(key string) (ok bool, retryAfter time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.refill(key)
	if b == nil {
		b = &bucket{tokens: float64(l.Burst), at: l.now()}
		l.buckets[key] = b
	}
	if b.tokens < 1 {
		return false, time.Duration((1 - b.tokens) * float64(l.Every))
	}
	b.tokens--
	return true, 0
}

// Reset forgets key, for example after a successful login.
func (l *Limiter) Reset(key string) {
	l.mu.Lock()
	delete(l.buckets, key)
	l.mu.Unlock()
}

// refill brings key's bucket up to date; nil means it is full (absent).
func (l *Limiter) refill(key string) *bucket {
	now := l.now()
	if now.Sub(l.swept) > time.Duration(l.Burst)*l.Every {
		l.sweep(now)
	}
	b := l.buckets[key]
	if b == nil {
		return nil
	}
	b.tokens += float64(now.Sub(b.at)) / float64(l.Every)
	b.at = now
	if b.tokens >= float64(l.Burst) {
		delete(l.buckets, key)
		return nil
	}
	return b
}

func (l *Limiter) sweep(now time.Time) {
	l.swept = now
	full := time.Duration(l.Burst) * l.Every
	for k, b := range l.buckets {
		if now.Sub(b.at) >= full {
			delete(l.buckets, k)
		}
	}
}
