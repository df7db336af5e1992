// Package calls is the server's voice-call switchboard: the signalling
// state machine of 1:1 calls and of group calls (group.go), kept in
// memory, and the relay of their audio packets.
//
// It owns: one call per user at a time; ringing every device of the
// callee; first accept wins (the other devices stop ringing); every way a
// call ends — hang-up, cancel, decline, no answer after 30 s, a dropped
// connection (closed, or silent for CallMediaTimeout), a party without
// sound devices — each pushed to
// both sides with a reason, leaving no state behind; and the rule that
// only the two parties' connections may send audio into a call.
//
// It must not: import the hub or know WebSockets (connections are the
// small Conn interface), decode audio, queue audio (Conn.SendMedia drops
// when the peer is slow), or read the clock except through Config.Now.
package calls

import (
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"parley/net/proto"
)

// Conn is one client connection as the switchboard sees it. The hub
// implements it; values must be comparable (pointers).
type Conn interface {
	// Push queues a JSON frame on the connection. It must not block.
	Push(frame []byte)
	// SendMedia queues a binary audio frame. It must not block: when the
	// connection cannot keep up it drops the frame and returns false.
	SendMedia(pkt []byte) bool
}

// Directory finds a user's devices.
type Directory interface {
	// Devices returns every authenticated connection of user; none when
	// the user is offline.
	Devices(user proto.UserID) []Conn
}

// Config configures a Service. Devices is required.
type Config struct {
	Devices Directory
	Now     func() time.Time
	Logger  *slog.Logger
	// RingTimeout and MediaTimeout default to proto.CallRingTimeout and
	// proto.CallMediaTimeout.
	RingTimeout, MediaTimeout time.Duration
	// Sweep is how often a background goroutine checks the timeouts while
	// calls exist (default 250 ms). Negative: never; the owner calls
	// Expire (tests do, with a fake Now).
	Sweep time.Duration
	// OnEnd, if set, is told the reason of every call that ends (metrics).
	OnEnd func(reason string)
	// OnEnded, if set, is told how every call ended, for its entry in the
	// history (Ended.Entry). It is called with the switchboard locked: it
	// must not block nor call back into the Service.
	OnEnded func(Ended)
	// OnPeerSlow, if set, is told of the n copies of one group call
	// packet that participants' connections dropped because they were
	// behind (metrics; Media returns Relayed for the packet).
	OnPeerSlow func(n int)
	// Flood bounds the packets forwarded from one party or participant.
	Flood Flood
	// Busy, if set, reports whether user is in a call this switchboard
	// does not hold (in a cluster: one on another node). Such a user is
	// busy to callers and cannot start or join a call here.
	Busy func(user proto.UserID) bool
	// OnBusy, if set, is told when a user enters a call here (ringing,
	// answered, or in a group call) and when they leave it: what another
	// node's Busy answers from. It is called with the switchboard
	// locked: it must not block nor call back into the Service.
	OnBusy func(user proto.UserID, busy bool)
}

// Flood is a token bucket on one sender's packets: Burst at once, then
// Rate a second. The zero value is the protocol's limit (FloodRate,
// FloodBurst); a negative Rate turns it off (tests that send faster than
// their fake clock moves).
type Flood struct {
	Rate  float64
	Burst int
}

// The forwarding limit of docs/protocol.md ("Forwarding limits"): 100
// packets a second from one sender (5 times the 20 ms frame rate), in
// bursts of up to 50 (a second of audio sent late after a stall).
const (
	FloodRate  = 100
	FloodBurst = 50
)

// Ended is a call that is over.
type Ended struct {
	ID             proto.CallID
	Caller, Callee proto.User // a group call: Caller started it, no Callee
	Reason         string     // proto.End*; a group call: how the last person left
	By             proto.UserID
	Answered       bool  // a group call: two or more people were in it
	DurationMs     int64 // answered calls: from the answer to the end; group calls: from the start
	// Group calls: the group, when the call started (Unix ms), and
	// everyone who was in it in the order they first joined.
	Group        bool
	Conv         proto.ConvID
	Started      int64
	Participants []proto.UserID
}

