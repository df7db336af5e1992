//go:build !js

package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

func (s *SQLite) QueueChange(ctx context.Context, c PendingChange) error {
	if err := validateChange(c); err != nil {
		return err
	}
	if err := s.check(); err != nil {
		return err
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO pending_changes (client_id, type, body) VALUES (?, ?, ?)`, c.ClientID, c.Type, string(c.Body))
	var serr *sqlite.Error
	if errors.As(err, &serr) && serr.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE {
		return fmt.Errorf("history change %q: %w", c.ClientID, ErrExists)
	}
	if err != nil {
		return fmt.Errorf("queue history change %q: %w", c.ClientID, err)
	}
	return nil
}

func (s *SQLite) PendingChanges(ctx context.Context) ([]PendingChange, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT client_id, type, body FROM pending_changes ORDER BY n`)
	if err != nil {
		return nil, fmt.Errorf("history changes: %w", err)
	}
	defer rows.Close()
	var out []PendingChange
	for rows.Next() {
		var c PendingChange
		var body string
		if err := rows.Scan(&c.ClientID, &c.Type, &body); err != nil {
			return nil, fmt.Errorf("history changes: %w", err)
		}
		c.Body = json.RawMessage(body)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("history changes: %w", err)
	}
	return out, nil
}

func (s *SQLite) DropChange(ctx context.Context, clientID string) error {
	if err := s.check(); err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM pending_changes WHERE client_id = ?`, clientID); err != nil {
		return fmt.Errorf("drop history change %q: %w", clientID, err)
	}
	return nil
}

func (s *SQLite) HiddenAfter(ctx context.Context) (int64, error) {
	if err := s.check(); err != nil {
		return 0, err
	}
	var id int64
	err := s.db.QueryRowContext(ctx, `SELECT after FROM hidden_after WHERE id = 1`).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("hidden after: %w", err)
	}
	return id, nil
}

func (s *SQLite) SetHiddenAfter(ctx context.Context, id int64) error {
	if err := validateHiddenAfter(id); err != nil {
		return err
	}
	if err := s.check(); err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO hidden_after (id, after) VALUES (1, ?)
		ON CONFLICT (id) DO UPDATE SET after = max(after, excluded.after)`, id); err != nil {
		return fmt.Errorf("record hidden after %d: %w", id, err)
	}
	return nil
}
