package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"parley/net/proto"
)

// Groups (docs/protocol.md, "Groups"): join policies, join requests,
// roles, removing and banning, and a group's settings. Every change is a
// group event (proto.MsgGroupEvent) appended to the group's history in
// the job that makes it, so members learn of it in order, offline ones
// by sync.

// Roles, as stored in members.role.
const (
	roleMember = 0
	roleAdmin  = 1
	roleOwner  = 2
)

func roleName(r int) string {
	switch r {
	case roleOwner:
		return proto.RoleOwner
	case roleAdmin:
		return proto.RoleAdmin
	}
	return proto.RoleMember
}

// isAdmin reports whether u is the owner or an admin of c.
func (c *convState) isAdmin(u proto.UserID) bool {
	if u == 0 {
		return false
	}
	if u == c.owner {
		return true
	}
	_, ok := slices.BinarySearch(c.admins, u)
	return ok
}

// role returns u's role in c (u must be a member).
func (c *convState) role(u proto.UserID) int {
	switch {
	case u == c.owner:
		return roleOwner
	case c.isAdmin(u):
		return roleAdmin
	}
	return roleMember
}

// answerers are the users who may answer c's join requests.
func (c *convState) answerers() []proto.UserID {
	us := slices.Clone(c.admins)
	if c.owner != 0 {
		us = append(us, c.owner)
	}
	return us
}

// mayDelete decides whether actor may delete msg of c for everyone: its
// sender, or in a group the owner and the admins.
func mayDelete(actor proto.UserID, c *convState, msg proto.Message) bool {
	return msg.Sender == actor || c.kind == proto.KindGroup && c.isAdmin(actor)
}

// maySend refuses a message from sender to c when only admins may send,
// and any in a direct conversation with a deleted account.
func (c *convState) maySend(sender proto.UserID) error {
	if c.peerGone {
		return proto.Errorf(proto.CodeAccountDeleted, "the other person deleted their account: the conversation takes no new messages")
	}
	if c.sendAdmins && !c.isAdmin(sender) {
		return proto.Errorf(proto.CodeNotAdmin, "only the admins of %s may send in it", c.name)
	}
	return nil
}

// setRole gives member u of c a role, in the database and the cache.
func (s *sequencer) setRole(tx *sql.Tx, c *convState, u proto.UserID, role int) error {
	if _, err := tx.Exec("UPDATE members SET role = ? WHERE conv_id = ? AND user_id = ?", role, c.id, u); err != nil {
		return fmt.Errorf("set role of %d in %d: %w", u, c.id, err)
	}
	s.touch(c)
	s.dropRole(c, u)
	switch role {
	case roleOwner:
		c.owner = u
	case roleAdmin:
		i, _ := slices.BinarySearch(c.admins, u)
		c.admins = slices.Insert(slices.Clone(c.admins), i, u)
	}
	return nil
}

// dropRole forgets u's role in the cache (c is touched).
func (s *sequencer) dropRole(c *convState, u proto.UserID) {
	if c.owner == u {
		c.owner = 0
	}
	if _, ok := slices.BinarySearch(c.admins, u); ok {
		c.admins = slices.DeleteFunc(slices.Clone(c.admins), func(a proto.UserID) bool { return a == u })
	}
}

// groupEvent appends a group event by actor to c.
func (s *sequencer) groupEvent(tx *sql.Tx, c *convState, actor proto.User, ev proto.Event) (proto.Message, error) {
	ev.Actor = actor
	return s.append(tx, c, proto.Message{Sender: actor.ID, SenderName: actor.Name, Kind: proto.MsgGroupEvent, Event: &ev})
}

// memberChanged marks the entry just appended as one that made subject a
// member of c (member) or not: its devices get a conversation push before
// it. Call it once the membership has changed.
func (s *sequencer) memberChanged(c *convState, subject proto.UserID, member bool) {
	cm := &s.committed[len(s.committed)-1]
	last := cm.Message
	cm.Conv = &proto.Conversation{ID: c.id, Kind: c.kind, Name: c.name, Members: len(c.members), LastSeq: last.Seq, Last: &last, Picture: c.picture}
	cm.Subject, cm.Member = subject, member
}

// summary is c as a member sees it, last its newest message (loaded if
// zero).
func summary(tx *sql.Tx, c *convState, last proto.Message) (proto.Conversation, error) {
	conv := proto.Conversation{ID: c.id, Kind: c.kind, Name: c.name, Members: len(c.members), LastSeq: c.lastSeq, Picture: c.picture}
	if last.Seq == 0 && c.lastSeq > 0 {
		var err error
		if last, err = messageTx(tx, c.id, c.lastSeq); err != nil {
			return conv, err
		}
	}
	if last.Seq != 0 {
		conv.Last = &last
	}
	return conv, nil
}

