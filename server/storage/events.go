package storage

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"parley/net/proto"
)

// History changes (docs/protocol.md, "Changing history"): an edit, a
// delete, a reaction, a pin, a call is a new entry in the conversation's
// stream, appended by the sequencer like a message, and folded into the
// message it targets in the same job, so that reads return messages as
// they are now.

// meta is what messages.meta holds: the fields of proto.Message beyond
// the first schema, under the same JSON names (so it decodes straight
// into a Message).
type meta struct {
	Target    int64            `json:"target,omitempty"`
	Emoji     string           `json:"emoji,omitempty"`
	Call      *proto.CallEntry `json:"call,omitempty"`
	ReplyTo   int64            `json:"reply_to,omitempty"`
	Forwarded *proto.Forwarded `json:"forwarded,omitempty"`
	Mentions  []proto.UserID   `json:"mentions,omitempty"`
	Edited    int64            `json:"edited,omitempty"`
	Deleted   bool             `json:"deleted,omitempty"`
	Reactions []proto.Reaction `json:"reactions,omitempty"`
	Pinned    bool             `json:"pinned,omitempty"`
}

// encodeMeta returns m's meta column: nil for a plain message.
func encodeMeta(m proto.Message) (any, error) {
	x := meta{m.Target, m.Emoji, m.Call, m.ReplyTo, m.Forwarded, m.Mentions, m.Edited, m.Deleted, m.Reactions, m.Pinned}
	if x.Call == nil && x.Forwarded == nil && len(x.Mentions) == 0 && len(x.Reactions) == 0 &&
		x.Target == 0 && x.Emoji == "" && x.ReplyTo == 0 && x.Edited == 0 && !x.Deleted && !x.Pinned {
		return nil, nil
	}
	b, err := json.Marshal(x)
	if err != nil {
		return nil, fmt.Errorf("encode meta of %d/%d: %w", m.Conv, m.Seq, err)
	}
	return string(b), nil
}

func decodeMeta(s sql.NullString, m *proto.Message) error {
	if !s.Valid || s.String == "" {
		return nil
	}
	if err := json.Unmarshal([]byte(s.String), m); err != nil {
		return fmt.Errorf("decode meta of %d/%d: %w", m.Conv, m.Seq, err)
	}
	return nil
}

// Change is one history change requested by a user.
type Change struct {
	Conv     proto.ConvID
	Target   int64  // the seq it changes
	ClientID string // the actor's idempotency key
	Kind     string // proto.MsgEdit, MsgDelete, MsgReact, MsgUnreact, MsgPin or MsgUnpin
	Text     string // edit: the new text, checked by the caller
	Emoji    string // react, unreact: checked by the caller (proto.IsEmoji)
	// EditWindow bounds how long after its send a message may be edited
	// (0: no bound).
	EditWindow time.Duration
}

// ChangeResult is what a change did.
type ChangeResult struct {
	Entry     proto.Message // the appended entry (zero when Unchanged)
	Target    proto.Message // the target as it is now
	Duplicate bool          // a retry: Entry is the first request's
	Unchanged bool          // nothing to do: no entry appended
	// Released is the SHA-256 of a blob that a delete left without any
	// file referencing it: the files service may remove it.
	Released string
}

// ApplyChange appends a history change by actor and folds it into its
// target, in one job. A retry with the same (actor, ClientID) returns the
// first result with Duplicate set and the target as it is now.
func (d *DB) ApplyChange(ctx context.Context, actor proto.User, ch Change) (ChangeResult, error) {
	v, err := d.exec(ctx, func(tx *sql.Tx, s *sequencer) (any, error) {
		return s.applyChange(tx, actor, ch)
	})
	if err != nil {
		return ChangeResult{}, err
	}
	return v.(ChangeResult), nil
}

