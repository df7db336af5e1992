// Command loadgen measures a Parley server under load over the real
// protocol: `go run ./server/loadgen -mode fanout|idle|durable ...`.
//
//   - fanout: -members users in one group, all connected; -pubs of them
//     send -rate messages a second on a fixed schedule. It reports
//     deliveries/s, send→receive latency (from the scheduled and from the
//     actual send time, so a stall cannot hide: no coordinated omission),
//     per-message fan-out completion (until the last member has it),
//     missing and duplicated deliveries, and the server's CPU and RSS.
//   - idle: -conns logged-in connections that do nothing; it reports the
//     server's RSS per connection.
//   - durable: -senders connections, each waiting for the durable ack of
//     its send (-window in flight) before the next; acked messages/s.
//   - floor: no Parley at all: a bare TCP process writes a frame of the
//     same size to each of -members connections at -rate, and this one
//     reads them as the fanout mode does. Its completion latency is the
//     least any server could reach here with its load generator on the
//     same cores (see floor.go).
//
// By default it builds parley/server, starts it on a free 127.0.0.1 port
// with a fresh data folder and cheap password hashing, and reads its CPU
// and memory from /proc; -url targets a running server on 127.0.0.1
// instead (-pid names its process for /proc). -profile PREFIX builds a
// pprof-enabled variant and saves the server's CPU (or heap) profile.
//
// Every loop is bounded by a count and by time, and only 127.0.0.1 is
// ever contacted. The load generator owns no server code: it speaks the
// wire protocol of parley/net/proto.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"
)

type options struct {
	mode      string
	url       string
	pids      string
	members   int
	rate      float64
	pubs      int
	size      int
	warmup    time.Duration
	duration  time.Duration
	drain     time.Duration
	conns     int
	settle    time.Duration
	senders   int
	window    int
	sync      string
	queue     int
	workers   int
	readBuf   int
	profile   string
	json      bool
	serverEnv string
}

func parseOptions(args []string) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.StringVar(&o.mode, "mode", "fanout", "fanout, idle, durable or floor")
	fs.StringVar(&o.url, "url", "", "an external server, ws://127.0.0.1:PORT/v1/ws, or the nodes of a cluster, comma-separated (the connections are spread over them) (default: build and start one)")
	fs.StringVar(&o.pids, "pid", "", "with -url: the server's process id (a cluster: its nodes', comma-separated), for CPU and RSS from /proc")
	fs.IntVar(&o.members, "members", 100, "fanout: members of the group, all connected")
	fs.Float64Var(&o.rate, "rate", 1000, "fanout: messages per second, all publishers together")
	fs.IntVar(&o.pubs, "pubs", 8, "fanout: publishing members")
	fs.IntVar(&o.size, "size", 100, "bytes of text per message")
	fs.DurationVar(&o.warmup, "warmup", 2*time.Second, "load before the measured window")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "measured window")
	fs.DurationVar(&o.drain, "drain", 15*time.Second, "at most this long for the last acks and deliveries")
	fs.IntVar(&o.conns, "conns", 1000, "idle: connections")
	fs.DurationVar(&o.settle, "settle", 5*time.Second, "idle: wait before each RSS sample")
	fs.IntVar(&o.senders, "senders", 200, "durable: sending connections")
	fs.IntVar(&o.window, "window", 1, "durable: sends in flight per connection")
	fs.StringVar(&o.sync, "sync", "full", "started server's durability: full or normal")
	fs.IntVar(&o.queue, "queue", 0, "started server's per-connection queue (0: its default)")
	fs.IntVar(&o.workers, "workers", 32, "connections used in parallel for setup")
	fs.IntVar(&o.readBuf, "readbuf", 16<<10, "fanout: read buffer per member connection")
	fs.StringVar(&o.profile, "profile", "", "save the server's profile to PREFIX.cpu.pprof (idle: PREFIX.heap.pprof); builds a pprof-enabled server")
	fs.BoolVar(&o.json, "json", false, "also print the report as one JSON line")
	fs.StringVar(&o.serverEnv, "server-env", "", "comma-separated NAME=VALUE for the started server, e.g. GOGC=50")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	bound := func(name string, v, lo, hi int) error {
		if v < lo || v > hi {
			return fmt.Errorf("-%s %d: want %d to %d", name, v, lo, hi)
		}
		return nil
	}
	errs := []error{
		bound("members", o.members, 2, 20000),
		bound("pubs", o.pubs, 1, o.members),
		bound("size", o.size, 40, 16<<10),
		bound("conns", o.conns, 1, 19000),
		bound("senders", o.senders, 1, 10000),
		bound("window", o.window, 1, 64),
		bound("workers", o.workers, 1, 256),
		bound("readbuf", o.readBuf, 512, 1<<20),
	}
	if o.rate <= 0 || o.rate > 1e6 {
		errs = append(errs, fmt.Errorf("-rate %g: want more than 0 and at most 1e6", o.rate))
	}
	if o.duration < time.Second || o.duration+o.warmup > 30*time.Minute {
		errs = append(errs, errors.New("-duration: at least 1s, and with -warmup at most 30m"))
	}
	if o.sync != "full" && o.sync != "normal" {
		errs = append(errs, fmt.Errorf("-sync %q: want full or normal", o.sync))
	}
	switch o.mode {
	case "fanout", "idle", "durable", "floor":
	default:
		errs = append(errs, fmt.Errorf("-mode %q: want fanout, idle, durable or floor", o.mode))
	}
	return o, errors.Join(errs...)
}

func main() {
	if os.Getenv(floorServeEnv) != "" {
		if err := floorServeMain(os.Args[1:]); err != nil {
			fmt.Fprintln(os.Stderr, "loadgen:", err)
			os.Exit(1)
		}
		return
	}
	o, err := parseOptions(os.Args[1:])
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "loadgen:", err)
		}
		os.Exit(2)
	}
	rep, err := run(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
	rep.Machine = machine()
	rep.Args = "go run ./server/loadgen " + strings.Join(os.Args[1:], " ")
	rep.print(os.Stdout)
	if o.json {
		rep.writeJSON(os.Stdout)
	}
	if !rep.ok() {
		fmt.Fprintln(os.Stderr, "loadgen: FAILED: messages were missing, duplicated, refused or cut off")
		os.Exit(1)
	}
}

func run(o *options) (*report, error) {
	// Setup of 10k users takes a minute or two on two shared cores.
	budget := 10*time.Minute + o.warmup + o.duration + 2*o.drain + 2*o.settle
	ctx, cancel := context.WithTimeout(context.Background(), budget)
	defer cancel()
	if o.mode == "floor" {
		return runFloor(ctx, o)
	}
	var t *target
	var err error
	if o.url != "" {
		t, err = parseTargets(o.url, o.pids)
	} else {
		so := serverOptions{sync: o.sync, queue: o.queue, profile: o.profile != ""}
		if o.serverEnv != "" {
			so.env = strings.Split(o.serverEnv, ",")
		}
		t, err = startServer(ctx, so)
	}
	if err != nil {
		return nil, err
	}
	defer t.close()
	switch o.mode {
	case "idle":
		return runIdle(ctx, o, t)
	case "durable":
		return runDurable(ctx, o, t)
	default:
		return runFanout(ctx, o, t)
	}
}
