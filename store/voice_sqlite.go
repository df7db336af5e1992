//go:build !js

package store

import (
	"context"
	"fmt"
)

func (s *SQLite) MarkPlayed(ctx context.Context, fileID string) error {
	if err := validateFileID(fileID); err != nil {
		return err
	}
	if err := s.check(); err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, `INSERT OR IGNORE INTO voice_played (file_id) VALUES (?)`, fileID); err != nil {
		return fmt.Errorf("remember a played voice message: %w", err)
	}
	return nil
}

func (s *SQLite) Played(ctx context.Context) (map[string]bool, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT file_id FROM voice_played`)
	if err != nil {
		return nil, fmt.Errorf("played voice messages: %w", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("played voice messages: %w", err)
		}
		out[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("played voice messages: %w", err)
	}
	return out, nil
}
