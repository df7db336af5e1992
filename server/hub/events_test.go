package hub_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"parley/net/proto"
	"parley/server/node/nodetest"
)

// chat is two members of a group on raw connections, and a third person
// who is not a member.
type chat struct {
	s          *nodetest.Server
	a, b, c    *raw
	ua, ub, uc proto.User
	g          proto.ConvID
}

func newChat(t *testing.T) *chat {
	t.Helper()
	x := &chat{s: nodetest.Start(t)}
	x.a, x.b, x.c = dialRaw(t, x.s), dialRaw(t, x.s), dialRaw(t, x.s)
	x.ua, x.ub, x.uc = x.a.registerAndLogin("Li Hua"), x.b.registerAndLogin("王小明"), x.c.registerAndLogin("Outsider")
	var g proto.ConversationReply
	x.a.ok(proto.TypeCreateGroup, proto.CreateGroupRequest{Name: "study"}, &g)
	x.g = g.Conversation.ID
	x.b.ok(proto.TypeJoinGroup, proto.JoinGroupRequest{Group: x.g}, nil)
	return x
}

func (r *raw) send(conv proto.ConvID, clientID, text string) proto.Message {
	r.t.Helper()
	var sr proto.SendReply
	r.ok(proto.TypeSend, proto.SendRequest{Conv: conv, ClientID: clientID, Text: text}, &sr)
	return sr.Message
}

func (r *raw) change(typ string, body any) proto.SendReply {
	r.t.Helper()
	var sr proto.SendReply
	r.ok(typ, body, &sr)
	return sr
}

func (r *raw) history(conv proto.ConvID) []proto.Message {
	r.t.Helper()
	var h proto.HistoryReply
	r.ok(proto.TypeHistory, proto.HistoryRequest{Conv: conv, Limit: proto.MaxHistoryLimit}, &h)
	return h.Messages
}

func bySeq(ms []proto.Message, seq int64) proto.Message {
	for _, m := range ms {
		if m.Seq == seq {
			return m
		}
	}
	return proto.Message{}
}

func (r *raw) lastSeq(conv proto.ConvID) int64 {
	r.t.Helper()
	ms := r.history(conv)
	return ms[len(ms)-1].Seq
}

