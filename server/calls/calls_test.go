package calls

import (
	"bytes"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"parley/net/proto"
)

// fakeConn records what the switchboard sends to one connection.
type fakeConn struct {
	name string

	mu     sync.Mutex
	pushes []proto.Frame
	media  [][]byte
	full   bool // SendMedia refuses, like a connection that is behind
}

func (c *fakeConn) Push(frame []byte) {
	f, err := proto.DecodeFrame(frame)
	if err != nil {
		panic(err)
	}
	c.mu.Lock()
	c.pushes = append(c.pushes, f)
	c.mu.Unlock()
}

func (c *fakeConn) SendMedia(pkt []byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.full {
		return false
	}
	c.media = append(c.media, pkt)
	return true
}

// take returns and forgets the pushes so far.
func (c *fakeConn) take() []proto.Frame {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.pushes
	c.pushes = nil
	return p
}

type fakeDir map[proto.UserID][]Conn

func (d fakeDir) Devices(u proto.UserID) []Conn { return d[u] }

type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

// board is a switchboard with two users, Li (one device) and Wang (two).
type board struct {
	t          *testing.T
	s          *Service
	clk        *clock
	li, wang   proto.User
	zhao       proto.User
	liC        *fakeConn
	wangPhone  *fakeConn
	wangLaptop *fakeConn
	zhaoC      *fakeConn
	ended      []string
}

func newBoard(t *testing.T) *board {
	b := &board{
		t: t, clk: &clock{t: time.Unix(1_800_000_000, 0)},
		li: proto.User{ID: 4821, Name: "李华"}, wang: proto.User{ID: 1234, Name: "Wang"}, zhao: proto.User{ID: 5555, Name: "Zhao"},
		liC: &fakeConn{name: "li"}, wangPhone: &fakeConn{name: "wang phone"}, wangLaptop: &fakeConn{name: "wang laptop"}, zhaoC: &fakeConn{name: "zhao"},
	}
	dir := fakeDir{
		b.li.ID:   {b.liC},
		b.wang.ID: {b.wangPhone, b.wangLaptop},
		b.zhao.ID: {b.zhaoC},
	}
	b.s = New(Config{Devices: dir, Now: b.clk.now, Sweep: -1, OnEnd: func(r string) { b.ended = append(b.ended, r) }})
	return b
}

// liCallsWang rings Wang's two devices and returns the call.
func (b *board) liCallsWang() proto.CallID {
	b.t.Helper()
	r, err := b.s.Call(b.liC, b.li, b.wang, nil)
	if err != nil {
		b.t.Fatalf("call: %v", err)
	}
	if r.Peer != b.wang || r.Call == 0 {
		b.t.Fatalf("call reply %+v", r)
	}
	for _, d := range []*fakeConn{b.wangPhone, b.wangLaptop} {
		var in proto.CallIncoming
		only(b.t, d, proto.TypeCallIncoming, &in)
		if in.Call != r.Call || in.From != b.li || len(in.Codecs) != 1 || in.Codecs[0] != "g722" {
			b.t.Fatalf("%s rang with %+v", d.name, in)
		}
	}
	return r.Call
}

// answered has Wang answer on the phone.
func (b *board) answered() proto.CallID {
	b.t.Helper()
	id := b.liCallsWang()
	r, err := b.s.Accept(b.wangPhone, b.wang.ID, id, "")
	if err != nil {
		b.t.Fatalf("accept: %v", err)
	}
	if r.Peer != b.li || r.Codec != "g722" {
		b.t.Fatalf("accept reply %+v", r)
	}
	only(b.t, b.liC, proto.TypeCallAccepted, nil)
	only(b.t, b.wangLaptop, proto.TypeCallEnd, nil)
	return id
}

// only checks that c got exactly one push, of type typ, and decodes it.
func only(t *testing.T, c *fakeConn, typ string, body any) {
	t.Helper()
	ps := c.take()
	if len(ps) != 1 || ps[0].Type != typ {
		t.Fatalf("%s got %v, want one %s", c.name, types(ps), typ)
	}
	if body != nil {
		if err := json.Unmarshal(ps[0].Body, body); err != nil {
			t.Fatal(err)
		}
	}
}

