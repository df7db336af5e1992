package model

import (
	"context"
	"io"
	"net"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"parley/app/state"
	"parley/server/node/nodetest"
)

// cutter is a TCP proxy to a test server that, once cut is set, closes
// each connection after passing that many bytes from the server: a
// network that drops every connection after a few pages.
type cutter struct {
	ln     net.Listener
	target string
	cut    atomic.Int64 // bytes per connection; 0: no limit
	wg     sync.WaitGroup
	mu     sync.Mutex
	conns  map[net.Conn]bool
}

func startCutter(t *testing.T, target string) *cutter {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &cutter{ln: ln, target: target, conns: map[net.Conn]bool{}}
	c.wg.Add(1)
	go c.accept()
	t.Cleanup(c.close)
	return c
}

// URL is the address to give the model.
func (c *cutter) URL() string { return "http://" + c.ln.Addr().String() }

func (c *cutter) accept() {
	defer c.wg.Done()
	for {
		down, err := c.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", c.target)
		if err != nil {
			down.Close()
			continue
		}
		if !c.track(down, up) {
			return
		}
		limit := c.cut.Load()
		closeBoth := func() { down.Close(); up.Close() }
		c.wg.Add(2)
		go func() { // client to server
			defer c.wg.Done()
			defer closeBoth()
			io.Copy(up, down)
		}()
		go func() { // server to client, cut after limit bytes
			defer c.wg.Done()
			defer closeBoth()
			if limit > 0 {
				io.CopyN(down, up, limit)
				return
			}
			io.Copy(down, up)
		}()
	}
}

func (c *cutter) track(cs ...net.Conn) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conns == nil {
		for _, x := range cs {
			x.Close()
		}
		return false
	}
	for _, x := range cs {
		c.conns[x] = true
	}
	return true
}

func (c *cutter) close() {
	c.ln.Close()
	c.mu.Lock()
	for x := range c.conns {
		x.Close()
	}
	c.conns = nil
	c.mu.Unlock()
	c.wg.Wait()
}

// peakHeap samples the heap in use until stop is called, and returns the
// highest sample.
func peakHeap() (stop func() uint64) {
	const name = "/memory/classes/heap/objects:bytes"
	s := []metrics.Sample{{Name: name}}
	var peak uint64
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			peak = max(peak, s[0].Value.Uint64())
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		<-finished
		return peak
	}
}

func TestALongOfflineDeviceCatchesUpOverADroppingNetworkPageByPage(t *testing.T) {
	const n = 50_000
	srv := nodetest.Start(t)
	proxy := startCutter(t, srv.Addr)
	dir := t.TempDir()
	m := newTestModel(t, srv, dir)
	me := m.registerAndLoginAt(proxy.URL(), "traveller")
	senders := []*nodetest.User{srv.NewUser(t, "s0"), srv.NewUser(t, "s1"), srv.NewUser(t, "s2"), srv.NewUser(t, "s3")}
	conv := inviteModel(t, m, me, senders)
	m.Close()

	blast(t, senders, conv, n)
	last := lastSeqOf(t, senders[0], conv)

	// Every connection now drops after about two pages of history.
	proxy.cut.Store(256 << 10)
	stop := peakHeap()
	m = newTestModel(t, srv, dir)
	a := m.account()
	m.waitWithin(5*time.Minute, "the whole history", func(state.State) bool {
		cv, err := a.db.Conversation(context.Background(), conv)
		return err == nil && cv.SyncedSeq == last
	})
	peak := stop()
	connects := a.connects.Load()
	t.Logf("caught up on %d messages over %d connections; peak heap of the test process (server included) %.1f MiB", n, connects, float64(peak)/(1<<20))
	if connects < 10 {
		t.Fatalf("only %d connections: the network did not drop as meant", connects)
	}
	checkEachOnce(t, storedTexts(t, a.db, conv), n)
	if peak > 64<<20 {
		t.Errorf("the heap peaked at %d MiB during the sync, want under 64", peak>>20)
	}
}

// dropAll closes the connections open now.
func (c *cutter) dropAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for x := range c.conns {
		x.Close()
		delete(c.conns, x)
	}
}
