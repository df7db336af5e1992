package e2e

import (
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"parley/net/proto"
	"parley/server/files/blobstore"
	"parley/server/internal/servicetest"
	"parley/server/node"
	"parley/server/node/nodetest"
)

// clusterRun: with PARLEY_E2E_CLUSTER=1 in the environment (make test
// runs the package once without, once with it) every test runs against
// a cluster of three in-process nodes on one PostgreSQL database, one
// NATS server and one S3 bucket, behind a round-robin forwarder, instead
// of one node on SQLite; TestAcknowledgedMessagesSurviveKill9 runs three
// server processes on PostgreSQL and NATS.
var clusterRun = os.Getenv("PARLEY_E2E_CLUSTER") == "1"

// clusterNodes is how many nodes a cluster run starts.
const clusterNodes = 3

// server is what a test talks to: one node, or the nodes of a cluster
// behind a forwarder that sends each new connection to the next node.
type server struct {
	URL     string // ws://127.0.0.1:port/v1/ws
	HTTPURL string // http://127.0.0.1:port
	nodes   []*nodetest.Server
	bucket  *blobstore.Config // the cluster's files; nil: nodes[0]'s data folder
}

// start runs an in-process server, or, in a cluster run, three nodes;
// opts apply to every node.
func start(t testing.TB, opts ...nodetest.Option) *server {
	t.Helper()
	if !clusterRun {
		n := nodetest.Start(t, opts...)
		return &server{URL: n.URL, HTTPURL: n.HTTPURL, nodes: []*nodetest.Server{n}}
	}
	dsn, nats := clusterDatabase(t), servicetest.NATS(t)
	endpoint, access, secret, bucket := servicetest.S3(t)
	s := &server{bucket: &blobstore.Config{Endpoint: endpoint, Bucket: bucket, AccessKey: access, SecretKey: secret}}
	var addrs []string
	for i := range clusterNodes {
		b := *s.bucket
		n := nodetest.Start(t, append(opts, nodetest.WithConfig(func(c *node.Config) {
			c.DB, c.NATS, c.NodeID, c.S3 = dsn, nats, fmt.Sprint("node-", i+1), &b
		}))...)
		s.nodes = append(s.nodes, n)
		addrs = append(addrs, n.Addr)
	}
	f := forward(t, addrs...)
	s.URL, s.HTTPURL = "ws://"+f.addr()+proto.WSPath, "http://"+f.addr()
	return s
}

// The tests of a cluster run share one PostgreSQL server, each with a
// database of its own: initdb was 40% of the run's time with a server per
// test. The server starts with the first test that needs it and stops
// when the test process ends (TestMain; servicetest's processes die with
// the test process anyway).
var (
	pgOnce      sync.Once
	pgDSN       string
	pgDatabases atomic.Int64

	processMu       sync.Mutex
	processCleanups []func()
)

func TestMain(m *testing.M) {
	code := m.Run()
	processMu.Lock()
	for i := len(processCleanups) - 1; i >= 0; i-- {
		processCleanups[i]()
	}
	processMu.Unlock()
	os.Exit(code)
}

// processTB is a test's testing.TB for starting what the test process
// shares: its cleanups wait for the end of the process (TestMain), and
// its temporary directories live as long.
type processTB struct{ testing.TB }

func (p processTB) Cleanup(f func()) {
	processMu.Lock()
	processCleanups = append(processCleanups, f)
	processMu.Unlock()
}

func (p processTB) TempDir() string {
	p.Helper()
	dir, err := os.MkdirTemp("", "parley-e2e-")
	if err != nil {
		p.Fatal(err)
	}
	p.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// clusterDatabase returns the address of a new, empty database on the
// shared PostgreSQL server.
func clusterDatabase(t testing.TB) string {
	t.Helper()
	pgOnce.Do(func() { pgDSN = servicetest.PostgreSQL(processTB{t}) })
	if pgDSN == "" {
		t.Fatal("no PostgreSQL server: the test that started it failed to")
	}
	ctx := testCtx(t)
	admin, err := pgx.Connect(ctx, pgDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	name := fmt.Sprint("e2e_", pgDatabases.Add(1))
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	cfg, err := pgx.ParseConfig(pgDSN)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=disable", cfg.User, cfg.Host, cfg.Port, name)
}

// Restart restarts the server: every node of a cluster is stopped before
// any starts again, as a whole cluster restarting would, so that no
// client reconnects to a node that is about to stop. Each node keeps its
// address, so the forwarder finds them again.
func (s *server) Restart(t testing.TB) {
	t.Helper()
	for _, n := range s.nodes {
		n.Stop()
	}
	for _, n := range s.nodes {
		n.Restart(t)
	}
}

// blobs counts the finished files the server holds: in the node's data
// folder, or in the cluster's bucket.
func (s *server) blobs(t testing.TB) int {
	t.Helper()
	n := 0
	if s.bucket == nil {
		filepath.WalkDir(filepath.Join(s.nodes[0].Dir, "files", "blobs"), func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				n++
			}
			return nil
		})
		return n
	}
	c, err := minio.New(s.bucket.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(s.bucket.AccessKey, s.bucket.SecretKey, "")})
	if err != nil {
		t.Fatal(err)
	}
	for o := range c.ListObjects(testCtx(t), s.bucket.Bucket, minio.ListObjectsOptions{Prefix: "blobs/", Recursive: true}) {
		if o.Err != nil {
			t.Fatalf("list the bucket's blobs: %v", o.Err)
		}
		n++
	}
	return n
}

