package model

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"unicode/utf8"

	"parley/app/state"
	"parley/net/client"
	"parley/net/proto"
	"parley/store"
)

// Groups: join policies, join requests, roles, the settings panel, bans
// and invite links (docs/protocol.md, "Groups"). The panel's data is
// State.Group; the waiting requests of the groups I run are
// State.JoinRequests, kept live by join_request pushes.

// CreateGroupWith creates a group with a join policy (proto.PolicyAsk,
// PolicyInvite or PolicyOpen; "" the server's default) and opens it.
func (m *Model) CreateGroupWith(ctx context.Context, name, policy string) error {
	return m.withAccount(func(a *account) error {
		name = strings.TrimSpace(name)
		if name == "" || utf8.RuneCountInString(name) > proto.MaxNameRunes {
			return badInput(state.InputGroupName, "a group name has 1 to %d characters", proto.MaxNameRunes)
		}
		if policy != "" && !proto.ValidPolicy(policy) {
			return fmt.Errorf("create group: unknown join policy %q", policy)
		}
		cv, err := a.sess.CreateGroupWith(ctx, proto.CreateGroupRequest{Name: name, Policy: policy})
		if err != nil {
			return err
		}
		if err := a.adopt(ctx, cv); err != nil {
			return err
		}
		m.notify(state.NoticeGroupCreated, cv.Name, fmt.Sprint(cv.ID))
		return a.openConv(ctx, cv.ID)
	})
}

// joined takes the reply of join_group or join_link: the group joined,
// which opens, or the request filed, which the notice bar tells.
func (a *account) joined(ctx context.Context, r proto.JoinGroupReply) error {
	if r.Conversation == nil {
		if r.Request == nil {
			return errors.New("join: the server sent neither a conversation nor a request")
		}
		a.m.notify(state.NoticeJoinRequested, r.Request.GroupName, fmt.Sprint(r.Request.Group))
		return nil
	}
	cv := *r.Conversation
	if err := a.adopt(ctx, cv); err != nil {
		return err
	}
	a.m.notify(state.NoticeJoined, cv.Name, fmt.Sprint(cv.ID))
	return a.openConv(ctx, cv.ID)
}

// JoinByText is the "Join by link or ID" field: an invite link (or its
// token in a browser app address) shows what it leads to
// (State.LinkPreview) for JoinLink; a number joins by ID.
func (m *Model) JoinByText(ctx context.Context, text string) error {
	text = strings.TrimSpace(text)
	if token, ok := state.JoinToken(text); ok {
		return m.PreviewLink(ctx, token)
	}
	if _, err := parseID(text, state.InputGroupID); err != nil {
		return m.fail(badInput(state.InputJoinLink, "%s is neither a group ID nor an invite link", text))
	}
	return m.JoinGroup(ctx, text)
}

// PreviewLink asks the server what an invite link leads to, for the
// "Join Study Group?" card.
func (m *Model) PreviewLink(ctx context.Context, token string) error {
	a := m.account()
	if a == nil {
		return m.fail(errLoggedOut)
	}
	return m.preview(ctx, token, a.sess.LinkInfo)
}

// linkInfo is LinkInfo of the session or of a connection.
type linkInfo func(ctx context.Context, token string) (proto.LinkInfo, error)

func (m *Model) preview(ctx context.Context, token string, ask linkInfo) error {
	m.update(func(st *state.State) { st.LinkPreview = &state.LinkPreview{Token: token} })
	info, err := ask(ctx, token)
	var n state.Notice
	if err != nil {
		n = m.errorNotice(err)
	}
	m.update(func(st *state.State) {
		if st.LinkPreview == nil || st.LinkPreview.Token != token {
			return // closed, or another link since
		}
		p := &state.LinkPreview{Token: token}
		if err != nil {
			p.Error = &n
		} else {
			p.Info = &info
		}
		st.LinkPreview = p
	})
	return err
}

// CloseLinkPreview closes the invite link card.
func (m *Model) CloseLinkPreview() {
	m.update(func(st *state.State) { st.LinkPreview = nil })
}

