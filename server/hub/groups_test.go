package hub_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"parley/net/proto"
	"parley/server/hub"
	"parley/server/node"
	"parley/server/node/nodetest"
)

// startProduction starts a server with production's group defaults: new
// groups ask, joins are rate-limited (nodetest turns both off).
func startProduction(t *testing.T, more ...func(*node.Config)) *nodetest.Server {
	return nodetest.Start(t, nodetest.WithConfig(func(c *node.Config) {
		c.DefaultPolicy, c.JoinUserLimit, c.JoinAddrLimit = "", node.Config{}.JoinUserLimit, node.Config{}.JoinAddrLimit
		for _, f := range more {
			f(c)
		}
	}))
}

// push reads frames until a push of type typ, skipping others.
func (r *raw) push(typ string) proto.Frame {
	r.t.Helper()
	for {
		f := r.next()
		if f.Type == typ {
			return f
		}
	}
}

// leftPush reads pushes until a conversation push that says r is no
// longer a member.
func (r *raw) leftPush(t *testing.T) proto.ConversationPush {
	t.Helper()
	for {
		cp := decodeInto[proto.ConversationPush](t, r.push(proto.TypeConversation).Body)
		if !cp.Member {
			return cp
		}
	}
}

func decodeInto[T any](t *testing.T, body json.RawMessage) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	return v
}

func (r *raw) createGroup(req proto.CreateGroupRequest) proto.Conversation {
	r.t.Helper()
	var g proto.ConversationReply
	r.ok(proto.TypeCreateGroup, req, &g)
	return g.Conversation
}

func (r *raw) groupInfo(g proto.ConvID) proto.GroupInfo {
	r.t.Helper()
	var gr proto.GroupReply
	r.ok(proto.TypeGroupInfo, proto.GroupRequest{Group: g}, &gr)
	return gr.Group
}

func (r *raw) requests(g proto.ConvID) []proto.JoinRequest {
	r.t.Helper()
	var rr proto.JoinRequestsReply
	r.ok(proto.TypeJoinRequests, proto.GroupRequest{Group: g}, &rr)
	return rr.Requests
}

func TestNewGroupsAskByDefaultAndHaveLongRandomIDs(t *testing.T) {
	s := startProduction(t)
	owner, asker := dialRaw(t, s), dialRaw(t, s)
	uo, ua := owner.registerAndLogin("Li Hua"), asker.registerAndLogin("Tom")
	g := owner.createGroup(proto.CreateGroupRequest{Name: "Study Group"})
	if g.ID < 10_000_000 {
		t.Fatalf("a new group's ID is %d: short enough to find by trying", g.ID)
	}
	info := owner.groupInfo(g.ID)
	if info.Policy != proto.PolicyAsk || info.Role != proto.RoleOwner || info.Owner == nil || info.Owner.ID != uo.ID || info.Invite != proto.AllowMembers || info.Send != proto.AllowMembers {
		t.Fatalf("a new group: %+v", info)
	}

	// Asking files a request; the owner is told at once.
	f := asker.call(proto.TypeJoinGroup, proto.JoinGroupRequest{Group: g.ID})
	if f.Error != nil {
		t.Fatal(f.Error)
	}
	jr := decodeInto[proto.JoinGroupReply](t, f.Body)
	if jr.Conversation != nil || jr.Request == nil || jr.Request.User.ID != ua.ID || jr.Request.Group != g.ID || jr.Request.GroupName != "Study Group" {
		t.Fatalf("join_group of a group that asks: %s", f.Body)
	}
	pushed := decodeInto[proto.JoinRequest](t, owner.push(proto.TypeJoinRequest).Body)
	if pushed.User.ID != ua.ID || pushed.Group != g.ID {
		t.Fatalf("join_request push: %+v", pushed)
	}
	wantCode(t, asker.call(proto.TypeJoinGroup, proto.JoinGroupRequest{Group: g.ID}), proto.CodeAlreadyRequested)
	wantCode(t, asker.call(proto.TypeHistory, proto.HistoryRequest{Conv: g.ID}), proto.CodeNotMember)
	if rs := owner.requests(g.ID); len(rs) != 1 || rs[0].User.ID != ua.ID {
		t.Fatalf("requests: %+v", rs)
	}

	// Approved: told, then a member, with the approval in the history.
	owner.ok(proto.TypeAnswerJoin, proto.AnswerJoinRequest{Group: g.ID, User: ua.ID, Approve: true}, nil)
	ans := decodeInto[proto.JoinAnswered](t, asker.push(proto.TypeJoinAnswered).Body)
	if !ans.Approved || ans.Group != g.ID || ans.GroupName != "Study Group" {
		t.Fatalf("join_answered: %+v", ans)
	}
	ms := asker.history(g.ID)
	last := ms[len(ms)-1]
	if last.Kind != proto.MsgGroupEvent || last.Event.Type != proto.EventApproved || last.Event.Actor.ID != uo.ID || last.Event.Subject.ID != ua.ID {
		t.Fatalf("the approval's entry: %+v", last)
	}
	if rs := owner.requests(g.ID); len(rs) != 0 {
		t.Fatalf("an answered request is still listed: %+v", rs)
	}
	wantCode(t, owner.call(proto.TypeAnswerJoin, proto.AnswerJoinRequest{Group: g.ID, User: ua.ID, Approve: true}), proto.CodeNoSuchRequest)
}

func TestDeclinedRequesterIsToldAndStaysOut(t *testing.T) {
	s := startProduction(t)
	owner, asker := dialRaw(t, s), dialRaw(t, s)
	owner.registerAndLogin("Li Hua")
	ua := asker.registerAndLogin("Tom")
	g := owner.createGroup(proto.CreateGroupRequest{Name: "g"})
	asker.ok(proto.TypeJoinGroup, proto.JoinGroupRequest{Group: g.ID}, nil)
	before := owner.lastSeq(g.ID)
	owner.ok(proto.TypeAnswerJoin, proto.AnswerJoinRequest{Group: g.ID, User: ua.ID}, nil)
	if ans := decodeInto[proto.JoinAnswered](t, asker.push(proto.TypeJoinAnswered).Body); ans.Approved {
		t.Fatalf("join_answered: %+v", ans)
	}
	wantCode(t, asker.call(proto.TypeHistory, proto.HistoryRequest{Conv: g.ID}), proto.CodeNotMember)
	if got := owner.lastSeq(g.ID); got != before {
		t.Fatalf("a decline appended to the history: last seq %d, was %d", got, before)
	}
	if info := owner.groupInfo(g.ID); info.Members != 1 {
		t.Fatalf("members after a decline: %d", info.Members)
	}
}

