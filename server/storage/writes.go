package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"parley/net/proto"
)

// ID lengths: user IDs have at least 4 digits. New group IDs have 8 random
// digits, too many to find groups by trying IDs (groups created before
// have 3, which stay valid). Direct conversations are never typed by
// people; they take 9-digit IDs.
const (
	userIDDigits   = 4
	groupIDDigits  = 8
	directIDDigits = 9
)

// CreateUser stores a new account and returns it with its new ID.
func (d *DB) CreateUser(ctx context.Context, name, pwHash string) (proto.User, error) {
	v, err := d.exec(ctx, func(tx *sql.Tx, s *sequencer) (any, error) {
		return d.insertUser(tx, name, pwHash)
	})
	if err != nil {
		return proto.User{}, err
	}
	return v.(proto.User), nil
}

// insertUser stores a new account in tx, with a new ID.
func (d *DB) insertUser(tx *sql.Tx, name, pwHash string) (proto.User, error) {
	id, err := allocID(tx, "users", userIDDigits)
	if err != nil {
		return proto.User{}, err
	}
	if _, err := tx.Exec("INSERT INTO users (id, name, pw_hash, created) VALUES (?, ?, ?, ?)", id, name, pwHash, d.nowMs()); err != nil {
		return proto.User{}, fmt.Errorf("insert user: %w", err)
	}
	return proto.User{ID: proto.UserID(id), Name: name}, nil
}

// CreateSession stores the hash of a new session token for user (see
// StartSession, which also records the platform and address).
func (d *DB) CreateSession(ctx context.Context, tokenHash []byte, user proto.UserID, device string) error {
	return d.StartSession(ctx, tokenHash, user, NewSession{Device: device})
}

// DeleteSession revokes a session token. Revoking an unknown token is not
// an error.
func (d *DB) DeleteSession(ctx context.Context, tokenHash []byte) error {
	_, err := d.exec(ctx, func(tx *sql.Tx, s *sequencer) (any, error) {
		if _, err := tx.Exec("DELETE FROM sessions WHERE token_hash = ?", tokenHash); err != nil {
			return nil, fmt.Errorf("delete session: %w", err)
		}
		return nil, nil
	})
	return err
}

// Send appends a text message from sender to conv. A second send with the
// same (sender, clientID) returns the first message and dup = true.
func (d *DB) Send(ctx context.Context, sender proto.User, conv proto.ConvID, clientID, text string) (proto.Message, bool, error) {
	type sent struct {
		m   proto.Message
		dup bool
	}
	v, err := d.wait(&job{ctx: ctx, single: true, send: &clientKey{sender.ID, clientID}, run: func(tx *sql.Tx, s *sequencer) (any, error) {
		m, dup, err := s.send(tx, sender, conv, clientID, text)
		return sent{m, dup}, err
	}})
	if err != nil {
		return proto.Message{}, false, err
	}
	r := v.(sent)
	return r.m, r.dup, nil
}

// SendAsync is Send without waiting: done receives the result after the
// commit, from the writer goroutine, and must not block. Sends submitted
// in order are sequenced in that order.
func (d *DB) SendAsync(ctx context.Context, sender proto.User, conv proto.ConvID, clientID, text string, done func(m proto.Message, dup bool, err error)) error {
	type sent struct {
		m   proto.Message
		dup bool
	}
	return d.enqueue(&job{ctx: ctx, single: true, send: &clientKey{sender.ID, clientID}, run: func(tx *sql.Tx, s *sequencer) (any, error) {
		m, dup, err := s.send(tx, sender, conv, clientID, text)
		return sent{m, dup}, err
	}, done: func(v any, err error) {
		if err != nil {
			done(proto.Message{}, false, err)
			return
		}
		r := v.(sent)
		done(r.m, r.dup, nil)
	}})
}

