package model

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"parley/app/state"
	"parley/server/node/nodetest"
)

// fakeClock is a Config.Now that moves only when told.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestNoticesExpireAndRepeatsMerge(t *testing.T) {
	clock := &fakeClock{now: time.Date(2024, 3, 12, 15, 30, 0, 0, time.UTC)}
	m, err := NewModel(Config{DataDir: t.TempDir(), Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	ctx := context.Background()

	m.notify(state.NoticeJoined, "学习小组", "512")
	n := m.State().Notices[0]
	if got := time.Duration(n.Expires-n.Time) * time.Millisecond; got != state.NoticeLife {
		t.Fatalf("an info notice lives %v, want %v", got, state.NoticeLife)
	}
	m.JoinGroup(ctx, "not a number") // a bad input error
	e := m.State().Notices[1]
	if got := time.Duration(e.Expires-e.Time) * time.Millisecond; got != state.ErrorNoticeLife || e.Kind != state.NoticeError {
		t.Fatalf("an error notice %+v lives %v, want %v", e, got, state.ErrorNoticeLife)
	}

	// The same error again: one notice, counted, with a fresh life.
	clock.advance(5 * time.Second)
	m.JoinGroup(ctx, "not a number")
	ns := m.State().Notices
	if len(ns) != 2 || ns[1].Count != 2 || ns[1].ID == e.ID || ns[1].Expires != clock.Now().Add(state.ErrorNoticeLife).UnixMilli() {
		t.Fatalf("the repeated error gave %+v, want the error once with count 2, refreshed", ns)
	}
	if !ns[0].Shown(clock.Now().UnixMilli()) {
		t.Fatal("the info notice expired after 5 s")
	}
	// Past its life the info notice is no longer shown, and the next
	// notice drops it.
	clock.advance(4 * time.Second)
	if ns[0].Shown(clock.Now().UnixMilli()) {
		t.Fatal("the info notice is still shown after 9 s")
	}
	m.notify(state.NoticeLeft, "学习小组", "512")
	ns = m.State().Notices
	if len(ns) != 2 || ns[0].Kind != state.NoticeError || ns[1].Kind != state.NoticeLeft {
		t.Fatalf("notices %+v, want the error and the new one", ns)
	}
}

func TestRegisterLogsInAndKeepsTheNewIDOnShow(t *testing.T) {
	srv := nodetest.Start(t)
	m := newTestModel(t, srv, t.TempDir())
	ctx := context.Background()
	// A logged-out notice from before is gone once logged in.
	m.loggedOut(state.NoticeLoggedOut)
	if err := m.Register(ctx, srv.HTTPURL, "李华", "secret-password", "secret-password"); err != nil {
		t.Fatal(err)
	}
	st := m.online()
	if st.Me == nil || st.Registered == nil || st.Me.ID != st.Registered.ID || st.Me.Name != "李华" {
		t.Fatalf("after registering: me %+v, registered %+v; want logged in as the new account", st.Me, st.Registered)
	}
	if slices.ContainsFunc(st.Notices, state.Notice.OnLoginScreen) {
		t.Fatalf("logged in, yet the notices hold %+v", st.Notices)
	}
}

func TestOfflineStateSaysWhenTheNextAttemptStarts(t *testing.T) {
	srv := nodetest.Start(t)
	const wait = time.Hour // long: the attempt is still ahead when looked at
	m := newTestModel(t, srv, t.TempDir(), func(c *Config) { c.MinBackoff, c.MaxBackoff = wait, wait })
	m.registerAndLogin(srv, "Li Hua")
	if st := m.State(); st.RetryAt != 0 {
		t.Fatalf("online with a retry planned at %d", st.RetryAt)
	}
	before := time.Now()
	srv.Stop()
	st := m.waitFor("offline with the next attempt planned", func(st state.State) bool {
		return st.Conn == state.Offline && st.RetryAt != 0
	})
	after := time.Now()
	if at := time.UnixMilli(st.RetryAt); at.Before(before.Truncate(time.Millisecond)) || at.After(after.Add(wait)) {
		t.Fatalf("the next attempt is at %v; want between the drop (%v) and a backoff after it (%v)", at, before, after.Add(wait))
	}
	srv.Restart(t)
	m.Reconnect()
	st = m.waitFor("online again", func(st state.State) bool { return st.Conn == state.Online })
	if st.RetryAt != 0 {
		t.Fatalf("online, yet a retry is planned at %d", st.RetryAt)
	}
}
