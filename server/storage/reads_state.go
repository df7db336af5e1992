package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"parley/net/proto"
)

// Read state: per member of a conversation, the highest seq they have
// read (read_seq) and the highest their devices hold (delivered_seq), in
// table reads; and per user whether they share read receipts
// (users.read_receipts). Positions only move up. See docs/protocol.md,
// "Read state and receipts".

// MaxUnread caps the unread count of a conversation summary.
const MaxUnread = 1000

// unreadKinds are the message kinds that count as unread (edits, deletes,
// reactions and membership events never do).
const unreadKinds = `('text', 'file')`

// Position is one member's read and delivered positions in a conversation.
type Position struct {
	Read, Delivered int64
}

// MarkRead moves user's read position in conv up to seq (and the delivered
// position with it), and returns the positions before and after. seq must
// be a message of conv; the user must be a member.
func (d *DB) MarkRead(ctx context.Context, user proto.UserID, conv proto.ConvID, seq int64) (before, after Position, err error) {
	return d.markPosition(ctx, user, conv, seq, true)
}

// MarkDelivered moves user's delivered position in conv up to seq.
func (d *DB) MarkDelivered(ctx context.Context, user proto.UserID, conv proto.ConvID, seq int64) (before, after Position, err error) {
	return d.markPosition(ctx, user, conv, seq, false)
}

func (d *DB) markPosition(ctx context.Context, user proto.UserID, conv proto.ConvID, seq int64, read bool) (before, after Position, err error) {
	type result struct{ before, after Position }
	v, err := d.exec(ctx, func(tx *sql.Tx, s *sequencer) (any, error) {
		c, err := s.conv(tx, conv)
		if err != nil {
			return nil, err
		}
		if c == nil || !c.isMember(user) {
			return nil, proto.Errorf(proto.CodeNotMember, "you are not a member of %d", conv)
		}
		if seq < 1 || seq > c.lastSeq {
			return nil, proto.Errorf(proto.CodeNoSuchMessage, "conversation %d has no message %d", conv, seq)
		}
		var r result
		err = tx.QueryRow("SELECT read_seq, delivered_seq FROM reads WHERE conv_id = ? AND user_id = ?", conv, user).
			Scan(&r.before.Read, &r.before.Delivered)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("read position of %d in %d: %w", user, conv, err)
		}
		r.after = r.before
		if read {
			r.after.Read = max(r.after.Read, seq)
		}
		r.after.Delivered = max(r.after.Delivered, seq, r.after.Read)
		if r.after == r.before {
			return r, nil
		}
		if _, err := tx.Exec(`INSERT INTO reads (conv_id, user_id, read_seq, delivered_seq) VALUES (?, ?, ?, ?)
			ON CONFLICT (conv_id, user_id) DO UPDATE SET read_seq = excluded.read_seq, delivered_seq = excluded.delivered_seq`,
			conv, user, r.after.Read, r.after.Delivered); err != nil {
			return nil, fmt.Errorf("store read position of %d in %d: %w", user, conv, err)
		}
		return r, nil
	})
	if err != nil {
		return Position{}, Position{}, err
	}
	r := v.(result)
	return r.before, r.after, nil
}

// ReadReceipts reports whether user shares read receipts.
func (d *DB) ReadReceipts(ctx context.Context, user proto.UserID) (bool, error) {
	var on bool
	err := d.r.QueryRowContext(ctx, "SELECT read_receipts FROM users WHERE id = ?", user).Scan(&on)
	if errors.Is(err, sql.ErrNoRows) {
		return false, proto.Errorf(proto.CodeNoSuchUser, "no user with ID %d", user)
	}
	if err != nil {
		return false, fmt.Errorf("read receipts setting of %d: %w", user, err)
	}
	return on, nil
}

