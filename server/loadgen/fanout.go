package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// fanoutRun is one fan-out measurement: members connections in one group,
// the first pubs of them publishing on a shared schedule, every one of
// them receiving every message.
type fanoutRun struct {
	o     *options
	epoch time.Time
	conv  int64
	base  int64 // the group's last seq before the run
	sched schedule
	nonce string

	mStart, mEnd time.Duration // the measured window (after warm-up)

	// Per message, indexed by seq-base-1: when the last member received it,
	// how many did, and when it was due.
	lastRecv []atomic.Int64
	recvBy   []atomic.Int32
	dueAt    []atomic.Int64

	members []*member
	closing atomic.Bool
	gone    atomic.Int32
}

// member is one receiving connection (and, for the first pubs, a publisher).
type member struct {
	c    *wsConn
	last atomic.Int64 // last seq received

	recv, dups, gaps, inWindow uint64
	lat, latSent, ack          *hist
	acked, failed              atomic.Int64
	gone                       atomic.Bool // disconnected during the run
}

func (r *fanoutRun) since() time.Duration { return time.Since(r.epoch) }

func runFanout(ctx context.Context, o *options, t *target) (*report, error) {
	rep := &report{Mode: "fanout", Members: o.members, Rate: o.rate, Publishers: o.pubs, Size: o.size, Sync: o.sync}
	setupStart := time.Now()
	users, err := registerUsers(ctx, t.addr, o.members, o.workers)
	if err != nil {
		return nil, err
	}
	conv, err := groupOf(ctx, t.addr, users, o.workers)
	if err != nil {
		return nil, err
	}
	conns, err := loginAll(ctx, t, users, o.workers, o.readBuf)
	if err != nil {
		return nil, err
	}
	defer closeAll(conns)
	base, err := lastSeq(ctx, conns[0], 2, conv)
	if err != nil {
		return nil, err
	}
	logf("setup: %d members in group %d (seq %d) in %s", o.members, conv, base, time.Since(setupStart).Round(time.Millisecond))

	total := int(o.rate * (o.warmup + o.duration).Seconds())
	nonce := make([]byte, 4)
	rand.Read(nonce)
	r := &fanoutRun{
		o: o, conv: int64(conv), base: base, nonce: hex.EncodeToString(nonce),
		lastRecv: make([]atomic.Int64, total),
		recvBy:   make([]atomic.Int32, total),
		dueAt:    make([]atomic.Int64, total),
	}
	r.epoch = time.Now()
	start := 200 * time.Millisecond
	r.sched = schedule{start: start, rate: o.rate, pubs: o.pubs, total: total}
	r.mStart, r.mEnd = start+o.warmup, start+o.warmup+o.duration

	var wg sync.WaitGroup
	for _, c := range conns {
		m := &member{c: c}
		m.last.Store(base)
		r.members = append(r.members, m)
		c.nc.SetReadDeadline(r.epoch.Add(r.mEnd + o.drain + 10*time.Second))
		wg.Go(func() { r.receive(m) })
	}
	var pubs sync.WaitGroup
	for p := range o.pubs {
		pubs.Go(func() { r.publish(p, r.members[p]) })
	}

	win := r.window(ctx, t, rep)
	pubs.Wait()

	// Every send is answered; then every member has every message.
	deadline := time.Now().Add(o.drain)
	var acked, failed int64
	for time.Now().Before(deadline) {
		acked, failed = 0, 0
		for _, m := range r.members[:o.pubs] {
			acked += m.acked.Load()
			failed += m.failed.Load()
		}
		if int(acked+failed) >= total {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	final := base + acked
	for time.Now().Before(deadline) && !r.allAt(final) {
		time.Sleep(20 * time.Millisecond)
	}
	r.closing.Store(true)
	closeAll(conns)
	wg.Wait()
	<-win

	r.summarise(rep, total, acked, failed, final)
	return rep, nil
}

// window samples the server and this process over the measured window and
// fetches the server's CPU profile if asked; the channel closes when done.
func (r *fanoutRun) window(ctx context.Context, t *target, rep *report) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		time.Sleep(time.Until(r.epoch.Add(r.mStart)))
		var prof chan error
		if r.o.profile != "" {
			prof = make(chan error, 1)
			go func() {
				prof <- t.fetchProfile(ctx, fmt.Sprintf("/debug/pprof/profile?seconds=%d", int(r.o.duration.Seconds())), r.o.profile+".cpu.pprof")
			}()
		}
		cpu := startCPU(t)
		time.Sleep(time.Until(r.epoch.Add(r.mEnd)))
		cpu.stop(rep)
		if prof != nil {
			if err := <-prof; err != nil {
				logf("profile: %v", err)
			} else {
				rep.Profile = r.o.profile + ".cpu.pprof"
			}
		}
	}()
	return done
}

func (r *fanoutRun) allAt(seq int64) bool {
	for _, m := range r.members {
		if m.last.Load() < seq && !m.gone.Load() {
			return false
		}
	}
	return true
}