// Entry is what the history shows of the call: answered with its
// duration, declined, or missed (every other way an unanswered call
// ends: cancelled, no answer, a dropped connection, no sound devices).
// A group call is answered if two or more people were in it, missed if
// nobody joined the one who started it.
func (e Ended) Entry() proto.CallEntry {
	if e.Group {
		c := proto.CallEntry{Caller: e.Caller.ID, Outcome: proto.CallMissed, Reason: e.Reason, DurationMs: e.DurationMs,
			Group: true, Started: e.Started, Participants: slices.Clone(e.Participants)}
		if e.Answered {
			c.Outcome = proto.CallAnswered
		}
		return c
	}
	c := proto.CallEntry{Caller: e.Caller.ID, Callee: e.Callee.ID, Reason: e.Reason}
	switch {
	case e.Answered:
		c.Outcome, c.DurationMs = proto.CallAnswered, e.DurationMs
	case e.Reason == proto.EndDeclined:
		c.Outcome = proto.CallDeclined
	default:
		c.Outcome = proto.CallMissed
	}
	return c
}

// Relay is what became of one audio packet.
type Relay int

const (
	Relayed   Relay = iota // queued on the peer's connection
	Malformed              // not an audio packet: a client bug
	NotInCall              // not from a party of an answered call with that id: dropped
	PeerSlow               // the peer's connection is behind: dropped
	Flooded                // over the sender's forwarding limit (Flood): dropped
	BadReport              // a loss report of the wrong kind for the call, or about an empty or own slot: dropped
)

func (r Relay) String() string {
	switch r {
	case Relayed:
		return "relayed"
	case Malformed:
		return "malformed"
	case NotInCall:
		return "not_in_call"
	case PeerSlow:
		return "peer_slow"
	case Flooded:
		return "flood"
	case BadReport:
		return "bad_report"
	}
	return "unknown"
}

// Service is the switchboard. It is safe for concurrent use.
type Service struct {
	cfg Config
	log *slog.Logger

	mu       sync.RWMutex
	byID     map[proto.CallID]*call
	byUser   map[proto.UserID]*call
	byConn   map[Conn]*call // every connection taking part: ringing devices, parties, media paths
	sweeping bool

	// Group calls (group.go). A user is in at most one call, 1:1 (byUser)
	// or group (gByUser), and a connection too (byConn, gByConn).
	gByID   map[proto.CallID]*groupCall
	gByConv map[proto.ConvID]*groupCall
	gByUser map[proto.UserID]*member
	gByConn map[Conn]*member // participants' connections and media paths (not ringing devices)
}

type phase int

const (
	ringing phase = iota
	answered
)

type call struct {
	id       proto.CallID
	phase    phase
	caller   party
	callee   party // sig and media are set on answer
	ringing  []Conn
	codecs   []string
	codec    string
	created  time.Time
	answered time.Time
}

type party struct {
	user  proto.User
	sig   Conn         // the device in the call: signalling goes here
	media Conn         // where its audio comes from and goes to (sig unless moved)
	heard atomic.Int64 // Unix ns of its last packet
	flood bucket       // its forwarding limit
}

// New returns a Service.
func New(cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.RingTimeout <= 0 {
		cfg.RingTimeout = proto.CallRingTimeout
	}
	if cfg.MediaTimeout <= 0 {
		cfg.MediaTimeout = proto.CallMediaTimeout
	}
	if cfg.Sweep == 0 {
		cfg.Sweep = 250 * time.Millisecond
	}
	return &Service{
		cfg: cfg, log: cfg.Logger,
		byID:   map[proto.CallID]*call{},
		byUser: map[proto.UserID]*call{},
		byConn: map[Conn]*call{},

		gByID:   map[proto.CallID]*groupCall{},
		gByConv: map[proto.ConvID]*groupCall{},
		gByUser: map[proto.UserID]*member{},
		gByConn: map[Conn]*member{},
	}
}

// Limits on a call request's codec list.
const (
	maxCodecs    = 8
	maxCodecName = 32
)