// ends checks that c got exactly one call_end, with reason and by.
func ends(t *testing.T, c *fakeConn, id proto.CallID, reason string, by proto.UserID) proto.CallEnd {
	t.Helper()
	var e proto.CallEnd
	only(t, c, proto.TypeCallEnd, &e)
	if e.Call != id || e.Reason != reason || e.By != by {
		t.Fatalf("%s: call_end %+v, want call %d reason %s by %d", c.name, e, id, reason, by)
	}
	return e
}

func quiet(t *testing.T, cs ...*fakeConn) {
	t.Helper()
	for _, c := range cs {
		if ps := c.take(); len(ps) > 0 {
			t.Fatalf("%s got unexpected %v", c.name, types(ps))
		}
	}
}

func types(fs []proto.Frame) []string {
	var ts []string
	for _, f := range fs {
		ts = append(ts, f.Type+string(f.Body))
	}
	return ts
}

func code(t *testing.T, err error, want proto.Code) {
	t.Helper()
	if got := proto.CodeOf(err); got != want {
		t.Fatalf("error %v, want code %s", err, want)
	}
}

// free checks that nobody is left in a call: both can call again at once.
func (b *board) free() {
	b.t.Helper()
	for _, u := range []proto.User{b.li, b.wang} {
		if b.s.InCall(u.ID) {
			b.t.Fatalf("%s is still in a call", u.Name)
		}
	}
	if r, a := b.s.Counts(); r+a != 0 || len(b.s.byConn) != 0 {
		b.t.Fatalf("calls left: %d ringing, %d answered, %d connections", r, a, len(b.s.byConn))
	}
	id := b.liCallsWang()
	if err := b.s.Hangup(b.liC, b.li.ID, id, ""); err != nil {
		b.t.Fatal(err)
	}
	b.liC.take()
	b.wangPhone.take()
	b.wangLaptop.take()
}

func packet(id proto.CallID, seq uint16) []byte {
	return proto.AppendPacket(nil, proto.AudioPacket{Call: id, Seq: seq, Timestamp: uint32(seq) * 960, Payload: []byte{1, 2, 3}})
}

func TestFirstAcceptWinsAndOtherDevicesStopRinging(t *testing.T) {
	b := newBoard(t)
	id := b.liCallsWang()
	if _, err := b.s.Accept(b.wangPhone, b.wang.ID, id, ""); err != nil {
		t.Fatal(err)
	}
	var acc proto.CallAccepted
	only(t, b.liC, proto.TypeCallAccepted, &acc)
	if acc.Call != id || acc.Codec != "g722" {
		t.Fatalf("accepted %+v", acc)
	}
	ends(t, b.wangLaptop, id, proto.EndAnsweredElsewhere, b.wang.ID)
	quiet(t, b.wangPhone)

	// The laptop's late accept loses.
	_, err := b.s.Accept(b.wangLaptop, b.wang.ID, id, "")
	code(t, err, proto.CodeNoSuchCall)

	// Hang-up: both sides are told, with the duration.
	b.clk.advance(3*time.Minute + 41*time.Second)
	if err := b.s.Hangup(b.liC, b.li.ID, id, ""); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*fakeConn{b.liC, b.wangPhone} {
		if e := ends(t, c, id, proto.EndHangup, b.li.ID); e.DurationMs != 221_000 {
			t.Fatalf("duration %d ms, want 221000", e.DurationMs)
		}
	}
	quiet(t, b.wangLaptop)
	b.free()
}

// A party whose sound devices fail ends the call with no_audio: the
// server passes the reason on, so the other person learns why.
func TestAHangUpWithoutSoundSaysSoToBothSides(t *testing.T) {
	b := newBoard(t)
	id := b.liCallsWang()
	code(t, b.s.Hangup(b.wangPhone, b.wang.ID, id, "bored"), proto.CodeBadRequest)
	quiet(t, b.liC, b.wangPhone, b.wangLaptop)

	// The callee's device fails as it answers: no_audio, not declined.
	if err := b.s.Hangup(b.wangPhone, b.wang.ID, id, proto.EndNoAudio); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*fakeConn{b.liC, b.wangPhone, b.wangLaptop} {
		ends(t, c, id, proto.EndNoAudio, b.wang.ID)
	}
	b.free()

	// Once answered: the caller's devices fail mid-call.
	id = b.liCallsWang()
	if _, err := b.s.Accept(b.wangLaptop, b.wang.ID, id, ""); err != nil {
		t.Fatal(err)
	}
	b.liC.take()
	b.wangPhone.take()
	b.clk.advance(time.Second)
	if err := b.s.Hangup(b.liC, b.li.ID, id, proto.EndNoAudio); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*fakeConn{b.liC, b.wangLaptop} {
		if e := ends(t, c, id, proto.EndNoAudio, b.li.ID); e.DurationMs != 1000 {
			t.Fatalf("duration %d ms, want 1000", e.DurationMs)
		}
	}
	b.free()
}

