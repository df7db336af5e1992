package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"parley/net/proto"
)

// Invite links (docs/protocol.md, "Invite links"): a random token that
// lets whoever holds it join a group (or, in a group that asks, file a
// request), until it expires, is used up, or is revoked.

// NewLink is what create_link sets: Expires in Unix ms (0: never),
// MaxUses (0: no limit).
type NewLink struct {
	Token   string
	Expires int64
	MaxUses int
}

const linkSelect = `SELECT l.id, l.conv_id, l.token, l.creator, COALESCE(u.name, ''), l.created, l.expires, l.max_uses, l.uses
	FROM invite_links l LEFT JOIN users u ON u.id = l.creator`

func scanLink(sc interface{ Scan(...any) error }) (proto.InviteLink, error) {
	var l proto.InviteLink
	err := sc.Scan(&l.ID, &l.Group, &l.Token, &l.Creator.ID, &l.Creator.Name, &l.Created, &l.Expires, &l.MaxUses, &l.Uses)
	l.Path = proto.JoinPathPrefix + l.Token
	return l, err
}

// CreateLink makes an invite link of group, for a member who may invite.
func (d *DB) CreateLink(ctx context.Context, actor proto.User, group proto.ConvID, nl NewLink) (proto.InviteLink, error) {
	v, err := d.exec(ctx, func(tx *sql.Tx, s *sequencer) (any, error) {
		c, err := s.group(tx, group)
		if err != nil {
			return nil, err
		}
		if !c.isMember(actor.ID) {
			return nil, proto.Errorf(proto.CodeNotMember, "only members of %d can invite", group)
		}
		if c.inviteAdmins && !c.isAdmin(actor.ID) {
			return nil, proto.Errorf(proto.CodeNotAdmin, "only the admins of %s may invite", c.name)
		}
		now := s.d.nowMs()
		var live int
		if err := tx.QueryRow("SELECT COUNT(*) FROM invite_links WHERE conv_id = ? AND revoked = 0 AND (expires = 0 OR expires > ?)", c.id, now).Scan(&live); err != nil {
			return nil, fmt.Errorf("count links of %d: %w", c.id, err)
		}
		if live >= proto.MaxLinksPerGroup {
			return nil, proto.Errorf(proto.CodeTooLarge, "%s has %d links: revoke one first", c.name, live)
		}
		var id int64
		if err := tx.QueryRow("INSERT INTO invite_links (token, conv_id, creator, created, expires, max_uses) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
			nl.Token, c.id, actor.ID, now, nl.Expires, nl.MaxUses).Scan(&id); err != nil {
			return nil, fmt.Errorf("insert invite link: %w", err)
		}
		return proto.InviteLink{ID: id, Group: c.id, Token: nl.Token, Path: proto.JoinPathPrefix + nl.Token, Creator: actor,
			Created: now, Expires: nl.Expires, MaxUses: nl.MaxUses}, nil
	})
	if err != nil {
		return proto.InviteLink{}, err
	}
	return v.(proto.InviteLink), nil
}

// Links lists group's links that are not revoked, newest first: all of
// them for an admin, a member's own for a member.
func (d *DB) Links(ctx context.Context, caller proto.UserID, group proto.ConvID) ([]proto.InviteLink, error) {
	if _, err := d.requireRole(ctx, group, caller, roleMember); err != nil {
		return nil, err
	}
	_, adminErr := d.requireRole(ctx, group, caller, roleAdmin)
	q, args := linkSelect+" WHERE l.conv_id = ? AND l.revoked = 0", []any{group}
	if adminErr != nil {
		q, args = q+" AND l.creator = ?", append(args, caller)
	}
	rows, err := d.r.QueryContext(ctx, q+" ORDER BY l.id DESC", args...)
	if err != nil {
		return nil, fmt.Errorf("list links of %d: %w", group, err)
	}
	defer rows.Close()
	var ls []proto.InviteLink
	for rows.Next() {
		l, err := scanLink(rows)
		if err != nil {
			return nil, fmt.Errorf("list links of %d: %w", group, err)
		}
		ls = append(ls, l)
	}
	return ls, rows.Err()
}

