package ui

import (
	"reflect"
	"testing"
	"time"

	"parley/app/state"
	"parley/net/proto"
)

func TestEveryStringIsTranslated(t *testing.T) {
	for lang, c := range catalogs {
		v := reflect.ValueOf(*c)
		for i := range v.NumField() {
			f, name := v.Field(i), v.Type().Field(i).Name
			switch f.Kind() {
			case reflect.String:
				if f.String() == "" {
					t.Errorf("%s: %s is empty", lang, name)
				}
			case reflect.Func:
				if f.IsNil() {
					t.Errorf("%s: %s is missing", lang, name)
				}
			}
			if p, ok := f.Interface().(plural); ok && (p.One == "" || p.Other == "") {
				t.Errorf("%s: %s lacks a form", lang, name)
			}
		}
		for _, k := range []state.NoticeKind{state.NoticeRegistered, state.NoticeGroupCreated, state.NoticeJoined,
			state.NoticeInvited, state.NoticeInvitedMe, state.NoticeLeft, state.NoticeDirect, state.NoticeLoggedOut, state.NoticeSessionEnded,
			state.NoticeFileReceived, state.NoticeFileSaved} {
			if c.Notices[k] == "" {
				t.Errorf("%s: no words for notice %q", lang, k)
			}
		}
		for code := range en.Errors {
			if c.Errors[code] == "" {
				t.Errorf("%s: no words for error %q", lang, code)
			}
		}
	}
}

func TestChineseStringsAreChinese(t *testing.T) {
	v, e := reflect.ValueOf(zh), reflect.ValueOf(en)
	for i := range v.NumField() {
		name := v.Type().Field(i).Name
		if v.Field(i).Kind() != reflect.String || name == "AppName" || name == "SwitchLang" || name == "GroupIF" {
			continue
		}
		if v.Field(i).String() == e.Field(i).String() {
			t.Errorf("zh-CN %s is the English text %q", name, e.Field(i).String())
		}
	}
}

func TestNoticesReadNaturally(t *testing.T) {
	for _, c := range []struct {
		lang Lang
		n    state.Notice
		want string
	}{
		{English, state.Notice{Kind: state.NoticeGroupCreated, Args: []string{"Study Group", "512"}}, "Created Study Group — its ID is 512"},
		{Chinese, state.Notice{Kind: state.NoticeGroupCreated, Args: []string{"学习小组", "512"}}, "已创建群聊“学习小组”，ID 为 512"},
		{English, state.Notice{Kind: state.NoticeJoined, Args: []string{"Study Group", "512"}}, "Joined Study Group (512)"},
		{English, state.Notice{Kind: state.NoticeError, Code: proto.CodeNoSuchGroup, Args: []string{"999"}}, "No group with ID 999"},
		{Chinese, state.Notice{Kind: state.NoticeError, Code: proto.CodeNoSuchGroup, Args: []string{"999"}}, "没有 ID 为 999 的群聊"},
		{English, state.Notice{Kind: state.NoticeError, Code: proto.CodeNoSuchGroup}, "No such group"},
		{English, state.Notice{Kind: state.NoticeError, Code: state.CodeBadInput, Text: "enter a name"}, "enter a name"},
		{Chinese, state.Notice{Kind: state.NoticeError, Code: state.CodeBadInput, Text: "enter a name"}, "输入有误：enter a name"},
		{Chinese, state.Notice{Kind: state.NoticeError, Code: state.CodeBadInput, Detail: state.InputPasswordShort, Args: []string{"6"}, Text: "a password has at least 6 characters"}, "密码至少 6 个字符"},
		{English, state.Notice{Kind: state.NoticeError, Code: state.CodeBadInput, Detail: state.InputMessageLong, Args: []string{"16384", "20000"}}, "A message holds at most 16384 bytes; this one has 20000"},
		{Chinese, state.Notice{Kind: state.NoticeError, Code: state.CodeBadInput, Detail: state.InputPasswordMismatch, Text: "the passwords do not match"}, "两次输入的密码不一致"},
		{English, state.Notice{Kind: state.NoticeError, Code: "brand_new", Text: "the server said no"}, "Something went wrong: the server said no"},
		{English, state.Notice{Kind: state.NoticeInvited, Args: []string{"Li Hua", "4821", "Study Group", "512"}}, "Added Li Hua (4821) to Study Group (512)"},
		{Chinese, state.Notice{Kind: state.NoticeInvitedMe, Args: []string{"王芳", "4822", "学习小组", "512"}}, "王芳（4822）邀请你加入了 学习小组（512）"},
		{English, state.Notice{Kind: state.NoticeFileReceived, Args: []string{"Li Hua", "4821", "report.pdf", "12.4 MB", "512"}}, "Li Hua sent report.pdf (12.4 MB)"},
		{Chinese, state.Notice{Kind: state.NoticeFileReceived, Args: []string{"李华", "4821", "报告.pdf", "12.4 MB", "512"}}, "李华 发送了 报告.pdf（12.4 MB）"},
		{English, state.Notice{Kind: state.NoticeFileSaved, Args: []string{"report.pdf", "/home/wang/Downloads/report.pdf"}}, "Saved report.pdf to /home/wang/Downloads/report.pdf"},
		{English, state.Notice{Kind: state.NoticeError, Code: state.CodeFileMissing}, "The file is gone"},
	} {
		if got := c.lang.cat().notice(c.n); got != c.want {
			t.Errorf("%s %s/%s: got %q, want %q", c.lang, c.n.Kind, c.n.Code, got, c.want)
		}
	}
}