func TestOfflineDeviceGetsEveryChangeThroughSyncInOrderOnce(t *testing.T) {
	x := newChat(t)
	m1 := x.a.send(x.g, "m1", "hello")
	m2 := x.a.send(x.g, "m2", "second")
	// B's other device holds everything so far, then goes offline.
	have := m2.Seq

	x.a.change(proto.TypeEdit, proto.EditRequest{Conv: x.g, Seq: m1.Seq, ClientID: "e1", Text: "hello, edited"})
	x.b.change(proto.TypeReact, proto.ReactRequest{Conv: x.g, Seq: m1.Seq, ClientID: "r1", Emoji: "👍"})
	x.a.change(proto.TypeReact, proto.ReactRequest{Conv: x.g, Seq: m1.Seq, ClientID: "r2", Emoji: "❤️"})
	x.b.change(proto.TypeReact, proto.ReactRequest{Conv: x.g, Seq: m1.Seq, ClientID: "r3", Emoji: "👍", Remove: true})
	x.a.change(proto.TypePin, proto.PinRequest{Conv: x.g, Seq: m2.Seq, ClientID: "p1"})
	x.a.change(proto.TypeReact, proto.ReactRequest{Conv: x.g, Seq: m2.Seq, ClientID: "r4", Emoji: "😀"})
	del := x.a.change(proto.TypeDelete, proto.TargetRequest{Conv: x.g, Seq: m2.Seq, ClientID: "d1"})
	if !del.Target.Deleted || del.Target.Text != "" || del.Target.Pinned || len(del.Target.Reactions) != 0 {
		t.Fatalf("delete reply's target: %+v", del.Target)
	}

	b2 := dialRaw(t, x.s)
	b2.ok(proto.TypeLogin, proto.LoginRequest{User: x.ub.ID, Password: "secret-password"}, nil)
	var sr proto.SyncReply
	b2.ok(proto.TypeSync, proto.SyncRequest{Have: map[proto.ConvID]int64{x.g: have}}, &sr)
	type step struct {
		kind   string
		target int64
		sender proto.UserID
		emoji  string
	}
	want := []step{
		{proto.MsgEdit, m1.Seq, x.ua.ID, ""},
		{proto.MsgReact, m1.Seq, x.ub.ID, "👍"},
		{proto.MsgReact, m1.Seq, x.ua.ID, "❤️"},
		{proto.MsgUnreact, m1.Seq, x.ub.ID, "👍"},
		{proto.MsgPin, m2.Seq, x.ua.ID, ""},
		{proto.MsgReact, m2.Seq, x.ua.ID, "😀"},
		{proto.MsgDelete, m2.Seq, x.ua.ID, ""},
	}
	var got []step
	for i, m := range sr.Messages {
		if m.Seq != have+int64(i)+1 {
			t.Fatalf("sync entry %d has seq %d, want %d (gap-free, once each)", i, m.Seq, have+int64(i)+1)
		}
		got = append(got, step{m.Kind, m.Target, m.Sender, m.Emoji})
	}
	if !slices.Equal(got, want) {
		t.Fatalf("sync gave\n%+v\nwant\n%+v", got, want)
	}
	if sr.Messages[0].Text != "hello, edited" {
		t.Fatalf("edit entry text %q", sr.Messages[0].Text)
	}

	// History returns the messages folded, with the entries after them.
	h := x.b.history(x.g)
	f1, f2 := bySeq(h, m1.Seq), bySeq(h, m2.Seq)
	if f1.Text != "hello, edited" || f1.Edited == 0 || f1.Deleted || f1.Pinned ||
		len(f1.Reactions) != 1 || f1.Reactions[0].Emoji != "❤️" || !slices.Equal(f1.Reactions[0].Users, []proto.UserID{x.ua.ID}) {
		t.Fatalf("m1 folded: %+v", f1)
	}
	if !f2.Deleted || f2.Text != "" || f2.Kind != proto.MsgText || f2.Pinned || len(f2.Reactions) != 0 {
		t.Fatalf("m2 folded: %+v", f2)
	}
	var pins proto.PinsReply
	x.b.ok(proto.TypePins, proto.PinsRequest{Conv: x.g}, &pins)
	if len(pins.Messages) != 0 {
		t.Fatalf("a deleted message is still pinned: %+v", pins.Messages)
	}
	// The conversation's last_seq counts the entries: a client that syncs
	// from it has everything.
	b2.ok(proto.TypeSync, proto.SyncRequest{Have: map[proto.ConvID]int64{x.g: sr.Messages[len(sr.Messages)-1].Seq}}, &sr)
	if len(sr.Messages) != 0 {
		t.Fatalf("second sync repeated %d entries", len(sr.Messages))
	}
}

func TestChangesArePushedToOnlineMembers(t *testing.T) {
	x := newChat(t)
	m := x.a.send(x.g, "m", "hi")
	x.a.change(proto.TypeReact, proto.ReactRequest{Conv: x.g, Seq: m.Seq, ClientID: "r", Emoji: "🎉"})
	for {
		f := x.b.next()
		if f.Type != proto.TypeMessage {
			continue
		}
		var pm proto.Message
		if err := json.Unmarshal(f.Body, &pm); err != nil {
			t.Fatal(err)
		}
		if pm.Kind == proto.MsgReact {
			if pm.Target != m.Seq || pm.Emoji != "🎉" || pm.Sender != x.ua.ID {
				t.Fatalf("pushed reaction %+v", pm)
			}
			return
		}
	}
}

