package e2e

import (
	"context"
	"testing"
	"time"

	"parley/net/client"
	"parley/net/proto"
)

func TestSessionReconnectsAndResumesAcrossAServerRestart(t *testing.T) {
	srv := start(t)
	a := login(t, srv.URL, register(t, srv.URL, "A"))
	b := login(t, srv.URL, register(t, srv.URL, "B"))
	g := group(t, "g", a, b)

	type change struct {
		s   client.State
		err error
	}
	states := make(chan change, 100)
	connects := make(chan proto.User, 10)
	in := newInbox()
	s := client.NewSession(client.SessionConfig{
		URL:   srv.URL,
		Token: func() string { return b.token },
		OnConnect: func(ctx context.Context, c *client.Conn) error {
			me, err := c.WhoAmI(ctx) // resumed before OnConnect runs
			if err == nil {
				connects <- me
			}
			return err
		},
		OnState:    func(st client.State, err error) { states <- change{st, err} },
		OnPush:     in.add,
		MinBackoff: 10 * time.Millisecond,
		MaxBackoff: 100 * time.Millisecond,
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	runErr := make(chan error, 1)
	go func() { runErr <- s.Run(ctx) }()

	// next returns the next state change.
	next := func() change {
		t.Helper()
		select {
		case c := <-states:
			return c
		case <-time.After(waitFor):
			t.Fatal("no state change")
			return change{}
		}
	}
	// online waits for Online, checking every change on the way.
	online := func() {
		t.Helper()
		if c := next(); c.s != client.Connecting {
			t.Fatalf("state %v (%v), want connecting", c.s, c.err)
		}
		for {
			c := next()
			if c.s == client.Online {
				break
			}
			if c.s != client.Offline || c.err == nil { // the server may still be down: retry
				t.Fatalf("state %v (%v), want offline with a cause, or online", c.s, c.err)
			}
			if c = next(); c.s != client.Connecting {
				t.Fatalf("state %v after offline, want connecting", c.s)
			}
		}
		select {
		case me := <-connects:
			if me.ID != b.ID {
				t.Fatalf("OnConnect ran as %d, want %d", me.ID, b.ID)
			}
		default:
			t.Fatal("online without OnConnect")
		}
	}

	online()
	sent := a.send(t, g.ID, "before the restart")
	// The group's membership events may still be in fan-out when the
	// session comes online; only text messages matter here.
	if got := in.texts(t, g.ID, 1)[0]; got.Seq != sent.Seq {
		t.Fatalf("session got %d/%d, want %d", got.Conv, got.Seq, sent.Seq)
	}

	srv.Restart(t)
	if c := next(); c.s != client.Offline || c.err == nil {
		t.Fatalf("after the restart: state %v (%v), want offline with a cause", c.s, c.err)
	}
	online()

	a = a.resume(t, srv.URL)
	sent = a.send(t, g.ID, "after the restart")
	if got := in.texts(t, g.ID, 1)[0]; got.Seq != sent.Seq || got.Text != "after the restart" {
		t.Fatalf("session got %d/%d, want %d", got.Conv, got.Seq, sent.Seq)
	}
	if me, err := s.WhoAmI(testCtx(t)); err != nil || me.ID != b.ID {
		t.Fatalf("WhoAmI through the session = %+v, %v", me, err)
	}

	cancel()
	if err := <-runErr; err != context.Canceled {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
	if c := next(); c.s != client.Offline {
		t.Fatalf("after Run: state %v, want offline", c.s)
	}
}
