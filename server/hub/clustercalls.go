package hub

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"parley/net/proto"
	"parley/server/calls"
)

// Calls across the nodes of a cluster (docs/architecture.md, "Calls in a
// cluster").
//
// A call lives on one node, its home: a 1:1 call on the caller's node, a
// group call on the node of whoever started it. That node's switchboard
// holds all of its state, as on a single server. The devices of the
// people in it that are connected to other nodes take part through
// stand-ins (remoteConn): a calls.Conn whose pushes and audio go to the
// device's node over the bus, addressed by the device's reference there.
// Each node tells the others the references of its users' devices with
// its presence events, so the switchboard rings devices anywhere.
//
// The device's node, in turn, learns a call's home from the pushes it
// relays (call_incoming, call_accepted, group_call_state), and forwards
// the device's requests about that call (call_accept, call_decline,
// call_hangup, call_mute, group_call, call_media, call_rtc_offer's
// check) to the home as a bus request, and its audio as bus media. The
// home answers with the switchboard's reply or error, which the device's
// node returns as its own.
//
// Who is busy is known cluster-wide from events: each switchboard tells
// the others (OnBusy) who enters and leaves its calls, and refuses to
// ring, or to start, a call of someone busy on another node (Busy). Two
// calls to one person started on two nodes within the bus's delay can
// both ring; the person answers one.
//
// When a node goes (PeerGone), the calls it held end on the other nodes'
// devices (call_end "dropped"), and its devices leave the calls held
// elsewhere, as closed connections do.

// Kinds of the call events and requests between nodes.
const (
	eventCallPush   = "call_push"   // a push of the switchboard to a device on the receiving node
	eventCallGone   = "call_gone"   // a device in a call the receiving node holds closed
	eventCallOnline = "call_online" // a device logged in: ring it if a call to its user rings
	eventBusy       = "busy"        // a user entered or left a call on the sending node
	requestCallOp   = "call_op"     // a device's request about a call the receiving node holds
)

// Operations a device's node forwards to a call's home (callOp.Op):
// request types, and two of the hub's own.
const (
	opAttach  = "attach"   // call_media: carry the user's audio on this device
	opUDPCall = "udp_call" // call_rtc_offer: may the user offer a UDP leg, for what codec
)

// Kinds of media between nodes: the first byte.
const (
	mediaToDevice = 'o' // from a call's home to a device: ref (8), packet
	mediaFromDev  = 'i' // from a device to its call's home: ref (8), node length (1), node, packet
)

// callForwardTimeout bounds a forwarded request's wait for the home.
const callForwardTimeout = 5 * time.Second

// remoteConn stands in for a device on another node in this node's
// switchboard. It is a comparable value: the same device is the same
// stand-in every time.
type remoteConn struct {
	h    *Hub
	node string
	ref  uint64
}

type callPush struct {
	Node  string          `json:"node"` // the call's home
	Ref   uint64          `json:"ref"`
	Frame json.RawMessage `json:"frame"`
}

type callGone struct {
	Node string `json:"node"` // the device's node
	Ref  uint64 `json:"ref"`
}

type callOnline struct {
	Node string       `json:"node"`
	Ref  uint64       `json:"ref"`
	User proto.UserID `json:"user"`
}

type busyEvent struct {
	Node string       `json:"node"`
	User proto.UserID `json:"user"`
	Busy bool         `json:"busy"`
}

type callOp struct {
	Op   string          `json:"op"`
	Node string          `json:"node"` // the device's node
	Ref  uint64          `json:"ref"`
	User proto.User      `json:"user"`
	Body json.RawMessage `json:"body"`
}

type callOpReply struct {
	Result json.RawMessage `json:"result,omitempty"`
	Err    *proto.Error    `json:"err,omitempty"`
}

// Push implements calls.Conn: the frame goes to the device's node.
func (r remoteConn) Push(frame []byte) {
	r.h.cfg.Cluster.SendTo(r.node, eventCallPush, callPush{Node: r.h.cfg.Cluster.Node(), Ref: r.ref, Frame: frame})
}

// SendMedia implements calls.Conn: the packet goes to the device's node,
// which queues it on the device's audio lane (or drops it there).
func (r remoteConn) SendMedia(pkt []byte) bool {
	b := make([]byte, 9+len(pkt))
	b[0] = mediaToDevice
	binary.BigEndian.PutUint64(b[1:], r.ref)
	copy(b[9:], pkt)
	r.h.cfg.Cluster.SendMedia(r.node, b)
	return true
}

