//go:build !js

package model

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/pion/ice/v4"
	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"

	"parley/media/call"
	"parley/net/proto"
	"parley/net/rtcmedia"
)

// udpLink is the call's UDP carrier: a pion agent (full ICE, controlling)
// with one sendrecv Opus transceiver, DTLS-SRTP with the server
// (server/rtc). It implements call.Sender; what it receives goes to the
// engine like the media socket's frames.
type udpLink struct {
	pc         *webrtc.PeerConnection
	track      *webrtc.TrackLocalStaticRTP
	remoteSSRC atomic.Uint32 // the server's stream: our loss reports name it
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
	return webrtc.NewAPI(webrtc.WithSettingEngine(se), webrtc.WithMediaEngine(m)), nil
})

// errNoUDP: the server has UDP off (or not for this call's codec).
var errNoUDP = errors.New("the server offers no UDP for this call")

// dialUDP offers a UDP leg for call id and applies the server's answer;
// received packets go to eng. The link is not carrying anything yet: the
// caller waits for connected (or gives up and closes it).
func dialUDP(ctx context.Context, a *account, id proto.CallID, eng *call.Engine, log *slog.Logger, slots int) (*udpLink, error) {
	if slots != 1 {
		return nil, fmt.Errorf("udp: %d slots: group legs are not built yet", slots)
	}
	api, err := udpAPI()
	if err != nil {
		return nil, err
	}
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, fmt.Errorf("udp: %w", err)
	}
	l := &udpLink{pc: pc, connected: make(chan struct{}), failed: make(chan struct{})}
	fail := func(err error) (*udpLink, error) {
		l.close()
		return nil, err
	}
	if l.track, err = rtcmedia.NewTrack(); err != nil {
		return fail(err)
	}
	tr, err := pc.AddTransceiverFromTrack(l.track, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendrecv})
	if err != nil {
		return fail(fmt.Errorf("udp: %w", err))
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
	pc.OnTrack(func(t *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		l.remoteSSRC.Store(uint32(t.SSRC()))
		go func() {
			for {
				p, _, err := t.ReadRTP()
				if err != nil {
					return
				}
				if pkt, err := rtcmedia.AppendAudio(nil, id, p); err == nil {
					eng.Receive(pkt)
				}
			}
		}()
	})
	go func() { // loss reports about what we send
		var reports [][]byte
		for {
			pkts, _, err := tr.Sender().ReadRTCP()
			if err != nil {
				return
			}
			for _, r := range rtcmedia.AppendReports(reports[:0], id, pkts) {
				eng.Receive(r)
			}
		}
	}()
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		return fail(fmt.Errorf("udp: offer: %w", err))
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		return fail(fmt.Errorf("udp: offer: %w", err))
	}
	select { // no trickle: the offer carries every candidate
	case <-gathered:
	case <-ctx.Done():
		return fail(ctx.Err())
	}
	var reply proto.CallRTCOfferReply
	if err := a.sess.Call(ctx, proto.TypeCallRTCOffer, proto.CallRTCOfferRequest{Call: id, SDP: pc.LocalDescription().SDP}, &reply); err != nil {
		if proto.CodeOf(err) == proto.CodeUDPOff {
			return fail(errNoUDP)
		}
		return fail(fmt.Errorf("udp: call_rtc_offer: %w", err))
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: reply.SDP}); err != nil {
		return fail(fmt.Errorf("udp: answer: %w", err))
	}
	log.Debug("udp offered", "call", id)
	return l, nil
}

// SendPacket sends an audio packet as RTP, a loss report as RTCP.
func (l *udpLink) SendPacket(pkt []byte) error {
	out, err := rtcmedia.FromPacket(pkt)
	if err != nil {
		return err
	}
	if out.Report {
		return l.pc.WriteRTCP([]rtcp.Packet{rtcmedia.Report(l.remoteSSRC.Load(), out.Loss)})
	}
	return l.track.WriteRTP(&out.RTP)
}

func (l *udpLink) close() { l.once.Do(func() { l.pc.Close() }) }
