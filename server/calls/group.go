package calls

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"parley/net/proto"
)

// Group calls (docs/protocol.md, "Group calls"): a call in a group
// conversation, up to proto.MaxGroupCall people, that anyone of the group
// starts or joins with one request and that lasts while anyone is in it.
// The switchboard is a selective forwarding unit: it turns each
// participant's audio packet into one group packet (the speaker's slot
// inserted) and queues that same slice on every other participant's media
// connection; it never decodes nor mixes.
//
// The hub tells it the group's members when a call starts and of every
// change of membership after (Membership, GroupDeleted); it pushes
// group_call_state to every logged-in device of every member on each
// change, itself, through Directory.

// GroupCodec is the codec of every group call.
const GroupCodec = "opus"

type groupCall struct {
	id      proto.CallID
	conv    proto.ConvID
	starter proto.User
	started time.Time
	slots   [proto.MaxGroupCall]*member // participants by slot
	n       int                         // participants
	joined  []proto.UserID              // everyone who was in it, in first-join order
	members map[proto.UserID]bool       // the group's members: who is told its state
	ringing map[proto.UserID]*rung      // members whose devices ring
	order   []proto.UserID              // members in the hub's order, for ringing
}

// member is a participant of a group call.
type member struct {
	call   *groupCall
	user   proto.User
	slot   uint8
	muted  bool
	sig    Conn // the device in the call: signalling goes here
	media  Conn // where its audio comes from and goes to (sig unless moved)
	joined time.Time
	heard  atomic.Int64 // Unix ns of its last packet
	flood  bucket
}

// rung is a member whose devices ring for a group call.
type rung struct {
	devices []Conn
	since   time.Time
}

// GroupCall starts a call in group conv for user, on from, or joins the
// one in progress there. members are the group's members (the hub looked
// them up and checked that user is one). A new call rings every other
// member's devices, but those of members already in a call.
func (s *Service) GroupCall(from Conn, user proto.User, conv proto.ConvID, muted bool, members []proto.UserID) (proto.GroupCallReply, error) {
	return s.AnswerGroupCall(from, user, conv, 0, muted, members)
}

// AnswerGroupCall is GroupCall for a member answering the ring of call
// want (0: none): if that call is over, it fails with no_such_call
// rather than start another.
func (s *Service) AnswerGroupCall(from Conn, user proto.User, conv proto.ConvID, want proto.CallID, muted bool, members []proto.UserID) (proto.GroupCallReply, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.busy(user.ID) || s.connInCall(from) {
		return proto.GroupCallReply{}, proto.Errorf(proto.CodeInCall, "you are already in a call")
	}
	now := s.cfg.Now()
	gc := s.gByConv[conv]
	if want != 0 && (gc == nil || gc.id != want) {
		return proto.GroupCallReply{}, proto.Errorf(proto.CodeNoSuchCall, "the call that rang is over")
	}
	started := gc == nil
	if started {
		gc = &groupCall{
			id: s.newID(), conv: conv, starter: user, started: now,
			members: make(map[proto.UserID]bool, len(members)+1),
			ringing: map[proto.UserID]*rung{},
			order:   slices.Clone(members),
		}
		for _, u := range members {
			gc.members[u] = true
		}
		s.gByID[gc.id] = gc
		s.gByConv[conv] = gc
	} else if gc.n >= proto.MaxGroupCall {
		return proto.GroupCallReply{}, proto.Errorf(proto.CodeCallFull, "%d people are in this call already", proto.MaxGroupCall)
	}
	gc.members[user.ID] = true
	slot := 0
	for gc.slots[slot] != nil {
		slot++
	}
	m := &member{call: gc, user: user, slot: uint8(slot), muted: muted, sig: from, media: from, joined: now}
	gc.slots[slot] = m
	gc.n++
	if !slices.Contains(gc.joined, user.ID) {
		gc.joined = append(gc.joined, user.ID)
	}
	s.gByUser[user.ID] = m
	s.told(user.ID, true)
	s.gByConn[from] = m
	if r := gc.ringing[user.ID]; r != nil { // joined: the user's other devices stop ringing
		delete(gc.ringing, user.ID)
		s.pushEnd(r.devices, from, proto.CallEnd{Call: gc.id, Reason: proto.EndAnsweredElsewhere, By: user.ID})
	}
	if started {
		s.ringGroup(gc, now)
		s.log.Info("group call started", "call", gc.id, "conv", conv, "by", user.ID, "ringing", len(gc.ringing))
	} else {
		s.log.Info("group call joined", "call", gc.id, "conv", conv, "user", user.ID, "slot", slot, "participants", gc.n)
	}
	s.pushState(gc)
	s.startSweeper()
	return proto.GroupCallReply{
		Call: gc.id, Conv: conv, Codec: GroupCodec, Slot: slot,
		Started: gc.started.UnixMilli(), Participants: gc.participants(),
	}, nil
}

