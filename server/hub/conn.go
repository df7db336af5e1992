package hub

import (
	"context"
	"errors"
	"net"
	"net/http"
	"runtime/debug"
	"sync"
	"time"

	"github.com/coder/websocket"

	"parley/net/proto"
)

// conn is one WebSocket client. Its reader goroutine (serve) reads and
// dispatches requests one at a time; its writer goroutine drains out.
// user and tokenHash are written only by the reader goroutine, under h.mu.
type conn struct {
	h      *Hub
	ws     *websocket.Conn
	remote string // remote host, for rate limits and logs

	out       chan []byte // frames to write, in order; never closed
	closed    chan struct{}
	closeOnce sync.Once
	inflight  chan struct{} // one token per send awaiting its commit

	user      proto.User
	tokenHash []byte
	watching  proto.ConvID // guarded by h.mu
}

func newConn(h *Hub, ws *websocket.Conn, remote string) *conn {
	return &conn{
		h: h, ws: ws, remote: remote,
		out:      make(chan []byte, h.cfg.QueueLen),
		closed:   make(chan struct{}),
		inflight: make(chan struct{}, h.cfg.MaxInflightSends),
	}
}

// enqueue queues a frame without blocking. A connection whose queue is
// full is too slow to keep up: it is closed, and resynchronises when it
// reconnects, instead of holding up everybody else.
func (c *conn) enqueue(frame []byte) {
	select {
	case c.out <- frame:
	default:
		select {
		case <-c.closed:
		default:
			c.h.m.slow.Inc()
			c.close(websocket.StatusPolicyViolation, "too slow: reconnect and sync")
		}
	}
}

// close ends the connection once, from any goroutine.
func (c *conn) close(code websocket.StatusCode, reason string) {
	c.closeOnce.Do(func() {
		close(c.closed)
		go func() {
			// A polite close waits for the peer; a slow one gets cut off.
			if code == websocket.StatusPolicyViolation {
				c.ws.CloseNow()
				return
			}
			c.ws.Close(code, reason)
		}()
	})
}

func (c *conn) serve(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer c.h.remove(c)
	defer c.close(websocket.StatusNormalClosure, "")

	c.out <- c.h.hello
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		c.writeLoop(ctx)
	}()
	defer func() { <-writerDone }()

	for {
		typ, data, err := c.ws.Read(ctx)
		if err != nil {
			if st := websocket.CloseStatus(err); st == -1 && !errors.Is(err, context.Canceled) && !errors.Is(err, net.ErrClosed) {
				c.h.log.Debug("connection read ended", "remote", c.remote, "user", c.user.ID, "err", err)
			}
			if errors.Is(err, websocket.ErrMessageTooBig) || isTooBig(err) {
				c.h.m.errors.With(string(proto.CodeTooLarge)).Inc()
			}
			return
		}
		select {
		case <-c.closed:
			return
		default:
		}
		if typ != websocket.MessageText {
			c.h.binary(c, data)
			continue
		}
		if !c.dispatchSafe(ctx, data) {
			return
		}
	}
}

func isTooBig(err error) bool {
	return websocket.CloseStatus(err) == websocket.StatusMessageTooBig
}

// dispatchSafe handles one frame; a panic is logged and answered with
// "internal", and ends only this connection.
func (c *conn) dispatchSafe(ctx context.Context, data []byte) (ok bool) {
	defer func() {
		if p := recover(); p != nil {
			c.h.log.Error("panic in request handler", "remote", c.remote, "user", c.user.ID, "panic", p, "stack", string(debug.Stack()))
			c.reply("", nil, proto.Errorf(proto.CodeInternal, "internal error"))
			ok = false
		}
	}()
	c.h.dispatch(ctx, c, data)
	return true
}

func (c *conn) writeLoop(ctx context.Context) {
	ping := time.NewTicker(c.h.cfg.PingInterval)
	defer ping.Stop()
	for {
		select {
		case frame := <-c.out:
			wctx, cancel := context.WithTimeout(ctx, c.h.cfg.WriteTimeout)
			err := c.ws.Write(wctx, websocket.MessageText, frame)
			cancel()
			if err != nil {
				c.close(websocket.StatusPolicyViolation, "write failed")
				return
			}
		case <-ping.C:
			go func() {
				pctx, cancel := context.WithTimeout(ctx, c.h.cfg.WriteTimeout)
				defer cancel()
				if err := c.ws.Ping(pctx); err != nil {
					c.close(websocket.StatusPolicyViolation, "ping timeout")
				}
			}()
		case <-c.closed:
			return
		}
	}
}

// reply queues the answer to request id: body on success, err on failure.
func (c *conn) reply(id string, body any, err error) {
	if err != nil {
		c.enqueue(proto.EncodeError(id, c.h.errorBody(c, err)))
		return
	}
	frame, encErr := proto.EncodeReply(id, body)
	if encErr != nil {
		c.enqueue(proto.EncodeError(id, c.h.errorBody(c, encErr)))
		return
	}
	c.enqueue(frame)
}

// remoteHost is the client's address without the port. Behind a reverse
// proxy every client shares the proxy's address; see docs/architecture.md.
func remoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