// JoinLink uses an invite link: joins its group, or files a request in a
// group that asks.
func (m *Model) JoinLink(ctx context.Context, token string) error {
	return m.withAccount(func(a *account) error {
		r, err := a.sess.JoinLink(ctx, token)
		if err != nil {
			return err
		}
		m.CloseLinkPreview()
		return a.joined(ctx, r)
	})
}

// OfferJoinLink remembers an invite link the app was opened with (the
// browser app's ?join=TOKEN): it is previewed once an account is online.
func (m *Model) OfferJoinLink(token string) {
	if token == "" {
		return
	}
	m.mu.Lock()
	m.pendingLink = token
	m.mu.Unlock()
	if a := m.account(); a != nil && a.sess.State() == client.Online {
		a.spawn(func() { a.previewPending(a.ctx, a.sess.LinkInfo) })
	}
}

// previewPending previews the invite link the app was opened with, once.
func (a *account) previewPending(ctx context.Context, ask linkInfo) {
	m := a.m
	m.mu.Lock()
	token := m.pendingLink
	m.pendingLink = ""
	m.mu.Unlock()
	if token != "" {
		m.preview(ctx, token, ask)
	}
}

// OpenGroupSettings opens a group's settings panel and loads it.
func (m *Model) OpenGroupSettings(ctx context.Context, conv proto.ConvID) error {
	return m.withAccount(func(a *account) error {
		m.update(func(st *state.State) { st.Group = &state.GroupPanel{Conv: conv, Loading: true} })
		return a.loadGroup(ctx, conv)
	})
}

// CloseGroupSettings closes the settings panel.
func (m *Model) CloseGroupSettings() {
	m.update(func(st *state.State) { st.Group = nil })
}

// panelConv is the group whose panel is open, 0 if none.
func (m *Model) panelConv() proto.ConvID {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.st.Group == nil {
		return 0
	}
	return m.st.Group.Conv
}

// loadGroup fetches what the panel of conv shows and publishes it if the
// panel is still that group's.
func (a *account) loadGroup(ctx context.Context, conv proto.ConvID) error {
	info, err := a.sess.GroupInfo(ctx, conv)
	if err != nil {
		a.m.update(func(st *state.State) {
			if st.Group != nil && st.Group.Conv == conv {
				g := *st.Group
				g.Loading = false
				st.Group = &g
			}
		})
		return err
	}
	var bans []proto.Ban
	var reqs []proto.JoinRequest
	admin := info.Role == proto.RoleOwner || info.Role == proto.RoleAdmin
	if admin {
		if bans, err = a.sess.Bans(ctx, conv); err != nil {
			return err
		}
		if reqs, err = a.sess.JoinRequests(ctx, conv); err != nil {
			return err
		}
	}
	links, err := a.sess.Links(ctx, conv)
	if err != nil && proto.CodeOf(err) != proto.CodeNotAdmin {
		return err
	}
	a.m.update(func(st *state.State) {
		if admin {
			setRequests(st, conv, reqs)
		}
		if st.Group == nil || st.Group.Conv != conv {
			return
		}
		g := *st.Group
		g.Info, g.Bans, g.Links, g.Loading = &info, bans, links, false
		st.Group = &g
	})
	return nil
}

// reloadGroup refreshes the open panel after a change to its group.
func (a *account) reloadGroup(conv proto.ConvID) {
	if a.m.panelConv() == conv {
		a.spawn(func() {
			if err := a.loadGroup(a.ctx, conv); err != nil && a.ctx.Err() == nil {
				a.m.log.Warn("reload group settings", "conv", conv, "err", err)
			}
		})
	}
}

// setRequests replaces conv's waiting requests in st.
func setRequests(st *state.State, conv proto.ConvID, reqs []proto.JoinRequest) {
	all := make(map[proto.ConvID][]proto.JoinRequest, len(st.JoinRequests)+1)
	for k, v := range st.JoinRequests {
		all[k] = v
	}
	if len(reqs) == 0 {
		delete(all, conv)
	} else {
		all[conv] = reqs
	}
	st.JoinRequests = all
}