// Call rings callee on every device on behalf of caller, who is on from.
// callee must exist (the hub looked it up).
func (s *Service) Call(from Conn, caller, callee proto.User, codecs []string) (proto.CallReply, error) {
	if caller.ID == callee.ID {
		return proto.CallReply{}, proto.Errorf(proto.CodeSelf, "you cannot call yourself")
	}
	if len(codecs) == 0 {
		codecs = []string{"g722"}
	}
	if len(codecs) > maxCodecs {
		return proto.CallReply{}, proto.Errorf(proto.CodeBadRequest, "at most %d codecs", maxCodecs)
	}
	for _, c := range codecs {
		if c == "" || len(c) > maxCodecName {
			return proto.CallReply{}, proto.Errorf(proto.CodeBadRequest, "a codec name is 1 to %d bytes", maxCodecName)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.busy(caller.ID) || s.connInCall(from) {
		return proto.CallReply{}, proto.Errorf(proto.CodeInCall, "you are already in a call")
	}
	if s.busy(callee.ID) {
		return proto.CallReply{}, proto.Errorf(proto.CodeBusy, "%s (%d) is in another call", callee.Name, callee.ID)
	}
	devices := s.cfg.Devices.Devices(callee.ID)
	if len(devices) == 0 {
		return proto.CallReply{}, proto.Errorf(proto.CodeOffline, "%s (%d) is not online", callee.Name, callee.ID)
	}
	c := &call{
		id: s.newID(), phase: ringing,
		ringing: slices.Clone(devices),
		codecs:  slices.Clone(codecs),
		created: s.cfg.Now(),
	}
	c.caller.user, c.caller.sig, c.caller.media = caller, from, from
	c.callee.user = callee
	s.byID[c.id] = c
	s.byUser[caller.ID] = c
	s.byUser[callee.ID] = c
	s.told(caller.ID, true)
	s.told(callee.ID, true)
	s.byConn[from] = c
	for _, d := range c.ringing {
		s.byConn[d] = c
	}
	if frame, err := proto.EncodePush(proto.TypeCallIncoming, proto.CallIncoming{Call: c.id, From: caller, Codecs: c.codecs}); err == nil {
		for _, d := range c.ringing {
			d.Push(frame)
		}
	}
	s.log.Info("call ringing", "call", c.id, "caller", caller.ID, "callee", callee.ID, "devices", len(devices))
	s.startSweeper()
	return proto.CallReply{Call: c.id, Peer: callee}, nil
}

func (s *Service) newID() proto.CallID {
	for {
		id := proto.CallID(rand.Uint32())
		if id != 0 && s.byID[id] == nil && s.gByID[id] == nil {
			return id
		}
	}
}

// Accept answers call id on from, a connection of user. The first accept
// wins; the callee's other devices stop ringing.
func (s *Service) Accept(from Conn, user proto.UserID, id proto.CallID, codec string) (proto.CallAcceptReply, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.byID[id]
	if c == nil || c.callee.user.ID != user || c.phase != ringing {
		return proto.CallAcceptReply{}, noSuchCall()
	}
	if other := s.byConn[from]; other != nil && other != c || s.gByConn[from] != nil {
		return proto.CallAcceptReply{}, proto.Errorf(proto.CodeInCall, "this connection is in another call")
	}
	if codec == "" {
		codec = c.codecs[0]
	}
	if !slices.Contains(c.codecs, codec) {
		return proto.CallAcceptReply{}, proto.Errorf(proto.CodeBadRequest, "codec %q was not offered", codec)
	}
	now := s.cfg.Now()
	c.phase, c.codec, c.answered = answered, codec, now
	c.callee.sig, c.callee.media = from, from
	s.byConn[from] = c
	var others []Conn
	for _, d := range c.ringing {
		if d != from {
			others = append(others, d)
			delete(s.byConn, d)
		}
	}
	c.ringing = nil
	if len(others) > 0 {
		if frame, err := proto.EncodePush(proto.TypeCallEnd, proto.CallEnd{Call: c.id, Reason: proto.EndAnsweredElsewhere, By: user}); err == nil {
			for _, d := range others {
				d.Push(frame)
			}
		}
	}
	if frame, err := proto.EncodePush(proto.TypeCallAccepted, proto.CallAccepted{Call: c.id, Codec: codec}); err == nil {
		c.caller.sig.Push(frame)
	}
	s.log.Info("call answered", "call", c.id, "codec", codec)
	return proto.CallAcceptReply{Call: c.id, Peer: c.caller.user, Codec: codec}, nil
}

// Online rings conn, a device user has just logged in on, if a call to
// user is ringing: a phone switched on while a call rings rings too.
func (s *Service) Online(conn Conn, user proto.UserID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.byUser[user]
	if c == nil || c.phase != ringing || c.callee.user.ID != user || s.byConn[conn] != nil {
		return
	}
	c.ringing = append(c.ringing, conn)
	s.byConn[conn] = c
	if frame, err := proto.EncodePush(proto.TypeCallIncoming, proto.CallIncoming{Call: c.id, From: c.caller.user, Codecs: c.codecs}); err == nil {
		conn.Push(frame)
	}
	s.log.Info("call ringing on a new device", "call", c.id, "callee", user, "devices", len(c.ringing))
}

// Decline refuses a ringing call of user's; every device stops ringing.
func (s *Service) Decline(from Conn, user proto.UserID, id proto.CallID) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if gc := s.gByID[id]; gc != nil {
		return s.groupDecline(gc, user)
	}
	c := s.byID[id]
	if c == nil || c.callee.user.ID != user || c.phase != ringing {
		return noSuchCall()
	}
	s.end(c, proto.EndDeclined, user, nil)
	return nil
}

// Hangup ends a call of user's from any of their devices: cancelled
// while ringing (declined, if the callee hangs up), hung up once answered.
// why, if not "", is the party's own reason, passed on to everyone in the
// call: only proto.EndNoAudio (its sound devices failed).
func (s *Service) Hangup(from Conn, user proto.UserID, id proto.CallID, why string) error {
	if why != "" && why != proto.EndNoAudio {
		return proto.Errorf(proto.CodeBadRequest, "a hang-up reason is %q or none", proto.EndNoAudio)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if gc := s.gByID[id]; gc != nil {
		return s.groupHangup(gc, user, why)
	}
	c := s.byID[id]
	if c == nil || c.caller.user.ID != user && c.callee.user.ID != user {
		return noSuchCall()
	}
	reason := proto.EndHangup
	if c.phase == ringing {
		reason = proto.EndCancelled
		if user == c.callee.user.ID {
			reason = proto.EndDeclined
		}
	}
	if why != "" {
		reason = why
	}
	s.end(c, reason, user, nil)
	return nil
}

// AttachMedia makes from carry user's audio in call id from now on: what
// the peer sends goes there, and what it sends is relayed. The callee can
// attach only after answering.
func (s *Service) AttachMedia(from Conn, user proto.UserID, id proto.CallID) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if gc := s.gByID[id]; gc != nil {
		return s.groupAttach(gc, from, user)
	}
	c := s.byID[id]
	if c == nil {
		return noSuchCall()
	}
	p := c.partyOf(user)
	if p == nil || p == &c.callee && c.phase != answered {
		return noSuchCall()
	}
	if other := s.byConn[from]; other != nil && other != c || s.gByConn[from] != nil {
		return proto.Errorf(proto.CodeInCall, "this connection is in another call")
	}
	if p.media != p.sig && p.media != from {
		delete(s.byConn, p.media)
	}
	p.media = from
	s.byConn[from] = c
	return nil
}

// UDPCall returns the codec of call id if user is a party of it and the
// call is answered, or a participant of group call id (whose codec is
// always opus; group says so): who may offer a UDP leg for it
// (call_rtc_offer).
func (s *Service) UDPCall(user proto.UserID, id proto.CallID) (codec string, group bool, err error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if gc := s.gByID[id]; gc != nil {
		if m := s.gByUser[user]; m == nil || m.call != gc {
			return "", false, noSuchCall()
		}
		return GroupCodec, true, nil
	}
	c := s.byID[id]
	if c == nil || c.phase != answered || c.partyOf(user) == nil {
		return "", false, noSuchCall()
	}
	return c.codec, false, nil
}

// Media relays one audio packet (or loss report) from a connection to the
// other party's media connection, unchanged. It also counts as a sign of
// life of the sender.
func (s *Service) Media(from Conn, pkt []byte) Relay {
	id, ok := proto.PacketCall(pkt)
	if !ok {
		return Malformed
	}
	s.mu.RLock()
	if m := s.gByConn[from]; m != nil {
		return s.groupMedia(m, id, pkt) // unlocks
	}
	c := s.byConn[from]
	if c == nil || c.id != id {
		s.mu.RUnlock()
		return NotInCall
	}
	me, peer := c.sides(from)
	if me == nil {
		s.mu.RUnlock()
		return NotInCall
	}
	now := s.cfg.Now()
	me.heard.Store(now.UnixNano())
	if c.phase != answered {
		s.mu.RUnlock()
		return NotInCall // a caller's early keepalive
	}
	if pkt[0] == proto.PacketVersion<<4|proto.PacketGroupReport {
		s.mu.RUnlock()
		return BadReport // a group loss report in a 1:1 call
	}
	if !me.flood.allow(now, s.cfg.Flood) {
		s.mu.RUnlock()
		return Flooded
	}
	out := peer.media
	s.mu.RUnlock()
	if !out.SendMedia(pkt) {
		return PeerSlow
	}
	return Relayed
}

// Gone tells the switchboard that a connection closed (or logged out). A
// call it took part in ends as dropped; a device that was only ringing
// just stops, unless it was the last one.
func (s *Service) Gone(conn Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.groupGone(conn)
	c := s.byConn[conn]
	if c == nil {
		return
	}
	switch {
	case conn == c.caller.sig || conn == c.caller.media:
		s.end(c, proto.EndDropped, c.caller.user.ID, conn)
	case c.phase == answered:
		s.end(c, proto.EndDropped, c.callee.user.ID, conn)
	default: // a ringing device
		delete(s.byConn, conn)
		c.ringing = slices.DeleteFunc(c.ringing, func(d Conn) bool { return d == conn })
		if len(c.ringing) == 0 {
			s.end(c, proto.EndDropped, c.callee.user.ID, conn)
		}
	}
}

// Expire ends the calls that timed out by now: unanswered for
// RingTimeout, or answered with a party silent for MediaTimeout. It
// returns how many calls remain.
func (s *Service) Expire() int {
	now := s.cfg.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.byID {
		switch c.phase {
		case ringing:
			if now.Sub(c.created) >= s.cfg.RingTimeout {
				s.end(c, proto.EndNoAnswer, c.callee.user.ID, nil)
			}
		case answered:
			for _, p := range []*party{&c.caller, &c.callee} {
				last := c.answered
				if h := p.heard.Load(); h > last.UnixNano() {
					last = time.Unix(0, h)
				}
				if now.Sub(last) >= s.cfg.MediaTimeout {
					s.log.Info("call party silent", "call", c.id, "user", p.user.ID, "silent", now.Sub(last))
					s.end(c, proto.EndDropped, p.user.ID, nil)
					break
				}
			}
		}
	}
	s.expireGroups(now)
	return len(s.byID) + len(s.gByID)
}

// Counts reports the calls ringing and answered now.
func (s *Service) Counts() (ringingCalls, answeredCalls int) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, c := range s.byID {
		if c.phase == ringing {
			ringingCalls++
		} else {
			answeredCalls++
		}
	}
	return ringingCalls, answeredCalls
}

