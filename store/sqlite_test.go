//go:build !js

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"parley/net/proto"
)

func TestSQLite(t *testing.T) {
	runSuite(t, func(t *testing.T) opener {
		dir := t.TempDir()
		return func(t *testing.T, account string, opt Options) Store {
			s, err := OpenSQLite(filepath.Join(dir, account+".db"), opt)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}
	})
}

func BenchmarkSQLite(b *testing.B) {
	runBenchmarks(b, func(b *testing.B) Store {
		s, err := OpenSQLite(filepath.Join(b.TempDir(), "bench.db"), Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		return s
	})
}

func openSQLite(t *testing.T, path string) *SQLite {
	t.Helper()
	s, err := OpenSQLite(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestSQLiteIsConfiguredOnEveryConnection(t *testing.T) {
	s := openSQLite(t, filepath.Join(t.TempDir(), "a.db"))
	ctx := context.Background()
	// Hold several connections at once so that more than one is checked.
	var conns []*sql.Conn
	for range 3 {
		c, err := s.db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns = append(conns, c)
	}
	for i, c := range conns {
		for pragma, want := range map[string]string{
			"journal_mode": "wal",
			"synchronous":  "1", // NORMAL
			"foreign_keys": "1",
			"busy_timeout": "5000",
		} {
			var got string
			if err := c.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("connection %d: %s = %s, want %s", i, pragma, got, want)
			}
		}
	}
}

func TestSQLiteMigrations(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.db")
	s := openSQLite(t, path)
	var v int
	if err := s.db.QueryRow("PRAGMA user_version").Scan(&v); err != nil || v != len(migrations) {
		t.Fatalf("user_version = %d (%v), want %d", v, err, len(migrations))
	}
	must(t, s.SaveSession(context.Background(), Session{Server: "s", Token: "t"}))
	must(t, s.Close())

	// Reopening applies nothing twice and keeps the data.
	s = openSQLite(t, path)
	if _, err := s.Session(context.Background()); err != nil {
		t.Fatalf("session after reopen: %v", err)
	}
	// A database from a newer app is refused, not damaged.
	if _, err := s.db.Exec(fmt.Sprintf("PRAGMA user_version = %d", len(migrations)+1)); err != nil {
		t.Fatal(err)
	}
	must(t, s.Close())
	if _, err := OpenSQLite(path, Options{}); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("opening a newer schema: err = %v, want a 'newer' error", err)
	}
}

// Two messages of the same millisecond whose keys collide are both stored
// and both found.
func TestSQLiteMessageKeyCollision(t *testing.T) {
	a, b := collidingMessages(t)
	s := openSQLite(t, filepath.Join(t.TempDir(), "a.db"))
	put(t, s, a)
	put(t, s, b)
	put(t, s, a, b) // and re-puts stay idempotent
	for _, m := range []proto.Message{a, b} {
		got, err := s.Latest(context.Background(), m.Conv, 10)
		must(t, err)
		if len(got) != 1 || !reflect.DeepEqual(got[0], m) {
			t.Fatalf("conversation %d holds %+v, want %+v", m.Conv, got, m)
		}
	}
	if got := search(t, s, SearchQuery{Text: "碰撞"}); len(got) != 2 {
		t.Fatalf("search found %d of the two colliding messages", len(got))
	}
	var ids []int64
	rows, err := s.db.Query(`SELECT key FROM messages ORDER BY key`)
	must(t, err)
	defer rows.Close()
	for rows.Next() {
		var id int64
		must(t, rows.Scan(&id))
		ids = append(ids, id)
	}
	if k := messageKey(a); !slices.Equal(ids, []int64{k, k + 1}) {
		t.Fatalf("keys = %v, want the key %d and the next one", ids, k)
	}
}

// collidingMessages finds two messages, in conversations 1 and 2, with the
// same time and the same messageKey.
func collidingMessages(t *testing.T) (proto.Message, proto.Message) {
	seen := make(map[int64]proto.Message)
	for seq := int64(1); seq <= 1<<16; seq++ {
		for c := proto.ConvID(1); c <= 2; c++ {
			m := msg(c, seq, "碰撞 collision")
			m.Time = t0
			k := messageKey(m)
			if o, ok := seen[k]; ok && o.Conv != m.Conv {
				return o, m
			}
			seen[k] = m
		}
	}
	t.Fatal("no colliding keys found")
	return proto.Message{}, proto.Message{}
}

func TestOpenAccountKeepsAccountsApart(t *testing.T) {
	root := t.TempDir()
	alice, err := OpenAccount(root, "https://chat.example.org", 4821, Options{})
	must(t, err)
	defer alice.Close()
	bob, err := OpenAccount(root, "https://chat.example.org", 512, Options{})
	must(t, err)
	defer bob.Close()
	other, err := OpenAccount(root, "wss://other.example.org:8443/path?x=1", 4821, Options{})
	must(t, err)
	defer other.Close()

	put(t, alice, msg(1, 1, "大家你好啊"))
	for _, s := range []Store{bob, other} {
		if got := search(t, s, SearchQuery{Text: "你好"}); len(got) != 0 {
			t.Fatalf("another account finds %q", texts(got))
		}
	}
	must(t, alice.Close())
	again, err := OpenAccount(root, "https://CHAT.example.org/", 4821, Options{}) // same server, spelt differently
	must(t, err)
	defer again.Close()
	if got := search(t, again, SearchQuery{Text: "你好"}); len(got) != 1 {
		t.Fatalf("reopened account finds %d messages, want 1", len(got))
	}

	paths := map[string]bool{}
	for _, p := range []string{
		AccountPath(root, "https://chat.example.org", 4821),
		AccountPath(root, "https://chat.example.org", 512),
		AccountPath(root, "wss://other.example.org:8443/path?x=1", 4821),
		AccountPath(root, "../../etc/passwd", 1),
	} {
		if filepath.Dir(p) != filepath.Join(root, "accounts") {
			t.Errorf("account file %s is not in %s", p, filepath.Join(root, "accounts"))
		}
		if paths[p] {
			t.Errorf("two accounts share %s", p)
		}
		paths[p] = true
	}
}

func TestLastAccount(t *testing.T) {
	root := filepath.Join(t.TempDir(), "data") // not created yet
	_, err := LastAccount(root)
	wantErr(t, err, ErrNotFound)
	must(t, SetLastAccount(root, Account{Server: "https://chat.example.org", User: 4821}))
	must(t, SetLastAccount(root, Account{Server: "https://chat.example.org", User: 512}))
	got, err := LastAccount(root)
	must(t, err)
	if got != (Account{Server: "https://chat.example.org", User: 512}) {
		t.Fatalf("LastAccount = %+v", got)
	}
	must(t, ClearLastAccount(root))
	_, err = LastAccount(root)
	wantErr(t, err, ErrNotFound)
	must(t, ClearLastAccount(root))
	entries, err := os.ReadDir(root)
	must(t, err)
	if len(entries) != 0 {
		t.Fatalf("files left behind in %s: %v", root, entries)
	}
}

func TestRemoveAccountLeavesAFreshCacheAndOthersAlone(t *testing.T) {
	root := t.TempDir()
	const server = "https://chat.example.org"
	ctx := context.Background()
	open := func(user proto.UserID) Store {
		t.Helper()
		s, err := OpenAccount(root, server, user, Options{})
		must(t, err)
		return s
	}
	for _, u := range []proto.UserID{4821, 512} {
		s := open(u)
		must(t, s.SaveSession(ctx, Session{Server: server, User: proto.User{ID: u}, Token: "t"}))
		must(t, s.Close())
	}
	// A cache that will not open: not a database at all.
	path := AccountPath(root, server, 4821)
	must(t, os.WriteFile(path, []byte("this is not an SQLite database, it is garbage"), 0o600))
	if _, err := OpenAccount(root, server, 4821, Options{}); err == nil {
		t.Fatal("a garbage cache opened")
	}
	must(t, RemoveAccount(root, server, 4821))
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("%s is still there: %v", p, err)
		}
	}
	s := open(4821)
	if _, err := s.Session(ctx); !errors.Is(err, ErrNotFound) {
		t.Fatalf("the removed cache's session: %v, want ErrNotFound", err)
	}
	must(t, s.Close())
	other := open(512)
	if _, err := other.Session(ctx); err != nil {
		t.Fatalf("another account's cache lost its session: %v", err)
	}
	must(t, other.Close())
	must(t, RemoveAccount(root, server, 99)) // never existed
}
