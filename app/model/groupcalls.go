package model

// Group calls, the model's side (docs/protocol.md, "Group calls"): start
// or join a group's call (GroupCall, or Accept while it rings), its
// ringing (call_incoming with conv: without the ring tone in a muted
// conversation), who is in it (group_call_state: Conversation.GroupCall
// for every group, and Call.Participants for mine), call_mute, and the
// engine's slots. Everything else is the 1:1 machinery of calls.go: the
// call bar, Decline, Hangup, the media socket, the UDP leg and the end.

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"time"

	"parley/app/state"
	"parley/media/call"
	"parley/net/proto"
)

// meSpeakingLevel is the microphone level (Stats.Level's scale, −36
// dBFS) above which I count as speaking among the participants;
// meSpeakingHold keeps it so for a while after, as the engine does for
// the others' slots.
const (
	meSpeakingLevel = 0.4
	meSpeakingHold  = 300 * time.Millisecond
)

// groupRun is what a call run holds of a group call. Under m.calls.mu.
type groupRun struct {
	slots  [proto.MaxGroupCall]proto.UserID // who holds each slot, as the engine was told (0: empty)
	loudAt time.Time                        // when my microphone was last above meSpeakingLevel
	muteMu sync.Mutex                       // one call_mute at a time, so that the last one sent is the newest
}

// GroupCall starts a call in group conv, or joins the one in progress
// there (proto.TypeGroupCall); while that call rings on this device it
// answers it. The call bar follows in State().Call, with its
// Participants; the group's Conversation.GroupCall shows the call to
// everyone in the group. A call that cannot be joined (in_call,
// call_full, not_member) ends at once with that code, as a 1:1 call that
// cannot ring does.
func (m *Model) GroupCall(ctx context.Context, conv proto.ConvID) error {
	a := m.account()
	if a == nil {
		return m.fail(errLoggedOut)
	}
	m.calls.mu.Lock()
	if r := m.currentRun(a); r != nil {
		ringing := r.view.State == state.CallIncoming && r.view.Group == conv
		m.calls.mu.Unlock()
		if ringing {
			return m.Accept(ctx)
		}
		return m.fail(proto.Errorf(proto.CodeInCall, "you are already in a call"))
	}
	peer := a.user
	if gc := a.groupCall(conv); gc != nil {
		peer = m.participantUser(gc.Participants, gc.StartedBy)
	}
	r := m.newRun(a, state.Call{State: state.CallConnecting, Group: conv, GroupName: m.groupName(conv), Peer: peer})
	m.calls.mu.Unlock()

	if err := m.probeAudio(r.ctx); err != nil {
		r.end(proto.EndNoAudio, a.user.ID, 0)
		return err
	}
	return m.joinGroup(ctx, r)
}

// joinGroup sends group_call for r's group and starts the audio once in.
func (m *Model) joinGroup(ctx context.Context, r *callRun) error {
	a := r.a
	m.calls.mu.Lock()
	if r.view.State == state.CallEnded { // hung up while the devices were checked
		m.calls.mu.Unlock()
		return nil
	}
	conv, muted, rang := r.view.Group, r.view.Muted, r.view.ID // rang: the call that rang here, 0 when I start or join from the group
	m.calls.mu.Unlock()
	var reply proto.GroupCallReply
	if err := a.sess.CallEarly(ctx, proto.TypeGroupCall, proto.GroupCallRequest{Conv: conv, Muted: muted, Call: rang}, &reply); err != nil {
		if rang != 0 && proto.CodeOf(err) == proto.CodeNoSuchCall {
			r.end(proto.EndCancelled, 0, 0) // it ended as I answered: nothing new starts
			return nil
		}
		n := m.errorNotice(err)
		r.end(string(n.Code), 0, 0)
		switch n.Code {
		case proto.CodeInCall, proto.CodeCallFull, proto.CodeNotMember, proto.CodeNoSuchConv:
			return err // the call bar says it
		}
		return m.fail(err)
	}
	m.calls.mu.Lock()
	defer m.calls.mu.Unlock()
	if r.view.State == state.CallEnded { // hung up while the request was out: leave again
		go m.hangupOnServer(a, reply.Call, "")
		return nil
	}
	r.view.ID, r.view.Started = reply.Call, m.cfg.Now().UnixMilli()
	// A group_call_state may have overtaken the reply: it is newer if
	// it has me in it already.
	ps := reply.Participants
	if gc := a.groupCall(conv); gc != nil && gc.Call == reply.Call {
		if slices.ContainsFunc(gc.Participants, func(p proto.CallParticipant) bool { return p.ID == a.user.ID }) {
			ps = gc.Participants
		}
		r.view.Peer = m.participantUser(gc.Participants, gc.StartedBy)
	} else if len(reply.Participants) == 1 {
		r.view.Peer = a.user // I started it
	}
	r.setParticipants(ps)
	r.publish()
	if r.view.Muted != muted { // muted or unmuted while the request was out
		r.sendMute()
	}
	r.startMedia(reply.Codec)
	early := r.early
	r.early = nil
	for _, p := range early {
		m.callPushLocked(a, p)
	}
	m.showJoined(a, conv)
	return nil
}

