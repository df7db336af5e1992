// Package hub owns the live side of the server: WebSocket connections,
// who is online, request dispatch, and fan-out of committed messages.
//
// A message reaches clients only after storage has committed it. Fan-out
// runs on one goroutine in commit order, encodes each push once and queues
// the same bytes on every recipient connection; a connection whose queue
// is full is closed (it resynchronises on reconnect) rather than waited for.
//
// hub does not touch SQL; it calls storage.
package hub

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/coder/websocket"

	"parley/net/proto"
	"parley/server/auth"
	"parley/server/calls"
	"parley/server/metrics"
	"parley/server/rtc"
	"parley/server/storage"
)

// Store is what the hub needs of storage: accounts and sessions,
// conversations and their history, groups, and the operator's functions.
type Store interface {
	storage.Accounts
	storage.Conversations
	storage.Groups
	storage.Operator
}

// Config configures a Hub. DB and Hasher are required.
type Config struct {
	// Cluster, if set, is the bus to the other nodes of a cluster
	// (cluster.go); nil: this node is the server.
	Cluster  Cluster
	DB       Store
	Hasher   *auth.Hasher
	Logger   *slog.Logger
	Registry *metrics.Registry
	Now      func() time.Time

	// ServerName is sent in hello.
	ServerName string
	// QueueLen bounds each connection's outgoing queue, in frames
	// (default 1024). A connection whose queue is full is closed.
	QueueLen int
	// WriteTimeout bounds one frame write (default 10 s).
	WriteTimeout time.Duration
	// PingInterval is how often the server pings an idle client (default 30 s).
	PingInterval time.Duration
	// LoginTimeout closes a connection that has not logged in (login or
	// resume) nor attached to a call (call_media) this long after it
	// opened or logged out (default 30 s; negative: never).
	LoginTimeout time.Duration
	// MaxConnsPerAddr bounds the open connections of one client address
	// (clientAddr, so behind TrustedProxies the forwarded one): past it a
	// new connection gets a close frame 1013 instead of hello (default
	// 256; negative: no bound).
	MaxConnsPerAddr int
	// MaxInflightSends bounds the sends of one connection awaiting their
	// commit (default 64); the connection's reads pause past it.
	MaxInflightSends int
	// OriginPatterns allows cross-origin browser clients from these hosts
	// (see websocket.AcceptOptions). Same-origin and native clients are
	// always allowed.
	OriginPatterns []string

	// Failed logins: per user ID and per remote address, Burst failures
	// then one more per Every. Registrations: per remote address.
	LoginUserLimit, LoginAddrLimit, RegisterLimit Limit
	// Attempts to join a group (join_group, join_link), per user and per
	// remote address, whatever their outcome (groups.go).
	JoinUserLimit, JoinAddrLimit Limit
	// SharedLimits, if set, keeps the buckets of all these limits in the
	// database that the nodes of a cluster share, so that attempts
	// spread over the nodes get one budget (limits.go); nil: in this
	// process's memory, as a single server needs.
	SharedLimits storage.RateLimits
	// Registration is who may register: RegistrationOpen ("" too),
	// RegistrationCodes or RegistrationClosed (operator.go).
	Registration string
	// DefaultPolicy is the join policy of a group whose create_group
	// names none ("": proto.DefaultPolicy, ask).
	DefaultPolicy string
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the client's address (see clientAddr); none by default.
	TrustedProxies []netip.Prefix

	// EditWindow is how long after sending a message its sender may edit
	// it (default DefaultEditWindow; negative: no bound). See events.go.
	EditWindow time.Duration
	// ReleaseBlob, if set, is told the SHA-256 of a blob that a delete
	// left without references (the files service removes it).
	ReleaseBlob func(ctx context.Context, sha256 string)
	// MakePicture, if set, checks that file fileID of user's is a picture
	// within the limits and returns the ID of the square thumbnail it
	// made of it: user's profile picture (group 0, set_profile) or group's
	// (set_group). The files service.
	MakePicture func(ctx context.Context, user proto.UserID, group proto.ConvID, fileID string) (string, error)
	// UDP, if set, carries call audio over UDP (call_rtc_offer, calls.go);
	// nil: UDP is off.
	UDP *rtc.Server
	// CallFlood bounds the audio packets forwarded from one party of a
	// call (zero: the protocol's 100 a second in bursts of 50; a negative
	// Rate: none, for tests whose clock stands still).
	CallFlood calls.Flood
}