// RevokeLink revokes link id of group, for its creator or an admin.
// Revoking a revoked link changes nothing.
func (d *DB) RevokeLink(ctx context.Context, actor proto.User, group proto.ConvID, id int64) error {
	_, err := d.exec(ctx, func(tx *sql.Tx, s *sequencer) (any, error) {
		c, err := s.group(tx, group)
		if err != nil {
			return nil, err
		}
		if !c.isMember(actor.ID) {
			return nil, proto.Errorf(proto.CodeNotMember, "you are not a member of %d", group)
		}
		var creator proto.UserID
		err = tx.QueryRow("SELECT creator FROM invite_links WHERE id = ? AND conv_id = ?", id, c.id).Scan(&creator)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, proto.Errorf(proto.CodeNoSuchLink, "%s has no link %d", c.name, id)
		}
		if err != nil {
			return nil, fmt.Errorf("look up link %d: %w", id, err)
		}
		if creator != actor.ID && !c.isAdmin(actor.ID) {
			return nil, proto.Errorf(proto.CodeNotAdmin, "only its creator and the admins of %s may revoke link %d", c.name, id)
		}
		if _, err := tx.Exec("UPDATE invite_links SET revoked = 1 WHERE id = ?", id); err != nil {
			return nil, fmt.Errorf("revoke link %d: %w", id, err)
		}
		return nil, nil
	})
	return err
}

// usableLink loads the link of token, or the error of one that cannot be
// used now: no_such_link (unknown, revoked, or its group is gone),
// link_expired (expired or used up).
func usableLink(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, token string, now int64) (proto.InviteLink, error) {
	var revoked bool
	var l proto.InviteLink
	err := q.QueryRowContext(ctx, "SELECT id, conv_id, expires, max_uses, uses, revoked FROM invite_links WHERE token = ?", token).
		Scan(&l.ID, &l.Group, &l.Expires, &l.MaxUses, &l.Uses, &revoked)
	switch {
	case errors.Is(err, sql.ErrNoRows) || err == nil && revoked:
		return l, proto.Errorf(proto.CodeNoSuchLink, "this invite link does not exist or was revoked")
	case err != nil:
		return l, fmt.Errorf("look up invite link: %w", err)
	case l.Expires != 0 && now >= l.Expires:
		return l, proto.Errorf(proto.CodeLinkExpired, "this invite link has expired")
	case l.MaxUses != 0 && l.Uses >= l.MaxUses:
		return l, proto.Errorf(proto.CodeLinkExpired, "this invite link has been used as often as it may be")
	}
	return l, nil
}

// LinkInfo previews the group of a usable link (for the app's question
// and the server's join page).
func (d *DB) LinkInfo(ctx context.Context, token string) (proto.LinkInfo, error) {
	l, err := usableLink(ctx, d.r, token, d.nowMs())
	if err != nil {
		return proto.LinkInfo{}, err
	}
	info := proto.LinkInfo{Group: l.Group}
	err = d.r.QueryRowContext(ctx, "SELECT name, policy, (SELECT COUNT(*) FROM members WHERE conv_id = c.id) FROM conversations c WHERE id = ? AND deleted = 0", l.Group).
		Scan(&info.Name, &info.Policy, &info.Members)
	if errors.Is(err, sql.ErrNoRows) {
		return proto.LinkInfo{}, proto.Errorf(proto.CodeNoSuchLink, "this invite link's group is gone")
	}
	if err != nil {
		return proto.LinkInfo{}, fmt.Errorf("look up the group of a link: %w", err)
	}
	return info, nil
}

// JoinLink is join_link: user joins the link's group (any policy but ask)
// or, in a group that asks, files a request; either is a use of the link.
// A banned user is refused (banned), a member too (already_member).
func (d *DB) JoinLink(ctx context.Context, user proto.User, token string) (Joined, error) {
	v, err := d.exec(ctx, func(tx *sql.Tx, s *sequencer) (any, error) {
		l, err := usableLink(ctx, tx, token, s.d.nowMs())
		if err != nil {
			return nil, err
		}
		c, err := s.group(tx, l.Group)
		if err != nil {
			return nil, proto.Errorf(proto.CodeNoSuchLink, "this invite link's group is gone")
		}
		if c.isMember(user.ID) {
			return nil, proto.Errorf(proto.CodeAlreadyMember, "you are already in %s (%d)", c.name, c.id)
		}
		if err := refuseBanned(tx, c, user.ID, "you are"); err != nil {
			return nil, err
		}
		var j Joined
		if c.policy == proto.PolicyAsk {
			r, err := s.fileRequest(tx, c, user)
			if err != nil {
				return nil, err
			}
			j = Joined{Request: r, Answerers: c.answerers()}
		} else {
			m, err := s.joinTx(tx, c, user)
			if err != nil {
				return nil, err
			}
			conv, err := summary(tx, c, m)
			if err != nil {
				return nil, err
			}
			j = Joined{Conv: &conv}
		}
		if _, err := tx.Exec("UPDATE invite_links SET uses = uses + 1 WHERE id = ?", l.ID); err != nil {
			return nil, fmt.Errorf("count a use of link %d: %w", l.ID, err)
		}
		return j, nil
	})
	if err != nil {
		return Joined{}, err
	}
	return v.(Joined), nil
}
