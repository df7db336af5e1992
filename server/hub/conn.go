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
// dispatches requests one at a time. Outgoing frames are queued; a writer
// goroutine exists only while the queue is not empty, and writes
// everything queued so far in as few system calls as fit (one, usually),
// so an idle connection costs no goroutine for writing and a busy one
// pays one write per batch of frames, not per frame.
// user and tokenHash are written only by the reader goroutine, under h.mu.
type conn struct {
	h      *Hub
	ws     *websocket.Conn
	raw    *rawConn // under ws; nil for a conn without a socket (tests)
	remote string   // remote host, for rate limits and logs

	mu      sync.Mutex
	queue   [][]byte // frames to write, in order
	spare   [][]byte // the previous batch's slice, for the next queue
	writing bool     // a writer goroutine owns the queue, or the fan-out is about to start one
	live    bool     // serving: writers may start

	closed    chan struct{}
	closeOnce sync.Once
	brMu      sync.Mutex    // readLoop's look at the read buffer, against the close handshake's reads
	inflight  chan struct{} // one token per send awaiting its commit
	ping      *time.Timer

	user      proto.User
	tokenHash []byte
	watching  proto.ConvID // guarded by h.mu
}

func newConn(h *Hub, ws *websocket.Conn, raw *rawConn, remote string) *conn {
	return &conn{
		h: h, ws: ws, raw: raw, remote: remote,
		closed:   make(chan struct{}),
		inflight: make(chan struct{}, h.cfg.MaxInflightSends),
	}
}

// enqueue queues a frame without blocking. A connection whose queue is
// full is too slow to keep up: it is closed, and resynchronises when it
// reconnects, instead of holding up everybody else.
func (c *conn) enqueue(frame []byte) {
	if c.add(frame) {
		go c.writeLoop()
	}
}

// add queues a frame and reports whether the caller must start a writer
// (go c.writeLoop()); the fan-out adds a whole batch before starting any.
func (c *conn) add(frame []byte) (start bool) {
	c.mu.Lock()
	select {
	case <-c.closed:
		c.mu.Unlock()
		return false
	default:
	}
	if len(c.queue) >= c.h.cfg.QueueLen {
		c.mu.Unlock()
		c.h.m.slow.Inc()
		c.close(websocket.StatusPolicyViolation, "too slow: reconnect and sync")
		return false
	}
	c.queue = append(c.queue, frame)
	start = c.live && !c.writing
	if start {
		c.writing = true
	}
	c.mu.Unlock()
	return start
}

// takeQueued removes and returns every queued frame (tests).
func (c *conn) takeQueued() [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	q := c.queue
	c.queue = nil
	return q
}

// maxSpare bounds the queue slice a connection keeps between batches.
const maxSpare = 64

// take returns the queued frames for the writer (recycling the slice of
// its previous batch), or nil, giving up the writing role, when none are
// left or the connection is closing.
func (c *conn) take(prev [][]byte) [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev != nil && cap(prev) <= maxSpare && c.spare == nil {
		clear(prev) // the frames are written: let them go
		c.spare = prev[:0]
	}
	batch := c.queue
	c.queue, c.spare = c.spare, nil
	select {
	case <-c.closed:
		batch, c.queue = nil, nil
	default:
	}
	if len(batch) == 0 {
		c.writing = false
		return nil
	}
	return batch
}

// giveUp ends the writing role after a failed write.
func (c *conn) giveUp() {
	c.close(websocket.StatusPolicyViolation, "write failed")
	c.mu.Lock()
	c.writing = false
	c.mu.Unlock()
}

// writeLoop writes the queue until it is empty, then ends.
func (c *conn) writeLoop() {
	var batch [][]byte
	for {
		if batch = c.take(batch); batch == nil {
			return
		}
		if err := c.raw.writeFrames(batch, c.h.cfg.WriteTimeout); err != nil {
			c.giveUp()
			return
		}
	}
}

