package hub

import (
	"testing"

	"go.uber.org/goleak"
)

// Every test of the package, internal and external, must leave no
// goroutine behind: a connection's reader, writer, keepalive and close
// all end when it does.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// noLeaks fails t if goroutines it started outlive it, cleanups included
// (call it first, so that its check runs after every other cleanup).
func noLeaks(t *testing.T) {
	before := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, before) })
}
