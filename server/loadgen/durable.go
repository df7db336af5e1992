package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"sync"
	"time"

	"parley/net/proto"
)

// runDurable has o.senders connections, each in a group of its own, send
// as fast as their acknowledgements allow: at most o.window sends in
// flight each, the next one sent only when an ack (given after the durable
// commit) arrives. It measures acknowledged messages per second.
func runDurable(ctx context.Context, o *options, t *target) (*report, error) {
	rep := &report{Mode: "durable", Senders: o.senders, Window: o.window, Size: o.size, Sync: o.sync}
	setupStart := time.Now()
	users, err := registerUsers(ctx, t.addr, o.senders, o.workers)
	if err != nil {
		return nil, err
	}
	conns, err := loginAll(ctx, t, users, o.workers, 16<<10)
	if err != nil {
		return nil, err
	}
	defer closeAll(conns)
	convs := make([]proto.ConvID, len(conns))
	firstSeq := make([]int64, len(conns)) // the group's seq before the run
	err = parallel(ctx, len(conns), o.workers, func(ctx context.Context, _, i int) error {
		var g proto.ConversationReply
		if err := conns[i].call(ctx, 2, proto.TypeCreateGroup, proto.CreateGroupRequest{Name: fmt.Sprint("durable-", i)}, &g); err != nil {
			return err
		}
		convs[i], firstSeq[i] = g.Conversation.ID, g.Conversation.LastSeq
		return nil
	})
	if err != nil {
		return nil, err
	}
	logf("setup: %d senders in %s", len(conns), time.Since(setupStart).Round(time.Millisecond))

	nonce := make([]byte, 4)
	rand.Read(nonce)
	epoch := time.Now()
	mStart, mEnd := o.warmup, o.warmup+o.duration
	type result struct {
		ack           hist
		acked, failed int64
		inWindow      int64
		outOfSequence int64
		err           error
	}
	results := make([]result, len(conns))
	var wg sync.WaitGroup
	for s, c := range conns {
		wg.Go(func() {
			res := &results[s]
			c.nc.SetReadDeadline(epoch.Add(mEnd + o.drain))
			sentAt := make([]time.Duration, o.window)
			var body []byte
			next, outstanding := 0, 0
			lastSeq := firstSeq[s] // acks carry the group's seqs: each the next one
			send := func() error {
				now := time.Since(epoch)
				body = append(body[:0], `{"type":"send","id":"`...)
				body = strconv.AppendInt(body, int64(next), 10)
				body = append(body, `","body":{"conv":`...)
				body = strconv.AppendInt(body, int64(convs[s]), 10)
				body = append(body, `,"client_id":"`...)
				body = append(body, hex.EncodeToString(nonce)...)
				body = append(body, '-')
				body = strconv.AppendInt(body, int64(next), 10)
				body = append(body, `","text":"`...)
				body = appendStamp(body, now, now, o.size)
				body = append(body, `"}}`...)
				sentAt[next%o.window] = now
				next++
				outstanding++
				return c.write(opText, body)
			}
			for range o.window {
				if err := send(); err != nil {
					res.err = err
					return
				}
			}
			for outstanding > 0 {
				op, p, err := c.readFrame()
				if err != nil {
					res.err = err
					return
				}
				id, seq, failed, ok := scanReply(p)
				if op != opText || !ok {
					continue // our own message, pushed back to us
				}
				outstanding--
				now := time.Since(epoch)
				if failed {
					res.failed++
				} else {
					if seq != lastSeq+1 {
						res.outOfSequence++
					}
					lastSeq = max(lastSeq, seq)
					res.acked++
					if now >= mStart && now < mEnd {
						res.inWindow++
						res.ack.record(now - sentAt[id%int64(o.window)])
					}
				}
				if now < mEnd {
					if err := send(); err != nil {
						res.err = err
						return
					}
				}
			}
		})
	}
	win := make(chan struct{})
	go func() {
		defer close(win)
		time.Sleep(time.Until(epoch.Add(mStart)))
		var prof chan error
		if o.profile != "" {
			prof = make(chan error, 1)
			go func() {
				prof <- t.fetchProfile(ctx, fmt.Sprintf("/debug/pprof/profile?seconds=%d", int(o.duration.Seconds())), o.profile+".cpu.pprof")
			}()
		}
		cpu := startCPU(t)
		time.Sleep(time.Until(epoch.Add(mEnd)))
		cpu.stop(rep)
		if prof != nil {
			if err := <-prof; err != nil {
				logf("profile: %v", err)
			} else {
				rep.Profile = o.profile + ".cpu.pprof"
			}
		}
	}()
	wg.Wait()
	<-win

	var ack hist
	var inWindow int64
	for _, r := range results {
		ack.merge(&r.ack)
		rep.Acked += r.acked
		rep.Failed += r.failed
		rep.Gaps += uint64(r.outOfSequence)
		inWindow += r.inWindow
		if r.err != nil {
			rep.Disconnected++
		}
	}
	rep.AckedPerSec = float64(inWindow) / o.duration.Seconds()
	rep.Ack = latencyOf(&ack)
	return rep, nil
}
