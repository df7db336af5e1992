//go:build !js

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"parley/net/proto"
)

func (s *SQLite) SaveDraft(ctx context.Context, conv proto.ConvID, text string) error {
	if err := validateDraftConv(conv); err != nil {
		return err
	}
	if err := s.check(); err != nil {
		return err
	}
	var err error
	if text == "" {
		_, err = s.db.ExecContext(ctx, `DELETE FROM drafts WHERE conv = ?`, conv)
	} else {
		_, err = s.db.ExecContext(ctx, `INSERT INTO drafts (conv, text) VALUES (?, ?)
			ON CONFLICT (conv) DO UPDATE SET text = excluded.text`, conv, text)
	}
	if err != nil {
		return fmt.Errorf("save the draft of conversation %d: %w", conv, err)
	}
	return nil
}

func (s *SQLite) Drafts(ctx context.Context) (map[proto.ConvID]string, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT conv, text FROM drafts`)
	if err != nil {
		return nil, fmt.Errorf("drafts: %w", err)
	}
	defer rows.Close()
	out := map[proto.ConvID]string{}
	for rows.Next() {
		var conv proto.ConvID
		var text string
		if err := rows.Scan(&conv, &text); err != nil {
			return nil, fmt.Errorf("drafts: %w", err)
		}
		out[conv] = text
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("drafts: %w", err)
	}
	return out, nil
}

func (s *SQLite) SetLastOpen(ctx context.Context, conv proto.ConvID) error {
	if conv < 0 {
		return fmt.Errorf("last open conversation %d: %w", conv, ErrInvalid)
	}
	if err := s.check(); err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, `INSERT OR REPLACE INTO last_open (id, conv) VALUES (1, ?)`, conv); err != nil {
		return fmt.Errorf("remember the open conversation: %w", err)
	}
	return nil
}

func (s *SQLite) LastOpen(ctx context.Context) (proto.ConvID, error) {
	if err := s.check(); err != nil {
		return 0, err
	}
	var conv proto.ConvID
	err := s.db.QueryRowContext(ctx, `SELECT conv FROM last_open WHERE id = 1`).Scan(&conv)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("last open conversation: %w", err)
	}
	return conv, nil
}
