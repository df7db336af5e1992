package proto

import (
	"encoding/binary"
	"errors"
	"time"
)

// ---- Voice calls: signalling (JSON) ----

// Call request types (client → server).
const (
	TypeCall         = "call"           // ring a user
	TypeCallAccept   = "call_accept"    // answer a ringing call on this device
	TypeCallDecline  = "call_decline"   // refuse a ringing call (on every device)
	TypeCallHangup   = "call_hangup"    // end a call, or cancel one still ringing
	TypeCallMedia    = "call_media"     // carry this call's audio on this connection instead
	TypeCallRTCOffer = "call_rtc_offer" // carry this call's audio over UDP (WebRTC): the client's offer
)

// Call push types (server → client).
const (
	TypeCallIncoming = "call_incoming" // someone is calling you: ring
	TypeCallAccepted = "call_accepted" // the person you called answered: start audio
	TypeCallEnd      = "call_end"      // the call is over (or stopped ringing on this device)
)

// Call error codes.
const (
	CodeBusy       Code = "busy"         // the callee is in another call
	CodeOffline    Code = "offline"      // the callee has no connected device
	CodeInCall     Code = "in_call"      // you are already in a call (on this or another device)
	CodeNoSuchCall Code = "no_such_call" // the call is over, was answered elsewhere, or is not yours
	CodeUDPOff     Code = "udp_off"      // call_rtc_offer: the server has UDP off, or not for this codec; keep the WebSocket
)

// Why a call ended (CallEnd.Reason).
const (
	EndHangup            = "hangup"             // a party hung up an answered call (By says who)
	EndCancelled         = "cancelled"          // the caller hung up before an answer
	EndDeclined          = "declined"           // the callee declined
	EndNoAnswer          = "no_answer"          // nobody answered within CallRingTimeout
	EndAnsweredElsewhere = "answered_elsewhere" // another device of yours answered (sent to the others)
	EndDropped           = "dropped"            // a party's connection closed or fell silent (By says whose)
	EndNoAudio           = "no_audio"           // a party's device has no usable microphone or speaker (By says whose)
)

// Call timing, enforced by the server.
const (
	// CallRingTimeout ends an unanswered call with EndNoAnswer.
	CallRingTimeout = 30 * time.Second
	// CallMediaTimeout ends an answered call with EndDropped when a party
	// has sent no packet for this long (counted from the answer). Parties
	// send a packet every frame, also while muted (an empty one), so
	// silence means the connection died without closing.
	CallMediaTimeout = 4 * time.Second
)

// CallID names one call while it lasts. The server picks it (random,
// never 0); it is also the first field of every audio packet.
type CallID uint32

// CallRequest rings User on every device where they are logged in.
type CallRequest struct {
	User   UserID   `json:"user"`
	Codecs []string `json:"codecs,omitempty"` // codecs this client can use, preferred first; default ["g722"]
}

// CallReply answers call: the phone is ringing.
type CallReply struct {
	Call CallID `json:"call"`
	Peer User   `json:"peer"`
}

// CallAcceptRequest answers a ringing call on this device.
type CallAcceptRequest struct {
	Call  CallID `json:"call"`
	Codec string `json:"codec,omitempty"` // one of the offered codecs; default the caller's first
}

// CallAcceptReply confirms the answer; audio may start at once.
type CallAcceptReply struct {
	Call  CallID `json:"call"`
	Peer  User   `json:"peer"`
	Codec string `json:"codec"`
}

// CallRef names a call: the body of call_decline (and of a plain
// call_hangup, see CallHangupRequest).
type CallRef struct {
	Call CallID `json:"call"`
}

// CallHangupRequest is the body of call_hangup. Reason, if set, says why
// the party ends the call instead of the usual hangup, cancelled or
// declined: only EndNoAudio (its sound devices failed), so that the other
// person learns why.
type CallHangupRequest struct {
	Call   CallID `json:"call"`
	Reason string `json:"reason,omitempty"`
}

// CallMediaRequest moves a party's audio to the connection that sends it.
// The connection may be a fresh, unauthenticated one: Token (the session
// token) authorises it for this call only; it does not log it in.
type CallMediaRequest struct {
	Call  CallID `json:"call"`
	Token string `json:"token,omitempty" badutf8:"bad_token"` // required on an unauthenticated connection
}

// CallRTCOfferRequest offers a UDP leg for a party's audio in an answered
// Opus call: SDP with one sendrecv audio transceiver, Opus at payload
// type 111, and every candidate (no trickle).
type CallRTCOfferRequest struct {
	Call CallID `json:"call"`
	SDP  string `json:"sdp"`
}

// CallRTCOfferReply is the server's complete answer (ICE-lite, its
// candidates in it).
type CallRTCOfferReply struct {
	SDP string `json:"sdp"`
}

// MaxSDP bounds an offer's SDP, in bytes.
const MaxSDP = 16 << 10

