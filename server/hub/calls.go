package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/coder/websocket"

	"parley/net/proto"
	"parley/server/auth"
	"parley/server/calls"
	"parley/server/metrics"
	"parley/server/rtc"
)

// This file connects the hub to the call switchboard (server/calls): the
// call requests, binary audio frames, and the end of connections.
//
// Audio has its own lane on each connection: a small queue and a writer
// goroutine that writes binary frames next to the text writer
// (writeAudio). When the lane is full the packet is dropped — audio that
// is late is worthless, and a slow peer must not cost the connection its
// chat (the text queue closes slow connections) nor hold up the sender.
// Nothing is decoded: packets are relayed as they came.

// mediaQueue is how many packets (20 ms each) may wait on one connection.
const mediaQueue = 8

// callLayer is the hub's side of calls.
type callLayer struct {
	h   *Hub
	svc *calls.Service

	relayed   *metrics.Counter
	forwarded *metrics.Counter // in a cluster: to the node holding the call
	dropped   *metrics.CounterVec
	ended     *metrics.CounterVec

	ops  map[string]callFn // the requests about one call, as its home runs them (clustercalls.go)
	away away              // in a cluster: calls held by other nodes
	refs refs              // in a cluster: this node's devices as the others name them

	lanes sync.Map // *conn → chan []byte: its audio lane
	legs  sync.Map // proto.UserID → *udpLeg: the user's connected UDP leg

	pendMu  sync.Mutex
	pending map[proto.UserID]int // UDP legs offered and not yet connected, per user

	records    sync.WaitGroup // the call entries' writer (events.go)
	recMu      sync.Mutex
	recQ       []calls.Ended // call entries to write, in the order the calls ended
	recWriting bool          // a writeRecords goroutine is running
}

func newCallLayer(h *Hub) *callLayer {
	r := h.cfg.Registry
	l := &callLayer{
		h:       h,
		relayed: r.Counter("parley_call_packets_relayed_total", "Audio packets relayed between call parties."),
		forwarded: r.Counter("parley_call_packets_forwarded_total",
			"In a cluster: audio packets sent on to the node holding their call (relayed there)."),
		dropped: r.CounterVec("parley_call_packets_dropped_total", "Audio packets not relayed, by reason.", "reason"),
		ended:   r.CounterVec("parley_calls_ended_total", "Calls ended, by reason.", "reason"),
	}
	l.svc = calls.New(calls.Config{
		Devices:    directory{h},
		Now:        h.now,
		Logger:     h.log,
		OnEnd:      func(reason string) { l.ended.With(reason).Inc() },
		OnEnded:    l.record,
		OnPeerSlow: func(n int) { l.dropped.With(calls.PeerSlow.String()).Add(uint64(n)) },
		Flood:      h.cfg.CallFlood,
		Busy:       h.remoteBusy,
		OnBusy:     h.tellBusy,
	})
	l.ops = map[string]callFn{
		proto.TypeCallAccept:  h.callAccept,
		proto.TypeCallDecline: h.callDecline,
		proto.TypeCallHangup:  h.callHangup,
		proto.TypeCallMute:    h.callMute,
		proto.TypeGroupCall:   h.groupCall,
		opAttach:              h.callAttach,
		opUDPCall:             h.udpCall,
	}
	r.GaugeFunc("parley_calls_active", "Calls ringing or answered.", func() float64 {
		ringing, answered := l.svc.Counts()
		return float64(ringing + answered)
	})
	r.GaugeFunc("parley_group_calls_active", "Group calls in progress.", func() float64 {
		n, _ := l.svc.GroupCounts()
		return float64(n)
	})
	r.GaugeFunc("parley_group_call_participants", "People in group calls.", func() float64 {
		_, n := l.svc.GroupCounts()
		return float64(n)
	})
	if udp := h.cfg.UDP; udp != nil {
		r.GaugeFunc("parley_call_udp_legs", "UDP legs of calls open (connected or connecting).", func() float64 { return float64(udp.Legs()) })
		udp.OnDrop(func(reason string) { l.dropped.With(reason).Inc() }) // srtp_auth, malformed_rtp, payload_type, unknown_sender
	}
	return l
}

