package uitest

import (
	"parley/app/state"
	"parley/net/proto"
)

// CallPeople are sixteen people for a full group call: me (李华), the
// fixtures' other four, and eleven more.
var CallPeople = []proto.User{
	LiHua, WangFang, Tom, ChenJing, Sofia,
	{ID: 4831, Name: "张伟"}, {ID: 4832, Name: "Aisha Khan"}, {ID: 4833, Name: "刘洋"}, {ID: 4834, Name: "Marco Bianchi"},
	{ID: 4835, Name: "赵敏"}, {ID: 4836, Name: "Olga Petrova"}, {ID: 4837, Name: "孙丽"}, {ID: 4838, Name: "Kenji Sato"},
	{ID: 4839, Name: "周杰"}, {ID: 4840, Name: "Emma Müller"}, {ID: 4841, Name: "吴芳"},
}

// groupCallState is the study group's call with people (in slot order),
// started by the first of them 40 s before Now.
func groupCallState(people []proto.User, joined bool) *state.GroupCall {
	gc := &state.GroupCall{Call: 90, StartedBy: people[0].ID, Started: Now.UnixMilli() - 40_000, Joined: joined}
	for i, p := range people {
		gc.Participants = append(gc.Participants, proto.CallParticipant{ID: p.ID, Name: p.Name, Slot: i, Muted: p.ID == Tom.ID})
	}
	return gc
}

// setGroupCall puts gc on the study group, in the list and open.
func setGroupCall(st state.State, gc *state.GroupCall) state.State {
	convs := append([]state.Conversation(nil), st.Conversations...)
	for i := range convs {
		if convs[i].ID == StudyGroup {
			convs[i].GroupCall = gc
		}
	}
	st.Conversations = convs
	if st.Open != nil && st.Open.ID == StudyGroup {
		o := *st.Open
		o.GroupCall = gc
		st.Open = &o
	}
	return st
}

// WithGroupCallInProgress returns st with a call in progress in the study
// group that I am not in: 王芳 started it, and n people are in it (at
// most the fifteen of CallPeople after me).
func WithGroupCallInProgress(st state.State, n int) state.State {
	return setGroupCall(st, groupCallState(CallPeople[1:1+n], false))
}

// WithGroupCallElsewhere returns st with a call in progress in the study
// group that I (李华) am in on another of my devices, with n people in it
// (me included: CallPeople's first n).
func WithGroupCallElsewhere(st state.State, n int) state.State {
	return setGroupCall(st, groupCallState(CallPeople[:n], false))
}

// WithGroupCall returns st with me in the study group's call, in state s,
// with n people in it (me included; CallPeople's first n): 王芳 started
// it and is speaking, and Tom is muted. CallIncoming is the call ringing
// here, before I joined; CallEnded my leaving it after 3:41.
func WithGroupCall(st state.State, s state.CallState, n int) state.State {
	c := state.Call{ID: 90, State: s, Peer: WangFang, Group: StudyGroup, GroupName: "学习小组 Study Group"}
	people := CallPeople[:n]
	switch s {
	case state.CallIncoming:
		return stateWithCall(setGroupCall(st, groupCallState(CallPeople[1:n], false)), c)
	case state.CallConnecting, state.CallActive, state.CallRinging:
		c.Started, c.Level = Now.UnixMilli()-133_000, 0.5
		for i, p := range people {
			c.Participants = append(c.Participants, state.CallParticipant{User: p, Slot: i, Me: p.ID == LiHua.ID,
				Muted: p.ID == Tom.ID, Speaking: p.ID == WangFang.ID, Level: map[bool]float32{true: 0.8}[p.ID == WangFang.ID]})
		}
		st = setGroupCall(st, groupCallState(append([]proto.User{WangFang, LiHua}, people[2:]...), true))
	case state.CallEnded:
		c.Started, c.Ended, c.Duration = Now.UnixMilli()-221_000, Now.UnixMilli(), 221_000
		c.EndReason, c.EndedBy = proto.EndHangup, LiHua.ID
		st = setGroupCall(st, groupCallState(CallPeople[1:n], false))
	}
	return stateWithCall(st, c)
}

func stateWithCall(st state.State, c state.Call) state.State {
	st.Call = &c
	return st
}

// GroupCallEntries returns st with two group calls in the study group's
// history: one that three people talked in for 5:00, one that 王芳
// started and nobody joined.
func GroupCallEntries(st state.State) state.State {
	o := *st.Open
	msgs := append([]state.Message(nil), o.Messages...)
	seq := msgs[len(msgs)-2].Seq // before my message still sending
	entry := func(seq int64, by proto.User, end int64, c proto.CallEntry) state.Message {
		return state.Message{Message: proto.Message{Conv: StudyGroup, Seq: seq, ClientID: "call-" + by.Name, Sender: by.ID, SenderName: by.Name,
			Time: end, Kind: proto.MsgCall, Call: &c}, Mine: by.ID == LiHua.ID}
	}
	answered := entry(seq+1, LiHua, at(12, 15, 20), proto.CallEntry{Caller: LiHua.ID, Outcome: proto.CallAnswered, Reason: proto.EndHangup,
		DurationMs: 300_000, Group: true, Started: at(12, 15, 15), Participants: []proto.UserID{LiHua.ID, WangFang.ID, Tom.ID}})
	missed := entry(seq+2, WangFang, at(12, 15, 25), proto.CallEntry{Caller: WangFang.ID, Outcome: proto.CallMissed, Reason: proto.EndHangup,
		DurationMs: 30_000, Group: true, Started: at(12, 15, 24), Participants: []proto.UserID{WangFang.ID}})
	last := msgs[len(msgs)-1]
	msgs = append(msgs[:len(msgs)-1], answered, missed, last)
	o.Messages = msgs
	o.Revision++
	st.Open = &o
	return st
}
