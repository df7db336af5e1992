package model

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"parley/app/model/modeltest"
	"parley/app/state"
	"parley/net/client"
	"parley/net/proto"
	"parley/server/node/nodetest"
)

// loginAgain logs the model in as user (registered elsewhere): another
// device of the same person.
func (tm *testModel) loginAgain(srv *nodetest.Server, user proto.User) {
	tm.t.Helper()
	if err := tm.Login(context.Background(), srv.HTTPURL, fmt.Sprint(user.ID), "secret-password"); err != nil {
		tm.t.Fatal(err)
	}
	tm.online()
}

// myMessage is my message with text in the open conversation.
func myMessage(st state.State, text string) (state.Message, bool) {
	if st.Open == nil {
		return state.Message{}, false
	}
	i := slices.IndexFunc(st.Open.Messages, func(m state.Message) bool { return m.Mine && m.Text == text })
	if i < 0 {
		return state.Message{}, false
	}
	return st.Open.Messages[i], true
}

// Two devices of one person show the same unread counts: reading on one
// (open, focused, at the bottom) clears it on the other at once (read
// push) and after a restart (read_seq of sync); a device whose window is
// in the background or scrolled up reads nothing, and its focus coming
// back reads.
func TestReadStateConvergesAcrossTwoDevices(t *testing.T) {
	srv := nodetest.Start(t)
	ctx := context.Background()
	laptop := newTestModel(t, srv, t.TempDir())
	me := laptop.registerAndLogin(srv, "me")
	phoneDir := t.TempDir()
	phone := newTestModel(t, srv, phoneDir)
	phone.loginAgain(srv, me)
	writer := srv.NewUser(t, "writer")
	conv := nodetest.Group(t, writer, "g")
	if _, err := writer.Conn.Invite(ctx, me.ID, conv); err != nil {
		t.Fatal(err)
	}
	for _, tm := range []*testModel{laptop, phone} {
		tm.waitFor("the group, nothing unread", func(st state.State) bool { return unreadIn(st, conv) == 0 })
	}
	for i := range 3 {
		send(t, writer, conv, fmt.Sprint("hello ", i))
	}
	for _, tm := range []*testModel{laptop, phone} {
		tm.waitFor("3 unread", func(st state.State) bool { return unreadIn(st, conv) == 3 })
	}

	// In the background, opening the conversation reads nothing.
	laptop.SetFocused(false)
	if err := laptop.Open(ctx, conv); err != nil {
		t.Fatal(err)
	}
	send(t, writer, conv, "while away")
	laptop.waitFor("4 unread on the open conversation", func(st state.State) bool {
		return unreadIn(st, conv) == 4 && st.Open != nil && len(texts(st.Open.Messages)) == 4
	})
	// Scrolled up with the focus: still nothing.
	laptop.SetAtBottom(conv, false)
	laptop.SetFocused(true)
	send(t, writer, conv, "scrolled up")
	laptop.waitFor("5 unread while scrolled up", func(st state.State) bool { return unreadIn(st, conv) == 5 })
	phone.waitFor("5 unread on the phone", func(st state.State) bool { return unreadIn(st, conv) == 5 })

	// At the bottom with the focus: read, here and on the phone.
	laptop.SetAtBottom(conv, true)
	laptop.waitFor("read on the laptop", func(st state.State) bool { return unreadIn(st, conv) == 0 })
	phone.waitFor("read on the phone too", func(st state.State) bool { return unreadIn(st, conv) == 0 })

	// The phone is away while two more come and the laptop is in the
	// background: both show 2 when the phone is back.
	phone.Close()
	laptop.SetFocused(false)
	send(t, writer, conv, "six")
	send(t, writer, conv, "seven")
	laptop.waitFor("2 unread on the laptop", func(st state.State) bool { return unreadIn(st, conv) == 2 })
	phone = newTestModel(t, srv, phoneDir)
	if got := unreadIn(phone.online(), conv); got != 2 {
		t.Fatalf("phone after the sync: unread %d, want 2", got)
	}
	laptop.SetFocused(true)
	laptop.waitFor("read on the laptop", func(st state.State) bool { return unreadIn(st, conv) == 0 })
	phone.waitFor("read on the phone", func(st state.State) bool { return unreadIn(st, conv) == 0 })

	// A new device learns the read position from the server.
	fresh := newTestModel(t, srv, t.TempDir())
	fresh.loginAgain(srv, me)
	if got := unreadIn(fresh.State(), conv); got != 0 {
		t.Fatalf("a new device: unread %d, want 0", got)
	}
}