func TestJoinPoliciesDecideWhatJoinGroupDoes(t *testing.T) {
	s := startProduction(t)
	owner, other := dialRaw(t, s), dialRaw(t, s)
	owner.registerAndLogin("Li Hua")
	other.registerAndLogin("Tom")

	open := owner.createGroup(proto.CreateGroupRequest{Name: "open", Policy: proto.PolicyOpen})
	var jr proto.JoinGroupReply
	other.ok(proto.TypeJoinGroup, proto.JoinGroupRequest{Group: open.ID}, &jr)
	if jr.Conversation == nil || jr.Conversation.ID != open.ID || jr.Conversation.Members != 2 || jr.Request != nil {
		t.Fatalf("join_group of an open group: %+v", jr)
	}

	closed := owner.createGroup(proto.CreateGroupRequest{Name: "closed", Policy: proto.PolicyInvite, Description: "by invitation"})
	wantCode(t, other.call(proto.TypeJoinGroup, proto.JoinGroupRequest{Group: closed.ID}), proto.CodeInviteOnly)
	info := owner.groupInfo(closed.ID)
	if info.Members != 1 || info.Description != "by invitation" || info.Policy != proto.PolicyInvite {
		t.Fatalf("invite-only group after a refused join: %+v", info)
	}
	if rs := owner.requests(closed.ID); len(rs) != 0 {
		t.Fatalf("a refused join filed a request: %+v", rs)
	}

	wantCode(t, owner.call(proto.TypeCreateGroup, proto.CreateGroupRequest{Name: "x", Policy: "everyone"}), proto.CodeBadRequest)
	wantCode(t, other.call(proto.TypeJoinGroup, proto.JoinGroupRequest{Group: 99_999_999_999}), proto.CodeNoSuchGroup)
}

func TestAdminsChangeThePolicyAndMembersCannot(t *testing.T) {
	s := startProduction(t)
	owner, member, outsider := dialRaw(t, s), dialRaw(t, s), dialRaw(t, s)
	uo := owner.registerAndLogin("Li Hua")
	um := member.registerAndLogin("Wang")
	outsider.registerAndLogin("Tom")
	g := owner.createGroup(proto.CreateGroupRequest{Name: "g"})
	owner.ok(proto.TypeInvite, proto.InviteRequest{Group: g.ID, User: um.ID}, nil)
	before := owner.lastSeq(g.ID)

	open := proto.PolicyOpen
	wantCode(t, member.call(proto.TypeSetGroup, proto.SetGroupRequest{Group: g.ID, Policy: &open}), proto.CodeNotAdmin)
	wantCode(t, outsider.call(proto.TypeSetGroup, proto.SetGroupRequest{Group: g.ID, Policy: &open}), proto.CodeNotMember)
	bad := "public"
	wantCode(t, owner.call(proto.TypeSetGroup, proto.SetGroupRequest{Group: g.ID, Policy: &bad}), proto.CodeBadRequest)
	if got := owner.lastSeq(g.ID); got != before || owner.groupInfo(g.ID).Policy != proto.PolicyAsk {
		t.Fatalf("refused policy changes changed something: seq %d → %d", before, got)
	}

	var gr proto.GroupReply
	owner.ok(proto.TypeSetGroup, proto.SetGroupRequest{Group: g.ID, Policy: &open}, &gr)
	if gr.Group.Policy != proto.PolicyOpen {
		t.Fatalf("set_group reply: %+v", gr.Group)
	}
	ms := member.history(g.ID)
	last := ms[len(ms)-1]
	if last.Kind != proto.MsgGroupEvent || last.Event.Type != proto.EventPolicy || last.Event.Policy != proto.PolicyOpen || last.Event.Actor.ID != uo.ID {
		t.Fatalf("the policy change's entry: %+v", last)
	}
	// The same setting again appends nothing.
	owner.ok(proto.TypeSetGroup, proto.SetGroupRequest{Group: g.ID, Policy: &open}, nil)
	if got := owner.lastSeq(g.ID); got != last.Seq {
		t.Fatalf("setting the same policy again appended: last seq %d, want %d", got, last.Seq)
	}
	var jr proto.JoinGroupReply
	outsider.ok(proto.TypeJoinGroup, proto.JoinGroupRequest{Group: g.ID}, &jr)
	if jr.Conversation == nil {
		t.Fatalf("join_group after the group opened: %+v", jr)
	}
}

