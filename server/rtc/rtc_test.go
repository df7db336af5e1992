package rtc_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	pclient "parley/net/client"
	"parley/net/proto"
	"parley/net/rtcmedia"
	"parley/server/auth"
	"parley/server/node"
	"parley/server/node/nodetest"
	"parley/server/rtc"
)

func TestParsePorts(t *testing.T) {
	for in, want := range map[string]rtc.Ports{
		"off": {Off: true}, "50000": {Min: 50000, Max: 50000}, "0": {}, "50000-50100": {Min: 50000, Max: 50100},
	} {
		got, err := rtc.ParsePorts(in)
		if err != nil || got != want {
			t.Errorf("ParsePorts(%q) = %+v, %v; want %+v", in, got, err, want)
		}
		if got.String() != in {
			t.Errorf("%+v.String() = %q, want %q", got, got.String(), in)
		}
	}
	for _, bad := range []string{"", "on", "-1", "65536", "5-4", "0-10", "10-", "1-65536", "x-2"} {
		if p, err := rtc.ParsePorts(bad); err == nil {
			t.Errorf("ParsePorts(%q) = %+v, want an error", bad, p)
		}
	}
}

// offer is a client's real offer: one sendrecv Opus transceiver, every
// candidate in it.
func offer(t *testing.T) string {
	t.Helper()
	_, sdp := client(t)
	return sdp
}

// client is a client's peer connection with its offer applied.
func client(t *testing.T) (*webrtc.PeerConnection, string) {
	t.Helper()
	m, err := rtcmedia.MediaEngine()
	if err != nil {
		t.Fatal(err)
	}
	var se webrtc.SettingEngine
	se.SetIncludeLoopbackCandidate(true)
	pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithSettingEngine(se)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	track, err := rtcmedia.NewTrack()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pc.AddTransceiverFromTrack(track, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendrecv}); err != nil {
		t.Fatal(err)
	}
	o, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	done := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(o); err != nil {
		t.Fatal(err)
	}
	<-done
	return pc, pc.LocalDescription().SDP
}

// answered starts a call from a to b with codecs and answers it.
func answered(t *testing.T, a, b *nodetest.User, codecs ...string) proto.CallID {
	t.Helper()
	ctx := context.Background()
	var r proto.CallReply
	if err := a.Conn.Call(ctx, proto.TypeCall, proto.CallRequest{User: b.ID, Codecs: codecs}, &r); err != nil {
		t.Fatal(err)
	}
	if err := b.Conn.Call(ctx, proto.TypeCallAccept, proto.CallAcceptRequest{Call: r.Call}, nil); err != nil {
		t.Fatal(err)
	}
	return r.Call
}

func offerErr(u *nodetest.User, id proto.CallID, sdp string) (proto.CallRTCOfferReply, proto.Code) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var r proto.CallRTCOfferReply
	err := u.Conn.Call(ctx, proto.TypeCallRTCOffer, proto.CallRTCOfferRequest{Call: id, SDP: sdp}, &r)
	if err == nil {
		return r, ""
	}
	return r, proto.CodeOf(err)
}

