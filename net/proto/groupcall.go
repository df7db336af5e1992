package proto

import (
	"encoding/binary"
)

// ---- Group voice calls ----
//
// A group call lives in a group conversation. The server forwards each
// participant's audio to the others unchanged (a selective forwarding
// unit: it never decodes nor mixes); every client decodes and mixes the
// others' streams itself. Signalling reuses the 1:1 requests where they
// fit (call_decline, call_hangup, call_media, call_rtc_offer) and adds
// group_call (start or join) and call_mute. See docs/protocol.md, "Group
// calls".

// Group call request types (client → server).
const (
	TypeGroupCall = "group_call" // start a call in a group, or join the one in progress
	TypeCallMute  = "call_mute"  // say that you muted or unmuted your microphone in a group call
)

// Group call push types (server → client).
const (
	// TypeGroupCallState tells every member of a group (each of their
	// logged-in connections) who is in the group's call now, on every
	// change, and once more when it is over (Ended).
	TypeGroupCallState = "group_call_state"
)

// Group call error codes.
const (
	CodeCallFull Code = "call_full" // the group's call already has MaxGroupCall people
)

// Why a group call ended for a device (CallEnd.Reason), besides the 1:1
// reasons that also apply (hangup, dropped, declined, no_answer,
// answered_elsewhere, cancelled, no_audio).
const (
	// EndRemoved: the person left the group or was removed from it, or
	// the group was deleted, so they are out of its call too.
	EndRemoved = "removed"
)

// MaxGroupCall bounds the people in one group call, and so the streams a
// client mixes (MaxGroupCall-1) and the UDP slots (one per person).
const MaxGroupCall = 16

// GroupCallRequest starts a call in a group conversation the caller is a
// member of, or joins the call already in progress there (two members
// who start at the same moment end up in the same call).
type GroupCallRequest struct {
	Conv  ConvID `json:"conv"`
	Muted bool   `json:"muted,omitempty"` // join with the microphone muted
	// Call, when answering a ring (call_incoming with conv), is the call
	// that rang: if it is over by now, the request fails with
	// no_such_call instead of starting a new call.
	Call CallID `json:"call,omitempty"`
}

// GroupCallReply: you are in the call. Audio may flow at once. The codec
// of a group call is always "opus".
type GroupCallReply struct {
	Call         CallID            `json:"call"`
	Conv         ConvID            `json:"conv"`
	Codec        string            `json:"codec"`
	Slot         int               `json:"slot"`    // yours: your audio reaches the others tagged with it
	Started      int64             `json:"started"` // Unix ms the call began
	Participants []CallParticipant `json:"participants"`
}

// CallParticipant is one person in a group call. Slot (0 to
// MaxGroupCall-1) is theirs while they stay in the call; the lowest free
// one is given at join, so a slot is reused by someone else after its
// holder left.
type CallParticipant struct {
	ID    UserID `json:"id"`
	Name  string `json:"name"`
	Slot  int    `json:"slot"`
	Muted bool   `json:"muted,omitempty"`
}

// CallMuteRequest tells the others in a group call that you muted or
// unmuted (a muted client still sends empty packets: see Audio packets).
type CallMuteRequest struct {
	Call  CallID `json:"call"`
	Muted bool   `json:"muted"`
}

// GroupCallState is the state of a group's call, pushed to every member
// on every change (start, join, leave, mute) and at its end; a device
// that logs in gets one for each call in progress in its groups, after
// the login reply.
type GroupCallState struct {
	Conv         ConvID            `json:"conv"`
	Call         CallID            `json:"call"`
	StartedBy    UserID            `json:"started_by"`
	Started      int64             `json:"started"` // Unix ms
	Participants []CallParticipant `json:"participants"`
	Ended        bool              `json:"ended,omitempty"` // the call is over (Participants is empty)
}

