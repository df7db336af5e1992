//go:build linux

package clustertest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// pause is how long TestClusterOfProcesses/pause stops a node: issue
// 18's 10 s (it costs make test 7 s more than the 3 s it was). What the
// paused node's clients see: their requests, and any keepalive ping (one
// every 15 s), go unanswered until it resumes, then are answered; a ping
// waits 10 s for its pong, so only one sent in the pause's very first
// moment can time out, and that client fails over (the devices here do,
// and are counted). The other nodes take the node for gone after 3
// missed heartbeats meanwhile (its users go offline for them), and for
// live again when it resumes.
const pause = 10 * time.Second

// fanout is how many members the group of TestClusterOfProcesses/kill -9
// has, spread over the three nodes: issue 18's fan-out to 500.
const fanout = 500

// Three server processes on one PostgreSQL, one NATS and one S3 bucket.
// The subtests run in order on the same cluster; those that kill a node
// start it again before the next.
func TestClusterOfProcesses(t *testing.T) {
	c := startCluster(t, 3)
	t.Run("chat", c.testChat)
	t.Run("hot conversation", c.testHotConversation)
	t.Run("kill -9", c.testKill)
	t.Run("upload across a kill", c.testUploadAcrossKill)
	t.Run("presence of a dead node's users", c.testPresenceOfDeadNode)
	t.Run("call across nodes", c.testCallAcrossNodes)
	t.Run("call when its home node dies", c.testCallWhenHomeDies)
	t.Run("call when the callee's node dies", c.testCallWhenCalleesNodeDies)
	t.Run("group call when its home node dies", c.testGroupCallWhenHomeDies)
	t.Run("pause", c.testPause)
	t.Run("NATS down", c.testBusDown)
}

// devices registers n members, spread over the nodes in turn (member i on
// node i mod 3).
func (c *cluster) devices(t *testing.T, prefix string, n int) []*device {
	t.Helper()
	var out []*device
	for i := range n {
		out = append(out, newDevice(t, c.urls(), i%len(c.nodes), prefix+itoa(i)))
	}
	return out
}

// People on three nodes talk in turn: each message reaches the others,
// on their nodes, by push.
func (c *cluster) testChat(t *testing.T) {
	ctx := testContext(t)
	people := []*device{
		newDevice(t, c.urls(), 0, "李华"),
		newDevice(t, c.urls(), 1, "Wang"),
		newDevice(t, c.urls(), 2, "Tom"),
	}
	g := group(t, "Study", people[0], people)
	a := newAcks()
	for round := range 3 {
		for _, p := range people {
			id := fmt.Sprintf("%s-%d", p.name, round)
			m, err := p.send(ctx, id, fmt.Sprintf("%s says hello %d", p.name, round))
			if err != nil {
				t.Fatal(err)
			}
			a.add(p.name, m)
			for _, q := range people {
				waitFor(ctx, t, q, m.Seq)
			}
		}
	}
	checkDelivered(ctx, t, g, a.byID, people[0], people)
}

// waitFor waits until d holds seq (a guard against hangs).
func waitFor(ctx context.Context, t *testing.T, d *device, seq int64) {
	t.Helper()
	for {
		d.mu.Lock()
		_, ok := d.msgs[seq]
		changed := d.changed
		d.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-changed:
		case <-ctx.Done():
			t.Fatalf("%s never got seq %d", d.name, seq)
		}
	}
}

// One conversation written from the three nodes at once, four writers on
// each: every seq is taken once, with no gap, and every member gets
// every message in order.
func (c *cluster) testHotConversation(t *testing.T) {
	ctx := testContext(t)
	people := c.devices(t, "hot", 3)
	g := group(t, "Hot", people[0], people)
	a := newAcks()
	start := time.Now()
	runSenders(ctx, t, people, 4, 40, a).wait()
	t.Logf("%d messages from 3 nodes in %v", a.total(), time.Since(start).Round(time.Millisecond))
	if a.total() != 3*4*40 {
		t.Fatalf("%d messages acknowledged, want %d", a.total(), 3*4*40)
	}
	checkDelivered(ctx, t, g, a.byID, people[0], people)
}