// One account trying every ID a fresh server could have given — the whole
// 3-digit space of old group IDs, then the IDs of the groups that exist —
// joins only the open groups, files requests to the ones that ask, and is
// slowed down: past the first 10 attempts, every attempt is refused with
// rate_limited until the retry_after_ms it was told has passed (on the
// server's clock, which the test moves).
func TestTryingEveryGroupIDJoinsOnlyOpenGroupsAndIsSlowedDown(t *testing.T) {
	clock := nodetest.NewClock(time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC))
	s := startProduction(t, func(c *node.Config) { c.Now = clock.Now })
	owner, attacker := dialRaw(t, s), dialRaw(t, s)
	owner.registerAndLogin("Li Hua")
	ua := attacker.registerAndLogin("Mallory")
	policyOf := map[proto.ConvID]string{}
	for _, p := range []string{proto.PolicyOpen, proto.PolicyAsk, proto.PolicyInvite, proto.PolicyOpen, proto.PolicyAsk, proto.PolicyInvite} {
		policyOf[owner.createGroup(proto.CreateGroupRequest{Name: p, Policy: p}).ID] = p
	}
	var ids []proto.ConvID
	for id := proto.ConvID(100); id <= 999; id++ {
		ids = append(ids, id)
	}
	for id := range policyOf {
		ids = append(ids, id)
	}

	limited, joined, requested := 0, map[proto.ConvID]bool{}, map[proto.ConvID]bool{}
	var waited time.Duration
	for _, id := range ids {
		for {
			f := attacker.call(proto.TypeJoinGroup, proto.JoinGroupRequest{Group: id})
			if f.Error == nil {
				jr := decodeInto[proto.JoinGroupReply](t, f.Body)
				switch {
				case jr.Conversation != nil:
					joined[id] = true
				case jr.Request != nil:
					requested[id] = true
				}
				break
			}
			if f.Error.Code != proto.CodeRateLimited {
				want := proto.CodeNoSuchGroup
				if policyOf[id] == proto.PolicyInvite {
					want = proto.CodeInviteOnly
				}
				wantCode(t, f, want)
				break
			}
			if f.Error.RetryAfterMs <= 0 {
				t.Fatalf("rate_limited without retry_after_ms: %+v", f.Error)
			}
			limited++
			d := time.Duration(f.Error.RetryAfterMs) * time.Millisecond
			clock.Advance(d)
			waited += d
		}
	}
	for id, p := range policyOf {
		if joined[id] != (p == proto.PolicyOpen) || requested[id] != (p == proto.PolicyAsk) {
			t.Errorf("group %d (%s): joined %v, requested %v", id, p, joined[id], requested[id])
		}
		info := owner.groupInfo(id)
		if want := map[bool]int{true: 2, false: 1}[p == proto.PolicyOpen]; info.Members != want {
			t.Errorf("group %d (%s) has %d members, want %d", id, p, info.Members, want)
		}
	}
	if len(joined) != 2 || len(requested) != 2 {
		t.Errorf("joined %d groups and asked %d, want the 2 open and the 2 that ask", len(joined), len(requested))
	}
	burst := hub.DefaultJoinUserLimit.Burst
	if limited < len(ids)-burst {
		t.Errorf("%d attempts, %d refused as rate_limited: want every attempt past the first %d refused first", len(ids), limited, burst)
	}
	if min := time.Duration(len(ids)-burst) * hub.DefaultJoinUserLimit.Every; waited < min {
		t.Errorf("the attempts took %v of the server's time, want at least %v", waited, min)
	}
	if info := owner.requests(firstAsk(policyOf)); len(info) != 1 || info[0].User.ID != ua.ID {
		t.Errorf("requests of a group that asks: %+v", info)
	}
}

// The limit per address holds for every account behind it: fresh accounts
// from one address are refused once the address has spent its attempts.
func TestJoinAttemptsAreLimitedPerAddress(t *testing.T) {
	clock := nodetest.NewClock(time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC))
	s := startProduction(t, func(c *node.Config) {
		c.Now = clock.Now
		c.JoinUserLimit = hub.Limit{Burst: 1000, Every: time.Second}
		c.JoinAddrLimit = hub.Limit{Burst: 5, Every: time.Minute}
	})
	refused := 0
	for i := range 4 {
		r := dialRaw(t, s)
		r.registerAndLogin(fmt.Sprint("account ", i))
		for range 3 {
			f := r.call(proto.TypeJoinGroup, proto.JoinGroupRequest{Group: 123})
			switch {
			case f.Error != nil && f.Error.Code == proto.CodeRateLimited:
				refused++
			default:
				wantCode(t, f, proto.CodeNoSuchGroup)
			}
		}
	}
	if refused != 12-5 {
		t.Fatalf("%d of 12 attempts from one address refused as rate_limited, want all past the address's 5", refused)
	}
	clock.Advance(time.Minute)
	r := dialRaw(t, s)
	r.registerAndLogin("later")
	wantCode(t, r.call(proto.TypeJoinGroup, proto.JoinGroupRequest{Group: 123}), proto.CodeNoSuchGroup)
}

func firstAsk(policyOf map[proto.ConvID]string) proto.ConvID {
	for id, p := range policyOf {
		if p == proto.PolicyAsk {
			return id
		}
	}
	return 0
}

// club is a group of an owner and two members on raw connections, and an
// outsider.
type club struct {
	owner, m, x, out *raw
	uo, um, ux, uout proto.User
	g                proto.ConvID
}

func newClub(t *testing.T, policy string) *club {
	t.Helper()
	s := startProduction(t)
	c := &club{owner: dialRaw(t, s), m: dialRaw(t, s), x: dialRaw(t, s), out: dialRaw(t, s)}
	c.uo, c.um, c.ux, c.uout = c.owner.registerAndLogin("Li Hua"), c.m.registerAndLogin("Tom"), c.x.registerAndLogin("Wang"), c.out.registerAndLogin("Outsider")
	c.g = c.owner.createGroup(proto.CreateGroupRequest{Name: "Study Group", Policy: policy}).ID
	c.owner.ok(proto.TypeInvite, proto.InviteRequest{Group: c.g, User: c.um.ID}, nil)
	c.owner.ok(proto.TypeInvite, proto.InviteRequest{Group: c.g, User: c.ux.ID}, nil)
	return c
}

// unchanged fails t if the group's history or member count moved.
func (c *club) unchanged(t *testing.T, seq int64, members int) {
	t.Helper()
	if got := c.owner.lastSeq(c.g); got != seq {
		t.Fatalf("a refused request appended: last seq %d, was %d", got, seq)
	}
	if got := c.owner.groupInfo(c.g).Members; got != members {
		t.Fatalf("a refused request changed the members: %d, was %d", got, members)
	}
}

// lastEntry is the newest entry of the group as r sees it.
func (c *club) lastEntry(r *raw) proto.Message {
	ms := r.history(c.g)
	return ms[len(ms)-1]
}

func wantEvent(t *testing.T, m proto.Message, typ string, actor, subject proto.UserID) {
	t.Helper()
	if m.Kind != proto.MsgGroupEvent || m.Event == nil || m.Event.Type != typ || m.Event.Actor.ID != actor || m.Sender != actor {
		t.Fatalf("entry %+v, want a %s group event by %d", m, typ, actor)
	}
	if subject != 0 && (m.Event.Subject == nil || m.Event.Subject.ID != subject) {
		t.Fatalf("entry %+v, want subject %d", m.Event, subject)
	}
}