// ringGroup rings the devices of every member of a new call but the one
// who started it and those in a call. Call with s.mu held.
func (s *Service) ringGroup(gc *groupCall, now time.Time) {
	frame, err := proto.EncodePush(proto.TypeCallIncoming, proto.CallIncoming{
		Call: gc.id, From: gc.starter, Codecs: []string{GroupCodec}, Conv: gc.conv,
	})
	if err != nil {
		s.log.Error("encode call_incoming", "call", gc.id, "err", err)
		return
	}
	for _, u := range gc.order {
		if u == gc.starter.ID || s.busy(u) || gc.ringing[u] != nil {
			continue
		}
		devices := s.cfg.Devices.Devices(u)
		if len(devices) == 0 {
			continue
		}
		gc.ringing[u] = &rung{devices: slices.Clone(devices), since: now}
		for _, d := range devices {
			d.Push(frame)
		}
	}
}

// Mute records that user muted (or unmuted) in group call id and tells
// the group.
func (s *Service) Mute(user proto.UserID, id proto.CallID, muted bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.gByUser[user]
	if m == nil || m.call.id != id {
		return proto.Errorf(proto.CodeNoSuchCall, "you are not in group call %d", id)
	}
	if m.muted != muted {
		m.muted = muted
		s.pushState(m.call)
	}
	return nil
}

// groupDecline stops the ringing of user's devices for gc: declined.
// Call with s.mu held.
func (s *Service) groupDecline(gc *groupCall, user proto.UserID) error {
	r := gc.ringing[user]
	if r == nil {
		return noSuchCall()
	}
	delete(gc.ringing, user)
	s.pushEnd(r.devices, nil, proto.CallEnd{Call: gc.id, Reason: proto.EndDeclined, By: user})
	s.log.Info("group call declined", "call", gc.id, "user", user)
	return nil
}

// groupHangup takes user out of gc (hangup, or why), or stops its ringing
// (declined) if user was only rung. Call with s.mu held.
func (s *Service) groupHangup(gc *groupCall, user proto.UserID, why string) error {
	if m := s.gByUser[user]; m != nil && m.call == gc {
		reason := proto.EndHangup
		if why != "" {
			reason = why
		}
		s.leave(m, reason, nil)
		return nil
	}
	return s.groupDecline(gc, user)
}

// groupAttach makes from carry user's audio in gc. Call with s.mu held.
func (s *Service) groupAttach(gc *groupCall, from Conn, user proto.UserID) error {
	m := s.gByUser[user]
	if m == nil || m.call != gc {
		return noSuchCall()
	}
	if other := s.gByConn[from]; other != nil && other != m || s.byConn[from] != nil {
		return proto.Errorf(proto.CodeInCall, "this connection is in another call")
	}
	if m.media != m.sig && m.media != from {
		delete(s.gByConn, m.media)
	}
	m.media = from
	s.gByConn[from] = m
	return nil
}

// GroupOnline pushes to conn, a device user has just logged in on, the
// state of every call in progress in user's groups.
func (s *Service) GroupOnline(conn Conn, user proto.UserID) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, gc := range s.gByID {
		if gc.members[user] {
			if frame, err := proto.EncodePush(proto.TypeGroupCallState, gc.state()); err == nil {
				conn.Push(frame)
			}
		}
	}
}

// Membership tells the switchboard that user joined group conv (member)
// or left it (left, removed, banned). A member who joins is told of a
// call in progress; one who goes is taken out of it, with
// proto.EndRemoved, and stops ringing.
func (s *Service) Membership(conv proto.ConvID, user proto.UserID, isMember bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	gc := s.gByConv[conv]
	if gc == nil {
		return
	}
	if isMember {
		if !gc.members[user] {
			gc.members[user] = true
			if frame, err := proto.EncodePush(proto.TypeGroupCallState, gc.state()); err == nil {
				for _, d := range s.cfg.Devices.Devices(user) {
					d.Push(frame)
				}
			}
		}
		return
	}
	delete(gc.members, user)
	s.removeFrom(gc, user)
}

// GroupDeleted ends the call of group conv, if any: everyone in it is
// removed (proto.EndRemoved) and ringing stops.
func (s *Service) GroupDeleted(conv proto.ConvID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	gc := s.gByConv[conv]
	if gc == nil {
		return
	}
	clear(gc.members) // the group is gone: nobody is told its call's state
	for u := range gc.ringing {
		s.removeFrom(gc, u)
	}
	for _, m := range gc.slots {
		if m != nil {
			s.removeFrom(gc, m.user.ID)
		}
	}
}

