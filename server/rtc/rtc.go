// Package rtc is the server's UDP carrier for call audio: one pion/webrtc
// PeerConnection per party (a leg), DTLS-SRTP between that party and the
// server, ICE-lite (the server only answers connectivity checks and
// offers its own host candidates, so it needs no STUN), on one UDP port
// shared by every leg or on a port range.
//
// A leg is a calls.Conn like a media WebSocket: what it receives (RTP
// audio, RTCP APP loss reports; net/rtcmedia) goes to the same handler as
// the WebSocket's binary frames, and what the switchboard relays to it
// leaves as RTP or RTCP. A Push (the switchboard only pushes call_end to a
// media connection) closes it.
//
// A group call's leg has 16 audio m-lines, one per slot, and converts
// between the wire forms so that the switchboard sees only the
// WebSocket's packets: RTP up on m-line 0 is an audio packet (0x11), a
// loss report about the server's stream on m-line i a group loss report
// about slot i (0x14); a group audio packet of slot i (0x13) leaves as RTP
// on m-line i, renumbered so that the stream never goes back when
// someone else takes the slot (stream).
//
// Bad input is dropped without touching the other legs and counted
// (Server.OnDrop): SRTP or SRTCP that fails authentication, malformed RTP,
// RTP of another payload type, and datagrams from addresses no leg knows.
//
// It must not: know the switchboard's rules (the owner authorises an
// offer and attaches the leg once it connects), decode audio, or queue.
package rtc

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/logging"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"parley/net/proto"
	"parley/net/rtcmedia"
)

// Ports is the UDP configuration: off, one port (Min == Max; 0 picks a
// free one), or a range.
type Ports struct {
	Off      bool
	Min, Max int
	// Host is the IP address one port binds to ("": every interface),
	// as -udp auto takes it from the HTTP listener's address.
	Host string
}

// ParsePorts reads the -udp flag: "off", "PORT" or "MIN-MAX".
func ParsePorts(s string) (Ports, error) {
	s = strings.TrimSpace(s)
	if s == "off" {
		return Ports{Off: true}, nil
	}
	lo, hi, isRange := strings.Cut(s, "-")
	min, err := strconv.Atoi(lo)
	if err != nil || min < 0 || min > 65535 {
		return Ports{}, fmt.Errorf("udp: %q is not off, a port or a range MIN-MAX", s)
	}
	if !isRange {
		return Ports{Min: min, Max: min}, nil
	}
	max, err := strconv.Atoi(hi)
	if err != nil || min == 0 || max < min || max > 65535 {
		return Ports{}, fmt.Errorf("udp: %q is not a range MIN-MAX of ports 1 to 65535", s)
	}
	return Ports{Min: min, Max: max}, nil
}

// String is the flag form of p.
func (p Ports) String() string {
	switch {
	case p.Off:
		return "off"
	case p.Min == p.Max:
		return strconv.Itoa(p.Min)
	}
	return fmt.Sprintf("%d-%d", p.Min, p.Max)
}

// Config configures a Server.
type Config struct {
	Ports Ports
	// PublicIP, if set, replaces the host candidates' address: the
	// server's public address behind a 1:1 NAT.
	PublicIP string
	// ConnectTimeout closes a leg that has not connected by then
	// (default 10 s).
	ConnectTimeout time.Duration
	Logger         *slog.Logger
}

// Server answers offers with legs.
type Server struct {
	cfg  Config
	log  *slog.Logger
	api  *webrtc.API
	conn net.PacketConn // the one port's socket; nil for a range
	mux  ice.UDPMux

	onDrop atomic.Pointer[func(reason string)]

	mu     sync.Mutex
	legs   map[*Leg]struct{}
	closed bool
}

// Why a packet was dropped before it reached the switchboard (OnDrop).
const (
	DropSRTPAuth      = "srtp_auth"      // SRTP or SRTCP that fails authentication
	DropMalformedRTP  = "malformed_rtp"  // from a leg's address, neither STUN, DTLS, RTP nor RTCP, or an RTP packet that does not parse
	DropPayloadType   = "payload_type"   // RTP of another payload type than Opus's 111
	DropUnknownSender = "unknown_sender" // not STUN, from an address no leg knows (one port only: a range has no shared socket)
)

