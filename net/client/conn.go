package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"parley/net/proto"
)

// Defaults of DialOptions.
const (
	DefaultPingInterval = 15 * time.Second
	DefaultPingTimeout  = 10 * time.Second
	DefaultWriteTimeout = 10 * time.Second

	// DefaultReadLimit bounds one frame from the server. Requests are
	// bounded by proto.MaxFrameBytes, but replies are not: a history page
	// holds up to proto.MaxHistoryLimit messages of up to
	// proto.MaxTextBytes each (8 MiB of text before JSON escaping), so the
	// limit is well above proto.MaxFrameBytes. A frame over it closes the
	// connection.
	DefaultReadLimit = 16 << 20
)

// Push is a frame the server sent without being asked. Exactly one of
// Message, Conversation and Presence is set for the known push types; Body
// always holds the raw body, so pushes this client does not know yet can
// still be decoded by the caller.
type Push struct {
	Type         string // proto.TypeMessage, proto.TypeConversation, proto.TypePresence, ...
	Message      *proto.Message
	Conversation *proto.ConversationPush
	Presence     *proto.Presence
	Body         json.RawMessage
}

// DialOptions configures one connection. The zero value is usable.
type DialOptions struct {
	HTTPClient *http.Client // nil: http.DefaultClient (ignored in browsers)
	Header     http.Header  // extra handshake headers (ignored in browsers)

	// Keepalive: a WebSocket ping every PingInterval; no pong within
	// PingTimeout closes the connection. Zero means the default; a
	// negative PingInterval disables keepalive.
	PingInterval, PingTimeout time.Duration

	// WriteTimeout bounds writing one request; a write that times out
	// closes the connection. Zero means DefaultWriteTimeout.
	WriteTimeout time.Duration

	// ReadLimit bounds one frame from the server; zero means
	// DefaultReadLimit.
	ReadLimit int64

	// OnPush receives every push, synchronously on the connection's read
	// goroutine, in arrival order. It must not call Call (or any typed
	// call) synchronously: the reply would be read by the goroutine that
	// is running OnPush, so the call would deadlock; nor Close, which
	// waits for that goroutine. It must also be
	// quick: while it runs nothing else is read, so replies, pongs (a
	// keepalive failure closes the connection) and the server's queue all
	// wait; the server disconnects clients that fall behind. After a
	// reconnect, sync recovers anything missed.
	OnPush func(Push)
}

func (o DialOptions) withDefaults() DialOptions {
	if o.PingInterval == 0 {
		o.PingInterval = DefaultPingInterval
	}
	if o.PingTimeout <= 0 {
		o.PingTimeout = DefaultPingTimeout
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = DefaultWriteTimeout
	}
	if o.ReadLimit <= 0 {
		o.ReadLimit = DefaultReadLimit
	}
	return o
}

// Conn is one WebSocket connection to a Parley server. All methods may be
// called concurrently. A Conn does not reconnect; see Session.
type Conn struct {
	ops

	ws       *websocket.Conn
	opts     DialOptions
	hello    proto.Hello
	maxFrame int // the server's limit on one request frame

	nextID atomic.Uint64

	ctx    context.Context // done when the connection ends
	cancel context.CancelFunc
	done   chan struct{}
	wg     sync.WaitGroup // the read and keepalive goroutines

	mu      sync.Mutex
	pending map[string]chan<- proto.Frame // request id → its reply
	err     error                         // why the connection ended; nil while open
}

