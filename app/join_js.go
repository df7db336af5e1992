//go:build js

package main

import (
	"syscall/js"

	"parley/app/state"
)

// startLink is the invite token of the page's address (/?join=TOKEN, the
// server's join page links there), "" if none.
func startLink() string {
	token, _ := state.JoinToken(js.Global().Get("location").Get("href").String())
	return token
}
