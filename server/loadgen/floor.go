package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The floor mode measures what a fan-out costs on this machine with
// nothing of Parley in it: a bare TCP server process writes one frame per
// member per message, the size of the frame the real server delivers, to
// -members loopback connections from GOMAXPROCS goroutines (as the hub's
// fan-out does), while this process reads them with a goroutine per
// connection (as the fanout mode does). No WebSocket, no JSON, no
// database, no queues. Its completion latency is the least any server
// could reach with its load generator on the same cores.

// floorServeEnv makes the load generator's own binary the bare server.
const floorServeEnv = "PARLEY_LOADGEN_FLOOR_SERVE"

// floorOverhead is what a delivered push frame adds to its text: the
// WebSocket header and the JSON envelope (~290 bytes for 100-byte text).
const floorOverhead = 190

// floorHeader is the part of a floor frame the receiver reads: the
// message's index and its due time (Unix ns).
const floorHeader = 16

// floorPlan is what both sides agree on.
type floorPlan struct {
	members  int
	rate     float64
	total    int // messages
	frameLen int
}

func (p floorPlan) args() []string {
	return []string{strconv.Itoa(p.members), strconv.FormatFloat(p.rate, 'g', -1, 64), strconv.Itoa(p.total), strconv.Itoa(p.frameLen)}
}

func parseFloorPlan(args []string) (floorPlan, error) {
	if len(args) != 4 {
		return floorPlan{}, fmt.Errorf("floor server: want 4 arguments, got %q", args)
	}
	var p floorPlan
	var errs [4]error
	p.members, errs[0] = strconv.Atoi(args[0])
	p.rate, errs[1] = strconv.ParseFloat(args[1], 64)
	p.total, errs[2] = strconv.Atoi(args[2])
	p.frameLen, errs[3] = strconv.Atoi(args[3])
	if err := errors.Join(errs[:]...); err != nil {
		return p, fmt.Errorf("floor server: %w", err)
	}
	if p.members < 1 || p.members > 20000 || p.rate <= 0 || p.total < 1 || p.total > 1e7 || p.frameLen < floorHeader || p.frameLen > 1<<20 {
		return p, fmt.Errorf("floor server: plan %+v out of bounds", p)
	}
	return p, nil
}

// floorServeMain is main for the bare server process: it listens on a
// free loopback port, prints it, accepts the members, waits for "go" on
// stdin, plays the schedule and exits.
func floorServeMain(args []string) error {
	p, err := parseFloorPlan(args)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer ln.Close()
	fmt.Println(ln.Addr())
	conns := make([]net.Conn, 0, p.members)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for len(conns) < p.members {
		ln.(*net.TCPListener).SetDeadline(time.Now().Add(time.Minute))
		c, err := ln.Accept()
		if err != nil {
			return fmt.Errorf("floor server: accept: %w", err)
		}
		conns = append(conns, c)
	}
	line, err := bufio.NewReader(os.Stdin).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "go" {
		return fmt.Errorf("floor server: no go: %q, %v", line, err)
	}
	return floorServe(conns, p, time.Now().Add(100*time.Millisecond))
}

// floorServe writes message i, due at start + i/rate, to every connection.
// A message that falls behind is written late, never skipped.
func floorServe(conns []net.Conn, p floorPlan, start time.Time) error {
	frame := make([]byte, p.frameLen)
	for i := range frame[floorHeader:] {
		frame[floorHeader+i] = 'x'
	}
	workers := min(runtime.GOMAXPROCS(0), len(conns))
	per := (len(conns) + workers - 1) / workers
	for i := range p.total {
		due := start.Add(time.Duration(float64(i) / p.rate * float64(time.Second)))
		if d := time.Until(due); d > 0 {
			time.Sleep(d) // the schedule's pace, not synchronisation
		}
		binary.LittleEndian.PutUint64(frame[0:], uint64(i))
		binary.LittleEndian.PutUint64(frame[8:], uint64(due.UnixNano()))
		var wg sync.WaitGroup
		var failed atomic.Int64
		for w := range workers {
			part := conns[min(w*per, len(conns)):min((w+1)*per, len(conns))]
			wg.Go(func() {
				for _, c := range part {
					c.SetWriteDeadline(time.Now().Add(10 * time.Second))
					if _, err := c.Write(frame); err != nil {
						failed.Add(1)
					}
				}
			})
		}
		wg.Wait()
		if n := failed.Load(); n > 0 {
			return fmt.Errorf("floor server: message %d: %d writes failed", i, n)
		}
	}
	return nil
}

// floorRun is the receiving side's record of every message.
type floorRun struct {
	plan      floorPlan
	from, to  int // the measured messages: [from, to)
	last      []atomic.Int64
	got       []atomic.Int32
	mu        sync.Mutex
	latency   hist // due → received, every delivery of a measured message
	corrupted atomic.Int64
}

