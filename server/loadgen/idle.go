package main

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// runIdle holds o.conns logged-in connections that do nothing, and
// measures what they cost the server: RSS before and after, CPU while idle.
func runIdle(ctx context.Context, o *options, t *target) (*report, error) {
	rep := &report{Mode: "idle", Conns: o.conns}
	setupStart := time.Now()
	users, err := registerUsers(ctx, t.addr, o.conns, o.workers)
	if err != nil {
		return nil, err
	}
	logf("setup: %d users registered in %s; settling %s", o.conns, time.Since(setupStart).Round(time.Millisecond), o.settle)
	time.Sleep(o.settle)
	before, _ := t.sample()

	connStart := time.Now()
	conns, err := loginAll(ctx, t, users, o.workers, 1024)
	if err != nil {
		return nil, err
	}
	defer closeAll(conns)
	logf("%d connections logged in in %s; idling %s", len(conns), time.Since(connStart).Round(time.Millisecond), o.settle)

	// Each connection has a reader (it answers the server's pings and
	// counts replies to the liveness check below).
	var replies atomic.Int64
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Go(func() {
			for {
				op, p, err := c.readFrame()
				if err != nil {
					return
				}
				if _, _, _, ok := scanReply(p); ok && op == opText {
					replies.Add(1)
				}
			}
		})
	}
	defer func() { closeAll(conns); wg.Wait() }()

	cpu := startCPU(t)
	time.Sleep(o.settle)
	cpu.stop(rep)
	if after, ok := t.sample(); ok {
		rep.RSSBefore, rep.RSSAfter = before.rss, after.rss
		rep.RSSPerConn = float64(after.rss-before.rss) / float64(len(conns))
		rep.RSSPerConn0 = float64(after.rss) / float64(len(conns))
	}
	if o.profile != "" {
		if err := t.fetchProfile(ctx, "/debug/pprof/heap", o.profile+".heap.pprof"); err != nil {
			logf("profile: %v", err)
		} else {
			rep.Profile = o.profile + ".heap.pprof"
		}
		if err := t.fetchProfile(ctx, "/debug/memory", o.profile+".memory.txt"); err != nil {
			logf("memory classes: %v", err)
		}
	}

	// Liveness: every connection still answers.
	ping := []byte(`{"type":"ping","id":"99"}`)
	for _, c := range conns {
		c.write(opText, ping)
	}
	deadline := time.Now().Add(o.drain)
	for replies.Load() < int64(len(conns)) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	rep.Alive = int(replies.Load())
	return rep, nil
}