// Limit is a token-bucket rate: Burst at once, then one per Every.
// A zero Limit disables the limiter.
type Limit struct {
	Burst int
	Every time.Duration
}

// Default limits: 5 wrong passwords per account, then one a minute; 20 per
// address, then one every 10 s; 10 registrations per address, then one a minute.
var (
	DefaultLoginUserLimit = Limit{Burst: 5, Every: time.Minute}
	DefaultLoginAddrLimit = Limit{Burst: 20, Every: 10 * time.Second}
	DefaultRegisterLimit  = Limit{Burst: 10, Every: time.Minute}
	// Joins: 10 attempts per account, then one every 30 s; 30 per
	// address, then one every 10 s.
	DefaultJoinUserLimit = Limit{Burst: 10, Every: 30 * time.Second}
	DefaultJoinAddrLimit = Limit{Burst: 30, Every: 10 * time.Second}
)

// Default connection limits: 30 s to log in; 256 open connections per
// address, enough for an office behind one NAT address, few enough that
// one address cannot take the server's memory.
const (
	DefaultLoginTimeout    = 30 * time.Second
	DefaultMaxConnsPerAddr = 256
)

// Hub is the set of live connections. It is safe for concurrent use.
type Hub struct {
	cfg  Config
	db   Store
	log  *slog.Logger
	now  func() time.Time
	m    hubMetrics
	ops  map[string]op
	lims struct{ loginUser, loginAddr, register, joinUser, joinAddr limiter }

	hello []byte

	mu    sync.RWMutex
	users map[proto.UserID][]*conn
	// remoteOnline: in a cluster, the other nodes where each user has
	// connections, and their references there (cluster.go).
	remoteOnline map[proto.UserID]map[string]Here
	watchers     map[proto.ConvID]map[*conn]struct{}
	conns        map[*conn]struct{}
	perAddr      map[string]int // open connections by client address
	closing      bool
	wg           sync.WaitGroup // connection goroutines: readers and shuts

	calls *callLayer    // voice calls: calls.go
	rx    *receiptLayer // receipts and typing: receipts.go

	fanout     chan []storage.Committed
	fanoutDone chan struct{}

	ctx  context.Context // connections live in it; Close cancels it
	stop context.CancelFunc

	// beforeBind, if set (tests), runs in resume between the session's
	// lookup and binding the connection.
	beforeBind func()
	// beforeSession, if set (tests), runs in login between checking the
	// password and storing the session.
	beforeSession func()
	// beforeGroupCall, if set (tests), runs in group_call between the
	// membership check and joining the call.
	beforeGroupCall func()
}