func TestRemovedMemberIsToldAndLosesAccess(t *testing.T) {
	c := newClub(t, proto.PolicyOpen)
	seq := c.owner.lastSeq(c.g)
	wantCode(t, c.x.call(proto.TypeRemoveMember, proto.MemberRequest{Group: c.g, User: c.um.ID}), proto.CodeNotAdmin)
	wantCode(t, c.out.call(proto.TypeRemoveMember, proto.MemberRequest{Group: c.g, User: c.um.ID}), proto.CodeNotMember)
	wantCode(t, c.owner.call(proto.TypeRemoveMember, proto.MemberRequest{Group: c.g, User: c.uout.ID}), proto.CodeNotMember)
	wantCode(t, c.owner.call(proto.TypeRemoveMember, proto.MemberRequest{Group: c.g, User: c.uo.ID}), proto.CodeSelf)
	c.unchanged(t, seq, 3)

	c.owner.ok(proto.TypeRemoveMember, proto.MemberRequest{Group: c.g, User: c.um.ID}, nil)
	// Told: the conversation push (no longer a member), then the entry.
	cp := c.m.leftPush(t)
	if cp.Conversation.ID != c.g || cp.Conversation.Members != 2 {
		t.Fatalf("the removed member's conversation push: %+v", cp)
	}
	wantEvent(t, decodeInto[proto.Message](t, c.m.push(proto.TypeMessage).Body), proto.EventRemoved, c.uo.ID, c.um.ID)
	wantEvent(t, c.lastEntry(c.x), proto.EventRemoved, c.uo.ID, c.um.ID)
	wantCode(t, c.m.call(proto.TypeHistory, proto.HistoryRequest{Conv: c.g}), proto.CodeNotMember)
	wantCode(t, c.m.call(proto.TypeSend, proto.SendRequest{Conv: c.g, ClientID: "after", Text: "still here?"}), proto.CodeNotMember)
	if n := c.owner.groupInfo(c.g).Members; n != 2 {
		t.Fatalf("members after a removal: %d", n)
	}
}

func TestBannedUserCannotComeBackByIDRequestOrInvitation(t *testing.T) {
	c := newClub(t, proto.PolicyOpen)
	seq := c.owner.lastSeq(c.g)
	wantCode(t, c.x.call(proto.TypeBan, proto.MemberRequest{Group: c.g, User: c.um.ID}), proto.CodeNotAdmin)
	wantCode(t, c.x.call(proto.TypeBans, proto.GroupRequest{Group: c.g}), proto.CodeNotAdmin)
	wantCode(t, c.owner.call(proto.TypeBan, proto.MemberRequest{Group: c.g, User: 9_999_999}), proto.CodeNoSuchUser)
	c.unchanged(t, seq, 3)

	c.owner.ok(proto.TypeBan, proto.MemberRequest{Group: c.g, User: c.um.ID}, nil)
	if cp := c.m.leftPush(t); cp.Conversation.ID != c.g {
		t.Fatalf("the banned member's conversation push: %+v", cp)
	}
	wantEvent(t, c.lastEntry(c.x), proto.EventBanned, c.uo.ID, c.um.ID)
	c.owner.ok(proto.TypeBan, proto.MemberRequest{Group: c.g, User: c.um.ID}, nil) // again: nothing more
	seq = c.owner.lastSeq(c.g)

	wantCode(t, c.m.call(proto.TypeJoinGroup, proto.JoinGroupRequest{Group: c.g}), proto.CodeBanned)
	ask := proto.PolicyAsk
	c.owner.ok(proto.TypeSetGroup, proto.SetGroupRequest{Group: c.g, Policy: &ask}, nil)
	wantCode(t, c.m.call(proto.TypeJoinGroup, proto.JoinGroupRequest{Group: c.g}), proto.CodeBanned)
	if rs := c.owner.requests(c.g); len(rs) != 0 {
		t.Fatalf("a banned user filed a request: %+v", rs)
	}
	wantCode(t, c.owner.call(proto.TypeInvite, proto.InviteRequest{Group: c.g, User: c.um.ID}), proto.CodeBanned)
	c.unchanged(t, seq+1, 2) // the policy change only

	// A waiting request goes with a ban of someone who is not a member.
	c.out.ok(proto.TypeJoinGroup, proto.JoinGroupRequest{Group: c.g}, nil)
	c.owner.ok(proto.TypeBan, proto.MemberRequest{Group: c.g, User: c.uout.ID}, nil)
	if rs := c.owner.requests(c.g); len(rs) != 0 {
		t.Fatalf("a banned user's request is still waiting: %+v", rs)
	}
	var bans proto.BansReply
	c.owner.ok(proto.TypeBans, proto.GroupRequest{Group: c.g}, &bans)
	if len(bans.Bans) != 2 || bans.Bans[0].User.ID != c.um.ID || bans.Bans[0].By.ID != c.uo.ID || bans.Bans[1].User.ID != c.uout.ID {
		t.Fatalf("bans: %+v", bans.Bans)
	}

	wantCode(t, c.x.call(proto.TypeUnban, proto.MemberRequest{Group: c.g, User: c.um.ID}), proto.CodeNotAdmin)
	c.owner.ok(proto.TypeUnban, proto.MemberRequest{Group: c.g, User: c.um.ID}, nil)
	wantEvent(t, c.lastEntry(c.x), proto.EventUnbanned, c.uo.ID, c.um.ID)
	var jr proto.JoinGroupReply
	c.m.ok(proto.TypeJoinGroup, proto.JoinGroupRequest{Group: c.g}, &jr)
	if jr.Request == nil {
		t.Fatalf("an unbanned user's join: %+v", jr)
	}
}

