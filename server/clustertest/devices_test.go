//go:build linux

package clustertest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"parley/net/client"
	"parley/net/proto"
)

const password = "correct horse"

// device is one member's device: a connection to a node, and what it
// holds of one conversation, from pushes and from its syncs. When its
// connection drops it does what a client with several server URLs does:
// it connects to the next node, resumes its session and syncs from the
// last message it holds without a gap, and carries on there.
type device struct {
	name  string
	id    proto.UserID
	token string
	urls  []string

	mu      sync.Mutex
	conn    *client.Conn
	node    int           // the node conn is to
	ready   chan struct{} // closed once conn is set; replaced while it fails over
	closing bool
	conv    proto.ConvID
	base    int64 // seqs up to base are not checked (before the test's sends)
	msgs    map[int64]proto.Message
	faults  []string
	// failovers is when each failover finished (its sync done).
	failovers []time.Time
	retried   int           // sends retried after an error reply
	changed   chan struct{} // a token after each new message
	// stays: d never fails over; its connection's end leaves it without
	// one (a user connected to one node only).
	stays bool
	// presence is the presence pushes d got, in order, with when.
	presence    []presenceAt
	presenceNew chan struct{} // a token after each presence push
}

// presenceAt is a presence push and when it came.
type presenceAt struct {
	proto.Presence
	at time.Time
}

// newDevice registers name through node i's URL, logs in and stays
// connected there.
func newDevice(t *testing.T, urls []string, i int, name string) *device {
	t.Helper()
	ctx, cancel := context.WithTimeout(testContext(t), 30*time.Second)
	defer cancel()
	d := &device{name: name, urls: urls, node: i, ready: make(chan struct{}),
		msgs: map[int64]proto.Message{}, changed: make(chan struct{}, 1), presenceNew: make(chan struct{}, 1)}
	c, err := d.dial(ctx, i)
	if err != nil {
		t.Fatal(err)
	}
	me, err := c.Register(ctx, name, password)
	if err != nil {
		t.Fatalf("register %s on node %d: %v", name, i, err)
	}
	r, err := c.Login(ctx, me.ID, password, "test")
	if err != nil {
		t.Fatalf("log %s in on node %d: %v", name, i, err)
	}
	d.id, d.token = me.ID, r.Token
	d.setConn(c, i)
	t.Cleanup(d.close)
	return d
}

// dial connects to node i; the connection's pushes go to d, and its end
// starts a failover.
func (d *device) dial(ctx context.Context, i int) (*client.Conn, error) {
	var c *client.Conn
	var last int64 // the last message pushed on this connection
	opts := client.DialOptions{OnPush: func(p client.Push) {
		if m := p.Message; m != nil {
			d.pushed(*m, i, &last)
		}
		if pr := p.Presence; pr != nil {
			d.mu.Lock()
			d.presence = append(d.presence, presenceAt{*pr, time.Now()})
			d.mu.Unlock()
			select {
			case d.presenceNew <- struct{}{}:
			default:
			}
		}
	}}
	c, err := client.Dial(ctx, d.urls[i], opts)
	if err != nil {
		return nil, fmt.Errorf("%s: dial node %d: %w", d.name, i, err)
	}
	return c, nil
}

// setConn makes c, to node i, the device's connection.
func (d *device) setConn(c *client.Conn, i int) {
	d.mu.Lock()
	d.conn, d.node = c, i
	close(d.ready)
	d.mu.Unlock()
	go func() {
		<-c.Done()
		d.mu.Lock()
		if d.closing {
			d.mu.Unlock()
			return
		}
		d.conn, d.ready = nil, make(chan struct{})
		stays := d.stays
		d.mu.Unlock()
		if !stays {
			d.failover(i)
		}
	}()
}

// failover connects to the nodes after from, in turn, until one resumes
// the session, and syncs there. It gives up only when the device closes.
func (d *device) failover(from int) {
	for attempt := 1; ; attempt++ {
		i := (from + attempt) % len(d.urls)
		if i == from && attempt%len(d.urls) == 0 {
			// Every other node failed: try them all again (from included,
			// in case it is back) after a client's backoff.
			time.Sleep(200 * time.Millisecond)
		}
		d.mu.Lock()
		closing := d.closing
		d.mu.Unlock()
		if closing {
			return
		}
		c, err := d.resume(i)
		if err == nil {
			d.setConn(c, i)
			return
		}
	}
}

