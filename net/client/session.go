package client

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"parley/net/proto"
)

// State is where a Session is in its connection life.
type State int

const (
	Offline    State = iota // no connection; waiting to retry, or stopped
	Connecting              // dialing, resuming and running OnConnect
	Online                  // connected and OnConnect done; calls go through
)

func (s State) String() string {
	switch s {
	case Offline:
		return "offline"
	case Connecting:
		return "connecting"
	case Online:
		return "online"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// Defaults of SessionConfig.
const (
	DefaultMinBackoff  = 250 * time.Millisecond
	DefaultMaxBackoff  = 30 * time.Second
	DefaultResetAfter  = 10 * time.Second
	DefaultDialTimeout = 15 * time.Second
)

// SessionConfig configures a Session. Only URL (or URLs) is required.
type SessionConfig struct {
	URL string // ws(s)://host/v1/ws

	// URLs, when not empty, are the addresses of several nodes of one
	// server (one database behind them), tried in turn; URL is then
	// ignored. See Session for how the session moves between them.
	URLs []string

	// Token returns the resume token at each connect; "" (or a nil Token)
	// leaves the connection unauthenticated, e.g. before login.
	Token func() string

	// OnConnect runs after dial and resume, before the session is Online:
	// the application syncs and flushes its outbox here, on c (Session
	// calls fail with ErrOffline until it returns). An error drops the
	// connection and retries after a backoff. ctx is Run's.
	OnConnect func(ctx context.Context, c *Conn) error

	// OnState is told every state transition with its cause (nil when
	// entering Connecting or Online). It runs on Run's goroutine.
	OnState func(s State, err error)

	// OnPush receives pushes from every connection; see DialOptions.OnPush
	// for its contract. Pushes may arrive while OnConnect runs, so they can
	// overlap what a sync returns: deduplicate by (conv, seq). If nil,
	// Dial.OnPush is used.
	OnPush func(Push)

	// Backoff between attempts: full jitter, rand × min(MaxBackoff,
	// MinBackoff × 2^attempt). attempt restarts at 0 once a connection has
	// stayed Online for ResetAfter. A server error with RetryAfterMs
	// (rate_limited, unavailable) waits at least that long. With several
	// URLs, attempt counts rounds (every URL failed once), not URLs: see
	// Session.
	MinBackoff, MaxBackoff, ResetAfter time.Duration

	// DialTimeout bounds dial, hello and resume of one attempt.
	DialTimeout time.Duration

	Dial DialOptions

	// Test hooks. Rand returns a number in [0, 1) (default math/rand/v2);
	// Now and After default to the time package.
	Rand  func() float64
	Now   func() time.Time
	After func(time.Duration) <-chan time.Time
}

// Session keeps one connection to a server up: it dials, resumes the
// token, runs OnConnect, and when the connection drops, does it again
// after a backoff. Its typed calls go to the current connection and fail
// fast with ErrOffline when there is none. All methods may be called
// concurrently; Run is called once.
//
// With several URLs (SessionConfig.URLs, the nodes of one server), the
// session dials one at a time, starting with the first, and stays on a
// node while it is up. Every failure, whether an attempt that did not get
// Online or a connection that dropped, moves to the next URL (round
// robin, after the one that failed). The backoff is per round, not per
// URL: after a failure, while some URL has not failed yet in this round,
// the next one is dialed at once, without a wait, so a dead node costs a
// dial, not a backoff, when another is up; once every URL has failed, the
// session waits the backoff and starts a new round (attempt counting
// rounds). A round also ends early when the server asked to wait
// (RetryAfterMs, e.g. rate_limited: the limits are the server's, shared by
// its nodes, so another node would say the same). A connection that
// stayed Online for ResetAfter starts a fresh round and resets attempt; a
// connection that drops sooner still counts in its round, so nodes that
// accept and drop at once cannot make the session spin without waits.
// With one URL this is exactly the single-server behaviour: every failure
// ends the round.
type Session struct {
	ops

	cfg  SessionConfig
	urls []string
	kick chan struct{}

	mu      sync.Mutex
	state   State
	cur     int       // index in urls of the node dialed, connected, or to dial next
	conn    *Conn     // set once resumed: while OnConnect runs, and while Online
	retryAt time.Time // while Offline and waiting: when the next attempt starts
}

// NewSession returns a Session for cfg; Run starts it.
func NewSession(cfg SessionConfig) *Session {
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = DefaultMinBackoff
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = DefaultMaxBackoff
	}
	cfg.MaxBackoff = max(cfg.MaxBackoff, cfg.MinBackoff)
	if cfg.ResetAfter <= 0 {
		cfg.ResetAfter = DefaultResetAfter
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = DefaultDialTimeout
	}
	if cfg.OnPush != nil {
		cfg.Dial.OnPush = cfg.OnPush
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Float64
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.After == nil {
		cfg.After = time.After
	}
	urls := slices.Clone(cfg.URLs)
	if len(urls) == 0 {
		urls = []string{cfg.URL}
	}
	s := &Session{cfg: cfg, urls: urls, kick: make(chan struct{}, 1)}
	s.ops = ops{call: s.Call}
	return s
}

// Run keeps the session connected until ctx is done, then closes the
// connection and returns ctx's error. If the server rejects the resume
// token, Run returns an error wrapping ErrBadToken (and the server's
// *proto.Error): the application must log in again and start a new Run.
// When the server closed the connection because the session was revoked
// (proto.CloseRevoked), the error wraps ErrRevoked too, and Revoked
// tells the reason.
func (s *Session) Run(ctx context.Context) error {
	attempt := 0 // rounds that failed: the backoff's exponent
	failed := 0  // URLs that failed in this round
	for {
		c, err := s.connect(ctx)
		if err == nil {
			began := s.cfg.Now()
			s.online(c)
			select {
			case <-c.Done():
				err = c.Err()
			case <-ctx.Done():
				c.Close()
				err = ctx.Err()
			}
			if s.cfg.Now().Sub(began) >= s.cfg.ResetAfter {
				attempt, failed = 0, 0
			}
		}
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		if reason, ok := Revoked(err); ok && ctx.Err() == nil {
			// Resuming would fail with bad_token: say why at once.
			err = fmt.Errorf("%w: %w (%s): %w", ErrBadToken, ErrRevoked, reason, err)
		}
		if ctx.Err() != nil || errors.Is(err, ErrBadToken) {
			s.setState(Offline, err)
			return err
		}
		failed++
		s.mu.Lock()
		s.cur = (s.cur + 1) % len(s.urls) // the next node, whatever failed
		s.mu.Unlock()
		var pe *proto.Error
		if failed < len(s.urls) && !(errors.As(err, &pe) && pe.RetryAfterMs > 0) {
			// Another node has not failed in this round: dial it now.
			s.mu.Lock()
			s.retryAt = s.cfg.Now()
			s.mu.Unlock()
			s.setState(Offline, err)
			continue
		}
		failed = 0
		wait := s.delay(attempt, err)
		s.mu.Lock()
		s.retryAt = s.cfg.Now().Add(wait)
		s.mu.Unlock()
		s.setState(Offline, err)

		select {
		case <-s.cfg.After(wait):
		case <-s.kick:
		case <-ctx.Done():
			return ctx.Err()
		}
		attempt++
	}
}

// connect makes one attempt: dial, resume, OnConnect.
func (s *Session) connect(ctx context.Context) (*Conn, error) {
	s.setState(Connecting, nil)
	dctx, cancel := context.WithTimeout(ctx, s.cfg.DialTimeout)
	defer cancel()
	c, err := Dial(dctx, s.URL(), s.cfg.Dial)
	if err != nil {
		return nil, err
	}
	if s.cfg.Token != nil {
		if tok := s.cfg.Token(); tok != "" {
			if _, err := c.Resume(dctx, tok); err != nil {
				c.Close()
				if proto.CodeOf(err) == proto.CodeBadToken {
					return nil, fmt.Errorf("resume: %w: %w", ErrBadToken, err)
				}
				return nil, fmt.Errorf("resume: %w", err)
			}
		}
	}
	s.mu.Lock()
	s.conn = c // for CallEarly while OnConnect runs
	s.mu.Unlock()
	if s.cfg.OnConnect != nil {
		if err := s.cfg.OnConnect(ctx, c); err != nil {
			c.Close()
			return nil, fmt.Errorf("on connect: %w", err)
		}
	}
	return c, nil
}

// delay is the wait before the next attempt.
func (s *Session) delay(attempt int, cause error) time.Duration {
	d := backoff(attempt, s.cfg.MinBackoff, s.cfg.MaxBackoff, s.cfg.Rand())
	var pe *proto.Error
	if errors.As(cause, &pe) && pe.RetryAfterMs > 0 {
		d = max(d, time.Duration(pe.RetryAfterMs)*time.Millisecond)
	}
	return d
}

// backoff is full jitter: r (in [0, 1)) times the ceiling
// min(hi, lo × 2^attempt).
func backoff(attempt int, lo, hi time.Duration, r float64) time.Duration {
	ceiling := lo
	for i := 0; i < attempt && ceiling < hi; i++ {
		ceiling *= 2
	}
	ceiling = min(ceiling, hi)
	return time.Duration(r * float64(ceiling))
}

func (s *Session) online(c *Conn) {
	select { // a Kick while connecting is spent: do not skip the next wait
	case <-s.kick:
	default:
	}
	s.setState(Online, nil)
}

func (s *Session) setState(st State, err error) {
	s.mu.Lock()
	if st == Offline || st == Connecting {
		s.conn = nil
	}
	if st != Offline {
		s.retryAt = time.Time{}
	}
	s.state = st
	s.mu.Unlock()
	if s.cfg.OnState != nil {
		s.cfg.OnState(st, err)
	}
}

// URL is the address of the node the session is connected to, or is
// dialing, or will dial next (one of SessionConfig.URLs, or URL).
// Something that must reach the same node as the session, like a call's
// media socket, dials it.
func (s *Session) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.urls[s.cur]
}

// State returns the current state.
func (s *Session) State() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state
}