func bannedTx(tx *sql.Tx, c *convState, u proto.UserID) (bool, error) {
	var one int
	err := tx.QueryRow("SELECT 1 FROM bans WHERE conv_id = ? AND user_id = ?", c.id, u).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("look up ban of %d in %d: %w", u, c.id, err)
	}
	return true, nil
}

// dropRequest deletes u's waiting request to join c, if any.
func dropRequest(tx *sql.Tx, c *convState, u proto.UserID) error {
	if _, err := tx.Exec("DELETE FROM join_requests WHERE conv_id = ? AND user_id = ?", c.id, u); err != nil {
		return fmt.Errorf("drop join request of %d to %d: %w", u, c.id, err)
	}
	return nil
}

func refuseBanned(tx *sql.Tx, c *convState, u proto.UserID, who string) error {
	banned, err := bannedTx(tx, c, u)
	if err != nil {
		return err
	}
	if banned {
		return proto.Errorf(proto.CodeBanned, "%s banned from %s", who, c.name)
	}
	return nil
}

// joinTx makes user a member of c with a joined event, dropping a
// request of theirs that waits (the group opened meanwhile); a group that
// has no owner (its last member left) gets user as its owner.
func (s *sequencer) joinTx(tx *sql.Tx, c *convState, user proto.User) (proto.Message, error) {
	if err := s.addMember(tx, c, user.ID); err != nil {
		return proto.Message{}, err
	}
	if err := dropRequest(tx, c, user.ID); err != nil {
		return proto.Message{}, err
	}
	if c.owner == 0 {
		if err := s.setRole(tx, c, user.ID, roleOwner); err != nil {
			return proto.Message{}, err
		}
	}
	return s.append(tx, c, systemMessage(user, proto.EventJoined, nil))
}

// NewGroup is what create_group may set.
type NewGroup struct {
	Name, Description string
	Policy            string // "": proto.DefaultPolicy
}

// CreateGroup creates a group with the default settings and owner as its
// first member and owner.
func (d *DB) CreateGroup(ctx context.Context, owner proto.User, name string) (proto.Conversation, error) {
	return d.CreateGroupWith(ctx, owner, NewGroup{Name: name})
}

// CreateGroupWith creates a group with owner as its first member and owner.
func (d *DB) CreateGroupWith(ctx context.Context, owner proto.User, g NewGroup) (proto.Conversation, error) {
	if g.Policy == "" {
		g.Policy = proto.DefaultPolicy
	}
	if !proto.ValidPolicy(g.Policy) {
		return proto.Conversation{}, proto.Errorf(proto.CodeBadRequest, "policy must be invite, ask or open, not %q", g.Policy)
	}
	return d.convWrite(ctx, func(tx *sql.Tx, s *sequencer) (*convState, proto.Message, error) {
		id, err := allocID(tx, "conversations", groupIDDigits)
		if err != nil {
			return nil, proto.Message{}, err
		}
		if _, err := tx.Exec("INSERT INTO conversations (id, kind, name, created, description, policy) VALUES (?, 'group', ?, ?, ?, ?)",
			id, g.Name, d.nowMs(), g.Description, g.Policy); err != nil {
			return nil, proto.Message{}, fmt.Errorf("insert group: %w", err)
		}
		c := &convState{id: proto.ConvID(id), kind: proto.KindGroup, name: g.Name, policy: g.Policy}
		s.add(c)
		if err := s.addMember(tx, c, owner.ID); err != nil {
			return nil, proto.Message{}, err
		}
		if err := s.setRole(tx, c, owner.ID, roleOwner); err != nil {
			return nil, proto.Message{}, err
		}
		m, err := s.append(tx, c, systemMessage(owner, proto.EventCreated, nil))
		return c, m, err
	})
}

// Joined is the outcome of JoinGroup: the caller joined (Conv), or filed
// a request (Request) that Answerers (the owner and admins) may answer.
type Joined struct {
	Conv      *proto.Conversation
	Request   *proto.JoinRequest
	Answerers []proto.UserID
}

