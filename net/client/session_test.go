package client

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"parley/net/proto"
)

func TestBackoffIsFullJitterUnderADoublingCeiling(t *testing.T) {
	const lo, hi = 250 * time.Millisecond, 30 * time.Second
	tests := []struct {
		attempt int
		r       float64
		want    time.Duration
	}{
		{0, 0.5, 125 * time.Millisecond},
		{1, 0.5, 250 * time.Millisecond},
		{2, 0.5, 500 * time.Millisecond},
		{6, 0.5, 8 * time.Second},
		{7, 0.5, 15 * time.Second}, // 32 s capped at 30 s
		{8, 0.5, 15 * time.Second},
		{1000, 0.5, 15 * time.Second}, // no overflow
		{3, 0, 0},
		{3, 0.999, time.Duration(0.999 * float64(2*time.Second))},
	}
	for _, tt := range tests {
		if got := backoff(tt.attempt, lo, hi, tt.r); got != tt.want {
			t.Errorf("backoff(%d, r=%v) = %v, want %v", tt.attempt, tt.r, got, tt.want)
		}
	}
}

// event is one thing a session test observes, in order.
type event struct {
	what string // "connecting", "online", "offline", "resume <token>", "onconnect", "wait <d>"
	err  error
}

// sessionRig runs a Session against a fake server and records its events.
type sessionRig struct {
	t      *testing.T
	srv    *fakeServer   // the first node
	nodes  []*fakeServer // every node, when the session has several URLs
	s      *Session
	events chan event
	fire   chan time.Time // fires one backoff wait
	now    time.Time
	mu     sync.Mutex
	runErr chan error
	cancel context.CancelFunc
}

// newSessionRig builds a session; edit cfg in configure, then call run.
// The server accepts token "good", rejects "bad" with bad_token and
// "busy" with rate_limited (retry after 5 s).
func newSessionRig(t *testing.T, token string, configure func(*SessionConfig)) *sessionRig {
	return newNodesRig(t, token, 1, configure)
}

// newNodesRig is newSessionRig with n fake servers, the nodes of one
// server: they answer alike, and with n > 1 the session gets their URLs
// in order (SessionConfig.URLs).
func newNodesRig(t *testing.T, token string, n int, configure func(*SessionConfig)) *sessionRig {
	r := &sessionRig{
		t:      t,
		events: make(chan event, 100),
		fire:   make(chan time.Time),
		now:    time.Unix(1700000000, 0),
		runErr: make(chan error, 1),
	}
	handle := func(fc *fakeConn, f proto.Frame) {
		switch f.Type {
		case proto.TypeResume:
			tok := decode[proto.ResumeRequest](t, f.Body).Token
			r.events <- event{what: "resume " + tok}
			switch tok {
			case "good":
				fc.reply(f, proto.ResumeReply{User: proto.User{ID: 4821, Name: "Li Hua"}})
			case "bad":
				fc.fail(f, proto.Errorf(proto.CodeBadToken, "token revoked"))
			case "busy":
				fc.fail(f, &proto.Error{Code: proto.CodeRateLimited, Message: "wait", RetryAfterMs: 5000})
			}
		default:
			fc.reply(f, nil)
		}
	}
	for range n {
		r.nodes = append(r.nodes, newFakeServer(t, handle))
	}
	r.srv = r.nodes[0]
	cfg := SessionConfig{
		URL:   r.srv.URL,
		Token: func() string { return token },
		OnConnect: func(ctx context.Context, c *Conn) error {
			r.events <- event{what: "onconnect"}
			return c.Ping(ctx) // the connection is usable here
		},
		OnState:    func(s State, err error) { r.events <- event{what: s.String(), err: err} },
		MinBackoff: 100 * time.Millisecond,
		MaxBackoff: time.Second,
		ResetAfter: time.Minute,
		Rand:       func() float64 { return 0.5 },
		Now: func() time.Time {
			r.mu.Lock()
			defer r.mu.Unlock()
			return r.now
		},
		After: func(d time.Duration) <-chan time.Time {
			r.events <- event{what: fmt.Sprint("wait ", d)}
			return r.fire
		},
	}
	if n > 1 {
		cfg.URL = ""
		for _, node := range r.nodes {
			cfg.URLs = append(cfg.URLs, node.URL)
		}
	}
	if configure != nil {
		configure(&cfg)
	}
	r.s = NewSession(cfg)
	return r
}

func (r *sessionRig) run() {
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	r.t.Cleanup(cancel)
	go func() { r.runErr <- r.s.Run(ctx) }()
}

func (r *sessionRig) advance(d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.now = r.now.Add(d)
}

