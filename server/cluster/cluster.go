// Package cluster connects the nodes of a Parley cluster over NATS: what
// each node commits reaches every node's connections, and events that
// live only in memory (pushes, revoked sessions) reach the connections
// that other nodes hold.
//
// The database is the log; the bus carries news of it. Each node's
// storage (PostgreSQL) gives every committed transaction the next
// position on the cluster's commit clock and writes its messages to the
// commit log under it (storage/commitlog.go). The node publishes each
// position on the bus; every node delivers positions to its connections
// strictly in order. A position that does not arrive (a message the bus
// dropped, a node that died between its commit and its publish, a bus
// that is down or silently stopped delivering) is read from the commit
// log: when a later one has waited Grace, and in any case once the
// clock, read every Poll, has stood past it for a whole Poll. So nothing
// committed is skipped while the bus's health says nothing, and a node
// never delivers seq 6 of a conversation before seq 5.
//
// Core NATS, not JetStream: JetStream would be a second durable log
// beside the database, with its own retention, replication and failure
// modes to reconcile with the first. The commit log already is durable,
// ordered and shared; the bus need only be fast, and a lost message
// costs a read of the log, not a lost message.
package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"parley/server/storage"
)

// Log is what the bus reads of the database (*storage.DB on PostgreSQL).
type Log interface {
	CommitClock(ctx context.Context) (int64, error)
	CommitLog(ctx context.Context, after, upto int64, limit int) ([]storage.Logged, error)
	PruneCommitLog(ctx context.Context, keep time.Duration) (int64, error)
}

// Config configures a Bus. URL, Log and Deliver are required.
type Config struct {
	URL  string // NATS, e.g. nats://127.0.0.1:4222
	Node string // this node's name in logs and on the bus ("" random)
	// Subject prefix of the cluster on the bus (default "parley"): two
	// clusters on one NATS differ in it.
	Subject string
	Log     Log
	// Deliver receives every node's committed messages, this node's too,
	// in the order of the commit clock, from one goroutine. An empty
	// batch is not delivered.
	Deliver func(batch []storage.Committed)
	// OnEvent receives the events other nodes published with Publish,
	// from NATS's goroutine, in each node's order, and those they sent to
	// this node alone with SendTo (from another goroutine, in order too).
	OnEvent func(kind string, payload []byte)
	// OnRequest answers a request another node made of this one
	// (Request), each in its own goroutine.
	OnRequest func(kind string, payload []byte) []byte
	// OnMedia receives what other nodes sent this one with SendMedia
	// (call audio), from one goroutine, in each node's order.
	OnMedia func(data []byte)
	// Lost, if set, is told when positions were pruned from the log
	// before this node delivered them (it was cut off for longer than
	// Keep): its connections must sync again.
	Lost func(from, to int64)
	// PeerSeen is told of a node heard from (a heartbeat) that was not
	// live: new, or back after PeerGone; PeerGone of a live node not heard
	// from for three polls (it died, or is cut off). From the bus's
	// goroutines.
	PeerSeen, PeerGone func(node string)
	// Poll is how often the commit clock is read (default 1 s); Grace how
	// long a position that came out of order waits for the missing ones
	// on the bus before they are read from the log (default 100 ms); Keep
	// how long the log keeps a position (default 10 min).
	Poll, Grace, Keep time.Duration
	Logger            *slog.Logger
	// Unpublished, if set (tests), is asked before this node publishes a
	// position: true drops it, as a node that died between its commit and
	// its publish would.
	Unpublished func(pos int64) bool
}

// Bus is this node's side of the cluster.
type Bus struct {
	cfg  Config
	log  *slog.Logger
	nc   *nats.Conn
	subs []*nats.Subscription
	in   chan position
	quit chan struct{}
	done chan struct{}

	mu      sync.Mutex
	applied int64           // the last position delivered
	peers   map[string]peer // the live nodes
	boot    string          // this run of the node: a restarted node is a new peer
	repairs int64           // positions read from the log instead of the bus
}

// position is a committed transaction as the bus carries it.
type position struct {
	Node  string              `json:"node"`
	Boot  string              `json:"boot,omitempty"`
	Pos   int64               `json:"pos"`
	Batch []storage.Committed `json:"batch,omitempty"`
}

type event struct {
	Node    string          `json:"node"`
	Boot    string          `json:"boot"`
	Kind    string          `json:"kind"`
	Payload json.RawMessage `json:"payload"`
}

type heartbeat struct {
	Node    string `json:"node"`
	Boot    string `json:"boot"`
	Applied int64  `json:"applied"`
}

// peer is a live node: when it was last heard, and which run of it.
type peer struct {
	at   time.Time
	boot string
}

// maxPending bounds the positions that wait behind a missing one: past
// it, later ones are not kept (they are in the log, which the repair
// reads), so a node that cannot read the log while the bus goes on
// delivering does not grow without bound. A variable for tests.
var maxPending = 4096