func TestRenameAndDescriptionAreHistoryEntries(t *testing.T) {
	c := newClub(t, proto.PolicyAsk)
	seq := c.owner.lastSeq(c.g)
	name, empty, long := "学习小组", "  ", strings.Repeat("字", proto.MaxDescriptionRunes+1)
	wantCode(t, c.x.call(proto.TypeSetGroup, proto.SetGroupRequest{Group: c.g, Name: &name}), proto.CodeNotAdmin)
	wantCode(t, c.owner.call(proto.TypeSetGroup, proto.SetGroupRequest{Group: c.g, Name: &empty}), proto.CodeInvalidName)
	wantCode(t, c.owner.call(proto.TypeSetGroup, proto.SetGroupRequest{Group: c.g, Description: &long}), proto.CodeTooLarge)
	c.unchanged(t, seq, 3)

	desc := "Thursdays at 7"
	var gr proto.GroupReply
	c.owner.ok(proto.TypeSetGroup, proto.SetGroupRequest{Group: c.g, Name: &name, Description: &desc}, &gr)
	if gr.Group.Name != name || gr.Group.Description != desc {
		t.Fatalf("set_group reply: %+v", gr.Group)
	}
	ms := c.x.history(c.g)
	renamed, described := ms[len(ms)-2], ms[len(ms)-1]
	wantEvent(t, renamed, proto.EventRenamed, c.uo.ID, 0)
	wantEvent(t, described, proto.EventDescribed, c.uo.ID, 0)
	if renamed.Event.Name != name || described.Event.Description != desc {
		t.Fatalf("entries: %+v, %+v", renamed.Event, described.Event)
	}
	var cs proto.ConversationsReply
	c.x.ok(proto.TypeConversations, nil, &cs)
	if len(cs.Conversations) != 1 || cs.Conversations[0].Name != name {
		t.Fatalf("conversations after the rename: %+v", cs.Conversations)
	}
}

func TestOwnerPromotesDemotesAndHandsOver(t *testing.T) {
	c := newClub(t, proto.PolicyAsk)
	seq := c.owner.lastSeq(c.g)
	wantCode(t, c.m.call(proto.TypeSetAdmin, proto.SetAdminRequest{Group: c.g, User: c.ux.ID, Admin: true}), proto.CodeNotOwner)
	wantCode(t, c.m.call(proto.TypeTransferOwner, proto.MemberRequest{Group: c.g, User: c.um.ID}), proto.CodeNotOwner)
	wantCode(t, c.owner.call(proto.TypeSetAdmin, proto.SetAdminRequest{Group: c.g, User: c.uout.ID, Admin: true}), proto.CodeNotMember)
	wantCode(t, c.owner.call(proto.TypeSetAdmin, proto.SetAdminRequest{Group: c.g, User: c.uo.ID}), proto.CodeSelf)
	c.unchanged(t, seq, 3)

	c.owner.ok(proto.TypeSetAdmin, proto.SetAdminRequest{Group: c.g, User: c.um.ID, Admin: true}, nil)
	wantEvent(t, c.lastEntry(c.x), proto.EventPromoted, c.uo.ID, c.um.ID)
	if info := c.m.groupInfo(c.g); info.Role != proto.RoleAdmin || len(info.Admins) != 1 || info.Admins[0].ID != c.um.ID {
		t.Fatalf("after the promotion: %+v", info)
	}
	// An admin may not touch the owner, nor promote.
	seq = c.owner.lastSeq(c.g)
	wantCode(t, c.m.call(proto.TypeRemoveMember, proto.MemberRequest{Group: c.g, User: c.uo.ID}), proto.CodeNotOwner)
	wantCode(t, c.m.call(proto.TypeBan, proto.MemberRequest{Group: c.g, User: c.uo.ID}), proto.CodeNotOwner)
	wantCode(t, c.m.call(proto.TypeSetAdmin, proto.SetAdminRequest{Group: c.g, User: c.ux.ID, Admin: true}), proto.CodeNotOwner)
	c.unchanged(t, seq, 3)

	c.owner.ok(proto.TypeTransferOwner, proto.MemberRequest{Group: c.g, User: c.ux.ID}, nil)
	wantEvent(t, c.lastEntry(c.m), proto.EventOwner, c.uo.ID, c.ux.ID)
	info := c.x.groupInfo(c.g)
	if info.Role != proto.RoleOwner || info.Owner.ID != c.ux.ID || len(info.Admins) != 2 {
		t.Fatalf("after the transfer: %+v", info)
	}
	// The old owner is an admin now: it cannot remove an admin.
	wantCode(t, c.owner.call(proto.TypeRemoveMember, proto.MemberRequest{Group: c.g, User: c.um.ID}), proto.CodeNotOwner)
	wantCode(t, c.owner.call(proto.TypeSetAdmin, proto.SetAdminRequest{Group: c.g, User: c.um.ID}), proto.CodeNotOwner)
	c.x.ok(proto.TypeSetAdmin, proto.SetAdminRequest{Group: c.g, User: c.um.ID}, nil)
	wantEvent(t, c.lastEntry(c.m), proto.EventDemoted, c.ux.ID, c.um.ID)
	// The new owner removes an admin.
	c.x.ok(proto.TypeRemoveMember, proto.MemberRequest{Group: c.g, User: c.uo.ID}, nil)
	wantEvent(t, c.lastEntry(c.m), proto.EventRemoved, c.ux.ID, c.uo.ID)
}

func TestOwnerWhoLeavesHandsTheGroupToTheLongestStandingAdmin(t *testing.T) {
	c := newClub(t, proto.PolicyAsk)
	c.owner.ok(proto.TypeSetAdmin, proto.SetAdminRequest{Group: c.g, User: c.ux.ID, Admin: true}, nil)
	c.owner.ok(proto.TypeLeave, proto.LeaveRequest{Conv: c.g}, nil)
	wantEvent(t, c.lastEntry(c.m), proto.EventOwner, c.uo.ID, c.ux.ID)
	if info := c.m.groupInfo(c.g); info.Owner == nil || info.Owner.ID != c.ux.ID || len(info.Admins) != 0 {
		t.Fatalf("after the owner left: %+v", info)
	}
}