// dropRequest removes user's waiting request to join conv from st.
func dropRequest(st *state.State, conv proto.ConvID, user proto.UserID) {
	reqs := st.JoinRequests[conv]
	if !slices.ContainsFunc(reqs, func(r proto.JoinRequest) bool { return r.User.ID == user }) {
		return
	}
	setRequests(st, conv, slices.DeleteFunc(slices.Clone(reqs), func(r proto.JoinRequest) bool { return r.User.ID == user }))
}

// groupAction runs a change to conv and refreshes the panel after it.
func (m *Model) groupAction(conv proto.ConvID, f func(a *account) error) error {
	return m.withAccount(func(a *account) error {
		err := f(a)
		a.reloadGroup(conv)
		return err
	})
}

// SetGroup changes a group's settings (admins): name, description, join
// policy, who may invite and who may send; nil fields stay.
func (m *Model) SetGroup(ctx context.Context, req proto.SetGroupRequest) error {
	return m.groupAction(req.Group, func(a *account) error {
		if req.Name != nil {
			n := strings.TrimSpace(*req.Name)
			if n == "" || utf8.RuneCountInString(n) > proto.MaxNameRunes {
				return badInput(state.InputGroupName, "a group name has 1 to %d characters", proto.MaxNameRunes)
			}
			req.Name = &n
		}
		info, err := a.sess.SetGroup(ctx, req)
		if err != nil {
			return err
		}
		m.notify(state.NoticeGroupSaved, info.Name)
		return nil
	})
}

// SetGroupPicture makes the picture read from r (name is its file name)
// a group's picture (admins): it is uploaded as a picture upload and set
// with set_group; the server keeps a square thumbnail. r is closed.
func (m *Model) SetGroupPicture(ctx context.Context, conv proto.ConvID, name string, r io.ReadCloser) error {
	defer r.Close()
	return m.groupAction(conv, func(a *account) error {
		id, err := a.uploadPicture(ctx, name, r) // settings.go
		if err != nil {
			return err
		}
		return a.setGroupPicture(ctx, conv, id)
	})
}

// SetGroupPictureFile is SetGroupPicture with a file on this device.
func (m *Model) SetGroupPictureFile(ctx context.Context, conv proto.ConvID, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return m.groupAction(conv, func(*account) error { return fmt.Errorf("open the picture: %w", err) })
	}
	return m.SetGroupPicture(ctx, conv, path, f)
}

// RemoveGroupPicture removes a group's picture (admins).
func (m *Model) RemoveGroupPicture(ctx context.Context, conv proto.ConvID) error {
	return m.groupAction(conv, func(a *account) error { return a.setGroupPicture(ctx, conv, "") })
}

// setGroupPicture sets conv's picture to file ("": none) and shows the
// thumbnail at once (its picture event brings it too).
func (a *account) setGroupPicture(ctx context.Context, conv proto.ConvID, file string) error {
	info, err := a.sess.SetGroup(ctx, proto.SetGroupRequest{Group: conv, Picture: &file})
	if err != nil {
		return err
	}
	if err := a.exec(ctx, func() error { return a.storeGroupPicture(ctx, conv, info.Picture) }); err != nil {
		return err
	}
	a.refresh()
	return nil
}

// storeGroupPicture stores a group's picture; the owner runs it.
func (a *account) storeGroupPicture(ctx context.Context, conv proto.ConvID, pic string) error {
	return a.updateConversation(ctx, conv, func(cv *proto.Conversation) bool {
		changed := cv.Picture != pic
		cv.Picture = pic
		return changed
	})
}

// RemoveMember removes a member from a group (admins).
func (m *Model) RemoveMember(ctx context.Context, conv proto.ConvID, user proto.UserID) error {
	return m.groupAction(conv, func(a *account) error { return a.sess.RemoveMember(ctx, conv, user) })
}