// Start connects to NATS and starts delivering from the current commit
// clock on: what was committed before it is the database's, which
// clients sync from.
func Start(ctx context.Context, cfg Config) (*Bus, error) {
	if cfg.Node == "" {
		var b [4]byte
		rand.Read(b[:])
		cfg.Node = hex.EncodeToString(b[:])
	}
	if cfg.Subject == "" {
		cfg.Subject = "parley"
	}
	if !token(cfg.Node) {
		return nil, fmt.Errorf("node ID %q: use letters, digits, - and _ only", cfg.Node)
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.Grace <= 0 {
		cfg.Grace = 100 * time.Millisecond
	}
	if cfg.Keep <= 0 {
		cfg.Keep = 10 * time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	b := &Bus{cfg: cfg, log: cfg.Logger.With("node", cfg.Node), in: make(chan position, 1024),
		quit: make(chan struct{}), done: make(chan struct{}), peers: map[string]peer{}}
	var boot [8]byte
	rand.Read(boot[:])
	b.boot = hex.EncodeToString(boot[:])
	nc, err := nats.Connect(cfg.URL, nats.Name("parley-"+cfg.Node), nats.MaxReconnects(-1),
		nats.ReconnectWait(250*time.Millisecond),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err == nil {
				return // our own Close
			}
			b.log.Warn("cluster bus disconnected: reading the commit log until it is back", "err", err)
		}),
		nats.ReconnectHandler(func(*nats.Conn) { b.log.Info("cluster bus reconnected") }),
		nats.RetryOnFailedConnect(true))
	if err != nil {
		return nil, fmt.Errorf("connect to nats %s: %w", cfg.URL, err)
	}
	b.nc = nc
	// Subscribe before reading the clock, so that nothing committed after
	// the read is missed.
	for subject, h := range map[string]nats.MsgHandler{
		cfg.Subject + ".commits":    b.onCommit,
		cfg.Subject + ".events":     b.onEvent,
		cfg.Subject + ".heartbeat":  b.onHeartbeat,
		b.direct(cfg.Node, "node"):  b.onEvent,
		b.direct(cfg.Node, "req"):   b.onRequest,
		b.direct(cfg.Node, "media"): b.onMedia,
	} {
		sub, err := nc.Subscribe(subject, h)
		if err != nil {
			nc.Close()
			return nil, fmt.Errorf("subscribe to %s: %w", subject, err)
		}
		sub.SetPendingLimits(-1, -1)
		b.subs = append(b.subs, sub)
	}
	// Once the server has them: a bus that is down now costs the log
	// reads until it is back, not a failed start.
	if err := nc.FlushTimeout(5 * time.Second); err != nil {
		b.log.Warn("cluster bus not reachable yet: reading the commit log until it is", "err", err)
	}
	clock, err := cfg.Log.CommitClock(ctx)
	if err != nil {
		nc.Close()
		return nil, err
	}
	b.applied = clock
	go b.run(clock)
	return b, nil
}

// Node is this node's name.
func (b *Bus) Node() string { return b.cfg.Node }

// Connected reports whether the bus is connected to NATS now.
func (b *Bus) Connected() bool { return b.nc.IsConnected() }

// Committed is storage's OnClusterCommit: it delivers (in order) and
// publishes this node's transaction at pos.
func (b *Bus) Committed(pos int64, batch []storage.Committed) {
	p := position{Node: b.cfg.Node, Boot: b.boot, Pos: pos, Batch: batch}
	if len(batch) > 0 {
		p.Batch = append([]storage.Committed(nil), batch...) // storage reuses its slice
	}
	data, err := json.Marshal(p)
	switch {
	case err != nil:
	case b.cfg.Unpublished != nil && b.cfg.Unpublished(pos):
	default:
		err = b.nc.Publish(b.cfg.Subject+".commits", data)
	}
	if err != nil {
		// The others read it from the log.
		b.log.Warn("publish commit", "pos", pos, "err", err)
	}
	b.take(p)
}

// Publish sends an event to the other nodes, best effort: what must not
// be lost goes through the database.
func (b *Bus) Publish(kind string, payload any) {
	data, err := b.encode(kind, payload)
	if err == nil {
		err = b.nc.Publish(b.cfg.Subject+".events", data)
	}
	if err != nil {
		b.log.Warn("publish cluster event", "kind", kind, "err", err)
	}
}

// SendTo sends an event to one node alone, best effort. Events to one
// node arrive in the order they were sent.
func (b *Bus) SendTo(node, kind string, payload any) {
	data, err := b.encode(kind, payload)
	if err == nil {
		err = b.nc.Publish(b.direct(node, "node"), data)
	}
	if err != nil {
		b.log.Warn("send cluster event", "kind", kind, "to", node, "err", err)
	}
}

