package model

import (
	"context"
	"fmt"
	"testing"

	"parley/app/state"
	"parley/net/proto"
	"parley/server/node/nodetest"
	"parley/store"
)

func storeQuery(q string) store.SearchQuery { return store.SearchQuery{Text: q, Limit: 100} }

// bigGroup makes a group of writer's with n messages ("m1"…), joined by
// the model's user after they were written: the model holds only the
// newest page of it.
func bigGroup(t *testing.T, srv *nodetest.Server, m *testModel, n int) (proto.ConvID, *nodetest.User) {
	t.Helper()
	writer := srv.NewUser(t, "writer")
	conv := nodetest.Group(t, writer, "archive")
	for i := 1; i <= n; i++ {
		send(t, writer, conv, fmt.Sprint("m", i))
	}
	if err := m.JoinGroup(context.Background(), fmt.Sprint(conv)); err != nil {
		t.Fatal(err)
	}
	return conv, writer
}

// contiguous fails unless the window's seqs follow one another.
func contiguous(t *testing.T, o *state.Open) {
	t.Helper()
	for i := 1; i < len(o.Messages); i++ {
		if o.Messages[i].Seq != o.Messages[i-1].Seq+1 && o.Messages[i].Seq != 0 { // 0: not sent yet
			t.Fatalf("the window has a gap between seq %d and %d", o.Messages[i-1].Seq, o.Messages[i].Seq)
		}
	}
}

func TestAJumpToAnOldMessageNotCachedLoadsTheWindowAroundIt(t *testing.T) {
	srv := nodetest.Start(t)
	ctx := context.Background()
	m := newTestModel(t, srv, t.TempDir())
	m.registerAndLogin(srv, "reader")
	conv, _ := bigGroup(t, srv, m, 200)
	st := m.State()
	if _, ok := openMsg(st, 40); ok {
		t.Fatal("the newest page already holds seq 40")
	}
	if got, err := m.account().db.After(ctx, conv, 39, 1); err != nil || len(got) != 0 && got[0].Seq == 40 {
		t.Fatalf("the cache holds seq 40 before the jump (%v, %v)", got, err)
	}
	if err := m.JumpTo(ctx, conv, 40, ""); err != nil {
		t.Fatal(err)
	}
	o := m.State().Open
	if o.Focus != 40 || o.FocusGen == 0 {
		t.Fatalf("focus = %d (gen %d), want 40", o.Focus, o.FocusGen)
	}
	if msg, ok := openMsg(m.State(), 40); !ok || msg.Text != "m39" { // seq 1 is "created"
		t.Fatalf("seq 40 = %+v, %v; want m39", msg.Message, ok)
	}
	contiguous(t, o)
	if first, last := o.Messages[0].Seq, o.Messages[len(o.Messages)-1].Seq; first != 40-jumpHalf || last != 40+jumpHalf {
		t.Fatalf("window %d…%d, want %d…%d", first, last, 40-jumpHalf, 40+jumpHalf)
	}
	if !o.HasNewer || !o.HasOlder {
		t.Fatalf("hasNewer=%v hasOlder=%v, want both", o.HasNewer, o.HasOlder)
	}
	// Older pages go on below it.
	if err := m.LoadOlder(ctx); err != nil {
		t.Fatal(err)
	}
	o = m.State().Open
	contiguous(t, o)
	if o.Messages[0].Seq != 1 || o.HasOlder {
		t.Fatalf("after an older page the window starts at %d (hasOlder %v), want 1", o.Messages[0].Seq, o.HasOlder)
	}
	// Newer pages go on up to the newest, which new messages then follow.
	for range 10 {
		if !m.State().Open.HasNewer {
			break
		}
		if err := m.LoadNewer(ctx); err != nil {
			t.Fatal(err)
		}
		contiguous(t, m.State().Open)
	}
	o = m.State().Open
	if o.HasNewer || o.Messages[len(o.Messages)-1].Seq != o.Last.Seq {
		t.Fatalf("after paging on: hasNewer=%v, last %d, newest %d", o.HasNewer, o.Messages[len(o.Messages)-1].Seq, o.Last.Seq)
	}
	if o.Messages[0].Seq != 1 {
		t.Fatalf("paging on dropped the start: window from %d", o.Messages[0].Seq)
	}
}

