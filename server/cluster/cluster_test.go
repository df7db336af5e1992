package cluster

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"parley/net/proto"
	"parley/server/internal/servicetest"
	"parley/server/storage"
)

// memLog is a commit log in memory, shared by the nodes of a test.
type memLog struct {
	mu     sync.Mutex
	clock  int64
	rows   map[int64][]storage.Committed
	pruned int64 // positions up to it are gone
	down   bool  // reads fail (the database out of reach)
}

func newMemLog() *memLog { return &memLog{rows: map[int64][]storage.Committed{}} }

// commit logs a transaction with one message of conv at seq, and returns
// its position and batch.
func (l *memLog) commit(conv proto.ConvID, seq int64) (int64, []storage.Committed) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.clock++
	b := []storage.Committed{{Message: proto.Message{Conv: conv, Seq: seq, Text: fmt.Sprint("m", seq)}, Members: []proto.UserID{1}}}
	l.rows[l.clock] = b
	return l.clock, b
}

func (l *memLog) CommitClock(context.Context) (int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.clock, nil
}

func (l *memLog) CommitLog(_ context.Context, after, upto int64, limit int) ([]storage.Logged, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.down {
		return nil, errors.New("the database is out of reach")
	}
	var out []storage.Logged
	for p := max(after, l.pruned) + 1; p <= min(upto, l.clock) && len(out) < limit; p++ {
		out = append(out, storage.Logged{Pos: p, Batch: l.rows[p]})
	}
	if after < l.pruned {
		return out, storage.ErrLogPruned
	}
	return out, nil
}

func (l *memLog) PruneCommitLog(context.Context, time.Duration) (int64, error) { return 0, nil }

// delivered records what a node delivered.
type delivered struct {
	mu   sync.Mutex
	seqs []int64
	ch   chan struct{}
	lost chan [2]int64
}

func newDelivered() *delivered {
	return &delivered{ch: make(chan struct{}, 1), lost: make(chan [2]int64, 4)}
}

func (d *delivered) deliver(b []storage.Committed) {
	d.mu.Lock()
	for _, c := range b {
		d.seqs = append(d.seqs, c.Message.Seq)
	}
	d.mu.Unlock()
	select {
	case d.ch <- struct{}{}:
	default:
	}
}

// until waits for n messages and returns their seqs.
func (d *delivered) until(t *testing.T, n int) []int64 {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		d.mu.Lock()
		got := append([]int64(nil), d.seqs...)
		d.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-d.ch:
		case <-deadline:
			t.Fatalf("delivered %v, want %d messages", got, n)
		}
	}
}

