// Command pprofserver is the Parley server with net/http/pprof mounted at
// /debug/pprof/, for `go run ./server/loadgen -profile ...` only. It runs
// the same node as parley/server with the subset of flags the load
// generator passes; it is never deployed (the real binary has no pprof
// endpoint).
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"runtime/metrics"
	"strings"
	"syscall"

	"parley/server/hub"
	"parley/server/node"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "pprofserver:", err)
		os.Exit(1)
	}
}

func run() error {
	var addr, data, argon2, sync, regLimit, maxConns, loginTimeout string
	var queue int
	flag.StringVar(&addr, "addr", "127.0.0.1:0", "listen address")
	flag.StringVar(&data, "data", "", "data folder")
	flag.StringVar(&argon2, "argon2", "m=64,t=1,p=1", "password hashing cost")
	flag.StringVar(&sync, "sync", "full", "full or normal")
	flag.StringVar(&regLimit, "register-limit", "off", "only off is supported")
	flag.IntVar(&queue, "queue", 0, "per-connection queue length")
	flag.StringVar(&maxConns, "max-conns-per-addr", "off", "only off is supported")
	flag.StringVar(&loginTimeout, "login-timeout", "off", "only off is supported")
	flag.Parse()
	if regLimit != "off" {
		return fmt.Errorf("-register-limit: only off is supported")
	}
	if maxConns != "off" || loginTimeout != "off" {
		return fmt.Errorf("-max-conns-per-addr, -login-timeout: only off is supported")
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	cfg := node.Config{DataDir: data, Logger: log, QueueLen: queue, Synchronous: strings.ToUpper(sync), RegisterLimit: hub.Limit{Burst: -1}, MaxConnsPerAddr: -1, LoginTimeout: -1}
	if _, err := fmt.Sscanf(argon2, "m=%d,t=%d,p=%d", &cfg.Argon2.Memory, &cfg.Argon2.Time, &cfg.Argon2.Threads); err != nil {
		return fmt.Errorf("-argon2: %w", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	n, err := node.New(ctx, cfg)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("/debug/memory", memory)
	mux.Handle("/", n.Handler())
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{Handler: mux}
	log.Info("listening", "addr", ln.Addr().String())
	go srv.Serve(ln)
	<-ctx.Done()
	srv.Close()
	return n.Shutdown(context.Background())
}

// memory writes the runtime's memory classes (where the RSS goes: heap
// objects, heap free, stacks, ...) and the goroutine count, one per line.
func memory(w http.ResponseWriter, r *http.Request) {
	var samples []metrics.Sample
	for _, d := range metrics.All() {
		if strings.HasPrefix(d.Name, "/memory/classes/") || d.Name == "/sched/goroutines:goroutines" || d.Name == "/gc/stack/starting-size:bytes" {
			samples = append(samples, metrics.Sample{Name: d.Name})
		}
	}
	metrics.Read(samples)
	for _, s := range samples {
		if s.Value.Kind() == metrics.KindUint64 {
			fmt.Fprintf(w, "%s %d\n", s.Name, s.Value.Uint64())
		}
	}
}
