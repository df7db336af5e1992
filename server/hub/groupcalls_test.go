package hub_test

import (
	"testing"

	"parley/net/proto"
	"parley/server/calls/callstest"
)

// groupState reads c's next push, a group_call_state, and returns its
// participants' names in slot order ("ended" at the end).
func groupState(t *testing.T, c *callstest.Client, id proto.CallID) string {
	t.Helper()
	var st proto.GroupCallState
	c.Next(proto.TypeGroupCallState, &st)
	if st.Call != id {
		t.Fatalf("user %d: state of call %d, want %d", c.User.ID, st.Call, id)
	}
	if st.Ended {
		return "ended"
	}
	s := ""
	for _, p := range st.Participants {
		s += p.Name + " "
	}
	return s
}

func wantGroupState(t *testing.T, id proto.CallID, want string, cs ...*callstest.Client) {
	t.Helper()
	for _, c := range cs {
		if got := groupState(t, c, id); got != want {
			t.Fatalf("user %d sees %q, want %q", c.User.ID, got, want)
		}
	}
}

func wantRemoved(t *testing.T, c *callstest.Client, id proto.CallID) {
	t.Helper()
	if e := c.NextEnd(); e.Call != id || e.Reason != proto.EndRemoved || e.By != c.User.ID {
		t.Fatalf("user %d: %+v, want removed", c.User.ID, e)
	}
}

// A member who leaves the group, is removed or banned, or whose group is
// deleted, is out of its call; a device that logs in learns of the call.
func TestGroupMembershipChangesTakeMembersOutOfTheCall(t *testing.T) {
	s := callstest.Start(t)
	var cs []*callstest.Client
	for _, n := range []string{"ann", "bob", "cat", "dan"} {
		cs = append(cs, s.Login(t, s.Register(t, n)))
	}
	ann, bob, cat, dan := cs[0], cs[1], cs[2], cs[3]
	var g proto.ConversationReply
	if err := ann.Do(proto.TypeCreateGroup, proto.CreateGroupRequest{Name: "g"}, &g); err != nil {
		t.Fatal(err)
	}
	conv := g.Conversation.ID
	for _, c := range cs[1:] {
		if err := ann.Do(proto.TypeInvite, proto.InviteRequest{User: c.User.ID, Group: conv}, nil); err != nil {
			t.Fatal(err)
		}
	}

	// Bad requests change nothing.
	var direct proto.ConversationReply
	if err := ann.Do(proto.TypeDirect, proto.DirectRequest{User: bob.User.ID}, &direct); err != nil {
		t.Fatal(err)
	}
	err := ann.Do(proto.TypeGroupCall, proto.GroupCallRequest{Conv: direct.Conversation.ID}, nil)
	if proto.CodeOf(err) != proto.CodeBadRequest {
		t.Fatalf("group_call in a direct conversation: %v", err)
	}
	err = ann.Do(proto.TypeGroupCall, proto.GroupCallRequest{Conv: 999_999_999}, nil)
	if proto.CodeOf(err) != proto.CodeNoSuchConv {
		t.Fatalf("group_call in no conversation: %v", err)
	}
	stranger := s.Login(t, s.Register(t, "stranger"))
	err = stranger.Do(proto.TypeGroupCall, proto.GroupCallRequest{Conv: conv}, nil)
	if proto.CodeOf(err) != proto.CodeNotMember {
		t.Fatalf("group_call by a stranger: %v", err)
	}
	err = ann.Do(proto.TypeCallMute, proto.CallMuteRequest{Call: 1, Muted: true}, nil)
	if proto.CodeOf(err) != proto.CodeNoSuchCall {
		t.Fatalf("call_mute outside a call: %v", err)
	}

	var r proto.GroupCallReply
	if err := ann.Do(proto.TypeGroupCall, proto.GroupCallRequest{Conv: conv}, &r); err != nil {
		t.Fatal(err)
	}
	id := r.Call
	for _, c := range cs[1:] {
		c.Next(proto.TypeCallIncoming, nil)
	}
	wantGroupState(t, id, "ann ", cs...)
	for i, c := range []*callstest.Client{bob, cat} {
		if err := c.Do(proto.TypeGroupCall, proto.GroupCallRequest{Conv: conv}, nil); err != nil {
			t.Fatal(err)
		}
		wantGroupState(t, id, map[int]string{0: "ann bob ", 1: "ann bob cat "}[i], cs...)
	}
	// Dan's tablet logs in: the state comes after the reply.
	tablet := s.Dial(t)
	if err := tablet.Do(proto.TypeResume, proto.ResumeRequest{Token: dan.Token}, nil); err != nil {
		t.Fatal(err)
	}
	tablet.User = dan.User
	wantGroupState(t, id, "ann bob cat ", tablet)
	stranger.NoPush()

	// Cat is removed.
	if err := ann.Do(proto.TypeRemoveMember, proto.MemberRequest{Group: conv, User: cat.User.ID}, nil); err != nil {
		t.Fatal(err)
	}
	wantRemoved(t, cat, id)
	wantGroupState(t, id, "ann bob ", ann, bob, dan, tablet)
	// Bob leaves the group.
	if err := bob.Do(proto.TypeLeave, proto.LeaveRequest{Conv: conv}, nil); err != nil {
		t.Fatal(err)
	}
	wantRemoved(t, bob, id)
	wantGroupState(t, id, "ann ", ann, dan, tablet)
	// Dan, whose phone still rings, is banned: it stops.
	if err := ann.Do(proto.TypeBan, proto.MemberRequest{Group: conv, User: dan.User.ID}, nil); err != nil {
		t.Fatal(err)
	}
	wantRemoved(t, dan, id)
	// The group is deleted: Ann is out, the call is over.
	if err := ann.Do(proto.TypeDeleteGroup, proto.GroupRequest{Group: conv}, nil); err != nil {
		t.Fatal(err)
	}
	wantRemoved(t, ann, id)
	bob.NoPush()
	cat.NoPush()
	// Nobody is left in a call: Ann can call Bob.
	if err := ann.Do(proto.TypeCall, proto.CallRequest{User: bob.User.ID}, nil); err != nil {
		t.Fatalf("after the group call: %v", err)
	}
	bob.Next(proto.TypeCallIncoming, nil)
}
