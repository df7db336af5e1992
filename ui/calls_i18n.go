package ui

import "parley/app/state"

// callWords are words of the call bar, in each language (kept beside it
// rather than in the main catalog).
type callWords struct {
	// ViaUDP and ViaWebSocket say what carries the call's audio, after
	// the timer: UDP, or the WebSocket (TCP) that it falls back to.
	ViaUDP, ViaWebSocket string
}

var callCatalog = map[Lang]callWords{
	English: {ViaUDP: "via UDP", ViaWebSocket: "via WebSocket"},
	Chinese: {ViaUDP: "经 UDP 传输", ViaWebSocket: "经 WebSocket 传输"},
}

func (u *UI) callW() callWords {
	if w, ok := callCatalog[u.lang]; ok {
		return w
	}
	return callCatalog[English]
}

// carrierLabel is the call bar's word for carrier ("" before audio flows).
func (w callWords) carrierLabel(carrier string) string {
	switch carrier {
	case state.CarrierUDP:
		return w.ViaUDP
	case state.CarrierWebSocket:
		return w.ViaWebSocket
	}
	return ""
}
