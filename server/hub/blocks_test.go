package hub_test

import (
	"testing"
	"time"

	"parley/net/proto"
	"parley/server/node"
	"parley/server/node/nodetest"
)

// loginAs logs r in as user (a second device of theirs).
func (r *raw) loginAs(user proto.UserID) {
	r.t.Helper()
	r.ok(proto.TypeLogin, proto.LoginRequest{User: user, Password: "secret-password"}, nil)
}

func (r *raw) conversations() []proto.Conversation {
	r.t.Helper()
	var cr proto.ConversationsReply
	r.ok(proto.TypeConversations, nil, &cr)
	return cr.Conversations
}

// summary is conv as r sees it in its conversation list (ok false: not
// listed).
func (r *raw) summary(conv proto.ConvID) (proto.Conversation, bool) {
	r.t.Helper()
	for _, c := range r.conversations() {
		if c.ID == conv {
			return c, true
		}
	}
	return proto.Conversation{}, false
}

func (r *raw) direct(user proto.UserID) proto.Conversation {
	r.t.Helper()
	var cr proto.ConversationReply
	r.ok(proto.TypeDirect, proto.DirectRequest{User: user}, &cr)
	return cr.Conversation
}

func (r *raw) blocks() []proto.User {
	r.t.Helper()
	var br proto.BlocksReply
	r.ok(proto.TypeBlocks, nil, &br)
	return br.Users
}

// online is whether r sees user online among conv's members.
func (r *raw) online(conv proto.ConvID, user proto.UserID) bool {
	r.t.Helper()
	var mr proto.MembersReply
	r.ok(proto.TypeMembers, proto.MembersRequest{Conv: conv}, &mr)
	for _, m := range mr.Members {
		if m.ID == user {
			return m.Online
		}
	}
	r.t.Fatalf("%d is not a member of %d", user, conv)
	return false
}

// nextMessage is the next message push r gets that is not a system
// message (a member joining).
func (r *raw) nextMessage() proto.Message {
	r.t.Helper()
	for {
		m := decodeInto[proto.Message](r.t, r.push(proto.TypeMessage).Body)
		if m.Kind != proto.MsgSystem {
			return m
		}
	}
}

// startWithRequests starts a server where direct conversations between
// people who share no group are requests, as in production.
func startWithRequests(t *testing.T, more ...func(*node.Config)) *nodetest.Server {
	return nodetest.Start(t, nodetest.WithConfig(func(c *node.Config) {
		c.NoRequests = false
		for _, f := range more {
			f(c)
		}
	}))
}