// send appends a text message; a single-statement job (its one write, the
// insert, comes last). The idempotency key is checked by the unique
// (sender, client_id) index rather than a lookup before every insert: only
// a refused insert, or a send that would fail, looks for the original.
func (s *sequencer) send(tx *sql.Tx, sender proto.User, conv proto.ConvID, clientID, text string) (proto.Message, bool, error) {
	c, err := s.conv(tx, conv)
	if err != nil {
		return proto.Message{}, false, err
	}
	if c == nil || !c.isMember(sender.ID) {
		// Perhaps the retry of a message sent before the sender left.
		if m, ok, err := s.findByClientID(tx, sender, clientID); err != nil || ok {
			return m, ok, err
		}
		if c == nil {
			return proto.Message{}, false, proto.Errorf(proto.CodeNoSuchConv, "no conversation with ID %d", conv)
		}
		return proto.Message{}, false, proto.Errorf(proto.CodeNotMember, "you are not a member of %d", conv)
	}
	if err := c.maySend(sender.ID); err != nil {
		// Perhaps the retry of a message sent before only admins could.
		if m, ok, ferr := s.findByClientID(tx, sender, clientID); ferr != nil || ok {
			return m, ok, ferr
		}
		return proto.Message{}, false, err
	}
	if s.bulk.inRun && clientID != "" {
		// The insert of a run tells nothing of a taken client ID: look
		// first (bulk.go; no query).
		if m, ok, err := s.findByClientID(tx, sender, clientID); err != nil || ok {
			return m, ok, err
		}
	}
	m, err := s.append(tx, c, proto.Message{ClientID: clientID, Sender: sender.ID, SenderName: sender.Name, Kind: proto.MsgText, Text: text})
	if isUniqueViolation(err) {
		if old, ok, ferr := s.findByClientID(tx, sender, clientID); ferr != nil || ok {
			return old, ok, ferr
		}
	}
	return m, false, err
}

// isUniqueViolation reports whether err is the database refusing a row
// that a unique index already holds.
func isUniqueViolation(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || pgCode(err) == pgUniqueViolation || errors.Is(err, errDuplicateClientID)
}

func (s *sequencer) findByClientID(tx *sql.Tx, sender proto.User, clientID string) (proto.Message, bool, error) {
	m := proto.Message{ClientID: clientID, Sender: sender.ID, SenderName: sender.Name}
	if s.bulk.inRun {
		// Every key of the current run is known without a query.
		old, ok := s.lookupInRun(clientKey{sender.ID, clientID})
		if !ok {
			return proto.Message{}, false, nil
		}
		m.Conv, m.Seq, m.Time, m.Kind, m.Text = old.Conv, old.Seq, old.Time, old.Kind, old.Text
		return m, true, nil
	}
	st, err := s.stmt(tx, sqlByClientID)
	if err != nil {
		return m, false, err
	}
	err = st.QueryRow(sender.ID, clientID).Scan(&m.Conv, &m.Seq, &m.Time, &m.Kind, &m.Text)
	if errors.Is(err, sql.ErrNoRows) {
		return proto.Message{}, false, nil
	}
	if err != nil {
		return proto.Message{}, false, fmt.Errorf("look up client id: %w", err)
	}
	return m, true, nil
}

// Invite adds subject to group on behalf of actor, who must be a member.
// It returns the group as the subject sees it.
func (d *DB) Invite(ctx context.Context, actor proto.User, subject proto.UserID, group proto.ConvID) (proto.User, proto.Conversation, error) {
	var invited proto.User
	conv, err := d.convWrite(ctx, func(tx *sql.Tx, s *sequencer) (*convState, proto.Message, error) {
		c, err := s.group(tx, group)
		if err != nil {
			return nil, proto.Message{}, err
		}
		if !c.isMember(actor.ID) {
			return nil, proto.Message{}, proto.Errorf(proto.CodeNotMember, "only members of %d can invite", group)
		}
		if c.inviteAdmins && !c.isAdmin(actor.ID) {
			return nil, proto.Message{}, proto.Errorf(proto.CodeNotAdmin, "only the admins of %s may invite", c.name)
		}
		invited, err = userTx(tx, subject)
		if err != nil {
			return nil, proto.Message{}, err
		}
		if invited.Name == proto.DeletedName && isDeletedTx(tx, subject) {
			return nil, proto.Message{}, proto.Errorf(proto.CodeNoSuchUser, "no user with ID %d: the account was deleted", subject)
		}
		if c.isMember(subject) {
			return nil, proto.Message{}, proto.Errorf(proto.CodeAlreadyMember, "%s (%d) is already in %s", invited.Name, invited.ID, c.name)
		}
		if err := refuseBanned(tx, c, subject, invited.Name+" is"); err != nil {
			return nil, proto.Message{}, err
		}
		if err := refuseBlocked(tx, subject, actor.ID, "being added to groups"); err != nil {
			return nil, proto.Message{}, err
		}
		if err := s.addMember(tx, c, subject); err != nil {
			return nil, proto.Message{}, err
		}
		if c.owner == 0 {
			if err := s.setRole(tx, c, subject, roleOwner); err != nil {
				return nil, proto.Message{}, err
			}
		}
		if err := dropRequest(tx, c, subject); err != nil {
			return nil, proto.Message{}, err
		}
		m, err := s.append(tx, c, systemMessage(actor, proto.EventInvited, &invited))
		return c, m, err
	})
	return invited, conv, err
}

