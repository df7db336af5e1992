package ui_test

import (
	"fmt"
	"image"
	"slices"
	"testing"

	"parley/app/state"
	"parley/net/proto"
	"parley/ui"
	"parley/ui/uitest"
)

// screen is one state to lay out, with the clicks that open its panels.
type screen struct {
	name   string
	st     func() state.State
	clicks func(lang ui.Lang) []string
}

func screensToCheck() []screen {
	none := func(ui.Lang) []string { return nil }
	offline := func() state.State {
		st := uitest.Busy()
		st.Conn, st.RetryAt = state.Offline, uitest.Now.Add(4e9).UnixMilli()
		return st
	}
	registered := func() state.State {
		st := uitest.Empty()
		st.Registered = st.Me
		return st
	}
	pick := func(en, zh string) func(ui.Lang) []string {
		return func(l ui.Lang) []string {
			if l == ui.Chinese {
				return []string{zh}
			}
			return []string{en}
		}
	}
	list := func() state.State { // the sidebar's forms, in sight on narrow windows too
		st := uitest.Busy()
		st.Open = nil
		return st
	}
	authError := func() state.State {
		st := uitest.Login()
		st.AuthError = &state.Notice{Kind: state.NoticeError, Code: state.CodeCache, Args: []string{"4821"}}
		return st
	}
	return []screen{
		{"login", uitest.Login, none},
		{"login, no server", func() state.State { // the server field's hint
			st := uitest.Login()
			st.Server = ""
			return st
		}, none},
		{"register", uitest.Login, pick("Register", "注册")},
		{"login with a cache error", authError, none},
		{"login, session ended", func() state.State {
			st := uitest.Login()
			st.Notices = []state.Notice{{ID: 1, Kind: state.NoticeSessionEnded}}
			return st
		}, none},
		{"busy", uitest.Busy, none},
		{"list, join form", list, pick("Join", "加入群聊")},
		{"list, invite form", list, pick("Invite", "邀请")},
		{"list, direct form", list, pick("Direct", "私聊")},
		{"busy, members", uitest.Busy, pick("Members", "成员")},
		{"busy, leave", uitest.Busy, pick("Leave group", "退出群聊")},
		{"group settings, owner", func() state.State { // groups_test.go
			st := panelState(proto.RoleOwner)
			l := proto.InviteLink{ID: 7, Path: "/join/q3Jx0Lw1Zr9mUe5hT2aPkA", Creator: uitest.LiHua, MaxUses: 5, Uses: 2, Expires: uitest.Now.Add(36e11).UnixMilli()}
			st.Group.Links, st.Group.NewLink = []proto.InviteLink{l}, &l
			st.Group.Bans = []proto.Ban{{User: proto.User{ID: 4900, Name: "Spammer"}, By: uitest.LiHua}}
			st.JoinRequests = map[proto.ConvID][]proto.JoinRequest{uitest.StudyGroup: {{User: uitest.Sofia}}}
			return st
		}, pick("Group settings", "群设置")},
		{"group settings, member", func() state.State { return panelState(proto.RoleMember) }, pick("Group settings", "群设置")},
		{"list, log out", list, pick("Log out", "退出登录")},
		{"offline", offline, none},
		{"empty", uitest.Empty, none},
		{"registered", registered, none},
		{"direct", uitest.Direct, none},
		{"files", uitest.Files, none},
		{"call ringing", func() state.State { return uitest.WithCall(uitest.Direct(), state.CallRinging) }, none},
		{"call active", func() state.State { return uitest.WithCall(uitest.Direct(), state.CallActive) }, none},
		{"call ended", func() state.State { return uitest.WithCall(uitest.Direct(), state.CallEnded) }, none},
		{"list, sound devices", list, pick("Sound devices", "声音设备")},
		{"list, sound devices listed", func() state.State {
			st := list()
			st.AudioDevices = &state.AudioDevices{
				Inputs:  []state.AudioDevice{{ID: "mic0", Name: "Built-in Microphone", Default: true}},
				Outputs: []state.AudioDevice{{ID: "spk0", Name: "Speakers", Default: true}, {ID: "spk1", Name: "USB Headset"}},
			}
			return st
		}, pick("Sound devices", "声音设备")},
		{"call active, sound devices", func() state.State { return uitest.WithCall(uitest.Direct(), state.CallActive) }, pick("Sound devices", "声音设备")},
		{"call a user ID", list, pick("Call a user ID…", "按 ID 呼叫")},
		{"call incoming", func() state.State { return uitest.WithCall(uitest.Direct(), state.CallIncoming) }, none},
		{"settings", func() state.State { return uitest.WithSettings(list()) }, pick("Settings", "设置")},
		{"group call in progress", func() state.State { return uitest.WithGroupCallInProgress(uitest.Busy(), 12) }, none},
		{"group call active", func() state.State { return uitest.WithGroupCall(uitest.Busy(), state.CallActive, 16) }, none},
		{"group call incoming", func() state.State { return uitest.WithGroupCall(uitest.Busy(), state.CallIncoming, 4) }, none},
		{"group call ended", func() state.State { return uitest.WithGroupCall(uitest.Busy(), state.CallEnded, 4) }, none},
		{"group call entries", func() state.State { return uitest.GroupCallEntries(uitest.Busy()) }, none},
		{"login, revoked", func() state.State {
			st := uitest.Login()
			st.Notices = []state.Notice{{ID: 1, Kind: state.NoticeRevoked, Args: []string{"password changed"}}}
			return st
		}, none},
	}
}

// The app's default window (840×480 dp, app/window.go), a larger one
// and the smallest (320×480 dp).
var windowSizes = []image.Point{{840, 480}, {1100, 720}, {320, 480}}

func TestNoLabelOrHintIsCutOff(t *testing.T) {
	for _, lang := range []ui.Lang{ui.English, ui.Chinese} {
		for _, scale := range []float32{1, 1.5} {
			for _, dp := range windowSizes {
				for _, sc := range screensToCheck() {
					name := fmt.Sprintf("%s/%.0f%%/%dx%d dp/%s", lang, scale*100, dp.X, dp.Y, sc.name)
					u := uitest.NewUI(t, lang, false)
					var cut []string
					ui.ReportClipped(u, func(s string) {
						if !slices.Contains(cut, s) {
							cut = append(cut, s)
						}
					})
					d := uitest.NewDriver(u, image.Pt(int(float32(dp.X)*scale), int(float32(dp.Y)*scale)))
					d.Metric.PxPerDp, d.Metric.PxPerSp = scale, scale
					st := sc.st()
					d.Frame(st)
					for _, c := range sc.clicks(lang) {
						if err := d.Click(c); err != nil {
							t.Errorf("%s: %v", name, err)
						}
						d.Frame(st)
					}
					cut = nil
					d.Frame(st)
					if len(cut) > 0 {
						t.Errorf("%s: cut off: %q", name, cut)
					}
				}
			}
		}
	}
}