// Group audio packet layout (server → client only), big-endian, one per
// binary frame: an audio packet of a group call with the speaker's slot.
// A participant sends ordinary audio packets (PacketAudio); the server
// inserts the slot and forwards the same bytes to each other participant.
//
//	offset size field
//	0      1    version<<4 | kind   (0x13: version 1, group audio)
//	1      4    call id
//	5      1    slot of the speaker
//	6      2    sequence number (the speaker's)
//	8      4    timestamp (the speaker's)
//	12     n    codec payload, as in PacketAudio
const (
	PacketGroupAudio     = 3
	GroupPacketHeaderLen = 12
)

// Group loss report layout (client → server only), big-endian: a loss
// report about one speaker of a group call. The server relays it to that
// speaker as an ordinary loss report (PacketReport).
//
//	offset size field
//	0      1    version<<4 | kind   (0x14: version 1, group loss report)
//	1      4    call id
//	5      1    slot of the speaker it is about
//	6      1    share missing at playout, in 1/256, as in PacketReport
const (
	PacketGroupReport = 4
	GroupReportLen    = 7
)

// GroupAudioPacket is one frame of a group call's audio with its speaker.
type GroupAudioPacket struct {
	AudioPacket
	Slot uint8
}

// GroupLossReport is a listener's report about one speaker.
type GroupLossReport struct {
	Call CallID
	Slot uint8
	Loss uint8 // in 1/256
}

// AppendGroupPacket appends p in wire form to dst.
func AppendGroupPacket(dst []byte, p GroupAudioPacket) []byte {
	dst = append(dst, PacketVersion<<4|PacketGroupAudio)
	dst = binary.BigEndian.AppendUint32(dst, uint32(p.Call))
	dst = append(dst, p.Slot)
	dst = binary.BigEndian.AppendUint16(dst, p.Seq)
	dst = binary.BigEndian.AppendUint32(dst, p.Timestamp)
	return append(dst, p.Payload...)
}

// ParseGroupPacket decodes a group audio packet. The payload aliases b.
func ParseGroupPacket(b []byte) (GroupAudioPacket, error) {
	if len(b) < GroupPacketHeaderLen || b[0] != PacketVersion<<4|PacketGroupAudio ||
		len(b)-GroupPacketHeaderLen > MaxPacketPayload || b[5] >= MaxGroupCall {
		return GroupAudioPacket{}, ErrPacket
	}
	return GroupAudioPacket{
		AudioPacket: AudioPacket{
			Call:      CallID(binary.BigEndian.Uint32(b[1:5])),
			Seq:       binary.BigEndian.Uint16(b[6:8]),
			Timestamp: binary.BigEndian.Uint32(b[8:12]),
			Payload:   b[GroupPacketHeaderLen:],
		},
		Slot: b[5],
	}, nil
}

// GroupPacketFrom makes the group packet the server forwards from a
// speaker's audio packet pkt (wire form) and their slot: a new slice.
func GroupPacketFrom(pkt []byte, slot uint8) ([]byte, error) {
	p, err := ParsePacket(pkt)
	if err != nil {
		return nil, err
	}
	return AppendGroupPacket(make([]byte, 0, GroupPacketHeaderLen+len(p.Payload)), GroupAudioPacket{AudioPacket: p, Slot: slot}), nil
}

// AppendGroupReport appends r in wire form to dst.
func AppendGroupReport(dst []byte, r GroupLossReport) []byte {
	dst = append(dst, PacketVersion<<4|PacketGroupReport)
	dst = binary.BigEndian.AppendUint32(dst, uint32(r.Call))
	return append(dst, r.Slot, r.Loss)
}

// ParseGroupReport decodes a group loss report.
func ParseGroupReport(b []byte) (GroupLossReport, error) {
	if len(b) != GroupReportLen || b[0] != PacketVersion<<4|PacketGroupReport || b[5] >= MaxGroupCall {
		return GroupLossReport{}, ErrPacket
	}
	return GroupLossReport{Call: CallID(binary.BigEndian.Uint32(b[1:5])), Slot: b[5], Loss: b[6]}, nil
}
