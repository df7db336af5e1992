package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"parley/net/proto"
)

// Blocking, first-contact requests, muting and archiving: each member's
// own state of a conversation (members.request, notify, notify_until,
// archived_seq) and each user's blocks.
//
// A direct conversation opened by someone who shares no group with the
// other person waits as a request for them (requestWaiting) until they
// accept it or write in it. What one member of a direct conversation does
// not get from the other (they blocked them, or deleted the request) is
// still stored, but reaches them hidden: not pushed, and in their hidden
// list (proto.Hidden) so that history and sync mark it.

// members.request values.
const (
	requestNone    = 0
	requestWaiting = 1
	requestDeleted = 2
)

// loadBlocked adds to c.quiet the members of a direct conversation who
// blocked the other one.
func loadBlocked(tx *sql.Tx, c *convState) error {
	if len(c.members) != 2 {
		return nil
	}
	for i, u := range c.members {
		other := c.members[1-i]
		var one int
		err := tx.QueryRow("SELECT 1 FROM blocks WHERE user_id = ? AND blocked = ?", u, other).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return fmt.Errorf("load blocks of %d: %w", c.id, err)
		}
		if !slices.Contains(c.quiet, u) {
			c.quiet = append(c.quiet, u)
			slices.Sort(c.quiet)
		}
	}
	return nil
}

// silence returns who m reaches when some member of its conversation is
// quiet to the sender, and hides it for those it does not reach. A
// failure there leaves the message stored: it breaks the transaction.
func (s *sequencer) silence(tx *sql.Tx, c *convState, m proto.Message) ([]proto.UserID, error) {
	to := make([]proto.UserID, 0, len(c.members))
	for _, u := range c.members {
		if u == m.Sender || !slices.Contains(c.quiet, u) {
			to = append(to, u)
			continue
		}
		if _, err := tx.Exec(`INSERT INTO hidden (user_id, id, conv_id, seq)
			VALUES (?, (SELECT COALESCE(MAX(id), 0) + 1 FROM hidden WHERE user_id = ?), ?, ?)`, u, u, c.id, m.Seq); err != nil {
			err = fmt.Errorf("hide %d/%d for %d: %w", c.id, m.Seq, u, err)
			s.broken = err
			return nil, err
		}
	}
	return to, nil
}

// reloadQuiet refreshes the cached request and block state of the direct
// conversation of a and b, if the sequencer holds it; it returns its ID
// (0: there is none).
func (s *sequencer) reloadQuiet(tx *sql.Tx, a, b proto.UserID) (proto.ConvID, error) {
	id, err := directID(tx, a, b)
	if err != nil || id == 0 {
		return 0, err
	}
	return id, s.refreshQuiet(tx, id)
}

// refreshQuiet reloads the request and block state of conv into the
// sequencer's cache, after the current job changed it.
func (s *sequencer) refreshQuiet(tx *sql.Tx, id proto.ConvID) error {
	c, err := s.conv(tx, id)
	if err != nil || c == nil {
		return err
	}
	s.touch(c)
	c.quiet, c.waiting = nil, nil
	rows, err := tx.Query("SELECT user_id, request FROM members WHERE conv_id = ? ORDER BY user_id", id)
	if err != nil {
		return fmt.Errorf("load requests of %d: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var u proto.UserID
		var request int
		if err := rows.Scan(&u, &request); err != nil {
			return fmt.Errorf("load requests of %d: %w", id, err)
		}
		switch request {
		case requestWaiting:
			c.waiting = append(c.waiting, u)
		case requestDeleted:
			c.quiet = append(c.quiet, u)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load requests of %d: %w", id, err)
	}
	rows.Close()
	return loadBlocked(tx, c)
}

func directKey(a, b proto.UserID) string { return fmt.Sprintf("%d:%d", min(a, b), max(a, b)) }

// directID is the ID of the direct conversation of a and b, 0 if none.
func directID(tx *sql.Tx, a, b proto.UserID) (proto.ConvID, error) {
	var id proto.ConvID
	err := tx.QueryRow("SELECT id FROM conversations WHERE direct_key = ?", directKey(a, b)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("look up direct conversation: %w", err)
	}
	return id, nil
}

// blockedTx reports whether by has blocked who.
func blockedTx(q interface {
	QueryRow(string, ...any) *sql.Row
}, by, who proto.UserID) (bool, error) {
	var one int
	err := q.QueryRow("SELECT 1 FROM blocks WHERE user_id = ? AND blocked = ?", by, who).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("look up block: %w", err)
	}
	return true, nil
}

// refuseBlocked is the refusal of what subject does not accept from actor.
func refuseBlocked(q interface {
	QueryRow(string, ...any) *sql.Row
}, subject, actor proto.UserID, what string) error {
	b, err := blockedTx(q, subject, actor)
	if err != nil {
		return err
	}
	if b {
		return proto.Errorf(proto.CodeNotAccepted, "this user does not accept %s from you", what)
	}
	return nil
}

// DirectID is the ID of the direct conversation of a and b, 0 if none.
func (d *DB) DirectID(ctx context.Context, a, b proto.UserID) (proto.ConvID, error) {
	var id proto.ConvID
	err := d.r.QueryRowContext(ctx, "SELECT id FROM conversations WHERE direct_key = ?", directKey(a, b)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("look up direct conversation: %w", err)
	}
	return id, nil
}

// Blocked reports whether by has blocked who.
func (d *DB) Blocked(ctx context.Context, by, who proto.UserID) (bool, error) {
	var one int
	err := d.r.QueryRowContext(ctx, "SELECT 1 FROM blocks WHERE user_id = ? AND blocked = ?", by, who).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("look up block: %w", err)
	}
	return true, nil
}