func startBus(t *testing.T, url string, log Log, d *delivered, poll time.Duration) *Bus {
	t.Helper()
	b, err := Start(context.Background(), Config{URL: url, Log: log, Deliver: d.deliver, Poll: poll, Grace: 20 * time.Millisecond,
		Lost: func(from, to int64) { d.lost <- [2]int64{from, to} }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}

// Commits reach every node in clock order: over the bus while it carries
// them, from the log when one is missing (a node that died between its
// commit and its publish) — at once when a later one shows the gap, and
// by the clock's poll when nothing later comes.
func TestEveryNodeDeliversEveryCommitInOrder(t *testing.T) {
	url := servicetest.NATS(t)
	log := newMemLog()
	da, db := newDelivered(), newDelivered()
	// A long poll for the first part: what arrives there came by the bus,
	// or was repaired because a later position showed the gap.
	a := startBus(t, url, log, da, time.Hour)
	b := startBus(t, url, log, db, time.Hour)

	pos, batch := log.commit(7, 1)
	a.Committed(pos, batch)
	if got := db.until(t, 1); !slices.Equal(got, []int64{1}) {
		t.Fatalf("node b delivered %v", got)
	}
	// Position 2 is committed by a node that dies before publishing it;
	// a publishes 3: b reads 2 from the log and delivers 2 before 3.
	log.commit(7, 2)
	pos, batch = log.commit(7, 3)
	a.Committed(pos, batch)
	if got := db.until(t, 3); !slices.Equal(got, []int64{1, 2, 3}) {
		t.Fatalf("node b delivered %v, want 1, 2, 3", got)
	}
	if got := da.until(t, 3); !slices.Equal(got, []int64{1, 2, 3}) {
		t.Fatalf("node a delivered %v, want 1, 2, 3", got)
	}
	if _, repairs := b.Applied(); repairs != 1 {
		t.Fatalf("node b read %d positions from the log, want 1", repairs)
	}
}

func TestACommitNobodyPublishedArrivesByTheClock(t *testing.T) {
	url := servicetest.NATS(t)
	log := newMemLog()
	d := newDelivered()
	b := startBus(t, url, log, d, 20*time.Millisecond)
	log.commit(9, 1) // and nothing after it
	if got := d.until(t, 1); !slices.Equal(got, []int64{1}) {
		t.Fatalf("delivered %v", got)
	}
	if applied, repairs := b.Applied(); applied != 1 || repairs != 1 {
		t.Fatalf("applied %d, repaired %d; want 1, 1", applied, repairs)
	}
}

// A node cut off for longer than the log keeps positions gives them up
// and says so, then goes on with what follows.
func TestPositionsPrunedBeforeDeliveryAreReportedLost(t *testing.T) {
	url := servicetest.NATS(t)
	log := newMemLog()
	d := newDelivered()
	b := startBus(t, url, log, d, time.Hour)
	log.commit(5, 1)
	log.commit(5, 2)
	log.mu.Lock()
	log.pruned = 2
	log.mu.Unlock()
	pos, batch := log.commit(5, 3)
	b.Committed(pos, batch)
	select {
	case l := <-d.lost:
		if l != [2]int64{1, 2} {
			t.Fatalf("lost %v, want positions 1..2", l)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the pruned positions were not reported")
	}
	if got := d.until(t, 1); !slices.Equal(got, []int64{3}) {
		t.Fatalf("delivered %v, want 3 only", got)
	}
}

// Events reach the other nodes, not their sender.
func TestEventsReachTheOtherNodes(t *testing.T) {
	url := servicetest.NATS(t)
	log := newMemLog()
	start := func(got chan string) *Bus {
		b, err := Start(context.Background(), Config{URL: url, Log: log, Deliver: func([]storage.Committed) {},
			OnEvent: func(kind string, payload []byte) { got <- kind + " " + string(payload) }})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(b.Close)
		if err := b.nc.Flush(); err != nil { // the server has its subscriptions
			t.Fatal(err)
		}
		return b
	}
	gotA, gotB := make(chan string, 4), make(chan string, 4)
	a, b := start(gotA), start(gotB)
	next := func(ch chan string) string {
		t.Helper()
		select {
		case e := <-ch:
			return e
		case <-time.After(20 * time.Second):
			t.Fatal("no event")
			return ""
		}
	}
	a.Publish("kick", map[string]int{"user": 7})
	if e := next(gotB); e != `kick {"user":7}` {
		t.Fatalf("b got %q", e)
	}
	// b answers after it got a's event: had a got its own, it would come
	// first (the server keeps the order it received them in).
	b.Publish("done", 1)
	if e := next(gotA); e != "done 1" {
		t.Fatalf("a got %q first, want b's answer (not its own event)", e)
	}
}

// startWatching starts a bus that polls fast and reports the peers it
// sees and takes for gone.
func startWatching(t *testing.T, url string, log Log) (a *Bus, seen, gone chan string) {
	t.Helper()
	seen, gone = make(chan string, 4), make(chan string, 4)
	a, err := Start(context.Background(), Config{URL: url, Log: log, Deliver: func([]storage.Committed) {}, Poll: 20 * time.Millisecond,
		PeerSeen: func(n string) { seen <- n }, PeerGone: func(n string) { gone <- n }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	return a, seen, gone
}

// waitPeer returns the next peer reported on ch, failing after a
// generous guard.
func waitPeer(t *testing.T, ch chan string, what string) string {
	t.Helper()
	select {
	case n := <-ch:
		return n
	case <-time.After(20 * time.Second):
		t.Fatalf("no peer %s", what)
		return ""
	}
}

// A node hears of another by its heartbeats, and takes it for gone when
// they stop (it died, or is cut off) for three polls.
func TestPeersAreSeenAndGoneByTheirHeartbeats(t *testing.T) {
	url := servicetest.NATS(t)
	log := newMemLog()
	a, seen, gone := startWatching(t, url, log)
	b, err := Start(context.Background(), Config{URL: url, Log: log, Deliver: func([]storage.Committed) {}, Poll: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if n := waitPeer(t, seen, "seen"); n != b.Node() {
		t.Fatalf("a saw %q, want b (%q)", n, b.Node())
	}
	if ps := a.Peers(); len(ps) != 1 || ps[0] != b.Node() {
		t.Fatalf("a's peers: %v", ps)
	}
	b.Close() // silent from now on
	if n := waitPeer(t, gone, "gone"); n != b.Node() {
		t.Fatalf("a took %q for gone, want b", n)
	}
	if ps := a.Peers(); len(ps) != 0 {
		t.Fatalf("a's peers after b went: %v", ps)
	}
}

// A node is live from the first thing it sends, not only from its first
// heartbeat: one that publishes an event and dies before any heartbeat is
// still taken for gone (with its users).
func TestANodeThatDiesBeforeItsFirstHeartbeatIsGone(t *testing.T) {
	url := servicetest.NATS(t)
	log := newMemLog()
	a, seen, gone := startWatching(t, url, log)
	// b never beats (its first heartbeat would come after an hour).
	b, err := Start(context.Background(), Config{URL: url, Log: log, Deliver: func([]storage.Committed) {}, Poll: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	if err := a.nc.Flush(); err != nil {
		t.Fatal(err)
	}
	b.Publish("presence", 1)
	if n := waitPeer(t, seen, "seen (from its event)"); n != b.Node() {
		t.Fatalf("a saw %q, want b", n)
	}
	if n := waitPeer(t, gone, "gone (it never beat)"); n != b.Node() {
		t.Fatalf("a took %q for gone, want b", n)
	}
}

// Positions that come while one before them is missing and the log
// cannot be read are kept only up to maxPending; the rest are read from
// the log once it answers, and everything is delivered in order.
func TestPositionsPastTheBoundComeFromTheLog(t *testing.T) {
	old := maxPending
	maxPending = 2
	t.Cleanup(func() { maxPending = old })
	url := servicetest.NATS(t)
	log := newMemLog()
	d := newDelivered()
	b := startBus(t, url, log, d, 20*time.Millisecond)
	log.mu.Lock()
	log.down = true
	log.mu.Unlock()
	log.commit(3, 1) // never on the bus
	for seq := int64(2); seq <= 6; seq++ {
		pos, batch := log.commit(3, seq)
		b.take(position{Node: "other", Pos: pos, Batch: batch})
	}
	log.mu.Lock()
	log.down = false
	log.mu.Unlock()
	if got := d.until(t, 6); !slices.Equal(got, []int64{1, 2, 3, 4, 5, 6}) {
		t.Fatalf("delivered %v, want 1..6 in order", got)
	}
	if _, repairs := b.Applied(); repairs < 4 { // 1, and 4..6 not kept
		t.Fatalf("%d positions read from the log, want at least 4", repairs)
	}
}

// A node that restarts faster than it can be missed (same name, a new
// run) is taken for gone and seen again: what its last run held (calls,
// who was busy) is gone with it.
func TestANodeRestartedUnderItsNameIsGoneThenSeen(t *testing.T) {
	url := servicetest.NATS(t)
	log := newMemLog()
	// Nobody is missed for an hour here: only the new run tells.
	seen, gone := make(chan string, 4), make(chan string, 4)
	a, err := Start(context.Background(), Config{URL: url, Log: log, Deliver: func([]storage.Committed) {}, Poll: time.Hour,
		PeerSeen: func(n string) { seen <- n }, PeerGone: func(n string) { gone <- n }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	cfg := Config{URL: url, Node: "node-2", Log: log, Deliver: func([]storage.Committed) {}, Poll: time.Hour}
	b, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	b.Publish("hello", 1)
	if n := waitPeer(t, seen, "seen"); n != "node-2" {
		t.Fatalf("saw %q", n)
	}
	b.Close()
	b, err = Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	b.Publish("hello", 2)
	if n := waitPeer(t, gone, "gone"); n != "node-2" {
		t.Fatalf("took %q for gone, want node-2's last run", n)
	}
	if n := waitPeer(t, seen, "seen again"); n != "node-2" {
		t.Fatalf("saw %q again, want node-2", n)
	}
}

// One node's traffic to another alone: events in order, a request and
// its answer, and media as it was sent; a request to a node nobody runs
// fails rather than waits.
func TestNodesTalkToOneAnother(t *testing.T) {
	url := servicetest.NATS(t)
	log := newMemLog()
	events, media := make(chan string, 8), make(chan string, 8)
	b, err := Start(context.Background(), Config{URL: url, Node: "b", Log: log, Deliver: func([]storage.Committed) {},
		OnEvent:   func(kind string, payload []byte) { events <- kind + " " + string(payload) },
		OnRequest: func(kind string, payload []byte) []byte { return append([]byte(kind+" answered "), payload...) },
		OnMedia:   func(data []byte) { media <- string(data) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	a, err := Start(context.Background(), Config{URL: url, Node: "a", Log: log, Deliver: func([]storage.Committed) {}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	if _, err := Start(context.Background(), Config{URL: url, Node: "a.b", Log: log, Deliver: func([]storage.Committed) {}}); err == nil {
		t.Fatal("a node named with a dot (a subject separator) started")
	}

	for i := range 3 {
		a.SendTo("b", "push", i)
	}
	for i := range 3 {
		select {
		case e := <-events:
			if want := fmt.Sprint("push ", i); e != want {
				t.Fatalf("b got %q, want %q", e, want)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("no event")
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	got, err := a.Request(ctx, "b", "call_op", "x")
	if err != nil || string(got) != `call_op answered "x"` {
		t.Fatalf("request: %q %v", got, err)
	}
	a.SendMedia("b", []byte{1, 2, 3})
	select {
	case m := <-media:
		if m != "\x01\x02\x03" {
			t.Fatalf("media %q", m)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no media")
	}
	if _, err := a.Request(ctx, "nobody", "call_op", "x"); err == nil {
		t.Fatal("a request to a node nobody runs was answered")
	}
}
