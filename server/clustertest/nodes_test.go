//go:build linux

package clustertest

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"parley/net/proto"
	"parley/server/internal/servicetest"
)

// readyTimeout bounds a node's start: a guard against hangs, not a
// timing assertion.
const readyTimeout = 60 * time.Second

// cluster is three server processes on one PostgreSQL, one NATS and one
// S3 bucket (versitygw).
type cluster struct {
	t     *testing.T
	bin   string // the server binary
	dsn   string
	bus   *servicetest.NATSServer
	nats  string
	s3    string   // -s3's bucket URL
	s3env []string // the bucket's keys, in the nodes' environment
	nodes []*node
}

// node is one server process. Its port and data folder stay the same
// across restarts.
type node struct {
	i    int
	port int
	url  string // ws://127.0.0.1:port/v1/ws
	data string
	log  string

	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has exited
	// started is when cmd started; killed when kill last killed it.
	started, killed time.Time
}

// startCluster starts PostgreSQL, NATS and an S3 server, builds the
// server binary once and starts n nodes on them, their files in the
// bucket.
func startCluster(t *testing.T, n int) *cluster {
	t.Helper()
	c := &cluster{t: t, dsn: servicetest.PostgreSQL(t), bus: servicetest.StartNATS(t)}
	c.nats = c.bus.URL
	endpoint, access, secret, bucket := servicetest.S3(t)
	c.s3 = "http://" + endpoint + "/" + bucket
	c.s3env = []string{"PARLEY_S3_ACCESS_KEY=" + access, "PARLEY_S3_SECRET_KEY=" + secret}
	c.bin = buildServer(t)
	for i := range n {
		nd := &node{i: i, data: filepath.Join(t.TempDir(), "data")}
		nd.log = filepath.Join(filepath.Dir(nd.data), "node.log")
		c.nodes = append(c.nodes, nd)
		c.startOnFreePort(nd)
	}
	t.Cleanup(func() {
		for _, nd := range c.nodes {
			nd.stop(t)
			if t.Failed() {
				t.Logf("the end of node %d's log:\n%s", nd.i, nd.logTail())
			}
		}
	})
	return c
}

// idleTimeout bounds how long a node's session may stay idle inside a
// transaction (PostgreSQL's idle_in_transaction_session_timeout, which
// the nodes set to 5 s by themselves, storage/pgdriver.go): a node frozen
// inside a transaction (the pause test) holds the commit clock's row
// lock, and the others' writes wait until PostgreSQL ends its session.
// The test's pause is longer than this; the nodes get it in their -db
// address, which takes precedence.
const idleTimeout = "1000"

// buildServer builds parley/server into a temporary folder, once per test.
func buildServer(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "parley-server")
	start := time.Now()
	// The go command of the toolchain that built this test.
	goCmd := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goCmd); err != nil {
		goCmd = "go"
	}
	cmd := exec.Command(goCmd, "build", "-o", bin, "parley/server")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build parley/server: %v\n%s", err, out)
	}
	t.Logf("built the server in %v", time.Since(start).Round(time.Millisecond))
	return bin
}

// startOnFreePort starts nd on a port nothing listened on a moment ago,
// trying another (up to three) if another process took it meanwhile.
func (c *cluster) startOnFreePort(nd *node) {
	c.t.Helper()
	var err error
	for range 3 {
		l, lerr := net.Listen("tcp", "127.0.0.1:0")
		if lerr != nil {
			c.t.Fatal(lerr)
		}
		nd.port = l.Addr().(*net.TCPAddr).Port
		l.Close()
		nd.url = fmt.Sprintf("ws://127.0.0.1:%d%s", nd.port, proto.WSPath)
		if err = c.start(nd); err == nil || !strings.Contains(err.Error(), "address already in use") {
			break
		}
	}
	if err != nil {
		c.t.Fatal(err)
	}
}

