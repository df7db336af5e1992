package client

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"parley/net/proto"
)

func TestDialWaitsForHelloAndCallRoundTrips(t *testing.T) {
	srv := newFakeServer(t, func(fc *fakeConn, f proto.Frame) {
		if f.Type != proto.TypeLogin {
			fc.fail(f, proto.Errorf(proto.CodeUnknownType, "%s", f.Type))
			return
		}
		req := decode[proto.LoginRequest](t, f.Body)
		fc.reply(f, proto.LoginReply{User: proto.User{ID: req.User, Name: "Li Hua " + req.Device}, Token: "tok-" + req.Password})
	})
	c := dial(t, srv.URL, DialOptions{})
	if c.Hello() != srv.hello {
		t.Fatalf("Hello() = %+v, want %+v", c.Hello(), srv.hello)
	}

	got, err := c.Login(testCtx(t), 4821, "secret", "laptop")
	if err != nil {
		t.Fatal(err)
	}
	want := proto.LoginReply{User: proto.User{ID: 4821, Name: "Li Hua laptop"}, Token: "tok-secret"}
	if got != want {
		t.Fatalf("Login = %+v, want %+v", got, want)
	}
}

func TestServerErrorIsProtoError(t *testing.T) {
	srv := newFakeServer(t, func(fc *fakeConn, f proto.Frame) {
		fc.fail(f, &proto.Error{Code: proto.CodeRateLimited, Message: "slow down", RetryAfterMs: 1500})
	})
	c := dial(t, srv.URL, DialOptions{})

	_, err := c.Login(testCtx(t), 4821, "wrong", "")
	pe, ok := err.(*proto.Error)
	if !ok {
		t.Fatalf("err = %T %v, want *proto.Error", err, err)
	}
	if pe.Code != proto.CodeRateLimited || pe.RetryAfterMs != 1500 || pe.Message != "slow down" {
		t.Fatalf("err = %+v", pe)
	}
	if c.Err() != nil {
		t.Fatalf("a failed call ended the connection: %v", c.Err())
	}
}

