package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"parley/net/proto"
)

// User returns a user by ID, or no_such_user.
func (d *DB) User(ctx context.Context, id proto.UserID) (proto.User, error) {
	u := proto.User{ID: id}
	err := d.r.QueryRowContext(ctx, "SELECT name FROM users WHERE id = ?", id).Scan(&u.Name)
	if errors.Is(err, sql.ErrNoRows) {
		return u, proto.Errorf(proto.CodeNoSuchUser, "no user with ID %d", id)
	}
	if err != nil {
		return u, fmt.Errorf("look up user %d: %w", id, err)
	}
	return u, nil
}

// PasswordHash returns a user and their stored password hash, or
// no_such_user (also for a deleted account).
func (d *DB) PasswordHash(ctx context.Context, id proto.UserID) (proto.User, string, error) {
	u := proto.User{ID: id}
	var hash string
	err := d.r.QueryRowContext(ctx, "SELECT name, pw_hash FROM users WHERE id = ? AND deleted = 0", id).Scan(&u.Name, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return u, "", proto.Errorf(proto.CodeNoSuchUser, "no user with ID %d", id)
	}
	if err != nil {
		return u, "", fmt.Errorf("look up user %d: %w", id, err)
	}
	return u, hash, nil
}

// SessionUser returns the user a session token hash belongs to, or
// bad_token.
func (d *DB) SessionUser(ctx context.Context, tokenHash []byte) (proto.User, error) {
	var u proto.User
	err := d.r.QueryRowContext(ctx, "SELECT u.id, u.name FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?", tokenHash).Scan(&u.ID, &u.Name)
	if errors.Is(err, sql.ErrNoRows) {
		return u, proto.Errorf(proto.CodeBadToken, "the session has ended: log in again")
	}
	if err != nil {
		return u, fmt.Errorf("look up session: %w", err)
	}
	return u, nil
}

// IsMember reports whether user is a member of conv.
func (d *DB) IsMember(ctx context.Context, conv proto.ConvID, user proto.UserID) (bool, error) {
	var one int
	err := d.r.QueryRowContext(ctx, "SELECT 1 FROM members WHERE conv_id = ? AND user_id = ?", conv, user).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("check membership: %w", err)
	}
	return true, nil
}

// requireMember returns not_member unless user is a member of conv.
func (d *DB) requireMember(ctx context.Context, conv proto.ConvID, user proto.UserID) error {
	ok, err := d.IsMember(ctx, conv, user)
	if err != nil {
		return err
	}
	if !ok {
		return proto.Errorf(proto.CodeNotMember, "you are not a member of %d", conv)
	}
	return nil
}

// Members lists a conversation's members in the order they joined, for a
// caller who must be one of them.
func (d *DB) Members(ctx context.Context, conv proto.ConvID, caller proto.UserID) ([]proto.User, error) {
	if err := d.requireMember(ctx, conv, caller); err != nil {
		return nil, err
	}
	rows, err := d.r.QueryContext(ctx, "SELECT u.id, u.name, u.about, u.picture, u.deleted FROM members m JOIN users u ON u.id = m.user_id WHERE m.conv_id = ? ORDER BY m.joined, u.id", conv)
	if err != nil {
		return nil, fmt.Errorf("list members of %d: %w", conv, err)
	}
	defer rows.Close()
	var us []proto.User
	for rows.Next() {
		var u proto.User
		if err := rows.Scan(&u.ID, &u.Name, &u.About, &u.Picture, &u.Deleted); err != nil {
			return nil, fmt.Errorf("list members of %d: %w", conv, err)
		}
		us = append(us, u)
	}
	return us, rows.Err()
}

// UserConversationIDs lists the conversations user is a member of.
func (d *DB) UserConversationIDs(ctx context.Context, user proto.UserID) ([]proto.ConvID, error) {
	return d.convIDs(ctx, user, "SELECT conv_id FROM members WHERE user_id = ?")
}

