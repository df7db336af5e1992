package rtc_test

import (
	"errors"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"parley/net/proto"
	"parley/net/rtcmedia"
	"parley/server/rtc"
)

// These tests talk to an rtc.Server directly, as the hub does, with a
// pion client that makes the offers the protocol describes.

const testCall proto.CallID = 0xC0FFEE

// drops counts what the server dropped, by reason.
type drops struct {
	mu sync.Mutex
	n  map[string]int
}

func (d *drops) add(reason string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.n == nil {
		d.n = map[string]int{}
	}
	d.n[reason]++
}

func (d *drops) get(reason string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.n[reason]
}

// newServer is a server on a free port of 127.0.0.1.
func newServer(t testing.TB) (*rtc.Server, *drops) {
	t.Helper()
	s, err := rtc.New(rtc.Config{Ports: rtc.Ports{Host: "127.0.0.1"}, PublicIP: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	d := &drops{}
	s.OnDrop(d.add)
	return s, d
}

// rawTrack is a local track whose packets are written as they are given
// (TrackLocalStaticRTP sets the payload type itself): a client that sends
// RTP of another payload type.
type rawTrack struct {
	mu   sync.Mutex
	w    webrtc.TrackLocalWriter
	ssrc uint32
}

func (r *rawTrack) Bind(c webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.w, r.ssrc = c.WriteStream(), uint32(c.SSRC())
	for _, p := range c.CodecParameters() {
		if strings.EqualFold(p.MimeType, webrtc.MimeTypeOpus) {
			return p, nil
		}
	}
	return webrtc.RTPCodecParameters{}, webrtc.ErrUnsupportedCodec
}

func (r *rawTrack) Unbind(webrtc.TrackLocalContext) error { return nil }
func (r *rawTrack) ID() string                            { return "audio" }
func (r *rawTrack) RID() string                           { return "" }
func (r *rawTrack) StreamID() string                      { return "parley" }
func (r *rawTrack) Kind() webrtc.RTPCodecType             { return webrtc.RTPCodecTypeAudio }

func (r *rawTrack) write(pt uint8, seq uint16, ts uint32, payload []byte) error {
	r.mu.Lock()
	w, ssrc := r.w, r.ssrc
	r.mu.Unlock()
	if w == nil {
		return errors.New("not bound yet")
	}
	_, err := w.WriteRTP(&rtp.Header{Version: 2, PayloadType: pt, SequenceNumber: seq, Timestamp: ts, SSRC: ssrc}, payload)
	return err
}

// tamperConn is the client's UDP socket: tamper > 0 flips a bit of the
// authentication tag of that many outgoing SRTP packets; with discard,
// what comes in other than STUN is not read further (a benchmark
// measures the server only).
type tamperConn struct {
	*net.UDPConn
	tamper  atomic.Int32
	discard atomic.Bool
}

func (c *tamperConn) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
		n, addr, err := c.UDPConn.ReadFrom(b)
		if err != nil || !c.discard.Load() || n == 0 || b[0] < 128 || b[0] > 191 {
			return n, addr, err
		}
	}
}

// WriteTo is the one write the ICE mux uses (it sees no *net.UDPConn).
func (c *tamperConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	if len(b) > 12 && b[0]>>6 == 2 && (b[1] < 192 || b[1] > 223) && c.tamper.Load() > 0 { // RTP, not RTCP
		c.tamper.Add(-1)
		bad := append([]byte(nil), b...)
		bad[len(bad)-1] ^= 1
		return c.UDPConn.WriteTo(bad, addr)
	}
	return c.UDPConn.WriteTo(b, addr)
}

// packetConn hides *net.UDPConn's other methods from the ICE mux.
type packetConn struct{ c *tamperConn }

func (p packetConn) ReadFrom(b []byte) (int, net.Addr, error)  { return p.c.ReadFrom(b) }
func (p packetConn) WriteTo(b []byte, a net.Addr) (int, error) { return p.c.WriteTo(b, a) }
func (p packetConn) Close() error                              { return p.c.Close() }
func (p packetConn) LocalAddr() net.Addr                       { return p.c.LocalAddr() }
func (p packetConn) SetDeadline(t time.Time) error             { return p.c.SetDeadline(t) }
func (p packetConn) SetReadDeadline(t time.Time) error         { return p.c.SetReadDeadline(t) }
func (p packetConn) SetWriteDeadline(t time.Time) error        { return p.c.SetWriteDeadline(t) }

