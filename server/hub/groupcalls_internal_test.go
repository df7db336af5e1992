package hub

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/coder/websocket"

	"parley/net/proto"
)

// A member removed between group_call's membership check and joining the
// call, whose removal reached the switchboard first, is not left in it.
func TestAGroupCallRacingARemovalLeavesNobodyInTheCall(t *testing.T) {
	h, srv := loginHub(t, Config{})
	login := func(name string) (*wsClient, proto.User) {
		c := dialClient(t, srv)
		var reg proto.RegisterReply
		c.ok(proto.TypeRegister, proto.RegisterRequest{Name: name, Password: "secret-password"}, &reg)
		c.ok(proto.TypeLogin, proto.LoginRequest{User: reg.User.ID, Password: "secret-password"}, nil)
		return c, reg.User
	}
	owner, ann := login("owner")
	caller, bob := login("bob")
	var g proto.ConversationReply
	owner.ok(proto.TypeCreateGroup, proto.CreateGroupRequest{Name: "g"}, &g)
	owner.ok(proto.TypeInvite, proto.InviteRequest{User: bob.ID, Group: g.Conversation.ID}, nil)
	h.beforeGroupCall = func() {
		if err := h.db.RemoveMember(context.Background(), ann, g.Conversation.ID, bob.ID); err != nil {
			t.Error(err)
		}
		h.calls.svc.Membership(g.Conversation.ID, bob.ID, false) // the fan-out, first
	}
	frame, _ := proto.EncodeRequest(proto.TypeGroupCall, "g", proto.GroupCallRequest{Conv: g.Conversation.ID})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := caller.ws.Write(ctx, websocket.MessageText, frame); err != nil {
		t.Fatal(err)
	}
	for {
		f := caller.next()
		if f.Type == proto.TypeReply {
			if f.Error == nil || f.Error.Code != proto.CodeNotMember {
				t.Fatalf("group_call during a removal answered %s %v, want not_member", f.Body, f.Error)
			}
			break
		}
	}
	if h.calls.svc.InCall(bob.ID) {
		t.Fatal("the removed member is in the group's call")
	}
	if n, p := h.calls.svc.GroupCounts(); n != 0 || p != 0 {
		t.Fatal(fmt.Sprintf("%d group calls, %d people left", n, p))
	}
}