// resume connects to node i, resumes the session and syncs the
// conversation from the last message held without a gap.
func (d *device) resume(i int) (*client.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := d.dial(ctx, i)
	if err != nil {
		return nil, err
	}
	if _, err := c.Resume(ctx, d.token); err != nil {
		c.Close()
		return nil, err
	}
	d.mu.Lock()
	conv, have := d.conv, d.contiguous()
	d.mu.Unlock()
	if conv != 0 {
		_, msgs, err := c.SyncAll(ctx, map[proto.ConvID]int64{conv: have})
		if err != nil {
			c.Close()
			return nil, err
		}
		for _, m := range msgs {
			if m.Conv == conv {
				d.synced(m)
			}
		}
	}
	d.mu.Lock()
	d.failovers = append(d.failovers, time.Now())
	d.mu.Unlock()
	return c, nil
}

// pushed records a message pushed on the connection to node i; last is
// that connection's last pushed seq of the conversation, for the order
// check.
func (d *device) pushed(m proto.Message, i int, last *int64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.conv == 0 || m.Conv != d.conv {
		return
	}
	if m.Seq <= *last {
		d.faults = append(d.faults, fmt.Sprintf("node %d pushed seq %d after seq %d on one connection", i, m.Seq, *last))
	}
	*last = m.Seq
	d.store(m)
}

// synced records a message a sync returned.
func (d *device) synced(m proto.Message) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.store(m)
}

// store keeps m; the same seq twice must be the same message.
func (d *device) store(m proto.Message) {
	if old, ok := d.msgs[m.Seq]; ok {
		if old.ClientID != m.ClientID || old.Text != m.Text || old.Sender != m.Sender {
			d.faults = append(d.faults, fmt.Sprintf("seq %d came as %q (%s) and as %q (%s)", m.Seq, old.Text, old.ClientID, m.Text, m.ClientID))
		}
		return
	}
	d.msgs[m.Seq] = m
	select {
	case d.changed <- struct{}{}:
	default:
	}
}

// contiguous is the last seq d holds with every seq from base to it.
func (d *device) contiguous() int64 {
	h := d.base
	for {
		if _, ok := d.msgs[h+1]; !ok {
			return h
		}
		h++
	}
}

// watch makes d keep conv, from after seq base.
func (d *device) watch(conv proto.ConvID, base int64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.conv, d.base = conv, base
}

// current is d's connection, waiting while it fails over.
func (d *device) current(ctx context.Context) (*client.Conn, error) {
	for {
		d.mu.Lock()
		c, ready := d.conn, d.ready
		d.mu.Unlock()
		if c != nil {
			return c, nil
		}
		select {
		case <-ready:
		case <-ctx.Done():
			return nil, fmt.Errorf("%s: no connection: %w", d.name, ctx.Err())
		}
	}
}

// send sends text with clientID to the watched conversation until it is
// acknowledged, again with the same clientID (the server answers a repeat
// with the stored message) after a connection failure, on the connection
// the failover found, and after an error the app retries too
// (app/model/send.go's permanent: internal, unavailable, rate_limited).
// Other errors are final.
func (d *device) send(ctx context.Context, clientID, text string) (proto.Message, error) {
	for {
		c, err := d.current(ctx)
		if err != nil {
			return proto.Message{}, err
		}
		d.mu.Lock()
		conv := d.conv
		d.mu.Unlock()
		r, err := c.Send(ctx, conv, clientID, text)
		if err == nil {
			return r.Message, nil
		}
		var pe *proto.Error
		if errors.As(err, &pe) {
			switch pe.Code {
			case proto.CodeInternal, proto.CodeUnavailable, proto.CodeRateLimited:
				d.mu.Lock()
				d.retried++
				d.mu.Unlock()
				select {
				case <-time.After(100 * time.Millisecond): // the client's backoff
					continue
				case <-ctx.Done():
				}
			}
			return proto.Message{}, fmt.Errorf("%s: send %s: %w", d.name, clientID, err)
		}
		if ctx.Err() != nil {
			return proto.Message{}, fmt.Errorf("%s: send %s: %w", d.name, clientID, err)
		}
		// A failed call ends its connection; the failover follows.
		select {
		case <-c.Done():
		case <-ctx.Done():
			return proto.Message{}, fmt.Errorf("%s: send %s: %w", d.name, clientID, err)
		}
	}
}

