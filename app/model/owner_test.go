package model

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"parley/app/state"
	"parley/net/proto"
	"parley/server/node/nodetest"
	"parley/store"
)

// blast sends n texts ("msg 0" … "msg n-1") to conv as fast as the server
// takes them: each sender keeps many sends in flight.
func blast(t *testing.T, senders []*nodetest.User, conv proto.ConvID, n int) {
	t.Helper()
	const perSender = 32 // sends in flight per connection (the server allows 64)
	next := make(chan int, n)
	for i := range n {
		next <- i
	}
	close(next)
	var wg sync.WaitGroup
	errs := make(chan error, len(senders)*perSender)
	for _, u := range senders {
		for range perSender {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
				defer cancel()
				for i := range next {
					if _, err := u.Conn.Send(ctx, conv, fmt.Sprintf("%s-%d", u.Name, i), fmt.Sprintf("msg %d", i)); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("send: %v", err)
	}
}

// storedTexts counts the text messages the account's store holds in conv,
// by text.
func storedTexts(t *testing.T, db store.Store, conv proto.ConvID) map[string]int {
	t.Helper()
	got := map[string]int{}
	var after int64
	for {
		ms, err := db.After(context.Background(), conv, after, store.MaxLimit)
		if err != nil {
			t.Fatal(err)
		}
		for _, msg := range ms {
			if msg.Kind == proto.MsgText {
				got[msg.Text]++
			}
		}
		if len(ms) < store.MaxLimit {
			return got
		}
		after = ms[len(ms)-1].Seq
	}
}

// checkEachOnce fails unless texts holds "msg 0" … "msg n-1" once each.
func checkEachOnce(t *testing.T, texts map[string]int, n int) {
	t.Helper()
	if len(texts) != n {
		t.Fatalf("the store holds %d different texts, want %d", len(texts), n)
	}
	for i := range n {
		if c := texts[fmt.Sprintf("msg %d", i)]; c != 1 {
			t.Fatalf("msg %d is stored %d times", i, c)
		}
	}
}

// lastSeqOf is conv's newest seq on the server, read by u.
func lastSeqOf(t *testing.T, u *nodetest.User, conv proto.ConvID) int64 {
	t.Helper()
	h, err := u.Conn.History(context.Background(), proto.HistoryRequest{Conv: conv, Limit: 1})
	if err != nil || len(h.Messages) != 1 {
		t.Fatalf("newest message of %d: %v", conv, err)
	}
	return h.Messages[0].Seq
}

// inviteModel brings the model's user into a new group of senders and
// waits until the model lists it.
func inviteModel(t *testing.T, m *testModel, me proto.User, senders []*nodetest.User) proto.ConvID {
	t.Helper()
	conv := nodetest.Group(t, senders[0], "busy", senders[1:]...)
	if _, err := senders[0].Conn.Invite(context.Background(), me.ID, conv); err != nil {
		t.Fatal(err)
	}
	m.waitFor("the group", func(st state.State) bool { return unreadIn(st, conv) >= 0 })
	return conv
}

func TestABusyGroupDoesNotDisconnectTheClient(t *testing.T) {
	const n = 5000
	srv := nodetest.Start(t)
	m := newTestModel(t, srv, t.TempDir())
	me := m.registerAndLogin(srv, "reader")
	senders := []*nodetest.User{srv.NewUser(t, "s0"), srv.NewUser(t, "s1"), srv.NewUser(t, "s2"), srv.NewUser(t, "s3")}
	conv := inviteModel(t, m, me, senders)
	if err := m.Open(context.Background(), conv); err != nil {
		t.Fatal(err)
	}
	a := m.account()
	connects := a.connects.Load()

	blast(t, senders, conv, n)
	last := lastSeqOf(t, senders[0], conv)
	m.waitWithin(3*time.Minute, "every message", func(st state.State) bool {
		return st.Open != nil && st.Open.Last != nil && st.Open.Last.Seq == last
	})

	if got := a.connects.Load() - connects; got != 0 {
		t.Errorf("the client connected %d more times while the group was busy, want 0", got)
	}
	checkEachOnce(t, storedTexts(t, a.db, conv), n)
}