func newFloorRun(p floorPlan, from, to int) *floorRun {
	return &floorRun{plan: p, from: from, to: to, last: make([]atomic.Int64, p.total), got: make([]atomic.Int32, p.total)}
}

// receive reads one member's connection until it ends.
func (r *floorRun) receive(c net.Conn) {
	var h hist
	buf := make([]byte, 16<<10)
	have := 0
	for {
		n, err := c.Read(buf[have:])
		now := time.Now().UnixNano()
		have += n
		off := 0
		for have-off >= r.plan.frameLen {
			f := buf[off : off+r.plan.frameLen]
			off += r.plan.frameLen
			i := binary.LittleEndian.Uint64(f[0:])
			if i >= uint64(r.plan.total) {
				r.corrupted.Add(1)
				continue
			}
			d := now - int64(binary.LittleEndian.Uint64(f[8:]))
			for {
				o := r.last[i].Load()
				if d <= o || r.last[i].CompareAndSwap(o, d) {
					break
				}
			}
			r.got[i].Add(1)
			if int(i) >= r.from && int(i) < r.to {
				h.record(time.Duration(d))
			}
		}
		have = copy(buf, buf[off:have])
		if err != nil {
			break
		}
	}
	r.mu.Lock()
	r.latency.merge(&h)
	r.mu.Unlock()
}

// summarise fills the report: completion of every measured message all
// members received, and how many were not.
func (r *floorRun) summarise(rep *report, window time.Duration) {
	var completion hist
	for i := r.from; i < r.to; i++ {
		if int(r.got[i].Load()) == r.plan.members {
			completion.record(time.Duration(r.last[i].Load()))
		} else {
			rep.Incomplete++
		}
	}
	for i := range r.got {
		rep.Delivered += uint64(r.got[i].Load())
	}
	rep.Missing = int64(r.plan.total*r.plan.members) - int64(rep.Delivered)
	rep.Gaps = uint64(r.corrupted.Load())
	rep.Sent = r.plan.total
	rep.Completion = latencyOf(&completion)
	rep.Latency = latencyOf(&r.latency)
	rep.DeliveriesPerSec = float64(r.latency.count()) / window.Seconds()
}

func runFloor(ctx context.Context, o *options) (*report, error) {
	rep := &report{Mode: "floor", Members: o.members, Rate: o.rate, Size: o.size}
	total := int(o.rate * (o.warmup + o.duration).Seconds())
	plan := floorPlan{members: o.members, rate: o.rate, total: total, frameLen: o.size + floorOverhead}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, self, plan.args()...)
	cmd.Env = append(os.Environ(), floorServeEnv+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start floor server: %w", err)
	}
	exited := make(chan error, 1)
	defer func() {
		cmd.Process.Kill()
		<-exited
	}()
	addr, err := bufio.NewReader(stdout).ReadString('\n')
	go func() { exited <- cmd.Wait() }()
	if err != nil {
		return nil, fmt.Errorf("floor server did not start: %w", err)
	}
	addr = strings.TrimSpace(addr)
	if host, _, _ := net.SplitHostPort(addr); host != "127.0.0.1" {
		return nil, fmt.Errorf("floor server listens on %q, not 127.0.0.1", addr)
	}
	conns := make([]net.Conn, 0, o.members)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	var d net.Dialer
	for range o.members {
		c, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return nil, fmt.Errorf("dial floor server: %w", err)
		}
		conns = append(conns, c)
	}
	from := int(o.rate * o.warmup.Seconds())
	r := newFloorRun(plan, from, total)
	var wg sync.WaitGroup
	end := time.Now().Add(o.warmup + o.duration + o.drain + 10*time.Second)
	for _, c := range conns {
		c.SetReadDeadline(end)
		wg.Go(func() { r.receive(c) })
	}
	t := &target{pid: strconv.Itoa(cmd.Process.Pid)}
	if _, err := io.WriteString(stdin, "go\n"); err != nil {
		return nil, err
	}
	start := time.Now()
	select {
	case <-time.After(100*time.Millisecond + o.warmup):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	cpu := startCPU(t)
	select {
	case <-time.After(o.duration):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	cpu.stop(rep)
	var serveErr error
	select {
	case serveErr = <-exited:
		exited <- serveErr // for the deferred wait
	case <-time.After(time.Until(start.Add(o.warmup + o.duration + o.drain))):
		serveErr = errors.New("floor server did not finish its schedule in time")
	}
	for _, c := range conns {
		c.Close()
	}
	wg.Wait()
	if serveErr != nil {
		return nil, fmt.Errorf("floor server: %w", serveErr)
	}
	r.summarise(rep, o.duration)
	return rep, nil
}
