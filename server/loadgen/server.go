package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"parley/net/proto"
)

// target is the server under load: its WebSocket address and, when known,
// its process id for /proc.
type target struct {
	addr string // 127.0.0.1:port
	pid  string // "" when the server is external and no -pid was given
	http string // http://127.0.0.1:port
	// A cluster (-url with several addresses): every node's address
	// (addrs[0] is addr) and process ids (pids[0] is pid). The load's
	// connections are spread over the nodes in turn; the CPU and memory
	// measured are the nodes' sums.
	addrs, pids []string

	proc *serverProc // nil for an external server
}

// parseTargets checks external server URLs, comma-separated (the nodes
// of a cluster), with their process ids (pids, comma-separated, or "").
func parseTargets(raws, pids string) (*target, error) {
	var t *target
	ps := strings.Split(pids, ",")
	for i, raw := range strings.Split(raws, ",") {
		pid := 0
		if i < len(ps) && ps[i] != "" {
			if _, err := fmt.Sscan(ps[i], &pid); err != nil {
				return nil, fmt.Errorf("-pid: %q is not a process id", ps[i])
			}
		}
		n, err := parseTarget(strings.TrimSpace(raw), pid)
		if err != nil {
			return nil, err
		}
		if t == nil {
			t = n
		}
		t.addrs, t.pids = append(t.addrs, n.addr), append(t.pids, n.pid)
	}
	return t, nil
}

// addrFor is the node connection i goes to.
func (t *target) addrFor(i int) string {
	if len(t.addrs) == 0 {
		return t.addr
	}
	return t.addrs[i%len(t.addrs)]
}

// parseTarget checks an external server URL: loopback only.
func parseTarget(raw string, pid int) (*target, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("-url: %w", err)
	}
	if u.Scheme != "ws" {
		return nil, fmt.Errorf("-url: want ws://127.0.0.1:port%s, not %q", proto.WSPath, raw)
	}
	if u.Hostname() != "127.0.0.1" || u.Port() == "" {
		return nil, fmt.Errorf("-url: the load generator only targets 127.0.0.1:port, not %q", u.Host)
	}
	t := &target{addr: u.Host, http: "http://" + u.Host}
	if pid > 0 {
		t.pid = strconv.Itoa(pid)
	}
	return t, nil
}

// serverProc is a server the load generator built and started.
type serverProc struct {
	cmd  *exec.Cmd
	dir  string
	done chan struct{}

	mu   sync.Mutex
	tail []string // last lines of its log
}

// serverOptions configure a server started by the load generator.
type serverOptions struct {
	sync    string // full or normal
	queue   int    // 0: the server's default
	profile bool   // build the pprof-enabled variant
	env     []string
}

// startServer builds the server into a temporary folder, starts it on a
// free loopback port with a fresh data folder and cheap password hashing,
// and waits for its "listening" log line.
func startServer(ctx context.Context, o serverOptions) (*target, error) {
	dir, err := os.MkdirTemp("", "parley-loadgen-")
	if err != nil {
		return nil, fmt.Errorf("temporary folder: %w", err)
	}
	bin := filepath.Join(dir, "parley-server")
	pkg := "parley/server"
	if o.profile {
		pkg = "parley/server/loadgen/pprofserver"
	}
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, pkg)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("build %s: %w", pkg, err)
	}
	args := []string{
		"-addr", "127.0.0.1:0", "-data", filepath.Join(dir, "data"),
		"-argon2", "m=64,t=1,p=1", "-register-limit", "off", "-sync", o.sync,
		// Thousands of connections from one address, some unauthenticated
		// for as long as registering every user takes.
		"-max-conns-per-addr", "off", "-login-timeout", "off",
	}
	if o.queue > 0 {
		args = append(args, "-queue", strconv.Itoa(o.queue))
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), o.env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start server: %w", err)
	}
	p := &serverProc{cmd: cmd, dir: dir, done: make(chan struct{})}
	addrc := make(chan string, 1)
	go p.readLog(stderr, addrc)
	go func() { cmd.Wait(); close(p.done) }()
	select {
	case addr := <-addrc:
		return &target{addr: addr, http: "http://" + addr, pid: strconv.Itoa(cmd.Process.Pid), proc: p}, nil
	case <-p.done:
		err = fmt.Errorf("server exited before listening: %s", p.lastLines())
	case <-time.After(60 * time.Second):
		err = errors.New("server did not report its address within 60 s")
	case <-ctx.Done():
		err = ctx.Err()
	}
	p.stop()
	return nil, err
}

// readLog follows the server's JSON log: it reports the listening address
// and echoes warnings and errors.
func (p *serverProc) readLog(r io.Reader, addrc chan<- string) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		var rec struct{ Level, Msg, Addr string }
		if json.Unmarshal([]byte(line), &rec) != nil {
			rec.Level = "ERROR" // not a log record: a panic, or the runtime's last words
		}
		if rec.Msg == "listening" && rec.Addr != "" {
			select {
			case addrc <- rec.Addr:
			default:
			}
		}
		if rec.Level == "WARN" || rec.Level == "ERROR" {
			fmt.Fprintln(os.Stderr, "server:", line)
		}
		p.mu.Lock()
		p.tail = append(p.tail, line)
		if len(p.tail) > 20 {
			p.tail = p.tail[1:]
		}
		p.mu.Unlock()
	}
}

func (p *serverProc) lastLines() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.tail, "\n")
}

// stop asks the server to shut down, kills it if it has not within 20 s,
// and removes its folder.
func (p *serverProc) stop() {
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
	os.RemoveAll(p.dir)
}

// close stops the server if the load generator started it.
func (t *target) close() {
	if t.proc != nil {
		t.proc.stop()
	}
}

// fetchProfile saves the server's pprof profile (path like
// "/debug/pprof/profile?seconds=10") to file.
func (t *target) fetchProfile(ctx context.Context, path, file string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.http+path, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("fetch profile: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("fetch profile: %s (is the server built with -profile?)", resp.Status)
	}
	f, err := os.Create(file)
	if err != nil {
		return fmt.Errorf("save profile: %w", err)
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return fmt.Errorf("save profile: %w", err)
	}
	return f.Close()
}

// sample reads the server's /proc entry, if it has one; for a cluster,
// the sum over its nodes (all of whose pids must be known).
func (t *target) sample() (procSample, bool) {
	pids := t.pids
	if len(pids) == 0 {
		pids = []string{t.pid}
	}
	var sum procSample
	for _, pid := range pids {
		if pid == "" {
			return procSample{}, false
		}
		s, err := readProc(pid)
		if err != nil {
			fmt.Fprintln(os.Stderr, "loadgen: server /proc:", err)
			return s, false
		}
		sum.at = s.at
		sum.cpu += s.cpu
		sum.rss += s.rss
		sum.wait += s.wait
	}
	return sum, true
}