// InCall reports whether user is in a call (ringing or answered, or a
// group call).
func (s *Service) InCall(user proto.UserID) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.inCall(user)
}

// inCall reports whether user is in a call, 1:1 or group. Call with s.mu
// held.
func (s *Service) inCall(user proto.UserID) bool {
	return s.byUser[user] != nil || s.gByUser[user] != nil
}

// busy reports whether user is in a call here or, by Config.Busy,
// elsewhere. Call with s.mu held.
func (s *Service) busy(user proto.UserID) bool {
	return s.inCall(user) || s.cfg.Busy != nil && s.cfg.Busy(user)
}

// told passes a user's entering or leaving a call to Config.OnBusy. Call
// with s.mu held.
func (s *Service) told(user proto.UserID, busy bool) {
	if s.cfg.OnBusy != nil {
		s.cfg.OnBusy(user, busy)
	}
}

// Busy returns every user in a call here (what Config.OnBusy was told).
func (s *Service) Busy() []proto.UserID {
	s.mu.RLock()
	defer s.mu.RUnlock()
	users := make([]proto.UserID, 0, len(s.byUser)+len(s.gByUser))
	for u := range s.byUser {
		users = append(users, u)
	}
	for u := range s.gByUser {
		users = append(users, u)
	}
	return users
}

