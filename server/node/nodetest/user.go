package nodetest

import (
	"context"
	"testing"
	"time"

	"parley/net/client"
	"parley/net/proto"
)

// Password is every test user's password.
const Password = "correct horse"

// User is a registered user logged in on a connection of its own: the
// other person of a test, on the raw session client.
type User struct {
	proto.User
	Token string
	Conn  *client.Conn
	// Pushes is what the server pushed, in order. It holds 256; when
	// full, later pushes are dropped, so that a test that ignores them
	// never stalls the connection.
	Pushes chan client.Push
}

// NewUser registers name and logs in on a new connection, which closes
// when the test ends.
func (s *Server) NewUser(t testing.TB, name string) *User {
	t.Helper()
	return NewUser(t, s.URL, name)
}

// NewUser does what Server.NewUser does on any server, given its
// WebSocket URL (a server binary a test started itself).
func NewUser(t testing.TB, wsURL, name string) *User {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	u := &User{Pushes: make(chan client.Push, 256)}
	c, err := client.Dial(ctx, wsURL, client.DialOptions{OnPush: func(p client.Push) {
		select {
		case u.Pushes <- p:
		default:
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	me, err := c.Register(ctx, name, Password)
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Login(ctx, me.ID, Password, "test")
	if err != nil {
		t.Fatal(err)
	}
	u.User, u.Token, u.Conn = r.User, r.Token, c
	return u
}

// Group creates an open group of owner's called name, which the members
// join by its ID.
func Group(t testing.TB, owner *User, name string, members ...*User) proto.ConvID {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	g, err := owner.Conn.CreateGroupWith(ctx, proto.CreateGroupRequest{Name: name, Policy: proto.PolicyOpen})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range members {
		if _, err := m.Conn.JoinGroup(ctx, g.ID); err != nil {
			t.Fatal(err)
		}
	}
	return g.ID
}

// Message waits for a pushed message in conv that ok accepts, skipping
// other pushes; it fails the test after a generous deadline (a guard
// against hangs, not a timing assertion).
func (u *User) Message(t testing.TB, conv proto.ConvID, ok func(proto.Message) bool) proto.Message {
	t.Helper()
	timeout := time.After(60 * time.Second)
	for {
		select {
		case p := <-u.Pushes:
			if m := p.Message; m != nil && (conv == 0 || m.Conv == conv) && ok(*m) {
				return *m
			}
		case <-timeout:
			t.Fatalf("%s got no such message in %d", u.Name, conv)
		}
	}
}