// acceptGroup joins the group call that rings on this device (Accept).
func (m *Model) acceptGroup(ctx context.Context, r *callRun) error {
	if err := m.probeAudio(r.ctx); err != nil {
		// Not in the call: the other devices stop ringing, and the bar
		// says why.
		m.calls.mu.Lock()
		id := r.view.ID
		m.calls.mu.Unlock()
		go func() {
			ctx, cancel := context.WithTimeout(r.a.ctx, 5*time.Second)
			defer cancel()
			r.a.sess.CallEarly(ctx, proto.TypeCallDecline, proto.CallRef{Call: id}, nil)
		}()
		r.end(proto.EndNoAudio, r.a.user.ID, 0)
		return err
	}
	return m.joinGroup(ctx, r)
}

// groupIncoming rings for a group call (call_incoming with conv). Call
// with m.calls.mu held.
func (m *Model) groupIncoming(a *account, in proto.CallIncoming) {
	r := m.newRun(a, state.Call{ID: in.Call, State: state.CallIncoming, Peer: in.From, Group: in.Conv, GroupName: m.groupName(in.Conv)})
	r.codecs = in.Codecs
	cs := a.set.of(in.Conv)
	if !(state.Conversation{Notify: cs.Notify, NotifyUntil: cs.NotifyUntil}).Muted(m.cfg.Now().UnixMilli()) {
		r.playTone(call.Ringtone())
	}
}

// groupCallStatePush takes a group_call_state: the group's call as the
// conversation shows it and, if it is my call, its participants. Call
// with m.calls.mu held.
func (m *Model) groupCallStatePush(a *account, body json.RawMessage) {
	var gs proto.GroupCallState
	if err := json.Unmarshal(body, &gs); err != nil {
		m.log.Warn("bad group_call_state push", "err", err)
		return
	}
	if r := m.currentRun(a); r != nil && !gs.Ended && r.inGroupCall(gs.Conv, gs.Call) {
		if r.view.ID != 0 { // else the join's reply takes the state from here
			r.setParticipants(gs.Participants)
			r.view.Peer = m.participantUser(gs.Participants, gs.StartedBy)
			if r.view.GroupName == "" { // the group was not listed yet when the call began
				r.view.GroupName = m.groupName(gs.Conv)
			}
			r.publish()
		}
	}
	var gc *state.GroupCall
	if !gs.Ended {
		gc = &state.GroupCall{Call: gs.Call, StartedBy: gs.StartedBy, Started: gs.Started, Participants: slices.Clone(gs.Participants)}
		gc.Joined = m.joinedHere(a, gs.Conv, gc)
	} else if old := a.groupCall(gs.Conv); old != nil && old.Call != gs.Call {
		return // the end of an earlier call: the one shown is newer
	}
	a.setGroupCall(gs.Conv, gc)
}

// inGroupCall reports whether r is (or is joining) call id of group conv.
// Call with m.calls.mu held.
func (r *callRun) inGroupCall(conv proto.ConvID, id proto.CallID) bool {
	v := &r.view
	return v.Group == conv && v.State != state.CallIncoming && v.State != state.CallEnded && (v.ID == 0 || v.ID == id)
}