func TestADeviceLoggingInWhileACallRingsRingsToo(t *testing.T) {
	b := newBoard(t)
	id := b.liCallsWang()
	tablet := &fakeConn{name: "wang tablet"}
	b.s.Online(tablet, b.wang.ID)
	var in proto.CallIncoming
	only(t, tablet, proto.TypeCallIncoming, &in)
	if in.Call != id || in.From != b.li || len(in.Codecs) != 1 || in.Codecs[0] != "g722" {
		t.Fatalf("the tablet rang with %+v", in)
	}
	b.s.Online(tablet, b.wang.ID) // logged in twice: rings once
	quiet(t, tablet)
	// Not the caller's other devices, nor anyone else's.
	liLaptop, zhaoPhone := &fakeConn{name: "li laptop"}, &fakeConn{name: "zhao phone"}
	b.s.Online(liLaptop, b.li.ID)
	b.s.Online(zhaoPhone, b.zhao.ID)
	quiet(t, liLaptop, zhaoPhone, b.liC, b.wangPhone, b.wangLaptop)

	// The tablet answers; the devices that rang first stop ringing.
	if _, err := b.s.Accept(tablet, b.wang.ID, id, ""); err != nil {
		t.Fatal(err)
	}
	only(t, b.liC, proto.TypeCallAccepted, nil)
	ends(t, b.wangPhone, id, proto.EndAnsweredElsewhere, b.wang.ID)
	ends(t, b.wangLaptop, id, proto.EndAnsweredElsewhere, b.wang.ID)

	// Once answered, a device logging in does not ring.
	late := &fakeConn{name: "wang desktop"}
	b.s.Online(late, b.wang.ID)
	quiet(t, late)
	if err := b.s.Hangup(tablet, b.wang.ID, id, ""); err != nil {
		t.Fatal(err)
	}
	ends(t, b.liC, id, proto.EndHangup, b.wang.ID)
	ends(t, tablet, id, proto.EndHangup, b.wang.ID)
	b.free()
}

func TestALateDeviceIsToldWhenTheRingingStops(t *testing.T) {
	b := newBoard(t)
	id := b.liCallsWang()
	tablet := &fakeConn{name: "wang tablet"}
	b.s.Online(tablet, b.wang.ID)
	only(t, tablet, proto.TypeCallIncoming, nil)
	// Wang's first two devices go away: the tablet still rings.
	b.s.Gone(b.wangPhone)
	b.s.Gone(b.wangLaptop)
	quiet(t, b.liC, tablet)
	b.clk.advance(proto.CallRingTimeout)
	b.s.Expire()
	ends(t, tablet, id, proto.EndNoAnswer, b.wang.ID)
	ends(t, b.liC, id, proto.EndNoAnswer, b.wang.ID)
	b.free()
}