// got is an RTP packet the client received on one of its m-lines.
type got struct {
	mline int
	p     *rtp.Packet
}

// peer is a client: m-line 0 sendrecv with up, the others recvonly.
type peer struct {
	pc        *webrtc.PeerConnection
	conn      *tamperConn
	up        *rawTrack
	trs       []*webrtc.RTPTransceiver // in m-line order
	ssrcs     [rtcmedia.Slots]atomic.Uint32
	rtp       chan got
	rtcp      chan rtcp.Packet // what the server sent about up's stream
	connected chan struct{}    // closed once the client's side is connected
}

// tb is what the helpers need of a test: testing.TB, or the client
// process of BenchmarkGroupCallOverUDP.
type tb interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
	Errorf(format string, args ...any)
	Logf(format string, args ...any)
	Cleanup(func())
}

func newPeer(t tb, mlines int) (*peer, string) {
	t.Helper()
	m, err := rtcmedia.MediaEngine()
	if err != nil {
		t.Fatal(err)
	}
	udp, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	p := &peer{conn: &tamperConn{UDPConn: udp}, up: &rawTrack{}, rtp: make(chan got, 4096), rtcp: make(chan rtcp.Packet, 256), connected: make(chan struct{})}
	mux := ice.NewUDPMuxDefault(ice.UDPMuxParams{UDPConn: packetConn{p.conn}})
	t.Cleanup(func() { mux.Close() })
	var se webrtc.SettingEngine
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetIncludeLoopbackCandidate(true)
	se.SetICEUDPMux(mux)
	p.pc, err = webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithSettingEngine(se)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.pc.Close() })
	tr, err := p.pc.AddTransceiverFromTrack(p.up, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendrecv})
	if err != nil {
		t.Fatal(err)
	}
	p.trs = append(p.trs, tr)
	for range mlines - 1 {
		tr, err := p.pc.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly})
		if err != nil {
			t.Fatal(err)
		}
		p.trs = append(p.trs, tr)
	}
	var once sync.Once
	p.pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		if st == webrtc.PeerConnectionStateConnected {
			once.Do(func() { close(p.connected) })
		}
	})
	p.pc.OnTrack(func(tr *webrtc.TrackRemote, r *webrtc.RTPReceiver) {
		i := p.mline(r)
		if i < 0 {
			t.Errorf("a track on no m-line of ours")
			return
		}
		p.ssrcs[i].Store(uint32(tr.SSRC()))
		go func() {
			for {
				pkt, _, err := tr.ReadRTP()
				if err != nil {
					return
				}
				select {
				case p.rtp <- got{i, pkt}:
				default:
				}
			}
		}()
	})
	go func() {
		for {
			pkts, _, err := p.trs[0].Sender().ReadRTCP()
			if err != nil {
				return
			}
			for _, pkt := range pkts {
				select {
				case p.rtcp <- pkt:
				default:
				}
			}
		}
	}()
	o, err := p.pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	done := webrtc.GatheringCompletePromise(p.pc)
	if err := p.pc.SetLocalDescription(o); err != nil {
		t.Fatal(err)
	}
	<-done
	return p, p.pc.LocalDescription().SDP
}

func (p *peer) mline(r *webrtc.RTPReceiver) int {
	for i, tr := range p.trs {
		if tr.Receiver() == r {
			return i
		}
	}
	return -1
}

func (p *peer) upSSRC() uint32 {
	return uint32(p.trs[0].Sender().GetParameters().Encodings[0].SSRC)
}

// leg is the server's side of a connected leg and what it handed on.
type leg struct {
	*rtc.Leg
	packets chan []byte
}

// connect offers p's sdp to s and waits until the leg is up.
func connect(t testing.TB, s *rtc.Server, p *peer, sdp string, group bool) *leg {
	t.Helper()
	l := &leg{packets: make(chan []byte, 4096)}
	connected := make(chan struct{})
	answer, rl, err := s.Answer(sdp, testCall, group, rtc.Handlers{
		Packet: func(_ *rtc.Leg, pkt []byte) {
			select {
			case l.packets <- pkt:
			default:
			}
		},
		Connected: func(*rtc.Leg) { close(connected) },
	})
	if err != nil {
		t.Fatal(err)
	}
	l.Leg = rl
	if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-connected:
	case <-time.After(30 * time.Second): // a guard against hanging, not a timing
		t.Fatal("the leg never connected")
	}
	return l
}

