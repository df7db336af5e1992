//go:build js

package main

import (
	"net/url"
	"strings"
	"syscall/js"
)

// newAutomation turns the end-to-end test hook (automation.go) on when
// the page is opened with ?automation: each frame's semantic tree is put
// in the page's globalThis.parleySemantics, and a "parleyframe" event is
// dispatched on the page's global.
func newAutomation() *automation {
	search := js.Global().Get("location").Get("search").String()
	q, _ := url.ParseQuery(strings.TrimPrefix(search, "?"))
	if !q.Has("automation") {
		return &automation{}
	}
	return &automation{publish: func(b []byte) {
		g := js.Global()
		g.Set("parleySemantics", string(b))
		g.Call("dispatchEvent", g.Get("Event").New("parleyframe"))
	}}
}