// retry returns the entry a client id already made and, for a change,
// its target as it is now; ok false if there is none.
func (s *sequencer) retry(tx *sql.Tx, actor proto.User, clientID string) (entry proto.Message, target *proto.Message, ok bool, err error) {
	old, ok, err := s.findByClientID(tx, actor, clientID)
	if err != nil || !ok {
		return proto.Message{}, nil, false, err
	}
	entry, err = messageTx(tx, old.Conv, old.Seq)
	if err != nil || entry.Target == 0 {
		return entry, nil, true, err
	}
	t, err := messageTx(tx, old.Conv, entry.Target)
	return entry, &t, true, err
}

// memberConv returns conv's state for a member, or the error a
// non-member gets.
func (s *sequencer) memberConv(tx *sql.Tx, conv proto.ConvID, user proto.UserID) (*convState, error) {
	c, err := s.conv(tx, conv)
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, proto.Errorf(proto.CodeNoSuchConv, "no conversation with ID %d", conv)
	}
	if !c.isMember(user) {
		return nil, proto.Errorf(proto.CodeNotMember, "you are not a member of %d", conv)
	}
	return c, nil
}

// contentTx loads message seq of conv for a change, a reply or a
// forward: a text or file message, or with calls also a call entry;
// anything else is no_such_message.
func contentTx(tx *sql.Tx, conv proto.ConvID, seq int64, calls bool) (proto.Message, error) {
	m, err := messageTx(tx, conv, seq)
	if err != nil {
		return m, err
	}
	if m.Seq == 0 || m.Kind != proto.MsgText && m.Kind != proto.MsgFile && !(calls && m.Kind == proto.MsgCall) {
		return proto.Message{}, proto.Errorf(proto.CodeNoSuchMessage, "no message %d in conversation %d", seq, conv)
	}
	return m, nil
}

func (s *sequencer) applyChange(tx *sql.Tx, actor proto.User, ch Change) (ChangeResult, error) {
	if entry, target, ok, err := s.retry(tx, actor, ch.ClientID); err != nil || ok {
		r := ChangeResult{Entry: entry, Duplicate: ok}
		if target != nil {
			r.Target = *target
		}
		return r, err
	}
	c, err := s.memberConv(tx, ch.Conv, actor.ID)
	if err != nil {
		return ChangeResult{}, err
	}
	t, err := contentTx(tx, c.id, ch.Target, ch.Kind != proto.MsgEdit)
	if err != nil {
		return ChangeResult{}, err
	}
	if t.Deleted {
		return ChangeResult{}, proto.Errorf(proto.CodeDeleted, "message %d was deleted", t.Seq)
	}
	now := s.d.nowMs()
	r := ChangeResult{}
	switch ch.Kind {
	case proto.MsgEdit:
		switch {
		case t.Sender != actor.ID:
			return r, proto.Errorf(proto.CodeNotSender, "only its sender can edit message %d", t.Seq)
		case t.Kind != proto.MsgText || t.Forwarded != nil:
			return r, proto.Errorf(proto.CodeBadRequest, "only text you wrote can be edited; message %d is not", t.Seq)
		case ch.EditWindow > 0 && now-t.Time > ch.EditWindow.Milliseconds():
			return r, proto.Errorf(proto.CodeEditWindow, "messages can be edited for %s after sending; message %d is older", ch.EditWindow, t.Seq)
		}
		t.Text, t.Edited = ch.Text, now
	case proto.MsgDelete:
		if !mayDelete(actor.ID, c, t) {
			return r, proto.Errorf(proto.CodeNotSender, "only its sender or the group's admins can delete message %d", t.Seq)
		}
		if t.File != nil {
			if r.Released, err = releaseFile(tx, t); err != nil {
				return r, err
			}
		}
		if t.Pinned {
			if _, err := tx.Exec("DELETE FROM pins WHERE conv_id = ? AND seq = ?", c.id, t.Seq); err != nil {
				return r, fmt.Errorf("unpin deleted message: %w", err)
			}
		}
		t.Text, t.File, t.Call, t.Deleted, t.Reactions, t.Pinned, t.Mentions, t.Edited = "", nil, nil, true, nil, false, nil, 0
	case proto.MsgReact, proto.MsgUnreact:
		var changed bool
		t.Reactions, changed = react(t.Reactions, ch.Emoji, actor.ID, ch.Kind == proto.MsgReact)
		r.Unchanged = !changed
	case proto.MsgPin, proto.MsgUnpin:
		pin := ch.Kind == proto.MsgPin
		r.Unchanged = t.Pinned == pin
		if !r.Unchanged {
			q := "INSERT INTO pins (conv_id, seq) VALUES (?, ?)"
			if !pin {
				q = "DELETE FROM pins WHERE conv_id = ? AND seq = ?"
			}
			if _, err := tx.Exec(q, c.id, t.Seq); err != nil {
				return r, fmt.Errorf("pin: %w", err)
			}
		}
		t.Pinned = pin
	default:
		return r, fmt.Errorf("unknown change %q", ch.Kind)
	}
	if r.Unchanged {
		r.Target = t
		return r, nil
	}
	entry := proto.Message{ClientID: ch.ClientID, Sender: actor.ID, SenderName: actor.Name, Kind: ch.Kind, Target: t.Seq, Emoji: ch.Emoji}
	if ch.Kind == proto.MsgEdit {
		entry.Text = ch.Text
	}
	if r.Entry, err = s.append(tx, c, entry); err != nil {
		return r, err
	}
	if ch.Kind == proto.MsgEdit {
		t.Edited = r.Entry.Time // exactly the entry's time
	}
	if err := updateMessage(tx, t); err != nil {
		return r, err
	}
	r.Target = t
	return r, nil
}