// CallIncoming rings a device.
type CallIncoming struct {
	Call   CallID   `json:"call"`
	From   User     `json:"from"`
	Codecs []string `json:"codecs"`
	// Conv is set for a group call: the group it is in (From started
	// it). Join with group_call, decline with call_decline.
	Conv ConvID `json:"conv,omitempty"`
}

// CallAccepted tells the caller that the callee answered.
type CallAccepted struct {
	Call  CallID `json:"call"`
	Codec string `json:"codec"`
}

// CallEnd says that a call is over for this connection.
type CallEnd struct {
	Call       CallID `json:"call"`
	Reason     string `json:"reason"`                // one of the End* reasons
	By         UserID `json:"by,omitempty"`          // who hung up, declined or dropped, when known
	DurationMs int64  `json:"duration_ms,omitempty"` // from the answer to the end; 0 if never answered
}

// ---- Voice calls: audio packets (binary frames) ----

// Audio packet layout, big-endian, one packet per binary WebSocket frame:
//
//	offset size field
//	0      1    version<<4 | kind   (0x11: version 1, audio)
//	1      4    call id
//	5      2    sequence number, +1 per packet, wraps
//	7      4    timestamp of the first sample, in AudioClockRate units, wraps
//	11     n    codec payload; empty means a frame of silence (muted)
const (
	PacketVersion    = 1
	PacketAudio      = 1
	PacketHeaderLen  = 11
	MaxPacketPayload = 1200  // bytes of codec payload in one packet
	AudioClockRate   = 48000 // timestamp units per second
)

// Loss report layout, big-endian, one per binary WebSocket frame, sent by
// each party's engine about once a second and relayed like audio:
//
//	offset size field
//	0      1    version<<4 | kind   (0x12: version 1, loss report)
//	1      4    call id
//	5      1    share of frames missing at playout (lost or too late) since
//	            the previous report, in 1/256 (0: none, 255: all)
const (
	PacketReport    = 2
	ReportLen       = 6
	ReportPerFrames = 50 // audio frames between a party's reports: 1 s
)

// LossReport tells the sender what share of its frames the receiver had
// to conceal or rebuild: what an Opus encoder sizes its FEC by.
type LossReport struct {
	Call CallID
	Loss uint8 // in 1/256
}

// AppendReport appends r in wire form to dst.
func AppendReport(dst []byte, r LossReport) []byte {
	dst = append(dst, PacketVersion<<4|PacketReport)
	dst = binary.BigEndian.AppendUint32(dst, uint32(r.Call))
	return append(dst, r.Loss)
}

// ParseReport decodes a loss report.
func ParseReport(b []byte) (LossReport, error) {
	if len(b) != ReportLen || b[0] != PacketVersion<<4|PacketReport {
		return LossReport{}, ErrPacket
	}
	return LossReport{Call: CallID(binary.BigEndian.Uint32(b[1:5])), Loss: b[5]}, nil
}

// PacketCall returns the call of a binary frame a client may send: an
// audio packet, a loss report or a group loss report, which is all a
// relay needs to know; ok is false for anything else.
func PacketCall(b []byte) (id CallID, ok bool) {
	if _, err := ParsePacket(b); err == nil {
		return CallID(binary.BigEndian.Uint32(b[1:5])), true
	}
	if r, err := ParseReport(b); err == nil {
		return r.Call, true
	}
	if r, err := ParseGroupReport(b); err == nil {
		return r.Call, true
	}
	return 0, false
}

// ErrPacket is returned by ParsePacket for bytes that are not an audio
// packet of this version (and by ParseReport for bytes that are not a
// loss report).
var ErrPacket = errors.New("not an audio packet")

// AudioPacket is one frame of encoded audio of a call.
type AudioPacket struct {
	Call      CallID
	Seq       uint16
	Timestamp uint32
	Payload   []byte
}

// AppendPacket appends p in wire form to dst and returns the extended
// slice. It does not allocate when dst has room.
func AppendPacket(dst []byte, p AudioPacket) []byte {
	dst = append(dst, PacketVersion<<4|PacketAudio)
	dst = binary.BigEndian.AppendUint32(dst, uint32(p.Call))
	dst = binary.BigEndian.AppendUint16(dst, p.Seq)
	dst = binary.BigEndian.AppendUint32(dst, p.Timestamp)
	return append(dst, p.Payload...)
}

// ParsePacket decodes a packet. The payload aliases b.
func ParsePacket(b []byte) (AudioPacket, error) {
	if len(b) < PacketHeaderLen || b[0] != PacketVersion<<4|PacketAudio || len(b)-PacketHeaderLen > MaxPacketPayload {
		return AudioPacket{}, ErrPacket
	}
	return AudioPacket{
		Call:      CallID(binary.BigEndian.Uint32(b[1:5])),
		Seq:       binary.BigEndian.Uint16(b[5:7]),
		Timestamp: binary.BigEndian.Uint32(b[7:11]),
		Payload:   b[PacketHeaderLen:],
	}, nil
}
