package model

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"parley/app/state"
	"parley/net/client"
	"parley/net/proto"
	"parley/server/node/nodetest"
	"parley/store"
)

// testModel is a Model with a way to wait for its state.
type testModel struct {
	*Model
	t       testing.TB
	changed chan struct{}
}

func newTestModel(t testing.TB, srv *nodetest.Server, dir string, opts ...func(*Config)) *testModel {
	t.Helper()
	tm := &testModel{t: t, changed: make(chan struct{}, 1)}
	cfg := Config{
		DataDir: dir, Server: srv.HTTPURL, Device: "test",
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond,
		Invalidate: func() {
			select {
			case tm.changed <- struct{}{}:
			default:
			}
		},
	}
	for _, o := range opts {
		o(&cfg)
	}
	m, err := NewModel(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tm.Model = m
	t.Cleanup(func() { m.Close() })
	return tm
}

// waitFor waits until the state satisfies ok, failing after a generous
// deadline (a guard against hangs, not a timing assertion).
func (tm *testModel) waitFor(what string, ok func(st state.State) bool) state.State {
	tm.t.Helper()
	return tm.waitWithin(20*time.Second, what, ok)
}

// waitWithin is waitFor with a deadline of d, for long runs.
func (tm *testModel) waitWithin(d time.Duration, what string, ok func(st state.State) bool) state.State {
	tm.t.Helper()
	deadline := time.After(d)
	for {
		st := tm.State()
		if ok(st) {
			return st
		}
		select {
		case <-tm.changed:
		case <-deadline:
			tm.t.Fatalf("timed out waiting for %s; state: conn=%v me=%v open=%+v notices=%+v", what, st.Conn, st.Me, st.Open, st.Notices)
		}
	}
}

func (tm *testModel) online() state.State {
	tm.t.Helper()
	return tm.waitFor("online", func(st state.State) bool { return st.Conn == state.Online })
}

// registerAndLogin creates an account through the model, which logs in.
func (tm *testModel) registerAndLogin(srv *nodetest.Server, name string) proto.User {
	tm.t.Helper()
	return tm.registerAndLoginAt(srv.HTTPURL, name)
}

// registerAndLoginAt does what registerAndLogin does at the server
// address server (a proxy, say).
func (tm *testModel) registerAndLoginAt(server, name string) proto.User {
	tm.t.Helper()
	ctx := context.Background()
	if err := tm.Register(ctx, server, name, "secret-password", "secret-password"); err != nil {
		tm.t.Fatal(err)
	}
	u := *tm.State().Registered
	tm.online()
	return u
}

// serverTexts returns the text messages the server holds in conv, read
// with token on a connection of its own.
func serverTexts(t *testing.T, srv *nodetest.Server, token string, conv proto.ConvID) []string {
	t.Helper()
	ctx := context.Background()
	c, err := client.Dial(ctx, srv.URL, client.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Resume(ctx, token); err != nil {
		t.Fatal(err)
	}
	h, err := c.History(ctx, proto.HistoryRequest{Conv: conv, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, msg := range h.Messages {
		if msg.Kind == proto.MsgText {
			got = append(got, msg.Text)
		}
	}
	return got
}

// unreadIn is conv's unread count in st, -1 if st does not list conv.
func unreadIn(st state.State, conv proto.ConvID) int64 {
	for _, c := range st.Conversations {
		if c.ID == conv {
			return c.Unread
		}
	}
	return -1
}

func texts(ms []state.Message) []string {
	var s []string
	for _, m := range ms {
		if m.Kind == proto.MsgText {
			s = append(s, m.Text)
		}
	}
	return s
}

func TestOfflineSendsAreDeliveredOnceInOrderAfterReconnect(t *testing.T) {
	srv := nodetest.Start(t)
	m := newTestModel(t, srv, t.TempDir())
	m.registerAndLogin(srv, "Li Hua")
	ctx := context.Background()
	if err := m.CreateGroup(ctx, "Study Group"); err != nil {
		t.Fatal(err)
	}
	conv := m.State().Open.ID

	srv.Stop()
	m.waitFor("offline", func(st state.State) bool { return st.Conn != state.Online })
	for _, text := range []string{"one", "two", "三"} {
		if err := m.Send(ctx, text); err != nil {
			t.Fatal(err)
		}
	}
	st := m.State()
	var sending int
	for _, msg := range st.Open.Messages {
		if msg.Status == state.Sending {
			sending++
		}
	}
	if sending != 3 {
		t.Fatalf("%d messages show as sending while offline, want 3: %+v", sending, st.Open.Messages)
	}

	srv.Restart(t)
	st = m.waitFor("all sent", func(st state.State) bool {
		if st.Open == nil || len(texts(st.Open.Messages)) != 3 {
			return false
		}
		for _, msg := range st.Open.Messages {
			if msg.Status != state.Sent {
				return false
			}
		}
		return true
	})
	if got := texts(st.Open.Messages); fmt.Sprint(got) != "[one two 三]" {
		t.Fatalf("open conversation shows %v", got)
	}

	// The server holds each exactly once, in order.
	got := serverTexts(t, srv, m.account().token, conv)
	if fmt.Sprint(got) != "[one two 三]" {
		t.Fatalf("server history %v, want [one two 三] once each", got)
	}
}

func TestPendingOutboxIsSentOnceAfterAppRestart(t *testing.T) {
	srv := nodetest.Start(t)
	dir := t.TempDir()
	m := newTestModel(t, srv, dir)
	m.registerAndLogin(srv, "restarter")
	ctx := context.Background()
	if err := m.CreateGroup(ctx, "g"); err != nil {
		t.Fatal(err)
	}
	conv := m.State().Open.ID
	token := m.account().token

	srv.Stop()
	m.waitFor("offline", func(st state.State) bool { return st.Conn != state.Online })
	for i := range 3 {
		if err := m.Send(ctx, fmt.Sprint("pending ", i)); err != nil {
			t.Fatal(err)
		}
	}
	m.Close()

	srv.Restart(t)
	m2 := newTestModel(t, srv, dir)
	if st := m2.State(); st.Me == nil {
		t.Fatal("a restarted app is logged out; want the stored session")
	}
	m2.online()
	// Online means onConnect has flushed the outbox.
	got := serverTexts(t, srv, token, conv)
	if fmt.Sprint(got) != "[pending 0 pending 1 pending 2]" {
		t.Fatalf("server history after restart: %v", got)
	}
	if items, _ := m2.account().db.Outbox(ctx); len(items) != 0 {
		t.Fatalf("outbox still holds %d items", len(items))
	}
}

func TestMissedMessagesArriveContiguousWithUnreadCount(t *testing.T) {
	srv := nodetest.Start(t)
	dir := t.TempDir()
	m := newTestModel(t, srv, dir)
	m.registerAndLogin(srv, "reader")
	ctx := context.Background()
	writer := srv.NewUser(t, "writer").Conn
	g, err := writer.CreateGroup(ctx, "busy")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.JoinGroup(ctx, fmt.Sprint(g.ID)); err != nil {
		t.Fatal(err)
	}
	m.Close() // the reader goes away

	for i := range 500 {
		if _, err := writer.Send(ctx, g.ID, client.NewClientID(), fmt.Sprint("msg ", i)); err != nil {
			t.Fatal(err)
		}
	}

	m2 := newTestModel(t, srv, dir)
	unread := func(st state.State) int64 { return unreadIn(st, g.ID) }
	m2.online() // online means the sync after connecting is done
	if got := unread(m2.State()); got != 500 {
		t.Fatalf("unread = %d, want 500", got)
	}
	ms, err := m2.account().db.After(ctx, g.ID, 0, store.MaxLimit)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	for i, msg := range ms {
		if i > 0 && msg.Seq != ms[i-1].Seq+1 {
			t.Fatalf("gap in stored seqs: %d then %d", ms[i-1].Seq, msg.Seq)
		}
		if msg.Kind == proto.MsgText {
			if msg.Text != fmt.Sprint("msg ", n) {
				t.Fatalf("message %d is %q", n, msg.Text)
			}
			n++
		}
	}
	if n != 500 {
		t.Fatalf("store holds %d of the 500 missed messages", n)
	}
}

func TestMyMessagesFromAnotherDeviceCountAsRead(t *testing.T) {
	srv := nodetest.Start(t)
	dir := t.TempDir()
	m := newTestModel(t, srv, dir)
	me := m.registerAndLogin(srv, "me")
	ctx := context.Background()
	writer := srv.NewUser(t, "writer").Conn
	g, err := writer.CreateGroup(ctx, "g")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.JoinGroup(ctx, fmt.Sprint(g.ID)); err != nil {
		t.Fatal(err)
	}
	if err := m.Open(ctx, 0); err != nil { // looking at the list, not at g
		t.Fatal(err)
	}
	phone, err := client.Dial(ctx, srv.URL, client.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer phone.Close()
	if _, err := phone.Login(ctx, me.ID, "secret-password", "phone"); err != nil {
		t.Fatal(err)
	}
	unread := func(st state.State) int64 { return unreadIn(st, g.ID) }
	send := func(c *client.Conn, text string) {
		t.Helper()
		if _, err := c.Send(ctx, g.ID, client.NewClientID(), text); err != nil {
			t.Fatal(err)
		}
	}

	// Online: my answer from the phone means I read what it answers.
	send(writer, "one")
	send(writer, "two")
	m.waitFor("2 unread", func(st state.State) bool { return unread(st) == 2 })
	send(phone, "answered on my phone")
	m.waitFor("nothing unread after my answer", func(st state.State) bool { return unread(st) == 0 })

	// Offline: the same holds for what the sync brings.
	m.Close()
	send(writer, "three")
	send(phone, "answered on my phone again")
	send(writer, "four")
	m2 := newTestModel(t, srv, dir)
	if got := unread(m2.online()); got != 1 {
		t.Fatalf("unread after the sync = %d, want 1 (only what came after my answer)", got)
	}
}

func TestSearchFindsChineseSubstringsOnlyInOwnAccount(t *testing.T) {
	srv := nodetest.Start(t)
	dir := t.TempDir() // both accounts on one device
	ctx := context.Background()
	m := newTestModel(t, srv, dir)
	m.registerAndLogin(srv, "searcher")
	if err := m.CreateGroup(ctx, "g"); err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"大家你好啊", "say hello world", "unrelated"} {
		if err := m.Send(ctx, text); err != nil {
			t.Fatal(err)
		}
	}
	m.waitFor("sent", func(st state.State) bool {
		n := 0
		for _, msg := range st.Open.Messages {
			if msg.Status.Stored() && msg.Kind == proto.MsgText {
				n++
			}
		}
		return n == 3
	})
	for query, want := range map[string]string{"你好": "大家你好啊", "hello": "say hello world"} {
		if err := m.Search(ctx, query); err != nil {
			t.Fatal(err)
		}
		res := m.State().Search
		if res == nil || len(res.Results) != 1 || res.Results[0].Text != want {
			t.Fatalf("search %q: %+v, want only %q", query, res, want)
		}
	}
	// Another account on the same device finds none of it.
	if err := m.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	m.registerAndLogin(srv, "someone else")
	if err := m.Search(ctx, "你好"); err != nil {
		t.Fatal(err)
	}
	if res := m.State().Search; len(res.Results) != 0 {
		t.Fatalf("another account's search found %+v", res.Results)
	}
}

func TestOpeningAHugeConversationPagesBackwards(t *testing.T) {
	srv := nodetest.Start(t)
	m := newTestModel(t, srv, t.TempDir())
	m.registerAndLogin(srv, "pager")
	ctx := context.Background()
	if err := m.CreateGroup(ctx, "archive"); err != nil {
		t.Fatal(err)
	}
	conv := m.State().Open.ID
	m.Open(ctx, 0)
	// 100,000 messages in the cache, as if synced long ago.
	const total = 100_000
	db := m.account().db
	batch := make([]proto.Message, 0, 10_000)
	for seq := int64(1); seq <= total; seq++ {
		batch = append(batch, proto.Message{Conv: conv, Seq: seq, Sender: 1, SenderName: "x", Time: seq, Kind: proto.MsgText, Text: fmt.Sprint("m", seq)})
		if len(batch) == cap(batch) {
			if _, err := db.PutMessages(ctx, batch); err != nil {
				t.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	if err := db.SetSynced(ctx, conv, total); err != nil {
		t.Fatal(err)
	}
	if err := m.Open(ctx, conv); err != nil {
		t.Fatal(err)
	}
	o := m.State().Open
	if len(o.Messages) != pageSize || o.Messages[0].Seq != total-pageSize+1 || o.Messages[pageSize-1].Seq != total || !o.HasOlder {
		t.Fatalf("first page: %d messages from %d, hasOlder=%v", len(o.Messages), o.Messages[0].Seq, o.HasOlder)
	}
	for page := 2; page <= 4; page++ {
		if err := m.LoadOlder(ctx); err != nil {
			t.Fatal(err)
		}
		o = m.State().Open
		if len(o.Messages) != page*pageSize || o.Messages[0].Seq != total-int64(page*pageSize)+1 || o.Prepended != pageSize {
			t.Fatalf("after %d pages: %d messages from seq %d, prepended %d", page, len(o.Messages), o.Messages[0].Seq, o.Prepended)
		}
		for i := 1; i < len(o.Messages); i++ {
			if o.Messages[i].Seq != o.Messages[i-1].Seq+1 {
				t.Fatalf("window not contiguous at %d", i)
			}
		}
	}
}

func TestFailuresBecomeNotices(t *testing.T) {
	srv := nodetest.Start(t)
	m := newTestModel(t, srv, t.TempDir())
	ctx := context.Background()
	if err := m.Login(ctx, srv.HTTPURL, "4821", "wrong"); err == nil {
		t.Fatal("login with a wrong password succeeded")
	}
	if e := m.State().AuthError; e == nil || e.Code != proto.CodeBadCredentials {
		t.Fatalf("auth error = %+v, want bad_credentials", e)
	}
	if err := m.Login(ctx, srv.HTTPURL, "not a number", "x"); err == nil || m.State().AuthError.Code != state.CodeBadInput || m.State().AuthError.Detail != state.InputUserID {
		t.Fatalf("bad ID: %v %+v", err, m.State().AuthError)
	}
	if err := m.Login(ctx, "http://127.0.0.1:1", "4821", "x"); err == nil || m.State().AuthError.Code != state.CodeUnreachable {
		t.Fatalf("unreachable server: %v %+v", err, m.State().AuthError)
	}
	if err := m.Register(ctx, srv.HTTPURL, "x", "secret-password", "different"); err == nil || m.State().AuthError.Detail != state.InputPasswordMismatch {
		t.Fatalf("mismatched confirmation: %v %+v", err, m.State().AuthError)
	}
	m.registerAndLogin(srv, "noticer")
	if err := m.JoinGroup(ctx, "999"); err == nil {
		t.Fatal("joined a missing group")
	}
	last := m.State().Notices[len(m.State().Notices)-1]
	if last.Kind != state.NoticeError || last.Code != proto.CodeNoSuchGroup || len(last.Args) != 1 || last.Args[0] != "999" {
		t.Fatalf("last notice %+v, want no_such_group about 999", last)
	}
	if err := m.Send(ctx, "nowhere to go"); err == nil {
		t.Fatal("sent with no conversation open")
	}
}

func TestJoiningABusyGroupShowsOnlyNewMessagesAsUnread(t *testing.T) {
	srv := nodetest.Start(t)
	m := newTestModel(t, srv, t.TempDir())
	me := m.registerAndLogin(srv, "newcomer")
	ctx := context.Background()
	owner := srv.NewUser(t, "owner").Conn
	g, err := owner.CreateGroup(ctx, "old group")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 120 {
		if _, err := owner.Send(ctx, g.ID, client.NewClientID(), fmt.Sprint("history ", i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := owner.Invite(ctx, me.ID, g.ID); err != nil {
		t.Fatal(err)
	}
	unread := func(st state.State) int64 { return unreadIn(st, g.ID) }
	st := m.waitFor("the group to appear", func(st state.State) bool { return unread(st) >= 0 })
	// Not 120 messages of history; the invitation itself is a system
	// message, which never counts (the server's rule).
	if got := unread(st); got != 0 {
		t.Fatalf("unread after being invited = %d, want 0", got)
	}
	if _, err := owner.Send(ctx, g.ID, client.NewClientID(), "welcome!"); err != nil {
		t.Fatal(err)
	}
	m.waitFor("unread 1", func(st state.State) bool { return unread(st) == 1 })
}

func TestACacheThatWillNotOpenShowsTheLoginScreenWithTheReason(t *testing.T) {
	srv := nodetest.Start(t)
	dir := t.TempDir()
	if err := store.SetLastAccount(dir, store.Account{Server: srv.HTTPURL, User: 4821}); err != nil {
		t.Fatal(err)
	}
	broken := fmt.Errorf("record msg/7/0: %w", store.ErrCorrupt)
	tm := newTestModel(t, srv, dir, func(c *Config) {
		c.OpenStore = func(string, string, proto.UserID, store.Options) (store.Store, error) { return nil, broken }
	})
	st := tm.State()
	if st.Me != nil {
		t.Fatalf("logged in as %v with no cache", st.Me)
	}
	if e := st.AuthError; e == nil || e.Code != state.CodeCache || !strings.Contains(e.Text, "4821") || !strings.Contains(e.Text, "msg/7/0") {
		t.Fatalf("the login screen says %+v, want the cache of 4821 and the bad record", e)
	}
}

func TestAnUnreadableCacheIsClearedOnRequestAndRefilledFromTheServer(t *testing.T) {
	srv := nodetest.Start(t)
	dir := t.TempDir()
	ctx := context.Background()
	m := newTestModel(t, srv, dir)
	me := m.registerAndLogin(srv, "me")
	if err := m.CreateGroup(ctx, "学习小组"); err != nil {
		t.Fatal(err)
	}
	if err := m.Send(ctx, "before the damage"); err != nil {
		t.Fatal(err)
	}
	m.waitFor("sent", func(st state.State) bool {
		return st.Open != nil && len(st.Open.Messages) > 0 && st.Open.Messages[len(st.Open.Messages)-1].Status.Stored()
	})
	m.Close()

	// The cache is damaged while the app is closed.
	path := store.AccountPath(dir, srv.HTTPURL, me.ID)
	if err := os.WriteFile(path, []byte("not a database any more"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path + "-wal", path + "-shm"} {
		os.Remove(p)
	}
	m2 := newTestModel(t, srv, dir)
	st := m2.State()
	if st.Me != nil || st.AuthError == nil || st.AuthError.Code != state.CodeCache || len(st.AuthError.Args) != 1 || st.AuthError.Args[0] != fmt.Sprint(me.ID) {
		t.Fatalf("start with a damaged cache: me %v, auth error %+v; want the login screen with a cache error about %d", st.Me, st.AuthError, me.ID)
	}
	// Logging in hits the same wall until the copy is cleared, and does
	// not leave a session on the server that nothing holds.
	const logouts = `parley_requests_total{type="logout"}`
	before := srv.Metric(t, logouts)
	if err := m2.Login(ctx, srv.HTTPURL, fmt.Sprint(me.ID), "secret-password"); err == nil || m2.State().AuthError.Code != state.CodeCache {
		t.Fatalf("login with a damaged cache: %v, %+v", err, m2.State().AuthError)
	}
	if after := srv.Metric(t, logouts); after != before+1 {
		t.Fatalf("logout requests %v → %v: the session the cache could not keep was not revoked", before, after)
	}
	if err := m2.ResetCache(ctx); err != nil {
		t.Fatal(err)
	}
	if st := m2.State(); st.AuthError != nil || st.CacheCleared != me.ID {
		t.Fatalf("after clearing: auth error %+v, cleared %d; want none and %d", st.AuthError, st.CacheCleared, me.ID)
	}
	if err := m2.Login(ctx, srv.HTTPURL, fmt.Sprint(me.ID), "secret-password"); err != nil {
		t.Fatal(err)
	}
	st = m2.online()
	if st.CacheCleared != 0 || len(st.Conversations) != 1 || st.Conversations[0].Name != "学习小组" {
		t.Fatalf("after logging in again: cleared %d, conversations %+v; want the group back", st.CacheCleared, st.Conversations)
	}
	if err := m2.Open(ctx, st.Conversations[0].ID); err != nil {
		t.Fatal(err)
	}
	m2.waitFor("the history back", func(st state.State) bool {
		return st.Open != nil && slices.Contains(texts(st.Open.Messages), "before the damage")
	})
	if err := m2.ResetCache(ctx); err != nil { // nothing broken: nothing to do
		t.Fatal(err)
	}
	if m2.State().Me == nil {
		t.Fatal("a reset with nothing broken logged out")
	}
}

// tabs stands in for the browser's Web Locks: one model at a time has an
// account's cache; another is refused unless it takes over.
type tabs struct {
	mu     sync.Mutex
	holder map[proto.UserID]func() // the holder's OnTaken
}

func (tb *tabs) config(c *Config) {
	c.OpenStore = func(root, server string, user proto.UserID, opt store.Options) (store.Store, error) {
		tb.mu.Lock()
		prev, held := tb.holder[user]
		if held && !opt.TakeOver {
			tb.mu.Unlock()
			return nil, fmt.Errorf("open account %d: %w", user, store.ErrInUse)
		}
		tb.holder[user] = opt.OnTaken
		tb.mu.Unlock()
		if held && prev != nil {
			prev()
		}
		return store.OpenAccount(root, server, user, opt)
	}
}

func TestAnAccountOpenInAnotherTabIsUsedHereOnRequest(t *testing.T) {
	srv := nodetest.Start(t)
	dir := t.TempDir()
	ctx := context.Background()
	tb := &tabs{holder: map[proto.UserID]func(){}}
	first := newTestModel(t, srv, dir, tb.config)
	me := first.registerAndLogin(srv, "me")
	if err := first.CreateGroup(ctx, "学习小组"); err != nil {
		t.Fatal(err)
	}
	inUse := func(st state.State) bool {
		e := st.AuthError
		return st.Me == nil && e != nil && e.Code == state.CodeInUse && len(e.Args) == 1 && e.Args[0] == fmt.Sprint(me.ID)
	}

	// A second tab finds the account open in the first.
	second := newTestModel(t, srv, dir, tb.config)
	if st := second.State(); !inUse(st) {
		t.Fatalf("the second tab: me %v, auth error %+v; want the account in use elsewhere", st.Me, st.AuthError)
	}
	if err := second.ResetCache(ctx); err != nil { // in use is not damaged
		t.Fatal(err)
	}
	if _, err := os.Stat(store.AccountPath(dir, srv.HTTPURL, me.ID)); err != nil {
		t.Fatalf("the cache is gone after a reset of a cache in use: %v", err)
	}

	// Use here: the second tab carries on logged in; the first says why it stopped.
	if err := second.UseHere(ctx); err != nil {
		t.Fatal(err)
	}
	st := second.online()
	if st.Me == nil || st.Me.ID != me.ID || len(st.Conversations) != 1 || st.Conversations[0].Name != "学习小组" {
		t.Fatalf("the second tab after Use here: me %v, conversations %+v", st.Me, st.Conversations)
	}
	first.waitFor("the first tab to stop", inUse)

	// And back.
	if err := first.UseHere(ctx); err != nil {
		t.Fatal(err)
	}
	first.online()
	second.waitFor("the second tab to stop", inUse)
}