// MayCall reports (as not_accepted) whether callee refuses a call from
// caller: callee blocked them, or a direct message from caller would
// wait as a request, or waits or was deleted as one (blocks.go).
func (d *DB) MayCall(ctx context.Context, caller, callee proto.UserID) error {
	refuse := proto.Errorf(proto.CodeNotAccepted, "this user does not accept calls from you")
	if b, err := d.Blocked(ctx, callee, caller); err != nil || b {
		if err != nil {
			return err
		}
		return refuse
	}
	var req int
	err := d.r.QueryRowContext(ctx, `SELECT m.request FROM conversations c JOIN members m ON m.conv_id = c.id AND m.user_id = ?
		WHERE c.direct_key = ?`, callee, directKey(caller, callee)).Scan(&req)
	switch {
	case err == nil:
		if req != requestNone {
			return refuse
		}
		return nil
	case !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("look up direct conversation: %w", err)
	case d.opts.NoRequests:
		return nil
	}
	var one int
	err = d.r.QueryRowContext(ctx, `SELECT 1 FROM members x JOIN members y ON y.conv_id = x.conv_id AND y.user_id = ?
		JOIN conversations c ON c.id = x.conv_id AND c.kind = 'group' AND c.deleted = 0
		WHERE x.user_id = ? LIMIT 1`, callee, caller).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return refuse
	}
	if err != nil {
		return fmt.Errorf("look up shared groups: %w", err)
	}
	return nil
}

// Block makes me block user. If user's direct conversation with me waits
// as my request, it is deleted for me: its ID comes back (else 0).
// Blocking someone already blocked changes nothing.
func (d *DB) Block(ctx context.Context, me, user proto.UserID) (deleted proto.ConvID, err error) {
	if me == user {
		return 0, proto.Errorf(proto.CodeSelf, "you cannot block yourself")
	}
	v, err := d.exec(ctx, func(tx *sql.Tx, s *sequencer) (any, error) {
		if _, err := userTx(tx, user); err != nil {
			return nil, err
		}
		if _, err := tx.Exec("INSERT INTO blocks (user_id, blocked, time) VALUES (?, ?, ?) ON CONFLICT DO NOTHING", me, user, d.nowMs()); err != nil {
			return nil, fmt.Errorf("block: %w", err)
		}
		id, err := directID(tx, me, user)
		if err != nil {
			return nil, err
		}
		var gone proto.ConvID
		if id != 0 {
			res, err := tx.Exec("UPDATE members SET request = ? WHERE conv_id = ? AND user_id = ? AND request = ?", requestDeleted, id, me, requestWaiting)
			if err != nil {
				return nil, fmt.Errorf("delete request: %w", err)
			}
			if n, _ := res.RowsAffected(); n > 0 {
				gone = id
			}
		}
		_, err = s.reloadQuiet(tx, me, user)
		return gone, err
	})
	if err != nil {
		return 0, err
	}
	return v.(proto.ConvID), nil
}