// Request asks node to answer kind (its OnRequest), and returns the
// answer; an error if it has none by ctx's end, or no node of that name
// listens.
func (b *Bus) Request(ctx context.Context, node, kind string, payload any) ([]byte, error) {
	data, err := b.encode(kind, payload)
	if err != nil {
		return nil, err
	}
	m, err := b.nc.RequestWithContext(ctx, b.direct(node, "req"), data)
	if err != nil {
		return nil, fmt.Errorf("cluster request %s to %s: %w", kind, node, err)
	}
	return m.Data, nil
}

// SendMedia sends data (call audio) to node, as it is: no envelope,
// best effort, in order.
func (b *Bus) SendMedia(node string, data []byte) {
	if err := b.nc.Publish(b.direct(node, "media"), data); err != nil {
		b.log.Debug("send call media", "to", node, "err", err)
	}
}

// direct is the subject of node's own traffic of one kind.
func (b *Bus) direct(node, kind string) string {
	return b.cfg.Subject + "." + kind + "." + node
}

func (b *Bus) encode(kind string, payload any) ([]byte, error) {
	raw, err := json.Marshal(payload)
	if err != nil {
		b.log.Error("encode cluster event", "kind", kind, "err", err)
		return nil, err
	}
	return json.Marshal(event{Node: b.cfg.Node, Boot: b.boot, Kind: kind, Payload: raw})
}

func (b *Bus) onRequest(m *nats.Msg) {
	var e event
	if err := json.Unmarshal(m.Data, &e); err != nil || b.cfg.OnRequest == nil {
		b.log.Warn("bad request on the bus", "err", err)
		return
	}
	b.heard(e.Node, e.Boot)
	go func() {
		if err := m.Respond(b.cfg.OnRequest(e.Kind, e.Payload)); err != nil {
			b.log.Warn("answer cluster request", "kind", e.Kind, "from", e.Node, "err", err)
		}
	}()
}

func (b *Bus) onMedia(m *nats.Msg) {
	if b.cfg.OnMedia != nil {
		b.cfg.OnMedia(m.Data)
	}
}

// token reports whether s can name a node in a subject.
func token(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return s != ""
}

// Applied is the last position delivered; Repairs how many positions
// were read from the log rather than heard on the bus.
func (b *Bus) Applied() (applied, repairs int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.applied, b.repairs
}

// Peers are the other nodes taken for live.
func (b *Bus) Peers() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var ps []string
	for n := range b.peers {
		ps = append(ps, n)
	}
	return ps
}

// Close stops delivering and leaves the bus.
func (b *Bus) Close() {
	select {
	case <-b.quit:
	default:
		close(b.quit)
	}
	<-b.done
	b.nc.Close()
}

func (b *Bus) onCommit(m *nats.Msg) {
	var p position
	if err := json.Unmarshal(m.Data, &p); err != nil {
		b.log.Warn("bad commit on the bus", "err", err)
		return
	}
	if p.Node == b.cfg.Node {
		return // taken when committed
	}
	b.heard(p.Node, p.Boot)
	b.take(p)
}

func (b *Bus) take(p position) {
	select {
	case b.in <- p:
	case <-b.quit:
	}
}

func (b *Bus) onEvent(m *nats.Msg) {
	var e event
	if err := json.Unmarshal(m.Data, &e); err != nil {
		b.log.Warn("bad event on the bus", "err", err)
		return
	}
	if e.Node == b.cfg.Node {
		return
	}
	b.heard(e.Node, e.Boot)
	if b.cfg.OnEvent != nil {
		b.cfg.OnEvent(e.Kind, e.Payload)
	}
}

func (b *Bus) onHeartbeat(m *nats.Msg) {
	var h heartbeat
	if err := json.Unmarshal(m.Data, &h); err != nil || h.Node == b.cfg.Node {
		return
	}
	b.heard(h.Node, h.Boot)
}

// heard notes that node, in its run boot, is alive: anything it sends
// says so, not only its heartbeats (a node that dies before its first
// heartbeat must still be taken for gone, with its users). A node heard
// in a new run restarted faster than it could be missed: what its last
// run held is gone all the same.
func (b *Bus) heard(node, boot string) {
	b.mu.Lock()
	p, live := b.peers[node]
	restarted := live && boot != p.boot
	b.peers[node] = peer{at: time.Now(), boot: boot}
	b.mu.Unlock()
	if restarted {
		b.log.Warn("cluster node restarted: taking its last run for gone", "peer", node)
		if b.cfg.PeerGone != nil {
			b.cfg.PeerGone(node)
		}
	}
	if (!live || restarted) && b.cfg.PeerSeen != nil {
		b.cfg.PeerSeen(node)
	}
}

