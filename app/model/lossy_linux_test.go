package model

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"parley/app/state"
	"parley/media/jitter"
	"parley/server/node/nodetest"
)

// BenchmarkLossyLink compares the carriers on a bad link: a call between
// two apps in one network namespace through a real server in another,
// joined by a user-space forwarder of IP packets between two TUN devices
// (this kernel has no netem) that delays each packet 50 ms one way (so
// 100 ms RTT to the server) and drops 1 % at random in each direction:
// each party's audio crosses the link twice (to the server and back out),
// about 2 % end to end. It runs the call once on the WebSocket (TCP) and
// once over UDP, 20 s each, and reports the share of 20 ms frames that
// were missing at playout (lost, or too late for the jitter buffer) and
// the buffer's mean playout delay. Root and `ip netns` only; the numbers
// are in docs/benchmarks.md.
//
//	go test -run '^$' -bench LossyLink -benchtime 1x ./app/model
func BenchmarkLossyLink(b *testing.B) {
	if srv := os.Getenv("PARLEY_LOSSY_SERVER"); srv != "" {
		lossyChild(b, srv, os.Getenv("PARLEY_LOSSY_CARRIER"))
		return
	}
	if f := flag.Lookup("test.bench"); f == nil || !strings.Contains(f.Value.String(), "LossyLink") {
		b.Skip("a minute of calls as root: run it by name, -bench LossyLink (make bench stays short)")
	}
	if os.Geteuid() != 0 {
		b.Skip("needs root for ip netns and TUN devices")
	}
	dir := b.TempDir()
	bin := filepath.Join(dir, "parley-server")
	if out, err := exec.Command("go", "build", "-o", bin, "parley/server").CombinedOutput(); err != nil {
		b.Fatalf("build the server: %v\n%s", err, out)
	}
	cli, srv := fmt.Sprintf("plc%d", os.Getpid()), fmt.Sprintf("pls%d", os.Getpid())
	for _, ns := range []string{cli, srv} {
		run(b, "ip", "netns", "add", ns)
		b.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	}
	tc, ts := openTun(b, cli, "tunc"), openTun(b, srv, "tuns")
	for _, c := range [][]string{
		{"-n", cli, "link", "set", "lo", "up"}, {"-n", srv, "link", "set", "lo", "up"},
		{"-n", cli, "addr", "add", "10.77.0.1", "peer", "10.77.0.2", "dev", "tunc"},
		{"-n", srv, "addr", "add", "10.77.0.2", "peer", "10.77.0.1", "dev", "tuns"},
		{"-n", cli, "link", "set", "tunc", "up"}, {"-n", srv, "link", "set", "tuns", "up"},
	} {
		run(b, "ip", c...)
	}
	const delay, loss = 50 * time.Millisecond, 0.01
	stop := make(chan struct{})
	b.Cleanup(func() { close(stop); tc.Close(); ts.Close() })
	go forward(tc, ts, delay, loss, 1, stop)
	go forward(ts, tc, delay, loss, 2, stop)

	server := exec.Command("ip", "netns", "exec", srv, bin, "-addr", "10.77.0.2:8080", "-data", filepath.Join(dir, "data"),
		"-udp", "50000", "-log-level", "warn")
	server.Stderr = os.Stderr
	if err := server.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { server.Process.Kill(); server.Wait() })

	results := map[string]lossyResult{}
	for _, carrier := range []string{state.CarrierWebSocket, state.CarrierUDP} {
		child := exec.Command("ip", "netns", "exec", cli, os.Args[0], "-test.run", "^$", "-test.bench", "^BenchmarkLossyLink$", "-test.benchtime", "1x")
		child.Env = append(os.Environ(), "PARLEY_LOSSY_SERVER=http://10.77.0.2:8080", "PARLEY_LOSSY_CARRIER="+carrier)
		out, err := child.CombinedOutput()
		if err != nil {
			b.Fatalf("the %s call: %v\n%s", carrier, err, out)
		}
		sc := bufio.NewScanner(strings.NewReader(string(out)))
		for sc.Scan() {
			if j, ok := strings.CutPrefix(sc.Text(), "LOSSY "); ok {
				var r lossyResult
				if err := json.Unmarshal([]byte(j), &r); err != nil {
					b.Fatal(err)
				}
				results[carrier] = r
				b.Logf("%s: %+v", carrier, r)
			}
		}
		if _, ok := results[carrier]; !ok {
			b.Fatalf("the %s call printed no result:\n%s", carrier, out)
		}
	}
	for carrier, r := range results {
		b.ReportMetric(100*r.Missing, "%missing-"+carrier)
		b.ReportMetric(float64(r.DelayMs), "ms-delay-"+carrier)
	}
}

// lossyResult is what one direction of a call saw at playout, averaged
// over both directions.
type lossyResult struct {
	Carrier string  `json:"carrier"`
	Frames  uint64  `json:"frames"`  // frames due at playout, both directions
	Missing float64 `json:"missing"` // share of them concealed (lost or late)
	Late    uint64  `json:"late"`    // packets that came after their frame played
	Lost    uint64  `json:"lost"`    // packets never received
	DelayMs int64   `json:"delay_ms"`
}

