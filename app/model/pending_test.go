package model

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"parley/app/state"
	"parley/net/client"
	"parley/net/proto"
	"parley/server/node/nodetest"
)

// device is another device of the account with token: a connection of
// its own.
func device(t *testing.T, srv *nodetest.Server, token string) *client.Conn {
	t.Helper()
	ctx := context.Background()
	c, err := client.Dial(ctx, srv.URL, client.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := c.Resume(ctx, token); err != nil {
		t.Fatal(err)
	}
	return c
}

// serverEntries returns every entry the server holds in conv, as the
// account with token reads it.
func serverEntries(t *testing.T, srv *nodetest.Server, token string, conv proto.ConvID) []proto.Message {
	t.Helper()
	h, err := device(t, srv, token).History(context.Background(), proto.HistoryRequest{Conv: conv, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return h.Messages
}

// An edit and a reaction made offline wait in the store: the app quits,
// starts again, and sends them on reconnect with the client IDs they got
// when asked. The edit had reached the server before the app quit (its
// reply was lost): sent again, it is applied once.
func TestChangesMadeOfflineSurviveARestartAndApplyOnce(t *testing.T) {
	srv := nodetest.Start(t)
	dir := t.TempDir()
	ctx := context.Background()
	m := newTestModel(t, srv, dir)
	m.registerAndLogin(srv, "me")
	if err := m.CreateGroup(ctx, "g"); err != nil {
		t.Fatal(err)
	}
	conv := m.State().Open.ID
	token := m.account().token
	if err := m.SendTo(ctx, conv, "mine"); err != nil {
		t.Fatal(err)
	}
	st := m.waitFor("my message sent", func(st state.State) bool {
		ms := st.Open.Messages
		return len(ms) > 0 && ms[len(ms)-1].Text == "mine" && ms[len(ms)-1].Seq > 0
	})
	seq := st.Open.Messages[len(st.Open.Messages)-1].Seq

	srv.Stop()
	m.waitFor("offline", func(st state.State) bool { return st.Conn != state.Online })
	if err := m.Edit(ctx, conv, seq, "mine, edited offline"); err != nil {
		t.Fatal(err)
	}
	if err := m.React(ctx, conv, seq, "👍"); err != nil {
		t.Fatal(err)
	}
	queued, err := m.account().db.PendingChanges(ctx)
	if err != nil || len(queued) != 2 || queued[0].Type != proto.TypeEdit || queued[1].Type != proto.TypeReact {
		t.Fatalf("queued %+v, %v; want the edit, then the reaction", queued, err)
	}
	m.Close()

	srv.Restart(t)
	var first proto.SendReply
	if err := device(t, srv, token).Call(ctx, queued[0].Type, queued[0].Body, &first); err != nil {
		t.Fatalf("the edit's first attempt: %v", err)
	}
	m2 := newTestModel(t, srv, dir)
	m2.online() // online: onConnect has sent the outbox and the changes
	if left, err := m2.account().db.PendingChanges(ctx); err != nil || len(left) != 0 {
		t.Fatalf("after reconnect the queue holds %+v, %v", left, err)
	}
	count := map[string]int{}
	for _, e := range serverEntries(t, srv, token, conv) {
		count[e.Kind]++
		switch e.Kind {
		case proto.MsgEdit:
			if e.ClientID != queued[0].ClientID {
				t.Errorf("the edit went with client ID %q, queued as %q", e.ClientID, queued[0].ClientID)
			}
		case proto.MsgText:
			if e.Text != "mine, edited offline" || e.Edited == 0 {
				t.Errorf("the server holds %q (edited %d)", e.Text, e.Edited)
			}
			if want := []proto.Reaction{{Emoji: "👍", Users: []proto.UserID{m2.State().Me.ID}}}; !reflect.DeepEqual(e.Reactions, want) {
				t.Errorf("reactions %+v, want %+v", e.Reactions, want)
			}
		}
	}
	if count[proto.MsgEdit] != 1 || count[proto.MsgReact] != 1 {
		t.Fatalf("the server holds %d edits and %d reactions, want one each", count[proto.MsgEdit], count[proto.MsgReact])
	}
	if err := m2.Open(ctx, conv); err != nil {
		t.Fatal(err)
	}
	m2.waitFor("the changes shown", func(st state.State) bool {
		x, ok := openMsg(st, seq)
		return ok && x.Text == "mine, edited offline" && len(x.Reactions) == 1
	})
}

// Hides made on another device while this one is away come with sync,
// after the newest this device holds (kept across restarts), a page of
// 500 at a time: all 501 cached messages hidden elsewhere are hidden here.
func TestHidesFromAnotherDeviceArriveAfterTheNewestHeldPageByPage(t *testing.T) {
	srv := nodetest.Start(t)
	dir := t.TempDir()
	ctx := context.Background()
	m := newTestModel(t, srv, dir)
	m.registerAndLogin(srv, "me")
	token := m.account().token
	writer := srv.NewUser(t, "writer")
	conv := nodetest.Group(t, writer, "g")
	if err := m.JoinGroup(ctx, fmt.Sprint(conv)); err != nil {
		t.Fatal(err)
	}
	const n = proto.MaxHistoryLimit + 1
	var seqs []int64
	for i := range n {
		seqs = append(seqs, send(t, writer, conv, fmt.Sprint("m", i)).Seq)
	}
	m.waitFor("every message cached", func(st state.State) bool {
		for _, c := range st.Conversations {
			if c.ID == conv && c.Last != nil && c.Last.Seq == seqs[n-1] {
				return true
			}
		}
		return false
	})
	other := device(t, srv, token)
	hide := func(seq int64) proto.Hidden {
		var r proto.HideReply
		if err := other.Call(ctx, proto.TypeHide, proto.TargetRequest{Conv: conv, Seq: seq, ClientID: fmt.Sprint("h", seq)}, &r); err != nil {
			t.Fatal(err)
		}
		return r.Hidden
	}
	first := hide(seqs[0])
	m.waitFor("the first hide pushed", func(st state.State) bool {
		after, _ := m.account().db.HiddenAfter(ctx)
		return after == first.ID
	})
	m.Close()

	for _, seq := range seqs[1:] {
		hide(seq)
	}
	m2 := newTestModel(t, srv, dir)
	m2.online() // online: sync is done
	for _, seq := range []int64{seqs[0], seqs[1], seqs[n-1]} {
		ms, err := m2.account().db.After(ctx, conv, seq-1, 1)
		if err != nil || len(ms) != 1 || !ms[0].Hidden {
			t.Fatalf("message %d after the restart: %+v, %v; want it hidden", seq, ms, err)
		}
	}
	if after, _ := m2.account().db.HiddenAfter(ctx); after != first.ID+n-1 {
		t.Fatalf("HiddenAfter = %d, want %d", after, first.ID+n-1)
	}
}

// My message pushed back to me before the reply to my send (the push and
// the reply race) is in the store while its outbox item still waits for
// the ack: it shows once, sent, not also as sending.
func TestAMessagePushedBeforeItsAckShowsOnce(t *testing.T) {
	srv := nodetest.Start(t)
	ctx := context.Background()
	m := newTestModel(t, srv, t.TempDir())
	me := m.registerAndLogin(srv, "me")
	if err := m.CreateGroup(ctx, "g"); err != nil {
		t.Fatal(err)
	}
	conv := m.State().Open.ID
	srv.Stop()
	m.waitFor("offline", func(st state.State) bool { return st.Conn != state.Online })
	if err := m.Send(ctx, "once"); err != nil {
		t.Fatal(err)
	}
	a := m.account()
	items, err := a.db.Outbox(ctx)
	if err != nil || len(items) != 1 {
		t.Fatalf("outbox %+v, %v", items, err)
	}
	pushed := proto.Message{Conv: conv, Seq: 2, ClientID: items[0].ClientID, Sender: me.ID, SenderName: me.Name, Time: items[0].Created, Kind: proto.MsgText, Text: "once"}
	if err := a.exec(ctx, func() error { return a.putMessages(ctx, []proto.Message{pushed}, true) }); err != nil {
		t.Fatal(err)
	}
	a.refresh()
	st := m.waitFor("the pushed copy", func(st state.State) bool {
		_, ok := openMsg(st, 2)
		return ok
	})
	var rows []string
	for _, x := range st.Open.Messages {
		if x.Text == "once" {
			rows = append(rows, fmt.Sprintf("seq %d status %v", x.Seq, x.Status))
		}
	}
	if len(rows) != 1 {
		t.Fatalf("the message shows %d times: %q", len(rows), rows)
	}
}