func TestBlockedUserCannotOpenADirectChatCallOrAddMeUntilUnblocked(t *testing.T) {
	s := startWithRequests(t)
	me, other, them := dialRaw(t, s), dialRaw(t, s), dialRaw(t, s)
	ume := me.registerAndLogin("Li Hua")
	other.loginAs(ume.ID)
	uthem := them.registerAndLogin("Mallory")
	g := them.createGroup(proto.CreateGroupRequest{Name: "Mallory's", Policy: proto.PolicyInvite}).ID
	shared := me.createGroup(proto.CreateGroupRequest{Name: "Shared", Policy: proto.PolicyOpen}).ID
	them.ok(proto.TypeJoinGroup, proto.JoinGroupRequest{Group: shared}, nil) // not strangers: no request
	anon := dialRaw(t, s)
	for _, typ := range []string{proto.TypeBlock, proto.TypeUnblock, proto.TypeBlocks, proto.TypeAcceptRequest,
		proto.TypeDeleteRequest, proto.TypeSetNotify, proto.TypeArchive} {
		wantCode(t, anon.call(typ, proto.UserRequest{User: ume.ID}), proto.CodeUnauthenticated)
	}

	wantCode(t, me.call(proto.TypeBlock, proto.UserRequest{User: ume.ID}), proto.CodeSelf)
	wantCode(t, me.call(proto.TypeBlock, proto.UserRequest{User: 9_999_999}), proto.CodeNoSuchUser)
	if bs := me.blocks(); len(bs) != 0 {
		t.Fatalf("refused blocks blocked: %+v", bs)
	}

	me.ok(proto.TypeBlock, proto.UserRequest{User: uthem.ID}, nil)
	// My other device learns the whole list.
	if bp := decodeInto[proto.BlocksReply](t, other.push(proto.TypeBlocksPush).Body); len(bp.Users) != 1 || bp.Users[0] != uthem {
		t.Fatalf("blocks push: %+v", bp)
	}
	me.ok(proto.TypeBlock, proto.UserRequest{User: uthem.ID}, nil) // again: no change
	if bs := other.blocks(); len(bs) != 1 || bs[0] != uthem {
		t.Fatalf("blocks: %+v", bs)
	}

	convs := len(them.conversations())
	wantCode(t, them.call(proto.TypeDirect, proto.DirectRequest{User: ume.ID}), proto.CodeNotAccepted)
	wantCode(t, them.call(proto.TypeCall, proto.CallRequest{User: ume.ID}), proto.CodeNotAccepted)
	wantCode(t, them.call(proto.TypeInvite, proto.InviteRequest{Group: g, User: ume.ID}), proto.CodeNotAccepted)
	if n := len(them.conversations()); n != convs {
		t.Fatalf("refusals made conversations: %d, was %d", n, convs)
	}
	if n := them.groupInfo(g).Members; n != 1 {
		t.Fatalf("a refused invite added a member: %d", n)
	}
	if cs := me.conversations(); len(cs) != 1 {
		t.Fatalf("the blocked user reached my list: %+v", cs)
	}

	me.ok(proto.TypeUnblock, proto.UserRequest{User: uthem.ID}, nil)
	if bp := decodeInto[proto.BlocksReply](t, other.push(proto.TypeBlocksPush).Body); len(bp.Users) != 0 {
		t.Fatalf("blocks push after unblock: %+v", bp)
	}
	them.direct(ume.ID)
	var call proto.CallReply
	them.ok(proto.TypeCall, proto.CallRequest{User: ume.ID}, &call)
	them.ok(proto.TypeCallHangup, proto.CallHangupRequest{Call: call.Call}, nil)
	them.ok(proto.TypeInvite, proto.InviteRequest{Group: g, User: ume.ID}, nil)
}

func TestWhatABlockedPeerWritesIsAcceptedButDoesNotReachMe(t *testing.T) {
	s := startWithRequests(t)
	me, them := dialRaw(t, s), dialRaw(t, s)
	ume, uthem := me.registerAndLogin("Li Hua"), them.registerAndLogin("Tom")
	g := them.createGroup(proto.CreateGroupRequest{Name: "Shared", Policy: proto.PolicyOpen}).ID
	me.ok(proto.TypeJoinGroup, proto.JoinGroupRequest{Group: g}, nil)
	d := them.direct(ume.ID)
	them.send(d.ID, "before", "hello")
	if m := me.nextMessage(); m.Conv != d.ID || m.Text != "hello" {
		t.Fatalf("before the block: %+v", m)
	}
	if !them.online(d.ID, ume.ID) {
		t.Fatal("my presence is hidden before any block")
	}

	me.ok(proto.TypeBlock, proto.UserRequest{User: uthem.ID}, nil)
	// Watching our chat, they see me go offline.
	if p := decodeInto[proto.Presence](t, them.push(proto.TypePresence).Body); p.Conv != d.ID || p.User != ume.ID || p.Online {
		t.Fatalf("presence after the block: %+v", p)
	}
	// Accepted for them (they are not told)...
	hidden := them.send(d.ID, "while", "are you there?")
	if hidden.Seq == 0 {
		t.Fatalf("the blocked send: %+v", hidden)
	}
	// ...but not delivered, nor their typing: their next message, in our
	// shared group, is the next thing I get (fan-out runs in commit
	// order, after the typing push is queued).
	them.ok(proto.TypeTyping, proto.TypingRequest{Conv: d.ID}, nil)
	them.send(g, "group", "in the group")
	for {
		f := me.next()
		if f.Type == proto.TypeTyping {
			t.Fatalf("a blocked user's typing reached me: %s", f.Body)
		}
		if f.Type != proto.TypeMessage {
			continue
		}
		if m := decodeInto[proto.Message](t, f.Body); m.Conv != g || m.Text != "in the group" {
			t.Fatalf("after the block I got %+v, want their group message", m)
		}
		break
	}
	if m := bySeq(me.history(d.ID), hidden.Seq); !m.Hidden {
		t.Fatalf("the blocked message in my history: %+v", m)
	}
	if c, _ := me.summary(d.ID); c.Unread != 1 || c.Last == nil || !c.Last.Hidden { // "hello" only
		t.Fatalf("my summary counts or shows the blocked message: %+v", c)
	}
	if them.online(d.ID, ume.ID) {
		t.Fatal("a blocked user sees my presence")
	}
	me.ok(proto.TypeRead, proto.ReadRequest{Conv: d.ID, Seq: hidden.Seq}, nil)
	if c, _ := them.summary(d.ID); c.PeerRead != 0 || c.PeerDelivered != 0 {
		t.Fatalf("a blocked user sees my read state: %+v", c)
	}

	me.ok(proto.TypeUnblock, proto.UserRequest{User: uthem.ID}, nil)
	them.send(d.ID, "after", "hi again")
	if m := me.nextMessage(); m.Conv != d.ID || m.Text != "hi again" {
		t.Fatalf("after unblocking: %+v", m)
	}
	if m := bySeq(me.history(d.ID), hidden.Seq); !m.Hidden {
		t.Fatalf("what they sent while blocked came back: %+v", m)
	}
}

