//go:build !js

package model

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/pion/ice/v4"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"parley/media/call"
	"parley/net/proto"
	"parley/net/rtcmedia"
)

// udpLink is the call's UDP carrier: a pion agent (full ICE, controlling)
// with one sendrecv Opus transceiver, DTLS-SRTP with the server
// (server/rtc). A group call's link has rtcmedia.Slots audio m-lines: the
// first sendrecv (our audio up, slot 0 down), the others recvonly, m-line
// i carrying slot i down. It implements call.Sender; what it receives
// goes to the engine like the media socket's frames (a group call's as
// group audio packets).
type udpLink struct {
	pc    *webrtc.PeerConnection
	track *webrtc.TrackLocalStaticRTP
	group bool
	// remoteSSRC is the server's stream on each m-line: our loss reports
	// about it name it (a 1:1 link has m-line 0 only).
	remoteSSRC [rtcmedia.Slots]atomic.Uint32
	connected  chan struct{} // closed once DTLS-SRTP is up
	failed     chan struct{} // closed if ICE or DTLS failed
	once       sync.Once
}

var udpAPI = sync.OnceValues(func() (*webrtc.API, error) {
	m, err := rtcmedia.MediaEngine()
	if err != nil {
		return nil, err
	}
	var se webrtc.SettingEngine
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetIncludeLoopbackCandidate(true) // a server on this machine
	// Each m-line's stream is known (its SSRC, for loss reports) once
	// the link is up, not at its first packet.
	se.SetFireOnTrackBeforeFirstRTP(true)
	return webrtc.NewAPI(webrtc.WithSettingEngine(se), webrtc.WithMediaEngine(m)), nil
})

// errNoUDP: the server has UDP off (or not for this call's codec).
var errNoUDP = errors.New("the server offers no UDP for this call")

// dialUDP offers a UDP leg for call id and applies the server's answer;
// received packets go to eng. slots is 1 for a 1:1 call and
// proto.MaxGroupCall for a group call's leg. The link is not carrying
// anything yet: the caller waits for connected (or gives up and closes
// it).
func dialUDP(ctx context.Context, a *account, id proto.CallID, eng *call.Engine, log *slog.Logger, slots int) (*udpLink, error) {
	l, err := newUDPLink(ctx, id, slots, eng.Receive, func(ctx context.Context, sdp string) (string, error) {
		var reply proto.CallRTCOfferReply
		if err := a.sess.CallEarly(ctx, proto.TypeCallRTCOffer, proto.CallRTCOfferRequest{Call: id, SDP: sdp}, &reply); err != nil {
			if proto.CodeOf(err) == proto.CodeUDPOff {
				return "", errNoUDP
			}
			return "", fmt.Errorf("udp: call_rtc_offer: %w", err)
		}
		return reply.SDP, nil
	})
	if err != nil {
		return nil, err
	}
	log.Debug("udp offered", "call", id, "slots", slots)
	return l, nil
}

