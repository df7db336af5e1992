package hub

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"parley/net/proto"
	"parley/server/metrics"
	"parley/server/storage"
)

// The hub's coalesced text frames and the library's own frames (here big
// binary ones, larger than its write buffer, so each takes several
// writes) share one socket: every frame must arrive whole and in order.
func TestLibraryFramesAndCoalescedFramesNeverInterleave(t *testing.T) {
	const n = 200
	served := make(chan error, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hj := &hijacker{ResponseWriter: w}
		ws, err := websocket.Accept(hj, r, nil)
		if err != nil {
			served <- err
			return
		}
		go func() {
			var wg sync.WaitGroup
			wg.Go(func() {
				for i := range n {
					p := bytes.Repeat([]byte{byte(i)}, 3*writeBufSize+i)
					ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
					err := ws.Write(ctx, websocket.MessageBinary, p)
					cancel()
					if err != nil {
						served <- err
						return
					}
				}
			})
			wg.Go(func() {
				for i := 0; i < n; i += 4 {
					var batch [][]byte
					for j := i; j < i+4; j++ {
						batch = append(batch, []byte(fmt.Sprintf(`{"n":%d,"pad":"%s"}`, j, strings.Repeat("x", j*10))))
					}
					if err := hj.raw.writeFrames(batch, 10*time.Second, nil); err != nil {
						served <- err
						return
					}
				}
			})
			wg.Wait()
			served <- nil
			ws.CloseRead(context.Background())
		}()
	}))
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	ws.SetReadLimit(1 << 20)
	nextText, nextBinary := 0, 0
	for nextText < n || nextBinary < n {
		typ, p, err := ws.Read(ctx)
		if err != nil {
			t.Fatalf("after %d text and %d binary frames: %v", nextText, nextBinary, err)
		}
		switch typ {
		case websocket.MessageText:
			want := fmt.Sprintf(`{"n":%d,"pad":"%s"}`, nextText, strings.Repeat("x", nextText*10))
			if string(p) != want {
				t.Fatalf("text frame %d is %.60q", nextText, p)
			}
			nextText++
		case websocket.MessageBinary:
			if want := bytes.Repeat([]byte{byte(nextBinary)}, 3*writeBufSize+nextBinary); !bytes.Equal(p, want) {
				t.Fatalf("binary frame %d is corrupt (%d bytes)", nextBinary, len(p))
			}
			nextBinary++
		}
	}
	if err := <-served; err != nil {
		t.Fatal(err)
	}
}

// discard is a socket that accepts every write.
type discard struct{ net.Conn }

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// A library frame that arrives in several writes holds the socket until
// its last byte, whatever the split.
func TestLibraryFrameHoldsTheSocketUntilItsLastByte(t *testing.T) {
	frame := append(appendTextHeader(nil, 1000), bytes.Repeat([]byte{'a'}, 1000)...)
	frame[0] = 0x82 // binary
	two := append(append([]byte(nil), frame...), frame[:2+2+10]...)
	for _, cuts := range [][]int{{1}, {3}, {4}, {300}, {1, 2, 3, 500}, {len(frame) - 1}} {
		r := &rawConn{Conn: discard{}}
		prev := 0
		for _, cut := range cuts {
			r.Write(frame[prev:cut])
			prev = cut
			if r.wmu.TryLock() {
				t.Fatalf("cuts %v: the socket is free after %d of %d bytes", cuts, cut, len(frame))
			}
		}
		r.Write(frame[prev:])
		if !r.wmu.TryLock() {
			t.Fatalf("cuts %v: the socket is still held after the whole frame", cuts)
		}
		r.wmu.Unlock()
	}
	// One write that ends a frame and starts the next keeps holding.
	r := &rawConn{Conn: discard{}}
	r.Write(two)
	if r.wmu.TryLock() {
		t.Fatal("the socket is free in the middle of the second frame")
	}
	// A control frame, written whole, leaves it free.
	r = &rawConn{Conn: discard{}}
	r.Write([]byte{0x8a, 2, 'h', 'i'})
	if !r.wmu.TryLock() {
		t.Fatal("the socket is held after a whole pong")
	}
}

func TestFrameHeaders(t *testing.T) {
	for _, n := range []int{0, 1, 125, 126, 65535, 65536, 1 << 20} {
		h := appendTextHeader(nil, n)
		size, total, ok := frameSize(h)
		if !ok || size != len(h) || total != int64(len(h)+n) {
			t.Errorf("payload %d: header % x parses as %d/%d/%v", n, h, size, total, ok)
		}
		if textHeaderLen(n) != len(h) {
			t.Errorf("payload %d: textHeaderLen %d, header %d bytes", n, textHeaderLen(n), len(h))
		}
		if h[0] != 0x81 {
			t.Errorf("payload %d: first byte %#x, want a final text frame", n, h[0])
		}
		if _, _, ok := frameSize(h[:len(h)-1]); ok && len(h) > 2 {
			t.Errorf("payload %d: a cut header parsed", n)
		}
	}
}