// clustered reports whether the hub is a node of a cluster.
func (h *Hub) clustered() bool { return h.cfg.Cluster != nil }

// remoteBusy is the switchboard's Busy: user is in a call on another
// node.
func (h *Hub) remoteBusy(user proto.UserID) bool { return h.calls.away.isBusy(user) }

// tellBusy is the switchboard's OnBusy.
func (h *Hub) tellBusy(user proto.UserID, busy bool) {
	if h.clustered() {
		h.cfg.Cluster.Publish(eventBusy, busyEvent{Node: h.cfg.Cluster.Node(), User: user, Busy: busy})
	}
}

// callHome returns the node that holds the call a request names (by ID,
// or a group's by conv), "" when it is this one or unknown (the
// switchboard here answers).
func (h *Hub) callHome(id proto.CallID, conv proto.ConvID) string {
	if !h.clustered() {
		return ""
	}
	switch {
	case id != 0:
		if h.calls.svc.Holds(id) {
			return ""
		}
		return h.calls.away.home(id)
	case conv != 0:
		if h.calls.svc.HoldsGroupCall(conv) {
			return ""
		}
		return h.calls.away.groupHome(conv)
	}
	return ""
}

// callFn is a call request as the switchboard's node runs it, for user
// on from: a connection here, or a device on another node.
type callFn func(ctx context.Context, from calls.Conn, user proto.User, body json.RawMessage) (any, error)

// routed serves a call request about one call: here if this node holds
// it (or nobody does), else at its home.
func (h *Hub) routed(op string) func(ctx context.Context, c *conn, body json.RawMessage) (any, error) {
	return func(ctx context.Context, c *conn, body json.RawMessage) (any, error) {
		var key struct {
			Call proto.CallID `json:"call"`
			Conv proto.ConvID `json:"conv"`
		}
		if err := json.Unmarshal(body, &key); err != nil {
			return nil, proto.Errorf(proto.CodeBadRequest, "bad %s: %v", op, err)
		}
		return h.runCallOp(ctx, op, c, c.user, body, h.callHome(key.Call, key.Conv))
	}
}

// runCallOp runs op here (home "") or at home, for user on from.
func (h *Hub) runCallOp(ctx context.Context, op string, from calls.Conn, user proto.User, body json.RawMessage, home string) (any, error) {
	fn := h.calls.ops[op]
	if home == "" {
		return fn(ctx, from, user, body)
	}
	ctx, cancel := context.WithTimeout(ctx, callForwardTimeout)
	defer cancel()
	data, err := h.cfg.Cluster.Request(ctx, home, requestCallOp, callOp{
		Op: op, Node: h.cfg.Cluster.Node(), Ref: h.calls.refs.ref(from), User: user, Body: body,
	})
	if err != nil {
		h.log.Warn("call request to its server", "op", op, "home", home, "err", err)
		return nil, &proto.Error{Code: proto.CodeUnavailable, Message: "the server holding this call does not answer; try again", RetryAfterMs: 1000}
	}
	var r callOpReply
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, errors.New("call request: bad answer from " + home)
	}
	if r.Err != nil {
		return nil, r.Err
	}
	// The device takes part now: its audio and its end go to the home.
	var ref struct {
		Call proto.CallID `json:"call"`
		Conv proto.ConvID `json:"conv"`
	}
	switch op {
	case proto.TypeCallAccept, proto.TypeGroupCall, opAttach:
		if json.Unmarshal(r.Result, &ref) == nil && ref.Call != 0 {
			h.calls.away.note(ref.Call, home, ref.Conv, from, false)
		} else if json.Unmarshal(body, &ref) == nil && ref.Call != 0 {
			h.calls.away.note(ref.Call, home, 0, from, false)
		}
		if op == proto.TypeCallAccept {
			now := h.now()
			h.calls.away.learn(ref.Call, func(ac *awayCall) { ac.answered = now })
		}
	}
	return r.Result, nil
}