// Only a party of an answered call may offer a leg, and the server's
// answer is complete (ICE-lite, its candidate, Opus 111).
func TestOnlyAPartyOfAnAnsweredOpusCallMayOffer(t *testing.T) {
	srv := nodetest.Start(t, nodetest.WithConfig(func(c *node.Config) {
		c.UDP, c.UDPPublicIP = &rtc.Ports{}, "127.0.0.1"
	}))
	a, b, c := srv.NewUser(t, "a"), srv.NewUser(t, "b"), srv.NewUser(t, "c")
	sdp := offer(t)

	var ring proto.CallReply
	if err := a.Conn.Call(context.Background(), proto.TypeCall, proto.CallRequest{User: b.ID, Codecs: []string{"opus"}}, &ring); err != nil {
		t.Fatal(err)
	}
	if _, code := offerErr(a, ring.Call, sdp); code != proto.CodeNoSuchCall {
		t.Fatalf("offer while ringing: %q, want no_such_call", code)
	}
	if err := b.Conn.Call(context.Background(), proto.TypeCallAccept, proto.CallAcceptRequest{Call: ring.Call}, nil); err != nil {
		t.Fatal(err)
	}
	id := ring.Call
	if _, code := offerErr(c, id, sdp); code != proto.CodeNoSuchCall {
		t.Fatalf("offer by someone outside the call: %q, want no_such_call", code)
	}
	if _, code := offerErr(a, id+1, sdp); code != proto.CodeNoSuchCall {
		t.Fatalf("offer for another call id: %q, want no_such_call", code)
	}
	if _, code := offerErr(a, id, "v=0 not sdp"); code != proto.CodeBadRequest {
		t.Fatalf("a bad offer: %q, want bad_request", code)
	}
	if _, code := offerErr(a, id, strings.Repeat("a", proto.MaxSDP+1)); code != proto.CodeTooLarge {
		t.Fatalf("a huge offer: %q, want too_large", code)
	}
	r, code := offerErr(b, id, sdp)
	if code != "" {
		t.Fatalf("the callee's offer: %q", code)
	}
	for _, want := range []string{"a=ice-lite", "opus/48000/2", "a=rtpmap:111 ", " 127.0.0.1 ", "a=fingerprint:"} {
		if !strings.Contains(r.SDP, want) {
			t.Errorf("the answer lacks %q:\n%s", want, r.SDP)
		}
	}
	if strings.Contains(r.SDP, "a=rtpmap:9 ") {
		t.Error("the answer offers G.722")
	}
}

func TestUDPOffOrAG722CallRefusesTheOffer(t *testing.T) {
	on := nodetest.Start(t, nodetest.WithConfig(func(c *node.Config) { c.UDP = &rtc.Ports{} }))
	a, b := on.NewUser(t, "a"), on.NewUser(t, "b")
	if _, code := offerErr(a, answered(t, a, b, "g722"), offer(t)); code != proto.CodeUDPOff {
		t.Fatalf("a G.722 call's offer: %q, want udp_off", code)
	}
	off := nodetest.Start(t, nodetest.WithConfig(func(c *node.Config) { c.UDP = &rtc.Ports{Off: true} }))
	a, b = off.NewUser(t, "a"), off.NewUser(t, "b")
	if _, code := offerErr(a, answered(t, a, b, "opus"), offer(t)); code != proto.CodeUDPOff {
		t.Fatalf("UDP off: %q, want udp_off", code)
	}
}

// A party that offers again gets a new leg; once it connects, the old one
// closes (it would carry nothing and never end).
func TestASecondLegReplacesTheFirst(t *testing.T) {
	srv := nodetest.Start(t, nodetest.WithConfig(func(c *node.Config) {
		c.UDP, c.UDPPublicIP = &rtc.Ports{}, "127.0.0.1"
	}))
	a, b := srv.NewUser(t, "a"), srv.NewUser(t, "b")
	id := answered(t, a, b, "opus")
	connect := func() (*webrtc.PeerConnection, chan webrtc.PeerConnectionState) {
		pc, sdp := client(t)
		states := make(chan webrtc.PeerConnectionState, 16)
		pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) { states <- s })
		r, code := offerErr(a, id, sdp)
		if code != "" {
			t.Fatalf("offer: %q", code)
		}
		if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: r.SDP}); err != nil {
			t.Fatal(err)
		}
		return pc, states
	}
	until := func(states chan webrtc.PeerConnectionState, what string, ok func(webrtc.PeerConnectionState) bool) {
		t.Helper()
		timeout := time.After(30 * time.Second)
		for {
			select {
			case s := <-states:
				if ok(s) {
					return
				}
			case <-timeout:
				t.Fatalf("the leg never became %s", what)
			}
		}
	}
	isConnected := func(s webrtc.PeerConnectionState) bool { return s == webrtc.PeerConnectionStateConnected }
	_, first := connect()
	until(first, "connected", isConnected)
	if n := srv.Metric(t, "parley_call_udp_legs"); n != 1 {
		t.Fatalf("parley_call_udp_legs = %v, want 1", n)
	}
	_, second := connect()
	until(second, "connected", isConnected)
	until(first, "gone", func(s webrtc.PeerConnectionState) bool {
		return s == webrtc.PeerConnectionStateDisconnected || s == webrtc.PeerConnectionStateFailed || s == webrtc.PeerConnectionStateClosed
	})
}

