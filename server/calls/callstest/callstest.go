// Package callstest runs a real Parley server (storage, hub, WebSocket on
// 127.0.0.1) whose clock a test controls, so that a 30 s ring timeout or
// a 4 s media silence is a call to Clock.Advance rather than a wait; and
// a protocol-level client that carries call audio (binary frames), with
// a way to make its network die silently.
//
// It is for tests only: nothing in the product imports it.
package callstest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"parley/net/proto"
	"parley/server/auth"
	"parley/server/calls"
	"parley/server/hub"
	"parley/server/metrics"
	"parley/server/node/nodetest"
	"parley/server/storage"
)

// Clock is the shared settable test clock.
type Clock = nodetest.Clock

// Server is a running server.
type Server struct {
	URL   string // ws://127.0.0.1:port/v1/ws
	Clock *Clock // nil with RealTime
	Hub   *hub.Hub
	DB    storage.Store
	// Metrics is the server's registry: tests read counters from it.
	Metrics *metrics.Registry

	hs *httptest.Server
}

// Option changes how Start builds the server.
type Option func(*options)

type options struct{ realTime, flood bool }

// RealTime runs the server on the real clock (media tests, benchmarks).
func RealTime() Option { return func(o *options) { o.realTime = true } }

// FloodLimit turns on the server's forwarding limit (100 packets a second
// from one party, bursts of 50). It is off by default: tests send packets
// faster than their fake clock moves.
func FloodLimit() Option { return func(o *options) { o.flood = true } }

// Start starts a server that stops when the test ends.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	var o options
	for _, f := range opts {
		f(&o)
	}
	s := &Server{}
	now := time.Now
	if !o.realTime {
		s.Clock = nodetest.NewClock(time.Unix(1_800_000_000, 0))
		now = s.Clock.Now
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var h *hub.Hub
	db, err := storage.Open(context.Background(), t.TempDir(), storage.Options{
		Synchronous: "NORMAL",
		OnCommit:    func(c []storage.Committed) { h.Publish(c) },
		Logger:      log,
		NoRequests:  true, // strangers call each other here, as with nodetest
	})
	if err != nil {
		t.Fatalf("open storage: %v", err)
	}
	s.Metrics = metrics.NewRegistry()
	flood := calls.Flood{Rate: -1}
	if o.flood {
		flood = calls.Flood{}
	}
	h = hub.New(hub.Config{
		CallFlood: flood,
		DB:        db,
		Registry:  s.Metrics,
		Hasher:    auth.NewHasher(auth.Params{Memory: 64, Time: 1, Threads: 1}, 2),
		Logger:    log,
		Now:       now,
	})
	s.Hub, s.DB = h, db
	s.hs = httptest.NewServer(h)
	s.URL = "ws://" + strings.TrimPrefix(s.hs.URL, "http://") + proto.WSPath
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s.hs.Listener.Close()
		h.Shutdown(ctx)
		s.hs.CloseClientConnections()
		s.hs.Close()
		db.Close()
		h.Close()
	})
	return s
}

// At is a server the test started itself, at WebSocket URL url (a
// nodetest server with UDP on, say), for this package's clients: Dial,
// Register and Login work; Clock, Hub, DB and Metrics are nil, and
// DialFreezable fails.
func At(url string) *Server { return &Server{URL: url} }

// Metric returns the value of one sample line of the server's metrics,
// e.g. `parley_call_packets_dropped_total{reason="peer_slow"}`; 0 if absent.
func (s *Server) Metric(name string) float64 {
	var b strings.Builder
	s.Metrics.WriteTo(&b)
	for _, line := range strings.Split(b.String(), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			var f float64
			fmt.Sscan(v, &f)
			return f
		}
	}
	return 0
}

// Account is a registered user and their password.
type Account struct {
	proto.User
	Password string
}

// Register creates a user.
func (s *Server) Register(t testing.TB, name string) Account {
	t.Helper()
	c := s.Dial(t)
	defer c.Close()
	var r proto.RegisterReply
	if err := c.Do(proto.TypeRegister, proto.RegisterRequest{Name: name, Password: "secret-password"}, &r); err != nil {
		t.Fatalf("register %s: %v", name, err)
	}
	return Account{User: r.User, Password: "secret-password"}
}