func (h *Hub) callOps() map[string]op {
	return map[string]op{
		proto.TypeCall:         {authed: true, fn: h.call},
		proto.TypeCallAccept:   {authed: true, fn: h.routed(proto.TypeCallAccept)},
		proto.TypeCallDecline:  {authed: true, fn: h.routed(proto.TypeCallDecline)},
		proto.TypeCallHangup:   {authed: true, fn: h.routed(proto.TypeCallHangup)},
		proto.TypeCallMedia:    {fn: h.callMedia}, // authorised by its token on a fresh connection
		proto.TypeCallRTCOffer: {authed: true, fn: h.callRTCOffer},
		proto.TypeGroupCall:    {authed: true, fn: h.routed(proto.TypeGroupCall)},
		proto.TypeCallMute:     {authed: true, fn: h.routed(proto.TypeCallMute)},
	}
}

// ringOnLogin answers a login or resume, then rings the connection if a
// call to its user is ringing, and tells it of the group calls in
// progress in its groups: the pushes come after the reply, so the client
// knows who it is before its phone rings.
func (h *Hub) ringOnLogin(fn func(ctx context.Context, c *conn, body json.RawMessage) (any, error)) func(ctx context.Context, c *conn, id string, body json.RawMessage) error {
	return func(ctx context.Context, c *conn, id string, body json.RawMessage) error {
		reply, err := fn(ctx, c, body)
		c.reply(id, reply, err)
		if err == nil {
			h.calls.svc.Online(c, c.user.ID)
			h.calls.svc.GroupOnline(c, c.user.ID)
			h.callOnlineElsewhere(c)
		}
		return nil
	}
}

func (h *Hub) call(ctx context.Context, c *conn, body json.RawMessage) (any, error) {
	req, err := decode[proto.CallRequest](body)
	if err != nil {
		return nil, err
	}
	if req.User == c.user.ID {
		return nil, proto.Errorf(proto.CodeSelf, "you cannot call yourself")
	}
	callee, err := h.db.User(ctx, req.User)
	if err != nil {
		return nil, err
	}
	if err := h.db.MayCall(ctx, c.user.ID, callee.ID); err != nil { // blocks, requests: storage/blocks.go
		return nil, err
	}
	return h.calls.svc.Call(c, c.user, callee, req.Codecs)
}

func (h *Hub) callAccept(_ context.Context, from calls.Conn, user proto.User, body json.RawMessage) (any, error) {
	req, err := decode[proto.CallAcceptRequest](body)
	if err != nil {
		return nil, err
	}
	return h.calls.svc.Accept(from, user.ID, req.Call, req.Codec)
}

func (h *Hub) callDecline(_ context.Context, from calls.Conn, user proto.User, body json.RawMessage) (any, error) {
	req, err := decode[proto.CallRef](body)
	if err != nil {
		return nil, err
	}
	return struct{}{}, h.calls.svc.Decline(from, user.ID, req.Call)
}

func (h *Hub) callHangup(_ context.Context, from calls.Conn, user proto.User, body json.RawMessage) (any, error) {
	req, err := decode[proto.CallHangupRequest](body)
	if err != nil {
		return nil, err
	}
	return struct{}{}, h.calls.svc.Hangup(from, user.ID, req.Call, req.Reason)
}

func (h *Hub) callAttach(_ context.Context, from calls.Conn, user proto.User, body json.RawMessage) (any, error) {
	req, err := decode[proto.CallRef](body)
	if err != nil {
		return nil, err
	}
	return struct{}{}, h.calls.svc.AttachMedia(from, user.ID, req.Call)
}

// udpCall says whether user may offer a UDP leg for call id, and for what
// codec (call_rtc_offer).
func (h *Hub) udpCall(_ context.Context, _ calls.Conn, user proto.User, body json.RawMessage) (any, error) {
	req, err := decode[proto.CallRef](body)
	if err != nil {
		return nil, err
	}
	codec, group, err := h.calls.svc.UDPCall(user.ID, req.Call)
	return udpCallReply{Codec: codec, Group: group}, err
}

type udpCallReply struct {
	Codec string `json:"codec"`
	Group bool   `json:"group"`
}

// attach moves user's audio of call id to from, at the call's home.
func (h *Hub) attach(ctx context.Context, from calls.Conn, user proto.UserID, id proto.CallID) error {
	_, err := h.runCallOp(ctx, opAttach, from, proto.User{ID: user}, rawJSON(proto.CallRef{Call: id}), h.callHome(id, 0))
	return err
}

