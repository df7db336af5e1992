package calls_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"parley/net/client"
	"parley/net/proto"
	"parley/server/calls/callstest"
)

// These tests run calls through a real server (storage, hub, WebSocket)
// whose clock the test moves.

type people struct {
	srv            *callstest.Server
	li, wang, zhao callstest.Account
	liC, wangPhone *callstest.Client
	wangLaptop     *callstest.Client
	zhaoC          *callstest.Client
}

func meet(t *testing.T) *people {
	s := callstest.Start(t)
	p := &people{srv: s, li: s.Register(t, "李华"), wang: s.Register(t, "Wang"), zhao: s.Register(t, "Zhao")}
	p.liC = s.Login(t, p.li)
	p.wangPhone = s.Login(t, p.wang)
	p.wangLaptop = s.Login(t, p.wang)
	p.zhaoC = s.Login(t, p.zhao)
	return p
}

// ring has caller call callee and checks that every device given rings.
func ring(t *testing.T, caller *callstest.Client, callee proto.UserID, devices ...*callstest.Client) proto.CallID {
	t.Helper()
	var r proto.CallReply
	if err := caller.Do(proto.TypeCall, proto.CallRequest{User: callee, Codecs: []string{"g722"}}, &r); err != nil {
		t.Fatalf("call %d: %v", callee, err)
	}
	for _, d := range devices {
		var in proto.CallIncoming
		d.Next(proto.TypeCallIncoming, &in)
		if in.Call != r.Call || in.From != caller.User {
			t.Fatalf("rang with %+v, want call %d from %+v", in, r.Call, caller.User)
		}
	}
	return r.Call
}

func accept(t *testing.T, c *callstest.Client, id proto.CallID) {
	t.Helper()
	var r proto.CallAcceptReply
	if err := c.Do(proto.TypeCallAccept, proto.CallAcceptRequest{Call: id}, &r); err != nil {
		t.Fatalf("accept: %v", err)
	}
	if r.Codec != "g722" {
		t.Fatalf("accept reply %+v", r)
	}
}

func wantEnd(t *testing.T, c *callstest.Client, id proto.CallID, reason string, by proto.UserID) proto.CallEnd {
	t.Helper()
	e := c.NextEnd()
	if e.Call != id || e.Reason != reason || e.By != by {
		t.Fatalf("user %d: call_end %+v, want call %d %s by %d", c.User.ID, e, id, reason, by)
	}
	return e
}

func wantCode(t *testing.T, err error, code proto.Code) {
	t.Helper()
	if proto.CodeOf(err) != code {
		t.Fatalf("got %v, want %s", err, code)
	}
}

func audio(id proto.CallID, seq uint16, payload string) []byte {
	return proto.AppendPacket(nil, proto.AudioPacket{Call: id, Seq: seq, Timestamp: uint32(seq) * 960, Payload: []byte(payload)})
}