// serveConn accepts one WebSocket on a test server and returns the hub's
// side of it (with small socket buffers) and the client's.
func serveConn(t *testing.T, h *Hub) (*conn, *websocket.Conn, context.Context) {
	t.Helper()
	conns := make(chan *conn, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hj := &hijacker{ResponseWriter: w}
		ws, err := websocket.Accept(hj, r, nil)
		if err != nil {
			t.Error(err)
			return
		}
		hj.raw.Conn.(*net.TCPConn).SetWriteBuffer(64 << 10) // fills fast
		c := newConn(h, ws, hj.raw, "test")
		c.live = true
		conns <- c
	}))
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	small := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		nc, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err == nil {
			nc.(*net.TCPConn).SetReadBuffer(64 << 10)
		}
		return nc, err
	}}}
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), &websocket.DialOptions{HTTPClient: small})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.CloseNow() })
	ws.SetReadLimit(1 << 20)
	return <-conns, ws, ctx
}

func testFrame(i, size int) []byte {
	return []byte(fmt.Sprintf(`{"n":%d,"pad":"%s"}`, i, strings.Repeat("y", size)))
}

// The fan-out writes without waiting; a client that stops reading fills
// its socket, and the rest of every batch still reaches it, whole and in
// order, once it reads again.
func TestFanOutWritesReachASocketThatFilledUp(t *testing.T) {
	const frames, size = 3000, 1000
	h := &Hub{cfg: Config{QueueLen: frames, WriteTimeout: 10 * time.Second, MaxInflightSends: 1}}
	c, ws, ctx := serveConn(t, h)

	// Nobody reads yet: 3 MB of frames cannot all fit in the sockets.
	partial := false
	for i := range frames {
		if c.add(testFrame(i, size)) {
			c.flush()
		}
		c.mu.Lock()
		partial = partial || len(c.queue) > 0 // a writer goroutine owns the socket
		c.mu.Unlock()
	}
	if !partial {
		t.Fatal("every batch went out at once: the slow path was not exercised")
	}
	for i := range frames {
		_, p, err := ws.Read(ctx)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if want := testFrame(i, size); !bytes.Equal(p, want) {
			t.Fatalf("frame %d is %.40q", i, p)
		}
	}
}

// A deadline left by an earlier write must not fail a later one that
// need not wait, however long the connection was quiet in between.
func TestFanOutWriteAfterAnOldDeadlineExpired(t *testing.T) {
	h := &Hub{cfg: Config{QueueLen: 8, WriteTimeout: 10 * time.Second, MaxInflightSends: 1}}
	c, ws, ctx := serveConn(t, h)
	past := time.Now().Add(-time.Second)
	c.raw.deadline = past // as if the last write were 11 s ago
	c.raw.Conn.SetWriteDeadline(past)
	if c.add(testFrame(1, 10)) {
		c.flush()
	}
	_, p, err := ws.Read(ctx)
	if err != nil || !bytes.Equal(p, testFrame(1, 10)) {
		t.Fatalf("got %q, %v", p, err)
	}
	select {
	case <-c.closed:
		t.Fatal("the connection was closed")
	default:
	}
}

// Fan-out merges the batches that committed while it was busy, but never
// so many that a connection's queue overflows before they are written.
func TestFanOutRoundStopsBeforeQueuesFill(t *testing.T) {
	h := &Hub{cfg: Config{QueueLen: 1024, MaxInflightSends: 1}, fanout: make(chan []storage.Committed, 200), users: map[proto.UserID][]*conn{}}
	h.m = newHubMetrics(metrics.NewRegistry(), h)
	c := newConn(h, nil, nil, "test") // not live: nothing is written, the queue shows the round
	h.users[7] = []*conn{c}
	batch := func(first int64) []storage.Committed {
		var b []storage.Committed
		for i := range int64(10) {
			b = append(b, storage.Committed{Message: proto.Message{Conv: 1, Seq: first + i, Kind: proto.MsgText, Text: "x"}, Members: []proto.UserID{7}})
		}
		return b
	}
	for i := range 100 { // 1000 messages waiting
		h.fanout <- batch(int64(11 + 10*i))
	}
	h.queueRound(batch(1), nil)
	got := len(c.takeQueued())
	if got < h.roundLimit() || got > h.roundLimit()+10 {
		t.Fatalf("one round queued %d messages, want about %d", got, h.roundLimit())
	}
	if left := len(h.fanout); left == 0 {
		t.Fatal("the round took every waiting batch")
	}
}
