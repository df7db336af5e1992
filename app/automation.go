package main

import (
	"encoding/json"

	"gioui.org/io/input"
	"gioui.org/layout"
	"gioui.org/op"
)

// automation publishes what is on screen for the end-to-end tests: every
// frame's semantic tree (labels, descriptions, classes and pixel bounds,
// as input.SemanticNode in JSON, flattened) goes to publish. The browser
// turns it on with ?automation (automation_js.go), the desktop with
// PARLEY_AUTOMATION_FD (automation_other.go); without them publish is nil
// and it does nothing.
//
// The window's own input router is not reachable, so the frame is laid
// out a second time against a router of our own. It must be laid out
// against that router's Source, not just replayed into it: Gio keeps a
// clickable area in the semantic tree only if its handler asked that
// router for pointer events (io/input pointerQueue.Frame). The second
// pass sees no input, so it changes nothing and its intents are dropped.
type automation struct {
	publish func(semantics []byte)
	router  input.Router
	ops     op.Ops
	nodes   []input.SemanticNode
}

// frame publishes the semantic tree of the frame that lay lays out;
// call it after the window's own layout of the frame.
func (a *automation) frame(gtx layout.Context, lay func(layout.Context)) {
	if a.publish == nil {
		return
	}
	a.ops.Reset()
	gtx.Ops = &a.ops
	gtx.Source = a.router.Source()
	lay(gtx)
	a.router.Frame(&a.ops)
	a.nodes = a.router.AppendSemantics(a.nodes[:0])
	for i := range a.nodes {
		a.nodes[i].Children = nil // flattened: parents are named by ParentID
	}
	b, err := json.Marshal(a.nodes)
	if err != nil {
		return
	}
	a.publish(b)
}
