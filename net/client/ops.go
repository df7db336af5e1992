package client

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"parley/net/proto"
)

// ops holds the typed calls shared by Conn and Session; both embed it with
// call set to their own Call. Server errors come back as *proto.Error.
type ops struct {
	call func(ctx context.Context, typ string, req, reply any) error
}

// Register creates an account; the server assigns its ID. It does not log in.
func (o ops) Register(ctx context.Context, name, password string) (proto.User, error) {
	var r proto.RegisterReply
	err := o.call(ctx, proto.TypeRegister, proto.RegisterRequest{Name: name, Password: password}, &r)
	return r.User, err
}

// Login authenticates the connection and returns a session token to
// resume with later. device is free text shown in session lists.
func (o ops) Login(ctx context.Context, id proto.UserID, password, device string) (proto.LoginReply, error) {
	var r proto.LoginReply
	err := o.call(ctx, proto.TypeLogin, proto.LoginRequest{User: id, Password: password, Device: device}, &r)
	return r, err
}

// Resume authenticates the connection with a token from Login.
func (o ops) Resume(ctx context.Context, token string) (proto.User, error) {
	var r proto.ResumeReply
	err := o.call(ctx, proto.TypeResume, proto.ResumeRequest{Token: token}, &r)
	return r.User, err
}

// Logout revokes the connection's session token.
func (o ops) Logout(ctx context.Context) error {
	return o.call(ctx, proto.TypeLogout, nil, nil)
}

// WhoAmI returns the connection's user.
func (o ops) WhoAmI(ctx context.Context) (proto.User, error) {
	var r proto.WhoAmIReply
	err := o.call(ctx, proto.TypeWhoAmI, nil, &r)
	return r.User, err
}

// Ping is a protocol round trip (not a WebSocket ping).
func (o ops) Ping(ctx context.Context) error {
	return o.call(ctx, proto.TypePing, nil, nil)
}

// CreateGroup creates a group with the caller as its only member.
func (o ops) CreateGroup(ctx context.Context, name string) (proto.Conversation, error) {
	var r proto.ConversationReply
	err := o.call(ctx, proto.TypeCreateGroup, proto.CreateGroupRequest{Name: name}, &r)
	return r.Conversation, err
}

// JoinGroup joins a group by its ID.
func (o ops) JoinGroup(ctx context.Context, id proto.ConvID) (proto.Conversation, error) {
	var r proto.ConversationReply
	err := o.call(ctx, proto.TypeJoinGroup, proto.JoinGroupRequest{Group: id}, &r)
	return r.Conversation, err
}

// Invite adds user to group; the caller must be a member.
func (o ops) Invite(ctx context.Context, user proto.UserID, group proto.ConvID) (proto.User, error) {
	var r proto.InviteReply
	err := o.call(ctx, proto.TypeInvite, proto.InviteRequest{User: user, Group: group}, &r)
	return r.User, err
}

// Leave leaves a conversation.
func (o ops) Leave(ctx context.Context, conv proto.ConvID) error {
	return o.call(ctx, proto.TypeLeave, proto.LeaveRequest{Conv: conv}, nil)
}

// Conversations lists the caller's conversations.
func (o ops) Conversations(ctx context.Context) ([]proto.Conversation, error) {
	var r proto.ConversationsReply
	err := o.call(ctx, proto.TypeConversations, nil, &r)
	return r.Conversations, err
}

// Members lists a conversation's members with their presence, and makes
// this connection watch their presence (presence pushes) until the next
// Members or Unwatch.
func (o ops) Members(ctx context.Context, conv proto.ConvID) ([]proto.Member, error) {
	var r proto.MembersReply
	err := o.call(ctx, proto.TypeMembers, proto.MembersRequest{Conv: conv}, &r)
	return r.Members, err
}

// Unwatch stops the presence watch started by Members.
func (o ops) Unwatch(ctx context.Context, conv proto.ConvID) error {
	return o.call(ctx, proto.TypeMembers, proto.MembersRequest{Conv: conv, Unwatch: true}, nil)
}

// Direct returns the direct conversation with user, creating it if needed.
func (o ops) Direct(ctx context.Context, user proto.UserID) (proto.Conversation, error) {
	var r proto.ConversationReply
	err := o.call(ctx, proto.TypeDirect, proto.DirectRequest{User: user}, &r)
	return r.Conversation, err
}

// Send posts text to conv. clientID (see NewClientID) makes retries safe:
// resending the same clientID returns the stored message with Duplicate set.
func (o ops) Send(ctx context.Context, conv proto.ConvID, clientID, text string) (proto.SendReply, error) {
	var r proto.SendReply
	err := o.call(ctx, proto.TypeSend, proto.SendRequest{Conv: conv, ClientID: clientID, Text: text}, &r)
	return r, err
}

// History returns one page of a conversation.
func (o ops) History(ctx context.Context, req proto.HistoryRequest) (proto.HistoryReply, error) {
	var r proto.HistoryReply
	err := o.call(ctx, proto.TypeHistory, req, &r)
	return r, err
}

// Sync is one sync round: every conversation of the caller, and up to one
// page of messages after have[conv] for each. Conversations listed in
// More have further messages; see SyncAll.
func (o ops) Sync(ctx context.Context, have map[proto.ConvID]int64) (proto.SyncReply, error) {
	var r proto.SyncReply
	err := o.call(ctx, proto.TypeSync, proto.SyncRequest{Have: have}, &r)
	return r, err
}

// SyncAll returns every conversation of the caller and every message after
// have[conv] for each conversation in have: a sync, then history pages
// after the last message received until there are no more. For a
// conversation not in have, the server sends its newest page only (page
// older ones in with History). Messages are sorted by conversation, then
// seq.
func (o ops) SyncAll(ctx context.Context, have map[proto.ConvID]int64) ([]proto.Conversation, []proto.Message, error) {
	r, err := o.Sync(ctx, have)
	if err != nil {
		return nil, nil, err
	}
	msgs := r.Messages
	for _, conv := range r.More {
		after := have[conv]
		for _, m := range r.Messages {
			if m.Conv == conv {
				after = max(after, m.Seq)
			}
		}
		for {
			h, err := o.History(ctx, proto.HistoryRequest{Conv: conv, After: new(after), Limit: proto.MaxHistoryLimit})
			if err != nil {
				return nil, nil, fmt.Errorf("sync conversation %d after %d: %w", conv, after, err)
			}
			msgs = append(msgs, h.Messages...)
			if !h.More {
				break
			}
			if len(h.Messages) == 0 {
				return nil, nil, fmt.Errorf("sync conversation %d after %d: server says more but sent none", conv, after)
			}
			after = h.Messages[len(h.Messages)-1].Seq
		}
	}
	slices.SortStableFunc(msgs, func(a, b proto.Message) int {
		return cmp.Or(cmp.Compare(a.Conv, b.Conv), cmp.Compare(a.Seq, b.Seq))
	})
	return r.Conversations, msgs, nil
}