// stay makes d stay on its node: it does not fail over when its
// connection ends.
func (d *device) stay() {
	d.mu.Lock()
	d.stays = true
	d.mu.Unlock()
}

// presencePushes is a copy of the presence pushes d got.
func (d *device) presencePushes() []presenceAt {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.presence)
}

// onNode is the node d is connected to, or -1 while it fails over.
func (d *device) onNode() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.conn == nil {
		return -1
	}
	return d.node
}

// failedOver is when d's n-th failover finished, if it has.
func (d *device) failedOver(n int) (time.Time, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.failovers) < n {
		return time.Time{}, false
	}
	return d.failovers[n-1], true
}

func (d *device) close() {
	d.mu.Lock()
	d.closing = true
	c := d.conn
	d.mu.Unlock()
	if c != nil {
		c.Close()
	}
}

// group makes an open group of owner's that every other device joins,
// and has every device watch it from the last seq the joins took.
func group(t *testing.T, name string, owner *device, members []*device) proto.ConvID {
	t.Helper()
	ctx, cancel := context.WithTimeout(testContext(t), 60*time.Second)
	defer cancel()
	oc, err := owner.current(ctx)
	if err != nil {
		t.Fatal(err)
	}
	g, err := oc.CreateGroupWith(ctx, proto.CreateGroupRequest{Name: name, Policy: proto.PolicyOpen})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range members {
		if m == owner {
			continue
		}
		mc, err := m.current(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := mc.JoinGroup(ctx, g.ID); err != nil {
			t.Fatalf("%s joins %s: %v", m.name, name, err)
		}
	}
	h, err := oc.History(ctx, proto.HistoryRequest{Conv: g.ID, Limit: 1})
	if err != nil || len(h.Messages) != 1 {
		t.Fatalf("the last message of %s: %+v %v", name, h, err)
	}
	for _, m := range members {
		m.watch(g.ID, h.Messages[0].Seq)
	}
	return g.ID
}

// acks collects acknowledged messages from concurrent senders.
type acks struct {
	mu   sync.Mutex
	byID map[string]proto.Message // client ID → the message acknowledged
	n    map[string]int           // sender → acknowledgements
	tick chan struct{}            // a token after each
}

func newAcks() *acks {
	return &acks{byID: map[string]proto.Message{}, n: map[string]int{}, tick: make(chan struct{}, 1)}
}

func (a *acks) add(sender string, m proto.Message) {
	a.mu.Lock()
	a.byID[m.ClientID] = m
	a.n[sender]++
	a.mu.Unlock()
	select {
	case a.tick <- struct{}{}:
	default:
	}
}

// count is how many messages sender has had acknowledged.
func (a *acks) count(sender string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.n[sender]
}

// total is how many messages were acknowledged in all.
func (a *acks) total() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.byID)
}

// waitUntil waits for ok, checked after every acknowledgement (and every
// 100 ms), until ctx ends.
func waitUntil(ctx context.Context, t *testing.T, what string, tick <-chan struct{}, ok func() bool) {
	t.Helper()
	for !ok() {
		select {
		case <-tick:
		case <-time.After(100 * time.Millisecond):
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v", what, ctx.Err())
		}
	}
}

