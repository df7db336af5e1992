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
// It must not: know the switchboard's rules (the owner authorises an
// offer and attaches the leg once it connects), decode audio, or queue.
package rtc

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/rtcp"
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

	mu     sync.Mutex
	legs   map[*Leg]struct{}
	closed bool
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
	se.SetLite(true)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetIncludeLoopbackCandidate(true)
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
		s.mux = webrtc.NewICEUDPMux(nil, conn)
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
	h     Handlers
	pc    *webrtc.PeerConnection
	track *webrtc.TrackLocalStaticRTP

	mu         sync.Mutex
	connected  bool
	remoteSSRC uint32 // the party's stream: loss reports about it name it
	once       sync.Once
}

// Errors of Answer.
var (
	ErrClosed   = errors.New("udp: the server is closing")
	ErrBadOffer = errors.New("udp: bad offer")
)

// Answer makes a leg of call from the party's offer (one audio
// transceiver, Opus, all candidates in it) and returns the server's
// complete answer.
func (s *Server) Answer(offer string, call proto.CallID, h Handlers) (answer string, leg *Leg, err error) {
	pc, err := s.api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return "", nil, fmt.Errorf("udp: new peer connection: %w", err)
	}
	l := &Leg{s: s, call: call, h: h, pc: pc}
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
	pc.OnTrack(func(t *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		l.mu.Lock()
		l.remoteSSRC = uint32(t.SSRC())
		l.mu.Unlock()
		go l.readRTP(t)
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
	if l.track, err = rtcmedia.NewTrack(); err != nil {
		return fail(err)
	}
	sender, err := pc.AddTrack(l.track)
	if err != nil {
		return fail(fmt.Errorf("%w: %v", ErrBadOffer, err))
	}
	go l.readRTCP(sender)
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

// Call is the leg's call.
func (l *Leg) Call() proto.CallID { return l.call }

func (l *Leg) readRTP(t *webrtc.TrackRemote) {
	for {
		p, _, err := t.ReadRTP()
		if err != nil {
			return
		}
		if p.PayloadType != rtcmedia.OpusPT {
			continue
		}
		// A packet of its own: the peer's media connection may queue it.
		pkt, err := rtcmedia.AppendAudio(nil, l.call, p)
		if err != nil {
			continue
		}
		if l.h.Packet != nil {
			l.h.Packet(l, pkt)
		}
	}
}

func (l *Leg) readRTCP(sender *webrtc.RTPSender) {
	var reports [][]byte
	for {
		pkts, _, err := sender.ReadRTCP()
		if err != nil {
			return
		}
		reports = rtcmedia.AppendReports(reports[:0], l.call, pkts)
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

// SendMedia implements calls.Conn: an audio packet leaves as RTP, a loss
// report as RTCP. It returns false before the leg connected and when the
// write fails.
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
		return l.pc.WriteRTCP([]rtcp.Packet{rtcmedia.Report(ssrc, out.Loss)}) == nil
	}
	return l.track.WriteRTP(&out.RTP) == nil
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
