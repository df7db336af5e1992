//go:build linux

package servicetest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
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

// NATSServer is a test's NATS server (URL: its nats:// address).
type NATSServer = Service

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
	return &Service{URL: urlFor(port), t: t, port: port, p: p, launch: launch, ready: ready}
}