func TestAJumpWithinTheWindowOnlyFocuses(t *testing.T) {
	srv := nodetest.Start(t)
	ctx := context.Background()
	m := newTestModel(t, srv, t.TempDir())
	m.registerAndLogin(srv, "reader")
	conv, _ := bigGroup(t, srv, m, 80)
	if err := m.LoadOlder(ctx); err != nil {
		t.Fatal(err)
	}
	before := m.State().Open
	target := before.Messages[len(before.Messages)-10].Seq
	if err := m.JumpTo(ctx, conv, target, "m7"); err != nil {
		t.Fatal(err)
	}
	o := m.State().Open
	if o.Focus != target || o.FocusGen == before.FocusGen || o.Highlight != "m7" {
		t.Fatalf("focus %d gen %d highlight %q; want %d, a new gen, m7", o.Focus, o.FocusGen, o.Highlight, target)
	}
	if o.Revision != before.Revision || o.HasNewer {
		t.Fatalf("the window changed (revision %d→%d, hasNewer %v)", before.Revision, o.Revision, o.HasNewer)
	}
}

func TestSendingAfterAJumpGoesBackToTheNewest(t *testing.T) {
	srv := nodetest.Start(t)
	ctx := context.Background()
	m := newTestModel(t, srv, t.TempDir())
	m.registerAndLogin(srv, "reader")
	conv, _ := bigGroup(t, srv, m, 120)
	if err := m.JumpTo(ctx, conv, 10, ""); err != nil {
		t.Fatal(err)
	}
	if err := m.SendTo(ctx, conv, "back at the bottom"); err != nil {
		t.Fatal(err)
	}
	o := m.State().Open
	if o.HasNewer {
		t.Fatal("the window still stops before the newest")
	}
	contiguous(t, o)
	if ms := o.Messages; ms[len(ms)-1].Text != "back at the bottom" || ms[len(ms)-2].Seq != o.Last.Seq {
		t.Fatalf("the window ends %q after seq %d, want my message after the newest %d", ms[len(ms)-1].Text, ms[len(ms)-2].Seq, o.Last.Seq)
	}
}