func TestRetriedChangesApplyOnce(t *testing.T) {
	x := newChat(t)
	m := x.a.send(x.g, "m", "hello")
	doc := x.a.send(x.g, "doc", "to delete")
	reqs := []struct {
		typ  string
		body any
	}{
		{proto.TypeEdit, proto.EditRequest{Conv: x.g, Seq: m.Seq, ClientID: "e", Text: "once"}},
		{proto.TypeReact, proto.ReactRequest{Conv: x.g, Seq: m.Seq, ClientID: "r", Emoji: "👍"}},
		{proto.TypePin, proto.PinRequest{Conv: x.g, Seq: m.Seq, ClientID: "p"}},
		{proto.TypeDelete, proto.TargetRequest{Conv: x.g, Seq: doc.Seq, ClientID: "d"}},
	}
	for _, r := range reqs {
		first := x.a.change(r.typ, r.body)
		again := x.a.change(r.typ, r.body)
		if first.Duplicate || !again.Duplicate || again.Message.Seq != first.Message.Seq || again.Message.Kind != first.Message.Kind {
			t.Fatalf("%s retried: first %+v, again %+v", r.typ, first, again)
		}
		if again.Target == nil || again.Target.Seq != first.Target.Seq {
			t.Fatalf("%s retry carries no target: %+v", r.typ, again)
		}
	}
	// A retried reaction after it was taken back is still the first
	// request's answer, not a second reaction.
	x.a.change(proto.TypeReact, proto.ReactRequest{Conv: x.g, Seq: m.Seq, ClientID: "r-off", Emoji: "👍", Remove: true})
	if again := x.a.change(proto.TypeReact, proto.ReactRequest{Conv: x.g, Seq: m.Seq, ClientID: "r", Emoji: "👍"}); !again.Duplicate {
		t.Fatalf("late retry: %+v", again)
	}
	h := x.a.history(x.g)
	count := map[string]int{}
	for _, e := range h {
		count[e.Kind]++
	}
	if count[proto.MsgEdit] != 1 || count[proto.MsgReact] != 1 || count[proto.MsgUnreact] != 1 || count[proto.MsgPin] != 1 || count[proto.MsgDelete] != 1 {
		t.Fatalf("entries after retries: %v", count)
	}
	if f := bySeq(h, m.Seq); f.Text != "once" || len(f.Reactions) != 0 || !f.Pinned {
		t.Fatalf("folded: %+v", f)
	}
	// Reacting twice with new client ids changes nothing the second time.
	x.b.change(proto.TypeReact, proto.ReactRequest{Conv: x.g, Seq: m.Seq, ClientID: "b1", Emoji: "👍"})
	if sr := x.b.change(proto.TypeReact, proto.ReactRequest{Conv: x.g, Seq: m.Seq, ClientID: "b2", Emoji: "👍"}); !sr.Unchanged || sr.Message.Seq != 0 {
		t.Fatalf("second identical reaction: %+v", sr)
	}
}