// expire forgets the peers not heard from for three polls.
func (b *Bus) expire() {
	var gone []string
	b.mu.Lock()
	for n, p := range b.peers {
		if time.Since(p.at) >= 3*b.cfg.Poll {
			delete(b.peers, n)
			gone = append(gone, n)
		}
	}
	b.mu.Unlock()
	for _, n := range gone {
		b.log.Warn("cluster node silent: taking it for gone", "peer", n)
		if b.cfg.PeerGone != nil {
			b.cfg.PeerGone(n)
		}
	}
}

// run delivers positions in order: from the bus while they come in
// order, from the log when one is missing.
func (b *Bus) run(clock int64) {
	defer close(b.done)
	pending := map[int64][]storage.Committed{} // at most maxPending (+ one repair page)
	poll := time.NewTicker(b.cfg.Poll)
	defer poll.Stop()
	grace := time.NewTimer(time.Hour)
	grace.Stop()
	graceOn := false
	prune := time.NewTicker(b.cfg.Keep / 4)
	defer prune.Stop()
	seen := clock // the clock at the previous poll: positions up to it are at least a poll old
	for {
		select {
		case <-b.quit:
			return
		case p := <-b.in:
			b.mu.Lock()
			applied := b.applied
			b.mu.Unlock()
			if p.Pos <= applied || len(pending) >= maxPending && p.Pos > applied+1 {
				continue
			}
			pending[p.Pos] = p.Batch
			b.drain(pending)
			if len(pending) > 0 && !graceOn {
				grace.Reset(b.cfg.Grace)
				graceOn = true
			}
		case <-grace.C:
			graceOn = false
			hi := int64(0)
			for pos := range pending {
				hi = max(hi, pos)
			}
			b.repair(pending, hi)
		case <-poll.C:
			b.beat()
			b.expire()
			b.repair(pending, seen)
			ctx, cancel := context.WithTimeout(context.Background(), b.cfg.Poll)
			if c, err := b.cfg.Log.CommitClock(ctx); err == nil {
				seen = c
			} else {
				b.log.Warn("read the commit clock", "err", err)
			}
			cancel()
		case <-prune.C:
			ctx, cancel := context.WithTimeout(context.Background(), b.cfg.Poll)
			if _, err := b.cfg.Log.PruneCommitLog(ctx, b.cfg.Keep); err != nil {
				b.log.Warn("prune the commit log", "err", err)
			}
			cancel()
		}
	}
}

// drain delivers the pending positions that follow the last delivered.
func (b *Bus) drain(pending map[int64][]storage.Committed) {
	for {
		b.mu.Lock()
		next := b.applied + 1
		batch, ok := pending[next]
		if ok {
			b.applied = next
		}
		b.mu.Unlock()
		if !ok {
			return
		}
		delete(pending, next)
		if len(batch) > 0 {
			b.cfg.Deliver(batch)
		}
	}
}

// repair delivers every position up to upto from the log.
func (b *Bus) repair(pending map[int64][]storage.Committed, upto int64) {
	for {
		b.mu.Lock()
		applied := b.applied
		b.mu.Unlock()
		if applied >= upto {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		rows, err := b.cfg.Log.CommitLog(ctx, applied, upto, 512)
		cancel()
		if errors.Is(err, storage.ErrLogPruned) || err == nil && len(rows) == 0 {
			gone := upto // up to the oldest the log still holds
			if len(rows) > 0 {
				gone = rows[0].Pos - 1
			}
			b.lost(pending, applied, gone)
			if len(rows) == 0 {
				return
			}
			err = nil
		}
		if err != nil {
			b.log.Warn("read the commit log", "after", applied, "err", err)
			return // the next poll tries again
		}
		for _, r := range rows {
			if _, ok := pending[r.Pos]; !ok {
				b.mu.Lock()
				b.repairs++
				b.mu.Unlock()
			}
			pending[r.Pos] = r.Batch
		}
		b.drain(pending)
	}
}

// lost gives up positions after..upto that the log no longer holds.
func (b *Bus) lost(pending map[int64][]storage.Committed, after, upto int64) {
	b.log.Error("commit log pruned before this node delivered it: its connections must sync again", "from", after+1, "to", upto)
	b.mu.Lock()
	b.applied = upto
	b.mu.Unlock()
	for pos := range pending {
		if pos <= upto {
			delete(pending, pos)
		}
	}
	if b.cfg.Lost != nil {
		b.cfg.Lost(after+1, upto)
	}
	b.drain(pending)
}

func (b *Bus) beat() {
	b.mu.Lock()
	h := heartbeat{Node: b.cfg.Node, Boot: b.boot, Applied: b.applied}
	b.mu.Unlock()
	if data, err := json.Marshal(h); err == nil {
		b.nc.Publish(b.cfg.Subject+".heartbeat", data)
	}
}
