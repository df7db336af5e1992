package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
)

// report is the result of one run. Latencies are in milliseconds.
type report struct {
	Mode    string `json:"mode"`
	Machine string `json:"machine"`
	Args    string `json:"args"`
	Sync    string `json:"sync,omitempty"`

	// fanout
	Members          int     `json:"members,omitempty"`
	Publishers       int     `json:"publishers,omitempty"`
	Rate             float64 `json:"rate,omitempty"`
	Size             int     `json:"size,omitempty"`
	Sent             int     `json:"sent,omitempty"`
	Acked            int64   `json:"acked,omitempty"`
	Failed           int64   `json:"failed"`
	Delivered        uint64  `json:"delivered,omitempty"`
	Missing          int64   `json:"missing"`
	Duplicates       uint64  `json:"duplicates"`
	Gaps             uint64  `json:"gaps"` // seqs skipped when a later one arrived (fanout), or acks out of sequence (durable)
	Disconnected     int     `json:"disconnected"`
	Incomplete       int     `json:"incomplete"`
	FinalSeq         int64   `json:"final_seq,omitempty"`
	DeliveriesPerSec float64 `json:"deliveries_per_sec,omitempty"`
	Latency          latency `json:"latency"`      // due → received
	LatencySent      latency `json:"latency_sent"` // sent → received
	Completion       latency `json:"completion"`   // due → last member received
	Ack              latency `json:"ack"`          // due (fanout) or sent (durable) → ack

	// idle
	Conns       int     `json:"conns,omitempty"`
	RSSBefore   int64   `json:"rss_before,omitempty"`
	RSSAfter    int64   `json:"rss_after,omitempty"`
	RSSPerConn  float64 `json:"rss_per_conn,omitempty"`       // (after − before) / conns, bytes
	RSSPerConn0 float64 `json:"rss_total_per_conn,omitempty"` // after / conns, bytes
	Alive       int     `json:"alive,omitempty"`

	// durable
	Senders     int     `json:"senders,omitempty"`
	Window      int     `json:"window,omitempty"`
	AckedPerSec float64 `json:"acked_per_sec,omitempty"`

	ServerCPU  float64 `json:"server_cpu"`  // cores, over the measured window
	LoadgenCPU float64 `json:"loadgen_cpu"` // cores
	OtherCPU   float64 `json:"other_cpu"`   // cores used by every other process: noise
	// Run-queue wait over the measured window, in thread-seconds per
	// second: how long threads were ready to run but had no CPU.
	ServerWait  float64 `json:"server_wait"`
	LoadgenWait float64 `json:"loadgen_wait"`
	ServerRSS   int64   `json:"server_rss"`
	Profile     string  `json:"profile,omitempty"`
}

type latency struct {
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
	N   uint64  `json:"n"`
}

func latencyOf(h *hist) latency {
	f := func(q float64) float64 { return float64(h.quantile(q)) / 1e6 }
	return latency{P50: f(0.5), P95: f(0.95), P99: f(0.99), Max: float64(h.Max()) / 1e6, N: h.count()}
}

func (l latency) String() string {
	if l.N == 0 {
		return "no samples"
	}
	return fmt.Sprintf("p50 %.3g  p95 %.3g  p99 %.3g  max %.3g ms  (n=%d)", l.P50, l.P95, l.P99, l.Max, l.N)
}

// cpuMeter measures, over a window, the CPU of the server, of this
// process and of everything else on the machine (other processes are
// noise that the report shows rather than hides).
type cpuMeter struct {
	t                 *target
	server, self, all procSample
	serverOK          bool
}

func startCPU(t *target) *cpuMeter {
	m := &cpuMeter{t: t}
	m.server, m.serverOK = t.sample()
	m.self, _ = readProc("self")
	m.all, _ = machineBusy()
	return m
}

// stop fills rep's CPU fields (and the server's RSS) for the window.
func (m *cpuMeter) stop(rep *report) {
	server, ok := m.t.sample()
	self, _ := readProc("self")
	all, _ := machineBusy()
	rep.LoadgenCPU, rep.LoadgenWait = cpuShare(m.self, self), waitShare(m.self, self)
	used := cpuShare(m.all, all) - rep.LoadgenCPU
	if ok && m.serverOK {
		rep.ServerCPU, rep.ServerRSS = cpuShare(m.server, server), server.rss
		rep.ServerWait = waitShare(m.server, server)
		used -= rep.ServerCPU
	}
	rep.OtherCPU = max(0, used)
}

