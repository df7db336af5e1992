package storage

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"

	"parley/net/proto"
)

// Sessions are the account's devices (docs/protocol.md, "Profile and
// devices"): a row per login, keyed by the SHA-256 of its token. A
// device's ID is the first 12 bytes of that hash in hex: stable, unique
// in practice, and no help in finding the token.

// deviceIDBytes is how much of the token hash a device ID shows.
const deviceIDBytes = 12

// DeviceID is the device ID of a session token hash.
func DeviceID(tokenHash []byte) string {
	return hex.EncodeToString(tokenHash[:min(len(tokenHash), deviceIDBytes)])
}

// NewSession is what a login records of its device. PasswordHash, if
// set, is the hash the login's password matched: a password changed
// since refuses the session.
type NewSession struct {
	Device, Platform, Address string
	PasswordHash              string
}

// StartSession stores the hash of a new session token for user, with
// its device. A deleted account gets none, nor a login whose password
// was changed meanwhile (bad_credentials, as for a wrong password).
func (d *DB) StartSession(ctx context.Context, tokenHash []byte, user proto.UserID, ns NewSession) error {
	_, err := d.exec(ctx, func(tx *sql.Tx, s *sequencer) (any, error) {
		now := d.nowMs()
		r, err := tx.Exec(`INSERT INTO sessions (token_hash, user_id, device, platform, address, created, last_used)
			SELECT ?, id, ?, ?, ?, ?, ? FROM users WHERE id = ? AND deleted = 0 AND (? = '' OR pw_hash = ?)`,
			tokenHash, ns.Device, ns.Platform, ns.Address, now, now, user, ns.PasswordHash, ns.PasswordHash)
		if err != nil {
			return nil, fmt.Errorf("insert session: %w", err)
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return nil, proto.Errorf(proto.CodeBadCredentials, "wrong user ID or password")
		}
		return nil, nil
	})
	return err
}

// TouchSession records that a session was active now, from address (a
// resume, or the end of one of its connections). An ended session is
// left alone.
func (d *DB) TouchSession(ctx context.Context, tokenHash []byte, address string) error {
	_, err := d.exec(ctx, func(tx *sql.Tx, s *sequencer) (any, error) {
		if _, err := tx.Exec("UPDATE sessions SET last_used = ?, address = ? WHERE token_hash = ?", d.nowMs(), address, tokenHash); err != nil {
			return nil, fmt.Errorf("touch session: %w", err)
		}
		return nil, nil
	})
	return err
}

// Session is one session of an account, with its token hash (never sent
// to a client).
type Session struct {
	proto.Device
	TokenHash []byte
}

// Sessions lists user's sessions, most recently active first.
func (d *DB) Sessions(ctx context.Context, user proto.UserID) ([]Session, error) {
	rows, err := d.r.QueryContext(ctx, `SELECT token_hash, device, platform, created, last_used, address
		FROM sessions WHERE user_id = ? ORDER BY last_used DESC, created DESC`, user)
	if err != nil {
		return nil, fmt.Errorf("list sessions of %d: %w", user, err)
	}
	defer rows.Close()
	var ss []Session
	for rows.Next() {
		var s Session
		if err := rows.Scan(&s.TokenHash, &s.Name, &s.Platform, &s.Created, &s.LastActive, &s.Address); err != nil {
			return nil, fmt.Errorf("list sessions of %d: %w", user, err)
		}
		s.ID = DeviceID(s.TokenHash)
		ss = append(ss, s)
	}
	return ss, rows.Err()
}

// RevokeDevice ends the session of user whose device ID is id and
// returns its token hash, or no_such_device.
func (d *DB) RevokeDevice(ctx context.Context, user proto.UserID, id string) ([]byte, error) {
	prefix, err := hex.DecodeString(id)
	if err != nil || len(prefix) != deviceIDBytes {
		return nil, proto.Errorf(proto.CodeNoSuchDevice, "no device %q among your sessions", id)
	}
	v, err := d.exec(ctx, func(tx *sql.Tx, s *sequencer) (any, error) {
		var hash []byte
		err := tx.QueryRow("SELECT token_hash FROM sessions WHERE user_id = ? AND substr(token_hash, 1, ?) = ?", user, deviceIDBytes, prefix).Scan(&hash)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, proto.Errorf(proto.CodeNoSuchDevice, "no device %q among your sessions: it has ended already", id)
		}
		if err != nil {
			return nil, fmt.Errorf("find session: %w", err)
		}
		if _, err := tx.Exec("DELETE FROM sessions WHERE token_hash = ?", hash); err != nil {
			return nil, fmt.Errorf("revoke session: %w", err)
		}
		return hash, nil
	})
	if err != nil {
		return nil, err
	}
	return v.([]byte), nil
}

// RevokeUserSessions ends every session of user but the one whose token
// hash is except (nil: all of them) and reports how many ended. It is
// the one way sessions are revoked in bulk (password change, account
// deletion, the operator's reset); the hub then closes their
// connections (Hub.DropSessions).
func (d *DB) RevokeUserSessions(ctx context.Context, user proto.UserID, except []byte) (int, error) {
	v, err := d.exec(ctx, func(tx *sql.Tx, s *sequencer) (any, error) {
		return revokeSessionsTx(tx, user, except)
	})
	if err != nil {
		return 0, err
	}
	return v.(int), nil
}

func revokeSessionsTx(tx *sql.Tx, user proto.UserID, except []byte) (int, error) {
	if except == nil {
		except = []byte{} // matches no token hash
	}
	r, err := tx.Exec("DELETE FROM sessions WHERE user_id = ? AND token_hash != ?", user, except)
	if err != nil {
		return 0, fmt.Errorf("revoke sessions of %d: %w", user, err)
	}
	n, _ := r.RowsAffected()
	return int(n), nil
}