// My message in a direct conversation goes Sent → Delivered (the peer's
// device stored it) → Read (the peer saw it), from receipt pushes, and
// shows Read again after a restart (peer_read of the summary). With my
// read receipts off, nobody's read shows; Delivered still does.
func TestReceiptsReachTheSenderAndPrivacyOffHidesThem(t *testing.T) {
	srv := nodetest.Start(t)
	ctx := context.Background()
	dir := t.TempDir()
	li := newTestModel(t, srv, dir)
	liUser := li.registerAndLogin(srv, "Li")
	wang := newTestModel(t, srv, t.TempDir())
	wangUser := wang.registerAndLogin(srv, "Wang")
	if err := li.OpenDirect(ctx, fmt.Sprint(wangUser.ID)); err != nil {
		t.Fatal(err)
	}
	conv := li.State().Open.ID
	wang.waitFor("the direct conversation", func(st state.State) bool { return unreadIn(st, conv) == 0 })
	wang.SetFocused(false) // Wang's window is in the background
	if err := wang.Open(ctx, conv); err != nil {
		t.Fatal(err)
	}
	if err := li.SendTo(ctx, conv, "你好"); err != nil {
		t.Fatal(err)
	}
	li.waitFor("Delivered", func(st state.State) bool {
		m, ok := myMessage(st, "你好")
		return ok && m.Status == state.Delivered
	})
	wang.waitFor("1 unread for Wang", func(st state.State) bool { return unreadIn(st, conv) == 1 })
	wang.SetFocused(true)
	li.waitFor("Read", func(st state.State) bool {
		m, ok := myMessage(st, "你好")
		return ok && m.Status == state.Read
	})

	li.Close()
	li = newTestModel(t, srv, dir)
	li.online()
	if err := li.Open(ctx, conv); err != nil {
		t.Fatal(err)
	}
	li.waitFor("Read after a restart", func(st state.State) bool {
		m, ok := myMessage(st, "你好")
		return ok && m.Status == state.Read
	})

	// Off: Li sees no read receipts (the server sends none either), and
	// the switch is kept on the server.
	if err := li.SetReadReceipts(ctx, false); err != nil {
		t.Fatal(err)
	}
	st := li.waitFor("Delivered only", func(st state.State) bool {
		m, ok := myMessage(st, "你好")
		return st.ReceiptsOff && ok && m.Status == state.Delivered
	})
	_ = st
	if err := li.SendTo(ctx, conv, "second"); err != nil {
		t.Fatal(err)
	}
	wang.waitFor("Wang has the second", func(st state.State) bool {
		return st.Open != nil && slices.Contains(texts(st.Open.Messages), "second")
	})
	li.waitFor("the second delivered, not read", func(st state.State) bool {
		m, ok := myMessage(st, "second")
		return ok && m.Status == state.Delivered
	})
	if err := li.SeenBy(ctx, conv, 1); err != nil {
		t.Fatal(err)
	}
	if sb := li.State().SeenBy; sb == nil || sb.Error == nil || sb.Error.Code != proto.CodeReceiptsOff {
		t.Fatalf("seen_by with receipts off: %+v", sb)
	}
	li.Close()
	li = newTestModel(t, srv, dir)
	li.waitFor("the switch off after a restart", func(st state.State) bool { return st.Conn == state.Online && st.ReceiptsOff })
	if err := li.SetReadReceipts(ctx, true); err != nil {
		t.Fatal(err)
	}
	if li.State().ReceiptsOff {
		t.Fatal("receipts still off")
	}
	_ = liUser
}