// JoinGroup is join_group: by the group's policy, user joins (open),
// files a request (ask), or is refused (invite_only); a banned user is
// refused (banned).
func (d *DB) JoinGroup(ctx context.Context, user proto.User, group proto.ConvID) (Joined, error) {
	v, err := d.exec(ctx, func(tx *sql.Tx, s *sequencer) (any, error) {
		c, err := s.group(tx, group)
		if err != nil {
			return nil, err
		}
		if c.isMember(user.ID) {
			return nil, proto.Errorf(proto.CodeAlreadyMember, "you are already in %s (%d)", c.name, c.id)
		}
		if err := refuseBanned(tx, c, user.ID, "you are"); err != nil {
			return nil, err
		}
		switch c.policy {
		case proto.PolicyOpen:
			m, err := s.joinTx(tx, c, user)
			if err != nil {
				return nil, err
			}
			conv, err := summary(tx, c, m)
			return Joined{Conv: &conv}, err
		case proto.PolicyAsk:
			r, err := s.fileRequest(tx, c, user)
			return Joined{Request: r, Answerers: c.answerers()}, err
		}
		return nil, proto.Errorf(proto.CodeInviteOnly, "%s can be joined only by invitation or invite link", c.name)
	})
	if err != nil {
		return Joined{}, err
	}
	return v.(Joined), nil
}

