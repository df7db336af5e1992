package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"parley/net/proto"
)

// Profiles, passwords and deleting an account (docs/protocol.md, "Profile
// and devices"). Messages do not store their sender's name: reads join
// users, so a new name shows on old messages too. System and group events
// store the names of their actor and subject as they were; reads put the
// current ones in (currentNames).

// File purposes (files.purpose).
const (
	PurposeMessage = ""        // a file of a conversation's message
	PurposePicture = "picture" // a picture upload, waiting for set_profile
	PurposeThumb   = "thumb"   // a profile or group picture the server made
)

const profileCols = "id, name, about, picture, deleted"

func scanProfile(sc interface{ Scan(...any) error }) (proto.User, error) {
	var u proto.User
	err := sc.Scan(&u.ID, &u.Name, &u.About, &u.Picture, &u.Deleted)
	return u, err
}

// Profile returns a user's profile, or no_such_user.
func (d *DB) Profile(ctx context.Context, id proto.UserID) (proto.User, error) {
	u, err := scanProfile(d.r.QueryRowContext(ctx, "SELECT "+profileCols+" FROM users WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return u, proto.Errorf(proto.CodeNoSuchUser, "no user with ID %d", id)
	}
	if err != nil {
		return u, fmt.Errorf("load profile of %d: %w", id, err)
	}
	return u, nil
}

// nextProfileRev is the profile_rev of a change: one above the highest
// (an index lookup; the single writer makes it unique).
const nextProfileRev = "(SELECT COALESCE(MAX(profile_rev), 0) + 1 FROM users)"

// ProfilesAfter returns the profiles of user's contacts (see Contacts),
// and of every deleted account (it left the groups it shared with user,
// and shows nothing but DeletedName), that changed after revision after, and the revision they bring the
// caller to (the highest at the time of the call).
func (d *DB) ProfilesAfter(ctx context.Context, user proto.UserID, after int64) ([]proto.User, int64, error) {
	var rev int64
	if err := d.r.QueryRowContext(ctx, "SELECT COALESCE(MAX(profile_rev), 0) FROM users").Scan(&rev); err != nil {
		return nil, 0, fmt.Errorf("read profile revision: %w", err)
	}
	if rev <= after {
		return nil, rev, nil
	}
	// Changes committed after rev was read are above it: the next sync
	// brings them.
	rows, err := d.r.QueryContext(ctx, "SELECT "+profileCols+` FROM users WHERE profile_rev > ?2 AND profile_rev <= ?3
		AND (deleted = 1 OR id IN (SELECT ?1 UNION SELECT o.user_id FROM members m JOIN members o ON o.conv_id = m.conv_id WHERE m.user_id = ?1))
		ORDER BY profile_rev`, user, after, rev)
	if err != nil {
		return nil, 0, fmt.Errorf("list changed profiles: %w", err)
	}
	defer rows.Close()
	var us []proto.User
	for rows.Next() {
		u, err := scanProfile(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("list changed profiles: %w", err)
		}
		us = append(us, u)
	}
	return us, rev, rows.Err()
}

// profileTx is Profile inside a write.
func profileTx(tx *sql.Tx, id proto.UserID) (proto.User, error) {
	u, err := scanProfile(tx.QueryRow("SELECT "+profileCols+" FROM users WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return u, proto.Errorf(proto.CodeNoSuchUser, "no user with ID %d", id)
	}
	if err != nil {
		return u, fmt.Errorf("load profile of %d: %w", id, err)
	}
	return u, nil
}

// Contacts lists the users who share a conversation with user, user
// included: who must learn of a change to user's profile.
func (d *DB) Contacts(ctx context.Context, user proto.UserID) ([]proto.UserID, error) {
	rows, err := d.r.QueryContext(ctx, `SELECT ?1 UNION SELECT DISTINCT o.user_id FROM members m
		JOIN members o ON o.conv_id = m.conv_id WHERE m.user_id = ?1`, user)
	if err != nil {
		return nil, fmt.Errorf("list contacts of %d: %w", user, err)
	}
	defer rows.Close()
	var us []proto.UserID
	for rows.Next() {
		var u proto.UserID
		if err := rows.Scan(&u); err != nil {
			return nil, fmt.Errorf("list contacts of %d: %w", user, err)
		}
		us = append(us, u)
	}
	return us, rows.Err()
}

// ProfileChange is what set_profile changes; nil fields stay. The hub
// has checked Name and About. Picture is the new thumbnail's file ID ("":
// none); Source, if set, is the picture upload it was made from, which
// goes once used.
type ProfileChange struct {
	Name, About, Picture *string
	Source               string
}

// SetProfile changes user's profile and returns it, with the SHA-256 of
// the files it dropped (the previous thumbnail, the used upload), for
// the files service to release.
func (d *DB) SetProfile(ctx context.Context, user proto.UserID, ch ProfileChange) (proto.User, []string, error) {
	type result struct {
		u    proto.User
		shas []string
	}
	v, err := d.exec(ctx, func(tx *sql.Tx, s *sequencer) (any, error) {
		old, err := scanProfile(tx.QueryRow("SELECT "+profileCols+" FROM users WHERE id = ? AND deleted = 0", user))
		if errors.Is(err, sql.ErrNoRows) {
			return nil, proto.Errorf(proto.CodeNoSuchUser, "no user with ID %d", user)
		}
		if err != nil {
			return nil, fmt.Errorf("load profile of %d: %w", user, err)
		}
		u := old
		if ch.Name != nil {
			u.Name = *ch.Name
		}
		if ch.About != nil {
			u.About = *ch.About
		}
		var drop []string
		if ch.Picture != nil {
			u.Picture = *ch.Picture
			if old.Picture != "" && old.Picture != u.Picture {
				drop = append(drop, old.Picture)
			}
			if ch.Source != "" {
				drop = append(drop, ch.Source)
			}
		}
		if _, err := tx.Exec("UPDATE users SET name = ?, about = ?, picture = ?, profile_rev = "+nextProfileRev+" WHERE id = ?", u.Name, u.About, u.Picture, user); err != nil {
			return nil, fmt.Errorf("update profile of %d: %w", user, err)
		}
		var shas []string
		for _, id := range drop {
			var sha string
			err := tx.QueryRow("DELETE FROM files WHERE id = ? AND sender = ? AND purpose IN (?, ?) RETURNING sha256", id, user, PurposePicture, PurposeThumb).Scan(&sha)
			if errors.Is(err, sql.ErrNoRows) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("drop picture file %s: %w", id, err)
			}
			shas = append(shas, sha)
		}
		return result{u, shas}, nil
	})
	if err != nil {
		return proto.User{}, nil, err
	}
	r := v.(result)
	return r.u, r.shas, nil
}

// AddThumb records a picture the server made (its blob is in place) as
// a file of user's: a profile picture (group 0), or group's picture (the
// file goes with the group).
func (d *DB) AddThumb(ctx context.Context, user proto.UserID, group proto.ConvID, f proto.File) error {
	_, err := d.exec(ctx, func(tx *sql.Tx, s *sequencer) (any, error) {
		if _, err := tx.Exec("INSERT INTO files (id, sha256, name, size, type, conv_id, seq, sender, created, purpose) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?)",
			f.ID, f.SHA256, f.Name, f.Size, f.Type, group, user, d.nowMs(), PurposeThumb); err != nil {
			return nil, fmt.Errorf("insert thumbnail: %w", err)
		}
		return nil, nil
	})
	return err
}

// SetPassword stores a new password hash for user and ends every other
// session of the account (all but keep), in one transaction.
func (d *DB) SetPassword(ctx context.Context, user proto.UserID, hash string, keep []byte) error {
	_, err := d.exec(ctx, func(tx *sql.Tx, s *sequencer) (any, error) {
		r, err := tx.Exec("UPDATE users SET pw_hash = ? WHERE id = ? AND deleted = 0", hash, user)
		if err != nil {
			return nil, fmt.Errorf("set password of %d: %w", user, err)
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return nil, proto.Errorf(proto.CodeNoSuchUser, "no user with ID %d", user)
		}
		_, err = revokeSessionsTx(tx, user, keep)
		return nil, err
	})
	return err
}

// DeleteAccount deletes user's account in one transaction: they leave
// every group (a "left" event by DeletedName; an owner's group passes on
// as when they leave), their direct conversations stay but take no new
// messages, the row keeps only the ID (name DeletedName, no about,
// picture or password, deleted), and their sessions, read positions,
// hidden marks, waiting join requests, invite links and picture files
// go. It returns the SHA-256 of the picture files, for the files service
// to release. Messages and files they sent stay.
func (d *DB) DeleteAccount(ctx context.Context, user proto.UserID) ([]string, error) {
	v, err := d.exec(ctx, func(tx *sql.Tx, s *sequencer) (any, error) {
		var deleted bool
		err := tx.QueryRow("SELECT deleted FROM users WHERE id = ?", user).Scan(&deleted)
		if errors.Is(err, sql.ErrNoRows) || deleted {
			return nil, proto.Errorf(proto.CodeNoSuchUser, "no user with ID %d", user)
		}
		if err != nil {
			return nil, fmt.Errorf("load user %d: %w", user, err)
		}
		convs, err := idsTx(tx, "SELECT conv_id FROM members WHERE user_id = ?", user)
		if err != nil {
			return nil, err
		}
		gone := proto.User{ID: user, Name: proto.DeletedName}
		for _, id := range convs {
			c, err := s.conv(tx, proto.ConvID(id))
			if err != nil {
				return nil, err
			}
			if c == nil {
				continue
			}
			if c.kind == proto.KindDirect {
				s.touch(c)
				c.peerGone = true
				continue
			}
			if _, err := s.append(tx, c, systemMessage(gone, proto.EventLeft, nil)); err != nil {
				return nil, err
			}
			owner := c.owner == user
			if err := s.removeMember(tx, c, user); err != nil {
				return nil, err
			}
			if owner {
				if err := s.passOwnership(tx, c, gone); err != nil {
					return nil, err
				}
			}
		}
		// A group's picture (conv_id the group's) stays with the group.
		rows, err := tx.Query("DELETE FROM files WHERE sender = ? AND conv_id = 0 AND purpose IN (?, ?) RETURNING sha256", user, PurposePicture, PurposeThumb)
		if err != nil {
			return nil, fmt.Errorf("drop picture files of %d: %w", user, err)
		}
		var shas []string
		for rows.Next() {
			var sha string
			if err := rows.Scan(&sha); err != nil {
				rows.Close()
				return nil, fmt.Errorf("drop picture files of %d: %w", user, err)
			}
			shas = append(shas, sha)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("drop picture files of %d: %w", user, err)
		}
		if _, err := tx.Exec("UPDATE users SET name = ?, about = '', picture = '', pw_hash = '', deleted = 1, read_receipts = 0, profile_rev = "+nextProfileRev+" WHERE id = ?",
			proto.DeletedName, user); err != nil {
			return nil, fmt.Errorf("delete account %d: %w", user, err)
		}
		for _, q := range []string{
			"DELETE FROM sessions WHERE user_id = ?",
			"DELETE FROM reads WHERE user_id = ?",
			"DELETE FROM hidden WHERE user_id = ?",
			"DELETE FROM join_requests WHERE user_id = ?",
			"UPDATE invite_links SET revoked = 1 WHERE creator = ?",
		} {
			if _, err := tx.Exec(q, user); err != nil {
				return nil, fmt.Errorf("delete account %d: %w", user, err)
			}
		}
		return shas, nil
	})
	if err != nil {
		return nil, err
	}
	shas, _ := v.([]string)
	return shas, nil
}

func idsTx(tx *sql.Tx, query string, args ...any) ([]int64, error) {
	rows, err := tx.Query(query, args...)
	if err != nil {
		return nil, fmt.Errorf("list ids: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("list ids: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// currentNames puts the current names of their actors and subjects into
// the events of ms (system messages and group events store the names of
// the moment), so that a renamed or deleted account shows as it is now.
// It changes the events in place (each message read has its own).
func (d *DB) currentNames(ctx context.Context, ms []proto.Message) error {
	var ids []any
	seen := map[proto.UserID]bool{}
	note := func(u proto.UserID) {
		if u != 0 && !seen[u] {
			seen[u] = true
			ids = append(ids, u)
		}
	}
	for _, m := range ms {
		if m.Event != nil {
			note(m.Event.Actor.ID)
			if m.Event.Subject != nil {
				note(m.Event.Subject.ID)
			}
		}
	}
	if len(ids) == 0 {
		return nil
	}
	q := "SELECT id, name FROM users WHERE id IN (?" + repeatComma(len(ids)-1) + ")"
	rows, err := d.r.QueryContext(ctx, q, ids...)
	if err != nil {
		return fmt.Errorf("load names: %w", err)
	}
	defer rows.Close()
	names := map[proto.UserID]string{}
	for rows.Next() {
		var id proto.UserID
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return fmt.Errorf("load names: %w", err)
		}
		names[id] = name
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load names: %w", err)
	}
	for i := range ms {
		ev := ms[i].Event
		if ev == nil {
			continue
		}
		if n, ok := names[ev.Actor.ID]; ok {
			ev.Actor.Name = n
		}
		if ev.Subject != nil {
			if n, ok := names[ev.Subject.ID]; ok {
				ev.Subject.Name = n
			}
		}
	}
	return nil
}

func repeatComma(n int) string {
	b := make([]byte, 0, 2*n)
	for range n {
		b = append(b, ",?"...)
	}
	return string(b)
}