// In a group my message shows "Seen by N" as members read it (receipt
// pushes), and SeenBy lists them by name.
func TestSeenByCountsAndListsTheReadersOfMyGroupMessage(t *testing.T) {
	srv := nodetest.Start(t)
	ctx := context.Background()
	m := newTestModel(t, srv, t.TempDir())
	m.registerAndLogin(srv, "me")
	wang, zhao := srv.NewUser(t, "Wang"), srv.NewUser(t, "Zhao")
	conv := nodetest.Group(t, wang, "g", zhao)
	if err := m.JoinGroup(ctx, fmt.Sprint(conv)); err != nil {
		t.Fatal(err)
	}
	if err := m.SendTo(ctx, conv, "question"); err != nil {
		t.Fatal(err)
	}
	mine := wang.Message(t, conv, func(msg proto.Message) bool { return msg.Text == "question" })
	seen := func(n int) {
		t.Helper()
		m.waitFor(fmt.Sprintf("seen by %d", n), func(st state.State) bool {
			msg, ok := myMessage(st, "question")
			return ok && msg.SeenBy == n
		})
	}
	for i, u := range []*nodetest.User{wang, zhao} {
		if err := u.Conn.Call(ctx, proto.TypeRead, proto.ReadRequest{Conv: conv, Seq: mine.Seq}, nil); err != nil {
			t.Fatal(err)
		}
		seen(i + 1)
	}
	if err := m.SeenBy(ctx, conv, mine.Seq); err != nil {
		t.Fatal(err)
	}
	sb := m.State().SeenBy
	var names []string
	for _, u := range sb.Users {
		names = append(names, u.Name)
	}
	if sb.Loading || !slices.Equal(names, []string{"Wang", "Zhao"}) {
		t.Fatalf("seen by %+v", sb)
	}
}

// Others' typing shows until 5 s after their last typing push (by the
// app's clock), goes at once with a stop or their message; mine is sent
// at most every 2 s, and a stop only after a typing.
func TestTypingShowsAndExpires(t *testing.T) {
	srv := nodetest.Start(t)
	ctx := context.Background()
	clock := &fakeClock{now: time.Date(2026, 3, 12, 15, 30, 0, 0, time.UTC)}
	m := newTestModel(t, srv, t.TempDir(), func(c *Config) { c.Now = clock.Now })
	me := m.registerAndLogin(srv, "me")
	wang, li := srv.NewUser(t, "Wang"), srv.NewUser(t, "Li")
	conv := nodetest.Group(t, wang, "g", li)
	if _, err := wang.Conn.Invite(ctx, me.ID, conv); err != nil {
		t.Fatal(err)
	}
	m.waitFor("the group", func(st state.State) bool { return unreadIn(st, conv) >= 0 })
	typing := func(u *nodetest.User, stop bool) {
		t.Helper()
		if err := u.Conn.Call(ctx, proto.TypeTyping, proto.TypingRequest{Conv: conv, Stop: stop}, nil); err != nil {
			t.Fatal(err)
		}
	}
	names := func(st state.State) []string {
		var s []string
		for _, ty := range st.Typists(conv, clock.Now().UnixMilli()) {
			s = append(s, ty.Name)
		}
		return s
	}
	typing(wang, false)
	typing(li, false)
	st := m.waitFor("two typing", func(st state.State) bool { return len(names(st)) == 2 })
	if got := names(st); !slices.Contains(got, "Wang") || !slices.Contains(got, "Li") {
		t.Fatalf("typing: %q", got)
	}
	for _, ty := range st.Typing[conv] {
		if want := clock.Now().UnixMilli() + proto.TypingTTLMs; ty.Until != want {
			t.Fatalf("%s typing until %d, want %d (5 s from the push, by this device's clock)", ty.Name, ty.Until, want)
		}
	}
	clock.advance(proto.TypingTTLMs*time.Millisecond - time.Millisecond)
	if got := names(m.State()); len(got) != 2 {
		t.Fatalf("just before 5 s: %q", got)
	}
	clock.advance(time.Millisecond)
	if got := names(m.State()); len(got) != 0 {
		t.Fatalf("after 5 s: %q", got)
	}

	// A stop, and a message, end it at once. (A stop also lets the
	// next typing through the server's 2 s limit at once.)
	typing(wang, true)
	typing(wang, false)
	typing(li, true)
	typing(li, false)
	m.waitFor("two typing again", func(st state.State) bool { return len(names(st)) == 2 })
	typing(wang, true)
	m.waitFor("Li only", func(st state.State) bool { return slices.Equal(names(st), []string{"Li"}) })
	send(t, li, conv, "done typing")
	m.waitFor("nobody", func(st state.State) bool { return len(names(st)) == 0 })
}