// SetReadReceipts turns user's read receipts on or off.
func (d *DB) SetReadReceipts(ctx context.Context, user proto.UserID, on bool) error {
	_, err := d.exec(ctx, func(tx *sql.Tx, s *sequencer) (any, error) {
		if _, err := tx.Exec("UPDATE users SET read_receipts = ? WHERE id = ?", on, user); err != nil {
			return nil, fmt.Errorf("set read receipts of %d: %w", user, err)
		}
		return nil, nil
	})
	return err
}

// SeenBy lists the members of conv other than caller who have read seq and
// share read receipts, in the order they joined. The caller must be a
// member and share read receipts (else receipts_off); seq must exist.
func (d *DB) SeenBy(ctx context.Context, caller proto.UserID, conv proto.ConvID, seq int64) ([]proto.User, error) {
	if err := d.requireMember(ctx, conv, caller); err != nil {
		return nil, err
	}
	on, err := d.ReadReceipts(ctx, caller)
	if err != nil {
		return nil, err
	}
	if !on {
		return nil, proto.Errorf(proto.CodeReceiptsOff, "you turned read receipts off, so you see none")
	}
	if err := d.requireMessage(ctx, conv, seq); err != nil {
		return nil, err
	}
	rows, err := d.r.QueryContext(ctx, `SELECT u.id, u.name FROM members m
		JOIN reads r ON r.conv_id = m.conv_id AND r.user_id = m.user_id
		JOIN users u ON u.id = m.user_id
		WHERE m.conv_id = ? AND m.user_id != ? AND r.read_seq >= ? AND u.read_receipts = 1
		ORDER BY m.joined, u.id`, conv, caller, seq)
	if err != nil {
		return nil, fmt.Errorf("seen by in %d: %w", conv, err)
	}
	defer rows.Close()
	us := []proto.User{}
	for rows.Next() {
		var u proto.User
		if err := rows.Scan(&u.ID, &u.Name); err != nil {
			return nil, fmt.Errorf("seen by in %d: %w", conv, err)
		}
		us = append(us, u)
	}
	return us, rows.Err()
}

// requireMessage returns no_such_message unless conv has a message seq.
func (d *DB) requireMessage(ctx context.Context, conv proto.ConvID, seq int64) error {
	var one int
	err := d.r.QueryRowContext(ctx, "SELECT 1 FROM messages WHERE conv_id = ? AND seq = ?", conv, seq).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return proto.Errorf(proto.CodeNoSuchMessage, "conversation %d has no message %d", conv, seq)
	}
	if err != nil {
		return fmt.Errorf("look up message %d/%d: %w", conv, seq, err)
	}
	return nil
}

// Receipts returns the positions of users in conv, with names, for a
// receipt push; Read is 0 for a user who does not share read receipts.
func (d *DB) Receipts(ctx context.Context, conv proto.ConvID, users []proto.UserID) ([]proto.Receipt, error) {
	out := make([]proto.Receipt, 0, len(users))
	for _, id := range users {
		r := proto.Receipt{User: id}
		var on bool
		err := d.r.QueryRowContext(ctx, `SELECT u.name, u.read_receipts, COALESCE(r.read_seq, 0), COALESCE(r.delivered_seq, 0)
			FROM users u LEFT JOIN reads r ON r.conv_id = ? AND r.user_id = u.id WHERE u.id = ?`, conv, id).
			Scan(&r.Name, &on, &r.Read, &r.Delivered)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("receipt of %d in %d: %w", id, conv, err)
		}
		if !on {
			r.Read = 0
		}
		out = append(out, r)
	}
	return out, nil
}

// Senders lists the distinct senders of conv's messages with seqs in
// (after, upto], other than except: whom a receipt for that range concerns.
func (d *DB) Senders(ctx context.Context, conv proto.ConvID, after, upto int64, except proto.UserID) ([]proto.UserID, error) {
	rows, err := d.r.QueryContext(ctx, `SELECT DISTINCT sender FROM messages
		WHERE conv_id = ? AND seq > ? AND seq <= ? AND sender != ? AND kind IN `+unreadKinds, conv, after, upto, except)
	if err != nil {
		return nil, fmt.Errorf("senders in %d: %w", conv, err)
	}
	defer rows.Close()
	var us []proto.UserID
	for rows.Next() {
		var u proto.UserID
		if err := rows.Scan(&u); err != nil {
			return nil, fmt.Errorf("senders in %d: %w", conv, err)
		}
		us = append(us, u)
	}
	return us, rows.Err()
}

