package hub

import (
	"bytes"
	"context"
	"encoding/json"

	"github.com/coder/websocket"

	"parley/net/proto"
)

// In a cluster (server/cluster) the hub holds only this node's
// connections. Committed messages reach every node through the commit
// log and the bus (the node calls Publish in commit-clock order). What
// lives only in memory goes to the other nodes as events, best effort:
// pushes to a user's connections (receipts, typing, profiles, settings,
// join requests), sessions closed (logout, revoked devices, a changed
// password, a disabled or deleted account: the database has ended them
// already, so a lost event leaves at worst a connection that cannot
// resume), presence, and calls (clustercalls.go).

// Cluster is the hub's side of the bus (cluster.Bus).
type Cluster interface {
	// Publish sends an event to the other nodes; they hand it to their
	// hub's Remote.
	Publish(kind string, payload any)
	// SendTo sends an event to one node, which hands it to its Remote.
	SendTo(node, kind string, payload any)
	// Request asks node's hub to answer (its CallRequest).
	Request(ctx context.Context, node, kind string, payload any) ([]byte, error)
	// SendMedia sends call audio to node's hub (its CallMedia).
	SendMedia(node string, data []byte)
	// Node is this node's name.
	Node() string
}

// Kinds of the hub's cluster events.
const (
	eventPush        = "push"
	eventClose       = "close"
	eventPresence    = "presence"
	eventPresenceAsk = "presence_ask" // a node asks another for its users
	eventPresenceAll = "presence_all" // a node's answer: every user connected to it
)

type pushEvent struct {
	Users []proto.UserID  `json:"users"`
	Frame json.RawMessage `json:"frame"`
}

// closeEvent closes user's connections of one session (Only), or of all
// but one (Except, nil: all); LoggedOut: as a logout does, else as a
// revoked session.
type closeEvent struct {
	User      proto.UserID `json:"user"`
	Reason    string       `json:"reason"`
	Only      []byte       `json:"only,omitempty"`
	Except    []byte       `json:"except,omitempty"`
	LoggedOut bool         `json:"logged_out,omitempty"`
}

// presenceEvent: user's connections on Node changed; Here is what they
// are now, nothing if Online is false.
type presenceEvent struct {
	Node   string       `json:"node"`
	User   proto.UserID `json:"user"`
	Online bool         `json:"online"`
	Here
}

// Here is what a node has of a user: the references of the user's
// connections (calls ring them: clustercalls.go) and the IDs of the
// devices (sessions) they are of (devices shows them online).
type Here struct {
	Refs    []uint64 `json:"refs,omitempty"`
	Devices []string `json:"devices,omitempty"`
}

// presenceAsk asks Node for every user connected to it.
type presenceAsk struct {
	Node string `json:"node"`
}

// presenceAll is every user connected to Node, with their connections'
// references, and every user in a call Node holds.
type presenceAll struct {
	Node  string                `json:"node"`
	Users map[proto.UserID]Here `json:"users"`
	Busy  []proto.UserID        `json:"busy,omitempty"`
}

// NodeSeen is told of a node that joined or came back: this node asks it
// for its users (they may have come and gone unheard).
func (h *Hub) NodeSeen(node string) {
	if h.cfg.Cluster != nil {
		h.cfg.Cluster.Publish(eventPresenceAsk, presenceAsk{Node: node})
	}
}

// NodeGone is told of a node that went silent: its users are offline,
// unless connected elsewhere.
func (h *Hub) NodeGone(node string) {
	h.setNodeUsers(node, nil)
	h.callsNodeGone(node)
}

// setNodeUsers makes users the ones connected to node, with those
// connections, and announces those whose presence in the cluster
// changed.
func (h *Hub) setNodeUsers(node string, now map[proto.UserID]Here) {
	var on, off []proto.UserID
	h.mu.Lock()
	for u, nodes := range h.remoteOnline {
		_, was := nodes[node]
		if _, is := now[u]; was && !is {
			before := h.onlineLocked(u)
			delete(nodes, node)
			if len(nodes) == 0 {
				delete(h.remoteOnline, u)
			}
			if before && !h.onlineLocked(u) {
				off = append(off, u)
			}
		}
	}
	for u, here := range now {
		before := h.onlineLocked(u)
		if h.remoteOnline[u] == nil {
			h.remoteOnline[u] = map[string]Here{}
		}
		h.remoteOnline[u][node] = here
		if !before {
			on = append(on, u)
		}
	}
	h.mu.Unlock()
	for _, u := range off {
		h.announceLocal(u, false)
	}
	for _, u := range on {
		h.announceLocal(u, true)
	}
}

// clusterPush sends frame to users' connections on the other nodes.
func (h *Hub) clusterPush(users []proto.UserID, frame []byte) {
	if h.cfg.Cluster != nil {
		h.cfg.Cluster.Publish(eventPush, pushEvent{Users: users, Frame: frame})
	}
}