// removeFrom takes user out of gc, removed: its ringing stops, and it
// leaves. Call with s.mu held.
func (s *Service) removeFrom(gc *groupCall, user proto.UserID) {
	if r := gc.ringing[user]; r != nil {
		delete(gc.ringing, user)
		s.pushEnd(r.devices, nil, proto.CallEnd{Call: gc.id, Reason: proto.EndRemoved, By: user})
	}
	if m := s.gByUser[user]; m != nil && m.call == gc {
		s.leave(m, proto.EndRemoved, nil)
	}
}

// GroupCounts reports the group calls in progress and the people in them.
func (s *Service) GroupCounts() (callsNow, participants int) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.gByID), len(s.gByUser)
}

// leave takes m out of its call and tells m's connections (but gone,
// which closed) why; the others see the new state. The call is over when
// the last participant leaves. Call with s.mu held.
func (s *Service) leave(m *member, reason string, gone Conn) {
	gc := m.call
	gc.slots[m.slot] = nil
	gc.n--
	if s.gByUser[m.user.ID] == m {
		delete(s.gByUser, m.user.ID)
		s.told(m.user.ID, false)
	}
	var tell []Conn
	for _, c := range []Conn{m.sig, m.media} {
		if s.gByConn[c] == m {
			delete(s.gByConn, c)
		}
		if c != gone && !slices.Contains(tell, c) {
			tell = append(tell, c)
		}
	}
	now := s.cfg.Now()
	s.pushEnd(tell, nil, proto.CallEnd{Call: gc.id, Reason: reason, By: m.user.ID, DurationMs: max(0, now.Sub(m.joined).Milliseconds())})
	s.log.Info("group call left", "call", gc.id, "user", m.user.ID, "reason", reason, "participants", gc.n)
	if gc.n > 0 {
		s.pushState(gc)
		return
	}
	// The last one left: the call is over.
	delete(s.gByID, gc.id)
	delete(s.gByConv, gc.conv)
	for _, r := range gc.ringing {
		s.pushEnd(r.devices, nil, proto.CallEnd{Call: gc.id, Reason: proto.EndCancelled, By: m.user.ID})
	}
	gc.ringing = nil
	s.pushState(gc)
	duration := max(0, now.Sub(gc.started).Milliseconds())
	s.log.Info("group call ended", "call", gc.id, "conv", gc.conv, "reason", reason, "people", len(gc.joined), "duration_ms", duration)
	if s.cfg.OnEnd != nil {
		s.cfg.OnEnd(reason)
	}
	if s.cfg.OnEnded != nil {
		s.cfg.OnEnded(Ended{
			ID: gc.id, Caller: gc.starter, Reason: reason, By: m.user.ID,
			Answered: len(gc.joined) >= 2, DurationMs: duration,
			Group: true, Conv: gc.conv, Started: gc.started.UnixMilli(), Participants: slices.Clone(gc.joined),
		})
	}
}

// groupGone handles a closed connection's part in group calls: a
// participant's connection (or media path) drops it; a ringing device
// stops ringing. Call with s.mu held.
func (s *Service) groupGone(conn Conn) {
	if m := s.gByConn[conn]; m != nil {
		s.leave(m, proto.EndDropped, conn)
	}
	for _, gc := range s.gByID {
		for u, r := range gc.ringing {
			if i := slices.Index(r.devices, conn); i >= 0 {
				r.devices = slices.Delete(r.devices, i, i+1)
				if len(r.devices) == 0 {
					delete(gc.ringing, u)
				}
			}
		}
	}
}

// expireGroups stops ringing that lasted RingTimeout (no_answer) and
// drops participants silent for MediaTimeout. Call with s.mu held.
func (s *Service) expireGroups(now time.Time) {
	for _, gc := range s.gByID {
		for u, r := range gc.ringing {
			if now.Sub(r.since) >= s.cfg.RingTimeout {
				delete(gc.ringing, u)
				s.pushEnd(r.devices, nil, proto.CallEnd{Call: gc.id, Reason: proto.EndNoAnswer, By: u})
			}
		}
		for _, m := range gc.slots {
			if m == nil {
				continue
			}
			last := m.joined
			if h := m.heard.Load(); h > last.UnixNano() {
				last = time.Unix(0, h)
			}
			if now.Sub(last) >= s.cfg.MediaTimeout {
				s.log.Info("group call participant silent", "call", gc.id, "user", m.user.ID, "silent", now.Sub(last))
				s.leave(m, proto.EndDropped, nil)
			}
		}
	}
}