// lossyChild is the call, run in the client namespace.
func lossyChild(b *testing.B, server, carrier string) {
	srv := &nodetest.Server{HTTPURL: server}
	deadline := time.Now().Add(30 * time.Second)
	for { // the server starts beside us: wait until it listens
		c, err := net.DialTimeout("tcp", "10.77.0.2:8080", time.Second)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("the server does not listen: %v", err)
		}
		time.Sleep(100 * time.Millisecond) // polling a readiness condition
	}
	ctx := context.Background()
	mk := func(name string) (*testModel, chan string) {
		tm := newTestModel(b, srv, b.TempDir(), func(c *Config) { c.Audio = &virtualAudio{voice: true} })
		ch := make(chan string, 1)
		tm.calls.mu.Lock()
		tm.calls.noUDP, tm.calls.udpOutcome = carrier != state.CarrierUDP, ch
		tm.calls.mu.Unlock()
		tm.registerAndLoginAt(server, name)
		return tm, ch
	}
	a, aCh := mk("a")
	bm, bCh := mk("b")
	// A shared group: the server takes calls only between people who
	// share one (or accepted a request).
	if err := a.CreateGroup(ctx, "lossy"); err != nil {
		b.Fatal(err)
	}
	if err := a.Invite(ctx, fmt.Sprint(bm.State().Me.ID), ""); err != nil {
		b.Fatal(err)
	}
	if err := a.Call(ctx, fmt.Sprint(bm.State().Me.ID)); err != nil {
		b.Fatal(err)
	}
	bm.waitFor("ringing", func(st state.State) bool { return st.Call != nil && st.Call.State == state.CallIncoming })
	if err := bm.Accept(ctx); err != nil {
		b.Fatal(err)
	}
	if carrier == state.CarrierUDP {
		for _, ch := range []chan string{aCh, bCh} {
			if got := <-ch; got != carrier {
				b.Fatalf("the call went by %s, not %s", got, carrier)
			}
		}
	}
	stats := func(tm *testModel) jitter.Stats {
		tm.calls.mu.Lock()
		defer tm.calls.mu.Unlock()
		if tm.calls.run == nil || tm.calls.run.engine == nil {
			return jitter.Stats{}
		}
		return tm.calls.run.engine.Stats().Jitter
	}
	for _, tm := range []*testModel{a, bm} {
		tm.waitFor("in call", func(st state.State) bool { return st.Call != nil && st.Call.State == state.CallActive })
	}
	time.Sleep(2 * time.Second) // the measurement's warm-up: the buffers settle
	before := []jitter.Stats{stats(a), stats(bm)}
	time.Sleep(20 * time.Second) // the measurement itself
	r := lossyResult{Carrier: carrier}
	var delay time.Duration
	for i, tm := range []*testModel{a, bm} {
		s, s0 := stats(tm), before[i]
		missing := (s.Concealed - s.Stretched) - (s0.Concealed - s0.Stretched)
		played := s.Played - s0.Played
		r.Frames += played + missing
		r.Missing += float64(missing)
		r.Late += s.Late - s0.Late
		r.Lost += s.Lost - s0.Lost
		delay += s.Target
	}
	r.Missing /= float64(max(r.Frames, 1))
	r.DelayMs = (delay / 2).Milliseconds()
	j, _ := json.Marshal(r)
	fmt.Printf("LOSSY %s\n", j)
	a.Hangup(ctx)
}

func run(b *testing.B, name string, args ...string) {
	b.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		b.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// openTun creates TUN device name in network namespace ns.
func openTun(b *testing.B, ns, name string) *os.File {
	b.Helper()
	type res struct {
		f   *os.File
		err error
	}
	ch := make(chan res)
	go func() { // on a thread of its own, which dies with the goroutine
		runtime.LockOSThread()
		f, err := func() (*os.File, error) {
			h, err := os.Open("/var/run/netns/" + ns)
			if err != nil {
				return nil, err
			}
			defer h.Close()
			if err := unix.Setns(int(h.Fd()), unix.CLONE_NEWNET); err != nil {
				return nil, fmt.Errorf("setns: %w", err)
			}
			fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC, 0)
			if err != nil {
				return nil, err
			}
			ifr, err := unix.NewIfreq(name)
			if err != nil {
				unix.Close(fd)
				return nil, err
			}
			ifr.SetUint16(unix.IFF_TUN | unix.IFF_NO_PI)
			if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
				unix.Close(fd)
				return nil, fmt.Errorf("TUNSETIFF: %w", err)
			}
			unix.SetNonblock(fd, true)
			return os.NewFile(uintptr(fd), name), nil
		}()
		ch <- res{f, err}
	}()
	r := <-ch
	if r.err != nil {
		b.Fatalf("tun %s in %s: %v", name, ns, r.err)
	}
	return r.f
}

// forward copies IP packets from in to out, each after delay, dropping
// a share loss of them at random; order is kept.
func forward(in, out *os.File, delay time.Duration, loss float64, seed uint64, stop chan struct{}) {
	type pkt struct {
		due time.Time
		b   []byte
	}
	q := make(chan pkt, 1<<14)
	go func() {
		for {
			select {
			case p := <-q:
				if d := time.Until(p.due); d > 0 {
					time.Sleep(d) // the link's delay
				}
				out.Write(p.b)
			case <-stop:
				return
			}
		}
	}()
	rng := rand.New(rand.NewPCG(seed, 7))
	buf := make([]byte, 65536)
	for {
		n, err := in.Read(buf)
		if err != nil {
			return
		}
		if rng.Float64() < loss {
			continue
		}
		select {
		case q <- pkt{time.Now().Add(delay), append([]byte(nil), buf[:n]...)}:
		default: // the link's queue is full: dropped
		}
	}
}