func TestFirstContactIsARequestUntilAccepted(t *testing.T) {
	s := startWithRequests(t)
	me, other, them := dialRaw(t, s), dialRaw(t, s), dialRaw(t, s)
	ume := me.registerAndLogin("Li Hua")
	other.loginAs(ume.ID)
	uthem := them.registerAndLogin("Stranger")

	// A stranger's call is refused, as a request would not ring.
	wantCode(t, them.call(proto.TypeCall, proto.CallRequest{User: ume.ID}), proto.CodeNotAccepted)
	d := them.direct(ume.ID)
	if d.Request {
		t.Fatalf("the opener's own conversation is a request: %+v", d)
	}
	cp := decodeInto[proto.ConversationPush](t, me.push(proto.TypeConversation).Body)
	if cp.Conversation.ID != d.ID || !cp.Conversation.Request || cp.Conversation.Peer.ID != uthem.ID {
		t.Fatalf("my conversation push: %+v", cp)
	}
	sent := them.send(d.ID, "hi", "hello, we have not met")
	if m := me.nextMessage(); m.Seq != sent.Seq {
		t.Fatalf("the request's message: %+v", m)
	}
	if c, _ := me.summary(d.ID); !c.Request || c.Unread != 1 {
		t.Fatalf("my summary of the request: %+v", c)
	}
	// Until I accept: delivered shows, read does not, nor presence.
	me.ok(proto.TypeDelivered, proto.DeliveredRequest{Conv: d.ID, Seq: sent.Seq}, nil)
	if rp := decodeInto[proto.ReceiptPush](t, them.push(proto.TypeReceipt).Body); len(rp.Receipts) != 1 || rp.Receipts[0].Delivered != sent.Seq || rp.Receipts[0].Read != 0 {
		t.Fatalf("the requester's receipt: %+v", rp)
	}
	me.ok(proto.TypeRead, proto.ReadRequest{Conv: d.ID, Seq: sent.Seq}, nil)
	if c, _ := them.summary(d.ID); c.PeerRead != 0 || c.PeerDelivered != sent.Seq {
		t.Fatalf("the requester sees my read state: %+v", c)
	}
	if them.online(d.ID, ume.ID) {
		t.Fatal("the requester sees my presence")
	}
	wantCode(t, them.call(proto.TypeCall, proto.CallRequest{User: ume.ID}), proto.CodeNotAccepted)

	wantCode(t, them.call(proto.TypeAcceptRequest, proto.ConvRequest{Conv: d.ID}), proto.CodeNoRequest)
	wantCode(t, other.call(proto.TypeAcceptRequest, proto.ConvRequest{Conv: 123}), proto.CodeNotMember)
	var st proto.ConvSettings
	me.ok(proto.TypeAcceptRequest, proto.ConvRequest{Conv: d.ID}, &st)
	// Watching our chat, they see me come online.
	if p := decodeInto[proto.Presence](t, them.push(proto.TypePresence).Body); p.Conv != d.ID || p.User != ume.ID || !p.Online {
		t.Fatalf("presence after accepting: %+v", p)
	}
	if st.Request || st.Conv != d.ID || st.Notify != proto.NotifyAll {
		t.Fatalf("accept reply: %+v", st)
	}
	if p := decodeInto[proto.ConvSettings](t, other.push(proto.TypeConvSettings).Body); p != st {
		t.Fatalf("my other device got %+v, want %+v", p, st)
	}
	wantCode(t, me.call(proto.TypeAcceptRequest, proto.ConvRequest{Conv: d.ID}), proto.CodeNoRequest)
	if !them.online(d.ID, ume.ID) {
		t.Fatal("my presence is hidden after I accepted")
	}
	if c, _ := them.summary(d.ID); c.PeerRead != sent.Seq || c.PeerDelivered != sent.Seq {
		t.Fatalf("my read state after I accepted: %+v", c)
	}
	if c, _ := me.summary(d.ID); c.Request {
		t.Fatalf("still a request: %+v", c)
	}
	var call proto.CallReply
	them.ok(proto.TypeCall, proto.CallRequest{User: ume.ID}, &call)
	them.ok(proto.TypeCallHangup, proto.CallHangupRequest{Call: call.Call}, nil)
}