// New returns a Hub. Call Publish from storage's OnCommit, and Close when
// done (after the storage that feeds it has stopped).
func New(cfg Config) *Hub {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Registry == nil {
		cfg.Registry = metrics.NewRegistry()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ServerName == "" {
		cfg.ServerName = "parley"
	}
	if cfg.QueueLen <= 0 {
		cfg.QueueLen = 1024
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = 10 * time.Second
	}
	if cfg.PingInterval <= 0 {
		cfg.PingInterval = 30 * time.Second
	}
	if cfg.MaxInflightSends <= 0 {
		cfg.MaxInflightSends = 64
	}
	switch {
	case cfg.LoginTimeout == 0:
		cfg.LoginTimeout = DefaultLoginTimeout
	case cfg.LoginTimeout < 0:
		cfg.LoginTimeout = 0
	}
	switch {
	case cfg.MaxConnsPerAddr == 0:
		cfg.MaxConnsPerAddr = DefaultMaxConnsPerAddr
	case cfg.MaxConnsPerAddr < 0:
		cfg.MaxConnsPerAddr = 0
	}
	h := &Hub{
		cfg: cfg, db: cfg.DB, log: cfg.Logger, now: cfg.Now,
		users:        map[proto.UserID][]*conn{},
		remoteOnline: map[proto.UserID]map[string]Here{},
		watchers:     map[proto.ConvID]map[*conn]struct{}{},
		conns:        map[*conn]struct{}{},
		perAddr:      map[string]int{},
		fanout:       make(chan []storage.Committed, 256),
		fanoutDone:   make(chan struct{}),
	}
	h.ctx, h.stop = context.WithCancel(context.Background())
	h.m = newHubMetrics(cfg.Registry, h)
	h.ops = h.handlers()
	h.newLimiters(cfg)
	hello, err := proto.EncodePush(proto.TypeHello, proto.Hello{
		Version: proto.Version, Server: cfg.ServerName,
		MaxTextBytes: proto.MaxTextBytes, MaxFrameBytes: proto.MaxFrameBytes,
		EditWindowMs: h.editWindow().Milliseconds(), // 0 (omitted): no bound
		UDP:          cfg.UDP != nil,
	})
	if err != nil {
		panic(err) // constant input
	}
	h.hello = hello
	go h.runFanout()
	return h
}

// ServeHTTP upgrades a request to a WebSocket and serves it until it ends.
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.RLock()
	closing := h.closing
	h.mu.RUnlock()
	if closing {
		http.Error(w, "server is shutting down", http.StatusServiceUnavailable)
		return
	}
	hj := &hijacker{ResponseWriter: w}
	var c *conn // set before anything is read, so before any pong
	ws, err := websocket.Accept(hj, r, &websocket.AcceptOptions{
		Subprotocols:   []string{proto.Subprotocol},
		OriginPatterns: h.cfg.OriginPatterns,
		// Pongs the WebSocket reader meets (inside a message, or over TLS);
		// the others conn.control reads.
		OnPongReceived: func(context.Context, []byte) { c.pong() },
	})
	if err != nil {
		h.log.Debug("websocket accept failed", "remote", r.RemoteAddr, "err", err)
		return // Accept has written the HTTP error
	}
	ws.SetReadLimit(proto.MaxFrameBytes)
	c = newConn(h, ws, hj.raw, clientAddr(r, h.cfg.TrustedProxies))
	h.mu.Lock()
	if h.closing {
		h.mu.Unlock()
		ws.Close(websocket.StatusGoingAway, reasonShutdown)
		return
	}
	if n := h.perAddr[c.remote]; h.cfg.MaxConnsPerAddr > 0 && n >= h.cfg.MaxConnsPerAddr {
		h.mu.Unlock()
		h.m.refused.Inc()
		h.log.Debug("connection refused: too many from its address", "remote", c.remote, "open", n)
		// Instead of hello: a close frame every client can read
		// (a browser cannot see an HTTP status in place of the upgrade).
		ws.Close(websocket.StatusTryAgainLater, reasonTooMany)
		return
	}
	h.perAddr[c.remote]++
	h.conns[c] = struct{}{}
	c.tracked = true
	h.wg.Add(2) // c's reader (until end) and its shut
	h.mu.Unlock()
	h.m.conns.Inc()
	// The connection outlives this handler: returning lets the HTTP server
	// free what it kept for the request (buffers, headers), and the
	// connection's own goroutine starts with a shallow stack.
	go c.serve() // until c.end

}

