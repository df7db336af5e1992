package e2e

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"parley/net/client"
	"parley/net/proto"
)

// waitFor bounds every wait: a failure guard for a loaded machine, never
// a measurement.
const waitFor = 30 * time.Second

const password = "correct horse"

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	t.Cleanup(cancel)
	return ctx
}

// inbox keeps every push of one connection, in arrival order, without
// ever blocking the connection's read goroutine.
type inbox struct {
	mu     sync.Mutex
	pushes []client.Push
	signal chan struct{}
	next   int // the first push not yet taken
}

func newInbox() *inbox { return &inbox{signal: make(chan struct{}, 1)} }

func (in *inbox) add(p client.Push) {
	in.mu.Lock()
	in.pushes = append(in.pushes, p)
	in.mu.Unlock()
	select {
	case in.signal <- struct{}{}:
	default:
	}
}

// take returns the next push that match accepts, dropping the ones before it.
func (in *inbox) take(t testing.TB, what string, match func(client.Push) bool) client.Push {
	t.Helper()
	deadline := time.After(waitFor)
	for {
		in.mu.Lock()
		for in.next < len(in.pushes) {
			p := in.pushes[in.next]
			in.next++
			if match(p) {
				in.mu.Unlock()
				return p
			}
		}
		in.mu.Unlock()
		select {
		case <-in.signal:
		case <-deadline:
			t.Fatalf("no %s arrived", what)
		}
	}
}

// seen reports whether any push so far matches, without taking any.
func (in *inbox) seen(match func(client.Push) bool) bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, p := range in.pushes {
		if match(p) {
			return true
		}
	}
	return false
}

// message returns the next message pushed in conv.
func (in *inbox) message(t testing.TB, conv proto.ConvID) proto.Message {
	t.Helper()
	return *in.take(t, fmt.Sprintf("message in %d", conv), func(p client.Push) bool {
		return p.Message != nil && p.Message.Conv == conv
	}).Message
}

// texts returns the next n text messages pushed in conv.
func (in *inbox) texts(t testing.TB, conv proto.ConvID, n int) []proto.Message {
	t.Helper()
	var ms []proto.Message
	for len(ms) < n {
		p := in.take(t, fmt.Sprintf("text message %d of %d in %d", len(ms)+1, n, conv), func(p client.Push) bool {
			return p.Message != nil && p.Message.Conv == conv && p.Message.Kind == proto.MsgText
		})
		ms = append(ms, *p.Message)
	}
	return ms
}

// person is a registered user.
type person struct {
	proto.User
	password string
}

// device is a person logged in on one connection.
type device struct {
	*client.Conn
	person
	token string
	inbox *inbox
}

// register creates an account on a connection of its own.
func register(t testing.TB, url, name string) person {
	t.Helper()
	c := dial(t, url, nil)
	defer c.Close()
	u, err := c.Register(testCtx(t), name, password)
	if err != nil {
		t.Fatalf("register %s: %v", name, err)
	}
	return person{User: u, password: password}
}

// dial connects; pushes go to in if it is not nil.
func dial(t testing.TB, url string, in *inbox) *client.Conn {
	t.Helper()
	opts := client.DialOptions{}
	if in != nil {
		opts.OnPush = in.add
	}
	c, err := client.Dial(testCtx(t), url, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// login opens a new device of p.
func login(t testing.TB, url string, p person) *device {
	t.Helper()
	in := newInbox()
	c := dial(t, url, in)
	r, err := c.Login(testCtx(t), p.ID, p.password, "e2e")
	if err != nil {
		t.Fatalf("login %d: %v", p.ID, err)
	}
	return &device{Conn: c, person: p, token: r.Token, inbox: in}
}

// resume reconnects d with its token, as a new connection.
func (d *device) resume(t testing.TB, url string) *device {
	t.Helper()
	in := newInbox()
	c := dial(t, url, in)
	if _, err := c.Resume(testCtx(t), d.token); err != nil {
		t.Fatalf("resume %d: %v", d.ID, err)
	}
	return &device{Conn: c, person: d.person, token: d.token, inbox: in}
}

func (d *device) send(t testing.TB, conv proto.ConvID, text string) proto.Message {
	t.Helper()
	r, err := d.Send(testCtx(t), conv, client.NewClientID(), text)
	if err != nil {
		t.Fatalf("%d sends to %d: %v", d.ID, conv, err)
	}
	return r.Message
}

// group creates an open group owned by owner with the others joined by ID.
func group(t testing.TB, name string, owner *device, others ...*device) proto.Conversation {
	t.Helper()
	g, err := owner.CreateGroupWith(testCtx(t), proto.CreateGroupRequest{Name: name, Policy: proto.PolicyOpen})
	if err != nil {
		t.Fatalf("create group: %v", err)
	}
	for _, d := range others {
		if _, err := d.JoinGroup(testCtx(t), g.ID); err != nil {
			t.Fatalf("%d joins %d: %v", d.ID, g.ID, err)
		}
	}
	return g
}

// lastSeq is the newest seq of conv as d sees it.
func (d *device) lastSeq(t testing.TB, conv proto.ConvID) int64 {
	t.Helper()
	cs, err := d.Conversations(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.ID == conv {
			return c.LastSeq
		}
	}
	t.Fatalf("%d is not in conversation %d", d.ID, conv)
	return 0
}

// sameMessages checks that got is exactly want, in order.
func sameMessages(t testing.TB, what string, got, want []proto.Message) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d messages, want %d", what, len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Conv != w.Conv || g.Seq != w.Seq || g.ClientID != w.ClientID || g.Text != w.Text || g.Sender != w.Sender {
			t.Fatalf("%s: message %d is %d/%d %q, want %d/%d %q", what, i, g.Conv, g.Seq, g.Text, w.Conv, w.Seq, w.Text)
		}
	}
}