// convIDs runs query, which takes user and selects conversation IDs.
func (d *DB) convIDs(ctx context.Context, user proto.UserID, query string) ([]proto.ConvID, error) {
	rows, err := d.r.QueryContext(ctx, query, user)
	if err != nil {
		return nil, fmt.Errorf("list conversations of %d: %w", user, err)
	}
	defer rows.Close()
	var ids []proto.ConvID
	for rows.Next() {
		var id proto.ConvID
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("list conversations of %d: %w", user, err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

const conversationSelect = `
SELECT c.id, c.kind, c.name, c.picture, COALESCE(lm.seq, 0),
	(SELECT COUNT(*) FROM members m2 WHERE m2.conv_id = c.id),
	p.id, p.name, p.about, p.picture, p.deleted,
	lm.seq, lm.sender, lu.name, lm.client_id, lm.time, lm.kind, lm.text, lm.event, lm.meta
FROM members m
JOIN conversations c ON c.id = m.conv_id
LEFT JOIN users p ON c.kind = 'direct' AND p.id = (
	SELECT m3.user_id FROM members m3 WHERE m3.conv_id = c.id AND m3.user_id != m.user_id LIMIT 1)
LEFT JOIN messages lm ON lm.conv_id = c.id AND lm.seq = (SELECT MAX(seq) FROM messages WHERE conv_id = c.id)
LEFT JOIN users lu ON lu.id = lm.sender
WHERE m.user_id = ?`

// Conversations summarises every conversation of user, newest activity
// first.
func (d *DB) Conversations(ctx context.Context, user proto.UserID) ([]proto.Conversation, error) {
	// Requests the user deleted are gone from their lists (blocks.go).
	cs, err := d.conversations(ctx, conversationSelect+" AND m.request != 2", user)
	if err != nil {
		return nil, err
	}
	if err := d.addSettings(ctx, user, cs); err != nil {
		return nil, err
	}
	return cs, d.addReadState(ctx, user, cs)
}

// Conversation summarises one conversation as user sees it, or not_member.
func (d *DB) Conversation(ctx context.Context, user proto.UserID, conv proto.ConvID) (proto.Conversation, error) {
	cs, err := d.conversations(ctx, conversationSelect+" AND c.id = ?", user, conv)
	if err != nil {
		return proto.Conversation{}, err
	}
	if len(cs) == 0 {
		return proto.Conversation{}, proto.Errorf(proto.CodeNotMember, "you are not a member of %d", conv)
	}
	if err := d.addReadState(ctx, user, cs); err != nil {
		return proto.Conversation{}, err
	}
	if err := d.addSettings(ctx, user, cs); err != nil {
		return proto.Conversation{}, err
	}
	return cs[0], nil
}

func (d *DB) conversations(ctx context.Context, query string, args ...any) ([]proto.Conversation, error) {
	rows, err := d.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list conversations: %w", err)
	}
	defer rows.Close()
	var cs []proto.Conversation
	for rows.Next() {
		var (
			c                     proto.Conversation
			peerID                sql.NullInt64
			peerName              sql.NullString
			peerAbout, peerPic    sql.NullString
			peerDeleted           sql.NullBool
			seq, sender, tm       sql.NullInt64
			senderName, clientID  sql.NullString
			kind, text, eventJSON sql.NullString
			meta                  sql.NullString
		)
		if err := rows.Scan(&c.ID, &c.Kind, &c.Name, &c.Picture, &c.LastSeq, &c.Members, &peerID, &peerName, &peerAbout, &peerPic, &peerDeleted,
			&seq, &sender, &senderName, &clientID, &tm, &kind, &text, &eventJSON, &meta); err != nil {
			return nil, fmt.Errorf("list conversations: %w", err)
		}
		if peerID.Valid {
			c.Peer = &proto.User{ID: proto.UserID(peerID.Int64), Name: peerName.String,
				About: peerAbout.String, Picture: peerPic.String, Deleted: peerDeleted.Bool}
			c.Name = peerName.String
		}
		if seq.Valid {
			m := proto.Message{Conv: c.ID, Seq: seq.Int64, Sender: proto.UserID(sender.Int64), SenderName: senderName.String,
				ClientID: clientID.String, Time: tm.Int64, Kind: kind.String, Text: text.String}
			if err := decodeEvent(eventJSON, &m); err != nil {
				return nil, err
			}
			if err := decodeMeta(meta, &m); err != nil {
				return nil, err
			}
			c.Last = &m
		}
		cs = append(cs, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list conversations: %w", err)
	}
	var events []proto.Message // the last messages that are events: current names (people.go)
	for _, c := range cs {
		if c.Last != nil && c.Last.Event != nil {
			events = append(events, *c.Last) // shares the Event
		}
	}
	if err := d.currentNames(ctx, events); err != nil {
		return nil, err
	}
	slices.SortStableFunc(cs, func(a, b proto.Conversation) int {
		return int(lastTime(b) - lastTime(a))
	})
	return cs, nil
}

func lastTime(c proto.Conversation) int64 {
	if c.Last == nil {
		return 0
	}
	return c.Last.Time
}

const messageSelect = `SELECT m.conv_id, m.seq, m.sender, COALESCE(u.name, ''), COALESCE(m.client_id, ''), m.time, m.kind, m.text, m.event, m.meta
FROM messages m LEFT JOIN users u ON u.id = m.sender`

func scanMessages(rows *sql.Rows, capacity int) ([]proto.Message, error) {
	defer rows.Close()
	ms := make([]proto.Message, 0, capacity)
	for rows.Next() {
		var m proto.Message
		var event, meta sql.NullString
		if err := rows.Scan(&m.Conv, &m.Seq, &m.Sender, &m.SenderName, &m.ClientID, &m.Time, &m.Kind, &m.Text, &event, &meta); err != nil {
			return nil, fmt.Errorf("read messages: %w", err)
		}
		if err := decodeEvent(event, &m); err != nil {
			return nil, err
		}
		if err := decodeMeta(meta, &m); err != nil {
			return nil, err
		}
		ms = append(ms, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read messages: %w", err)
	}
	return ms, nil
}

// decodeEvent decodes the event column: a system message's Event, or a
// file message's File (see files.go).
func decodeEvent(s sql.NullString, m *proto.Message) error {
	if !s.Valid || s.String == "" {
		return nil
	}
	if m.Kind == proto.MsgFile {
		m.File = new(proto.File)
		if err := json.Unmarshal([]byte(s.String), m.File); err != nil {
			return fmt.Errorf("decode file of %d/%d: %w", m.Conv, m.Seq, err)
		}
		return nil
	}
	m.Event = new(proto.Event)
	if err := json.Unmarshal([]byte(s.String), m.Event); err != nil {
		return fmt.Errorf("decode event of %d/%d: %w", m.Conv, m.Seq, err)
	}
	return nil
}

// History pages through a conversation for a caller who must be a member
// (see proto.HistoryRequest). Messages come back in ascending seq order.
// The caller has checked req.Limit.
func (d *DB) History(ctx context.Context, caller proto.UserID, req proto.HistoryRequest) ([]proto.Message, bool, error) {
	if err := d.requireMember(ctx, req.Conv, caller); err != nil {
		return nil, false, err
	}
	var ms []proto.Message
	var more bool
	var err error
	switch {
	case req.After != nil:
		ms, more, err = d.page(ctx, req.Conv, pageAfter, *req.After, req.Limit)
	case req.Before != nil:
		ms, more, err = d.page(ctx, req.Conv, pageBefore, *req.Before, req.Limit)
	default:
		ms, more, err = d.page(ctx, req.Conv, pageLatest, 0, req.Limit)
	}
	if err == nil {
		err = d.decorate(ctx, caller, ms)
	}
	return ms, more, err
}

type pageDir int

const (
	pageLatest pageDir = iota // the newest messages
	pageBefore                // the messages just below seq
	pageAfter                 // the messages just above seq
)

var pageQueries = [...]string{
	pageLatest: messageSelect + " WHERE m.conv_id = ? AND ? = 0 ORDER BY m.seq DESC LIMIT ?",
	pageBefore: messageSelect + " WHERE m.conv_id = ? AND m.seq < ? ORDER BY m.seq DESC LIMIT ?",
	pageAfter:  messageSelect + " WHERE m.conv_id = ? AND m.seq > ? ORDER BY m.seq LIMIT ?",
}

// page reads up to limit messages of conv in direction dir from seq, in
// ascending order, and whether more lie beyond them.
func (d *DB) page(ctx context.Context, conv proto.ConvID, dir pageDir, seq int64, limit int) ([]proto.Message, bool, error) {
	rows, err := d.r.QueryContext(ctx, pageQueries[dir], conv, seq, limit+1)
	if err != nil {
		return nil, false, fmt.Errorf("history of %d: %w", conv, err)
	}
	ms, err := scanMessages(rows, limit+1)
	if err != nil {
		return nil, false, err
	}
	more := len(ms) > limit
	if more {
		ms = ms[:limit]
	}
	// A page also stops at a byte budget, so that a reply of long messages
	// stays far below the client's frame limit; the client pages on.
	size := 0
	for i, m := range ms {
		size += len(m.Text) + len(m.SenderName) + 200
		if size > MaxPageBytes && i > 0 {
			ms, more = ms[:i], true
			break
		}
	}
	if dir != pageAfter {
		slices.Reverse(ms)
	}
	return ms, more, nil
}

// MaxPageBytes bounds the text in one page of history (about 4 MiB; JSON
// escaping can at most triple it, well below the client's 16 MiB frame
// limit).
const MaxPageBytes = 4 << 20

// Sync returns every conversation of user and what they missed: for a
// conversation in have, the messages after that seq; for one not in have,
// its newest page (older ones are paged in with history when wanted). At
// most limit messages per conversation; conversations with more after the
// returned ones are listed in the third result.
func (d *DB) Sync(ctx context.Context, user proto.UserID, have map[proto.ConvID]int64, limit int) ([]proto.Conversation, []proto.Message, []proto.ConvID, error) {
	convs, err := d.Conversations(ctx, user)
	if err != nil {
		return nil, nil, nil, err
	}
	var msgs []proto.Message
	var more []proto.ConvID
	for _, c := range convs {
		after, known := have[c.ID]
		if known && after >= c.LastSeq {
			continue
		}
		dir := pageLatest
		if known {
			dir = pageAfter
		}
		ms, hasMore, err := d.page(ctx, c.ID, dir, after, limit)
		if err != nil {
			return nil, nil, nil, err
		}
		if hasMore && known {
			more = append(more, c.ID)
		}
		if err := d.decorate(ctx, user, ms); err != nil {
			return nil, nil, nil, err
		}
		msgs = append(msgs, ms...)
	}
	return convs, msgs, more, nil
}