// react adds (or removes) user's reaction emoji, reporting whether that
// changed anything. It never modifies rs.
func react(rs []proto.Reaction, emoji string, user proto.UserID, add bool) ([]proto.Reaction, bool) {
	rs = slices.Clone(rs)
	i := slices.IndexFunc(rs, func(r proto.Reaction) bool { return r.Emoji == emoji })
	if add {
		if i < 0 {
			return append(rs, proto.Reaction{Emoji: emoji, Users: []proto.UserID{user}}), true
		}
		if slices.Contains(rs[i].Users, user) {
			return rs, false
		}
		rs[i].Users = append(slices.Clone(rs[i].Users), user)
		return rs, true
	}
	if i < 0 || !slices.Contains(rs[i].Users, user) {
		return rs, false
	}
	rs[i].Users = slices.DeleteFunc(slices.Clone(rs[i].Users), func(u proto.UserID) bool { return u == user })
	if len(rs[i].Users) == 0 {
		rs = slices.Delete(rs, i, i+1)
	}
	return rs, true
}

// updateMessage stores m's folded state.
func updateMessage(tx *sql.Tx, m proto.Message) error {
	meta, err := encodeMeta(m)
	if err != nil {
		return err
	}
	var event any
	if m.File != nil {
		b, err := json.Marshal(m.File)
		if err != nil {
			return fmt.Errorf("encode file: %w", err)
		}
		event = string(b)
	}
	if _, err := tx.Exec("UPDATE messages SET text = ?, event = ?, meta = ? WHERE conv_id = ? AND seq = ?", m.Text, event, meta, m.Conv, m.Seq); err != nil {
		return fmt.Errorf("update message %d/%d: %w", m.Conv, m.Seq, err)
	}
	return nil
}

// releaseFile forgets the file of a deleted message and returns its
// blob's SHA-256 if nothing references that blob any more.
func releaseFile(tx *sql.Tx, m proto.Message) (string, error) {
	if _, err := tx.Exec("DELETE FROM files WHERE conv_id = ? AND seq = ?", m.Conv, m.Seq); err != nil {
		return "", fmt.Errorf("delete file of %d/%d: %w", m.Conv, m.Seq, err)
	}
	var refs int
	if err := tx.QueryRow(blobRefsQuery, m.File.SHA256).Scan(&refs); err != nil {
		return "", fmt.Errorf("count references of blob %s: %w", m.File.SHA256, err)
	}
	if refs > 0 {
		return "", nil
	}
	return m.File.SHA256, nil
}

