package model

import (
	"context"
	"encoding/json"
	"errors"
	"sync"

	"parley/net/client"
	"parley/net/proto"
)

// An account's state is changed by one goroutine, its owner (loop): the
// socket's read goroutine only queues what the server pushed, and actions,
// replies and syncs hand their store writes to the owner (exec). The owner
// takes everything waiting at once, so that a burst of pushes goes to the
// store in one transaction and is followed by one refresh.
//
// Refreshes are coalesced (refresher): at most one runs and one waits, and
// a request made while one runs is served by the next.

// event is one thing for the owner to apply: exactly one field is set.
type event struct {
	msg      *proto.Message          // a message pushed (or learnt from a reply) to store
	conv     *proto.ConversationPush // I joined or left a conversation
	presence *proto.Presence         // a member of the open conversation came or went
	hidden   json.RawMessage         // the body of a hidden push (changes.go)
	typing   json.RawMessage         // the body of a typing push (typing.go)
	do       func() error            // an action's store writes; its result goes to done
	done     chan<- error
}

// inbox is the owner's queue. It is unbounded: the socket's reader must
// never wait for the store.
type inbox struct {
	mu   sync.Mutex
	q    []event
	wake chan struct{} // one token: something is queued
}

func newInbox() inbox { return inbox{wake: make(chan struct{}, 1)} }

func (in *inbox) post(e event) {
	in.mu.Lock()
	in.q = append(in.q, e)
	in.mu.Unlock()
	select {
	case in.wake <- struct{}{}:
	default:
	}
}

// take returns everything queued and empties the queue.
func (in *inbox) take() []event {
	in.mu.Lock()
	defer in.mu.Unlock()
	q := in.q
	in.q = nil
	return q
}

// spawn starts f on a goroutine that stop waits for. Once the account is
// stopping it refuses (returns false) and f does not run: a goroutine
// started after stop's Wait began would outlive the account and its store.
func (a *account) spawn(f func()) bool {
	a.lifeMu.Lock()
	defer a.lifeMu.Unlock()
	if a.stopping {
		return false
	}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		f()
	}()
	return true
}

// onPush handles what the server sends unasked, on the connection's read
// goroutine: it only queues it for the owner (calls have their own lock
// and state, calls.go).
func (a *account) onPush(p client.Push) {
	switch {
	case p.Message != nil:
		a.inbox.post(event{msg: p.Message})
	case p.Conversation != nil:
		a.inbox.post(event{conv: p.Conversation})
	case p.Presence != nil:
		a.inbox.post(event{presence: p.Presence})
	case p.Type == proto.TypeConvSettings || p.Type == proto.TypeBlocksPush:
		a.settingsPush(p) // settings.go
	case p.Type == proto.TypeHidden:
		a.inbox.post(event{hidden: p.Body})
	case p.Type == proto.TypeRead:
		a.readPush(p.Body) // receipts.go
	case p.Type == proto.TypeReceipt:
		a.receiptPush(p.Body)
	case p.Type == proto.TypeTyping:
		// In order with the messages: one pushed before it must not end
		// the typing it starts (typing.go).
		a.inbox.post(event{typing: p.Body})
	case p.Type == proto.TypeJoinRequest:
		a.joinRequestPush(p.Body) // groups.go
	case p.Type == proto.TypeJoinAnswered:
		a.joinAnsweredPush(p.Body)
	case p.Type == proto.TypeJoinRequestAnswered:
		a.requestAnsweredPush(p.Body)
	case p.Type == proto.TypeProfile:
		a.profilePush(p.Body) // settings.go
	case isCallPush(p.Type):
		a.callPush(p) // calls.go
	}
}

// receive stores a message learnt outside the push stream (the reply to
// an upload): it goes through the owner like a push.
func (a *account) receive(_ context.Context, msg proto.Message) {
	a.inbox.post(event{msg: &msg})
}

// errStopped is what exec returns once the account is stopping.
var errStopped = errors.New("the account was logged out")

// exec runs f on the owner goroutine, after everything queued before it,
// and returns its error. It must not be called from the owner itself.
func (a *account) exec(ctx context.Context, f func() error) error {
	done := make(chan error, 1)
	a.inbox.post(event{do: f, done: done})
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	case <-a.ctx.Done():
		return errStopped
	}
}

// loop is the owner goroutine: it applies queued events until the
// account stops.
func (a *account) loop() {
	for {
		select {
		case <-a.ctx.Done():
			return
		case <-a.inbox.wake:
		}
		a.apply(a.inbox.take())
	}
}

// apply applies events in order; consecutive messages are stored as one
// batch.
func (a *account) apply(evs []event) {
	ctx := a.ctx
	var batch []proto.Message
	flush := func() {
		if len(batch) > 0 {
			a.storePushed(ctx, batch)
			batch = nil
		}
	}
	for _, e := range evs {
		if e.msg != nil {
			batch = append(batch, *e.msg)
			continue
		}
		flush()
		switch {
		case e.conv != nil:
			a.conversationPush(ctx, *e.conv)
		case e.presence != nil:
			a.mu.Lock()
			if e.presence.Conv == a.open {
				a.presence[e.presence.User] = e.presence.Online
			}
			a.mu.Unlock()
			a.requestRefresh()
		case e.hidden != nil:
			a.hiddenPush(ctx, e.hidden)
		case e.typing != nil:
			a.typingPush(e.typing)
		case e.do != nil:
			e.done <- e.do()
		}
	}
	flush()
}

// refresher rebuilds the state from the store whenever asked, until the
// account stops. Requests made while it rebuilds are served by one more
// rebuild, not one each.
func (a *account) refresher() {
	for {
		select {
		case <-a.ctx.Done():
			return
		case <-a.rf.wake:
		}
		a.rf.mu.Lock()
		gen := a.rf.want
		a.rf.mu.Unlock()
		a.rebuild()
		a.rf.mu.Lock()
		a.rf.done = gen
		close(a.rf.changed)
		a.rf.changed = make(chan struct{})
		a.rf.mu.Unlock()
	}
}

// refreshes coalesces refresh requests (refresher).
type refreshes struct {
	mu         sync.Mutex
	want, done uint64        // requests made, and served
	changed    chan struct{} // closed when done moves
	wake       chan struct{} // one token: a request waits
}

func newRefreshes() refreshes {
	return refreshes{changed: make(chan struct{}), wake: make(chan struct{}, 1)}
}

// requestRefresh asks for a refresh and returns without waiting.
func (a *account) requestRefresh() uint64 {
	a.rf.mu.Lock()
	a.rf.want++
	gen := a.rf.want
	a.rf.mu.Unlock()
	select {
	case a.rf.wake <- struct{}{}:
	default:
	}
	return gen
}

// refresh rebuilds the conversation list and the open conversation and
// waits until a rebuild that began after the call has published them (an
// action's result shows when the action returns). Not for the owner or
// the refresher goroutines: they use requestRefresh.
func (a *account) refresh() {
	gen := a.requestRefresh()
	for {
		a.rf.mu.Lock()
		done, changed := a.rf.done, a.rf.changed
		a.rf.mu.Unlock()
		if done >= gen {
			return
		}
		select {
		case <-changed:
		case <-a.ctx.Done():
			return
		}
	}
}
