//go:build !js

package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
)

// A cache of schema 5 (before #15 and #16) migrates: its transfers keep
// working, with no voice, and played voice messages can be kept.
func TestSQLiteMigrationToVoice(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range migrations[:5] {
		if _, err := db.Exec(m); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec(`PRAGMA user_version = 5;
		INSERT INTO transfers (id, direction, conv, name, size, sha256, path, done, state, upload_id, created, updated)
		VALUES ('t1', 'up', 1, 'a.pdf', 10, '', '/a.pdf', 0, 'queued', '', 1, 1)`); err != nil {
		t.Fatal(err)
	}
	must(t, db.Close())

	s := openSQLite(t, path)
	ctx := context.Background()
	tr, err := s.Transfer(ctx, "t1")
	must(t, err)
	if tr.Name != "a.pdf" || tr.Voice != nil {
		t.Fatalf("the old transfer reads %+v", tr)
	}
	must(t, s.MarkPlayed(ctx, "f1"))
	if p, err := s.Played(ctx); err != nil || !p["f1"] {
		t.Fatalf("played %v, %v", p, err)
	}
	var v int
	if err := s.db.QueryRow("PRAGMA user_version").Scan(&v); err != nil || v != len(migrations) {
		t.Fatalf("user_version %d, %v; want %d", v, err, len(migrations))
	}
}