// joinedHere reports whether I am in gc on this device. Call with
// m.calls.mu held.
func (m *Model) joinedHere(a *account, conv proto.ConvID, gc *state.GroupCall) bool {
	r := m.currentRun(a)
	return r != nil && r.inGroupCall(conv, gc.Call) &&
		slices.ContainsFunc(gc.Participants, func(p proto.CallParticipant) bool { return p.ID == a.user.ID })
}

// showJoined updates the Joined of conv's call after my call changed.
// Call with m.calls.mu held.
func (m *Model) showJoined(a *account, conv proto.ConvID) {
	gc := a.groupCall(conv)
	if gc == nil {
		return
	}
	if j := m.joinedHere(a, conv, gc); j != gc.Joined {
		c := *gc
		c.Joined = j
		a.setGroupCall(conv, &c)
	}
}

// setParticipants shows ps (in slot order) as the call's participants,
// keeping the levels of those who stay, and starts afresh the engine's
// slots that someone else holds now. Call with m.calls.mu held.
func (r *callRun) setParticipants(ps []proto.CallParticipant) {
	me := r.a.user.ID
	out := make([]state.CallParticipant, 0, len(ps))
	var holders [proto.MaxGroupCall]proto.UserID
	for _, p := range ps {
		v := state.CallParticipant{User: proto.User{ID: p.ID, Name: p.Name}, Slot: p.Slot, Me: p.ID == me, Muted: p.Muted}
		if v.Me {
			v.Muted = r.view.Muted // mine is what I chose, at once
		}
		if i := slices.IndexFunc(r.view.Participants, func(o state.CallParticipant) bool { return o.User.ID == p.ID && o.Slot == p.Slot }); i >= 0 {
			v.Level, v.Speaking = r.view.Participants[i].Level, r.view.Participants[i].Speaking
		}
		out = append(out, v)
		if p.Slot >= 0 && p.Slot < proto.MaxGroupCall {
			holders[p.Slot] = p.ID
		}
	}
	slices.SortFunc(out, func(x, y state.CallParticipant) int { return x.Slot - y.Slot })
	r.view.Participants = out
	for slot, id := range holders {
		if id == r.group.slots[slot] {
			continue
		}
		r.group.slots[slot] = id
		if r.engine != nil {
			r.engine.ResetSlot(slot)
		}
		if r.m.calls.onResetSlot != nil {
			r.m.calls.onResetSlot(slot)
		}
	}
}

// groupLevels takes the levels of the engine's snapshot into the
// participants and reports whether anything shown changed. Call with
// m.calls.mu held.
func (r *callRun) groupLevels(st call.Stats, now time.Time) bool {
	var out []state.CallParticipant // a copy, once something changed: the state published keeps its slice
	for i, p := range r.view.Participants {
		var level float32
		var speaking bool
		switch {
		case p.Me:
			level = st.Level
			if level >= meSpeakingLevel && !r.view.Muted {
				r.group.loudAt = now
			}
			speaking = !r.group.loudAt.IsZero() && now.Sub(r.group.loudAt) < meSpeakingHold && !r.view.Muted
		case p.Slot >= 0 && p.Slot < len(st.Slots):
			level, speaking = st.Slots[p.Slot].Level, st.Slots[p.Slot].Speaking
		}
		if level == p.Level && speaking == p.Speaking {
			continue
		}
		if out == nil {
			out = slices.Clone(r.view.Participants)
		}
		out[i].Level, out[i].Speaking = level, speaking
	}
	if out == nil {
		return false
	}
	r.view.Participants = out
	return true
}

// quietParticipants zeroes the levels of an ended call's participants.
// Call with m.calls.mu held.
func (r *callRun) quietParticipants() {
	if len(r.view.Participants) == 0 {
		return
	}
	out := slices.Clone(r.view.Participants)
	for i := range out {
		out[i].Level, out[i].Speaking = 0, false
	}
	r.view.Participants = out
}

