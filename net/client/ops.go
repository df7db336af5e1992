package client

import (
	"cmp"
	"context"
	"errors"
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

// RegisterWithCode is Register with a registration code, which a server
// whose registration mode is "codes" requires.
func (o ops) RegisterWithCode(ctx context.Context, name, password, code string) (proto.User, error) {
	var r proto.RegisterReply
	err := o.call(ctx, proto.TypeRegister, proto.RegisterRequest{Name: name, Password: password, Code: code}, &r)
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

// CreateGroup creates a group with the caller as its only member (and
// owner), with the server's default join policy.
func (o ops) CreateGroup(ctx context.Context, name string) (proto.Conversation, error) {
	return o.CreateGroupWith(ctx, proto.CreateGroupRequest{Name: name})
}

// CreateGroupWith creates a group with a join policy and description.
func (o ops) CreateGroupWith(ctx context.Context, req proto.CreateGroupRequest) (proto.Conversation, error) {
	var r proto.ConversationReply
	err := o.call(ctx, proto.TypeCreateGroup, req, &r)
	return r.Conversation, err
}

// ErrJoinRequested is JoinGroup's error when the group asks: a request
// to join went to its admins instead (RequestJoin returns it).
var ErrJoinRequested = errors.New("a request to join went to the group's admins; they will answer")

// JoinGroup joins a group by its ID. A group that asks gets a request
// instead, and JoinGroup returns ErrJoinRequested; RequestJoin returns
// the request.
func (o ops) JoinGroup(ctx context.Context, id proto.ConvID) (proto.Conversation, error) {
	r, err := o.RequestJoin(ctx, id)
	switch {
	case err != nil:
		return proto.Conversation{}, err
	case r.Conversation == nil:
		return proto.Conversation{}, ErrJoinRequested
	}
	return *r.Conversation, nil
}

// RequestJoin is join_group: the reply holds the conversation joined (an
// open group) or the request filed (a group that asks).
func (o ops) RequestJoin(ctx context.Context, id proto.ConvID) (proto.JoinGroupReply, error) {
	var r proto.JoinGroupReply
	err := o.call(ctx, proto.TypeJoinGroup, proto.JoinGroupRequest{Group: id}, &r)
	return r, err
}

// GroupInfo returns a group's settings and roles.
func (o ops) GroupInfo(ctx context.Context, group proto.ConvID) (proto.GroupInfo, error) {
	var r proto.GroupReply
	err := o.call(ctx, proto.TypeGroupInfo, proto.GroupRequest{Group: group}, &r)
	return r.Group, err
}

// SetGroup changes a group's settings (admins); nil fields stay.
func (o ops) SetGroup(ctx context.Context, req proto.SetGroupRequest) (proto.GroupInfo, error) {
	var r proto.GroupReply
	err := o.call(ctx, proto.TypeSetGroup, req, &r)
	return r.Group, err
}

// JoinRequests lists a group's waiting join requests (admins).
func (o ops) JoinRequests(ctx context.Context, group proto.ConvID) ([]proto.JoinRequest, error) {
	var r proto.JoinRequestsReply
	err := o.call(ctx, proto.TypeJoinRequests, proto.GroupRequest{Group: group}, &r)
	return r.Requests, err
}

// AnswerJoin approves or declines user's request to join group (admins).
func (o ops) AnswerJoin(ctx context.Context, group proto.ConvID, user proto.UserID, approve bool) error {
	return o.call(ctx, proto.TypeAnswerJoin, proto.AnswerJoinRequest{Group: group, User: user, Approve: approve}, nil)
}

// RemoveMember removes user from group (admins).
func (o ops) RemoveMember(ctx context.Context, group proto.ConvID, user proto.UserID) error {
	return o.call(ctx, proto.TypeRemoveMember, proto.MemberRequest{Group: group, User: user}, nil)
}

// Ban bans user from group, removing them if a member (admins).
func (o ops) Ban(ctx context.Context, group proto.ConvID, user proto.UserID) error {
	return o.call(ctx, proto.TypeBan, proto.MemberRequest{Group: group, User: user}, nil)
}

// Unban lifts user's ban from group (admins).
func (o ops) Unban(ctx context.Context, group proto.ConvID, user proto.UserID) error {
	return o.call(ctx, proto.TypeUnban, proto.MemberRequest{Group: group, User: user}, nil)
}

// Bans lists group's banned users (admins).
func (o ops) Bans(ctx context.Context, group proto.ConvID) ([]proto.Ban, error) {
	var r proto.BansReply
	err := o.call(ctx, proto.TypeBans, proto.GroupRequest{Group: group}, &r)
	return r.Bans, err
}

// SetAdmin makes a member an admin, or a member again (the owner).
func (o ops) SetAdmin(ctx context.Context, group proto.ConvID, user proto.UserID, admin bool) error {
	return o.call(ctx, proto.TypeSetAdmin, proto.SetAdminRequest{Group: group, User: user, Admin: admin}, nil)
}

// TransferOwner hands the group to another member (the owner).
func (o ops) TransferOwner(ctx context.Context, group proto.ConvID, user proto.UserID) error {
	return o.call(ctx, proto.TypeTransferOwner, proto.MemberRequest{Group: group, User: user}, nil)
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

// Media returns one page of a conversation's pictures, voice messages or
// other files (req.Kind: proto.MediaPictures, MediaVoice, MediaFiles),
// newest first; More says that older ones exist (page with Before set to
// the last message's seq).
func (o ops) Media(ctx context.Context, req proto.MediaRequest) (proto.MediaReply, error) {
	var r proto.MediaReply
	err := o.call(ctx, proto.TypeMedia, req, &r)
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

// CreateLink makes an invite link of group (members who may invite).
func (o ops) CreateLink(ctx context.Context, req proto.CreateLinkRequest) (proto.InviteLink, error) {
	var r proto.LinkReply
	err := o.call(ctx, proto.TypeCreateLink, req, &r)
	return r.Link, err
}

// Links lists group's invite links: all for an admin, one's own otherwise.
func (o ops) Links(ctx context.Context, group proto.ConvID) ([]proto.InviteLink, error) {
	var r proto.LinksReply
	err := o.call(ctx, proto.TypeLinks, proto.GroupRequest{Group: group}, &r)
	return r.Links, err
}

// RevokeLink revokes an invite link (its creator or an admin).
func (o ops) RevokeLink(ctx context.Context, group proto.ConvID, id int64) error {
	return o.call(ctx, proto.TypeRevokeLink, proto.RevokeLinkRequest{Group: group, ID: id}, nil)
}

// LinkInfo previews the group of an invite link's token.
func (o ops) LinkInfo(ctx context.Context, token string) (proto.LinkInfo, error) {
	var r proto.LinkInfoReply
	err := o.call(ctx, proto.TypeLinkInfo, proto.LinkRequest{Token: token}, &r)
	return r.Link, err
}

// JoinLink uses an invite link: the reply holds the conversation joined,
// or the request filed (a group that asks).
func (o ops) JoinLink(ctx context.Context, token string) (proto.JoinGroupReply, error) {
	var r proto.JoinGroupReply
	err := o.call(ctx, proto.TypeJoinLink, proto.LinkRequest{Token: token}, &r)
	return r, err
}

// DeleteGroup deletes a group with its history and files (the owner).
func (o ops) DeleteGroup(ctx context.Context, group proto.ConvID) error {
	return o.call(ctx, proto.TypeDeleteGroup, proto.GroupRequest{Group: group}, nil)
}
