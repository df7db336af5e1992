//go:build !js

// Package rtcmedia maps Parley's call packets (proto.AudioPacket and
// proto.LossReport) onto RTP and RTCP for the UDP carrier, shared by the
// server's legs (server/rtc) and the app's agent (app/model/rtc.go).
//
// An audio packet is one RTP packet: payload type 111 (Opus), the same
// sequence number, timestamp and payload; the call id is not carried (a
// leg belongs to one call). A loss report is an RTCP APP packet named
// "PRLY" whose first data byte is the loss in 1/256 (RTCP's own scale).
//
// It must not: dial, hold state, or know the signalling. Not built for
// the browser, whose calls will use its own RTCPeerConnection.
package rtcmedia

import (
	"errors"
	"fmt"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"parley/net/proto"
)

// OpusPT is the RTP payload type of Opus on the UDP carrier.
const OpusPT = 111

// ReportName is the name of the RTCP APP packet that carries a loss report.
const ReportName = "PRLY"

// Opus is the one codec a UDP leg negotiates.
var Opus = webrtc.RTPCodecParameters{
	RTPCodecCapability: webrtc.RTPCodecCapability{
		MimeType: webrtc.MimeTypeOpus, ClockRate: proto.AudioClockRate, Channels: 2,
		SDPFmtpLine: "minptime=10;useinbandfec=1",
	},
	PayloadType: OpusPT,
}

// MediaEngine returns a media engine with Opus only.
func MediaEngine() (*webrtc.MediaEngine, error) {
	m := &webrtc.MediaEngine{}
	if err := m.RegisterCodec(Opus, webrtc.RTPCodecTypeAudio); err != nil {
		return nil, fmt.Errorf("rtcmedia: register opus: %w", err)
	}
	return m, nil
}

// NewTrack returns the local audio track of a leg.
func NewTrack() (*webrtc.TrackLocalStaticRTP, error) {
	return webrtc.NewTrackLocalStaticRTP(Opus.RTPCodecCapability, "audio", "parley")
}

// ErrNotAudio is returned for bytes that are neither an audio packet nor a
// loss report.
var ErrNotAudio = errors.New("rtcmedia: not an audio packet or loss report")

// Out is a call packet in the form a carrier writes it: an RTP packet, or
// (Report) a loss report to send as RTCP.
type Out struct {
	RTP    rtp.Packet
	Report bool
	Loss   uint8
}

// FromPacket converts a wire packet (audio or loss report) for sending.
// The RTP payload aliases pkt.
func FromPacket(pkt []byte) (Out, error) {
	if p, err := proto.ParsePacket(pkt); err == nil {
		return Out{RTP: rtp.Packet{
			Header:  rtp.Header{Version: 2, PayloadType: OpusPT, SequenceNumber: p.Seq, Timestamp: p.Timestamp},
			Payload: p.Payload,
		}}, nil
	}
	if r, err := proto.ParseReport(pkt); err == nil {
		return Out{Report: true, Loss: r.Loss}, nil
	}
	return Out{}, ErrNotAudio
}

// AppendAudio appends the wire packet of call that p carries.
func AppendAudio(dst []byte, call proto.CallID, p *rtp.Packet) ([]byte, error) {
	if len(p.Payload) > proto.MaxPacketPayload {
		return dst, fmt.Errorf("rtcmedia: %d payload bytes: %w", len(p.Payload), ErrNotAudio)
	}
	return proto.AppendPacket(dst, proto.AudioPacket{Call: call, Seq: p.SequenceNumber, Timestamp: p.Timestamp, Payload: p.Payload}), nil
}

// Report is the RTCP packet of a loss report about the stream of ssrc.
func Report(ssrc uint32, loss uint8) rtcp.Packet {
	return &rtcp.ApplicationDefined{SSRC: ssrc, Name: ReportName, Data: []byte{loss, 0, 0, 0}}
}

// AppendReports appends the wire loss reports of call found in pkts (RTCP
// read from a leg); other RTCP (receiver reports) is ignored.
func AppendReports(dst [][]byte, call proto.CallID, pkts []rtcp.Packet) [][]byte {
	for _, p := range pkts {
		a, ok := p.(*rtcp.ApplicationDefined)
		if !ok || a.Name != ReportName || len(a.Data) == 0 {
			continue
		}
		dst = append(dst, proto.AppendReport(nil, proto.LossReport{Call: call, Loss: a.Data[0]}))
	}
	return dst
}