// My typing goes out at most once per 2 s per conversation, and a stop
// only after a typing.
func TestMyTypingIsRateLimited(t *testing.T) {
	ty := newTyping()
	t0 := time.Date(2026, 3, 12, 15, 30, 0, 0, time.UTC)
	steps := []struct {
		conv proto.ConvID
		stop bool
		at   time.Duration
		want bool
	}{
		{1, false, 0, true},
		{1, false, time.Second, false},
		{2, false, time.Second, true}, // another conversation
		{1, false, 2 * time.Second, true},
		{1, true, 2 * time.Second, true},
		{1, true, 2 * time.Second, false}, // nothing to stop
		{1, false, 2 * time.Second, true}, // after a stop, at once
	}
	for i, s := range steps {
		if got := ty.allow(s.conv, s.stop, t0.Add(s.at)); got != s.want {
			t.Fatalf("step %d (%+v): allowed %v", i, s, got)
		}
	}
}

// Forwarding a file message sends a copy that is not uploaded again: the
// server references the same stored file, named and sized as the original,
// marked forwarded from me.
func TestForwardOfAFileReferencesTheSameFile(t *testing.T) {
	srv := nodetest.Start(t)
	ctx := context.Background()
	li := newFilesModel(t, srv, t.TempDir(), FilesConfig{})
	liUser := li.registerAndLogin(srv, "Li")
	wang := srv.NewUser(t, "Wang")
	if err := li.CreateGroup(ctx, "first"); err != nil {
		t.Fatal(err)
	}
	from := li.State().Open.ID
	path, sum := modeltest.WriteFile(t, t.TempDir(), "notes.pdf", 300_000, 3)
	if err := li.SendFile(ctx, path, ""); err != nil {
		t.Fatal(err)
	}
	orig := li.fileMessage()
	if err := li.OpenDirect(ctx, fmt.Sprint(wang.ID)); err != nil {
		t.Fatal(err)
	}
	to := li.State().Open.ID
	if err := li.Forward(ctx, proto.MessageRef{Conv: from, Seq: orig.Seq}, to); err != nil {
		t.Fatal(err)
	}
	got := wang.Message(t, to, func(msg proto.Message) bool { return msg.Kind == proto.MsgFile })
	if got.File == nil || got.File.SHA256 != sum || got.File.SHA256 != orig.File.SHA256 || got.File.Name != "notes.pdf" ||
		got.File.Size != orig.File.Size || got.Forwarded == nil || got.Forwarded.From != liUser.ID {
		t.Fatalf("forwarded %+v file %+v", got, got.File)
	}
	fwd := li.fileMessage()
	if fwd.Forwarded == nil || fwd.File.SHA256 != sum {
		t.Fatalf("my copy %+v", fwd)
	}
	uploads := 0
	for _, tr := range li.State().Transfers {
		if tr.Direction == state.Upload {
			uploads++
		}
	}
	if uploads != 1 {
		t.Fatalf("%d uploads, want 1 (a forward is not uploaded again)", uploads)
	}
}