// Unblock lifts my block of user. Unblocking someone not blocked changes
// nothing. What they sent meanwhile stays hidden for me.
func (d *DB) Unblock(ctx context.Context, me, user proto.UserID) error {
	_, err := d.exec(ctx, func(tx *sql.Tx, s *sequencer) (any, error) {
		if _, err := userTx(tx, user); err != nil {
			return nil, err
		}
		if _, err := tx.Exec("DELETE FROM blocks WHERE user_id = ? AND blocked = ?", me, user); err != nil {
			return nil, fmt.Errorf("unblock: %w", err)
		}
		_, err := s.reloadQuiet(tx, me, user)
		return nil, err
	})
	return err
}

// Blocks lists the users I blocked, most recent first.
func (d *DB) Blocks(ctx context.Context, me proto.UserID) ([]proto.User, error) {
	rows, err := d.r.QueryContext(ctx, `SELECT u.id, u.name FROM blocks b JOIN users u ON u.id = b.blocked
		WHERE b.user_id = ? ORDER BY b.time DESC, b.blocked`, me)
	if err != nil {
		return nil, fmt.Errorf("list blocks: %w", err)
	}
	defer rows.Close()
	us := []proto.User{}
	for rows.Next() {
		var u proto.User
		if err := rows.Scan(&u.ID, &u.Name); err != nil {
			return nil, fmt.Errorf("list blocks: %w", err)
		}
		us = append(us, u)
	}
	return us, rows.Err()
}

// sharesGroup reports whether a and b are members of a common group.
func sharesGroup(tx *sql.Tx, a, b proto.UserID) (bool, error) {
	var one int
	err := tx.QueryRow(`SELECT 1 FROM members x JOIN members y ON y.conv_id = x.conv_id AND y.user_id = ?
		JOIN conversations c ON c.id = x.conv_id AND c.kind = 'group' AND c.deleted = 0
		WHERE x.user_id = ? LIMIT 1`, b, a).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("look up shared groups: %w", err)
	}
	return true, nil
}

// memberRequest is a member's request state, or not_member.
func memberRequest(tx *sql.Tx, conv proto.ConvID, user proto.UserID) (int, error) {
	var r int
	err := tx.QueryRow("SELECT request FROM members WHERE conv_id = ? AND user_id = ?", conv, user).Scan(&r)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, proto.Errorf(proto.CodeNotMember, "you are not a member of %d", conv)
	}
	if err != nil {
		return 0, fmt.Errorf("look up membership: %w", err)
	}
	return r, nil
}

// answerRequest moves my waiting request in conv to state to.
func (d *DB) answerRequest(ctx context.Context, me proto.UserID, conv proto.ConvID, to int) (proto.ConvSettings, error) {
	v, err := d.exec(ctx, func(tx *sql.Tx, s *sequencer) (any, error) {
		r, err := memberRequest(tx, conv, me)
		if err != nil {
			return nil, err
		}
		if r != requestWaiting {
			return nil, proto.Errorf(proto.CodeNoRequest, "%d is not a request waiting for your answer", conv)
		}
		if _, err := tx.Exec("UPDATE members SET request = ? WHERE conv_id = ? AND user_id = ?", to, conv, me); err != nil {
			return nil, fmt.Errorf("answer request: %w", err)
		}
		if err := s.refreshQuiet(tx, conv); err != nil {
			return nil, err
		}
		return settingsTx(tx, me, conv, d.nowMs())
	})
	if err != nil {
		return proto.ConvSettings{}, err
	}
	return v.(proto.ConvSettings), nil
}

// AcceptRequest accepts my waiting request conv.
func (d *DB) AcceptRequest(ctx context.Context, me proto.UserID, conv proto.ConvID) (proto.ConvSettings, error) {
	return d.answerRequest(ctx, me, conv, requestNone)
}

// DeleteRequest deletes my waiting request conv: it leaves my lists, and
// what its sender writes no longer reaches me. They are not told.
func (d *DB) DeleteRequest(ctx context.Context, me proto.UserID, conv proto.ConvID) error {
	_, err := d.answerRequest(ctx, me, conv, requestDeleted)
	return err
}