// callMedia moves a party's audio to this connection. A logged-in
// connection speaks for its user; a fresh one shows the session token,
// which authorises it for this call only.
func (h *Hub) callMedia(ctx context.Context, c *conn, body json.RawMessage) (any, error) {
	req, err := decode[proto.CallMediaRequest](body)
	if err != nil {
		return nil, err
	}
	user, hash := c.user.ID, c.tokenHash
	if user == 0 {
		if req.Token == "" || len(req.Token) > 256 {
			return nil, proto.Errorf(proto.CodeUnauthenticated, "log in first, or give the session token")
		}
		hash = auth.HashToken(req.Token)
		u, err := h.db.SessionUser(ctx, hash)
		if err != nil {
			return nil, err
		}
		user = u.ID
	}
	if err := h.attach(ctx, c, user, req.Call); err != nil {
		return nil, err
	}
	h.attachedMedia(c, user, hash)
	return struct{}{}, nil
}

// callRTCOffer answers a party's offer of a UDP leg (server/rtc) for an
// answered Opus call, or a group call's participant's (16 m-lines). The leg carries the party's audio once it connects
// (AttachMedia then); until then, and if it never does, the WebSocket
// does.
func (h *Hub) callRTCOffer(ctx context.Context, c *conn, body json.RawMessage) (any, error) {
	req, err := decode[proto.CallRTCOfferRequest](body)
	if err != nil {
		return nil, err
	}
	if len(req.SDP) > proto.MaxSDP {
		return nil, proto.Errorf(proto.CodeTooLarge, "an offer is at most %d bytes", proto.MaxSDP)
	}
	// The session is read here, on the connection's own goroutine:
	// Connected runs on pion's, after unbind may have cleared it.
	user, token := c.user.ID, c.tokenHash
	home := h.callHome(req.Call, 0)
	res, err := h.runCallOp(ctx, opUDPCall, c, c.user, rawJSON(proto.CallRef{Call: req.Call}), home)
	if err != nil {
		return nil, err
	}
	var udp udpCallReply
	switch r := res.(type) {
	case udpCallReply:
		udp = r
	case json.RawMessage:
		if err := json.Unmarshal(r, &udp); err != nil {
			return nil, fmt.Errorf("call_rtc_offer: %w", err)
		}
	}
	codec, group := udp.Codec, udp.Group
	if h.cfg.UDP == nil {
		return nil, proto.Errorf(proto.CodeUDPOff, "this server has UDP off: keep the WebSocket")
	}
	if codec != "opus" {
		return nil, proto.Errorf(proto.CodeUDPOff, "UDP carries Opus calls only, this one is %s: keep the WebSocket", codec)
	}
	settled, err := h.calls.pend(user)
	if err != nil {
		return nil, err
	}
	answer, _, err := h.cfg.UDP.Answer(req.SDP, req.Call, group, rtc.Handlers{
		Packet: func(l *rtc.Leg, pkt []byte) { h.relay(l, pkt) },
		Connected: func(l *rtc.Leg) {
			settled()
			ctx, cancel := context.WithTimeout(h.ctx, callForwardTimeout)
			defer cancel()
			if err := h.attach(ctx, l, user, l.Call()); err != nil {
				h.log.Info("udp leg of a call that is over", "call", l.Call(), "user", user)
				l.Close()
				return
			}
			if old, ok := h.calls.legs.Swap(user, &udpLeg{l, token}); ok && old.(*udpLeg).leg != l {
				old.(*udpLeg).leg.Close() // a second offer replaced it: it carries nothing now
			}
			// A session revoked while this leg connected: closeSessions
			// closes the connection before it looks for legs, so either
			// it found this one or the connection is closed by now.
			select {
			case <-c.closed:
				if c.closeCode == websocket.StatusCode(proto.CloseRevoked) {
					l.Close()
					return
				}
			default:
			}
			h.log.Info("call audio over udp", "call", l.Call(), "user", user)
		},
		Gone: func(l *rtc.Leg) {
			settled()
			if v, ok := h.calls.legs.Load(user); ok && v.(*udpLeg).leg == l {
				h.calls.legs.CompareAndDelete(user, v)
			}
			h.calls.svc.Gone(l)
			h.awayGone(l)
		},
	})
	if err != nil {
		settled()
	}
	if errors.Is(err, rtc.ErrBadOffer) {
		return nil, proto.Errorf(proto.CodeBadRequest, "%v", err)
	}
	if err != nil {
		return nil, fmt.Errorf("call_rtc_offer: %w", err)
	}
	return proto.CallRTCOfferReply{SDP: answer}, nil
}

// udpLeg is a user's connected UDP leg and the session that offered it,
// so that revoking the session closes the leg (closeSessions).
type udpLeg struct {
	leg   *rtc.Leg
	token []byte
}

