package model

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"parley/app/state"
	"parley/server/node/nodetest"
)

// hammer runs f in a loop on its own goroutine until the returned stop
// is called.
func hammer(f func()) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			default:
			}
			f()
		}
	}()
	return func() {
		close(done)
		wg.Wait()
	}
}

func TestFileActionsDuringLoginFindTheAccountComplete(t *testing.T) {
	srv := nodetest.Start(t)
	m := newTestModel(t, srv, t.TempDir())
	ctx := context.Background()
	if err := m.Register(ctx, srv.HTTPURL, "filer", "secret-password", "secret-password"); err != nil {
		t.Fatal(err)
	}
	id := fmt.Sprint(m.State().Registered.ID)
	stop := hammer(func() { m.SendFile(ctx, "", "") }) // refused: no file chosen
	defer stop()
	for range 5 {
		if err := m.Login(ctx, srv.HTTPURL, id, "secret-password"); err != nil {
			t.Fatal(err)
		}
		m.online()
		if err := m.Logout(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLogoutWhileActionsStartWork(t *testing.T) {
	srv := nodetest.Start(t)
	m := newTestModel(t, srv, t.TempDir())
	me := m.registerAndLogin(srv, "quitter")
	ctx := context.Background()
	if err := m.CreateGroup(ctx, "g"); err != nil {
		t.Fatal(err)
	}
	conv := m.State().Open.ID
	for i := range 5 {
		if i > 0 {
			if err := m.Login(ctx, srv.HTTPURL, fmt.Sprint(me.ID), "secret-password"); err != nil {
				t.Fatal(err)
			}
			m.online()
		}
		// Opening a conversation online loads its members in the
		// background; sending wakes the flusher.
		stopOpen := hammer(func() { m.Open(ctx, conv) })
		stopSend := hammer(func() { m.Send(ctx, "hi") })
		m.waitFor("an open conversation", func(st state.State) bool { return st.Open != nil })
		if err := m.Logout(ctx); err != nil {
			t.Fatal(err)
		}
		stopOpen()
		stopSend()
		if st := m.State(); st.Me != nil || st.Open != nil {
			t.Fatalf("after logout the state still shows an account: me %v, open %v", st.Me, st.Open)
		}
	}
}

func TestNoGoroutineStartsOnAStoppedAccount(t *testing.T) {
	srv := nodetest.Start(t)
	m := newTestModel(t, srv, t.TempDir())
	m.registerAndLogin(srv, "stopper")
	a := m.account()
	if err := m.Logout(context.Background()); err != nil {
		t.Fatal(err)
	}
	if a.spawn(func() {}) {
		t.Fatal("a goroutine started on an account that had stopped")
	}
}