// groupMedia forwards a participant's packet: audio to every other
// participant as one group packet (the same slice for all), a group loss
// report to the speaker it is about as an ordinary one. It is called with
// s.mu read-locked and unlocks it.
func (s *Service) groupMedia(m *member, id proto.CallID, pkt []byte) Relay {
	gc := m.call
	if gc.id != id {
		s.mu.RUnlock()
		return NotInCall
	}
	now := s.cfg.Now()
	m.heard.Store(now.UnixNano())
	if !m.flood.allow(now, s.cfg.Flood) {
		s.mu.RUnlock()
		return Flooded
	}
	switch pkt[0] {
	case proto.PacketVersion<<4 | proto.PacketAudio:
		var out [proto.MaxGroupCall]Conn
		n := 0
		for _, o := range gc.slots {
			if o != nil && o != m {
				out[n] = o.media
				n++
			}
		}
		slot := m.slot
		s.mu.RUnlock()
		frame, err := proto.GroupPacketFrom(pkt, slot)
		if err != nil {
			return Malformed // PacketCall parsed it: cannot happen
		}
		slow := 0
		for _, c := range out[:n] {
			if !c.SendMedia(frame) {
				slow++
			}
		}
		if slow > 0 && s.cfg.OnPeerSlow != nil {
			s.cfg.OnPeerSlow(slow)
		}
		return Relayed
	case proto.PacketVersion<<4 | proto.PacketGroupReport:
		r, err := proto.ParseGroupReport(pkt)
		var to Conn
		if err == nil {
			if o := gc.slots[r.Slot]; o != nil && o != m {
				to = o.media
			}
		}
		s.mu.RUnlock()
		if to == nil {
			return BadReport // about an empty slot, or the sender's own
		}
		if !to.SendMedia(proto.AppendReport(make([]byte, 0, proto.ReportLen), proto.LossReport{Call: id, Loss: r.Loss})) {
			return PeerSlow
		}
		return Relayed
	default: // a 1:1 loss report: a group call's are about one slot
		s.mu.RUnlock()
		return BadReport
	}
}

// pushState tells every logged-in device of every member of gc's group
// its state (ended once it is over). Call with s.mu held.
func (s *Service) pushState(gc *groupCall) {
	frame, err := proto.EncodePush(proto.TypeGroupCallState, gc.state())
	if err != nil {
		s.log.Error("encode group_call_state", "call", gc.id, "err", err)
		return
	}
	for u := range gc.members {
		for _, d := range s.cfg.Devices.Devices(u) {
			d.Push(frame)
		}
	}
}

// pushEnd pushes end to conns but skip.
func (s *Service) pushEnd(conns []Conn, skip Conn, end proto.CallEnd) {
	frame, err := proto.EncodePush(proto.TypeCallEnd, end)
	if err != nil {
		s.log.Error("encode call_end", "call", end.Call, "err", err)
		return
	}
	for _, c := range conns {
		if c != skip {
			c.Push(frame)
		}
	}
}

// state is gc as group_call_state shows it; Ended once nobody is in it.
func (gc *groupCall) state() proto.GroupCallState {
	return proto.GroupCallState{
		Conv: gc.conv, Call: gc.id, StartedBy: gc.starter.ID, Started: gc.started.UnixMilli(),
		Participants: gc.participants(), Ended: gc.n == 0,
	}
}

// participants lists who is in gc, in slot order (never nil).
func (gc *groupCall) participants() []proto.CallParticipant {
	ps := make([]proto.CallParticipant, 0, gc.n)
	for _, m := range gc.slots {
		if m != nil {
			ps = append(ps, proto.CallParticipant{ID: m.user.ID, Name: m.user.Name, Slot: int(m.slot), Muted: m.muted})
		}
	}
	return ps
}

// bucket is one sender's forwarding limit (Config.Flood), a token
// bucket on the switchboard's clock.
type bucket struct {
	mu     sync.Mutex
	tokens float64
	last   int64 // Unix ns of the last refill; 0: never (full)
}

// allow spends a token if there is one.
func (b *bucket) allow(now time.Time, f Flood) bool {
	if f.Rate < 0 {
		return true
	}
	rate, burst := f.Rate, float64(f.Burst)
	if rate == 0 {
		rate = FloodRate
	}
	if burst <= 0 {
		burst = FloodBurst
	}
	t := now.UnixNano()
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.last == 0:
		b.tokens = burst
		b.last = t
	case t > b.last:
		b.tokens = min(burst, b.tokens+float64(t-b.last)/float64(time.Second)*rate)
		b.last = t
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