// Leave removes user from a group. The "left" message still reaches the
// leaver's other devices.
func (d *DB) Leave(ctx context.Context, user proto.User, conv proto.ConvID) (proto.Conversation, error) {
	return d.convWrite(ctx, func(tx *sql.Tx, s *sequencer) (*convState, proto.Message, error) {
		c, err := s.conv(tx, conv)
		if err != nil {
			return nil, proto.Message{}, err
		}
		if c == nil || !c.isMember(user.ID) {
			return nil, proto.Message{}, proto.Errorf(proto.CodeNotMember, "you are not a member of %d", conv)
		}
		if c.kind != proto.KindGroup {
			return nil, proto.Message{}, proto.Errorf(proto.CodeNotGroup, "direct conversations cannot be left")
		}
		m, err := s.append(tx, c, systemMessage(user, proto.EventLeft, nil))
		if err != nil {
			return nil, proto.Message{}, err
		}
		owner := c.owner == user.ID
		if err := s.removeMember(tx, c, user.ID); err != nil {
			return nil, proto.Message{}, err
		}
		if owner {
			return c, m, s.passOwnership(tx, c, user)
		}
		return c, m, nil
	})
}

// Direct returns the direct conversation between a and b, creating it on
// first use. It is summarised as a sees it.
func (d *DB) Direct(ctx context.Context, a proto.User, b proto.UserID) (conv proto.Conversation, peer proto.User, created bool, err error) {
	r, err := d.OpenDirect(ctx, a, b)
	return r.Conv, r.Peer, r.Created, err
}

// DirectResult is what OpenDirect did.
type DirectResult struct {
	Conv    proto.Conversation // as a sees it, with a's settings
	Peer    proto.User
	Created bool // the conversation is new
	Waiting bool // it is new and waits as a request for the peer (blocks.go)
	Revived bool // a had deleted it as a request: it is back in a's lists
}

// OpenDirect is Direct, saying more of what it did. A new conversation is
// refused (not_accepted) if b has blocked a, and waits as a request for
// b if they share no group.
func (d *DB) OpenDirect(ctx context.Context, a proto.User, b proto.UserID) (DirectResult, error) {
	var r DirectResult
	if a.ID == b {
		return r, proto.Errorf(proto.CodeSelf, "a direct conversation needs another person")
	}
	key := directKey(a.ID, b)
	conv, err := d.convWrite(ctx, func(tx *sql.Tx, s *sequencer) (*convState, proto.Message, error) {
		r = DirectResult{}
		var err error
		r.Peer, err = profileTx(tx, b)
		if err != nil {
			return nil, proto.Message{}, err
		}
		var id proto.ConvID
		err = tx.QueryRow("SELECT id FROM conversations WHERE direct_key = ?", key).Scan(&id)
		if err == nil {
			req, err := memberRequest(tx, id, a.ID)
			if err != nil {
				return nil, proto.Message{}, err
			}
			if req == requestDeleted {
				if _, err := tx.Exec("UPDATE members SET request = 0 WHERE conv_id = ? AND user_id = ?", id, a.ID); err != nil {
					return nil, proto.Message{}, fmt.Errorf("revive request: %w", err)
				}
				if _, err := s.reloadQuiet(tx, a.ID, b); err != nil {
					return nil, proto.Message{}, err
				}
				r.Revived = true
			}
			c, err := s.conv(tx, id)
			return c, proto.Message{}, err
		}
		if err != sql.ErrNoRows {
			return nil, proto.Message{}, fmt.Errorf("look up direct conversation: %w", err)
		}
		if r.Peer.Deleted {
			return nil, proto.Message{}, proto.Errorf(proto.CodeAccountDeleted, "user %d deleted their account", b)
		}
		if err := refuseBlocked(tx, b, a.ID, "a direct conversation"); err != nil {
			return nil, proto.Message{}, err
		}
		shared, err := d.opts.NoRequests, error(nil)
		if !shared {
			shared, err = sharesGroup(tx, a.ID, b)
		}
		if err != nil {
			return nil, proto.Message{}, err
		}
		n, err := allocID(tx, "conversations", directIDDigits)
		if err != nil {
			return nil, proto.Message{}, err
		}
		if _, err := tx.Exec("INSERT INTO conversations (id, kind, name, direct_key, created) VALUES (?, 'direct', '', ?, ?)", n, key, d.nowMs()); err != nil {
			return nil, proto.Message{}, fmt.Errorf("insert direct conversation: %w", err)
		}
		c := &convState{id: proto.ConvID(n), kind: proto.KindDirect}
		s.add(c)
		for _, u := range []proto.UserID{a.ID, b} {
			if err := s.addMember(tx, c, u); err != nil {
				return nil, proto.Message{}, err
			}
		}
		if !shared {
			if _, err := tx.Exec("UPDATE members SET request = ? WHERE conv_id = ? AND user_id = ?", requestWaiting, n, b); err != nil {
				return nil, proto.Message{}, fmt.Errorf("file request: %w", err)
			}
			c.waiting = []proto.UserID{b}
			r.Waiting = true
		}
		if err := loadBlocked(tx, c); err != nil { // a may have blocked b
			return nil, proto.Message{}, err
		}
		r.Created = true
		return c, proto.Message{}, nil
	})
	if err != nil {
		return DirectResult{}, err
	}
	conv.Name = r.Peer.Name
	conv.Peer = &r.Peer
	if st, err := d.Settings(ctx, a.ID, conv.ID); err == nil {
		applySettings(&conv, st)
	}
	r.Conv = conv
	return r, nil
}