// Shutdown closes every connection with "going away" (1001) and waits for
// their goroutines and close handshakes. If ctx ends first, it cuts off
// the connections whose close handshake has not finished (closes their
// sockets), waits for their goroutines, which end once the request each
// may be serving returns, and returns ctx's error.
func (h *Hub) Shutdown(ctx context.Context) error {
	h.mu.Lock()
	h.closing = true
	for c := range h.conns {
		c.close(websocket.StatusGoingAway, reasonShutdown)
	}
	h.mu.Unlock()
	done := make(chan struct{})
	go func() { h.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	h.mu.RLock()
	for c := range h.conns {
		c.cutOff()
	}
	h.mu.RUnlock()
	<-done
	return ctx.Err()
}

// cutOff closes the socket under a connection that close has not
// finished with: its reads and writes, and a close handshake waiting for
// the peer, fail at once.
func (c *conn) cutOff() {
	switch {
	case c.raw != nil:
		c.raw.Conn.Close()
	case c.ws != nil:
		c.ws.CloseNow()
	}
}

// Close stops fan-out. Call it after storage is closed, so that no commit
// arrives after it.
func (h *Hub) Close() {
	h.calls.records.Wait() // call entries: they fail fast once storage is closed
	close(h.fanout)
	<-h.fanoutDone
	h.stop()
}

// Publish hands committed messages to fan-out; storage calls it (OnCommit)
// in commit order. It copies the batch and returns at once unless fan-out
// is far behind, which then slows the writer instead of growing memory.
func (h *Hub) Publish(batch []storage.Committed) {
	h.fanout <- slices.Clone(batch)
}

// Authenticate returns the user of a session token (for HTTP endpoints
// that share the WebSocket's sessions).
func (h *Hub) Authenticate(ctx context.Context, token string) (proto.User, error) {
	return h.db.SessionUser(ctx, auth.HashToken(token))
}

// Online reports whether user has at least one authenticated connection,
// to this node or (in a cluster) another.
func (h *Hub) Online(user proto.UserID) bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.onlineLocked(user)
}

func (h *Hub) runFanout() {
	defer close(h.fanoutDone)
	var wake []*conn
	for batch := range h.fanout {
		start := h.now()
		wake = h.queueRound(batch, wake)
		// Writes start once everything is queued, so that each connection
		// writes it in one go.
		h.flushAll(wake)
		clear(wake)
		wake = wake[:0]
		h.m.fanout.ObserveDuration(h.now().Sub(start))
	}
}

// queueRound queues batch, and the batches committed meanwhile, on the
// recipients' connections, and returns (appended to wake) those that need
// writing. Merging gives each connection more frames per write when
// fan-out falls behind; it stops at roundLimit messages, so that a round
// never fills a queue that keeps up.
func (h *Hub) queueRound(batch []storage.Committed, wake []*conn) []*conn {
	n := len(batch)
	for _, cm := range batch {
		wake = h.deliver(cm, wake)
	}
	for limit := h.roundLimit(); n < limit; {
		select {
		case next, ok := <-h.fanout:
			if !ok {
				return wake
			}
			n += len(next)
			for _, cm := range next {
				wake = h.deliver(cm, wake)
			}
		default:
			return wake
		}
	}
	return wake
}

// roundLimit is a quarter of a connection's queue, at most 256 messages.
func (h *Hub) roundLimit() int { return max(1, min(256, h.cfg.QueueLen/4)) }

// flushAll writes the queues the fan-out has just filled, spread over
// the cores, without waiting on any socket (conn.flush): when it returns
// the batch has gone out, except to slow sockets, which writer goroutines
// finish.
func (h *Hub) flushAll(conns []*conn) {
	n := min(runtime.GOMAXPROCS(0), (len(conns)+63)/64)
	if n <= 1 {
		for _, c := range conns {
			c.flush()
		}
		return
	}
	var wg sync.WaitGroup
	per := (len(conns) + n - 1) / n
	for i := per; i < len(conns); i += per {
		chunk := conns[i:min(i+per, len(conns))]
		wg.Go(func() {
			for _, c := range chunk {
				c.flush()
			}
		})
	}
	for _, c := range conns[:per] {
		c.flush()
	}
	wg.Wait()
}

