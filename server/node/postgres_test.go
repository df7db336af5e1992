package node_test

import (
	"context"
	"testing"
	"time"

	"parley/net/client"
	"parley/net/proto"
	"parley/server/internal/servicetest"
	"parley/server/node"
	"parley/server/node/nodetest"
)

// A node with -db on PostgreSQL serves as one on SQLite does: people
// register, log in, make a group and talk, and after a restart (a new
// data folder: nothing of the database is in it) the history, the
// accounts and the sessions are still there.
func TestANodeOnPostgreSQL(t *testing.T) {
	dsn := servicetest.PostgreSQL(t)
	srv := nodetest.Start(t, nodetest.WithConfig(func(c *node.Config) { c.DB = dsn }))
	li, wang := srv.NewUser(t, "李华"), srv.NewUser(t, "Wang")
	g := nodetest.Group(t, li, "Study", wang)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sent, err := li.Conn.Send(ctx, g, "c1", "大家好")
	if err != nil {
		t.Fatal(err)
	}
	if got := wang.Message(t, g, func(m proto.Message) bool { return m.Kind == proto.MsgText }); got.Text != "大家好" || got.Seq != sent.Message.Seq {
		t.Fatalf("Wang got %+v, want %+v", got, sent.Message)
	}

	srv.Stop()
	again := nodetest.Start(t, nodetest.WithConfig(func(c *node.Config) { c.DB = dsn }))
	c, err := client.Dial(ctx, again.URL, client.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Resume(ctx, wang.Token); err != nil {
		t.Fatalf("Wang's session after the restart: %v", err)
	}
	h, err := c.History(ctx, proto.HistoryRequest{Conv: g, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Messages) == 0 || h.Messages[len(h.Messages)-1].Text != "大家好" {
		t.Fatalf("after the restart the history is %+v", h.Messages)
	}
}