// kill -9 a node under continuous sends to a group of fanout members
// spread over the nodes: its clients fail over to the other nodes and sync there, and
// nothing acknowledged is lost or doubled, anywhere.
func (c *cluster) testKill(t *testing.T) {
	ctx := testContext(t)
	members := c.devices(t, "m", fanout)
	g := group(t, "Everyone", members[0], members)
	a := newAcks()
	senders := members[:6] // two on each node
	run := runSenders(ctx, t, senders, 1, 0, a)
	defer run.stop()
	waitUntil(ctx, t, "60 acknowledged messages", a.tick, func() bool { return a.total() >= 60 })

	victim := c.nodes[1]
	var orphans []*device
	for _, d := range members {
		if d.onNode() == victim.i {
			orphans = append(orphans, d)
		}
	}
	died := time.Now()
	victim.kill(t)
	waitUntil(ctx, t, "every client of the killed node synced on another node", a.tick, func() bool {
		for _, d := range orphans {
			if _, ok := d.failedOver(1); !ok {
				return false
			}
		}
		return true
	})
	var took []time.Duration
	for _, d := range orphans {
		at, _ := d.failedOver(1)
		took = append(took, at.Sub(died))
		if n := d.onNode(); n == victim.i {
			t.Fatalf("%s is on the killed node %d", d.name, n)
		}
	}
	slices.Sort(took)
	t.Logf("node %d killed (kill -9) after %d messages: its %d clients resumed and synced on the other nodes within %v (median %v)",
		victim.i, a.total(), len(orphans), took[len(took)-1].Round(time.Millisecond), took[len(took)/2].Round(time.Millisecond))

	// Sends carry on: every sender, those of the killed node included,
	// has 15 more acknowledged.
	moreFromEach(ctx, t, a, run, senders, 15)
	run.stop()
	checkDelivered(ctx, t, g, a.byID, members[0], members)
	t.Logf("%d messages acknowledged, each on all %d members once, in order", a.total(), len(members))

	c.restart(victim)
}

// A node paused (SIGSTOP) for 10 s under continuous sends, then resumed
// (SIGCONT): it catches up, and nothing acknowledged is lost or doubled,
// anywhere.
func (c *cluster) testPause(t *testing.T) {
	ctx := testContext(t)
	members := c.devices(t, "p", 30)
	g := group(t, "Paused", members[0], members)
	a := newAcks()
	senders := members[:6]
	run := runSenders(ctx, t, senders, 1, 0, a)
	defer run.stop()
	waitUntil(ctx, t, "30 acknowledged messages", a.tick, func() bool { return a.total() >= 30 })

	paused := c.nodes[2]
	failovers := func() (n int) {
		for _, d := range members {
			d.mu.Lock()
			n += len(d.failovers)
			d.mu.Unlock()
		}
		return n
	}
	failedBefore := failovers()
	before := a.total()
	paused.signal(t, syscall.SIGSTOP)
	time.Sleep(pause) // the fault itself, not a wait for something
	during := a.total() - before
	sessions := c.stuckSessions(ctx, t)
	paused.signal(t, syscall.SIGCONT)
	// A node stopped in a transaction holds the commit clock's row lock:
	// the others wait for idleTimeout, then PostgreSQL ends that session
	// and they go on; the paused node's batch fails (internal), and its
	// senders retry (logged, not asserted).
	t.Logf("node %d paused for %v: %d messages acknowledged meanwhile through the other nodes; database sessions at its end waiting on a lock or idle in a transaction: %q",
		paused.i, pause, during, sessions)

	moreFromEach(ctx, t, a, run, senders, 10)
	run.stop()
	checkDelivered(ctx, t, g, a.byID, members[0], members)
	retried := 0
	for _, d := range senders {
		d.mu.Lock()
		retried += d.retried
		d.mu.Unlock()
	}
	t.Logf("%d messages acknowledged, each on all %d members once, in order; %d sends were retried after an error reply; %d clients failed over", a.total(), len(members), retried, failovers()-failedBefore)
}