func TestBadChangesGetTheirCodeAndChangeNothing(t *testing.T) {
	x := newChat(t)
	m := x.a.send(x.g, "m", "mine")
	gone := x.a.send(x.g, "gone", "will be deleted")
	x.a.change(proto.TypeDelete, proto.TargetRequest{Conv: x.g, Seq: gone.Seq, ClientID: "d"})
	// Another conversation with more messages than this one.
	var other proto.ConversationReply
	x.c.ok(proto.TypeCreateGroup, proto.CreateGroupRequest{Name: "other"}, &other)
	for i := range 10 {
		x.c.send(other.Conversation.ID, fmt.Sprint("o", i), "x")
	}
	before := x.a.history(x.g)
	last := before[len(before)-1].Seq
	cases := []struct {
		name string
		r    *raw
		typ  string
		body any
		code proto.Code
	}{
		{"edit someone else's", x.b, proto.TypeEdit, proto.EditRequest{Conv: x.g, Seq: m.Seq, ClientID: "1", Text: "hijack"}, proto.CodeNotSender},
		{"delete someone else's", x.b, proto.TypeDelete, proto.TargetRequest{Conv: x.g, Seq: m.Seq, ClientID: "2"}, proto.CodeNotSender},
		{"edit a deleted message", x.a, proto.TypeEdit, proto.EditRequest{Conv: x.g, Seq: gone.Seq, ClientID: "3", Text: "back"}, proto.CodeDeleted},
		{"react to a deleted message", x.b, proto.TypeReact, proto.ReactRequest{Conv: x.g, Seq: gone.Seq, ClientID: "4", Emoji: "👍"}, proto.CodeDeleted},
		{"edit an entry", x.a, proto.TypeEdit, proto.EditRequest{Conv: x.g, Seq: last, ClientID: "5", Text: "x"}, proto.CodeNoSuchMessage},
		{"edit a missing seq", x.a, proto.TypeEdit, proto.EditRequest{Conv: x.g, Seq: last + 100, ClientID: "6", Text: "x"}, proto.CodeNoSuchMessage},
		{"reply to a missing seq", x.a, proto.TypeSend, proto.SendRequest{Conv: x.g, ClientID: "7", Text: "re", ReplyTo: last + 100}, proto.CodeNoSuchMessage},
		{"reply to a seq of another conversation", x.a, proto.TypeSend, proto.SendRequest{Conv: x.g, ClientID: "8", Text: "re", ReplyTo: last + 5}, proto.CodeNoSuchMessage},
		{"react with a word", x.b, proto.TypeReact, proto.ReactRequest{Conv: x.g, Seq: m.Seq, ClientID: "9", Emoji: "ok"}, proto.CodeBadEmoji},
		{"react with two emoji", x.b, proto.TypeReact, proto.ReactRequest{Conv: x.g, Seq: m.Seq, ClientID: "10", Emoji: "👍👍"}, proto.CodeBadEmoji},
		{"react with > 64 bytes", x.b, proto.TypeReact, proto.ReactRequest{Conv: x.g, Seq: m.Seq, ClientID: "11", Emoji: strings.Repeat("👍\u200d", 16) + "👍"}, proto.CodeBadEmoji},
		{"a non-member reacts", x.c, proto.TypeReact, proto.ReactRequest{Conv: x.g, Seq: m.Seq, ClientID: "12", Emoji: "👍"}, proto.CodeNotMember},
		{"a non-member pins", x.c, proto.TypePin, proto.PinRequest{Conv: x.g, Seq: m.Seq, ClientID: "13"}, proto.CodeNotMember},
		{"a non-member forwards", x.c, proto.TypeSend, proto.SendRequest{Conv: other.Conversation.ID, ClientID: "14", ForwardOf: &proto.MessageRef{Conv: x.g, Seq: m.Seq}}, proto.CodeNotMember},
		{"a non-member lists pins", x.c, proto.TypePins, proto.PinsRequest{Conv: x.g}, proto.CodeNotMember},
		{"a non-member hides", x.c, proto.TypeHide, proto.TargetRequest{Conv: x.g, Seq: m.Seq}, proto.CodeNotMember},
		{"forward with text", x.a, proto.TypeSend, proto.SendRequest{Conv: x.g, ClientID: "15", Text: "x", ForwardOf: &proto.MessageRef{Conv: x.g, Seq: m.Seq}}, proto.CodeBadRequest},
		{"edit to nothing", x.a, proto.TypeEdit, proto.EditRequest{Conv: x.g, Seq: m.Seq, ClientID: "16", Text: "  "}, proto.CodeBadText},
		{"no client id", x.a, proto.TypeDelete, proto.TargetRequest{Conv: x.g, Seq: m.Seq}, proto.CodeBadRequest},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantCode(t, c.r.call(c.typ, c.body), c.code)
		})
	}
	after := x.a.history(x.g)
	if len(after) != len(before) || after[len(after)-1].Seq != last {
		t.Fatalf("bad requests appended entries: %d messages, last %d; want %d, %d", len(after), after[len(after)-1].Seq, len(before), last)
	}
	if f := bySeq(after, m.Seq); f.Text != "mine" || f.Edited != 0 || len(f.Reactions) != 0 || f.Pinned || f.Deleted {
		t.Fatalf("m changed: %+v", f)
	}
}

