package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"testing"

	"parley/net/proto"
)

func openTest(t *testing.T, onCommit func([]Committed)) *DB {
	t.Helper()
	d, err := Open(context.Background(), t.TempDir(), Options{Synchronous: "NORMAL", OnCommit: onCommit})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func mustUser(t *testing.T, d *DB, name string) proto.User {
	t.Helper()
	u, err := d.CreateUser(context.Background(), name, "hash")
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestFailedJobInABatchLeavesNoTrace(t *testing.T) {
	var committed []Committed
	d := openTest(t, func(cs []Committed) { committed = append(committed, cs...) })
	ctx := context.Background()
	a, b := mustUser(t, d, "a"), mustUser(t, d, "b")
	g, _ := d.CreateGroup(ctx, a, "g")
	boom := errors.New("boom")
	// A job that adds a member and appends a message, then fails.
	_, err := d.exec(ctx, func(tx *sql.Tx, s *sequencer) (any, error) {
		c, err := s.group(tx, g.ID)
		if err != nil {
			return nil, err
		}
		if err := s.addMember(tx, c, b.ID); err != nil {
			return nil, err
		}
		if _, err := s.append(tx, c, systemMessage(b, proto.EventJoined, nil)); err != nil {
			return nil, err
		}
		return nil, boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("job error = %v, want boom", err)
	}
	if ok, _ := d.IsMember(ctx, g.ID, b.ID); ok {
		t.Fatal("failed job's member insert survived")
	}
	if _, _, err := d.Send(ctx, b, g.ID, "x", "hi"); proto.CodeOf(err) != proto.CodeNotMember {
		t.Fatalf("b sends after failed join: %v, want not_member (cache not rolled back)", err)
	}
	m, _, err := d.Send(ctx, a, g.ID, "y", "hi")
	if err != nil || m.Seq != 2 {
		t.Fatalf("next seq = %d (%v), want 2: the failed job's seq leaked", m.Seq, err)
	}
	for _, c := range committed {
		if c.Message.Event != nil && c.Message.Event.Type == proto.EventJoined {
			t.Fatal("failed job's message reached OnCommit")
		}
	}
}

func TestSchemaMigratesOnceAndSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	d, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := d.CreateUser(ctx, "persisted", "h")
	d.Close()
	d, err = Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if v, _ := d.SchemaVersion(ctx); v != len(migrations) {
		t.Fatalf("schema version %d, want %d", v, len(migrations))
	}
	got, err := d.User(ctx, u.ID)
	if err != nil || got != u {
		t.Fatalf("user after reopen: %+v %v", got, err)
	}
}

// A database written before migration 3 kept each conversation's last seq
// in a column; after the upgrade it comes from the messages themselves,
// and sends continue the sequence without a gap or a repeat.
func TestUpgradeKeepsEachConversationsSequence(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	old, err := sql.Open("sqlite", "file:"+dir+"/"+FileName)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range append(migrations[:2:2],
		"PRAGMA user_version = 2",
		"INSERT INTO users (id, name, pw_hash, created) VALUES (1234, 'Ana', 'h', 1)",
		"INSERT INTO conversations (id, kind, name, created, last_seq) VALUES (555, 'group', 'g', 1, 2), (556, 'group', 'empty', 1, 0)",
		"INSERT INTO members (conv_id, user_id, joined) VALUES (555, 1234, 1), (556, 1234, 1)",
		`INSERT INTO messages (conv_id, seq, sender, time, kind, text) VALUES (555, 1, 1234, 1, 'text', 'one'), (555, 2, 1234, 2, 'text', 'two')`,
	) {
		if _, err := old.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	old.Close()

	d, err := Open(ctx, dir, Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ana := proto.User{ID: 1234, Name: "Ana"}
	c, err := d.Conversation(ctx, ana.ID, 555)
	if err != nil || c.LastSeq != 2 || c.Last == nil || c.Last.Text != "two" {
		t.Fatalf("upgraded conversation: %+v (last %+v) %v", c, c.Last, err)
	}
	if c, err := d.Conversation(ctx, ana.ID, 556); err != nil || c.LastSeq != 0 || c.Last != nil {
		t.Fatalf("upgraded empty conversation: %+v %v", c, err)
	}
	for conv, want := range map[proto.ConvID]int64{555: 3, 556: 1} {
		m, _, err := d.Send(ctx, ana, conv, fmt.Sprint("after-", conv), "hi")
		if err != nil || m.Seq != want {
			t.Fatalf("send to %d after upgrade: seq %d, want %d (%v)", conv, m.Seq, want, err)
		}
	}
	if c, err := d.Conversation(ctx, ana.ID, 555); err != nil || c.LastSeq != 3 || c.Last.Seq != 3 {
		t.Fatalf("after a send: %+v %v", c, err)
	}
}
