//go:build !js

// Package rtcmedia maps Parley's call packets (proto.AudioPacket and
// proto.LossReport) onto RTP and RTCP for the UDP carrier, shared by the
// server's legs (server/rtc) and the app's agent (app/model/rtc_other.go).
//
// An audio packet is one RTP packet: payload type 111 (Opus), the same
// sequence number, timestamp and payload; the call id is not carried (a
// leg belongs to one call). A loss report is an RTCP APP packet named
// "PRLY" whose first data byte is the loss in 1/256 (RTCP's own scale).
//
// A group call's leg has Slots audio m-lines (docs/protocol.md, "Group
// calls", "Over UDP"): m-line i carries slot i's audio down, the first
// also the participant's audio up. A group audio packet (0x13) of slot i
// is an RTP packet on m-line i, and a group loss report (0x14) about slot
// i is a PRLY packet naming the SSRC of the stream on m-line i.
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

// Slots is how many audio m-lines a group call's leg has: one per slot.
const Slots = proto.MaxGroupCall

// NewSlotTrack returns the server's track of a group leg's m-line slot,
// in a media stream of its own ("slot3") so that a browser plays each
// slot's track on its own.
func NewSlotTrack(slot int) (*webrtc.TrackLocalStaticRTP, error) {
	id := fmt.Sprintf("slot%d", slot)
	return webrtc.NewTrackLocalStaticRTP(Opus.RTPCodecCapability, id, id)
}

// AudioMids returns the mids of an SDP description's audio m-lines, in
// m-line order ("" for one without a mid).
func AudioMids(sdp string) ([]string, error) {
	parsed, err := (&webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: sdp}).Unmarshal()
	if err != nil {
		return nil, fmt.Errorf("rtcmedia: %w", err)
	}
	var mids []string
	for _, m := range parsed.MediaDescriptions {
		if m.MediaName.Media == "audio" {
			mid, _ := m.Attribute("mid")
			mids = append(mids, mid)
		}
	}
	return mids, nil
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
	// Group: a group audio packet (0x13), sent on m-line Slot, or a group
	// loss report (0x14), about the stream received on m-line Slot.
	Group bool
	Slot  uint8
}

// FromPacket converts a wire packet (audio, group audio, loss report or
// group loss report) for sending. The RTP payload aliases pkt.
func FromPacket(pkt []byte) (Out, error) {
	if p, err := proto.ParsePacket(pkt); err == nil {
		return Out{RTP: rtpOf(p)}, nil
	}
	if p, err := proto.ParseGroupPacket(pkt); err == nil {
		return Out{RTP: rtpOf(p.AudioPacket), Group: true, Slot: p.Slot}, nil
	}
	if r, err := proto.ParseReport(pkt); err == nil {
		return Out{Report: true, Loss: r.Loss}, nil
	}
	if r, err := proto.ParseGroupReport(pkt); err == nil {
		return Out{Report: true, Loss: r.Loss, Group: true, Slot: r.Slot}, nil
	}
	return Out{}, ErrNotAudio
}

func rtpOf(p proto.AudioPacket) rtp.Packet {
	return rtp.Packet{
		Header:  rtp.Header{Version: 2, PayloadType: OpusPT, SequenceNumber: p.Seq, Timestamp: p.Timestamp},
		Payload: p.Payload,
	}
}

// AppendAudio appends the wire packet of call that p carries.
func AppendAudio(dst []byte, call proto.CallID, p *rtp.Packet) ([]byte, error) {
	if len(p.Payload) > proto.MaxPacketPayload {
		return dst, fmt.Errorf("rtcmedia: %d payload bytes: %w", len(p.Payload), ErrNotAudio)
	}
	return proto.AppendPacket(dst, proto.AudioPacket{Call: call, Seq: p.SequenceNumber, Timestamp: p.Timestamp, Payload: p.Payload}), nil
}

// AppendGroupAudio appends the group audio packet of call that p,
// received on m-line slot of a group leg, carries: the client's side.
func AppendGroupAudio(dst []byte, call proto.CallID, slot int, p *rtp.Packet) ([]byte, error) {
	if len(p.Payload) > proto.MaxPacketPayload || slot < 0 || slot >= Slots {
		return dst, fmt.Errorf("rtcmedia: slot %d, %d payload bytes: %w", slot, len(p.Payload), ErrNotAudio)
	}
	return proto.AppendGroupPacket(dst, proto.GroupAudioPacket{
		AudioPacket: proto.AudioPacket{Call: call, Seq: p.SequenceNumber, Timestamp: p.Timestamp, Payload: p.Payload},
		Slot:        uint8(slot),
	}), nil
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

// AppendGroupReports appends the group loss reports of call about slot
// found in pkts (RTCP read from the sender of m-line slot): the loss
// reports naming ssrc, the stream sent on that m-line. A compound packet
// reaches the reader of each stream it names, so the others are ignored
// here (their own reader reports them), as is other RTCP.
func AppendGroupReports(dst [][]byte, call proto.CallID, slot uint8, ssrc uint32, pkts []rtcp.Packet) [][]byte {
	for _, p := range pkts {
		a, ok := p.(*rtcp.ApplicationDefined)
		if !ok || a.Name != ReportName || len(a.Data) == 0 || a.SSRC != ssrc {
			continue
		}
		dst = append(dst, proto.AppendGroupReport(nil, proto.GroupLossReport{Call: call, Slot: slot, Loss: a.Data[0]}))
	}
	return dst
}