// closeLegs closes user's UDP leg if its session matches.
func (h *Hub) closeLegs(user proto.UserID, match func(hash []byte) bool) {
	if v, ok := h.calls.legs.Load(user); ok && match(v.(*udpLeg).token) {
		v.(*udpLeg).leg.Close()
	}
}

// maxPendingLegs bounds the UDP legs a user has offered that have not
// connected yet (each holds a peer connection for up to 10 s).
const maxPendingLegs = 2

// pend counts an offer of user's against maxPendingLegs; settled, called
// once the leg connected or went (any number of times), releases it.
func (l *callLayer) pend(user proto.UserID) (settled func(), err error) {
	l.pendMu.Lock()
	defer l.pendMu.Unlock()
	if l.pending[user] >= maxPendingLegs {
		return nil, proto.Errorf(proto.CodeRateLimited, "%d UDP offers are still connecting: wait for them", maxPendingLegs)
	}
	if l.pending == nil {
		l.pending = map[proto.UserID]int{}
	}
	l.pending[user]++
	var once sync.Once
	return func() {
		once.Do(func() {
			l.pendMu.Lock()
			defer l.pendMu.Unlock()
			if l.pending[user]--; l.pending[user] <= 0 {
				delete(l.pending, user)
			}
		})
	}, nil
}

// binary handles a binary frame: an audio packet to relay.
func (h *Hub) binary(c *conn, data []byte) {
	if r := h.relay(c, data); r == calls.Malformed {
		c.reply("", nil, proto.Errorf(proto.CodeBadFrame, "a binary frame must be an audio packet of a call you are in"))
	}
}

// relay passes one packet of a media connection (a WebSocket's binary
// frame, or what a UDP leg received) to the switchboard and counts it.
func (h *Hub) relay(from calls.Conn, data []byte) calls.Relay {
	r := h.calls.svc.Media(from, data)
	if r == calls.NotInCall && h.relayAway(from, data) {
		return calls.Relayed // counted as forwarded
	}
	if r == calls.Relayed {
		h.calls.relayed.Inc()
	} else {
		h.calls.dropped.With(r.String()).Inc()
	}
	return r
}

// callConnGone tells the switchboard that c closed.
func (h *Hub) callConnGone(c *conn) {
	h.calls.svc.Gone(c)
	h.awayGone(c)
}

// Push implements calls.Conn.
func (c *conn) Push(frame []byte) { c.enqueue(frame) }

// SendMedia implements calls.Conn: it queues pkt on c's audio lane, or
// drops it when the lane is full.
func (c *conn) SendMedia(pkt []byte) bool {
	lane := c.h.calls.lane(c)
	if lane == nil {
		return false
	}
	select {
	case lane <- pkt:
		return true
	default:
		return false
	}
}

// lane returns c's audio queue, starting its writer on first use; nil
// once c has closed. The lookup takes no lock: it runs for every packet.
func (l *callLayer) lane(c *conn) chan []byte {
	if q, ok := l.lanes.Load(c); ok {
		return q.(chan []byte)
	}
	select {
	case <-c.closed:
		return nil
	default:
	}
	q := make(chan []byte, mediaQueue)
	if old, loaded := l.lanes.LoadOrStore(c, q); loaded {
		return old.(chan []byte)
	}
	go l.writeMedia(c, q)
	return q
}

// writeMedia writes c's audio until c closes.
func (l *callLayer) writeMedia(c *conn, q chan []byte) {
	defer l.lanes.Delete(c)
	for {
		select {
		case pkt := <-q:
			if err := c.writeAudio(pkt, l.h.cfg.WriteTimeout); err != nil {
				c.close(websocket.StatusPolicyViolation, "write failed")
				return
			}
		case <-c.closed:
			return
		}
	}
}

// writeAudio writes one audio packet as a binary frame, through the
// WebSocket library; wire.go keeps its frames whole among the hub's text
// frames.
func (c *conn) writeAudio(pkt []byte, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return c.ws.Write(ctx, websocket.MessageBinary, pkt)
}

// directory lists a user's connections for the switchboard.
type directory struct{ h *Hub }

// In a cluster, the devices on other nodes are among them, as stand-ins
// (clustercalls.go).
func (d directory) Devices(user proto.UserID) []calls.Conn {
	d.h.mu.RLock()
	defer d.h.mu.RUnlock()
	cs := d.h.users[user]
	out := make([]calls.Conn, 0, len(cs))
	for _, c := range cs {
		out = append(out, c)
	}
	for node, here := range d.h.remoteOnline[user] {
		for _, ref := range here.Refs {
			out = append(out, remoteConn{d.h, node, ref})
		}
	}
	return out
}