// deliver queues one committed message on every connection of every
// member, preceded, for a membership event, by the conversation push to
// its subject. It appends to wake the connections that need a writer.
func (h *Hub) deliver(cm storage.Committed, wake []*conn) []*conn {
	frame, err := proto.EncodePush(proto.TypeMessage, &cm.Message)
	if err != nil {
		h.log.Error("encode message push", "conv", cm.Message.Conv, "seq", cm.Message.Seq, "err", err)
		return wake
	}
	var convFrame []byte
	subject := cm.Subject
	if cm.Conv != nil && subject != 0 {
		convFrame, err = proto.EncodePush(proto.TypeConversation, proto.ConversationPush{
			Conversation: *cm.Conv, Member: cm.Member,
		})
		if err != nil {
			h.log.Error("encode conversation push", "conv", cm.Message.Conv, "err", err)
			convFrame = nil
		}
	}
	var setFrame []byte
	if cm.Settings != nil { // the sender accepted a request by writing (blocks.go)
		setFrame, _ = proto.EncodePush(proto.TypeConvSettings, cm.Settings)
	}
	n := 0
	h.mu.RLock()
	if setFrame != nil {
		for _, c := range h.users[cm.Message.Sender] {
			if c.add(setFrame) {
				wake = append(wake, c)
			}
		}
	}
	if convFrame != nil {
		for _, c := range h.users[subject] {
			if c.add(convFrame) {
				wake = append(wake, c)
			}
		}
	}
	for _, u := range cm.Members {
		for _, c := range h.users[u] {
			if c.add(frame) {
				wake = append(wake, c)
			}
			n++
		}
	}
	h.mu.RUnlock()
	h.m.delivered.Add(uint64(n))
	h.groupMembership(cm) // a member who left a group leaves its call
	return wake
}

// pushTo queues a push frame on every connection of users, on every
// node (in a cluster, one event for them all).
func (h *Hub) pushTo(frame []byte, users ...proto.UserID) {
	for _, u := range users {
		h.pushLocal(u, frame)
	}
	if len(users) > 0 {
		h.clusterPush(users, frame)
	}
}

// pushLocal queues a push frame on user's connections to this node.
func (h *Hub) pushLocal(user proto.UserID, frame []byte) {
	h.mu.RLock()
	for _, c := range h.users[user] {
		c.enqueue(frame)
	}
	h.mu.RUnlock()
}

// bind makes c an authenticated connection of user and announces the user
// online if this is their first connection.
func (h *Hub) bind(c *conn, user proto.User, tokenHash []byte) {
	h.mu.Lock()
	c.user = user
	c.tokenHash = tokenHash
	first := len(h.users[user.ID]) == 0
	news := first && !h.onlineLocked(user.ID) // not online on another node
	h.users[user.ID] = append(h.users[user.ID], c)
	here := h.hereLocked(user.ID)
	h.mu.Unlock()
	if c.login != nil {
		c.login.Stop()
	}
	h.announce(user.ID, true, here, news)
}

// unbind removes c from its user's connections (on logout or close) and
// announces the user offline if it was their last one. A connection that
// stays open (logout) has LoginTimeout again to log in.
func (h *Hub) unbind(c *conn) {
	h.mu.Lock()
	user := c.user.ID
	if user == 0 {
		h.mu.Unlock()
		return
	}
	select {
	case <-c.closed:
	default:
		if c.login != nil && !c.media {
			c.login.Reset(h.cfg.LoginTimeout)
		}
	}
	h.users[user] = slices.DeleteFunc(h.users[user], func(o *conn) bool { return o == c })
	last := len(h.users[user]) == 0
	if last {
		delete(h.users, user)
	}
	news := last && !h.onlineLocked(user) // not online on another node
	c.user = proto.User{}
	c.tokenHash = nil
	h.unwatchLocked(c)
	here := h.hereLocked(user)
	h.mu.Unlock()
	h.announce(user, !last, here, news)
}

// watch makes c receive presence changes of conv's members.
func (h *Hub) watch(c *conn, conv proto.ConvID) {
	h.mu.Lock()
	h.unwatchLocked(c)
	if conv != 0 {
		if h.watchers[conv] == nil {
			h.watchers[conv] = map[*conn]struct{}{}
		}
		h.watchers[conv][c] = struct{}{}
		c.watching = conv
	}
	h.mu.Unlock()
}