// Ban bans a user from a group, removing them if a member (admins).
func (m *Model) Ban(ctx context.Context, conv proto.ConvID, user proto.UserID) error {
	return m.groupAction(conv, func(a *account) error { return a.sess.Ban(ctx, conv, user) })
}

// Unban lifts a ban (admins).
func (m *Model) Unban(ctx context.Context, conv proto.ConvID, user proto.UserID) error {
	return m.groupAction(conv, func(a *account) error { return a.sess.Unban(ctx, conv, user) })
}

// SetAdmin makes a member an admin, or an admin a member (the owner).
func (m *Model) SetAdmin(ctx context.Context, conv proto.ConvID, user proto.UserID, admin bool) error {
	return m.groupAction(conv, func(a *account) error { return a.sess.SetAdmin(ctx, conv, user, admin) })
}

// TransferOwner hands the group to another member (the owner).
func (m *Model) TransferOwner(ctx context.Context, conv proto.ConvID, user proto.UserID) error {
	return m.groupAction(conv, func(a *account) error { return a.sess.TransferOwner(ctx, conv, user) })
}

// AnswerJoin approves or declines a request to join (admins).
func (m *Model) AnswerJoin(ctx context.Context, conv proto.ConvID, user proto.UserID, approve bool) error {
	return m.groupAction(conv, func(a *account) error {
		err := a.sess.AnswerJoin(ctx, conv, user, approve)
		if err == nil || proto.CodeOf(err) == proto.CodeNoSuchRequest {
			m.update(func(st *state.State) { dropRequest(st, conv, user) })
		}
		return err
	})
}

// DeleteGroup deletes a group with its history (the owner). The
// conversation push that follows removes it here too.
func (m *Model) DeleteGroup(ctx context.Context, conv proto.ConvID) error {
	return m.withAccount(func(a *account) error {
		if err := a.sess.DeleteGroup(ctx, conv); err != nil {
			return err
		}
		m.update(func(st *state.State) {
			if st.Group != nil && st.Group.Conv == conv {
				st.Group = nil
			}
		})
		return nil
	})
}

// CreateLink makes an invite link of a group: expiresInMs 0 never
// expires, maxUses 0 has no limit. The panel shows it with its QR code.
func (m *Model) CreateLink(ctx context.Context, conv proto.ConvID, expiresInMs int64, maxUses int) error {
	return m.groupAction(conv, func(a *account) error {
		l, err := a.sess.CreateLink(ctx, proto.CreateLinkRequest{Group: conv, ExpiresInMs: expiresInMs, MaxUses: maxUses})
		if err != nil {
			return err
		}
		m.update(func(st *state.State) {
			if st.Group != nil && st.Group.Conv == conv {
				g := *st.Group
				g.NewLink = &l
				g.Links = append([]proto.InviteLink{l}, g.Links...)
				st.Group = &g
			}
		})
		return nil
	})
}

// ShowLink shows one of the panel's links with its QR code; id 0 hides it.
func (m *Model) ShowLink(id int64) {
	m.update(func(st *state.State) {
		if st.Group == nil {
			return
		}
		g := *st.Group
		g.NewLink = nil
		for i := range g.Links {
			if g.Links[i].ID == id {
				l := g.Links[i]
				g.NewLink = &l
			}
		}
		st.Group = &g
	})
}

// RevokeLink ends an invite link.
func (m *Model) RevokeLink(ctx context.Context, conv proto.ConvID, id int64) error {
	return m.groupAction(conv, func(a *account) error {
		if err := a.sess.RevokeLink(ctx, conv, id); err != nil {
			return err
		}
		m.update(func(st *state.State) {
			if st.Group != nil && st.Group.NewLink != nil && st.Group.NewLink.ID == id {
				g := *st.Group
				g.NewLink = nil
				st.Group = &g
			}
		})
		return nil
	})
}