// publish sends publisher p's share of the schedule: whatever is due when
// it wakes goes out in one write, stamped with its due and send times.
func (r *fanoutRun) publish(p int, m *member) {
	var body []byte
	for i := r.sched.next(p, 0); i >= 0; {
		if wait := r.sched.due(i) - r.since(); wait > 0 {
			time.Sleep(wait)
		}
		now := r.since()
		end := max(r.sched.dueUpTo(p, i, now), i+1)
		err := m.c.writeFrames(func(add func(byte, []byte)) {
			for j := i; j < end; j += r.sched.pubs {
				body = r.appendSend(body[:0], j, now)
				add(opText, body)
			}
		})
		if err != nil {
			if !r.closing.Load() {
				logf("publisher %d: %v", p, err)
			}
			return
		}
		i = r.sched.next(p, end)
	}
}

// appendSend encodes the send request of message i.
func (r *fanoutRun) appendSend(b []byte, i int, now time.Duration) []byte {
	b = append(b, `{"type":"send","id":"`...)
	b = strconv.AppendInt(b, int64(i), 10)
	b = append(b, `","body":{"conv":`...)
	b = strconv.AppendInt(b, r.conv, 10)
	b = append(b, `,"client_id":"`...)
	b = append(b, r.nonce...)
	b = append(b, '-')
	b = strconv.AppendInt(b, int64(i), 10)
	b = append(b, `","text":"`...)
	b = appendStamp(b, r.sched.due(i), now, r.o.size)
	return append(b, `"}}`...)
}

// receive reads m's connection until it is closed.
func (r *fanoutRun) receive(m *member) {
	m.lat, m.latSent = new(hist), new(hist)
	for {
		op, p, err := m.c.readFrame()
		if err != nil {
			if !r.closing.Load() {
				m.gone.Store(true)
				if r.gone.Add(1) <= 3 {
					logf("member disconnected at %s: %v", r.since().Round(time.Millisecond), err)
				}
			}
			return
		}
		if op != opText {
			continue
		}
		now := r.since()
		if conv, seq, text, ok := scanMessage(p); ok {
			if conv == r.conv {
				r.delivered(m, seq, text, now)
			}
			continue
		}
		if id, _, failed, ok := scanReply(p); ok {
			if failed {
				m.failed.Add(1)
				if m.failed.Load() <= 3 {
					logf("send failed: %s", p)
				}
				continue
			}
			if m.ack == nil {
				m.ack = new(hist)
			}
			if due := r.sched.due(int(id)); due >= r.mStart && due < r.mEnd {
				m.ack.record(now - due)
			}
			m.acked.Add(1)
		}
	}
}

func (r *fanoutRun) delivered(m *member, seq int64, text []byte, now time.Duration) {
	last := m.last.Load()
	switch {
	case seq <= last:
		m.dups++
		return
	case seq > last+1:
		m.gaps += uint64(seq - last - 1)
	}
	m.last.Store(seq)
	m.recv++
	if now >= r.mStart && now < r.mEnd {
		m.inWindow++
	}
	due, sent, ok := parseStamp(text)
	if !ok {
		return
	}
	if due >= r.mStart && due < r.mEnd {
		m.lat.record(now - due)
		m.latSent.record(now - sent)
	}
	i := seq - r.base - 1
	if i < 0 || i >= int64(len(r.lastRecv)) {
		return
	}
	if r.dueAt[i].Load() == 0 {
		r.dueAt[i].Store(int64(due))
	}
	r.recvBy[i].Add(1)
	for {
		old := r.lastRecv[i].Load()
		if int64(now) <= old || r.lastRecv[i].CompareAndSwap(old, int64(now)) {
			break
		}
	}
}

func (r *fanoutRun) summarise(rep *report, total int, acked, failed, final int64) {
	var lat, latSent, ack hist
	var recv, dups, inWin uint64
	// The last seq: what the acks say, or more if a publisher was cut off
	// before it read all of its acks.
	for _, m := range r.members {
		final = max(final, m.last.Load())
	}
	for _, m := range r.members {
		lat.merge(m.lat)
		latSent.merge(m.latSent)
		if m.ack != nil {
			ack.merge(m.ack)
		}
		recv += m.recv
		dups += m.dups
		rep.Gaps += m.gaps
		inWin += m.inWindow
		if m.gone.Load() {
			rep.Disconnected++ // evicted or failed: it resynchronises; not counted as missing
			continue
		}
		rep.Missing += (final - r.base) - int64(m.recv)
	}
	var comp hist
	incomplete := 0
	for i := range int(min(final-r.base, int64(len(r.dueAt)))) {
		due := time.Duration(r.dueAt[i].Load())
		if due < r.mStart || due >= r.mEnd {
			continue
		}
		if int(r.recvBy[i].Load()) != len(r.members) {
			incomplete++
			continue
		}
		comp.record(time.Duration(r.lastRecv[i].Load()) - due)
	}
	rep.Sent, rep.Acked, rep.Failed = total, acked, failed
	rep.Delivered = recv
	rep.Duplicates = dups
	rep.DeliveriesPerSec = float64(inWin) / r.o.duration.Seconds()
	rep.Latency = latencyOf(&lat)
	rep.LatencySent = latencyOf(&latSent)
	rep.Ack = latencyOf(&ack)
	rep.Completion = latencyOf(&comp)
	rep.Incomplete = incomplete
	rep.FinalSeq = final
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "loadgen: "+format+"\n", args...)
}