func (h *Hub) unwatchLocked(c *conn) {
	if c.watching == 0 {
		return
	}
	if w := h.watchers[c.watching]; w != nil {
		delete(w, c)
		if len(w) == 0 {
			delete(h.watchers, c.watching)
		}
	}
	c.watching = 0
}

// announce tells the other nodes what this node has of user now (online:
// connections), and, if that changed whether the
// user is online in the cluster (news: the first opened or the last
// closed, and none elsewhere), the connections here watching a
// conversation user is in.
func (h *Hub) announce(user proto.UserID, online bool, here Here, news bool) {
	if h.cfg.Cluster != nil {
		h.cfg.Cluster.Publish(eventPresence, presenceEvent{Node: h.cfg.Cluster.Node(), User: user, Online: online, Here: here})
	}
	if news {
		h.announceLocal(user, online)
	}
}

// hereLocked returns what this node has of user, for the other nodes
// (nothing outside a cluster). Call with h.mu held.
func (h *Hub) hereLocked(user proto.UserID) Here {
	if h.cfg.Cluster == nil {
		return Here{}
	}
	var here Here
	for _, c := range h.users[user] {
		here.Refs = append(here.Refs, h.calls.refs.ref(c))
		if id := storageDeviceID(c.tokenHash); !slices.Contains(here.Devices, id) {
			here.Devices = append(here.Devices, id)
		}
	}
	return here
}

// announceLocal pushes a presence change of user to the connections to
// this node watching a conversation user is in.
func (h *Hub) announceLocal(user proto.UserID, online bool) {
	h.mu.RLock()
	watched := len(h.watchers) > 0
	h.mu.RUnlock()
	if !watched {
		return
	}
	convs, err := h.db.PresenceConvIDs(context.Background(), user) // not where they hide it (blocks.go)
	if err != nil {
		h.log.Error("presence: list conversations", "user", user, "err", err)
		return
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	for _, conv := range convs {
		ws := h.watchers[conv]
		if len(ws) == 0 {
			continue
		}
		frame, err := proto.EncodePush(proto.TypePresence, proto.Presence{Conv: conv, User: user, Online: online})
		if err != nil {
			continue
		}
		for c := range ws {
			c.enqueue(frame)
		}
	}
}

// kickToken closes every connection authenticated with tokenHash except
// keep (after a logout revoked that token), on every node.
func (h *Hub) kickToken(user proto.UserID, tokenHash []byte, keep *conn) {
	h.kickLocal(user, tokenHash, keep)
	h.clusterClose(closeEvent{User: user, Only: tokenHash, LoggedOut: true})
}

// kickLocal is kickToken on this node.
func (h *Hub) kickLocal(user proto.UserID, tokenHash []byte, keep *conn) {
	h.mu.RLock()
	var victims []*conn
	for _, c := range h.users[user] {
		if c != keep && string(c.tokenHash) == string(tokenHash) {
			victims = append(victims, c)
		}
	}
	h.mu.RUnlock()
	for _, c := range victims {
		c.close(websocket.StatusPolicyViolation, reasonLoggedOut)
	}
}

// attachedMedia exempts c, attached to a call by call_media, from the
// login deadline: its session token authorised it. Revoking that
// session closes it too (closeSessions).
func (h *Hub) attachedMedia(c *conn, user proto.UserID, tokenHash []byte) {
	h.mu.Lock()
	c.media = true
	c.mediaUser, c.mediaToken = user, tokenHash
	h.mu.Unlock()
	if c.login != nil {
		c.login.Stop()
	}
}

func (h *Hub) remove(c *conn) {
	h.callConnGone(c)
	h.unbind(c)
	h.mu.Lock()
	delete(h.conns, c)
	if h.perAddr[c.remote]--; h.perAddr[c.remote] <= 0 {
		delete(h.perAddr, c.remote)
	}
	h.mu.Unlock()
}