// flush writes the queue for the fan-out, which holds the writing role
// for c, without waiting for the socket: whatever the socket does not take
// at once is finished by a writer goroutine (finish), so a slow client
// never holds up the fan-out and a fast one costs no goroutine at all.
func (c *conn) flush() {
	var batch [][]byte
	for {
		if batch = c.take(batch); batch == nil {
			return
		}
		rest, ok, err := c.raw.tryWrite(batch, c.h.cfg.WriteTimeout)
		switch {
		case !ok: // the socket is busy or cannot be written so
			c.mu.Lock()
			c.queue = append(batch, c.queue...)
			c.mu.Unlock()
			go c.writeLoop()
			return
		case err != nil:
			c.giveUp()
			return
		case rest != nil:
			go c.finish(rest)
			return
		}
	}
}

// finish writes the rest of a batch that flush began (holding the
// socket's write lock for it), then carries on as writeLoop.
func (c *conn) finish(rest []byte) {
	if err := c.raw.writeRest(rest, c.h.cfg.WriteTimeout); err != nil {
		c.giveUp()
		return
	}
	c.writeLoop()
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
			// The close handshake reads from the connection: wait until
			// readLoop is not looking at the read buffer.
			c.brMu.Lock()
			c.brMu.Unlock()
			c.ws.Close(code, reason)
		}()
	})
}

// serve starts the connection: it greets the client, starts the
// keepalive pings, and reads requests until the connection ends (end).
func (c *conn) serve() {
	c.mu.Lock()
	c.live = true
	c.mu.Unlock()
	c.enqueue(c.h.hello)
	c.ping = time.AfterFunc(c.h.cfg.PingInterval, c.keepalive)
	c.readLoop(false)
}

// readLoop reads and dispatches requests. When nothing is left to read
// it does not wait here, deep in the WebSocket reader with the stack a
// request needed: it hands the wait to a fresh goroutine (idle), whose
// stack is small, and ends. An idle connection thus holds one goroutine
// with a minimal stack and no context registration.
func (c *conn) readLoop(readable bool) {
	ctx := c.h.ctx
	for ; ; readable = false {
		c.brMu.Lock()
		select {
		case <-c.closed:
			c.brMu.Unlock()
			c.end()
			return
		default:
		}
		pending := c.raw.buffered()
		c.brMu.Unlock()
		if !pending && !readable && c.raw.canWait() {
			go c.idle()
			return
		}
		// No context: a read ends when the connection closes.
		typ, data, err := c.ws.Read(context.Background())
		if err != nil {
			if st := websocket.CloseStatus(err); st == -1 && !errors.Is(err, context.Canceled) && !errors.Is(err, net.ErrClosed) {
				c.h.log.Debug("connection read ended", "remote", c.remote, "user", c.user.ID, "err", err)
			}
			if errors.Is(err, websocket.ErrMessageTooBig) || isTooBig(err) {
				c.h.m.errors.With(string(proto.CodeTooLarge)).Inc()
			}
			c.end()
			return
		}
		select {
		case <-c.closed:
			c.end()
			return
		default:
		}
		if typ != websocket.MessageText {
			c.h.binary(c, data)
			continue
		}
		if !c.dispatchSafe(ctx, data) {
			c.end()
			return
		}
	}
}

// idle waits for the client's next bytes, then reads on.
func (c *conn) idle() {
	c.raw.waitReadable()
	c.readLoop(true)
}

// end finishes the connection, once, from its reading goroutine.
func (c *conn) end() {
	c.close(websocket.StatusNormalClosure, "")
	c.ping.Stop()
	c.h.remove(c)
	c.h.m.conns.Dec()
	c.h.wg.Done()
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

// keepalive pings the client, and again PingInterval later; a client
// that does not answer within WriteTimeout is cut off.
func (c *conn) keepalive() {
	ctx, cancel := context.WithTimeout(c.h.ctx, c.h.cfg.WriteTimeout)
	defer cancel()
	if err := c.ws.Ping(ctx); err != nil {
		c.close(websocket.StatusPolicyViolation, "ping timeout")
		return
	}
	c.ping.Reset(c.h.cfg.PingInterval)
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