func TestReplyQuotesTheOriginalAsItIsNow(t *testing.T) {
	x := newChat(t)
	orig := x.a.send(x.g, "o", "first line\nsecond line")
	var sr proto.SendReply
	x.b.ok(proto.TypeSend, proto.SendRequest{Conv: x.g, ClientID: "re", Text: "agreed", ReplyTo: orig.Seq}, &sr)
	q := sr.Message.Reply
	if sr.Message.ReplyTo != orig.Seq || q == nil || q.Seq != orig.Seq || q.Sender != x.ua.ID || q.SenderName != "Li Hua" || q.Text != "first line" || q.Deleted {
		t.Fatalf("reply %+v quote %+v", sr.Message, q)
	}
	x.a.change(proto.TypeDelete, proto.TargetRequest{Conv: x.g, Seq: orig.Seq, ClientID: "d"})
	re := bySeq(x.b.history(x.g), sr.Message.Seq)
	if re.Reply == nil || !re.Reply.Deleted || re.Reply.Text != "" || re.ReplyTo != orig.Seq {
		t.Fatalf("reply to a deleted message: %+v %+v", re, re.Reply)
	}
	// A retried reply is the first one.
	var again proto.SendReply
	x.b.ok(proto.TypeSend, proto.SendRequest{Conv: x.g, ClientID: "re", Text: "agreed", ReplyTo: orig.Seq}, &again)
	if !again.Duplicate || again.Message.Seq != sr.Message.Seq {
		t.Fatalf("retried reply: %+v", again)
	}
}

func TestMentionsKeepOnlyMembers(t *testing.T) {
	x := newChat(t)
	var sr proto.SendReply
	x.a.ok(proto.TypeSend, proto.SendRequest{Conv: x.g, ClientID: "m", Text: "@王小明 @Outsider look",
		Mentions: []proto.UserID{x.ub.ID, x.uc.ID, x.ub.ID, 1}}, &sr)
	if !slices.Equal(sr.Message.Mentions, []proto.UserID{x.ub.ID}) {
		t.Fatalf("mentions %v, want only %d", sr.Message.Mentions, x.ub.ID)
	}
	if got := bySeq(x.b.history(x.g), sr.Message.Seq); !slices.Equal(got.Mentions, []proto.UserID{x.ub.ID}) || got.Text != "@王小明 @Outsider look" {
		t.Fatalf("stored: %+v", got)
	}
}

func TestForwardShowsItsOrigin(t *testing.T) {
	x := newChat(t)
	orig := x.b.send(x.g, "o", "worth sharing")
	var other proto.ConversationReply
	x.a.ok(proto.TypeCreateGroup, proto.CreateGroupRequest{Name: "elsewhere"}, &other)
	var sr proto.SendReply
	x.a.ok(proto.TypeSend, proto.SendRequest{Conv: other.Conversation.ID, ClientID: "f", ForwardOf: &proto.MessageRef{Conv: x.g, Seq: orig.Seq}}, &sr)
	m := sr.Message
	if m.Conv != other.Conversation.ID || m.Text != "worth sharing" || m.Sender != x.ua.ID || m.Forwarded == nil ||
		m.Forwarded.From != x.ub.ID || m.Forwarded.FromName != "王小明" {
		t.Fatalf("forwarded %+v (%+v)", m, m.Forwarded)
	}
	// Forwarding the forward keeps the first origin.
	var again proto.SendReply
	x.a.ok(proto.TypeSend, proto.SendRequest{Conv: x.g, ClientID: "f2", ForwardOf: &proto.MessageRef{Conv: m.Conv, Seq: m.Seq}}, &again)
	if again.Message.Forwarded == nil || again.Message.Forwarded.From != x.ub.ID {
		t.Fatalf("forward of a forward: %+v", again.Message.Forwarded)
	}
	wantCode(t, x.a.call(proto.TypeEdit, proto.EditRequest{Conv: m.Conv, Seq: m.Seq, ClientID: "e", Text: "changed"}), proto.CodeBadRequest)
}