func TestAnnouncementGroupsLetOnlyAdminsSendAndInvite(t *testing.T) {
	c := newClub(t, proto.PolicyAsk)
	before := c.m.send(c.g, "m0", "sent while members could")
	admins := proto.AllowAdmins
	wantCode(t, c.m.call(proto.TypeSetGroup, proto.SetGroupRequest{Group: c.g, Send: &admins}), proto.CodeNotAdmin)
	c.owner.ok(proto.TypeSetGroup, proto.SetGroupRequest{Group: c.g, Send: &admins, Invite: &admins}, nil)
	e := c.lastEntry(c.m)
	wantEvent(t, e, proto.EventPermissions, c.uo.ID, 0)
	if e.Event.Send != proto.AllowAdmins || e.Event.Invite != proto.AllowAdmins {
		t.Fatalf("permissions entry: %+v", e.Event)
	}
	seq := c.owner.lastSeq(c.g)
	wantCode(t, c.m.call(proto.TypeSend, proto.SendRequest{Conv: c.g, ClientID: "m1", Text: "hello"}), proto.CodeNotAdmin)
	wantCode(t, c.m.call(proto.TypeSend, proto.SendRequest{Conv: c.g, ClientID: "m2", Text: "hello", Mentions: []proto.UserID{c.uo.ID}}), proto.CodeNotAdmin)
	wantCode(t, c.m.call(proto.TypeInvite, proto.InviteRequest{Group: c.g, User: c.uout.ID}), proto.CodeNotAdmin)
	c.unchanged(t, seq, 3)
	// The retry of a message sent before still gets its reply.
	var retry proto.SendReply
	c.m.ok(proto.TypeSend, proto.SendRequest{Conv: c.g, ClientID: "m0", Text: "sent while members could"}, &retry)
	if !retry.Duplicate || retry.Message.Seq != before.Seq {
		t.Fatalf("a retried send: %+v, want the original %d as a duplicate", retry, before.Seq)
	}

	news := c.owner.send(c.g, "o1", "Meeting moved to Friday")
	c.m.change(proto.TypeReact, proto.ReactRequest{Conv: c.g, Seq: news.Seq, ClientID: "r1", Emoji: "👍"}) // members still react
	c.owner.ok(proto.TypeInvite, proto.InviteRequest{Group: c.g, User: c.uout.ID}, nil)
}

func TestAdminsDeleteAnyMessageAndMembersOnlyTheirOwn(t *testing.T) {
	c := newClub(t, proto.PolicyAsk)
	msg := c.m.send(c.g, "m1", "spam")
	wantCode(t, c.x.call(proto.TypeDelete, proto.TargetRequest{Conv: c.g, Seq: msg.Seq, ClientID: "x1"}), proto.CodeNotSender)
	r := c.owner.change(proto.TypeDelete, proto.TargetRequest{Conv: c.g, Seq: msg.Seq, ClientID: "o1"})
	if r.Target == nil || !r.Target.Deleted || r.Message.Sender != c.uo.ID {
		t.Fatalf("an admin's delete: %+v", r)
	}
}

func (r *raw) createLink(req proto.CreateLinkRequest) proto.InviteLink {
	r.t.Helper()
	var lr proto.LinkReply
	r.ok(proto.TypeCreateLink, req, &lr)
	return lr.Link
}

func (r *raw) joinLink(token string) proto.JoinGroupReply {
	r.t.Helper()
	var jr proto.JoinGroupReply
	r.ok(proto.TypeJoinLink, proto.LinkRequest{Token: token}, &jr)
	return jr
}

func TestInviteLinksJoinUntilTheyExpireAreUsedUpOrRevoked(t *testing.T) {
	clock := nodetest.NewClock(time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC))
	s := startProduction(t, func(c *node.Config) { c.Now = clock.Now })
	owner, m, a, b, late := dialRaw(t, s), dialRaw(t, s), dialRaw(t, s), dialRaw(t, s), dialRaw(t, s)
	uo, um := owner.registerAndLogin("Li Hua"), m.registerAndLogin("Tom")
	a.registerAndLogin("A")
	b.registerAndLogin("B")
	late.registerAndLogin("Late")
	g := owner.createGroup(proto.CreateGroupRequest{Name: "private", Policy: proto.PolicyInvite}).ID
	owner.ok(proto.TypeInvite, proto.InviteRequest{Group: g, User: um.ID}, nil)

	l := owner.createLink(proto.CreateLinkRequest{Group: g, MaxUses: 2})
	raw, err := base64.RawURLEncoding.DecodeString(l.Token)
	if err != nil || len(raw) < 16 || l.Path != "/join/"+l.Token || l.Creator.ID != uo.ID || l.MaxUses != 2 || l.Expires != 0 {
		t.Fatalf("link %+v: token of %d bytes (%v), want at least 16 random bytes", l, len(raw), err)
	}
	var info proto.LinkInfoReply
	a.ok(proto.TypeLinkInfo, proto.LinkRequest{Token: l.Token}, &info)
	if info.Link.Group != g || info.Link.Name != "private" || info.Link.Members != 2 || info.Link.Policy != proto.PolicyInvite {
		t.Fatalf("link_info: %+v", info.Link)
	}
	if jr := a.joinLink(l.Token); jr.Conversation == nil || jr.Conversation.ID != g {
		t.Fatalf("join_link of an invite-only group: %+v", jr)
	}
	ms := owner.history(g)
	if last := ms[len(ms)-1]; last.Kind != proto.MsgSystem || last.Event.Type != proto.EventJoined {
		t.Fatalf("a link join's entry: %+v", last)
	}
	wantCode(t, a.call(proto.TypeJoinLink, proto.LinkRequest{Token: l.Token}), proto.CodeAlreadyMember)
	b.joinLink(l.Token)
	seq := owner.lastSeq(g)
	wantCode(t, late.call(proto.TypeJoinLink, proto.LinkRequest{Token: l.Token}), proto.CodeLinkExpired)
	wantCode(t, late.call(proto.TypeLinkInfo, proto.LinkRequest{Token: l.Token}), proto.CodeLinkExpired)

	// Expiry, on the server's clock.
	day := owner.createLink(proto.CreateLinkRequest{Group: g, ExpiresInMs: 24 * 3600 * 1000})
	if day.Expires != clock.Now().UnixMilli()+24*3600*1000 {
		t.Fatalf("expires %d", day.Expires)
	}
	clock.Advance(24 * time.Hour)
	wantCode(t, late.call(proto.TypeJoinLink, proto.LinkRequest{Token: day.Token}), proto.CodeLinkExpired)

	// Revocation: by the creator or an admin, not by another member.
	mine := m.createLink(proto.CreateLinkRequest{Group: g})
	other := owner.createLink(proto.CreateLinkRequest{Group: g})
	wantCode(t, m.call(proto.TypeRevokeLink, proto.RevokeLinkRequest{Group: g, ID: other.ID}), proto.CodeNotAdmin)
	var ls proto.LinksReply
	m.ok(proto.TypeLinks, proto.GroupRequest{Group: g}, &ls)
	if len(ls.Links) != 1 || ls.Links[0].ID != mine.ID {
		t.Fatalf("a member's links: %+v", ls.Links)
	}
	owner.ok(proto.TypeLinks, proto.GroupRequest{Group: g}, &ls)
	if len(ls.Links) != 4 || ls.Links[0].ID != other.ID || ls.Links[3].ID != l.ID || ls.Links[3].Uses != 2 {
		t.Fatalf("the owner's links (newest first): %+v", ls.Links)
	}
	owner.ok(proto.TypeRevokeLink, proto.RevokeLinkRequest{Group: g, ID: mine.ID}, nil)
	wantCode(t, late.call(proto.TypeJoinLink, proto.LinkRequest{Token: mine.Token}), proto.CodeNoSuchLink)
	wantCode(t, late.call(proto.TypeJoinLink, proto.LinkRequest{Token: "no-such-token-at-all"}), proto.CodeNoSuchLink)
	owner.ok(proto.TypeLinks, proto.GroupRequest{Group: g}, &ls)
	if len(ls.Links) != 3 {
		t.Fatalf("links after a revocation: %+v", ls.Links)
	}
	if got := owner.lastSeq(g); got != seq {
		t.Fatalf("refused link joins appended: last seq %d, was %d", got, seq)
	}

	// A banned user cannot come back by a link either.
	ua := a.whoami()
	owner.ok(proto.TypeBan, proto.MemberRequest{Group: g, User: ua}, nil)
	wantCode(t, a.call(proto.TypeJoinLink, proto.LinkRequest{Token: other.Token}), proto.CodeBanned)

	// Where only admins invite, only admins make links.
	admins := proto.AllowAdmins
	owner.ok(proto.TypeSetGroup, proto.SetGroupRequest{Group: g, Invite: &admins}, nil)
	wantCode(t, m.call(proto.TypeCreateLink, proto.CreateLinkRequest{Group: g}), proto.CodeNotAdmin)
	wantCode(t, owner.call(proto.TypeCreateLink, proto.CreateLinkRequest{Group: g, MaxUses: -1}), proto.CodeBadRequest)
	wantCode(t, late.call(proto.TypeCreateLink, proto.CreateLinkRequest{Group: g}), proto.CodeNotMember)
}

