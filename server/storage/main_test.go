package storage

import (
	"testing"

	"go.uber.org/goleak"
)

// Every test must leave no goroutine behind: a DB that was not closed,
// or a Close that left its sequencer or checkpointer running, fails the
// package.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