// httpClient opens a connection per request, so that in a cluster run
// the file requests of a test go to every node in turn.
var httpClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

// forwarder is a round-robin TCP forwarder on 127.0.0.1, as nginx is in
// front of make cluster's nodes: each new connection goes to the next
// backend, or to the one after if that one refuses (a node restarting).
type forwarder struct {
	ln       net.Listener
	backends []string
	next     atomic.Uint64
	wg       sync.WaitGroup
	mu       sync.Mutex
	closed   bool
	open     map[net.Conn]bool
}

// forward starts a forwarder to backends (host:port), closed when the
// test ends with every connection through it.
func forward(t testing.TB, backends ...string) *forwarder {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &forwarder{ln: ln, backends: backends, open: map[net.Conn]bool{}}
	f.wg.Add(1)
	go f.serve()
	t.Cleanup(f.close)
	return f
}

func (f *forwarder) addr() string { return f.ln.Addr().String() }

func (f *forwarder) serve() {
	defer f.wg.Done()
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return // closed
		}
		if !f.track(c) {
			return
		}
		f.wg.Add(1)
		go f.pipe(c)
	}
}

// track notes c as open, or closes it if the forwarder is closed.
func (f *forwarder) track(c net.Conn) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		c.Close()
		return false
	}
	f.open[c] = true
	return true
}

func (f *forwarder) untrack(cs ...net.Conn) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range cs {
		c.Close()
		delete(f.open, c)
	}
}

// pipe connects c to a backend and copies both ways until either side
// closes; with no backend answering, c is closed.
func (f *forwarder) pipe(c net.Conn) {
	defer f.wg.Done()
	first := f.next.Add(1) - 1
	var up net.Conn
	for i := range uint64(len(f.backends)) {
		var err error
		if up, err = net.Dial("tcp", f.backends[(first+i)%uint64(len(f.backends))]); err == nil {
			break
		}
	}
	if up == nil || !f.track(up) {
		f.untrack(c)
		return
	}
	done := make(chan struct{}, 2)
	copyTo := func(dst, src net.Conn) {
		io.Copy(dst, src)
		done <- struct{}{}
	}
	go copyTo(up, c)
	go copyTo(c, up)
	<-done
	f.untrack(c, up) // ends the other copy
	<-done
}

// close stops accepting, closes every connection through the forwarder
// and waits for its goroutines.
func (f *forwarder) close() {
	f.mu.Lock()
	f.closed = true
	f.ln.Close()
	for c := range f.open {
		c.Close()
	}
	f.mu.Unlock()
	f.wg.Wait()
}

// The forwarder itself: connections go to the backends in turn, skip one
// that refuses, carry bytes both ways, and end with either side.
func TestTheForwarderSpreadsConnectionsInTurn(t *testing.T) {
	var (
		mu  sync.Mutex
		hit []string
	)
	backend := func(name string) string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				mu.Lock()
				hit = append(hit, name)
				mu.Unlock()
				go func() {
					defer c.Close()
					buf := make([]byte, 64)
					n, _ := c.Read(buf)
					fmt.Fprintf(c, "%s:%s", name, buf[:n])
				}()
			}
		}()
		return ln.Addr().String()
	}
	refusing, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := refusing.Addr().String()
	refusing.Close()
	f := forward(t, backend("a"), down, backend("c"))

	var got []string
	for i := range 4 {
		c, err := net.Dial("tcp", f.addr())
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprint(c, i)
		b, err := io.ReadAll(c) // the backend closes: so does the forwarder
		c.Close()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(b))
	}
	// The second connection's backend refuses: it goes to the third; the
	// third connection starts at the third backend.
	want := []string{"a:0", "c:1", "c:2", "a:3"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("answers %v, want %v", got, want)
	}
	mu.Lock()
	defer mu.Unlock()
	if fmt.Sprint(hit) != "[a c c a]" {
		t.Fatalf("backends reached %v", hit)
	}
}

// In a cluster run the devices of a test are on different nodes: the
// forwarder sends consecutive connections to the nodes in turn, so three
// devices of one person are on the three nodes, and each node counts her
// online (parley_users_online, what an operator reads on /metrics). In a
// single-node run the one node counts her once.
func TestConnectionsSpreadOverTheNodes(t *testing.T) {
	s := start(t)
	ann := register(t, s.URL, "Ann")
	for range clusterNodes {
		login(t, s.URL, ann)
	}
	for i, n := range s.nodes {
		if got := n.Metric(t, "parley_users_online"); got != 1 {
			t.Errorf("node %d of %d counts %v users online, want 1", i+1, len(s.nodes), got)
		}
	}
}
