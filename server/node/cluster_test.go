package node_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"parley/net/client"
	"parley/net/proto"
	"parley/server/internal/servicetest"
	"parley/server/node"
	"parley/server/node/nodetest"
)

// cluster starts two nodes sharing a PostgreSQL database and a NATS
// server, and returns them and the NATS server.
func cluster(t *testing.T) (n1, n2 *nodetest.Server, bus *servicetest.NATSServer) {
	t.Helper()
	dsn, nats := servicetest.PostgreSQL(t), servicetest.StartNATS(t)
	start := func() *nodetest.Server {
		return nodetest.Start(t, nodetest.WithConfig(func(c *node.Config) { c.DB, c.NATS = dsn, nats.URL }))
	}
	return start(), start(), nats
}

// nextPush waits for a push of type typ on u's connection, skipping
// others.
func nextPush(t testing.TB, u *nodetest.User, typ string) client.Push {
	t.Helper()
	timeout := time.After(60 * time.Second)
	for {
		select {
		case p := <-u.Pushes:
			if p.Type == typ {
				return p
			}
		case <-timeout:
			t.Fatalf("%s got no %s push", u.Name, typ)
			return client.Push{}
		}
	}
}

// Two nodes of a cluster: people connected to different nodes talk as on
// one server. Messages cross in order, typing (an event in memory)
// crosses, a device connected to one node is online in the device list
// of the other, and a device revoked through one node is closed on the
// other.
func TestPeopleOnTwoNodesTalk(t *testing.T) {
	n1, n2, _ := cluster(t)
	li, wang := n1.NewUser(t, "李华"), n2.NewUser(t, "Wang")
	g := nodetest.Group(t, li, "Study", wang)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for i := range 20 {
		if _, err := li.Conn.Send(ctx, g, fmt.Sprint("c", i), fmt.Sprint("大家好 ", i)); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 20 {
		want := fmt.Sprint("大家好 ", i)
		if m := wang.Message(t, g, func(m proto.Message) bool { return m.Kind == proto.MsgText }); m.Text != want {
			t.Fatalf("Wang, on the other node, got %q, want %q (in order)", m.Text, want)
		}
	}

	if err := wang.Conn.Call(ctx, proto.TypeTyping, proto.TypingRequest{Conv: g}, nil); err != nil {
		t.Fatal(err)
	}
	var typing proto.TypingPush
	if err := json.Unmarshal(nextPush(t, li, proto.TypeTyping).Body, &typing); err != nil || typing.User != wang.ID {
		t.Fatalf("Li's typing push: %+v %v", typing, err)
	}

	// Wang's second device is on node 1; Wang revokes it from node 2.
	c, err := client.Dial(ctx, n1.URL, client.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Login(ctx, wang.ID, nodetest.Password, "laptop"); err != nil {
		t.Fatal(err)
	}
	// Node 2 has heard of the laptop once it passed on Li's typing, which
	// node 1 published after (one node's events arrive in order).
	if err := li.Conn.Call(ctx, proto.TypeTyping, proto.TypingRequest{Conv: g}, nil); err != nil {
		t.Fatal(err)
	}
	nextPush(t, wang, proto.TypeTyping)
	var devs proto.DevicesReply
	if err := wang.Conn.Call(ctx, proto.TypeDevices, nil, &devs); err != nil {
		t.Fatal(err)
	}
	var laptop string
	for _, d := range devs.Devices {
		if d.Name == "laptop" {
			laptop = d.ID
			if !d.Online {
				t.Fatal("Wang's laptop, connected to node 1, is not online in the device list node 2 gives")
			}
		}
	}
	if err := wang.Conn.Call(ctx, proto.TypeRevokeDevice, proto.RevokeDeviceRequest{ID: laptop}, nil); err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.Done():
		if reason, ok := client.Revoked(c.Err()); !ok {
			t.Fatalf("the laptop's connection on node 1 ended with %v, want revoked (%q)", c.Err(), reason)
		}
	case <-ctx.Done():
		t.Fatal("the revoked laptop's connection on node 1 stayed open")
	}
}

// The bus goes down: messages committed meanwhile still reach the other
// node, from the commit log, in order; when it is back, they flow over it
// again.
func TestMessagesCrossNodesWhileTheBusIsDown(t *testing.T) {
	n1, n2, bus := cluster(t)
	li, wang := n1.NewUser(t, "李华"), n2.NewUser(t, "Wang")
	g := nodetest.Group(t, li, "Study", wang)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	send := func(text string) {
		t.Helper()
		if _, err := li.Conn.Send(ctx, g, text, text); err != nil {
			t.Fatal(err)
		}
	}
	expect := func(want string) {
		t.Helper()
		if m := wang.Message(t, g, func(m proto.Message) bool { return m.Kind == proto.MsgText }); m.Text != want {
			t.Fatalf("Wang got %q, want %q", m.Text, want)
		}
	}
	send("before")
	expect("before")
	bus.Stop()
	for i := range 5 {
		send(fmt.Sprint("during ", i))
	}
	for i := range 5 {
		expect(fmt.Sprint("during ", i))
	}
	bus.Start()
	send("after")
	expect("after")
	if r := n2.Metric(t, "parley_cluster_repaired"); r < 5 {
		t.Fatalf("node 2 says it read %v positions from the log, want at least the 5 sent while the bus was down", r)
	}
	if p1, p2 := n1.Metric(t, "parley_cluster_position"), n2.Metric(t, "parley_cluster_position"); p1 == 0 || p2 == 0 {
		t.Fatalf("positions %v, %v", p1, p2)
	}
}

// Presence is the cluster's: a user connected to two nodes is online
// until their last connection anywhere closes, and a watcher on another
// node hears of it once.
func TestPresenceSpansTheNodes(t *testing.T) {
	n1, n2, _ := cluster(t)
	li, wang := n1.NewUser(t, "李华"), n2.NewUser(t, "Wang")
	tom := n1.NewUser(t, "Tom")
	g := nodetest.Group(t, li, "Study", wang, tom)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// Tom's second connection, on node 2.
	tom2, err := client.Dial(ctx, n2.URL, client.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer tom2.Close()
	if _, err := tom2.Resume(ctx, tom.Token); err != nil {
		t.Fatal(err)
	}
	// Wang watches the group (members), and sees Li online, who is
	// connected to node 1 only.
	ms, err := wang.Conn.Members(ctx, g)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.ID == li.ID && !m.Online {
			t.Fatalf("Li, connected to node 1, is offline to Wang on node 2: %+v", ms)
		}
	}
	presence := func() proto.Presence {
		t.Helper()
		p := nextPush(t, wang, proto.TypePresence)
		return *p.Presence
	}
	tom.Conn.Close() // Tom is still online, on node 2
	tom2.Close()     // now Tom is gone
	if p := presence(); p.User != tom.ID || p.Online {
		t.Fatalf("Wang's first presence push: %+v, want Tom offline", p)
	}
	// The next is Sam coming online: nothing more came about Tom.
	sam := n1.NewUser(t, "Sam")
	if _, err := sam.Conn.JoinGroup(ctx, g); err != nil {
		t.Fatal(err)
	}
	sam.Conn.Close()
	if p := presence(); p.User != sam.ID {
		t.Fatalf("Wang's next presence push: %+v, want Sam's", p)
	}
}

// A node that commits and never publishes (it died between the two): the
// other node's clients still get those messages, in order, from the
// commit log, within the clock's poll.
func TestCommitsNobodyPublishedStillArrive(t *testing.T) {
	dsn, nats := servicetest.PostgreSQL(t), servicetest.StartNATS(t)
	n1 := nodetest.Start(t, nodetest.WithConfig(func(c *node.Config) {
		c.DB, c.NATS = dsn, nats.URL
		c.Unpublished = func(int64) bool { return true }
	}))
	n2 := nodetest.Start(t, nodetest.WithConfig(func(c *node.Config) { c.DB, c.NATS = dsn, nats.URL }))
	li, wang := n1.NewUser(t, "李华"), n2.NewUser(t, "Wang")
	g := nodetest.Group(t, li, "Study", wang)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for i := range 5 {
		if _, err := li.Conn.Send(ctx, g, fmt.Sprint("c", i), fmt.Sprint("m", i)); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 5 {
		if m := wang.Message(t, g, func(m proto.Message) bool { return m.Kind == proto.MsgText }); m.Text != fmt.Sprint("m", i) {
			t.Fatalf("Wang got %q, want %q", m.Text, fmt.Sprint("m", i))
		}
	}
}

// Logging out, and changing the password, through one node close the
// connections of that session (logout) or of the others (password) on
// the other node.
func TestLogoutAndPasswordChangeCloseSessionsOnOtherNodes(t *testing.T) {
	n1, n2, _ := cluster(t)
	wang := n2.NewUser(t, "Wang")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dial := func(url string) *client.Conn {
		t.Helper()
		c, err := client.Dial(ctx, url, client.DialOptions{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	ended := func(c *client.Conn, what string) error {
		t.Helper()
		select {
		case <-c.Done():
			return c.Err()
		case <-ctx.Done():
			t.Fatalf("%s stayed open", what)
			return nil
		}
	}
	// The same session on node 1 too; logout on node 2 ends it there.
	same := dial(n1.URL)
	if _, err := same.Resume(ctx, wang.Token); err != nil {
		t.Fatal(err)
	}
	if err := wang.Conn.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	if err := ended(same, "the logged-out session's connection on node 1"); err == nil {
		t.Fatal("no reason")
	}
	// A laptop session on node 1; a new password set through node 2 ends it.
	phone := dial(n2.URL)
	if _, err := phone.Login(ctx, wang.ID, nodetest.Password, "phone"); err != nil {
		t.Fatal(err)
	}
	laptop := dial(n1.URL)
	if _, err := laptop.Login(ctx, wang.ID, nodetest.Password, "laptop"); err != nil {
		t.Fatal(err)
	}
	if err := phone.Call(ctx, proto.TypeSetPassword, proto.SetPasswordRequest{Current: nodetest.Password, New: "a new secret password"}, nil); err != nil {
		t.Fatal(err)
	}
	if reason, ok := client.Revoked(ended(laptop, "the laptop on node 1 after the password changed")); !ok || reason != proto.ReasonPasswordChanged {
		t.Fatalf("the laptop's connection ended as revoked %v with %q, want %q", ok, reason, proto.ReasonPasswordChanged)
	}
	select {
	case <-phone.Done():
		t.Fatalf("the phone, which changed the password, was closed too: %v", phone.Err())
	default:
	}
}