// newUDPLink makes the link's offer, has offer answer it, and applies
// the answer; what the link receives goes to receive, which may not keep
// it.
func newUDPLink(ctx context.Context, id proto.CallID, slots int, receive func([]byte), offer func(ctx context.Context, sdp string) (string, error)) (*udpLink, error) {
	if slots != 1 && slots != rtcmedia.Slots {
		return nil, fmt.Errorf("udp: %d slots: a leg has 1 or %d", slots, rtcmedia.Slots)
	}
	api, err := udpAPI()
	if err != nil {
		return nil, err
	}
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, fmt.Errorf("udp: %w", err)
	}
	l := &udpLink{pc: pc, group: slots > 1, connected: make(chan struct{}), failed: make(chan struct{})}
	fail := func(err error) (*udpLink, error) {
		l.close()
		return nil, err
	}
	if l.track, err = rtcmedia.NewTrack(); err != nil {
		return fail(err)
	}
	// The m-lines in order: the offer lists the transceivers in the
	// order they were added.
	up, err := pc.AddTransceiverFromTrack(l.track, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendrecv})
	if err != nil {
		return fail(fmt.Errorf("udp: %w", err))
	}
	mlines := []*webrtc.RTPReceiver{up.Receiver()}
	for range slots - 1 {
		tr, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly})
		if err != nil {
			return fail(fmt.Errorf("udp: %w", err))
		}
		mlines = append(mlines, tr.Receiver())
	}
	var connOnce, failOnce sync.Once
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		switch st {
		case webrtc.PeerConnectionStateConnected:
			connOnce.Do(func() { close(l.connected) })
		case webrtc.PeerConnectionStateFailed, webrtc.PeerConnectionStateClosed:
			failOnce.Do(func() { close(l.failed) })
		}
	})
	pc.OnTrack(func(t *webrtc.TrackRemote, r *webrtc.RTPReceiver) {
		i := slices.Index(mlines, r)
		if i < 0 {
			return
		}
		l.remoteSSRC[i].Store(uint32(t.SSRC()))
		go l.readRTP(t, id, i, receive)
	})
	go func() { // loss reports about what we send
		var reports [][]byte
		for {
			pkts, _, err := up.Sender().ReadRTCP()
			if err != nil {
				return
			}
			for _, r := range rtcmedia.AppendReports(reports[:0], id, pkts) {
				receive(r)
			}
		}
	}()
	o, err := pc.CreateOffer(nil)
	if err != nil {
		return fail(fmt.Errorf("udp: offer: %w", err))
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(o); err != nil {
		return fail(fmt.Errorf("udp: offer: %w", err))
	}
	select { // no trickle: the offer carries every candidate
	case <-gathered:
	case <-ctx.Done():
		return fail(ctx.Err())
	}
	answer, err := offer(ctx, pc.LocalDescription().SDP)
	if err != nil {
		return fail(err)
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		return fail(fmt.Errorf("udp: answer: %w", err))
	}
	return l, nil
}

// readRTP hands on what m-line i receives: audio packets on a 1:1 link,
// group audio packets of slot i on a group link.
func (l *udpLink) readRTP(t *webrtc.TrackRemote, id proto.CallID, i int, receive func([]byte)) {
	buf := make([]byte, 1500)
	var p rtp.Packet
	var pkt []byte
	for {
		n, _, err := t.Read(buf)
		if errors.Is(err, webrtc.ErrCodecNotFound) { // not Opus: dropped
			continue
		}
		if err != nil {
			return
		}
		if p.Unmarshal(buf[:n]) != nil || p.PayloadType != rtcmedia.OpusPT {
			continue
		}
		if l.group {
			pkt, err = rtcmedia.AppendGroupAudio(pkt[:0], id, i, &p)
		} else {
			pkt, err = rtcmedia.AppendAudio(pkt[:0], id, &p)
		}
		if err == nil {
			receive(pkt)
		}
	}
}

// errNotThisLink: a packet of the other kind of call (group or 1:1).
var errNotThisLink = errors.New("udp: not a packet of this link's kind of call")

// SendPacket sends an audio packet as RTP, a loss report as RTCP about
// the server's stream (a group loss report about slot i: m-line i's).
func (l *udpLink) SendPacket(pkt []byte) error {
	out, err := rtcmedia.FromPacket(pkt)
	if err != nil {
		return err
	}
	if out.Report {
		if out.Group != l.group {
			return errNotThisLink
		}
		ssrc := l.remoteSSRC[out.Slot].Load()
		if ssrc == 0 {
			return fmt.Errorf("udp: no stream on m-line %d yet", out.Slot)
		}
		return l.pc.WriteRTCP([]rtcp.Packet{rtcmedia.Report(ssrc, out.Loss)})
	}
	if out.Group { // group audio comes from the server only
		return errNotThisLink
	}
	return l.track.WriteRTP(&out.RTP)
}

func (l *udpLink) close() { l.once.Do(func() { l.pc.Close() }) }
