package hub

import (
	"context"
	"errors"
	"net"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"parley/net/proto"
)

// conn is one WebSocket client. Its reading goroutine (readLoop) reads and
// dispatches requests one at a time; between requests it hands over to a
// fresh goroutine that only waits (idle). Outgoing frames are queued and
// written, as many as are queued, in one system call: by the fan-out
// without waiting (flush), or by a writer goroutine that exists only
// while there is something to write (writeLoop). An idle connection thus
// costs one goroutine with a minimal stack and no write buffer.
// user and tokenHash are written only by the reading goroutine, under h.mu.
//
// Closing (close, drop) drops the queue. The goroutine that holds the
// writing role stops after the write in progress, between two frames,
// and hands the role to shut, which sends the close frame (when the
// stream is whole) and closes the socket: a close frame never cuts into a
// frame, and never waits behind the frames that were queued.
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
	closeCode websocket.StatusCode // set once, before closed is closed
	closeWhy  string
	abrupt    bool          // no close frame: the peer is unresponsive or the socket failed
	gone      chan struct{} // closed once shut has closed the socket
	tracked   bool          // shut counts in h.wg (connections of ServeHTTP)
	login     *time.Timer   // the login deadline (LoginTimeout); nil when off
	brMu      sync.Mutex    // readLoop's look at the read buffer, against the close handshake's reads
	inflight  chan struct{} // one token per send awaiting its commit
	ping      *time.Timer   // keepalive: the next ping, or the deadline of the pong
	awaitPong atomic.Bool

	user      proto.User
	tokenHash []byte
	watching  proto.ConvID           // guarded by h.mu
	media     bool                   // attached to a call by call_media (under h.mu): no login deadline
	rename    atomic.Pointer[string] // a new name of the user, set on another connection (people.go)
	// A connection attached to a call by call_media with a session token
	// (not logged in): whose session it is, so that revoking it closes
	// the connection (under h.mu).
	mediaUser  proto.UserID
	mediaToken []byte
}

func newConn(h *Hub, ws *websocket.Conn, raw *rawConn, remote string) *conn {
	return &conn{
		h: h, ws: ws, raw: raw, remote: remote,
		closed:   make(chan struct{}),
		gone:     make(chan struct{}),
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
		c.close(websocket.StatusPolicyViolation, reasonTooSlow)
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
// left or the connection is closing (then the role goes to shut).
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
		c.queue = nil
		c.startShut()
		return nil
	default:
	}
	if len(batch) == 0 {
		c.writing = false
		return nil
	}
	return batch
}

// giveUp ends the writing role after a failed write: the socket is
// closed without a close frame.
func (c *conn) giveUp() {
	c.drop("write failed")
	c.startShut()
}