// SetNotify sets my notification level of conv, until (Unix ms; 0:
// until changed).
func (d *DB) SetNotify(ctx context.Context, me proto.UserID, conv proto.ConvID, level string, until int64) (proto.ConvSettings, error) {
	if !proto.ValidNotify(level) {
		return proto.ConvSettings{}, proto.Errorf(proto.CodeBadRequest, "level must be all, mentions or off")
	}
	now := d.nowMs()
	if until < 0 || until != 0 && until <= now {
		return proto.ConvSettings{}, proto.Errorf(proto.CodeBadRequest, "until must be a time in the future")
	}
	if level == proto.NotifyAll {
		until = 0
	}
	v, err := d.exec(ctx, func(tx *sql.Tx, s *sequencer) (any, error) {
		if _, err := memberRequest(tx, conv, me); err != nil {
			return nil, err
		}
		if _, err := tx.Exec("UPDATE members SET notify = ?, notify_until = ? WHERE conv_id = ? AND user_id = ?", level, until, conv, me); err != nil {
			return nil, fmt.Errorf("set notify: %w", err)
		}
		return settingsTx(tx, me, conv, now)
	})
	if err != nil {
		return proto.ConvSettings{}, err
	}
	return v.(proto.ConvSettings), nil
}

// Archive archives conv for me (until its next message), or unarchives it.
func (d *DB) Archive(ctx context.Context, me proto.UserID, conv proto.ConvID, archived bool) (proto.ConvSettings, error) {
	v, err := d.exec(ctx, func(tx *sql.Tx, s *sequencer) (any, error) {
		if _, err := memberRequest(tx, conv, me); err != nil {
			return nil, err
		}
		q := "UPDATE members SET archived_seq = -1 WHERE conv_id = ? AND user_id = ?"
		if archived {
			q = "UPDATE members SET archived_seq = (SELECT COALESCE(MAX(seq), 0) FROM messages WHERE conv_id = members.conv_id) WHERE conv_id = ? AND user_id = ?"
		}
		if _, err := tx.Exec(q, conv, me); err != nil {
			return nil, fmt.Errorf("archive: %w", err)
		}
		return settingsTx(tx, me, conv, d.nowMs())
	})
	if err != nil {
		return proto.ConvSettings{}, err
	}
	return v.(proto.ConvSettings), nil
}

// settingsSelect reads a member's settings: conv, request, notify,
// notify_until, archived; and whether the newest message is hidden for
// them. A notification level whose time has passed
// reads as all; an archive ends with the first message after it that
// reaches the member (of the kinds that count as unread).
const settingsSelect = `SELECT m.conv_id, m.request, m.notify, m.notify_until,
	m.archived_seq >= 0 AND NOT EXISTS (SELECT 1 FROM messages x WHERE x.conv_id = m.conv_id AND x.seq > m.archived_seq
		AND x.kind IN ` + unreadKinds + `
		AND NOT EXISTS (SELECT 1 FROM hidden h WHERE h.user_id = m.user_id AND h.conv_id = x.conv_id AND h.seq = x.seq)),
	EXISTS (SELECT 1 FROM hidden h WHERE h.user_id = m.user_id AND h.conv_id = m.conv_id
		AND h.seq = (SELECT MAX(seq) FROM messages WHERE conv_id = m.conv_id))
	FROM members m WHERE m.user_id = ?`

func scanSettings(sc interface{ Scan(...any) error }, now int64) (proto.ConvSettings, error) {
	st, _, err := scanSettingsLast(sc, now)
	return st, err
}

func scanSettingsLast(sc interface{ Scan(...any) error }, now int64) (st proto.ConvSettings, lastHidden bool, err error) {
	var request int
	if err := sc.Scan(&st.Conv, &request, &st.Notify, &st.NotifyUntil, &st.Archived, &lastHidden); err != nil {
		return st, false, err
	}
	st.Request = request == requestWaiting
	if st.NotifyUntil != 0 && st.NotifyUntil <= now || st.Notify == "" {
		st.Notify, st.NotifyUntil = proto.NotifyAll, 0
	}
	return st, lastHidden, nil
}

func settingsTx(tx *sql.Tx, me proto.UserID, conv proto.ConvID, now int64) (proto.ConvSettings, error) {
	st, err := scanSettings(tx.QueryRow(settingsSelect+" AND m.conv_id = ?", me, conv), now)
	if err != nil {
		return st, fmt.Errorf("read settings of %d in %d: %w", me, conv, err)
	}
	return st, nil
}