// machine names the CPU and how many cores this process may use.
func machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range bytes.Lines(b) {
			if k, v, ok := strings.Cut(string(line), ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	return fmt.Sprintf("%d × %s", runtime.NumCPU(), model)
}

// print writes the report for people.
func (r *report) print(w io.Writer) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	p("mode         %s  (%s)", r.Mode, r.Machine)
	p("command      %s", r.Args)
	switch r.Mode {
	case "fanout":
		p("load         %d members, %d publishers, %g msg/s of %d-byte text, sync=%s", r.Members, r.Publishers, r.Rate, r.Size, r.Sync)
		p("deliveries   %.0f /s (offered %.0f /s)", r.DeliveriesPerSec, r.Rate*float64(r.Members))
		p("latency      %s   [due → received]", r.Latency)
		p("             %s   [sent → received]", r.LatencySent)
		p("completion   %s   [due → last member]", r.Completion)
		p("ack          %s   [due → durable ack]", r.Ack)
		p("correctness  sent %d, acked %d, failed %d, delivered %d, missing %d, duplicates %d, gaps %d, disconnected %d, incomplete %d",
			r.Sent, r.Acked, r.Failed, r.Delivered, r.Missing, r.Duplicates, r.Gaps, r.Disconnected, r.Incomplete)
		if r.DeliveriesPerSec > 0 && r.ServerCPU > 0 {
			p("efficiency   %.2f µs of server CPU per delivery", r.ServerCPU*1e6/r.DeliveriesPerSec)
		}
	case "floor":
		p("load         bare TCP, no Parley: %d connections, %g msg/s of %d-byte frames", r.Members, r.Rate, r.Size+floorOverhead)
		p("deliveries   %.0f /s", r.DeliveriesPerSec)
		p("latency      %s   [due → received]", r.Latency)
		p("completion   %s   [due → last member]", r.Completion)
		p("correctness  sent %d, delivered %d, missing %d, malformed %d, incomplete %d", r.Sent, r.Delivered, r.Missing, r.Gaps, r.Incomplete)
	case "idle":
		p("connections  %d logged in, %d answered a ping afterwards", r.Conns, r.Alive)
		p("server RSS   %s before, %s after: %.1f KiB per connection (%.1f KiB total / connections)",
			mib(r.RSSBefore), mib(r.RSSAfter), r.RSSPerConn/1024, r.RSSPerConn0/1024)
	case "durable":
		p("load         %d senders, %d in flight each, %d-byte text, sync=%s", r.Senders, r.Window, r.Size, r.Sync)
		p("acked        %.0f msg/s (each acknowledged after its commit)", r.AckedPerSec)
		p("ack          %s   [sent → durable ack]", r.Ack)
		p("correctness  acked %d, failed %d, out of sequence %d, disconnected %d", r.Acked, r.Failed, r.Gaps, r.Disconnected)
		if r.AckedPerSec > 0 && r.ServerCPU > 0 {
			p("efficiency   %.1f µs of server CPU per acknowledged message", r.ServerCPU*1e6/r.AckedPerSec)
		}
	}
	p("cpu          server %.2f cores, load generator %.2f cores, other processes %.2f cores; server RSS %s", r.ServerCPU, r.LoadgenCPU, r.OtherCPU, mib(r.ServerRSS))
	if r.ServerWait > 0 || r.LoadgenWait > 0 {
		p("run queue    ready but without a CPU: server %.2f s/s (%.0f %% of its run time), load generator %.2f s/s (%.0f %%)",
			r.ServerWait, percentOf(r.ServerWait, r.ServerCPU), r.LoadgenWait, percentOf(r.LoadgenWait, r.LoadgenCPU))
	}
	if r.Profile != "" {
		p("profile      %s  (go tool pprof -top %s)", r.Profile, r.Profile)
	}
}

func percentOf(a, b float64) float64 {
	if b <= 0 {
		return 0
	}
	return 100 * a / b
}

func (r *report) writeJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	return enc.Encode(r)
}

// ok reports whether the run was correct: nothing missing, duplicated or failed.
func (r *report) ok() bool {
	return r.Missing == 0 && r.Duplicates == 0 && r.Gaps == 0 && r.Failed == 0 && r.Disconnected == 0 && r.Incomplete == 0
}