// loadRequests fetches the waiting join requests of every group after a
// connect; groups I do not run answer not_admin and have none.
func (a *account) loadRequests(ctx context.Context, c *client.Conn) {
	cs, err := a.db.Conversations(ctx)
	if err != nil {
		return
	}
	found := map[proto.ConvID][]proto.JoinRequest{}
	for _, cv := range cs {
		if cv.Kind != proto.KindGroup {
			continue
		}
		reqs, err := c.JoinRequests(ctx, cv.ID)
		if err != nil {
			if errors.Is(err, client.ErrClosed) || ctx.Err() != nil {
				return
			}
			continue
		}
		if len(reqs) > 0 {
			found[cv.ID] = reqs
		}
	}
	a.m.update(func(st *state.State) { st.JoinRequests = found })
}

// joinRequestPush: someone asks to join a group I run.
func (a *account) joinRequestPush(body json.RawMessage) {
	var r proto.JoinRequest
	if err := json.Unmarshal(body, &r); err != nil {
		a.m.log.Warn("bad join_request push", "err", err)
		return
	}
	a.m.update(func(st *state.State) {
		reqs := slices.DeleteFunc(slices.Clone(st.JoinRequests[r.Group]), func(o proto.JoinRequest) bool { return o.User.ID == r.User.ID })
		setRequests(st, r.Group, append(reqs, r))
	})
	a.m.notify(state.NoticeJoinRequestIn, r.User.Name, fmt.Sprint(r.User.ID), r.GroupName, fmt.Sprint(r.Group))
}

// joinAnsweredPush: the admins answered my request.
func (a *account) joinAnsweredPush(body json.RawMessage) {
	var r proto.JoinAnswered
	if err := json.Unmarshal(body, &r); err != nil {
		a.m.log.Warn("bad join_answered push", "err", err)
		return
	}
	kind := state.NoticeJoinDeclined
	if r.Approved {
		kind = state.NoticeJoinApproved
	}
	a.m.notify(kind, r.GroupName, fmt.Sprint(r.Group))
}

// requestAnsweredPush: an admin (I, on any device, or another) answered
// a request to join a group I run: it leaves the list.
func (a *account) requestAnsweredPush(body json.RawMessage) {
	var r proto.JoinRequestAnswered
	if err := json.Unmarshal(body, &r); err != nil {
		a.m.log.Warn("bad join_request_answered push", "err", err)
		return
	}
	a.m.update(func(st *state.State) { dropRequest(st, r.Group, r.User) })
}

// groupEvents applies the group events of pushed messages: a rename
// renames the conversation, the panel reloads, requests answered or
// dropped go, and a member removed or banned is told (their
// conversation went with the conversation push before). The owner runs
// it, after the messages are stored.
func (a *account) groupEvents(ctx context.Context, msgs []proto.Message) {
	for _, msg := range msgs {
		ev := msg.Event
		if ev != nil && ev.Type == proto.EventLeft && ev.Actor.ID == a.user.ID {
			a.leftMe(ctx, msg.Conv)
			continue
		}
		if msg.Kind != proto.MsgGroupEvent && !(msg.Kind == proto.MsgSystem && ev != nil && ev.Type == proto.EventJoined) {
			continue
		}
		if ev == nil {
			continue
		}
		switch ev.Type {
		case proto.EventJoined:
			a.m.update(func(st *state.State) { dropRequest(st, msg.Conv, ev.Actor.ID) })
			continue
		case proto.EventApproved, proto.EventBanned:
			if ev.Subject != nil {
				a.m.update(func(st *state.State) { dropRequest(st, msg.Conv, ev.Subject.ID) })
			}
		case proto.EventRenamed:
			if err := a.rename(ctx, msg.Conv, ev.Name); err != nil {
				a.m.log.Error("store group name", "conv", msg.Conv, "err", err)
			}
		case proto.EventPicture:
			if err := a.storeGroupPicture(ctx, msg.Conv, ev.Picture); err != nil {
				a.m.log.Error("store group picture", "conv", msg.Conv, "err", err)
			}
		}
		if (ev.Type == proto.EventRemoved || ev.Type == proto.EventBanned) && ev.Subject != nil && ev.Subject.ID == a.user.ID {
			a.removedMe(ctx, msg)
			continue
		}
		a.reloadGroup(msg.Conv)
	}
}