// OnDrop sets what is told of each packet the server drops, with one of
// the Drop reasons; it may be called from any goroutine and must not
// block.
func (s *Server) OnDrop(f func(reason string)) { s.onDrop.Store(&f) }

func (s *Server) drop(reason string) {
	if f := s.onDrop.Load(); f != nil && *f != nil {
		(*f)(reason)
	}
}

// New starts the UDP carrier; with Ports.Off it returns nil, nil.
func New(cfg Config) (*Server, error) {
	if cfg.Ports.Off {
		return nil, nil
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = 10 * time.Second
	}
	s := &Server{cfg: cfg, log: cfg.Logger, legs: map[*Leg]struct{}{}}
	var se webrtc.SettingEngine
	se.LoggerFactory = dropLogs{s: s, base: logging.NewDefaultLoggerFactory()}
	se.SetLite(true)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetIncludeLoopbackCandidate(true)
	// OnTrack as soon as the leg is up, not at the first packet: pion
	// gives up on a track whose first packet has an unknown payload type,
	// and readRTP drops (and counts) those itself.
	se.SetFireOnTrackBeforeFirstRTP(true)
	if cfg.PublicIP != "" {
		if net.ParseIP(cfg.PublicIP) == nil {
			return nil, fmt.Errorf("udp: public IP %q is not an IP address", cfg.PublicIP)
		}
		if err := se.SetICEAddressRewriteRules(webrtc.ICEAddressRewriteRule{
			External: []string{cfg.PublicIP}, AsCandidateType: webrtc.ICECandidateTypeHost, Mode: webrtc.ICEAddressRewriteReplace,
		}); err != nil {
			return nil, fmt.Errorf("udp: public IP: %w", err)
		}
	}
	if cfg.Ports.Min == cfg.Ports.Max {
		conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.ParseIP(cfg.Ports.Host), Port: cfg.Ports.Min})
		if err != nil {
			return nil, fmt.Errorf("udp: listen on port %d: %w", cfg.Ports.Min, err)
		}
		s.conn = conn
		s.mux = ice.NewUDPMuxDefault(ice.UDPMuxParams{UDPConn: conn, OnUnhandledPacket: func(b []byte, _ netip.AddrPort) {
			if !isSTUN(b) { // a check for a leg that has gone is no attack
				s.drop(DropUnknownSender)
			}
		}})
		se.SetICEUDPMux(s.mux)
	} else if err := se.SetEphemeralUDPPortRange(uint16(cfg.Ports.Min), uint16(cfg.Ports.Max)); err != nil {
		return nil, fmt.Errorf("udp: port range: %w", err)
	}
	m, err := rtcmedia.MediaEngine()
	if err != nil {
		s.Close()
		return nil, err
	}
	s.api = webrtc.NewAPI(webrtc.WithSettingEngine(se), webrtc.WithMediaEngine(m))
	return s, nil
}

// Port is the single UDP port the server listens on (0 for a range).
func (s *Server) Port() int {
	if s.conn == nil {
		return 0
	}
	return s.conn.LocalAddr().(*net.UDPAddr).Port
}

// Close closes every leg and the port.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	legs := make([]*Leg, 0, len(s.legs))
	for l := range s.legs {
		legs = append(legs, l)
	}
	s.mu.Unlock()
	for _, l := range legs {
		l.Close()
	}
	if s.mux != nil {
		s.mux.Close()
	}
	if s.conn != nil {
		return s.conn.Close()
	}
	return nil
}

// Legs is how many legs are open.
func (s *Server) Legs() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.legs)
}

// Handlers is what a leg tells its owner.
type Handlers struct {
	// Packet is given each packet the leg received, in wire form (an
	// audio packet or loss report of the leg's call), a new slice each
	// time (it may be queued for the peer).
	Packet func(l *Leg, pkt []byte)
	// Connected is called once when DTLS-SRTP is up.
	Connected func(l *Leg)
	// Gone is called once when the leg closed, failed, or never connected.
	Gone func(l *Leg)
}

