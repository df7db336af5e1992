package node_test

import (
	"context"
	"errors"
	"fmt"
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

// PostgreSQL goes down during sends: the sends fail with unavailable
// (and when to retry) while it is down, nothing acknowledged is lost,
// and once it is back, sends go through again and history holds every
// acknowledged message once, in gap-free order.
func TestANodeThroughAPostgreSQLRestart(t *testing.T) {
	pg := servicetest.StartPostgreSQL(t)
	srv := nodetest.Start(t, nodetest.WithConfig(func(c *node.Config) { c.DB = pg.URL }))
	li := srv.NewUser(t, "李华")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	g, err := li.Conn.CreateGroup(ctx, "Study")
	if err != nil {
		t.Fatal(err)
	}
	acked := map[string]int64{}
	send := func(id string) error {
		r, err := li.Conn.Send(ctx, g.ID, id, "text "+id)
		if err == nil {
			acked[id] = r.Message.Seq
		}
		return err
	}
	for i := range 10 {
		if err := send(fmt.Sprint("before-", i)); err != nil {
			t.Fatal(err)
		}
	}
	pg.Stop()
	err = send("during")
	if pe, ok := errors.AsType[*proto.Error](err); !ok || pe.Code != proto.CodeUnavailable || pe.RetryAfterMs <= 0 {
		t.Fatalf("a send while PostgreSQL is down: %v, want unavailable with retry_after_ms", err)
	}
	pg.Start()
	// More sends, and the retry of the failed one; the pools reconnect by
	// themselves (a few requests still fail as unavailable while they do).
	for i := 0; i < 10; {
		id := fmt.Sprint("after-", i)
		if err := send(id); err != nil {
			if proto.CodeOf(err) != proto.CodeUnavailable {
				t.Fatalf("send after the restart: %v", err)
			}
			continue
		}
		i++
	}
	for err := send("during"); err != nil; err = send("during") {
		if proto.CodeOf(err) != proto.CodeUnavailable {
			t.Fatalf("the retried send: %v", err)
		}
	}
	// A client retries what fails as unavailable (each connection the
	// pools held across the restart fails once).
	var h proto.HistoryReply
	for {
		if h, err = li.Conn.History(ctx, proto.HistoryRequest{Conv: g.ID, Limit: proto.MaxHistoryLimit}); proto.CodeOf(err) != proto.CodeUnavailable {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for i, m := range h.Messages {
		if m.Seq != int64(i+1) {
			t.Fatalf("history: message %d has seq %d (a gap)", i, m.Seq)
		}
		if m.Kind == proto.MsgText {
			seen[m.ClientID]++
		}
	}
	for id, seq := range acked {
		if seen[id] != 1 {
			t.Fatalf("acknowledged message %s (seq %d) is in the history %d times", id, seq, seen[id])
		}
	}
	if len(seen) != len(acked) {
		t.Fatalf("history holds %d messages, %d were acknowledged", len(seen), len(acked))
	}
}
