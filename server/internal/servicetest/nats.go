//go:build linux

package servicetest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// NATS starts a private NATS server for t, with JetStream enabled (its
// store in t's temporary directory), and returns its URL
// (nats://127.0.0.1:port, no authentication).
func NATS(t testing.TB) (url string) {
	t.Helper()
	return StartNATS(t).URL
}

// NATSServer is a test's NATS server, which the test may stop (an
// outage) and start again on the same address.
type NATSServer struct {
	URL    string
	t      testing.TB
	port   int
	p      *process
	launch func(port int) (*process, error)
	ready  func(port int) error
}

// Stop stops the server (as an outage: clients see it go).
func (s *NATSServer) Stop() {
	s.t.Helper()
	if err := s.p.stop(syscall.SIGKILL, stopTimeout); err != nil {
		s.t.Fatalf("servicetest: %v", err)
	}
}

// Start starts the stopped server again on its address.
func (s *NATSServer) Start() {
	s.t.Helper()
	p, err := s.launch(s.port)
	if err != nil {
		s.t.Fatalf("servicetest: %v", err)
	}
	if err := p.waitReady(func() error { return s.ready(s.port) }); err != nil {
		s.t.Fatalf("servicetest: NATS again on port %d: %v", s.port, err)
	}
	s.p = p
	s.t.Cleanup(func() { p.stop(os.Interrupt, stopTimeout) })
}

// StartNATS is NATS that returns the server, to stop and start.
func StartNATS(t testing.TB) *NATSServer {
	t.Helper()
	s := ensureBuilt(t)
	dir := t.TempDir()
	urlFor := func(port int) string { return fmt.Sprintf("nats://127.0.0.1:%d", port) }
	// The server's name is its directory, so the ready check knows it
	// reached this one.
	name := "parley-test-" + filepath.Base(filepath.Dir(dir)) + "-" + filepath.Base(dir)
	launch := func(port int) (*process, error) {
		return startProcess("nats-server", filepath.Join(dir, "nats-server.log"), nil, nil,
			s.natsServer, "-a", "127.0.0.1", "-p", strconv.Itoa(port), "-n", name,
			"-js", "-sd", filepath.Join(dir, "jetstream"))
	}
	// Ready once a client connects and JetStream answers for its account.
	ready := func(port int) error {
		nc, err := nats.Connect(urlFor(port), nats.Timeout(2*time.Second), nats.NoReconnect())
		if err != nil {
			return err
		}
		defer nc.Close()
		if got := nc.ConnectedServerName(); got != name {
			return fmt.Errorf("the server on port %d is %s, not %s", port, got, name)
		}
		js, err := jetstream.New(nc)
		if err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_, err = js.AccountInfo(ctx)
		return err
	}
	port, p := startProcessOnFreePort(t, os.Interrupt, launch, ready)
	return &NATSServer{URL: urlFor(port), t: t, port: port, p: p, launch: launch, ready: ready}
}
