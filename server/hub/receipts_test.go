package hub_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"parley/net/client"
	"parley/net/proto"
	"parley/server/node/nodetest"
)

func call[T any](t *testing.T, c *client.Conn, typ string, req any) T {
	t.Helper()
	var reply T
	if err := callErr(c, typ, req, &reply); err != nil {
		t.Fatalf("%s %+v: %v", typ, req, err)
	}
	return reply
}

func callErr(c *client.Conn, typ string, req, reply any) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return c.Call(ctx, typ, req, reply)
}

func wantErrCode(t *testing.T, err error, code proto.Code) {
	t.Helper()
	if proto.CodeOf(err) != code || err == nil {
		t.Fatalf("got %v, want code %s", err, code)
	}
}

// device is a second connection of a user.
type device struct {
	conn   *client.Conn
	pushes chan client.Push
}

func newDevice(t *testing.T, s *nodetest.Server, u *nodetest.User) *device {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	d := &device{pushes: make(chan client.Push, 256)}
	c, err := client.Dial(ctx, s.URL, client.DialOptions{OnPush: func(p client.Push) {
		select {
		case d.pushes <- p:
		default:
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := c.Login(ctx, u.ID, nodetest.Password, "second"); err != nil {
		t.Fatal(err)
	}
	d.conn = c
	return d
}

// waitPush waits for a push of type typ whose body ok accepts, skipping
// others; the deadline only guards against hangs.
func waitPush[T any](t *testing.T, pushes chan client.Push, typ string, ok func(T) bool) T {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case p := <-pushes:
			if p.Type != typ {
				continue
			}
			var v T
			if err := json.Unmarshal(p.Body, &v); err != nil {
				t.Fatalf("%s push %s: %v", typ, p.Body, err)
			}
			if ok(v) {
				return v
			}
		case <-timeout:
			t.Fatalf("no such %s push", typ)
		}
	}
}

// noPush checks that no push of type typ is queued once a ping has made a
// round trip after whatever could have caused one.
func noPush(t *testing.T, c *client.Conn, pushes chan client.Push, typ string) {
	t.Helper()
	call[struct{}](t, c, proto.TypePing, nil)
	for {
		select {
		case p := <-pushes:
			if p.Type == typ {
				t.Fatalf("unexpected %s push %s", typ, p.Body)
			}
		default:
			return
		}
	}
}

func send(t *testing.T, u *nodetest.User, conv proto.ConvID, text string) proto.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := u.Conn.Send(ctx, conv, fmt.Sprintf("c-%d-%s", time.Now().UnixNano(), text), text)
	if err != nil {
		t.Fatal(err)
	}
	return r.Message
}

func convOf(t *testing.T, c *client.Conn, id proto.ConvID) proto.Conversation {
	t.Helper()
	r := call[proto.ConversationsReply](t, c, proto.TypeConversations, nil)
	for _, cv := range r.Conversations {
		if cv.ID == id {
			return cv
		}
	}
	t.Fatalf("conversation %d not listed", id)
	return proto.Conversation{}
}

func TestReadStateConvergesAcrossDevices(t *testing.T) {
	s := nodetest.Start(t)
	alice, bob := s.NewUser(t, "Alice"), s.NewUser(t, "Bob")
	g := nodetest.Group(t, alice, "g", bob)
	for i := range 5 {
		send(t, alice, g, fmt.Sprint("hello ", i))
	}
	last := send(t, bob, g, "my own")
	phone := newDevice(t, s, bob)
	offline := newDevice(t, s, bob)
	offline.conn.Close()

	// Unread: Alice's five text messages (the system messages and Bob's
	// own do not count).
	if c := convOf(t, bob.Conn, g); c.ReadSeq != 0 || c.Unread != 5 {
		t.Fatalf("before reading: read_seq %d unread %d, want 0 and 5", c.ReadSeq, c.Unread)
	}
	r := call[proto.ReadState](t, bob.Conn, proto.TypeRead, proto.ReadRequest{Conv: g, Seq: last.Seq - 2})
	if r.Seq != last.Seq-2 {
		t.Fatalf("read reply %+v", r)
	}
	waitPush(t, phone.pushes, proto.TypeRead, func(p proto.ReadState) bool { return p.Conv == g && p.Seq == last.Seq-2 })
	noPush(t, bob.Conn, bob.Pushes, proto.TypeRead) // not to the device that read

	// Never back.
	if r := call[proto.ReadState](t, phone.conn, proto.TypeRead, proto.ReadRequest{Conv: g, Seq: 1}); r.Seq != last.Seq-2 {
		t.Fatalf("a lower read moved the position to %d", r.Seq)
	}

	// The device that was offline converges through conversations and sync.
	again := newDevice(t, s, bob)
	c := convOf(t, again.conn, g)
	if c.ReadSeq != last.Seq-2 || c.Unread != 1 {
		t.Fatalf("after reading: read_seq %d unread %d, want %d and 1", c.ReadSeq, c.Unread, last.Seq-2)
	}
	sr := call[proto.SyncReply](t, again.conn, proto.TypeSync, proto.SyncRequest{Have: map[proto.ConvID]int64{g: last.Seq}})
	if i := slices.IndexFunc(sr.Conversations, func(c proto.Conversation) bool { return c.ID == g }); i < 0 || sr.Conversations[i].ReadSeq != last.Seq-2 || sr.Conversations[i].Unread != 1 {
		t.Fatalf("sync conversations %+v", sr.Conversations)
	}

	// Bad input changes nothing.
	wantErrCode(t, callErr(bob.Conn, proto.TypeRead, proto.ReadRequest{Conv: g, Seq: last.Seq + 1}, nil), proto.CodeNoSuchMessage)
	wantErrCode(t, callErr(bob.Conn, proto.TypeRead, proto.ReadRequest{Conv: g, Seq: 0}, nil), proto.CodeNoSuchMessage)
	stranger := s.NewUser(t, "Eve")
	wantErrCode(t, callErr(stranger.Conn, proto.TypeRead, proto.ReadRequest{Conv: g, Seq: 1}, nil), proto.CodeNotMember)
	if c := convOf(t, bob.Conn, g); c.ReadSeq != last.Seq-2 {
		t.Fatalf("refused reads moved the position to %d", c.ReadSeq)
	}
}

func TestDirectReceiptsSentDeliveredRead(t *testing.T) {
	s := nodetest.Start(t)
	alice, bob := s.NewUser(t, "Alice"), s.NewUser(t, "Bob")
	ctx := context.Background()
	d, err := alice.Conn.Direct(ctx, bob.ID)
	if err != nil {
		t.Fatal(err)
	}
	m := send(t, alice, d.ID, "are you there?")
	// Sent: acknowledged, nobody has it yet.
	if c := convOf(t, alice.Conn, d.ID); c.PeerDelivered != 0 || c.PeerRead != 0 {
		t.Fatalf("sent: %+v", c)
	}
	// Delivered: Bob's device stored it.
	call[proto.ReadState](t, bob.Conn, proto.TypeDelivered, proto.DeliveredRequest{Conv: d.ID, Seq: m.Seq})
	rp := waitPush(t, alice.Pushes, proto.TypeReceipt, func(p proto.ReceiptPush) bool { return p.Conv == d.ID })
	if want := []proto.Receipt{{User: bob.ID, Name: "Bob", Delivered: m.Seq}}; !slices.Equal(rp.Receipts, want) {
		t.Fatalf("delivered receipt %+v, want %+v", rp.Receipts, want)
	}
	if c := convOf(t, alice.Conn, d.ID); c.PeerDelivered != m.Seq || c.PeerRead != 0 {
		t.Fatalf("delivered: %+v", c)
	}
	// Read. (The push may come after the interval: it is coalesced.)
	call[proto.ReadState](t, bob.Conn, proto.TypeRead, proto.ReadRequest{Conv: d.ID, Seq: m.Seq})
	waitPush(t, alice.Pushes, proto.TypeReceipt, func(p proto.ReceiptPush) bool {
		return p.Conv == d.ID && len(p.Receipts) == 1 && p.Receipts[0].Read == m.Seq
	})
	if c := convOf(t, alice.Conn, d.ID); c.PeerDelivered != m.Seq || c.PeerRead != m.Seq {
		t.Fatalf("read: %+v", c)
	}
	// Bob hears nothing of his own reads.
	noPush(t, bob.Conn, bob.Pushes, proto.TypeReceipt)
}

func TestSeenByAndPrivacy(t *testing.T) {
	s := nodetest.Start(t)
	alice, bob, carol, dave := s.NewUser(t, "Alice"), s.NewUser(t, "Bob"), s.NewUser(t, "Carol"), s.NewUser(t, "Dave")
	g := nodetest.Group(t, alice, "g", bob, carol, dave)
	m1 := send(t, alice, g, "one")
	m2 := send(t, alice, g, "two")
	call[proto.ReadState](t, bob.Conn, proto.TypeRead, proto.ReadRequest{Conv: g, Seq: m2.Seq})
	call[proto.ReadState](t, carol.Conn, proto.TypeRead, proto.ReadRequest{Conv: g, Seq: m1.Seq})

	seen := func(u *nodetest.User, seq int64) []proto.User {
		us := call[proto.SeenByReply](t, u.Conn, proto.TypeSeenBy, proto.SeenByRequest{Conv: g, Seq: seq}).Users
		slices.SortFunc(us, byID) // (the order they joined: the same millisecond here)
		return us
	}
	users := func(us ...*nodetest.User) []proto.User {
		var out []proto.User
		for _, u := range us {
			out = append(out, u.User)
		}
		slices.SortFunc(out, byID)
		return out
	}
	if got, want := seen(alice, m1.Seq), users(bob, carol); !slices.Equal(got, want) {
		t.Fatalf("seen_by %d = %v, want %v", m1.Seq, got, want)
	}
	if got, want := seen(alice, m2.Seq), users(bob); !slices.Equal(got, want) {
		t.Fatalf("seen_by %d = %v, want %v", m2.Seq, got, want)
	}
	wantErrCode(t, callErr(alice.Conn, proto.TypeSeenBy, proto.SeenByRequest{Conv: g, Seq: m2.Seq + 1}, nil), proto.CodeNoSuchMessage)
	wantErrCode(t, callErr(s.NewUser(t, "Eve").Conn, proto.TypeSeenBy, proto.SeenByRequest{Conv: g, Seq: 1}, nil), proto.CodeNotMember)

	// Bob turns read receipts off: others no longer see his reads, and he
	// sees none.
	if p := call[proto.Privacy](t, bob.Conn, proto.TypePrivacy, nil); !p.ReadReceipts {
		t.Fatal("read receipts are off by default")
	}
	call[proto.Privacy](t, bob.Conn, proto.TypeSetPrivacy, proto.Privacy{ReadReceipts: false})
	if p := call[proto.Privacy](t, bob.Conn, proto.TypePrivacy, nil); p.ReadReceipts {
		t.Fatal("set_privacy did not persist")
	}
	if got, want := seen(alice, m1.Seq), users(carol); !slices.Equal(got, want) {
		t.Fatalf("with Bob's receipts off, seen_by = %v, want %v", got, want)
	}
	wantErrCode(t, callErr(bob.Conn, proto.TypeSeenBy, proto.SeenByRequest{Conv: g, Seq: m1.Seq}, nil), proto.CodeReceiptsOff)
	// Dave's read reaches Alice, the sender, but not Bob.
	m3 := send(t, bob, g, "three")
	call[proto.ReadState](t, dave.Conn, proto.TypeRead, proto.ReadRequest{Conv: g, Seq: m3.Seq})
	waitPush(t, alice.Pushes, proto.TypeReceipt, func(p proto.ReceiptPush) bool {
		return slices.Contains(p.Receipts, proto.Receipt{User: dave.ID, Name: "Dave", Read: m3.Seq, Delivered: m3.Seq})
	})
	// (Carol's earlier read may come in the same push: coalesced.)
	rp := waitPush(t, bob.Pushes, proto.TypeReceipt, func(p proto.ReceiptPush) bool { return p.Conv == g })
	if !slices.Contains(rp.Receipts, proto.Receipt{User: dave.ID, Name: "Dave", Delivered: m3.Seq}) ||
		slices.ContainsFunc(rp.Receipts, func(r proto.Receipt) bool { return r.Read != 0 }) {
		t.Fatalf("Bob, with receipts off, got %+v, want Dave's delivered position and no read ones", rp.Receipts)
	}
	// His own devices still share his read state.
	phone := newDevice(t, s, bob)
	call[proto.ReadState](t, bob.Conn, proto.TypeRead, proto.ReadRequest{Conv: g, Seq: m3.Seq})
	waitPush(t, phone.pushes, proto.TypeRead, func(p proto.ReadState) bool { return p.Seq == m3.Seq })

	// And back on.
	call[proto.Privacy](t, bob.Conn, proto.TypeSetPrivacy, proto.Privacy{ReadReceipts: true})
	if got, want := seen(alice, m2.Seq), users(bob, dave); !slices.Equal(got, want) {
		t.Fatalf("with Bob's receipts on again, seen_by = %v, want %v", got, want)
	}
	if got, want := seen(bob, m3.Seq), users(dave); !slices.Equal(got, want) {
		t.Fatalf("Bob's seen_by = %v, want %v", got, want)
	}
}

func TestTyping(t *testing.T) {
	s := nodetest.Start(t)
	alice, bob, carol := s.NewUser(t, "Alice"), s.NewUser(t, "Bob"), s.NewUser(t, "Carol")
	g := nodetest.Group(t, alice, "g", bob)
	call[struct{}](t, alice.Conn, proto.TypeTyping, proto.TypingRequest{Conv: g})
	p := waitPush(t, bob.Pushes, proto.TypeTyping, func(p proto.TypingPush) bool { return p.Conv == g })
	if p.User != alice.ID || p.Name != "Alice" || p.Stop || p.Until <= 0 {
		t.Fatalf("typing push %+v", p)
	}
	noPush(t, alice.Conn, alice.Pushes, proto.TypeTyping) // not to the typist

	// A second one right away is refused (the limit is 2 s; see
	// TestTypingLimit for its timing).
	err := callErr(alice.Conn, proto.TypeTyping, proto.TypingRequest{Conv: g}, nil)
	wantErrCode(t, err, proto.CodeRateLimited)
	if e, _ := err.(*proto.Error); e == nil || e.RetryAfterMs <= 0 {
		t.Fatalf("rate_limited without retry_after_ms: %v", err)
	}

	call[struct{}](t, alice.Conn, proto.TypeTyping, proto.TypingRequest{Conv: g, Stop: true})
	if p := waitPush(t, bob.Pushes, proto.TypeTyping, func(p proto.TypingPush) bool { return p.Conv == g }); !p.Stop {
		t.Fatalf("stop push %+v", p)
	}
	// A second stop ends nothing: accepted, not forwarded.
	call[struct{}](t, alice.Conn, proto.TypeTyping, proto.TypingRequest{Conv: g, Stop: true})
	noPush(t, bob.Conn, bob.Pushes, proto.TypeTyping)

	wantErrCode(t, callErr(carol.Conn, proto.TypeTyping, proto.TypingRequest{Conv: g}, nil), proto.CodeNotMember)
	noPush(t, bob.Conn, bob.Pushes, proto.TypeTyping)
}

func TestSearch(t *testing.T) {
	s := nodetest.Start(t)
	alice, bob, eve := s.NewUser(t, "Alice"), s.NewUser(t, "Bob"), s.NewUser(t, "Eve")
	g := nodetest.Group(t, alice, "g", bob)
	other := nodetest.Group(t, eve, "eve's")
	var want []int64
	for i := range 5 {
		want = append(want, send(t, alice, g, fmt.Sprintf("大家你好啊 %d", i)).Seq)
	}
	send(t, alice, g, "nothing to see")
	send(t, eve, other, "你好, secret")
	slices.Reverse(want)

	search := func(u *nodetest.User, req proto.SearchRequest) proto.SearchReply {
		return call[proto.SearchReply](t, u.Conn, proto.TypeSearch, req)
	}
	// Newest first, in pages.
	var got []int64
	req := proto.SearchRequest{Query: "你好", Limit: 2}
	for page := 0; ; page++ {
		r := search(bob, req)
		for _, m := range r.Messages {
			if m.Conv != g {
				t.Fatalf("Bob found a message of %d: %+v", m.Conv, m)
			}
			got = append(got, m.Seq)
		}
		if r.Next == 0 {
			break
		}
		if page > 5 {
			t.Fatal("search does not end")
		}
		req.Before = r.Next
	}
	if !slices.Equal(got, want) {
		t.Fatalf("pages found %v, want %v", got, want)
	}
	// Within one conversation; words match as prefixes.
	if r := search(alice, proto.SearchRequest{Query: "NOTH", Conv: g}); len(r.Messages) != 1 || r.Messages[0].Text != "nothing to see" {
		t.Fatalf("prefix search: %+v", r.Messages)
	}
	// Eve, not a member, never sees the group's text.
	if r := search(eve, proto.SearchRequest{Query: "你好"}); len(r.Messages) != 1 || r.Messages[0].Conv != other {
		t.Fatalf("Eve found %+v", r.Messages)
	}
	wantErrCode(t, callErr(eve.Conn, proto.TypeSearch, proto.SearchRequest{Query: "你好", Conv: g}, nil), proto.CodeNotMember)
	// Someone who left no longer finds it.
	ctx := context.Background()
	if err := bob.Conn.Leave(ctx, g); err != nil {
		t.Fatal(err)
	}
	if r := search(bob, proto.SearchRequest{Query: "大家"}); len(r.Messages) != 0 {
		t.Fatalf("after leaving, Bob found %+v", r.Messages)
	}
	wantErrCode(t, callErr(bob.Conn, proto.TypeSearch, proto.SearchRequest{Query: strings.Repeat("x", proto.MaxQueryBytes+1)}, nil), proto.CodeTooLarge)
}

func byID(a, b proto.User) int { return int(a.ID - b.ID) }

// Read positions and the privacy switch are stored: a restarted server
// still has them, and its search index.
func TestReadStateAndPrivacySurviveARestart(t *testing.T) {
	s := nodetest.Start(t)
	alice, bob := s.NewUser(t, "Alice"), s.NewUser(t, "Bob")
	g := nodetest.Group(t, alice, "g", bob)
	m := send(t, alice, g, "hello")
	send(t, alice, g, "again")
	call[proto.ReadState](t, bob.Conn, proto.TypeRead, proto.ReadRequest{Conv: g, Seq: m.Seq})
	call[proto.Privacy](t, bob.Conn, proto.TypeSetPrivacy, proto.Privacy{ReadReceipts: false})

	s.Restart(t)
	again := newDevice(t, s, bob)
	if c := convOf(t, again.conn, g); c.ReadSeq != m.Seq || c.Unread != 1 {
		t.Fatalf("after a restart: read_seq %d unread %d, want %d and 1", c.ReadSeq, c.Unread, m.Seq)
	}
	if p := call[proto.Privacy](t, again.conn, proto.TypePrivacy, nil); p.ReadReceipts {
		t.Fatal("read receipts are on again after a restart")
	}
	if r := call[proto.SearchReply](t, again.conn, proto.TypeSearch, proto.SearchRequest{Query: "again"}); len(r.Messages) != 1 {
		t.Fatalf("after a restart, search found %+v", r.Messages)
	}
}

// The server's search never returns what a sender took back: a deleted
// message, or text edited away (the index keeps what was committed; the
// hits are checked against the message as it is now).
func TestSearchNeverReturnsDeletedOrEditedAwayText(t *testing.T) {
	s := nodetest.Start(t)
	alice, bob := s.NewUser(t, "Alice"), s.NewUser(t, "Bob")
	g := nodetest.Group(t, alice, "g", bob)
	edited := send(t, alice, g, "大家你好啊, first draft")
	gone := send(t, alice, g, "你好, a secret")
	kept := send(t, alice, g, "你好, for everyone")
	search := func(q string) []int64 {
		var seqs []int64
		for _, m := range call[proto.SearchReply](t, bob.Conn, proto.TypeSearch, proto.SearchRequest{Query: q}).Messages {
			seqs = append(seqs, m.Seq)
		}
		return seqs
	}
	if got := search("你好"); !slices.Equal(got, []int64{kept.Seq, gone.Seq, edited.Seq}) {
		t.Fatalf("before the changes: %v", got)
	}
	call[proto.SendReply](t, alice.Conn, proto.TypeEdit, proto.EditRequest{Conv: g, Seq: edited.Seq, ClientID: "e", Text: "hello again"})
	call[proto.SendReply](t, alice.Conn, proto.TypeDelete, proto.TargetRequest{Conv: g, Seq: gone.Seq, ClientID: "d"})
	if got := search("你好"); !slices.Equal(got, []int64{kept.Seq}) {
		t.Fatalf("after an edit and a delete, 你好 finds %v, want only %d", got, kept.Seq)
	}
	if got := search("secret"); len(got) != 0 {
		t.Fatalf("a deleted message's text is still found: %v", got)
	}
	if got := search("draft"); len(got) != 0 {
		t.Fatalf("text edited away is still found: %v", got)
	}
}