// fileRequest stores user's request to join c.
func (s *sequencer) fileRequest(tx *sql.Tx, c *convState, user proto.User) (*proto.JoinRequest, error) {
	r := &proto.JoinRequest{Group: c.id, GroupName: c.name, User: user, Time: s.d.nowMs()}
	res, err := tx.Exec("INSERT INTO join_requests (conv_id, user_id, time) VALUES (?, ?, ?) ON CONFLICT DO NOTHING", c.id, user.ID, r.Time)
	if err != nil {
		return nil, fmt.Errorf("file join request: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return nil, fmt.Errorf("file join request: %w", err)
	} else if n == 0 {
		return nil, proto.Errorf(proto.CodeAlreadyRequested, "your request to join %s is waiting for its admins", c.name)
	}
	return r, nil
}

// adminGroup returns group's state for an action of actor that needs an
// admin: no_such_group, not_member or not_admin otherwise.
func (s *sequencer) adminGroup(tx *sql.Tx, group proto.ConvID, actor proto.UserID) (*convState, error) {
	c, err := s.group(tx, group)
	if err != nil {
		return nil, err
	}
	if !c.isMember(actor) {
		return nil, proto.Errorf(proto.CodeNotMember, "you are not a member of %d", group)
	}
	if !c.isAdmin(actor) {
		return nil, proto.Errorf(proto.CodeNotAdmin, "only the admins of %s may do that", c.name)
	}
	return c, nil
}

// ownerGroup is adminGroup for an action only the owner may take.
func (s *sequencer) ownerGroup(tx *sql.Tx, group proto.ConvID, actor proto.UserID) (*convState, error) {
	c, err := s.group(tx, group)
	if err != nil {
		return nil, err
	}
	if !c.isMember(actor) {
		return nil, proto.Errorf(proto.CodeNotMember, "you are not a member of %d", group)
	}
	if c.owner != actor {
		return nil, proto.Errorf(proto.CodeNotOwner, "only the owner of %s may do that", c.name)
	}
	return c, nil
}

// Answered is the outcome of AnswerJoin.
type Answered struct {
	GroupName string
	Joined    bool           // the requester became a member (false: declined, or already one)
	Answerers []proto.UserID // the owner and admins, who no longer see the request
}

// AnswerJoin approves or declines user's request to join group, for an
// admin. An approval adds user with an approved event.
func (d *DB) AnswerJoin(ctx context.Context, actor proto.User, group proto.ConvID, user proto.UserID, approve bool) (Answered, error) {
	v, err := d.exec(ctx, func(tx *sql.Tx, s *sequencer) (any, error) {
		c, err := s.adminGroup(tx, group, actor.ID)
		if err != nil {
			return nil, err
		}
		res, err := tx.Exec("DELETE FROM join_requests WHERE conv_id = ? AND user_id = ?", c.id, user)
		if err != nil {
			return nil, fmt.Errorf("delete join request: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return nil, fmt.Errorf("delete join request: %w", err)
		} else if n == 0 {
			return nil, proto.Errorf(proto.CodeNoSuchRequest, "no request of %d to join %s is waiting", user, c.name)
		}
		a := Answered{GroupName: c.name, Answerers: c.answerers()}
		if !approve || c.isMember(user) {
			return a, nil
		}
		subject, err := userTx(tx, user)
		if err != nil {
			return nil, err
		}
		if err := s.addMember(tx, c, user); err != nil {
			return nil, err
		}
		if _, err := s.groupEvent(tx, c, actor, proto.Event{Type: proto.EventApproved, Subject: &subject}); err != nil {
			return nil, err
		}
		s.memberChanged(c, user, true)
		a.Joined = true
		return a, nil
	})
	if err != nil {
		return Answered{}, err
	}
	return v.(Answered), nil
}

// JoinRequests lists group's waiting requests, for an admin.
func (d *DB) JoinRequests(ctx context.Context, caller proto.UserID, group proto.ConvID) ([]proto.JoinRequest, error) {
	name, err := d.requireRole(ctx, group, caller, roleAdmin)
	if err != nil {
		return nil, err
	}
	rows, err := d.r.QueryContext(ctx, `SELECT u.id, u.name, r.time FROM join_requests r JOIN users u ON u.id = r.user_id
		WHERE r.conv_id = ? ORDER BY r.time, u.id`, group)
	if err != nil {
		return nil, fmt.Errorf("list join requests of %d: %w", group, err)
	}
	defer rows.Close()
	var rs []proto.JoinRequest
	for rows.Next() {
		r := proto.JoinRequest{Group: group, GroupName: name}
		if err := rows.Scan(&r.User.ID, &r.User.Name, &r.Time); err != nil {
			return nil, fmt.Errorf("list join requests of %d: %w", group, err)
		}
		rs = append(rs, r)
	}
	return rs, rows.Err()
}

// requireRole checks, on the reading side, that user has at least role in
// group, and returns the group's name.
func (d *DB) requireRole(ctx context.Context, group proto.ConvID, user proto.UserID, role int) (string, error) {
	var name, kind string
	err := d.r.QueryRowContext(ctx, "SELECT name, kind FROM conversations WHERE id = ? AND deleted = 0", group).Scan(&name, &kind)
	if errors.Is(err, sql.ErrNoRows) || err == nil && kind != proto.KindGroup {
		return "", proto.Errorf(proto.CodeNoSuchGroup, "no group with ID %d", group)
	}
	if err != nil {
		return "", fmt.Errorf("look up group %d: %w", group, err)
	}
	var have int
	err = d.r.QueryRowContext(ctx, "SELECT role FROM members WHERE conv_id = ? AND user_id = ?", group, user).Scan(&have)
	if errors.Is(err, sql.ErrNoRows) {
		return "", proto.Errorf(proto.CodeNotMember, "you are not a member of %d", group)
	}
	if err != nil {
		return "", fmt.Errorf("look up role in %d: %w", group, err)
	}
	switch {
	case have >= role:
		return name, nil
	case role == roleOwner:
		return "", proto.Errorf(proto.CodeNotOwner, "only the owner of %s may do that", name)
	}
	return "", proto.Errorf(proto.CodeNotAdmin, "only the admins of %s may do that", name)
}

// outranks refuses an action of actor on member subject of c (remove,
// ban) unless actor's role is above subject's: admins act on members,
// the owner on admins too, nobody on the owner.
func outranks(c *convState, actor, subject proto.UserID) error {
	switch {
	case actor == subject:
		return proto.Errorf(proto.CodeSelf, "you cannot do that to yourself (leave the group instead)")
	case subject == c.owner:
		return proto.Errorf(proto.CodeNotOwner, "the owner of %s cannot be removed or banned", c.name)
	case c.role(subject) >= c.role(actor):
		return proto.Errorf(proto.CodeNotOwner, "only the owner of %s may remove or ban an admin", c.name)
	}
	return nil
}

// RemoveMember removes subject from group, for an admin. The subject
// gets the removed event, then leaves.
func (d *DB) RemoveMember(ctx context.Context, actor proto.User, group proto.ConvID, subject proto.UserID) error {
	_, err := d.exec(ctx, func(tx *sql.Tx, s *sequencer) (any, error) {
		c, err := s.adminGroup(tx, group, actor.ID)
		if err != nil {
			return nil, err
		}
		if actor.ID != subject && !c.isMember(subject) {
			return nil, proto.Errorf(proto.CodeNotMember, "%d is not a member of %s", subject, c.name)
		}
		if err := outranks(c, actor.ID, subject); err != nil {
			return nil, err
		}
		u, err := userTx(tx, subject)
		if err != nil {
			return nil, err
		}
		return nil, s.expel(tx, c, actor, u, proto.EventRemoved)
	})
	return err
}

// expel appends event (removed or banned) by actor about member u, then
// removes u.
func (s *sequencer) expel(tx *sql.Tx, c *convState, actor, u proto.User, event string) error {
	if _, err := s.groupEvent(tx, c, actor, proto.Event{Type: event, Subject: &u}); err != nil {
		return err
	}
	if err := s.removeMember(tx, c, u.ID); err != nil {
		return err
	}
	s.memberChanged(c, u.ID, false)
	return nil
}

// Ban bans subject from group, for an admin, removing them if a member
// and dropping their waiting request. Banning a banned user changes
// nothing.
func (d *DB) Ban(ctx context.Context, actor proto.User, group proto.ConvID, subject proto.UserID) error {
	_, err := d.exec(ctx, func(tx *sql.Tx, s *sequencer) (any, error) {
		c, err := s.adminGroup(tx, group, actor.ID)
		if err != nil {
			return nil, err
		}
		member := c.isMember(subject)
		if member || actor.ID == subject {
			if err := outranks(c, actor.ID, subject); err != nil {
				return nil, err
			}
		}
		u, err := userTx(tx, subject)
		if err != nil {
			return nil, err
		}
		if banned, err := bannedTx(tx, c, subject); err != nil || banned {
			return nil, err
		}
		if _, err := tx.Exec("INSERT INTO bans (conv_id, user_id, actor, time) VALUES (?, ?, ?, ?)", c.id, subject, actor.ID, s.d.nowMs()); err != nil {
			return nil, fmt.Errorf("ban %d from %d: %w", subject, c.id, err)
		}
		if err := dropRequest(tx, c, subject); err != nil {
			return nil, err
		}
		if member {
			return nil, s.expel(tx, c, actor, u, proto.EventBanned)
		}
		_, err = s.groupEvent(tx, c, actor, proto.Event{Type: proto.EventBanned, Subject: &u})
		return nil, err
	})
	return err
}

// Unban lifts subject's ban from group, for an admin. Unbanning a user
// who is not banned changes nothing.
func (d *DB) Unban(ctx context.Context, actor proto.User, group proto.ConvID, subject proto.UserID) error {
	_, err := d.exec(ctx, func(tx *sql.Tx, s *sequencer) (any, error) {
		c, err := s.adminGroup(tx, group, actor.ID)
		if err != nil {
			return nil, err
		}
		u, err := userTx(tx, subject)
		if err != nil {
			return nil, err
		}
		res, err := tx.Exec("DELETE FROM bans WHERE conv_id = ? AND user_id = ?", c.id, subject)
		if err != nil {
			return nil, fmt.Errorf("unban %d from %d: %w", subject, c.id, err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return nil, err
		}
		_, err = s.groupEvent(tx, c, actor, proto.Event{Type: proto.EventUnbanned, Subject: &u})
		return nil, err
	})
	return err
}

// Bans lists group's banned users, for an admin.
func (d *DB) Bans(ctx context.Context, caller proto.UserID, group proto.ConvID) ([]proto.Ban, error) {
	if _, err := d.requireRole(ctx, group, caller, roleAdmin); err != nil {
		return nil, err
	}
	rows, err := d.r.QueryContext(ctx, `SELECT b.user_id, u.name, b.actor, COALESCE(a.name, ''), b.time FROM bans b
		JOIN users u ON u.id = b.user_id LEFT JOIN users a ON a.id = b.actor
		WHERE b.conv_id = ? ORDER BY b.time, b.user_id`, group)
	if err != nil {
		return nil, fmt.Errorf("list bans of %d: %w", group, err)
	}
	defer rows.Close()
	var bs []proto.Ban
	for rows.Next() {
		var b proto.Ban
		if err := rows.Scan(&b.User.ID, &b.User.Name, &b.By.ID, &b.By.Name, &b.Time); err != nil {
			return nil, fmt.Errorf("list bans of %d: %w", group, err)
		}
		bs = append(bs, b)
	}
	return bs, rows.Err()
}

// SetAdmin makes member subject of group an admin (admin) or a member
// again, for the owner. Giving the role subject has changes nothing.
func (d *DB) SetAdmin(ctx context.Context, actor proto.User, group proto.ConvID, subject proto.UserID, admin bool) error {
	_, err := d.exec(ctx, func(tx *sql.Tx, s *sequencer) (any, error) {
		c, err := s.ownerGroup(tx, group, actor.ID)
		if err != nil {
			return nil, err
		}
		if subject == actor.ID {
			return nil, proto.Errorf(proto.CodeSelf, "the owner's role changes only by transfer_owner")
		}
		if !c.isMember(subject) {
			return nil, proto.Errorf(proto.CodeNotMember, "%d is not a member of %s", subject, c.name)
		}
		role, event := roleMember, proto.EventDemoted
		if admin {
			role, event = roleAdmin, proto.EventPromoted
		}
		if c.role(subject) == role {
			return nil, nil
		}
		u, err := userTx(tx, subject)
		if err != nil {
			return nil, err
		}
		if err := s.setRole(tx, c, subject, role); err != nil {
			return nil, err
		}
		_, err = s.groupEvent(tx, c, actor, proto.Event{Type: event, Subject: &u})
		return nil, err
	})
	return err
}

// TransferOwner makes member subject the owner of group, for the owner,
// who becomes an admin.
func (d *DB) TransferOwner(ctx context.Context, actor proto.User, group proto.ConvID, subject proto.UserID) error {
	_, err := d.exec(ctx, func(tx *sql.Tx, s *sequencer) (any, error) {
		c, err := s.ownerGroup(tx, group, actor.ID)
		if err != nil {
			return nil, err
		}
		if subject == actor.ID {
			return nil, proto.Errorf(proto.CodeSelf, "you already own %s", c.name)
		}
		if !c.isMember(subject) {
			return nil, proto.Errorf(proto.CodeNotMember, "%d is not a member of %s", subject, c.name)
		}
		u, err := userTx(tx, subject)
		if err != nil {
			return nil, err
		}
		if err := s.setRole(tx, c, actor.ID, roleAdmin); err != nil {
			return nil, err
		}
		if err := s.setRole(tx, c, subject, roleOwner); err != nil {
			return nil, err
		}
		_, err = s.groupEvent(tx, c, actor, proto.Event{Type: proto.EventOwner, Subject: &u})
		return nil, err
	})
	return err
}

// passOwnership gives c, whose owner has just left, a new owner: the
// longest-standing admin, else the longest-standing member, with an owner
// event by the one who left. A group nobody is left in stays without one
// (joinTx gives it the next member).
func (s *sequencer) passOwnership(tx *sql.Tx, c *convState, left proto.User) error {
	if len(c.members) == 0 {
		return nil
	}
	var next proto.UserID
	err := tx.QueryRow("SELECT user_id FROM members WHERE conv_id = ? ORDER BY role DESC, joined, user_id LIMIT 1", c.id).Scan(&next)
	if err != nil {
		return fmt.Errorf("choose the next owner of %d: %w", c.id, err)
	}
	u, err := userTx(tx, next)
	if err != nil {
		return err
	}
	if err := s.setRole(tx, c, next, roleOwner); err != nil {
		return err
	}
	_, err = s.groupEvent(tx, c, left, proto.Event{Type: proto.EventOwner, Subject: &u})
	return err
}

// GroupChange is what set_group changes; nil fields stay as they are.
// Name must be clean (the hub checks names). Picture is the file ID of a
// thumbnail the server made for the group (AddThumb), "" none; Source,
// if set, the picture upload it was made from, which goes.
type GroupChange struct {
	Name, Description, Policy, Invite, Send *string
	Picture                                 *string
	Source                                  string
}

// SetGroup changes group's settings, for an admin: each field that
// changes appends its event (renamed, described, policy, picture, and one
// permissions event for invite and send together). It returns the
// SHA-256 of the picture files that went (the old thumbnail, the source
// upload), for the files service to release.
func (d *DB) SetGroup(ctx context.Context, actor proto.User, group proto.ConvID, ch GroupChange) ([]string, error) {
	if p := ch.Policy; p != nil && !proto.ValidPolicy(*p) {
		return nil, proto.Errorf(proto.CodeBadRequest, "policy must be invite, ask or open, not %q", *p)
	}
	for _, v := range []*string{ch.Invite, ch.Send} {
		if v != nil && *v != proto.AllowMembers && *v != proto.AllowAdmins {
			return nil, proto.Errorf(proto.CodeBadRequest, "invite and send must be members or admins, not %q", *v)
		}
	}
	var shas []string
	_, err := d.exec(ctx, func(tx *sql.Tx, s *sequencer) (any, error) {
		shas = nil
		c, err := s.adminGroup(tx, group, actor.ID)
		if err != nil {
			return nil, err
		}
		var desc string
		if err := tx.QueryRow("SELECT description FROM conversations WHERE id = ?", c.id).Scan(&desc); err != nil {
			return nil, fmt.Errorf("load description of %d: %w", c.id, err)
		}
		set := func(column string, v any) error {
			s.touch(c)
			if _, err := tx.Exec("UPDATE conversations SET "+column+" = ? WHERE id = ?", v, c.id); err != nil {
				return fmt.Errorf("set %s of %d: %w", column, c.id, err)
			}
			return nil
		}
		if v := ch.Name; v != nil && *v != c.name {
			if err := set("name", *v); err != nil {
				return nil, err
			}
			c.name = *v
			if _, err := s.groupEvent(tx, c, actor, proto.Event{Type: proto.EventRenamed, Name: *v}); err != nil {
				return nil, err
			}
		}
		if v := ch.Description; v != nil && *v != desc {
			if err := set("description", *v); err != nil {
				return nil, err
			}
			if _, err := s.groupEvent(tx, c, actor, proto.Event{Type: proto.EventDescribed, Description: *v}); err != nil {
				return nil, err
			}
		}
		if v := ch.Policy; v != nil && *v != c.policy {
			if err := set("policy", *v); err != nil {
				return nil, err
			}
			c.policy = *v
			if _, err := s.groupEvent(tx, c, actor, proto.Event{Type: proto.EventPolicy, Policy: *v}); err != nil {
				return nil, err
			}
		}
		invite, send := c.inviteAdmins, c.sendAdmins
		if v := ch.Invite; v != nil {
			invite = *v == proto.AllowAdmins
		}
		if v := ch.Send; v != nil {
			send = *v == proto.AllowAdmins
		}
		if invite != c.inviteAdmins || send != c.sendAdmins {
			if err := set("invite_admins", b2i(invite)); err != nil {
				return nil, err
			}
			if err := set("send_admins", b2i(send)); err != nil {
				return nil, err
			}
			c.inviteAdmins, c.sendAdmins = invite, send
			if _, err := s.groupEvent(tx, c, actor, proto.Event{Type: proto.EventPermissions, Invite: allowed(invite), Send: allowed(send)}); err != nil {
				return nil, err
			}
		}
		if v := ch.Picture; v != nil && *v != c.picture {
			if err := set("picture", *v); err != nil {
				return nil, err
			}
			old := c.picture
			c.picture = *v
			if _, err := s.groupEvent(tx, c, actor, proto.Event{Type: proto.EventPicture, Picture: *v}); err != nil {
				return nil, err
			}
			if old != "" {
				sha, err := dropPictureFile(tx, "DELETE FROM files WHERE id = ? AND conv_id = ? AND purpose = ? RETURNING sha256", old, c.id, PurposeThumb)
				if err != nil {
					return nil, err
				}
				shas = append(shas, sha...)
			}
		}
		if ch.Source != "" {
			sha, err := dropPictureFile(tx, "DELETE FROM files WHERE id = ? AND sender = ? AND purpose = ? RETURNING sha256", ch.Source, actor.ID, PurposePicture)
			if err != nil {
				return nil, err
			}
			shas = append(shas, sha...)
		}
		return nil, nil
	})
	if err != nil {
		return nil, err
	}
	return shas, nil
}

// DropThumb deletes thumbnail id that was made for group and is not its
// picture (set_group refused the change it was made for), and returns
// its blob's SHA-256 for the files service to release.
func (d *DB) DropThumb(ctx context.Context, group proto.ConvID, id string) ([]string, error) {
	v, err := d.exec(ctx, func(tx *sql.Tx, s *sequencer) (any, error) {
		return dropPictureFile(tx, `DELETE FROM files WHERE id = ? AND conv_id = ? AND purpose = ?
			AND id != (SELECT picture FROM conversations WHERE id = ?) RETURNING sha256`, id, group, PurposeThumb, group)
	})
	if err != nil {
		return nil, err
	}
	return v.([]string), nil
}

// dropPictureFile runs query, which deletes at most one file and returns
// its sha256, and returns that (none if it deleted nothing).
func dropPictureFile(tx *sql.Tx, query string, args ...any) ([]string, error) {
	var sha string
	err := tx.QueryRow(query, args...).Scan(&sha)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("drop picture file %v: %w", args[0], err)
	}
	return []string{sha}, nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func allowed(admins bool) string {
	if admins {
		return proto.AllowAdmins
	}
	return proto.AllowMembers
}

// GroupInfo returns group's settings and roles, for a member.
func (d *DB) GroupInfo(ctx context.Context, caller proto.UserID, group proto.ConvID) (proto.GroupInfo, error) {
	g := proto.GroupInfo{ID: group, Admins: []proto.User{}}
	var kind string
	var invite, send bool
	err := d.r.QueryRowContext(ctx, "SELECT kind, name, description, policy, invite_admins, send_admins, picture FROM conversations WHERE id = ? AND deleted = 0", group).
		Scan(&kind, &g.Name, &g.Description, &g.Policy, &invite, &send, &g.Picture)
	if errors.Is(err, sql.ErrNoRows) || err == nil && kind != proto.KindGroup {
		return g, proto.Errorf(proto.CodeNoSuchGroup, "no group with ID %d", group)
	}
	if err != nil {
		return g, fmt.Errorf("load group %d: %w", group, err)
	}
	g.Invite, g.Send = allowed(invite), allowed(send)
	rows, err := d.r.QueryContext(ctx, "SELECT u.id, u.name, m.role FROM members m JOIN users u ON u.id = m.user_id WHERE m.conv_id = ? ORDER BY m.joined, u.id", group)
	if err != nil {
		return g, fmt.Errorf("load members of %d: %w", group, err)
	}
	defer rows.Close()
	for rows.Next() {
		var u proto.User
		var role int
		if err := rows.Scan(&u.ID, &u.Name, &role); err != nil {
			return g, fmt.Errorf("load members of %d: %w", group, err)
		}
		g.Members++
		switch role {
		case roleOwner:
			g.Owner = &u
		case roleAdmin:
			g.Admins = append(g.Admins, u)
		}
		if u.ID == caller {
			g.Role = roleName(role)
		}
	}
	if err := rows.Err(); err != nil {
		return g, fmt.Errorf("load members of %d: %w", group, err)
	}
	if g.Role == "" {
		return proto.GroupInfo{}, proto.Errorf(proto.CodeNotMember, "you are not a member of %d", group)
	}
	return g, nil
}

// Deleted is what DeleteGroup removed: the group as its members knew it,
// who they were, whose requests were waiting, and the blobs no file
// references any more (the files service removes them).
type Deleted struct {
	Conv       proto.Conversation
	Members    []proto.UserID
	Requesters []proto.UserID
	Released   []string
}

// DeleteGroup deletes group, for its owner: its history, files, pins,
// read state, hides, bans, requests and links go; the conversation's row
// stays, marked deleted, so that its ID is never given again.
func (d *DB) DeleteGroup(ctx context.Context, actor proto.User, group proto.ConvID) (Deleted, error) {
	v, err := d.exec(ctx, func(tx *sql.Tx, s *sequencer) (any, error) {
		c, err := s.ownerGroup(tx, group, actor.ID)
		if err != nil {
			return nil, err
		}
		return s.deleteGroup(tx, c)
	})
	if err != nil {
		return Deleted{}, err
	}
	return v.(Deleted), nil
}

// deleteGroup deletes the group c within tx (DeleteGroup).
func (s *sequencer) deleteGroup(tx *sql.Tx, c *convState) (any, error) {
	del := Deleted{Conv: proto.Conversation{ID: c.id, Kind: c.kind, Name: c.name}, Members: c.members}
	rows, err := tx.Query("SELECT user_id FROM join_requests WHERE conv_id = ?", c.id)
	if err != nil {
		return nil, fmt.Errorf("list requests of %d: %w", c.id, err)
	}
	for rows.Next() {
		var u proto.UserID
		if err := rows.Scan(&u); err != nil {
			rows.Close()
			return nil, fmt.Errorf("list requests of %d: %w", c.id, err)
		}
		del.Requesters = append(del.Requesters, u)
	}
	rows.Close()
	var shas []string
	rows, err = tx.Query("SELECT DISTINCT sha256 FROM files WHERE conv_id = ?", c.id)
	if err != nil {
		return nil, fmt.Errorf("list files of %d: %w", c.id, err)
	}
	for rows.Next() {
		var sha string
		if err := rows.Scan(&sha); err != nil {
			rows.Close()
			return nil, fmt.Errorf("list files of %d: %w", c.id, err)
		}
		shas = append(shas, sha)
	}
	rows.Close()
	for _, q := range []string{
		"DELETE FROM messages WHERE conv_id = ?", "DELETE FROM files WHERE conv_id = ?", "DELETE FROM pins WHERE conv_id = ?",
		"DELETE FROM hidden WHERE conv_id = ?", "DELETE FROM reads WHERE conv_id = ?", "DELETE FROM members WHERE conv_id = ?",
		"DELETE FROM bans WHERE conv_id = ?", "DELETE FROM join_requests WHERE conv_id = ?", "DELETE FROM invite_links WHERE conv_id = ?",
		"UPDATE conversations SET deleted = 1, name = '', description = '', picture = '' WHERE id = ?",
	} {
		if _, err := tx.Exec(q, c.id); err != nil {
			return nil, fmt.Errorf("delete group %d: %w", c.id, err)
		}
	}
	for _, sha := range shas {
		var refs int
		if err := tx.QueryRow(blobRefsQuery, sha).Scan(&refs); err != nil {
			return nil, fmt.Errorf("count references of blob %s: %w", sha, err)
		}
		if refs == 0 {
			del.Released = append(del.Released, sha)
		}
	}
	s.touch(c)
	c.gone, c.members, c.owner, c.admins = true, nil, 0, nil
	return del, nil
}