func TestThePinBarFollowsPinsAndUnpins(t *testing.T) {
	srv := nodetest.Start(t)
	ctx := context.Background()
	m := newTestModel(t, srv, t.TempDir())
	m.registerAndLogin(srv, "reader")
	conv, writer := bigGroup(t, srv, m, 100)
	// Pinned before: found through the pins request, outside the window.
	change(t, writer, proto.TypePin, proto.PinRequest{Conv: conv, Seq: 5, ClientID: "p1"})
	if err := m.Open(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if err := m.Open(ctx, conv); err != nil {
		t.Fatal(err)
	}
	seqs := func(st state.State) []int64 {
		var s []int64
		for _, p := range st.Open.Pins {
			s = append(s, p.Seq)
		}
		return s
	}
	m.waitFor("the old pin", func(st state.State) bool { return fmt.Sprint(seqs(st)) == "[5]" })
	if err := m.LoadOlder(ctx); err != nil {
		t.Fatal(err)
	}
	// Pinned live, in the window and outside it; unpinned live.
	newest := int64(101) // m100: the newest text, in the window (the join event follows it)
	if _, ok := openMsg(m.State(), newest); !ok {
		t.Fatal("the window does not hold the newest text")
	}
	change(t, writer, proto.TypePin, proto.PinRequest{Conv: conv, Seq: newest, ClientID: "p2"})
	change(t, writer, proto.TypePin, proto.PinRequest{Conv: conv, Seq: 9, ClientID: "p3"})
	st := m.waitFor("three pins", func(st state.State) bool { return fmt.Sprint(seqs(st)) == fmt.Sprint([]int64{5, 9, newest}) })
	if st.Open.Pins[0].Text != "m4" {
		t.Fatalf("pin 5 = %q, want m4", st.Open.Pins[0].Text)
	}
	change(t, writer, proto.TypePin, proto.PinRequest{Conv: conv, Seq: 5, ClientID: "p4", Unpin: true})
	m.waitFor("the unpin", func(st state.State) bool { return fmt.Sprint(seqs(st)) == fmt.Sprint([]int64{9, newest}) })
	// My own unpin from the bar.
	if err := m.Pin(ctx, conv, newest, false); err != nil {
		t.Fatal(err)
	}
	m.waitFor("my unpin", func(st state.State) bool { return fmt.Sprint(seqs(st)) == "[9]" })
}

func TestSearchMergesWhatOnlyTheServerHasButNeverOthersConversations(t *testing.T) {
	srv := nodetest.Start(t)
	ctx := context.Background()
	m := newTestModel(t, srv, t.TempDir())
	me := m.registerAndLogin(srv, "reader")
	writer := srv.NewUser(t, "writer")
	conv := nodetest.Group(t, writer, "archive")
	old := send(t, writer, conv, "needle 针 in the old history")
	for i := range 80 {
		send(t, writer, conv, fmt.Sprint("filler ", i))
	}
	secret := nodetest.Group(t, writer, "not mine")
	send(t, writer, secret, "needle 针 in a group I am not in")
	if err := m.JoinGroup(ctx, fmt.Sprint(conv)); err != nil {
		t.Fatal(err)
	}
	if err := m.SendTo(ctx, conv, "my needle 针, sent from here"); err != nil {
		t.Fatal(err)
	}
	m.waitFor("sent", func(st state.State) bool {
		ms := st.Open.Messages
		return ms[len(ms)-1].Status.Stored()
	})
	if local, err := m.account().db.Search(ctx, storeQuery("针")); err != nil || len(local) != 1 {
		t.Fatalf("the cache finds %d (%v), want only my own message", len(local), err)
	}
	for _, q := range []string{"针", "needle"} {
		if err := m.Search(ctx, q); err != nil {
			t.Fatal(err)
		}
		st := m.waitFor("the server's part", func(st state.State) bool {
			return st.Search != nil && st.Search.Query == q && st.Search.Remote == state.RemoteDone
		})
		res := st.Search.Results
		if len(res) != 2 || res[0].Sender != me.ID || res[1].Seq != old.Seq || res[1].Conv != conv {
			t.Fatalf("search %q found %+v; want my message, then the old one only the server has", q, texts(res))
		}
	}
	// Within the conversation: the same two.
	if err := m.Find(ctx, conv, "needle"); err != nil {
		t.Fatal(err)
	}
	st := m.waitFor("the find", func(st state.State) bool { return st.Find != nil && st.Find.Remote == state.RemoteDone })
	if len(st.Find.Results) != 2 || st.Search == nil || st.Search.Query != "needle" {
		t.Fatalf("find found %q (the search is %+v)", texts(st.Find.Results), st.Search)
	}
	// Offline: the cache's results, and the server's part is missing.
	srv.Stop()
	m.waitFor("offline", func(st state.State) bool { return st.Conn == state.Offline })
	if err := m.Search(ctx, "needle"); err != nil {
		t.Fatal(err)
	}
	st = m.State()
	if st.Search.Remote != state.RemoteMissing || len(st.Search.Results) != 1 {
		t.Fatalf("offline search: remote %v, %q", st.Search.Remote, texts(st.Search.Results))
	}
}

func TestThePinBarCatchesUpAfterAReconnect(t *testing.T) {
	srv := nodetest.Start(t)
	dir := t.TempDir()
	m := newTestModel(t, srv, dir)
	m.registerAndLogin(srv, "reader")
	conv, writer := bigGroup(t, srv, m, 10)
	if st := m.State(); st.Open == nil || st.Open.ID != conv || len(st.Open.Pins) != 0 {
		t.Fatalf("open %+v, want the group without pins", st.Open)
	}
	m.Close()
	// Pinned while this device was away.
	change(t, writer, proto.TypePin, proto.PinRequest{Conv: conv, Seq: 3, ClientID: "p1"})
	m = newTestModel(t, srv, dir) // opens the group again, then connects
	st := m.waitFor("the pin", func(st state.State) bool {
		return st.Open != nil && st.Open.ID == conv && len(st.Open.Pins) == 1
	})
	if p := st.Open.Pins[0]; p.Seq != 3 || p.Text != "m2" {
		t.Fatalf("pin %d %q, want 3 m2", p.Seq, p.Text)
	}
}