// Client is one WebSocket connection, speaking the protocol frame by
// frame. Replies go to Do; pushes and audio packets queue for the test.
type Client struct {
	t     testing.TB
	ws    *websocket.Conn
	proxy *proxy

	User  proto.User
	Token string

	nextID  atomic.Uint64
	mu      sync.Mutex
	pending map[string]chan proto.Frame

	pushes  chan proto.Frame
	packets chan []byte
	done    chan struct{}
	// Messages holds the messages pushed to the connection (the call
	// entries of the history among them), apart from the call pushes
	// that Next reads; when full, later ones are dropped.
	Messages chan proto.Message
}

// Dial opens a connection and waits for hello.
func (s *Server) Dial(t testing.TB) *Client {
	t.Helper()
	return s.dial(t, nil)
}

// DialFreezable opens a connection through a TCP relay that Freeze can
// stop without closing anything: a network that dies silently.
func (s *Server) DialFreezable(t testing.TB) *Client {
	t.Helper()
	if s.hs == nil {
		t.Fatal("DialFreezable needs a server of Start's")
	}
	p, err := newProxy(strings.TrimPrefix(s.hs.URL, "http://"))
	if err != nil {
		t.Fatalf("proxy: %v", err)
	}
	t.Cleanup(p.close)
	return s.dial(t, p)
}

func (s *Server) dial(t testing.TB, p *proxy) *Client {
	t.Helper()
	url := s.URL
	if p != nil {
		url = "ws://" + p.addr() + proto.WSPath
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{proto.Subprotocol}})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	ws.SetReadLimit(16 << 20)
	c := &Client{
		t: t, ws: ws, proxy: p,
		pending:  map[string]chan proto.Frame{},
		pushes:   make(chan proto.Frame, 256),
		Messages: make(chan proto.Message, 64),
		packets:  make(chan []byte, 4096),
		done:     make(chan struct{}),
	}
	_, data, err := ws.Read(ctx)
	if err != nil {
		t.Fatalf("read hello: %v", err)
	}
	if f, err := proto.DecodeFrame(data); err != nil || f.Type != proto.TypeHello {
		t.Fatalf("first frame %q: %v", data, err)
	}
	go c.read()
	t.Cleanup(func() { c.ws.CloseNow() })
	return c
}

// Login dials and logs in as a.
func (s *Server) Login(t testing.TB, a Account) *Client {
	t.Helper()
	c := s.Dial(t)
	c.Login(a)
	return c
}

// Login logs the connection in.
func (c *Client) Login(a Account) {
	c.t.Helper()
	var r proto.LoginReply
	if err := c.Do(proto.TypeLogin, proto.LoginRequest{User: a.ID, Password: a.Password, Device: "test"}, &r); err != nil {
		c.t.Fatalf("login %d: %v", a.ID, err)
	}
	c.User, c.Token = r.User, r.Token
}

func (c *Client) read() {
	defer close(c.done)
	for {
		typ, data, err := c.ws.Read(context.Background())
		if err != nil {
			return
		}
		if typ == websocket.MessageBinary {
			select {
			case c.packets <- data:
			default: // the test is not reading audio: drop, like a device
			}
			continue
		}
		f, err := proto.DecodeFrame(data)
		if err != nil {
			return
		}
		if f.Type == proto.TypeReply {
			c.mu.Lock()
			ch := c.pending[f.ID]
			delete(c.pending, f.ID)
			c.mu.Unlock()
			if ch != nil {
				ch <- f
			}
			continue
		}
		switch f.Type {
		case proto.TypeMessage:
			var m proto.Message
			if json.Unmarshal(f.Body, &m) == nil {
				select {
				case c.Messages <- m:
				default:
				}
			}
			continue
		case proto.TypeConversation: // a direct conversation a call entry opened
			continue
		}
		c.pushes <- f
	}
}

// Do sends a request and waits for its reply; a failed reply is returned
// as the server's *proto.Error.
func (c *Client) Do(typ string, req, reply any) error {
	id := fmt.Sprint(c.nextID.Add(1))
	ch := make(chan proto.Frame, 1)
	c.mu.Lock()
	c.pending[id] = ch
	c.mu.Unlock()
	frame, err := proto.EncodeRequest(typ, id, req)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.ws.Write(ctx, websocket.MessageText, frame); err != nil {
		return fmt.Errorf("%s: %w", typ, err)
	}
	select {
	case f := <-ch:
		if f.Error != nil {
			return f.Error
		}
		if reply != nil {
			return json.Unmarshal(f.Body, reply)
		}
		return nil
	case <-c.done:
		return fmt.Errorf("%s: connection closed", typ)
	case <-ctx.Done():
		return fmt.Errorf("%s: no reply", typ)
	}
}