// expect checks the next events, by name.
func (r *sessionRig) expect(whats ...string) event {
	r.t.Helper()
	var e event
	for _, want := range whats {
		select {
		case e = <-r.events:
			if e.what != want {
				r.t.Fatalf("event %q (err %v), want %q", e.what, e.err, want)
			}
		case <-time.After(waitFor):
			r.t.Fatalf("no event, want %q", want)
		}
	}
	return e
}

func (r *sessionRig) stop() error {
	r.t.Helper()
	r.cancel()
	select {
	case err := <-r.runErr:
		return err
	case <-time.After(waitFor):
		r.t.Fatal("Run did not return")
		return nil
	}
}

func TestSessionReconnectsAfterADropAndResumesTheToken(t *testing.T) {
	noLeaks(t)
	r := newSessionRig(t, "good", nil)
	ctx := testCtx(t)
	if err := r.s.Ping(ctx); !errors.Is(err, ErrOffline) || r.s.State() != Offline {
		t.Fatalf("before Run: Ping err = %v, state %v; want ErrOffline, offline", err, r.s.State())
	}
	r.run()
	r.expect("connecting", "resume good", "onconnect", "online")
	if err := r.s.Ping(ctx); err != nil {
		t.Fatalf("Ping while online: %v", err)
	}

	r.srv.conn(t).ws.CloseNow() // the server goes away
	if e := r.expect("offline"); !errors.Is(e.err, ErrClosed) {
		t.Fatalf("offline cause = %v, want ErrClosed", e.err)
	}
	r.expect("wait 50ms")
	if err := r.s.Ping(ctx); !errors.Is(err, ErrOffline) || r.s.State() != Offline {
		t.Fatalf("while waiting: Ping err = %v, state %v; want ErrOffline, offline", err, r.s.State())
	}

	r.fire <- time.Time{}
	r.expect("connecting", "resume good", "onconnect", "online")
	if err := r.s.Ping(ctx); err != nil {
		t.Fatalf("Ping after reconnecting: %v", err)
	}

	if err := r.stop(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
	if e := r.expect("offline"); !errors.Is(e.err, context.Canceled) {
		t.Fatalf("offline cause = %v, want context.Canceled", e.err)
	}
	waitDone(t, r.srv.conn(t).closed, "the server seeing the session close")
}

func TestSessionStopsOnBadToken(t *testing.T) {
	noLeaks(t)
	r := newSessionRig(t, "bad", nil)
	r.run()
	r.expect("connecting", "resume bad", "offline")
	var err error
	select {
	case err = <-r.runErr:
	case <-time.After(waitFor):
		t.Fatal("Run kept going after bad_token")
	}
	if !errors.Is(err, ErrBadToken) || proto.CodeOf(err) != proto.CodeBadToken {
		t.Fatalf("Run = %v, want ErrBadToken carrying bad_token", err)
	}
}

func TestSessionWithoutTokenStaysUnauthenticated(t *testing.T) {
	r := newSessionRig(t, "", nil)
	r.run()
	r.expect("connecting", "onconnect", "online") // no resume
	r.stop()
}

func TestSessionBackoffGrowsToTheCapWhileTheServerIsDown(t *testing.T) {
	r := newSessionRig(t, "good", nil)
	r.srv.reject.Store(true)
	r.run()
	for _, wait := range []string{"50ms", "100ms", "200ms", "400ms", "500ms", "500ms"} {
		e := r.expect("connecting", "offline")
		if e.err == nil {
			t.Fatal("offline without a cause")
		}
		r.expect("wait " + wait)
		r.fire <- time.Time{}
	}
	r.expect("connecting", "offline")
	r.stop()
}

func TestSessionWaitsAtLeastRetryAfter(t *testing.T) {
	r := newSessionRig(t, "busy", nil)
	r.run()
	e := r.expect("connecting", "resume busy", "offline")
	if proto.CodeOf(e.err) != proto.CodeRateLimited {
		t.Fatalf("offline cause = %v, want rate_limited", e.err)
	}
	r.expect("wait 5s")
	r.stop()
}

func TestSessionBackoffResetsOnlyAfterAConnectionStayedUp(t *testing.T) {
	r := newSessionRig(t, "good", nil)
	r.srv.reject.Store(true)
	r.run()
	r.expect("connecting", "offline", "wait 50ms")
	r.fire <- time.Time{}
	r.expect("connecting", "offline", "wait 100ms")
	r.srv.reject.Store(false)
	r.fire <- time.Time{}

	// Up and straight down again: the backoff keeps growing.
	r.expect("connecting", "resume good", "onconnect", "online")
	r.srv.conn(t).ws.CloseNow()
	r.expect("offline", "wait 200ms")
	r.fire <- time.Time{}

	// Up for ResetAfter: the next wait starts from the bottom again.
	r.expect("connecting", "resume good", "onconnect", "online")
	r.advance(time.Minute)
	r.srv.conn(t).ws.CloseNow()
	r.expect("offline", "wait 50ms")
	r.stop()
}

func TestSessionRetriesWhenOnConnectFails(t *testing.T) {
	fails := 1
	r := newSessionRig(t, "good", func(cfg *SessionConfig) {
		next := cfg.OnConnect
		cfg.OnConnect = func(ctx context.Context, c *Conn) error {
			if err := next(ctx, c); err != nil {
				return err
			}
			if fails > 0 { // only Run's goroutine touches fails
				fails--
				return errors.New("outbox flush failed")
			}
			return nil
		}
	})
	r.run()
	e := r.expect("connecting", "resume good", "onconnect", "offline")
	if e.err == nil || e.err.Error() != "on connect: outbox flush failed" {
		t.Fatalf("offline cause = %v, want the OnConnect error", e.err)
	}
	r.expect("wait 50ms")
	r.fire <- time.Time{}
	r.expect("connecting", "resume good", "onconnect", "online")
	r.stop()
}

func TestKickSkipsTheBackoffWait(t *testing.T) {
	r := newSessionRig(t, "good", nil)
	r.run()
	r.expect("connecting", "resume good", "onconnect", "online")
	r.srv.conn(t).ws.CloseNow()
	r.expect("offline", "wait 50ms")

	r.s.Kick() // nobody fires the wait
	r.expect("connecting", "resume good", "onconnect", "online")
	r.stop()
}

func TestSessionForwardsPushes(t *testing.T) {
	pushes := make(chan Push, 1)
	r := newSessionRig(t, "good", func(cfg *SessionConfig) {
		cfg.OnPush = func(p Push) { pushes <- p }
	})
	r.run()
	r.expect("connecting", "resume good", "onconnect", "online")
	r.srv.conn(t).push(proto.TypeMessage, proto.Message{Conv: 1, Seq: 1, Text: "hi"})
	select {
	case p := <-pushes:
		if p.Message == nil || p.Message.Text != "hi" {
			t.Fatalf("push = %+v", p)
		}
	case <-time.After(waitFor):
		t.Fatal("push not forwarded")
	}
	r.stop()
}

func TestOfflineSaysWhenTheNextAttemptStarts(t *testing.T) {
	var r *sessionRig
	retryAt := make(chan time.Time, 10)
	r = newSessionRig(t, "busy", func(c *SessionConfig) {
		report := c.OnState
		c.OnState = func(s State, err error) {
			if s == Offline {
				retryAt <- r.s.RetryAt()
			}
			report(s, err)
		}
	})
	r.run()
	r.expect("connecting", "resume busy", "offline")
	if got, want := <-retryAt, time.Unix(1700000000, 0).Add(5*time.Second); !got.Equal(want) {
		t.Fatalf("offline with the next attempt at %v, want %v (now + the server's 5 s)", got, want)
	}
	r.expect("wait 5s")
	r.fire <- time.Time{}
	r.expect("connecting")
	if at := r.s.RetryAt(); !at.IsZero() {
		t.Fatalf("connecting, yet the next attempt is at %v", at)
	}
	r.stop()
}

// While OnConnect runs (a sync), Call fails fast with ErrOffline but
// CallEarly goes through on the resumed connection, which Conn returns;
// a later connection is another Conn, and none while offline.
func TestCallEarlyGoesThroughWhileOnConnectRuns(t *testing.T) {
	syncing, release := make(chan *Conn), make(chan struct{})
	r := newSessionRig(t, "good", func(cfg *SessionConfig) {
		cfg.OnConnect = func(ctx context.Context, c *Conn) error {
			syncing <- c
			<-release
			return nil
		}
	})
	r.run()
	r.expect("connecting", "resume good")
	first := <-syncing
	ctx := testCtx(t)
	if err := r.s.Ping(ctx); !errors.Is(err, ErrOffline) {
		t.Fatalf("Call while OnConnect runs = %v, want ErrOffline", err)
	}
	if err := r.s.CallEarly(ctx, proto.TypePing, nil, nil); err != nil {
		t.Fatalf("CallEarly while OnConnect runs: %v", err)
	}
	if got := r.s.Conn(); got != first {
		t.Fatalf("Conn while OnConnect runs = %p, want the resumed connection %p", got, first)
	}
	close(release)
	r.expect("online")
	if err := r.s.Ping(ctx); err != nil {
		t.Fatalf("Call online: %v", err)
	}
	r.srv.conn(t).ws.CloseNow()
	r.expect("offline")
	if r.s.Conn() != nil {
		t.Fatal("Conn is set while offline")
	}
	if err := r.s.CallEarly(ctx, proto.TypePing, nil, nil); !errors.Is(err, ErrOffline) {
		t.Fatalf("CallEarly offline = %v, want ErrOffline", err)
	}
	r.expect("wait 50ms")
	r.fire <- time.Time{}
	r.expect("connecting", "resume good")
	if second := <-syncing; second == first || r.s.Conn() != second {
		t.Fatalf("after a reconnect Conn = %p, want the new connection %p (not %p)", r.s.Conn(), second, first)
	}
	r.expect("online")
	r.stop()
}

// Two nodes of one server: when the first dies, the session dials the
// second at once (no backoff wait: it had not failed yet), resumes the
// token there and runs OnConnect (the sync) again. When the second drops
// soon after, every node has failed in this round: now it waits the
// backoff, tries the dead first node, and comes back to the second.
func TestSessionMovesToTheNextNodeWhenItsNodeDies(t *testing.T) {
	noLeaks(t)
	r := newNodesRig(t, "good", 2, nil)
	a, b := r.nodes[0], r.nodes[1]
	ctx := testCtx(t)
	r.run()
	r.expect("connecting", "resume good", "onconnect", "online")
	if got := r.s.URL(); got != a.URL {
		t.Fatalf("first connection to %s, want the first URL %s", got, a.URL)
	}
	a.kill(a.conn(t))
	if e := r.expect("offline"); !errors.Is(e.err, ErrClosed) {
		t.Fatalf("offline cause = %v, want ErrClosed", e.err)
	}
	r.expect("connecting", "resume good", "onconnect", "online") // no "wait"
	onB := b.conn(t)
	if got := r.s.URL(); got != b.URL {
		t.Fatalf("reconnected to %s, want the second node %s", got, b.URL)
	}
	if err := r.s.Ping(ctx); err != nil {
		t.Fatalf("Ping on the second node: %v", err)
	}

	// The second node drops the connection at once: both failed in this
	// round, so the backoff applies before the first is tried again.
	onB.ws.CloseNow()
	r.expect("offline", "wait 50ms")
	if got := r.s.URL(); got != a.URL {
		t.Fatalf("after the second failed the next attempt dials %s, want the first %s", got, a.URL)
	}
	r.fire <- time.Time{}
	e := r.expect("connecting", "offline") // the first is dead
	if e.err == nil || !strings.Contains(e.err.Error(), "dial "+a.URL) {
		t.Fatalf("offline cause = %v, want the dial error naming %s", e.err, a.URL)
	}
	r.expect("connecting", "resume good", "onconnect", "online") // no "wait": the second had not failed in this round
	b.conn(t)
	if err := r.stop(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
}

// A node that stayed up ResetAfter starts a fresh round: when it dies,
// the other is dialed at once even though it failed before.
func TestSessionANodeThatStayedUpStartsAFreshRound(t *testing.T) {
	r := newNodesRig(t, "good", 2, nil)
	a, b := r.nodes[0], r.nodes[1]
	a.reject.Store(true)
	r.run()
	r.expect("connecting", "offline", "connecting", "resume good", "onconnect", "online")
	onB := b.conn(t)
	a.reject.Store(false)
	r.advance(time.Minute)
	b.kill(onB)
	r.expect("offline", "connecting", "resume good", "onconnect", "online")
	a.conn(t)
	r.stop()
}

// While every node is down the session goes round them, one backoff wait
// per round, the wait growing per round; it comes up on whichever node
// comes back.
func TestSessionBackoffIsPerRoundOfNodes(t *testing.T) {
	r := newNodesRig(t, "good", 3, nil)
	for _, n := range r.nodes {
		n.reject.Store(true)
	}
	r.run()
	for _, wait := range []string{"50ms", "100ms", "200ms"} {
		for range 3 {
			if e := r.expect("connecting", "offline"); e.err == nil {
				t.Fatal("offline without a cause")
			}
		}
		r.expect("wait " + wait)
		if got := r.s.URL(); got != r.nodes[0].URL {
			t.Fatalf("a new round starts at %s, want the first URL %s", got, r.nodes[0].URL)
		}
		r.fire <- time.Time{}
	}
	r.nodes[2].reject.Store(false)
	r.expect("connecting", "offline", "connecting", "offline", "connecting", "resume good", "onconnect", "online")
	r.nodes[2].conn(t)
	r.stop()
}

// The server's "wait" (rate_limited with RetryAfterMs) holds for all its
// nodes: the session waits instead of trying the next one.
func TestSessionWaitsRetryAfterInsteadOfTryingAnotherNode(t *testing.T) {
	r := newNodesRig(t, "busy", 2, nil)
	r.run()
	r.expect("connecting", "resume busy", "offline", "wait 5s")
	r.stop()
}
