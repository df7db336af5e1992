//go:build !js

// Command androidlink is the UDP carrier's packages (pion/webrtc through
// net/rtcmedia) linked into a program, so that its test can link them
// for android/arm64 as the Android packaging does (tools/mobile.sh).
//
// pion pulls in github.com/wlynxg/anet, which reaches net.zoneCache by
// //go:linkname on Android; Go refuses that link unless the linker gets
// -checklinkname=0. The test shows both: the link fails without the flag
// and succeeds with it, and tools/mobile.sh passes it to gogio.
package main

import (
	"fmt"

	"parley/net/rtcmedia"
)

func main() {
	m, err := rtcmedia.MediaEngine()
	fmt.Println(m != nil, err)
}