// Holds reports whether call id (1:1 or group) is held by this
// switchboard.
func (s *Service) Holds(id proto.CallID) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.byID[id] != nil || s.gByID[id] != nil
}

// HoldsGroupCall reports whether a call of group conv is held here.
func (s *Service) HoldsGroupCall(conv proto.ConvID) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.gByConv[conv] != nil
}

// GoneWhere is Gone for every connection taking part in a call (a party,
// a media path, a ringing device) that match reports: in a cluster, the
// connections of a node that died.
func (s *Service) GoneWhere(match func(Conn) bool) {
	var gone []Conn
	add := func(c Conn) {
		if c != nil && match(c) && !slices.Contains(gone, c) {
			gone = append(gone, c)
		}
	}
	s.mu.RLock()
	for c := range s.byConn {
		add(c)
	}
	for c := range s.gByConn {
		add(c)
	}
	for _, gc := range s.gByID {
		for _, r := range gc.ringing {
			for _, d := range r.devices {
				add(d)
			}
		}
	}
	s.mu.RUnlock()
	for _, c := range gone {
		s.Gone(c)
	}
}

// connInCall reports whether conn takes part in a call, 1:1 or group.
// Call with s.mu held.
func (s *Service) connInCall(conn Conn) bool {
	return s.byConn[conn] != nil || s.gByConn[conn] != nil
}

