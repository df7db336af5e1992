//go:build js

package store

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall/js"
	"testing"

	"parley/net/proto"
)

// Node.js has neither IndexedDB nor localStorage: the js tests install
// the stand-ins of testdata/fake_indexeddb.js, and so run the real
// binding (requests, transactions, their events and errors) against them.
//
//go:embed testdata/fake_indexeddb.js
var fakeIndexedDBJS string

func TestMain(m *testing.M) {
	js.Global().Call("eval", fakeIndexedDBJS)
	os.Exit(m.Run())
}

const testServer = "https://chat.example.org"

func fakeIDB() js.Value { return js.Global().Get("fakeIndexedDB") }

func openAccount(t *testing.T, root string, user proto.UserID) Store {
	t.Helper()
	s, err := OpenAccount(root, testServer, user, Options{})
	if err != nil {
		t.Fatalf("OpenAccount: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestIndexedDB(t *testing.T) {
	runSuite(t, func(t *testing.T) opener {
		root := "/" + t.Name() // a database of its own for every test
		users := map[string]proto.UserID{}
		return func(t *testing.T, account string, opt Options) Store {
			u, ok := users[account]
			if !ok {
				u = proto.UserID(len(users) + 1)
				users[account] = u
			}
			s, err := OpenAccount(root, testServer, u, opt)
			if err != nil {
				t.Fatalf("OpenAccount: %v", err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}
	})
}

func TestIndexedDBReopenRestoresEverything(t *testing.T) {
	s := openAccount(t, "/parley", 4821)
	populate(t, s)
	want := snap(t, s)
	must(t, s.Close())
	sameSnapshot(t, "after reopen", snap(t, openAccount(t, "/parley", 4821)), want)
}

func TestIndexedDBDatabaseIsNamedForTheAccount(t *testing.T) {
	root := "/" + t.Name()
	s, err := OpenAccount(root, " https://Chat.Example.org/ ", 4821, Options{})
	must(t, err)
	defer s.Close()
	name := AccountPath(root, testServer, 4821)
	if !fakeIDB().Get("databases").Call("has", name).Bool() {
		t.Fatalf("no database %q", name)
	}
	if !strings.HasSuffix(name, "-4821.db") {
		t.Fatalf("database name %q does not end with the user", name)
	}
}

func TestIndexedDBWriteErrorIsReturnedAndChangesNothing(t *testing.T) {
	ctx := context.Background()
	root := "/" + t.Name()
	s := openAccount(t, root, 1)
	must(t, s.PutConversations(ctx, proto.Conversation{ID: 1, Kind: proto.KindGroup, Name: "one"}))
	must(t, s.Enqueue(ctx, OutboxItem{ClientID: "k1", Conv: 1, Text: "saved"}))

	fakeIDB().Set("failNext", "QuotaExceededError")
	err := s.Enqueue(ctx, OutboxItem{ClientID: "k2", Conv: 1, Text: "not saved"})
	var ie *BrowserError
	if !errors.As(err, &ie) || ie.Name != "QuotaExceededError" {
		t.Fatalf("Enqueue = %v, want QuotaExceededError", err)
	}
	if items, _ := s.Outbox(ctx); len(items) != 1 || items[0].ClientID != "k1" {
		t.Fatalf("outbox after the failed write = %+v", items)
	}
	must(t, s.Close())
	s = openAccount(t, root, 1)
	if items, _ := s.Outbox(ctx); len(items) != 1 || items[0].ClientID != "k1" {
		t.Fatalf("outbox after reopen = %+v", items)
	}
	must(t, s.Enqueue(ctx, OutboxItem{ClientID: "k2", Conv: 1, Text: "saved now"})) // the failure was one write
}

func TestIndexedDBOutboxIsWrittenStrictly(t *testing.T) {
	ctx := context.Background()
	s := openAccount(t, "/"+t.Name(), 1)
	last := func() string {
		d := fakeIDB().Get("durabilities")
		return d.Index(d.Length() - 1).String()
	}
	put(t, s, msg(1, 1, "from the server"))
	if got := last(); got != "default" {
		t.Errorf("a message was written with durability %q, want default", got)
	}
	must(t, s.Enqueue(ctx, OutboxItem{ClientID: "k", Conv: 1, Text: "mine"}))
	if got := last(); got != "strict" {
		t.Errorf("an outbox item was written with durability %q, want strict", got)
	}
}

func TestIndexedDBRecordThatIsNotAStringIsReported(t *testing.T) {
	root := "/" + t.Name()
	s := openAccount(t, root, 1)
	put(t, s, msg(1, 1, "hi"))
	must(t, s.Close())
	fakeIDB().Get("databases").Call("get", AccountPath(root, testServer, 1)).Get("stores").Call("get", "kv").Call("set", bucketKey(1, 0), 42)

	_, err := OpenAccount(root, testServer, 1, Options{})
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), fmt.Sprintf("%q", bucketKey(1, 0))) {
		t.Fatalf("OpenAccount = %v, want ErrCorrupt naming the record", err)
	}
}

func TestIndexedDBClosedByAnotherTabFailsWritesCleanly(t *testing.T) {
	s := openAccount(t, "/"+t.Name(), 1)
	put(t, s, msg(1, 1, "hi"))
	// Another tab deletes the database: the browser asks this one to close.
	s.(*durable).kv.(*idb).db.Get("onversionchange").Invoke()
	_, err := s.PutMessages(context.Background(), numbered(1, 2, 2))
	var ie *BrowserError
	if !errors.As(err, &ie) || ie.Name != "InvalidStateError" {
		t.Fatalf("PutMessages = %v, want InvalidStateError", err)
	}
	if ms, _ := s.Latest(context.Background(), 1, 10); len(ms) != 1 {
		t.Fatalf("messages after the failed write = %v", seqs(ms))
	}
}

func TestLastAccountInLocalStorage(t *testing.T) {
	root := "/" + t.Name()
	_, err := LastAccount(root)
	wantErr(t, err, ErrNotFound)

	a := Account{Server: testServer, User: 4821}
	must(t, SetLastAccount(root, a))
	got, err := LastAccount(root)
	if err != nil || got != a {
		t.Fatalf("LastAccount = %+v, %v; want %+v", got, err, a)
	}
	if _, err := LastAccount(root + "-other"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("another root sees the account: %v", err)
	}
	// Logging out keeps the server, forgets the user.
	must(t, SetLastAccount(root, Account{Server: testServer}))
	if got, _ := LastAccount(root); got.User != 0 || got.Server != testServer {
		t.Fatalf("after logout LastAccount = %+v", got)
	}
	must(t, ClearLastAccount(root))
	_, err = LastAccount(root)
	wantErr(t, err, ErrNotFound)
	must(t, ClearLastAccount(root)) // nothing to clear is fine

	js.Global().Get("localStorage").Call("setItem", lastAccountKey(root), "{not json")
	if _, err := LastAccount(root); err == nil || errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), lastAccountKey(root)) {
		t.Fatalf("unreadable last account: %v, want an error naming the key", err)
	}

	fakeIDB().Set("storageFull", true)
	defer fakeIDB().Set("storageFull", false)
	var ie *BrowserError
	if err := SetLastAccount(root, a); !errors.As(err, &ie) || ie.Name != "QuotaExceededError" {
		t.Fatalf("SetLastAccount with storage full = %v", err)
	}
}