// checkDelivered is the check every failure test ends with: every
// acknowledged message is present exactly once, in gap-free order, on
// every member's device. The acknowledged messages must take the seqs
// just after the watched base with no gap and no seq twice, and be
// exactly what the database holds after base (read through reader's
// node: nothing unacknowledged, no client ID twice); then every device
// must come to hold exactly them, with no fault on the way (a push out of
// order or repeated on one connection, one seq with two messages).
// Devices get the messages they lack by push, as clients do; the wait is
// a guard against hangs.
func checkDelivered(ctx context.Context, t *testing.T, conv proto.ConvID, acked map[string]proto.Message, reader *device, devices []*device) {
	t.Helper()
	reader.mu.Lock()
	base := reader.base
	reader.mu.Unlock()
	want, err := inOrder(base, acked)
	if err != nil {
		t.Fatal(err)
	}
	last := want[len(want)-1].Seq

	rc, err := reader.current(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var stored []proto.Message
	after := base
	for {
		h, err := rc.History(ctx, proto.HistoryRequest{Conv: conv, After: new(after), Limit: proto.MaxHistoryLimit})
		if err != nil {
			t.Fatalf("history after %d: %v", after, err)
		}
		stored = append(stored, h.Messages...)
		if !h.More || len(h.Messages) == 0 {
			break
		}
		after = h.Messages[len(h.Messages)-1].Seq
	}
	if err := sameMessages("the database", stored, want); err != nil {
		t.Fatal(err)
	}

	for _, d := range devices {
		for {
			d.mu.Lock()
			got, changed := d.contiguous(), d.changed
			d.mu.Unlock()
			if got >= last {
				break
			}
			select {
			case <-changed:
			case <-ctx.Done():
				t.Fatalf("%s (on node %d) holds seqs after %d up to %d only, without a gap; %d were acknowledged up to %d", d.name, d.onNode(), base, got, len(want), last)
			}
		}
		if err := d.holds(want); err != nil {
			t.Fatal(err)
		}
	}
}

// inOrder is the acknowledged messages by seq, which must be every seq
// after base, once.
func inOrder(base int64, acked map[string]proto.Message) ([]proto.Message, error) {
	want := make([]proto.Message, 0, len(acked))
	for id, m := range acked {
		if m.ClientID != id {
			return nil, fmt.Errorf("%s was acknowledged as %s at seq %d", id, m.ClientID, m.Seq)
		}
		want = append(want, m)
	}
	if len(want) == 0 {
		return nil, errors.New("no message was acknowledged")
	}
	sort.Slice(want, func(i, j int) bool { return want[i].Seq < want[j].Seq })
	for i, m := range want {
		if m.Seq != base+1+int64(i) {
			return nil, fmt.Errorf("acknowledged seqs are not gap-free after %d: the %d-th is %d (%s)", base, i+1, m.Seq, m.ClientID)
		}
	}
	return want, nil
}

// sameMessages says how got (a list, by seq) differs from want.
func sameMessages(who string, got, want []proto.Message) error {
	for i := range max(len(got), len(want)) {
		switch {
		case i >= len(got):
			return fmt.Errorf("%s lacks seq %d (%s) and %d more acknowledged messages", who, want[i].Seq, want[i].ClientID, len(want)-i-1)
		case i >= len(want):
			return fmt.Errorf("%s holds seq %d (%s %q), after the last acknowledged", who, got[i].Seq, got[i].ClientID, got[i].Text)
		case got[i].Seq != want[i].Seq || got[i].ClientID != want[i].ClientID || got[i].Text != want[i].Text:
			return fmt.Errorf("%s holds seq %d as %s %q, acknowledged as seq %d %s %q", who, got[i].Seq, got[i].ClientID, got[i].Text, want[i].Seq, want[i].ClientID, want[i].Text)
		}
	}
	return nil
}

// holds says how what d holds after its base differs from want, and
// what went wrong on the way.
func (d *device) holds(want []proto.Message) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.faults) > 0 {
		return fmt.Errorf("%s: %s", d.name, strings.Join(d.faults, "; "))
	}
	var got []proto.Message
	for seq, m := range d.msgs {
		if seq > d.base {
			got = append(got, m)
		}
	}
	sort.Slice(got, func(i, j int) bool { return got[i].Seq < got[j].Seq })
	return sameMessages(d.name, got, want)
}