// whoami is the caller's own ID.
func (r *raw) whoami() proto.UserID {
	r.t.Helper()
	var w proto.WhoAmIReply
	r.ok(proto.TypeWhoAmI, nil, &w)
	return w.User.ID
}

func TestLinkOfAGroupThatAsksFilesARequest(t *testing.T) {
	s := startProduction(t)
	owner, asker := dialRaw(t, s), dialRaw(t, s)
	owner.registerAndLogin("Li Hua")
	ua := asker.registerAndLogin("Tom")
	g := owner.createGroup(proto.CreateGroupRequest{Name: "g"}).ID
	l := owner.createLink(proto.CreateLinkRequest{Group: g})
	jr := asker.joinLink(l.Token)
	if jr.Conversation != nil || jr.Request == nil || jr.Request.User.ID != ua.ID {
		t.Fatalf("join_link of a group that asks: %+v", jr)
	}
	if p := decodeInto[proto.JoinRequest](t, owner.push(proto.TypeJoinRequest).Body); p.User.ID != ua.ID {
		t.Fatalf("join_request push: %+v", p)
	}
	wantCode(t, asker.call(proto.TypeJoinLink, proto.LinkRequest{Token: l.Token}), proto.CodeAlreadyRequested)
	owner.ok(proto.TypeAnswerJoin, proto.AnswerJoinRequest{Group: g, User: ua.ID, Approve: true}, nil)
	if info := owner.groupInfo(g); info.Members != 2 {
		t.Fatalf("members after the approval: %d", info.Members)
	}
}

// A request that waits while the group opens goes once its user joins.
func TestJoiningAnOpenedGroupDropsTheWaitingRequest(t *testing.T) {
	s := startProduction(t)
	owner, asker := dialRaw(t, s), dialRaw(t, s)
	owner.registerAndLogin("Li Hua")
	asker.registerAndLogin("Tom")
	g := owner.createGroup(proto.CreateGroupRequest{Name: "g"}).ID
	asker.ok(proto.TypeJoinGroup, proto.JoinGroupRequest{Group: g}, nil)
	open := proto.PolicyOpen
	owner.ok(proto.TypeSetGroup, proto.SetGroupRequest{Group: g, Policy: &open}, nil)
	if rs := owner.requests(g); len(rs) != 1 {
		t.Fatalf("a change of policy answered the waiting request: %+v", rs)
	}
	asker.ok(proto.TypeJoinGroup, proto.JoinGroupRequest{Group: g}, nil)
	if rs := owner.requests(g); len(rs) != 0 {
		t.Fatalf("a member's request is still waiting: %+v", rs)
	}
}

