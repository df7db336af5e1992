package uitest

import (
	"fmt"
	"time"

	"parley/app/state"
	"parley/net/proto"
)

// People of the fixtures.
var (
	LiHua    = proto.User{ID: 4821, Name: "李华"}
	WangFang = proto.User{ID: 4822, Name: "王芳"}
	Tom      = proto.User{ID: 4823, Name: "Tom Baker"}
	ChenJing = proto.User{ID: 4824, Name: "陈静"}
	Sofia    = proto.User{ID: 4830, Name: "Sofia Rossi"}
)

// StudyGroup is the busy group of the fixtures.
const StudyGroup proto.ConvID = 512

func at(day, hour, minute int) int64 {
	return time.Date(2024, 3, day, hour, minute, 0, 0, time.UTC).UnixMilli()
}

func textMsg(seq int64, from proto.User, t int64, s string) state.Message {
	return state.Message{Message: proto.Message{Conv: StudyGroup, Seq: seq, ClientID: fmt.Sprintf("c%d", seq), Sender: from.ID, SenderName: from.Name, Time: t, Kind: proto.MsgText, Text: s}, Mine: from.ID == LiHua.ID}
}

func event(seq int64, typ string, actor proto.User, subject *proto.User, t int64) state.Message {
	return state.Message{Message: proto.Message{Conv: StudyGroup, Seq: seq, Sender: actor.ID, SenderName: actor.Name, Time: t, Kind: proto.MsgSystem, Event: &proto.Event{Type: typ, Actor: actor, Subject: subject}}}
}

// Login is the login screen with the local server filled in.
func Login() state.State {
	return state.State{Server: "http://127.0.0.1:8080"}
}

// Busy is the main screen with the study group open: a conversation in
// Chinese and English over two days, with my messages sent and sending,
// several other conversations with unread counts, and notices.
func Busy() state.State {
	me := LiHua
	msgs := []state.Message{
		event(1, proto.EventCreated, LiHua, nil, at(11, 9, 2)),
		event(2, proto.EventInvited, LiHua, &WangFang, at(11, 9, 3)),
		event(3, proto.EventJoined, Tom, nil, at(11, 9, 40)),
		textMsg(4, WangFang, at(11, 10, 15), "大家好！这周的读书会定在周四晚上七点，可以吗？"),
		textMsg(5, Tom, at(11, 10, 21), "Thursday 7pm works for me. Which chapter are we reading?"),
		textMsg(6, LiHua, at(11, 10, 24), "第三章：界面设计。I'll share the slides before the meeting."),
		textMsg(7, WangFang, at(11, 10, 25), "好的，谢谢！"),
		event(8, proto.EventJoined, ChenJing, nil, at(12, 8, 55)),
		textMsg(9, ChenJing, at(12, 9, 1), "我刚加入，请问资料在哪里下载？"),
		textMsg(10, WangFang, at(12, 9, 4), "稍等，李华会把文件发到群里。"),
		textMsg(11, Tom, at(12, 14, 50), "Also, could we record the call this time?"),
		textMsg(12, Tom, at(12, 14, 51), "I missed half of it last week — the train had no signal."),
		textMsg(13, LiHua, at(12, 15, 2), "可以，我来录。Recording is on me."),
		{Message: proto.Message{Conv: StudyGroup, ClientID: "out-1", Sender: me.ID, SenderName: me.Name, Time: at(12, 15, 29), Kind: proto.MsgText, Text: "资料链接稍后发到群里 — the link follows in a minute."}, Mine: true, Status: state.Sending},
	}
	group := state.Conversation{ID: StudyGroup, Kind: proto.KindGroup, Name: "学习小组 Study Group", Members: 5, Last: &msgs[12].Message}
	direct := func(id proto.ConvID, peer proto.User, unread int64, t int64, s string, fromMe bool) state.Conversation {
		from := peer
		if fromMe {
			from = me
		}
		return state.Conversation{ID: id, Kind: proto.KindDirect, Name: peer.Name, Peer: &peer, Members: 2, Unread: unread,
			Last: &proto.Message{Conv: id, Seq: 9, Sender: from.ID, SenderName: from.Name, Time: t, Kind: proto.MsgText, Text: s}}
	}
	grp := func(id proto.ConvID, name string, members int, unread int64, from proto.User, t int64, s string) state.Conversation {
		return state.Conversation{ID: id, Kind: proto.KindGroup, Name: name, Members: members, Unread: unread,
			Last: &proto.Message{Conv: id, Seq: 30, Sender: from.ID, SenderName: from.Name, Time: t, Kind: proto.MsgText, Text: s}}
	}
	return state.State{
		Server: "http://127.0.0.1:8080",
		Me:     &me,
		Conn:   state.Online,
		Conversations: []state.Conversation{
			group,
			direct(9001, WangFang, 2, at(12, 15, 12), "周末一起去图书馆吗？", false),
			grp(517, "Project Parley", 4, 5, Tom, at(12, 13, 40), "The server build is green again."),
			grp(530, "家庭群", 6, 0, ChenJing, at(11, 19, 5), "晚饭六点，别迟到。"),
			direct(9002, Tom, 0, at(10, 18, 30), "See you Thursday!", true),
			grp(541, "Reading Club", 12, 0, Sofia, at(3, 11, 0), "Next book: The Three-Body Problem."),
		},
		Open: &state.Open{
			Conversation: group,
			Members: []proto.Member{
				{User: LiHua, Online: true}, {User: WangFang, Online: true}, {User: Tom},
				{User: ChenJing, Online: true}, {User: Sofia},
			},
			Messages: msgs,
			Revision: 1,
		},
		Notices: []state.Notice{
			{ID: 1, Kind: state.NoticeJoined, Args: []string{"家庭群", "530"}, Time: at(12, 9, 0)},
			{ID: 2, Kind: state.NoticeGroupCreated, Args: []string{"Project Parley", "517"}, Time: at(12, 13, 0)},
		},
	}
}