func TestPinsListsPinnedMessages(t *testing.T) {
	x := newChat(t)
	m1 := x.a.send(x.g, "1", "one")
	m2 := x.a.send(x.g, "2", "two")
	x.b.change(proto.TypePin, proto.PinRequest{Conv: x.g, Seq: m2.Seq, ClientID: "p2"})
	x.b.change(proto.TypePin, proto.PinRequest{Conv: x.g, Seq: m1.Seq, ClientID: "p1"})
	if sr := x.a.change(proto.TypePin, proto.PinRequest{Conv: x.g, Seq: m1.Seq, ClientID: "p1a"}); !sr.Unchanged {
		t.Fatalf("pinning a pinned message: %+v", sr)
	}
	var pins proto.PinsReply
	x.a.ok(proto.TypePins, proto.PinsRequest{Conv: x.g}, &pins)
	if len(pins.Messages) != 2 || pins.Messages[0].Seq != m1.Seq || pins.Messages[1].Seq != m2.Seq || !pins.Messages[0].Pinned {
		t.Fatalf("pins %+v", pins.Messages)
	}
	x.a.change(proto.TypePin, proto.PinRequest{Conv: x.g, Seq: m1.Seq, ClientID: "u1", Unpin: true})
	x.a.ok(proto.TypePins, proto.PinsRequest{Conv: x.g}, &pins)
	if len(pins.Messages) != 1 || pins.Messages[0].Seq != m2.Seq {
		t.Fatalf("pins after unpin %+v", pins.Messages)
	}
}

func TestHideIsForTheUsersOwnDevicesOnly(t *testing.T) {
	x := newChat(t)
	m := x.a.send(x.g, "m", "embarrassing")
	a2 := dialRaw(t, x.s)
	a2.ok(proto.TypeLogin, proto.LoginRequest{User: x.ua.ID, Password: "secret-password"}, nil)
	var hr proto.HideReply
	x.a.ok(proto.TypeHide, proto.TargetRequest{Conv: x.g, Seq: m.Seq}, &hr)
	if hr.Hidden.ID != 1 || hr.Hidden.Conv != x.g || hr.Hidden.Seq != m.Seq {
		t.Fatalf("hide reply %+v", hr)
	}
	for {
		f := a2.next()
		if f.Type == proto.TypeHidden {
			var h proto.Hidden
			json.Unmarshal(f.Body, &h)
			if h != hr.Hidden {
				t.Fatalf("hidden push %+v, want %+v", h, hr.Hidden)
			}
			break
		}
	}
	if !bySeq(a2.history(x.g), m.Seq).Hidden || bySeq(x.b.history(x.g), m.Seq).Hidden {
		t.Fatal("hidden must show for its user, and only for them")
	}
	var sr proto.SyncReply
	a2.ok(proto.TypeSync, proto.SyncRequest{Have: map[proto.ConvID]int64{}}, &sr)
	if len(sr.Hidden) != 1 || sr.Hidden[0] != hr.Hidden {
		t.Fatalf("sync hidden %+v", sr.Hidden)
	}
	var later, bs proto.SyncReply
	a2.ok(proto.TypeSync, proto.SyncRequest{HiddenAfter: hr.Hidden.ID}, &later)
	if len(later.Hidden) != 0 {
		t.Fatalf("sync after hidden_after %+v", later.Hidden)
	}
	x.b.ok(proto.TypeSync, proto.SyncRequest{}, &bs)
	if len(bs.Hidden) != 0 {
		t.Fatalf("another user's sync lists hides: %+v", bs.Hidden)
	}
	var again proto.HideReply
	x.a.ok(proto.TypeHide, proto.TargetRequest{Conv: x.g, Seq: m.Seq}, &again)
	if again.Hidden != hr.Hidden {
		t.Fatalf("hiding twice: %+v", again)
	}
}
