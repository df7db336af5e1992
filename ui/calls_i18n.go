package ui

import "parley/app/state"

// callWords are words of the call bar, in each language (kept beside it
// rather than in the main catalog).
type callWords struct {
	// ViaUDP and ViaWebSocket say what carries the call's audio, after
	// the timer: UDP, or the WebSocket (TCP) that it falls back to.
	ViaUDP, ViaWebSocket string
	// NeedsUDP: the browser's calls need UDP on the server, which has it off.
	NeedsUDP string
}

var callCatalog = map[Lang]callWords{
	English: {ViaUDP: "via UDP", ViaWebSocket: "via WebSocket",
		NeedsUDP: "Calls in the browser need UDP on this server, which has it off: use the desktop app"},
	Chinese: {ViaUDP: "经 UDP 传输", ViaWebSocket: "经 WebSocket 传输",
		NeedsUDP: "浏览器通话需要服务器开启 UDP，此服务器未开启：请使用桌面版"},
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
