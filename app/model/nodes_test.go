package model

import (
	"context"
	"errors"
	"net"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"parley/app/model/modeltest"
	"parley/app/state"
	"parley/net/proto"
	"parley/server/node/nodetest"
	"parley/store"
)

func TestTheServerFieldTakesSeveralAddresses(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want []string
		home string
	}{
		{"http://127.0.0.1:8080", []string{"ws://127.0.0.1:8080/v1/ws"}, "http://127.0.0.1:8080"},
		{"  https://chat.example.org/  ", []string{"wss://chat.example.org/v1/ws"}, "https://chat.example.org/"},
		{"https://a.example.com, https://b.example.com", []string{"wss://a.example.com/v1/ws", "wss://b.example.com/v1/ws"}, "https://a.example.com"},
		{"a.example.com:8080 b.example.com:8080,c.example.com:8080", []string{"ws://a.example.com:8080/v1/ws", "ws://b.example.com:8080/v1/ws", "ws://c.example.com:8080/v1/ws"}, "a.example.com:8080"},
		{"https://a.example.com,,https://a.example.com/", []string{"wss://a.example.com/v1/ws"}, "https://a.example.com"},
	} {
		got, err := serverURLs(tt.in)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("serverURLs(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
		if h := home(tt.in); h != tt.home {
			t.Errorf("home(%q) = %q, want %q", tt.in, h, tt.home)
		}
	}
	for _, tt := range []struct{ in, detail, bad string }{
		{" , ", state.InputServer, ""},
		{"https://a.example.com, ftp://b.example.com", state.InputServerBad, "ftp://b.example.com"},
		{"http://, https://b.example.com", state.InputServerBad, "http://"},
	} {
		_, err := serverURLs(tt.in)
		var ie *inputError
		if !errors.As(err, &ie) || ie.detail != tt.detail || (tt.bad != "" && !slices.Equal(ie.args, []string{tt.bad})) {
			t.Errorf("serverURLs(%q) = %v, want %s naming %q", tt.in, err, tt.detail, tt.bad)
		}
	}
}

// A bad entry in the list is named on the login screen, and nothing is
// dialed or saved.
func TestLoginNamesTheBadServerAddressInTheList(t *testing.T) {
	srv := nodetest.Start(t)
	dir := t.TempDir()
	m := newTestModel(t, srv, dir)
	err := m.Login(context.Background(), srv.HTTPURL+", ftp://b.example.com", "4821", "secret-password")
	n := m.State().AuthError
	if err == nil || n == nil || n.Code != state.CodeBadInput || n.Detail != state.InputServerBad || !slices.Equal(n.Args, []string{"ftp://b.example.com"}) {
		t.Fatalf("Login = %v, auth error %+v; want %s naming ftp://b.example.com", err, n, state.InputServerBad)
	}
	if _, err := store.LastAccount(dir); err == nil {
		t.Fatal("a failed login saved an account")
	}
}

// One server behind two addresses (two proxies, as a cluster's nodes
// would be): when the first dies, the app reconnects through the second
// at once, resumes and syncs, so a message sent meanwhile arrives, and
// files go through the second too; the account reopens later with both
// addresses, its cache named by the first.
func TestTheAppMovesToTheSecondAddressWhenTheFirstDies(t *testing.T) {
	srv := nodetest.Start(t)
	first, second := startCutter(t, srv.Addr), startCutter(t, srv.Addr)
	dir := t.TempDir()
	m := newTestModel(t, srv, dir)
	servers := first.URL() + ", " + second.URL()
	me := m.registerAndLoginAt(servers, "Li Hua")
	if got := m.State().Server; got != servers {
		t.Fatalf("the login screen's server is %q, want the list as typed %q", got, servers)
	}
	wang := srv.NewUser(t, "Wang")
	conv := inviteModel(t, m, me, []*nodetest.User{wang})
	a := m.account()
	if u := a.sess.URL(); !strings.Contains(u, first.ln.Addr().String()) {
		t.Fatalf("connected through %s, want the first address %s", u, first.URL())
	}
	before := a.connects.Load()

	first.close() // the first node dies
	ctx := context.Background()
	if _, err := wang.Conn.Send(ctx, conv, "while-down", "sent while the first node was down"); err != nil {
		t.Fatal(err)
	}
	m.waitFor("the message sent meanwhile", func(st state.State) bool {
		return st.Conn == state.Online && slices.Contains(storedTextsOf(t, a, conv), "sent while the first node was down")
	})
	if u := a.sess.URL(); !strings.Contains(u, second.ln.Addr().String()) {
		t.Fatalf("reconnected through %s, want the second address %s", u, second.URL())
	}
	if a.connects.Load() <= before {
		t.Fatal("no new connection ran the sync")
	}
	if err := m.Open(ctx, conv); err != nil {
		t.Fatal(err)
	}
	if err := m.Send(ctx, "reply through the second"); err != nil {
		t.Fatal(err)
	}
	m.waitFor("the reply sent", func(st state.State) bool {
		return st.Open != nil && slices.ContainsFunc(st.Open.Messages, func(msg state.Message) bool {
			return msg.Text == "reply through the second" && msg.Status == state.Sent
		})
	})

	// Files go to the node in use too: the first is dead.
	path, _ := modeltest.WriteFile(t, t.TempDir(), "notes.txt", 100_000, 1)
	if err := m.SendFile(ctx, path, ""); err != nil {
		t.Fatal(err)
	}
	m.waitFor("the upload through the second", func(st state.State) bool {
		return transferIn(st, state.Upload, func(tr state.Transfer) bool {
			return tr.State == state.TransferDone && tr.Name == "notes.txt" && tr.Conv == conv
		})
	})
	m.Close()

	// Reopened: both addresses, the cache under the first.
	if _, err := os.Stat(store.AccountPath(dir, first.URL(), me.ID)); err != nil {
		t.Fatalf("the cache is not named by the first address: %v", err)
	}
	m = newTestModel(t, srv, dir)
	if got := m.State().Server; got != servers {
		t.Fatalf("reopened with server %q, want %q", got, servers)
	}
	m.online() // through the second: the first is still dead
	if texts := storedTextsOf(t, m.account(), conv); !slices.Contains(texts, "reply through the second") {
		t.Fatalf("the reopened cache holds %q", texts)
	}
}

// storedTextsOf lists the texts a's cache holds in conv.
func storedTextsOf(t *testing.T, a *account, conv proto.ConvID) []string {
	var out []string
	for text := range storedTexts(t, a.db, conv) {
		out = append(out, text)
	}
	return out
}

// A node that accepts connections but never answers (paused) does not
// hold a login: the next address is dialed after nodeDialTimeout.
func TestLoginGoesPastANodeThatHangs(t *testing.T) {
	srv := nodetest.Start(t)
	hung, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	held := make(chan net.Conn, 10)
	go func() { // accept, then say nothing
		for {
			c, err := hung.Accept()
			if err != nil {
				return
			}
			held <- c
		}
	}()
	t.Cleanup(func() {
		hung.Close()
		for len(held) > 0 {
			(<-held).Close()
		}
	})
	m := newTestModel(t, srv, t.TempDir(), func(c *Config) { c.nodeDialTimeout = 100 * time.Millisecond })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second) // a guard, far above the node timeout
	defer cancel()
	if err := m.Register(ctx, "http://"+hung.Addr().String()+" "+srv.HTTPURL, "Li Hua", "secret-password", "secret-password"); err != nil {
		t.Fatalf("Register past a hanging node: %v", err)
	}
	m.online()
}
