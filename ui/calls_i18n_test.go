package ui_test

import (
	"testing"

	"parley/app/state"
	"parley/net/proto"
	"parley/ui"
	"parley/ui/uitest"
)

// The call bar says which carrier the audio takes, in both languages.
func TestCallBarSaysWhichCarrierIsInUse(t *testing.T) {
	for _, c := range []struct {
		lang    ui.Lang
		carrier string
		says    string
	}{
		{ui.English, state.CarrierUDP, "In call · 02:13 · via UDP"},
		{ui.English, state.CarrierWebSocket, "In call · 02:13 · via WebSocket"},
		{ui.Chinese, state.CarrierUDP, "通话中 · 02:13 · 经 UDP 传输"},
		{ui.Chinese, state.CarrierWebSocket, "通话中 · 02:13 · 经 WebSocket 传输"},
	} {
		st := uitest.WithCall(uitest.Direct(), state.CallActive)
		st.Call.Carrier = c.carrier
		d := newDriver(t, c.lang, desktop)
		d.Frame(st)
		onScreen(t, d, c.says)
	}
}

// The browser calls through its own WebRTC; a server with UDP off takes no
// such call: the call bar says so when one ends that way, and from then on
// the call buttons are off and say why, in both languages.
func TestBrowserCallsNeedUDPOnTheServer(t *testing.T) {
	for _, c := range []struct {
		lang       ui.Lang
		call, says string
	}{
		{ui.English, "Call 王芳", "Calls in the browser need UDP on this server, which has it off: use the desktop app"},
		{ui.Chinese, "呼叫 王芳", "浏览器通话需要服务器开启 UDP，此服务器未开启：请使用桌面版"},
	} {
		d := newDriver(t, c.lang, desktop)
		st := uitest.Direct()
		st.NoAudio, st.WebCalls = true, true
		d.Frame(st)
		wantEvents(t, "the browser's call button", step(t, d, c.call), ui.Call{UserID: "4822"})

		st = uitest.WithCall(uitest.Direct(), state.CallEnded)
		st.NoAudio, st.WebCalls, st.CallsNeedUDP = true, true, true
		st.Call.EndReason, st.Call.Duration = string(proto.CodeUDPOff), 0
		d.Frame(st)
		onScreen(t, d, c.says)
		st.Call = nil
		d.Frame(st)
		wantEvents(t, "the disabled call button", step(t, d, c.says))
	}
}