// until runs try every 20 ms (a packet's worth: UDP may lose one) until
// done says so, failing after 30 s.
func until(t testing.TB, what string, try func(round int), done func() bool) {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(30 * time.Second)
	for round := 0; ; round++ {
		try(round)
		if done() {
			return
		}
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("waited 30 s for %s", what)
		}
	}
}

// upUntil sends audio up on p's m-line 0 until l hands on an audio
// packet with payload, which it checks.
func upUntil(t testing.TB, p *peer, l *leg, payload string) {
	t.Helper()
	seen := false
	until(t, "the client's audio "+payload, func(round int) {
		if err := p.up.write(rtcmedia.OpusPT, uint16(1000+round), uint32(960*round), []byte(payload)); err != nil {
			t.Logf("write: %v", err)
		}
	}, func() bool {
		for {
			select {
			case pkt := <-l.packets:
				a, err := proto.ParsePacket(pkt)
				if err != nil {
					continue // a loss report or an older packet's
				}
				if a.Call != testCall || a.Timestamp != 960*uint32(a.Seq-1000) {
					t.Fatalf("the client's audio handed on as %+v", a)
				}
				if string(a.Payload) == payload {
					seen = true
				}
			default:
				return seen
			}
		}
	})
}

func TestGroupLegMapsSlotsToMLines(t *testing.T) {
	s, _ := newServer(t)
	p, sdp := newPeer(t, rtcmedia.Slots)
	l := connect(t, s, p, sdp, true)
	if !l.Group() {
		t.Fatal("a group leg says it is not")
	}

	t.Run("slot i comes down on m-line i", func(t *testing.T) {
		first := map[int]*rtp.Packet{}
		until(t, "a packet on each m-line", func(round int) {
			for slot := range rtcmedia.Slots {
				pkt := proto.AppendGroupPacket(nil, proto.GroupAudioPacket{
					AudioPacket: proto.AudioPacket{Call: testCall, Seq: uint16(500 + round), Timestamp: uint32(round * 960), Payload: []byte{byte(slot), byte(round)}},
					Slot:        uint8(slot),
				})
				if !l.SendMedia(pkt) {
					t.Fatalf("SendMedia of slot %d failed", slot)
				}
			}
		}, func() bool {
			for {
				select {
				case g := <-p.rtp:
					if int(g.p.Payload[0]) != g.mline {
						t.Fatalf("slot %d's packet came on m-line %d", g.p.Payload[0], g.mline)
					}
					round := int(g.p.Payload[1])
					if g.p.SequenceNumber != uint16(500+round) || g.p.Timestamp != uint32(round*960) || g.p.PayloadType != rtcmedia.OpusPT {
						t.Fatalf("m-line %d: seq %d ts %d pt %d, want the speaker's %d %d and 111", g.mline, g.p.SequenceNumber, g.p.Timestamp, g.p.PayloadType, 500+round, round*960)
					}
					if first[g.mline] == nil {
						first[g.mline] = g.p
					}
				default:
					return len(first) == rtcmedia.Slots
				}
			}
		})
		ssrcs := map[uint32]bool{}
		for i := range p.ssrcs {
			ssrcs[p.ssrcs[i].Load()] = true
		}
		if len(ssrcs) != rtcmedia.Slots {
			t.Errorf("the server's 16 streams have %d SSRCs", len(ssrcs))
		}
	})

	t.Run("the client's audio goes up as audio packets", func(t *testing.T) {
		upUntil(t, p, l, "up")
	})

	t.Run("a loss report about m-line i is a group loss report about slot i", func(t *testing.T) {
		// One compound packet: about the client's own stream (ignored),
		// m-line 5's and m-line 7's; then one more about each, to know
		// that nothing else came of the first.
		if err := p.pc.WriteRTCP([]rtcp.Packet{
			rtcmedia.Report(p.upSSRC(), 1), rtcmedia.Report(p.ssrcs[5].Load(), 50), rtcmedia.Report(p.ssrcs[7].Load(), 70),
		}); err != nil {
			t.Fatal(err)
		}
		if err := p.pc.WriteRTCP([]rtcp.Packet{rtcmedia.Report(p.ssrcs[5].Load(), 99)}); err != nil {
			t.Fatal(err)
		}
		if err := p.pc.WriteRTCP([]rtcp.Packet{rtcmedia.Report(p.ssrcs[7].Load(), 98)}); err != nil {
			t.Fatal(err)
		}
		var reports []proto.GroupLossReport
		timeout := time.After(30 * time.Second) // a guard against hanging
		for len(reports) < 4 {
			select {
			case pkt := <-l.packets:
				r, err := proto.ParseGroupReport(pkt)
				if err != nil {
					if _, audio := proto.ParsePacket(pkt); audio == nil {
						continue // the previous test's audio
					}
					t.Fatalf("handed on % x, want group loss reports", pkt)
				}
				reports = append(reports, r)
			case <-timeout:
				t.Fatalf("waited 30 s for 4 reports, have %+v", reports)
			}
		}
		want := map[proto.GroupLossReport]bool{
			{Call: testCall, Slot: 5, Loss: 50}: true, {Call: testCall, Slot: 7, Loss: 70}: true,
			{Call: testCall, Slot: 5, Loss: 99}: true, {Call: testCall, Slot: 7, Loss: 98}: true,
		}
		for _, r := range reports {
			if !want[r] {
				t.Fatalf("reports %+v, want %v", reports, want)
			}
			delete(want, r)
		}
	})

	t.Run("a loss report about the client's stream names it", func(t *testing.T) {
		if !l.SendMedia(proto.AppendReport(nil, proto.LossReport{Call: testCall, Loss: 77})) {
			t.Fatal("SendMedia of a loss report failed")
		}
		timeout := time.After(30 * time.Second)
		for {
			select {
			case pkt := <-p.rtcp:
				a, ok := pkt.(*rtcp.ApplicationDefined)
				if !ok || a.Name != rtcmedia.ReportName {
					continue
				}
				if a.SSRC != p.upSSRC() || a.Data[0] != 77 {
					t.Fatalf("the report came as %+v, want SSRC %d and loss 77", a, p.upSSRC())
				}
				return
			case <-timeout:
				t.Fatal("waited 30 s for the report")
			}
		}
	})

	t.Run("packets of a 1:1 call and group reports are not sent", func(t *testing.T) {
		if l.SendMedia(proto.AppendPacket(nil, proto.AudioPacket{Call: testCall, Seq: 1})) {
			t.Error("a 1:1 audio packet was sent on a group leg")
		}
		if l.SendMedia(proto.AppendGroupReport(nil, proto.GroupLossReport{Call: testCall, Slot: 3})) {
			t.Error("a group loss report was sent to a client")
		}
	})
}