// clusterClose closes the matching connections on the other nodes.
func (h *Hub) clusterClose(e closeEvent) {
	if h.cfg.Cluster != nil {
		h.cfg.Cluster.Publish(eventClose, e)
	}
}

// closeLocal closes the connections on this node that e names.
func (h *Hub) closeLocal(e closeEvent) {
	if e.LoggedOut {
		h.kickLocal(e.User, e.Only, nil)
		return
	}
	h.closeSessions(e.User, e.Reason, func(hash []byte) bool {
		if e.Only != nil {
			return string(hash) == string(e.Only)
		}
		return e.Except == nil || string(hash) != string(e.Except)
	})
}

// onlineLocked reports whether user is online anywhere in the cluster.
// Call with h.mu held.
func (h *Hub) onlineLocked(user proto.UserID) bool {
	return len(h.users[user]) > 0 || len(h.remoteOnline[user]) > 0
}

// setRemote records e's node's presence of its user, and reports whether
// that changed whether the user is online in the cluster.
func (h *Hub) setRemote(e presenceEvent) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	before := h.onlineLocked(e.User)
	nodes := h.remoteOnline[e.User]
	if e.Online {
		if nodes == nil {
			nodes = map[string]Here{}
			h.remoteOnline[e.User] = nodes
		}
		nodes[e.Node] = e.Here
	} else {
		delete(nodes, e.Node)
		if len(nodes) == 0 {
			delete(h.remoteOnline, e.User)
		}
	}
	return h.onlineLocked(e.User) != before
}

// Remote handles an event another node's hub published.
func (h *Hub) Remote(kind string, payload []byte) {
	switch kind {
	case eventPush:
		var e pushEvent
		if err := json.Unmarshal(payload, &e); err != nil {
			h.log.Warn("bad cluster push", "err", err)
			return
		}
		if bytes.HasPrefix(e.Frame, profilePushPrefix) {
			h.renamedElsewhere(e.Frame)
		}
		for _, u := range e.Users {
			h.pushLocal(u, e.Frame)
		}
	case eventClose:
		var e closeEvent
		if err := json.Unmarshal(payload, &e); err != nil {
			h.log.Warn("bad cluster close", "err", err)
			return
		}
		h.closeLocal(e)
	case eventPresence:
		var e presenceEvent
		if err := json.Unmarshal(payload, &e); err != nil {
			h.log.Warn("bad cluster presence", "err", err)
			return
		}
		if h.setRemote(e) {
			h.announceLocal(e.User, e.Online)
		}
	case eventPresenceAsk:
		var e presenceAsk
		if err := json.Unmarshal(payload, &e); err != nil || h.cfg.Cluster == nil || e.Node != h.cfg.Cluster.Node() {
			return
		}
		h.mu.RLock()
		all := presenceAll{Node: e.Node, Users: make(map[proto.UserID]Here, len(h.users))}
		for u := range h.users {
			all.Users[u] = h.hereLocked(u)
		}
		h.mu.RUnlock()
		all.Busy = h.calls.svc.Busy()
		h.cfg.Cluster.Publish(eventPresenceAll, all)
	case eventPresenceAll:
		var e presenceAll
		if err := json.Unmarshal(payload, &e); err != nil {
			h.log.Warn("bad cluster presence", "err", err)
			return
		}
		h.setNodeUsers(e.Node, e.Users)
		h.calls.away.setNodeBusy(e.Node, e.Busy)
	default:
		h.callRemote(kind, payload)
	}
}

// profilePushPrefix begins every profile push frame (proto.EncodePush).
var profilePushPrefix = []byte(`{"type":"` + proto.TypeProfile + `",`)

// renamedElsewhere: a profile push from another node is of a user whose
// name may have changed there. Their connections to this node send under
// the name it carries from now on, as the user's other connections on
// that node do (people.go, renamed); before the push is queued, so that
// a device that saw it sends under the new name.
func (h *Hub) renamedElsewhere(frame []byte) {
	var f struct {
		Body proto.ProfilePush `json:"body"`
	}
	if err := json.Unmarshal(frame, &f); err != nil {
		h.log.Warn("bad cluster profile push", "err", err)
		return
	}
	h.mu.RLock()
	for _, c := range h.users[f.Body.User.ID] {
		name := f.Body.User.Name
		c.rename.Store(&name)
	}
	h.mu.RUnlock()
}

// DropAll closes every connection to this node with "try again later"
// (1013): after the node lost messages it cannot deliver (the commit log
// was pruned while it was cut off), its clients reconnect and sync, as
// after any drop, and get them from the database.
func (h *Hub) DropAll(reason string) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for c := range h.conns {
		c.close(websocket.StatusTryAgainLater, reason)
	}
}