// Empty is the main screen of a new account: no conversations yet.
func Empty() state.State {
	me := proto.User{ID: 4821, Name: "李华"}
	return state.State{Server: "http://127.0.0.1:8080", Me: &me, Conn: state.Online}
}

// Long returns Busy with the open conversation holding a window of the
// last window messages of a history of total, as the model pages it.
func Long(total, window int) state.State {
	st := Busy()
	o := *st.Open
	msgs := make([]state.Message, window)
	first := int64(total - window + 1)
	people := []proto.User{LiHua, WangFang, Tom, ChenJing, Sofia}
	lines := []string{
		"好的，没问题。", "Let's meet at the library after class.", "明天的作业是第几页？",
		"I pushed the fix, can someone review it?", "周四晚上七点，别忘了！", "Sounds good to me.",
		"这个问题我们下次讨论吧，今天先到这里。Thanks everyone for joining!",
	}
	for i := range msgs {
		seq := first + int64(i)
		from := people[int(seq)%len(people)]
		t := at(12, 15, 29) - int64(total-int(seq))*45_000
		msgs[i] = textMsg(seq, from, t, fmt.Sprintf("%s (%d)", lines[int(seq)%len(lines)], seq))
	}
	o.Messages = msgs
	o.HasOlder = first > 1
	last := msgs[len(msgs)-1].Message
	o.Last = &last
	st.Open = &o
	return st
}

// Direct is Busy with the direct conversation with 王芳 open.
func Direct() state.State {
	st := Busy()
	c := st.Conversations[1]
	msg := func(seq int64, from proto.User, t int64, s string) state.Message {
		m := textMsg(seq, from, t, s)
		m.Conv = c.ID
		return m
	}
	st.Open = &state.Open{
		Conversation: c,
		Members:      []proto.Member{{User: LiHua, Online: true}, {User: WangFang, Online: true}},
		Messages: []state.Message{
			msg(7, WangFang, at(12, 15, 10), "你今晚有空吗？想聊聊读书会的安排。"),
			msg(8, LiHua, at(12, 15, 11), "有空，我现在打给你 — calling you now."),
			msg(9, WangFang, at(12, 15, 12), "周末一起去图书馆吗？"),
		},
		Revision: 1,
	}
	return st
}

// WithCall returns st with a call with 王芳 in state s: an outgoing call,
// or an incoming one (CallIncoming); active for 2:13 at Now; ended after
// 3:41 when she hung up.
func WithCall(st state.State, s state.CallState) state.State {
	c := state.Call{ID: 7, State: s, Peer: WangFang, Outgoing: s != state.CallIncoming}
	switch s {
	case state.CallConnecting, state.CallActive:
		c.Started, c.Level = Now.UnixMilli()-133_000, 0.62
	case state.CallEnded:
		c.Started, c.Ended, c.Duration = Now.UnixMilli()-221_000, Now.UnixMilli(), 221_000
		c.EndReason, c.EndedBy = proto.EndHangup, WangFang.ID
	}
	st.Call = &c
	return st
}

// Files is Busy with files in the study group: 王芳's slides, which I
// saved; Tom's recording, not saved yet; and my notes, uploading.
func Files() state.State {
	st := Busy()
	o := *st.Open
	file := func(seq int64, from proto.User, t int64, f proto.File) state.Message {
		m := textMsg(seq, from, t, "")
		m.Kind, m.File = proto.MsgFile, &f
		return m
	}
	slides := proto.File{ID: "f-slides", Name: "第三章 界面设计.pdf", Size: 12_400_000, SHA256: "ab"}
	rec := proto.File{ID: "f-rec", Name: "reading-club-recording.ogg", Size: 48_213_000, SHA256: "cd"}
	msgs := append([]state.Message(nil), o.Messages[:len(o.Messages)-1]...)
	msgs = append(msgs, file(14, WangFang, at(12, 15, 20), slides), file(15, Tom, at(12, 15, 24), rec))
	o.Messages, o.Revision = msgs, 2
	last := msgs[len(msgs)-1].Message
	o.Last = &last
	st.Open = &o
	st.Transfers = []state.Transfer{
		{ID: "t-slides", Direction: state.Download, Conv: StudyGroup, Name: slides.Name, Size: slides.Size, Done: slides.Size,
			ETA: -1, State: state.TransferDone, Path: "/home/lihua/Downloads/第三章 界面设计.pdf", FileID: slides.ID},
		{ID: "t-notes", Direction: state.Upload, Conv: StudyGroup, Name: "meeting-notes-2024-03-12.zip", Size: 734_003_200,
			Done: 301_200_000, Speed: 24_600_000, ETA: 17600 * time.Millisecond, State: state.TransferActive, Path: "/home/lihua/meeting-notes-2024-03-12.zip"},
	}
	st.Notices = append(st.Notices, state.Notice{ID: 3, Kind: state.NoticeFileReceived,
		Args: []string{Tom.Name, fmt.Sprint(Tom.ID), rec.Name, "48.2 MB", fmt.Sprint(StudyGroup)}, Time: at(12, 15, 24)})
	return st
}