func TestSomeoneWhoSharesAGroupIsNoRequest(t *testing.T) {
	s := startWithRequests(t)
	me, them := dialRaw(t, s), dialRaw(t, s)
	ume := me.registerAndLogin("Li Hua")
	them.registerAndLogin("Tom")
	g := me.createGroup(proto.CreateGroupRequest{Name: "Shared", Policy: proto.PolicyOpen}).ID
	them.ok(proto.TypeJoinGroup, proto.JoinGroupRequest{Group: g}, nil)
	d := them.direct(ume.ID)
	if c, _ := me.summary(d.ID); c.Request {
		t.Fatalf("a group member's chat is a request: %+v", c)
	}
}

func TestDeletedOrBlockedRequestsLeaveMyListAndWritingAccepts(t *testing.T) {
	s := startWithRequests(t)
	me, other := dialRaw(t, s), dialRaw(t, s)
	ume := me.registerAndLogin("Li Hua")
	other.loginAs(ume.ID)
	a, b, c := dialRaw(t, s), dialRaw(t, s), dialRaw(t, s)
	ua, ub := a.registerAndLogin("A"), b.registerAndLogin("B")
	c.registerAndLogin("C")
	da, db, dc := a.direct(ume.ID), b.direct(ume.ID), c.direct(ume.ID)
	a.send(da.ID, "1", "buy my stuff")

	// Delete: gone for me (on every device), not for them.
	wantCode(t, me.call(proto.TypeDeleteRequest, proto.ConvRequest{Conv: 4242}), proto.CodeNotMember)
	me.ok(proto.TypeDeleteRequest, proto.ConvRequest{Conv: da.ID}, nil)
	if cp := other.leftPush(t); cp.Conversation.ID != da.ID {
		t.Fatalf("my other device's push: %+v", cp)
	}
	wantCode(t, me.call(proto.TypeDeleteRequest, proto.ConvRequest{Conv: da.ID}), proto.CodeNoRequest)
	if _, listed := me.summary(da.ID); listed {
		t.Fatal("a deleted request is still listed")
	}
	var sr proto.SyncReply
	me.ok(proto.TypeSync, proto.SyncRequest{}, &sr)
	for _, m := range sr.Messages {
		if m.Conv == da.ID {
			t.Fatalf("sync brought a deleted request's message: %+v", m)
		}
	}
	if cv, listed := a.summary(da.ID); !listed || cv.Members != 2 {
		t.Fatalf("the requester was told: %+v %v", cv, listed)
	}
	a.send(da.ID, "2", "still there?") // accepted, reaches nobody
	// A message from someone else is the next one I get.
	sent := c.send(dc.ID, "c", "hello from C")
	if m := me.nextMessage(); m.Conv != dc.ID || m.Seq != sent.Seq {
		t.Fatalf("I got %+v, want C's message", m)
	}
	if _, listed := me.summary(da.ID); listed {
		t.Fatal("a message brought a deleted request back")
	}
	if a.online(da.ID, ume.ID) {
		t.Fatal("the requester sees my presence after I deleted the request")
	}
	wantCode(t, a.call(proto.TypeCall, proto.CallRequest{User: ume.ID}), proto.CodeNotAccepted)
	// Opening it myself brings it back, accepted.
	if back := me.direct(ua.ID); back.ID != da.ID || back.Request {
		t.Fatalf("reopened: %+v", back)
	}
	if cv, listed := me.summary(da.ID); !listed || cv.Request {
		t.Fatalf("reopened summary: %+v %v", cv, listed)
	}

	// Block from the request: gone, and blocked.
	me.ok(proto.TypeBlock, proto.UserRequest{User: ub.ID}, nil)
	if cp := other.leftPush(t); cp.Conversation.ID != db.ID {
		t.Fatalf("my other device's push after blocking a request: %+v", cp)
	}
	if _, listed := me.summary(db.ID); listed {
		t.Fatal("a blocked request is still listed")
	}
	if bs := me.blocks(); len(bs) != 1 || bs[0].ID != ub.ID {
		t.Fatalf("blocks: %+v", bs)
	}

	// Writing in a request accepts it, on every device.
	me.send(dc.ID, "reply", "hello C")
	if p := decodeInto[proto.ConvSettings](t, other.push(proto.TypeConvSettings).Body); p.Conv != dc.ID || p.Request {
		t.Fatalf("my other device after I wrote: %+v", p)
	}
	if cv, _ := me.summary(dc.ID); cv.Request {
		t.Fatalf("still a request after I wrote in it: %+v", cv)
	}
}

