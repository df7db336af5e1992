package storage

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"parley/net/proto"
)

// A database of schema 5 (before groups had owners and policies) keeps its
// groups: their 3-digit IDs still work, each creator becomes the owner —
// or, where the creator left, the longest-standing member — and every
// group asks.
func TestMigrationMakesCreatorsOwnersAndGroupsAsk(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	old, err := sql.Open("sqlite", "file:"+filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	if err := migrateTo(ctx, old, 5); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO users (id, name, pw_hash, created) VALUES (1001, 'Li Hua', 'h', 0), (1002, 'Wang', 'h', 0), (1003, 'Tom', 'h', 0)`,
		`INSERT INTO conversations (id, kind, name, created) VALUES (512, 'group', 'kept', 0), (513, 'group', 'creator left', 0), (274019385, 'direct', '', 0)`,
		`INSERT INTO members (conv_id, user_id, joined) VALUES (512, 1001, 1), (512, 1002, 2), (513, 1003, 3), (513, 1002, 4), (274019385, 1001, 1), (274019385, 1002, 1)`,
		`INSERT INTO messages (conv_id, seq, sender, time, kind, event) VALUES
			(512, 1, 1001, 1, 'system', '{"type":"created","actor":{"id":1001,"name":"Li Hua"}}'),
			(513, 1, 1001, 1, 'system', '{"type":"created","actor":{"id":1001,"name":"Li Hua"}}'),
			(513, 2, 1001, 2, 'system', '{"type":"left","actor":{"id":1001,"name":"Li Hua"}}')`,
	} {
		if _, err := old.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	old.Close()

	d, err := Open(ctx, dir, Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	g, err := d.GroupInfo(ctx, 1002, 512)
	if err != nil {
		t.Fatal(err)
	}
	if g.Owner == nil || g.Owner.ID != 1001 || g.Role != proto.RoleMember || g.Policy != proto.PolicyAsk || len(g.Admins) != 0 {
		t.Fatalf("group 512 after the migration: %+v", g)
	}
	g, err = d.GroupInfo(ctx, 1002, 513)
	if err != nil {
		t.Fatal(err)
	}
	if g.Owner == nil || g.Owner.ID != 1003 {
		t.Fatalf("group 513, whose creator left, is owned by %+v, want the longest-standing member 1003", g.Owner)
	}
	// The old ID works: asking files a request.
	j, err := d.JoinGroup(ctx, proto.User{ID: 1003, Name: "Tom"}, 512)
	if err != nil || j.Request == nil || len(j.Answerers) != 1 || j.Answerers[0] != 1001 {
		t.Fatalf("join 512 after the migration: %+v, %v", j, err)
	}
}

// migrateTo runs the first n migrations.
func migrateTo(ctx context.Context, db *sql.DB, n int) error {
	all := migrations
	migrations = migrations[:n]
	defer func() { migrations = all }()
	return migrate(ctx, db)
}

// A deleted group keeps its row (so that SQLite never gives its ID again)
// and loses its messages. (The behaviour is in storagetest.)
func TestDeletedGroupKeepsItsRowAndDropsItsMessages(t *testing.T) {
	d := openTest(t, nil)
	ctx := context.Background()
	a := mustUser(t, d, "a")
	g, err := d.CreateGroup(ctx, a, "g")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.Send(ctx, a, g.ID, "m1", "hello"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.DeleteGroup(ctx, a, g.ID); err != nil {
		t.Fatal(err)
	}
	var rows, msgs int
	if err := d.r.QueryRow("SELECT COUNT(*) FROM conversations WHERE id = ?", g.ID).Scan(&rows); err != nil || rows != 1 {
		t.Fatalf("the deleted group's row: %d, %v", rows, err)
	}
	if err := d.r.QueryRow("SELECT COUNT(*) FROM messages WHERE conv_id = ?", g.ID).Scan(&msgs); err != nil || msgs != 0 {
		t.Fatalf("the deleted group's messages: %d, %v", msgs, err)
	}
}
