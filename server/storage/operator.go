package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"parley/net/proto"
)

// RegCode is a registration code (migration 10): with the registration
// mode "codes", register needs one that is neither used up nor expired.
// Times are Unix milliseconds; Expires 0 is never.
type RegCode struct {
	Code    string `json:"code"`
	Created int64  `json:"created"`
	Expires int64  `json:"expires,omitempty"`
	MaxUses int    `json:"max_uses"`
	Uses    int    `json:"uses"`
	// State is valid, used-up or expired (RegCodes, by storage's clock).
	State string `json:"state,omitempty"`
}

// Registration code states.
const (
	CodeValid   = "valid"
	CodeUsedUp  = "used-up"
	CodeExpired = "expired"
)

func (rc *RegCode) state(now int64) string {
	switch {
	case rc.Uses >= rc.MaxUses:
		return CodeUsedUp
	case rc.Expires != 0 && now >= rc.Expires:
		return CodeExpired
	}
	return CodeValid
}

// CreateRegCode stores a new registration code that maxUses (at least 1)
// registrations may use within ttl from now (0: no expiry).
func (d *DB) CreateRegCode(ctx context.Context, code string, maxUses int, ttl time.Duration) (RegCode, error) {
	if code == "" || maxUses < 1 || ttl < 0 {
		return RegCode{}, errors.New("create registration code: empty code, uses below 1 or negative expiry")
	}
	rc := RegCode{Code: code, Created: d.nowMs(), MaxUses: maxUses, State: CodeValid}
	if ttl > 0 {
		rc.Expires = rc.Created + ttl.Milliseconds()
	}
	_, err := d.exec(ctx, func(tx *sql.Tx, s *sequencer) (any, error) {
		_, err := tx.Exec("INSERT INTO registration_codes (code, created, expires, max_uses) VALUES (?, ?, ?, ?)", rc.Code, rc.Created, rc.Expires, rc.MaxUses)
		if err != nil {
			return nil, fmt.Errorf("insert registration code: %w", err)
		}
		return nil, nil
	})
	return rc, err
}

// RegCodes lists every registration code, newest first.
func (d *DB) RegCodes(ctx context.Context) ([]RegCode, error) {
	rows, err := d.r.QueryContext(ctx, "SELECT code, created, expires, max_uses, uses FROM registration_codes ORDER BY created DESC, code")
	if err != nil {
		return nil, fmt.Errorf("list registration codes: %w", err)
	}
	defer rows.Close()
	var out []RegCode
	now := d.nowMs()
	for rows.Next() {
		var rc RegCode
		if err := rows.Scan(&rc.Code, &rc.Created, &rc.Expires, &rc.MaxUses, &rc.Uses); err != nil {
			return nil, fmt.Errorf("list registration codes: %w", err)
		}
		rc.State = rc.state(now)
		out = append(out, rc)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list registration codes: %w", err)
	}
	return out, nil
}

// CreateUserWithCode is CreateUser that spends one use of a registration
// code, in the same transaction: bad_code (unknown), code_used_up or
// code_expired, and then nothing is stored.
func (d *DB) CreateUserWithCode(ctx context.Context, name, pwHash, code string) (proto.User, error) {
	v, err := d.exec(ctx, func(tx *sql.Tx, s *sequencer) (any, error) {
		var expires int64
		var maxUses, uses int
		err := tx.QueryRow("SELECT expires, max_uses, uses FROM registration_codes WHERE code = ?", code).Scan(&expires, &maxUses, &uses)
		rc := RegCode{Expires: expires, MaxUses: maxUses, Uses: uses}
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return nil, proto.Errorf(proto.CodeBadCode, "no such registration code")
		case err != nil:
			return nil, fmt.Errorf("look up registration code: %w", err)
		case rc.state(d.nowMs()) == CodeUsedUp:
			return nil, proto.Errorf(proto.CodeCodeUsedUp, "this registration code has been used up")
		case rc.state(d.nowMs()) == CodeExpired:
			return nil, proto.Errorf(proto.CodeCodeExpired, "this registration code has expired")
		}
		if _, err := tx.Exec("UPDATE registration_codes SET uses = uses + 1 WHERE code = ?", code); err != nil {
			return nil, fmt.Errorf("use registration code: %w", err)
		}
		return d.insertUser(tx, name, pwHash)
	})
	if err != nil {
		return proto.User{}, err
	}
	return v.(proto.User), nil
}