// end removes c and tells everyone still there. gone, if set, is a
// connection that closed and is not told. Call with s.mu held.
func (s *Service) end(c *call, reason string, by proto.UserID, gone Conn) {
	delete(s.byID, c.id)
	if s.byUser[c.caller.user.ID] == c {
		delete(s.byUser, c.caller.user.ID)
		s.told(c.caller.user.ID, false)
	}
	if s.byUser[c.callee.user.ID] == c {
		delete(s.byUser, c.callee.user.ID)
		s.told(c.callee.user.ID, false)
	}
	var tell []Conn
	add := func(conn Conn) {
		if conn == nil {
			return
		}
		if s.byConn[conn] == c {
			delete(s.byConn, conn)
		}
		if conn != gone && !slices.Contains(tell, conn) {
			tell = append(tell, conn)
		}
	}
	add(c.caller.sig)
	add(c.caller.media)
	add(c.callee.sig)
	add(c.callee.media)
	for _, d := range c.ringing {
		add(d)
	}
	end := proto.CallEnd{Call: c.id, Reason: reason, By: by}
	if c.phase == answered {
		end.DurationMs = max(0, s.cfg.Now().Sub(c.answered).Milliseconds())
	}
	if frame, err := proto.EncodePush(proto.TypeCallEnd, end); err == nil {
		for _, conn := range tell {
			conn.Push(frame)
		}
	}
	s.log.Info("call ended", "call", c.id, "reason", reason, "by", by, "duration_ms", end.DurationMs)
	if s.cfg.OnEnd != nil {
		s.cfg.OnEnd(reason)
	}
	if s.cfg.OnEnded != nil {
		s.cfg.OnEnded(Ended{ID: c.id, Caller: c.caller.user, Callee: c.callee.user, Reason: reason, By: by,
			Answered: c.phase == answered, DurationMs: end.DurationMs})
	}
}

// startSweeper runs Expire in the background while calls exist. Call with
// s.mu held.
func (s *Service) startSweeper() {
	if s.sweeping || s.cfg.Sweep < 0 {
		return
	}
	s.sweeping = true
	go func() {
		t := time.NewTicker(s.cfg.Sweep)
		defer t.Stop()
		for range t.C {
			if s.Expire() > 0 {
				continue
			}
			s.mu.Lock()
			if len(s.byID)+len(s.gByID) == 0 {
				s.sweeping = false
				s.mu.Unlock()
				return
			}
			s.mu.Unlock()
		}
	}()
}

// partyOf returns user's side of c, nil if user is not in it.
func (c *call) partyOf(user proto.UserID) *party {
	switch user {
	case c.caller.user.ID:
		return &c.caller
	case c.callee.user.ID:
		return &c.callee
	}
	return nil
}

// sides returns the party a connection speaks for and the other one; nil
// if conn is only ringing.
func (c *call) sides(conn Conn) (me, peer *party) {
	switch conn {
	case nil:
	case c.caller.sig, c.caller.media:
		return &c.caller, &c.callee
	case c.callee.sig, c.callee.media:
		return &c.callee, &c.caller
	}
	return nil, nil
}

func noSuchCall() error {
	return proto.Errorf(proto.CodeNoSuchCall, "no such call: it is over, was answered on another device, or is not yours")
}