// start runs nd's process and waits until it answers /readyz. A node
// listens only after it has joined the cluster (node.New connects to
// NATS first), so a ready node is on the bus.
func (c *cluster) start(nd *node) error {
	logFile, err := os.OpenFile(nd.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logFile.Close()
	nd.cmd = exec.Command(c.bin,
		"-addr", fmt.Sprintf("127.0.0.1:%d", nd.port), "-data", nd.data,
		"-db", c.dsn+"&idle_in_transaction_session_timeout="+idleTimeout, "-nats", c.nats, "-udp", "off",
		"-s3", c.s3,
		// Fast password hashing, and no limits on the test's many
		// registrations, joins and connections from one address.
		"-argon2", "m=64,t=1,p=1", "-register-limit", "off",
		"-join-limit", "off", "-join-addr-limit", "off", "-max-conns-per-addr", "off")
	nd.cmd.Env = append(os.Environ(), c.s3env...)
	nd.cmd.Stdout, nd.cmd.Stderr = logFile, logFile
	// The node dies with the test process, even one killed by its timeout.
	nd.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	nd.started = time.Now()
	if err := nd.cmd.Start(); err != nil {
		return fmt.Errorf("start node %d: %w", nd.i, err)
	}
	exited := make(chan struct{})
	nd.exited = exited
	go func(cmd *exec.Cmd) {
		cmd.Wait()
		close(exited)
	}(nd.cmd)
	ready := fmt.Sprintf("http://127.0.0.1:%d/readyz", nd.port)
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(readyTimeout)
	for {
		resp, err := client.Get(ready)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-exited:
			return fmt.Errorf("node %d exited before it answered on port %d: %v; its log:\n%s", nd.i, nd.port, nd.cmd.ProcessState, nd.logTail())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			nd.cmd.Process.Kill()
			return fmt.Errorf("node %d did not answer %s within %v; its log:\n%s", nd.i, ready, readyTimeout, nd.logTail())
		}
	}
}

// restart starts a node that was killed, on its port and data folder.
func (c *cluster) restart(nd *node) {
	c.t.Helper()
	if err := c.start(nd); err != nil {
		c.t.Fatal(err)
	}
}

// restartGracefully stops nd (SIGTERM) and starts it again.
func (c *cluster) restartGracefully(nd *node) {
	c.t.Helper()
	nd.stop(c.t)
	c.restart(nd)
}

// outlived says whether a node other than nd was killed since nd
// started: nd may still count it among its peers (for 3 heartbeats).
func (c *cluster) outlived(nd *node) bool {
	for _, o := range c.nodes {
		if o != nd && o.killed.After(nd.started) {
			return true
		}
	}
	return false
}

// peers is how many other nodes nd takes for live (its
// parley_cluster_peers gauge: those it has heard heartbeats from).
func (nd *node) peers(ctx context.Context, t *testing.T) int {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, nd.httpURL()+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	// A connection of its own: nd may have been restarted since the last.
	resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
	if err != nil {
		t.Fatalf("metrics of node %d: %v", nd.i, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("metrics of node %d: %v", nd.i, err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "parley_cluster_peers "); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				t.Fatalf("metrics of node %d: %q", nd.i, l)
			}
			return n
		}
	}
	t.Fatalf("no parley_cluster_peers in node %d's metrics", nd.i)
	return 0
}

// kill kills nd with SIGKILL (kill -9) and waits until it is gone.
func (nd *node) kill(t *testing.T) {
	t.Helper()
	if err := nd.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("kill -9 node %d: %v", nd.i, err)
	}
	<-nd.exited
	nd.killed = time.Now()
}

// signal sends sig (SIGSTOP, SIGCONT) to nd.
func (nd *node) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := nd.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("%v to node %d: %v", sig, nd.i, err)
	}
}

// stop ends nd at the end of the test: resumed if paused, then SIGTERM,
// then SIGKILL after 10 s.
func (nd *node) stop(t *testing.T) {
	if nd.cmd == nil {
		return
	}
	select {
	case <-nd.exited:
		return
	default:
	}
	nd.cmd.Process.Signal(syscall.SIGCONT)
	nd.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-nd.exited:
	case <-time.After(10 * time.Second):
		nd.cmd.Process.Kill()
		<-nd.exited
		t.Errorf("node %d did not stop within 10 s of SIGTERM; its log:\n%s", nd.i, nd.logTail())
	}
}

// logTail is the end of nd's log, for failures.
func (nd *node) logTail() string {
	b, err := os.ReadFile(nd.log)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	const max = 4000
	if len(b) > max {
		b = append([]byte("…"), b[len(b)-max:]...)
	}
	return string(b)
}

// httpURL is nd's HTTP address, where its file endpoints are.
func (nd *node) httpURL() string { return fmt.Sprintf("http://127.0.0.1:%d", nd.port) }

// urls are the nodes' WebSocket URLs, in node order: a multi-URL client's
// list.
func (c *cluster) urls() []string {
	var out []string
	for _, nd := range c.nodes {
		out = append(out, nd.url)
	}
	return out
}

// itoa is strconv.Itoa, short for names.
func itoa(i int) string { return strconv.Itoa(i) }

// testContext is a context bounded by the test's deadline (or 2 minutes):
// a guard against hangs.
func testContext(t *testing.T) context.Context {
	deadline, ok := t.Deadline()
	if !ok {
		deadline = time.Now().Add(2 * time.Minute)
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline.Add(-5*time.Second))
	t.Cleanup(cancel)
	return ctx
}