// Account is a user as the operator sees it.
type Account struct {
	proto.User
	Created  int64 `json:"created"` // Unix ms
	Disabled bool  `json:"disabled,omitempty"`
	Sessions int   `json:"sessions"` // stored session tokens
}

// Accounts lists every user, by ID.
func (d *DB) Accounts(ctx context.Context) ([]Account, error) {
	rows, err := d.r.QueryContext(ctx, `SELECT u.id, u.name, u.created, u.disabled,
		(SELECT COUNT(*) FROM sessions s WHERE s.user_id = u.id) FROM users u ORDER BY u.id`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var out []Account
	for rows.Next() {
		var a Account
		if err := rows.Scan(&a.ID, &a.Name, &a.Created, &a.Disabled, &a.Sessions); err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return out, nil
}

// ResetPassword replaces user's password hash and deletes all their
// sessions, in one transaction (no_such_user).
func (d *DB) ResetPassword(ctx context.Context, user proto.UserID, pwHash string) error {
	_, err := d.exec(ctx, func(tx *sql.Tx, s *sequencer) (any, error) {
		res, err := tx.Exec("UPDATE users SET pw_hash = ? WHERE id = ?", pwHash, user)
		if err != nil {
			return nil, fmt.Errorf("reset password of %d: %w", user, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil, proto.Errorf(proto.CodeNoSuchUser, "no user with ID %d", user)
		}
		if _, err := tx.Exec("DELETE FROM sessions WHERE user_id = ?", user); err != nil {
			return nil, fmt.Errorf("revoke sessions of %d: %w", user, err)
		}
		return nil, nil
	})
	return err
}

// SetDisabled disables or enables user (no_such_user). Disabling deletes
// all their sessions in the same transaction.
func (d *DB) SetDisabled(ctx context.Context, user proto.UserID, disabled bool) error {
	_, err := d.exec(ctx, func(tx *sql.Tx, s *sequencer) (any, error) {
		res, err := tx.Exec("UPDATE users SET disabled = ? WHERE id = ?", disabled, user)
		if err != nil {
			return nil, fmt.Errorf("disable %d: %w", user, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil, proto.Errorf(proto.CodeNoSuchUser, "no user with ID %d", user)
		}
		if disabled {
			if _, err := tx.Exec("DELETE FROM sessions WHERE user_id = ?", user); err != nil {
				return nil, fmt.Errorf("revoke sessions of %d: %w", user, err)
			}
		}
		return nil, nil
	})
	return err
}

// CheckEnabled returns account_disabled if user is disabled.
func (d *DB) CheckEnabled(ctx context.Context, user proto.UserID) error {
	var disabled bool
	err := d.r.QueryRowContext(ctx, "SELECT disabled FROM users WHERE id = ?", user).Scan(&disabled)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return proto.Errorf(proto.CodeNoSuchUser, "no user with ID %d", user)
	case err != nil:
		return fmt.Errorf("look up user %d: %w", user, err)
	case disabled:
		return errDisabled
	}
	return nil
}

var errDisabled = proto.Errorf(proto.CodeAccountDisabled, "this account is disabled: ask the server's operator")

// SessionLive returns nil if the session tokenHash still exists and its
// user is not disabled: bad_token or account_disabled otherwise. The hub
// asks it after binding a connection, so that a login or resume that
// raced with a revocation does not survive it.
func (d *DB) SessionLive(ctx context.Context, tokenHash []byte) error {
	var disabled bool
	err := d.r.QueryRowContext(ctx, "SELECT u.disabled FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?", tokenHash).Scan(&disabled)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return proto.Errorf(proto.CodeBadToken, "the session has ended: log in again")
	case err != nil:
		return fmt.Errorf("look up session: %w", err)
	case disabled:
		return errDisabled
	}
	return nil
}

// DeleteGroupAsOperator deletes group as its owner would (DeleteGroup),
// for the server's operator, who need not be a member.
func (d *DB) DeleteGroupAsOperator(ctx context.Context, group proto.ConvID) (Deleted, error) {
	v, err := d.exec(ctx, func(tx *sql.Tx, s *sequencer) (any, error) {
		c, err := s.group(tx, group)
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