// blobRefsQuery counts what references a blob: files (a forwarded file
// is a file of its own, with the same SHA-256), uploads whose bytes are
// verified (about to be published with it), and the thumbnails of other
// pictures (media.go; a picture's own thumbnails go with it).
const blobRefsQuery = `SELECT (SELECT COUNT(*) FROM files WHERE sha256 = ?1) + (SELECT COUNT(*) FROM uploads WHERE sha256 = ?1 AND state = 'verified')
	+ (SELECT COUNT(*) FROM thumbs WHERE small_sha = ?1 AND source != ?1) + (SELECT COUNT(*) FROM thumbs WHERE large_sha = ?1 AND source != ?1)`

// BlobReferenced reports whether any file, verified upload or other
// picture's thumbnail references the blob sha (the files service asks
// before removing it).
func (d *DB) BlobReferenced(ctx context.Context, sha string) (bool, error) {
	var n int
	if err := d.r.QueryRowContext(ctx, blobRefsQuery, sha).Scan(&n); err != nil {
		return false, fmt.Errorf("count references of blob %s: %w", sha, err)
	}
	return n > 0, nil
}

// SendExtras are the optional parts of a send (proto.SendRequest).
type SendExtras struct {
	ReplyTo   int64
	Mentions  []proto.UserID
	ForwardOf *proto.MessageRef
}

// SendWith is Send with a reply, mentions or a forward: ReplyTo must name
// a message of conv; Mentions keep only members; a forward copies a
// message of a conversation the sender is a member of (a file by
// reference to the same blob), and text must be empty. A retry returns
// the first message and dup.
func (d *DB) SendWith(ctx context.Context, sender proto.User, conv proto.ConvID, clientID, text string, x SendExtras) (proto.Message, bool, error) {
	type sent struct {
		m   proto.Message
		dup bool
	}
	v, err := d.exec(ctx, func(tx *sql.Tx, s *sequencer) (any, error) {
		m, dup, err := s.sendWith(tx, sender, conv, clientID, text, x)
		return sent{m, dup}, err
	})
	if err != nil {
		return proto.Message{}, false, err
	}
	r := v.(sent)
	return r.m, r.dup, nil
}

func (s *sequencer) sendWith(tx *sql.Tx, sender proto.User, conv proto.ConvID, clientID, text string, x SendExtras) (proto.Message, bool, error) {
	if m, _, ok, err := s.retry(tx, sender, clientID); err != nil || ok {
		if ok && err == nil {
			err = quoteTx(tx, &m)
		}
		return m, ok, err
	}
	c, err := s.memberConv(tx, conv, sender.ID)
	if err != nil {
		return proto.Message{}, false, err
	}
	if err := c.maySend(sender.ID); err != nil {
		return proto.Message{}, false, err
	}
	m := proto.Message{ClientID: clientID, Sender: sender.ID, SenderName: sender.Name, Kind: proto.MsgText, Text: text}
	if x.ReplyTo != 0 {
		if _, err := contentTx(tx, c.id, x.ReplyTo, true); err != nil {
			return m, false, err
		}
		m.ReplyTo = x.ReplyTo
	}
	for _, u := range x.Mentions {
		if c.isMember(u) && !slices.Contains(m.Mentions, u) {
			m.Mentions = append(m.Mentions, u)
		}
	}
	var fwdFile *proto.File
	if ref := x.ForwardOf; ref != nil {
		if _, err := s.memberConv(tx, ref.Conv, sender.ID); err != nil {
			return m, false, err
		}
		src, err := contentTx(tx, ref.Conv, ref.Seq, false)
		if err != nil {
			return m, false, err
		}
		if src.Deleted {
			return m, false, proto.Errorf(proto.CodeDeleted, "message %d was deleted", src.Seq)
		}
		m.Kind, m.Text, m.Forwarded = src.Kind, src.Text, src.Forwarded
		if m.Forwarded == nil {
			m.Forwarded = &proto.Forwarded{From: src.Sender, FromName: src.SenderName}
		}
		if src.File != nil {
			f := *src.File
			f.ID = newFileID()
			fwdFile, m.File = &f, &f
		}
	}
	m, err = s.append(tx, c, m)
	if err != nil {
		return m, false, err
	}
	if fwdFile != nil {
		if _, err := tx.Exec("INSERT INTO files (id, sha256, name, size, type, conv_id, seq, sender, created, media) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			fwdFile.ID, fwdFile.SHA256, fwdFile.Name, fwdFile.Size, fwdFile.Type, m.Conv, m.Seq, sender.ID, m.Time, MediaKind(fwdFile)); err != nil {
			return m, false, fmt.Errorf("insert forwarded file: %w", err)
		}
	}
	if err := quoteTx(tx, &m); err != nil {
		return m, false, err
	}
	s.committed[len(s.committed)-1].Message = m // the push carries the quote too
	return m, false, nil
}