// writeLoop writes the queue until it is empty, then ends.
func (c *conn) writeLoop() {
	var batch [][]byte
	for {
		if batch = c.take(batch); batch == nil {
			return
		}
		err := c.raw.writeFrames(batch, c.h.cfg.WriteTimeout, c.closed)
		if err != nil && !errors.Is(err, errStopped) {
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
		rest, unsent, ok, err := c.raw.tryWrite(batch, c.h.cfg.WriteTimeout)
		switch {
		case !ok: // the socket is busy or cannot be written so
			c.requeue(batch)
			go c.writeLoop()
			return
		case err != nil:
			c.giveUp()
			return
		case rest != nil:
			c.requeue(unsent)
			go c.finish(rest)
			return
		case unsent != nil:
			c.requeue(unsent)
			go c.writeLoop()
			return
		}
	}
}

// requeue puts frames back at the head of the queue, for the holder of
// the writing role.
func (c *conn) requeue(frames [][]byte) {
	c.mu.Lock()
	c.queue = append(frames, c.queue...)
	c.mu.Unlock()
}

// finish writes the rest of the frame that flush began (holding the
// socket's write lock for it), then carries on as writeLoop.
func (c *conn) finish(rest []byte) {
	if err := c.raw.writeRest(rest, c.h.cfg.WriteTimeout); err != nil {
		c.giveUp()
		return
	}
	c.writeLoop()
}

// close ends the connection once, from any goroutine, with a close frame
// of code and reason after the frame being written, if the socket takes
// them (see shut).
func (c *conn) close(code websocket.StatusCode, reason string) {
	c.closeWith(code, reason, false)
}

// drop ends the connection once, from any goroutine, without a close
// frame: the peer does not answer, or the socket failed.
func (c *conn) drop(reason string) {
	c.closeWith(websocket.StatusPolicyViolation, reason, true)
}

func (c *conn) closeWith(code websocket.StatusCode, reason string, abrupt bool) {
	c.closeOnce.Do(func() {
		c.closeCode, c.closeWhy, c.abrupt = code, reason, abrupt
		c.mu.Lock()
		close(c.closed)
		// Whoever holds the writing role hands it to shut when it stops
		// (take, giveUp); if nobody does, shut takes it now. Either way,
		// no writer may start any more.
		idle := !c.writing
		c.writing = true
		c.mu.Unlock()
		if idle {
			c.startShut()
		}
	})
}

// startShut starts shut, by the holder of the writing role once the
// connection is closed: it happens once, after the last frame written.
func (c *conn) startShut() { go c.shut() }

// shut ends the socket once the writers are done: with the close
// handshake (the close frame within 5 s, coder/websocket's bound, then up
// to 5 s for the client's), or at once when the connection was dropped or
// a write failed and the stream may end inside a frame.
func (c *conn) shut() {
	defer close(c.gone)
	if c.tracked {
		defer c.h.wg.Done()
	}
	if c.ws == nil {
		return
	}
	if c.abrupt || (c.raw != nil && c.raw.broken.Load()) {
		c.ws.CloseNow()
		return
	}
	// The close handshake reads from the connection: wait until readLoop
	// is not looking at the read buffer. A client that stops in the
	// middle of a control frame holds readLoop there: past the write
	// timeout, the socket is closed under it.
	if c.raw != nil && c.h.cfg.WriteTimeout > 0 {
		stuck := time.AfterFunc(c.h.cfg.WriteTimeout, func() { c.raw.Conn.Close() })
		c.brMu.Lock()
		stuck.Stop()
	} else {
		c.brMu.Lock()
	}
	c.brMu.Unlock()
	if err := c.ws.Close(c.closeCode, c.closeWhy); err != nil {
		c.h.log.Debug("close handshake", "remote", c.remote, "code", int(c.closeCode), "err", err)
	}
}

// serve starts the connection: it greets the client, starts the
// keepalive pings, and reads requests until the connection ends (end).
func (c *conn) serve() {
	c.mu.Lock()
	c.live = true
	c.mu.Unlock()
	c.enqueue(c.h.hello)
	c.ping = time.AfterFunc(c.h.cfg.PingInterval, c.keepalive)
	if d := c.h.cfg.LoginTimeout; d > 0 {
		c.login = time.AfterFunc(d, c.loginExpired)
	}
	c.readLoop(false)
}

// loginExpired closes a connection that is still not logged in when its
// login deadline passes.
func (c *conn) loginExpired() {
	c.h.mu.RLock()
	authed := c.user.ID != 0 || c.media
	c.h.mu.RUnlock()
	if !authed {
		c.h.m.loginTimeouts.Inc()
		c.close(websocket.StatusPolicyViolation, reasonLoginTimeout)
	}
}

// Close reasons clients may match on (docs/protocol.md, "Closing").
const (
	reasonLoginTimeout = "login timeout"
	reasonTooMany      = "too many connections from your address"
	reasonTooSlow      = "too slow: reconnect and sync"
	reasonLoggedOut    = "logged out"
	reasonShutdown     = "server is shutting down"
)

// keepalive pings the client every PingInterval; one that has not
// answered the previous ping within WriteTimeout is cut off. The hub
// writes the pings and reads the pongs itself (control), so that a
// keepalive never leaves an idle connection's goroutine waiting inside
// the WebSocket reader.
func (c *conn) keepalive() {
	select {
	case <-c.closed:
		return
	default:
	}
	if c.awaitPong.Load() {
		c.drop("ping timeout")
		return
	}
	c.awaitPong.Store(true)
	if err := c.raw.writeControl(opPing, nil, c.h.cfg.WriteTimeout); err != nil {
		c.drop("write failed")
		return
	}
	c.ping.Reset(c.h.cfg.WriteTimeout)
}

// pong notes the client's answer to a ping.
func (c *conn) pong() {
	if c.awaitPong.Swap(false) {
		c.ping.Reset(c.h.cfg.PingInterval)
	}
}

// readLoop reads and dispatches requests. When nothing is left to read
// it does not wait here, deep in the WebSocket reader with the stack a
// request needed: it hands the wait to a fresh goroutine (idle), whose
// stack is small, and ends. woken says the socket has bytes to read.
func (c *conn) readLoop(woken bool) {
	ctx := c.h.ctx
	for ; ; woken = false {
		more, err := c.control(woken)
		if err != nil {
			c.end()
			return
		}
		if !more && c.raw.canWait() {
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

// control answers the pings and notes the pongs that come next from the
// client, between two messages, where the WebSocket reader is not
// active. more says that other bytes (a message or a close) wait in the
// read buffer. woken says the socket has bytes: they are buffered first.
func (c *conn) control(woken bool) (more bool, err error) {
	if !c.raw.canWait() {
		return true, nil // the WebSocket reader handles everything
	}
	c.brMu.Lock()
	defer c.brMu.Unlock()
	select {
	case <-c.closed:
		return false, net.ErrClosed
	default:
	}
	br := c.raw.br
	if woken && br.Buffered() == 0 && len(c.raw.peek) == 0 {
		if _, err := br.Peek(1); err != nil {
			return false, err
		}
	}
	for br.Buffered() > 0 || len(c.raw.peek) > 0 {
		h, err := br.Peek(2)
		if err != nil {
			return false, err
		}
		op, n, masked := h[0]&0x0f, int(h[1]&0x7f), h[1]&0x80 != 0
		if (op != opPing && op != opPong) || h[0]&0xf0 != 0x80 || n > 125 {
			return true, nil // a message, a close, or what the reader will refuse
		}
		size := 2 + n
		if masked {
			size += 4
		}
		f, err := br.Peek(size)
		if err != nil {
			return false, err
		}
		var payload [125]byte
		p := payload[:copy(payload[:], f[size-n:])]
		if masked {
			key := f[2:6]
			for i := range p {
				p[i] ^= key[i&3]
			}
		}
		br.Discard(size)
		if op == opPong {
			c.pong()
		} else if err := c.raw.writeControl(opPong, p, c.h.cfg.WriteTimeout); err != nil {
			return false, err
		}
	}
	return false, nil
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
	if c.login != nil {
		c.login.Stop()
	}
	// The device's last activity (people.go) is written after the
	// connection has left its user's list: the user is offline at once,
	// not after a write.
	hash := c.tokenHash
	c.h.remove(c)
	c.h.touchSession(hash, c.remote)
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