// The refusals no other test covers: each has its code and changes
// nothing (the history, the members, the requests, the links).
func TestGroupRefusalsHaveTheirCodeAndChangeNothing(t *testing.T) {
	c := newClub(t, proto.PolicyAsk)
	c.out.ok(proto.TypeJoinGroup, proto.JoinGroupRequest{Group: c.g}, nil)
	link := c.owner.createLink(proto.CreateLinkRequest{Group: c.g})
	seq := c.owner.lastSeq(c.g)
	bad, ctl := "everyone", "line\u0007bell"
	long := strings.Repeat("字", proto.MaxDescriptionRunes+1)
	for _, tc := range []struct {
		r    *raw
		typ  string
		body any
		code proto.Code
	}{
		{c.owner, proto.TypeCreateGroup, proto.CreateGroupRequest{Name: "x", Description: long}, proto.CodeTooLarge},
		{c.owner, proto.TypeCreateGroup, proto.CreateGroupRequest{Name: "x", Description: ctl}, proto.CodeBadRequest},
		{c.out, proto.TypeGroupInfo, proto.GroupRequest{Group: c.g}, proto.CodeNotMember},
		{c.m, proto.TypeGroupInfo, proto.GroupRequest{Group: 12345678901}, proto.CodeNoSuchGroup},
		{c.owner, proto.TypeSetGroup, proto.SetGroupRequest{Group: c.g, Send: &bad}, proto.CodeBadRequest},
		{c.owner, proto.TypeSetGroup, proto.SetGroupRequest{Group: c.g, Invite: &bad}, proto.CodeBadRequest},
		{c.owner, proto.TypeSetGroup, proto.SetGroupRequest{Group: c.g, Description: &ctl}, proto.CodeBadRequest},
		{c.m, proto.TypeJoinRequests, proto.GroupRequest{Group: c.g}, proto.CodeNotAdmin},
		{c.out, proto.TypeJoinRequests, proto.GroupRequest{Group: c.g}, proto.CodeNotMember},
		{c.m, proto.TypeAnswerJoin, proto.AnswerJoinRequest{Group: c.g, User: c.uout.ID, Approve: true}, proto.CodeNotAdmin},
		{c.out, proto.TypeAnswerJoin, proto.AnswerJoinRequest{Group: c.g, User: c.uout.ID, Approve: true}, proto.CodeNotMember},
		{c.owner, proto.TypeTransferOwner, proto.MemberRequest{Group: c.g, User: c.uo.ID}, proto.CodeSelf},
		{c.owner, proto.TypeTransferOwner, proto.MemberRequest{Group: c.g, User: c.uout.ID}, proto.CodeNotMember},
		{c.m, proto.TypeDeleteGroup, proto.GroupRequest{Group: c.g}, proto.CodeNotOwner},
		{c.out, proto.TypeDeleteGroup, proto.GroupRequest{Group: c.g}, proto.CodeNotMember},
		{c.owner, proto.TypeRevokeLink, proto.RevokeLinkRequest{Group: c.g, ID: link.ID + 1000}, proto.CodeNoSuchLink},
		{c.out, proto.TypeLinks, proto.GroupRequest{Group: c.g}, proto.CodeNotMember},
		{c.out, proto.TypeLinkInfo, proto.LinkRequest{Token: "AAAAAAAAAAAAAAAAAAAAAA"}, proto.CodeNoSuchLink},
		{c.owner, proto.TypeCreateLink, proto.CreateLinkRequest{Group: c.g, ExpiresInMs: proto.MaxLinkLifetimeMs + 1}, proto.CodeBadRequest},
	} {
		wantCode(t, tc.r.call(tc.typ, tc.body), tc.code)
	}
	c.unchanged(t, seq, 3)
	if info := c.owner.groupInfo(c.g); info.Description != "" || info.Send != proto.AllowMembers || info.Invite != proto.AllowMembers || info.Policy != proto.PolicyAsk || info.Owner.ID != c.uo.ID {
		t.Fatalf("settings after refusals: %+v", info)
	}
	if rs := c.owner.requests(c.g); len(rs) != 1 {
		t.Fatalf("requests after refusals: %+v", rs)
	}

	// At most MaxLinksPerGroup live links.
	for range proto.MaxLinksPerGroup - 1 {
		c.owner.createLink(proto.CreateLinkRequest{Group: c.g})
	}
	wantCode(t, c.owner.call(proto.TypeCreateLink, proto.CreateLinkRequest{Group: c.g}), proto.CodeTooLarge)
	var ls proto.LinksReply
	c.owner.ok(proto.TypeLinks, proto.GroupRequest{Group: c.g}, &ls)
	if len(ls.Links) != proto.MaxLinksPerGroup {
		t.Fatalf("%d links, want %d", len(ls.Links), proto.MaxLinksPerGroup)
	}
	c.owner.ok(proto.TypeRevokeLink, proto.RevokeLinkRequest{Group: c.g, ID: link.ID}, nil)
	c.owner.createLink(proto.CreateLinkRequest{Group: c.g})
}

// An answer by one admin reaches the owner and the other admins at once:
// the request waits no more, whoever answered and however.
func TestAnAnswerReachesTheOtherAdmins(t *testing.T) {
	s := startProduction(t)
	owner, admin, asker, other := dialRaw(t, s), dialRaw(t, s), dialRaw(t, s), dialRaw(t, s)
	uo := owner.registerAndLogin("Li Hua")
	ud := admin.registerAndLogin("Wang")
	ua := asker.registerAndLogin("Tom")
	ux := other.registerAndLogin("Sofia")
	g := owner.createGroup(proto.CreateGroupRequest{Name: "g", Policy: proto.PolicyOpen})
	admin.ok(proto.TypeJoinGroup, proto.JoinGroupRequest{Group: g.ID}, nil)
	owner.ok(proto.TypeSetAdmin, proto.SetAdminRequest{Group: g.ID, User: ud.ID, Admin: true}, nil)
	ask := proto.PolicyAsk
	owner.ok(proto.TypeSetGroup, proto.SetGroupRequest{Group: g.ID, Policy: &ask}, nil)

	asker.ok(proto.TypeJoinGroup, proto.JoinGroupRequest{Group: g.ID}, nil)
	owner.ok(proto.TypeAnswerJoin, proto.AnswerJoinRequest{Group: g.ID, User: ua.ID}, nil)
	done := decodeInto[proto.JoinRequestAnswered](t, admin.push(proto.TypeJoinRequestAnswered).Body)
	if done.Group != g.ID || done.User != ua.ID || done.Approved || done.By.ID != uo.ID {
		t.Fatalf("join_request_answered of a decline: %+v", done)
	}

	other.ok(proto.TypeJoinGroup, proto.JoinGroupRequest{Group: g.ID}, nil)
	admin.ok(proto.TypeAnswerJoin, proto.AnswerJoinRequest{Group: g.ID, User: ux.ID, Approve: true}, nil)
	done = decodeInto[proto.JoinRequestAnswered](t, owner.push(proto.TypeJoinRequestAnswered).Body)
	if done.Group != g.ID || done.User != ux.ID || !done.Approved || done.By.ID != ud.ID {
		t.Fatalf("join_request_answered of an approval: %+v", done)
	}
}