// Dial connects to url (ws://host/v1/ws or wss://...) and waits for the
// server's hello. ctx bounds the handshake and the wait for hello; it does
// not bound the connection's life after Dial returns.
func Dial(ctx context.Context, url string, opts DialOptions) (*Conn, error) {
	opts = opts.withDefaults()
	ws, _, err := websocket.Dial(ctx, url, wsDialOptions(opts))
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", url, err)
	}
	if p := ws.Subprotocol(); p != proto.Subprotocol {
		ws.Close(websocket.StatusProtocolError, "subprotocol "+proto.Subprotocol+" required")
		return nil, fmt.Errorf("dial %s: server chose subprotocol %q, want %q", url, p, proto.Subprotocol)
	}
	ws.SetReadLimit(opts.ReadLimit)
	hello, err := readHello(ctx, ws)
	if err != nil {
		ws.CloseNow()
		return nil, fmt.Errorf("dial %s: %w", url, err)
	}
	c := &Conn{
		ws:       ws,
		opts:     opts,
		hello:    hello,
		maxFrame: hello.MaxFrameBytes,
		done:     make(chan struct{}),
		pending:  make(map[string]chan<- proto.Frame),
	}
	if c.maxFrame <= 0 {
		c.maxFrame = proto.MaxFrameBytes
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.ops = ops{call: c.Call}
	c.wg.Go(c.readLoop)
	if opts.PingInterval > 0 {
		c.wg.Go(c.keepalive)
	}
	return c, nil
}

func readHello(ctx context.Context, ws *websocket.Conn) (proto.Hello, error) {
	typ, data, err := ws.Read(ctx)
	if err != nil {
		return proto.Hello{}, fmt.Errorf("wait for hello: %w", err)
	}
	if typ != websocket.MessageText {
		return proto.Hello{}, fmt.Errorf("first frame is binary, want hello")
	}
	f, err := proto.DecodeFrame(data)
	if err != nil {
		return proto.Hello{}, fmt.Errorf("decode hello: %w", err)
	}
	if f.Type != proto.TypeHello {
		return proto.Hello{}, fmt.Errorf("first frame is %q, want hello", f.Type)
	}
	var h proto.Hello
	if err := json.Unmarshal(f.Body, &h); err != nil {
		return proto.Hello{}, fmt.Errorf("decode hello: %w", err)
	}
	if h.Version != proto.Version {
		return proto.Hello{}, fmt.Errorf("server speaks protocol version %d, this client %d", h.Version, proto.Version)
	}
	return h, nil
}

// Hello returns the server's hello.
func (c *Conn) Hello() proto.Hello { return c.hello }

// Done is closed when the connection ends, for whatever reason.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Err says why the connection ended: nil while it is open, otherwise an
// error wrapping ErrClosed (and the cause, if it was not Close).
func (c *Conn) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Close ends the connection with a normal closure and returns once the
// connection's goroutines have ended: no OnPush call is running or starts
// after it returns (so OnPush must not call Close: it would wait for
// itself). Pending calls fail with ErrClosed. Closing twice, or after the
// connection ended by itself, only waits.
func (c *Conn) Close() error {
	var err error
	if c.end(ErrClosed) {
		// The read loop keeps reading during the close handshake and
		// sees the server's close frame; then the context can go.
		err = c.ws.Close(websocket.StatusNormalClosure, "")
		c.cancel()
	}
	c.wg.Wait()
	if err != nil {
		return fmt.Errorf("close: %w", err)
	}
	return nil
}

// fail ends the connection because of cause.
func (c *Conn) fail(cause error) {
	if c.end(fmt.Errorf("%w: %w", ErrClosed, cause)) {
		c.ws.CloseNow()
		c.cancel()
	}
}

// end records why the connection ended and wakes everyone waiting on it.
// It reports whether this call was the one that ended it.
func (c *Conn) end(err error) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return false
	}
	c.err = err
	c.pending = nil
	close(c.done)
	return true
}

