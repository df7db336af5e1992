package storage

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"parley/net/proto"
)

// A database of schema 10 keeps its files and uploads: a file shared
// before is one of the conversation's "files" (it has no thumbnails), and
// an upload in progress goes on without a caption or voice.
func TestMigrationElevenKeepsFilesAndUploads(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	old, err := sql.Open("sqlite", "file:"+filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	if err := migrateTo(ctx, old, 10); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO users (id, name, pw_hash, created) VALUES (1001, 'Li Hua', 'h', 0)`,
		`INSERT INTO conversations (id, kind, name, created, policy) VALUES (512, 'group', 'kept', 0, 'open')`,
		`INSERT INTO members (conv_id, user_id, joined, role) VALUES (512, 1001, 1, 2)`,
		`INSERT INTO messages (conv_id, seq, sender, time, kind, event) VALUES
			(512, 1, 1001, 1, 'file', '{"id":"0123456789abcdef0123456789abcdef","name":"cat.jpg","size":3,"sha256":"` + sha64("a") + `","type":"image/jpeg"}')`,
		`INSERT INTO files (id, sha256, name, size, type, conv_id, seq, sender, created) VALUES
			('0123456789abcdef0123456789abcdef', '` + sha64("a") + `', 'cat.jpg', 3, 'image/jpeg', 512, 1, 1001, 1)`,
		`INSERT INTO uploads (id, user_id, conv_id, name, size, sha256, state, created, updated) VALUES
			('fedcba9876543210fedcba9876543210', 1001, 512, 'dog.jpg', 9, '` + sha64("b") + `', 'open', 1, 1)`,
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
	ms, more, err := d.Media(ctx, 1001, proto.MediaRequest{Conv: 512, Kind: proto.MediaFiles, Limit: 10})
	if err != nil || more || len(ms) != 1 || ms[0].File == nil || ms[0].File.Name != "cat.jpg" || ms[0].File.Image != nil {
		t.Fatalf("files after the migration: %+v %v %v", ms, more, err)
	}
	if ms, _, err := d.Media(ctx, 1001, proto.MediaRequest{Conv: 512, Kind: proto.MediaPictures, Limit: 10}); err != nil || len(ms) != 0 {
		t.Fatalf("pictures after the migration: %+v %v", ms, err)
	}
	u, err := d.Upload(ctx, "fedcba9876543210fedcba9876543210")
	if err != nil || u.Text != "" || u.Voice != nil || u.Name != "dog.jpg" {
		t.Fatalf("upload after the migration: %+v %v", u, err)
	}
}

func sha64(c string) string {
	s := ""
	for range 64 {
		s += c
	}
	return s
}