// Leg is one party's UDP connection for one call. It implements
// calls.Conn.
type Leg struct {
	s     *Server
	call  proto.CallID
	group bool
	h     Handlers
	pc    *webrtc.PeerConnection
	// streams are the server's, one per audio m-line in m-line order:
	// one for a 1:1 leg, rtcmedia.Slots for a group leg.
	streams []*stream

	mu         sync.Mutex
	connected  bool
	up         *webrtc.RTPReceiver // m-line 0's: the party's audio comes on it
	remoteSSRC uint32              // the party's stream: loss reports about it name it
	once       sync.Once
}

// Errors of Answer.
var (
	ErrClosed   = errors.New("udp: the server is closing")
	ErrBadOffer = errors.New("udp: bad offer")
)

// Answer makes a leg of call from the party's offer (Opus, all candidates
// in it; one audio m-line, or rtcmedia.Slots for a group call's leg) and
// returns the server's complete answer.
func (s *Server) Answer(offer string, call proto.CallID, group bool, h Handlers) (answer string, leg *Leg, err error) {
	want := 1
	if group {
		want = rtcmedia.Slots
	}
	mids, err := rtcmedia.AudioMids(offer)
	if err != nil {
		return "", nil, fmt.Errorf("%w: %v", ErrBadOffer, err)
	}
	if len(mids) != want {
		return "", nil, fmt.Errorf("%w: %d audio m-lines, want %d", ErrBadOffer, len(mids), want)
	}
	pc, err := s.api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return "", nil, fmt.Errorf("udp: new peer connection: %w", err)
	}
	l := &Leg{s: s, call: call, group: group, h: h, pc: pc}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		pc.Close()
		return "", nil, ErrClosed
	}
	s.legs[l] = struct{}{}
	s.mu.Unlock()
	fail := func(err error) (string, *Leg, error) {
		l.Close()
		return "", nil, err
	}
	pc.OnTrack(func(t *webrtc.TrackRemote, r *webrtc.RTPReceiver) {
		l.mu.Lock()
		up := r == l.up
		if up {
			l.remoteSSRC = uint32(t.SSRC())
		}
		l.mu.Unlock()
		if up { // the other m-lines are recvonly: the party sends nothing on them
			go l.readRTP(t)
		}
	})
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		switch st {
		case webrtc.PeerConnectionStateConnected:
			l.mu.Lock()
			first := !l.connected
			l.connected = true
			l.mu.Unlock()
			if first && h.Connected != nil {
				h.Connected(l)
			}
		case webrtc.PeerConnectionStateFailed, webrtc.PeerConnectionStateClosed:
			go l.Close()
		}
	})
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return fail(fmt.Errorf("%w: %v", ErrBadOffer, err))
	}
	if err := l.addTracks(mids); err != nil {
		return fail(err)
	}
	ans, err := pc.CreateAnswer(nil)
	if err != nil {
		return fail(fmt.Errorf("%w: %v", ErrBadOffer, err))
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(ans); err != nil {
		return fail(fmt.Errorf("udp: set local description: %w", err))
	}
	<-gathered
	time.AfterFunc(s.cfg.ConnectTimeout, func() {
		l.mu.Lock()
		c := l.connected
		l.mu.Unlock()
		if !c {
			l.Close()
		}
	})
	return pc.LocalDescription().SDP, l, nil
}

