package client

import (
	"testing"

	"go.uber.org/goleak"
)

// Every test must leave no goroutine behind: a Conn's read loop and
// keepalive, and a Session's, end when they are closed.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// noLeaks fails t if goroutines it started outlive it, cleanups included
// (call it first, so that its check runs after every other cleanup).
func noLeaks(t *testing.T) {
	before := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, before) })
}