func TestDaysAreNamedRelativeToToday(t *testing.T) {
	now := time.Date(2024, 3, 12, 15, 30, 0, 0, time.UTC)
	for _, c := range []struct {
		lang Lang
		t    time.Time
		day  string
		stmp string
	}{
		{English, now.Add(-time.Hour), "Today", "14:30"},
		{English, time.Date(2024, 3, 11, 23, 59, 0, 0, time.UTC), "Yesterday", "Yesterday"},
		{English, time.Date(2024, 3, 2, 9, 0, 0, 0, time.UTC), "Saturday, 2 March", "2 Mar"},
		{English, time.Date(2023, 12, 31, 9, 0, 0, 0, time.UTC), "Sunday, 31 December 2023", "31 Dec 2023"},
		{Chinese, time.Date(2024, 3, 11, 8, 0, 0, 0, time.UTC), "昨天", "昨天"},
		{Chinese, time.Date(2024, 3, 2, 9, 0, 0, 0, time.UTC), "3月2日 星期六", "3月2日"},
		{Chinese, time.Date(2023, 12, 31, 9, 0, 0, 0, time.UTC), "2023年12月31日 星期日", "2023/12/31"},
	} {
		if got := c.lang.cat().day(c.t, now); got != c.day {
			t.Errorf("%s day(%v) = %q, want %q", c.lang, c.t, got, c.day)
		}
		if got := c.lang.cat().stamp(c.t, now); got != c.stmp {
			t.Errorf("%s stamp(%v) = %q, want %q", c.lang, c.t, got, c.stmp)
		}
	}
}