// convWrite runs a write that changes one conversation and summarises it
// from the sequencer's state (last is the message the write appended, if
// any; otherwise Last is loaded).
func (d *DB) convWrite(ctx context.Context, fn func(tx *sql.Tx, s *sequencer) (*convState, proto.Message, error)) (proto.Conversation, error) {
	v, err := d.exec(ctx, func(tx *sql.Tx, s *sequencer) (any, error) {
		c, last, err := fn(tx, s)
		if err != nil {
			return nil, err
		}
		return summary(tx, c, last)
	})
	if err != nil {
		return proto.Conversation{}, err
	}
	return v.(proto.Conversation), nil
}

// group returns a group's state or no_such_group.
func (s *sequencer) group(tx *sql.Tx, id proto.ConvID) (*convState, error) {
	c, err := s.conv(tx, id)
	if err != nil {
		return nil, err
	}
	if c == nil || c.kind != proto.KindGroup {
		return nil, proto.Errorf(proto.CodeNoSuchGroup, "no group with ID %d", id)
	}
	return c, nil
}

func systemMessage(actor proto.User, event string, subject *proto.User) proto.Message {
	return proto.Message{
		Sender: actor.ID, SenderName: actor.Name, Kind: proto.MsgSystem,
		Event: &proto.Event{Type: event, Actor: actor, Subject: subject},
	}
}

func userTx(tx *sql.Tx, id proto.UserID) (proto.User, error) {
	u := proto.User{ID: id}
	err := tx.QueryRow("SELECT name FROM users WHERE id = ?", id).Scan(&u.Name)
	if errors.Is(err, sql.ErrNoRows) {
		return u, proto.Errorf(proto.CodeNoSuchUser, "no user with ID %d", id)
	}
	if err != nil {
		return u, fmt.Errorf("look up user %d: %w", id, err)
	}
	return u, nil
}

// isDeletedTx reports whether user's account was deleted (people.go).
func isDeletedTx(tx *sql.Tx, user proto.UserID) bool {
	var deleted bool
	tx.QueryRow("SELECT deleted FROM users WHERE id = ?", user).Scan(&deleted)
	return deleted
}

func messageTx(tx *sql.Tx, conv proto.ConvID, seq int64) (proto.Message, error) {
	rows, err := tx.Query(messageSelect+" WHERE m.conv_id = ? AND m.seq = ?", conv, seq)
	if err != nil {
		return proto.Message{}, fmt.Errorf("load message %d/%d: %w", conv, seq, err)
	}
	ms, err := scanMessages(rows, 1)
	if err != nil || len(ms) == 0 {
		return proto.Message{}, err
	}
	return ms[0], nil
}