func TestMuteLevelsExpireAndReachEveryDevice(t *testing.T) {
	clock := nodetest.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	s := startWithRequests(t, func(c *node.Config) { c.Now = clock.Now })
	me, other, them := dialRaw(t, s), dialRaw(t, s), dialRaw(t, s)
	ume := me.registerAndLogin("Li Hua")
	other.loginAs(ume.ID)
	them.registerAndLogin("Tom")
	g := me.createGroup(proto.CreateGroupRequest{Name: "Loud", Policy: proto.PolicyOpen}).ID

	now := clock.Now().UnixMilli()
	for _, bad := range []proto.SetNotifyRequest{
		{Conv: g, Level: "quiet"},
		{Conv: g, Level: proto.NotifyOff, Until: now},
		{Conv: g, Level: proto.NotifyOff, Until: -5},
	} {
		wantCode(t, me.call(proto.TypeSetNotify, bad), proto.CodeBadRequest)
	}
	wantCode(t, them.call(proto.TypeSetNotify, proto.SetNotifyRequest{Conv: g, Level: proto.NotifyOff}), proto.CodeNotMember)
	if c, _ := me.summary(g); c.Notify != "" || c.NotifyUntil != 0 {
		t.Fatalf("refusals changed the setting: %+v", c)
	}

	until := clock.Now().Add(time.Hour).UnixMilli()
	var st proto.ConvSettings
	me.ok(proto.TypeSetNotify, proto.SetNotifyRequest{Conv: g, Level: proto.NotifyMentions, Until: until}, &st)
	want := proto.ConvSettings{Conv: g, Notify: proto.NotifyMentions, NotifyUntil: until}
	if st != want {
		t.Fatalf("set_notify reply %+v, want %+v", st, want)
	}
	if p := decodeInto[proto.ConvSettings](t, other.push(proto.TypeConvSettings).Body); p != want {
		t.Fatalf("my other device got %+v, want %+v", p, want)
	}
	if c, _ := other.summary(g); c.Notify != proto.NotifyMentions || c.NotifyUntil != until {
		t.Fatalf("summary while muted: %+v", c)
	}
	// What a device needs to ring for a mention only: the level, and the
	// mention in the message.
	uthem := them.whoami()
	them.ok(proto.TypeJoinGroup, proto.JoinGroupRequest{Group: g}, nil)
	them.send(g, "plain", "hello all")
	var sr0 proto.SendReply
	them.ok(proto.TypeSend, proto.SendRequest{Conv: g, ClientID: "at", Text: "@Li Hua look", Mentions: []proto.UserID{ume.ID}}, &sr0)
	if m := other.nextMessage(); m.Text != "hello all" || len(m.Mentions) != 0 || m.Sender != uthem {
		t.Fatalf("the plain message: %+v", m)
	}
	if m := other.nextMessage(); m.Seq != sr0.Message.Seq || len(m.Mentions) != 1 || m.Mentions[0] != ume.ID {
		t.Fatalf("the mention: %+v", m)
	}
	clock.Advance(time.Hour)
	if c, _ := other.summary(g); c.Notify != "" || c.NotifyUntil != 0 {
		t.Fatalf("summary after the hour: %+v", c)
	}

	me.ok(proto.TypeSetNotify, proto.SetNotifyRequest{Conv: g, Level: proto.NotifyOff}, nil)
	clock.Advance(1000 * time.Hour)
	var sr proto.SyncReply
	other.ok(proto.TypeSync, proto.SyncRequest{}, &sr)
	if len(sr.Conversations) != 1 || sr.Conversations[0].Notify != proto.NotifyOff || sr.Conversations[0].NotifyUntil != 0 {
		t.Fatalf("off until turned back on, in sync: %+v", sr.Conversations)
	}
	st = proto.ConvSettings{}
	me.ok(proto.TypeSetNotify, proto.SetNotifyRequest{Conv: g, Level: proto.NotifyAll}, &st)
	if st != (proto.ConvSettings{Conv: g, Notify: proto.NotifyAll}) {
		t.Fatalf("back to all: %+v", st)
	}
}

