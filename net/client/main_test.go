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
