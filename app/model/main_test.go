package model

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine outlives them: a
// model that was closed or logged out must leave nothing running.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
