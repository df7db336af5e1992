// Package nodetest starts a real Parley server in-process for tests: a
// node on a temporary data folder behind an httptest server on 127.0.0.1,
// with cheap password hashing so tests stay fast.
package nodetest

import (
	"context"
	"log/slog"
	"net"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"parley/net/proto"
	"parley/server/auth"
	"parley/server/hub"
	"parley/server/node"
)

// Server is a running test server.
type Server struct {
	URL     string // ws://127.0.0.1:port/v1/ws
	HTTPURL string // http://127.0.0.1:port
	Addr    string // 127.0.0.1:port
	Dir     string // the data folder
	Node    *node.Node

	cfg node.Config
	hs  *httptest.Server
}

// Option changes the node's configuration.
type Option func(*node.Config)

// WithConfig lets a test set any node option.
func WithConfig(f func(*node.Config)) Option { return Option(f) }

// FastHash is the test hashing cost: correct argon2id, tiny memory.
var FastHash = auth.Params{Memory: 64, Time: 1, Threads: 1}

// Start starts a server that stops when the test ends. Registration and
// joining groups are not rate-limited (tests register many users and join
// many groups from one address); login limits are the production ones.
// Groups created without a join policy are open (tests join groups by ID;
// production's default is ask): a test of the defaults sets
// DefaultPolicy and the join limits back with WithConfig. Direct
// conversations between people who share no group are not first-contact
// requests (tests open them between strangers): a test of requests sets
// NoRequests back to false.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	cfg := node.Config{
		DataDir:       t.TempDir(),
		Argon2:        FastHash,
		Synchronous:   "NORMAL",
		RegisterLimit: hub.Limit{Burst: -1},
		JoinUserLimit: hub.Limit{Burst: -1},
		JoinAddrLimit: hub.Limit{Burst: -1},
		DefaultPolicy: proto.PolicyOpen,
		NoRequests:    true,
		Logger:        slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
	for _, o := range opts {
		o(&cfg)
	}
	s := &Server{cfg: cfg, Dir: cfg.DataDir}
	s.start(t, "127.0.0.1:0")
	t.Cleanup(s.Stop)
	return s
}

func (s *Server) start(t testing.TB, addr string) {
	t.Helper()
	n, err := node.New(context.Background(), s.cfg)
	if err != nil {
		t.Fatalf("start node: %v", err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		n.Shutdown(context.Background())
		t.Fatalf("listen on %s: %v", addr, err)
	}
	hs := httptest.NewUnstartedServer(n.Handler())
	hs.Listener.Close()
	hs.Listener = ln
	hs.Start()
	s.Node, s.hs = n, hs
	s.Addr = ln.Addr().String()
	s.HTTPURL = hs.URL
	s.URL = "ws://" + strings.TrimPrefix(hs.URL, "http://") + proto.WSPath
}

// Stop stops the server (idempotent): connections are closed and the
// database is closed cleanly.
func (s *Server) Stop() {
	if s.hs == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s.hs.Listener.Close()
	s.Node.Shutdown(ctx)
	s.hs.CloseClientConnections()
	s.hs.Close()
	s.hs = nil
}

// Restart stops the server and starts a new node on the same data folder
// and the same address, as a server restart would.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.Stop()
	s.start(t, s.Addr)
}

// Metric returns the value of one sample line of the server's /metrics,
// e.g. `parley_requests_total{type="logout"}`; 0 if absent.
func (s *Server) Metric(t testing.TB, name string) float64 {
	t.Helper()
	rec := httptest.NewRecorder()
	s.Node.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for line := range strings.Lines(rec.Body.String()) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("metric %s: %v", name, err)
			}
			return f
		}
	}
	return 0
}