// addSettings fills my own settings into my conversation summaries, and
// marks their newest message if it is hidden for me.
func (d *DB) addSettings(ctx context.Context, me proto.UserID, cs []proto.Conversation) error {
	if len(cs) == 0 {
		return nil
	}
	idx := make(map[proto.ConvID]int, len(cs))
	for i, c := range cs {
		idx[c.ID] = i
	}
	rows, err := d.r.QueryContext(ctx, settingsSelect, me)
	if err != nil {
		return fmt.Errorf("settings of %d: %w", me, err)
	}
	defer rows.Close()
	now := d.nowMs()
	for rows.Next() {
		st, lastHidden, err := scanSettingsLast(rows, now)
		if err != nil {
			return fmt.Errorf("settings of %d: %w", me, err)
		}
		if i, ok := idx[st.Conv]; ok {
			applySettings(&cs[i], st)
			if cs[i].Last != nil {
				cs[i].Last.Hidden = lastHidden
			}
		}
	}
	return rows.Err()
}

// Settings is my own state of conv, or not_member.
func (d *DB) Settings(ctx context.Context, me proto.UserID, conv proto.ConvID) (proto.ConvSettings, error) {
	st, err := scanSettings(d.r.QueryRowContext(ctx, settingsSelect+" AND m.conv_id = ?", me, conv), d.nowMs())
	if errors.Is(err, sql.ErrNoRows) {
		return st, proto.Errorf(proto.CodeNotMember, "you are not a member of %d", conv)
	}
	if err != nil {
		return st, fmt.Errorf("read settings of %d in %d: %w", me, conv, err)
	}
	return st, nil
}

// Hiding is what a member of a direct conversation keeps from the other.
type Hiding int

const (
	HideNothing Hiding = iota
	// HideRead: a request waiting for them. Their presence, read
	// position and typing; their delivered position still shows.
	HideRead
	// HideAll: they blocked the other, or deleted the request. Also
	// their delivered position; and nothing the other sends reaches them.
	HideAll
)

// Hides says what member hider of conv keeps from viewer (only ever
// something in a direct conversation).
func (d *DB) Hides(ctx context.Context, conv proto.ConvID, hider, viewer proto.UserID) (Hiding, error) {
	var h Hiding
	err := d.r.QueryRowContext(ctx, `SELECT COALESCE((SELECT CASE
			WHEN hm.request = 2 OR EXISTS (SELECT 1 FROM blocks hb WHERE hb.user_id = hm.user_id AND hb.blocked = ?3) THEN 2
			WHEN hm.request = 1 THEN 1 ELSE 0 END
		FROM members hm JOIN conversations hc ON hc.id = hm.conv_id AND hc.kind = 'direct'
		WHERE hm.user_id = ?1 AND hm.conv_id = ?2), 0)`, hider, conv, viewer).Scan(&h)
	if err != nil {
		return 0, fmt.Errorf("look up what %d hides in %d: %w", hider, conv, err)
	}
	return h, nil
}

// PresenceConvIDs lists the conversations of user whose members may see
// user's presence.
func (d *DB) PresenceConvIDs(ctx context.Context, user proto.UserID) ([]proto.ConvID, error) {
	return d.convIDs(ctx, user, `SELECT m.conv_id FROM members m WHERE m.user_id = ? AND m.request = 0
		AND NOT EXISTS (SELECT 1 FROM conversations c JOIN members o ON o.conv_id = c.id AND o.user_id != m.user_id
			JOIN blocks b ON b.user_id = m.user_id AND b.blocked = o.user_id
			WHERE c.id = m.conv_id AND c.kind = 'direct')`)
}

// applySettings copies my settings into a summary (a level of all is
// left out).
func applySettings(c *proto.Conversation, st proto.ConvSettings) {
	c.Request, c.Archived, c.NotifyUntil = st.Request, st.Archived, st.NotifyUntil
	c.Notify = ""
	if st.Notify != proto.NotifyAll {
		c.Notify = st.Notify
	}
}

// acceptBySending accepts the request of c waiting for user, who has
// just written in it. A failure leaves the message stored: it breaks the
// transaction.
func (s *sequencer) acceptBySending(tx *sql.Tx, c *convState, user proto.UserID) (*proto.ConvSettings, error) {
	_, err := tx.Exec("UPDATE members SET request = 0 WHERE conv_id = ? AND user_id = ?", c.id, user)
	var st proto.ConvSettings
	if err == nil {
		st, err = settingsTx(tx, user, c.id, s.d.nowMs())
	}
	if err != nil {
		err = fmt.Errorf("accept request %d of %d: %w", c.id, user, err)
		s.broken = err
		return nil, err
	}
	c.waiting = slices.DeleteFunc(slices.Clone(c.waiting), func(u proto.UserID) bool { return u == user })
	return &st, nil
}