// Next returns the next push, which must be of type typ, decoded into
// body (if not nil).
func (c *Client) Next(typ string, body any) {
	c.t.Helper()
	select {
	case f := <-c.pushes:
		if f.Type != typ {
			c.t.Fatalf("user %d got push %s %s, want %s", c.User.ID, f.Type, f.Body, typ)
		}
		if body != nil {
			if err := json.Unmarshal(f.Body, body); err != nil {
				c.t.Fatal(err)
			}
		}
	case <-time.After(10 * time.Second):
		c.t.Fatalf("user %d: no %s push", c.User.ID, typ)
	}
}

// NextEnd returns the next push, which must be a call_end.
func (c *Client) NextEnd() proto.CallEnd {
	c.t.Helper()
	var e proto.CallEnd
	c.Next(proto.TypeCallEnd, &e)
	return e
}

// NoPush checks that no push is waiting. (Pushes of one connection come
// in order, so a test first waits for a later push it expects.)
func (c *Client) NoPush() {
	c.t.Helper()
	select {
	case f := <-c.pushes:
		c.t.Fatalf("user %d got unexpected push %s %s", c.User.ID, f.Type, f.Body)
	default:
	}
}

// Send writes one binary frame.
func (c *Client) Send(pkt []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return c.ws.Write(ctx, websocket.MessageBinary, pkt)
}

// Packets delivers the binary frames received.
func (c *Client) Packets() <-chan []byte { return c.packets }

// Done is closed when the connection has ended.
func (c *Client) Done() <-chan struct{} { return c.done }

// Close closes the connection politely.
func (c *Client) Close() {
	c.ws.Close(websocket.StatusNormalClosure, "")
}

// Freeze stops the network under a DialFreezable client: nothing passes
// either way, nothing is closed.
func (c *Client) Freeze() {
	if c.proxy == nil {
		c.t.Fatal("Freeze needs DialFreezable")
	}
	c.proxy.freeze()
}

// Stall makes a DialFreezable client stop reading what the server sends,
// as a slow receiver does: the server's socket buffers fill and its
// writes to this client block. Unstall lets it read again.
func (c *Client) Stall() {
	if c.proxy == nil {
		c.t.Fatal("Stall needs DialFreezable")
	}
	c.proxy.stall(true)
}

// Unstall undoes Stall.
func (c *Client) Unstall() { c.proxy.stall(false) }

// proxy relays one TCP connection at a time to the server, until frozen.
type proxy struct {
	ln     net.Listener
	target string
	frozen atomic.Bool

	mu      sync.Mutex
	conns   []net.Conn
	stalled chan struct{} // while not nil, reads from the server wait for it to close
}

func newProxy(target string) (*proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &proxy{ln: ln, target: target}
	go p.serve()
	return p, nil
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) serve() {
	for {
		in, err := p.ln.Accept()
		if err != nil {
			return
		}
		out, err := net.Dial("tcp", p.target)
		if err != nil {
			in.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, in, out)
		p.mu.Unlock()
		go p.pipe(out, in, false)
		go p.pipe(in, out, true)
	}
}

func (p *proxy) pipe(dst, src net.Conn, fromServer bool) {
	buf := make([]byte, 32<<10)
	for {
		if fromServer {
			p.mu.Lock()
			wait := p.stalled
			p.mu.Unlock()
			if wait != nil {
				<-wait
			}
		}
		n, err := src.Read(buf)
		if err != nil {
			return
		}
		if p.frozen.Load() {
			continue // swallowed: the network is dead, nobody knows yet
		}
		if _, err := dst.Write(buf[:n]); err != nil {
			return
		}
	}
}

func (p *proxy) freeze() { p.frozen.Store(true) }

func (p *proxy) stall(on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case on && p.stalled == nil:
		p.stalled = make(chan struct{})
	case !on && p.stalled != nil:
		close(p.stalled)
		p.stalled = nil
	}
}

func (p *proxy) close() {
	p.stall(false)
	p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
}