// RetryAt is when the next attempt starts while the session is Offline
// and waiting (a Kick starts it sooner); zero otherwise. OnState(Offline)
// sees it set.
func (s *Session) RetryAt() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.retryAt
}

// Kick makes a session waiting to retry retry now, e.g. when the user
// presses "retry" or the network comes back. It does nothing while a
// connection is up.
func (s *Session) Kick() {
	if s.State() == Online {
		return
	}
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Call calls on the current connection (see Conn.Call). It fails with
// ErrOffline unless the session is Online; a call whose connection drops
// before the reply fails with ErrClosed.
func (s *Session) Call(ctx context.Context, typ string, req, reply any) error {
	s.mu.Lock()
	c := s.conn
	if s.state != Online {
		c = nil
	}
	s.mu.Unlock()
	if c == nil {
		return fmt.Errorf("%s: %w", typ, ErrOffline)
	}
	return c.Call(ctx, typ, req, reply)
}

// CallEarly is Call that also goes through while the session is
// Connecting, as soon as its connection is resumed (while OnConnect
// runs): for requests that must not wait for a sync and need not be
// ordered after what OnConnect sends, like answering a call that rang
// during the sync. It fails with ErrOffline when there is no resumed
// connection.
func (s *Session) CallEarly(ctx context.Context, typ string, req, reply any) error {
	c := s.Conn()
	if c == nil {
		return fmt.Errorf("%s: %w", typ, ErrOffline)
	}
	return c.Call(ctx, typ, req, reply)
}

// Conn is the session's connection once it is resumed (while OnConnect
// runs, and while Online), nil otherwise. Something that lives on one
// connection, like a call, ends when Conn is no longer the one it began
// on.
func (s *Session) Conn() *Conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conn
}