func TestParseLangPicksChineseForAnyChineseLocale(t *testing.T) {
	for in, want := range map[string]Lang{"zh_CN": Chinese, "zh-Hans-CN": Chinese, "zh_TW": Chinese, "en_US": English, "de": English, "": English, "C": English} {
		if got := ParseLang(in); got != want {
			t.Errorf("ParseLang(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestCallEndingsReadNaturally(t *testing.T) {
	wang := proto.User{ID: 4822, Name: "Wang Fang"}
	for _, c := range []struct {
		lang   Lang
		call   state.Call
		want   string
		failed bool
	}{
		{English, state.Call{Outgoing: true, Peer: wang, EndReason: proto.EndHangup, Duration: 221_000}, "Call ended (3:41)", false},
		{English, state.Call{Peer: wang, EndReason: proto.EndHangup, Duration: 3_725_000}, "Call ended (1:02:05)", false},
		{Chinese, state.Call{Peer: wang, EndReason: proto.EndHangup, Duration: 221_000}, "通话结束（3:41）", false},
		{English, state.Call{Outgoing: true, Peer: wang, EndReason: proto.EndDeclined}, "Wang Fang declined", true},
		{English, state.Call{Peer: wang, EndReason: proto.EndDeclined}, "You declined the call", false},
		{English, state.Call{Outgoing: true, Peer: wang, EndReason: proto.EndNoAnswer}, "No answer", true},
		{English, state.Call{Peer: wang, EndReason: proto.EndNoAnswer}, "Missed call from Wang Fang", true},
		{English, state.Call{Outgoing: true, Peer: wang, EndReason: proto.EndCancelled}, "Call cancelled", false},
		{Chinese, state.Call{Peer: wang, EndReason: proto.EndCancelled}, "Wang Fang 的未接来电", true},
		{English, state.Call{Peer: wang, EndReason: proto.EndAnsweredElsewhere}, "Answered on another device", false},
		{English, state.Call{Peer: wang, EndReason: proto.EndDropped, Duration: 62_000}, "Call dropped (1:02)", true},
		{English, state.Call{Outgoing: true, Peer: proto.User{ID: 4822}, EndReason: string(proto.CodeBusy)}, "Busy: ID 4822 is in another call", true},
		{English, state.Call{Outgoing: true, Peer: wang, EndReason: string(proto.CodeBusy)}, "Busy: Wang Fang is in another call", true},
		{English, state.Call{Outgoing: true, Peer: wang, EndReason: proto.EndNoAudio, EndedBy: 4821}, "No microphone or speaker found — check your sound settings", true},
		{Chinese, state.Call{Peer: wang, EndReason: proto.EndNoAudio, EndedBy: 4821}, "未找到麦克风或扬声器——请检查声音设置", true},
		{English, state.Call{Peer: wang, EndReason: proto.EndNoAudio, EndedBy: wang.ID, Duration: 5_000}, "Wang Fang's device has no sound — the call ended", true},
		{Chinese, state.Call{Outgoing: true, Peer: wang, EndReason: proto.EndNoAudio, EndedBy: wang.ID}, "Wang Fang 的设备没有声音——通话已结束", true},
		{English, state.Call{Outgoing: true, Peer: proto.User{ID: 4822}, EndReason: string(proto.CodeOffline)}, "Offline: ID 4822 is not connected", true},
		{Chinese, state.Call{Outgoing: true, Peer: proto.User{ID: 4822}, EndReason: string(proto.CodeOffline)}, "对方不在线：ID 4822 未连接", true},
		{English, state.Call{Outgoing: true, Peer: proto.User{ID: 9999}, EndReason: string(proto.CodeNoSuchUser)}, "No user with ID 9999", true},
		{English, state.Call{Outgoing: true, Peer: proto.User{ID: 4821}, EndReason: string(proto.CodeSelf)}, "You cannot call yourself", true},
		{English, state.Call{Outgoing: true, Peer: wang, EndReason: string(state.CodeUnreachable)}, "Cannot reach the server", true},
		{English, state.Call{Outgoing: true, Peer: wang, EndReason: string(state.CodeLocal)}, "The call failed", true},
	} {
		got, failed := c.lang.cat().callEnd(c.call)
		if got != c.want || failed != c.failed {
			t.Errorf("%s %s (outgoing %v): got %q (failure %v), want %q (failure %v)", c.lang, c.call.EndReason, c.call.Outgoing, got, failed, c.want, c.failed)
		}
	}
}

func TestSizesAndTimesLeftAreShort(t *testing.T) {
	for _, c := range []struct {
		lang Lang
		d    time.Duration
		want string
	}{
		{English, 400 * time.Millisecond, "1 s"},
		{English, 18 * time.Second, "18 s"},
		{English, 170 * time.Second, "3 min"},
		{English, 65 * time.Minute, "1 h 5 min"},
		{Chinese, 18 * time.Second, "18 秒"},
		{Chinese, 65 * time.Minute, "1 小时 5 分"},
	} {
		if got := c.lang.cat().left(c.d); got != c.want {
			t.Errorf("%s left(%v) = %q, want %q", c.lang, c.d, got, c.want)
		}
	}
}

func TestEveryInputProblemIsWordedInBothLanguages(t *testing.T) {
	keys := []string{state.InputLoggedOut, state.InputServer, state.InputServerBad, state.InputUserID, state.InputGroupID,
		state.InputName, state.InputNameLong, state.InputPasswordShort, state.InputPasswordMismatch, state.InputPassword,
		state.InputGroupName, state.InputWhichGroup, state.InputMessageEmpty, state.InputMessageLong, state.InputNoConversation,
		state.InputNotAFile, state.InputChooseFile, state.InputNoHome, state.InputFileTarget, state.InputNotFileMessage,
		state.InputTransferBusy, state.InputNotSaved, state.InputNoRoomToCopy, state.InputTooBigForMemory, state.InputPickAgain, state.InputTooBigToSave,
		state.InputJoinLink, state.InputAboutLong, state.InputPasswordNew, state.InputPictureTooBig, state.InputPictureUnknown,
		state.InputNoMicrophone, state.InputNotVoice}
	for _, l := range []Lang{English, Chinese} {
		c := l.cat()
		if len(c.Inputs) != len(keys) {
			t.Errorf("%s words %d input problems, want %d", l, len(c.Inputs), len(keys))
		}
		for _, k := range keys {
			if c.Inputs[k] == "" {
				t.Errorf("%s has no words for input problem %q", l, k)
			}
		}
	}
}

func TestCountsUseTheSingularForOne(t *testing.T) {
	for _, c := range []struct {
		got, want string
	}{
		{en.MembersN.format(1), "1 member"},
		{en.MembersN.format(5), "5 members"},
		{en.MembersN.format(0), "0 members"},
		{en.ResultsN.format(1, "hi"), "1 result for “hi”"},
		{en.ResultsN.format(2, "hi"), "2 results for “hi”"},
		{zh.MembersN.format(1), "1 位成员"},
		{zh.ResultsN.format(3, "你好"), "找到 3 条“你好”"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