// addTracks gives each audio m-line of the offer (mids, in m-line order)
// a stream of the server's: the transceiver that SetRemoteDescription
// made for that mid gets its own sender and track, so m-line i carries
// l.streams[i] whatever order pion keeps its transceivers in.
func (l *Leg) addTracks(mids []string) error {
	byMid := map[string]*webrtc.RTPTransceiver{}
	for _, tr := range l.pc.GetTransceivers() {
		byMid[tr.Mid()] = tr
	}
	l.streams = make([]*stream, len(mids))
	for i, mid := range mids {
		tr := byMid[mid]
		if mid == "" || tr == nil || tr.Sender() != nil || tr.Receiver() == nil {
			return fmt.Errorf("%w: audio m-line %d (mid %q) has no transceiver of its own", ErrBadOffer, i, mid)
		}
		track, err := rtcmedia.NewTrack()
		if l.group {
			track, err = rtcmedia.NewSlotTrack(i)
		}
		if err != nil {
			return err
		}
		sender, err := l.s.api.NewRTPSender(track, tr.Receiver().Transport())
		if err != nil {
			return fmt.Errorf("udp: m-line %d: %w", i, err)
		}
		if err := tr.SetSender(sender, track); err != nil {
			return fmt.Errorf("%w: m-line %d: %v", ErrBadOffer, i, err)
		}
		l.streams[i] = &stream{track: track}
		if i == 0 {
			l.mu.Lock()
			l.up = tr.Receiver()
			l.mu.Unlock()
		}
		go l.readRTCP(sender, i)
	}
	return nil
}

// Call is the leg's call.
func (l *Leg) Call() proto.CallID { return l.call }

// Group is whether the leg is a group call's.
func (l *Leg) Group() bool { return l.group }

func (l *Leg) readRTP(t *webrtc.TrackRemote) {
	buf := make([]byte, 1500)
	var p rtp.Packet
	for {
		n, _, err := t.Read(buf)
		if errors.Is(err, webrtc.ErrCodecNotFound) { // pion read it, and knows no such payload type
			l.s.drop(DropPayloadType)
			continue
		}
		if err != nil {
			return
		}
		if err := p.Unmarshal(buf[:n]); err != nil {
			l.s.drop(DropMalformedRTP)
			continue
		}
		if p.PayloadType != rtcmedia.OpusPT {
			l.s.drop(DropPayloadType)
			continue
		}
		// A packet of its own: the peer's media connection may queue it.
		pkt, err := rtcmedia.AppendAudio(nil, l.call, &p)
		if err != nil {
			l.s.drop(DropMalformedRTP)
			continue
		}
		if l.h.Packet != nil {
			l.h.Packet(l, pkt)
		}
	}
}

// readRTCP reads the RTCP about the server's stream on m-line i: loss
// reports (PRLY) about it go to Packet, a 1:1 leg's as loss reports, a
// group leg's as group loss reports about slot i.
func (l *Leg) readRTCP(sender *webrtc.RTPSender, i int) {
	var ssrc uint32
	if enc := sender.GetParameters().Encodings; len(enc) > 0 {
		ssrc = uint32(enc[0].SSRC)
	}
	var reports [][]byte
	for {
		pkts, _, err := sender.ReadRTCP()
		if err != nil {
			return
		}
		if l.group {
			reports = rtcmedia.AppendGroupReports(reports[:0], l.call, uint8(i), ssrc, pkts)
		} else {
			reports = rtcmedia.AppendReports(reports[:0], l.call, pkts)
		}
		for _, r := range reports {
			if l.h.Packet != nil {
				l.h.Packet(l, r)
			}
		}
	}
}

// Push implements calls.Conn: the switchboard pushes only call_end to a
// media connection, so the leg closes.
func (l *Leg) Push([]byte) { go l.Close() }

// SendMedia implements calls.Conn: an audio packet leaves as RTP (a
// group audio packet of slot i on m-line i), a loss report as RTCP about
// the party's stream. It returns false before the leg connected, for a
// packet of the other kind of call (and a group loss report, which only
// clients send), and when the write fails.
func (l *Leg) SendMedia(pkt []byte) bool {
	l.mu.Lock()
	ok, ssrc := l.connected, l.remoteSSRC
	l.mu.Unlock()
	if !ok {
		return false
	}
	out, err := rtcmedia.FromPacket(pkt)
	if err != nil {
		return false
	}
	if out.Report {
		return !out.Group && l.pc.WriteRTCP([]rtcp.Packet{rtcmedia.Report(ssrc, out.Loss)}) == nil
	}
	if out.Group != l.group {
		return false
	}
	return l.streams[out.Slot].write(&out.RTP) == nil
}