// CallRequest answers another node's request (its OnRequest).
func (h *Hub) CallRequest(kind string, payload []byte) []byte {
	var r callOpReply
	var req callOp
	err := json.Unmarshal(payload, &req)
	fn := h.calls.ops[req.Op]
	switch {
	case kind != requestCallOp || err != nil || fn == nil:
		r.Err = proto.Errorf(proto.CodeBadRequest, "unknown cluster request %s %s", kind, req.Op)
	default:
		ctx, cancel := context.WithTimeout(h.ctx, callForwardTimeout)
		res, err := fn(ctx, remoteConn{h, req.Node, req.Ref}, req.User, req.Body)
		cancel()
		if err == nil {
			r.Result, err = json.Marshal(res)
		}
		if err != nil {
			pe, ok := errors.AsType[*proto.Error](err)
			if !ok {
				h.log.Error("call request from another node", "op", req.Op, "node", req.Node, "err", err)
				pe = proto.Errorf(proto.CodeInternal, "internal error")
			}
			r.Err, r.Result = pe, nil
		}
	}
	out, _ := json.Marshal(r)
	return out
}

// CallMedia takes audio another node sent (its OnMedia).
func (h *Hub) CallMedia(data []byte) {
	if len(data) < 9 {
		return
	}
	ref := binary.BigEndian.Uint64(data[1:9])
	switch data[0] {
	case mediaToDevice:
		if c := h.calls.refs.lookup(ref); c != nil {
			if !c.SendMedia(data[9:]) {
				h.calls.dropped.With(calls.PeerSlow.String()).Inc()
			}
		}
	case mediaFromDev:
		if len(data) < 10 || len(data) < 10+int(data[9]) {
			return
		}
		node := string(data[10 : 10+int(data[9])])
		h.relay(remoteConn{h, node, ref}, data[10+int(data[9]):])
	}
}

// relayAway sends a packet of local device from to the home of its call,
// if another node holds it; it reports whether it did.
func (h *Hub) relayAway(from calls.Conn, pkt []byte) bool {
	id, ok := proto.PacketCall(pkt)
	if !ok || !h.clustered() {
		return false
	}
	home := h.calls.away.mediaHome(id, from)
	if home == "" {
		return false
	}
	node := h.cfg.Cluster.Node()
	b := make([]byte, 10+len(node)+len(pkt))
	b[0] = mediaFromDev
	binary.BigEndian.PutUint64(b[1:], h.calls.refs.ref(from))
	b[9] = byte(len(node))
	copy(b[10:], node)
	copy(b[10+len(node):], pkt)
	h.cfg.Cluster.SendMedia(home, b)
	h.calls.forwarded.Inc()
	return true
}

// pushFromHome delivers a push of another node's switchboard to a device
// here, and learns from it which calls that node holds.
func (h *Hub) pushFromHome(e callPush) {
	c := h.calls.refs.lookup(e.Ref)
	if c == nil {
		h.cfg.Cluster.SendTo(e.Node, eventCallGone, callGone{Node: h.cfg.Cluster.Node(), Ref: e.Ref})
		return
	}
	var f struct {
		Type string `json:"type"`
		Body struct {
			Call         proto.CallID            `json:"call"`
			Conv         proto.ConvID            `json:"conv"`
			Ended        bool                    `json:"ended"`
			From         proto.User              `json:"from"`       // call_incoming
			StartedBy    proto.UserID            `json:"started_by"` // group_call_state
			Started      int64                   `json:"started"`
			Participants []proto.CallParticipant `json:"participants"`
		} `json:"body"`
	}
	if json.Unmarshal(e.Frame, &f) == nil && f.Body.Call != 0 {
		a, b := &h.calls.away, f.Body
		switch {
		case f.Type == proto.TypeCallEnd:
			a.forget(b.Call, c)
		case f.Type == proto.TypeGroupCallState && b.Ended:
			a.forget(b.Call, nil)
		case f.Type == proto.TypeGroupCallState:
			a.note(b.Call, e.Node, b.Conv, c, true)
			a.learn(b.Call, func(ac *awayCall) {
				ac.started = b.Started
				if ac.caller.ID != b.StartedBy {
					ac.caller = proto.User{ID: b.StartedBy}
				}
				for _, p := range b.Participants {
					if p.ID == b.StartedBy && ac.caller.Name == "" {
						ac.caller.Name = p.Name
					}
					if !slices.Contains(ac.joined, p.ID) {
						ac.joined = append(ac.joined, p.ID)
					}
				}
			})
		default: // call_incoming, call_accepted
			a.note(b.Call, e.Node, b.Conv, c, false)
			if f.Type == proto.TypeCallIncoming {
				callee := h.userOf(c)
				a.learn(b.Call, func(ac *awayCall) {
					ac.caller = b.From
					if b.Conv == 0 {
						ac.callee = callee
					}
				})
			}
		}
	}
	c.Push(e.Frame)
}

