//go:build !js

package main

import "gioui.org/layout"

// automation is the browser's end-to-end test hook (automation_js.go);
// desktop tests drive the ui package directly (ui/uitest).
type automation struct{}

func newAutomation() *automation { return &automation{} }

func (*automation) frame(layout.Context, func(layout.Context)) {}