// A 1:1 leg takes no group packets.
func TestOneToOneLegTakesNoGroupPackets(t *testing.T) {
	s, _ := newServer(t)
	p, sdp := newPeer(t, 1)
	l := connect(t, s, p, sdp, false)
	if l.Group() {
		t.Fatal("a 1:1 leg says it is a group's")
	}
	if l.SendMedia(proto.AppendGroupPacket(nil, proto.GroupAudioPacket{AudioPacket: proto.AudioPacket{Call: testCall}, Slot: 0})) {
		t.Error("a group audio packet was sent on a 1:1 leg")
	}
	until(t, "the 1:1 audio", func(round int) {
		if !l.SendMedia(proto.AppendPacket(nil, proto.AudioPacket{Call: testCall, Seq: uint16(round), Payload: []byte("down")})) {
			t.Fatal("SendMedia failed")
		}
	}, func() bool {
		select {
		case g := <-p.rtp:
			return g.mline == 0 && string(g.p.Payload) == "down"
		default:
			return false
		}
	})
	upUntil(t, p, l, "up")
}

func TestAnOfferMustHaveTheMLinesOfItsCall(t *testing.T) {
	s, _ := newServer(t)
	_, one := newPeer(t, 1)
	_, sixteen := newPeer(t, rtcmedia.Slots)
	_, two := newPeer(t, 2)
	for _, c := range []struct {
		name  string
		sdp   string
		group bool
	}{
		{"one m-line for a group call", one, true},
		{"two m-lines for a group call", two, true},
		{"16 m-lines for a 1:1 call", sixteen, false},
		{"two m-lines for a 1:1 call", two, false},
	} {
		if _, _, err := s.Answer(c.sdp, testCall, c.group, rtc.Handlers{}); !errors.Is(err, rtc.ErrBadOffer) {
			t.Errorf("%s: %v, want ErrBadOffer", c.name, err)
		}
	}
	if n := s.Legs(); n != 0 {
		t.Errorf("%d legs after bad offers, want 0", n)
	}
}