// removedMe tells me an admin removed or banned me, and forgets the
// group (the event may have left a placeholder of it).
func (a *account) removedMe(ctx context.Context, msg proto.Message) {
	a.mu.Lock()
	name := a.left[msg.Conv]
	a.mu.Unlock()
	if err := a.db.DeleteConversation(ctx, msg.Conv); err != nil && !errors.Is(err, store.ErrNotFound) {
		a.m.log.Error("forget group I was removed from", "err", err)
	}
	kind := state.NoticeRemovedMe
	if msg.Event.Type == proto.EventBanned {
		kind = state.NoticeBannedMe
	}
	a.m.update(func(st *state.State) {
		if st.Group != nil && st.Group.Conv == msg.Conv {
			st.Group = nil
		}
		setRequests(st, msg.Conv, nil)
	})
	a.setGroupCall(msg.Conv, nil) // its call is no longer mine to join (groupcalls.go)
	a.m.notify(kind, msg.Event.Actor.Name, name, fmt.Sprint(msg.Conv))
}

// leftMe forgets a group I left, here or on another device, once the
// event says so: storing the event may have left a placeholder of it
// (after Leave had deleted it), which would keep its draft. The owner
// runs it.
func (a *account) leftMe(ctx context.Context, conv proto.ConvID) {
	if err := a.db.DeleteConversation(ctx, conv); err != nil && !errors.Is(err, store.ErrNotFound) {
		a.m.log.Error("forget the group I left", "conv", conv, "err", err)
	}
	a.m.update(func(st *state.State) {
		if st.Group != nil && st.Group.Conv == conv {
			st.Group = nil
		}
	})
	a.refresh()
}

// rename stores a group's new name; the owner runs it.
func (a *account) rename(ctx context.Context, conv proto.ConvID, name string) error {
	return a.updateConversation(ctx, conv, func(cv *proto.Conversation) bool {
		changed := name != "" && cv.Name != name
		if changed {
			cv.Name = name
		}
		return changed
	})
}

// updateConversation stores the summary of conv as change makes it, if
// change says it changed it: nothing if conv is not stored, or only as a
// placeholder. The owner runs it.
func (a *account) updateConversation(ctx context.Context, conv proto.ConvID, change func(*proto.Conversation) bool) error {
	cv, err := a.db.Conversation(ctx, conv)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil || cv.Kind == "" {
		return err
	}
	pc := proto.Conversation{
		ID: cv.ID, Kind: cv.Kind, Name: cv.Name, Peer: cv.Peer, Members: cv.Members, LastSeq: cv.LastSeq, Last: cv.Last,
		Picture: cv.Picture,
	}
	if !change(&pc) {
		return nil
	}
	return a.db.PutConversations(ctx, pc)
}

// groupGone handles the conversation push of a group I am no longer in:
// it remembers the name for the removal's notice, says that the owner
// deleted it, and closes its panel. The owner runs it.
func (a *account) groupGone(p proto.ConversationPush) {
	conv := p.Conversation.ID
	a.mu.Lock()
	if a.left == nil {
		a.left = map[proto.ConvID]string{}
	}
	a.left[conv] = p.Conversation.Name
	a.mu.Unlock()
	a.m.update(func(st *state.State) {
		if st.Group != nil && st.Group.Conv == conv {
			st.Group = nil
		}
		setRequests(st, conv, nil)
	})
	a.setGroupCall(conv, nil) // groupcalls.go
	if p.Deleted {
		a.m.notify(state.NoticeGroupDeleted, p.Conversation.Name, fmt.Sprint(conv))
	}
}

// wasMember reports whether the cached member list of conv holds user;
// true when no list is cached (the count then errs towards a ban that
// removed someone, and the next member list or summary corrects it).
func (a *account) wasMember(ctx context.Context, conv proto.ConvID, user proto.UserID) bool {
	ms, err := a.db.Members(ctx, conv)
	if err != nil || len(ms) == 0 {
		return true
	}
	return slices.ContainsFunc(ms, func(m proto.Member) bool { return m.ID == user })
}
