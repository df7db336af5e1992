package ui_test

import (
	"testing"

	"parley/app/state"
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
