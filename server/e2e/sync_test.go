package e2e

import (
	"fmt"
	"sync"
	"testing"

	"parley/net/client"
	"parley/net/proto"
)

func TestOfflineMemberGetsExactlyWhatItMissedOnReconnect(t *testing.T) {
	srv := start(t)
	a := login(t, srv.URL, register(t, srv.URL, "A"))
	b := login(t, srv.URL, register(t, srv.URL, "B"))
	g := group(t, "g", a, b)
	have := b.lastSeq(t, g.ID)

	b.Close()
	var sent []proto.Message
	for i := range 100 {
		sent = append(sent, a.send(t, g.ID, fmt.Sprintf("while you were out %d", i)))
	}

	b = b.resume(t, srv.URL)
	_, missed, err := b.SyncAll(testCtx(t), map[proto.ConvID]int64{g.ID: have})
	if err != nil {
		t.Fatal(err)
	}
	sameMessages(t, "missed messages", missed, sent)
}

func TestMemberWhoMissedMoreThanASyncPageGetsEverything(t *testing.T) {
	srv := start(t)
	a := login(t, srv.URL, register(t, srv.URL, "A"))
	b := login(t, srv.URL, register(t, srv.URL, "B"))
	g1 := group(t, "one", a, b)
	g2 := group(t, "two", a, b)
	have := map[proto.ConvID]int64{g1.ID: b.lastSeq(t, g1.ID), g2.ID: b.lastSeq(t, g2.ID)}
	b.Close()

	// 1200 messages in g1 (over two pages), sent by 8 concurrent senders; 3 in g2.
	const n, senders = 1200, 8
	var wg sync.WaitGroup
	for s := range senders {
		wg.Go(func() {
			for i := s; i < n; i += senders {
				if _, err := a.Send(testCtx(t), g1.ID, client.NewClientID(), fmt.Sprint(i)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	for i := range 3 {
		a.send(t, g2.ID, fmt.Sprint(i))
	}

	b = b.resume(t, srv.URL)
	_, missed, err := b.SyncAll(testCtx(t), have)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[proto.ConvID]int{}
	next := map[proto.ConvID]int64{g1.ID: have[g1.ID] + 1, g2.ID: have[g2.ID] + 1}
	for _, m := range missed {
		if m.Seq != next[m.Conv] {
			t.Fatalf("got %d/%d, want seq %d next", m.Conv, m.Seq, next[m.Conv])
		}
		next[m.Conv]++
		counts[m.Conv]++
	}
	if counts[g1.ID] != n || counts[g2.ID] != 3 {
		t.Fatalf("got %v messages per conversation, want %d and 3", counts, n)
	}
}

func TestRetriedSendIsStoredOnce(t *testing.T) {
	srv := start(t)
	a := login(t, srv.URL, register(t, srv.URL, "A"))
	g := group(t, "g", a)
	ctx := testCtx(t)
	id := client.NewClientID()

	first, err := a.Send(ctx, g.ID, id, "once")
	if err != nil || first.Duplicate {
		t.Fatalf("first send: %+v, %v", first, err)
	}
	retry := func(when string, d *device) {
		t.Helper()
		again, err := d.Send(testCtx(t), g.ID, id, "once")
		if err != nil {
			t.Fatalf("send %s: %v", when, err)
		}
		if !again.Duplicate || again.Message.Seq != first.Message.Seq || again.Message.ClientID != id {
			t.Fatalf("send %s = %+v, want a duplicate of seq %d", when, again, first.Message.Seq)
		}
	}
	retry("again on the same connection", a)
	a.Close()
	a = a.resume(t, srv.URL)
	retry("after reconnecting", a)
	srv.Restart(t)
	a = a.resume(t, srv.URL)
	retry("after a server restart", a)

	h, err := a.History(testCtx(t), proto.HistoryRequest{Conv: g.ID})
	if err != nil {
		t.Fatal(err)
	}
	stored := 0
	for _, m := range h.Messages {
		if m.ClientID == id {
			stored++
		}
	}
	if stored != 1 || h.Messages[len(h.Messages)-1].Seq != first.Message.Seq {
		t.Fatalf("history holds the message %d times and ends at seq %d, want once, ending at %d",
			stored, h.Messages[len(h.Messages)-1].Seq, first.Message.Seq)
	}
}

func TestEveryDeviceOfAUserReceivesEveryMessage(t *testing.T) {
	srv := start(t)
	ann := register(t, srv.URL, "Ann")
	phone := login(t, srv.URL, ann)
	laptop := phone.resume(t, srv.URL) // the second device resumes the first one's session
	desktop := login(t, srv.URL, ann)  // the third logs in on its own
	b := login(t, srv.URL, register(t, srv.URL, "B"))
	g := group(t, "g", b)
	if _, err := laptop.JoinGroup(testCtx(t), g.ID); err != nil {
		t.Fatal(err)
	}

	var sent []proto.Message
	for i := range 10 {
		from := b
		if i%2 == 1 {
			from = phone // each device also sees what the others sent
		}
		sent = append(sent, from.send(t, g.ID, fmt.Sprint("m", i)))
	}
	for name, d := range map[string]*device{"phone": phone, "laptop": laptop, "desktop": desktop} {
		sameMessages(t, name, d.inbox.texts(t, g.ID, len(sent)), sent)
	}
}