// The NATS server is stopped under continuous sends from the three
// nodes, then started again: sends are acknowledged all along, and the
// nodes bring each other's messages from the commit log meanwhile.
func (c *cluster) testBusDown(t *testing.T) {
	ctx := testContext(t)
	members := c.devices(t, "n", 15)
	g := group(t, "Bus", members[0], members)
	a := newAcks()
	senders := members[:3] // one on each node
	run := runSenders(ctx, t, senders, 1, 0, a)
	defer run.stop()
	waitUntil(ctx, t, "20 acknowledged messages", a.tick, func() bool { return a.total() >= 20 })
	c.bus.Stop()
	before := a.total()
	moreFromEach(ctx, t, a, run, senders, 10)
	run.stop()
	// With the bus still down, every member gets every message: the
	// nodes read each other's from the commit log.
	checkDelivered(ctx, t, g, a.byID, members[0], members)
	t.Logf("NATS down: %d messages acknowledged, and each reached all %d members", a.total()-before, len(members))

	c.bus.Start()
	run = runSenders(ctx, t, senders, 1, 0, a)
	moreFromEach(ctx, t, a, run, senders, 10)
	run.stop()
	checkDelivered(ctx, t, g, a.byID, members[0], members)
	t.Logf("%d messages acknowledged, each on all %d members once, in order", a.total(), len(members))
}

// stuckSessions lists the database's sessions waiting on a lock, and
// those idle in a transaction (a paused node's), with their last
// statement.
func (c *cluster) stuckSessions(ctx context.Context, t *testing.T) []string {
	t.Helper()
	conn, err := pgx.Connect(ctx, c.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT state || ' ' || coalesce(wait_event_type, '') || ': ' || left(regexp_replace(query, '\s+', ' ', 'g'), 100)
		FROM pg_stat_activity WHERE wait_event_type = 'Lock' OR state = 'idle in transaction'`)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// moreFromEach waits until every sender has n more messages acknowledged;
// a failed send stops the wait (run.wait fails the test with it).
func moreFromEach(ctx context.Context, t *testing.T, a *acks, run *senders, senders []*device, n int) {
	t.Helper()
	from := map[string]int{}
	for _, d := range senders {
		from[d.name] = a.count(d.name)
	}
	waitUntil(ctx, t, fmt.Sprintf("%d more acknowledged messages from each sender", n), a.tick, func() bool {
		if run.failed() {
			run.stop()
		}
		for _, d := range senders {
			if a.count(d.name) < from[d.name]+n {
				return false
			}
		}
		return true
	})
}

// senders is runSenders' goroutines.
type senders struct {
	t       *testing.T
	run     int64 // in client IDs: each run's are new
	wg      sync.WaitGroup
	mu      sync.Mutex
	stopped bool
	errs    []error
}

// runs numbers runSenders' calls.
var runs atomic.Int64

// runSenders has writers goroutines per sender send to the sender's
// watched conversation, one message after another, each acknowledged
// before the next: limit messages each (then wait for them), or with
// limit 0 until stop. stop never cancels a send in flight (an
// unacknowledged message might then be stored): it waits for the last
// acknowledgements. Both fail the test if a send failed.
func runSenders(ctx context.Context, t *testing.T, from []*device, writers, limit int, a *acks) *senders {
	s := &senders{t: t, run: runs.Add(1)}
	for _, d := range from {
		for w := range writers {
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				for n := 0; (limit == 0 || n < limit) && !s.isStopped(); n++ {
					id := fmt.Sprintf("%s-%d-%d-%d", d.name, s.run, w, n)
					m, err := d.send(ctx, id, fmt.Sprintf("消息 %d from %s (%d)", n, d.name, w))
					if err != nil {
						s.mu.Lock()
						s.errs = append(s.errs, err)
						s.mu.Unlock()
						return
					}
					a.add(d.name, m)
				}
			}()
		}
	}
	return s
}

// failed says that a send failed.
func (s *senders) failed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.errs) > 0
}

func (s *senders) isStopped() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopped
}

// stop stops the senders after their sends in flight, and waits.
func (s *senders) stop() {
	s.mu.Lock()
	s.stopped = true
	s.mu.Unlock()
	s.wait()
}

// wait waits for the senders to finish.
func (s *senders) wait() {
	s.t.Helper()
	s.wg.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.errs) > 0 {
		s.t.Fatalf("%d sends failed; the first: %v", len(s.errs), s.errs[0])
	}
}
