package model

import (
	"testing"
	"time"

	"parley/server/node"
	"parley/server/node/nodetest"
)

// The model learns the server's edit window from its hello, for the UI
// to offer Edit only while the server would take it.
func TestTheModelKnowsTheServersEditWindow(t *testing.T) {
	srv := nodetest.Start(t, nodetest.WithConfig(func(cfg *node.Config) { cfg.EditWindow = 90 * time.Minute }))
	m := newTestModel(t, srv, t.TempDir())
	m.registerAndLogin(srv, "me")
	if got := m.online().EditWindow; got != (90 * time.Minute).Milliseconds() {
		t.Fatalf("EditWindow = %d ms, want 90 minutes", got)
	}
}