// userOf returns the user of a connection here (none for a UDP leg, or
// one logged out).
func (h *Hub) userOf(c calls.Conn) proto.User {
	wc, ok := c.(*conn)
	if !ok {
		return proto.User{}
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	return wc.user
}

// awayGone tells the homes of the calls c took part in that it closed.
func (h *Hub) awayGone(c calls.Conn) {
	if !h.clustered() {
		return
	}
	homes := h.calls.away.leave(c)
	ref, ok := h.calls.refs.drop(c)
	if !ok {
		return
	}
	for _, home := range homes {
		h.cfg.Cluster.SendTo(home, eventCallGone, callGone{Node: h.cfg.Cluster.Node(), Ref: ref})
	}
}

// callsNodeGone ends what node's going ends: its devices leave the calls
// held here, and the calls it held end on the devices here.
func (h *Hub) callsNodeGone(node string) {
	h.calls.svc.GoneWhere(func(c calls.Conn) bool {
		r, ok := c.(remoteConn)
		return ok && r.node == node
	})
	now := h.now()
	for id, ac := range h.calls.away.homeGone(node) {
		// The side that dropped is the one on the node that went: a 1:1
		// call's caller, a group call's starter (as the entry is theirs).
		end, _ := proto.EncodePush(proto.TypeCallEnd, proto.CallEnd{Call: id, Reason: proto.EndDropped, By: ac.caller.ID})
		for c := range ac.conns {
			c.Push(end)
		}
		h.recordLost(id, ac, now)
		if ac.conv == 0 {
			continue
		}
		state, _ := proto.EncodePush(proto.TypeGroupCallState, proto.GroupCallState{Conv: ac.conv, Call: id, Participants: []proto.CallParticipant{}, Ended: true})
		for c := range ac.told {
			c.Push(state)
		}
	}
}

// recordLost writes the history entry of call id, which the node that
// held it went without writing (had it written it, its call_end would
// have come first). Every node that knew of the call writes it: the
// entry's key ("call-ID" from its caller) keeps one.
func (h *Hub) recordLost(id proto.CallID, ac *awayCall, now time.Time) {
	e := calls.Ended{ID: id, Caller: ac.caller, Callee: ac.callee, Reason: proto.EndDropped, By: ac.caller.ID}
	switch {
	case ac.caller.ID == 0:
		return // nothing rang here: nothing to say
	case ac.conv != 0:
		if ac.started == 0 {
			return
		}
		e.Group, e.Conv, e.Started, e.Participants = true, ac.conv, ac.started, slices.Clone(ac.joined)
		e.Answered = len(ac.joined) >= 2
		e.DurationMs = max(0, now.UnixMilli()-ac.started)
	case ac.callee.ID == 0:
		return
	default:
		if !ac.answered.IsZero() {
			e.Answered, e.DurationMs = true, max(0, now.Sub(ac.answered).Milliseconds())
		}
	}
	h.calls.record(e)
}

// callRemote handles the call events of other nodes (Remote).
func (h *Hub) callRemote(kind string, payload []byte) {
	switch kind {
	case eventCallPush:
		var e callPush
		if err := json.Unmarshal(payload, &e); err == nil {
			h.pushFromHome(e)
		}
	case eventCallGone:
		var e callGone
		if err := json.Unmarshal(payload, &e); err == nil {
			h.calls.svc.Gone(remoteConn{h, e.Node, e.Ref})
		}
	case eventCallOnline:
		var e callOnline
		if err := json.Unmarshal(payload, &e); err == nil {
			rc := remoteConn{h, e.Node, e.Ref}
			h.calls.svc.Online(rc, e.User)
			h.calls.svc.GroupOnline(rc, e.User)
		}
	case eventBusy:
		var e busyEvent
		if err := json.Unmarshal(payload, &e); err == nil {
			h.calls.away.setBusy(e)
		}
	}
}

// callOnlineElsewhere asks the other nodes to ring c, just logged in, for
// the calls they hold.
func (h *Hub) callOnlineElsewhere(c *conn) {
	if h.clustered() {
		h.cfg.Cluster.Publish(eventCallOnline, callOnline{Node: h.cfg.Cluster.Node(), Ref: h.calls.refs.ref(c), User: c.user.ID})
	}
}

// rawJSON encodes a request body the hub made itself.
func rawJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // a struct of the hub's: cannot fail
	}
	return b
}