func TestAnArchivedChatComesBackWithANewMessage(t *testing.T) {
	s := startWithRequests(t)
	me, other, them := dialRaw(t, s), dialRaw(t, s), dialRaw(t, s)
	ume := me.registerAndLogin("Li Hua")
	other.loginAs(ume.ID)
	uthem := them.registerAndLogin("Tom")
	d := me.direct(uthem.ID)
	them.send(d.ID, "1", "first")

	wantCode(t, them.call(proto.TypeArchive, proto.ArchiveRequest{Conv: 4242, Archived: true}), proto.CodeNotMember)
	var st proto.ConvSettings
	me.ok(proto.TypeArchive, proto.ArchiveRequest{Conv: d.ID, Archived: true}, &st)
	if !st.Archived || st.Conv != d.ID {
		t.Fatalf("archive reply: %+v", st)
	}
	if p := decodeInto[proto.ConvSettings](t, other.push(proto.TypeConvSettings).Body); p != st {
		t.Fatalf("my other device got %+v", p)
	}
	if c, _ := other.summary(d.ID); !c.Archived {
		t.Fatalf("not archived: %+v", c)
	}
	if c, _ := them.summary(d.ID); c.Archived {
		t.Fatalf("archived for the other member too: %+v", c)
	}
	// A reaction is no new message; a message is.
	them.change(proto.TypeReact, proto.ReactRequest{Conv: d.ID, Seq: 1, ClientID: "r", Emoji: "👍"})
	if c, _ := me.summary(d.ID); !c.Archived {
		t.Fatalf("a reaction unarchived it: %+v", c)
	}
	them.send(d.ID, "2", "second")
	if c, _ := other.summary(d.ID); c.Archived {
		t.Fatalf("still archived after a new message: %+v", c)
	}
	me.ok(proto.TypeArchive, proto.ArchiveRequest{Conv: d.ID, Archived: true}, nil)
	st = proto.ConvSettings{}
	me.ok(proto.TypeArchive, proto.ArchiveRequest{Conv: d.ID, Archived: false}, &st)
	if st.Archived {
		t.Fatalf("unarchive reply: %+v", st)
	}
}

// The server keeps blocks and requests: after a restart (the writer's
// cache cold) a blocked peer's message is still silenced, and a request
// still waits.
func TestBlocksAndRequestsOutliveARestart(t *testing.T) {
	s := startWithRequests(t)
	me, them, stranger := dialRaw(t, s), dialRaw(t, s), dialRaw(t, s)
	ume, uthem := me.registerAndLogin("Li Hua"), them.registerAndLogin("Tom")
	ustranger := stranger.registerAndLogin("Stranger")
	d := them.direct(ume.ID)
	r := stranger.direct(ume.ID)
	me.ok(proto.TypeBlock, proto.UserRequest{User: uthem.ID}, nil)
	s.Restart(t)

	me, them, stranger = dialRaw(t, s), dialRaw(t, s), dialRaw(t, s)
	me.loginAs(ume.ID)
	them.loginAs(uthem.ID)
	stranger.loginAs(ustranger.ID)
	hidden := them.send(d.ID, "after", "still blocked?")
	sent := stranger.send(r.ID, "s", "hello")
	if m := me.nextMessage(); m.Conv != r.ID || m.Seq != sent.Seq {
		t.Fatalf("after a restart I got %+v, want the stranger's message", m)
	}
	if m := bySeq(me.history(d.ID), hidden.Seq); !m.Hidden {
		t.Fatalf("a blocked peer's message after a restart: %+v", m)
	}
	if c, _ := me.summary(r.ID); !c.Request {
		t.Fatalf("the request after a restart: %+v", c)
	}
	if bs := me.blocks(); len(bs) != 1 || bs[0].ID != uthem.ID {
		t.Fatalf("blocks after a restart: %+v", bs)
	}
}