// newFileID returns a file ID of the form the files service makes (128
// random bits in lower-case hex).
func newFileID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// quote summarises m for a reply to it.
func quote(m proto.Message) *proto.Quote {
	q := &proto.Quote{Seq: m.Seq, Sender: m.Sender, SenderName: m.SenderName, Deleted: m.Deleted}
	if m.Deleted {
		return q
	}
	if m.File != nil {
		q.FileName = m.File.Name
	}
	line, _, _ := strings.Cut(strings.TrimSpace(m.Text), "\n")
	if utf8.RuneCountInString(line) > proto.MaxQuoteRunes {
		line = string([]rune(line)[:proto.MaxQuoteRunes]) + "…"
	}
	q.Text = line
	return q
}

func quoteTx(tx *sql.Tx, m *proto.Message) error {
	if m.ReplyTo == 0 {
		return nil
	}
	t, err := messageTx(tx, m.Conv, m.ReplyTo)
	if err != nil {
		return err
	}
	m.Reply = quote(t)
	return nil
}

// decorate adds to a page of one conversation what depends on the moment
// and the reader: the current names in events, the quotes of replies, and
// the hidden mark of the messages user hid.
func (d *DB) decorate(ctx context.Context, user proto.UserID, ms []proto.Message) error {
	if len(ms) == 0 {
		return nil
	}
	if err := d.currentNames(ctx, ms); err != nil { // people.go
		return err
	}
	conv := ms[0].Conv
	for i := range ms {
		if ms[i].ReplyTo == 0 {
			continue
		}
		rows, err := d.r.QueryContext(ctx, messageSelect+" WHERE m.conv_id = ? AND m.seq = ?", conv, ms[i].ReplyTo)
		if err != nil {
			return fmt.Errorf("load quote: %w", err)
		}
		ts, err := scanMessages(rows, 1)
		if err != nil {
			return err
		}
		if len(ts) == 1 {
			ms[i].Reply = quote(ts[0])
		}
	}
	rows, err := d.r.QueryContext(ctx, "SELECT seq FROM hidden WHERE user_id = ? AND conv_id = ? AND seq BETWEEN ? AND ?", user, conv, ms[0].Seq, ms[len(ms)-1].Seq)
	if err != nil {
		return fmt.Errorf("load hidden: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var seq int64
		if err := rows.Scan(&seq); err != nil {
			return fmt.Errorf("load hidden: %w", err)
		}
		if i, ok := slices.BinarySearchFunc(ms, seq, func(m proto.Message, s int64) int { return int(m.Seq - s) }); ok {
			ms[i].Hidden = true
		}
	}
	return rows.Err()
}

// Hide hides message seq of conv for user alone (delete for me). Hiding
// it again returns the first Hidden.
func (d *DB) Hide(ctx context.Context, user proto.UserID, conv proto.ConvID, seq int64) (proto.Hidden, error) {
	v, err := d.exec(ctx, func(tx *sql.Tx, s *sequencer) (any, error) {
		if _, err := s.memberConv(tx, conv, user); err != nil {
			return nil, err
		}
		h := proto.Hidden{Conv: conv, Seq: seq}
		err := tx.QueryRow("SELECT id FROM hidden WHERE user_id = ? AND conv_id = ? AND seq = ?", user, conv, seq).Scan(&h.ID)
		if err == nil {
			return h, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("look up hidden: %w", err)
		}
		if _, err := contentTx(tx, conv, seq, true); err != nil {
			return nil, err
		}
		if err := tx.QueryRow("SELECT COALESCE(MAX(id), 0) + 1 FROM hidden WHERE user_id = ?", user).Scan(&h.ID); err != nil {
			return nil, fmt.Errorf("number hidden: %w", err)
		}
		if _, err := tx.Exec("INSERT INTO hidden (user_id, id, conv_id, seq) VALUES (?, ?, ?, ?)", user, h.ID, conv, seq); err != nil {
			return nil, fmt.Errorf("hide: %w", err)
		}
		return h, nil
	})
	if err != nil {
		return proto.Hidden{}, err
	}
	return v.(proto.Hidden), nil
}

// HiddenAfter lists user's hides with an ID above after, in ID order.
func (d *DB) HiddenAfter(ctx context.Context, user proto.UserID, after int64) ([]proto.Hidden, error) {
	rows, err := d.r.QueryContext(ctx, "SELECT id, conv_id, seq FROM hidden WHERE user_id = ? AND id > ? ORDER BY id LIMIT ?", user, after, proto.MaxHistoryLimit)
	if err != nil {
		return nil, fmt.Errorf("list hidden: %w", err)
	}
	defer rows.Close()
	var hs []proto.Hidden
	for rows.Next() {
		var h proto.Hidden
		if err := rows.Scan(&h.ID, &h.Conv, &h.Seq); err != nil {
			return nil, fmt.Errorf("list hidden: %w", err)
		}
		hs = append(hs, h)
	}
	return hs, rows.Err()
}

// Pins lists the pinned messages of conv, folded, for a member.
func (d *DB) Pins(ctx context.Context, caller proto.UserID, conv proto.ConvID) ([]proto.Message, error) {
	if err := d.requireMember(ctx, conv, caller); err != nil {
		return nil, err
	}
	rows, err := d.r.QueryContext(ctx, messageSelect+" JOIN pins p ON p.conv_id = m.conv_id AND p.seq = m.seq WHERE m.conv_id = ? ORDER BY m.seq", conv)
	if err != nil {
		return nil, fmt.Errorf("list pins of %d: %w", conv, err)
	}
	ms, err := scanMessages(rows, 8)
	if err != nil {
		return nil, err
	}
	return ms, d.decorate(ctx, caller, ms)
}

// RecordCall appends a call entry from the caller to conv (the direct
// conversation of the two people). clientID makes it idempotent.
func (d *DB) RecordCall(ctx context.Context, caller proto.User, conv proto.ConvID, clientID string, e proto.CallEntry) (proto.Message, error) {
	v, err := d.exec(ctx, func(tx *sql.Tx, s *sequencer) (any, error) {
		if m, _, ok, err := s.retry(tx, caller, clientID); err != nil || ok {
			return m, err
		}
		c, err := s.conv(tx, conv)
		if err != nil {
			return nil, err
		}
		if c == nil {
			return nil, proto.Errorf(proto.CodeNoSuchConv, "no conversation with ID %d", conv)
		}
		return s.append(tx, c, proto.Message{ClientID: clientID, Sender: caller.ID, SenderName: caller.Name, Kind: proto.MsgCall, Call: &e})
	})
	if err != nil {
		return proto.Message{}, err
	}
	return v.(proto.Message), nil
}