// addReadState fills the read state of user's conversation summaries:
// ReadSeq, Unread, and for a direct conversation the peer's positions.
func (d *DB) addReadState(ctx context.Context, user proto.UserID, cs []proto.Conversation) error {
	if len(cs) == 0 {
		return nil
	}
	idx := make(map[proto.ConvID]int, len(cs))
	for i, c := range cs {
		idx[c.ID] = i
	}
	rows, err := d.r.QueryContext(ctx, `SELECT m.conv_id, COALESCE(r.read_seq, 0),
		(SELECT COUNT(*) FROM (SELECT 1 FROM messages x WHERE x.conv_id = m.conv_id AND x.seq > COALESCE(r.read_seq, 0)
			AND x.sender != m.user_id AND x.kind IN `+unreadKinds+`
			AND NOT EXISTS (SELECT 1 FROM hidden h WHERE h.user_id = m.user_id AND h.conv_id = x.conv_id AND h.seq = x.seq) LIMIT `+fmt.Sprint(MaxUnread)+`) AS unread),
		u.read_receipts
		FROM members m JOIN users u ON u.id = m.user_id
		LEFT JOIN reads r ON r.conv_id = m.conv_id AND r.user_id = m.user_id
		WHERE m.user_id = ?`, user)
	if err != nil {
		return fmt.Errorf("read state of %d: %w", user, err)
	}
	defer rows.Close()
	mine := true
	for rows.Next() {
		var conv proto.ConvID
		var read int64
		var unread int
		if err := rows.Scan(&conv, &read, &unread, &mine); err != nil {
			return fmt.Errorf("read state of %d: %w", user, err)
		}
		if i, ok := idx[conv]; ok {
			cs[i].ReadSeq, cs[i].Unread = read, unread
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read state of %d: %w", user, err)
	}
	rows.Close()
	// A peer who blocked the user, or deleted their request, shows
	// nothing; one whose request waits, no read position (blocks.go).
	peers, err := d.r.QueryContext(ctx, `SELECT me.conv_id, r.read_seq, r.delivered_seq, u.read_receipts = 1 AND NOT EXISTS (
			SELECT 1 FROM members wm WHERE wm.conv_id = me.conv_id AND wm.user_id = r.user_id AND wm.request = 1)
		FROM members me JOIN conversations c ON c.id = me.conv_id AND c.kind = 'direct'
		JOIN reads r ON r.conv_id = me.conv_id AND r.user_id != me.user_id
		JOIN users u ON u.id = r.user_id
		WHERE me.user_id = ?
		AND NOT EXISTS (SELECT 1 FROM members pm WHERE pm.conv_id = me.conv_id AND pm.user_id = r.user_id
			AND (pm.request = 2 OR EXISTS (SELECT 1 FROM blocks pb WHERE pb.user_id = pm.user_id AND pb.blocked = me.user_id)))`, user)
	if err != nil {
		return fmt.Errorf("peer read state of %d: %w", user, err)
	}
	defer peers.Close()
	for peers.Next() {
		var conv proto.ConvID
		var p Position
		var theirs bool
		if err := peers.Scan(&conv, &p.Read, &p.Delivered, &theirs); err != nil {
			return fmt.Errorf("peer read state of %d: %w", user, err)
		}
		if i, ok := idx[conv]; ok {
			cs[i].PeerDelivered = p.Delivered
			if mine && theirs {
				cs[i].PeerRead = p.Read
			}
		}
	}
	if err := peers.Err(); err != nil {
		return fmt.Errorf("peer read state of %d: %w", user, err)
	}
	return nil
}