// Garbage, tampered SRTP, RTP that does not parse and RTP of another
// payload type are dropped and counted, and the leg goes on carrying
// audio both ways.
func TestBadInputIsDroppedAndCounted(t *testing.T) {
	s, d := newServer(t)
	p, sdp := newPeer(t, rtcmedia.Slots)
	l := connect(t, s, p, sdp, true)
	server := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: s.Port()}
	stranger, err := net.DialUDP("udp4", nil, server)
	if err != nil {
		t.Fatal(err)
	}
	defer stranger.Close()

	dropped := func(reason string) func() bool { return func() bool { return d.get(reason) > 0 } }
	until(t, "garbage from a stranger to be counted", func(int) {
		stranger.Write([]byte("garbage, not a packet of any leg"))
	}, dropped(rtc.DropUnknownSender))
	until(t, "garbage from the client's address to be counted", func(int) {
		p.conn.UDPConn.WriteTo([]byte{0xff, 0xfe, 0xfd, 0xfc}, server)   // none of STUN, DTLS, RTP
		p.conn.UDPConn.WriteTo([]byte{0x80, rtcmedia.OpusPT, 0}, server) // RTP too short for its header
	}, dropped(rtc.DropMalformedRTP))
	until(t, "tampered SRTP to be counted", func(round int) {
		p.conn.tamper.Store(1)
		p.up.write(rtcmedia.OpusPT, uint16(200+round), 0, []byte("tampered"))
	}, dropped(rtc.DropSRTPAuth))
	until(t, "RTP of payload type 0 to be counted", func(round int) {
		p.up.write(0, uint16(400+round), 0, []byte("pcmu"))
	}, dropped(rtc.DropPayloadType))

	upUntil(t, p, l, "still up")
	for {
		select {
		case pkt := <-l.packets:
			if a, err := proto.ParsePacket(pkt); err == nil && string(a.Payload) != "still up" {
				t.Fatalf("a dropped packet was handed on: %+v", a)
			}
			continue
		default:
		}
		break
	}
	until(t, "audio down after the bad input", func(round int) {
		l.SendMedia(proto.AppendGroupPacket(nil, proto.GroupAudioPacket{AudioPacket: proto.AudioPacket{Call: testCall, Seq: uint16(round), Payload: []byte("down")}, Slot: 3}))
	}, func() bool {
		for {
			select {
			case g := <-p.rtp:
				if g.mline == 3 && string(g.p.Payload) == "down" {
					return true
				}
			default:
				return false
			}
		}
	})
	if s.Legs() != 1 {
		t.Fatalf("%d legs, want the one", s.Legs())
	}
}

// BenchmarkGroupLegSendMedia is the server's cost of forwarding one group
// audio packet (an 80-byte Opus frame, 32 kb/s) to one UDP group leg:
// the packet to RTP on its m-line's track, SRTP, the write to the socket.
// In an 8-person call each of the 8 sends 50 packets a second and the
// server writes each to the 7 others: 2,800 of these a second. cpu-ns/op
// is the process's CPU time (the client only receives the datagrams).
func BenchmarkGroupLegSendMedia(b *testing.B) {
	s, _ := newServer(b)
	p, sdp := newPeer(b, rtcmedia.Slots)
	l := connect(b, s, p, sdp, true)
	p.conn.discard.Store(true)
	var pkts [][]byte
	for slot := 1; slot <= 7; slot++ {
		pkts = append(pkts, proto.AppendGroupPacket(nil, proto.GroupAudioPacket{
			AudioPacket: proto.AudioPacket{Call: testCall, Seq: 1, Timestamp: 960, Payload: make([]byte, 80)}, Slot: uint8(slot),
		}))
	}
	start := cpuTime(b)
	i := 0
	for b.Loop() {
		if !l.SendMedia(pkts[i%len(pkts)]) {
			b.Fatal("SendMedia failed")
		}
		i++
	}
	b.ReportMetric(float64((cpuTime(b)-start).Nanoseconds())/float64(i), "cpu-ns/op")
}

func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