func TestConcurrentCallsGetTheirOwnReplies(t *testing.T) {
	// The server holds requests until it has all of them, then answers in
	// reverse order.
	const n = 20
	var mu sync.Mutex
	var held []proto.Frame
	srv := newFakeServer(t, func(fc *fakeConn, f proto.Frame) {
		mu.Lock()
		defer mu.Unlock()
		held = append(held, f)
		if len(held) < n {
			return
		}
		for i := len(held) - 1; i >= 0; i-- {
			req := decode[proto.CreateGroupRequest](t, held[i].Body)
			fc.reply(held[i], proto.ConversationReply{Conversation: proto.Conversation{Name: req.Name}})
		}
	})
	c := dial(t, srv.URL, DialOptions{})

	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			name := strings.Repeat("g", i+1)
			conv, err := c.CreateGroup(testCtx(t), name)
			if err == nil && conv.Name != name {
				err = errors.New("got the reply of " + conv.Name + " for " + name)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

func TestPushesArriveTypedAndInOrder(t *testing.T) {
	srv := newFakeServer(t, nil)
	pushes := make(chan Push, 10)
	dial(t, srv.URL, DialOptions{OnPush: func(p Push) { pushes <- p }})
	fc := srv.conn(t)

	msg := proto.Message{Conv: 512, Seq: 7, Sender: 4821, SenderName: "李华", Time: 1700000000000, Kind: proto.MsgText, Text: "你好"}
	conv := proto.ConversationPush{Conversation: proto.Conversation{ID: 512, Kind: proto.KindGroup, Name: "Study"}, Member: true}
	pres := proto.Presence{Conv: 512, User: 4821, Online: true}
	fc.push(proto.TypeMessage, msg)
	fc.push(proto.TypeConversation, conv)
	fc.push(proto.TypePresence, pres)
	fc.push("call_ring", map[string]int{"from": 4821})

	recv := func() Push {
		t.Helper()
		select {
		case p := <-pushes:
			return p
		case <-testCtx(t).Done():
			t.Fatal("push not delivered")
			return Push{}
		}
	}
	if p := recv(); p.Type != proto.TypeMessage || p.Message == nil || !reflect.DeepEqual(*p.Message, msg) {
		t.Fatalf("first push = %+v, want message %+v", p, msg)
	}
	if p := recv(); p.Type != proto.TypeConversation || p.Conversation == nil || p.Conversation.Conversation.Name != "Study" || !p.Conversation.Member {
		t.Fatalf("second push = %+v, want conversation push", p)
	}
	if p := recv(); p.Type != proto.TypePresence || p.Presence == nil || *p.Presence != pres {
		t.Fatalf("third push = %+v, want presence %+v", p, pres)
	}
	if p := recv(); p.Type != "call_ring" || string(p.Body) != `{"from":4821}` || p.Message != nil {
		t.Fatalf("unknown push = %+v, want raw body", p)
	}
}

func TestPendingCallFailsWhenConnectionDrops(t *testing.T) {
	noLeaks(t)
	srv := newFakeServer(t, nil)
	c := dial(t, srv.URL, DialOptions{})
	fc := srv.conn(t)

	errc := make(chan error, 1)
	go func() { errc <- c.Ping(testCtx(t)) }()
	fc.frame(t) // the server has the request, and drops the connection
	fc.ws.CloseNow()

	err := <-errc
	if !errors.Is(err, ErrClosed) || !strings.Contains(err.Error(), "ping") {
		t.Fatalf("pending call: err = %v, want ErrClosed naming the call", err)
	}
	waitDone(t, c.Done(), "Done after the drop")
	if !errors.Is(c.Err(), ErrClosed) {
		t.Fatalf("Err() = %v, want ErrClosed", c.Err())
	}
	if err := c.Ping(testCtx(t)); !errors.Is(err, ErrClosed) {
		t.Fatalf("call after the drop: err = %v, want ErrClosed", err)
	}
}

func TestCancelledCallLeavesConnectionUsable(t *testing.T) {
	srv := newFakeServer(t, nil)
	c := dial(t, srv.URL, DialOptions{})
	fc := srv.conn(t)

	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- c.Ping(ctx) }()
	late := fc.frame(t)
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled call: err = %v, want context.Canceled", err)
	}

	fc.reply(late, nil) // nobody waits for it any more
	go func() { errc <- c.Ping(testCtx(t)) }()
	fc.reply(fc.frame(t), nil)
	if err := <-errc; err != nil {
		t.Fatalf("call after a cancelled one: %v", err)
	}
	if c.Err() != nil {
		t.Fatalf("connection ended: %v", c.Err())
	}
}

func TestOversizedRequestIsRefusedLocally(t *testing.T) {
	srv := newFakeServer(t, nil)
	c := dial(t, srv.URL, DialOptions{})
	fc := srv.conn(t)

	_, err := c.Send(testCtx(t), 1, NewClientID(), strings.Repeat("x", proto.MaxFrameBytes))
	if proto.CodeOf(err) != proto.CodeTooLarge {
		t.Fatalf("err = %v, want too_large", err)
	}
	// The next request is the first the server sees.
	go c.Ping(testCtx(t))
	if f := fc.frame(t); f.Type != proto.TypePing {
		t.Fatalf("server saw %q first, want ping", f.Type)
	}
}

func TestKeepaliveClosesConnectionWhenServerStopsAnswering(t *testing.T) {
	noLeaks(t)
	// A server that stops reading never answers pings.
	release := make(chan struct{})
	srv := newFakeServer(t, func(fc *fakeConn, f proto.Frame) { <-release })
	t.Cleanup(func() { close(release) })
	c := dial(t, srv.URL, DialOptions{PingInterval: 10 * time.Millisecond, PingTimeout: 50 * time.Millisecond})
	go c.Ping(context.Background()) // parks the server's read loop

	waitDone(t, c.Done(), "keepalive failure")
	if err := c.Err(); !errors.Is(err, ErrClosed) || !strings.Contains(err.Error(), "keepalive") {
		t.Fatalf("Err() = %v, want a keepalive failure", err)
	}
}