func TestIndexedDBRemoveAccountDeletesItsDatabaseOnly(t *testing.T) {
	root := "/" + t.Name()
	for _, u := range []proto.UserID{4821, 512} {
		s, err := OpenAccount(root, testServer, u, Options{})
		must(t, err)
		must(t, s.Close())
	}
	has := func(u proto.UserID) bool {
		return fakeIDB().Get("databases").Call("has", AccountPath(root, testServer, u)).Bool()
	}
	must(t, RemoveAccount(root, testServer, 4821))
	if has(4821) || !has(512) {
		t.Fatalf("after removing 4821: 4821 there %v, 512 there %v; want false, true", has(4821), has(512))
	}
	must(t, RemoveAccount(root, testServer, 99)) // never existed
}

func TestIndexedDBIsOpenInOneTabAtATime(t *testing.T) {
	root := "/" + t.Name()
	ctx := context.Background()
	taken := make(chan struct{}, 1)
	first, err := OpenAccount(root, testServer, 4821, Options{OnTaken: func() { taken <- struct{}{} }})
	must(t, err)
	must(t, first.SaveSession(ctx, Session{Server: testServer, User: proto.User{ID: 4821}, Token: "first"}))

	// A second tab is refused, and changes nothing.
	if _, err := OpenAccount(root, testServer, 4821, Options{}); !errors.Is(err, ErrInUse) {
		t.Fatalf("a second tab opened the cache: %v, want ErrInUse", err)
	}
	must(t, first.SaveSession(ctx, Session{Server: testServer, User: proto.User{ID: 4821}, Token: "still first"}))
	// Another account is another lock.
	other, err := OpenAccount(root, testServer, 512, Options{})
	must(t, err)
	must(t, other.Close())

	// It takes over: the first tab is told, and its writes fail.
	second, err := OpenAccount(root, testServer, 4821, Options{TakeOver: true})
	must(t, err)
	<-taken // the callback ran; a guard against hangs is the test timeout
	if err := first.SaveSession(ctx, Session{Server: testServer, Token: "late"}); !errors.Is(err, ErrInUse) {
		t.Fatalf("a write after the take-over: %v, want ErrInUse", err)
	}
	ses, err := second.Session(ctx)
	if err != nil || ses.Token != "still first" {
		t.Fatalf("the second tab's session: %+v, %v; want the first tab's last write", ses, err)
	}
	must(t, second.SaveSession(ctx, Session{Server: testServer, Token: "second"}))
	must(t, first.Close()) // closing a taken cache releases nothing of the second tab's

	// Closed, the lock is free again.
	must(t, second.Close())
	third := openAccount(t, root, 4821)
	if ses, err := third.Session(ctx); err != nil || ses.Token != "second" {
		t.Fatalf("after both closed: %+v, %v", ses, err)
	}
	if held := fakeIDB().Call("locksHeld").Length(); held != 1 {
		t.Fatalf("%d locks held with one cache open", held)
	}
}