// muteParticipant shows my own Muted among the participants. Call with
// m.calls.mu held.
func (r *callRun) muteParticipant(muted bool) {
	i := slices.IndexFunc(r.view.Participants, func(p state.CallParticipant) bool { return p.Me })
	if i < 0 {
		return
	}
	out := slices.Clone(r.view.Participants)
	out[i].Muted = muted
	if muted {
		out[i].Level, out[i].Speaking = 0, false
	}
	r.view.Participants = out
}

// sendMute tells the group call that I muted or unmuted (call_mute), in
// the background: the engine muted already, and a request that fails
// changes nothing else. Call with m.calls.mu held.
func (r *callRun) sendMute() {
	id := r.view.ID
	r.a.spawn(func() {
		r.group.muteMu.Lock()
		defer r.group.muteMu.Unlock()
		r.m.calls.mu.Lock()
		muted, over := r.view.Muted, r.view.State == state.CallEnded
		r.m.calls.mu.Unlock()
		if over {
			return
		}
		ctx, cancel := context.WithTimeout(r.ctx, 5*time.Second)
		defer cancel()
		if err := r.a.sess.CallEarly(ctx, proto.TypeCallMute, proto.CallMuteRequest{Call: id, Muted: muted}, nil); err != nil && r.ctx.Err() == nil {
			r.m.log.Info("the group call was not told of the mute", "call", id, "err", err)
		}
	})
}

// participantUser is user id as ps names them, or as this device knows
// them.
func (m *Model) participantUser(ps []proto.CallParticipant, id proto.UserID) proto.User {
	if i := slices.IndexFunc(ps, func(p proto.CallParticipant) bool { return p.ID == id }); i >= 0 && ps[i].Name != "" {
		return proto.User{ID: id, Name: ps[i].Name}
	}
	return m.knownUser(id)
}

// groupName is the name of group conv as this device knows it ("" if
// it does not).
func (m *Model) groupName(conv proto.ConvID) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if o := m.st.Open; o != nil && o.ID == conv {
		return o.Name
	}
	for _, c := range m.st.Conversations {
		if c.ID == conv {
			return c.Name
		}
	}
	return ""
}

// groupCall returns the call in progress in conv as last pushed, nil if
// none.
func (a *account) groupCall(conv proto.ConvID) *state.GroupCall {
	a.m.mu.Lock()
	defer a.m.mu.Unlock()
	return a.gcalls[conv]
}

// setGroupCall keeps gc as conv's call (nil: none) and shows it in the
// conversation list and the open conversation. The map lives under the
// model's lock, so that a rebuild that publishes the list (which takes
// the calls from it there) never shows an older one.
func (a *account) setGroupCall(conv proto.ConvID, gc *state.GroupCall) {
	a.m.update(func(st *state.State) {
		if gc == nil {
			delete(a.gcalls, conv)
		} else {
			if a.gcalls == nil {
				a.gcalls = map[proto.ConvID]*state.GroupCall{}
			}
			a.gcalls[conv] = gc
		}
		if a.m.acct != a {
			return
		}
		if i := slices.IndexFunc(st.Conversations, func(c state.Conversation) bool { return c.ID == conv }); i >= 0 {
			st.Conversations = slices.Clone(st.Conversations)
			st.Conversations[i].GroupCall = gc
		}
		if st.Open != nil && st.Open.ID == conv {
			o := *st.Open
			o.GroupCall = gc
			st.Open = &o
		}
	})
}

// clearGroupCalls forgets every group's call: the connection went, and
// the next one's login pushes those still in progress.
func (a *account) clearGroupCalls() {
	a.m.update(func(st *state.State) {
		if len(a.gcalls) == 0 {
			return
		}
		a.gcalls = nil
		if a.m.acct != a {
			return
		}
		st.Conversations = slices.Clone(st.Conversations)
		for i := range st.Conversations {
			st.Conversations[i].GroupCall = nil
		}
		if st.Open != nil && st.Open.GroupCall != nil {
			o := *st.Open
			o.GroupCall = nil
			st.Open = &o
		}
	})
}

// withGroupCalls fills the calls in progress into a conversation list
// about to be published. Call with m.mu held.
func (a *account) withGroupCalls(list []state.Conversation) {
	for i := range list {
		list[i].GroupCall = a.gcalls[list[i].ID]
	}
}