// Offers that never connect hold a peer connection each for 10 s: a user
// may have two at a time; a third is refused until one settles.
func TestOffersThatDoNotConnectAreBounded(t *testing.T) {
	srv := nodetest.Start(t, nodetest.WithConfig(func(c *node.Config) {
		c.UDP, c.UDPPublicIP = &rtc.Ports{}, "127.0.0.1"
	}))
	a, b := srv.NewUser(t, "a"), srv.NewUser(t, "b")
	id := answered(t, a, b, "opus")
	if _, code := offerErr(a, id, "not sdp"); code != proto.CodeBadRequest { // and it holds no place
		t.Fatalf("a bad offer: %q, want bad_request", code)
	}
	for i := range 2 {
		if _, code := offerErr(a, id, offer(t)); code != "" {
			t.Fatalf("offer %d: %q", i+1, code)
		}
	}
	if _, code := offerErr(a, id, offer(t)); code != proto.CodeRateLimited {
		t.Fatalf("a third offer still connecting: %q, want rate_limited", code)
	}
	if _, code := offerErr(b, id, offer(t)); code != "" {
		t.Fatalf("the other party's offer: %q", code)
	}
	if _, code := offerErr(a, id, "not sdp"); code != proto.CodeRateLimited {
		t.Fatalf("a bad offer over the bound: %q, want rate_limited", code)
	}
}

// Revoking the session that offered a leg closes the leg, as it closes
// the session's connections, even while the call goes on on another
// device of the same user: a revoked device sends no more audio. The
// server's clock stands still, so the call never ends by itself (a party
// silent for proto.CallMediaTimeout) and only the revocation can close
// the leg.
func TestRevokingTheSessionClosesItsLeg(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	srv := nodetest.Start(t, nodetest.WithConfig(func(c *node.Config) {
		c.UDP, c.UDPPublicIP = &rtc.Ports{}, "127.0.0.1"
		c.Now = func() time.Time { return now }
	}))
	a, b := srv.NewUser(t, "a"), srv.NewUser(t, "b")
	id := answered(t, a, b, "opus")
	// a's second device, another session: it offers the leg.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	second, err := pclient.Dial(ctx, srv.URL, pclient.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { second.Close() })
	if _, err := second.Login(ctx, a.ID, nodetest.Password, "second"); err != nil {
		t.Fatal(err)
	}
	pc, sdp := client(t)
	states := make(chan webrtc.PeerConnectionState, 16)
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) { states <- s })
	var r proto.CallRTCOfferReply
	if err := second.Call(ctx, proto.TypeCallRTCOffer, proto.CallRTCOfferRequest{Call: id, SDP: sdp}, &r); err != nil {
		t.Fatalf("offer from the second device: %v", err)
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: r.SDP}); err != nil {
		t.Fatal(err)
	}
	until := func(what string, ok func(webrtc.PeerConnectionState) bool) {
		t.Helper()
		timeout := time.After(30 * time.Second) // a guard against hanging, not a timing
		for {
			select {
			case s := <-states:
				if ok(s) {
					return
				}
			case <-timeout:
				t.Fatalf("the leg never became %s", what)
			}
		}
	}
	until("connected", func(s webrtc.PeerConnectionState) bool { return s == webrtc.PeerConnectionStateConnected })
	if n := srv.Node.Hub().DropSessions(a.ID, auth.HashToken(a.Token)); n != 1 { // every session but the first device's
		t.Fatalf("revoking closed %d connections, want the second device's 1", n)
	}
	until("closed", func(s webrtc.PeerConnectionState) bool {
		return s == webrtc.PeerConnectionStateDisconnected || s == webrtc.PeerConnectionStateFailed || s == webrtc.PeerConnectionStateClosed
	})
}

// The hub counts what the UDP port drops with the call packets it drops.
func TestDropsOnThePortAreCountedInTheMetrics(t *testing.T) {
	srv := nodetest.Start(t, nodetest.WithConfig(func(c *node.Config) {
		c.UDP, c.UDPPublicIP = &rtc.Ports{}, "127.0.0.1"
	}))
	stranger, err := net.DialUDP("udp4", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: srv.Node.UDPPort()})
	if err != nil {
		t.Fatal(err)
	}
	defer stranger.Close()
	const metric = `parley_call_packets_dropped_total{reason="unknown_sender"}`
	until(t, metric, func(int) { stranger.Write([]byte("garbage")) }, func() bool { return srv.Metric(t, metric) > 0 })
}
