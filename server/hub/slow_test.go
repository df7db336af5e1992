package hub

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/coder/websocket"

	"parley/server/metrics"
)

// slowHub is a hub for one connection whose queue holds queueLen frames.
func slowHub(queueLen int, writeTimeout time.Duration) *Hub {
	h := &Hub{cfg: Config{QueueLen: queueLen, WriteTimeout: writeTimeout, MaxInflightSends: 1}, log: slog.New(slog.DiscardHandler)}
	h.m = newHubMetrics(metrics.NewRegistry(), h)
	return h
}

// overflow queues frames on c, as the fan-out does, until c is closed
// for being too slow, and returns how many it queued.
func overflow(t *testing.T, c *conn, size int) int {
	t.Helper()
	for i := 0; ; i++ {
		if i > 100000 {
			t.Fatal("the queue never overflowed")
		}
		if c.add(testFrame(i, size)) {
			c.flush()
		}
		select {
		case <-c.closed:
			return i
		default:
		}
	}
}

// readWhole reads frames until the connection ends: each must be the
// next testFrame, whole. It returns how many came, and the error that
// ended the reading.
func readWhole(t *testing.T, ws *websocket.Conn, ctx context.Context, size, max int) (int, error) {
	t.Helper()
	for i := 0; ; i++ {
		_, p, err := ws.Read(ctx)
		if err != nil {
			return i, err
		}
		if i >= max || !bytes.Equal(p, testFrame(i, size)) {
			t.Fatalf("frame %d is %.40q, want frame %d whole", i, p, i)
		}
	}
}

// A client that stops reading until its queue overflows, then reads,
// gets whole frames in order and then the close frame 1008 "too slow:
// reconnect and sync"; the frames queued after the one being written
// are dropped.
func TestSlowClientGetsWholeFramesThenTheCloseFrame(t *testing.T) {
	noLeaks(t)
	const size = 1000
	h := slowHub(64, time.Minute) // the write in progress may take its time
	c, ws, ctx := serveConn(t, h)
	queued := overflow(t, c, size)

	got, err := readWhole(t, ws, ctx, size, queued)
	var ce websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.StatusPolicyViolation || ce.Reason != "too slow: reconnect and sync" {
		t.Fatalf("after %d of %d frames: %v, want close 1008 \"too slow: reconnect and sync\"", got, queued, err)
	}
	if got == 0 || got >= queued {
		t.Fatalf("got %d of %d frames: want some, and not those queued behind the write in progress", got, queued)
	}
	<-c.gone
}

// When the client does not take the frame in progress within the write
// timeout, the close frame cannot follow it: the server closes the TCP
// connection, and the client reads whole frames, then the end of the
// connection without a close frame. (The frames are bigger than the
// socket buffers, so a frame is in progress whatever the timing.)
func TestStuckClientSeesTheConnectionEndWithoutACloseFrame(t *testing.T) {
	noLeaks(t)
	const size = 100 << 10
	h := slowHub(16, 200*time.Millisecond)
	c, ws, ctx := serveConn(t, h)
	queued := overflow(t, c, size)
	<-c.gone // the server has given up on the socket before the client reads

	got, err := readWhole(t, ws, ctx, size, queued)
	if websocket.CloseStatus(err) != -1 || ctx.Err() != nil {
		t.Fatalf("after %d frames: %v, want the connection to end without a close frame", got, err)
	}
}