func TestOutcomesEndCleanlyOnBothSides(t *testing.T) {
	cases := []struct {
		name   string
		act    func(b *board, id proto.CallID)
		reason string
		by     func(b *board) proto.UserID
	}{
		{"declined", func(b *board, id proto.CallID) {
			if err := b.s.Decline(b.wangLaptop, b.wang.ID, id); err != nil {
				b.t.Fatal(err)
			}
		}, proto.EndDeclined, func(b *board) proto.UserID { return b.wang.ID }},
		{"callee hangs up while ringing: declined", func(b *board, id proto.CallID) {
			if err := b.s.Hangup(b.wangPhone, b.wang.ID, id, ""); err != nil {
				b.t.Fatal(err)
			}
		}, proto.EndDeclined, func(b *board) proto.UserID { return b.wang.ID }},
		{"caller cancels", func(b *board, id proto.CallID) {
			if err := b.s.Hangup(b.liC, b.li.ID, id, ""); err != nil {
				b.t.Fatal(err)
			}
		}, proto.EndCancelled, func(b *board) proto.UserID { return b.li.ID }},
		{"no answer after 30 s", func(b *board, id proto.CallID) {
			b.clk.advance(proto.CallRingTimeout - time.Millisecond)
			if n := b.s.Expire(); n != 1 {
				b.t.Fatalf("%d calls before the timeout, want 1", n)
			}
			quiet(b.t, b.liC, b.wangPhone, b.wangLaptop)
			b.clk.advance(time.Millisecond)
			if n := b.s.Expire(); n != 0 {
				b.t.Fatalf("%d calls after the timeout", n)
			}
		}, proto.EndNoAnswer, func(b *board) proto.UserID { return b.wang.ID }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := newBoard(t)
			id := b.liCallsWang()
			tc.act(b, id)
			for _, c := range []*fakeConn{b.liC, b.wangPhone, b.wangLaptop} {
				if e := ends(t, c, id, tc.reason, tc.by(b)); e.DurationMs != 0 {
					t.Fatalf("unanswered call has duration %d", e.DurationMs)
				}
			}
			if len(b.ended) != 1 || b.ended[0] != tc.reason {
				t.Fatalf("OnEnd got %v", b.ended)
			}
			b.free()
		})
	}
}

func TestBusyOfflineSelfAndInCall(t *testing.T) {
	b := newBoard(t)
	b.answered()

	_, err := b.s.Call(b.zhaoC, b.zhao, b.wang, nil)
	code(t, err, proto.CodeBusy)
	_, err = b.s.Call(b.zhaoC, b.zhao, b.li, nil)
	code(t, err, proto.CodeBusy)
	_, err = b.s.Call(b.wangLaptop, b.wang, b.zhao, nil) // Wang's other device
	code(t, err, proto.CodeInCall)
	_, err = b.s.Call(b.zhaoC, b.zhao, b.zhao, nil)
	code(t, err, proto.CodeSelf)
	_, err = b.s.Call(b.zhaoC, b.zhao, proto.User{ID: 7777, Name: "Nobody online"}, nil)
	code(t, err, proto.CodeOffline)
	_, err = b.s.Call(b.zhaoC, b.zhao, proto.User{ID: 7777}, []string{""})
	code(t, err, proto.CodeBadRequest)
	quiet(t, b.liC, b.wangPhone, b.wangLaptop, b.zhaoC)
	if b.s.InCall(b.zhao.ID) {
		t.Fatal("a refused call left Zhao in a call")
	}
}

