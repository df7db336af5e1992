package hub

import (
	"math/rand/v2"
	"sync"
	"time"

	"parley/net/proto"
	"parley/server/calls"
)

// What a node of a cluster keeps to take part in calls held by others
// (clustercalls.go): the calls its devices are in or told of, with their
// homes, who is busy elsewhere, and the references that name its devices
// to the other nodes.

// away is what a node knows of the calls held elsewhere that its devices
// take part in, or are told of.
type away struct {
	mu    sync.RWMutex
	calls map[proto.CallID]*awayCall
	convs map[proto.ConvID]proto.CallID    // group calls in progress elsewhere, by group
	busy  map[string]map[proto.UserID]bool // by node: the users in a call it holds
}

type awayCall struct {
	home  string
	conv  proto.ConvID        // a group call's group
	conns map[calls.Conn]bool // the devices here in it, or ringing
	told  map[calls.Conn]bool // a group call's: the devices here told of its state

	// What its history entry needs, should its home die before writing
	// it: the caller (a group call's starter) and callee, when a device
	// here answered it, and a group call's start and who was in it.
	caller, callee proto.User
	answered       time.Time
	started        int64
	joined         []proto.UserID
}

// refs names this node's devices (connections and UDP legs) to the other
// nodes. Numbers start at random, so that a reference another node still
// holds from this node's last run never names a device of this one.
type refs struct {
	next  uint64
	mu    sync.RWMutex
	byRef map[uint64]calls.Conn
	of    map[calls.Conn]uint64
}

// ref returns c's reference, giving it one if it has none.
func (r *refs) ref(c calls.Conn) uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	if id, ok := r.of[c]; ok {
		return id
	}
	if r.byRef == nil {
		r.byRef, r.of = map[uint64]calls.Conn{}, map[calls.Conn]uint64{}
		r.next = rand.Uint64() >> 1
	}
	r.next++
	r.byRef[r.next], r.of[c] = c, r.next
	return r.next
}

// lookup returns the device ref names, if it is still here.
func (r *refs) lookup(ref uint64) calls.Conn {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.byRef[ref]
}

// drop forgets c's reference (it closed).
func (r *refs) drop(c calls.Conn) (uint64, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	id, ok := r.of[c]
	if ok {
		delete(r.of, c)
		delete(r.byRef, id)
	}
	return id, ok
}

// isBusy reports whether user is in a call on another node.
func (a *away) isBusy(user proto.UserID) bool {
	a.mu.RLock()
	defer a.mu.RUnlock()
	for _, users := range a.busy {
		if users[user] {
			return true
		}
	}
	return false
}

// setBusy records e.
func (a *away) setBusy(e busyEvent) {
	a.mu.Lock()
	defer a.mu.Unlock()
	switch users := a.busy[e.Node]; {
	case !e.Busy:
		delete(users, e.User)
	case users == nil:
		if a.busy == nil {
			a.busy = map[string]map[proto.UserID]bool{}
		}
		a.busy[e.Node] = map[proto.UserID]bool{e.User: true}
	default:
		users[e.User] = true
	}
}

// setNodeBusy makes users the ones busy on node (its presence_all).
func (a *away) setNodeBusy(node string, users []proto.UserID) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.busy == nil {
		a.busy = map[string]map[proto.UserID]bool{}
	}
	a.busy[node] = map[proto.UserID]bool{}
	for _, u := range users {
		a.busy[node][u] = true
	}
}

// note records that local device c takes part in call id held by home
// (of group conv, if a group call), or rings for it; told, that it was
// told of its state.
func (a *away) note(id proto.CallID, home string, conv proto.ConvID, c calls.Conn, told bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.calls == nil {
		a.calls, a.convs = map[proto.CallID]*awayCall{}, map[proto.ConvID]proto.CallID{}
	}
	ac := a.calls[id]
	if ac == nil {
		ac = &awayCall{home: home, conv: conv, conns: map[calls.Conn]bool{}, told: map[calls.Conn]bool{}}
		a.calls[id] = ac
		if conv != 0 {
			a.convs[conv] = id
		}
	}
	switch {
	case told:
		ac.told[c] = true
	case c != nil:
		ac.conns[c] = true
	}
}

// forget removes c from call id (its call_end), or the whole call (c
// nil: a group call's end).
func (a *away) forget(id proto.CallID, c calls.Conn) {
	a.mu.Lock()
	defer a.mu.Unlock()
	ac := a.calls[id]
	if ac == nil {
		return
	}
	if c != nil {
		delete(ac.conns, c)
	}
	if c == nil || len(ac.conns) == 0 && ac.conv == 0 {
		delete(a.calls, id)
		if ac.conv != 0 && a.convs[ac.conv] == id {
			delete(a.convs, ac.conv)
		}
	}
}

// learn runs f on what is known of call id, if anything.
func (a *away) learn(id proto.CallID, f func(*awayCall)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if ac := a.calls[id]; ac != nil {
		f(ac)
	}
}

// home returns the node holding call id, "" if none known.
func (a *away) home(id proto.CallID) string {
	a.mu.RLock()
	defer a.mu.RUnlock()
	if ac := a.calls[id]; ac != nil {
		return ac.home
	}
	return ""
}

// groupHome returns the node holding the call of group conv, "" if
// none known.
func (a *away) groupHome(conv proto.ConvID) string {
	a.mu.RLock()
	defer a.mu.RUnlock()
	if ac := a.calls[a.convs[conv]]; ac != nil {
		return ac.home
	}
	return ""
}

// mediaHome returns the node holding call id if c takes part in it.
func (a *away) mediaHome(id proto.CallID, c calls.Conn) string {
	a.mu.RLock()
	defer a.mu.RUnlock()
	if ac := a.calls[id]; ac != nil && ac.conns[c] {
		return ac.home
	}
	return ""
}

// leave removes c from every call held elsewhere, and returns the homes
// to tell.
func (a *away) leave(c calls.Conn) []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var homes []string
	for id, ac := range a.calls {
		delete(ac.told, c)
		if ac.conns[c] {
			delete(ac.conns, c)
			homes = append(homes, ac.home)
			if len(ac.conns) == 0 && ac.conv == 0 {
				delete(a.calls, id)
			}
		}
	}
	return homes
}

// homeGone removes the calls node held, and returns them.
func (a *away) homeGone(node string) map[proto.CallID]*awayCall {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := map[proto.CallID]*awayCall{}
	for id, ac := range a.calls {
		if ac.home == node {
			out[id] = ac
			delete(a.calls, id)
			if ac.conv != 0 && a.convs[ac.conv] == id {
				delete(a.convs, ac.conv)
			}
		}
	}
	delete(a.busy, node)
	return out
}