// Call sends a request of type typ with body req and decodes the reply
// body into reply (which may be nil). A failed reply is returned as the
// server's *proto.Error, unwrapped; other errors name typ and wrap the
// cause (ErrClosed when the connection ended before the reply came).
//
// ctx cancels the wait for the reply, not the request: once written, the
// server may still perform it. Writing is bounded by WriteTimeout, not by
// ctx, so that cancelling a call never tears a frame and the connection.
// A request frame over the server's limit fails with proto.CodeTooLarge
// without being sent.
func (c *Conn) Call(ctx context.Context, typ string, req, reply any) error {
	id := strconv.FormatUint(c.nextID.Add(1), 10)
	data, err := proto.EncodeRequest(typ, id, req)
	if err != nil {
		return fmt.Errorf("%s: %w", typ, err)
	}
	if len(data) > c.maxFrame {
		return proto.Errorf(proto.CodeTooLarge, "%s request is %d bytes, over the server's limit of %d", typ, len(data), c.maxFrame)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", typ, err)
	}

	ch := make(chan proto.Frame, 1)
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return fmt.Errorf("%s: %w", typ, err)
	}
	c.pending[id] = ch
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.pending, id) // a no-op on the nil map of an ended connection
		c.mu.Unlock()
	}()

	wctx, cancel := context.WithTimeout(c.ctx, c.opts.WriteTimeout)
	err = c.ws.Write(wctx, websocket.MessageText, data)
	cancel()
	if err != nil {
		c.fail(fmt.Errorf("write %s: %w", typ, err))
		return fmt.Errorf("%s: %w", typ, c.Err())
	}

	select {
	case f := <-ch:
		return decodeReply(typ, f, reply)
	case <-c.done:
		select {
		case f := <-ch: // the reply won the race with the end
			return decodeReply(typ, f, reply)
		default:
			return fmt.Errorf("%s: no reply: %w", typ, c.Err())
		}
	case <-ctx.Done():
		return fmt.Errorf("%s: %w", typ, ctx.Err())
	}
}

func decodeReply(typ string, f proto.Frame, reply any) error {
	if f.Error != nil {
		return f.Error
	}
	if reply == nil || len(f.Body) == 0 {
		return nil
	}
	if err := json.Unmarshal(f.Body, reply); err != nil {
		return fmt.Errorf("%s: decode reply: %w", typ, err)
	}
	return nil
}

func (c *Conn) readLoop() {
	for {
		typ, data, err := c.ws.Read(c.ctx)
		if err != nil {
			c.fail(fmt.Errorf("read: %w", err))
			return
		}
		if typ != websocket.MessageText {
			continue // binary frames carry call audio, which this client does not handle yet
		}
		f, err := proto.DecodeFrame(data)
		if err != nil {
			c.fail(fmt.Errorf("bad frame from server: %w", err))
			return
		}
		if f.Type == proto.TypeReply {
			c.deliver(f)
			continue
		}
		p, err := decodePush(f)
		if err != nil {
			c.fail(err)
			return
		}
		if c.opts.OnPush != nil {
			c.opts.OnPush(p)
		}
	}
}

// deliver hands a reply to the call waiting for it. Replies nobody waits
// for (the call's ctx ended) are dropped.
func (c *Conn) deliver(f proto.Frame) {
	c.mu.Lock()
	ch := c.pending[f.ID]
	delete(c.pending, f.ID)
	c.mu.Unlock()
	if ch != nil {
		ch <- f // buffered, and this is its only send
	}
}

func decodePush(f proto.Frame) (Push, error) {
	p := Push{Type: f.Type, Body: f.Body}
	var v any
	switch f.Type {
	case proto.TypeMessage:
		p.Message = new(proto.Message)
		v = p.Message
	case proto.TypeConversation:
		p.Conversation = new(proto.ConversationPush)
		v = p.Conversation
	case proto.TypePresence:
		p.Presence = new(proto.Presence)
		v = p.Presence
	default:
		return p, nil
	}
	if err := json.Unmarshal(f.Body, v); err != nil {
		return Push{}, fmt.Errorf("decode %s push: %w", f.Type, err)
	}
	return p, nil
}

func (c *Conn) keepalive() {
	t := time.NewTicker(c.opts.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(c.ctx, c.opts.PingTimeout)
		err := c.keepalivePing(ctx)
		cancel()
		if err != nil {
			c.fail(fmt.Errorf("keepalive: no pong within %v: %w", c.opts.PingTimeout, err))
			return
		}
	}
}