func TestOnlyTheCalleeAnswersWithAnOfferedCodec(t *testing.T) {
	b := newBoard(t)
	r, err := b.s.Call(b.liC, b.li, b.wang, []string{"opus", "g722"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.s.Accept(b.zhaoC, b.zhao.ID, r.Call, "")
	code(t, err, proto.CodeNoSuchCall)
	_, err = b.s.Accept(b.liC, b.li.ID, r.Call, "")
	code(t, err, proto.CodeNoSuchCall)
	err = b.s.Decline(b.zhaoC, b.zhao.ID, r.Call)
	code(t, err, proto.CodeNoSuchCall)
	err = b.s.Hangup(b.zhaoC, b.zhao.ID, r.Call, "")
	code(t, err, proto.CodeNoSuchCall)
	_, err = b.s.Accept(b.wangPhone, b.wang.ID, r.Call, "speex")
	code(t, err, proto.CodeBadRequest)
	a, err := b.s.Accept(b.wangPhone, b.wang.ID, r.Call, "g722")
	if err != nil || a.Codec != "g722" {
		t.Fatalf("accept g722: %+v %v", a, err)
	}
}

func TestDroppedConnection(t *testing.T) {
	t.Run("caller goes away while ringing", func(t *testing.T) {
		b := newBoard(t)
		id := b.liCallsWang()
		b.s.Gone(b.liC)
		ends(t, b.wangPhone, id, proto.EndDropped, b.li.ID)
		ends(t, b.wangLaptop, id, proto.EndDropped, b.li.ID)
		quiet(t, b.liC)
		b.free()
	})
	t.Run("one ringing device goes away, the other still rings", func(t *testing.T) {
		b := newBoard(t)
		id := b.liCallsWang()
		b.s.Gone(b.wangLaptop)
		quiet(t, b.liC, b.wangPhone)
		b.s.Gone(b.wangPhone) // the last one: nobody can answer
		ends(t, b.liC, id, proto.EndDropped, b.wang.ID)
		b.free()
	})
	t.Run("callee's connection closes mid-call", func(t *testing.T) {
		b := newBoard(t)
		id := b.answered()
		b.clk.advance(10 * time.Second)
		b.s.Gone(b.wangPhone)
		if e := ends(t, b.liC, id, proto.EndDropped, b.wang.ID); e.DurationMs != 10_000 {
			t.Fatalf("duration %d", e.DurationMs)
		}
		quiet(t, b.wangPhone, b.wangLaptop)
		b.free()
	})
	t.Run("caller falls silent mid-call", func(t *testing.T) {
		b := newBoard(t)
		id := b.answered()
		for i := range 200 { // 4 s of audio both ways
			b.clk.advance(20 * time.Millisecond)
			b.s.Media(b.liC, packet(id, uint16(i)))
			b.s.Media(b.wangPhone, packet(id, uint16(i)))
			b.s.Expire()
		}
		quiet(t, b.liC, b.wangPhone)
		// Li's network dies without a close: only Wang's packets come.
		for i := 200; i < 400; i++ {
			b.clk.advance(20 * time.Millisecond)
			b.s.Media(b.wangPhone, packet(id, uint16(i)))
			if b.s.Expire() == 0 {
				if silent := time.Duration(i-199) * 20 * time.Millisecond; silent != proto.CallMediaTimeout {
					t.Fatalf("ended after %v of silence, want %v", silent, proto.CallMediaTimeout)
				}
				ends(t, b.wangPhone, id, proto.EndDropped, b.li.ID)
				b.free()
				return
			}
		}
		t.Fatal("a silent party never ended the call")
	})
	t.Run("nobody sends anything after the answer", func(t *testing.T) {
		b := newBoard(t)
		id := b.answered()
		b.clk.advance(proto.CallMediaTimeout)
		b.s.Expire()
		ends(t, b.liC, id, proto.EndDropped, b.li.ID)
		ends(t, b.wangPhone, id, proto.EndDropped, b.li.ID)
		b.free()
	})
}

func TestOnlyThePartiesSendMedia(t *testing.T) {
	b := newBoard(t)
	id := b.liCallsWang()
	if r := b.s.Media(b.liC, packet(id, 1)); r != NotInCall {
		t.Fatalf("media before the answer: %v", r)
	}
	if _, err := b.s.Accept(b.wangPhone, b.wang.ID, id, ""); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		from *fakeConn
		pkt  []byte
		want Relay
	}{
		{b.liC, packet(id, 2), Relayed},
		{b.wangPhone, packet(id, 2), Relayed},
		{b.wangLaptop, packet(id, 3), NotInCall}, // the callee's other device
		{b.zhaoC, packet(id, 3), NotInCall},      // a stranger
		{b.liC, packet(id+1, 3), NotInCall},      // a party, another call's id
		{b.liC, []byte{0x11, 0, 0}, Malformed},
		{b.liC, []byte("{\"type\":\"ping\"}"), Malformed},
	}
	for i, c := range cases {
		if got := b.s.Media(c.from, c.pkt); got != c.want {
			t.Fatalf("case %d from %s: %v, want %v", i, c.from.name, got, c.want)
		}
	}
	if len(b.wangPhone.media) != 1 || len(b.liC.media) != 1 || len(b.wangLaptop.media) != 0 || len(b.zhaoC.media) != 0 {
		t.Fatal("media went to the wrong connections")
	}
	if p, _ := proto.ParsePacket(b.wangPhone.media[0]); p.Seq != 2 || p.Call != id {
		t.Fatalf("relayed packet %+v", p)
	}
	b.wangPhone.full = true
	if r := b.s.Media(b.liC, packet(id, 4)); r != PeerSlow {
		t.Fatalf("to a slow peer: %v", r)
	}
}

// A loss report travels like audio: relayed unchanged to the other party,
// only within the call, and a sign of life of its sender.
func TestLossReportsAreRelayedLikeAudio(t *testing.T) {
	b := newBoard(t)
	id := b.answered()
	report := proto.AppendReport(nil, proto.LossReport{Call: id, Loss: 26})
	if r := b.s.Media(b.wangPhone, report); r != Relayed {
		t.Fatalf("a report from the callee: %v", r)
	}
	if len(b.liC.media) != 1 || !bytes.Equal(b.liC.media[0], report) {
		t.Fatalf("the caller got %x, want the report % x", b.liC.media, report)
	}
	if r := b.s.Media(b.zhaoC, report); r != NotInCall {
		t.Fatalf("a report from a stranger: %v", r)
	}
	if r := b.s.Media(b.liC, proto.AppendReport(nil, proto.LossReport{Call: id + 1})); r != NotInCall {
		t.Fatalf("a report for another call: %v", r)
	}
	if r := b.s.Media(b.liC, report[:5]); r != Malformed {
		t.Fatalf("a truncated report: %v", r)
	}
	// Only reports from the callee for 3 s and more: still alive.
	b.clk.advance(proto.CallMediaTimeout - time.Second)
	b.s.Media(b.wangPhone, report)
	b.s.Media(b.liC, packet(id, 1))
	b.clk.advance(time.Second + time.Millisecond)
	if b.s.Expire() != 1 {
		t.Fatal("a party that sent a report was taken for dead")
	}
}

func TestMediaOnASecondConnection(t *testing.T) {
	b := newBoard(t)
	id := b.answered()
	liMedia, wangMedia := &fakeConn{name: "li media"}, &fakeConn{name: "wang media"}
	if err := b.s.AttachMedia(liMedia, b.li.ID, id); err != nil {
		t.Fatal(err)
	}
	if err := b.s.AttachMedia(wangMedia, b.wang.ID, id); err != nil {
		t.Fatal(err)
	}
	code(t, b.s.AttachMedia(&fakeConn{}, b.zhao.ID, id), proto.CodeNoSuchCall)
	if r := b.s.Media(liMedia, packet(id, 1)); r != Relayed || len(wangMedia.media) != 1 || len(b.wangPhone.media) != 0 {
		t.Fatalf("relay to the attached connection: %v", r)
	}
	// The media connection's death ends the call; everyone else is told.
	b.s.Gone(wangMedia)
	ends(t, b.liC, id, proto.EndDropped, b.wang.ID)
	ends(t, liMedia, id, proto.EndDropped, b.wang.ID)
	ends(t, b.wangPhone, id, proto.EndDropped, b.wang.ID)
	b.free()

	// The callee cannot attach before answering; the caller can.
	id = b.liCallsWang()
	code(t, b.s.AttachMedia(wangMedia, b.wang.ID, id), proto.CodeNoSuchCall)
	if err := b.s.AttachMedia(liMedia, b.li.ID, id); err != nil {
		t.Fatal(err)
	}
}

func TestSweeperEndsUnansweredCalls(t *testing.T) {
	ended := make(chan string, 1)
	li, wang := &fakeConn{name: "li"}, &fakeConn{name: "wang"}
	s := New(Config{
		Devices:     fakeDir{2: {wang}},
		RingTimeout: time.Millisecond, Sweep: time.Millisecond,
		OnEnd: func(r string) { ended <- r },
	})
	if _, err := s.Call(li, proto.User{ID: 1}, proto.User{ID: 2}, nil); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-ended:
		if r != proto.EndNoAnswer {
			t.Fatalf("ended %s", r)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the sweeper never ended the call")
	}
}

// BenchmarkRelay is the switchboard's cost per audio packet: parse the
// header, check the sender, pick the peer (without the WebSocket).
func BenchmarkRelay(b *testing.B) {
	li, wang := &fakeConn{name: "li"}, &discard{}
	s := New(Config{Devices: fakeDir{2: {wang}}, Sweep: -1, Flood: Flood{Rate: -1}})
	r, err := s.Call(li, proto.User{ID: 1}, proto.User{ID: 2}, nil)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.Accept(wang, 2, r.Call, ""); err != nil {
		b.Fatal(err)
	}
	pkt := proto.AppendPacket(nil, proto.AudioPacket{Call: r.Call, Payload: make([]byte, 160)})
	b.ReportAllocs()
	for b.Loop() {
		for range 1000 {
			if s.Media(li, pkt) != Relayed {
				b.Fatal("not relayed")
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*1000), "ns/packet")
}

type discard struct{}

func (discard) Push([]byte)           {}
func (discard) SendMedia([]byte) bool { return true }