// hears waits for the packet with the given payload.
func hears(t *testing.T, c *callstest.Client, id proto.CallID, payload string) {
	t.Helper()
	select {
	case b := <-c.Packets():
		p, err := proto.ParsePacket(b)
		if err != nil || p.Call != id || string(p.Payload) != payload {
			t.Fatalf("user %d heard %x, want %q of call %d", c.User.ID, b, payload, id)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("user %d heard nothing", c.User.ID)
	}
}

// canCallAgain checks that no stale busy state survived: a and b call
// each other at once, and hang up.
func canCallAgain(t *testing.T, a, b *callstest.Client, bDevices ...*callstest.Client) {
	t.Helper()
	id := ring(t, a, b.User.ID, bDevices...)
	if err := a.Do(proto.TypeCallHangup, proto.CallRef{Call: id}, nil); err != nil {
		t.Fatal(err)
	}
	wantEnd(t, a, id, proto.EndCancelled, a.User.ID)
	for _, d := range bDevices {
		wantEnd(t, d, id, proto.EndCancelled, a.User.ID)
	}
}

func TestCallRingsEveryDeviceFirstAcceptWinsThenBothHangUpCleanly(t *testing.T) {
	p := meet(t)
	id := ring(t, p.liC, p.wang.ID, p.wangPhone, p.wangLaptop)

	accept(t, p.wangLaptop, id)
	var acc proto.CallAccepted
	p.liC.Next(proto.TypeCallAccepted, &acc)
	if acc.Call != id || acc.Codec != "g722" {
		t.Fatalf("accepted %+v", acc)
	}
	wantEnd(t, p.wangPhone, id, proto.EndAnsweredElsewhere, p.wang.ID)
	err := p.wangPhone.Do(proto.TypeCallAccept, proto.CallAcceptRequest{Call: id}, nil)
	wantCode(t, err, proto.CodeNoSuchCall)

	// Audio flows both ways, to the device that answered only.
	if err := p.liC.Send(audio(id, 1, "from li")); err != nil {
		t.Fatal(err)
	}
	hears(t, p.wangLaptop, id, "from li")
	if err := p.wangLaptop.Send(audio(id, 1, "from wang")); err != nil {
		t.Fatal(err)
	}
	hears(t, p.liC, id, "from wang")

	p.srv.Clock.Advance(2*time.Minute + 13*time.Second)
	if err := p.wangLaptop.Do(proto.TypeCallHangup, proto.CallRef{Call: id}, nil); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*callstest.Client{p.liC, p.wangLaptop} {
		if e := wantEnd(t, c, id, proto.EndHangup, p.wang.ID); e.DurationMs != 133_000 {
			t.Fatalf("duration %d ms, want 133000", e.DurationMs)
		}
	}
	p.wangPhone.NoPush()
	canCallAgain(t, p.wangPhone, p.liC, p.liC)
	canCallAgain(t, p.liC, p.wangPhone, p.wangPhone, p.wangLaptop)
}

func TestBusyOfflineUnknownAndSelf(t *testing.T) {
	p := meet(t)
	id := ring(t, p.liC, p.wang.ID, p.wangPhone, p.wangLaptop)
	accept(t, p.wangPhone, id)

	err := p.zhaoC.Do(proto.TypeCall, proto.CallRequest{User: p.wang.ID}, nil)
	wantCode(t, err, proto.CodeBusy)
	err = p.zhaoC.Do(proto.TypeCall, proto.CallRequest{User: p.li.ID}, nil)
	wantCode(t, err, proto.CodeBusy)
	err = p.wangLaptop.Do(proto.TypeCall, proto.CallRequest{User: p.zhao.ID}, nil)
	wantCode(t, err, proto.CodeInCall)
	err = p.zhaoC.Do(proto.TypeCall, proto.CallRequest{User: p.zhao.ID}, nil)
	wantCode(t, err, proto.CodeSelf)
	err = p.zhaoC.Do(proto.TypeCall, proto.CallRequest{User: 99_999_999}, nil)
	wantCode(t, err, proto.CodeNoSuchUser)
	offline := p.srv.Register(t, "Sun, not logged in")
	err = p.zhaoC.Do(proto.TypeCall, proto.CallRequest{User: offline.ID}, nil)
	wantCode(t, err, proto.CodeOffline)

	unauthed := p.srv.Dial(t)
	err = unauthed.Do(proto.TypeCall, proto.CallRequest{User: p.li.ID}, nil)
	wantCode(t, err, proto.CodeUnauthenticated)
	p.zhaoC.NoPush()
}

// call_hangup with reason no_audio, as the wire carries it: everyone in
// the call learns whose sound failed; any other reason is refused.
func TestAHangUpForNoAudioReachesEveryone(t *testing.T) {
	p := meet(t)
	id := ring(t, p.liC, p.wang.ID, p.wangPhone, p.wangLaptop)
	err := p.wangPhone.Do(proto.TypeCallHangup, proto.CallHangupRequest{Call: id, Reason: "bored"}, nil)
	wantCode(t, err, proto.CodeBadRequest)
	if err := p.wangPhone.Do(proto.TypeCallHangup, proto.CallHangupRequest{Call: id, Reason: proto.EndNoAudio}, nil); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*callstest.Client{p.liC, p.wangPhone, p.wangLaptop} {
		wantEnd(t, c, id, proto.EndNoAudio, p.wang.ID)
	}
	canCallAgain(t, p.wangLaptop, p.liC, p.liC)
}

func TestDeclineCancelAndNoAnswer(t *testing.T) {
	p := meet(t)

	id := ring(t, p.liC, p.wang.ID, p.wangPhone, p.wangLaptop)
	if err := p.wangPhone.Do(proto.TypeCallDecline, proto.CallRef{Call: id}, nil); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*callstest.Client{p.liC, p.wangPhone, p.wangLaptop} {
		wantEnd(t, c, id, proto.EndDeclined, p.wang.ID)
	}

	id = ring(t, p.liC, p.wang.ID, p.wangPhone, p.wangLaptop)
	if err := p.liC.Do(proto.TypeCallHangup, proto.CallRef{Call: id}, nil); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*callstest.Client{p.liC, p.wangPhone, p.wangLaptop} {
		wantEnd(t, c, id, proto.EndCancelled, p.li.ID)
	}

	id = ring(t, p.liC, p.wang.ID, p.wangPhone, p.wangLaptop)
	p.srv.Clock.Advance(proto.CallRingTimeout)
	for _, c := range []*callstest.Client{p.liC, p.wangPhone, p.wangLaptop} {
		wantEnd(t, c, id, proto.EndNoAnswer, p.wang.ID)
	}
	err := p.wangPhone.Do(proto.TypeCallAccept, proto.CallAcceptRequest{Call: id}, nil)
	wantCode(t, err, proto.CodeNoSuchCall)
	canCallAgain(t, p.wangLaptop, p.liC, p.liC)
}

func TestADeviceThatLogsInWhileItRingsRingsAndCanAnswer(t *testing.T) {
	p := meet(t)
	id := ring(t, p.liC, p.wang.ID, p.wangPhone, p.wangLaptop)
	tablet := p.srv.Login(t, p.wang) // the push comes after the login reply
	var in proto.CallIncoming
	tablet.Next(proto.TypeCallIncoming, &in)
	if in.Call != id || in.From != p.liC.User {
		t.Fatalf("the tablet rang with %+v, want call %d from %+v", in, id, p.liC.User)
	}
	// A resumed session rings as well.
	resumed := p.srv.Dial(t)
	if err := resumed.Do(proto.TypeResume, proto.ResumeRequest{Token: tablet.Token}, nil); err != nil {
		t.Fatal(err)
	}
	resumed.Next(proto.TypeCallIncoming, &in)
	accept(t, tablet, id)
	p.liC.Next(proto.TypeCallAccepted, nil)
	for _, c := range []*callstest.Client{p.wangPhone, p.wangLaptop, resumed} {
		wantEnd(t, c, id, proto.EndAnsweredElsewhere, p.wang.ID)
	}
	if err := tablet.Do(proto.TypeCallHangup, proto.CallRef{Call: id}, nil); err != nil {
		t.Fatal(err)
	}
	wantEnd(t, p.liC, id, proto.EndHangup, p.wang.ID)
	wantEnd(t, tablet, id, proto.EndHangup, p.wang.ID)
	// Logging in when nothing rings rings nothing.
	p.srv.Login(t, p.wang).NoPush()
}

func TestCallerGoesAwayWhileRinging(t *testing.T) {
	p := meet(t)
	id := ring(t, p.liC, p.wang.ID, p.wangPhone, p.wangLaptop)
	p.liC.Close()
	wantEnd(t, p.wangPhone, id, proto.EndDropped, p.li.ID)
	wantEnd(t, p.wangLaptop, id, proto.EndDropped, p.li.ID)
	li2 := p.srv.Login(t, p.li)
	canCallAgain(t, p.wangPhone, li2, li2)
}

func TestDroppedConnectionMidCall(t *testing.T) {
	t.Run("closed", func(t *testing.T) {
		p := meet(t)
		id := ring(t, p.liC, p.wang.ID, p.wangPhone, p.wangLaptop)
		accept(t, p.wangPhone, id)
		p.liC.Next(proto.TypeCallAccepted, nil)
		p.wangLaptop.NextEnd()
		p.wangPhone.Close() // the app quits, or the OS kills it
		wantEnd(t, p.liC, id, proto.EndDropped, p.wang.ID)
		canCallAgain(t, p.liC, p.wangLaptop, p.wangLaptop)
	})
	t.Run("silent network death", func(t *testing.T) {
		s := callstest.Start(t)
		li, wang := s.Register(t, "李华"), s.Register(t, "Wang")
		liC := s.DialFreezable(t)
		liC.Login(li)
		wangC := s.Login(t, wang)
		id := ring(t, liC, wang.ID, wangC)
		accept(t, wangC, id)
		liC.Next(proto.TypeCallAccepted, nil)
		if err := liC.Send(audio(id, 1, "hello")); err != nil {
			t.Fatal(err)
		}
		hears(t, wangC, id, "hello")

		liC.Freeze() // Li's Wi-Fi is gone; no FIN, no RST
		s.Clock.Advance(proto.CallMediaTimeout / 2)
		if err := wangC.Send(audio(id, 2, "are you there?")); err != nil {
			t.Fatal(err)
		}
		s.Clock.Advance(proto.CallMediaTimeout / 2)
		wantEnd(t, wangC, id, proto.EndDropped, li.ID)

		// Li comes back on a new connection: nothing stale.
		li2 := s.Login(t, li)
		canCallAgain(t, wangC, li2, li2)
	})
}

func TestOnlyThePartiesSendAudio(t *testing.T) {
	p := meet(t)
	id := ring(t, p.liC, p.wang.ID, p.wangPhone, p.wangLaptop)
	accept(t, p.wangPhone, id)
	p.liC.Next(proto.TypeCallAccepted, nil)

	// Zhao knows the call id and Wang's other device is logged in as Wang:
	// neither can speak into the call.
	for _, c := range []*callstest.Client{p.zhaoC, p.wangLaptop} {
		if err := c.Send(audio(id, 7, "intruder")); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.wangPhone.Send(audio(id, 8, "wang")); err != nil {
		t.Fatal(err)
	}
	hears(t, p.liC, id, "wang") // the first packet Li hears is Wang's

	// A malformed binary frame is refused; the connection stays usable.
	if err := p.zhaoC.Send([]byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	if err := p.zhaoC.Do(proto.TypePing, nil, nil); err != nil {
		t.Fatal(err)
	}
}

func TestAudioOnASeparateConnectionAuthorisedByToken(t *testing.T) {
	p := meet(t)
	id := ring(t, p.liC, p.wang.ID, p.wangPhone, p.wangLaptop)
	accept(t, p.wangPhone, id)
	p.liC.Next(proto.TypeCallAccepted, nil)

	liMedia, wangMedia := p.srv.Dial(t), p.srv.Dial(t)
	err := liMedia.Do(proto.TypeCallMedia, proto.CallMediaRequest{Call: id, Token: "forged"}, nil)
	wantCode(t, err, proto.CodeBadToken)
	err = liMedia.Do(proto.TypeCallMedia, proto.CallMediaRequest{Call: id}, nil)
	wantCode(t, err, proto.CodeUnauthenticated)
	zhaoMedia := p.srv.Dial(t)
	err = zhaoMedia.Do(proto.TypeCallMedia, proto.CallMediaRequest{Call: id, Token: p.zhaoC.Token}, nil)
	wantCode(t, err, proto.CodeNoSuchCall)

	for _, m := range []struct {
		c     *callstest.Client
		token string
	}{{liMedia, p.liC.Token}, {wangMedia, p.wangPhone.Token}} {
		if err := m.c.Do(proto.TypeCallMedia, proto.CallMediaRequest{Call: id, Token: m.token}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := liMedia.Send(audio(id, 1, "li")); err != nil {
		t.Fatal(err)
	}
	hears(t, wangMedia, id, "li")
	if err := wangMedia.Send(audio(id, 1, "wang")); err != nil {
		t.Fatal(err)
	}
	hears(t, liMedia, id, "wang")
	// The media connection is not logged in: it cannot chat.
	err = liMedia.Do(proto.TypeConversations, nil, nil)
	wantCode(t, err, proto.CodeUnauthenticated)

	// Its end ends the call.
	liMedia.Close()
	wantEnd(t, p.liC, id, proto.EndDropped, p.li.ID)
	wantEnd(t, p.wangPhone, id, proto.EndDropped, p.li.ID)
	wantEnd(t, wangMedia, id, proto.EndDropped, p.li.ID)
}

// The Go client library carries the call pushes to the application (as
// Push.Type and Push.Body) and the call requests through Call.
func TestGoClientSignalling(t *testing.T) {
	s := callstest.Start(t)
	li, wang := s.Register(t, "李华"), s.Register(t, "Wang")
	ctx := context.Background()
	dial := func(a callstest.Account) (*client.Conn, chan client.Push) {
		pushes := make(chan client.Push, 16)
		c, err := client.Dial(ctx, s.URL, client.DialOptions{OnPush: func(p client.Push) { pushes <- p }})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		if _, err := c.Login(ctx, a.ID, a.Password, "test"); err != nil {
			t.Fatal(err)
		}
		return c, pushes
	}
	next := func(ch chan client.Push, typ string, body any) {
		t.Helper()
		select {
		case p := <-ch:
			if p.Type != typ {
				t.Fatalf("push %s, want %s", p.Type, typ)
			}
			if err := json.Unmarshal(p.Body, body); err != nil {
				t.Fatal(err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no %s push", typ)
		}
	}
	liC, liPush := dial(li)
	wangC, wangPush := dial(wang)

	var r proto.CallReply
	if err := liC.Call(ctx, proto.TypeCall, proto.CallRequest{User: wang.ID}, &r); err != nil {
		t.Fatal(err)
	}
	var in proto.CallIncoming
	next(wangPush, proto.TypeCallIncoming, &in)
	if in.From.Name != "李华" || in.Call != r.Call {
		t.Fatalf("incoming %+v", in)
	}
	if err := wangC.Call(ctx, proto.TypeCallDecline, proto.CallRef{Call: in.Call}, nil); err != nil {
		t.Fatal(err)
	}
	var e proto.CallEnd
	next(liPush, proto.TypeCallEnd, &e)
	if e.Reason != proto.EndDeclined || e.By != wang.ID {
		t.Fatalf("end %+v", e)
	}
}

// A receiver that cannot keep up loses audio packets — the server drops
// them rather than queue them — and keeps its connection and its call.
func TestSlowReceiverLosesAudioNotTheConnection(t *testing.T) {
	s := callstest.Start(t)
	li, wang := s.Register(t, "李华"), s.Register(t, "Wang")
	liC := s.DialFreezable(t)
	liC.Login(li)
	wangC := s.Login(t, wang)
	id := ring(t, liC, wang.ID, wangC)
	accept(t, wangC, id)
	liC.Next(proto.TypeCallAccepted, nil)

	liC.Stall() // Li's side stops reading: the server's writes to Li block
	const dropped = `parley_call_packets_dropped_total{reason="peer_slow"}`
	pkt := audio(id, 0, string(make([]byte, 160)))
	for round := 0; s.Metric(dropped) == 0; round++ {
		if round == 200 { // 200,000 packets, 35 MB: far past any socket buffer
			t.Fatal("the server never dropped a packet for a receiver that does not read")
		}
		for range 1000 {
			if err := wangC.Send(pkt); err != nil {
				t.Fatal(err)
			}
		}
	}
	liC.Unstall()

	// Li's connection is still there and the call still on.
	if err := liC.Do(proto.TypePing, nil, nil); err != nil {
		t.Fatalf("the slow receiver lost its connection: %v", err)
	}
	if err := wangC.Do(proto.TypeCallHangup, proto.CallRef{Call: id}, nil); err != nil {
		t.Fatal(err)
	}
	wantEnd(t, liC, id, proto.EndHangup, wang.ID)
}

func TestEveryCallLeavesAnEntryInTheHistory(t *testing.T) {
	p := meet(t)
	// Declined, then cancelled by the caller (missed), then answered for
	// 3 s and hung up.
	id1 := ring(t, p.liC, p.wang.ID, p.wangPhone, p.wangLaptop)
	if err := p.wangPhone.Do(proto.TypeCallDecline, proto.CallRef{Call: id1}, nil); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*callstest.Client{p.liC, p.wangPhone, p.wangLaptop} {
		wantEnd(t, c, id1, proto.EndDeclined, p.wang.ID)
	}
	id2 := ring(t, p.liC, p.wang.ID, p.wangPhone, p.wangLaptop)
	if err := p.liC.Do(proto.TypeCallHangup, proto.CallRef{Call: id2}, nil); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*callstest.Client{p.liC, p.wangPhone, p.wangLaptop} {
		wantEnd(t, c, id2, proto.EndCancelled, p.li.ID)
	}
	id3 := ring(t, p.liC, p.wang.ID, p.wangPhone, p.wangLaptop)
	accept(t, p.wangPhone, id3)
	p.wangLaptop.NextEnd() // answered elsewhere
	p.srv.Clock.Advance(3 * time.Second)
	if err := p.liC.Do(proto.TypeCallHangup, proto.CallRef{Call: id3}, nil); err != nil {
		t.Fatal(err)
	}
	wantEnd(t, p.wangPhone, id3, proto.EndHangup, p.li.ID)

	want := []proto.CallEntry{
		{Caller: p.li.ID, Callee: p.wang.ID, Outcome: proto.CallDeclined, Reason: proto.EndDeclined},
		{Caller: p.li.ID, Callee: p.wang.ID, Outcome: proto.CallMissed, Reason: proto.EndCancelled},
		{Caller: p.li.ID, Callee: p.wang.ID, Outcome: proto.CallAnswered, Reason: proto.EndHangup, DurationMs: 3000},
	}
	// Both sides get each entry, from the caller, in their direct
	// conversation, in order.
	var conv proto.ConvID
	for _, c := range []*callstest.Client{p.liC, p.wangLaptop} {
		for i, w := range want {
			var m proto.Message
			select {
			case m = <-c.Messages:
			case <-time.After(30 * time.Second): // a guard against hangs, not a timing
				t.Fatalf("user %d: no call entry %d", c.User.ID, i)
			}
			if m.Kind != proto.MsgCall || m.Sender != p.li.ID || m.Call == nil || !reflect.DeepEqual(*m.Call, w) || m.Seq != int64(i+1) {
				t.Fatalf("user %d: entry %d is %+v (%+v), want %+v", c.User.ID, i, m, m.Call, w)
			}
			if conv != 0 && m.Conv != conv {
				t.Fatalf("entries in conversations %d and %d", conv, m.Conv)
			}
			conv = m.Conv
		}
	}
	var h proto.HistoryReply
	if err := p.wangPhone.Do(proto.TypeHistory, proto.HistoryRequest{Conv: conv}, &h); err != nil {
		t.Fatal(err)
	}
	if len(h.Messages) != 3 || h.Messages[2].Call.DurationMs != 3000 {
		t.Fatalf("history of the direct conversation: %+v", h.Messages)
	}
}