func TestDialContextDoesNotBoundTheConnection(t *testing.T) {
	srv := newFakeServer(t, func(fc *fakeConn, f proto.Frame) { fc.reply(f, nil) })
	ctx, cancel := context.WithCancel(context.Background())
	c, err := Dial(ctx, srv.URL, DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cancel()
	if err := c.Ping(testCtx(t)); err != nil {
		t.Fatalf("call after the dial context ended: %v", err)
	}
}

func TestDialRefusesWhatIsNotAParleyServer(t *testing.T) {
	tests := []struct {
		name  string
		first func(fc *fakeConn)
		want  string
	}{
		{"no hello", func(fc *fakeConn) { fc.push(proto.TypeMessage, proto.Message{}) }, `first frame is "message"`},
		{"other version", func(fc *fakeConn) { fc.push(proto.TypeHello, proto.Hello{Version: proto.Version + 1}) }, fmt.Sprint("protocol version ", proto.Version+1)},
		{"binary", func(fc *fakeConn) { fc.ws.Write(fc.ctx, websocket.MessageBinary, []byte{1}) }, "binary"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newRawServer(t, tt.first)
			_, err := Dial(testCtx(t), srv, DialOptions{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Dial err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestCloseEndsPendingCalls(t *testing.T) {
	noLeaks(t)
	srv := newFakeServer(t, nil)
	c := dial(t, srv.URL, DialOptions{})
	fc := srv.conn(t)

	errc := make(chan error, 1)
	go func() { errc <- c.Ping(testCtx(t)) }()
	fc.frame(t)
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := <-errc; !errors.Is(err, ErrClosed) {
		t.Fatalf("pending call: err = %v, want ErrClosed", err)
	}
	if err := c.Err(); err != ErrClosed {
		t.Fatalf("Err() after Close = %v, want exactly ErrClosed", err)
	}
	waitDone(t, fc.closed, "server seeing the close")
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestNewClientIDIs128RandomBits(t *testing.T) {
	hex32 := regexp.MustCompile(`^[0-9a-f]{32}$`)
	seen := map[string]bool{}
	for range 1000 {
		id := NewClientID()
		if !hex32.MatchString(id) {
			t.Fatalf("NewClientID() = %q, want 32 hex digits", id)
		}
		if seen[id] {
			t.Fatalf("NewClientID() repeated %q", id)
		}
		seen[id] = true
	}
}

// Close returns only once the connection's read goroutine has ended: a
// push being delivered when Close is called is delivered first, and none
// is delivered after Close returns.
func TestCloseWaitsForTheReadGoroutine(t *testing.T) {
	noLeaks(t)
	srv := newFakeServer(t, nil)
	inPush, release := make(chan struct{}), make(chan struct{})
	var pushDone atomic.Bool
	c := dial(t, srv.URL, DialOptions{OnPush: func(Push) {
		close(inPush)
		<-release
		pushDone.Store(true)
	}})
	srv.conn(t).push("note", map[string]int{"n": 1})
	waitDone(t, inPush, "the push")

	closed := make(chan bool, 1)
	go func() {
		c.Close()
		closed <- pushDone.Load()
	}()
	// Close is done with the socket and waits for the read goroutine,
	// which is still in OnPush.
	deadline := time.Now().Add(waitFor)
	for !parked("parley/net/client.(*Conn).Close(", "coder/websocket") {
		select {
		case <-closed:
			t.Fatal("Close returned while its read goroutine was still delivering a push")
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("Close neither returned nor waited for the read goroutine")
		}
		time.Sleep(time.Millisecond) // polling a condition, with a deadline
	}
	close(release)
	if !<-closed {
		t.Fatal("Close returned before the push it waited for was delivered")
	}
	if parked("parley/net/client.(*Conn).readLoop(", "") {
		t.Fatal("the read goroutine outlived Close")
	}
}

// parked reports whether some goroutine other than the caller's is
// blocked with fn on its stack (and not, if set, in a function of
// package without).
func parked(fn, without string) bool {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	for _, g := range strings.Split(string(buf), "\n\n")[1:] {
		if strings.Contains(g, fn) && (without == "" || !strings.Contains(g, without)) && !strings.Contains(g, "[running]") {
			return true
		}
	}
	return false
}