// stream is the server's stream on one of a leg's m-lines. Its sequence
// numbers are the speaker's, shifted so that they never go back (they
// compare modulo 2^16, as SRTP's rollover counter does): an SRTP
// receiver drops a number it has passed as a replay, so when someone
// else takes a group call's slot, or its speaker comes back with a new
// engine numbering from 0, the stream goes on from the last number it
// sent, keeping the new speaker's spacing. Timestamps pass unchanged.
type stream struct {
	track *webrtc.TrackLocalStaticRTP

	mu      sync.Mutex
	started bool
	last    uint16 // the highest sequence number sent
	shift   uint16 // added to the speaker's
}

// lateWindow is how far behind the highest number sent a packet may be
// and still be the same speaker's, late (320 ms of audio): it keeps its
// number. One further behind starts a new shift.
const lateWindow = 16

// write sends p, renumbered.
func (s *stream) write(p *rtp.Packet) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p.SequenceNumber = s.number(p.SequenceNumber)
	return s.track.WriteRTP(p)
}

// number is the stream's sequence number for the speaker's seq. Call
// with s.mu held.
func (s *stream) number(seq uint16) uint16 {
	out := seq + s.shift
	switch d := int16(out - s.last); {
	case !s.started:
		s.started, s.last = true, out
	case d > 0:
		s.last = out
	case d < -lateWindow:
		s.shift = s.last + 1 - seq
		out = s.last + 1
		s.last = out
	}
	return out
}

// Close closes the leg; Gone is called once.
func (l *Leg) Close() {
	l.once.Do(func() {
		l.pc.Close()
		l.s.mu.Lock()
		delete(l.s.legs, l)
		l.s.mu.Unlock()
		if l.h.Gone != nil {
			l.h.Gone(l)
		}
	})
}

// isSTUN is whether b looks like a STUN message (RFC 5389: two zero bits,
// then the magic cookie at byte 4).
func isSTUN(b []byte) bool {
	return len(b) >= 20 && b[0]>>6 == 0 && b[4] == 0x21 && b[5] == 0x12 && b[6] == 0xA4 && b[7] == 0x42
}

// dropLogs is pion's logger factory: pion drops SRTP and SRTCP that fail
// authentication, and datagrams that are none of STUN, DTLS, RTP and RTCP,
// in its session and mux read loops, saying so only in a log line. The
// loggers of those two scopes count each such line as a drop; every line
// still goes to pion's default logger.
type dropLogs struct {
	s    *Server
	base logging.LoggerFactory
}

func (f dropLogs) NewLogger(scope string) logging.LeveledLogger {
	l := f.base.NewLogger(scope)
	switch scope {
	case "srtp": // srtp/session.go: one Info line, the error, per packet that failed to decrypt
		return srtpLog{l, f.s}
	case "mux": // webrtc/internal/mux: one Warnf per packet of a leg that no endpoint takes
		return muxLog{l, f.s}
	}
	return l
}

type srtpLog struct {
	logging.LeveledLogger
	s *Server
}

func (l srtpLog) Info(msg string) {
	switch {
	case strings.Contains(msg, "auth tag"), strings.Contains(msg, "MKI not found"):
		l.s.drop(DropSRTPAuth)
	case strings.Contains(msg, "duplicated"): // a replay, or the network's duplicate: not bad input
	default: // too short, or a header that does not parse
		l.s.drop(DropMalformedRTP)
	}
	l.LeveledLogger.Info(msg)
}

type muxLog struct {
	logging.LeveledLogger
	s *Server
}

func (l muxLog) Warnf(format string, args ...any) {
	if strings.Contains(format, "no endpoint for packet") && len(args) > 0 {
		// Its first byte: SRTP or DTLS may come before their endpoint
		// and wait for it; anything else is no packet of a leg.
		if b, ok := args[0].(byte); ok && (b < 20 || b > 63 && b < 128 || b > 191) {
			l.s.drop(DropMalformedRTP)
		}
	}
	l.LeveledLogger.Warnf(format, args...)
}