// A message pushed before a typing push ends only the typing before it:
// the owner applies both in the order they came, however late it gets to
// the message (it once applied the typing at once and the message after,
// which ended the new typing).
func TestAMessagePushedBeforeATypingDoesNotEndIt(t *testing.T) {
	srv := nodetest.Start(t)
	ctx := context.Background()
	m := newTestModel(t, srv, t.TempDir())
	me := m.registerAndLogin(srv, "me")
	wang := srv.NewUser(t, "Wang")
	conv := nodetest.Group(t, wang, "g")
	if _, err := wang.Conn.Invite(ctx, me.ID, conv); err != nil {
		t.Fatal(err)
	}
	said := send(t, wang, conv, "hi")
	m.waitFor("wang's message", func(st state.State) bool {
		for _, c := range st.Conversations {
			if c.ID == conv && c.Last != nil && c.Last.Seq == said.Seq {
				return true
			}
		}
		return false
	})

	a := m.account()
	started, release := make(chan struct{}), make(chan struct{})
	go a.exec(ctx, func() error { close(started); <-release; return nil }) // the owner is busy
	<-started
	next := said
	next.Seq, next.ClientID, next.Text = said.Seq+1, "next", "one more"
	a.onPush(client.Push{Message: &next})
	body, err := json.Marshal(proto.TypingPush{Conv: conv, User: wang.ID, Name: "Wang"})
	if err != nil {
		t.Fatal(err)
	}
	a.onPush(client.Push{Type: proto.TypeTyping, Body: body})
	close(release)
	if err := a.exec(ctx, func() error { return nil }); err != nil { // both applied
		t.Fatal(err)
	}
	if got := m.State().Typists(conv, time.Now().UnixMilli()); len(got) != 1 || got[0].User != wang.ID {
		t.Fatalf("typing after a message pushed before it: %+v, want Wang's", got)
	}
}

// Leaving a conversation while typing there stops the typing at once
// (others saw "typing…" for 5 s more).
func TestOpeningAnotherConversationStopsMyTyping(t *testing.T) {
	srv := nodetest.Start(t)
	ctx := context.Background()
	m := newTestModel(t, srv, t.TempDir())
	me := m.registerAndLogin(srv, "me")
	wang := srv.NewUser(t, "Wang")
	first := nodetest.Group(t, wang, "first")
	second := nodetest.Group(t, wang, "second")
	for _, g := range []proto.ConvID{first, second} {
		if _, err := wang.Conn.Invite(ctx, me.ID, g); err != nil {
			t.Fatal(err)
		}
	}
	m.waitFor("both groups", func(st state.State) bool { return unreadIn(st, first) >= 0 && unreadIn(st, second) >= 0 })
	if err := m.Open(ctx, first); err != nil {
		t.Fatal(err)
	}
	typingPush := func(stop bool) {
		t.Helper()
		deadline := time.After(20 * time.Second)
		for {
			select {
			case p := <-wang.Pushes:
				if p.Type != proto.TypeTyping {
					continue
				}
				var tp proto.TypingPush
				if err := json.Unmarshal(p.Body, &tp); err != nil {
					t.Fatal(err)
				}
				if tp.Conv == first && tp.User == me.ID && tp.Stop == stop {
					return
				}
			case <-deadline:
				t.Fatalf("no typing push (stop %v) from me in the first group", stop)
			}
		}
	}
	if err := m.Typing(ctx, first, false); err != nil {
		t.Fatal(err)
	}
	typingPush(false)
	if err := m.Open(ctx, second); err != nil {
		t.Fatal(err)
	}
	typingPush(true)
}
